#ifndef TC_STATUS_H
#define TC_STATUS_H

#include "tincay/i18n.h"

/*
 * Outcomes every layer returns. tc_status_http() is the only mapping to HTTP and
 * tc_status_code() the only mapping to the stable "code" of a JSON error.
 */
enum tc_status {
    TC_OK = 0,
    TC_EBADREQ,      /* malformed request: not well-formed, bad syntax (400) */
    TC_EUNAUTH,      /* no or bad credentials (401) */
    TC_EFORBIDDEN,   /* authenticated but not allowed (403) */
    TC_ENOTFOUND,    /* no such row or route (404) */
    TC_EMETHOD,      /* route exists, method does not (405) */
    TC_ETIMEOUT,     /* the client took too long to send its request (408) */
    TC_ECONFLICT,    /* unique or state conflict (409) */
    TC_ETOOLARGE,    /* body over the route's cap (413) */
    TC_EUNSUPPORTED, /* wrong content type (415) */
    TC_EINVAL,       /* well-formed but invalid input (422) */
    TC_ERATELIMIT,   /* too many attempts (429) */
    TC_ERETRY,       /* transient: serialization failure, deadlock, lost connection (503) */
    TC_EBUSY,        /* saturated: try again later (503) */
    TC_ENOSPACE,     /* disk full (507) */
    TC_ENOMEM,       /* out of memory (500) */
    TC_EDB,          /* database failed; retrying will not help (500) */
    TC_EINTERNAL,    /* a bug: broken invariant (500) */
    TC_STATUS_COUNT
};

/*
 * Caller-owned error report, usually on the caller's stack; nothing in it needs
 * freeing. `msg` may be shown to clients; `detail` goes to logs only. `lang` is set by
 * whoever knows the reader (the request, the CLI) and survives tc_error_clear().
 */
struct tc_error {
    enum tc_status status;
    enum tc_lang lang;
    char msg[240];
    char detail[320];
};

/* An empty report whose messages will be in `language`. */
#define TC_ERROR_INIT(language)                                                                    \
    {                                                                                              \
        .status = TC_OK, .lang = (language)                                                        \
    }

/*
 * Record an error in `err` (may be NULL) and return `status`. `fmt` is a msgid of the
 * catalogues: it is translated into err->lang before formatting, so write it in
 * English, with printf conversions the translations keep (msgfmt --check-format).
 */
enum tc_status tc_fail(struct tc_error *err, enum tc_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Add a log-only detail to `err` (may be NULL). */
void tc_error_detail(struct tc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reset `err` to TC_OK with empty messages. */
void tc_error_clear(struct tc_error *err);

/* The only status → HTTP mapping. */
unsigned int tc_status_http(enum tc_status status);

/*
 * The status's default message, an English msgid ("not found"): show it as
 * tc_tr(lang, tc_status_message(status)) when nothing more specific is known.
 */
const char *tc_status_message(enum tc_status status);

/* Stable machine-readable name ("not_found", "conflict", ...) for JSON errors. */
const char *tc_status_code(enum tc_status status);

#endif /* TC_STATUS_H */
