#include <stdio.h>
#include <string.h>

#include "tincay/arena.h"
#include "tincay/audit.h"
#include "tincay/db.h"
#include "tincay/submissions.h"

#define LIST_DEFAULT 50u
#define LIST_MAX     500u

#define ROW_COLUMNS                                                                                \
    "s.id, s.form, s.form_id, s.form_version, s.instance_id, s.deprecated_id, s.review_state, "    \
    "to_char(s.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "                \
    "to_char(s.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "                 \
    "s.commune_era, s.commune_code, c.province_code, s.village, s.device_id, s.submitter_id, "     \
    "s.app_user_id, s.superseded_by, s.is_complete, s.xml_sealed IS NOT NULL, "                    \
    "(SELECT count(*) FROM findings f WHERE f.submission = s.id)"

#define ROW_FROM                                                                                   \
    " FROM submissions s LEFT JOIN communes c ON c.era = s.commune_era AND c.code = "              \
    "s.commune_code"

static const char sql_list[] =
    "SELECT " ROW_COLUMNS ", count(*) OVER () " ROW_FROM
    " WHERE ($1::text IS NULL OR s.form_id = $1) AND ($2::text IS NULL OR s.review_state = $2)"
    "   AND ($3::timestamptz IS NULL OR s.received_at >= $3::timestamptz)"
    "   AND ($4::timestamptz IS NULL OR s.received_at < $4::timestamptz)"
    "   AND ($5::text IS NULL OR s.commune_code = $5)"
    "   AND ($6::text IS NULL OR c.province_code = $6)"
    "   AND ($7::bigint IS NULL OR s.submitter_id = $7::bigint)"
    "   AND ($8::bool OR s.superseded_by IS NULL)"
    " ORDER BY s.received_at DESC, s.id DESC LIMIT $9::bigint OFFSET $10::bigint";

static const char sql_get[] =
    "SELECT " ROW_COLUMNS ", s.values::text " ROW_FROM " WHERE s.id = $1::bigint";

static const char *
opt(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : NULL;
}

static void
read_row(const struct tc_db_result *res, size_t i, struct tc_submission_row *r)
{
    r->id = tc_db_int(res, i, 0, 0);
    r->form = tc_db_int(res, i, 1, 0);
    r->form_id = tc_db_value(res, i, 2);
    r->form_version = tc_db_value(res, i, 3);
    r->instance_id = tc_db_value(res, i, 4);
    r->deprecated_id = tc_db_value(res, i, 5);
    r->review_state = tc_db_value(res, i, 6);
    r->received_at = tc_db_value(res, i, 7);
    r->updated_at = tc_db_value(res, i, 8);
    r->commune_era = tc_db_value(res, i, 9);
    r->commune_code = tc_db_value(res, i, 10);
    r->province_code = tc_db_value(res, i, 11);
    r->village = tc_db_value(res, i, 12);
    r->device_id = tc_db_value(res, i, 13);
    r->submitter_id = tc_db_int(res, i, 14, 0);
    r->app_user_id = tc_db_int(res, i, 15, 0);
    r->superseded_by = tc_db_int(res, i, 16, 0);
    r->is_complete = tc_db_bool(res, i, 17);
    r->is_sealed = tc_db_bool(res, i, 18);
    r->n_findings = (size_t)tc_db_int(res, i, 19, 0);
    r->values_json = NULL;
}

