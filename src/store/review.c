#include "tincay/review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tincay/arena.h"
#include "tincay/audit.h"
#include "tincay/db.h"

#define DEFAULT_LIMIT 100
#define MAX_LIMIT     1000
#define UTC(col)      "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

static const char *const review_states[] = {"received", "hasIssues", "edited", "approved",
                                            "rejected"};

static bool
is_review_state(const char *s)
{
    for (size_t i = 0; i < sizeof(review_states) / sizeof(review_states[0]); i++)
        if (strcmp(s, review_states[i]) == 0)
            return true;
    return false;
}

static const char *
id_param(struct tc_arena *arena, long long v)
{
    return v > 0 ? tc_arena_printf(arena, "%lld", v) : NULL;
}

/* Columns of copy_row, in order; values_json last (NULL in lists). */
#define ROW_COLUMNS                                                                                \
    "s.id, s.form, s.form_id, s.form_version, s.instance_id, s.review_state, s.is_complete, " UTC( \
        "s.received_at") ", " UTC("s.updated_at") ", s.deprecated_id, s.superseded_by, "           \
                                                  "s.device_id, s.commune_era, s.commune_code, "   \
                                                  "s.village, s.case_code, s.submitter_id, "       \
                                                  "s.app_user_id, s.xml_sealed IS NOT NULL, "      \
                                                  "(SELECT count(*) FROM findings x WHERE "        \
                                                  "x.submission = s.id), "                         \
                                                  "(SELECT count(*) FROM submission_attachments "  \
                                                  "a WHERE a.submission = s.id "                   \
                                                  "   AND a.bytes IS NOT NULL), "                  \
                                                  "(SELECT count(*) FROM submission_attachments "  \
                                                  "a WHERE a.submission = s.id "                   \
                                                  "   AND a.bytes IS NULL), "                      \
                                                  "(SELECT c.province_code FROM communes c "       \
                                                  "WHERE c.era = s.commune_era AND c.code = "      \
                                                  "s.commune_code)"

/* A copy of column `col` of row `i` in `arena`, NULL for SQL NULL; sets *oom on failure. */
static const char *
text(const struct tc_db_result *res, size_t i, size_t col, struct tc_arena *arena, bool *oom)
{
    const char *v = tc_db_value(res, i, col);
    char *copy = v != NULL ? tc_arena_strdup(arena, v) : NULL;

    if (v != NULL && copy == NULL)
        *oom = true;
    return copy;
}

static enum tc_status
copy_row(const struct tc_db_result *res, size_t i, bool with_values, struct tc_arena *arena,
         struct tc_submission_row *out, struct tc_error *err)
{
    bool oom = false;

    memset(out, 0, sizeof(*out));
    out->id = tc_db_int(res, i, 0, 0);
    out->form = tc_db_int(res, i, 1, 0);
    out->form_id = text(res, i, 2, arena, &oom);
    out->form_version = text(res, i, 3, arena, &oom);
    out->instance_id = text(res, i, 4, arena, &oom);
    out->review_state = text(res, i, 5, arena, &oom);
    out->is_complete = tc_db_bool(res, i, 6);
    out->received_at = text(res, i, 7, arena, &oom);
    out->updated_at = text(res, i, 8, arena, &oom);
    out->deprecated_id = text(res, i, 9, arena, &oom);
    out->superseded_by = tc_db_int(res, i, 10, 0);
    out->device_id = text(res, i, 11, arena, &oom);
    out->commune_era = text(res, i, 12, arena, &oom);
    out->commune_code = text(res, i, 13, arena, &oom);
    out->village = text(res, i, 14, arena, &oom);
    out->case_code = text(res, i, 15, arena, &oom);
    out->submitter_id = tc_db_int(res, i, 16, 0);
    out->app_user_id = tc_db_int(res, i, 17, 0);
    out->is_sealed = tc_db_bool(res, i, 18);
    out->n_findings = (size_t)tc_db_int(res, i, 19, 0);
    out->n_files = (size_t)tc_db_int(res, i, 20, 0);
    out->n_missing = (size_t)tc_db_int(res, i, 21, 0);
    out->province_code = text(res, i, 22, arena, &oom);
    if (with_values)
        out->values_json = text(res, i, 23, arena, &oom);
    return oom ? tc_fail(err, TC_ENOMEM, "out of memory") : TC_OK;
}

