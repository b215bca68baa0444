#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "testlib.h"
#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/forms.h"
#include "tincay/migrate.h"
#include "tincay/spool.h"
#include "tincay/submissions.h"

#define N_RACERS 8

struct fixture {
    char conninfo[256];
    struct tc_db_pool *pool;
    struct tc_db_conn *conn;
    struct tc_arena *arena;
    long long form, other_form, protected_form;
};

static long long
add_form(struct tc_db_conn *conn, const char *form_id, bool has_protected)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_form_new in = {.form_id = form_id,
                             .version = "1",
                             .title = form_id,
                             .xml = (const unsigned char *)"<h:html/>",
                             .xml_len = 9,
                             .has_protected = has_protected,
                             .publish = true};
    long long id = 0;

    if (tc_forms_insert(conn, &in, &id, &err) != TC_OK)
        fprintf(stderr, "form: %s: %s\n", err.msg, err.detail);
    return id;
}

static int
setup(void **state)
{
    static struct fixture f;

    if (tc_test_db_open("submissions", N_RACERS + 1, f.conninfo, sizeof(f.conninfo), &f.pool,
                        &f.conn) != 0)
        return -1;
    f.form = add_form(f.conn, "survey", false);
    f.other_form = add_form(f.conn, "other", false);
    f.protected_form = add_form(f.conn, "members", true);
    *state = &f;
    return f.form > 0 && f.other_form > 0 && f.protected_form > 0 ? 0 : -1;
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

/* A post of `xml` under `instance` to the fixture's "survey" form. */
struct post {
    struct tc_ingest in;
    char sha[65];
};

static void
make_post(struct post *p, const struct fixture *f, const char *instance, const char *xml)
{
    unsigned char digest[32];

    memset(p, 0, sizeof(*p));
    crypto_hash_sha256(digest, (const unsigned char *)xml, strlen(xml));
    sodium_bin2hex(p->sha, sizeof(p->sha), digest, sizeof(digest));
    p->in.form = f->form;
    p->in.form_id = "survey";
    p->in.form_version = "1";
    p->in.instance_id = instance;
    p->in.xml = (const unsigned char *)xml;
    p->in.xml_len = strlen(xml);
    p->in.xml_sha256 = p->sha;
    p->in.values_json = "{\"q\": 1}";
}

static enum tc_status
store(struct fixture *f, const struct post *p, struct tc_ingest_result *out, struct tc_error *err)
{
    return tc_submission_store(f->conn, &p->in, out, err);
}

static void
store_ok(struct fixture *f, const struct post *p, struct tc_ingest_result *out)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    if (store(f, p, out, &err) != TC_OK)
        fail_msg("store %s: %s (%s)", p->in.instance_id, err.msg, err.detail);
}

static const char sql_count[] =
    "SELECT (SELECT count(*) FROM submissions WHERE instance_id = $1), "
    "  (SELECT count(*) FROM submission_attachments a JOIN submissions s ON s.id = a.submission "
    "   WHERE s.instance_id = $1 AND a.bytes IS NOT NULL), "
    "  (SELECT count(*) FROM findings x JOIN submissions s ON s.id = x.submission "
    "   WHERE s.instance_id = $1)";

/* Rows, stored files and findings of `instance` (in any form). */
static void
counts(struct fixture *f, const char *instance, long long *rows, long long *files,
       long long *findings)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_result *res = NULL;
    const char *params[1] = {instance};

    assert_int_equal(tc_db_exec(f->conn, sql_count, 1, params, f->arena, &res, &err), TC_OK);
    *rows = tc_db_int(res, 0, 0, -1);
    *files = tc_db_int(res, 0, 1, -1);
    *findings = tc_db_int(res, 0, 2, -1);
}

static const char sql_row[] =
    "SELECT review_state, is_complete, superseded_by, deprecated_id, values->>'q', "
    "  convert_from(xml, 'UTF8'), device_id, commune_code, case_code, xml_sealed, key_id "
    "FROM submissions WHERE id = $1::bigint";

static struct tc_db_result *
row_of(struct fixture *f, long long id)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_result *res = NULL;
    const char *params[1] = {tc_arena_printf(f->arena, "%lld", id)};

    assert_int_equal(tc_db_exec(f->conn, sql_row, 1, params, f->arena, &res, &err), TC_OK);
    assert_int_equal(tc_db_rows(res), 1);
    return res;
}

