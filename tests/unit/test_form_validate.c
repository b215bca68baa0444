#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "form_fixtures.h"
#include "tincay/arena.h"
#include "tincay/form.h"
#include "tincay/strbuf.h"

struct fixture {
    struct tc_form_model *model;
    char *good;
    size_t good_len;
    struct tc_arena *arena;
};

static int
setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    size_t len;
    char *form = form_fixture("livelihood-survey.xml", &len);

    if (fx == NULL || form == NULL || tc_form_load(form, len, &fx->model, &err) != TC_OK)
        return -1;
    free(form);
    fx->good = form_fixture("livelihood-survey--good.xml", &fx->good_len);
    fx->arena = tc_arena_create(16 * 1024);
    *state = fx;
    return fx->good != NULL && fx->arena != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
    struct fixture *fx = *state;

    tc_form_model_free(fx->model);
    tc_arena_destroy(fx->arena);
    free(fx->good);
    free(fx);
    return 0;
}

/* The good submission with its first `from` replaced by `to` (in the arena). */
static const char *
edit(struct fixture *fx, const char *from, const char *to)
{
    const char *at = strstr(fx->good, from);
    size_t head;

    assert_non_null(at);
    head = (size_t)(at - fx->good);
    return tc_arena_printf(fx->arena, "%.*s%s%s", (int)head, fx->good, to, at + strlen(from));
}

static struct tc_submission *
parse_ok(struct fixture *fx, const char *xml, enum tc_lang lang)
{
    struct tc_error err = TC_ERROR_INIT(lang);
    struct tc_submission *sub = NULL;

    assert_int_equal(tc_submission_parse(xml, strlen(xml), fx->model, lang, fx->arena, &sub, &err),
                     TC_OK);
    assert_non_null(sub);
    return sub;
}

/* Exactly one finding, at `path`, for `rule`, saying `message`. */
static void
one_finding(struct tc_submission *sub, const char *path, const char *rule, const char *message)
{
    for (size_t i = 0; i < sub->n_findings; i++)
        print_message("finding %s %s %s\n", sub->findings[i].path, sub->findings[i].rule,
                      sub->findings[i].message);
    assert_int_equal(sub->n_findings, 1);
    assert_string_equal(sub->findings[0].path, path);
    assert_string_equal(sub->findings[0].rule, rule);
    assert_string_equal(sub->findings[0].message, message);
}

static void
good_submission_has_no_findings_and_nested_values(void **state)
{
    struct fixture *fx = *state;
    struct tc_submission *sub = parse_ok(fx, fx->good, TC_LANG_EN);
    json_error_t jerr;
    json_t *values = json_loads(sub->values_json, 0, &jerr), *members;

    assert_int_equal(sub->n_findings, 0);
    assert_string_equal(sub->root, "survey");
    assert_string_equal(sub->form_id, "livelihood_survey");
    assert_string_equal(sub->version, "2025-01");
    assert_string_equal(sub->instance_id, "uuid:6f1c2a9e-3b7d-4c51-9a0e-2d8f5b7c1e40");
    assert_string_equal(sub->deprecated_id, "");
    assert_non_null(values);
    assert_string_equal(json_string_value(json_object_get(values, "commune")), "02131");
    assert_true(json_is_null(json_object_get(values, "other_activity")));
    members = json_object_get(values, "member");
    assert_true(json_is_array(members));
    assert_int_equal(json_array_size(members), 2);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(members, 1), "member_age")), "17");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(values, "meta"), "instanceID")),
        "uuid:6f1c2a9e-3b7d-4c51-9a0e-2d8f5b7c1e40");
    json_decref(values);

    assert_int_equal(sub->n_attachments, 1);
    assert_string_equal(sub->attachments[0], "to-nhom.jpg");
    assert_int_equal(sub->n_report, 1);
    assert_string_equal(sub->report_values[0].value, "02131");
    assert_int_equal(sub->n_roles, 2);
    assert_int_equal(sub->role_values[0].field->role, TC_FIELD_ROLE_COMMUNE);
    assert_string_equal(sub->role_values[1].value, "Bản Nà Hẩu");
}

