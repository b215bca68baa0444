#include "routes.h"

#include "handlers/fill.h"
#include "handlers/health.h"
#include "handlers/session.h"
#include "handlers/webforms.h"

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
    /* Browser form filling (ODK Web Forms); its submissions go to POST /submission. */
    {.method = "GET", .pattern = "/static/webforms/:file", .handler = tc_handle_webforms_static},
    {.method = "GET",
     .pattern = "/fill/:form_id",
     .handler = tc_handle_fill_page,
     .render_err = tc_fill_render_error},
    {.method = "GET", .pattern = "/fill/:form_id/form.xml", .handler = tc_handle_fill_form_xml},
    {.method = "GET", .pattern = "/fill/:form_id/media/:filename", .handler = tc_handle_fill_media},
};
const size_t tc_routes_count = sizeof(tc_routes) / sizeof(tc_routes[0]);
