/*
 * ODK Collect's whole conversation with tincay, over real HTTP (libcurl, as Collect's
 * OkHttp sends it) against a real PostgreSQL: formList → download → manifest → media →
 * HEAD → POST with attachments → duplicate → conflict → split upload → edit; every corpus
 * form and paired corpus submission; every bad input refused in well under a second with
 * nothing stored; rule breaks stored as findings; app-user scope and revocation; URLs from
 * TINCAY_PUBLIC_URL only; messages in Vietnamese by default and English when asked.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "auth.h"
#include "form_admin.h"
#include "form_cache.h"
#include "housekeeping.h"
#include "http.h"
#include "testhttp.h"
#include "testlib.h"
#include "tincay/app_users.h"
#include "tincay/arena.h"
#include "tincay/config.h"
#include "tincay/db.h"
#include "tincay/form.h"
#include "tincay/forms.h"
#include "tincay/keyfile.h"
#include "tincay/migrate.h"
#include "tincay/password.h"
#include "tincay/rules.h"
#include "tincay/strbuf.h"
#include "tincay/users.h"

#define PUBLIC_URL "https://collect.example.vn"
#define FAST_MS    1000.0

struct env {
    char conninfo[256];
    char data_dir[64];
    char shared[1024];
    struct tc_config cfg;
    struct tc_db_pool *pool;
    struct tc_server *srv;
    struct tc_auth *auth;
    struct tc_keyring *keyring;
    struct tc_form_cache *forms;
    unsigned int port;
    PGconn *pg;
    char token[TC_APP_TOKEN_LEN + 1]; /* assigned every form the tests load */
    long long app_user;
};

static struct env env;

/* ---- helpers ---- */

/*
 * One request as Collect makes it (X-OpenRosa-Version, a Date in Collect's odd 12-hour
 * format that must never be validated). `parts` makes it multipart/form-data; `raw` with
 * `raw_type` sends a body as is. `extra` is one more header or NULL.
 */
static void
request(const char *method, const char *path, const struct tc_test_part *parts, size_t n_parts,
        const char *raw, size_t raw_len, const char *raw_type, const char *extra,
        struct tc_test_reply *r)
{
    char type[256];
    const char *headers[6] = {"X-OpenRosa-Version: 1.0",
                              "Date: Sun, 29 Nov 2026 02:15:00 GMT+07:00", "Expect:"};
    size_t n = 3;
    const bool head = strcmp(method, "HEAD") == 0;

    if (extra != NULL)
        headers[n++] = extra;
    if (!head && parts == NULL && raw != NULL) {
        snprintf(type, sizeof(type), "Content-Type: %s", raw_type);
        headers[n++] = type;
    }
    tc_test_http(env.port,
                 &(struct tc_test_request){.method = method,
                                           .path = path,
                                           .headers = headers,
                                           .body = head || parts != NULL ? NULL : raw,
                                           .body_len = raw_len,
                                           .parts = head ? NULL : parts,
                                           .n_parts = n_parts},
                 r);
}

static void
get(const char *path, const char *extra, struct tc_test_reply *r)
{
    request("GET", path, NULL, 0, NULL, 0, NULL, extra, r);
}

/* "/key/<token>" + rest, in a static buffer per call. */
static const char *
keyed(const char *token, const char *rest)
{
    static char buf[4][1024];
    static int i;

    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]), "/key/%s%s", token, rest);
    return buf[i];
}

/* The text of the first <tag> after `from` in `xml`, into out; NULL when absent. */
static const char *
element(const char *xml, const char *tag, char *out, size_t size)
{
    char open[64], close[64];
    const char *a, *b;

    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    if ((a = strstr(xml, open)) == NULL || (b = strstr(a, close)) == NULL)
        return NULL;
    a += strlen(open);
    snprintf(out, size, "%.*s", (int)(b - a), a);
    return b;
}

/* The <xform> block of `form_id` in a formList body, or NULL. */
static const char *
xform_block(const char *list, const char *form_id)
{
    char want[300];

    snprintf(want, sizeof(want), "<formID>%s</formID>", form_id);
    return strstr(list, want);
}

static char *
read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (f == NULL)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static const char *
corpus(const char *rel)
{
    static char buf[4][1200];
    static int i;

    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]), "%s/corpus/%s", env.shared, rel);
    return buf[i];
}

static long long
count(const char *sql)
{
    PGresult *res = PQexec(env.pg, sql);
    long long n;

    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(env.pg));
    n = atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    return n;
}

static char *
query1(const char *sql, const char *param)
{
    PGresult *res = PQexecParams(env.pg, sql, param != NULL ? 1 : 0, NULL, &param, NULL, NULL, 0);
    char *v;

    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        fail_msg("%s: %s", sql, PQerrorMessage(env.pg));
    v = strdup(PQgetisnull(res, 0, 0) ? "" : PQgetvalue(res, 0, 0));
    PQclear(res);
    return v;
}

/* md5 of bytes, computed by PostgreSQL (libsodium has none). */
static char *
md5_hex(const void *data, size_t len)
{
    const char *vals[1] = {data};
    int lens[1] = {(int)len}, fmts[1] = {1};
    PGresult *res = PQexecParams(env.pg, "SELECT md5($1::bytea)", 1, NULL, vals, lens, fmts, 0);
    char *v;

    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    v = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return v;
}

/* Store a form as `tincay form add` does, publish it, and assign it to the app user. */
static enum tc_status
add_form(const char *xml, size_t len, struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(8192);
    struct tc_db_conn *conn = tc_db_acquire(env.pool, 5000, err);
    struct tc_form_row row;
    enum tc_status st = conn != NULL ? TC_OK : err->status;

    if (st == TC_OK)
        st = tc_form_admin_add(conn, (const unsigned char *)xml, len, true, 0, arena, &row, err);
    if (st == TC_OK)
        st = tc_app_user_assign(conn, env.app_user, row.form_id, err);
    tc_db_release(env.pool, conn);
    tc_arena_destroy(arena);
    return st;
}

static void
add_corpus_form(const char *file)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    size_t len;
    char *xml = read_file(corpus(file), &len);
    enum tc_status st = add_form(xml, len, &err);

    if (st != TC_OK && st != TC_ECONFLICT)
        fail_msg("%s: %s", file, err.msg);
    free(xml);
}

static void
add_media(const char *form_id, const char *file)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_arena *arena = tc_arena_create(8192);
    struct tc_db_conn *conn = tc_db_acquire(env.pool, 5000, &err);
    struct tc_form_row row;
    size_t len;
    char *bytes = read_file(corpus(file), &len);
    const char *base = strrchr(file, '/') + 1;

    assert_non_null(conn);
    assert_int_equal(tc_form_admin_newest(conn, form_id, arena, &row, &err), TC_OK);
    assert_int_equal(tc_forms_media_put(conn, row.id, base, tc_form_admin_media_type(base),
                                        (const unsigned char *)bytes, len, &err),
                     TC_OK);
    tc_db_release(env.pool, conn);
    tc_arena_destroy(arena);
    free(bytes);
}

