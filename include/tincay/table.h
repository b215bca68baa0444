#ifndef TC_TABLE_H
#define TC_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/status.h"

struct tc_arena;
struct tc_strbuf;

/*
 * A rectangular table of text cells (header row first), and its three renderings for
 * exports: CSV (RFC 4180, UTF-8 with a byte-order mark so that Excel reads Vietnamese
 * right), XLSX (libxlsxwriter: one sheet per table) and printable HTML (escaped). Cells
 * are borrowed strings; NULL is an empty cell.
 */
struct tc_table {
    const char *name; /* sheet name (at most 31 bytes are used) */
    size_t n_cols, n_rows;
    const char **cells; /* n_rows × n_cols, row-major; row 0 is the header */
    size_t cap_rows;
};

/* An empty table of `n_cols` columns in `arena`; NULL on allocation failure. */
struct tc_table *tc_table_new(struct tc_arena *arena, const char *name, size_t n_cols);

/* Append a row of n_cols cells (copied pointers); -1 when out of memory. */
int tc_table_add_row(struct tc_table *t, struct tc_arena *arena, const char *const *cells);

/* One CSV field: quoted when it holds a comma, a quote, CR or LF (quotes doubled). */
void tc_csv_field(struct tc_strbuf *sb, const char *value);

/* The whole table as CSV: BOM, rows ended by CRLF. Sticky errors: check the buffer. */
void tc_table_csv(const struct tc_table *t, struct tc_strbuf *sb);

/*
 * A printable HTML page: `title` as heading, `note` (may be NULL) as a paragraph under
 * it, then the table; every cell escaped.
 */
void tc_table_html(const struct tc_table *t, const char *title, const char *note,
                   struct tc_strbuf *sb);

/* Write the tables as sheets of one XLSX workbook at `path`. TC_EINTERNAL on failure. */
enum tc_status tc_tables_xlsx(const struct tc_table *const *tables, size_t n, const char *path,
                              struct tc_error *err);

#endif /* TC_TABLE_H */
