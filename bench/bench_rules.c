/*
 * Scoring figures (docs/benchmarks.md, "Scoring"):
 *  1. in memory, one thread: submissions scored per second with the shipped Project 8
 *     ruleset (values JSON → document → gates, points, ties, keys, recommendation);
 *  2. with a database (libpq's PG* environment, e.g. under `pg_virtualenv -t`): scoring on
 *     arrival (one submission per call, as the OpenRosa path does), and the time to
 *     re-score N stored groups in the background job, for each N given.
 * Usage: bench_rules [N ...]   (default 10000 100000; no database: step 1 only)
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/form.h"
#include "tincay/forms.h"
#include "tincay/jobs.h"
#include "tincay/migrate.h"
#include "tincay/rules.h"

static char *
read_source(const char *rel, size_t *len)
{
    char path[2048];
    const char *self = __FILE__, *cut = strstr(self, "bench/bench_rules.c");
    FILE *f;
    char *buf = NULL;
    long size;

    snprintf(path, sizeof(path), "%.*s%s", cut ? (int)(cut - self) : 0, self, rel);
    if ((f = fopen(path, "rb")) == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)size + 1)) != NULL) {
        *len = fread(buf, 1, (size_t)size, f);
        buf[*len] = '\0';
    }
    fclose(f);
    return buf;
}

static double
now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds used by this process (every thread). */
static double
self_cpu_seconds(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* CPU seconds the whole machine spent busy (not idle, not waiting), from /proc/stat. */
static double
machine_busy_seconds(void)
{
    unsigned long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "r");
    long hz = sysconf(_SC_CLK_TCK);

    if (f == NULL)
        return 0;
    if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
               &v[5], &v[6], &v[7]) != 8)
        v[0] = v[1] = v[2] = v[5] = v[6] = v[7] = 0;
    fclose(f);
    return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)(hz > 0 ? hz : 100);
}

/* A group's values JSON, varied by i (the same generator as the SQL below, in spirit). */
static char *
group_json(struct tc_arena *arena, unsigned i)
{
    unsigned total = 5 + i % 20, em = i % 5, poor = i % 4;

    return tc_arena_printf(
        arena,
        "{\"survey_date\":\"2026-03-%02u\",\"consent\":\"yes\",\"location\":{\"commune\":"
        "\"post2025:03390\",\"village_name\":\"Bản %u\"},\"identity\":{\"group_name\":\"Tổ %u\","
        "\"legal_form\":\"%s\",\"year_started\":\"%u\",\"has_charter\":\"yes\","
        "\"registered\":\"yes\",\"households_count\":\"%u\"},\"activity\":{\"ocop_status\":"
        "\"none\"},\"leadership\":{\"leader_sex\":\"%s\",\"women_leader\":\"sole\"},"
        "\"membership\":{\"members_total\":\"%u\",\"members_women\":\"%u\","
        "\"members_em_women\":\"%u\",\"members_poor\":\"%u\",\"members_near_poor\":\"1\","
        "\"members_female_heads\":\"1\",\"members_disability\":\"0\",\"women_share\":\"0.8\","
        "\"em_women_share\":\"%.4f\",\"poor_share\":\"%.4f\"},\"capital\":{"
        "\"capital_women_share\":\"0.6\"},\"economy\":{\"market_links\":\"trader\","
        "\"smartphone_members\":\"%u\",\"internet_access\":\"mobile\",\"sells_online\":\"no\"},"
        "\"needs\":{\"needs_cost_total\":\"%u000000\",\"counterpart_total\":\"%u000000\","
        "\"counterpart_commit\":\"yes\",\"reporting_commit\":\"yes\"},\"support\":{"
        "\"p8_supported_before\":\"no\",\"no_duplicate_declared\":\"yes\"}}",
        1 + i % 28, i % 20, i,
        i % 3 == 0   ? "group"
        : i % 3 == 1 ? "tht"
                     : "htx",
        2015 + i % 12, 2 + i % 10, i % 7 == 0 ? "male" : "female", total, total - 1, em, poor,
        (double)em / total, (double)(poor + 1) / total, i % total, 20 + i % 40, i % 10);
}

