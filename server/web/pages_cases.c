/*
 * The case log pages (docs/web.md, docs/cases.md): a unit's (host) or a province's (escrow)
 * cases with their plain metadata, and a case opened with the session's unit key once the
 * reader has said why. The checks, the keys and the audit rows are the JSON API's own
 * (handlers/api_cases.h): a case out of reach is 404 as an unknown one, roles without a
 * case permission get 403, every list and every read is an audit row.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "auth.h"
#include "handlers/api_cases.h"
#include "http.h"
#include "tincay/arena.h"
#include "tincay/caselog.h"
#include "tincay/db.h"
#include "tincay/fmt.h"
#include "tincay/strbuf.h"
#include "web/html.h"
#include "web/page.h"
#include "web/pages.h"
#include "web/urlencoded.h"

#define CASES_PER_PAGE 25
#define URL_MAX        256

/* The purposes a reader may give, as the audit log records them. */
static const struct tc_option purposes[] = {
    {"follow-up", TC_N_("Follow-up")},
    {"referral", TC_N_("Referral")},
    {"review", TC_N_("Review")},
    {"other", TC_N_("Other")},
};
#define N_PURPOSES (sizeof(purposes) / sizeof(purposes[0]))

/* A report field of a case's plain values, or NULL. */
static const char *
report_field(const json_t *report, const char *name)
{
    const char *v = json_string_value(json_object_get(report, name));

    return v != NULL && v[0] != '\0' ? v : NULL;
}

static void
date_cell(struct tc_page *p, const char *iso)
{
    char d[TC_FMT_DATETIME_SIZE];

    tc_table_cell(p, iso != NULL && tc_fmt_datetime(iso, d) == 0 ? d : iso);
}

static void
case_link(struct tc_page *p, const char *code)
{
    struct tc_strbuf url = TC_STRBUF_INIT(URL_MAX);

    tc_strbuf_appends(&url, "/cases/");
    tc_html_url_segment(&url, code);
    tc_html_raw(p->out, "<a");
    tc_html_url_attr(p->out, "href", tc_strbuf_str(&url));
    tc_html_raw(p->out, ">");
    tc_html_text(p->out, code);
    tc_html_raw(p->out, "</a>");
    tc_strbuf_cleanup(&url);
}

static void
case_row(struct tc_page *p, const struct tc_caselog_case *c)
{
    json_t *report = json_loads(c->report_json, 0, NULL);
    char n[24];

    tc_table_row_begin(p);
    tc_html_raw(p->out, "<td>");
    case_link(p, c->case_code);
    tc_html_raw(p->out, "</td>");
    tc_table_cell(p, c->unit_code);
    tc_table_cell(p, report_field(report, "intake_month"));
    date_cell(p, c->created_at);
    tc_table_cell(p, report_field(report, "violence_forms"));
    tc_table_cell(p, report_field(report, "age_band"));
    tc_table_cell(p, report_field(report, "risk_level"));
    (void)snprintf(n, sizeof(n), "%lld", c->n_followups);
    tc_table_cell(p, n);
    date_cell(p, c->updated_at);
    tc_table_row_end(p);
    json_decref(report);
}

/* ---- GET /cases ---- */

