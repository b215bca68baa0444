#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "router.h"
#include "tincay/arena.h"

static enum tc_status
noop(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    (void)req;
    (void)resp;
    (void)err;
    return TC_OK;
}

static const struct tc_route table[] = {
    {.method = "GET", .pattern = "/", .handler = noop},
    {.method = "GET", .pattern = "/healthz", .handler = noop},
    {.method = "GET", .pattern = "/formList", .handler = noop},
    {.method = "GET", .pattern = "/key/:token/formList", .handler = noop},
    {.method = "GET", .pattern = "/forms/:form/manifest", .handler = noop},
    {.method = "POST", .pattern = "/submission", .handler = noop},
    {.method = "HEAD", .pattern = "/submission", .handler = noop},
    {.method = "GET", .pattern = "/api/v1/forms/:form/versions/:version", .handler = noop},
    {.method = "PUT", .pattern = "/api/v1/forms/:form/versions/:version", .handler = noop},
    {.method = "DELETE", .pattern = "/api/v1/forms/:form/versions/:version", .handler = noop},
    {.method = "GET", .pattern = "/forms/new/manifest", .handler = noop}, /* shadowed by [4] */
};
static const size_t n_table = sizeof(table) / sizeof(table[0]);

struct fixture {
    struct tc_arena *arena;
    struct tc_route_match m;
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL || (f->arena = tc_arena_create(1024)) == NULL)
        return -1;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    tc_arena_destroy(f->arena);
    free(f);
    return 0;
}

static enum tc_route_result
match(struct fixture *f, const char *method, const char *path)
{
    return tc_route_match(table, n_table, method, path, f->arena, &f->m);
}

static void
literal_paths_match_their_route(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(match(f, "GET", "/healthz"), TC_ROUTE_FOUND);
    assert_ptr_equal(f->m.route, &table[1]);
    assert_int_equal(f->m.n_params, 0);
    assert_int_equal(match(f, "GET", "/"), TC_ROUTE_FOUND);
    assert_ptr_equal(f->m.route, &table[0]);
}

static void
captures_are_named_and_decoded(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(match(f, "GET", "/api/v1/forms/household%20survey/versions/2024-05"),
                     TC_ROUTE_FOUND);
    assert_ptr_equal(f->m.route, &table[7]);
    assert_int_equal(f->m.n_params, 2);
    assert_string_equal(f->m.names[0], "form");
    assert_string_equal(f->m.values[0], "household survey");
    assert_string_equal(f->m.names[1], "version");
    assert_string_equal(f->m.values[1], "2024-05");
}

static void
an_encoded_slash_stays_inside_its_segment(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(match(f, "GET", "/forms/a%2Fb/manifest"), TC_ROUTE_FOUND);
    assert_string_equal(f->m.values[0], "a/b");
    assert_int_equal(match(f, "GET", "/forms/a/b/manifest"), TC_ROUTE_NO_PATH);
}

static void
literal_segments_compare_decoded(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(match(f, "GET", "/health%7A"), TC_ROUTE_FOUND);
    assert_ptr_equal(f->m.route, &table[1]);
    assert_int_equal(match(f, "GET", "/key/tok%2Ben/formList"), TC_ROUTE_FOUND);
    assert_string_equal(f->m.values[0], "tok+en");
}

static void
unknown_path_is_not_found(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(match(f, "GET", "/nothing"), TC_ROUTE_NO_PATH);
    assert_int_equal(match(f, "GET", "/healthz/more"), TC_ROUTE_NO_PATH);
    assert_int_equal(match(f, "GET", "/api/v1/forms/x/versions"), TC_ROUTE_NO_PATH);
    assert_int_equal(match(f, "POST", "/nothing"), TC_ROUTE_NO_PATH);
    assert_null(f->m.route);
}

static void
known_path_with_other_method_is_405_with_allow(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(match(f, "POST", "/healthz"), TC_ROUTE_NO_METHOD);
    assert_string_equal(f->m.allow, "GET, HEAD");
    assert_int_equal(match(f, "PATCH", "/api/v1/forms/x/versions/1"), TC_ROUTE_NO_METHOD);
    assert_string_equal(f->m.allow, "GET, HEAD, PUT, DELETE");
    assert_int_equal(match(f, "GET", "/submission"), TC_ROUTE_NO_METHOD);
    assert_string_equal(f->m.allow, "POST, HEAD");
}

static void
head_is_served_by_get_routes(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(match(f, "HEAD", "/formList"), TC_ROUTE_FOUND);
    assert_ptr_equal(f->m.route, &table[2]);
    assert_int_equal(match(f, "HEAD", "/submission"), TC_ROUTE_FOUND);
    assert_ptr_equal(f->m.route, &table[6]);
}

static void
methods_are_case_sensitive(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(match(f, "get", "/healthz"), TC_ROUTE_NO_METHOD);
}

