/*
 * Submission ingest over real HTTP against a real PostgreSQL, beside the raw PostgreSQL
 * ceiling measured in the same run: a realistic survey (tests/fixtures/form: livelihood
 * group with a repeat of members, ~3.5 KB of XML) POSTed as ODK Collect does, with an
 * app-user token, at 1, 4, 16 and 64 concurrent clients; formList at 16 clients; the
 * server's RSS idle and under load; `pgbench -n -f insert.sql -c 16` inserting the same XML,
 * one row per transaction.
 *
 * Usage (PG* set, e.g. under pg_virtualenv; build with the release preset):
 *   bench_collect [seconds per step] [path to the tincay binary]
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "form_admin.h"
#include "tincay/app_users.h"
#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/form.h"
#include "tincay/forms.h"
#include "tincay/migrate.h"
#include "tincay/strbuf.h"

#define PORT        18931
#define MEMBERS     22
#define MAX_SAMPLES 2000000

struct bench {
    int seconds;
    char base[128];
    char token[TC_APP_TOKEN_LEN + 1];
    pid_t server;
};

struct client {
    const struct bench *b;
    bool post;
    int id, clients;
    atomic_bool *stop;
    double *lat_ms;
    size_t n, errors;
};

static double
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static char *
read_fixture(const char *name, size_t *len)
{
    char path[2048];
    const char *self = __FILE__, *cut = strstr(self, "bench/bench_collect.c");
    FILE *f;
    char *buf;
    long size;

    snprintf(path, sizeof(path), "%.*stests/fixtures/form/%s", cut ? (int)(cut - self) : 0, self,
             name);
    if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)size + 1)) == NULL) {
        fprintf(stderr, "bench_collect: cannot read %s\n", path);
        exit(1);
    }
    *len = fread(buf, 1, (size_t)size, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

/*
 * The fixture form without its tc:protect attributes: this measures the plain ingest path
 * (sealing personal values is the vault's, measured separately).
 */
static char *
plain_form(size_t *len)
{
    char *xml = read_fixture("livelihood-survey.xml", len);
    static const char attr[] = " tc:protect=\"personal\"";
    char *p;

    while ((p = strstr(xml, attr)) != NULL)
        memmove(p, p + sizeof(attr) - 1, strlen(p + sizeof(attr) - 1) + 1);
    *len = strlen(xml);
    return xml;
}

/* One survey: 22 members in the repeat, a unique instance id. */
static void
survey(struct tc_strbuf *sb, const char *instance_id)
{
    tc_strbuf_reset(sb);
    tc_strbuf_appends(sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<survey "
                          "xmlns:jr=\"http://openrosa.org/javarosa\" "
                          "xmlns:orx=\"http://openrosa.org/xforms\" id=\"livelihood_survey\" "
                          "version=\"2025-01\"><commune>02131</commune><village>Bản Nà "
                          "Hẩu</village><group_name>Tổ hợp tác dệt thổ cẩm Nà Hẩu</group_name>"
                          "<activity>craft</activity><other_activity/>"
                          "<members_count>22</members_count><women_share>91.5</women_share>"
                          "<founded>2019-03-08</founded><location>21.7551 104.3312 520 5</location>"
                          "<needs>capital market</needs>");
    for (int i = 0; i < MEMBERS; i++)
        tc_strbuf_appendf(sb,
                          "<member><member_name>Lò Thị Mai %d</member_name><member_age>%d"
                          "</member_age><member_phone>09123456%02d</member_phone></member>",
                          i + 1, 20 + i, i);
    tc_strbuf_appendf(sb, "<photo/><meta><instanceID>%s</instanceID></meta></survey>\n",
                      instance_id);
}

static size_t
discard(char *data, size_t size, size_t n, void *cls)
{
    (void)data;
    (void)cls;
    return size * n;
}

