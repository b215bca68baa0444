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
#include <jansson.h>

#include "auth.h"
#include "http.h"
#include "testhttp.h"
#include "testlib.h"
#include "tincay/arena.h"
#include "tincay/config.h"
#include "tincay/db.h"
#include "tincay/demo.h"
#include "tincay/strbuf.h"

#define PASSWORD "demo password for http"
#define QUEUE    "/api/v1/review/queue?commune=post2025:03390&year=2026"

/* One request as `login` (Basic; NULL: anonymous) with extra headers and a body. */
static void
http(const struct tc_test_server *env, const char *login, const char *method, const char *path,
     const char *const *headers, const char *body, struct tc_test_reply *r)
{
    tc_test_http(env->port,
                 &(struct tc_test_request){.method = method,
                                           .path = path,
                                           .login = login,
                                           .password = PASSWORD,
                                           .headers = headers,
                                           .body = body},
                 r);
}

static const char *const json_headers[] = {"Content-Type: application/json", NULL};

/* Export rows of `login` whose audit detail says personal values were opened. */
static long long
audit_personal(const struct tc_test_server *env, const char *login)
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
group_at(const struct tc_test_server *env, int rank)
{
    struct tc_test_reply r;
    json_t *j, *g;
    long long id;

    http(env, "demo.reviewer", "GET", QUEUE, NULL, NULL, &r);
    tc_test_expect(&r, 200);
    j = tc_test_json(&r);
    g = json_array_get(json_object_get(j, "groups"), (size_t)rank - 1);
    assert_non_null(g);
    assert_int_equal(json_integer_value(json_object_get(g, "rank")), rank);
    id = json_integer_value(json_object_get(g, "id"));
    json_decref(j);
    tc_test_reply_free(&r);
    return id;
}

static void
post_decision(const struct tc_test_server *env, const char *login, long long id, const char *body,
              const char *const *headers, struct tc_test_reply *r)
{
    char path[128];

    snprintf(path, sizeof(path), "/api/v1/review/groups/%lld/decisions", id);
    http(env, login, "POST", path, headers ? headers : json_headers, body, r);
}

/* ---- fixtures ---- */

static int
group_setup(void **state)
{
    static struct tc_test_server env;

    if (tc_test_server_demo(&env, "review_api", PASSWORD) != 0)
        return -1;
    *state = &env;
    return 0;
}

static int
group_teardown(void **state)
{
    tc_test_server_close(*state);
    return 0;
}

/* ---- tests ---- */

static void
queue_lists_ranked_groups_with_the_allocation(void **state)
{
    struct tc_test_server *env = *state;
    struct tc_test_reply r;
    json_t *j, *groups, *first;

    http(env, "demo.reviewer", "GET", QUEUE, NULL, NULL, &r);
    tc_test_expect(&r, 200);
    j = tc_test_json(&r);
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
    tc_test_reply_free(&r);
    http(env, "demo.reviewer", "GET", "/api/v1/review/queue?commune=03390&year=2026", NULL, NULL,
         &r);
    tc_test_expect(&r, 422);
    tc_test_reply_free(&r);
    http(env, NULL, "GET", QUEUE, NULL, NULL, &r);
    tc_test_expect(&r, 401);
    tc_test_reply_free(&r);
}

static void
host_is_refused_and_the_refusal_audited(void **state)
{
    struct tc_test_server *env = *state;
    struct tc_test_reply r;
    long long before = tc_test_audit_count(env->pool, "score.read", "demo.host", "denied");

    http(env, "demo.host", "GET", QUEUE, NULL, NULL, &r);
    tc_test_expect(&r, 403);
    tc_test_reply_free(&r);
    assert_int_equal(tc_test_audit_count(env->pool, "score.read", "demo.host", "denied"),
                     before + 1);
}

static void
group_shows_its_breakdown_and_history(void **state)
{
    struct tc_test_server *env = *state;
    char path[64];
    struct tc_test_reply r;
    json_t *j, *point;

    snprintf(path, sizeof(path), "/api/v1/review/groups/%lld", group_at(env, 1));
    http(env, "demo.viewer", "GET", path, NULL, NULL, &r);
    tc_test_expect(&r, 200);
    j = tc_test_json(&r);
    point = json_array_get(json_object_get(json_object_get(j, "group"), "points"), 0);
    assert_non_null(json_object_get(json_object_get(point, "label"), "vi"));
    assert_int_equal(json_array_size(json_object_get(j, "decisions")), 0);
    json_decref(j);
    tc_test_reply_free(&r);
    http(env, "demo.viewer", "GET", "/api/v1/review/groups/999999", NULL, NULL, &r);
    tc_test_expect(&r, 404);
    tc_test_reply_free(&r);
}

