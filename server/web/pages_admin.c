#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "http.h"
#include "tincay/arena.h"
#include "tincay/audit.h"
#include "tincay/db.h"
#include "tincay/fmt.h"
#include "tincay/password.h"
#include "tincay/strbuf.h"
#include "tincay/units.h"
#include "tincay/users.h"
#include "web/html.h"
#include "web/page.h"
#include "web/pages.h"
#include "web/urlencoded.h"

#define USERS_PER_PAGE 50
#define AUDIT_PER_PAGE 50
#define CHAIN_MAX_ROWS 100000
#define URL_MAX        256

/* ---- users ---- */

static void
user_row(struct tc_page *p, const struct tc_user *u)
{
    char created[TC_FMT_DATE_SIZE];
    struct tc_strbuf action = TC_STRBUF_INIT(URL_MAX);

    tc_table_row_begin(p);
    tc_table_cell(p, u->login);
    tc_table_cell(p, u->display_name);
    tc_table_cell(p, tc_web_role_label(p->lang, u->role));
    tc_table_cell(p, u->commune_code != NULL ? u->commune_code : u->province_code);
    tc_table_cell(p, tc_fmt_date(u->created_at, created) == 0 ? created : NULL);
    tc_table_cell(p, u->disabled ? tc_tr(p->lang, "disabled") : tc_tr(p->lang, "active"));
    tc_html_raw(p->out, "<td>");
    if (!u->disabled && u->id != p->who->id) {
        char question[200];

        tc_strbuf_appends(&action, "/admin/users/");
        tc_html_url_segment(&action, u->login);
        tc_strbuf_appends(&action, "/disable");
        tc_form_button_confirm(
            p, tc_strbuf_failed(&action) ? "/admin/users" : tc_strbuf_str(&action),
            tc_tr(p->lang, "Disable"),
            tc_trf(question, sizeof(question), p->lang,
                   "Disable the account \"%s\"? Its sessions end at once.", u->login));
    }
    tc_html_raw(p->out, "</td>");
    tc_table_row_end(p);
    tc_strbuf_cleanup(&action);
}

static void
users_table(struct tc_page *p, const struct tc_user *users, size_t n, struct tc_paging *pg)
{
    const char *headings[] = {
        tc_tr(p->lang, "Login"),   tc_tr(p->lang, "Name"),    tc_tr(p->lang, "Role"),
        tc_tr(p->lang, "Area"),    tc_tr(p->lang, "Created"), tc_tr(p->lang, "Status"),
        tc_tr(p->lang, "Actions"),
    };
    size_t first = (size_t)tc_paging_offset(pg);

    pg->has_next = n > first + pg->per_page;
    tc_table_begin(p, tc_tr(p->lang, "Accounts"), headings, sizeof(headings) / sizeof(headings[0]));
    for (size_t i = first; i < n && i < first + pg->per_page; i++)
        user_row(p, &users[i]);
    tc_table_end(p);
    tc_page_pager(p, "/admin/users", pg);
}

/* What the add-user form shows again after a refusal. */
struct user_form {
    const char *login, *name, *role, *commune, *province, *language;
};

static void
add_user_form(struct tc_page *p, const struct user_form *f)
{
    struct tc_option roles[TC_ROLE_APP_USER];
    const struct tc_option langs[] = {{"vi", "Tiếng Việt"}, {"en", "English"}};

    for (int r = 0; r < TC_ROLE_APP_USER; r++)
        roles[r] = (struct tc_option){tc_role_name((enum tc_role)r),
                                      tc_web_role_label(p->lang, (enum tc_role)r)};
    tc_html_raw(p->out, "<h2 id=\"add\">");
    tc_html_text(p->out, tc_tr(p->lang, "Add an account"));
    tc_html_raw(p->out, "</h2>");
    tc_form_begin(p, "/admin/users", NULL);
    tc_form_input(p, &(struct tc_field){.type = "text",
                                        .name = "login",
                                        .label = tc_tr(p->lang, "Login"),
                                        .value = f->login,
                                        .autocomplete = "off",
                                        .hint = tc_tr(p->lang, "3 to 64 letters a-z, digits, "
                                                               "'.', '_' or '-'."),
                                        .required = true});
    tc_form_input(p, &(struct tc_field){.type = "text",
                                        .name = "display_name",
                                        .label = tc_tr(p->lang, "Full name"),
                                        .value = f->name,
                                        .autocomplete = "off"});
    tc_form_select(p, "role", tc_tr(p->lang, "Role"), roles, TC_ROLE_APP_USER,
                   f->role != NULL ? f->role : "collector");
    tc_form_input(p, &(struct tc_field){.type = "text",
                                        .name = "commune",
                                        .label = tc_tr(p->lang, "Commune code"),
                                        .value = f->commune,
                                        .autocomplete = "off",
                                        .hint = tc_tr(p->lang, "The commune's 5-digit official "
                                                               "code; empty for province staff.")});
    tc_form_input(p, &(struct tc_field){.type = "text",
                                        .name = "province",
                                        .label = tc_tr(p->lang, "Province code"),
                                        .value = f->province,
                                        .autocomplete = "off",
                                        .hint = tc_tr(p->lang, "2 digits; taken from the commune "
                                                               "when one is given.")});
    tc_form_select(p, "language", tc_tr(p->lang, "Language"), langs, 2,
                   f->language != NULL ? f->language : "vi");
    tc_form_submit(p, tc_tr(p->lang, "Add the account"));
    tc_form_end(p);
}

