#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "testlib.h"
#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/embedded.h"
#include "tincay/migrate.h"

struct fixture {
    char conninfo[256];
    struct tc_db_pool *pool;
    struct tc_arena *arena;
    struct tc_db_conn *conn;
};

#define MIGRATION(name, sql)                                                                       \
    {                                                                                              \
        name, sql, sizeof(sql) - 1                                                                 \
    }

static const struct tc_embedded good[] = {
    MIGRATION("001_a.sql", "CREATE TABLE a (id int PRIMARY KEY); INSERT INTO a VALUES (1)"),
    MIGRATION("002_b.sql", "CREATE TABLE b (id int); ALTER TABLE a ADD COLUMN note text"),
};

static const struct tc_embedded with_failure[] = {
    MIGRATION("001_a.sql", "CREATE TABLE a (id int PRIMARY KEY); INSERT INTO a VALUES (1)"),
    MIGRATION("002_b.sql", "CREATE TABLE b (id int); ALTER TABLE a ADD COLUMN note text"),
    MIGRATION("003_c.sql", "CREATE TABLE c (id int); INSERT INTO a VALUES (2); SELECT 1/0"),
};

static int
setup(void **state)
{
    static struct fixture f;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    tc_test_db_create("migrate", f.conninfo, sizeof(f.conninfo));
    if ((f.pool = tc_db_pool_create(f.conninfo, 3, &err)) == NULL)
        return -1;
    *state = &f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    tc_db_pool_destroy(f->pool);
    tc_test_db_drop(f->conninfo);
    return 0;
}

static int
per_test_setup(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    f->arena = tc_arena_create(4096);
    f->conn = tc_db_acquire_for(f->pool, f->arena, 1000, &err);
    if (f->conn == NULL)
        return -1;
    /* Each test starts from an empty database. */
    return tc_db_exec_simple(f->conn, "DROP SCHEMA public CASCADE; CREATE SCHEMA public", &err) ==
                   TC_OK
               ? 0
               : -1;
}

static int
per_test_teardown(void **state)
{
    struct fixture *f = *state;

    tc_arena_destroy(f->arena);
    return 0;
}

static long long
scalar(struct fixture *f, const char *sql)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_result *res;

    assert_int_equal(tc_db_exec(f->conn, sql, 0, NULL, f->arena, &res, &err), TC_OK);
    return tc_db_int(res, 0, 0, -1);
}

static void
embedded_migrations_apply_once(void **state)
{
    static const char count[] = "SELECT count(*) FROM schema_migrations";
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_migration_state *states;
    size_t applied = 99, n = 0;

    assert_true(tc_migrations_count > 0);
    assert_int_equal(tc_migrate_status(f->conn, f->arena, &states, &n, &err), TC_OK);
    assert_int_equal(n, tc_migrations_count);
    assert_null(states[0].applied_at);

    assert_int_equal(tc_migrate(f->conn, &applied, &err), TC_OK);
    assert_int_equal(applied, tc_migrations_count);
    assert_int_equal(scalar(f, count), (long long)tc_migrations_count);
    assert_int_equal(tc_migrate(f->conn, &applied, &err), TC_OK); /* re-run: a no-op */
    assert_int_equal(applied, 0);
    assert_int_equal(scalar(f, count), (long long)tc_migrations_count);

    assert_int_equal(tc_migrate_status(f->conn, f->arena, &states, &n, &err), TC_OK);
    assert_int_equal(n, tc_migrations_count);
    for (size_t i = 0; i < n; i++) {
        assert_true(states[i].known);
        assert_non_null(states[i].applied_at);
    }
    assert_int_equal(states[n - 1].version, tc_migrate_latest());
}

static void
injected_list_applies_in_order(void **state)
{
    static const char max[] = "SELECT max(version) FROM schema_migrations";
    static const char note[] = "SELECT count(note) FROM a";
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    size_t applied = 0;

    assert_int_equal(tc_migrate_list(f->conn, good, 1, &applied, &err), TC_OK);
    assert_int_equal(applied, 1);
    assert_int_equal(tc_migrate_list(f->conn, good, 2, &applied, &err), TC_OK);
    assert_int_equal(applied, 1); /* only the new one */
    assert_int_equal(scalar(f, max), 2);
    assert_int_equal(scalar(f, note), 0); /* 002's column exists */
}

static void
newer_database_is_refused(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    size_t applied = 0;

    assert_int_equal(tc_migrate_list(f->conn, good, 2, &applied, &err), TC_OK);
    assert_int_equal(tc_db_exec_simple(f->conn,
                                       "INSERT INTO schema_migrations (version, name) "
                                       "VALUES (7, '007_future.sql')",
                                       &err),
                     TC_OK);
    assert_int_equal(tc_migrate_list(f->conn, with_failure, 2, &applied, &err), TC_ECONFLICT);
    assert_string_equal(err.msg, "database schema version 7 is newer than this tincay "
                                 "(knows up to 2); upgrade tincay");
    assert_int_equal(applied, 0);
}

static void
failing_migration_leaves_nothing(void **state)
{
    static const char tables[] =
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'c'";
    static const char rows[] = "SELECT count(*) FROM a";
    static const char max[] = "SELECT max(version) FROM schema_migrations";
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    size_t applied = 0;

    assert_int_equal(tc_migrate_list(f->conn, with_failure, 3, &applied, &err), TC_EINVAL);
    assert_string_equal(err.msg, "migration \"003_c.sql\" failed");
    assert_non_null(strstr(err.detail, "division by zero"));
    assert_int_equal(applied, 2); /* the earlier ones stay, each committed on its own */
    assert_int_equal(scalar(f, max), 2);
    assert_int_equal(scalar(f, tables), 0);
    assert_int_equal(scalar(f, rows), 1);
}

static void
misnamed_list_is_refused(void **state)
{
    static const struct tc_embedded bad[] = {
        MIGRATION("002_b.sql", "SELECT 1"),
        MIGRATION("001_a.sql", "SELECT 1"),
    };
    static const struct tc_embedded odd[] = {MIGRATION("01_a.sql", "SELECT 1")};
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    assert_int_equal(tc_migrate_list(f->conn, bad, 2, NULL, &err), TC_EINTERNAL);
    assert_int_equal(tc_migrate_list(f->conn, odd, 1, NULL, &err), TC_EINTERNAL);
}

struct starter {
    struct tc_db_pool *pool;
    size_t applied;
    enum tc_status st;
};

static void *
start(void *ptr)
{
    struct starter *s = ptr;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire(s->pool, 5000, &err);

    s->st = conn ? tc_migrate_list(conn, good, 2, &s->applied, &err) : err.status;
    tc_db_release(s->pool, conn);
    return NULL;
}

static void
concurrent_starters_apply_each_once(void **state)
{
    struct fixture *f = *state;
    struct starter s[2] = {{.pool = f->pool}, {.pool = f->pool}};
    pthread_t th[2];

    for (size_t i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, start, &s[i]), 0);
    for (size_t i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(s[0].st, TC_OK);
    assert_int_equal(s[1].st, TC_OK);
    assert_int_equal(s[0].applied + s[1].applied, 2);
    assert_int_equal(scalar(f, "SELECT count(*) FROM schema_migrations"), 2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(embedded_migrations_apply_once, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(injected_list_applies_in_order, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(newer_database_is_refused, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(failing_migration_leaves_nothing, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(misnamed_list_is_refused, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(concurrent_starters_apply_each_once, per_test_setup,
                                        per_test_teardown),
    };

    return cmocka_run_group_tests_name("migrate", tests, setup, teardown);
}
