/*
 * Authentication over real loopback HTTP against a real PostgreSQL: JSON logins and the
 * session cookie, logout and CSRF, rate limits, HTTP Basic and its memory of verified
 * credentials (dropped on password change and disable), Basic refused over plain HTTP
 * from afar, app-user tokens (unknown, revoked), audited policy denials, a saturated
 * password gate, and the housekeeping that purges ended sessions.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "auth.h"
#include "housekeeping.h"
#include "http.h"
#include "json_body.h"
#include "testhttp.h"
#include "testlib.h"
#include "tincay/app_users.h"
#include "tincay/arena.h"
#include "tincay/config.h"
#include "tincay/db.h"
#include "tincay/migrate.h"
#include "tincay/strbuf.h"
#include "tincay/users.h"

#define PASSWORD     "correct horse battery"
#define NEW_PASSWORD "staple and a new horse"
#define FLOOD        8

struct env {
    char conninfo[256];
    struct tc_config cfg;
    struct tc_db_pool *pool;
    struct tc_auth *auth;
    struct tc_server *srv;
    unsigned int port;
};

/* ---- test-only routes ---- */

static enum tc_status
json_reply(struct tc_response *resp, json_t *body, struct tc_error *err)
{
    enum tc_status st = body != NULL ? tc_resp_json(resp, body, err) : TC_ENOMEM;

    json_decref(body);
    return st;
}

/* Who am I, as OpenRosa handlers will ask it: 401 with the Basic challenge when anonymous. */
static enum tc_status
handle_whoami(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    enum tc_status st = tc_auth_require(req, &who, err);

    if (st == TC_EUNAUTH)
        (void)tc_auth_challenge(resp, NULL);
    if (st != TC_OK)
        return st;
    return json_reply(resp,
                      json_pack("{s:i, s:I, s:s, s:s, s:I, s:s, s:b}", "kind", (int)who.kind, "id",
                                (json_int_t)who.id, "login", who.login, "role",
                                tc_role_name(who.role), "n_forms", (json_int_t)who.n_forms, "lang",
                                tc_lang_name(tc_req_lang(req)), "by_cookie", who.by_cookie),
                      err);
}

/* Reading a case of unit 77: no collector may. */
static enum tc_status
handle_check(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    const struct tc_policy_object what = {.unit_id = 77, .commune = "03388"};
    struct tc_principal who;
    enum tc_status st;

    if ((st = tc_auth_require(req, &who, err)) != TC_OK ||
        (st = tc_auth_check(req, &who, TC_ACT_CASE_READ, &what, err)) != TC_OK)
        return st;
    return json_reply(resp, json_pack("{s:b}", "ok", 1), err);
}

static const struct tc_route test_routes[] = {
    {.method = "GET", .pattern = "/test/whoami", .handler = handle_whoami},
    {.method = "GET", .pattern = "/key/:token/test/whoami", .handler = handle_whoami},
    {.method = "GET", .pattern = "/test/check", .handler = handle_check},
};

/* ---- helpers ---- */

/* The error's code, and its message copied to `message` (may be NULL). */
static void
assert_error(const struct tc_test_reply *r, long status, const char *code, char *message,
             size_t size)
{
    json_t *j = tc_test_json(r);
    json_t *e = json_object_get(j, "error");

    if (r->status != status)
        fail_msg("expected %ld, got %ld: %s", status, r->status, tc_strbuf_str(&r->body));
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e, "code")), code);
    if (message != NULL)
        snprintf(message, size, "%s", json_string_value(json_object_get(e, "message")));
    json_decref(j);
}

/* "Authorization: Basic base64(login:password)" into `out`. */
static const char *
basic(const char *login, const char *password, char *out, size_t size)
{
    char plain[256], b64[400];

    snprintf(plain, sizeof(plain), "%s:%s", login, password);
    sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)plain, strlen(plain),
                      sodium_base64_VARIANT_ORIGINAL);
    snprintf(out, size, "Authorization: Basic %s", b64);
    return out;
}

static void
login_body(const char *login, const char *password, char *out, size_t size)
{
    snprintf(out, size, "{\"login\": \"%s\", \"password\": \"%s\"}", login, password);
}

static const char *const json_headers[] = {"Content-Type: application/json", NULL};

/* Log in through the JSON API; the cookie's token goes to `token` (44 bytes). */
static void
log_in(const struct env *env, const char *login, char token[TC_SESSION_TOKEN_MAX])
{
    char body[256];
    const char *cookie;
    struct tc_test_reply r;

    login_body(login, PASSWORD, body, sizeof(body));
    tc_test_send(env->port, "POST", "/api/v1/session", json_headers, body, &r);
    if (r.status != 200)
        fail_msg("login of %s: %ld %s", login, r.status, tc_strbuf_str(&r.body));
    cookie = tc_test_header_value(&r, "Set-Cookie");
    assert_non_null(cookie);
    assert_int_equal(strncmp(cookie, TC_AUTH_COOKIE "=", strlen(TC_AUTH_COOKIE) + 1), 0);
    cookie += strlen(TC_AUTH_COOKIE) + 1;
    assert_int_equal(strcspn(cookie, ";"), TC_SESSION_TOKEN_MAX - 1);
    memcpy(token, cookie, TC_SESSION_TOKEN_MAX - 1);
    token[TC_SESSION_TOKEN_MAX - 1] = '\0';
    tc_test_reply_free(&r);
}

