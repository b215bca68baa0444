#ifndef TC_TESTLIB_H
#define TC_TESTLIB_H

#include <stddef.h>

/*
 * Shared helpers for the db, http and e2e tests. A test that needs PostgreSQL calls
 * tc_test_db_create() first: with no database in the environment it exits 77 (CTest
 * "skipped"), or 1 when TINCAY_TEST_REQUIRE_DB=1, so CI never passes on skipped tests.
 */

/*
 * Create a fresh database named after `name` and the process id, and write its libpq
 * conninfo to `conninfo` (at least 256 bytes). Exits the process as above when no
 * server can be reached.
 */
void tc_test_db_create(const char *name, char *conninfo, size_t conninfo_size);

struct tc_db_pool;
struct tc_db_conn;

/*
 * tc_test_db_create, then a pool of `pool_size` connections to it, one of them acquired in
 * *conn_out, and every migration applied. Returns 0, or -1 after printing why.
 */
int tc_test_db_open(const char *name, size_t pool_size, char *conninfo, size_t conninfo_size,
                    struct tc_db_pool **pool_out, struct tc_db_conn **conn_out);

/* Release `conn`, destroy `pool` and drop the database (each may be NULL). */
void tc_test_db_close(const char *conninfo, struct tc_db_pool *pool, struct tc_db_conn *conn);

/* Drop the database created by tc_test_db_create (terminating leftover sessions). */
void tc_test_db_drop(const char *conninfo);

/* The absolute path of a file in the source tree, in a static buffer per call site. */
const char *tc_test_source_path(const char *relative, char *buf, size_t size);

#endif /* TC_TESTLIB_H */
