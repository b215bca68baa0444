/*
 * The review API over real loopback HTTP against a real PostgreSQL holding the demo data:
 * the queue and a group's breakdown, decisions by reviewer and approver (CSRF for cookie
 * sessions), refusals audited (viewer, host), allocations, the public list in every format,
 * submission exports without personal data, and the indicators.
 */
#define _GNU_SOURCE /* strcasestr */
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
#include <jansson.h>
#include <sodium.h>

#include "auth.h"
#include "http.h"
#include "testlib.h"
#include "tincay/arena.h"
#include "tincay/config.h"
#include "tincay/db.h"
#include "tincay/demo.h"
#include "tincay/keyfile.h"
#include "tincay/password.h"
#include "tincay/strbuf.h"

#define PASSWORD "demo password for http"
#define QUEUE    "/api/v1/review/queue?commune=post2025:03390&year=2026"

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
    struct tc_keyring *ring;
    char key_dir[64], key_file[96];
    unsigned int port;
};

static size_t
collect(char *data, size_t size, size_t n, void *sb)
{
    tc_strbuf_append(sb, data, size * n);
    return size * n;
}

/* One request as `login` (Basic; NULL: anonymous) with extra headers and a body. */
static void
http(const struct env *env, const char *login, const char *method, const char *path,
     const char *const *headers, const char *body, struct reply *r)
{
    CURL *c = curl_easy_init();
    struct curl_slist *hdrs = NULL;
    char url[512], userpwd[128];

    assert_non_null(c);
    memset(r, 0, sizeof(*r));
    r->body = (struct tc_strbuf)TC_STRBUF_INIT(8u << 20);
    r->headers = (struct tc_strbuf)TC_STRBUF_INIT(1u << 16);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", env->port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (login != NULL) {
        snprintf(userpwd, sizeof(userpwd), "%s:%s", login, PASSWORD);
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, userpwd);
    }
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
        hdrs = curl_slist_append(hdrs, headers[i]);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
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

static void
expect(const struct reply *r, long status)
{
    if (r->status != status)
        fail_msg("expected %ld, got %ld: %.400s", status, r->status, tc_strbuf_str(&r->body));
}

static json_t *
parse_json(const struct reply *r)
{
    json_error_t jerr;
    json_t *j = json_loads(tc_strbuf_str(&r->body), 0, &jerr);

    if (j == NULL)
        fail_msg("not JSON (%s): %.400s", jerr.text, tc_strbuf_str(&r->body));
    return j;
}

static bool
header_has(const struct reply *r, const char *text)
{
    return strcasestr(tc_strbuf_str(&r->headers), text) != NULL;
}

static const char *const json_headers[] = {"Content-Type: application/json", NULL};

static long long
audit_rows(const struct env *env, const char *action, const char *login, const char *outcome)
{
    static const char sql[] =
        "SELECT count(*) FROM audit_log WHERE action = $1 AND actor_login = $2 AND outcome = $3";
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire(env->pool, 5000, &err);
    struct tc_arena *arena = tc_arena_create(512);
    const char *params[] = {action, login, outcome};
    struct tc_db_result *res;
    long long n;

    assert_non_null(conn);
    assert_int_equal(tc_db_exec(conn, sql, 3, params, arena, &res, &err), TC_OK);
    n = tc_db_int(res, 0, 0, -1);
    tc_arena_destroy(arena);
    tc_db_release(env->pool, conn);
    return n;
}

/* Export rows of `login` whose audit detail says personal values were opened. */
static long long
audit_personal(const struct env *env, const char *login)
{
    static const char sql[] = "SELECT count(*) FROM audit_log WHERE action = 'submission.export'"
                              " AND actor_login = $1 AND (detail->>'personal')::boolean";
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire(env->pool, 5000, &err);
    struct tc_arena *arena = tc_arena_create(512);
    struct tc_db_result *res;
    long long n;

    assert_non_null(conn);
    assert_int_equal(tc_db_exec(conn, sql, 1, &login, arena, &res, &err), TC_OK);
    n = tc_db_int(res, 0, 0, -1);
    tc_arena_destroy(arena);
    tc_db_release(env->pool, conn);
    return n;
}

