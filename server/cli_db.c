#include "cli_db.h"

#include <stdio.h>
#include <stdlib.h>

#include "tincay/db.h"

struct tc_db_pool *
tc_cli_db_open(struct tc_error *err)
{
    const char *url = getenv("TINCAY_DATABASE_URL");

    return tc_db_pool_create(url != NULL ? url : "", 1, err);
}

int
tc_cli_fail(const struct tc_error *err)
{
    if (err->detail[0] != '\0')
        fprintf(stderr, "tincay: %s\nDETAIL: %s\n", err->msg, err->detail);
    else
        fprintf(stderr, "tincay: %s\n", err->msg);
    return 1;
}
