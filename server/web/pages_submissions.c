#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth.h"
#include "http.h"
#include "tincay/arena.h"
#include "tincay/cases.h"
#include "tincay/db.h"
#include "tincay/fmt.h"
#include "tincay/forms.h"
#include "tincay/review.h"
#include "tincay/strbuf.h"
#include "tincay/users.h"
#include "tincay/vault.h"
#include "web/html.h"
#include "web/page.h"
#include "web/pages.h"
#include "web/urlencoded.h"
#include "web/xform.h"

#define PER_PAGE     25
#define LIST_COLUMNS 4
#define HISTORY_MAX  ((size_t)20)
#define URL_MAX      1024
#define DETAIL_MAX   256
#define COMMENT_MAX  10000
#define PROTECTED    "[được bảo vệ / protected]"

static const char *const review_states[] = {"received", "hasIssues", "edited", "approved",
                                            "rejected"};

static const char *
state_label(enum tc_lang lang, const char *state)
{
    if (state == NULL)
        return NULL;
    if (strcmp(state, "received") == 0)
        return tc_tr(lang, "received");
    if (strcmp(state, "hasIssues") == 0)
        return tc_tr(lang, "has issues");
    if (strcmp(state, "edited") == 0)
        return tc_tr(lang, "edited");
    if (strcmp(state, "approved") == 0)
        return tc_tr(lang, "approved");
    if (strcmp(state, "rejected") == 0)
        return tc_tr(lang, "rejected");
    return state;
}

static void
free_json(void *json)
{
    json_decref(json);
}

/* A submission's values, parsed and tied to the request; NULL when there are none. */
static const json_t *
values_of(struct tc_request *req, const struct tc_submission_row *r)
{
    json_t *v = r->values_json != NULL ? json_loads(r->values_json, 0, NULL) : NULL;

    if (v != NULL && tc_arena_defer(tc_req_arena(req), free_json, v) != 0)
        return NULL; /* the arena ran the cleanup already */
    return v;
}

static struct tc_policy_object
object_of(const struct tc_submission_row *r)
{
    return (struct tc_policy_object){.owner_id = r->submitter_id,
                                     .commune = r->commune_code,
                                     .province = r->province_code,
                                     .form_id = r->form};
}

static bool
allows(const struct tc_principal *who, enum tc_action action, const struct tc_submission_row *r)
{
    struct tc_policy_subject subject;
    struct tc_policy_object what = object_of(r);

    tc_auth_subject(who, &subject);
    return tc_policy_allows(who->role, action, &subject, &what);
}

/*
 * Narrow `f` to what `who` may read: everything, their commune, or (row by row, through
 * `allows`) their own. A role without submission.read is refused and audited.
 */
static enum tc_status
scope_filter(struct tc_request *req, const struct tc_principal *who, struct tc_submission_filter *f,
             struct tc_error *err)
{
    switch (tc_policy_scope(who->role, TC_ACT_SUBMISSION_READ)) {
    case TC_SCOPE_ALL:
    case TC_SCOPE_OWN: return TC_OK;
    case TC_SCOPE_COMMUNE:
        if (who->commune_code == NULL || who->commune_code[0] == '\0') {
            /* An actor of a province reads every commune of it. */
            if (f != NULL)
                f->province_code = who->province_code;
            return TC_OK;
        }
        if (f != NULL) {
            f->commune_era = who->commune_era;
            f->commune_code = who->commune_code;
        }
        return TC_OK;
    default: break;
    }
    if (tc_auth_check(req, who, TC_ACT_SUBMISSION_READ, NULL, err) != TC_OK)
        return err->status;
    return tc_fail(err, TC_EFORBIDDEN, "permission denied");
}

/*
 * The submissions of a confidential form are cases: they are read in the case log, by the
 * unit's members, and never on these pages (the refusal is audited like any other).
 */
static enum tc_status
refuse_case(struct tc_request *req, const struct tc_principal *who, struct tc_error *err)
{
    tc_auth_audit(req, who, tc_action_name(TC_ACT_SUBMISSION_READ), "denied",
                  "{\"confidential\": true}");
    return tc_fail(err, TC_EFORBIDDEN,
                   "the submissions of a confidential form are read in the case log only");
}

/* ---- the forms whose submissions one may read ---- */

