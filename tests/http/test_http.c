/*
 * The HTTP daemon over real loopback HTTP (libcurl and raw sockets), against a real
 * PostgreSQL: health, routing errors, HEAD, body caps, the request deadline, graceful
 * stop and the access log. Test-only routes come in through the server options.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "http.h"
#include "testhttp.h"
#include "testlib.h"
#include "tincay/config.h"
#include "tincay/db.h"
#include "tincay/strbuf.h"

#define DEADLINE_MS 2000u
#define SLOW_BODY   100000u

struct env {
    char conninfo[256];
    struct tc_config cfg;
    struct tc_db_pool *pool;
    struct tc_server *srv;
    unsigned int port;
};

static atomic_int slow_entered;

/* ---- test-only routes ---- */

static enum tc_status
json_reply(struct tc_response *resp, json_t *body, struct tc_error *err)
{
    enum tc_status st = body != NULL ? tc_resp_json(resp, body, err) : TC_ENOMEM;

    json_decref(body);
    return st;
}

static enum tc_status
handle_echo(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    const char *q = tc_req_query(req, "q");

    return json_reply(resp,
                      json_pack("{s:s?, s:s?, s:s, s:s, s:b, s:b}", "name",
                                tc_req_param(req, "name"), "q", q, "lang",
                                tc_lang_name(tc_req_lang(req)), "addr", tc_req_client_addr(req),
                                "tls", tc_req_is_tls(req), "loopback", tc_req_is_loopback(req)),
                      err);
}

static enum tc_status
handle_body_length(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    size_t len;
    uintptr_t streamed = (uintptr_t)tc_req_state(req);

    tc_req_body(req, &len);
    return json_reply(resp, json_pack("{s:I}", "length", (json_int_t)(len + streamed)), err);
}

/* Counts streamed bytes in the request's state slot (no allocation needed for a count). */
static enum tc_status
count_chunk(struct tc_request *req, const char *data, size_t len, struct tc_error *err)
{
    (void)data;
    (void)err;
    tc_req_set_state(req, (void *)((uintptr_t)tc_req_state(req) + len));
    return TC_OK;
}

static enum tc_status
handle_slow(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_strbuf *body = tc_resp_body(resp);

    (void)req;
    (void)err;
    atomic_store(&slow_entered, 1);
    nanosleep(&(struct timespec){.tv_nsec = 800000000L}, NULL);
    for (size_t i = 0; i < SLOW_BODY; i++)
        tc_strbuf_appendc(body, 'x');
    tc_resp_content_type(resp, "text/plain");
    return TC_OK;
}

static enum tc_status
handle_fail(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    (void)req;
    (void)resp;
    tc_fail(err, TC_ECONFLICT, "form \"%s\" already exists", "ho-gia-dinh");
    tc_error_detail(err, "duplicate key value violates unique constraint SECRET-DETAIL");
    return TC_ECONFLICT;
}

static enum tc_status
handle_own_error(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    (void)req;
    tc_resp_content_type(resp, "text/xml; charset=utf-8");
    tc_strbuf_appends(tc_resp_body(resp), "<OpenRosaResponse>bad</OpenRosaResponse>");
    return tc_fail(err, TC_EINVAL, "bad submission");
}

static enum tc_status
handle_html(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    (void)req;
    tc_resp_content_type(resp, "text/html; charset=utf-8");
    tc_strbuf_appends(tc_resp_body(resp), "<!doctype html><title>t</title>");
    return tc_resp_header(resp, "Set-Cookie", "a=b; HttpOnly", err);
}

static const struct tc_route test_routes[] = {
    {.method = "GET", .pattern = "/test/echo/:name", .handler = handle_echo},
    {.method = "GET", .pattern = "/key/:token/echo", .handler = handle_echo},
    {.method = "POST",
     .pattern = "/test/buffered",
     .handler = handle_body_length,
     .body = TC_BODY_BUFFERED,
     .max_body = 1024},
    {.method = "POST",
     .pattern = "/test/streamed",
     .handler = handle_body_length,
     .body = TC_BODY_STREAMED,
     .max_body = 256 * 1024,
     .on_chunk = count_chunk},
    {.method = "GET", .pattern = "/test/slow", .handler = handle_slow},
    {.method = "GET", .pattern = "/test/fail", .handler = handle_fail},
    {.method = "GET", .pattern = "/test/own-error", .handler = handle_own_error},
    {.method = "GET", .pattern = "/test/html", .handler = handle_html},
};

