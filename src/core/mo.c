#include "mo.h"

#include <string.h>

#define MO_MAGIC       0x950412deu
#define MO_HEADER_SIZE 28u /* magic, revision, N, O, T, hash size, hash offset */
#define MO_ENTRY_SIZE  8u  /* length, offset */

/* Read a 32-bit word at `at` (in bounds): little-endian, or big-endian when swapped. */
static uint32_t
read_u32(const struct tc_mo *mo, size_t at)
{
    const unsigned char *p = mo->data + at;

    if (mo->swapped)
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static int
refuse(struct tc_mo *mo)
{
    memset(mo, 0, sizeof(*mo)); /* an empty catalogue: lookups on it miss safely */
    return -1;
}

/* The magic number, read in either order, tells which byte order the writer used. */
int
tc_mo_open(struct tc_mo *mo, const void *data, size_t size)
{
    uint32_t revision;

    memset(mo, 0, sizeof(*mo));
    if (data == NULL || size < MO_HEADER_SIZE)
        return -1;
    mo->data = data;
    mo->size = size;
    if (read_u32(mo, 0) != MO_MAGIC) {
        mo->swapped = true;
        if (read_u32(mo, 0) != MO_MAGIC)
            return refuse(mo);
    }
    revision = read_u32(mo, 4);
    mo->n_strings = read_u32(mo, 8);
    mo->originals = read_u32(mo, 12);
    mo->translations = read_u32(mo, 16);
    if (revision >> 16 > 1) /* major revisions 0 and 1 share this layout */
        return refuse(mo);
    /* 64-bit arithmetic: n_strings * 8 cannot overflow, and size_t is at least as wide. */
    if ((uint64_t)mo->originals + (uint64_t)mo->n_strings * MO_ENTRY_SIZE > size ||
        (uint64_t)mo->translations + (uint64_t)mo->n_strings * MO_ENTRY_SIZE > size)
        return refuse(mo);
    return 0;
}

/* Entry `i` of `table`: its string if it lies inside the buffer and ends with a NUL. */
static const char *
entry(const struct tc_mo *mo, uint32_t table, uint32_t i)
{
    size_t at = (size_t)table + (size_t)i * MO_ENTRY_SIZE;
    uint32_t len = read_u32(mo, at), off = read_u32(mo, at + 4);

    if (off >= mo->size || len >= mo->size - off || mo->data[(size_t)off + len] != '\0')
        return NULL;
    return (const char *)mo->data + off;
}

int
tc_mo_entry(const struct tc_mo *mo, uint32_t i, const char **msgid, const char **translation)
{
    if (i >= mo->n_strings)
        return -1;
    *msgid = entry(mo, mo->originals, i);
    *translation = entry(mo, mo->translations, i);
    return *msgid != NULL && *translation != NULL ? 0 : -1;
}

int
tc_mo_check(const struct tc_mo *mo)
{
    const char *prev = NULL;

    for (uint32_t i = 0; i < mo->n_strings; i++) {
        const char *orig = entry(mo, mo->originals, i);

        if (orig == NULL || entry(mo, mo->translations, i) == NULL)
            return -1;
        if (prev != NULL && strcmp(prev, orig) >= 0)
            return -1;
        prev = orig;
    }
    return 0;
}

const char *
tc_mo_lookup(const struct tc_mo *mo, const char *msgid)
{
    uint32_t lo = 0, hi = mo->n_strings;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const char *orig = entry(mo, mo->originals, mid);
        int cmp;

        if (orig == NULL)
            return NULL;
        cmp = strcmp(msgid, orig);
        if (cmp == 0)
            return entry(mo, mo->translations, mid);
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}