enum tc_status
tc_page_submission_forms(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_form_row *rows = NULL;
    struct tc_principal who;
    struct tc_db_conn *conn;
    struct tc_page p;
    const char *last = NULL;
    enum tc_status st;
    size_t n = 0;

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = scope_filter(req, &who, NULL, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = tc_forms_list(conn, NULL, tc_req_arena(req), &rows, &n, err)) != TC_OK ||
        (st = tc_page_init(&p, req, resp, &who, err)) != TC_OK)
        return st;
    tc_page_begin(&p, tc_tr(p.lang, "Submissions"));
    tc_html_raw(p.out, "<ul class=\"form-list\">");
    for (size_t i = 0; i < n; i++) {
        struct tc_strbuf url = TC_STRBUF_INIT(URL_MAX);

        if (rows[i].is_confidential || (last != NULL && strcmp(last, rows[i].form_id) == 0))
            continue;
        last = rows[i].form_id;
        tc_strbuf_appends(&url, "/forms/");
        tc_html_url_segment(&url, rows[i].form_id);
        tc_strbuf_appends(&url, "/submissions");
        tc_html_raw(p.out, "<li><a");
        tc_html_url_attr(p.out, "href", tc_strbuf_failed(&url) ? "#" : tc_strbuf_str(&url));
        tc_html_raw(p.out, ">");
        tc_html_text(p.out, rows[i].title);
        tc_html_raw(p.out, "</a> <code>");
        tc_html_text(p.out, rows[i].form_id);
        tc_html_raw(p.out, "</code></li>");
        tc_strbuf_cleanup(&url);
    }
    tc_html_raw(p.out, "</ul>");
    if (last == NULL)
        tc_page_message(&p, tc_tr(p.lang, "No form has been uploaded yet."), false);
    tc_page_end(&p);
    return tc_page_finish(&p, err);
}

/* ---- the table of one form's submissions ---- */

struct list_query {
    const char *form_id;
    const char *state, *commune, *from, *to; /* as typed; NULL or "" for none */
    long long before;
};