static void
add_user(struct tc_db_pool *pool, struct tc_password_gate *gate, const char *login,
         enum tc_role role, enum tc_lang lang)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire(pool, 5000, &err);
    const struct tc_user_new u = {.login = login, .role = role, .language = lang};

    assert_non_null(conn);
    if (tc_user_create(conn, gate, &u, PASSWORD, strlen(PASSWORD), NULL, &err) != TC_OK)
        fail_msg("tc_user_create %s: %s (%s)", login, err.msg, err.detail);
    tc_db_release(pool, conn);
}

static const char sql_audit_count[] =
    "SELECT count(*) FROM audit_log WHERE action = $1 AND actor_login = $2 AND outcome = $3";

static long long
audit_rows(struct tc_db_pool *pool, const char *action, const char *login, const char *outcome)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire(pool, 5000, &err);
    struct tc_arena *arena = tc_arena_create(512);
    const char *params[] = {action, login, outcome};
    struct tc_db_result *res;
    long long n;

    assert_non_null(conn);
    assert_int_equal(tc_db_exec(conn, sql_audit_count, 3, params, arena, &res, &err), TC_OK);
    n = tc_db_int(res, 0, 0, -1);
    tc_arena_destroy(arena);
    tc_db_release(pool, conn);
    return n;
}

static struct tc_auth_stats
stats(const struct env *env)
{
    struct tc_auth_stats s;

    tc_auth_stats(env->auth, &s);
    return s;
}

static void
test_config(struct tc_config *cfg, unsigned int threads)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->listen_host, sizeof(cfg->listen_host), "127.0.0.1");
    /* Tests speak to the server directly; X-Forwarded-* from 127.0.0.1 is believed. */
    snprintf(cfg->trusted_proxy, sizeof(cfg->trusted_proxy), "127.0.0.1");
    cfg->threads = threads;
}

static struct tc_server *
start_server(const struct tc_config *cfg, struct tc_db_pool *pool, struct tc_auth *auth)
{
    struct tc_server_options opts = {
        .cfg = cfg,
        .pool = pool,
        .auth = auth,
        .extra_routes = test_routes,
        .n_extra_routes = sizeof(test_routes) / sizeof(test_routes[0]),
        .stop_wait_ms = 5000,
    };
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_server *srv = NULL;

    if (tc_server_start(&opts, &srv, &err) != TC_OK)
        fail_msg("tc_server_start: %s (%s)", err.msg, err.detail);
    return srv;
}

/* ---- fixtures ---- */

static int
group_setup(void **state)
{
    static struct env env;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn;
    size_t applied;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    tc_test_db_create("auth", env.conninfo, sizeof(env.conninfo));
    if ((env.pool = tc_db_pool_create(env.conninfo, 6, &err)) == NULL ||
        (conn = tc_db_acquire(env.pool, 5000, &err)) == NULL) {
        fprintf(stderr, "database: %s (%s)\n", err.msg, err.detail);
        return -1;
    }
    if (tc_migrate(conn, &applied, &err) != TC_OK) {
        fprintf(stderr, "tc_migrate: %s (%s)\n", err.msg, err.detail);
        return -1;
    }
    tc_db_release(env.pool, conn);
    env.auth = tc_auth_create(
        &(struct tc_auth_options){.gate_slots = 2, .cost = TC_PASSWORD_MINIMUM}, &err);
    if (env.auth == NULL)
        return -1;
    test_config(&env.cfg, 4);
    env.srv = start_server(&env.cfg, env.pool, env.auth);
    env.port = tc_server_port(env.srv);
    *state = &env;
    return env.port != 0 ? 0 : -1;
}

static int
group_teardown(void **state)
{
    struct env *env = *state;

    tc_server_stop(env->srv);
    tc_auth_destroy(env->auth);
    tc_db_pool_destroy(env->pool);
    tc_test_db_drop(env->conninfo);
    curl_global_cleanup();
    return 0;
}

/* ---- sessions ---- */

