#include <stdio.h>
#include <string.h>

#include "cli_db.h"
#include "commands.h"
#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/migrate.h"

static int
print_status(struct tc_db_conn *conn, struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(4096);
    struct tc_migration_state *states;
    size_t n;
    int rc = 0;

    if (arena == NULL) {
        tc_fail(err, TC_ENOMEM, "out of memory");
        return tc_cli_fail(err);
    }
    if (tc_migrate_status(conn, arena, &states, &n, err) != TC_OK) {
        rc = tc_cli_fail(err);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        printf("%03d  %-32s  %s%s\n", states[i].version, states[i].name ? states[i].name : "",
               states[i].applied_at ? states[i].applied_at : "pending",
               states[i].known ? "" : "  (unknown to this tincay)");
out:
    tc_arena_destroy(arena);
    return rc;
}

int
tc_cmd_migrate(int argc, char **argv)
{
    struct tc_error err = TC_ERROR_INIT(tc_cli_lang());
    struct tc_cli_db db;
    bool status_only = argc == 2 && strcmp(argv[1], "--status") == 0;
    size_t applied = 0;
    int rc = 1;

    if (argc > 2 || (argc == 2 && !status_only)) {
        fprintf(stderr, "usage: tincay migrate [--status]\n");
        return 2;
    }
    if (tc_cli_db_open(&db, false, &err) != TC_OK)
        return tc_cli_fail(&err);
    if (status_only) {
        rc = print_status(db.conn, &err);
        goto out;
    }
    if (tc_migrate(db.conn, &applied, &err) != TC_OK)
        goto out_fail;
    printf("applied %zu migration(s); schema version %d\n", applied, tc_migrate_latest());
    rc = 0;
    goto out;
out_fail:
    rc = tc_cli_fail(&err);
out:
    tc_cli_db_close(&db);
    return rc;
}
