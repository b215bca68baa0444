#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "testlib.h"
#include "tincay/arena.h"
#include "tincay/cases.h"
#include "tincay/db.h"
#include "tincay/forms.h"
#include "tincay/keyfile.h"
#include "tincay/migrate.h"
#include "tincay/password.h"
#include "tincay/sessions.h"
#include "tincay/submissions.h"
#include "tincay/units.h"
#include "tincay/users.h"
#include "tincay/vault.h"
#include "vault/vault_internal.h"

/*
 * Units, their keys and sealed data against a real PostgreSQL: escrow sealing, invitations,
 * member and session wraps, escrow recovery, key rotation and sealed cases.
 */

static const char escrow_pw[] = "escrow officer pass 12";
static const char escrow13_pw[] = "escrow officer pass 13";
static const char host_pw[] = "mật khẩu chủ nhà đủ dài";
static const char host2_pw[] = "second host password";

static const char sql_communes[] = "INSERT INTO communes (era, code, name, province_code) VALUES"
                                   " ('post2025', '99901', 'Xã Thử Một', '97'),"
                                   " ('post2025', '99902', 'Xã Thử Hai', '98'),"
                                   " ('post2025', '99903', 'Xã Không Escrow', '99')";

struct fixture {
    char conninfo[256];
    char dir[256], key_path[320];
    struct tc_db_pool *pool;
    struct tc_password_gate *gate;
    struct tc_vault_kdf kdf;
    struct tc_keyring *ring;
    struct tc_arena *arena;
    struct tc_db_conn *conn;
    long long escrow, escrow13, host, host2, host3, unit_a, unit_b;
    long long form_personal, form_case;
};

static void
check(enum tc_status st, const struct tc_error *err)
{
    if (st != TC_OK)
        fail_msg("%s (%s)", err->msg, err->detail);
}

static long long
add_user(struct fixture *f, const char *login, enum tc_role role, const char *commune,
         const char *province, const char *pw)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    const struct tc_user_new u = {.login = login,
                                  .role = role,
                                  .commune_code = commune,
                                  .province_code = province,
                                  .language = TC_LANG_EN};
    long long id = 0;

    check(tc_user_create(f->conn, f->gate, &u, pw, strlen(pw), &id, &err), &err);
    if (role == TC_ROLE_ESCROW)
        check(tc_escrow_create(f->conn, &f->kdf, id, province, pw, strlen(pw), &err), &err);
    return id;
}

static long long
add_form(struct fixture *f, const char *form_id, bool confidential)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_form_new in = {.form_id = form_id,
                             .version = "1",
                             .title = form_id,
                             .xml = (const unsigned char *)"<h:html/>",
                             .xml_len = 9,
                             .is_confidential = confidential,
                             .has_protected = true,
                             .publish = true};
    long long id = 0;

    check(tc_forms_insert(f->conn, &in, &id, &err), &err);
    return id;
}

