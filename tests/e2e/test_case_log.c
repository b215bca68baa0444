/*
 * The confidential case log end to end, over real loopback HTTP against a real PostgreSQL,
 * with two server instances on one database: an escrow officer invites a host (once), the
 * host logs in and files a case, reads it back decrypted with a purpose, adds a follow-up,
 * sees a repeat-victim hint; the unit's phone files a case with a photo and follow-ups
 * through OpenRosa (POST /key/<token>/submission), a member reads both back; a livelihood
 * survey's personal fields are sealed; a cookie made by one instance works on the other; escrow
 * recovery after a password reset; the authorization matrix generated from the policy table
 * (every role × every case endpoint, every denial audited); a plaintext scan of a pg_dump,
 * the key file's folder, the spool, the server log and every answer to other roles; a
 * ciphertext swapped between two cases fails to open; a wrong password unwraps nothing.
 */
#define _GNU_SOURCE /* asprintf */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "auth.h"
#include "http.h"
#include "testhttp.h"
#include "testlib.h"
#include "testvault.h"
#include "tincay/app_users.h"
#include "tincay/arena.h"
#include "tincay/cases.h"
#include "tincay/config.h"
#include "tincay/db.h"
#include "tincay/form.h"
#include "tincay/forms.h"
#include "tincay/keyfile.h"
#include "tincay/password.h"
#include "tincay/strbuf.h"
#include "tincay/units.h"
#include "tincay/users.h"

#define PASSWORD     "correct horse battery"
#define NEW_PASSWORD "a brand new horse staple"
#define MARK         "ZZMARKER-"
#define N_ROLES      11

struct env {
    char conninfo[256];
    char dir[128];
    char log_path[192];
    int saved_stderr;
    struct tc_config cfg;
    struct tc_db_pool *pool, *pool2;
    struct tc_password_gate *gate;
    struct tc_keyring *ring;
    struct tc_auth *auth, *auth2;
    struct tc_server *srv, *srv2;
    unsigned int port, port2;
    char commune_a[8], commune_b[8], province_a[4], province_b[4];
    long long unit_a, unit_b;
    char app_token[TC_APP_TOKEN_LEN + 1];   /* the phone of unit A */
    char loose_token[TC_APP_TOKEN_LEN + 1]; /* an app user bound to no unit */
    struct tc_strbuf others;                /* every answer given to someone outside unit A */
};

static struct env *E;

/* ---- HTTP ---- */

static void
http(unsigned int port, const char *method, const char *path, const struct tc_test_session *s,
     const char *content_type, const char *body, struct tc_test_reply *r)
{
    char cookie[256], csrf[256], type[256];
    const char *headers[4] = {NULL};
    size_t n = 0;

    if (s != NULL) {
        snprintf(cookie, sizeof(cookie), "Cookie: %s=%s", TC_AUTH_COOKIE, s->token);
        snprintf(csrf, sizeof(csrf), "%s: %s", TC_AUTH_CSRF_FIELD, s->csrf);
        headers[n++] = cookie;
        headers[n++] = csrf;
    }
    if (content_type != NULL) {
        snprintf(type, sizeof(type), "Content-Type: %s", content_type);
        headers[n++] = type;
    }
    if (body == NULL && strcmp(method, "POST") == 0)
        body = "";
    tc_test_send(port, method, path, headers, body, r);
}

static void
log_in(const char *login, struct tc_test_session *s)
{
    long st = tc_test_session_login(E->port, login, PASSWORD, s);

    if (st != 0)
        fail_msg("login of %s: %ld", login, st);
}

/* ---- database helpers ---- */

static struct tc_db_conn *
conn_get(void)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire(E->pool, 5000, &err);

    assert_non_null(conn);
    return conn;
}

/* The first value of a query with up to 3 text parameters, as a number. */
static long long
sql_int(const char *sql, const char *a, const char *b, const char *c)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = conn_get();
    struct tc_arena *arena = tc_arena_create(1024);
    const char *params[] = {a, b, c};
    size_t n = c != NULL ? 3 : b != NULL ? 2 : a != NULL ? 1 : 0;
    struct tc_db_result *res;
    long long v;

    if (tc_db_exec_dynamic(conn, sql, n, params, arena, &res, &err) != TC_OK)
        fail_msg("%s: %s (%s)", sql, err.msg, err.detail);
    v = tc_db_rows(res) > 0 ? tc_db_int(res, 0, 0, -1) : -1;
    tc_arena_destroy(arena);
    tc_db_release(E->pool, conn);
    return v;
}

/* ---- the case form ---- */

/*
 * A dctc_case submission: every free-text protected field holds MARK + its name + `tag`,
 * the victim `name` (born 1990) and phone as given. Report fields hold plain categories.
 */
