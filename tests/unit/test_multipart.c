#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tincay/arena.h"
#include "tincay/multipart.h"
#include "tincay/strbuf.h"

#define CT "multipart/form-data; boundary=----b0und"

/* Every callback appends to one transcript, so two parses compare as two strings. */
struct transcript {
    struct tc_strbuf sb;
    int fail_on_data; /* return TC_ENOSPACE from the n-th data callback (1-based); 0 never */
    int n_data;
};

static enum tc_status
on_begin(void *ctx, const struct tc_multipart_part *part, struct tc_error *err)
{
    struct transcript *t = ctx;

    (void)err;
    tc_strbuf_appendf(&t->sb, "<%s|%s|%s>", part->name, part->filename ? part->filename : "-",
                      part->content_type ? part->content_type : "-");
    return TC_OK;
}

static enum tc_status
on_data(void *ctx, const void *data, size_t len, struct tc_error *err)
{
    struct transcript *t = ctx;

    assert_true(len > 0);
    if (++t->n_data == t->fail_on_data)
        return tc_fail(err, TC_ENOSPACE, "no space left to store the upload");
    tc_strbuf_append(&t->sb, data, len);
    return TC_OK;
}

static enum tc_status
on_end(void *ctx, struct tc_error *err)
{
    struct transcript *t = ctx;

    (void)err;
    tc_strbuf_appends(&t->sb, "</>");
    return TC_OK;
}

static const struct tc_multipart_callbacks callbacks = {on_begin, on_data, on_end};

/*
 * Parse `body` split at the offsets in `cuts` (ascending, may be empty); append the
 * transcript to `out` and return the status of feed + finish.
 */
static enum tc_status
parse_cut(const char *ct, const char *body, size_t len, const size_t *cuts, size_t n_cuts,
          struct tc_strbuf *out, struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(4096);
    struct transcript t = {.sb = TC_STRBUF_INIT(1 << 20)};
    struct tc_multipart *mp = tc_multipart_create(ct, NULL, &callbacks, &t, arena, err);
    enum tc_status st = err->status;
    size_t from = 0;

    if (mp != NULL) {
        for (size_t i = 0; i <= n_cuts && st == TC_OK; i++) {
            size_t to = i < n_cuts ? cuts[i] : len;

            st = tc_multipart_feed(mp, body + from, to - from, err);
            from = to;
        }
        if (st == TC_OK)
            st = tc_multipart_finish(mp, err);
    }
    tc_strbuf_appends(out, tc_strbuf_str(&t.sb));
    tc_strbuf_cleanup(&t.sb);
    tc_arena_destroy(arena);
    return st;
}

static enum tc_status
parse_whole(const char *body, size_t len, struct tc_strbuf *out, struct tc_error *err)
{
    return parse_cut(CT, body, len, NULL, 0, out, err);
}

static enum tc_status
parse_bytewise(const char *body, size_t len, struct tc_strbuf *out, struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(4096);
    struct transcript t = {.sb = TC_STRBUF_INIT(1 << 20)};
    struct tc_multipart *mp = tc_multipart_create(CT, NULL, &callbacks, &t, arena, err);
    enum tc_status st = TC_OK;

    assert_non_null(mp);
    for (size_t i = 0; i < len && st == TC_OK; i++)
        st = tc_multipart_feed(mp, body + i, 1, err);
    if (st == TC_OK)
        st = tc_multipart_finish(mp, err);
    tc_strbuf_appends(out, tc_strbuf_str(&t.sb));
    tc_strbuf_cleanup(&t.sb);
    tc_arena_destroy(arena);
    return st;
}

/* A Collect-like body: preamble, the XML, a "photo" full of near-delimiters, epilogue. */
static const char sample[] =
    "this preamble is ignored\r\n"
    "------b0und\r\n"
    "Content-Disposition: form-data; name=\"xml_submission_file\"; "
    "filename=\"survey_2024-01-01.xml\"\r\n"
    "Content-Type: text/xml\r\n"
    "\r\n"
    "<data id=\"f\"><meta><instanceID>uuid:1</instanceID></meta></data>\r\n"
    "------b0und  \r\n"
    "content-disposition: FORM-DATA; NAME=photo.jpg; filename=\"C:\\\\My Photos\\\\photo.jpg\"\r\n"
    "Content-Type:   image/jpeg  \r\n"
    "X-Ignored: yes\r\n"
    "\r\n"
    "\r\r\n\r\n-\r\n--\r\n------b0un\r\n-------b0und-\n------b0und\r\n"
    "------b0und\r\n"
    "Content-Disposition: form-data; name=\"*isIncomplete*\"\r\n"
    "\r\n"
    "yes\r\n"
    "------b0und--\r\n"
    "epilogue ------b0und\r\n junk";