static int
setup(void **state)
{
    static struct fixture f;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    tc_test_db_create("vault", f.conninfo, sizeof(f.conninfo));
    snprintf(f.dir, sizeof(f.dir), "/tmp/tincay-vault-XXXXXX");
    if (mkdtemp(f.dir) == NULL)
        return -1;
    snprintf(f.key_path, sizeof(f.key_path), "%s/keys/server.key", f.dir);
    if ((f.pool = tc_db_pool_create(f.conninfo, 2, &err)) == NULL ||
        (f.gate = tc_password_gate_create(2, 5000, TC_PASSWORD_MINIMUM, &err)) == NULL ||
        tc_keyring_open(f.key_path, true, &f.ring, &err) != TC_OK ||
        (f.conn = tc_db_acquire(f.pool, 1000, &err)) == NULL ||
        tc_migrate(f.conn, NULL, &err) != TC_OK ||
        tc_db_exec_simple(f.conn, sql_communes, &err) != TC_OK) {
        fprintf(stderr, "setup: %s: %s\n", err.msg, err.detail);
        return -1;
    }
    f.kdf = (struct tc_vault_kdf){.gate = f.gate, .cost = TC_PASSWORD_MINIMUM};
    f.escrow = add_user(&f, "escrow12", TC_ROLE_ESCROW, NULL, "97", escrow_pw);
    f.escrow13 = add_user(&f, "escrow13", TC_ROLE_ESCROW, NULL, "98", escrow13_pw);
    f.host = add_user(&f, "host1", TC_ROLE_HOST, "99901", NULL, host_pw);
    f.host2 = add_user(&f, "host2", TC_ROLE_HOST, "99901", NULL, host2_pw);
    f.host3 = add_user(&f, "host3", TC_ROLE_HOST, "99901", NULL, host2_pw);
    check(tc_unit_create(f.conn, "dctc-a", "Địa chỉ tin cậy A", "99901", 0, &f.unit_a, &err), &err);
    check(tc_unit_create(f.conn, "dctc-b", "Địa chỉ tin cậy B", "99902", 0, &f.unit_b, &err), &err);
    f.form_personal = add_form(&f, "needs", false);
    f.form_case = add_form(&f, "dctc_case", true);
    tc_db_release(f.pool, f.conn);
    f.conn = NULL;
    *state = &f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[400];

    if (f == NULL)
        return 0;
    tc_keyring_close(f->ring);
    tc_password_gate_destroy(f->gate);
    tc_db_pool_destroy(f->pool);
    tc_test_db_drop(f->conninfo);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int
per_test_setup(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    f->arena = tc_arena_create(8192);
    f->conn = tc_db_acquire_for(f->pool, f->arena, 1000, &err);
    return f->conn ? 0 : -1;
}

static int
per_test_teardown(void **state)
{
    struct fixture *f = *state;

    tc_arena_destroy(f->arena);
    f->arena = NULL;
    f->conn = NULL;
    return 0;
}

static long long
count(struct fixture *f, const char *sql)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_result *res;

    check(tc_db_exec_dynamic(f->conn, sql, 0, NULL, f->arena, &res, &err), &err);
    return tc_db_int(res, 0, 0, -1);
}

/* The unit key through the escrow officer of province 97. */
static struct tc_unit_key *
escrow_unit_key(struct fixture *f, long long unit_id)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_unit_key *escrow = NULL, *key = NULL;

    check(tc_escrow_open(f->conn, &f->kdf, f->escrow, escrow_pw, strlen(escrow_pw), &escrow, &err),
          &err);
    check(tc_unit_key_from_escrow(f->conn, escrow, f->escrow, unit_id, &key, &err), &err);
    tc_unit_key_free(escrow);
    return key;
}

static void
unit_needs_an_escrow_officer(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    assert_int_equal(tc_unit_create(f->conn, "dctc-c", "C", "99903", 0, NULL, &err), TC_EINVAL);
    assert_non_null(strstr(err.msg, "no escrow officer"));
    assert_int_equal(count(f, "SELECT count(*) FROM units WHERE code = 'dctc-c'"), 0);
    assert_int_equal(tc_unit_create(f->conn, "dctc-a", "again", "99901", 0, NULL, &err),
                     TC_ECONFLICT);
}

static void
unit_key_is_sealed_to_its_escrow_only(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_unit_key *escrow = NULL, *key = NULL;
    struct tc_unit unit;

    check(tc_unit_get(f->conn, "dctc-a", f->arena, &unit, &err), &err);
    assert_int_equal(unit.n_escrow, 1);
    assert_string_equal(unit.province_code, "97");
    key = escrow_unit_key(f, f->unit_a);
    assert_memory_equal(tc_unit_key_public(key), unit.public_key, TC_PUBLIC_KEY_BYTES);
    tc_unit_key_free(key);

    /* Wrong password; another province's officer. */
    assert_int_equal(
        tc_escrow_open(f->conn, &f->kdf, f->escrow, "wrong password 1234", 19, &escrow, &err),
        TC_EUNAUTH);
    assert_null(escrow);
    check(tc_escrow_open(f->conn, &f->kdf, f->escrow13, escrow13_pw, strlen(escrow13_pw), &escrow,
                         &err),
          &err);
    assert_int_equal(tc_unit_key_from_escrow(f->conn, escrow, f->escrow13, f->unit_a, &key, &err),
                     TC_EFORBIDDEN);
    /* Officer 13's key against officer 12's seal: does not open. */
    assert_int_equal(tc_unit_key_from_escrow(f->conn, escrow, f->escrow, f->unit_a, &key, &err),
                     TC_EFORBIDDEN);
    tc_unit_key_free(escrow);
    /* No plaintext secret in the table: the only rows are the seal. */
    assert_int_equal(count(f, "SELECT count(*) FROM unit_keys WHERE holder_kind <> 'escrow'"), 0);
}