static char *
case_xml(const char *code, const char *name, const char *tag)
{
    char *xml = NULL;
    unsigned char r[16];
    char uuid[33];

    randombytes_buf(r, sizeof(r));
    sodium_bin2hex(uuid, sizeof(uuid), r, sizeof(r));
    if (asprintf(
            &xml,
            "<data xmlns:jr=\"http://openrosa.org/javarosa\" id=\"dctc_case\" "
            "version=\"2026112901\">"
            "<start>2026-11-20T08:00:00.000+07:00</start><end>2026-11-20T08:30:00.000+07:00</end>"
            "<today>2026-11-20</today><deviceid>" MARK "deviceid%s</deviceid>"
            "<case_code>%s</case_code><intake_date>2026-11-20</intake_date>"
            "<intake_month>2026-11</intake_month>"
            "<location><admin_era>post2025</admin_era><commune>post2025:%s</commune></location>"
            "<intake><came_via>self</came_via><contact_mode>in_person</contact_mode></intake>"
            "<reporter><reporter_name>" MARK "reporter_name%s</reporter_name>"
            "<reporter_phone>" MARK "reporter_phone%s</reporter_phone></reporter>"
            "<consent_record>yes</consent_record>"
            "<victim_identity><victim_name>%s</victim_name>"
            "<victim_birth_year>1990</victim_birth_year>"
            "<victim_phone>0912345678</victim_phone>"
            "<victim_village>" MARK "victim_village%s</victim_village>"
            "<victim_address>" MARK "victim_address%s</victim_address></victim_identity>"
            "<victim><victim_sex>female</victim_sex><victim_age>36</victim_age>"
            "<age_band_asked>16_59</age_band_asked><age_band>16_59</age_band>"
            "<victim_ethnicity>01</victim_ethnicity><victim_em>no</victim_em>"
            "<victim_disability>no</victim_disability><victim_pregnant>no</victim_pregnant>"
            "</victim>"
            "<violence><violence_forms>physical mental</violence_forms>"
            "<violence_repeated>yes</violence_repeated><children_present>no</children_present>"
            "<violence_desc>" MARK "violence_desc%s</violence_desc></violence>"
            "<perpetrator><perp_relation>husband</perp_relation><perp_sex>male</perp_sex>"
            "</perpetrator>"
            "<risk><risk_factors>threats</risk_factors><risk_level>high</risk_level></risk>"
            "<services_given><services>counselling</services>"
            "<referral_notes>" MARK "referral_notes%s</referral_notes></services_given>"
            "<notes>" MARK "notes%s</notes>"
            "<meta><instanceID>uuid:%s</instanceID>"
            "<instanceName>Vụ việc %s</instanceName></meta></data>",
            tag, code, E->commune_a, tag, tag, name, tag, tag, tag, tag, tag, uuid, code) < 0)
        fail_msg("out of memory");
    return xml;
}

/* File a case as `s`; its assigned code into `code_out` (12 bytes). */
static void
file_case(const struct tc_test_session *s, const char *code, const char *name, const char *tag,
          char *code_out)
{
    char *xml = case_xml(code, name, tag);
    struct tc_test_reply r;
    json_t *j;

    http(E->port, "POST", "/api/v1/cases", s, "application/xml", xml, &r);
    tc_test_expect(&r, 201);
    j = tc_test_json(&r);
    snprintf(code_out, 12, "%s", json_string_value(json_object_get(j, "case_code")));
    json_decref(j);
    tc_test_reply_free(&r);
    free(xml);
}

/* GET a case as `s` with a purpose: the reply (caller frees). */
static void
read_case(unsigned int port, const struct tc_test_session *s, const char *code,
          struct tc_test_reply *r)
{
    char path[128];

    snprintf(path, sizeof(path), "/api/v1/cases/%s?purpose=review", code);
    http(port, "GET", path, s, NULL, NULL, r);
}

