#include "handlers/openrosa.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "form_cache.h"
#include "handlers/protect.h"
#include "handlers/score_hook.h"
#include "http.h"
#include "tincay/app_users.h"
#include "tincay/arena.h"
#include "tincay/cases.h"
#include "tincay/config.h"
#include "tincay/db.h"
#include "tincay/form.h"
#include "tincay/forms.h"
#include "tincay/log.h"
#include "tincay/spool.h"
#include "tincay/strbuf.h"
#include "tincay/submissions.h"
#include "tincay/upload.h"
#include "tincay/vault.h"

#define XML_TYPE     "text/xml; charset=utf-8"
#define MAX_FILES    100u
#define ACCEPT_LEN_S "52428800" /* TC_OPENROSA_MAX_BODY in decimal */

_Static_assert(TC_OPENROSA_MAX_BODY == 52428800u, "ACCEPT_LEN_S must match TC_OPENROSA_MAX_BODY");

/* ---- common ---- */

static enum tc_status
openrosa_headers(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    enum tc_status st = tc_resp_header(resp, "X-OpenRosa-Version", "1.0", err);

    if (st == TC_OK)
        st = tc_resp_header(resp, "X-OpenRosa-Accept-Content-Length", ACCEPT_LEN_S, err);
    if (st == TC_OK)
        st = tc_resp_header(resp, "Content-Language", tc_lang_name(tc_req_lang(req)), err);
    return st;
}

/* <OpenRosaResponse> with one message; `nature` "" for success, "error" otherwise. */
static void
envelope(struct tc_response *resp, const char *nature, const char *message)
{
    struct tc_strbuf *b = tc_resp_body(resp);

    tc_strbuf_reset(b);
    tc_strbuf_appendf(b,
                      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<OpenRosaResponse xmlns=\"http://openrosa.org/http/response\" "
                      "items=\"0\">\n  <message nature=\"%s\">",
                      nature);
    tc_strbuf_append_xml_escaped(b, message);
    tc_strbuf_appends(b, "</message>\n</OpenRosaResponse>\n");
    tc_resp_content_type(resp, XML_TYPE);
}

void
tc_openrosa_render_error(struct tc_request *req, struct tc_response *resp, enum tc_status status,
                         const struct tc_error *err)
{
    struct tc_error ignored = TC_ERROR_INIT(tc_req_lang(req));
    const char *msg =
        err->msg[0] != '\0' ? err->msg : tc_tr(tc_req_lang(req), tc_status_message(status));

    openrosa_headers(req, resp, &ignored);
    if (status == TC_EUNAUTH)
        tc_auth_challenge(resp, &ignored);
    envelope(resp, "error", msg);
}

/* The principal, insisting on one (anonymous: 401 with a challenge, added by render). */
static enum tc_status
require(struct tc_request *req, struct tc_principal *who, struct tc_error *err)
{
    return tc_auth_require(req, who, err);
}

/*
 * May `who` act on the form version `row`? App users: only their assigned forms (403; the
 * versions assigned were read with the token, in the same request); accounts: the policy
 * table.
 */
static enum tc_status
may(struct tc_request *req, const struct tc_principal *who, enum tc_action action,
    const struct tc_form_row *row, struct tc_error *err)
{
    if (who->kind != TC_PRINCIPAL_APP_USER)
        return tc_auth_check(
            req, who, action,
            &(struct tc_policy_object){.form_id = row->id, .unit_id = who->unit_id}, err);
    for (size_t i = 0; who->forms != NULL && i < who->n_forms; i++)
        if (who->forms[i] == row->id)
            return TC_OK;
    return tc_fail(err, TC_EFORBIDDEN, "form \"%s\" is not assigned to this app user",
                   row->form_id);
}

/* TINCAY_PUBLIC_URL, then /key/<token> for app users: never the Host header. */
static void
append_base(struct tc_request *req, struct tc_strbuf *b)
{
    const char *token = tc_req_param(req, "token");

    tc_strbuf_append_xml_escaped(b, tc_server_config(tc_req_server(req))->public_url);
    if (token != NULL) {
        tc_strbuf_appends(b, "/key/");
        tc_strbuf_append_url_escaped(b, token);
    }
}

/*
 * base/forms/<form>/v<version>/<tail>[/<name>]. Percent-encoded segments hold no character
 * XML would need escaped.
 */
