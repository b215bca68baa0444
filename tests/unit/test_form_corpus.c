/*
 * Every XForm of the shared corpus (../shared/corpus/xforms) loads, except those that are
 * malformed upstream, which are refused with a message naming the fault; every corpus
 * submission validates against its form.
 */

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "form_fixtures.h"
#include "tincay/arena.h"
#include "tincay/form.h"

/* The forms a strict parser must refuse, and why (see corpus/xforms/SOURCES.md). */
static const struct {
    const char *file, *message;
} expected_refusals[] = {
    {"central-consume-datasets.xml",
     "form is not well-formed XML: line 4: xmlParseEntityRef: no name"},
};

static char corpus_dir[1024];

static const char *
corpus_path(const char *sub, const char *file, char *buf, size_t size)
{
    snprintf(buf, size, "%s/corpus/%s/%s", corpus_dir, sub, file);
    return buf;
}

static int
locate_corpus(void **state)
{
    const char *shared = getenv("TINCAY_SHARED_DIR");
    const char *source = getenv("TINCAY_SOURCE_DIR");

    (void)state;
    if (shared != NULL)
        snprintf(corpus_dir, sizeof(corpus_dir), "%s", shared);
    else
        snprintf(corpus_dir, sizeof(corpus_dir), "%s/../shared",
                 source != NULL ? source : TC_SOURCE_DIR);
    return 0;
}

static struct tc_form_model *
load(const char *file, enum tc_status *status, struct tc_error *err)
{
    char path[1200];
    size_t len;
    char *xml = form_read_file(corpus_path("xforms", file, path, sizeof(path)), &len);
    struct tc_form_model *m = NULL;

    assert_non_null(xml);
    *status = tc_form_load(xml, len, &m, err);
    free(xml);
    return m;
}

static struct tc_form_model *
load_ok(const char *file)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    enum tc_status st;
    struct tc_form_model *m = load(file, &st, &err);

    if (st != TC_OK)
        fail_msg("%s: %s", file, err.msg);
    return m;
}

static void
every_form_loads_or_is_refused_as_expected(void **state)
{
    char path[1200];
    DIR *dir = opendir(corpus_path("xforms", "", path, sizeof(path)));
    struct dirent *e;
    size_t loaded = 0, refused = 0;

    (void)state;
    assert_non_null(dir);
    while ((e = readdir(dir)) != NULL) {
        struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
        const char *expected = NULL;
        enum tc_status st;
        struct tc_form_model *m;
        size_t n = strlen(e->d_name);

        if (n < 5 || strcmp(e->d_name + n - 4, ".xml") != 0)
            continue;
        for (size_t i = 0; i < sizeof(expected_refusals) / sizeof(expected_refusals[0]); i++)
            if (strcmp(expected_refusals[i].file, e->d_name) == 0)
                expected = expected_refusals[i].message;
        m = load(e->d_name, &st, &err);
        if (expected == NULL && st != TC_OK)
            fail_msg("%s refused: %s", e->d_name, err.msg);
        if (expected != NULL) {
            assert_int_equal(st, TC_EINVAL);
            assert_string_equal(err.msg, expected);
            refused++;
            continue;
        }
        assert_true(tc_form_field_count(m) > 0);
        assert_true(tc_form_id(m)[0] != '\0');
        tc_form_model_free(m);
        loaded++;
    }
    closedir(dir);
    assert_int_equal(refused, sizeof(expected_refusals) / sizeof(expected_refusals[0]));
    assert_int_equal(loaded, 39);
}

static void
withrepeat_has_its_repeat(void **state)
{
    struct tc_form_model *m = load_ok("central-withrepeat.xml");
    const struct tc_form_field *child = tc_form_field_find(m, "/data/children/child");

    (void)state;
    assert_true(tc_form_has_repeats(m));
    assert_string_equal(tc_form_version(m), "1.0"); /* orx:version */
    assert_true(child->flags & TC_FIELD_REPEAT);
    assert_true(tc_form_field_find(m, "/data/children/child/age")->flags & TC_FIELD_IN_REPEAT);
    assert_false(tc_form_field_find(m, "/data/age")->flags & TC_FIELD_IN_REPEAT);
    assert_int_equal(tc_form_field_find(m, "/data/children/child/age")->type, TC_TYPE_INT);
    tc_form_model_free(m);
}