/* ---- helpers ---- */

static void
test_config(struct tc_config *cfg, const char *trusted_proxy)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->listen_host, sizeof(cfg->listen_host), "127.0.0.1");
    snprintf(cfg->trusted_proxy, sizeof(cfg->trusted_proxy), "%s", trusted_proxy);
    cfg->listen_port = 0;
    cfg->threads = 2;
}

static struct tc_server *
start_server(const struct tc_config *cfg, struct tc_db_pool *pool)
{
    struct tc_server_options opts = {
        .cfg = cfg,
        .pool = pool,
        .extra_routes = test_routes,
        .n_extra_routes = sizeof(test_routes) / sizeof(test_routes[0]),
        .deadline_ms = DEADLINE_MS,
        .stop_wait_ms = 5000,
    };
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_server *srv = NULL;

    if (tc_server_start(&opts, &srv, &err) != TC_OK)
        fail_msg("tc_server_start: %s (%s)", err.msg, err.detail);
    return srv;
}

struct upload {
    size_t left;
};

static size_t
read_upload(char *buf, size_t size, size_t n, void *cls)
{
    struct upload *up = cls;
    size_t len = size * n < up->left ? size * n : up->left;

    memset(buf, 'u', len);
    up->left -= len;
    return len;
}

/*
 * One request. `body_len` bytes of 'u' are sent when `body` is set; `chunked` sends them
 * with Transfer-Encoding: chunked and no length. `header` may be NULL.
 */
static void
request(unsigned int port, const char *method, const char *path, const char *header,
        size_t body_len, int chunked, struct tc_test_reply *r)
{
    CURL *c = curl_easy_init();
    struct curl_slist *hdrs = NULL;
    struct upload up = {.left = body_len};
    char url[512];

    assert_non_null(c);
    memset(r, 0, sizeof(*r));
    r->body = (struct tc_strbuf)TC_STRBUF_INIT(1u << 22);
    r->headers = (struct tc_strbuf)TC_STRBUF_INIT(1u << 16);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tc_test_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, tc_test_collect);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (header != NULL)
        hdrs = curl_slist_append(hdrs, header);
    if (body_len > 0) {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, read_upload);
        curl_easy_setopt(c, CURLOPT_READDATA, &up);
        if (chunked)
            hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
        else
            curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)body_len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
}

