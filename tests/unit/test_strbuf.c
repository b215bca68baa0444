#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tincay/strbuf.h"

static void
appends_and_terminates(void **state)
{
    struct tc_strbuf sb = TC_STRBUF_INIT(1024);
    size_t len;
    char *s;

    (void)state;
    tc_strbuf_appends(&sb, "xã ");
    tc_strbuf_appendf(&sb, "%d/%s", 7, "2025");
    tc_strbuf_appendc(&sb, '!');
    assert_false(tc_strbuf_failed(&sb));
    assert_string_equal(tc_strbuf_str(&sb), "xã 7/2025!");
    s = tc_strbuf_take(&sb, &len);
    assert_string_equal(s, "xã 7/2025!");
    assert_int_equal(len, strlen("xã 7/2025!"));
    free(s);
    assert_null(sb.data);
}

static void
limit_is_sticky(void **state)
{
    struct tc_strbuf sb = TC_STRBUF_INIT(4);

    (void)state;
    tc_strbuf_appends(&sb, "abc");
    assert_false(tc_strbuf_failed(&sb));
    tc_strbuf_appends(&sb, "d"); /* needs 5 bytes with the terminator */
    assert_true(tc_strbuf_failed(&sb));
    tc_strbuf_appends(&sb, "");
    assert_true(tc_strbuf_failed(&sb));
    assert_null(tc_strbuf_take(&sb, NULL));
}

static void
grows_across_many_appends(void **state)
{
    struct tc_strbuf sb = TC_STRBUF_INIT(1 << 20);

    (void)state;
    for (int i = 0; i < 10000; i++)
        tc_strbuf_appendf(&sb, "%04d", i % 10000);
    assert_false(tc_strbuf_failed(&sb));
    assert_int_equal(sb.len, 40000);
    assert_memory_equal(sb.data + 39996, "9999", 4);
    tc_strbuf_cleanup(&sb);
}

static void
escapes_markup(void **state)
{
    struct tc_strbuf sb = TC_STRBUF_INIT(1024);

    (void)state;
    tc_strbuf_append_xml_escaped(&sb, "<a href=\"x\">Tom & 'Jerry'</a>");
    assert_string_equal(tc_strbuf_str(&sb),
                        "&lt;a href=&quot;x&quot;&gt;Tom &amp; &apos;Jerry&apos;&lt;/a&gt;");
    tc_strbuf_reset(&sb);
    tc_strbuf_append_html_escaped(&sb, "it's <b>");
    assert_string_equal(tc_strbuf_str(&sb), "it&#39;s &lt;b&gt;");
    tc_strbuf_reset(&sb);
    tc_strbuf_append_url_escaped(&sb, "Tam Đường/a?b");
    assert_string_equal(tc_strbuf_str(&sb), "Tam%20%C4%90%C6%B0%E1%BB%9Dng%2Fa%3Fb");
    tc_strbuf_cleanup(&sb);
}

static void
take_of_empty_gives_empty_string(void **state)
{
    struct tc_strbuf sb = TC_STRBUF_INIT(16);
    char *s = tc_strbuf_take(&sb, NULL);

    (void)state;
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(appends_and_terminates),           cmocka_unit_test(limit_is_sticky),
        cmocka_unit_test(grows_across_many_appends),        cmocka_unit_test(escapes_markup),
        cmocka_unit_test(take_of_empty_gives_empty_string),
    };

    return cmocka_run_group_tests_name("strbuf", tests, NULL, NULL);
}
