#include "web/page.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "auth.h"
#include "http.h"
#include "tincay/log.h"
#include "tincay/strbuf.h"
#include "tincay/users.h"
#include "web/html.h"
#include "web/static.h"
#include "web/urlencoded.h"

#define URL_MAX       2200
#define PAGE_MAX_NUM  1000000LL
#define FLASH_MAX_AGE 60

/* The navigation: an entry is shown when the policy grants its action to the role. */
static const struct nav_entry {
    const char *path;
    const char *label;
    int action; /* enum tc_action, or -1: every account */
} nav[] = {
    {"/home", TC_N_("Home"), -1},
    {"/submissions", TC_N_("Submissions"), TC_ACT_SUBMISSION_READ},
    {"/admin/forms", TC_N_("Forms"), TC_ACT_FORM_MANAGE},
    {"/admin/appusers", TC_N_("App users"), TC_ACT_APPUSER_MANAGE},
    {"/admin/users", TC_N_("Users"), TC_ACT_USER_MANAGE},
    {"/review", TC_N_("Review"), TC_ACT_SCORE_READ},
    {"/reports", TC_N_("Reports"), TC_ACT_REPORT_READ},
    {"/cases", TC_N_("Case log"), TC_ACT_CASE_LIST},
    {"/admin/norms", TC_N_("Norms"), TC_ACT_NORMS_MANAGE},
    {"/admin/areas", TC_N_("Areas"), TC_ACT_NORMS_MANAGE},
    {"/admin/units", TC_N_("Units"), TC_ACT_UNIT_MANAGE},
    {"/admin/jobs", TC_N_("Background work"), TC_ACT_NORMS_MANAGE},
    {"/admin/audit", TC_N_("Audit log"), TC_ACT_AUDIT_READ},
    {"/account/password", TC_N_("Change password"), -1},
};

static const struct {
    const char *key;
    const char *text;
    bool is_error;
} flashes[TC_FLASH_COUNT] = {
    [TC_FLASH_LOGGED_OUT] = {"logged_out", TC_N_("You have logged out."), false},
    [TC_FLASH_PASSWORD_CHANGED] = {"password_changed", TC_N_("Your password has been changed."),
                                   false},
    [TC_FLASH_USER_DISABLED] = {"user_disabled",
                                TC_N_("The account has been disabled and its sessions ended."),
                                false},
    [TC_FLASH_FORM_STORED] = {"form_stored",
                              TC_N_("The form has been stored as a draft. Add its media, then "
                                    "publish it."),
                              false},
    [TC_FLASH_FORM_PUBLISHED] = {"form_published",
                                 TC_N_("The form has been published: phones can download it."),
                                 false},
    [TC_FLASH_FORM_CLOSED] = {"form_closed", TC_N_("The form's state has been changed."), false},
    [TC_FLASH_MEDIA_STORED] = {"media_stored", TC_N_("The media file has been stored."), false},
    [TC_FLASH_APPUSER_REVOKED] = {"appuser_revoked",
                                  TC_N_("The app user has been revoked: its phone is refused "
                                        "from now on."),
                                  false},
    [TC_FLASH_REVIEW_SAVED] = {"review_saved", TC_N_("The review has been saved."), false},
    [TC_FLASH_DECISION_RECORDED] = {"decision_recorded", TC_N_("The decision has been recorded."),
                                    false},
    [TC_FLASH_NORM_SET] = {"norm_set", TC_N_("The norm amount has been set."), false},
    [TC_FLASH_UNIT_CREATED] = {"unit_created",
                               TC_N_("The unit has been created and its key sealed to the "
                                     "province's escrow officers."),
                               false},
};

const char *
tc_web_role_label(enum tc_lang lang, enum tc_role role)
{
    switch (role) {
    case TC_ROLE_ADMIN: return tc_tr(lang, "Administrator");
    case TC_ROLE_COLLECTOR: return tc_tr(lang, "Collector");
    case TC_ROLE_HOST: return tc_tr(lang, "Trusted Address host");
    case TC_ROLE_ESCROW: return tc_tr(lang, "Escrow officer");
    case TC_ROLE_REVIEWER: return tc_tr(lang, "Reviewer");
    case TC_ROLE_APPROVER: return tc_tr(lang, "Approver");
    case TC_ROLE_VIEWER: return tc_tr(lang, "Viewer");
    case TC_ROLE_APP_USER:
    case TC_ROLE_COUNT: break;
    }
    return tc_role_name(role);
}