enum tc_status
tc_page_cases(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    struct tc_policy_object reach;
    struct tc_caselog_case *cases;
    struct tc_db_conn *conn;
    struct tc_paging pg;
    struct tc_page p;
    size_t n, shown;
    long long total;
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK)
        return st;
    reach = (struct tc_policy_object){.unit_id = who.unit_id, .province = who.province_code};
    if ((st = tc_auth_check(req, &who, TC_ACT_CASE_LIST, &reach, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    tc_paging_init(&pg, req, CASES_PER_PAGE);
    st = tc_caselog_list(conn, who.role == TC_ROLE_ESCROW ? 0 : who.unit_id, who.province_code,
                         CASES_PER_PAGE + 1, (size_t)tc_paging_offset(&pg), tc_req_arena(req),
                         &cases, &n, &total, err);
    if (st != TC_OK)
        return st;
    pg.has_next = n > CASES_PER_PAGE;
    shown = pg.has_next ? CASES_PER_PAGE : n;
    if ((st = tc_cases_audit_list(req, &who, shown, (size_t)tc_paging_offset(&pg), err)) != TC_OK ||
        (st = tc_page_init(&p, req, resp, &who, err)) != TC_OK)
        return st;
    tc_page_begin(&p, tc_tr(p.lang, "Case log"));
    tc_html_raw(p.out, "<p>");
    tc_html_trf(p.out, p.lang, "%lld cases in all. Only plain metadata is shown here.", total);
    tc_html_raw(p.out, "</p>");
    {
        const char *headings[] = {
            tc_tr(p.lang, "Case code"),
            tc_tr(p.lang, "Unit"),
            tc_tr(p.lang, "Intake month"),
            tc_tr(p.lang, "Filed"),
            tc_tr(p.lang, "Forms of violence"),
            tc_tr(p.lang, "Age band"),
            tc_tr(p.lang, "Risk"),
            tc_tr(p.lang, "Follow-ups"),
            tc_tr(p.lang, "Last activity"),
        };

        tc_table_begin(&p, tc_tr(p.lang, "Cases"), headings,
                       sizeof(headings) / sizeof(headings[0]));
        for (size_t i = 0; i < shown; i++)
            case_row(&p, &cases[i]);
        tc_table_end(&p);
    }
    tc_page_pager(&p, "/cases", &pg);
    tc_page_end(&p);
    return tc_page_finish(&p, err);
}

/* ---- GET /cases/:code: the metadata and the purpose form ---- */

static void
case_head(struct tc_page *p, const struct tc_caselog_case *c)
{
    const char *headings[] = {tc_tr(p->lang, "Unit"), tc_tr(p->lang, "Filed"),
                              tc_tr(p->lang, "Follow-ups"), tc_tr(p->lang, "Last activity")};
    char n[24];

    tc_table_begin(p, tc_tr(p->lang, "Case"), headings, sizeof(headings) / sizeof(headings[0]));
    tc_table_row_begin(p);
    tc_table_cell(p, c->unit_code);
    date_cell(p, c->created_at);
    (void)snprintf(n, sizeof(n), "%lld", c->n_followups);
    tc_table_cell(p, n);
    date_cell(p, c->updated_at);
    tc_table_row_end(p);
    tc_table_end(p);
}

static void
purpose_form(struct tc_page *p, const struct tc_caselog_case *c)
{
    struct tc_strbuf url = TC_STRBUF_INIT(URL_MAX);
    struct tc_option opts[N_PURPOSES];

    for (size_t i = 0; i < N_PURPOSES; i++)
        opts[i] = (struct tc_option){purposes[i].value, tc_tr(p->lang, purposes[i].label)};
    tc_strbuf_appends(&url, "/cases/");
    tc_html_url_segment(&url, c->case_code);
    tc_html_raw(p->out, "<p>");
    tc_html_text(p->out, tc_tr(p->lang, "The content of a case is shown only after you say why "
                                        "you read it. The read is recorded in the audit log."));
    tc_html_raw(p->out, "</p>");
    tc_form_begin(p, tc_strbuf_str(&url), NULL);
    tc_form_select(p, "purpose", tc_tr(p->lang, "Purpose of this read"), opts, N_PURPOSES, NULL);
    tc_form_submit(p, tc_tr(p->lang, "Open the case"));
    tc_form_end(p);
    tc_strbuf_cleanup(&url);
}

enum tc_status
tc_page_case(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    const char *code = tc_req_param(req, "code");
    struct tc_principal who;
    struct tc_caselog_case c = {0};
    struct tc_page p;
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = tc_cases_find(req, &who, TC_ACT_CASE_READ, code, &c, err)) != TC_OK ||
        (st = tc_page_init(&p, req, resp, &who, err)) != TC_OK)
        return st;
    tc_page_begin(&p, c.case_code);
    case_head(&p, &c);
    purpose_form(&p, &c);
    tc_page_end(&p);
    return tc_page_finish(&p, err);
}

/* ---- POST /cases/:code: the case opened ---- */

/* The fields of an opened submission: name (path without /data/) and value. */
static void
fields_table(struct tc_page *p, const char *caption, const json_t *entry)
{
    const char *headings[] = {tc_tr(p->lang, "Field"), tc_tr(p->lang, "Value")};
    json_t *fields = json_object_get(entry, "fields");
    const char *path;
    json_t *v;

    tc_table_begin(p, caption, headings, 2);
    json_object_foreach(fields, path, v)
    {
        tc_table_row_begin(p);
        tc_table_cell(p, strncmp(path, "/data/", 6) == 0 ? path + 6 : path);
        tc_table_cell(p, json_string_value(v));
        tc_table_row_end(p);
    }
    tc_table_end(p);
}

static void
heading(struct tc_page *p, const char *text)
{
    tc_html_raw(p->out, "<h2>");
    tc_html_text(p->out, text);
    tc_html_raw(p->out, "</h2>");
}

static void
followups_section(struct tc_page *p, const json_t *followups)
{
    size_t i;
    json_t *f;

    heading(p, tc_tr(p->lang, "Follow-ups"));
    if (json_array_size(followups) == 0) {
        tc_html_raw(p->out, "<p>");
        tc_html_text(p->out, tc_tr(p->lang, "No follow-up yet."));
        tc_html_raw(p->out, "</p>");
    }
    json_array_foreach(followups, i, f)
    {
        char d[TC_FMT_DATETIME_SIZE], caption[160];
        const char *at = json_string_value(json_object_get(f, "received_at"));

        fields_table(p,
                     tc_trf(caption, sizeof(caption), p->lang, "Follow-up %zu, received %s", i + 1,
                            at != NULL && tc_fmt_datetime(at, d) == 0 ? d : "-"),
                     f);
    }
}

