#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tincay/config.h"

/* A fake environment: NULL-terminated name/value pairs. */
struct env {
    const char *vars[24][2];
};

static const char *
env_get(const char *name, void *ctx)
{
    const struct env *env = ctx;

    for (size_t i = 0; i < sizeof(env->vars) / sizeof(env->vars[0]) && env->vars[i][0]; i++)
        if (strcmp(env->vars[i][0], name) == 0)
            return env->vars[i][1];
    return NULL;
}

static char report[4096];

static enum tc_status
load(const struct env *env, struct tc_config *cfg, struct tc_error *err)
{
    return tc_config_load(cfg, env_get, (void *)(uintptr_t)env, report, sizeof(report), err);
}

static unsigned int
count_lines(const char *s)
{
    unsigned int n = 0;

    for (; *s != '\0'; s++)
        n += *s == '\n';
    return n;
}

/* Load an environment with one variable and expect exactly one problem naming it. */
static void
expect_one_bad(const char *name, const char *value)
{
    struct env env = {{{name, value}}};
    struct tc_config cfg;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    if (load(&env, &cfg, &err) != TC_EINVAL || count_lines(report) != 1 ||
        strstr(report, name) == NULL)
        fail_msg("%s=\"%s\" was not refused with one line naming it: %s", name, value, report);
    assert_int_equal(err.status, TC_EINVAL);
    assert_non_null(strstr(err.msg, name));
}

static void
expect_good(const struct env *env, struct tc_config *cfg)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    if (load(env, cfg, &err) != TC_OK)
        fail_msg("refused: %s", report);
    assert_string_equal(report, "");
}

static void
defaults_without_environment(void **state)
{
    struct env env = {{{NULL, NULL}}};
    struct tc_config cfg;
    char cwd[1024], expect[1200];

    (void)state;
    expect_good(&env, &cfg);
    assert_string_equal(cfg.listen_host, "127.0.0.1");
    assert_int_equal(cfg.listen_port, 8080);
    assert_string_equal(cfg.public_url, "http://127.0.0.1:8080");
    assert_true(cfg.public_url_is_default);
    assert_string_equal(cfg.trusted_proxy, "");
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    snprintf(expect, sizeof(expect), "%s/var", cwd);
    assert_string_equal(cfg.data_dir, expect);
    snprintf(expect, sizeof(expect), "%s/var/keys/server.key", cwd);
    assert_string_equal(cfg.key_file, expect);
    assert_in_range(cfg.threads, 1, 256);
    assert_int_equal(cfg.log_level, TC_LOG_INFO);
    assert_string_equal(cfg.tls_cert, "");
    assert_string_equal(cfg.tls_key, "");
    assert_string_equal(cfg.database_url, "");
    assert_false(cfg.database_from_env);
    assert_true(cfg.use_private_cluster);
}

static void
empty_values_count_as_unset(void **state)
{
    struct env env = {{{"TINCAY_LISTEN", ""}, {"TINCAY_THREADS", ""}, {"PGHOST", ""}}};
    struct tc_config cfg;

    (void)state;
    expect_good(&env, &cfg);
    assert_int_equal(cfg.listen_port, 8080);
    assert_true(cfg.use_private_cluster);
}

