/* The store's accessors behind the web pages: home counts, the audit listing, language. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "testlib.h"
#include "tincay/arena.h"
#include "tincay/audit.h"
#include "tincay/dashboard.h"
#include "tincay/db.h"
#include "tincay/users.h"

static char conninfo[512];
static struct tc_db_pool *pool;
static struct tc_db_conn *conn;

static int
setup(void **state)
{
    (void)state;
    return tc_test_db_open("dashboard", 2, conninfo, sizeof(conninfo), &pool, &conn);
}

static int
teardown(void **state)
{
    (void)state;
    tc_test_db_close(conninfo, pool, conn);
    return 0;
}

static void
sql(const char *text)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    if (tc_db_exec_simple(conn, text, &err) != TC_OK)
        fail_msg("%s: %s %s", text, err.msg, err.detail);
}

/* Two forms (one draft, one published), users, and submissions in two communes. */
static void
seed(void)
{
    sql("INSERT INTO forms (form_id, version, title, xml, md5, sha256)"
        " VALUES ('draft', '1', 'F', '\\x3c613e'::bytea, repeat('0', 32), repeat('0', 64)),"
        "        ('open', '1', 'F', '\\x3c613e'::bytea, repeat('0', 32), repeat('0', 64))");
    sql("UPDATE forms SET state = 'published', published_at = now() WHERE form_id = 'open'");
    sql("INSERT INTO users (login, role) VALUES ('collector1', 'collector'), ('gone', 'viewer')");
    sql("UPDATE users SET disabled_at = now() WHERE login = 'gone'");
    /* Commune 03388 (province 12): 2 with issues, 1 received, 1 approved, 1 superseded. */
    sql("INSERT INTO submissions (form, form_id, form_version, instance_id, xml, xml_sha256,"
        " review_state, commune_era, commune_code, submitter_id)"
        " SELECT f.id, 'open', '1', 'uuid:' || n, '\\x3c613e'::bytea, repeat('a', 64), st,"
        "        'post2025', '03388', (SELECT id FROM users WHERE login = 'collector1')"
        "   FROM forms f, (VALUES (1, 'hasIssues'), (2, 'hasIssues'), (3, 'received'),"
        "                         (4, 'approved'), (5, 'hasIssues')) v(n, st)"
        "  WHERE f.form_id = 'open'");
    sql("UPDATE submissions SET superseded_by = (SELECT id FROM submissions"
        " WHERE instance_id = 'uuid:1') WHERE instance_id = 'uuid:5'");
    /* Another commune of another province: 1 received, nobody's. */
    sql("INSERT INTO submissions (form, form_id, form_version, instance_id, xml, xml_sha256,"
        " commune_era, commune_code)"
        " SELECT id, 'open', '1', 'uuid:9', '\\x3c613e'::bytea, repeat('b', 64), 'post2025',"
        "        (SELECT code FROM communes WHERE era = 'post2025' AND province_code <> '12'"
        "          ORDER BY code LIMIT 1)"
        "   FROM forms WHERE form_id = 'open'");
}

static void
counts_follow_roles_and_areas(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_dashboard_admin admin;
    struct tc_dashboard_area area;

    (void)state;
    seed();
    assert_int_equal(tc_dashboard_admin(conn, &admin, &err), TC_OK);
    assert_int_equal(admin.forms_draft, 1);
    assert_int_equal(admin.forms_published, 1);
    assert_int_equal(admin.users_enabled, 1);

    assert_int_equal(tc_dashboard_area(conn, "post2025", "03388", "12", &area, &err), TC_OK);
    assert_int_equal(area.has_issues, 2); /* the superseded one no longer counts */
    assert_int_equal(area.received, 1);
    /* An actor of the province (no commune) sees the same; another province sees none of it. */
    assert_int_equal(tc_dashboard_area(conn, NULL, NULL, "12", &area, &err), TC_OK);
    assert_int_equal(area.has_issues, 2);
    assert_int_equal(tc_dashboard_area(conn, "post2025", "", "99", &area, &err), TC_OK);
    assert_int_equal(area.has_issues + area.received, 0);
    /* Nowhere at all: nothing, not everything. */
    assert_int_equal(tc_dashboard_area(conn, NULL, NULL, NULL, &area, &err), TC_OK);
    assert_int_equal(area.has_issues + area.received, 0);
}

static void
collector_counts_only_her_own(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_arena *arena = tc_arena_create(1024);
    struct tc_dashboard_area mine;
    struct tc_user user;

    (void)state;
    assert_int_equal(tc_user_get(conn, "collector1", arena, &user, &err), TC_OK);
    assert_int_equal(tc_dashboard_collector(conn, user.id, &mine, &err), TC_OK);
    assert_int_equal(mine.received, 4); /* sent, not superseded */
    assert_int_equal(mine.has_issues, 2);
    assert_int_equal(tc_dashboard_collector(conn, user.id + 1000, &mine, &err), TC_OK);
    assert_int_equal(mine.received, 0);
    tc_arena_destroy(arena);
}

