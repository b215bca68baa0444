#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "form_admin.h"
#include "http.h"
#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/fmt.h"
#include "tincay/forms.h"
#include "tincay/multipart.h"
#include "tincay/strbuf.h"
#include "web/html.h"
#include "web/page.h"
#include "web/pages.h"
#include "web/urlencoded.h"
#include "web/xform.h"

#define URL_MAX    256
#define CSRF_MAX   128
#define DETAIL_MAX 512

/* ---- multipart bodies of the upload forms: a CSRF field and one file ---- */

struct upload {
    struct tc_arena *arena;
    size_t max_file;     /* bytes of the file part */
    int part;            /* 0: other, 1: csrf, 2: file */
    char csrf[CSRF_MAX]; /* the "csrf" field */
    size_t csrf_len;
    struct tc_strbuf file; /* the "file" part */
    const char *filename;  /* its client-side name, reduced to a clean file name */
    const char *content_type;
    bool has_file;
};

static enum tc_status
upload_part_begin(void *ctx, const struct tc_multipart_part *part, struct tc_error *err)
{
    struct upload *u = ctx;

    u->part = 0;
    if (strcmp(part->name, "csrf") == 0) {
        u->part = 1;
        u->csrf_len = 0;
    } else if (strcmp(part->name, "file") == 0) {
        if (u->has_file)
            return tc_fail(err, TC_EBADREQ, "more than one file was sent");
        u->part = 2;
        u->has_file = true;
        u->filename = part->filename != NULL ? tc_arena_strdup(u->arena, part->filename) : NULL;
        u->content_type =
            part->content_type != NULL ? tc_arena_strdup(u->arena, part->content_type) : NULL;
    }
    return TC_OK;
}

static enum tc_status
upload_part_data(void *ctx, const void *data, size_t len, struct tc_error *err)
{
    struct upload *u = ctx;

    if (u->part == 1) {
        if (u->csrf_len + len >= sizeof(u->csrf))
            return tc_fail(err, TC_EFORBIDDEN, "invalid CSRF token");
        memcpy(u->csrf + u->csrf_len, data, len);
        u->csrf_len += len;
        u->csrf[u->csrf_len] = '\0';
    } else if (u->part == 2) {
        if (u->file.len + len > u->max_file)
            return tc_fail(err, TC_ETOOLARGE, "the file is larger than %zu bytes", u->max_file);
        tc_strbuf_append(&u->file, data, len);
        if (tc_strbuf_failed(&u->file))
            return tc_fail(err, TC_ENOMEM, "out of memory");
    }
    return TC_OK;
}

static void
upload_cleanup(void *ctx)
{
    struct upload *u = ctx;

    tc_strbuf_cleanup(&u->file);
}

/*
 * The buffered multipart/form-data body of `req` (an upload form of `who`): its CSRF field
 * checked, its file in `*out` (in the request's arena, with the file freed along with it).
 * TC_EINVAL when no file was chosen.
 */
static enum tc_status
read_upload(struct tc_request *req, const struct tc_principal *who, size_t max_file,
            struct upload **out, struct tc_error *err)
{
    const struct tc_multipart_callbacks cb = {upload_part_begin, upload_part_data, NULL};
    struct tc_arena *arena = tc_req_arena(req);
    const char *type = tc_req_header(req, "Content-Type");
    struct tc_multipart *mp;
    size_t len = 0;
    const char *body = tc_req_body(req, &len);
    struct upload *u = tc_arena_calloc(arena, 1, sizeof(*u));
    enum tc_status st;

