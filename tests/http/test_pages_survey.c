/*
 * The survey pages over real loopback HTTP against a real PostgreSQL: the app user's QR page
 * takes the server URL from TINCAY_PUBLIC_URL whatever Host says; form uploads are refused
 * with the form library's message, over 5 MB, and without the session's CSRF token; an
 * attachment is downloaded only by readers the policy lets in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <sodium.h>

#include "auth.h"
#include "http.h"
#include "testlib.h"
#include "tincay/arena.h"
#include "tincay/config.h"
#include "tincay/db.h"
#include "tincay/forms.h"
#include "tincay/jobs.h"
#include "tincay/migrate.h"
#include "tincay/rules.h"
#include "tincay/strbuf.h"
#include "tincay/submissions.h"
#include "tincay/units.h"
#include "tincay/users.h"

#define PASSWORD   "correct horse battery"
#define PUBLIC_URL "https://survey.hoilhpn.example"
#define BOUNDARY   "tincayTestBoundary7"

struct reply {
    long status;
    struct tc_strbuf body;
    struct tc_strbuf headers;
};

struct env {
    char conninfo[256];
    struct tc_config cfg;
    struct tc_db_pool *pool;
    struct tc_auth *auth;
    struct tc_server *srv;
    unsigned int port;
    long long near, far; /* submissions in the reviewer's commune, and in another */
    long long sealed;    /* a case: a submission of a confidential form, in that commune */
};

static size_t
collect(char *data, size_t size, size_t n, void *sb)
{
    tc_strbuf_append(sb, data, size * n);
    return size * n;
}

/* One request with extra headers (NULL-terminated list) and a body of `len` bytes. */
static void
http(unsigned int port, const char *method, const char *path, const char *const *headers,
     const char *body, size_t len, struct reply *r)
{
    CURL *c = curl_easy_init();
    struct curl_slist *hdrs = NULL;
    char url[512];

    assert_non_null(c);
    memset(r, 0, sizeof(*r));
    r->body = (struct tc_strbuf)TC_STRBUF_INIT(1u << 22);
    r->headers = (struct tc_strbuf)TC_STRBUF_INIT(1u << 16);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
        hdrs = curl_slist_append(hdrs, headers[i]);
    hdrs = curl_slist_append(hdrs, "Expect:");
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
}

static void
reply_free(struct reply *r)
{
    tc_strbuf_cleanup(&r->body);
    tc_strbuf_cleanup(&r->headers);
}

static bool
has_header(const struct reply *r, const char *line)
{
    const char *h = tc_strbuf_str(&r->headers);

    for (const char *p = h; (p = strchr(p, '\n')) != NULL; p++)
        if (strncasecmp(p + 1, line, strlen(line)) == 0)
            return true;
    return strncasecmp(h, line, strlen(line)) == 0;
}

/* "Authorization: Basic base64(login:password)" into `out`. */
static const char *
basic(const char *login, char *out, size_t size)
{
    char plain[256], b64[400];

    snprintf(plain, sizeof(plain), "%s:%s", login, PASSWORD);
    sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)plain, strlen(plain),
                      sodium_base64_VARIANT_ORIGINAL);
    snprintf(out, size, "Authorization: Basic %s", b64);
    return out;
}

/* A multipart/form-data body: a "csrf" field when not NULL, then `file` as part "file". */
static void
multipart(struct tc_strbuf *sb, const char *csrf, const char *filename, const char *file,
          size_t file_len)
{
    if (csrf != NULL)
        tc_strbuf_appendf(sb,
                          "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"csrf\""
                          "\r\n\r\n%s\r\n",
                          csrf);
    tc_strbuf_appendf(sb,
                      "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"file\"; "
                      "filename=\"%s\"\r\nContent-Type: text/xml\r\n\r\n",
                      filename);
    tc_strbuf_append(sb, file, file_len);
    tc_strbuf_appends(sb, "\r\n--" BOUNDARY "--\r\n");
    assert_false(tc_strbuf_failed(sb));
}

static void
add_user(struct tc_db_conn *conn, struct tc_password_gate *gate, const char *login,
         enum tc_role role, const char *commune)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    const struct tc_user_new u = {
        .login = login, .role = role, .commune_code = commune, .language = TC_LANG_EN};

    if (tc_user_create(conn, gate, &u, PASSWORD, strlen(PASSWORD), NULL, &err) != TC_OK)
        fail_msg("tc_user_create %s: %s (%s)", login, err.msg, err.detail);
}