static void
invitation_works_once(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_unit_key *key = escrow_unit_key(f, f->unit_a), *other = NULL, *mine = NULL;
    char secret[TC_INVITATION_SECRET_MAX];
    long long unit_id = 0, inv = 0;

    /* Only unit A's own key makes an invitation to unit A. */
    check(tc_unit_key_generate(&other, &err), &err);
    assert_int_equal(
        tc_invitation_create(f->conn, &f->kdf, f->unit_a, other, f->escrow, 0, secret, &inv, &err),
        TC_EFORBIDDEN);
    tc_unit_key_free(other);
    check(tc_invitation_create(f->conn, &f->kdf, f->unit_a, key, f->escrow, 0, secret, &inv, &err),
          &err);
    assert_true(strlen(secret) >= 27);
    /* A wrong password does not redeem it and leaves it usable. */
    assert_int_equal(
        tc_invitation_redeem(f->conn, &f->kdf, secret, f->host, "wrong password 1", 16, NULL, &err),
        TC_EUNAUTH);
    check(tc_invitation_redeem(f->conn, &f->kdf, secret, f->host, host_pw, strlen(host_pw),
                               &unit_id, &err),
          &err);
    assert_int_equal(unit_id, f->unit_a);
    assert_int_equal(tc_invitation_redeem(f->conn, &f->kdf, secret, f->host2, host2_pw,
                                          strlen(host2_pw), NULL, &err),
                     TC_EUNAUTH);
    assert_int_equal(count(f, "SELECT count(*) FROM unit_keys WHERE holder_kind = 'invitation'"),
                     0);
    assert_int_equal(count(f, "SELECT count(*) FROM invitations WHERE used_at IS NOT NULL"), 1);

    check(tc_unit_key_open_member(f->conn, &f->kdf, f->unit_a, f->host, host_pw, strlen(host_pw),
                                  &mine, &err),
          &err);
    assert_memory_equal(tc_unit_key_public(mine), tc_unit_key_public(key), TC_PUBLIC_KEY_BYTES);
    tc_unit_key_free(mine);
    mine = NULL;
    assert_int_equal(tc_unit_key_open_member(f->conn, &f->kdf, f->unit_a, f->host,
                                             "wrong password 1", 16, &mine, &err),
                     TC_EUNAUTH);
    assert_null(mine);
    assert_int_equal(tc_unit_key_open_member(f->conn, &f->kdf, f->unit_b, f->host, host_pw,
                                             strlen(host_pw), &mine, &err),
                     TC_EFORBIDDEN);
    assert_int_equal(count(f, "SELECT count(*) FROM users WHERE login = 'host1' AND unit_id IS "
                              "NOT NULL"),
                     1);
    tc_unit_key_free(key);
}

static void
login_wraps_for_the_session_and_logout_deletes_it(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_login_request req = {
        .login = "host1", .password = host_pw, .password_len = strlen(host_pw)};
    char token[TC_SESSION_TOKEN_MAX], other[TC_SESSION_TOKEN_MAX];
    struct tc_unit_key *key = NULL;
    struct tc_unit unit;
    size_t n = 0;

    check(tc_login(f->conn, f->gate, &req, f->arena, token, NULL, &err), &err);
    check(
        tc_vault_session_open(f->conn, &f->kdf, token, f->host, host_pw, strlen(host_pw), &n, &err),
        &err);
    assert_int_equal(n, 1);
    check(tc_unit_get(f->conn, "dctc-a", f->arena, &unit, &err), &err);
    check(tc_unit_key_for_session(f->conn, token, f->unit_a, &key, &err), &err);
    assert_memory_equal(tc_unit_key_public(key), unit.public_key, TC_PUBLIC_KEY_BYTES);
    tc_unit_key_free(key);
    assert_int_equal(tc_unit_key_for_session(f->conn, token, f->unit_b, &key, &err), TC_EFORBIDDEN);

    /* Another session (another cookie) of the same user holds nothing until it unlocks. */
    check(tc_login(f->conn, f->gate, &req, f->arena, other, NULL, &err), &err);
    assert_int_equal(tc_unit_key_for_session(f->conn, other, f->unit_a, &key, &err), TC_EFORBIDDEN);

    assert_int_equal(count(f, "SELECT count(*) FROM session_unit_keys"), 1);
    check(tc_session_delete(f->conn, token, &err), &err);
    assert_int_equal(count(f, "SELECT count(*) FROM session_unit_keys"), 0);
    assert_int_equal(tc_unit_key_for_session(f->conn, token, f->unit_a, &key, &err), TC_EFORBIDDEN);
    assert_null(key);
    check(tc_session_delete(f->conn, other, &err), &err);

    /* An escrow officer's session holds the officer's own key. */
    req = (struct tc_login_request){
        .login = "escrow12", .password = escrow_pw, .password_len = strlen(escrow_pw)};
    check(tc_login(f->conn, f->gate, &req, f->arena, token, NULL, &err), &err);
    check(tc_vault_session_open(f->conn, &f->kdf, token, f->escrow, escrow_pw, strlen(escrow_pw),
                                &n, &err),
          &err);
    assert_int_equal(n, 1);
    check(tc_escrow_key_for_session(f->conn, token, f->escrow, &key, &err), &err);
    tc_unit_key_free(key);
    check(tc_session_delete(f->conn, token, &err), &err);
}