static const char *
query_value(const struct tc_request *req, const char *name)
{
    const char *v = tc_req_query(req, name);

    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* "YYYY-MM-DD", as a date input sends it. */
static bool
is_date(const char *s)
{
    static const char shape[] = "dddd-dd-dd";

    for (size_t i = 0; i < sizeof(shape) - 1; i++)
        if (s[i] == '\0' || (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != '-'))
            return false;
    return s[sizeof(shape) - 1] == '\0';
}

/* Dates are days of Vietnam (UTC+7); "to" includes its whole day (24:00 is the next 00:00). */
static enum tc_status
query_filter(struct tc_request *req, const struct list_query *q, struct tc_submission_filter *f,
             struct tc_error *err)
{
    struct tc_arena *arena = tc_req_arena(req);

    memset(f, 0, sizeof(*f));
    f->form_id = q->form_id;
    f->review_state = q->state;
    f->before_id = q->before;
    f->limit = PER_PAGE + 1;
    f->with_values = true;
    if (q->from != NULL && !is_date(q->from))
        return tc_fail(err, TC_EINVAL, "invalid date \"%s\"", q->from);
    if (q->to != NULL && !is_date(q->to))
        return tc_fail(err, TC_EINVAL, "invalid date \"%s\"", q->to);
    if (q->from != NULL)
        f->since = tc_arena_printf(arena, "%s 00:00:00+07", q->from);
    if (q->to != NULL)
        f->until = tc_arena_printf(arena, "%s 24:00:00+07", q->to);
    if (q->commune != NULL) {
        const char *colon = strchr(q->commune, ':');

        f->commune_era = colon != NULL
                             ? tc_arena_strndup(arena, q->commune, (size_t)(colon - q->commune))
                             : "post2025";
        f->commune_code = colon != NULL ? colon + 1 : q->commune;
    }
    return TC_OK;
}

/* The list's URL with the filters of `q`, and `before` when not 0. */
static const char *
list_url(struct tc_request *req, const struct list_query *q, long long before)
{
    struct tc_strbuf url = TC_STRBUF_INIT(URL_MAX);
    const char *names[] = {"state", "commune", "from", "to"};
    const char *values[] = {q->state, q->commune, q->from, q->to};
    char sep = '?';
    const char *out;

    tc_strbuf_appends(&url, "/forms/");
    tc_html_url_segment(&url, q->form_id);
    tc_strbuf_appends(&url, "/submissions");
    for (size_t i = 0; i < 4; i++) {
        if (values[i] == NULL)
            continue;
        tc_strbuf_appendf(&url, "%c%s=", sep, names[i]);
        tc_html_url_segment(&url, values[i]);
        sep = '&';
    }
    if (before > 0)
        tc_strbuf_appendf(&url, "%cbefore=%lld", sep, before);
    out = tc_strbuf_failed(&url) ? "/submissions"
                                 : tc_arena_strdup(tc_req_arena(req), tc_strbuf_str(&url));
    tc_strbuf_cleanup(&url);
    return out != NULL ? out : "/submissions";
}

static void
filter_form(struct tc_page *p, const struct list_query *q, bool commune_forced)
{
    struct tc_option states[6];
    struct tc_strbuf action = TC_STRBUF_INIT(URL_MAX);

    states[0] = (struct tc_option){"", tc_tr(p->lang, "any")};
    for (size_t i = 0; i < 5; i++)
        states[i + 1] =
            (struct tc_option){review_states[i], state_label(p->lang, review_states[i])};
    tc_strbuf_appends(&action, "/forms/");
    tc_html_url_segment(&action, q->form_id);
    tc_strbuf_appends(&action, "/submissions");
    tc_html_raw(p->out, "<form method=\"get\" class=\"filters\" role=\"search\"");
    tc_html_url_attr(p->out, "action",
                     tc_strbuf_failed(&action) ? "/submissions" : tc_strbuf_str(&action));
    tc_html_raw(p->out, ">");
    tc_form_select(p, "state", tc_tr(p->lang, "Review state"), states, 6,
                   q->state != NULL ? q->state : "");
    if (!commune_forced)
        tc_form_input(p, &(struct tc_field){.type = "text",
                                            .name = "commune",
                                            .label = tc_tr(p->lang, "Commune code"),
                                            .value = q->commune,
                                            .autocomplete = "off"});
    tc_form_input(p, &(struct tc_field){.type = "date",
                                        .name = "from",
                                        .label = tc_tr(p->lang, "Received from"),
                                        .value = q->from});
    tc_form_input(p, &(struct tc_field){.type = "date",
                                        .name = "to",
                                        .label = tc_tr(p->lang, "Received until"),
                                        .value = q->to});
    tc_form_submit(p, tc_tr(p->lang, "Filter"));
    tc_html_raw(p->out, "</form>");
    tc_strbuf_cleanup(&action);
}

static void
submission_row(struct tc_page *p, const struct tc_submission_row *r,
               const struct tc_web_column *cols, size_t n_cols)
{
    char at[TC_FMT_DATETIME_SIZE];
    const json_t *values = values_of(p->req, r);

    tc_table_row_begin(p);
    tc_html_raw(p->out, "<td><a");
    tc_html_url_attr(p->out, "href",
                     tc_arena_printf(tc_req_arena(p->req), "/submissions/%lld", r->id));
    tc_html_raw(p->out, ">");
    tc_html_textf(p->out, "#%lld", r->id);
    tc_html_raw(p->out, "</a></td>");
    tc_table_cell(p, tc_fmt_datetime(r->received_at, at) == 0 ? at : r->received_at);
    tc_html_raw(p->out, "<td><span class=\"state\"");
    tc_html_attr(p->out, "data-state", r->review_state);
    tc_html_raw(p->out, ">");
    tc_html_text(p->out, state_label(p->lang, r->review_state));
    tc_html_raw(p->out, "</span></td>");
    tc_table_cell(p, r->commune_code);
    for (size_t i = 0; i < n_cols; i++)
        tc_table_cell(p, cols[i].is_protected
                             ? PROTECTED
                             : tc_web_column_display(
                                   &cols[i],
                                   tc_web_value_at(values, cols[i].path, tc_req_arena(p->req)),
                                   tc_req_arena(p->req)));
    tc_html_raw(p->out, "<td class=\"num\">");
    tc_html_textf(p->out, "%zu", r->n_findings);
    tc_html_raw(p->out, "</td>");
    tc_table_row_end(p);
}

/* The columns of the newest version of `form_id`; TC_ENOTFOUND when it has none. */
static enum tc_status
form_columns(struct tc_db_conn *conn, const char *form_id, size_t max, struct tc_arena *arena,
             const char **title_out, bool *is_confidential, struct tc_web_column **cols,
             size_t *n_cols, struct tc_error *err)
{
    struct tc_form_row *rows = NULL, row;
    enum tc_status st;
    size_t n = 0;

    if ((st = tc_forms_list(conn, NULL, arena, &rows, &n, err)) != TC_OK)
        return st;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].form_id, form_id) != 0)
            continue;
        if ((st = tc_forms_get_by_id(conn, rows[i].id, arena, &row, err)) != TC_OK)
            return st;
        *title_out = row.title;
        *is_confidential = row.is_confidential;
        if (row.is_confidential)
            return TC_OK; /* its submissions are cases: the caller refuses */
        return tc_web_xform_columns(row.xml, row.xml_len, max, TC_WEB_COLUMNS_ANSWERS, arena, cols,
                                    n_cols, err);
    }
    return tc_fail(err, TC_ENOTFOUND, "form \"%s\" does not exist", form_id);
}

static void
list_table(struct tc_page *p, const struct tc_principal *who, const struct tc_submission_row *rows,
           size_t n, const struct tc_web_column *cols, size_t n_cols)
{
    const char *headings[4 + LIST_COLUMNS + 1];
    size_t k = 0, shown = 0;

    headings[k++] = "#";
    headings[k++] = tc_tr(p->lang, "Received");
    headings[k++] = tc_tr(p->lang, "Review state");
    headings[k++] = tc_tr(p->lang, "Commune");
    for (size_t i = 0; i < n_cols; i++)
        headings[k++] = cols[i].label;
    headings[k++] = tc_tr(p->lang, "Findings");
    tc_table_begin(p, tc_tr(p->lang, "Submissions, newest first"), headings, k);
    for (size_t i = 0; i < n && i < PER_PAGE; i++) {
        if (!allows(who, TC_ACT_SUBMISSION_READ, &rows[i]))
            continue;
        submission_row(p, &rows[i], cols, n_cols);
        shown++;
    }
    tc_table_end(p);
    if (shown == 0)
        tc_page_message(p, tc_tr(p->lang, "No submission matches."), false);
}

