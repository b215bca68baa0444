/*
 * The review pages (docs/web.md, docs/review.md): the ranked queue of a commune and year
 * with its allocation bar, a group's score explained with the ruleset's texts and the
 * decision forms, and the public list. Figures come from tincay/decisions.h; the workflow's
 * rules (levels, roles, ceilings, allocation) are enforced there, the policy here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "auth.h"
#include "http.h"
#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/decisions.h"
#include "tincay/fmt.h"
#include "tincay/group_facts.h"
#include "tincay/strbuf.h"
#include "web/html.h"
#include "web/page.h"
#include "web/pages.h"
#include "web/svg_chart.h"
#include "web/urlencoded.h"

#define CODE_LEN 5
#define URL_MAX  512

/* ---- the commune and year asked for ---- */

struct commune_year {
    const char *era, *code;
    int year;
    const char *province;
};

static int
current_year(void)
{
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    return tm.tm_year + 1900;
}

/* "ERA:CODE" into its parts, in the arena. */
static enum tc_status
parse_commune(struct tc_arena *arena, const char *s, struct commune_year *cy, struct tc_error *err)
{
    const char *colon = strchr(s, ':');

    if (colon == NULL || strlen(colon + 1) != CODE_LEN ||
        strspn(colon + 1, "0123456789") != CODE_LEN ||
        !((colon - s == 7 && strncmp(s, "pre2025", 7) == 0) ||
          (colon - s == 8 && strncmp(s, "post2025", 8) == 0)))
        return tc_fail(err, TC_EINVAL, "invalid commune \"%s\": expected ERA:CODE", s);
    cy->era = tc_arena_strndup(arena, s, (size_t)(colon - s));
    cy->code = colon + 1;
    return cy->era != NULL ? TC_OK : tc_fail(err, TC_ENOMEM, "out of memory");
}

static enum tc_status
parse_year(const char *s, int *out, struct tc_error *err)
{
    char *end = NULL;
    long y = s != NULL ? strtol(s, &end, 10) : 0;

    if (s == NULL || s[0] == '\0') {
        *out = current_year();
        return TC_OK;
    }
    if (end == s || *end != '\0' || y < 2021 || y > 2100)
        return tc_fail(err, TC_EINVAL, "invalid year \"%s\"", s);
    *out = (int)y;
    return TC_OK;
}

/*
 * ?commune=&year= of the request (the commune defaults to the user's own); `*asked` false
 * when there is none to show. Checks `action` of `who` on that commune.
 */
static enum tc_status
commune_asked(struct tc_request *req, const struct tc_principal *who, enum tc_action action,
              struct commune_year *cy, bool *asked, struct tc_error *err)
{
    const char *commune = tc_req_query(req, "commune");
    struct tc_policy_object what = {0};
    struct tc_db_conn *conn;
    enum tc_status st;

    memset(cy, 0, sizeof(*cy));
    *asked = false;
    if (tc_policy_scope(who->role, action) == TC_SCOPE_DENIED)
        return tc_auth_check(req, who, action, NULL, err); /* denied, and audited */
    if ((st = parse_year(tc_req_query(req, "year"), &cy->year, err)) != TC_OK)
        return st;
    if (commune == NULL || commune[0] == '\0') {
        if (who->commune_code == NULL || who->commune_era == NULL)
            return TC_OK;
        cy->era = who->commune_era;
        cy->code = who->commune_code;
    } else if ((st = parse_commune(tc_req_arena(req), commune, cy, err)) != TC_OK) {
        return st;
    }
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = tc_commune_province(conn, cy->era, cy->code, tc_req_arena(req), &cy->province,
                                  err)) != TC_OK)
        return st;
    what.commune = cy->code;
    what.province = cy->province;
    if ((st = tc_auth_check(req, who, action, &what, err)) != TC_OK)
        return st;
    *asked = true;
    return TC_OK;
}

/* "/path?commune=ERA:CODE&year=YYYY[&format=F]" into `url`. */
static const char *
commune_url(struct tc_strbuf *url, const char *path, const struct commune_year *cy,
            const char *format)
{
    tc_strbuf_reset(url);
    tc_strbuf_appends(url, path);
    tc_strbuf_appends(url, "?commune=");
    tc_html_url_segment(url, cy->era);
    tc_strbuf_appends(url, ":");
    tc_html_url_segment(url, cy->code);
    tc_strbuf_appendf(url, "&year=%d", cy->year);
    if (format != NULL) {
        tc_strbuf_appends(url, "&format=");
        tc_strbuf_appends(url, format);
    }
    return tc_strbuf_failed(url) ? "/review" : tc_strbuf_str(url);
}

