#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <utf8proc.h>

#include "tincay/vault.h"
#include "vault/vault_internal.h"

static const char *const kind_names[TC_BLIND_KIND_COUNT] = {
    [TC_BLIND_NAME_BIRTHYEAR] = "name_birthyear",
    [TC_BLIND_NAME_NODIACRITICS_BIRTHYEAR] = "name_nodiacritics_birthyear",
    [TC_BLIND_PHONE] = "phone",
};

const char *
tc_blind_kind_name(enum tc_blind_kind kind)
{
    return (unsigned int)kind < TC_BLIND_KIND_COUNT ? kind_names[kind] : "";
}

unsigned int
tc_blind_bits(enum tc_blind_kind kind)
{
    return kind == TC_BLIND_PHONE ? TC_BLIND_PHONE_BITS : TC_BLIND_NAME_BITS;
}

/* Replace đ (U+0111, what case folding makes of Đ) by d, in place; UTF-8 0xC4 0x91. */
static size_t
map_d_stroke(char *s, size_t len)
{
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] == 0xC4 && i + 1 < len && (unsigned char)s[i + 1] == 0x91) {
            s[o++] = 'd';
            i++;
        } else {
            s[o++] = s[i];
        }
    }
    return o;
}

/* Runs of white space (ASCII and Unicode Zs, tabs, newlines) become one space; trimmed. */
static size_t
collapse_space(const char *in, size_t len, char *out, size_t size)
{
    size_t o = 0;
    bool pending = false;
    utf8proc_ssize_t step;

    for (size_t i = 0; i < len; i += (size_t)step) {
        utf8proc_int32_t cp;

        step = utf8proc_iterate((const utf8proc_uint8_t *)in + i, (utf8proc_ssize_t)(len - i), &cp);
        if (step <= 0)
            return 0;
        if (cp == '\t' || cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f' ||
            utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS) {
            pending = o > 0;
            continue;
        }
        if (o + (pending ? 1 : 0) + (size_t)step >= size)
            return 0;
        if (pending)
            out[o++] = ' ';
        pending = false;
        memcpy(out + o, in + i, (size_t)step);
        o += (size_t)step;
    }
    out[o] = '\0';
    return o;
}

enum tc_status
tc_blind_normalise_name(const char *name, int birth_year, bool strip_diacritics,
                        char out[TC_BLIND_TEXT_MAX], struct tc_error *err)
{
    utf8proc_option_t opts = UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_CASEFOLD;
    utf8proc_uint8_t *mapped = NULL;
    utf8proc_ssize_t n;
    size_t len;
    char text[TC_BLIND_TEXT_MAX];

    out[0] = '\0';
    if (birth_year < 1900 || birth_year > 2100)
        return tc_fail(err, TC_EINVAL, "a birth year lies between 1900 and 2100");
    opts |= strip_diacritics ? UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK : UTF8PROC_COMPOSE;
    if (name == NULL || (n = utf8proc_map((const utf8proc_uint8_t *)name, 0, &mapped, opts)) < 0)
        return tc_fail(err, TC_EINVAL, "a name is not valid UTF-8");
    len = (size_t)n;
    if (strip_diacritics)
        len = map_d_stroke((char *)mapped, len);
    len = collapse_space((const char *)mapped, len, text, sizeof(text) - 8);
    sodium_memzero(mapped, (size_t)n);
    free(mapped);
    if (len == 0)
        return tc_fail(err, TC_EINVAL, "a name is empty or too long");
    n = snprintf(out, TC_BLIND_TEXT_MAX, "%s|%d", text, birth_year);
    sodium_memzero(text, sizeof(text));
    if (n < 0 || n >= TC_BLIND_TEXT_MAX)
        return tc_fail(err, TC_EINVAL, "a name is empty or too long");
    return TC_OK;
}

enum tc_status
tc_blind_normalise_phone(const char *phone, char out[TC_BLIND_TEXT_MAX], struct tc_error *err)
{
    char digits[TC_BLIND_TEXT_MAX] = {0};
    size_t n = 0;
    const char *d = digits;

    memset(out, 0, 2);
    for (const char *p = phone ? phone : ""; *p != '\0' && n < sizeof(digits) - 2; p++)
        if (*p >= '0' && *p <= '9')
            digits[n++] = *p;
    digits[n] = '\0';
    /* Vietnam's country code: +84 / 0084 / 84 before a national number without its 0. */
    if (strncmp(d, "0084", 4) == 0)
        d += 4;
    else if (strncmp(d, "84", 2) == 0 && n >= 10)
        d += 2;
    {
        /* A national number keeps its leading 0; digits holds at most MAX - 2 of them. */
        size_t at = d != digits && d[0] != '0' ? 1 : 0, len = strlen(d);

        out[0] = '0';
        memcpy(out + at, d, len);
        out[at + len] = '\0';
    }
    sodium_memzero(digits, sizeof(digits));
    if (strlen(out) < 8) {
        sodium_memzero(out, TC_BLIND_TEXT_MAX);
        return tc_fail(err, TC_EINVAL, "a phone number has at least 8 digits");
    }
    return TC_OK;
}

void
tc_blind_compute(const struct tc_unit_key *key, enum tc_blind_kind kind, const char *text,
                 struct tc_blind_value *out)
{
    unsigned char subkey[32], h[16];
    unsigned int bits = tc_blind_bits(kind);
    unsigned int v;

    /* One key per kind, derived from the unit's secret key: the server's key file alone
       cannot recompute or test an index. */
    crypto_kdf_derive_from_key(subkey, sizeof(subkey), 1 + (uint64_t)kind, "tcblind1",
                               tc_unit_key_secret(key));
    crypto_generichash(h, sizeof(h), (const unsigned char *)text, strlen(text), subkey,
                       sizeof(subkey));
    v = ((unsigned int)h[0] << 8 | h[1]) & ((1u << bits) - 1);
    out->kind = kind;
    out->len = (bits + 7) / 8;
    if (out->len == 1) {
        out->value[0] = (unsigned char)v;
        out->value[1] = 0;
    } else {
        out->value[0] = (unsigned char)(v >> 8);
        out->value[1] = (unsigned char)v;
    }
    sodium_memzero(subkey, sizeof(subkey));
    sodium_memzero(h, sizeof(h));
}

void
tc_blind_person(const struct tc_unit_key *key, const char *name, int birth_year, const char *phone,
                struct tc_blind_value out[TC_BLIND_KIND_COUNT], size_t *n_out)
{
    char text[TC_BLIND_TEXT_MAX];
    size_t n = 0;

    if (name != NULL && tc_blind_normalise_name(name, birth_year, false, text, NULL) == TC_OK)
        tc_blind_compute(key, TC_BLIND_NAME_BIRTHYEAR, text, &out[n++]);
    if (name != NULL && tc_blind_normalise_name(name, birth_year, true, text, NULL) == TC_OK)
        tc_blind_compute(key, TC_BLIND_NAME_NODIACRITICS_BIRTHYEAR, text, &out[n++]);
    if (phone != NULL && tc_blind_normalise_phone(phone, text, NULL) == TC_OK)
        tc_blind_compute(key, TC_BLIND_PHONE, text, &out[n++]);
    sodium_memzero(text, sizeof(text));
    *n_out = n;
}
