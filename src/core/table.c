#include "tincay/table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

#include "tincay/arena.h"
#include "tincay/strbuf.h"

#define SHEET_NAME_MAX 31

struct tc_table *
tc_table_new(struct tc_arena *arena, const char *name, size_t n_cols)
{
    struct tc_table *t = tc_arena_calloc(arena, 1, sizeof(*t));

    if (t == NULL)
        return NULL;
    t->name = name;
    t->n_cols = n_cols;
    return t;
}

int
tc_table_add_row(struct tc_table *t, struct tc_arena *arena, const char *const *cells)
{
    if (t->n_rows == t->cap_rows) {
        size_t cap = t->cap_rows ? 2 * t->cap_rows : 16;
        const char **grown = tc_arena_calloc(arena, cap * t->n_cols + 1, sizeof(*grown));

        if (grown == NULL)
            return -1;
        if (t->cells != NULL)
            memcpy(grown, t->cells, t->n_rows * t->n_cols * sizeof(*grown));
        t->cells = grown;
        t->cap_rows = cap;
    }
    memcpy(t->cells + t->n_rows * t->n_cols, cells, t->n_cols * sizeof(*cells));
    t->n_rows++;
    return 0;
}

void
tc_csv_field(struct tc_strbuf *sb, const char *value)
{
    if (value == NULL)
        return;
    if (strpbrk(value, ",\"\r\n") == NULL) {
        tc_strbuf_appends(sb, value);
        return;
    }
    tc_strbuf_appendc(sb, '"');
    for (const char *p = value; *p != '\0'; p++) {
        if (*p == '"')
            tc_strbuf_appendc(sb, '"');
        tc_strbuf_appendc(sb, *p);
    }
    tc_strbuf_appendc(sb, '"');
}

void
tc_table_csv(const struct tc_table *t, struct tc_strbuf *sb)
{
    tc_strbuf_appends(sb, "\xEF\xBB\xBF"); /* UTF-8 BOM: Excel then reads the file as UTF-8 */
    for (size_t r = 0; r < t->n_rows; r++) {
        for (size_t c = 0; c < t->n_cols; c++) {
            if (c > 0)
                tc_strbuf_appendc(sb, ',');
            tc_csv_field(sb, t->cells[r * t->n_cols + c]);
        }
        tc_strbuf_appends(sb, "\r\n");
    }
}

void
tc_table_html(const struct tc_table *t, const char *title, const char *note, struct tc_strbuf *sb)
{
    tc_strbuf_appends(sb, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
    tc_strbuf_append_html_escaped(sb, title);
    tc_strbuf_appends(sb, "</title><style>body{font-family:sans-serif}table{border-collapse:"
                          "collapse}th,td{border:1px solid #444;padding:2px 6px}"
                          "@media print{.note{font-size:smaller}}</style></head><body><h1>");
    tc_strbuf_append_html_escaped(sb, title);
    tc_strbuf_appends(sb, "</h1>\n");
    if (note != NULL) {
        tc_strbuf_appends(sb, "<p class=\"note\">");
        tc_strbuf_append_html_escaped(sb, note);
        tc_strbuf_appends(sb, "</p>\n");
    }
    tc_strbuf_appends(sb, "<table>\n");
    for (size_t r = 0; r < t->n_rows; r++) {
        const char *cell_tag = r == 0 ? "th" : "td";

        tc_strbuf_appends(sb, "<tr>");
        for (size_t c = 0; c < t->n_cols; c++) {
            const char *v = t->cells[r * t->n_cols + c];

            tc_strbuf_appendf(sb, "<%s>", cell_tag);
            tc_strbuf_append_html_escaped(sb, v != NULL ? v : "");
            tc_strbuf_appendf(sb, "</%s>", cell_tag);
        }
        tc_strbuf_appends(sb, "</tr>\n");
    }
    tc_strbuf_appends(sb, "</table>\n</body></html>\n");
}

/* A whole number without a leading zero (codes such as "03390" stay text). */
static bool
is_plain_number(const char *s)
{
    size_t n = strspn(s + (s[0] == '-'), "0123456789");

    if (s[0] == '-')
        s++;
    return n > 0 && n <= 15 && s[n] == '\0' && (s[0] != '0' || n == 1);
}

static lxw_error
write_sheet(lxw_workbook *wb, const struct tc_table *t, lxw_format *bold)
{
    char name[SHEET_NAME_MAX + 1];
    lxw_worksheet *ws;
    lxw_error e = LXW_NO_ERROR;

    snprintf(name, sizeof(name), "%s", t->name != NULL ? t->name : "data");
    if ((ws = workbook_add_worksheet(wb, name)) == NULL)
        return LXW_ERROR_MEMORY_MALLOC_FAILED;
    for (size_t r = 0; r < t->n_rows && e == LXW_NO_ERROR; r++) {
        for (size_t c = 0; c < t->n_cols && e == LXW_NO_ERROR; c++) {
            const char *v = t->cells[r * t->n_cols + c];
            lxw_row_t row = (lxw_row_t)r;
            lxw_col_t col = (lxw_col_t)c;

            if (v == NULL || v[0] == '\0')
                continue;
            if (r > 0 && is_plain_number(v))
                e = worksheet_write_number(ws, row, col, strtod(v, NULL), NULL);
            else
                e = worksheet_write_string(ws, row, col, v, r == 0 ? bold : NULL);
        }
    }
    return e;
}

enum tc_status
tc_tables_xlsx(const struct tc_table *const *tables, size_t n, const char *path,
               struct tc_error *err)
{
    lxw_workbook *wb = workbook_new(path);
    lxw_format *bold;
    lxw_error e = LXW_NO_ERROR;

    if (wb == NULL)
        return tc_fail(err, TC_EINTERNAL, "could not create the spreadsheet");
    if ((bold = workbook_add_format(wb)) != NULL)
        format_set_bold(bold);
    for (size_t i = 0; i < n && e == LXW_NO_ERROR; i++)
        e = write_sheet(wb, tables[i], bold);
    if (workbook_close(wb) != LXW_NO_ERROR || e != LXW_NO_ERROR)
        return tc_fail(err, TC_EINTERNAL, "could not write the spreadsheet");
    return TC_OK;
}