static void
protected_values_stay_out_of_the_json(void **state)
{
    struct fixture *fx = *state;
    struct tc_submission *sub = parse_ok(fx, fx->good, TC_LANG_EN);

    assert_null(strstr(sub->values_json, "Lò Thị Mai"));
    assert_null(strstr(sub->values_json, "0912345678"));
    assert_null(strstr(sub->values_json, "member_name"));
    assert_int_equal(sub->n_protected, 4);
    assert_string_equal(sub->protected_values[0].path, "/survey/member[1]/member_name");
    assert_string_equal(sub->protected_values[0].value, "Lò Thị Mai");
    assert_int_equal(sub->protected_values[0].protect, TC_PROTECT_PERSONAL);
    assert_string_equal(sub->protected_values[1].path, "/survey/member[1]/member_phone");
    assert_string_equal(sub->protected_values[3].path, "/survey/member[2]/member_phone");
}

static void
type_faults_are_findings(void **state)
{
    struct fixture *fx = *state;

    one_finding(parse_ok(fx, edit(fx, ">12<", ">twelve<"), TC_LANG_EN), "/survey/members_count",
                "type", "value is not a valid integer");
    one_finding(parse_ok(fx, edit(fx, "2019-03-08", "2019-02-30"), TC_LANG_EN), "/survey/founded",
                "type", "value is not a valid date");
    one_finding(parse_ok(fx, edit(fx, "21.7551 104.3312", "121.7 104.3"), TC_LANG_EN),
                "/survey/location", "type", "value is not a valid geopoint");
    one_finding(parse_ok(fx, edit(fx, "91.5", "9x"), TC_LANG_EN), "/survey/women_share", "type",
                "value is not a valid decimal number");
}

static void
unsafe_attachment_name_is_a_finding_not_an_attachment(void **state)
{
    struct fixture *fx = *state;
    struct tc_submission *sub =
        parse_ok(fx, edit(fx, "to-nhom.jpg", "../../etc/passwd"), TC_LANG_EN);

    one_finding(sub, "/survey/photo", "type", "value is not a valid file name");
    assert_int_equal(sub->n_attachments, 0);
}

static void
required_applies_only_when_relevant(void **state)
{
    struct fixture *fx = *state;

    /* activity "craft": other_activity is not relevant, so its emptiness is fine (good). */
    one_finding(parse_ok(fx, edit(fx, ">craft<", ">other<"), TC_LANG_EN), "/survey/other_activity",
                "required", "this question is required");
    one_finding(parse_ok(fx,
                         edit(fx, "<group_name>Tổ hợp tác dệt thổ cẩm Nà Hẩu</group_name>",
                              "<group_name/>"),
                         TC_LANG_EN),
                "/survey/group_name", "required", "Tên tổ nhóm là bắt buộc"); /* jr:requiredMsg */
    /* Left out altogether is as empty. */
    one_finding(parse_ok(fx, edit(fx, "<group_name>Tổ hợp tác dệt thổ cẩm Nà Hẩu</group_name>", ""),
                         TC_LANG_EN),
                "/survey/group_name", "required", "Tên tổ nhóm là bắt buộc"); /* jr:requiredMsg */
    /* In a repeat, relevance is evaluated at each entry: member 2 is 17, so no phone needed. */
    one_finding(parse_ok(fx, edit(fx, "<member_age>17</member_age>", "<member_age>19</member_age>"),
                         TC_LANG_EN),
                "/survey/member[2]/member_phone", "required", "this question is required");
}

static void
constraints_use_the_forms_message_in_the_language(void **state)
{
    struct fixture *fx = *state;

    one_finding(parse_ok(fx, edit(fx, ">12<", ">60<"), TC_LANG_EN), "/survey/members_count",
                "constraint", "Members must be between 1 and 50");
    one_finding(parse_ok(fx, edit(fx, ">12<", ">60<"), TC_LANG_VI), "/survey/members_count",
                "constraint", "Số thành viên phải từ 1 đến 50");
    one_finding(parse_ok(fx, edit(fx, "91.5", "150"), TC_LANG_EN), "/survey/women_share",
                "constraint", "Share must be a percentage");
    one_finding(parse_ok(fx, edit(fx, "0912345678", "12345"), TC_LANG_EN),
                "/survey/member[1]/member_phone", "constraint",
                "value does not satisfy the form's constraint");
    /* position(..) is the entry's index: 134 > 1 * 100 in the first entry only. */
    one_finding(parse_ok(fx,
                         edit(fx, "<member_age>34</member_age>", "<member_age>134</member_age>"),
                         TC_LANG_EN),
                "/survey/member[1]/member_age", "constraint",
                "value does not satisfy the form's constraint");
    assert_int_equal(parse_ok(fx,
                              edit(fx, "<member_age>17</member_age><member_phone/>",
                                   "<member_age>134</member_age>"
                                   "<member_phone>0987654321</member_phone>"),
                              TC_LANG_EN)
                         ->n_findings,
                     0);
}