/* POST /key/<token>/submission: the XML and optionally one file. */
static void
post_openrosa(const char *token, const char *xml, const char *file_name, const char *file,
              size_t file_len, struct tc_test_reply *r)
{
    CURL *c = curl_easy_init();
    curl_mime *mime = curl_mime_init(c);
    curl_mimepart *part = curl_mime_addpart(mime);
    struct curl_slist *hdrs = curl_slist_append(NULL, "X-OpenRosa-Version: 1.0");
    char url[256];

    memset(r, 0, sizeof(*r));
    r->body = (struct tc_strbuf)TC_STRBUF_INIT(1u << 20);
    r->headers = (struct tc_strbuf)TC_STRBUF_INIT(1u << 16);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/key/%s/submission", E->port, token);
    curl_mime_name(part, "xml_submission_file");
    curl_mime_filename(part, "submission.xml");
    curl_mime_type(part, "text/xml");
    curl_mime_data(part, xml, CURL_ZERO_TERMINATED);
    if (file_name != NULL) {
        part = curl_mime_addpart(mime);
        curl_mime_name(part, file_name);
        curl_mime_filename(part, file_name);
        curl_mime_type(part, "image/jpeg");
        curl_mime_data(part, file, file_len);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tc_test_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_mime_free(mime);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
}

static long long
submissions_of(const char *form_id)
{
    return sql_int("SELECT count(*) FROM submissions WHERE form_id = $1", form_id, NULL, NULL);
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
    int fd;

    E = &env;
    snprintf(env.dir, sizeof(env.dir), "/tmp/tc_caselog_XXXXXX");
    if (mkdtemp(env.dir) == NULL)
        return -1;
    if (tc_test_db_open("caselog", 8, env.conninfo, sizeof(env.conninfo), &env.pool, &conn) != 0)
        return -1;
    tc_db_release(env.pool, conn);
    env.pool2 = tc_db_pool_create(env.conninfo, 8, &err);
    snprintf(key_path, sizeof(key_path), "%s/keys/tincay.keys", env.dir);
    if (env.pool2 == NULL || tc_keyring_open(key_path, true, &env.ring, &err) != TC_OK)
        return -1;
    /* The servers' log output goes to a file the plaintext scan reads. */
    snprintf(env.log_path, sizeof(env.log_path), "%s/server.log", env.dir);
    fflush(stderr);
    env.saved_stderr = dup(2);
    fd = open(env.log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || dup2(fd, 2) < 0)
        return -1;
    close(fd);
    env.gate = tc_password_gate_create(4, 0, TC_PASSWORD_MINIMUM, &err);
    env.auth = tc_auth_create(&(struct tc_auth_options){.cost = TC_PASSWORD_MINIMUM}, &err);
    env.auth2 = tc_auth_create(&(struct tc_auth_options){.cost = TC_PASSWORD_MINIMUM}, &err);
    if (env.gate == NULL || env.auth == NULL || env.auth2 == NULL)
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
        o.pool = env.pool2;
        o.auth = env.auth2;
        if (tc_server_start(&o, &env.srv2, &err) != TC_OK)
            return -1;
    }
    env.port = tc_server_port(env.srv);
    env.port2 = tc_server_port(env.srv2);
    env.others = (struct tc_strbuf)TC_STRBUF_INIT(1u << 26);

    v = (struct tc_test_vault){env.pool, env.gate, PASSWORD};
    tc_test_vault_communes(&v, env.commune_a, env.province_a, env.commune_b, env.province_b);
    tc_test_vault_user(&v, "admin1", TC_ROLE_ADMIN, NULL, NULL);
    tc_test_vault_user(&v, "collector1", TC_ROLE_COLLECTOR, env.commune_a, NULL);
    tc_test_vault_user(&v, "reviewer1", TC_ROLE_REVIEWER, env.commune_a, NULL);
    tc_test_vault_user(&v, "approver1", TC_ROLE_APPROVER, env.commune_a, NULL);
    tc_test_vault_user(&v, "viewer1", TC_ROLE_VIEWER, env.commune_a, NULL);
    {
        long long escrow_a =
            tc_test_vault_user(&v, "escrow_a", TC_ROLE_ESCROW, NULL, env.province_a);
        long long escrow_b =
            tc_test_vault_user(&v, "escrow_b", TC_ROLE_ESCROW, NULL, env.province_b);
        long long host_b = tc_test_vault_user(&v, "host_b", TC_ROLE_HOST, env.commune_b, NULL);

        tc_test_vault_user(&v, "host_a", TC_ROLE_HOST, env.commune_a, NULL);
        env.unit_a = tc_test_vault_unit(&v, "UA", env.commune_a, escrow_a, 0);
        env.unit_b = tc_test_vault_unit(&v, "UB", env.commune_b, escrow_b, host_b);
    }
    tc_test_vault_form(&v, "forms/dctc_case.xml");
    tc_test_vault_form(&v, "forms/dctc_followup.xml");
    tc_test_vault_form(&v, "forms/livelihood_needs.xml");
    conn = conn_get();
    {
        long long phone = 0, loose = 0;

        if (tc_app_user_create(conn, "phone-a", env.unit_a, 0, env.app_token, &phone, &err) !=
                TC_OK ||
            tc_app_user_assign(conn, phone, "dctc_case", &err) != TC_OK ||
            tc_app_user_assign(conn, phone, "dctc_followup", &err) != TC_OK ||
            tc_app_user_create(conn, "surveyor", 0, 0, env.loose_token, &loose, &err) != TC_OK ||
            tc_app_user_assign(conn, loose, "dctc_case", &err) != TC_OK ||
            tc_app_user_assign(conn, loose, "livelihood_needs", &err) != TC_OK)
            return -1;
    }
    tc_db_release(env.pool, conn);
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
    tc_server_stop(env->srv2);
    tc_auth_destroy(env->auth);
    tc_auth_destroy(env->auth2);
    tc_password_gate_destroy(env->gate);
    tc_keyring_close(env->ring);
    tc_strbuf_cleanup(&env->others);
    tc_db_pool_destroy(env->pool2);
    fflush(stderr);
    if (env->saved_stderr >= 0)
        dup2(env->saved_stderr, 2);
    tc_test_db_close(env->conninfo, env->pool, NULL);
    return 0;
}

/* ---- the whole flow ---- */

static char code1[12], code2[12];

static void
test_invitation_works_once(void **state)
{
    struct tc_test_session escrow, host;
    struct tc_test_reply r;
    char body[256];
    json_t *j;
    const char *secret;

    (void)state;
    log_in("escrow_a", &escrow);
    http(E->port, "POST", "/api/v1/units/UA/invitations", &escrow, NULL, NULL, &r);
    tc_test_expect(&r, 201);
    j = tc_test_json(&r);
    secret = json_string_value(json_object_get(j, "invitation"));
    assert_non_null(secret);
    snprintf(body, sizeof(body),
             "{\"login\": \"host_a\", \"invitation\": \"%s\", \"password\": \"%s\"}", secret,
             PASSWORD);
    json_decref(j);
    tc_test_reply_free(&r);
    http(E->port, "POST", "/api/v1/invitations/redeem", NULL, "application/json", body, &r);
    tc_test_expect(&r, 200);
    tc_test_reply_free(&r);
    http(E->port2, "POST", "/api/v1/invitations/redeem", NULL, "application/json", body, &r);
    tc_test_expect(&r, 401);
    tc_test_reply_free(&r);
    /* A host of another unit cannot invite into unit A: it does not exist for them. */
    log_in("host_b", &host);
    http(E->port, "POST", "/api/v1/units/UA/invitations", &host, NULL, NULL, &r);
    tc_test_expect(&r, 404);
    tc_test_reply_free(&r);
    snprintf(body, sizeof(body), "%lld", E->unit_a);
    assert_int_equal(sql_int("SELECT count(*) FROM unit_keys WHERE holder_kind = 'member'"
                             " AND unit_id = $1::bigint",
                             body, NULL, NULL),
                     1);
    assert_int_equal(
        sql_int("SELECT count(*) FROM invitations WHERE used_at IS NOT NULL", NULL, NULL, NULL), 1);
}

