/*
 * The reports page (docs/web.md): Project 8 indicators per post-2025 commune and month
 * (tc_indicators, re-totalled through commune_mapping), charts drawn on the server as SVG
 * beside the tables, and the CSV/XLSX exports of the JSON API. Trusted Address case counts
 * below TC_CASES_MIN_CELL are suppressed by the store and shown as such here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "http.h"
#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/decisions.h"
#include "tincay/fmt.h"
#include "tincay/strbuf.h"
#include "web/html.h"
#include "web/page.h"
#include "web/pages.h"
#include "web/svg_chart.h"

#define URL_MAX     512
#define MILLION     1000000.0
#define COMMUNE_LEN 5

struct report {
    int year;
    char from[24], to[24]; /* "YYYY-01-01", "YYYY-12-31" (room for any int) */
    const struct tc_indicator_row *rows;
    size_t n;
    const char **communes; /* distinct commune codes of `rows`, in their order */
    const char **names;
    size_t n_communes;
    const char *chosen, *chosen_name; /* the commune shown by month */
};

static int
year_asked(const struct tc_request *req)
{
    const char *s = tc_req_query(req, "year");
    time_t now = time(NULL);
    char *end = NULL;
    struct tm tm;
    long y;

    gmtime_r(&now, &tm);
    y = s != NULL ? strtol(s, &end, 10) : 0;
    if (s == NULL || end == s || *end != '\0' || y < 2021 || y > 2100)
        return tm.tm_year + 1900;
    return (int)y;
}

/* The rows of the year in the caller's area, and the communes they name. */
static enum tc_status
load(struct tc_request *req, const struct tc_principal *who, struct report *r, struct tc_error *err)
{
    struct tc_arena *arena = tc_req_arena(req);
    struct tc_db_conn *conn = tc_req_db(req, err);
    struct tc_policy_subject subject;
    struct tc_indicator_row *rows;
    const char *asked = tc_req_query(req, "commune");
    size_t n, kept = 0;
    enum tc_status st;

    if (conn == NULL)
        return err->status;
    r->year = year_asked(req);
    (void)snprintf(r->from, sizeof(r->from), "%04d-01-01", r->year);
    (void)snprintf(r->to, sizeof(r->to), "%04d-12-31", r->year);
    if ((st = tc_indicators(conn, r->from, r->to, arena, &rows, &n, err)) != TC_OK)
        return st;
    tc_auth_subject(who, &subject);
    for (size_t i = 0; i < n; i++) {
        const struct tc_policy_object what = {.commune = rows[i].commune_code,
                                              .province = rows[i].province_code};
        if (rows[i].commune_code != NULL &&
            tc_policy_allows(who->role, TC_ACT_REPORT_READ, &subject, &what))
            rows[kept++] = rows[i];
    }
    r->rows = rows;
    r->n = kept;
    r->communes = tc_arena_calloc(arena, kept + 1, sizeof(*r->communes));
    r->names = tc_arena_calloc(arena, kept + 1, sizeof(*r->names));
    if (r->communes == NULL || r->names == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < kept; i++) {
        bool seen = false;

        for (size_t c = 0; c < r->n_communes && !seen; c++)
            seen = strcmp(r->communes[c], rows[i].commune_code) == 0;
        if (!seen) {
            r->names[r->n_communes] = rows[i].commune_name;
            r->communes[r->n_communes++] = rows[i].commune_code;
        }
    }
    for (size_t c = 0; c < r->n_communes; c++) {
        if ((asked != NULL && strcmp(r->communes[c], asked) == 0) ||
            (r->chosen == NULL && c == 0)) {
            r->chosen = r->communes[c];
            r->chosen_name = r->names[c];
        }
    }
    tc_auth_audit(req, who, "report.indicators", "ok",
                  tc_arena_printf(arena, "{\"rows\": %zu, \"page\": true}", kept));
    return TC_OK;
}

static const char *
month_label(struct tc_arena *arena, const char *month)
{
    if (month == NULL || strlen(month) != 7)
        return month;
    return tc_arena_printf(arena, "%.2s/%.4s", month + 5, month);
}

static const char *
commune_label(struct tc_arena *arena, const char *code, const char *name)
{
    return name != NULL && name[0] != '\0' ? tc_arena_printf(arena, "%s (%s)", name, code) : code;
}

