#ifndef TC_HANDLERS_API_SUBMISSIONS_H
#define TC_HANDLERS_API_SUBMISSIONS_H

#include "router.h"

/*
 * The JSON API for reviewers: submissions in the reader's scope (the policy table).
 *
 *   GET   /api/v1/submissions?form=&state=&from=&to=&commune=&limit=&offset=
 *   GET   /api/v1/submissions/:id                      values, findings, attachments
 *   GET   /api/v1/submissions/:id/attachments/:name    the file
 *   PATCH /api/v1/submissions/:id/review               {"reviewState": ..., "comment": ...}
 *
 * Accounts only; the review change by cookie needs the CSRF token.
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
