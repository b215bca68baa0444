/*
 * Browser form filling over real loopback HTTP against a real PostgreSQL: the embedded ODK
 * Web Forms files (content types, immutable caching, gzip by negotiation, nothing else
 * served), the fill page (login, permission, unknown and draft forms, its CSP with a fresh
 * nonce, the CSRF token of the session, escaping) and the form XML and media it hands to
 * the bundle (exact stored bytes, pinned version, inert media); the home page's links to
 * the forms a user may fill.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "auth.h"
#include "http.h"
#include "testhttp.h"
#include "testlib.h"
#include "tincay/arena.h"
#include "tincay/config.h"
#include "tincay/db.h"
#include "tincay/embedded.h"
#include "tincay/forms.h"
#include "tincay/migrate.h"
#include "tincay/sessions.h"
#include "tincay/strbuf.h"
#include "tincay/users.h"

#define PASSWORD "bốn con ngựa trên đồi"
#define MARKET   "tests/e2e/fixtures/market_group.xml"
#define SVG      "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"

struct env {
    char conninfo[256];
    struct tc_config cfg;
    struct tc_db_pool *pool;
    struct tc_auth *auth;
    struct tc_server *srv;
    unsigned int port;
    char collector[TC_SESSION_TOKEN_MAX]; /* session tokens */
    char viewer[TC_SESSION_TOKEN_MAX];
    char market_xml[8192];
    size_t market_len;
};

/* ---- helpers ---- */

static const struct tc_embedded *
embedded(const char *name)
{
    for (size_t i = 0; i < tc_webforms_files_count; i++)
        if (strcmp(tc_webforms_files[i].name, name) == 0)
            return &tc_webforms_files[i];
    fail_msg("\"%s\" is not embedded", name);
    return NULL;
}

/* GET `path` with the session `token` (NULL: none) and up to two more headers. */
static void
get_as(const struct env *env, const char *token, const char *path, const char *extra,
       struct tc_test_reply *r)
{
    char cookie[128];
    const char *hdrs[3] = {NULL, NULL, NULL};
    size_t n = 0;

    if (token != NULL) {
        snprintf(cookie, sizeof(cookie), "Cookie: " TC_AUTH_COOKIE "=%s", token);
        hdrs[n++] = cookie;
    }
    if (extra != NULL)
        hdrs[n] = extra;
    tc_test_send(env->port, "GET", path, hdrs, NULL, r);
}

static void
add_user(struct tc_db_pool *pool, struct tc_password_gate *gate, const char *login,
         enum tc_role role)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire(pool, 5000, &err);
    const struct tc_user_new u = {.login = login, .role = role, .language = TC_LANG_EN};

    assert_non_null(conn);
    if (tc_user_create(conn, gate, &u, PASSWORD, strlen(PASSWORD), NULL, &err) != TC_OK)
        fail_msg("tc_user_create %s: %s (%s)", login, err.msg, err.detail);
    tc_db_release(pool, conn);
}

/* Log in through the JSON API; the cookie's token goes to `token`. */
static void
log_in(const struct env *env, const char *login, char token[TC_SESSION_TOKEN_MAX])
{
    const char *const hdrs[] = {"Content-Type: application/json", NULL};
    char body[256];
    const char *cookie;
    struct tc_test_reply r;

    snprintf(body, sizeof(body), "{\"login\": \"%s\", \"password\": \"%s\"}", login, PASSWORD);
    tc_test_send(env->port, "POST", "/api/v1/session", hdrs, body, &r);
    tc_test_expect(&r, 200);
    cookie = tc_test_header_value(&r, "Set-Cookie");
    assert_non_null(cookie);
    cookie += strlen(TC_AUTH_COOKIE) + 1;
    memcpy(token, cookie, TC_SESSION_TOKEN_MAX - 1);
    token[TC_SESSION_TOKEN_MAX - 1] = '\0';
    tc_test_reply_free(&r);
}

