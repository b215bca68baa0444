#include "handlers/api_review.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "auth.h"
#include "http.h"
#include "json_body.h"
#include "tincay/arena.h"
#include "tincay/audit.h"
#include "tincay/config.h"
#include "tincay/db.h"
#include "tincay/decisions.h"
#include "tincay/exports.h"
#include "tincay/rules.h"
#include "tincay/strbuf.h"
#include "tincay/table.h"

#define CODE_LEN 5

/* ---- small helpers ------------------------------------------------------------------ */

/* "ERA:CODE" into its parts, in the arena. */
static enum tc_status
parse_commune(struct tc_arena *arena, const char *s, const char **era, const char **code,
              struct tc_error *err)
{
    const char *colon = s != NULL ? strchr(s, ':') : NULL;

    *era = *code = NULL;
    if (s == NULL)
        return tc_fail(err, TC_EINVAL, "parameter \"%s\" is required", "commune");
    if (colon == NULL || strlen(colon + 1) != CODE_LEN ||
        strspn(colon + 1, "0123456789") != CODE_LEN ||
        !((colon - s == 7 && strncmp(s, "pre2025", 7) == 0) ||
          (colon - s == 8 && strncmp(s, "post2025", 8) == 0)))
        return tc_fail(err, TC_EINVAL, "invalid commune \"%s\": expected ERA:CODE", s);
    *era = tc_arena_strndup(arena, s, (size_t)(colon - s));
    *code = colon + 1;
    return *era != NULL ? TC_OK : tc_fail(err, TC_ENOMEM, "out of memory");
}

static enum tc_status
parse_year(const char *s, int *out, struct tc_error *err)
{
    char *end = NULL;
    long y = s != NULL ? strtol(s, &end, 10) : 0;

    *out = 0;
    if (s == NULL)
        return tc_fail(err, TC_EINVAL, "parameter \"%s\" is required", "year");
    if (end == s || *end != '\0' || y < 2021 || y > 2100)
        return tc_fail(err, TC_EINVAL, "invalid year \"%s\"", s);
    *out = (int)y;
    return TC_OK;
}

/* The caller, the database, and the policy object of commune (era, code). */
static enum tc_status
area_of(struct tc_request *req, const char *era, const char *code, struct tc_policy_object *what,
        struct tc_error *err)
{
    struct tc_db_conn *conn = tc_req_db(req, err);
    const char *province;
    enum tc_status st;

    if (conn == NULL)
        return err->status;
    if ((st = tc_commune_province(conn, era, code, tc_req_arena(req), &province, err)) != TC_OK)
        return st;
    memset(what, 0, sizeof(*what));
    what->commune = code;
    what->province = province;
    return TC_OK;
}

static enum tc_status
reply(struct tc_response *resp, json_t *body, unsigned int status, struct tc_error *err)
{
    enum tc_status st =
        body != NULL ? tc_resp_json(resp, body, err) : tc_fail(err, TC_ENOMEM, "out of memory");

    json_decref(body);
    if (st == TC_OK && status != 200)
        tc_resp_status(resp, status);
    return st;
}

/* A JSON text stored by the rules module, parsed (null when absent or broken). */
static json_t *
stored(const char *text)
{
    json_t *j = text != NULL ? json_loads(text, 0, NULL) : NULL;

    return j != NULL ? j : json_null();
}

static json_t *
money(bool has, long long v)
{
    return has ? json_integer(v) : json_null();
}

static json_t *
allocation_json(const struct tc_allocation_bar *b)
{
    if (!b->has_allocation)
        return json_null();
    return json_pack("{s:s, s:s, s:i, s:I, s:I, s:I}", "era", b->era, "commune_code",
                     b->commune_code, "year", b->year, "amount", (json_int_t)b->amount, "committed",
                     (json_int_t)b->committed, "remaining", (json_int_t)b->remaining);
}

/* The entry of `list` (an array of objects) whose "id" is `id`, or NULL. */
static json_t *
by_id(const json_t *list, const char *id)
{
    size_t i;
    json_t *e;

    json_array_foreach(list, i, e)
    {
        const char *eid = json_string_value(json_object_get(e, "id"));
        if (eid != NULL && id != NULL && strcmp(eid, id) == 0)
            return e;
    }
    return NULL;
}