static int
bench_memory(const struct tc_ruleset *rs, double seconds)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_score_facts facts = {
        .area_found = true, .area_verified = true, .area_kv = "III", .area_dbkk = true};
    struct tc_money_terms terms = {.has_norm_row = true,
                                   .has_ceiling = true,
                                   .has_allocation = true,
                                   .ceiling = 30000000,
                                   .remaining = 1000000000};
    double start = now_seconds(), elapsed;
    size_t runs = 0, eligible = 0;

    do {
        struct tc_arena *arena = tc_arena_create(1u << 16);
        struct tc_rules_doc *doc = NULL;
        struct tc_score s;

        if (arena == NULL ||
            tc_rules_doc_from_json(group_json(arena, (unsigned)runs), "data", &doc, &err) !=
                TC_OK ||
            tc_rules_eval(rs, doc, &facts, arena, &s, &err) != TC_OK) {
            fprintf(stderr, "bench_rules: %s\n", err.msg);
            return -1;
        }
        tc_rules_recommend(&s, &terms);
        eligible += s.eligible;
        /* the stored JSON is part of the work of a score */
        if (tc_score_points_json(&s, arena) == NULL || tc_score_gates_json(&s, arena) == NULL)
            return -1;
        tc_rules_doc_free(doc);
        tc_arena_destroy(arena);
        runs++;
    } while ((elapsed = now_seconds() - start) < seconds);
    printf("in memory, 1 thread: %zu scores in %.2f s = %.0f scores/s per core (%zu eligible; "
           "%zu gates, %zu criteria, %zu tie-breakers)\n",
           runs, elapsed, (double)runs / elapsed, eligible, tc_ruleset_gate_count(rs),
           tc_ruleset_criterion_count(rs), tc_ruleset_tiebreak_count(rs));
    return 0;
}

/* N generated groups over 4 communes: shares, forms and needs vary with i. */
static const char sql_fill[] =
    "INSERT INTO submissions (form, form_id, form_version, instance_id, xml_sealed, key_id,"
    "                         xml_sha256, values)"
    " SELECT $1::bigint, 'livelihood_needs', '2026112901', 'uuid:bench-' || $3 || '-' || i,"
    "   '\\x00'::bytea, 'bench', repeat('0', 64), jsonb_build_object("
    "   'survey_date', '2026-03-' || lpad((1 + i % 28)::text, 2, '0'),"
    "   'consent', CASE WHEN i % 50 = 0 THEN 'no' ELSE 'yes' END,"
    "   'location', jsonb_build_object('commune', 'post2025:' ||"
    "       (ARRAY['03390', '03400', '03430', '03424'])[1 + i % 4], 'village_name', 'Bản ' || i % "
    "20),"
    "   'identity', jsonb_build_object('group_name', 'Tổ ' || i,"
    "       'legal_form', (ARRAY['group', 'tht', 'htx'])[1 + i % 3],"
    "       'year_started', (2015 + i % 12)::text, 'has_charter', 'yes', 'registered', 'yes',"
    "       'households_count', (2 + i % 10)::text,"
    "       'registration_number', CASE WHEN i % 3 = 0 THEN '' ELSE 'REG-' || i END),"
    "   'activity', jsonb_build_object('ocop_status', (ARRAY['none', 'preparing', 'rated'])[1 + i "
    "% 3]),"
    "   'leadership', jsonb_build_object('leader_sex', CASE WHEN i % 7 = 0 THEN 'male' ELSE"
    "       'female' END, 'women_leader', (ARRAY['sole', 'co', 'sole'])[1 + i % 3]),"
    "   'membership', jsonb_build_object('members_total', (5 + i % 20)::text,"
    "       'members_women', (4 + i % 20)::text, 'members_em_women', (i % 5)::text,"
    "       'members_poor', (i % 4)::text, 'members_near_poor', '1',"
    "       'members_female_heads', '1', 'members_disability', (i % 2)::text,"
    "       'women_share', '0.8', 'em_women_share', round((i % 5)::numeric / (5 + i % 20), "
    "4)::text,"
    "       'poor_share', round((i % 4 + 1)::numeric / (5 + i % 20), 4)::text),"
    "   'capital', jsonb_build_object('capital_women_share', '0.6'),"
    "   'economy', jsonb_build_object('market_links', 'trader local_market',"
    "       'smartphone_members', (i % 12)::text, 'internet_access', 'mobile',"
    "       'sells_online', CASE WHEN i % 5 = 0 THEN 'yes' ELSE 'no' END),"
    "   'needs', jsonb_build_object('needs_cost_total', (20 + i % 40)::text || '000000',"
    "       'counterpart_total', (i % 10)::text || '000000', 'counterpart_commit', 'yes',"
    "       'reporting_commit', 'yes'),"
    "   'support', jsonb_build_object('p8_supported_before', CASE WHEN i % 11 = 0 THEN 'yes'"
    "       ELSE 'no' END, 'no_duplicate_declared', 'yes'))"
    " FROM generate_series(1, $2::int) AS i";

