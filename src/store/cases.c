#include "tincay/cases.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "tincay/arena.h"
#include "tincay/db.h"
#include "vault/vault_internal.h"

static const char sql_keys_insert[] =
    "INSERT INTO submission_keys (submission, key_id, dek, unit_id) VALUES ($1, $2, $3, $4)";
static const char sql_protected_insert[] =
    "INSERT INTO submission_protected (submission, field, ciphertext) VALUES ($1, $2, $3)";
static const char sql_keys_get[] =
    "SELECT k.key_id, k.dek, k.unit_id, s.form_id, s.instance_id, s.xml_sealed"
    " FROM submission_keys k JOIN submissions s ON s.id = k.submission WHERE k.submission = $1";
static const char sql_protected_get[] =
    "SELECT field, ciphertext FROM submission_protected WHERE submission = $1 ORDER BY field";
static const char sql_unit_pk[] = "SELECT public_key FROM units WHERE id = $1";
static const char sql_case_insert[] =
    "INSERT INTO cases (unit_id, case_code, form_id, submission, report)"
    " VALUES ($1, $2, $3, $4, coalesce($5::jsonb, '{}')) RETURNING id";
#define CASE_COLUMNS                                                                               \
    "id, unit_id, coalesce(submission, 0), case_code, form_id, report::text,"                      \
    " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
static const char sql_case_get[] = "SELECT " CASE_COLUMNS " FROM cases WHERE case_code = $1";
static const char sql_case_list[] =
    "SELECT " CASE_COLUMNS " FROM cases WHERE unit_id = $1 ORDER BY created_at DESC, id DESC";
static const char sql_blind_insert[] =
    "INSERT INTO blind_indexes (unit_id, case_id, kind, value) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT DO NOTHING";
static const char sql_blind_lookup[] =
    "SELECT b.case_id, c.case_code, count(*) FROM blind_indexes b JOIN cases c ON c.id = b.case_id"
    " WHERE b.unit_id = $1 AND b.case_id <> $2"
    "   AND (b.kind, b.value) IN (SELECT k, v FROM unnest($3::text[], $4::bytea[]) AS t(k, v))"
    " GROUP BY b.case_id, c.case_code ORDER BY count(*) DESC, b.case_id DESC LIMIT 200";
static const char sql_keys_count[] =
    "SELECT key_id, count(*) FROM submission_keys GROUP BY key_id ORDER BY key_id";
static const char sql_rewrap_batch[] =
    "SELECT k.submission, k.key_id, k.dek, s.form_id, s.instance_id"
    " FROM submission_keys k JOIN submissions s ON s.id = k.submission"
    " WHERE k.key_id <> 'unit' AND k.key_id <> $1 ORDER BY k.submission LIMIT $2"
    " FOR UPDATE OF k SKIP LOCKED";
static const char sql_rewrap_update[] =
    "UPDATE submission_keys SET key_id = $2, dek = $3 WHERE submission = $1 AND key_id = $4";
static const char sql_rewrap_left[] =
    "SELECT count(*) FROM submission_keys WHERE key_id <> 'unit' AND key_id <> $1";

static const char *
ll_text(struct tc_arena *arena, long long v)
{
    return tc_arena_printf(arena, "%lld", v);
}

static enum tc_status
exec_mixed(struct tc_db_conn *conn, const char *sql, size_t n, const char *const *params,
           const size_t *lengths, struct tc_arena *arena, struct tc_db_result **res,
           struct tc_error *err)
{
    bool binary[8] = {false};

    for (size_t i = 0; i < n && i < 8; i++)
        binary[i] = lengths[i] > 0;
    return tc_db_exec_bin(conn, sql, n, params, lengths, binary, arena, res, err);
}

/* ---- submission keys ---------------------------------------------------------------------- */

static enum tc_status
insert_keys(struct tc_db_conn *conn, long long submission, const char *key_id,
            const unsigned char *dek, size_t dek_len, long long unit_id, struct tc_arena *arena,
            struct tc_error *err)
{
    const char *params[] = {ll_text(arena, submission), key_id, (const char *)dek,
                            unit_id > 0 ? ll_text(arena, unit_id) : NULL};
    const size_t lengths[] = {0, 0, dek_len, 0};

    return exec_mixed(conn, sql_keys_insert, 4, params, lengths, arena, NULL, err);
}

