#ifndef TC_SUPPRESS_H
#define TC_SUPPRESS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Small-cell suppression of a count table (statistical disclosure control for the case
 * aggregates; docs/cases.md). A table is its cells (the cross-classification over up to
 * TC_SUPPRESS_DIMS dimensions, one key string per dimension) and, per dimension, its margins
 * (one key: the dimension's value). Primary suppression hides every cell and margin below
 * k; complementary suppression then hides the smallest visible cell of any line (cells that
 * differ in one dimension only) with exactly one hidden cell, and the same among the margins
 * of each dimension, until no published sum gives a hidden count away.
 */

#define TC_SUPPRESS_DIMS 5

struct tc_count_cell {
    const char *key[TC_SUPPRESS_DIMS];
    long long count;
    bool suppressed; /* set by tc_suppress */
};

/*
 * Suppress in place: `cells` (n_cells, n_dims keys each) and, for each dimension d below
 * n_dims, `margins[d]` (n_margins[d] cells, one key each). k below 1 counts as 1.
 */
void tc_suppress(struct tc_count_cell *cells, size_t n_cells, size_t n_dims,
                 struct tc_count_cell *const *margins, const size_t *n_margins, long long k);

#endif /* TC_SUPPRESS_H */