static void
reviewer_proposes_and_approver_approves(void **state)
{
    struct tc_test_server *env = *state;
    long long id = group_at(env, 1);
    struct tc_test_reply r;
    json_t *j;

    post_decision(env, "demo.reviewer", id, "{\"kind\": \"propose\", \"amount\": 40000000}", NULL,
                  &r);
    tc_test_expect(&r, 201);
    tc_test_reply_free(&r);
    post_decision(env, "demo.reviewer", id, "{\"kind\": \"approve\", \"amount\": 40000000}", NULL,
                  &r);
    tc_test_expect(&r, 403); /* one person cannot decide two levels */
    tc_test_reply_free(&r);
    post_decision(env, "demo.approver", id, "{\"kind\": \"approve\", \"amount\": 90000000}", NULL,
                  &r);
    tc_test_expect(&r, 422); /* over the demo ceiling */
    tc_test_reply_free(&r);
    post_decision(env, "demo.approver", id, "{\"kind\": \"approve\", \"amount\": 40000000}", NULL,
                  &r);
    tc_test_expect(&r, 201);
    j = tc_test_json(&r);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(j, "group"), "decision"), "state")),
                        "approved");
    assert_int_equal(json_array_size(json_object_get(j, "decisions")), 2);
    json_decref(j);
    tc_test_reply_free(&r);
    assert_int_equal(tc_test_audit_count(env->pool, "decision.approve", "demo.approver", "ok"), 1);
}

static void
viewer_cannot_decide_and_the_refusal_is_audited(void **state)
{
    struct tc_test_server *env = *state;
    struct tc_test_reply r;

    post_decision(env, "demo.viewer", group_at(env, 2), "{\"kind\": \"propose\", \"amount\": 1}",
                  NULL, &r);
    tc_test_expect(&r, 403);
    tc_test_reply_free(&r);
    assert_int_equal(tc_test_audit_count(env->pool, "decision.propose", "demo.viewer", "denied"),
                     1);
    post_decision(env, "demo.host", group_at(env, 2), "{\"kind\": \"reject\", \"reason\": \"x\"}",
                  NULL, &r);
    tc_test_expect(&r, 403);
    tc_test_reply_free(&r);
    assert_int_equal(tc_test_audit_count(env->pool, "decision.propose", "demo.host", "denied"), 1);
}

static void
bad_decision_bodies_are_refused_clearly(void **state)
{
    struct tc_test_server *env = *state;
    long long id = group_at(env, 2);
    static const char *const text_headers[] = {"Content-Type: text/plain", NULL};
    struct tc_test_reply r;

    post_decision(env, "demo.reviewer", id, "{\"kind\": \"bless\"}", NULL, &r);
    tc_test_expect(&r, 422);
    tc_test_reply_free(&r);
    post_decision(env, "demo.reviewer", id, "{\"kind\": \"propose\", \"amount\": \"1000\"}", NULL,
                  &r);
    tc_test_expect(&r, 422);
    tc_test_reply_free(&r);
    post_decision(env, "demo.reviewer", id, "{\"kind\": \"reject\"}", NULL, &r);
    tc_test_expect(&r, 422);
    tc_test_reply_free(&r);
    post_decision(env, "demo.reviewer", id, "{\"kind\": ", NULL, &r);
    tc_test_expect(&r, 400);
    tc_test_reply_free(&r);
    post_decision(env, "demo.reviewer", id, "{\"kind\": \"reject\", \"reason\": \"x\"}",
                  text_headers, &r);
    tc_test_expect(&r, 415);
    tc_test_reply_free(&r);
}