static void
link(struct tc_page *p, const char *href, const char *label, const char *attr_class)
{
    tc_html_raw(p->out, "<a");
    tc_html_url_attr(p->out, "href", href);
    tc_html_attr(p->out, "class", attr_class);
    tc_html_raw(p->out, ">");
    tc_html_text(p->out, label);
    tc_html_raw(p->out, "</a>");
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

/* A <dl> entry. */
static void
fact(struct tc_page *p, const char *term, const char *value)
{
    tc_html_raw(p->out, "<dt>");
    tc_html_text(p->out, term);
    tc_html_raw(p->out, "</dt><dd>");
    tc_html_text(p->out, value != NULL && value[0] != '\0' ? value : "–");
    tc_html_raw(p->out, "</dd>");
}

static const char *
vnd(struct tc_arena *arena, bool has, long long amount)
{
    char buf[TC_FMT_VND_SIZE];

    if (!has)
        return NULL;
    tc_fmt_vnd(amount, buf);
    return tc_arena_strdup(arena, buf);
}

static const char *
score_text(struct tc_arena *arena, double v)
{
    char buf[48];

    tc_svg_number(v, buf);
    if (v != (double)(long long)v) { /* two decimals for scores: 63,72 */
        long long hundredths = (long long)(v * 100 + (v < 0 ? -0.5 : 0.5));
        (void)snprintf(buf, sizeof(buf), "%s%lld,%02lld", hundredths < 0 ? "-" : "",
                       llabs(hundredths) / 100, llabs(hundredths) % 100);
    }
    return tc_arena_strdup(arena, buf);
}

/* The GET form choosing a commune and year. */
static void
chooser(struct tc_page *p, const char *action, const struct commune_year *cy)
{
    char year[16];
    struct tc_strbuf commune = TC_STRBUF_INIT(64);

    if (cy->code != NULL)
        tc_strbuf_appendf(&commune, "%s:%s", cy->era, cy->code);
    (void)snprintf(year, sizeof(year), "%d", cy->year);
    tc_html_raw(p->out, "<form class=\"chooser\" method=\"get\"");
    tc_html_url_attr(p->out, "action", action);
    tc_html_raw(p->out, "><div class=\"field\"><label for=\"f-commune\">");
    tc_html_text(p->out, tc_tr(p->lang, "Commune"));
    tc_html_raw(p->out, "</label><input type=\"text\" id=\"f-commune\" name=\"commune\" "
                        "aria-describedby=\"f-commune-hint\" autocomplete=\"off\"");
    tc_html_attr(p->out, "value", tc_strbuf_failed(&commune) ? "" : tc_strbuf_str(&commune));
    tc_html_raw(p->out, "><p class=\"hint\" id=\"f-commune-hint\">");
    tc_html_text(p->out, tc_tr(p->lang, "Era and official code, e.g. post2025:03390."));
    tc_html_raw(p->out, "</p></div><div class=\"field\"><label for=\"f-year\">");
    tc_html_text(p->out, tc_tr(p->lang, "Year"));
    tc_html_raw(p->out, "</label><input type=\"number\" id=\"f-year\" name=\"year\" min=\"2021\" "
                        "max=\"2100\"");
    tc_html_attr(p->out, "value", year);
    tc_html_raw(p->out, "></div><div class=\"actions\"><button type=\"submit\">");
    tc_html_text(p->out, tc_tr(p->lang, "Show"));
    tc_html_raw(p->out, "</button></div></form>");
    tc_strbuf_cleanup(&commune);
}

/* Links to the queues of the communes with an allocation this year that `who` may read. */
static enum tc_status
commune_links(struct tc_page *p, const struct tc_principal *who, int year, const char *path,
              struct tc_error *err)
{
    struct tc_db_conn *conn = tc_req_db(p->req, err);
    struct tc_allocation_bar *bars;
    struct tc_policy_subject subject;
    struct tc_strbuf url = TC_STRBUF_INIT(URL_MAX);
    size_t n, shown = 0;
    enum tc_status st;

    if (conn == NULL)
        return err->status;
    if ((st = tc_allocations_list(conn, year, tc_req_arena(p->req), &bars, &n, err)) != TC_OK)
        return st;
    tc_auth_subject(who, &subject);
    for (size_t i = 0; i < n; i++) {
        const struct tc_policy_object what = {.commune = bars[i].commune_code,
                                              .province = bars[i].province_code};
        const struct commune_year cy = {bars[i].era, bars[i].commune_code, year, NULL};
        char label[64];

        if (!tc_policy_allows(who->role, TC_ACT_SCORE_READ, &subject, &what))
            continue;
        if (shown++ == 0)
            tc_html_raw(p->out, "<ul class=\"communes\">");
        (void)snprintf(label, sizeof(label), "%s:%s", bars[i].era, bars[i].commune_code);
        tc_html_raw(p->out, "<li>");
        link(p, commune_url(&url, path, &cy, NULL), label, NULL);
        tc_html_raw(p->out, "</li>");
    }
    if (shown > 0)
        tc_html_raw(p->out, "</ul>");
    tc_strbuf_cleanup(&url);
    return TC_OK;
}

/* ---- texts of the ruleset and of the workflow ---- */

/* The `lang` text of a {"vi": ..., "en": ...} object (or a plain string). */
static const char *
lang_text(const json_t *t, enum tc_lang lang)
{
    const char *s;

    if (json_is_string(t))
        return json_string_value(t);
    s = json_string_value(json_object_get(t, tc_lang_name(lang)));
    return s != NULL ? s : json_string_value(json_object_get(t, "vi"));
}

/* The entry of section `section` of the ruleset's texts whose "id" is `id`. */
static const json_t *
text_of(const json_t *texts, const char *section, const char *id)
{
    const json_t *list = json_object_get(texts, section), *e;
    size_t i;

    json_array_foreach(list, i, e)
    {
        const char *eid = json_string_value(json_object_get(e, "id"));
        if (eid != NULL && id != NULL && strcmp(eid, id) == 0)
            return e;
    }
    return NULL;
}

static void
json_release(void *j)
{
    json_decref(j);
}

/* A JSON text stored by the rules module, parsed and freed with the request (null if broken). */
static json_t *
parsed(struct tc_request *req, const char *text)
{
    json_t *j = text != NULL ? json_loads(text, 0, NULL) : NULL;

    if (j == NULL || tc_arena_defer(tc_req_arena(req), json_release, j) != 0)
        return json_null(); /* a failed defer has released it already */
    return j;
}

static const char *
legal_form_label(enum tc_lang lang, const char *code)
{
    if (code == NULL || code[0] == '\0')
        return NULL;
    if (strcmp(code, "group") == 0)
        return tc_tr(lang, "Livelihood group (not registered)");
    if (strcmp(code, "tht") == 0)
        return tc_tr(lang, "Cooperative group (THT)");
    if (strcmp(code, "htx") == 0)
        return tc_tr(lang, "Cooperative (HTX)");
    return code;
}

static const char *
kind_label(enum tc_lang lang, const char *kind)
{
    if (strcmp(kind, "propose") == 0)
        return tc_tr(lang, "proposed");
    if (strcmp(kind, "confirm") == 0)
        return tc_tr(lang, "confirmed");
    if (strcmp(kind, "approve") == 0)
        return tc_tr(lang, "approved");
    if (strcmp(kind, "reject") == 0)
        return tc_tr(lang, "rejected");
    if (strcmp(kind, "return") == 0)
        return tc_tr(lang, "returned for correction");
    return kind;
}

static const char *
state_text(struct tc_page *p, const struct tc_group *g)
{
    struct tc_arena *arena = tc_req_arena(p->req);
    char buf[200];

    if (strcmp(g->state, "approved") == 0)
        return tc_arena_strdup(arena, tc_trf(buf, sizeof(buf), p->lang, "approved: %s",
                                             vnd(arena, g->has_amount, g->amount)));
    if (strcmp(g->state, "in_progress") == 0)
        return tc_arena_strdup(arena,
                               tc_trf(buf, sizeof(buf), p->lang,
                                      "in progress: level %d of the chain decided", g->last_level));
    if (strcmp(g->state, "rejected") == 0)
        return tc_tr(p->lang, "rejected");
    if (strcmp(g->state, "returned") == 0)
        return tc_tr(p->lang, "returned for correction");
    return tc_tr(p->lang, "pending");
}

/* The failed gates of a group, explained in the page's language, "; " between them. */
static const char *
failed_gates(struct tc_page *p, const struct tc_group *g, const json_t *texts)
{
    json_t *gates = parsed(p->req, g->gates_json), *e;
    struct tc_strbuf sb = TC_STRBUF_INIT(4096);
    const char *out;
    size_t i;

    json_array_foreach(gates, i, e)
    {
        const char *id = json_string_value(json_object_get(e, "id"));
        const char *outcome = json_string_value(json_object_get(e, "outcome"));
        const json_t *t = text_of(texts, "gates", id);
        const char *msg = t != NULL ? lang_text(json_object_get(t, "message"), p->lang) : NULL;

        if (outcome == NULL || strcmp(outcome, "fail") != 0)
            continue;
        if (sb.len > 0)
            tc_strbuf_appends(&sb, "; ");
        tc_strbuf_appends(&sb, msg != NULL ? msg : id != NULL ? id : "?");
    }
    out = tc_strbuf_failed(&sb) || sb.len == 0
              ? tc_tr(p->lang, "a gate failed")
              : tc_arena_strdup(tc_req_arena(p->req), tc_strbuf_str(&sb));
    tc_strbuf_cleanup(&sb);
    return out;
}

/* ---- the queue ---- */

static void
allocation_section(struct tc_page *p, const struct tc_allocation_bar *bar)
{
    struct tc_arena *arena = tc_req_arena(p->req);
    char desc[300];

    heading(p, "allocation", tc_tr(p->lang, "Allocation"));
    if (!bar->has_allocation) {
        para(p, tc_tr(p->lang, "No allocation is set for this commune and year: nothing can be "
                               "approved until an administrator sets one."));
        return;
    }
    tc_trf(desc, sizeof(desc), p->lang, "%s committed of %s allocated; %s remaining",
           vnd(arena, true, bar->committed), vnd(arena, true, bar->amount),
           vnd(arena, true, bar->remaining));
    tc_html_raw(p->out, "<div class=\"allocation\">");
    tc_svg_share_bar(p->out, "allocation-bar", tc_tr(p->lang, "Allocation"), desc,
                     (double)bar->committed, (double)bar->amount);
    tc_html_raw(p->out, "<dl class=\"figures\">");
    fact(p, tc_tr(p->lang, "Allocated"), vnd(arena, true, bar->amount));
    fact(p, tc_tr(p->lang, "Committed (approved)"), vnd(arena, true, bar->committed));
    fact(p, tc_tr(p->lang, "Remaining"), vnd(arena, true, bar->remaining));
    tc_html_raw(p->out, "</dl></div>");
}

static const struct tc_group_facts *
facts_of(const struct tc_group_facts *facts, size_t n, long long submission)
{
    for (size_t i = 0; i < n; i++)
        if (facts[i].submission == submission)
            return &facts[i];
    return NULL;
}

static void
queue_row(struct tc_page *p, const struct tc_group *g, const struct tc_group_facts *f)
{
    struct tc_arena *arena = tc_req_arena(p->req);
    json_t *texts = parsed(p->req, g->texts_json);
    char href[64], rank[16];

    (void)snprintf(href, sizeof(href), "/review/groups/%lld", g->submission);
    (void)snprintf(rank, sizeof(rank), "%d", g->rank);
    tc_html_raw(p->out, g->eligible ? "<tr class=\"eligible\">" : "<tr class=\"ineligible\">");
    tc_html_raw(p->out, "<td class=\"num\">");
    tc_html_text(p->out, g->eligible ? rank : "–");
    tc_html_raw(p->out, "</td><td>");
    link(p, href, g->group_name[0] != '\0' ? g->group_name : g->instance_id, "group");
    tc_html_raw(p->out, "</td>");
    tc_table_cell(p, g->village);
    tc_table_cell(p, legal_form_label(p->lang, f != NULL ? f->legal_form : NULL));
    tc_html_raw(p->out, "<td class=\"num\">");
    tc_html_text(p->out, score_text(arena, g->total));
    tc_html_raw(p->out, "</td>");
    if (g->eligible) {
        tc_html_raw(p->out, "<td><span class=\"pass\">");
        tc_html_text(p->out, tc_tr(p->lang, "all passed"));
        tc_html_raw(p->out, "</span></td>");
    } else {
        tc_html_raw(p->out, "<td><span class=\"fail\">");
        tc_html_text(p->out, failed_gates(p, g, texts));
        tc_html_raw(p->out, "</span></td>");
    }
    tc_html_raw(p->out, "<td class=\"num\">");
    tc_html_text(p->out, g->has_recommended ? vnd(arena, true, g->recommended) : "–");
    tc_html_raw(p->out, "</td>");
    tc_html_raw(p->out, "<td class=\"state\">");
    tc_html_text(p->out, state_text(p, g));
    tc_html_raw(p->out, "</td></tr>");
}

static void
queue_table(struct tc_page *p, const struct tc_group *groups, size_t n,
            const struct tc_group_facts *facts, size_t n_facts)
{
    const char *headings[] = {
        tc_tr(p->lang, "Rank"),        tc_tr(p->lang, "Group"),       tc_tr(p->lang, "Village"),
        tc_tr(p->lang, "Legal form"),  tc_tr(p->lang, "Total score"), tc_tr(p->lang, "Gates"),
        tc_tr(p->lang, "Recommended"), tc_tr(p->lang, "Decision"),
    };

    tc_html_raw(p->out, "<div class=\"table-wrap\"><table class=\"queue\"><caption>");
    tc_html_text(p->out, tc_tr(p->lang, "Groups by rank: eligible groups first, by total score "
                                        "and the ruleset's tie-breakers"));
    tc_html_raw(p->out, "</caption><thead><tr>");
    for (size_t i = 0; i < sizeof(headings) / sizeof(headings[0]); i++) {
        tc_html_raw(p->out, "<th scope=\"col\">");
        tc_html_text(p->out, headings[i]);
        tc_html_raw(p->out, "</th>");
    }
    tc_html_raw(p->out, "</tr></thead><tbody>");
    for (size_t i = 0; i < n; i++)
        queue_row(p, &groups[i], facts_of(facts, n_facts, groups[i].submission));
    tc_table_end(p);
}

static enum tc_status
queue_body(struct tc_page *p, const struct commune_year *cy, struct tc_error *err)
{
    struct tc_arena *arena = tc_req_arena(p->req);
    struct tc_db_conn *conn = tc_req_db(p->req, err);
    struct tc_strbuf url = TC_STRBUF_INIT(URL_MAX);
    struct tc_allocation_bar bar;
    struct tc_group_facts *facts;
    struct tc_group *groups;
    size_t n, n_facts;
    enum tc_status st;

    if (conn == NULL)
        return err->status;
    if ((st = tc_queue(conn, cy->era, cy->code, cy->year, arena, &groups, &n, err)) != TC_OK ||
        (st = tc_allocation_get(conn, cy->era, cy->code, cy->year, arena, &bar, err)) != TC_OK ||
        (st = tc_group_facts_of_commune(conn, cy->era, cy->code, cy->year, arena, &facts, &n_facts,
                                        err)) != TC_OK)
        return st;
    tc_html_raw(p->out, "<p class=\"lead\">");
    tc_html_trf(p->out, p->lang, "Commune %s:%s, year %d: %zu surveyed groups.", cy->era, cy->code,
                cy->year, n);
    tc_html_raw(p->out, " ");
    link(p, commune_url(&url, "/review/public-list", cy, NULL), tc_tr(p->lang, "Public list"),
         NULL);
    tc_html_raw(p->out, "</p>");
    allocation_section(p, &bar);
    heading(p, "queue", tc_tr(p->lang, "Ranked queue"));
    if (n == 0)
        para(p, tc_tr(p->lang, "No scored group in this commune for this year."));
    else
        queue_table(p, groups, n, facts, n_facts);
    tc_strbuf_cleanup(&url);
    return TC_OK;
}

enum tc_status
tc_page_review(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    struct commune_year cy;
    struct tc_page p;
    bool asked;
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = commune_asked(req, &who, TC_ACT_SCORE_READ, &cy, &asked, err)) != TC_OK ||
        (st = tc_page_init(&p, req, resp, &who, err)) != TC_OK)
        return st;
    tc_page_begin(&p, tc_tr(p.lang, "Review"));
    chooser(&p, "/review", &cy);
    if (!asked) {
        para(&p, tc_tr(p.lang, "Choose a commune. Communes with an allocation this year:"));
        st = commune_links(&p, &who, cy.year, "/review", err);
    } else {
        st = queue_body(&p, &cy, err);
    }
    if (st != TC_OK)
        return st;
    tc_page_end(&p);
    return tc_page_finish(&p, err);
}

