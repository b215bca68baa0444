/*
 * Rulesets without a database: the shipped Project 8 ruleset on small submissions (every
 * gate, criterion and tie-breaker, table-driven), load errors with their lines, and the
 * recommended-amount arithmetic.
 */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "testlib.h"
#include "tincay/arena.h"
#include "tincay/form.h"
#include "tincay/rules.h"

struct kv {
    const char *group, *name, *value; /* value NULL: leave the field out */
};

/* A group that passes every gate: 81 points (see base_total_is_81). */
static const struct kv base[] = {
    {"", "survey_date", "2026-03-15"},
    {"", "consent", "yes"},
    {"location", "commune", "post2025:03390"},
    {"location", "village_name", "Bản Hon"},
    {"identity", "group_name", "Tổ dệt thổ cẩm"},
    {"identity", "legal_form", "group"},
    {"identity", "year_started", "2020"},
    {"identity", "has_charter", "yes"},
    {"identity", "households_count", "8"},
    {"activity", "ocop_status", "none"},
    {"leadership", "leader_sex", "female"},
    {"leadership", "women_leader", "sole"},
    {"membership", "members_total", "10"},
    {"membership", "members_women", "10"},
    {"membership", "members_em_women", "8"},
    {"membership", "members_poor", "3"},
    {"membership", "members_near_poor", "1"},
    {"membership", "members_female_heads", "1"},
    {"membership", "members_disability", "1"},
    {"membership", "members_survivors", "0"},
    {"membership", "women_share", "1"},
    {"membership", "em_women_share", "0.8"},
    {"membership", "poor_share", "0.4"},
    {"economy", "market_links", "local_market trader"},
    {"economy", "smartphone_members", "6"},
    {"economy", "internet_access", "mobile"},
    {"economy", "sells_online", "no"},
    {"needs", "needs_cost_total", "50000000.0"},
    {"needs", "counterpart_total", "10000000"},
    {"needs", "counterpart_commit", "yes"},
    {"needs", "reporting_commit", "yes"},
    {"support", "p8_supported_before", "no"},
    {"support", "no_duplicate_declared", "yes"},
};

#define MAX_OVERRIDES 6

struct fixture {
    struct tc_form_model *form;
    struct tc_ruleset *rs;
    struct tc_arena *arena;
};

static char *
read_source(const char *rel, size_t *len)
{
    char path[1024];
    FILE *f = fopen(tc_test_source_path(rel, path, sizeof(path)), "rb");
    char *buf;
    long n;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static const char *
value_of(const struct kv *e, const struct kv *ov, size_t n_ov)
{
    for (size_t i = 0; i < n_ov; i++)
        if (strcmp(ov[i].group, e->group) == 0 && strcmp(ov[i].name, e->name) == 0)
            return ov[i].value;
    return e->value;
}

static void
emit(char *out, size_t cap, const char *group, const char *name, const char *value)
{
    size_t len = strlen(out);

    if (value == NULL)
        return;
    if (group[0] != '\0')
        snprintf(out + len, cap - len, "<%s><%s>%s</%s></%s>", group, name, value, name, group);
    else
        snprintf(out + len, cap - len, "<%s>%s</%s>", name, value, name);
}

/* The base submission with overrides (an override may add a field the base lacks). */
static char *
submission(const struct kv *ov, size_t n_ov)
{
    size_t cap = 16384;
    char *out = calloc(1, cap);

    assert_non_null(out);
    strcat(out, "<data id=\"livelihood_needs\" version=\"2026112901\">");
    for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
        emit(out, cap, base[i].group, base[i].name, value_of(&base[i], ov, n_ov));
    for (size_t i = 0; i < n_ov; i++) {
        bool known = false;
        for (size_t j = 0; j < sizeof(base) / sizeof(base[0]); j++)
            known = known || (strcmp(ov[i].group, base[j].group) == 0 &&
                              strcmp(ov[i].name, base[j].name) == 0);
        if (!known)
            emit(out, cap, ov[i].group, ov[i].name, ov[i].value);
    }
    strcat(out, "</data>");
    return out;
}

static struct tc_score_facts
base_facts(void)
{
    return (struct tc_score_facts){
        .area_found = true, .area_verified = true, .area_kv = "III", .area_dbkk = true};
}

static void
score_of(struct fixture *fx, const struct kv *ov, size_t n_ov, const struct tc_score_facts *facts,
         struct tc_score *out)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char *xml = submission(ov, n_ov);
    struct tc_rules_doc *doc = NULL;

    if (tc_rules_doc_from_xml(xml, strlen(xml), &doc, &err) != TC_OK)
        fail_msg("%s", err.msg);
    if (tc_rules_eval(fx->rs, doc, facts, fx->arena, out, &err) != TC_OK)
        fail_msg("%s", err.msg);
    tc_rules_doc_free(doc);
    free(xml);
}

