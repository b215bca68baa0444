#ifndef TC_PAGE_H
#define TC_PAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/i18n.h"
#include "tincay/policy.h"
#include "tincay/sessions.h"
#include "tincay/status.h"

struct tc_principal;
struct tc_request;
struct tc_response;
struct tc_strbuf;

/*
 * Server-rendered pages of the web interface. A handler identifies the user (server/auth.h),
 * checks the policy, then builds its page into the response:
 *
 *     struct tc_page p;
 *     if ((st = tc_page_init(&p, req, resp, &who, err)) != TC_OK)
 *         return st;
 *     tc_page_begin(&p, tc_tr(p.lang, "Users"));
 *     ... tc_html_* and tc_page_* calls writing into p.out ...
 *     tc_page_end(&p);
 *     return tc_page_finish(&p, err);
 *
 * The layout links the hashed static assets, shows the product, the user and role, the
 * language switch, the navigation the policy allows the role, logout, and any flash
 * message left by the previous redirect. No inline script or style: the CSP forbids them.
 */

#define TC_WEB_LANG_COOKIE  "tincay_lang"
#define TC_WEB_FLASH_COOKIE "tincay_flash"

struct tc_page {
    struct tc_request *req;
    struct tc_response *resp;
    struct tc_strbuf *out; /* the response body */
    enum tc_lang lang;
    const struct tc_principal *who;  /* NULL when nobody is logged in */
    char csrf[TC_SESSION_TOKEN_MAX]; /* the session's CSRF token; "" without a session */
    const char *flash;               /* translated message of the last redirect, or NULL */
    bool flash_is_error;
};

/*
 * Start a page for `who` (NULL or an anonymous principal: nobody). The language is, in
 * order: `?lang=vi|en` on the URL (which also sets the tincay_lang cookie and, for a
 * logged-in user, the account's language), the account's setting, the cookie,
 * Accept-Language, Vietnamese. Consumes the flash cookie.
 */
enum tc_status tc_page_init(struct tc_page *p, struct tc_request *req, struct tc_response *resp,
                            const struct tc_principal *who, struct tc_error *err);

/* The document head, the site header and navigation, the flash, and an <h1> of `title`. */
void tc_page_begin(struct tc_page *p, const char *title);

/* Close <main> and the document. */
void tc_page_end(struct tc_page *p);

/* text/html, and TC_ENOMEM when the body could not be built. Wipes the CSRF copy. */
enum tc_status tc_page_finish(struct tc_page *p, struct tc_error *err);

/* An alert box: `text` (already translated) as an error (role="alert") or a notice. */
void tc_page_message(struct tc_page *p, const char *text, bool is_error);

/* ---- forms (POST, with the session's CSRF token in a hidden field "csrf") ---- */

struct tc_field {
    const char *type; /* "text", "password", "email", "number", "hidden" ... */
    const char *name;
    const char *label;        /* translated; every visible input has one */
    const char *value;        /* NULL: empty */
    const char *autocomplete; /* "username", "current-password", "new-password", "off" ... */
    const char *hint;         /* translated help shown under the input, or NULL */
    bool required;
    bool autofocus;
};

struct tc_option {
    const char *value;
    const char *label; /* translated */
};

/* <form method="post" action="..."> and the CSRF field; `csrf` NULL: the page's token. */
void tc_form_begin(struct tc_page *p, const char *action, const char *csrf);
void tc_form_end(struct tc_page *p);
void tc_form_input(struct tc_page *p, const struct tc_field *f);
void tc_form_select(struct tc_page *p, const char *name, const char *label,
                    const struct tc_option *options, size_t n, const char *selected);
void tc_form_submit(struct tc_page *p, const char *label);

/* A one-button form (POST `action` with the CSRF token): disable, verify, logout... */
void tc_form_button(struct tc_page *p, const char *action, const char *label);

/* The same, asking `question` (translated) first when JavaScript runs (app.js, data-confirm). */
void tc_form_button_confirm(struct tc_page *p, const char *action, const char *label,
                            const char *question);

/* ---- tables and paging ---- */