/* ---- one group ---- */

static enum tc_status
parse_id(const char *s, long long *out, struct tc_error *err)
{
    char *end = NULL;
    long long v = s != NULL ? strtoll(s, &end, 10) : 0;

    if (s == NULL || end == s || *end != '\0' || v <= 0)
        return tc_fail(err, TC_ENOTFOUND, "no group \"%s\"", s != NULL ? s : "");
    *out = v;
    return TC_OK;
}

/* The group of :id, and `action` of `who` checked on its commune. */
static enum tc_status
group_asked(struct tc_request *req, const struct tc_principal *who, enum tc_action action,
            struct tc_group *g, struct tc_policy_object *what, struct tc_error *err)
{
    struct tc_db_conn *conn;
    const char *province = NULL;
    long long id = 0;
    enum tc_status st;

    memset(what, 0, sizeof(*what));
    if (tc_policy_scope(who->role, action) == TC_SCOPE_DENIED)
        return tc_auth_check(req, who, action, NULL, err);
    if ((st = parse_id(tc_req_param(req, "id"), &id, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = tc_group_get(conn, id, tc_req_arena(req), g, err)) != TC_OK)
        return st;
    if (g->commune_era != NULL && g->commune_code != NULL) {
        if ((st = tc_commune_province(conn, g->commune_era, g->commune_code, tc_req_arena(req),
                                      &province, err)) != TC_OK)
            return st;
        what->commune = g->commune_code;
        what->province = province;
    }
    return tc_auth_check(req, who, action, what, err);
}

static const char *
outcome_label(enum tc_lang lang, const char *outcome)
{
    if (outcome == NULL)
        return NULL;
    if (strcmp(outcome, "pass") == 0)
        return tc_tr(lang, "passed");
    if (strcmp(outcome, "fail") == 0)
        return tc_tr(lang, "failed");
    if (strcmp(outcome, "n/a") == 0)
        return tc_tr(lang, "does not apply");
    return outcome;
}

static void
gates_table(struct tc_page *p, const struct tc_group *g, const json_t *texts)
{
    const char *headings[] = {tc_tr(p->lang, "Gate"), tc_tr(p->lang, "Result"),
                              tc_tr(p->lang, "Fails when"), tc_tr(p->lang, "Basis")};
    json_t *gates = parsed(p->req, g->gates_json), *e;
    size_t i;

    heading(p, "gates", tc_tr(p->lang, "Gates"));
    para(p, tc_tr(p->lang, "A group must pass every gate to be ranked; a gate that does not "
                           "apply is not counted."));
    tc_table_begin(p, tc_tr(p->lang, "Gates of the ruleset"), headings, 4);
    json_array_foreach(gates, i, e)
    {
        const char *id = json_string_value(json_object_get(e, "id"));
        const char *outcome = json_string_value(json_object_get(e, "outcome"));
        const json_t *t = text_of(texts, "gates", id);

        tc_html_raw(p->out, outcome != NULL && strcmp(outcome, "fail") == 0
                                ? "<tr class=\"gate-fail\">"
                                : "<tr>");
        tc_table_cell(p, id);
        tc_table_cell(p, outcome_label(p->lang, outcome));
        tc_table_cell(p, t != NULL ? lang_text(json_object_get(t, "message"), p->lang) : NULL);
        tc_table_cell(p, t != NULL ? json_string_value(json_object_get(t, "basis")) : NULL);
        tc_table_row_end(p);
    }
    tc_table_end(p);
}

static void
points_table(struct tc_page *p, const struct tc_group *g, const json_t *texts)
{
    struct tc_arena *arena = tc_req_arena(p->req);
    const char *headings[] = {tc_tr(p->lang, "Criterion"), tc_tr(p->lang, "Answer"),
                              tc_tr(p->lang, "Points"), tc_tr(p->lang, "Out of"),
                              tc_tr(p->lang, "Basis")};
    json_t *points = parsed(p->req, g->points_json), *e;
    size_t i;

    heading(p, "score", tc_tr(p->lang, "Score"));
    tc_table_begin(p, tc_tr(p->lang, "Points by criterion"), headings, 5);
    json_array_foreach(points, i, e)
    {
        const char *id = json_string_value(json_object_get(e, "id"));
        const json_t *t = text_of(texts, "criteria", id);
        const char *label = t != NULL ? lang_text(json_object_get(t, "label"), p->lang) : NULL;
        json_t *value = json_object_get(e, "value");
        bool answered = json_is_true(json_object_get(e, "answered"));

        tc_table_row_begin(p);
        tc_table_cell(p, label != NULL ? label : id);
        tc_table_cell(p, !answered               ? tc_tr(p->lang, "not answered")
                         : json_is_number(value) ? score_text(arena, json_number_value(value))
                                                 : json_string_value(value));
        tc_html_raw(p->out, "<td class=\"num\">");
        tc_html_text(p->out, score_text(arena, json_number_value(json_object_get(e, "points"))));
        tc_html_raw(p->out, "</td><td class=\"num\">");
        tc_html_text(p->out, score_text(arena, json_number_value(json_object_get(e, "max"))));
        tc_html_raw(p->out, "</td>");
        tc_table_cell(p, t != NULL ? json_string_value(json_object_get(t, "basis")) : NULL);
        tc_table_row_end(p);
    }
    tc_html_raw(p->out, "</tbody><tfoot><tr><th scope=\"row\" colspan=\"2\">");
    tc_html_text(p->out, tc_tr(p->lang, "Total"));
    tc_html_raw(p->out, "</th><td class=\"num total\">");
    tc_html_text(p->out, score_text(arena, g->total));
    tc_html_raw(p->out, "</td><td colspan=\"2\"></td></tr></tfoot></table></div>");
}

static void
ties_list(struct tc_page *p, const struct tc_group *g, const json_t *texts)
{
    struct tc_arena *arena = tc_req_arena(p->req);
    json_t *ties = parsed(p->req, g->ties_json), *e;
    size_t i;

    if (json_array_size(ties) == 0)
        return;
    tc_html_raw(p->out, "<h3>");
    tc_html_text(p->out, tc_tr(p->lang, "Tie-breakers, in order"));
    tc_html_raw(p->out, "</h3><ol class=\"ties\">");
    json_array_foreach(ties, i, e)
    {
        const char *id = json_string_value(json_object_get(e, "id"));
        const json_t *t = text_of(texts, "tiebreakers", id);
        const char *label = t != NULL ? lang_text(json_object_get(t, "label"), p->lang) : NULL;
        json_t *value = json_object_get(e, "value");

        tc_html_raw(p->out, "<li>");
        tc_html_text(p->out, label != NULL ? label : id);
        tc_html_raw(p->out, ": ");
        tc_html_text(p->out, json_is_number(value) ? score_text(arena, json_number_value(value))
                                                   : json_string_value(value));
        tc_html_raw(p->out, "</li>");
    }
    tc_html_raw(p->out, "</ol>");
}

static long long
term(const json_t *terms, const char *name, bool *has)
{
    json_t *v = json_object_get(terms, name);

    *has = json_is_number(v);
    return *has ? (long long)json_number_value(v) : 0;
}

/* The recommended amount, each term explained. */
static void
recommendation(struct tc_page *p, const struct tc_group *g)
{
    struct tc_arena *arena = tc_req_arena(p->req);
    json_t *reasons = parsed(p->req, g->reasons_json);
    json_t *terms = json_object_get(reasons, "terms");
    bool has_need, has_ceiling, has_remaining;
    long long need = term(terms, "need", &has_need);
    long long ceiling = term(terms, "ceiling", &has_ceiling);
    long long remaining = term(terms, "remaining", &has_remaining);

    heading(p, "recommendation", tc_tr(p->lang, "Ceiling and recommended amount"));
    para(p, tc_tr(p->lang, "The recommended amount is the smallest of the three terms below."));
    tc_html_raw(p->out, "<dl class=\"terms\">");
    fact(p, tc_tr(p->lang, "Norm item"), g->norm_item);
    fact(p, tc_tr(p->lang, "Ceiling of the norm (the most a decision may grant)"),
         vnd(arena, g->has_ceiling || has_ceiling, g->has_ceiling ? g->ceiling : ceiling));
    fact(p, tc_tr(p->lang, "Assessed need, net of the group's counterpart"),
         vnd(arena, has_need, need));
    fact(p, tc_tr(p->lang, "What remains of the commune's allocation"),
         vnd(arena, has_remaining, remaining));
    fact(p, tc_tr(p->lang, "Recommended amount"), vnd(arena, g->has_recommended, g->recommended));
    tc_html_raw(p->out, "</dl>");
}

static void
history_table(struct tc_page *p, const struct tc_decision *d, size_t n)
{
    struct tc_arena *arena = tc_req_arena(p->req);
    const char *headings[] = {tc_tr(p->lang, "Level"),  tc_tr(p->lang, "Decision"),
                              tc_tr(p->lang, "Amount"), tc_tr(p->lang, "Reason"),
                              tc_tr(p->lang, "Who"),    tc_tr(p->lang, "When")};

    heading(p, "history", tc_tr(p->lang, "Decision history"));
    if (n == 0) {
        para(p, tc_tr(p->lang, "No decision yet."));
        return;
    }
    tc_table_begin(p, tc_tr(p->lang, "Decisions, oldest first"), headings, 6);
    for (size_t i = 0; i < n; i++) {
        char at[TC_FMT_DATETIME_SIZE], level[16];

        (void)snprintf(level, sizeof(level), "%d", d[i].level);
        tc_table_row_begin(p);
        tc_table_cell(p, level);
        tc_table_cell(p, kind_label(p->lang, d[i].kind));
        tc_table_cell(p, vnd(arena, d[i].has_amount, d[i].amount));
        tc_table_cell(p, d[i].reason);
        tc_table_cell(p, d[i].actor_login);
        tc_table_cell(p, tc_fmt_datetime(d[i].at, at) == 0 ? at : d[i].at);
        tc_table_row_end(p);
    }
    tc_table_end(p);
}

static const char *
positive_label(enum tc_lang lang, const char *kind)
{
    if (strcmp(kind, "propose") == 0)
        return tc_tr(lang, "Propose support");
    if (strcmp(kind, "confirm") == 0)
        return tc_tr(lang, "Confirm the proposal");
    return tc_tr(lang, "Approve support");
}

static void
decision_form(struct tc_page *p, const char *action, const char *kind, const char *title,
              const struct tc_field *field, const char *button)
{
    tc_html_raw(p->out, "<section class=\"decide\"><h3>");
    tc_html_text(p->out, title);
    tc_html_raw(p->out, "</h3>");
    tc_form_begin(p, action, NULL);
    tc_form_input(p, &(struct tc_field){.type = "hidden", .name = "kind", .value = kind});
    tc_form_input(p, field);
    tc_form_submit(p, button);
    tc_form_end(p);
    tc_html_raw(p->out, "</section>");
}

/* What the decision forms show again after a refusal. */
struct decide_form {
    const char *kind, *amount, *reason;
};

static void
decision_forms(struct tc_page *p, const struct tc_group *g, const struct tc_level *levels,
               size_t n_levels, const struct tc_policy_object *what, const struct decide_form *f)
{
    struct tc_arena *arena = tc_req_arena(p->req);
    const struct tc_level *next = (size_t)g->last_level < n_levels ? &levels[g->last_level] : NULL;
    struct tc_policy_subject subject;
    char action[64], hint[200], amount[32];
    enum tc_action act =
        p->who->role == TC_ROLE_APPROVER ? TC_ACT_DECISION_APPROVE : TC_ACT_DECISION_PROPOSE;
    bool positive_again = f != NULL && f->kind != NULL && strcmp(f->kind, "positive") == 0;

    heading(p, "decide", tc_tr(p->lang, "Decide"));
    if (strcmp(g->state, "approved") == 0 || strcmp(g->state, "rejected") == 0) {
        para(p, tc_tr(p->lang, "This group's decision chain is closed."));
        return;
    }
    if (next != NULL) {
        enum tc_role role;

        tc_html_raw(p->out, "<p>");
        tc_html_trf(p->out, p->lang, "Next: level %d, %s (%s).", next->position,
                    p->lang == TC_LANG_EN ? next->body_en : next->body_vi,
                    tc_role_parse(next->role, &role) == 0 ? tc_web_role_label(p->lang, role)
                                                          : next->role);
        tc_html_raw(p->out, "</p>");
    }
    tc_auth_subject(p->who, &subject);
    if (!tc_policy_allows(p->who->role, act, &subject, what) || next == NULL ||
        strcmp(next->role, tc_role_name(p->who->role)) != 0) {
        para(p, tc_tr(p->lang, "Your role does not take the next decision on this group."));
        return;
    }
    (void)snprintf(action, sizeof(action), "/review/groups/%lld/decisions", g->submission);
    (void)snprintf(amount, sizeof(amount), "%lld",
                   g->has_amount        ? g->amount
                   : g->has_recommended ? g->recommended
                                        : 0);
    tc_trf(hint, sizeof(hint), p->lang, "Whole đồng, at most the ceiling of %s.",
           g->has_ceiling ? vnd(arena, true, g->ceiling) : "–");
    if (g->eligible)
        decision_form(p, action, "positive", positive_label(p->lang, next->kind),
                      &(struct tc_field){.type = "text",
                                         .name = "amount",
                                         .label = tc_tr(p->lang, "Amount (đồng)"),
                                         .value = positive_again && f->amount ? f->amount : amount,
                                         .autocomplete = "off",
                                         .hint = hint,
                                         .required = true},
                      positive_label(p->lang, next->kind));
    decision_form(
        p, action, "reject", tc_tr(p->lang, "Reject"),
        &(struct tc_field){.type = "text",
                           .name = "reason",
                           .label = tc_tr(p->lang, "Reason for the rejection"),
                           .value = f != NULL && f->kind != NULL && strcmp(f->kind, "reject") == 0
                                        ? f->reason
                                        : NULL,
                           .autocomplete = "off",
                           .required = true},
        tc_tr(p->lang, "Reject"));
    decision_form(
        p, action, "return", tc_tr(p->lang, "Return for correction"),
        &(struct tc_field){.type = "text",
                           .name = "reason",
                           .label = tc_tr(p->lang, "What should be corrected"),
                           .value = f != NULL && f->kind != NULL && strcmp(f->kind, "return") == 0
                                        ? f->reason
                                        : NULL,
                           .autocomplete = "off",
                           .hint = tc_tr(p->lang, "The survey goes back to the "
                                                  "collector with this comment."),
                           .required = true},
        tc_tr(p->lang, "Return for correction"));
}

static void
group_summary(struct tc_page *p, const struct tc_group *g, const struct tc_group_facts *f, int rank)
{
    struct tc_arena *arena = tc_req_arena(p->req);
    char commune[64], members[64];

    (void)snprintf(commune, sizeof(commune), "%s:%s", g->commune_era != NULL ? g->commune_era : "?",
                   g->commune_code != NULL ? g->commune_code : "?");
    members[0] = '\0';
    if (f->members_total >= 0)
        tc_trf(members, sizeof(members), p->lang, "%d, of whom %d women", f->members_total,
               f->members_women >= 0 ? f->members_women : 0);
    tc_html_raw(p->out, "<dl class=\"summary\">");
    fact(p, tc_tr(p->lang, "Commune"), commune);
    fact(p, tc_tr(p->lang, "Village"), g->village);
    fact(p, tc_tr(p->lang, "Legal form"), legal_form_label(p->lang, f->legal_form));
    fact(p, tc_tr(p->lang, "Members"), members);
    fact(p, tc_tr(p->lang, "Eligible"), g->eligible ? tc_tr(p->lang, "yes") : tc_tr(p->lang, "no"));
    fact(p, tc_tr(p->lang, "Total score"), score_text(arena, g->total));
    fact(p, tc_tr(p->lang, "Rank in the commune"),
         rank > 0 && g->eligible ? tc_arena_printf(arena, "%d", rank) : NULL);
    fact(p, tc_tr(p->lang, "Decision"), state_text(p, g));
    tc_html_raw(p->out, "</dl>");
}

/* The group's place in its commune's queue (tc_group_get does not rank); 0 when none. */
static enum tc_status
rank_of(struct tc_db_conn *conn, struct tc_arena *arena, const struct tc_group *g, int *rank,
        struct tc_error *err)
{
    struct tc_group *queue;
    size_t n;
    enum tc_status st;