/*
 * The submissions of a confidential form are cases: the case log (caselog.c) reads them for
 * the unit's members and the escrow officer only. Every query here leaves them out, so no
 * survey-side list, read, export or review ever reaches one.
 */
static const char sql_list[] =
    "SELECT " ROW_COLUMNS " FROM submissions s "
    "WHERE ($1::text IS NULL OR s.form_id = $1) "
    "  AND ($2::text IS NULL OR s.review_state = $2) "
    "  AND ($3::timestamptz IS NULL OR s.received_at >= $3::timestamptz) "
    "  AND ($4::timestamptz IS NULL OR s.received_at < $4::timestamptz) "
    "  AND ($5::text IS NULL OR s.commune_era = $5) "
    "  AND ($6::text IS NULL OR s.commune_code = $6) "
    "  AND ($7::bool OR s.superseded_by IS NULL) "
    "  AND ($8::bigint IS NULL OR s.id < $8::bigint) "
    "  AND ($10::text IS NULL OR EXISTS (SELECT 1 FROM communes pc WHERE pc.era = "
    "       s.commune_era AND pc.code = s.commune_code AND pc.province_code = $10)) "
    "  AND NOT EXISTS (SELECT 1 FROM forms cf WHERE cf.id = s.form AND cf.is_confidential) "
    "ORDER BY s.id DESC LIMIT $9::int";

/* The same with the values, for tables that show some of them. */
static const char sql_list_values[] =
    "SELECT " ROW_COLUMNS ", s.values::text FROM submissions s "
    "WHERE ($1::text IS NULL OR s.form_id = $1) "
    "  AND ($2::text IS NULL OR s.review_state = $2) "
    "  AND ($3::timestamptz IS NULL OR s.received_at >= $3::timestamptz) "
    "  AND ($4::timestamptz IS NULL OR s.received_at < $4::timestamptz) "
    "  AND ($5::text IS NULL OR s.commune_era = $5) "
    "  AND ($6::text IS NULL OR s.commune_code = $6) "
    "  AND ($7::bool OR s.superseded_by IS NULL) "
    "  AND ($8::bigint IS NULL OR s.id < $8::bigint) "
    "  AND ($10::text IS NULL OR EXISTS (SELECT 1 FROM communes pc WHERE pc.era = "
    "       s.commune_era AND pc.code = s.commune_code AND pc.province_code = $10)) "
    "  AND NOT EXISTS (SELECT 1 FROM forms cf WHERE cf.id = s.form AND cf.is_confidential) "
    "ORDER BY s.id DESC LIMIT $9::int";

enum tc_status
tc_review_list(struct tc_db_conn *conn, const struct tc_submission_filter *filter,
               struct tc_arena *arena, struct tc_submission_row **rows_out, size_t *n_out,
               struct tc_error *err)
{
    static const struct tc_submission_filter all = {0};
    const struct tc_submission_filter *f = filter != NULL ? filter : &all;
    size_t limit = f->limit == 0 ? DEFAULT_LIMIT : f->limit > MAX_LIMIT ? MAX_LIMIT : f->limit;
    const char *params[10] = {f->form_id,
                              f->review_state,
                              f->since,
                              f->until,
                              f->commune_era,
                              f->commune_code,
                              f->include_superseded ? "t" : "f",
                              id_param(arena, f->before_id),
                              tc_arena_printf(arena, "%zu", limit),
                              f->province_code};
    struct tc_db_result *res = NULL;
    struct tc_submission_row *rows;
    enum tc_status st;