/*
 * Stored results (`stored_text`: ids and figures) explained with the ruleset's texts
 * (`section` of texts: "gates", "criteria", "tiebreakers"): each result gets the text's
 * fields it lacks (label, message, basis, reason).
 */
static json_t *
explained(const char *stored_text, const json_t *texts, const char *section)
{
    json_t *results = stored(stored_text), *list = json_object_get(texts, section), *r;
    size_t i;

    json_array_foreach(results, i, r)
    {
        json_t *t = by_id(list, json_string_value(json_object_get(r, "id")));
        if (t != NULL)
            json_object_update_missing(r, t);
    }
    return results;
}

static json_t *
group_json(const struct tc_group *g)
{
    json_t *texts = stored(g->texts_json), *out;

    out = json_pack(
        "{s:I, s:i, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:i, s:s, s:i, s:b, s:f, s:o, s:o, s:o,"
        " s:o, s:s?, s:o, s:o, s:{s:s, s:i, s:o}}",
        "id", (json_int_t)g->submission, "rank", g->rank, "instance_id", g->instance_id,
        "group_name", g->group_name, "village", g->village, "review_state", g->review_state,
        "commune", "era", g->commune_era, "code", g->commune_code, "year", g->year, "ruleset",
        g->ruleset_id, "ruleset_version", g->ruleset_version, "eligible", g->eligible, "total",
        g->total, "gates", explained(g->gates_json, texts, "gates"), "points",
        explained(g->points_json, texts, "criteria"), "tiebreak",
        explained(g->ties_json, texts, "tiebreakers"), "reasons", stored(g->reasons_json),
        "norm_item", g->norm_item, "ceiling", money(g->has_ceiling, g->ceiling), "recommended",
        money(g->has_recommended, g->recommended), "decision", "state", g->state, "last_level",
        g->last_level, "amount", money(g->has_amount, g->amount));
    json_decref(texts);
    return out;
}

static json_t *
levels_json(const struct tc_level *lv, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && i < n; i++)
        json_array_append_new(a, json_pack("{s:i, s:s, s:s, s:s, s:s}", "position", lv[i].position,
                                           "kind", lv[i].kind, "role", lv[i].role, "body_vi",
                                           lv[i].body_vi, "body_en", lv[i].body_en));
    return a;
}

/* ---- queue and group ---------------------------------------------------------------- */

struct commune_year {
    const char *era, *code;
    int year;
};

/* Identify, parse ?commune=&year=, and check `action` on that commune. */
static enum tc_status
commune_request(struct tc_request *req, enum tc_action action, struct tc_principal *who,
                struct commune_year *cy, struct tc_error *err)
{
    struct tc_policy_object what;
    enum tc_status st;

    if ((st = tc_auth_require(req, who, err)) != TC_OK ||
        (st = parse_commune(tc_req_arena(req), tc_req_query(req, "commune"), &cy->era, &cy->code,
                            err)) != TC_OK ||
        (st = parse_year(tc_req_query(req, "year"), &cy->year, err)) != TC_OK ||
        (st = area_of(req, cy->era, cy->code, &what, err)) != TC_OK)
        return st;
    return tc_auth_check(req, who, action, &what, err);
}

enum tc_status
tc_handle_review_queue(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_arena *arena = tc_req_arena(req);
    struct tc_principal who;
    struct commune_year cy = {0};
    struct tc_allocation_bar bar;
    struct tc_group *groups;
    struct tc_level *levels;
    size_t n, n_levels;
    struct tc_db_conn *conn;
    json_t *list;
    enum tc_status st;

    if ((st = commune_request(req, TC_ACT_SCORE_READ, &who, &cy, err)) != TC_OK)
        return st;
    conn = tc_req_db(req, err);
    if ((st = tc_queue(conn, cy.era, cy.code, cy.year, arena, &groups, &n, err)) != TC_OK ||
        (st = tc_allocation_get(conn, cy.era, cy.code, cy.year, arena, &bar, err)) != TC_OK ||
        (st = tc_levels_list(conn, cy.era, arena, &levels, &n_levels, err)) != TC_OK)
        return st;
    if ((list = json_array()) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, group_json(&groups[i]));
    return reply(resp,
                 json_pack("{s:{s:s, s:s}, s:i, s:o, s:o, s:o}", "commune", "era", cy.era, "code",
                           cy.code, "year", cy.year, "allocation", allocation_json(&bar), "levels",
                           levels_json(levels, n_levels), "groups", list),
                 200, err);
}

