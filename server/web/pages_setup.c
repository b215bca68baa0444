#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "http.h"
#include "tincay/arena.h"
#include "tincay/fmt.h"
#include "tincay/rules.h"
#include "tincay/units.h"
#include "web/html.h"
#include "web/page.h"
#include "web/pages.h"
#include "web/urlencoded.h"

/* What the admin typed into the norm form, shown again after a refusal. */
struct norm_form {
    const char *item, *amount, *legal_basis;
};

static void
norm_row(struct tc_page *p, const struct tc_norm *n)
{
    char amount[TC_FMT_VND_SIZE];

    tc_table_row_begin(p);
    tc_table_cell(p, n->item);
    tc_table_cell(p, p->lang == TC_LANG_VI ? n->name_vi : n->name_en);
    tc_table_cell(p, n->unit);
    if (n->has_amount)
        tc_fmt_vnd(n->max_amount, amount);
    tc_table_cell(p, n->has_amount ? amount : tc_tr(p->lang, "not set"));
    tc_table_cell(p, n->valid_from[0] != '\0' ? n->valid_from : NULL);
    tc_table_cell(p, n->valid_to[0] != '\0' ? n->valid_to : NULL);
    tc_table_cell(p, n->legal_basis);
    tc_table_row_end(p);
}

static void
norm_set_form(struct tc_page *p, const struct tc_norm *norms, size_t n, const struct norm_form *f)
{
    struct tc_option *options = tc_arena_alloc(tc_req_arena(p->req), (n + 1) * sizeof(*options));

    if (options == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        options[i] = (struct tc_option){norms[i].item, norms[i].item};
    tc_html_raw(p->out, "<h2>");
    tc_html_text(p->out, tc_tr(p->lang, "Set a norm amount"));
    tc_html_raw(p->out, "</h2>");
    tc_form_begin(p, "/admin/norms", NULL);
    tc_form_select(p, "item", tc_tr(p->lang, "Item"), options, n, f->item);
    tc_form_input(p, &(struct tc_field){.type = "number",
                                        .name = "amount",
                                        .label = tc_tr(p->lang, "Amount (đồng)"),
                                        .value = f->amount,
                                        .autocomplete = "off",
                                        .required = true});
    tc_form_input(p, &(struct tc_field){.type = "text",
                                        .name = "legal_basis",
                                        .label = tc_tr(p->lang, "Legal basis"),
                                        .value = f->legal_basis,
                                        .autocomplete = "off",
                                        .hint = tc_tr(p->lang, "The decision or circular that sets "
                                                               "this amount (required)."),
                                        .required = true});
    tc_form_submit(p, tc_tr(p->lang, "Set the amount"));
    tc_form_end(p);
}

static enum tc_status
render_norms(struct tc_request *req, struct tc_response *resp, const struct tc_principal *who,
             const char *message, const struct norm_form *f, struct tc_error *err)
{
    struct tc_norm *norms = NULL;
    struct tc_db_conn *conn;
    struct tc_page p;
    const char *headings[7];
    size_t n = 0;
    enum tc_status st;

    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = tc_norms_list(conn, false, tc_req_arena(req), &norms, &n, err)) != TC_OK ||
        (st = tc_page_init(&p, req, resp, who, err)) != TC_OK)
        return st;
    tc_page_begin(&p, tc_tr(p.lang, "Norms"));
    if (message != NULL)
        tc_page_message(&p, message, true);
    headings[0] = tc_tr(p.lang, "Item");
    headings[1] = tc_tr(p.lang, "Name");
    headings[2] = tc_tr(p.lang, "Unit");
    headings[3] = tc_tr(p.lang, "Amount");
    headings[4] = tc_tr(p.lang, "Valid from");
    headings[5] = tc_tr(p.lang, "Valid to");
    headings[6] = tc_tr(p.lang, "Legal basis");
    tc_table_begin(&p, tc_tr(p.lang, "Current norms"), headings, 7);
    for (size_t i = 0; i < n; i++)
        norm_row(&p, &norms[i]);
    tc_table_end(&p);
    if (n > 0)
        norm_set_form(&p, norms, n, f);
    tc_page_end(&p);
    return tc_page_finish(&p, err);
}

/* GET /admin/norms: the current norm of each item, and the form that sets an amount. */
enum tc_status
tc_page_norms(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = tc_auth_check(req, &who, TC_ACT_NORMS_MANAGE, NULL, err)) != TC_OK)
        return st;
    return render_norms(req, resp, &who, NULL, &(struct norm_form){0}, err);
}

static enum tc_status
set_norm(struct tc_request *req, const struct tc_principal *who, const struct norm_form *f,
         struct tc_error *err)
{
    struct tc_db_conn *conn;
    long long amount;
    char *end = NULL;

