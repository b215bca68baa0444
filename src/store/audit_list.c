#include <stdio.h>

#include "tincay/arena.h"
#include "tincay/audit.h"
#include "tincay/db.h"

static const char sql_list[] =
    "SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), actor_kind,"
    " actor_login, action, object_kind, object_id, client_addr, outcome, chain_seq"
    " FROM audit_log ORDER BY id DESC OFFSET $1 LIMIT $2";

enum tc_status
tc_audit_list(struct tc_db_conn *conn, long long offset, size_t limit, struct tc_arena *arena,
              struct tc_audit_row **rows, size_t *n, struct tc_error *err)
{
    char off[24], lim[24];
    const char *params[] = {off, lim};
    struct tc_db_result *res;
    struct tc_audit_row *out;
    enum tc_status st;
    size_t count;

    (void)snprintf(off, sizeof(off), "%lld", offset < 0 ? 0 : offset);
    (void)snprintf(lim, sizeof(lim), "%zu", limit);
    if ((st = tc_db_exec(conn, sql_list, 2, params, arena, &res, err)) != TC_OK)
        return st;
    count = tc_db_rows(res);
    if ((out = tc_arena_calloc(arena, count + 1, sizeof(*out))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < count; i++) {
        out[i].id = tc_db_int(res, i, 0, 0);
        out[i].at = tc_db_value(res, i, 1);
        out[i].actor_kind = tc_db_value(res, i, 2);
        out[i].actor_login = tc_db_value(res, i, 3);
        out[i].action = tc_db_value(res, i, 4);
        out[i].object_kind = tc_db_value(res, i, 5);
        out[i].object_id = tc_db_value(res, i, 6);
        out[i].client_addr = tc_db_value(res, i, 7);
        out[i].outcome = tc_db_value(res, i, 8);
        out[i].chain_seq = tc_db_int(res, i, 9, 0);
    }
    *rows = out;
    *n = count;
    return TC_OK;
}
