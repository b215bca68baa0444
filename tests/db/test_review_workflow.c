/*
 * The review workflow against a real PostgreSQL, on the demonstration data (tincay demo
 * load): ranking with ties, ceilings and the allocation, who may decide what, levels in
 * order as configured, return for correction, append-only decisions, the public list, the
 * indicators and submission exports without personal data. The tests run in order and
 * build on each other.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testlib.h"
#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/decisions.h"
#include "tincay/demo.h"
#include "tincay/exports.h"
#include "tincay/keyfile.h"
#include "tincay/password.h"
#include "tincay/rules.h"
#include "tincay/table.h"

#define YEAR     2026
#define PASSWORD "demo password for tests"
#define ERA      "post2025"
#define BINH_LU  "03390"

enum { ADMIN, COLLECTOR, HOST, ESCROW, REVIEWER, APPROVER, VIEWER };

struct fixture {
    char conninfo[256];
    struct tc_db_pool *pool;
    struct tc_db_conn *conn;
    struct tc_password_gate *gate;
    struct tc_keyring *ring;
    char key_dir[64], key_file[96];
    struct tc_arena *arena;
    struct tc_demo demo;
};

static int
setup(void **state)
{
    static struct fixture f;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char forms[1024];

    if (tc_test_db_open("review_workflow", 2, f.conninfo, sizeof(f.conninfo), &f.pool, &f.conn) !=
        0)
        return -1;
    snprintf(f.key_dir, sizeof(f.key_dir), "/tmp/tc-review-%ld", (long)getpid());
    snprintf(f.key_file, sizeof(f.key_file), "%s/server.key", f.key_dir);
    f.gate = tc_password_gate_create(1, 60000, TC_PASSWORD_MINIMUM, &err);
    if (f.gate == NULL || tc_keyring_open(f.key_file, true, &f.ring, &err) != TC_OK ||
        tc_demo_load(f.conn, f.gate, f.ring, tc_test_source_path("forms", forms, sizeof(forms)),
                     YEAR, PASSWORD, &f.demo, &err) != TC_OK) {
        fprintf(stderr, "demo: %s: %s\n", err.msg, err.detail);
        return -1;
    }
    *state = &f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    tc_password_gate_destroy(f->gate);
    tc_keyring_close(f->ring);
    unlink(f->key_file);
    rmdir(f->key_dir);
    tc_test_db_close(f->conninfo, f->pool, f->conn);
    return 0;
}

static int
per_test_setup(void **state)
{
    struct fixture *f = *state;

    f->arena = tc_arena_create(1u << 16);
    return f->arena ? 0 : -1;
}

static int
per_test_teardown(void **state)
{
    struct fixture *f = *state;

    tc_arena_destroy(f->arena);
    return 0;
}

/* ---- helpers ---- */

static const char *
scalar(struct fixture *f, const char *sql)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_result *res;

    if (tc_db_exec_dynamic(f->conn, sql, 0, NULL, f->arena, &res, &err) != TC_OK)
        fail_msg("%s: %s", sql, err.detail);
    assert_int_equal(tc_db_rows(res), 1);
    return tc_db_is_null(res, 0, 0) ? "" : tc_db_value(res, 0, 0);
}

static void
sql(struct fixture *f, const char *text)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    if (tc_db_exec_simple(f->conn, text, &err) != TC_OK)
        fail_msg("%s: %s", text, err.detail);
}

static size_t
queue(struct fixture *f, const char *code, struct tc_group **groups)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    size_t n;

    if (tc_queue(f->conn, ERA, code, YEAR, f->arena, groups, &n, &err) != TC_OK)
        fail_msg("queue: %s: %s", err.msg, err.detail);
    return n;
}

/* The Bình Lư group numbered `k` (1-based, as in its demo name). */
static const struct tc_group *
binh_lu(struct fixture *f, int k)
{
    struct tc_group *g;
    size_t n = queue(f, BINH_LU, &g);
    char *name = tc_arena_printf(f->arena, "Nhóm sinh kế mẫu Bình Lư %d (DEMO)", k);

    for (size_t i = 0; i < n; i++)
        if (strcmp(g[i].group_name, name) == 0)
            return &g[i];
    fail_msg("no group %s", name);
    return NULL;
}

