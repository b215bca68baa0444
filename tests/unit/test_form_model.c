#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "form_fixtures.h"
#include "tincay/form.h"

#define HEAD                                                                                       \
    "<?xml version=\"1.0\"?>\n"                                                                    \
    "<h:html xmlns=\"http://www.w3.org/2002/xforms\" xmlns:h=\"http://www.w3.org/1999/xhtml\" "    \
    "xmlns:jr=\"http://openrosa.org/javarosa\" xmlns:tc=\"urn:tincay:xforms\">\n"

/* A minimal form around `instance` (the primary instance root) and `binds`. */
#define FORM(instance, binds)                                                                      \
    HEAD "<h:head><h:title>t</h:title><model><instance>" instance "</instance>\n" binds            \
         "</model></h:head><h:body/></h:html>"

static struct tc_form_model *
load_ok(const char *xml)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_form_model *m = NULL;

    assert_int_equal(tc_form_load(xml, strlen(xml), &m, &err), TC_OK);
    assert_non_null(m);
    return m;
}

/* Loading `xml` fails with `status` and a message containing `needle`. */
static void
refused(const char *xml, enum tc_status status, const char *needle)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_form_model *m = NULL;

    assert_int_equal(tc_form_load(xml, strlen(xml), &m, &err), status);
    assert_null(m);
    if (strstr(err.msg, needle) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
}

static void
fixture_survey_loads_with_everything(void **state)
{
    size_t len;
    char *xml = form_fixture("livelihood-survey.xml", &len);
    struct tc_form_model *m;
    const struct tc_form_field *f;

    (void)state;
    assert_non_null(xml);
    m = load_ok(xml);
    assert_string_equal(tc_form_id(m), "livelihood_survey");
    assert_string_equal(tc_form_version(m), "2025-01");
    assert_string_equal(tc_form_title(m), "Khảo sát tổ nhóm sinh kế");
    assert_string_equal(tc_form_root_name(m), "survey");
    assert_int_equal(tc_form_language_count(m), 2);
    assert_string_equal(tc_form_language(m, 1), "English (en)");
    assert_int_equal(tc_form_media_count(m), 1);
    assert_string_equal(tc_form_media(m, 0), "hoi-lhpn.png");
    assert_true(tc_form_has_repeats(m));
    assert_true(tc_form_has_protected_fields(m));
    assert_false(tc_form_is_confidential(m));

    f = tc_form_field_find(m, "/survey/commune");
    assert_non_null(f);
    assert_int_equal(f->role, TC_FIELD_ROLE_COMMUNE);
    assert_true(f->report);
    assert_true(f->flags & TC_FIELD_REQUIRED);
    assert_string_equal(f->control, "input");
    assert_string_equal(f->label, "Mã xã");

    f = tc_form_field_find(m, "/survey/activity");
    assert_int_equal(f->type, TC_TYPE_SELECT_ONE);
    assert_int_equal(f->n_choices, 4);
    assert_string_equal(f->choices[2].value, "craft");
    assert_string_equal(f->choices[2].label, "Thủ công");
    assert_string_equal(f->choices[2].labels[1], "Handicraft");

    f = tc_form_field_find(m, "/survey/members_count");
    assert_int_equal(f->type, TC_TYPE_INT);
    assert_string_equal(f->constraint_msg, "Số thành viên phải từ 1 đến 50");

    f = tc_form_field_find(m, "/survey/member");
    assert_true(f->flags & TC_FIELD_REPEAT);
    f = tc_form_field_find(m, "/survey/member/member_phone");
    assert_true(f->flags & TC_FIELD_IN_REPEAT);
    assert_true(f->flags & TC_FIELD_RELEVANT);
    assert_int_equal(f->protect, TC_PROTECT_PERSONAL);
    assert_int_equal(tc_form_field_protection(m, f), TC_PROTECT_PERSONAL);
    assert_string_equal(f->label, "Số điện thoại"); /* relative ref inside the repeat */

    f = tc_form_field_find(m, "/survey/meta/instanceID");
    assert_string_equal(f->preload, "uid");
    assert_true(f->flags & TC_FIELD_READONLY);
    assert_null(tc_form_field_find(m, "/survey/nothing"));
    tc_form_model_free(m);
    free(xml);
}

