#include "handlers/api_cases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "auth.h"
#include "form_cache.h"
#include "handlers/protect.h"
#include "http.h"
#include "json_body.h"
#include "tincay/arena.h"
#include "tincay/audit.h"
#include "tincay/caselog.h"
#include "tincay/cases.h"
#include "tincay/db.h"
#include "tincay/form.h"
#include "tincay/forms.h"
#include "tincay/strbuf.h"
#include "tincay/submissions.h"
#include "tincay/suppress.h"
#include "tincay/units.h"
#include "tincay/vault.h"

#define PAGE_DEFAULT  50
#define PAGE_MAX      500
#define PURPOSE_MAX   64
#define K_DEFAULT     5
#define HINTS_MAX     50
#define FOLLOWUP_FORM "dctc_followup"
#define CASE_FORM     "dctc_case"

/* ---- who asks, and the audit of what they got ---- */

static const char *
actor_kind(const struct tc_principal *who)
{
    return who->kind == TC_PRINCIPAL_USER       ? "user"
           : who->kind == TC_PRINCIPAL_APP_USER ? "app_user"
                                                : "anonymous";
}

/*
 * An audit row of a case event: actor, record, purpose, outcome. Written on the request's
 * connection outside any transaction, before the answer goes out; a read whose audit row
 * cannot be written is not answered.
 */
static enum tc_status
audit_case(struct tc_request *req, const struct tc_principal *who, const char *action,
           const char *code, const char *purpose, const char *outcome, const char *detail,
           struct tc_error *err)
{
    const struct tc_audit_event ev = {
        .actor_kind = actor_kind(who),
        .actor_id = who->id,
        .actor_login = who->login,
        .action = action,
        .object_kind = code != NULL ? "case" : NULL,
        .object_id = code,
        .purpose = purpose,
        .client_addr = tc_req_client_addr(req),
        .outcome = outcome,
        .detail_json = detail,
    };
    struct tc_db_conn *conn = tc_req_db(req, err);

    if (conn == NULL)
        return err->status;
    return tc_audit_append(conn, &ev, tc_req_arena(req), err);
}

/* A denial of any kind (no credentials, no grant, not in scope) is recorded, then answered. */
static enum tc_status
deny(struct tc_request *req, const struct tc_principal *who, enum tc_action action,
     const char *code, enum tc_status st, struct tc_error *err)
{
    struct tc_error ignored = TC_ERROR_INIT(err->lang);
    char detail[96];

    (void)snprintf(detail, sizeof(detail), "{\"role\": \"%s\", \"status\": \"%s\"}",
                   who->kind == TC_PRINCIPAL_NONE ? "anonymous" : tc_role_name(who->role),
                   st == TC_EUNAUTH     ? "unauthenticated"
                   : st == TC_ENOTFOUND ? "not found"
                                        : "forbidden");
    (void)audit_case(req, who, tc_action_name(action), code, NULL, "denied", detail, &ignored);
    return st;
}

/* Someone, or a 401 that is audited too. */
static enum tc_status
require(struct tc_request *req, struct tc_principal *who, enum tc_action action, const char *code,
        struct tc_error *err)
{
    enum tc_status st = tc_auth_require(req, who, err);

    if (st == TC_EUNAUTH) {
        memset(who, 0, sizeof(*who));
        return deny(req, who, action, code, st, err);
    }
    return st;
}

/* The CSRF token of a cookie session; a mismatch is a denial, audited like the others. */
static enum tc_status
csrf(struct tc_request *req, const struct tc_principal *who, enum tc_action action,
     const char *code, struct tc_error *err)
{
    enum tc_status st = tc_auth_csrf(req, who, NULL, err);

    if (st == TC_EFORBIDDEN)
        (void)deny(req, who, action, code, st, err);
    return st;
}

/* The actor's own reach, as the record a list or a count covers. */
static struct tc_policy_object
own_reach(const struct tc_principal *who)
{
    return (struct tc_policy_object){.unit_id = who->unit_id, .province = who->province_code};
}

/*
 * May `who` do `action` to case `code`? Roles without the grant: 403 (tc_auth_check audits
 * it). Roles with the grant but not for this case, and unknown cases: 404, audited, so
 * that a unit never learns that another unit's case exists.
 */
static enum tc_status
find_case(struct tc_request *req, const struct tc_principal *who, enum tc_action action,
          const char *code, struct tc_caselog_case *out, struct tc_error *err)
{
    struct tc_policy_subject subject;
    struct tc_policy_object what;
    struct tc_db_conn *conn;
    enum tc_status st;

    if (tc_policy_scope(who->role, action) == TC_SCOPE_DENIED)
        return tc_auth_check(req, who, action, NULL, err);
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    st = tc_caselog_get(conn, code, tc_req_arena(req), out, err);
    if (st != TC_OK && st != TC_ENOTFOUND)
        return st;
    tc_auth_subject(who, &subject);
    what = (struct tc_policy_object){.unit_id = st == TC_OK ? out->unit_id : -1,
                                     .province = st == TC_OK ? out->province_code : ""};
    if (st == TC_OK && tc_policy_allows(who->role, action, &subject, &what))
        return TC_OK;
    (void)deny(req, who, action, code, TC_ENOTFOUND, err);
    return tc_fail(err, TC_ENOTFOUND, "there is no case \"%s\"", code);
}

/* The purpose of a read: `?purpose=` or the X-Purpose header, required. */
static enum tc_status
purpose_of(struct tc_request *req, const char **out, struct tc_error *err)
{
    const char *p = tc_req_query(req, "purpose");

    if (p == NULL || p[0] == '\0')
        p = tc_req_header(req, "X-Purpose");
    if (p == NULL || p[0] == '\0')
        return tc_fail(err, TC_EBADREQ,
                       "say why you read this case: a \"purpose\" parameter is required");
    if (strlen(p) > PURPOSE_MAX)
        return tc_fail(err, TC_EBADREQ, "the purpose is longer than %d characters", PURPOSE_MAX);
    for (const char *c = p; *c != '\0'; c++)
        if ((unsigned char)*c < 0x20 || *c == '"' || *c == '\\')
            return tc_fail(err, TC_EBADREQ,
                           "the purpose may not hold quotes or control characters");
    *out = p;
    return TC_OK;
}