static const char sql_file[] = "SELECT bytes, sha256, size, content_type "
                               "FROM submission_attachments "
                               "WHERE submission = $1::bigint AND name = $2";

/* The stored bytes of file `name` of submission `id`, or NULL for an empty slot. */
static const unsigned char *
file_of(struct fixture *f, long long id, const char *name, size_t *len)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_result *res = NULL;
    const char *params[2] = {tc_arena_printf(f->arena, "%lld", id), name};

    assert_int_equal(tc_db_exec(f->conn, sql_file, 2, params, f->arena, &res, &err), TC_OK);
    assert_int_equal(tc_db_rows(res), 1);
    if (tc_db_is_null(res, 0, 0))
        return NULL;
    return tc_db_bytea(res, 0, 0, f->arena, len);
}

static const char sql_audit[] =
    "SELECT count(*), count(*) FILTER (WHERE detail::text LIKE '%<%'), "
    "  min(detail->>'instance_id') "
    "FROM audit_log WHERE object_kind = 'submission' AND object_id = $1 AND action = $2";

/* Audit rows of `action` for submission `id`; none may hold XML. */
static long long
audit_rows(struct fixture *f, long long id, const char *action)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_result *res = NULL;
    const char *params[2] = {tc_arena_printf(f->arena, "%lld", id), action};

    assert_int_equal(tc_db_exec(f->conn, sql_audit, 2, params, f->arena, &res, &err), TC_OK);
    assert_int_equal(tc_db_int(res, 0, 1, -1), 0);
    return tc_db_int(res, 0, 0, -1);
}

static void
new_instance_is_stored_once(void **state)
{
    struct fixture *f = *state;
    struct post p;
    struct tc_ingest_result r, again;
    struct tc_db_result *row;
    long long rows, files, findings;
    static const char xml[] = "<data id=\"survey\"><meta><instanceID>uuid:new</instanceID>"
                              "</meta><q>1</q></data>";

    make_post(&p, f, "uuid:new", xml);
    p.in.device_id = "collect:abc";
    p.in.commune_era = "post2025";
    p.in.commune_code = "03820";
    p.in.case_code = "K7Q2";
    store_ok(f, &p, &r);
    assert_int_equal(r.outcome, TC_INGEST_CREATED);
    assert_true(r.id > 0);
    assert_string_equal(r.review_state, "received");
    assert_true(r.is_complete);
    assert_int_equal(r.n_missing, 0);

    row = row_of(f, r.id);
    assert_string_equal(tc_db_value(row, 0, 4), "1");
    assert_string_equal(tc_db_value(row, 0, 5), xml);
    assert_string_equal(tc_db_value(row, 0, 6), "collect:abc");
    assert_string_equal(tc_db_value(row, 0, 7), "03820");
    assert_string_equal(tc_db_value(row, 0, 8), "K7Q2");
    assert_true(tc_db_is_null(row, 0, 9));

    store_ok(f, &p, &again);
    assert_int_equal(again.outcome, TC_INGEST_DUPLICATE);
    assert_int_equal(again.id, r.id);
    counts(f, "uuid:new", &rows, &files, &findings);
    assert_int_equal(rows, 1);
    /* one audit row for the act, none for the repeat that changed nothing */
    assert_int_equal(audit_rows(f, r.id, "submission.create"), 1);
    assert_int_equal(audit_rows(f, r.id, "submission.attach"), 0);
}

static void
findings_mark_the_submission_has_issues(void **state)
{
    struct fixture *f = *state;
    struct post p;
    struct tc_ingest_result r;
    long long rows, files, findings;
    const struct tc_ingest_finding found[] = {
        {"/data/age", "constraint", "tuổi phải từ 16 đến 120"},
        {"/data/name", "required", "required field is empty"},
    };

    make_post(&p, f, "uuid:issues", "<data><age>7</age></data>");
    p.in.findings = found;
    p.in.n_findings = 2;
    store_ok(f, &p, &r);
    assert_string_equal(r.review_state, "hasIssues");
    counts(f, "uuid:issues", &rows, &files, &findings);
    assert_int_equal(findings, 2);
    /* the same XML again adds no second set of findings */
    store_ok(f, &p, &r);
    assert_int_equal(r.outcome, TC_INGEST_DUPLICATE);
    counts(f, "uuid:issues", &rows, &files, &findings);
    assert_int_equal(findings, 2);
}

