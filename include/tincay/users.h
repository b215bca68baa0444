#ifndef TC_USERS_H
#define TC_USERS_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/i18n.h"
#include "tincay/password.h"
#include "tincay/policy.h"
#include "tincay/status.h"

struct tc_arena;
struct tc_db_conn;

/* Accounts (table users). Logins are 3 to 64 of [a-z0-9._-], folded to lower case. */

#define TC_LOGIN_MAX 64

/* Roles are those of the permission policy (tincay/policy.h); app users are not accounts. */

/* Era of commune codes: the official lists before and after 1 July 2025. */
#define TC_ERA_PRE2025  "pre2025"
#define TC_ERA_POST2025 "post2025"

/* A user as read from the database; strings live in the arena of the call. */
struct tc_user {
    long long id;
    const char *login;
    const char *display_name;
    enum tc_role role;
    enum tc_lang language;
    const char *commune_era;   /* NULL when the user has no commune */
    const char *commune_code;  /* 5 digits, or NULL */
    const char *province_code; /* 2 digits, or NULL */
    long long unit_id;         /* 0 when none */
    bool disabled;
    bool has_password;
    const char *created_at; /* ISO 8601, UTC */
};

/* What a new account is made of. NULL or 0 fields are left empty. */
struct tc_user_new {
    const char *login;        /* folded to lower case; see tc_login_normalise */
    const char *display_name; /* NULL: empty */
    enum tc_role role;
    const char *commune_code;  /* "03388", or "pre2025:03388" for the old list */
    const char *province_code; /* NULL: the commune's province */
    long long unit_id;
    enum tc_lang language;
};

/*
 * Check `login` (3 to 64 of [A-Za-z0-9._-]) and write it lower-cased to `out`;
 * TC_EINVAL with a message naming the rule otherwise.
 */
enum tc_status tc_login_normalise(const char *login, char out[TC_LOGIN_MAX + 1],
                                  struct tc_error *err);

/*
 * Create an account. `password` (may be NULL: no password login until one is set) is
 * hashed through `gate` before any database work. TC_ECONFLICT when the login is taken,
 * TC_EINVAL for a bad login, an unknown commune or a weak password. `*id_out` may be NULL.
 */
enum tc_status tc_user_create(struct tc_db_conn *conn, struct tc_password_gate *gate,
                              const struct tc_user_new *user, const char *password,
                              size_t password_len, long long *id_out, struct tc_error *err);

/* The account with this login (any case), disabled or not; TC_ENOTFOUND when none. */
enum tc_status tc_user_get(struct tc_db_conn *conn, const char *login, struct tc_arena *arena,
                           struct tc_user *out, struct tc_error *err);

/*
 * The account with this id, disabled or not; TC_ENOTFOUND when none. `*password_stamp`
 * (may be NULL) identifies the password in force, as tc_login_verify reports it.
 */
enum tc_status tc_user_get_by_id(struct tc_db_conn *conn, long long id, struct tc_arena *arena,
                                 struct tc_user *out, long long *password_stamp,
                                 struct tc_error *err);

/* Every account, by login; `*users` is an array of `*n` in `arena`. */
enum tc_status tc_user_list(struct tc_db_conn *conn, struct tc_arena *arena, struct tc_user **users,
                            size_t *n, struct tc_error *err);

/* Disable the account and end all its sessions (idempotent); TC_ENOTFOUND when none. */
enum tc_status tc_user_disable(struct tc_db_conn *conn, const char *login, struct tc_error *err);

/*
 * Set a new password (hashed through `gate`), stamp password_changed_at and end every
 * session of the account. TC_ENOTFOUND, TC_EINVAL for a weak password.
 */
enum tc_status tc_user_set_password(struct tc_db_conn *conn, struct tc_password_gate *gate,
                                    const char *login, const char *password, size_t len,
                                    struct tc_error *err);

/*
 * When no admin account exists (enabled or not), create "admin" with a generated password, written
 * to `password_out` to be shown once (the caller wipes it); `*created` says whether it happened.
 * Concurrent starters serialise: only one creates it.
 */
enum tc_status tc_user_bootstrap_admin(struct tc_db_conn *conn, struct tc_password_gate *gate,
                                       bool *created, char password_out[TC_PASSWORD_GENERATED],
                                       struct tc_error *err);

/* Set the account's interface language; TC_ENOTFOUND when there is no account `id`. */
enum tc_status tc_user_set_language(struct tc_db_conn *conn, long long id, enum tc_lang lang,
                                    struct tc_error *err);

#endif /* TC_USERS_H */