static void
test_case_filed_read_followed_up_hinted(void **state)
{
    struct tc_test_session host;
    struct tc_test_reply r;
    json_t *j, *intake, *fields;
    char *sent, path[160];

    (void)state;
    log_in("host_a", &host);
    file_case(&host, "DC-0000abcd", "Đỗ Thị Đào", "-one", code1);
    assert_string_equal(code1, "DC-0000abcd"); /* the phone's code, free: kept */
    file_case(&host, "DC-0000abcd", "Do Thi  Dao", "-two", code2);
    assert_string_not_equal(code2, code1); /* taken: a fresh one */
    assert_int_equal(strncmp(code2, "DC-", 3), 0);

    /* Read back: the decrypted XML is the one sent. */
    sent = case_xml(code1, "Đỗ Thị Đào", "-one");
    read_case(E->port, &host, code1, &r);
    tc_test_expect(&r, 200);
    j = tc_test_json(&r);
    intake = json_object_get(j, "intake");
    assert_non_null(
        strstr(json_string_value(json_object_get(intake, "xml")), MARK "violence_desc-one"));
    fields = json_object_get(intake, "fields");
    assert_string_equal(
        json_string_value(json_object_get(fields, "/data/victim_identity/victim_name")),
        "Đỗ Thị Đào");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(j, "case"), "report"), "age_band")),
                        "16_59");
    json_decref(j);
    tc_test_reply_free(&r);
    free(sent);

    /* No purpose, no read. */
    snprintf(path, sizeof(path), "/api/v1/cases/%s", code1);
    http(E->port, "GET", path, &host, NULL, NULL, &r);
    tc_test_expect(&r, 400);
    tc_test_reply_free(&r);

    /* A follow-up as JSON. */
    snprintf(path, sizeof(path), "/api/v1/cases/%s/followups", code1);
    http(E->port, "POST", path, &host, "application/json",
         "{\"values\": {\"followup_date\": \"2026-11-25\", \"followup_month\": \"2026-11\","
         " \"contact\": \"yes\", \"notes\": \"" MARK "followup_notes\"}}",
         &r);
    tc_test_expect(&r, 201);
    tc_test_reply_free(&r);
    read_case(E->port, &host, code1, &r);
    tc_test_expect(&r, 200);
    j = tc_test_json(&r);
    assert_int_equal(json_array_size(json_object_get(j, "followups")), 1);
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_array_get(json_object_get(j, "followups"), 0), "fields"),
            "/data/notes")),
        MARK "followup_notes");
    json_decref(j);
    tc_test_reply_free(&r);

    /* Without the session's CSRF token: refused and audited. */
    {
        struct tc_test_session forged = host;
        long long denied = sql_int("SELECT count(*) FROM audit_log WHERE actor_login = 'host_a'"
                                   " AND outcome = 'denied'",
                                   NULL, NULL, NULL);

        snprintf(forged.csrf, sizeof(forged.csrf), "forged");
        http(E->port, "POST", path, &forged, "application/json",
             "{\"values\": {\"contact\": \"yes\"}}", &r);
        tc_test_expect(&r, 403);
        tc_test_reply_free(&r);
        assert_int_equal(sql_int("SELECT count(*) FROM audit_log WHERE actor_login = 'host_a'"
                                 " AND outcome = 'denied'",
                                 NULL, NULL, NULL),
                         denied + 1);
    }

    /* A follow-up to an unknown case: 404, nothing stored. */
    http(E->port, "POST", "/api/v1/cases/DC-ffffffff/followups", &host, "application/json",
         "{\"values\": {\"contact\": \"yes\"}}", &r);
    tc_test_expect(&r, 404);
    tc_test_reply_free(&r);

    /* The second case is the same woman: a hint, confirmed by opening the first. */
    snprintf(path, sizeof(path), "/api/v1/cases/%s/hints", code2);
    http(E->port, "GET", path, &host, NULL, NULL, &r);
    tc_test_expect(&r, 200);
    j = tc_test_json(&r);
    assert_int_equal(json_array_size(json_object_get(j, "possible_earlier_cases")), 1);
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(j, "possible_earlier_cases"), 0), "case_code")),
        code1);
    json_decref(j);
    tc_test_reply_free(&r);

    /* The list: both cases, one follow-up, report fields only. */
    http(E->port, "GET", "/api/v1/cases?limit=10", &host, NULL, NULL, &r);
    tc_test_expect(&r, 200);
    j = tc_test_json(&r);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 2);
    assert_null(strstr(tc_strbuf_str(&r.body), MARK));
    json_decref(j);
    tc_test_reply_free(&r);

    /* Every read is audited with its purpose. */
    assert_true(sql_int("SELECT count(*) FROM audit_log WHERE action = 'case.read'"
                        " AND object_id = $1 AND purpose = 'review' AND outcome = 'ok'",
                        code1, NULL, NULL) >= 2);
}

static char code3[12];

#define PHOTO MARK "photo bytes of the intake, not an image at all"

