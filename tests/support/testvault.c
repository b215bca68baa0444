#include "testvault.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testlib.h"
#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/form.h"
#include "tincay/forms.h"
#include "tincay/password.h"
#include "tincay/units.h"
#include "tincay/users.h"

static struct tc_db_conn *
conn_of(const struct tc_test_vault *v)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire(v->pool, 5000, &err);

    if (conn == NULL)
        fail_msg("no database connection: %s", err.msg);
    return conn;
}

long long
tc_test_vault_user(const struct tc_test_vault *v, const char *login, enum tc_role role,
                   const char *commune, const char *province)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = conn_of(v);
    const struct tc_user_new u = {.login = login,
                                  .role = role,
                                  .commune_code = commune,
                                  .province_code = province,
                                  .language = TC_LANG_EN};
    long long id = 0;

    if (tc_user_create(conn, v->gate, &u, v->password, strlen(v->password), &id, &err) != TC_OK)
        fail_msg("tc_user_create %s: %s (%s)", login, err.msg, err.detail);
    if (role == TC_ROLE_ESCROW) {
        const struct tc_vault_kdf kdf = {.gate = v->gate, .cost = TC_PASSWORD_MINIMUM};

        if (tc_escrow_create(conn, &kdf, id, province, v->password, strlen(v->password), &err) !=
            TC_OK)
            fail_msg("tc_escrow_create %s: %s", login, err.msg);
    }
    tc_db_release(v->pool, conn);
    return id;
}

void
tc_test_vault_form(const struct tc_test_vault *v, const char *file)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char path[512], *xml;
    struct tc_db_conn *conn = conn_of(v);
    struct tc_form_model *model;
    FILE *f = fopen(tc_test_source_path(file, path, sizeof(path)), "rb");
    long len;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    len = ftell(f);
    assert_true(len > 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    assert_non_null(xml = malloc((size_t)len));
    assert_int_equal(fread(xml, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    assert_int_equal(tc_form_load(xml, (size_t)len, &model, &err), TC_OK);
    {
        const struct tc_form_new fn = {.form_id = tc_form_id(model),
                                       .version = tc_form_version(model),
                                       .title = tc_form_title(model),
                                       .xml = (const unsigned char *)xml,
                                       .xml_len = (size_t)len,
                                       .is_confidential = tc_form_is_confidential(model),
                                       .has_protected = tc_form_has_protected_fields(model),
                                       .publish = true};

        if (tc_forms_insert(conn, &fn, NULL, &err) != TC_OK)
            fail_msg("tc_forms_insert %s: %s", file, err.msg);
    }
    tc_form_model_free(model);
    free(xml);
    tc_db_release(v->pool, conn);
}

void
tc_test_vault_communes(const struct tc_test_vault *v, char commune_a[8], char province_a[4],
                       char commune_b[8], char province_b[4])
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = conn_of(v);
    struct tc_arena *arena = tc_arena_create(1024);
    struct tc_db_result *res;

    assert_int_equal(tc_db_exec(conn,
                                "SELECT a.code, a.province_code, b.code, b.province_code"
                                " FROM communes a, communes b WHERE a.era = 'post2025'"
                                " AND b.era = 'post2025' AND a.province_code < b.province_code"
                                " ORDER BY a.code, b.code LIMIT 1",
                                0, NULL, arena, &res, &err),
                     TC_OK);
    assert_int_equal(tc_db_rows(res), 1);
    snprintf(commune_a, 8, "%s", tc_db_value(res, 0, 0));
    snprintf(province_a, 4, "%s", tc_db_value(res, 0, 1));
    snprintf(commune_b, 8, "%s", tc_db_value(res, 0, 2));
    snprintf(province_b, 4, "%s", tc_db_value(res, 0, 3));
    tc_arena_destroy(arena);
    tc_db_release(v->pool, conn);
}

long long
tc_test_vault_unit(const struct tc_test_vault *v, const char *code, const char *commune,
                   long long escrow_id, long long member)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    const struct tc_vault_kdf kdf = {.gate = v->gate, .cost = TC_PASSWORD_MINIMUM};
    struct tc_db_conn *conn = conn_of(v);
    struct tc_unit_key *escrow = NULL, *key = NULL;
    size_t len = strlen(v->password);
    long long id = 0;

    if (tc_unit_create(conn, code, code, commune, 0, &id, &err) != TC_OK)
        fail_msg("tc_unit_create %s: %s", code, err.msg);
    if (member > 0) {
        assert_int_equal(tc_escrow_open(conn, &kdf, escrow_id, v->password, len, &escrow, &err),
                         TC_OK);
        assert_int_equal(tc_unit_key_from_escrow(conn, escrow, escrow_id, id, &key, &err), TC_OK);
        assert_int_equal(tc_unit_member_grant(conn, &kdf, id, key, member, v->password, len, &err),
                         TC_OK);
    }
    tc_unit_key_free(key);
    tc_unit_key_free(escrow);
    tc_db_release(v->pool, conn);
    return id;
}