    *rank = 0;
    if (!g->eligible || g->commune_era == NULL || g->commune_code == NULL)
        return TC_OK;
    if ((st = tc_queue(conn, g->commune_era, g->commune_code, g->year, arena, &queue, &n, err)) !=
        TC_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        if (queue[i].submission == g->submission)
            *rank = queue[i].rank;
    return TC_OK;
}

static enum tc_status
render_group(struct tc_request *req, struct tc_response *resp, const struct tc_principal *who,
             const struct tc_group *g, const struct tc_policy_object *what, const char *message,
             const struct decide_form *f, struct tc_error *err)
{
    struct tc_arena *arena = tc_req_arena(req);
    struct tc_db_conn *conn = tc_req_db(req, err);
    struct tc_group_facts facts;
    struct tc_decision *decisions;
    struct tc_level *levels = NULL;
    size_t n_decisions, n_levels = 0;
    int rank = 0;
    struct tc_strbuf back = TC_STRBUF_INIT(URL_MAX);
    json_t *texts;
    struct tc_page p;
    enum tc_status st;

    if (conn == NULL)
        return err->status;
    if ((st = tc_group_facts_get(conn, g->submission, arena, &facts, err)) != TC_OK ||
        (st = tc_decisions_of(conn, g->submission, arena, &decisions, &n_decisions, err)) !=
            TC_OK ||
        (g->commune_era != NULL &&
         (st = tc_levels_list(conn, g->commune_era, arena, &levels, &n_levels, err)) != TC_OK) ||
        (st = tc_page_init(&p, req, resp, who, err)) != TC_OK)
        return st;
    if ((st = rank_of(conn, arena, g, &rank, err)) != TC_OK)
        return st;
    texts = parsed(req, g->texts_json);
    tc_page_begin(&p, g->group_name[0] != '\0' ? g->group_name : g->instance_id);
    if (message != NULL)
        tc_page_message(&p, message, true);
    if (g->commune_era != NULL && g->commune_code != NULL) {
        const struct commune_year cy = {g->commune_era, g->commune_code, g->year, NULL};

        tc_html_raw(p.out, "<p>");
        link(&p, commune_url(&back, "/review", &cy, NULL), tc_tr(p.lang, "Back to the queue"),
             NULL);
        tc_html_raw(p.out, "</p>");
    }
    group_summary(&p, g, &facts, rank);
    gates_table(&p, g, texts);
    points_table(&p, g, texts);
    ties_list(&p, g, texts);
    recommendation(&p, g);
    history_table(&p, decisions, n_decisions);
    decision_forms(&p, g, levels, n_levels, what, f);
    tc_strbuf_cleanup(&back);
    tc_page_end(&p);
    return tc_page_finish(&p, err);
}

enum tc_status
tc_page_review_group(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_policy_object what;
    struct tc_principal who;
    struct tc_group g;
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = group_asked(req, &who, TC_ACT_SCORE_READ, &g, &what, err)) != TC_OK)
        return st;
    return render_group(req, resp, &who, &g, &what, NULL, NULL, err);
}

