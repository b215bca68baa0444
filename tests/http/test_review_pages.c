/*
 * The review and reports pages over real loopback HTTP against a real PostgreSQL holding the
 * demo data: the queue and a group's page as HTML, decisions posted as forms (errors shown in
 * the page, refusals audited, the CSRF field for cookie sessions), the public list, and the
 * reports page with its server-drawn charts.
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
#include "tincay/strbuf.h"

#define PASSWORD     "demo password for http"
#define QUEUE        "/api/v1/review/queue?commune=post2025:03390&year=2026"
#define FORM_HEADERS "Content-Type: application/x-www-form-urlencoded"

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

/* ---- fixtures ---- */

static int
group_setup(void **state)
{
    static struct tc_test_server env;

    if (tc_test_server_demo(&env, "review_pages", PASSWORD) != 0)
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

/* How many times `needle` occurs in the reply's body. */
static int
occurrences(const struct tc_test_reply *r, const char *needle)
{
    int n = 0;

    for (const char *p = tc_strbuf_str(&r->body); (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static const char *const form_headers[] = {FORM_HEADERS, NULL};

static void
post_form(const struct tc_test_server *env, const char *login, long long id, const char *body,
          const char *const *headers, struct tc_test_reply *r)
{
    char path[128];

    snprintf(path, sizeof(path), "/review/groups/%lld/decisions", id);
    http(env, login, "POST", path, headers != NULL ? headers : form_headers, body, r);
}

static void
queue_page_ranks_the_commune_of_the_reviewer(void **state)
{
    struct tc_test_server *env = *state;
    struct tc_test_reply r;

    http(env, "demo.reviewer", "GET", "/review", NULL, NULL, &r);
    tc_test_expect(&r, 200);
    assert_true(tc_test_header_has(&r, "Content-Type: text/html"));
    assert_int_equal(occurrences(&r, "<tr class=\"eligible\">"), 6);
    assert_int_equal(occurrences(&r, "<svg class=\"share-bar\""), 1);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "300.000.000\u00a0₫"));
    assert_non_null(strstr(tc_strbuf_str(&r.body), "value=\"post2025:03390\""));
    assert_null(strstr(tc_strbuf_str(&r.body), "style="));
    tc_test_reply_free(&r);
    /* Another commune and Tân Phong (region I): every group there fails the area gate. */
    http(env, "demo.viewer", "GET", "/review?commune=post2025:03408&year=2026", NULL, NULL, &r);
    tc_test_expect(&r, 200);
    assert_int_equal(occurrences(&r, "<tr class=\"ineligible\">"), 6);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "Địa bàn không phải xã khu vực III"));
    tc_test_reply_free(&r);
    http(env, "demo.reviewer", "GET", "/review?commune=03390", NULL, NULL, &r);
    tc_test_expect(&r, 422);
    assert_true(tc_test_header_has(&r, "Content-Type: text/html"));
    tc_test_reply_free(&r);
    /* The approver works for the province: the communes to choose from. */
    http(env, "demo.approver", "GET", "/review", NULL, NULL, &r);
    tc_test_expect(&r, 200);
    assert_int_equal(occurrences(&r, "href=\"/review?commune=post2025:"), 6);
    tc_test_reply_free(&r);
}

static void
hosts_and_collectors_are_refused_and_audited(void **state)
{
    struct tc_test_server *env = *state;
    long long before = tc_test_audit_count(env->pool, "score.read", "demo.host", "denied");
    long long reports = tc_test_audit_count(env->pool, "report.read", "demo.collector", "denied");
    struct tc_test_reply r;

    http(env, "demo.host", "GET", "/review", NULL, NULL, &r);
    tc_test_expect(&r, 403);
    assert_true(tc_test_header_has(&r, "Content-Type: text/html"));
    tc_test_reply_free(&r);
    assert_int_equal(tc_test_audit_count(env->pool, "score.read", "demo.host", "denied"),
                     before + 1);
    http(env, "demo.collector", "GET", "/reports", NULL, NULL, &r);
    tc_test_expect(&r, 403);
    tc_test_reply_free(&r);
    assert_int_equal(tc_test_audit_count(env->pool, "report.read", "demo.collector", "denied"),
                     reports + 1);
    http(env, NULL, "GET", "/review", NULL, NULL, &r);
    tc_test_expect(&r, 303);
    assert_true(tc_test_header_has(&r, "Location: /login"));
    tc_test_reply_free(&r);
}