/* The unit's phone files a case with a photo through OpenRosa; a member reads both back. */
static void
test_case_filed_by_the_units_phone(void **state)
{
    struct tc_test_session host;
    struct tc_test_reply r;
    char *xml = case_xml("DC-0000beef", "Lò Thị Mai", "-three"), path[192], fu[1024];
    char *with_photo;
    json_t *j;
    long long before;

    (void)state;
    /* the photo field names the file */
    assert_true(asprintf(&with_photo, "%.*s<document_photo>photo.jpg</document_photo>%s",
                         (int)(strstr(xml, "<notes>") - xml), xml, strstr(xml, "<notes>")) > 0);
    post_openrosa(E->app_token, with_photo, "photo.jpg", PHOTO, strlen(PHOTO), &r);
    tc_test_expect(&r, 201);
    tc_test_reply_free(&r);
    snprintf(code3, sizeof(code3), "DC-0000beef");
    snprintf(path, sizeof(path), "%lld", E->unit_a);
    assert_int_equal(sql_int("SELECT count(*) FROM cases WHERE case_code = $1 AND unit_id = $2"
                             "::bigint",
                             code3, path, NULL),
                     1);
    /* The phone sends it again (no answer came through): no second case; with the photo
       again: refused, since the stored row's data key is sealed. */
    before = sql_int("SELECT count(*) FROM cases", NULL, NULL, NULL);
    post_openrosa(E->app_token, with_photo, NULL, NULL, 0, &r);
    tc_test_expect(&r, 201);
    tc_test_reply_free(&r);
    post_openrosa(E->app_token, with_photo, "photo.jpg", PHOTO, strlen(PHOTO), &r);
    tc_test_expect(&r, 409);
    tc_test_reply_free(&r);
    assert_int_equal(sql_int("SELECT count(*) FROM cases", NULL, NULL, NULL), before);
    log_in("host_a", &host);
    read_case(E->port, &host, code3, &r);
    tc_test_expect(&r, 200);
    j = tc_test_json(&r);
    assert_int_equal(json_array_size(json_object_get(j, "attachments")), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(j, "attachments"), 0), "name")),
                        "photo.jpg");
    json_decref(j);
    tc_test_reply_free(&r);
    snprintf(path, sizeof(path), "/api/v1/cases/%s/attachments/photo.jpg?purpose=referral", code3);
    http(E->port, "GET", path, &host, NULL, NULL, &r);
    tc_test_expect(&r, 200);
    assert_int_equal(r.body.len, strlen(PHOTO));
    assert_memory_equal(tc_strbuf_str(&r.body), PHOTO, strlen(PHOTO));
    tc_test_reply_free(&r);

    /* A follow-up from the phone, to its unit's case; one to an unknown case stores nothing. */
    snprintf(fu, sizeof(fu),
             "<data id=\"dctc_followup\" version=\"2026112901\"><case_code>%s</case_code>"
             "<followup_date>2026-11-26</followup_date><contact>yes</contact>"
             "<notes>" MARK "phone_followup</notes>"
             "<meta><instanceID>uuid:fu-phone-1</instanceID></meta></data>",
             code3);
    post_openrosa(E->app_token, fu, NULL, NULL, 0, &r);
    tc_test_expect(&r, 201);
    tc_test_reply_free(&r);
    before = submissions_of("dctc_followup");
    snprintf(fu, sizeof(fu),
             "<data id=\"dctc_followup\" version=\"2026112901\"><case_code>DC-12345678"
             "</case_code><contact>yes</contact>"
             "<meta><instanceID>uuid:fu-phone-2</instanceID></meta></data>");
    post_openrosa(E->app_token, fu, NULL, NULL, 0, &r);
    tc_test_expect(&r, 404);
    tc_test_reply_free(&r);
    assert_int_equal(submissions_of("dctc_followup"), before);

    /* An app user bound to no unit cannot file a case: 403, nothing stored. */
    before = submissions_of("dctc_case");
    free(xml);
    xml = case_xml("DC-0000cafe", "Lò Thị Mai", "-loose");
    post_openrosa(E->loose_token, xml, NULL, NULL, 0, &r);
    tc_test_expect(&r, 403);
    tc_test_reply_free(&r);
    assert_int_equal(submissions_of("dctc_case"), before);
    free(xml);
    free(with_photo);
}

/* A livelihood survey whose members' names and phones are `personal`. */
static void
test_personal_survey_sealed(void **state)
{
    struct tc_test_reply r;
    char xml[4096];

    (void)state;
    snprintf(xml, sizeof(xml),
             "<data id=\"livelihood_needs\" version=\"2026112901\">"
             "<survey_date>2026-11-20</survey_date><consent>yes</consent>"
             "<respondent><respondent_name>" MARK "respondent_name</respondent_name>"
             "<respondent_role>leader</respondent_role>"
             "<respondent_phone>" MARK "respondent_phone</respondent_phone></respondent>"
             "<location><admin_era>post2025</admin_era><commune>post2025:%s</commune>"
             "</location>"
             "<roster><roster_consent>yes</roster_consent>"
             "<member><member_name>" MARK "member_name_1</member_name>"
             "<member_phone>" MARK "member_phone_1</member_phone><member_sex>female</member_sex>"
             "<member_disability>none</member_disability></member>"
             "<member><member_name>" MARK "member_name_2</member_name>"
             "<member_phone>" MARK "member_phone_2</member_phone><member_sex>female</member_sex>"
             "<member_disability>" MARK "member_disability_2</member_disability></member>"
             "<roster_count>2</roster_count></roster>"
             "<meta><instanceID>uuid:survey-personal-1</instanceID></meta></data>",
             E->commune_a);
    post_openrosa(E->loose_token, xml, NULL, NULL, 0, &r);
    tc_test_expect(&r, 201);
    tc_test_reply_free(&r);
    assert_int_equal(sql_int("SELECT count(*) FROM submissions WHERE form_id = "
                             "'livelihood_needs' AND xml IS NULL AND key_id <> 'unit'",
                             NULL, NULL, NULL),
                     1);
}

static void
test_cookie_works_on_another_instance(void **state)
{
    struct tc_test_session host;
    struct tc_test_reply r;
    long long keys_before;

    (void)state;
    log_in("host_a", &host);
    read_case(E->port2, &host, code1, &r);
    tc_test_expect(&r, 200);
    tc_test_reply_free(&r);
    /* Logout on the second instance deletes the session's wrapped unit key with it. */
    keys_before = sql_int("SELECT count(*) FROM session_unit_keys", NULL, NULL, NULL);
    assert_true(keys_before > 0);
    http(E->port2, "DELETE", "/api/v1/session", &host, NULL, NULL, &r);
    tc_test_expect(&r, 204);
    tc_test_reply_free(&r);
    assert_int_equal(sql_int("SELECT count(*) FROM session_unit_keys", NULL, NULL, NULL),
                     keys_before - 1);
    read_case(E->port, &host, code1, &r);
    tc_test_expect(&r, 401);
    tc_test_reply_free(&r);
}

