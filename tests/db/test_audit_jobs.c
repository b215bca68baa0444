#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testlib.h"
#include "tincay/arena.h"
#include "tincay/audit.h"
#include "tincay/db.h"
#include "tincay/jobs.h"

static char conninfo[256];
static struct tc_db_pool *pool;

static int
setup(void **state)
{
    struct tc_db_conn *conn;

    (void)state;
    if (tc_test_db_open("audit_jobs", 8, conninfo, sizeof(conninfo), &pool, &conn) != 0)
        return -1;
    tc_db_release(pool, conn);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    tc_test_db_close(conninfo, pool, NULL);
    return 0;
}

static void
sql(struct tc_db_conn *conn, const char *text)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    if (tc_db_exec_simple(conn, text, &err) != TC_OK)
        fail_msg("%s: %s %s", text, err.msg, err.detail);
}

static void
append(struct tc_db_conn *conn, const char *action, const char *object_id)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_arena *arena = tc_arena_create(1024);
    struct tc_audit_event ev = {.actor_kind = "user",
                                .actor_id = 7,
                                .actor_login = "host1",
                                .action = action,
                                .object_kind = "case",
                                .object_id = object_id,
                                .purpose = "follow-up",
                                .client_addr = "127.0.0.1",
                                .detail_json = "{\"unit\": \"U1\"}"};

    assert_int_equal(tc_audit_append(conn, &ev, arena, &err), TC_OK);
    tc_arena_destroy(arena);
}

static size_t
chain(struct tc_db_conn *conn)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    size_t n = 0;

    assert_int_equal(tc_audit_chain(conn, 0, &n, &err), TC_OK);
    return n;
}

static struct tc_audit_report
verify(struct tc_db_conn *conn)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_audit_report rep;

    assert_int_equal(tc_audit_verify(conn, &rep, &err), TC_OK);
    return rep;
}

static void
audit_rows_chain_and_verify_finds_an_edited_row(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire(pool, 5000, &err);
    struct tc_audit_report rep;

    (void)state;
    sql(conn, "BEGIN");
    append(conn, "case.read", "C-1");
    append(conn, "case.read", "C-2");
    sql(conn, "COMMIT");
    append(conn, "login.ok", NULL);
    assert_int_equal(chain(conn), 3);
    assert_int_equal(chain(conn), 0);
    rep = verify(conn);
    assert_int_equal(rep.checked, 3);
    assert_int_equal(rep.first_broken_id, 0);
    assert_int_equal(rep.unchained, 0);

    /* Someone with the database's owner rights edits the second row behind the trigger. */
    sql(conn, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;"
              "UPDATE audit_log SET object_id = 'C-9' WHERE chain_seq = 2;"
              "ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only");
    rep = verify(conn);
    assert_int_equal(rep.first_broken_seq, 2);
    assert_true(rep.first_broken_id > 0);
    assert_int_equal(rep.checked, 1);
    sql(conn, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;"
              "UPDATE audit_log SET object_id = 'C-2' WHERE chain_seq = 2;"
              "ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only");
    assert_int_equal(verify(conn).first_broken_id, 0);

    /* A deleted row breaks the sequence at the row after it. */
    sql(conn, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;"
              "CREATE TEMP TABLE saved AS SELECT * FROM audit_log WHERE chain_seq = 2;"
              "DELETE FROM audit_log WHERE chain_seq = 2;"
              "ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only");
    rep = verify(conn);
    assert_int_equal(rep.first_broken_seq, 3);
    sql(conn, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;"
              "INSERT INTO audit_log OVERRIDING SYSTEM VALUE SELECT * FROM saved;"
              "ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only; DROP TABLE saved");
    assert_int_equal(verify(conn).first_broken_id, 0);
    tc_db_release(pool, conn);
}

static void
audit_rows_cannot_be_changed_or_deleted(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire(pool, 5000, &err);

    (void)state;
    append(conn, "export", "F-1");
    chain(conn);
    assert_int_not_equal(
        tc_db_exec_simple(conn, "UPDATE audit_log SET action = 'x' WHERE action = 'export'", &err),
        TC_OK);
    assert_int_not_equal(
        tc_db_exec_simple(conn, "DELETE FROM audit_log WHERE action = 'export'", &err), TC_OK);
    assert_int_equal(verify(conn).first_broken_id, 0);
    tc_db_release(pool, conn);
}

static void
a_late_commit_joins_the_chain_late(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *slow = tc_db_acquire(pool, 5000, &err);
    struct tc_db_conn *fast = tc_db_acquire(pool, 5000, &err);
    struct tc_audit_report rep;

    (void)state;
    chain(fast);
    sql(slow, "BEGIN");
    append(slow, "case.read", "slow"); /* takes the lower id, commits last */
    append(fast, "case.read", "fast");
    assert_int_equal(chain(fast), 1);
    sql(slow, "COMMIT");
    assert_int_equal(chain(fast), 1);
    rep = verify(fast);
    assert_int_equal(rep.first_broken_id, 0);
    assert_int_equal(rep.unchained, 0);

    /* A rolled-back act leaves no audit row. */
    sql(slow, "BEGIN");
    append(slow, "case.read", "never");
    sql(slow, "ROLLBACK");
    assert_int_equal(chain(fast), 0);
    tc_db_release(pool, slow);
    tc_db_release(pool, fast);
}

