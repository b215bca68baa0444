/*
 * Sealed case ingest over HTTP beside plain survey ingest, in the same run: 16 clients post
 * Collect-style multipart submissions (`/key/<token>/submission`) for `seconds` each, once
 * with the Trusted Address case form (sealed to the unit: XML and a 64 KiB photo) and once
 * with the same form without tc:protect (stored plain); the figure is the ratio of their
 * throughputs. Then password logins under concurrent load at the product's Argon2id cost
 * (INTERACTIVE), more clients than the password gate has slots: the latency distribution
 * and how many were told 503 (the gate bounds the work; nothing piles up).
 *
 *   pg_virtualenv -t build/release/bench/bench_cases [seconds] [login_clients]
 *
 * It migrates the database it is given (PG* environment): use a throw-away one.
 */
#define _GNU_SOURCE /* asprintf */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "auth.h"
#include "http.h"
#include "tincay/app_users.h"
#include "tincay/arena.h"
#include "tincay/config.h"
#include "tincay/db.h"
#include "tincay/form.h"
#include "tincay/forms.h"
#include "tincay/keyfile.h"
#include "tincay/migrate.h"
#include "tincay/password.h"
#include "tincay/units.h"
#include "tincay/users.h"

#define CLIENTS     16
#define ROUNDS      3
#define MAX_SAMPLES 400000
#define PHOTO_BYTES (64 * 1024)
#define PASSWORD    "correct horse battery"

struct run {
    unsigned int port;
    const char *token;
    const char *form_id; /* dctc_case or dctc_plain */
    double seconds;
    const char *commune;
    const unsigned char *photo;
};

struct client {
    const struct run *run;
    size_t n, failed;
    double *lat_ms;
};

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
discard(char *data, size_t size, size_t n, void *ctx)
{
    (void)data;
    (void)ctx;
    return size * n;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static char *
submission_xml(const char *form_id, const char *commune)
{
    unsigned char r[16];
    char hex[33], *xml = NULL;

    randombytes_buf(r, sizeof(r));
    sodium_bin2hex(hex, sizeof(hex), r, sizeof(r));
    if (asprintf(&xml,
                 "<data id=\"%s\" version=\"2026112901\"><case_code>DC-%.8s</case_code>"
                 "<intake_date>2026-11-20</intake_date><intake_month>2026-11</intake_month>"
                 "<location><admin_era>post2025</admin_era><commune>post2025:%s</commune>"
                 "</location><intake><came_via>self</came_via><contact_mode>in_person"
                 "</contact_mode></intake><consent_record>yes</consent_record>"
                 "<victim_identity><victim_name>Nguyễn Thị Hoa</victim_name>"
                 "<victim_birth_year>1990</victim_birth_year><victim_phone>0912345678"
                 "</victim_phone><victim_address>thôn Nà Lừa, bản 3</victim_address>"
                 "</victim_identity><victim><victim_sex>female</victim_sex><age_band>16_59"
                 "</age_band></victim><violence><violence_forms>physical mental"
                 "</violence_forms><violence_desc>Bị chồng đánh nhiều lần khi say rượu, "
                 "đến nhờ giúp đỡ lúc nửa đêm cùng hai con nhỏ.</violence_desc></violence>"
                 "<document_photo>photo.jpg</document_photo>"
                 "<meta><instanceID>uuid:%s</instanceID></meta></data>",
                 form_id, hex + 8, commune, hex) < 0)
        return NULL;
    return xml;
}

/* One Collect-style post; 0 when the server answered 201. */
static int
post(CURL *c, const struct run *run)
{
    char url[256], *xml = submission_xml(run->form_id, run->commune);
    curl_mime *mime = curl_mime_init(c);
    curl_mimepart *part;
    long status = 0;

    snprintf(url, sizeof(url), "http://127.0.0.1:%u/key/%s/submission", run->port, run->token);
    part = curl_mime_addpart(mime);
    curl_mime_name(part, "xml_submission_file");
    curl_mime_filename(part, "submission.xml");
    curl_mime_type(part, "text/xml");
    curl_mime_data(part, xml, CURL_ZERO_TERMINATED);
    part = curl_mime_addpart(mime);
    curl_mime_name(part, "photo.jpg");
    curl_mime_filename(part, "photo.jpg");
    curl_mime_type(part, "image/jpeg");
    curl_mime_data(part, (const char *)run->photo, PHOTO_BYTES);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_mime_free(mime);
    free(xml);
    return status == 201 ? 0 : 1;
}

static void *
ingest_client(void *arg)
{
    struct client *cl = arg;
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "X-OpenRosa-Version: 1.0");
    double end = now_s() + cl->run->seconds;

    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    while (now_s() < end && cl->n < MAX_SAMPLES / CLIENTS) {
        double t0 = now_s();

        if (post(c, cl->run) != 0)
            cl->failed++;
        else
            cl->lat_ms[cl->n++] = (now_s() - t0) * 1000.0;
    }
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    return NULL;
}