static void
group_page_explains_the_score_and_offers_the_next_level(void **state)
{
    struct tc_test_server *env = *state;
    long long id = group_at(env, 1);
    char path[64];
    struct tc_test_reply r;

    snprintf(path, sizeof(path), "/review/groups/%lld", id);
    http(env, "demo.reviewer", "GET", path, NULL, NULL, &r);
    tc_test_expect(&r, 200);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "Tỷ lệ phụ nữ DTTS trong thành viên"));
    assert_non_null(strstr(tc_strbuf_str(&r.body), "80.000.000\u00a0₫"));
    assert_int_equal(occurrences(&r, "name=\"kind\""), 3); /* propose, reject, return */
    assert_int_equal(occurrences(&r, "value=\"positive\""), 1);
    tc_test_reply_free(&r);
    /* A viewer reads it, without forms. */
    http(env, "demo.viewer", "GET", path, NULL, NULL, &r);
    tc_test_expect(&r, 200);
    assert_int_equal(occurrences(&r, "name=\"kind\""), 0);
    tc_test_reply_free(&r);
    http(env, "demo.viewer", "GET", "/review/groups/999999", NULL, NULL, &r);
    tc_test_expect(&r, 404);
    tc_test_reply_free(&r);
    http(env, "demo.viewer", "GET", "/review/groups/1%3Cb%3E", NULL, NULL, &r);
    tc_test_expect(&r, 404);
    assert_null(strstr(tc_strbuf_str(&r.body), "1<b>"));
    tc_test_reply_free(&r);
}

static void
decisions_are_taken_level_by_level_with_errors_in_the_page(void **state)
{
    struct tc_test_server *env = *state;
    long long id = group_at(env, 1);
    long long refused =
        tc_test_audit_count(env->pool, "decision.refused", "demo.reviewer", "denied");
    char location[96];
    struct tc_test_reply r;

    post_form(env, "demo.reviewer", id, "kind=positive&amount=90.000.000", NULL, &r);
    tc_test_expect(&r, 422);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "msg-error"));
    assert_non_null(strstr(tc_strbuf_str(&r.body), "value=\"90.000.000\""));
    tc_test_reply_free(&r);
    post_form(env, "demo.reviewer", id, "kind=positive&amount=m%E1%BB%99t", NULL, &r);
    tc_test_expect(&r, 422);
    tc_test_reply_free(&r);
    post_form(env, "demo.reviewer", id, "kind=reject&reason=", NULL, &r);
    tc_test_expect(&r, 422);
    tc_test_reply_free(&r);
    post_form(env, "demo.reviewer", id, "kind=delete", NULL, &r);
    tc_test_expect(&r, 422);
    tc_test_reply_free(&r);

    post_form(env, "demo.reviewer", id, "kind=positive&amount=50.000.000%C2%A0%E2%82%AB", NULL, &r);
    tc_test_expect(&r, 303);
    snprintf(location, sizeof(location), "Location: /review/groups/%lld", id);
    assert_true(tc_test_header_has(&r, location));
    tc_test_reply_free(&r);
    /* The same reviewer cannot take the approver's level: refused in the page, and audited. */
    post_form(env, "demo.reviewer", id, "kind=positive&amount=50000000", NULL, &r);
    tc_test_expect(&r, 403);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "msg-error"));
    tc_test_reply_free(&r);
    assert_int_equal(tc_test_audit_count(env->pool, "decision.refused", "demo.reviewer", "denied"),
                     refused + 1);
    /* A viewer may not decide at all. */
    post_form(env, "demo.viewer", id, "kind=reject&reason=x", NULL, &r);
    tc_test_expect(&r, 403);
    tc_test_reply_free(&r);

    post_form(env, "demo.approver", id, "kind=positive&amount=50000000", NULL, &r);
    tc_test_expect(&r, 303);
    tc_test_reply_free(&r);
    http(env, "demo.viewer", "GET", "/review/public-list?commune=post2025:03390&year=2026", NULL,
         NULL, &r);
    tc_test_expect(&r, 200);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "50.000.000\u00a0₫"));
    assert_non_null(
        strstr(tc_strbuf_str(&r.body),
               "href=\"/api/v1/public-list?commune=post2025:03390&amp;year=2026&amp;format=csv\""));
    tc_test_reply_free(&r);
}