enum tc_status
tc_web_cookie(struct tc_request *req, struct tc_response *resp, const char *name, const char *value,
              long max_age_s, struct tc_error *err)
{
    char header[512], age[32] = "";
    enum tc_status st;
    int n;

    if (max_age_s != 0)
        (void)snprintf(age, sizeof(age), "; Max-Age=%ld", max_age_s < 0 ? 0L : max_age_s);
    n = snprintf(header, sizeof(header), "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s", name,
                 max_age_s < 0 ? "" : value, age, tc_req_is_tls(req) ? "; Secure" : "");
    if (n < 0 || (size_t)n >= sizeof(header))
        return tc_fail(err, TC_EINTERNAL, "cookie \"%s\" is too long", name);
    st = tc_resp_header(resp, "Set-Cookie", header, err);
    sodium_memzero(header, sizeof(header)); /* it may have held a session token */
    return st;
}

enum tc_status
tc_web_redirect(struct tc_request *req, struct tc_response *resp, const char *location,
                enum tc_flash flash, struct tc_error *err)
{
    enum tc_status st;

    if (!tc_html_url_is_safe(location) || location[0] != '/')
        location = "/";
    if ((st = tc_resp_header(resp, "Location", location, err)) != TC_OK)
        return st;
    if (flash > TC_FLASH_NONE && flash < TC_FLASH_COUNT &&
        (st = tc_web_cookie(req, resp, TC_WEB_FLASH_COOKIE, flashes[flash].key, FLASH_MAX_AGE,
                            err)) != TC_OK)
        return st;
    tc_resp_status(resp, 303);
    return TC_OK;
}

/* `?lang=` switches the language: remembered in a cookie, and in the account when known. */
static enum tc_status
switch_language(struct tc_page *p, enum tc_lang lang, struct tc_error *err)
{
    struct tc_db_conn *conn;
    enum tc_status st;

    st = tc_web_cookie(p->req, p->resp, TC_WEB_LANG_COOKIE, tc_lang_name(lang), 31536000L, err);
    if (st != TC_OK || p->who == NULL)
        return st;
    if ((conn = tc_req_db(p->req, err)) == NULL)
        return err->status;
    return tc_user_set_language(conn, p->who->id, lang, err);
}

static enum tc_status
choose_language(struct tc_page *p, struct tc_error *err)
{
    const char *asked = tc_req_query(p->req, "lang");
    const char *cookie = tc_req_cookie(p->req, TC_WEB_LANG_COOKIE);
    enum tc_lang lang;

    if (asked != NULL && tc_lang_parse(asked, &lang) == 0) {
        p->lang = lang;
        tc_req_set_lang(p->req, lang);
        err->lang = lang;
        return switch_language(p, lang, err);
    }
    if (p->who != NULL)
        p->lang = p->who->language;
    else if (cookie != NULL && tc_lang_parse(cookie, &lang) == 0)
        p->lang = lang;
    else
        p->lang = tc_req_lang(p->req);
    tc_req_set_lang(p->req, p->lang);
    err->lang = p->lang;
    return TC_OK;
}

static enum tc_status
take_flash(struct tc_page *p, struct tc_error *err)
{
    const char *key = tc_req_cookie(p->req, TC_WEB_FLASH_COOKIE);

    if (key == NULL)
        return TC_OK;
    for (size_t i = 1; i < TC_FLASH_COUNT; i++) {
        if (strcmp(flashes[i].key, key) == 0) {
            p->flash = tc_tr(p->lang, flashes[i].text);
            p->flash_is_error = flashes[i].is_error;
        }
    }
    return tc_web_cookie(p->req, p->resp, TC_WEB_FLASH_COOKIE, "", -1, err);
}

enum tc_status
tc_page_init(struct tc_page *p, struct tc_request *req, struct tc_response *resp,
             const struct tc_principal *who, struct tc_error *err)
{
    enum tc_status st;

    memset(p, 0, sizeof(*p));
    p->req = req;
    p->resp = resp;
    p->out = tc_resp_body(resp);
    p->who = who != NULL && who->kind == TC_PRINCIPAL_USER ? who : NULL;
    if (p->who != NULL && p->who->by_cookie && p->who->session_token != NULL)
        tc_session_csrf(p->who->session_token, p->csrf);
    if ((st = choose_language(p, err)) != TC_OK || (st = take_flash(p, err)) != TC_OK)
        return st;
    return TC_OK;
}

