/*
 * The JSON API over real HTTP against a real PostgreSQL: admins manage forms (upload,
 * refusal with the form library's reason, duplicate, media, publish, close); reviewers list
 * and read submissions in their commune only, download attachments and set review states
 * with comments; other roles and anonymous callers are refused.
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
#include <jansson.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "auth.h"
#include "http.h"
#include "testhttp.h"
#include "testlib.h"
#include "tincay/app_users.h"
#include "tincay/config.h"
#include "tincay/db.h"
#include "tincay/log.h"
#include "tincay/migrate.h"
#include "tincay/password.h"
#include "tincay/strbuf.h"
#include "tincay/users.h"

#define PASSWORD "mật khẩu đủ dài 2026"

struct env {
    char conninfo[256];
    char data_dir[64];
    struct tc_config cfg;
    struct tc_db_pool *pool;
    struct tc_server *srv;
    struct tc_auth *auth;
    unsigned int port;
    PGconn *pg;
    char commune[8], other_commune[8];
    char token[TC_APP_TOKEN_LEN + 1];
    long long app_user;
};

static struct env env;

/* One request; `user` NULL for anonymous, else Basic with PASSWORD. */
static void
request(const char *method, const char *path, const char *user, const char *body, size_t len,
        const char *type, struct tc_test_reply *r)
{
    char h[256];
    const char *headers[] = {h, "Expect:", NULL};

    snprintf(h, sizeof(h), "Content-Type: %s", type != NULL ? type : "");
    tc_test_http(env.port,
                 &(struct tc_test_request){.method = method,
                                           .path = path,
                                           .login = user,
                                           .password = PASSWORD,
                                           .headers = body != NULL ? headers : headers + 1,
                                           .body = body,
                                           .body_len = len},
                 r);
}

static json_t *
expect_json(struct tc_test_reply *r, long status)
{
    json_t *j = json_loads(tc_strbuf_str(&r->body), 0, NULL);

    if (r->status != status || j == NULL)
        fail_msg("expected %ld, got %ld: %s", status, r->status, tc_strbuf_str(&r->body));
    tc_test_reply_free(r);
    return j;
}

static void
expect_error(struct tc_test_reply *r, long status, const char *code)
{
    json_t *j = expect_json(r, status);

    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "code")),
                        code);
    json_decref(j);
}

static char *
query1(const char *sql)
{
    PGresult *res = PQexec(env.pg, sql);
    char *v;

    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) < 1)
        fail_msg("%s: %s", sql, PQerrorMessage(env.pg));
    v = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return v;
}

static void
add_user(struct tc_db_conn *conn, struct tc_password_gate *gate, const char *login,
         enum tc_role role, const char *commune)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_user_new u = {
        .login = login, .role = role, .commune_code = commune, .language = TC_LANG_EN};

    if (tc_user_create(conn, gate, &u, PASSWORD, strlen(PASSWORD), NULL, &err) != TC_OK)
        fail_msg("user %s: %s (%s)", login, err.msg, err.detail);
}

static int
setup(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_server_options opts = {0};
    struct tc_password_gate *gate;
    struct tc_db_conn *conn;
    char *v;

    (void)state;
    tc_test_db_create("api", env.conninfo, sizeof(env.conninfo));
    if (sodium_init() < 0 || (env.pool = tc_db_pool_create(env.conninfo, 6, &err)) == NULL ||
        (conn = tc_db_acquire(env.pool, 5000, &err)) == NULL ||
        tc_migrate(conn, NULL, &err) != TC_OK)
        return -1;
    env.pg = PQconnectdb(env.conninfo);
    v = query1("SELECT code FROM communes WHERE era = 'post2025' ORDER BY code LIMIT 1");
    snprintf(env.commune, sizeof(env.commune), "%s", v);
    free(v);
    v = query1("SELECT code FROM communes WHERE era = 'post2025' ORDER BY code DESC LIMIT 1");
    snprintf(env.other_commune, sizeof(env.other_commune), "%s", v);
    free(v);
    gate = tc_password_gate_create(1, 60000, TC_PASSWORD_INTERACTIVE, &err);
    add_user(conn, gate, "admin1", TC_ROLE_ADMIN, NULL);
    add_user(conn, gate, "reviewer1", TC_ROLE_REVIEWER, env.commune);
    add_user(conn, gate, "collector1", TC_ROLE_COLLECTOR, env.commune);
    v = query1("SELECT province_code FROM communes WHERE era = 'post2025' AND code = "
               "(SELECT min(code) FROM communes WHERE era = 'post2025')");
    {
        /* A reviewer of the whole province of env.commune, attached to no commune. */
        struct tc_user_new u = {.login = "province1",
                                .role = TC_ROLE_REVIEWER,
                                .province_code = v,
                                .language = TC_LANG_EN};

        if (tc_user_create(conn, gate, &u, PASSWORD, strlen(PASSWORD), NULL, &err) != TC_OK)
            fail_msg("user province1: %s (%s)", err.msg, err.detail);
    }
    free(v);
    tc_password_gate_destroy(gate);
    if (tc_app_user_create(conn, "phone", 0, 0, env.token, &env.app_user, &err) != TC_OK ||
        tc_app_user_assign(conn, env.app_user, "scoped", &err) != TC_OK)
        return -1;
    tc_db_release(env.pool, conn);
    snprintf(env.data_dir, sizeof(env.data_dir), "/tmp/tincay-api-XXXXXX");
    if (mkdtemp(env.data_dir) == NULL)
        return -1;
    snprintf(env.cfg.listen_host, sizeof(env.cfg.listen_host), "127.0.0.1");
    snprintf(env.cfg.public_url, sizeof(env.cfg.public_url), "https://tincay.example.vn");
    snprintf(env.cfg.data_dir, sizeof(env.cfg.data_dir), "%s", env.data_dir);
    env.cfg.threads = 4;
    tc_log_set_level(TC_LOG_WARNING);
    if ((env.auth = tc_auth_create(&(struct tc_auth_options){.gate_wait_ms = 60000}, &err)) == NULL)
        return -1;
    opts.cfg = &env.cfg;
    opts.pool = env.pool;
    opts.auth = env.auth;
    if (tc_server_start(&opts, &env.srv, &err) != TC_OK)
        return -1;
    env.port = tc_server_port(env.srv);
    return 0;
}