static int
setup(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct fixture *fx = calloc(1, sizeof(*fx));
    size_t flen, rlen;
    char *form = read_source("forms/livelihood_needs.xml", &flen);
    char *rules = read_source("forms/rules/tt55-2023-project8-livelihood.xml", &rlen);

    assert_non_null(fx);
    if (tc_form_load(form, flen, &fx->form, &err) != TC_OK)
        fail_msg("form: %s", err.msg);
    if (tc_ruleset_load(rules, rlen, fx->form, &fx->rs, &err) != TC_OK)
        fail_msg("ruleset: %s", err.msg);
    fx->arena = tc_arena_create(0);
    free(form);
    free(rules);
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *fx = *state;

    tc_ruleset_free(fx->rs);
    tc_form_model_free(fx->form);
    tc_arena_destroy(fx->arena);
    free(fx);
    return 0;
}

static void
shipped_ruleset_loads(void **state)
{
    struct fixture *fx = *state;

    assert_string_equal(tc_ruleset_id(fx->rs), "tt55-2023-project8-livelihood");
    assert_int_equal(tc_ruleset_version(fx->rs), 1);
    assert_string_equal(tc_ruleset_form_id(fx->rs), "livelihood_needs");
    assert_int_equal(tc_ruleset_gate_count(fx->rs), 9);
    assert_int_equal(tc_ruleset_criterion_count(fx->rs), 9);
    assert_int_equal(tc_ruleset_tiebreak_count(fx->rs), 3);
    /* the note's table says 0–100 but its maxima add up to 110 (reported, not changed) */
    assert_true(tc_ruleset_max_total(fx->rs) == 110.0);
    assert_non_null(strstr(tc_ruleset_legal_basis(fx->rs), "TT 55/2023/TT-BTC"));
}

static void
base_total_is_81(void **state)
{
    struct fixture *fx = *state;
    struct tc_score_facts f = base_facts();
    struct tc_score s;

    score_of(fx, NULL, 0, &f, &s);
    assert_true(s.eligible);
    for (size_t i = 0; i < s.n_gates; i++)
        assert_int_not_equal(s.gates[i].outcome, TC_GATE_FAIL);
    assert_true(fabs(s.total - 81.0) < 1e-9);
    assert_string_equal(s.keys.commune_era, "post2025");
    assert_string_equal(s.keys.commune_code, "03390");
    assert_string_equal(s.keys.village_name, "Bản Hon");
    assert_int_equal(s.keys.year, 2026);
    assert_string_equal(s.keys.norm_item, "P8-C2-LIVELIHOOD-GROUP");
    assert_true(s.keys.has_need && s.keys.need == 40000000.0);
}

struct gate_case {
    const char *name;
    struct kv ov[MAX_OVERRIDES];
    size_t n_ov;
    int facts;          /* 0 base, 1 unverified area, 2 KV II no ĐBKK, 3 registry duplicate,
                           4 counterpart required */
    const char *gate;   /* the gate expected to fail, NULL: all pass */
    const char *reason; /* its reason code */
};

