#include <string.h>

#include <sodium.h>

#include "tincay/arena.h"
#include "tincay/password.h"
#include "tincay/vault.h"
#include "vault/vault_internal.h"

#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES   crypto_aead_xchacha20poly1305_ietf_ABYTES
#define CHUNK_BYTES 65536u
#define BIND_BYTES  16

_Static_assert(TC_DEK_WRAPPED_BYTES == NONCE_BYTES + 32 + TAG_BYTES, "wrapped DEK size");
_Static_assert(TC_DEK_SEALED_BYTES == crypto_box_SEALBYTES + 32 + BIND_BYTES, "sealed DEK size");
_Static_assert(TC_VALUE_OVERHEAD == NONCE_BYTES + TAG_BYTES, "value overhead");
_Static_assert(TC_SECRET_SEALED == crypto_box_SEALBYTES + TC_SECRET_BYTES, "sealed secret size");
_Static_assert(TC_PUBLIC_KEY_BYTES == crypto_box_PUBLICKEYBYTES, "public key size");

struct tc_dek {
    unsigned char key[32];
};

struct tc_unit_key {
    unsigned char pk[crypto_box_PUBLICKEYBYTES];
    unsigned char sk[crypto_box_SECRETKEYBYTES];
};

/* ---- associated data ---------------------------------------------------------------------- */

void
tc_ad_add(struct tc_ad *ad, const void *bytes, size_t len)
{
    if (ad->overflow || len > sizeof(ad->buf) - 4 || ad->len > sizeof(ad->buf) - 4 - len) {
        ad->overflow = true;
        return;
    }
    ad->buf[ad->len++] = (unsigned char)(len >> 24);
    ad->buf[ad->len++] = (unsigned char)(len >> 16);
    ad->buf[ad->len++] = (unsigned char)(len >> 8);
    ad->buf[ad->len++] = (unsigned char)len;
    if (len > 0)
        memcpy(ad->buf + ad->len, bytes, len);
    ad->len += len;
}

void
tc_ad_adds(struct tc_ad *ad, const char *s)
{
    tc_ad_add(ad, s ? s : "", s ? strlen(s) : 0);
}

void
tc_ad_addll(struct tc_ad *ad, long long v)
{
    unsigned char b[8];

    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((unsigned long long)v >> (56 - 8 * i));
    tc_ad_add(ad, b, sizeof(b));
}

void
tc_ad_init(struct tc_ad *ad, const char *domain)
{
    ad->len = 0;
    ad->overflow = false;
    tc_ad_adds(ad, domain);
}

/* The AD of a value: (form, instance, field). */
static void
value_ad(struct tc_ad *ad, const char *form_id, const char *instance_id, const char *field)
{
    tc_ad_init(ad, "tincay value v1");
    tc_ad_adds(ad, form_id);
    tc_ad_adds(ad, instance_id);
    tc_ad_adds(ad, field);
}

/* ---- secure memory ------------------------------------------------------------------------ */

struct wipe {
    void *ptr;
    size_t len;
};

static void
wipe_run(void *p)
{
    struct wipe *w = p;

    sodium_memzero(w->ptr, w->len);
}

void *
tc_arena_secret(struct tc_arena *arena, size_t len)
{
    struct wipe *w = tc_arena_alloc(arena, sizeof(*w));
    void *ptr = tc_arena_alloc(arena, len + 1);

    if (w == NULL || ptr == NULL)
        return NULL;
    *w = (struct wipe){.ptr = ptr, .len = len + 1};
    if (tc_arena_defer(arena, wipe_run, w) != 0)
        return NULL;
    return ptr;
}