/*
 * An escrow officer added after a unit was made holds no seal of its key; the next login of
 * one of its hosts (who opens the key) seals it to her, once, audited.
 */
static void
a_later_escrow_officer_is_sealed_the_key_at_a_hosts_login(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    static const char late_pw[] = "escrow officer who came later";
    long long late = add_user(f, "escrow12late", TC_ROLE_ESCROW, NULL, "97", late_pw);
    struct tc_login_request req = {
        .login = "host1", .password = host_pw, .password_len = strlen(host_pw)};
    struct tc_unit_key *escrow = NULL, *key = NULL, *expected = escrow_unit_key(f, f->unit_a);
    char token[TC_SESSION_TOKEN_MAX];
    static const char sql_seals[] = "SELECT count(*) FROM audit_log WHERE action ="
                                    " 'unit.escrow_seal' AND detail->>'escrow_user_id' IS NOT NULL";

    check(tc_escrow_open(f->conn, &f->kdf, late, late_pw, strlen(late_pw), &escrow, &err), &err);
    assert_int_equal(tc_unit_key_from_escrow(f->conn, escrow, late, f->unit_a, &key, &err),
                     TC_EFORBIDDEN);
    for (int i = 0; i < 2; i++) { /* the second login finds nothing left to seal */
        check(tc_login(f->conn, f->gate, &req, f->arena, token, NULL, &err), &err);
        check(tc_vault_session_open(f->conn, &f->kdf, token, f->host, host_pw, strlen(host_pw),
                                    NULL, &err),
              &err);
        check(tc_session_delete(f->conn, token, &err), &err);
        assert_int_equal(count(f, sql_seals), 1);
    }
    check(tc_unit_key_from_escrow(f->conn, escrow, late, f->unit_a, &key, &err), &err);
    assert_memory_equal(tc_unit_key_public(key), tc_unit_key_public(expected), TC_PUBLIC_KEY_BYTES);
    /* a unit the host is not in stays as it was */
    tc_unit_key_free(key);
    assert_int_equal(tc_unit_key_from_escrow(f->conn, escrow, late, f->unit_b, &key, &err),
                     TC_EFORBIDDEN);
    tc_unit_key_free(escrow);
    tc_unit_key_free(expected);
}