static const char sample_transcript[] =
    "<xml_submission_file|survey_2024-01-01.xml|text/xml>"
    "<data id=\"f\"><meta><instanceID>uuid:1</instanceID></meta></data></>"
    "<photo.jpg|photo.jpg|image/jpeg>"
    "\r\r\n\r\n-\r\n--\r\n------b0un\r\n-------b0und-\n------b0und</>"
    "<*isIncomplete*|-|->yes</>";

static void
sample_parses_into_parts(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_strbuf out = TC_STRBUF_INIT(1 << 20);

    (void)state;
    assert_int_equal(parse_whole(sample, sizeof(sample) - 1, &out, &err), TC_OK);
    assert_string_equal(tc_strbuf_str(&out), sample_transcript);
    tc_strbuf_cleanup(&out);
}

static void
one_byte_chunks_give_the_same_parts(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_strbuf out = TC_STRBUF_INIT(1 << 20);

    (void)state;
    assert_int_equal(parse_bytewise(sample, sizeof(sample) - 1, &out, &err), TC_OK);
    assert_string_equal(tc_strbuf_str(&out), sample_transcript);
    tc_strbuf_cleanup(&out);
}

static void
every_split_point_gives_the_same_parts(void **state)
{
    size_t len = sizeof(sample) - 1;

    (void)state;
    for (size_t i = 0; i <= len; i++) {
        for (size_t j = i; j <= len; j += 7) {
            struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
            struct tc_strbuf out = TC_STRBUF_INIT(1 << 20);
            size_t cuts[2] = {i, j};

            assert_int_equal(parse_cut(CT, sample, len, cuts, 2, &out, &err), TC_OK);
            if (strcmp(tc_strbuf_str(&out), sample_transcript) != 0)
                fail_msg("split at %zu and %zu differs", i, j);
            tc_strbuf_cleanup(&out);
        }
    }
}

/* Body with one part "f" carrying `data`, parsed whole and byte by byte. */
static void
assert_single_part_data(const char *data)
{
    char body[512];
    int n = snprintf(body, sizeof(body),
                     "------b0und\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n%s"
                     "\r\n------b0und--",
                     data);
    char expect[512];
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_strbuf a = TC_STRBUF_INIT(4096), b = TC_STRBUF_INIT(4096);

    assert_true(n > 0 && (size_t)n < sizeof(body));
    snprintf(expect, sizeof(expect), "<f|-|->%s</>", data);
    assert_int_equal(parse_whole(body, (size_t)n, &a, &err), TC_OK);
    assert_int_equal(parse_bytewise(body, (size_t)n, &b, &err), TC_OK);
    assert_string_equal(tc_strbuf_str(&a), expect);
    assert_string_equal(tc_strbuf_str(&b), expect);
    tc_strbuf_cleanup(&a);
    tc_strbuf_cleanup(&b);
}

static void
crlf_edge_cases_stay_data(void **state)
{
    (void)state;
    assert_single_part_data("");
    assert_single_part_data("\r");
    assert_single_part_data("\n");
    assert_single_part_data("\r\n");
    assert_single_part_data("\r\n\r\n");
    assert_single_part_data("a\r");
    assert_single_part_data("\r\r\r\n\r\n-");
    assert_single_part_data("\r\n--");
    assert_single_part_data("\r\n----b0und"); /* one dash short */
    assert_single_part_data("\r\n\r\n------b0un");
    assert_single_part_data("------b0und"); /* the boundary without CRLF before it */
    assert_single_part_data("x------b0und--");
}

