#include "routes.h"

#include "handlers/api_review.h"
#include "handlers/health.h"
#include "handlers/session.h"

/*
 * Every endpoint of tincay, in one table: reading it tells you the whole HTTP surface.
 * Order matters only between patterns that could match the same path: first one wins.
 */
const struct tc_route tc_routes[] = {
    {.method = "GET", .pattern = "/healthz", .handler = tc_handle_healthz},
    {.method = "POST",
     .pattern = "/api/v1/session",
     .handler = tc_handle_session_create,
     .body = TC_BODY_BUFFERED,
     .max_body = TC_SESSION_BODY_MAX},
    {.method = "DELETE", .pattern = "/api/v1/session", .handler = tc_handle_session_delete},
    {.method = "GET", .pattern = "/api/v1/me", .handler = tc_handle_me},
    {.method = "GET", .pattern = "/api/v1/review/queue", .handler = tc_handle_review_queue},
    {.method = "GET", .pattern = "/api/v1/review/groups/:id", .handler = tc_handle_review_group},
    {.method = "POST",
     .pattern = "/api/v1/review/groups/:id/decisions",
     .handler = tc_handle_review_decide,
     .body = TC_BODY_BUFFERED,
     .max_body = TC_API_REVIEW_BODY_MAX},
    {.method = "GET", .pattern = "/api/v1/allocations", .handler = tc_handle_allocations_get},
    {.method = "PUT",
     .pattern = "/api/v1/allocations",
     .handler = tc_handle_allocations_put,
     .body = TC_BODY_BUFFERED,
     .max_body = TC_API_REVIEW_BODY_MAX},
    {.method = "GET", .pattern = "/api/v1/public-list", .handler = tc_handle_public_list},
    {.method = "GET",
     .pattern = "/api/v1/exports/submissions",
     .handler = tc_handle_export_submissions},
    {.method = "GET", .pattern = "/api/v1/reports/indicators", .handler = tc_handle_indicators},
};
const size_t tc_routes_count = sizeof(tc_routes) / sizeof(tc_routes[0]);
