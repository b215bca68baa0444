#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "testlib.h"
#include "tincay/app_users.h"
#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/forms.h"
#include "tincay/migrate.h"

struct fixture {
    char conninfo[256];
    struct tc_db_pool *pool;
    struct tc_db_conn *conn;
    struct tc_arena *arena;
};

static int
setup(void **state)
{
    static struct fixture f;

    if (tc_test_db_open("forms", 1, f.conninfo, sizeof(f.conninfo), &f.pool, &f.conn) != 0)
        return -1;
    *state = &f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    tc_test_db_close(f->conninfo, f->pool, f->conn);
    return 0;
}

static int
per_test_setup(void **state)
{
    struct fixture *f = *state;

    f->arena = tc_arena_create(4096);
    return f->arena ? 0 : -1;
}

static int
per_test_teardown(void **state)
{
    struct fixture *f = *state;

    tc_arena_destroy(f->arena);
    f->arena = NULL;
    return 0;
}

static long long
add_form(struct fixture *f, const char *form_id, const char *version, const char *xml, bool publish)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_form_new in = {.form_id = form_id,
                             .version = version,
                             .title = "Khảo sát tổ nhóm sinh kế",
                             .xml = (const unsigned char *)xml,
                             .xml_len = strlen(xml),
                             .publish = publish};
    long long id = 0;

    if (tc_forms_insert(f->conn, &in, &id, &err) != TC_OK)
        fail_msg("insert %s/%s: %s (%s)", form_id, version, err.msg, err.detail);
    assert_true(id > 0);
    return id;
}

/* Run SQL that must fail, and return its status. */
static enum tc_status
exec_status(struct fixture *f, const char *sql)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    return tc_db_exec_simple(f->conn, sql, &err);
}

static void
insert_keeps_exact_bytes_and_hashes(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    static const char xml[] = "<?xml version=\"1.0\"?>\r\n<h:html>\xe1\xbb\x87 </h:html>\n";
    unsigned char digest[32];
    char hex[65];
    struct tc_form_row row;
    long long id = add_form(f, "exact", "1", xml, false);

    assert_int_equal(tc_forms_get(f->conn, "exact", "1", f->arena, &row, &err), TC_OK);
    assert_int_equal(row.id, id);
    assert_int_equal(row.state, TC_FORM_DRAFT);
    assert_null(row.published_at);
    assert_int_equal(row.xml_len, sizeof(xml) - 1);
    assert_memory_equal(row.xml, xml, sizeof(xml) - 1);
    crypto_hash_sha256(digest, (const unsigned char *)xml, sizeof(xml) - 1);
    sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
    assert_string_equal(row.sha256, hex);
    assert_int_equal(strlen(row.md5), 32);
    assert_string_equal(row.title, "Khảo sát tổ nhóm sinh kế");
    assert_non_null(row.created_at);

    add_form(f, "md5", "", "abc", true);
    assert_int_equal(tc_forms_get(f->conn, "md5", "", f->arena, &row, &err), TC_OK);
    assert_string_equal(row.md5, "900150983cd24fb0d6963f7d28e17f72"); /* RFC 1321 test suite */
    assert_int_equal(row.state, TC_FORM_PUBLISHED);
    assert_non_null(row.published_at);

    assert_int_equal(tc_forms_get_by_id(f->conn, id, f->arena, &row, &err), TC_OK);
    assert_string_equal(row.form_id, "exact");
    assert_int_equal(tc_forms_get_by_id(f->conn, 999999, f->arena, &row, &err), TC_ENOTFOUND);
    assert_int_equal(tc_forms_get(f->conn, "exact", "2", f->arena, &row, &err), TC_ENOTFOUND);
    assert_string_equal(err.msg, "form \"exact\" has no version \"2\"");
}

static void
duplicate_version_is_a_conflict(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_form_new in = {.form_id = "dup",
                             .version = "2024",
                             .title = "t",
                             .xml = (const unsigned char *)"<a/>",
                             .xml_len = 4};

    add_form(f, "dup", "2024", "<a/>", false);
    assert_int_equal(tc_forms_insert(f->conn, &in, NULL, &err), TC_ECONFLICT);
    assert_string_equal(err.msg, "form \"dup\" version \"2024\" already exists");
    in.version = "2025";
    assert_int_equal(tc_forms_insert(f->conn, &in, NULL, &err), TC_OK);
    in.form_id = "";
    assert_int_equal(tc_forms_insert(f->conn, &in, NULL, &err), TC_EINVAL);
}

