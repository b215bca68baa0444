#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "http.h"
#include "tincay/app_users.h"
#include "tincay/arena.h"
#include "tincay/config.h"
#include "tincay/db.h"
#include "tincay/fmt.h"
#include "tincay/forms.h"
#include "tincay/strbuf.h"
#include "tincay/units.h"
#include "web/html.h"
#include "web/page.h"
#include "web/pages.h"
#include "web/qr.h"
#include "web/urlencoded.h"

#define DETAIL_MAX   256
#define NAME_MAX_LEN 200
#define QR_MAX       (1u << 20)

/* What the app-user pages show besides the app users: the forms and units to choose from. */
struct choices {
    struct tc_form_row *forms; /* every version, by form id then newest first */
    size_t n_forms;
    struct tc_unit *units;
    size_t n_units;
};

static enum tc_status
load_choices(struct tc_db_conn *conn, struct tc_arena *arena, struct choices *c,
             struct tc_error *err)
{
    enum tc_status st = tc_forms_list(conn, NULL, arena, &c->forms, &c->n_forms, err);

    if (st != TC_OK)
        return st;
    return tc_unit_list(conn, arena, &c->units, &c->n_units, err);
}

/* The row of form version `id`, or NULL. */
static const struct tc_form_row *
form_by_row(const struct choices *c, long long id)
{
    for (size_t i = 0; i < c->n_forms; i++)
        if (c->forms[i].id == id)
            return &c->forms[i];
    return NULL;
}

static const char *
unit_code(const struct choices *c, long long id)
{
    for (size_t i = 0; i < c->n_units; i++)
        if (c->units[i].id == id)
            return c->units[i].code;
    return NULL;
}

/* The form ids assigned to app user `id`, comma-separated, in `arena`. */
static const char *
assigned_forms(struct tc_db_conn *conn, struct tc_arena *arena, const struct choices *c,
               long long id)
{
    struct tc_strbuf sb = TC_STRBUF_INIT(4096);
    struct tc_error ignored = TC_ERROR_INIT(TC_LANG_EN);
    const char *last = NULL;
    int64_t *rows = NULL;
    size_t n = 0;
    char *out;

    if (tc_app_user_form_rows(conn, id, arena, &rows, &n, &ignored) != TC_OK)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const struct tc_form_row *f = form_by_row(c, rows[i]);

        if (f == NULL || (last != NULL && strcmp(last, f->form_id) == 0))
            continue;
        if (last != NULL)
            tc_strbuf_appends(&sb, ", ");
        tc_strbuf_appends(&sb, f->form_id);
        last = f->form_id;
    }
    out = tc_strbuf_failed(&sb) ? NULL : tc_arena_strdup(arena, tc_strbuf_str(&sb));
    tc_strbuf_cleanup(&sb);
    return out;
}

static void
appuser_row(struct tc_page *p, struct tc_db_conn *conn, const struct choices *c,
            const struct tc_app_user *u)
{
    char created[TC_FMT_DATE_SIZE];
    const char *action =
        tc_arena_printf(tc_req_arena(p->req), "/admin/appusers/%lld/revoke", u->id);

    tc_table_row_begin(p);
    tc_table_cell(p, u->name);
    tc_table_cell(p, assigned_forms(conn, tc_req_arena(p->req), c, u->id));
    tc_table_cell(p, u->unit_id > 0 ? unit_code(c, u->unit_id) : NULL);
    tc_table_cell(p, tc_fmt_date(u->created_at, created) == 0 ? created : NULL);
    tc_table_cell(p, u->is_revoked ? tc_tr(p->lang, "revoked") : tc_tr(p->lang, "active"));
    tc_html_raw(p->out, "<td>");
    if (!u->is_revoked && action != NULL) {
        char question[DETAIL_MAX];

        tc_form_button_confirm(p, action, tc_tr(p->lang, "Revoke"),
                               tc_trf(question, sizeof(question), p->lang,
                                      "Revoke \"%s\"? Its phone can no longer download forms or "
                                      "send submissions.",
                                      u->name));
    }
    tc_html_raw(p->out, "</td>");
    tc_table_row_end(p);
}

