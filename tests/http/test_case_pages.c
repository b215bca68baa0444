/*
 * The case log pages over real loopback HTTP against a real PostgreSQL: a host of a unit
 * (its key granted through the escrow officer's) files two cases of one (fictitious) woman
 * through the JSON API, sees them listed as plain metadata, opens one page (no content
 * before a purpose), gives a purpose and reads it decrypted with the repeat-victim hint and
 * the notice that the read was audited; the audit row exists; a host of another unit gets
 * 404, a reviewer 403 (both audited); the escrow officer of the province opens it too.
 */
#define _GNU_SOURCE /* asprintf */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "auth.h"
#include "http.h"
#include "testhttp.h"
#include "testlib.h"
#include "testvault.h"
#include "tincay/arena.h"
#include "tincay/config.h"
#include "tincay/db.h"
#include "tincay/form.h"
#include "tincay/forms.h"
#include "tincay/keyfile.h"
#include "tincay/password.h"
#include "tincay/strbuf.h"
#include "tincay/units.h"
#include "tincay/users.h"

#define PASSWORD "fictitious horse battery"
#define SECRET   "ZZSECRET-violence-description"
#define VICTIM   "Nguyễn Thị Hư Cấu"
#define FORM_CT  "application/x-www-form-urlencoded"

struct env {
    char conninfo[256];
    char dir[128];
    struct tc_config cfg;
    struct tc_db_pool *pool;
    struct tc_password_gate *gate;
    struct tc_keyring *ring;
    struct tc_auth *auth;
    struct tc_server *srv;
    unsigned int port;
    char commune_a[8], commune_b[8], province_a[4], province_b[4];
    char code1[12], code2[12];
};

static struct env *E;

static void
http(const char *method, const char *path, const struct tc_test_session *s,
     const char *content_type, const char *body, struct tc_test_reply *r)
{
    char cookie[256], csrf[256], type[256];
    const char *headers[5] = {"Accept-Language: en"};
    size_t n = 1;

    if (s != NULL) {
        snprintf(cookie, sizeof(cookie), "Cookie: %s=%s", TC_AUTH_COOKIE, s->token);
        headers[n++] = cookie;
        if (content_type != NULL && strcmp(content_type, FORM_CT) != 0) {
            snprintf(csrf, sizeof(csrf), "%s: %s", TC_AUTH_CSRF_FIELD, s->csrf);
            headers[n++] = csrf;
        }
    }
    if (content_type != NULL) {
        snprintf(type, sizeof(type), "Content-Type: %s", content_type);
        headers[n++] = type;
    }
    tc_test_send(E->port, method, path, headers, body, r);
}

static bool
has(const struct tc_test_reply *r, const char *needle)
{
    return strstr(tc_strbuf_str(&r->body), needle) != NULL;
}

static void
log_in(const char *login, struct tc_test_session *s)
{
    long st = tc_test_session_login(E->port, login, PASSWORD, s);

    if (st != 0)
        fail_msg("login of %s: %ld", login, st);
}

/* The value of the hidden csrf field of a page's form. */
static void
page_csrf(const struct tc_test_reply *r, char *out, size_t size)
{
    const char *p = strstr(tc_strbuf_str(&r->body), "name=\"csrf\"");

    assert_non_null(p);
    p = strstr(p, "value=\"");
    assert_non_null(p);
    p += strlen("value=\"");
    snprintf(out, size, "%.*s", (int)strcspn(p, "\""), p);
}

/* ---- database ---- */

static struct tc_db_conn *
conn_get(void)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire(E->pool, 5000, &err);

    assert_non_null(conn);
    return conn;
}

static long long
sql_int(const char *sql, const char *a, const char *b)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = conn_get();
    struct tc_arena *arena = tc_arena_create(1024);
    const char *params[] = {a, b};
    struct tc_db_result *res;
    long long v;

    if (tc_db_exec_dynamic(conn, sql,
                           b != NULL   ? 2
                           : a != NULL ? 1
                                       : 0,
                           params, arena, &res, &err) != TC_OK)
        fail_msg("%s: %s (%s)", sql, err.msg, err.detail);
    v = tc_db_rows(res) > 0 ? tc_db_int(res, 0, 0, -1) : -1;
    tc_arena_destroy(arena);
    tc_db_release(E->pool, conn);
    return v;
}

static long long
audit_rows(const char *login, const char *action, const char *outcome_and_more)
{
    char sql[320];

    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM audit_log WHERE actor_login = $1 AND action = $2 AND %s",
             outcome_and_more);
    return sql_int(sql, login, action);
}