static void
new_app_user(const char *name, char token[TC_APP_TOKEN_LEN + 1], long long *id)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire(env.pool, 5000, &err);

    assert_non_null(conn);
    assert_int_equal(tc_app_user_create(conn, name, 0, 0, token, id, &err), TC_OK);
    tc_db_release(env.pool, conn);
}

static void
assert_openrosa(const struct tc_test_reply *r, long status)
{
    if (r->status != status)
        fail_msg("expected %ld, got %ld: %s", status, r->status, tc_strbuf_str(&r->body));
    assert_non_null(tc_test_header_value(r, "X-OpenRosa-Version"));
    assert_string_equal(tc_test_header_value(r, "X-OpenRosa-Version"), "1.0");
    if (status != 204 && status != 200)
        assert_non_null(strstr(tc_strbuf_str(&r->body),
                               "<OpenRosaResponse xmlns=\"http://openrosa.org/http/response\""));
}

static void
post_xml(const char *token, const char *xml, const struct tc_test_part *files, size_t n_files,
         const char *extra, struct tc_test_reply *r)
{
    struct tc_test_part parts[8];

    assert_true(n_files < 8);
    parts[0] = (struct tc_test_part){"xml_submission_file", "submission.xml", "text/xml", xml,
                                     strlen(xml)};
    for (size_t i = 0; i < n_files; i++)
        parts[i + 1] = files[i];
    request("POST", keyed(token, "/submission?deviceID=collect%3Atest"), parts, n_files + 1, NULL,
            0, NULL, extra, r);
}

/* ---- fixtures ---- */

static int
setup(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_server_options opts = {0};
    struct tc_db_conn *conn;
    const char *shared = getenv("TINCAY_SHARED_DIR");
    char buf[1024];

    (void)state;
    if (shared != NULL && shared[0] != '\0')
        snprintf(env.shared, sizeof(env.shared), "%s", shared);
    else
        snprintf(env.shared, sizeof(env.shared), "%s",
                 tc_test_source_path("../shared", buf, sizeof(buf)));
    tc_test_db_create("collect_flow", env.conninfo, sizeof(env.conninfo));
    if (sodium_init() < 0 || (env.pool = tc_db_pool_create(env.conninfo, 6, &err)) == NULL)
        return -1;
    if ((conn = tc_db_acquire(env.pool, 5000, &err)) == NULL ||
        tc_migrate(conn, NULL, &err) != TC_OK)
        return -1;
    tc_db_release(env.pool, conn);
    if ((env.pg = PQconnectdb(env.conninfo)) == NULL || PQstatus(env.pg) != CONNECTION_OK)
        return -1;
    snprintf(env.data_dir, sizeof(env.data_dir), "/tmp/tincay-e2e-XXXXXX");
    if (mkdtemp(env.data_dir) == NULL)
        return -1;
    snprintf(env.cfg.listen_host, sizeof(env.cfg.listen_host), "127.0.0.1");
    snprintf(env.cfg.public_url, sizeof(env.cfg.public_url), "%s", PUBLIC_URL);
    snprintf(env.cfg.data_dir, sizeof(env.cfg.data_dir), "%s", env.data_dir);
    env.cfg.threads = 4;
    env.cfg.log_level = TC_LOG_WARNING;
    tc_log_set_level(TC_LOG_WARNING);
    if ((env.auth = tc_auth_create(&(struct tc_auth_options){.gate_wait_ms = 60000}, &err)) == NULL)
        return -1;
    snprintf(buf, sizeof(buf), "%s/server.key", env.data_dir);
    if (tc_keyring_open(buf, true, &env.keyring, &err) != TC_OK)
        return -1;
    opts.cfg = &env.cfg;
    opts.pool = env.pool;
    opts.auth = env.auth;
    opts.keyring = env.keyring;
    if ((env.forms = tc_form_cache_create(64, &err)) == NULL)
        return -1;
    opts.forms = env.forms;
    if (tc_server_start(&opts, &env.srv, &err) != TC_OK) {
        fprintf(stderr, "tc_server_start: %s\n", err.msg);
        return -1;
    }
    env.port = tc_server_port(env.srv);
    new_app_user("Chị Lan", env.token, &env.app_user);
    return 0;
}