/* "57.600.000", "57 600 000 ₫" or "57600000" → 57600000; -1 when it is not an amount. */
static long long
parse_amount(const char *s)
{
    static const char *const skipped[] = {".", " ", "\u00a0", "\u202f", "\u20ab"};
    long long v = 0;
    size_t digits = 0;
    const char *c = s;

    if (s == NULL)
        return -1;
    while (*c != '\0') {
        bool known = false;

        if (*c >= '0' && *c <= '9') {
            if (++digits > 15)
                return -1;
            v = v * 10 + (*c++ - '0');
            continue;
        }
        for (size_t i = 0; !known && i < sizeof(skipped) / sizeof(skipped[0]); i++) {
            size_t len = strlen(skipped[i]);

            if (strncmp(c, skipped[i], len) == 0) {
                c += len;
                known = true;
            }
        }
        if (!known)
            return -1;
    }
    return digits > 0 ? v : -1;
}

static enum tc_status
decision_from(const struct decide_form *f, struct tc_decision_new *d, struct tc_error *err)
{
    if (f->kind == NULL)
        return tc_fail(err, TC_EINVAL, "parameter \"%s\" is required", "kind");
    if (strcmp(f->kind, "positive") == 0) {
        long long amount = parse_amount(f->amount);

        d->kind = TC_DECIDE_POSITIVE;
        if (amount < 0)
            return tc_fail(err, TC_EINVAL, "the amount must be a whole number of đồng");
        d->has_amount = true;
        d->amount = amount;
    } else if (strcmp(f->kind, "reject") == 0) {
        d->kind = TC_DECIDE_REJECT;
    } else if (strcmp(f->kind, "return") == 0) {
        d->kind = TC_DECIDE_RETURN;
    } else {
        return tc_fail(err, TC_EINVAL, "invalid decision kind \"%s\"", f->kind);
    }
    d->reason = f->reason != NULL && f->reason[0] != '\0' ? f->reason : NULL;
    return TC_OK;
}