static int
teardown(void **state)
{
    char cmd[128];

    (void)state;
    tc_server_stop(env.srv);
    tc_auth_destroy(env.auth);
    PQfinish(env.pg);
    tc_db_pool_destroy(env.pool);
    tc_test_db_drop(env.conninfo);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", env.data_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char scoped_form[] =
    "<h:html xmlns=\"http://www.w3.org/2002/xforms\" xmlns:h=\"http://www.w3.org/1999/xhtml\" "
    "xmlns:tc=\"urn:tincay:xforms\"><h:head><h:title>Scoped</h:title><model>"
    "<instance><data id=\"scoped\" version=\"1\"><commune/><members/><photo/>"
    "<meta><instanceID/></meta></data></instance>"
    "<bind nodeset=\"/data/commune\" type=\"string\" tc:role=\"commune\"/>"
    "<bind nodeset=\"/data/members\" type=\"int\" constraint=\". &gt; 0\"/>"
    "<bind nodeset=\"/data/photo\" type=\"binary\"/>"
    "</model></h:head><h:body><input ref=\"/data/commune\"/><input ref=\"/data/members\"/>"
    "<upload ref=\"/data/photo\" mediatype=\"image/*\"/></h:body></h:html>";

/* Admins upload, refuse, publish, add media to and close forms. */
static void
admin_manages_forms(void **state)
{
    struct tc_test_reply r;
    json_t *j;

    (void)state;
    request("POST", "/api/v1/forms?draft=true", "admin1", scoped_form, strlen(scoped_form),
            "text/xml", &r);
    j = expect_json(&r, 201);
    assert_string_equal(json_string_value(json_object_get(j, "formId")), "scoped");
    assert_string_equal(json_string_value(json_object_get(j, "state")), "draft");
    json_decref(j);

    request("POST", "/api/v1/forms", "admin1", scoped_form, strlen(scoped_form), "text/xml", &r);
    expect_error(&r, 409, "conflict");
    request("POST", "/api/v1/forms", "admin1", "<h:html><!DOCTYPE x>", 20, "text/xml", &r);
    j = expect_json(&r, 422);
    assert_non_null(
        strstr(json_string_value(json_object_get(json_object_get(j, "error"), "message")), "line"));
    json_decref(j);

    request("PUT", "/api/v1/forms/scoped/v1/media/villages.csv", "admin1", "name,label\n", 11,
            "text/csv", &r);
    json_decref(expect_json(&r, 201));
    request("POST", "/api/v1/forms/scoped/v1/publish", "admin1", "", 0, "application/json", &r);
    j = expect_json(&r, 200);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "published");
    assert_int_equal(json_integer_value(json_object_get(j, "mediaCount")), 1);
    json_decref(j);

    request("GET", "/api/v1/forms", "admin1", NULL, 0, NULL, &r);
    j = expect_json(&r, 200);
    assert_int_equal(json_array_size(json_object_get(j, "forms")), 1);
    json_decref(j);

    /* Not for reviewers, not for anonymous callers. */
    request("POST", "/api/v1/forms/scoped/close", "reviewer1", "", 0, "application/json", &r);
    expect_error(&r, 403, "forbidden");
    request("GET", "/api/v1/forms", NULL, NULL, 0, NULL, &r);
    expect_error(&r, 401, "unauthorized");
}