static void
add_form(struct tc_db_pool *pool, const char *form_id, const char *version, const char *title,
         const char *xml, size_t xml_len, bool publish, long long *id_out)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire(pool, 5000, &err);
    const struct tc_form_new f = {.form_id = form_id,
                                  .version = version,
                                  .title = title,
                                  .xml = (const unsigned char *)xml,
                                  .xml_len = xml_len,
                                  .publish = publish};

    assert_non_null(conn);
    if (tc_forms_insert(conn, &f, id_out, &err) != TC_OK)
        fail_msg("tc_forms_insert %s: %s (%s)", form_id, err.msg, err.detail);
    tc_db_release(pool, conn);
}

static void
add_media(struct tc_db_pool *pool, long long form, const char *name, const char *type,
          const char *bytes)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire(pool, 5000, &err);

    assert_non_null(conn);
    if (tc_forms_media_put(conn, form, name, type, (const unsigned char *)bytes, strlen(bytes),
                           &err) != TC_OK)
        fail_msg("tc_forms_media_put %s: %s (%s)", name, err.msg, err.detail);
    tc_db_release(pool, conn);
}

static void
read_fixture(struct env *env)
{
    char path[1024];
    FILE *f = fopen(tc_test_source_path(MARKET, path, sizeof(path)), "rb");

    assert_non_null(f);
    env->market_len = fread(env->market_xml, 1, sizeof(env->market_xml) - 1, f);
    assert_true(env->market_len > 0 && feof(f));
    fclose(f);
}

/* ---- fixtures ---- */

static int
group_setup(void **state)
{
    static struct env env;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_server_options opts = {.cfg = &env.cfg, .stop_wait_ms = 5000};
    struct tc_db_conn *conn;
    const char *esc = "<h:html><h:head><h:title>x</h:title></h:head></h:html>";
    long long market;
    size_t applied;

    *state = &env;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    tc_test_db_create("fill", env.conninfo, sizeof(env.conninfo));
    if ((env.pool = tc_db_pool_create(env.conninfo, 4, &err)) == NULL ||
        (conn = tc_db_acquire(env.pool, 5000, &err)) == NULL ||
        tc_migrate(conn, &applied, &err) != TC_OK) {
        fprintf(stderr, "database: %s (%s)\n", err.msg, err.detail);
        return -1;
    }
    tc_db_release(env.pool, conn);
    env.auth = tc_auth_create(
        &(struct tc_auth_options){.gate_slots = 2, .cost = TC_PASSWORD_MINIMUM}, &err);
    if (env.auth == NULL)
        return -1;
    snprintf(env.cfg.listen_host, sizeof(env.cfg.listen_host), "127.0.0.1");
    env.cfg.threads = 2;
    opts.pool = env.pool;
    opts.auth = env.auth;
    if (tc_server_start(&opts, &env.srv, &err) != TC_OK) {
        fprintf(stderr, "tc_server_start: %s (%s)\n", err.msg, err.detail);
        return -1;
    }
    env.port = tc_server_port(env.srv);

    add_user(env.pool, tc_auth_gate(env.auth), "lan.collector", TC_ROLE_COLLECTOR);
    add_user(env.pool, tc_auth_gate(env.auth), "vy.viewer", TC_ROLE_VIEWER);
    log_in(&env, "lan.collector", env.collector);
    log_in(&env, "vy.viewer", env.viewer);
    read_fixture(&env);
    add_form(env.pool, "market_group", "2026112901", "Phiên chợ", env.market_xml, env.market_len,
             true, &market);
    add_media(env.pool, market, "logo.svg", "image/svg+xml", SVG);
    add_form(env.pool, "draft_only", "1", "Draft", esc, strlen(esc), false, NULL);
    add_form(env.pool, "escaped", "1", "Tổ <b>\"A&B\"</b>", esc, strlen(esc), true, NULL);
    return 0;
}

static int
group_teardown(void **state)
{
    struct env *env = *state;

    if (env->pool == NULL)
        return 0;
    tc_server_stop(env->srv);
    tc_auth_destroy(env->auth);
    tc_db_pool_destroy(env->pool);
    tc_test_db_drop(env->conninfo);
    curl_global_cleanup();
    return 0;
}

/* ---- /static/webforms ---- */