static void
heading(struct tc_page *p, const char *id, const char *text)
{
    tc_html_raw(p->out, "<h2");
    tc_html_attr(p->out, "id", id);
    tc_html_raw(p->out, ">");
    tc_html_text(p->out, text);
    tc_html_raw(p->out, "</h2>");
}

static void
para(struct tc_page *p, const char *text)
{
    tc_html_raw(p->out, "<p>");
    tc_html_text(p->out, text);
    tc_html_raw(p->out, "</p>");
}

static void
link(struct tc_page *p, const char *href, const char *label)
{
    tc_html_raw(p->out, "<a");
    tc_html_url_attr(p->out, "href", href);
    tc_html_raw(p->out, ">");
    tc_html_text(p->out, label);
    tc_html_raw(p->out, "</a>");
}

/* The GET form: year and commune. */
static void
chooser(struct tc_page *p, const struct report *r)
{
    struct tc_arena *arena = tc_req_arena(p->req);
    char year[16];

    (void)snprintf(year, sizeof(year), "%d", r->year);
    tc_html_raw(p->out, "<form class=\"chooser\" method=\"get\" action=\"/reports\">"
                        "<div class=\"field\"><label for=\"f-year\">");
    tc_html_text(p->out, tc_tr(p->lang, "Year"));
    tc_html_raw(p->out, "</label><input type=\"number\" id=\"f-year\" name=\"year\" min=\"2021\" "
                        "max=\"2100\"");
    tc_html_attr(p->out, "value", year);
    tc_html_raw(p->out, "></div>");
    if (r->n_communes > 0) {
        tc_html_raw(p->out, "<div class=\"field\"><label for=\"f-commune\">");
        tc_html_text(p->out, tc_tr(p->lang, "Commune shown by month"));
        tc_html_raw(p->out, "</label><select id=\"f-commune\" name=\"commune\">");
        for (size_t c = 0; c < r->n_communes; c++) {
            tc_html_raw(p->out, "<option");
            tc_html_attr(p->out, "value", r->communes[c]);
            if (r->communes[c] == r->chosen)
                tc_html_raw(p->out, " selected");
            tc_html_raw(p->out, ">");
            tc_html_text(p->out, commune_label(arena, r->communes[c], r->names[c]));
            tc_html_raw(p->out, "</option>");
        }
        tc_html_raw(p->out, "</select></div>");
    }
    tc_html_raw(p->out, "<div class=\"actions\"><button type=\"submit\">");
    tc_html_text(p->out, tc_tr(p->lang, "Show"));
    tc_html_raw(p->out, "</button></div></form>");
}

static void
downloads(struct tc_page *p, const struct report *r)
{
    static const char *const formats[] = {"csv", "xlsx"};
    const char *labels[] = {tc_tr(p->lang, "Download CSV"), tc_tr(p->lang, "Download XLSX")};

    tc_html_raw(p->out, "<ul class=\"downloads\">");
    for (size_t i = 0; i < 2; i++) {
        char url[URL_MAX];

        (void)snprintf(url, sizeof(url), "/api/v1/reports/indicators?from=%s&to=%s&format=%s",
                       r->from, r->to, formats[i]);
        tc_html_raw(p->out, "<li>");
        link(p, url, labels[i]);
        tc_html_raw(p->out, "</li>");
    }
    tc_html_raw(p->out, "</ul>");
}

/* ---- charts ---- */

static void
chart_box(struct tc_page *p, const struct tc_svg_chart *c)
{
    tc_html_raw(p->out, "<figure class=\"chart\">");
    tc_svg_bar_chart(p->out, c);
    tc_html_raw(p->out, "<figcaption>");
    tc_html_text(p->out, c->title);
    tc_html_raw(p->out, "</figcaption></figure>");
}

