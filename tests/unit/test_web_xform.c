#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "tincay/arena.h"
#include "web/xform.h"

/* The shipped livelihood survey, read whole. */
static char *
read_form(size_t *len)
{
    const char *source = getenv("TINCAY_SOURCE_DIR");
    char path[1024];
    FILE *f;
    char *buf;
    long size;

    (void)snprintf(path, sizeof(path), "%s/forms/livelihood_needs.xml",
                   source != NULL ? source : TC_SOURCE_DIR);
    assert_non_null(f = fopen(path, "rb"));
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    rewind(f);
    assert_non_null(buf = malloc((size_t)size + 1));
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    buf[size] = '\0';
    *len = (size_t)size;
    return buf;
}

static const struct tc_web_column *
find(const struct tc_web_column *cols, size_t n, const char *path)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(cols[i].path, path) == 0)
            return &cols[i];
    return NULL;
}

static void
table_columns_are_the_first_answers(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_arena *arena = tc_arena_create(65536);
    struct tc_web_column *cols = NULL;
    size_t len = 0, n = 0;
    char *xml = read_form(&len);

    (void)state;
    assert_int_equal(tc_web_xform_columns((const unsigned char *)xml, len, 4,
                                          TC_WEB_COLUMNS_ANSWERS, arena, &cols, &n, &err),
                     TC_OK);
    /* Not start, end, today, deviceid (preloads) nor intro (a note). */
    assert_int_equal(n, 4);
    assert_string_equal(cols[0].path, "/data/survey_date");
    assert_int_equal(cols[0].kind, TC_WEB_VALUE_DATE);
    assert_string_equal(cols[1].path, "/data/collector_name");
    assert_string_equal(cols[2].path, "/data/collector_unit");
    assert_string_equal(cols[3].path, "/data/consent");
    assert_int_equal(cols[3].kind, TC_WEB_VALUE_SELECT_ONE);
    assert_string_equal(tc_web_column_display(&cols[3], "yes", arena), "Có");
    assert_string_equal(tc_web_column_display(&cols[3], "maybe", arena), "maybe");
    assert_string_equal(tc_web_column_display(&cols[0], "2026-11-20", arena), "20/11/2026");
    assert_null(tc_web_column_display(&cols[0], NULL, arena));
    tc_arena_destroy(arena);
    free(xml);
}

static void
detail_columns_mark_protected_fields_and_repeats(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_arena *arena = tc_arena_create(65536);
    struct tc_web_column *cols = NULL;
    const struct tc_web_column *c;
    size_t len = 0, n = 0;
    char *xml = read_form(&len);

    (void)state;
    assert_int_equal(tc_web_xform_columns((const unsigned char *)xml, len, (size_t)-1,
                                          TC_WEB_COLUMNS_REPEATS, arena, &cols, &n, &err),
                     TC_OK);
    assert_non_null(c = find(cols, n, "/data/respondent/respondent_name"));
    assert_true(c->is_protected);
    assert_non_null(c = find(cols, n, "/data/identity/group_name"));
    assert_false(c->is_protected);
    assert_non_null(c = find(cols, n, "/data/roster/member"));
    assert_true(c->is_repeat);
    assert_null(find(cols, n, "/data/roster/member/member_name")); /* inside the repeat */
    assert_null(find(cols, n, "/data/meta/instanceID"));
    assert_non_null(find(cols, n, "/data/start")); /* preloads are kept here */
    tc_arena_destroy(arena);
    free(xml);
}

static void
values_are_found_by_path(void **state)
{
    struct tc_arena *arena = tc_arena_create(4096);
    json_t *v = json_loads("{\"a\": \"x\", \"g\": {\"b\": \"y\", \"e\": \"\", \"n\": null},"
                           " \"r\": [{\"c\": \"1\"}, {\"c\": \"2\"}]}",
                           0, NULL);

    (void)state;
    assert_non_null(v);
    assert_string_equal(tc_web_value_at(v, "/data/a", arena), "x");
    assert_string_equal(tc_web_value_at(v, "/data/g/b", arena), "y");
    assert_null(tc_web_value_at(v, "/data/g/e", arena));
    assert_null(tc_web_value_at(v, "/data/g/n", arena));
    assert_null(tc_web_value_at(v, "/data/missing/b", arena));
    assert_null(tc_web_value_at(v, "/data/a/deeper", arena));
    assert_string_equal(tc_web_value_at(v, "/data/r", arena), "[{\"c\":\"1\"},{\"c\":\"2\"}]");
    assert_null(tc_web_value_at(NULL, "/data/a", arena));
    json_decref(v);
    tc_arena_destroy(arena);
}

static void
a_broken_form_is_refused_with_its_line(void **state)
{
    static const char xml[] = "<?xml version=\"1.0\"?>\n<h:html "
                              "xmlns:h=\"http://www.w3.org/1999/xhtml\">\n<h:head>\n</h:html>\n";
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_arena *arena = tc_arena_create(4096);
    struct tc_web_column *cols = NULL;
    size_t n = 0;

    (void)state;
    assert_int_equal(tc_web_xform_columns((const unsigned char *)xml, sizeof(xml) - 1, 4, 0, arena,
                                          &cols, &n, &err),
                     TC_EINVAL);
    assert_non_null(strstr(err.msg, "4"));
    tc_arena_destroy(arena);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_columns_are_the_first_answers),
        cmocka_unit_test(detail_columns_mark_protected_fields_and_repeats),
        cmocka_unit_test(values_are_found_by_path),
        cmocka_unit_test(a_broken_form_is_refused_with_its_line),
    };

    return cmocka_run_group_tests_name("web_xform", tests, NULL, NULL);
}