static void
password_change_rewraps_and_reset_goes_through_escrow(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    static const char new_pw[] = "a brand new password";
    struct tc_unit_key *key = NULL, *escrow_key = NULL;
    bool deleted = false;

    check(tc_vault_password_change(f->conn, &f->kdf, f->host, host_pw, strlen(host_pw), new_pw,
                                   strlen(new_pw), &err),
          &err);
    check(tc_user_set_password(f->conn, f->gate, "host1", new_pw, strlen(new_pw), &err), &err);
    assert_int_equal(tc_unit_key_open_member(f->conn, &f->kdf, f->unit_a, f->host, host_pw,
                                             strlen(host_pw), &key, &err),
                     TC_EUNAUTH);
    check(tc_unit_key_open_member(f->conn, &f->kdf, f->unit_a, f->host, new_pw, strlen(new_pw),
                                  &key, &err),
          &err);
    tc_unit_key_free(key);
    key = NULL;
    assert_int_equal(tc_vault_password_change(f->conn, &f->kdf, f->host, "not the password", 16,
                                              host_pw, strlen(host_pw), &err),
                     TC_EUNAUTH);

    /* Admin reset: the wrap is gone; an escrow officer's reset is refused. */
    check(tc_vault_password_reset(f->conn, f->host, &deleted, &err), &err);
    check(tc_user_set_password(f->conn, f->gate, "host1", host_pw, strlen(host_pw), &err), &err);
    assert_true(deleted);
    assert_int_equal(tc_unit_key_open_member(f->conn, &f->kdf, f->unit_a, f->host, new_pw,
                                             strlen(new_pw), &key, &err),
                     TC_EFORBIDDEN);
    assert_int_equal(tc_vault_password_reset(f->conn, f->escrow, &deleted, &err), TC_ECONFLICT);

    /* Escrow recovery: the officer opens the unit key and wraps it for the new password. */
    escrow_key = escrow_unit_key(f, f->unit_a);
    check(tc_unit_member_grant(f->conn, &f->kdf, f->unit_a, escrow_key, f->host, host_pw,
                               strlen(host_pw), &err),
          &err);
    check(tc_unit_key_open_member(f->conn, &f->kdf, f->unit_a, f->host, host_pw, strlen(host_pw),
                                  &key, &err),
          &err);
    assert_memory_equal(tc_unit_key_public(key), tc_unit_key_public(escrow_key),
                        TC_PUBLIC_KEY_BYTES);
    tc_unit_key_free(key);
    tc_unit_key_free(escrow_key);

    /* The escrow officer's own password change keeps the escrow working. */
    check(tc_vault_password_change(f->conn, &f->kdf, f->escrow, escrow_pw, strlen(escrow_pw),
                                   new_pw, strlen(new_pw), &err),
          &err);
    check(tc_user_set_password(f->conn, f->gate, "escrow12", new_pw, strlen(new_pw), &err), &err);
    check(tc_escrow_open(f->conn, &f->kdf, f->escrow, new_pw, strlen(new_pw), &escrow_key, &err),
          &err);
    tc_unit_key_free(escrow_key);
    /* The old password opens nothing any more, and does not pass as the old one either. */
    assert_int_equal(tc_escrow_open(f->conn, &f->kdf, f->escrow, escrow_pw, strlen(escrow_pw),
                                    &escrow_key, &err),
                     TC_EUNAUTH);
    assert_int_equal(tc_vault_password_change(f->conn, &f->kdf, f->escrow, escrow_pw,
                                              strlen(escrow_pw), new_pw, strlen(new_pw), &err),
                     TC_EUNAUTH);
    check(tc_vault_password_change(f->conn, &f->kdf, f->escrow, new_pw, strlen(new_pw), escrow_pw,
                                   strlen(escrow_pw), &err),
          &err);
    check(tc_user_set_password(f->conn, f->gate, "escrow12", escrow_pw, strlen(escrow_pw), &err),
          &err);

    /* Removing a member deletes their wrap. */
    check(tc_unit_member_remove(f->conn, f->unit_a, f->host, &err), &err);
    assert_int_equal(tc_unit_key_open_member(f->conn, &f->kdf, f->unit_a, f->host, host_pw,
                                             strlen(host_pw), &key, &err),
                     TC_EFORBIDDEN);
    escrow_key = escrow_unit_key(f, f->unit_a);
    check(tc_unit_member_grant(f->conn, &f->kdf, f->unit_a, escrow_key, f->host, host_pw,
                               strlen(host_pw), &err),
          &err);
    tc_unit_key_free(escrow_key);
}

/* Store a submission of `form` whose XML is `sealed` under `key_id`. */
static long long
store_submission(struct fixture *f, long long form, const char *form_id, const char *instance,
                 const unsigned char *sealed, size_t sealed_len, const char *key_id,
                 const char *case_code)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    const struct tc_ingest in = {.form = form,
                                 .form_id = form_id,
                                 .form_version = "1",
                                 .instance_id = instance,
                                 .xml_sealed = sealed,
                                 .xml_sealed_len = sealed_len,
                                 .key_id = key_id,
                                 .xml_sha256 =
                                     "0000000000000000000000000000000000000000000000000000"
                                     "000000000000",
                                 .case_code = case_code};
    struct tc_ingest_result out;

    check(tc_submission_store(f->conn, &in, &out, &err), &err);
    return out.id;
}

