#include "tincay/audit.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "tincay/arena.h"
#include "tincay/db.h"

#define HASH_LEN       32
#define CHAIN_LOCK_KEY "7454170001" /* advisory lock id of the chainer: "tc" + 0001 */

static const char SQL_APPEND[] =
    "INSERT INTO audit_log (actor_kind, actor_id, actor_login, action, object_kind, object_id,"
    " purpose, client_addr, outcome, detail)"
    " VALUES ($1, $2::bigint, $3, $4, $5, $6, $7, $8, coalesce($9, 'ok'), $10::jsonb)";

/* The columns that are hashed, as deterministic text (timestamps as epoch microseconds). */
#define HASHED_COLUMNS                                                                             \
    "id::text, (extract(epoch FROM at) * 1000000)::bigint::text, actor_kind,"                      \
    " actor_id::text, actor_login, action, object_kind, object_id, purpose, client_addr,"          \
    " outcome, detail::text"
#define N_HASHED 12

static const char SQL_TRY_LOCK[] = "SELECT pg_try_advisory_xact_lock(" CHAIN_LOCK_KEY ")";
static const char SQL_LAST[] =
    "SELECT chain_seq, row_hash FROM audit_log WHERE chain_seq IS NOT NULL"
    " ORDER BY chain_seq DESC LIMIT 1";
static const char SQL_UNCHAINED[] = "SELECT " HASHED_COLUMNS " FROM audit_log"
                                    " WHERE chain_seq IS NULL ORDER BY id LIMIT $1";
static const char SQL_SET_CHAIN[] =
    "UPDATE audit_log SET chain_seq = $2::bigint, prev_hash = $3, row_hash = $4"
    " WHERE id = $1::bigint AND chain_seq IS NULL";
static const char SQL_ALL_CHAINED[] = "SELECT " HASHED_COLUMNS ", chain_seq, prev_hash, row_hash"
                                      " FROM audit_log WHERE chain_seq IS NOT NULL"
                                      " AND chain_seq > $1::bigint ORDER BY chain_seq LIMIT 5000";
static const char SQL_COUNT_UNCHAINED[] = "SELECT count(*) FROM audit_log WHERE chain_seq IS NULL";

enum tc_status
tc_audit_append(struct tc_db_conn *conn, const struct tc_audit_event *ev, struct tc_arena *arena,
                struct tc_error *err)
{
    char actor_id[24];
    const char *params[10];

    snprintf(actor_id, sizeof(actor_id), "%lld", ev->actor_id);
    params[0] = ev->actor_kind;
    params[1] = ev->actor_id != 0 ? actor_id : NULL;
    params[2] = ev->actor_login;
    params[3] = ev->action;
    params[4] = ev->object_kind;
    params[5] = ev->object_id;
    params[6] = ev->purpose;
    params[7] = ev->client_addr;
    params[8] = ev->outcome;
    params[9] = ev->detail_json;
    return tc_db_exec(conn, SQL_APPEND, 10, params, arena, NULL, err);
}

/*
 * row_hash = BLAKE2b-256(prev_hash || for each hashed column: a 1-byte NULL flag, an 8-byte
 * length and the bytes). Length prefixes keep ("ab","c") and ("a","bc") apart.
 */
static void
row_hash(const struct tc_db_result *res, size_t row, const unsigned char prev[HASH_LEN],
         unsigned char out[HASH_LEN])
{
    crypto_generichash_state st;

    crypto_generichash_init(&st, NULL, 0, HASH_LEN);
    crypto_generichash_update(&st, prev, HASH_LEN);
    for (size_t col = 0; col < N_HASHED; col++) {
        unsigned char head[9] = {0};
        size_t len = tc_db_length(res, row, col);

        head[0] = tc_db_is_null(res, row, col) ? 1 : 0;
        for (int i = 0; i < 8; i++)
            head[1 + i] = (unsigned char)(len >> (8 * i));
        crypto_generichash_update(&st, head, sizeof(head));
        if (!tc_db_is_null(res, row, col))
            crypto_generichash_update(&st, (const unsigned char *)tc_db_value(res, row, col), len);
    }
    crypto_generichash_final(&st, out, HASH_LEN);
}

struct chain_ctx {
    size_t max_rows;
    size_t chained;
    struct tc_arena *arena;
};

