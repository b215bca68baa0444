#include "handlers/fill.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include <jansson.h>
#include <sodium.h>

#include "auth.h"
#include "handlers/webforms.h"
#include "http.h"
#include "tincay/arena.h"
#include "tincay/embedded.h"
#include "tincay/forms.h"
#include "tincay/i18n.h"
#include "tincay/sessions.h"
#include "tincay/strbuf.h"
#include "web/page.h"

#define NONCE_BYTES 18 /* 24 characters of base64 */

/*
 * The page's policy: our own scripts, plus compiling WebAssembly (the XPath engine of Web
 * Forms is tree-sitter compiled to it); <style> elements need the nonce (PrimeVue's theme);
 * images, fonts and media also as data: and blob: URLs (inline fonts of the style sheet,
 * form media handed to the page as blobs). Nothing else: no inline script, no eval.
 */
#define CSP_FORMAT                                                                                 \
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'nonce-%s'; "      \
    "img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' blob:; "                  \
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/* A form, its media and the page holding the session's CSRF token never sit in a cache. */
static enum tc_status
no_store(struct tc_response *resp, struct tc_error *err)
{
    return tc_resp_header(resp, "Cache-Control", "no-store", err);
}

/*
 * The logged-in user and the version of the form they may fill: `version` NULL for the
 * latest published, else that version if it still accepts submissions.
 */
static enum tc_status
fillable_form(struct tc_request *req, const char *version, struct tc_principal *who,
              struct tc_form_row *row, struct tc_error *err)
{
    const char *form_id = tc_req_param(req, "form_id");
    struct tc_db_conn *conn;
    enum tc_status st;
    enum tc_action action;