/* The id of the queue's group at `rank` (1-based), as the reviewer sees it. */
static long long
group_at(const struct env *env, int rank)
{
    struct reply r;
    json_t *j, *g;
    long long id;

    http(env, "demo.reviewer", "GET", QUEUE, NULL, NULL, &r);
    expect(&r, 200);
    j = parse_json(&r);
    g = json_array_get(json_object_get(j, "groups"), (size_t)rank - 1);
    assert_non_null(g);
    assert_int_equal(json_integer_value(json_object_get(g, "rank")), rank);
    id = json_integer_value(json_object_get(g, "id"));
    json_decref(j);
    reply_free(&r);
    return id;
}

static void
post_decision(const struct env *env, const char *login, long long id, const char *body,
              const char *const *headers, struct reply *r)
{
    char path[128];

    snprintf(path, sizeof(path), "/api/v1/review/groups/%lld/decisions", id);
    http(env, login, "POST", path, headers ? headers : json_headers, body, r);
}

/* ---- fixtures ---- */

static int
group_setup(void **state)
{
    static struct env env;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn;
    struct tc_password_gate *gate;
    struct tc_demo demo;
    char forms[1024];

    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (tc_test_db_open("review_api", 6, env.conninfo, sizeof(env.conninfo), &env.pool, &conn) != 0)
        return -1;
    snprintf(env.key_dir, sizeof(env.key_dir), "/tmp/tc-review-api-%ld", (long)getpid());
    snprintf(env.key_file, sizeof(env.key_file), "%s/server.key", env.key_dir);
    gate = tc_password_gate_create(1, 60000, TC_PASSWORD_MINIMUM, &err);
    if (gate == NULL || tc_keyring_open(env.key_file, true, &env.ring, &err) != TC_OK ||
        tc_demo_load(conn, gate, env.ring, tc_test_source_path("forms", forms, sizeof(forms)), 2026,
                     PASSWORD, &demo, &err) != TC_OK) {
        fprintf(stderr, "demo: %s (%s)\n", err.msg, err.detail);
        return -1;
    }
    tc_password_gate_destroy(gate);
    tc_db_release(env.pool, conn);
    env.auth = tc_auth_create(
        &(struct tc_auth_options){.gate_slots = 2, .cost = TC_PASSWORD_MINIMUM}, &err);
    if (env.auth == NULL)
        return -1;
    snprintf(env.cfg.listen_host, sizeof(env.cfg.listen_host), "127.0.0.1");
    env.cfg.threads = 4;
    struct tc_server_options opts = {.cfg = &env.cfg,
                                     .pool = env.pool,
                                     .auth = env.auth,
                                     .keyring = env.ring,
                                     .stop_wait_ms = 5000};
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
    tc_keyring_close(env->ring);
    unlink(env->key_file);
    rmdir(env->key_dir);
    tc_db_pool_destroy(env->pool);
    tc_test_db_drop(env->conninfo);
    curl_global_cleanup();
    return 0;
}

/* ---- tests ---- */

