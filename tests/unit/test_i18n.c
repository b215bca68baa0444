#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/mo.h"
#include "tincay/embedded.h"
#include "tincay/i18n.h"
#include "tincay/messages.h"
#include "tincay/status.h"

static void
lookup_in_both_languages(void **state)
{
    (void)state;
    assert_string_equal(tc_tr(TC_LANG_VI, "not found"), "không tìm thấy");
    assert_string_equal(tc_tr(TC_LANG_EN, "not found"), "not found");
    assert_string_equal(tc_tr(TC_LANG_VI, TC_MSG_LOGIN_FAILED), "sai tên đăng nhập hoặc mật khẩu");
    assert_string_equal(tc_tr(TC_LANG_EN, TC_MSG_LOGIN_FAILED), "wrong login or password");
    assert_int_equal(tc_i18n_check(), 0);
}

static void
missing_msgid_returns_itself(void **state)
{
    static const char absent[] = "no catalogue has this message";

    (void)state;
    assert_ptr_equal(tc_tr(TC_LANG_VI, absent), absent);
    assert_ptr_equal(tc_tr(TC_LANG_EN, absent), absent);
    assert_string_equal(tc_tr(TC_LANG_VI, ""), ""); /* not the catalogue header */
    assert_null(tc_tr(TC_LANG_VI, NULL));
    /* An out-of-range language reads as the default, Vietnamese. */
    assert_string_equal(tc_tr((enum tc_lang)7, "not found"), "không tìm thấy");
}

static void
tc_fail_formats_the_translation(void **state)
{
    struct tc_error vi = TC_ERROR_INIT(TC_LANG_VI), en = TC_ERROR_INIT(TC_LANG_EN);

    (void)state;
    assert_int_equal(tc_fail(&vi, TC_EINVAL, "value of %s is too long (%zu bytes, at most %zu)",
                             "TINCAY_LISTEN", (size_t)70, (size_t)63),
                     TC_EINVAL);
    assert_string_equal(vi.msg, "giá trị của TINCAY_LISTEN quá dài (70 byte, tối đa 63)");
    tc_fail(&en, TC_EINVAL, "value of %s is too long (%zu bytes, at most %zu)", "X", (size_t)2,
            (size_t)1);
    assert_string_equal(en.msg, "value of X is too long (2 bytes, at most 1)");
}

static void
every_status_message_is_translated(void **state)
{
    (void)state;
    for (int s = 0; s < TC_STATUS_COUNT; s++) {
        const char *msgid = tc_status_message((enum tc_status)s);

        assert_non_null(msgid);
        if (strcmp(tc_tr(TC_LANG_VI, msgid), msgid) == 0)
            fail_msg("status %d: \"%s\" has no Vietnamese translation", s, msgid);
    }
    assert_string_equal(tc_status_message((enum tc_status)TC_STATUS_COUNT), "internal error");
}

static const struct tc_embedded *
embedded(const char *name)
{
    for (size_t i = 0; i < tc_catalogs_count; i++)
        if (strcmp(tc_catalogs[i].name, name) == 0)
            return &tc_catalogs[i];
    fail_msg("catalogue %s is not embedded", name);
    return NULL;
}

/* The English catalogue lists every msgid (it is the identity); each needs Vietnamese. */
static void
vietnamese_catalogue_is_complete(void **state)
{
    const struct tc_embedded *en = embedded("en.mo");
    struct tc_mo mo;

    (void)state;
    assert_int_equal(tc_mo_open(&mo, en->data, en->len), 0);
    assert_true(mo.n_strings > 40);
    for (uint32_t i = 0; i < mo.n_strings; i++) {
        const char *msgid, *english;

        assert_int_equal(tc_mo_entry(&mo, i, &msgid, &english), 0);
        if (msgid[0] == '\0')
            continue; /* the header */
        assert_string_equal(english, msgid);
        if (tc_tr(TC_LANG_VI, msgid) == msgid)
            fail_msg("\"%s\" has no Vietnamese translation: edit po/vi.po", msgid);
    }
}