static void
a_return_sends_the_survey_back(void **state)
{
    struct tc_test_server *env = *state;
    long long id = group_at(env, 3);
    char path[64];
    struct tc_test_reply r;

    post_form(env, "demo.reviewer", id, "kind=return&reason=%E1%BA%A2nh+m%E1%BB%9D", NULL, &r);
    tc_test_expect(&r, 303);
    tc_test_reply_free(&r);
    snprintf(path, sizeof(path), "/review/groups/%lld", id);
    http(env, "demo.reviewer", "GET", path, NULL, NULL, &r);
    tc_test_expect(&r, 200);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "trả lại để chỉnh sửa"));
    assert_non_null(strstr(tc_strbuf_str(&r.body), "Ảnh mờ"));
    tc_test_reply_free(&r);
}

static void
cookie_sessions_need_the_csrf_field(void **state)
{
    struct tc_test_server *env = *state;
    long long id = group_at(env, 4);
    char cookie[128], body[256];
    const char *set;
    struct tc_test_reply r;
    json_t *j;

    http(env, NULL, "POST", "/api/v1/session", json_headers,
         "{\"login\": \"demo.reviewer\", \"password\": \"" PASSWORD "\"}", &r);
    tc_test_expect(&r, 200);
    set = strcasestr(tc_strbuf_str(&r.headers), "Set-Cookie: ");
    assert_non_null(set);
    set += strlen("Set-Cookie: ");
    snprintf(cookie, sizeof(cookie), "Cookie: %.*s", (int)strcspn(set, ";"), set);
    j = tc_test_json(&r);
    snprintf(body, sizeof(body), "kind=reject&reason=duplicate&csrf=%s",
             json_string_value(json_object_get(j, "csrf")));
    json_decref(j);
    tc_test_reply_free(&r);
    {
        const char *headers[] = {FORM_HEADERS, cookie, NULL};

        post_form(env, NULL, id, "kind=reject&reason=duplicate&csrf=forged", headers, &r);
        tc_test_expect(&r, 403);
        tc_test_reply_free(&r);
        post_form(env, NULL, id, body, headers, &r);
        tc_test_expect(&r, 303);
        tc_test_reply_free(&r);
    }
}

static void
reports_page_draws_charts_beside_the_table(void **state)
{
    struct tc_test_server *env = *state;
    long long before = tc_test_audit_count(env->pool, "report.indicators", "demo.viewer", "ok");
    struct tc_test_reply r;

    http(env, "demo.viewer", "GET", "/reports?year=2026&commune=03390", NULL, NULL, &r);
    tc_test_expect(&r, 200);
    assert_int_equal(occurrences(&r, "<svg class=\"chart\""), 4);
    /* Six communes: three series of groups, two of amounts; one month for Bình Lư. */
    assert_int_equal(occurrences(&r, "<rect class=\"bar s2\""), 6 + 1);
    assert_int_equal(occurrences(&r, "<rect class=\"bar s1\""), 6 + 6 + 1);
    assert_int_equal(occurrences(&r, "<option value=\"03390\" selected>"), 1);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "format=xlsx"));
    assert_null(strstr(tc_strbuf_str(&r.body), "<script>"));
    assert_null(strstr(tc_strbuf_str(&r.body), "style="));
    tc_test_reply_free(&r);
    assert_int_equal(tc_test_audit_count(env->pool, "report.indicators", "demo.viewer", "ok"),
                     before + 1);
    /* The CSV the page links to has every column of the table, the cases too. */
    http(env, "demo.viewer", "GET",
         "/api/v1/reports/indicators?from=2026-01-01&to=2026-12-31&format=csv", NULL, NULL, &r);
    tc_test_expect(&r, 200);
    assert_non_null(strstr(tc_strbuf_str(&r.body), ",recommended_total,trusted_address_cases\r\n"));
    assert_non_null(strstr(tc_strbuf_str(&r.body), ",236800000,0\r\n"));
    tc_test_reply_free(&r);
    /* A year without figures says so. */
    http(env, "demo.viewer", "GET", "/reports?year=2022", NULL, NULL, &r);
    tc_test_expect(&r, 200);
    assert_int_equal(occurrences(&r, "<svg"), 0);
    tc_test_reply_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(queue_page_ranks_the_commune_of_the_reviewer),
        cmocka_unit_test(hosts_and_collectors_are_refused_and_audited),
        cmocka_unit_test(group_page_explains_the_score_and_offers_the_next_level),
        cmocka_unit_test(decisions_are_taken_level_by_level_with_errors_in_the_page),
        cmocka_unit_test(a_return_sends_the_survey_back),
        cmocka_unit_test(cookie_sessions_need_the_csrf_field),
        cmocka_unit_test(reports_page_draws_charts_beside_the_table),
    };

    return cmocka_run_group_tests_name("review_pages", tests, group_setup, group_teardown);
}
