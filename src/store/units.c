#include "tincay/units.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "tincay/arena.h"
#include "tincay/audit.h"
#include "tincay/db.h"
#include "tincay/users.h"
#include "vault/vault_internal.h"

#define UNIT_NAME_MAX 200

static const char sql_commune[] = "SELECT province_code FROM communes WHERE era = $1 AND code = $2";
static const char sql_escrows[] =
    "SELECT e.user_id, e.public_key FROM escrow_keys e JOIN users u ON u.id = e.user_id"
    " WHERE e.province_code = $1 AND u.disabled_at IS NULL ORDER BY e.user_id";
/* Officers of unit $1's province (enabled) who hold no seal of its key yet. */
static const char sql_escrows_unsealed[] =
    "SELECT e.user_id, e.public_key FROM escrow_keys e JOIN users u ON u.id = e.user_id"
    " JOIN units n ON n.province_code = e.province_code"
    " WHERE n.id = $1::bigint AND u.disabled_at IS NULL AND NOT EXISTS (SELECT 1 FROM unit_keys k"
    "   WHERE k.unit_id = n.id AND k.holder_kind = 'escrow' AND k.holder_id = e.user_id)"
    " ORDER BY e.user_id";
static const char sql_unit_insert[] =
    "INSERT INTO units (code, name, commune_era, commune_code, province_code, public_key)"
    " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
static const char sql_wrap_insert[] =
    "INSERT INTO unit_keys (unit_id, holder_kind, holder_id, wrapped, kdf_salt, kdf_opslimit,"
    " kdf_memlimit) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    " ON CONFLICT (unit_id, holder_kind, holder_id) DO UPDATE SET wrapped = EXCLUDED.wrapped,"
    " kdf_salt = EXCLUDED.kdf_salt, kdf_opslimit = EXCLUDED.kdf_opslimit,"
    " kdf_memlimit = EXCLUDED.kdf_memlimit, created_at = now()";
#define UNIT_COLUMNS                                                                               \
    "n.id, n.code, n.name, n.commune_era, n.commune_code, n.province_code, n.public_key,"          \
    " to_char(n.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"                 \
    " (SELECT count(*) FROM unit_keys k WHERE k.unit_id = n.id AND k.holder_kind = 'member'),"     \
    " (SELECT count(*) FROM unit_keys k WHERE k.unit_id = n.id AND k.holder_kind = 'escrow')"
static const char sql_unit_get[] = "SELECT " UNIT_COLUMNS " FROM units n WHERE n.code = $1";
static const char sql_unit_list[] = "SELECT " UNIT_COLUMNS " FROM units n ORDER BY n.code";
static const char sql_unit_pk[] = "SELECT public_key FROM units WHERE id = $1";
static const char sql_escrow_insert[] =
    "INSERT INTO escrow_keys (user_id, province_code, public_key, secret_wrapped, kdf_salt,"
    " kdf_opslimit, kdf_memlimit) VALUES ($1, $2, $3, $4, $5, $6, $7)";
static const char sql_escrow_get[] =
    "SELECT public_key, secret_wrapped, kdf_salt, kdf_opslimit, kdf_memlimit"
    " FROM escrow_keys WHERE user_id = $1";
static const char sql_escrow_update[] =
    "UPDATE escrow_keys SET secret_wrapped = $2, kdf_salt = $3, kdf_opslimit = $4,"
    " kdf_memlimit = $5 WHERE user_id = $1";
static const char sql_wrap_get[] =
    "SELECT k.wrapped, k.kdf_salt, k.kdf_opslimit, k.kdf_memlimit, n.public_key"
    " FROM unit_keys k JOIN units n ON n.id = k.unit_id"
    " WHERE k.unit_id = $1 AND k.holder_kind = $2 AND k.holder_id = $3";
static const char sql_member_wraps[] =
    "SELECT k.unit_id, k.wrapped, k.kdf_salt, k.kdf_opslimit, k.kdf_memlimit, n.public_key"
    " FROM unit_keys k JOIN units n ON n.id = k.unit_id"
    " WHERE k.holder_kind = 'member' AND k.holder_id = $1 ORDER BY k.unit_id";
static const char sql_member_delete[] =
    "DELETE FROM unit_keys WHERE unit_id = $1 AND holder_kind = 'member' AND holder_id = $2";
static const char sql_member_sessions_delete[] =
    "DELETE FROM session_unit_keys WHERE kind = 'unit' AND owner_id = $1"
    " AND session_id_hash IN (SELECT id_hash FROM sessions WHERE user_id = $2)";
static const char sql_member_unit_clear[] =
    "UPDATE users SET unit_id = NULL WHERE id = $2 AND unit_id = $1";
static const char sql_member_all_delete[] =
    "WITH d AS (DELETE FROM unit_keys WHERE holder_kind = 'member' AND holder_id = $1"
    "           RETURNING 1) SELECT count(*) FROM d";
static const char sql_user_role[] = "SELECT role, password_hash FROM users WHERE id = $1";
static const char sql_user_join[] = "UPDATE users SET unit_id = $2 WHERE id = $1 AND role = 'host'"
                                    " AND (unit_id IS NULL OR unit_id = $2) RETURNING id";
static const char sql_invitation_insert[] =
    "INSERT INTO invitations (unit_id, secret_hash, created_by, expires_at)"
    " VALUES ($1, $2, $3, now() + make_interval(secs => $4::int)) RETURNING id";
static const char sql_invitation_find[] =
    "SELECT id, unit_id FROM invitations WHERE secret_hash = $1 AND used_at IS NULL"
    " AND expires_at > now() FOR UPDATE";
static const char sql_invitation_burn[] =
    "WITH i AS (UPDATE invitations SET used_at = now(), used_by = $2 WHERE id = $1)"
    " DELETE FROM unit_keys WHERE holder_kind = 'invitation' AND holder_id = $1";
static const char sql_session_wrap_insert[] =
    "INSERT INTO session_unit_keys (session_id_hash, kind, owner_id, wrapped)"
    " VALUES ($1, $2, $3, $4) ON CONFLICT (session_id_hash, kind, owner_id)"
    " DO UPDATE SET wrapped = EXCLUDED.wrapped";
static const char sql_session_wrap_get[] =
    "SELECT w.wrapped, s.user_id FROM session_unit_keys w"
    " JOIN sessions s ON s.id_hash = w.session_id_hash"
    " WHERE w.session_id_hash = $1 AND w.kind = $2 AND w.owner_id = $3 AND s.expires_at > now()";