static void
accept_language(void **state)
{
    static const struct {
        const char *header;
        enum tc_lang expect;
    } cases[] = {
        {NULL, TC_LANG_VI},
        {"", TC_LANG_VI},
        {"en", TC_LANG_EN},
        {"EN-gb", TC_LANG_EN},
        {"vi-VN", TC_LANG_VI},
        {"en-US,en;q=0.9", TC_LANG_EN},
        {"fr-FR, en;q=0.5, vi;q=0.8", TC_LANG_VI},
        {"vi;q=0.2, en;q=0.9", TC_LANG_EN},
        {"en;Q=0.7,vi;q=0.6", TC_LANG_EN},
        {"vi;q=0.125, en;q=0.124", TC_LANG_VI},
        {"en;q=1.000", TC_LANG_EN},
        {"en;q=0", TC_LANG_VI}, /* q=0 means "not acceptable" */
        {"en;q=abc", TC_LANG_VI},
        {"en;q=1.5", TC_LANG_VI},
        {"en;q=nan", TC_LANG_VI},
        {"en;q=0.0001", TC_LANG_VI},
        {"en;q=-1", TC_LANG_VI},
        {";;;,,,", TC_LANG_VI},
        {"english, *", TC_LANG_VI},
        {"en-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", TC_LANG_VI},
        {"\xff\xfe, en", TC_LANG_EN},
        {" en ;level=1; q=0.3 , fr", TC_LANG_EN},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (tc_lang_from_accept(cases[i].header, TC_LANG_VI) != cases[i].expect)
            fail_msg("Accept-Language \"%s\": expected %s", cases[i].header ? cases[i].header : "",
                     tc_lang_name(cases[i].expect));
    assert_int_equal(tc_lang_from_accept("de", TC_LANG_EN), TC_LANG_EN);
}

/* Write `v` at `p` in the chosen byte order. */
static void
put_u32(unsigned char *p, uint32_t v, bool big_endian)
{
    for (int i = 0; i < 4; i++)
        p[big_endian ? 3 - i : i] = (unsigned char)(v >> (8 * i));
}

static const char *const pairs[][2] = {
    {"", "Content-Type: text/plain; charset=UTF-8\n"},
    {"apple", "táo"},
    {"banana", "chuối"},
    {"cherry", "anh đào"},
};
#define N_PAIRS (sizeof(pairs) / sizeof(pairs[0]))

/* A .mo as msgfmt writes it (without the optional hash table); returns its size. */
static size_t
build_mo(unsigned char *buf, size_t size, bool big_endian)
{
    uint32_t at = 28 + 16 * (uint32_t)N_PAIRS;

    memset(buf, 0, size);
    put_u32(buf, 0x950412de, big_endian);
    put_u32(buf + 8, (uint32_t)N_PAIRS, big_endian);
    put_u32(buf + 12, 28, big_endian);
    put_u32(buf + 16, 28 + 8 * (uint32_t)N_PAIRS, big_endian);
    for (size_t t = 0; t < 2; t++) {
        for (uint32_t i = 0; i < N_PAIRS; i++) {
            uint32_t len = (uint32_t)strlen(pairs[i][t]);
            unsigned char *slot = buf + 28 + 8 * (t * N_PAIRS + i);

            assert_true(at + len + 1 <= size);
            put_u32(slot, len, big_endian);
            put_u32(slot + 4, at, big_endian);
            memcpy(buf + at, pairs[i][t], len + 1);
            at += len + 1;
        }
    }
    return at;
}

/* Exercise every entry point on `len` bytes in a buffer of exactly that size (for ASan). */
static int
poke(const unsigned char *bytes, size_t len)
{
    unsigned char *copy = malloc(len ? len : 1);
    struct tc_mo mo;
    const char *a, *b;
    int rc;

    assert_non_null(copy);
    memcpy(copy, bytes, len);
    rc = tc_mo_open(&mo, copy, len);
    if (rc == 0)
        rc = tc_mo_check(&mo);
    for (size_t i = 0; i < N_PAIRS; i++)
        (void)tc_mo_lookup(&mo, pairs[i][0]);
    (void)tc_mo_lookup(&mo, "zzz");
    (void)tc_mo_entry(&mo, 1, &a, &b);
    free(copy);
    return rc;
}

static void
reads_both_byte_orders(void **state)
{
    unsigned char buf[512];

    (void)state;
    for (int big = 0; big < 2; big++) {
        size_t len = build_mo(buf, sizeof(buf), big);
        struct tc_mo mo;

        assert_int_equal(tc_mo_open(&mo, buf, len), 0);
        assert_int_equal(mo.swapped, big);
        assert_int_equal(tc_mo_check(&mo), 0);
        assert_string_equal(tc_mo_lookup(&mo, "apple"), "táo");
        assert_string_equal(tc_mo_lookup(&mo, "banana"), "chuối");
        assert_string_equal(tc_mo_lookup(&mo, "cherry"), "anh đào");
        assert_null(tc_mo_lookup(&mo, "apricot"));
        assert_null(tc_mo_lookup(&mo, "zucchini"));
        assert_int_equal(poke(buf, len), 0);
    }
}

static void
corrupted_catalogue_refused(void **state)
{
    unsigned char buf[512], bad[512];
    size_t len = build_mo(buf, sizeof(buf), false);
    struct tc_mo mo;

    (void)state;
    assert_int_equal(tc_mo_open(&mo, NULL, 0), -1);
    assert_int_equal(tc_mo_open(&mo, buf, 27), -1); /* shorter than a header */
    assert_null(tc_mo_lookup(&mo, "apple"));        /* a refused catalogue is empty */

#define CORRUPT(offset, value, open_rc)                                                            \
    do {                                                                                           \
        memcpy(bad, buf, len);                                                                     \
        put_u32(bad + (offset), (value), false);                                                   \
        assert_int_equal(tc_mo_open(&mo, bad, len), (open_rc));                                    \
        assert_int_equal(poke(bad, len), -1);                                                      \
    } while (0)

    CORRUPT(0, 0x12345678, -1);         /* magic */
    CORRUPT(4, 2u << 16, -1);           /* unknown major revision */
    CORRUPT(8, 0xffffffff, -1);         /* more strings than bytes */
    CORRUPT(12, (uint32_t)len, -1);     /* originals table past the end */
    CORRUPT(16, 0xfffffff0, -1);        /* translations table past the end */
    CORRUPT(28 + 8 + 4, 0xffffff00, 0); /* an msgid's offset past the end */
    CORRUPT(28 + 8, 0xffffffff, 0);     /* an msgid's length past the end */
    CORRUPT(28 + 8, (uint32_t)len, 0);  /* a length that overlaps the end exactly */
    CORRUPT(28 + 32 + 8 + 4, 5000, 0);  /* a translation's offset past the end */
    CORRUPT(28 + 8, 3, 0);              /* "app" is not followed by a NUL */
#undef CORRUPT

    /* Originals out of order: the binary search would be wrong, so check refuses it. */
    memcpy(bad, buf, len);
    memcpy(bad + 28 + 8, buf + 28 + 16, 8);
    memcpy(bad + 28 + 16, buf + 28 + 8, 8);
    assert_int_equal(poke(bad, len), -1);

    /* Every prefix, and every single-byte change, is handled without reading out of bounds. */
    for (size_t n = 0; n < len; n++)
        assert_int_equal(poke(buf, n), -1);
    for (size_t i = 0; i < len; i++) {
        memcpy(bad, buf, len);
        bad[i] ^= 0xa5;
        (void)poke(bad, len);
    }
}

static void
embedded_catalogues_survive_truncation(void **state)
{
    const struct tc_embedded *vi = embedded("vi.mo");

    (void)state;
    assert_int_equal(poke((const unsigned char *)vi->data, vi->len), 0);
    for (size_t n = 0; n < vi->len; n += 7)
        (void)poke((const unsigned char *)vi->data, n);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lookup_in_both_languages),
        cmocka_unit_test(missing_msgid_returns_itself),
        cmocka_unit_test(tc_fail_formats_the_translation),
        cmocka_unit_test(every_status_message_is_translated),
        cmocka_unit_test(vietnamese_catalogue_is_complete),
        cmocka_unit_test(accept_language),
        cmocka_unit_test(reads_both_byte_orders),
        cmocka_unit_test(corrupted_catalogue_refused),
        cmocka_unit_test(embedded_catalogues_survive_truncation),
    };

    return cmocka_run_group_tests_name("i18n", tests, NULL, NULL);
}
