#ifndef TC_CSV_H
#define TC_CSV_H

#include <stddef.h>

#include "tincay/status.h"

struct tc_arena;

/* One CSV record: fields[0..n), UTF-8, unquoted; `line` is where it starts. */
struct tc_csv_row {
    const char **fields;
    size_t n;
    long line;
};

/*
 * Parse RFC 4180 CSV (quoted fields, "" escapes, CRLF or LF, a UTF-8 BOM skipped) from
 * `text` (`len` bytes and a NUL after them; unescaped in place, so the rows point into it)
 * into `arena`. `name` is what messages call the input. TC_EINVAL names the line of an
 * unterminated quote, or says the bytes hold a zero byte.
 */
enum tc_status tc_csv_parse(char *text, size_t len, const char *name, struct tc_arena *arena,
                            struct tc_csv_row **rows, size_t *n_rows, struct tc_error *err);

/* The same, from the file at `path` (at most 64 MiB). */
enum tc_status tc_csv_read(const char *path, struct tc_arena *arena, struct tc_csv_row **rows,
                           size_t *n_rows, struct tc_error *err);

/* Index of column `name` in the header row, or -1. */
int tc_csv_column(const struct tc_csv_row *header, const char *name);

#endif /* TC_CSV_H */