    if ((st = tc_web_user(req, who, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    st = version != NULL ? tc_forms_get(conn, form_id, version, tc_req_arena(req), row, err)
                         : tc_forms_latest(conn, form_id, tc_req_arena(req), row, err);
    if (st == TC_OK && !tc_form_state_accepts_submissions(row->state))
        st = tc_fail(err, TC_ENOTFOUND, "form \"%s\" does not accept submissions", form_id);
    if (st != TC_OK)
        return st;
    action = row->is_confidential ? TC_ACT_CASE_CREATE : TC_ACT_SUBMISSION_CREATE;
    return tc_auth_check(req, who, action,
                         &(struct tc_policy_object){.form_id = row->id, .unit_id = who->unit_id},
                         err);
}

static void
append_attr(struct tc_strbuf *sb, const char *name, const char *value)
{
    tc_strbuf_appendf(sb, " %s=\"", name);
    tc_strbuf_append_html_escaped(sb, value);
    tc_strbuf_appendc(sb, '"');
}

/* "/fill/<id>/<what>?version=<v>", every part percent-encoded. */
static void
append_form_url(struct tc_strbuf *sb, const struct tc_form_row *row, const char *what)
{
    tc_strbuf_appends(sb, "/fill/");
    tc_strbuf_append_url_escaped(sb, row->form_id);
    tc_strbuf_appendf(sb, "/%s?version=", what);
    tc_strbuf_append_url_escaped(sb, row->version);
}

static void
append_head(struct tc_strbuf *sb, enum tc_lang lang, const struct tc_form_row *row,
            const char *csrf, const char *nonce)
{
    tc_strbuf_appendf(sb,
                      "<!doctype html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                      "<title>",
                      tc_lang_name(lang));
    tc_strbuf_append_html_escaped(sb, row->title[0] != '\0' ? row->title : row->form_id);
    tc_strbuf_appends(sb, " · tincay</title>\n<meta name=\"csrf-token\"");
    append_attr(sb, "content", csrf);
    tc_strbuf_appendf(sb,
                      ">\n<meta property=\"csp-nonce\" nonce=\"%s\">\n"
                      "<link rel=\"stylesheet\" href=\"/static/webforms/%s\">\n"
                      "<script type=\"module\" src=\"/static/webforms/%s\"></script>\n"
                      "<style nonce=\"%s\">"
                      ".fill-status{max-width:60rem;margin:1rem auto;padding:0 1rem;"
                      "font:1rem/1.4 Roboto,sans-serif}"
                      ".fill-status[data-state=error]{color:#b00020}"
                      ".fill-status[data-state=sent]{color:#1b5e20}</style>\n</head>\n",
                      nonce, tc_webforms_entry_css, tc_webforms_entry_js, nonce);
}

/*
 * ODK Web Forms' own interface text, as its bundle has it (trimmed): the build turns each
 * into a lookup of this page's translations (web/webforms/ui-text.js lists the same).
 */
static const char *const ui_text[] = {
    TC_N_("Send"),
    TC_N_("Add"),
    TC_N_("Remove"),
    TC_N_("Okay"),
    TC_N_("Cancel"),
    TC_N_("Repeat Item"),
    TC_N_("Powered by"),
    TC_N_("change language"),
    TC_N_("1 question with error."),
    TC_N_("%d questions with errors."),
    TC_N_("Condition not satisfied: required"),
    TC_N_("Condition not satisfied: constraint"),
    TC_N_("An error occurred while loading this form"),
    TC_N_("Technical error details"),
    TC_N_("Take picture"),
    TC_N_("Choose image"),
    TC_N_("Get location"),
    TC_N_("Finding your location"),
    TC_N_("Save location"),
    TC_N_("Try again"),
    TC_N_("Today"), /* the date picker's (web/webforms/src/main.js) */
    TC_N_("Clear"),
};

/* data-ui: {"English text": "translation", ...} in the page's language ("{}" on failure). */
static void
append_ui_text(struct tc_strbuf *sb, enum tc_lang lang)
{
    json_t *map = json_object();
    char *text = NULL;

    for (size_t i = 0; map != NULL && i < sizeof(ui_text) / sizeof(ui_text[0]); i++)
        json_object_set_new(map, ui_text[i], json_string(tc_tr(lang, ui_text[i])));
    if (map != NULL)
        text = json_dumps(map, JSON_COMPACT);
    append_attr(sb, "data-ui", text != NULL ? text : "{}");
    free(text);
    json_decref(map);
}

static void
append_body(struct tc_strbuf *sb, enum tc_lang lang, const struct tc_form_row *row)
{
    tc_strbuf_appends(sb, "<body>\n<p id=\"fill-status\" class=\"fill-status\" role=\"status\" "
                          "aria-live=\"polite\"");
    append_attr(sb, "data-text-sending", tc_tr(lang, "Sending the form..."));
    append_attr(sb, "data-text-sent", tc_tr(lang, "The form was received."));
    append_attr(sb, "data-text-offline",
                tc_tr(lang, "The server could not be reached: the form was not sent."));
    append_attr(sb, "data-text-refused", tc_tr(lang, "The form was not accepted."));
    append_attr(sb, "data-text-no-form", tc_tr(lang, "The form could not be loaded."));
    tc_strbuf_appends(sb, "></p>\n<div id=\"odk-form\"");
    append_attr(sb, "data-form-id", row->form_id);
    tc_strbuf_appends(sb, " data-form-url=\"");
    append_form_url(sb, row, "form.xml");
    tc_strbuf_appends(sb, "\" data-media-url=\"");
    append_form_url(sb, row, "media");
    tc_strbuf_appends(sb, "\" data-submission-url=\"/submission\"");
    append_ui_text(sb, lang);
    tc_strbuf_appends(sb, "></div>\n<noscript><p "
                          "class=\"fill-status\">");
    tc_strbuf_append_html_escaped(
        sb, tc_tr(lang, "Filling a form in the browser needs JavaScript. ODK Collect works "
                        "without it."));
    tc_strbuf_appends(sb, "</p></noscript>\n</body>\n</html>\n");
}

enum tc_status
tc_handle_fill_page(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    char csrf[TC_SESSION_TOKEN_MAX] = "";
    unsigned char nonce_bytes[NONCE_BYTES];
    char nonce[sodium_base64_ENCODED_LEN(NONCE_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    char *csp;
    struct tc_principal who;
    struct tc_form_row row;
    struct tc_strbuf *body = tc_resp_body(resp);
    enum tc_status st;

    if (!tc_webforms_built_in())
        return tc_fail(err, TC_ENOTFOUND, "this server was built without browser form filling");
    if ((st = fillable_form(req, NULL, &who, &row, err)) != TC_OK)
        return st;
    randombytes_buf(nonce_bytes, sizeof(nonce_bytes));
    sodium_bin2base64(nonce, sizeof(nonce), nonce_bytes, sizeof(nonce_bytes),
                      sodium_base64_VARIANT_ORIGINAL);
    if ((csp = tc_arena_printf(tc_req_arena(req), CSP_FORMAT, nonce)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((st = no_store(resp, err)) != TC_OK ||
        (st = tc_resp_header(resp, "Content-Security-Policy", csp, err)) != TC_OK)
        return st;
    if (who.by_cookie)
        tc_session_csrf(who.session_token, csrf);
    tc_resp_content_type(resp, "text/html; charset=utf-8");
    append_head(body, tc_req_lang(req), &row, csrf, nonce);
    append_body(body, tc_req_lang(req), &row);
    sodium_memzero(csrf, sizeof(csrf));
    if (tc_strbuf_failed(body))
        return tc_fail(err, TC_ENOMEM, "out of memory");
    return TC_OK;
}

enum tc_status
tc_handle_fill_form_xml(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    struct tc_form_row row;
    enum tc_status st;

    if ((st = fillable_form(req, tc_req_query(req, "version"), &who, &row, err)) != TC_OK ||
        (st = no_store(resp, err)) != TC_OK)
        return st;
    tc_resp_content_type(resp, "text/xml; charset=utf-8");
    tc_strbuf_append(tc_resp_body(resp), row.xml, row.xml_len);
    if (tc_strbuf_failed(tc_resp_body(resp)))
        return tc_fail(err, TC_ENOMEM, "out of memory");
    return TC_OK;
}

enum tc_status
tc_handle_fill_media(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_principal who;
    struct tc_form_row row;
    struct tc_form_media media;
    struct tc_db_conn *conn;
    enum tc_status st;

    if ((st = fillable_form(req, tc_req_query(req, "version"), &who, &row, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = tc_forms_media_get(conn, row.id, tc_req_param(req, "filename"), tc_req_arena(req),
                                 &media, err)) != TC_OK ||
        (st = no_store(resp, err)) != TC_OK ||
        /* A media file opened on its own is inert, whatever it holds (SVG, HTML). */
        (st = tc_resp_header(resp, "Content-Security-Policy", "default-src 'none'; sandbox",
                             err)) != TC_OK)
        return st;
    tc_resp_content_type(resp, media.content_type[0] != '\0' ? media.content_type
                                                             : "application/octet-stream");
    tc_strbuf_append(tc_resp_body(resp), media.bytes, media.size);
    if (tc_strbuf_failed(tc_resp_body(resp)))
        return tc_fail(err, TC_ENOMEM, "out of memory");
    return TC_OK;
}