/* Requests per second of `run` at CLIENTS clients, with its latency percentiles printed. */
static double
measure(const struct run *run, const char *label)
{
    pthread_t t[CLIENTS];
    struct client cl[CLIENTS];
    double *all = calloc(MAX_SAMPLES, sizeof(double)), t0 = now_s(), elapsed;
    size_t n = 0, failed = 0;

    for (int i = 0; i < CLIENTS; i++) {
        cl[i] =
            (struct client){.run = run, .lat_ms = calloc(MAX_SAMPLES / CLIENTS, sizeof(double))};
        pthread_create(&t[i], NULL, ingest_client, &cl[i]);
    }
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(t[i], NULL);
        memcpy(all + n, cl[i].lat_ms, cl[i].n * sizeof(double));
        n += cl[i].n;
        failed += cl[i].failed;
        free(cl[i].lat_ms);
    }
    elapsed = now_s() - t0;
    qsort(all, n, sizeof(double), cmp_double);
    printf("%-28s %3d clients  %8.1f submissions/s  p50 %6.1f ms  p95 %6.1f ms  p99 %6.1f ms"
           "  failed %zu\n",
           label, CLIENTS, (double)n / elapsed, n ? all[n / 2] : 0.0, n ? all[n * 95 / 100] : 0.0,
           n ? all[n * 99 / 100] : 0.0, failed);
    free(all);
    return (double)n / elapsed;
}

/* ---- logins ---- */

struct login_client {
    unsigned int port;
    char login[32];
    double lat_ms;
    long status;
};

static void *
login_client(void *arg)
{
    struct login_client *lc = arg;
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    char url[128], body[128];
    double t0 = now_s();

    snprintf(url, sizeof(url), "http://127.0.0.1:%u/api/v1/session", lc->port);
    snprintf(body, sizeof(body), "{\"login\": \"%s\", \"password\": \"%s\"}", lc->login, PASSWORD);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &lc->status);
    lc->lat_ms = (now_s() - t0) * 1000.0;
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    return NULL;
}

static void
measure_logins(unsigned int port, int n_clients, int rounds)
{
    struct login_client *lc = calloc((size_t)n_clients, sizeof(*lc));
    pthread_t *t = calloc((size_t)n_clients, sizeof(*t));
    double *ok = calloc((size_t)(n_clients * rounds), sizeof(double));
    double *busy = calloc((size_t)(n_clients * rounds), sizeof(double));
    size_t n_ok = 0, n_busy = 0, n_other = 0;

    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < n_clients; i++) {
            lc[i] = (struct login_client){.port = port};
            snprintf(lc[i].login, sizeof(lc[i].login), "host%02d", i);
            pthread_create(&t[i], NULL, login_client, &lc[i]);
        }
        for (int i = 0; i < n_clients; i++) {
            pthread_join(t[i], NULL);
            if (lc[i].status == 200)
                ok[n_ok++] = lc[i].lat_ms;
            else if (lc[i].status == 503)
                busy[n_busy++] = lc[i].lat_ms;
            else
                n_other++;
        }
    }
    qsort(ok, n_ok, sizeof(double), cmp_double);
    qsort(busy, n_busy, sizeof(double), cmp_double);
    printf("logins: %d at once x %d rounds (Argon2id INTERACTIVE, 2 per host login: password and "
           "unit key)\n",
           n_clients, rounds);
    printf("  200: %zu  p50 %.0f ms  p95 %.0f ms  max %.0f ms\n", n_ok, n_ok ? ok[n_ok / 2] : 0.0,
           n_ok ? ok[n_ok * 95 / 100] : 0.0, n_ok ? ok[n_ok - 1] : 0.0);
    printf("  503: %zu  p50 %.0f ms  max %.0f ms (told to retry once the gate's wait ran out)\n",
           n_busy, n_busy ? busy[n_busy / 2] : 0.0, n_busy ? busy[n_busy - 1] : 0.0);
    printf("  other: %zu\n", n_other);
    free(lc);
    free(t);
    free(ok);
    free(busy);
}