enum tc_status
tc_page_review_decide(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_decision_new d = {0};
    struct tc_policy_object what;
    struct tc_form_data form;
    struct tc_principal who;
    struct decide_form f;
    struct tc_group g;
    struct tc_db_conn *conn;
    char message[sizeof(err->msg)], location[64];
    enum tc_status st, refusal;

    if ((st = tc_web_user(req, &who, err)) != TC_OK)
        return st;
    st = group_asked(
        req, &who, who.role == TC_ROLE_APPROVER ? TC_ACT_DECISION_APPROVE : TC_ACT_DECISION_PROPOSE,
        &g, &what, err);
    if (st != TC_OK || (st = tc_web_form(req, &who, &form, err)) != TC_OK)
        return st;
    f = (struct decide_form){tc_form_get(&form, "kind"), tc_form_get(&form, "amount"),
                             tc_form_get(&form, "reason")};
    d.submission = g.submission;
    d.actor_id = who.id;
    d.actor_role = who.role;
    d.actor_login = who.login;
    d.client_addr = tc_req_client_addr(req);
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = decision_from(&f, &d, err)) == TC_OK &&
        (st = tc_decide(conn, &d, NULL, err)) == TC_OK) {
        (void)snprintf(location, sizeof(location), "/review/groups/%lld", g.submission);
        return tc_web_redirect(req, resp, location, TC_FLASH_DECISION_RECORDED, err);
    }
    if (st == TC_EFORBIDDEN) /* a rule of the workflow refused this person: recorded */
        tc_auth_audit(req, &who, "decision.refused", "denied",
                      tc_arena_printf(tc_req_arena(req), "{\"submission\": %lld}", g.submission));
    if (st != TC_EINVAL && st != TC_ECONFLICT && st != TC_EFORBIDDEN)
        return st;
    /* A refusal the user can read and fix: the group again, with the message. */
    refusal = st;
    (void)snprintf(message, sizeof(message), "%s", err->msg);
    tc_error_clear(err);
    if ((st = tc_group_get(conn, g.submission, tc_req_arena(req), &g, err)) != TC_OK)
        return st;
    tc_resp_status(resp, tc_status_http(refusal));
    return render_group(req, resp, &who, &g, &what, message, &f, err);
}