static enum tc_status
decide(struct fixture *f, int account, enum tc_role role, long long group, const char *kind,
       long long amount, const char *reason, struct tc_error *err)
{
    struct tc_decision_new d = {.submission = group,
                                .has_amount = amount >= 0,
                                .amount = amount,
                                .reason = reason,
                                .actor_id = f->demo.accounts[account].id,
                                .actor_role = role,
                                .actor_login = f->demo.accounts[account].login};

    assert_int_equal(tc_decision_kind_parse(kind, &d.kind, &d.level_kind), 0);
    tc_error_clear(err);
    return tc_decide(f->conn, &d, NULL, err);
}

/* ---- tests ---- */

static void
demo_loads_only_into_an_empty_database(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_demo again;
    char forms[1024];

    assert_int_equal(f->demo.n_groups, TC_DEMO_GROUPS);
    assert_string_equal(scalar(f, "SELECT count(*) FROM scores"), "36");
    assert_string_equal(scalar(f, "SELECT count(DISTINCT source) FROM areas"), "1");
    assert_non_null(strstr(scalar(f, "SELECT min(source) FROM areas"), "not official"));
    assert_non_null(strstr(scalar(f, "SELECT min(legal_basis) FROM norms_current"
                                     " WHERE max_amount IS NOT NULL"),
                           "demo, not official"));
    assert_int_equal(tc_demo_load(f->conn, f->gate, NULL,
                                  tc_test_source_path("forms", forms, sizeof(forms)), YEAR,
                                  PASSWORD, &again, &err),
                     TC_ECONFLICT);
}

static void
queue_ranks_eligible_first_then_by_total_and_tie_breakers(void **state)
{
    struct fixture *f = *state;
    struct tc_group *g;
    size_t n = queue(f, "03408", &g); /* Tân Phong: region I, every gate "outside_area" fails */
    const struct tc_group *one, *twice, *later;

    assert_int_equal(n, 6);
    for (size_t i = 0; i < n; i++) {
        assert_false(g[i].eligible);
        assert_non_null(strstr(g[i].reasons_json, "outside_area"));
    }
    n = queue(f, "03405", &g); /* Tả Lèng has one group without ethnic-minority women */
    for (size_t i = 1; i < n; i++) {
        assert_int_equal(g[i].rank, (int)i + 1);
        assert_true(g[i - 1].eligible >= g[i].eligible);
        if (g[i - 1].eligible == g[i].eligible)
            assert_true(g[i - 1].total >= g[i].total);
    }
    assert_false(g[n - 1].eligible);
    assert_non_null(strstr(g[n - 1].reasons_json, "no_em_women"));
    /* Bình Lư 2 is group 1 doubled, 3 is group 1 surveyed later: equal totals. */
    one = binh_lu(f, 1);
    twice = binh_lu(f, 2);
    later = binh_lu(f, 3);
    assert_true(one->eligible && twice->eligible && later->eligible);
    assert_true(one->total == twice->total && one->total == later->total);
    assert_true(twice->rank < one->rank); /* more ethnic-minority women */
    assert_true(one->rank < later->rank); /* same counts: the earlier survey */
}

static void
amount_over_the_ceiling_is_refused(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    long long id = binh_lu(f, 1)->submission;

    assert_int_equal(
        decide(f, REVIEWER, TC_ROLE_REVIEWER, id, "propose", TC_DEMO_CEILING + 1, NULL, &err),
        TC_EINVAL);
    assert_non_null(strstr(err.msg, "ceiling"));
    assert_int_equal(decide(f, REVIEWER, TC_ROLE_REVIEWER, id, "propose", -1, NULL, &err),
                     TC_EINVAL);
    assert_string_equal(scalar(f, "SELECT count(*) FROM decisions"), "0");
}