/* A dctc_case intake of the fictitious VICTIM, born 1990; free text holds SECRET. */
static void
file_case(const struct tc_test_session *s, char *code_out)
{
    char *xml = NULL, uuid[33];
    unsigned char rnd[16];
    struct tc_test_reply r;
    json_t *j;

    randombytes_buf(rnd, sizeof(rnd));
    sodium_bin2hex(uuid, sizeof(uuid), rnd, sizeof(rnd));
    if (asprintf(
            &xml,
            "<data xmlns:jr=\"http://openrosa.org/javarosa\" id=\"dctc_case\" "
            "version=\"2026112901\">"
            "<start>2026-11-20T08:00:00.000+07:00</start><end>2026-11-20T08:30:00.000+07:00</end>"
            "<today>2026-11-20</today><deviceid>browser</deviceid>"
            "<case_code>DC-00000000</case_code><intake_date>2026-11-20</intake_date>"
            "<intake_month>2026-11</intake_month>"
            "<location><admin_era>post2025</admin_era><commune>post2025:%s</commune></location>"
            "<intake><came_via>self</came_via><contact_mode>in_person</contact_mode></intake>"
            "<reporter><reporter_name></reporter_name><reporter_phone></reporter_phone>"
            "</reporter><consent_record>yes</consent_record>"
            "<victim_identity><victim_name>" VICTIM "</victim_name>"
            "<victim_birth_year>1990</victim_birth_year>"
            "<victim_phone>0900000001</victim_phone>"
            "<victim_village>Thôn Giả Định</victim_village>"
            "<victim_address>Số 0 đường Hư Cấu</victim_address></victim_identity>"
            "<victim><victim_sex>female</victim_sex><victim_age>36</victim_age>"
            "<age_band_asked>16_59</age_band_asked><age_band>16_59</age_band>"
            "<victim_ethnicity>01</victim_ethnicity><victim_em>no</victim_em>"
            "<victim_disability>no</victim_disability><victim_pregnant>no</victim_pregnant>"
            "</victim>"
            "<violence><violence_forms>physical mental</violence_forms>"
            "<violence_repeated>yes</violence_repeated><children_present>no</children_present>"
            "<violence_desc>" SECRET "</violence_desc></violence>"
            "<perpetrator><perp_relation>husband</perp_relation><perp_sex>male</perp_sex>"
            "</perpetrator>"
            "<risk><risk_factors>threats</risk_factors><risk_level>high</risk_level></risk>"
            "<services_given><services>counselling</services>"
            "<referral_notes></referral_notes></services_given><notes></notes>"
            "<meta><instanceID>uuid:%s</instanceID></meta></data>",
            E->commune_a, uuid) < 0)
        fail_msg("out of memory");
    http("POST", "/api/v1/cases", s, "application/xml", xml, &r);
    tc_test_expect(&r, 201);
    j = json_loads(tc_strbuf_str(&r.body), 0, NULL);
    assert_non_null(j);
    snprintf(code_out, 12, "%s", json_string_value(json_object_get(j, "case_code")));
    json_decref(j);
    tc_test_reply_free(&r);
    free(xml);
}

/* ---- fixture ---- */

static int
group_setup(void **state)
{
    static struct env env;
    struct tc_test_vault v;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn;
    char key_path[256];

    E = &env;
    snprintf(env.dir, sizeof(env.dir), "/tmp/tc_casepages_XXXXXX");
    if (mkdtemp(env.dir) == NULL)
        return -1;
    if (tc_test_db_open("casepages", 8, env.conninfo, sizeof(env.conninfo), &env.pool, &conn) != 0)
        return -1;
    tc_db_release(env.pool, conn);
    snprintf(key_path, sizeof(key_path), "%s/keys/tincay.keys", env.dir);
    if (tc_keyring_open(key_path, true, &env.ring, &err) != TC_OK)
        return -1;
    env.gate = tc_password_gate_create(4, 0, TC_PASSWORD_MINIMUM, &err);
    env.auth = tc_auth_create(&(struct tc_auth_options){.cost = TC_PASSWORD_MINIMUM}, &err);
    if (env.gate == NULL || env.auth == NULL)
        return -1;
    memset(&env.cfg, 0, sizeof(env.cfg));
    snprintf(env.cfg.listen_host, sizeof(env.cfg.listen_host), "127.0.0.1");
    snprintf(env.cfg.data_dir, sizeof(env.cfg.data_dir), "%s", env.dir);
    env.cfg.threads = 4;
    {
        struct tc_server_options o = {.cfg = &env.cfg,
                                      .pool = env.pool,
                                      .keyring = env.ring,
                                      .auth = env.auth,
                                      .stop_wait_ms = 5000};

        if (tc_server_start(&o, &env.srv, &err) != TC_OK)
            return -1;
    }
    env.port = tc_server_port(env.srv);
    v = (struct tc_test_vault){env.pool, env.gate, PASSWORD};
    tc_test_vault_communes(&v, env.commune_a, env.province_a, env.commune_b, env.province_b);
    tc_test_vault_user(&v, "reviewer_a", TC_ROLE_REVIEWER, env.commune_a, NULL);
    {
        long long escrow_a =
            tc_test_vault_user(&v, "escrow_a", TC_ROLE_ESCROW, NULL, env.province_a);
        long long escrow_b =
            tc_test_vault_user(&v, "escrow_b", TC_ROLE_ESCROW, NULL, env.province_b);
        long long host_a = tc_test_vault_user(&v, "host_a", TC_ROLE_HOST, env.commune_a, NULL);
        long long host_b = tc_test_vault_user(&v, "host_b", TC_ROLE_HOST, env.commune_b, NULL);

        tc_test_vault_unit(&v, "UA", env.commune_a, escrow_a, host_a);
        tc_test_vault_unit(&v, "UB", env.commune_b, escrow_b, host_b);
    }
    tc_test_vault_form(&v, "forms/dctc_case.xml");
    tc_test_vault_form(&v, "forms/dctc_followup.xml");
    *state = &env;
    return 0;
}

