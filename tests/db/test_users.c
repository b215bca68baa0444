#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "testlib.h"
#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/migrate.h"
#include "tincay/password.h"
#include "tincay/sessions.h"
#include "tincay/users.h"

struct fixture {
    char conninfo[256];
    struct tc_db_pool *pool;
    struct tc_password_gate *gate; /* minimum cost: fast tests */
    struct tc_arena *arena;
    struct tc_db_conn *conn;
};

static const char pw[] = "mật khẩu dài đủ rồi";

static const char sql_communes[] =
    "INSERT INTO communes (era, code, name, province_code, district_code) VALUES"
    " ('post2025', '03388', 'Phường Đoàn Kết', '12', NULL),"
    " ('pre2025', '03388', 'Phường Quyết Tiến', '12', '105')"
    " ON CONFLICT DO NOTHING";

static int
setup(void **state)
{
    static struct fixture f;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn;

    tc_test_db_create("users", f.conninfo, sizeof(f.conninfo));
    if ((f.pool = tc_db_pool_create(f.conninfo, 2, &err)) == NULL ||
        (f.gate = tc_password_gate_create(2, 2000, TC_PASSWORD_MINIMUM, &err)) == NULL ||
        (conn = tc_db_acquire(f.pool, 1000, &err)) == NULL)
        return -1;
    if (tc_migrate(conn, NULL, &err) != TC_OK ||
        tc_db_exec_simple(conn, sql_communes, &err) != TC_OK) {
        fprintf(stderr, "%s: %s\n", err.msg, err.detail);
        return -1;
    }
    tc_db_release(f.pool, conn);
    *state = &f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    tc_password_gate_destroy(f->gate);
    tc_db_pool_destroy(f->pool);
    tc_test_db_drop(f->conninfo);
    return 0;
}

static int
per_test_setup(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    f->arena = tc_arena_create(4096);
    f->conn = tc_db_acquire_for(f->pool, f->arena, 1000, &err);
    return f->conn ? 0 : -1;
}

static int
per_test_teardown(void **state)
{
    struct fixture *f = *state;

    tc_arena_destroy(f->arena);
    return 0;
}

static long long
scalar(struct fixture *f, const char *sql)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_result *res;

    assert_int_equal(tc_db_exec(f->conn, sql, 0, NULL, f->arena, &res, &err), TC_OK);
    return tc_db_int(res, 0, 0, -1);
}

static void
add_user(struct fixture *f, const char *login, enum tc_role role)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    const struct tc_user_new u = {.login = login, .role = role};

    assert_int_equal(tc_user_create(f->conn, f->gate, &u, pw, strlen(pw), NULL, &err), TC_OK);
}

static enum tc_status
login_as(struct fixture *f, const char *login, const char *password, const char *addr,
         char token[TC_SESSION_TOKEN_MAX])
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    const struct tc_login_request req = {.login = login,
                                         .password = password,
                                         .password_len = strlen(password),
                                         .client_addr = addr,
                                         .user_agent = "Mozilla/5.0 (test) \xe2\x80\x94 ODK"};

    return tc_login(f->conn, f->gate, &req, f->arena, token, NULL, &err);
}

static enum tc_status
lookup(struct fixture *f, const char *token, struct tc_session *s)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_session ignored;

    return tc_session_lookup(f->conn, token, f->arena, s ? s : &ignored, &err);
}

static void
user_add_login_and_disable(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    const struct tc_user_new u = {.login = "Chi.Nguyen",
                                  .display_name = "Nguyễn Thị Chi",
                                  .role = TC_ROLE_COLLECTOR,
                                  .commune_code = "03388",
                                  .language = TC_LANG_EN};
    char token[TC_SESSION_TOKEN_MAX];
    struct tc_user got;
    struct tc_session s;
    long long id = 0;

    assert_int_equal(tc_user_create(f->conn, f->gate, &u, pw, strlen(pw), &id, &err), TC_OK);
    assert_true(id > 0);
    assert_int_equal(tc_user_get(f->conn, "CHI.nguyen", f->arena, &got, &err), TC_OK);
    assert_int_equal(got.id, id);
    assert_string_equal(got.login, "chi.nguyen");
    assert_string_equal(got.display_name, "Nguyễn Thị Chi");
    assert_int_equal(got.role, TC_ROLE_COLLECTOR);
    assert_int_equal(got.language, TC_LANG_EN);
    assert_string_equal(got.commune_era, "post2025");
    assert_string_equal(got.province_code, "12"); /* from the commune */
    assert_true(got.has_password);
    assert_false(got.disabled);

    assert_int_equal(login_as(f, "Chi.Nguyen", pw, "192.0.2.1", token), TC_OK);
    assert_int_equal(strlen(token), TC_SESSION_TOKEN_MAX - 1);
    assert_int_equal(lookup(f, token, &s), TC_OK);
    assert_int_equal(s.user.id, id);
    assert_non_null(s.expires_at);
    /* Only the hash of the token is stored. */
    assert_int_equal(scalar(f, "SELECT count(*) FROM sessions WHERE length(id_hash) = 32"), 1);

    assert_int_equal(tc_user_disable(f->conn, "chi.nguyen", &err), TC_OK);
    assert_int_equal(tc_user_disable(f->conn, "chi.nguyen", &err), TC_OK); /* idempotent */
    assert_int_equal(lookup(f, token, NULL), TC_EUNAUTH);
    assert_int_equal(scalar(f, "SELECT count(*) FROM sessions"), 0);
    assert_int_equal(login_as(f, "chi.nguyen", pw, "192.0.2.1", token), TC_EUNAUTH);
    assert_int_equal(tc_user_disable(f->conn, "nobody", &err), TC_ENOTFOUND);
}

