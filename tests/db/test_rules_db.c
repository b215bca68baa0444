/*
 * Rules against a real PostgreSQL: norms with history, areas and the unverified-area gate,
 * the villages media, scores stored with the submission in its transaction, activating a
 * new version re-scoring in the background (progress, old scores kept), allocations, and
 * duplicate support found in the registry. The tests run in order and build on each other.
 */

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "form_cache.h"
#include "testlib.h"
#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/form.h"
#include "tincay/forms.h"
#include "tincay/jobs.h"
#include "tincay/migrate.h"
#include "tincay/rules.h"
#include "tincay/submissions.h"

struct fixture {
    char conninfo[256];
    char dir[64]; /* scratch directory for CSV files */
    struct tc_db_pool *pool;
    struct tc_db_conn *conn;
    struct tc_arena *arena;
    struct tc_ruleset *rs;
    long long form;
    char *rules_xml;
    size_t rules_len;
    int n_subs;
};

static char *
read_source_abs(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    assert_non_null(f);
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

static char *
read_source(const char *rel, size_t *len)
{
    char path[1024];

    return read_source_abs(tc_test_source_path(rel, path, sizeof(path)), len);
}

static const char *
write_file(struct fixture *f, const char *name, const char *text)
{
    char *path = tc_arena_printf(f->arena, "%s/%s", f->dir, name);
    FILE *out = fopen(path, "w");

    assert_non_null(out);
    fputs(text, out);
    fclose(out);
    return path;
}

/* One query's single value, as text ("" for NULL). */
static const char *
scalar(struct fixture *f, const char *sql)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_result *res;

    if (tc_db_exec_dynamic(f->conn, sql, 0, NULL, f->arena, &res, &err) != TC_OK)
        fail_msg("%s: %s", sql, err.detail);
    assert_int_equal(tc_db_rows(res), 1);
    return tc_db_is_null(res, 0, 0) ? "" : tc_db_value(res, 0, 0);
}

/* A group's values JSON (see tests/unit/test_rules.c for the points of the base group). */
static char *
values(struct fixture *f, const char *commune, const char *village, const char *group_name,
       const char *reg)
{
    return tc_arena_printf(
        f->arena,
        "{\"survey_date\":\"2026-03-15\",\"consent\":\"yes\",\"location\":{\"commune\":\"%s\","
        "\"village_name\":\"%s\"},\"identity\":{\"group_name\":\"%s\",\"legal_form\":\"group\","
        "\"year_started\":\"2020\",\"has_charter\":\"yes\",\"households_count\":\"8\","
        "\"registration_number\":\"%s\"},\"activity\":{\"ocop_status\":\"none\"},"
        "\"leadership\":{\"leader_sex\":\"female\",\"women_leader\":\"sole\"},"
        "\"membership\":{\"members_total\":\"10\",\"members_women\":\"10\","
        "\"members_em_women\":\"8\",\"members_poor\":\"3\",\"members_near_poor\":\"1\","
        "\"members_female_heads\":\"1\",\"members_disability\":\"1\",\"members_survivors\":\"0\","
        "\"women_share\":\"1\",\"em_women_share\":\"0.8\",\"poor_share\":\"0.4\"},"
        "\"economy\":{\"market_links\":\"local_market trader\",\"smartphone_members\":\"6\","
        "\"internet_access\":\"mobile\",\"sells_online\":\"no\"},"
        "\"needs\":{\"needs_cost_total\":\"50000000\",\"counterpart_total\":\"10000000\","
        "\"counterpart_commit\":\"yes\",\"reporting_commit\":\"yes\"},"
        "\"support\":{\"p8_supported_before\":\"no\",\"no_duplicate_declared\":\"yes\"}}",
        commune, village, group_name, reg);
}

struct arrival {
    struct fixture *f;
    const char *values_json;
    long long id;
    struct tc_score score;
    bool fail_after; /* make the transaction fail after scoring */
};

static const char sql_insert_submission[] =
    "INSERT INTO submissions (form, form_id, form_version, instance_id, xml_sealed, key_id,"
    " xml_sha256, values) VALUES ($1::bigint, 'livelihood_needs', '2026112901', $2,"
    " '\\x00', 'test', repeat('0', 64), $3::jsonb) RETURNING id";

/*
 * What the OpenRosa path does: the submission row and its score in one transaction (the
 * row is inserted directly here; tc_submission_store runs its own transaction). The form
 * has personal fields, so its XML is sealed: scores come from the plain values JSON only.
 */