static void
static_files_are_immutable_with_their_content_type(void **state)
{
    struct env *env = *state;
    const struct tc_embedded *js = embedded(tc_webforms_entry_js);
    const struct tc_embedded *css = embedded(tc_webforms_entry_css);
    char path[256];
    struct tc_test_reply r;

    snprintf(path, sizeof(path), "/static/webforms/%s", js->name);
    get_as(env, NULL, path, NULL, &r);
    tc_test_expect(&r, 200);
    assert_string_equal(tc_test_header_value(&r, "Content-Type"), "text/javascript; charset=utf-8");
    assert_string_equal(tc_test_header_value(&r, "Cache-Control"),
                        "public, max-age=31536000, immutable");
    assert_string_equal(tc_test_header_value(&r, "Vary"), "Accept-Encoding");
    assert_null(tc_test_header_value(&r, "Content-Encoding"));
    assert_int_equal(r.body.len, js->len);
    assert_memory_equal(tc_strbuf_str(&r.body), js->data, js->len);
    tc_test_reply_free(&r);

    snprintf(path, sizeof(path), "/static/webforms/%s", css->name);
    tc_test_send(env->port, "HEAD", path, NULL, NULL, &r);
    tc_test_expect(&r, 200);
    assert_string_equal(tc_test_header_value(&r, "Content-Type"), "text/css; charset=utf-8");
    assert_int_equal(r.body.len, 0);
    tc_test_reply_free(&r);
}

static void
static_files_are_sent_gzipped_when_accepted(void **state)
{
    struct env *env = *state;
    const struct tc_embedded *css = embedded(tc_webforms_entry_css);
    char path[256], gz_name[256];
    const struct tc_embedded *gz;
    static const char *const refusals[] = {"Accept-Encoding: gzip;q=0", "Accept-Encoding: br",
                                           "Accept-Encoding: identity, gzip; q=0.000"};
    struct tc_test_reply r;

    snprintf(gz_name, sizeof(gz_name), "%s.gz", css->name);
    gz = embedded(gz_name);
    assert_true(gz->len < css->len);
    snprintf(path, sizeof(path), "/static/webforms/%s", css->name);
    get_as(env, NULL, path, "Accept-Encoding: br, gzip;q=0.8", &r);
    tc_test_expect(&r, 200);
    assert_string_equal(tc_test_header_value(&r, "Content-Encoding"), "gzip");
    assert_string_equal(tc_test_header_value(&r, "Content-Type"), "text/css; charset=utf-8");
    assert_int_equal(r.body.len, gz->len);
    assert_memory_equal(tc_strbuf_str(&r.body), gz->data, gz->len);
    tc_test_reply_free(&r);

    for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
        get_as(env, NULL, path, refusals[i], &r);
        tc_test_expect(&r, 200);
        assert_null(tc_test_header_value(&r, "Content-Encoding"));
        assert_int_equal(r.body.len, css->len);
        tc_test_reply_free(&r);
    }
}

static void
only_the_bundle_is_served(void **state)
{
    struct env *env = *state;
    char path[256];
    struct tc_test_reply r;

    snprintf(path, sizeof(path), "/static/webforms/%s.gz", tc_webforms_entry_css);
    get_as(env, NULL, path, NULL, &r);
    tc_test_expect(&r, 404);
    tc_test_reply_free(&r);
    get_as(env, NULL, "/static/webforms/fill.js", NULL, &r);
    tc_test_expect(&r, 404);
    tc_test_reply_free(&r);
    get_as(env, NULL, "/static/webforms/..%2F..%2Fetc%2Fpasswd", NULL, &r);
    tc_test_expect(&r, 404);
    tc_test_reply_free(&r);
}

/* ---- the fill page ---- */