static void
date_constraints_compare_dates_as_odk_does(void **state)
{
    struct fixture *fx = *state;
    struct tc_submission *sub;

    one_finding(parse_ok(fx, edit(fx, "2019-03-08", "2099-01-01"), TC_LANG_EN), "/survey/founded",
                "constraint", "Founding date must be between 1990 and today");
    one_finding(parse_ok(fx, edit(fx, "2019-03-08", "1989-12-31"), TC_LANG_EN), "/survey/founded",
                "constraint", "Founding date must be between 1990 and today");
    sub = parse_ok(fx, edit(fx, "2019-03-08", "1990-01-01"), TC_LANG_EN);
    assert_int_equal(sub->n_findings, 0);
    /* The submission is restored after the numeric pass: the JSON keeps the date. */
    sub = parse_ok(fx, edit(fx, "2019-03-08", "2099-01-01"), TC_LANG_EN);
    assert_non_null(strstr(sub->values_json, "\"founded\":\"2099-01-01\""));
}

static void
repeat_positions_hold_with_many_entries(void **state)
{
    struct fixture *fx = *state;
    char *members = tc_arena_strdup(fx->arena, "");
    struct tc_submission *sub;

    /* 20 entries (past the small-sibling scan); the 18th is 1900 > 18 * 100. */
    for (int i = 1; i <= 20; i++)
        members = tc_arena_printf(fx->arena, "%s%s", members,
                                  tc_arena_printf(fx->arena,
                                                  "<member><member_name>N</member_name>"
                                                  "<member_age>%d</member_age><member_phone>"
                                                  "0912345678</member_phone></member>",
                                                  i == 18 ? 1900 : 30));
    sub = parse_ok(fx,
                   edit(fx,
                        "<member><member_name>Lò Thị Mai</member_name><member_age>34</member_age>"
                        "<member_phone>0912345678</member_phone></member>",
                        members),
                   TC_LANG_EN);
    one_finding(sub, "/survey/member[18]/member_age", "constraint",
                "value does not satisfy the form's constraint");
    assert_string_equal(sub->protected_values[2 * 19].path, "/survey/member[20]/member_name");
}

static void
many_siblings_cost_linear_time(void **state)
{
    struct fixture *fx = *state;
    size_t n = 200000, len;
    char *xml = malloc(n * 4 + 64);
    struct timespec t0, t1;
    struct tc_submission *sub;

    assert_non_null(xml);
    len = (size_t)sprintf(xml, "<survey id=\"livelihood_survey\">");
    for (size_t i = 0; i < n; i++, len += 4)
        memcpy(xml + len, "<x/>", 4);
    len += (size_t)sprintf(xml + len, "</survey>");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sub = parse_ok(fx, xml, TC_LANG_EN);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 10);
    assert_int_equal(sub->n_findings, 3); /* commune, group_name, activity left out */
    free(xml);
}

static void
huge_submissions_skip_expressions_but_keep_types(void **state)
{
    struct fixture *fx = *state;
    struct tc_strbuf members = TC_STRBUF_INIT(4u << 20);
    struct tc_submission *sub;

    /* 1,300 entries × 4 elements: past the limit; age 1 breaks `. >= 16`, unchecked now. */
    for (int i = 1; i <= 1300; i++)
        tc_strbuf_appendf(&members,
                          "<member><member_name>N</member_name><member_age>%s</member_age>"
                          "<member_phone>0912345678</member_phone></member>",
                          i == 3 ? "x" : "1");
    assert_false(tc_strbuf_failed(&members));
    sub = parse_ok(fx,
                   edit(fx,
                        "<member><member_name>Lò Thị Mai</member_name><member_age>34</member_age>"
                        "<member_phone>0912345678</member_phone></member>",
                        tc_strbuf_str(&members)),
                   TC_LANG_EN);
    one_finding(sub, "/survey/member[3]/member_age", "type", "value is not a valid integer");
    tc_strbuf_cleanup(&members);
}