    if (u == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    u->arena = arena;
    u->max_file = max_file;
    u->file = (struct tc_strbuf)TC_STRBUF_INIT(max_file + 1);
    if (tc_arena_defer(arena, upload_cleanup, u) != 0)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    *out = u;
    if ((mp = tc_multipart_create(type != NULL ? type : "", NULL, &cb, u, arena, err)) == NULL)
        return err->status;
    if ((st = tc_multipart_feed(mp, body, len, err)) != TC_OK ||
        (st = tc_multipart_finish(mp, err)) != TC_OK ||
        (st = tc_auth_csrf(req, who, u->csrf, err)) != TC_OK)
        return st;
    if (!u->has_file || u->file.len == 0)
        return tc_fail(err, TC_EINVAL, "choose a file to upload");
    return TC_OK;
}

/* <form> posting a file as multipart/form-data, with the CSRF field. */
static void
upload_form(struct tc_page *p, const char *action, const char *label, const char *accept,
            const char *hint, const char *button)
{
    tc_html_raw(p->out, "<form method=\"post\" enctype=\"multipart/form-data\"");
    tc_html_url_attr(p->out, "action", action);
    tc_html_raw(p->out, "><input type=\"hidden\" name=\"csrf\"");
    tc_html_attr(p->out, "value", p->csrf);
    tc_html_raw(p->out, "><div class=\"field\"><label for=\"f-file\">");
    tc_html_text(p->out, label);
    tc_html_raw(p->out, "</label><input type=\"file\" name=\"file\" id=\"f-file\" required");
    tc_html_attr(p->out, "accept", accept);
    tc_html_raw(p->out, " aria-describedby=\"f-file-hint\"><p class=\"hint\" id=\"f-file-hint\">");
    tc_html_text(p->out, hint);
    tc_html_raw(p->out, "</p></div>");
    tc_form_submit(p, button);
    tc_form_end(p);
}

/* ---- the list of versions ---- */

static const char *
state_label(enum tc_lang lang, enum tc_form_state state)
{
    switch (state) {
    case TC_FORM_DRAFT: return tc_tr(lang, "draft");
    case TC_FORM_PUBLISHED: return tc_tr(lang, "published");
    case TC_FORM_CLOSING: return tc_tr(lang, "closing");
    case TC_FORM_CLOSED: return tc_tr(lang, "closed");
    }
    return tc_form_state_name(state);
}

/* "/admin/forms/<id><suffix>" */
static const char *
version_url(const struct tc_request *req, long long id, const char *suffix)
{
    const char *url = tc_arena_printf(tc_req_arena(req), "/admin/forms/%lld%s", id, suffix);

    return url != NULL ? url : "/admin/forms";
}

static void
version_actions(struct tc_page *p, const struct tc_form_row *r)
{
    char question[DETAIL_MAX];

    tc_html_raw(p->out, "<td class=\"actions\">");
    if (r->state == TC_FORM_DRAFT)
        tc_form_button(p, version_url(p->req, r->id, "/publish"), tc_tr(p->lang, "Publish"));
    if (r->state == TC_FORM_PUBLISHED)
        tc_form_button_confirm(
            p, version_url(p->req, r->id, "/closing"), tc_tr(p->lang, "Stop listing"),
            tc_trf(question, sizeof(question), p->lang,
                   "Stop listing \"%s\"? Phones no longer see it, but it still accepts "
                   "submissions.",
                   r->form_id));
    if (r->state == TC_FORM_PUBLISHED || r->state == TC_FORM_CLOSING)
        tc_form_button_confirm(p, version_url(p->req, r->id, "/close"), tc_tr(p->lang, "Close"),
                               tc_trf(question, sizeof(question), p->lang,
                                      "Close \"%s\"? It then refuses every submission.",
                                      r->form_id));
    tc_html_raw(p->out, "</td>");
}

static void
version_row(struct tc_page *p, const struct tc_form_row *r)
{
    char created[TC_FMT_DATE_SIZE];

    tc_table_row_begin(p);
    tc_html_raw(p->out, "<td><a");
    tc_html_url_attr(p->out, "href", version_url(p->req, r->id, ""));
    tc_html_raw(p->out, ">");
    tc_html_text(p->out, r->form_id);
    tc_html_raw(p->out, "</a></td>");
    tc_table_cell(p, r->version);
    tc_html_raw(p->out, "<td class=\"wide\">");
    tc_html_text(p->out, r->title);
    tc_html_raw(p->out, "</td>");
    tc_html_raw(p->out, "<td><span");
    tc_html_attr(p->out, "class", tc_form_state_name(r->state));
    tc_html_raw(p->out, ">");
    tc_html_text(p->out, state_label(p->lang, r->state));
    tc_html_raw(p->out, "</span></td><td class=\"num\">");
    tc_html_textf(p->out, "%zu", r->n_media);
    tc_html_raw(p->out, "</td><td><code class=\"md5\">");
    tc_html_text(p->out, r->md5);
    tc_html_raw(p->out, "</code></td>");
    tc_table_cell(p, tc_fmt_date(r->created_at, created) == 0 ? created : NULL);
    version_actions(p, r);
    tc_table_row_end(p);
}

static enum tc_status
render_forms(struct tc_request *req, struct tc_response *resp, const struct tc_principal *who,
             const char *message, struct tc_error *err)
{
    struct tc_form_row *rows = NULL;
    struct tc_db_conn *conn;
    struct tc_page p;
    enum tc_status st;
    size_t n = 0;
    const char *headings[8];

    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = tc_forms_list(conn, NULL, tc_req_arena(req), &rows, &n, err)) != TC_OK ||
        (st = tc_page_init(&p, req, resp, who, err)) != TC_OK)
        return st;
    tc_page_begin(&p, tc_tr(p.lang, "Forms"));
    if (message != NULL)
        tc_page_message(&p, message, true);
    headings[0] = tc_tr(p.lang, "Form ID");
    headings[1] = tc_tr(p.lang, "Version");
    headings[2] = tc_tr(p.lang, "Title");
    headings[3] = tc_tr(p.lang, "State");
    headings[4] = tc_tr(p.lang, "Media");
    headings[5] = "MD5";
    headings[6] = tc_tr(p.lang, "Created");
    headings[7] = tc_tr(p.lang, "Actions");
    tc_table_begin(&p, tc_tr(p.lang, "Form versions"), headings, 8);
    for (size_t i = 0; i < n; i++)
        version_row(&p, &rows[i]);
    tc_table_end(&p);
    if (n == 0)
        tc_page_message(&p, tc_tr(p.lang, "No form has been uploaded yet."), false);
    tc_html_raw(p.out, "<h2 id=\"upload\">");
    tc_html_text(p.out, tc_tr(p.lang, "Upload a form"));
    tc_html_raw(p.out, "</h2>");
    upload_form(&p, "/admin/forms", tc_tr(p.lang, "XForm file (XML)"), ".xml,text/xml",
                tc_tr(p.lang, "At most 5 MB. It is stored as a draft; publish it when its media "
                              "are in place. A new definition needs a new version."),
                tc_tr(p.lang, "Upload"));
    tc_page_end(&p);
    return tc_page_finish(&p, err);
}

