#ifndef TC_EMBEDDED_H
#define TC_EMBEDDED_H

#include <stddef.h>

/* A file compiled into the binary by cmake/Embed.cmake; `data` is NUL-terminated. */
struct tc_embedded {
    const char *name;
    const char *data;
    size_t len;
};

/* The migrations of schema/, sorted by name, ending with a {NULL, NULL, 0} entry. */
extern const struct tc_embedded tc_migrations[];
extern const size_t tc_migrations_count;

/* The message catalogues of po/ compiled by msgfmt ("en.mo", "vi.mo"), same layout. */
extern const struct tc_embedded tc_catalogs[];
extern const size_t tc_catalogs_count;

#endif /* TC_EMBEDDED_H */