#define N_PERSONAL 7

static void
rotation_rewraps_every_data_key_and_leaves_ciphertexts(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char new_id[TC_KEY_ID_LEN + 1], old_id[TC_KEY_ID_LEN + 1];
    struct tc_db_result *before, *after;
    struct tc_key_count *counts;
    struct tc_plain_value *values;
    unsigned char *xml;
    size_t n = 0, len = 0, done = 0;
    long long ids[N_PERSONAL];

    for (int i = 0; i < N_PERSONAL; i++) {
        char instance[32], name[64], doc[128];
        struct tc_plain_value v[] = {{"/data/name", name, 0}, {"/data/phone", "0912345678", 10}};
        struct tc_personal_sealed sealed;

        snprintf(instance, sizeof(instance), "uuid:p%d", i);
        snprintf(name, sizeof(name), "Thành viên %d", i);
        snprintf(doc, sizeof(doc), "<data><name>Thành viên %d</name></data>", i);
        v[0].len = strlen(name);
        check(tc_personal_seal(f->ring, "needs", instance, v, 2, doc, strlen(doc), f->arena,
                               &sealed, &err),
              &err);
        memcpy(old_id, sealed.key_id, sizeof(old_id));
        ids[i] = store_submission(f, f->form_personal, "needs", instance, sealed.xml,
                                  sealed.xml_len, sealed.key_id, NULL);
        check(tc_submission_keys_store_personal(f->conn, ids[i], &sealed, &err), &err);
    }
    static const char snapshot[] =
        "SELECT s.id, s.xml_sealed, (SELECT string_agg(encode(ciphertext, 'hex'), ',' ORDER BY "
        "field) FROM submission_protected p WHERE p.submission = s.id), k.dek, k.key_id"
        " FROM submissions s JOIN submission_keys k ON k.submission = s.id"
        " WHERE s.form_id = 'needs' ORDER BY s.id";
    check(tc_db_exec_dynamic(f->conn, snapshot, 0, NULL, f->arena, &before, &err), &err);
    assert_int_equal(tc_db_rows(before), N_PERSONAL);

    check(tc_keyfile_rotate(f->key_path, new_id, &err), &err);
    assert_string_not_equal(new_id, old_id);
    check(tc_keys_rewrap(f->conn, f->ring, 3, &done, &err), &err);
    assert_int_equal(done, N_PERSONAL);

    check(tc_db_exec_dynamic(f->conn, snapshot, 0, NULL, f->arena, &after, &err), &err);
    for (size_t i = 0; i < N_PERSONAL; i++) {
        assert_string_equal(tc_db_value(before, i, 1), tc_db_value(after, i, 1)); /* XML */
        assert_string_equal(tc_db_value(before, i, 2), tc_db_value(after, i, 2)); /* values */
        assert_string_not_equal(tc_db_value(before, i, 3), tc_db_value(after, i, 3));
        assert_string_equal(tc_db_value(after, i, 4), new_id);
    }
    check(tc_keys_count(f->conn, f->arena, &counts, &n, &err), &err);
    assert_int_equal(n, 1);
    assert_string_equal(counts[0].key_id, new_id);
    assert_int_equal(counts[0].n, N_PERSONAL);

    /* Everything still opens; with the old key dropped from the file too. */
    check(tc_keyfile_drop(f->key_path, old_id, &err), &err);
    check(tc_personal_open(f->conn, f->ring, ids[3], f->arena, &xml, &len, &values, &n, &err),
          &err);
    assert_string_equal((const char *)xml, "<data><name>Thành viên 3</name></data>");
    assert_int_equal(n, 2);
    assert_string_equal(values[0].field, "/data/name");
    assert_string_equal(values[0].value, "Thành viên 3");
    assert_string_equal(values[1].value, "0912345678");
    check(tc_keys_rewrap(f->conn, f->ring, 3, &done, &err), &err);
    assert_int_equal(done, 0);
}

/* Seal and store a case intake of unit `unit_id` (public key `pk`); returns the submission. */
static long long
store_case(struct fixture *f, long long unit_id, const unsigned char *pk, const char *instance,
           const char *xml, const char *code, long long *case_id)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_case_sealed sealed;
    long long id;

    check(tc_case_seal(pk, "dctc_case", instance, xml, strlen(xml), f->arena, &sealed, NULL, &err),
          &err);
    id = store_submission(f, f->form_case, "dctc_case", instance, sealed.xml, sealed.xml_len,
                          TC_SUBMISSION_KEY_UNIT, code);
    check(tc_submission_keys_store_sealed(f->conn, id, unit_id, sealed.dek_sealed, &err), &err);
    check(tc_case_insert(f->conn, unit_id, code, "dctc_case", id, "{\"violence\": \"mental\"}",
                         case_id, &err),
          &err);
    return id;
}

