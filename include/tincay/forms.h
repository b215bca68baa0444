#ifndef TC_FORMS_H
#define TC_FORMS_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/status.h"

struct tc_arena;
struct tc_db_conn;

/*
 * Stored form versions and their media (table forms, form_media; schema/003). A version
 * is identified by (form_id, version) or by its row id. Strings and bytes returned live
 * in the caller's arena.
 */
enum tc_form_state {
    TC_FORM_DRAFT,
    TC_FORM_PUBLISHED, /* listed, downloadable, accepts submissions */
    TC_FORM_CLOSING,   /* not listed any more, still accepts submissions */
    TC_FORM_CLOSED     /* refuses submissions */
};

/* "draft", "published", "closing", "closed". */
const char *tc_form_state_name(enum tc_form_state state);

/* Parse a state name; -1 for anything else. */
int tc_form_state_parse(const char *name, enum tc_form_state *out);

static inline bool
tc_form_state_accepts_submissions(enum tc_form_state state)
{
    return state == TC_FORM_PUBLISHED || state == TC_FORM_CLOSING;
}

/* A new version to store. The md5 and sha256 of `xml` are computed on insert. */
struct tc_form_new {
    const char *form_id;
    const char *version; /* "" when the form has none */
    const char *title;
    const unsigned char *xml; /* the exact bytes uploaded */
    size_t xml_len;
    bool is_confidential, has_protected;
    long long created_by; /* users.id, 0 for none (CLI) */
    bool publish;         /* published at once instead of draft */
};

struct tc_form_row {
    long long id;
    const char *form_id, *version, *title;
    enum tc_form_state state;
    const unsigned char *xml; /* NULL in lists; the stored bytes from tc_forms_get* */
    size_t xml_len;
    char md5[33], sha256[65]; /* lower-case hex */
    bool is_confidential, has_protected;
    size_t n_media;                        /* media files stored for this version */
    const char *created_at, *published_at; /* ISO 8601; published_at NULL for drafts */
    const char *ruleset_id; /* the active ruleset scoring its submissions (schema/006), or NULL */
    int ruleset_version;
};

/*
 * Store a new version; TC_ECONFLICT when (form_id, version) already exists, TC_EINVAL
 * for an empty form id or oversize fields. `*id_out` (may be NULL) gets the row id.
 */
enum tc_status tc_forms_insert(struct tc_db_conn *conn, const struct tc_form_new *form,
                               long long *id_out, struct tc_error *err);

/*
 * Publish a draft. TC_ENOTFOUND for no such version, TC_ECONFLICT when it is not a
 * draft any more.
 */
enum tc_status tc_forms_publish(struct tc_db_conn *conn, const char *form_id, const char *version,
                                struct tc_error *err);

/*
 * Move every version of `form_id` (or only `version` when not NULL) that is published or
 * closing to `state` (TC_FORM_CLOSING or TC_FORM_CLOSED); `*n_out` (may be NULL) counts
 * the versions changed. TC_ENOTFOUND when the form id (or version) does not exist.
 */
enum tc_status tc_forms_close(struct tc_db_conn *conn, const char *form_id, const char *version,
                              enum tc_form_state state, size_t *n_out, struct tc_error *err);

/*
 * The version (form_id, version), XML included. TC_ENOTFOUND when there is none; the
 * caller checks the state (tc_form_state_accepts_submissions).
 */
enum tc_status tc_forms_get(struct tc_db_conn *conn, const char *form_id, const char *version,
                            struct tc_arena *arena, struct tc_form_row *out, struct tc_error *err);

/* tc_forms_get without the XML (xml NULL): what a cached model is looked up by. */
enum tc_status tc_forms_get_head(struct tc_db_conn *conn, const char *form_id, const char *version,
                                 struct tc_arena *arena, struct tc_form_row *out,
                                 struct tc_error *err);

/* The same by row id. */
enum tc_status tc_forms_get_by_id(struct tc_db_conn *conn, long long id, struct tc_arena *arena,
                                  struct tc_form_row *out, struct tc_error *err);

/* The most recently published version of `form_id` still published; TC_ENOTFOUND if none. */
enum tc_status tc_forms_latest(struct tc_db_conn *conn, const char *form_id, struct tc_arena *arena,
                               struct tc_form_row *out, struct tc_error *err);

/* Which versions tc_forms_list returns. */
struct tc_forms_filter {
    bool published_only;   /* formList: state published only */
    long long app_user_id; /* > 0: only form ids assigned to this app user */
};

/*
 * Versions matching `filter` (NULL: all), by form id then newest first, without their
 * XML. `*rows_out` is an array of `*n_out` rows in `arena`.
 */
enum tc_status tc_forms_list(struct tc_db_conn *conn, const struct tc_forms_filter *filter,
                             struct tc_arena *arena, struct tc_form_row **rows_out, size_t *n_out,
                             struct tc_error *err);

struct tc_form_media {
    const char *filename, *content_type;
    const unsigned char *bytes; /* NULL in lists */
    size_t size;
    char md5[33];
};

/*
 * Store a media file of the version with row id `form`. A draft's files may be replaced;
 * a published version only gains files it lacks (re-sending identical bytes is TC_OK,
 * different bytes TC_ECONFLICT); a closed one refuses. TC_EINVAL for a file name that is
 * a path ('/', '\\', "..") or longer than 255 bytes.
 */
enum tc_status tc_forms_media_put(struct tc_db_conn *conn, long long form, const char *filename,
                                  const char *content_type, const unsigned char *bytes, size_t size,
                                  struct tc_error *err);

/* One media file with its bytes; TC_ENOTFOUND when absent. */
enum tc_status tc_forms_media_get(struct tc_db_conn *conn, long long form, const char *filename,
                                  struct tc_arena *arena, struct tc_form_media *out,
                                  struct tc_error *err);

/* The media files of a version, by file name, without bytes. */
enum tc_status tc_forms_media_list(struct tc_db_conn *conn, long long form, struct tc_arena *arena,
                                   struct tc_form_media **media_out, size_t *n_out,
                                   struct tc_error *err);

#endif /* TC_FORMS_H */