/* ---- small helpers ------------------------------------------------------------------------ */

/* tc_db_exec_bin where a parameter with a non-zero length is bytea (binary). */
static enum tc_status
exec_mixed(struct tc_db_conn *conn, const char *sql, size_t n, const char *const *params,
           const size_t *lengths, struct tc_arena *arena, struct tc_db_result **res,
           struct tc_error *err)
{
    bool binary[12] = {false};

    for (size_t i = 0; i < n && i < 12; i++)
        binary[i] = lengths[i] > 0;
    return tc_db_exec_bin(conn, sql, n, params, lengths, binary, arena, res, err);
}

static const char *
ll_text(struct tc_arena *arena, long long v)
{
    return tc_arena_printf(arena, "%lld", v);
}

struct kdf_params {
    unsigned char salt[TC_KDF_SALT_BYTES];
    unsigned long long ops;
    size_t mem;
};

static void
kdf_new(const struct tc_vault_kdf *kdf, struct kdf_params *p)
{
    randombytes_buf(p->salt, sizeof(p->salt));
    switch (kdf->cost) {
    case TC_PASSWORD_MODERATE:
        p->ops = crypto_pwhash_OPSLIMIT_MODERATE;
        p->mem = crypto_pwhash_MEMLIMIT_MODERATE;
        break;
    case TC_PASSWORD_MINIMUM:
        p->ops = crypto_pwhash_OPSLIMIT_MIN;
        p->mem = crypto_pwhash_MEMLIMIT_MIN;
        break;
    case TC_PASSWORD_INTERACTIVE:
    default:
        p->ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
        p->mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
        break;
    }
}

/* Salt and costs from columns col..col+2 of a row. */
static bool
kdf_from_row(const struct tc_db_result *res, size_t row, size_t col, struct tc_arena *arena,
             struct kdf_params *p)
{
    size_t len = 0;
    unsigned char *salt = tc_db_bytea(res, row, col, arena, &len);
    long long ops = tc_db_int(res, row, col + 1, 0), mem = tc_db_int(res, row, col + 2, 0);

    if (salt == NULL || len != sizeof(p->salt) || ops <= 0 || mem <= 0)
        return false;
    memcpy(p->salt, salt, len);
    p->ops = (unsigned long long)ops;
    p->mem = (size_t)mem;
    return true;
}

static void
member_ad(struct tc_ad *ad, long long unit_id, const char *holder_kind, long long holder_id)
{
    tc_ad_init(ad, "tincay unit key v1");
    tc_ad_addll(ad, unit_id);
    tc_ad_adds(ad, holder_kind);
    tc_ad_addll(ad, holder_id);
}

static void
escrow_ad(struct tc_ad *ad, long long user_id)
{
    tc_ad_init(ad, "tincay escrow key v1");
    tc_ad_addll(ad, user_id);
}

static void
session_ad(struct tc_ad *ad, const char *kind, long long owner_id, const unsigned char id_hash[32])
{
    tc_ad_init(ad, "tincay session key v1");
    tc_ad_adds(ad, kind);
    tc_ad_addll(ad, owner_id);
    tc_ad_add(ad, id_hash, 32);
}

/* A key pair from an unwrapped secret, checked against the public key on record. */
static enum tc_status
pair_from_secret(unsigned char secret[TC_SECRET_BYTES], const unsigned char *pk, size_t pk_len,
                 struct tc_unit_key **out, struct tc_error *err)
{
    enum tc_status st = TC_OK;

    if (tc_unit_key_from_secret(secret, out) != 0)
        st = tc_fail(err, TC_ENOMEM, "out of memory");
    else if (pk == NULL || pk_len != TC_PUBLIC_KEY_BYTES ||
             sodium_memcmp(tc_unit_key_public(*out), pk, TC_PUBLIC_KEY_BYTES) != 0) {
        tc_unit_key_free(*out);
        *out = NULL;
        st = tc_fail(err, TC_EINTERNAL, "a wrapped key does not match its public key");
    }
    sodium_memzero(secret, TC_SECRET_BYTES);
    return st;
}

/*
 * Wrap `secret` under Argon2id(password) with fresh parameters: `wrapped` and `p` are what
 * to store.
 */
static enum tc_status
wrap_under_password(const struct tc_vault_kdf *kdf, const char *password, size_t len,
                    const struct tc_ad *ad, const unsigned char secret[TC_SECRET_BYTES],
                    unsigned char wrapped[TC_SECRET_WRAPPED], struct kdf_params *p,
                    struct tc_error *err)
{
    unsigned char key[32];
    enum tc_status st;

    kdf_new(kdf, p);
    if ((st = tc_kdf_password(kdf->gate, kdf->next, password, len, p->salt, p->ops, p->mem, key,
                              err)) != TC_OK)
        return st;
    tc_secret_wrap(key, ad, secret, wrapped);
    sodium_memzero(key, sizeof(key));
    return TC_OK;
}

static enum tc_status
unwrap_under_password(const struct tc_vault_kdf *kdf, const char *password, size_t len,
                      const struct tc_ad *ad, const struct kdf_params *p,
                      const unsigned char *wrapped, size_t wrapped_len,
                      unsigned char secret[TC_SECRET_BYTES], struct tc_error *err)
{
    unsigned char key[32];
    enum tc_status st;
    int rc;

    if ((st = tc_kdf_password(kdf->gate, kdf->next, password, len, p->salt, p->ops, p->mem, key,
                              err)) != TC_OK)
        return st;
    rc = tc_secret_unwrap(key, ad, wrapped, wrapped_len, secret);
    sodium_memzero(key, sizeof(key));
    return rc == 0 ? TC_OK : tc_fail(err, TC_EUNAUTH, "wrong password");
}

/* Insert or replace one password- or secret-derived wrap of a unit key. */
static enum tc_status
store_wrap(struct tc_db_conn *conn, long long unit_id, const char *kind, long long holder_id,
           const unsigned char wrapped[TC_SECRET_WRAPPED], const struct kdf_params *p,
           struct tc_arena *arena, struct tc_error *err)
{
    const char *params[] = {ll_text(arena, unit_id),
                            kind,
                            ll_text(arena, holder_id),
                            (const char *)wrapped,
                            p ? (const char *)p->salt : NULL,
                            p ? tc_arena_printf(arena, "%llu", p->ops) : NULL,
                            p ? tc_arena_printf(arena, "%zu", p->mem) : NULL};
    const size_t lengths[] = {
        0, 0, 0, p ? TC_SECRET_WRAPPED : TC_SECRET_SEALED, p ? TC_KDF_SALT_BYTES : 0, 0, 0};