static void
answers_outside_the_choices_are_findings(void **state)
{
    struct fixture *fx = *state;

    one_finding(parse_ok(fx, edit(fx, ">craft<", ">fishing<"), TC_LANG_EN), "/survey/activity",
                "choice", "value is not one of the question's choices");
    one_finding(parse_ok(fx, edit(fx, "capital market", "capital boats"), TC_LANG_EN),
                "/survey/needs", "choice", "value is not one of the question's choices");
}

/* A village list from a CSV file, as ODK Collect reads it (jr://file-csv/villages.csv). */
static const char village_form[] =
    "<h:html xmlns=\"http://www.w3.org/2002/xforms\" xmlns:h=\"http://www.w3.org/1999/xhtml\">"
    "<h:head><h:title>v</h:title><model>"
    "<instance><data id=\"villages_form\"><commune/><village/><village_text/>"
    "<meta><instanceID/></meta></data></instance>"
    "<instance id=\"villages\" src=\"jr://file-csv/villages.csv\"/>"
    "<bind nodeset=\"/data/commune\" type=\"string\" required=\"true()\"/>"
    "<bind nodeset=\"/data/village\" type=\"select1\""
    " relevant=\"count(instance('villages')/root/item[commune = /data/commune]) &gt; 0\"/>"
    "<bind nodeset=\"/data/village_text\" type=\"string\" required=\"true()\""
    " relevant=\"count(instance('villages')/root/item[commune = /data/commune]) = 0\"/>"
    "</model></h:head><h:body>"
    "<input ref=\"/data/commune\"><label>c</label></input>"
    "<select1 ref=\"/data/village\"><label>v</label>"
    "<itemset nodeset=\"instance('villages')/root/item[commune = /data/commune]\">"
    "<value ref=\"name\"/><label ref=\"label\"/></itemset></select1>"
    "<input ref=\"/data/village_text\"><label>t</label></input>"
    "</h:body></h:html>";

/*
 * The media reader of the test: `ctx` is the file's text (a CSV, or XML when it starts with
 * '<'), or NULL for a form without the file.
 */
static enum tc_status
village_media(void *ctx, const char *name, const unsigned char **bytes, size_t *len,
              struct tc_error *err)
{
    const char *text = ctx;

    (void)err;
    *bytes = NULL;
    *len = 0;
    if (text != NULL && strcmp(name, text[0] == '<' ? "villages.xml" : "villages.csv") == 0) {
        *bytes = ctx;
        *len = strlen(ctx);
    }
    return TC_OK;
}

static struct tc_submission *
village_answer(struct fixture *fx, const char *csv, const char *village, const char *text)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_form_model *model = NULL;
    struct tc_submission *sub = NULL;
    const char *xml =
        tc_arena_printf(fx->arena,
                        "<data id=\"villages_form\"><commune>03390</commune><village>%s</village>"
                        "<village_text>%s</village_text><meta><instanceID>uuid:v</instanceID>"
                        "</meta></data>",
                        village, text);
    char *file = csv != NULL ? tc_arena_strdup(fx->arena, csv) : NULL, *form;
    const char *src = strstr(village_form, "jr://file-csv/villages.csv");

    /* an XML file is named by jr://file/villages.xml */
    form =
        file != NULL && file[0] == '<'
            ? tc_arena_printf(fx->arena, "%.*sjr://file/villages.xml%s", (int)(src - village_form),
                              village_form, src + strlen("jr://file-csv/villages.csv"))
            : tc_arena_strdup(fx->arena, village_form);
    assert_int_equal(tc_form_load_with_media(form, strlen(form), village_media, file, &model, &err),
                     TC_OK);
    assert_int_equal(
        tc_submission_parse(xml, strlen(xml), model, TC_LANG_EN, fx->arena, &sub, &err), TC_OK);
    /* the findings live in the arena; the model may go */
    tc_form_model_free(model);
    return sub;
}

