#ifndef TC_MULTIPART_H
#define TC_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/status.h"

struct tc_arena;

/*
 * Streaming multipart/form-data parser (RFC 7578 over RFC 2046). The body is pushed in
 * chunks of any size, down to one byte; the parser calls back at each part's start, for
 * each run of its data and at its end, and keeps no more than one part's headers in
 * memory. The total body size is the caller's to enforce.
 *
 * Boundary delimiters are strict: "--boundary" after CRLF must be followed by "--",
 * optional blanks and CRLF; anything else is a malformed body (the boundary may not
 * occur in data, RFC 2046 §5.1.1).
 */

/* Longest part name or file name kept (bytes, without the terminator). */
#define TC_MULTIPART_NAME_MAX 255

/*
 * What a part's headers said. `name` is the field name of Content-Disposition reduced to
 * a file name: never empty, no '/', '\\', "..", control characters or invalid UTF-8.
 * `filename` is the client's file name reduced the same way (its last path component),
 * NULL when absent or unusable; `content_type` is the trimmed Content-Type value or NULL.
 * The strings live until the next part starts.
 */
struct tc_multipart_part {
    const char *name;
    const char *filename;
    const char *content_type;
};

/*
 * Callbacks; any may be NULL. A status other than TC_OK stops the parse: the same status
 * and message come back from tc_multipart_feed() and every later call.
 */
struct tc_multipart_callbacks {
    enum tc_status (*part_begin)(void *ctx, const struct tc_multipart_part *part,
                                 struct tc_error *err);
    enum tc_status (*part_data)(void *ctx, const void *data, size_t len, struct tc_error *err);
    enum tc_status (*part_end)(void *ctx, struct tc_error *err);
};

struct tc_multipart_limits {
    size_t max_parts;        /* more parts → TC_ETOOLARGE; 0 means 100 */
    size_t max_header_bytes; /* header block of one part; 0 means 8192 */
};

struct tc_multipart;

/*
 * Extract the boundary of a Content-Type header value ("multipart/form-data;
 * boundary=..." with any case and quoted or not, 1–70 characters of RFC 2046's set) into
 * `out` (at least 71 bytes). TC_EUNSUPPORTED for another media type, TC_EBADREQ for a
 * missing, repeated or invalid boundary.
 */
enum tc_status tc_multipart_boundary(const char *content_type, char *out, size_t out_size,
                                     struct tc_error *err);

/*
 * A parser for a body sent with `content_type`, allocated in `arena` (nothing to free).
 * `limits` may be NULL for the defaults. NULL on failure, with `err` set as by
 * tc_multipart_boundary() or TC_ENOMEM.
 */
struct tc_multipart *tc_multipart_create(const char *content_type,
                                         const struct tc_multipart_limits *limits,
                                         const struct tc_multipart_callbacks *callbacks, void *ctx,
                                         struct tc_arena *arena, struct tc_error *err);

/* Push the next `len` bytes of the body. Errors are sticky. */
enum tc_status tc_multipart_feed(struct tc_multipart *mp, const void *data, size_t len,
                                 struct tc_error *err);

/*
 * The body has ended: TC_OK only when the closing delimiter was seen (the epilogue is
 * ignored), TC_EBADREQ for a body without any boundary or one that stops early.
 */
enum tc_status tc_multipart_finish(struct tc_multipart *mp, struct tc_error *err);

/*
 * True when `name` is usable as a stored file name: 1–255 bytes of valid UTF-8 without
 * control characters, '/', '\\' or "..". Part names, attachment names and media names
 * all follow this rule.
 */
bool tc_multipart_name_is_clean(const char *name);

/* Parts begun so far. */
size_t tc_multipart_parts(const struct tc_multipart *mp);

#endif /* TC_MULTIPART_H */
