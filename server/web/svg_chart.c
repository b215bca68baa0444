#include "web/svg_chart.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tincay/strbuf.h"

#define CHART_HEIGHT 260
#define MIN_WIDTH    480
#define MARGIN_LEFT  72
#define MARGIN_RIGHT 16
#define MARGIN_TOP   44 /* the unit and the axis's top tick, under the legend */
#define LEGEND_ROW   18
#define LABELS_FLAT  40 /* room for the group labels under the axis */
#define LABELS_SLANT 88 /* ... when they are slanted */
#define GROUP_GAP    18
#define CHAR_WIDTH   7 /* of a label at font-size 12, roughly */
#define ID_MAX       40
#define SHARE_WIDTH  600
#define SHARE_HEIGHT 28

/* Dark enough on white for graphics and text (WCAG 1.4.11: at least 3:1; these exceed 4.5:1). */
static const char *const palette[TC_SVG_SERIES_MAX] = {"#1d4e89", "#a34f00", "#2e6b30", "#6a3d9a"};

static void
text(struct tc_strbuf *sb, const char *s)
{
    if (s != NULL)
        tc_strbuf_append_html_escaped(sb, s);
}

/* ` id="<prefix><suffix>"` with only [a-z0-9-] of the prefix kept. */
static void
safe_id(char out[ID_MAX], const char *prefix)
{
    size_t n = 0;

    for (const char *p = prefix != NULL ? prefix : ""; *p != '\0' && n + 1 < ID_MAX - 8; p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-')
            out[n++] = *p;
    if (n == 0)
        out[n++] = 'c';
    out[n] = '\0';
}

static double
clean(double v)
{
    return isfinite(v) && v > 0 ? v : 0;
}

static void
group_digits(unsigned long long v, char *out, size_t size)
{
    char digits[32];
    size_t n = (size_t)snprintf(digits, sizeof(digits), "%llu", v), o = 0;

    for (size_t i = 0; i < n && o + 2 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[o++] = '.';
        out[o++] = digits[i];
    }
    out[o] = '\0';
}

void
tc_svg_number(double v, char out[48])
{
    char whole[40];
    bool negative = v < 0;
    double a = fabs(v);

    if (!isfinite(v) || a > 1e15) {
        (void)snprintf(out, 48, "–");
        return;
    }
    if (fabs(a - round(a)) < 0.05) {
        group_digits((unsigned long long)llround(a), whole, sizeof(whole));
        (void)snprintf(out, 48, "%s%s", negative && llround(a) != 0 ? "-" : "", whole);
        return;
    }
    long long tenths = llround(a * 10);
    group_digits((unsigned long long)(tenths / 10), whole, sizeof(whole));
    (void)snprintf(out, 48, "%s%s,%lld", negative ? "-" : "", whole, tenths % 10);
}

double
tc_svg_nice_step(double max, int n_ticks)
{
    double raw, mag, norm;

    if (!(max > 0) || !isfinite(max))
        return 1;
    if (n_ticks < 1)
        n_ticks = 1;
    raw = max / n_ticks;
    mag = pow(10, floor(log10(raw)));
    norm = raw / mag;
    return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
}

static int
legend_entry_width(const char *name)
{
    return 16 + (int)strlen(name != NULL ? name : "") * CHAR_WIDTH + 16;
}

/* Rows the legend takes at `width` (0 for a single series). */
static int
legend_rows(const struct tc_svg_chart *c, size_t n_series, int width)
{
    int rows = 1, x = MARGIN_LEFT;

    if (n_series < 2)
        return 0;
    for (size_t s = 0; s < n_series; s++) {
        int w = legend_entry_width(c->series != NULL ? c->series[s] : NULL);

        if (x + w > width && x > MARGIN_LEFT) {
            rows++;
            x = MARGIN_LEFT;
        }
        x += w;
    }
    return rows;
}

struct layout {
    int width, height, plot_w, plot_h, slot, bar_w;
    int top; /* of the plot: under the legend's rows and the unit */
    double axis_max, step;
    bool slant;
};

static void
plan(const struct tc_svg_chart *c, size_t n_series, struct layout *l)
{
    double max = 0;
    bool whole = true;
    size_t longest = 0;

    for (size_t g = 0; g < c->n_groups; g++) {
        for (size_t s = 0; s < n_series; s++) {
            double v = clean(c->groups[g].values[s]);
            if (c->groups[g].suppressed[s])
                continue;
            max = v > max ? v : max;
            whole = whole && fabs(v - round(v)) < 1e-9;
        }
        if (c->groups[g].label != NULL && strlen(c->groups[g].label) > longest)
            longest = strlen(c->groups[g].label);
    }
    l->bar_w = n_series > 1 ? 16 : 28;
    l->slot = (int)n_series * l->bar_w + GROUP_GAP;
    l->slant = (int)longest * CHAR_WIDTH > l->slot;
    l->plot_w = (int)c->n_groups * l->slot;
    l->width = MARGIN_LEFT + l->plot_w + MARGIN_RIGHT;
    if (l->width < MIN_WIDTH) {
        l->width = MIN_WIDTH;
        l->plot_w = MIN_WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
    }
    l->top = MARGIN_TOP + legend_rows(c, n_series, l->width) * LEGEND_ROW;
    l->plot_h = CHART_HEIGHT - MARGIN_TOP - LABELS_FLAT;
    l->height = l->top + l->plot_h + (l->slant ? LABELS_SLANT : LABELS_FLAT);
    l->step = tc_svg_nice_step(max > 0 ? max : 1, 5);
    if (whole && l->step < 1)
        l->step = 1;
    l->axis_max = ceil((max > 0 ? max : 1) / l->step) * l->step;
}

static int
y_of(const struct layout *l, double v)
{
    return l->top + l->plot_h - (int)lround(v / l->axis_max * l->plot_h);
}

static void
axis(struct tc_strbuf *sb, const struct tc_svg_chart *c, const struct layout *l)
{
    int bottom = l->top + l->plot_h;

    tc_strbuf_appends(sb, "<g class=\"axis\" font-size=\"12\" fill=\"#222\">");
    if (c->unit != NULL) {
        tc_strbuf_appendf(sb, "<text x=\"%d\" y=\"%d\">", 4, l->top - 24);
        text(sb, c->unit);
        tc_strbuf_appends(sb, "</text>");
    }
    for (int i = 0; i <= 10; i++) {
        double v = l->step * i;
        char label[48];
        int y;

        if (v > l->axis_max + l->step / 2)
            break;
        y = y_of(l, v);
        tc_svg_number(v, label);
        tc_strbuf_appendf(sb,
                          "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\"/>"
                          "<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"end\">",
                          MARGIN_LEFT, y, MARGIN_LEFT + l->plot_w, y, i == 0 ? "#555" : "#ddd",
                          MARGIN_LEFT - 6, y + 4);
        text(sb, label);
        tc_strbuf_appends(sb, "</text>");
    }
    tc_strbuf_appendf(sb, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\"/></g>",
                      MARGIN_LEFT, l->top - 8, MARGIN_LEFT, bottom);
}

static void
legend(struct tc_strbuf *sb, const struct tc_svg_chart *c, size_t n_series, int width)
{
    int x = MARGIN_LEFT, y = 4;

    if (n_series < 2)
        return;
    tc_strbuf_appends(sb, "<g class=\"legend\" font-size=\"12\" fill=\"#222\">");
    for (size_t s = 0; s < n_series; s++) {
        const char *name = c->series != NULL && c->series[s] != NULL ? c->series[s] : "";
        int w = legend_entry_width(name);

        if (x + w > width && x > MARGIN_LEFT) {
            x = MARGIN_LEFT;
            y += LEGEND_ROW;
        }
        tc_strbuf_appendf(sb,
                          "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                          "<text x=\"%d\" y=\"%d\">",
                          x, y, palette[s], x + 16, y + 10);
        text(sb, name);
        tc_strbuf_appends(sb, "</text>");
        x += w;
    }
    tc_strbuf_appends(sb, "</g>");
}

static void
bar(struct tc_strbuf *sb, const struct tc_svg_chart *c, const struct layout *l, size_t g, size_t s,
    int x)
{
    const struct tc_svg_group *grp = &c->groups[g];
    const char *series = c->series != NULL && c->series[s] != NULL ? c->series[s] : "";
    int bottom = l->top + l->plot_h;
    char value[48];

    if (grp->suppressed[s]) {
        tc_strbuf_appendf(sb,
                          "<text class=\"suppressed\" x=\"%d\" y=\"%d\" font-size=\"11\" "
                          "fill=\"#444\" text-anchor=\"middle\">",
                          x + l->bar_w / 2, bottom - 4);
        text(sb, c->suppressed_text != NULL ? c->suppressed_text : "–");
        tc_strbuf_appends(sb, "<title>");
        text(sb, grp->label);
        tc_strbuf_appends(sb, " — ");
        text(sb, series);
        tc_strbuf_appends(sb, ": ");
        text(sb, c->suppressed_text);
        tc_strbuf_appends(sb, "</title></text>");
        return;
    }
    int y = y_of(l, clean(grp->values[s]));
    tc_svg_number(clean(grp->values[s]), value);
    tc_strbuf_appendf(sb,
                      "<rect class=\"bar s%zu\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                      "fill=\"%s\"><title>",
                      s, x, y, l->bar_w, bottom - y, palette[s]);
    text(sb, grp->label);
    tc_strbuf_appends(sb, " — ");
    text(sb, series);
    tc_strbuf_appends(sb, ": ");
    text(sb, value);
    tc_strbuf_appends(sb, "</title></rect>");
}

static void
group_label(struct tc_strbuf *sb, const struct layout *l, const char *label, int center)
{
    int y = l->top + l->plot_h + 18;

    if (l->slant)
        tc_strbuf_appendf(sb,
                          "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" "
                          "transform=\"rotate(-35 %d %d)\">",
                          center, y, center, y);
    else
        tc_strbuf_appendf(sb, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", center, y);
    text(sb, label);
    tc_strbuf_appends(sb, "</text>");
}

void
tc_svg_bar_chart(struct tc_strbuf *sb, const struct tc_svg_chart *c)
{
    size_t n_series = c->n_series < 1                   ? 1
                      : c->n_series > TC_SVG_SERIES_MAX ? TC_SVG_SERIES_MAX
                                                        : c->n_series;
    char id[ID_MAX];
    struct layout l;

    safe_id(id, c->id);
    plan(c, n_series, &l);
    tc_strbuf_appendf(sb,
                      "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
                      "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
                      "aria-labelledby=\"%s-title %s-desc\" font-family=\"sans-serif\">"
                      "<title id=\"%s-title\">",
                      l.width, l.height, l.width, l.height, id, id, id);
    text(sb, c->title);
    tc_strbuf_appendf(sb, "</title><desc id=\"%s-desc\">", id);
    text(sb, c->desc);
    tc_strbuf_appends(sb, "</desc>");
    legend(sb, c, n_series, l.width);
    axis(sb, c, &l);
    tc_strbuf_appends(sb, "<g class=\"bars\">");
    for (size_t g = 0; g < c->n_groups; g++) {
        int left = MARGIN_LEFT + (int)g * l.slot + GROUP_GAP / 2;

        for (size_t s = 0; s < n_series; s++)
            bar(sb, c, &l, g, s, left + (int)s * l.bar_w);
    }
    tc_strbuf_appends(sb, "</g><g class=\"labels\" font-size=\"12\" fill=\"#222\">");
    for (size_t g = 0; g < c->n_groups; g++)
        group_label(sb, &l, c->groups[g].label,
                    MARGIN_LEFT + (int)g * l.slot + GROUP_GAP / 2 + (int)n_series * l.bar_w / 2);
    tc_strbuf_appends(sb, "</g></svg>");
}

void
tc_svg_share_bar(struct tc_strbuf *sb, const char *id_prefix, const char *title, const char *desc,
                 double used, double total)
{
    double share = clean(total) > 0 ? clean(used) / clean(total) : 0;
    int used_w = (int)lround((share > 1 ? 1 : share) * SHARE_WIDTH);
    char id[ID_MAX];

    safe_id(id, id_prefix);
    tc_strbuf_appendf(sb,
                      "<svg class=\"share-bar\" xmlns=\"http://www.w3.org/2000/svg\" "
                      "viewBox=\"0 0 %d %d\" preserveAspectRatio=\"none\" role=\"img\" "
                      "aria-labelledby=\"%s-title %s-desc\"><title id=\"%s-title\">",
                      SHARE_WIDTH, SHARE_HEIGHT, id, id, id);
    text(sb, title);
    tc_strbuf_appendf(sb, "</title><desc id=\"%s-desc\">", id);
    text(sb, desc);
    tc_strbuf_appendf(sb,
                      "</desc><rect class=\"rest\" x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" "
                      "fill=\"#e3e8ef\" stroke=\"#555\"/>"
                      "<rect class=\"used\" x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" "
                      "fill=\"#1d4e89\"/></svg>",
                      SHARE_WIDTH, SHARE_HEIGHT, used_w, SHARE_HEIGHT);
}