/* GET over HTTPS, trusting whatever certificate the test server shows. */
static CURLcode
request_tls(unsigned int port, const char *path, struct tc_test_reply *r)
{
    CURL *c = curl_easy_init();
    char url[512];
    CURLcode rc;

    assert_non_null(c);
    memset(r, 0, sizeof(*r));
    r->body = (struct tc_strbuf)TC_STRBUF_INIT(1u << 22);
    r->headers = (struct tc_strbuf)TC_STRBUF_INIT(1u << 16);
    snprintf(url, sizeof(url), "https://127.0.0.1:%u%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tc_test_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_cleanup(c);
    return rc;
}

static void
assert_json_error(const struct tc_test_reply *r, const char *code)
{
    json_t *j = tc_test_json(r);
    json_t *e = json_object_get(j, "error");

    assert_non_null(e);
    assert_int_equal(json_object_size(j), 1);
    assert_string_equal(json_string_value(json_object_get(e, "code")), code);
    assert_non_null(json_string_value(json_object_get(e, "message")));
    assert_true(strlen(json_string_value(json_object_get(e, "message"))) > 0);
    json_decref(j);
}

static int
connect_to(unsigned int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static uint64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- fixtures ---- */

static int
group_setup(void **state)
{
    static struct env env;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    curl_global_init(CURL_GLOBAL_DEFAULT);
    tc_test_db_create("http", env.conninfo, sizeof(env.conninfo));
    if ((env.pool = tc_db_pool_create(env.conninfo, 4, &err)) == NULL) {
        fprintf(stderr, "tc_db_pool_create: %s (%s)\n", err.msg, err.detail);
        return -1;
    }
    test_config(&env.cfg, "127.0.0.1");
    env.srv = start_server(&env.cfg, env.pool);
    env.port = tc_server_port(env.srv);
    *state = &env;
    return env.port != 0 ? 0 : -1;
}

static int
group_teardown(void **state)
{
    struct env *env = *state;

    tc_server_stop(env->srv);
    tc_db_pool_destroy(env->pool);
    tc_test_db_drop(env->conninfo);
    curl_global_cleanup();
    return 0;
}

/* ---- tests ---- */

static void
healthz_is_ok_when_the_database_answers(void **state)
{
    struct env *env = *state;
    struct tc_test_reply r;

    request(env->port, "GET", "/healthz", NULL, 0, 0, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(tc_strbuf_str(&r.body), "{\"status\":\"ok\",\"database\":\"up\"}");
    assert_string_equal(tc_test_header_value(&r, "Content-Type"),
                        "application/json; charset=utf-8");
    assert_string_equal(tc_test_header_value(&r, "X-Content-Type-Options"), "nosniff");
    assert_string_equal(tc_test_header_value(&r, "Referrer-Policy"), "no-referrer");
    assert_string_equal(tc_test_header_value(&r, "Cache-Control"), "no-store");
    assert_null(tc_test_header_value(&r, "Content-Security-Policy"));
    tc_test_reply_free(&r);
}

static void
healthz_is_503_when_the_database_is_gone(void **state)
{
    struct env *env = *state;
    char conninfo[256];
    struct tc_config cfg;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_pool *pool;
    struct tc_server *srv;
    struct tc_test_reply r;

    tc_test_db_create("http_gone", conninfo, sizeof(conninfo));
    pool = tc_db_pool_create(conninfo, 2, &err);
    assert_non_null(pool);
    test_config(&cfg, "");
    srv = start_server(&cfg, pool);
    request(tc_server_port(srv), "GET", "/healthz", NULL, 0, 0, &r);
    assert_int_equal(r.status, 200);
    tc_test_reply_free(&r);
    tc_test_db_drop(conninfo); /* WITH (FORCE): the pool's connections die with it */
    request(tc_server_port(srv), "GET", "/healthz", NULL, 0, 0, &r);
    assert_int_equal(r.status, 503);
    assert_string_equal(tc_strbuf_str(&r.body),
                        "{\"status\":\"unavailable\",\"database\":\"down\"}");
    tc_test_reply_free(&r);
    tc_server_stop(srv);
    tc_db_pool_destroy(pool);
    (void)env;
}

static void
healthz_is_503_without_a_pool(void **state)
{
    struct tc_config cfg;
    struct tc_server *srv;
    struct tc_test_reply r;

    (void)state;
    test_config(&cfg, "");
    srv = start_server(&cfg, NULL);
    request(tc_server_port(srv), "GET", "/healthz", NULL, 0, 0, &r);
    assert_int_equal(r.status, 503);
    tc_test_reply_free(&r);
    tc_server_stop(srv);
}

static void
unknown_path_is_404_with_the_json_error(void **state)
{
    struct env *env = *state;
    struct tc_test_reply r;

    request(env->port, "GET", "/no/such/page", NULL, 0, 0, &r);
    assert_int_equal(r.status, 404);
    assert_json_error(&r, "not_found");
    assert_string_equal(tc_test_header_value(&r, "Cache-Control"), "no-store");
    tc_test_reply_free(&r);
}

static void
wrong_method_is_405_with_allow(void **state)
{
    struct env *env = *state;
    struct tc_test_reply r;

    request(env->port, "DELETE", "/healthz", NULL, 0, 0, &r);
    assert_int_equal(r.status, 405);
    assert_string_equal(tc_test_header_value(&r, "Allow"), "GET, HEAD");
    assert_json_error(&r, "method_not_allowed");
    tc_test_reply_free(&r);
    request(env->port, "GET", "/test/buffered", NULL, 0, 0, &r);
    assert_int_equal(r.status, 405);
    assert_string_equal(tc_test_header_value(&r, "Allow"), "POST");
    tc_test_reply_free(&r);
}

static void
bad_percent_escape_is_400(void **state)
{
    struct env *env = *state;
    struct tc_test_reply r;

    request(env->port, "GET", "/test/echo/a%zz", NULL, 0, 0, &r);
    assert_int_equal(r.status, 400);
    assert_json_error(&r, "bad_request");
    tc_test_reply_free(&r);
}

static void
head_answers_get_headers_without_body(void **state)
{
    struct env *env = *state;
    struct tc_test_reply get, head;

    request(env->port, "GET", "/healthz", NULL, 0, 0, &get);
    request(env->port, "HEAD", "/healthz", NULL, 0, 0, &head);
    assert_int_equal(head.status, 200);
    assert_int_equal(head.body.len, 0);
    assert_non_null(tc_test_header_value(&get, "Content-Length"));
    assert_string_equal(tc_test_header_value(&get, "Content-Length"), "31");
    assert_string_equal(tc_test_header_value(&head, "Content-Length"), "31");
    assert_string_equal(tc_test_header_value(&head, "Content-Type"),
                        "application/json; charset=utf-8");
    tc_test_reply_free(&get);
    tc_test_reply_free(&head);
}

static void
captures_and_query_are_decoded(void **state)
{
    struct env *env = *state;
    struct tc_test_reply r;
    json_t *j;

    request(env->port, "GET", "/test/echo/a%2Fb%20c?q=x+y%2Bz", NULL, 0, 0, &r);
    assert_int_equal(r.status, 200);
    j = tc_test_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "name")), "a/b c");
    assert_string_equal(json_string_value(json_object_get(j, "q")), "x y+z");
    assert_string_equal(json_string_value(json_object_get(j, "lang")), "vi");
    json_decref(j);
    tc_test_reply_free(&r);
}