static const struct gate_case gate_cases[] = {
    {"no consent", {{"", "consent", "no"}}, 1, 0, "consent", "no_consent"},
    {"area unverified", {{0}}, 0, 1, "area_verified", "area_not_verified"},
    {"area KV II without ĐBKK", {{0}}, 0, 2, "area", "outside_area"},
    {"male head, women 40%",
     {{"leadership", "leader_sex", "male"}, {"membership", "women_share", "0.4"}},
     2,
     0,
     "women_owned",
     "not_women_owned"},
    {"male head, women 60% of a group",
     {{"leadership", "leader_sex", "male"}, {"membership", "women_share", "0.6"}},
     2,
     0,
     NULL,
     NULL},
    {"male head of a THT, women 60%, capital 40%",
     {{"leadership", "leader_sex", "male"},
      {"membership", "women_share", "0.6"},
      {"identity", "legal_form", "tht"},
      {"identity", "registered", "yes"},
      {"capital", "capital_women_share", "0.4"}},
     5,
     0,
     "women_owned",
     "not_women_owned"},
    {"group without charter",
     {{"identity", "has_charter", "no"}},
     1,
     0,
     "group_form",
     "invalid_group_form"},
    {"group of 2 households",
     {{"identity", "households_count", "2"}},
     1,
     0,
     "group_form",
     "invalid_group_form"},
    {"THT not registered",
     {{"identity", "legal_form", "tht"}, {"identity", "registered", "no"}},
     2,
     0,
     "group_form",
     "invalid_group_form"},
    {"THT registered",
     {{"identity", "legal_form", "tht"}, {"identity", "registered", "yes"}},
     2,
     0,
     NULL,
     NULL},
    {"HTX of 4",
     {{"identity", "legal_form", "htx"},
      {"identity", "registered", "yes"},
      {"membership", "members_total", "4"}},
     3,
     0,
     "group_form",
     "invalid_group_form"},
    {"no ethnic-minority woman",
     {{"membership", "members_em_women", "0"}},
     1,
     0,
     "em_women",
     "no_em_women"},
    {"no declaration",
     {{"support", "no_duplicate_declared", "no"}},
     1,
     0,
     "no_duplicate_declared",
     "duplicate_not_declared"},
    {"registry duplicate", {{0}}, 0, 3, "no_duplicate_registry", "duplicate_support"},
    {"counterpart required, not committed",
     {{"needs", "counterpart_commit", "no"}},
     1,
     4,
     "counterpart",
     "no_counterpart_commitment"},
    {"counterpart not required, not committed",
     {{"needs", "counterpart_commit", "no"}},
     1,
     0,
     NULL,
     NULL},
};

static struct tc_score_facts
facts_of(int which)
{
    struct tc_score_facts f = base_facts();

    if (which == 1)
        f = (struct tc_score_facts){.area_found = true, .area_kv = ""};
    if (which == 2) {
        f.area_kv = "II";
        f.area_dbkk = false;
    }
    f.registry_duplicate = which == 3;
    f.counterpart_required = which == 4;
    return f;
}

static void
every_gate(void **state)
{
    struct fixture *fx = *state;

    for (size_t i = 0; i < sizeof(gate_cases) / sizeof(gate_cases[0]); i++) {
        const struct gate_case *c = &gate_cases[i];
        struct tc_score_facts f = facts_of(c->facts);
        struct tc_score s;
        size_t failed = 0;

        score_of(fx, c->ov, c->n_ov, &f, &s);
        for (size_t g = 0; g < s.n_gates; g++) {
            if (s.gates[g].outcome != TC_GATE_FAIL)
                continue;
            failed++;
            if (c->gate == NULL || strcmp(s.gates[g].id, c->gate) != 0)
                fail_msg("%s: gate %s failed unexpectedly", c->name, s.gates[g].id);
            assert_string_equal(s.gates[g].reason, c->reason);
        }
        if (failed != (c->gate != NULL ? 1u : 0u))
            fail_msg("%s: %zu gates failed", c->name, failed);
        assert_int_equal(s.eligible, c->gate == NULL);
    }
}

struct points_case {
    const char *name;
    struct kv ov[MAX_OVERRIDES];
    size_t n_ov;
    int facts; /* as in gate_case, plus 5: KV III only, 6: ĐBKK in KV I, 7: registry P8,
                  8: counterpart minimum 10% */
    const char *criterion;
    double points;
};

