#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "form/form_internal.h"
#include "tincay/arena.h"
#include "tincay/form.h"

/* A model for jr:choice-name, instance() and version(). */
static const char form_xml[] =
    "<h:html xmlns=\"http://www.w3.org/2002/xforms\" xmlns:h=\"http://www.w3.org/1999/xhtml\" "
    "xmlns:jr=\"http://openrosa.org/javarosa\" xmlns:odk=\"http://www.opendatakit.org/xforms\">"
    "<h:head><model><itext>"
    "<translation lang=\"English (en)\"><text id=\"c-b\"><value>Bee</value></text></translation>"
    "<translation lang=\"Tiếng Việt (vi)\"><text id=\"c-b\"><value>Bê</value></text></translation>"
    "</itext><instance><data id=\"xp\" version=\"9\"><s/></data></instance>"
    "<instance id=\"list\"><root><item><name>a</name><label>Ay</label></item>"
    "<item><name>b</name><label>Bee</label></item></root></instance></model></h:head>"
    "<h:body><select1 ref=\"/data/s\"><label>S</label>"
    "<item><label ref=\"jr:itext('c-b')\"/><value>b</value></item></select1></h:body></h:html>";

/* The document expressions run over. */
static const char doc_xml[] =
    "<data><a>x y z</a><n>3.14159</n><d>2024-02-29</d><r><v>1</v></r><r><v>5</v></r>"
    "<r><v>3</v></r><empty/></data>";

struct row {
    const char *context; /* absolute path of the context node; NULL: the root */
    const char *expr;
    const char *expected; /* NULL: the expression fails */
};

