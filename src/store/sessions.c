#include "tincay/sessions.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "store/users_row.h"
#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/password.h"

#define TOKEN_BYTES 32
#define KEY_MAX     80 /* "u:" + login, "a:" + address */

_Static_assert(TC_SESSION_TOKEN_MAX ==
                   sodium_base64_ENCODED_LEN(TOKEN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
               "token buffer fits 32 bytes in base64url");

static const char sql_failures[] =
    "SELECT coalesce(sum(failures) FILTER (WHERE key = $1), 0),"
    "       coalesce(sum(failures) FILTER (WHERE key = $2), 0)"
    " FROM login_failures"
    " WHERE key IN ($1, $2) AND bucket > now() - make_interval(secs => $3::int)";
static const char sql_record_failure[] =
    "INSERT INTO login_failures (key, bucket, failures)"
    " SELECT k, date_trunc('minute', now()), 1 FROM unnest(ARRAY[$1, $2]::text[]) AS k"
    " WHERE k IS NOT NULL"
    " ON CONFLICT (key, bucket) DO UPDATE SET failures = login_failures.failures + 1";
static const char sql_clear_failures[] = "DELETE FROM login_failures WHERE key = $1";
static const char sql_user_for_login[] =
    "SELECT " TC_USER_COLUMNS ", u.password_hash, " TC_USER_PASSWORD_STAMP
    " FROM users u WHERE u.login = $1";
static const char sql_rehash[] =
    "UPDATE users SET password_hash = $2 WHERE id = $1 AND password_hash = $3";
static const char sql_session_insert[] =
    "INSERT INTO sessions (id_hash, user_id, expires_at, user_agent)"
    " VALUES ($1, $2, now() + make_interval(secs => $3::int), $4)";
static const char sql_session_get[] =
    "SELECT " TC_USER_COLUMNS ","
    " to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " to_char(s.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " s.last_seen_at < now() - make_interval(secs => $3::int)"
    " FROM sessions s JOIN users u ON u.id = s.user_id"
    " WHERE s.id_hash = $1 AND s.expires_at > now()"
    "   AND s.last_seen_at > now() - make_interval(secs => $2::int) AND u.disabled_at IS NULL";
static const char sql_session_touch[] =
    "UPDATE sessions SET last_seen_at = now() WHERE id_hash = $1";
static const char sql_session_delete[] = "DELETE FROM sessions WHERE id_hash = $1";
static const char sql_purge[] =
    "WITH s AS (DELETE FROM sessions"
    "           WHERE expires_at <= now() OR last_seen_at <= now() - make_interval(secs => $1::int)"
    "           RETURNING 1),"
    "     f AS (DELETE FROM login_failures"
    "           WHERE bucket <= now() - make_interval(secs => $2::int))"
    " SELECT count(*) FROM s";

#define STR_(x) #x
#define STR(x)  STR_(x)

/* ---- tokens ----------------------------------------------------------------------------- */

/* The 32 bytes of a base64url token; -1 when it is not exactly that. */
static int
token_decode(const char *token, unsigned char raw[TOKEN_BYTES])
{
    size_t len = 0;
    const char *end = NULL;

    if (token == NULL || strlen(token) != TC_SESSION_TOKEN_MAX - 1)
        return -1;
    if (sodium_base642bin(raw, TOKEN_BYTES, token, TC_SESSION_TOKEN_MAX - 1, NULL, &len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        len != TOKEN_BYTES || end == NULL || *end != '\0')
        return -1;
    return 0;
}

static void
token_hash(const unsigned char raw[TOKEN_BYTES], unsigned char out[crypto_generichash_BYTES])
{
    crypto_generichash(out, crypto_generichash_BYTES, raw, TOKEN_BYTES, NULL, 0);
}

void
tc_session_csrf(const char *token, char out[TC_SESSION_TOKEN_MAX])
{
    static const char context[] = "tincay csrf v1";
    unsigned char raw[TOKEN_BYTES], mac[TOKEN_BYTES];

    out[0] = '\0';
    if (token_decode(token, raw) != 0)
        return;
    crypto_generichash(mac, sizeof(mac), (const unsigned char *)context, sizeof(context) - 1, raw,
                       sizeof(raw));
    sodium_bin2base64(out, TC_SESSION_TOKEN_MAX, mac, sizeof(mac),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
}

bool
tc_session_csrf_check(const char *token, const char *presented)
{
    char expected[TC_SESSION_TOKEN_MAX];
    bool ok;

    tc_session_csrf(token, expected);
    ok = expected[0] != '\0' && presented != NULL &&
         strlen(presented) == TC_SESSION_TOKEN_MAX - 1 &&
         sodium_memcmp(expected, presented, TC_SESSION_TOKEN_MAX - 1) == 0;
    sodium_memzero(expected, sizeof(expected));
    return ok;
}

/* ---- rate limits ------------------------------------------------------------------------ */

/* "a:<address>", an IPv6 address reduced to its /64 (one subscriber's whole range). */
static void
address_key(const char *addr, char out[KEY_MAX])
{
    struct in6_addr a6;
    char text[INET6_ADDRSTRLEN];

    out[0] = '\0';
    if (addr == NULL || addr[0] == '\0')
        return;
    if (inet_pton(AF_INET6, addr, &a6) == 1 && !IN6_IS_ADDR_V4MAPPED(&a6)) {
        memset(a6.s6_addr + 8, 0, 8);
        if (inet_ntop(AF_INET6, &a6, text, sizeof(text)) != NULL) {
            snprintf(out, KEY_MAX, "a:%s/64", text);
            return;
        }
    }
    snprintf(out, KEY_MAX, "a:%.60s", addr);
}

struct attempt {
    struct tc_arena *arena;
    char login[TC_LOGIN_MAX + 1];
    char account_key[KEY_MAX], address_key[KEY_MAX];
};

static enum tc_status
check_limits(struct tc_db_conn *conn, const struct attempt *a, struct tc_error *err)
{
    const char *params[] = {a->account_key, a->address_key[0] ? a->address_key : NULL,
                            STR(TC_LOGIN_WINDOW_S)};
    struct tc_db_result *res;
    enum tc_status st;

    if ((st = tc_db_exec(conn, sql_failures, 3, params, a->arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_int(res, 0, 0, 0) >= TC_LOGIN_MAX_ACCOUNT_FAILURES ||
        tc_db_int(res, 0, 1, 0) >= TC_LOGIN_MAX_ADDRESS_FAILURES)
        return tc_fail(err, TC_ERATELIMIT, "too many failed logins; try again in %d minutes",
                       TC_LOGIN_WINDOW_S / 60);
    return TC_OK;
}

/* Count a failure, keeping the status and message of `err` (the caller's answer). */
static enum tc_status
record_failure(struct tc_db_conn *conn, const struct attempt *a, enum tc_status status)
{
    struct tc_error ignored = TC_ERROR_INIT(TC_LANG_EN);
    const char *params[] = {a->account_key[0] ? a->account_key : NULL,
                            a->address_key[0] ? a->address_key : NULL};

    (void)tc_db_exec(conn, sql_record_failure, 2, params, a->arena, NULL, &ignored);
    return status;
}

/* ---- login ------------------------------------------------------------------------------ */

struct opening {
    const struct attempt *a;
    const char *user_id;
    long long stamp; /* of the password verified */
    unsigned char id_hash[crypto_generichash_BYTES];
    char user_agent[TC_USER_AGENT_MAX + 1];
    const char *new_hash, *old_hash; /* a rehash to store, or NULL */
};

static void
clean_user_agent(const char *ua, char out[TC_USER_AGENT_MAX + 1])
{
    size_t n = 0;

    for (; ua != NULL && ua[n] != '\0' && n < TC_USER_AGENT_MAX; n++)
        out[n] = ua[n] >= 0x20 && ua[n] < 0x7f ? ua[n] : '?';
    out[n] = '\0';
}

/* After a verified password: forget the account's failures, store a rehash if one was made. */
static enum tc_status
settle(struct tc_db_conn *conn, const struct opening *o, struct tc_error *err)
{
    const char *clear[] = {o->a->account_key};
    enum tc_status st = tc_db_exec(conn, sql_clear_failures, 1, clear, o->a->arena, NULL, err);

    if (st == TC_OK && o->new_hash != NULL) {
        const char *rehash[] = {o->user_id, o->new_hash, o->old_hash};

        st = tc_db_exec(conn, sql_rehash, 3, rehash, o->a->arena, NULL, err);
    }
    return st;
}

static enum tc_status
settle_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    return settle(conn, ctx, err);
}

static enum tc_status
open_session_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    struct opening *o = ctx;
    const char *insert[] = {(const char *)o->id_hash, o->user_id, STR(TC_SESSION_ABSOLUTE_S),
                            o->user_agent};
    const size_t lengths[] = {sizeof(o->id_hash), 0, 0, 0};
    const bool binary[] = {true, false, false, false};
    enum tc_status st;

    if ((st = tc_db_exec_bin(conn, sql_session_insert, 4, insert, lengths, binary, o->a->arena,
                             NULL, err)) != TC_OK)
        return st;
    return settle(conn, o, err);
}

/* The account's row, or none (then `*found` is false). */
static enum tc_status
load_user(struct tc_db_conn *conn, const struct attempt *a, struct tc_user *user, const char **hash,
          long long *stamp, bool *found, struct tc_error *err)
{
    const char *params[] = {a->login};
    struct tc_db_result *res;
    enum tc_status st;

    *found = false;
    if ((st = tc_db_exec(conn, sql_user_for_login, 1, params, a->arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return TC_OK;
    tc_user_from_row(res, 0, 0, user);
    *hash = tc_db_value(res, 0, TC_USER_NCOLS);
    *stamp = tc_db_int(res, 0, TC_USER_NCOLS + 1, 0);
    *found = true;
    return TC_OK;
}

/* Verify; on success prepare a rehash when the stored parameters are outdated. */
static enum tc_status
verify(struct tc_password_gate *gate, const struct tc_login_request *req, const char *hash,
       char new_hash[TC_PASSWORD_HASH_MAX], bool *rehash, struct tc_error *err)
{
    enum tc_status st;

    st = tc_password_verify(gate, hash, req->password, req->password_len, rehash, err);
    if (st == TC_OK && *rehash)
        *rehash = tc_password_hash(gate, req->password, req->password_len, new_hash, NULL) == TC_OK;
    return st;
}

static void
make_token(struct opening *o, char token_out[TC_SESSION_TOKEN_MAX])
{
    unsigned char raw[TOKEN_BYTES];

    randombytes_buf(raw, sizeof(raw));
    token_hash(raw, o->id_hash);
    sodium_bin2base64(token_out, TC_SESSION_TOKEN_MAX, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
}

static enum tc_status
authenticate(struct tc_db_conn *conn, struct tc_password_gate *gate,
             const struct tc_login_request *req, struct attempt *a, struct tc_user *user,
             struct opening *o, char new_hash[TC_PASSWORD_HASH_MAX], struct tc_error *err)
{
    const char *hash = NULL;
    bool found = false, rehash = false;
    enum tc_status st;

    if ((st = check_limits(conn, a, err)) != TC_OK ||
        (st = load_user(conn, a, user, &hash, &o->stamp, &found, err)) != TC_OK)
        return st;
    if (!found || user->disabled) {
        st = tc_password_verify_none(gate, req->password, req->password_len, err);
        return st == TC_EBUSY ? st : record_failure(conn, a, TC_EUNAUTH);
    }
    st = verify(gate, req, hash, new_hash, &rehash, err);
    if (st == TC_EUNAUTH)
        return record_failure(conn, a, st);
    if (st != TC_OK)
        return st;
    o->new_hash = rehash ? new_hash : NULL;
    o->old_hash = hash;
    return TC_OK;
}

/* Rate limits, then the password; on TC_OK `o` is ready for settle(). */
static enum tc_status
check_password(struct tc_db_conn *conn, struct tc_password_gate *gate,
               const struct tc_login_request *req, struct attempt *a, struct tc_user *user,
               struct opening *o, char new_hash[TC_PASSWORD_HASH_MAX], struct tc_error *err)
{
    enum tc_status st;

    address_key(req->client_addr, a->address_key);
    if (tc_login_normalise(req->login, a->login, NULL) != TC_OK) {
        /* No such account can exist; count it against the address only. */
        return record_failure(conn, a, tc_fail(err, TC_EUNAUTH, "wrong login or password"));
    }
    snprintf(a->account_key, sizeof(a->account_key), "u:%s", a->login);
    if ((st = authenticate(conn, gate, req, a, user, o, new_hash, err)) != TC_OK)
        return st;
    if ((o->user_id = tc_arena_printf(a->arena, "%lld", user->id)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    return TC_OK;
}

enum tc_status
tc_login_verify(struct tc_db_conn *conn, struct tc_password_gate *gate,
                const struct tc_login_request *req, struct tc_arena *arena,
                struct tc_user *user_out, long long *stamp_out, struct tc_error *err)
{
    struct attempt a = {.arena = arena};
    struct opening o = {.a = &a};
    struct tc_user user;
    char new_hash[TC_PASSWORD_HASH_MAX];
    enum tc_status st;

    *stamp_out = 0;
    if ((st = check_password(conn, gate, req, &a, &user, &o, new_hash, err)) == TC_OK &&
        (st = tc_db_transact(conn, false, settle_txn, &o, err)) == TC_OK) {
        *user_out = user;
        *stamp_out = o.stamp;
    }
    sodium_memzero(new_hash, sizeof(new_hash));
    return st;
}

enum tc_status
tc_login(struct tc_db_conn *conn, struct tc_password_gate *gate, const struct tc_login_request *req,
         struct tc_arena *arena, char token_out[TC_SESSION_TOKEN_MAX], struct tc_user *user_out,
         struct tc_error *err)
{
    struct attempt a = {.arena = arena};
    struct opening o = {.a = &a};
    struct tc_user user;
    char new_hash[TC_PASSWORD_HASH_MAX];
    enum tc_status st;

    token_out[0] = '\0';
    if ((st = check_password(conn, gate, req, &a, &user, &o, new_hash, err)) != TC_OK)
        goto out;
    clean_user_agent(req->user_agent, o.user_agent);
    make_token(&o, token_out);
    if ((st = tc_db_transact(conn, false, open_session_txn, &o, err)) != TC_OK) {
        sodium_memzero(token_out, TC_SESSION_TOKEN_MAX);
        goto out;
    }
    if (user_out != NULL)
        *user_out = user;
out:
    sodium_memzero(new_hash, sizeof(new_hash));
    sodium_memzero(o.id_hash, sizeof(o.id_hash));
    return st;
}

/* ---- sessions --------------------------------------------------------------------------- */

enum tc_status
tc_session_lookup(struct tc_db_conn *conn, const char *token, struct tc_arena *arena,
                  struct tc_session *out, struct tc_error *err)
{
    unsigned char raw[TOKEN_BYTES], id_hash[crypto_generichash_BYTES];
    const char *params[] = {(const char *)id_hash, STR(TC_SESSION_IDLE_S), STR(TC_SESSION_TOUCH_S)};
    const size_t lengths[] = {sizeof(id_hash), 0, 0};
    const bool binary[] = {true, false, false};
    struct tc_db_result *res;
    enum tc_status st;

    if (token_decode(token, raw) != 0)
        return tc_fail(err, TC_EUNAUTH, "your session has ended; log in again");
    token_hash(raw, id_hash);
    sodium_memzero(raw, sizeof(raw));
    st = tc_db_exec_bin(conn, sql_session_get, 3, params, lengths, binary, arena, &res, err);
    if (st == TC_OK && tc_db_rows(res) == 0)
        st = tc_fail(err, TC_EUNAUTH, "your session has ended; log in again");
    if (st == TC_OK) {
        tc_user_from_row(res, 0, 0, &out->user);
        out->created_at = tc_db_value(res, 0, TC_USER_NCOLS);
        out->expires_at = tc_db_value(res, 0, TC_USER_NCOLS + 1);
        if (tc_db_bool(res, 0, TC_USER_NCOLS + 2)) /* a lost touch only shortens idle time */
            (void)tc_db_exec_bin(conn, sql_session_touch, 1, params, lengths, binary, arena, NULL,
                                 NULL);
    }
    sodium_memzero(id_hash, sizeof(id_hash));
    return st;
}

enum tc_status
tc_session_delete(struct tc_db_conn *conn, const char *token, struct tc_error *err)
{
    unsigned char raw[TOKEN_BYTES], id_hash[crypto_generichash_BYTES];
    const char *params[] = {(const char *)id_hash};
    const size_t lengths[] = {sizeof(id_hash)};
    const bool binary[] = {true};
    struct tc_arena *arena;
    enum tc_status st;

    if (token_decode(token, raw) != 0)
        return TC_OK; /* nothing that could be a session */
    token_hash(raw, id_hash);
    sodium_memzero(raw, sizeof(raw));
    if ((arena = tc_arena_create(256)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    st = tc_db_exec_bin(conn, sql_session_delete, 1, params, lengths, binary, arena, NULL, err);
    tc_arena_destroy(arena);
    return st;
}

enum tc_status
tc_sessions_purge_expired(struct tc_db_conn *conn, size_t *purged, struct tc_error *err)
{
    const char *params[] = {STR(TC_SESSION_IDLE_S), STR(TC_LOGIN_WINDOW_S)};
    struct tc_arena *arena = tc_arena_create(256);
    struct tc_db_result *res;
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    st = tc_db_exec(conn, sql_purge, 2, params, arena, &res, err);
    if (st == TC_OK && purged != NULL)
        *purged = (size_t)tc_db_int(res, 0, 0, 0);
    tc_arena_destroy(arena);
    return st;
}
