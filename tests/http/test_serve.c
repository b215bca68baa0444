/*
 * The `tincay serve` binary as an operator runs it: configured by the environment, it
 * migrates the database, answers HTTP, and stops cleanly on SIGTERM; a bad configuration
 * is refused with every problem named.
 */
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <libpq-fe.h>

#include "testlib.h"

#define TINCAY TC_BINARY_DIR "/tincay"

struct child {
    pid_t pid;
    int out, err; /* read ends of its stdout and stderr */
};

/* Start `tincay serve` with `env` (NULL-terminated "NAME=value" list) added. */
static struct child
spawn_serve(const char *const *env, const char *extra_arg)
{
    int out[2], err[2];
    struct child c = {-1, -1, -1};

    assert_int_equal(pipe(out), 0);
    assert_int_equal(pipe(err), 0);
    c.pid = fork();
    assert_true(c.pid >= 0);
    if (c.pid == 0) {
        dup2(out[1], 1);
        dup2(err[1], 2);
        close(out[0]);
        close(err[0]);
        for (size_t i = 0; env[i] != NULL; i++)
            putenv((char *)(uintptr_t)env[i]);
        execl(TINCAY, "tincay", "serve", extra_arg, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    c.out = out[0];
    c.err = err[0];
    return c;
}

/* Read from `fd` until `want` appears, EOF or `ms` pass; the text read so far is in buf. */
static bool
read_until(int fd, const char *want, char *buf, size_t size, int ms)
{
    size_t n = strlen(buf);
    struct pollfd p = {.fd = fd, .events = POLLIN};

    while (strstr(buf, want) == NULL && n + 1 < size && poll(&p, 1, ms) == 1) {
        ssize_t got = read(fd, buf + n, size - n - 1);

        if (got <= 0)
            break;
        n += (size_t)got;
        buf[n] = '\0';
    }
    return strstr(buf, want) != NULL;
}

/* Wait up to `ms` for the child to exit; its exit status, or -1 (it is killed then). */
static int
wait_exit(pid_t pid, int ms)
{
    int status;

    for (int waited = 0; waited < ms; waited += 20) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        nanosleep(&(struct timespec){.tv_nsec = 20000000L}, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

static size_t
discard(char *data, size_t size, size_t n, void *cls)
{
    (void)data;
    (void)cls;
    return size * n;
}

static long
get_status(unsigned int port, const char *path)
{
    CURL *c = curl_easy_init();
    char url[256];
    long status = 0;

    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    return status;
}

static long
applied_migrations(const char *conninfo)
{
    PGconn *pg = PQconnectdb(conninfo);
    PGresult *res = PQexec(pg, "SELECT count(*) FROM schema_migrations");
    long n = PQresultStatus(res) == PGRES_TUPLES_OK ? atol(PQgetvalue(res, 0, 0)) : -1;

    PQclear(res);
    PQfinish(pg);
    return n;
}

static void
serve_migrates_answers_and_stops_on_sigterm(void **state)
{
    const char *conninfo = *state;
    char url_env[300], want[64], out[2048] = "", err[8192] = "";
    const char *env[] = {"TINCAY_LISTEN=127.0.0.1:0", "TINCAY_THREADS=2", url_env, NULL};
    struct child c;
    const char *at;
    unsigned int port = 0;

    snprintf(url_env, sizeof(url_env), "TINCAY_DATABASE_URL=%s", conninfo);
    c = spawn_serve(env, NULL);
    if (!read_until(c.out, ")\n", out, sizeof(out), 60000)) {
        read_until(c.err, "\n\n", err, sizeof(err), 100);
        fail_msg("no listening line; stdout: %s stderr: %s", out, err);
    }
    at = strstr(out, "listening on 127.0.0.1 port ");
    assert_non_null(at);
    assert_int_equal(sscanf(at, "listening on 127.0.0.1 port %u", &port), 1);
    snprintf(want, sizeof(want), "(public URL http://127.0.0.1:%u)", port);
    assert_non_null(strstr(out, want)); /* port 0 in TINCAY_LISTEN: the bound port */
    assert_int_equal(get_status(port, "/healthz"), 200);
    assert_int_equal(get_status(port, "/no/such/page"), 404);
    assert_true(applied_migrations(conninfo) > 0);
    kill(c.pid, SIGTERM);
    assert_int_equal(wait_exit(c.pid, 15000), 0);
    assert_int_equal(get_status(port, "/healthz"), 0); /* nothing listens any more */
    read_until(c.err, "SIGTERM received", err, sizeof(err), 1000);
    assert_non_null(strstr(err, "GET /healthz 200"));
    assert_non_null(strstr(err, "SIGTERM received"));
    close(c.out);
    close(c.err);
}

/* Start serve on `conninfo`, wait for its listening line (and what follows it), and return
 * the port; stdout so far in `out`. */
static unsigned int
start_and_read(const char *conninfo, struct child *c, char *out, size_t size)
{
    static char url_env[300];
    const char *env[] = {"TINCAY_LISTEN=127.0.0.1:0", "TINCAY_THREADS=2", url_env, NULL};
    const char *at;
    unsigned int port = 0;

    snprintf(url_env, sizeof(url_env), "TINCAY_DATABASE_URL=%s", conninfo);
    *c = spawn_serve(env, NULL);
    if (!read_until(c->out, ")\n", out, size, 60000))
        fail_msg("no listening line; stdout: %s", out);
    read_until(c->out, "(shown once", out, size, 1000); /* the admin lines, if any */
    at = strstr(out, "listening on 127.0.0.1 port ");
    assert_non_null(at);
    assert_int_equal(sscanf(at, "listening on 127.0.0.1 port %u", &port), 1);
    return port;
}

static void
stop_child(struct child *c)
{
    kill(c->pid, SIGTERM);
    assert_int_equal(wait_exit(c->pid, 15000), 0);
    close(c->out);
    close(c->err);
}

static long
login_status(unsigned int port, const char *login, const char *password)
{
    CURL *c = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    char url[128], body[256];
    long status = 0;

    snprintf(url, sizeof(url), "http://127.0.0.1:%u/api/v1/session", port);
    snprintf(body, sizeof(body), "{\"login\": \"%s\", \"password\": \"%s\"}", login, password);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    return status;
}

static void
first_start_shows_the_admin_password_once(void **state)
{
    char conninfo[256], out[4096] = "", again[4096] = "", password[64] = "";
    struct child c;
    const char *at;
    unsigned int port;

    (void)state;
    tc_test_db_create("serve_admin", conninfo, sizeof(conninfo));
    port = start_and_read(conninfo, &c, out, sizeof(out));
    at = strstr(out, "first administrator: login \"admin\", password \"");
    if (at == NULL)
        fail_msg("no first administrator line in: %s", out);
    assert_int_equal(
        sscanf(at, "first administrator: login \"admin\", password \"%63[^\"]", password), 1);
    assert_int_equal(login_status(port, "admin", password), 200);
    stop_child(&c);

    port = start_and_read(conninfo, &c, again, sizeof(again));
    assert_null(strstr(again, "first administrator")); /* the data, and the admin, are kept */
    assert_int_equal(login_status(port, "admin", password), 200);
    stop_child(&c);
    tc_test_db_drop(conninfo);
}

static void
bad_configuration_is_refused_with_every_problem(void **state)
{
    const char *env[] = {"TINCAY_LISTEN=nowhere", "TINCAY_THREADS=0", NULL};
    char err[8192] = "";
    struct child c;

    (void)state;
    c = spawn_serve(env, NULL);
    assert_int_equal(wait_exit(c.pid, 15000), 1);
    read_until(c.err, "\n\n", err, sizeof(err), 500);
    assert_non_null(strstr(err, "TINCAY_LISTEN"));
    assert_non_null(strstr(err, "TINCAY_THREADS"));
    close(c.out);
    close(c.err);
}

static void
arguments_are_a_usage_error(void **state)
{
    const char *env[] = {NULL};
    struct child c;

    (void)state;
    c = spawn_serve(env, "--port=80");
    assert_int_equal(wait_exit(c.pid, 15000), 2);
    close(c.out);
    close(c.err);
}

static int
group_setup(void **state)
{
    static char conninfo[256];

    curl_global_init(CURL_GLOBAL_DEFAULT);
    tc_test_db_create("serve", conninfo, sizeof(conninfo));
    *state = conninfo;
    return 0;
}

static int
group_teardown(void **state)
{
    tc_test_db_drop(*state);
    curl_global_cleanup();
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(serve_migrates_answers_and_stops_on_sigterm),
        cmocka_unit_test(first_start_shows_the_admin_password_once),
        cmocka_unit_test(bad_configuration_is_refused_with_every_problem),
        cmocka_unit_test(arguments_are_a_usage_error),
    };

    return cmocka_run_group_tests_name("serve", tests, group_setup, group_teardown);
}