static enum tc_status
render_users(struct tc_request *req, struct tc_response *resp, const struct tc_principal *who,
             const char *message, const struct user_form *f, struct tc_error *err)
{
    static const struct user_form empty = {NULL, NULL, NULL, NULL, NULL, NULL};
    struct tc_user *users = NULL;
    struct tc_db_conn *conn;
    struct tc_paging pg;
    struct tc_page p;
    enum tc_status st;
    size_t n = 0;

    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = tc_user_list(conn, tc_req_arena(req), &users, &n, err)) != TC_OK ||
        (st = tc_page_init(&p, req, resp, who, err)) != TC_OK)
        return st;
    tc_paging_init(&pg, req, USERS_PER_PAGE);
    tc_page_begin(&p, tc_tr(p.lang, "Users"));
    if (message != NULL)
        tc_page_message(&p, message, true);
    users_table(&p, users, n, &pg);
    add_user_form(&p, f != NULL ? f : &empty);
    tc_page_end(&p);
    return tc_page_finish(&p, err);
}

enum tc_status
tc_page_users(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = tc_auth_check(req, &who, TC_ACT_USER_MANAGE, NULL, err)) != TC_OK)
        return st;
    return render_users(req, resp, &who, NULL, NULL, err);
}

/* The new account's one-time password, shown once on the page that answers the POST. */
static enum tc_status
render_created(struct tc_request *req, struct tc_response *resp, const struct tc_principal *who,
               const char *login, const char *password, struct tc_error *err)
{
    struct tc_page p;
    enum tc_status st;

    if ((st = tc_page_init(&p, req, resp, who, err)) != TC_OK)
        return st;
    tc_page_begin(&p, tc_tr(p.lang, "Account created"));
    tc_html_raw(p.out, "<div class=\"msg msg-ok\" role=\"status\"><p>");
    tc_html_trf(p.out, p.lang,
                "The account \"%s\" has been created. Its first password is shown once, "
                "here only:",
                login);
    tc_html_raw(p.out, "</p></div><p><code class=\"secret\" id=\"new-password\">");
    tc_html_text(p.out, password);
    tc_html_raw(p.out, "</code></p><p>");
    tc_html_text(p.out, tc_tr(p.lang, "Give it to the person in private; they should change it "
                                      "after their first login."));
    tc_html_raw(p.out, "</p><p><a href=\"/admin/users\">");
    tc_html_text(p.out, tc_tr(p.lang, "Back to the users"));
    tc_html_raw(p.out, "</a></p>");
    tc_page_end(&p);
    return tc_page_finish(&p, err);
}

static const char *
nonempty(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : NULL;
}

/* An account, and for an escrow officer the key pair, in one transaction (as the CLI does). */
struct user_add {
    struct tc_password_gate *gate;
    const struct tc_user_new *user;
    const char *password;
    long long id;
};

static enum tc_status
user_add_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    struct user_add *a = ctx;
    const struct tc_vault_kdf kdf = {.gate = a->gate, .cost = TC_PASSWORD_INTERACTIVE};
    size_t len = strlen(a->password);
    enum tc_status st = tc_user_create(conn, a->gate, a->user, a->password, len, &a->id, err);

    if (st != TC_OK || a->user->role != TC_ROLE_ESCROW)
        return st;
    return tc_escrow_create(conn, &kdf, a->id, a->user->province_code, a->password, len, err);
}