static enum tc_status
parse_id(const char *s, long long *out, struct tc_error *err)
{
    char *end = NULL;
    long long v = s != NULL ? strtoll(s, &end, 10) : 0;

    *out = 0;
    if (s == NULL || end == s || *end != '\0' || v <= 0)
        return tc_fail(err, TC_ENOTFOUND, "no group \"%s\"", s != NULL ? s : "");
    *out = v;
    return TC_OK;
}

/* Find the group of :id, and check `action` of `who` on its commune. */
static enum tc_status
group_request(struct tc_request *req, enum tc_action action, const struct tc_principal *who,
              struct tc_group *g, struct tc_error *err)
{
    struct tc_policy_object what;
    struct tc_db_conn *conn;
    long long id;
    enum tc_status st;

    if ((st = parse_id(tc_req_param(req, "id"), &id, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = tc_group_get(conn, id, tc_req_arena(req), g, err)) != TC_OK)
        return st;
    if (g->commune_era == NULL || g->commune_code == NULL)
        memset(&what, 0, sizeof(what));
    else if ((st = area_of(req, g->commune_era, g->commune_code, &what, err)) != TC_OK)
        return st;
    return tc_auth_check(req, who, action, &what, err);
}

static json_t *
decisions_json(const struct tc_decision *d, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && i < n; i++)
        json_array_append_new(
            a, json_pack("{s:I, s:s, s:i, s:o, s:s?, s:I, s:s, s:s, s:s, s:i}", "id",
                         (json_int_t)d[i].id, "kind", d[i].kind, "level", d[i].level, "amount",
                         money(d[i].has_amount, d[i].amount), "reason", d[i].reason, "actor_id",
                         (json_int_t)d[i].actor_id, "actor", d[i].actor_login, "at", d[i].at,
                         "ruleset", d[i].ruleset_id, "ruleset_version", d[i].ruleset_version));
    return a;
}

static enum tc_status
reply_group(struct tc_request *req, struct tc_response *resp, const struct tc_group *g,
            unsigned int status, struct tc_error *err)
{
    struct tc_arena *arena = tc_req_arena(req);
    struct tc_db_conn *conn = tc_req_db(req, err);
    struct tc_decision *d;
    struct tc_level *levels;
    size_t n, n_levels = 0;
    enum tc_status st;

    if (conn == NULL)
        return err->status;
    if ((st = tc_decisions_of(conn, g->submission, arena, &d, &n, err)) != TC_OK ||
        (g->commune_era != NULL &&
         (st = tc_levels_list(conn, g->commune_era, arena, &levels, &n_levels, err)) != TC_OK))
        return st;
    return reply(resp,
                 json_pack("{s:o, s:o, s:o}", "group", group_json(g), "levels",
                           n_levels ? levels_json(levels, n_levels) : json_array(), "decisions",
                           decisions_json(d, n)),
                 status, err);
}

enum tc_status
tc_handle_review_group(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    struct tc_group g = {0};
    enum tc_status st;

    if ((st = tc_auth_require(req, &who, err)) != TC_OK ||
        (st = group_request(req, TC_ACT_SCORE_READ, &who, &g, err)) != TC_OK)
        return st;
    return reply_group(req, resp, &g, 200, err);
}

/* ---- decisions ---------------------------------------------------------------------- */

