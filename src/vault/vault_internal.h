#ifndef TC_VAULT_INTERNAL_H
#define TC_VAULT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/keyfile.h"
#include "tincay/status.h"

struct tc_arena;

/*
 * Copy the key `key_id` (NULL: the current one) of `ring` into `key` and its id into
 * `id_out` (may be NULL). When the id is unknown, the file is reloaded once in case it was
 * rotated meanwhile. Returns false when the key is not there. The caller wipes `key`.
 */
bool tc_keyring_copy_key(struct tc_keyring *ring, const char *key_id,
                         unsigned char key[TC_KEY_BYTES], char id_out[TC_KEY_ID_LEN + 1]);

/* Length-prefixed associated data: each part as a 4-byte big-endian length and its bytes. */
struct tc_ad {
    unsigned char buf[2048];
    size_t len;
    bool overflow;
};
void tc_ad_init(struct tc_ad *ad, const char *domain);
void tc_ad_add(struct tc_ad *ad, const void *bytes, size_t len);
void tc_ad_adds(struct tc_ad *ad, const char *s);
void tc_ad_addll(struct tc_ad *ad, long long v);

struct tc_password_gate;
struct tc_unit_key;

#define TC_SECRET_BYTES   32
#define TC_SECRET_WRAPPED (24 + 32 + 16) /* nonce ‖ secret ‖ tag */
#define TC_SECRET_SEALED  (48 + 32)      /* crypto_box_seal of a secret */
#define TC_KDF_SALT_BYTES 16

/* The secret half of a key pair (32 bytes), readable while the key lives. */
const unsigned char *tc_unit_key_secret(const struct tc_unit_key *key);

/* A key pair from its secret half (the public half is recomputed). */
int tc_unit_key_from_secret(const unsigned char secret[TC_SECRET_BYTES], struct tc_unit_key **out);

/* XChaCha20-Poly1305 of a 32-byte secret under `key` with associated data `ad`. */
void tc_secret_wrap(const unsigned char key[32], const struct tc_ad *ad,
                    const unsigned char secret[TC_SECRET_BYTES],
                    unsigned char out[TC_SECRET_WRAPPED]);
int tc_secret_unwrap(const unsigned char key[32], const struct tc_ad *ad,
                     const unsigned char *wrapped, size_t len,
                     unsigned char secret[TC_SECRET_BYTES]);

/*
 * Argon2id key from a password (or invitation secret) with the given salt and costs,
 * through `gate` (TC_EBUSY when full; `next`: by tc_password_gate_enter_next). The caller
 * wipes `key`.
 */
enum tc_status tc_kdf_password(struct tc_password_gate *gate, bool next, const char *password,
                               size_t len, const unsigned char salt[TC_KDF_SALT_BYTES],
                               unsigned long long opslimit, size_t memlimit, unsigned char key[32],
                               struct tc_error *err);

/* The key a session's wraps are made under, from its token (43 base64url characters). */
int tc_session_wrap_key(const char *token, unsigned char key[32], unsigned char id_hash[32]);

/* The secretstream key of a DEK's attachments (crypto_kdf subkey, context "tcattach"). */
struct tc_dek;
void tc_dek_stream_key(const struct tc_dek *dek, unsigned char key[32]);

/* Memory in `arena` that is wiped (sodium_memzero) when the arena is destroyed. */
void *tc_arena_secret(struct tc_arena *arena, size_t len);

#endif /* TC_VAULT_INTERNAL_H */