static void
login_sets_a_strict_cookie_and_logout_ends_it(void **state)
{
    struct env *env = *state;
    char token[TC_SESSION_TOKEN_MAX], cookie[128], csrf[128], right[128], body[256], msg[256];
    const char *set_cookie;
    struct tc_test_reply r;
    json_t *j;

    add_user(env->pool, tc_auth_gate(env->auth), "alice", TC_ROLE_REVIEWER, TC_LANG_EN);
    login_body("Alice", PASSWORD, body, sizeof(body));
    tc_test_send(env->port, "POST", "/api/v1/session", json_headers, body, &r);
    assert_int_equal(r.status, 200);
    set_cookie = tc_test_header_value(&r, "Set-Cookie");
    assert_non_null(set_cookie);
    assert_non_null(strstr(set_cookie, "; Path=/"));
    assert_non_null(strstr(set_cookie, "; HttpOnly"));
    assert_non_null(strstr(set_cookie, "; SameSite=Strict"));
    assert_null(strstr(set_cookie, "Secure")); /* plain HTTP on loopback */
    j = tc_test_json(&r);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "user"), "login")),
                        "alice");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "user"), "role")),
                        "reviewer");
    snprintf(csrf, sizeof(csrf), "X-CSRF-Token: %s", json_string_value(json_object_get(j, "csrf")));
    assert_int_equal(strlen(csrf), strlen("X-CSRF-Token: ") + TC_SESSION_TOKEN_MAX - 1);
    json_decref(j);
    tc_test_reply_free(&r);
    assert_int_equal(audit_rows(env->pool, "login.ok", "alice", "ok"), 1);
    {
        /* HTTPS ended at the trusted proxy: the cookie is Secure. */
        const char *const tls[] = {"Content-Type: application/json", "X-Forwarded-Proto: https",
                                   NULL};

        tc_test_send(env->port, "POST", "/api/v1/session", tls, body, &r);
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(tc_test_header_value(&r, "Set-Cookie"), "; Secure"));
        tc_test_reply_free(&r);
    }

    log_in(env, "alice", token);
    snprintf(cookie, sizeof(cookie), "Cookie: " TC_AUTH_COOKIE "=%s", token);
    {
        const char *const hdrs[] = {cookie, "Accept-Language: vi", NULL};

        tc_test_send(env->port, "GET", "/api/v1/me", hdrs, NULL, &r);
        assert_int_equal(r.status, 200);
        j = tc_test_json(&r);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(j, "user"), "language")), "en");
        assert_int_equal(strlen(json_string_value(json_object_get(j, "csrf"))),
                         TC_SESSION_TOKEN_MAX - 1);
        json_decref(j);
        tc_test_reply_free(&r);

        /* No token, then another session's token: refused, in the account's language. */
        tc_test_send(env->port, "DELETE", "/api/v1/session", hdrs, NULL, &r);
        assert_error(&r, 403, "forbidden", msg, sizeof(msg));
        assert_string_equal(msg, "request did not come from a tincay page, reload it");
        tc_test_reply_free(&r);
    }
    {
        const char *const hdrs[] = {cookie, csrf, NULL}; /* csrf of the first session */

        tc_test_send(env->port, "DELETE", "/api/v1/session", hdrs, NULL, &r);
        assert_error(&r, 403, "forbidden", NULL, 0);
        tc_test_reply_free(&r);
    }
    {
        char own[TC_SESSION_TOKEN_MAX];
        const char *const hdrs[] = {cookie, right, NULL};

        tc_session_csrf(token, own);
        snprintf(right, sizeof(right), "X-CSRF-Token: %s", own);
        tc_test_send(env->port, "DELETE", "/api/v1/session", hdrs, NULL, &r);
        assert_int_equal(r.status, 204);
        assert_non_null(strstr(tc_test_header_value(&r, "Set-Cookie"), "Max-Age=0"));
        tc_test_reply_free(&r);
    }
    {
        const char *const hdrs[] = {cookie, NULL};

        tc_test_send(env->port, "GET", "/api/v1/me", hdrs, NULL, &r);
        assert_error(&r, 401, "unauthorized", NULL, 0);
        assert_null(tc_test_header_value(&r, "WWW-Authenticate")); /* no browser dialog */
        tc_test_reply_free(&r);
    }
    assert_int_equal(audit_rows(env->pool, "logout", "alice", "ok"), 1);
}

static void
me_without_credentials_is_401(void **state)
{
    struct env *env = *state;
    struct tc_test_reply r;

    tc_test_send(env->port, "GET", "/api/v1/me", NULL, NULL, &r);
    assert_error(&r, 401, "unauthorized", NULL, 0);
    tc_test_reply_free(&r);
}

