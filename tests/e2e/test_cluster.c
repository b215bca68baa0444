/*
 * The private PostgreSQL cluster, for real: made in a temporary data directory with libpq's
 * PG* variables removed from this process (pg_virtualenv sets them), used, stopped, found
 * again with its data, borrowed by a second process, and restarted after crashes.
 */
#include <errno.h>
#include <glob.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "tincay/cluster.h"

extern char **environ;

struct fixture {
    char data_dir[64];
    char conninfo[1024];
};

static void
remove_tree(const char *path)
{
    char cmd[4200];

    if (path[0] != '/' || strchr(path, '\'') != NULL)
        return;
    snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove \"%s\"\n", path);
}

/* Run `sql` and return the first value of its result in `out` ("" when none). */
static void
query(const char *conninfo, const char *sql, char *out, size_t size)
{
    PGconn *pg = PQconnectdb(conninfo);
    PGresult *res;

    if (PQstatus(pg) != CONNECTION_OK)
        fail_msg("could not connect with \"%s\": %s", conninfo, PQerrorMessage(pg));
    res = PQexec(pg, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(pg));
    snprintf(out, size, "%s", PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : "");
    PQclear(res);
    PQfinish(pg);
}

static struct tc_cluster *
start(struct fixture *fx)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_cluster *c = tc_cluster_start(fx->data_dir, fx->conninfo, sizeof(fx->conninfo), &err);

    if (c == NULL)
        fail_msg("tc_cluster_start: %s\n%s", err.msg, err.detail);
    return c;
}

static long
postmaster_pid(const struct tc_cluster *c)
{
    char path[4200];
    long pid = 0;
    FILE *f;

    snprintf(path, sizeof(path), "%s/data/postmaster.pid", tc_cluster_location(c));
    assert_non_null(f = fopen(path, "r"));
    assert_int_equal(fscanf(f, "%ld", &pid), 1);
    fclose(f);
    return pid;
}

static void
wait_until_gone(long pid)
{
    char path[64], line[256];
    int i;

    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    for (i = 0; i < 100; i++) {
        FILE *f = fopen(path, "r");
        const char *paren;

        if (f == NULL)
            return;
        line[0] = '\0';
        if (fgets(line, sizeof(line), f) == NULL)
            line[0] = '\0';
        fclose(f);
        paren = strrchr(line, ')');
        if (paren != NULL && paren[1] == ' ' && paren[2] == 'Z')
            return; /* a zombie nobody reaps here is as dead as it gets */
        nanosleep(&(struct timespec){.tv_nsec = 100 * 1000 * 1000}, NULL);
    }
    fail_msg("process %ld did not die", pid);
}

static void
second_start_keeps_data(void **state)
{
    struct fixture *fx = *state;
    struct tc_cluster *c = start(fx);
    char value[64];

    query(fx->conninfo, "CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)", value,
          sizeof(value));
    tc_cluster_stop(c);
    c = start(fx);
    query(fx->conninfo, "SELECT x FROM kept", value, sizeof(value));
    assert_string_equal(value, "42");
    query(fx->conninfo, "SELECT current_database()", value, sizeof(value));
    assert_string_equal(value, "tincay");
    tc_cluster_stop(c);
}