static enum tc_status
decision_body(struct tc_request *req, struct tc_decision_new *d, struct tc_error *err)
{
    json_t *body, *amount;
    const char *kind;
    enum tc_status st;

    if ((st = tc_json_body(req, &body, err)) != TC_OK ||
        (st = tc_json_string(body, "kind", true, &kind, NULL, err)) != TC_OK ||
        (st = tc_json_string(body, "reason", false, &d->reason, NULL, err)) != TC_OK)
        return st;
    if (tc_decision_kind_parse(kind, &d->kind, &d->level_kind) != 0)
        return tc_fail(err, TC_EINVAL, "invalid decision kind \"%s\"", kind);
    amount = json_object_get(body, "amount");
    if (amount != NULL && !json_is_null(amount) && !json_is_integer(amount))
        return tc_fail(err, TC_EINVAL, "field \"%s\" must be a whole number", "amount");
    d->has_amount = json_is_integer(amount);
    d->amount = d->has_amount ? (long long)json_integer_value(amount) : 0;
    return TC_OK;
}

enum tc_status
tc_handle_review_decide(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    struct tc_group g = {0};
    struct tc_decision_new d = {0};
    struct tc_db_conn *conn;
    enum tc_status st;

    if ((st = tc_auth_require(req, &who, err)) != TC_OK)
        return st;
    st = group_request(
        req, who.role == TC_ROLE_APPROVER ? TC_ACT_DECISION_APPROVE : TC_ACT_DECISION_PROPOSE, &who,
        &g, err);
    if (st != TC_OK || (st = tc_auth_csrf(req, &who, NULL, err)) != TC_OK ||
        (st = decision_body(req, &d, err)) != TC_OK)
        return st;
    d.submission = g.submission;
    d.actor_id = who.id;
    d.actor_role = who.role;
    d.actor_login = who.login;
    d.client_addr = tc_req_client_addr(req);
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = tc_decide(conn, &d, NULL, err)) != TC_OK) {
        if (st == TC_EFORBIDDEN) /* a rule of the workflow refused this person: recorded */
            tc_auth_audit(
                req, &who, "decision.refused", "denied",
                tc_arena_printf(tc_req_arena(req), "{\"submission\": %lld}", g.submission));
        return st;
    }
    if ((st = tc_group_get(conn, g.submission, tc_req_arena(req), &g, err)) != TC_OK)
        return st;
    return reply_group(req, resp, &g, 201, err);
}

/* ---- allocations -------------------------------------------------------------------- */

/* May `who` see allocation `b`? Admins manage norms and allocations everywhere. */
static bool
may_see(const struct tc_principal *who, const char *code, const char *province)
{
    struct tc_policy_subject subject;
    const struct tc_policy_object what = {.commune = code, .province = province};

    tc_auth_subject(who, &subject);
    return tc_policy_allows(who->role, TC_ACT_NORMS_MANAGE, &subject, &what) ||
           tc_policy_allows(who->role, TC_ACT_REPORT_READ, &subject, &what);
}

enum tc_status
tc_handle_allocations_get(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    const char *year_s = tc_req_query(req, "year");
    struct tc_principal who;
    struct tc_allocation_bar *bars;
    struct tc_db_conn *conn;
    size_t n;
    int year = 0;
    json_t *list;
    enum tc_status st;

    if ((st = tc_auth_require(req, &who, err)) != TC_OK ||
        (year_s != NULL && (st = parse_year(year_s, &year, err)) != TC_OK))
        return st;
    if (tc_policy_scope(who.role, TC_ACT_REPORT_READ) == TC_SCOPE_DENIED &&
        tc_policy_scope(who.role, TC_ACT_NORMS_MANAGE) == TC_SCOPE_DENIED)
        return tc_auth_check(req, &who, TC_ACT_REPORT_READ, NULL, err); /* denied, audited */
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = tc_allocations_list(conn, year, tc_req_arena(req), &bars, &n, err)) != TC_OK)
        return st;
    if ((list = json_array()) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (may_see(&who, bars[i].commune_code, bars[i].province_code))
            json_array_append_new(list, allocation_json(&bars[i]));
    return reply(resp, json_pack("{s:o}", "allocations", list), 200, err);
}

/* The allocation and its audit row, in one transaction. */
struct allocation_set {
    const char *commune;
    int year;
    long long amount;
    struct tc_audit_event event;
    struct tc_arena *arena;
};

static enum tc_status
allocation_set_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    const struct allocation_set *a = ctx;
    enum tc_status st = tc_allocation_set(conn, a->commune, a->year, a->amount, err);

    return st == TC_OK ? tc_audit_append(conn, &a->event, a->arena, err) : st;
}