static void
queue_lists_ranked_groups_with_the_allocation(void **state)
{
    struct env *env = *state;
    struct reply r;
    json_t *j, *groups, *first;

    http(env, "demo.reviewer", "GET", QUEUE, NULL, NULL, &r);
    expect(&r, 200);
    j = parse_json(&r);
    groups = json_object_get(j, "groups");
    assert_int_equal(json_array_size(groups), 6);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "allocation"), "remaining")),
        TC_DEMO_ALLOCATION);
    assert_int_equal(json_array_size(json_object_get(j, "levels")), 2);
    first = json_array_get(groups, 0);
    assert_true(json_is_true(json_object_get(first, "eligible")));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(first, "decision"), "state")), "pending");
    assert_true(json_array_size(json_object_get(first, "points")) > 0);
    assert_null(strstr(tc_strbuf_str(&r.body), "Người trả lời mẫu"));
    json_decref(j);
    reply_free(&r);
    http(env, "demo.reviewer", "GET", "/api/v1/review/queue?commune=03390&year=2026", NULL, NULL,
         &r);
    expect(&r, 422);
    reply_free(&r);
    http(env, NULL, "GET", QUEUE, NULL, NULL, &r);
    expect(&r, 401);
    reply_free(&r);
}

static void
host_is_refused_and_the_refusal_audited(void **state)
{
    struct env *env = *state;
    struct reply r;
    long long before = audit_rows(env, "score.read", "demo.host", "denied");

    http(env, "demo.host", "GET", QUEUE, NULL, NULL, &r);
    expect(&r, 403);
    reply_free(&r);
    assert_int_equal(audit_rows(env, "score.read", "demo.host", "denied"), before + 1);
}

static void
group_shows_its_breakdown_and_history(void **state)
{
    struct env *env = *state;
    char path[64];
    struct reply r;
    json_t *j, *point;

    snprintf(path, sizeof(path), "/api/v1/review/groups/%lld", group_at(env, 1));
    http(env, "demo.viewer", "GET", path, NULL, NULL, &r);
    expect(&r, 200);
    j = parse_json(&r);
    point = json_array_get(json_object_get(json_object_get(j, "group"), "points"), 0);
    assert_non_null(json_object_get(json_object_get(point, "label"), "vi"));
    assert_int_equal(json_array_size(json_object_get(j, "decisions")), 0);
    json_decref(j);
    reply_free(&r);
    http(env, "demo.viewer", "GET", "/api/v1/review/groups/999999", NULL, NULL, &r);
    expect(&r, 404);
    reply_free(&r);
}

static void
reviewer_proposes_and_approver_approves(void **state)
{
    struct env *env = *state;
    long long id = group_at(env, 1);
    struct reply r;
    json_t *j;

    post_decision(env, "demo.reviewer", id, "{\"kind\": \"propose\", \"amount\": 40000000}", NULL,
                  &r);
    expect(&r, 201);
    reply_free(&r);
    post_decision(env, "demo.reviewer", id, "{\"kind\": \"approve\", \"amount\": 40000000}", NULL,
                  &r);
    expect(&r, 403); /* one person cannot decide two levels */
    reply_free(&r);
    post_decision(env, "demo.approver", id, "{\"kind\": \"approve\", \"amount\": 90000000}", NULL,
                  &r);
    expect(&r, 422); /* over the demo ceiling */
    reply_free(&r);
    post_decision(env, "demo.approver", id, "{\"kind\": \"approve\", \"amount\": 40000000}", NULL,
                  &r);
    expect(&r, 201);
    j = parse_json(&r);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(j, "group"), "decision"), "state")),
                        "approved");
    assert_int_equal(json_array_size(json_object_get(j, "decisions")), 2);
    json_decref(j);
    reply_free(&r);
    assert_int_equal(audit_rows(env, "decision.approve", "demo.approver", "ok"), 1);
}

static void
viewer_cannot_decide_and_the_refusal_is_audited(void **state)
{
    struct env *env = *state;
    struct reply r;

    post_decision(env, "demo.viewer", group_at(env, 2), "{\"kind\": \"propose\", \"amount\": 1}",
                  NULL, &r);
    expect(&r, 403);
    reply_free(&r);
    assert_int_equal(audit_rows(env, "decision.propose", "demo.viewer", "denied"), 1);
    post_decision(env, "demo.host", group_at(env, 2), "{\"kind\": \"reject\", \"reason\": \"x\"}",
                  NULL, &r);
    expect(&r, 403);
    reply_free(&r);
    assert_int_equal(audit_rows(env, "decision.propose", "demo.host", "denied"), 1);
}

