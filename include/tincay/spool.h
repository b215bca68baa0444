#ifndef TC_SPOOL_H
#define TC_SPOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/status.h"

struct tc_arena;

/*
 * Upload spool: parts of a request body are streamed into anonymous files under
 * `<data_dir>/spool/` (O_TMPFILE, else mkstemp + unlink; mode 0600), so they never sit
 * whole in memory and vanish with their descriptor, even after a crash. Each file counts
 * its size and SHA-256 as it is written; an encrypted file is sealed on the fly with
 * crypto_secretstream_xchacha20poly1305 under a random key that exists only in this
 * process's memory (wiped when the file closes). Everything is tied to an arena: the
 * files close and the keys are wiped when it is destroyed.
 */
struct tc_spool;
struct tc_spool_file;

#define TC_SPOOL_SHA256_BYTES 32

/*
 * A spool in `<data_dir>/spool` (created 0700 if missing) whose files may hold at most
 * `max_file_bytes` each and `max_total_bytes` together (plain bytes; over either →
 * TC_ETOOLARGE). NULL on failure.
 */
struct tc_spool *tc_spool_create(const char *data_dir, size_t max_file_bytes,
                                 size_t max_total_bytes, struct tc_arena *arena,
                                 struct tc_error *err);

/* A new empty file; `encrypt` seals its contents as described above. NULL on failure. */
struct tc_spool_file *tc_spool_open(struct tc_spool *spool, bool encrypt, struct tc_error *err);

/*
 * Append `len` bytes. TC_ENOSPACE when the disk (or quota) is full, TC_ETOOLARGE over a
 * cap, TC_EINTERNAL after tc_spool_finish(). Errors are not sticky: the caller abandons
 * the file.
 */
enum tc_status tc_spool_write(struct tc_spool_file *file, const void *data, size_t len,
                              struct tc_error *err);

/* No more writes: flush the last sealed chunk and fix the digest. Idempotent. */
enum tc_status tc_spool_finish(struct tc_spool_file *file, struct tc_error *err);

/* Plain bytes written so far. */
size_t tc_spool_size(const struct tc_spool_file *file);

/* SHA-256 of the plain bytes (valid after tc_spool_finish; 32 bytes). */
const unsigned char *tc_spool_sha256(const struct tc_spool_file *file);

/* Lower-case hex of tc_spool_sha256 (65 bytes with the terminator). */
void tc_spool_sha256_hex(const struct tc_spool_file *file, char out[65]);

/*
 * Read a finished file back, decrypted and authenticated, into `arena` (NUL-terminated
 * for convenience; `*len_out` excludes the terminator). TC_EINTERNAL if an encrypted
 * file fails to authenticate.
 */
enum tc_status tc_spool_read_all(struct tc_spool_file *file, struct tc_arena *arena,
                                 unsigned char **data_out, size_t *len_out, struct tc_error *err);

/*
 * Stream a finished file's plain bytes to `fn` in chunks of up to 64 KiB; a status other
 * than TC_OK from `fn` stops the copy and is returned.
 */
typedef enum tc_status (*tc_spool_sink_fn)(void *ctx, const unsigned char *data, size_t len,
                                           struct tc_error *err);
enum tc_status tc_spool_copy(struct tc_spool_file *file, tc_spool_sink_fn fn, void *ctx,
                             struct tc_error *err);

/* Bytes on disk (plain bytes plus the sealing overhead), for tests and accounting. */
size_t tc_spool_disk_size(const struct tc_spool_file *file);

#endif /* TC_SPOOL_H */
