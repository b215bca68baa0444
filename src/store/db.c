#include "tincay/db.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "tincay/arena.h"
#include "tincay/log.h"
#include "tincay/strbuf.h"
#include "tincay/sync.h"

/* Session settings of every new connection; a migration may lift the timeout locally. */
#define CONNECT_TIMEOUT_S "5"
#define SESSION_SETUP_SQL                                                                          \
    "SET synchronous_commit = on; SET statement_timeout = '30s'; "                                 \
    "SET idle_in_transaction_session_timeout = '120s'; SET client_min_messages = warning"
#define MAX_PARAMS       128          /* parameters of one statement; arrays stay on the stack */
#define TXN_RETRIES      3            /* re-runs of a transaction after TC_ERETRY */
#define RETRY_BACKOFF_MS 15           /* times the attempt number, between re-runs */
#define STMT_CACHE_MIN   16           /* initial slots of a connection's statement cache */
#define COPY_CHUNK       (256u << 10) /* COPY rows are sent in chunks of about this size */
#define COPY_ROW_MAX     (64u << 20)  /* one escaped COPY row at most */

/* One prepared statement: the SQL string's address and the name it has on the server. */
struct stmt {
    const char *sql; /* the key; NULL: free slot */
    char *text;      /* a copy, to notice an address reused for other SQL (a caller's bug) */
    unsigned int id; /* prepared as "tc_<id>" */
};

struct tc_db_conn {
    struct tc_db_pool *pool;
    PGconn *pg;            /* NULL until first use and after a close */
    struct stmt *stmts;    /* open addressing on the SQL address; cleared with `pg` */
    size_t n_stmts, cap;   /* cap is 0 or a power of two */
    unsigned int next_id;  /* never reused while `pg` lives, so names never collide */
    struct tc_strbuf copy; /* COPY rows not sent yet */
};

struct tc_db_result {
    PGresult *pg;
};

struct tc_db_pool {
    pthread_mutex_t lock;
    pthread_cond_t released;
    char *conninfo;
    size_t size, n_idle;
    struct tc_db_conn **idle; /* a stack: the most recently used (warm) connection first */
    struct tc_db_conn conns[];
};

/* libpq's message without its trailing newline, as the log-only detail of `err`. */
static void
set_detail(struct tc_error *err, const char *msg, const char *constraint)
{
    size_t len = strlen(msg);

    while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
        len--;
    tc_error_detail(err, "%.*s%s%s", (int)len, msg, constraint ? " constraint=" : "",
                    constraint ? constraint : "");
}

/* ---- connections ------------------------------------------------------------------------ */

static void
stmt_cache_clear(struct tc_db_conn *conn)
{
    for (size_t i = 0; i < conn->cap; i++)
        free(conn->stmts[i].text);
    free(conn->stmts);
    conn->stmts = NULL;
    conn->n_stmts = conn->cap = 0;
}

static void
conn_close(struct tc_db_conn *conn)
{
    PQfinish(conn->pg); /* accepts NULL */
    conn->pg = NULL;
    stmt_cache_clear(conn);
    tc_strbuf_cleanup(&conn->copy);
}

/* Server warnings go to our log, one line each, instead of libpq's stderr default. */
static void
on_notice(void *arg, const char *message)
{
    size_t len = strcspn(message, "\n");

    (void)arg;
    tc_log(TC_LOG_WARNING, NULL, "database: %.*s", (int)len, message);
}