static const struct row rows[] = {
    {NULL, "selected(/data/a, 'y')", "true"},
    {NULL, "selected(/data/a, 'w')", "false"},
    {NULL, "selected(/data/a, ' z ')", "true"},
    {NULL, "selected(/data/empty, '')", "false"},
    {NULL, "jr:selected(/data/a, 'x')", "true"},
    {NULL, "count-selected(/data/a)", "3"},
    {NULL, "count-selected(/data/empty)", "0"},
    {NULL, "selected-at(/data/a, 1)", "y"},
    {NULL, "selected-at(/data/a, 5)", ""},
    {NULL, "selected-at(/data/a, -1)", ""},
    {NULL, "jr:choice-name('b', '/data/s')", "Bê"},
    {NULL, "jr:choice-name('q', '/data/s')", ""},
    {NULL, "regex('0912345678', '^0[0-9]{9}$')", "true"},
    {NULL, "regex('091234567', '^0[0-9]{9}$')", "false"},
    {NULL, "regex('abc', '[')", "false"},
    {NULL, "coalesce(/data/empty, 'b')", "b"},
    {NULL, "coalesce('a', 'b')", "a"},
    {NULL, "if(1 > 0, 'yes', 'no')", "yes"},
    {NULL, "if(false(), 'yes', 'no')", "no"},
    {NULL, "if(true(), /data/r/v, 0)", "1"},
    {NULL, "concat('a', 'b', 'c')", "abc"},
    {NULL, "substr('Hà Nội', 0, 2)", "Hà"},
    {NULL, "substr('abc', 1)", "bc"},
    {NULL, "substr('abc', 5)", ""},
    {NULL, "substr('abc', -3, 99)", "abc"},
    {NULL, "substr('abc', 2, 1)", ""},
    {NULL, "string-length('Hà')", "2"},
    {NULL, "contains('abc', 'b')", "true"},
    {NULL, "starts-with('abc', 'ab')", "true"},
    {NULL, "ends-with('abc.jpg', '.jpg')", "true"},
    {NULL, "ends-with('a', 'abc')", "false"},
    {NULL, "date('2024-02-29')", "2024-02-29"},
    {NULL, "date('2023-02-29')", ""},
    {NULL, "date(0)", "1970-01-01"},
    {NULL, "date(19782)", "2024-02-29"},
    {NULL, "date(1e300)", ""},
    {NULL, "date-time(0.5)", "1970-01-01T12:00:00.000Z"},
    {NULL, "decimal-date-time('1970-01-02T06:00:00Z')", "1.25"},
    {NULL, "decimal-date-time('1970-01-01T07:00:00+07:00')", "0"},
    {NULL, "decimal-date-time('not a date')", "NaN"},
    {NULL, "decimal-time('12:00:00Z')", "0.5"},
    {NULL, "decimal-time('25:99')", "NaN"},
    {NULL, "format-date('2024-02-29', '%d/%m/%Y')", "29/02/2024"},
    {NULL, "format-date(/data/d, '%e %b %y %a')", "29 Feb 24 Thu"},
    {NULL, "format-date('2024-02-29T13:05:09Z', '%H:%M:%S')", "13:05:09"},
    {NULL, "format-date('garbage', '%Y')", ""},
    {NULL, "regex(today(), '^[0-9]{4}-[0-9]{2}-[0-9]{2}$')", "true"},
    {NULL, "regex(now(), '^[0-9]{4}-[0-9]{2}-[0-9]{2}T')", "true"},
    {NULL, "int(-3.7)", "-3"},
    {NULL, "int('12abc')", "NaN"},
    {NULL, "round(2.5)", "3"},
    {NULL, "round(-2.5)", "-3"},
    {NULL, "round(3.14159, 2)", "3.14"},
    {NULL, "round(1234, -2)", "1200"},
    {NULL, "pow(2, 10)", "1024"},
    {NULL, "abs(-4)", "4"},
    {NULL, "sqrt(16)", "4"},
    {NULL, "log10(1000)", "3"},
    {NULL, "exp10(2)", "100"},
    {NULL, "round(pi(), 4)", "3.1416"},
    {NULL, "min(/data/r/v)", "1"},
    {NULL, "max(/data/r/v, 7)", "7"},
    {NULL, "min(/data/r/v, 'x')", "NaN"},
    {NULL, "max(/data/nothing)", "NaN"},
    {NULL, "sum(/data/r/v)", "9"},
    {NULL, "count(/data/r)", "3"},
    {NULL, "position(/data/r[2])", "2"},
    {"/data/r[3]/v", "position(..)", "3"},
    {NULL, "boolean-from-string('true')", "true"},
    {NULL, "boolean-from-string('1')", "true"},
    {NULL, "boolean-from-string('yes')", "false"},
    {NULL, "number('12.5')", "12.5"},
    {NULL, "not(true())", "false"},
    {NULL, "true() and not(false())", "true"},
    {NULL, "normalize-space('  a  b ')", "a b"},
    {NULL, "translate('abc', 'abc', 'ABC')", "ABC"},
    {NULL, "join(', ', /data/r/v)", "1, 5, 3"},
    {NULL, "join('-', 'a', 'b')", "a-b"},
    {NULL, "string-length(uuid())", "36"},
    {NULL, "substr(uuid(), 14, 15)", "4"},
    {"/data/empty", "once('new')", "new"},
    {"/data/a", "once('new')", "x y z"},
    {"/data/a", "current()/../n", "3.14159"},
    {NULL, "instance('list')/root/item[name = 'b']/label", "Bee"},
    {NULL, "count(instance('list')/root/item)", "2"},
    {NULL, "count(instance('nope')/root/item)", "0"},
    {NULL, "round(distance('0 0;0 1'))", "111319"},
    {NULL, "round(area('0 0;0 0.001;0.001 0.001;0.001 0;0 0'))", "12392"},
    {NULL, "distance('garbage')", "0"},
    {NULL, "checklist(1, 2, true(), false(), true())", "true"},
    {NULL, "checklist(-1, 1, true(), true())", "false"},
    {NULL, "indexed-repeat(/data/r/v, /data/r, 2)", "5"},
    {NULL, "indexed-repeat(/data/r/v, /data/r, 9)", ""},
    {NULL, "version()", "9"},
    {NULL, "odk:count-selected('a b')", "2"},
    {NULL, "selected('a')", NULL},
    {NULL, "round()", NULL},
    {NULL, "no-such-function(1)", NULL},
    {NULL, "1 +", NULL},
};

static void
functions_return_the_expected_strings(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_form_model *model = NULL;
    struct tc_arena *arena = tc_arena_create(4096);
    xmlDocPtr doc = xmlReadMemory(doc_xml, (int)strlen(doc_xml), "doc.xml", NULL, XML_PARSE_NONET);
    struct tc_xpath_env env = {.arena = arena, .now = 1700000000};
    xmlXPathContextPtr ctx;
    int failures = 0;

    (void)state;
    assert_int_equal(tc_form_load(form_xml, strlen(form_xml), &model, &err), TC_OK);
    assert_non_null(doc);
    env.model = model;
    env.lang_index = tc_form_lang_index(model, TC_LANG_VI);
    assert_int_equal(env.lang_index, 1);
    ctx = tc_xpath_context_new(doc, &env);
    assert_non_null(ctx);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        xmlNodePtr node = xmlDocGetRootElement(doc);
        char *got;

        if (rows[i].context != NULL) {
            xmlXPathObjectPtr at = xmlXPathEval(X(rows[i].context), ctx);
            assert_non_null(at);
            assert_int_equal(at->nodesetval->nodeNr, 1);
            node = at->nodesetval->nodeTab[0];
            xmlXPathFreeObject(at);
        }
        got = tc_xpath_string(ctx, node, rows[i].expr, arena);
        if ((got == NULL) != (rows[i].expected == NULL) ||
            (got != NULL && strcmp(got, rows[i].expected) != 0)) {
            print_error("%s → \"%s\", expected \"%s\"\n", rows[i].expr, got ? got : "(error)",
                        rows[i].expected ? rows[i].expected : "(error)");
            failures++;
        }
    }
    assert_int_equal(failures, 0);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    tc_form_model_free(model);
    tc_arena_destroy(arena);
}

