#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <libxml/parser.h>
#include <sodium.h>

#include "auth.h"
#include "cli_db.h"
#include "commands.h"
#include "form_admin.h"
#include "form_cache.h"
#include "housekeeping.h"
#include "http.h"
#include "tincay/cluster.h"
#include "tincay/config.h"
#include "tincay/db.h"
#include "tincay/keyfile.h"
#include "tincay/log.h"
#include "tincay/migrate.h"
#include "tincay/password.h"
#include "tincay/users.h"

#define MIGRATE_WAIT_MS 30000u
#define FORM_CACHE_MAX  256u /* form versions whose models stay loaded */

/* Everything `tincay serve` holds while it runs, released in reverse order. */
struct serve {
    struct tc_config cfg;
    char conninfo[1024];
    struct tc_cluster *cluster;
    struct tc_db_pool *pool;
    struct tc_keyring *keyring;
    struct tc_form_cache *forms;
    struct tc_auth *auth; /* the password gate (one hash per core) and the Basic cache */
    struct tc_housekeeping *housekeeping;
    struct tc_server *srv;
};

/* No core files and no ptrace by other users: memory holds unit keys and session keys. */
static enum tc_status
harden_process(struct tc_error *err)
{
    const struct rlimit none = {0, 0};

    if (setrlimit(RLIMIT_CORE, &none) != 0)
        return tc_fail(err, TC_EINTERNAL, "could not disable core dumps");
#ifndef __SANITIZE_ADDRESS__ /* LeakSanitizer checks the process at exit through ptrace */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return tc_fail(err, TC_EINTERNAL, "could not make the process non-dumpable");
#endif
    return TC_OK;
}

/* Neither TINCAY_DATABASE_URL nor PG* name a database: run tincay's own cluster. */
static enum tc_status
start_private_cluster(struct serve *s, struct tc_error *err)
{
    s->cluster = tc_cluster_start(s->cfg.data_dir, s->conninfo, sizeof(s->conninfo), err);
    if (s->cluster == NULL)
        return err->status != TC_OK ? err->status : TC_EDB;
    tc_log(TC_LOG_INFO, NULL, "private PostgreSQL cluster in %s", tc_cluster_location(s->cluster));
    return TC_OK;
}

/* Bring the schema up to the version this binary knows (several servers may race here). */
static enum tc_status
run_migrations(struct tc_db_pool *pool, struct tc_error *err)
{
    struct tc_db_conn *conn = tc_db_acquire(pool, MIGRATE_WAIT_MS, err);
    size_t applied = 0;
    enum tc_status st;

    if (conn == NULL)
        return err->status;
    st = tc_migrate(conn, &applied, err);
    tc_db_release(pool, conn);
    if (st == TC_OK && applied > 0)
        tc_log(TC_LOG_INFO, NULL, "applied %zu schema migrations", applied);
    return st;
}

static enum tc_status
open_database(struct serve *s, struct tc_error *err)
{
    enum tc_status st;

    if (s->cfg.database_url[0] != '\0')
        snprintf(s->conninfo, sizeof(s->conninfo), "%s", s->cfg.database_url);
    else if (s->cfg.use_private_cluster && (st = start_private_cluster(s, err)) != TC_OK)
        return st;
    /* An empty conninfo leaves host, database and user to libpq's PG* variables. */
    if ((s->pool = tc_db_pool_create(s->conninfo, s->cfg.threads, err)) == NULL)
        return err->status != TC_OK ? err->status : TC_EDB;
    return run_migrations(s->pool, err);
}

/* TINCAY_FORMS_DIR: add and publish the shipped forms not stored yet (idempotent). */
static enum tc_status
load_shipped_forms(struct tc_db_pool *pool, const char *dir, struct tc_error *err)
{
    struct tc_db_conn *conn;
    size_t added = 0;
    enum tc_status st;

    if (dir == NULL || dir[0] == '\0')
        return TC_OK;
    if ((conn = tc_db_acquire(pool, MIGRATE_WAIT_MS, err)) == NULL)
        return err->status;
    st = tc_form_admin_load_dir(conn, dir, &added, err);
    tc_db_release(pool, conn);
    if (st == TC_OK)
        tc_log(TC_LOG_INFO, NULL, "shipped forms in %s: %zu new versions published", dir, added);
    return st;
}

/*
 * The default public URL names the bound port (TINCAY_LISTEN may say port 0) and https
 * when tincay terminates TLS itself. Written before the address is printed: no client
 * knows the port yet, so no handler reads it concurrently.
 */
static void
settle_public_url(struct tc_config *cfg, unsigned int port)
{
    bool v6 = strchr(cfg->listen_host, ':') != NULL;

    if (!cfg->public_url_is_default)
        return;
    snprintf(cfg->public_url, sizeof(cfg->public_url), "%s://%s%s%s:%u",
             cfg->tls_cert[0] != '\0' ? "https" : "http", v6 ? "[" : "", cfg->listen_host,
             v6 ? "]" : "", port);
}

