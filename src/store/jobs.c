#include "tincay/jobs.h"

#include <stdio.h>

#include "tincay/arena.h"
#include "tincay/db.h"

static const char SQL_ENQUEUE[] = "INSERT INTO jobs (kind, payload)"
                                  " VALUES ($1, coalesce($2::jsonb, '{}')) RETURNING id";
static const char SQL_TAKE[] =
    "UPDATE jobs SET state = 'running', locked_by = $2, locked_at = now(),"
    " attempts = attempts + 1"
    " WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND run_after <= now()"
    "   AND ($1::text IS NULL OR kind = $1) ORDER BY run_after, id"
    "   FOR UPDATE SKIP LOCKED LIMIT 1)"
    " RETURNING id, kind, payload::text, attempts";
static const char SQL_PROGRESS[] = "UPDATE jobs SET progress_done = $2::bigint,"
                                   " progress_total = $3::bigint, locked_at = now()"
                                   " WHERE id = $1::bigint AND state = 'running'";
static const char SQL_DONE[] =
    "UPDATE jobs SET state = 'done', result = $2::jsonb, finished_at = now(), locked_by = NULL"
    " WHERE id = $1::bigint AND state = 'running'";
static const char SQL_FAILED[] =
    "UPDATE jobs SET last_error = $2, locked_by = NULL,"
    " state = CASE WHEN attempts < max_attempts THEN 'queued' ELSE 'failed' END,"
    " run_after = now() + make_interval(secs => 5 * power(2, attempts)),"
    " finished_at = CASE WHEN attempts < max_attempts THEN NULL ELSE now() END"
    " WHERE id = $1::bigint AND state = 'running'";
static const char SQL_REQUEUE[] =
    "UPDATE jobs SET state = 'queued', locked_by = NULL, last_error = 'worker went silent'"
    " WHERE state = 'running' AND locked_at < now() - make_interval(secs => $1::int)";

static const char SQL_RECENT[] =
    "SELECT id, kind, state, progress_done, coalesce(progress_total, -1), attempts, last_error,"
    " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " FROM jobs ORDER BY id DESC LIMIT $1::int";

static enum tc_status
with_arena(struct tc_arena **arena, struct tc_error *err)
{
    if ((*arena = tc_arena_create(1024)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    return TC_OK;
}

enum tc_status
tc_job_enqueue(struct tc_db_conn *conn, const char *kind, const char *payload_json,
               long long *id_out, struct tc_error *err)
{
    struct tc_arena *arena;
    struct tc_db_result *res;
    const char *p[] = {kind, payload_json};
    enum tc_status st;

    if ((st = with_arena(&arena, err)) != TC_OK)
        return st;
    st = tc_db_exec(conn, SQL_ENQUEUE, 2, p, arena, &res, err);
    if (st == TC_OK && id_out != NULL)
        *id_out = tc_db_int(res, 0, 0, 0);
    tc_arena_destroy(arena);
    return st;
}

enum tc_status
tc_job_take(struct tc_db_conn *conn, const char *kind, const char *worker, struct tc_arena *arena,
            struct tc_job *job, struct tc_error *err)
{
    struct tc_db_result *res;
    const char *p[] = {kind, worker};
    enum tc_status st = tc_db_exec(conn, SQL_TAKE, 2, p, arena, &res, err);

    if (st != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return TC_ENOTFOUND;
    job->id = tc_db_int(res, 0, 0, 0);
    job->kind = tc_db_value(res, 0, 1);
    job->payload_json = tc_db_value(res, 0, 2);
    job->attempts = (int)tc_db_int(res, 0, 3, 0);
    return TC_OK;
}

static enum tc_status
exec_small(struct tc_db_conn *conn, const char *sql, size_t n, const char *const *p,
           size_t *affected, struct tc_error *err)
{
    struct tc_arena *arena;
    struct tc_db_result *res;
    enum tc_status st;

    if ((st = with_arena(&arena, err)) != TC_OK)
        return st;
    st = tc_db_exec(conn, sql, n, p, arena, &res, err);
    if (st == TC_OK && affected != NULL)
        *affected = tc_db_affected(res);
    tc_arena_destroy(arena);
    return st;
}

enum tc_status
tc_job_progress(struct tc_db_conn *conn, long long id, long long done, long long total,
                struct tc_error *err)
{
    char a[24], b[24], c[24];
    const char *p[] = {a, b, total >= 0 ? c : NULL};

    snprintf(a, sizeof(a), "%lld", id);
    snprintf(b, sizeof(b), "%lld", done);
    snprintf(c, sizeof(c), "%lld", total);
    return exec_small(conn, SQL_PROGRESS, 3, p, NULL, err);
}

enum tc_status
tc_job_finish(struct tc_db_conn *conn, long long id, const char *result_json,
              const char *error_message, struct tc_error *err)
{
    char a[24];
    size_t n = 0;
    enum tc_status st;

    snprintf(a, sizeof(a), "%lld", id);
    if (error_message == NULL) {
        const char *p[] = {a, result_json};

        st = exec_small(conn, SQL_DONE, 2, p, &n, err);
    } else {
        const char *p[] = {a, error_message};

        st = exec_small(conn, SQL_FAILED, 2, p, &n, err);
    }
    if (st == TC_OK && n == 0)
        return tc_fail(err, TC_ECONFLICT, "job %lld is not running", id);
    return st;
}

enum tc_status
tc_job_requeue_stale(struct tc_db_conn *conn, unsigned int stale_s, size_t *n_out,
                     struct tc_error *err)
{
    char a[24];
    const char *p[] = {a};

    snprintf(a, sizeof(a), "%u", stale_s);
    return exec_small(conn, SQL_REQUEUE, 1, p, n_out, err);
}

enum tc_status
tc_jobs_recent(struct tc_db_conn *conn, size_t limit, struct tc_arena *arena,
               struct tc_job_status **rows_out, size_t *n_out, struct tc_error *err)
{
    char lim[24];
    const char *p[] = {lim};
    struct tc_db_result *res;
    struct tc_job_status *rows;
    enum tc_status st;
    size_t n;

    snprintf(lim, sizeof(lim), "%zu", limit);
    if ((st = tc_db_exec(conn, SQL_RECENT, 1, p, arena, &res, err)) != TC_OK)
        return st;
    n = tc_db_rows(res);
    if ((rows = tc_arena_calloc(arena, n + 1, sizeof(*rows))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    /* The values stay valid as long as the result, which lives in `arena` too. */
    for (size_t i = 0; i < n; i++)
        rows[i] = (struct tc_job_status){.id = tc_db_int(res, i, 0, 0),
                                         .kind = tc_db_value(res, i, 1),
                                         .state = tc_db_value(res, i, 2),
                                         .done = tc_db_int(res, i, 3, 0),
                                         .total = tc_db_int(res, i, 4, -1),
                                         .attempts = (int)tc_db_int(res, i, 5, 0),
                                         .last_error = tc_db_value(res, i, 6),
                                         .created_at = tc_db_value(res, i, 7),
                                         .finished_at = tc_db_value(res, i, 8)};
    *rows_out = rows;
    *n_out = n;
    return TC_OK;
}