static enum tc_status
arrive_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    struct arrival *a = ctx;
    struct tc_db_result *res;
    char form[24];
    const char *instance = tc_arena_printf(a->f->arena, "uuid:rules-%d", a->f->n_subs++);
    enum tc_status st;

    snprintf(form, sizeof(form), "%lld", a->f->form);
    if ((st = tc_db_exec(conn, sql_insert_submission, 3,
                         (const char *[]){form, instance, a->values_json}, a->f->arena, &res,
                         err)) != TC_OK)
        return st;
    a->id = tc_db_int(res, 0, 0, 0);
    if ((st = tc_score_submission(conn, a->f->rs, a->id, a->f->arena, &a->score, err)) != TC_OK)
        return st;
    return a->fail_after ? tc_fail(err, TC_EINVAL, "made to fail") : TC_OK;
}

static long long
arrive(struct fixture *f, const char *values_json, struct tc_score *score)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct arrival a = {.f = f, .values_json = values_json};

    if (tc_db_transact(f->conn, false, arrive_txn, &a, &err) != TC_OK)
        fail_msg("arrival: %s: %s", err.msg, err.detail);
    if (score != NULL)
        *score = a.score;
    return a.id;
}

static int
setup(void **state)
{
    static struct fixture f;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_form_model *model = NULL;
    size_t form_len;
    char *form_xml = read_source("forms/livelihood_needs.xml", &form_len);
    struct tc_form_new in = {.form_id = "livelihood_needs",
                             .version = "2026112901",
                             .title = "livelihood",
                             .xml = (const unsigned char *)form_xml,
                             .xml_len = form_len,
                             .has_protected = true,
                             .publish = true};

    tc_test_db_create("rules", f.conninfo, sizeof(f.conninfo));
    snprintf(f.dir, sizeof(f.dir), "/tmp/tc-rules-%ld", (long)getpid());
    if (mkdir(f.dir, 0700) != 0)
        return -1;
    f.rules_xml = read_source("forms/rules/tt55-2023-project8-livelihood.xml", &f.rules_len);
    if ((f.pool = tc_db_pool_create(f.conninfo, 2, &err)) == NULL ||
        (f.conn = tc_db_acquire(f.pool, 1000, &err)) == NULL ||
        tc_migrate(f.conn, NULL, &err) != TC_OK || tc_forms_insert(f.conn, &in, &f.form, &err) ||
        tc_form_load(form_xml, form_len, &model, &err) != TC_OK ||
        tc_ruleset_load(f.rules_xml, f.rules_len, model, &f.rs, &err) != TC_OK) {
        fprintf(stderr, "setup: %s: %s\n", err.msg, err.detail);
        return -1;
    }
    tc_form_model_free(model);
    free(form_xml);
    *state = &f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    tc_ruleset_free(f->rs);
    free(f->rules_xml);
    tc_db_release(f->pool, f->conn);
    tc_db_pool_destroy(f->pool);
    tc_test_db_drop(f->conninfo);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int
per_test_setup(void **state)
{
    struct fixture *f = *state;

    f->arena = tc_arena_create(1u << 16);
    return f->arena ? 0 : -1;
}

static int
per_test_teardown(void **state)
{
    struct fixture *f = *state;

    tc_arena_destroy(f->arena);
    f->arena = NULL;
    return 0;
}

static void
norms_load_set_list_with_history(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char path[1024];
    struct tc_norm *v;
    size_t n = 0, added = 0;

    tc_test_source_path("forms/rules/norms-tt55-2023.csv", path, sizeof(path));
    assert_int_equal(tc_norms_load_csv(f->conn, path, "test", &added, &err), TC_OK);
    assert_int_equal(added, 10);
    assert_int_equal(tc_norms_load_csv(f->conn, path, "test", &added, &err), TC_OK);
    assert_int_equal(added, 0); /* same rows again: no new history */
    assert_int_equal(tc_norms_list(f->conn, false, f->arena, &v, &n, &err), TC_OK);
    assert_int_equal(n, 10);
    for (size_t i = 0; i < n; i++) {
        assert_false(v[i].has_amount); /* shipped without amounts */
        assert_non_null(strstr(v[i].legal_basis, "TT 55/2023/TT-BTC"));
    }

    assert_int_equal(tc_norm_set(f->conn, "P8-C2-LIVELIHOOD-GROUP", 30000000, "demo, not official",
                                 "test", &err),
                     TC_OK);
    assert_int_equal(tc_norm_set(f->conn, "P8-C2-LIVELIHOOD-GROUP", 35000000,
                                 "demo, not official (2)", "test", &err),
                     TC_OK);
    assert_int_equal(tc_norms_list(f->conn, false, f->arena, &v, &n, &err), TC_OK);
    assert_string_equal(v[7].item, "P8-C2-LIVELIHOOD-GROUP"); /* in item order */
    assert_true(v[7].has_amount && v[7].max_amount == 35000000);
    assert_int_equal(tc_norms_list(f->conn, true, f->arena, &v, &n, &err), TC_OK);
    assert_int_equal(n, 12);
    /* history: the item's rows newest first */
    assert_string_equal(v[7].item, "P8-C2-LIVELIHOOD-GROUP");
    assert_string_equal(v[9].item, "P8-C2-LIVELIHOOD-GROUP");
    assert_true(v[7].max_amount == 35000000 && v[8].max_amount == 30000000 && !v[9].has_amount);
    assert_string_equal(v[7].legal_basis, "demo, not official (2)");

    assert_int_equal(tc_norm_set(f->conn, "P8-NO-SUCH", 1, "x", "test", &err), TC_ENOTFOUND);
    assert_int_equal(tc_norm_set(f->conn, "P8-C2-LIVELIHOOD-GROUP", 1, "  ", "test", &err),
                     TC_EINVAL);
    /* back to "not set" for the next tests: a new row without an amount */
    assert_int_equal(tc_db_exec_simple(f->conn,
                                       "INSERT INTO norms (item, name_vi, name_en, unit,"
                                       " legal_basis, set_by) SELECT item, name_vi, name_en, unit,"
                                       " legal_basis, 'test' FROM norms_current"
                                       " WHERE item = 'P8-C2-LIVELIHOOD-GROUP'",
                                       &err),
                     TC_OK);

    assert_int_equal(tc_norms_load_csv(f->conn,
                                       write_file(f, "bad-norms.csv",
                                                  "item,name_vi,name_en,unit,max_amount,"
                                                  "valid_from,valid_to,legal_basis\n"
                                                  "P8-X,a,b,c,,,,basis\n"
                                                  "P8-Y,a,b,c,-5,,,basis\n"),
                                       "test", &added, &err),
                     TC_EINVAL);
    assert_non_null(strstr(err.msg, "bad-norms.csv: line 3"));
    assert_string_equal(scalar(f, "SELECT count(*) FROM norms WHERE item = 'P8-X'"), "0");
}

static const char areas_csv[] =
    "era,commune_code,village_name,kv,dbkk,source,verified,notes\n"
    "post2025,03390,,III,,QĐ 861 (test data),yes,\n"
    "post2025,03390,Bản Hon,III,yes,QĐ 612 (test data),yes,\n"
    "post2025,03390,\"Nà Tăm, bản trên\",II,no,QĐ 612 (test data),yes,\n"
    "post2025,03400,Sin Chải,,yes,,no,not checked yet\n";

static void
areas_load_and_villages_media(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char path[1024];
    size_t n = 0, len = 0;
    char *media;

    tc_test_source_path("schema/reference/tam_duong_area_classification_TEMPLATE.csv", path,
                        sizeof(path));
    assert_int_equal(tc_areas_load_csv(f->conn, path, &n, &err), TC_OK);
    assert_int_equal(n, 13);
    assert_string_equal(scalar(f, "SELECT count(*) FROM areas WHERE era = 'pre2025'"
                                  " AND NOT verified AND kv IS NULL"),
                        "13");
    assert_int_equal(tc_areas_load_csv(f->conn, write_file(f, "areas.csv", areas_csv), &n, &err),
                     TC_OK);
    assert_int_equal(n, 4);
    assert_string_equal(scalar(f, "SELECT village_name FROM areas WHERE village_label = 'Bản Hon'"),
                        "bản hon");
    assert_int_equal(tc_areas_load_csv(f->conn,
                                       write_file(f, "bad-areas.csv",
                                                  "era,commune_code,village_name,kv,dbkk,source,"
                                                  "verified\npost2025,03390,X,III,yes,s,yes\n"
                                                  "post2025,03390,Y,IV,yes,s,yes\n"),
                                       &n, &err),
                     TC_EINVAL);
    assert_non_null(strstr(err.msg, "line 3: kv \"IV\" is not I, II or III"));

    assert_int_equal(tc_areas_villages_csv(f->conn, f->dir, &n, &err), TC_OK);
    assert_int_equal(n, 3);
    media = read_source_abs(tc_arena_printf(f->arena, "%s/villages.csv", f->dir), &len);
    assert_string_equal(media, "name,label,commune\n"
                               "03390-01,Bản Hon,post2025:03390\n"
                               "03390-02,\"Nà Tăm, bản trên\",post2025:03390\n"
                               "03400-01,Sin Chải,post2025:03400\n");
    free(media);
}

static const char *
gate_outcome(const struct tc_score *s, const char *id)
{
    static const char *const names[] = {"pass", "fail", "n/a"};

    for (size_t i = 0; i < s->n_gates; i++)
        if (strcmp(s->gates[i].id, id) == 0)
            return names[s->gates[i].outcome];
    return "missing";
}

static void
scores_are_stored_with_the_submission(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_score s;
    long long id, job = 0;
    const char *q;

    assert_int_equal(tc_ruleset_install(f->conn, f->rules_xml, f->rules_len, &err), TC_OK);
    assert_int_equal(tc_ruleset_install(f->conn, f->rules_xml, f->rules_len, &err), TC_OK);
    assert_int_equal(tc_ruleset_activate(f->conn, "tt55-2023-project8-livelihood", 1, &job, &err),
                     TC_OK);
    assert_true(job > 0);

    /* village Bản Hon: ĐBKK in a KV III commune, verified; the name matched case-insensitively */
    id = arrive(f, values(f, "post2025:03390", "bản  HON", "Tổ dệt A", ""), &s);
    assert_true(s.eligible);
    assert_true(s.total == 81.0);
    assert_false(s.has_recommendation);
    assert_int_equal(s.reco_reason, TC_RECO_NORM_NOT_SET);
    q = tc_arena_printf(f->arena,
                        "SELECT concat_ws('|', eligible, total, ruleset_version,"
                        " recommended IS NULL, reasons->>'recommendation', norm_item, year,"
                        " commune_code) FROM scores WHERE submission = %lld",
                        id);
    assert_string_equal(scalar(f, q), "t|81.00|1|t|norm_not_set|P8-C2-LIVELIHOOD-GROUP|2026|03390");
    /* the stored row has the figures; the label is the version's, joined by id */
    q = tc_arena_printf(f->arena,
                        "SELECT (s.points->3->>'points') || ' ' ||"
                        " (r.texts->'criteria'->3->'label'->>'en') FROM scores s JOIN rulesets r"
                        " ON r.ruleset_id = s.ruleset_id AND r.version = s.ruleset_version"
                        " WHERE s.submission = %lld",
                        id);
    assert_string_equal(scalar(f, q), "10 A woman is the sole leader (not only a co-owner)");

    /* a transaction that fails after scoring leaves neither row */
    {
        struct arrival a = {.f = f,
                            .values_json = values(f, "post2025:03390", "Bản Hon", "Z", ""),
                            .fail_after = true};
        const char *before = scalar(f, "SELECT count(*) FROM scores");
        assert_int_equal(tc_db_transact(f->conn, false, arrive_txn, &a, &err), TC_EINVAL);
        assert_string_equal(scalar(f, "SELECT count(*) FROM scores"), before);
    }
    /* the commune row only (no village row for this name): KV III, 10 area points */
    arrive(f, values(f, "post2025:03390", "Bản Khác", "Tổ dệt B", ""), &s);
    assert_true(s.eligible && s.total == 76.0);
    /* Sin Chải is not verified, nor is any pre-2025 template row */
    arrive(f, values(f, "post2025:03400", "Sin Chải", "Tổ dệt C", ""), &s);
    assert_string_equal(gate_outcome(&s, "area_verified"), "fail");
    assert_string_equal(gate_outcome(&s, "area"), "n/a");
    assert_string_equal(s.gates[1].reason, "area_not_verified");
    assert_int_equal(s.reco_reason, TC_RECO_NOT_ELIGIBLE);
    arrive(f, values(f, "pre2025:03394", "", "Tổ dệt D", ""), &s);
    assert_string_equal(gate_outcome(&s, "area_verified"), "fail");
    /* no classification at all: the same reason, never a default */
    arrive(f, values(f, "post2025:03430", "", "Tổ dệt E", ""), &s);
    assert_string_equal(gate_outcome(&s, "area_verified"), "fail");
    /* KV II village row in a KV III commune: the village wins */
    arrive(f, values(f, "post2025:03390", "Nà Tăm, bản trên", "Tổ dệt F", ""), &s);
    assert_string_equal(gate_outcome(&s, "area"), "fail");
}

static void
recommended_amount_uses_norm_and_allocation(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_score s;
    long long id;

    arrive(f, values(f, "post2025:03390", "Bản Hon", "Tổ G", ""), &s);
    assert_int_equal(s.reco_reason, TC_RECO_NORM_NOT_SET);
    assert_int_equal(tc_norm_set(f->conn, "P8-C2-LIVELIHOOD-GROUP", 30000000, "demo, not official",
                                 "test", &err),
                     TC_OK);
    arrive(f, values(f, "post2025:03390", "Bản Hon", "Tổ H", ""), &s);
    assert_int_equal(s.reco_reason, TC_RECO_NO_ALLOCATION);
    assert_int_equal(tc_allocation_set(f->conn, "post2025:03390", 2026, 100000000, &err), TC_OK);
    id = arrive(f, values(f, "post2025:03390", "Bản Hon", "Tổ I", ""), &s);
    assert_true(s.has_recommendation && s.recommended == 30000000);
    assert_string_equal(scalar(f, tc_arena_printf(f->arena,
                                                  "SELECT concat_ws('|', recommended, ceiling,"
                                                  " reasons->'terms'->>'need',"
                                                  " reasons->'terms'->>'remaining',"
                                                  " norm_id = (SELECT id FROM norms_current WHERE"
                                                  " item = 'P8-C2-LIVELIHOOD-GROUP'))"
                                                  " FROM scores WHERE submission = %lld",
                                                  id)),
                        "30000000|30000000|40000000|100000000|t");
    assert_int_equal(tc_allocation_set(f->conn, "post2025:03390", 2026, 0, &err), TC_OK);
    arrive(f, values(f, "post2025:03390", "Bản Hon", "Tổ J", ""), &s);
    assert_true(s.has_recommendation && s.recommended == 0);
    assert_int_equal(s.reco_reason, TC_RECO_ALLOCATION_EXHAUSTED);
    assert_int_equal(tc_allocation_set(f->conn, "post2025:03390", 2026, 100000000, &err), TC_OK);

    /* a newer row valid only from 2027 does not apply to a survey of March 2026 */
    assert_int_equal(tc_db_exec_simple(f->conn,
                                       "INSERT INTO norms (item, name_vi, name_en, unit,"
                                       " max_amount, valid_from, legal_basis, set_by)"
                                       " SELECT item, name_vi, name_en, unit, 99000000,"
                                       " '2027-01-01', 'demo 2027', 'test' FROM norms_current"
                                       " WHERE item = 'P8-C2-LIVELIHOOD-GROUP'",
                                       &err),
                     TC_OK);
    arrive(f, values(f, "post2025:03390", "Bản Hon", "Tổ K", ""), &s);
    assert_true(s.has_recommendation && s.recommended == 30000000);
}

static void
duplicate_support_is_found_in_the_registry(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_score s;
    size_t n = 0;
    const char *csv = "program,year,registration_number,group_name,commune,content,amount\n"
                      "p8,2025,HTX-0042,,,equipment,50000000\n"
                      "ntp_poverty,2026,,\"Tổ Dệt Thổ Cẩm  Nà Tăm\",post2025:03390,looms,\n"
                      "ngo,2019,,Tổ chè Bản Bo,post2025:03390,tea,\n";

    assert_int_equal(
        tc_support_import_csv(f->conn, write_file(f, "registry.csv", csv), "test", &n, &err),
        TC_OK);
    assert_int_equal(n, 3);
    assert_string_equal(scalar(f, "SELECT count(*) FROM support_registry WHERE name_index IS NOT"
                                  " NULL AND length(name_index) = 32"),
                        "2");

    /* by registration number, case aside: P8 last year is a duplicate and not a first */
    arrive(f, values(f, "post2025:03390", "Bản Hon", "Một tên khác", "htx-0042"), &s);
    assert_string_equal(gate_outcome(&s, "no_duplicate_registry"), "fail");
    assert_true(s.points[8].points == 0); /* first_p8_support */
    /* by the blind index of the name (no diacritics, case and spaces aside) + commune */
    arrive(f, values(f, "post2025:03390", "Bản Hon", "to det tho cam na tam", ""), &s);
    assert_string_equal(gate_outcome(&s, "no_duplicate_registry"), "fail");
    assert_true(s.points[8].points == 5); /* not Project 8 */
    /* the same name in another commune is another group */
    arrive(f, values(f, "post2025:03400", "Sin Chải", "Tổ Dệt Thổ Cẩm Nà Tăm", ""), &s);
    assert_string_equal(gate_outcome(&s, "no_duplicate_registry"), "pass");
    /* support long ago is not a duplicate */
    arrive(f, values(f, "post2025:03390", "Bản Hon", "Tổ chè Bản Bo", ""), &s);
    assert_string_equal(gate_outcome(&s, "no_duplicate_registry"), "pass");
    assert_int_equal(tc_support_import_csv(
                         f->conn,
                         write_file(f, "bad-registry.csv", "program,year,group_name\np8,2024,\n"),
                         "test", &n, &err),
                     TC_EINVAL);
    assert_non_null(strstr(err.msg, "line 2"));
}

static void
activating_v2_rescores_in_the_background_and_keeps_v1(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    const char *v2 = NULL;
    char *text = strdup(f->rules_xml), *at;
    struct tc_arena *jobs = tc_arena_create(4096);
    struct tc_job job;
    long long job_id = 0;
    const char *n_subs;

    /* v2: the sole-leader criterion gives 5 instead of 10 (its maximum stays 10) */
    assert_non_null(text);
    at = strstr(text, "version=\"1\"");
    memcpy(at, "version=\"2\"", 11);
    at = strstr(text, "test=\"/data/leadership/women_leader = 'sole'\" points=\"10\"");
    assert_non_null(at);
    memcpy(strstr(at, "points=\"10\""), "points=\"05\"", 11);
    v2 = text;
    assert_int_equal(tc_ruleset_install(f->conn, v2, strlen(v2), &err), TC_OK);
    /* the same version with other bytes is refused */
    at = strstr(text, "<title lang=\"en\">");
    at[18] = 'X';
    assert_int_equal(tc_ruleset_install(f->conn, v2, strlen(v2), &err), TC_ECONFLICT);
    at[18] = 'S';

    n_subs = scalar(f, "SELECT count(*) FROM submissions");
    assert_int_equal(
        tc_ruleset_activate(f->conn, "tt55-2023-project8-livelihood", 2, &job_id, &err), TC_OK);
    assert_string_equal(scalar(f, "SELECT concat_ws('|', ruleset_id, version) FROM rulesets"
                                  " WHERE active"),
                        "tt55-2023-project8-livelihood|2");
    /* take the oldest rescore job first (v1's), then v2's: both complete */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(tc_job_take(f->conn, "rescore", "test", jobs, &job, &err), TC_OK);
        assert_int_equal(tc_rescore_run(f->conn, &job, 3, &err), TC_OK);
    }
    assert_int_equal(tc_job_take(f->conn, "rescore", "test", jobs, &job, &err), TC_ENOTFOUND);
    assert_string_equal(scalar(f, tc_arena_printf(f->arena,
                                                  "SELECT concat_ws('|', state, progress_done,"
                                                  " progress_total, result->>'scored') FROM jobs"
                                                  " WHERE id = %lld",
                                                  job_id)),
                        tc_arena_printf(f->arena, "done|%s|%s|%s", n_subs, n_subs, n_subs));
    assert_string_equal(scalar(f, "SELECT count(*) FROM scores WHERE ruleset_version = 1"), n_subs);
    assert_string_equal(scalar(f, "SELECT count(*) FROM scores WHERE ruleset_version = 2"), n_subs);
    /* v1 kept its 81 points; v2 gives 76 to the same group */
    assert_string_equal(scalar(f, "SELECT string_agg(DISTINCT total::text, ',') FROM scores"
                                  " s JOIN submissions u ON u.id = s.submission"
                                  " WHERE u.values->'identity'->>'group_name' = 'Tổ dệt A'"),
                        "76.00,81.00");
    tc_arena_destroy(jobs);
    free(text);
}

