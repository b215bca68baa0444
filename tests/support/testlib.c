#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "tincay/db.h"
#include "tincay/migrate.h"

static int
exit_code_without_db(void)
{
    const char *req = getenv("TINCAY_TEST_REQUIRE_DB");

    return req != NULL && strcmp(req, "1") == 0 ? 1 : 77;
}

static PGconn *
admin_connect(void)
{
    /* The maintenance database of the server libpq's environment points at. */
    PGconn *pg = PQconnectdb("dbname=postgres connect_timeout=5");

    if (PQstatus(pg) != CONNECTION_OK) {
        int code = exit_code_without_db();

        fprintf(stderr, "%s: no PostgreSQL reachable through PG* (%s)\n",
                code == 77 ? "skipped" : "FAILED", PQerrorMessage(pg));
        PQfinish(pg);
        exit(code);
    }
    return pg;
}

static void
run_admin(PGconn *pg, const char *sql)
{
    PGresult *res = PQexec(pg, sql);

    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "FAILED: %s: %s\n", sql, PQerrorMessage(pg));
        PQclear(res);
        PQfinish(pg);
        exit(1);
    }
    PQclear(res);
}

void
tc_test_db_create(const char *name, char *conninfo, size_t conninfo_size)
{
    char db[64], sql[160];
    PGconn *pg = admin_connect();

    snprintf(db, sizeof(db), "test_%s_%ld", name, (long)getpid());
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", db);
    run_admin(pg, sql);
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db);
    run_admin(pg, sql);
    PQfinish(pg);
    snprintf(conninfo, conninfo_size, "dbname=%s", db);
}

void
tc_test_db_drop(const char *conninfo)
{
    char sql[160];
    const char *db = strstr(conninfo, "dbname=");
    PGconn *pg;

    if (db == NULL)
        return;
    db += strlen("dbname=");
    pg = admin_connect();
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", db);
    run_admin(pg, sql);
    PQfinish(pg);
}

const char *
tc_test_source_path(const char *relative, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", TC_SOURCE_DIR, relative);
    return buf;
}

int
tc_test_db_open(const char *name, size_t pool_size, char *conninfo, size_t conninfo_size,
                struct tc_db_pool **pool_out, struct tc_db_conn **conn_out)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    *pool_out = NULL;
    *conn_out = NULL;
    tc_test_db_create(name, conninfo, conninfo_size);
    if ((*pool_out = tc_db_pool_create(conninfo, pool_size, &err)) == NULL ||
        (*conn_out = tc_db_acquire(*pool_out, 5000, &err)) == NULL ||
        tc_migrate(*conn_out, NULL, &err) != TC_OK) {
        fprintf(stderr, "test database %s: %s (%s)\n", name, err.msg, err.detail);
        return -1;
    }
    return 0;
}

void
tc_test_db_close(const char *conninfo, struct tc_db_pool *pool, struct tc_db_conn *conn)
{
    tc_db_release(pool, conn);
    tc_db_pool_destroy(pool);
    if (conninfo != NULL && conninfo[0] != '\0')
        tc_test_db_drop(conninfo);
}
