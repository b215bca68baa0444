#ifndef TC_RULES_INTERNAL_H
#define TC_RULES_INTERNAL_H

/* Private to src/rules: the loaded ruleset's layout and the submission document. */

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "form/form_internal.h"
#include "tincay/rules.h"

/* One compiled expression and where it was written. */
struct tc_rule_expr {
    const char *text; /* NULL: absent (optional expressions) */
    xmlXPathCompExprPtr comp;
    long line;
};

struct tc_rule_gate {
    const char *id, *reason, *message_vi, *message_en, *basis;
    struct tc_rule_expr when, test;
};

struct tc_rule_criterion {
    const char *id, *label_vi, *label_en, *basis;
    double max, points; /* `points` for a test criterion */
    struct tc_rule_expr value, test;
};

struct tc_rule_tiebreak {
    const char *id, *label_vi, *label_en;
    bool descending;
    struct tc_rule_expr value;
};

struct tc_rule_norm {
    const char *item;
    struct tc_rule_expr when;
};

struct tc_ruleset {
    struct tc_arena *arena;
    const char *id, *form_id, *root_name, *title_vi, *title_en, *legal_basis;
    int version;
    struct tc_rule_expr key_commune, key_village, key_registration, key_group_name, key_year,
        key_date;
    struct tc_rule_gate *gates;
    size_t n_gates;
    struct tc_rule_criterion *criteria;
    size_t n_criteria;
    struct tc_rule_tiebreak *ties;
    size_t n_ties;
    struct tc_rule_expr need;
    struct tc_rule_norm *norms;
    size_t n_norms;
    double max_total;
};

struct tc_rules_doc {
    xmlDocPtr doc;
    xmlNodePtr root;
};

/* Variables a ruleset may use; score.c's lookup_variable answers every one of them. */
extern const char *const tc_rules_variables[];
extern const size_t tc_rules_variable_count;

struct tc_strbuf;

/*
 * The JSON of a score's parts appended to `sb`. With `texts` false (as stored in scores)
 * gates and points carry ids and figures only: their messages and labels are the ruleset
 * version's, in rulesets.texts.
 */
void tc_score_emit_gates(struct tc_strbuf *sb, const struct tc_score *s, bool texts);
void tc_score_emit_points(struct tc_strbuf *sb, const struct tc_score *s, bool texts);

void tc_score_emit_ties(struct tc_strbuf *sb, const struct tc_score *s);
void tc_score_emit_reasons(struct tc_strbuf *sb, const struct tc_score *s);

/* `s` as a JSON string literal. */
void tc_rules_json_string(struct tc_strbuf *sb, const char *s);

/* Whole đồng, rounded down; 0 for anything not positive. */
long long tc_rules_dong(double x);

#endif /* TC_RULES_INTERNAL_H */
