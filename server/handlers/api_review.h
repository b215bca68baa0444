#ifndef TC_HANDLERS_API_REVIEW_H
#define TC_HANDLERS_API_REVIEW_H

#include "router.h"

/*
 * The review workflow's JSON API and exports (docs/review.md). Communes are written
 * "ERA:CODE" ("post2025:03390"); amounts are whole đồng.
 *
 * GET  /api/v1/review/queue?commune=&year=        score.read: ranked groups, allocation bar
 * GET  /api/v1/review/groups/:id                  score.read: breakdown and decision history
 * POST /api/v1/review/groups/:id/decisions        decision.propose (reviewer) or
 *                                                 decision.approve (approver), CSRF for cookies:
 *                                                 {"kind", "amount", "reason"} → 201
 * GET  /api/v1/allocations?year=                  report.read (rows of the caller's area)
 * PUT  /api/v1/allocations                        norms.manage: {"commune", "year", "amount"}
 * GET  /api/v1/public-list?commune=&year=&format= report.read: approved groups, no personal
 *                                                 data; json, csv, xlsx or html (audited)
 * GET  /api/v1/exports/submissions?form=&format=&repeat=  submission.export (audited)
 * GET  /api/v1/reports/indicators?era=post2025&from=&to=&format=  report.read (audited)
 */

#define TC_API_REVIEW_BODY_MAX 8192

enum tc_status tc_handle_review_queue(struct tc_request *req, struct tc_response *resp,
                                      struct tc_error *err);
enum tc_status tc_handle_review_group(struct tc_request *req, struct tc_response *resp,
                                      struct tc_error *err);
enum tc_status tc_handle_review_decide(struct tc_request *req, struct tc_response *resp,
                                       struct tc_error *err);
enum tc_status tc_handle_allocations_get(struct tc_request *req, struct tc_response *resp,
                                         struct tc_error *err);
enum tc_status tc_handle_allocations_put(struct tc_request *req, struct tc_response *resp,
                                         struct tc_error *err);
enum tc_status tc_handle_public_list(struct tc_request *req, struct tc_response *resp,
                                     struct tc_error *err);
enum tc_status tc_handle_export_submissions(struct tc_request *req, struct tc_response *resp,
                                            struct tc_error *err);
enum tc_status tc_handle_indicators(struct tc_request *req, struct tc_response *resp,
                                    struct tc_error *err);

#endif /* TC_HANDLERS_API_REVIEW_H */
