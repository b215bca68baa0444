#include <stdio.h>
#include <string.h>

#include "cli_db.h"
#include "commands.h"
#include "tincay/audit.h"

static int
audit_verify(struct tc_db_conn *conn, struct tc_error *err)
{
    struct tc_audit_report rep;
    size_t chained = 0;

    /* Chain what committed since the last chainer ran, so the check covers every row. */
    if (tc_audit_chain(conn, 100000, &chained, err) != TC_OK ||
        tc_audit_verify(conn, &rep, err) != TC_OK)
        return tc_cli_fail(err);
    if (rep.first_broken_id != 0) {
        printf("audit chain BROKEN at row id %lld (position %lld in the chain); %zu rows "
               "before it are intact\n",
               rep.first_broken_id, rep.first_broken_seq, rep.checked);
        return 1;
    }
    printf("audit chain intact: %zu rows checked, %zu not chained yet\n", rep.checked,
           rep.unchained);
    return 0;
}

int
tc_cmd_audit(int argc, char **argv)
{
    struct tc_error err = TC_ERROR_INIT(tc_cli_lang());
    struct tc_cli_db db;
    int rc;

    if (argc != 2 || strcmp(argv[1], "verify") != 0) {
        fprintf(stderr, "usage: tincay audit verify\n");
        return 2;
    }
    if (tc_cli_db_open(&db, true, &err) != TC_OK)
        return tc_cli_fail(&err);
    rc = audit_verify(db.conn, &err);
    tc_cli_db_close(&db);
    return rc;
}