static void
bad_accounts_are_refused(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_user_new u = {.login = "dup.user", .role = TC_ROLE_VIEWER};
    struct tc_user *list;
    size_t n = 0;

    assert_int_equal(tc_user_create(f->conn, f->gate, &u, pw, strlen(pw), NULL, &err), TC_OK);
    u.login = "DUP.user";
    assert_int_equal(tc_user_create(f->conn, f->gate, &u, pw, strlen(pw), NULL, &err),
                     TC_ECONFLICT);
    assert_string_equal(err.msg, "login \"dup.user\" is taken");
    u.login = "ab";
    assert_int_equal(tc_user_create(f->conn, f->gate, &u, pw, strlen(pw), NULL, &err), TC_EINVAL);
    u.login = "bad login";
    assert_int_equal(tc_user_create(f->conn, f->gate, &u, pw, strlen(pw), NULL, &err), TC_EINVAL);
    u.login = "new.user";
    assert_int_equal(tc_user_create(f->conn, f->gate, &u, "short", 5, NULL, &err), TC_EINVAL);
    u.commune_code = "99999";
    assert_int_equal(tc_user_create(f->conn, f->gate, &u, pw, strlen(pw), NULL, &err), TC_EINVAL);
    assert_string_equal(err.msg, "unknown commune \"99999\" in the post2025 list");
    u.commune_code = "pre2025:03388";
    u.province_code = "01";
    assert_int_equal(tc_user_create(f->conn, f->gate, &u, pw, strlen(pw), NULL, &err), TC_EINVAL);
    u.province_code = NULL;
    assert_int_equal(tc_user_create(f->conn, f->gate, &u, NULL, 0, NULL, &err), TC_OK);

    assert_int_equal(tc_user_list(f->conn, f->arena, &list, &n, &err), TC_OK);
    assert_true(n >= 2);
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].login, "new.user") == 0) {
            assert_string_equal(list[i].commune_era, "pre2025");
            assert_false(list[i].has_password);
        }
}

static void
wrong_password_or_unknown_user_is_unauthorized(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char token[TC_SESSION_TOKEN_MAX];
    const struct tc_login_request req = {
        .login = "ghost", .password = pw, .password_len = strlen(pw)};
    char wrong[sizeof(pw)];

    add_user(f, "wrong.pw", TC_ROLE_REVIEWER);
    memcpy(wrong, pw, sizeof(pw));
    wrong[0] = 'M';
    assert_int_equal(login_as(f, "wrong.pw", wrong, "192.0.2.2", token), TC_EUNAUTH);
    assert_string_equal(token, "");
    assert_int_equal(tc_login(f->conn, f->gate, &req, f->arena, token, NULL, &err), TC_EUNAUTH);
    assert_string_equal(err.msg, "wrong login or password"); /* the same words either way */
    assert_int_equal(login_as(f, "wrong.pw", pw, "192.0.2.2", token), TC_OK);
}

