#ifndef TC_UNITS_H
#define TC_UNITS_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/password.h"
#include "tincay/status.h"
#include "tincay/vault.h"

struct tc_arena;
struct tc_db_conn;

/*
 * Trusted Address units and who holds their keys (schema/005; DESIGN.md "Keys of a unit",
 * "Keys in a session"; docs/vault.md). A unit's secret key exists in the database only
 * wrapped: sealed to each escrow officer of its province, under Argon2id(password) of each
 * member, under Argon2id(secret) of each open invitation, and under a key derived from the
 * token of each session that unlocked it. The admin manages accounts and can open none.
 *
 * Functions that change rows do not BEGIN themselves unless they say so: call them inside
 * tc_db_transact when they are part of a larger act. Passwords are (bytes, length), never
 * copied or logged; the caller wipes them.
 */

/* Argon2id work for key wrapping: bounded by the password gate, at the given cost. */
struct tc_vault_kdf {
    struct tc_password_gate *gate;
    enum tc_password_cost cost; /* of new wraps; opening follows each wrap's stored costs */
    bool next; /* the act passed the gate already (a login): tc_password_gate_enter_next */
};

#define TC_INVITATION_SECRET_MAX 44     /* 32 random bytes in base64url, and the NUL */
#define TC_INVITATION_TTL_S      604800 /* 7 days */

struct tc_unit {
    long long id;
    const char *code;
    const char *name;
    const char *commune_era;
    const char *commune_code;
    const char *province_code;
    const unsigned char *public_key; /* TC_PUBLIC_KEY_BYTES */
    const char *created_at;
    long long n_members; /* member wraps */
    long long n_escrow;  /* escrow seals */
};

/*
 * Create unit `code` in commune `commune` ("03388" or "pre2025:03388") with a fresh key
 * pair; the secret key is sealed at once to every escrow officer of the commune's province
 * and wiped. TC_EINVAL when the province has no escrow officer, TC_ECONFLICT when the code
 * is taken. Runs in its own transaction with an audit row by `actor_id` (0: system).
 */
enum tc_status tc_unit_create(struct tc_db_conn *conn, const char *code, const char *name,
                              const char *commune, long long actor_id, long long *id_out,
                              struct tc_error *err);

/* One unit by code (TC_ENOTFOUND), or every unit by code; strings in `arena`. */
enum tc_status tc_unit_get(struct tc_db_conn *conn, const char *code, struct tc_arena *arena,
                           struct tc_unit *out, struct tc_error *err);
enum tc_status tc_unit_list(struct tc_db_conn *conn, struct tc_arena *arena, struct tc_unit **units,
                            size_t *n, struct tc_error *err);

/* ---- escrow officers ---------------------------------------------------------------------- */

/*
 * Give escrow officer `user_id` of province `province` a key pair, the secret key wrapped
 * under Argon2id(password). Call it in the transaction that creates the account.
 */
enum tc_status tc_escrow_create(struct tc_db_conn *conn, const struct tc_vault_kdf *kdf,
                                long long user_id, const char *province, const char *password,
                                size_t len, struct tc_error *err);

/* The officer's key pair, opened with their password; TC_EUNAUTH when it is wrong. */
enum tc_status tc_escrow_open(struct tc_db_conn *conn, const struct tc_vault_kdf *kdf,
                              long long user_id, const char *password, size_t len,
                              struct tc_unit_key **out, struct tc_error *err);

/*
 * Unit `unit_id`'s key through the escrow seal to officer `escrow_user_id` (whose key pair
 * is `escrow`). TC_EFORBIDDEN when the unit is not sealed to that officer.
 */
enum tc_status tc_unit_key_from_escrow(struct tc_db_conn *conn, const struct tc_unit_key *escrow,
                                       long long escrow_user_id, long long unit_id,
                                       struct tc_unit_key **out, struct tc_error *err);

/* ---- members ------------------------------------------------------------------------------ */

/* Unit `unit_id`'s key through member `user_id`'s wrap; TC_EUNAUTH for a wrong password. */
enum tc_status tc_unit_key_open_member(struct tc_db_conn *conn, const struct tc_vault_kdf *kdf,
                                       long long unit_id, long long user_id, const char *password,
                                       size_t len, struct tc_unit_key **out, struct tc_error *err);