static void
different_xml_under_the_same_instance_is_a_conflict(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct post p, q;
    struct tc_ingest_result r;
    long long rows, files, findings;

    make_post(&p, f, "uuid:conflict", "<data><q>1</q></data>");
    make_post(&q, f, "uuid:conflict", "<data><q>2</q></data>");
    store_ok(f, &p, &r);
    assert_int_equal(store(f, &q, &r, &err), TC_ECONFLICT);
    assert_int_equal(tc_status_http(err.status), 409);
    assert_string_equal(err.msg, "a submission with instance ID \"uuid:conflict\" already exists "
                                 "with different XML");
    counts(f, "uuid:conflict", &rows, &files, &findings);
    assert_int_equal(rows, 1);
}

static void
instance_ids_are_unique_per_form_only(void **state)
{
    struct fixture *f = *state;
    struct post p, q;
    struct tc_ingest_result r, s;
    long long rows, files, findings;

    make_post(&p, f, "uuid:shared", "<data><q>1</q></data>");
    make_post(&q, f, "uuid:shared", "<other><q>1</q></other>");
    q.in.form = f->other_form;
    q.in.form_id = "other";
    store_ok(f, &p, &r);
    store_ok(f, &q, &s);
    assert_int_equal(s.outcome, TC_INGEST_CREATED);
    assert_int_not_equal(r.id, s.id);
    counts(f, "uuid:shared", &rows, &files, &findings);
    assert_int_equal(rows, 2);
}

static void
split_upload_merges_expected_files_only(void **state)
{
    struct fixture *f = *state;
    static const char *const expected[] = {"a.jpg", "b.m4a", "a.jpg", "../etc/passwd", "c.jpg"};
    const struct tc_ingest_attachment first[] = {
        {.name = "a.jpg",
         .content_type = "image/jpeg",
         .bytes = (const unsigned char *)"AAA",
         .size = 3},
        {.name = "unexpected.jpg", .bytes = (const unsigned char *)"zz", .size = 2},
    };
    const struct tc_ingest_attachment second[] = {
        {.name = "a.jpg", .bytes = (const unsigned char *)"changed", .size = 7},
        {.name = "b.m4a",
         .content_type = "audio/mp4",
         .bytes = (const unsigned char *)"\0B\0",
         .size = 3},
    };
    const struct tc_ingest_attachment third[] = {
        {.name = "c.jpg", .bytes = (const unsigned char *)"", .size = 0},
    };
    struct post p;
    struct tc_ingest_result r;
    long long rows, files, findings;
    const unsigned char *bytes;
    size_t len = 0;

    make_post(&p, f, "uuid:split", "<data><a>a.jpg</a><b>b.m4a</b><c>c.jpg</c></data>");
    p.in.expected = expected;
    p.in.n_expected = 5;
    p.in.attachments = first;
    p.in.n_attachments = 2;
    p.in.is_incomplete = true;
    store_ok(f, &p, &r);
    assert_int_equal(r.outcome, TC_INGEST_CREATED);
    assert_int_equal(r.n_stored, 1);
    assert_int_equal(r.n_missing, 2); /* b.m4a, c.jpg; the path is never a slot */
    assert_false(r.is_complete);

    p.in.attachments = second;
    store_ok(f, &p, &r);
    assert_int_equal(r.outcome, TC_INGEST_DUPLICATE);
    assert_int_equal(r.n_stored, 1); /* a.jpg is kept as first received */
    assert_int_equal(r.n_missing, 1);
    assert_false(r.is_complete);

    p.in.attachments = third;
    p.in.n_attachments = 1;
    p.in.is_incomplete = false;
    store_ok(f, &p, &r);
    assert_int_equal(r.n_stored, 1);
    assert_int_equal(r.n_missing, 0);
    assert_true(r.is_complete);

    counts(f, "uuid:split", &rows, &files, &findings);
    assert_int_equal(rows, 1);
    assert_int_equal(files, 3);
    assert_int_equal(audit_rows(f, r.id, "submission.attach"), 2);
    bytes = file_of(f, r.id, "a.jpg", &len);
    assert_int_equal(len, 3);
    assert_memory_equal(bytes, "AAA", 3);
    bytes = file_of(f, r.id, "b.m4a", &len);
    assert_int_equal(len, 3);
    assert_memory_equal(bytes, "\0B\0", 3);

    /* a late retry of the first post changes nothing and stays complete */
    p.in.attachments = first;
    p.in.n_attachments = 2;
    p.in.is_incomplete = true;
    store_ok(f, &p, &r);
    assert_int_equal(r.n_stored, 0);
    assert_true(r.is_complete);
    assert_int_equal(audit_rows(f, r.id, "submission.attach"), 2);
}