    if (f->review_state != NULL && !is_review_state(f->review_state))
        return tc_fail(err, TC_EINVAL, "invalid review state \"%s\"", f->review_state);
    st =
        tc_db_exec(conn, f->with_values ? sql_list_values : sql_list, 10, params, arena, &res, err);
    if (st == TC_EINVAL)
        return tc_fail(err, TC_EINVAL, "invalid submission filter");
    if (st != TC_OK)
        return st;
    if ((rows = tc_arena_calloc(arena, tc_db_rows(res) + 1, sizeof(*rows))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < tc_db_rows(res); i++)
        if ((st = copy_row(res, i, f->with_values, arena, &rows[i], err)) != TC_OK)
            return st;
    *rows_out = rows;
    *n_out = tc_db_rows(res);
    return TC_OK;
}

static const char sql_get[] =
    "SELECT " ROW_COLUMNS ", s.values::text FROM submissions s "
    "WHERE s.form_id = $1 AND s.instance_id = $2 "
    "  AND NOT EXISTS (SELECT 1 FROM forms cf WHERE cf.id = s.form AND cf.is_confidential) ";

enum tc_status
tc_review_get(struct tc_db_conn *conn, const char *form_id, const char *instance_id,
              struct tc_arena *arena, struct tc_submission_row *out, struct tc_error *err)
{
    const char *params[2] = {form_id, instance_id};
    struct tc_db_result *res = NULL;
    enum tc_status st = tc_db_exec(conn, sql_get, 2, params, arena, &res, err);

    if (st != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_ENOTFOUND, "form \"%s\" has no submission \"%s\"", form_id,
                       instance_id);
    return copy_row(res, 0, true, arena, out, err);
}

static const char sql_get_by_id[] =
    "SELECT " ROW_COLUMNS ", s.values::text FROM submissions s "
    "WHERE s.id = $1::bigint "
    "  AND NOT EXISTS (SELECT 1 FROM forms cf WHERE cf.id = s.form AND cf.is_confidential) ";

enum tc_status
tc_review_get_by_id(struct tc_db_conn *conn, long long id, struct tc_arena *arena,
                    struct tc_submission_row *out, struct tc_error *err)
{
    const char *params[1] = {tc_arena_printf(arena, "%lld", id)};
    struct tc_db_result *res = NULL;
    enum tc_status st;