static void
sealed_case_opens_only_with_its_unit_key(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_unit_key *a = escrow_unit_key(f, f->unit_a), *b = NULL, *escrow13 = NULL;
    static const char xml1[] = "<data><victim>Hoàng Thị Lan</victim></data>";
    static const char xml2[] = "<data><victim>Lò Thị Mai</victim></data>";
    struct tc_blind_value v1[TC_BLIND_KIND_COUNT], v2[TC_BLIND_KIND_COUNT];
    struct tc_blind_candidate *cands;
    struct tc_case *cases;
    unsigned char *xml;
    size_t len = 0, n = 0, n1 = 0, n2 = 0;
    long long s1, s2, c1 = 0, c2 = 0, c3 = 0;
    char code[12];

    check(tc_escrow_open(f->conn, &f->kdf, f->escrow13, escrow13_pw, strlen(escrow13_pw), &escrow13,
                         &err),
          &err);
    check(tc_unit_key_from_escrow(f->conn, escrow13, f->escrow13, f->unit_b, &b, &err), &err);
    tc_unit_key_free(escrow13);

    s1 = store_case(f, f->unit_a, tc_unit_key_public(a), "uuid:c1", xml1, "DC-0000000a", &c1);
    s2 = store_case(f, f->unit_a, tc_unit_key_public(a), "uuid:c2", xml2, "DC-0000000b", &c2);
    check(tc_sealed_open(f->conn, a, s1, f->arena, &xml, &len, NULL, &err), &err);
    assert_string_equal((const char *)xml, xml1);
    assert_int_equal(tc_sealed_open(f->conn, b, s1, f->arena, &xml, &len, NULL, &err),
                     TC_EFORBIDDEN);
    check(tc_case_list(f->conn, f->unit_a, f->arena, &cases, &n, &err), &err);
    assert_int_equal(n, 2);
    check(tc_case_list(f->conn, f->unit_b, f->arena, &cases, &n, &err), &err);
    assert_int_equal(n, 0);

    /* Ciphertexts swapped between the two rows: neither opens. */
    check(tc_db_exec_simple(f->conn,
                            "UPDATE submissions s SET xml_sealed = o.xml_sealed FROM submissions o"
                            " WHERE s.instance_id IN ('uuid:c1', 'uuid:c2') AND o.form_id = "
                            "s.form_id AND o.instance_id IN ('uuid:c1', 'uuid:c2')"
                            " AND o.instance_id <> s.instance_id",
                            &err),
          &err);
    assert_int_equal(tc_sealed_open(f->conn, a, s1, f->arena, &xml, &len, NULL, &err),
                     TC_EINTERNAL);
    assert_int_equal(tc_sealed_open(f->conn, a, s2, f->arena, &xml, &len, NULL, &err),
                     TC_EINTERNAL);
    /* Sealed data keys swapped: refused as well. */
    check(tc_db_exec_simple(f->conn,
                            "UPDATE submissions s SET xml_sealed = o.xml_sealed FROM submissions o"
                            " WHERE s.instance_id IN ('uuid:c1', 'uuid:c2') AND o.form_id = "
                            "s.form_id AND o.instance_id IN ('uuid:c1', 'uuid:c2')"
                            " AND o.instance_id <> s.instance_id;"
                            "UPDATE submission_keys k SET dek = o.dek FROM submission_keys o"
                            " WHERE k.submission IN (SELECT id FROM submissions WHERE instance_id"
                            " IN ('uuid:c1', 'uuid:c2')) AND o.submission IN (SELECT id FROM"
                            " submissions WHERE instance_id IN ('uuid:c1', 'uuid:c2'))"
                            " AND o.submission <> k.submission",
                            &err),
          &err);
    assert_int_equal(tc_sealed_open(f->conn, a, s1, f->arena, &xml, &len, NULL, &err),
                     TC_EINTERNAL);

    /* Repeat-victim hints: the same person spelt without diacritics is a candidate. */
    tc_case_code_generate(code);
    assert_int_equal(strlen(code), 11);
    (void)store_case(f, f->unit_a, tc_unit_key_public(a), "uuid:c3", xml1, code, &c3);
    tc_blind_person(a, "Hoàng Thị Lan", 1990, "+84 912 345 678", v1, &n1);
    check(tc_blind_store(f->conn, f->unit_a, c1, v1, n1, &err), &err);
    tc_blind_person(a, "Lò Thị Mai", 1985, "0987 654 321", v2, &n2);
    check(tc_blind_store(f->conn, f->unit_a, c2, v2, n2, &err), &err);
    tc_blind_person(a, "HOANG THI LAN", 1990, NULL, v2, &n2);
    check(tc_blind_candidates(f->conn, f->unit_a, v2, n2, c3, f->arena, &cands, &n, &err), &err);
    /* Indexes are truncated so that collisions are expected: another case may be a candidate
     * too (members confirm by decrypting), but the same person must be among them. */
    {
        bool found = false;

        for (size_t i = 0; i < n; i++)
            if (cands[i].case_id == c1) {
                assert_string_equal(cands[i].case_code, "DC-0000000a");
                found = true;
            }
        assert_true(found);
    }
    /* Another unit sees none of unit A's cases, whatever the values. */
    check(tc_blind_candidates(f->conn, f->unit_b, v1, n1, 0, f->arena, &cands, &n, &err), &err);
    assert_int_equal(n, 0);
    tc_unit_key_free(a);
    tc_unit_key_free(b);
}