static void
expect_failure(const char *ct, const char *body, enum tc_status want, const char *msg)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_strbuf out = TC_STRBUF_INIT(1 << 16);

    assert_int_equal(parse_cut(ct, body, strlen(body), NULL, 0, &out, &err), want);
    assert_int_equal(err.status, want);
    assert_string_equal(err.msg, msg);
    tc_strbuf_cleanup(&out);
}

static void
delimiter_followed_by_junk_is_refused(void **state)
{
    (void)state;
    expect_failure(CT,
                   "------b0und\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n"
                   "abc\r\n------b0undX\r\n",
                   TC_EBADREQ, "malformed multipart boundary line");
}

static void
truncated_body_is_refused(void **state)
{
    (void)state;
    expect_failure(CT, "------b0und\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nabc",
                   TC_EBADREQ, "multipart body ends before its closing boundary");
    expect_failure(CT, "------b0und\r\nContent-Disposition: form-data; name=\"f\"\r\n", TC_EBADREQ,
                   "multipart body ends before its closing boundary");
    expect_failure(CT, "", TC_EBADREQ, "multipart body has no boundary");
    expect_failure(CT, "just some text\r\n", TC_EBADREQ, "multipart body has no boundary");
    expect_failure(CT, "------b0und--", TC_EBADREQ, "malformed multipart boundary line");
}

static void
bare_line_feeds_are_refused(void **state)
{
    (void)state;
    expect_failure(CT, "------b0und\nContent-Disposition: form-data; name=\"f\"\n\nabc", TC_EBADREQ,
                   "malformed multipart boundary line");
    expect_failure(CT, "------b0und\r\nContent-Disposition: form-data; name=\"f\"\n\r\n",
                   TC_EBADREQ, "malformed multipart part header");
}

static void
bad_part_headers_are_refused(void **state)
{
    (void)state;
    expect_failure(CT, "------b0und\r\n\r\nabc\r\n------b0und--", TC_EBADREQ,
                   "multipart part has no Content-Disposition");
    expect_failure(CT, "------b0und\r\nContent-Disposition: form-data\r\n\r\n", TC_EBADREQ,
                   "multipart part has no name");
    expect_failure(CT, "------b0und\r\nContent-Disposition: attachment; name=a\r\n\r\n", TC_EBADREQ,
                   "multipart part is not form-data");
    expect_failure(CT, "------b0und\r\nContent-Disposition form-data\r\n\r\n", TC_EBADREQ,
                   "malformed multipart part header");
    expect_failure(CT, "------b0und\r\n folded: x\r\n\r\n", TC_EBADREQ,
                   "malformed multipart part header");
    expect_failure(CT, "------b0und\r\nContent-Disposition: form-data; name=\"a\r\n\r\n",
                   TC_EBADREQ, "malformed multipart Content-Disposition");
    expect_failure(CT, "------b0und\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\n",
                   TC_EBADREQ, "multipart part has more than one name");
    expect_failure(CT,
                   "------b0und\r\nContent-Disposition: form-data; name=a\r\n"
                   "Content-Type: \r\n\r\n",
                   TC_EBADREQ, "invalid multipart part content type");
}

static void
part_names_are_file_names(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_strbuf out = TC_STRBUF_INIT(4096);
    static const char body[] =
        "------b0und\r\nContent-Disposition: form-data; name=\"../../etc/passwd\"; "
        "filename=\"..\"\r\n\r\nx\r\n"
        "------b0und\r\nContent-Disposition: form-data; name=\"a\\\\b.jpg\"; "
        "filename=\"/tmp/\xe1\xba\xa3nh.jpg\"\r\n\r\ny\r\n"
        "------b0und--\r\n";

    (void)state;
    assert_int_equal(parse_whole(body, sizeof(body) - 1, &out, &err), TC_OK);
    assert_string_equal(tc_strbuf_str(&out), "<passwd|-|->x</><b.jpg|\xe1\xba\xa3nh.jpg|->y</>");
    tc_strbuf_cleanup(&out);

    expect_failure(CT, "------b0und\r\nContent-Disposition: form-data; name=\"..\"\r\n\r\n",
                   TC_EBADREQ, "invalid multipart part name");
    expect_failure(CT, "------b0und\r\nContent-Disposition: form-data; name=\"a..b\"\r\n\r\n",
                   TC_EBADREQ, "invalid multipart part name");
    expect_failure(CT, "------b0und\r\nContent-Disposition: form-data; name=\"dir/\"\r\n\r\n",
                   TC_EBADREQ, "invalid multipart part name");
    expect_failure(CT, "------b0und\r\nContent-Disposition: form-data; name=\"\xc3\x28\"\r\n\r\n",
                   TC_EBADREQ, "invalid multipart part name");
    expect_failure(CT, "------b0und\r\nContent-Disposition: form-data; name=\"a\tb\"\r\n\r\n",
                   TC_EBADREQ, "invalid multipart part name");
    expect_failure(CT, "------b0und\r\nContent-Disposition: form-data; name=\"\"\r\n\r\n",
                   TC_EBADREQ, "invalid multipart part name");
}

