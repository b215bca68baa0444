#ifndef TC_HTML_H
#define TC_HTML_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/i18n.h"

struct tc_strbuf;

/*
 * The HTML builder's escaping primitives. Every value that is not a literal of the code
 * goes through one of them, chosen by where it lands: element text, a quoted attribute,
 * or a URL attribute. Markup itself comes only from string literals (tc_html_raw).
 */

/* `s` as element text (& < > " ' escaped). NULL appends nothing. */
void tc_html_text(struct tc_strbuf *sb, const char *s);

/* printf, then escaped as element text. */
void tc_html_textf(struct tc_strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Translate the msgid `fmt` into `lang`, printf it, and append it escaped as element
 * text. The catalogues keep the msgid's conversions (msgfmt checks c-format).
 */
void tc_html_trf(struct tc_strbuf *sb, enum tc_lang lang, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same into `buf` (`size` bytes, truncated), for attribute values and hints. */
const char *tc_trf(char *buf, size_t size, enum tc_lang lang, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ` name="value"` with the value escaped; NULL value appends nothing. `name` is a literal. */
void tc_html_attr(struct tc_strbuf *sb, const char *name, const char *value);

/*
 * ` name="url"` for href/action/src: only a path of this site ("/x", not "//x") or an
 * http(s) URL is written, escaped for the attribute; anything else (javascript:, data:,
 * relative or scheme-relative) becomes "#". Build URLs with tc_html_url_segment.
 */
void tc_html_url_attr(struct tc_strbuf *sb, const char *name, const char *url);

/* Whether tc_html_url_attr would keep `url`: a local path or an http(s) URL. */
bool tc_html_url_is_safe(const char *url);

/* Append `s` percent-encoded as one URL path segment or query value (to a URL buffer). */
void tc_html_url_segment(struct tc_strbuf *url, const char *s);

/* Append trusted markup: a string literal of the code, never data. */
void tc_html_raw(struct tc_strbuf *sb, const char *markup);

#endif /* TC_HTML_H */
