#ifndef TC_CASES_H
#define TC_CASES_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/keyfile.h"
#include "tincay/status.h"
#include "tincay/vault.h"

struct tc_arena;
struct tc_db_conn;

/*
 * Storing what tincay/vault.h seals (schema/005): the data key of a protected submission
 * beside it (submission_keys), its protected values (submission_protected), cases and their
 * blind indexes, and the re-wrapping of data keys when the key file is rotated.
 *
 * The submission row itself (xml_sealed, key_id) is stored by tc_submission_store; call the
 * tc_submission_keys_* function in the same transaction, so a sealed XML never lands without
 * the key that opens it. Use key_id TC_SUBMISSION_KEY_UNIT in the submission row of a
 * confidential form and the KEK id of tc_personal_sealed for a personal one.
 *
 * Follow-ups: a follow-up is a submission of its own, with its own data key sealed to the
 * case's unit (tc_case_seal again): the server cannot open the case's key, and an app user's
 * phone never holds it. It finds its case through submissions.case_code.
 */

#define TC_SUBMISSION_KEY_UNIT "unit"

/* Store the wrapped data key and the protected values of a `personal` submission. */
enum tc_status tc_submission_keys_store_personal(struct tc_db_conn *conn, long long submission,
                                                 const struct tc_personal_sealed *sealed,
                                                 struct tc_error *err);

/* Store the data key of a `confidential` submission, sealed to unit `unit_id`. */
enum tc_status tc_submission_keys_store_sealed(struct tc_db_conn *conn, long long submission,
                                               long long unit_id,
                                               const unsigned char dek_sealed[TC_DEK_SEALED_BYTES],
                                               struct tc_error *err);

/*
 * Open a `personal` submission with the server's keys: the XML (NULL when the row has
 * none) and every protected value, in `arena` (wiped with it). For readers whose
 * permission the caller has checked and audited.
 */
enum tc_status tc_personal_open(struct tc_db_conn *conn, struct tc_keyring *ring,
                                long long submission, struct tc_arena *arena,
                                unsigned char **xml_out, size_t *xml_len,
                                struct tc_plain_value **values_out, size_t *n_values,
                                struct tc_error *err);

/*
 * Open a `confidential` submission (a case intake or a follow-up) with the unit's key.
 * TC_EFORBIDDEN when the submission belongs to another unit or the key does not open it.
 * `dek_out` (may be NULL) hands over the data key for its attachments.
 */
enum tc_status tc_sealed_open(struct tc_db_conn *conn, const struct tc_unit_key *key,
                              long long submission, struct tc_arena *arena, unsigned char **xml_out,
                              size_t *xml_len, struct tc_dek **dek_out, struct tc_error *err);

/* ---- cases -------------------------------------------------------------------------------- */

struct tc_case {
    long long id;
    long long unit_id;
    long long submission; /* the intake, 0 when none */
    const char *case_code;
    const char *form_id;
    const char *report_json; /* tc:report values only */
    const char *created_at;
};

/*
 * Record a case of unit `unit_id`: its code ("DC-" and 8 hex digits), form id, intake
 * submission (0: none) and report values (a JSON object or NULL). TC_ECONFLICT when the
 * code is taken. Call it in the transaction that stores the intake.
 */
enum tc_status tc_case_insert(struct tc_db_conn *conn, long long unit_id, const char *case_code,
                              const char *form_id, long long submission, const char *report_json,
                              long long *id_out, struct tc_error *err);

/* The case of `case_code` (TC_ENOTFOUND), and the cases of a unit, newest first. */
enum tc_status tc_case_get(struct tc_db_conn *conn, const char *case_code, struct tc_arena *arena,
                           struct tc_case *out, struct tc_error *err);
enum tc_status tc_case_list(struct tc_db_conn *conn, long long unit_id, struct tc_arena *arena,
                            struct tc_case **cases, size_t *n, struct tc_error *err);

/* A new random case code, "DC-" and 8 lower-case hex digits (12 bytes with the NUL). */
void tc_case_code_generate(char out[12]);

/* ---- blind indexes ------------------------------------------------------------------------ */

/* Store the indexes of case `case_id` of unit `unit_id` (repeats are ignored). */
enum tc_status tc_blind_store(struct tc_db_conn *conn, long long unit_id, long long case_id,
                              const struct tc_blind_value *values, size_t n, struct tc_error *err);

struct tc_blind_candidate {
    long long case_id;
    const char *case_code;
    unsigned int n_matches; /* how many of the given indexes it shares */
};

/*
 * Cases of unit `unit_id` (other than `exclude_case_id`, 0: none) sharing at least one of
 * `values`, most shared first: possible earlier cases of the same person, to be confirmed
 * by opening them (collisions are expected).
 */
enum tc_status tc_blind_candidates(struct tc_db_conn *conn, long long unit_id,
                                   const struct tc_blind_value *values, size_t n,
                                   long long exclude_case_id, struct tc_arena *arena,
                                   struct tc_blind_candidate **out, size_t *n_out,
                                   struct tc_error *err);

/* ---- key rotation ------------------------------------------------------------------------- */

struct tc_key_count {
    const char *key_id; /* a KEK id, or "unit" for data keys sealed to units */
    long long n;
};

/* How many data keys each key wraps, by key id. */
enum tc_status tc_keys_count(struct tc_db_conn *conn, struct tc_arena *arena,
                             struct tc_key_count **out, size_t *n, struct tc_error *err);

/*
 * Re-wrap data keys wrapped by any key other than the ring's current one, in transactions
 * of `batch` rows (rows being written elsewhere are skipped and taken by the next batch),
 * until none is left. Only submission_keys changes: no ciphertext is touched.
 * `*n_done` (may be NULL) counts the re-wrapped keys.
 */
enum tc_status tc_keys_rewrap(struct tc_db_conn *conn, struct tc_keyring *ring, size_t batch,
                              size_t *n_done, struct tc_error *err);

#endif /* TC_CASES_H */