static void
wrong_password_is_401_and_audited(void **state)
{
    struct env *env = *state;
    char body[256], msg[256];
    const char *const hdrs[] = {"Content-Type: application/json", "Accept-Language: en", NULL};
    struct tc_test_reply r;

    add_user(env->pool, tc_auth_gate(env->auth), "bob", TC_ROLE_COLLECTOR, TC_LANG_VI);
    login_body("bob", "not the password", body, sizeof(body));
    tc_test_send(env->port, "POST", "/api/v1/session", hdrs, body, &r);
    assert_error(&r, 401, "unauthorized", msg, sizeof(msg));
    assert_string_equal(msg, "wrong login or password");
    assert_null(tc_test_header_value(&r, "Set-Cookie"));
    tc_test_reply_free(&r);
    assert_int_equal(audit_rows(env->pool, "login.failed", "bob", "failed"), 1);

    login_body("nobody-here", "whatever", body, sizeof(body)); /* same answer, audited too */
    tc_test_send(env->port, "POST", "/api/v1/session", hdrs, body, &r);
    assert_error(&r, 401, "unauthorized", NULL, 0);
    tc_test_reply_free(&r);
    assert_int_equal(audit_rows(env->pool, "login.failed", "nobody-here", "failed"), 1);
}

static void
bad_login_bodies_are_refused_clearly(void **state)
{
    struct env *env = *state;
    const char *const text[] = {"Content-Type: text/plain", NULL};
    char msg[256];
    struct tc_test_reply r;

    const char *const json_en[] = {"Content-Type: application/json", "Accept-Language: en", NULL};

    tc_test_send(env->port, "POST", "/api/v1/session", json_en, "{\"login\": \"a\",", &r);
    assert_error(&r, 400, "bad_request", msg, sizeof(msg));
    assert_non_null(strstr(msg, "not valid JSON (line 1, column"));
    tc_test_reply_free(&r);
    tc_test_send(env->port, "POST", "/api/v1/session", json_headers, "{\"login\": \"a\",", &r);
    assert_error(&r, 400, "bad_request", msg, sizeof(msg)); /* Vietnamese by default */
    assert_non_null(strstr(msg, "(dòng 1, cột"));
    tc_test_reply_free(&r);
    tc_test_send(env->port, "POST", "/api/v1/session", json_headers, "[\"alice\"]", &r);
    assert_error(&r, 400, "bad_request", NULL, 0);
    tc_test_reply_free(&r);
    tc_test_send(env->port, "POST", "/api/v1/session", json_headers, "{\"login\": \"alice\"}", &r);
    assert_error(&r, 422, "invalid", msg, sizeof(msg));
    tc_test_reply_free(&r);
    tc_test_send(env->port, "POST", "/api/v1/session", json_headers,
                 "{\"login\": \"alice\", \"password\": 12345678901234}", &r);
    assert_error(&r, 422, "invalid", NULL, 0);
    tc_test_reply_free(&r);
    tc_test_send(env->port, "POST", "/api/v1/session", text, "{\"login\":\"a\",\"password\":\"b\"}",
                 &r);
    assert_error(&r, 415, "unsupported_media_type", NULL, 0);
    tc_test_reply_free(&r);
}

static void
eleven_failures_are_429(void **state)
{
    struct env *env = *state;
    char body[256];
    struct tc_test_reply r;

    add_user(env->pool, tc_auth_gate(env->auth), "carol", TC_ROLE_VIEWER, TC_LANG_EN);
    login_body("carol", "wrong wrong wrong", body, sizeof(body));
    for (int i = 0; i < 10; i++) {
        tc_test_send(env->port, "POST", "/api/v1/session", json_headers, body, &r);
        assert_int_equal(r.status, 401);
        tc_test_reply_free(&r);
    }
    tc_test_send(env->port, "POST", "/api/v1/session", json_headers, body, &r);
    assert_error(&r, 429, "rate_limited", NULL, 0);
    tc_test_reply_free(&r);
    login_body("carol", PASSWORD, body, sizeof(body)); /* even the right password, for now */
    tc_test_send(env->port, "POST", "/api/v1/session", json_headers, body, &r);
    assert_error(&r, 429, "rate_limited", NULL, 0);
    tc_test_reply_free(&r);
    assert_int_equal(audit_rows(env->pool, "login.failed", "carol", "denied"), 2);
}

/* ---- HTTP Basic ---- */

static void
basic_on_loopback_is_verified_once_then_remembered(void **state)
{
    struct env *env = *state;
    char auth[512];
    const char *const hdrs[] = {basic("dave", PASSWORD, auth, sizeof(auth)), NULL};
    struct tc_auth_stats before, after;
    struct tc_test_reply r;
    json_t *j;

    add_user(env->pool, tc_auth_gate(env->auth), "dave", TC_ROLE_COLLECTOR, TC_LANG_EN);
    before = stats(env);
    tc_test_send(env->port, "GET", "/test/whoami", hdrs, NULL, &r);
    assert_int_equal(r.status, 200);
    j = tc_test_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "login")), "dave");
    assert_string_equal(json_string_value(json_object_get(j, "lang")), "en"); /* the account's */
    assert_false(json_is_true(json_object_get(j, "by_cookie")));
    json_decref(j);
    tc_test_reply_free(&r);
    after = stats(env);
    assert_int_equal(after.verifications, before.verifications + 1);

    for (int i = 0; i < 3; i++) {
        tc_test_send(env->port, "GET", "/test/whoami", hdrs, NULL, &r);
        assert_int_equal(r.status, 200);
        tc_test_reply_free(&r);
    }
    after = stats(env);
    assert_int_equal(after.verifications, before.verifications + 1);
    assert_int_equal(after.cache_hits, before.cache_hits + 3);
    assert_int_equal(audit_rows(env->pool, "login.ok", "dave", "ok"), 1);
}