enum tc_status
tc_submission_keys_store_personal(struct tc_db_conn *conn, long long submission,
                                  const struct tc_personal_sealed *sealed, struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(1024);
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    st = insert_keys(conn, submission, sealed->key_id, sealed->dek_wrapped, TC_DEK_WRAPPED_BYTES, 0,
                     arena, err);
    for (size_t i = 0; st == TC_OK && i < sealed->n_values; i++) {
        const char *params[] = {ll_text(arena, submission), sealed->values[i].field,
                                (const char *)sealed->values[i].ciphertext};
        const size_t lengths[] = {0, 0, sealed->values[i].len};

        st = exec_mixed(conn, sql_protected_insert, 3, params, lengths, arena, NULL, err);
    }
    tc_arena_destroy(arena);
    return st;
}

enum tc_status
tc_submission_keys_store_sealed(struct tc_db_conn *conn, long long submission, long long unit_id,
                                const unsigned char dek_sealed[TC_DEK_SEALED_BYTES],
                                struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(512);
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if (unit_id <= 0)
        st = tc_fail(err, TC_EINVAL, "a sealed submission needs its unit");
    else
        st = insert_keys(conn, submission, TC_SUBMISSION_KEY_UNIT, dek_sealed, TC_DEK_SEALED_BYTES,
                         unit_id, arena, err);
    tc_arena_destroy(arena);
    return st;
}

struct keys_row {
    const char *key_id, *form_id, *instance_id;
    unsigned char *dek, *xml;
    size_t dek_len, xml_len;
    long long unit_id;
};

static enum tc_status
load_keys(struct tc_db_conn *conn, long long submission, struct tc_arena *arena,
          struct keys_row *out, struct tc_error *err)
{
    const char *params[] = {ll_text(arena, submission)};
    struct tc_db_result *res;
    enum tc_status st;

