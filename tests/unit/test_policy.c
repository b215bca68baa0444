#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testlib.h"
#include "tincay/policy.h"
#include "tincay/strbuf.h"

static bool
is_case_action(enum tc_action a)
{
    return strncmp(tc_action_name(a), "case.", 5) == 0;
}

static void
names_round_trip(void **state)
{
    (void)state;
    for (int r = 0; r < TC_ROLE_COUNT; r++) {
        enum tc_role parsed;
        int rc = tc_role_parse(tc_role_name((enum tc_role)r), &parsed);

        if (r == TC_ROLE_APP_USER) {
            assert_int_equal(rc, -1); /* never an account's role */
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(parsed, r);
    }
    for (int a = 0; a < TC_ACTION_COUNT; a++) {
        enum tc_action parsed;

        assert_non_null(tc_action_name((enum tc_action)a));
        assert_int_equal(tc_action_parse(tc_action_name((enum tc_action)a), &parsed), 0);
        assert_int_equal(parsed, a);
    }
    for (int s = 0; s < TC_SCOPE_COUNT; s++)
        for (int t = s + 1; t < TC_SCOPE_COUNT; t++)
            assert_string_not_equal(tc_scope_name((enum tc_scope)s),
                                    tc_scope_name((enum tc_scope)t));

    enum tc_role role;
    enum tc_action action;
    assert_int_equal(tc_role_parse("Admin", &role), -1);
    assert_int_equal(tc_role_parse("root", &role), -1);
    assert_int_equal(tc_role_parse("", &role), -1);
    assert_int_equal(tc_action_parse("case", &action), -1);
    assert_int_equal(tc_action_parse("case.read ", &action), -1);
    assert_string_equal(tc_role_name(TC_ROLE_COUNT), "unknown");
    assert_string_equal(tc_action_name(TC_ACTION_COUNT), "unknown");
    assert_int_equal(tc_policy_scope(TC_ROLE_COUNT, TC_ACT_FORM_LIST), TC_SCOPE_DENIED);
    assert_int_equal(tc_policy_scope(TC_ROLE_ADMIN, TC_ACTION_COUNT), TC_SCOPE_DENIED);
    assert_int_equal(tc_policy_scope((enum tc_role) - 1, TC_ACT_FORM_LIST), TC_SCOPE_DENIED);
}

/* Case data: hosts (their unit) and escrow (their province); a unit's phone only writes. */
static void
only_hosts_and_escrow_touch_cases(void **state)
{
    (void)state;
    for (int r = 0; r < TC_ROLE_COUNT; r++) {
        for (int a = 0; a < TC_ACTION_COUNT; a++) {
            enum tc_scope s = tc_policy_scope((enum tc_role)r, (enum tc_action)a);

            if (!is_case_action((enum tc_action)a))
                continue;
            switch (r) {
            case TC_ROLE_HOST: assert_int_equal(s, TC_SCOPE_UNIT); break;
            case TC_ROLE_ESCROW:
                assert_int_equal(s, a == TC_ACT_CASE_CREATE || a == TC_ACT_CASE_FOLLOWUP
                                        ? TC_SCOPE_DENIED
                                        : TC_SCOPE_PROVINCE);
                break;
            case TC_ROLE_APP_USER:
                assert_int_equal(s, a == TC_ACT_CASE_CREATE || a == TC_ACT_CASE_FOLLOWUP
                                        ? TC_SCOPE_UNIT
                                        : TC_SCOPE_DENIED);
                break;
            default:
                if (s != TC_SCOPE_DENIED)
                    fail_msg("%s may %s", tc_role_name((enum tc_role)r),
                             tc_action_name((enum tc_action)a));
            }
        }
    }
}

/* Nothing is granted beyond what a role needs; the widest grants are administrative. */
static void
admin_manages_but_reads_no_data(void **state)
{
    static const enum tc_action admin_only[] = {TC_ACT_FORM_MANAGE,    TC_ACT_USER_MANAGE,
                                                TC_ACT_APPUSER_MANAGE, TC_ACT_UNIT_MANAGE,
                                                TC_ACT_AUDIT_READ,     TC_ACT_NORMS_MANAGE};
    static const enum tc_action data[] = {
        TC_ACT_SUBMISSION_READ,   TC_ACT_SUBMISSION_EXPORT, TC_ACT_SUBMISSION_READ_PERSONAL,
        TC_ACT_SUBMISSION_REVIEW, TC_ACT_SCORE_READ,        TC_ACT_REPORT_READ,
        TC_ACT_ESCROW_RECOVER,    TC_ACT_UNIT_INVITE,       TC_ACT_DECISION_APPROVE};

    (void)state;
    for (size_t i = 0; i < sizeof(admin_only) / sizeof(admin_only[0]); i++)
        for (int r = 0; r < TC_ROLE_COUNT; r++)
            assert_int_equal(tc_policy_scope((enum tc_role)r, admin_only[i]) != TC_SCOPE_DENIED,
                             r == TC_ROLE_ADMIN);
    for (size_t i = 0; i < sizeof(data) / sizeof(data[0]); i++)
        assert_int_equal(tc_policy_scope(TC_ROLE_ADMIN, data[i]), TC_SCOPE_DENIED);
    /* Personal data of group members: reviewers in their area, nobody else. */
    for (int r = 0; r < TC_ROLE_COUNT; r++)
        assert_int_equal(tc_policy_scope((enum tc_role)r, TC_ACT_SUBMISSION_READ_PERSONAL),
                         r == TC_ROLE_REVIEWER ? TC_SCOPE_COMMUNE : TC_SCOPE_DENIED);
}

static void
host_sees_own_unit_only(void **state)
{
    struct tc_policy_subject host = {
        .user_id = 7, .unit_id = 3, .commune = "04048", .province = "12"};
    struct tc_policy_subject no_unit = {.user_id = 8, .commune = "04048", .province = "12"};
    struct tc_policy_object own = {.unit_id = 3, .commune = "04048", .province = "12"};
    struct tc_policy_object other = {.unit_id = 4, .commune = "04048", .province = "12"};
    struct tc_policy_object far = {.unit_id = 9, .commune = "01234", .province = "01"};

    (void)state;
    for (int a = 0; a < TC_ACTION_COUNT; a++) {
        if (!is_case_action((enum tc_action)a))
            continue;
        assert_true(tc_policy_allows(TC_ROLE_HOST, (enum tc_action)a, &host, &own));
        assert_false(tc_policy_allows(TC_ROLE_HOST, (enum tc_action)a, &host, &other));
        assert_false(tc_policy_allows(TC_ROLE_HOST, (enum tc_action)a, &host, &far));
        assert_false(tc_policy_allows(TC_ROLE_HOST, (enum tc_action)a, &no_unit, &own));
        assert_false(tc_policy_allows(TC_ROLE_HOST, (enum tc_action)a, &host, NULL));
        assert_false(tc_policy_allows(TC_ROLE_HOST, (enum tc_action)a, NULL, &own));
        /* The same person as a reviewer of the commune gets nothing of the case. */
        assert_false(tc_policy_allows(TC_ROLE_REVIEWER, (enum tc_action)a, &host, &own));
        assert_false(tc_policy_allows(TC_ROLE_ADMIN, (enum tc_action)a, &host, &own));
    }
}

static void
escrow_sees_own_province_only(void **state)
{
    struct tc_policy_subject escrow = {.user_id = 2, .province = "12"};
    struct tc_policy_subject nowhere = {.user_id = 5, .province = ""};
    struct tc_policy_object here = {.unit_id = 3, .commune = "04048", .province = "12"};
    struct tc_policy_object there = {.unit_id = 3, .commune = "00001", .province = "01"};
    struct tc_policy_object unplaced = {.unit_id = 3};

    (void)state;
    assert_true(tc_policy_allows(TC_ROLE_ESCROW, TC_ACT_CASE_READ, &escrow, &here));
    assert_true(tc_policy_allows(TC_ROLE_ESCROW, TC_ACT_ESCROW_RECOVER, &escrow, &here));
    assert_true(tc_policy_allows(TC_ROLE_ESCROW, TC_ACT_UNIT_INVITE, &escrow, &here));
    assert_false(tc_policy_allows(TC_ROLE_ESCROW, TC_ACT_CASE_READ, &escrow, &there));
    assert_false(tc_policy_allows(TC_ROLE_ESCROW, TC_ACT_CASE_READ, &escrow, &unplaced));
    assert_false(tc_policy_allows(TC_ROLE_ESCROW, TC_ACT_CASE_READ, &nowhere, &here));
    assert_false(tc_policy_allows(TC_ROLE_ESCROW, TC_ACT_CASE_CREATE, &escrow, &here));
    assert_false(tc_policy_allows(TC_ROLE_ESCROW, TC_ACT_SUBMISSION_READ, &escrow, &here));
}

static void
area_scopes_of_reviewers(void **state)
{
    struct tc_policy_subject commune = {.user_id = 4, .commune = "04048", .province = "12"};
    struct tc_policy_subject province = {.user_id = 5, .province = "12"};
    struct tc_policy_object in_commune = {.owner_id = 9, .commune = "04048", .province = "12"};
    struct tc_policy_object next_door = {.owner_id = 9, .commune = "04051", .province = "12"};
    struct tc_policy_object elsewhere = {.owner_id = 9, .commune = "00001", .province = "01"};

    (void)state;
    assert_true(tc_policy_allows(TC_ROLE_REVIEWER, TC_ACT_SUBMISSION_READ, &commune, &in_commune));
    assert_false(tc_policy_allows(TC_ROLE_REVIEWER, TC_ACT_SUBMISSION_READ, &commune, &next_door));
    assert_true(tc_policy_allows(TC_ROLE_APPROVER, TC_ACT_DECISION_APPROVE, &province, &next_door));
    assert_false(
        tc_policy_allows(TC_ROLE_APPROVER, TC_ACT_DECISION_APPROVE, &province, &elsewhere));
    assert_false(
        tc_policy_allows(TC_ROLE_APPROVER, TC_ACT_DECISION_PROPOSE, &province, &next_door));
    assert_true(tc_policy_allows(TC_ROLE_VIEWER, TC_ACT_REPORT_READ, &commune, &in_commune));
    assert_false(tc_policy_allows(TC_ROLE_VIEWER, TC_ACT_SUBMISSION_READ, &commune, &in_commune));
}

static void
collector_reads_own_submissions(void **state)
{
    struct tc_policy_subject me = {.user_id = 11, .commune = "04048", .province = "12"};
    struct tc_policy_subject nobody = {.user_id = 0};
    struct tc_policy_object mine = {.owner_id = 11, .commune = "04048", .province = "12"};
    struct tc_policy_object theirs = {.owner_id = 12, .commune = "04048", .province = "12"};
    struct tc_policy_object anywhere = {.commune = "00001", .province = "01", .form_id = 5};

    (void)state;
    assert_true(tc_policy_allows(TC_ROLE_COLLECTOR, TC_ACT_SUBMISSION_READ, &me, &mine));
    assert_false(tc_policy_allows(TC_ROLE_COLLECTOR, TC_ACT_SUBMISSION_READ, &me, &theirs));
    assert_false(tc_policy_allows(TC_ROLE_COLLECTOR, TC_ACT_SUBMISSION_READ, &nobody, &theirs));
    assert_true(tc_policy_allows(TC_ROLE_COLLECTOR, TC_ACT_SUBMISSION_CREATE, &me, &anywhere));
    assert_true(tc_policy_allows(TC_ROLE_COLLECTOR, TC_ACT_FORM_LIST, &me, NULL));
    assert_false(tc_policy_allows(TC_ROLE_COLLECTOR, TC_ACT_SUBMISSION_READ, &me, NULL));
}

static void
app_user_held_to_assigned_forms(void **state)
{
    static const int64_t forms[] = {5, 6};
    struct tc_policy_subject phone = {.forms = forms, .n_forms = 2};
    struct tc_policy_subject unit_phone = {.unit_id = 3, .forms = forms, .n_forms = 2};
    struct tc_policy_object assigned = {.form_id = 6};
    struct tc_policy_object other = {.form_id = 7};
    struct tc_policy_object unit_case = {.form_id = 5, .unit_id = 3};
    struct tc_policy_object other_unit = {.form_id = 5, .unit_id = 4};
    struct tc_policy_object case_other_form = {.form_id = 8, .unit_id = 3};

    (void)state;
    assert_true(tc_policy_allows(TC_ROLE_APP_USER, TC_ACT_FORM_DOWNLOAD, &phone, &assigned));
    assert_true(tc_policy_allows(TC_ROLE_APP_USER, TC_ACT_SUBMISSION_CREATE, &phone, &assigned));
    assert_false(tc_policy_allows(TC_ROLE_APP_USER, TC_ACT_FORM_DOWNLOAD, &phone, &other));
    assert_false(tc_policy_allows(TC_ROLE_APP_USER, TC_ACT_FORM_LIST, &phone, NULL));
    assert_false(tc_policy_allows(TC_ROLE_APP_USER, TC_ACT_CASE_CREATE, &phone, &unit_case));
    assert_true(tc_policy_allows(TC_ROLE_APP_USER, TC_ACT_CASE_CREATE, &unit_phone, &unit_case));
    assert_false(tc_policy_allows(TC_ROLE_APP_USER, TC_ACT_CASE_CREATE, &unit_phone, &other_unit));
    assert_false(
        tc_policy_allows(TC_ROLE_APP_USER, TC_ACT_CASE_CREATE, &unit_phone, &case_other_form));
    assert_false(tc_policy_allows(TC_ROLE_APP_USER, TC_ACT_CASE_READ, &unit_phone, &unit_case));
}

/* The grid of docs/policy.md, as the table says it must read. */
static char *
policy_grid(void)
{
    struct tc_strbuf sb = TC_STRBUF_INIT(1 << 16);

    tc_strbuf_appends(&sb, "| action |");
    for (int r = 0; r < TC_ROLE_COUNT; r++)
        tc_strbuf_appendf(&sb, " %s |", tc_role_name((enum tc_role)r));
    tc_strbuf_appends(&sb, "\n| --- |");
    for (int r = 0; r < TC_ROLE_COUNT; r++)
        tc_strbuf_appends(&sb, " --- |");
    tc_strbuf_appends(&sb, "\n");
    for (int a = 0; a < TC_ACTION_COUNT; a++) {
        tc_strbuf_appendf(&sb, "| `%s` |", tc_action_name((enum tc_action)a));
        for (int r = 0; r < TC_ROLE_COUNT; r++) {
            enum tc_scope s = tc_policy_scope((enum tc_role)r, (enum tc_action)a);

            tc_strbuf_appendf(&sb, " %s |", s == TC_SCOPE_DENIED ? "·" : tc_scope_name(s));
        }
        tc_strbuf_appends(&sb, "\n");
    }
    return tc_strbuf_take(&sb, NULL);
}

static void
docs_show_the_table(void **state)
{
    char path[1024], *doc, *grid = policy_grid();
    FILE *f = fopen(tc_test_source_path("docs/policy.md", path, sizeof(path)), "r");
    size_t n;
    bool found;

    (void)state;
    assert_non_null(grid);
    assert_non_null(f);
    doc = calloc(1, 1 << 16);
    assert_non_null(doc);
    n = fread(doc, 1, (1 << 16) - 1, f);
    fclose(f);
    assert_true(n > 0);
    found = strstr(doc, grid) != NULL;
    if (!found)
        fprintf(stderr, "docs/policy.md should contain the grid:\n%s", grid);
    free(doc);
    free(grid);
    if (!found)
        fail_msg("docs/policy.md does not show the table of src/core/policy.c");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_round_trip),
        cmocka_unit_test(only_hosts_and_escrow_touch_cases),
        cmocka_unit_test(admin_manages_but_reads_no_data),
        cmocka_unit_test(host_sees_own_unit_only),
        cmocka_unit_test(escrow_sees_own_province_only),
        cmocka_unit_test(area_scopes_of_reviewers),
        cmocka_unit_test(collector_reads_own_submissions),
        cmocka_unit_test(app_user_held_to_assigned_forms),
        cmocka_unit_test(docs_show_the_table),
    };

    return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
