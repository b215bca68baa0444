#include "tincay/policy.h"

#include <string.h>

#define ALL      TC_SCOPE_ALL
#define PROVINCE TC_SCOPE_PROVINCE
#define COMMUNE  TC_SCOPE_COMMUNE
#define UNIT     TC_SCOPE_UNIT
#define ASSIGNED TC_SCOPE_ASSIGNED
#define OWN      TC_SCOPE_OWN

/*
 * THE permission table. Reading it tells you who may do what; docs/policy.md shows it
 * as a grid (tests/unit/test_policy.c checks that the two agree). An action a role does
 * not list is denied. Case data belongs to Trusted Address hosts (their unit) and the
 * escrow officer (their province) only: the admin, collectors, reviewers, approvers and
 * viewers have no case action at all.
 */
static const enum tc_scope table[TC_ROLE_COUNT][TC_ACTION_COUNT] = {
    [TC_ROLE_ADMIN] =
        {
            [TC_ACT_FORM_LIST] = ALL,
            [TC_ACT_FORM_DOWNLOAD] = ALL,
            [TC_ACT_FORM_MANAGE] = ALL,
            [TC_ACT_UNIT_MANAGE] = ALL,
            [TC_ACT_USER_MANAGE] = ALL,
            [TC_ACT_APPUSER_MANAGE] = ALL,
            [TC_ACT_AUDIT_READ] = ALL,
            [TC_ACT_NORMS_MANAGE] = ALL,
        },
    [TC_ROLE_COLLECTOR] =
        {
            [TC_ACT_FORM_LIST] = ALL,
            [TC_ACT_FORM_DOWNLOAD] = ALL,
            /* Anywhere: a survey brought back from another commune is never refused. */
            [TC_ACT_SUBMISSION_CREATE] = ALL,
            [TC_ACT_SUBMISSION_READ] = OWN,
        },
    [TC_ROLE_HOST] =
        {
            [TC_ACT_FORM_LIST] = ALL,
            [TC_ACT_FORM_DOWNLOAD] = ALL,
            [TC_ACT_CASE_CREATE] = UNIT,
            [TC_ACT_CASE_READ] = UNIT,
            [TC_ACT_CASE_FOLLOWUP] = UNIT,
            [TC_ACT_CASE_LIST] = UNIT,
            [TC_ACT_CASE_AGGREGATE] = UNIT,
            [TC_ACT_UNIT_INVITE] = UNIT,
        },
    [TC_ROLE_ESCROW] =
        {
            [TC_ACT_FORM_LIST] = ALL,
            [TC_ACT_FORM_DOWNLOAD] = ALL,
            [TC_ACT_CASE_READ] = PROVINCE,
            [TC_ACT_CASE_LIST] = PROVINCE,
            [TC_ACT_CASE_AGGREGATE] = PROVINCE,
            [TC_ACT_UNIT_INVITE] = PROVINCE,
            [TC_ACT_ESCROW_RECOVER] = PROVINCE,
        },
    [TC_ROLE_REVIEWER] =
        {
            [TC_ACT_FORM_LIST] = ALL,
            [TC_ACT_FORM_DOWNLOAD] = ALL,
            [TC_ACT_SUBMISSION_READ] = COMMUNE,
            [TC_ACT_SUBMISSION_REVIEW] = COMMUNE,
            [TC_ACT_SUBMISSION_EXPORT] = COMMUNE,
            [TC_ACT_SUBMISSION_READ_PERSONAL] = COMMUNE,
            [TC_ACT_SCORE_READ] = COMMUNE,
            [TC_ACT_DECISION_PROPOSE] = COMMUNE,
            [TC_ACT_REPORT_READ] = COMMUNE,
        },
    [TC_ROLE_APPROVER] =
        {
            [TC_ACT_FORM_LIST] = ALL,
            [TC_ACT_FORM_DOWNLOAD] = ALL,
            [TC_ACT_SUBMISSION_READ] = COMMUNE,
            [TC_ACT_SUBMISSION_EXPORT] = COMMUNE,
            [TC_ACT_SCORE_READ] = COMMUNE,
            [TC_ACT_DECISION_APPROVE] = COMMUNE,
            [TC_ACT_REPORT_READ] = COMMUNE,
        },
    [TC_ROLE_VIEWER] =
        {
            [TC_ACT_FORM_LIST] = ALL,
            [TC_ACT_FORM_DOWNLOAD] = ALL,
            [TC_ACT_SCORE_READ] = COMMUNE,
            [TC_ACT_REPORT_READ] = COMMUNE,
        },
    [TC_ROLE_APP_USER] =
        {
            [TC_ACT_FORM_LIST] = ASSIGNED,
            [TC_ACT_FORM_DOWNLOAD] = ASSIGNED,
            [TC_ACT_SUBMISSION_CREATE] = ASSIGNED,
            /* A unit's phone logs its unit's cases; it never reads them back. */
            [TC_ACT_CASE_CREATE] = UNIT,
            [TC_ACT_CASE_FOLLOWUP] = UNIT,
        },
};

#undef ALL
#undef PROVINCE
#undef COMMUNE
#undef UNIT
#undef ASSIGNED
#undef OWN

static const char *const role_names[TC_ROLE_COUNT] = {
    [TC_ROLE_ADMIN] = "admin",   [TC_ROLE_COLLECTOR] = "collector", [TC_ROLE_HOST] = "host",
    [TC_ROLE_ESCROW] = "escrow", [TC_ROLE_REVIEWER] = "reviewer",   [TC_ROLE_APPROVER] = "approver",
    [TC_ROLE_VIEWER] = "viewer", [TC_ROLE_APP_USER] = "app_user",
};