    if ((st = tc_db_exec(conn, sql_keys_get, 1, params, arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_ENOTFOUND, "no protected submission %lld", submission);
    *out = (struct keys_row){
        .key_id = tc_db_value(res, 0, 0),
        .unit_id = tc_db_int(res, 0, 2, 0),
        .form_id = tc_db_value(res, 0, 3),
        .instance_id = tc_db_value(res, 0, 4),
    };
    out->dek = tc_db_bytea(res, 0, 1, arena, &out->dek_len);
    out->xml = tc_db_bytea(res, 0, 5, arena, &out->xml_len);
    if (out->dek == NULL || out->key_id == NULL || out->form_id == NULL || out->instance_id == NULL)
        return tc_fail(err, TC_EINTERNAL, "the data key of submission %lld is damaged", submission);
    return TC_OK;
}

static enum tc_status
open_values(struct tc_db_conn *conn, const struct tc_dek *dek, const struct keys_row *k,
            long long submission, struct tc_arena *arena, struct tc_plain_value **values_out,
            size_t *n_values, struct tc_error *err)
{
    const char *params[] = {ll_text(arena, submission)};
    struct tc_db_result *res;
    struct tc_plain_value *values;
    enum tc_status st;

    if ((st = tc_db_exec(conn, sql_protected_get, 1, params, arena, &res, err)) != TC_OK)
        return st;
    if ((values = tc_arena_calloc(arena, tc_db_rows(res) + 1, sizeof(*values))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < tc_db_rows(res); i++) {
        size_t ct_len = 0, len = 0;
        unsigned char *ct = tc_db_bytea(res, i, 1, arena, &ct_len), *plain;

        values[i].field = tc_db_value(res, i, 0);
        if (ct == NULL)
            return tc_fail(err, TC_EINTERNAL, "a protected value is damaged");
        if ((st = tc_dek_decrypt(dek, k->form_id, k->instance_id, values[i].field, ct, ct_len,
                                 arena, &plain, &len, err)) != TC_OK)
            return st;
        values[i].value = (const char *)plain;
        values[i].len = len;
    }
    *values_out = values;
    *n_values = tc_db_rows(res);
    return TC_OK;
}

enum tc_status
tc_personal_open(struct tc_db_conn *conn, struct tc_keyring *ring, long long submission,
                 struct tc_arena *arena, unsigned char **xml_out, size_t *xml_len,
                 struct tc_plain_value **values_out, size_t *n_values, struct tc_error *err)
{
    struct tc_dek *dek = NULL;
    struct keys_row k = {0};
    enum tc_status st;

    *xml_out = NULL;
    *xml_len = 0;
    if ((st = load_keys(conn, submission, arena, &k, err)) != TC_OK)
        return st;
    if (strcmp(k.key_id, TC_SUBMISSION_KEY_UNIT) == 0)
        return tc_fail(err, TC_EFORBIDDEN, "submission %lld is sealed to a unit", submission);
    if ((st = tc_dek_unwrap(ring, k.key_id, k.dek, k.dek_len, k.form_id, k.instance_id, &dek,
                            err)) != TC_OK)
        return st;
    if (k.xml != NULL)
        st = tc_dek_decrypt(dek, k.form_id, k.instance_id, TC_VAULT_FIELD_XML, k.xml, k.xml_len,
                            arena, xml_out, xml_len, err);
    if (st == TC_OK)
        st = open_values(conn, dek, &k, submission, arena, values_out, n_values, err);
    tc_dek_free(dek);
    return st;
}

enum tc_status
tc_sealed_open(struct tc_db_conn *conn, const struct tc_unit_key *key, long long submission,
               struct tc_arena *arena, unsigned char **xml_out, size_t *xml_len,
               struct tc_dek **dek_out, struct tc_error *err)
{
    struct keys_row k = {0};
    enum tc_status st;

    *xml_out = NULL;
    *xml_len = 0;
    if ((st = load_keys(conn, submission, arena, &k, err)) != TC_OK)
        return st;
    if (strcmp(k.key_id, TC_SUBMISSION_KEY_UNIT) != 0 || k.xml == NULL)
        return tc_fail(err, TC_EFORBIDDEN, "submission %lld is not sealed to a unit", submission);
    {
        const char *params[] = {ll_text(arena, k.unit_id)};
        struct tc_db_result *res;
        size_t pk_len = 0;
        unsigned char *pk;

        if ((st = tc_db_exec(conn, sql_unit_pk, 1, params, arena, &res, err)) != TC_OK)
            return st;
        pk = tc_db_rows(res) ? tc_db_bytea(res, 0, 0, arena, &pk_len) : NULL;
        /* Refuse another unit's key before trying it: the answer is the same either way. */
        if (pk == NULL || pk_len != TC_PUBLIC_KEY_BYTES ||
            sodium_memcmp(pk, tc_unit_key_public(key), TC_PUBLIC_KEY_BYTES) != 0)
            return tc_fail(err, TC_EFORBIDDEN, "this key does not open the record");
    }
    return tc_case_open(key, k.form_id, k.instance_id, k.dek, k.dek_len, k.xml, k.xml_len, arena,
                        xml_out, xml_len, dek_out, err);
}

/* ---- cases -------------------------------------------------------------------------------- */

void
tc_case_code_generate(char out[12])
{
    unsigned char raw[4];

    randombytes_buf(raw, sizeof(raw));
    memcpy(out, "DC-", 3);
    sodium_bin2hex(out + 3, 9, raw, sizeof(raw));
}

enum tc_status
tc_case_insert(struct tc_db_conn *conn, long long unit_id, const char *case_code,
               const char *form_id, long long submission, const char *report_json,
               long long *id_out, struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(512);
    struct tc_db_result *res;
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    {
        const char *params[] = {ll_text(arena, unit_id), case_code, form_id,
                                submission > 0 ? ll_text(arena, submission) : NULL, report_json};

        st = tc_db_exec(conn, sql_case_insert, 5, params, arena, &res, err);
    }
    if (st == TC_ECONFLICT)
        st = tc_fail(err, TC_ECONFLICT, "case code \"%s\" is taken", case_code);
    else if (st == TC_EINVAL)
        st = tc_fail(err, TC_EINVAL, "invalid case code \"%s\" or report", case_code);
    if (st == TC_OK && id_out != NULL)
        *id_out = tc_db_int(res, 0, 0, 0);
    tc_arena_destroy(arena);
    return st;
}

static void
case_from_row(const struct tc_db_result *res, size_t row, struct tc_case *out)
{
    *out = (struct tc_case){
        .id = tc_db_int(res, row, 0, 0),
        .unit_id = tc_db_int(res, row, 1, 0),
        .submission = tc_db_int(res, row, 2, 0),
        .case_code = tc_db_value(res, row, 3),
        .form_id = tc_db_value(res, row, 4),
        .report_json = tc_db_value(res, row, 5),
        .created_at = tc_db_value(res, row, 6),
    };
}

enum tc_status
tc_case_get(struct tc_db_conn *conn, const char *case_code, struct tc_arena *arena,
            struct tc_case *out, struct tc_error *err)
{
    const char *params[] = {case_code};
    struct tc_db_result *res;
    enum tc_status st;

    if ((st = tc_db_exec(conn, sql_case_get, 1, params, arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_ENOTFOUND, "no case \"%s\"", case_code ? case_code : "");
    case_from_row(res, 0, out);
    return TC_OK;
}

enum tc_status
tc_case_list(struct tc_db_conn *conn, long long unit_id, struct tc_arena *arena,
             struct tc_case **cases, size_t *n, struct tc_error *err)
{
    const char *params[] = {ll_text(arena, unit_id)};
    struct tc_db_result *res;
    enum tc_status st;

    if ((st = tc_db_exec(conn, sql_case_list, 1, params, arena, &res, err)) != TC_OK)
        return st;
    if ((*cases = tc_arena_calloc(arena, tc_db_rows(res) + 1, sizeof(**cases))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < tc_db_rows(res); i++)
        case_from_row(res, i, &(*cases)[i]);
    *n = tc_db_rows(res);
    return TC_OK;
}

/* ---- blind indexes ------------------------------------------------------------------------ */

enum tc_status
tc_blind_store(struct tc_db_conn *conn, long long unit_id, long long case_id,
               const struct tc_blind_value *values, size_t n, struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(512);
    enum tc_status st = TC_OK;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && st == TC_OK; i++) {
        const char *params[] = {ll_text(arena, unit_id), ll_text(arena, case_id),
                                tc_blind_kind_name(values[i].kind), (const char *)values[i].value};
        const size_t lengths[] = {0, 0, 0, values[i].len};

        st = exec_mixed(conn, sql_blind_insert, 4, params, lengths, arena, NULL, err);
    }
    tc_arena_destroy(arena);
    return st;
}

/* "{a,b}" and "{\\x0a1b,...}": the kinds and values as array literals. */
static bool
array_literals(const struct tc_blind_value *values, size_t n, struct tc_arena *arena,
               const char **kinds, const char **bytes)
{
    size_t kcap = n * 40 + 3, bcap = n * 16 + 3, kl = 0, bl = 0;
    char *k = tc_arena_alloc(arena, kcap), *b = tc_arena_alloc(arena, bcap);

    if (k == NULL || b == NULL)
        return false;
    k[kl++] = '{';
    b[bl++] = '{';
    for (size_t i = 0; i < n; i++) {
        kl += (size_t)snprintf(k + kl, kcap - kl, "%s%s", i ? "," : "",
                               tc_blind_kind_name(values[i].kind));
        bl += (size_t)snprintf(b + bl, bcap - bl, "%s\"\\\\x", i ? "," : "");
        for (size_t j = 0; j < values[i].len; j++)
            bl += (size_t)snprintf(b + bl, bcap - bl, "%02x", values[i].value[j]);
        bl += (size_t)snprintf(b + bl, bcap - bl, "\"");
    }
    snprintf(k + kl, kcap - kl, "}");
    snprintf(b + bl, bcap - bl, "}");
    *kinds = k;
    *bytes = b;
    return true;
}

enum tc_status
tc_blind_candidates(struct tc_db_conn *conn, long long unit_id, const struct tc_blind_value *values,
                    size_t n, long long exclude_case_id, struct tc_arena *arena,
                    struct tc_blind_candidate **out, size_t *n_out, struct tc_error *err)
{
    const char *params[4];
    struct tc_db_result *res;
    enum tc_status st;

    *out = NULL;
    *n_out = 0;
    if (n == 0)
        return TC_OK;
    params[0] = ll_text(arena, unit_id);
    params[1] = ll_text(arena, exclude_case_id);
    if (!array_literals(values, n, arena, &params[2], &params[3]))
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((st = tc_db_exec(conn, sql_blind_lookup, 4, params, arena, &res, err)) != TC_OK)
        return st;
    if ((*out = tc_arena_calloc(arena, tc_db_rows(res) + 1, sizeof(**out))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < tc_db_rows(res); i++)
        (*out)[i] = (struct tc_blind_candidate){
            .case_id = tc_db_int(res, i, 0, 0),
            .case_code = tc_db_value(res, i, 1),
            .n_matches = (unsigned int)tc_db_int(res, i, 2, 0),
        };
    *n_out = tc_db_rows(res);
    return TC_OK;
}

/* ---- key rotation ------------------------------------------------------------------------- */

enum tc_status
tc_keys_count(struct tc_db_conn *conn, struct tc_arena *arena, struct tc_key_count **out, size_t *n,
              struct tc_error *err)
{
    struct tc_db_result *res;
    enum tc_status st;

    if ((st = tc_db_exec(conn, sql_keys_count, 0, NULL, arena, &res, err)) != TC_OK)
        return st;
    if ((*out = tc_arena_calloc(arena, tc_db_rows(res) + 1, sizeof(**out))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < tc_db_rows(res); i++)
        (*out)[i] =
            (struct tc_key_count){.key_id = tc_db_value(res, i, 0), .n = tc_db_int(res, i, 1, 0)};
    *n = tc_db_rows(res);
    return TC_OK;
}

struct rewrap {
    struct tc_keyring *ring;
    const char *current;
    const char *batch;
    size_t n_done;
    struct tc_arena *arena;
};

static enum tc_status
rewrap_row(struct tc_db_conn *conn, struct rewrap *r, const struct tc_db_result *res, size_t i,
           struct tc_error *err)
{
    const char *old_id = tc_db_value(res, i, 1);
    const char *form_id = tc_db_value(res, i, 3), *instance_id = tc_db_value(res, i, 4);
    unsigned char wrapped[TC_DEK_WRAPPED_BYTES], *dek_bytes;
    char new_id[TC_KEY_ID_LEN + 1];
    struct tc_dek *dek = NULL;
    size_t len = 0;
    enum tc_status st;

    dek_bytes = tc_db_bytea(res, i, 2, r->arena, &len);
    if (dek_bytes == NULL)
        return tc_fail(err, TC_EINTERNAL, "a data key is damaged");
    if ((st = tc_dek_unwrap(r->ring, old_id, dek_bytes, len, form_id, instance_id, &dek, err)) !=
        TC_OK)
        return st;
    st = tc_dek_wrap(r->ring, dek, form_id, instance_id, new_id, wrapped, err);
    tc_dek_free(dek);
    if (st != TC_OK)
        return st;
    if (strcmp(new_id, r->current) != 0)
        return tc_fail(err, TC_ERETRY, "the key file changed during the rotation");
    {
        const char *params[] = {tc_db_value(res, i, 0), new_id, (const char *)wrapped, old_id};
        const size_t lengths[] = {0, 0, sizeof(wrapped), 0};

        st = exec_mixed(conn, sql_rewrap_update, 4, params, lengths, r->arena, NULL, err);
    }
    return st;
}

static enum tc_status
rewrap_batch_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    struct rewrap *r = ctx;
    const char *params[] = {r->current, r->batch};
    struct tc_db_result *res;
    enum tc_status st;

    r->n_done = 0;
    if ((st = tc_db_exec(conn, sql_rewrap_batch, 2, params, r->arena, &res, err)) != TC_OK)
        return st;
    for (size_t i = 0; i < tc_db_rows(res) && st == TC_OK; i++)
        st = rewrap_row(conn, r, res, i, err);
    if (st == TC_OK)
        r->n_done = tc_db_rows(res);
    return st;
}

enum tc_status
tc_keys_rewrap(struct tc_db_conn *conn, struct tc_keyring *ring, size_t batch, size_t *n_done,
               struct tc_error *err)
{
    char ids[TC_KEYRING_MAX][TC_KEY_ID_LEN + 1], current[TC_KEY_ID_LEN + 1];
    struct rewrap r = {.ring = ring, .current = current};
    size_t n_ids, total = 0;
    enum tc_status st;
    long long left;

    if (n_done != NULL)
        *n_done = 0;
    if ((st = tc_keyring_refresh(ring, err)) != TC_OK)
        return st;
    tc_keyring_ids(ring, ids, &n_ids, current);
    do {
        if ((r.arena = tc_arena_create(8192)) == NULL)
            return tc_fail(err, TC_ENOMEM, "out of memory");
        r.batch = tc_arena_printf(r.arena, "%zu", batch ? batch : 500);
        st = tc_db_transact(conn, false, rewrap_batch_txn, &r, err);
        total += st == TC_OK ? r.n_done : 0;
        left = 0;
        if (st == TC_OK && r.n_done == 0) {
            /* Rows skipped while locked elsewhere: look again until none is left. */
            const char *params[] = {current};
            struct tc_db_result *res;

            if ((st = tc_db_exec(conn, sql_rewrap_left, 1, params, r.arena, &res, err)) == TC_OK)
                left = tc_db_int(res, 0, 0, 0);
            if (left > 0)
                nanosleep(&(struct timespec){.tv_nsec = 100000000}, NULL);
        }
        tc_arena_destroy(r.arena);
    } while (st == TC_OK && (r.n_done > 0 || left > 0));
    if (n_done != NULL)
        *n_done = total;
    return st;
}