/*
 * The unit's key for this session: a member's copy, or the escrow officer's through their
 * escrow seal. Only a browser session carries one.
 */
static enum tc_status
unit_key(struct tc_request *req, const struct tc_principal *who, long long unit_id,
         struct tc_unit_key **out, struct tc_error *err)
{
    struct tc_db_conn *conn = tc_req_db(req, err);
    struct tc_unit_key *escrow = NULL;
    enum tc_status st;

    if (conn == NULL)
        return err->status;
    if (!who->by_cookie || who->session_token == NULL)
        return tc_fail(err, TC_EFORBIDDEN, "reading a case needs a logged-in browser session");
    if (who->role != TC_ROLE_ESCROW) {
        st = tc_unit_key_for_session(conn, who->session_token, unit_id, out, err);
        if (st == TC_EFORBIDDEN)
            return tc_fail(err, TC_EFORBIDDEN,
                           "this session holds no key of your unit: log in again with your "
                           "password");
        return st;
    }
    if ((st = tc_escrow_key_for_session(conn, who->session_token, who->id, &escrow, err)) != TC_OK)
        return st;
    st = tc_unit_key_from_escrow(conn, escrow, who->id, unit_id, out, err);
    tc_unit_key_free(escrow);
    return st;
}

/* Open a sealed submission; what fails to open is damage, never another case's data. */
static enum tc_status
open_sealed(struct tc_db_conn *conn, const struct tc_unit_key *key, long long submission,
            const char *code, struct tc_arena *arena, unsigned char **xml, size_t *len,
            struct tc_dek **dek, struct tc_error *err)
{
    enum tc_status st = tc_sealed_open(conn, key, submission, arena, xml, len, dek, err);

    if (st == TC_EFORBIDDEN || st == TC_EINTERNAL)
        return tc_fail(err, TC_EINTERNAL,
                       "a record of case \"%s\" does not open with its unit's key: it is damaged "
                       "or was moved",
                       code);
    return st;
}

static void
free_model(void *model)
{
    tc_form_model_free(model);
}

/*
 * Parse a decrypted XML against its form (latest version), for its protected values; the
 * model lives as long as the arena, since the values point into it.
 */
static enum tc_status
parse_case_xml(struct tc_db_conn *conn, const char *form_id, const unsigned char *xml, size_t len,
               struct tc_arena *arena, struct tc_submission **out, struct tc_error *err)
{
    struct tc_form_model *model = NULL;
    struct tc_form_row row;
    enum tc_status st;

    if ((st = tc_forms_latest(conn, form_id, arena, &row, err)) != TC_OK)
        return st;
    if ((st = tc_form_load_with_media((const char *)row.xml, row.xml_len, tc_form_stored_media,
                                      &(struct tc_stored_media){conn, row.id, arena}, &model,
                                      err)) != TC_OK)
        return st;
    if (tc_arena_defer(arena, free_model, model) != 0) {
        tc_form_model_free(model);
        return tc_fail(err, TC_ENOMEM, "out of memory");
    }
    return tc_submission_parse((const char *)xml, len, model, TC_LANG_EN, arena, out, err);
}

/* {"path": value} of every value of the submission, protected or not. */
static json_t *
fields_json(const struct tc_submission *sub)
{
    json_t *o = json_object();

    for (size_t i = 0; o != NULL && i < sub->n_protected; i++)
        if (sub->protected_values[i].value != NULL)
            json_object_set_new(o, sub->protected_values[i].path,
                                json_string(sub->protected_values[i].value));
    for (size_t i = 0; o != NULL && i < sub->n_report; i++)
        if (sub->report_values[i].value != NULL)
            json_object_set_new(o, sub->report_values[i].path,
                                json_string(sub->report_values[i].value));
    return o;
}

static json_t *
case_summary(const struct tc_caselog_case *c)
{
    json_t *report = json_loads(c->report_json, 0, NULL);

    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:I}", "case_code", c->case_code, "unit",
                     c->unit_code, "form_id", c->form_id, "created_at", c->created_at, "updated_at",
                     c->updated_at, "report", report ? report : json_object(), "followups",
                     (json_int_t)c->n_followups);
}

static enum tc_status
reply(struct tc_response *resp, json_t *body, struct tc_error *err)
{
    enum tc_status st =
        body != NULL ? tc_resp_json(resp, body, err) : tc_fail(err, TC_ENOMEM, "out of memory");

    json_decref(body);
    return st;
}

/* ---- GET /api/v1/cases ---- */

static size_t
query_size(struct tc_request *req, const char *name, size_t fallback, size_t max)
{
    const char *v = tc_req_query(req, name);
    char *end;
    unsigned long long n;

    if (v == NULL || v[0] == '\0')
        return fallback;
    n = strtoull(v, &end, 10);
    if (*end != '\0' || v[0] == '-')
        return fallback;
    return n > max ? max : (size_t)n;
}