static enum tc_status
conn_open(struct tc_db_conn *conn, struct tc_error *err)
{
    /* Ours first, so that the same keys in the caller's conninfo win. */
    const char *const keys[] = {"connect_timeout", "application_name", "client_encoding", "dbname",
                                NULL};
    const char *const values[] = {CONNECT_TIMEOUT_S, "tincay", "UTF8", conn->pool->conninfo, NULL};
    PGresult *res;

    conn_close(conn);
    conn->pg = PQconnectdbParams(keys, values, 1);
    if (conn->pg == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if (PQstatus(conn->pg) != CONNECTION_OK) {
        tc_fail(err, TC_ERETRY, "could not connect to the database");
        set_detail(err, PQerrorMessage(conn->pg), NULL);
        conn_close(conn);
        return TC_ERETRY;
    }
    PQsetNoticeProcessor(conn->pg, on_notice, NULL);
    res = PQexec(conn->pg, SESSION_SETUP_SQL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        tc_fail(err, TC_ERETRY, "could not set up the database session");
        set_detail(err, PQerrorMessage(conn->pg), NULL);
        PQclear(res);
        conn_close(conn);
        return TC_ERETRY;
    }
    PQclear(res);
    return TC_OK;
}

static bool
conn_broken(const struct tc_db_conn *conn)
{
    return conn->pg == NULL || PQstatus(conn->pg) != CONNECTION_OK;
}

/* ---- pool ------------------------------------------------------------------------------- */

struct tc_db_pool *
tc_db_pool_create(const char *conninfo, size_t size, struct tc_error *err)
{
    struct tc_db_pool *pool;
    struct tc_db_conn *first;

    if (size == 0 || size > 10000) {
        tc_fail(err, TC_EINVAL, "invalid database pool size %zu", size);
        return NULL;
    }
    pool = calloc(1, sizeof(*pool) + size * sizeof(pool->conns[0]));
    if (pool == NULL || (pool->idle = calloc(size, sizeof(*pool->idle))) == NULL ||
        (pool->conninfo = strdup(conninfo ? conninfo : "")) == NULL) {
        if (pool != NULL)
            free(pool->idle);
        free(pool);
        tc_fail(err, TC_ENOMEM, "out of memory");
        return NULL;
    }
    if (tc_sync_init(&pool->lock, &pool->released) != 0) {
        free(pool->conninfo);
        free(pool->idle);
        free(pool);
        tc_fail(err, TC_EINTERNAL, "could not initialise the database pool");
        return NULL;
    }
    pool->size = size;
    for (size_t i = size; i-- > 0;) {
        pool->conns[i].pool = pool;
        pool->idle[pool->n_idle++] = &pool->conns[i];
    }
    /* One connection now, so that a wrong address fails at start, not at the first request. */
    if ((first = tc_db_acquire(pool, 0, err)) == NULL) {
        tc_db_pool_destroy(pool);
        return NULL;
    }
    tc_db_release(pool, first);
    return pool;
}

void
tc_db_pool_destroy(struct tc_db_pool *pool)
{
    if (pool == NULL)
        return;
    for (size_t i = 0; i < pool->size; i++)
        conn_close(&pool->conns[i]);
    pthread_cond_destroy(&pool->released);
    pthread_mutex_destroy(&pool->lock);
    free(pool->conninfo);
    free(pool->idle);
    free(pool);
}

/* Pop an idle connection, waiting until the deadline; NULL when none came free. */
static struct tc_db_conn *
take_idle(struct tc_db_pool *pool, unsigned int wait_ms)
{
    struct tc_db_conn *conn = NULL;
    struct timespec deadline;
    int rc = 0;

    deadline = tc_sync_deadline(wait_ms);
    pthread_mutex_lock(&pool->lock);
    while (pool->n_idle == 0 && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&pool->released, &pool->lock, &deadline);
    if (pool->n_idle > 0)
        conn = pool->idle[--pool->n_idle];
    pthread_mutex_unlock(&pool->lock);
    return conn;
}

static void
put_idle(struct tc_db_pool *pool, struct tc_db_conn *conn)
{
    pthread_mutex_lock(&pool->lock);
    pool->idle[pool->n_idle++] = conn;
    pthread_cond_signal(&pool->released);
    pthread_mutex_unlock(&pool->lock);
}

struct tc_db_conn *
tc_db_acquire(struct tc_db_pool *pool, unsigned int wait_ms, struct tc_error *err)
{
    struct tc_db_conn *conn = take_idle(pool, wait_ms);

    if (conn == NULL) {
        tc_fail(err, TC_EBUSY, "all database connections are busy");
        return NULL;
    }
    /* Lazy connect; the network work happens outside the pool's lock. */
    if (conn_broken(conn) && conn_open(conn, err) != TC_OK) {
        put_idle(pool, conn);
        return NULL;
    }
    return conn;
}

void
tc_db_release(struct tc_db_pool *pool, struct tc_db_conn *conn)
{
    if (conn == NULL)
        return;
    /* A handler that left a transaction open (or a broken link) must not poison the next. */
    if (conn->pg != NULL &&
        (PQstatus(conn->pg) != CONNECTION_OK || PQtransactionStatus(conn->pg) != PQTRANS_IDLE))
        conn_close(conn);
    put_idle(pool, conn);
}

static void
release_deferred(void *ptr)
{
    struct tc_db_conn *conn = ptr;

    tc_db_release(conn->pool, conn);
}

struct tc_db_conn *
tc_db_acquire_for(struct tc_db_pool *pool, struct tc_arena *arena, unsigned int wait_ms,
                  struct tc_error *err)
{
    struct tc_db_conn *conn = tc_db_acquire(pool, wait_ms, err);

    if (conn != NULL && tc_arena_defer(arena, release_deferred, conn) != 0) {
        tc_fail(err, TC_ENOMEM, "out of memory"); /* the connection went back already */
        return NULL;
    }
    return conn;
}

/* ---- statement cache -------------------------------------------------------------------- */

static size_t
slot_of(const char *sql, size_t cap)
{
    uintptr_t h = (uintptr_t)sql;

    h ^= h >> 17;
    h *= (uintptr_t)0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> 7) & (cap - 1);
}