static long long
add_submission(struct tc_db_conn *conn, long long form, const char *form_id, const char *instance,
               const char *commune)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    static const char *const expected[] = {"photo.jpg"};
    const struct tc_ingest_attachment file = {.name = "photo.jpg",
                                              .content_type = "text/html",
                                              .bytes = (const unsigned char *)"<b>JPG</b>",
                                              .size = 10};
    static const char xml[] = "<data id=\"sv\"><q>1</q></data>";
    unsigned char digest[32];
    char sha[65];
    bool sealed = strcmp(form_id, "case") == 0;
    struct tc_ingest in = {.form = form,
                           .form_id = form_id,
                           .form_version = "1",
                           .instance_id = instance,
                           .xml = (const unsigned char *)xml,
                           .xml_len = sizeof(xml) - 1,
                           .xml_sha256 = sha,
                           .expected = expected,
                           .n_expected = 1,
                           .attachments = &file,
                           .n_attachments = 1,
                           .commune_era = "post2025",
                           .commune_code = commune};
    struct tc_ingest_result r;

    crypto_hash_sha256(digest, (const unsigned char *)xml, sizeof(xml) - 1);
    sodium_bin2hex(sha, sizeof(sha), digest, sizeof(digest));
    if (sealed) { /* stored as a case is: the XML sealed, nothing plain */
        in.xml = NULL;
        in.xml_len = 0;
        in.xml_sealed = (const unsigned char *)"sealed";
        in.xml_sealed_len = 6;
        in.key_id = "unit";
    }
    if (tc_submission_store(conn, &in, &r, &err) != TC_OK)
        fail_msg("ingest %s: %s (%s)", instance, err.msg, err.detail);
    return r.id;
}

static int
seed(struct env *env, struct tc_db_conn *conn)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_password_gate *gate = tc_auth_gate(env->auth);
    const struct tc_form_new form = {.form_id = "sv",
                                     .version = "1",
                                     .title = "survey",
                                     .xml = (const unsigned char *)"<h:html/>",
                                     .xml_len = 9,
                                     .publish = true};
    const struct tc_form_new cases = {.form_id = "case",
                                      .version = "1",
                                      .title = "case intake",
                                      .xml = (const unsigned char *)"<h:html/>",
                                      .xml_len = 9,
                                      .is_confidential = true,
                                      .has_protected = true,
                                      .publish = true};
    long long id = 0;

    add_user(conn, gate, "adm", TC_ROLE_ADMIN, NULL);
    add_user(conn, gate, "rev", TC_ROLE_REVIEWER, "03388");
    add_user(conn, gate, "col", TC_ROLE_COLLECTOR, "03388");
    if (tc_forms_insert(conn, &form, &id, &err) != TC_OK) {
        fprintf(stderr, "seed: %s (%s)\n", err.msg, err.detail);
        return -1;
    }
    env->near = add_submission(conn, id, "sv", "uuid:near", "03388");
    env->far = add_submission(conn, id, "sv", "uuid:far", "03820");
    if (tc_forms_insert(conn, &cases, &id, &err) != TC_OK) {
        fprintf(stderr, "seed: %s (%s)\n", err.msg, err.detail);
        return -1;
    }
    env->sealed = add_submission(conn, id, "case", "uuid:case", "03388");
    return 0;
}

