#ifndef TC_JOBS_H
#define TC_JOBS_H

#include <stddef.h>

#include "tincay/status.h"

struct tc_arena;
struct tc_db_conn;

/*
 * Background work shared by every instance through the jobs table: a worker takes the
 * oldest ready job with FOR UPDATE SKIP LOCKED, so two workers never take the same one.
 */
struct tc_job {
    long long id;
    const char *kind;
    const char *payload_json;
    int attempts; /* including this one */
};

/* Queue a job of `kind` with a JSON object payload (NULL: {}); its id in *id_out. */
enum tc_status tc_job_enqueue(struct tc_db_conn *conn, const char *kind, const char *payload_json,
                              long long *id_out, struct tc_error *err);

/*
 * Take the oldest ready job (of `kind`, or any kind when NULL) for `worker`, marking it
 * running. TC_ENOTFOUND when none is ready. Strings in `job` live in `arena`.
 */
enum tc_status tc_job_take(struct tc_db_conn *conn, const char *kind, const char *worker,
                           struct tc_arena *arena, struct tc_job *job, struct tc_error *err);

/* Record progress of a running job (shown to people waiting on it). */
enum tc_status tc_job_progress(struct tc_db_conn *conn, long long id, long long done,
                               long long total, struct tc_error *err);

/*
 * Finish a running job: done with an optional JSON result, or failed with a message; a
 * failed job with attempts left is queued again after a back-off.
 */
enum tc_status tc_job_finish(struct tc_db_conn *conn, long long id, const char *result_json,
                             const char *error_message, struct tc_error *err);

/* Queue again jobs whose worker went silent for `stale_s` seconds; their number in *n_out. */
enum tc_status tc_job_requeue_stale(struct tc_db_conn *conn, unsigned int stale_s, size_t *n_out,
                                    struct tc_error *err);

/* A job as people waiting on it see it. Strings live in the arena of tc_jobs_recent. */
struct tc_job_status {
    long long id;
    const char *kind, *state; /* state: queued, running, done or failed */
    long long done, total;    /* total < 0: not known yet */
    int attempts;
    const char *last_error;  /* NULL when none */
    const char *created_at;  /* ISO 8601, UTC */
    const char *finished_at; /* NULL until it ends */
};

/* The `limit` newest jobs, newest first, for progress pages. */
enum tc_status tc_jobs_recent(struct tc_db_conn *conn, size_t limit, struct tc_arena *arena,
                              struct tc_job_status **rows_out, size_t *n_out, struct tc_error *err);

#endif /* TC_JOBS_H */