static void
cookie_sessions_need_the_csrf_token(void **state)
{
    struct tc_test_server *env = *state;
    long long id = group_at(env, 2);
    char cookie[128], csrf[160];
    struct tc_test_reply r;
    json_t *j;

    tc_test_login(env->port, "demo.reviewer", PASSWORD, cookie, sizeof(cookie), csrf, sizeof(csrf));
    {
        const char *without[] = {"Content-Type: application/json", cookie, NULL};
        const char *with[] = {"Content-Type: application/json", cookie, csrf, NULL};

        post_decision(env, NULL, id, "{\"kind\": \"return\", \"reason\": \"ảnh mờ\"}", without, &r);
        tc_test_expect(&r, 403);
        tc_test_reply_free(&r);
        post_decision(env, NULL, id, "{\"kind\": \"return\", \"reason\": \"ảnh mờ\"}", with, &r);
        tc_test_expect(&r, 201);
        j = tc_test_json(&r);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(j, "group"), "review_state")),
            "hasIssues");
        json_decref(j);
        tc_test_reply_free(&r);
    }
}

static void
allocations_are_read_by_area_and_set_by_the_admin(void **state)
{
    struct tc_test_server *env = *state;
    const char *put = "{\"commune\": \"post2025:03424\", \"year\": 2026, \"amount\": 123000000}";
    struct tc_test_reply r;
    json_t *j;

    http(env, "demo.viewer", "GET", "/api/v1/allocations?year=2026", NULL, NULL, &r);
    tc_test_expect(&r, 200);
    j = tc_test_json(&r);
    assert_int_equal(json_array_size(json_object_get(j, "allocations")), TC_DEMO_COMMUNES);
    json_decref(j);
    tc_test_reply_free(&r);
    http(env, "demo.reviewer", "GET", "/api/v1/allocations?year=2026", NULL, NULL, &r);
    tc_test_expect(&r, 200);
    j = tc_test_json(&r); /* a commune reviewer sees their commune only */
    assert_int_equal(json_array_size(json_object_get(j, "allocations")), 1);
    json_decref(j);
    tc_test_reply_free(&r);
    http(env, "demo.reviewer", "PUT", "/api/v1/allocations", json_headers, put, &r);
    tc_test_expect(&r, 403);
    tc_test_reply_free(&r);
    http(env, "demo.admin", "PUT", "/api/v1/allocations", json_headers, put, &r);
    tc_test_expect(&r, 200);
    j = tc_test_json(&r);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "allocation"), "amount")), 123000000);
    json_decref(j);
    tc_test_reply_free(&r);
    assert_int_equal(tc_test_audit_count(env->pool, "allocation.set", "demo.admin", "ok"), 1);
    http(env, "demo.collector", "GET", "/api/v1/allocations", NULL, NULL, &r);
    tc_test_expect(&r, 403);
    tc_test_reply_free(&r);
}

static void
public_list_comes_in_every_format_without_personal_data(void **state)
{
    struct tc_test_server *env = *state;
    const char *base = "/api/v1/public-list?commune=post2025:03390&year=2026&format=";
    char path[160];
    struct tc_test_reply r;

    snprintf(path, sizeof(path), "%scsv", base);
    http(env, "demo.viewer", "GET", path, NULL, NULL, &r);
    tc_test_expect(&r, 200);
    assert_true(tc_test_header_has(&r, "text/csv"));
    assert_true(tc_test_header_has(&r, "attachment"));
    assert_memory_equal(tc_strbuf_str(&r.body), "\xEF\xBB\xBF", 3);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "(DEMO)"));
    assert_non_null(strstr(tc_strbuf_str(&r.body), "40000000"));
    assert_null(strstr(tc_strbuf_str(&r.body), "Thành viên mẫu"));
    assert_null(strstr(tc_strbuf_str(&r.body), "Người trả lời mẫu"));
    tc_test_reply_free(&r);
    snprintf(path, sizeof(path), "%shtml", base);
    http(env, "demo.viewer", "GET", path, NULL, NULL, &r);
    tc_test_expect(&r, 200);
    assert_true(tc_test_header_has(&r, "text/html"));
    assert_non_null(strstr(tc_strbuf_str(&r.body), "<table>"));
    tc_test_reply_free(&r);
    snprintf(path, sizeof(path), "%sxlsx", base);
    http(env, "demo.viewer", "GET", path, NULL, NULL, &r);
    tc_test_expect(&r, 200);
    assert_true(r.body.len > 1000);
    assert_memory_equal(tc_strbuf_str(&r.body), "PK\x03\x04", 4);
    tc_test_reply_free(&r);
    snprintf(path, sizeof(path), "%spdf", base);
    http(env, "demo.viewer", "GET", path, NULL, NULL, &r);
    tc_test_expect(&r, 422);
    tc_test_reply_free(&r);
    assert_int_equal(tc_test_audit_count(env->pool, "export.public_list", "demo.viewer", "ok"), 3);
    http(env, "demo.host", "GET", "/api/v1/public-list?commune=post2025:03390&year=2026", NULL,
         NULL, &r);
    tc_test_expect(&r, 403);
    tc_test_reply_free(&r);
}

