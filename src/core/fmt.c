#include "tincay/fmt.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define VIETNAM_OFFSET_MIN 420LL /* UTC+7, Indochina Time, all year */

struct civil {
    int year, month, day, hour, minute;
};

static bool
is_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int
number(const char *s, size_t n)
{
    int v = 0;

    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static int
days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    return month == 2 && leap ? 29 : days[month - 1];
}

/* "YYYY-MM-DD" at the start of `s`, checked against the calendar. */
static bool
parse_date(const char *s, struct civil *c)
{
    if (strlen(s) < 10 || !is_digits(s, 4) || s[4] != '-' || !is_digits(s + 5, 2) || s[7] != '-' ||
        !is_digits(s + 8, 2))
        return false;
    c->year = number(s, 4);
    c->month = number(s + 5, 2);
    c->day = number(s + 8, 2);
    return c->year >= 1 && c->month >= 1 && c->month <= 12 && c->day >= 1 &&
           c->day <= days_in_month(c->year, c->month);
}

/* "dd/mm/yyyy" and, when `hour` >= 0, " HH:MM"; -1 (and "") when it does not fit. */
static int
put(char *out, size_t size, int day, int month, int year, int hour, int minute)
{
    char buf[64];
    int n = hour >= 0 ? snprintf(buf, sizeof(buf), "%02d/%02d/%04d %02d:%02d", day, month, year,
                                 hour, minute)
                      : snprintf(buf, sizeof(buf), "%02d/%02d/%04d", day, month, year);

    if (n < 0 || (size_t)n >= size)
        return -1;
    memcpy(out, buf, (size_t)n + 1);
    return 0;
}

int
tc_fmt_date(const char *iso, char out[TC_FMT_DATE_SIZE])
{
    struct civil c;

    out[0] = '\0';
    if (iso == NULL || !parse_date(iso, &c))
        return -1;
    return put(out, TC_FMT_DATE_SIZE, c.day, c.month, c.year, -1, 0);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static long long
days_from_civil(int y, int m, int d)
{
    long long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void
civil_from_days(long long z, struct civil *c)
{
    long long era, doe, yoe, doy, mp, y;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    c->day = (int)(doy - (153 * mp + 2) / 5 + 1);
    c->month = (int)(mp < 10 ? mp + 3 : mp - 9);
    c->year = (int)(y + (c->month <= 2));
}

/* The time-zone suffix at `s`: "", "Z", "+07", "+0700", "+07:00"; minutes east of UTC. */
static bool
parse_offset(const char *s, int *offset_min)
{
    int sign, hours, minutes = 0;
    size_t len = strlen(s);

    *offset_min = 0;
    if (len == 0 || strcmp(s, "Z") == 0)
        return true;
    if ((s[0] != '+' && s[0] != '-') || len < 3 || !is_digits(s + 1, 2))
        return false;
    sign = s[0] == '-' ? -1 : 1;
    hours = number(s + 1, 2);
    if (len == 5 && is_digits(s + 3, 2))
        minutes = number(s + 3, 2);
    else if (len == 6 && s[3] == ':' && is_digits(s + 4, 2))
        minutes = number(s + 4, 2);
    else if (len != 3)
        return false;
    if (hours > 23 || minutes > 59)
        return false;
    *offset_min = sign * (hours * 60 + minutes);
    return true;
}

/* "HH:MM[:SS[.fff]]" then the offset. */
static bool
parse_time(const char *s, struct civil *c, int *offset_min)
{
    if (strlen(s) < 5 || !is_digits(s, 2) || s[2] != ':' || !is_digits(s + 3, 2))
        return false;
    c->hour = number(s, 2);
    c->minute = number(s + 3, 2);
    s += 5;
    if (s[0] == ':') {
        if (!is_digits(s + 1, 2) || number(s + 1, 2) > 60)
            return false;
        s += 3;
        if (s[0] == '.')
            for (s++; *s >= '0' && *s <= '9'; s++)
                ;
    }
    return c->hour <= 23 && c->minute <= 59 && parse_offset(s, offset_min);
}

int
tc_fmt_datetime(const char *iso, char out[TC_FMT_DATETIME_SIZE])
{
    struct civil c;
    int offset_min;
    long long minutes, days, rem;

    out[0] = '\0';
    if (iso == NULL || !parse_date(iso, &c) || (iso[10] != ' ' && iso[10] != 'T') ||
        !parse_time(iso + 11, &c, &offset_min))
        return -1;
    minutes = days_from_civil(c.year, c.month, c.day) * 1440 + (long long)c.hour * 60 + c.minute -
              offset_min + VIETNAM_OFFSET_MIN;
    days = minutes >= 0 ? minutes / 1440 : -((-minutes + 1439) / 1440);
    rem = minutes - days * 1440;
    civil_from_days(days, &c);
    return put(out, TC_FMT_DATETIME_SIZE, c.day, c.month, c.year, (int)(rem / 60), (int)(rem % 60));
}

void
tc_fmt_vnd(long long amount, char out[TC_FMT_VND_SIZE])
{
    /* The magnitude as unsigned, so the most negative value has one too. */
    unsigned long long mag =
        amount < 0 ? 0ULL - (unsigned long long)amount : (unsigned long long)amount;
    char digits[24], *p = out;
    int n = snprintf(digits, sizeof(digits), "%llu", mag);

    if (amount < 0)
        *p++ = '-';
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            *p++ = '.';
        *p++ = digits[i];
    }
    memcpy(p, "\xc2\xa0\xe2\x82\xab", 6); /* U+00A0 NO-BREAK SPACE, U+20AB DONG SIGN, NUL */
}
