#ifndef TC_VAULT_H
#define TC_VAULT_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/keyfile.h"
#include "tincay/status.h"

struct tc_arena;

/*
 * Sealing of protected data (DESIGN.md "Protection classes"; docs/vault.md). No database
 * here: these functions turn plaintext into bytes to store and back.
 *
 * Every protected submission has its own random 32-byte data key (DEK). Each protected
 * value is XChaCha20-Poly1305 under it with a random nonce, stored as nonce ‖ ciphertext;
 * the associated data binds it to (form id, instance id, field path), length-prefixed, so a
 * ciphertext moved to another submission or field fails to open. The raw XML is the field
 * TC_VAULT_FIELD_XML. Attachments are crypto_secretstream under a subkey of the DEK.
 *
 * - `personal`: the DEK is wrapped by the server's current key-encryption key (keyfile.h),
 *   AD = (key id, form id, instance id); `tincay keys rotate` re-wraps only that.
 * - `confidential`: the DEK is sealed (crypto_box_seal) to the owning unit's public key
 *   together with a hash of (form id, instance id), so only the unit's secret key opens it
 *   and a sealed key moved to another submission is refused.
 *
 * Keys in memory live in sodium_malloc'd pages (guard pages, mlock, no core dumps) and are
 * wiped when freed. Plaintext handed out in an arena is wiped when the arena is destroyed.
 */

#define TC_VAULT_FIELD_XML   "/"
#define TC_DEK_WRAPPED_BYTES (24 + 32 + 16) /* nonce ‖ DEK ‖ tag */
#define TC_DEK_SEALED_BYTES  (48 + 32 + 16) /* crypto_box_seal of DEK ‖ binding hash */
#define TC_PUBLIC_KEY_BYTES  32
#define TC_VALUE_OVERHEAD    (24 + 16) /* nonce and tag of a sealed value */
#define TC_VALUE_MAX         (64u * 1024 * 1024)

/* A data key; opaque, in guarded memory. */
struct tc_dek;

/* A fresh random data key. */
enum tc_status tc_dek_create(struct tc_dek **out, struct tc_error *err);
void tc_dek_free(struct tc_dek *dek); /* wipes; accepts NULL */

/*
 * Wrap `dek` with the current key of `ring` for the submission (form_id, instance_id):
 * `out` gets TC_DEK_WRAPPED_BYTES, `key_id_out` the id of the key used.
 */
enum tc_status tc_dek_wrap(struct tc_keyring *ring, const struct tc_dek *dek, const char *form_id,
                           const char *instance_id, char key_id_out[TC_KEY_ID_LEN + 1],
                           unsigned char out[TC_DEK_WRAPPED_BYTES], struct tc_error *err);

/*
 * Unwrap a DEK wrapped by key `key_id` for (form_id, instance_id). TC_ENOTFOUND when the key
 * is not in the ring; TC_EINTERNAL when the bytes do not authenticate (wrong key, tampered,
 * or another submission's).
 */
enum tc_status tc_dek_unwrap(struct tc_keyring *ring, const char *key_id,
                             const unsigned char *wrapped, size_t len, const char *form_id,
                             const char *instance_id, struct tc_dek **out, struct tc_error *err);

/* A unit's (or escrow officer's) crypto_box key pair; the secret half in guarded memory. */
struct tc_unit_key;

enum tc_status tc_unit_key_generate(struct tc_unit_key **out, struct tc_error *err);
const unsigned char *tc_unit_key_public(const struct tc_unit_key *key); /* 32 bytes */
void tc_unit_key_free(struct tc_unit_key *key);                         /* wipes; accepts NULL */

/* Seal `dek` to the public key `pk` for (form_id, instance_id): TC_DEK_SEALED_BYTES. */
enum tc_status tc_dek_seal(const struct tc_dek *dek, const unsigned char pk[TC_PUBLIC_KEY_BYTES],
                           const char *form_id, const char *instance_id,
                           unsigned char out[TC_DEK_SEALED_BYTES], struct tc_error *err);

/* Open a sealed DEK with the unit's key; TC_EFORBIDDEN when it is not this key's. */
enum tc_status tc_dek_unseal(const struct tc_unit_key *key, const unsigned char *sealed, size_t len,
                             const char *form_id, const char *instance_id, struct tc_dek **out,
                             struct tc_error *err);

