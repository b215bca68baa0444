#ifndef TC_FORM_ADMIN_H
#define TC_FORM_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/status.h"

struct tc_arena;
struct tc_db_conn;
struct tc_form_row;

/*
 * Form administration shared by the CLI (`tincay form ...`), the JSON API and the loading
 * of shipped forms at `tincay serve`: an upload is loaded with the form library first
 * (refused with its precise message), then its exact bytes are stored.
 */

/*
 * Load xml[0..len) as an XForm and store it as a new version, published at once when
 * `publish`. TC_EINVAL (the form library's message) for a form that does not load,
 * TC_ECONFLICT when the form id and version already exist. `*out` (may be NULL) is
 * filled from the stored row, in `arena`.
 */
enum tc_status tc_form_admin_add(struct tc_db_conn *conn, const unsigned char *xml, size_t len,
                                 bool publish, long long created_by, struct tc_arena *arena,
                                 struct tc_form_row *out, struct tc_error *err);

/*
 * The newest version of `form_id` in any state (drafts included), without XML;
 * TC_ENOTFOUND when the form id does not exist.
 */
enum tc_status tc_form_admin_newest(struct tc_db_conn *conn, const char *form_id,
                                    struct tc_arena *arena, struct tc_form_row *out,
                                    struct tc_error *err);

/* The content type a media file gets from its extension (application/octet-stream else). */
const char *tc_form_admin_media_type(const char *filename);

/*
 * Read the file at `path` whole (at most `max` bytes) into `arena`, NUL-terminated.
 * TC_ENOTFOUND when it cannot be opened, TC_ETOOLARGE over `max`.
 */
enum tc_status tc_form_admin_read_file(const char *path, size_t max, struct tc_arena *arena,
                                       unsigned char **data_out, size_t *len_out,
                                       struct tc_error *err);

/*
 * Add and publish every `<dir>/NAME.xml` not stored yet, with its media from
 * `<dir>/media/<form id>/`. Idempotent: a form whose id and version are stored with the
 * same bytes is left alone; one stored with other bytes is skipped with a warning in the
 * log, as is a file that does not load. `*n_added_out` (may be NULL) counts new versions.
 * Fails only when the directory cannot be read or the database fails.
 */
enum tc_status tc_form_admin_load_dir(struct tc_db_conn *conn, const char *dir, size_t *n_added_out,
                                      struct tc_error *err);

#endif /* TC_FORM_ADMIN_H */