/* One checkbox per form id. */
static void
form_checkboxes(struct tc_page *p, const struct choices *c)
{
    const char *last = NULL;

    tc_html_raw(p->out, "<fieldset class=\"field\"><legend>");
    tc_html_text(p->out, tc_tr(p->lang, "Forms it may use"));
    tc_html_raw(p->out, "</legend>");
    for (size_t i = 0; i < c->n_forms; i++) {
        const struct tc_form_row *f = &c->forms[i];
        char id[32];

        if (last != NULL && strcmp(last, f->form_id) == 0)
            continue;
        last = f->form_id;
        (void)snprintf(id, sizeof(id), "f-form-%zu", i);
        tc_html_raw(p->out, "<div class=\"check\"><input type=\"checkbox\" name=\"form\"");
        tc_html_attr(p->out, "id", id);
        tc_html_attr(p->out, "value", f->form_id);
        tc_html_raw(p->out, "><label");
        tc_html_attr(p->out, "for", id);
        tc_html_raw(p->out, ">");
        tc_html_text(p->out, f->title);
        tc_html_raw(p->out, " <code>");
        tc_html_text(p->out, f->form_id);
        tc_html_raw(p->out, "</code></label></div>");
    }
    if (last == NULL) {
        tc_html_raw(p->out, "<p class=\"hint\">");
        tc_html_text(p->out, tc_tr(p->lang, "No form has been uploaded yet."));
        tc_html_raw(p->out, "</p>");
    }
    tc_html_raw(p->out, "</fieldset>");
}

static void
add_form(struct tc_page *p, const struct choices *c, const char *name)
{
    struct tc_option *units = tc_arena_calloc(tc_req_arena(p->req), c->n_units + 1, sizeof(*units));

    tc_html_raw(p->out, "<h2 id=\"add\">");
    tc_html_text(p->out, tc_tr(p->lang, "Add an app user"));
    tc_html_raw(p->out, "</h2>");
    tc_form_begin(p, "/admin/appusers", NULL);
    tc_form_input(p, &(struct tc_field){.type = "text",
                                        .name = "name",
                                        .label = tc_tr(p->lang, "Name"),
                                        .value = name,
                                        .autocomplete = "off",
                                        .hint = tc_tr(p->lang, "Whose phone it is, e.g. \"Tổ "
                                                               "truyền thông bản Nà Sang\"."),
                                        .required = true});
    form_checkboxes(p, c);
    if (units != NULL) {
        units[0] = (struct tc_option){"", tc_tr(p->lang, "none")};
        for (size_t i = 0; i < c->n_units; i++)
            units[i + 1] = (struct tc_option){c->units[i].code, c->units[i].name};
        tc_form_select(p, "unit", tc_tr(p->lang, "Trusted Address unit (optional)"), units,
                       c->n_units + 1, "");
    }
    tc_form_submit(p, tc_tr(p->lang, "Add the app user"));
    tc_form_end(p);
}

static enum tc_status
render_appusers(struct tc_request *req, struct tc_response *resp, const struct tc_principal *who,
                const char *message, const char *name, struct tc_error *err)
{
    struct tc_app_user *users = NULL;
    struct tc_db_conn *conn;
    struct choices c = {0};
    struct tc_page p;
    enum tc_status st;
    size_t n = 0;
    const char *headings[6];

    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = load_choices(conn, tc_req_arena(req), &c, err)) != TC_OK ||
        (st = tc_app_user_list(conn, tc_req_arena(req), &users, &n, err)) != TC_OK ||
        (st = tc_page_init(&p, req, resp, who, err)) != TC_OK)
        return st;
    tc_page_begin(&p, tc_tr(p.lang, "App users"));
    if (message != NULL)
        tc_page_message(&p, message, true);
    tc_html_raw(p.out, "<p>");
    tc_html_text(p.out, tc_tr(p.lang, "An app user is a phone with ODK Collect: it signs in with "
                                      "a secret link shown once, as a QR code to scan."));
    tc_html_raw(p.out, "</p>");
    headings[0] = tc_tr(p.lang, "Name");
    headings[1] = tc_tr(p.lang, "Forms");
    headings[2] = tc_tr(p.lang, "Unit");
    headings[3] = tc_tr(p.lang, "Created");
    headings[4] = tc_tr(p.lang, "Status");
    headings[5] = tc_tr(p.lang, "Actions");
    tc_table_begin(&p, tc_tr(p.lang, "App users"), headings, 6);
    for (size_t i = n; i > 0; i--)
        appuser_row(&p, conn, &c, &users[i - 1]);
    tc_table_end(&p);
    add_form(&p, &c, name);
    tc_page_end(&p);
    return tc_page_finish(&p, err);
}

