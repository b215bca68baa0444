#ifndef TC_POLICY_H
#define TC_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The permission policy: ONE table, role × action → scope, in src/core/policy.c, read by
 * handlers (through tc_policy_allows) and by tests and docs/policy.md alike. Whatever the
 * table does not grant is denied.
 */

/* Roles of accounts, plus the app user (a token identity, never an account's role). */
enum tc_role {
    TC_ROLE_ADMIN,     /* accounts and forms; no survey or case data */
    TC_ROLE_COLLECTOR, /* fills surveys (cán bộ Hội, tổ truyền thông) */
    TC_ROLE_HOST,      /* member of a Trusted Address unit: that unit's cases */
    TC_ROLE_ESCROW,    /* escrow officer of a province: its units' keys and cases */
    TC_ROLE_REVIEWER,  /* checks submissions and scores, proposes support */
    TC_ROLE_APPROVER,  /* approves or rejects proposals at their level */
    TC_ROLE_VIEWER,    /* reads scores and aggregate reports */
    TC_ROLE_APP_USER,  /* ODK Collect token: assigned forms only, maybe bound to a unit */
    TC_ROLE_COUNT
};

enum tc_action {
    TC_ACT_FORM_LIST,
    TC_ACT_FORM_DOWNLOAD,
    TC_ACT_FORM_MANAGE, /* upload, publish, close forms and their media */
    TC_ACT_SUBMISSION_CREATE,
    TC_ACT_SUBMISSION_READ, /* unprotected values and findings */
    TC_ACT_SUBMISSION_REVIEW,
    TC_ACT_SUBMISSION_EXPORT,
    TC_ACT_SUBMISSION_READ_PERSONAL, /* decrypt `personal` fields (audited) */
    TC_ACT_CASE_CREATE,
    TC_ACT_CASE_READ, /* open a sealed case (audited) */
    TC_ACT_CASE_FOLLOWUP,
    TC_ACT_CASE_LIST,
    TC_ACT_CASE_AGGREGATE, /* counts of tc:report fields, small cells suppressed */
    TC_ACT_UNIT_MANAGE,    /* create Trusted Address units, assign their escrow */
    TC_ACT_UNIT_INVITE,    /* one-time invitation of a new member */
    TC_ACT_ESCROW_RECOVER, /* re-wrap a unit key for a member who lost a password */
    TC_ACT_SCORE_READ,
    TC_ACT_DECISION_PROPOSE,
    TC_ACT_DECISION_APPROVE,
    TC_ACT_REPORT_READ,
    TC_ACT_USER_MANAGE,
    TC_ACT_APPUSER_MANAGE,
    TC_ACT_AUDIT_READ,
    TC_ACT_NORMS_MANAGE, /* support norms and allocations (Circular 55/2023) */
    TC_ACTION_COUNT
};

/*
 * How far a granted action reaches, compared between the actor and the record.
 * TC_SCOPE_DENIED is zero, so an entry missing from the table denies.
 */
enum tc_scope {
    TC_SCOPE_DENIED = 0,
    TC_SCOPE_OWN,      /* records the actor created */
    TC_SCOPE_ASSIGNED, /* forms assigned to the app user */
    TC_SCOPE_UNIT,     /* records of the actor's Trusted Address unit */
    TC_SCOPE_COMMUNE,  /* the actor's commune; an actor of a province only: that province */
    TC_SCOPE_PROVINCE, /* the actor's province */
    TC_SCOPE_ALL,
    TC_SCOPE_COUNT
};

/* Who acts. Codes are official GSO codes of one era, compared as strings; NULL or "" = none. */
struct tc_policy_subject {
    int64_t user_id;      /* 0 for an app user */
    int64_t unit_id;      /* 0 when not a member of (or bound to) a unit */
    const char *commune;  /* NULL for an actor of a province */
    const char *province; /* the actor's province */
    const int64_t *forms; /* app users: the forms assigned to them */
    size_t n_forms;
};

/* What is acted on; fields that do not apply are 0 or NULL. */
struct tc_policy_object {
    int64_t owner_id; /* the user who created it */
    int64_t unit_id;  /* the unit a case belongs to */
    const char *commune;
    const char *province;
    int64_t form_id; /* the form it belongs to (app users are held to their forms) */
};

/* The table's entry; TC_SCOPE_DENIED for out-of-range arguments. */
enum tc_scope tc_policy_scope(enum tc_role role, enum tc_action action);

/*
 * May `who`, acting as `role`, do `action` to `what`? Applies the scope of the table:
 * false when it is TC_SCOPE_DENIED, when `who` lacks the attachment the scope compares
 * (no unit, no province...), or when the record lies outside it. `what` may be NULL for
 * actions on no particular record: only TC_SCOPE_ALL then allows. An app user is held
 * to their assigned forms whenever `what` names a form. `who` NULL: false.
 */
bool tc_policy_allows(enum tc_role role, enum tc_action action, const struct tc_policy_subject *who,
                      const struct tc_policy_object *what);

/* "admin", "collector", ..., "app_user"; "unknown" out of range. */
const char *tc_role_name(enum tc_role role);

/* Parse an account's role (the seven of an account; not "app_user"). Returns 0 or -1. */
int tc_role_parse(const char *name, enum tc_role *out);

/* "form.list", "case.read", ...; "unknown" out of range. */
const char *tc_action_name(enum tc_action action);

/* Parse an action name. Returns 0 or -1. */
int tc_action_parse(const char *name, enum tc_action *out);

/* "denied", "own", "assigned", "unit", "commune", "province", "all". */
const char *tc_scope_name(enum tc_scope scope);

#endif /* TC_POLICY_H */