    if (params[0] == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((st = tc_db_exec(conn, sql_get_by_id, 1, params, arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_ENOTFOUND, "no submission \"%lld\"", id);
    return copy_row(res, 0, true, arena, out, err);
}

static const char sql_xml[] = "SELECT xml, xml_sealed IS NOT NULL FROM submissions "
                              "WHERE id = $1::bigint";

enum tc_status
tc_review_xml(struct tc_db_conn *conn, long long id, struct tc_arena *arena,
              const unsigned char **xml_out, size_t *len_out, struct tc_error *err)
{
    const char *params[1] = {id_param(arena, id)};
    struct tc_db_result *res = NULL;
    enum tc_status st = tc_db_exec(conn, sql_xml, 1, params, arena, &res, err);

    if (st != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_ENOTFOUND, "submission %lld does not exist", id);
    if (tc_db_bool(res, 0, 1))
        return tc_fail(err, TC_EFORBIDDEN, "submission %lld is sealed", id);
    if ((*xml_out = tc_db_bytea(res, 0, 0, arena, len_out)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    return TC_OK;
}

static const char sql_files[] = "SELECT name, content_type, bytes IS NOT NULL, size, sha256 "
                                "FROM submission_attachments WHERE submission = $1::bigint "
                                "ORDER BY name";
static const char sql_file[] = "SELECT name, content_type, bytes IS NOT NULL, size, sha256, bytes "
                               "FROM submission_attachments "
                               "WHERE submission = $1::bigint AND name = $2 AND bytes IS NOT NULL";

static enum tc_status
copy_file(const struct tc_db_result *res, size_t i, struct tc_arena *arena,
          struct tc_submission_file *out, struct tc_error *err)
{
    bool oom = false;

    memset(out, 0, sizeof(*out));
    out->name = text(res, i, 0, arena, &oom);
    out->content_type = text(res, i, 1, arena, &oom);
    out->is_received = tc_db_bool(res, i, 2);
    out->size = (size_t)tc_db_int(res, i, 3, 0);
    out->sha256 = text(res, i, 4, arena, &oom);
    return oom ? tc_fail(err, TC_ENOMEM, "out of memory") : TC_OK;
}

enum tc_status
tc_review_files(struct tc_db_conn *conn, long long id, struct tc_arena *arena,
                struct tc_submission_file **files_out, size_t *n_out, struct tc_error *err)
{
    const char *params[1] = {id_param(arena, id)};
    struct tc_db_result *res = NULL;
    struct tc_submission_file *files;
    enum tc_status st = tc_db_exec(conn, sql_files, 1, params, arena, &res, err);

    if (st != TC_OK)
        return st;
    if ((files = tc_arena_calloc(arena, tc_db_rows(res) + 1, sizeof(*files))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < tc_db_rows(res); i++)
        if ((st = copy_file(res, i, arena, &files[i], err)) != TC_OK)
            return st;
    *files_out = files;
    *n_out = tc_db_rows(res);
    return TC_OK;
}

enum tc_status
tc_review_file(struct tc_db_conn *conn, long long id, const char *name, struct tc_arena *arena,
               struct tc_submission_file *out, struct tc_error *err)
{
    const char *params[2] = {id_param(arena, id), name};
    struct tc_db_result *res = NULL;
    size_t len = 0;
    enum tc_status st = tc_db_exec(conn, sql_file, 2, params, arena, &res, err);

    if (st != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_ENOTFOUND, "submission %lld has no file \"%s\"", id, name);
    if ((st = copy_file(res, 0, arena, out, err)) != TC_OK)
        return st;
    if ((out->bytes = tc_db_bytea(res, 0, 5, arena, &len)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    return TC_OK;
}

static const char sql_findings[] = "SELECT field, rule, message FROM findings "
                                   "WHERE submission = $1::bigint ORDER BY id";

enum tc_status
tc_review_findings(struct tc_db_conn *conn, long long id, struct tc_arena *arena,
                   struct tc_submission_finding **out, size_t *n_out, struct tc_error *err)
{
    const char *params[1] = {id_param(arena, id)};
    struct tc_db_result *res = NULL;
    struct tc_submission_finding *found;
    bool oom = false;
    enum tc_status st = tc_db_exec(conn, sql_findings, 1, params, arena, &res, err);

    if (st != TC_OK)
        return st;
    if ((found = tc_arena_calloc(arena, tc_db_rows(res) + 1, sizeof(*found))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < tc_db_rows(res); i++) {
        found[i].field = text(res, i, 0, arena, &oom);
        found[i].rule = text(res, i, 1, arena, &oom);
        found[i].message = text(res, i, 2, arena, &oom);
    }
    if (oom)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    *out = found;
    *n_out = tc_db_rows(res);
    return TC_OK;
}

struct review_ctx {
    long long id, actor_id;
    const char *to_state, *comment;
};

static const char sql_lock[] = "SELECT review_state, superseded_by IS NOT NULL FROM submissions "
                               "WHERE id = $1::bigint FOR UPDATE";
static const char sql_set[] = "UPDATE submissions SET review_state = $2, updated_at = now() "
                              "WHERE id = $1::bigint";
static const char sql_comment[] =
    "INSERT INTO review_comments (submission, actor_id, from_state, to_state, comment) "
    "VALUES ($1::bigint, $2::bigint, $3, $4, $5)";

static enum tc_status
audit_review(struct tc_db_conn *conn, const struct review_ctx *r, const char *from, const char *to,
             struct tc_arena *arena, struct tc_error *err)
{
    json_t *detail = json_pack("{s:s,s:s,s:b}", "from", from, "to", to, "comment",
                               r->comment != NULL && r->comment[0] != '\0');
    char *text_json = detail != NULL ? json_dumps(detail, JSON_COMPACT) : NULL;
    struct tc_audit_event ev = {.actor_kind = r->actor_id > 0 ? "user" : "system",
                                .actor_id = r->actor_id,
                                .action = "submission.review",
                                .object_kind = "submission",
                                .object_id = id_param(arena, r->id),
                                .detail_json = text_json};
    enum tc_status st = text_json != NULL ? tc_audit_append(conn, &ev, arena, err)
                                          : tc_fail(err, TC_ENOMEM, "out of memory");

    json_decref(detail);
    free(text_json);
    return st;
}

static enum tc_status
review_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    const struct review_ctx *r = ctx;
    struct tc_arena *arena = tc_arena_create(2048);
    struct tc_db_result *res = NULL;
    const char *params[5] = {NULL};
    const char *from, *to;
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    params[0] = id_param(arena, r->id);
    if ((st = tc_db_exec(conn, sql_lock, 1, params, arena, &res, err)) != TC_OK)
        goto out;
    if (tc_db_rows(res) == 0) {
        st = tc_fail(err, TC_ENOTFOUND, "submission %lld does not exist", r->id);
        goto out;
    }
    if (tc_db_bool(res, 0, 1)) {
        st = tc_fail(err, TC_ECONFLICT, "submission %lld was replaced by an edit", r->id);
        goto out;
    }
    if ((from = tc_arena_strdup(arena, tc_db_value(res, 0, 0))) == NULL) {
        st = tc_fail(err, TC_ENOMEM, "out of memory");
        goto out;
    }
    to = r->to_state != NULL ? r->to_state : from;
    params[1] = to;
    if (strcmp(to, from) != 0 &&
        (st = tc_db_exec(conn, sql_set, 2, params, arena, &res, err)) != TC_OK)
        goto out;
    params[1] = id_param(arena, r->actor_id);
    params[2] = from;
    params[3] = to;
    params[4] = r->comment != NULL && r->comment[0] != '\0' ? r->comment : NULL;
    if ((st = tc_db_exec(conn, sql_comment, 5, params, arena, &res, err)) == TC_OK)
        st = audit_review(conn, r, from, to, arena, err);
out:
    tc_arena_destroy(arena);
    return st;
}

enum tc_status
tc_review_set_state(struct tc_db_conn *conn, long long id, long long actor_id, const char *to_state,
                    const char *comment, struct tc_error *err)
{
    struct review_ctx r = {id, actor_id, to_state, comment};

    if (to_state != NULL && !is_review_state(to_state))
        return tc_fail(err, TC_EINVAL, "invalid review state \"%s\"", to_state);
    if (to_state == NULL && (comment == NULL || comment[0] == '\0'))
        return tc_fail(err, TC_EINVAL, "a review needs a new state or a comment");
    return tc_db_transact(conn, false, review_txn, &r, err);
}

enum tc_status
tc_review_set_state_in(struct tc_db_conn *conn, long long id, long long actor_id,
                       const char *to_state, const char *comment, struct tc_error *err)
{
    struct review_ctx r = {id, actor_id, to_state, comment};

    if (to_state != NULL && !is_review_state(to_state))
        return tc_fail(err, TC_EINVAL, "invalid review state \"%s\"", to_state);
    if (to_state == NULL && (comment == NULL || comment[0] == '\0'))
        return tc_fail(err, TC_EINVAL, "a review needs a new state or a comment");
    return review_txn(conn, &r, err);
}

static const char sql_history[] = "SELECT actor_id, from_state, to_state, comment, " UTC(
    "at") " FROM review_comments "
          "WHERE submission = $1::bigint ORDER BY at, id";

enum tc_status
tc_review_history(struct tc_db_conn *conn, long long id, struct tc_arena *arena,
                  struct tc_review_entry **out, size_t *n_out, struct tc_error *err)
{
    const char *params[1] = {id_param(arena, id)};
    struct tc_db_result *res = NULL;
    struct tc_review_entry *entries;
    bool oom = false;
    enum tc_status st = tc_db_exec(conn, sql_history, 1, params, arena, &res, err);

    if (st != TC_OK)
        return st;
    if ((entries = tc_arena_calloc(arena, tc_db_rows(res) + 1, sizeof(*entries))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < tc_db_rows(res); i++) {
        entries[i].actor_id = tc_db_int(res, i, 0, 0);
        entries[i].from_state = text(res, i, 1, arena, &oom);
        entries[i].to_state = text(res, i, 2, arena, &oom);
        entries[i].comment = text(res, i, 3, arena, &oom);
        entries[i].at = text(res, i, 4, arena, &oom);
    }
    if (oom)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    *out = entries;
    *n_out = tc_db_rows(res);
    return TC_OK;
}
