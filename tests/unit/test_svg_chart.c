#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "tincay/strbuf.h"
#include "web/svg_chart.h"

/* The chart parsed as XML (it must be well-formed), and the count of nodes at `xpath`. */
static int
count(const char *svg, const char *xpath)
{
    xmlDocPtr doc = xmlReadMemory(svg, (int)strlen(svg), "chart.svg", "UTF-8", XML_PARSE_NONET);
    xmlXPathContextPtr ctx;
    xmlXPathObjectPtr res;
    int n;

    assert_non_null(doc);
    ctx = xmlXPathNewContext(doc);
    assert_non_null(ctx);
    xmlXPathRegisterNs(ctx, (const xmlChar *)"s", (const xmlChar *)"http://www.w3.org/2000/svg");
    res = xmlXPathEvalExpression((const xmlChar *)xpath, ctx);
    assert_non_null(res);
    n = res->type == XPATH_NUMBER ? (int)res->floatval
        : res->nodesetval != NULL ? res->nodesetval->nodeNr
                                  : 0;
    xmlXPathFreeObject(res);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    return n;
}

static void
numbers_are_written_the_vietnamese_way(void **state)
{
    char out[48];

    (void)state;
    tc_svg_number(0, out);
    assert_string_equal(out, "0");
    tc_svg_number(999, out);
    assert_string_equal(out, "999");
    tc_svg_number(1234567, out);
    assert_string_equal(out, "1.234.567");
    tc_svg_number(57.6, out);
    assert_string_equal(out, "57,6");
    tc_svg_number(1234.25, out);
    assert_string_equal(out, "1.234,3");
    tc_svg_number(-1500, out);
    assert_string_equal(out, "-1.500");
    tc_svg_number(NAN, out);
    assert_string_equal(out, "–");
}

static void
axis_steps_are_round(void **state)
{
    (void)state;
    assert_true(tc_svg_nice_step(10, 5) == 2);
    assert_true(tc_svg_nice_step(63.72, 5) == 20);
    assert_true(tc_svg_nice_step(300000000, 5) == 100000000);
    assert_true(tc_svg_nice_step(7, 5) == 2);
    assert_true(tc_svg_nice_step(0.3, 5) > 0.05 && tc_svg_nice_step(0.3, 5) < 0.2);
    assert_true(tc_svg_nice_step(0, 5) == 1);
    assert_true(tc_svg_nice_step(-3, 5) == 1);
}

static void
one_bar_per_shown_value_with_accessible_names(void **state)
{
    const char *series[] = {"Khảo sát", "Đủ điều kiện", "Được duyệt"};
    const struct tc_svg_group groups[] = {
        {.label = "09/2026", .values = {6, 5, 1}},
        {.label = "10/2026", .values = {4, 3, 0}},
        {.label = "11/2026", .values = {2, 2, 2}, .suppressed = {false, false, true}},
    };
    const struct tc_svg_chart c = {.id = "groups",
                                   .title = "Nhóm theo tháng",
                                   .desc = "Số nhóm khảo sát, đủ điều kiện và được duyệt",
                                   .unit = "nhóm",
                                   .series = series,
                                   .n_series = 3,
                                   .groups = groups,
                                   .n_groups = 3,
                                   .suppressed_text = "< 5"};
    struct tc_strbuf sb = TC_STRBUF_INIT(1 << 20);
    const char *svg;

    (void)state;
    tc_svg_bar_chart(&sb, &c);
    assert_false(tc_strbuf_failed(&sb));
    svg = tc_strbuf_str(&sb);
    assert_int_equal(count(svg, "//s:rect[contains(@class, 'bar')]"), 8);
    assert_int_equal(count(svg, "//s:rect[@class = 'bar s2']"), 2);
    assert_int_equal(count(svg, "//s:text[@class = 'suppressed']"), 1);
    assert_int_equal(count(svg, "//s:text[@class = 'suppressed'][starts-with(., '< 5')]"), 1);
    assert_int_equal(count(svg, "/s:svg[@role = 'img'][@aria-labelledby = 'groups-title "
                                "groups-desc']"),
                     1);
    assert_int_equal(count(svg, "/s:svg/s:title[@id = 'groups-title'][. = 'Nhóm theo tháng']"), 1);
    assert_int_equal(count(svg, "/s:svg/s:desc[@id = 'groups-desc']"), 1);
    assert_int_equal(count(svg, "//s:g[@class = 'legend']/s:text"), 3);
    /* Ticks 0, 2, 4, 6: whole numbers only, since the values are counts. */
    assert_int_equal(count(svg, "//s:text[@class = 'tick']"), 4);
    assert_int_equal(count(svg, "//s:rect/s:title[. = '09/2026 — Khảo sát: 6']"), 1);
    /* The tallest bar reaches the top of the axis, a zero has no height. */
    assert_int_equal(count(svg, "//s:rect[@class = 'bar s1'][@height = '0']"), 0);
    assert_int_equal(count(svg, "//s:rect[@class = 'bar s2'][@height = '0']"), 1);
    assert_null(strstr(svg, "style="));
    assert_null(strstr(svg, "<script"));
    tc_strbuf_cleanup(&sb);
}

