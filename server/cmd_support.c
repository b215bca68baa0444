#include <stdio.h>
#include <string.h>

#include "cli_db.h"
#include "commands.h"
#include "tincay/rules.h"

#define USAGE "usage: tincay support import FILE.csv [--source NAME]\n"

int
tc_cmd_support(int argc, char **argv)
{
    struct tc_error err = TC_ERROR_INIT(tc_cli_lang());
    struct tc_cli_db db;
    size_t n = 0;
    int rc = 0;

    if (!(argc == 3 || (argc == 5 && strcmp(argv[3], "--source") == 0)) ||
        strcmp(argv[1], "import") != 0) {
        fputs(USAGE, stderr);
        return 2;
    }
    if (tc_cli_db_open(&db, true, &err) != TC_OK)
        return tc_cli_fail(&err);
    if (tc_support_import_csv(db.conn, argv[2], argc == 5 ? argv[4] : NULL, &n, &err) != TC_OK)
        rc = tc_cli_fail(&err);
    else
        printf("%zu support registry rows imported from %s\n", n, argv[2]);
    tc_cli_db_close(&db);
    return rc;
}