enum tc_status
tc_page_appusers(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = tc_auth_check(req, &who, TC_ACT_APPUSER_MANAGE, NULL, err)) != TC_OK)
        return st;
    return render_appusers(req, resp, &who, NULL, NULL, err);
}

/* ---- creation: the link and its QR code, shown once ---- */

struct creation {
    const char *name;
    long long unit_id;
    long long created_by;
    const char *const *forms;
    size_t n_forms;
    char token[TC_APP_TOKEN_LEN + 1];
    long long id;
};

static enum tc_status
create_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    struct creation *c = ctx;
    enum tc_status st =
        tc_app_user_create(conn, c->name, c->unit_id, c->created_by, c->token, &c->id, err);

    for (size_t i = 0; st == TC_OK && i < c->n_forms; i++)
        st = tc_app_user_assign(conn, c->id, c->forms[i], err);
    return st;
}

/* The QR code beside the URL it carries; Collect reads the settings, people the URL. */
static enum tc_status
show_qr(struct tc_page *p, const char *url, bool delete_after_send, struct tc_error *err)
{
    struct tc_collect_settings s = {.server_url = url, .delete_after_send = delete_after_send};
    struct tc_strbuf payload = TC_STRBUF_INIT(QR_MAX);
    enum tc_status st;

    if ((st = tc_qr_collect_payload(&s, &payload, err)) != TC_OK)
        goto out;
    tc_html_raw(p->out, "<figure class=\"qr-card\" id=\"qr\">");
    if ((st = tc_qr_svg(tc_strbuf_str(&payload),
                        tc_tr(p->lang, "QR code of the settings for ODK Collect"), p->out, err)) !=
        TC_OK)
        goto out;
    tc_html_raw(p->out, "<figcaption><p>");
    tc_html_text(p->out, tc_tr(p->lang, "Server URL for ODK Collect:"));
    tc_html_raw(p->out, "</p><p><code class=\"secret\" id=\"server-url\">");
    tc_html_text(p->out, url);
    tc_html_raw(p->out, "</code></p>");
    if (delete_after_send) {
        tc_html_raw(p->out, "<p>");
        tc_html_text(p->out, tc_tr(p->lang, "This phone belongs to a Trusted Address unit: Collect "
                                            "deletes each form once it has been sent."));
        tc_html_raw(p->out, "</p>");
    }
    tc_html_raw(p->out, "</figcaption></figure>");
out:
    if (payload.data != NULL)
        sodium_memzero(payload.data, payload.cap);
    tc_strbuf_cleanup(&payload);
    return st;
}

static enum tc_status
render_created(struct tc_request *req, struct tc_response *resp, const struct tc_principal *who,
               const struct creation *c, struct tc_error *err)
{
    const struct tc_config *cfg = tc_server_config(tc_req_server(req));
    char url[sizeof(cfg->public_url) + TC_APP_TOKEN_LEN + 8];
    struct tc_page p;
    enum tc_status st;

    (void)snprintf(url, sizeof(url), "%s/key/%s", cfg->public_url, c->token);
    if ((st = tc_page_init(&p, req, resp, who, err)) != TC_OK)
        goto out;
    tc_page_begin(&p, tc_tr(p.lang, "App user created"));
    tc_html_raw(p.out, "<div class=\"msg msg-ok\" role=\"status\"><p>");
    tc_html_trf(p.out, p.lang,
                "The app user \"%s\" has been created. Scan this code with ODK Collect "
                "(Add project, Configure with QR code). It is shown once, here only:",
                c->name);
    tc_html_raw(p.out, "</p></div>");
    if ((st = show_qr(&p, url, c->unit_id > 0, err)) != TC_OK)
        goto out;
    tc_html_raw(p.out, "<p>");
    tc_html_text(p.out, tc_tr(p.lang, "Anyone holding this link can send forms as this app user: "
                                      "revoke it if the phone is lost."));
    tc_html_raw(p.out, "</p><p><a href=\"/admin/appusers\">");
    tc_html_text(p.out, tc_tr(p.lang, "Back to the app users"));
    tc_html_raw(p.out, "</a></p>");
    tc_page_end(&p);
    st = tc_page_finish(&p, err);
out:
    sodium_memzero(url, sizeof(url));
    return st;
}

