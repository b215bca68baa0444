#include "handlers/api_submissions.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth.h"
#include "http.h"
#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/strbuf.h"
#include "tincay/submissions.h"

#define DB_WAIT_MS      5000u
#define COMMENT_MAX_LEN 10000

static enum tc_status
account(struct tc_request *req, struct tc_principal *who, struct tc_error *err)
{
    enum tc_status st = tc_auth_require(req, who, err);

    if (st == TC_OK && who->kind != TC_PRINCIPAL_USER)
        return tc_fail(err, TC_EFORBIDDEN, "permission denied");
    return st;
}

static struct tc_db_conn *
acquire(struct tc_request *req, struct tc_error *err)
{
    struct tc_db_pool *pool = tc_server_pool(tc_req_server(req));

    if (pool == NULL) {
        tc_fail(err, TC_ERETRY, "database unavailable");
        return NULL;
    }
    return tc_db_acquire_for(pool, tc_req_arena(req), DB_WAIT_MS, err);
}

static enum tc_status
reply(struct tc_response *resp, json_t *body, struct tc_error *err)
{
    enum tc_status st =
        body != NULL ? tc_resp_json(resp, body, err) : tc_fail(err, TC_ENOMEM, "out of memory");

    json_decref(body);
    return st;
}

/* Narrow `f` to what `who` may read (the scope of submission.read in the policy table). */
static enum tc_status
scope_filter(struct tc_request *req, const struct tc_principal *who, struct tc_submission_filter *f,
             struct tc_error *err)
{
    bool has_commune = who->commune_code != NULL && who->commune_code[0] != '\0';

    switch (tc_policy_scope(who->role, TC_ACT_SUBMISSION_READ)) {
    case TC_SCOPE_ALL: return TC_OK;
    case TC_SCOPE_OWN: f->submitter_id = who->id; return TC_OK;
    case TC_SCOPE_COMMUNE:
        if (has_commune)
            f->commune_code = who->commune_code;
        else if (who->province_code != NULL)
            f->province_code = who->province_code;
        else
            break;
        return TC_OK;
    case TC_SCOPE_PROVINCE:
        if (who->province_code == NULL)
            break;
        f->province_code = who->province_code;
        return TC_OK;
    default: break;
    }
    return tc_auth_check(req, who, TC_ACT_SUBMISSION_READ, NULL, err) == TC_OK
               ? tc_fail(err, TC_EFORBIDDEN, "permission denied")
               : err->status;
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
                     "s:o?, s:o?, s:b, s:I}",
                     "id", (json_int_t)r->id, "formId", r->form_id, "formVersion", r->form_version,
                     "instanceId", r->instance_id, "deprecatedId", r->deprecated_id, "reviewState",
                     r->review_state, "receivedAt", r->received_at, "updatedAt", r->updated_at,
                     "communeEra", r->commune_era, "communeCode", r->commune_code, "village",
                     r->village, "deviceId", r->device_id, "submitterId",
                     r->submitter_id > 0 ? json_integer(r->submitter_id) : NULL, "appUserId",
                     r->app_user_id > 0 ? json_integer(r->app_user_id) : NULL, "supersededBy",
                     r->superseded_by > 0 ? json_integer(r->superseded_by) : NULL, "complete",
                     r->is_complete, "findingCount", (json_int_t)r->n_findings);
}

