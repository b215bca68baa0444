/*
 * Interim implementation of server/auth.h for the openrosa branch, until the auth
 * branch's server/auth.c is merged (that merge deletes this file). It honours the
 * contract for what the OpenRosa and JSON API handlers use: app-user tokens from the
 * `:token` capture (revoked or unknown: TC_EFORBIDDEN), Basic credentials verified with
 * tc_login (loopback or TLS only), the policy table for checks. It keeps no credential
 * cache and writes no audit row for denials; the auth branch adds both.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "auth.h"
#include "http.h"
#include "tincay/app_users.h"
#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/password.h"
#include "tincay/sessions.h"
#include "tincay/users.h"

#define AUTH_WAIT_MS 2000u

static enum tc_status
identify_token(struct tc_request *req, const char *token, struct tc_principal *out,
               struct tc_error *err)
{
    struct tc_db_pool *pool = tc_server_pool(tc_req_server(req));
    struct tc_db_conn *conn = pool != NULL ? tc_db_acquire(pool, AUTH_WAIT_MS, err) : NULL;
    struct tc_app_user au;
    enum tc_status st;

    if (conn == NULL)
        return pool == NULL ? tc_fail(err, TC_ERETRY, "database unavailable") : err->status;
    st = tc_app_user_lookup(conn, token, tc_req_arena(req), &au, err);
    tc_db_release(pool, conn);
    if (st != TC_OK)
        return st;
    out->kind = TC_PRINCIPAL_APP_USER;
    out->id = au.id;
    out->login = au.name;
    out->role = TC_ROLE_APP_USER;
    out->unit_id = au.unit_id;
    return TC_OK;
}

/* "Basic base64(login:password)" → login and password in `buf` (wiped by the caller). */
static int
decode_basic(const char *header, char *buf, size_t size, char **password)
{
    size_t len = 0;
    char *colon;

    if (strncasecmp(header, "Basic ", 6) != 0)
        return -1;
    if (sodium_base642bin((unsigned char *)buf, size - 1, header + 6, strlen(header + 6), " ", &len,
                          NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
        return -1;
    buf[len] = '\0';
    if ((colon = strchr(buf, ':')) == NULL)
        return -1;
    *colon = '\0';
    *password = colon + 1;
    return 0;
}

static void
fill_user(const struct tc_user *u, struct tc_principal *out)
{
    out->kind = TC_PRINCIPAL_USER;
    out->id = u->id;
    out->login = u->login;
    out->role = u->role;
    out->commune_era = u->commune_era;
    out->commune_code = u->commune_code;
    out->province_code = u->province_code;
    out->unit_id = u->unit_id;
}

static enum tc_status
identify_basic(struct tc_request *req, const char *header, struct tc_principal *out,
               struct tc_error *err)
{
    struct tc_db_pool *pool = tc_server_pool(tc_req_server(req));
    struct tc_password_gate *gate = NULL;
    struct tc_db_conn *conn = NULL;
    char buf[TC_PASSWORD_MAX_BYTES + TC_LOGIN_MAX + 8];
    char token[TC_SESSION_TOKEN_MAX];
    char *password = NULL;
    struct tc_user user;
    enum tc_status st;

    if (!tc_req_is_tls(req) && !tc_req_is_loopback(req))
        return tc_fail(err, TC_EUNAUTH, "Basic authentication needs HTTPS");
    if (decode_basic(header, buf, sizeof(buf), &password) != 0) {
        st = tc_fail(err, TC_EUNAUTH, "malformed credentials");
        goto out;
    }
    if ((gate = tc_password_gate_create(1, AUTH_WAIT_MS, TC_PASSWORD_INTERACTIVE, err)) == NULL ||
        (conn = pool != NULL ? tc_db_acquire(pool, AUTH_WAIT_MS, err) : NULL) == NULL) {
        st = err->status != TC_OK ? err->status : TC_ERETRY;
        goto out;
    }
    st = tc_login(conn, gate,
                  &(struct tc_login_request){.login = buf,
                                             .password = password,
                                             .password_len = strlen(password),
                                             .client_addr = tc_req_client_addr(req)},
                  tc_req_arena(req), token, &user, err);
    if (st == TC_OK) {
        tc_session_delete(conn, token, err); /* the interim keeps no session for Basic */
        fill_user(&user, out);
        tc_req_set_lang(req, user.language);
    }
out:
    tc_db_release(pool, conn);
    tc_password_gate_destroy(gate);
    sodium_memzero(buf, sizeof(buf));
    sodium_memzero(token, sizeof(token));
    return st;
}

enum tc_status
tc_auth_identify(struct tc_request *req, struct tc_principal *out, struct tc_error *err)
{
    const char *token = tc_req_param(req, "token");
    const char *basic = tc_req_header(req, "Authorization");

    memset(out, 0, sizeof(*out));
    out->kind = TC_PRINCIPAL_NONE;
    if (token != NULL)
        return identify_token(req, token, out, err);
    if (basic != NULL)
        return identify_basic(req, basic, out, err);
    return TC_OK;
}

enum tc_status
tc_auth_require(struct tc_request *req, struct tc_principal *out, struct tc_error *err)
{
    enum tc_status st = tc_auth_identify(req, out, err);

    if (st == TC_OK && out->kind == TC_PRINCIPAL_NONE)
        return tc_fail(err, TC_EUNAUTH, "authentication required");
    return st;
}

enum tc_status
tc_auth_challenge(struct tc_response *resp, struct tc_error *err)
{
    return tc_resp_header(resp, "WWW-Authenticate", "Basic realm=\"tincay\", charset=\"UTF-8\"",
                          err);
}

void
tc_auth_subject(const struct tc_principal *who, struct tc_policy_subject *out)
{
    memset(out, 0, sizeof(*out));
    out->user_id = who->kind == TC_PRINCIPAL_USER ? who->id : 0;
    out->unit_id = who->unit_id;
    out->commune = who->commune_code;
    out->province = who->province_code;
}

enum tc_status
tc_auth_check(struct tc_request *req, const struct tc_principal *who, enum tc_action action,
              const struct tc_policy_object *what, struct tc_error *err)
{
    struct tc_policy_subject subject;

    (void)req;
    tc_auth_subject(who, &subject);
    if (who->kind == TC_PRINCIPAL_NONE || !tc_policy_allows(who->role, action, &subject, what))
        return tc_fail(err, TC_EFORBIDDEN, "permission denied");
    return TC_OK;
}

enum tc_status
tc_auth_csrf(struct tc_request *req, const struct tc_principal *who, const char *presented,
             struct tc_error *err)
{
    (void)req;
    (void)presented;
    if (who->by_cookie)
        return tc_fail(err, TC_EFORBIDDEN, "permission denied");
    return TC_OK;
}