    if (f->item == NULL || f->item[0] == '\0')
        return tc_fail(err, TC_EINVAL, "choose a norm item");
    errno = 0;
    amount = f->amount != NULL ? strtoll(f->amount, &end, 10) : 0;
    if (f->amount == NULL || end == f->amount || *end != '\0' || errno != 0 || amount < 0)
        return tc_fail(err, TC_EINVAL, "amount \"%s\" is not a whole number of đồng",
                       f->amount != NULL ? f->amount : "");
    if (f->legal_basis == NULL || f->legal_basis[0] == '\0')
        return tc_fail(err, TC_EINVAL, "a norm amount needs its legal basis");
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    return tc_norm_set(conn, f->item, amount, f->legal_basis, who->login, err);
}

/* POST /admin/norms: set an item's amount with its legal basis (a new norm row). */
enum tc_status
tc_page_norms_post(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_form_data form;
    struct tc_principal who;
    struct norm_form f;
    enum tc_status st;
    char message[sizeof(err->msg)];

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = tc_auth_check(req, &who, TC_ACT_NORMS_MANAGE, NULL, err)) != TC_OK ||
        (st = tc_web_form(req, &who, &form, err)) != TC_OK)
        return st;
    f = (struct norm_form){tc_form_get(&form, "item"), tc_form_get(&form, "amount"),
                           tc_form_get(&form, "legal_basis")};
    st = set_norm(req, &who, &f, err);
    if (st == TC_OK) {
        tc_auth_audit(req, &who, "norm.set", "ok", NULL);
        return tc_web_redirect(req, resp, "/admin/norms", TC_FLASH_NORM_SET, err);
    }
    if (st != TC_EINVAL && st != TC_ENOTFOUND)
        return st;
    tc_auth_audit(req, &who, "norm.set", "failed", NULL);
    (void)snprintf(message, sizeof(message), "%s", err->msg);
    tc_error_clear(err);
    tc_resp_status(resp, 422);
    return render_norms(req, resp, &who, message, &f, err);
}

static const char *
yes_no(enum tc_lang lang, bool known, bool value)
{
    if (!known)
        return NULL;
    return value ? tc_tr(lang, "yes") : tc_tr(lang, "no");
}

static void
area_row(struct tc_page *p, const struct tc_area *a)
{
    tc_table_row_begin(p);
    tc_table_cell(p, a->era);
    tc_table_cell(p, a->commune_code);
    tc_table_cell(p, a->village_label);
    tc_table_cell(p, a->kv);
    tc_table_cell(p, yes_no(p->lang, a->has_dbkk, a->dbkk));
    tc_table_cell(p, a->source[0] != '\0' ? a->source : NULL);
    tc_table_cell(p, yes_no(p->lang, true, a->verified));
    tc_table_row_end(p);
}

/* GET /admin/areas: the area classification (loaded with the CLI), read only. */
enum tc_status
tc_page_areas(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_area *areas = NULL;
    struct tc_principal who;
    struct tc_db_conn *conn;
    struct tc_page p;
    const char *headings[7];
    size_t n = 0;
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = tc_auth_check(req, &who, TC_ACT_NORMS_MANAGE, NULL, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = tc_areas_list(conn, tc_req_arena(req), &areas, &n, err)) != TC_OK ||
        (st = tc_page_init(&p, req, resp, &who, err)) != TC_OK)
        return st;
    tc_page_begin(&p, tc_tr(p.lang, "Area classification"));
    headings[0] = tc_tr(p.lang, "Era");
    headings[1] = tc_tr(p.lang, "Commune");
    headings[2] = tc_tr(p.lang, "Village");
    headings[3] = tc_tr(p.lang, "Class");
    headings[4] = tc_tr(p.lang, "Extremely difficult village");
    headings[5] = tc_tr(p.lang, "Source");
    headings[6] = tc_tr(p.lang, "Verified");
    tc_table_begin(&p, tc_tr(p.lang, "Communes and villages by region class"), headings, 7);
    for (size_t i = 0; i < n; i++)
        area_row(&p, &areas[i]);
    tc_table_end(&p);
    tc_page_end(&p);
    return tc_page_finish(&p, err);
}

/* What the admin typed into the unit form, shown again after a refusal. */
struct unit_form {
    const char *code, *name, *commune;
};