/* Links to the whole table as CSV and XLSX (the export API: scoped, audited, personal values
 * only for roles that may read them). */
static void
export_links(struct tc_page *p, const struct tc_principal *who, const char *form_id)
{
    static const char *const formats[] = {"csv", "xlsx"};
    static const char *const labels[] = {"CSV", "XLSX"};

    if (tc_policy_scope(who->role, TC_ACT_SUBMISSION_EXPORT) == TC_SCOPE_DENIED)
        return;
    tc_html_raw(p->out, "<p class=\"exports\">");
    tc_html_text(p->out, tc_tr(p->lang, "Download every submission:"));
    for (size_t i = 0; i < 2; i++) {
        struct tc_strbuf url = TC_STRBUF_INIT(URL_MAX);

        tc_strbuf_appends(&url, "/api/v1/exports/submissions?form=");
        tc_html_url_segment(&url, form_id);
        tc_strbuf_appendf(&url, "&format=%s", formats[i]);
        tc_html_raw(p->out, " <a download");
        tc_html_url_attr(p->out, "href", tc_strbuf_failed(&url) ? "#" : tc_strbuf_str(&url));
        tc_html_raw(p->out, ">");
        tc_html_text(p->out, labels[i]);
        tc_html_raw(p->out, "</a>");
        tc_strbuf_cleanup(&url);
    }
    tc_html_raw(p->out, "</p>");
}

static void
list_pager(struct tc_page *p, const struct list_query *q, const struct tc_submission_row *rows,
           size_t n)
{
    if (q->before == 0 && n <= PER_PAGE)
        return;
    tc_html_raw(p->out, "<nav class=\"pager\"");
    tc_html_attr(p->out, "aria-label", tc_tr(p->lang, "Pages"));
    tc_html_raw(p->out, ">");
    if (q->before > 0) {
        tc_html_raw(p->out, "<a rel=\"first\"");
        tc_html_url_attr(p->out, "href", list_url(p->req, q, 0));
        tc_html_raw(p->out, ">");
        tc_html_text(p->out, tc_tr(p->lang, "Newest"));
        tc_html_raw(p->out, "</a>");
    }
    if (n > PER_PAGE) {
        tc_html_raw(p->out, "<a rel=\"next\"");
        tc_html_url_attr(p->out, "href", list_url(p->req, q, rows[PER_PAGE - 1].id));
        tc_html_raw(p->out, ">");
        tc_html_text(p->out, tc_tr(p->lang, "Older"));
        tc_html_raw(p->out, "</a>");
    }
    tc_html_raw(p->out, "</nav>");
}

enum tc_status
tc_page_submissions(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct list_query q = {.form_id = tc_req_param(req, "form_id"),
                           .state = query_value(req, "state"),
                           .commune = query_value(req, "commune"),
                           .from = query_value(req, "from"),
                           .to = query_value(req, "to")};
    const char *before = query_value(req, "before"), *title = NULL;
    struct tc_submission_row *rows = NULL;
    struct tc_web_column *cols = NULL;
    struct tc_submission_filter f;
    struct tc_principal who;
    struct tc_db_conn *conn;
    struct tc_page p;
    char message[sizeof(err->msg)] = "";
    size_t n = 0, n_cols = 0;
    bool is_confidential = false;
    enum tc_status st;

    q.before = before != NULL ? strtoll(before, NULL, 10) : 0;
    if ((st = tc_web_user(req, &who, err)) != TC_OK)
        return st;
    if ((st = query_filter(req, &q, &f, err)) == TC_OK)
        st = scope_filter(req, &who, &f, err);
    if (st != TC_OK && st != TC_EINVAL)
        return st;
    if (st == TC_EINVAL) {
        (void)snprintf(message, sizeof(message), "%s", err->msg);
        tc_error_clear(err);
        tc_resp_status(resp, 422);
    }
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = form_columns(conn, q.form_id, LIST_COLUMNS, tc_req_arena(req), &title,
                           &is_confidential, &cols, &n_cols, err)) != TC_OK)
        return st;
    if (is_confidential)
        return refuse_case(req, &who, err);
    if (message[0] == '\0' &&
        (st = tc_review_list(conn, &f, tc_req_arena(req), &rows, &n, err)) != TC_OK)
        return st;
    if ((st = tc_page_init(&p, req, resp, &who, err)) != TC_OK)
        return st;
    tc_page_begin(&p, title);
    if (message[0] != '\0')
        tc_page_message(&p, message, true);
    filter_form(&p, &q,
                tc_policy_scope(who.role, TC_ACT_SUBMISSION_READ) == TC_SCOPE_COMMUNE &&
                    who.commune_code != NULL && who.commune_code[0] != '\0');
    list_table(&p, &who, rows, n, cols, n_cols);
    list_pager(&p, &q, rows, n);
    export_links(&p, &who, q.form_id);
    tc_page_end(&p);
    return tc_page_finish(&p, err);
}

