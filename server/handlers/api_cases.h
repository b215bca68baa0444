#ifndef TC_HANDLERS_API_CASES_H
#define TC_HANDLERS_API_CASES_H

#include <stddef.h>

#include <jansson.h>

#include "auth.h"
#include "http.h"
#include "tincay/caselog.h"
#include "tincay/policy.h"

/*
 * The confidential case log over the JSON API (docs/cases.md). Every read and every denial
 * is audited (actor, time, case, purpose, outcome); a case out of the reader's reach is
 * 404, as an unknown one; roles without any case permission get 403.
 */

#define TC_CASES_BODY_MAX (2u * 1024u * 1024u)

/* GET /api/v1/cases?limit=&offset=: the unit's cases (host), the province's (escrow). */
enum tc_status tc_handle_cases_list(struct tc_request *req, struct tc_response *resp,
                                    struct tc_error *err);
/* GET /api/v1/cases/aggregate?by=form_of_violence,month,commune,age_band,sex&k= */
enum tc_status tc_handle_cases_aggregate(struct tc_request *req, struct tc_response *resp,
                                         struct tc_error *err);
/* POST /api/v1/cases: a case form's XML filed by a host. */
enum tc_status tc_handle_case_create(struct tc_request *req, struct tc_response *resp,
                                     struct tc_error *err);
/* GET /api/v1/cases/:code?purpose=: the case opened with the session's unit key. */
enum tc_status tc_handle_case_get(struct tc_request *req, struct tc_response *resp,
                                  struct tc_error *err);
/* GET /api/v1/cases/:code/attachments/:name?purpose= */
enum tc_status tc_handle_case_attachment(struct tc_request *req, struct tc_response *resp,
                                         struct tc_error *err);
/* POST /api/v1/cases/:code/followups: the follow-up form's XML, or {"values": {...}}. */
enum tc_status tc_handle_case_followup(struct tc_request *req, struct tc_response *resp,
                                       struct tc_error *err);
/* GET /api/v1/cases/:code/hints: possible earlier cases of the same person (members). */
enum tc_status tc_handle_case_hints(struct tc_request *req, struct tc_response *resp,
                                    struct tc_error *err);

/* POST /api/v1/units/:code/invitations: a one-time invitation, shown once. */
enum tc_status tc_handle_unit_invite(struct tc_request *req, struct tc_response *resp,
                                     struct tc_error *err);
/* POST /api/v1/invitations/redeem {"login", "invitation", "password"} */
enum tc_status tc_handle_invitation_redeem(struct tc_request *req, struct tc_response *resp,
                                           struct tc_error *err);
/* POST /api/v1/units/:code/recover {"login", "password"?}: escrow recovery of a member. */
enum tc_status tc_handle_unit_recover(struct tc_request *req, struct tc_response *resp,
                                      struct tc_error *err);

/*
 * For the web pages: the API's own checks and audit rows. tc_cases_find: may `who` do
 * `action` to case `code` (403 audited for roles without the grant, 404 audited for a case
 * out of reach or unknown). tc_cases_audit_list: the audit row of a list shown.
 * tc_cases_open: the case opened with the session's unit key, as GET /api/v1/cases/:code
 * answers it (`body`), with the repeat-victim hints for a host (`hints`, else NULL); the read
 * is audited with `purpose`, and nothing comes out when its audit row cannot be written.
 */
enum tc_status tc_cases_find(struct tc_request *req, const struct tc_principal *who,
                             enum tc_action action, const char *code, struct tc_caselog_case *out,
                             struct tc_error *err);
enum tc_status tc_cases_audit_list(struct tc_request *req, const struct tc_principal *who, size_t n,
                                   size_t offset, struct tc_error *err);
enum tc_status tc_cases_open(struct tc_request *req, const struct tc_principal *who,
                             const struct tc_caselog_case *c, const char *purpose, json_t **body,
                             json_t **hints, struct tc_error *err);

#endif /* TC_HANDLERS_API_CASES_H */
