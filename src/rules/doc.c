/*
 * The submission a ruleset reads: its XML, or (for stored submissions, whose XML may be
 * sealed) an XML document rebuilt from the unprotected values JSON. Rules never read
 * protected fields (the loader refuses them), so both give the same answers.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "rules/rules_internal.h"
#include "tincay/arena.h"

enum tc_status
tc_rules_doc_from_xml(const char *xml, size_t len, struct tc_rules_doc **out, struct tc_error *err)
{
    struct tc_xml_fault fault;
    struct tc_rules_doc *d;
    xmlDocPtr doc;

    *out = NULL;
    if (len > TC_SUBMISSION_MAX_BYTES)
        return tc_fail(err, TC_ETOOLARGE, "submission larger than %u bytes",
                       TC_SUBMISSION_MAX_BYTES);
    if ((doc = tc_xml_parse(xml, len, "submission.xml", &fault)) == NULL)
        return tc_fail(err, TC_EBADREQ, "line %d: submission is not well-formed: %s", fault.line,
                       fault.doctype ? "DOCTYPE" : fault.message);
    if ((d = calloc(1, sizeof(*d))) == NULL) {
        xmlFreeDoc(doc);
        return tc_fail(err, TC_ENOMEM, "out of memory");
    }
    d->doc = doc;
    d->root = xmlDocGetRootElement(doc);
    *out = d;
    return TC_OK;
}

/*
 * A small JSON reader that builds the XML tree directly (values JSON → elements): objects
 * are elements with children, arrays repeat their element, scalars are text, null is an
 * empty element. Jansson's DOM was most of the time of a score; this reads in one pass.
 */
struct json_reader {
    const char *p, *end;
    xmlDocPtr doc;
    char *buf; /* scratch for one unescaped string */
    size_t cap;
};

#define JSON_MAX_DEPTH 32

static void
skip_ws(struct json_reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
        r->p++;
}