static void
listens_on_a_private_socket_only(void **state)
{
    struct fixture *fx = *state;
    struct tc_cluster *c = start(fx);
    char value[256], socket_dir[4200];
    struct stat st;

    query(fx->conninfo, "SHOW listen_addresses", value, sizeof(value));
    assert_string_equal(value, "");
    query(fx->conninfo, "SHOW unix_socket_directories", socket_dir, sizeof(socket_dir));
    assert_int_equal(stat(socket_dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_true(strlen(socket_dir) + strlen("/.s.PGSQL.5432") <= 107);
    query(fx->conninfo, "SELECT setting FROM pg_settings WHERE name = 'data_directory'", value,
          sizeof(value));
    assert_int_equal(strncmp(value, tc_cluster_location(c), strlen(tc_cluster_location(c))), 0);
    if (geteuid() == 0) {
        /* initdb refuses root: the cluster belongs to the system user, outside the checkout. */
        char record[256], recorded[4200] = "";
        FILE *f;

        assert_int_equal(strncmp(tc_cluster_location(c), "/var/lib/tincay/clusters/", 25), 0);
        snprintf(record, sizeof(record), "%s/cluster.path", fx->data_dir);
        assert_non_null(f = fopen(record, "r"));
        assert_non_null(fgets(recorded, sizeof(recorded), f));
        fclose(f);
        recorded[strcspn(recorded, "\n")] = '\0';
        assert_string_equal(recorded, tc_cluster_location(c));
        query(fx->conninfo, "SELECT current_user", value, sizeof(value));
        assert_string_equal(value, "tincay");
    }
    tc_cluster_stop(c);
}

static void
a_large_log_is_rotated(void **state)
{
    struct fixture *fx = *state;
    char log[128], older[128];
    struct stat st;
    struct tc_cluster *c;
    FILE *f;

    snprintf(log, sizeof(log), "%s/postgresql.log", fx->data_dir);
    snprintf(older, sizeof(older), "%s/postgresql.log.1", fx->data_dir);
    assert_non_null(f = fopen(log, "a"));
    assert_int_equal(ftruncate(fileno(f), 16L * 1024 * 1024), 0);
    fclose(f);
    c = start(fx);
    assert_int_equal(stat(older, &st), 0);
    assert_true(st.st_size >= 16L * 1024 * 1024);
    assert_int_equal(stat(log, &st), 0);
    assert_true(st.st_size < 1024 * 1024);
    tc_cluster_stop(c);
}

static void
second_process_borrows_the_cluster(void **state)
{
    struct fixture *fx = *state;
    struct tc_cluster *holder = start(fx);
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char other[1024], value[64];
    struct tc_cluster *borrower = tc_cluster_start(fx->data_dir, other, sizeof(other), &err);
    long pid = postmaster_pid(holder);

    if (borrower == NULL)
        fail_msg("borrowing: %s\n%s", err.msg, err.detail);
    assert_string_equal(other, fx->conninfo);
    query(other, "SELECT 2", value, sizeof(value));
    assert_string_equal(value, "2");
    tc_cluster_stop(borrower); /* the holder's cluster keeps running */
    query(fx->conninfo, "SELECT 3", value, sizeof(value));
    assert_string_equal(value, "3");
    assert_int_equal(postmaster_pid(holder), pid);
    tc_cluster_stop(holder);
    wait_until_gone(pid);
}

static void
starts_after_postmaster_killed(void **state)
{
    struct fixture *fx = *state;
    struct tc_cluster *c = start(fx);
    char value[64];
    long pid;

    query(fx->conninfo, "CREATE TABLE crash (x int); INSERT INTO crash VALUES (7)", value,
          sizeof(value));
    pid = postmaster_pid(c);
    assert_int_equal(kill((pid_t)pid, SIGKILL), 0);
    wait_until_gone(pid);
    tc_cluster_stop(c); /* nothing left to stop; releases the data directory */
    c = start(fx);
    query(fx->conninfo, "SELECT x FROM crash", value, sizeof(value));
    assert_string_equal(value, "7");
    assert_int_not_equal(postmaster_pid(c), pid);
    tc_cluster_stop(c);
}

static void
cluster_of_a_dead_process_is_adopted(void **state)
{
    struct fixture *fx = *state;
    struct tc_cluster *c;
    char value[64];
    int status;
    long pid_before;
    pid_t child = fork();

    assert_true(child >= 0);
    if (child == 0) {
        /* A tincay that dies without stopping its cluster (kill -9): the lock goes with it. */
        struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
        char conninfo[1024];

        _exit(tc_cluster_start(fx->data_dir, conninfo, sizeof(conninfo), &err) != NULL ? 0 : 1);
    }
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    c = start(fx);
    pid_before = postmaster_pid(c);
    query(fx->conninfo, "SELECT 1", value, sizeof(value));
    assert_string_equal(value, "1");
    tc_cluster_stop(c);
    assert_true(pid_before > 0);
    wait_until_gone(pid_before);
}

static int
has_server_programs(void)
{
    glob_t g;
    int found = glob("/usr/lib/postgresql/*/bin/initdb", 0, NULL, &g) == 0;

    if (found)
        globfree(&g);
    return found;
}

static void
forget_libpq_environment(void)
{
    char name[64];
    size_t i = 0;

    /* Restart the scan after each removal: unsetenv reshuffles environ. */
    while (environ[i] != NULL) {
        size_t len = strcspn(environ[i], "=");

        if (strncmp(environ[i], "PG", 2) == 0 && len < sizeof(name)) {
            memcpy(name, environ[i], len);
            name[len] = '\0';
            unsetenv(name);
            i = 0;
            continue;
        }
        i++;
    }
    unsetenv("TINCAY_DATABASE_URL");
}

static int
setup(void **state)
{
    static struct fixture fx;

    snprintf(fx.data_dir, sizeof(fx.data_dir), "/tmp/tincay-cluster-test-XXXXXX");
    if (mkdtemp(fx.data_dir) == NULL)
        return -1;
    *state = &fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *fx = *state;
    char record[256], location[4200] = "";
    FILE *f;

    snprintf(record, sizeof(record), "%s/cluster.path", fx->data_dir);
    if ((f = fopen(record, "r")) != NULL) {
        if (fgets(location, sizeof(location), f) == NULL)
            location[0] = '\0';
        fclose(f);
        location[strcspn(location, "\n")] = '\0';
        if (strncmp(location, "/var/lib/tincay/clusters/", 25) == 0)
            remove_tree(location);
    }
    remove_tree(fx->data_dir);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(second_start_keeps_data),
        cmocka_unit_test(listens_on_a_private_socket_only),
        cmocka_unit_test(second_process_borrows_the_cluster),
        cmocka_unit_test(a_large_log_is_rotated),
        cmocka_unit_test(starts_after_postmaster_killed),
        cmocka_unit_test(cluster_of_a_dead_process_is_adopted),
    };
    const char *req = getenv("TINCAY_TEST_REQUIRE_DB");

    alarm(300); /* a hung pg_ctl ends the test instead of the CI run */
    forget_libpq_environment();
    if (!has_server_programs()) {
        fprintf(stderr, "no PostgreSQL server programs under /usr/lib/postgresql\n");
        return req != NULL && strcmp(req, "1") == 0 ? 1 : 77;
    }
    return cmocka_run_group_tests_name("cluster", tests, setup, teardown);
}