static void
submission_exports_protect_personal_fields_and_refuse_viewers(void **state)
{
    struct tc_test_server *env = *state;
    const char *main_csv = "/api/v1/exports/submissions?form=livelihood_needs";
    const char *members = "/api/v1/exports/submissions?form=livelihood_needs&repeat=member";
    struct tc_test_reply r;

    http(env, "demo.reviewer", "GET", main_csv, NULL, NULL, &r);
    tc_test_expect(&r, 200); /* the reviewer may read personal values: opened, and audited so */
    assert_null(strstr(tc_strbuf_str(&r.body), "[protected]"));
    assert_non_null(strstr(tc_strbuf_str(&r.body), "Nhóm sinh kế mẫu Bình Lư"));
    assert_non_null(strstr(tc_strbuf_str(&r.body), "Người trả lời mẫu"));
    assert_null(strstr(tc_strbuf_str(&r.body), "Nhóm sinh kế mẫu Tả Lèng")); /* not their area */
    tc_test_reply_free(&r);
    http(env, "demo.approver", "GET", members, NULL, NULL, &r);
    tc_test_expect(&r, 200); /* the approver exports, but may not read personal values */
    assert_non_null(strstr(tc_strbuf_str(&r.body), "member_name"));
    assert_non_null(strstr(tc_strbuf_str(&r.body), "[protected]"));
    assert_null(strstr(tc_strbuf_str(&r.body), "Thành viên mẫu"));
    assert_null(strstr(tc_strbuf_str(&r.body), "0987000"));
    tc_test_reply_free(&r);
    http(env, "demo.approver", "GET",
         "/api/v1/exports/submissions?form=livelihood_needs&format=xlsx", NULL, NULL, &r);
    tc_test_expect(&r, 200);
    assert_memory_equal(tc_strbuf_str(&r.body), "PK\x03\x04", 4);
    tc_test_reply_free(&r);
    assert_int_equal(tc_test_audit_count(env->pool, "submission.export", "demo.reviewer", "ok"), 1);
    assert_int_equal(audit_personal(env, "demo.reviewer"), 1); /* said so in the audit row */
    assert_int_equal(audit_personal(env, "demo.approver"), 0);
    assert_int_equal(tc_test_audit_count(env->pool, "submission.export", "demo.approver", "ok"), 2);
    http(env, "demo.viewer", "GET", main_csv, NULL, NULL, &r);
    tc_test_expect(&r, 403);
    tc_test_reply_free(&r);
    assert_int_equal(tc_test_audit_count(env->pool, "submission.export", "demo.viewer", "denied"),
                     1);
}

static void
indicators_total_by_post_reform_commune(void **state)
{
    struct tc_test_server *env = *state;
    struct tc_test_reply r;
    json_t *j, *rows;
    bool found = false;
    long long before;

    http(env, "demo.viewer", "GET", "/api/v1/reports/indicators?era=post2025&from=2026-01-01", NULL,
         NULL, &r);
    tc_test_expect(&r, 200);
    j = tc_test_json(&r);
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
    tc_test_reply_free(&r);
    http(env, "demo.viewer", "GET", "/api/v1/reports/indicators?era=pre2025", NULL, NULL, &r);
    tc_test_expect(&r, 422);
    tc_test_reply_free(&r);
    http(env, "demo.viewer", "GET", "/api/v1/reports/indicators?format=csv", NULL, NULL, &r);
    tc_test_expect(&r, 200);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "groups_surveyed"));
    tc_test_reply_free(&r);
    before = tc_test_audit_count(env->pool, "report.read", "demo.host", "denied");
    http(env, "demo.host", "GET", "/api/v1/reports/indicators", NULL, NULL, &r);
    tc_test_expect(&r, 403);
    tc_test_reply_free(&r);
    assert_int_equal(tc_test_audit_count(env->pool, "report.read", "demo.host", "denied"),
                     before + 1);
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