static const char sql_reference[] =
    "INSERT INTO areas (era, commune_code, kv, dbkk, source, verified) VALUES"
    " ('post2025', '03390', 'III', false, 'bench', true),"
    " ('post2025', '03400', 'III', false, 'bench', true),"
    " ('post2025', '03430', 'II', false, 'bench', true),"
    " ('post2025', '03424', NULL, NULL, 'bench', false);"
    "INSERT INTO areas (era, commune_code, village_name, village_label, kv, dbkk, source,"
    " verified) SELECT 'post2025', '03430', 'bản ' || v, 'Bản ' || v, 'II', true, 'bench', true"
    " FROM generate_series(0, 9) v;"
    "INSERT INTO allocations (era, commune_code, year, amount) SELECT 'post2025', c, 2026,"
    " 5000000000 FROM unnest(ARRAY['03390', '03400', '03430', '03424']) c;"
    "INSERT INTO support_registry (program, year, registration_number) SELECT 'p8', 2025,"
    " 'REG-' || i FROM generate_series(1, 100000, 97) i";

struct db_bench {
    struct tc_db_pool *pool;
    struct tc_db_conn *conn;
    long long form;
    char *rules_xml;
    size_t rules_len;
    int version;
};

static int
db_setup(struct db_bench *b, const char *form_xml, size_t form_len, struct tc_error *err)
{
    struct tc_form_new in = {.form_id = "livelihood_needs",
                             .version = "2026112901",
                             .title = "livelihood",
                             .xml = (const unsigned char *)form_xml,
                             .xml_len = form_len,
                             .has_protected = true,
                             .publish = true};
    char path[1024];
    const char *self = __FILE__, *cut = strstr(self, "bench/bench_rules.c");

    snprintf(path, sizeof(path), "%.*sforms/rules/norms-tt55-2023.csv", cut ? (int)(cut - self) : 0,
             self);
    if (tc_migrate(b->conn, NULL, err) != TC_OK || tc_forms_insert(b->conn, &in, &b->form, err) ||
        tc_db_exec_simple(b->conn, sql_reference, err) != TC_OK ||
        tc_norms_load_csv(b->conn, path, "bench", NULL, err) != TC_OK ||
        tc_ruleset_install(b->conn, b->rules_xml, b->rules_len, err) != TC_OK)
        return -1;
    for (int i = 0; i < 3; i++) {
        static const char *const items[] = {"P8-C2-LIVELIHOOD-GROUP", "P8-C2-LIVELIHOOD-THT",
                                            "P8-C2-LIVELIHOOD-HTX"};
        if (tc_norm_set(b->conn, items[i], 30000000 + 10000000LL * i, "bench, not official",
                        "bench", err) != TC_OK)
            return -1;
    }
    return 0;
}

#define FILL_STEP 50000LL /* rows added by one statement */

