#include "json_body.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sodium.h>

#include "http.h"
#include "tincay/arena.h"

enum tc_status
tc_json_parse_object(const char *data, size_t len, json_t **out, struct tc_error *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);

    *out = NULL;
    if (root == NULL) {
        tc_fail(err, TC_EBADREQ, "request body is not valid JSON (line %d, column %d)", jerr.line,
                jerr.column);
        tc_error_detail(err, "%s", jerr.text);
        return TC_EBADREQ;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        return tc_fail(err, TC_EBADREQ, "request body must be a JSON object");
    }
    *out = root;
    return TC_OK;
}

/* "application/json", optionally followed by parameters ("; charset=utf-8"). */
static bool
is_json_type(const char *type)
{
    size_t n = strlen("application/json");

    if (type == NULL || strncasecmp(type, "application/json", n) != 0)
        return false;
    return type[n] == '\0' || type[n] == ';' || type[n] == ' ' || type[n] == '\t';
}

static void
release_json(void *json)
{
    json_decref(json);
}

enum tc_status
tc_json_body(struct tc_request *req, json_t **out, struct tc_error *err)
{
    size_t len;
    const char *body = tc_req_body(req, &len);
    enum tc_status st;

    *out = NULL;
    if (!is_json_type(tc_req_header(req, "Content-Type")))
        return tc_fail(err, TC_EUNSUPPORTED, "the request body must be JSON (Content-Type: %s)",
                       "application/json");
    if ((st = tc_json_parse_object(body, len, out, err)) != TC_OK)
        return st;
    if (tc_arena_defer(tc_req_arena(req), release_json, *out) != 0) {
        json_decref(*out);
        *out = NULL;
        return tc_fail(err, TC_ENOMEM, "out of memory");
    }
    return TC_OK;
}

enum tc_status
tc_json_string(const json_t *obj, const char *name, bool required, const char **out, size_t *len,
               struct tc_error *err)
{
    const json_t *v = json_object_get(obj, name);

    *out = NULL;
    if (len != NULL)
        *len = 0;
    if (v == NULL || json_is_null(v)) {
        if (required)
            return tc_fail(err, TC_EINVAL, "field \"%s\" is required", name);
        return TC_OK;
    }
    if (!json_is_string(v))
        return tc_fail(err, TC_EINVAL, "field \"%s\" must be a string", name);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return tc_fail(err, TC_EINVAL, "field \"%s\" must not contain a NUL character", name);
    *out = json_string_value(v);
    if (len != NULL)
        *len = json_string_length(v);
    return TC_OK;
}

void
tc_json_wipe_string(json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);

    /* jansson owns the bytes and will free them; they are ours to clear first. */
    if (json_is_string(v))
        sodium_memzero((void *)(uintptr_t)json_string_value(v), json_string_length(v));
}