enum tc_status
tc_handle_allocations_put(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_arena *arena = tc_req_arena(req);
    struct tc_principal who;
    struct tc_policy_object what;
    struct tc_allocation_bar bar;
    struct allocation_set set;
    struct tc_db_conn *conn;
    const char *commune, *era, *code;
    json_t *body, *year, *amount;
    enum tc_status st;

    if ((st = tc_auth_require(req, &who, err)) != TC_OK ||
        (st = tc_json_body(req, &body, err)) != TC_OK ||
        (st = tc_json_string(body, "commune", true, &commune, NULL, err)) != TC_OK ||
        (st = parse_commune(arena, commune, &era, &code, err)) != TC_OK ||
        (st = area_of(req, era, code, &what, err)) != TC_OK ||
        (st = tc_auth_check(req, &who, TC_ACT_NORMS_MANAGE, &what, err)) != TC_OK ||
        (st = tc_auth_csrf(req, &who, NULL, err)) != TC_OK)
        return st;
    year = json_object_get(body, "year");
    amount = json_object_get(body, "amount");
    if (!json_is_integer(year) || json_integer_value(year) < 2021 ||
        json_integer_value(year) > 2100)
        return tc_fail(err, TC_EINVAL, "field \"%s\" must be a whole number", "year");
    if (!json_is_integer(amount) || json_integer_value(amount) < 0)
        return tc_fail(err, TC_EINVAL, "field \"%s\" must be a whole number", "amount");
    set = (struct allocation_set){
        .commune = commune,
        .year = (int)json_integer_value(year),
        .amount = (long long)json_integer_value(amount),
        .event = {.actor_kind = "user",
                  .actor_id = who.id,
                  .actor_login = who.login,
                  .action = "allocation.set",
                  .object_kind = "allocation",
                  .object_id = commune,
                  .client_addr = tc_req_client_addr(req),
                  .detail_json = tc_arena_printf(arena, "{\"year\": %d, \"amount\": %lld}",
                                                 (int)json_integer_value(year),
                                                 (long long)json_integer_value(amount))},
        .arena = arena};
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = tc_db_transact(conn, false, allocation_set_txn, &set, err)) != TC_OK ||
        (st = tc_allocation_get(conn, era, code, set.year, arena, &bar, err)) != TC_OK)
        return st;
    return reply(resp, json_pack("{s:o}", "allocation", allocation_json(&bar)), 200, err);
}

/* ---- exports ------------------------------------------------------------------------ */

enum format { FORMAT_JSON, FORMAT_CSV, FORMAT_XLSX, FORMAT_HTML };

static enum tc_status
parse_format(const char *s, bool html_ok, bool json_ok, enum format *out, struct tc_error *err)
{
    *out = FORMAT_JSON;
    if (s == NULL || (json_ok && strcmp(s, "json") == 0))
        *out = json_ok ? FORMAT_JSON : FORMAT_CSV;
    else if (strcmp(s, "csv") == 0)
        *out = FORMAT_CSV;
    else if (strcmp(s, "xlsx") == 0)
        *out = FORMAT_XLSX;
    else if (html_ok && strcmp(s, "html") == 0)
        *out = FORMAT_HTML;
    else
        return tc_fail(err, TC_EINVAL, "invalid format \"%s\"", s);
    return TC_OK;
}