/*
 * Wrap `key` (unit `unit_id`'s) for member `user_id` under their password, replacing any
 * earlier wrap, and set the account's unit. Used by invitations and by escrow recovery.
 */
enum tc_status tc_unit_member_grant(struct tc_db_conn *conn, const struct tc_vault_kdf *kdf,
                                    long long unit_id, const struct tc_unit_key *key,
                                    long long user_id, const char *password, size_t len,
                                    struct tc_error *err);

/* Remove member `user_id` from unit `unit_id`: their wrap goes, and their sessions' copies. */
enum tc_status tc_unit_member_remove(struct tc_db_conn *conn, long long unit_id, long long user_id,
                                     struct tc_error *err);

/*
 * A password change of `user_id`: every member wrap and their escrow key are re-wrapped
 * under the new password. The old one must match the account's stored hash and open them
 * (TC_EUNAUTH otherwise). Call it in the transaction that stores the new password hash.
 */
enum tc_status tc_vault_password_change(struct tc_db_conn *conn, const struct tc_vault_kdf *kdf,
                                        long long user_id, const char *old_password, size_t old_len,
                                        const char *new_password, size_t new_len,
                                        struct tc_error *err);

/*
 * An admin reset of `user_id`'s password (without the old one): a host's member wraps are
 * deleted, to be restored through escrow; an escrow officer is refused (TC_ECONFLICT: their
 * key would be lost with every unit sealed to it). Call it before storing the new hash.
 */
enum tc_status tc_vault_password_reset(struct tc_db_conn *conn, long long user_id,
                                       bool *wraps_deleted, struct tc_error *err);

/* ---- invitations -------------------------------------------------------------------------- */

/*
 * A one-time invitation to unit `unit_id` (whose key `key` the inviter opened), valid
 * `ttl_s` seconds: the secret (256 bits, base64url) goes to `secret_out` and is shown once;
 * only its hash is stored, and the unit key is wrapped under Argon2id(secret). Audited.
 */
enum tc_status tc_invitation_create(struct tc_db_conn *conn, const struct tc_vault_kdf *kdf,
                                    long long unit_id, const struct tc_unit_key *key,
                                    long long created_by, unsigned int ttl_s,
                                    char secret_out[TC_INVITATION_SECRET_MAX], long long *id_out,
                                    struct tc_error *err);

/*
 * Redeem `secret` for account `user_id`, whose password is checked against its hash: the
 * unit key is re-wrapped under that password, the account joins the unit, and the
 * invitation is burnt (used, its wrap deleted). TC_EUNAUTH for an unknown, used or expired
 * invitation or a wrong password. Runs in its own transaction; `*unit_id_out` may be NULL.
 */
enum tc_status tc_invitation_redeem(struct tc_db_conn *conn, const struct tc_vault_kdf *kdf,
                                    const char *secret, long long user_id, const char *password,
                                    size_t len, long long *unit_id_out, struct tc_error *err);

/* ---- sessions ----------------------------------------------------------------------------- */

/*
 * Right after tc_login succeeded with `password`: unwrap each unit key of `user_id`'s member
 * wraps (and an escrow officer's own key) and wrap them again under the key of session
 * `token`, stored with the session (deleted with it). `*n_out` (may be NULL) counts them;
 * a wrap the password does not open (made under an earlier one) is skipped, not an error.
 * Costs one Argon2id per wrap, through the gate (TC_EBUSY when full).
 */
enum tc_status tc_vault_session_open(struct tc_db_conn *conn, const struct tc_vault_kdf *kdf,
                                     const char *token, long long user_id, const char *password,
                                     size_t len, size_t *n_out, struct tc_error *err);

/*
 * Unit `unit_id`'s key for a request of session `token`: TC_EFORBIDDEN when the session
 * holds none for that unit. The key is in guarded memory: tc_unit_key_free it before the
 * request ends.
 */
enum tc_status tc_unit_key_for_session(struct tc_db_conn *conn, const char *token,
                                       long long unit_id, struct tc_unit_key **out,
                                       struct tc_error *err);

/* An escrow officer's own key pair for a request of session `token` (TC_EFORBIDDEN). */
enum tc_status tc_escrow_key_for_session(struct tc_db_conn *conn, const char *token,
                                         long long user_id, struct tc_unit_key **out,
                                         struct tc_error *err);

#endif /* TC_UNITS_H */
