#ifndef TC_UPLOAD_H
#define TC_UPLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/status.h"

struct tc_arena;
struct tc_spool;
struct tc_spool_file;

/*
 * An OpenRosa submission body (POST /submission, multipart/form-data) taken apart as it
 * streams in: the part `xml_submission_file` is kept in memory (capped), every part that
 * carries a filename is streamed to a spool file, `*isIncomplete*` is read, and any other
 * form field is skipped. Files are keyed by their part name, as Collect and Central do.
 */
struct tc_upload_limits {
    size_t max_xml_bytes; /* xml_submission_file; 0 means 10 MiB */
    size_t max_parts;     /* 0 means 100 */
    bool encrypt;         /* seal spooled files (confidential forms) */
};

struct tc_upload_file {
    const char *name;           /* part name: a clean file name */
    const char *content_type;   /* NULL when the part had none */
    struct tc_spool_file *file; /* finished once tc_upload_finish returned TC_OK */
};

/* What a complete body held; everything lives in the parser's arena. */
struct tc_upload {
    const unsigned char *xml; /* NUL-terminated for convenience */
    size_t xml_len;
    const char *xml_content_type;
    const struct tc_upload_file *files;
    size_t n_files;
    bool is_incomplete; /* *isIncomplete* = yes: the client sends more files later */
};

struct tc_upload_parser;

/*
 * A parser for a body of `content_type` whose files go to `spool` (which also caps their
 * sizes). NULL on failure: TC_EUNSUPPORTED for another media type, TC_EBADREQ for a bad
 * boundary, TC_ENOMEM.
 */
struct tc_upload_parser *tc_upload_create(const char *content_type, struct tc_spool *spool,
                                          const struct tc_upload_limits *limits,
                                          struct tc_arena *arena, struct tc_error *err);

/* Push the next chunk of the body; errors are sticky (TC_ETOOLARGE, TC_ENOSPACE, ...). */
enum tc_status tc_upload_feed(struct tc_upload_parser *up, const void *data, size_t len,
                              struct tc_error *err);

/*
 * The body has ended: check it was complete and had an xml_submission_file
 * (TC_EBADREQ otherwise), and fill `out`.
 */
enum tc_status tc_upload_finish(struct tc_upload_parser *up, struct tc_upload *out,
                                struct tc_error *err);

#endif /* TC_UPLOAD_H */