#define N_JOBS    200
#define N_WORKERS 4

struct worker {
    pthread_t thread;
    char name[16];
    long long taken[N_JOBS];
    size_t n_taken;
    int failed;
};

static void *
work(void *arg)
{
    struct worker *w = arg;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire(pool, 10000, &err);

    if (conn == NULL) {
        w->failed = 1;
        return NULL;
    }
    for (;;) {
        struct tc_arena *arena = tc_arena_create(1024);
        struct tc_job job;
        enum tc_status st = tc_job_take(conn, "test.count", w->name, arena, &job, &err);

        if (st == TC_OK) {
            w->taken[w->n_taken++] = job.id;
            if (tc_job_finish(conn, job.id, "{\"ok\": true}", NULL, &err) != TC_OK)
                w->failed = 1;
        }
        tc_arena_destroy(arena);
        if (st == TC_ENOTFOUND)
            break;
        if (st != TC_OK || w->n_taken == N_JOBS) {
            w->failed = st != TC_OK;
            break;
        }
    }
    tc_db_release(pool, conn);
    return NULL;
}

static void
two_workers_never_take_the_same_job(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire(pool, 5000, &err);
    static struct worker workers[N_WORKERS];
    static unsigned char seen[N_JOBS * 4];
    long long first = 0, id = 0;
    size_t total = 0;

    (void)state;
    for (int i = 0; i < N_JOBS; i++) {
        assert_int_equal(tc_job_enqueue(conn, "test.count", NULL, &id, &err), TC_OK);
        if (i == 0)
            first = id;
    }
    tc_db_release(pool, conn);
    for (int i = 0; i < N_WORKERS; i++) {
        snprintf(workers[i].name, sizeof(workers[i].name), "w%d", i);
        assert_int_equal(pthread_create(&workers[i].thread, NULL, work, &workers[i]), 0);
    }
    for (int i = 0; i < N_WORKERS; i++) {
        pthread_join(workers[i].thread, NULL);
        assert_false(workers[i].failed);
        for (size_t j = 0; j < workers[i].n_taken; j++) {
            long long k = workers[i].taken[j] - first;

            assert_true(k >= 0 && k < N_JOBS);
            assert_int_equal(seen[k], 0); /* never taken twice */
            seen[k] = 1;
        }
        total += workers[i].n_taken;
    }
    assert_int_equal(total, N_JOBS);
}

static void
a_failed_job_is_retried_then_fails(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire(pool, 5000, &err);
    struct tc_arena *arena = tc_arena_create(1024);
    struct tc_job job;
    long long id = 0;
    size_t n = 0;

    (void)state;
    assert_int_equal(tc_job_enqueue(conn, "test.fail", "{\"x\": 1}", &id, &err), TC_OK);
    assert_int_equal(tc_job_take(conn, "test.fail", "w", arena, &job, &err), TC_OK);
    assert_int_equal(job.id, id);
    assert_string_equal(job.payload_json, "{\"x\": 1}");
    assert_int_equal(tc_job_progress(conn, id, 5, 10, &err), TC_OK);
    assert_int_equal(tc_job_finish(conn, id, NULL, "boom", &err), TC_OK);
    /* Back-off: not ready again at once. */
    assert_int_equal(tc_job_take(conn, "test.fail", "w", arena, &job, &err), TC_ENOTFOUND);
    assert_int_equal(tc_job_finish(conn, id, NULL, "boom", &err), TC_ECONFLICT);
    assert_int_equal(
        tc_db_exec_simple(conn, "UPDATE jobs SET run_after = now() - interval '1s'", &err), TC_OK);
    assert_int_equal(tc_job_take(conn, "test.fail", "w", arena, &job, &err), TC_OK);
    assert_int_equal(job.attempts, 2);
    /* A silent worker's job comes back. */
    assert_int_equal(
        tc_db_exec_simple(conn, "UPDATE jobs SET locked_at = now() - interval '1 hour'", &err),
        TC_OK);
    assert_int_equal(tc_job_requeue_stale(conn, 60, &n, &err), TC_OK);
    assert_int_equal(n, 1);
    tc_arena_destroy(arena);
    tc_db_release(pool, conn);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(audit_rows_chain_and_verify_finds_an_edited_row),
        cmocka_unit_test(audit_rows_cannot_be_changed_or_deleted),
        cmocka_unit_test(a_late_commit_joins_the_chain_late),
        cmocka_unit_test(two_workers_never_take_the_same_job),
        cmocka_unit_test(a_failed_job_is_retried_then_fails),
    };

    return cmocka_run_group_tests_name("audit_jobs", tests, setup, teardown);
}