/* Add rows up to `n` stored submissions in total, then time a full re-score job. */
static int
bench_rescore(struct db_bench *b, long long *stored, long long n, struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(4096);
    char form[24], count[24], tag[24], *text;
    struct tc_job job;
    long long job_id = 0;
    double t0, t1, t2, c1, c2, m1, m2;

    snprintf(form, sizeof(form), "%lld", b->form);
    t0 = now_seconds();
    /* in steps, each statement well inside the session's statement timeout */
    for (long long step; *stored < n; *stored += step) {
        step = n - *stored < FILL_STEP ? n - *stored : FILL_STEP;
        snprintf(count, sizeof(count), "%lld", step);
        snprintf(tag, sizeof(tag), "%lld", *stored);
        if (tc_db_exec(b->conn, sql_fill, 3, (const char *[]){form, count, tag}, arena, NULL,
                       err) != TC_OK)
            return -1;
    }
    tc_db_exec_simple(b->conn, "VACUUM ANALYZE submissions", err);
    /* each N gets its own version, so every score is an insert as after an activation */
    b->version++;
    text = tc_arena_strdup(arena, b->rules_xml);
    memcpy(strstr(text, "version=\"1\""), tc_arena_printf(arena, "version=\"%d\"", b->version % 10),
           11);
    if (tc_ruleset_install(b->conn, text, strlen(text), err) != TC_OK ||
        tc_ruleset_activate(b->conn, "tt55-2023-project8-livelihood", b->version % 10, &job_id,
                            err) != TC_OK)
        return -1;
    t1 = now_seconds();
    c1 = self_cpu_seconds();
    m1 = machine_busy_seconds();
    while (tc_job_take(b->conn, "rescore", "bench", arena, &job, err) == TC_OK)
        if (tc_rescore_run(b->conn, &job, 1000, err) != TC_OK)
            return -1;
    t2 = now_seconds();
    c2 = self_cpu_seconds();
    m2 = machine_busy_seconds();
    printf("re-score %lld stored groups (batches of 1000, 2 connections): %.2f s = %.0f groups/s "
           "(filling the table took %.1f s)\n"
           "  CPU per group: %.1f us in this process (scoring), %.1f us elsewhere on the machine "
           "(PostgreSQL and any other work); cores busy %.0f %% of the time\n",
           n, t2 - t1, (double)n / (t2 - t1), t1 - t0, 1e6 * (c2 - c1) / (double)n,
           1e6 * ((m2 - m1) - (c2 - c1)) / (double)n,
           100.0 * (m2 - m1) / ((t2 - t1) * (double)sysconf(_SC_NPROCESSORS_ONLN)));
    fflush(stdout);
    tc_arena_destroy(arena);
    return 0;
}

static int
bench_arrival(struct db_bench *b, const struct tc_ruleset *rs, struct tc_error *err)
{
    const int n = 2000;
    double t0 = now_seconds(), t;

    for (int i = 1; i <= n; i++) {
        struct tc_arena *arena = tc_arena_create(1u << 16);
        if (tc_score_submission(b->conn, rs, i, arena, NULL, err) != TC_OK)
            return -1;
        tc_arena_destroy(arena);
    }
    t = now_seconds() - t0;
    printf("on arrival (tc_score_submission, one at a time): %d in %.2f s = %.2f ms each\n", n, t,
           1000.0 * t / n);
    /* what the server's pool of loaded rulesets (server/form_cache.h) saves each submission */
    t0 = now_seconds();
    for (int i = 0; i < 200; i++) {
        struct tc_ruleset *loaded = NULL;
        if (tc_ruleset_load_version(b->conn, tc_ruleset_id(rs), tc_ruleset_version(rs), &loaded,
                                    err) != TC_OK)
            return -1;
        tc_ruleset_free(loaded);
    }
    printf("loading the ruleset version from the database (ruleset and form XML, both parsed):"
           " %.2f ms each\n",
           1000.0 * (now_seconds() - t0) / 200);
    return 0;
}