/* Totals of the year by commune: groups, and amounts against the norms. */
static void
by_commune_charts(struct tc_page *p, const struct report *r)
{
    struct tc_arena *arena = tc_req_arena(p->req);
    struct tc_svg_group *groups = tc_arena_calloc(arena, r->n_communes + 1, sizeof(*groups));
    struct tc_svg_group *money = tc_arena_calloc(arena, r->n_communes + 1, sizeof(*money));
    const char *group_series[] = {tc_tr(p->lang, "Surveyed"), tc_tr(p->lang, "Eligible"),
                                  tc_tr(p->lang, "Approved")};
    const char *money_series[] = {tc_tr(p->lang, "Amount approved"),
                                  tc_tr(p->lang, "Norm ceilings of the approved")};

    if (groups == NULL || money == NULL) {
        p->out->failed = true;
        return;
    }
    for (size_t c = 0; c < r->n_communes; c++) {
        groups[c].label = money[c].label = r->names[c] != NULL ? r->names[c] : r->communes[c];
        for (size_t i = 0; i < r->n; i++) {
            if (strcmp(r->rows[i].commune_code, r->communes[c]) != 0)
                continue;
            groups[c].values[0] += (double)r->rows[i].surveyed;
            groups[c].values[1] += (double)r->rows[i].eligible;
            groups[c].values[2] += (double)r->rows[i].approved;
            money[c].values[0] += (double)r->rows[i].amount_approved / MILLION;
            money[c].values[1] += (double)r->rows[i].ceiling_of_approved / MILLION;
        }
    }
    chart_box(p, &(struct tc_svg_chart){
                     .id = "groups-by-commune",
                     .title = tc_tr(p->lang, "Livelihood groups by commune"),
                     .desc = tc_tr(p->lang, "Groups surveyed, eligible and approved in the year, "
                                            "one group of bars per commune; the table below "
                                            "gives the figures."),
                     .unit = tc_tr(p->lang, "groups"),
                     .series = group_series,
                     .n_series = 3,
                     .groups = groups,
                     .n_groups = r->n_communes});
    chart_box(p, &(struct tc_svg_chart){
                     .id = "amounts-by-commune",
                     .title = tc_tr(p->lang, "Amounts approved against the norms, by commune"),
                     .desc = tc_tr(p->lang, "Amount approved and the sum of the norm ceilings of "
                                            "the approved groups, in million đồng."),
                     .unit = tc_tr(p->lang, "million đồng"),
                     .series = money_series,
                     .n_series = 2,
                     .groups = money,
                     .n_groups = r->n_communes});
}

/* The chosen commune month by month: groups, and Trusted Address cases (suppressed cells). */
static void
by_month_charts(struct tc_page *p, const struct report *r)
{
    struct tc_arena *arena = tc_req_arena(p->req);
    struct tc_svg_group *groups = tc_arena_calloc(arena, r->n + 1, sizeof(*groups));
    struct tc_svg_group *cases = tc_arena_calloc(arena, r->n + 1, sizeof(*cases));
    const char *group_series[] = {tc_tr(p->lang, "Surveyed"), tc_tr(p->lang, "Eligible"),
                                  tc_tr(p->lang, "Approved")};
    const char *case_series[] = {tc_tr(p->lang, "Cases received")};
    size_t n = 0;

    if (groups == NULL || cases == NULL) {
        p->out->failed = true;
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->rows[i].commune_code, r->chosen) != 0)
            continue;
        groups[n].label = cases[n].label = month_label(arena, r->rows[i].month);
        groups[n].values[0] = (double)r->rows[i].surveyed;
        groups[n].values[1] = (double)r->rows[i].eligible;
        groups[n].values[2] = (double)r->rows[i].approved;
        cases[n].values[0] = (double)r->rows[i].cases;
        cases[n].suppressed[0] = r->rows[i].cases_suppressed;
        n++;
    }
    chart_box(p, &(struct tc_svg_chart){
                     .id = "groups-by-month",
                     .title = tc_tr(p->lang, "Livelihood groups by month of survey"),
                     .desc = tc_tr(p->lang, "Groups surveyed, eligible and approved, by the month "
                                            "of their survey."),
                     .unit = tc_tr(p->lang, "groups"),
                     .series = group_series,
                     .n_series = 3,
                     .groups = groups,
                     .n_groups = n});
    chart_box(p, &(struct tc_svg_chart){
                     .id = "cases-by-month",
                     .title = tc_tr(p->lang, "Trusted Address cases received by month"),
                     .desc = tc_tr(p->lang, "Cases logged by the commune's Trusted Addresses; "
                                            "months with 1 to 4 cases are not shown, to protect "
                                            "the people concerned."),
                     .unit = tc_tr(p->lang, "cases"),
                     .series = case_series,
                     .n_series = 1,
                     .groups = cases,
                     .n_groups = n,
                     .suppressed_text = tc_tr(p->lang, "< 5")});
}

/* ---- the table ---- */

static void
num_cell(struct tc_page *p, const char *text)
{
    tc_html_raw(p->out, "<td class=\"num\">");
    tc_html_text(p->out, text);
    tc_html_raw(p->out, "</td>");
}

