/*
 * Small-cell suppression: primary (below k) and complementary (no line or set of margins
 * with exactly one hidden count), on hand-made tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tincay/suppress.h"

#define K 5

/* Every line of a 2-D table (fixed row or fixed column) hides 0 or at least 2 cells. */
static void
assert_no_line_with_one_hidden(const struct tc_count_cell *cells, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t d = 0; d < 2; d++) {
            size_t hidden = 0;

            for (size_t j = 0; j < n; j++)
                if (strcmp(cells[j].key[d], cells[i].key[d]) == 0 && cells[j].suppressed)
                    hidden++;
            if (hidden == 1)
                fail_msg("line %s = %s has exactly one hidden cell", d == 0 ? "row" : "column",
                         cells[i].key[d]);
        }
}

static void
one_dimension_small_cell_and_its_complement(void **state)
{
    struct tc_count_cell cells[] = {
        {{"female"}, 12, false}, {{"male"}, 2, false}, {{"other"}, 30, false}};
    struct tc_count_cell margins0[] = {
        {{"female"}, 12, false}, {{"male"}, 2, false}, {{"other"}, 30, false}};
    struct tc_count_cell *margins[] = {margins0};
    const size_t n_margins[] = {3};

    (void)state;
    tc_suppress(cells, 3, 1, margins, n_margins, K);
    assert_true(cells[1].suppressed);  /* 2 < 5 */
    assert_true(cells[0].suppressed);  /* the smallest other: total - 30 - 12 would give 2 */
    assert_false(cells[2].suppressed); /* 30 stays */
    assert_true(margins0[1].suppressed && margins0[0].suppressed && !margins0[2].suppressed);
}

static void
two_dimensions_complementary_in_row_and_column(void **state)
{
    /* rows a, b, c × columns x, y, z; one small cell (b, y) */
    struct tc_count_cell cells[9];
    const char *rows[] = {"a", "b", "c"}, *cols[] = {"x", "y", "z"};
    const long long counts[9] = {20, 9, 15, 8, 3, 12, 25, 7, 40};
    struct tc_count_cell m0[3], m1[3];
    struct tc_count_cell *margins[] = {m0, m1};
    const size_t n_margins[] = {3, 3};
    size_t hidden = 0;

    (void)state;
    for (size_t r = 0; r < 3; r++) {
        m0[r] = (struct tc_count_cell){{rows[r]}, 0, false};
        m1[r] = (struct tc_count_cell){{cols[r]}, 0, false};
        for (size_t c = 0; c < 3; c++)
            cells[r * 3 + c] = (struct tc_count_cell){{rows[r], cols[c]}, counts[r * 3 + c], false};
    }
    for (size_t i = 0; i < 9; i++) {
        m0[i / 3].count += counts[i];
        m1[i % 3].count += counts[i];
    }
    tc_suppress(cells, 9, 2, margins, n_margins, K);
    assert_true(cells[4].suppressed); /* (b, y) = 3 */
    assert_no_line_with_one_hidden(cells, 9);
    for (size_t i = 0; i < 9; i++)
        hidden += cells[i].suppressed;
    assert_true(hidden >= 4); /* a rectangle at least: its row, column and the opposite corner */
    assert_true(hidden < 9);  /* and not everything */
    for (size_t i = 0; i < 3; i++) /* every margin is well above k */
        assert_false(m0[i].suppressed || m1[i].suppressed);
}

static void
nothing_below_k_nothing_hidden(void **state)
{
    struct tc_count_cell cells[] = {{{"a"}, 5, true}, {{"b"}, 6, true}};
    struct tc_count_cell *margins[] = {NULL};
    const size_t n_margins[] = {0};

    (void)state;
    tc_suppress(cells, 2, 1, margins, n_margins, K);
    assert_false(cells[0].suppressed);
    assert_false(cells[1].suppressed);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_dimension_small_cell_and_its_complement),
        cmocka_unit_test(two_dimensions_complementary_in_row_and_column),
        cmocka_unit_test(nothing_below_k_nothing_hidden),
    };

    return cmocka_run_group_tests_name("suppress", tests, NULL, NULL);
}