enum tc_status
tc_page_forms(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = tc_auth_check(req, &who, TC_ACT_FORM_MANAGE, NULL, err)) != TC_OK)
        return st;
    return render_forms(req, resp, &who, NULL, err);
}

enum tc_status
tc_page_forms_upload(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    struct tc_db_conn *conn;
    struct upload *u = NULL;
    struct tc_form_row row = {0};
    char message[sizeof(err->msg)];
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = tc_auth_check(req, &who, TC_ACT_FORM_MANAGE, NULL, err)) != TC_OK)
        return st;
    st = read_upload(req, &who, TC_WEB_FORM_UPLOAD_MAX, &u, err);
    if (st == TC_OK && (conn = tc_req_db(req, err)) == NULL)
        st = err->status;
    if (st == TC_OK && u != NULL)
        st = tc_form_admin_add(conn, (const unsigned char *)tc_strbuf_str(&u->file), u->file.len,
                               false, who.id, tc_req_arena(req), &row, err);
    if (st == TC_OK) {
        char detail[DETAIL_MAX];

        (void)snprintf(detail, sizeof(detail), "{\"form\": %lld}", row.id);
        tc_auth_audit(req, &who, "form.upload", "ok", detail);
        return tc_web_redirect(req, resp, version_url(req, row.id, ""), TC_FLASH_FORM_STORED, err);
    }
    if (st != TC_EINVAL && st != TC_ECONFLICT && st != TC_ETOOLARGE && st != TC_EBADREQ)
        return st;
    /* A form the library refuses: the list again, with its precise message. */
    (void)snprintf(message, sizeof(message), "%s", err->msg);
    tc_error_clear(err);
    tc_resp_status(resp, tc_status_http(st));
    return render_forms(req, resp, &who, message, err);
}

/* ---- one version: details, media, state changes ---- */

/* The version named by the `:id` capture. */
static enum tc_status
version_of(struct tc_request *req, struct tc_db_conn *conn, struct tc_form_row *row,
           struct tc_error *err)
{
    const char *s = tc_req_param(req, "id");
    char *end = NULL;
    long long id = s != NULL ? strtoll(s, &end, 10) : 0;

    if (s == NULL || end == s || *end != '\0' || id <= 0)
        return tc_fail(err, TC_ENOTFOUND, "no form version \"%s\"", s != NULL ? s : "");
    return tc_forms_get_by_id(conn, id, tc_req_arena(req), row, err);
}