static void
test_escrow_recovery(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    const struct tc_vault_kdf kdf = {.gate = E->gate, .cost = TC_PASSWORD_MINIMUM};
    struct tc_db_conn *conn = conn_get();
    struct tc_test_session host, escrow;
    struct tc_unit_key *key = NULL;
    struct tc_test_reply r;
    bool deleted = false;
    long long host_id = sql_int("SELECT id FROM users WHERE login = 'host_a'", NULL, NULL, NULL);

    (void)state;
    /* A wrong password unwraps nothing. */
    assert_int_equal(
        tc_unit_key_open_member(conn, &kdf, E->unit_a, host_id, "wrong password", 14, &key, &err),
        TC_EUNAUTH);
    assert_null(key);
    /* The host forgot the password: the admin resets it, and the member wrap goes. */
    assert_int_equal(tc_vault_password_reset(conn, host_id, &deleted, &err), TC_OK);
    assert_true(deleted);
    assert_int_equal(
        tc_user_set_password(conn, E->gate, "host_a", NEW_PASSWORD, strlen(NEW_PASSWORD), &err),
        TC_OK);
    tc_db_release(E->pool, conn);
    assert_int_equal(tc_test_session_login(E->port, "host_a", NEW_PASSWORD, &host), 0);
    read_case(E->port, &host, code1, &r);
    tc_test_expect(&r, 403); /* logged in, but the session holds no unit key */
    tc_test_reply_free(&r);
    /* The escrow officer recovers the member's access under the new password. */
    log_in("escrow_a", &escrow);
    http(E->port, "POST", "/api/v1/units/UA/recover", &escrow, "application/json",
         "{\"login\": \"host_a\", \"password\": \"" NEW_PASSWORD "\"}", &r);
    tc_test_expect(&r, 200);
    tc_test_reply_free(&r);
    assert_int_equal(tc_test_session_login(E->port, "host_a", NEW_PASSWORD, &host), 0);
    read_case(E->port, &host, code1, &r);
    tc_test_expect(&r, 200);
    tc_test_reply_free(&r);
    /* The escrow officer reads it too, through the escrow seal. */
    read_case(E->port, &escrow, code1, &r);
    tc_test_expect(&r, 200);
    tc_test_reply_free(&r);
    /* Back to the common password for the tests that follow. */
    conn = conn_get();
    assert_int_equal(tc_vault_password_change(conn, &kdf, host_id, NEW_PASSWORD,
                                              strlen(NEW_PASSWORD), PASSWORD, strlen(PASSWORD),
                                              &err),
                     TC_OK);
    assert_int_equal(
        tc_user_set_password(conn, E->gate, "host_a", PASSWORD, strlen(PASSWORD), &err), TC_OK);
    tc_db_release(E->pool, conn);
}

/* ---- the authorization matrix ---- */

struct actor {
    const char *login; /* NULL: the app user (no account, no cookie) */
    enum tc_role role;
    long long unit_id;
    const char *province;
};

enum endpoint { EP_LIST, EP_AGGREGATE, EP_READ, EP_ATTACHMENT, EP_FOLLOWUP, EP_HINTS, EP_COUNT };

static const struct {
    const char *method, *path, *rest; /* a record's path: path + case code + rest */
    enum tc_action action;
    bool record; /* about one case */
} endpoints[EP_COUNT] = {
    [EP_LIST] = {"GET", "/api/v1/cases", NULL, TC_ACT_CASE_LIST, false},
    [EP_AGGREGATE] = {"GET", "/api/v1/cases/aggregate?by=sex,month", NULL, TC_ACT_CASE_AGGREGATE,
                      false},
    [EP_READ] = {"GET", "/api/v1/cases/", "?purpose=review", TC_ACT_CASE_READ, true},
    [EP_ATTACHMENT] = {"GET", "/api/v1/cases/", "/attachments/photo.jpg?purpose=review",
                       TC_ACT_CASE_READ, true},
    [EP_FOLLOWUP] = {"POST", "/api/v1/cases/", "/followups", TC_ACT_CASE_FOLLOWUP, true},
    [EP_HINTS] = {"GET", "/api/v1/cases/", "/hints", TC_ACT_CASE_READ, true},
};

/* The status the policy table implies for `a` on endpoint `ep` about a case of unit A. */
static long
expected_status(const struct actor *a, enum endpoint ep)
{
    struct tc_policy_subject who = {.user_id = 1, .unit_id = a->unit_id, .province = a->province};
    struct tc_policy_object own = {.unit_id = a->unit_id, .province = a->province};
    struct tc_policy_object case_a = {.unit_id = E->unit_a, .province = E->province_a};
    enum tc_action act = endpoints[ep].action;

    if (a->login == NULL)
        return 401; /* the JSON API knows no app-user token */
    if (tc_policy_scope(a->role, act) == TC_SCOPE_DENIED)
        return 403;
    if (!endpoints[ep].record)
        return tc_policy_allows(a->role, act, &who, &own) ? 200 : 403;
    if (!tc_policy_allows(a->role, act, &who, &case_a))
        return 404;
    if (ep == EP_HINTS && a->role != TC_ROLE_HOST)
        return 403;
    return ep == EP_FOLLOWUP ? 201 : 200;
}

static long long
audit_denials(const struct actor *a)
{
    if (a->login == NULL)
        return sql_int("SELECT count(*) FROM audit_log WHERE actor_kind = 'anonymous'"
                       " AND outcome = 'denied' AND action LIKE 'case.%'",
                       NULL, NULL, NULL);
    return sql_int("SELECT count(*) FROM audit_log WHERE actor_login = $1 AND outcome = 'denied'",
                   a->login, NULL, NULL);
}

