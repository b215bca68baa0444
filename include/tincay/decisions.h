#ifndef TC_DECISIONS_H
#define TC_DECISIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/policy.h"
#include "tincay/status.h"

struct tc_arena;
struct tc_db_conn;

/*
 * The review workflow of livelihood groups (schema/007_review.sql, docs/review.md): the
 * ranked queue of a commune and year under the active ruleset, the allocation bar, and
 * support decisions taken level by level (approval_levels), append-only and audited in
 * their transaction. A "group" is a scored submission, named by submissions.id. Strings
 * returned live in the caller's arena. Access control by role and area is the caller's
 * (policy.h); the rules of the workflow itself (levels in order, the role of each level,
 * one person per chain, no review of one's own survey, ceilings, allocation) are here.
 */

/* One configured level of an era. */
struct tc_level {
    int position;
    const char *kind; /* "propose", "confirm", "approve" */
    const char *role; /* "reviewer", "approver" */
    const char *body_vi, *body_en;
};

/* The levels of `era` ("pre2025", "post2025") in order. */
enum tc_status tc_levels_list(struct tc_db_conn *conn, const char *era, struct tc_arena *arena,
                              struct tc_level **out, size_t *n_out, struct tc_error *err);

/* The province of commune (era, code); TC_ENOTFOUND for a commune not in the lists. */
enum tc_status tc_commune_province(struct tc_db_conn *conn, const char *era, const char *code,
                                   struct tc_arena *arena, const char **province_out,
                                   struct tc_error *err);

/* An allocation with what approved decisions have committed of it. */
struct tc_allocation_bar {
    const char *era, *commune_code;
    const char *province_code; /* of the commune; NULL when the commune is unknown */
    int year;
    bool has_allocation;
    long long amount, committed, remaining;
};

/* The allocation of commune (era, code) and year; has_allocation false when none is set. */
enum tc_status tc_allocation_get(struct tc_db_conn *conn, const char *era, const char *code,
                                 int year, struct tc_arena *arena, struct tc_allocation_bar *out,
                                 struct tc_error *err);

/* Every allocation (of `year`, or all when 0), by year, era and commune. */
enum tc_status tc_allocations_list(struct tc_db_conn *conn, int year, struct tc_arena *arena,
                                   struct tc_allocation_bar **out, size_t *n_out,
                                   struct tc_error *err);

/* A group as the queue shows it. JSON texts are those stored in `scores`. */
struct tc_group {
    long long submission;
    const char *instance_id, *group_name, *review_state, *village;
    const char *commune_era, *commune_code;
    int year;
    long long submitter_id; /* 0 when none */
    const char *ruleset_id;
    int ruleset_version;
    bool eligible;
    double total;
    const char *gates_json, *points_json, *ties_json, *reasons_json;
    const char *texts_json; /* the ruleset's labels, messages and basis by id */
    const char *norm_item;  /* NULL when none */
    bool has_ceiling, has_recommended;
    long long ceiling, recommended;
    const char *state; /* "pending", "in_progress", "approved", "rejected", "returned" */
    int last_level;    /* 0 when no decision (or after a return) */
    bool has_amount;   /* amount of the newest positive decision */
    long long amount;
    int rank; /* 1-based place in the queue (eligible groups first) */
};

/*
 * The queue of commune (era, code) and year under each form's active ruleset: eligible
 * groups first, by total and the ruleset's tie-breakers (tc_score_compare), then the groups
 * that failed a gate with their reasons. Current submissions only (not replaced by edits).
 */
enum tc_status tc_queue(struct tc_db_conn *conn, const char *era, const char *code, int year,
                        struct tc_arena *arena, struct tc_group **out, size_t *n_out,
                        struct tc_error *err);

/* One group (its score under the active ruleset); TC_ENOTFOUND when it has none. */
enum tc_status tc_group_get(struct tc_db_conn *conn, long long submission, struct tc_arena *arena,
                            struct tc_group *out, struct tc_error *err);