static int
teardown(void **state)
{
    char cmd[128];

    (void)state;
    tc_server_stop(env.srv);
    tc_auth_destroy(env.auth);
    tc_keyring_close(env.keyring);
    tc_form_cache_destroy(env.forms);
    PQfinish(env.pg);
    tc_db_pool_destroy(env.pool);
    tc_test_db_drop(env.conninfo);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", env.data_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- tests ---- */

static const char binary_both[] =
    "<data id=\"binaryType\"><meta><instanceID>both</instanceID></meta>"
    "<file1>my_file1.mp4</file1><file2>here_is_file2.jpg</file2></data>";

/* formList → download → manifest → media → HEAD, exactly as Collect walks them. */
static void
collect_downloads_forms_and_media(void **state)
{
    struct tc_test_reply r, d, m, f;
    char url[1024], hash[128], *md5;
    const char *block, *prefix;
    size_t len, plen;
    char *file;

    (void)state;
    add_corpus_form("xforms/central-binary-type.xml");
    add_corpus_form("xforms/javarosa-external-select-csv.xml");
    add_media("external-select-csv", "xforms/media/external-data.csv");

    /* The Host header says otherwise: URLs still come from TINCAY_PUBLIC_URL. */
    get(keyed(env.token, "/formList?deviceID=collect%3Atest"), "Host: evil.example:666", &r);
    assert_openrosa(&r, 200);
    assert_non_null(strstr(tc_test_header_value(&r, "Content-Type"), "text/xml"));
    assert_null(strstr(tc_strbuf_str(&r.body), "evil.example"));
    block = xform_block(tc_strbuf_str(&r.body), "binaryType");
    assert_non_null(block);
    assert_non_null(element(block, "downloadUrl", url, sizeof(url)));
    assert_non_null(element(block, "hash", hash, sizeof(hash)));
    prefix = keyed(env.token, "");
    plen = strlen(PUBLIC_URL);
    assert_memory_equal(url, PUBLIC_URL, plen);
    assert_memory_equal(url + plen, prefix, strlen(prefix));

    /* Download: the exact stored bytes, whose md5 is the listed hash. */
    get(url + plen, NULL, &d);
    assert_int_equal(d.status, 200);
    file = read_file(corpus("xforms/central-binary-type.xml"), &len);
    assert_int_equal(d.body.len, len);
    assert_memory_equal(tc_strbuf_str(&d.body), file, len);
    md5 = md5_hex(file, len);
    assert_true(strncmp(hash, "md5:", 4) == 0);
    assert_string_equal(hash + 4, md5);
    free(md5);
    free(file);

    /* A form without media has no manifestUrl; one with media has, and serves it. */
    {
        const char *end = strstr(block, "</xform>");
        const char *man = strstr(block, "<manifestUrl>");

        assert_true(man == NULL || man > end);
    }
    block = xform_block(tc_strbuf_str(&r.body), "external-select-csv");
    assert_non_null(block);
    assert_non_null(element(block, "manifestUrl", url, sizeof(url)));
    get(url + plen, NULL, &m);
    assert_openrosa(&m, 200);
    assert_non_null(strstr(tc_strbuf_str(&m.body), "xformsManifest"));
    assert_non_null(element(tc_strbuf_str(&m.body), "filename", hash, sizeof(hash)));
    assert_string_equal(hash, "external-data.csv");
    assert_non_null(element(tc_strbuf_str(&m.body), "hash", hash, sizeof(hash)));
    assert_non_null(element(tc_strbuf_str(&m.body), "downloadUrl", url, sizeof(url)));
    get(url + plen, NULL, &f);
    assert_int_equal(f.status, 200);
    file = read_file(corpus("xforms/media/external-data.csv"), &len);
    assert_int_equal(f.body.len, len);
    assert_memory_equal(tc_strbuf_str(&f.body), file, len);
    md5 = md5_hex(file, len);
    assert_string_equal(hash + 4, md5);
    assert_string_equal(tc_test_header_value(&f, "Content-Type"), "text/csv");
    free(md5);
    free(file);
    tc_test_reply_free(&r);
    tc_test_reply_free(&d);
    tc_test_reply_free(&m);
    tc_test_reply_free(&f);

    /* ?formID= lists that form only. */
    get(keyed(env.token, "/formList?formID=binaryType"), NULL, &r);
    assert_openrosa(&r, 200);
    assert_non_null(xform_block(tc_strbuf_str(&r.body), "binaryType"));
    assert_null(xform_block(tc_strbuf_str(&r.body), "external-select-csv"));
    tc_test_reply_free(&r);

    /* HEAD /submission: 204 with the accepted length; anonymous at the root: 401 + Basic. */
    request("HEAD", keyed(env.token, "/submission"), NULL, 0, NULL, 0, NULL, NULL, &r);
    assert_openrosa(&r, 204);
    assert_string_equal(tc_test_header_value(&r, "X-OpenRosa-Accept-Content-Length"), "52428800");
    tc_test_reply_free(&r);
    request("HEAD", "/submission", NULL, 0, NULL, 0, NULL, NULL, &r);
    assert_int_equal(r.status, 401);
    assert_non_null(tc_test_header_value(&r, "X-OpenRosa-Version"));
    assert_true(strncmp(tc_test_header_value(&r, "WWW-Authenticate"), "Basic ", 6) == 0);
    tc_test_reply_free(&r);
    get("/formList", NULL, &r);
    assert_openrosa(&r, 401);
    assert_true(strncmp(tc_test_header_value(&r, "WWW-Authenticate"), "Basic ", 6) == 0);
    tc_test_reply_free(&r);
}

/* POST with attachments → duplicate → conflict → split upload → edit → unknown edit. */
static void
collect_submits_with_attachments(void **state)
{
    static const char video[] = "not really a video";
    static const char jpeg[] = "\xff\xd8\xff\xe0 jpeg bytes";
    const struct tc_test_part both[] = {
        {"my_file1.mp4", "my_file1.mp4", "video/mp4", video, sizeof(video) - 1},
        {"here_is_file2.jpg", "here_is_file2.jpg", "image/jpeg", jpeg, sizeof(jpeg) - 1},
        {"unexpected.txt", "unexpected.txt", "text/plain", "x", 1},
    };
    struct tc_test_reply r;
    char *v;

    (void)state;
    add_corpus_form("xforms/central-binary-type.xml");
    post_xml(env.token, binary_both, both, 3, NULL, &r);
    assert_openrosa(&r, 201);
    tc_test_reply_free(&r);
    assert_int_equal(count("SELECT count(*) FROM submissions WHERE instance_id = 'both'"), 1);
    assert_int_equal(count("SELECT count(*) FROM submission_attachments a JOIN submissions s "
                           "ON s.id = a.submission WHERE s.instance_id = 'both' "
                           "AND a.bytes IS NOT NULL"),
                     2);
    assert_int_equal(count("SELECT count(*) FROM submission_attachments WHERE name = "
                           "'unexpected.txt'"),
                     0);
    v = query1("SELECT encode(bytes, 'escape') FROM submission_attachments a JOIN submissions s "
               "ON s.id = a.submission WHERE s.instance_id = 'both' AND a.name = 'my_file1.mp4'",
               NULL);
    assert_string_equal(v, video);
    free(v);

    /* The same XML again: 201, nothing new. */
    post_xml(env.token, binary_both, both, 2, NULL, &r);
    assert_openrosa(&r, 201);
    tc_test_reply_free(&r);
    assert_int_equal(count("SELECT count(*) FROM submissions WHERE form_id = 'binaryType'"), 1);

    /* Other XML under the same instance id: 409, nothing stored. */
    post_xml(env.token,
             "<data id=\"binaryType\"><meta><instanceID>both</instanceID></meta>"
             "<file1>other.mp4</file1></data>",
             NULL, 0, NULL, &r);
    assert_openrosa(&r, 409);
    tc_test_reply_free(&r);
    assert_int_equal(count("SELECT count(*) FROM submissions WHERE form_id = 'binaryType'"), 1);

    /* Split upload: the first file with *isIncomplete*, then the same XML with the rest. */
    {
        static const char split[] =
            "<data id=\"binaryType\"><meta><instanceID>split</instanceID></meta>"
            "<file1>my_file1.mp4</file1><file2>here_is_file2.jpg</file2></data>";
        const struct tc_test_part first[] = {both[0], {"*isIncomplete*", NULL, NULL, "yes", 3}};

        post_xml(env.token, split, first, 2, NULL, &r);
        assert_openrosa(&r, 201);
        tc_test_reply_free(&r);
        v = query1("SELECT is_complete FROM submissions WHERE instance_id = 'split'", NULL);
        assert_string_equal(v, "f");
        free(v);
        post_xml(env.token, split, &both[1], 1, NULL, &r);
        assert_openrosa(&r, 201);
        tc_test_reply_free(&r);
        v = query1("SELECT is_complete FROM submissions WHERE instance_id = 'split'", NULL);
        assert_string_equal(v, "t");
        free(v);
        assert_int_equal(count("SELECT count(*) FROM submission_attachments a JOIN submissions s "
                               "ON s.id = a.submission WHERE s.instance_id = 'split' "
                               "AND a.bytes IS NOT NULL"),
                         2);
    }

    /* An edit: a new instance deprecating "both", which keeps its files. */
    post_xml(env.token,
             "<data id=\"binaryType\"><meta><instanceID>both-2</instanceID>"
             "<deprecatedID>both</deprecatedID></meta>"
             "<file1>my_file1.mp4</file1><file2>here_is_file2.jpg</file2></data>",
             NULL, 0, NULL, &r);
    assert_openrosa(&r, 201);
    tc_test_reply_free(&r);
    v = query1("SELECT review_state FROM submissions WHERE instance_id = 'both-2'", NULL);
    assert_string_equal(v, "edited");
    free(v);
    assert_int_equal(count("SELECT count(*) FROM submissions o JOIN submissions n "
                           "ON o.superseded_by = n.id WHERE o.instance_id = 'both' "
                           "AND n.instance_id = 'both-2'"),
                     1);

    /* Editing an instance that never existed: 404. */
    post_xml(env.token,
             "<data id=\"binaryType\"><meta><instanceID>x-2</instanceID>"
             "<deprecatedID>never-was</deprecatedID></meta></data>",
             NULL, 0, NULL, &r);
    assert_openrosa(&r, 404);
    tc_test_reply_free(&r);
    assert_int_equal(count("SELECT count(*) FROM submissions WHERE instance_id = 'x-2'"), 0);
}

/* The submission's form: the corpus file name up to "--". */
static void
corpus_form_of(const char *submission, char *out, size_t size)
{
    const char *sep = strstr(submission, "--");

    snprintf(out, size, "xforms/%.*s.xml", (int)(sep - submission), submission);
}

static int
skip_dots(const struct dirent *e)
{
    return e->d_name[0] != '.' && strstr(e->d_name, ".xml") != NULL;
}

/* After a submission its version's model is kept, found by the row without its XML. */
static void
submitted_versions_stay_loaded(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire(env.pool, 5000, &err);
    struct tc_arena *arena = tc_arena_create(1024);
    struct tc_form_row row;
    char sha0;

    (void)state;
    assert_non_null(conn);
    assert_int_equal(tc_forms_get_head(conn, "binaryType", "", arena, &row, &err), TC_OK);
    assert_null(row.xml);
    assert_non_null(tc_form_cache_find(env.forms, &row));
    sha0 = row.sha256[0];
    row.sha256[0] = sha0 == '0' ? '1' : '0'; /* other bytes: another model */
    assert_null(tc_form_cache_find(env.forms, &row));
    row.sha256[0] = sha0;
    row.state = TC_FORM_DRAFT; /* drafts are never kept */
    assert_null(tc_form_cache_find(env.forms, &row));
    assert_int_equal(tc_forms_get_head(conn, "binaryType", "nope", arena, &row, &err),
                     TC_ENOTFOUND);
    tc_arena_destroy(arena);
    tc_db_release(env.pool, conn);
}

/* Every corpus form loads or is refused with a reason; every paired submission is stored. */
static void
corpus_forms_and_submissions_are_stored(void **state)
{
    struct dirent **names = NULL;
    int n = scandir(corpus("xforms"), &names, skip_dots, alphasort);
    int loaded = 0, stored = 0;

    (void)state;
    assert_true(n > 30);
    for (int i = 0; i < n; i++) {
        struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
        char rel[512];
        size_t len;
        char *xml;
        enum tc_status st;

        snprintf(rel, sizeof(rel), "xforms/%s", names[i]->d_name);
        xml = read_file(corpus(rel), &len);
        st = add_form(xml, len, &err);
        if (st == TC_OK || st == TC_ECONFLICT)
            loaded++;
        else
            printf("# refused %s: %s\n", names[i]->d_name, err.msg);
        assert_true(st == TC_OK || st == TC_ECONFLICT || (st == TC_EINVAL && err.msg[0] != '\0'));
        free(xml);
        free(names[i]);
    }
    free(names);
    printf("# %d of %d corpus forms loaded\n", loaded, n);
    assert_true(loaded >= n - 3);

    n = scandir(corpus("submissions"), &names, skip_dots, alphasort);
    assert_true(n >= 16);
    for (int i = 0; i < n; i++) {
        char rel[512], form[512];
        size_t len;
        char *xml;
        struct tc_test_reply r;
        struct tc_test_part files[] = {
            {"audit.csv", "audit.csv", "text/csv", "event,node\n", 11},
            {"submission.xml.enc", "submission.xml.enc", NULL, "enc", 3}};

        snprintf(rel, sizeof(rel), "submissions/%s", names[i]->d_name);
        corpus_form_of(names[i]->d_name, form, sizeof(form));
        xml = read_file(corpus(rel), &len);
        post_xml(env.token, xml, files, 2, NULL, &r);
        if (r.status != 201)
            fail_msg("%s → %ld: %s", names[i]->d_name, r.status, tc_strbuf_str(&r.body));
        assert_openrosa(&r, 201);
        stored++;
        tc_test_reply_free(&r);
        free(xml);
        free(names[i]);
    }
    free(names);
    printf("# %d corpus submissions stored\n", stored);
    assert_int_equal(count("SELECT count(*) FROM submissions WHERE instance_id IN "
                           "('one', 'two', 'three', 'double')") > 0,
                     1);
}

/* Each bad input: a 4xx OpenRosa answer in well under a second, and nothing stored. */
static void
bad_inputs_are_refused_fast_and_store_nothing(void **state)
{
    static const char good_head[] = "--XyZ\r\nContent-Disposition: form-data; "
                                    "name=\"xml_submission_file\"; filename=\"s.xml\"\r\n"
                                    "Content-Type: text/xml\r\n\r\n";
    struct {
        const char *what, *xml; /* xml: wrapped in a proper multipart body */
        const char *raw, *type; /* else: this body with this content type */
        long status;
    } cases[] = {
        {"malformed XML", "<data id=\"simple\"><meta><instanceID>m</instanceID></meta><name>", NULL,
         NULL, 400},
        {"DOCTYPE/XXE",
         "<?xml version=\"1.0\"?><!DOCTYPE data [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
         "<data id=\"simple\"><meta><instanceID>xxe</instanceID></meta><name>&x;</name></data>",
         NULL, NULL, 400},
        {"billion laughs",
         "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
         "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
         "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"
         "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">"
         "<!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">]>"
         "<data id=\"simple\"><meta><instanceID>lol</instanceID></meta><name>&lol5;</name></data>",
         NULL, NULL, 400},
        {"invalid UTF-8",
         "<data id=\"simple\"><meta><instanceID>utf</instanceID></meta><name>\xc3\x28\xff</name>"
         "</data>",
         NULL, NULL, 400},
        {"unknown form", "<data id=\"no-such-form\"><meta><instanceID>u</instanceID></meta></data>",
         NULL, NULL, 404},
        {"unknown version",
         "<data id=\"simple\" version=\"99\"><meta><instanceID>v</instanceID></meta></data>", NULL,
         NULL, 404},
        {"truncated multipart", NULL,
         "--XyZ\r\nContent-Disposition: form-data; name=\"xml_submission_file\"; "
         "filename=\"s.xml\"\r\n\r\n<data id=\"simple\"><meta><instanceID>t</instanceID>",
         "multipart/form-data; boundary=XyZ", 400},
        {"no boundary", NULL, "<data id=\"simple\"/>", "multipart/form-data", 400},
        {"no xml_submission_file", NULL,
         "--XyZ\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nhello\r\n--XyZ--\r\n",
         "multipart/form-data; boundary=XyZ", 400},
        {"wrong content type", NULL, "<data id=\"simple\"/>", "text/xml", 415},
    };
    long long before;

    (void)state;
    add_corpus_form("xforms/central-simple.xml");
    before = count("SELECT count(*) FROM submissions");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tc_test_reply r;

        if (cases[i].xml != NULL) {
            struct tc_strbuf body = TC_STRBUF_INIT(1u << 20);

            tc_strbuf_appends(&body, good_head);
            tc_strbuf_appends(&body, cases[i].xml);
            tc_strbuf_appends(&body, "\r\n--XyZ--\r\n");
            request("POST", keyed(env.token, "/submission"), NULL, 0, tc_strbuf_str(&body),
                    body.len, "multipart/form-data; boundary=XyZ", NULL, &r);
            tc_strbuf_cleanup(&body);
        } else {
            request("POST", keyed(env.token, "/submission"), NULL, 0, cases[i].raw,
                    strlen(cases[i].raw), cases[i].type, NULL, &r);
        }
        if (r.status != cases[i].status)
            fail_msg("%s: expected %ld, got %ld: %s", cases[i].what, cases[i].status, r.status,
                     tc_strbuf_str(&r.body));
        assert_openrosa(&r, cases[i].status);
        assert_non_null(strstr(tc_strbuf_str(&r.body), "nature=\"error\""));
        if (r.ms >= FAST_MS)
            fail_msg("%s took %.0f ms", cases[i].what, r.ms);
        tc_test_reply_free(&r);
    }
    assert_int_equal(count("SELECT count(*) FROM submissions"), before);
}