static void
limits_are_enforced(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_arena *arena = tc_arena_create(4096);
    struct tc_multipart_limits limits = {.max_parts = 3, .max_header_bytes = 64};
    struct tc_multipart *mp = tc_multipart_create(CT, &limits, NULL, NULL, arena, &err);
    static const char part[] = "------b0und\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n";
    static const char long_head[] = "------b0und\r\nContent-Disposition: form-data; name=a\r\n"
                                    "X-Long-Header: 0123456789\r\n\r\n";

    (void)state;
    assert_non_null(mp);
    for (int i = 0; i < 3; i++)
        assert_int_equal(tc_multipart_feed(mp, part, sizeof(part) - 1, &err), TC_OK);
    assert_int_equal(tc_multipart_parts(mp), 3);
    assert_int_equal(tc_multipart_feed(mp, part, sizeof(part) - 1, &err), TC_ETOOLARGE);
    assert_string_equal(err.msg, "multipart body has more than 3 parts");
    tc_error_clear(&err);
    /* sticky: the same failure again, whatever comes next */
    assert_int_equal(tc_multipart_feed(mp, "x", 1, &err), TC_ETOOLARGE);
    assert_string_equal(err.msg, "multipart body has more than 3 parts");
    assert_int_equal(tc_multipart_finish(mp, &err), TC_ETOOLARGE);

    mp = tc_multipart_create(CT, &limits, NULL, NULL, arena, &err);
    assert_non_null(mp);
    assert_int_equal(tc_multipart_feed(mp, long_head, sizeof(long_head) - 1, &err), TC_ETOOLARGE);
    assert_string_equal(err.msg, "multipart part headers exceed 64 bytes");
    tc_arena_destroy(arena);
}

static void
callback_failure_stops_the_parse(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_arena *arena = tc_arena_create(4096);
    struct transcript t = {.sb = TC_STRBUF_INIT(1 << 16), .fail_on_data = 1};
    struct tc_multipart *mp = tc_multipart_create(CT, NULL, &callbacks, &t, arena, &err);

    (void)state;
    assert_non_null(mp);
    assert_int_equal(tc_multipart_feed(mp, sample, sizeof(sample) - 1, &err), TC_ENOSPACE);
    assert_string_equal(err.msg, "no space left to store the upload");
    assert_int_equal(tc_multipart_finish(mp, &err), TC_ENOSPACE);
    assert_int_equal(t.n_data, 1);
    tc_strbuf_cleanup(&t.sb);
    tc_arena_destroy(arena);
}

