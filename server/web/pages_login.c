#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "http.h"
#include "tincay/config.h"
#include "tincay/db.h"
#include "tincay/sessions.h"
#include "tincay/strbuf.h"
#include "tincay/users.h"
#include "web/html.h"
#include "web/page.h"
#include "web/pages.h"
#include "web/urlencoded.h"

/*
 * Login CSRF (an attacker's page logging the victim into the attacker's account) is
 * stopped by a pre-session double-submit token: GET /login sets a random value in the
 * tincay_login cookie (HttpOnly, SameSite=Strict) and in the form's hidden field, and the
 * POST must bring both, equal. A cross-site page can neither read the cookie nor set it
 * (SameSite=Strict keeps it off cross-site posts altogether), and when the browser says
 * where the post comes from (Sec-Fetch-Site, Origin), it must be this site too. This works without
 * JavaScript and without server state.
 */
#define LOGIN_COOKIE       "tincay_login"
#define LOGIN_TOKEN_BYTES  32
#define LOGIN_TOKEN_SIZE   44 /* base64url of 32 bytes without padding, and the NUL */
#define LOGIN_COOKIE_AGE_S 3600

enum tc_status
tc_page_root(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    enum tc_status st = tc_auth_identify(req, &who, err);

    if (st != TC_OK && st != TC_EUNAUTH)
        return st;
    return tc_web_redirect(req, resp,
                           st == TC_OK && who.kind == TC_PRINCIPAL_USER ? "/home" : "/login",
                           TC_FLASH_NONE, err);
}