static void
labels_and_ids_are_escaped(void **state)
{
    const char *series[] = {"</text><script>alert(1)</script>"};
    const struct tc_svg_group groups[] = {
        {.label = "\"><script>x</script>", .values = {3}},
        {.label = "Sìn Hồ & Tam Đường, a long name of a commune", .values = {1234567.5}},
    };
    const struct tc_svg_chart c = {.id = "x\" onload=\"alert(1)",
                                   .title = "<b>title</b>",
                                   .desc = "a & b",
                                   .series = series,
                                   .n_series = 1,
                                   .groups = groups,
                                   .n_groups = 2};
    struct tc_strbuf sb = TC_STRBUF_INIT(1 << 20);
    const char *svg;

    (void)state;
    tc_svg_bar_chart(&sb, &c);
    svg = tc_strbuf_str(&sb);
    assert_null(strstr(svg, "<script"));
    assert_null(strstr(svg, "<b>"));
    assert_int_equal(count(svg, "/s:svg/s:title[@id = 'xonloadalert1-title']"), 1);
    assert_int_equal(count(svg, "//@*[starts-with(name(), 'on')]"), 0);
    assert_int_equal(count(svg, "//s:rect[@class = 'bar s0']"), 2);
    assert_int_equal(count(svg, "/s:svg/s:title[. = '<b>title</b>']"), 1);
    assert_int_equal(count(svg, "//s:title[contains(., '1.234.567,5')]"), 1);
    /* A label longer than its slot is slanted so that neighbours do not overlap. */
    assert_int_equal(count(svg, "//s:g[@class = 'labels']/s:text[@transform]"), 2);
    tc_strbuf_cleanup(&sb);
}

static void
empty_and_odd_values_still_draw_an_axis(void **state)
{
    const struct tc_svg_group groups[] = {
        {.label = "a", .values = {-5}},
        {.label = "b", .values = {INFINITY}},
    };
    const struct tc_svg_chart none = {.id = "", .title = "t", .desc = "d", .n_series = 0};
    const struct tc_svg_chart odd = {
        .id = "odd", .title = "t", .desc = "d", .n_series = 1, .groups = groups, .n_groups = 2};
    struct tc_strbuf sb = TC_STRBUF_INIT(1 << 20);

    (void)state;
    tc_svg_bar_chart(&sb, &none);
    assert_int_equal(count(tc_strbuf_str(&sb), "//s:rect"), 0);
    assert_true(count(tc_strbuf_str(&sb), "//s:text[@class = 'tick']") >= 2);
    tc_strbuf_reset(&sb);
    tc_svg_bar_chart(&sb, &odd);
    assert_int_equal(count(tc_strbuf_str(&sb), "//s:rect[@height = '0']"), 2);
    tc_strbuf_cleanup(&sb);
}

static void
a_long_legend_wraps_instead_of_losing_a_series(void **state)
{
    const char *series[] = {"Số tiền được phê duyệt trong năm",
                            "Tổng mức tối đa định mức của các nhóm được duyệt", "Tổng mức đề xuất"};
    const struct tc_svg_group groups[] = {{.label = "Bình Lư", .values = {57.6, 80, 236.8}}};
    const struct tc_svg_chart c = {.id = "money",
                                   .title = "t",
                                   .desc = "d",
                                   .series = series,
                                   .n_series = 3,
                                   .groups = groups,
                                   .n_groups = 1};
    struct tc_strbuf sb = TC_STRBUF_INIT(1 << 16);
    const char *svg;

    (void)state;
    tc_svg_bar_chart(&sb, &c);
    svg = tc_strbuf_str(&sb);
    assert_int_equal(count(svg, "//s:g[@class = 'legend']/s:text"), 3);
    /* Two rows at least, and the plot starts under the last one. */
    assert_int_equal(count(svg, "//s:g[@class = 'legend']/s:rect[@y = '4']") < 3, 1);
    assert_int_equal(count(svg, "//s:rect[@class = 'bar s2'][@y > 4 + 18]"), 1);
    assert_int_equal(count(svg, "//s:rect[contains(@class, 'bar')][@y + @height > /s:svg/@height]"),
                     0);
    tc_strbuf_cleanup(&sb);
}

static void
share_bar_fills_its_part(void **state)
{
    struct tc_strbuf sb = TC_STRBUF_INIT(1 << 16);

    (void)state;
    tc_svg_share_bar(&sb, "alloc", "Phân bổ", "Đã cam kết 75.000.000 trên 300.000.000 đồng",
                     75000000, 300000000);
    assert_int_equal(count(tc_strbuf_str(&sb), "//s:rect[@class = 'used'][@width = '150']"), 1);
    assert_int_equal(count(tc_strbuf_str(&sb), "//s:rect[@class = 'rest'][@width = '600']"), 1);
    tc_strbuf_reset(&sb);
    tc_svg_share_bar(&sb, "alloc", "t", "d", 500, 300);
    assert_int_equal(count(tc_strbuf_str(&sb), "//s:rect[@class = 'used'][@width = '600']"), 1);
    tc_strbuf_reset(&sb);
    tc_svg_share_bar(&sb, "alloc", "t", "d", 10, 0);
    assert_int_equal(count(tc_strbuf_str(&sb), "//s:rect[@class = 'used'][@width = '0']"), 1);
    tc_strbuf_cleanup(&sb);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numbers_are_written_the_vietnamese_way),
        cmocka_unit_test(axis_steps_are_round),
        cmocka_unit_test(one_bar_per_shown_value_with_accessible_names),
        cmocka_unit_test(labels_and_ids_are_escaped),
        cmocka_unit_test(empty_and_odd_values_still_draw_an_axis),
        cmocka_unit_test(a_long_legend_wraps_instead_of_losing_a_series),
        cmocka_unit_test(share_bar_fills_its_part),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
