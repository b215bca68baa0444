#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tincay/arena.h"
#include "web/urlencoded.h"

static enum tc_status
parse(const char *body, struct tc_arena *arena, struct tc_form_data *form)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    return tc_urlencoded_parse(body, strlen(body), arena, form, &err);
}

static void
decodes_a_browser_form(void **state)
{
    struct tc_arena *arena = tc_arena_create(1024);
    struct tc_form_data form;

    (void)state;
    assert_int_equal(
        parse("login=lan&password=a+b%21%3D%26&name=Nguy%E1%BB%85n&&flag", arena, &form), TC_OK);
    assert_int_equal(form.n, 4);
    assert_string_equal(tc_form_get(&form, "login"), "lan");
    assert_string_equal(tc_form_get(&form, "password"), "a b!=&");
    assert_string_equal(tc_form_get(&form, "name"), "Nguyễn");
    assert_string_equal(tc_form_get(&form, "flag"), "");
    assert_null(tc_form_get(&form, "missing"));
    assert_int_equal(tc_form_field(&form, "password")->value_len, 6);
    tc_form_wipe(&form);
    assert_int_equal(tc_form_field(&form, "password")->value[0], '\0');
    tc_arena_destroy(arena);
}

static void
first_value_wins_and_empty_body_is_empty(void **state)
{
    struct tc_arena *arena = tc_arena_create(1024);
    struct tc_form_data form;

    (void)state;
    assert_int_equal(parse("a=1&a=2", arena, &form), TC_OK);
    assert_string_equal(tc_form_get(&form, "a"), "1");
    assert_int_equal(parse("", arena, &form), TC_OK);
    assert_int_equal(form.n, 0);
    assert_int_equal(parse("note=line1%0D%0Aline2%09x", arena, &form), TC_OK);
    assert_string_equal(tc_form_get(&form, "note"), "line1\r\nline2\tx");
    tc_arena_destroy(arena);
}

static void
malformed_bodies_are_bad_requests(void **state)
{
    static const char *const bad[] = {
        "a=%",      "a=%4",        "a=%zz",    "a=%00",          "%0A=1", "=1",
        "a=%C3%28", "a=%ED%A0%80", "a=%C0%AF", "a=%F5%80%80%80", "a=%07",
    };
    struct tc_arena *arena = tc_arena_create(1024);
    struct tc_form_data form;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse(bad[i], arena, &form) != TC_EBADREQ)
            fail_msg("\"%s\" was accepted", bad[i]);
    }
    tc_arena_destroy(arena);
}

static void
too_many_fields_are_refused(void **state)
{
    struct tc_arena *arena = tc_arena_create(4096);
    struct tc_form_data form;
    char body[1024] = "";

    (void)state;
    for (int i = 0; i <= TC_URLENCODED_MAX_FIELDS; i++)
        snprintf(body + strlen(body), sizeof(body) - strlen(body), "f%d=1&", i);
    assert_int_equal(parse(body, arena, &form), TC_EBADREQ);
    tc_arena_destroy(arena);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decodes_a_browser_form),
        cmocka_unit_test(first_value_wins_and_empty_body_is_empty),
        cmocka_unit_test(malformed_bodies_are_bad_requests),
        cmocka_unit_test(too_many_fields_are_refused),
    };

    return cmocka_run_group_tests_name("urlencoded", tests, NULL, NULL);
}