static void
itemsets_are_read(void **state)
{
    struct tc_form_model *m = load_ok("central-itemsets.xml");
    const struct tc_form_field *f;

    (void)state;
    assert_int_equal(tc_form_media_count(m), 1);
    assert_string_equal(tc_form_media(m, 0), "itemsets.csv");
    tc_form_model_free(m);

    m = load_ok("webforms-dynamic-itemsets.xml");
    f = tc_form_field_find(m, "/data/g1/state");
    assert_true(f->flags & TC_FIELD_ITEMSET);
    assert_false(f->flags & TC_FIELD_EXTERNAL);
    assert_string_equal(f->control, "select1");
    assert_true(f->n_choices > 40);
    assert_true(strstr(f->itemset_nodeset, "instance(") != NULL);
    tc_form_model_free(m);
}

static void
itext_translations_are_read(void **state)
{
    struct tc_form_model *m = load_ok("webforms-itext-basic.xml");

    (void)state;
    assert_int_equal(tc_form_language_count(m), 2);
    assert_string_equal(tc_form_language(m, 0), "English");
    assert_string_equal(tc_form_language(m, 1), "Español");
    assert_string_equal(tc_form_field_find(m, "/root/q1")->label, "1. Question one");
    tc_form_model_free(m);
}

static void
external_csv_is_a_media_file(void **state)
{
    struct tc_form_model *m = load_ok("javarosa-external-select-csv.xml");
    const struct tc_form_field *f = tc_form_field_find(m, "/data/second");

    (void)state;
    assert_int_equal(tc_form_media_count(m), 1);
    assert_string_equal(tc_form_media(m, 0), "external-data.csv");
    assert_true(f->flags & TC_FIELD_ITEMSET);
    assert_true(f->flags & TC_FIELD_EXTERNAL);
    assert_int_equal(f->n_choices, 0);
    tc_form_model_free(m);
}

static void
question_types_are_read(void **state)
{
    struct tc_form_model *m = load_ok("webforms-all-question-types.xml");
    const struct tc_form_field *f;

    (void)state;
    f = tc_form_field_find(m, "/data/range_question_types/range_decimal");
    assert_string_equal(f->control, "range");
    assert_int_equal(f->type, TC_TYPE_DECIMAL);
    f = tc_form_field_find(m, "/data/other_question_types/rank");
    assert_string_equal(f->control, "rank"); /* odk:rank */
    assert_int_equal(f->n_choices, 4);
    assert_string_equal(tc_form_field_find(m, "/data/other_question_types/my_trigger")->control,
                        "trigger");
    assert_int_equal(tc_form_field_find(m, "/data/media_question_types/audio")->type,
                     TC_TYPE_BINARY);
    assert_int_equal(tc_form_media_count(m), 11);
    tc_form_model_free(m);
}

static void
every_submission_validates_against_its_form(void **state)
{
    char path[1200];
    DIR *dir = opendir(corpus_path("submissions", "", path, sizeof(path)));
    struct dirent *e;
    size_t checked = 0;

    (void)state;
    assert_non_null(dir);
    while ((e = readdir(dir)) != NULL) {
        struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
        char form_file[300];
        const char *dash = strstr(e->d_name, "--");
        struct tc_form_model *m;
        struct tc_arena *arena;
        struct tc_submission *sub = NULL;
        size_t len;
        char *xml;

        if (dash == NULL)
            continue;
        snprintf(form_file, sizeof(form_file), "%.*s.xml", (int)(dash - e->d_name), e->d_name);
        m = load_ok(form_file);
        xml = form_read_file(corpus_path("submissions", e->d_name, path, sizeof(path)), &len);
        arena = tc_arena_create(8192);
        assert_non_null(xml);
        if (tc_submission_parse(xml, len, m, TC_LANG_EN, arena, &sub, &err) != TC_OK)
            fail_msg("%s: %s", e->d_name, err.msg);
        assert_string_equal(sub->form_id, tc_form_id(m));
        assert_true(sub->instance_id[0] != '\0');
        if (sub->n_findings != 0)
            fail_msg("%s: finding at %s: %s", e->d_name, sub->findings[0].path,
                     sub->findings[0].message);
        assert_non_null(sub->values_json);
        tc_arena_destroy(arena);
        free(xml);
        tc_form_model_free(m);
        checked++;
    }
    closedir(dir);
    assert_int_equal(checked, 16);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_form_loads_or_is_refused_as_expected),
        cmocka_unit_test(withrepeat_has_its_repeat),
        cmocka_unit_test(itemsets_are_read),
        cmocka_unit_test(itext_translations_are_read),
        cmocka_unit_test(external_csv_is_a_media_file),
        cmocka_unit_test(question_types_are_read),
        cmocka_unit_test(every_submission_validates_against_its_form),
    };

    tc_xml_init();
    return cmocka_run_group_tests_name("form_corpus", tests, locate_corpus, NULL);
}
