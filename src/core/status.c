#include "tincay/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    unsigned int http;
    const char *code;
    const char *message; /* msgid */
} table[] = {
    [TC_OK] = {200, "ok", TC_N_("ok")},
    [TC_EBADREQ] = {400, "bad_request", TC_N_("malformed request")},
    [TC_EUNAUTH] = {401, "unauthorized", TC_N_("authentication required")},
    [TC_EFORBIDDEN] = {403, "forbidden", TC_N_("permission denied")},
    [TC_ENOTFOUND] = {404, "not_found", TC_N_("not found")},
    [TC_EMETHOD] = {405, "method_not_allowed", TC_N_("method not allowed")},
    [TC_ETIMEOUT] = {408, "request_timeout", TC_N_("request took too long to arrive")},
    [TC_ECONFLICT] = {409, "conflict", TC_N_("conflicts with the current state")},
    [TC_ETOOLARGE] = {413, "too_large", TC_N_("request body is too large")},
    [TC_EUNSUPPORTED] = {415, "unsupported_media_type", TC_N_("unsupported content type")},
    [TC_EINVAL] = {422, "invalid", TC_N_("invalid input")},
    [TC_ERATELIMIT] = {429, "rate_limited", TC_N_("too many attempts, try again later")},
    [TC_ERETRY] = {503, "retry", TC_N_("temporary failure, try again")},
    [TC_EBUSY] = {503, "busy", TC_N_("server is busy, try again later")},
    [TC_ENOSPACE] = {507, "insufficient_storage", TC_N_("server is out of disk space")},
    [TC_ENOMEM] = {500, "out_of_memory", TC_N_("out of memory")},
    [TC_EDB] = {500, "database_error", TC_N_("database error")},
    [TC_EINTERNAL] = {500, "internal_error", TC_N_("internal error")},
};
_Static_assert(sizeof(table) / sizeof(table[0]) == TC_STATUS_COUNT,
               "every enum tc_status needs its HTTP status and code");

enum tc_status
tc_fail(struct tc_error *err, enum tc_status status, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return status;
    err->status = status;
    err->detail[0] = '\0';
    va_start(ap, fmt);
    /* The translated format keeps the msgid's conversions: msgfmt checks c-format. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    vsnprintf(err->msg, sizeof(err->msg), tc_tr(err->lang, fmt), ap);
#pragma GCC diagnostic pop
    va_end(ap);
    return status;
}

void
tc_error_detail(struct tc_error *err, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
    va_end(ap);
}

void
tc_error_clear(struct tc_error *err)
{
    enum tc_lang lang;

    if (err == NULL)
        return;
    lang = err->lang;
    memset(err, 0, sizeof(*err));
    err->lang = lang;
}

unsigned int
tc_status_http(enum tc_status status)
{
    if ((unsigned int)status >= TC_STATUS_COUNT)
        return 500;
    return table[status].http;
}

const char *
tc_status_code(enum tc_status status)
{
    if ((unsigned int)status >= TC_STATUS_COUNT)
        return "internal_error";
    return table[status].code;
}

const char *
tc_status_message(enum tc_status status)
{
    if ((unsigned int)status >= TC_STATUS_COUNT)
        return table[TC_EINTERNAL].message;
    return table[status].message;
}