static void
test_authorization_matrix(void **state)
{
    char province_a[4], province_b[4];
    const struct actor actors[N_ROLES] = {
        {"admin1", TC_ROLE_ADMIN, 0, NULL},
        {"collector1", TC_ROLE_COLLECTOR, 0, province_a},
        {"host_a", TC_ROLE_HOST, E->unit_a, province_a},
        {"host_b", TC_ROLE_HOST, E->unit_b, province_b},
        {"escrow_a", TC_ROLE_ESCROW, 0, province_a},
        {"escrow_b", TC_ROLE_ESCROW, 0, province_b},
        {"reviewer1", TC_ROLE_REVIEWER, 0, province_a},
        {"approver1", TC_ROLE_APPROVER, 0, province_a},
        {"viewer1", TC_ROLE_VIEWER, 0, province_a},
        {NULL, TC_ROLE_APP_USER, E->unit_a, NULL},
        {NULL, TC_ROLE_APP_USER, 0, NULL},
    };

    (void)state;
    snprintf(province_a, sizeof(province_a), "%s", E->province_a);
    snprintf(province_b, sizeof(province_b), "%s", E->province_b);
    for (size_t i = 0; i < N_ROLES; i++) {
        const struct actor *a = &actors[i];
        struct tc_test_session s;

        if (a->login != NULL)
            log_in(a->login, &s);
        for (int ep = 0; ep < EP_COUNT; ep++) {
            char path[192];
            long want = expected_status(a, (enum endpoint)ep);
            long long before = audit_denials(a);
            struct tc_test_reply r;

            snprintf(path, sizeof(path), "%s%s%s", endpoints[ep].path,
                     !endpoints[ep].record ? ""
                     : ep == EP_ATTACHMENT ? code3
                                           : code1,
                     endpoints[ep].record ? endpoints[ep].rest : "");
            http(E->port, endpoints[ep].method, path, a->login ? &s : NULL,
                 ep == EP_FOLLOWUP ? "application/json" : NULL,
                 ep == EP_FOLLOWUP ? "{\"values\": {\"contact\": \"no\"}}" : NULL, &r);
            if (r.status != want)
                fail_msg("%s (%s) %s %s: expected %ld, got %ld: %s",
                         a->login ? a->login : "app user", tc_role_name(a->role),
                         endpoints[ep].method, path, want, r.status, tc_strbuf_str(&r.body));
            if (want == 401 || want == 403 || want == 404) {
                if (audit_denials(a) <= before)
                    fail_msg("%s %s %s: denial %ld without an audit row",
                             a->login ? a->login : "app user", endpoints[ep].method, path, want);
            }
            /* lists and counts out of unit A's reach say nothing of its cases */
            if (!endpoints[ep].record && expected_status(a, EP_READ) != 200 &&
                (strstr(tc_strbuf_str(&r.body), code1) != NULL ||
                 strstr(tc_strbuf_str(&r.body), "\"UA\"") != NULL))
                fail_msg("%s %s shows unit A: %s", a->login ? a->login : "app user", path,
                         tc_strbuf_str(&r.body));
            if (a->role != TC_ROLE_HOST || a->unit_id != E->unit_a)
                if (a->role != TC_ROLE_ESCROW || strcmp(a->province, E->province_a) != 0)
                    tc_strbuf_append(&E->others, tc_strbuf_str(&r.body), r.body.len);
            tc_test_reply_free(&r);
        }
    }
}

/* ---- aggregates ---- */

static void
test_aggregate_suppresses_small_cells(void **state)
{
    struct tc_test_session host;
    struct tc_test_reply r;
    json_t *j, *cells;
    size_t i;
    json_t *c;

    (void)state;
    log_in("host_a", &host);
    http(E->port, "GET", "/api/v1/cases/aggregate?by=form_of_violence,sex", &host, NULL, NULL, &r);
    tc_test_expect(&r, 200);
    j = tc_test_json(&r);
    cells = json_object_get(j, "cells");
    assert_true(json_array_size(cells) > 0);
    json_array_foreach(cells, i, c)
    {
        /* two cases only: every cell is below 5 and hidden */
        assert_true(json_is_null(json_object_get(c, "count")));
        assert_true(json_is_true(json_object_get(c, "suppressed")));
    }
    assert_true(json_is_null(json_object_get(j, "total")));
    json_decref(j);
    tc_test_reply_free(&r);
    http(E->port, "GET", "/api/v1/cases/aggregate?by=religion", &host, NULL, NULL, &r);
    tc_test_expect(&r, 400);
    tc_test_reply_free(&r);

    /* Five more women and one man: the man's cell is below k, and the women's would give
       it away (total minus women), so both are hidden while the total shows. */
    for (int k = 0; k < 6; k++) {
        char tag[16], *xml, *sex;

        snprintf(tag, sizeof(tag), "-agg%d", k);
        xml = case_xml("DC-00000000", "Hà Thị Lan", tag);
        if (k == 5) { /* "<victim_sex>female" becomes "<victim_sex>male" */
            sex = strstr(xml, "<victim_sex>female") + strlen("<victim_sex>");
            memmove(sex, sex + 2, strlen(sex + 2) + 1);
        }
        http(E->port, "POST", "/api/v1/cases", &host, "application/xml", xml, &r);
        tc_test_expect(&r, 201);
        tc_test_reply_free(&r);
        free(xml);
    }
    http(E->port, "GET", "/api/v1/cases/aggregate?by=sex", &host, NULL, NULL, &r);
    tc_test_expect(&r, 200);
    j = tc_test_json(&r);
    assert_int_equal(json_integer_value(json_object_get(j, "total")),
                     sql_int("SELECT count(*) FROM cases", NULL, NULL, NULL));
    cells = json_object_get(j, "cells");
    assert_int_equal(json_array_size(cells), 2);
    json_array_foreach(cells, i, c) assert_true(json_is_true(json_object_get(c, "suppressed")));
    json_decref(j);
    tc_test_reply_free(&r);
    http(E->port, "GET", "/api/v1/cases/aggregate?by=month", &host, NULL, NULL, &r);
    tc_test_expect(&r, 200);
    j = tc_test_json(&r);
    cells = json_object_get(j, "cells");
    assert_int_equal(json_array_size(cells), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(cells, 0), "count")),
                     sql_int("SELECT count(*) FROM cases", NULL, NULL, NULL));
    json_decref(j);
    tc_test_reply_free(&r);
}

