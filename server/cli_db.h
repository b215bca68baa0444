#ifndef TC_CLI_DB_H
#define TC_CLI_DB_H

#include <stdbool.h>

#include "tincay/config.h"
#include "tincay/status.h"

struct tc_cluster;
struct tc_db_pool;
struct tc_db_conn;

/*
 * What an admin command needs: the configuration, the database (the configured one, or
 * the private cluster: borrowed when the server runs it, else started for the command and
 * stopped afterwards) and one connection, with the schema migrated when asked.
 */
struct tc_cli_db {
    struct tc_config cfg;
    struct tc_cluster *cluster;
    struct tc_db_pool *pool;
    struct tc_db_conn *conn;
};

/*
 * Read the configuration (printing every bad value to stderr) and open the database.
 * On failure `err` says why and everything opened so far is closed again.
 */
enum tc_status tc_cli_db_open(struct tc_cli_db *db, bool migrate, struct tc_error *err);

/* Close whatever tc_cli_db_open opened; safe on a zeroed or failed struct. */
void tc_cli_db_close(struct tc_cli_db *db);

/* Print "tincay: <msg>" (and the detail, when any) to stderr; returns 1. */
int tc_cli_fail(const struct tc_error *err);

/* The language for terminal output: English unless LANGUAGE/LC_ALL/LANG asks for vi. */
enum tc_lang tc_cli_lang(void);

#endif /* TC_CLI_DB_H */