static void
publish_moves_a_draft_once(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_form_row row;

    add_form(f, "pub", "1", "<a/>", false);
    assert_int_equal(tc_forms_publish(f->conn, "pub", "1", &err), TC_OK);
    assert_int_equal(tc_forms_get(f->conn, "pub", "1", f->arena, &row, &err), TC_OK);
    assert_int_equal(row.state, TC_FORM_PUBLISHED);
    assert_true(tc_form_state_accepts_submissions(row.state));
    assert_int_equal(tc_forms_publish(f->conn, "pub", "1", &err), TC_ECONFLICT);
    assert_string_equal(err.msg, "form \"pub\" cannot be published: it is published");
    assert_int_equal(tc_forms_publish(f->conn, "pub", "9", &err), TC_ENOTFOUND);
    assert_string_equal(err.msg, "form \"pub\" has no version \"9\"");
}

static void
latest_is_the_newest_published_version(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_form_row row;

    assert_int_equal(tc_forms_latest(f->conn, "lat", f->arena, &row, &err), TC_ENOTFOUND);
    add_form(f, "lat", "1", "<v1/>", true);
    add_form(f, "lat", "2", "<v2/>", true);
    add_form(f, "lat", "3", "<v3/>", false);
    assert_int_equal(tc_forms_latest(f->conn, "lat", f->arena, &row, &err), TC_OK);
    assert_string_equal(row.version, "2");
    assert_memory_equal(row.xml, "<v2/>", 5);
    assert_int_equal(tc_forms_close(f->conn, "lat", "2", TC_FORM_CLOSING, NULL, &err), TC_OK);
    assert_int_equal(tc_forms_latest(f->conn, "lat", f->arena, &row, &err), TC_OK);
    assert_string_equal(row.version, "1");
}

static void
close_moves_forward_and_hides_from_form_list(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_forms_filter listed = {.published_only = true};
    struct tc_form_row row, *rows = NULL;
    size_t n = 0, n_listed = 0;

    add_form(f, "cls", "1", "<a/>", true);
    add_form(f, "cls", "2", "<b/>", true);
    add_form(f, "cls", "3", "<c/>", false);
    assert_int_equal(tc_forms_close(f->conn, "cls", NULL, TC_FORM_CLOSING, &n, &err), TC_OK);
    assert_int_equal(n, 2);
    assert_int_equal(tc_forms_get(f->conn, "cls", "1", f->arena, &row, &err), TC_OK);
    assert_int_equal(row.state, TC_FORM_CLOSING);
    assert_true(tc_form_state_accepts_submissions(row.state));
    assert_int_equal(tc_forms_list(f->conn, &listed, f->arena, &rows, &n_listed, &err), TC_OK);
    for (size_t i = 0; i < n_listed; i++)
        assert_string_not_equal(rows[i].form_id, "cls");

    assert_int_equal(tc_forms_close(f->conn, "cls", "1", TC_FORM_CLOSED, &n, &err), TC_OK);
    assert_int_equal(n, 1);
    assert_int_equal(tc_forms_get(f->conn, "cls", "1", f->arena, &row, &err), TC_OK);
    assert_int_equal(row.state, TC_FORM_CLOSED);
    assert_false(tc_form_state_accepts_submissions(row.state));
    /* closing again changes nothing and is not an error; a draft stays a draft */
    assert_int_equal(tc_forms_close(f->conn, "cls", "1", TC_FORM_CLOSED, &n, &err), TC_OK);
    assert_int_equal(n, 0);
    assert_int_equal(tc_forms_get(f->conn, "cls", "3", f->arena, &row, &err), TC_OK);
    assert_int_equal(row.state, TC_FORM_DRAFT);
    assert_int_equal(tc_forms_close(f->conn, "nope", NULL, TC_FORM_CLOSED, &n, &err), TC_ENOTFOUND);
    assert_string_equal(err.msg, "form \"nope\" does not exist");
    assert_int_equal(tc_forms_close(f->conn, "cls", "1", TC_FORM_PUBLISHED, &n, &err),
                     TC_EINTERNAL);

    /* the database itself refuses to go back or to change a published definition */
    assert_int_equal(exec_status(f, "UPDATE forms SET state = 'published' "
                                    "WHERE form_id = 'cls' AND version = '1'"),
                     TC_EINVAL);
    assert_int_equal(exec_status(f, "UPDATE forms SET xml = '\\x00' "
                                    "WHERE form_id = 'cls' AND version = '2'"),
                     TC_EINVAL);
    assert_int_equal(exec_status(f, "UPDATE forms SET xml = '<d/>' "
                                    "WHERE form_id = 'cls' AND version = '3'"),
                     TC_OK);
}