/* ---- setup ---- */

static char *
read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Replace the first `from` in `s` by `to` (same buffer size or smaller result). */
static void
replace(char *s, const char *from, const char *to)
{
    char *p = strstr(s, from);

    if (p != NULL) {
        memmove(p + strlen(to), p + strlen(from), strlen(p + strlen(from)) + 1);
        memcpy(p, to, strlen(to));
    }
}

static int
add_form(struct tc_db_conn *conn, char *xml, size_t len, struct tc_error *err)
{
    struct tc_form_model *model;
    int rc;

    if (tc_form_load(xml, len, &model, err) != TC_OK)
        return -1;
    {
        const struct tc_form_new fn = {.form_id = tc_form_id(model),
                                       .version = tc_form_version(model),
                                       .title = tc_form_title(model),
                                       .xml = (const unsigned char *)xml,
                                       .xml_len = len,
                                       .is_confidential = tc_form_is_confidential(model),
                                       .has_protected = tc_form_has_protected_fields(model),
                                       .publish = true};

        rc = tc_forms_insert(conn, &fn, NULL, err) == TC_OK ? 0 : -1;
    }
    tc_form_model_free(model);
    return rc;
}

struct world {
    char commune[8], province[4];
    char case_token[TC_APP_TOKEN_LEN + 1], plain_token[TC_APP_TOKEN_LEN + 1];
};

static int
setup(struct tc_db_conn *conn, struct tc_password_gate *gate, int n_hosts, struct world *w,
      struct tc_error *err)
{
    const struct tc_vault_kdf kdf = {.gate = gate, .cost = TC_PASSWORD_INTERACTIVE};
    const char *src = getenv("TINCAY_SOURCE_DIR") ? getenv("TINCAY_SOURCE_DIR") : ".";
    struct tc_arena *arena = tc_arena_create(4096);
    struct tc_db_result *res;
    struct tc_unit_key *escrow = NULL, *key = NULL;
    char path[512], *xml;
    size_t len;
    long long escrow_id = 0, unit = 0, app = 0;
    int rc = -1;

    if (tc_migrate(conn, NULL, err) != TC_OK ||
        tc_db_exec(conn,
                   "SELECT code, province_code FROM communes WHERE era = 'post2025'"
                   " ORDER BY code LIMIT 1",
                   0, NULL, arena, &res, err) != TC_OK)
        goto out;
    snprintf(w->commune, sizeof(w->commune), "%s", tc_db_value(res, 0, 0));
    snprintf(w->province, sizeof(w->province), "%s", tc_db_value(res, 0, 1));
    snprintf(path, sizeof(path), "%s/forms/dctc_case.xml", src);
    if ((xml = read_file(path, &len)) == NULL) {
        fprintf(stderr, "cannot read %s (set TINCAY_SOURCE_DIR)\n", path);
        goto out;
    }
    if (add_form(conn, xml, len, err) != 0)
        goto out;
    replace(xml, "id=\"dctc_case\"", "id=\"dctc_plain\"");
    replace(xml, " tc:protect=\"confidential\"", "");
    if (add_form(conn, xml, strlen(xml), err) != 0)
        goto out;
    free(xml);
    {
        const struct tc_user_new e = {
            .login = "escrow1", .role = TC_ROLE_ESCROW, .province_code = w->province};

        if (tc_user_create(conn, gate, &e, PASSWORD, strlen(PASSWORD), &escrow_id, err) != TC_OK ||
            tc_escrow_create(conn, &kdf, escrow_id, w->province, PASSWORD, strlen(PASSWORD), err) !=
                TC_OK ||
            tc_unit_create(conn, "U1", "Unit 1", w->commune, 0, &unit, err) != TC_OK ||
            tc_escrow_open(conn, &kdf, escrow_id, PASSWORD, strlen(PASSWORD), &escrow, err) !=
                TC_OK ||
            tc_unit_key_from_escrow(conn, escrow, escrow_id, unit, &key, err) != TC_OK)
            goto out;
    }
    for (int i = 0; i < n_hosts; i++) {
        char login[32];
        long long id;
        const struct tc_user_new h = {
            .login = login, .role = TC_ROLE_HOST, .commune_code = w->commune};

        snprintf(login, sizeof(login), "host%02d", i);
        if (tc_user_create(conn, gate, &h, PASSWORD, strlen(PASSWORD), &id, err) != TC_OK ||
            tc_unit_member_grant(conn, &kdf, unit, key, id, PASSWORD, strlen(PASSWORD), err) !=
                TC_OK)
            goto out;
    }
    if (tc_app_user_create(conn, "phone", unit, 0, w->case_token, &app, err) != TC_OK ||
        tc_app_user_assign(conn, app, "dctc_case", err) != TC_OK ||
        tc_app_user_create(conn, "collector-phone", 0, 0, w->plain_token, &app, err) != TC_OK ||
        tc_app_user_assign(conn, app, "dctc_plain", err) != TC_OK)
        goto out;
    rc = 0;
out:
    tc_unit_key_free(key);
    tc_unit_key_free(escrow);
    tc_arena_destroy(arena);
    return rc;
}