/* A body over the advertised limit: 413 from its Content-Length, before any byte is read. */
static void
oversize_body_is_413(void **state)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)env.port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    char req[1024], resp[4096] = "";
    ssize_t got, total = 0;
    struct timespec t0, t1;

    (void)state;
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    snprintf(req, sizeof(req),
             "POST /key/%s/submission HTTP/1.1\r\nHost: x\r\nX-OpenRosa-Version: 1.0\r\n"
             "Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 60000000\r\n\r\n"
             "--XyZ\r\n",
             env.token);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_true(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
    shutdown(fd, SHUT_WR);
    while ((got = read(fd, resp + total, sizeof(resp) - 1 - (size_t)total)) > 0)
        total += got;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    close(fd);
    assert_true(strncmp(resp, "HTTP/1.1 413", 12) == 0);
    assert_non_null(strstr(resp, "X-OpenRosa-Version: 1.0"));
    assert_non_null(strstr(resp, "<OpenRosaResponse"));
    assert_true((t1.tv_sec - t0.tv_sec) < 1);
}

static const char rules_form[] =
    "<h:html xmlns=\"http://www.w3.org/2002/xforms\" xmlns:h=\"http://www.w3.org/1999/xhtml\" "
    "xmlns:jr=\"http://openrosa.org/javarosa\"><h:head><h:title>Rules</h:title><model>"
    "<instance><data id=\"rules\" version=\"1\"><name/><age/><members/><kind/>"
    "<meta><instanceID/></meta></data></instance>"
    "<bind nodeset=\"/data/name\" type=\"string\" required=\"true()\"/>"
    "<bind nodeset=\"/data/age\" type=\"int\"/>"
    "<bind nodeset=\"/data/members\" type=\"int\" constraint=\". &gt;= 5\" "
    "jr:constraintMsg=\"at least 5 members\"/>"
    "<bind nodeset=\"/data/kind\" type=\"select1\"/>"
    "<bind nodeset=\"/data/meta/instanceID\" type=\"string\" readonly=\"true()\"/>"
    "</model></h:head><h:body><input ref=\"/data/name\"/><input ref=\"/data/age\"/>"
    "<input ref=\"/data/members\"/><select1 ref=\"/data/kind\">"
    "<item><label>A</label><value>a</value></item><item><label>B</label><value>b</value></item>"
    "</select1></h:body></h:html>";