static int
group_teardown(void **state)
{
    struct env *env = *state;

    if (env == NULL)
        return 0;
    tc_server_stop(env->srv);
    tc_auth_destroy(env->auth);
    tc_password_gate_destroy(env->gate);
    tc_keyring_close(env->ring);
    tc_test_db_close(env->conninfo, env->pool, NULL);
    return 0;
}

/* ---- tests ---- */

static void
host_lists_the_unit_cases(void **state)
{
    struct tc_test_session host;
    struct tc_test_reply r;
    char link[64];

    (void)state;
    log_in("host_a", &host);
    file_case(&host, E->code1);
    file_case(&host, E->code2);
    http("GET", "/cases", &host, NULL, NULL, &r);
    tc_test_expect(&r, 200);
    snprintf(link, sizeof(link), "href=\"/cases/%s\"", E->code1);
    assert_true(has(&r, link));
    snprintf(link, sizeof(link), "href=\"/cases/%s\"", E->code2);
    assert_true(has(&r, link));
    assert_true(has(&r, "physical mental")); /* a report field */
    assert_true(has(&r, "href=\"/cases\"")); /* the navigation's link */
    assert_false(has(&r, SECRET));
    assert_false(has(&r, "Hư Cấu"));
    tc_test_reply_free(&r);
    assert_true(audit_rows("host_a", "case.list", "outcome = 'ok'") >= 1);
}

static void
case_opens_only_with_a_purpose_and_is_audited(void **state)
{
    struct tc_test_session host;
    struct tc_test_reply r;
    char path[64], csrf[TC_SESSION_TOKEN_MAX], body[256], link[64];
    long long before;

    (void)state;
    log_in("host_a", &host);
    snprintf(path, sizeof(path), "/cases/%s", E->code2);
    before = audit_rows("host_a", "case.read", "outcome = 'ok'");
    http("GET", path, &host, NULL, NULL, &r);
    tc_test_expect(&r, 200);
    assert_true(has(&r, "name=\"purpose\""));
    assert_false(has(&r, SECRET));
    assert_false(has(&r, "Hư Cấu"));
    page_csrf(&r, csrf, sizeof(csrf));
    tc_test_reply_free(&r);
    assert_int_equal(audit_rows("host_a", "case.read", "outcome = 'ok'"), before);

    /* No purpose, or one not in the list: no content, no read. */
    snprintf(body, sizeof(body), "csrf=%s", csrf);
    http("POST", path, &host, FORM_CT, body, &r);
    tc_test_expect(&r, 400);
    assert_false(has(&r, SECRET));
    tc_test_reply_free(&r);
    snprintf(body, sizeof(body), "csrf=%s&purpose=curiosity", csrf);
    http("POST", path, &host, FORM_CT, body, &r);
    tc_test_expect(&r, 400);
    tc_test_reply_free(&r);
    /* No CSRF field: refused. */
    http("POST", path, &host, FORM_CT, "purpose=referral", &r);
    tc_test_expect(&r, 403);
    assert_false(has(&r, SECRET));
    tc_test_reply_free(&r);
    assert_int_equal(audit_rows("host_a", "case.read", "outcome = 'ok'"), before);

    snprintf(body, sizeof(body), "csrf=%s&purpose=referral", csrf);
    http("POST", path, &host, FORM_CT, body, &r);
    tc_test_expect(&r, 200);
    assert_true(has(&r, SECRET));
    assert_true(has(&r, "Hư Cấu"));
    assert_true(has(&r, "This read has been recorded in the audit log (purpose: Referral)."));
    assert_true(has(&r, "Possible earlier cases"));
    snprintf(link, sizeof(link), "href=\"/cases/%s\"", E->code1);
    assert_true(has(&r, link)); /* the earlier case of the same woman */
    assert_true(has(&r, "name and birth year"));
    assert_true(has(&r, "No attachment."));
    assert_true(strstr(tc_strbuf_str(&r.headers), "no-store") != NULL);
    tc_test_reply_free(&r);
    {
        char sql[200];

        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM audit_log WHERE actor_login = 'host_a'"
                 " AND action = 'case.read' AND outcome = 'ok' AND object_id = $1"
                 " AND purpose = $2");
        assert_int_equal(sql_int(sql, E->code2, "referral"), 1);
    }
}

