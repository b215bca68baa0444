#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tincay/status.h"

static void
every_status_maps_to_http(void **state)
{
    static const unsigned int expected[TC_STATUS_COUNT] = {
        [TC_OK] = 200,        [TC_EBADREQ] = 400,      [TC_EUNAUTH] = 401,  [TC_EFORBIDDEN] = 403,
        [TC_ENOTFOUND] = 404, [TC_EMETHOD] = 405,      [TC_ETIMEOUT] = 408, [TC_ECONFLICT] = 409,
        [TC_ETOOLARGE] = 413, [TC_EUNSUPPORTED] = 415, [TC_EINVAL] = 422,   [TC_ERATELIMIT] = 429,
        [TC_ERETRY] = 503,    [TC_EBUSY] = 503,        [TC_ENOSPACE] = 507, [TC_ENOMEM] = 500,
        [TC_EDB] = 500,       [TC_EINTERNAL] = 500,
    };

    (void)state;
    for (int s = 0; s < TC_STATUS_COUNT; s++) {
        assert_int_equal(tc_status_http((enum tc_status)s), expected[s]);
        assert_non_null(tc_status_code((enum tc_status)s));
    }
    assert_int_equal(tc_status_http((enum tc_status)TC_STATUS_COUNT), 500);
    assert_string_equal(tc_status_code(TC_ENOTFOUND), "not_found");
    assert_string_equal(tc_status_code(TC_ECONFLICT), "conflict");
}

static void
codes_are_unique(void **state)
{
    (void)state;
    for (int a = 0; a < TC_STATUS_COUNT; a++)
        for (int b = a + 1; b < TC_STATUS_COUNT; b++)
            assert_string_not_equal(tc_status_code((enum tc_status)a),
                                    tc_status_code((enum tc_status)b));
}

static void
fail_records_message_and_returns_status(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    (void)state;
    tc_error_clear(&err);
    assert_int_equal(err.lang, TC_LANG_EN);
    assert_int_equal(tc_fail(&err, TC_EINVAL, "invalid case id \"%s\"", "x"), TC_EINVAL);
    assert_int_equal(err.status, TC_EINVAL);
    assert_string_equal(err.msg, "invalid case id \"x\"");
    tc_error_detail(&err, "detail %d", 7);
    assert_string_equal(err.detail, "detail 7");
    assert_int_equal(tc_fail(NULL, TC_EDB, "ignored"), TC_EDB);
}

static void
long_messages_are_truncated_not_overflowed(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char big[1000];

    (void)state;
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    tc_fail(&err, TC_EINVAL, "%s", big);
    assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_status_maps_to_http),
        cmocka_unit_test(codes_are_unique),
        cmocka_unit_test(fail_records_message_and_returns_status),
        cmocka_unit_test(long_messages_are_truncated_not_overflowed),
    };

    return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