static void
list_filters_by_state_and_app_user(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char token[TC_APP_TOKEN_LEN + 1];
    long long user = 0;
    struct tc_forms_filter mine = {.published_only = true};
    struct tc_form_row *rows = NULL;
    size_t n = 0;

    add_form(f, "lst_a", "1", "<a/>", true);
    add_form(f, "lst_a", "2", "<a2/>", true);
    add_form(f, "lst_b", "1", "<b/>", true);
    add_form(f, "lst_c", "1", "<c/>", false);
    assert_int_equal(tc_app_user_create(f->conn, "phone", 0, 0, token, &user, &err), TC_OK);
    assert_int_equal(tc_app_user_assign(f->conn, user, "lst_a", &err), TC_OK);
    assert_int_equal(tc_app_user_assign(f->conn, user, "lst_c", &err), TC_OK);
    mine.app_user_id = user;
    assert_int_equal(tc_forms_list(f->conn, &mine, f->arena, &rows, &n, &err), TC_OK);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].form_id, "lst_a");
    assert_string_equal(rows[0].version, "2"); /* newest first */
    assert_string_equal(rows[1].version, "1");
    assert_null(rows[0].xml);
    assert_int_equal(strlen(rows[0].md5), 32);

    assert_int_equal(tc_forms_list(f->conn, NULL, f->arena, &rows, &n, &err), TC_OK);
    assert_true(n >= 4);
}

/* A CSV or XML media file becomes an external instance: one that cannot is refused. */
static void
media_that_cannot_serve_as_an_instance_are_refused(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    long long id = add_form(f, "medcheck", "1", "<a/>", false);
    struct tc_form_media m;
    /* "Bản" saved by a spreadsheet in Windows-1258, not UTF-8 */
    static const char cp1258[] = "name,label\nban_hon,B\xe5n Hon\n";

    assert_int_equal(tc_forms_media_put(f->conn, id, "villages.csv", "text/csv",
                                        (const unsigned char *)cp1258, strlen(cp1258), &err),
                     TC_EINVAL);
    assert_string_equal(err.msg, "media file \"villages.csv\" is not UTF-8 text (line 2); save it "
                                 "as \"CSV UTF-8\"");
    assert_int_equal(tc_forms_media_put(f->conn, id, "villages.csv", "text/csv",
                                        (const unsigned char *)"name\n\"ban", 9, &err),
                     TC_EINVAL);
    assert_string_equal(err.msg, "villages.csv: line 2: unterminated quote");
    assert_int_equal(tc_forms_media_put(f->conn, id, "VILLAGES.CSV", "text/csv",
                                        (const unsigned char *)"", 0, &err),
                     TC_EINVAL);
    assert_int_equal(tc_forms_media_put(f->conn, id, "list.xml", "text/xml",
                                        (const unsigned char *)"<!DOCTYPE r><r/>", 16, &err),
                     TC_EINVAL);
    assert_non_null(strstr(err.msg, "DOCTYPE"));
    assert_int_equal(tc_forms_media_put(f->conn, id, "list.xml", "text/xml",
                                        (const unsigned char *)"<r><i>", 6, &err),
                     TC_EINVAL);
    /* nothing of them was stored; good ones are */
    assert_int_equal(tc_forms_media_get(f->conn, id, "villages.csv", f->arena, &m, &err),
                     TC_ENOTFOUND);
    assert_int_equal(tc_forms_media_put(f->conn, id, "villages.csv", "text/csv",
                                        (const unsigned char *)"name,label\nban_hon,Bản Hon\n",
                                        strlen("name,label\nban_hon,Bản Hon\n"), &err),
                     TC_OK);
    assert_int_equal(tc_forms_media_put(f->conn, id, "list.xml", "text/xml",
                                        (const unsigned char *)"<r><i>1</i></r>", 15, &err),
                     TC_OK);
}

