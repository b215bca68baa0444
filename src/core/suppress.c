#include "tincay/suppress.h"

#include <string.h>

/*
 * Among `cells` equal to `line` on every coordinate but `skip` (skip < 0: all of them), a
 * single hidden cell would follow from the line's published sum: hide the smallest visible
 * one too. Returns whether anything changed.
 */
static bool
protect_line(struct tc_count_cell *cells, size_t n, size_t n_dims, const struct tc_count_cell *line,
             int skip)
{
    size_t hidden = 0, smallest = n;

    for (size_t i = 0; i < n; i++) {
        bool in_line = true;

        for (size_t d = 0; d < n_dims && skip >= 0; d++)
            if ((int)d != skip && strcmp(cells[i].key[d], line->key[d]) != 0)
                in_line = false;
        if (!in_line)
            continue;
        if (cells[i].suppressed)
            hidden++;
        else if (smallest == n || cells[i].count < cells[smallest].count)
            smallest = i;
    }
    if (hidden != 1 || smallest == n)
        return false;
    cells[smallest].suppressed = true;
    return true;
}

void
tc_suppress(struct tc_count_cell *cells, size_t n_cells, size_t n_dims,
            struct tc_count_cell *const *margins, const size_t *n_margins, long long k)
{
    bool changed = true;

    if (n_dims > TC_SUPPRESS_DIMS)
        n_dims = TC_SUPPRESS_DIMS;
    for (size_t i = 0; i < n_cells; i++)
        cells[i].suppressed = cells[i].count < k;
    for (size_t d = 0; d < n_dims; d++)
        for (size_t i = 0; i < n_margins[d]; i++)
            margins[d][i].suppressed = margins[d][i].count < k;
    while (changed) { /* each pass hides at least one more cell, or ends */
        changed = false;
        for (size_t i = 0; i < n_cells; i++)
            for (size_t d = 0; d < n_dims; d++)
                changed |=
                    protect_line(cells, n_cells, n_dims, &cells[i], n_dims > 1 ? (int)d : -1);
        for (size_t d = 0; d < n_dims; d++)
            changed |= protect_line(margins[d], n_margins[d], 1, NULL, -1);
    }
}