static void
asset_tag(struct tc_page *p, const char *name, const char *before, const char *attr,
          const char *after)
{
    char url[256];

    if (tc_static_url(name, url, sizeof(url)) == NULL)
        return;
    tc_html_raw(p->out, before);
    tc_html_url_attr(p->out, attr, url);
    tc_html_raw(p->out, after);
}

static void
language_switch(struct tc_page *p)
{
    static const struct {
        const char *code, *label;
    } langs[] = {{"vi", "Tiếng Việt"}, {"en", "English"}};
    const char *path = tc_req_path(p->req);

    tc_html_raw(p->out, "<nav class=\"lang\"");
    tc_html_attr(p->out, "aria-label", tc_tr(p->lang, "Language"));
    tc_html_raw(p->out, "><ul>");
    for (size_t i = 0; i < 2; i++) {
        struct tc_strbuf url = TC_STRBUF_INIT(URL_MAX);
        bool current = strcmp(tc_lang_name(p->lang), langs[i].code) == 0;

        tc_strbuf_appends(&url, path);
        tc_strbuf_appends(&url, "?lang=");
        tc_strbuf_appends(&url, langs[i].code);
        tc_html_raw(p->out, "<li><a");
        tc_html_url_attr(p->out, "href", tc_strbuf_failed(&url) ? "/" : tc_strbuf_str(&url));
        tc_html_attr(p->out, "lang", langs[i].code);
        tc_html_attr(p->out, "hreflang", langs[i].code);
        if (current)
            tc_html_raw(p->out, " aria-current=\"true\"");
        tc_html_raw(p->out, ">");
        tc_html_text(p->out, langs[i].label);
        tc_html_raw(p->out, "</a></li>");
        tc_strbuf_cleanup(&url);
    }
    tc_html_raw(p->out, "</ul></nav>");
}

static void
user_box(struct tc_page *p)
{
    const char *name = p->who->display_name != NULL && p->who->display_name[0] != '\0'
                           ? p->who->display_name
                           : p->who->login;

    tc_html_raw(p->out, "<div class=\"who\"><span class=\"who-name\">");
    tc_html_text(p->out, name);
    tc_html_raw(p->out, "</span> <span class=\"who-role\">");
    tc_html_text(p->out, tc_web_role_label(p->lang, p->who->role));
    tc_html_raw(p->out, "</span>");
    tc_form_button(p, "/logout", tc_tr(p->lang, "Log out"));
    tc_html_raw(p->out, "</div>");
}

static void
main_nav(struct tc_page *p)
{
    const char *path = tc_req_path(p->req);

    tc_html_raw(p->out, "<nav class=\"main-nav\"");
    tc_html_attr(p->out, "aria-label", tc_tr(p->lang, "Main menu"));
    tc_html_raw(p->out, "><ul>");
    for (size_t i = 0; i < sizeof(nav) / sizeof(nav[0]); i++) {
        if (nav[i].action >= 0 &&
            tc_policy_scope(p->who->role, (enum tc_action)nav[i].action) == TC_SCOPE_DENIED)
            continue;
        tc_html_raw(p->out, "<li><a");
        tc_html_url_attr(p->out, "href", nav[i].path);
        if (strcmp(path, nav[i].path) == 0)
            tc_html_raw(p->out, " aria-current=\"page\"");
        tc_html_raw(p->out, ">");
        tc_html_text(p->out, tc_tr(p->lang, nav[i].label));
        tc_html_raw(p->out, "</a></li>");
    }
    tc_html_raw(p->out, "</ul></nav>");
}