/* Breaking each kind of rule: stored, with one finding per rule, and hasIssues. */
static void
rule_breaks_are_stored_as_findings(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_test_reply r;
    char *v;

    (void)state;
    assert_int_equal(add_form(rules_form, strlen(rules_form), &err), TC_OK);
    post_xml(env.token,
             "<data id=\"rules\" version=\"1\"><name></name><age>abc</age><members>2</members>"
             "<kind>z</kind><meta><instanceID>uuid:rules-1</instanceID></meta></data>",
             NULL, 0, "Accept-Language: en", &r);
    assert_openrosa(&r, 201);
    if (strstr(tc_strbuf_str(&r.body), "break the form&apos;s rules") == NULL)
        fail_msg("%s", tc_strbuf_str(&r.body));
    tc_test_reply_free(&r);
    v = query1("SELECT review_state FROM submissions WHERE instance_id = 'uuid:rules-1'", NULL);
    assert_string_equal(v, "hasIssues");
    free(v);
    v = query1("SELECT string_agg(f.rule || '@' || f.field, ',' ORDER BY f.rule) FROM findings f "
               "JOIN submissions s ON s.id = f.submission WHERE s.instance_id = 'uuid:rules-1'",
               NULL);
    assert_non_null(strstr(v, "required@/data/name"));
    assert_non_null(strstr(v, "type@/data/age"));
    assert_non_null(strstr(v, "constraint@/data/members"));
    assert_non_null(strstr(v, "choice@/data/kind"));
    free(v);
    v = query1("SELECT f.message FROM findings f JOIN submissions s ON s.id = f.submission "
               "WHERE s.instance_id = 'uuid:rules-1' AND f.rule = 'constraint'",
               NULL);
    assert_string_equal(v, "at least 5 members");
    free(v);

    /* A clean one: received. */
    post_xml(env.token,
             "<data id=\"rules\" version=\"1\"><name>Tổ dệt thổ cẩm</name><age>34</age>"
             "<members>7</members><kind>a</kind><meta><instanceID>uuid:rules-2</instanceID></meta>"
             "</data>",
             NULL, 0, NULL, &r);
    assert_openrosa(&r, 201);
    tc_test_reply_free(&r);
    v = query1("SELECT review_state FROM submissions WHERE instance_id = 'uuid:rules-2'", NULL);
    assert_string_equal(v, "received");
    free(v);
}

