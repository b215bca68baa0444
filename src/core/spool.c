#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* O_TMPFILE */
#endif
#include "tincay/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "tincay/arena.h"

#define CHUNK       65536 /* plain bytes per sealed chunk */
#define SEALED      (CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES)
#define HEADER_SIZE crypto_secretstream_xchacha20poly1305_HEADERBYTES

struct tc_spool {
    struct tc_arena *arena;
    char *dir;
    int dirfd;
    size_t max_file, max_total, total;
};

struct tc_spool_file {
    struct tc_spool *spool;
    int fd;
    bool encrypt, finished;
    size_t size, disk;
    crypto_hash_sha256_state sha;
    unsigned char digest[TC_SPOOL_SHA256_BYTES];
    /* encrypted files only */
    crypto_secretstream_xchacha20poly1305_state push;
    unsigned char key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
    unsigned char *chunk; /* plain bytes waiting to be sealed */
    size_t chunk_len;
};

static void
close_spool(void *ptr)
{
    struct tc_spool *spool = ptr;

    if (spool->dirfd >= 0)
        close(spool->dirfd);
}

static void
close_file(void *ptr)
{
    struct tc_spool_file *file = ptr;

    if (file->fd >= 0)
        close(file->fd);
    sodium_memzero(file->key, sizeof(file->key));
    sodium_memzero(&file->push, sizeof(file->push));
    if (file->chunk != NULL)
        sodium_memzero(file->chunk, CHUNK);
}

static enum tc_status
make_dir(const char *path, struct tc_error *err)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return TC_OK;
    tc_fail(err, TC_EINTERNAL, "could not create directory \"%s\"", path);
    tc_error_detail(err, "%s", strerror(errno));
    return TC_EINTERNAL;
}

struct tc_spool *
tc_spool_create(const char *data_dir, size_t max_file_bytes, size_t max_total_bytes,
                struct tc_arena *arena, struct tc_error *err)
{
    struct tc_spool *spool = tc_arena_calloc(arena, 1, sizeof(*spool));

    if (spool == NULL || (spool->dir = tc_arena_printf(arena, "%s/spool", data_dir)) == NULL) {
        tc_fail(err, TC_ENOMEM, "out of memory");
        return NULL;
    }
    spool->arena = arena;
    spool->max_file = max_file_bytes;
    spool->max_total = max_total_bytes;
    /* made on first use: a request's spool is usually there already */
    spool->dirfd = open(spool->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (spool->dirfd < 0 && errno == ENOENT) {
        if (make_dir(data_dir, err) != TC_OK || make_dir(spool->dir, err) != TC_OK)
            return NULL;
        spool->dirfd = open(spool->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (spool->dirfd < 0) {
        tc_fail(err, TC_EINTERNAL, "could not open directory \"%s\"", spool->dir);
        tc_error_detail(err, "%s", strerror(errno));
        return NULL;
    }
    if (tc_arena_defer(arena, close_spool, spool) != 0) {
        tc_fail(err, TC_ENOMEM, "out of memory");
        return NULL;
    }
    return spool;
}

/* The only place that writes: ENOSPC and EDQUOT become TC_ENOSPACE. */
static enum tc_status
write_fd(int fd, const unsigned char *data, size_t len, struct tc_error *err)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == ENOSPC || errno == EDQUOT))
            return tc_fail(err, TC_ENOSPACE, "no space left to store the upload");
        if (n <= 0) {
            tc_fail(err, TC_EINTERNAL, "could not write to the upload spool");
            tc_error_detail(err, "%s", n < 0 ? strerror(errno) : "short write");
            return TC_EINTERNAL;
        }
        data += n;
        len -= (size_t)n;
    }
    return TC_OK;
}

static enum tc_status
write_all(struct tc_spool_file *file, const unsigned char *data, size_t len, struct tc_error *err)
{
    enum tc_status st = write_fd(file->fd, data, len, err);

    if (st == TC_OK)
        file->disk += len;
    return st;
}

