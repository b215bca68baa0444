#include "housekeeping.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "tincay/arena.h"
#include "tincay/audit.h"
#include "tincay/db.h"
#include "tincay/jobs.h"
#include "tincay/log.h"
#include "tincay/rules.h"
#include "tincay/sessions.h"
#include "tincay/sync.h"

#define ACQUIRE_WAIT_MS 1000u
#define CHAIN_MAX_ROWS  10000u
#define JOB_STALE_S     600u /* a running job silent this long lost its worker */
#define RESCORE_BATCH   1000u

struct tc_housekeeping {
    struct tc_db_pool *pool;
    unsigned int interval_s;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping; /* under lock */
};

/*
 * Work the queued re-score jobs (a new ruleset version was activated), one after another:
 * any instance may take one, SKIP LOCKED keeps two from taking the same. Jobs whose worker
 * died are queued again first.
 */
static void
work_jobs(struct tc_db_conn *conn)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    size_t requeued = 0;

    if (tc_job_requeue_stale(conn, JOB_STALE_S, &requeued, &err) != TC_OK)
        tc_log(TC_LOG_WARNING, NULL, "could not requeue stale jobs: %s (%s)", err.msg, err.detail);
    for (;;) {
        struct tc_arena *arena = tc_arena_create(1024);
        struct tc_job job;
        enum tc_status st =
            arena != NULL ? tc_job_take(conn, "rescore", "serve", arena, &job, &err) : TC_ENOMEM;

        if (st == TC_OK) {
            tc_log(TC_LOG_INFO, NULL, "re-scoring for job %lld", job.id);
            if (tc_rescore_run(conn, &job, RESCORE_BATCH, &err) != TC_OK)
                tc_log(TC_LOG_WARNING, NULL, "re-score job %lld failed: %s (%s)", job.id, err.msg,
                       err.detail);
        } else if (st != TC_ENOTFOUND) {
            tc_log(TC_LOG_WARNING, NULL, "could not take a job: %s (%s)", err.msg, err.detail);
        }
        tc_arena_destroy(arena);
        if (st != TC_OK)
            return;
    }
}

static void
round_once(struct tc_db_pool *pool)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire(pool, ACQUIRE_WAIT_MS, &err);
    size_t purged = 0, chained = 0;

    if (conn == NULL) {
        tc_log(TC_LOG_WARNING, NULL, "housekeeping skipped: %s", err.msg);
        return;
    }
    if (tc_sessions_purge_expired(conn, &purged, &err) != TC_OK)
        tc_log(TC_LOG_WARNING, NULL, "could not purge ended sessions: %s (%s)", err.msg,
               err.detail);
    else if (purged > 0)
        tc_log(TC_LOG_INFO, NULL, "purged %zu ended sessions", purged);
    if (tc_audit_chain(conn, CHAIN_MAX_ROWS, &chained, &err) != TC_OK)
        tc_log(TC_LOG_WARNING, NULL, "could not chain audit rows: %s (%s)", err.msg, err.detail);
    work_jobs(conn);
    tc_db_release(pool, conn);
}

static void *
run(void *arg)
{
    struct tc_housekeeping *hk = arg;
    struct timespec until;

    pthread_mutex_lock(&hk->lock);
    while (!hk->stopping) {
        pthread_mutex_unlock(&hk->lock);
        round_once(hk->pool);
        until = tc_sync_deadline(hk->interval_s * 1000u);
        pthread_mutex_lock(&hk->lock);
        while (!hk->stopping && pthread_cond_timedwait(&hk->wake, &hk->lock, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&hk->lock);
    return NULL;
}

enum tc_status
tc_housekeeping_start(struct tc_db_pool *pool, unsigned int interval_s,
                      struct tc_housekeeping **out, struct tc_error *err)
{
    struct tc_housekeeping *hk = calloc(1, sizeof(*hk));

    *out = NULL;
    if (hk == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    hk->pool = pool;
    hk->interval_s = interval_s > 0 ? interval_s : TC_HOUSEKEEPING_INTERVAL_S;
    if (tc_sync_init(&hk->lock, &hk->wake) != 0) {
        free(hk);
        return tc_fail(err, TC_EINTERNAL, "could not start the housekeeping thread");
    }
    if (pthread_create(&hk->thread, NULL, run, hk) != 0) {
        pthread_cond_destroy(&hk->wake);
        pthread_mutex_destroy(&hk->lock);
        free(hk);
        return tc_fail(err, TC_EINTERNAL, "could not start the housekeeping thread");
    }
    *out = hk;
    return TC_OK;
}

void
tc_housekeeping_stop(struct tc_housekeeping *hk)
{
    if (hk == NULL)
        return;
    pthread_mutex_lock(&hk->lock);
    hk->stopping = true;
    pthread_cond_signal(&hk->wake);
    pthread_mutex_unlock(&hk->lock);
    pthread_join(hk->thread, NULL);
    pthread_cond_destroy(&hk->wake);
    pthread_mutex_destroy(&hk->lock);
    free(hk);
}
