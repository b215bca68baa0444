#include <stdbool.h>
#include <string.h>

#include <sodium.h>

#include "tincay/vault.h"
#include "vault/vault_internal.h"

#define CHUNK_BYTES 65536u
#define SS_HEADER   crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define SS_ABYTES   crypto_secretstream_xchacha20poly1305_ABYTES
#define TAG_FINAL   crypto_secretstream_xchacha20poly1305_TAG_FINAL

/*
 * One stream being sealed or opened, in guarded memory: the secretstream state, the
 * associated data, and a buffer holding one chunk (plain when sealing, sealed when opening).
 * Sealed chunks are CHUNK_BYTES of plain text each plus SS_ABYTES, the last one shorter
 * (possibly empty) and tagged FINAL, after a SS_HEADER-byte header: the format of
 * tc_dek_stream_encrypt.
 */
struct tc_stream {
    crypto_secretstream_xchacha20poly1305_state state;
    struct tc_ad ad;
    bool sealing, started, finished, failed;
    tc_vault_sink_fn sink;
    void *sink_ctx;
    unsigned char key[32];
    unsigned char header[SS_HEADER];
    size_t header_len; /* opening: header bytes received so far */
    size_t buf_len;
    unsigned char buf[CHUNK_BYTES + SS_ABYTES];
    unsigned char out[CHUNK_BYTES + SS_ABYTES];
};

static enum tc_status
create(const struct tc_dek *dek, const char *form_id, const char *instance_id, const char *name,
       bool sealing, tc_vault_sink_fn sink, void *sink_ctx, struct tc_stream **out,
       struct tc_error *err)
{
    struct tc_stream *s = sodium_malloc(sizeof(*s));