static void
accept_language_picks_english(void **state)
{
    struct env *env = *state;
    struct tc_test_reply r;
    json_t *j;

    request(env->port, "GET", "/test/echo/x", "Accept-Language: en-US,en;q=0.9,vi;q=0.5", 0, 0, &r);
    j = tc_test_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "lang")), "en");
    json_decref(j);
    tc_test_reply_free(&r);
}

static void
forwarded_headers_are_believed_from_the_trusted_proxy_only(void **state)
{
    struct env *env = *state;
    struct tc_config cfg;
    struct tc_server *srv;
    struct tc_test_reply r;
    json_t *j;

    request(env->port, "GET", "/test/echo/x", "X-Forwarded-For: 10.0.0.9, 203.0.113.7", 0, 0, &r);
    j = tc_test_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "addr")), "203.0.113.7");
    assert_false(json_is_true(json_object_get(j, "loopback")));
    json_decref(j);
    tc_test_reply_free(&r);
    request(env->port, "GET", "/test/echo/x", "X-Forwarded-Proto: https", 0, 0, &r);
    j = tc_test_json(&r);
    assert_true(json_is_true(json_object_get(j, "tls")));
    json_decref(j);
    tc_test_reply_free(&r);

    test_config(&cfg, ""); /* no trusted proxy: the headers are the client's word only */
    srv = start_server(&cfg, NULL);
    request(tc_server_port(srv), "GET", "/test/echo/x", "X-Forwarded-For: 203.0.113.7", 0, 0, &r);
    j = tc_test_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "addr")), "127.0.0.1");
    assert_true(json_is_true(json_object_get(j, "loopback")));
    assert_false(json_is_true(json_object_get(j, "tls")));
    json_decref(j);
    tc_test_reply_free(&r);
    tc_server_stop(srv);
}

