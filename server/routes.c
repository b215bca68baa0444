#include "routes.h"

#include "handlers/api_forms.h"
#include "handlers/api_submissions.h"
#include "handlers/api_review.h"
#include "handlers/health.h"
#include "handlers/openrosa.h"
#include "handlers/session.h"
#include "web/page.h"
#include "web/pages.h"
#include "web/static.h"

/* An OpenRosa GET route: errors are OpenRosaResponse documents. */
#define OPENROSA_GET(path, fn)                                                                     \
    {                                                                                              \
        .method = "GET", .pattern = (path), .handler = (fn),                                       \
        .render_err = tc_openrosa_render_error                                                     \
    }

/* POST /submission: the multipart body is streamed to the spool, never held whole. */
#define OPENROSA_SUBMIT(path)                                                                      \
    {                                                                                              \
        .method = "POST", .pattern = (path), .handler = tc_openrosa_submission,                    \
        .body = TC_BODY_STREAMED, .max_body = TC_OPENROSA_MAX_BODY,                                \
        .on_chunk = tc_openrosa_submission_chunk, .render_err = tc_openrosa_render_error           \
    }

/*
 * Every endpoint of tincay, in one table: reading it tells you the whole HTTP surface.
 * Order matters only between patterns that could match the same path: first one wins.
 * OpenRosa is served twice: at the root for accounts (Basic after a 401 challenge) and
 * under /key/:token for app users (the token is their credential; a bad one is 403).
 */
const struct tc_route tc_routes[] = {
    {.method = "GET", .pattern = "/healthz", .handler = tc_handle_healthz},

    OPENROSA_GET("/formList", tc_openrosa_form_list),
    OPENROSA_GET("/forms/:form/:v/form.xml", tc_openrosa_form_download),
    OPENROSA_GET("/forms/:form/:v/manifest", tc_openrosa_manifest),
    OPENROSA_GET("/forms/:form/:v/media/:name", tc_openrosa_media),
    OPENROSA_GET("/submission", tc_openrosa_submission_head), /* HEAD: 204 */
    OPENROSA_SUBMIT("/submission"),

    OPENROSA_GET("/key/:token/formList", tc_openrosa_form_list),
    OPENROSA_GET("/key/:token/forms/:form/:v/form.xml", tc_openrosa_form_download),
    OPENROSA_GET("/key/:token/forms/:form/:v/manifest", tc_openrosa_manifest),
    OPENROSA_GET("/key/:token/forms/:form/:v/media/:name", tc_openrosa_media),
    OPENROSA_GET("/key/:token/submission", tc_openrosa_submission_head),
    OPENROSA_SUBMIT("/key/:token/submission"),

    /* JSON API: forms (admins) and submissions (reviewers, in their scope). */
    {.method = "GET", .pattern = "/api/v1/forms", .handler = tc_api_forms_list},
    {.method = "POST",
     .pattern = "/api/v1/forms",
     .handler = tc_api_forms_upload,
     .body = TC_BODY_BUFFERED,
     .max_body = TC_API_FORM_MAX_BODY},
    {.method = "POST",
     .pattern = "/api/v1/forms/:form/:v/publish",
     .handler = tc_api_forms_publish,
     .body = TC_BODY_BUFFERED,
     .max_body = 1024},
    {.method = "POST",
     .pattern = "/api/v1/forms/:form/close",
     .handler = tc_api_forms_close,
     .body = TC_BODY_BUFFERED,
     .max_body = 1024},
    {.method = "PUT",
     .pattern = "/api/v1/forms/:form/:v/media/:name",
     .handler = tc_api_forms_media,
     .body = TC_BODY_BUFFERED,
     .max_body = TC_API_MEDIA_MAX_BODY},
    {.method = "GET", .pattern = "/api/v1/submissions", .handler = tc_api_submissions_list},
    {.method = "GET",
     .pattern = "/api/v1/submissions/:form/:instance",
     .handler = tc_api_submissions_get},
    {.method = "GET",
     .pattern = "/api/v1/submissions/:form/:instance/attachments/:name",
     .handler = tc_api_submissions_attachment},
    {.method = "PATCH",
     .pattern = "/api/v1/submissions/:form/:instance/review",
     .handler = tc_api_submissions_review,
     .body = TC_BODY_BUFFERED,
     .max_body = TC_API_REVIEW_MAX_BODY},
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
