#ifndef TC_AUTH_H
#define TC_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/policy.h"
#include "tincay/status.h"

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

enum tc_principal_kind {
    TC_PRINCIPAL_NONE = 0, /* anonymous */
    TC_PRINCIPAL_USER,     /* an account, by cookie or Basic */
    TC_PRINCIPAL_APP_USER, /* an app-user token */
};

struct tc_principal {
    enum tc_principal_kind kind;
    long long id;      /* users.id or app_users.id */
    const char *login; /* the login, or the app user's name */
    enum tc_role role; /* TC_ROLE_APP_USER for app users */
    const char *commune_era;
    const char *commune_code;
    const char *province_code;
    long long unit_id;         /* 0: none */
    bool by_cookie;            /* state-changing requests then need the CSRF token */
    const char *session_token; /* the cookie's token (never logged); NULL otherwise */
};

/*
 * Identify the sender: the `:token` capture of the route when it has one (a revoked or
 * unknown token is TC_EFORBIDDEN), else the session cookie, else Basic credentials. No
 * credentials at all: TC_OK with kind TC_PRINCIPAL_NONE. Wrong credentials: TC_EUNAUTH;
 * too many failures: TC_ERATELIMIT; hashing saturated: TC_EBUSY. The principal's strings
 * live in the request's arena. Sets the request's language from the account's setting.
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
 * table. A refusal is TC_EFORBIDDEN and writes an audit row ("denied") in its own
 * transaction, so denials are recorded even though the act never happens.
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

#endif /* TC_AUTH_H */
