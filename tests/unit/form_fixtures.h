#ifndef TC_FORM_FIXTURES_H
#define TC_FORM_FIXTURES_H

/* Reading form and submission fixtures in the src/form unit tests. */

#include <stdio.h>
#include <stdlib.h>

#include "testlib.h"

/* The whole file at `path` (NUL-terminated, malloc'ed), or NULL. */
static inline char *
form_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long size;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)size + 1)) != NULL) {
        *len = fread(buf, 1, (size_t)size, f);
        buf[*len] = '\0';
    }
    fclose(f);
    return buf;
}

/* A file of tests/fixtures/form. */
static inline char *
form_fixture(const char *name, size_t *len)
{
    char rel[256], path[1024];

    snprintf(rel, sizeof(rel), "tests/fixtures/form/%s", name);
    return form_read_file(tc_test_source_path(rel, path, sizeof(path)), len);
}

#endif /* TC_FORM_FIXTURES_H */
