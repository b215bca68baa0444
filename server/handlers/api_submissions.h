#ifndef TC_HANDLERS_API_SUBMISSIONS_H
#define TC_HANDLERS_API_SUBMISSIONS_H

#include "router.h"

/*
 * The JSON API for reviewers: submissions in the reader's scope (the policy table).
 *
 *   GET   /api/v1/submissions?form=&state=&from=&to=&commune=ERA:CODE&limit=&before=ID
 *   GET   /api/v1/submissions/:form/:instance                    values, findings, files
 *   GET   /api/v1/submissions/:form/:instance/attachments/:name  the file
 *   PATCH /api/v1/submissions/:form/:instance/review  {"reviewState": ..., "comment": ...}
 *
 * Pages are newest first: pass the last id of a page as `before` for the next one.
 * Accounts only; the review change by cookie needs the CSRF token. Readers whose scope is
 * a province (no commune of their own) see no submissions yet: rows carry no province.
 */
#define TC_API_REVIEW_MAX_BODY (64u * 1024u)

enum tc_status tc_api_submissions_list(struct tc_request *req, struct tc_response *resp,
                                       struct tc_error *err);
enum tc_status tc_api_submissions_get(struct tc_request *req, struct tc_response *resp,
                                      struct tc_error *err);
enum tc_status tc_api_submissions_attachment(struct tc_request *req, struct tc_response *resp,
                                             struct tc_error *err);
enum tc_status tc_api_submissions_review(struct tc_request *req, struct tc_response *resp,
                                         struct tc_error *err);

#endif /* TC_HANDLERS_API_SUBMISSIONS_H */