static struct stmt *
stmt_find(struct tc_db_conn *conn, const char *sql)
{
    if (conn->cap == 0)
        return NULL;
    for (size_t i = slot_of(sql, conn->cap);; i = (i + 1) & (conn->cap - 1)) {
        if (conn->stmts[i].sql == sql)
            return &conn->stmts[i];
        if (conn->stmts[i].sql == NULL)
            return NULL;
    }
}

static void
stmt_place(struct stmt *table, size_t cap, struct stmt s)
{
    size_t i = slot_of(s.sql, cap);

    while (table[i].sql != NULL)
        i = (i + 1) & (cap - 1);
    table[i] = s;
}

static int
stmt_add(struct tc_db_conn *conn, const char *sql, unsigned int id)
{
    char *text = strdup(sql);

    if (text == NULL)
        return -1;
    if (2 * (conn->n_stmts + 1) > conn->cap) { /* keep the load under one half */
        size_t cap = conn->cap ? 2 * conn->cap : STMT_CACHE_MIN;
        struct stmt *grown = calloc(cap, sizeof(*grown));

        if (grown == NULL) {
            free(text);
            return -1;
        }
        for (size_t i = 0; i < conn->cap; i++)
            if (conn->stmts[i].sql != NULL)
                stmt_place(grown, cap, conn->stmts[i]);
        free(conn->stmts);
        conn->stmts = grown;
        conn->cap = cap;
    }
    stmt_place(conn->stmts, conn->cap, (struct stmt){.sql = sql, .text = text, .id = id});
    conn->n_stmts++;
    return 0;
}

/* ---- execution -------------------------------------------------------------------------- */

static bool
sqlstate_is(const char *sqlstate, const char *code)
{
    return sqlstate != NULL && strncmp(sqlstate, code, strlen(code)) == 0;
}

static enum tc_status
status_from_result(const struct tc_db_conn *conn, const PGresult *res)
{
    const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

    if (s == NULL)
        return conn_broken(conn) ? TC_ERETRY : TC_EDB; /* no answer: the link is gone */
    if (sqlstate_is(s, "23505"))
        return TC_ECONFLICT; /* unique_violation */
    if (sqlstate_is(s, "40001") || sqlstate_is(s, "40P01"))
        return TC_ERETRY; /* serialization_failure, deadlock_detected */
    if (sqlstate_is(s, "08") || sqlstate_is(s, "57P") || sqlstate_is(s, "53300"))
        return TC_ERETRY; /* connection exception, server shutting down, too many clients */
    if (sqlstate_is(s, "22") || sqlstate_is(s, "23"))
        return TC_EINVAL; /* data exception, other integrity violations */
    return TC_EDB;
}

static enum tc_status
fail_from_result(struct tc_db_conn *conn, PGresult *res, bool preparing, struct tc_error *err)
{
    enum tc_status st = status_from_result(conn, res);
    const char *msg = res ? PQresultErrorMessage(res) : "";
    const char *constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;

    if (msg[0] == '\0' && conn->pg != NULL)
        msg = PQerrorMessage(conn->pg);
    if (preparing)
        tc_fail(err, st, "could not prepare a database statement");
    else
        tc_fail(err, st, "could not run a database statement");
    set_detail(err, msg, constraint);
    return st;
}

static bool
result_ok(const PGresult *res)
{
    ExecStatusType rs = PQresultStatus(res);

    return rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK;
}