static void
rate_limits_per_account_and_address(void **state)
{
    struct fixture *f = *state;
    char token[TC_SESSION_TOKEN_MAX];

    add_user(f, "limited", TC_ROLE_COLLECTOR);
    add_user(f, "bystander", TC_ROLE_COLLECTOR);
    /* A success clears the account's count. */
    for (int i = 0; i < 9; i++)
        assert_int_equal(login_as(f, "limited", "wrong password!", "198.51.100.1", token),
                         TC_EUNAUTH);
    assert_int_equal(login_as(f, "limited", pw, "198.51.100.1", token), TC_OK);
    for (int i = 0; i < 10; i++)
        assert_int_equal(login_as(f, "limited", "wrong password!", "198.51.100.2", token),
                         TC_EUNAUTH);
    /* Now even the right password is refused, from anywhere. */
    assert_int_equal(login_as(f, "limited", pw, "203.0.113.9", token), TC_ERATELIMIT);
    assert_int_equal(login_as(f, "bystander", pw, "198.51.100.2", token), TC_OK);

    /* 50 failures from one IPv6 /64, spread over its addresses and over many logins. */
    for (int i = 0; i < 50; i++) {
        char login[32], addr[64];

        snprintf(login, sizeof(login), "probe%d", i);
        snprintf(addr, sizeof(addr), "2001:db8:1:2::%x", i + 1);
        assert_int_equal(login_as(f, login, "guess guess guess", addr, token), TC_EUNAUTH);
    }
    assert_int_equal(login_as(f, "bystander", pw, "2001:db8:1:2:ffff::1", token), TC_ERATELIMIT);
    assert_int_equal(login_as(f, "bystander", pw, "2001:db8:1:3::1", token), TC_OK);
}

static void
sessions_expire_and_are_purged(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char a[TC_SESSION_TOKEN_MAX], b[TC_SESSION_TOKEN_MAX], c[TC_SESSION_TOKEN_MAX];
    size_t purged = 0;

    add_user(f, "expiring", TC_ROLE_HOST);
    assert_int_equal(tc_db_exec_simple(f->conn, "DELETE FROM sessions", &err), TC_OK);
    assert_int_equal(login_as(f, "expiring", pw, NULL, a), TC_OK);
    assert_int_equal(login_as(f, "expiring", pw, NULL, b), TC_OK);
    assert_int_equal(login_as(f, "expiring", pw, NULL, c), TC_OK);
    assert_string_not_equal(a, b);
    assert_int_equal(lookup(f, a, NULL), TC_OK);
    assert_int_equal(lookup(f, b, NULL), TC_OK);

    /* Absolute end reached; idle too long; recently idle only: touched on use. */
    assert_int_equal(tc_db_exec_simple(f->conn,
                                       "UPDATE sessions SET expires_at = now() - interval '1 s'"
                                       " WHERE last_seen_at = (SELECT min(last_seen_at)"
                                       " FROM sessions s JOIN users u ON u.id = s.user_id"
                                       " WHERE u.login = 'expiring')",
                                       &err),
                     TC_OK);
    assert_int_equal(scalar(f, "SELECT count(*) FROM sessions WHERE expires_at < now()"), 1);
    assert_int_equal(tc_db_exec_simple(f->conn,
                                       "UPDATE sessions SET last_seen_at = now() - interval '13 h'"
                                       " WHERE expires_at > now()",
                                       &err),
                     TC_OK);
    assert_int_equal(lookup(f, a, NULL), TC_EUNAUTH);
    assert_int_equal(lookup(f, b, NULL), TC_EUNAUTH);
    assert_int_equal(lookup(f, c, NULL), TC_EUNAUTH);

    assert_int_equal(login_as(f, "expiring", pw, NULL, a), TC_OK);
    assert_int_equal(tc_db_exec_simple(f->conn,
                                       "UPDATE sessions SET last_seen_at = now() - interval '1 h'"
                                       " WHERE last_seen_at > now() - interval '1 min'",
                                       &err),
                     TC_OK);
    assert_int_equal(lookup(f, a, NULL), TC_OK);
    assert_int_equal(
        scalar(f, "SELECT count(*) FROM sessions WHERE last_seen_at > now() - interval '1 min'"),
        1);

    assert_int_equal(tc_sessions_purge_expired(f->conn, &purged, &err), TC_OK);
    assert_int_equal(purged, 3);
    assert_int_equal(lookup(f, a, NULL), TC_OK);
    assert_int_equal(lookup(f, "not a token", NULL), TC_EUNAUTH);
}

static void
logout_ends_the_session(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char token[TC_SESSION_TOKEN_MAX], other[TC_SESSION_TOKEN_MAX];

    add_user(f, "leaver", TC_ROLE_VIEWER);
    assert_int_equal(login_as(f, "leaver", pw, NULL, token), TC_OK);
    assert_int_equal(login_as(f, "leaver", pw, NULL, other), TC_OK);
    assert_int_equal(tc_session_delete(f->conn, token, &err), TC_OK);
    assert_int_equal(lookup(f, token, NULL), TC_EUNAUTH);
    assert_int_equal(lookup(f, other, NULL), TC_OK); /* the other device stays logged in */
    assert_int_equal(tc_session_delete(f->conn, token, &err), TC_OK);
}