enum tc_status
tc_dek_create(struct tc_dek **out, struct tc_error *err)
{
    if ((*out = sodium_malloc(sizeof(**out))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    crypto_aead_xchacha20poly1305_ietf_keygen((*out)->key);
    (void)sodium_mprotect_readonly(*out);
    return TC_OK;
}

static struct tc_dek *
dek_from(const unsigned char key[32])
{
    struct tc_dek *dek = sodium_malloc(sizeof(*dek));

    if (dek == NULL)
        return NULL;
    memcpy(dek->key, key, 32);
    (void)sodium_mprotect_readonly(dek);
    return dek;
}

void
tc_dek_free(struct tc_dek *dek)
{
    if (dek == NULL)
        return;
    (void)sodium_mprotect_readwrite(dek);
    sodium_free(dek);
}

enum tc_status
tc_unit_key_generate(struct tc_unit_key **out, struct tc_error *err)
{
    if ((*out = sodium_malloc(sizeof(**out))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    crypto_box_keypair((*out)->pk, (*out)->sk);
    (void)sodium_mprotect_readonly(*out);
    return TC_OK;
}

int
tc_unit_key_from_secret(const unsigned char secret[TC_SECRET_BYTES], struct tc_unit_key **out)
{
    if ((*out = sodium_malloc(sizeof(**out))) == NULL)
        return -1;
    memcpy((*out)->sk, secret, TC_SECRET_BYTES);
    if (crypto_scalarmult_base((*out)->pk, (*out)->sk) != 0) {
        sodium_free(*out);
        *out = NULL;
        return -1;
    }
    (void)sodium_mprotect_readonly(*out);
    return 0;
}

const unsigned char *
tc_unit_key_public(const struct tc_unit_key *key)
{
    return key->pk;
}

const unsigned char *
tc_unit_key_secret(const struct tc_unit_key *key)
{
    return key->sk;
}

void
tc_unit_key_free(struct tc_unit_key *key)
{
    if (key == NULL)
        return;
    (void)sodium_mprotect_readwrite(key);
    sodium_free(key);
}

/* ---- wrapping 32-byte secrets ------------------------------------------------------------- */

void
tc_secret_wrap(const unsigned char key[32], const struct tc_ad *ad,
               const unsigned char secret[TC_SECRET_BYTES], unsigned char out[TC_SECRET_WRAPPED])
{
    randombytes_buf(out, NONCE_BYTES);
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + NONCE_BYTES, NULL, secret, TC_SECRET_BYTES,
                                               ad->buf, ad->len, NULL, out, key);
}

int
tc_secret_unwrap(const unsigned char key[32], const struct tc_ad *ad, const unsigned char *wrapped,
                 size_t len, unsigned char secret[TC_SECRET_BYTES])
{
    if (len != TC_SECRET_WRAPPED || ad->overflow)
        return -1;
    return crypto_aead_xchacha20poly1305_ietf_decrypt(secret, NULL, NULL, wrapped + NONCE_BYTES,
                                                      len - NONCE_BYTES, ad->buf, ad->len, wrapped,
                                                      key);
}

enum tc_status
tc_kdf_password(struct tc_password_gate *gate, bool next, const char *password, size_t len,
                const unsigned char salt[TC_KDF_SALT_BYTES], unsigned long long opslimit,
                size_t memlimit, unsigned char key[32], struct tc_error *err)
{
    enum tc_status st;
    int rc;

    if (password == NULL || len == 0 || len > TC_PASSWORD_MAX_BYTES)
        return tc_fail(err, TC_EUNAUTH, "wrong password");
    if (opslimit < crypto_pwhash_OPSLIMIT_MIN || opslimit > crypto_pwhash_OPSLIMIT_MAX ||
        memlimit < crypto_pwhash_MEMLIMIT_MIN || memlimit > crypto_pwhash_MEMLIMIT_SENSITIVE)
        return tc_fail(err, TC_EINTERNAL, "stored key derivation costs are out of range");
    if ((st = next ? tc_password_gate_enter_next(gate, err) : tc_password_gate_enter(gate, err)) !=
        TC_OK)
        return st;
    rc = crypto_pwhash(key, 32, password, len, salt, opslimit, memlimit,
                       crypto_pwhash_ALG_ARGON2ID13);
    tc_password_gate_leave(gate);
    if (rc != 0)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    return TC_OK;
}

int
tc_session_wrap_key(const char *token, unsigned char key[32], unsigned char id_hash[32])
{
    unsigned char raw[32];
    size_t got = 0;
    const char *end = NULL;

    if (token == NULL || strlen(token) != 43 ||
        sodium_base642bin(raw, sizeof(raw), token, 43, NULL, &got, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        got != sizeof(raw) || end == NULL || *end != '\0')
        return -1;
    /* The hash is the sessions table's key (as src/store/sessions.c computes it); the wrap
       key is an independent subkey, so the hash in the database gives nothing of it. */
    crypto_generichash(id_hash, 32, raw, sizeof(raw), NULL, 0);
    crypto_kdf_derive_from_key(key, 32, 1, "tcsessuk", raw);
    sodium_memzero(raw, sizeof(raw));
    return 0;
}

/* ---- data keys ---------------------------------------------------------------------------- */

static void
wrap_ad(struct tc_ad *ad, const char *key_id, const char *form_id, const char *instance_id)
{
    tc_ad_init(ad, "tincay dek wrap v1");
    tc_ad_adds(ad, key_id);
    tc_ad_adds(ad, form_id);
    tc_ad_adds(ad, instance_id);
}

enum tc_status
tc_dek_wrap(struct tc_keyring *ring, const struct tc_dek *dek, const char *form_id,
            const char *instance_id, char key_id_out[TC_KEY_ID_LEN + 1],
            unsigned char out[TC_DEK_WRAPPED_BYTES], struct tc_error *err)
{
    unsigned char kek[TC_KEY_BYTES];
    struct tc_ad ad;

    if (!tc_keyring_copy_key(ring, NULL, kek, key_id_out))
        return tc_fail(err, TC_EINTERNAL, "the key file has no current key");
    wrap_ad(&ad, key_id_out, form_id, instance_id);
    if (ad.overflow) {
        sodium_memzero(kek, sizeof(kek));
        return tc_fail(err, TC_EINVAL, "form or instance id is too long");
    }
    tc_secret_wrap(kek, &ad, dek->key, out);
    sodium_memzero(kek, sizeof(kek));
    return TC_OK;
}

enum tc_status
tc_dek_unwrap(struct tc_keyring *ring, const char *key_id, const unsigned char *wrapped, size_t len,
              const char *form_id, const char *instance_id, struct tc_dek **out,
              struct tc_error *err)
{
    unsigned char kek[TC_KEY_BYTES], key[32];
    struct tc_ad ad;
    int rc;

    *out = NULL;
    if (key_id == NULL || !tc_keyring_copy_key(ring, key_id, kek, NULL))
        return tc_fail(err, TC_ENOTFOUND, "key \"%s\" is not in the key file",
                       key_id ? key_id : "");
    wrap_ad(&ad, key_id, form_id, instance_id);
    rc = tc_secret_unwrap(kek, &ad, wrapped, len, key);
    sodium_memzero(kek, sizeof(kek));
    if (rc != 0)
        return tc_fail(err, TC_EINTERNAL, "a data key does not open with key \"%s\"", key_id);
    *out = dek_from(key);
    sodium_memzero(key, sizeof(key));
    return *out ? TC_OK : tc_fail(err, TC_ENOMEM, "out of memory");
}

/* BLAKE2b-128 of (form, instance): sealed with the DEK so that it cannot be moved. */
static bool
binding(const char *form_id, const char *instance_id, unsigned char out[BIND_BYTES])
{
    struct tc_ad ad;

    tc_ad_init(&ad, "tincay dek seal v1");
    tc_ad_adds(&ad, form_id);
    tc_ad_adds(&ad, instance_id);
    crypto_generichash(out, BIND_BYTES, ad.buf, ad.len, NULL, 0);
    return !ad.overflow;
}

enum tc_status
tc_dek_seal(const struct tc_dek *dek, const unsigned char pk[TC_PUBLIC_KEY_BYTES],
            const char *form_id, const char *instance_id, unsigned char out[TC_DEK_SEALED_BYTES],
            struct tc_error *err)
{
    unsigned char plain[32 + BIND_BYTES];
    int rc;

    if (!binding(form_id, instance_id, plain + 32))
        return tc_fail(err, TC_EINVAL, "form or instance id is too long");
    memcpy(plain, dek->key, 32);
    rc = crypto_box_seal(out, plain, sizeof(plain), pk);
    sodium_memzero(plain, sizeof(plain));
    return rc == 0 ? TC_OK : tc_fail(err, TC_EINTERNAL, "cannot seal a data key");
}

enum tc_status
tc_dek_unseal(const struct tc_unit_key *key, const unsigned char *sealed, size_t len,
              const char *form_id, const char *instance_id, struct tc_dek **out,
              struct tc_error *err)
{
    unsigned char plain[32 + BIND_BYTES], bind[BIND_BYTES];
    enum tc_status st = TC_OK;

    *out = NULL;
    if (len != TC_DEK_SEALED_BYTES ||
        crypto_box_seal_open(plain, sealed, len, key->pk, key->sk) != 0)
        return tc_fail(err, TC_EFORBIDDEN, "this key does not open the record");
    if (!binding(form_id, instance_id, bind) || sodium_memcmp(bind, plain + 32, BIND_BYTES) != 0)
        st = tc_fail(err, TC_EINTERNAL, "a sealed data key belongs to another record");
    else if ((*out = dek_from(plain)) == NULL)
        st = tc_fail(err, TC_ENOMEM, "out of memory");
    sodium_memzero(plain, sizeof(plain));
    return st;
}

/* ---- values ------------------------------------------------------------------------------- */

enum tc_status
tc_dek_encrypt(const struct tc_dek *dek, const char *form_id, const char *instance_id,
               const char *field, const void *plain, size_t len, struct tc_arena *arena,
               unsigned char **out, size_t *out_len, struct tc_error *err)
{
    struct tc_ad ad;
    unsigned char *buf;

    value_ad(&ad, form_id, instance_id, field);
    if (ad.overflow || len > TC_VALUE_MAX)
        return tc_fail(err, TC_EINVAL, "a protected value or its field name is too long");
    if ((buf = tc_arena_alloc(arena, NONCE_BYTES + len + TAG_BYTES)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    randombytes_buf(buf, NONCE_BYTES);
    crypto_aead_xchacha20poly1305_ietf_encrypt(buf + NONCE_BYTES, NULL, plain, len, ad.buf, ad.len,
                                               NULL, buf, dek->key);
    *out = buf;
    *out_len = NONCE_BYTES + len + TAG_BYTES;
    return TC_OK;
}

enum tc_status
tc_dek_decrypt(const struct tc_dek *dek, const char *form_id, const char *instance_id,
               const char *field, const unsigned char *sealed, size_t len, struct tc_arena *arena,
               unsigned char **out, size_t *out_len, struct tc_error *err)
{
    struct tc_ad ad;
    unsigned char *buf;
    size_t plain_len;

    if (len < NONCE_BYTES + TAG_BYTES || len - NONCE_BYTES - TAG_BYTES > TC_VALUE_MAX)
        return tc_fail(err, TC_EINTERNAL, "a protected value does not open");
    plain_len = len - NONCE_BYTES - TAG_BYTES;
    value_ad(&ad, form_id, instance_id, field);
    if ((buf = tc_arena_secret(arena, plain_len)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if (ad.overflow || crypto_aead_xchacha20poly1305_ietf_decrypt(
                           buf, NULL, NULL, sealed + NONCE_BYTES, len - NONCE_BYTES, ad.buf, ad.len,
                           sealed, dek->key) != 0)
        return tc_fail(err, TC_EINTERNAL, "a protected value does not open");
    buf[plain_len] = '\0';
    *out = buf;
    *out_len = plain_len;
    return TC_OK;
}

/* ---- attachments -------------------------------------------------------------------------- */

#define SS_HEADER crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define SS_ABYTES crypto_secretstream_xchacha20poly1305_ABYTES

void
tc_dek_stream_key(const struct tc_dek *dek, unsigned char key[32])
{
    crypto_kdf_derive_from_key(key, 32, 2, "tcattach", dek->key);
}

enum tc_status
tc_dek_stream_encrypt(const struct tc_dek *dek, const char *form_id, const char *instance_id,
                      const char *name, const void *plain, size_t len, struct tc_arena *arena,
                      unsigned char **out, size_t *out_len, struct tc_error *err)
{
    crypto_secretstream_xchacha20poly1305_state state;
    unsigned char key[32], *buf, *p;
    const unsigned char *in = plain;
    size_t n_chunks = len / CHUNK_BYTES + 1, left = len;
    struct tc_ad ad;

    value_ad(&ad, form_id, instance_id, name);
    if (ad.overflow)
        return tc_fail(err, TC_EINVAL, "an attachment name is too long");
    if ((buf = tc_arena_alloc(arena, SS_HEADER + len + n_chunks * SS_ABYTES)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    tc_dek_stream_key(dek, key);
    crypto_secretstream_xchacha20poly1305_init_push(&state, buf, key);
    sodium_memzero(key, sizeof(key));
    p = buf + SS_HEADER;
    for (size_t i = 0; i < n_chunks; i++) {
        size_t n = left < CHUNK_BYTES ? left : CHUNK_BYTES;
        unsigned char tag = i + 1 == n_chunks ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0;

        crypto_secretstream_xchacha20poly1305_push(&state, p, NULL, in, n, ad.buf, ad.len, tag);
        p += n + SS_ABYTES;
        in += n;
        left -= n;
    }
    sodium_memzero(&state, sizeof(state));
    *out = buf;
    *out_len = (size_t)(p - buf);
    return TC_OK;
}

enum tc_status
tc_dek_stream_decrypt(const struct tc_dek *dek, const char *form_id, const char *instance_id,
                      const char *name, const unsigned char *sealed, size_t len,
                      struct tc_arena *arena, unsigned char **out, size_t *out_len,
                      struct tc_error *err)
{
    crypto_secretstream_xchacha20poly1305_state state;
    unsigned char key[32], *buf, tag = 0;
    size_t pos = SS_HEADER, got = 0;
    struct tc_ad ad;
    int rc;

    value_ad(&ad, form_id, instance_id, name);
    if (len < SS_HEADER + SS_ABYTES || ad.overflow)
        return tc_fail(err, TC_EINTERNAL, "an attachment does not open");
    if ((buf = tc_arena_secret(arena, len)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    tc_dek_stream_key(dek, key);
    rc = crypto_secretstream_xchacha20poly1305_init_pull(&state, sealed, key);
    sodium_memzero(key, sizeof(key));
    while (rc == 0 && pos < len && tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
        size_t n = len - pos < CHUNK_BYTES + SS_ABYTES ? len - pos : CHUNK_BYTES + SS_ABYTES;
        unsigned long long m = 0;

        rc = crypto_secretstream_xchacha20poly1305_pull(&state, buf + got, &m, &tag, sealed + pos,
                                                        n, ad.buf, ad.len);
        pos += n;
        got += (size_t)m;
    }
    sodium_memzero(&state, sizeof(state));
    /* A stream must end with its FINAL chunk, exactly at the end: nothing cut, nothing added. */
    if (rc != 0 || tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL || pos != len)
        return tc_fail(err, TC_EINTERNAL, "an attachment does not open (altered or cut short)");
    buf[got] = '\0';
    *out = buf;
    *out_len = got;
    return TC_OK;
}

/* ---- whole submissions -------------------------------------------------------------------- */

static enum tc_status
seal_values(const struct tc_dek *dek, const char *form_id, const char *instance_id,
            const struct tc_plain_value *values, size_t n, struct tc_arena *arena,
            struct tc_personal_sealed *out, struct tc_error *err)
{
    enum tc_status st;

    if ((out->values = tc_arena_calloc(arena, n + 1, sizeof(*out->values))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        struct tc_sealed_value *v = &out->values[i];

        v->field = values[i].field;
        if ((st = tc_dek_encrypt(dek, form_id, instance_id, values[i].field, values[i].value,
                                 values[i].len, arena, &v->ciphertext, &v->len, err)) != TC_OK)
            return st;
    }
    out->n_values = n;
    return TC_OK;
}

enum tc_status
tc_personal_seal(struct tc_keyring *ring, const char *form_id, const char *instance_id,
                 const struct tc_plain_value *values, size_t n, const void *xml, size_t xml_len,
                 struct tc_arena *arena, struct tc_personal_sealed *out, struct tc_error *err)
{
    struct tc_dek *dek = NULL;
    enum tc_status st;

    *out = (struct tc_personal_sealed){0};
    if ((st = tc_dek_create(&dek, err)) != TC_OK)
        return st;
    if ((st = tc_dek_wrap(ring, dek, form_id, instance_id, out->key_id, out->dek_wrapped, err)) !=
            TC_OK ||
        (st = seal_values(dek, form_id, instance_id, values, n, arena, out, err)) != TC_OK)
        goto out;
    if (xml != NULL)
        st = tc_dek_encrypt(dek, form_id, instance_id, TC_VAULT_FIELD_XML, xml, xml_len, arena,
                            &out->xml, &out->xml_len, err);
out:
    tc_dek_free(dek);
    return st;
}

enum tc_status
tc_case_seal(const unsigned char pk[TC_PUBLIC_KEY_BYTES], const char *form_id,
             const char *instance_id, const void *xml, size_t xml_len, struct tc_arena *arena,
             struct tc_case_sealed *out, struct tc_dek **dek_out, struct tc_error *err)
{
    struct tc_dek *dek = NULL;
    enum tc_status st;

    if (dek_out != NULL)
        *dek_out = NULL;
    if ((st = tc_dek_create(&dek, err)) != TC_OK)
        return st;
    if ((st = tc_dek_seal(dek, pk, form_id, instance_id, out->dek_sealed, err)) == TC_OK)
        st = tc_dek_encrypt(dek, form_id, instance_id, TC_VAULT_FIELD_XML, xml, xml_len, arena,
                            &out->xml, &out->xml_len, err);
    if (st == TC_OK && dek_out != NULL) {
        *dek_out = dek;
        dek = NULL;
    }
    tc_dek_free(dek);
    return st;
}

enum tc_status
tc_case_open(const struct tc_unit_key *key, const char *form_id, const char *instance_id,
             const unsigned char *dek_sealed, size_t sealed_len, const unsigned char *xml,
             size_t xml_len, struct tc_arena *arena, unsigned char **xml_out, size_t *len_out,
             struct tc_dek **dek_out, struct tc_error *err)
{
    struct tc_dek *dek = NULL;
    enum tc_status st;

    if (dek_out != NULL)
        *dek_out = NULL;
    if ((st = tc_dek_unseal(key, dek_sealed, sealed_len, form_id, instance_id, &dek, err)) != TC_OK)
        return st;
    st = tc_dek_decrypt(dek, form_id, instance_id, TC_VAULT_FIELD_XML, xml, xml_len, arena, xml_out,
                        len_out, err);
    if (st == TC_OK && dek_out != NULL) {
        *dek_out = dek;
        dek = NULL;
    }
    tc_dek_free(dek);
    return st;
}