static void
media_follow_the_version_state(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    long long id = add_form(f, "med", "1", "<a/>", false);
    struct tc_form_media m, *list = NULL;
    struct tc_form_row row;
    size_t n = 0;

    assert_int_equal(tc_forms_media_put(f->conn, id, "villages.csv", "text/csv",
                                        (const unsigned char *)"a,b\n", 4, &err),
                     TC_OK);
    assert_int_equal(tc_forms_media_put(f->conn, id, "villages.csv", "text/csv",
                                        (const unsigned char *)"abc", 3, &err),
                     TC_OK); /* a draft's file is replaced */
    assert_int_equal(tc_forms_media_get(f->conn, id, "villages.csv", f->arena, &m, &err), TC_OK);
    assert_int_equal(m.size, 3);
    assert_memory_equal(m.bytes, "abc", 3);
    assert_string_equal(m.md5, "900150983cd24fb0d6963f7d28e17f72");
    assert_string_equal(m.content_type, "text/csv");

    assert_int_equal(tc_forms_publish(f->conn, "med", "1", &err), TC_OK);
    assert_int_equal(tc_forms_media_put(f->conn, id, "villages.csv", "text/csv",
                                        (const unsigned char *)"abc", 3, &err),
                     TC_OK); /* identical again */
    assert_int_equal(tc_forms_media_put(f->conn, id, "villages.csv", "text/csv",
                                        (const unsigned char *)"xyz", 3, &err),
                     TC_ECONFLICT);
    assert_string_equal(err.msg,
                        "media file \"villages.csv\" of a published form cannot be replaced");
    assert_int_equal(tc_forms_media_put(f->conn, id, "logo.png", "image/png",
                                        (const unsigned char *)"\x89PNG\0\1", 6, &err),
                     TC_OK); /* a missing file may still be added */
    assert_int_equal(tc_forms_media_get(f->conn, id, "logo.png", f->arena, &m, &err), TC_OK);
    assert_memory_equal(m.bytes, "\x89PNG\0\1", 6);

    assert_int_equal(tc_forms_media_list(f->conn, id, f->arena, &list, &n, &err), TC_OK);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].filename, "logo.png");
    assert_string_equal(list[1].filename, "villages.csv");
    assert_null(list[0].bytes);
    assert_int_equal(list[0].size, 6);
    assert_int_equal(tc_forms_get_by_id(f->conn, id, f->arena, &row, &err), TC_OK);
    assert_int_equal(row.n_media, 2);

    assert_int_equal(tc_forms_media_get(f->conn, id, "none.csv", f->arena, &m, &err), TC_ENOTFOUND);
    assert_int_equal(tc_forms_close(f->conn, "med", "1", TC_FORM_CLOSED, NULL, &err), TC_OK);
    assert_int_equal(tc_forms_media_put(f->conn, id, "late.csv", "text/csv",
                                        (const unsigned char *)"x", 1, &err),
                     TC_ECONFLICT);
    assert_int_equal(tc_forms_media_put(f->conn, 999999, "late.csv", "text/csv",
                                        (const unsigned char *)"x", 1, &err),
                     TC_ENOTFOUND);
}

static void
media_names_are_file_names(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    long long id = add_form(f, "mednames", "1", "<a/>", false);
    static const char *const bad[] = {"../x.csv", "a/b.csv", "a\\b.csv", "..", "", "a\nb"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(tc_forms_media_put(f->conn, id, bad[i], "text/csv",
                                            (const unsigned char *)"x", 1, &err),
                         TC_EINVAL);
    }
    /* and the table refuses them even when asked directly */
    assert_int_equal(exec_status(f, "INSERT INTO form_media (form, filename, content_type, "
                                    "bytes, md5) SELECT id, '../x', 'a', '', md5('') FROM forms "
                                    "WHERE form_id = 'mednames'"),
                     TC_EINVAL);
}

static const char sql_token_row[] =
    "SELECT id, strpos(a::text, $1) > 0 FROM app_users a WHERE token_hash = decode($2, 'hex')";

