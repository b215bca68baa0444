#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testlib.h"
#include "tincay/arena.h"
#include "tincay/db.h"

struct fixture {
    char conninfo[256];
    struct tc_db_pool *pool;
    struct tc_arena *arena;
};

static const char sql_schema[] =
    "CREATE TABLE t (k int PRIMARY KEY, v int NOT NULL, note text, blob bytea);"
    "INSERT INTO t (k, v) VALUES (1, 0)";

static int
setup(void **state)
{
    static struct fixture f;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn;

    tc_test_db_create("db", f.conninfo, sizeof(f.conninfo));
    f.pool = tc_db_pool_create(f.conninfo, 2, &err);
    if (f.pool == NULL) {
        fprintf(stderr, "pool: %s: %s\n", err.msg, err.detail);
        return -1;
    }
    conn = tc_db_acquire(f.pool, 1000, &err);
    if (conn == NULL || tc_db_exec_simple(conn, sql_schema, &err) != TC_OK)
        return -1;
    tc_db_release(f.pool, conn);
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

    f->arena = tc_arena_create(4096);
    return f->arena ? 0 : -1;
}

static int
per_test_teardown(void **state)
{
    struct fixture *f = *state;

    tc_arena_destroy(f->arena); /* clears results, then releases connections */
    f->arena = NULL;
    return 0;
}

static struct tc_db_conn *
acquire(struct fixture *f)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire_for(f->pool, f->arena, 1000, &err);

    assert_non_null(conn);
    return conn;
}

static long long
value_of(struct fixture *f, struct tc_db_conn *conn, int k)
{
    static const char sql[] = "SELECT v FROM t WHERE k = $1";
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_result *res;
    char *key = tc_arena_printf(f->arena, "%d", k);
    const char *params[] = {key};

    assert_int_equal(tc_db_exec(conn, sql, 1, params, f->arena, &res, &err), TC_OK);
    return tc_db_rows(res) == 1 ? tc_db_int(res, 0, 0, -1) : -1;
}

static void
exec_with_params_and_nulls(void **state)
{
    static const char ins[] = "INSERT INTO t (k, v, note) VALUES ($1, $2, $3)";
    static const char sel[] = "SELECT k, v, note, note IS NULL FROM t WHERE k >= $1 ORDER BY k";
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = acquire(f);
    struct tc_db_result *res;
    const char *a[] = {"10", "7", "hello"}, *b[] = {"11", "8", NULL}, *s[] = {"10"};

    assert_int_equal(tc_db_exec(conn, ins, 3, a, f->arena, &res, &err), TC_OK);
    assert_int_equal(tc_db_affected(res), 1);
    assert_int_equal(tc_db_exec(conn, ins, 3, b, f->arena, NULL, &err), TC_OK);
    assert_int_equal(tc_db_exec(conn, sel, 1, s, f->arena, &res, &err), TC_OK);
    assert_int_equal(tc_db_rows(res), 2);
    assert_int_equal(tc_db_cols(res), 4);
    assert_int_equal(tc_db_int(res, 0, 1, -1), 7);
    assert_string_equal(tc_db_value(res, 0, 2), "hello");
    assert_int_equal(tc_db_length(res, 0, 2), 5);
    assert_false(tc_db_bool(res, 0, 3));
    assert_null(tc_db_value(res, 1, 2));
    assert_true(tc_db_is_null(res, 1, 2));
    assert_true(tc_db_bool(res, 1, 3));
    assert_int_equal(tc_db_int(res, 1, 2, 42), 42); /* NULL → fallback */
    assert_null(tc_db_value(res, 5, 0));            /* out of range reads as NULL */
}

static void
bytea_round_trips_binary(void **state)
{
    static const char upd[] = "UPDATE t SET blob = $2 WHERE k = $1";
    static const char sel[] = "SELECT blob, length(blob) FROM t WHERE k = $1";
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = acquire(f);
    struct tc_db_result *res;
    unsigned char bytes[300], *back;
    size_t len = 0;
    const char *params[] = {"1", (const char *)bytes};
    const size_t lengths[] = {1, sizeof(bytes)};
    const bool binary[] = {false, true};

    for (size_t i = 0; i < sizeof(bytes); i++)
        bytes[i] = (unsigned char)(i * 7); /* includes NUL bytes */
    assert_int_equal(tc_db_exec_bin(conn, upd, 2, params, lengths, binary, f->arena, &res, &err),
                     TC_OK);
    assert_int_equal(tc_db_affected(res), 1);
    assert_int_equal(tc_db_exec(conn, sel, 1, params, f->arena, &res, &err), TC_OK);
    assert_int_equal(tc_db_int(res, 0, 1, -1), sizeof(bytes));
    back = tc_db_bytea(res, 0, 0, f->arena, &len);
    assert_non_null(back);
    assert_int_equal(len, sizeof(bytes));
    assert_memory_equal(back, bytes, sizeof(bytes));
}

