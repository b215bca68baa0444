/*
 * Submission ingest through the store layer (tc_submission_store: row, findings, slots,
 * audit row, one transaction each) beside the raw PostgreSQL ceiling (one INSERT of the
 * same XML per transaction), at 1, 4 and 16 clients for `seconds` each.
 *
 *   pg_virtualenv -t build/release/bench/bench_ingest [seconds]
 *
 * It migrates the database it is given (PG* environment): use a throw-away one.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "tincay/db.h"
#include "tincay/forms.h"
#include "tincay/migrate.h"
#include "tincay/submissions.h"

#define MAX_CLIENTS 16
#define MAX_SAMPLES 200000

struct shared {
    struct tc_db_pool *pool;
    long long form;
    bool raw;
    double seconds;
    char xml_head[128], xml_tail[4096]; /* the instance id goes between them */
    int run;
};

struct client {
    struct shared *sh;
    int index;
    size_t n;
    double *lat_ms; /* per operation */
    int failed;
};

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char sql_raw[] = "INSERT INTO bench_raw (instance_id, xml) VALUES ($1, $2::bytea)";

static enum tc_status
one_op(struct client *c, struct tc_db_conn *conn, size_t i, struct tc_error *err)
{
    char instance[64], xml[4200], sha[65];
    unsigned char digest[32];
    int len;

    snprintf(instance, sizeof(instance), "uuid:%d-%d-%zu", c->sh->run, c->index, i);
    len = snprintf(xml, sizeof(xml), "%s%s%s", c->sh->xml_head, instance, c->sh->xml_tail);
    if (c->sh->raw) {
        const char *params[2] = {instance, xml};
        size_t lengths[2] = {0, (size_t)len};
        bool binary[2] = {false, true};

        return tc_db_exec_bin(conn, sql_raw, 2, params, lengths, binary, NULL, NULL, err);
    }
    crypto_hash_sha256(digest, (const unsigned char *)xml, (unsigned long long)len);
    sodium_bin2hex(sha, sizeof(sha), digest, sizeof(digest));
    {
        struct tc_ingest in = {.form = c->sh->form,
                               .form_id = "bench",
                               .form_version = "1",
                               .instance_id = instance,
                               .xml = (const unsigned char *)xml,
                               .xml_len = (size_t)len,
                               .xml_sha256 = sha,
                               .values_json = "{\"group\": {\"members\": 7}}",
                               .app_user_id = 0,
                               .device_id = "collect:bench"};
        struct tc_ingest_result r;

        return tc_submission_store(conn, &in, &r, err);
    }
}

static void *
run_client(void *arg)
{
    struct client *c = arg;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_db_acquire(c->sh->pool, 5000, &err);
    double end = now_s() + c->sh->seconds;

    if (conn == NULL) {
        c->failed = 1;
        return NULL;
    }
    while (now_s() < end && c->n < MAX_SAMPLES) {
        double t0 = now_s();

        if (one_op(c, conn, c->n, &err) != TC_OK) {
            fprintf(stderr, "client %d: %s (%s)\n", c->index, err.msg, err.detail);
            c->failed = 1;
            break;
        }
        c->lat_ms[c->n++] = (now_s() - t0) * 1000.0;
    }
    tc_db_release(c->sh->pool, conn);
    return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static int
run(struct shared *sh, int n_clients)
{
    pthread_t threads[MAX_CLIENTS];
    struct client clients[MAX_CLIENTS];
    double *all, t0 = now_s(), elapsed;
    size_t total = 0, k = 0;
    int failed = 0;

    for (int i = 0; i < n_clients; i++) {
        clients[i] = (struct client){.sh = sh, .index = i};
        clients[i].lat_ms = calloc(MAX_SAMPLES, sizeof(double));
        pthread_create(&threads[i], NULL, run_client, &clients[i]);
    }
    for (int i = 0; i < n_clients; i++) {
        pthread_join(threads[i], NULL);
        total += clients[i].n;
        failed |= clients[i].failed;
    }
    elapsed = now_s() - t0;
    all = calloc(total + 1, sizeof(double));
    for (int i = 0; i < n_clients; i++) {
        memcpy(all + k, clients[i].lat_ms, clients[i].n * sizeof(double));
        k += clients[i].n;
        free(clients[i].lat_ms);
    }
    qsort(all, total, sizeof(double), cmp_double);
    printf("%-6s %3d clients  %8.0f /s  p50 %6.2f ms  p99 %6.2f ms  (%zu in %.1f s)\n",
           sh->raw ? "raw" : "ingest", n_clients, (double)total / elapsed,
           total ? all[total / 2] : 0.0, total ? all[total * 99 / 100] : 0.0, total, elapsed);
    free(all);
    return failed;
}

static void
make_xml(struct shared *sh)
{
    /* About 3.5 KB: a survey of a livelihood group with a repeat of its members. */
    char *out = sh->xml_tail;
    size_t size = sizeof(sh->xml_tail);
    int n;

    snprintf(sh->xml_head, sizeof(sh->xml_head),
             "<data id=\"bench\" version=\"1\"><meta><instanceID>");
    n = snprintf(out, size,
                 "</instanceID></meta>"
                 "<group><name>Tổ hợp tác dệt thổ cẩm Bản Bo</name><commune>03820</commune>"
                 "<village>Bản Bo</village><founded>2019-05-01</founded>");

    for (int i = 0; i < 30 && n > 0 && (size_t)n < size - 300; i++)
        n += snprintf(out + n, size - (size_t)n,
                      "<member><name>Lò Thị %c</name><birth_year>%d</birth_year><ethnic>05</ethnic>"
                      "<owner>%s</owner><income>%d</income></member>",
                      'A' + i, 1970 + i, i % 2 ? "yes" : "no", 1500000 + i * 10000);
    snprintf(out + n, size - (size_t)n, "</group></data>");
}

int
main(int argc, char **argv)
{
    static const int client_counts[] = {1, 4, 16};
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct shared sh = {.seconds = argc > 1 ? atof(argv[1]) : 3.0};
    struct tc_form_new form = {.form_id = "bench",
                               .version = "1",
                               .title = "bench",
                               .xml = (const unsigned char *)"<h:html/>",
                               .xml_len = 9,
                               .publish = true};
    struct tc_db_conn *conn;
    int failed = 0;

    if (sodium_init() < 0)
        return 1;
    make_xml(&sh);
    if ((sh.pool = tc_db_pool_create("", MAX_CLIENTS, &err)) == NULL ||
        (conn = tc_db_acquire(sh.pool, 5000, &err)) == NULL || tc_migrate(conn, NULL, &err) ||
        tc_db_exec_simple(conn,
                          "CREATE TABLE IF NOT EXISTS bench_raw (id bigint GENERATED ALWAYS AS "
                          "IDENTITY PRIMARY KEY, instance_id text UNIQUE, xml bytea)",
                          &err) ||
        tc_forms_insert(conn, &form, &sh.form, &err)) {
        fprintf(stderr, "bench_ingest: %s (%s)\n", err.msg, err.detail);
        return 1;
    }
    tc_db_release(sh.pool, conn);
    printf("submission XML: %zu bytes\n", strlen(sh.xml_head) + strlen(sh.xml_tail) + 16);
    for (size_t i = 0; i < sizeof(client_counts) / sizeof(client_counts[0]); i++) {
        sh.raw = true;
        sh.run++;
        failed |= run(&sh, client_counts[i]);
        sh.raw = false;
        sh.run++;
        failed |= run(&sh, client_counts[i]);
    }
    tc_db_pool_destroy(sh.pool);
    return failed;
}