static void
bad_decision_bodies_are_refused_clearly(void **state)
{
    struct env *env = *state;
    long long id = group_at(env, 2);
    static const char *const text_headers[] = {"Content-Type: text/plain", NULL};
    struct reply r;

    post_decision(env, "demo.reviewer", id, "{\"kind\": \"bless\"}", NULL, &r);
    expect(&r, 422);
    reply_free(&r);
    post_decision(env, "demo.reviewer", id, "{\"kind\": \"propose\", \"amount\": \"1000\"}", NULL,
                  &r);
    expect(&r, 422);
    reply_free(&r);
    post_decision(env, "demo.reviewer", id, "{\"kind\": \"reject\"}", NULL, &r);
    expect(&r, 422);
    reply_free(&r);
    post_decision(env, "demo.reviewer", id, "{\"kind\": ", NULL, &r);
    expect(&r, 400);
    reply_free(&r);
    post_decision(env, "demo.reviewer", id, "{\"kind\": \"reject\", \"reason\": \"x\"}",
                  text_headers, &r);
    expect(&r, 415);
    reply_free(&r);
}

static void
cookie_sessions_need_the_csrf_token(void **state)
{
    struct env *env = *state;
    long long id = group_at(env, 2);
    char cookie[128], csrf[160];
    const char *set;
    struct reply r;
    json_t *j;

    http(env, NULL, "POST", "/api/v1/session", json_headers,
         "{\"login\": \"demo.reviewer\", \"password\": \"" PASSWORD "\"}", &r);
    expect(&r, 200);
    set = strcasestr(tc_strbuf_str(&r.headers), "Set-Cookie: ");
    assert_non_null(set);
    set += strlen("Set-Cookie: ");
    snprintf(cookie, sizeof(cookie), "Cookie: %.*s", (int)strcspn(set, ";"), set);
    j = parse_json(&r);
    snprintf(csrf, sizeof(csrf), "X-CSRF-Token: %s", json_string_value(json_object_get(j, "csrf")));
    json_decref(j);
    reply_free(&r);
    {
        const char *without[] = {"Content-Type: application/json", cookie, NULL};
        const char *with[] = {"Content-Type: application/json", cookie, csrf, NULL};

        post_decision(env, NULL, id, "{\"kind\": \"return\", \"reason\": \"ảnh mờ\"}", without, &r);
        expect(&r, 403);
        reply_free(&r);
        post_decision(env, NULL, id, "{\"kind\": \"return\", \"reason\": \"ảnh mờ\"}", with, &r);
        expect(&r, 201);
        j = parse_json(&r);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(j, "group"), "review_state")),
            "hasIssues");
        json_decref(j);
        reply_free(&r);
    }
}

static void
allocations_are_read_by_area_and_set_by_the_admin(void **state)
{
    struct env *env = *state;
    const char *put = "{\"commune\": \"post2025:03424\", \"year\": 2026, \"amount\": 123000000}";
    struct reply r;
    json_t *j;

    http(env, "demo.viewer", "GET", "/api/v1/allocations?year=2026", NULL, NULL, &r);
    expect(&r, 200);
    j = parse_json(&r);
    assert_int_equal(json_array_size(json_object_get(j, "allocations")), TC_DEMO_COMMUNES);
    json_decref(j);
    reply_free(&r);
    http(env, "demo.reviewer", "GET", "/api/v1/allocations?year=2026", NULL, NULL, &r);
    expect(&r, 200);
    j = parse_json(&r); /* a commune reviewer sees their commune only */
    assert_int_equal(json_array_size(json_object_get(j, "allocations")), 1);
    json_decref(j);
    reply_free(&r);
    http(env, "demo.reviewer", "PUT", "/api/v1/allocations", json_headers, put, &r);
    expect(&r, 403);
    reply_free(&r);
    http(env, "demo.admin", "PUT", "/api/v1/allocations", json_headers, put, &r);
    expect(&r, 200);
    j = parse_json(&r);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "allocation"), "amount")), 123000000);
    json_decref(j);
    reply_free(&r);
    assert_int_equal(audit_rows(env, "allocation.set", "demo.admin", "ok"), 1);
    http(env, "demo.collector", "GET", "/api/v1/allocations", NULL, NULL, &r);
    expect(&r, 403);
    reply_free(&r);
}

