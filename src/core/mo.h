#ifndef TC_MO_H
#define TC_MO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A GNU gettext .mo catalogue read in place, without copying: the header says how many
 * strings there are and where the tables of originals and translations start. Every
 * offset is checked against `size` before it is used, so any bytes are safe to open and
 * query; a damaged catalogue only makes lookups miss. Internal to libtincay (src/core);
 * tests and the fuzz target include it directly.
 */
struct tc_mo {
    const unsigned char *data;
    size_t size;
    bool swapped; /* written with the other byte order */
    uint32_t n_strings;
    uint32_t originals;    /* offset of the table of (length, offset) pairs of msgids */
    uint32_t translations; /* offset of the same table for the translations */
};

/* Check the header and the bounds of both tables. Returns 0, or -1 if `data` is no .mo. */
int tc_mo_open(struct tc_mo *mo, const void *data, size_t size);

/*
 * Check every entry: each string inside the buffer and NUL-terminated, originals in
 * strictly increasing order (which the binary search relies on). Returns 0 or -1.
 */
int tc_mo_check(const struct tc_mo *mo);

/*
 * The translation of `msgid` (its first form, for plural entries), pointing into the
 * catalogue's bytes; NULL when it is absent or its entry is damaged.
 */
const char *tc_mo_lookup(const struct tc_mo *mo, const char *msgid);

/*
 * Entry `i` (0 <= i < n_strings): its msgid and translation, pointing into the
 * catalogue's bytes. Returns 0, or -1 when `i` is out of range or the entry is damaged.
 */
int tc_mo_entry(const struct tc_mo *mo, uint32_t i, const char **msgid, const char **translation);

#endif /* TC_MO_H */