static void
version_facts(struct tc_page *p, const struct tc_form_row *r)
{
    char created[TC_FMT_DATETIME_SIZE], published[TC_FMT_DATETIME_SIZE];

    tc_html_raw(p->out, "<dl class=\"facts\"><dt>");
    tc_html_text(p->out, tc_tr(p->lang, "Form ID"));
    tc_html_raw(p->out, "</dt><dd id=\"form-id\">");
    tc_html_text(p->out, r->form_id);
    tc_html_raw(p->out, "</dd><dt>");
    tc_html_text(p->out, tc_tr(p->lang, "Version"));
    tc_html_raw(p->out, "</dt><dd>");
    tc_html_text(p->out, r->version != NULL && r->version[0] != '\0' ? r->version : "–");
    tc_html_raw(p->out, "</dd><dt>");
    tc_html_text(p->out, tc_tr(p->lang, "State"));
    tc_html_raw(p->out, "</dt><dd id=\"form-state\">");
    tc_html_text(p->out, state_label(p->lang, r->state));
    tc_html_raw(p->out, "</dd><dt>MD5</dt><dd><code>");
    tc_html_text(p->out, r->md5);
    tc_html_raw(p->out, "</code></dd><dt>");
    tc_html_text(p->out, tc_tr(p->lang, "Created"));
    tc_html_raw(p->out, "</dt><dd>");
    tc_html_text(p->out, tc_fmt_datetime(r->created_at, created) == 0 ? created : r->created_at);
    tc_html_raw(p->out, "</dd><dt>");
    tc_html_text(p->out, tc_tr(p->lang, "Published"));
    tc_html_raw(p->out, "</dt><dd>");
    tc_html_text(p->out, r->published_at != NULL && tc_fmt_datetime(r->published_at, published) == 0
                             ? published
                             : "–");
    tc_html_raw(p->out, "</dd><dt>");
    tc_html_text(p->out, tc_tr(p->lang, "Protection"));
    tc_html_raw(p->out, "</dt><dd>");
    tc_html_text(p->out, r->is_confidential ? tc_tr(p->lang, "confidential (sealed to the unit)")
                         : r->has_protected ? tc_tr(p->lang, "personal fields encrypted")
                                            : tc_tr(p->lang, "none"));
    tc_html_raw(p->out, "</dd></dl>");
}

static void
media_table(struct tc_page *p, const struct tc_form_media *media, size_t n)
{
    const char *headings[] = {tc_tr(p->lang, "File"), tc_tr(p->lang, "Type"),
                              tc_tr(p->lang, "Size (bytes)"), "MD5"};

    tc_table_begin(p, tc_tr(p->lang, "Media files"), headings, 4);
    for (size_t i = 0; i < n; i++) {
        tc_table_row_begin(p);
        tc_table_cell(p, media[i].filename);
        tc_table_cell(p, media[i].content_type);
        tc_html_raw(p->out, "<td class=\"num\">");
        tc_html_textf(p->out, "%zu", media[i].size);
        tc_html_raw(p->out, "</td><td><code class=\"md5\">");
        tc_html_text(p->out, media[i].md5);
        tc_html_raw(p->out, "</code></td>");
        tc_table_row_end(p);
    }
    tc_table_end(p);
}

static enum tc_status
render_version(struct tc_request *req, struct tc_response *resp, const struct tc_principal *who,
               const char *message, struct tc_error *err)
{
    struct tc_form_media *media = NULL;
    struct tc_db_conn *conn;
    struct tc_form_row row = {0};
    struct tc_page p;
    enum tc_status st;
    size_t n = 0;

    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = version_of(req, conn, &row, err)) != TC_OK ||
        (st = tc_forms_media_list(conn, row.id, tc_req_arena(req), &media, &n, err)) != TC_OK ||
        (st = tc_page_init(&p, req, resp, who, err)) != TC_OK)
        return st;
    tc_page_begin(&p, row.title);
    if (message != NULL)
        tc_page_message(&p, message, true);
    version_facts(&p, &row);
    tc_html_raw(p.out, "<div class=\"actions\">");
    version_actions(&p, &row);
    tc_html_raw(p.out, "</div>");
    media_table(&p, media, n);
    if (row.state != TC_FORM_CLOSED) {
        tc_html_raw(p.out, "<h2 id=\"media\">");
        tc_html_text(p.out, tc_tr(p.lang, "Add a media file"));
        tc_html_raw(p.out, "</h2>");
        upload_form(&p, version_url(p.req, row.id, "/media"), tc_tr(p.lang, "Media file"), NULL,
                    tc_tr(p.lang, "Images, audio, video or CSV the form refers to, at most 10 MB. "
                                  "A published version only gains files it lacks."),
                    tc_tr(p.lang, "Upload"));
    }
    tc_html_raw(p.out, "<p><a href=\"/admin/forms\">");
    tc_html_text(p.out, tc_tr(p.lang, "Back to the forms"));
    tc_html_raw(p.out, "</a></p>");
    tc_page_end(&p);
    return tc_page_finish(&p, err);
}