static void
cases_are_counted_per_unit_or_province(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_dashboard_cases c;

    (void)state;
    sql("INSERT INTO units (code, name, commune_era, commune_code, province_code, public_key)"
        " VALUES ('dc1', 'Unit 1', 'post2025', '03388', '12', decode(repeat('00', 32), 'hex')),"
        "        ('dc2', 'Unit 2', 'post2025', '03388', '12', decode(repeat('11', 32), 'hex'))");
    sql("INSERT INTO cases (unit_id, case_code, form_id, created_at)"
        " SELECT id, 'DC-0000000' || n, 'case', now() - interval '90 days'"
        "   FROM units, (VALUES (1), (2)) v(n) WHERE code = 'dc1'");
    sql("INSERT INTO cases (unit_id, case_code, form_id)"
        " SELECT id, 'DC-0000000a', 'case' FROM units WHERE code = 'dc2'");
    /* A recent follow-up of the first case. */
    sql("INSERT INTO submissions (form, form_id, form_version, instance_id, xml, xml_sha256,"
        " case_code) SELECT id, 'open', '1', 'uuid:f1', '\\x3c613e'::bytea, repeat('c', 64),"
        " 'DC-00000001' FROM forms WHERE form_id = 'open'");
    assert_int_equal(tc_dashboard_cases(conn, 1, NULL, &c, &err), TC_OK);
    assert_int_equal(c.open, 2);
    assert_int_equal(c.quiet, 1);
    assert_int_equal(tc_dashboard_cases(conn, 0, "12", &c, &err), TC_OK);
    assert_int_equal(c.open, 3);
    assert_int_equal(c.quiet, 2);
    assert_int_equal(tc_dashboard_cases(conn, 0, NULL, &c, &err), TC_OK);
    assert_int_equal(c.open, 0);
}

static void
audit_rows_come_newest_first_by_page(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_arena *arena = tc_arena_create(4096);
    struct tc_audit_row *rows;
    size_t n, chained;

    (void)state;
    for (int i = 0; i < 5; i++) {
        char id[8];
        struct tc_audit_event ev = {.actor_kind = "user",
                                    .actor_login = "admin1",
                                    .action = "user.create",
                                    .object_kind = "user",
                                    .object_id = id,
                                    .client_addr = "127.0.0.1"};

        (void)snprintf(id, sizeof(id), "%d", i);
        assert_int_equal(tc_audit_append(conn, &ev, arena, &err), TC_OK);
    }
    assert_int_equal(tc_audit_chain(conn, 3, &chained, &err), TC_OK);
    assert_int_equal(tc_audit_list(conn, 0, 2, arena, &rows, &n, &err), TC_OK);
    assert_int_equal(n, 2);
    assert_true(rows[0].id > rows[1].id);
    assert_string_equal(rows[0].object_id, "4");
    assert_int_equal(rows[0].chain_seq, 0); /* only the 3 oldest were chained */
    assert_string_equal(rows[0].outcome, "ok");
    assert_non_null(strchr(rows[0].at, 'T'));
    assert_int_equal(tc_audit_list(conn, 4, 2, arena, &rows, &n, &err), TC_OK);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].object_id, "0");
    assert_true(rows[0].chain_seq > 0);
    tc_arena_destroy(arena);
}

static void
language_is_stored_per_account(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_arena *arena = tc_arena_create(1024);
    struct tc_user user;

    (void)state;
    assert_int_equal(tc_user_get(conn, "collector1", arena, &user, &err), TC_OK);
    assert_int_equal(user.language, TC_LANG_VI);
    assert_int_equal(tc_user_set_language(conn, user.id, TC_LANG_EN, &err), TC_OK);
    assert_int_equal(tc_user_get(conn, "collector1", arena, &user, &err), TC_OK);
    assert_int_equal(user.language, TC_LANG_EN);
    assert_int_equal(tc_user_set_language(conn, 999999, TC_LANG_EN, &err), TC_ENOTFOUND);
    tc_arena_destroy(arena);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counts_follow_roles_and_areas),
        cmocka_unit_test(collector_counts_only_her_own),
        cmocka_unit_test(cases_are_counted_per_unit_or_province),
        cmocka_unit_test(audit_rows_come_newest_first_by_page),
        cmocka_unit_test(language_is_stored_per_account),
    };

    return cmocka_run_group_tests_name("dashboard", tests, setup, teardown);
}