static void
public_list_comes_in_every_format_without_personal_data(void **state)
{
    struct env *env = *state;
    const char *base = "/api/v1/public-list?commune=post2025:03390&year=2026&format=";
    char path[160];
    struct reply r;

    snprintf(path, sizeof(path), "%scsv", base);
    http(env, "demo.viewer", "GET", path, NULL, NULL, &r);
    expect(&r, 200);
    assert_true(header_has(&r, "text/csv"));
    assert_true(header_has(&r, "attachment"));
    assert_memory_equal(tc_strbuf_str(&r.body), "\xEF\xBB\xBF", 3);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "(DEMO)"));
    assert_non_null(strstr(tc_strbuf_str(&r.body), "40000000"));
    assert_null(strstr(tc_strbuf_str(&r.body), "Thành viên mẫu"));
    assert_null(strstr(tc_strbuf_str(&r.body), "Người trả lời mẫu"));
    reply_free(&r);
    snprintf(path, sizeof(path), "%shtml", base);
    http(env, "demo.viewer", "GET", path, NULL, NULL, &r);
    expect(&r, 200);
    assert_true(header_has(&r, "text/html"));
    assert_non_null(strstr(tc_strbuf_str(&r.body), "<table>"));
    reply_free(&r);
    snprintf(path, sizeof(path), "%sxlsx", base);
    http(env, "demo.viewer", "GET", path, NULL, NULL, &r);
    expect(&r, 200);
    assert_true(r.body.len > 1000);
    assert_memory_equal(tc_strbuf_str(&r.body), "PK\x03\x04", 4);
    reply_free(&r);
    snprintf(path, sizeof(path), "%spdf", base);
    http(env, "demo.viewer", "GET", path, NULL, NULL, &r);
    expect(&r, 422);
    reply_free(&r);
    assert_int_equal(audit_rows(env, "export.public_list", "demo.viewer", "ok"), 3);
    http(env, "demo.host", "GET", "/api/v1/public-list?commune=post2025:03390&year=2026", NULL,
         NULL, &r);
    expect(&r, 403);
    reply_free(&r);
}