/* Write the workbook to a private temporary file and send it. */
static enum tc_status
send_xlsx(struct tc_request *req, struct tc_response *resp, const struct tc_table *const *tables,
          size_t n, struct tc_error *err)
{
    const struct tc_config *cfg = tc_server_config(tc_req_server(req));
    const char *dir = cfg != NULL && cfg->data_dir[0] != '\0' ? cfg->data_dir : "/tmp";
    char *path = tc_arena_printf(tc_req_arena(req), "%s/export-XXXXXX", dir);
    struct stat sb;
    enum tc_status st;
    int fd;

    if (path == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((fd = mkstemp(path)) < 0)
        return tc_fail(err, TC_EINTERNAL, "could not create the spreadsheet");
    close(fd);
    st = tc_tables_xlsx(tables, n, path, err);
    fd = st == TC_OK ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    unlink(path);
    if (st != TC_OK)
        return st;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        if (fd >= 0)
            close(fd);
        return tc_fail(err, TC_EINTERNAL, "could not write the spreadsheet");
    }
    tc_resp_content_type(resp, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    tc_resp_file(resp, fd, (uint64_t)sb.st_size);
    return TC_OK;
}

/* The table(s) in `format` (not JSON), as an attachment named `name`.<ext>. */
static enum tc_status
send_tables(struct tc_request *req, struct tc_response *resp, enum format format,
            const struct tc_table *const *tables, size_t n, const char *name, const char *title,
            const char *note, struct tc_error *err)
{
    static const char *const ext[] = {"json", "csv", "xlsx", "html"};
    const char *disposition =
        tc_arena_printf(tc_req_arena(req), "%s; filename=\"%s.%s\"",
                        format == FORMAT_HTML ? "inline" : "attachment", name, ext[format]);
    enum tc_status st;

    if (disposition == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((st = tc_resp_header(resp, "Content-Disposition", disposition, err)) != TC_OK)
        return st;
    if (format == FORMAT_XLSX)
        return send_xlsx(req, resp, tables, n, err);
    if (format == FORMAT_CSV) {
        tc_resp_content_type(resp, "text/csv; charset=utf-8");
        tc_table_csv(tables[0], tc_resp_body(resp));
    } else {
        tc_resp_content_type(resp, "text/html; charset=utf-8");
        tc_table_html(tables[0], title, note, tc_resp_body(resp));
    }
    return tc_strbuf_failed(tc_resp_body(resp)) ? tc_fail(err, TC_ETOOLARGE, "export too large")
                                                : TC_OK;
}

static const char *
llstr(struct tc_arena *arena, long long v)
{
    return tc_arena_printf(arena, "%lld", v);
}

static json_t *
public_json(const struct tc_public_row *r, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && i < n; i++)
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:I, s:s}", "commune_name",
                         r[i].commune_name, "village", r[i].village, "group_name", r[i].group_name,
                         "legal_form", r[i].legal_form, "commune_code", r[i].commune_code,
                         "members_total", r[i].members_total, "members_women", r[i].members_women,
                         "amount", (json_int_t)r[i].amount, "approved_at", r[i].approved_at));
    return a;
}

static struct tc_table *
public_table(struct tc_arena *arena, const struct tc_public_row *r, size_t n)
{
    static const char *const header[] = {"STT / No.",
                                         "Xã / Commune",
                                         "Thôn, bản / Village",
                                         "Tên nhóm / Group",
                                         "Hình thức / Legal form",
                                         "Số thành viên / Members",
                                         "Nữ / Women",
                                         "Số tiền hỗ trợ (đồng) / Amount (VND)",
                                         "Ngày phê duyệt / Approved on"};
    struct tc_table *t =
        tc_table_new(arena, "danh_sach_cong_khai", sizeof(header) / sizeof(*header));

    if (t == NULL || tc_table_add_row(t, arena, header) != 0)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *row[] = {llstr(arena, (long long)i + 1),
                             r[i].commune_name,
                             r[i].village,
                             r[i].group_name,
                             r[i].legal_form,
                             llstr(arena, r[i].members_total),
                             llstr(arena, r[i].members_women),
                             llstr(arena, r[i].amount),
                             r[i].approved_at};
        if (tc_table_add_row(t, arena, row) != 0)
            return NULL;
    }
    return t;
}