static void
anonymous_gets_the_basic_challenge(void **state)
{
    struct env *env = *state;
    const char *const digest[] = {"Authorization: Digest username=\"x\"", NULL};
    struct tc_test_reply r;

    tc_test_send(env->port, "GET", "/test/whoami", NULL, NULL, &r);
    assert_error(&r, 401, "unauthorized", NULL, 0);
    assert_string_equal(tc_test_header_value(&r, "WWW-Authenticate"),
                        "Basic realm=\"tincay\", charset=\"UTF-8\"");
    tc_test_reply_free(&r);
    tc_test_send(env->port, "GET", "/test/whoami", digest, NULL, &r); /* an unknown scheme: none */
    assert_int_equal(r.status, 401);
    assert_non_null(tc_test_header_value(&r, "WWW-Authenticate"));
    tc_test_reply_free(&r);
}

static void
password_change_drops_the_remembered_credential(void **state)
{
    struct env *env = *state;
    char old_auth[512], new_auth[512];
    const char *const old_hdrs[] = {basic("erin", PASSWORD, old_auth, sizeof(old_auth)), NULL};
    const char *const new_hdrs[] = {basic("erin", NEW_PASSWORD, new_auth, sizeof(new_auth)), NULL};
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_auth_stats before, after;
    struct tc_db_conn *conn;
    struct tc_test_reply r;

    add_user(env->pool, tc_auth_gate(env->auth), "erin", TC_ROLE_COLLECTOR, TC_LANG_EN);
    for (int i = 0; i < 2; i++) {
        tc_test_send(env->port, "GET", "/test/whoami", old_hdrs, NULL, &r);
        assert_int_equal(r.status, 200);
        tc_test_reply_free(&r);
    }
    before = stats(env);
    assert_non_null(conn = tc_db_acquire(env->pool, 5000, &err));
    assert_int_equal(tc_user_set_password(conn, tc_auth_gate(env->auth), "erin", NEW_PASSWORD,
                                          strlen(NEW_PASSWORD), &err),
                     TC_OK);
    tc_db_release(env->pool, conn);

    tc_test_send(env->port, "GET", "/test/whoami", old_hdrs, NULL, &r);
    assert_error(&r, 401, "unauthorized", NULL, 0);
    assert_non_null(tc_test_header_value(&r, "WWW-Authenticate"));
    tc_test_reply_free(&r);
    after = stats(env);
    assert_int_equal(after.cache_hits, before.cache_hits); /* not answered from memory */
    assert_int_equal(after.verifications, before.verifications + 1);

    tc_test_send(env->port, "GET", "/test/whoami", new_hdrs, NULL, &r);
    assert_int_equal(r.status, 200);
    tc_test_reply_free(&r);
}

static void
disable_drops_the_remembered_credential(void **state)
{
    struct env *env = *state;
    char auth[512];
    const char *const hdrs[] = {basic("frank", PASSWORD, auth, sizeof(auth)), NULL};
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_auth_stats before, after;
    struct tc_db_conn *conn;
    struct tc_test_reply r;

    add_user(env->pool, tc_auth_gate(env->auth), "frank", TC_ROLE_COLLECTOR, TC_LANG_EN);
    tc_test_send(env->port, "GET", "/test/whoami", hdrs, NULL, &r);
    assert_int_equal(r.status, 200);
    tc_test_reply_free(&r);
    assert_non_null(conn = tc_db_acquire(env->pool, 5000, &err));
    assert_int_equal(tc_user_disable(conn, "frank", &err), TC_OK);
    tc_db_release(env->pool, conn);

    before = stats(env);
    for (int i = 0; i < 2; i++) {
        tc_test_send(env->port, "GET", "/test/whoami", hdrs, NULL, &r);
        assert_error(&r, 401, "unauthorized", NULL, 0);
        tc_test_reply_free(&r);
    }
    after = stats(env);
    assert_int_equal(after.cache_hits, before.cache_hits);
}

