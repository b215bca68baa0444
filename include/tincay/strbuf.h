#ifndef TC_STRBUF_H
#define TC_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Growable, always NUL-terminated byte string with a hard limit. Errors are sticky:
 * after the first failed append every later append is a no-op, and the caller checks
 * once, at the end, with tc_strbuf_failed().
 */
struct tc_strbuf {
    char *data; /* malloc()ed; NULL until the first append */
    size_t len, cap, max;
    bool failed;
};

#define TC_STRBUF_INIT(max_bytes)                                                                  \
    {                                                                                              \
        .max = (max_bytes)                                                                         \
    }

void tc_strbuf_append(struct tc_strbuf *sb, const void *bytes, size_t len);
void tc_strbuf_appends(struct tc_strbuf *sb, const char *str);
void tc_strbuf_appendc(struct tc_strbuf *sb, char c);
void tc_strbuf_appendf(struct tc_strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append `str` escaped for XML text and attribute values (& < > " '). */
void tc_strbuf_append_xml_escaped(struct tc_strbuf *sb, const char *str);

/* Append `str` escaped for HTML text and quoted attribute values. */
void tc_strbuf_append_html_escaped(struct tc_strbuf *sb, const char *str);

/* Append `str` percent-encoded for a URL path segment or query value (RFC 3986). */
void tc_strbuf_append_url_escaped(struct tc_strbuf *sb, const char *str);

static inline bool
tc_strbuf_failed(const struct tc_strbuf *sb)
{
    return sb->failed;
}

/* The current contents ("" when empty); valid until the next append or cleanup. */
const char *tc_strbuf_str(const struct tc_strbuf *sb);

/* Drop the contents, keep the allocation and clear the sticky error. */
void tc_strbuf_reset(struct tc_strbuf *sb);

/* Hand the buffer to the caller (who must free() it) and reset `sb`. NULL if it failed. */
char *tc_strbuf_take(struct tc_strbuf *sb, size_t *len_out);

/* Free the buffer; `sb` may be reused afterwards. */
void tc_strbuf_cleanup(struct tc_strbuf *sb);

#endif /* TC_STRBUF_H */
