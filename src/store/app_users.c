#include "tincay/app_users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "tincay/arena.h"
#include "tincay/db.h"

#define TOKEN_BYTES 32
#define HASH_BYTES  crypto_generichash_BYTES /* 32: BLAKE2b-256 */

_Static_assert(TC_APP_TOKEN_LEN + 1 ==
                   sodium_base64_ENCODED_LEN(TOKEN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
               "TC_APP_TOKEN_LEN is the base64url length of the token");

static void
hash_token(const char *token, unsigned char hash[HASH_BYTES])
{
    crypto_generichash(hash, HASH_BYTES, (const unsigned char *)token, strlen(token), NULL, 0);
}

static bool
token_is_well_formed(const char *token)
{
    size_t n = 0;

    for (; token[n] != '\0'; n++) {
        char c = token[n];

        if (n >= TC_APP_TOKEN_LEN || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                       (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return n == TC_APP_TOKEN_LEN;
}

static const char sql_create[] = "INSERT INTO app_users (name, token_hash, unit_id, created_by) "
                                 "VALUES ($1, $2::bytea, $3::bigint, $4::bigint) RETURNING id";

enum tc_status
tc_app_user_create(struct tc_db_conn *conn, const char *name, long long unit_id,
                   long long created_by, char token_out[TC_APP_TOKEN_LEN + 1], long long *id_out,
                   struct tc_error *err)
{
    unsigned char raw[TOKEN_BYTES], hash[HASH_BYTES];
    char unit[24], creator[24];
    const char *params[4] = {name, (const char *)hash, NULL, NULL};
    size_t lengths[4] = {0, sizeof(hash), 0, 0};
    bool binary[4] = {false, true, false, false};
    struct tc_arena *arena = tc_arena_create(512);
    struct tc_db_result *res = NULL;
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(token_out, TC_APP_TOKEN_LEN + 1, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
    hash_token(token_out, hash);
    if (unit_id > 0) {
        snprintf(unit, sizeof(unit), "%lld", unit_id);
        params[2] = unit;
    }
    if (created_by > 0) {
        snprintf(creator, sizeof(creator), "%lld", created_by);
        params[3] = creator;
    }
    st = tc_db_exec_bin(conn, sql_create, 4, params, lengths, binary, arena, &res, err);
    if (st == TC_EINVAL)
        st = tc_fail(err, TC_EINVAL, "invalid app user name \"%s\"", name);
    if (st == TC_OK && id_out != NULL)
        *id_out = tc_db_int(res, 0, 0, 0);
    if (st != TC_OK)
        sodium_memzero(token_out, TC_APP_TOKEN_LEN + 1);
    tc_arena_destroy(arena);
    return st;
}

static const char sql_revoke[] =
    "UPDATE app_users SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1::bigint";

enum tc_status
tc_app_user_revoke(struct tc_db_conn *conn, long long id, struct tc_error *err)
{
    char id_text[24];
    const char *params[1] = {id_text};
    struct tc_arena *arena = tc_arena_create(512);
    struct tc_db_result *res = NULL;
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    snprintf(id_text, sizeof(id_text), "%lld", id);
    st = tc_db_exec(conn, sql_revoke, 1, params, arena, &res, err);
    if (st == TC_OK && tc_db_affected(res) == 0)
        st = tc_fail(err, TC_ENOTFOUND, "app user %lld does not exist", id);
    tc_arena_destroy(arena);
    return st;
}

#define APP_USER_COLUMNS                                                                           \
    "id, name, unit_id, revoked_at IS NOT NULL, "                                                  \
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

static enum tc_status
copy_user(const struct tc_db_result *res, size_t i, struct tc_arena *arena, struct tc_app_user *out,
          struct tc_error *err)
{
    out->id = tc_db_int(res, i, 0, 0);
    out->name = tc_arena_strdup(arena, tc_db_value(res, i, 1));
    out->unit_id = tc_db_int(res, i, 2, 0);
    out->is_revoked = tc_db_bool(res, i, 3);
    out->created_at = tc_arena_strdup(arena, tc_db_value(res, i, 4));
    if (out->name == NULL || out->created_at == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    return TC_OK;
}

static const char sql_lookup[] = "SELECT " APP_USER_COLUMNS " FROM app_users "
                                 "WHERE token_hash = $1::bytea AND revoked_at IS NULL";

enum tc_status
tc_app_user_lookup(struct tc_db_conn *conn, const char *token, struct tc_arena *arena,
                   struct tc_app_user *out, struct tc_error *err)
{
    unsigned char hash[HASH_BYTES];
    const char *params[1] = {(const char *)hash};
    size_t lengths[1] = {sizeof(hash)};
    bool binary[1] = {true};
    struct tc_db_result *res = NULL;
    enum tc_status st;

    if (token == NULL || !token_is_well_formed(token))
        return tc_fail(err, TC_EFORBIDDEN, "invalid app user token");
    hash_token(token, hash);
    st = tc_db_exec_bin(conn, sql_lookup, 1, params, lengths, binary, arena, &res, err);
    if (st != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_EFORBIDDEN, "invalid app user token");
    return copy_user(res, 0, arena, out, err);
}

static const char sql_assign[] =
    "INSERT INTO app_user_forms (app_user_id, form_id) VALUES ($1::bigint, $2) "
    "ON CONFLICT DO NOTHING";

enum tc_status
tc_app_user_assign(struct tc_db_conn *conn, long long id, const char *form_id, struct tc_error *err)
{
    char id_text[24];
    const char *params[2] = {id_text, form_id};
    struct tc_arena *arena = tc_arena_create(512);
    struct tc_db_result *res = NULL;
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    snprintf(id_text, sizeof(id_text), "%lld", id);
    st = tc_db_exec(conn, sql_assign, 2, params, arena, &res, err);
    if (st == TC_EINVAL) /* foreign key violation */
        st = tc_fail(err, TC_ENOTFOUND, "app user %lld does not exist", id);
    tc_arena_destroy(arena);
    return st;
}

static const char sql_has_form[] =
    "SELECT 1 FROM app_user_forms WHERE app_user_id = $1::bigint AND form_id = $2";

enum tc_status
tc_app_user_has_form(struct tc_db_conn *conn, long long id, const char *form_id, bool *out,
                     struct tc_error *err)
{
    char id_text[24];
    const char *params[2] = {id_text, form_id};
    struct tc_arena *arena = tc_arena_create(512);
    struct tc_db_result *res = NULL;
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    snprintf(id_text, sizeof(id_text), "%lld", id);
    st = tc_db_exec(conn, sql_has_form, 2, params, arena, &res, err);
    if (st == TC_OK)
        *out = tc_db_rows(res) > 0;
    tc_arena_destroy(arena);
    return st;
}

static const char sql_list[] = "SELECT " APP_USER_COLUMNS " FROM app_users ORDER BY id";

enum tc_status
tc_app_user_list(struct tc_db_conn *conn, struct tc_arena *arena, struct tc_app_user **users_out,
                 size_t *n_out, struct tc_error *err)
{
    struct tc_db_result *res = NULL;
    struct tc_app_user *users;
    enum tc_status st;

    if ((st = tc_db_exec(conn, sql_list, 0, NULL, arena, &res, err)) != TC_OK)
        return st;
    if ((users = tc_arena_calloc(arena, tc_db_rows(res) + 1, sizeof(*users))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < tc_db_rows(res); i++)
        if ((st = copy_user(res, i, arena, &users[i], err)) != TC_OK)
            return st;
    *users_out = users;
    *n_out = tc_db_rows(res);
    return TC_OK;
}

static const char sql_form_rows[] =
    "SELECT f.id FROM app_user_forms a JOIN forms f ON f.form_id = a.form_id"
    " WHERE a.app_user_id = $1::bigint ORDER BY f.id";

enum tc_status
tc_app_user_form_rows(struct tc_db_conn *conn, long long id, struct tc_arena *arena,
                      int64_t **rows_out, size_t *n_out, struct tc_error *err)
{
    char id_text[24];
    const char *params[1] = {id_text};
    struct tc_db_result *res = NULL;
    int64_t *rows;
    enum tc_status st;

    snprintf(id_text, sizeof(id_text), "%lld", id);
    if ((st = tc_db_exec(conn, sql_form_rows, 1, params, arena, &res, err)) != TC_OK)
        return st;
    if ((rows = tc_arena_calloc(arena, tc_db_rows(res) + 1, sizeof(*rows))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < tc_db_rows(res); i++)
        rows[i] = tc_db_int(res, i, 0, 0);
    *rows_out = rows;
    *n_out = tc_db_rows(res);
    return TC_OK;
}

/* "{1,2,3}" (PostgreSQL's text form of a bigint[]) into an array in `arena`. */
static enum tc_status
parse_id_array(const char *text, struct tc_arena *arena, int64_t **rows_out, size_t *n_out,
               struct tc_error *err)
{
    size_t n = 0, cap = 1;
    int64_t *rows;
    const char *p;

    for (p = text; p != NULL && *p != '\0'; p++)
        cap += *p == ',';
    if ((rows = tc_arena_calloc(arena, cap, sizeof(*rows))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (p = text != NULL && *text == '{' ? text + 1 : ""; *p != '\0' && *p != '}' && n < cap;) {
        char *end;
        long long v = strtoll(p, &end, 10);

        if (end == p)
            return tc_fail(err, TC_EINTERNAL, "internal error");
        rows[n++] = v;
        p = *end == ',' ? end + 1 : end;
    }
    *rows_out = rows;
    *n_out = n;
    return TC_OK;
}

static const char sql_lookup_with_forms[] =
    "SELECT " APP_USER_COLUMNS ", ARRAY(SELECT f.id FROM app_user_forms a"
    "   JOIN forms f ON f.form_id = a.form_id WHERE a.app_user_id = app_users.id ORDER BY f.id)"
    " FROM app_users WHERE token_hash = $1::bytea AND revoked_at IS NULL";

enum tc_status
tc_app_user_lookup_with_forms(struct tc_db_conn *conn, const char *token, struct tc_arena *arena,
                              struct tc_app_user *out, int64_t **rows_out, size_t *n_out,
                              struct tc_error *err)
{
    unsigned char hash[HASH_BYTES];
    const char *params[1] = {(const char *)hash};
    size_t lengths[1] = {sizeof(hash)};
    bool binary[1] = {true};
    struct tc_db_result *res = NULL;
    enum tc_status st;

    if (token == NULL || !token_is_well_formed(token))
        return tc_fail(err, TC_EFORBIDDEN, "invalid app user token");
    hash_token(token, hash);
    st = tc_db_exec_bin(conn, sql_lookup_with_forms, 1, params, lengths, binary, arena, &res, err);
    if (st != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_EFORBIDDEN, "invalid app user token");
    if ((st = copy_user(res, 0, arena, out, err)) != TC_OK)
        return st;
    return parse_id_array(tc_db_value(res, 0, 5), arena, rows_out, n_out, err);
}