/*
 * Encrypt `len` bytes as the value of `field` of (form_id, instance_id): `*out` (in
 * `arena`) holds TC_VALUE_OVERHEAD + len bytes.
 */
enum tc_status tc_dek_encrypt(const struct tc_dek *dek, const char *form_id,
                              const char *instance_id, const char *field, const void *plain,
                              size_t len, struct tc_arena *arena, unsigned char **out,
                              size_t *out_len, struct tc_error *err);

/*
 * Decrypt a value sealed by tc_dek_encrypt for the same (form_id, instance_id, field) into
 * `arena` (NUL-terminated; wiped when the arena goes). TC_EINTERNAL when it does not
 * authenticate.
 */
enum tc_status tc_dek_decrypt(const struct tc_dek *dek, const char *form_id,
                              const char *instance_id, const char *field,
                              const unsigned char *sealed, size_t len, struct tc_arena *arena,
                              unsigned char **out, size_t *out_len, struct tc_error *err);

/*
 * An attachment `name` of (form_id, instance_id) under crypto_secretstream_xchacha20poly1305
 * with a subkey of the DEK: header ‖ chunks of up to 64 KiB, the last tagged FINAL. Opening
 * refuses a stream cut short or altered (TC_EINTERNAL).
 */
enum tc_status tc_dek_stream_encrypt(const struct tc_dek *dek, const char *form_id,
                                     const char *instance_id, const char *name, const void *plain,
                                     size_t len, struct tc_arena *arena, unsigned char **out,
                                     size_t *out_len, struct tc_error *err);
enum tc_status tc_dek_stream_decrypt(const struct tc_dek *dek, const char *form_id,
                                     const char *instance_id, const char *name,
                                     const unsigned char *sealed, size_t len,
                                     struct tc_arena *arena, unsigned char **out, size_t *out_len,
                                     struct tc_error *err);

/*
 * The same stream format, a piece at a time, for attachments that live in spool files or go
 * out in an HTTP response. Both write what they produce to `sink` (the signature of
 * tc_spool_sink_fn, so tc_spool_copy can feed a sealer directly). Create, write any number of
 * times, finish once (a sealer writes its FINAL chunk; an opener checks the stream was whole),
 * then free (accepts NULL; wipes).
 */
typedef enum tc_status (*tc_vault_sink_fn)(void *ctx, const unsigned char *data, size_t len,
                                           struct tc_error *err);
struct tc_stream;

enum tc_status tc_stream_seal_create(const struct tc_dek *dek, const char *form_id,
                                     const char *instance_id, const char *name,
                                     tc_vault_sink_fn sink, void *sink_ctx, struct tc_stream **out,
                                     struct tc_error *err);
enum tc_status tc_stream_open_create(const struct tc_dek *dek, const char *form_id,
                                     const char *instance_id, const char *name,
                                     tc_vault_sink_fn sink, void *sink_ctx, struct tc_stream **out,
                                     struct tc_error *err);
/* `stream` is a struct tc_stream *, typed void * to serve as a sink itself. */
enum tc_status tc_stream_write(void *stream, const unsigned char *data, size_t len,
                               struct tc_error *err);
enum tc_status tc_stream_finish(struct tc_stream *stream, struct tc_error *err);
void tc_stream_free(struct tc_stream *stream);

/* ---- personal class ----------------------------------------------------------------------- */

struct tc_plain_value {
    const char *field; /* field path, e.g. "/data/member/name" */
    const char *value;
    size_t len;
};

struct tc_sealed_value {
    const char *field;
    unsigned char *ciphertext;
    size_t len;
};

/* What to store for a `personal` submission (submission_keys, submission_protected). */
struct tc_personal_sealed {
    char key_id[TC_KEY_ID_LEN + 1];
    unsigned char dek_wrapped[TC_DEK_WRAPPED_BYTES];
    unsigned char *xml; /* the XML sealed as field TC_VAULT_FIELD_XML; NULL when none given */
    size_t xml_len;
    struct tc_sealed_value *values; /* in the order given */
    size_t n_values;
};

/*
 * Seal the raw XML (may be NULL) and `n` protected values of a new submission under a
 * fresh DEK wrapped by the ring's current key. Everything lands in `arena`.
 */