/* Whether `needle` (`n` bytes) occurs in `hay`. */
static bool
found(const char *hay, size_t len, const char *needle, size_t n)
{
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return true;
    return false;
}

static void
dump_reveals_no_plaintext_and_no_key(void **state)
{
    static const char *const markers[] = {"Hoàng Thị Lan", "Lò Thị Mai", "Thành viên", "0912345678",
                                          "hoang thi lan"};
    struct fixture *f = *state;
    struct tc_unit_key *a = escrow_unit_key(f, f->unit_a);
    unsigned char kek[TC_KEY_BYTES];
    char cmd[400], hex[2 * 32 + 1];
    size_t len = 0, cap = 1 << 20;
    char *dump = malloc(cap);
    FILE *p;

    snprintf(cmd, sizeof(cmd), "pg_dump --data-only --no-owner -d '%s'", f->conninfo);
    assert_non_null(dump);
    assert_non_null(p = popen(cmd, "r"));
    for (size_t got; (got = fread(dump + len, 1, cap - len, p)) > 0;) {
        len += got;
        if (len == cap)
            assert_non_null(dump = realloc(dump, cap *= 2));
    }
    assert_int_equal(pclose(p), 0);
    /* The dump has the rows (sanity), and none of what was sealed into them. */
    assert_true(found(dump, len, "DC-0000000a", 11));
    assert_true(found(dump, len, "dctc-a", 6));
    assert_true(found(dump, len, "Địa chỉ tin cậy A", strlen("Địa chỉ tin cậy A")));
    for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
        assert_false(found(dump, len, markers[i], strlen(markers[i])));
    sodium_bin2hex(hex, sizeof(hex), tc_unit_key_secret(a), 32);
    assert_false(found(dump, len, hex, 64));
    assert_true(tc_keyring_copy_key(f->ring, NULL, kek, NULL));
    sodium_bin2hex(hex, sizeof(hex), kek, sizeof(kek));
    sodium_memzero(kek, sizeof(kek));
    assert_false(found(dump, len, hex, 64));
    sodium_memzero(hex, sizeof(hex));
    tc_unit_key_free(a);
    free(dump);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(unit_needs_an_escrow_officer, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(unit_key_is_sealed_to_its_escrow_only, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(invitation_works_once, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(login_wraps_for_the_session_and_logout_deletes_it,
                                        per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(a_later_escrow_officer_is_sealed_the_key_at_a_hosts_login,
                                        per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(password_change_rewraps_and_reset_goes_through_escrow,
                                        per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(rotation_rewraps_every_data_key_and_leaves_ciphertexts,
                                        per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(sealed_case_opens_only_with_its_unit_key, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(dump_reveals_no_plaintext_and_no_key, per_test_setup,
                                        per_test_teardown),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests_name("vault db", tests, setup, teardown);
}
