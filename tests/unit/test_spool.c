#define _GNU_SOURCE /* memmem, O_TMPFILE: set before any system header */
/* The spool's code is included so that the tests can look at its descriptors. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/spool.c"

struct fixture {
    char dir[64];
    struct tc_arena *arena;
};

static int
setup(void **state)
{
    static struct fixture fx;

    snprintf(fx.dir, sizeof(fx.dir), "/tmp/tc_spool_XXXXXX");
    if (mkdtemp(fx.dir) == NULL)
        return -1;
    fx.arena = tc_arena_create(8192);
    *state = &fx;
    return fx.arena == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
    struct fixture *fx = *state;
    char path[128];

    tc_arena_destroy(fx->arena);
    snprintf(path, sizeof(path), "%s/spool", fx->dir);
    rmdir(path);
    rmdir(fx->dir);
    return 0;
}

static size_t
entries_in(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static void
fill(unsigned char *buf, size_t len, unsigned int seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)((i * 2654435761u + seed) >> 7);
}

/* Write `len` bytes of `data` in uneven pieces. */
static void
write_uneven(struct tc_spool_file *f, const unsigned char *data, size_t len)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    size_t step = 1;

    for (size_t off = 0; off < len; off += step, step = step * 3 % 70001 + 1) {
        size_t n = len - off < step ? len - off : step;

        assert_int_equal(tc_spool_write(f, data + off, n, &err), TC_OK);
    }
}