static void
external_csv_instances_are_read_from_the_media(void **state)
{
    struct fixture *fx = *state;
    static const char csv[] = "\xEF\xBB\xBFname,label,commune\r\n"
                              "ban_hon,\"Bản Hon\",03390\r\n"
                              "sin_chai,\"Sin Chải, xã mới\",03400\r\n";

    /* as on the phone: the commune has villages, one is chosen, the free text is not asked */
    assert_int_equal(village_answer(fx, csv, "ban_hon", "")->n_findings, 0);
    /* a village not in the file */
    one_finding(village_answer(fx, csv, "ban_khac", ""), "/data/village", "choice",
                "value is not one of the question's choices");
    /* without the file the commune seems to have no village: the free text seems required */
    one_finding(village_answer(fx, NULL, "ban_hon", ""), "/data/village_text", "required",
                "this question is required");
    /* a file that does not read (unterminated quote) counts as missing, nothing worse */
    one_finding(village_answer(fx, "name,label,commune\nban_hon,\"Bản Hon,03390\n", "ban_hon", ""),
                "/data/village_text", "required", "this question is required");
    /* the same list as an XML file (jr://file/villages.xml) */
    assert_int_equal(village_answer(fx,
                                    "<root><item><name>ban_hon</name><label>Bản Hon</label>"
                                    "<commune>03390</commune></item></root>",
                                    "ban_hon", "")
                         ->n_findings,
                     0);
}

static void
envelope_is_read_without_a_model(void **state)
{
    struct fixture *fx = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_submission *sub = NULL;
    const char *xml = "<data xmlns:orx=\"http://openrosa.org/xforms\" id=\"f\" orx:version=\"3\">"
                      "<orx:meta><orx:instanceID>uuid:b</orx:instanceID>"
                      "<orx:deprecatedID>uuid:a</orx:deprecatedID></orx:meta></data>";

    assert_int_equal(tc_submission_parse(xml, strlen(xml), NULL, TC_LANG_EN, fx->arena, &sub, &err),
                     TC_OK);
    assert_string_equal(sub->form_id, "f");
    assert_string_equal(sub->version, "3");
    assert_string_equal(sub->instance_id, "uuid:b");
    assert_string_equal(sub->deprecated_id, "uuid:a");
    assert_null(sub->values_json);
}

/* `xml` is refused with `status` in well under a second, with `needle` in the message. */
static void
refused(struct fixture *fx, const char *xml, size_t len, enum tc_status status, const char *needle)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_submission *sub = NULL;
    struct timespec t0, t1;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(tc_submission_parse(xml, len, fx->model, TC_LANG_EN, fx->arena, &sub, &err),
                     status);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_null(sub);
    assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 500);
    if (strstr(err.msg, needle) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
}

static void
structural_faults_are_bad_requests(void **state)
{
    struct fixture *fx = *state;
    static const char xxe[] = "<?xml version=\"1.0\"?>\n<!DOCTYPE survey [\n"
                              "<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
                              "<survey id=\"livelihood_survey\"><commune>&xxe;</commune></survey>";
    static const char laughs[] =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">"
        "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
        "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"
        "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">"
        "<!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">"
        "<!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">"
        "<!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">"
        "<!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">"
        "<!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">]>"
        "<survey id=\"livelihood_survey\"><commune>&lol9;</commune></survey>";
    static const char bad_utf8[] = "<survey id=\"livelihood_survey\"><commune>\xc3\x28</commune>"
                                   "</survey>";
    static const char wrong_form[] = "<data id=\"other_form\"><a>1</a></data>";
    static const char broken[] = "<survey id=\"livelihood_survey\"><commune>1</survey>";

    refused(fx, xxe, strlen(xxe), TC_EBADREQ, "submission has a DOCTYPE at line 2");
    refused(fx, laughs, strlen(laughs), TC_EBADREQ, "DOCTYPE");
    refused(fx, bad_utf8, strlen(bad_utf8), TC_EBADREQ,
            "submission is not well-formed XML: line 1");
    refused(fx, wrong_form, strlen(wrong_form), TC_EBADREQ,
            "submission is for form \"other_form\" (root \"data\"), not \"livelihood_survey\"");
    refused(fx, broken, strlen(broken), TC_EBADREQ, "Opening and ending tag mismatch");
    refused(fx, "", 0, TC_EBADREQ, "not well-formed");
    refused(fx, broken, TC_SUBMISSION_MAX_BYTES + 1u, TC_ETOOLARGE, "larger than");
}