static const struct points_case points_cases[] = {
    {"em share 0.8", {{0}}, 0, 0, "em_women_share", 20},
    {"em share 1", {{"membership", "em_women_share", "1"}}, 1, 0, "em_women_share", 25},
    {"em share absent", {{"membership", "em_women_share", NULL}}, 1, 0, "em_women_share", 0},
    {"poor share 0.4", {{0}}, 0, 0, "poor_share", 8},
    {"poor share 0.05", {{"membership", "poor_share", "0.05"}}, 1, 0, "poor_share", 1},
    {"ĐBKK in KV III", {{0}}, 0, 0, "area_severity", 15},
    {"KV III only", {{0}}, 0, 5, "area_severity", 10},
    {"ĐBKK in KV I", {{0}}, 0, 6, "area_severity", 8},
    {"KV II, no ĐBKK", {{0}}, 0, 2, "area_severity", 0},
    {"sole woman leader", {{0}}, 0, 0, "sole_woman_leader", 10},
    {"co-leader", {{"leadership", "women_leader", "co"}}, 1, 0, "sole_woman_leader", 0},
    {"vulnerable 2 of 10", {{0}}, 0, 0, "vulnerable_members", 2},
    {"vulnerable, survivors absent",
     {{"membership", "members_survivors", NULL}, {"membership", "members_disability", "4"}},
     2,
     0,
     "vulnerable_members",
     5},
    {"vulnerable capped",
     {{"membership", "members_female_heads", "10"}, {"membership", "members_disability", "10"}},
     2,
     0,
     "vulnerable_members",
     10},
    {"feasible", {{0}}, 0, 0, "feasibility", 10},
    {"no market", {{"economy", "market_links", "none"}}, 1, 0, "feasibility", 5},
    {"started this year", {{"identity", "year_started", "2026"}}, 1, 0, "feasibility", 5},
    {"started last year", {{"identity", "year_started", "2025"}}, 1, 0, "feasibility", 10},
    {"digital 4+3", {{0}}, 0, 0, "digital_fit", 7},
    {"digital all", {{"economy", "sells_online", "yes"}}, 1, 0, "digital_fit", 10},
    {"digital OCOP rated, no internet",
     {{"activity", "ocop_status", "rated"}, {"economy", "internet_access", "none"}},
     2,
     0,
     "digital_fit",
     7},
    {"digital few phones", {{"economy", "smartphone_members", "4"}}, 1, 0, "digital_fit", 3},
    {"counterpart 20%", {{0}}, 0, 0, "counterpart_above_minimum", 4},
    {"counterpart 20% over a 10% minimum", {{0}}, 0, 8, "counterpart_above_minimum", 2},
    {"counterpart 50%",
     {{"needs", "counterpart_total", "25000000"}},
     1,
     0,
     "counterpart_above_minimum",
     5},
    {"counterpart below minimum",
     {{"needs", "counterpart_total", "1000000"}},
     1,
     8,
     "counterpart_above_minimum",
     0},
    {"never P8", {{0}}, 0, 0, "first_p8_support", 5},
    {"P8 before (declared)",
     {{"support", "p8_supported_before", "yes"}},
     1,
     0,
     "first_p8_support",
     0},
    {"P8 before (registry)", {{0}}, 0, 7, "first_p8_support", 0},
};

static void
every_criterion(void **state)
{
    struct fixture *fx = *state;

    for (size_t i = 0; i < sizeof(points_cases) / sizeof(points_cases[0]); i++) {
        const struct points_case *c = &points_cases[i];
        struct tc_score_facts f = facts_of(c->facts < 5 ? c->facts : 0);
        struct tc_score s;
        bool found = false;

        if (c->facts == 5)
            f.area_dbkk = false;
        if (c->facts == 6)
            f.area_kv = "I";
        f.registry_p8 = c->facts == 7;
        f.counterpart_min_share = c->facts == 8 ? 0.1 : 0;
        score_of(fx, c->ov, c->n_ov, &f, &s);
        for (size_t p = 0; p < s.n_points; p++) {
            if (strcmp(s.points[p].id, c->criterion) != 0)
                continue;
            found = true;
            if (fabs(s.points[p].points - c->points) > 1e-9)
                fail_msg("%s: %s gave %g, expected %g", c->name, c->criterion, s.points[p].points,
                         c->points);
            assert_true(s.points[p].points <= s.points[p].max);
        }
        if (!found)
            fail_msg("%s: no criterion %s", c->name, c->criterion);
    }
}