/* A village list in a CSV file of the form's media (jr://file-csv), as phones get it. */
static const char villages_form[] =
    "<h:html xmlns=\"http://www.w3.org/2002/xforms\" xmlns:h=\"http://www.w3.org/1999/xhtml\">"
    "<h:head><h:title>Villages</h:title><model>"
    "<instance><data id=\"villages\" version=\"1\"><commune/><village/><village_text/>"
    "<meta><instanceID/></meta></data></instance>"
    "<instance id=\"list\" src=\"jr://file-csv/villages.csv\"/>"
    "<bind nodeset=\"/data/commune\" type=\"string\" required=\"true()\"/>"
    "<bind nodeset=\"/data/village\" type=\"select1\" required=\"true()\""
    " relevant=\"count(instance('list')/root/item[commune = /data/commune]) &gt; 0\"/>"
    "<bind nodeset=\"/data/village_text\" type=\"string\" required=\"true()\""
    " relevant=\"count(instance('list')/root/item[commune = /data/commune]) = 0\"/>"
    "</model></h:head><h:body><input ref=\"/data/commune\"><label>c</label></input>"
    "<select1 ref=\"/data/village\"><label>v</label>"
    "<itemset nodeset=\"instance('list')/root/item[commune = /data/commune]\">"
    "<value ref=\"name\"/><label ref=\"label\"/></itemset></select1>"
    "<input ref=\"/data/village_text\"><label>t</label></input></h:body></h:html>";

/* The findings of submission `instance` as "rule@field,...", "" for none. */
static char *
findings_of(const char *instance)
{
    return query1("SELECT coalesce(string_agg(f.rule || '@' || f.field, ',' ORDER BY f.field), '')"
                  " FROM submissions s LEFT JOIN findings f ON f.submission = s.id"
                  " WHERE s.instance_id = $1",
                  instance);
}

static void
post_village(const char *instance, const char *village)
{
    struct tc_test_reply r;
    char xml[512];

    snprintf(xml, sizeof(xml),
             "<data id=\"villages\" version=\"1\"><commune>03390</commune><village>%s</village>"
             "<village_text/><meta><instanceID>%s</instanceID></meta></data>",
             village, instance);
    post_xml(env.token, xml, NULL, 0, NULL, &r);
    assert_openrosa(&r, 201);
    tc_test_reply_free(&r);
}

/*
 * The form's CSV media take part in validation: choices and relevance over them, with a
 * filter on the submission's own answer. A file added to the published version counts from
 * the next submission (the server's kept model is loaded again).
 */
static void
csv_media_take_part_in_validation(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn;
    struct tc_form_row row;
    struct tc_arena *arena = tc_arena_create(4096);
    static const char csv[] = "name,label,commune\nban_hon,Bản Hon,03390\nna_tam,Nà Tăm,03400\n";
    char *v;

    (void)state;
    assert_int_equal(add_form(villages_form, strlen(villages_form), &err), TC_OK);
    /* before the file: as a phone without it, the commune seems to have no village */
    post_village("uuid:village-1", "ban_hon");
    v = findings_of("uuid:village-1");
    assert_string_equal(v, "required@/data/village_text");
    free(v);

    conn = tc_db_acquire(env.pool, 5000, &err);
    assert_non_null(conn);
    assert_int_equal(tc_form_admin_newest(conn, "villages", arena, &row, &err), TC_OK);
    assert_int_equal(tc_forms_media_put(conn, row.id, "villages.csv", "text/csv",
                                        (const unsigned char *)csv, strlen(csv), &err),
                     TC_OK);
    tc_db_release(env.pool, conn);
    tc_arena_destroy(arena);

    post_village("uuid:village-2", "ban_hon");
    v = findings_of("uuid:village-2");
    assert_string_equal(v, "");
    free(v);
    post_village("uuid:village-3", "ban_khac"); /* not in the file */
    v = findings_of("uuid:village-3");
    assert_string_equal(v, "choice@/data/village");
    free(v);
}

/* App users see and submit to their forms only; a revoked token is refused at once. */
static void
app_user_scope_and_revocation(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char token[TC_APP_TOKEN_LEN + 1];
    long long id;
    struct tc_test_reply r;
    struct tc_db_conn *conn;

    (void)state;
    add_corpus_form("xforms/central-simple.xml");
    add_corpus_form("xforms/central-binary-type.xml");
    new_app_user("Chị Hoa", token, &id);
    conn = tc_db_acquire(env.pool, 5000, &err);
    assert_int_equal(tc_app_user_assign(conn, id, "simple", &err), TC_OK);
    tc_db_release(env.pool, conn);

    get(keyed(token, "/formList"), NULL, &r);
    assert_openrosa(&r, 200);
    assert_non_null(xform_block(tc_strbuf_str(&r.body), "simple"));
    assert_null(xform_block(tc_strbuf_str(&r.body), "binaryType"));
    tc_test_reply_free(&r);

    get(keyed(token, "/forms/binaryType/v/form.xml"), NULL, &r);
    assert_openrosa(&r, 403);
    tc_test_reply_free(&r);
    post_xml(token, binary_both, NULL, 0, NULL, &r);
    assert_openrosa(&r, 403);
    tc_test_reply_free(&r);

    /* An assignment counts from the next request on. */
    conn = tc_db_acquire(env.pool, 5000, &err);
    assert_int_equal(tc_app_user_assign(conn, id, "binaryType", &err), TC_OK);
    tc_db_release(env.pool, conn);
    get(keyed(token, "/forms/binaryType/v/form.xml"), NULL, &r);
    assert_openrosa(&r, 200);
    tc_test_reply_free(&r);
    get(keyed(token, "/formList"), NULL, &r);
    assert_non_null(xform_block(tc_strbuf_str(&r.body), "binaryType"));
    tc_test_reply_free(&r);

    conn = tc_db_acquire(env.pool, 5000, &err);
    assert_int_equal(tc_app_user_revoke(conn, id, &err), TC_OK);
    tc_db_release(env.pool, conn);
    get(keyed(token, "/formList"), NULL, &r);
    assert_openrosa(&r, 403);
    tc_test_reply_free(&r);
    request("HEAD", keyed(token, "/submission"), NULL, 0, NULL, 0, NULL, NULL, &r);
    assert_int_equal(r.status, 403);
    tc_test_reply_free(&r);
    get(keyed("not-a-token", "/formList"), NULL, &r);
    assert_openrosa(&r, 403);
    tc_test_reply_free(&r);
}

/* Messages: Vietnamese by default, English when asked. */
static void
messages_follow_accept_language(void **state)
{
    static const char xml[] = "<data id=\"nope\"><meta><instanceID>l</instanceID></meta></data>";
    struct tc_test_reply vi, en;

    (void)state;
    post_xml(env.token, xml, NULL, 0, NULL, &vi);
    post_xml(env.token, xml, NULL, 0, "Accept-Language: en-GB,en;q=0.8", &en);
    assert_openrosa(&vi, 404);
    assert_openrosa(&en, 404);
    assert_non_null(strstr(tc_strbuf_str(&en.body), "form &quot;nope&quot; does not exist"));
    assert_null(strstr(tc_strbuf_str(&vi.body), "does not exist"));
    assert_non_null(strstr(tc_strbuf_str(&vi.body), "nope"));
    assert_string_equal(tc_test_header_value(&vi, "Content-Language"), "vi");
    tc_test_reply_free(&vi);
    tc_test_reply_free(&en);
}