static void
basic_over_plain_http_from_afar_is_refused(void **state)
{
    struct env *env = *state;
    char auth[512], msg[256];
    const char *const afar[] = {basic("gail", PASSWORD, auth, sizeof(auth)),
                                "X-Forwarded-For: 203.0.113.9", "Accept-Language: en", NULL};
    const char *const afar_tls[] = {auth, "X-Forwarded-For: 203.0.113.9",
                                    "X-Forwarded-Proto: https", NULL};
    const char *const bad[] = {"Authorization: Basic !!notbase64!!", NULL};
    struct tc_auth_stats before, after;
    struct tc_test_reply r;

    add_user(env->pool, tc_auth_gate(env->auth), "gail", TC_ROLE_COLLECTOR, TC_LANG_EN);
    before = stats(env);
    tc_test_send(env->port, "GET", "/test/whoami", afar, NULL, &r);
    assert_error(&r, 403, "forbidden", msg, sizeof(msg));
    assert_string_equal(msg, "credentials are refused over plain HTTP: connect with HTTPS");
    tc_test_reply_free(&r);
    after = stats(env);
    assert_int_equal(after.verifications, before.verifications); /* the password never checked */
    assert_int_equal(audit_rows(env->pool, "login.failed", "gail", "failed"), 0);

    tc_test_send(env->port, "GET", "/test/whoami", afar_tls, NULL,
                 &r); /* TLS at the trusted proxy */
    assert_int_equal(r.status, 200);
    tc_test_reply_free(&r);

    tc_test_send(env->port, "GET", "/test/whoami", bad, NULL, &r);
    assert_error(&r, 401, "unauthorized", NULL, 0);
    tc_test_reply_free(&r);
}

/* ---- app users ---- */

static const char sql_form[] =
    "INSERT INTO forms (form_id, version, title, xml, md5, sha256)"
    " VALUES ('needs', $1, 'Needs', '\\x3c613e'::bytea, repeat('0', 32), repeat('0', 64))";

static void
app_user_tokens_unknown_and_revoked_are_403(void **state)
{
    struct env *env = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_arena *arena = tc_arena_create(512);
    char token[TC_APP_TOKEN_LEN + 1], path[128];
    const char *v1[] = {"1"}, *v2[] = {"2"};
    struct tc_db_conn *conn;
    long long id;
    struct tc_test_reply r;
    json_t *j;

    tc_test_send(env->port, "GET", "/key/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/test/whoami",
                 NULL, NULL, &r);
    assert_error(&r, 403, "forbidden", NULL, 0);
    assert_null(tc_test_header_value(&r, "WWW-Authenticate")); /* Collect must not prompt */
    tc_test_reply_free(&r);
    tc_test_send(env->port, "GET", "/key/short/test/whoami", NULL, NULL, &r);
    assert_error(&r, 403, "forbidden", NULL, 0);
    tc_test_reply_free(&r);

    assert_non_null(conn = tc_db_acquire(env->pool, 5000, &err));
    assert_int_equal(tc_db_exec(conn, sql_form, 1, v1, arena, NULL, &err), TC_OK);
    assert_int_equal(tc_db_exec(conn, sql_form, 1, v2, arena, NULL, &err), TC_OK);
    assert_int_equal(tc_app_user_create(conn, "phone 1", 0, 0, token, &id, &err), TC_OK);
    assert_int_equal(tc_app_user_assign(conn, id, "needs", &err), TC_OK);
    snprintf(path, sizeof(path), "/key/%s/test/whoami", token);
    tc_test_send(env->port, "GET", path, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    j = tc_test_json(&r);
    assert_int_equal(json_integer_value(json_object_get(j, "kind")), TC_PRINCIPAL_APP_USER);
    assert_string_equal(json_string_value(json_object_get(j, "role")), "app_user");
    assert_int_equal(json_integer_value(json_object_get(j, "n_forms")), 2); /* both versions */
    json_decref(j);
    tc_test_reply_free(&r);

    assert_int_equal(tc_app_user_revoke(conn, id, &err), TC_OK);
    tc_test_send(env->port, "GET", path, NULL, NULL, &r);
    assert_error(&r, 403, "forbidden", NULL, 0);
    tc_test_reply_free(&r);
    tc_db_release(env->pool, conn);
    tc_arena_destroy(arena);
    sodium_memzero(token, sizeof(token));
}

/* ---- policy ---- */

static void
policy_refusal_is_403_and_audited(void **state)
{
    struct env *env = *state;
    char auth[512];
    const char *const hdrs[] = {basic("hank", PASSWORD, auth, sizeof(auth)), NULL};
    struct tc_test_reply r;

    add_user(env->pool, tc_auth_gate(env->auth), "hank", TC_ROLE_COLLECTOR, TC_LANG_EN);
    tc_test_send(env->port, "GET", "/test/check", hdrs, NULL, &r);
    assert_error(&r, 403, "forbidden", NULL, 0);
    tc_test_reply_free(&r);
    assert_int_equal(audit_rows(env->pool, "case.read", "hank", "denied"), 1);
    tc_test_send(env->port, "GET", "/test/check", NULL, NULL, &r); /* anonymous: 401, not audited */
    assert_int_equal(r.status, 401);
    tc_test_reply_free(&r);
}

/* ---- the password gate ---- */

struct flood {
    unsigned int port;
    atomic_int ok, busy, other;
};

static void *
flood_one(void *arg)
{
    struct flood *f = arg;
    char body[256];
    struct tc_test_reply r;

    login_body("ivy", PASSWORD, body, sizeof(body));
    tc_test_send(f->port, "POST", "/api/v1/session", json_headers, body, &r);
    if (r.status == 200)
        atomic_fetch_add(&f->ok, 1);
    else if (r.status == 503)
        atomic_fetch_add(&f->busy, 1);
    else
        atomic_fetch_add(&f->other, 1);
    tc_test_reply_free(&r);
    return NULL;
}

static uint64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* FLOOD logins at once; every one answered, and within `bound_ms` all together. */
static void
flood(unsigned int port, struct flood *f, uint64_t bound_ms)
{
    pthread_t threads[FLOOD];
    uint64_t start = now_ms();

    memset(f, 0, sizeof(*f));
    f->port = port;
    for (int i = 0; i < FLOOD; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, flood_one, f), 0);
    for (int i = 0; i < FLOOD; i++)
        pthread_join(threads[i], NULL);
    assert_true(now_ms() - start < bound_ms);
    assert_int_equal(atomic_load(&f->other), 0);
    assert_int_equal(atomic_load(&f->ok) + atomic_load(&f->busy), FLOOD);
}

