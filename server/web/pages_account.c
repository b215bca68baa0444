#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "http.h"
#include "tincay/dashboard.h"
#include "tincay/db.h"
#include "tincay/forms.h"
#include "tincay/password.h"
#include "tincay/policy.h"
#include "tincay/sessions.h"
#include "tincay/strbuf.h"
#include "tincay/units.h"
#include "tincay/users.h"
#include "web/html.h"
#include "web/page.h"
#include "web/pages.h"
#include "web/urlencoded.h"

/* ---- home ---- */

/* One count of the home page, linked to where the work is when `href` is not NULL. */
static void
card(struct tc_page *p, long long count, const char *label, const char *href)
{
    tc_html_raw(p->out, "<li class=\"card\"><span class=\"count\">");
    tc_html_textf(p->out, "%lld", count);
    tc_html_raw(p->out, "</span> ");
    if (href != NULL) {
        tc_html_raw(p->out, "<a");
        tc_html_url_attr(p->out, "href", href);
        tc_html_raw(p->out, ">");
    }
    tc_html_text(p->out, label);
    if (href != NULL)
        tc_html_raw(p->out, "</a>");
    tc_html_raw(p->out, "</li>");
}

static enum tc_status
admin_cards(struct tc_page *p, struct tc_db_conn *conn, struct tc_error *err)
{
    struct tc_dashboard_admin d;
    enum tc_status st = tc_dashboard_admin(conn, &d, err);

    if (st != TC_OK)
        return st;
    card(p, d.forms_draft, tc_tr(p->lang, "Forms waiting to be published"), "/admin/forms");
    card(p, d.forms_published, tc_tr(p->lang, "Forms open for collection"), "/admin/forms");
    card(p, d.users_enabled, tc_tr(p->lang, "Active accounts"), "/admin/users");
    card(p, d.audit_unchained, tc_tr(p->lang, "Audit entries not yet chained"), "/admin/audit");
    return TC_OK;
}

static enum tc_status
area_cards(struct tc_page *p, struct tc_db_conn *conn, struct tc_error *err)
{
    const struct tc_principal *who = p->who;
    /* Viewers count them too, but read only scores and reports: no link for them. */
    const char *href = tc_policy_scope(who->role, TC_ACT_SUBMISSION_READ) != TC_SCOPE_DENIED
                           ? "/submissions"
                           : NULL;
    struct tc_dashboard_area d;
    enum tc_status st =
        tc_dashboard_area(conn, who->commune_era, who->commune_code, who->province_code, &d, err);

    if (st != TC_OK)
        return st;

    card(p, d.has_issues, tc_tr(p->lang, "Submissions with issues in your area"), href);
    card(p, d.received, tc_tr(p->lang, "Submissions waiting for review in your area"), href);
    return TC_OK;
}

static enum tc_status
collector_cards(struct tc_page *p, struct tc_db_conn *conn, struct tc_error *err)
{
    struct tc_dashboard_area d;
    enum tc_status st = tc_dashboard_collector(conn, p->who->id, &d, err);

    if (st != TC_OK)
        return st;
    card(p, d.received, tc_tr(p->lang, "Surveys you have sent"), "/submissions");
    card(p, d.has_issues, tc_tr(p->lang, "Of them, with issues to check"), "/submissions");
    return TC_OK;
}

static enum tc_status
case_cards(struct tc_page *p, struct tc_db_conn *conn, struct tc_error *err)
{
    const struct tc_principal *who = p->who;
    struct tc_dashboard_cases d;
    enum tc_status st;

    if (who->role == TC_ROLE_HOST && who->unit_id == 0)
        return TC_OK; /* a host not yet in a unit sees no case */
    st = tc_dashboard_cases(conn, who->role == TC_ROLE_HOST ? who->unit_id : 0, who->province_code,
                            &d, err);
    if (st != TC_OK)
        return st;
    card(p, d.quiet, tc_tr(p->lang, "Cases with no news for 30 days: time to follow up"), NULL);
    card(p, d.open, tc_tr(p->lang, "Cases in your care"), NULL);
    return TC_OK;
}

static enum tc_status
home_cards(struct tc_page *p, struct tc_db_conn *conn, struct tc_error *err)
{
    switch (p->who->role) {
    case TC_ROLE_ADMIN: return admin_cards(p, conn, err);
    case TC_ROLE_REVIEWER:
    case TC_ROLE_APPROVER:
    case TC_ROLE_VIEWER: return area_cards(p, conn, err);
    case TC_ROLE_COLLECTOR: return collector_cards(p, conn, err);
    case TC_ROLE_HOST:
    case TC_ROLE_ESCROW: return case_cards(p, conn, err);
    case TC_ROLE_APP_USER:
    case TC_ROLE_COUNT: break;
    }
    return TC_OK;
}

/*
 * The forms this user may fill in the browser (/fill/<form_id>, the latest published
 * version of each): surveys for those who may submit, the case intake for a unit's hosts.
 */
