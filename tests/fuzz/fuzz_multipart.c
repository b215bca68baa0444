/*
 * libFuzzer target for the multipart parser. The first byte picks the chunk size; the
 * rest is the body. The body is parsed twice, whole and in chunks, and both parses must
 * agree on the status and on every callback: a differential oracle for the KMP scanner.
 * When the first byte is odd, the body's first line is the Content-Type header instead.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tincay/arena.h"
#include "tincay/multipart.h"
#include "tincay/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum tc_status
on_begin(void *ctx, const struct tc_multipart_part *part, struct tc_error *err)
{
    struct tc_strbuf *sb = ctx;

    (void)err;
    if (part->name[0] == '\0' || strchr(part->name, '/') || strstr(part->name, ".."))
        abort();
    tc_strbuf_appendf(sb, "<%s|%s|%s>", part->name, part->filename ? part->filename : "",
                      part->content_type ? part->content_type : "");
    return TC_OK;
}

static enum tc_status
on_data(void *ctx, const void *data, size_t len, struct tc_error *err)
{
    (void)err;
    if (len == 0)
        abort();
    tc_strbuf_append(ctx, data, len);
    return TC_OK;
}

static enum tc_status
on_end(void *ctx, struct tc_error *err)
{
    (void)err;
    tc_strbuf_appends(ctx, "</>");
    return TC_OK;
}

static const struct tc_multipart_callbacks callbacks = {on_begin, on_data, on_end};

static enum tc_status
parse(const char *ct, const uint8_t *body, size_t len, size_t chunk, struct tc_strbuf *out)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_arena *arena = tc_arena_create(4096);
    struct tc_multipart_limits limits = {.max_parts = 20, .max_header_bytes = 512};
    struct tc_multipart *mp = tc_multipart_create(ct, &limits, &callbacks, out, arena, &err);
    enum tc_status st = err.status;

    if (mp != NULL) {
        for (size_t off = 0; off < len && st == TC_OK; off += chunk)
            st = tc_multipart_feed(mp, body + off, len - off < chunk ? len - off : chunk, &err);
        if (st == TC_OK)
            st = tc_multipart_finish(mp, &err);
    }
    if (st != TC_OK && err.msg[0] == '\0')
        abort(); /* every failure says why */
    tc_arena_destroy(arena);
    return st;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char ct[256] = "multipart/form-data; boundary=\"--X y\"";
    struct tc_strbuf a = TC_STRBUF_INIT(1 << 22), b = TC_STRBUF_INIT(1 << 22);
    size_t chunk;
    enum tc_status sa, sb;

    if (size < 1)
        return 0;
    chunk = (size_t)(data[0] >> 1) % 17 + 1;
    if (data[0] & 1) {
        const uint8_t *nl = memchr(data + 1, '\n', size - 1);
        size_t n = nl ? (size_t)(nl - data - 1) : 0;

        if (nl == NULL || n >= sizeof(ct))
            return 0;
        memcpy(ct, data + 1, n);
        ct[n] = '\0';
        size -= n + 1;
        data += n + 1;
    }
    sa = parse(ct, data + 1, size - 1, size, &a);
    sb = parse(ct, data + 1, size - 1, chunk, &b);
    if (sa != sb || tc_strbuf_failed(&a) != tc_strbuf_failed(&b))
        abort();
    if (sa == TC_OK && (a.len != b.len || memcmp(tc_strbuf_str(&a), tc_strbuf_str(&b), a.len) != 0))
        abort();
    tc_strbuf_cleanup(&a);
    tc_strbuf_cleanup(&b);
    return 0;
}
