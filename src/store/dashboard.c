#include "tincay/dashboard.h"

#include <stdio.h>
#include <string.h>

#include "tincay/arena.h"
#include "tincay/db.h"

static const char sql_admin[] =
    "SELECT (SELECT count(*) FROM forms WHERE state = 'draft'),"
    "       (SELECT count(*) FROM forms WHERE state IN ('published', 'closing')),"
    "       (SELECT count(*) FROM users WHERE disabled_at IS NULL),"
    "       (SELECT count(*) FROM audit_log WHERE chain_seq IS NULL)";
static const char sql_area[] =
    "SELECT count(*) FILTER (WHERE s.review_state = 'hasIssues'),"
    "       count(*) FILTER (WHERE s.review_state = 'received')"
    "  FROM submissions s"
    "  LEFT JOIN communes c ON c.era = s.commune_era AND c.code = s.commune_code"
    " WHERE s.superseded_by IS NULL"
    "   AND CASE WHEN $2::text IS NOT NULL THEN s.commune_era = $1 AND s.commune_code = $2"
    "            ELSE c.province_code = $3 END";
static const char sql_collector[] =
    "SELECT count(*) FILTER (WHERE review_state = 'hasIssues'), count(*)"
    "  FROM submissions WHERE superseded_by IS NULL AND submitter_id = $1";

static const char sql_cases[] =
    "SELECT count(*),"
    "       count(*) FILTER (WHERE NOT EXISTS ("
    "           SELECT 1 FROM submissions s WHERE s.case_code = c.case_code"
    "              AND s.received_at > now() - interval '30 days'))"
    "  FROM cases c JOIN units u ON u.id = c.unit_id"
    " WHERE CASE WHEN $1::bigint <> 0 THEN c.unit_id = $1::bigint ELSE u.province_code = $2 END";

/* Run `sql` and copy the first row's integers into `out[0..n)`. */
static enum tc_status
counts(struct tc_db_conn *conn, const char *sql, size_t n_params, const char *const *params,
       long long *const *out, size_t n, struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(1024);
    struct tc_db_result *res;
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((st = tc_db_exec(conn, sql, n_params, params, arena, &res, err)) == TC_OK)
        for (size_t i = 0; i < n; i++)
            *out[i] = tc_db_int(res, 0, i, 0);
    tc_arena_destroy(arena);
    return st;
}

enum tc_status
tc_dashboard_admin(struct tc_db_conn *conn, struct tc_dashboard_admin *out, struct tc_error *err)
{
    long long *const fields[] = {&out->forms_draft, &out->forms_published, &out->users_enabled,
                                 &out->audit_unchained};

    memset(out, 0, sizeof(*out));
    return counts(conn, sql_admin, 0, NULL, fields, 4, err);
}

enum tc_status
tc_dashboard_area(struct tc_db_conn *conn, const char *era, const char *commune,
                  const char *province, struct tc_dashboard_area *out, struct tc_error *err)
{
    const char *params[] = {era, commune, province};
    long long *const fields[] = {&out->has_issues, &out->received};

    memset(out, 0, sizeof(*out));
    if ((commune == NULL || commune[0] == '\0') && (province == NULL || province[0] == '\0'))
        return TC_OK;
    if (commune != NULL && commune[0] == '\0')
        params[1] = NULL;
    return counts(conn, sql_area, 3, params, fields, 2, err);
}

enum tc_status
tc_dashboard_collector(struct tc_db_conn *conn, long long user_id, struct tc_dashboard_area *out,
                       struct tc_error *err)
{
    char id[24];
    const char *params[] = {id};
    long long *const fields[] = {&out->has_issues, &out->received};

    memset(out, 0, sizeof(*out));
    (void)snprintf(id, sizeof(id), "%lld", user_id);
    return counts(conn, sql_collector, 1, params, fields, 2, err);
}

enum tc_status
tc_dashboard_cases(struct tc_db_conn *conn, long long unit_id, const char *province,
                   struct tc_dashboard_cases *out, struct tc_error *err)
{
    char id[24];
    const char *params[] = {id, province};
    long long *const fields[] = {&out->open, &out->quiet};

    memset(out, 0, sizeof(*out));
    if (unit_id == 0 && (province == NULL || province[0] == '\0'))
        return TC_OK;
    (void)snprintf(id, sizeof(id), "%lld", unit_id);
    return counts(conn, sql_cases, 2, params, fields, 2, err);
}