static int
hex4(const char *p)
{
    int v = 0;

    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

static size_t
put_utf8(char *out, unsigned long cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The string at r->p (after its opening quote) unescaped into r->buf; its length or -1. */
static long
read_string(struct json_reader *r)
{
    size_t n = 0;

    r->p++;
    while (r->p < r->end && *r->p != '"') {
        if (n + 8 > r->cap) {
            char *grown = realloc(r->buf, r->cap * 2);
            if (grown == NULL)
                return -1;
            r->buf = grown;
            r->cap *= 2;
        }
        if ((unsigned char)*r->p < 0x20)
            return -1;
        if (*r->p != '\\') {
            r->buf[n++] = *r->p++;
            continue;
        }
        if (++r->p >= r->end)
            return -1;
        switch (*r->p) {
        case '"': r->buf[n++] = '"'; break;
        case '\\': r->buf[n++] = '\\'; break;
        case '/': r->buf[n++] = '/'; break;
        case 'b': r->buf[n++] = '\b'; break;
        case 'f': r->buf[n++] = '\f'; break;
        case 'n': r->buf[n++] = '\n'; break;
        case 'r': r->buf[n++] = '\r'; break;
        case 't': r->buf[n++] = '\t'; break;
        case 'u': {
            long cp;
            if (r->end - r->p < 5 || (cp = hex4(r->p + 1)) < 0)
                return -1;
            r->p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) { /* a surrogate pair */
                long lo;
                if (r->end - r->p < 7 || r->p[1] != '\\' || r->p[2] != 'u' ||
                    (lo = hex4(r->p + 3)) < 0xDC00 || lo > 0xDFFF)
                    return -1;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                r->p += 6;
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return -1;
            }
            if (cp == 0)
                return -1; /* no NUL in an XML text */
            n += put_utf8(r->buf + n, (unsigned long)cp);
            break;
        }
        default: return -1;
        }
        r->p++;
    }
    if (r->p >= r->end)
        return -1;
    r->p++;
    r->buf[n] = '\0';
    return (long)n;
}

/* An element name: ASCII letters, digits, _ - . and any non-ASCII (UTF-8) letter bytes. */
static bool
valid_name(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' || (*s & 0x80)))
        return false;
    for (s++; *s != '\0'; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.' || (*s & 0x80)))
            return false;
    return true;
}

static bool read_value(struct json_reader *r, xmlNodePtr parent, const xmlChar *name, int depth);

/* Members of an object into `node`. */
static bool
read_members(struct json_reader *r, xmlNodePtr node, int depth)
{
    r->p++;
    skip_ws(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        return true;
    }
    for (;;) {
        const xmlChar *key;
        skip_ws(r);
        if (r->p >= r->end || *r->p != '"' || read_string(r) < 0 || !valid_name(r->buf))
            return false;
        /* names live in the document's dictionary: one copy per distinct key */
        if ((key = xmlDictLookup(r->doc->dict, X(r->buf), -1)) == NULL)
            return false;
        skip_ws(r);
        if (r->p >= r->end || *r->p++ != ':' || !read_value(r, node, key, depth + 1))
            return false;
        skip_ws(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == '}') {
            r->p++;
            return true;
        }
        return false;
    }
}

static xmlNodePtr
add_element(struct json_reader *r, xmlNodePtr parent, const xmlChar *name)
{
    xmlNodePtr n = xmlNewDocNode(r->doc, NULL, name, NULL);

    if (n != NULL && xmlAddChild(parent, n) == NULL) {
        xmlFreeNode(n);
        return NULL;
    }
    return n;
}

static bool
read_value(struct json_reader *r, xmlNodePtr parent, const xmlChar *name, int depth)
{
    xmlNodePtr n;
    const char *start;

    skip_ws(r);
    if (r->p >= r->end || depth > JSON_MAX_DEPTH)
        return false;
    if (*r->p == '[') {
        r->p++;
        skip_ws(r);
        if (r->p < r->end && *r->p == ']') {
            r->p++;
            return true;
        }
        for (;;) {
            if (!read_value(r, parent, name, depth + 1))
                return false;
            skip_ws(r);
            if (r->p < r->end && *r->p == ',') {
                r->p++;
                continue;
            }
            if (r->p < r->end && *r->p == ']') {
                r->p++;
                return true;
            }
            return false;
        }
    }
    if ((n = add_element(r, parent, name)) == NULL)
        return false;
    if (*r->p == '{')
        return read_members(r, n, depth);
    if (*r->p == '"') {
        long len = read_string(r);
        if (len < 0)
            return false;
        if (len > 0)
            xmlNodeAddContentLen(n, X(r->buf), (int)len);
        return true;
    }
    start = r->p;
    while (r->p < r->end && *r->p != ',' && *r->p != '}' && *r->p != ']' && *r->p != ' ' &&
           *r->p != '\n' && *r->p != '\r' && *r->p != '\t')
        r->p++;
    if (r->p - start == 4 && memcmp(start, "null", 4) == 0)
        return true;
    if (r->p == start)
        return false;
    for (const char *q = start; q < r->p; q++)
        if (!((*q >= '0' && *q <= '9') || *q == '-' || *q == '+' || *q == '.' || *q == 'e' ||
              *q == 'E' || (*q >= 'a' && *q <= 'z')))
            return false; /* numbers, true and false only */
    xmlNodeAddContentLen(n, X(start), (int)(r->p - start));
    return true;
}

enum tc_status
tc_rules_doc_from_json(const char *values_json, const char *root, struct tc_rules_doc **out,
                       struct tc_error *err)
{
    struct json_reader r = {.p = values_json, .end = values_json + strlen(values_json), .cap = 256};
    struct tc_rules_doc *d = NULL;
    bool ok;

    *out = NULL;
    if ((d = calloc(1, sizeof(*d))) == NULL || (r.buf = malloc(r.cap)) == NULL ||
        (d->doc = xmlNewDoc(X("1.0"))) == NULL || (d->doc->dict = xmlDictCreate()) == NULL ||
        (d->root = xmlNewDocNode(d->doc, NULL, X(root), NULL)) == NULL) {
        free(r.buf);
        tc_rules_doc_free(d);
        return tc_fail(err, TC_ENOMEM, "out of memory");
    }
    xmlDocSetRootElement(d->doc, d->root);
    r.doc = d->doc;
    skip_ws(&r);
    ok = r.p < r.end && *r.p == '{' && read_members(&r, d->root, 0);
    if (ok) {
        skip_ws(&r);
        ok = r.p == r.end;
    }
    free(r.buf);
    if (!ok) {
        tc_rules_doc_free(d);
        return tc_fail(err, TC_EINVAL, "submission values are not a JSON object");
    }
    *out = d;
    return TC_OK;
}

void
tc_rules_doc_free(struct tc_rules_doc *doc)
{
    if (doc == NULL)
        return;
    xmlFreeDoc(doc->doc);
    free(doc);
}

char *
tc_rules_normalize_name(const char *s, bool strip_marks, struct tc_arena *arena)
{
    utf8proc_uint8_t *mapped = NULL;
    utf8proc_option_t opts =
        (utf8proc_option_t)(UTF8PROC_STABLE | UTF8PROC_CASEFOLD | UTF8PROC_STRIPCC |
                            (strip_marks ? UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK
                                         : UTF8PROC_COMPOSE));
    char *out, *w;
    const char *r;
    bool space = false;

    if (utf8proc_map((const utf8proc_uint8_t *)s, 0, &mapped,
                     (utf8proc_option_t)(opts | UTF8PROC_NULLTERM)) < 0)
        return NULL;
    if ((out = tc_arena_alloc(arena, strlen((char *)mapped) + 1)) == NULL) {
        free(mapped);
        return NULL;
    }
    w = out;
    for (r = (const char *)mapped; *r != '\0'; r++) {
        unsigned char c = (unsigned char)*r;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            space = w != out;
            continue;
        }
        if (space)
            *w++ = ' ';
        space = false;
        /* đ (U+0111) has no decomposition: fold it by hand when marks are stripped */
        if (strip_marks && c == 0xC4 && (unsigned char)r[1] == 0x91) {
            *w++ = 'd';
            r++;
            continue;
        }
        *w++ = (char)c;
    }
    *w = '\0';
    free(mapped);
    return out;
}
