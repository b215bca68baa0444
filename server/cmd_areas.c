#include <stdio.h>
#include <string.h>

#include "cli_db.h"
#include "commands.h"
#include "tincay/rules.h"

#define USAGE                                                                                      \
    "usage: tincay areas load FILE\n"                                                              \
    "       tincay areas villages-csv FORM_MEDIA_DIR\n"

int
tc_cmd_areas(int argc, char **argv)
{
    struct tc_error err = TC_ERROR_INIT(tc_cli_lang());
    struct tc_cli_db db;
    size_t n = 0;
    int rc = 0;

    if (argc != 3 || (strcmp(argv[1], "load") != 0 && strcmp(argv[1], "villages-csv") != 0)) {
        fputs(USAGE, stderr);
        return 2;
    }
    if (tc_cli_db_open(&db, true, &err) != TC_OK)
        return tc_cli_fail(&err);
    if (strcmp(argv[1], "load") == 0) {
        if (tc_areas_load_csv(db.conn, argv[2], &n, &err) != TC_OK)
            rc = tc_cli_fail(&err);
        else
            printf("%zu area rows loaded from %s\n", n, argv[2]);
    } else if (tc_areas_villages_csv(db.conn, argv[2], &n, &err) != TC_OK) {
        rc = tc_cli_fail(&err);
    } else {
        printf("%s/villages.csv written with %zu villages\n", argv[2], n);
    }
    tc_cli_db_close(&db);
    return rc;
}
