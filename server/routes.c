#include "routes.h"

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
};
const size_t tc_routes_count = sizeof(tc_routes) / sizeof(tc_routes[0]);