static void
one_trailing_slash_is_ignored(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(match(f, "GET", "/formList/"), TC_ROUTE_FOUND);
    assert_ptr_equal(f->m.route, &table[2]);
    assert_int_equal(match(f, "GET", "/key/abc/formList/"), TC_ROUTE_FOUND);
    assert_string_equal(f->m.values[0], "abc");
    assert_int_equal(match(f, "GET", "/formList//"), TC_ROUTE_NO_PATH);
}

static void
empty_segments_never_match(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(match(f, "GET", "/key//formList"), TC_ROUTE_NO_PATH);
    assert_int_equal(match(f, "GET", "//healthz"), TC_ROUTE_NO_PATH);
    assert_int_equal(match(f, "GET", "/forms/%2F/manifest"), TC_ROUTE_FOUND); /* "/" is data */
}

static void
first_route_in_table_order_wins(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(match(f, "GET", "/forms/new/manifest"), TC_ROUTE_FOUND);
    assert_ptr_equal(f->m.route, &table[4]);
    assert_string_equal(f->m.values[0], "new");
}

static void
bad_escapes_and_nul_are_bad_paths(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(match(f, "GET", "/forms/%zz/manifest"), TC_ROUTE_BAD_PATH);
    assert_int_equal(match(f, "GET", "/forms/%4/manifest"), TC_ROUTE_BAD_PATH);
    assert_int_equal(match(f, "GET", "/forms/abc%"), TC_ROUTE_BAD_PATH);
    assert_int_equal(match(f, "GET", "/forms/a%00b/manifest"), TC_ROUTE_BAD_PATH);
    assert_int_equal(match(f, "GET", "healthz"), TC_ROUTE_BAD_PATH);
    assert_int_equal(match(f, "GET", ""), TC_ROUTE_BAD_PATH);
}

static void
overlong_paths_are_refused(void **state)
{
    struct fixture *f = *state;
    char path[TC_ROUTE_MAX_PATH + 2];
    char segs[2 * (TC_ROUTE_MAX_SEGMENTS + 1) + 1];

    path[0] = '/';
    memset(path + 1, 'a', sizeof(path) - 2);
    path[sizeof(path) - 1] = '\0';
    assert_int_equal(match(f, "GET", path), TC_ROUTE_BAD_PATH);
    path[TC_ROUTE_MAX_PATH] = '\0'; /* exactly the limit: a plain miss */
    assert_int_equal(match(f, "GET", path), TC_ROUTE_NO_PATH);
    for (size_t i = 0; i < TC_ROUTE_MAX_SEGMENTS + 1; i++)
        memcpy(segs + 2 * i, "/a", 2);
    segs[sizeof(segs) - 1] = '\0';
    assert_int_equal(match(f, "GET", segs), TC_ROUTE_BAD_PATH);
}

static void
too_many_captures_never_match(void **state)
{
    struct fixture *f = *state;
    static const struct tc_route wide[] = {
        {.method = "GET", .pattern = "/:a/:b/:c/:d/:e/:f/:g/:h/:i", .handler = noop},
    };

    assert_int_equal(tc_route_match(wide, 1, "GET", "/1/2/3/4/5/6/7/8/9", f->arena, &f->m),
                     TC_ROUTE_NO_PATH);
}

static void
redaction_hides_the_token_segment(void **state)
{
    struct fixture *f = *state;

    assert_string_equal(tc_route_redact_path("/key/s3cr3t/formList", f->arena),
                        "/key/[token]/formList");
    assert_string_equal(tc_route_redact_path("/key/s3cr3t", f->arena), "/key/[token]");
    assert_string_equal(tc_route_redact_path("/%6Bey/s/submission", f->arena),
                        "/%6Bey/[token]/submission");
    assert_string_equal(tc_route_redact_path("/KEY/a/key/b", f->arena), "/KEY/[token]/key/[token]");
    assert_string_equal(tc_route_redact_path("/keys/abc", f->arena), "/keys/abc");
    assert_string_equal(tc_route_redact_path("/a\tb", f->arena), "/a?b");
    assert_string_equal(tc_route_redact_path("/", f->arena), "/");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(literal_paths_match_their_route, setup, teardown),
        cmocka_unit_test_setup_teardown(captures_are_named_and_decoded, setup, teardown),
        cmocka_unit_test_setup_teardown(an_encoded_slash_stays_inside_its_segment, setup, teardown),
        cmocka_unit_test_setup_teardown(literal_segments_compare_decoded, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_path_is_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(known_path_with_other_method_is_405_with_allow, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(head_is_served_by_get_routes, setup, teardown),
        cmocka_unit_test_setup_teardown(methods_are_case_sensitive, setup, teardown),
        cmocka_unit_test_setup_teardown(one_trailing_slash_is_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_segments_never_match, setup, teardown),
        cmocka_unit_test_setup_teardown(first_route_in_table_order_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_escapes_and_nul_are_bad_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(overlong_paths_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(too_many_captures_never_match, setup, teardown),
        cmocka_unit_test_setup_teardown(redaction_hides_the_token_segment, setup, teardown),
    };

    return cmocka_run_group_tests_name("router", tests, NULL, NULL);
}