static enum tc_status
fill_links(struct tc_page *p, struct tc_db_conn *conn, struct tc_error *err)
{
    const struct tc_forms_filter published = {.published_only = true};
    struct tc_form_row *rows;
    size_t n = 0, shown = 0;
    enum tc_status st = tc_forms_list(conn, &published, tc_req_arena(p->req), &rows, &n, err);

    for (size_t i = 0; st == TC_OK && i < n; i++) {
        enum tc_scope scope = tc_policy_scope(
            p->who->role, rows[i].is_confidential ? TC_ACT_CASE_CREATE : TC_ACT_SUBMISSION_CREATE);
        struct tc_strbuf href = TC_STRBUF_INIT(4096);

        /* newest first within a form id: only its first row */
        if ((i > 0 && strcmp(rows[i].form_id, rows[i - 1].form_id) == 0) ||
            scope == TC_SCOPE_DENIED || (scope == TC_SCOPE_UNIT && p->who->unit_id == 0))
            continue;
        if (shown++ == 0) {
            tc_html_raw(p->out, "<h2>");
            tc_html_text(p->out, tc_tr(p->lang, "Fill a form in this browser"));
            tc_html_raw(p->out, "</h2><ul class=\"fill-links\">");
        }
        tc_strbuf_appends(&href, "/fill/");
        tc_strbuf_append_url_escaped(&href, rows[i].form_id);
        tc_html_raw(p->out, "<li><a");
        tc_html_url_attr(p->out, "href", tc_strbuf_failed(&href) ? "/home" : tc_strbuf_str(&href));
        tc_html_raw(p->out, ">");
        tc_html_text(p->out, rows[i].title[0] != '\0' ? rows[i].title : rows[i].form_id);
        tc_html_raw(p->out, "</a></li>");
        tc_strbuf_cleanup(&href);
    }
    if (shown > 0)
        tc_html_raw(p->out, "</ul>");
    return st;
}

enum tc_status
tc_page_home(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    struct tc_db_conn *conn;
    struct tc_page p;
    enum tc_status st;
    size_t before;

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = tc_page_init(&p, req, resp, &who, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    tc_page_begin(&p, tc_tr(p.lang, "Home"));
    tc_html_raw(p.out, "<h2>");
    tc_html_text(p.out, tc_tr(p.lang, "What needs your attention"));
    tc_html_raw(p.out, "</h2><ul class=\"cards\">");
    before = p.out->len;
    if ((st = home_cards(&p, conn, err)) != TC_OK) {
        tc_strbuf_reset(p.out); /* the error page replaces the half-built one */
        return st;
    }
    tc_html_raw(p.out, "</ul>");
    if (p.out->len == before + strlen("</ul>")) {
        tc_html_raw(p.out, "<p>");
        tc_html_text(p.out, tc_tr(p.lang, "Nothing needs your attention now."));
        tc_html_raw(p.out, "</p>");
    }
    if ((st = fill_links(&p, conn, err)) != TC_OK) {
        tc_strbuf_reset(p.out);
        return st;
    }
    tc_page_end(&p);
    return tc_page_finish(&p, err);
}

/* ---- password change ---- */

static enum tc_status
render_password(struct tc_request *req, struct tc_response *resp, const struct tc_principal *who,
                const char *message, struct tc_error *err)
{
    struct tc_page p;
    enum tc_status st;
    char hint[160];

    if ((st = tc_page_init(&p, req, resp, who, err)) != TC_OK)
        return st;
    tc_trf(hint, sizeof(hint), p.lang, "At least %d characters.", TC_PASSWORD_MIN_CHARS);
    tc_page_begin(&p, tc_tr(p.lang, "Change password"));
    if (message != NULL)
        tc_page_message(&p, message, true);
    if (who->role == TC_ROLE_HOST || who->role == TC_ROLE_ESCROW || who->unit_id != 0) {
        tc_html_raw(p.out, "<p>");
        tc_html_text(p.out, tc_tr(p.lang, "Your unit's key is protected by your password: "
                                          "changing it here wraps the key again under the new "
                                          "password. Other members keep theirs."));
        tc_html_raw(p.out, "</p>");
    }
    tc_html_raw(p.out, "<p>");
    tc_html_text(p.out, tc_tr(p.lang, "Every session of your account ends; this browser stays "
                                      "logged in with the new password."));
    tc_html_raw(p.out, "</p>");
    tc_form_begin(&p, "/account/password", NULL);
    tc_form_input(&p, &(struct tc_field){.type = "password",
                                         .name = "current",
                                         .label = tc_tr(p.lang, "Current password"),
                                         .autocomplete = "current-password",
                                         .required = true});
    tc_form_input(&p, &(struct tc_field){.type = "password",
                                         .name = "new",
                                         .label = tc_tr(p.lang, "New password"),
                                         .autocomplete = "new-password",
                                         .hint = hint,
                                         .required = true});
    tc_form_input(&p, &(struct tc_field){.type = "password",
                                         .name = "repeat",
                                         .label = tc_tr(p.lang, "New password, again"),
                                         .autocomplete = "new-password",
                                         .required = true});
    tc_form_submit(&p, tc_tr(p.lang, "Change password"));
    tc_form_end(&p);
    tc_page_end(&p);
    return tc_page_finish(&p, err);
}

enum tc_status
tc_page_password(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    enum tc_status st = tc_web_user(req, &who, err);

    return st != TC_OK ? st : render_password(req, resp, &who, NULL, err);
}

/* Re-show the form with the failure's message and status. */
static enum tc_status
password_refused(struct tc_request *req, struct tc_response *resp, const struct tc_principal *who,
                 enum tc_status st, struct tc_error *err)
{
    char message[sizeof(err->msg)];

    (void)snprintf(message, sizeof(message), "%s", err->msg);
    tc_error_clear(err);
    tc_resp_status(resp, tc_status_http(st));
    return render_password(req, resp, who, message, err);
}

struct password_change {
    struct tc_password_gate *gate;
    const struct tc_principal *who;
    const struct tc_form_field *current, *fresh;
};

/* The new hash and the keys wrapped under the password change together, or not at all. */
static enum tc_status
password_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    const struct password_change *pc = ctx;
    const struct tc_vault_kdf kdf = {.gate = pc->gate, .cost = TC_PASSWORD_INTERACTIVE};
    enum tc_status st;

    st = tc_vault_password_change(conn, &kdf, pc->who->id, pc->current->value,
                                  pc->current->value_len, pc->fresh->value, pc->fresh->value_len,
                                  err);
    if (st != TC_OK)
        return st;
    return tc_user_set_password(conn, pc->gate, pc->who->login, pc->fresh->value,
                                pc->fresh->value_len, err);
}