static void
confidential_root_protects_all_but_report_fields_and_the_case_code(void **state)
{
    struct tc_form_model *m =
        load_ok(FORM("<case id=\"dv_case\" tc:protect=\"confidential\"><month/><victim_name/>"
                     "<code/></case>",
                     "<bind nodeset=\"/case/month\" type=\"string\" tc:report=\"true\"/>"
                     "<bind nodeset=\"/case/victim_name\" type=\"string\"/>"
                     "<bind nodeset=\"/case/code\" type=\"string\" tc:role=\"case-code\"/>"));

    (void)state;
    assert_true(tc_form_is_confidential(m));
    assert_true(tc_form_has_protected_fields(m));
    assert_false(tc_form_has_repeats(m));
    assert_int_equal(tc_form_field_protection(m, tc_form_field_find(m, "/case/month")),
                     TC_PROTECT_NONE);
    assert_int_equal(tc_form_field_protection(m, tc_form_field_find(m, "/case/victim_name")),
                     TC_PROTECT_CONFIDENTIAL);
    assert_int_equal(tc_form_field_protection(m, tc_form_field_find(m, "/case/code")),
                     TC_PROTECT_NONE);
    tc_form_model_free(m);
}

static void
prefixed_and_relative_binds_match_their_nodes(void **state)
{
    struct tc_form_model *m = load_ok(
        HEAD "<h:head><model xmlns:orx=\"http://openrosa.org/xforms\"><instance>"
             "<data id=\"x\" orx:version=\"7\"><orx:meta><orx:instanceID/></orx:meta><a/>"
             "<e id=\"\"/></data></instance>"
             "<bind nodeset=\"/data/orx:meta/orx:instanceID\" type=\"string\"/>"
             "<bind nodeset=\"a\" type=\"int\"/><bind nodeset=\"/data/e/@id\" readonly=\"true()\"/>"
             "</model></h:head></h:html>");

    (void)state;
    assert_string_equal(tc_form_version(m), "7");
    assert_int_equal(tc_form_field_find(m, "/data/meta/instanceID")->type, TC_TYPE_STRING);
    assert_int_equal(tc_form_field_find(m, "/data/a")->type, TC_TYPE_INT);
    tc_form_model_free(m);
}

static void
malformed_form_is_refused_with_its_line(void **state)
{
    (void)state;
    refused(HEAD "<h:head>\n<h:title>People & Trees</h:title></h:head></h:html>", TC_EINVAL,
            "not well-formed XML: line 4: xmlParseEntityRef: no name");
    refused("", TC_EINVAL, "not well-formed XML");
    refused(HEAD "<h:head><model><instance><data id=\"x\"></instance></model></h:head></h:html>",
            TC_EINVAL, "line 3: Opening and ending tag mismatch: data line 3 and instance");
}

static void
doctype_and_entities_are_refused(void **state)
{
    (void)state;
    refused("<?xml version=\"1.0\"?>\n<!DOCTYPE h:html>\n" FORM("<data id=\"x\"/>", ""), TC_EINVAL,
            "DOCTYPE at line 2");
    refused("<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
            "<x>&xxe;</x>",
            TC_EINVAL, "DOCTYPE");
}

static void
structural_faults_are_named(void **state)
{
    (void)state;
    refused(HEAD "<h:head><h:title>t</h:title></h:head></h:html>", TC_EINVAL,
            "form has no model element");
    refused(HEAD "<h:head><model><instance/></model></h:head></h:html>", TC_EINVAL,
            "form has no primary instance");
    refused(FORM("<data><a/></data>", ""), TC_EINVAL,
            "primary instance root \"data\" at line 3 has no id attribute");
    refused(FORM("<data id=\"x\"><a/></data>", "<bind nodeset=\"/data/b\" type=\"int\"/>"),
            TC_EINVAL, "bind \"/data/b\" at line 4 matches no node of the primary instance");
    refused(FORM("<data id=\"x\"><a/></data>", "<bind nodeset=\"/data/a\" tc:protect=\"secret\"/>"),
            TC_EINVAL, "has an unknown tc:protect \"secret\"");
    refused(FORM("<data id=\"x\"><a/></data>", "<bind nodeset=\"/data/a\" tc:role=\"province\"/>"),
            TC_EINVAL, "has an unknown tc:role \"province\"");
    refused(FORM("<data id=\"x\" tc:protect=\"personal\"><a/></data>", ""), TC_EINVAL,
            "only \"confidential\" applies to a whole form");
}

static void
oversized_form_is_refused_before_parsing(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_form_model *m = NULL;

    (void)state;
    assert_int_equal(tc_form_load("<x/>", TC_FORM_MAX_BYTES + 1u, &m, &err), TC_ETOOLARGE);
    assert_null(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixture_survey_loads_with_everything),
        cmocka_unit_test(confidential_root_protects_all_but_report_fields_and_the_case_code),
        cmocka_unit_test(prefixed_and_relative_binds_match_their_nodes),
        cmocka_unit_test(malformed_form_is_refused_with_its_line),
        cmocka_unit_test(doctype_and_entities_are_refused),
        cmocka_unit_test(structural_faults_are_named),
        cmocka_unit_test(oversized_form_is_refused_before_parsing),
    };

    tc_xml_init();
    return cmocka_run_group_tests_name("form_model", tests, NULL, NULL);
}