/* Closing: still accepts; closed: 409, nothing stored. */
static void
closing_accepts_closed_refuses(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn;
    struct tc_test_reply r;

    (void)state;
    add_corpus_form("xforms/central-simple.xml");
    conn = tc_db_acquire(env.pool, 5000, &err);
    assert_int_equal(tc_forms_close(conn, "simple", NULL, TC_FORM_CLOSING, NULL, &err), TC_OK);
    tc_db_release(env.pool, conn);
    get(keyed(env.token, "/formList"), NULL, &r);
    assert_null(xform_block(tc_strbuf_str(&r.body), "simple"));
    tc_test_reply_free(&r);
    post_xml(env.token,
             "<data id=\"simple\"><meta><instanceID>closing-1</instanceID></meta>"
             "<name>A</name><age>3</age></data>",
             NULL, 0, NULL, &r);
    assert_openrosa(&r, 201);
    tc_test_reply_free(&r);
    conn = tc_db_acquire(env.pool, 5000, &err);
    assert_int_equal(tc_forms_close(conn, "simple", NULL, TC_FORM_CLOSED, NULL, &err), TC_OK);
    tc_db_release(env.pool, conn);
    post_xml(env.token,
             "<data id=\"simple\"><meta><instanceID>closed-1</instanceID></meta>"
             "<name>A</name><age>3</age></data>",
             NULL, 0, NULL, &r);
    assert_openrosa(&r, 409);
    tc_test_reply_free(&r);
    assert_int_equal(count("SELECT count(*) FROM submissions WHERE instance_id = 'closed-1'"), 0);
}

/*
 * A form with `personal` fields: the XML and the protected values are stored sealed only;
 * a confidential form (sealed to a unit) is refused with 503 on this path, nothing stored.
 */
static void
protected_forms_store_no_plaintext(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char path[1024];
    size_t len;
    char *xml, *v;
    struct tc_test_reply r;

    (void)state;
    xml = read_file(
        tc_test_source_path("tests/fixtures/form/livelihood-survey.xml", path, sizeof(path)), &len);
    assert_int_equal(add_form(xml, len, &err), TC_OK);
    free(xml);
    xml = read_file(
        tc_test_source_path("tests/fixtures/form/livelihood-survey--good.xml", path, sizeof(path)),
        &len);
    assert_non_null(strstr(xml, "Lò Thị Mai"));
    post_xml(env.token, xml, NULL, 0, NULL, &r);
    assert_openrosa(&r, 201);
    tc_test_reply_free(&r);
    free(xml);
    assert_int_equal(count("SELECT count(*) FROM submissions WHERE form_id = 'livelihood_survey' "
                           "AND xml IS NULL AND xml_sealed IS NOT NULL"),
                     1);
    assert_int_equal(count("SELECT count(*) FROM submission_keys k JOIN submissions s "
                           "ON s.id = k.submission WHERE s.form_id = 'livelihood_survey'"),
                     1);
    assert_true(count("SELECT count(*) FROM submission_protected p JOIN submissions s "
                      "ON s.id = p.submission WHERE s.form_id = 'livelihood_survey'") >= 1);
    v = query1("SELECT s.values::text || encode(s.xml_sealed, 'escape') || "
               "string_agg(encode(p.ciphertext, 'escape'), '') FROM submissions s "
               "JOIN submission_protected p ON p.submission = s.id "
               "WHERE s.form_id = 'livelihood_survey' GROUP BY s.id",
               NULL);
    assert_null(strstr(v, "Lò Thị Mai"));
    assert_null(strstr(v, "L\\303\\262 Th"));
    free(v);

    xml = read_file(tc_test_source_path("forms/dctc_case.xml", path, sizeof(path)), &len);
    assert_int_equal(add_form(xml, len, &err), TC_OK);
    free(xml);
    post_xml(env.token,
             "<data id=\"dctc_case\" version=\"2026112901\"><meta><instanceID>uuid:case-1"
             "</instanceID></meta></data>",
             NULL, 0, NULL, &r);
    /* a case form, from an app user bound to no Trusted Address unit (test_case_log.c) */
    assert_openrosa(&r, 403);
    tc_test_reply_free(&r);
    assert_int_equal(count("SELECT count(*) FROM submissions WHERE form_id = 'dctc_case'"), 0);
}

/* A survey to a form with an active eligibility ruleset is scored in its own transaction
 * (runs after shipped_forms_load_once, which stores the form). */
static void
surveys_are_scored_on_arrival(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn;
    char path[1024];
    size_t len;
    char *xml;
    struct tc_test_reply r;

    (void)state;
    xml = read_file(
        tc_test_source_path("forms/rules/tt55-2023-project8-livelihood.xml", path, sizeof(path)),
        &len);
    conn = tc_db_acquire(env.pool, 5000, &err);
    assert_non_null(conn);
    /* The shipped form was stored by shipped_forms_load_once. */
    assert_int_equal(tc_app_user_assign(conn, env.app_user, "livelihood_needs", &err), TC_OK);
    assert_int_equal(tc_ruleset_install(conn, xml, len, &err), TC_OK);
    assert_int_equal(tc_ruleset_activate(conn, "tt55-2023-project8-livelihood", 1, NULL, &err),
                     TC_OK);
    tc_db_release(env.pool, conn);
    free(xml);
    post_xml(env.token,
             "<data id=\"livelihood_needs\" version=\"2026112901\"><meta><instanceID>"
             "uuid:scored-1</instanceID></meta><consent>yes</consent></data>",
             NULL, 0, NULL, &r);
    assert_openrosa(&r, 201);
    tc_test_reply_free(&r);
    assert_int_equal(count("SELECT count(*) FROM scores c JOIN submissions s ON s.id = "
                           "c.submission WHERE s.instance_id = 'uuid:scored-1' AND "
                           "c.ruleset_id = 'tt55-2023-project8-livelihood'"),
                     1);
}

/* The activation above queued a re-score job: the server's housekeeping thread works it. */
static void
activation_rescores_in_the_background(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_housekeeping *hk = NULL;

    (void)state;
    assert_int_equal(count("SELECT count(*) FROM jobs WHERE kind = 'rescore' AND state = 'queued'"),
                     1);
    assert_int_equal(tc_housekeeping_start(env.pool, 1, &hk, &err), TC_OK);
    for (int waited = 0; waited < 30000 && count("SELECT count(*) FROM jobs WHERE kind = "
                                                 "'rescore' AND state = 'done'") != 1;
         waited += 100)
        nanosleep(&(struct timespec){.tv_nsec = 100000000L}, NULL);
    tc_housekeeping_stop(hk);
    assert_int_equal(count("SELECT count(*) FROM jobs WHERE kind = 'rescore' AND state = 'done' "
                           "AND progress_done = progress_total"),
                     1);
}

