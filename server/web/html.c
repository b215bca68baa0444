#include "web/html.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tincay/strbuf.h"

#define TEXTF_MAX 4096

void
tc_html_text(struct tc_strbuf *sb, const char *s)
{
    if (s != NULL)
        tc_strbuf_append_html_escaped(sb, s);
}

void
tc_html_textf(struct tc_strbuf *sb, const char *fmt, ...)
{
    char buf[TEXTF_MAX];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(buf)) {
        sb->failed = true; /* fail the page rather than show a truncated text */
        return;
    }
    tc_strbuf_append_html_escaped(sb, buf);
}

/* The translated format keeps the msgid's conversions: msgfmt checks c-format. */
static int
vformat_tr(char *buf, size_t size, enum tc_lang lang, const char *fmt, va_list ap)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    return vsnprintf(buf, size, tc_tr(lang, fmt), ap);
#pragma GCC diagnostic pop
}

void
tc_html_trf(struct tc_strbuf *sb, enum tc_lang lang, const char *fmt, ...)
{
    char buf[TEXTF_MAX];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vformat_tr(buf, sizeof(buf), lang, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(buf)) {
        sb->failed = true;
        return;
    }
    tc_strbuf_append_html_escaped(sb, buf);
}

const char *
tc_trf(char *buf, size_t size, enum tc_lang lang, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (vformat_tr(buf, size, lang, fmt, ap) < 0 && size > 0)
        buf[0] = '\0';
    va_end(ap);
    return buf;
}

void
tc_html_attr(struct tc_strbuf *sb, const char *name, const char *value)
{
    if (value == NULL)
        return;
    tc_strbuf_appendc(sb, ' ');
    tc_strbuf_appends(sb, name);
    tc_strbuf_appends(sb, "=\"");
    tc_strbuf_append_html_escaped(sb, value);
    tc_strbuf_appendc(sb, '"');
}

bool
tc_html_url_is_safe(const char *url)
{
    if (url == NULL)
        return false;
    for (const unsigned char *p = (const unsigned char *)url; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7F || *p == '\\')
            return false; /* browsers strip or reinterpret these before parsing the scheme */
    if (url[0] == '/')
        return url[1] != '/';
    return strncasecmp(url, "https://", 8) == 0 || strncasecmp(url, "http://", 7) == 0;
}

void
tc_html_url_attr(struct tc_strbuf *sb, const char *name, const char *url)
{
    tc_html_attr(sb, name, tc_html_url_is_safe(url) ? url : "#");
}

void
tc_html_url_segment(struct tc_strbuf *url, const char *s)
{
    if (s != NULL)
        tc_strbuf_append_url_escaped(url, s);
}

void
tc_html_raw(struct tc_strbuf *sb, const char *markup)
{
    tc_strbuf_appends(sb, markup);
}
