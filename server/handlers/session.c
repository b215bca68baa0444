#include "handlers/session.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "auth.h"
#include "http.h"
#include "json_body.h"
#include "tincay/db.h"
#include "tincay/sessions.h"

#define COOKIE_ATTRS "; Path=/; HttpOnly; SameSite=Strict"

static json_t *
user_json(const struct tc_principal *who)
{
    json_t *commune = who->commune_code != NULL ? json_pack("{s:s?, s:s}", "era", who->commune_era,
                                                            "code", who->commune_code)
                                                : json_null();
    json_t *unit = who->unit_id != 0 ? json_integer(who->unit_id) : json_null();

    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:s?, s:o}", "id", (json_int_t)who->id,
                     "login", who->login, "display_name",
                     who->display_name ? who->display_name : "", "role", tc_role_name(who->role),
                     "language", tc_lang_name(who->language), "commune", commune, "province",
                     who->province_code, "unit_id", unit);
}

/* {"user": ..., "csrf": ...}, the token for a cookie session only. */
static enum tc_status
reply_user(struct tc_response *resp, const struct tc_principal *who, const char *session_token,
           struct tc_error *err)
{
    char csrf[TC_SESSION_TOKEN_MAX] = "";
    json_t *body;
    enum tc_status st;

    if (session_token != NULL)
        tc_session_csrf(session_token, csrf);
    body = json_pack("{s:o, s:s?}", "user", user_json(who), "csrf", csrf[0] ? csrf : NULL);
    st = body != NULL ? tc_resp_json(resp, body, err) : tc_fail(err, TC_ENOMEM, "out of memory");
    json_decref(body);
    sodium_memzero(csrf, sizeof(csrf));
    return st;
}

/* Set-Cookie for `token`, or one that clears the cookie when `token` is NULL. */
static enum tc_status
set_cookie(struct tc_request *req, struct tc_response *resp, const char *token,
           struct tc_error *err)
{
    char value[TC_SESSION_TOKEN_MAX + 128];
    enum tc_status st;

    snprintf(value, sizeof(value), "%s=%s%s%s%s", TC_AUTH_COOKIE, token ? token : "", COOKIE_ATTRS,
             token ? "" : "; Max-Age=0", tc_req_is_tls(req) ? "; Secure" : "");
    st = tc_resp_header(resp, "Set-Cookie", value, err);
    sodium_memzero(value, sizeof(value));
    return st;
}

enum tc_status
tc_handle_session_create(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    char token[TC_SESSION_TOKEN_MAX] = "";
    struct tc_principal who;
    json_t *body = NULL;
    const char *login, *password;
    size_t password_len;
    enum tc_status st;

    if ((st = tc_json_body(req, &body, err)) != TC_OK ||
        (st = tc_json_string(body, "login", true, &login, NULL, err)) != TC_OK ||
        (st = tc_json_string(body, "password", true, &password, &password_len, err)) != TC_OK)
        goto out;
    if ((st = tc_auth_login(req, login, password, password_len, token, &who, err)) != TC_OK)
        goto out;
    if ((st = set_cookie(req, resp, token, err)) == TC_OK)
        st = reply_user(resp, &who, token, err);
out:
    if (body != NULL)
        tc_json_wipe_string(body, "password");
    tc_req_body_wipe(req);
    sodium_memzero(token, sizeof(token));
    return st;
}

enum tc_status
tc_handle_session_delete(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    struct tc_db_conn *conn;
    enum tc_status st;

    if ((st = tc_auth_identify(req, &who, err)) != TC_OK)
        return st;
    if (!who.by_cookie)
        return tc_fail(err, TC_EUNAUTH, "there is no session to end");
    if ((st = tc_auth_csrf(req, &who, NULL, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = tc_session_delete(conn, who.session_token, err)) != TC_OK)
        return st;
    tc_auth_audit(req, &who, "logout", "ok", NULL);
    if ((st = set_cookie(req, resp, NULL, err)) != TC_OK)
        return st;
    tc_resp_status(resp, 204);
    return TC_OK;
}

enum tc_status
tc_handle_me(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    enum tc_status st;

    if ((st = tc_auth_require(req, &who, err)) != TC_OK)
        return st;
    if (who.kind != TC_PRINCIPAL_USER)
        return tc_fail(err, TC_EFORBIDDEN, "only accounts have a profile");
    return reply_user(resp, &who, who.by_cookie ? who.session_token : NULL, err);
}
