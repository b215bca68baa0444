#include "tincay/users.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "store/users_row.h"
#include "tincay/arena.h"
#include "tincay/db.h"

#define BOOTSTRAP_LOCK_SQL "SELECT pg_advisory_xact_lock(x'74696e6361790002'::bigint)"
#define DISPLAY_NAME_MAX   200

static const char sql_commune[] = "SELECT province_code FROM communes WHERE era = $1 AND code = $2";
static const char sql_insert[] =
    "INSERT INTO users (login, display_name, role, password_hash, language, commune_era,"
    " commune_code, province_code, unit_id, password_changed_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $4::text IS NULL THEN NULL ELSE now() "
    "END)"
    " RETURNING id";
static const char sql_get[] = "SELECT " TC_USER_COLUMNS " FROM users u WHERE u.login = $1";
static const char sql_get_by_id[] =
    "SELECT " TC_USER_COLUMNS ", " TC_USER_PASSWORD_STAMP " FROM users u WHERE u.id = $1";
static const char sql_list[] = "SELECT " TC_USER_COLUMNS " FROM users u ORDER BY u.login";
static const char sql_disable[] =
    "WITH u AS (UPDATE users SET disabled_at = coalesce(disabled_at, now())"
    "           WHERE login = $1 RETURNING id),"
    "     s AS (DELETE FROM sessions WHERE user_id IN (SELECT id FROM u))"
    " SELECT count(*) FROM u";
static const char sql_set_password[] =
    "WITH u AS (UPDATE users SET password_hash = $2, password_changed_at = now()"
    "           WHERE login = $1 RETURNING id),"
    "     s AS (DELETE FROM sessions WHERE user_id IN (SELECT id FROM u))"
    " SELECT count(*) FROM u";
static const char sql_any_admin[] = "SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin')";

enum tc_status
tc_login_normalise(const char *login, char out[TC_LOGIN_MAX + 1], struct tc_error *err)
{
    size_t len = login ? strlen(login) : 0;

    if (len < 3 || len > TC_LOGIN_MAX)
        return tc_fail(err, TC_EINVAL, "a login has 3 to %d characters", TC_LOGIN_MAX);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)login[i];

        if (!isalnum(c) && c != '.' && c != '_' && c != '-')
            return tc_fail(err, TC_EINVAL,
                           "a login may hold only letters a-z, digits, '.', '_' and '-'");
        out[i] = (char)tolower(c);
    }
    out[len] = '\0';
    return TC_OK;
}

void
tc_user_from_row(const struct tc_db_result *res, size_t row, size_t col, struct tc_user *out)
{
    enum tc_role role = TC_ROLE_VIEWER;
    enum tc_lang lang = TC_LANG_VI;

    (void)tc_role_parse(tc_db_value(res, row, col + 3), &role);
    (void)tc_lang_parse(tc_db_value(res, row, col + 4), &lang);
    *out = (struct tc_user){
        .id = tc_db_int(res, row, col, 0),
        .login = tc_db_value(res, row, col + 1),
        .display_name = tc_db_value(res, row, col + 2),
        .role = role,
        .language = lang,
        .commune_era = tc_db_value(res, row, col + 5),
        .commune_code = tc_db_value(res, row, col + 6),
        .province_code = tc_db_value(res, row, col + 7),
        .unit_id = tc_db_int(res, row, col + 8, 0),
        .disabled = tc_db_bool(res, row, col + 9),
        .has_password = tc_db_bool(res, row, col + 10),
        .created_at = tc_db_value(res, row, col + 11),
    };
}