static void
append_form_url(struct tc_request *req, struct tc_strbuf *b, const struct tc_form_row *row,
                const char *tail, const char *name)
{
    append_base(req, b);
    tc_strbuf_appends(b, "/forms/");
    tc_strbuf_append_url_escaped(b, row->form_id);
    tc_strbuf_appends(b, "/v");
    tc_strbuf_append_url_escaped(b, row->version);
    tc_strbuf_appendc(b, '/');
    tc_strbuf_appends(b, tail);
    if (name != NULL) {
        tc_strbuf_appendc(b, '/');
        tc_strbuf_append_url_escaped(b, name);
    }
}

static void
append_element(struct tc_strbuf *b, const char *name, const char *text)
{
    tc_strbuf_appendf(b, "<%s>", name);
    tc_strbuf_append_xml_escaped(b, text);
    tc_strbuf_appendf(b, "</%s>", name);
}

/* ---- formList ---- */

static void
append_xform(struct tc_request *req, struct tc_strbuf *b, const struct tc_form_row *row)
{
    tc_strbuf_appends(b, "  <xform>");
    append_element(b, "formID", row->form_id);
    append_element(b, "name", row->title[0] != '\0' ? row->title : row->form_id);
    append_element(b, "version", row->version);
    tc_strbuf_appendf(b, "<hash>md5:%s</hash><downloadUrl>", row->md5);
    append_form_url(req, b, row, "form.xml", NULL);
    tc_strbuf_appends(b, "</downloadUrl>");
    if (row->n_media > 0) {
        tc_strbuf_appends(b, "<manifestUrl>");
        append_form_url(req, b, row, "manifest", NULL);
        tc_strbuf_appends(b, "</manifestUrl>");
    }
    tc_strbuf_appends(b, "</xform>\n");
}