static int
group_setup(void **state)
{
    static struct env env;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_server_options opts = {.stop_wait_ms = 5000};
    struct tc_db_conn *conn;
    size_t applied;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    tc_test_db_create("pages_survey", env.conninfo, sizeof(env.conninfo));
    if ((env.pool = tc_db_pool_create(env.conninfo, 4, &err)) == NULL ||
        (conn = tc_db_acquire(env.pool, 5000, &err)) == NULL ||
        tc_migrate(conn, &applied, &err) != TC_OK) {
        fprintf(stderr, "database: %s (%s)\n", err.msg, err.detail);
        return -1;
    }
    env.auth = tc_auth_create(
        &(struct tc_auth_options){.gate_slots = 2, .cost = TC_PASSWORD_MINIMUM}, &err);
    if (env.auth == NULL || seed(&env, conn) != 0)
        return -1;
    tc_db_release(env.pool, conn);
    snprintf(env.cfg.listen_host, sizeof(env.cfg.listen_host), "127.0.0.1");
    snprintf(env.cfg.public_url, sizeof(env.cfg.public_url), PUBLIC_URL);
    env.cfg.threads = 2;
    opts.cfg = &env.cfg;
    opts.pool = env.pool;
    opts.auth = env.auth;
    if (tc_server_start(&opts, &env.srv, &err) != TC_OK) {
        fprintf(stderr, "tc_server_start: %s (%s)\n", err.msg, err.detail);
        return -1;
    }
    env.port = tc_server_port(env.srv);
    *state = &env;
    return 0;
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

static void
qr_url_comes_from_the_public_url_not_the_host(void **state)
{
    struct env *env = *state;
    char auth[512];
    const char *headers[] = {basic("adm", auth, sizeof(auth)), "Host: evil.example",
                             "Content-Type: application/x-www-form-urlencoded", NULL};
    static const char body[] = "name=Phone+of+Na+Sang&form=sv";
    const char *page, *url;
    struct reply r;

    http(env->port, "POST", "/admin/appusers", headers, body, sizeof(body) - 1, &r);
    page = tc_strbuf_str(&r.body);
    if (r.status != 200)
        fail_msg("%ld: %s", r.status, page);
    assert_non_null(strstr(page, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr\""));
    assert_non_null(url = strstr(page, "id=\"server-url\">"));
    url += strlen("id=\"server-url\">");
    assert_int_equal(strncmp(url, PUBLIC_URL "/key/", strlen(PUBLIC_URL "/key/")), 0);
    assert_int_equal(strcspn(url + strlen(PUBLIC_URL "/key/"), "<"), 43);
    assert_null(strstr(page, "evil.example"));
    reply_free(&r);

    /* Listed afterwards with its form, and never with its token. */
    http(env->port, "GET", "/admin/appusers", headers, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "Phone of Na Sang"));
    assert_null(strstr(tc_strbuf_str(&r.body), "/key/"));
    reply_free(&r);
}

static void
a_refused_form_shows_the_library_message(void **state)
{
    struct env *env = *state;
    char auth[512];
    const char *headers[] = {basic("adm", auth, sizeof(auth)),
                             "Content-Type: multipart/form-data; boundary=" BOUNDARY, NULL};
    static const char broken[] = "<?xml version=\"1.0\"?>\n<h:html "
                                 "xmlns:h=\"http://www.w3.org/1999/xhtml\">\n<h:head>\n</h:html>\n";
    struct tc_strbuf body = TC_STRBUF_INIT(1u << 20);
    struct reply r;

    multipart(&body, NULL, "broken.xml", broken, sizeof(broken) - 1);
    http(env->port, "POST", "/admin/forms", headers, tc_strbuf_str(&body), body.len, &r);
    assert_int_equal(r.status, 422);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "msg-error"));
    assert_non_null(strstr(tc_strbuf_str(&r.body), "line 4"));
    reply_free(&r);
    tc_strbuf_cleanup(&body);
}

static void
a_form_over_five_megabytes_is_refused(void **state)
{
    struct env *env = *state;
    char auth[512];
    const char *headers[] = {basic("adm", auth, sizeof(auth)),
                             "Content-Type: multipart/form-data; boundary=" BOUNDARY, NULL};
    size_t big_len = 5u * 1024u * 1024u + 1u;
    char *big = malloc(big_len);
    struct tc_strbuf body = TC_STRBUF_INIT(8u << 20);
    struct reply r;

    assert_non_null(big);
    memset(big, ' ', big_len);
    memcpy(big, "<h:html>", 8);
    multipart(&body, NULL, "big.xml", big, big_len);
    http(env->port, "POST", "/admin/forms", headers, tc_strbuf_str(&body), body.len, &r);
    assert_int_equal(r.status, 413);
    reply_free(&r);
    tc_strbuf_cleanup(&body);
    free(big);
}

/* A session of `login` by the JSON API: its cookie header into `cookie`. */
static void
session_cookie(const struct env *env, const char *login, char *cookie, size_t size)
{
    const char *headers[] = {"Content-Type: application/json", NULL};
    char body[128];
    const char *h, *v;
    struct reply r;

    snprintf(body, sizeof(body), "{\"login\": \"%s\", \"password\": \"%s\"}", login, PASSWORD);
    http(env->port, "POST", "/api/v1/session", headers, body, strlen(body), &r);
    assert_int_equal(r.status, 200);
    h = tc_strbuf_str(&r.headers);
    assert_non_null(v = strstr(h, TC_AUTH_COOKIE "="));
    snprintf(cookie, size, "Cookie: %.*s", (int)strcspn(v, ";\r\n"), v);
    reply_free(&r);
}