static void
amount_over_the_remaining_allocation_is_refused(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    long long id = binh_lu(f, 1)->submission;

    assert_int_equal(tc_allocation_set(f->conn, ERA ":" BINH_LU, YEAR, 1000000, &err), TC_OK);
    assert_int_equal(decide(f, REVIEWER, TC_ROLE_REVIEWER, id, "propose", 1000001, NULL, &err),
                     TC_ECONFLICT);
    assert_non_null(strstr(err.msg, "remaining allocation"));
    assert_int_equal(tc_allocation_set(f->conn, ERA ":" BINH_LU, YEAR, TC_DEMO_ALLOCATION, &err),
                     TC_OK);
}

static void
ineligible_groups_cannot_be_proposed(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_group *g;

    queue(f, "03408", &g);
    assert_int_equal(
        decide(f, REVIEWER, TC_ROLE_REVIEWER, g[0].submission, "propose", 1000, NULL, &err),
        TC_ECONFLICT);
}

static void
collector_cannot_review_their_own_submission(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    /* The demo collector surveyed every group; give them the reviewer's role for a moment. */
    assert_int_equal(decide(f, COLLECTOR, TC_ROLE_REVIEWER, binh_lu(f, 1)->submission, "propose",
                            1000, NULL, &err),
                     TC_EFORBIDDEN);
    assert_non_null(strstr(err.msg, "own submission"));
}

static void
levels_go_in_order_and_by_role(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    long long id = binh_lu(f, 1)->submission;

    assert_int_equal(decide(f, APPROVER, TC_ROLE_APPROVER, id, "approve", 1000, NULL, &err),
                     TC_ECONFLICT);
    assert_non_null(strstr(err.msg, "level 1 (propose) comes next"));
    assert_int_equal(decide(f, APPROVER, TC_ROLE_APPROVER, id, "propose", 1000, NULL, &err),
                     TC_EFORBIDDEN); /* level 1 is the reviewer's */
    assert_int_equal(decide(f, VIEWER, TC_ROLE_VIEWER, id, "propose", 1000, NULL, &err),
                     TC_EFORBIDDEN);
    assert_string_equal(scalar(f, "SELECT count(*) FROM decisions"), "0");
}

static void
proposer_cannot_approve_and_approval_commits_the_amount(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    long long id = binh_lu(f, 2)->submission;
    struct tc_allocation_bar bar;

    assert_int_equal(decide(f, REVIEWER, TC_ROLE_REVIEWER, id, "propose", 50000000, NULL, &err),
                     TC_OK);
    assert_string_equal(binh_lu(f, 2)->state, "in_progress");
    /* The same person with an approver's role (a role changed overnight) is refused. */
    assert_int_equal(decide(f, REVIEWER, TC_ROLE_APPROVER, id, "approve", 50000000, NULL, &err),
                     TC_EFORBIDDEN);
    assert_non_null(strstr(err.msg, "two levels"));
    assert_int_equal(decide(f, APPROVER, TC_ROLE_APPROVER, id, "approve", 45000000, NULL, &err),
                     TC_OK);
    assert_string_equal(binh_lu(f, 2)->state, "approved");
    assert_int_equal(tc_allocation_get(f->conn, ERA, BINH_LU, YEAR, f->arena, &bar, &err), TC_OK);
    assert_int_equal(bar.committed, 45000000);
    assert_int_equal(bar.remaining, TC_DEMO_ALLOCATION - 45000000);
    assert_int_equal(decide(f, APPROVER, TC_ROLE_APPROVER, id, "approve", 1, NULL, &err),
                     TC_ECONFLICT); /* the chain is closed */
    assert_string_equal(scalar(f, "SELECT count(*) FROM audit_log WHERE action IN"
                                  " ('decision.propose', 'decision.approve')"),
                        "2");
}

