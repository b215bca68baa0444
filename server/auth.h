#ifndef TC_AUTH_H
#define TC_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tincay/password.h"
#include "tincay/policy.h"
#include "tincay/sessions.h"
#include "tincay/status.h"
#include "tincay/users.h"

struct tc_request;
struct tc_response;

/*
 * Who sent a request, and what they may do. Three ways in, as ODK Collect and browsers use
 * them: an app-user token in the path (`/key/:token/...`), a session cookie (browser and
 * JSON API), and HTTP Basic after a 401 challenge (Collect with an account; refused over
 * plain HTTP except on loopback). A verified Basic credential is remembered for a short
 * while under a keyed hash, so formList and submissions do not pay for Argon2id each time;
 * the memory is dropped on password change or disable.
 */

#define TC_AUTH_COOKIE     "tincay_session" /* the session cookie's name */
#define TC_AUTH_CSRF_FIELD "X-CSRF-Token"   /* the header carrying a session's CSRF token */

/*
 * What the server holds for authentication: the password gate (bounded Argon2id) and the
 * memory of verified Basic credentials, under a random key made here and never stored.
 * One per server (struct tc_server_options.auth), shared by its threads.
 */
struct tc_auth;

struct tc_auth_options {
    unsigned int gate_slots;    /* hashes at once; 0: one per online core */
    unsigned int gate_wait_ms;  /* wait for a slot before 503; 0: TC_PASSWORD_GATE_WAIT_MS */
    enum tc_password_cost cost; /* of new hashes */
    unsigned int cache_ttl_s;   /* how long a verified credential is remembered; 0: 300 */
    unsigned int cache_entries; /* bound of that memory, oldest evicted first; 0: 4096 */
};

struct tc_auth *tc_auth_create(const struct tc_auth_options *opts, struct tc_error *err);
void tc_auth_destroy(struct tc_auth *auth); /* accepts NULL; wipes the cache and its key */

/* The gate, for whatever else hashes passwords (tc_login, tc_user_set_password...). */
struct tc_password_gate *tc_auth_gate(const struct tc_auth *auth);

/* The Argon2id cost of new hashes and key wraps (struct tc_vault_kdf.cost). */
enum tc_password_cost tc_auth_cost(const struct tc_auth *auth);

/* Counters since creation, for tests and metrics. */
struct tc_auth_stats {
    unsigned long long verifications; /* passwords checked against an account's hash */
    unsigned long long cache_hits;    /* Basic requests answered from the memory */
};
void tc_auth_stats(const struct tc_auth *auth, struct tc_auth_stats *out);

enum tc_principal_kind {
    TC_PRINCIPAL_NONE = 0, /* anonymous */
    TC_PRINCIPAL_USER,     /* an account, by cookie or Basic */
    TC_PRINCIPAL_APP_USER, /* an app-user token */
};

struct tc_principal {
    enum tc_principal_kind kind;
    long long id;      /* users.id or app_users.id */
    const char *login; /* the login, or the app user's name */
    const char *display_name;
    enum tc_role role; /* TC_ROLE_APP_USER for app users */
    enum tc_lang language;
    const char *commune_era;
    const char *commune_code;
    const char *province_code;
    long long unit_id;    /* 0: none */
    const int64_t *forms; /* app users: forms.id of every version assigned to them */
    size_t n_forms;
    bool by_cookie;            /* state-changing requests then need the CSRF token */
    const char *session_token; /* the cookie's token (never logged); NULL otherwise */
};

/*
 * Identify the sender: the `:token` capture of the route when it has one (a revoked or
 * unknown token is TC_EFORBIDDEN), else the session cookie, else Basic credentials. No
 * credentials at all: TC_OK with kind TC_PRINCIPAL_NONE. Wrong credentials: TC_EUNAUTH;
 * too many failures: TC_ERATELIMIT; hashing saturated: TC_EBUSY; Basic over plain HTTP
 * from anywhere but loopback: TC_EFORBIDDEN, the password unchecked. The principal's
 * strings live in the request's arena. Sets the request's language from the account's
 * setting. Logins by Basic that spend a hash are audited (login.ok, login.failed).
 * A route capture named `token` always means an app-user token. Call it once per request
 * (it queries the database); it uses the request's connection (tc_req_db).
 */
