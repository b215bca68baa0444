#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tincay/fmt.h"

static void
dates_are_day_month_year(void **state)
{
    char out[TC_FMT_DATE_SIZE];

    (void)state;
    assert_int_equal(tc_fmt_date("2026-11-29", out), 0);
    assert_string_equal(out, "29/11/2026");
    assert_int_equal(tc_fmt_date("2025-07-01 00:00:00+00", out), 0);
    assert_string_equal(out, "01/07/2025");
    assert_int_equal(tc_fmt_date("2024-02-29", out), 0);
    assert_string_equal(out, "29/02/2024");
}

static void
impossible_dates_are_refused(void **state)
{
    char out[TC_FMT_DATE_SIZE] = "x";

    (void)state;
    assert_int_equal(tc_fmt_date("2025-02-29", out), -1);
    assert_string_equal(out, "");
    assert_int_equal(tc_fmt_date("2025-13-01", out), -1);
    assert_int_equal(tc_fmt_date("2025-04-31", out), -1);
    assert_int_equal(tc_fmt_date("25-04-01", out), -1);
    assert_int_equal(tc_fmt_date("", out), -1);
    assert_int_equal(tc_fmt_date(NULL, out), -1);
    assert_int_equal(tc_fmt_date("2025-0a-01", out), -1);
}

static void
times_are_shown_in_vietnam_time(void **state)
{
    char out[TC_FMT_DATETIME_SIZE];

    (void)state;
    assert_int_equal(tc_fmt_datetime("2026-11-29 01:05:59+00", out), 0);
    assert_string_equal(out, "29/11/2026 08:05");
    /* Past 17:00 UTC the date in Vietnam is the next day, across months and years. */
    assert_int_equal(tc_fmt_datetime("2026-12-31T20:30:00Z", out), 0);
    assert_string_equal(out, "01/01/2027 03:30");
    assert_int_equal(tc_fmt_datetime("2024-02-28T17:00:00.123456Z", out), 0);
    assert_string_equal(out, "29/02/2024 00:00");
    /* An explicit offset is honoured; +07 needs no shift. */
    assert_int_equal(tc_fmt_datetime("2026-01-01 09:15+07:00", out), 0);
    assert_string_equal(out, "01/01/2026 09:15");
    assert_int_equal(tc_fmt_datetime("2026-01-01 09:15-0200", out), 0);
    assert_string_equal(out, "01/01/2026 18:15");
}

static void
malformed_times_are_refused(void **state)
{
    char out[TC_FMT_DATETIME_SIZE] = "x";

    (void)state;
    assert_int_equal(tc_fmt_datetime("2026-11-29", out), -1);
    assert_string_equal(out, "");
    assert_int_equal(tc_fmt_datetime("2026-11-29 24:00", out), -1);
    assert_int_equal(tc_fmt_datetime("2026-11-29 10:60", out), -1);
    assert_int_equal(tc_fmt_datetime("2026-11-29 10:00+7", out), -1);
    assert_int_equal(tc_fmt_datetime("2026-11-29 10:00 junk", out), -1);
}

static void
amounts_use_vietnamese_grouping(void **state)
{
    char out[TC_FMT_VND_SIZE];

    (void)state;
    tc_fmt_vnd(1234567, out);
    assert_string_equal(out, "1.234.567\xc2\xa0₫");
    tc_fmt_vnd(0, out);
    assert_string_equal(out, "0\xc2\xa0₫");
    tc_fmt_vnd(999, out);
    assert_string_equal(out, "999\xc2\xa0₫");
    tc_fmt_vnd(1000, out);
    assert_string_equal(out, "1.000\xc2\xa0₫");
    tc_fmt_vnd(-50000000, out);
    assert_string_equal(out, "-50.000.000\xc2\xa0₫");
    tc_fmt_vnd(INT64_MIN, out);
    assert_string_equal(out, "-9.223.372.036.854.775.808\xc2\xa0₫");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dates_are_day_month_year),
        cmocka_unit_test(impossible_dates_are_refused),
        cmocka_unit_test(times_are_shown_in_vietnam_time),
        cmocka_unit_test(malformed_times_are_refused),
        cmocka_unit_test(amounts_use_vietnamese_grouping),
    };

    return cmocka_run_group_tests_name("fmt", tests, NULL, NULL);
}