/* ---- plaintext scan ---- */

static bool
buffer_has(const char *buf, size_t len, const char *needle)
{
    size_t n = strlen(needle);

    for (size_t i = 0; n <= len && i + n <= len; i++)
        if (memcmp(buf + i, needle, n) == 0)
            return true;
    return false;
}

/* Whether the file holds `needle`, plainly or hex-encoded (as bytea in a dump). */
static bool
file_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    struct tc_strbuf sb = TC_STRBUF_INIT(1u << 28);
    char buf[65536], hex[512];
    size_t n;
    bool hit;

    if (f == NULL)
        return false;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        tc_strbuf_append(&sb, buf, n);
    fclose(f);
    sodium_bin2hex(hex, sizeof(hex), (const unsigned char *)needle, strlen(needle));
    hit = buffer_has(tc_strbuf_str(&sb), sb.len, needle) ||
          buffer_has(tc_strbuf_str(&sb), sb.len, hex);
    tc_strbuf_cleanup(&sb);
    return hit;
}

/* Every regular file below `dir` lacks the markers. */
static void
scan_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char path[512];
        struct stat st;

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (lstat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            scan_dir(path);
        else if (S_ISREG(st.st_mode) && file_has(path, MARK))
            fail_msg("%s holds a marker in plaintext", path);
    }
    closedir(d);
}

static void
test_plaintext_scan(void **state)
{
    char cmd[768], dump[256], keys[256];

    (void)state;
    snprintf(dump, sizeof(dump), "%s/dump.sql", E->dir);
    snprintf(cmd, sizeof(cmd), "pg_dump --no-owner -d '%s' > '%s' 2>/dev/null", E->conninfo, dump);
    assert_int_equal(system(cmd), 0);
    assert_true(sql_int("SELECT count(*) FROM submissions WHERE xml_sealed IS NOT NULL", NULL, NULL,
                        NULL) >= 3);
    if (file_has(dump, MARK))
        fail_msg("the database dump holds a marker in plaintext");
    /* the scan sees what is plain: report fields and case codes are */
    assert_true(file_has(dump, "16_59"));
    assert_true(file_has(dump, code1));
    unlink(dump);
    snprintf(keys, sizeof(keys), "%s/keys", E->dir);
    scan_dir(keys);
    snprintf(keys, sizeof(keys), "%s/spool", E->dir);
    scan_dir(keys);
    fflush(stderr);
    if (file_has(E->log_path, MARK))
        fail_msg("the server log holds a marker");
    if (buffer_has(tc_strbuf_str(&E->others), E->others.len, MARK))
        fail_msg("an answer to another role holds a marker");
    assert_true(E->others.len > 0);
}

/* ---- ciphertexts moved between rows ---- */

static void
test_swapped_ciphertext_fails(void **state)
{
    struct tc_test_session host;
    struct tc_test_reply r;
    char a[24], b[24];

    (void)state;
    snprintf(a, sizeof(a), "%lld",
             sql_int("SELECT submission FROM cases WHERE case_code = $1", code1, NULL, NULL));
    snprintf(b, sizeof(b), "%lld",
             sql_int("SELECT submission FROM cases WHERE case_code = $1", code2, NULL, NULL));
    assert_int_equal(sql_int("WITH x AS (SELECT id, xml_sealed FROM submissions"
                             "  WHERE id IN ($1::bigint, $2::bigint)),"
                             " u AS (UPDATE submissions s SET xml_sealed = x.xml_sealed FROM x"
                             "  WHERE x.id <> s.id AND s.id IN ($1::bigint, $2::bigint)"
                             "  RETURNING s.id) SELECT count(*) FROM u",
                             a, b, NULL),
                     2);
    log_in("host_a", &host);
    read_case(E->port, &host, code1, &r);
    tc_test_expect(&r, 500);
    assert_null(strstr(tc_strbuf_str(&r.body), MARK));
    tc_test_reply_free(&r);
    assert_true(sql_int("SELECT count(*) FROM audit_log WHERE action = 'case.read'"
                        " AND object_id = $1 AND outcome = 'failed'",
                        code1, NULL, NULL) >= 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invitation_works_once),
        cmocka_unit_test(test_case_filed_read_followed_up_hinted),
        cmocka_unit_test(test_case_filed_by_the_units_phone),
        cmocka_unit_test(test_personal_survey_sealed),
        cmocka_unit_test(test_cookie_works_on_another_instance),
        cmocka_unit_test(test_escrow_recovery),
        cmocka_unit_test(test_authorization_matrix),
        cmocka_unit_test(test_aggregate_suppresses_small_cells),
        cmocka_unit_test(test_plaintext_scan),
        cmocka_unit_test(test_swapped_ciphertext_fails),
    };

    if (sodium_init() < 0)
        return 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return cmocka_run_group_tests_name("case log", tests, group_setup, group_teardown);
}