struct tc_decision {
    long long id, submission, actor_id;
    const char *actor_login, *kind, *era, *reason, *at;
    int level;
    bool has_amount;
    long long amount, ceiling, norm_id;
    const char *ruleset_id;
    int ruleset_version;
};

/* The decisions of a group, oldest first. */
enum tc_status tc_decisions_of(struct tc_db_conn *conn, long long submission,
                               struct tc_arena *arena, struct tc_decision **out, size_t *n_out,
                               struct tc_error *err);

enum tc_decision_kind {
    TC_DECIDE_POSITIVE, /* propose, confirm or approve: whatever the next level is */
    TC_DECIDE_REJECT,
    TC_DECIDE_RETURN /* for correction: review state hasIssues, back to the collector */
};

/* Parse "propose", "confirm", "approve" (all TC_DECIDE_POSITIVE), "reject", "return". */
int tc_decision_kind_parse(const char *name, enum tc_decision_kind *out, const char **level_kind);

struct tc_decision_new {
    long long submission;
    enum tc_decision_kind kind;
    const char *level_kind; /* for a positive decision: the kind the actor meant, or NULL */
    bool has_amount;
    long long amount;   /* whole đồng; positive decisions */
    const char *reason; /* required for reject and return */
    long long actor_id;
    enum tc_role actor_role;
    const char *actor_login; /* for the audit row */
    const char *client_addr; /* for the audit row; may be NULL */
};

/*
 * Take a decision on a group at its next level, in one transaction with its audit row
 * (decision.propose, .confirm, .approve, .reject, .return) and, for a return, the
 * submission's review state set to hasIssues with the reason as comment. Refused:
 * TC_EFORBIDDEN when the actor collected the survey, already decided at another level of
 * this chain, or lacks the level's role; TC_ECONFLICT when the chain is closed (approved,
 * rejected), the kind is not the next level's, the group is not eligible, the norm has
 * no amount, there is no allocation or the amount exceeds what remains of it; TC_EINVAL
 * for a missing amount or reason, or an amount above the norm ceiling. `*id_out` (may be
 * NULL) receives the decision's id.
 */
enum tc_status tc_decide(struct tc_db_conn *conn, const struct tc_decision_new *d,
                         long long *id_out, struct tc_error *err);

/* An approved group for the public list (danh sách công khai): no personal data. */
struct tc_public_row {
    const char *commune_era, *commune_code, *commune_name, *village, *group_name, *legal_form;
    const char *approved_at;
    long long amount;
    int members_total, members_women;
};

/* Approved groups of commune (era, code) and year, by commune then group name. */
enum tc_status tc_public_list(struct tc_db_conn *conn, const char *era, const char *code, int year,
                              struct tc_arena *arena, struct tc_public_row **out, size_t *n_out,
                              struct tc_error *err);

/* Project 8 indicators of one commune (post-reform code after mapping) and month. */
struct tc_indicator_row {
    const char *commune_code, *commune_name, *month; /* month "YYYY-MM" */
    const char *province_code;                       /* NULL when unmapped */
    long long surveyed, eligible, approved;
    long long amount_approved, ceiling_of_approved, recommended_total;
    long long cases;       /* Trusted Address cases received; 0 when suppressed */
    bool cases_suppressed; /* 1 to 4 cases: below TC_CASES_MIN_CELL, not shown */
};

/* Smallest count of cases shown below province level: the case log's k (issue 4, default 5). */
#define TC_CASES_MIN_CELL      5
#define TC_CASES_MIN_CELL_TEXT "<5" /* what a suppressed cell shows in exports */

/*
 * Livelihood-group indicators per commune and month of survey, with the count of Trusted
 * Address cases received in that commune (the unit's) and month, between `from` and `to`
 * (dates "YYYY-MM-DD", inclusive; NULL: open), re-totalled to post-2025 communes through
 * commune_mapping (groups recorded with pre-2025 codes are counted in their new commune).
 */
enum tc_status tc_indicators(struct tc_db_conn *conn, const char *from, const char *to,
                             struct tc_arena *arena, struct tc_indicator_row **out, size_t *n_out,
                             struct tc_error *err);

#endif /* TC_DECISIONS_H */