static void
an_upload_by_cookie_needs_the_csrf_token(void **state)
{
    struct env *env = *state;
    char cookie[256];
    const char *headers[3] = {NULL, "Content-Type: multipart/form-data; boundary=" BOUNDARY, NULL};
    struct tc_strbuf body = TC_STRBUF_INIT(1u << 20);
    struct reply r;

    session_cookie(env, "adm", cookie, sizeof(cookie));
    headers[0] = cookie;
    multipart(&body, "not-the-token", "f.xml", "<h:html/>", 9);
    http(env->port, "POST", "/admin/forms", headers, tc_strbuf_str(&body), body.len, &r);
    assert_int_equal(r.status, 403);
    reply_free(&r);
    tc_strbuf_reset(&body);
    multipart(&body, NULL, "f.xml", "<h:html/>", 9);
    http(env->port, "POST", "/admin/forms", headers, tc_strbuf_str(&body), body.len, &r);
    assert_int_equal(r.status, 403);
    reply_free(&r);
    tc_strbuf_cleanup(&body);
}

static void
attachments_follow_the_policy(void **state)
{
    struct env *env = *state;
    char auth[512], path[128];
    const char *rev[] = {basic("rev", auth, sizeof(auth)), NULL};
    struct reply r;

    snprintf(path, sizeof(path), "/submissions/%lld/files/photo.jpg", env->near);
    http(env->port, "GET", path, rev, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(tc_strbuf_str(&r.body), "<b>JPG</b>");
    /* Whatever the phone called it, it is a download, never a page of this site. */
    assert_true(has_header(&r, "Content-Type: application/octet-stream"));
    assert_true(has_header(&r, "Content-Disposition: attachment"));
    reply_free(&r);

    snprintf(path, sizeof(path), "/submissions/%lld/files/photo.jpg", env->far);
    http(env->port, "GET", path, rev, NULL, 0, &r);
    assert_int_equal(r.status, 403);
    reply_free(&r);

    const char *col[] = {basic("col", auth, sizeof(auth)), NULL};
    snprintf(path, sizeof(path), "/submissions/%lld/files/photo.jpg", env->near);
    http(env->port, "GET", path, col, NULL, 0, &r);
    assert_int_equal(r.status, 403);
    reply_free(&r);

    const char *adm[] = {basic("adm", auth, sizeof(auth)), NULL};
    http(env->port, "GET", path, adm, NULL, 0, &r);
    assert_int_equal(r.status, 403); /* an admin manages forms, not their data */
    reply_free(&r);
}

static void
cases_stay_out_of_the_submission_pages(void **state)
{
    struct env *env = *state;
    char auth[512], path[128];
    const char *rev[] = {basic("rev", auth, sizeof(auth)), NULL};
    struct reply r;

    /* The reviewer reads the commune's surveys, and no case even of her commune. */
    http(env->port, "GET", "/submissions", rev, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "/forms/sv/submissions"));
    assert_null(strstr(tc_strbuf_str(&r.body), "/forms/case/submissions"));
    reply_free(&r);
    http(env->port, "GET", "/forms/case/submissions", rev, NULL, 0, &r);
    assert_int_equal(r.status, 403); /* a case form: refused and audited */
    reply_free(&r);
    /* A case's own row does not exist on the survey side at all (the store leaves cases out). */
    snprintf(path, sizeof(path), "/submissions/%lld", env->sealed);
    http(env->port, "GET", path, rev, NULL, 0, &r);
    assert_int_equal(r.status, 404);
    reply_free(&r);
    snprintf(path, sizeof(path), "/submissions/%lld/files/photo.jpg", env->sealed);
    http(env->port, "GET", path, rev, NULL, 0, &r);
    assert_int_equal(r.status, 404);
    reply_free(&r);
}