static void
count_cell(struct tc_page *p, long long v)
{
    char buf[48];

    tc_svg_number((double)v, buf);
    num_cell(p, buf);
}

static void
vnd_cell(struct tc_page *p, long long v)
{
    char buf[TC_FMT_VND_SIZE];

    tc_fmt_vnd(v, buf);
    num_cell(p, buf);
}

static void
indicator_table(struct tc_page *p, const struct report *r)
{
    struct tc_arena *arena = tc_req_arena(p->req);
    const char *headings[] = {tc_tr(p->lang, "Commune"),
                              tc_tr(p->lang, "Month"),
                              tc_tr(p->lang, "Surveyed"),
                              tc_tr(p->lang, "Eligible"),
                              tc_tr(p->lang, "Approved"),
                              tc_tr(p->lang, "Amount approved"),
                              tc_tr(p->lang, "Norm ceilings of the approved"),
                              tc_tr(p->lang, "Recommended"),
                              tc_tr(p->lang, "Trusted Address cases")};

    tc_table_begin(p, tc_tr(p->lang, "Indicators by commune and month"), headings, 9);
    for (size_t i = 0; i < r->n; i++) {
        const struct tc_indicator_row *row = &r->rows[i];

        tc_table_row_begin(p);
        tc_table_cell(p, commune_label(arena, row->commune_code, row->commune_name));
        tc_table_cell(p, month_label(arena, row->month));
        count_cell(p, row->surveyed);
        count_cell(p, row->eligible);
        count_cell(p, row->approved);
        vnd_cell(p, row->amount_approved);
        vnd_cell(p, row->ceiling_of_approved);
        vnd_cell(p, row->recommended_total);
        if (row->cases_suppressed) {
            tc_html_raw(p->out, "<td class=\"num suppressed\"><abbr");
            tc_html_attr(p->out, "title",
                         tc_tr(p->lang, "fewer than 3: hidden to protect the people concerned"));
            tc_html_raw(p->out, ">");
            tc_html_text(p->out, tc_tr(p->lang, "< 5"));
            tc_html_raw(p->out, "</abbr></td>");
        } else {
            count_cell(p, row->cases);
        }
        tc_table_row_end(p);
    }
    tc_table_end(p);
}

enum tc_status
tc_page_reports(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_arena *arena = tc_req_arena(req);
    struct report r = {0};
    struct tc_principal who;
    struct tc_page p;
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK)
        return st;
    if (tc_policy_scope(who.role, TC_ACT_REPORT_READ) == TC_SCOPE_DENIED)
        return tc_auth_check(req, &who, TC_ACT_REPORT_READ, NULL, err); /* denied, audited */
    if ((st = load(req, &who, &r, err)) != TC_OK ||
        (st = tc_page_init(&p, req, resp, &who, err)) != TC_OK)
        return st;
    tc_page_begin(&p, tc_tr(p.lang, "Reports"));
    tc_html_raw(p.out, "<p class=\"lead\">");
    tc_html_trf(p.out, p.lang,
                "Project 8 indicators for %d, totalled by the communes in force since "
                "1 July 2025: groups recorded under older commune codes are counted in their "
                "new commune.",
                r.year);
    tc_html_raw(p.out, "</p>");
    chooser(&p, &r);
    downloads(&p, &r);
    if (r.n == 0) {
        para(&p, tc_tr(p.lang, "No figures for this year in your area."));
    } else {
        heading(&p, "by-commune", tc_tr(p.lang, "By commune"));
        tc_html_raw(p.out, "<div class=\"charts\">");
        by_commune_charts(&p, &r);
        tc_html_raw(p.out, "</div>");
        tc_html_raw(p.out, "<h2 id=\"by-month\">");
        tc_html_trf(p.out, p.lang, "By month: %s", commune_label(arena, r.chosen, r.chosen_name));
        tc_html_raw(p.out, "</h2><div class=\"charts\">");
        by_month_charts(&p, &r);
        tc_html_raw(p.out, "</div>");
        heading(&p, "table", tc_tr(p.lang, "Figures"));
        para(&p, tc_tr(p.lang, "Trusted Address case counts of 1 to 4 in a commune and month "
                               "are shown as \"< 5\": so few cases could point to a person."));
        indicator_table(&p, &r);
    }
    tc_page_end(&p);
    return tc_page_finish(&p, err);
}