static void
plain_file_round_trips_with_digest(void **state)
{
    struct fixture *fx = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_spool *sp = tc_spool_create(fx->dir, 1 << 20, 1 << 21, fx->arena, &err);
    static unsigned char data[300000];
    unsigned char want[32], *back = NULL;
    char hex[65], path[128];
    struct stat st;
    size_t len = 0;
    struct tc_spool_file *f;

    assert_non_null(sp);
    f = tc_spool_open(sp, false, &err);
    assert_non_null(f);
    fill(data, sizeof(data), 1);
    write_uneven(f, data, sizeof(data));
    assert_int_equal(tc_spool_finish(f, &err), TC_OK);
    assert_int_equal(tc_spool_finish(f, &err), TC_OK);
    assert_int_equal(tc_spool_size(f), sizeof(data));
    assert_int_equal(tc_spool_disk_size(f), sizeof(data));
    crypto_hash_sha256(want, data, sizeof(data));
    assert_memory_equal(tc_spool_sha256(f), want, 32);
    tc_spool_sha256_hex(f, hex);
    assert_int_equal(strlen(hex), 64);
    assert_int_equal(tc_spool_read_all(f, fx->arena, &back, &len, &err), TC_OK);
    assert_int_equal(len, sizeof(data));
    assert_memory_equal(back, data, sizeof(data));
    /* anonymous, owner-only, and nothing visible in the directory */
    assert_int_equal(fstat(f->fd, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_nlink, 0);
    snprintf(path, sizeof(path), "%s/spool", fx->dir);
    assert_int_equal(entries_in(path), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(tc_spool_write(f, "x", 1, &err), TC_EINTERNAL);
}

static void
encrypted_file_round_trips_and_hides_its_bytes(void **state)
{
    struct fixture *fx = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_spool *sp = tc_spool_create(fx->dir, 1 << 20, 1 << 21, fx->arena, &err);
    static unsigned char data[200003], raw[300000];
    unsigned char want[32], *back = NULL;
    size_t len = 0, n_chunks = sizeof(data) / CHUNK + 1;
    struct tc_spool_file *f = tc_spool_open(sp, true, &err);

    assert_non_null(f);
    fill(data, sizeof(data), 2);
    memcpy(data, "VICTIM-NAME-MARKER", 18);
    write_uneven(f, data, sizeof(data));
    assert_int_equal(tc_spool_finish(f, &err), TC_OK);
    assert_int_equal(tc_spool_size(f), sizeof(data));
    assert_int_equal(tc_spool_disk_size(f),
                     HEADER_SIZE + sizeof(data) +
                         n_chunks * crypto_secretstream_xchacha20poly1305_ABYTES);
    crypto_hash_sha256(want, data, sizeof(data));
    assert_memory_equal(tc_spool_sha256(f), want, 32);

    assert_int_equal(pread(f->fd, raw, sizeof(raw), 0), (ssize_t)tc_spool_disk_size(f));
    assert_null(memmem(raw, tc_spool_disk_size(f), "VICTIM-NAME-MARKER", 18));

    assert_int_equal(tc_spool_read_all(f, fx->arena, &back, &len, &err), TC_OK);
    assert_int_equal(len, sizeof(data));
    assert_memory_equal(back, data, sizeof(data));
}

static void
empty_encrypted_file_reads_back_empty(void **state)
{
    struct fixture *fx = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_spool *sp = tc_spool_create(fx->dir, 10, 10, fx->arena, &err);
    struct tc_spool_file *f = tc_spool_open(sp, true, &err);
    unsigned char *back = NULL;
    size_t len = 1;

    assert_non_null(f);
    assert_int_equal(tc_spool_finish(f, &err), TC_OK);
    assert_int_equal(tc_spool_read_all(f, fx->arena, &back, &len, &err), TC_OK);
    assert_int_equal(len, 0);
    assert_string_equal((char *)back, "");
}

static void
tampered_or_truncated_ciphertext_is_refused(void **state)
{
    struct fixture *fx = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_spool *sp = tc_spool_create(fx->dir, 1 << 20, 1 << 21, fx->arena, &err);
    static unsigned char data[100000];
    struct tc_spool_file *f = tc_spool_open(sp, true, &err);
    struct tc_spool_file *g = tc_spool_open(sp, true, &err);
    unsigned char byte, *back = NULL;
    size_t len;

    fill(data, sizeof(data), 3);
    assert_int_equal(tc_spool_write(f, data, sizeof(data), &err), TC_OK);
    assert_int_equal(tc_spool_finish(f, &err), TC_OK);
    assert_int_equal(pread(f->fd, &byte, 1, 5000), 1);
    byte ^= 1;
    assert_int_equal(pwrite(f->fd, &byte, 1, 5000), 1);
    assert_int_equal(tc_spool_read_all(f, fx->arena, &back, &len, &err), TC_EINTERNAL);
    assert_string_equal(err.msg, "a spooled upload failed to authenticate");

    /* drop the final chunk: the stream ends without its FINAL tag */
    assert_int_equal(tc_spool_write(g, data, sizeof(data), &err), TC_OK);
    assert_int_equal(tc_spool_finish(g, &err), TC_OK);
    g->disk = HEADER_SIZE + SEALED;
    assert_int_equal(ftruncate(g->fd, (off_t)g->disk), 0);
    assert_int_equal(tc_spool_read_all(g, fx->arena, &back, &len, &err), TC_EINTERNAL);
}

static void
caps_are_enforced_per_file_and_in_total(void **state)
{
    struct fixture *fx = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_spool *sp = tc_spool_create(fx->dir, 10, 15, fx->arena, &err);
    struct tc_spool_file *a = tc_spool_open(sp, false, &err);
    struct tc_spool_file *b = tc_spool_open(sp, true, &err);

    assert_int_equal(tc_spool_write(a, "0123456789", 10, &err), TC_OK);
    assert_int_equal(tc_spool_write(a, "x", 1, &err), TC_ETOOLARGE);
    assert_string_equal(err.msg, "an uploaded file exceeds 10 bytes");
    assert_int_equal(tc_spool_write(b, "01234", 5, &err), TC_OK);
    assert_int_equal(tc_spool_write(b, "5", 1, &err), TC_ETOOLARGE);
    assert_string_equal(err.msg, "the uploaded files exceed 15 bytes");
}

static void
full_disk_is_insufficient_storage(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    int fd = open("/dev/full", O_WRONLY);

    (void)state;
    if (fd < 0)
        skip();
    assert_int_equal(write_fd(fd, (const unsigned char *)"abc", 3, &err), TC_ENOSPACE);
    assert_int_equal(tc_status_http(err.status), 507);
    assert_string_equal(err.msg, "no space left to store the upload");
    close(fd);
}

static enum tc_status
refuse(void *ctx, const unsigned char *data, size_t len, struct tc_error *err)
{
    (void)ctx;
    (void)data;
    (void)len;
    return tc_fail(err, TC_EDB, "sink refused");
}

static void
copy_stops_at_a_failing_sink(void **state)
{
    struct fixture *fx = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_spool *sp = tc_spool_create(fx->dir, 100, 100, fx->arena, &err);
    struct tc_spool_file *f = tc_spool_open(sp, false, &err);

    assert_int_equal(tc_spool_write(f, "abc", 3, &err), TC_OK);
    assert_int_equal(tc_spool_copy(f, refuse, NULL, &err), TC_EINTERNAL); /* unfinished */
    assert_int_equal(tc_spool_finish(f, &err), TC_OK);
    assert_int_equal(tc_spool_copy(f, refuse, NULL, &err), TC_EDB);
}

static void
unusable_data_dir_is_reported(void **state)
{
    struct fixture *fx = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    assert_null(tc_spool_create("/proc/no/such/dir", 1, 1, fx->arena, &err));
    assert_int_equal(err.status, TC_EINTERNAL);
    assert_string_equal(err.msg, "could not create directory \"/proc/no/such/dir\"");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(plain_file_round_trips_with_digest, setup, teardown),
        cmocka_unit_test_setup_teardown(encrypted_file_round_trips_and_hides_its_bytes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(empty_encrypted_file_reads_back_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(tampered_or_truncated_ciphertext_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(caps_are_enforced_per_file_and_in_total, setup, teardown),
        cmocka_unit_test(full_disk_is_insufficient_storage),
        cmocka_unit_test_setup_teardown(copy_stops_at_a_failing_sink, setup, teardown),
        cmocka_unit_test_setup_teardown(unusable_data_dir_is_reported, setup, teardown),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests_name("spool", tests, NULL, NULL);
}