/* An anonymous file in the spool directory: nothing to clean up after a crash. */
static int
open_anonymous(const struct tc_spool *spool, struct tc_arena *arena)
{
    char *path;
    int fd = openat(spool->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
        return fd;
    if ((path = tc_arena_printf(arena, "%s/upload-XXXXXX", spool->dir)) == NULL)
        return -1;
    if ((fd = mkstemp(path)) >= 0)
        unlink(path);
    return fd;
}

struct tc_spool_file *
tc_spool_open(struct tc_spool *spool, bool encrypt, struct tc_error *err)
{
    struct tc_spool_file *file = tc_arena_calloc(spool->arena, 1, sizeof(*file));
    unsigned char header[HEADER_SIZE];

    if (file == NULL || (encrypt && (file->chunk = tc_arena_alloc(spool->arena, CHUNK)) == NULL)) {
        tc_fail(err, TC_ENOMEM, "out of memory");
        return NULL;
    }
    file->spool = spool;
    file->encrypt = encrypt;
    if ((file->fd = open_anonymous(spool, spool->arena)) < 0) {
        tc_fail(err, errno == ENOSPC || errno == EDQUOT ? TC_ENOSPACE : TC_EINTERNAL,
                "could not create a file in \"%s\"", spool->dir);
        tc_error_detail(err, "%s", strerror(errno));
        return NULL;
    }
    if (tc_arena_defer(spool->arena, close_file, file) != 0) {
        tc_fail(err, TC_ENOMEM, "out of memory");
        return NULL;
    }
    crypto_hash_sha256_init(&file->sha);
    if (!encrypt)
        return file;
    crypto_secretstream_xchacha20poly1305_keygen(file->key);
    crypto_secretstream_xchacha20poly1305_init_push(&file->push, header, file->key);
    return write_all(file, header, sizeof(header), err) == TC_OK ? file : NULL;
}

/* Seal the buffered plain bytes as one chunk; `tag` FINAL closes the stream. */
static enum tc_status
seal_chunk(struct tc_spool_file *file, unsigned char tag, struct tc_error *err)
{
    unsigned char sealed[SEALED];
    unsigned long long sealed_len;
    enum tc_status st;

    crypto_secretstream_xchacha20poly1305_push(&file->push, sealed, &sealed_len, file->chunk,
                                               file->chunk_len, NULL, 0, tag);
    sodium_memzero(file->chunk, file->chunk_len);
    file->chunk_len = 0;
    st = write_all(file, sealed, (size_t)sealed_len, err);
    sodium_memzero(sealed, sizeof(sealed));
    return st;
}

enum tc_status
tc_spool_write(struct tc_spool_file *file, const void *data, size_t len, struct tc_error *err)
{
    struct tc_spool *spool = file->spool;
    const unsigned char *p = data;
    enum tc_status st = TC_OK;

    if (file->finished)
        return tc_fail(err, TC_EINTERNAL, "write to a finished spool file");
    if (len > spool->max_file - file->size || file->size > spool->max_file)
        return tc_fail(err, TC_ETOOLARGE, "an uploaded file exceeds %zu bytes", spool->max_file);
    if (len > spool->max_total - spool->total || spool->total > spool->max_total)
        return tc_fail(err, TC_ETOOLARGE, "the uploaded files exceed %zu bytes", spool->max_total);
    crypto_hash_sha256_update(&file->sha, p, len);
    file->size += len;
    spool->total += len;
    if (!file->encrypt)
        return write_all(file, p, len, err);
    while (len > 0 && st == TC_OK) {
        size_t n = len < CHUNK - file->chunk_len ? len : CHUNK - file->chunk_len;

        memcpy(file->chunk + file->chunk_len, p, n);
        file->chunk_len += n;
        p += n;
        len -= n;
        if (file->chunk_len == CHUNK)
            st = seal_chunk(file, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE, err);
    }
    return st;
}

enum tc_status
tc_spool_finish(struct tc_spool_file *file, struct tc_error *err)
{
    enum tc_status st = TC_OK;

    if (file->finished)
        return TC_OK;
    if (file->encrypt)
        st = seal_chunk(file, crypto_secretstream_xchacha20poly1305_TAG_FINAL, err);
    if (st == TC_OK) {
        crypto_hash_sha256_final(&file->sha, file->digest);
        file->finished = true;
    }
    return st;
}

size_t
tc_spool_size(const struct tc_spool_file *file)
{
    return file->size;
}

size_t
tc_spool_disk_size(const struct tc_spool_file *file)
{
    return file->disk;
}

const unsigned char *
tc_spool_sha256(const struct tc_spool_file *file)
{
    return file->digest;
}

void
tc_spool_sha256_hex(const struct tc_spool_file *file, char out[65])
{
    sodium_bin2hex(out, 65, file->digest, sizeof(file->digest));
}

/* Read exactly `len` bytes at `offset`; a short file is a broken spool. */
static enum tc_status
read_exact(int fd, unsigned char *buf, size_t len, off_t offset, struct tc_error *err)
{
    while (len > 0) {
        ssize_t n = pread(fd, buf, len, offset);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            tc_fail(err, TC_EINTERNAL, "could not read from the upload spool");
            tc_error_detail(err, "%s", n < 0 ? strerror(errno) : "unexpected end of file");
            return TC_EINTERNAL;
        }
        buf += n;
        len -= (size_t)n;
        offset += n;
    }
    return TC_OK;
}

