#ifndef TC_FMT_H
#define TC_FMT_H

#include <stddef.h>

/*
 * How the interface writes dates and amounts, the Vietnamese way in both languages:
 * dates as dd/mm/yyyy, times in Vietnam's time (UTC+7, no daylight saving), amounts in
 * đồng with '.' between groups of three digits and the ₫ sign after a no-break space.
 */

#define TC_FMT_DATE_SIZE     11 /* "29/11/2026" and the NUL */
#define TC_FMT_DATETIME_SIZE 17 /* "29/11/2026 08:05" and the NUL */
#define TC_FMT_VND_SIZE      40 /* "-9.223.372.036.854.775.808\u00a0₫" and the NUL */

/*
 * "2026-11-29" or a timestamp starting that way ("2026-11-29 01:05:00+00") → "29/11/2026".
 * The calendar date as written, without time-zone conversion. Returns 0, or -1 (and "")
 * when `iso` does not start with a valid date.
 */
int tc_fmt_date(const char *iso, char out[TC_FMT_DATE_SIZE]);

/*
 * A UTC timestamp as PostgreSQL or ISO 8601 writes it ("2026-11-29 20:30:00+00",
 * "2026-11-29T20:30:00Z"; seconds and offset optional, an offset other than UTC is
 * honoured) → Vietnam's local time "30/11/2026 03:30". Returns 0, or -1 (and "").
 */
int tc_fmt_datetime(const char *iso, char out[TC_FMT_DATETIME_SIZE]);

/* An amount of đồng: 1234567 → "1.234.567 ₫" (a no-break space before the sign). */
void tc_fmt_vnd(long long amount, char out[TC_FMT_VND_SIZE]);

#endif /* TC_FMT_H */