static void
unit_create_form(struct tc_page *p, const struct unit_form *f)
{
    tc_html_raw(p->out, "<h2>");
    tc_html_text(p->out, tc_tr(p->lang, "Create a unit"));
    tc_html_raw(p->out, "</h2>");
    tc_form_begin(p, "/admin/units", NULL);
    tc_form_input(p,
                  &(struct tc_field){.type = "text",
                                     .name = "code",
                                     .label = tc_tr(p->lang, "Code"),
                                     .value = f->code,
                                     .autocomplete = "off",
                                     .hint = tc_tr(p->lang, "Short and unique, e.g. dctc-banhon; "
                                                            "hosts' phones type it."),
                                     .required = true});
    tc_form_input(p, &(struct tc_field){.type = "text",
                                        .name = "name",
                                        .label = tc_tr(p->lang, "Name"),
                                        .value = f->name,
                                        .autocomplete = "off",
                                        .required = true});
    tc_form_input(
        p, &(struct tc_field){.type = "text",
                              .name = "commune",
                              .label = tc_tr(p->lang, "Commune"),
                              .value = f->commune,
                              .autocomplete = "off",
                              .hint = tc_tr(p->lang, "Its code since 1 July 2025 (5 digits); "
                                                     "pre2025:CODE for the old list."),
                              .required = true});
    tc_form_submit(p, tc_tr(p->lang, "Create the unit"));
    tc_form_end(p);
}

static enum tc_status
render_units(struct tc_request *req, struct tc_response *resp, const struct tc_principal *who,
             const char *message, const struct unit_form *f, struct tc_error *err)
{
    struct tc_unit *units = NULL;
    struct tc_db_conn *conn;
    struct tc_page p;
    const char *headings[5];
    size_t n = 0;
    enum tc_status st;

    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = tc_unit_list(conn, tc_req_arena(req), &units, &n, err)) != TC_OK ||
        (st = tc_page_init(&p, req, resp, who, err)) != TC_OK)
        return st;
    tc_page_begin(&p, tc_tr(p.lang, "Units"));
    if (message != NULL)
        tc_page_message(&p, message, true);
    headings[0] = tc_tr(p.lang, "Code");
    headings[1] = tc_tr(p.lang, "Name");
    headings[2] = tc_tr(p.lang, "Commune");
    headings[3] = tc_tr(p.lang, "Province");
    headings[4] = tc_tr(p.lang, "Escrow seals");
    tc_table_begin(&p, tc_tr(p.lang, "Trusted Address units"), headings, 5);
    for (size_t i = 0; i < n; i++) {
        char seals[24];

        snprintf(seals, sizeof(seals), "%lld", units[i].n_escrow);
        tc_table_row_begin(&p);
        tc_table_cell(&p, units[i].code);
        tc_table_cell(&p, units[i].name);
        tc_table_cell(&p, units[i].commune_code);
        tc_table_cell(&p, units[i].province_code);
        tc_table_cell(&p, seals);
        tc_table_row_end(&p);
    }
    tc_table_end(&p);
    unit_create_form(&p, f);
    tc_html_raw(p.out, "<p>");
    tc_html_text(p.out, tc_tr(p.lang, "A unit's key is sealed at once to every escrow officer of "
                                      "its province (there must be one), and to officers added "
                                      "later at the next login of one of its hosts. Hosts join "
                                      "through an invitation (tincay unit invite)."));
    tc_html_raw(p.out, "</p>");
    tc_page_end(&p);
    return tc_page_finish(&p, err);
}

/* GET /admin/units: the Trusted Address units, and the form that creates one. */
enum tc_status
tc_page_units(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = tc_auth_check(req, &who, TC_ACT_UNIT_MANAGE, NULL, err)) != TC_OK)
        return st;
    return render_units(req, resp, &who, NULL, &(struct unit_form){0}, err);
}

/* POST /admin/units: create a unit (its key sealed to the province's escrow officers). */
enum tc_status
tc_page_units_post(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_form_data form;
    struct tc_principal who;
    struct tc_db_conn *conn;
    struct unit_form f;
    enum tc_status st;
    char message[sizeof(err->msg)];

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = tc_auth_check(req, &who, TC_ACT_UNIT_MANAGE, NULL, err)) != TC_OK ||
        (st = tc_web_form(req, &who, &form, err)) != TC_OK)
        return st;
    f = (struct unit_form){tc_form_get(&form, "code"), tc_form_get(&form, "name"),
                           tc_form_get(&form, "commune")};
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if (f.code == NULL || f.code[0] == '\0' || f.name == NULL || f.name[0] == '\0' ||
        f.commune == NULL || f.commune[0] == '\0')
        st = tc_fail(err, TC_EINVAL, "a unit needs a code, a name and a commune");
    else
        st = tc_unit_create(conn, f.code, f.name, f.commune, who.id, NULL, err);
    if (st == TC_OK)
        return tc_web_redirect(req, resp, "/admin/units", TC_FLASH_UNIT_CREATED, err);
    if (st != TC_EINVAL && st != TC_ECONFLICT)
        return st;
    (void)snprintf(message, sizeof(message), "%s", err->msg);
    tc_error_clear(err);
    tc_resp_status(resp, st == TC_ECONFLICT ? 409 : 422);
    return render_units(req, resp, &who, message, &f, err);
}