static bool
all_digits(const char *s, size_t n)
{
    if (s == NULL || strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* Everything a row of users needs, checked and in text form. */
struct user_row {
    char login[TC_LOGIN_MAX + 1];
    const char *era, *code, *province, *unit;
    char hash[TC_PASSWORD_HASH_MAX];
    bool has_hash;
};

/* "03388" (current list) or "pre2025:03388" / "post2025:03388". */
static enum tc_status
parse_commune(const char *spec, struct user_row *row, struct tc_error *err)
{
    const char *colon = strchr(spec, ':');

    row->era = TC_ERA_POST2025;
    row->code = spec;
    if (colon != NULL) {
        size_t n = (size_t)(colon - spec);

        if (n == strlen(TC_ERA_PRE2025) && strncmp(spec, TC_ERA_PRE2025, n) == 0)
            row->era = TC_ERA_PRE2025;
        else if (!(n == strlen(TC_ERA_POST2025) && strncmp(spec, TC_ERA_POST2025, n) == 0))
            return tc_fail(err, TC_EINVAL, "unknown commune list \"%.*s\"", (int)n, spec);
        row->code = colon + 1;
    }
    if (!all_digits(row->code, 5))
        return tc_fail(err, TC_EINVAL, "a commune code has 5 digits: \"%s\"", spec);
    return TC_OK;
}

/* The commune must exist; its province fills in a missing one and must match a given one. */
static enum tc_status
check_commune(struct tc_db_conn *conn, struct user_row *row, struct tc_arena *arena,
              struct tc_error *err)
{
    const char *params[] = {row->era, row->code};
    struct tc_db_result *res;
    const char *province;
    enum tc_status st;

    if ((st = tc_db_exec(conn, sql_commune, 2, params, arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_EINVAL, "unknown commune \"%s\" in the %s list", row->code,
                       row->era);
    province = tc_db_value(res, 0, 0);
    if (row->province != NULL && strcmp(row->province, province) != 0)
        return tc_fail(err, TC_EINVAL, "commune \"%s\" is not in province \"%s\"", row->code,
                       row->province);
    row->province = province;
    return TC_OK;
}

static enum tc_status
check_new_user(const struct tc_user_new *u, struct user_row *row, struct tc_arena *arena,
               struct tc_error *err)
{
    enum tc_status st;

    if ((st = tc_login_normalise(u->login, row->login, err)) != TC_OK)
        return st;
    if ((unsigned int)u->role >= TC_ROLE_COUNT)
        return tc_fail(err, TC_EINVAL, "unknown role");
    if (u->display_name != NULL && strlen(u->display_name) > DISPLAY_NAME_MAX)
        return tc_fail(err, TC_EINVAL, "a display name has at most %d bytes", DISPLAY_NAME_MAX);
    if (u->commune_code != NULL && (st = parse_commune(u->commune_code, row, err)) != TC_OK)
        return st;
    row->province = u->province_code;
    if (row->province != NULL && !all_digits(row->province, 2))
        return tc_fail(err, TC_EINVAL, "a province code has 2 digits: \"%s\"", row->province);
    if (u->unit_id < 0)
        return tc_fail(err, TC_EINVAL, "invalid unit %lld", u->unit_id);
    if (u->unit_id > 0 && (row->unit = tc_arena_printf(arena, "%lld", u->unit_id)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    return TC_OK;
}

static enum tc_status
insert_user(struct tc_db_conn *conn, const struct tc_user_new *u, struct user_row *row,
            struct tc_arena *arena, long long *id_out, struct tc_error *err)
{
    const char *params[] = {row->login,
                            u->display_name ? u->display_name : "",
                            tc_role_name(u->role),
                            row->has_hash ? row->hash : NULL,
                            tc_lang_name(u->language),
                            row->code ? row->era : NULL,
                            row->code,
                            row->province,
                            row->unit};
    struct tc_db_result *res;
    enum tc_status st;

    if (row->code != NULL && (st = check_commune(conn, row, arena, err)) != TC_OK)
        return st;
    params[7] = row->province;
    st = tc_db_exec(conn, sql_insert, sizeof(params) / sizeof(params[0]), params, arena, &res, err);
    if (st == TC_ECONFLICT)
        return tc_fail(err, TC_ECONFLICT, "login \"%s\" is taken", row->login);
    if (st != TC_OK)
        return st;
    if (id_out != NULL)
        *id_out = tc_db_int(res, 0, 0, 0);
    return TC_OK;
}

enum tc_status
tc_user_create(struct tc_db_conn *conn, struct tc_password_gate *gate,
               const struct tc_user_new *user, const char *password, size_t password_len,
               long long *id_out, struct tc_error *err)
{
    struct user_row row = {0};
    struct tc_arena *arena = tc_arena_create(1024);
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((st = check_new_user(user, &row, arena, err)) != TC_OK)
        goto out;
    if (password != NULL) {
        if ((st = tc_password_hash(gate, password, password_len, row.hash, err)) != TC_OK)
            goto out;
        row.has_hash = true;
    }
    st = insert_user(conn, user, &row, arena, id_out, err);
out:
    sodium_memzero(row.hash, sizeof(row.hash));
    tc_arena_destroy(arena);
    return st;
}

enum tc_status
tc_user_get(struct tc_db_conn *conn, const char *login, struct tc_arena *arena, struct tc_user *out,
            struct tc_error *err)
{
    char folded[TC_LOGIN_MAX + 1];
    const char *params[] = {folded};
    struct tc_db_result *res;
    enum tc_status st;

    if (tc_login_normalise(login, folded, NULL) != TC_OK)
        return tc_fail(err, TC_ENOTFOUND, "no user \"%s\"", login ? login : "");
    if ((st = tc_db_exec(conn, sql_get, 1, params, arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_ENOTFOUND, "no user \"%s\"", folded);
    tc_user_from_row(res, 0, 0, out);
    return TC_OK;
}

enum tc_status
tc_user_get_by_id(struct tc_db_conn *conn, long long id, struct tc_arena *arena,
                  struct tc_user *out, long long *password_stamp, struct tc_error *err)
{
    char id_text[24];
    const char *params[] = {id_text};
    struct tc_db_result *res;
    enum tc_status st;

    snprintf(id_text, sizeof(id_text), "%lld", id);
    if ((st = tc_db_exec(conn, sql_get_by_id, 1, params, arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_ENOTFOUND, "no user with id %lld", id);
    tc_user_from_row(res, 0, 0, out);
    if (password_stamp != NULL)
        *password_stamp = tc_db_int(res, 0, TC_USER_NCOLS, 0);
    return TC_OK;
}

enum tc_status
tc_user_list(struct tc_db_conn *conn, struct tc_arena *arena, struct tc_user **users, size_t *n,
             struct tc_error *err)
{
    struct tc_db_result *res;
    struct tc_user *list;
    enum tc_status st;

    if ((st = tc_db_exec(conn, sql_list, 0, NULL, arena, &res, err)) != TC_OK)
        return st;
    if ((list = tc_arena_calloc(arena, tc_db_rows(res) + 1, sizeof(*list))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < tc_db_rows(res); i++)
        tc_user_from_row(res, i, 0, &list[i]);
    *users = list;
    *n = tc_db_rows(res);
    return TC_OK;
}

/* Run one of the "update the user, drop its sessions, count" statements. */
static enum tc_status
update_user(struct tc_db_conn *conn, const char *sql, const char *login, const char *value,
            struct tc_error *err)
{
    char folded[TC_LOGIN_MAX + 1];
    const char *params[] = {folded, value};
    struct tc_arena *arena;
    struct tc_db_result *res;
    enum tc_status st;

    if (tc_login_normalise(login, folded, NULL) != TC_OK)
        return tc_fail(err, TC_ENOTFOUND, "no user \"%s\"", login ? login : "");
    if ((arena = tc_arena_create(512)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    st = tc_db_exec(conn, sql, value ? 2 : 1, params, arena, &res, err);
    if (st == TC_OK && tc_db_int(res, 0, 0, 0) == 0)
        st = tc_fail(err, TC_ENOTFOUND, "no user \"%s\"", folded);
    tc_arena_destroy(arena);
    return st;
}

enum tc_status
tc_user_disable(struct tc_db_conn *conn, const char *login, struct tc_error *err)
{
    return update_user(conn, sql_disable, login, NULL, err);
}

enum tc_status
tc_user_set_password(struct tc_db_conn *conn, struct tc_password_gate *gate, const char *login,
                     const char *password, size_t len, struct tc_error *err)
{
    char hash[TC_PASSWORD_HASH_MAX];
    enum tc_status st;

    if ((st = tc_password_hash(gate, password, len, hash, err)) != TC_OK)
        return st;
    st = update_user(conn, sql_set_password, login, hash, err);
    sodium_memzero(hash, sizeof(hash));
    return st;
}

struct bootstrap {
    struct tc_arena *arena;
    const char *hash;
    bool created;
};

static enum tc_status
any_admin(struct tc_db_conn *conn, struct tc_arena *arena, bool *yes, struct tc_error *err)
{
    struct tc_db_result *res;
    enum tc_status st = tc_db_exec(conn, sql_any_admin, 0, NULL, arena, &res, err);

    *yes = st == TC_OK && tc_db_bool(res, 0, 0);
    return st;
}

static enum tc_status
bootstrap_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    struct bootstrap *b = ctx;
    const struct tc_user_new admin = {.login = "admin",
                                      .display_name = "Administrator",
                                      .role = TC_ROLE_ADMIN,
                                      .language = TC_LANG_VI};
    struct user_row row = {.login = "admin", .has_hash = true};
    bool exists;
    enum tc_status st;

    b->created = false;
    if ((st = tc_db_exec_simple(conn, BOOTSTRAP_LOCK_SQL, err)) != TC_OK ||
        (st = any_admin(conn, b->arena, &exists, err)) != TC_OK || exists)
        return st;
    memcpy(row.hash, b->hash, strlen(b->hash) + 1);
    st = insert_user(conn, &admin, &row, b->arena, NULL, err);
    sodium_memzero(row.hash, sizeof(row.hash));
    if (st == TC_ECONFLICT)
        return tc_fail(err, TC_ECONFLICT,
                       "cannot create the first admin: login \"admin\" is taken by another role");
    b->created = st == TC_OK;
    return st;
}

enum tc_status
tc_user_bootstrap_admin(struct tc_db_conn *conn, struct tc_password_gate *gate, bool *created,
                        char password_out[TC_PASSWORD_GENERATED], struct tc_error *err)
{
    char hash[TC_PASSWORD_HASH_MAX];
    struct bootstrap b = {.hash = hash};
    bool exists = false;
    enum tc_status st;

    *created = false;
    password_out[0] = '\0';
    if ((b.arena = tc_arena_create(1024)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    /* The common case, every start after the first, spends no hash. */
    if ((st = any_admin(conn, b.arena, &exists, err)) != TC_OK || exists)
        goto out;
    tc_password_generate(password_out);
    if ((st = tc_password_hash(gate, password_out, strlen(password_out), hash, err)) != TC_OK)
        goto out;
    st = tc_db_transact(conn, false, bootstrap_txn, &b, err);
    *created = st == TC_OK && b.created;
out:
    if (!*created)
        sodium_memzero(password_out, TC_PASSWORD_GENERATED);
    sodium_memzero(hash, sizeof(hash));
    tc_arena_destroy(b.arena);
    return st;
}