static void
return_sends_the_survey_back_with_the_comment(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    long long id = binh_lu(f, 4)->submission;
    char *q;

    assert_int_equal(decide(f, REVIEWER, TC_ROLE_REVIEWER, id, "return", -1, "", &err),
                     TC_EINVAL); /* a reason is required */
    assert_int_equal(decide(f, REVIEWER, TC_ROLE_REVIEWER, id, "return", -1,
                            "số hộ nghèo chưa khớp giấy chứng nhận", &err),
                     TC_OK);
    q = tc_arena_printf(f->arena, "SELECT review_state FROM submissions WHERE id = %lld", id);
    assert_string_equal(scalar(f, q), "hasIssues");
    q = tc_arena_printf(f->arena, "SELECT comment FROM review_comments WHERE submission = %lld",
                        id);
    assert_string_equal(scalar(f, q), "số hộ nghèo chưa khớp giấy chứng nhận");
    assert_string_equal(binh_lu(f, 4)->state, "returned");
    /* Corrected, the chain starts again at level 1. */
    assert_int_equal(decide(f, REVIEWER, TC_ROLE_REVIEWER, id, "propose", 1000, NULL, &err), TC_OK);
    assert_int_equal(binh_lu(f, 4)->last_level, 1);
}

static void
reject_needs_a_reason_and_closes_the_chain(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    long long id = binh_lu(f, 5)->submission;

    assert_int_equal(decide(f, REVIEWER, TC_ROLE_REVIEWER, id, "reject", -1, NULL, &err),
                     TC_EINVAL);
    assert_int_equal(decide(f, REVIEWER, TC_ROLE_REVIEWER, id, "reject", -1, "trùng hỗ trợ", &err),
                     TC_OK);
    assert_string_equal(binh_lu(f, 5)->state, "rejected");
    assert_int_equal(decide(f, REVIEWER, TC_ROLE_REVIEWER, id, "propose", 1, NULL, &err),
                     TC_ECONFLICT);
}

static void
levels_follow_the_configuration(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    long long id = binh_lu(f, 1)->submission;

    /* A province that adds a commune People's Committee confirmation after 2025. */
    sql(f, "UPDATE approval_levels SET position = 3 WHERE era = 'post2025' AND position = 2");
    sql(f, "INSERT INTO approval_levels VALUES ('post2025', 2, 'confirm', 'approver',"
           " 'UBND xã xác nhận', 'commune People''s Committee confirms')");
    assert_int_equal(decide(f, REVIEWER, TC_ROLE_REVIEWER, id, "propose", 30000000, NULL, &err),
                     TC_OK);
    assert_int_equal(decide(f, APPROVER, TC_ROLE_APPROVER, id, "approve", 30000000, NULL, &err),
                     TC_ECONFLICT);
    assert_non_null(strstr(err.msg, "level 2 (confirm)"));
    assert_int_equal(decide(f, APPROVER, TC_ROLE_APPROVER, id, "confirm", 30000000, NULL, &err),
                     TC_OK);
    assert_string_equal(binh_lu(f, 1)->state, "in_progress");
    /* The confirming approver cannot also approve: another person must (the escrow account
     * stands in for a second approver). */
    assert_int_equal(decide(f, APPROVER, TC_ROLE_APPROVER, id, "approve", 30000000, NULL, &err),
                     TC_EFORBIDDEN);
    assert_int_equal(decide(f, ESCROW, TC_ROLE_APPROVER, id, "approve", 30000000, NULL, &err),
                     TC_OK);
    assert_string_equal(binh_lu(f, 1)->state, "approved");
}

static void
decisions_are_append_only(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    const char *before = scalar(f, "SELECT count(*) || ':' || sum(amount) FROM decisions");

    assert_int_equal(tc_db_exec_simple(f->conn, "UPDATE decisions SET amount = 0", &err),
                     TC_EINVAL);
    assert_int_equal(tc_db_exec_simple(f->conn, "DELETE FROM decisions", &err), TC_EINVAL);
    assert_int_equal(tc_db_exec_simple(f->conn, "TRUNCATE decisions CASCADE", &err), TC_EINVAL);
    assert_string_equal(scalar(f, "SELECT count(*) || ':' || sum(amount) FROM decisions"), before);
}

static bool
table_has(const struct tc_table *t, const char *needle)
{
    for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
        if (t->cells[i] != NULL && strstr(t->cells[i], needle) != NULL)
            return true;
    return false;
}

static size_t
column(const struct tc_table *t, const char *name)
{
    for (size_t c = 0; c < t->n_cols; c++)
        if (strcmp(t->cells[c], name) == 0)
            return c;
    fail_msg("no column %s", name);
    return 0;
}