/* Shipped forms (TINCAY_FORMS_DIR): added and published once, with media; changes refused. */
static void
shipped_forms_load_once(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire(env.pool, 5000, &err);
    char src[1024], dir[128], cmd[1400];
    size_t added = 99;
    FILE *f;

    (void)state;
    assert_non_null(conn);
    snprintf(dir, sizeof(dir), "%s/shipped", env.data_dir);
    snprintf(cmd, sizeof(cmd), "cp -r '%s' '%s'", tc_test_source_path("forms", src, sizeof(src)),
             dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(tc_form_admin_load_dir(conn, dir, &added, &err), TC_OK);
    assert_true(added >= 2); /* dctc_case may be stored already (test above) */
    assert_int_equal(count("SELECT count(*) FROM forms WHERE state = 'published' AND "
                           "form_id IN ('livelihood_needs', 'dctc_case', 'dctc_followup')"),
                     3);
    assert_int_equal(count("SELECT count(*) FROM forms WHERE form_id = 'livelihood_needs' "
                           "AND state = 'published'"),
                     1);
    assert_int_equal(count("SELECT count(*) FROM form_media m JOIN forms f ON f.id = m.form "
                           "WHERE f.form_id = 'livelihood_needs'"),
                     3);
    /* Again: nothing new. Then the same version with other bytes: skipped, no failure. */
    assert_int_equal(tc_form_admin_load_dir(conn, dir, &added, &err), TC_OK);
    assert_int_equal(added, 0);
    snprintf(cmd, sizeof(cmd), "%s/livelihood_needs.xml", dir);
    assert_non_null(f = fopen(cmd, "a"));
    fputs("<!-- changed -->\n", f);
    fclose(f);
    assert_int_equal(tc_form_admin_load_dir(conn, dir, &added, &err), TC_OK);
    assert_int_equal(added, 0);
    assert_int_equal(count("SELECT count(*) FROM forms WHERE form_id = 'livelihood_needs'"), 1);
    tc_db_release(env.pool, conn);
}

/*
 * Uploads trickling in from a village hold no database connection: with more stalled
 * uploads than the pool has connections, formList still answers at once.
 */
static void
slow_uploads_hold_no_connection(void **state)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)env.port)};
    int fds[10];
    char head[1024];
    struct tc_test_reply r;

    (void)state;
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    snprintf(head, sizeof(head),
             "POST /key/%s/submission HTTP/1.1\r\nHost: x\r\nX-OpenRosa-Version: 1.0\r\n"
             "Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 100000\r\n\r\n"
             "--XyZ\r\nContent-Disposition: form-data; name=\"xml_submission_file\"; "
             "filename=\"s.xml\"\r\n\r\n<data id=\"simple\">",
             env.token);
    for (size_t i = 0; i < 10; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        assert_int_equal(connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_true(write(fds[i], head, strlen(head)) == (ssize_t)strlen(head));
    }
    usleep(300000); /* let the server read the first chunks and authenticate them */
    get(keyed(env.token, "/formList"), NULL, &r);
    assert_openrosa(&r, 200);
    assert_true(r.ms < FAST_MS);
    tc_test_reply_free(&r);
    for (size_t i = 0; i < 10; i++)
        close(fds[i]);
}

/* An account (Basic after the challenge), as Collect with a username and password. */
static void
accounts_use_basic_at_the_root(void **state)
{
    static const char password[] = "mật khẩu của chị Lan 2026";
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_password_gate *gate =
        tc_password_gate_create(1, 60000, TC_PASSWORD_INTERACTIVE, &err);
    struct tc_db_conn *conn = tc_db_acquire(env.pool, 5000, &err);
    struct tc_user_new u = {.login = "lan", .role = TC_ROLE_COLLECTOR, .language = TC_LANG_VI};
    char auth[256], b64[200], creds[128];
    struct tc_test_reply r;

    (void)state;
    assert_non_null(gate);
    assert_non_null(conn);
    assert_int_equal(tc_user_create(conn, gate, &u, password, strlen(password), NULL, &err), TC_OK);
    tc_db_release(env.pool, conn);
    tc_password_gate_destroy(gate);
    add_corpus_form("xforms/central-withrepeat.xml");
    snprintf(creds, sizeof(creds), "lan:%s", password);
    sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)creds, strlen(creds),
                      sodium_base64_VARIANT_ORIGINAL);
    snprintf(auth, sizeof(auth), "Authorization: Basic %s", b64);

    get("/formList", auth, &r);
    assert_openrosa(&r, 200);
    assert_non_null(strstr(tc_strbuf_str(&r.body), "<downloadUrl>" PUBLIC_URL "/forms/"));
    assert_null(strstr(tc_strbuf_str(&r.body), "/key/"));
    tc_test_reply_free(&r);
    request("HEAD", "/submission", NULL, 0, NULL, 0, NULL, auth, &r);
    assert_openrosa(&r, 204);
    tc_test_reply_free(&r);
    {
        static const char xml[] =
            "<data id=\"withrepeat\" version=\"1.0\"><orx:meta "
            "xmlns:orx=\"http://openrosa.org/xforms\"><orx:instanceID>basic-1</orx:instanceID>"
            "</orx:meta><name>Lan</name><age>30</age></data>";
        struct tc_test_part parts[] = {
            {"xml_submission_file", "s.xml", "text/xml", xml, strlen(xml)}};

        request("POST", "/submission", parts, 1, NULL, 0, NULL, auth, &r);
        assert_openrosa(&r, 201);
        tc_test_reply_free(&r);
    }
    assert_int_equal(count("SELECT count(*) FROM submissions s JOIN users u ON u.id = "
                           "s.submitter_id WHERE u.login = 'lan' AND s.instance_id = 'basic-1'"),
                     1);
    /* A wrong password: 401 with the challenge again, nothing stored. */
    get("/formList", "Authorization: Basic bGFuOndyb25nLXBhc3N3b3Jk", &r);
    assert_openrosa(&r, 401);
    assert_non_null(tc_test_header_value(&r, "WWW-Authenticate"));
    tc_test_reply_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(corpus_forms_and_submissions_are_stored),
        cmocka_unit_test(collect_downloads_forms_and_media),
        cmocka_unit_test(collect_submits_with_attachments),
        cmocka_unit_test(submitted_versions_stay_loaded),
        cmocka_unit_test(bad_inputs_are_refused_fast_and_store_nothing),
        cmocka_unit_test(oversize_body_is_413),
        cmocka_unit_test(rule_breaks_are_stored_as_findings),
        cmocka_unit_test(csv_media_take_part_in_validation),
        cmocka_unit_test(app_user_scope_and_revocation),
        cmocka_unit_test(messages_follow_accept_language),
        cmocka_unit_test(closing_accepts_closed_refuses),
        cmocka_unit_test(protected_forms_store_no_plaintext),
        cmocka_unit_test(shipped_forms_load_once),
        cmocka_unit_test(surveys_are_scored_on_arrival),
        cmocka_unit_test(activation_rescores_in_the_background),
        cmocka_unit_test(slow_uploads_hold_no_connection),
        cmocka_unit_test(accounts_use_basic_at_the_root),
    };

    curl_global_init(CURL_GLOBAL_DEFAULT);
    return cmocka_run_group_tests_name("collect_flow", tests, setup, teardown);
}