/* ---- one submission ---- */

/* The submission of the `:id` capture, if `who` may do `action` to it (a refusal is audited). */
static enum tc_status
submission_of(struct tc_request *req, const struct tc_principal *who, enum tc_action action,
              struct tc_db_conn *conn, struct tc_submission_row *row, struct tc_form_row *form,
              struct tc_error *err)
{
    const char *s = tc_req_param(req, "id");
    struct tc_policy_object what;
    char *end = NULL;
    long long id = s != NULL ? strtoll(s, &end, 10) : 0;
    enum tc_status st;

    if (s == NULL || end == s || *end != '\0' || id <= 0)
        return tc_fail(err, TC_ENOTFOUND, "no submission \"%s\"", s != NULL ? s : "");
    if ((st = tc_review_get_by_id(conn, id, tc_req_arena(req), row, err)) != TC_OK)
        return st;
    what = object_of(row);
    if ((st = tc_auth_check(req, who, action, &what, err)) != TC_OK ||
        (st = tc_forms_get_by_id(conn, row->form, tc_req_arena(req), form, err)) != TC_OK)
        return st;
    return form->is_confidential ? refuse_case(req, who, err) : TC_OK;
}

/* Personal values of a submission, opened when the reader may see them. */
struct personal {
    const struct tc_plain_value *values;
    size_t n;
    bool opened;
};

static const char *
personal_value(const struct personal *pv, const char *path, struct tc_arena *arena)
{
    for (size_t i = 0; pv->opened && i < pv->n; i++)
        if (strcmp(pv->values[i].field, path) == 0)
            return tc_arena_strndup(arena, pv->values[i].value, pv->values[i].len);
    return NULL;
}

/*
 * Open the personal values of `r` when its form has some, the server holds the key and the
 * policy lets `who` read them (submission.read_personal); each opening is audited.
 */
static void
open_personal(struct tc_request *req, const struct tc_principal *who, struct tc_db_conn *conn,
              const struct tc_form_row *form, const struct tc_submission_row *r,
              struct personal *pv)
{
    struct tc_keyring *ring = tc_server_keyring(tc_req_server(req));
    struct tc_plain_value *values = NULL;
    struct tc_error ignored = TC_ERROR_INIT(TC_LANG_EN);
    unsigned char *xml = NULL;
    size_t xml_len = 0;
    char detail[DETAIL_MAX];

    memset(pv, 0, sizeof(*pv));
    if (!form->has_protected || form->is_confidential || !r->is_sealed || ring == NULL ||
        !allows(who, TC_ACT_SUBMISSION_READ_PERSONAL, r))
        return;
    if (tc_personal_open(conn, ring, r->id, tc_req_arena(req), &xml, &xml_len, &values, &pv->n,
                         &ignored) != TC_OK)
        return;
    pv->values = values;
    pv->opened = true;
    (void)snprintf(detail, sizeof(detail), "{\"submission\": %lld, \"fields\": %zu}", r->id, pv->n);
    tc_auth_audit(req, who, "submission.read_personal", "ok", detail);
}

static void
fact(struct tc_page *p, const char *label, const char *value, const char *id)
{
    tc_html_raw(p->out, "<dt>");
    tc_html_text(p->out, label);
    tc_html_raw(p->out, "</dt><dd");
    tc_html_attr(p->out, "id", id);
    tc_html_raw(p->out, ">");
    tc_html_text(p->out, value != NULL && value[0] != '\0' ? value : "–");
    tc_html_raw(p->out, "</dd>");
}

static void
facts(struct tc_page *p, const struct tc_submission_row *r)
{
    char at[TC_FMT_DATETIME_SIZE];

    tc_html_raw(p->out, "<dl class=\"facts\">");
    fact(p, tc_tr(p->lang, "Form ID"), r->form_id, NULL);
    fact(p, tc_tr(p->lang, "Version"), r->form_version, NULL);
    fact(p, tc_tr(p->lang, "Instance ID"), r->instance_id, NULL);
    fact(p, tc_tr(p->lang, "Received"),
         tc_fmt_datetime(r->received_at, at) == 0 ? at : r->received_at, NULL);
    fact(p, tc_tr(p->lang, "Review state"), state_label(p->lang, r->review_state), "review-state");
    fact(p, tc_tr(p->lang, "Commune"), r->commune_code, NULL);
    fact(p, tc_tr(p->lang, "Village"), r->village, NULL);
    fact(p, tc_tr(p->lang, "Device"), r->device_id, NULL);
    fact(p, tc_tr(p->lang, "Complete"),
         r->is_complete ? tc_tr(p->lang, "yes") : tc_tr(p->lang, "no, files are missing"), NULL);
    tc_html_raw(p->out, "</dl>");
}