/* Long work shows its progress to the admin and to reviewers; collectors see none of it. */
static void
background_work_shows_its_progress(void **state)
{
    struct env *env = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire(env->pool, 5000, &err);
    struct tc_arena *arena = tc_arena_create(1024);
    struct tc_job job;
    char auth[512];
    const char *adm[] = {basic("adm", auth, sizeof(auth)), NULL};
    struct reply r;
    long long id = 0;

    assert_non_null(conn);
    assert_int_equal(tc_job_enqueue(conn, "rescore", NULL, &id, &err), TC_OK);
    assert_int_equal(tc_job_take(conn, "rescore", "test", arena, &job, &err), TC_OK);
    assert_int_equal(tc_job_progress(conn, id, 250, 1000, &err), TC_OK);
    tc_db_release(env->pool, conn);
    tc_arena_destroy(arena);

    http(env->port, "GET", "/admin/jobs", adm, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "<progress max=\"1000\" value=\"250\">"));
    assert_non_null(strstr(tc_strbuf_str(&r.body), "250 / 1000"));
    reply_free(&r);
    const char *rev[] = {basic("rev", auth, sizeof(auth)), NULL};
    http(env->port, "GET", "/admin/jobs", rev, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    const char *col[] = {basic("col", auth, sizeof(auth)), NULL};
    http(env->port, "GET", "/admin/jobs", col, NULL, 0, &r);
    assert_int_equal(r.status, 403);
    reply_free(&r);
}

/* The CSRF token of the first form of a page (the hidden field "csrf"), into `out`. */
static void
page_csrf(const struct reply *r, char *out, size_t size)
{
    const char *v = strstr(tc_strbuf_str(&r->body), "name=\"csrf\" value=\"");

    assert_non_null(v);
    v += strlen("name=\"csrf\" value=\"");
    snprintf(out, size, "%.*s", (int)strcspn(v, "\""), v);
}

#define AREAS_CSV                                                                                  \
    "era,commune_code,village_name,kv,dbkk,source,verified\n"                                      \
    "pre2025,03388,Nà Khum,III,true,QĐ 861/QĐ-TTg,true\n"

/* The admin sees the norms and sets an amount with its legal basis; a collector is refused. */
static void
norms_are_set_from_their_page(void **state)
{
    struct env *env = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire(env->pool, 5000, &err);
    char auth[512], cookie[256], csrf[128], body[512];
    const char *headers[3] = {NULL, "Content-Type: application/x-www-form-urlencoded", NULL};
    char areas_path[] = "/tmp/tincay-areas-XXXXXX";
    int fd = mkstemp(areas_path);
    FILE *areas = fd >= 0 ? fdopen(fd, "w") : NULL;
    struct reply r;
    size_t added = 0;

    assert_non_null(conn);
    assert_non_null(areas);
    assert_int_equal(tc_norms_load_csv(conn, TC_SOURCE_DIR "/forms/rules/norms-tt55-2023.csv",
                                       "test", &added, &err),
                     TC_OK);
    assert_true(fwrite(AREAS_CSV, 1, sizeof(AREAS_CSV) - 1, areas) == sizeof(AREAS_CSV) - 1);
    assert_int_equal(fclose(areas), 0);
    assert_int_equal(tc_areas_load_csv(conn, areas_path, &added, &err), TC_OK);
    unlink(areas_path);
    tc_db_release(env->pool, conn);

    session_cookie(env, "adm", cookie, sizeof(cookie));
    headers[0] = cookie;
    http(env->port, "GET", "/admin/norms?lang=en", headers, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "P8-C2-LIVELIHOOD-GROUP"));
    assert_non_null(strstr(tc_strbuf_str(&r.body), "not set"));
    page_csrf(&r, csrf, sizeof(csrf));
    reply_free(&r);

    /* Without its legal basis the amount is refused, and the form comes back. */
    snprintf(body, sizeof(body),
             "csrf=%s&item=P8-C2-LIVELIHOOD-GROUP&amount=15000000&legal_basis=", csrf);
    http(env->port, "POST", "/admin/norms", headers, body, strlen(body), &r);
    assert_int_equal(r.status, 422);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "legal basis"));
    reply_free(&r);

    snprintf(body, sizeof(body),
             "csrf=%s&item=P8-C2-LIVELIHOOD-GROUP&amount=15000000&legal_basis=QD+99%%2F2024", csrf);
    http(env->port, "POST", "/admin/norms", headers, body, strlen(body), &r);
    assert_int_equal(r.status, 303);
    reply_free(&r);
    http(env->port, "GET", "/admin/norms?lang=en", headers, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "15.000.000"));
    assert_non_null(strstr(tc_strbuf_str(&r.body), "QD 99/2024"));
    reply_free(&r);

    const char *col[] = {basic("col", auth, sizeof(auth)), NULL};
    http(env->port, "GET", "/admin/norms", col, NULL, 0, &r);
    assert_int_equal(r.status, 403);
    reply_free(&r);
    http(env->port, "GET", "/admin/units", col, NULL, 0, &r);
    assert_int_equal(r.status, 403);
    reply_free(&r);
    http(env->port, "GET", "/admin/areas", col, NULL, 0, &r);
    assert_int_equal(r.status, 403);
    reply_free(&r);
    const char *adm[] = {basic("adm", auth, sizeof(auth)), NULL};
    http(env->port, "GET", "/admin/units", adm, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    http(env->port, "GET", "/admin/areas?lang=en", adm, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "Extremely difficult village"));
    assert_non_null(strstr(tc_strbuf_str(&r.body), "Nà Khum"));
    assert_non_null(strstr(tc_strbuf_str(&r.body), "QĐ 861/QĐ-TTg"));
    reply_free(&r);
}