struct rescorer {
    struct fixture *f;
    struct tc_db_conn *conn;
    enum tc_status st;
    char msg[240];
};

static void *
rescore_thread(void *arg)
{
    struct rescorer *r = arg;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_arena *arena = tc_arena_create(4096);
    struct tc_job job;

    r->st = tc_job_take(r->conn, "rescore", "thread", arena, &job, &err);
    if (r->st == TC_OK)
        r->st = tc_rescore_run(r->conn, &job, 2, &err);
    snprintf(r->msg, sizeof(r->msg), "%s", err.msg);
    tc_arena_destroy(arena);
    return NULL;
}

static void
submissions_arrive_while_rescoring(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct rescorer r = {.f = f};
    pthread_t thread;
    long long job = 0;
    int arrived = 0;

    r.conn = tc_db_acquire(f->pool, 1000, &err);
    assert_non_null(r.conn);
    /* a submission that had to wait for a lock would fail instead of waiting */
    assert_int_equal(tc_db_exec_simple(f->conn, "SET lock_timeout = '500ms'", &err), TC_OK);
    assert_int_equal(tc_ruleset_activate(f->conn, "tt55-2023-project8-livelihood", 2, &job, &err),
                     TC_OK);
    assert_int_equal(pthread_create(&thread, NULL, rescore_thread, &r), 0);
    for (; arrived < 20; arrived++)
        arrive(f, values(f, "post2025:03390", "Bản Hon", "Tổ song song", ""), NULL);
    assert_int_equal(pthread_join(thread, NULL), 0);
    if (r.st != TC_OK)
        fail_msg("rescore: %s", r.msg);
    assert_string_equal(scalar(f, tc_arena_printf(f->arena,
                                                  "SELECT state || ' ' || (progress_done ="
                                                  " (result->>'scored')::bigint) FROM jobs"
                                                  " WHERE id = %lld",
                                                  job)),
                        "done true");
    assert_int_equal(tc_db_exec_simple(f->conn, "RESET lock_timeout", &err), TC_OK);
    tc_db_release(f->pool, r.conn);
}

