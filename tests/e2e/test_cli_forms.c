/*
 * `tincay form ...` and `tincay appuser ...` as an administrator types them: the real binary
 * against a real PostgreSQL, checking exit codes, what is printed and what is stored.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "testlib.h"
#include "tincay/strbuf.h"

#define TINCAY     TC_BINARY_DIR "/tincay"
#define PUBLIC_URL "https://cli.example.vn"

static char conninfo[256], data_dir[64], shared[1024];
static PGconn *pg;

/* Run `tincay ARGS`; its exit status, and stdout+stderr in `out`. */
static int
run(struct tc_strbuf *out, const char *fmt, ...)
{
    char args[2048], cmd[2300], buf[4096];
    va_list ap;
    FILE *p;
    size_t n;
    int status;

    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof(cmd), "'%s' %s 2>&1", TINCAY, args);
    tc_strbuf_reset(out);
    assert_non_null(p = popen(cmd, "r"));
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
        tc_strbuf_append(out, buf, n);
    status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static long long
count(const char *sql)
{
    PGresult *res = PQexec(pg, sql);
    long long n;

    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(pg));
    n = atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    return n;
}

static int
setup(void **state)
{
    const char *s = getenv("TINCAY_SHARED_DIR");
    char buf[1024];

    (void)state;
    if (s != NULL && s[0] != '\0')
        snprintf(shared, sizeof(shared), "%s", s);
    else
        snprintf(shared, sizeof(shared), "%s", tc_test_source_path("../shared", buf, sizeof(buf)));
    tc_test_db_create("cli_forms", conninfo, sizeof(conninfo));
    snprintf(data_dir, sizeof(data_dir), "/tmp/tincay-cli-XXXXXX");
    if (mkdtemp(data_dir) == NULL)
        return -1;
    setenv("TINCAY_DATABASE_URL", conninfo, 1);
    setenv("TINCAY_PUBLIC_URL", PUBLIC_URL, 1);
    setenv("TINCAY_DATA_DIR", data_dir, 1);
    setenv("LANG", "C", 1);
    pg = PQconnectdb(conninfo);
    return PQstatus(pg) == CONNECTION_OK ? 0 : -1;
}

static int
teardown(void **state)
{
    char cmd[128];

    (void)state;
    PQfinish(pg);
    tc_test_db_drop(conninfo);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", data_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void
forms_are_added_published_and_closed(void **state)
{
    struct tc_strbuf out = TC_STRBUF_INIT(1u << 20);
    char bad[128];
    FILE *f;

    (void)state;
    assert_int_equal(run(&out, "form add '%s/corpus/xforms/central-simple.xml'", shared), 0);
    assert_non_null(
        strstr(tc_strbuf_str(&out), "form \"simple\" version \"\" stored as published"));
    assert_int_equal(count("SELECT count(*) FROM forms WHERE form_id = 'simple' "
                           "AND md5 = md5(xml) AND state = 'published'"),
                     1);
    assert_int_equal(run(&out, "form add '%s/corpus/xforms/central-simple.xml'", shared), 1);
    assert_non_null(strstr(tc_strbuf_str(&out), "already exists"));

    snprintf(bad, sizeof(bad), "%s/bad.xml", data_dir);
    assert_non_null(f = fopen(bad, "w"));
    fputs("<?xml version=\"1.0\"?>\n<!DOCTYPE h [<!ENTITY x \"y\">]>\n<h:html/>\n", f);
    fclose(f);
    assert_int_equal(run(&out, "form add '%s'", bad), 1);
    assert_non_null(strstr(tc_strbuf_str(&out), "DOCTYPE"));
    assert_non_null(strstr(tc_strbuf_str(&out), "line 2"));

    assert_int_equal(
        run(&out, "form add '%s/corpus/xforms/central-binary-type.xml' --draft", shared), 0);
    assert_non_null(strstr(tc_strbuf_str(&out), "stored as draft"));
    assert_int_equal(run(&out, "form publish binaryType"), 0);
    assert_int_equal(run(&out, "form publish binaryType"), 1);

    assert_int_equal(
        run(&out, "form media simple '%s/corpus/xforms/media/external-data.csv'", shared), 0);
    assert_non_null(strstr(tc_strbuf_str(&out), "text/csv"));
    assert_int_equal(count("SELECT count(*) FROM form_media WHERE filename = "
                           "'external-data.csv' AND content_type = 'text/csv'"),
                     1);

    assert_int_equal(run(&out, "form close simple"), 0);
    assert_non_null(strstr(tc_strbuf_str(&out), "closing"));
    assert_int_equal(count("SELECT count(*) FROM forms WHERE form_id = 'simple' AND "
                           "state = 'closing'"),
                     1);
    assert_int_equal(run(&out, "form close simple --now"), 0);
    assert_int_equal(count("SELECT count(*) FROM forms WHERE form_id = 'simple' AND "
                           "state = 'closed'"),
                     1);
    assert_int_equal(run(&out, "form list"), 0);
    assert_non_null(strstr(tc_strbuf_str(&out), "binaryType"));
    assert_int_equal(run(&out, "form frobnicate"), 2);
    tc_strbuf_cleanup(&out);
}

static void
app_users_get_a_collect_url_once(void **state)
{
    struct tc_strbuf out = TC_STRBUF_INIT(1u << 20);
    const char *url;
    size_t len;

    (void)state;
    assert_int_equal(run(&out, "appuser add 'Chị Lan' --form binaryType"), 0);
    url = strstr(tc_strbuf_str(&out), PUBLIC_URL "/key/");
    assert_non_null(url);
    len = strcspn(url + strlen(PUBLIC_URL "/key/"), "\n");
    assert_int_equal(len, 43);
    assert_int_equal(count("SELECT count(*) FROM app_user_forms WHERE form_id = 'binaryType'"), 1);

    assert_int_equal(run(&out, "appuser add X --form binaryType --unit NO-SUCH-UNIT"), 1);
    assert_non_null(strstr(tc_strbuf_str(&out), "NO-SUCH-UNIT"));
    assert_int_equal(run(&out, "appuser add X --form nope"), 1);
    assert_non_null(strstr(tc_strbuf_str(&out), "form \"nope\" does not exist"));
    assert_int_equal(count("SELECT count(*) FROM app_users"), 1);

    assert_int_equal(run(&out, "appuser list"), 0);
    assert_non_null(strstr(tc_strbuf_str(&out), "Chị Lan"));
    assert_null(strstr(tc_strbuf_str(&out), "/key/"));
    assert_int_equal(run(&out, "appuser revoke 1"), 0);
    assert_int_equal(count("SELECT count(*) FROM app_users WHERE revoked_at IS NOT NULL"), 1);
    assert_int_equal(run(&out, "appuser add"), 2);
    tc_strbuf_cleanup(&out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(forms_are_added_published_and_closed),
        cmocka_unit_test(app_users_get_a_collect_url_once),
    };

    return cmocka_run_group_tests_name("cli_forms", tests, setup, teardown);
}