static void
ties_break_in_order(void **state)
{
    struct fixture *fx = *state;
    struct tc_score_facts f = base_facts();
    struct tc_score a, b;
    /* same total: swap shares so points stay equal while counts differ */
    const struct kv more_em[] = {{"membership", "members_em_women", "9"}};
    const struct kv more_poor[] = {{"membership", "members_poor", "5"}};
    const struct kv later[] = {{"", "survey_date", "2026-03-20"}};
    const struct kv not_eligible[] = {{"", "consent", "no"}};

    score_of(fx, NULL, 0, &f, &a);
    score_of(fx, more_em, 1, &f, &b);
    assert_true(a.total == b.total);
    assert_true(tc_score_compare(&b, &a) < 0); /* more ethnic-minority women first */
    score_of(fx, more_poor, 1, &f, &b);
    assert_true(a.total == b.total);
    assert_true(tc_score_compare(&b, &a) < 0); /* then more poor members */
    score_of(fx, later, 1, &f, &b);
    assert_true(a.total == b.total);
    assert_true(tc_score_compare(&a, &b) < 0); /* then the earlier survey */
    assert_int_equal(tc_score_compare(&a, &a), 0);
    score_of(fx, not_eligible, 1, &f, &b);
    assert_true(tc_score_compare(&a, &b) < 0); /* eligible before anything */
}

static void
scoring_is_deterministic_and_json_reads_the_same(void **state)
{
    struct fixture *fx = *state;
    struct tc_score_facts f = base_facts();
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_rules_doc *doc = NULL;
    struct tc_score a, b;
    const char *json = "{\"survey_date\":\"2026-03-15\",\"consent\":\"yes\",\"location\":{"
                       "\"commune\":\"post2025:03390\",\"village_name\":\"Bản Hon\"},"
                       "\"identity\":{\"legal_form\":\"group\",\"year_started\":\"2020\","
                       "\"has_charter\":\"yes\",\"households_count\":\"8\"},"
                       "\"activity\":{\"ocop_status\":\"none\"},"
                       "\"leadership\":{\"leader_sex\":\"female\",\"women_leader\":\"sole\"},"
                       "\"membership\":{\"members_total\":\"10\",\"members_women\":\"10\","
                       "\"members_em_women\":\"8\",\"members_poor\":\"3\","
                       "\"members_near_poor\":\"1\",\"members_female_heads\":\"1\","
                       "\"members_disability\":\"1\",\"members_survivors\":\"0\","
                       "\"women_share\":\"1\",\"em_women_share\":\"0.8\",\"poor_share\":\"0.4\"},"
                       "\"economy\":{\"market_links\":\"local_market trader\","
                       "\"smartphone_members\":\"6\",\"internet_access\":\"mobile\","
                       "\"sells_online\":\"no\"},\"needs\":{\"need\":[{\"need_cost\":\"1\"},"
                       "{\"need_cost\":\"2\"}],\"needs_cost_total\":\"50000000.0\","
                       "\"counterpart_total\":\"10000000\",\"counterpart_commit\":\"yes\","
                       "\"reporting_commit\":\"yes\"},\"support\":{\"p8_supported_before\":\"no\","
                       "\"no_duplicate_declared\":\"yes\"},\"notes\":null}";

    score_of(fx, NULL, 0, &f, &a);
    assert_int_equal(tc_rules_doc_from_json(json, "data", &doc, &err), TC_OK);
    assert_int_equal(tc_rules_eval(fx->rs, doc, &f, fx->arena, &b, &err), TC_OK);
    tc_rules_doc_free(doc);
    assert_true(a.total == b.total && b.eligible);
    assert_string_equal(tc_score_points_json(&a, fx->arena), tc_score_points_json(&b, fx->arena));
    assert_string_equal(tc_score_gates_json(&a, fx->arena), tc_score_gates_json(&b, fx->arena));
    assert_string_equal(tc_score_ties_json(&a, fx->arena), tc_score_ties_json(&b, fx->arena));
    assert_int_equal(tc_rules_doc_from_json("[1]", "data", &doc, &err), TC_EINVAL);
}