/* ---- the public list ---- */

enum tc_status
tc_page_public_list(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_arena *arena = tc_req_arena(req);
    struct tc_strbuf url = TC_STRBUF_INIT(URL_MAX);
    struct tc_public_row *rows = NULL;
    struct tc_principal who;
    struct commune_year cy;
    struct tc_page p;
    size_t n = 0;
    bool asked;
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = commune_asked(req, &who, TC_ACT_REPORT_READ, &cy, &asked, err)) != TC_OK ||
        (asked && (st = tc_public_list(tc_req_db(req, err), cy.era, cy.code, cy.year, arena, &rows,
                                       &n, err)) != TC_OK) ||
        (st = tc_page_init(&p, req, resp, &who, err)) != TC_OK)
        return st;
    tc_page_begin(&p, tc_tr(p.lang, "Public list"));
    chooser(&p, "/review/public-list", &cy);
    if (!asked) {
        para(&p, tc_tr(p.lang, "Choose a commune and a year."));
    } else {
        const char *headings[] = {
            tc_tr(p.lang, "No."),   tc_tr(p.lang, "Commune"),    tc_tr(p.lang, "Village"),
            tc_tr(p.lang, "Group"), tc_tr(p.lang, "Legal form"), tc_tr(p.lang, "Members"),
            tc_tr(p.lang, "Women"), tc_tr(p.lang, "Amount"),     tc_tr(p.lang, "Approved on")};

        para(&p, tc_tr(p.lang, "The groups approved for support, to be posted publicly. It holds "
                               "no personal data."));
        tc_html_raw(p.out, "<ul class=\"downloads\"><li>");
        link(&p, commune_url(&url, "/api/v1/public-list", &cy, "csv"),
             tc_tr(p.lang, "Download CSV"), NULL);
        tc_html_raw(p.out, "</li><li>");
        link(&p, commune_url(&url, "/api/v1/public-list", &cy, "xlsx"),
             tc_tr(p.lang, "Download XLSX"), NULL);
        tc_html_raw(p.out, "</li><li>");
        link(&p, commune_url(&url, "/api/v1/public-list", &cy, "html"),
             tc_tr(p.lang, "Printable page"), NULL);
        tc_html_raw(p.out, "</li></ul>");
        tc_table_begin(&p, tc_tr(p.lang, "Approved groups"), headings, 9);
        for (size_t i = 0; i < n; i++) {
            char at[TC_FMT_DATE_SIZE];

            tc_table_row_begin(&p);
            tc_table_cell(&p, tc_arena_printf(arena, "%zu", i + 1));
            tc_table_cell(&p, rows[i].commune_name);
            tc_table_cell(&p, rows[i].village);
            tc_table_cell(&p, rows[i].group_name);
            tc_table_cell(&p, legal_form_label(p.lang, rows[i].legal_form));
            tc_table_cell(&p, tc_arena_printf(arena, "%d", rows[i].members_total));
            tc_table_cell(&p, tc_arena_printf(arena, "%d", rows[i].members_women));
            tc_table_cell(&p, vnd(arena, true, rows[i].amount));
            tc_table_cell(&p, tc_fmt_date(rows[i].approved_at, at) == 0 ? at : rows[i].approved_at);
            tc_table_row_end(&p);
        }
        tc_table_end(&p);
        if (n == 0)
            para(&p, tc_tr(p.lang, "No group has been approved yet."));
    }
    tc_strbuf_cleanup(&url);
    tc_page_end(&p);
    return tc_page_finish(&p, err);
}