static void
saturated_gate_answers_503_without_pile_up(void **state)
{
    struct env *env = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_auth *auth = tc_auth_create(
        &(struct tc_auth_options){
            .gate_slots = 1, .gate_wait_ms = 5, .cost = TC_PASSWORD_INTERACTIVE},
        &err);
    struct tc_config cfg;
    struct tc_server *srv;
    struct flood f;

    assert_non_null(auth);
    add_user(env->pool, tc_auth_gate(auth), "ivy", TC_ROLE_COLLECTOR, TC_LANG_EN);
    test_config(&cfg, FLOOD);
    srv = start_server(&cfg, env->pool, auth);

    /* The only slot is taken: every login is told to come back, at once, none queued. */
    assert_int_equal(tc_password_gate_enter(tc_auth_gate(auth), &err), TC_OK);
    flood(tc_server_port(srv), &f, 5000);
    tc_password_gate_leave(tc_auth_gate(auth));
    assert_int_equal(atomic_load(&f.busy), FLOOD);

    /* One hash at a time, no queue: some get in, the rest are 503, none waits long. */
    flood(tc_server_port(srv), &f, 10000);
    assert_true(atomic_load(&f.ok) >= 1);
    assert_int_equal(audit_rows(env->pool, "login.failed", "ivy", "failed"), 0);
    tc_server_stop(srv);
    tc_auth_destroy(auth);
}

/* ---- housekeeping ---- */

static const char sql_expire[] = "UPDATE sessions SET expires_at = now() - interval '1 second'"
                                 " WHERE user_id = (SELECT id FROM users WHERE login = $1)";
static const char sql_sessions_of[] =
    "SELECT count(*) FROM sessions WHERE user_id = (SELECT id FROM users WHERE login = $1)";

static long long
sessions_of(struct tc_db_conn *conn, const char *login)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_arena *arena = tc_arena_create(256);
    const char *params[] = {login};
    struct tc_db_result *res;
    long long n;

    assert_int_equal(tc_db_exec(conn, sql_sessions_of, 1, params, arena, &res, &err), TC_OK);
    n = tc_db_int(res, 0, 0, -1);
    tc_arena_destroy(arena);
    return n;
}

static void
housekeeping_purges_ended_sessions(void **state)
{
    struct env *env = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_arena *arena = tc_arena_create(256);
    const char *params[] = {"jane"};
    char token[TC_SESSION_TOKEN_MAX];
    struct tc_housekeeping *hk;
    struct tc_db_conn *conn;
    uint64_t until;

    add_user(env->pool, tc_auth_gate(env->auth), "jane", TC_ROLE_VIEWER, TC_LANG_EN);
    log_in(env, "jane", token);
    log_in(env, "jane", token);
    assert_non_null(conn = tc_db_acquire(env->pool, 5000, &err));
    assert_int_equal(sessions_of(conn, "jane"), 2);
    assert_int_equal(tc_db_exec(conn, sql_expire, 1, params, arena, NULL, &err), TC_OK);
    assert_int_equal(tc_housekeeping_start(env->pool, 1, &hk, &err), TC_OK);
    until = now_ms() + 5000;
    while (sessions_of(conn, "jane") > 0 && now_ms() < until)
        nanosleep(&(struct timespec){.tv_nsec = 50000000L}, NULL);
    assert_int_equal(sessions_of(conn, "jane"), 0);
    tc_housekeeping_stop(hk);
    tc_db_release(env->pool, conn);
    tc_arena_destroy(arena);
}

/* ---- parsers (also fuzzed: tests/fuzz/fuzz_basic.c) ---- */

