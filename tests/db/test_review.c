#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "testlib.h"
#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/forms.h"
#include "tincay/migrate.h"
#include "tincay/review.h"
#include "tincay/submissions.h"

struct fixture {
    char conninfo[256];
    struct tc_db_pool *pool;
    struct tc_db_conn *conn;
    struct tc_arena *arena;
    long long form, ids[5];
};

/* Store `xml` as `instance` of form "rv" with the given commune and findings. */
static long long
ingest(struct fixture *f, const char *instance, const char *xml, const char *commune,
       size_t n_findings, const char *deprecated)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    static const struct tc_ingest_finding found[] = {{"/data/age", "constraint", "too young"},
                                                     {"/data/name", "required", "empty"}};
    static const char *const expected[] = {"p.jpg", "q.jpg"};
    const struct tc_ingest_attachment file = {.name = "p.jpg",
                                              .content_type = "image/jpeg",
                                              .bytes = (const unsigned char *)"JPG",
                                              .size = 3};
    unsigned char digest[32];
    char sha[65];
    struct tc_ingest in = {.form = f->form,
                           .form_id = "rv",
                           .form_version = "1",
                           .instance_id = instance,
                           .deprecated_id = deprecated,
                           .xml = (const unsigned char *)xml,
                           .xml_len = strlen(xml),
                           .xml_sha256 = sha,
                           .values_json = "{\"age\": 15, \"name\": null}",
                           .findings = found,
                           .n_findings = n_findings,
                           .expected = expected,
                           .n_expected = 2,
                           .attachments = &file,
                           .n_attachments = 1,
                           .commune_era = commune ? "post2025" : NULL,
                           .commune_code = commune};
    struct tc_ingest_result r;

    crypto_hash_sha256(digest, (const unsigned char *)xml, strlen(xml));
    sodium_bin2hex(sha, sizeof(sha), digest, sizeof(digest));
    if (tc_submission_store(f->conn, &in, &r, &err) != TC_OK)
        fail_msg("ingest %s: %s (%s)", instance, err.msg, err.detail);
    return r.id;
}

static int
setup(void **state)
{
    static struct fixture f;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_form_new form = {.form_id = "rv",
                               .version = "1",
                               .title = "review",
                               .xml = (const unsigned char *)"<h:html/>",
                               .xml_len = 9,
                               .publish = true};

    if (tc_test_db_open("review", 1, f.conninfo, sizeof(f.conninfo), &f.pool, &f.conn) != 0)
        return -1;
    if (tc_forms_insert(f.conn, &form, &f.form, &err) != TC_OK) {
        fprintf(stderr, "setup: %s: %s\n", err.msg, err.detail);
        return -1;
    }
    f.ids[0] = ingest(&f, "uuid:r0", "<data><q>0</q></data>", "03820", 0, NULL);
    f.ids[1] = ingest(&f, "uuid:r1", "<data><q>1</q></data>", "03820", 2, NULL);
    f.ids[2] = ingest(&f, "uuid:r2", "<data><q>2</q></data>", "03823", 0, NULL);
    f.ids[3] = ingest(&f, "uuid:r3", "<data><q>3</q></data>", NULL, 0, NULL);
    f.ids[4] = ingest(&f, "uuid:r3b", "<data><q>3b</q></data>", NULL, 0, "uuid:r3");
    *state = &f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    tc_test_db_close(f->conninfo, f->pool, f->conn);
    return 0;
}

static int
per_test_setup(void **state)
{
    struct fixture *f = *state;

    f->arena = tc_arena_create(4096);
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

static size_t
list(struct fixture *f, const struct tc_submission_filter *filter, struct tc_submission_row **rows)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    size_t n = 0;

    if (tc_review_list(f->conn, filter, f->arena, rows, &n, &err) != TC_OK)
        fail_msg("list: %s (%s)", err.msg, err.detail);
    return n;
}