enum tc_status
tc_handle_cases_list(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_arena *arena = tc_req_arena(req);
    struct tc_principal who = {0};
    struct tc_policy_object reach;
    struct tc_caselog_case *cases;
    struct tc_db_conn *conn;
    size_t n, limit = query_size(req, "limit", PAGE_DEFAULT, PAGE_MAX);
    size_t offset = query_size(req, "offset", 0, (size_t)1 << 40);
    long long total;
    json_t *list;
    enum tc_status st;
    char detail[64];

    if ((st = require(req, &who, TC_ACT_CASE_LIST, NULL, err)) != TC_OK)
        return st;
    reach = own_reach(&who);
    if ((st = tc_auth_check(req, &who, TC_ACT_CASE_LIST, &reach, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    st = tc_caselog_list(conn, who.role == TC_ROLE_ESCROW ? 0 : who.unit_id, who.province_code,
                         limit, offset, arena, &cases, &n, &total, err);
    if (st != TC_OK)
        return st;
    (void)snprintf(detail, sizeof(detail), "{\"n\": %zu, \"offset\": %zu}", n, offset);
    if ((st = audit_case(req, &who, "case.list", NULL, NULL, "ok", detail, err)) != TC_OK)
        return st;
    list = json_array();
    for (size_t i = 0; list != NULL && i < n; i++)
        json_array_append_new(list, case_summary(&cases[i]));
    return reply(resp,
                 json_pack("{s:o, s:I, s:I, s:I}", "cases", list, "total", (json_int_t)total,
                           "limit", (json_int_t)limit, "offset", (json_int_t)offset),
                 err);
}

/* ---- GET /api/v1/cases/:code ---- */

/* One opened submission as the answer shows it. */
static enum tc_status
entry_json(struct tc_db_conn *conn, const struct tc_unit_key *key, long long submission,
           const char *form_id, const char *code, struct tc_arena *arena, json_t **out,
           struct tc_error *err)
{
    unsigned char *xml;
    size_t len;
    struct tc_submission *sub = NULL;
    enum tc_status st;

    if ((st = open_sealed(conn, key, submission, code, arena, &xml, &len, NULL, err)) != TC_OK)
        return st;
    if (parse_case_xml(conn, form_id, xml, len, arena, &sub, err) != TC_OK) {
        *out = json_pack("{s:s, s:s%, s:o}", "form_id", form_id, "xml", (const char *)xml, len,
                         "fields", json_object());
        return *out != NULL ? TC_OK : tc_fail(err, TC_ENOMEM, "out of memory");
    }
    *out = json_pack("{s:s, s:s, s:s%, s:o}", "form_id", form_id, "instance_id", sub->instance_id,
                     "xml", (const char *)xml, len, "fields", fields_json(sub));
    return *out != NULL ? TC_OK : tc_fail(err, TC_ENOMEM, "out of memory");
}

static enum tc_status
attachments_json(struct tc_db_conn *conn, const long long *subs, size_t n_subs, const char *code,
                 struct tc_arena *arena, json_t **out, struct tc_error *err)
{
    struct tc_caselog_attachment *a;
    size_t n;
    enum tc_status st = tc_caselog_attachments(conn, subs, n_subs, arena, &a, &n, err);

    if (st != TC_OK)
        return st;
    *out = json_array();
    for (size_t i = 0; *out != NULL && i < n; i++)
        json_array_append_new(
            *out,
            json_pack("{s:s, s:s?, s:b, s:s}", "name", a[i].name, "content_type", a[i].content_type,
                      "received", a[i].received, "url",
                      tc_arena_printf(arena, "/api/v1/cases/%s/attachments/%s", code, a[i].name)));
    return *out != NULL ? TC_OK : tc_fail(err, TC_ENOMEM, "out of memory");
}

/* The whole case, opened: intake, follow-ups, attachment list. */
static enum tc_status
case_json(struct tc_db_conn *conn, const struct tc_unit_key *key, const struct tc_caselog_case *c,
          struct tc_arena *arena, json_t **out, struct tc_error *err)
{
    struct tc_caselog_entry *f;
    size_t n_f;
    long long *subs;
    json_t *intake = NULL, *followups = json_array(), *files = NULL, *one;
    enum tc_status st;

    st = tc_caselog_followups(conn, c->unit_id, c->case_code, c->submission, arena, &f, &n_f, err);
    if (st != TC_OK || (subs = tc_arena_calloc(arena, n_f + 1, sizeof(*subs))) == NULL)
        goto fail;
    subs[0] = c->submission;
    if ((st = entry_json(conn, key, c->submission, c->form_id, c->case_code, arena, &intake,
                         err)) != TC_OK)
        goto fail;
    for (size_t i = 0; i < n_f; i++) {
        subs[i + 1] = f[i].submission;
        if ((st = entry_json(conn, key, f[i].submission, f[i].form_id, c->case_code, arena, &one,
                             err)) != TC_OK)
            goto fail;
        json_object_set_new(one, "received_at", json_string(f[i].received_at));
        json_array_append_new(followups, one);
    }
    if ((st = attachments_json(conn, subs, n_f + 1, c->case_code, arena, &files, err)) != TC_OK)
        goto fail;
    *out = json_pack("{s:o, s:o, s:o, s:o}", "case", case_summary(c), "intake", intake, "followups",
                     followups, "attachments", files);
    return *out != NULL ? TC_OK : tc_fail(err, TC_ENOMEM, "out of memory");
fail:
    json_decref(intake);
    json_decref(followups);
    json_decref(files);
    return st != TC_OK ? st : tc_fail(err, TC_ENOMEM, "out of memory");
}

/* Audit the outcome of a read of case `code`, then pass its status on. */
static enum tc_status
audit_read(struct tc_request *req, const struct tc_principal *who, const char *code,
           const char *purpose, const char *detail, enum tc_status st, struct tc_error *err)
{
    struct tc_error ignored = TC_ERROR_INIT(err->lang);

    if (st == TC_OK)
        return audit_case(req, who, "case.read", code, purpose, "ok", detail, err);
    (void)audit_case(req, who, "case.read", code, purpose, "failed", detail, &ignored);
    return st;
}

enum tc_status
tc_handle_case_get(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    const char *code = tc_req_param(req, "code"), *purpose;
    struct tc_arena *arena = tc_req_arena(req);
    struct tc_principal who = {0};
    struct tc_caselog_case c = {0};
    struct tc_unit_key *key = NULL;
    json_t *body = NULL;
    enum tc_status st;

    if ((st = require(req, &who, TC_ACT_CASE_READ, code, err)) != TC_OK ||
        (st = find_case(req, &who, TC_ACT_CASE_READ, code, &c, err)) != TC_OK ||
        (st = purpose_of(req, &purpose, err)) != TC_OK)
        return st;
    if ((st = unit_key(req, &who, c.unit_id, &key, err)) == TC_OK)
        st = case_json(tc_req_db(req, err), key, &c, arena, &body, err);
    tc_unit_key_free(key);
    if ((st = audit_read(req, &who, code, purpose, NULL, st, err)) != TC_OK) {
        json_decref(body);
        return st;
    }
    return reply(resp, body, err);
}

/* ---- GET /api/v1/cases/:code/attachments/:name ---- */

/* Which submission of the case holds attachment `name`: the intake's first. */
static enum tc_status
find_attachment(struct tc_db_conn *conn, const struct tc_caselog_case *c, const char *name,
                struct tc_arena *arena, long long *submission, const char **form_id,
                struct tc_error *err)
{
    struct tc_caselog_entry *f;
    struct tc_caselog_attachment *a;
    long long *subs;
    size_t n_f, n_a;
    enum tc_status st;

    st = tc_caselog_followups(conn, c->unit_id, c->case_code, c->submission, arena, &f, &n_f, err);
    if (st != TC_OK)
        return st;
    if ((subs = tc_arena_calloc(arena, n_f + 1, sizeof(*subs))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    subs[0] = c->submission;
    for (size_t i = 0; i < n_f; i++)
        subs[i + 1] = f[i].submission;
    if ((st = tc_caselog_attachments(conn, subs, n_f + 1, arena, &a, &n_a, err)) != TC_OK)
        return st;
    for (size_t j = 0; j <= n_f; j++)
        for (size_t i = 0; i < n_a; i++)
            if (a[i].submission == subs[j] && a[i].received && strcmp(a[i].name, name) == 0) {
                *submission = subs[j];
                *form_id = j == 0 ? c->form_id : f[j - 1].form_id;
                return TC_OK;
            }
    return tc_fail(err, TC_ENOTFOUND, "case \"%s\" has no file \"%s\"", c->case_code, name);
}

/* Open attachment `name` into the response. */
static enum tc_status
send_attachment(struct tc_request *req, struct tc_response *resp, const struct tc_unit_key *key,
                const struct tc_caselog_case *c, const char *name, struct tc_error *err)
{
    struct tc_arena *arena = tc_req_arena(req);
    struct tc_db_conn *conn = tc_req_db(req, err);
    const char *form_id = NULL, *type = NULL;
    long long submission = 0;
    unsigned char *xml = NULL, *sealed = NULL, *plain = NULL;
    size_t xml_len = 0, sealed_len = 0, plain_len = 0;
    struct tc_dek *dek = NULL;
    struct tc_submission *env;
    enum tc_status st;

    if (conn == NULL)
        return err->status;
    if ((st = find_attachment(conn, c, name, arena, &submission, &form_id, err)) != TC_OK ||
        (st = open_sealed(conn, key, submission, c->case_code, arena, &xml, &xml_len, &dek, err)) !=
            TC_OK)
        goto out;
    if ((st = tc_submission_parse((const char *)xml, xml_len, NULL, TC_LANG_EN, arena, &env,
                                  err)) != TC_OK ||
        (st = tc_caselog_attachment_bytes(conn, submission, name, arena, &type, &sealed,
                                          &sealed_len, err)) != TC_OK)
        goto out;
    st = tc_dek_stream_decrypt(dek, form_id, env->instance_id, name, sealed, sealed_len, arena,
                               &plain, &plain_len, err);
    if (st != TC_OK) {
        st = tc_fail(err, TC_EINTERNAL, "file \"%s\" of case \"%s\" does not open: it is damaged",
                     name, c->case_code);
        goto out;
    }
    tc_resp_content_type(resp, type);
    tc_strbuf_append(tc_resp_body(resp), plain, plain_len);
    sodium_memzero(plain, plain_len);
    st = tc_resp_header(resp, "Cache-Control", "no-store", err);
out:
    tc_dek_free(dek);
    return st;
}

enum tc_status
tc_handle_case_attachment(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    const char *code = tc_req_param(req, "code"), *name = tc_req_param(req, "name"), *purpose;
    struct tc_principal who = {0};
    struct tc_caselog_case c = {0};
    struct tc_unit_key *key = NULL;
    json_t *d;
    char *detail;
    enum tc_status st;

    if ((st = require(req, &who, TC_ACT_CASE_READ, code, err)) != TC_OK ||
        (st = find_case(req, &who, TC_ACT_CASE_READ, code, &c, err)) != TC_OK ||
        (st = purpose_of(req, &purpose, err)) != TC_OK)
        return st;
    if ((st = unit_key(req, &who, c.unit_id, &key, err)) == TC_OK)
        st = send_attachment(req, resp, key, &c, name, err);
    tc_unit_key_free(key);
    d = json_pack("{s:s}", "file", name);
    detail = d != NULL ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    st = audit_read(req, &who, code, purpose, detail, st, err);
    free(detail);
    return st;
}

/* ---- filing a case or a follow-up through the API ---- */

/* A random instance id, as ODK clients make them. */
static const char *
new_instance_id(struct tc_arena *arena)
{
    unsigned char r[16];
    char hex[33];

    randombytes_buf(r, sizeof(r));
    sodium_bin2hex(hex, sizeof(hex), r, sizeof(r));
    return tc_arena_printf(arena, "uuid:%.8s-%.4s-4%.3s-a%.3s-%.12s", hex, hex + 8, hex + 13,
                           hex + 17, hex + 20);
}

/* The tc:role fields of `sub` into `in`. */
static void
set_roles(const struct tc_submission *sub, struct tc_arena *arena, struct tc_ingest *in)
{
    for (size_t i = 0; i < sub->n_roles; i++) {
        const struct tc_submission_value *v = &sub->role_values[i];
        const char *colon;

        if (v->field == NULL || v->value == NULL || v->value[0] == '\0')
            continue;
        if (v->field->role == TC_FIELD_ROLE_CASE_CODE)
            in->case_code = v->value;
        else if (v->field->role == TC_FIELD_ROLE_VILLAGE)
            in->village = v->value;
        else if (v->field->role == TC_FIELD_ROLE_COMMUNE && (colon = strchr(v->value, ':'))) {
            in->commune_era = tc_arena_strndup(arena, v->value, (size_t)(colon - v->value));
            in->commune_code = colon + 1;
        }
    }
}

static enum tc_status
build_ingest(struct tc_request *req, const struct tc_principal *who, const struct tc_form_row *row,
             const struct tc_submission *sub, const char *xml, size_t len, struct tc_ingest *in,
             struct tc_error *err)
{
    struct tc_arena *arena = tc_req_arena(req);
    struct tc_ingest_finding *f = tc_arena_calloc(arena, sub->n_findings + 1, sizeof(*f));
    unsigned char digest[crypto_hash_sha256_BYTES];
    char *hex = tc_arena_alloc(arena, crypto_hash_sha256_BYTES * 2 + 1);

    if (f == NULL || hex == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    crypto_hash_sha256(digest, (const unsigned char *)xml, len);
    sodium_bin2hex(hex, crypto_hash_sha256_BYTES * 2 + 1, digest, sizeof(digest));
    for (size_t i = 0; i < sub->n_findings; i++)
        f[i] = (struct tc_ingest_finding){sub->findings[i].path, sub->findings[i].rule,
                                          sub->findings[i].message};
    *in = (struct tc_ingest){
        .form = row->id,
        .form_id = row->form_id,
        .form_version = row->version,
        .instance_id = sub->instance_id[0] != '\0' ? sub->instance_id : new_instance_id(arena),
        .xml = (const unsigned char *)xml,
        .xml_len = len,
        .xml_sha256 = hex,
        .values_json = sub->values_json,
        .findings = f,
        .n_findings = sub->n_findings,
        .expected = sub->attachments,
        .n_expected = sub->n_attachments,
        .submitter_id = who->kind == TC_PRINCIPAL_USER ? who->id : 0,
        .app_user_id = who->kind == TC_PRINCIPAL_APP_USER ? who->id : 0,
        .client_addr = tc_req_client_addr(req),
    };
    if (in->instance_id == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    set_roles(sub, arena, in);
    return TC_OK;
}

/* The published form the XML names, which must be confidential. */
static enum tc_status
case_form(struct tc_db_conn *conn, const struct tc_submission *env, struct tc_arena *arena,
          struct tc_form_row *row, struct tc_error *err)
{
    enum tc_status st;

    if (env->form_id[0] == '\0')
        return tc_fail(err, TC_EBADREQ, "the submission's root element has no id attribute");
    st = tc_forms_get(conn, env->form_id, env->version, arena, row, err);
    if (st == TC_ENOTFOUND)
        return tc_fail(err, TC_ENOTFOUND, "form \"%s\" version \"%s\" does not exist", env->form_id,
                       env->version);
    if (st != TC_OK)
        return st;
    if (!row->is_confidential)
        return tc_fail(err, TC_EINVAL, "form \"%s\" is not a case form", env->form_id);
    if (!tc_form_state_accepts_submissions(row->state))
        return tc_fail(err, TC_ECONFLICT, "form \"%s\" accepts no submissions", env->form_id);
    return TC_OK;
}

/*
 * Store a case form's XML as `who` filed it: parsed against its form, protected, stored.
 * `followup_of` (NULL for an intake) must be the case the XML names.
 */
static enum tc_status
file_xml(struct tc_request *req, const struct tc_principal *who, const char *xml, size_t len,
         const char *followup_of, const char **code_out, struct tc_ingest_result *res,
         struct tc_error *err)
{
    struct tc_arena *arena = tc_req_arena(req);
    struct tc_db_conn *conn = tc_req_db(req, err);
    struct tc_submission *env, *sub;
    struct tc_form_model *model = NULL;
    struct tc_form_row row;
    struct tc_ingest in;
    enum tc_status st;

    if (conn == NULL)
        return err->status;
    if ((st = tc_submission_parse(xml, len, NULL, tc_req_lang(req), arena, &env, err)) != TC_OK ||
        (st = case_form(conn, env, arena, &row, err)) != TC_OK)
        return st;
    if ((st = tc_form_load_with_media((const char *)row.xml, row.xml_len, tc_form_stored_media,
                                      &(struct tc_stored_media){conn, row.id, arena}, &model,
                                      err)) != TC_OK)
        return st == TC_ENOMEM ? st : TC_EINTERNAL;
    st = tc_submission_parse(xml, len, model, tc_req_lang(req), arena, &sub, err);
    if (st == TC_OK)
        st = build_ingest(req, who, &row, sub, xml, len, &in, err);
    if (st == TC_OK && followup_of != NULL &&
        (in.case_code == NULL || strcmp(in.case_code, followup_of) != 0))
        st = tc_fail(err, TC_EINVAL, "the follow-up names case \"%s\", not \"%s\"",
                     in.case_code ? in.case_code : "", followup_of);
    if (st == TC_OK)
        st = tc_protect_ingest(req, who, model, sub, &in, code_out, err);
    if (st == TC_OK)
        st = tc_submission_store(conn, &in, res, err);
    tc_form_model_free(model);
    return st;
}

static void
wipe_string(void *s)
{
    sodium_memzero(s, strlen(s));
}

/* An XML body as it came, or one made from JSON {"values": {...}} for form `form_id`. */
static enum tc_status
body_xml(struct tc_request *req, const char *form_id, const char *case_code, const char **xml,
         size_t *len, struct tc_error *err)
{
    struct tc_arena *arena = tc_req_arena(req);
    struct tc_db_conn *conn = tc_req_db(req, err);
    const char *body = tc_req_body(req, len);
    struct tc_form_row row;
    struct tc_strbuf sb = TC_STRBUF_INIT(TC_SUBMISSION_MAX_BYTES);
    json_t *j = NULL, *values;
    char *made;
    const char *key;
    json_t *v;
    enum tc_status st;

    if (conn == NULL)
        return err->status;
    if (*len > 0 && body[strspn(body, " \t\r\n")] == '<') {
        *xml = body;
        return TC_OK;
    }
    if ((st = tc_json_body(req, &j, err)) != TC_OK)
        return st;
    values = json_object_get(j, "values");
    if (!json_is_object(values))
        return tc_fail(err, TC_EINVAL, "the body needs an object \"values\" (or send the XML)");
    if ((st = tc_forms_latest(conn, form_id, arena, &row, err)) != TC_OK)
        return st;
    tc_strbuf_appendf(&sb, "<data id=\"%s\" version=\"%s\"><case_code>%s</case_code>", row.form_id,
                      row.version, case_code);
    json_object_foreach(values, key, v)
    {
        if (!json_is_string(v) || strcmp(key, "case_code") == 0 || strcmp(key, "meta") == 0 ||
            key[strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_")] != '\0' || key[0] == '\0') {
            tc_strbuf_cleanup(&sb);
            return tc_fail(err, TC_EINVAL, "value \"%s\" must be a string under a field name", key);
        }
        tc_strbuf_appendf(&sb, "<%s>", key);
        tc_strbuf_append_xml_escaped(&sb, json_string_value(v));
        tc_strbuf_appendf(&sb, "</%s>", key);
    }
    tc_strbuf_appendf(&sb, "<meta><instanceID>%s</instanceID></meta></data>",
                      new_instance_id(arena));
    made = sb.failed ? NULL : tc_arena_strndup(arena, tc_strbuf_str(&sb), sb.len);
    *len = sb.len;
    if (sb.data != NULL)
        sodium_memzero(sb.data, sb.len);
    tc_strbuf_cleanup(&sb);
    if (made == NULL)
        return tc_fail(err, TC_ETOOLARGE, "the follow-up is too large");
    tc_arena_defer(arena, wipe_string, made);
    *xml = made;
    return TC_OK;
}

static enum tc_status
answer_filed(struct tc_response *resp, const char *code, const struct tc_ingest_result *res,
             struct tc_error *err)
{
    tc_resp_status(resp, res->outcome == TC_INGEST_DUPLICATE ? 200 : 201);
    return reply(resp,
                 json_pack("{s:s, s:I, s:b}", "case_code", code, "submission", (json_int_t)res->id,
                           "duplicate", res->outcome == TC_INGEST_DUPLICATE),
                 err);
}

enum tc_status
tc_handle_case_create(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who = {0};
    struct tc_policy_object reach;
    struct tc_ingest_result res;
    const char *code = NULL, *xml;
    size_t len;
    enum tc_status st;

    if ((st = require(req, &who, TC_ACT_CASE_CREATE, NULL, err)) != TC_OK)
        return st;
    reach = own_reach(&who);
    if ((st = tc_auth_check(req, &who, TC_ACT_CASE_CREATE, &reach, err)) != TC_OK ||
        (st = csrf(req, &who, TC_ACT_CASE_CREATE, NULL, err)) != TC_OK)
        return st;
    xml = tc_req_body(req, &len);
    if (len == 0 || xml[strspn(xml, " \t\r\n")] != '<')
        return tc_fail(err, TC_EUNSUPPORTED, "send the case form's XML");
    if ((st = file_xml(req, &who, xml, len, NULL, &code, &res, err)) != TC_OK)
        return st;
    return answer_filed(resp, code != NULL ? code : "", &res, err);
}

enum tc_status
tc_handle_case_followup(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    const char *code = tc_req_param(req, "code"), *xml = NULL;
    struct tc_principal who = {0};
    struct tc_caselog_case c = {0};
    struct tc_ingest_result res;
    size_t len = 0;
    enum tc_status st;

    if ((st = require(req, &who, TC_ACT_CASE_FOLLOWUP, code, err)) != TC_OK ||
        (st = find_case(req, &who, TC_ACT_CASE_FOLLOWUP, code, &c, err)) != TC_OK ||
        (st = csrf(req, &who, TC_ACT_CASE_FOLLOWUP, code, err)) != TC_OK)
        return st;
    if ((st = body_xml(req, FOLLOWUP_FORM, c.case_code, &xml, &len, err)) != TC_OK ||
        (st = file_xml(req, &who, xml, len, c.case_code, NULL, &res, err)) != TC_OK)
        return st;
    return answer_filed(resp, c.case_code, &res, err);
}

/* ---- GET /api/v1/cases/:code/hints ---- */

/* The victim's identity in an opened intake, for blind indexes and their confirmation. */
struct person {
    const char *name, *phone;
    int year;
};

static const char *
value_named(const struct tc_submission *sub, const char *name)
{
    for (size_t i = 0; i < sub->n_protected; i++) {
        const struct tc_submission_value *v = &sub->protected_values[i];

        if (v->field != NULL && strcmp(v->field->name, name) == 0 && v->value != NULL &&
            v->value[0] != '\0')
            return v->value;
    }
    return NULL;
}

static enum tc_status
open_person(struct tc_db_conn *conn, const struct tc_unit_key *key, long long submission,
            const char *form_id, const char *code, struct tc_arena *arena, struct person *out,
            struct tc_error *err)
{
    unsigned char *xml;
    size_t len;
    struct tc_submission *sub = NULL;
    const char *year;
    enum tc_status st;

    if ((st = open_sealed(conn, key, submission, code, arena, &xml, &len, NULL, err)) != TC_OK ||
        (st = parse_case_xml(conn, form_id, xml, len, arena, &sub, err)) != TC_OK)
        return st;
    year = value_named(sub, "victim_birth_year");
    *out = (struct person){.name = value_named(sub, "victim_name"),
                           .phone = value_named(sub, "victim_phone"),
                           .year = year != NULL ? (int)strtol(year, NULL, 10) : 0};
    return TC_OK;
}

/* Whether two people are the same by their normalised identities (not just their indexes). */
static bool
same_person(const struct person *a, const struct person *b, const char **why)
{
    char x[TC_BLIND_TEXT_MAX], y[TC_BLIND_TEXT_MAX];
    struct tc_error e = TC_ERROR_INIT(TC_LANG_EN);
    bool same = false;

    if (a->name && b->name && tc_blind_normalise_name(a->name, a->year, true, x, &e) == TC_OK &&
        tc_blind_normalise_name(b->name, b->year, true, y, &e) == TC_OK && strcmp(x, y) == 0) {
        *why = "name and birth year";
        same = true;
    } else if (a->phone && b->phone && tc_blind_normalise_phone(a->phone, x, &e) == TC_OK &&
               tc_blind_normalise_phone(b->phone, y, &e) == TC_OK && strcmp(x, y) == 0) {
        *why = "phone";
        same = true;
    }
    sodium_memzero(x, sizeof(x));
    sodium_memzero(y, sizeof(y));
    return same;
}

static enum tc_status
hints_json(struct tc_db_conn *conn, const struct tc_unit_key *key, const struct tc_caselog_case *c,
           struct tc_arena *arena, json_t **out, struct tc_error *err)
{
    struct tc_blind_value values[TC_BLIND_KIND_COUNT];
    struct tc_blind_candidate *cand;
    struct person me, other;
    size_t n_values = 0, n_cand = 0;
    enum tc_status st;

    if ((st = open_person(conn, key, c->submission, c->form_id, c->case_code, arena, &me, err)) !=
        TC_OK)
        return st;
    tc_blind_person(key, me.name, me.year, me.phone, values, &n_values);
    if (!c->has_hints && n_values > 0 &&
        (st = tc_blind_store(conn, c->unit_id, c->id, values, n_values, err)) != TC_OK)
        return st;
    if (n_values > 0 && (st = tc_blind_candidates(conn, c->unit_id, values, n_values, c->id, arena,
                                                  &cand, &n_cand, err)) != TC_OK)
        return st;
    *out = json_array();
    for (size_t i = 0; *out != NULL && i < n_cand && i < HINTS_MAX; i++) {
        struct tc_caselog_case o = {0};
        const char *why;

        if (tc_caselog_get(conn, cand[i].case_code, arena, &o, err) != TC_OK ||
            o.unit_id != c->unit_id || o.submission == 0)
            continue;
        if ((st = open_person(conn, key, o.submission, o.form_id, o.case_code, arena, &other,
                              err)) != TC_OK)
            return st;
        if (same_person(&me, &other, &why))
            json_array_append_new(*out, json_pack("{s:s, s:s, s:s}", "case_code", o.case_code,
                                                  "created_at", o.created_at, "matched_on", why));
    }
    return *out != NULL ? TC_OK : tc_fail(err, TC_ENOMEM, "out of memory");
}

enum tc_status
tc_handle_case_hints(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    const char *code = tc_req_param(req, "code");
    struct tc_principal who = {0};
    struct tc_caselog_case c = {0};
    struct tc_unit_key *key = NULL;
    json_t *hints = NULL;
    enum tc_status st;

    if ((st = require(req, &who, TC_ACT_CASE_READ, code, err)) != TC_OK ||
        (st = find_case(req, &who, TC_ACT_CASE_READ, code, &c, err)) != TC_OK)
        return st;
    if (who.role != TC_ROLE_HOST) { /* hints are for the unit's members only */
        (void)deny(req, &who, TC_ACT_CASE_READ, code, TC_EFORBIDDEN, err);
        return tc_fail(err, TC_EFORBIDDEN,
                       "repeat-victim hints are shown to the unit's members only");
    }
    if ((st = unit_key(req, &who, c.unit_id, &key, err)) == TC_OK)
        st = hints_json(tc_req_db(req, err), key, &c, tc_req_arena(req), &hints, err);
    tc_unit_key_free(key);
    if ((st = audit_read(req, &who, code, "hints", NULL, st, err)) != TC_OK) {
        json_decref(hints);
        return st;
    }
    return reply(resp, json_pack("{s:s, s:o}", "case_code", code, "possible_earlier_cases", hints),
                 err);
}

/* ---- for the web pages (server/web/pages_cases.c) ---- */

enum tc_status
tc_cases_find(struct tc_request *req, const struct tc_principal *who, enum tc_action action,
              const char *code, struct tc_caselog_case *out, struct tc_error *err)
{
    return find_case(req, who, action, code, out, err);
}

enum tc_status
tc_cases_audit_list(struct tc_request *req, const struct tc_principal *who, size_t n, size_t offset,
                    struct tc_error *err)
{
    char detail[64];

    (void)snprintf(detail, sizeof(detail), "{\"n\": %zu, \"offset\": %zu}", n, offset);
    return audit_case(req, who, "case.list", NULL, NULL, "ok", detail, err);
}

enum tc_status
tc_cases_open(struct tc_request *req, const struct tc_principal *who,
              const struct tc_caselog_case *c, const char *purpose, json_t **body, json_t **hints,
              struct tc_error *err)
{
    struct tc_arena *arena = tc_req_arena(req);
    struct tc_unit_key *key = NULL;
    enum tc_status st;

    *body = NULL;
    *hints = NULL;
    if ((st = unit_key(req, who, c->unit_id, &key, err)) == TC_OK)
        st = case_json(tc_req_db(req, err), key, c, arena, body, err);
    if (st == TC_OK && who->role == TC_ROLE_HOST) /* hints are for the unit's members only */
        st = hints_json(tc_req_db(req, err), key, c, arena, hints, err);
    tc_unit_key_free(key);
    if ((st = audit_read(req, who, c->case_code, purpose, NULL, st, err)) != TC_OK) {
        json_decref(*body);
        json_decref(*hints);
        *body = NULL;
        *hints = NULL;
    }
    return st;
}

/* ---- GET /api/v1/cases/aggregate ---- */

#define AGG_DIMS   TC_SUPPRESS_DIMS
#define AGG_VALUES 16 /* values of one multi-select field counted per case */

/* A dimension of the aggregate: the name in ?by= and the tc:report field it counts. */
static const struct {
    const char *name, *field;
    bool multi;
} dims[AGG_DIMS] = {
    {"form_of_violence", "violence_forms", true},
    {"month", "intake_month", false},
    {"commune", "commune", false},
    {"age_band", "age_band", false},
    {"sex", "victim_sex", false},
};

struct table {
    size_t n_by;
    int by[AGG_DIMS];
    struct tc_count_cell *cells; /* the cross-classification */
    size_t n_cells, cap_cells;
    struct tc_count_cell *margins[AGG_DIMS]; /* per dimension: key[0] is the value */
    size_t n_margins[AGG_DIMS];
    long long total;
};

static enum tc_status
parse_by(const char *by, struct table *t, struct tc_error *err)
{
    const char *p = by != NULL && by[0] != '\0' ? by : "form_of_violence";

    while (*p != '\0') {
        size_t len = strcspn(p, ",");
        int found = -1;

        for (int d = 0; d < AGG_DIMS; d++)
            if (strlen(dims[d].name) == len && strncmp(p, dims[d].name, len) == 0)
                found = d;
        for (size_t i = 0; i < t->n_by; i++)
            if (t->by[i] == found)
                found = -2;
        if (found == -1)
            return tc_fail(err, TC_EBADREQ,
                           "unknown dimension \"%.*s\" (form_of_violence, month, commune, "
                           "age_band, sex)",
                           (int)len, p);
        if (found >= 0)
            t->by[t->n_by++] = found;
        p += len + (p[len] == ',');
    }
    return TC_OK;
}

/* The values of dimension `d` in a case's report ("unknown" when absent). */
static size_t
dim_values(const json_t *report, const char *created_month, int d, struct tc_arena *arena,
           const char **out)
{
    const char *v = json_string_value(json_object_get(report, dims[d].field));
    size_t n = 0;

    if ((v == NULL || v[0] == '\0') && d == 1)
        v = created_month;
    if (v == NULL || v[0] == '\0') {
        out[0] = "unknown";
        return 1;
    }
    if (!dims[d].multi) {
        out[0] = tc_arena_strdup(arena, v);
        return out[0] != NULL;
    }
    while (*v != '\0' && n < AGG_VALUES) {
        size_t len = strcspn(v, " ");
        bool seen = false;

        for (size_t i = 0; len > 0 && i < n; i++)
            seen |= strlen(out[i]) == len && strncmp(out[i], v, len) == 0;
        if (len > 0 && !seen && (out[n] = tc_arena_strndup(arena, v, len)) != NULL)
            n++;
        v += len + (v[len] == ' ');
    }
    if (n == 0)
        out[n++] = "unknown";
    return n;
}

static bool
same_key(const struct tc_count_cell *c, const char *const *key, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(c->key[i], key[i]) != 0)
            return false;
    return true;
}

static struct tc_count_cell *
cell_add(struct tc_count_cell **cells, size_t *n, size_t *cap, const char *const *key, size_t n_key,
         struct tc_arena *arena)
{
    for (size_t i = 0; i < *n; i++)
        if (same_key(&(*cells)[i], key, n_key))
            return &(*cells)[i];
    if (*n == *cap) {
        size_t cap2 = *cap > 0 ? *cap * 2 : 64;
        struct tc_count_cell *grown = tc_arena_calloc(arena, cap2, sizeof(*grown));

        if (grown == NULL)
            return NULL;
        if (*n > 0)
            memcpy(grown, *cells, *n * sizeof(*grown));
        *cells = grown;
        *cap = cap2;
    }
    for (size_t i = 0; i < n_key; i++)
        (*cells)[*n].key[i] = key[i];
    return &(*cells)[(*n)++];
}

/* Count one case into every cell and margin its values fall in. */
static enum tc_status
count_case(struct table *t, const json_t *report, const char *month, size_t *cap_margins,
           struct tc_arena *arena, struct tc_error *err)
{
    const char *values[AGG_DIMS][AGG_VALUES];
    size_t n[AGG_DIMS], idx[AGG_DIMS] = {0};

    for (size_t i = 0; i < t->n_by; i++) {
        n[i] = dim_values(report, month, t->by[i], arena, values[i]);
        for (size_t j = 0; j < n[i]; j++) {
            struct tc_count_cell *m = cell_add(&t->margins[i], &t->n_margins[i], &cap_margins[i],
                                               &values[i][j], 1, arena);

            if (m == NULL)
                return tc_fail(err, TC_ENOMEM, "out of memory");
            m->count++;
        }
    }
    for (;;) { /* every combination of the case's values */
        const char *key[AGG_DIMS];
        struct tc_count_cell *c;
        size_t i = 0;

        for (size_t d = 0; d < t->n_by; d++)
            key[d] = values[d][idx[d]];
        if ((c = cell_add(&t->cells, &t->n_cells, &t->cap_cells, key, t->n_by, arena)) == NULL)
            return tc_fail(err, TC_ENOMEM, "out of memory");
        c->count++;
        while (i < t->n_by && ++idx[i] == n[i])
            idx[i++] = 0;
        if (i == t->n_by)
            break;
    }
    t->total++;
    return TC_OK;
}

/* Cells and margins below k hidden, then hidden again until no sum gives one away. */
static void
suppress(struct table *t, long long k)
{
    tc_suppress(t->cells, t->n_cells, t->n_by, t->margins, t->n_margins, k);
}

static json_t *
cell_json(const struct table *t, const struct tc_count_cell *c, size_t n_key, const int *by)
{
    json_t *o = json_object();

    for (size_t i = 0; o != NULL && i < n_key; i++)
        json_object_set_new(o, n_key == 1 && by == NULL ? "value" : dims[t->by[i]].name,
                            json_string(c->key[i]));
    json_object_set_new(o, "count", c->suppressed ? json_null() : json_integer(c->count));
    json_object_set_new(o, "suppressed", json_boolean(c->suppressed));
    return o;
}

static json_t *
table_json(const struct table *t, long long k)
{
    json_t *by = json_array(), *cells = json_array(), *margins = json_object();

    for (size_t d = 0; d < t->n_by; d++) {
        json_t *m = json_array();

        json_array_append_new(by, json_string(dims[t->by[d]].name));
        for (size_t i = 0; i < t->n_margins[d]; i++)
            json_array_append_new(m, cell_json(t, &t->margins[d][i], 1, NULL));
        json_object_set_new(margins, dims[t->by[d]].name, m);
    }
    for (size_t i = 0; i < t->n_cells; i++)
        json_array_append_new(cells, cell_json(t, &t->cells[i], t->n_by, t->by));
    return json_pack("{s:o, s:I, s:o, s:o, s:o}", "by", by, "k", (json_int_t)k, "total",
                     t->total < k ? json_null() : json_integer(t->total), "cells", cells, "margins",
                     margins);
}

enum tc_status
tc_handle_cases_aggregate(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_arena *arena = tc_req_arena(req);
    struct tc_principal who = {0};
    struct tc_policy_object reach;
    struct tc_caselog_report *rows;
    struct tc_db_conn *conn;
    struct table t = {0};
    size_t n, cap_margins[AGG_DIMS] = {0};
    long long k = (long long)query_size(req, "k", K_DEFAULT, 1000);
    enum tc_status st;

    if (k < K_DEFAULT) /* a caller may ask for more caution, never for less */
        k = K_DEFAULT;
    if ((st = require(req, &who, TC_ACT_CASE_AGGREGATE, NULL, err)) != TC_OK)
        return st;
    reach = own_reach(&who);
    if ((st = tc_auth_check(req, &who, TC_ACT_CASE_AGGREGATE, &reach, err)) != TC_OK ||
        (st = parse_by(tc_req_query(req, "by"), &t, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    st = tc_caselog_reports(conn, who.role == TC_ROLE_ESCROW ? 0 : who.unit_id, who.province_code,
                            arena, &rows, &n, err);
    for (size_t i = 0; st == TC_OK && i < n; i++) {
        json_t *report = json_loads(rows[i].report_json, 0, NULL);

        st = count_case(&t, report, rows[i].created_month, cap_margins, arena, err);
        json_decref(report);
    }
    if (st != TC_OK ||
        (st = audit_case(req, &who, "case.aggregate", NULL, NULL, "ok", NULL, err)) != TC_OK)
        return st;
    suppress(&t, k);
    return reply(resp, table_json(&t, k), err);
}
