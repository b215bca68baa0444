#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tincay/arena.h"

static void
allocations_are_aligned_and_distinct(void **state)
{
    struct tc_arena *a = tc_arena_create(256);
    char *p, *q;

    (void)state;
    p = tc_arena_alloc(a, 3);
    q = tc_arena_alloc(a, 5);
    assert_non_null(p);
    assert_non_null(q);
    assert_int_equal((uintptr_t)p % 16, 0);
    assert_int_equal((uintptr_t)q % 16, 0);
    assert_ptr_not_equal(p, q);
    memset(p, 'x', 3);
    memset(q, 'y', 5);
    assert_int_equal(p[2], 'x');
    tc_arena_destroy(a);
}

static void
big_allocations_get_their_own_chunk(void **state)
{
    struct tc_arena *a = tc_arena_create(256);
    char *small, *big, *after;

    (void)state;
    small = tc_arena_alloc(a, 16);
    big = tc_arena_alloc(a, 100000);
    after = tc_arena_alloc(a, 16);
    assert_non_null(big);
    memset(big, 0xab, 100000);
    /* The head chunk keeps serving small allocations after a big one. */
    assert_ptr_equal(after, small + 16);
    tc_arena_destroy(a);
}

static void
overflowing_sizes_fail(void **state)
{
    struct tc_arena *a = tc_arena_create(256);

    (void)state;
    assert_null(tc_arena_alloc(a, SIZE_MAX - 3));
    assert_null(tc_arena_calloc(a, SIZE_MAX / 2, 4));
    tc_arena_destroy(a);
}

static void
strings_are_copied(void **state)
{
    struct tc_arena *a = tc_arena_create(256);
    char src[] = "tổ hợp tác";
    char *copy = tc_arena_strdup(a, src);

    (void)state;
    src[0] = 'X';
    assert_string_equal(copy, "tổ hợp tác");
    assert_string_equal(tc_arena_strndup(a, "abcdef", 3), "abc");
    assert_string_equal(tc_arena_printf(a, "%s-%d", "xã", 12), "xã-12");
    assert_null(tc_arena_strdup(a, NULL));
    tc_arena_destroy(a);
}

static int order[4];
static int n_order;

static void
record(void *p)
{
    order[n_order++] = *(int *)p;
}

static void
deferred_run_newest_first(void **state)
{
    struct tc_arena *a = tc_arena_create(256);
    static int one = 1, two = 2, three = 3;

    (void)state;
    n_order = 0;
    assert_int_equal(tc_arena_defer(a, record, &one), 0);
    assert_int_equal(tc_arena_defer(a, record, &two), 0);
    assert_int_equal(tc_arena_defer(a, record, &three), 0);
    assert_int_equal(n_order, 0);
    tc_arena_destroy(a);
    assert_int_equal(n_order, 3);
    assert_int_equal(order[0], 3);
    assert_int_equal(order[2], 1);
}

static void
destroy_accepts_null(void **state)
{
    (void)state;
    tc_arena_destroy(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(allocations_are_aligned_and_distinct),
        cmocka_unit_test(big_allocations_get_their_own_chunk),
        cmocka_unit_test(overflowing_sizes_fail),
        cmocka_unit_test(strings_are_copied),
        cmocka_unit_test(deferred_run_newest_first),
        cmocka_unit_test(destroy_accepts_null),
    };

    return cmocka_run_group_tests_name("arena", tests, NULL, NULL);
}