static void
values_table(struct tc_page *p, const struct tc_submission_row *r, const struct tc_web_column *cols,
             size_t n_cols, const struct personal *pv)
{
    const char *headings[] = {tc_tr(p->lang, "Question"), tc_tr(p->lang, "Answer")};
    const json_t *values = values_of(p->req, r);

    if (pv->opened)
        tc_page_message(p,
                        tc_tr(p->lang, "Personal values are shown decrypted; this reading is "
                                       "recorded in the audit log."),
                        false);
    tc_table_begin(p, tc_tr(p->lang, "Answers"), headings, 2);
    for (size_t i = 0; i < n_cols; i++) {
        const char *v =
            cols[i].is_protected
                ? personal_value(pv, cols[i].path, tc_req_arena(p->req))
                : tc_web_column_display(&cols[i],
                                        tc_web_value_at(values, cols[i].path, tc_req_arena(p->req)),
                                        tc_req_arena(p->req));

        tc_table_row_begin(p);
        tc_html_raw(p->out, "<th scope=\"row\">");
        tc_html_text(p->out, cols[i].label);
        tc_html_raw(p->out, "</th>");
        if (cols[i].is_protected && v == NULL) {
            tc_html_raw(p->out, "<td class=\"protected\">" PROTECTED "</td>");
        } else {
            tc_table_cell(p, v);
        }
        tc_table_row_end(p);
    }
    tc_table_end(p);
}

static enum tc_status
findings_table(struct tc_page *p, struct tc_db_conn *conn, const struct tc_submission_row *r,
               struct tc_error *err)
{
    const char *headings[] = {tc_tr(p->lang, "Field"), tc_tr(p->lang, "Rule"),
                              tc_tr(p->lang, "Message")};
    struct tc_submission_finding *f = NULL;
    size_t n = 0;
    enum tc_status st = tc_review_findings(conn, r->id, tc_req_arena(p->req), &f, &n, err);

    if (st != TC_OK || n == 0)
        return st;
    tc_table_begin(p, tc_tr(p->lang, "Findings: rules of the form this submission breaks"),
                   headings, 3);
    for (size_t i = 0; i < n; i++) {
        tc_table_row_begin(p);
        tc_table_cell(p, f[i].field);
        tc_table_cell(p, f[i].rule);
        tc_table_cell(p, f[i].message);
        tc_table_row_end(p);
    }
    tc_table_end(p);
    return TC_OK;
}

static enum tc_status
files_table(struct tc_page *p, struct tc_db_conn *conn, const struct tc_submission_row *r,
            struct tc_error *err)
{
    const char *headings[] = {tc_tr(p->lang, "File"), tc_tr(p->lang, "Type"),
                              tc_tr(p->lang, "Size (bytes)")};
    struct tc_submission_file *f = NULL;
    size_t n = 0;
    enum tc_status st = tc_review_files(conn, r->id, tc_req_arena(p->req), &f, &n, err);

    if (st != TC_OK || n == 0)
        return st;
    tc_table_begin(p, tc_tr(p->lang, "Attachments"), headings, 3);
    for (size_t i = 0; i < n; i++) {
        struct tc_strbuf url = TC_STRBUF_INIT(URL_MAX);

        tc_table_row_begin(p);
        if (f[i].is_received) {
            tc_strbuf_appendf(&url, "/submissions/%lld/files/", r->id);
            tc_html_url_segment(&url, f[i].name);
            tc_html_raw(p->out, "<td><a download");
            tc_html_url_attr(p->out, "href", tc_strbuf_failed(&url) ? "#" : tc_strbuf_str(&url));
            tc_html_raw(p->out, ">");
            tc_html_text(p->out, f[i].name);
            tc_html_raw(p->out, "</a></td>");
            tc_table_cell(p, f[i].content_type);
            tc_html_raw(p->out, "<td class=\"num\">");
            tc_html_textf(p->out, "%zu", f[i].size);
            tc_html_raw(p->out, "</td>");
        } else {
            tc_table_cell(p, f[i].name);
            tc_table_cell(p, tc_tr(p->lang, "not received yet"));
            tc_table_cell(p, NULL);
        }
        tc_table_row_end(p);
        tc_strbuf_cleanup(&url);
    }
    tc_table_end(p);
    return TC_OK;
}

static void
version_item(struct tc_page *p, const struct tc_submission_row *v, bool current)
{
    char at[TC_FMT_DATETIME_SIZE];

    tc_html_raw(p->out, "<li>");
    if (!current) {
        tc_html_raw(p->out, "<a");
        tc_html_url_attr(p->out, "href",
                         tc_arena_printf(tc_req_arena(p->req), "/submissions/%lld", v->id));
        tc_html_raw(p->out, ">");
    } else {
        tc_html_raw(p->out, "<strong aria-current=\"true\">");
    }
    tc_html_textf(p->out, "#%lld ", v->id);
    tc_html_text(p->out, v->instance_id);
    tc_html_raw(p->out, current ? "</strong>" : "</a>");
    tc_html_raw(p->out, " · ");
    tc_html_text(p->out, tc_fmt_datetime(v->received_at, at) == 0 ? at : v->received_at);
    tc_html_raw(p->out, "</li>");
}