static const char *const action_names[TC_ACTION_COUNT] = {
    [TC_ACT_FORM_LIST] = "form.list",
    [TC_ACT_FORM_DOWNLOAD] = "form.download",
    [TC_ACT_FORM_MANAGE] = "form.manage",
    [TC_ACT_SUBMISSION_CREATE] = "submission.create",
    [TC_ACT_SUBMISSION_READ] = "submission.read",
    [TC_ACT_SUBMISSION_REVIEW] = "submission.review",
    [TC_ACT_SUBMISSION_EXPORT] = "submission.export",
    [TC_ACT_SUBMISSION_READ_PERSONAL] = "submission.read_personal",
    [TC_ACT_CASE_CREATE] = "case.create",
    [TC_ACT_CASE_READ] = "case.read",
    [TC_ACT_CASE_FOLLOWUP] = "case.followup",
    [TC_ACT_CASE_LIST] = "case.list",
    [TC_ACT_CASE_AGGREGATE] = "case.aggregate",
    [TC_ACT_UNIT_MANAGE] = "unit.manage",
    [TC_ACT_UNIT_INVITE] = "unit.invite",
    [TC_ACT_ESCROW_RECOVER] = "escrow.recover",
    [TC_ACT_SCORE_READ] = "score.read",
    [TC_ACT_DECISION_PROPOSE] = "decision.propose",
    [TC_ACT_DECISION_APPROVE] = "decision.approve",
    [TC_ACT_REPORT_READ] = "report.read",
    [TC_ACT_USER_MANAGE] = "user.manage",
    [TC_ACT_APPUSER_MANAGE] = "appuser.manage",
    [TC_ACT_AUDIT_READ] = "audit.read",
    [TC_ACT_NORMS_MANAGE] = "norms.manage",
};

static const char *const scope_names[TC_SCOPE_COUNT] = {
    [TC_SCOPE_DENIED] = "denied", [TC_SCOPE_OWN] = "own",         [TC_SCOPE_ASSIGNED] = "assigned",
    [TC_SCOPE_UNIT] = "unit",     [TC_SCOPE_COMMUNE] = "commune", [TC_SCOPE_PROVINCE] = "province",
    [TC_SCOPE_ALL] = "all",
};

enum tc_scope
tc_policy_scope(enum tc_role role, enum tc_action action)
{
    if ((unsigned int)role >= TC_ROLE_COUNT || (unsigned int)action >= TC_ACTION_COUNT)
        return TC_SCOPE_DENIED;
    return table[role][action];
}

/* Equal, non-empty codes: an actor without the attachment reaches nothing. */
static bool
same_code(const char *mine, const char *theirs)
{
    return mine != NULL && mine[0] != '\0' && theirs != NULL && strcmp(mine, theirs) == 0;
}

static bool
form_assigned(const struct tc_policy_subject *who, int64_t form_id)
{
    if (form_id == 0 || who->forms == NULL)
        return false;
    for (size_t i = 0; i < who->n_forms; i++)
        if (who->forms[i] == form_id)
            return true;
    return false;
}

static bool
in_scope(enum tc_scope scope, const struct tc_policy_subject *who,
         const struct tc_policy_object *what)
{
    switch (scope) {
    case TC_SCOPE_ALL: return true;
    case TC_SCOPE_OWN: return who->user_id != 0 && what->owner_id == who->user_id;
    case TC_SCOPE_ASSIGNED: return form_assigned(who, what->form_id);
    case TC_SCOPE_UNIT: return who->unit_id != 0 && what->unit_id == who->unit_id;
    case TC_SCOPE_PROVINCE: return same_code(who->province, what->province);
    case TC_SCOPE_COMMUNE:
        if (who->commune != NULL && who->commune[0] != '\0')
            return same_code(who->commune, what->commune);
        return same_code(who->province, what->province); /* an actor of the province */
    case TC_SCOPE_DENIED:
    case TC_SCOPE_COUNT: break;
    }
    return false;
}

bool
tc_policy_allows(enum tc_role role, enum tc_action action, const struct tc_policy_subject *who,
                 const struct tc_policy_object *what)
{
    enum tc_scope scope = tc_policy_scope(role, action);

    if (who == NULL || scope == TC_SCOPE_DENIED)
        return false;
    if (what == NULL)
        return scope == TC_SCOPE_ALL;
    if (role == TC_ROLE_APP_USER && what->form_id != 0 && !form_assigned(who, what->form_id))
        return false;
    return in_scope(scope, who, what);
}

const char *
tc_role_name(enum tc_role role)
{
    return (unsigned int)role < TC_ROLE_COUNT ? role_names[role] : "unknown";
}

int
tc_role_parse(const char *name, enum tc_role *out)
{
    for (int i = 0; i < TC_ROLE_COUNT; i++) {
        if (i != TC_ROLE_APP_USER && strcmp(name, role_names[i]) == 0) {
            *out = (enum tc_role)i;
            return 0;
        }
    }
    return -1;
}

const char *
tc_action_name(enum tc_action action)
{
    return (unsigned int)action < TC_ACTION_COUNT ? action_names[action] : "unknown";
}

int
tc_action_parse(const char *name, enum tc_action *out)
{
    for (int i = 0; i < TC_ACTION_COUNT; i++) {
        if (strcmp(name, action_names[i]) == 0) {
            *out = (enum tc_action)i;
            return 0;
        }
    }
    return -1;
}

const char *
tc_scope_name(enum tc_scope scope)
{
    return (unsigned int)scope < TC_SCOPE_COUNT ? scope_names[scope] : "denied";
}
