#include "handlers/webforms.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "tincay/embedded.h"
#include "tincay/strbuf.h"

#define MAX_NAME 128

static const struct {
    const char *ext, *type;
} content_types[] = {
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".wasm", "application/wasm"},
};

bool
tc_webforms_built_in(void)
{
    return tc_webforms_files_count > 0 && tc_webforms_entry_js[0] != '\0';
}

static const struct tc_embedded *
find_file(const char *name)
{
    for (size_t i = 0; i < tc_webforms_files_count; i++)
        if (strcmp(tc_webforms_files[i].name, name) == 0)
            return &tc_webforms_files[i];
    return NULL;
}

static const char *
content_type_of(const char *name)
{
    size_t len = strlen(name);

    for (size_t i = 0; i < sizeof(content_types) / sizeof(content_types[0]); i++) {
        size_t ext_len = strlen(content_types[i].ext);
        if (len > ext_len && strcmp(name + len - ext_len, content_types[i].ext) == 0)
            return content_types[i].type;
    }
    return NULL;
}

/*
 * Whether Accept-Encoding admits gzip: a "gzip" or "*" coding whose q is not zero
 * (RFC 9110 §12.5.3). Anything unparsable counts as no.
 */
static bool
accepts_gzip(const char *header)
{
    const char *p = header;

    while (p != NULL && *p != '\0') {
        size_t len;
        const char *q;

        p += strspn(p, " \t,");
        len = strcspn(p, " \t,;");
        if (len == 0)
            break;
        if ((len == 4 && strncasecmp(p, "gzip", 4) == 0) || (len == 1 && *p == '*')) {
            q = p + len + strspn(p + len, " \t");
            if (*q != ';')
                return true;
            q += 1 + strspn(q + 1, " \t");
            /* q=0, q=0.0, q=0.00...: refused; any other weight admits it. */
            if (!(strncasecmp(q, "q=0", 3) == 0 && strspn(q + 3, ".0") == strcspn(q + 3, " \t,")))
                return true;
        }
        p = strchr(p, ',');
    }
    return false;
}

enum tc_status
tc_handle_webforms_static(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    const char *name = tc_req_param(req, "file");
    const char *type = name != NULL ? content_type_of(name) : NULL;
    const struct tc_embedded *file = type != NULL ? find_file(name) : NULL;
    const struct tc_embedded *gz = NULL;
    const char *encoding = tc_req_header(req, "Accept-Encoding");
    char gz_name[MAX_NAME + 4];
    enum tc_status st;

    if (file == NULL)
        return tc_fail(err, TC_ENOTFOUND, "no such file \"%s\"", name != NULL ? name : "");
    if (encoding != NULL && accepts_gzip(encoding) && strlen(name) <= MAX_NAME) {
        snprintf(gz_name, sizeof(gz_name), "%s.gz", name);
        gz = find_file(gz_name);
    }
    tc_resp_content_type(resp, type);
    if ((st = tc_resp_header(resp, "Cache-Control", "public, max-age=31536000, immutable", err)) !=
            TC_OK ||
        (st = tc_resp_header(resp, "X-Content-Type-Options", "nosniff", err)) != TC_OK ||
        (st = tc_resp_header(resp, "Vary", "Accept-Encoding", err)) != TC_OK)
        return st;
    if (gz != NULL) {
        if ((st = tc_resp_header(resp, "Content-Encoding", "gzip", err)) != TC_OK)
            return st;
        file = gz;
    }
    tc_strbuf_append(tc_resp_body(resp), file->data, file->len);
    if (tc_strbuf_failed(tc_resp_body(resp)))
        return tc_fail(err, TC_ENOMEM, "out of memory");
    return TC_OK;
}