static void
submission_exports_protect_personal_fields_and_refuse_viewers(void **state)
{
    struct env *env = *state;
    const char *main_csv = "/api/v1/exports/submissions?form=livelihood_needs";
    const char *members = "/api/v1/exports/submissions?form=livelihood_needs&repeat=member";
    struct reply r;

    http(env, "demo.reviewer", "GET", main_csv, NULL, NULL, &r);
    expect(&r, 200); /* the reviewer may read personal values: opened, and audited so */
    assert_null(strstr(tc_strbuf_str(&r.body), "[protected]"));
    assert_non_null(strstr(tc_strbuf_str(&r.body), "Nhóm sinh kế mẫu Bình Lư"));
    assert_non_null(strstr(tc_strbuf_str(&r.body), "Người trả lời mẫu"));
    assert_null(strstr(tc_strbuf_str(&r.body), "Nhóm sinh kế mẫu Tả Lèng")); /* not their area */
    reply_free(&r);
    http(env, "demo.approver", "GET", members, NULL, NULL, &r);
    expect(&r, 200); /* the approver exports, but may not read personal values */
    assert_non_null(strstr(tc_strbuf_str(&r.body), "member_name"));
    assert_non_null(strstr(tc_strbuf_str(&r.body), "[protected]"));
    assert_null(strstr(tc_strbuf_str(&r.body), "Thành viên mẫu"));
    assert_null(strstr(tc_strbuf_str(&r.body), "0987000"));
    reply_free(&r);
    http(env, "demo.approver", "GET",
         "/api/v1/exports/submissions?form=livelihood_needs&format=xlsx", NULL, NULL, &r);
    expect(&r, 200);
    assert_memory_equal(tc_strbuf_str(&r.body), "PK\x03\x04", 4);
    reply_free(&r);
    assert_int_equal(audit_rows(env, "submission.export", "demo.reviewer", "ok"), 1);
    assert_int_equal(audit_personal(env, "demo.reviewer"), 1); /* said so in the audit row */
    assert_int_equal(audit_personal(env, "demo.approver"), 0);
    assert_int_equal(audit_rows(env, "submission.export", "demo.approver", "ok"), 2);
    http(env, "demo.viewer", "GET", main_csv, NULL, NULL, &r);
    expect(&r, 403);
    reply_free(&r);
    assert_int_equal(audit_rows(env, "submission.export", "demo.viewer", "denied"), 1);
}

static void
indicators_total_by_post_reform_commune(void **state)
{
    struct env *env = *state;
    struct reply r;
    json_t *j, *rows;
    bool found = false;
    long long before;

    http(env, "demo.viewer", "GET", "/api/v1/reports/indicators?era=post2025&from=2026-01-01", NULL,
         NULL, &r);
    expect(&r, 200);
    j = parse_json(&r);
    rows = json_object_get(j, "rows");
    assert_int_equal(json_array_size(rows), TC_DEMO_COMMUNES);
    for (size_t i = 0; i < json_array_size(rows); i++) {
        json_t *row = json_array_get(rows, i);
        if (strcmp(json_string_value(json_object_get(row, "commune_code")), "03390") != 0)
            continue;
        found = true;
        assert_int_equal(json_integer_value(json_object_get(row, "groups_approved")), 1);
        assert_int_equal(json_integer_value(json_object_get(row, "amount_approved")), 40000000);
    }
    assert_true(found);
    json_decref(j);
    reply_free(&r);
    http(env, "demo.viewer", "GET", "/api/v1/reports/indicators?era=pre2025", NULL, NULL, &r);
    expect(&r, 422);
    reply_free(&r);
    http(env, "demo.viewer", "GET", "/api/v1/reports/indicators?format=csv", NULL, NULL, &r);
    expect(&r, 200);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "groups_surveyed"));
    reply_free(&r);
    before = audit_rows(env, "report.read", "demo.host", "denied");
    http(env, "demo.host", "GET", "/api/v1/reports/indicators", NULL, NULL, &r);
    expect(&r, 403);
    reply_free(&r);
    assert_int_equal(audit_rows(env, "report.read", "demo.host", "denied"), before + 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(queue_lists_ranked_groups_with_the_allocation),
        cmocka_unit_test(host_is_refused_and_the_refusal_audited),
        cmocka_unit_test(group_shows_its_breakdown_and_history),
        cmocka_unit_test(reviewer_proposes_and_approver_approves),
        cmocka_unit_test(viewer_cannot_decide_and_the_refusal_is_audited),
        cmocka_unit_test(bad_decision_bodies_are_refused_clearly),
        cmocka_unit_test(cookie_sessions_need_the_csrf_token),
        cmocka_unit_test(allocations_are_read_by_area_and_set_by_the_admin),
        cmocka_unit_test(public_list_comes_in_every_format_without_personal_data),
        cmocka_unit_test(submission_exports_protect_personal_fields_and_refuse_viewers),
        cmocka_unit_test(indicators_total_by_post_reform_commune),
    };

    return cmocka_run_group_tests_name("review_api", tests, group_setup, group_teardown);
}