static void
unique_violation_maps_to_conflict(void **state)
{
    static const char ins[] = "INSERT INTO t (k, v) VALUES ($1, 0)";
    static const char bad[] = "INSERT INTO t (k, v) VALUES ($1, NULL)";
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = acquire(f);
    const char *p[] = {"1"}, *q[] = {"20"};

    assert_int_equal(tc_db_exec(conn, ins, 1, p, f->arena, NULL, &err), TC_ECONFLICT);
    assert_int_equal(err.status, TC_ECONFLICT);
    assert_non_null(strstr(err.detail, "t_pkey")); /* the server's words go to detail */
    assert_null(strstr(err.msg, "t_pkey"));
    assert_int_equal(tc_db_exec(conn, bad, 1, q, f->arena, NULL, &err), TC_EINVAL);
    assert_int_equal(tc_db_exec_simple(conn, "SELECT no_such_column FROM t", &err), TC_EDB);
}

/* Another session changes the row read by a serializable transaction: 40001 on update. */
struct race {
    struct tc_db_conn *other;
    struct tc_arena *arena;
    int runs, interfere_runs;
};

static enum tc_status
bump_after_read(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    static const char sql_read[] = "SELECT v FROM t WHERE k = 1";
    static const char bump[] = "UPDATE t SET v = v + 1 WHERE k = 1";
    struct race *r = ctx;
    enum tc_status st;

    r->runs++;
    if ((st = tc_db_exec(conn, sql_read, 0, NULL, r->arena, NULL, err)) != TC_OK)
        return st;
    if (r->runs <= r->interfere_runs &&
        (st = tc_db_exec(r->other, bump, 0, NULL, r->arena, NULL, err)) != TC_OK)
        return st;
    return tc_db_exec(conn, bump, 0, NULL, r->arena, NULL, err);
}

static void
serialization_failure_is_retry_and_transact_retries(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *a = acquire(f), *b = acquire(f);
    struct race r = {.other = b, .arena = f->arena, .interfere_runs = 1};
    long long before = value_of(f, a, 1);

    /* By hand: the raw status of the conflicting update. */
    assert_int_equal(tc_db_exec_simple(a, "BEGIN ISOLATION LEVEL SERIALIZABLE", &err), TC_OK);
    r.runs = 0;
    r.interfere_runs = 99;
    assert_int_equal(bump_after_read(a, &r, &err), TC_ERETRY);
    assert_int_equal(tc_db_exec_simple(a, "ROLLBACK", &err), TC_OK);
    assert_int_equal(value_of(f, a, 1), before + 1); /* only the other session's bump */

    /* Through tc_db_transact: the first run conflicts, the second commits. */
    r.runs = 0;
    r.interfere_runs = 1;
    assert_int_equal(tc_db_transact(a, true, bump_after_read, &r, &err), TC_OK);
    assert_int_equal(r.runs, 2);
    assert_int_equal(value_of(f, a, 1), before + 3);

    /* Conflicting every time: gives up after the retries with TC_ERETRY. */
    r.runs = 0;
    r.interfere_runs = 99;
    assert_int_equal(tc_db_transact(a, true, bump_after_read, &r, &err), TC_ERETRY);
    assert_int_equal(r.runs, 4);
}

static enum tc_status
insert_then_fail(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    static const char ins[] = "INSERT INTO t (k, v) VALUES (30, 1)";
    struct race *r = ctx;
    enum tc_status st;

    r->runs++;
    if ((st = tc_db_exec(conn, ins, 0, NULL, r->arena, NULL, err)) != TC_OK)
        return st;
    return tc_fail(err, TC_EINVAL, "refused by the test");
}

static enum tc_status
swallow_error(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    static const char ins[] = "INSERT INTO t (k, v) VALUES (31, 1)";
    struct race *r = ctx;

    r->runs++;
    (void)tc_db_exec(conn, ins, 0, NULL, r->arena, NULL, err);
    (void)tc_db_exec_simple(conn, "SELECT 1/0", err);
    return TC_OK; /* wrongly claims success */
}