static void
list_filters_and_pages(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_submission_row *rows = NULL;
    struct tc_submission_filter by = {.form_id = "rv"};

    assert_int_equal(list(f, &by, &rows), 4); /* r3 was replaced by r3b */
    assert_int_equal(rows[0].id, f->ids[4]);  /* newest first */
    assert_string_equal(rows[0].review_state, "edited");
    assert_null(rows[0].values_json);
    by.include_superseded = true;
    assert_int_equal(list(f, &by, &rows), 5);
    assert_int_equal(rows[1].superseded_by, f->ids[4]);

    by = (struct tc_submission_filter){.review_state = "hasIssues"};
    assert_int_equal(list(f, &by, &rows), 1);
    assert_string_equal(rows[0].instance_id, "uuid:r1");
    assert_int_equal(rows[0].n_findings, 2);
    assert_int_equal(rows[0].n_files, 1);
    assert_int_equal(rows[0].n_missing, 1);

    by = (struct tc_submission_filter){.commune_era = "post2025", .commune_code = "03820"};
    assert_int_equal(list(f, &by, &rows), 2);
    assert_string_equal(rows[0].province_code, "14"); /* Ngọc Chiến is in Sơn La */
    by = (struct tc_submission_filter){.province_code = "14"};
    assert_int_equal(list(f, &by, &rows), 2); /* 03823 is no commune of the post-2025 list */
    by = (struct tc_submission_filter){.province_code = "12"};
    assert_int_equal(list(f, &by, &rows), 0);

    by = (struct tc_submission_filter){.since = "2000-01-01", .until = "2000-01-02"};
    assert_int_equal(list(f, &by, &rows), 0);
    by = (struct tc_submission_filter){.since = "2000-01-01T00:00:00Z"};
    assert_int_equal(list(f, &by, &rows), 4);

    by = (struct tc_submission_filter){.limit = 2};
    assert_int_equal(list(f, &by, &rows), 2);
    by.before_id = rows[1].id;
    assert_int_equal(list(f, &by, &rows), 2);
    by.before_id = rows[1].id;
    assert_int_equal(list(f, &by, &rows), 0);

    by = (struct tc_submission_filter){.review_state = "bogus"};
    assert_int_equal(tc_review_list(f->conn, &by, f->arena, &rows, &(size_t){0}, &err), TC_EINVAL);
    by = (struct tc_submission_filter){.since = "yesterday-ish"};
    assert_int_equal(tc_review_list(f->conn, &by, f->arena, &rows, &(size_t){0}, &err), TC_EINVAL);
}

/* A confidential form's submissions are cases: no survey-side list or read reaches them. */
static void
cases_stay_out_of_survey_lists(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_form_new form = {.form_id = "cs",
                               .version = "1",
                               .title = "case",
                               .xml = (const unsigned char *)"<h:html/>",
                               .xml_len = 9,
                               .is_confidential = true,
                               .has_protected = true,
                               .publish = true};
    static const unsigned char sealed[] = "sealed bytes";
    struct tc_ingest in = {.form_id = "cs",
                           .form_version = "1",
                           .instance_id = "uuid:case-1",
                           .xml_sealed = sealed,
                           .xml_sealed_len = sizeof(sealed) - 1,
                           .key_id = "unit",
                           .xml_sha256 =
                               "0000000000000000000000000000000000000000000000000000000000000000",
                           .values_json = "{\"month\": \"2026-11\"}",
                           .commune_era = "post2025",
                           .commune_code = "03820"};
    struct tc_ingest_result r;
    struct tc_submission_row *rows = NULL, row;
    struct tc_submission_filter all = {.commune_era = "post2025", .commune_code = "03820"};

    assert_int_equal(tc_forms_insert(f->conn, &form, &in.form, &err), TC_OK);
    assert_int_equal(tc_submission_store(f->conn, &in, &r, &err), TC_OK);
    assert_int_equal(list(f, &all, &rows), 2); /* the survey rows of that commune only */
    all.form_id = "cs";
    assert_int_equal(list(f, &all, &rows), 0);
    assert_int_equal(tc_review_get(f->conn, "cs", "uuid:case-1", f->arena, &row, &err),
                     TC_ENOTFOUND);
    assert_int_equal(tc_review_get_by_id(f->conn, r.id, f->arena, &row, &err), TC_ENOTFOUND);
}