enum tc_status
tc_handle_public_list(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_arena *arena = tc_req_arena(req);
    struct tc_principal who;
    struct commune_year cy = {0};
    struct tc_public_row *rows;
    const struct tc_table *table;
    enum format format;
    size_t n;
    enum tc_status st;

    if ((st = commune_request(req, TC_ACT_REPORT_READ, &who, &cy, err)) != TC_OK ||
        (st = parse_format(tc_req_query(req, "format"), true, true, &format, err)) != TC_OK ||
        (st = tc_public_list(tc_req_db(req, err), cy.era, cy.code, cy.year, arena, &rows, &n,
                             err)) != TC_OK)
        return st;
    tc_auth_audit(
        req, &who, "export.public_list", "ok",
        tc_arena_printf(arena,
                        "{\"commune\": \"%s:%s\", \"year\": %d, \"rows\": %zu, "
                        "\"format\": \"%s\"}",
                        cy.era, cy.code, cy.year, n,
                        tc_req_query(req, "format") ? tc_req_query(req, "format") : "json"));
    if (format == FORMAT_JSON)
        return reply(resp,
                     json_pack("{s:{s:s, s:s}, s:i, s:o}", "commune", "era", cy.era, "code",
                               cy.code, "year", cy.year, "groups", public_json(rows, n)),
                     200, err);
    if ((table = public_table(arena, rows, n)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    return send_tables(
        req, resp, format, &table, 1,
        tc_arena_printf(arena, "danh-sach-cong-khai-%s-%d", cy.code, cy.year),
        "Danh sách công khai các nhóm được hỗ trợ (Dự án 8) / Public list of supported groups",
        tc_arena_printf(arena, "Xã / Commune %s:%s%s%s, năm / year %d", cy.era, cy.code,
                        n > 0 ? " — " : "", n > 0 ? rows[0].commune_name : "", cy.year),
        err);
}

enum tc_status
tc_handle_export_submissions(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_arena *arena = tc_req_arena(req);
    const char *form = tc_req_query(req, "form"), *repeat = tc_req_query(req, "repeat");
    struct tc_principal who;
    struct tc_policy_object what = {0};
    struct tc_export_scope scope = {0};
    struct tc_policy_subject subject;
    struct tc_keyring *ring;
    struct tc_table **tables;
    const struct tc_table *chosen = NULL;
    enum format format;
    size_t n;
    enum tc_status st;

    if ((st = tc_auth_require(req, &who, err)) != TC_OK)
        return st;
    what.commune = who.commune_code;
    what.province = who.province_code;
    if ((st = tc_auth_check(req, &who, TC_ACT_SUBMISSION_EXPORT, &what, err)) != TC_OK ||
        (st = parse_format(tc_req_query(req, "format"), false, false, &format, err)) != TC_OK)
        return st;
    if (form == NULL)
        return tc_fail(err, TC_EINVAL, "parameter \"%s\" is required", "form");
    scope.commune_era = who.commune_code != NULL ? who.commune_era : NULL;
    scope.commune_code = who.commune_code;
    scope.province_code = who.commune_code == NULL ? who.province_code : NULL;
    tc_auth_subject(&who, &subject);
    ring = tc_policy_allows(who.role, TC_ACT_SUBMISSION_READ_PERSONAL, &subject, &what)
               ? tc_server_keyring(tc_req_server(req))
               : NULL;
    if ((st = tc_export_submissions(tc_req_db(req, err), form, &scope, ring, arena, &tables, &n,
                                    err)) != TC_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        if ((repeat == NULL && i == 0) ||
            (repeat != NULL && i > 0 && strcmp(tables[i]->name, repeat) == 0))
            chosen = tables[i];
    if (format == FORMAT_CSV && chosen == NULL)
        return tc_fail(err, TC_ENOTFOUND, "form \"%s\" has no repeat \"%s\"", form, repeat);
    tc_auth_audit(req, &who, "submission.export", "ok",
                  tc_arena_printf(arena,
                                  "{\"form\": \"%s\", \"rows\": %zu, \"format\": \"%s\", "
                                  "\"personal\": %s}",
                                  form, tables[0]->n_rows - 1,
                                  format == FORMAT_CSV ? "csv" : "xlsx",
                                  ring != NULL ? "true" : "false"));
    return send_tables(
        req, resp, format, format == FORMAT_CSV ? &chosen : (const struct tc_table *const *)tables,
        format == FORMAT_CSV ? 1 : n,
        tc_arena_printf(arena, "%s%s%s", form, repeat ? "-" : "", repeat ? repeat : ""), form, NULL,
        err);
}

static struct tc_table *
indicators_table(struct tc_arena *arena, const struct tc_indicator_row *r, size_t n)
{
    static const char *const header[] = {
        "commune_code",      "commune_name",         "month",           "groups_surveyed",
        "groups_eligible",   "groups_approved",      "amount_approved", "norm_ceiling_of_approved",
        "recommended_total", "trusted_address_cases"};
    struct tc_table *t = tc_table_new(arena, "indicators", sizeof(header) / sizeof(*header));

    if (t == NULL || tc_table_add_row(t, arena, header) != 0)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *row[] = {r[i].commune_code != NULL ? r[i].commune_code : "unmapped",
                             r[i].commune_name,
                             r[i].month,
                             llstr(arena, r[i].surveyed),
                             llstr(arena, r[i].eligible),
                             llstr(arena, r[i].approved),
                             llstr(arena, r[i].amount_approved),
                             llstr(arena, r[i].ceiling_of_approved),
                             llstr(arena, r[i].recommended_total),
                             r[i].cases_suppressed ? TC_CASES_MIN_CELL_TEXT
                                                   : llstr(arena, r[i].cases)};
        if (tc_table_add_row(t, arena, row) != 0)
            return NULL;
    }
    return t;
}

static bool
valid_date(const char *s)
{
    return s == NULL ||
           (strlen(s) == 10 && strspn(s, "0123456789-") == 10 && s[4] == '-' && s[7] == '-');
}

static enum tc_status
reply_indicators(struct tc_response *resp, const struct tc_indicator_row *r, size_t n,
                 struct tc_error *err)
{
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && i < n; i++)
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "commune_code",
                         r[i].commune_code, "commune_name", r[i].commune_name, "month", r[i].month,
                         "groups_surveyed", (json_int_t)r[i].surveyed, "groups_eligible",
                         (json_int_t)r[i].eligible, "groups_approved", (json_int_t)r[i].approved,
                         "amount_approved", (json_int_t)r[i].amount_approved,
                         "norm_ceiling_of_approved", (json_int_t)r[i].ceiling_of_approved,
                         "recommended_total", (json_int_t)r[i].recommended_total, "cases",
                         r[i].cases_suppressed ? json_string(TC_CASES_MIN_CELL_TEXT)
                                               : json_integer((json_int_t)r[i].cases)));
    return reply(resp, json_pack("{s:s, s:o}", "era", "post2025", "rows", a), 200, err);
}