/* Create a scratch database next to the one PG* names (never touching that one). */
static struct tc_db_pool *
scratch_database(struct tc_db_pool **admin, char *name, size_t size, struct tc_error *err)
{
    struct tc_db_conn *conn;
    char sql[128], conninfo[160];
    enum tc_status st;

    snprintf(name, size, "tincay_bench_rules_%ld", (long)getpid());
    if ((*admin = tc_db_pool_create("", 1, err)) == NULL ||
        (conn = tc_db_acquire(*admin, 2000, err)) == NULL)
        return NULL;
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    st = tc_db_exec_simple(conn, sql, err);
    tc_db_release(*admin, conn);
    if (st != TC_OK)
        return NULL;
    snprintf(conninfo, sizeof(conninfo), "dbname=%s", name);
    /* the re-score job takes the second connection for its helper worker */
    return tc_db_pool_create(conninfo, 2, err);
}

static void
drop_scratch(struct tc_db_pool *admin, const char *name)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = admin != NULL ? tc_db_acquire(admin, 2000, &err) : NULL;
    char sql[128];

    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", name);
    if (conn != NULL)
        tc_db_exec_simple(conn, sql, &err);
    tc_db_release(admin, conn);
    tc_db_pool_destroy(admin);
}

static int
bench_database(const struct tc_ruleset *rs, char *rules_xml, size_t rules_len, const char *form_xml,
               size_t form_len, int argc, char **argv)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct db_bench b = {.rules_xml = rules_xml, .rules_len = rules_len, .version = 1};
    struct tc_db_pool *admin = NULL;
    char name[64];
    long long stored = 0;
    int rc = -1;

    if ((b.pool = scratch_database(&admin, name, sizeof(name), &err)) == NULL ||
        (b.conn = tc_db_acquire(b.pool, 2000, &err)) == NULL) {
        printf("no database (%s): database figures skipped\n", err.msg);
        tc_db_pool_destroy(b.pool);
        drop_scratch(admin, name);
        return 0;
    }
    if (db_setup(&b, form_xml, form_len, &err) != 0)
        goto out;
    for (int i = 1; i <= (argc > 1 ? argc - 1 : 2); i++) {
        long long n = argc > 1 ? atoll(argv[i]) : (i == 1 ? 10000 : 100000);
        if (n > stored && bench_rescore(&b, &stored, n, &err) != 0)
            goto out;
        if (i == 1 && bench_arrival(&b, rs, &err) != 0)
            goto out;
    }
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "bench_rules: %s (%s)\n", err.msg, err.detail);
    tc_db_release(b.pool, b.conn);
    tc_db_pool_destroy(b.pool);
    drop_scratch(admin, name);
    return rc;
}

int
main(int argc, char **argv)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_form_model *model = NULL;
    struct tc_ruleset *rs = NULL;
    size_t form_len = 0, rules_len = 0;
    char *form_xml = read_source("forms/livelihood_needs.xml", &form_len);
    char *rules_xml = read_source("forms/rules/tt55-2023-project8-livelihood.xml", &rules_len);
    int rc = 1;

    if (sodium_init() < 0 || form_xml == NULL || rules_xml == NULL)
        return 1;
    tc_xml_init();
    if (tc_form_load(form_xml, form_len, &model, &err) != TC_OK ||
        tc_ruleset_load(rules_xml, rules_len, model, &rs, &err) != TC_OK) {
        fprintf(stderr, "bench_rules: %s\n", err.msg);
        goto out;
    }
    {
        double t0 = now_seconds();
        int loads = 0;
        for (; loads < 200; loads++) {
            struct tc_ruleset *again = NULL;
            if (tc_ruleset_load(rules_xml, rules_len, model, &again, &err) != TC_OK)
                goto out;
            tc_ruleset_free(again);
        }
        printf("ruleset load (parse, compile, check every field): %.2f ms\n",
               1000.0 * (now_seconds() - t0) / loads);
    }
    if (bench_memory(rs, 3.0) == 0 &&
        bench_database(rs, rules_xml, rules_len, form_xml, form_len, argc, argv) == 0)
        rc = 0;
out:
    tc_ruleset_free(rs);
    tc_form_model_free(model);
    free(form_xml);
    free(rules_xml);
    return rc;
}