/* The nonce of the page's CSP, checking the policy around it. */
static void
expect_csp(const struct tc_test_reply *r, char nonce[32])
{
    static const char head[] = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; "
                               "style-src 'self' 'nonce-";
    static const char tail[] = "'; img-src 'self' data: blob:; font-src 'self' data:; "
                               "media-src 'self' blob:; connect-src 'self'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'";
    const char *csp = tc_test_header_value(r, "Content-Security-Policy");

    assert_non_null(csp);
    assert_int_equal(strncmp(csp, head, strlen(head)), 0);
    csp += strlen(head);
    assert_int_equal(
        strspn(csp, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"), 24);
    memcpy(nonce, csp, 24);
    nonce[24] = '\0';
    assert_string_equal(csp + 24, tail);
}

static void
the_page_carries_the_bundle_csrf_and_a_fresh_nonce(void **state)
{
    struct env *env = *state;
    char nonce1[32], nonce2[32], csrf[TC_SESSION_TOKEN_MAX], want[512];
    const char *body;
    struct tc_test_reply r;

    get_as(env, env->collector, "/fill/market_group", NULL, &r);
    tc_test_expect(&r, 200);
    assert_string_equal(tc_test_header_value(&r, "Content-Type"), "text/html; charset=utf-8");
    assert_string_equal(tc_test_header_value(&r, "Cache-Control"), "no-store");
    expect_csp(&r, nonce1);
    body = tc_strbuf_str(&r.body);
    tc_session_csrf(env->collector, csrf);
    snprintf(want, sizeof(want), "<meta name=\"csrf-token\" content=\"%s\">", csrf);
    assert_non_null(strstr(body, want));
    snprintf(want, sizeof(want), "<meta property=\"csp-nonce\" nonce=\"%s\">", nonce1);
    assert_non_null(strstr(body, want));
    snprintf(want, sizeof(want), "<script type=\"module\" src=\"/static/webforms/%s\"></script>",
             tc_webforms_entry_js);
    assert_non_null(strstr(body, want));
    snprintf(want, sizeof(want), "<link rel=\"stylesheet\" href=\"/static/webforms/%s\">",
             tc_webforms_entry_css);
    assert_non_null(strstr(body, want));
    assert_non_null(
        strstr(body, "data-form-url=\"/fill/market_group/form.xml?version=2026112901\""));
    assert_non_null(strstr(body, "data-media-url=\"/fill/market_group/media?version=2026112901\""));
    assert_non_null(strstr(body, "data-submission-url=\"/submission\""));
    /* No inline script: the only <script> is the module above. */
    assert_null(strstr(strstr(body, "<script") + 1, "<script"));
    tc_test_reply_free(&r);

    get_as(env, env->collector, "/fill/market_group", NULL, &r);
    tc_test_expect(&r, 200);
    expect_csp(&r, nonce2);
    assert_string_not_equal(nonce1, nonce2);
    tc_test_reply_free(&r);
}

static void
the_page_escapes_the_title(void **state)
{
    struct env *env = *state;
    struct tc_test_reply r;

    get_as(env, env->collector, "/fill/escaped", NULL, &r);
    tc_test_expect(&r, 200);
    assert_non_null(strstr(tc_strbuf_str(&r.body),
                           "<title>Tổ &lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt; · tincay</title>"));
    assert_null(strstr(tc_strbuf_str(&r.body), "<b>"));
    tc_test_reply_free(&r);
}

static void
the_page_needs_a_login_and_the_right_to_submit(void **state)
{
    struct env *env = *state;
    struct tc_test_reply r;

    get_as(env, NULL, "/fill/market_group", NULL, &r);
    tc_test_expect(&r, 303);
    assert_string_equal(tc_test_header_value(&r, "Location"), "/login");
    tc_test_reply_free(&r);

    get_as(env, env->viewer, "/fill/market_group", NULL, &r);
    tc_test_expect(&r, 403);
    assert_string_equal(tc_test_header_value(&r, "Content-Type"), "text/html; charset=utf-8");
    /* The interface's error page, under its own policy (no WebAssembly, no nonce). */
    assert_null(strstr(tc_test_header_value(&r, "Content-Security-Policy"), "wasm"));
    tc_test_reply_free(&r);
    get_as(env, env->viewer, "/fill/market_group/form.xml", NULL, &r);
    tc_test_expect(&r, 403);
    tc_test_reply_free(&r);

    get_as(env, env->collector, "/fill/no_such_form", NULL, &r);
    tc_test_expect(&r, 404);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "no_such_form"));
    tc_test_reply_free(&r);
    get_as(env, env->collector, "/fill/draft_only", NULL, &r);
    tc_test_expect(&r, 404);
    tc_test_reply_free(&r);
    get_as(env, env->collector, "/fill/draft_only/form.xml?version=1", NULL, &r);
    tc_test_expect(&r, 404);
    tc_test_reply_free(&r);
}