static void
vietnamese_notice(void **state)
{
    struct tc_test_session host;
    struct tc_test_reply r;
    char path[64], csrf[TC_SESSION_TOKEN_MAX], body[256];

    (void)state;
    log_in("host_a", &host);
    snprintf(path, sizeof(path), "/cases/%s?lang=vi", E->code1);
    http("GET", path, &host, NULL, NULL, &r);
    tc_test_expect(&r, 200);
    page_csrf(&r, csrf, sizeof(csrf));
    tc_test_reply_free(&r);
    snprintf(body, sizeof(body), "csrf=%s&purpose=follow-up", csrf);
    snprintf(path, sizeof(path), "/cases/%s", E->code1);
    http("POST", path, &host, FORM_CT, body, &r);
    tc_test_expect(&r, 200);
    assert_true(has(&r, "Lần xem này đã được ghi vào nhật ký kiểm tra (lý do: Theo dõi)."));
    tc_test_reply_free(&r);
    /* Back to English for the other tests' account. */
    http("GET", "/cases?lang=en", &host, NULL, NULL, &r);
    tc_test_reply_free(&r);
}

static void
other_unit_gets_404_reviewer_403(void **state)
{
    struct tc_test_session host_b, reviewer;
    struct tc_test_reply r;
    char path[64];

    (void)state;
    snprintf(path, sizeof(path), "/cases/%s", E->code1);
    log_in("host_b", &host_b);
    http("GET", path, &host_b, NULL, NULL, &r);
    tc_test_expect(&r, 404);
    assert_false(has(&r, SECRET));
    tc_test_reply_free(&r);
    http("GET", "/cases/DC-ffffffff", &host_b, NULL, NULL, &r);
    tc_test_expect(&r, 404);
    tc_test_reply_free(&r);
    http("GET", "/cases", &host_b, NULL, NULL, &r);
    tc_test_expect(&r, 200);
    assert_false(has(&r, E->code1));
    tc_test_reply_free(&r);
    assert_true(audit_rows("host_b", "case.read", "outcome = 'denied'") >= 2);

    log_in("reviewer_a", &reviewer);
    http("GET", "/cases", &reviewer, NULL, NULL, &r);
    tc_test_expect(&r, 403);
    assert_false(has(&r, E->code1));
    assert_false(has(&r, "href=\"/cases\""));
    tc_test_reply_free(&r);
    http("GET", path, &reviewer, NULL, NULL, &r);
    tc_test_expect(&r, 403);
    tc_test_reply_free(&r);
    assert_true(audit_rows("reviewer_a", "case.list", "outcome = 'denied'") >= 1);
    assert_true(audit_rows("reviewer_a", "case.read", "outcome = 'denied'") >= 1);
}

static void
escrow_reads_the_province_case(void **state)
{
    struct tc_test_session escrow;
    struct tc_test_reply r;
    char path[64], csrf[TC_SESSION_TOKEN_MAX], body[256];

    (void)state;
    log_in("escrow_a", &escrow);
    http("GET", "/cases", &escrow, NULL, NULL, &r);
    tc_test_expect(&r, 200);
    assert_true(has(&r, E->code1));
    tc_test_reply_free(&r);
    snprintf(path, sizeof(path), "/cases/%s", E->code1);
    http("GET", path, &escrow, NULL, NULL, &r);
    tc_test_expect(&r, 200);
    page_csrf(&r, csrf, sizeof(csrf));
    tc_test_reply_free(&r);
    snprintf(body, sizeof(body), "csrf=%s&purpose=review", csrf);
    http("POST", path, &escrow, FORM_CT, body, &r);
    tc_test_expect(&r, 200);
    assert_true(has(&r, SECRET));
    assert_false(has(&r, "Possible earlier cases")); /* hints are for the unit's members */
    tc_test_reply_free(&r);
    log_in("escrow_b", &escrow);
    http("GET", path, &escrow, NULL, NULL, &r);
    tc_test_expect(&r, 404);
    tc_test_reply_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(host_lists_the_unit_cases),
        cmocka_unit_test(case_opens_only_with_a_purpose_and_is_audited),
        cmocka_unit_test(vietnamese_notice),
        cmocka_unit_test(other_unit_gets_404_reviewer_403),
        cmocka_unit_test(escrow_reads_the_province_case),
    };

    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return 1;
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
