/* The export writers: CSV (RFC 4180 quoting, BOM, CRLF), printable HTML (escaped), XLSX. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tincay/arena.h"
#include "tincay/strbuf.h"
#include "tincay/table.h"

#define BOM "\xEF\xBB\xBF"

static const char *
csv_of(const char *value, struct tc_strbuf *sb)
{
    tc_strbuf_reset(sb);
    tc_csv_field(sb, value);
    assert_false(tc_strbuf_failed(sb));
    return tc_strbuf_str(sb);
}

static void
plain_fields_are_not_quoted(void **state)
{
    struct tc_strbuf sb = TC_STRBUF_INIT(1024);

    (void)state;
    assert_string_equal(csv_of("Bình Lư", &sb), "Bình Lư");
    assert_string_equal(csv_of("", &sb), "");
    assert_string_equal(csv_of(NULL, &sb), "");
    assert_string_equal(csv_of("a;b\tc", &sb), "a;b\tc");
    tc_strbuf_cleanup(&sb);
}

static void
commas_quotes_and_newlines_are_quoted(void **state)
{
    struct tc_strbuf sb = TC_STRBUF_INIT(1024);

    (void)state;
    assert_string_equal(csv_of("chè, rau", &sb), "\"chè, rau\"");
    assert_string_equal(csv_of("nhóm \"Hoa Ban\"", &sb), "\"nhóm \"\"Hoa Ban\"\"\"");
    assert_string_equal(csv_of("line 1\nline 2", &sb), "\"line 1\nline 2\"");
    assert_string_equal(csv_of("cr\r", &sb), "\"cr\r\"");
    assert_string_equal(csv_of("\"", &sb), "\"\"\"\"");
    tc_strbuf_cleanup(&sb);
}

static struct tc_table *
sample(struct tc_arena *arena)
{
    struct tc_table *t = tc_table_new(arena, "sheet", 3);
    const char *header[] = {"id", "name", "amount"};
    const char *row1[] = {"1", "a,b", "80000000"};
    const char *row2[] = {"2", NULL, "03390"};

    assert_non_null(t);
    assert_int_equal(tc_table_add_row(t, arena, header), 0);
    assert_int_equal(tc_table_add_row(t, arena, row1), 0);
    assert_int_equal(tc_table_add_row(t, arena, row2), 0);
    return t;
}

static void
table_csv_starts_with_a_bom_and_ends_rows_with_crlf(void **state)
{
    struct tc_arena *arena = tc_arena_create(4096);
    struct tc_strbuf sb = TC_STRBUF_INIT(4096);

    (void)state;
    tc_table_csv(sample(arena), &sb);
    assert_false(tc_strbuf_failed(&sb));
    assert_string_equal(tc_strbuf_str(&sb),
                        BOM "id,name,amount\r\n1,\"a,b\",80000000\r\n2,,03390\r\n");
    tc_strbuf_cleanup(&sb);
    tc_arena_destroy(arena);
}

static void
many_rows_grow_the_table(void **state)
{
    struct tc_arena *arena = tc_arena_create(4096);
    struct tc_table *t = tc_table_new(arena, "t", 1);

    (void)state;
    for (int i = 0; i < 1000; i++) {
        const char *cell[] = {tc_arena_printf(arena, "%d", i)};
        assert_int_equal(tc_table_add_row(t, arena, cell), 0);
    }
    assert_int_equal(t->n_rows, 1000);
    assert_string_equal(t->cells[999], "999");
    assert_string_equal(t->cells[17], "17");
    tc_arena_destroy(arena);
}

static void
html_escapes_every_cell_and_the_title(void **state)
{
    struct tc_arena *arena = tc_arena_create(4096);
    struct tc_table *t = tc_table_new(arena, "t", 1);
    const char *h[] = {"<b>name</b>"};
    const char *r[] = {"<script>alert(1)</script> & \"x\""};
    struct tc_strbuf sb = TC_STRBUF_INIT(1u << 16);

    (void)state;
    tc_table_add_row(t, arena, h);
    tc_table_add_row(t, arena, r);
    tc_table_html(t, "List <1>", "note & more", &sb);
    assert_false(tc_strbuf_failed(&sb));
    assert_null(strstr(tc_strbuf_str(&sb), "<script>"));
    assert_null(strstr(tc_strbuf_str(&sb), "<b>"));
    assert_non_null(strstr(tc_strbuf_str(&sb), "&lt;script&gt;alert(1)&lt;/script&gt; &amp;"));
    assert_non_null(strstr(tc_strbuf_str(&sb), "<title>List &lt;1&gt;</title>"));
    assert_non_null(strstr(tc_strbuf_str(&sb), "note &amp; more"));
    tc_strbuf_cleanup(&sb);
    tc_arena_destroy(arena);
}

static void
xlsx_is_a_zip_with_one_sheet_per_table(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_arena *arena = tc_arena_create(4096);
    struct tc_table *a = sample(arena), *b = sample(arena);
    const struct tc_table *tables[] = {a, b};
    char path[] = "/tmp/tc-table-XXXXXX";
    int fd = mkstemp(path);
    unsigned char magic[4] = {0};
    FILE *f;

    (void)state;
    b->name = "member";
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(tc_tables_xlsx(tables, 2, path, &err), TC_OK);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(magic, 1, 4, f), 4);
    fclose(f);
    unlink(path);
    assert_memory_equal(magic, "PK\x03\x04", 4);
    b->name = "sheet"; /* two sheets of one name: refused, not a broken file */
    assert_int_equal(tc_tables_xlsx(tables, 2, path, &err), TC_EINTERNAL);
    unlink(path);
    tc_arena_destroy(arena);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_fields_are_not_quoted),
        cmocka_unit_test(commas_quotes_and_newlines_are_quoted),
        cmocka_unit_test(table_csv_starts_with_a_bom_and_ends_rows_with_crlf),
        cmocka_unit_test(many_rows_grow_the_table),
        cmocka_unit_test(html_escapes_every_cell_and_the_title),
        cmocka_unit_test(xlsx_is_a_zip_with_one_sheet_per_table),
    };

    return cmocka_run_group_tests_name("table", tests, NULL, NULL);
}