enum tc_status
tc_submission_list(struct tc_db_conn *conn, const struct tc_submission_filter *f,
                   struct tc_arena *arena, struct tc_submission_row **rows_out, size_t *n_out,
                   size_t *total_out, struct tc_error *err)
{
    size_t limit = f->limit == 0 ? LIST_DEFAULT : f->limit > LIST_MAX ? LIST_MAX : f->limit;
    const char *params[10] = {
        opt(f->form_id),
        opt(f->review_state),
        opt(f->from),
        opt(f->to),
        opt(f->commune_code),
        opt(f->province_code),
        f->submitter_id > 0 ? tc_arena_printf(arena, "%lld", f->submitter_id) : NULL,
        f->include_superseded ? "true" : "false",
        tc_arena_printf(arena, "%zu", limit),
        tc_arena_printf(arena, "%zu", f->offset),
    };
    struct tc_db_result *res = NULL;
    struct tc_submission_row *rows;
    size_t n;
    enum tc_status st;

    if (params[8] == NULL || params[9] == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((st = tc_db_exec(conn, sql_list, 10, params, arena, &res, err)) != TC_OK)
        return st;
    n = tc_db_rows(res);
    if ((rows = tc_arena_calloc(arena, n + 1, sizeof(*rows))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        read_row(res, i, &rows[i]);
    *rows_out = rows;
    *n_out = n;
    if (total_out != NULL)
        *total_out = n > 0 ? (size_t)tc_db_int(res, 0, 20, 0) : 0;
    return TC_OK;
}

enum tc_status
tc_submission_get(struct tc_db_conn *conn, long long id, struct tc_arena *arena,
                  struct tc_submission_row *out, struct tc_error *err)
{
    const char *params[1] = {tc_arena_printf(arena, "%lld", id)};
    struct tc_db_result *res = NULL;
    enum tc_status st;

    if (params[0] == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((st = tc_db_exec(conn, sql_get, 1, params, arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_rows(res) != 1)
        return tc_fail(err, TC_ENOTFOUND, "no submission %lld", id);
    read_row(res, 0, out);
    out->values_json = tc_db_value(res, 0, 20);
    return TC_OK;
}

static const char sql_findings[] = "SELECT field, rule, message FROM findings "
                                   "WHERE submission = $1::bigint ORDER BY id";

enum tc_status
tc_submission_findings(struct tc_db_conn *conn, long long id, struct tc_arena *arena,
                       struct tc_ingest_finding **out, size_t *n_out, struct tc_error *err)
{
    const char *params[1] = {tc_arena_printf(arena, "%lld", id)};
    struct tc_db_result *res = NULL;
    struct tc_ingest_finding *f;
    enum tc_status st;
    size_t n;

    if ((st = tc_db_exec(conn, sql_findings, 1, params, arena, &res, err)) != TC_OK)
        return st;
    n = tc_db_rows(res);
    if ((f = tc_arena_calloc(arena, n + 1, sizeof(*f))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        f[i] = (struct tc_ingest_finding){tc_db_value(res, i, 0), tc_db_value(res, i, 1),
                                          tc_db_value(res, i, 2)};
    *out = f;
    *n_out = n;
    return TC_OK;
}

static const char sql_files[] = "SELECT name, content_type, coalesce(size, -1), sha256 "
                                "FROM submission_attachments WHERE submission = $1::bigint "
                                "ORDER BY name";

enum tc_status
tc_submission_files(struct tc_db_conn *conn, long long id, struct tc_arena *arena,
                    struct tc_submission_file **out, size_t *n_out, struct tc_error *err)
{
    const char *params[1] = {tc_arena_printf(arena, "%lld", id)};
    struct tc_db_result *res = NULL;
    struct tc_submission_file *f;
    enum tc_status st;
    size_t n;

    if ((st = tc_db_exec(conn, sql_files, 1, params, arena, &res, err)) != TC_OK)
        return st;
    n = tc_db_rows(res);
    if ((f = tc_arena_calloc(arena, n + 1, sizeof(*f))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        f[i] = (struct tc_submission_file){tc_db_value(res, i, 0), tc_db_value(res, i, 1),
                                           tc_db_int(res, i, 2, -1), tc_db_value(res, i, 3)};
    *out = f;
    *n_out = n;
    return TC_OK;
}

static const char sql_file_get[] =
    "SELECT name, content_type, size, sha256, bytes FROM submission_attachments "
    "WHERE submission = $1::bigint AND name = $2 AND bytes IS NOT NULL";

enum tc_status
tc_submission_file_get(struct tc_db_conn *conn, long long id, const char *name,
                       struct tc_arena *arena, struct tc_submission_file *meta_out,
                       const unsigned char **bytes_out, struct tc_error *err)
{
    const char *params[2] = {tc_arena_printf(arena, "%lld", id), name};
    struct tc_db_result *res = NULL;
    size_t len = 0;
    enum tc_status st;

    if ((st = tc_db_exec(conn, sql_file_get, 2, params, arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_rows(res) != 1)
        return tc_fail(err, TC_ENOTFOUND, "submission %lld has no attachment \"%s\"", id, name);
    *meta_out = (struct tc_submission_file){tc_db_value(res, 0, 0), tc_db_value(res, 0, 1),
                                            tc_db_int(res, 0, 2, -1), tc_db_value(res, 0, 3)};
    if ((*bytes_out = tc_db_bytea(res, 0, 4, arena, &len)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    meta_out->size = (long long)len;
    return TC_OK;
}

struct review_ctx {
    long long id, actor_id;
    const char *id_text, *actor_text, *state, *comment, *client_addr;
    struct tc_arena *arena;
};

static const char sql_review_lock[] =
    "SELECT review_state FROM submissions WHERE id = $1::bigint FOR UPDATE";
static const char sql_review_set[] =
    "UPDATE submissions SET review_state = $2, updated_at = now() WHERE id = $1::bigint";
static const char sql_review_comment[] =
    "INSERT INTO review_comments (submission, actor_id, from_state, to_state, comment) "
    "VALUES ($1::bigint, $2::bigint, $3, $4, $5)";

static enum tc_status
review_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    struct review_ctx *r = ctx;
    struct tc_db_result *res = NULL;
    const char *from;
    char *detail;
    enum tc_status st;

    if ((st = tc_db_exec(conn, sql_review_lock, 1, &r->id_text, r->arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_rows(res) != 1)
        return tc_fail(err, TC_ENOTFOUND, "no submission %lld", r->id);
    from = tc_arena_strdup(r->arena, tc_db_value(res, 0, 0));
    st = tc_db_exec(conn, sql_review_set, 2, (const char *[]){r->id_text, r->state}, r->arena, NULL,
                    err);
    if (st == TC_OK)
        st = tc_db_exec(conn, sql_review_comment, 5,
                        (const char *[]){r->id_text, r->actor_text, from, r->state, r->comment},
                        r->arena, NULL, err);
    detail = tc_arena_printf(r->arena, "{\"from\": \"%s\", \"to\": \"%s\"}", from, r->state);
    if (st == TC_OK)
        st = tc_audit_append(conn,
                             &(struct tc_audit_event){.actor_kind = "user",
                                                      .actor_id = r->actor_id,
                                                      .action = "submission.review",
                                                      .object_kind = "submission",
                                                      .object_id = r->id_text,
                                                      .client_addr = r->client_addr,
                                                      .detail_json = detail},
                             r->arena, err);
    return st;
}

enum tc_status
tc_submission_review(struct tc_db_conn *conn, long long id, long long actor_id, const char *state,
                     const char *comment, const char *client_addr, struct tc_error *err)
{
    static const char *const states[] = {"received", "hasIssues", "edited", "approved", "rejected"};
    struct tc_arena *arena = tc_arena_create(4096);
    struct review_ctx r = {.id = id,
                           .actor_id = actor_id,
                           .state = state,
                           .comment = comment,
                           .client_addr = client_addr,
                           .arena = arena};
    bool known = false;
    enum tc_status st;

    for (size_t i = 0; state != NULL && i < sizeof(states) / sizeof(states[0]); i++)
        known |= strcmp(state, states[i]) == 0;
    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    r.id_text = tc_arena_printf(arena, "%lld", id);
    r.actor_text = actor_id > 0 ? tc_arena_printf(arena, "%lld", actor_id) : NULL;
    if (!known)
        st = tc_fail(err, TC_EINVAL, "invalid review state \"%s\"", state ? state : "");
    else
        st = tc_db_transact(conn, false, review_txn, &r, err);
    tc_arena_destroy(arena);
    return st;
}