static void
missing_expected_file_keeps_the_submission_incomplete(void **state)
{
    struct fixture *f = *state;
    static const char *const expected[] = {"photo.jpg"};
    struct post p;
    struct tc_ingest_result r;

    make_post(&p, f, "uuid:nofile", "<data><p>photo.jpg</p></data>");
    p.in.expected = expected;
    p.in.n_expected = 1;
    store_ok(f, &p, &r);
    assert_int_equal(r.n_missing, 1);
    assert_false(r.is_complete);
    assert_null(file_of(f, r.id, "photo.jpg", &(size_t){0}));
}

static void
spooled_files_are_stored_with_their_digest(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    static const char *const expected[] = {"big.bin"};
    static unsigned char blob[200000];
    char dir[] = "/tmp/tc_ingest_XXXXXX", want[65], spool_dir[64];
    struct tc_spool *sp;
    struct tc_spool_file *file;
    struct tc_ingest_attachment att = {.name = "big.bin", .content_type = "application/x-bin"};
    struct tc_db_result *res = NULL;
    struct post p;
    struct tc_ingest_result r;
    const unsigned char *bytes;
    size_t len = 0;

    assert_non_null(mkdtemp(dir));
    sp = tc_spool_create(dir, sizeof(blob), sizeof(blob), f->arena, &err);
    assert_non_null(sp);
    file = tc_spool_open(sp, true, &err);
    assert_non_null(file);
    randombytes_buf(blob, sizeof(blob));
    assert_int_equal(tc_spool_write(file, blob, sizeof(blob), &err), TC_OK);
    assert_int_equal(tc_spool_finish(file, &err), TC_OK);
    tc_spool_sha256_hex(file, want);
    att.file = file;

    make_post(&p, f, "uuid:spooled", "<data><f>big.bin</f></data>");
    p.in.expected = expected;
    p.in.n_expected = 1;
    p.in.attachments = &att;
    p.in.n_attachments = 1;
    store_ok(f, &p, &r);
    assert_int_equal(r.n_stored, 1);
    assert_true(r.is_complete);
    bytes = file_of(f, r.id, "big.bin", &len);
    assert_int_equal(len, sizeof(blob));
    assert_memory_equal(bytes, blob, sizeof(blob));
    assert_int_equal(
        tc_db_exec(f->conn, sql_file, 2,
                   (const char *[]){tc_arena_printf(f->arena, "%lld", r.id), "big.bin"}, f->arena,
                   &res, &err),
        TC_OK);
    assert_string_equal(tc_db_value(res, 0, 1), want);
    assert_int_equal(tc_db_int(res, 0, 2, -1), sizeof(blob));
    assert_string_equal(tc_db_value(res, 0, 3), "application/x-bin");
    snprintf(spool_dir, sizeof(spool_dir), "%s/spool", dir);
    rmdir(spool_dir);
    rmdir(dir);
}

