#ifndef TC_SESSIONS_H
#define TC_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/status.h"
#include "tincay/users.h"

struct tc_arena;
struct tc_db_conn;
struct tc_password_gate;

/*
 * Logins and sessions. A session token is 256 random bits, given to the client once as
 * 43 base64url characters (the cookie); the database keeps only its BLAKE2b-256 hash, so
 * a copy of the database opens no session. The time limits are plain numbers because they
 * are also sent to the database as text. Failed logins are counted in the database per
 * account and per client address, so limits hold across server instances.
 */

#define TC_SESSION_TOKEN_MAX          44     /* 43 characters and the NUL */
#define TC_SESSION_IDLE_S             43200  /* 12 h: ends after this long unused */
#define TC_SESSION_ABSOLUTE_S         604800 /* 7 days: ends this long after login, used or not */
#define TC_SESSION_TOUCH_S            300    /* last_seen_at is written at most this often */
#define TC_LOGIN_WINDOW_S             900    /* 15 min: failures counted over this window */
#define TC_LOGIN_MAX_ACCOUNT_FAILURES 10     /* per login, in the window */
#define TC_LOGIN_MAX_ADDRESS_FAILURES 50     /* per address (IPv6: per /64), in the window */
#define TC_USER_AGENT_MAX             120    /* characters kept of the User-Agent */

struct tc_login_request {
    const char *login;
    const char *password; /* not copied; the caller wipes it */
    size_t password_len;
    const char *client_addr; /* textual IPv4/IPv6 address; NULL: no per-address limit */
    const char *user_agent;  /* may be NULL */
};

/*
 * Check the rate limits (TC_ERATELIMIT), verify the password through `gate` (TC_EBUSY
 * when full; an unknown or disabled login spends a hash too and gets the same
 * TC_EUNAUTH as a wrong password), rehash it when its parameters are outdated, and open
 * a session. On TC_OK the token is in `token_out` (the only time it exists outside the
 * client: the caller wipes it after setting the cookie) and the user in `*user_out`
 * (may be NULL), its strings in `arena`.
 */
enum tc_status tc_login(struct tc_db_conn *conn, struct tc_password_gate *gate,
                        const struct tc_login_request *req, struct tc_arena *arena,
                        char token_out[TC_SESSION_TOKEN_MAX], struct tc_user *user_out,
                        struct tc_error *err);

/*
 * As tc_login, without opening a session: the rate limits, the password through `gate`
 * (with the same answers), the rehash, and failures forgotten on success. For HTTP Basic,
 * whose caller may remember the verified credential for a while: `*stamp_out` identifies
 * the password in force (it changes with every password change; tc_user_get_by_id reads
 * it again), so that memory can be dropped the moment it no longer matches.
 */
enum tc_status tc_login_verify(struct tc_db_conn *conn, struct tc_password_gate *gate,
                               const struct tc_login_request *req, struct tc_arena *arena,
                               struct tc_user *user_out, long long *stamp_out,
                               struct tc_error *err);

struct tc_session {
    struct tc_user user;
    const char *created_at; /* ISO 8601, UTC */
    const char *expires_at; /* the absolute end */
};

/*
 * The session of `token` (the cookie's value): TC_EUNAUTH when malformed, unknown,
 * expired (idle or absolute) or its user is disabled. Refreshes last_seen_at at most
 * every TC_SESSION_TOUCH_S seconds.
 */
enum tc_status tc_session_lookup(struct tc_db_conn *conn, const char *token, struct tc_arena *arena,
                                 struct tc_session *out, struct tc_error *err);

/* End the session of `token` (logout). TC_OK also when it had ended already. */
enum tc_status tc_session_delete(struct tc_db_conn *conn, const char *token, struct tc_error *err);

/* Delete ended sessions and login failures older than the window; `*purged` may be NULL. */
enum tc_status tc_sessions_purge_expired(struct tc_db_conn *conn, size_t *purged,
                                         struct tc_error *err);

/*
 * The anti-CSRF token of a session: keyed BLAKE2b of the session token, so every
 * instance derives it without storing it. Pages embed it; state-changing requests send
 * it back and tc_session_csrf_check compares it in constant time.
 */
void tc_session_csrf(const char *token, char out[TC_SESSION_TOKEN_MAX]);
bool tc_session_csrf_check(const char *token, const char *presented);

#endif /* TC_SESSIONS_H */