/* The statement's server-side name, preparing it on this connection's first use. */
static enum tc_status
prepared_name(struct tc_db_conn *conn, const char *sql, size_t n_params, char name[static 24],
              struct tc_error *err)
{
    struct stmt *s = stmt_find(conn, sql);
    unsigned int id;
    PGresult *res;

    if (s != NULL && strcmp(s->text, sql) == 0) {
        snprintf(name, 24, "tc_%u", s->id);
        return TC_OK;
    }
    id = conn->next_id++;
    snprintf(name, 24, "tc_%u", id);
    res = PQprepare(conn->pg, name, sql, (int)n_params, NULL);
    if (!result_ok(res)) {
        enum tc_status st = fail_from_result(conn, res, true, err);

        PQclear(res);
        return st;
    }
    PQclear(res);
    if (s != NULL) { /* same address, other text: the old name is simply no longer used */
        char *text = strdup(sql);

        if (text == NULL)
            return tc_fail(err, TC_ENOMEM, "out of memory");
        free(s->text);
        s->text = text;
        s->id = id;
        return TC_OK;
    }
    if (stmt_add(conn, sql, id) != 0)
        return tc_fail(err, TC_ENOMEM, "out of memory"); /* prepared again next time */
    return TC_OK;
}

struct exec_args {
    const char *sql;
    int n;
    const char *const *values;
    int lengths[MAX_PARAMS];
    int formats[MAX_PARAMS];
    bool any_binary;
};

static enum tc_status
fill_args(struct exec_args *a, size_t n_params, const char *const *params, const size_t *lengths,
          const bool *binary, struct tc_error *err)
{
    if (n_params > MAX_PARAMS)
        return tc_fail(err, TC_EINTERNAL, "too many statement parameters (%zu)", n_params);
    a->n = (int)n_params;
    a->values = params;
    a->any_binary = false;
    for (size_t i = 0; i < n_params; i++) {
        size_t len = lengths && params[i] ? lengths[i] : 0;

        if (len > INT_MAX)
            return tc_fail(err, TC_ETOOLARGE, "statement parameter is too large");
        a->lengths[i] = (int)len;
        a->formats[i] = binary && binary[i] ? 1 : 0;
        a->any_binary = a->any_binary || a->formats[i] != 0;
    }
    return TC_OK;
}

static PGresult *
run_prepared(struct tc_db_conn *conn, const char *name, const struct exec_args *a)
{
    bool plain = !a->any_binary;

    return PQexecPrepared(conn->pg, name, a->n, a->values, plain ? NULL : a->lengths,
                          plain ? NULL : a->formats, 0);
}

static void
clear_result(void *ptr)
{
    struct tc_db_result *res = ptr;

    PQclear(res->pg);
}

static enum tc_status
keep_result(PGresult *pg, struct tc_arena *arena, struct tc_db_result **out, struct tc_error *err)
{
    struct tc_db_result *res;

    if (out == NULL) {
        PQclear(pg);
        return TC_OK;
    }
    if ((res = tc_arena_alloc(arena, sizeof(*res))) == NULL) {
        PQclear(pg);
        return tc_fail(err, TC_ENOMEM, "out of memory");
    }
    res->pg = pg;
    if (tc_arena_defer(arena, clear_result, res) != 0) /* cleared already */
        return tc_fail(err, TC_ENOMEM, "out of memory");
    *out = res;
    return TC_OK;
}

/*
 * The statement vanished from the server (DISCARD ALL, a pooler, a reset): forget every
 * cached name. Outside a transaction the caller can prepare again and re-run at once;
 * inside one, the transaction is aborted, so the whole unit of work must be re-run.
 */
static bool
statement_vanished(struct tc_db_conn *conn, const PGresult *res)
{
    if (!sqlstate_is(PQresultErrorField(res, PG_DIAG_SQLSTATE), "26000"))
        return false;
    stmt_cache_clear(conn);
    return true;
}

static enum tc_status
exec_prepared(struct tc_db_conn *conn, const struct exec_args *a, struct tc_arena *arena,
              struct tc_db_result **out, struct tc_error *err)
{
    char name[24];
    PGresult *res = NULL;
    enum tc_status st;

