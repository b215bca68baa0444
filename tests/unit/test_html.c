#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tincay/strbuf.h"
#include "web/html.h"
#include "web/static.h"

static void
text_and_attributes_are_escaped(void **state)
{
    struct tc_strbuf sb = TC_STRBUF_INIT(4096);

    (void)state;
    tc_html_raw(&sb, "<p");
    tc_html_attr(&sb, "title", "\"><script>alert('x')</script>");
    tc_html_attr(&sb, "lang", NULL);
    tc_html_raw(&sb, ">");
    tc_html_text(&sb, "Hà Nội & <b>");
    tc_html_textf(&sb, "%d < %s", 3, "\"4\"");
    tc_html_raw(&sb, "</p>");
    assert_false(tc_strbuf_failed(&sb));
    assert_string_equal(tc_strbuf_str(&sb),
                        "<p title=\"&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;\">"
                        "Hà Nội &amp; &lt;b&gt;3 &lt; &quot;4&quot;</p>");
    tc_strbuf_cleanup(&sb);
}

static void
only_local_and_http_urls_reach_attributes(void **state)
{
    static const char *const unsafe[] = {
        "javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x",
        "//evil.example/",     "/\\evil.example",     "java\tscript:x",
        "vbscript:x",          "relative/path",       "",
    };
    struct tc_strbuf sb = TC_STRBUF_INIT(4096);

    (void)state;
    for (size_t i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++) {
        tc_strbuf_reset(&sb);
        tc_html_url_attr(&sb, "href", unsafe[i]);
        if (strcmp(tc_strbuf_str(&sb), " href=\"#\"") != 0)
            fail_msg("\"%s\" gave %s", unsafe[i], tc_strbuf_str(&sb));
    }
    tc_strbuf_reset(&sb);
    tc_html_url_attr(&sb, "href", "/admin/users?page=2&x=\"");
    assert_string_equal(tc_strbuf_str(&sb), " href=\"/admin/users?page=2&amp;x=&quot;\"");
    tc_strbuf_reset(&sb);
    tc_html_url_attr(&sb, "href", "https://example.org/a");
    assert_string_equal(tc_strbuf_str(&sb), " href=\"https://example.org/a\"");
    tc_strbuf_reset(&sb);
    tc_strbuf_appends(&sb, "/admin/users/");
    tc_html_url_segment(&sb, "a b/c?d");
    assert_string_equal(tc_strbuf_str(&sb), "/admin/users/a%20b%2Fc%3Fd");
    tc_strbuf_cleanup(&sb);
}

static void
static_assets_have_hashed_names(void **state)
{
    char url[128];

    (void)state;
    assert_true(tc_static_assets_count >= 2);
    assert_non_null(tc_static_url("app.css", url, sizeof(url)));
    assert_int_equal(strncmp(url, "/static/app.", 12), 0);
    assert_int_equal(strlen(url), strlen("/static/app.") + 12 + strlen(".css"));
    assert_string_equal(url + strlen(url) - 4, ".css");
    assert_non_null(tc_static_url("app.js", url, sizeof(url)));
    assert_null(tc_static_url("missing.css", url, sizeof(url)));
    assert_null(tc_static_url("app.css", url, 10));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_and_attributes_are_escaped),
        cmocka_unit_test(only_local_and_http_urls_reach_attributes),
        cmocka_unit_test(static_assets_have_hashed_names),
    };

    return cmocka_run_group_tests_name("html", tests, NULL, NULL);
}