static void
body_within_the_cap_reaches_the_handler(void **state)
{
    struct env *env = *state;
    struct tc_test_reply r;

    request(env->port, "POST", "/test/buffered", NULL, 1024, 0, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(tc_strbuf_str(&r.body), "{\"length\":1024}");
    tc_test_reply_free(&r);
    request(env->port, "POST", "/test/buffered", NULL, 700, 1, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(tc_strbuf_str(&r.body), "{\"length\":700}");
    tc_test_reply_free(&r);
}

static void
body_over_the_cap_is_413_by_content_length(void **state)
{
    struct env *env = *state;
    struct tc_test_reply r;

    request(env->port, "POST", "/test/buffered", NULL, 1025, 0, &r);
    assert_int_equal(r.status, 413);
    assert_json_error(&r, "too_large");
    tc_test_reply_free(&r);
}

static void
body_over_the_cap_is_413_when_chunked(void **state)
{
    struct env *env = *state;
    struct tc_test_reply r;

    request(env->port, "POST", "/test/buffered", NULL, 5000, 1, &r);
    assert_int_equal(r.status, 413);
    assert_json_error(&r, "too_large");
    tc_test_reply_free(&r);
}

static void
body_on_a_route_without_one_is_413(void **state)
{
    struct env *env = *state;
    struct tc_test_reply r;

    request(env->port, "POST", "/test/buffered", NULL, 0, 0, &r);
    assert_int_equal(r.status, 200); /* an empty POST is fine */
    tc_test_reply_free(&r);
    request(env->port, "GET", "/healthz", NULL, 10, 1, &r);
    assert_int_equal(r.status, 413);
    tc_test_reply_free(&r);
}

static void
streamed_body_arrives_in_pieces_and_whole(void **state)
{
    struct env *env = *state;
    struct tc_test_reply r;

    request(env->port, "POST", "/test/streamed", NULL, 200000, 1, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(tc_strbuf_str(&r.body), "{\"length\":200000}");
    tc_test_reply_free(&r);
    request(env->port, "POST", "/test/streamed", NULL, 300000, 0, &r);
    assert_int_equal(r.status, 413);
    tc_test_reply_free(&r);
}

static void
handler_error_renders_message_but_never_detail(void **state)
{
    struct env *env = *state;
    struct tc_test_reply r;
    json_t *j;

    request(env->port, "GET", "/test/fail", NULL, 0, 0, &r);
    assert_int_equal(r.status, 409);
    assert_json_error(&r, "conflict");
    j = tc_test_json(&r);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "message")),
                        "form \"ho-gia-dinh\" already exists");
    json_decref(j);
    assert_null(strstr(tc_strbuf_str(&r.body), "SECRET-DETAIL"));
    tc_test_reply_free(&r);
}

static void
handler_may_render_its_own_error_body(void **state)
{
    struct env *env = *state;
    struct tc_test_reply r;

    request(env->port, "GET", "/test/own-error", NULL, 0, 0, &r);
    assert_int_equal(r.status, 422);
    assert_string_equal(tc_strbuf_str(&r.body), "<OpenRosaResponse>bad</OpenRosaResponse>");
    assert_string_equal(tc_test_header_value(&r, "Content-Type"), "text/xml; charset=utf-8");
    tc_test_reply_free(&r);
}