/* Every score written by the next job, with the backend that wrote it. */
static const char sql_score_log[] =
    "CREATE TABLE score_log (submission bigint, pid int);"
    "CREATE FUNCTION score_log() RETURNS trigger LANGUAGE plpgsql AS"
    " $$BEGIN INSERT INTO score_log VALUES (NEW.submission, pg_backend_pid()); RETURN NEW; END$$;"
    "CREATE TRIGGER score_log AFTER INSERT OR UPDATE ON scores FOR EACH ROW"
    " EXECUTE FUNCTION score_log();"
    "INSERT INTO submissions (form, form_id, form_version, instance_id, xml_sealed, key_id,"
    " xml_sha256, values) SELECT form, form_id, form_version, instance_id || '-copy-' || g,"
    " xml_sealed, key_id, xml_sha256, values FROM submissions, generate_series(1, 6) g"
    " WHERE superseded_by IS NULL";

static void
two_connections_share_a_rescore_and_score_each_group_once(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_arena *jobs = tc_arena_create(4096);
    struct tc_job job;
    long long job_id = 0;
    const char *n_subs;

    assert_int_equal(tc_db_exec_simple(f->conn, sql_score_log, &err), TC_OK);
    n_subs = scalar(f, "SELECT count(*) FROM submissions WHERE superseded_by IS NULL");
    assert_true(atoi(n_subs) > 100);
    assert_int_equal(
        tc_ruleset_activate(f->conn, "tt55-2023-project8-livelihood", 2, &job_id, &err), TC_OK);
    assert_int_equal(tc_job_take(f->conn, "rescore", "test", jobs, &job, &err), TC_OK);
    /* the pool's other connection is free: the job takes it for a helper */
    assert_int_equal(tc_rescore_run(f->conn, &job, 2, &err), TC_OK);
    /* together all, each once, and both connections did part of it */
    assert_string_equal(scalar(f, "SELECT count(DISTINCT submission) FROM score_log"), n_subs);
    assert_string_equal(scalar(f, "SELECT count(*) FROM score_log"), n_subs);
    assert_string_equal(scalar(f, "SELECT count(DISTINCT pid) FROM score_log"), "2");
    assert_string_equal(scalar(f, tc_arena_printf(f->arena,
                                                  "SELECT concat_ws('|', state, progress_done,"
                                                  " progress_total, result->>'scored') FROM jobs"
                                                  " WHERE id = %lld",
                                                  job_id)),
                        tc_arena_printf(f->arena, "done|%s|%s|%s", n_subs, n_subs, n_subs));
    assert_int_equal(
        tc_db_exec_simple(f->conn,
                          "DROP TRIGGER score_log ON scores; DROP FUNCTION score_log();"
                          " DROP TABLE score_log",
                          &err),
        TC_OK);
    tc_arena_destroy(jobs);
}