static enum tc_status
change_password(struct tc_request *req, struct tc_response *resp, const struct tc_principal *who,
                const struct tc_form_field *current, const struct tc_form_field *fresh,
                struct tc_error *err)
{
    struct tc_password_gate *gate = tc_auth_gate(tc_server_auth(tc_req_server(req)));
    struct tc_login_request lr = {.login = who->login,
                                  .password = current->value,
                                  .password_len = current->value_len,
                                  .client_addr = tc_req_client_addr(req),
                                  .user_agent = tc_req_header(req, "User-Agent")};
    char token[TC_SESSION_TOKEN_MAX] = "";
    struct password_change ctx;
    struct tc_principal renewed;
    struct tc_db_conn *conn;
    struct tc_user user;
    long long stamp;
    enum tc_status st;

    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    st = tc_login_verify(conn, gate, &lr, tc_req_arena(req), &user, &stamp, err);
    if (st == TC_EUNAUTH)
        st = tc_fail(err, TC_EINVAL, "the current password is wrong");
    if (st == TC_EINVAL || st == TC_ERATELIMIT || st == TC_EBUSY)
        return password_refused(req, resp, who, st, err);
    if (st != TC_OK)
        return st;
    /* The unit keys a host holds, and an escrow officer's key, are re-wrapped with it. */
    ctx = (struct password_change){.gate = gate, .who = who, .current = current, .fresh = fresh};
    st = tc_db_transact(conn, false, password_txn, &ctx, err);
    if (st == TC_EINVAL || st == TC_EBUSY)
        return password_refused(req, resp, who, st, err);
    if (st != TC_OK)
        return st;
    tc_auth_audit(req, who, "password.change", "ok", NULL);
    /* Every session ended with the change: this browser gets a new one. */
    st = tc_auth_login(req, who->login, fresh->value, fresh->value_len, token, &renewed, err);
    if (st == TC_OK && (st = tc_web_cookie(req, resp, TC_AUTH_COOKIE, token, 0, err)) == TC_OK)
        st = tc_web_redirect(req, resp, "/home", TC_FLASH_PASSWORD_CHANGED, err);
    sodium_memzero(token, sizeof(token));
    return st;
}

enum tc_status
tc_page_password_post(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_form_data form = {.n = 0};
    struct tc_form_field *current, *fresh, *repeat;
    struct tc_principal who;
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = tc_web_form(req, &who, &form, err)) != TC_OK)
        goto out;
    current = tc_form_field(&form, "current");
    fresh = tc_form_field(&form, "new");
    repeat = tc_form_field(&form, "repeat");
    if (current == NULL || fresh == NULL || repeat == NULL || current->value_len == 0) {
        st = tc_fail(err, TC_EINVAL, "fill in every field");
        st = password_refused(req, resp, &who, st, err);
    } else if (fresh->value_len != repeat->value_len ||
               sodium_memcmp(fresh->value, repeat->value, fresh->value_len) != 0) {
        st = tc_fail(err, TC_EINVAL, "the two new passwords differ");
        st = password_refused(req, resp, &who, st, err);
    } else {
        st = change_password(req, resp, &who, current, fresh, err);
    }
out:
    tc_form_wipe(&form);
    tc_req_body_wipe(req);
    return st;
}