static void
html_gets_a_strict_csp_and_extra_headers(void **state)
{
    struct env *env = *state;
    struct tc_test_reply r;

    request(env->port, "GET", "/test/html", NULL, 0, 0, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(tc_test_header_value(&r, "Content-Security-Policy"));
    assert_non_null(
        strstr(tc_test_header_value(&r, "Content-Security-Policy"), "default-src 'self'"));
    assert_string_equal(tc_test_header_value(&r, "Set-Cookie"), "a=b; HttpOnly");
    tc_test_reply_free(&r);
}

static bool
closed_by_peer(int fd)
{
    char buf[256];
    ssize_t n;

    while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
        ; /* an early answer (408) is fine too: what matters is the close */
    return n == 0;
}

static void
slow_client_is_cut_off_at_the_deadline(void **state)
{
    struct env *env = *state;
    static const char head[] = "POST /test/buffered HTTP/1.1\r\nHost: t\r\n"
                               "Content-Length: 100\r\n\r\n";
    int fd = connect_to(env->port);
    uint64_t start = now_ms();
    size_t sent = 0;
    bool closed = false;

    assert_true(fd >= 0);
    assert_int_equal(send(fd, head, sizeof(head) - 1, MSG_NOSIGNAL), sizeof(head) - 1);
    while (!closed && sent < 100) { /* one byte per second, as a trickling attacker would */
        if (send(fd, "x", 1, MSG_NOSIGNAL) != 1)
            break;
        sent++;
        nanosleep(&(struct timespec){.tv_sec = 1}, NULL);
        closed = closed_by_peer(fd);
    }
    close(fd);
    assert_true(sent < 100);
    assert_true(now_ms() - start < DEADLINE_MS + 2500);
}

static void
slow_headers_are_cut_off_at_the_deadline(void **state)
{
    struct env *env = *state;
    static const char head[] = "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ";
    int fd = connect_to(env->port);
    uint64_t start = now_ms();
    size_t sent = 0;
    bool closed = false;

    assert_true(fd >= 0);
    assert_int_equal(send(fd, head, sizeof(head) - 1, MSG_NOSIGNAL), sizeof(head) - 1);
    while (!closed && sent < 30) { /* a header byte per second never lets MHD's idle timer fire */
        if (send(fd, "y", 1, MSG_NOSIGNAL) != 1)
            break;
        sent++;
        nanosleep(&(struct timespec){.tv_sec = 1}, NULL);
        closed = closed_by_peer(fd);
    }
    close(fd);
    assert_true(sent < 30);
    assert_true(now_ms() - start < DEADLINE_MS + 2500);
}

struct slow_call {
    unsigned int port;
    struct tc_test_reply r;
};

static void *
call_slow(void *cls)
{
    struct slow_call *call = cls;

    request(call->port, "GET", "/test/slow", NULL, 0, 0, &call->r);
    return NULL;
}

static void
graceful_stop_finishes_the_request_in_flight(void **state)
{
    struct tc_config cfg;
    struct tc_server *srv;
    struct slow_call call;
    pthread_t t;
    uint64_t start;

    (void)state;
    test_config(&cfg, "");
    srv = start_server(&cfg, NULL);
    call.port = tc_server_port(srv);
    atomic_store(&slow_entered, 0);
    assert_int_equal(pthread_create(&t, NULL, call_slow, &call), 0);
    for (start = now_ms(); !atomic_load(&slow_entered) && now_ms() - start < 5000;)
        nanosleep(&(struct timespec){.tv_nsec = 5000000L}, NULL);
    assert_true(atomic_load(&slow_entered));
    tc_server_stop(srv); /* the handler is still sleeping */
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(call.r.status, 200);
    assert_int_equal(call.r.body.len, SLOW_BODY);
    tc_test_reply_free(&call.r);
    assert_int_equal(connect_to(call.port), -1); /* and nothing listens any more */
}

/* Read what the server logged to fd 2 into `out` until `lines` access lines are there. */
static void
read_log(int fd, int lines, struct tc_strbuf *out)
{
    char buf[4096];
    uint64_t start = now_ms();
    int seen = 0;

    while (seen < lines && now_ms() - start < 3000) {
        for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;)
            tc_strbuf_append(out, buf, (size_t)n);
        seen = 0;
        for (const char *p = tc_strbuf_str(out); (p = strstr(p, "ms\n")) != NULL; p += 3)
            seen++;
        nanosleep(&(struct timespec){.tv_nsec = 20000000L}, NULL);
    }
}

static void
access_log_never_shows_tokens_or_queries(void **state)
{
    struct env *env = *state;
    char path[] = "/tmp/tincay-access-XXXXXX";
    int log_fd = mkstemp(path), saved = dup(2);
    int read_fd = open(path, O_RDONLY); /* its own offset: fd 2 keeps appending */
    struct tc_strbuf log = TC_STRBUF_INIT(1u << 20);
    struct tc_test_reply r;

    assert_true(log_fd >= 0 && saved >= 0 && read_fd >= 0);
    unlink(path);
    fflush(stderr);
    dup2(log_fd, 2);
    request(env->port, "GET", "/key/SECRETTOKEN123/echo?q=PRIVATEQ", NULL, 0, 0, &r);
    tc_test_reply_free(&r);
    request(env->port, "GET", "/%6Bey/OTHERTOKEN/nothing", NULL, 0, 0, &r);
    tc_test_reply_free(&r);
    read_log(read_fd, 2, &log);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(log_fd);
    close(read_fd);
    fprintf(stderr, "%s", tc_strbuf_str(&log)); /* the captured lines, for the test log */
    assert_non_null(strstr(tc_strbuf_str(&log), "GET /key/[token]/echo?[query] 200 "));
    assert_non_null(strstr(tc_strbuf_str(&log), "GET /%6Bey/[token]/nothing 404 "));
    assert_null(strstr(tc_strbuf_str(&log), "SECRETTOKEN123"));
    assert_null(strstr(tc_strbuf_str(&log), "OTHERTOKEN"));
    assert_null(strstr(tc_strbuf_str(&log), "PRIVATEQ"));
    tc_strbuf_cleanup(&log);
}

