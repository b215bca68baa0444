/* Plain facts of surveyed groups for the review pages (tincay/group_facts.h). */
#include "tincay/group_facts.h"

#include "tincay/arena.h"
#include "tincay/db.h"

#define FACTS_SELECT                                                                               \
    "SELECT s.id, coalesce(s.values->'identity'->>'legal_form', ''),"                              \
    "       CASE WHEN s.values->'membership'->>'members_total' ~ '^[0-9]{1,6}$'"                   \
    "            THEN (s.values->'membership'->>'members_total')::int ELSE -1 END,"                \
    "       CASE WHEN s.values->'membership'->>'members_women' ~ '^[0-9]{1,6}$'"                   \
    "            THEN (s.values->'membership'->>'members_women')::int ELSE -1 END"                 \
    "  FROM submissions s"

static const char sql_facts_commune[] =
    FACTS_SELECT "  JOIN scores sc ON sc.submission = s.id"
                 " WHERE sc.commune_era = $1 AND sc.commune_code = $2 AND sc.year = $3::int"
                 " ORDER BY s.id";
static const char sql_facts_one[] = FACTS_SELECT " WHERE s.id = $1::bigint";

static void
facts_from(const struct tc_db_result *res, size_t r, struct tc_group_facts *f)
{
    f->submission = tc_db_int(res, r, 0, 0);
    f->legal_form = tc_db_value(res, r, 1);
    f->members_total = (int)tc_db_int(res, r, 2, -1);
    f->members_women = (int)tc_db_int(res, r, 3, -1);
}

enum tc_status
tc_group_facts_of_commune(struct tc_db_conn *conn, const char *era, const char *code, int year,
                          struct tc_arena *arena, struct tc_group_facts **out, size_t *n_out,
                          struct tc_error *err)
{
    const char *params[] = {era, code, tc_arena_printf(arena, "%d", year)};
    struct tc_group_facts *facts;
    struct tc_db_result *res;
    enum tc_status st;

    if (params[2] == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((st = tc_db_exec(conn, sql_facts_commune, 3, params, arena, &res, err)) != TC_OK)
        return st;
    if ((facts = tc_arena_calloc(arena, tc_db_rows(res) + 1, sizeof(*facts))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < tc_db_rows(res); i++)
        facts_from(res, i, &facts[i]);
    *out = facts;
    *n_out = tc_db_rows(res);
    return TC_OK;
}

enum tc_status
tc_group_facts_get(struct tc_db_conn *conn, long long submission, struct tc_arena *arena,
                   struct tc_group_facts *out, struct tc_error *err)
{
    const char *params[] = {tc_arena_printf(arena, "%lld", submission)};
    struct tc_db_result *res;
    enum tc_status st;

    if (params[0] == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((st = tc_db_exec(conn, sql_facts_one, 1, params, arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_ENOTFOUND, "no group \"%s\"", params[0]);
    facts_from(res, 0, out);
    return TC_OK;
}