int
main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 10.0;
    int login_clients = argc > 2 ? atoi(argv[2]) : 24;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_config cfg = {.threads = CLIENTS};
    struct tc_db_pool *pool;
    struct tc_db_conn *conn;
    struct tc_password_gate *gate;
    struct tc_keyring *ring = NULL;
    struct tc_auth *auth;
    struct tc_server *srv = NULL;
    struct world w;
    unsigned char *photo = malloc(PHOTO_BYTES);
    char dir[] = "/tmp/tc_bench_cases_XXXXXX", keys[128];
    double plain, sealed;

    if (sodium_init() < 0 || photo == NULL || mkdtemp(dir) == NULL)
        return 1;
    randombytes_buf(photo, PHOTO_BYTES);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(cfg.listen_host, sizeof(cfg.listen_host), "127.0.0.1");
    snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", dir);
    snprintf(keys, sizeof(keys), "%s/keys/tincay.keys", dir);
    if ((pool = tc_db_pool_create("", CLIENTS + 4, &err)) == NULL ||
        (conn = tc_db_acquire(pool, 5000, &err)) == NULL ||
        (gate = tc_password_gate_create(0, 0, TC_PASSWORD_INTERACTIVE, &err)) == NULL ||
        tc_keyring_open(keys, true, &ring, &err) != TC_OK ||
        setup(conn, gate, login_clients, &w, &err) != 0 ||
        (auth = tc_auth_create(&(struct tc_auth_options){.cost = TC_PASSWORD_INTERACTIVE}, &err)) ==
            NULL) {
        fprintf(stderr, "setup: %s (%s)\n", err.msg, err.detail);
        return 1;
    }
    tc_db_release(pool, conn);
    {
        const struct tc_server_options o = {
            .cfg = &cfg, .pool = pool, .keyring = ring, .auth = auth, .stop_wait_ms = 5000};

        if (tc_server_start(&o, &srv, &err) != TC_OK) {
            fprintf(stderr, "server: %s\n", err.msg);
            return 1;
        }
    }
    {
        const struct run p = {tc_server_port(srv), w.plain_token, "dctc_plain", seconds,
                              w.commune,           photo};
        const struct run s = {tc_server_port(srv), w.case_token, "dctc_case", seconds,
                              w.commune,           photo};

        struct run warm_p = p, warm_s = s;

        warm_p.seconds = warm_s.seconds = seconds / 4; /* connections, caches, prepared SQL */
        (void)measure(&warm_p, "(warm-up) plain");
        (void)measure(&warm_s, "(warm-up) sealed");
        plain = sealed = 0;
        for (int round = 0; round < ROUNDS; round++) { /* alternated: load drifts evenly */
            plain += measure(&p, "plain survey ingest") / ROUNDS;
            sealed += measure(&s, "sealed case ingest") / ROUNDS;
        }
        printf("mean of %d rounds: plain %.1f/s, sealed %.1f/s, sealed / plain: %.0f %%\n", ROUNDS,
               plain, sealed, plain > 0 ? 100.0 * sealed / plain : 0.0);
    }
    measure_logins(tc_server_port(srv), login_clients, 3);
    tc_server_stop(srv);
    tc_auth_destroy(auth);
    tc_keyring_close(ring);
    tc_password_gate_destroy(gate);
    tc_db_pool_destroy(pool);
    free(photo);
    return 0;
}