static void
new_login_token(char out[LOGIN_TOKEN_SIZE])
{
    unsigned char raw[LOGIN_TOKEN_BYTES];

    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(out, LOGIN_TOKEN_SIZE, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
}

/* "vi" or "en" when `lang` names one of them (then as the catalogue spells it), else NULL. */
static const char *
chosen_language(const char *lang)
{
    enum tc_lang parsed;

    return lang != NULL && tc_lang_parse(lang, &parsed) == 0 ? tc_lang_name(parsed) : NULL;
}

/*
 * The login page, with `message` (translated) when an attempt failed, and the language
 * picked with the switch (`chosen`, NULL: none) carried in the form.
 */
static enum tc_status
render_login(struct tc_request *req, struct tc_response *resp, const char *login,
             const char *chosen, const char *message, struct tc_error *err)
{
    char token[LOGIN_TOKEN_SIZE];
    struct tc_page p;
    enum tc_status st;

    new_login_token(token);
    if ((st = tc_page_init(&p, req, resp, NULL, err)) != TC_OK ||
        (st = tc_web_cookie(req, resp, LOGIN_COOKIE, token, LOGIN_COOKIE_AGE_S, err)) != TC_OK)
        return st;
    tc_page_begin(&p, tc_tr(p.lang, "Log in"));
    if (message != NULL)
        tc_page_message(&p, message, true);
    tc_form_begin(&p, "/login", "");
    tc_form_input(&p, &(struct tc_field){.type = "hidden", .name = "login_csrf", .value = token});
    if (chosen != NULL)
        tc_form_input(&p, &(struct tc_field){.type = "hidden", .name = "lang", .value = chosen});
    tc_form_input(&p, &(struct tc_field){.type = "text",
                                         .name = "login",
                                         .label = tc_tr(p.lang, "Login"),
                                         .value = login,
                                         .autocomplete = "username",
                                         .required = true,
                                         .autofocus = login == NULL});
    tc_form_input(&p, &(struct tc_field){.type = "password",
                                         .name = "password",
                                         .label = tc_tr(p.lang, "Password"),
                                         .autocomplete = "current-password",
                                         .required = true,
                                         .autofocus = login != NULL});
    tc_form_submit(&p, tc_tr(p.lang, "Log in"));
    tc_form_end(&p);
    tc_page_end(&p);
    sodium_memzero(token, sizeof(token));
    return tc_page_finish(&p, err);
}

enum tc_status
tc_page_login(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    enum tc_status st = tc_auth_identify(req, &who, err);

    if (st == TC_OK && who.kind == TC_PRINCIPAL_USER)
        return tc_web_redirect(req, resp, "/home", TC_FLASH_NONE, err);
    tc_error_clear(err); /* an ended session just shows the form */
    return render_login(req, resp, NULL, chosen_language(tc_req_query(req, "lang")), NULL, err);
}

/*
 * The post comes from this site. Browsers say where a request comes from in Sec-Fetch-Site
 * (all current ones), else in Origin; with our Referrer-Policy no-referrer, Chromium sends
 * "Origin: null" for same-origin form posts, so "null" tells nothing. Without either
 * header, the double-submit token alone decides.
 */
static bool
same_origin(struct tc_request *req)
{
    const char *site = tc_req_header(req, "Sec-Fetch-Site");
    const char *origin = tc_req_header(req, "Origin");
    const char *host = tc_req_header(req, "Host");
    const char *public_url = tc_server_config(tc_req_server(req))->public_url;
    size_t len;

    if (site != NULL)
        return strcmp(site, "same-origin") == 0 || strcmp(site, "none") == 0;
    if (origin == NULL || strcmp(origin, "null") == 0)
        return true;
    if (host != NULL) {
        char mine[512];

        (void)snprintf(mine, sizeof(mine), "%s://%s", tc_req_is_tls(req) ? "https" : "http", host);
        if (strcmp(origin, mine) == 0)
            return true;
    }
    /* Behind a proxy the public URL names the origin browsers see. */
    len = strlen(origin);
    return strncmp(public_url, origin, len) == 0 &&
           (public_url[len] == '\0' || public_url[len] == '/');
}

static bool
token_matches(struct tc_request *req, const char *presented)
{
    const char *cookie = tc_req_cookie(req, LOGIN_COOKIE);
    size_t len = cookie != NULL ? strlen(cookie) : 0;

    return presented != NULL && len == LOGIN_TOKEN_SIZE - 1 && strlen(presented) == len &&
           sodium_memcmp(cookie, presented, len) == 0;
}

/*
 * A language picked with the switch on this login page becomes the account's at login (the
 * form carries the choice; a cookie left on a shared computer by someone else does not).
 */
static void
keep_language_choice(struct tc_request *req, const struct tc_principal *who, const char *chosen)
{
    struct tc_error ignored = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn;
    enum tc_lang lang;

    if (chosen == NULL || tc_lang_parse(chosen, &lang) != 0 || lang == who->language)
        return;
    if ((conn = tc_req_db(req, &ignored)) != NULL)
        (void)tc_user_set_language(conn, who->id, lang, &ignored);
}

static enum tc_status
log_in(struct tc_request *req, struct tc_response *resp, struct tc_form_data *form,
       struct tc_error *err)
{
    const char *login = tc_form_get(form, "login");
    const char *chosen = chosen_language(tc_form_get(form, "lang"));
    struct tc_form_field *password = tc_form_field(form, "password");
    char token[TC_SESSION_TOKEN_MAX] = "";
    struct tc_principal who;
    enum tc_status st;

    if (!same_origin(req) || !token_matches(req, tc_form_get(form, "login_csrf"))) {
        tc_resp_status(resp, 403);
        return render_login(req, resp, login, chosen,
                            tc_tr(tc_req_lang(req), "The login form had expired. Please try "
                                                    "again."),
                            err);
    }
    if (login == NULL || login[0] == '\0' || password == NULL || password->value_len == 0) {
        tc_resp_status(resp, 422);
        return render_login(req, resp, login, chosen,
                            tc_tr(tc_req_lang(req), "Enter your login and your password."), err);
    }
    st = tc_auth_login(req, login, password->value, password->value_len, token, &who, err);
    if (st == TC_EUNAUTH || st == TC_ERATELIMIT || st == TC_EBUSY) {
        char message[sizeof(err->msg)];

        (void)snprintf(message, sizeof(message), "%s", err->msg);
        tc_resp_status(resp, tc_status_http(st));
        tc_error_clear(err);
        return render_login(req, resp, login, chosen, message, err);
    }
    if (st == TC_OK && (st = tc_web_cookie(req, resp, TC_AUTH_COOKIE, token, 0, err)) == TC_OK &&
        (st = tc_web_cookie(req, resp, LOGIN_COOKIE, "", -1, err)) == TC_OK) {
        keep_language_choice(req, &who, chosen);
        st = tc_web_redirect(req, resp, "/home", TC_FLASH_NONE, err);
    }
    sodium_memzero(token, sizeof(token));
    return st;
}

enum tc_status
tc_page_login_post(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_form_data form = {.n = 0};
    enum tc_status st = tc_web_form_body(req, &form, err);

    if (st == TC_OK)
        st = log_in(req, resp, &form, err);
    tc_form_wipe(&form);
    tc_req_body_wipe(req);
    return st;
}

enum tc_status
tc_page_logout(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_form_data form;
    struct tc_principal who;
    struct tc_db_conn *conn;
    enum tc_status st;

    if (tc_auth_identify(req, &who, err) != TC_OK || !who.by_cookie) {
        tc_error_clear(err); /* no session (ended already): nothing to end */
        return tc_web_redirect(req, resp, "/login", TC_FLASH_NONE, err);
    }
    if ((st = tc_web_form(req, &who, &form, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = tc_session_delete(conn, who.session_token, err)) != TC_OK)
        return st;
    tc_auth_audit(req, &who, "logout", "ok", NULL);
    if ((st = tc_web_cookie(req, resp, TC_AUTH_COOKIE, "", -1, err)) != TC_OK)
        return st;
    return tc_web_redirect(req, resp, "/login", TC_FLASH_LOGGED_OUT, err);
}