enum tc_status tc_personal_seal(struct tc_keyring *ring, const char *form_id,
                                const char *instance_id, const struct tc_plain_value *values,
                                size_t n, const void *xml, size_t xml_len, struct tc_arena *arena,
                                struct tc_personal_sealed *out, struct tc_error *err);

/* ---- confidential class (cases) ----------------------------------------------------------- */

struct tc_case_sealed {
    unsigned char dek_sealed[TC_DEK_SEALED_BYTES];
    unsigned char *xml; /* sealed as field TC_VAULT_FIELD_XML, in the arena */
    size_t xml_len;
};

/*
 * Seal a confidential submission's XML to the unit public key `pk` under a fresh DEK. When
 * `dek_out` is not NULL the DEK is handed over too (for its attachments); free it with
 * tc_dek_free.
 */
enum tc_status tc_case_seal(const unsigned char pk[TC_PUBLIC_KEY_BYTES], const char *form_id,
                            const char *instance_id, const void *xml, size_t xml_len,
                            struct tc_arena *arena, struct tc_case_sealed *out,
                            struct tc_dek **dek_out, struct tc_error *err);

/*
 * Open a sealed XML with the unit's key: `*xml_out` in `arena` (wiped with it).
 * TC_EFORBIDDEN when the key is another unit's. `dek_out` as for tc_case_seal.
 */
enum tc_status tc_case_open(const struct tc_unit_key *key, const char *form_id,
                            const char *instance_id, const unsigned char *dek_sealed,
                            size_t sealed_len, const unsigned char *xml, size_t xml_len,
                            struct tc_arena *arena, unsigned char **xml_out, size_t *len_out,
                            struct tc_dek **dek_out, struct tc_error *err);

/* ---- blind indexes (repeat-victim hints) -------------------------------------------------- */

enum tc_blind_kind {
    TC_BLIND_NAME_BIRTHYEAR,
    TC_BLIND_NAME_NODIACRITICS_BIRTHYEAR,
    TC_BLIND_PHONE,
    TC_BLIND_KIND_COUNT
};

/*
 * Bits kept of each index, for about 10,000 cases per unit (CipherSweet's rule
 * 2 <= R / 2^L <= sqrt(R), with the bits of indexes over the same input added up): the two
 * name indexes share the name, 6 + 6 = 12 bits; the phone has 12 bits of its own. See
 * docs/vault.md.
 */
#define TC_BLIND_NAME_BITS  6
#define TC_BLIND_PHONE_BITS 12
#define TC_BLIND_TEXT_MAX   512

struct tc_blind_value {
    enum tc_blind_kind kind;
    unsigned char value[2]; /* big-endian, the low bits of the kind's width */
    size_t len;             /* bytes used: 1 for names, 2 for phones */
};

const char *tc_blind_kind_name(enum tc_blind_kind kind);
unsigned int tc_blind_bits(enum tc_blind_kind kind);

/*
 * "name|year": Unicode NFC, case-folded, runs of white space made one space, trimmed;
 * with `strip_diacritics` also decomposed without combining marks and đ → d. TC_EINVAL for
 * invalid UTF-8, an empty name or a year outside 1900..2100.
 */
enum tc_status tc_blind_normalise_name(const char *name, int birth_year, bool strip_diacritics,
                                       char out[TC_BLIND_TEXT_MAX], struct tc_error *err);

/* Digits only, a leading +84 / 84 / 0084 made 0; TC_EINVAL with fewer than 8 digits. */
enum tc_status tc_blind_normalise_phone(const char *phone, char out[TC_BLIND_TEXT_MAX],
                                        struct tc_error *err);

/* The index of normalised `text`: keyed BLAKE2b, key derived from the unit's secret key. */
void tc_blind_compute(const struct tc_unit_key *key, enum tc_blind_kind kind, const char *text,
                      struct tc_blind_value *out);

/*
 * Every index a person yields: the two name indexes when `name` (and a birth year) are
 * given, the phone index when `phone` is. Unusable inputs are skipped; `*n_out` is 0 to 3.
 */
void tc_blind_person(const struct tc_unit_key *key, const char *name, int birth_year,
                     const char *phone, struct tc_blind_value out[TC_BLIND_KIND_COUNT],
                     size_t *n_out);

#endif /* TC_VAULT_H */
