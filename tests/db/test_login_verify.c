/*
 * The store's side of HTTP Basic against a real PostgreSQL: tc_login_verify (a login
 * without a session, with the rate limits and the password stamp), tc_user_get_by_id
 * (the stamp read back), and the forms of an app user (every version of those assigned).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "testlib.h"
#include "tincay/app_users.h"
#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/password.h"
#include "tincay/sessions.h"
#include "tincay/users.h"

#define PASSWORD     "correct horse battery"
#define NEW_PASSWORD "another horse entirely"

struct env {
    char conninfo[256];
    struct tc_db_pool *pool;
    struct tc_db_conn *conn;
    struct tc_password_gate *gate;
    struct tc_arena *arena;
};

static int
group_setup(void **state)
{
    static struct env env;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    if (tc_test_db_open("login_verify", 2, env.conninfo, sizeof(env.conninfo), &env.pool,
                        &env.conn) != 0)
        return -1;
    if ((env.gate = tc_password_gate_create(2, 1000, TC_PASSWORD_MINIMUM, &err)) == NULL ||
        (env.arena = tc_arena_create(4096)) == NULL)
        return -1;
    *state = &env;
    return 0;
}

static int
group_teardown(void **state)
{
    struct env *env = *state;

    tc_arena_destroy(env->arena);
    tc_password_gate_destroy(env->gate);
    tc_test_db_close(env->conninfo, env->pool, env->conn);
    return 0;
}

static long long
add_user(struct env *env, const char *login)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    const struct tc_user_new u = {.login = login, .role = TC_ROLE_COLLECTOR};
    long long id = 0;

    assert_int_equal(
        tc_user_create(env->conn, env->gate, &u, PASSWORD, strlen(PASSWORD), &id, &err), TC_OK);
    return id;
}

static enum tc_status
verify(struct env *env, const char *login, const char *password, struct tc_user *user,
       long long *stamp)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    const struct tc_login_request req = {.login = login,
                                         .password = password,
                                         .password_len = strlen(password),
                                         .client_addr = "192.0.2.10"};

    return tc_login_verify(env->conn, env->gate, &req, env->arena, user, stamp, &err);
}

static void
verify_reports_the_password_stamp_and_opens_no_session(void **state)
{
    struct env *env = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    long long id = add_user(env, "lan"), stamp = 0, again = 0, read = 0;
    struct tc_user user, by_id;
    struct tc_db_result *res;
    static const char sql_sessions[] = "SELECT count(*) FROM sessions";

    assert_int_equal(verify(env, "LAN", PASSWORD, &user, &stamp), TC_OK);
    assert_int_equal(user.id, id);
    assert_string_equal(user.login, "lan");
    assert_true(stamp > 0);
    assert_int_equal(tc_db_exec(env->conn, sql_sessions, 0, NULL, env->arena, &res, &err), TC_OK);
    assert_int_equal(tc_db_int(res, 0, 0, -1), 0);

    assert_int_equal(tc_user_get_by_id(env->conn, id, env->arena, &by_id, &read, &err), TC_OK);
    assert_string_equal(by_id.login, "lan");
    assert_int_equal(read, stamp);

    assert_int_equal(
        tc_user_set_password(env->conn, env->gate, "lan", NEW_PASSWORD, strlen(NEW_PASSWORD), &err),
        TC_OK);
    assert_int_equal(tc_user_get_by_id(env->conn, id, env->arena, &by_id, &read, &err), TC_OK);
    assert_true(read != stamp);
    assert_int_equal(verify(env, "lan", PASSWORD, &user, &again), TC_EUNAUTH);
    assert_int_equal(verify(env, "lan", NEW_PASSWORD, &user, &again), TC_OK);
    assert_int_equal(again, read);
    assert_int_equal(tc_user_get_by_id(env->conn, 999999, env->arena, &by_id, &read, &err),
                     TC_ENOTFOUND);
}

static void
verify_applies_the_login_rate_limit_and_disable(void **state)
{
    struct env *env = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_user user;
    long long stamp;

    add_user(env, "mai");
    for (int i = 0; i < TC_LOGIN_MAX_ACCOUNT_FAILURES; i++)
        assert_int_equal(verify(env, "mai", "wrong password!", &user, &stamp), TC_EUNAUTH);
    assert_int_equal(verify(env, "mai", PASSWORD, &user, &stamp), TC_ERATELIMIT);

    add_user(env, "nga");
    assert_int_equal(tc_user_disable(env->conn, "nga", &err), TC_OK);
    assert_int_equal(verify(env, "nga", PASSWORD, &user, &stamp), TC_EUNAUTH);
    assert_int_equal(stamp, 0);
}

static const char sql_form[] =
    "INSERT INTO forms (form_id, version, title, xml, md5, sha256)"
    " VALUES ($1, $2, 'Form', '\\x3c613e'::bytea, repeat('0', 32), repeat('0', 64)) RETURNING id";

static long long
add_form(struct env *env, const char *form_id, const char *version)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    const char *params[] = {form_id, version};
    struct tc_db_result *res;

    assert_int_equal(tc_db_exec(env->conn, sql_form, 2, params, env->arena, &res, &err), TC_OK);
    return tc_db_int(res, 0, 0, 0);
}

static void
form_rows_are_every_version_of_assigned_forms(void **state)
{
    struct env *env = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    long long a1 = add_form(env, "a", "1"), a2 = add_form(env, "a", "2");
    char token[TC_APP_TOKEN_LEN + 1], other[TC_APP_TOKEN_LEN + 1];
    struct tc_app_user au;
    long long app;
    int64_t *rows;
    size_t n;

    add_form(env, "b", "1");
    assert_int_equal(tc_app_user_create(env->conn, "phone", 0, 0, token, &app, &err), TC_OK);
    assert_int_equal(tc_app_user_form_rows(env->conn, app, env->arena, &rows, &n, &err), TC_OK);
    assert_int_equal(n, 0);
    assert_int_equal(tc_app_user_assign(env->conn, app, "a", &err), TC_OK);
    assert_int_equal(tc_app_user_form_rows(env->conn, app, env->arena, &rows, &n, &err), TC_OK);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0], a1);
    assert_int_equal(rows[1], a2);

    rows = NULL;
    assert_int_equal(
        tc_app_user_lookup_with_forms(env->conn, token, env->arena, &au, &rows, &n, &err), TC_OK);
    assert_int_equal(au.id, app);
    assert_string_equal(au.name, "phone");
    assert_int_equal(n, 2);
    assert_int_equal(rows[0], a1);
    assert_int_equal(rows[1], a2);
    assert_int_equal(tc_app_user_create(env->conn, "idle", 0, 0, other, &app, &err), TC_OK);
    assert_int_equal(
        tc_app_user_lookup_with_forms(env->conn, other, env->arena, &au, &rows, &n, &err), TC_OK);
    assert_int_equal(n, 0);
    assert_int_equal(tc_app_user_revoke(env->conn, app, &err), TC_OK);
    assert_int_equal(
        tc_app_user_lookup_with_forms(env->conn, other, env->arena, &au, &rows, &n, &err),
        TC_EFORBIDDEN);
    assert_int_equal(
        tc_app_user_lookup_with_forms(env->conn, "not-a-token", env->arena, &au, &rows, &n, &err),
        TC_EFORBIDDEN);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(verify_reports_the_password_stamp_and_opens_no_session),
        cmocka_unit_test(verify_applies_the_login_rate_limit_and_disable),
        cmocka_unit_test(form_rows_are_every_version_of_assigned_forms),
    };

    return cmocka_run_group_tests_name("login_verify", tests, group_setup, group_teardown);
}
