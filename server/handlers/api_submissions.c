#include "handlers/api_submissions.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth.h"
#include "http.h"
#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/review.h"
#include "tincay/strbuf.h"

#define COMMENT_MAX_LEN 10000

static enum tc_status
account(struct tc_request *req, struct tc_principal *who, struct tc_error *err)
{
    enum tc_status st = tc_auth_require(req, who, err);

    if (st == TC_OK && who->kind != TC_PRINCIPAL_USER)
        return tc_fail(err, TC_EFORBIDDEN, "permission denied");
    return st;
}

static enum tc_status
reply(struct tc_response *resp, json_t *body, struct tc_error *err)
{
    enum tc_status st =
        body != NULL ? tc_resp_json(resp, body, err) : tc_fail(err, TC_ENOMEM, "out of memory");

    json_decref(body);
    return st;
}

/* The policy object of a stored submission. */
static struct tc_policy_object
object_of(const struct tc_submission_row *r)
{
    return (struct tc_policy_object){.owner_id = r->submitter_id,
                                     .commune = r->commune_code,
                                     .province = r->province_code,
                                     .form_id = r->form};
}

/*
 * Narrow `f` to what `who` may read (the scope of submission.read in the policy table):
 * their own submissions, or their commune's. Anything else is refused (and audited).
 */
static enum tc_status
scope_filter(struct tc_request *req, const struct tc_principal *who, struct tc_submission_filter *f,
             struct tc_error *err)
{
    switch (tc_policy_scope(who->role, TC_ACT_SUBMISSION_READ)) {
    case TC_SCOPE_ALL: return TC_OK;
    case TC_SCOPE_OWN: return TC_OK; /* rows are checked one by one below */
    case TC_SCOPE_COMMUNE:
        if ((who->commune_code == NULL || who->commune_code[0] == '\0') &&
            who->province_code != NULL && who->province_code[0] != '\0') {
            f->province_code = who->province_code; /* an actor of a province: all its communes */
            return TC_OK;
        }
        if (who->commune_code == NULL || who->commune_code[0] == '\0')
            break;
        f->commune_era = who->commune_era;
        f->commune_code = who->commune_code;
        return TC_OK;
    default: break;
    }
    if (tc_auth_check(req, who, TC_ACT_SUBMISSION_READ, NULL, err) != TC_OK)
        return err->status;
    return tc_fail(err, TC_EFORBIDDEN, "permission denied");
}

static size_t
query_size(struct tc_request *req, const char *name)
{
    const char *v = tc_req_query(req, name);
    char *end;
    unsigned long long n;

    if (v == NULL)
        return 0;
    n = strtoull(v, &end, 10);
    return *end == '\0' ? (size_t)n : 0;
}

static json_t *
row_json(const struct tc_submission_row *r)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:o?, "
                     "s:o?, s:o?, s:b, s:I, s:I, s:I}",
                     "id", (json_int_t)r->id, "formId", r->form_id, "formVersion", r->form_version,
                     "instanceId", r->instance_id, "deprecatedId", r->deprecated_id, "reviewState",
                     r->review_state, "receivedAt", r->received_at, "updatedAt", r->updated_at,
                     "communeEra", r->commune_era, "communeCode", r->commune_code, "village",
                     r->village, "deviceId", r->device_id, "submitterId",
                     r->submitter_id > 0 ? json_integer(r->submitter_id) : NULL, "appUserId",
                     r->app_user_id > 0 ? json_integer(r->app_user_id) : NULL, "supersededBy",
                     r->superseded_by > 0 ? json_integer(r->superseded_by) : NULL, "complete",
                     r->is_complete, "findingCount", (json_int_t)r->n_findings, "fileCount",
                     (json_int_t)r->n_files, "missingFileCount", (json_int_t)r->n_missing);
}

/* "ERA:CODE" or a bare code (the communes since 1 July 2025). */
static void
commune_filter(struct tc_request *req, const char *value, struct tc_submission_filter *f)
{
    const char *colon = value != NULL ? strchr(value, ':') : NULL;

    if (value == NULL)
        return;
    f->commune_era = colon != NULL
                         ? tc_arena_strndup(tc_req_arena(req), value, (size_t)(colon - value))
                         : "post2025";
    f->commune_code = colon != NULL ? colon + 1 : value;
}

enum tc_status
tc_api_submissions_list(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    struct tc_submission_filter f = {
        .form_id = tc_req_query(req, "form"),
        .review_state = tc_req_query(req, "state"),
        .since = tc_req_query(req, "from"),
        .until = tc_req_query(req, "to"),
        .limit = query_size(req, "limit"),
        .before_id = (long long)query_size(req, "before"),
    };
    struct tc_submission_row *rows = NULL;
    struct tc_db_conn *conn;
    struct tc_policy_subject subject;
    size_t n = 0;
    json_t *list;
    enum tc_status st;

    commune_filter(req, tc_req_query(req, "commune"), &f);
    if ((st = account(req, &who, err)) != TC_OK || (st = scope_filter(req, &who, &f, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = tc_review_list(conn, &f, tc_req_arena(req), &rows, &n, err)) != TC_OK)
        return st;
    if ((list = json_array()) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    tc_auth_subject(&who, &subject);
    for (size_t i = 0; i < n; i++) {
        struct tc_policy_object what = object_of(&rows[i]);

        if (!tc_policy_allows(who.role, TC_ACT_SUBMISSION_READ, &subject, &what))
            continue;
        if (json_array_append_new(list, row_json(&rows[i])) != 0) {
            json_decref(list);
            return tc_fail(err, TC_ENOMEM, "out of memory");
        }
    }
    return reply(resp,
                 json_pack("{s:o, s:o?}", "submissions", list, "next",
                           n > 0 ? json_integer(rows[n - 1].id) : NULL),
                 err);
}

/* The submission of the :form and :instance captures, if `who` may do `action` to it. */
static enum tc_status
readable(struct tc_request *req, const struct tc_principal *who, enum tc_action action,
         struct tc_db_conn *conn, struct tc_submission_row *row, struct tc_error *err)
{
    struct tc_policy_object what;
    enum tc_status st = tc_review_get(conn, tc_req_param(req, "form"),
                                      tc_req_param(req, "instance"), tc_req_arena(req), row, err);

    if (st != TC_OK)
        return st;
    what = object_of(row);
    return tc_auth_check(req, who, action, &what, err);
}

static json_t *
findings_json(const struct tc_submission_finding *f, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && i < n; i++)
        json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "field", f[i].field, "rule",
                                           f[i].rule, "message", f[i].message));
    return a;
}