enum tc_status
tc_openrosa_form_list(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    struct tc_forms_filter filter = {.published_only = true};
    struct tc_form_row *rows = NULL;
    struct tc_db_conn *conn;
    struct tc_strbuf *b = tc_resp_body(resp);
    const char *only = tc_req_query(req, "formID");
    const char *prev = NULL;
    size_t n = 0;
    enum tc_status st;

    if ((st = require(req, &who, err)) != TC_OK)
        return st;
    if (who.kind == TC_PRINCIPAL_APP_USER)
        filter.app_user_id = who.id;
    else if ((st = tc_auth_check(req, &who, TC_ACT_FORM_LIST, NULL, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL ||
        (st = tc_forms_list(conn, &filter, tc_req_arena(req), &rows, &n, err)) != TC_OK)
        return conn == NULL ? err->status : st;
    tc_strbuf_appends(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                         "<xforms xmlns=\"http://openrosa.org/xforms/xformsList\">\n");
    /* Newest first within a form id: the first row of each id is the one to list. */
    for (size_t i = 0; i < n; i++) {
        if ((prev != NULL && strcmp(prev, rows[i].form_id) == 0) ||
            (only != NULL && strcmp(only, rows[i].form_id) != 0))
            continue;
        prev = rows[i].form_id;
        append_xform(req, b, &rows[i]);
    }
    tc_strbuf_appends(b, "</xforms>\n");
    tc_resp_content_type(resp, XML_TYPE);
    return openrosa_headers(req, resp, err);
}

/* ---- form download, manifest, media ---- */

/*
 * The published version named by the :form and :v captures, which `who` may download.
 * Versions in another state are not found here: closing forms are not handed out again.
 */
static enum tc_status
downloadable(struct tc_request *req, struct tc_principal *who, struct tc_db_conn **conn_out,
             struct tc_form_row *row, struct tc_error *err)
{
    const char *form = tc_req_param(req, "form");
    const char *v = tc_req_param(req, "v");
    enum tc_status st;

    if ((st = require(req, who, err)) != TC_OK)
        return st;
    if (form == NULL || v == NULL || v[0] != 'v')
        return tc_fail(err, TC_ENOTFOUND, "not found");
    if ((*conn_out = tc_req_db(req, err)) == NULL)
        return err->status;
    st = tc_forms_get(*conn_out, form, v + 1, tc_req_arena(req), row, err);
    if (st == TC_ENOTFOUND || (st == TC_OK && row->state != TC_FORM_PUBLISHED))
        return tc_fail(err, TC_ENOTFOUND, "form \"%s\" version \"%s\" is not published", form,
                       v + 1);
    if (st != TC_OK)
        return st;
    return may(req, who, TC_ACT_FORM_DOWNLOAD, row, err);
}

enum tc_status
tc_openrosa_form_download(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    struct tc_db_conn *conn = NULL;
    struct tc_form_row row;
    enum tc_status st = downloadable(req, &who, &conn, &row, err);

    if (st != TC_OK)
        return st;
    tc_strbuf_append(tc_resp_body(resp), row.xml, row.xml_len);
    tc_resp_content_type(resp, XML_TYPE);
    if ((st = openrosa_headers(req, resp, err)) != TC_OK)
        return st;
    return tc_resp_header(resp, "ETag", tc_arena_printf(tc_req_arena(req), "\"%s\"", row.md5), err);
}

enum tc_status
tc_openrosa_manifest(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    struct tc_db_conn *conn = NULL;
    struct tc_form_row row;
    struct tc_form_media *media = NULL;
    struct tc_strbuf *b = tc_resp_body(resp);
    size_t n = 0;
    enum tc_status st = downloadable(req, &who, &conn, &row, err);

    if (st != TC_OK ||
        (st = tc_forms_media_list(conn, row.id, tc_req_arena(req), &media, &n, err)) != TC_OK)
        return st;
    tc_strbuf_appends(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                         "<manifest xmlns=\"http://openrosa.org/xforms/xformsManifest\">\n");
    for (size_t i = 0; i < n; i++) {
        tc_strbuf_appends(b, "  <mediaFile>");
        append_element(b, "filename", media[i].filename);
        tc_strbuf_appendf(b, "<hash>md5:%s</hash><downloadUrl>", media[i].md5);
        append_form_url(req, b, &row, "media", media[i].filename);
        tc_strbuf_appends(b, "</downloadUrl></mediaFile>\n");
    }
    tc_strbuf_appends(b, "</manifest>\n");
    tc_resp_content_type(resp, XML_TYPE);
    return openrosa_headers(req, resp, err);
}

enum tc_status
tc_openrosa_media(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    struct tc_db_conn *conn = NULL;
    struct tc_form_row row;
    struct tc_form_media m;
    const char *name = tc_req_param(req, "name");
    enum tc_status st = downloadable(req, &who, &conn, &row, err);

    if (st != TC_OK)
        return st;
    st = tc_forms_media_get(conn, row.id, name, tc_req_arena(req), &m, err);
    if (st == TC_ENOTFOUND)
        return tc_fail(err, TC_ENOTFOUND, "form \"%s\" has no media file \"%s\"", row.form_id,
                       name);
    if (st != TC_OK)
        return st;
    tc_strbuf_append(tc_resp_body(resp), m.bytes, m.size);
    tc_resp_content_type(resp, m.content_type);
    if ((st = openrosa_headers(req, resp, err)) != TC_OK)
        return st;
    return tc_resp_header(resp, "ETag", tc_arena_printf(tc_req_arena(req), "\"%s\"", m.md5), err);
}

/* ---- submission ---- */

enum tc_status
tc_openrosa_submission_head(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    enum tc_status st;

    if ((st = require(req, &who, err)) != TC_OK)
        return st;
    tc_resp_status(resp, 204);
    return openrosa_headers(req, resp, err);
}

/* What POST /submission keeps between the chunks of its body and its handler. */
struct post {
    struct tc_principal who;
    struct tc_spool *spool;
    struct tc_upload_parser *up;
};

/* The first chunk (or an empty body): who is it, and is it multipart at all? */
static enum tc_status
post_begin(struct tc_request *req, struct post **out, struct tc_error *err)
{
    struct tc_arena *arena = tc_req_arena(req);
    const struct tc_config *cfg = tc_server_config(tc_req_server(req));
    const char *type = tc_req_header(req, "Content-Type");
    struct post *p = tc_arena_calloc(arena, 1, sizeof(*p));
    struct tc_upload_limits limits = {.max_xml_bytes = TC_SUBMISSION_MAX_BYTES,
                                      .max_parts = MAX_FILES};
    enum tc_status st;

    if (p == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    st = require(req, &p->who, err);
    if (st == TC_OK) /* a browser's session cookie needs the page's CSRF token */
        st = tc_auth_csrf(req, &p->who, NULL, err);
    /* The body may take minutes to arrive from a village: hold no connection meanwhile. */
    tc_req_db_release(req);
    if (st != TC_OK)
        return st;
    if (type == NULL)
        return tc_fail(err, TC_EUNSUPPORTED, "content type must be multipart/form-data");
    p->spool =
        tc_spool_create(cfg->data_dir, TC_OPENROSA_MAX_BODY, TC_OPENROSA_MAX_BODY, arena, err);
    if (p->spool == NULL)
        return err->status;
    limits.encrypt = tc_protect_spool_encrypt(&p->who);
    if ((p->up = tc_upload_create(type, p->spool, &limits, arena, err)) == NULL)
        return err->status;
    tc_req_set_state(req, p);
    *out = p;
    return TC_OK;
}

enum tc_status
tc_openrosa_submission_chunk(struct tc_request *req, const char *data, size_t len,
                             struct tc_error *err)
{
    struct post *p = tc_req_state(req);
    enum tc_status st;

    if (p == NULL && (st = post_begin(req, &p, err)) != TC_OK)
        return st;
    return tc_upload_feed(p->up, data, len, err);
}

/* A random instance id for a submission without one (as Central does). */
static const char *
new_instance_id(struct tc_arena *arena)
{
    unsigned char r[16];

    randombytes_buf(r, sizeof(r));
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    return tc_arena_printf(arena,
                           "uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x"
                           "%02x",
                           r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11],
                           r[12], r[13], r[14], r[15]);
}

/* The tc:role fields of the submission into the ingest record. */
static void
set_roles(const struct tc_submission *sub, struct tc_arena *arena, struct tc_ingest *in)
{
    for (size_t i = 0; i < sub->n_roles; i++) {
        const struct tc_submission_value *v = &sub->role_values[i];
        const char *colon;

        if (v->field == NULL || v->value == NULL || v->value[0] == '\0')
            continue;
        switch (v->field->role) {
        case TC_FIELD_ROLE_COMMUNE:
            colon = strchr(v->value, ':');
            if (colon != NULL &&
                (strncmp(v->value, "pre2025:", 8) == 0 || strncmp(v->value, "post2025:", 9) == 0)) {
                in->commune_era = tc_arena_strndup(arena, v->value, (size_t)(colon - v->value));
                in->commune_code = colon + 1;
            }
            break;
        case TC_FIELD_ROLE_VILLAGE: in->village = v->value; break;
        case TC_FIELD_ROLE_CASE_CODE: in->case_code = v->value; break;
        case TC_FIELD_ROLE_NONE: break;
        }
    }
}

/* The version the submission names, if it still accepts submissions from `who`. */
static enum tc_status
find_form(struct tc_request *req, struct tc_db_conn *conn, const struct post *p,
          const struct tc_submission *env, struct tc_form_row *row, struct tc_error *err)
{
    enum tc_status st;

    if (env->form_id == NULL || env->form_id[0] == '\0')
        return tc_fail(err, TC_EBADREQ, "the submission's root element has no id attribute");
    st = tc_forms_get_head(conn, env->form_id, env->version, tc_req_arena(req), row, err);
    if (st == TC_ENOTFOUND) {
        struct tc_form_row any;

        if (tc_forms_latest(conn, env->form_id, tc_req_arena(req), &any, err) == TC_OK)
            return tc_fail(err, TC_ENOTFOUND, "form \"%s\" has no version \"%s\"", env->form_id,
                           env->version);
        return tc_fail(err, TC_ENOTFOUND, "form \"%s\" does not exist", env->form_id);
    }
    if (st != TC_OK)
        return st;
    st = may(req, &p->who, row->is_confidential ? TC_ACT_CASE_CREATE : TC_ACT_SUBMISSION_CREATE,
             row, err);
    if (st != TC_OK)
        return st;
    if (row->state == TC_FORM_DRAFT)
        return tc_fail(err, TC_ENOTFOUND, "form \"%s\" version \"%s\" is not published",
                       env->form_id, env->version);
    if (!tc_form_state_accepts_submissions(row->state))
        return tc_fail(err, TC_ECONFLICT, "form \"%s\" is closed and accepts no submissions",
                       env->form_id);
    /* Confidential forms are sealed to a unit (handlers/protect.c), personal ones here. */
    if (!row->is_confidential && row->has_protected &&
        tc_server_keyring(tc_req_server(req)) == NULL)
        return tc_fail(err, TC_EBUSY,
                       "form \"%s\" has protected fields and sealing is not available on this "
                       "server yet: nothing was stored, please send again later",
                       env->form_id);
    return TC_OK;
}

/* In the submission's transaction: the data key that opens its sealed XML and values. */
static enum tc_status
store_keys(struct tc_db_conn *conn, long long submission, void *ctx, struct tc_error *err)
{
    return tc_submission_keys_store_personal(conn, submission, ctx, err);
}

/*
 * A form with `personal` fields: the XML and every protected value sealed under a fresh
 * data key wrapped by the server's key; nothing of them is stored in plaintext.
 */
static enum tc_status
seal_personal(struct tc_request *req, const struct tc_upload *up, const struct tc_submission *sub,
              struct tc_ingest *in, struct tc_error *err)
{
    struct tc_arena *arena = tc_req_arena(req);
    struct tc_plain_value *pv = tc_arena_calloc(arena, sub->n_protected + 1, sizeof(*pv));
    struct tc_personal_sealed *sealed = tc_arena_calloc(arena, 1, sizeof(*sealed));
    size_t n = 0;
    enum tc_status st;

    if (pv == NULL || sealed == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < sub->n_protected; i++) {
        const struct tc_submission_value *v = &sub->protected_values[i];

        if (v->value != NULL && v->value[0] != '\0')
            pv[n++] = (struct tc_plain_value){v->path, v->value, strlen(v->value)};
    }
    st = tc_personal_seal(tc_server_keyring(tc_req_server(req)), in->form_id, in->instance_id, pv,
                          n, up->xml, up->xml_len, arena, sealed, err);
    if (st != TC_OK)
        return st;
    in->xml = NULL;
    in->xml_len = 0;
    in->xml_sealed = sealed->xml;
    in->xml_sealed_len = sealed->xml_len;
    in->key_id = sealed->key_id;
    in->on_new_row = store_keys;
    in->on_new_row_ctx = sealed;
    return TC_OK;
}

/* Everything tc_submission_store needs, from the parsed submission and the upload. */
static enum tc_status
build_ingest(struct tc_request *req, const struct post *p, const struct tc_upload *up,
             const struct tc_form_row *row, const struct tc_submission *sub, struct tc_ingest *in,
             struct tc_error *err)
{
    struct tc_arena *arena = tc_req_arena(req);
    struct tc_ingest_finding *f = tc_arena_calloc(arena, sub->n_findings + 1, sizeof(*f));
    struct tc_ingest_attachment *a = tc_arena_calloc(arena, up->n_files + 1, sizeof(*a));
    unsigned char digest[crypto_hash_sha256_BYTES];
    char *hex = tc_arena_alloc(arena, crypto_hash_sha256_BYTES * 2 + 1);

    if (f == NULL || a == NULL || hex == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    crypto_hash_sha256(digest, up->xml, up->xml_len);
    sodium_bin2hex(hex, crypto_hash_sha256_BYTES * 2 + 1, digest, sizeof(digest));
    for (size_t i = 0; i < sub->n_findings; i++)
        f[i] = (struct tc_ingest_finding){sub->findings[i].path, sub->findings[i].rule,
                                          sub->findings[i].message};
    for (size_t i = 0; i < up->n_files; i++)
        a[i] = (struct tc_ingest_attachment){.name = up->files[i].name,
                                             .content_type = up->files[i].content_type,
                                             .file = up->files[i].file};
    *in = (struct tc_ingest){
        .form = row->id,
        .form_id = row->form_id,
        .form_version = row->version,
        .instance_id = sub->instance_id[0] != '\0' ? sub->instance_id : new_instance_id(arena),
        .deprecated_id = sub->deprecated_id[0] != '\0' ? sub->deprecated_id : NULL,
        .xml = up->xml,
        .xml_len = up->xml_len,
        .xml_sha256 = hex,
        .values_json = sub->values_json,
        .findings = f,
        .n_findings = sub->n_findings,
        .expected = sub->attachments,
        .n_expected = sub->n_attachments,
        .attachments = a,
        .n_attachments = up->n_files,
        .is_incomplete = up->is_incomplete,
        .submitter_id = p->who.kind == TC_PRINCIPAL_USER ? p->who.id : 0,
        .app_user_id = p->who.kind == TC_PRINCIPAL_APP_USER ? p->who.id : 0,
        .device_id = tc_req_query(req, "deviceID"),
        .client_addr = tc_req_client_addr(req),
    };
    if (in->instance_id == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    set_roles(sub, arena, in);
    return row->has_protected && !row->is_confidential ? seal_personal(req, up, sub, in, err)
                                                       : TC_OK;
}

/* The 201 answer: what happened, in the collector's language. */
static void
answer_stored(struct tc_request *req, struct tc_response *resp, const struct tc_ingest_result *res,
              size_t n_findings)
{
    struct tc_error m = TC_ERROR_INIT(tc_req_lang(req));

    if (!res->is_complete && res->n_missing > 0)
        tc_fail(&m, TC_OK, "submission received; waiting for %zu more file(s)", res->n_missing);
    else if (n_findings > 0)
        tc_fail(&m, TC_OK,
                "full submission upload was successful; %zu answer(s) break the form's rules "
                "and will be reviewed",
                n_findings);
    else
        tc_fail(&m, TC_OK, "full submission upload was successful");
    envelope(resp, "", m.msg);
    tc_resp_status(resp, 201);
}

/* What the submission's model is chosen with (tc_model_for_fn), and what it chose. */
struct choice {
    struct tc_request *req;
    struct post *p;
    struct tc_db_conn *conn;
    struct tc_form_row row;
    const struct tc_form_model *model;
    struct tc_form_model *owned;
};

static enum tc_status
choose_model(void *ctx, const struct tc_submission *env, const struct tc_form_model **model,
             struct tc_error *err)
{
    struct choice *c = ctx;
    struct tc_form_cache *cache = tc_server_forms(tc_req_server(c->req));
    struct tc_form_row full;
    enum tc_status st;

    if ((c->conn = tc_req_db(c->req, err)) == NULL)
        return err->status;
    if ((st = find_form(c->req, c->conn, c->p, env, &c->row, err)) != TC_OK)
        return st;
    if ((*model = c->model = tc_form_cache_find(cache, &c->row)) != NULL)
        return TC_OK;
    /* Not kept yet: the XML is fetched only now, to load the model once. */
    if ((st = tc_forms_get_by_id(c->conn, c->row.id, tc_req_arena(c->req), &full, err)) != TC_OK)
        return st;
    st = tc_form_cache_get(cache, &full, tc_form_stored_media,
                           &(struct tc_stored_media){c->conn, full.id, tc_req_arena(c->req)}, model,
                           &c->owned, err);
    if (st != TC_OK) {
        tc_error_detail(err, "stored form \"%s\" does not load", c->row.form_id);
        return st == TC_ENOMEM ? st : TC_EINTERNAL;
    }
    c->model = *model;
    return TC_OK;
}

static enum tc_status
store(struct tc_request *req, struct tc_response *resp, struct post *p, const struct tc_upload *up,
      struct tc_error *err)
{
    struct choice c = {.req = req, .p = p};
    struct tc_submission *sub = NULL;
    struct tc_ingest in;
    struct tc_ingest_result res;
    enum tc_status st;

    st = tc_submission_parse_with((const char *)up->xml, up->xml_len, choose_model, &c,
                                  tc_req_lang(req), tc_req_arena(req), &sub, err);
    if (st == TC_OK)
        st = build_ingest(req, p, up, &c.row, sub, &in, err);
    if (st == TC_OK && c.row.is_confidential)
        st = tc_protect_ingest(req, &p->who, c.model, sub, &in, NULL, err);
    if (st == TC_OK && !c.row.is_confidential && c.row.ruleset_id != NULL)
        st = tc_score_hook_attach(tc_server_forms(tc_req_server(req)), c.conn, c.row.ruleset_id,
                                  c.row.ruleset_version, &in, tc_req_arena(req), err);
    if (st == TC_OK)
        st = tc_submission_store(c.conn, &in, &res, err);
    if (st == TC_OK) {
        answer_stored(req, resp, &res, sub->n_findings);
        st = openrosa_headers(req, resp, err);
    }
    tc_form_model_free(c.owned);
    return st;
}

enum tc_status
tc_openrosa_submission(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct post *p = tc_req_state(req);
    struct tc_upload up;
    enum tc_status st;

    if (p == NULL && (st = post_begin(req, &p, err)) != TC_OK) /* an empty body */
        return st;
    if ((st = tc_upload_finish(p->up, &up, err)) != TC_OK)
        return st;
    return store(req, resp, p, &up, err);
}