/* The stored scores of version 3, in one text (computed_at aside). */
static const char sql_v3_scores[] =
    "SELECT md5(string_agg(concat_ws('|', submission, eligible, gates, points, total, tiebreak,"
    " norm_item, norm_id, ceiling, recommended, reasons, commune_era, commune_code, year), ','"
    " ORDER BY submission)) FROM scores WHERE ruleset_version = 3";

static void
a_job_run_again_over_stored_scores_writes_the_same(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_arena *jobs = tc_arena_create(4096);
    struct tc_job job;
    long long job_id = 0;
    const char *n_subs, *first;
    char *v3 = strdup(f->rules_xml);

    assert_non_null(v3);
    memcpy(strstr(v3, "version=\"1\""), "version=\"3\"", 11);
    assert_int_equal(tc_ruleset_install(f->conn, v3, strlen(v3), &err), TC_OK);
    free(v3);
    n_subs = scalar(f, "SELECT count(*) FROM submissions WHERE superseded_by IS NULL");
    assert_int_equal(
        tc_ruleset_activate(f->conn, "tt55-2023-project8-livelihood", 3, &job_id, &err), TC_OK);
    assert_int_equal(tc_job_take(f->conn, "rescore", "test", jobs, &job, &err), TC_OK);
    /* a version's first scoring: its batches go straight into scores */
    assert_int_equal(tc_rescore_run(f->conn, &job, 2, &err), TC_OK);
    first = scalar(f, sql_v3_scores);
    assert_string_equal(scalar(f, "SELECT count(*) FROM scores WHERE ruleset_version = 3"), n_subs);
    /* as after a crash half way: some scores written, some stale, some missing */
    assert_int_equal(tc_db_exec_simple(f->conn,
                                       "DELETE FROM scores WHERE ruleset_version = 3"
                                       " AND submission % 3 = 0;"
                                       "UPDATE scores SET total = 0, reasons = '{}'"
                                       " WHERE ruleset_version = 3 AND submission % 3 = 1",
                                       &err),
                     TC_OK);
    assert_string_not_equal(scalar(f, sql_v3_scores), first);
    assert_int_equal(tc_job_enqueue(f->conn, "rescore",
                                    "{\"ruleset_id\": \"tt55-2023-project8-livelihood\","
                                    " \"version\": 3}",
                                    &job_id, &err),
                     TC_OK);
    assert_int_equal(tc_job_take(f->conn, "rescore", "test", jobs, &job, &err), TC_OK);
    /* the first batches meet stored scores: the job goes on by upserts, and fails nothing */
    assert_int_equal(tc_rescore_run(f->conn, &job, 2, &err), TC_OK);
    assert_string_equal(scalar(f, sql_v3_scores), first);
    assert_string_equal(scalar(f, tc_arena_printf(f->arena,
                                                  "SELECT concat_ws('|', state, result->>'scored')"
                                                  " FROM jobs WHERE id = %lld",
                                                  job_id)),
                        tc_arena_printf(f->arena, "done|%s", n_subs));
    tc_arena_destroy(jobs);
}