static void
one_submission_reads_back(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_submission_row row;
    struct tc_submission_file *files = NULL, file;
    struct tc_submission_finding *found = NULL;
    const unsigned char *xml = NULL;
    size_t n = 0, len = 0;

    assert_int_equal(tc_review_get(f->conn, "rv", "uuid:r1", f->arena, &row, &err), TC_OK);
    assert_int_equal(row.id, f->ids[1]);
    assert_string_equal(row.commune_code, "03820");
    assert_non_null(strstr(row.values_json, "\"age\": 15"));
    assert_false(row.is_sealed);
    assert_false(row.is_complete);
    assert_int_equal(tc_review_get(f->conn, "rv", "uuid:none", f->arena, &row, &err), TC_ENOTFOUND);

    assert_int_equal(tc_review_xml(f->conn, f->ids[1], f->arena, &xml, &len, &err), TC_OK);
    assert_int_equal(len, strlen("<data><q>1</q></data>"));
    assert_memory_equal(xml, "<data><q>1</q></data>", len);

    assert_int_equal(tc_review_files(f->conn, f->ids[1], f->arena, &files, &n, &err), TC_OK);
    assert_int_equal(n, 2);
    assert_string_equal(files[0].name, "p.jpg");
    assert_true(files[0].is_received);
    assert_int_equal(files[0].size, 3);
    assert_int_equal(strlen(files[0].sha256), 64);
    assert_string_equal(files[1].name, "q.jpg");
    assert_false(files[1].is_received);
    assert_null(files[1].sha256);

    assert_int_equal(tc_review_file(f->conn, f->ids[1], "p.jpg", f->arena, &file, &err), TC_OK);
    assert_memory_equal(file.bytes, "JPG", 3);
    assert_string_equal(file.content_type, "image/jpeg");
    assert_int_equal(tc_review_file(f->conn, f->ids[1], "q.jpg", f->arena, &file, &err),
                     TC_ENOTFOUND);

    assert_int_equal(tc_review_findings(f->conn, f->ids[1], f->arena, &found, &n, &err), TC_OK);
    assert_int_equal(n, 2);
    assert_string_equal(found[0].field, "/data/age");
    assert_string_equal(found[1].rule, "required");
}

static void
by_id_and_lists_with_values(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_submission_row row, *rows = NULL;
    struct tc_submission_filter by = {.form_id = "rv", .with_values = true, .limit = 2};

    assert_int_equal(tc_review_get_by_id(f->conn, f->ids[4], f->arena, &row, &err), TC_OK);
    assert_string_equal(row.instance_id, "uuid:r3b");
    assert_string_equal(row.deprecated_id, "uuid:r3");
    assert_non_null(strstr(row.values_json, "\"age\": 15"));
    assert_int_equal(tc_review_get_by_id(f->conn, f->ids[3], f->arena, &row, &err), TC_OK);
    assert_int_equal(row.superseded_by, f->ids[4]);
    assert_int_equal(tc_review_get_by_id(f->conn, f->ids[4] + 1000, f->arena, &row, &err),
                     TC_ENOTFOUND);

    assert_int_equal(list(f, &by, &rows), 2);
    assert_non_null(rows[0].values_json);
    assert_non_null(strstr(rows[1].values_json, "\"age\": 15"));
}

static void
review_changes_are_recorded(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_review_entry *h = NULL;
    struct tc_submission_row row;
    size_t n = 0;

    assert_int_equal(tc_review_set_state(f->conn, f->ids[2], 0, "approved", "đủ điều kiện", &err),
                     TC_OK);
    assert_int_equal(tc_review_set_state(f->conn, f->ids[2], 0, NULL, "ghi chú thêm", &err), TC_OK);
    assert_int_equal(tc_review_get(f->conn, "rv", "uuid:r2", f->arena, &row, &err), TC_OK);
    assert_string_equal(row.review_state, "approved");
    assert_int_equal(tc_review_history(f->conn, f->ids[2], f->arena, &h, &n, &err), TC_OK);
    assert_int_equal(n, 2);
    assert_string_equal(h[0].from_state, "received");
    assert_string_equal(h[0].to_state, "approved");
    assert_string_equal(h[0].comment, "đủ điều kiện");
    assert_string_equal(h[1].from_state, "approved");
    assert_string_equal(h[1].to_state, "approved");

    assert_int_equal(tc_review_set_state(f->conn, f->ids[2], 0, "finished", NULL, &err), TC_EINVAL);
    assert_string_equal(err.msg, "invalid review state \"finished\"");
    assert_int_equal(tc_review_set_state(f->conn, f->ids[2], 0, NULL, "", &err), TC_EINVAL);
    assert_int_equal(tc_review_set_state(f->conn, 999999, 0, "approved", NULL, &err), TC_ENOTFOUND);
    assert_int_equal(tc_review_set_state(f->conn, f->ids[3], 0, "approved", NULL, &err),
                     TC_ECONFLICT); /* replaced by an edit */
    assert_int_equal(tc_review_history(f->conn, f->ids[3], f->arena, &h, &n, &err), TC_OK);
    assert_int_equal(n, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(list_filters_and_pages, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(cases_stay_out_of_survey_lists, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(by_id_and_lists_with_values, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(one_submission_reads_back, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(review_changes_are_recorded, per_test_setup,
                                        per_test_teardown),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests_name("review", tests, setup, teardown);
}