static enum tc_status
chain_txn(struct tc_db_conn *conn, void *arg, struct tc_error *err)
{
    struct chain_ctx *ctx = arg;
    struct tc_db_result *lock, *last, *rows;
    unsigned char prev[HASH_LEN] = {0};
    long long seq = 0;
    char limit[24];
    const char *lp[] = {limit};
    enum tc_status st;

    ctx->chained = 0;
    if ((st = tc_db_exec(conn, SQL_TRY_LOCK, 0, NULL, ctx->arena, &lock, err)) != TC_OK)
        return st;
    if (!tc_db_bool(lock, 0, 0))
        return TC_OK; /* another chainer is at work */
    if ((st = tc_db_exec(conn, SQL_LAST, 0, NULL, ctx->arena, &last, err)) != TC_OK)
        return st;
    if (tc_db_rows(last) == 1) {
        size_t len = 0;
        unsigned char *h = tc_db_bytea(last, 0, 1, ctx->arena, &len);

        if (h == NULL || len != HASH_LEN)
            return tc_fail(err, TC_EINTERNAL, "audit chain head has a malformed hash");
        memcpy(prev, h, HASH_LEN);
        seq = tc_db_int(last, 0, 0, 0);
    }
    snprintf(limit, sizeof(limit), "%zu", ctx->max_rows);
    if ((st = tc_db_exec(conn, SQL_UNCHAINED, 1, lp, ctx->arena, &rows, err)) != TC_OK)
        return st;
    for (size_t r = 0; r < tc_db_rows(rows); r++) {
        unsigned char hash[HASH_LEN];
        char seq_text[24];
        const char *p[] = {tc_db_value(rows, r, 0), seq_text, (const char *)prev,
                           (const char *)hash};
        const size_t lens[] = {0, 0, HASH_LEN, HASH_LEN};
        const bool bin[] = {false, false, true, true};

        row_hash(rows, r, prev, hash);
        snprintf(seq_text, sizeof(seq_text), "%lld", ++seq);
        st = tc_db_exec_bin(conn, SQL_SET_CHAIN, 4, p, lens, bin, ctx->arena, NULL, err);
        if (st != TC_OK)
            return st;
        memcpy(prev, hash, HASH_LEN);
        ctx->chained++;
    }
    return TC_OK;
}

enum tc_status
tc_audit_chain(struct tc_db_conn *conn, size_t max_rows, size_t *chained_out, struct tc_error *err)
{
    struct chain_ctx ctx = {.max_rows = max_rows ? max_rows : 1000};
    enum tc_status st;

    if ((ctx.arena = tc_arena_create(16384)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    st = tc_db_transact(conn, false, chain_txn, &ctx, err);
    tc_arena_destroy(ctx.arena);
    if (chained_out != NULL)
        *chained_out = st == TC_OK ? ctx.chained : 0;
    return st;
}

/* Check one batch of chained rows; returns false at the first broken row. */
static bool
verify_batch(const struct tc_db_result *rows, struct tc_arena *arena, unsigned char prev[HASH_LEN],
             long long *seq, struct tc_audit_report *out)
{
    for (size_t r = 0; r < tc_db_rows(rows); r++) {
        unsigned char hash[HASH_LEN];
        size_t plen = 0, hlen = 0;
        long long row_seq = tc_db_int(rows, r, N_HASHED, 0);
        const unsigned char *stored_prev = tc_db_bytea(rows, r, N_HASHED + 1, arena, &plen);
        const unsigned char *stored = tc_db_bytea(rows, r, N_HASHED + 2, arena, &hlen);

        row_hash(rows, r, prev, hash);
        if (row_seq != *seq + 1 || stored_prev == NULL || plen != HASH_LEN ||
            sodium_memcmp(stored_prev, prev, HASH_LEN) != 0 || stored == NULL || hlen != HASH_LEN ||
            sodium_memcmp(stored, hash, HASH_LEN) != 0) {
            out->first_broken_id = tc_db_int(rows, r, 0, -1);
            out->first_broken_seq = row_seq;
            return false;
        }
        memcpy(prev, hash, HASH_LEN);
        *seq = row_seq;
        out->checked++;
    }
    return true;
}

enum tc_status
tc_audit_verify(struct tc_db_conn *conn, struct tc_audit_report *out, struct tc_error *err)
{
    unsigned char prev[HASH_LEN] = {0};
    long long seq = 0;
    struct tc_db_result *rows, *count;
    enum tc_status st = TC_OK;

    memset(out, 0, sizeof(*out));
    for (;;) {
        struct tc_arena *arena = tc_arena_create(65536);
        char after[24];
        const char *p[] = {after};
        bool intact;
        size_t n;

        if (arena == NULL)
            return tc_fail(err, TC_ENOMEM, "out of memory");
        snprintf(after, sizeof(after), "%lld", seq);
        if ((st = tc_db_exec(conn, SQL_ALL_CHAINED, 1, p, arena, &rows, err)) != TC_OK) {
            tc_arena_destroy(arena);
            return st;
        }
        n = tc_db_rows(rows);
        intact = verify_batch(rows, arena, prev, &seq, out);
        tc_arena_destroy(arena);
        if (!intact || n == 0)
            break;
    }
    {
        struct tc_arena *arena = tc_arena_create(1024);

        if (arena == NULL)
            return tc_fail(err, TC_ENOMEM, "out of memory");
        st = tc_db_exec(conn, SQL_COUNT_UNCHAINED, 0, NULL, arena, &count, err);
        if (st == TC_OK)
            out->unchained = (size_t)tc_db_int(count, 0, 0, 0);
        tc_arena_destroy(arena);
    }
    return st;
}
