#include "tincay/caselog.h"

#include <stdio.h>
#include <string.h>

#include "tincay/arena.h"
#include "tincay/db.h"

#define ISO(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

static const char sql_unit[] =
    "SELECT id, code, province_code, commune_code, public_key FROM units"
    " WHERE ($1::bigint > 0 AND id = $1::bigint) OR ($1::bigint = 0 AND code = $2)";

/* The follow-ups of a case: sealed to its unit, carrying its code, not its intake. */
#define FOLLOWUPS_OF(c)                                                                            \
    "SELECT s.id, s.form_id, s.instance_id, s.received_at FROM submissions s"                      \
    " JOIN submission_keys k ON k.submission = s.id"                                               \
    " WHERE s.case_code = " c ".case_code AND k.unit_id = " c ".unit_id"                           \
    "   AND s.id IS DISTINCT FROM " c ".submission AND s.superseded_by IS NULL"

#define CASE_SELECT                                                                                \
    "SELECT c.id, c.unit_id, coalesce(c.submission, 0), c.case_code, c.form_id, u.code,"           \
    " u.province_code, u.commune_code, c.report::text, " ISO(                                      \
        "c.created_at") ","                                                                        \
                        " " ISO("greatest(c.created_at, f.last)") ", coalesce(f.n, 0),"            \
                                                                  " EXISTS (SELECT 1 FROM "        \
                                                                  "blind_indexes b WHERE "         \
                                                                  "b.case_id = c.id)"              \
                                                                  " FROM cases c JOIN units u ON " \
                                                                  "u.id = c.unit_id"               \
                                                                  " LEFT JOIN LATERAL (SELECT "    \
                                                                  "count(*) AS n, "                \
                                                                  "max(x.received_at) AS last"     \
                                                                  "   FROM (" FOLLOWUPS_OF(        \
                                                                      "c") ") x) f ON true"

static const char sql_case_get[] = CASE_SELECT " WHERE c.case_code = $1";
static const char sql_case_list[] =
    CASE_SELECT " WHERE ($1::bigint > 0 AND c.unit_id = $1::bigint)"
                "    OR ($1::bigint = 0 AND u.province_code = $2)"
                " ORDER BY c.created_at DESC, c.id DESC LIMIT $3::bigint OFFSET $4::bigint";
static const char sql_case_count[] = "SELECT count(*) FROM cases c JOIN units u ON u.id = c.unit_id"
                                     " WHERE ($1::bigint > 0 AND c.unit_id = $1::bigint) OR "
                                     "($1::bigint = 0 AND u.province_code = $2)";
static const char sql_followups[] = "SELECT s.id, s.form_id, s.instance_id, " ISO(
    "s.received_at") " FROM submissions s"
                     " JOIN submission_keys k ON k.submission = s.id"
                     " WHERE s.case_code = $2 AND k.unit_id = $1::bigint AND s.id <> $3::bigint"
                     "   AND s.superseded_by IS NULL ORDER BY s.received_at, s.id";
static const char sql_attachments[] =
    "SELECT submission, name, content_type, bytes IS NOT NULL FROM submission_attachments"
    " WHERE submission = ANY ($1::bigint[]) ORDER BY submission, name";
static const char sql_attachment_bytes[] =
    "SELECT content_type, bytes FROM submission_attachments"
    " WHERE submission = $1::bigint AND name = $2 AND bytes IS NOT NULL";
static const char sql_reports[] =
    "SELECT c.report::text, to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM')"
    " FROM cases c JOIN units u ON u.id = c.unit_id"
    " WHERE ($1::bigint > 0 AND c.unit_id = $1::bigint) OR ($1::bigint = 0 AND u.province_code = "
    "$2)";

static const char sql_instance_exists[] =
    "SELECT EXISTS (SELECT 1 FROM submissions WHERE form_id = $1 AND instance_id = $2)";

static const char *
ll_text(struct tc_arena *arena, long long v)
{
    return tc_arena_printf(arena, "%lld", v);
}

static enum tc_status
oom(struct tc_error *err)
{
    return tc_fail(err, TC_ENOMEM, "out of memory");
}