/* A throw-away self-signed certificate from the openssl tool; false when it is missing. */
static bool
make_certificate(const char *dir, struct tc_config *cfg)
{
    char cmd[2 * sizeof(cfg->tls_cert) + 256];

    snprintf(cfg->tls_cert, sizeof(cfg->tls_cert), "%s/cert.pem", dir);
    snprintf(cfg->tls_key, sizeof(cfg->tls_key), "%s/key.pem", dir);
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
             "-days 1 -subj /CN=127.0.0.1 -keyout %s -out %s >/dev/null 2>&1",
             cfg->tls_key, cfg->tls_cert);
    return system(cmd) == 0;
}

static void
tls_is_served_when_configured(void **state)
{
    char dir[] = "/tmp/tincay-tls-XXXXXX";
    struct tc_config cfg;
    struct tc_server *srv;
    struct tc_test_reply r;
    json_t *j;

    (void)state;
    assert_non_null(mkdtemp(dir));
    test_config(&cfg, "");
    if (!make_certificate(dir, &cfg)) {
        rmdir(dir);
        skip();
    }
    srv = start_server(&cfg, NULL);
    assert_int_equal(request_tls(tc_server_port(srv), "/test/echo/x", &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    j = tc_test_json(&r);
    assert_true(json_is_true(json_object_get(j, "tls")));
    json_decref(j);
    tc_test_reply_free(&r);
    tc_server_stop(srv);
    unlink(cfg.tls_cert);
    unlink(cfg.tls_key);
    rmdir(dir);
}

static void
unreadable_tls_files_fail_the_start(void **state)
{
    struct tc_config cfg;
    struct tc_server_options opts = {.cfg = &cfg};
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_server *srv = NULL;

    (void)state;
    test_config(&cfg, "");
    snprintf(cfg.tls_cert, sizeof(cfg.tls_cert), "/nonexistent/cert.pem");
    snprintf(cfg.tls_key, sizeof(cfg.tls_key), "/nonexistent/key.pem");
    assert_int_not_equal(tc_server_start(&opts, &srv, &err), TC_OK);
    assert_null(srv);
    assert_non_null(strstr(err.msg, "/nonexistent/cert.pem"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(healthz_is_ok_when_the_database_answers),
        cmocka_unit_test(healthz_is_503_when_the_database_is_gone),
        cmocka_unit_test(healthz_is_503_without_a_pool),
        cmocka_unit_test(unknown_path_is_404_with_the_json_error),
        cmocka_unit_test(wrong_method_is_405_with_allow),
        cmocka_unit_test(bad_percent_escape_is_400),
        cmocka_unit_test(head_answers_get_headers_without_body),
        cmocka_unit_test(captures_and_query_are_decoded),
        cmocka_unit_test(accept_language_picks_english),
        cmocka_unit_test(forwarded_headers_are_believed_from_the_trusted_proxy_only),
        cmocka_unit_test(body_within_the_cap_reaches_the_handler),
        cmocka_unit_test(body_over_the_cap_is_413_by_content_length),
        cmocka_unit_test(body_over_the_cap_is_413_when_chunked),
        cmocka_unit_test(body_on_a_route_without_one_is_413),
        cmocka_unit_test(streamed_body_arrives_in_pieces_and_whole),
        cmocka_unit_test(handler_error_renders_message_but_never_detail),
        cmocka_unit_test(handler_may_render_its_own_error_body),
        cmocka_unit_test(html_gets_a_strict_csp_and_extra_headers),
        cmocka_unit_test(slow_client_is_cut_off_at_the_deadline),
        cmocka_unit_test(slow_headers_are_cut_off_at_the_deadline),
        cmocka_unit_test(graceful_stop_finishes_the_request_in_flight),
        cmocka_unit_test(access_log_never_shows_tokens_or_queries),
        cmocka_unit_test(tls_is_served_when_configured),
        cmocka_unit_test(unreadable_tls_files_fail_the_start),
    };

    return cmocka_run_group_tests_name("http", tests, group_setup, group_teardown);
}