    *out = NULL;
    if (s == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    memset(s, 0, sizeof(*s));
    tc_ad_init(&s->ad, "tincay value v1");
    tc_ad_adds(&s->ad, form_id);
    tc_ad_adds(&s->ad, instance_id);
    tc_ad_adds(&s->ad, name);
    if (s->ad.overflow) {
        sodium_free(s);
        return tc_fail(err, TC_EINVAL, "an attachment name is too long");
    }
    s->sealing = sealing;
    s->sink = sink;
    s->sink_ctx = sink_ctx;
    tc_dek_stream_key(dek, s->key);
    *out = s;
    return TC_OK;
}

enum tc_status
tc_stream_seal_create(const struct tc_dek *dek, const char *form_id, const char *instance_id,
                      const char *name, tc_vault_sink_fn sink, void *sink_ctx,
                      struct tc_stream **out, struct tc_error *err)
{
    return create(dek, form_id, instance_id, name, true, sink, sink_ctx, out, err);
}

enum tc_status
tc_stream_open_create(const struct tc_dek *dek, const char *form_id, const char *instance_id,
                      const char *name, tc_vault_sink_fn sink, void *sink_ctx,
                      struct tc_stream **out, struct tc_error *err)
{
    return create(dek, form_id, instance_id, name, false, sink, sink_ctx, out, err);
}

void
tc_stream_free(struct tc_stream *s)
{
    if (s != NULL)
        sodium_free(s); /* wipes the state, key and buffers */
}

/* Seal the buffered plain text as one chunk and hand it to the sink. */
static enum tc_status
seal_chunk(struct tc_stream *s, bool final, struct tc_error *err)
{
    unsigned long long n = 0;
    enum tc_status st;

    if (!s->started) {
        crypto_secretstream_xchacha20poly1305_init_push(&s->state, s->header, s->key);
        s->started = true;
        if ((st = s->sink(s->sink_ctx, s->header, SS_HEADER, err)) != TC_OK)
            return st;
    }
    crypto_secretstream_xchacha20poly1305_push(&s->state, s->out, &n, s->buf, s->buf_len, s->ad.buf,
                                               s->ad.len, final ? TAG_FINAL : 0);
    sodium_memzero(s->buf, s->buf_len);
    s->buf_len = 0;
    return s->sink(s->sink_ctx, s->out, (size_t)n, err);
}

/* Open the buffered sealed chunk and hand its plain text to the sink. */
static enum tc_status
open_chunk(struct tc_stream *s, struct tc_error *err)
{
    unsigned long long n = 0;
    unsigned char tag = 0;
    enum tc_status st;

    if (s->finished)
        return tc_fail(err, TC_EINTERNAL, "an attachment does not open (data after its end)");
    if (crypto_secretstream_xchacha20poly1305_pull(&s->state, s->out, &n, &tag, s->buf, s->buf_len,
                                                   s->ad.buf, s->ad.len) != 0)
        return tc_fail(err, TC_EINTERNAL, "an attachment does not open (altered or cut short)");
    s->buf_len = 0;
    s->finished = tag == TAG_FINAL;
    st = s->sink(s->sink_ctx, s->out, (size_t)n, err);
    sodium_memzero(s->out, (size_t)n);
    return st;
}

/* Take the header first; then cut the input into whole sealed chunks. */
static enum tc_status
open_write(struct tc_stream *s, const unsigned char *data, size_t len, struct tc_error *err)
{
    enum tc_status st;

    while (len > 0) {
        if (s->header_len < SS_HEADER) {
            size_t n = SS_HEADER - s->header_len < len ? SS_HEADER - s->header_len : len;

            memcpy(s->header + s->header_len, data, n);
            s->header_len += n;
            data += n;
            len -= n;
            if (s->header_len == SS_HEADER &&
                crypto_secretstream_xchacha20poly1305_init_pull(&s->state, s->header, s->key) != 0)
                return tc_fail(err, TC_EINTERNAL, "an attachment does not open");
            continue;
        }
        /* A full buffer is opened only when more follows: the last chunk may be full too. */
        if (s->buf_len == sizeof(s->buf) && (st = open_chunk(s, err)) != TC_OK)
            return st;
        {
            size_t n = sizeof(s->buf) - s->buf_len < len ? sizeof(s->buf) - s->buf_len : len;

            memcpy(s->buf + s->buf_len, data, n);
            s->buf_len += n;
            data += n;
            len -= n;
        }
    }
    return TC_OK;
}

enum tc_status
tc_stream_write(void *stream, const unsigned char *data, size_t len, struct tc_error *err)
{
    struct tc_stream *s = stream;
    enum tc_status st = TC_OK;

    if (s->failed)
        return tc_fail(err, TC_EINTERNAL, "an attachment stream failed earlier");
    if (!s->sealing) {
        st = open_write(s, data, len, err);
    } else {
        while (st == TC_OK && len > 0) {
            size_t n = CHUNK_BYTES - s->buf_len < len ? CHUNK_BYTES - s->buf_len : len;

            memcpy(s->buf + s->buf_len, data, n);
            s->buf_len += n;
            data += n;
            len -= n;
            /* A full chunk goes out only when more follows, so FINAL can close the stream. */
            if (s->buf_len == CHUNK_BYTES && len > 0)
                st = seal_chunk(s, false, err);
        }
    }
    s->failed = st != TC_OK;
    return st;
}

enum tc_status
tc_stream_finish(struct tc_stream *s, struct tc_error *err)
{
    enum tc_status st;

    if (s->failed)
        return tc_fail(err, TC_EINTERNAL, "an attachment stream failed earlier");
    if (s->sealing)
        st = seal_chunk(s, true, err);
    else if (s->header_len < SS_HEADER || s->buf_len < SS_ABYTES)
        st = tc_fail(err, TC_EINTERNAL, "an attachment does not open (altered or cut short)");
    else if ((st = open_chunk(s, err)) == TC_OK && !s->finished)
        st = tc_fail(err, TC_EINTERNAL, "an attachment does not open (altered or cut short)");
    s->failed = st != TC_OK;
    return st;
}
