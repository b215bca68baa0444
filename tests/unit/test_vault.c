#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "tincay/arena.h"
#include "tincay/keyfile.h"
#include "tincay/vault.h"

/* Whether `needle` occurs in the `len` bytes at `hay`. */
static bool
contains(const unsigned char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);

    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return true;
    return false;
}

/* A key file with two keys, the second current. */
static const char ring_text[] = "tincay-keyfile 1\n"
                                "# test keys\n"
                                "key 0a0b0c0d old AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n"
                                "key 1a1b1c1d current "
                                "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8\n";
static const char other_text[] = "tincay-keyfile 1\n"
                                 "key 1a1b1c1d current "
                                 "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8\n";

static struct tc_keyring *
ring_from(const char *text)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_keyring *ring = NULL;

    if (tc_keyring_parse(text, strlen(text), &ring, &err) != TC_OK)
        fail_msg("%s", err.msg);
    return ring;
}

static void
keyfile_parses_and_lists_ids(void **state)
{
    char ids[TC_KEYRING_MAX][TC_KEY_ID_LEN + 1], current[TC_KEY_ID_LEN + 1];
    struct tc_keyring *ring = ring_from(ring_text);
    size_t n = 0;

    (void)state;
    tc_keyring_ids(ring, ids, &n, current);
    assert_int_equal(n, 2);
    assert_string_equal(ids[0], "0a0b0c0d");
    assert_string_equal(ids[1], "1a1b1c1d");
    assert_string_equal(current, "1a1b1c1d");
    tc_keyring_close(ring);
}

static void
keyfile_refuses_malformed_text(void **state)
{
    static const char *const bad[] = {
        "",
        "key 0a0b0c0d current AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n", /* no header */
        "tincay-keyfile 1\n",                                                 /* no key */
        "tincay-keyfile 1\nkey 0a0b0c0d old AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n",
        "tincay-keyfile 1\nkey 0A0B0C0D current AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n",
        "tincay-keyfile 1\nkey 0a0b0c0d current AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh\n",
        "tincay-keyfile 1\nkey 0a0b0c0d current AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8 x\n",
        "tincay-keyfile 1\nkey 0a0b0c0d current AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n"
        "key 0a0b0c0d old AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n", /* repeated id */
        "tincay-keyfile 1\nkey 0a0b0c0d current AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n"
        "key 0a0b0c0e current AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n", /* two current */
    };
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tc_keyring *ring = NULL;

        assert_int_equal(tc_keyring_parse(bad[i], strlen(bad[i]), &ring, &err), TC_EINVAL);
        assert_null(ring);
    }
}