static void
recommended_amount_arithmetic(void **state)
{
    struct fixture *fx = *state;
    struct tc_score_facts f = base_facts();
    struct tc_score s;
    const struct tc_money_terms full = {.has_norm_row = true,
                                        .has_ceiling = true,
                                        .has_allocation = true,
                                        .norm_row_id = 7,
                                        .ceiling = 30000000,
                                        .remaining = 100000000};
    struct tc_money_terms t = full;
    const struct kv cheap[] = {{"needs", "needs_cost_total", "12000000"}};
    const struct kv covered[] = {{"needs", "counterpart_total", "60000000"}};
    const char *reasons;

    score_of(fx, NULL, 0, &f, &s); /* need 40,000,000 */
    tc_rules_recommend(&s, &t);
    assert_true(s.has_recommendation && s.recommended == 30000000); /* the norm */
    assert_int_equal(s.reco_reason, TC_RECO_OK);
    t.remaining = 25000000;
    tc_rules_recommend(&s, &t);
    assert_true(s.recommended == 25000000); /* the allocation */
    t.remaining = 0;
    tc_rules_recommend(&s, &t);
    assert_true(s.has_recommendation && s.recommended == 0);
    assert_int_equal(s.reco_reason, TC_RECO_ALLOCATION_EXHAUSTED);
    assert_string_equal(tc_reco_reason_message(s.reco_reason),
                        "allocation of the commune and year is exhausted");
    t = full;
    t.has_ceiling = false;
    tc_rules_recommend(&s, &t);
    assert_false(s.has_recommendation);
    assert_int_equal(s.reco_reason, TC_RECO_NORM_NOT_SET);
    assert_string_equal(tc_reco_reason_message(s.reco_reason), "norm amount not set");
    reasons = tc_score_reasons_json(&s, fx->arena);
    assert_non_null(strstr(reasons, "\"recommendation\":\"norm_not_set\""));
    assert_non_null(strstr(reasons, "\"ceiling\":null"));
    assert_non_null(strstr(reasons, "\"need\":40000000"));
    t = full;
    t.has_allocation = false;
    tc_rules_recommend(&s, &t);
    assert_false(s.has_recommendation);
    assert_int_equal(s.reco_reason, TC_RECO_NO_ALLOCATION);
    t = full;
    t.has_norm_row = false;
    tc_rules_recommend(&s, &t);
    assert_int_equal(s.reco_reason, TC_RECO_NO_NORM_ITEM);

    score_of(fx, cheap, 1, &f, &s); /* need 2,000,000: the need */
    tc_rules_recommend(&s, &full);
    assert_true(s.recommended == 2000000);
    score_of(fx, covered, 1, &f, &s);
    tc_rules_recommend(&s, &full);
    assert_true(s.has_recommendation && s.recommended == 0);
    assert_int_equal(s.reco_reason, TC_RECO_NEED_COVERED);

    f.area_verified = false;
    score_of(fx, NULL, 0, &f, &s);
    tc_rules_recommend(&s, &full);
    assert_false(s.has_recommendation);
    assert_int_equal(s.reco_reason, TC_RECO_NOT_ELIGIBLE);
}

/* A minimal valid ruleset with one line replaced, to test one refusal each. */
static const char mini_head[] = "<ruleset id=\"t\" version=\"1\" form=\"livelihood_needs\">\n"
                                "<title lang=\"vi\">T</title><title lang=\"en\">T</title>\n"
                                "<legal-basis>B</legal-basis>\n"
                                "<keys commune=\"/data/location/commune\" year=\"2026\"/>\n"
                                "<gates>\n"; /* the gate is line 6 */
static const char mini_tail[] = "</gates>\n<ceiling need=\"1\"><norm item=\"N\"/></ceiling>\n"
                                "</ruleset>\n";

struct load_case {
    const char *gate_line; /* the text of line 6 */
    const char *message;   /* expected substring of the error */
};