/* The values of every "form" field of the post (checkboxes), in `arena`. */
static const char *const *
checked_forms(const struct tc_form_data *form, struct tc_arena *arena, size_t *n_out)
{
    const char **out = tc_arena_calloc(arena, form->n + 1, sizeof(*out));
    size_t n = 0;

    for (size_t i = 0; out != NULL && i < form->n; i++)
        if (strcmp(form->fields[i].name, "form") == 0 && form->fields[i].value[0] != '\0')
            out[n++] = form->fields[i].value;
    *n_out = n;
    return out;
}

static enum tc_status
create_appuser(struct tc_request *req, struct tc_response *resp, const struct tc_principal *who,
               const struct tc_form_data *form, struct creation *c, struct tc_error *err)
{
    const char *unit = tc_form_get(form, "unit");
    struct tc_db_conn *conn;
    char detail[DETAIL_MAX];
    struct tc_unit u;
    enum tc_status st;

    if (c->name == NULL || c->name[0] == '\0' || strlen(c->name) > NAME_MAX_LEN)
        return tc_fail(err, TC_EINVAL, "the name must have 1 to %d bytes", NAME_MAX_LEN);
    if ((c->forms = checked_forms(form, tc_req_arena(req), &c->n_forms)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if (unit != NULL && unit[0] != '\0') {
        if ((st = tc_unit_get(conn, unit, tc_req_arena(req), &u, err)) != TC_OK)
            return st == TC_ENOTFOUND ? tc_fail(err, TC_EINVAL, "unknown unit \"%s\"", unit) : st;
        c->unit_id = u.id;
    }
    if ((st = tc_db_transact(conn, false, create_txn, c, err)) != TC_OK)
        return st;
    (void)snprintf(detail, sizeof(detail), "{\"app_user_id\": %lld, \"forms\": %zu}", c->id,
                   c->n_forms);
    tc_auth_audit(req, who, "appuser.create", "ok", detail);
    return render_created(req, resp, who, c, err);
}

enum tc_status
tc_page_appusers_post(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_form_data form;
    struct tc_principal who;
    struct creation c;
    char message[sizeof(err->msg)];
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = tc_auth_check(req, &who, TC_ACT_APPUSER_MANAGE, NULL, err)) != TC_OK ||
        (st = tc_web_form(req, &who, &form, err)) != TC_OK)
        return st;
    memset(&c, 0, sizeof(c));
    c.name = tc_form_get(&form, "name");
    c.created_by = who.id;
    st = create_appuser(req, resp, &who, &form, &c, err);
    sodium_memzero(c.token, sizeof(c.token));
    if (st != TC_EINVAL && st != TC_ECONFLICT && st != TC_ENOTFOUND)
        return st;
    (void)snprintf(message, sizeof(message), "%s", err->msg);
    tc_error_clear(err);
    tc_strbuf_reset(tc_resp_body(resp));
    tc_resp_status(resp, tc_status_http(st));
    return render_appusers(req, resp, &who, message, c.name, err);
}

enum tc_status
tc_page_appuser_revoke(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    const char *s = tc_req_param(req, "id");
    struct tc_form_data form;
    struct tc_principal who;
    struct tc_db_conn *conn;
    char detail[DETAIL_MAX], *end = NULL;
    long long id = s != NULL ? strtoll(s, &end, 10) : 0;
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = tc_auth_check(req, &who, TC_ACT_APPUSER_MANAGE, NULL, err)) != TC_OK ||
        (st = tc_web_form(req, &who, &form, err)) != TC_OK)
        return st;
    if (s == NULL || end == s || *end != '\0' || id <= 0)
        return tc_fail(err, TC_ENOTFOUND, "no app user \"%s\"", s != NULL ? s : "");
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = tc_app_user_revoke(conn, id, err)) != TC_OK)
        return st;
    (void)snprintf(detail, sizeof(detail), "{\"app_user_id\": %lld}", id);
    tc_auth_audit(req, &who, "appuser.revoke", "ok", detail);
    return tc_web_redirect(req, resp, "/admin/appusers", TC_FLASH_APPUSER_REVOKED, err);
}