static void
edit_creates_a_linked_version(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    static const char *const expected[] = {"a.jpg", "b.jpg"};
    const struct tc_ingest_attachment old_files[] = {
        {.name = "a.jpg", .bytes = (const unsigned char *)"old-a", .size = 5},
        {.name = "b.jpg", .bytes = (const unsigned char *)"old-b", .size = 5},
    };
    const struct tc_ingest_attachment new_files[] = {
        {.name = "b.jpg", .bytes = (const unsigned char *)"new-b", .size = 5},
    };
    struct post orig, edit, again, other;
    struct tc_ingest_result r0, r1, r2;
    struct tc_db_result *row;
    size_t len = 0;

    make_post(&orig, f, "uuid:v1", "<data><q>1</q><a>a.jpg</a><b>b.jpg</b></data>");
    orig.in.expected = expected;
    orig.in.n_expected = 2;
    orig.in.attachments = old_files;
    orig.in.n_attachments = 2;
    store_ok(f, &orig, &r0);

    make_post(&edit, f, "uuid:v2", "<data><q>2</q><a>a.jpg</a><b>b.jpg</b></data>");
    edit.in.deprecated_id = "uuid:v1";
    edit.in.expected = expected;
    edit.in.n_expected = 2;
    edit.in.attachments = new_files;
    edit.in.n_attachments = 1;
    store_ok(f, &edit, &r1);
    assert_int_equal(r1.outcome, TC_INGEST_EDITED);
    assert_string_equal(r1.review_state, "edited");
    assert_true(r1.is_complete); /* a.jpg carried over from the old version */
    assert_memory_equal(file_of(f, r1.id, "a.jpg", &len), "old-a", 5);
    assert_memory_equal(file_of(f, r1.id, "b.jpg", &len), "new-b", 5);
    row = row_of(f, r0.id);
    assert_int_equal(tc_db_int(row, 0, 2, 0), r1.id);
    row = row_of(f, r1.id);
    assert_string_equal(tc_db_value(row, 0, 3), "uuid:v1");
    assert_true(tc_db_is_null(row, 0, 2));
    assert_int_equal(audit_rows(f, r1.id, "submission.edit"), 1);

    /* a retry of the same edit is a duplicate of the new version */
    store_ok(f, &edit, &r2);
    assert_int_equal(r2.outcome, TC_INGEST_DUPLICATE);
    assert_int_equal(r2.id, r1.id);

    /* another edit of the replaced version */
    make_post(&again, f, "uuid:v2b", "<data><q>3</q></data>");
    again.in.deprecated_id = "uuid:v1";
    assert_int_equal(store(f, &again, &r2, &err), TC_ECONFLICT);
    assert_string_equal(err.msg, "submission \"uuid:v1\" has already been replaced");

    /* the old version sent again as new */
    assert_int_equal(store(f, &orig, &r2, &err), TC_ECONFLICT);
    assert_string_equal(err.msg,
                        "submission \"uuid:v1\" has been edited since and cannot be sent again");

    /* unknown deprecated id */
    make_post(&other, f, "uuid:v9", "<data><q>9</q></data>");
    other.in.deprecated_id = "uuid:never";
    assert_int_equal(store(f, &other, &r2, &err), TC_ENOTFOUND);
    assert_string_equal(err.msg, "the submission \"uuid:never\" this one replaces does not exist");

    /* an edit whose new instance id is taken by an unrelated submission */
    make_post(&other, f, "uuid:new-elsewhere", "<data><q>10</q></data>");
    store_ok(f, &other, &r2);
    make_post(&other, f, "uuid:new-elsewhere", "<data><q>10</q></data>");
    other.in.deprecated_id = "uuid:v2";
    assert_int_equal(store(f, &other, &r2, &err), TC_ECONFLICT);
    assert_string_equal(err.msg, "a submission with instance ID \"uuid:new-elsewhere\" already "
                                 "exists");
    row = row_of(f, r1.id);
    assert_true(tc_db_is_null(row, 0, 2)); /* nothing of the refused edit remains */

    make_post(&other, f, "uuid:self", "<data/>");
    other.in.deprecated_id = "uuid:self";
    assert_int_equal(store(f, &other, &r2, &err), TC_EBADREQ);
}

static void
sealed_xml_is_stored_apart(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct post p;
    struct tc_ingest_result r;
    struct tc_db_result *row;
    size_t len = 0;
    unsigned char *sealed;

    make_post(&p, f, "uuid:sealed", "<data><victim>x</victim></data>");
    p.in.xml = NULL;
    p.in.xml_len = 0;
    p.in.xml_sealed = (const unsigned char *)"\x01\x02sealed\x00";
    p.in.xml_sealed_len = 9;
    p.in.key_id = "unit:7";
    p.in.values_json = NULL;
    store_ok(f, &p, &r);
    row = row_of(f, r.id);
    assert_true(tc_db_is_null(row, 0, 5));
    assert_true(tc_db_is_null(row, 0, 4));
    sealed = tc_db_bytea(row, 0, 9, f->arena, &len);
    assert_int_equal(len, 9);
    assert_memory_equal(sealed, "\x01\x02sealed\x00", 9);
    assert_string_equal(tc_db_value(row, 0, 10), "unit:7");

    p.in.xml = (const unsigned char *)"<data/>";
    assert_int_equal(store(f, &p, &r, &err), TC_EINTERNAL); /* both plain and sealed */
}