static const struct load_case load_cases[] = {
    {"<gate id=\"g\" reason=\"r\" test=\"/data/consent = \"><message lang=\"vi\">a</message>"
     "<message lang=\"en\">a</message></gate>",
     "line 6: expression \"/data/consent = \" does not compile"},
    {"<gate id=\"g\" reason=\"r\" test=\"/data/identity/nope = 1\"><message lang=\"vi\">a</message>"
     "<message lang=\"en\">a</message></gate>",
     "line 6: field \"/data/identity/nope\" is not in form \"livelihood_needs\""},
    {"<gate id=\"g\" reason=\"r\" test=\"count(/data/support/support_item[support_yeer = 2024]) = "
     "0\">"
     "<message lang=\"vi\">a</message><message lang=\"en\">a</message></gate>",
     "line 6: field \"/data/support/support_item/support_yeer\" is not in form"},
    {"<gate id=\"g\" reason=\"r\" test=\"membership/members_totl &gt; 1\">"
     "<message lang=\"vi\">a</message><message lang=\"en\">a</message></gate>",
     "line 6: field \"/data/membership/members_totl\" is not in form"},
    {"<gate id=\"g\" reason=\"r\" test=\"/data/respondent/respondent_name != ''\">"
     "<message lang=\"vi\">a</message><message lang=\"en\">a</message></gate>",
     "line 6: field \"/data/respondent/respondent_name\" is protected"},
    {"<gate id=\"g\" reason=\"r\" test=\"frobnicate(/data/consent)\"><message "
     "lang=\"vi\">a</message>"
     "<message lang=\"en\">a</message></gate>",
     "line 6: unknown function \"frobnicate\""},
    {"<gate id=\"g\" reason=\"r\" test=\"today() &gt; /data/survey_date\"><message "
     "lang=\"vi\">a</message>"
     "<message lang=\"en\">a</message></gate>",
     "line 6: function \"today\" is not allowed"},
    {"<gate id=\"g\" reason=\"r\" test=\"$area_class = 'III'\"><message lang=\"vi\">a</message>"
     "<message lang=\"en\">a</message></gate>",
     "line 6: unknown variable \"$area_class\""},
    {"<gate id=\"g\" reason=\"r\" test=\"//consent = 'yes'\"><message lang=\"vi\">a</message>"
     "<message lang=\"en\">a</message></gate>",
     "line 6: \"//\" is not allowed"},
    {"<gate reason=\"r\" test=\"true()\"><message lang=\"vi\">a</message>"
     "<message lang=\"en\">a</message></gate>",
     "line 6: <gate> needs an id"},
    {"<gate id=\"g\" test=\"true()\"><message lang=\"vi\">a</message>"
     "<message lang=\"en\">a</message></gate>",
     "line 6: gate \"g\" needs a reason code"},
    {"<gate id=\"g\" reason=\"r\" test=\"true()\"><message lang=\"vi\">a</message></gate>",
     "line 6: <gate> needs a <message lang=\"vi\"> and a <message lang=\"en\">"},
    {"<gate id=\"g\" reason=\"r\" test=\"true()\"><message lang=\"vi\">a</message>"
     "<message lang=\"en\">a</message></gate><gate id=\"g\" reason=\"r\" test=\"true()\">"
     "<message lang=\"vi\">a</message><message lang=\"en\">a</message></gate>",
     "line 6: id \"g\" is used twice"},
    {"<gate id=\"g\" reason=\"r\" test=\"true()\"><message lang=\"vi\">a</message>",
     "ruleset is not well-formed"},
};

static void
load_errors_name_the_line(void **state)
{
    struct fixture *fx = *state;

    for (size_t i = 0; i < sizeof(load_cases) / sizeof(load_cases[0]); i++) {
        struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
        struct tc_ruleset *rs = NULL;
        char xml[4096];

        snprintf(xml, sizeof(xml), "%s%s\n%s", mini_head, load_cases[i].gate_line, mini_tail);
        assert_int_equal(tc_ruleset_load(xml, strlen(xml), fx->form, &rs, &err), TC_EINVAL);
        assert_null(rs);
        if (strstr(err.msg, load_cases[i].message) == NULL)
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg, load_cases[i].message);
    }
}

static void
load_errors_of_the_header(void **state)
{
    struct fixture *fx = *state;
    static const char *const docs[][2] = {
        {"<ruleset version=\"1\" form=\"livelihood_needs\"/>", "line 1: <ruleset> needs an id"},
        {"<ruleset id=\"x\" form=\"livelihood_needs\"/>", "needs a version"},
        {"<ruleset id=\"x\" version=\"1\" form=\"other\"/>", "is for form \"other\""},
        {"<!DOCTYPE r [<!ENTITY e \"x\">]><ruleset/>", "must not have a DOCTYPE"},
        {"<ruleset id=\"x\" version=\"1\" form=\"livelihood_needs\">\n<title lang=\"vi\">a</title>"
         "<title lang=\"en\">a</title></ruleset>",
         "line 1: the ruleset needs a <legal-basis>"},
    };

    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
        struct tc_ruleset *rs = NULL;

        assert_int_equal(tc_ruleset_load(docs[i][0], strlen(docs[i][0]), fx->form, &rs, &err),
                         TC_EINVAL);
        if (strstr(err.msg, docs[i][1]) == NULL)
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg, docs[i][1]);
    }
}