    if (conn_broken(conn))
        return tc_fail(err, TC_ERETRY, "lost the connection to the database");
    for (int attempt = 0; attempt < 2; attempt++) {
        PQclear(res);
        if ((st = prepared_name(conn, a->sql, (size_t)a->n, name, err)) != TC_OK)
            return st;
        res = run_prepared(conn, name, a);
        if (result_ok(res))
            return keep_result(res, arena, out, err);
        if (!statement_vanished(conn, res))
            break;
        if (PQtransactionStatus(conn->pg) != PQTRANS_IDLE) {
            PQclear(res);
            return tc_fail(err, TC_ERETRY, "a prepared statement vanished from the database");
        }
    }
    st = fail_from_result(conn, res, false, err);
    PQclear(res);
    return st;
}

enum tc_status
tc_db_exec_bin(struct tc_db_conn *conn, const char *sql, size_t n_params, const char *const *params,
               const size_t *lengths, const bool *binary, struct tc_arena *arena,
               struct tc_db_result **out, struct tc_error *err)
{
    struct exec_args a = {.sql = sql};
    enum tc_status st;

    if (out != NULL)
        *out = NULL;
    if ((st = fill_args(&a, n_params, params, lengths, binary, err)) != TC_OK)
        return st;
    return exec_prepared(conn, &a, arena, out, err);
}

enum tc_status
tc_db_exec(struct tc_db_conn *conn, const char *sql, size_t n_params, const char *const *params,
           struct tc_arena *arena, struct tc_db_result **out, struct tc_error *err)
{
    return tc_db_exec_bin(conn, sql, n_params, params, NULL, NULL, arena, out, err);
}

enum tc_status
tc_db_exec_dynamic(struct tc_db_conn *conn, const char *sql, size_t n_params,
                   const char *const *params, struct tc_arena *arena, struct tc_db_result **out,
                   struct tc_error *err)
{
    struct exec_args a = {.sql = sql};
    PGresult *res;
    enum tc_status st;

    if (out != NULL)
        *out = NULL;
    if ((st = fill_args(&a, n_params, params, NULL, NULL, err)) != TC_OK)
        return st;
    if (conn_broken(conn))
        return tc_fail(err, TC_ERETRY, "lost the connection to the database");
    res = PQexecParams(conn->pg, sql, a.n, NULL, a.values, NULL, NULL, 0);
    if (result_ok(res))
        return keep_result(res, arena, out, err);
    st = fail_from_result(conn, res, false, err);
    PQclear(res);
    return st;
}

enum tc_status
tc_db_exec_simple(struct tc_db_conn *conn, const char *sql, struct tc_error *err)
{
    PGresult *res;
    enum tc_status st = TC_OK;

    if (conn_broken(conn))
        return tc_fail(err, TC_ERETRY, "lost the connection to the database");
    res = PQexec(conn->pg, sql);
    if (!result_ok(res))
        st = fail_from_result(conn, res, false, err);
    PQclear(res);
    return st;
}

/* ---- COPY ------------------------------------------------------------------------------- */

enum tc_status
tc_db_copy_begin(struct tc_db_conn *conn, const char *sql, struct tc_error *err)
{
    PGresult *res;
    enum tc_status st = TC_OK;

    if (conn_broken(conn))
        return tc_fail(err, TC_ERETRY, "lost the connection to the database");
    conn->copy = (struct tc_strbuf)TC_STRBUF_INIT(COPY_CHUNK + COPY_ROW_MAX);
    res = PQexec(conn->pg, sql);
    if (PQresultStatus(res) != PGRES_COPY_IN)
        st = fail_from_result(conn, res, false, err);
    PQclear(res);
    return st;
}

/* Append `v` escaped for COPY's text format. */
static void
copy_escape(struct tc_strbuf *sb, const char *v)
{
    for (const char *run = v;; v++) {
        const char *esc = *v == '\\'   ? "\\\\"
                          : *v == '\t' ? "\\t"
                          : *v == '\n' ? "\\n"
                          : *v == '\r' ? "\\r"
                                       : NULL;

        if (esc == NULL && *v != '\0')
            continue;
        tc_strbuf_append(sb, run, (size_t)(v - run));
        if (*v == '\0')
            return;
        tc_strbuf_appends(sb, esc);
        run = v + 1;
    }
}

