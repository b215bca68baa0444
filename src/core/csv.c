/*
 * A small RFC 4180 CSV reader (tincay/csv.h): the files administrators load (norms, areas,
 * registry) and the CSV media of forms (external instances).
 */

#include "tincay/csv.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form/form_internal.h" /* tc_form_vec_push */
#include "tincay/arena.h"

#define CSV_MAX_BYTES (64u * 1024u * 1024u)

static char *
slurp(const char *path, struct tc_arena *arena, size_t *len, struct tc_error *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL) {
        tc_fail(err, TC_ENOTFOUND, "cannot open \"%s\": %s", path, strerror(errno));
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        tc_fail(err, TC_EINVAL, "cannot read \"%s\"", path);
    else if ((size_t)n > CSV_MAX_BYTES)
        tc_fail(err, TC_ETOOLARGE, "\"%s\" is larger than %u bytes", path, CSV_MAX_BYTES);
    else if ((buf = tc_arena_alloc(arena, (size_t)n + 1)) == NULL)
        tc_fail(err, TC_ENOMEM, "out of memory");
    else if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        tc_fail(err, TC_EINVAL, "cannot read \"%s\"", path);
        buf = NULL;
    }
    fclose(f);
    if (buf != NULL) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    return buf;
}

/* One field starting at *pp; the text is unescaped in place. */
static const char *
field(char **pp, long *line, bool *end_of_row, bool *bad)
{
    char *p = *pp, *w, *start;

    if (*p == '"') {
        start = w = ++p;
        for (;;) {
            if (*p == '\0') {
                *bad = true;
                return NULL;
            }
            if (*p == '"' && p[1] == '"') {
                *w++ = '"';
                p += 2;
                continue;
            }
            if (*p == '"') {
                p++;
                break;
            }
            *line += *p == '\n';
            *w++ = *p++;
        }
        while (*p != ',' && *p != '\n' && *p != '\r' && *p != '\0')
            p++; /* text after the closing quote is ignored */
    } else {
        start = w = p;
        while (*p != ',' && *p != '\n' && *p != '\r' && *p != '\0')
            p++;
        w = p;
    }
    *end_of_row = *p != ',';
    if (*p == '\r')
        p++;
    if (*p == '\n' || *p == ',')
        p++;
    if (*end_of_row)
        (*line)++;
    *w = '\0';
    *pp = p;
    return start;
}

enum tc_status
tc_csv_parse(char *text, size_t len, const char *name, struct tc_arena *arena,
             struct tc_csv_row **rows, size_t *n_rows, struct tc_error *err)
{
    size_t cap = 0, n = 0;
    char *p = text;
    long line = 1;

    *rows = NULL;
    *n_rows = 0;
    if (memchr(text, '\0', len) != NULL)
        return tc_fail(err, TC_EINVAL, "%s: not text (a zero byte)", name);
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (*p != '\0') {
        struct tc_csv_row *row;
        size_t fcap = 0;
        bool end = false, bad = false;

        if (*p == '\n' || *p == '\r') { /* blank line */
            line += *p == '\n';
            p++;
            continue;
        }
        if ((row = tc_form_vec_push(arena, (void **)rows, &n, &cap, sizeof(*row))) == NULL)
            return tc_fail(err, TC_ENOMEM, "out of memory");
        row->line = line;
        while (!end) {
            const char *f = field(&p, &line, &end, &bad);
            const char **slot;
            if (bad)
                return tc_fail(err, TC_EINVAL, "%s: line %ld: unterminated quote", name, row->line);
            slot = tc_form_vec_push(arena, (void **)&row->fields, &row->n, &fcap, sizeof(*slot));
            if (slot == NULL)
                return tc_fail(err, TC_ENOMEM, "out of memory");
            *slot = f;
        }
    }
    *n_rows = n;
    return TC_OK;
}

enum tc_status
tc_csv_read(const char *path, struct tc_arena *arena, struct tc_csv_row **rows, size_t *n_rows,
            struct tc_error *err)
{
    size_t len = 0;
    char *text = slurp(path, arena, &len, err);

    *rows = NULL;
    *n_rows = 0;
    return text != NULL ? tc_csv_parse(text, len, path, arena, rows, n_rows, err) : err->status;
}

int
tc_csv_column(const struct tc_csv_row *header, const char *name)
{
    for (size_t i = 0; i < header->n; i++)
        if (strcmp(header->fields[i], name) == 0)
            return (int)i;
    return -1;
}
