#define _GNU_SOURCE /* strcasestr */
#include "testhttp.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <sodium.h>

#include "auth.h"
#include "http.h"
#include "testlib.h"
#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/demo.h"
#include "tincay/keyfile.h"
#include "tincay/password.h"
#include "tincay/status.h"

size_t
tc_test_collect(char *data, size_t size, size_t n, void *sb)
{
    tc_strbuf_append(sb, data, size * n);
    return size * n;
}

/* The multipart body of `parts`, owned by `c`'s caller (curl_mime_free). */
static curl_mime *
mime_of(CURL *c, const struct tc_test_part *parts, size_t n_parts)
{
    curl_mime *mime = curl_mime_init(c);

    for (size_t i = 0; i < n_parts; i++) {
        curl_mimepart *p = curl_mime_addpart(mime);

        curl_mime_name(p, parts[i].name);
        curl_mime_data(p, parts[i].data, parts[i].len);
        if (parts[i].filename != NULL)
            curl_mime_filename(p, parts[i].filename);
        if (parts[i].type != NULL)
            curl_mime_type(p, parts[i].type);
    }
    return mime;
}

/* Method, Basic credentials and body of `req` onto `c`; the multipart body goes to *mime. */
static void
set_request(CURL *c, const struct tc_test_request *req, char *userpwd, size_t size,
            curl_mime **mime)
{
    if (strcmp(req->method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
    if (req->login != NULL) {
        snprintf(userpwd, size, "%s:%s", req->login, req->password);
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, userpwd);
    }
    if (req->parts != NULL) {
        *mime = mime_of(c, req->parts, req->n_parts);
        curl_easy_setopt(c, CURLOPT_MIMEPOST, *mime);
    } else if (req->body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(req->body_len > 0 ? req->body_len : strlen(req->body)));
    }
}

void
tc_test_http(unsigned int port, const struct tc_test_request *req, struct tc_test_reply *r)
{
    CURL *c = curl_easy_init();
    curl_mime *mime = NULL;
    struct curl_slist *hdrs = NULL;
    char url[2048], userpwd[256];
    struct timespec t0, t1;

    assert_non_null(c);
    memset(r, 0, sizeof(*r));
    r->body = (struct tc_strbuf)TC_STRBUF_INIT(1u << 24);
    r->headers = (struct tc_strbuf)TC_STRBUF_INIT(1u << 16);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, req->path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tc_test_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, tc_test_collect);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
    set_request(c, req, userpwd, sizeof(userpwd), &mime);
    for (size_t i = 0; req->headers != NULL && req->headers[i] != NULL; i++)
        hdrs = curl_slist_append(hdrs, req->headers[i]);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    r->ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_mime_free(mime);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
}

void
tc_test_send(unsigned int port, const char *method, const char *path, const char *const *headers,
             const char *body, struct tc_test_reply *r)
{
    tc_test_http(
        port,
        &(struct tc_test_request){.method = method, .path = path, .headers = headers, .body = body},
        r);
}

void
tc_test_reply_free(struct tc_test_reply *r)
{
    tc_strbuf_cleanup(&r->body);
    tc_strbuf_cleanup(&r->headers);
}

void
tc_test_expect(const struct tc_test_reply *r, long status)
{
    if (r->status != status)
        fail_msg("expected %ld, got %ld: %.400s", status, r->status, tc_strbuf_str(&r->body));
}

json_t *
tc_test_json(const struct tc_test_reply *r)
{
    json_error_t jerr;
    json_t *j = json_loads(tc_strbuf_str(&r->body), 0, &jerr);

    if (j == NULL)
        fail_msg("not JSON (%s): %.400s", jerr.text, tc_strbuf_str(&r->body));
    return j;
}

const char *
tc_test_header_value(const struct tc_test_reply *r, const char *name)
{
    static _Thread_local char value[1024];
    const char *h = tc_strbuf_str(&r->headers);
    size_t n = strlen(name);

    for (const char *line = h; *line != '\0'; line = strchr(line, '\n') + 1) {
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            size_t len = strcspn(line + n + 1, "\r\n");

            snprintf(value, sizeof(value), "%.*s", (int)len, line + n + 1);
            return value + strspn(value, " ");
        }
        if (strchr(line, '\n') == NULL)
            break;
    }
    return NULL;
}

bool
tc_test_header_has(const struct tc_test_reply *r, const char *text)
{
    return strcasestr(tc_strbuf_str(&r->headers), text) != NULL;
}

void
tc_test_login(unsigned int port, const char *login, const char *password, char *cookie,
              size_t cookie_size, char *csrf, size_t csrf_size)
{
    static const char *const json_headers[] = {"Content-Type: application/json", NULL};
    json_t *creds = json_pack("{s:s, s:s}", "login", login, "password", password);
    char *body = json_dumps(creds, 0);
    struct tc_test_reply r;
    const char *set;
    json_t *j;

    tc_test_http(
        port,
        &(struct tc_test_request){
            .method = "POST", .path = "/api/v1/session", .headers = json_headers, .body = body},
        &r);
    free(body);
    json_decref(creds);
    tc_test_expect(&r, 200);
    set = strcasestr(tc_strbuf_str(&r.headers), "Set-Cookie: ");
    assert_non_null(set);
    set += strlen("Set-Cookie: ");
    snprintf(cookie, cookie_size, "Cookie: %.*s", (int)strcspn(set, ";"), set);
    j = tc_test_json(&r);
    snprintf(csrf, csrf_size, "X-CSRF-Token: %s", json_string_value(json_object_get(j, "csrf")));
    json_decref(j);
    tc_test_reply_free(&r);
}