enum tc_status
tc_page_form_version(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = tc_auth_check(req, &who, TC_ACT_FORM_MANAGE, NULL, err)) != TC_OK)
        return st;
    return render_version(req, resp, &who, NULL, err);
}

enum tc_status
tc_page_form_media(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    struct tc_db_conn *conn;
    struct tc_form_row row = {0};
    struct upload *u = NULL;
    char message[sizeof(err->msg)];
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = tc_auth_check(req, &who, TC_ACT_FORM_MANAGE, NULL, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = version_of(req, conn, &row, err)) != TC_OK)
        return st;
    st = read_upload(req, &who, TC_WEB_MEDIA_UPLOAD_MAX, &u, err);
    if (st == TC_OK && (u == NULL || u->filename == NULL))
        st = tc_fail(err, TC_EINVAL, "the file has no usable name");
    if (st == TC_OK && u != NULL)
        st = tc_forms_media_put(conn, row.id, u->filename,
                                u->content_type != NULL ? u->content_type
                                                        : "application/octet-stream",
                                (const unsigned char *)tc_strbuf_str(&u->file), u->file.len, err);
    if (st == TC_OK) {
        char detail[DETAIL_MAX];

        (void)snprintf(detail, sizeof(detail), "{\"form\": %lld}", row.id);
        tc_auth_audit(req, &who, "form.media", "ok", detail);
        return tc_web_redirect(req, resp, version_url(req, row.id, ""), TC_FLASH_MEDIA_STORED, err);
    }
    if (st != TC_EINVAL && st != TC_ECONFLICT && st != TC_ETOOLARGE && st != TC_EBADREQ)
        return st;
    (void)snprintf(message, sizeof(message), "%s", err->msg);
    tc_error_clear(err);
    tc_resp_status(resp, tc_status_http(st));
    return render_version(req, resp, &who, message, err);
}

/* A state change of the version of `:id`, posted as a one-button form. */
static enum tc_status
change_state(struct tc_request *req, struct tc_response *resp, enum tc_form_state to,
             struct tc_error *err)
{
    struct tc_form_data form;
    struct tc_principal who;
    struct tc_db_conn *conn;
    struct tc_form_row row = {0};
    char detail[DETAIL_MAX];
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK ||
        (st = tc_auth_check(req, &who, TC_ACT_FORM_MANAGE, NULL, err)) != TC_OK ||
        (st = tc_web_form(req, &who, &form, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = version_of(req, conn, &row, err)) != TC_OK)
        return st;
    if (to == TC_FORM_PUBLISHED)
        st = tc_forms_publish(conn, row.form_id, row.version, err);
    else
        st = tc_forms_close(conn, row.form_id, row.version, to, NULL, err);
    if (st != TC_OK)
        return st;
    (void)snprintf(detail, sizeof(detail), "{\"form\": %lld, \"state\": \"%s\"}", row.id,
                   tc_form_state_name(to));
    tc_auth_audit(req, &who, to == TC_FORM_PUBLISHED ? "form.publish" : "form.close", "ok", detail);
    return tc_web_redirect(req, resp, version_url(req, row.id, ""),
                           to == TC_FORM_PUBLISHED ? TC_FLASH_FORM_PUBLISHED : TC_FLASH_FORM_CLOSED,
                           err);
}

enum tc_status
tc_page_form_publish(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    return change_state(req, resp, TC_FORM_PUBLISHED, err);
}

enum tc_status
tc_page_form_closing(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    return change_state(req, resp, TC_FORM_CLOSING, err);
}

enum tc_status
tc_page_form_close(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    return change_state(req, resp, TC_FORM_CLOSED, err);
}