void
tc_page_begin(struct tc_page *p, const char *title)
{
    tc_html_raw(p->out, "<!DOCTYPE html>\n<html");
    tc_html_attr(p->out, "lang", tc_lang_name(p->lang));
    tc_html_raw(p->out, "><head><meta charset=\"utf-8\">"
                        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                        "<meta name=\"referrer\" content=\"no-referrer\"><title>");
    tc_html_text(p->out, title);
    tc_html_raw(p->out, " · tincay</title>");
    asset_tag(p, "app.css", "<link rel=\"stylesheet\"", "href", ">");
    asset_tag(p, "app.js", "<script defer", "src", "></script>");
    tc_html_raw(p->out, "</head><body><a class=\"skip\" href=\"#main\">");
    tc_html_text(p->out, tc_tr(p->lang, "Skip to content"));
    tc_html_raw(p->out, "</a><header class=\"site\"><a class=\"brand\" href=\"/\">tincay</a>");
    language_switch(p);
    if (p->who != NULL)
        user_box(p);
    tc_html_raw(p->out, "</header>");
    if (p->who != NULL)
        main_nav(p);
    tc_html_raw(p->out, "<main id=\"main\" tabindex=\"-1\"><h1>");
    tc_html_text(p->out, title);
    tc_html_raw(p->out, "</h1>");
    if (p->flash != NULL)
        tc_page_message(p, p->flash, p->flash_is_error);
}

void
tc_page_end(struct tc_page *p)
{
    tc_html_raw(p->out, "</main><footer class=\"site\"><p>");
    tc_html_text(p->out, tc_tr(p->lang, "tincay: surveys and trusted case intake of the "
                                        "Women's Union"));
    tc_html_raw(p->out, "</p></footer></body></html>\n");
}

enum tc_status
tc_page_finish(struct tc_page *p, struct tc_error *err)
{
    sodium_memzero(p->csrf, sizeof(p->csrf));
    if (tc_strbuf_failed(p->out)) {
        tc_strbuf_reset(p->out);
        return tc_fail(err, TC_ENOMEM, "out of memory");
    }
    tc_resp_content_type(p->resp, "text/html; charset=utf-8");
    return TC_OK;
}

void
tc_page_message(struct tc_page *p, const char *text, bool is_error)
{
    tc_html_raw(p->out, is_error ? "<div class=\"msg msg-error\" role=\"alert\"><p>"
                                 : "<div class=\"msg msg-ok\" role=\"status\"><p>");
    tc_html_text(p->out, text);
    tc_html_raw(p->out, "</p></div>");
}

/* ---- forms ---- */

void
tc_form_begin(struct tc_page *p, const char *action, const char *csrf)
{
    const char *token = csrf != NULL ? csrf : p->csrf;

    tc_html_raw(p->out, "<form method=\"post\"");
    tc_html_url_attr(p->out, "action", action);
    tc_html_raw(p->out, ">");
    if (token[0] != '\0') {
        tc_html_raw(p->out, "<input type=\"hidden\" name=\"csrf\"");
        tc_html_attr(p->out, "value", token);
        tc_html_raw(p->out, ">");
    }
}

void
tc_form_end(struct tc_page *p)
{
    tc_html_raw(p->out, "</form>");
}

static void
field_id(struct tc_page *p, const char *attr, const char *name, const char *suffix)
{
    char id[128];

    (void)snprintf(id, sizeof(id), "f-%s%s", name, suffix);
    tc_html_attr(p->out, attr, id);
}

static void
field_label(struct tc_page *p, const char *name, const char *label, bool required)
{
    tc_html_raw(p->out, "<div class=\"field\"><label");
    field_id(p, "for", name, "");
    tc_html_raw(p->out, ">");
    tc_html_text(p->out, label);
    if (required) {
        tc_html_raw(p->out, " <span class=\"req\"");
        tc_html_attr(p->out, "title", tc_tr(p->lang, "required"));
        tc_html_raw(p->out, ">*</span>");
    }
    tc_html_raw(p->out, "</label>");
}

static void
field_hint(struct tc_page *p, const char *name, const char *hint)
{
    if (hint == NULL)
        return;
    tc_html_raw(p->out, "<p class=\"hint\"");
    field_id(p, "id", name, "-hint");
    tc_html_raw(p->out, ">");
    tc_html_text(p->out, hint);
    tc_html_raw(p->out, "</p>");
}