/* A submission through OpenRosa (the phone's token), with a photo. */
static void
submit(const char *instance, const char *commune, const char *members)
{
    char xml[512], url[256];
    CURL *c = curl_easy_init();
    curl_mime *mime = curl_mime_init(c);
    curl_mimepart *p = curl_mime_addpart(mime);
    struct tc_strbuf sink = TC_STRBUF_INIT(1u << 16);
    long status = 0;

    snprintf(xml, sizeof(xml),
             "<data id=\"scoped\" version=\"1\"><commune>post2025:%s</commune><members>%s"
             "</members><photo>p.jpg</photo><meta><instanceID>%s</instanceID></meta></data>",
             commune, members, instance);
    curl_mime_name(p, "xml_submission_file");
    curl_mime_filename(p, "submission.xml");
    curl_mime_data(p, xml, CURL_ZERO_TERMINATED);
    p = curl_mime_addpart(mime);
    curl_mime_name(p, "p.jpg");
    curl_mime_filename(p, "p.jpg");
    curl_mime_type(p, "image/jpeg");
    curl_mime_data(p, "JPEGDATA", 8);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/key/%s/submission", env.port, env.token);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tc_test_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status != 201)
        fail_msg("submission %s: %ld %s", instance, status, tc_strbuf_str(&sink));
    tc_strbuf_cleanup(&sink);
    curl_mime_free(mime);
    curl_easy_cleanup(c);
}

/* Reviewers read their commune's submissions, findings and files, and review them. */
static void
reviewer_reads_and_reviews_in_scope(void **state)
{
    struct tc_test_reply r;
    json_t *j, *s;
    char path[256], *v;

    (void)state;
    submit("uuid:mine", env.commune, "0");
    submit("uuid:theirs", env.other_commune, "5");

    request("GET", "/api/v1/submissions?form=scoped", "reviewer1", NULL, 0, NULL, &r);
    j = expect_json(&r, 200);
    s = json_array_get(json_object_get(j, "submissions"), 0);
    assert_string_equal(json_string_value(json_object_get(s, "instanceId")), "uuid:mine");
    assert_string_equal(json_string_value(json_object_get(s, "reviewState")), "hasIssues");
    assert_int_equal(json_array_size(json_object_get(j, "submissions")), 1);
    json_decref(j);

    /* A reviewer of the province reads every commune of it, and no other province. */
    request("GET", "/api/v1/submissions?form=scoped", "province1", NULL, 0, NULL, &r);
    j = expect_json(&r, 200);
    s = json_array_get(json_object_get(j, "submissions"), 0);
    assert_int_equal(json_array_size(json_object_get(j, "submissions")), 1);
    assert_string_equal(json_string_value(json_object_get(s, "instanceId")), "uuid:mine");
    json_decref(j);

    request("GET", "/api/v1/submissions?state=approved", "reviewer1", NULL, 0, NULL, &r);
    j = expect_json(&r, 200);
    assert_int_equal(json_array_size(json_object_get(j, "submissions")), 0);
    json_decref(j);

    snprintf(path, sizeof(path), "/api/v1/submissions/scoped/uuid:mine");
    request("GET", path, "reviewer1", NULL, 0, NULL, &r);
    j = expect_json(&r, 200);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "values"), "members")),
                        "0");
    s = json_array_get(json_object_get(j, "findings"), 0);
    assert_string_equal(json_string_value(json_object_get(s, "rule")), "constraint");
    s = json_array_get(json_object_get(j, "attachments"), 0);
    assert_string_equal(json_string_value(json_object_get(s, "name")), "p.jpg");
    assert_true(json_is_true(json_object_get(s, "received")));
    json_decref(j);

    snprintf(path, sizeof(path), "/api/v1/submissions/scoped/uuid:mine/attachments/p.jpg");
    request("GET", path, "reviewer1", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(tc_strbuf_str(&r.body), "JPEGDATA");
    tc_test_reply_free(&r);

    snprintf(path, sizeof(path), "/api/v1/submissions/scoped/uuid:mine/review");
    request("PATCH", path, "reviewer1",
            "{\"reviewState\": \"approved\", \"comment\": \"đã xác minh\"}",
            strlen("{\"reviewState\": \"approved\", \"comment\": \"đã xác minh\"}"),
            "application/json", &r);
    j = expect_json(&r, 200);
    assert_string_equal(json_string_value(json_object_get(j, "reviewState")), "approved");
    json_decref(j);
    v = query1("SELECT from_state || '>' || to_state || ':' || comment FROM review_comments");
    assert_string_equal(v, "hasIssues>approved:đã xác minh");
    free(v);
    request("PATCH", path, "reviewer1", "{\"reviewState\": \"done\"}", 23, "application/json", &r);
    expect_error(&r, 422, "invalid");

    /* Outside the reviewer's commune; a collector reviewing; an admin reading: refused. */
    snprintf(path, sizeof(path), "/api/v1/submissions/scoped/uuid:theirs");
    request("GET", path, "reviewer1", NULL, 0, NULL, &r);
    expect_error(&r, 403, "forbidden");
    snprintf(path, sizeof(path), "/api/v1/submissions/scoped/uuid:mine/review");
    request("PATCH", path, "collector1", "{\"reviewState\": \"rejected\"}", 27, "application/json",
            &r);
    expect_error(&r, 403, "forbidden");
    request("GET", "/api/v1/submissions", "admin1", NULL, 0, NULL, &r);
    expect_error(&r, 403, "forbidden");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(admin_manages_forms),
        cmocka_unit_test(reviewer_reads_and_reviews_in_scope),
    };

    curl_global_init(CURL_GLOBAL_DEFAULT);
    return cmocka_run_group_tests_name("api", tests, setup, teardown);
}