/* A fresh folder under the build tree's tmp. */
static void
temp_dir(char *out, size_t size)
{
    snprintf(out, size, "%s/vault-test-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(out));
}

static void
keyfile_is_created_0600_and_refused_when_0644(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char dir[256], path[300], ids[TC_KEYRING_MAX][TC_KEY_ID_LEN + 1], current[TC_KEY_ID_LEN + 1];
    char rotated[TC_KEY_ID_LEN + 1];
    struct tc_keyring *ring = NULL;
    struct stat sb;
    size_t n = 0;

    (void)state;
    temp_dir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/keys/server.key", dir);
    assert_int_equal(tc_keyring_open(path, false, &ring, &err), TC_ENOTFOUND);
    assert_int_equal(tc_keyring_open(path, true, &ring, &err), TC_OK);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    snprintf(path, sizeof(path), "%s/keys", dir);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    snprintf(path, sizeof(path), "%s/keys/server.key", dir);
    tc_keyring_ids(ring, ids, &n, current);
    assert_int_equal(n, 1);

    /* A rotation shows up in the open ring, the old key kept. */
    assert_int_equal(tc_keyfile_rotate(path, rotated, &err), TC_OK);
    assert_int_equal(tc_keyring_refresh(ring, &err), TC_OK);
    tc_keyring_ids(ring, ids, &n, current);
    assert_int_equal(n, 2);
    assert_string_equal(current, rotated);
    assert_int_equal(tc_keyfile_drop(path, rotated, &err), TC_ECONFLICT);
    assert_int_equal(tc_keyfile_drop(path, ids[0], &err), TC_OK);
    tc_keyring_close(ring);

    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(tc_keyring_open(path, true, &ring, &err), TC_EINVAL);
    assert_non_null(strstr(err.msg, "0644"));
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(tc_keyring_open(path, false, &ring, &err), TC_OK);
    tc_keyring_close(ring);
    snprintf(path, sizeof(path), "%s/keys", dir);
    assert_int_equal(chmod(path, 0777), 0);
    snprintf(path, sizeof(path), "%s/keys/server.key", dir);
    assert_int_equal(tc_keyring_open(path, false, &ring, &err), TC_EINVAL);

    assert_int_equal(unlink(path), 0);
    snprintf(path, sizeof(path), "%s/keys", dir);
    assert_int_equal(rmdir(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

static void
personal_envelope_round_trip_and_binding(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_keyring *ring = ring_from(ring_text), *other = ring_from(other_text);
    struct tc_arena *arena = tc_arena_create(4096);
    const struct tc_plain_value values[] = {
        {"/data/member/name", "Lò Thị Mai", strlen("Lò Thị Mai")},
        {"/data/member/phone", "0912 345 678", 12},
    };
    static const char xml[] = "<data><member><name>Lò Thị Mai</name></member></data>";
    struct tc_personal_sealed sealed;
    struct tc_dek *dek = NULL;
    unsigned char *plain;
    size_t len;

    (void)state;
    assert_int_equal(tc_personal_seal(ring, "needs", "uuid:1", values, 2, xml, strlen(xml), arena,
                                      &sealed, &err),
                     TC_OK);
    assert_string_equal(sealed.key_id, "1a1b1c1d");
    assert_int_equal(sealed.n_values, 2);
    assert_false(contains(sealed.xml, sealed.xml_len, "Mai"));

    assert_int_equal(tc_dek_unwrap(ring, sealed.key_id, sealed.dek_wrapped, TC_DEK_WRAPPED_BYTES,
                                   "needs", "uuid:1", &dek, &err),
                     TC_OK);
    assert_int_equal(tc_dek_decrypt(dek, "needs", "uuid:1", TC_VAULT_FIELD_XML, sealed.xml,
                                    sealed.xml_len, arena, &plain, &len, &err),
                     TC_OK);
    assert_int_equal(len, strlen(xml));
    assert_memory_equal(plain, xml, len);
    assert_int_equal(tc_dek_decrypt(dek, "needs", "uuid:1", "/data/member/phone",
                                    sealed.values[1].ciphertext, sealed.values[1].len, arena,
                                    &plain, &len, &err),
                     TC_OK);
    assert_string_equal((const char *)plain, "0912 345 678");

    /* Moved to another field, another instance or another form: refused. */
    assert_int_equal(tc_dek_decrypt(dek, "needs", "uuid:1", "/data/member/name",
                                    sealed.values[1].ciphertext, sealed.values[1].len, arena,
                                    &plain, &len, &err),
                     TC_EINTERNAL);
    assert_int_equal(tc_dek_decrypt(dek, "needs", "uuid:2", "/data/member/phone",
                                    sealed.values[1].ciphertext, sealed.values[1].len, arena,
                                    &plain, &len, &err),
                     TC_EINTERNAL);
    assert_int_equal(tc_dek_decrypt(dek, "other", "uuid:1", TC_VAULT_FIELD_XML, sealed.xml,
                                    sealed.xml_len, arena, &plain, &len, &err),
                     TC_EINTERNAL);
    tc_dek_free(dek);

    /* The wrapped key of another instance, a wrong KEK, an unknown key id: refused. */
    assert_int_equal(tc_dek_unwrap(ring, sealed.key_id, sealed.dek_wrapped, TC_DEK_WRAPPED_BYTES,
                                   "needs", "uuid:2", &dek, &err),
                     TC_EINTERNAL);
    assert_int_equal(tc_dek_unwrap(other, sealed.key_id, sealed.dek_wrapped, TC_DEK_WRAPPED_BYTES,
                                   "needs", "uuid:1", &dek, &err),
                     TC_EINTERNAL);
    assert_int_equal(tc_dek_unwrap(ring, "0a0b0c0d", sealed.dek_wrapped, TC_DEK_WRAPPED_BYTES,
                                   "needs", "uuid:1", &dek, &err),
                     TC_EINTERNAL);
    assert_int_equal(tc_dek_unwrap(ring, "ffffffff", sealed.dek_wrapped, TC_DEK_WRAPPED_BYTES,
                                   "needs", "uuid:1", &dek, &err),
                     TC_ENOTFOUND);
    assert_null(dek);
    tc_arena_destroy(arena);
    tc_keyring_close(ring);
    tc_keyring_close(other);
}

static void
case_opens_only_with_its_unit_key(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_arena *arena = tc_arena_create(4096);
    struct tc_unit_key *unit = NULL, *other = NULL;
    static const char xml[] = "<data><victim>Hoàng Thị Lan</victim></data>";
    struct tc_case_sealed sealed;
    unsigned char *plain;
    size_t len;

    (void)state;
    assert_int_equal(tc_unit_key_generate(&unit, &err), TC_OK);
    assert_int_equal(tc_unit_key_generate(&other, &err), TC_OK);
    assert_int_equal(tc_case_seal(tc_unit_key_public(unit), "dctc_case", "uuid:c1", xml,
                                  strlen(xml), arena, &sealed, NULL, &err),
                     TC_OK);
    assert_int_equal(tc_case_open(unit, "dctc_case", "uuid:c1", sealed.dek_sealed,
                                  TC_DEK_SEALED_BYTES, sealed.xml, sealed.xml_len, arena, &plain,
                                  &len, NULL, &err),
                     TC_OK);
    assert_string_equal((const char *)plain, xml);
    assert_int_equal(tc_case_open(other, "dctc_case", "uuid:c1", sealed.dek_sealed,
                                  TC_DEK_SEALED_BYTES, sealed.xml, sealed.xml_len, arena, &plain,
                                  &len, NULL, &err),
                     TC_EFORBIDDEN);
    /* The sealed key names its record: another instance is refused. */
    assert_int_equal(tc_case_open(unit, "dctc_case", "uuid:c2", sealed.dek_sealed,
                                  TC_DEK_SEALED_BYTES, sealed.xml, sealed.xml_len, arena, &plain,
                                  &len, NULL, &err),
                     TC_EINTERNAL);
    tc_unit_key_free(unit);
    tc_unit_key_free(other);
    tc_arena_destroy(arena);
}

static void
attachment_stream_round_trip_and_truncation(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_arena *arena = tc_arena_create(1 << 16);
    size_t big = 3 * 65536 + 1234, len = 0, sealed_len = 0;
    unsigned char *data = malloc(big), *sealed, *plain;
    struct tc_dek *dek = NULL;

    (void)state;
    randombytes_buf(data, big);
    assert_int_equal(tc_dek_create(&dek, &err), TC_OK);
    assert_int_equal(tc_dek_stream_encrypt(dek, "f", "i", "photo.jpg", data, big, arena, &sealed,
                                           &sealed_len, &err),
                     TC_OK);
    assert_int_equal(tc_dek_stream_decrypt(dek, "f", "i", "photo.jpg", sealed, sealed_len, arena,
                                           &plain, &len, &err),
                     TC_OK);
    assert_int_equal(len, big);
    assert_memory_equal(plain, data, big);

    /* Cut after a whole chunk, cut mid-chunk, one byte changed, another name: refused. */
    assert_int_equal(tc_dek_stream_decrypt(dek, "f", "i", "photo.jpg", sealed, 24 + 65536 + 17,
                                           arena, &plain, &len, &err),
                     TC_EINTERNAL);
    assert_int_equal(tc_dek_stream_decrypt(dek, "f", "i", "photo.jpg", sealed, sealed_len - 1,
                                           arena, &plain, &len, &err),
                     TC_EINTERNAL);
    sealed[100] ^= 1;
    assert_int_equal(tc_dek_stream_decrypt(dek, "f", "i", "photo.jpg", sealed, sealed_len, arena,
                                           &plain, &len, &err),
                     TC_EINTERNAL);
    sealed[100] ^= 1;
    assert_int_equal(tc_dek_stream_decrypt(dek, "f", "i", "audio.m4a", sealed, sealed_len, arena,
                                           &plain, &len, &err),
                     TC_EINTERNAL);

    /* An empty attachment is one FINAL chunk. */
    assert_int_equal(
        tc_dek_stream_encrypt(dek, "f", "i", "e", "", 0, arena, &sealed, &sealed_len, &err), TC_OK);
    assert_int_equal(
        tc_dek_stream_decrypt(dek, "f", "i", "e", sealed, sealed_len, arena, &plain, &len, &err),
        TC_OK);
    assert_int_equal(len, 0);
    tc_dek_free(dek);
    free(data);
    tc_arena_destroy(arena);
}

/* A sink collecting what a stream writes. */
struct collected {
    unsigned char *data;
    size_t len, cap;
};

static enum tc_status
collect(void *ctx, const unsigned char *data, size_t len, struct tc_error *err)
{
    struct collected *c = ctx;

    (void)err;
    if (c->len + len > c->cap) {
        c->cap = (c->len + len) * 2;
        c->data = realloc(c->data, c->cap);
        assert_non_null(c->data);
    }
    if (len > 0)
        memcpy(c->data + c->len, data, len);
    c->len += len;
    return TC_OK;
}

/* Feed `len` bytes to `s` in pieces of varying sizes, then finish. */
static enum tc_status
feed(struct tc_stream *s, const unsigned char *data, size_t len, struct tc_error *err)
{
    static const size_t pieces[] = {1, 7, 65535, 3, 65537, 100000, 17};
    enum tc_status st = TC_OK;

    for (size_t i = 0, pos = 0; st == TC_OK && pos < len; i++) {
        size_t n = pieces[i % 7] < len - pos ? pieces[i % 7] : len - pos;

        st = tc_stream_write(s, data + pos, n, err);
        pos += n;
    }
    return st == TC_OK ? tc_stream_finish(s, err) : st;
}

static void
attachment_streams_piece_by_piece(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_arena *arena = tc_arena_create(1 << 16);
    static const size_t sizes[] = {0, 1, 65536, 2 * 65536 + 99};
    size_t big = 2 * 65536 + 99, sealed_len = 0, len = 0;
    unsigned char *data = malloc(big), *sealed, *plain;
    struct tc_dek *dek = NULL;
    struct tc_stream *s = NULL;

    (void)state;
    randombytes_buf(data, big);
    assert_int_equal(tc_dek_create(&dek, &err), TC_OK);
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        struct collected c = {0}, back = {0};

        /* Sealed piece by piece, opened at once; and the other way round. */
        assert_int_equal(tc_stream_seal_create(dek, "f", "i", "a.jpg", collect, &c, &s, &err),
                         TC_OK);
        assert_int_equal(feed(s, data, sizes[k], &err), TC_OK);
        tc_stream_free(s);
        assert_int_equal(
            tc_dek_stream_decrypt(dek, "f", "i", "a.jpg", c.data, c.len, arena, &plain, &len, &err),
            TC_OK);
        assert_int_equal(len, sizes[k]);
        assert_memory_equal(plain, data, len);
        assert_int_equal(tc_dek_stream_encrypt(dek, "f", "i", "a.jpg", data, sizes[k], arena,
                                               &sealed, &sealed_len, &err),
                         TC_OK);
        assert_int_equal(tc_stream_open_create(dek, "f", "i", "a.jpg", collect, &back, &s, &err),
                         TC_OK);
        assert_int_equal(feed(s, sealed, sealed_len, &err), TC_OK);
        tc_stream_free(s);
        assert_int_equal(back.len, sizes[k]);
        assert_true(back.len == 0 || memcmp(back.data, data, back.len) == 0);

        /* Cut short, or with bytes after the end: refused when finished. */
        back.len = 0;
        assert_int_equal(tc_stream_open_create(dek, "f", "i", "a.jpg", collect, &back, &s, &err),
                         TC_OK);
        assert_int_equal(feed(s, sealed, sealed_len - 1, &err), TC_EINTERNAL);
        tc_stream_free(s);
        assert_int_equal(tc_stream_open_create(dek, "f", "i", "a.jpg", collect, &back, &s, &err),
                         TC_OK);
        assert_int_equal(tc_stream_write(s, sealed, sealed_len, &err), TC_OK);
        assert_int_equal(tc_stream_write(s, sealed + 30, 20, &err), TC_OK);
        assert_int_equal(tc_stream_finish(s, &err), TC_EINTERNAL);
        tc_stream_free(s);
        free(c.data);
        free(back.data);
    }
    tc_dek_free(dek);
    free(data);
    tc_arena_destroy(arena);
}

static void
names_normalise(void **state)
{
    static const struct {
        const char *in;
        bool strip;
        const char *out;
    } table[] = {
        {"Hoàng Thị Lan", false, "hoàng thị lan|1990"},
        {"  HOÀNG   thị\tLAN ", false, "hoàng thị lan|1990"},
        /* NFD input (decomposed marks) gives the same NFC text. */
        {"Hoa\xcc\x80ng Thi\xcc\xa3 Lan", false, "hoàng thị lan|1990"},
        {"Hoàng Thị Lan", true, "hoang thi lan|1990"},
        {"Hoang Thi Lan", true, "hoang thi lan|1990"},
        {"ĐỖ THỊ ĐÀO", true, "do thi dao|1990"},
        {"Đỗ Thị Đào", false, "đỗ thị đào|1990"},
        {"Lò\xc2\xa0Thị  Mai", true, "lo thi mai|1990"}, /* no-break space */
    };
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char out[TC_BLIND_TEXT_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        assert_int_equal(tc_blind_normalise_name(table[i].in, 1990, table[i].strip, out, &err),
                         TC_OK);
        assert_string_equal(out, table[i].out);
    }
    assert_int_equal(tc_blind_normalise_name("   ", 1990, false, out, &err), TC_EINVAL);
    assert_int_equal(tc_blind_normalise_name("Lan", 1850, false, out, &err), TC_EINVAL);
    assert_int_equal(tc_blind_normalise_name("\xff\xfe", 1990, false, out, &err), TC_EINVAL);
}

static void
phones_normalise(void **state)
{
    static const char *const same[] = {
        "0912345678",      "091 234 5678",  "+84 912 345 678",    "84912345678",
        "+84-91-234-5678", "0084912345678", "(+84) 0912.345.678",
    };
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char out[TC_BLIND_TEXT_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        assert_int_equal(tc_blind_normalise_phone(same[i], out, &err), TC_OK);
        assert_string_equal(out, "0912345678");
    }
    assert_int_equal(tc_blind_normalise_phone("0213 3876 543", out, &err), TC_OK);
    assert_string_equal(out, "02133876543");
    assert_int_equal(tc_blind_normalise_phone("12345", out, &err), TC_EINVAL);
    assert_int_equal(tc_blind_normalise_phone("", out, &err), TC_EINVAL);
}

static void
blind_indexes_are_truncated_and_keyed(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_unit_key *a = NULL, *b = NULL;
    struct tc_blind_value va[TC_BLIND_KIND_COUNT], vb[TC_BLIND_KIND_COUNT], vc[TC_BLIND_KIND_COUNT];
    unsigned int seen_a[4096] = {0};
    size_t n = 0, distinct = 0;
    bool differs = false;

    (void)state;
    assert_int_equal(tc_unit_key_generate(&a, &err), TC_OK);
    assert_int_equal(tc_unit_key_generate(&b, &err), TC_OK);
    assert_int_equal(tc_blind_bits(TC_BLIND_NAME_BIRTHYEAR) +
                         tc_blind_bits(TC_BLIND_NAME_NODIACRITICS_BIRTHYEAR),
                     12);
    tc_blind_person(a, "Hoàng Thị Lan", 1990, "+84 912 345 678", va, &n);
    assert_int_equal(n, 3);
    assert_int_equal(va[0].len, 1);
    assert_true(va[0].value[0] < 64 && va[1].value[0] < 64);
    assert_int_equal(va[2].len, 2);
    assert_true((va[2].value[0] << 8 | va[2].value[1]) < 4096);

    /* Same person written differently: every index equal; without diacritics: one equal. */
    tc_blind_person(a, "  hoàng THỊ lan", 1990, "0912345678", vb, &n);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < 3; i++)
        assert_memory_equal(va[i].value, vb[i].value, va[i].len);
    tc_blind_person(a, "Hoang Thi Lan", 1990, NULL, vc, &n);
    assert_int_equal(n, 2);
    assert_memory_equal(va[1].value, vc[1].value, 1);

    /* Another unit's key gives other values (over many names, at least one differs). */
    for (int year = 1950; year < 2000; year++) {
        tc_blind_person(a, "Lò Thị Mai", year, NULL, va, &n);
        tc_blind_person(b, "Lò Thị Mai", year, NULL, vb, &n);
        differs = differs || va[0].value[0] != vb[0].value[0];
        if (seen_a[va[0].value[0]]++ == 0)
            distinct++;
    }
    assert_true(differs);
    /* 50 inputs into 64 buckets: collisions happen, and they spread. */
    assert_true(distinct > 20 && distinct < 50);
    tc_unit_key_free(a);
    tc_unit_key_free(b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keyfile_parses_and_lists_ids),
        cmocka_unit_test(keyfile_refuses_malformed_text),
        cmocka_unit_test(keyfile_is_created_0600_and_refused_when_0644),
        cmocka_unit_test(personal_envelope_round_trip_and_binding),
        cmocka_unit_test(case_opens_only_with_its_unit_key),
        cmocka_unit_test(attachment_stream_round_trip_and_truncation),
        cmocka_unit_test(attachment_streams_piece_by_piece),
        cmocka_unit_test(names_normalise),
        cmocka_unit_test(phones_normalise),
        cmocka_unit_test(blind_indexes_are_truncated_and_keyed),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests_name("vault", tests, NULL, NULL);
}