static void *
client_run(void *arg)
{
    struct client *c = arg;
    CURL *h = curl_easy_init();
    struct curl_slist *hdrs = curl_slist_append(NULL, "X-OpenRosa-Version: 1.0");
    struct tc_strbuf xml = TC_STRBUF_INIT(1u << 20);
    char url[512], id[96];
    long code = 0;

    hdrs = curl_slist_append(hdrs, "Expect:");
    snprintf(url, sizeof(url), "%s/key/%s/%s", c->b->base, c->b->token,
             c->post ? "submission" : "formList");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    while (!atomic_load(c->stop) && c->n < MAX_SAMPLES) {
        curl_mime *mime = NULL;
        double t0;

        if (c->post) {
            curl_mimepart *p;

            snprintf(id, sizeof(id), "uuid:bench-%d-%d-%zu", c->clients, c->id, c->n + c->errors);
            survey(&xml, id);
            mime = curl_mime_init(h);
            p = curl_mime_addpart(mime);
            curl_mime_name(p, "xml_submission_file");
            curl_mime_filename(p, "submission.xml");
            curl_mime_type(p, "text/xml");
            curl_mime_data(p, tc_strbuf_str(&xml), xml.len);
            curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);
        }
        t0 = now_ms();
        if (curl_easy_perform(h) == CURLE_OK &&
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK &&
            code == (c->post ? 201 : 200))
            c->lat_ms[c->n++] = now_ms() - t0;
        else
            c->errors++;
        curl_mime_free(mime);
    }
    tc_strbuf_cleanup(&xml);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return NULL;
}