static enum tc_status
copy_flush(struct tc_db_conn *conn, struct tc_error *err)
{
    const char *data = tc_strbuf_str(&conn->copy);
    size_t len = conn->copy.len;

    if (len > 0 && PQputCopyData(conn->pg, data, (int)len) != 1) {
        tc_fail(err, TC_ERETRY, "could not send rows to the database");
        set_detail(err, PQerrorMessage(conn->pg), NULL);
        return TC_ERETRY;
    }
    tc_strbuf_reset(&conn->copy);
    return TC_OK;
}

enum tc_status
tc_db_copy_put(struct tc_db_conn *conn, size_t n, const char *const *values, struct tc_error *err)
{
    struct tc_strbuf *sb = &conn->copy;

    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            tc_strbuf_appendc(sb, '\t');
        if (values[i] == NULL)
            tc_strbuf_appends(sb, "\\N");
        else
            copy_escape(sb, values[i]);
    }
    tc_strbuf_appendc(sb, '\n');
    if (tc_strbuf_failed(sb))
        return tc_fail(err, TC_ETOOLARGE, "a row for the database is too large");
    return sb->len >= COPY_CHUNK ? copy_flush(conn, err) : TC_OK;
}

/* The COPY's result, then whatever else the server sends until it is idle. */
static enum tc_status
copy_result(struct tc_db_conn *conn, size_t *rows_out, struct tc_error *err)
{
    enum tc_status st = TC_OK;
    PGresult *res;

    while ((res = PQgetResult(conn->pg)) != NULL) {
        if (st == TC_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
            st = fail_from_result(conn, res, false, err);
        else if (st == TC_OK && rows_out != NULL)
            *rows_out = (size_t)strtoull(PQcmdTuples(res), NULL, 10);
        PQclear(res);
    }
    return st;
}

enum tc_status
tc_db_copy_end(struct tc_db_conn *conn, size_t *rows_out, struct tc_error *err)
{
    enum tc_status st;

    if (rows_out != NULL)
        *rows_out = 0;
    if ((st = copy_flush(conn, err)) != TC_OK) {
        tc_db_copy_cancel(conn);
        return st;
    }
    tc_strbuf_cleanup(&conn->copy);
    if (PQputCopyEnd(conn->pg, NULL) != 1) {
        tc_fail(err, TC_ERETRY, "could not send rows to the database");
        set_detail(err, PQerrorMessage(conn->pg), NULL);
        (void)copy_result(conn, NULL, err);
        return TC_ERETRY;
    }
    return copy_result(conn, rows_out, err);
}

void
tc_db_copy_cancel(struct tc_db_conn *conn)
{
    struct tc_error ignored = TC_ERROR_INIT(TC_LANG_EN);

    tc_strbuf_cleanup(&conn->copy);
    if (conn->pg == NULL)
        return;
    if (PQputCopyEnd(conn->pg, "cancelled by the client") == 1)
        (void)copy_result(conn, NULL, &ignored);
}

struct tc_db_pool *
tc_db_conn_pool(const struct tc_db_conn *conn)
{
    return conn->pool;
}

/* ---- results ---------------------------------------------------------------------------- */

size_t
tc_db_rows(const struct tc_db_result *res)
{
    int n = res ? PQntuples(res->pg) : 0;

    return n > 0 ? (size_t)n : 0;
}

size_t
tc_db_cols(const struct tc_db_result *res)
{
    int n = res ? PQnfields(res->pg) : 0;

    return n > 0 ? (size_t)n : 0;
}

static bool
in_range(const struct tc_db_result *res, size_t row, size_t col)
{
    return row < tc_db_rows(res) && col < tc_db_cols(res);
}

bool
tc_db_is_null(const struct tc_db_result *res, size_t row, size_t col)
{
    return !in_range(res, row, col) || PQgetisnull(res->pg, (int)row, (int)col);
}

const char *
tc_db_value(const struct tc_db_result *res, size_t row, size_t col)
{
    if (tc_db_is_null(res, row, col))
        return NULL;
    return PQgetvalue(res->pg, (int)row, (int)col);
}

size_t
tc_db_length(const struct tc_db_result *res, size_t row, size_t col)
{
    int n;

    if (tc_db_is_null(res, row, col))
        return 0;
    n = PQgetlength(res->pg, (int)row, (int)col);
    return n > 0 ? (size_t)n : 0;
}

long long
tc_db_int(const struct tc_db_result *res, size_t row, size_t col, long long fallback)
{
    const char *v = tc_db_value(res, row, col);
    char *end;
    long long n;

    if (v == NULL || *v == '\0')
        return fallback;
    errno = 0;
    n = strtoll(v, &end, 10);
    return errno == 0 && *end == '\0' ? n : fallback;
}

bool
tc_db_bool(const struct tc_db_result *res, size_t row, size_t col)
{
    const char *v = tc_db_value(res, row, col);

    return v != NULL && strcmp(v, "t") == 0;
}

unsigned char *
tc_db_bytea(const struct tc_db_result *res, size_t row, size_t col, struct tc_arena *arena,
            size_t *len_out)
{
    const char *v = tc_db_value(res, row, col);
    unsigned char *raw, *copy;
    size_t len = 0;

    if (len_out != NULL)
        *len_out = 0;
    if (v == NULL || (raw = PQunescapeBytea((const unsigned char *)v, &len)) == NULL)
        return NULL;
    copy = tc_arena_alloc(arena, len ? len : 1);
    if (copy != NULL && len > 0)
        memcpy(copy, raw, len);
    PQfreemem(raw);
    if (copy != NULL && len_out != NULL)
        *len_out = len;
    return copy;
}

size_t
tc_db_affected(const struct tc_db_result *res)
{
    const char *n = res ? PQcmdTuples(res->pg) : "";
    char *end;
    unsigned long long v;

    if (n[0] == '\0')
        return 0;
    v = strtoull(n, &end, 10);
    return *end == '\0' ? (size_t)v : 0;
}

/* ---- transactions ----------------------------------------------------------------------- */

static void
rollback(struct tc_db_conn *conn)
{
    PGresult *res;

    if (conn_broken(conn) || PQtransactionStatus(conn->pg) == PQTRANS_IDLE)
        return;
    res = PQexec(conn->pg, "ROLLBACK");
    PQclear(res);
}

static enum tc_status
commit(struct tc_db_conn *conn, struct tc_error *err)
{
    /* COMMIT of an aborted transaction "succeeds" as a rollback: catch a swallowed error. */
    if (!conn_broken(conn) && PQtransactionStatus(conn->pg) == PQTRANS_INERROR)
        return tc_fail(err, TC_EINTERNAL, "a failed statement was ignored inside a transaction");
    return tc_db_exec_simple(conn, "COMMIT", err);
}

static enum tc_status
attempt_txn(struct tc_db_conn *conn, bool serializable, tc_db_txn_fn fn, void *ctx,
            struct tc_error *err)
{
    const char *begin = serializable ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                                     : "BEGIN ISOLATION LEVEL READ COMMITTED";
    enum tc_status st;

    if ((st = tc_db_exec_simple(conn, begin, err)) != TC_OK)
        return st;
    if ((st = fn(conn, ctx, err)) == TC_OK)
        st = commit(conn, err);
    if (st != TC_OK)
        rollback(conn);
    return st;
}

static void
backoff(int attempt)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)attempt * RETRY_BACKOFF_MS * 1000000L};

    nanosleep(&ts, NULL);
}

enum tc_status
tc_db_transact(struct tc_db_conn *conn, bool serializable, tc_db_txn_fn fn, void *ctx,
               struct tc_error *err)
{
    enum tc_status st = TC_ERETRY;

    if (!conn_broken(conn) && PQtransactionStatus(conn->pg) != PQTRANS_IDLE)
        return tc_fail(err, TC_EINTERNAL, "a transaction is already open on this connection");
    for (int attempt = 0; attempt <= TXN_RETRIES; attempt++) {
        if (attempt > 0)
            backoff(attempt);
        /* A link lost in the previous attempt is reopened here, not in the caller. */
        if (conn_broken(conn) && (st = conn_open(conn, err)) != TC_OK)
            continue;
        st = attempt_txn(conn, serializable, fn, ctx, err);
        if (st != TC_ERETRY)
            break;
    }
    return st;
}

bool
tc_db_ping(struct tc_db_pool *pool, struct tc_error *err)
{
    static const char sql[] = "SELECT 1";
    struct tc_db_conn *conn = tc_db_acquire(pool, 2000, err);
    enum tc_status st;

    if (conn == NULL)
        return false;
    st = tc_db_exec_simple(conn, sql, err);
    tc_db_release(pool, conn);
    return st == TC_OK;
}