static void
rollback_on_failure_leaves_nothing(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = acquire(f);
    struct race r = {.arena = f->arena};

    assert_int_equal(tc_db_transact(conn, false, insert_then_fail, &r, &err), TC_EINVAL);
    assert_int_equal(r.runs, 1); /* not a transient failure: no re-run */
    assert_int_equal(value_of(f, conn, 30), -1);
    assert_int_equal(tc_db_transact(conn, false, swallow_error, &r, &err), TC_EINTERNAL);
    assert_int_equal(value_of(f, conn, 31), -1);
}

static long long
backend_pid(struct fixture *f, struct tc_db_conn *conn)
{
    static const char sql[] = "SELECT pg_backend_pid()";
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_result *res;

    assert_int_equal(tc_db_exec(conn, sql, 0, NULL, f->arena, &res, &err), TC_OK);
    return tc_db_int(res, 0, 0, -1);
}

static void
connection_left_in_transaction_is_not_reused(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *a = tc_db_acquire(f->pool, 1000, &err),
                      *b = tc_db_acquire(f->pool, 1000, &err);
    long long pid_a, pid_again;

    assert_non_null(a);
    assert_non_null(b);
    pid_a = backend_pid(f, a);
    assert_int_equal(tc_db_exec_simple(a, "BEGIN; INSERT INTO t (k, v) VALUES (40, 1)", &err),
                     TC_OK);
    tc_db_release(f->pool, a); /* dirty: must be closed, not parked */
    a = tc_db_acquire(f->pool, 1000, &err);
    assert_non_null(a);
    pid_again = backend_pid(f, a);
    assert_true(pid_again != pid_a);
    assert_true(pid_again != backend_pid(f, b));
    assert_int_equal(value_of(f, a, 40), -1);
    tc_db_release(f->pool, a);
    tc_db_release(f->pool, b);
}

struct late_release {
    struct tc_db_pool *pool;
    struct tc_db_conn *conn;
};

static void *
release_later(void *ptr)
{
    struct late_release *lr = ptr;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 150 * 1000000L};

    nanosleep(&ts, NULL);
    tc_db_release(lr->pool, lr->conn);
    return NULL;
}

