#include "handlers/api_forms.h"

#include <string.h>

#include <jansson.h>

#include "auth.h"
#include "form_admin.h"
#include "http.h"
#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/forms.h"

/* An account allowed `action`; a state change by cookie must carry the CSRF token. */
static enum tc_status
account(struct tc_request *req, enum tc_action action, bool changes, struct tc_principal *who,
        struct tc_error *err)
{
    enum tc_status st = tc_auth_require(req, who, err);

    if (st != TC_OK)
        return st;
    if (who->kind != TC_PRINCIPAL_USER)
        return tc_fail(err, TC_EFORBIDDEN, "permission denied");
    if (changes && (st = tc_auth_csrf(req, who, NULL, err)) != TC_OK)
        return st;
    return tc_auth_check(req, who, action, NULL, err);
}

static json_t *
form_json(const struct tc_form_row *r)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:b, s:s?, s:s?}", "id",
                     (json_int_t)r->id, "formId", r->form_id, "version", r->version, "title",
                     r->title, "state", tc_form_state_name(r->state), "md5", r->md5, "mediaCount",
                     (json_int_t)r->n_media, "confidential", r->is_confidential, "protected",
                     r->has_protected, "createdAt", r->created_at, "publishedAt", r->published_at);
}

static enum tc_status
reply(struct tc_response *resp, json_t *body, struct tc_error *err)
{
    enum tc_status st =
        body != NULL ? tc_resp_json(resp, body, err) : tc_fail(err, TC_ENOMEM, "out of memory");

    json_decref(body);
    return st;
}

static bool
query_true(struct tc_request *req, const char *name)
{
    const char *v = tc_req_query(req, name);

    return v != NULL && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

enum tc_status
tc_api_forms_list(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    struct tc_form_row *rows = NULL;
    struct tc_db_conn *conn;
    json_t *list;
    size_t n = 0;
    enum tc_status st;

    if ((st = account(req, TC_ACT_FORM_MANAGE, false, &who, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = tc_forms_list(conn, NULL, tc_req_arena(req), &rows, &n, err)) != TC_OK)
        return st;
    if ((list = json_array()) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (json_array_append_new(list, form_json(&rows[i])) != 0) {
            json_decref(list);
            return tc_fail(err, TC_ENOMEM, "out of memory");
        }
    return reply(resp, json_pack("{s:o}", "forms", list), err);
}

enum tc_status
tc_api_forms_upload(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    struct tc_form_row row;
    struct tc_db_conn *conn;
    size_t len = 0;
    const char *body = tc_req_body(req, &len);
    enum tc_status st;

    if ((st = account(req, TC_ACT_FORM_MANAGE, true, &who, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    st = tc_form_admin_add(conn, (const unsigned char *)body, len, !query_true(req, "draft"),
                           who.id, tc_req_arena(req), &row, err);
    if (st != TC_OK)
        return st;
    tc_resp_status(resp, 201);
    return reply(resp, form_json(&row), err);
}

/* The version named by :form and :v ("v" + version). */
static enum tc_status
named_version(struct tc_request *req, struct tc_db_conn *conn, struct tc_form_row *row,
              struct tc_error *err)
{
    const char *form = tc_req_param(req, "form"), *v = tc_req_param(req, "v");
    enum tc_status st;

    if (form == NULL || v == NULL || v[0] != 'v')
        return tc_fail(err, TC_ENOTFOUND, "not found");
    st = tc_forms_get(conn, form, v + 1, tc_req_arena(req), row, err);
    if (st == TC_ENOTFOUND)
        return tc_fail(err, TC_ENOTFOUND, "form \"%s\" has no version \"%s\"", form, v + 1);
    return st;
}

enum tc_status
tc_api_forms_publish(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    struct tc_form_row row;
    struct tc_db_conn *conn;
    enum tc_status st;

    if ((st = account(req, TC_ACT_FORM_MANAGE, true, &who, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = named_version(req, conn, &row, err)) != TC_OK ||
        (st = tc_forms_publish(conn, row.form_id, row.version, err)) != TC_OK ||
        (st = tc_forms_get_by_id(conn, row.id, tc_req_arena(req), &row, err)) != TC_OK)
        return st;
    return reply(resp, form_json(&row), err);
}

enum tc_status
tc_api_forms_close(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    struct tc_db_conn *conn;
    bool now = query_true(req, "now");
    size_t n = 0;
    enum tc_status st;

    if ((st = account(req, TC_ACT_FORM_MANAGE, true, &who, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    st = tc_forms_close(conn, tc_req_param(req, "form"), NULL,
                        now ? TC_FORM_CLOSED : TC_FORM_CLOSING, &n, err);
    if (st != TC_OK)
        return st;
    return reply(resp,
                 json_pack("{s:s, s:s, s:I}", "formId", tc_req_param(req, "form"), "state",
                           now ? "closed" : "closing", "versions", (json_int_t)n),
                 err);
}

enum tc_status
tc_api_forms_media(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    struct tc_form_row row;
    struct tc_db_conn *conn;
    const char *name = tc_req_param(req, "name");
    const char *type = tc_req_header(req, "Content-Type");
    size_t len = 0;
    const char *body = tc_req_body(req, &len);
    enum tc_status st;

    if ((st = account(req, TC_ACT_FORM_MANAGE, true, &who, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if (type == NULL || strncmp(type, "application/x-www-form-urlencoded", 33) == 0)
        type = tc_form_admin_media_type(name);
    if ((st = named_version(req, conn, &row, err)) != TC_OK ||
        (st = tc_forms_media_put(conn, row.id, name, type, (const unsigned char *)body, len,
                                 err)) != TC_OK)
        return st;
    tc_resp_status(resp, 201);
    return reply(resp,
                 json_pack("{s:s, s:s, s:s, s:I}", "formId", row.form_id, "filename", name,
                           "contentType", type, "size", (json_int_t)len),
                 err);
}