static void
database_refuses_plain_xml_of_protected_forms(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct post p;
    struct tc_ingest_result r;
    long long rows, files, findings;

    make_post(&p, f, "uuid:members-plain", "<members><phone>0912345678</phone></members>");
    p.in.form = f->protected_form;
    p.in.form_id = "members";
    assert_int_equal(store(f, &p, &r, &err), TC_EINVAL);
    counts(f, "uuid:members-plain", &rows, &files, &findings);
    assert_int_equal(rows, 0);

    p.in.xml = NULL;
    p.in.xml_sealed = (const unsigned char *)"sealed";
    p.in.xml_sealed_len = 6;
    p.in.key_id = "kek:1";
    store_ok(f, &p, &r);

    /* a row must name the form version it is stored under */
    make_post(&p, f, "uuid:wrong-form", "<data/>");
    p.in.form_id = "other";
    assert_int_equal(store(f, &p, &r, &err), TC_EINVAL);
    p.in.form_id = "survey";
    p.in.form_version = "2";
    assert_int_equal(store(f, &p, &r, &err), TC_EINVAL);
}

struct racer {
    struct fixture *f;
    bool with_file;
    pthread_barrier_t *start;
    enum tc_status status;
    struct tc_ingest_result result;
    char msg[600];
};

static void *
race(void *arg)
{
    struct racer *me = arg;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    static const char *const expected[] = {"r.jpg"};
    const struct tc_ingest_attachment file = {
        .name = "r.jpg", .bytes = (const unsigned char *)"RRRR", .size = 4};
    struct tc_db_conn *conn = tc_db_acquire(me->f->pool, 5000, &err);
    struct post p;

    make_post(&p, me->f, me->with_file ? "uuid:race" : "uuid:race-nofile",
              "<data><r>r.jpg</r></data>");
    p.in.expected = expected;
    p.in.n_expected = 1;
    p.in.attachments = &file;
    p.in.n_attachments = me->with_file ? 1 : 0;
    pthread_barrier_wait(me->start);
    me->status = conn != NULL ? tc_submission_store(conn, &p.in, &me->result, &err) : err.status;
    snprintf(me->msg, sizeof(me->msg), "%s (%s)", err.msg, err.detail);
    tc_db_release(me->f->pool, conn);
    return NULL;
}

/* `with_file`: the posts carry the expected file (the transaction path); else not (the
   single-statement path for new submissions, falling back to the transaction). */
static void
race_identical_posts(struct fixture *f, bool with_file)
{
    pthread_t threads[N_RACERS];
    struct racer racers[N_RACERS];
    pthread_barrier_t start;
    size_t created = 0, stored = 0;
    long long rows, files, findings;

    pthread_barrier_init(&start, NULL, N_RACERS);
    for (size_t i = 0; i < N_RACERS; i++) {
        racers[i] = (struct racer){.f = f, .with_file = with_file, .start = &start};
        assert_int_equal(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
    }
    for (size_t i = 0; i < N_RACERS; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&start);
    for (size_t i = 0; i < N_RACERS; i++) {
        if (racers[i].status != TC_OK)
            fail_msg("racer %zu: %s", i, racers[i].msg);
        created += racers[i].result.outcome == TC_INGEST_CREATED;
        stored += racers[i].result.n_stored;
        assert_int_equal(racers[i].result.id, racers[0].result.id);
        assert_true(racers[i].result.outcome == TC_INGEST_CREATED ||
                    racers[i].result.outcome == TC_INGEST_DUPLICATE);
    }
    assert_int_equal(created, 1);
    assert_int_equal(stored, with_file ? 1 : 0);
    counts(f, with_file ? "uuid:race" : "uuid:race-nofile", &rows, &files, &findings);
    assert_int_equal(rows, 1);
    assert_int_equal(files, with_file ? 1 : 0);
    assert_int_equal(audit_rows(f, racers[0].result.id, "submission.create"), 1);
}

static void
racing_identical_posts_store_one_row(void **state)
{
    race_identical_posts(*state, true);
    race_identical_posts(*state, false);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(new_instance_is_stored_once, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(findings_mark_the_submission_has_issues, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(different_xml_under_the_same_instance_is_a_conflict,
                                        per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(instance_ids_are_unique_per_form_only, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(split_upload_merges_expected_files_only, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(missing_expected_file_keeps_the_submission_incomplete,
                                        per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(spooled_files_are_stored_with_their_digest, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(edit_creates_a_linked_version, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(sealed_xml_is_stored_apart, per_test_setup,
                                        per_test_teardown),
        cmocka_unit_test_setup_teardown(database_refuses_plain_xml_of_protected_forms,
                                        per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(racing_identical_posts_store_one_row, per_test_setup,
                                        per_test_teardown),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests_name("submissions", tests, setup, teardown);
}