static void
password_change_ends_sessions(void **state)
{
    static const char fresh[] = "một mật khẩu mới hoàn toàn";
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char token[TC_SESSION_TOKEN_MAX];

    add_user(f, "changer", TC_ROLE_APPROVER);
    assert_int_equal(login_as(f, "changer", pw, NULL, token), TC_OK);
    assert_int_equal(tc_user_set_password(f->conn, f->gate, "changer", fresh, strlen(fresh), &err),
                     TC_OK);
    assert_int_equal(lookup(f, token, NULL), TC_EUNAUTH);
    assert_int_equal(login_as(f, "changer", pw, NULL, token), TC_EUNAUTH);
    assert_int_equal(login_as(f, "changer", fresh, NULL, token), TC_OK);
    assert_int_equal(
        scalar(f, "SELECT count(*) FROM users WHERE login = 'changer' AND password_changed_at IS "
                  "NOT NULL"),
        1);
    assert_int_equal(tc_user_set_password(f->conn, f->gate, "changer", "short", 5, &err),
                     TC_EINVAL);
}

static void
outdated_hash_is_upgraded_at_login(void **state)
{
    static const char sql_hash[] = "SELECT password_hash FROM users WHERE login = 'upgraded'";
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_password_gate *normal =
        tc_password_gate_create(1, 5000, TC_PASSWORD_INTERACTIVE, &err);
    const struct tc_login_request req = {
        .login = "upgraded", .password = pw, .password_len = strlen(pw)};
    char token[TC_SESSION_TOKEN_MAX];
    struct tc_db_result *res;

    assert_non_null(normal);
    add_user(f, "upgraded", TC_ROLE_VIEWER); /* hashed at the minimum cost */
    assert_int_equal(tc_login(f->conn, normal, &req, f->arena, token, NULL, &err), TC_OK);
    assert_int_equal(tc_db_exec(f->conn, sql_hash, 0, NULL, f->arena, &res, &err), TC_OK);
    assert_non_null(strstr(tc_db_value(res, 0, 0), "$m=65536,t=2,"));
    assert_int_equal(tc_login(f->conn, f->gate, &req, f->arena, token, NULL, &err), TC_OK);
    tc_password_gate_destroy(normal);
}

static void
first_admin_is_created_once(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char password[TC_PASSWORD_GENERATED], token[TC_SESSION_TOKEN_MAX];
    bool created = false;
    struct tc_user admin;

    assert_int_equal(tc_user_bootstrap_admin(f->conn, f->gate, &created, password, &err), TC_OK);
    assert_true(created);
    assert_int_equal(strlen(password), TC_PASSWORD_GENERATED - 1);
    assert_int_equal(tc_user_get(f->conn, "admin", f->arena, &admin, &err), TC_OK);
    assert_int_equal(admin.role, TC_ROLE_ADMIN);
    assert_int_equal(login_as(f, "admin", password, NULL, token), TC_OK);

    assert_int_equal(tc_user_bootstrap_admin(f->conn, f->gate, &created, password, &err), TC_OK);
    assert_false(created);
    assert_string_equal(password, "");
    assert_int_equal(scalar(f, "SELECT count(*) FROM users WHERE role = 'admin'"), 1);
}

static void
csrf_token_is_bound_to_the_session(void **state)
{
    struct fixture *f = *state;
    char a[TC_SESSION_TOKEN_MAX], b[TC_SESSION_TOKEN_MAX];
    char csrf_a[TC_SESSION_TOKEN_MAX], csrf_b[TC_SESSION_TOKEN_MAX];

    add_user(f, "csrf.user", TC_ROLE_VIEWER);
    assert_int_equal(login_as(f, "csrf.user", pw, NULL, a), TC_OK);
    assert_int_equal(login_as(f, "csrf.user", pw, NULL, b), TC_OK);
    tc_session_csrf(a, csrf_a);
    tc_session_csrf(b, csrf_b);
    assert_int_equal(strlen(csrf_a), TC_SESSION_TOKEN_MAX - 1);
    assert_string_not_equal(csrf_a, a);
    assert_true(tc_session_csrf_check(a, csrf_a));
    assert_false(tc_session_csrf_check(a, csrf_b));
    assert_false(tc_session_csrf_check(a, NULL));
    assert_false(tc_session_csrf_check("bogus", csrf_a));
    csrf_a[5] = csrf_a[5] == 'A' ? 'B' : 'A';
    assert_false(tc_session_csrf_check(a, csrf_a));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, per_test_setup, per_test_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(user_add_login_and_disable),
        T(bad_accounts_are_refused),
        T(wrong_password_or_unknown_user_is_unauthorized),
        T(rate_limits_per_account_and_address),
        T(sessions_expire_and_are_purged),
        T(logout_ends_the_session),
        T(password_change_ends_sessions),
        T(outdated_hash_is_upgraded_at_login),
        T(first_admin_is_created_once),
        T(csrf_token_is_bound_to_the_session),
    };

    return cmocka_run_group_tests_name("users", tests, setup, teardown);
}
