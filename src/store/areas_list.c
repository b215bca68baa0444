#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/rules.h"

static const char sql_areas_list[] =
    "SELECT era, commune_code, village_label, kv, dbkk, source, verified FROM areas"
    " ORDER BY era, commune_code, village_name NULLS FIRST";

enum tc_status
tc_areas_list(struct tc_db_conn *conn, struct tc_arena *arena, struct tc_area **out, size_t *n_out,
              struct tc_error *err)
{
    struct tc_db_result *res;
    struct tc_area *v;
    size_t n;
    enum tc_status st;

    if ((st = tc_db_exec(conn, sql_areas_list, 0, NULL, arena, &res, err)) != TC_OK)
        return st;
    n = tc_db_rows(res);
    if ((v = tc_arena_calloc(arena, n + 1, sizeof(*v))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t r = 0; r < n; r++) {
        v[r].era = tc_db_value(res, r, 0);
        v[r].commune_code = tc_db_value(res, r, 1);
        v[r].village_label = tc_db_value(res, r, 2);
        v[r].kv = tc_db_value(res, r, 3);
        v[r].has_dbkk = !tc_db_is_null(res, r, 4);
        v[r].dbkk = tc_db_bool(res, r, 4);
        v[r].source = tc_db_value(res, r, 5);
        v[r].verified = tc_db_bool(res, r, 6);
    }
    *out = v;
    *n_out = n;
    return TC_OK;
}