    if (params[0] == NULL || params[2] == NULL || (p && (params[5] == NULL || params[6] == NULL)))
        return tc_fail(err, TC_ENOMEM, "out of memory");
    return exec_mixed(conn, sql_wrap_insert, 7, params, lengths, arena, NULL, err);
}

static enum tc_status
audit(struct tc_db_conn *conn, long long actor_id, const char *action, const char *object_kind,
      const char *object_id, const char *outcome, struct tc_arena *arena, struct tc_error *err)
{
    const struct tc_audit_event ev = {
        .actor_kind = actor_id > 0 ? "user" : "system",
        .actor_id = actor_id,
        .action = action,
        .object_kind = object_kind,
        .object_id = object_id,
        .outcome = outcome,
    };

    return tc_audit_append(conn, &ev, arena, err);
}

/* ---- units -------------------------------------------------------------------------------- */

struct unit_new {
    const char *code, *name, *commune;
    long long actor_id;
    char era[16], commune_code[8];
    long long id;
    struct tc_arena *arena;
};

static enum tc_status
parse_unit(struct unit_new *u, struct tc_error *err)
{
    const char *c = u->commune, *colon = c ? strchr(c, ':') : NULL;
    size_t len = u->code ? strlen(u->code) : 0;

    if (len < 2 || len > 64)
        return tc_fail(err, TC_EINVAL, "a unit code has 2 to 64 characters");
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)u->code[i]) && strchr("._-", u->code[i]) == NULL)
            return tc_fail(err, TC_EINVAL, "a unit code holds only letters, digits, '.', '_', '-'");
    if (u->name == NULL || u->name[0] == '\0' || strlen(u->name) > UNIT_NAME_MAX)
        return tc_fail(err, TC_EINVAL, "a unit name has 1 to %d bytes", UNIT_NAME_MAX);
    if (c == NULL)
        return tc_fail(err, TC_EINVAL, "a unit needs its commune");
    snprintf(u->era, sizeof(u->era), "%s", TC_ERA_POST2025);
    if (colon != NULL) {
        size_t n = (size_t)(colon - c);

        if (!(n == strlen(TC_ERA_PRE2025) && strncmp(c, TC_ERA_PRE2025, n) == 0) &&
            !(n == strlen(TC_ERA_POST2025) && strncmp(c, TC_ERA_POST2025, n) == 0))
            return tc_fail(err, TC_EINVAL, "unknown commune list in \"%s\"", c);
        snprintf(u->era, sizeof(u->era), "%.*s", (int)n, c);
        c = colon + 1;
    }
    if (strlen(c) != 5 || strspn(c, "0123456789") != 5)
        return tc_fail(err, TC_EINVAL, "a commune code has 5 digits: \"%s\"", u->commune);
    memcpy(u->commune_code, c, 6);
    return TC_OK;
}

/* Seal unit `unit_id`'s secret key to each officer of `res` (user_id, public_key). */
static enum tc_status
seal_to(struct tc_db_conn *conn, long long unit_id, const struct tc_db_result *res,
        const struct tc_unit_key *key, struct tc_arena *arena, struct tc_error *err)
{
    for (size_t i = 0; i < tc_db_rows(res); i++) {
        unsigned char sealed[TC_SECRET_SEALED];
        size_t pk_len = 0;
        unsigned char *pk = tc_db_bytea(res, i, 1, arena, &pk_len);
        enum tc_status st;

        if (pk == NULL || pk_len != TC_PUBLIC_KEY_BYTES ||
            crypto_box_seal(sealed, tc_unit_key_secret(key), TC_SECRET_BYTES, pk) != 0)
            return tc_fail(err, TC_EINTERNAL, "cannot seal to escrow officer %lld",
                           tc_db_int(res, i, 0, 0));
        if ((st = store_wrap(conn, unit_id, "escrow", tc_db_int(res, i, 0, 0), sealed, NULL, arena,
                             err)) != TC_OK)
            return st;
    }
    return TC_OK;
}