/* The chain of edits (deprecatedID), oldest first, when there is more than this version. */
static enum tc_status
edit_history(struct tc_page *p, struct tc_db_conn *conn, const struct tc_submission_row *r,
             struct tc_error *err)
{
    struct tc_arena *arena = tc_req_arena(p->req);
    struct tc_submission_row chain[2 * HISTORY_MAX + 1];
    size_t first = HISTORY_MAX, last = HISTORY_MAX;
    enum tc_status st;

    chain[HISTORY_MAX] = *r;
    while (first > 0 && chain[first].deprecated_id != NULL) {
        st = tc_review_get(conn, chain[first].form_id, chain[first].deprecated_id, arena,
                           &chain[first - 1], err);
        if (st == TC_ENOTFOUND)
            break;
        if (st != TC_OK)
            return st;
        first--;
    }
    while (last < 2 * HISTORY_MAX && chain[last].superseded_by > 0) {
        if ((st = tc_review_get_by_id(conn, chain[last].superseded_by, arena, &chain[last + 1],
                                      err)) != TC_OK)
            return st;
        last++;
    }
    tc_error_clear(err);
    if (first == last)
        return TC_OK;
    tc_html_raw(p->out, "<h2>");
    tc_html_text(p->out, tc_tr(p->lang, "Edits"));
    tc_html_raw(p->out, "</h2><ol class=\"versions\">");
    for (size_t i = first; i <= last; i++)
        version_item(p, &chain[i], i == HISTORY_MAX);
    tc_html_raw(p->out, "</ol>");
    if (r->superseded_by > 0)
        tc_page_message(p, tc_tr(p->lang, "This version has been replaced by an edit."), true);
    return TC_OK;
}

static const char *
actor_login(struct tc_db_conn *conn, struct tc_arena *arena, long long id)
{
    struct tc_error ignored = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_user u;

    if (id <= 0 || tc_user_get_by_id(conn, id, arena, &u, NULL, &ignored) != TC_OK)
        return NULL;
    return u.login;
}

static enum tc_status
review_history(struct tc_page *p, struct tc_db_conn *conn, const struct tc_submission_row *r,
               struct tc_error *err)
{
    const char *headings[] = {tc_tr(p->lang, "Time"), tc_tr(p->lang, "Who"), tc_tr(p->lang, "From"),
                              tc_tr(p->lang, "To"), tc_tr(p->lang, "Comment")};
    struct tc_review_entry *h = NULL;
    size_t n = 0;
    enum tc_status st = tc_review_history(conn, r->id, tc_req_arena(p->req), &h, &n, err);

    if (st != TC_OK || n == 0)
        return st;
    tc_html_raw(p->out, "<div id=\"review-history\">");
    tc_table_begin(p, tc_tr(p->lang, "Review history"), headings, 5);
    for (size_t i = 0; i < n; i++) {
        char at[TC_FMT_DATETIME_SIZE];

        tc_table_row_begin(p);
        tc_table_cell(p, tc_fmt_datetime(h[i].at, at) == 0 ? at : h[i].at);
        tc_table_cell(p, actor_login(conn, tc_req_arena(p->req), h[i].actor_id));
        tc_table_cell(p, state_label(p->lang, h[i].from_state));
        tc_table_cell(p, state_label(p->lang, h[i].to_state));
        tc_table_cell(p, h[i].comment);
        tc_table_row_end(p);
    }
    tc_table_end(p);
    tc_html_raw(p->out, "</div>");
    return TC_OK;
}

static void
review_form(struct tc_page *p, const struct tc_submission_row *r)
{
    struct tc_option states[6];
    const char *action = tc_arena_printf(tc_req_arena(p->req), "/submissions/%lld/review", r->id);

    states[0] = (struct tc_option){"", tc_tr(p->lang, "keep the state (comment only)")};
    for (size_t i = 0; i < 5; i++)
        states[i + 1] =
            (struct tc_option){review_states[i], state_label(p->lang, review_states[i])};
    tc_html_raw(p->out, "<h2 id=\"review\">");
    tc_html_text(p->out, tc_tr(p->lang, "Review"));
    tc_html_raw(p->out, "</h2>");
    tc_form_begin(p, action != NULL ? action : "/submissions", NULL);
    tc_form_select(p, "state", tc_tr(p->lang, "New review state"), states, 6, "");
    tc_html_raw(p->out, "<div class=\"field\"><label for=\"f-comment\">");
    tc_html_text(p->out, tc_tr(p->lang, "Comment"));
    tc_html_raw(p->out, "</label><textarea name=\"comment\" id=\"f-comment\" rows=\"3\" "
                        "maxlength=\"10000\"></textarea></div>");
    tc_form_submit(p, tc_tr(p->lang, "Save the review"));
    tc_form_end(p);
}