enum tc_status
tc_handle_indicators(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_arena *arena = tc_req_arena(req);
    const char *era = tc_req_query(req, "era"), *from = tc_req_query(req, "from"),
               *to = tc_req_query(req, "to");
    struct tc_principal who;
    struct tc_indicator_row *rows;
    struct tc_table *table;
    enum format format;
    size_t n, kept = 0;
    enum tc_status st;

    if ((st = tc_auth_require(req, &who, err)) != TC_OK)
        return st;
    if (tc_policy_scope(who.role, TC_ACT_REPORT_READ) == TC_SCOPE_DENIED)
        return tc_auth_check(req, &who, TC_ACT_REPORT_READ, NULL, err); /* denied, audited */
    if (era != NULL && strcmp(era, "post2025") != 0)
        return tc_fail(err, TC_EINVAL, "indicators are totalled by post-2025 communes only");
    if (!valid_date(from) || !valid_date(to))
        return tc_fail(err, TC_EINVAL, "dates are written YYYY-MM-DD");
    if ((st = parse_format(tc_req_query(req, "format"), false, true, &format, err)) != TC_OK ||
        (st = tc_indicators(tc_req_db(req, err), from, to, arena, &rows, &n, err)) != TC_OK)
        return st;
    for (size_t i = 0; i < n; i++) /* only the rows of the caller's area */
        if (rows[i].commune_code != NULL &&
            may_see(&who, rows[i].commune_code, rows[i].province_code))
            rows[kept++] = rows[i];
    tc_auth_audit(req, &who, "report.indicators", "ok",
                  tc_arena_printf(arena, "{\"rows\": %zu}", kept));
    if ((table = indicators_table(arena, rows, kept)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if (format != FORMAT_JSON)
        return send_tables(req, resp, format, (const struct tc_table *const *)&table, 1,
                           "indicators-p8", "Project 8 indicators", NULL, err);
    return reply_indicators(resp, rows, kept, err);
}