static enum tc_status
create_user(struct tc_request *req, struct tc_response *resp, const struct tc_principal *who,
            const struct user_form *f, struct tc_error *err)
{
    struct tc_user_new u = {.login = f->login,
                            .display_name = nonempty(f->name),
                            .commune_code = nonempty(f->commune),
                            .province_code = nonempty(f->province),
                            .language = TC_LANG_VI};
    char password[TC_PASSWORD_GENERATED];
    struct user_add add = {
        .gate = tc_auth_gate(tc_server_auth(tc_req_server(req))), .user = &u, .password = password};
    struct tc_db_conn *conn;
    enum tc_status st;

    if (f->role == NULL || tc_role_parse(f->role, &u.role) != 0)
        return tc_fail(err, TC_EINVAL, "unknown role \"%s\"", f->role != NULL ? f->role : "");
    if (f->language != NULL && tc_lang_parse(f->language, &u.language) != 0)
        return tc_fail(err, TC_EINVAL, "unknown language \"%s\"", f->language);
    if (u.role == TC_ROLE_ESCROW && u.province_code == NULL)
        return tc_fail(err, TC_EINVAL, "an escrow officer needs a province code");
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    tc_password_generate(password);
    st = tc_db_transact(conn, false, user_add_txn, &add, err);
    if (st == TC_OK) {
        char detail[128];

        (void)snprintf(detail, sizeof(detail), "{\"user_id\": %lld, \"role\": \"%s\"}", add.id,
                       tc_role_name(u.role));
        tc_auth_audit(req, who, "user.create", "ok", detail);
        st = render_created(req, resp, who, f->login, password, err);
    }
    sodium_memzero(password, sizeof(password));
    return st;
}

enum tc_status
tc_page_users_post(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_form_data form;
    struct tc_principal who;
    struct user_form f;
    enum tc_status st;
    char message[sizeof(err->msg)];

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = tc_auth_check(req, &who, TC_ACT_USER_MANAGE, NULL, err)) != TC_OK ||
        (st = tc_web_form(req, &who, &form, err)) != TC_OK)
        return st;
    f = (struct user_form){tc_form_get(&form, "login"),    tc_form_get(&form, "display_name"),
                           tc_form_get(&form, "role"),     tc_form_get(&form, "commune"),
                           tc_form_get(&form, "province"), tc_form_get(&form, "language")};
    st = create_user(req, resp, &who, &f, err);
    if (st != TC_EINVAL && st != TC_ECONFLICT)
        return st;
    /* A refusal the admin can fix: the list again, with the message and what was typed. */
    (void)snprintf(message, sizeof(message), "%s", err->msg);
    tc_error_clear(err);
    tc_resp_status(resp, tc_status_http(st));
    return render_users(req, resp, &who, message, &f, err);
}

enum tc_status
tc_page_user_disable(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    const char *login = tc_req_param(req, "login");
    struct tc_form_data form;
    struct tc_principal who;
    struct tc_db_conn *conn;
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = tc_auth_check(req, &who, TC_ACT_USER_MANAGE, NULL, err)) != TC_OK ||
        (st = tc_web_form(req, &who, &form, err)) != TC_OK)
        return st;
    if (login == NULL || strcmp(login, who.login) == 0)
        return tc_fail(err, TC_ECONFLICT, "you cannot disable your own account");
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = tc_user_disable(conn, login, err)) != TC_OK)
        return st;
    tc_auth_audit(req, &who, "user.disable", "ok", NULL);
    return tc_web_redirect(req, resp, "/admin/users", TC_FLASH_USER_DISABLED, err);
}

/* ---- audit log ---- */

static const char *
outcome_label(enum tc_lang lang, const char *outcome)
{
    if (outcome != NULL && strcmp(outcome, "ok") == 0)
        return tc_tr(lang, "succeeded");
    if (outcome != NULL && strcmp(outcome, "denied") == 0)
        return tc_tr(lang, "denied");
    if (outcome != NULL && strcmp(outcome, "failed") == 0)
        return tc_tr(lang, "failed");
    return outcome;
}

static void
audit_row(struct tc_page *p, const struct tc_audit_row *r)
{
    char at[TC_FMT_DATETIME_SIZE];

    tc_table_row_begin(p);
    tc_html_raw(p->out, "<td class=\"num\">");
    tc_html_textf(p->out, "%lld", r->id);
    tc_html_raw(p->out, "</td>");
    tc_table_cell(p, tc_fmt_datetime(r->at, at) == 0 ? at : r->at);
    tc_table_cell(p, r->actor_login != NULL ? r->actor_login : r->actor_kind);
    tc_table_cell(p, r->action);
    tc_html_raw(p->out, "<td>");
    tc_html_text(p->out, r->object_kind);
    if (r->object_id != NULL) {
        tc_html_raw(p->out, " ");
        tc_html_text(p->out, r->object_id);
    }
    tc_html_raw(p->out, "</td>");
    tc_table_cell(p, outcome_label(p->lang, r->outcome));
    tc_table_cell(p, r->client_addr);
    tc_table_cell(p, r->chain_seq != 0 ? tc_tr(p->lang, "yes") : tc_tr(p->lang, "not yet"));
    tc_table_row_end(p);
}