enum tc_status tc_auth_identify(struct tc_request *req, struct tc_principal *out,
                                struct tc_error *err);

/*
 * tc_auth_identify, then insist on someone: anonymous becomes TC_EUNAUTH. OpenRosa handlers
 * then add the Basic challenge with tc_auth_challenge.
 */
enum tc_status tc_auth_require(struct tc_request *req, struct tc_principal *out,
                               struct tc_error *err);

/* Add `WWW-Authenticate: Basic realm="tincay", charset="UTF-8"` to a 401 answer. */
enum tc_status tc_auth_challenge(struct tc_response *resp, struct tc_error *err);

/*
 * Whether `who` may do `action` on `what` (NULL: no particular record), by the one policy
 * table. A refusal is TC_EFORBIDDEN and writes an audit row (the action's name, outcome
 * "denied", the object's ids and codes) on the request's connection in its own
 * transaction, so denials are recorded even though the act never happens: call it before
 * opening the handler's transaction. Anonymous is TC_EUNAUTH, not audited.
 */
enum tc_status tc_auth_check(struct tc_request *req, const struct tc_principal *who,
                             enum tc_action action, const struct tc_policy_object *what,
                             struct tc_error *err);

/*
 * For a state-changing request authenticated by cookie: the X-CSRF-Token header (or the
 * `csrf` form field the caller passes as `presented`) must match the session's token.
 * TC_OK for other principals. A mismatch is TC_EFORBIDDEN.
 */
enum tc_status tc_auth_csrf(struct tc_request *req, const struct tc_principal *who,
                            const char *presented, struct tc_error *err);

/* The policy subject of a principal (for tc_policy_allows), with strings borrowed. */
void tc_auth_subject(const struct tc_principal *who, struct tc_policy_subject *out);

/* ---- pieces, public for the session handlers and the fuzzer ---- */

#define TC_AUTH_BASIC_MAX (TC_LOGIN_MAX + 1 + TC_PASSWORD_MAX_BYTES) /* decoded bytes */

/*
 * Parse an `Authorization` value "Basic <base64(login:password)>" (scheme in any case)
 * into `buf` (TC_AUTH_BASIC_MAX + 1 bytes; the caller wipes it): `*login` and `*password`
 * point into it, NUL-terminated. 1: not the Basic scheme; 0: parsed; -1: malformed (bad
 * base64, no ':', empty login, not UTF-8, a control character in the login, too long).
 */
int tc_auth_parse_basic(const char *header, char buf[TC_AUTH_BASIC_MAX + 1], const char **login,
                        const char **password, size_t *password_len);

/*
 * A password login opening a session (POST /api/v1/session): tc_login through the gate,
 * counted and audited (login.ok, or login.failed with the login as sent, never the
 * password). For a host or escrow officer the unit keys the password opens are re-wrapped
 * under the session's key (tc_vault_session_open); when that fails the session is deleted
 * and the login fails. On TC_OK `token_out` holds the session's token (the caller puts it
 * in the cookie and wipes it) and `*out` the principal, its language set on the request.
 */
enum tc_status tc_auth_login(struct tc_request *req, const char *login, const char *password,
                             size_t password_len, char token_out[TC_SESSION_TOKEN_MAX],
                             struct tc_principal *out, struct tc_error *err);

/* The audit row of an event of `who` (actor filled in from it), on the request's connection. */
void tc_auth_audit(struct tc_request *req, const struct tc_principal *who, const char *action,
                   const char *outcome, const char *detail_json);

#endif /* TC_AUTH_H */