/* <table> with a caption and the (translated) column headings. */
void tc_table_begin(struct tc_page *p, const char *caption, const char *const *headings, size_t n);
void tc_table_row_begin(struct tc_page *p);
void tc_table_cell(struct tc_page *p, const char *text); /* escaped; NULL shows a dash */
void tc_table_row_end(struct tc_page *p);
void tc_table_end(struct tc_page *p);

struct tc_paging {
    long long page;  /* from 1 */
    size_t per_page; /* rows shown */
    bool has_next;   /* set by the caller: it asked for per_page + 1 rows and got them */
};

/* `?page=N` of the request (1 when absent or not a number from 1 to 1000000). */
void tc_paging_init(struct tc_paging *pg, const struct tc_request *req, size_t per_page);

/* Rows to skip for the current page. */
long long tc_paging_offset(const struct tc_paging *pg);

/* Previous/next links to `path` with ?page=; nothing when there is a single page. */
void tc_page_pager(struct tc_page *p, const char *path, const struct tc_paging *pg);

/* ---- redirects and cookies ---- */

/* Flash messages a redirect can leave for the next page, by key. */
enum tc_flash {
    TC_FLASH_NONE = 0,
    TC_FLASH_LOGGED_OUT,
    TC_FLASH_PASSWORD_CHANGED,
    TC_FLASH_USER_DISABLED,
    TC_FLASH_FORM_STORED,
    TC_FLASH_FORM_PUBLISHED,
    TC_FLASH_FORM_CLOSED,
    TC_FLASH_MEDIA_STORED,
    TC_FLASH_APPUSER_REVOKED,
    TC_FLASH_REVIEW_SAVED,
    TC_FLASH_DECISION_RECORDED,
    TC_FLASH_NORM_SET,
    TC_FLASH_UNIT_CREATED,
    TC_FLASH_COUNT
};

/*
 * 303 See Other to `location` (a path of this site), leaving `flash` (TC_FLASH_NONE:
 * none) for the page it leads to.
 */
enum tc_status tc_web_redirect(struct tc_request *req, struct tc_response *resp,
                               const char *location, enum tc_flash flash, struct tc_error *err);

/*
 * Set-Cookie: name=value; Path=/; HttpOnly; SameSite=Strict, Secure over TLS; `max_age_s`
 * 0 for a browser-session cookie, negative to delete it. `value` must be cookie-safe.
 */
enum tc_status tc_web_cookie(struct tc_request *req, struct tc_response *resp, const char *name,
                             const char *value, long max_age_s, struct tc_error *err);

/* ---- who asks, and what they sent ---- */

struct tc_form_data;

/*
 * The logged-in account behind a web request: tc_auth_require, and an account (app-user
 * tokens have no web pages). Anonymous is TC_EUNAUTH, which tc_web_render_error turns
 * into a redirect to /login for a GET.
 */
enum tc_status tc_web_user(struct tc_request *req, struct tc_principal *who, struct tc_error *err);

/*
 * A posted HTML form of a logged-in user: application/x-www-form-urlencoded (else
 * TC_EUNSUPPORTED), decoded into `form` (TC_EBADREQ), with the session's CSRF token in
 * its "csrf" field (else TC_EFORBIDDEN, via tc_auth_csrf).
 */
enum tc_status tc_web_form(struct tc_request *req, const struct tc_principal *who,
                           struct tc_form_data *form, struct tc_error *err);

/* The body as a form, without the CSRF check (the login form has its own). */
enum tc_status tc_web_form_body(struct tc_request *req, struct tc_form_data *form,
                                struct tc_error *err);

/* The translated name of a role ("Quản trị viên"). */
const char *tc_web_role_label(enum tc_lang lang, enum tc_role role);

/*
 * Error renderer of web routes (struct tc_route.render_err): an HTML page with the
 * message; a GET without a session is sent to /login instead.
 */
void tc_web_render_error(struct tc_request *req, struct tc_response *resp, enum tc_status status,
                         const struct tc_error *err);

#endif /* TC_PAGE_H */
