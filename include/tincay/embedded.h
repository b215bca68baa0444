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

/*
 * ODK Web Forms as vite built it (cmake/Webforms.cmake): scripts and style sheets with
 * content-hashed names, each also as "<name>.gz"; same layout, empty in a build without it.
 */
extern const struct tc_embedded tc_webforms_files[];
extern const size_t tc_webforms_files_count;

/* The names of its entry script and style sheet among those files ("" without it). */
extern const char tc_webforms_entry_js[];
extern const char tc_webforms_entry_css[];

#endif /* TC_EMBEDDED_H */