static json_t *
files_json(const struct tc_submission_file *f, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && i < n; i++)
        json_array_append_new(
            a, json_pack("{s:s, s:b, s:s?, s:o?, s:s?}", "name", f[i].name, "received",
                         f[i].is_received, "contentType", f[i].content_type, "size",
                         f[i].is_received ? json_integer((json_int_t)f[i].size) : NULL, "sha256",
                         f[i].sha256));
    return a;
}

enum tc_status
tc_api_submissions_get(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    struct tc_submission_row row;
    struct tc_submission_finding *findings = NULL;
    struct tc_submission_file *files = NULL;
    struct tc_db_conn *conn;
    size_t n_findings = 0, n_files = 0;
    json_t *body;
    enum tc_status st;

    if ((st = account(req, &who, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = readable(req, &who, TC_ACT_SUBMISSION_READ, conn, &row, err)) != TC_OK ||
        (st = tc_review_findings(conn, row.id, tc_req_arena(req), &findings, &n_findings, err)) !=
            TC_OK ||
        (st = tc_review_files(conn, row.id, tc_req_arena(req), &files, &n_files, err)) != TC_OK)
        return st;
    if ((body = row_json(&row)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    json_object_set_new(body, "values",
                        row.values_json != NULL ? json_loads(row.values_json, 0, NULL) : NULL);
    json_object_set_new(body, "findings", findings_json(findings, n_findings));
    json_object_set_new(body, "attachments", files_json(files, n_files));
    return reply(resp, body, err);
}

enum tc_status
tc_api_submissions_attachment(struct tc_request *req, struct tc_response *resp,
                              struct tc_error *err)
{
    struct tc_principal who;
    struct tc_submission_row row;
    struct tc_submission_file file;
    struct tc_db_conn *conn;
    enum tc_status st;

    if ((st = account(req, &who, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = readable(req, &who, TC_ACT_SUBMISSION_READ, conn, &row, err)) != TC_OK ||
        (st = tc_review_file(conn, row.id, tc_req_param(req, "name"), tc_req_arena(req), &file,
                             err)) != TC_OK)
        return st;
    tc_strbuf_append(tc_resp_body(resp), file.bytes, file.size);
    tc_resp_content_type(resp, file.content_type != NULL ? file.content_type
                                                         : "application/octet-stream");
    return tc_resp_header(resp, "Content-Disposition", "attachment", err);
}

/* {"reviewState": "...", "comment": "..."}: both optional, not both absent. */
static enum tc_status
parse_review(const char *text, size_t len, json_t **body, const char **state, const char **comment,
             struct tc_error *err)
{
    json_t *s, *c;

    *body = json_loadb(text, len, 0, NULL);
    if (!json_is_object(*body))
        return tc_fail(err, TC_EINVAL, "the body must be a JSON object with \"%s\"", "reviewState");
    s = json_object_get(*body, "reviewState");
    c = json_object_get(*body, "comment");
    if ((s != NULL && !json_is_string(s)) || (s == NULL && c == NULL))
        return tc_fail(err, TC_EINVAL, "invalid value of \"%s\"", "reviewState");
    if (c != NULL && !json_is_string(c))
        return tc_fail(err, TC_EINVAL, "invalid value of \"%s\"", "comment");
    *state = json_string_value(s);
    *comment = json_string_value(c);
    if (*comment != NULL && strlen(*comment) > COMMENT_MAX_LEN)
        return tc_fail(err, TC_EINVAL, "the comment is longer than %d characters", COMMENT_MAX_LEN);
    return TC_OK;
}

enum tc_status
tc_api_submissions_review(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    struct tc_submission_row row;
    struct tc_db_conn *conn;
    size_t len = 0;
    const char *text = tc_req_body(req, &len);
    json_t *body = NULL;
    const char *state = NULL, *comment = NULL;
    enum tc_status st;

    if ((st = account(req, &who, err)) != TC_OK ||
        (st = tc_auth_csrf(req, &who, NULL, err)) != TC_OK)
        return st;
    if ((st = parse_review(text, len, &body, &state, &comment, err)) != TC_OK)
        goto out;
    if ((conn = tc_req_db(req, err)) == NULL) {
        st = err->status;
        goto out;
    }
    if ((st = readable(req, &who, TC_ACT_SUBMISSION_REVIEW, conn, &row, err)) != TC_OK ||
        (st = tc_review_set_state(conn, row.id, who.id, state, comment, err)) != TC_OK ||
        (st = tc_review_get(conn, row.form_id, row.instance_id, tc_req_arena(req), &row, err)) !=
            TC_OK)
        goto out;
    st = reply(resp, row_json(&row), err);
out:
    json_decref(body);
    return st;
}