static long
rss_kb(pid_t pid)
{
    char path[64], line[256];
    FILE *f;
    long kb = -1;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* CPU seconds (user + system) the process has used so far. */
static double
cpu_s(pid_t pid)
{
    char path[64], buf[1024], *p;
    unsigned long utime = 0, stime = 0;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if ((f = fopen(path, "r")) == NULL)
        return 0;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Fields after the command name, which may hold spaces: state is field 3, utime 14. */
    if ((p = strrchr(buf, ')')) == NULL ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return 0;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static int
by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

struct result {
    double rps, p50, p99;
    double cpu_ms, client_ms; /* the server's and this client's CPU time per answered request */
    size_t n, errors;
    long rss_max_kb;
};

static struct result
load(const struct bench *b, bool post, int clients)
{
    struct client *c = calloc((size_t)clients, sizeof(*c));
    pthread_t *t = calloc((size_t)clients, sizeof(*t));
    atomic_bool stop = false;
    struct result r = {0};
    double t0, elapsed, *all, cpu0 = cpu_s(b->server), client0 = cpu_s(getpid());
    size_t k = 0;

    for (int i = 0; i < clients; i++) {
        c[i] = (struct client){.b = b, .post = post, .id = i, .clients = clients, .stop = &stop};
        c[i].lat_ms = malloc(MAX_SAMPLES / (size_t)clients * sizeof(double) + sizeof(double));
        pthread_create(&t[i], NULL, client_run, &c[i]);
    }
    t0 = now_ms();
    while (now_ms() - t0 < b->seconds * 1e3) {
        long kb = rss_kb(b->server);

        if (kb > r.rss_max_kb)
            r.rss_max_kb = kb;
        usleep(100000);
    }
    atomic_store(&stop, true);
    for (int i = 0; i < clients; i++) {
        pthread_join(t[i], NULL);
        r.n += c[i].n;
        r.errors += c[i].errors;
    }
    elapsed = (now_ms() - t0) / 1e3;
    r.cpu_ms = r.n > 0 ? (cpu_s(b->server) - cpu0) * 1e3 / (double)r.n : 0;
    r.client_ms = r.n > 0 ? (cpu_s(getpid()) - client0) * 1e3 / (double)r.n : 0;
    all = malloc((r.n + 1) * sizeof(double));
    for (int i = 0; i < clients; i++) {
        memcpy(all + k, c[i].lat_ms, c[i].n * sizeof(double));
        k += c[i].n;
        free(c[i].lat_ms);
    }
    qsort(all, r.n, sizeof(double), by_value);
    r.rps = (double)r.n / elapsed;
    r.p50 = r.n ? all[r.n / 2] : 0;
    r.p99 = r.n ? all[(size_t)((double)r.n * 0.99)] : 0;
    free(all);
    free(c);
    free(t);
    return r;
}

/* Schema, the plain form, an app user assigned to it, and the raw table for pgbench. */
static int
prepare(struct bench *b)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_pool *pool = tc_db_pool_create("", 1, &err);
    struct tc_db_conn *conn = pool ? tc_db_acquire(pool, 5000, &err) : NULL;
    struct tc_arena *arena = tc_arena_create(8192);
    long long id = 0;
    size_t len;
    char *xml = plain_form(&len);
    int rc = -1;

    if (conn == NULL || tc_migrate(conn, NULL, &err) != TC_OK)
        goto out;
    if (tc_form_admin_add(conn, (unsigned char *)xml, len, true, 0, arena, NULL, &err) != TC_OK &&
        err.status != TC_ECONFLICT)
        goto out;
    if (tc_app_user_create(conn, "bench", 0, 0, b->token, &id, &err) != TC_OK ||
        tc_app_user_assign(conn, id, "livelihood_survey", &err) != TC_OK)
        goto out;
    if (tc_db_exec_simple(conn,
                          "DROP TABLE IF EXISTS bench_raw; CREATE TABLE bench_raw (id bigint "
                          "GENERATED ALWAYS AS IDENTITY PRIMARY KEY, xml bytea NOT NULL, "
                          "received_at timestamptz NOT NULL DEFAULT now())",
                          &err) != TC_OK)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "bench_collect: %s (%s)\n", err.msg, err.detail);
    free(xml);
    tc_arena_destroy(arena);
    tc_db_release(pool, conn);
    tc_db_pool_destroy(pool);
    return rc;
}

static pid_t
start_server(const char *tincay, const char *data_dir)
{
    pid_t pid = fork();
    char listen[64];

    if (pid != 0)
        return pid;
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", PORT);
    setenv("TINCAY_LISTEN", listen, 1);
    setenv("TINCAY_DATA_DIR", data_dir, 1);
    setenv("TINCAY_PUBLIC_URL", "https://tincay.example.vn", 1);
    setenv("TINCAY_LOG_LEVEL", "warning", 1);
    if (getenv("TINCAY_THREADS") == NULL)
        setenv("TINCAY_THREADS", "16", 1); /* handlers block on PostgreSQL: overlap them */
    /* Every client comes from 127.0.0.1: as behind a reverse proxy, no per-address cap. */
    setenv("TINCAY_TRUSTED_PROXY", "127.0.0.1", 1);
    /* Its first start prints a generated admin password: not part of the figures. */
    if (freopen("/dev/null", "w", stdout) == NULL)
        _exit(127);
    execl(tincay, "tincay", "serve", (char *)NULL);
    perror("exec tincay");
    _exit(127);
}

static int
wait_ready(const struct bench *b)
{
    char url[256];
    CURL *h = curl_easy_init();
    long code = 0;

    snprintf(url, sizeof(url), "%s/healthz", b->base);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    for (int i = 0; i < 100 && code != 200; i++) {
        usleep(100000);
        if (curl_easy_perform(h) == CURLE_OK)
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    }
    curl_easy_cleanup(h);
    return code == 200 ? 0 : -1;
}

/* pgbench inserting the same XML, one row per transaction, 16 clients: tps. */
static double
raw_ceiling(int seconds, size_t *xml_len)
{
    struct tc_strbuf xml = TC_STRBUF_INIT(1u << 20);
    char sqlpath[] = "/tmp/bench_collect_insert_XXXXXX", cmd[512], line[512];
    int fd = mkstemp(sqlpath);
    FILE *f = fdopen(fd, "w"), *p;
    double tps = 0;

    survey(&xml, "uuid:pgbench");
    *xml_len = xml.len;
    fputs("INSERT INTO bench_raw (xml) VALUES (convert_to('", f);
    for (const char *s = tc_strbuf_str(&xml); *s != '\0'; s++)
        if (*s == '\'')
            fputs("''", f);
        else if (*s != '\n')
            fputc(*s, f);
    fputs("', 'UTF8'));\n", f);
    fclose(f);
    tc_strbuf_cleanup(&xml);
    snprintf(cmd, sizeof(cmd), "pgbench -n -f %s -c 16 -j 2 -T %d 2>&1", sqlpath, seconds);
    printf("raw ceiling: %s\n", cmd);
    if ((p = popen(cmd, "r")) != NULL) {
        while (fgets(line, sizeof(line), p) != NULL)
            if (sscanf(line, "tps = %lf", &tps) == 1)
                break;
        while (fgets(line, sizeof(line), p) != NULL)
            ;
        pclose(p);
    }
    unlink(sqlpath);
    return tps;
}

int
main(int argc, char **argv)
{
    struct bench b = {.seconds = argc > 1 ? atoi(argv[1]) : 10};
    const char *tincay = argc > 2 ? argv[2] : "./tincay";
    static const int levels[] = {1, 4, 16, 64};
    char data_dir[] = "/tmp/bench_collect_XXXXXX", cmd[128];
    struct result r16 = {0}, fl;
    long idle_kb, load_kb = 0;
    size_t xml_len = 0;
    double raw;

    if (sodium_init() < 0 || b.seconds <= 0 || mkdtemp(data_dir) == NULL)
        return 2;
    /*
     * pg_virtualenv's cluster is reached over loopback TCP with TLS on; a deployed tincay
     * talks to its private cluster over a Unix socket, without TLS. Both sides of the
     * comparison (pgbench and the server) go without TLS, unless the caller says otherwise.
     */
    setenv("PGSSLMODE", "disable", 0);
    setenv("PGGSSENCMODE", "disable", 0);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(b.base, sizeof(b.base), "http://127.0.0.1:%d", PORT);
    if (prepare(&b) != 0)
        return 1;
    raw = raw_ceiling(b.seconds, &xml_len);
    b.server = start_server(tincay, data_dir);
    if (wait_ready(&b) != 0) {
        fprintf(stderr, "bench_collect: the server did not come up\n");
        kill(b.server, SIGTERM);
        return 1;
    }
    sleep(1);
    idle_kb = rss_kb(b.server);
    printf("survey XML: %zu bytes, %d repeat entries\n", xml_len, MEMBERS);
    printf("raw PostgreSQL ceiling (pgbench, 16 clients): %.0f inserts/s\n", raw);
    printf("server RSS idle: %.1f MB\n\n", (double)idle_kb / 1024.0);
    printf("| clients | submissions/s | p50 ms | p99 ms | errors | RSS max MB | server CPU ms/req "
           "| client CPU ms/req | %% of raw |\n");
    printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        struct result r = load(&b, true, levels[i]);

        if (levels[i] == 16)
            r16 = r;
        if (r.rss_max_kb > load_kb)
            load_kb = r.rss_max_kb;
        printf("| %d | %.0f | %.2f | %.2f | %zu | %.1f | %.2f | %.2f | %.0f %% |\n", levels[i],
               r.rps, r.p50, r.p99, r.errors, (double)r.rss_max_kb / 1024.0, r.cpu_ms, r.client_ms,
               raw > 0 ? 100.0 * r.rps / raw : 0);
        fflush(stdout);
    }
    fl = load(&b, false, 16);
    printf("\nformList, 16 clients: %.0f req/s (p50 %.2f ms, p99 %.2f ms, %zu errors, server CPU "
           "%.3f ms/req, client CPU %.3f ms/req)\n",
           fl.rps, fl.p50, fl.p99, fl.errors, fl.cpu_ms, fl.client_ms);
    printf("server RSS: idle %.1f MB, max under submission load %.1f MB\n",
           (double)idle_kb / 1024.0, (double)load_kb / 1024.0);
    printf("ingest at 16 clients: %.0f %% of the raw ceiling, p99 %.2f ms\n",
           raw > 0 ? 100.0 * r16.rps / raw : 0, r16.p99);
    kill(b.server, SIGTERM);
    waitpid(b.server, NULL, 0);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", data_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_collect: could not remove %s\n", data_dir);
    curl_global_cleanup();
    return 0;
}
