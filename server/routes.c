#include "routes.h"

#include "handlers/fill.h"
#include "handlers/health.h"
#include "handlers/session.h"
#include "handlers/webforms.h"
#include "web/page.h"
#include "web/pages.h"
#include "web/static.h"

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
     .render_err = tc_web_render_error},
    {.method = "GET", .pattern = "/fill/:form_id/form.xml", .handler = tc_handle_fill_form_xml},
    {.method = "GET", .pattern = "/fill/:form_id/media/:filename", .handler = tc_handle_fill_media},
    {.method = "GET", .pattern = "/static/:name", .handler = tc_handle_static},
    /* The web interface: HTML pages, HTML errors, forms posted urlencoded. */
    {.method = "GET", .pattern = "/", .handler = tc_page_root, .render_err = tc_web_render_error},
    {.method = "GET",
     .pattern = "/login",
     .handler = tc_page_login,
     .render_err = tc_web_render_error},
    {.method = "POST",
     .pattern = "/login",
     .handler = tc_page_login_post,
     .body = TC_BODY_BUFFERED,
     .max_body = TC_WEB_FORM_MAX,
     .render_err = tc_web_render_error},
    {.method = "POST",
     .pattern = "/logout",
     .handler = tc_page_logout,
     .body = TC_BODY_BUFFERED,
     .max_body = TC_WEB_FORM_MAX,
     .render_err = tc_web_render_error},
    {.method = "GET",
     .pattern = "/home",
     .handler = tc_page_home,
     .render_err = tc_web_render_error},
    {.method = "GET",
     .pattern = "/account/password",
     .handler = tc_page_password,
     .render_err = tc_web_render_error},
    {.method = "POST",
     .pattern = "/account/password",
     .handler = tc_page_password_post,
     .body = TC_BODY_BUFFERED,
     .max_body = TC_WEB_FORM_MAX,
     .render_err = tc_web_render_error},
    {.method = "GET",
     .pattern = "/admin/users",
     .handler = tc_page_users,
     .render_err = tc_web_render_error},
    {.method = "POST",
     .pattern = "/admin/users",
     .handler = tc_page_users_post,
     .body = TC_BODY_BUFFERED,
     .max_body = TC_WEB_FORM_MAX,
     .render_err = tc_web_render_error},
    {.method = "POST",
     .pattern = "/admin/users/:login/disable",
     .handler = tc_page_user_disable,
     .body = TC_BODY_BUFFERED,
     .max_body = TC_WEB_FORM_MAX,
     .render_err = tc_web_render_error},
    {.method = "GET",
     .pattern = "/admin/audit",
     .handler = tc_page_audit,
     .render_err = tc_web_render_error},
    {.method = "POST",
     .pattern = "/admin/audit/verify",
     .handler = tc_page_audit_verify,
     .body = TC_BODY_BUFFERED,
     .max_body = TC_WEB_FORM_MAX,
     .render_err = tc_web_render_error},
};
const size_t tc_routes_count = sizeof(tc_routes) / sizeof(tc_routes[0]);