static void
exports_hold_no_personal_data(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    const struct tc_export_scope scope = {.commune_era = ERA, .commune_code = BINH_LU};
    struct tc_table **t;
    size_t n, c, m = 0;

    assert_int_equal(
        tc_export_submissions(f->conn, "livelihood_needs", &scope, NULL, f->arena, &t, &n, &err),
        TC_OK);
    assert_true(n >= 3); /* the groups, then repeats: needs, support items, members */
    assert_int_equal(t[0]->n_rows, 1 + 6);
    c = column(t[0], "respondent/respondent_name");
    for (size_t r = 1; r < t[0]->n_rows; r++)
        assert_string_equal(t[0]->cells[r * t[0]->n_cols + c], TC_EXPORT_PROTECTED);
    assert_true(table_has(t[0], "Nhóm sinh kế mẫu Bình Lư 1 (DEMO)"));
    for (size_t i = 0; i < n; i++) {
        assert_false(table_has(t[i], "Người trả lời mẫu"));
        assert_false(table_has(t[i], "Thành viên mẫu"));
        assert_false(table_has(t[i], "0912000"));
        assert_false(table_has(t[i], "0987000"));
        if (strcmp(t[i]->name, "member") == 0) {
            m = i;
            assert_int_equal(t[i]->n_rows, 1 + 6 * 2);
        }
    }
    assert_true(m > 0);
    assert_string_equal(t[m]->cells[t[m]->n_cols + column(t[m], "member_name")],
                        TC_EXPORT_PROTECTED);
    assert_string_equal(t[m]->cells[t[m]->n_cols + column(t[m], "member_sex")], "female");
}

static void
exports_open_personal_values_with_the_key_ring(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    const struct tc_export_scope scope = {.commune_era = ERA, .commune_code = BINH_LU};
    struct tc_table **t;
    size_t n, m = 0;

    assert_int_equal(
        tc_export_submissions(f->conn, "livelihood_needs", &scope, f->ring, f->arena, &t, &n, &err),
        TC_OK);
    assert_true(table_has(t[0], "Người trả lời mẫu"));
    assert_true(table_has(t[0], "0912000"));
    assert_false(table_has(t[0], TC_EXPORT_PROTECTED));
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i]->name, "member") == 0)
            m = i;
    assert_true(m > 0);
    /* Each repetition gets its own values: row 1 is the first member of the first group. */
    assert_non_null(strstr(t[m]->cells[t[m]->n_cols + column(t[m], "member_name")], "-1"));
    assert_non_null(strstr(t[m]->cells[2 * t[m]->n_cols + column(t[m], "member_name")], "-2"));
    assert_true(atoi(scalar(f, "SELECT count(*) FROM submission_protected")) >= 6 * 4);
}

static void
public_list_and_indicators_count_the_approved(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_public_row *rows;
    struct tc_indicator_row *ind;
    size_t n;
    bool found = false;

    assert_int_equal(tc_public_list(f->conn, ERA, BINH_LU, YEAR, f->arena, &rows, &n, &err), TC_OK);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].group_name, "Nhóm sinh kế mẫu Bình Lư 1 (DEMO)");
    assert_int_equal(rows[0].amount, 30000000);
    assert_int_equal(rows[1].amount, 45000000);
    assert_string_equal(rows[0].commune_name, "Xã Bình Lư");
    assert_int_equal(tc_indicators(f->conn, NULL, NULL, f->arena, &ind, &n, &err), TC_OK);
    for (size_t i = 0; i < n; i++) {
        if (ind[i].commune_code == NULL || strcmp(ind[i].commune_code, BINH_LU) != 0)
            continue;
        found = true;
        assert_string_equal(ind[i].month, "2026-03");
        assert_int_equal(ind[i].surveyed, 6);
        assert_int_equal(ind[i].approved, 2);
        assert_int_equal(ind[i].amount_approved, 75000000);
        assert_int_equal(ind[i].ceiling_of_approved, 2 * TC_DEMO_CEILING);
    }
    assert_true(found);
    assert_int_equal(tc_indicators(f->conn, "2026-04-01", NULL, f->arena, &ind, &n, &err), TC_OK);
    assert_int_equal(n, 0);
}