static void
app_user_token_is_shown_once_and_stored_hashed(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char token[TC_APP_TOKEN_LEN + 1], other[TC_APP_TOKEN_LEN + 1], hex[65];
    unsigned char hash[32];
    struct tc_db_result *res = NULL;
    struct tc_app_user user;
    struct tc_app_user *all = NULL;
    long long id = 0, id2 = 0;
    size_t n = 0;
    bool has = true;

    assert_int_equal(tc_app_user_create(f->conn, "Điện thoại xã Bản Bo", 0, 0, token, &id, &err),
                     TC_OK);
    assert_int_equal(strlen(token), TC_APP_TOKEN_LEN);
    assert_int_equal(
        strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        TC_APP_TOKEN_LEN);
    assert_int_equal(tc_app_user_create(f->conn, "second", 0, 0, other, &id2, &err), TC_OK);
    assert_string_not_equal(token, other);

    assert_int_equal(tc_app_user_lookup(f->conn, token, f->arena, &user, &err), TC_OK);
    assert_int_equal(user.id, id);
    assert_string_equal(user.name, "Điện thoại xã Bản Bo");
    assert_false(user.is_revoked);

    /* the row holds BLAKE2b-256(token), and the token itself nowhere */
    crypto_generichash(hash, sizeof(hash), (const unsigned char *)token, strlen(token), NULL, 0);
    sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
    assert_int_equal(
        tc_db_exec(f->conn, sql_token_row, 2, (const char *[]){token, hex}, f->arena, &res, &err),
        TC_OK);
    assert_int_equal(tc_db_rows(res), 1);
    assert_int_equal(tc_db_int(res, 0, 0, -1), id);
    assert_false(tc_db_bool(res, 0, 1));

    token[0] = token[0] == 'A' ? 'B' : 'A';
    assert_int_equal(tc_app_user_lookup(f->conn, token, f->arena, &user, &err), TC_EFORBIDDEN);
    assert_string_equal(err.msg, "invalid app user token");
    assert_int_equal(tc_app_user_lookup(f->conn, "short", f->arena, &user, &err), TC_EFORBIDDEN);
    assert_int_equal(tc_app_user_lookup(f->conn, "' OR 1=1 --", f->arena, &user, &err),
                     TC_EFORBIDDEN);

    assert_int_equal(tc_app_user_revoke(f->conn, id2, &err), TC_OK);
    assert_int_equal(tc_app_user_lookup(f->conn, other, f->arena, &user, &err), TC_EFORBIDDEN);
    assert_int_equal(tc_app_user_revoke(f->conn, id2, &err), TC_OK);
    assert_int_equal(tc_app_user_revoke(f->conn, 999999, &err), TC_ENOTFOUND);

    assert_int_equal(tc_app_user_assign(f->conn, id, "survey", &err), TC_OK);
    assert_int_equal(tc_app_user_assign(f->conn, id, "survey", &err), TC_OK);
    assert_int_equal(tc_app_user_has_form(f->conn, id, "survey", &has, &err), TC_OK);
    assert_true(has);
    assert_int_equal(tc_app_user_has_form(f->conn, id2, "survey", &has, &err), TC_OK);
    assert_false(has);
    assert_int_equal(tc_app_user_assign(f->conn, 999999, "survey", &err), TC_ENOTFOUND);

    assert_int_equal(tc_app_user_list(f->conn, f->arena, &all, &n, &err), TC_OK);
    assert_true(n >= 2);
    for (size_t i = 0; i < n; i++)
        if (all[i].id == id2)
            assert_true(all[i].is_revoked);
    assert_int_equal(tc_app_user_create(f->conn, "", 0, 0, token, &id, &err), TC_EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(insert_keeps_exact_bytes_and_hashes, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(duplicate_version_is_a_conflict, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(publish_moves_a_draft_once, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(latest_is_the_newest_published_version, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(close_moves_forward_and_hides_from_form_list,
                                        per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(list_filters_by_state_and_app_user, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(media_that_cannot_serve_as_an_instance_are_refused,
                                        per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(media_follow_the_version_state, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(media_names_are_file_names, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(app_user_token_is_shown_once_and_stored_hashed,
                                        per_test_setup, per_test_teardown),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests_name("forms", tests, setup, teardown);
}
