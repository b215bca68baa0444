#ifndef TC_CLI_DB_H
#define TC_CLI_DB_H

#include "tincay/status.h"

struct tc_db_pool;

/*
 * A one-connection pool for an admin command: TINCAY_DATABASE_URL when set, else libpq's
 * PG* environment. NULL (with `err` filled) when the database cannot be reached.
 */
struct tc_db_pool *tc_cli_db_open(struct tc_error *err);

/* Print "tincay: <msg>" (and the detail, when any) to stderr; returns 1. */
int tc_cli_fail(const struct tc_error *err);

#endif /* TC_CLI_DB_H */