static enum tc_status
render_submission(struct tc_request *req, struct tc_response *resp, const struct tc_principal *who,
                  const char *message, struct tc_error *err)
{
    struct tc_web_column *cols = NULL;
    struct tc_submission_row row = {0};
    struct tc_db_conn *conn;
    struct tc_form_row form = {0};
    struct personal pv;
    struct tc_strbuf back;
    struct tc_page p;
    size_t n_cols = 0;
    enum tc_status st;

    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = submission_of(req, who, TC_ACT_SUBMISSION_READ, conn, &row, &form, err)) != TC_OK ||
        (st = tc_web_xform_columns(form.xml, form.xml_len, (size_t)-1, TC_WEB_COLUMNS_REPEATS,
                                   tc_req_arena(req), &cols, &n_cols, err)) != TC_OK)
        return st;
    open_personal(req, who, conn, &form, &row, &pv);
    if ((st = tc_page_init(&p, req, resp, who, err)) != TC_OK)
        return st;
    tc_page_begin(&p, tc_arena_printf(tc_req_arena(req), "%s #%lld", form.title, row.id));
    if (message != NULL)
        tc_page_message(&p, message, true);
    facts(&p, &row);
    values_table(&p, &row, cols, n_cols, &pv);
    if ((st = findings_table(&p, conn, &row, err)) != TC_OK ||
        (st = files_table(&p, conn, &row, err)) != TC_OK ||
        (st = edit_history(&p, conn, &row, err)) != TC_OK ||
        (st = review_history(&p, conn, &row, err)) != TC_OK)
        return st;
    if (row.superseded_by == 0 && allows(who, TC_ACT_SUBMISSION_REVIEW, &row))
        review_form(&p, &row);
    back = (struct tc_strbuf)TC_STRBUF_INIT(URL_MAX);
    tc_strbuf_appends(&back, "/forms/");
    tc_html_url_segment(&back, row.form_id);
    tc_strbuf_appends(&back, "/submissions");
    tc_html_raw(p.out, "<p><a");
    tc_html_url_attr(p.out, "href",
                     tc_strbuf_failed(&back) ? "/submissions" : tc_strbuf_str(&back));
    tc_strbuf_cleanup(&back);
    tc_html_raw(p.out, ">");
    tc_html_text(p.out, tc_tr(p.lang, "Back to the submissions"));
    tc_html_raw(p.out, "</a></p>");
    tc_page_end(&p);
    return tc_page_finish(&p, err);
}

enum tc_status
tc_page_submission(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK)
        return st;
    return render_submission(req, resp, &who, NULL, err);
}

enum tc_status
tc_page_submission_file(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_submission_row row = {0};
    struct tc_submission_file file = {0};
    struct tc_form_row form = {0};
    struct tc_principal who;
    struct tc_db_conn *conn;
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = submission_of(req, &who, TC_ACT_SUBMISSION_READ, conn, &row, &form, err)) != TC_OK ||
        (st = tc_review_file(conn, row.id, tc_req_param(req, "name"), tc_req_arena(req), &file,
                             err)) != TC_OK)
        return st;
    tc_strbuf_append(tc_resp_body(resp), file.bytes, file.size);
    /* Always a download, never rendered here: a file from a phone is not a page of ours. */
    tc_resp_content_type(resp, "application/octet-stream");
    return tc_resp_header(resp, "Content-Disposition", "attachment", err);
}

enum tc_status
tc_page_submission_review(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_submission_row row = {0};
    struct tc_form_row version = {0};
    struct tc_form_data form;
    struct tc_principal who;
    struct tc_db_conn *conn;
    const char *state, *comment;
    char message[sizeof(err->msg)];
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = tc_web_form(req, &who, &form, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = submission_of(req, &who, TC_ACT_SUBMISSION_REVIEW, conn, &row, &version, err)) !=
        TC_OK)
        return st;
    state = tc_form_get(&form, "state");
    comment = tc_form_get(&form, "comment");
    if (state != NULL && state[0] == '\0')
        state = NULL;
    if (comment != NULL && comment[0] == '\0')
        comment = NULL;
    if (comment != NULL && strlen(comment) > COMMENT_MAX)
        st = tc_fail(err, TC_EINVAL, "the comment is longer than %d characters", COMMENT_MAX);
    else if (state == NULL && comment == NULL)
        st = tc_fail(err, TC_EINVAL, "choose a new state or write a comment");
    else
        st = tc_review_set_state(conn, row.id, who.id, state, comment, err);
    if (st == TC_OK)
        return tc_web_redirect(req, resp,
                               tc_arena_printf(tc_req_arena(req), "/submissions/%lld", row.id),
                               TC_FLASH_REVIEW_SAVED, err);
    if (st != TC_EINVAL && st != TC_ECONFLICT)
        return st;
    (void)snprintf(message, sizeof(message), "%s", err->msg);
    tc_error_clear(err);
    tc_resp_status(resp, tc_status_http(st));
    return render_submission(req, resp, &who, message, err);
}
