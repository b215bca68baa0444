#ifndef TC_APP_USERS_H
#define TC_APP_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tincay/status.h"

struct tc_arena;
struct tc_db_conn;

/*
 * App users (table app_users, app_user_forms; schema/003): a collector's phone signs in
 * with a random token carried in the URL path (/key/<token>/...). The token is 32 random
 * bytes in unpadded base64url (43 characters), shown once at creation; the database keeps
 * only its BLAKE2b-256 hash, and a lookup hashes the presented token and finds the row by
 * that hash, so no comparison ever runs over the secret itself.
 */
#define TC_APP_TOKEN_LEN 43

struct tc_app_user {
    long long id;
    const char *name;
    long long unit_id; /* 0 when none */
    bool is_revoked;
    const char *created_at; /* ISO 8601 UTC */
};

/*
 * Create an app user named `name` (1–200 bytes) with a fresh token, written NUL-terminated
 * to `token_out` (the only time it exists outside the phone: the caller shows it and
 * wipes it). `unit_id` and `created_by` are 0 for none.
 */
enum tc_status tc_app_user_create(struct tc_db_conn *conn, const char *name, long long unit_id,
                                  long long created_by, char token_out[TC_APP_TOKEN_LEN + 1],
                                  long long *id_out, struct tc_error *err);

/* Revoke at once; revoking twice is TC_OK, an unknown id TC_ENOTFOUND. */
enum tc_status tc_app_user_revoke(struct tc_db_conn *conn, long long id, struct tc_error *err);

/*
 * The live app user holding `token`. TC_EFORBIDDEN ("invalid app user token") for a
 * malformed, unknown or revoked token, as OpenRosa clients expect 403 there.
 */
enum tc_status tc_app_user_lookup(struct tc_db_conn *conn, const char *token,
                                  struct tc_arena *arena, struct tc_app_user *out,
                                  struct tc_error *err);

/*
 * tc_app_user_lookup and tc_app_user_form_rows in one query: what each request of a
 * collector's phone needs to know who it is and which forms it may reach.
 */
enum tc_status tc_app_user_lookup_with_forms(struct tc_db_conn *conn, const char *token,
                                             struct tc_arena *arena, struct tc_app_user *out,
                                             int64_t **rows_out, size_t *n_out,
                                             struct tc_error *err);

/* Let app user `id` list and submit to every version of `form_id` (idempotent). */
enum tc_status tc_app_user_assign(struct tc_db_conn *conn, long long id, const char *form_id,
                                  struct tc_error *err);

/* Whether app user `id` is assigned `form_id`. */
enum tc_status tc_app_user_has_form(struct tc_db_conn *conn, long long id, const char *form_id,
                                    bool *out, struct tc_error *err);

/*
 * The forms.id of every version of every form assigned to app user `id`, ascending: the
 * `forms` of its policy subject (tincay/policy.h). `*rows_out` is an array of `*n_out`
 * in `arena`.
 */
enum tc_status tc_app_user_form_rows(struct tc_db_conn *conn, long long id, struct tc_arena *arena,
                                     int64_t **rows_out, size_t *n_out, struct tc_error *err);

/* Every app user, revoked ones included, by id. */
enum tc_status tc_app_user_list(struct tc_db_conn *conn, struct tc_arena *arena,
                                struct tc_app_user **users_out, size_t *n_out,
                                struct tc_error *err);

#endif /* TC_APP_USERS_H */
