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

#include "tincay/arena.h"
#include "tincay/spool.h"
#include "tincay/upload.h"

#define CT "multipart/form-data; boundary=OkHttpB0undary"

struct fixture {
    char dir[64];
    struct tc_arena *arena;
    struct tc_spool *spool;
};

static int
setup(void **state)
{
    static struct fixture fx;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    snprintf(fx.dir, sizeof(fx.dir), "/tmp/tc_upload_XXXXXX");
    if (mkdtemp(fx.dir) == NULL || (fx.arena = tc_arena_create(8192)) == NULL)
        return -1;
    fx.spool = tc_spool_create(fx.dir, 1000, 2000, fx.arena, &err);
    *state = &fx;
    return fx.spool == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
    struct fixture *fx = *state;
    char path[128];

    tc_arena_destroy(fx->arena);
    snprintf(path, sizeof(path), "%s/spool", fx->dir);
    rmdir(path);
    rmdir(fx->dir);
    return 0;
}

/* What ODK Collect sends: the XML first, then one part per file, maybe *isIncomplete*. */
static const char collect_body[] =
    "--OkHttpB0undary\r\n"
    "Content-Disposition: form-data; name=\"xml_submission_file\"; filename=\"s.xml\"\r\n"
    "Content-Type: text/xml; charset=utf-8\r\n"
    "\r\n"
    "<data id=\"survey\"><photo>1.jpg</photo></data>\r\n"
    "--OkHttpB0undary\r\n"
    "Content-Disposition: form-data; name=\"1.jpg\"; filename=\"1.jpg\"\r\n"
    "Content-Type: image/jpeg\r\n"
    "\r\n"
    "\xff\xd8\r\n--OkHttp\xff\xd9\r\n"
    "--OkHttpB0undary\r\n"
    "Content-Disposition: form-data; name=\"note\"\r\n"
    "\r\n"
    "a text field that is not a file\r\n"
    "--OkHttpB0undary\r\n"
    "Content-Disposition: form-data; name=\"*isIncomplete*\"\r\n"
    "\r\n"
    "yes\r\n"
    "--OkHttpB0undary--\r\n";

static enum tc_status
parse(struct fixture *fx, const char *body, size_t len, size_t chunk,
      const struct tc_upload_limits *limits, struct tc_upload *out, struct tc_error *err)
{
    struct tc_upload_parser *up = tc_upload_create(CT, fx->spool, limits, fx->arena, err);
    enum tc_status st = TC_OK;

    assert_non_null(up);
    for (size_t off = 0; off < len && st == TC_OK; off += chunk)
        st = tc_upload_feed(up, body + off, len - off < chunk ? len - off : chunk, err);
    return st == TC_OK ? tc_upload_finish(up, out, err) : st;
}

static void
collect_body_is_taken_apart(void **state)
{
    struct fixture *fx = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_upload_limits sealed = {.encrypt = true};

    for (size_t chunk = 1; chunk <= sizeof(collect_body); chunk += 37) {
        struct tc_upload up;
        unsigned char *bytes = NULL;
        size_t len = 0;

        assert_int_equal(parse(fx, collect_body, sizeof(collect_body) - 1, chunk,
                               chunk % 2 ? &sealed : NULL, &up, &err),
                         TC_OK);
        assert_int_equal(up.xml_len, strlen("<data id=\"survey\"><photo>1.jpg</photo></data>"));
        assert_memory_equal(up.xml, "<data id=\"survey\"><photo>1.jpg</photo></data>", up.xml_len);
        assert_string_equal(up.xml_content_type, "text/xml; charset=utf-8");
        assert_int_equal(up.n_files, 1);
        assert_string_equal(up.files[0].name, "1.jpg");
        assert_string_equal(up.files[0].content_type, "image/jpeg");
        assert_true(up.is_incomplete);
        assert_int_equal(tc_spool_read_all(up.files[0].file, fx->arena, &bytes, &len, &err), TC_OK);
        assert_int_equal(len, 14);
        assert_memory_equal(bytes, "\xff\xd8\r\n--OkHttp\xff\xd9", 14);
    }
}

static void
missing_xml_part_is_refused(void **state)
{
    struct fixture *fx = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_upload up;
    static const char body[] = "--OkHttpB0undary\r\n"
                               "Content-Disposition: form-data; name=\"a.jpg\"; filename=\"a.jpg\""
                               "\r\n\r\nx\r\n--OkHttpB0undary--";

    assert_int_equal(parse(fx, body, sizeof(body) - 1, 1000, NULL, &up, &err), TC_EBADREQ);
    assert_string_equal(err.msg, "the request has no xml_submission_file part");
}

static void
second_xml_part_is_refused(void **state)
{
    struct fixture *fx = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_upload up;
    static const char body[] =
        "--OkHttpB0undary\r\nContent-Disposition: form-data; name=xml_submission_file\r\n\r\n"
        "<a/>\r\n"
        "--OkHttpB0undary\r\nContent-Disposition: form-data; name=xml_submission_file\r\n\r\n"
        "<b/>\r\n--OkHttpB0undary--";

    assert_int_equal(parse(fx, body, sizeof(body) - 1, 1000, NULL, &up, &err), TC_EBADREQ);
    assert_string_equal(err.msg, "the request has more than one xml_submission_file");
}

static void
caps_are_enforced(void **state)
{
    struct fixture *fx = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_upload up;
    struct tc_upload_limits small = {.max_xml_bytes = 10, .max_parts = 2};
    static const char big_xml[] =
        "--OkHttpB0undary\r\nContent-Disposition: form-data; name=xml_submission_file\r\n\r\n"
        "<abcdefghij/>\r\n--OkHttpB0undary--";
    static char big_file[1200 + 200];
    int n;

    assert_int_equal(parse(fx, big_xml, sizeof(big_xml) - 1, 3, &small, &up, &err), TC_ETOOLARGE);
    assert_string_equal(err.msg, "the submission XML exceeds 10 bytes");

    n = snprintf(big_file, sizeof(big_file),
                 "--OkHttpB0undary\r\nContent-Disposition: form-data; name=a; filename=a\r\n\r\n"
                 "%01100d\r\n--OkHttpB0undary--",
                 0);
    assert_int_equal(parse(fx, big_file, (size_t)n, 64, NULL, &up, &err), TC_ETOOLARGE);
    assert_string_equal(err.msg, "an uploaded file exceeds 1000 bytes");
}

static void
incomplete_flag_needs_yes(void **state)
{
    struct fixture *fx = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_upload up;
    static const char body[] =
        "--OkHttpB0undary\r\nContent-Disposition: form-data; name=xml_submission_file\r\n\r\n"
        "<a/>\r\n"
        "--OkHttpB0undary\r\nContent-Disposition: form-data; name=\"*isIncomplete*\"\r\n\r\n"
        "no\r\n--OkHttpB0undary--";

    assert_int_equal(parse(fx, body, sizeof(body) - 1, 5, NULL, &up, &err), TC_OK);
    assert_false(up.is_incomplete);
    assert_int_equal(up.n_files, 0);
    assert_null(up.xml_content_type);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(collect_body_is_taken_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_xml_part_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(second_xml_part_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(caps_are_enforced, setup, teardown),
        cmocka_unit_test_setup_teardown(incomplete_flag_needs_yes, setup, teardown),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests_name("upload", tests, NULL, NULL);
}