/* Write a small file for the TLS variables; the caller unlinks it. */
static void
temp_file(char *path, size_t size)
{
    int fd;

    snprintf(path, size, "/tmp/tincay-config-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "x\n", 2), 2);
    close(fd);
}

static void
every_variable_good(void **state)
{
    char cert[64], key[64], cwd[1024], expect[1200];
    struct tc_config cfg;

    (void)state;
    temp_file(cert, sizeof(cert));
    temp_file(key, sizeof(key));
    struct env env = {{
        {"TINCAY_LISTEN", "[::1]:0"},
        {"TINCAY_PUBLIC_URL", "HTTPS://survey.example.vn:8443/tincay//"},
        {"TINCAY_TRUSTED_PROXY", "2001:DB8:0:0::1"},
        {"TINCAY_DATA_DIR", "/srv/tincay/"},
        {"TINCAY_KEY_FILE", "./keys/k.key"},
        {"TINCAY_THREADS", "256"},
        {"TINCAY_LOG_LEVEL", "debug"},
        {"TINCAY_TLS_CERT", cert},
        {"TINCAY_TLS_KEY", key},
        {"TINCAY_DATABASE_URL", "postgresql://tincay@db.local:5432/tincay?sslmode=require"},
        {"PGHOST", "ignored-because-url-wins"},
    }};
    expect_good(&env, &cfg);
    unlink(cert);
    unlink(key);
    assert_string_equal(cfg.listen_host, "::1");
    assert_int_equal(cfg.listen_port, 0);
    assert_string_equal(cfg.public_url, "https://survey.example.vn:8443/tincay");
    assert_false(cfg.public_url_is_default);
    assert_string_equal(cfg.trusted_proxy, "2001:db8::1");
    assert_string_equal(cfg.data_dir, "/srv/tincay");
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    snprintf(expect, sizeof(expect), "%s/keys/k.key", cwd);
    assert_string_equal(cfg.key_file, expect);
    assert_int_equal(cfg.threads, 256);
    assert_int_equal(cfg.log_level, TC_LOG_DEBUG);
    assert_string_equal(cfg.tls_cert, cert);
    assert_string_equal(cfg.tls_key, key);
    assert_string_equal(cfg.database_url,
                        "postgresql://tincay@db.local:5432/tincay?sslmode=require");
    assert_false(cfg.database_from_env);
    assert_false(cfg.use_private_cluster);
}

static void
listen_forms_accepted(void **state)
{
    static const struct {
        const char *value, *host, *url;
        unsigned int port;
    } cases[] = {
        {"0.0.0.0:80", "0.0.0.0", "http://0.0.0.0:80", 80},
        {"localhost:65535", "localhost", "http://localhost:65535", 65535},
        {"[2001:db8::7]:443", "2001:db8::7", "http://[2001:db8::7]:443", 443},
        {"tincay-1.hoilhpn.vn:8080", "tincay-1.hoilhpn.vn", "http://tincay-1.hoilhpn.vn:8080",
         8080},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct env env = {{{"TINCAY_LISTEN", cases[i].value}}};
        struct tc_config cfg;

        expect_good(&env, &cfg);
        assert_string_equal(cfg.listen_host, cases[i].host);
        assert_int_equal(cfg.listen_port, cases[i].port);
        assert_string_equal(cfg.public_url, cases[i].url);
    }
}

static void
bad_listen_values_refused(void **state)
{
    static const char *const bad[] = {
        "abc",      "abc:",    ":8080",      "host:65536",   "host:-1",          "host:80x",
        "[::1]",    "[::1]80", "[zz::q]:80", "999.1.1.1:80", "a..b:80",          "-a:80",
        "host:p:1", "[::1:80", "ho st:80",   "host:+80",     "host:99999999999",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_one_bad("TINCAY_LISTEN", bad[i]);
}

static void
bad_public_urls_refused(void **state)
{
    static const char *const bad[] = {
        "ftp://example.vn",
        "http://",
        "example.vn",
        "http://example.vn/form?x=1",
        "http://example.vn#top",
        "http://user:pw@example.vn",
        "http://example.vn:0",
        "http://example.vn:99999",
        "http://exa mple.vn",
        "http://example.vn/a b",
        "http://example.vn/%zz",
        "http://[::1/x",
        "https://example.vn:/",
        "http://example.vn/\xc3\xa1",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_one_bad("TINCAY_PUBLIC_URL", bad[i]);
}

static void
bad_scalar_values_refused(void **state)
{
    static const char *const proxies[] = {"10.0.0", "10.0.0.1/24", "[::1]", "localhost",
                                          "10.0.0.256"};
    static const char *const threads[] = {"0", "257", "-1", "4x", " 4", "99999999999", "0x10"};
    static const char *const levels[] = {"verbose", "INFO", "warn", "info "};

    (void)state;
    for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
        expect_one_bad("TINCAY_TRUSTED_PROXY", proxies[i]);
    for (size_t i = 0; i < sizeof(threads) / sizeof(threads[0]); i++)
        expect_one_bad("TINCAY_THREADS", threads[i]);
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
        expect_one_bad("TINCAY_LOG_LEVEL", levels[i]);
}

static void
tls_needs_both_readable_files(void **state)
{
    char cert[64];
    struct tc_config cfg;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    (void)state;
    temp_file(cert, sizeof(cert));
    expect_one_bad("TINCAY_TLS_CERT", cert); /* the key is missing */
    expect_one_bad("TINCAY_TLS_KEY", cert);  /* the certificate is missing */

    struct env missing = {{{"TINCAY_TLS_CERT", cert}, {"TINCAY_TLS_KEY", "/nonexistent/k.pem"}}};
    assert_int_equal(load(&missing, &cfg, &err), TC_EINVAL);
    assert_int_equal(count_lines(report), 1);
    assert_non_null(strstr(report, "could not read TINCAY_TLS_KEY file \"/nonexistent/k.pem\""));

    struct env dir = {{{"TINCAY_TLS_CERT", "/tmp"}, {"TINCAY_TLS_KEY", cert}}};
    assert_int_equal(load(&dir, &cfg, &err), TC_EINVAL);
    assert_string_equal(report, "TINCAY_TLS_CERT file \"/tmp\" is not a regular file\n");
    unlink(cert);
}

static void
database_settings(void **state)
{
    static const char *const good[] = {
        "postgresql://",
        "postgres://u:p%40ss@h1:5432,h2/db?target_session_attrs=read-write",
        "host=/run/postgresql dbname=tincay",
        "  host = db   port=5433 password='it\\'s secret' ",
        "dbname=a\\ b",
    };
    static const char *const bad[] = {
        "mysql://x",        "tincay",     "=x",      "host='unterminated",
        "host=a\\",         "1host=x",    "host db", "postgresql://a b",
        "postgresql://%zz", "host=x = y",
    };
    struct tc_config cfg;

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct env env = {{{"TINCAY_DATABASE_URL", good[i]}}};

        expect_good(&env, &cfg);
        assert_string_equal(cfg.database_url, good[i]);
        assert_false(cfg.use_private_cluster);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_one_bad("TINCAY_DATABASE_URL", bad[i]);

    /* The value is never echoed: it may hold a password. */
    expect_one_bad("TINCAY_DATABASE_URL", "postgresql://u:s3cret pw@h/db");
    assert_null(strstr(report, "s3cret"));

    static const char *const pg[] = {"PGHOST",     "PGHOSTADDR", "PGPORT",
                                     "PGDATABASE", "PGUSER",     "PGSERVICE"};
    for (size_t i = 0; i < sizeof(pg) / sizeof(pg[0]); i++) {
        struct env env = {{{pg[i], "x"}}};

        expect_good(&env, &cfg);
        assert_true(cfg.database_from_env);
        assert_false(cfg.use_private_cluster);
        assert_string_equal(cfg.database_url, "");
    }
}

static void
every_bad_value_reported_at_once(void **state)
{
    struct env env = {{
        {"TINCAY_LISTEN", "abc"},
        {"TINCAY_PUBLIC_URL", "gopher://x"},
        {"TINCAY_TRUSTED_PROXY", "proxy"},
        {"TINCAY_THREADS", "0"},
        {"TINCAY_LOG_LEVEL", "loud"},
        {"TINCAY_TLS_KEY", "/nonexistent/key.pem"},
        {"TINCAY_DATABASE_URL", "nonsense"},
    }};
    struct tc_config cfg;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    (void)state;
    assert_int_equal(load(&env, &cfg, &err), TC_EINVAL);
    assert_string_equal(report,
                        "invalid value for TINCAY_LISTEN: \"abc\" (expected host:port or "
                        "[IPv6]:port)\n"
                        "invalid value for TINCAY_PUBLIC_URL: \"gopher://x\" (expected "
                        "http(s)://host[:port][/path] without query or fragment)\n"
                        "invalid value for TINCAY_TRUSTED_PROXY: \"proxy\" (expected an IPv4 or "
                        "IPv6 address)\n"
                        "invalid value for TINCAY_THREADS: \"0\" (expected an integer from 1 to "
                        "256)\n"
                        "invalid value for TINCAY_LOG_LEVEL: \"loud\" (expected debug, info, "
                        "warning or error)\n"
                        "TINCAY_TLS_KEY is set but TINCAY_TLS_CERT is not (set both or neither)\n"
                        "could not read TINCAY_TLS_KEY file \"/nonexistent/key.pem\": No such "
                        "file or directory\n"
                        "invalid value for TINCAY_DATABASE_URL (expected a postgresql:// URI or "
                        "a key=value connection string)\n");
    assert_string_equal(err.msg, "invalid value for TINCAY_LISTEN: \"abc\" (expected host:port or "
                                 "[IPv6]:port)");
    assert_non_null(strstr(err.detail, "; invalid value for TINCAY_PUBLIC_URL"));
}

static void
too_long_values_refused_not_truncated(void **state)
{
    static char host[80], url[700], dir[2000], conn[1200], listen[100], data_dir[1100];
    struct tc_config cfg;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    (void)state;
    memset(host, 'h', sizeof(host) - 1);
    for (size_t i = 10; i < sizeof(host) - 1; i += 11)
        host[i] = '.'; /* a valid name of 79 bytes, made of short labels */
    snprintf(listen, sizeof(listen), "%s:80", host);
    expect_one_bad("TINCAY_LISTEN", listen);
    assert_non_null(strstr(report, "too long"));

    snprintf(url, sizeof(url), "http://example.vn/");
    memset(url + strlen(url), 'p', sizeof(url) - 1 - strlen(url));
    expect_one_bad("TINCAY_PUBLIC_URL", url);
    assert_non_null(strstr(report, "too long (699 bytes, at most 511)"));

    dir[0] = '/';
    memset(dir + 1, 'd', sizeof(dir) - 2);
    expect_one_bad("TINCAY_DATA_DIR", dir);
    assert_non_null(strstr(report, "too long"));
    expect_one_bad("TINCAY_KEY_FILE", dir);

    snprintf(conn, sizeof(conn), "dbname=");
    memset(conn + 7, 'x', sizeof(conn) - 8);
    expect_one_bad("TINCAY_DATABASE_URL", conn);
    assert_null(strstr(report, "xxxx"));

    /* A data folder that fits, but whose default key file would not. */
    data_dir[0] = '/';
    memset(data_dir + 1, 'd', 1010);
    struct env env = {{{"TINCAY_DATA_DIR", data_dir}}};
    assert_int_equal(load(&env, &cfg, &err), TC_EINVAL);
    assert_string_equal(cfg.data_dir, data_dir);
    assert_non_null(strstr(report, "value of TINCAY_KEY_FILE is too long"));
}

static void
report_cut_at_line_boundary(void **state)
{
    struct env env = {{{"TINCAY_THREADS", "0"}, {"TINCAY_LOG_LEVEL", "loud"}}};
    struct tc_config cfg;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char small[100];

    (void)state;
    assert_int_equal(tc_config_load(&cfg, env_get, &env, small, sizeof(small), &err), TC_EINVAL);
    assert_string_equal(small, "invalid value for TINCAY_THREADS: \"0\" (expected an integer "
                               "from 1 to 256)\n");
    assert_int_equal(tc_config_load(&cfg, env_get, &env, NULL, 0, NULL), TC_EINVAL);
}

static void
control_characters_not_echoed(void **state)
{
    char long_value[200], expect[300];

    (void)state;
    memset(long_value, 'x', sizeof(long_value) - 1);
    long_value[sizeof(long_value) - 1] = '\0';
    expect_one_bad("TINCAY_LOG_LEVEL", long_value);
    snprintf(expect, sizeof(expect), "\"%.80s...\" (expected", long_value);
    assert_non_null(strstr(report, expect));

    expect_one_bad("TINCAY_LOG_LEVEL", "info\nerror fake log line");
    assert_string_equal(report, "invalid value for TINCAY_LOG_LEVEL: \"info?error fake log line\" "
                                "(expected debug, info, warning or error)\n");
}

static void
report_in_vietnamese(void **state)
{
    struct env env = {{{"TINCAY_THREADS", "many"}}};
    struct tc_config cfg;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_VI);

    (void)state;
    assert_int_equal(load(&env, &cfg, &err), TC_EINVAL);
    assert_string_equal(report, "giá trị không hợp lệ của TINCAY_THREADS: \"many\" (cần một số "
                                "nguyên từ 1 đến 256)\n");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_without_environment),
        cmocka_unit_test(empty_values_count_as_unset),
        cmocka_unit_test(every_variable_good),
        cmocka_unit_test(listen_forms_accepted),
        cmocka_unit_test(bad_listen_values_refused),
        cmocka_unit_test(bad_public_urls_refused),
        cmocka_unit_test(bad_scalar_values_refused),
        cmocka_unit_test(tls_needs_both_readable_files),
        cmocka_unit_test(database_settings),
        cmocka_unit_test(every_bad_value_reported_at_once),
        cmocka_unit_test(too_long_values_refused_not_truncated),
        cmocka_unit_test(report_cut_at_line_boundary),
        cmocka_unit_test(control_characters_not_echoed),
        cmocka_unit_test(report_in_vietnamese),
    };

    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