/* The admin creates a unit from its page; a province without an escrow officer is refused. */
static void
units_are_created_from_their_page(void **state)
{
    struct env *env = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire(env->pool, 5000, &err);
    char cookie[256], csrf[128], body[512];
    const char *headers[3] = {NULL, "Content-Type: application/x-www-form-urlencoded", NULL};
    const struct tc_user_new officer = {
        .login = "esc", .role = TC_ROLE_ESCROW, .province_code = "12", .language = TC_LANG_EN};
    const struct tc_vault_kdf kdf = {.gate = tc_auth_gate(env->auth), .cost = TC_PASSWORD_MINIMUM};
    long long officer_id = 0;
    struct reply r;

    assert_non_null(conn);
    session_cookie(env, "adm", cookie, sizeof(cookie));
    headers[0] = cookie;
    http(env->port, "GET", "/admin/units?lang=en", headers, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "Create the unit"));
    page_csrf(&r, csrf, sizeof(csrf));
    reply_free(&r);

    /* Lai Châu (12) has no escrow officer yet: refused, the form comes back filled */
    snprintf(body, sizeof(body), "csrf=%s&code=dctc-banhon&name=%s&commune=03390", csrf,
             "%C4%90CTC+B%E1%BA%A3n+Hon");
    http(env->port, "POST", "/admin/units", headers, body, strlen(body), &r);
    assert_int_equal(r.status, 422);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "no escrow officer"));
    assert_non_null(strstr(tc_strbuf_str(&r.body), "value=\"dctc-banhon\""));
    reply_free(&r);

    assert_int_equal(tc_user_create(conn, tc_auth_gate(env->auth), &officer, PASSWORD,
                                    strlen(PASSWORD), &officer_id, &err),
                     TC_OK);
    assert_int_equal(
        tc_escrow_create(conn, &kdf, officer_id, "12", PASSWORD, strlen(PASSWORD), &err), TC_OK);
    tc_db_release(env->pool, conn);
    http(env->port, "POST", "/admin/units", headers, body, strlen(body), &r);
    assert_int_equal(r.status, 303);
    reply_free(&r);
    http(env->port, "GET", "/admin/units?lang=en", headers, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "ĐCTC Bản Hon"));
    assert_non_null(strstr(tc_strbuf_str(&r.body), "<td>1</td>")); /* one escrow seal */
    reply_free(&r);
    /* the same code again */
    http(env->port, "POST", "/admin/units", headers, body, strlen(body), &r);
    assert_int_equal(r.status, 409);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "is taken"));
    reply_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(qr_url_comes_from_the_public_url_not_the_host),
        cmocka_unit_test(a_refused_form_shows_the_library_message),
        cmocka_unit_test(a_form_over_five_megabytes_is_refused),
        cmocka_unit_test(an_upload_by_cookie_needs_the_csrf_token),
        cmocka_unit_test(attachments_follow_the_policy),
        cmocka_unit_test(cases_stay_out_of_the_submission_pages),
        cmocka_unit_test(background_work_shows_its_progress),
        cmocka_unit_test(norms_are_set_from_their_page),
        cmocka_unit_test(units_are_created_from_their_page),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests_name("pages_survey", tests, group_setup, group_teardown);
}
