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

/* Drop the database created by tc_test_db_create (terminating leftover sessions). */
void tc_test_db_drop(const char *conninfo);

/* The absolute path of a file in the source tree, in a static buffer per call site. */
const char *tc_test_source_path(const char *relative, char *buf, size_t size);

#endif /* TC_TESTLIB_H */