void
tc_form_input(struct tc_page *p, const struct tc_field *f)
{
    bool hidden = strcmp(f->type, "hidden") == 0;

    if (!hidden)
        field_label(p, f->name, f->label, f->required);
    tc_html_raw(p->out, "<input");
    tc_html_attr(p->out, "type", f->type);
    tc_html_attr(p->out, "name", f->name);
    if (!hidden)
        field_id(p, "id", f->name, "");
    tc_html_attr(p->out, "value", f->value);
    tc_html_attr(p->out, "autocomplete", f->autocomplete);
    if (f->hint != NULL)
        field_id(p, "aria-describedby", f->name, "-hint");
    if (f->required)
        tc_html_raw(p->out, " required");
    if (f->autofocus)
        tc_html_raw(p->out, " autofocus");
    tc_html_raw(p->out, ">");
    if (!hidden) {
        field_hint(p, f->name, f->hint);
        tc_html_raw(p->out, "</div>");
    }
}

void
tc_form_select(struct tc_page *p, const char *name, const char *label,
               const struct tc_option *options, size_t n, const char *selected)
{
    field_label(p, name, label, false);
    tc_html_raw(p->out, "<select");
    tc_html_attr(p->out, "name", name);
    field_id(p, "id", name, "");
    tc_html_raw(p->out, ">");
    for (size_t i = 0; i < n; i++) {
        tc_html_raw(p->out, "<option");
        tc_html_attr(p->out, "value", options[i].value);
        if (selected != NULL && strcmp(selected, options[i].value) == 0)
            tc_html_raw(p->out, " selected");
        tc_html_raw(p->out, ">");
        tc_html_text(p->out, options[i].label);
        tc_html_raw(p->out, "</option>");
    }
    tc_html_raw(p->out, "</select></div>");
}

void
tc_form_submit(struct tc_page *p, const char *label)
{
    tc_html_raw(p->out, "<div class=\"actions\"><button type=\"submit\">");
    tc_html_text(p->out, label);
    tc_html_raw(p->out, "</button></div>");
}

void
tc_form_button_confirm(struct tc_page *p, const char *action, const char *label,
                       const char *question)
{
    tc_html_raw(p->out, "<form class=\"inline\" method=\"post\"");
    tc_html_url_attr(p->out, "action", action);
    tc_html_attr(p->out, "data-confirm", question);
    tc_html_raw(p->out, "><input type=\"hidden\" name=\"csrf\"");
    tc_html_attr(p->out, "value", p->csrf);
    tc_html_raw(p->out, "><button type=\"submit\">");
    tc_html_text(p->out, label);
    tc_html_raw(p->out, "</button></form>");
}

void
tc_form_button(struct tc_page *p, const char *action, const char *label)
{
    tc_form_button_confirm(p, action, label, NULL);
}

/* ---- tables and paging ---- */

void
tc_table_begin(struct tc_page *p, const char *caption, const char *const *headings, size_t n)
{
    tc_html_raw(p->out, "<div class=\"table-wrap\"><table><caption>");
    tc_html_text(p->out, caption);
    tc_html_raw(p->out, "</caption><thead><tr>");
    for (size_t i = 0; i < n; i++) {
        tc_html_raw(p->out, "<th scope=\"col\">");
        tc_html_text(p->out, headings[i]);
        tc_html_raw(p->out, "</th>");
    }
    tc_html_raw(p->out, "</tr></thead><tbody>");
}

void
tc_table_row_begin(struct tc_page *p)
{
    tc_html_raw(p->out, "<tr>");
}

void
tc_table_cell(struct tc_page *p, const char *text)
{
    tc_html_raw(p->out, "<td>");
    tc_html_text(p->out, text != NULL && text[0] != '\0' ? text : "–");
    tc_html_raw(p->out, "</td>");
}

void
tc_table_row_end(struct tc_page *p)
{
    tc_html_raw(p->out, "</tr>");
}

void
tc_table_end(struct tc_page *p)
{
    tc_html_raw(p->out, "</tbody></table></div>");
}

void
tc_paging_init(struct tc_paging *pg, const struct tc_request *req, size_t per_page)
{
    const char *s = tc_req_query(req, "page");
    char *end = NULL;
    long long page = s != NULL ? strtoll(s, &end, 10) : 1;

    pg->page =
        s != NULL && (end == s || *end != '\0' || page < 1 || page > PAGE_MAX_NUM) ? 1 : page;
    pg->per_page = per_page;
    pg->has_next = false;
}