long
tc_test_session_login(unsigned int port, const char *login, const char *password,
                      struct tc_test_session *s)
{
    static const char *const json_headers[] = {"Content-Type: application/json", NULL};
    json_t *creds = json_pack("{s:s, s:s}", "login", login, "password", password);
    char *body = json_dumps(creds, 0);
    struct tc_test_reply r;
    const char *cookie;
    json_t *j;
    long status;

    tc_test_send(port, "POST", "/api/v1/session", json_headers, body, &r);
    free(body);
    json_decref(creds);
    if ((status = r.status) != 200) {
        tc_test_reply_free(&r);
        return status;
    }
    cookie = strstr(tc_strbuf_str(&r.headers), TC_AUTH_COOKIE "=");
    assert_non_null(cookie);
    cookie += strlen(TC_AUTH_COOKIE) + 1;
    snprintf(s->token, sizeof(s->token), "%.*s", (int)strcspn(cookie, ";\r\n"), cookie);
    j = tc_test_json(&r);
    snprintf(s->csrf, sizeof(s->csrf), "%s", json_string_value(json_object_get(j, "csrf")));
    json_decref(j);
    tc_test_reply_free(&r);
    return 0;
}

int
tc_test_server_open(struct tc_test_server *s, const char *name, struct tc_db_conn **conn_out)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (sodium_init() < 0) {
        fprintf(stderr, "sodium_init failed\n");
        return -1;
    }
    if (tc_test_db_open(name, 6, s->conninfo, sizeof(s->conninfo), &s->pool, conn_out) != 0)
        return -1;
    snprintf(s->key_dir, sizeof(s->key_dir), "/tmp/tc-%s-%ld", name, (long)getpid());
    snprintf(s->key_file, sizeof(s->key_file), "%s/server.key", s->key_dir);
    if (tc_keyring_open(s->key_file, true, &s->ring, &err) != TC_OK) {
        fprintf(stderr, "keyring: %s (%s)\n", err.msg, err.detail);
        return -1;
    }
    s->auth = tc_auth_create(
        &(struct tc_auth_options){.gate_slots = 2, .cost = TC_PASSWORD_MINIMUM}, &err);
    if (s->auth == NULL) {
        fprintf(stderr, "auth: %s (%s)\n", err.msg, err.detail);
        return -1;
    }
    return 0;
}

int
tc_test_server_start(struct tc_test_server *s)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_server_options opts = {
        .cfg = &s->cfg, .pool = s->pool, .auth = s->auth, .keyring = s->ring, .stop_wait_ms = 5000};

    snprintf(s->cfg.listen_host, sizeof(s->cfg.listen_host), "127.0.0.1");
    s->cfg.threads = 4;
    if (tc_server_start(&opts, &s->srv, &err) != TC_OK) {
        fprintf(stderr, "tc_server_start: %s (%s)\n", err.msg, err.detail);
        return -1;
    }
    s->port = tc_server_port(s->srv);
    return 0;
}

int
tc_test_server_demo(struct tc_test_server *s, const char *name, const char *password)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn;
    struct tc_password_gate *gate;
    struct tc_demo demo;
    char forms[1024];

    if (tc_test_server_open(s, name, &conn) != 0)
        return -1;
    gate = tc_password_gate_create(1, 60000, TC_PASSWORD_MINIMUM, &err);
    if (gate == NULL ||
        tc_demo_load(conn, gate, s->ring, tc_test_source_path("forms", forms, sizeof(forms)), 2026,
                     password, &demo, &err) != TC_OK) {
        fprintf(stderr, "demo: %s (%s)\n", err.msg, err.detail);
        return -1;
    }
    tc_password_gate_destroy(gate);
    tc_db_release(s->pool, conn);
    return tc_test_server_start(s);
}

void
tc_test_server_close(struct tc_test_server *s)
{
    if (s->srv != NULL)
        tc_server_stop(s->srv);
    tc_auth_destroy(s->auth);
    tc_keyring_close(s->ring);
    unlink(s->key_file);
    rmdir(s->key_dir);
    tc_db_pool_destroy(s->pool);
    tc_test_db_drop(s->conninfo);
    curl_global_cleanup();
}

long long
tc_test_audit_count(struct tc_db_pool *pool, const char *action, const char *login,
                    const char *outcome)
{
    static const char sql[] =
        "SELECT count(*) FROM audit_log WHERE action = $1 AND actor_login = $2 AND outcome = $3";
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire(pool, 5000, &err);
    struct tc_arena *arena = tc_arena_create(512);
    const char *params[] = {action, login, outcome};
    struct tc_db_result *res;
    long long n;

    assert_non_null(conn);
    assert_non_null(arena);
    assert_int_equal(tc_db_exec(conn, sql, 3, params, arena, &res, &err), TC_OK);
    n = tc_db_int(res, 0, 0, -1);
    tc_arena_destroy(arena);
    tc_db_release(pool, conn);
    return n;
}