static void
texts_are_json_with_the_proposal_marked(void **state)
{
    struct fixture *fx = *state;
    const char *text = tc_ruleset_texts_json(fx->rs, fx->arena);
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);

    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "gates")), 9);
    assert_int_equal(json_array_size(json_object_get(j, "criteria")), 9);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(j, "gates"), 1), "reason")),
                        "area_not_verified");
    assert_non_null(strstr(json_string_value(json_object_get(
                               json_array_get(json_object_get(j, "criteria"), 4), "basis")),
                           "đề xuất của huyện / the district's proposal"));
    json_decref(j);
}

/* The values JSON reader: what it builds, and what it refuses. */
static void
values_json_becomes_the_instance(void **state)
{
    struct fixture *fx = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_rules_doc *doc = NULL;
    struct tc_score s;
    struct tc_score_facts f = base_facts();
    static const char *const bad[] = {
        "",
        "[]",
        "{",
        "{\"a\":}",
        "{\"a\":\"x}",
        "{\"a\":\"\\u00\"}",
        "{\"a\":\"\\ud800\"}",
        "{\"a\":\"\\u0000\"}",
        "{\"1a\":\"x\"}",
        "{\"a\":1} x",
        "{\"a\":tru e}",
        "{\"a\":<b/>}",
        "{\"a\":\"\x01\"}",
    };
    /* escapes, a surrogate pair, numbers, null, nested arrays of objects */
    const char *json = "{\"location\":{\"commune\":\"post2025:03390\",\"village_name\":"
                       "\"B\\u1ea3n \\\"Hon\\\" \\ud83d\\ude00\"},\"survey_date\":\"2026-03-15\","
                       "\"needs\":{\"need\":[{\"need_cost\":3},{\"need_cost\":4.5}],"
                       "\"needs_cost_total\":7.5,\"counterpart_total\":null}}";

    assert_int_equal(tc_rules_doc_from_json(json, "data", &doc, &err), TC_OK);
    assert_int_equal(tc_rules_eval(fx->rs, doc, &f, fx->arena, &s, &err), TC_OK);
    tc_rules_doc_free(doc);
    assert_string_equal(s.keys.village_name, "Bản \"Hon\" \xf0\x9f\x98\x80");
    assert_true(s.keys.has_need && s.keys.need == 7.5); /* null counterpart reads as 0 */
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (tc_rules_doc_from_json(bad[i], "data", &doc, &err) != TC_EINVAL)
            fail_msg("accepted %s", bad[i]);
        assert_null(doc);
    }
}

static void
names_normalise(void **state)
{
    struct fixture *fx = *state;

    assert_string_equal(tc_rules_normalize_name("  Bản   HON ", false, fx->arena), "bản hon");
    assert_string_equal(tc_rules_normalize_name("Tổ Đoàn Kết", true, fx->arena), "to doan ket");
    assert_null(tc_rules_normalize_name("\xff\xfe", false, fx->arena));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shipped_ruleset_loads),
        cmocka_unit_test(base_total_is_81),
        cmocka_unit_test(every_gate),
        cmocka_unit_test(every_criterion),
        cmocka_unit_test(ties_break_in_order),
        cmocka_unit_test(scoring_is_deterministic_and_json_reads_the_same),
        cmocka_unit_test(recommended_amount_arithmetic),
        cmocka_unit_test(load_errors_name_the_line),
        cmocka_unit_test(load_errors_of_the_header),
        cmocka_unit_test(texts_are_json_with_the_proposal_marked),
        cmocka_unit_test(values_json_becomes_the_instance),
        cmocka_unit_test(names_normalise),
    };

    tc_xml_init();
    return cmocka_run_group_tests_name("rules", tests, setup, teardown);
}