static void
chain_result(struct tc_page *p, const struct tc_audit_report *rep)
{
    tc_html_raw(p->out, "<div class=\"msg ");
    tc_html_raw(p->out, rep->first_broken_id == 0 ? "msg-ok\" role=\"status\" id=\"chain\"><p>"
                                                  : "msg-error\" role=\"alert\" id=\"chain\"><p>");
    if (rep->first_broken_id == 0) {
        tc_html_raw(p->out, "<strong class=\"chain-ok\">");
        tc_html_text(p->out, tc_tr(p->lang, "The chain is intact."));
        tc_html_raw(p->out, "</strong> ");
        tc_html_trf(p->out, p->lang, "%zu entries checked, %zu not yet chained.", rep->checked,
                    rep->unchained);
    } else {
        tc_html_raw(p->out, "<strong class=\"chain-bad\">");
        tc_html_text(p->out, tc_tr(p->lang, "The chain is broken."));
        tc_html_raw(p->out, "</strong> ");
        tc_html_trf(p->out, p->lang, "The first entry that fails is #%lld.", rep->first_broken_id);
    }
    tc_html_raw(p->out, "</p></div>");
}

static enum tc_status
render_audit(struct tc_request *req, struct tc_response *resp, const struct tc_principal *who,
             const struct tc_audit_report *rep, struct tc_error *err)
{
    const char *headings[8];
    struct tc_audit_row *rows = NULL;
    struct tc_db_conn *conn;
    struct tc_paging pg;
    struct tc_page p;
    enum tc_status st;
    size_t n = 0;

    tc_paging_init(&pg, req, AUDIT_PER_PAGE);
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = tc_audit_list(conn, tc_paging_offset(&pg), AUDIT_PER_PAGE + 1, tc_req_arena(req),
                            &rows, &n, err)) != TC_OK ||
        (st = tc_page_init(&p, req, resp, who, err)) != TC_OK)
        return st;
    pg.has_next = n > AUDIT_PER_PAGE;
    tc_page_begin(&p, tc_tr(p.lang, "Audit log"));
    if (rep != NULL)
        chain_result(&p, rep);
    tc_html_raw(p.out, "<p>");
    tc_html_text(p.out, tc_tr(p.lang, "Every entry is linked to the one before by a hash, so "
                                      "that a changed or deleted entry shows."));
    tc_html_raw(p.out, "</p>");
    tc_form_button(&p, "/admin/audit/verify", tc_tr(p.lang, "Check the chain"));
    headings[0] = "#";
    headings[1] = tc_tr(p.lang, "Time");
    headings[2] = tc_tr(p.lang, "Who");
    headings[3] = tc_tr(p.lang, "Action");
    headings[4] = tc_tr(p.lang, "Object");
    headings[5] = tc_tr(p.lang, "Outcome");
    headings[6] = tc_tr(p.lang, "Address");
    headings[7] = tc_tr(p.lang, "Chained");
    tc_table_begin(&p, tc_tr(p.lang, "Entries, newest first"), headings, 8);
    for (size_t i = 0; i < n && i < AUDIT_PER_PAGE; i++)
        audit_row(&p, &rows[i]);
    tc_table_end(&p);
    tc_page_pager(&p, "/admin/audit", &pg);
    tc_page_end(&p);
    return tc_page_finish(&p, err);
}

enum tc_status
tc_page_audit(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = tc_auth_check(req, &who, TC_ACT_AUDIT_READ, NULL, err)) != TC_OK)
        return st;
    return render_audit(req, resp, &who, NULL, err);
}

enum tc_status
tc_page_audit_verify(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_audit_report rep;
    struct tc_form_data form;
    struct tc_principal who;
    struct tc_db_conn *conn;
    enum tc_status st;
    size_t chained = 0;

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = tc_auth_check(req, &who, TC_ACT_AUDIT_READ, NULL, err)) != TC_OK ||
        (st = tc_web_form(req, &who, &form, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    /* Chain what has committed so far, so the check covers the latest entries too. */
    if ((st = tc_audit_chain(conn, CHAIN_MAX_ROWS, &chained, err)) != TC_OK ||
        (st = tc_audit_verify(conn, &rep, err)) != TC_OK)
        return st;
    tc_auth_audit(req, &who, "audit.verify", rep.first_broken_id == 0 ? "ok" : "failed", NULL);
    return render_audit(req, resp, &who, &rep, err);
}
