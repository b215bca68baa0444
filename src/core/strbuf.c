#include "tincay/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The only place that grows or fails. */
static bool
reserve(struct tc_strbuf *sb, size_t extra)
{
    size_t need, cap;
    char *grown;

    if (sb->failed)
        return false;
    if (sb->len >= sb->max || extra >= sb->max - sb->len) {
        sb->failed = true; /* would reach the caller's limit (len < max always) */
        return false;
    }
    need = sb->len + extra + 1;
    if (need <= sb->cap)
        return true;
    cap = sb->cap ? sb->cap : 64;
    while (cap < need)
        cap *= 2;
    if (cap > sb->max)
        cap = sb->max;
    if ((grown = realloc(sb->data, cap)) == NULL) {
        sb->failed = true;
        return false;
    }
    sb->data = grown;
    sb->cap = cap;
    return true;
}

void
tc_strbuf_append(struct tc_strbuf *sb, const void *bytes, size_t len)
{
    if (!reserve(sb, len))
        return;
    if (len > 0)
        memcpy(sb->data + sb->len, bytes, len);
    sb->len += len;
    sb->data[sb->len] = '\0';
}

void
tc_strbuf_appends(struct tc_strbuf *sb, const char *str)
{
    tc_strbuf_append(sb, str, strlen(str));
}

void
tc_strbuf_appendc(struct tc_strbuf *sb, char c)
{
    tc_strbuf_append(sb, &c, 1);
}

void
tc_strbuf_appendf(struct tc_strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (sb->failed)
        return;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        sb->failed = true;
        return;
    }
    if (!reserve(sb, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

static void
append_escaped(struct tc_strbuf *sb, const char *str, bool html)
{
    const char *run = str;

    for (const char *p = str; *p != '\0'; p++) {
        const char *rep = NULL;

        switch (*p) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = html ? "&#39;" : "&apos;"; break;
        default: break;
        }
        if (rep != NULL) {
            tc_strbuf_append(sb, run, (size_t)(p - run));
            tc_strbuf_appends(sb, rep);
            run = p + 1;
        }
    }
    tc_strbuf_appends(sb, run);
}

void
tc_strbuf_append_xml_escaped(struct tc_strbuf *sb, const char *str)
{
    append_escaped(sb, str, false);
}

void
tc_strbuf_append_html_escaped(struct tc_strbuf *sb, const char *str)
{
    append_escaped(sb, str, true);
}

void
tc_strbuf_append_url_escaped(struct tc_strbuf *sb, const char *str)
{
    static const char hex[] = "0123456789ABCDEF";

    for (const unsigned char *p = (const unsigned char *)str; *p != '\0'; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            tc_strbuf_appendc(sb, (char)*p);
        } else {
            char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};

            tc_strbuf_append(sb, enc, sizeof(enc));
        }
    }
}

const char *
tc_strbuf_str(const struct tc_strbuf *sb)
{
    return sb->data != NULL ? sb->data : "";
}

void
tc_strbuf_reset(struct tc_strbuf *sb)
{
    sb->len = 0;
    sb->failed = false;
    if (sb->data != NULL)
        sb->data[0] = '\0';
}

char *
tc_strbuf_take(struct tc_strbuf *sb, size_t *len_out)
{
    char *data = sb->data;
    size_t len = sb->len;
    bool failed = sb->failed;

    sb->data = NULL;
    sb->len = sb->cap = 0;
    sb->failed = false;
    if (failed) {
        free(data);
        return NULL;
    }
    if (data == NULL && (data = calloc(1, 1)) == NULL)
        return NULL;
    if (len_out != NULL)
        *len_out = len;
    return data;
}

void
tc_strbuf_cleanup(struct tc_strbuf *sb)
{
    free(sb->data);
    sb->data = NULL;
    sb->len = sb->cap = 0;
    sb->failed = false;
}