static void
booleans_report_failure_as_minus_one(void **state)
{
    xmlDocPtr doc = xmlReadMemory(doc_xml, (int)strlen(doc_xml), "doc.xml", NULL, XML_PARSE_NONET);
    struct tc_xpath_env env = {.now = 0};
    xmlXPathContextPtr ctx = tc_xpath_context_new(doc, &env);
    xmlNodePtr root = xmlDocGetRootElement(doc);

    (void)state;
    assert_int_equal(tc_xpath_bool(ctx, root, "/data/n > 3"), 1);
    assert_int_equal(tc_xpath_bool(ctx, root, "/data/n > 4"), 0);
    assert_int_equal(tc_xpath_bool(ctx, root, "/data/n >"), -1);
    assert_int_equal(tc_xpath_bool(ctx, root, "jr:choice-name('a', '/data/s') = ''"), -1);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
}

/*
 * With a cache, an expression compiled once still answers for the node it is evaluated at,
 * regex() patterns are told apart, and past the cache's slots (64 expressions, 16 patterns)
 * the answers stay the same.
 */
static void
cached_expressions_answer_as_uncached_ones(void **state)
{
    xmlDocPtr doc = xmlReadMemory(doc_xml, (int)strlen(doc_xml), "doc.xml", NULL, XML_PARSE_NONET);
    struct tc_xpath_env env = {.now = 0, .cache = tc_xpath_cache_new()};
    xmlXPathContextPtr ctx = tc_xpath_context_new(doc, &env);
    xmlXPathObjectPtr rs = xmlXPathEval(X("/data/r/v"), ctx);
    char expr[64], pattern[96];

    (void)state;
    assert_non_null(env.cache);
    assert_non_null(rs);
    assert_int_equal(rs->nodesetval->nodeNr, 3);
    for (int round = 0; round < 3; round++) {
        assert_int_equal(tc_xpath_bool(ctx, rs->nodesetval->nodeTab[0], ". > 3"), 0);
        assert_int_equal(tc_xpath_bool(ctx, rs->nodesetval->nodeTab[1], ". > 3"), 1);
        assert_int_equal(tc_xpath_bool(ctx, rs->nodesetval->nodeTab[0], "regex(., '^[0-4]$')"), 1);
        assert_int_equal(tc_xpath_bool(ctx, rs->nodesetval->nodeTab[1], "regex(., '^[0-4]$')"), 0);
        assert_int_equal(tc_xpath_bool(ctx, rs->nodesetval->nodeTab[1], "regex(., '^[5-9]$')"), 1);
        assert_int_equal(tc_xpath_bool(ctx, rs->nodesetval->nodeTab[1], "regex(., '(')"), 0);
        assert_int_equal(tc_xpath_bool(ctx, rs->nodesetval->nodeTab[1], ". >"), -1);
    }
    for (int i = 0; i < 100; i++) {
        snprintf(expr, sizeof(expr), "/data/n > %d", i);
        assert_int_equal(tc_xpath_bool(ctx, rs->nodesetval->nodeTab[0], expr), i <= 3 ? 1 : 0);
        snprintf(pattern, sizeof(pattern), "regex('v%d', '^v%d$') and not(regex('v%d', '^x'))", i,
                 i, i);
        assert_int_equal(tc_xpath_bool(ctx, rs->nodesetval->nodeTab[0], pattern), 1);
    }
    xmlXPathFreeObject(rs);
    xmlXPathFreeContext(ctx);
    tc_xpath_cache_free(env.cache);
    xmlFreeDoc(doc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(functions_return_the_expected_strings),
        cmocka_unit_test(booleans_report_failure_as_minus_one),
        cmocka_unit_test(cached_expressions_answer_as_uncached_ones),
    };

    tc_xml_init();
    return cmocka_run_group_tests_name("xpath_odk", tests, NULL, NULL);
}