long long
tc_paging_offset(const struct tc_paging *pg)
{
    return (pg->page - 1) * (long long)pg->per_page;
}

static void
pager_link(struct tc_page *p, const char *path, long long page, const char *rel, const char *label)
{
    char url[URL_MAX];

    (void)snprintf(url, sizeof(url), "%s?page=%lld", path, page);
    tc_html_raw(p->out, "<a");
    tc_html_url_attr(p->out, "href", url);
    tc_html_attr(p->out, "rel", rel);
    tc_html_raw(p->out, ">");
    tc_html_text(p->out, label);
    tc_html_raw(p->out, "</a>");
}

void
tc_page_pager(struct tc_page *p, const char *path, const struct tc_paging *pg)
{
    if (pg->page == 1 && !pg->has_next)
        return;
    tc_html_raw(p->out, "<nav class=\"pager\"");
    tc_html_attr(p->out, "aria-label", tc_tr(p->lang, "Pages"));
    tc_html_raw(p->out, ">");
    if (pg->page > 1)
        pager_link(p, path, pg->page - 1, "prev", tc_tr(p->lang, "Previous page"));
    tc_html_raw(p->out, "<span>");
    tc_html_trf(p->out, p->lang, "Page %lld", pg->page);
    tc_html_raw(p->out, "</span>");
    if (pg->has_next)
        pager_link(p, path, pg->page + 1, "next", tc_tr(p->lang, "Next page"));
    tc_html_raw(p->out, "</nav>");
}

/* ---- errors ---- */

void
tc_web_render_error(struct tc_request *req, struct tc_response *resp, enum tc_status status,
                    const struct tc_error *err)
{
    struct tc_error ignored = TC_ERROR_INIT(tc_req_lang(req));
    const char *method = tc_req_method(req);
    struct tc_page p;

    if (status == TC_EUNAUTH && (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)) {
        tc_strbuf_reset(tc_resp_body(resp));
        if (tc_web_redirect(req, resp, "/login", TC_FLASH_NONE, &ignored) == TC_OK)
            return;
    }
    if (tc_page_init(&p, req, resp, NULL, &ignored) != TC_OK)
        tc_strbuf_reset(tc_resp_body(resp));
    tc_page_begin(&p, tc_tr(p.lang, "Something went wrong"));
    tc_page_message(&p, err->msg[0] != '\0' ? err->msg : tc_tr(p.lang, tc_status_message(status)),
                    true);
    tc_html_raw(p.out, "<p><a href=\"/\">");
    tc_html_text(p.out, tc_tr(p.lang, "Back to the start page"));
    tc_html_raw(p.out, "</a></p>");
    tc_page_end(&p);
    if (tc_page_finish(&p, &ignored) != TC_OK)
        tc_resp_content_type(resp, NULL);
}

/* ---- who asks, and what they sent ---- */

enum tc_status
tc_web_user(struct tc_request *req, struct tc_principal *who, struct tc_error *err)
{
    enum tc_status st = tc_auth_require(req, who, err);

    if (st != TC_OK)
        return st;
    if (who->kind != TC_PRINCIPAL_USER)
        return tc_fail(err, TC_EFORBIDDEN, "web pages are for accounts");
    return TC_OK;
}

enum tc_status
tc_web_form_body(struct tc_request *req, struct tc_form_data *form, struct tc_error *err)
{
    const char *type = tc_req_header(req, "Content-Type");
    static const char urlencoded[] = "application/x-www-form-urlencoded";
    size_t len = 0;
    const char *body = tc_req_body(req, &len);

    if (type == NULL || strncasecmp(type, urlencoded, sizeof(urlencoded) - 1) != 0 ||
        (type[sizeof(urlencoded) - 1] != '\0' && type[sizeof(urlencoded) - 1] != ';'))
        return tc_fail(err, TC_EUNSUPPORTED, "a form must be sent as %s", urlencoded);
    return tc_urlencoded_parse(body, len, tc_req_arena(req), form, err);
}

enum tc_status
tc_web_form(struct tc_request *req, const struct tc_principal *who, struct tc_form_data *form,
            struct tc_error *err)
{
    enum tc_status st = tc_web_form_body(req, form, err);

    if (st != TC_OK)
        return st;
    return tc_auth_csrf(req, who, tc_form_get(form, "csrf"), err);
}