static void
confidential_form_keeps_only_report_fields_plain(void **state)
{
    struct fixture *fx = *state;
    static const char form[] =
        "<h:html xmlns=\"http://www.w3.org/2002/xforms\" xmlns:h=\"http://www.w3.org/1999/xhtml\" "
        "xmlns:tc=\"urn:tincay:xforms\"><h:head><model><instance>"
        "<case id=\"dv\" tc:protect=\"confidential\"><month/><victim><name/></victim>"
        "<code/></case></instance>"
        "<bind nodeset=\"/case/month\" type=\"string\" tc:report=\"true\"/>"
        "<bind nodeset=\"/case/code\" type=\"string\" tc:role=\"case-code\"/>"
        "</model></h:head></h:html>";
    static const char xml[] = "<case id=\"dv\"><month>2025-06</month><victim><name>N</name>"
                              "</victim><code>K7Q2</code></case>";
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_form_model *m = NULL;
    struct tc_submission *sub = NULL;

    assert_int_equal(tc_form_load(form, strlen(form), &m, &err), TC_OK);
    assert_int_equal(tc_submission_parse(xml, strlen(xml), m, TC_LANG_EN, fx->arena, &sub, &err),
                     TC_OK);
    /* The case code stays plain: it links follow-ups and identifies nobody. */
    assert_string_equal(sub->values_json,
                        "{\"month\":\"2025-06\",\"victim\":{},\"code\":\"K7Q2\"}");
    assert_int_equal(sub->n_protected, 1);
    assert_string_equal(sub->protected_values[0].path, "/case/victim/name");
    assert_int_equal(sub->protected_values[0].protect, TC_PROTECT_CONFIDENTIAL);
    assert_int_equal(sub->n_roles, 1);
    assert_string_equal(sub->role_values[0].value, "K7Q2");
    assert_int_equal(sub->n_report, 1);
    tc_form_model_free(m);
}

struct worker {
    struct fixture *fx;
    const char *xml;
    int failures;
};

/* Many validations of one shared model: each call makes its own XPath context. */
static void *
validate_repeatedly(void *arg)
{
    struct worker *w = arg;

    for (int i = 0; i < 200; i++) {
        struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
        struct tc_arena *arena = tc_arena_create(16 * 1024);
        struct tc_submission *sub = NULL;

        if (arena == NULL ||
            tc_submission_parse(w->xml, strlen(w->xml), w->fx->model, TC_LANG_EN, arena, &sub,
                                &err) != TC_OK ||
            sub->n_findings != 1 || strcmp(sub->findings[0].rule, "constraint") != 0)
            w->failures++;
        tc_arena_destroy(arena);
    }
    return NULL;
}

static void
one_model_serves_many_threads(void **state)
{
    struct fixture *fx = *state;
    struct worker workers[4];
    pthread_t threads[4];
    const char *xml = edit(fx, ">12<", ">60<");

    for (int i = 0; i < 4; i++) {
        workers[i] = (struct worker){.fx = fx, .xml = xml};
        assert_int_equal(pthread_create(&threads[i], NULL, validate_repeatedly, &workers[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_int_equal(workers[i].failures, 0);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_submission_has_no_findings_and_nested_values),
        cmocka_unit_test(protected_values_stay_out_of_the_json),
        cmocka_unit_test(type_faults_are_findings),
        cmocka_unit_test(unsafe_attachment_name_is_a_finding_not_an_attachment),
        cmocka_unit_test(required_applies_only_when_relevant),
        cmocka_unit_test(constraints_use_the_forms_message_in_the_language),
        cmocka_unit_test(date_constraints_compare_dates_as_odk_does),
        cmocka_unit_test(repeat_positions_hold_with_many_entries),
        cmocka_unit_test(many_siblings_cost_linear_time),
        cmocka_unit_test(huge_submissions_skip_expressions_but_keep_types),
        cmocka_unit_test(answers_outside_the_choices_are_findings),
        cmocka_unit_test(external_csv_instances_are_read_from_the_media),
        cmocka_unit_test(envelope_is_read_without_a_model),
        cmocka_unit_test(structural_faults_are_bad_requests),
        cmocka_unit_test(confidential_form_keeps_only_report_fields_plain),
        cmocka_unit_test(one_model_serves_many_threads),
    };

    tc_xml_init();
    return cmocka_run_group_tests_name("form_validate", tests, setup, teardown);
}
