#include "web/static.h"

#include <stdio.h>
#include <string.h>

#include "http.h"
#include "tincay/strbuf.h"

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
};

static const char *
content_type(const char *name)
{
    const char *dot = strrchr(name, '.');

    for (size_t i = 0; dot != NULL && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

const char *
tc_static_url(const char *name, char *buf, size_t size)
{
    for (size_t i = 0; i < tc_static_assets_count; i++) {
        if (strcmp(tc_static_assets[i].name, name) == 0) {
            int n = snprintf(buf, size, "/static/%s", tc_static_assets[i].hashed);

            return n > 0 && (size_t)n < size ? buf : NULL;
        }
    }
    return NULL;
}

enum tc_status
tc_handle_static(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    const char *name = tc_req_param(req, "name");
    const struct tc_static_asset *a = NULL;
    enum tc_status st;

    for (size_t i = 0; name != NULL && i < tc_static_assets_count; i++)
        if (strcmp(tc_static_assets[i].hashed, name) == 0)
            a = &tc_static_assets[i];
    if (a == NULL)
        return tc_fail(err, TC_ENOTFOUND, "not found");
    if ((st = tc_resp_header(resp, "Cache-Control", "public, max-age=31536000, immutable", err)) !=
        TC_OK)
        return st;
    tc_resp_content_type(resp, content_type(a->name));
    tc_strbuf_append(tc_resp_body(resp), a->data, a->len);
    return TC_OK;
}
