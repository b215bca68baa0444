#include "routes.h"

#include "handlers/api_cases.h"
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
    {.method = "GET", .pattern = "/api/v1/cases", .handler = tc_handle_cases_list},
    {.method = "POST",
     .pattern = "/api/v1/cases",
     .handler = tc_handle_case_create,
     .body = TC_BODY_BUFFERED,
     .max_body = TC_CASES_BODY_MAX},
    {.method = "GET", .pattern = "/api/v1/cases/aggregate", .handler = tc_handle_cases_aggregate},
    {.method = "GET", .pattern = "/api/v1/cases/:code", .handler = tc_handle_case_get},
    {.method = "GET",
     .pattern = "/api/v1/cases/:code/attachments/:name",
     .handler = tc_handle_case_attachment},
    {.method = "POST",
     .pattern = "/api/v1/cases/:code/followups",
     .handler = tc_handle_case_followup,
     .body = TC_BODY_BUFFERED,
     .max_body = TC_CASES_BODY_MAX},
    {.method = "GET", .pattern = "/api/v1/cases/:code/hints", .handler = tc_handle_case_hints},
    {.method = "POST",
     .pattern = "/api/v1/units/:code/invitations",
     .handler = tc_handle_unit_invite},
    {.method = "POST",
     .pattern = "/api/v1/invitations/redeem",
     .handler = tc_handle_invitation_redeem,
     .body = TC_BODY_BUFFERED,
     .max_body = TC_SESSION_BODY_MAX},
    {.method = "POST",
     .pattern = "/api/v1/units/:code/recover",
     .handler = tc_handle_unit_recover,
     .body = TC_BODY_BUFFERED,
     .max_body = TC_SESSION_BODY_MAX},
};
const size_t tc_routes_count = sizeof(tc_routes) / sizeof(tc_routes[0]);