enum tc_status
tc_caselog_unit(struct tc_db_conn *conn, long long unit_id, const char *code,
                struct tc_arena *arena, struct tc_caselog_unit *out, struct tc_error *err)
{
    const char *params[] = {ll_text(arena, unit_id > 0 ? unit_id : 0), code};
    struct tc_db_result *res;
    unsigned char *pk;
    size_t pk_len = 0;
    enum tc_status st;

    if (params[0] == NULL)
        return oom(err);
    if ((st = tc_db_exec(conn, sql_unit, 2, params, arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_ENOTFOUND, "no such unit");
    pk = tc_db_bytea(res, 0, 4, arena, &pk_len);
    if (pk == NULL || pk_len != TC_PUBLIC_KEY_BYTES)
        return tc_fail(err, TC_EINTERNAL, "unit %lld has a damaged public key",
                       tc_db_int(res, 0, 0, 0));
    out->id = tc_db_int(res, 0, 0, 0);
    out->code = tc_db_value(res, 0, 1);
    out->province_code = tc_db_value(res, 0, 2);
    out->commune_code = tc_db_value(res, 0, 3);
    memcpy(out->public_key, pk, TC_PUBLIC_KEY_BYTES);
    return TC_OK;
}

static void
case_from_row(const struct tc_db_result *res, size_t row, struct tc_caselog_case *out)
{
    *out = (struct tc_caselog_case){
        .id = tc_db_int(res, row, 0, 0),
        .unit_id = tc_db_int(res, row, 1, 0),
        .submission = tc_db_int(res, row, 2, 0),
        .case_code = tc_db_value(res, row, 3),
        .form_id = tc_db_value(res, row, 4),
        .unit_code = tc_db_value(res, row, 5),
        .province_code = tc_db_value(res, row, 6),
        .commune_code = tc_db_value(res, row, 7),
        .report_json = tc_db_value(res, row, 8),
        .created_at = tc_db_value(res, row, 9),
        .updated_at = tc_db_value(res, row, 10),
        .n_followups = tc_db_int(res, row, 11, 0),
        .has_hints = tc_db_bool(res, row, 12),
    };
}

enum tc_status
tc_caselog_get(struct tc_db_conn *conn, const char *case_code, struct tc_arena *arena,
               struct tc_caselog_case *out, struct tc_error *err)
{
    const char *params[] = {case_code};
    struct tc_db_result *res;
    enum tc_status st;

    if ((st = tc_db_exec(conn, sql_case_get, 1, params, arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_ENOTFOUND, "no case \"%s\"", case_code);
    case_from_row(res, 0, out);
    return TC_OK;
}

enum tc_status
tc_caselog_list(struct tc_db_conn *conn, long long unit_id, const char *province, size_t limit,
                size_t offset, struct tc_arena *arena, struct tc_caselog_case **out, size_t *n,
                long long *total, struct tc_error *err)
{
    const char *params[] = {ll_text(arena, unit_id), province, ll_text(arena, (long long)limit),
                            ll_text(arena, (long long)offset)};
    struct tc_db_result *res, *count;
    enum tc_status st;

    if (params[0] == NULL || params[2] == NULL || params[3] == NULL)
        return oom(err);
    if ((st = tc_db_exec(conn, sql_case_count, 2, params, arena, &count, err)) != TC_OK ||
        (st = tc_db_exec(conn, sql_case_list, 4, params, arena, &res, err)) != TC_OK)
        return st;
    *total = tc_db_int(count, 0, 0, 0);
    if ((*out = tc_arena_calloc(arena, tc_db_rows(res) + 1, sizeof(**out))) == NULL)
        return oom(err);
    for (size_t i = 0; i < tc_db_rows(res); i++)
        case_from_row(res, i, &(*out)[i]);
    *n = tc_db_rows(res);
    return TC_OK;
}

enum tc_status
tc_caselog_followups(struct tc_db_conn *conn, long long unit_id, const char *case_code,
                     long long intake, struct tc_arena *arena, struct tc_caselog_entry **out,
                     size_t *n, struct tc_error *err)
{
    const char *params[] = {ll_text(arena, unit_id), case_code, ll_text(arena, intake)};
    struct tc_db_result *res;
    enum tc_status st;

    if (params[0] == NULL || params[2] == NULL)
        return oom(err);
    if ((st = tc_db_exec(conn, sql_followups, 3, params, arena, &res, err)) != TC_OK)
        return st;
    if ((*out = tc_arena_calloc(arena, tc_db_rows(res) + 1, sizeof(**out))) == NULL)
        return oom(err);
    for (size_t i = 0; i < tc_db_rows(res); i++)
        (*out)[i] = (struct tc_caselog_entry){.submission = tc_db_int(res, i, 0, 0),
                                              .form_id = tc_db_value(res, i, 1),
                                              .instance_id = tc_db_value(res, i, 2),
                                              .received_at = tc_db_value(res, i, 3)};
    *n = tc_db_rows(res);
    return TC_OK;
}

enum tc_status
tc_caselog_attachments(struct tc_db_conn *conn, const long long *subs, size_t n_subs,
                       struct tc_arena *arena, struct tc_caselog_attachment **out, size_t *n,
                       struct tc_error *err)
{
    char *list = tc_arena_alloc(arena, n_subs * 21 + 3);
    const char *params[1];
    struct tc_db_result *res;
    size_t pos = 0;
    enum tc_status st;

    if (list == NULL)
        return oom(err);
    list[pos++] = '{';
    for (size_t i = 0; i < n_subs; i++)
        pos += (size_t)snprintf(list + pos, 22, "%s%lld", i > 0 ? "," : "", subs[i]);
    list[pos++] = '}';
    list[pos] = '\0';
    params[0] = list;
    if ((st = tc_db_exec(conn, sql_attachments, 1, params, arena, &res, err)) != TC_OK)
        return st;
    if ((*out = tc_arena_calloc(arena, tc_db_rows(res) + 1, sizeof(**out))) == NULL)
        return oom(err);
    for (size_t i = 0; i < tc_db_rows(res); i++)
        (*out)[i] = (struct tc_caselog_attachment){
            .submission = tc_db_int(res, i, 0, 0),
            .name = tc_db_value(res, i, 1),
            .content_type = tc_db_is_null(res, i, 2) ? NULL : tc_db_value(res, i, 2),
            .received = tc_db_bool(res, i, 3)};
    *n = tc_db_rows(res);
    return TC_OK;
}

enum tc_status
tc_caselog_attachment_bytes(struct tc_db_conn *conn, long long submission, const char *name,
                            struct tc_arena *arena, const char **content_type,
                            unsigned char **bytes, size_t *len, struct tc_error *err)
{
    const char *params[] = {ll_text(arena, submission), name};
    struct tc_db_result *res;
    enum tc_status st;

    if (params[0] == NULL)
        return oom(err);
    if ((st = tc_db_exec(conn, sql_attachment_bytes, 2, params, arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_ENOTFOUND, "no attachment \"%s\"", name);
    *content_type = tc_db_is_null(res, 0, 0) ? "application/octet-stream" : tc_db_value(res, 0, 0);
    if ((*bytes = tc_db_bytea(res, 0, 1, arena, len)) == NULL)
        return oom(err);
    return TC_OK;
}

enum tc_status
tc_caselog_reports(struct tc_db_conn *conn, long long unit_id, const char *province,
                   struct tc_arena *arena, struct tc_caselog_report **out, size_t *n,
                   struct tc_error *err)
{
    const char *params[] = {ll_text(arena, unit_id), province};
    struct tc_db_result *res;
    enum tc_status st;

    if (params[0] == NULL)
        return oom(err);
    if ((st = tc_db_exec(conn, sql_reports, 2, params, arena, &res, err)) != TC_OK)
        return st;
    if ((*out = tc_arena_calloc(arena, tc_db_rows(res) + 1, sizeof(**out))) == NULL)
        return oom(err);
    for (size_t i = 0; i < tc_db_rows(res); i++)
        (*out)[i] = (struct tc_caselog_report){.report_json = tc_db_value(res, i, 0),
                                               .created_month = tc_db_value(res, i, 1)};
    *n = tc_db_rows(res);
    return TC_OK;
}

enum tc_status
tc_caselog_instance_exists(struct tc_db_conn *conn, const char *form_id, const char *instance_id,
                           bool *out, struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(256);
    const char *params[] = {form_id, instance_id};
    struct tc_db_result *res;
    enum tc_status st;

    if (arena == NULL)
        return oom(err);
    st = tc_db_exec(conn, sql_instance_exists, 2, params, arena, &res, err);
    if (st == TC_OK)
        *out = tc_db_bool(res, 0, 0);
    tc_arena_destroy(arena);
    return st;
}
