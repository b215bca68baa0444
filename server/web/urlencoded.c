#include "web/urlencoded.h"

#include <stdbool.h>
#include <string.h>

#include <sodium.h>

#include "tincay/arena.h"

static int
hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Length of the UTF-8 sequence at `s` (of `len` bytes), or 0 when it is not well-formed. */
static size_t
utf8_sequence(const unsigned char *s, size_t len)
{
    size_t need;
    unsigned int cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        need = 2, cp = s[0] & 0x1Fu;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        need = 3, cp = s[0] & 0x0Fu;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        need = 4, cp = s[0] & 0x07u;
    else
        return 0;
    if (len < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    /* Overlong forms, surrogates and values past U+10FFFF. */
    if ((need == 3 && cp < 0x800) || (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return need;
}

/* UTF-8, and no control character but tab, CR and LF (those only in values). */
static bool
acceptable(const char *s, size_t len, bool is_value)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        size_t n;

        if (p[i] < 0x20 || p[i] == 0x7F) {
            if (!is_value || (p[i] != '\t' && p[i] != '\r' && p[i] != '\n'))
                return false;
        }
        if ((n = utf8_sequence(p + i, len - i)) == 0)
            return false;
        i += n;
    }
    return true;
}

/* Decode `len` bytes into a new arena string; NULL with *bad set for a bad escape. */
static char *
decode(const char *s, size_t len, struct tc_arena *arena, size_t *out_len, bool *bad)
{
    char *out = tc_arena_alloc(arena, len + 1), *o = out;
    int hi, lo;

    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] != '%') {
            *o++ = s[i];
        } else if (i + 2 < len && (hi = hex_value(s[i + 1])) >= 0 &&
                   (lo = hex_value(s[i + 2])) >= 0) {
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        } else {
            *bad = true;
            return NULL;
        }
    }
    *o = '\0';
    *out_len = (size_t)(o - out);
    return out;
}

static enum tc_status
add_piece(const char *piece, size_t len, struct tc_arena *arena, struct tc_form_data *out,
          struct tc_error *err)
{
    const char *eq = memchr(piece, '=', len);
    size_t name_len = eq != NULL ? (size_t)(eq - piece) : len;
    size_t value_raw = eq != NULL ? len - name_len - 1 : 0, n_name = 0;
    struct tc_form_field *f;
    bool bad = false;
    char *name;

    if (out->n == TC_URLENCODED_MAX_FIELDS)
        return tc_fail(err, TC_EBADREQ, "the form has too many fields");
    f = &out->fields[out->n];
    name = decode(piece, name_len, arena, &n_name, &bad);
    f->value = name != NULL
                   ? decode(eq != NULL ? eq + 1 : "", value_raw, arena, &f->value_len, &bad)
                   : NULL;
    if (bad)
        return tc_fail(err, TC_EBADREQ, "the form has a malformed %%-escape");
    if (name == NULL || f->value == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if (n_name == 0 || !acceptable(name, n_name, false) ||
        !acceptable(f->value, f->value_len, true))
        return tc_fail(err, TC_EBADREQ, "the form has a field that is not valid text");
    f->name = name;
    out->n++;
    return TC_OK;
}

enum tc_status
tc_urlencoded_parse(const char *body, size_t len, struct tc_arena *arena, struct tc_form_data *out,
                    struct tc_error *err)
{
    size_t start = 0;

    out->n = 0;
    while (start < len) {
        enum tc_status st;
        const char *amp = memchr(body + start, '&', len - start);
        size_t end = amp != NULL ? (size_t)(amp - body) : len;

        if (end > start && (st = add_piece(body + start, end - start, arena, out, err)) != TC_OK)
            return st;
        start = end + 1;
    }
    return TC_OK;
}

struct tc_form_field *
tc_form_field(struct tc_form_data *form, const char *name)
{
    for (size_t i = 0; i < form->n; i++)
        if (strcmp(form->fields[i].name, name) == 0)
            return &form->fields[i];
    return NULL;
}

const char *
tc_form_get(const struct tc_form_data *form, const char *name)
{
    for (size_t i = 0; i < form->n; i++)
        if (strcmp(form->fields[i].name, name) == 0)
            return form->fields[i].value;
    return NULL;
}

void
tc_form_wipe(struct tc_form_data *form)
{
    if (form == NULL)
        return;
    for (size_t i = 0; i < form->n; i++)
        sodium_memzero(form->fields[i].value, form->fields[i].value_len);
}
