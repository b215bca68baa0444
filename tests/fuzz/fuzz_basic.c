/*
 * libFuzzer target for the Authorization header parser and the JSON body helper. The
 * first input byte picks which; the rest is the header value or the body. Checks their
 * promises: a parsed Basic credential has a non-empty login without ':' or control
 * characters, lengths agree with the strings, and nothing is read past the input; a
 * parsed JSON body is an object whose string fields read back with their lengths.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth.h"
#include "json_body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_header(const char *header)
{
    char buf[TC_AUTH_BASIC_MAX + 1];
    const char *login, *password;
    size_t len;
    int rc = tc_auth_parse_basic(header, buf, &login, &password, &len);

    if (rc < -1 || rc > 1)
        abort();
    if (rc != 0) {
        if (login != NULL || password != NULL || len != 0)
            abort();
        return;
    }
    if (login[0] == '\0' || strlen(login) > TC_LOGIN_MAX || strchr(login, ':') != NULL ||
        strlen(password) != len || password != login + strlen(login) + 1)
        abort();
    for (const char *p = login; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            abort();
}

static void
fuzz_json(const char *body, size_t len)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    json_t *obj = NULL;
    const char *key, *s;
    json_t *value;
    size_t n;

    if (tc_json_parse_object(body, len, &obj, &err) != TC_OK) {
        if (obj != NULL || err.msg[0] == '\0')
            abort();
        return;
    }
    if (!json_is_object(obj))
        abort();
    json_object_foreach(obj, key, value)
    {
        enum tc_status st = tc_json_string(obj, key, true, &s, &n, &err);

        if (json_is_string(value) ? st != TC_OK || strlen(s) != n
                                  : st != TC_EINVAL && !json_is_null(value))
            abort();
    }
    json_decref(obj);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;

    if (size == 0 || (text = malloc(size)) == NULL)
        return 0;
    memcpy(text, data + 1, size - 1); /* exactly the input, NUL-terminated, for ASan */
    text[size - 1] = '\0';
    if (data[0] & 1)
        fuzz_header(text);
    else
        fuzz_json(text, size - 1);
    free(text);
    return 0;
}