static enum tc_status
copy_plain(struct tc_spool_file *file, unsigned char *buf, tc_spool_sink_fn fn, void *ctx,
           struct tc_error *err)
{
    enum tc_status st = TC_OK;

    for (size_t off = 0; off < file->size && st == TC_OK;) {
        size_t n = file->size - off < CHUNK ? file->size - off : CHUNK;

        if ((st = read_exact(file->fd, buf, n, (off_t)off, err)) == TC_OK)
            st = fn(ctx, buf, n, err);
        off += n;
    }
    return st;
}

static enum tc_status
copy_sealed(struct tc_spool_file *file, unsigned char *buf, tc_spool_sink_fn fn, void *ctx,
            struct tc_error *err)
{
    crypto_secretstream_xchacha20poly1305_state pull;
    unsigned char sealed[SEALED], header[HEADER_SIZE], tag = 0;
    size_t off = HEADER_SIZE;
    enum tc_status st = read_exact(file->fd, header, sizeof(header), 0, err);

    if (st == TC_OK && crypto_secretstream_xchacha20poly1305_init_pull(&pull, header, file->key))
        st = tc_fail(err, TC_EINTERNAL, "a spooled upload failed to authenticate");
    while (st == TC_OK && tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
        size_t n = file->disk - off < SEALED ? file->disk - off : SEALED;
        unsigned long long plain_len;

        if (n < crypto_secretstream_xchacha20poly1305_ABYTES ||
            (st = read_exact(file->fd, sealed, n, (off_t)off, err)) != TC_OK)
            return st != TC_OK ? st : tc_fail(err, TC_EINTERNAL, "a spooled upload is truncated");
        off += n;
        if (crypto_secretstream_xchacha20poly1305_pull(&pull, buf, &plain_len, &tag, sealed, n,
                                                       NULL, 0) != 0 ||
            (off == file->disk) != (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL))
            st = tc_fail(err, TC_EINTERNAL, "a spooled upload failed to authenticate");
        else
            st = fn(ctx, buf, (size_t)plain_len, err);
    }
    sodium_memzero(&pull, sizeof(pull));
    return st;
}

enum tc_status
tc_spool_copy(struct tc_spool_file *file, tc_spool_sink_fn fn, void *ctx, struct tc_error *err)
{
    unsigned char *buf;
    enum tc_status st;

    if (!file->finished)
        return tc_fail(err, TC_EINTERNAL, "read of an unfinished spool file");
    if ((buf = malloc(CHUNK)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    st = file->encrypt ? copy_sealed(file, buf, fn, ctx, err) : copy_plain(file, buf, fn, ctx, err);
    sodium_memzero(buf, CHUNK);
    free(buf);
    return st;
}

struct collect {
    unsigned char *data;
    size_t len, cap;
};

static enum tc_status
collect_chunk(void *ctx, const unsigned char *data, size_t len, struct tc_error *err)
{
    struct collect *c = ctx;

    if (len > c->cap - c->len)
        return tc_fail(err, TC_EINTERNAL, "a spooled upload grew while being read");
    memcpy(c->data + c->len, data, len);
    c->len += len;
    return TC_OK;
}

enum tc_status
tc_spool_read_all(struct tc_spool_file *file, struct tc_arena *arena, unsigned char **data_out,
                  size_t *len_out, struct tc_error *err)
{
    struct collect c = {.cap = file->size};
    enum tc_status st;

    if ((c.data = tc_arena_alloc(arena, file->size + 1)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((st = tc_spool_copy(file, collect_chunk, &c, err)) != TC_OK)
        return st;
    if (c.len != file->size)
        return tc_fail(err, TC_EINTERNAL, "a spooled upload is truncated");
    c.data[c.len] = '\0';
    *data_out = c.data;
    *len_out = c.len;
    return TC_OK;
}