/* Seal the new unit's secret key to each escrow officer of its province. */
static enum tc_status
seal_to_escrows(struct tc_db_conn *conn, struct unit_new *u, const char *province,
                const struct tc_unit_key *key, struct tc_error *err)
{
    const char *params[] = {province};
    struct tc_db_result *res;
    enum tc_status st;

    if ((st = tc_db_exec(conn, sql_escrows, 1, params, u->arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_EINVAL,
                       "province \"%s\" has no escrow officer; create one first (tincay user add "
                       "LOGIN --role escrow --province %s)",
                       province, province);
    return seal_to(conn, u->id, res, key, u->arena, err);
}

/*
 * A unit key just opened by a member: sealed also to the escrow officers of its province
 * who came after the unit was made (only a holder of the key can seal it), each audited.
 */
static enum tc_status
seal_to_later_escrows(struct tc_db_conn *conn, long long actor_id, long long unit_id,
                      const struct tc_unit_key *key, struct tc_arena *arena, struct tc_error *err)
{
    const char *params[] = {ll_text(arena, unit_id)};
    struct tc_db_result *res;
    enum tc_status st;

    if ((st = tc_db_exec(conn, sql_escrows_unsealed, 1, params, arena, &res, err)) != TC_OK ||
        (st = seal_to(conn, unit_id, res, key, arena, err)) != TC_OK)
        return st;
    for (size_t i = 0; i < tc_db_rows(res) && st == TC_OK; i++) {
        const struct tc_audit_event ev = {
            .actor_kind = "user",
            .actor_id = actor_id,
            .action = "unit.escrow_seal",
            .object_kind = "unit",
            .object_id = params[0],
            .detail_json =
                tc_arena_printf(arena, "{\"escrow_user_id\": %s}", tc_db_value(res, i, 0)),
        };
        st = tc_audit_append(conn, &ev, arena, err);
    }
    return st;
}

static enum tc_status
unit_create_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    struct unit_new *u = ctx;
    const char *commune[] = {u->era, u->commune_code};
    struct tc_unit_key *key = NULL;
    struct tc_db_result *res;
    const char *province, *id_text;
    enum tc_status st;

    if ((st = tc_db_exec(conn, sql_commune, 2, commune, u->arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_EINVAL, "unknown commune \"%s\" in the %s list", u->commune_code,
                       u->era);
    province = tc_db_value(res, 0, 0);
    if ((st = tc_unit_key_generate(&key, err)) != TC_OK)
        return st;
    {
        const char *params[] = {u->code,         u->name,  u->era,
                                u->commune_code, province, (const char *)tc_unit_key_public(key)};
        const size_t lengths[] = {0, 0, 0, 0, 0, TC_PUBLIC_KEY_BYTES};

        st = exec_mixed(conn, sql_unit_insert, 6, params, lengths, u->arena, &res, err);
    }
    if (st == TC_ECONFLICT)
        st = tc_fail(err, TC_ECONFLICT, "unit code \"%s\" is taken", u->code);
    if (st != TC_OK)
        goto out;
    u->id = tc_db_int(res, 0, 0, 0);
    id_text = tc_db_value(res, 0, 0);
    if ((st = seal_to_escrows(conn, u, province, key, err)) == TC_OK)
        st = audit(conn, u->actor_id, "unit.create", "unit", id_text, NULL, u->arena, err);
out:
    tc_unit_key_free(key); /* the secret key now exists only sealed */
    return st;
}

enum tc_status
tc_unit_create(struct tc_db_conn *conn, const char *code, const char *name, const char *commune,
               long long actor_id, long long *id_out, struct tc_error *err)
{
    struct unit_new u = {.code = code, .name = name, .commune = commune, .actor_id = actor_id};
    enum tc_status st;

    if ((st = parse_unit(&u, err)) != TC_OK)
        return st;
    if ((u.arena = tc_arena_create(2048)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    st = tc_db_transact(conn, false, unit_create_txn, &u, err);
    if (st == TC_OK && id_out != NULL)
        *id_out = u.id;
    tc_arena_destroy(u.arena);
    return st;
}

static void
unit_from_row(const struct tc_db_result *res, size_t row, struct tc_arena *arena,
              struct tc_unit *out)
{
    size_t len = 0;

    *out = (struct tc_unit){
        .id = tc_db_int(res, row, 0, 0),
        .code = tc_db_value(res, row, 1),
        .name = tc_db_value(res, row, 2),
        .commune_era = tc_db_value(res, row, 3),
        .commune_code = tc_db_value(res, row, 4),
        .province_code = tc_db_value(res, row, 5),
        .public_key = tc_db_bytea(res, row, 6, arena, &len),
        .created_at = tc_db_value(res, row, 7),
        .n_members = tc_db_int(res, row, 8, 0),
        .n_escrow = tc_db_int(res, row, 9, 0),
    };
}

enum tc_status
tc_unit_get(struct tc_db_conn *conn, const char *code, struct tc_arena *arena, struct tc_unit *out,
            struct tc_error *err)
{
    const char *params[] = {code};
    struct tc_db_result *res;
    enum tc_status st;

    if ((st = tc_db_exec(conn, sql_unit_get, 1, params, arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_ENOTFOUND, "no unit \"%s\"", code ? code : "");
    unit_from_row(res, 0, arena, out);
    return TC_OK;
}

enum tc_status
tc_unit_list(struct tc_db_conn *conn, struct tc_arena *arena, struct tc_unit **units, size_t *n,
             struct tc_error *err)
{
    struct tc_db_result *res;
    enum tc_status st;

    if ((st = tc_db_exec(conn, sql_unit_list, 0, NULL, arena, &res, err)) != TC_OK)
        return st;
    if ((*units = tc_arena_calloc(arena, tc_db_rows(res) + 1, sizeof(**units))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < tc_db_rows(res); i++)
        unit_from_row(res, i, arena, &(*units)[i]);
    *n = tc_db_rows(res);
    return TC_OK;
}

/* ---- escrow ------------------------------------------------------------------------------- */

enum tc_status
tc_escrow_create(struct tc_db_conn *conn, const struct tc_vault_kdf *kdf, long long user_id,
                 const char *province, const char *password, size_t len, struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(1024);
    struct tc_unit_key *key = NULL;
    unsigned char wrapped[TC_SECRET_WRAPPED];
    struct kdf_params p;
    struct tc_ad ad;
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if (province == NULL || strlen(province) != 2 || strspn(province, "0123456789") != 2) {
        st = tc_fail(err, TC_EINVAL, "an escrow officer needs a province (2 digits)");
        goto out;
    }
    escrow_ad(&ad, user_id);
    if ((st = tc_unit_key_generate(&key, err)) != TC_OK ||
        (st = wrap_under_password(kdf, password, len, &ad, tc_unit_key_secret(key), wrapped, &p,
                                  err)) != TC_OK)
        goto out;
    {
        const char *params[] = {ll_text(arena, user_id),
                                province,
                                (const char *)tc_unit_key_public(key),
                                (const char *)wrapped,
                                (const char *)p.salt,
                                tc_arena_printf(arena, "%llu", p.ops),
                                tc_arena_printf(arena, "%zu", p.mem)};
        const size_t lengths[] = {0, 0, TC_PUBLIC_KEY_BYTES, TC_SECRET_WRAPPED, TC_KDF_SALT_BYTES,
                                  0, 0};

        st = exec_mixed(conn, sql_escrow_insert, 7, params, lengths, arena, NULL, err);
    }
    if (st == TC_OK)
        st = audit(conn, user_id, "escrow.create", "user", ll_text(arena, user_id), NULL, arena,
                   err);
out:
    tc_unit_key_free(key);
    tc_arena_destroy(arena);
    return st;
}

enum tc_status
tc_escrow_open(struct tc_db_conn *conn, const struct tc_vault_kdf *kdf, long long user_id,
               const char *password, size_t len, struct tc_unit_key **out, struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(1024);
    const char *params[1];
    unsigned char secret[TC_SECRET_BYTES];
    unsigned char *pk, *wrapped;
    size_t pk_len = 0, wrapped_len = 0;
    struct tc_db_result *res;
    struct kdf_params p;
    struct tc_ad ad;
    enum tc_status st;

    *out = NULL;
    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    params[0] = ll_text(arena, user_id);
    if ((st = tc_db_exec(conn, sql_escrow_get, 1, params, arena, &res, err)) != TC_OK)
        goto out;
    if (tc_db_rows(res) == 0) {
        st = tc_fail(err, TC_EFORBIDDEN, "this account holds no escrow key");
        goto out;
    }
    pk = tc_db_bytea(res, 0, 0, arena, &pk_len);
    wrapped = tc_db_bytea(res, 0, 1, arena, &wrapped_len);
    if (wrapped == NULL || !kdf_from_row(res, 0, 2, arena, &p)) {
        st = tc_fail(err, TC_EINTERNAL, "the escrow key of this account is damaged");
        goto out;
    }
    escrow_ad(&ad, user_id);
    if ((st = unwrap_under_password(kdf, password, len, &ad, &p, wrapped, wrapped_len, secret,
                                    err)) == TC_OK)
        st = pair_from_secret(secret, pk, pk_len, out, err);
out:
    sodium_memzero(secret, sizeof(secret));
    tc_arena_destroy(arena);
    return st;
}

/* The public key of unit `unit_id`, into `arena`. */
static enum tc_status
unit_public_key(struct tc_db_conn *conn, long long unit_id, struct tc_arena *arena,
                unsigned char **pk, size_t *pk_len, struct tc_error *err)
{
    const char *params[] = {ll_text(arena, unit_id)};
    struct tc_db_result *res;
    enum tc_status st;

    if ((st = tc_db_exec(conn, sql_unit_pk, 1, params, arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_ENOTFOUND, "no unit %lld", unit_id);
    *pk = tc_db_bytea(res, 0, 0, arena, pk_len);
    return TC_OK;
}

enum tc_status
tc_unit_key_from_escrow(struct tc_db_conn *conn, const struct tc_unit_key *escrow,
                        long long escrow_user_id, long long unit_id, struct tc_unit_key **out,
                        struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(1024);
    const char *params[3];
    unsigned char secret[TC_SECRET_BYTES], *sealed, *pk;
    size_t sealed_len = 0, pk_len = 0;
    struct tc_db_result *res;
    enum tc_status st;

    *out = NULL;
    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    params[0] = ll_text(arena, unit_id);
    params[1] = "escrow";
    params[2] = ll_text(arena, escrow_user_id);
    if ((st = tc_db_exec(conn, sql_wrap_get, 3, params, arena, &res, err)) != TC_OK)
        goto out;
    if (tc_db_rows(res) == 0) {
        st = tc_fail(err, TC_EFORBIDDEN, "this unit is not in your escrow");
        goto out;
    }
    sealed = tc_db_bytea(res, 0, 0, arena, &sealed_len);
    pk = tc_db_bytea(res, 0, 4, arena, &pk_len);
    if (sealed == NULL || sealed_len != TC_SECRET_SEALED ||
        crypto_box_seal_open(secret, sealed, sealed_len, tc_unit_key_public(escrow),
                             tc_unit_key_secret(escrow)) != 0) {
        st = tc_fail(err, TC_EFORBIDDEN, "this unit is not in your escrow");
        goto out;
    }
    st = pair_from_secret(secret, pk, pk_len, out, err);
out:
    sodium_memzero(secret, sizeof(secret));
    tc_arena_destroy(arena);
    return st;
}

/* ---- members ------------------------------------------------------------------------------ */

/* Open the wrap of (unit, kind, holder) with `password` into a key pair. */
static enum tc_status
open_wrap(struct tc_db_conn *conn, const struct tc_vault_kdf *kdf, long long unit_id,
          const char *kind, long long holder_id, const char *password, size_t len,
          struct tc_unit_key **out, struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(1024);
    const char *params[3];
    unsigned char secret[TC_SECRET_BYTES], *wrapped, *pk;
    size_t wrapped_len = 0, pk_len = 0;
    struct tc_db_result *res;
    struct kdf_params p;
    struct tc_ad ad;
    enum tc_status st;

    *out = NULL;
    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    params[0] = ll_text(arena, unit_id);
    params[1] = kind;
    params[2] = ll_text(arena, holder_id);
    if ((st = tc_db_exec(conn, sql_wrap_get, 3, params, arena, &res, err)) != TC_OK)
        goto out;
    if (tc_db_rows(res) == 0) {
        st = tc_fail(err, TC_EFORBIDDEN, "you hold no key of this unit");
        goto out;
    }
    wrapped = tc_db_bytea(res, 0, 0, arena, &wrapped_len);
    pk = tc_db_bytea(res, 0, 4, arena, &pk_len);
    if (wrapped == NULL || !kdf_from_row(res, 0, 1, arena, &p)) {
        st = tc_fail(err, TC_EINTERNAL, "a wrapped unit key is damaged");
        goto out;
    }
    member_ad(&ad, unit_id, kind, holder_id);
    if ((st = unwrap_under_password(kdf, password, len, &ad, &p, wrapped, wrapped_len, secret,
                                    err)) == TC_OK)
        st = pair_from_secret(secret, pk, pk_len, out, err);
out:
    sodium_memzero(secret, sizeof(secret));
    tc_arena_destroy(arena);
    return st;
}

enum tc_status
tc_unit_key_open_member(struct tc_db_conn *conn, const struct tc_vault_kdf *kdf, long long unit_id,
                        long long user_id, const char *password, size_t len,
                        struct tc_unit_key **out, struct tc_error *err)
{
    return open_wrap(conn, kdf, unit_id, "member", user_id, password, len, out, err);
}

/* Wrap `key` for (unit, kind, holder) under `password` and store it. */
static enum tc_status
grant(struct tc_db_conn *conn, const struct tc_vault_kdf *kdf, long long unit_id, const char *kind,
      long long holder_id, const struct tc_unit_key *key, const char *password, size_t len,
      struct tc_arena *arena, struct tc_error *err)
{
    unsigned char wrapped[TC_SECRET_WRAPPED];
    struct kdf_params p;
    struct tc_ad ad;
    enum tc_status st;

    member_ad(&ad, unit_id, kind, holder_id);
    if ((st = wrap_under_password(kdf, password, len, &ad, tc_unit_key_secret(key), wrapped, &p,
                                  err)) != TC_OK)
        return st;
    return store_wrap(conn, unit_id, kind, holder_id, wrapped, &p, arena, err);
}

/* Make `user_id` (a host) a member of `unit_id` in users.unit_id. */
static enum tc_status
join_unit(struct tc_db_conn *conn, long long user_id, long long unit_id, struct tc_arena *arena,
          struct tc_error *err)
{
    const char *params[] = {ll_text(arena, user_id), ll_text(arena, unit_id)};
    struct tc_db_result *res;
    enum tc_status st;

    if ((st = tc_db_exec(conn, sql_user_join, 2, params, arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_ECONFLICT,
                       "only a host account without another unit can join a unit");
    return TC_OK;
}

enum tc_status
tc_unit_member_grant(struct tc_db_conn *conn, const struct tc_vault_kdf *kdf, long long unit_id,
                     const struct tc_unit_key *key, long long user_id, const char *password,
                     size_t len, struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(1024);
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((st = join_unit(conn, user_id, unit_id, arena, err)) == TC_OK &&
        (st = grant(conn, kdf, unit_id, "member", user_id, key, password, len, arena, err)) ==
            TC_OK)
        st = audit(conn, user_id, "unit.member.grant", "unit", ll_text(arena, unit_id), NULL, arena,
                   err);
    tc_arena_destroy(arena);
    return st;
}

enum tc_status
tc_unit_member_remove(struct tc_db_conn *conn, long long unit_id, long long user_id,
                      struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(512);
    const char *params[2];
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    params[0] = ll_text(arena, unit_id);
    params[1] = ll_text(arena, user_id);
    if ((st = tc_db_exec(conn, sql_member_delete, 2, params, arena, NULL, err)) == TC_OK &&
        (st = tc_db_exec(conn, sql_member_sessions_delete, 2, params, arena, NULL, err)) == TC_OK &&
        (st = tc_db_exec(conn, sql_member_unit_clear, 2, params, arena, NULL, err)) == TC_OK)
        st = audit(conn, 0, "unit.member.remove", "unit", params[0], NULL, arena, err);
    tc_arena_destroy(arena);
    return st;
}

/* Re-wrap one member wrap (row `i` of sql_member_wraps) under the new password. */
static enum tc_status
rewrap_member(struct tc_db_conn *conn, const struct tc_vault_kdf *kdf, long long user_id,
              const struct tc_db_result *res, size_t i, const char *old_pw, size_t old_len,
              const char *new_pw, size_t new_len, struct tc_arena *arena, struct tc_error *err)
{
    long long unit_id = tc_db_int(res, i, 0, 0);
    unsigned char secret[TC_SECRET_BYTES], *wrapped, *pk;
    size_t wrapped_len = 0, pk_len = 0;
    struct tc_unit_key *key = NULL;
    struct kdf_params p;
    struct tc_ad ad;
    enum tc_status st;

    wrapped = tc_db_bytea(res, i, 1, arena, &wrapped_len);
    pk = tc_db_bytea(res, i, 5, arena, &pk_len);
    if (wrapped == NULL || !kdf_from_row(res, i, 2, arena, &p))
        return tc_fail(err, TC_EINTERNAL, "a wrapped unit key is damaged");
    member_ad(&ad, unit_id, "member", user_id);
    if ((st = unwrap_under_password(kdf, old_pw, old_len, &ad, &p, wrapped, wrapped_len, secret,
                                    err)) != TC_OK ||
        (st = pair_from_secret(secret, pk, pk_len, &key, err)) != TC_OK)
        return st;
    st = grant(conn, kdf, unit_id, "member", user_id, key, new_pw, new_len, arena, err);
    tc_unit_key_free(key);
    return st;
}

/* Re-wrap an escrow officer's own key under the new password (none: nothing to do). */
static enum tc_status
rewrap_escrow(struct tc_db_conn *conn, const struct tc_vault_kdf *kdf, long long user_id,
              const char *old_pw, size_t old_len, const char *new_pw, size_t new_len,
              struct tc_arena *arena, struct tc_error *err)
{
    struct tc_unit_key *key = NULL;
    unsigned char wrapped[TC_SECRET_WRAPPED];
    struct kdf_params p;
    struct tc_ad ad;
    enum tc_status st = tc_escrow_open(conn, kdf, user_id, old_pw, old_len, &key, err);

    if (st == TC_EFORBIDDEN) {
        tc_error_clear(err);
        return TC_OK;
    }
    if (st != TC_OK)
        return st;
    escrow_ad(&ad, user_id);
    st = wrap_under_password(kdf, new_pw, new_len, &ad, tc_unit_key_secret(key), wrapped, &p, err);
    tc_unit_key_free(key);
    if (st == TC_OK) {
        const char *params[] = {ll_text(arena, user_id), (const char *)wrapped,
                                (const char *)p.salt, tc_arena_printf(arena, "%llu", p.ops),
                                tc_arena_printf(arena, "%zu", p.mem)};
        const size_t lengths[] = {0, TC_SECRET_WRAPPED, TC_KDF_SALT_BYTES, 0, 0};

        st = exec_mixed(conn, sql_escrow_update, 5, params, lengths, arena, NULL, err);
    }
    return st;
}

/* Check `password` against the account's stored hash (TC_EUNAUTH when wrong or none). */
static enum tc_status
verify_password(struct tc_db_conn *conn, const struct tc_vault_kdf *kdf, long long user_id,
                const char *password, size_t len, struct tc_arena *arena, struct tc_error *err)
{
    const char *params[] = {ll_text(arena, user_id)};
    struct tc_db_result *res;
    enum tc_status st;

    if ((st = tc_db_exec(conn, sql_user_role, 1, params, arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_rows(res) == 0 || tc_db_is_null(res, 0, 1))
        return tc_fail(err, TC_EUNAUTH, "wrong login or password");
    st = tc_password_verify(kdf->gate, tc_db_value(res, 0, 1), password, len, NULL, err);
    return st == TC_EUNAUTH ? tc_fail(err, TC_EUNAUTH, "wrong login or password") : st;
}

enum tc_status
tc_vault_password_change(struct tc_db_conn *conn, const struct tc_vault_kdf *kdf, long long user_id,
                         const char *old_password, size_t old_len, const char *new_password,
                         size_t new_len, struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(2048);
    const char *params[1];
    struct tc_db_result *res;
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    params[0] = ll_text(arena, user_id);
    /* The old password must be right even for an account that holds no wrap yet. */
    if ((st = verify_password(conn, kdf, user_id, old_password, old_len, arena, err)) != TC_OK ||
        (st = tc_db_exec(conn, sql_member_wraps, 1, params, arena, &res, err)) != TC_OK)
        goto out;
    for (size_t i = 0; i < tc_db_rows(res) && st == TC_OK; i++)
        st = rewrap_member(conn, kdf, user_id, res, i, old_password, old_len, new_password, new_len,
                           arena, err);
    if (st == TC_OK)
        st = rewrap_escrow(conn, kdf, user_id, old_password, old_len, new_password, new_len, arena,
                           err);
out:
    tc_arena_destroy(arena);
    return st;
}

enum tc_status
tc_vault_password_reset(struct tc_db_conn *conn, long long user_id, bool *wraps_deleted,
                        struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(512);
    const char *params[1];
    struct tc_db_result *res;
    enum tc_status st;

    *wraps_deleted = false;
    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    params[0] = ll_text(arena, user_id);
    if ((st = tc_db_exec(conn, sql_escrow_get, 1, params, arena, &res, err)) != TC_OK)
        goto out;
    if (tc_db_rows(res) > 0) {
        st = tc_fail(err, TC_ECONFLICT,
                     "an escrow officer's password can only be changed with the old one: the "
                     "escrow key is wrapped under it");
        goto out;
    }
    if ((st = tc_db_exec(conn, sql_member_all_delete, 1, params, arena, &res, err)) != TC_OK)
        goto out;
    *wraps_deleted = tc_db_int(res, 0, 0, 0) > 0;
    if (*wraps_deleted)
        st = audit(conn, 0, "unit.member.reset", "user", params[0], NULL, arena, err);
out:
    tc_arena_destroy(arena);
    return st;
}

/* ---- invitations -------------------------------------------------------------------------- */

static void
secret_hash(const char *secret, unsigned char out[32])
{
    static const char context[] = "tincay invitation v1";

    crypto_generichash(out, 32, (const unsigned char *)secret, strlen(secret),
                       (const unsigned char *)context, sizeof(context) - 1);
}

enum tc_status
tc_invitation_create(struct tc_db_conn *conn, const struct tc_vault_kdf *kdf, long long unit_id,
                     const struct tc_unit_key *key, long long created_by, unsigned int ttl_s,
                     char secret_out[TC_INVITATION_SECRET_MAX], long long *id_out,
                     struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(1024);
    unsigned char raw[32], hash[32], *pk = NULL;
    size_t pk_len = 0;
    struct tc_db_result *res;
    long long id = 0;
    enum tc_status st;

    secret_out[0] = '\0';
    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    /* The key given must be this unit's: an invitation never hands out another unit. */
    if ((st = unit_public_key(conn, unit_id, arena, &pk, &pk_len, err)) != TC_OK)
        goto out;
    if (pk == NULL || pk_len != TC_PUBLIC_KEY_BYTES ||
        sodium_memcmp(pk, tc_unit_key_public(key), TC_PUBLIC_KEY_BYTES) != 0) {
        st = tc_fail(err, TC_EFORBIDDEN, "this key is not the unit's");
        goto out;
    }
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(secret_out, TC_INVITATION_SECRET_MAX, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    secret_hash(secret_out, hash);
    {
        const char *params[] = {ll_text(arena, unit_id), (const char *)hash,
                                created_by > 0 ? ll_text(arena, created_by) : NULL,
                                tc_arena_printf(arena, "%u", ttl_s ? ttl_s : TC_INVITATION_TTL_S)};
        const size_t lengths[] = {0, sizeof(hash), 0, 0};

        if ((st = exec_mixed(conn, sql_invitation_insert, 4, params, lengths, arena, &res, err)) !=
            TC_OK)
            goto out;
    }
    id = tc_db_int(res, 0, 0, 0);
    if ((st = grant(conn, kdf, unit_id, "invitation", id, key, secret_out, strlen(secret_out),
                    arena, err)) != TC_OK)
        goto out;
    st = audit(conn, created_by, "unit.invite", "unit", ll_text(arena, unit_id), NULL, arena, err);
out:
    if (st != TC_OK)
        sodium_memzero(secret_out, TC_INVITATION_SECRET_MAX);
    else if (id_out != NULL)
        *id_out = id;
    sodium_memzero(raw, sizeof(raw));
    tc_arena_destroy(arena);
    return st;
}

struct redeem {
    const struct tc_vault_kdf *kdf;
    const char *secret, *password;
    size_t len;
    long long user_id, unit_id;
    struct tc_arena *arena;
};

static enum tc_status
redeem_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    struct redeem *r = ctx;
    unsigned char hash[32];
    const char *params[] = {(const char *)hash, NULL};
    const size_t lengths[] = {sizeof(hash), 0};
    struct tc_unit_key *key = NULL;
    struct tc_db_result *res;
    long long invitation;
    enum tc_status st;

    secret_hash(r->secret, hash);
    if ((st = exec_mixed(conn, sql_invitation_find, 1, params, lengths, r->arena, &res, err)) !=
        TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_EUNAUTH, "this invitation is unknown, used or expired");
    invitation = tc_db_int(res, 0, 0, 0);
    r->unit_id = tc_db_int(res, 0, 1, 0);
    if ((st = open_wrap(conn, r->kdf, r->unit_id, "invitation", invitation, r->secret,
                        strlen(r->secret), &key, err)) != TC_OK)
        return st == TC_EUNAUTH ? tc_fail(err, TC_EUNAUTH, "this invitation does not open") : st;
    st = tc_unit_member_grant(conn, r->kdf, r->unit_id, key, r->user_id, r->password, r->len, err);
    tc_unit_key_free(key);
    if (st != TC_OK)
        return st;
    params[0] = ll_text(r->arena, invitation);
    params[1] = ll_text(r->arena, r->user_id);
    if ((st = tc_db_exec(conn, sql_invitation_burn, 2, params, r->arena, NULL, err)) != TC_OK)
        return st;
    return audit(conn, r->user_id, "unit.invitation.redeem", "invitation", params[0], NULL,
                 r->arena, err);
}

enum tc_status
tc_invitation_redeem(struct tc_db_conn *conn, const struct tc_vault_kdf *kdf, const char *secret,
                     long long user_id, const char *password, size_t len, long long *unit_id_out,
                     struct tc_error *err)
{
    struct redeem r = {
        .kdf = kdf, .secret = secret, .password = password, .len = len, .user_id = user_id};
    enum tc_status st;

    if (secret == NULL || strlen(secret) != TC_INVITATION_SECRET_MAX - 1)
        return tc_fail(err, TC_EUNAUTH, "this invitation is unknown, used or expired");
    if ((r.arena = tc_arena_create(2048)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((st = verify_password(conn, kdf, user_id, password, len, r.arena, err)) == TC_OK)
        st = tc_db_transact(conn, false, redeem_txn, &r, err);
    if (st == TC_OK && unit_id_out != NULL)
        *unit_id_out = r.unit_id;
    tc_arena_destroy(r.arena);
    return st;
}

/* ---- sessions ----------------------------------------------------------------------------- */

static enum tc_status
store_session_wrap(struct tc_db_conn *conn, const unsigned char skey[32],
                   const unsigned char id_hash[32], const char *kind, long long owner_id,
                   const struct tc_unit_key *key, struct tc_arena *arena, struct tc_error *err)
{
    unsigned char wrapped[TC_SECRET_WRAPPED];
    struct tc_ad ad;
    const char *params[] = {(const char *)id_hash, kind, ll_text(arena, owner_id),
                            (const char *)wrapped};
    const size_t lengths[] = {32, 0, 0, sizeof(wrapped)};

    session_ad(&ad, kind, owner_id, id_hash);
    tc_secret_wrap(skey, &ad, tc_unit_key_secret(key), wrapped);
    return exec_mixed(conn, sql_session_wrap_insert, 4, params, lengths, arena, NULL, err);
}

struct session_open {
    const struct tc_vault_kdf *kdf;
    long long user_id;
    const char *password;
    size_t len;
    unsigned char skey[32], id_hash[32];
    size_t n;
    struct tc_arena *arena;
};

static enum tc_status
session_open_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    struct session_open *s = ctx;
    const char *params[] = {ll_text(s->arena, s->user_id)};
    struct tc_unit_key *key = NULL;
    struct tc_db_result *res;
    enum tc_status st;

    s->n = 0;
    if ((st = tc_db_exec(conn, sql_member_wraps, 1, params, s->arena, &res, err)) != TC_OK)
        return st;
    for (size_t i = 0; i < tc_db_rows(res); i++) {
        long long unit_id = tc_db_int(res, i, 0, 0);

        st = open_wrap(conn, s->kdf, unit_id, "member", s->user_id, s->password, s->len, &key, err);
        if (st == TC_EUNAUTH) {
            /* A wrap made under an earlier password (set without re-wrapping): the login
               stands, that unit stays locked until escrow restores it. */
            tc_error_clear(err);
            continue;
        }
        if (st != TC_OK)
            return st;
        st = store_session_wrap(conn, s->skey, s->id_hash, "unit", unit_id, key, s->arena, err);
        if (st == TC_OK)
            st = seal_to_later_escrows(conn, s->user_id, unit_id, key, s->arena, err);
        tc_unit_key_free(key);
        if (st != TC_OK)
            return st;
        s->n++;
    }
    st = tc_escrow_open(conn, s->kdf, s->user_id, s->password, s->len, &key, err);
    if (st == TC_EFORBIDDEN) {
        tc_error_clear(err);
        return TC_OK;
    }
    if (st != TC_OK)
        return st;
    st = store_session_wrap(conn, s->skey, s->id_hash, "escrow", s->user_id, key, s->arena, err);
    tc_unit_key_free(key);
    s->n += st == TC_OK;
    return st;
}

enum tc_status
tc_vault_session_open(struct tc_db_conn *conn, const struct tc_vault_kdf *kdf, const char *token,
                      long long user_id, const char *password, size_t len, size_t *n_out,
                      struct tc_error *err)
{
    struct session_open s = {.kdf = kdf, .user_id = user_id, .password = password, .len = len};
    enum tc_status st;

    if (tc_session_wrap_key(token, s.skey, s.id_hash) != 0)
        return tc_fail(err, TC_EUNAUTH, "your session has ended; log in again");
    if ((s.arena = tc_arena_create(2048)) == NULL) {
        sodium_memzero(s.skey, sizeof(s.skey));
        return tc_fail(err, TC_ENOMEM, "out of memory");
    }
    st = tc_db_transact(conn, false, session_open_txn, &s, err);
    if (st == TC_OK && n_out != NULL)
        *n_out = s.n;
    sodium_memzero(s.skey, sizeof(s.skey));
    tc_arena_destroy(s.arena);
    return st;
}

/* The key (kind, owner) held by session `token`; `*user_id` is the session's user. */
static enum tc_status
session_key(struct tc_db_conn *conn, const char *token, const char *kind, long long owner_id,
            long long *user_id, struct tc_unit_key **out, struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(1024);
    unsigned char skey[32], id_hash[32], secret[TC_SECRET_BYTES], *wrapped;
    size_t wrapped_len = 0;
    struct tc_db_result *res;
    struct tc_ad ad;
    enum tc_status st = TC_OK;

    *out = NULL;
    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if (tc_session_wrap_key(token, skey, id_hash) != 0) {
        st = tc_fail(err, TC_EUNAUTH, "your session has ended; log in again");
        goto out;
    }
    {
        const char *params[] = {(const char *)id_hash, kind, ll_text(arena, owner_id)};
        const size_t lengths[] = {sizeof(id_hash), 0, 0};

        st = exec_mixed(conn, sql_session_wrap_get, 3, params, lengths, arena, &res, err);
    }
    if (st != TC_OK)
        goto out;
    if (tc_db_rows(res) == 0) {
        st = tc_fail(err, TC_EFORBIDDEN, "this session holds no key for that");
        goto out;
    }
    wrapped = tc_db_bytea(res, 0, 0, arena, &wrapped_len);
    *user_id = tc_db_int(res, 0, 1, 0);
    session_ad(&ad, kind, owner_id, id_hash);
    if (wrapped == NULL || tc_secret_unwrap(skey, &ad, wrapped, wrapped_len, secret) != 0) {
        st = tc_fail(err, TC_EFORBIDDEN, "this session holds no key for that");
        goto out;
    }
    if (tc_unit_key_from_secret(secret, out) != 0)
        st = tc_fail(err, TC_ENOMEM, "out of memory");
out:
    sodium_memzero(secret, sizeof(secret));
    sodium_memzero(skey, sizeof(skey));
    tc_arena_destroy(arena);
    return st;
}

enum tc_status
tc_unit_key_for_session(struct tc_db_conn *conn, const char *token, long long unit_id,
                        struct tc_unit_key **out, struct tc_error *err)
{
    long long user_id = 0;

    return session_key(conn, token, "unit", unit_id, &user_id, out, err);
}

enum tc_status
tc_escrow_key_for_session(struct tc_db_conn *conn, const char *token, long long user_id,
                          struct tc_unit_key **out, struct tc_error *err)
{
    long long owner = 0;

    return session_key(conn, token, "escrow", user_id, &owner, out, err);
}