static double
seconds_since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void
exhausted_pool_waits_then_is_busy(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *a = tc_db_acquire(f->pool, 1000, &err),
                      *b = tc_db_acquire(f->pool, 1000, &err);
    struct late_release lr = {.pool = f->pool};
    struct timespec t0;
    pthread_t th;

    assert_non_null(a);
    assert_non_null(b);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_null(tc_db_acquire(f->pool, 200, &err));
    assert_int_equal(err.status, TC_EBUSY);
    assert_true(seconds_since(&t0) >= 0.19);

    /* A waiter is woken by a release before its deadline. */
    lr.conn = b;
    assert_int_equal(pthread_create(&th, NULL, release_later, &lr), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    b = tc_db_acquire(f->pool, 5000, &err);
    assert_non_null(b);
    assert_true(seconds_since(&t0) < 4.0);
    pthread_join(th, NULL);
    tc_db_release(f->pool, a);
    tc_db_release(f->pool, b);
}

static void
killed_connection_is_retry_then_reopened(void **state)
{
    static const char sql_kill[] = "SELECT pg_terminate_backend($1::int)";
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *a = tc_db_acquire(f->pool, 1000, &err), *b = acquire(f);
    const char *pid[1];

    assert_non_null(a);
    pid[0] = tc_arena_printf(f->arena, "%lld", backend_pid(f, a));
    assert_int_equal(tc_db_exec(b, sql_kill, 1, pid, f->arena, NULL, &err), TC_OK);
    usleep(100 * 1000);
    assert_int_equal(tc_db_exec_simple(a, "SELECT 1", &err), TC_ERETRY);
    tc_db_release(f->pool, a);
    a = tc_db_acquire(f->pool, 1000, &err); /* reconnects */
    assert_non_null(a);
    assert_int_equal(tc_db_exec_simple(a, "SELECT 1", &err), TC_OK);
    tc_db_release(f->pool, a);
    assert_true(tc_db_ping(f->pool, &err));
}

static void
dropped_database_is_retry(void **state)
{
    char conninfo[256];
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_pool *pool;
    struct tc_db_conn *conn;

    (void)state;
    tc_test_db_create("dbdead", conninfo, sizeof(conninfo));
    pool = tc_db_pool_create(conninfo, 1, &err);
    assert_non_null(pool);
    tc_test_db_drop(conninfo); /* terminates the pooled connection too */
    conn = tc_db_acquire(pool, 1000, &err);
    assert_non_null(conn); /* still looks connected until used */
    assert_int_equal(tc_db_exec_simple(conn, "SELECT 1", &err), TC_ERETRY);
    tc_db_release(pool, conn);
    assert_null(tc_db_acquire(pool, 1000, &err)); /* reconnecting fails now */
    assert_int_equal(err.status, TC_ERETRY);
    assert_false(tc_db_ping(pool, &err));
    tc_db_pool_destroy(pool);

    assert_null(tc_db_pool_create(conninfo, 1, &err));
    assert_int_equal(err.status, TC_ERETRY);
}

static void
vanished_statement_is_prepared_again(void **state)
{
    static const char sql[] = "SELECT v FROM t WHERE k = $1";
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = acquire(f);
    const char *p[] = {"1"};

    assert_int_equal(tc_db_exec(conn, sql, 1, p, f->arena, NULL, &err), TC_OK);
    assert_int_equal(tc_db_exec_simple(conn, "DEALLOCATE ALL", &err), TC_OK);
    assert_int_equal(tc_db_exec(conn, sql, 1, p, f->arena, NULL, &err), TC_OK);
}

static void
reused_address_with_other_sql_runs_the_new_sql(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = acquire(f);
    struct tc_db_result *res;
    char sql[64];
    const char *p[] = {"5"};

    /* A caller's bug (SQL in a reused buffer) must not run the previous statement. */
    snprintf(sql, sizeof(sql), "SELECT 1 + $1::int");
    assert_int_equal(tc_db_exec(conn, sql, 1, p, f->arena, &res, &err), TC_OK);
    assert_int_equal(tc_db_int(res, 0, 0, -1), 6);
    snprintf(sql, sizeof(sql), "SELECT 2 * $1::int");
    assert_int_equal(tc_db_exec(conn, sql, 1, p, f->arena, &res, &err), TC_OK);
    assert_int_equal(tc_db_int(res, 0, 0, -1), 10);

    snprintf(sql, sizeof(sql), "SELECT 3 * $1::int");
    assert_int_equal(tc_db_exec_dynamic(conn, sql, 1, p, f->arena, &res, &err), TC_OK);
    assert_int_equal(tc_db_int(res, 0, 0, -1), 15);
    snprintf(sql, sizeof(sql), "INSERT INTO t (k, v) VALUES (1, $1::int)");
    assert_int_equal(tc_db_exec_dynamic(conn, sql, 1, p, f->arena, &res, &err), TC_ECONFLICT);
}

/* Values COPY must escape, with the empty string and NULL kept apart. */
static const char *const copy_values[] = {
    NULL,    "",    "tab\there",   "two\nlines\r\n", "back\\slash", "\\N", "Tổ dệt Nà Tăm ✓",
    "end\\", "\\.", "a\t\\t\n\\n",
};
#define N_COPY_VALUES (sizeof(copy_values) / sizeof(copy_values[0]))

static void
copy_round_trips_awkward_values(void **state)
{
    static const char sel[] = "SELECT note, note IS NULL FROM c ORDER BY k";
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = acquire(f);
    struct tc_db_result *res;
    size_t rows = 0;

    assert_int_equal(tc_db_exec_simple(conn, "CREATE TABLE c (k int PRIMARY KEY, note text)", &err),
                     TC_OK);
    assert_int_equal(tc_db_copy_begin(conn, "COPY c (k, note) FROM STDIN", &err), TC_OK);
    for (size_t i = 0; i < N_COPY_VALUES; i++) {
        const char *row[] = {tc_arena_printf(f->arena, "%zu", i), copy_values[i]};
        assert_int_equal(tc_db_copy_put(conn, 2, row, &err), TC_OK);
    }
    assert_int_equal(tc_db_copy_end(conn, &rows, &err), TC_OK);
    assert_int_equal(rows, N_COPY_VALUES);
    assert_int_equal(tc_db_exec(conn, sel, 0, NULL, f->arena, &res, &err), TC_OK);
    assert_int_equal(tc_db_rows(res), N_COPY_VALUES);
    assert_true(tc_db_bool(res, 0, 1));
    for (size_t i = 1; i < N_COPY_VALUES; i++) {
        assert_false(tc_db_bool(res, i, 1));
        assert_string_equal(tc_db_value(res, i, 0), copy_values[i]);
    }
    assert_int_equal(tc_db_exec_simple(conn, "DROP TABLE c", &err), TC_OK);
}

/* Rows over several send chunks: every one arrives, in order, with its bytes. */
static void
copy_sends_many_rows_in_chunks(void **state)
{
    static const char sel[] =
        "SELECT count(*), sum(length(note)), bool_and(note = repeat('é\t', 300)"
        " || k::text)::text FROM c";
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = acquire(f);
    struct tc_db_result *res;
    char *body = tc_arena_alloc(f->arena, 3 * 300 + 1);
    size_t rows = 0;

    for (size_t i = 0; i < 300; i++)
        memcpy(body + 3 * i, "é\t", 3);
    body[900] = '\0';
    assert_int_equal(tc_db_exec_simple(conn, "CREATE TABLE c (k int, note text)", &err), TC_OK);
    assert_int_equal(tc_db_copy_begin(conn, "COPY c FROM STDIN", &err), TC_OK);
    for (int i = 0; i < 3000; i++) {
        const char *row[] = {tc_arena_printf(f->arena, "%d", i),
                             tc_arena_printf(f->arena, "%s%d", body, i)};
        assert_int_equal(tc_db_copy_put(conn, 2, row, &err), TC_OK);
    }
    assert_int_equal(tc_db_copy_end(conn, &rows, &err), TC_OK);
    assert_int_equal(rows, 3000);
    assert_int_equal(tc_db_exec(conn, sel, 0, NULL, f->arena, &res, &err), TC_OK);
    assert_int_equal(tc_db_int(res, 0, 0, -1), 3000);
    /* 600 characters of body plus the digits of 0..2999 */
    assert_int_equal(tc_db_int(res, 0, 1, -1), 3000 * 600 + 10 + 90 * 2 + 900 * 3 + 2000 * 4);
    assert_string_equal(tc_db_value(res, 0, 2), "true");
    assert_int_equal(tc_db_exec_simple(conn, "DROP TABLE c", &err), TC_OK);
}

/* A bad value fails at the end as a data error; a cancel loads nothing; the link stays good. */
static void
copy_failure_and_cancel_leave_the_connection_usable(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    static const char count[] = "SELECT count(*) FROM c";
    struct tc_db_conn *conn = acquire(f);
    struct tc_db_result *res;
    const char *good[] = {"1", "x"}, *bad[] = {"not a number", "y"};
    size_t rows = 7;

    assert_int_equal(tc_db_exec_simple(conn, "CREATE TABLE c (k int, note text)", &err), TC_OK);
    assert_int_equal(tc_db_copy_begin(conn, "COPY c FROM STDIN", &err), TC_OK);
    assert_int_equal(tc_db_copy_put(conn, 2, good, &err), TC_OK);
    assert_int_equal(tc_db_copy_put(conn, 2, bad, &err), TC_OK);
    assert_int_equal(tc_db_copy_end(conn, &rows, &err), TC_EINVAL);
    assert_int_equal(rows, 0);
    assert_non_null(strstr(err.detail, "not a number"));
    assert_int_equal(tc_db_copy_begin(conn, "COPY c FROM STDIN", &err), TC_OK);
    assert_int_equal(tc_db_copy_put(conn, 2, good, &err), TC_OK);
    tc_db_copy_cancel(conn);
    assert_int_equal(tc_db_copy_begin(conn, "COPY nope FROM STDIN", &err), TC_EDB);
    assert_int_equal(tc_db_exec(conn, count, 0, NULL, f->arena, &res, &err), TC_OK);
    assert_int_equal(tc_db_int(res, 0, 0, -1), 0);
    assert_int_equal(tc_db_exec_simple(conn, "DROP TABLE c", &err), TC_OK);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(exec_with_params_and_nulls, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(bytea_round_trips_binary, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(unique_violation_maps_to_conflict, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(serialization_failure_is_retry_and_transact_retries,
                                        per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(rollback_on_failure_leaves_nothing, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(connection_left_in_transaction_is_not_reused,
                                        per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(exhausted_pool_waits_then_is_busy, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(killed_connection_is_retry_then_reopened, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(vanished_statement_is_prepared_again, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(reused_address_with_other_sql_runs_the_new_sql,
                                        per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(copy_round_trips_awkward_values, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(copy_sends_many_rows_in_chunks, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(copy_failure_and_cancel_leave_the_connection_usable,
                                        per_test_setup, per_test_teardown),
        cmocka_unit_test(dropped_database_is_retry),
    };

    return cmocka_run_group_tests_name("db", tests, setup, teardown);
}