static void
attachments_section(struct tc_page *p, const json_t *files, const char *purpose)
{
    size_t i;
    json_t *a;

    heading(p, tc_tr(p->lang, "Attachments"));
    if (json_array_size(files) == 0) {
        tc_html_raw(p->out, "<p>");
        tc_html_text(p->out, tc_tr(p->lang, "No attachment."));
        tc_html_raw(p->out, "</p>");
        return;
    }
    tc_html_raw(p->out, "<ul>");
    json_array_foreach(files, i, a)
    {
        struct tc_strbuf url = TC_STRBUF_INIT(URL_MAX * 2);
        const char *name = json_string_value(json_object_get(a, "name"));

        tc_html_raw(p->out, "<li>");
        if (json_is_true(json_object_get(a, "received"))) {
            tc_strbuf_appends(&url, json_string_value(json_object_get(a, "url")));
            tc_strbuf_appends(&url, "?purpose=");
            tc_html_url_segment(&url, purpose);
            tc_html_raw(p->out, "<a");
            tc_html_url_attr(p->out, "href", tc_strbuf_str(&url));
            tc_html_raw(p->out, ">");
            tc_html_text(p->out, name);
            tc_html_raw(p->out, "</a>");
        } else {
            tc_html_text(p->out, name);
            tc_html_text(p->out, tc_tr(p->lang, " (not received yet)"));
        }
        tc_html_raw(p->out, "</li>");
        tc_strbuf_cleanup(&url);
    }
    tc_html_raw(p->out, "</ul>");
}

static void
hints_section(struct tc_page *p, const json_t *hints)
{
    size_t i;
    json_t *h;

    if (hints == NULL) /* an escrow officer: hints are for the unit's members */
        return;
    heading(p, tc_tr(p->lang, "Possible earlier cases"));
    tc_html_raw(p->out, "<p>");
    tc_html_text(p->out,
                 json_array_size(hints) == 0
                     ? tc_tr(p->lang, "No earlier case of the same person was found.")
                     : tc_tr(p->lang, "These cases of your unit are probably of the same person "
                                      "(confirmed by opening them)."));
    tc_html_raw(p->out, "</p><ul>");
    json_array_foreach(hints, i, h)
    {
        char d[TC_FMT_DATETIME_SIZE];
        const char *at = json_string_value(json_object_get(h, "created_at"));
        const char *why = json_string_value(json_object_get(h, "matched_on"));

        tc_html_raw(p->out, "<li>");
        case_link(p, json_string_value(json_object_get(h, "case_code")));
        tc_html_text(p->out, " — ");
        tc_html_text(p->out, at != NULL && tc_fmt_datetime(at, d) == 0 ? d : "-");
        tc_html_text(p->out, " — ");
        tc_html_text(p->out, why != NULL ? tc_tr(p->lang, why) : "-");
        tc_html_raw(p->out, "</li>");
    }
    tc_html_raw(p->out, "</ul>");
}

static void
case_content(struct tc_page *p, const struct tc_caselog_case *c, const json_t *body,
             const json_t *hints, const char *purpose, const char *label)
{
    char caption[160];

    tc_page_message(p,
                    tc_trf(caption, sizeof(caption), p->lang,
                           "This read has been recorded in the audit log (purpose: %s).",
                           tc_tr(p->lang, label)),
                    false);
    case_head(p, c);
    heading(p, tc_tr(p->lang, "Intake"));
    fields_table(p, tc_tr(p->lang, "Intake"), json_object_get(body, "intake"));
    followups_section(p, json_object_get(body, "followups"));
    attachments_section(p, json_object_get(body, "attachments"), purpose);
    hints_section(p, hints);
}

/* The purpose posted, one of the list's values (its msgid label for the notice), or NULL. */
static const char *
posted_purpose(const char *value, const char **label)
{
    for (size_t i = 0; value != NULL && i < N_PURPOSES; i++)
        if (strcmp(value, purposes[i].value) == 0) {
            *label = purposes[i].label;
            return purposes[i].value;
        }
    return NULL;
}

enum tc_status
tc_page_case_open(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    const char *code = tc_req_param(req, "code"), *purpose, *label = NULL;
    struct tc_principal who;
    struct tc_caselog_case c = {0};
    struct tc_form_data form;
    struct tc_page p;
    json_t *body = NULL, *hints = NULL;
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = tc_cases_find(req, &who, TC_ACT_CASE_READ, code, &c, err)) != TC_OK ||
        (st = tc_web_form(req, &who, &form, err)) != TC_OK)
        return st;
    if ((purpose = posted_purpose(tc_form_get(&form, "purpose"), &label)) == NULL)
        return tc_fail(err, TC_EBADREQ,
                       "say why you read this case: a \"purpose\" parameter is required");
    if ((st = tc_cases_open(req, &who, &c, purpose, &body, &hints, err)) != TC_OK)
        return st;
    if ((st = tc_resp_header(resp, "Cache-Control", "no-store", err)) == TC_OK &&
        (st = tc_page_init(&p, req, resp, &who, err)) == TC_OK) {
        tc_page_begin(&p, c.case_code);
        case_content(&p, &c, body, hints, purpose, label);
        tc_page_end(&p);
        st = tc_page_finish(&p, err);
    }
    json_decref(body);
    json_decref(hints);
    return st;
}