/*
 * On the very first start (no admin account at all) create "admin" with a generated
 * password and print it once; later starts print nothing.
 */
static enum tc_status
bootstrap_admin(struct serve *s, char password[TC_PASSWORD_GENERATED], bool *created,
                struct tc_error *err)
{
    struct tc_db_conn *conn = tc_db_acquire(s->pool, MIGRATE_WAIT_MS, err);
    enum tc_status st;

    if (conn == NULL)
        return err->status;
    st = tc_user_bootstrap_admin(conn, tc_auth_gate(s->auth), created, password, err);
    tc_db_release(s->pool, conn);
    return st;
}

static enum tc_status
start(struct serve *s, struct tc_error *err)
{
    struct tc_server_options opts = {.cfg = &s->cfg};
    char password[TC_PASSWORD_GENERATED];
    bool created = false;
    unsigned int port;
    enum tc_status st;

    /* The key file is created at the first start and refused when others could read it. */
    if ((st = harden_process(err)) != TC_OK ||
        (st = tc_keyring_open(s->cfg.key_file, true, &s->keyring, err)) != TC_OK ||
        (st = open_database(s, err)) != TC_OK ||
        (st = load_shipped_forms(s->pool, getenv("TINCAY_FORMS_DIR"), err)) != TC_OK)
        return st;
    opts.pool = s->pool;
    opts.keyring = s->keyring;
    if ((s->auth = tc_auth_create(&(struct tc_auth_options){.cost = TC_PASSWORD_INTERACTIVE},
                                  err)) == NULL)
        return err->status;
    opts.auth = s->auth;
    if ((s->forms = tc_form_cache_create(FORM_CACHE_MAX, err)) == NULL)
        return err->status;
    opts.forms = s->forms;
    if ((st = tc_server_start(&opts, &s->srv, err)) != TC_OK ||
        (st = tc_housekeeping_start(s->pool, TC_HOUSEKEEPING_INTERVAL_S, &s->housekeeping, err)) !=
            TC_OK)
        return st;
    /* Only once the server listens: a password shown for a server that failed to start would
     * never be shown again. */
    if ((st = bootstrap_admin(s, password, &created, err)) != TC_OK)
        return st;
    port = tc_server_port(s->srv);
    settle_public_url(&s->cfg, port);
    printf("tincay %s listening on %s port %u%s (public URL %s)\n", TC_VERSION, s->cfg.listen_host,
           port, s->cfg.tls_cert[0] != '\0' ? " with TLS" : "", s->cfg.public_url);
    if (created)
        printf("first administrator: login \"admin\", password \"%s\"\n"
               "(shown once: note it now; change it after logging in)\n",
               password);
    sodium_memzero(password, sizeof(password));
    fflush(stdout);
    return TC_OK;
}

static void
stop(struct serve *s)
{
    tc_housekeeping_stop(s->housekeeping);
    tc_server_stop(s->srv);
    tc_auth_destroy(s->auth);
    tc_form_cache_destroy(s->forms);
    tc_db_pool_destroy(s->pool);
    tc_cluster_stop(s->cluster);
    tc_keyring_close(s->keyring);
    xmlCleanupParser();
}

static int
read_config(struct tc_config *cfg, struct tc_error *err)
{
    char report[4096] = "";

    if (tc_config_from_env(cfg, report, sizeof(report), err) == TC_OK)
        return 0;
    fprintf(stderr, "tincay serve: invalid configuration\n%s", report[0] ? report : err->msg);
    if (report[0] == '\0')
        fputc('\n', stderr);
    return 1;
}

int
tc_cmd_serve(int argc, char **argv)
{
    struct serve s = {0};
    struct tc_error err = TC_ERROR_INIT(tc_cli_lang());
    sigset_t stop_signals;
    int sig = 0;

    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "usage: tincay serve (configured by TINCAY_* variables)\n");
        return 2;
    }
    if (read_config(&s.cfg, &err) != 0)
        return 1;
    tc_log_set_level(s.cfg.log_level);
    if (sodium_init() < 0) {
        fprintf(stderr, "tincay serve: could not initialise libsodium\n");
        return 1;
    }
    xmlInitParser();
    /* Before any thread starts, so that every thread inherits the mask and only sigwait sees them.
     */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (start(&s, &err) != TC_OK) {
        stop(&s);
        return tc_cli_fail(&err);
    }
    sigwait(&stop_signals, &sig);
    tc_log(TC_LOG_INFO, NULL, "%s received: finishing requests in flight, then stopping",
           sig == SIGINT ? "SIGINT" : "SIGTERM");
    stop(&s);
    return 0;
}