/* A server keeps loaded rulesets idle between submissions, one thread's at a time. */
static void
rulesets_are_pooled_per_version(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_form_cache *cache = tc_form_cache_create(4, &err);
    struct tc_ruleset *a = NULL, *b = NULL, *c = NULL;
    static const char id[] = "tt55-2023-project8-livelihood";

    assert_non_null(cache);
    assert_int_equal(tc_form_cache_ruleset_take(cache, f->conn, id, 1, &a, &err), TC_OK);
    /* taken: a second user gets its own */
    assert_int_equal(tc_form_cache_ruleset_take(cache, f->conn, id, 1, &b, &err), TC_OK);
    assert_ptr_not_equal(a, b);
    assert_int_equal(tc_ruleset_version(b), 1);
    tc_form_cache_ruleset_give(cache, a);
    /* given back: the next user gets it again, not a fresh load; another version does not */
    assert_int_equal(tc_form_cache_ruleset_take(cache, f->conn, id, 1, &c, &err), TC_OK);
    assert_ptr_equal(c, a);
    assert_int_equal(tc_form_cache_ruleset_take(cache, f->conn, id, 99, &a, &err), TC_ENOTFOUND);
    assert_null(a);
    tc_form_cache_ruleset_give(cache, b);
    tc_form_cache_ruleset_give(cache, c);

    /* the pool full of version 1: a newly activated version 2 still stays loaded */
    {
        struct tc_ruleset *many[40];

        for (size_t i = 0; i < 40; i++)
            assert_int_equal(tc_form_cache_ruleset_take(cache, f->conn, id, 1, &many[i], &err),
                             TC_OK);
        for (size_t i = 0; i < 40; i++)
            tc_form_cache_ruleset_give(cache, many[i]);
    }
    assert_int_equal(tc_form_cache_ruleset_take(cache, f->conn, id, 2, &a, &err), TC_OK);
    tc_form_cache_ruleset_give(cache, a);
    assert_int_equal(tc_form_cache_ruleset_take(cache, f->conn, id, 2, &b, &err), TC_OK);
    assert_ptr_equal(b, a);
    tc_form_cache_ruleset_give(cache, b);
    tc_form_cache_destroy(cache); /* frees the idle ones (the leak checker would say) */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(norms_load_set_list_with_history, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(areas_load_and_villages_media, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(scores_are_stored_with_the_submission, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(recommended_amount_uses_norm_and_allocation, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(duplicate_support_is_found_in_the_registry, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(activating_v2_rescores_in_the_background_and_keeps_v1,
                                        per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(submissions_arrive_while_rescoring, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(two_connections_share_a_rescore_and_score_each_group_once,
                                        per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(a_job_run_again_over_stored_scores_writes_the_same,
                                        per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(rulesets_are_pooled_per_version, per_test_setup,
                                        per_test_teardown),
    };

    if (sodium_init() < 0)
        return 1;
    tc_xml_init();
    return cmocka_run_group_tests_name("rules_db", tests, setup, teardown);
}
