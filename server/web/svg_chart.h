#ifndef TC_SVG_CHART_H
#define TC_SVG_CHART_H

#include <stdbool.h>
#include <stddef.h>

struct tc_strbuf;

/*
 * Charts drawn on the server as inline SVG: no script, no style attribute (the CSP forbids
 * both), colours as presentation attributes chosen for contrast on white, every text
 * escaped. A chart is an image with a <title> and a <desc> (role="img", aria-labelledby),
 * and each bar carries its own <title> (label, series, value) for a pointer or a screen
 * reader; the page shows the same figures in a table beside it.
 */

#define TC_SVG_SERIES_MAX 4

/* One category on the x axis: a value per series, any of them suppressed. */
struct tc_svg_group {
    const char *label;
    double values[TC_SVG_SERIES_MAX];   /* >= 0; negative and NaN are drawn as 0 */
    bool suppressed[TC_SVG_SERIES_MAX]; /* not drawn: `suppressed_text` instead */
};

struct tc_svg_chart {
    const char *id;            /* prefix of the element ids; only [a-z0-9-] of it is kept */
    const char *title;         /* translated */
    const char *desc;          /* translated: what the chart shows, read by screen readers */
    const char *unit;          /* the unit of the values, written above the y axis; NULL: none */
    const char *const *series; /* names of the series (a legend when more than one) */
    size_t n_series;           /* 1 to TC_SVG_SERIES_MAX */
    const struct tc_svg_group *groups;
    size_t n_groups;
    const char *suppressed_text; /* "< 5", shown where a value is suppressed */
};

/*
 * Append a grouped vertical bar chart: a y axis from 0 to a round maximum with 4 to 6
 * ticks, one <rect class="bar sN"> per shown value (suppressed ones have none), labels
 * under the groups. Numbers are written the Vietnamese way (1.234,5).
 */
void tc_svg_bar_chart(struct tc_strbuf *sb, const struct tc_svg_chart *c);

/*
 * Append a horizontal bar of `used` out of `total` (an allocation and what is committed
 * of it): <rect class="used"> and <rect class="rest">, with `title` and `desc` as its
 * accessible name and description. `used` above `total` fills the bar.
 */
void tc_svg_share_bar(struct tc_strbuf *sb, const char *id, const char *title, const char *desc,
                      double used, double total);

/*
 * `v` the Vietnamese way into `out`: '.' between groups of three digits, ',' before the
 * one decimal kept when `v` is not whole ("1.234", "57,6").
 */
void tc_svg_number(double v, char out[48]);

/* A round step for an axis from 0 to `max` with about `n_ticks` ticks (1, 2 or 5 × 10^k). */
double tc_svg_nice_step(double max, int n_ticks);

#endif /* TC_SVG_CHART_H */