enum tc_status
tc_api_submissions_list(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    struct tc_submission_filter f = {
        .form_id = tc_req_query(req, "form"),
        .review_state = tc_req_query(req, "state"),
        .from = tc_req_query(req, "from"),
        .to = tc_req_query(req, "to"),
        .commune_code = tc_req_query(req, "commune"),
        .limit = query_size(req, "limit"),
        .offset = query_size(req, "offset"),
    };
    struct tc_submission_row *rows = NULL;
    struct tc_db_conn *conn;
    size_t n = 0, total = 0;
    json_t *list;
    enum tc_status st;

    if ((st = account(req, &who, err)) != TC_OK || (st = scope_filter(req, &who, &f, err)) != TC_OK)
        return st;
    if ((conn = acquire(req, err)) == NULL)
        return err->status;
    if ((st = tc_submission_list(conn, &f, tc_req_arena(req), &rows, &n, &total, err)) != TC_OK)
        return st;
    if ((list = json_array()) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (json_array_append_new(list, row_json(&rows[i])) != 0) {
            json_decref(list);
            return tc_fail(err, TC_ENOMEM, "out of memory");
        }
    return reply(resp, json_pack("{s:I, s:o}", "total", (json_int_t)total, "submissions", list),
                 err);
}

/* The submission of the :id capture, if `who` may do `action` to it. */
static enum tc_status
readable(struct tc_request *req, const struct tc_principal *who, enum tc_action action,
         struct tc_db_conn *conn, struct tc_submission_row *row, struct tc_error *err)
{
    const char *id_text = tc_req_param(req, "id");
    char *end;
    long long id = id_text != NULL ? strtoll(id_text, &end, 10) : 0;
    struct tc_policy_object what;
    enum tc_status st;

    if (id <= 0 || *end != '\0')
        return tc_fail(err, TC_ENOTFOUND, "not found");
    if ((st = tc_submission_get(conn, id, tc_req_arena(req), row, err)) != TC_OK)
        return st;
    what = (struct tc_policy_object){.owner_id = row->submitter_id,
                                     .commune = row->commune_code,
                                     .province = row->province_code,
                                     .form_id = row->form};
    return tc_auth_check(req, who, action, &what, err);
}

static json_t *
findings_json(const struct tc_ingest_finding *f, size_t n)
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
                         f[i].size >= 0, "contentType", f[i].content_type, "size",
                         f[i].size >= 0 ? json_integer(f[i].size) : NULL, "sha256", f[i].sha256));
    return a;
}

enum tc_status
tc_api_submissions_get(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    struct tc_submission_row row;
    struct tc_ingest_finding *findings = NULL;
    struct tc_submission_file *files = NULL;
    struct tc_db_conn *conn;
    size_t n_findings = 0, n_files = 0;
    json_t *body;
    enum tc_status st;

    if ((st = account(req, &who, err)) != TC_OK)
        return st;
    if ((conn = acquire(req, err)) == NULL)
        return err->status;
    if ((st = readable(req, &who, TC_ACT_SUBMISSION_READ, conn, &row, err)) != TC_OK ||
        (st = tc_submission_findings(conn, row.id, tc_req_arena(req), &findings, &n_findings,
                                     err)) != TC_OK ||
        (st = tc_submission_files(conn, row.id, tc_req_arena(req), &files, &n_files, err)) != TC_OK)
        return st;
    if ((body = row_json(&row)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    json_object_set_new(body, "values", json_loads(row.values_json, 0, NULL));
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
    struct tc_submission_file meta;
    const unsigned char *bytes = NULL;
    struct tc_db_conn *conn;
    enum tc_status st;

    if ((st = account(req, &who, err)) != TC_OK)
        return st;
    if ((conn = acquire(req, err)) == NULL)
        return err->status;
    if ((st = readable(req, &who, TC_ACT_SUBMISSION_READ, conn, &row, err)) != TC_OK ||
        (st = tc_submission_file_get(conn, row.id, tc_req_param(req, "name"), tc_req_arena(req),
                                     &meta, &bytes, err)) != TC_OK)
        return st;
    tc_strbuf_append(tc_resp_body(resp), bytes, (size_t)meta.size);
    tc_resp_content_type(resp, meta.content_type != NULL ? meta.content_type
                                                         : "application/octet-stream");
    return tc_resp_header(resp, "Content-Disposition", "attachment", err);
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
    body = json_loadb(text, len, 0, NULL);
    if (!json_is_object(body) ||
        json_unpack(json_object_get(body, "reviewState"), "s", &state) != 0) {
        st = tc_fail(err, TC_EINVAL, "the body must be a JSON object with \"%s\"", "reviewState");
        goto out;
    }
    if (json_object_get(body, "comment") != NULL &&
        json_unpack(json_object_get(body, "comment"), "s", &comment) != 0) {
        st = tc_fail(err, TC_EINVAL, "invalid value of \"%s\"", "comment");
        goto out;
    }
    if (comment != NULL && strlen(comment) > COMMENT_MAX_LEN) {
        st = tc_fail(err, TC_EINVAL, "the comment is longer than %d characters", COMMENT_MAX_LEN);
        goto out;
    }
    if ((conn = acquire(req, err)) == NULL) {
        st = err->status;
        goto out;
    }
    if ((st = readable(req, &who, TC_ACT_SUBMISSION_REVIEW, conn, &row, err)) != TC_OK ||
        (st = tc_submission_review(conn, row.id, who.id, state, comment, tc_req_client_addr(req),
                                   err)) != TC_OK ||
        (st = tc_submission_get(conn, row.id, tc_req_arena(req), &row, err)) != TC_OK)
        goto out;
    st = reply(resp, row_json(&row), err);
out:
    json_decref(body);
    return st;
}