static int
parse(const char *header, const char **login, const char **password, size_t *len)
{
    static char buf[TC_AUTH_BASIC_MAX + 1];

    return tc_auth_parse_basic(header, buf, login, password, len);
}

static void
basic_header_parsing(void **state)
{
    const char *login, *password;
    size_t len;
    char h[512];

    (void)state;
    assert_int_equal(parse("Basic YWxpY2U6c2VjcmV0", &login, &password, &len),
                     0); /* alice:secret */
    assert_string_equal(login, "alice");
    assert_string_equal(password, "secret");
    assert_int_equal(len, 6);
    assert_int_equal(parse("bAsIc   YTpiOmM=  ", &login, &password, &len), 0); /* a:b:c */
    assert_string_equal(login, "a");
    assert_string_equal(password, "b:c");
    assert_int_equal(parse("Basic YTo=", &login, &password, &len), 0); /* "a:" */
    assert_int_equal(len, 0);
    basic("thu", "mật khẩu", h, sizeof(h));
    assert_int_equal(parse(h + strlen("Authorization: "), &login, &password, &len), 0);
    assert_string_equal(password, "mật khẩu");
    assert_int_equal(parse("Bearer abc", &login, &password, &len), 1);
    assert_int_equal(parse("Basically", &login, &password, &len), 1);
    assert_int_equal(parse(NULL, &login, &password, &len), 1);
    assert_int_equal(parse("Basic ", &login, &password, &len), -1);
    assert_int_equal(parse("Basic !!!!", &login, &password, &len), -1);
    assert_int_equal(parse("Basic YWxpY2U=", &login, &password, &len), -1);     /* no ':' */
    assert_int_equal(parse("Basic OnNlY3JldA==", &login, &password, &len), -1); /* ":secret" */
    assert_int_equal(parse("Basic YTpi junk", &login, &password, &len), -1);
    assert_int_equal(parse("Basic YTr/", &login, &password, &len), -1);     /* "a:\xff" */
    assert_int_equal(parse("Basic YQA6Yg==", &login, &password, &len), -1); /* "a\0:b" */
    assert_null(login);
}

static void
json_object_parsing(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    const char *s;
    size_t len;
    json_t *j;

    (void)state;
    assert_int_equal(tc_json_parse_object("{\"a\": \"x\", \"n\": 1}",
                                          strlen("{\"a\": \"x\", \"n\": 1}"), &j, &err),
                     TC_OK);
    assert_int_equal(tc_json_string(j, "a", true, &s, &len, &err), TC_OK);
    assert_string_equal(s, "x");
    assert_int_equal(tc_json_string(j, "b", false, &s, &len, &err), TC_OK);
    assert_null(s);
    assert_int_equal(tc_json_string(j, "b", true, &s, &len, &err), TC_EINVAL);
    assert_string_equal(err.msg, "field \"b\" is required");
    assert_int_equal(tc_json_string(j, "n", false, &s, &len, &err), TC_EINVAL);
    tc_json_wipe_string(j, "a");
    assert_int_equal(json_string_value(json_object_get(j, "a"))[0], '\0');
    json_decref(j);
    assert_int_equal(
        tc_json_parse_object("{\"a\":1,\"a\":2}", strlen("{\"a\":1,\"a\":2}"), &j, &err),
        TC_EBADREQ);
    assert_null(j);
    assert_int_equal(tc_json_parse_object("\"a\"", strlen("\"a\""), &j, &err), TC_EBADREQ);
    assert_int_equal(
        tc_json_parse_object("{\"a\":\"\\u0000\"}", strlen("{\"a\":\"\\u0000\"}"), &j, &err),
        TC_EBADREQ);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(basic_header_parsing),
        cmocka_unit_test(json_object_parsing),
        cmocka_unit_test(login_sets_a_strict_cookie_and_logout_ends_it),
        cmocka_unit_test(me_without_credentials_is_401),
        cmocka_unit_test(wrong_password_is_401_and_audited),
        cmocka_unit_test(bad_login_bodies_are_refused_clearly),
        cmocka_unit_test(eleven_failures_are_429),
        cmocka_unit_test(basic_on_loopback_is_verified_once_then_remembered),
        cmocka_unit_test(anonymous_gets_the_basic_challenge),
        cmocka_unit_test(password_change_drops_the_remembered_credential),
        cmocka_unit_test(disable_drops_the_remembered_credential),
        cmocka_unit_test(basic_over_plain_http_from_afar_is_refused),
        cmocka_unit_test(app_user_tokens_unknown_and_revoked_are_403),
        cmocka_unit_test(policy_refusal_is_403_and_audited),
        cmocka_unit_test(saturated_gate_answers_503_without_pile_up),
        cmocka_unit_test(housekeeping_purges_ended_sessions),
    };

    return cmocka_run_group_tests_name("auth", tests, group_setup, group_teardown);
}