static void
pre2025_groups_are_totalled_in_their_new_commune(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_indicator_row *ind;
    size_t n;
    long long before = 0, after = 0;

    assert_int_equal(tc_indicators(f->conn, NULL, NULL, f->arena, &ind, &n, &err), TC_OK);
    for (size_t i = 0; i < n; i++)
        if (ind[i].commune_code != NULL && strcmp(ind[i].commune_code, "03405") == 0)
            before += ind[i].surveyed;
    /* Re-record one group under the pre-2025 code of Hồ Thầu (03406), which NQ 1670 merged
     * into the new Tả Lèng (03405): it is counted there. */
    sql(f, "UPDATE scores SET commune_era = 'pre2025', commune_code = '03406'"
           " WHERE submission = (SELECT min(submission) FROM scores WHERE commune_code = '03390')");
    assert_int_equal(tc_indicators(f->conn, NULL, NULL, f->arena, &ind, &n, &err), TC_OK);
    for (size_t i = 0; i < n; i++)
        if (ind[i].commune_code != NULL && strcmp(ind[i].commune_code, "03405") == 0)
            after += ind[i].surveyed;
    assert_int_equal(after, before + 1);
}

static long long
cases_of(const struct tc_indicator_row *ind, size_t n, const char *code, bool *suppressed)
{
    for (size_t i = 0; i < n; i++)
        if (ind[i].commune_code != NULL && strcmp(ind[i].commune_code, code) == 0 &&
            (ind[i].cases > 0 || ind[i].cases_suppressed)) {
            *suppressed = ind[i].cases_suppressed;
            return ind[i].cases;
        }
    *suppressed = false;
    return 0;
}

static void
case_counts_are_shown_only_from_five(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_indicator_row *ind;
    size_t n;
    bool suppressed;

    sql(f,
        "INSERT INTO units (code, name, commune_era, commune_code, province_code, public_key)"
        " VALUES ('dctc-bl', 'DEMO', 'post2025', '03390', '12', decode(repeat('00', 32), 'hex')),"
        "        ('dctc-bb', 'DEMO', 'pre2025', '03424', '12', decode(repeat('00', 32), 'hex'))");
    sql(f, "INSERT INTO cases (unit_id, case_code, form_id)"
           " SELECT u.id, 'DC-' || lpad(to_hex(g), 8, '0'), 'dctc_case'"
           "   FROM units u, generate_series(1, 9) g"
           "  WHERE (u.code = 'dctc-bl' AND g <= 4) OR (u.code = 'dctc-bb' AND g > 4)");
    assert_int_equal(tc_indicators(f->conn, NULL, NULL, f->arena, &ind, &n, &err), TC_OK);
    assert_int_equal(cases_of(ind, n, BINH_LU, &suppressed), 0);
    assert_true(suppressed);                                     /* four cases: a small cell */
    assert_int_equal(cases_of(ind, n, "03424", &suppressed), 5); /* pre-2025 Bản Bo → new */
    assert_false(suppressed);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, per_test_setup, per_test_teardown)
        T(demo_loads_only_into_an_empty_database),
        T(queue_ranks_eligible_first_then_by_total_and_tie_breakers),
        T(amount_over_the_ceiling_is_refused),
        T(amount_over_the_remaining_allocation_is_refused),
        T(ineligible_groups_cannot_be_proposed),
        T(collector_cannot_review_their_own_submission),
        T(levels_go_in_order_and_by_role),
        T(proposer_cannot_approve_and_approval_commits_the_amount),
        T(return_sends_the_survey_back_with_the_comment),
        T(reject_needs_a_reason_and_closes_the_chain),
        T(levels_follow_the_configuration),
        T(decisions_are_append_only),
        T(exports_hold_no_personal_data),
        T(exports_open_personal_values_with_the_key_ring),
        T(public_list_and_indicators_count_the_approved),
        T(pre2025_groups_are_totalled_in_their_new_commune),
        T(case_counts_are_shown_only_from_five),
#undef T
    };

    return cmocka_run_group_tests_name("review_workflow", tests, setup, teardown);
}