static void
boundary_is_read_from_content_type(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char b[71];
    char long_ct[128];

    (void)state;
    assert_int_equal(tc_multipart_boundary("multipart/form-data; boundary=abc", b, sizeof(b), &err),
                     TC_OK);
    assert_string_equal(b, "abc");
    assert_int_equal(
        tc_multipart_boundary("Multipart/Form-Data ; charset=utf-8; BOUNDARY=\"a b:c\"", b,
                              sizeof(b), &err),
        TC_OK);
    assert_string_equal(b, "a b:c");
    assert_int_equal(tc_multipart_boundary("multipart/form-data;boundary=x;", b, sizeof(b), &err),
                     TC_OK);
    assert_string_equal(b, "x");

    snprintf(long_ct, sizeof(long_ct), "multipart/form-data; boundary=%070d", 7);
    assert_int_equal(tc_multipart_boundary(long_ct, b, sizeof(b), &err), TC_OK);
    snprintf(long_ct, sizeof(long_ct), "multipart/form-data; boundary=%071d", 7);
    assert_int_equal(tc_multipart_boundary(long_ct, b, sizeof(b), &err), TC_EBADREQ);
    assert_string_equal(err.msg, "invalid multipart boundary");

    assert_int_equal(tc_multipart_boundary("text/xml", b, sizeof(b), &err), TC_EUNSUPPORTED);
    assert_int_equal(tc_multipart_boundary("multipart/form-dataX; boundary=a", b, sizeof(b), &err),
                     TC_EUNSUPPORTED);
    assert_int_equal(tc_multipart_boundary(NULL, b, sizeof(b), &err), TC_EUNSUPPORTED);
    assert_int_equal(tc_multipart_boundary("multipart/form-data", b, sizeof(b), &err), TC_EBADREQ);
    assert_string_equal(err.msg, "multipart content type has no boundary");
    assert_int_equal(
        tc_multipart_boundary("multipart/form-data; boundary=\"\"", b, sizeof(b), &err),
        TC_EBADREQ);
    assert_int_equal(
        tc_multipart_boundary("multipart/form-data; boundary=\"a \"", b, sizeof(b), &err),
        TC_EBADREQ);
    assert_int_equal(tc_multipart_boundary("multipart/form-data; boundary=a<b", b, sizeof(b), &err),
                     TC_EBADREQ);
    assert_int_equal(
        tc_multipart_boundary("multipart/form-data; boundary=a; boundary=b", b, sizeof(b), &err),
        TC_EBADREQ);
    assert_string_equal(err.msg, "multipart content type has more than one boundary");
    assert_int_equal(tc_multipart_boundary("multipart/form-data; boundary", b, sizeof(b), &err),
                     TC_EBADREQ);
    assert_string_equal(err.msg, "malformed multipart content type");
}

static void
large_data_passes_through_in_few_callbacks(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_arena *arena = tc_arena_create(4096);
    struct transcript t = {.sb = TC_STRBUF_INIT(1 << 20)};
    struct tc_multipart *mp = tc_multipart_create(CT, NULL, &callbacks, &t, arena, &err);
    static char blob[65536];
    static const char head[] = "------b0und\r\nContent-Disposition: form-data; name=a\r\n\r\n";
    size_t n_cr = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(blob); i++) {
        blob[i] = (char)(i * 131 % 251); /* every byte value, \r and - included */
        n_cr += blob[i] == '\r';
    }
    assert_int_equal(tc_multipart_feed(mp, head, sizeof(head) - 1, &err), TC_OK);
    assert_int_equal(tc_multipart_feed(mp, blob, sizeof(blob), &err), TC_OK);
    assert_int_equal(tc_multipart_feed(mp, "\r\n------b0und--", 15, &err), TC_OK);
    assert_int_equal(tc_multipart_finish(mp, &err), TC_OK);
    assert_int_equal(t.sb.len, strlen("<a|-|->") + sizeof(blob) + strlen("</>"));
    assert_memory_equal(t.sb.data + strlen("<a|-|->"), blob, sizeof(blob));
    /* runs, not bytes: at most a run and a released '\r' per '\r' in the data */
    assert_true((size_t)t.n_data <= 2 * n_cr + 1);
    tc_strbuf_cleanup(&t.sb);
    tc_arena_destroy(arena);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sample_parses_into_parts),
        cmocka_unit_test(one_byte_chunks_give_the_same_parts),
        cmocka_unit_test(every_split_point_gives_the_same_parts),
        cmocka_unit_test(crlf_edge_cases_stay_data),
        cmocka_unit_test(delimiter_followed_by_junk_is_refused),
        cmocka_unit_test(truncated_body_is_refused),
        cmocka_unit_test(bare_line_feeds_are_refused),
        cmocka_unit_test(bad_part_headers_are_refused),
        cmocka_unit_test(part_names_are_file_names),
        cmocka_unit_test(limits_are_enforced),
        cmocka_unit_test(callback_failure_stops_the_parse),
        cmocka_unit_test(boundary_is_read_from_content_type),
        cmocka_unit_test(large_data_passes_through_in_few_callbacks),
    };

    return cmocka_run_group_tests_name("multipart", tests, NULL, NULL);
}