static void
the_home_page_links_the_forms_one_may_fill(void **state)
{
    struct env *env = *state;
    struct tc_test_reply r;
    const char *body;

    get_as(env, env->collector, "/home", NULL, &r);
    tc_test_expect(&r, 200);
    body = tc_strbuf_str(&r.body);
    assert_non_null(strstr(body, "<ul class=\"fill-links\">"));
    assert_non_null(strstr(body, "<a href=\"/fill/market_group\">Phiên chợ</a>"));
    assert_non_null(strstr(body, "<a href=\"/fill/escaped\">Tổ &lt;b&gt;"));
    assert_null(strstr(body, "/fill/draft_only")); /* not published */
    tc_test_reply_free(&r);

    /* a viewer may fill nothing: no list */
    get_as(env, env->viewer, "/home", NULL, &r);
    tc_test_expect(&r, 200);
    assert_null(strstr(tc_strbuf_str(&r.body), "/fill/"));
    tc_test_reply_free(&r);
}

/* ---- what the bundle fetches ---- */

static void
the_form_xml_is_the_stored_bytes_of_the_version(void **state)
{
    struct env *env = *state;
    struct tc_test_reply r;

    get_as(env, env->collector, "/fill/market_group/form.xml?version=2026112901", NULL, &r);
    tc_test_expect(&r, 200);
    assert_string_equal(tc_test_header_value(&r, "Content-Type"), "text/xml; charset=utf-8");
    assert_string_equal(tc_test_header_value(&r, "Cache-Control"), "no-store");
    assert_int_equal(r.body.len, env->market_len);
    assert_memory_equal(tc_strbuf_str(&r.body), env->market_xml, env->market_len);
    tc_test_reply_free(&r);

    get_as(env, env->collector, "/fill/market_group/form.xml", NULL, &r);
    tc_test_expect(&r, 200);
    assert_int_equal(r.body.len, env->market_len);
    tc_test_reply_free(&r);

    get_as(env, env->collector, "/fill/market_group/form.xml?version=1999", NULL, &r);
    tc_test_expect(&r, 404);
    tc_test_reply_free(&r);
}

static void
media_are_served_inert(void **state)
{
    struct env *env = *state;
    struct tc_test_reply r;

    get_as(env, env->collector, "/fill/market_group/media/logo.svg?version=2026112901", NULL, &r);
    tc_test_expect(&r, 200);
    assert_string_equal(tc_test_header_value(&r, "Content-Type"), "image/svg+xml");
    assert_string_equal(tc_test_header_value(&r, "Content-Security-Policy"),
                        "default-src 'none'; sandbox");
    assert_string_equal(tc_test_header_value(&r, "X-Content-Type-Options"), "nosniff");
    assert_string_equal(tc_strbuf_str(&r.body), SVG);
    tc_test_reply_free(&r);

    get_as(env, env->collector, "/fill/market_group/media/other.png", NULL, &r);
    tc_test_expect(&r, 404);
    tc_test_reply_free(&r);
    get_as(env, NULL, "/fill/market_group/media/logo.svg", NULL, &r);
    tc_test_expect(&r, 401);
    tc_test_reply_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(static_files_are_immutable_with_their_content_type),
        cmocka_unit_test(static_files_are_sent_gzipped_when_accepted),
        cmocka_unit_test(only_the_bundle_is_served),
        cmocka_unit_test(the_page_carries_the_bundle_csrf_and_a_fresh_nonce),
        cmocka_unit_test(the_page_escapes_the_title),
        cmocka_unit_test(the_page_needs_a_login_and_the_right_to_submit),
        cmocka_unit_test(the_home_page_links_the_forms_one_may_fill),
        cmocka_unit_test(the_form_xml_is_the_stored_bytes_of_the_version),
        cmocka_unit_test(media_are_served_inert),
    };

    if (tc_webforms_files_count == 0) {
        printf("# skipped: built without ODK Web Forms (TC_WEBFORMS=OFF)\n");
        return 77;
    }
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
