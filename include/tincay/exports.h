#ifndef TC_EXPORTS_H
#define TC_EXPORTS_H

#include <stddef.h>

#include "tincay/status.h"

struct tc_arena;
struct tc_db_conn;
struct tc_keyring;
struct tc_table;

/*
 * Submission exports (docs/review.md): the current submissions of a form as tables, the
 * columns taken from the form's newest stored version. The first table holds one row per
 * submission; each repeat of the form (not nested in another) gets its own table, one row
 * per repetition, linked by the submission id. Values of fields with tc:protect are never
 * in the stored values: without a key ring their cells read "[protected]"; with the
 * server's key ring (for roles allowed submission.read_personal: the caller checks and
 * audits) `personal` values are opened from submission_protected. Confidential values are
 * never exported.
 */

#define TC_EXPORT_PROTECTED "[protected]"

/* Which submissions; NULL members do not filter. */
struct tc_export_scope {
    const char *commune_era, *commune_code; /* one commune */
    const char *province_code;              /* or every commune of a province */
};

enum tc_status tc_export_submissions(struct tc_db_conn *conn, const char *form_id,
                                     const struct tc_export_scope *scope, struct tc_keyring *ring,
                                     struct tc_arena *arena, struct tc_table ***tables_out,
                                     size_t *n_out, struct tc_error *err);

#endif /* TC_EXPORTS_H */
