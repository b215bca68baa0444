#ifndef TC_KEYFILE_H
#define TC_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/status.h"

/*
 * The server's key-encryption keys (KEKs): a text file outside the database, mode 0600 in a
 * folder of mode 0700, owned by the user running tincay. Each line after the header
 * "tincay-keyfile 1" is `key <id> current|old <key>`: the id is 8 lower-case hex digits,
 * the key 32 random bytes in base64url without padding; exactly one key is current (the
 * one new data keys are wrapped with). Lines starting with '#' and blank lines are ignored.
 * The file is only ever replaced whole (temporary file, fsync, rename), so a reader sees
 * either the old or the new version.
 *
 * In memory the keys live in sodium_malloc'd pages (guarded, locked, left out of core
 * dumps). A ring opened from a path follows the file: tc_keyring_refresh reloads it when it
 * was replaced, so a running server picks up `tincay keys rotate` without a restart.
 */

#define TC_KEY_ID_LEN    8   /* hex digits of a key id */
#define TC_KEY_BYTES     32  /* bytes of a key */
#define TC_KEYRING_MAX   256 /* keys a file may hold */
#define TC_KEYFILE_LIMIT 65536

struct tc_keyring;

/*
 * Open the key file at `path`. When it does not exist and `create` is set, create its
 * folder (0700) and the file (0600) with one new current key. Refused (TC_EINVAL, the
 * message names the file) when the file is not a regular file, is readable or writable by
 * group or others, belongs to another user, sits in a folder writable by group or others,
 * or does not parse. `*out` is the caller's until tc_keyring_close.
 */
enum tc_status tc_keyring_open(const char *path, bool create, struct tc_keyring **out,
                               struct tc_error *err);

/* Parse key file bytes (no file behind it: refresh does nothing). For tests and fuzzing. */
enum tc_status tc_keyring_parse(const char *text, size_t len, struct tc_keyring **out,
                                struct tc_error *err);

/* Wipe and free the keys. Accepts NULL. */
void tc_keyring_close(struct tc_keyring *ring);

/* Reload the file if it was replaced since it was read (compares inode, size and mtime). */
enum tc_status tc_keyring_refresh(struct tc_keyring *ring, struct tc_error *err);

/*
 * Key ids, in file order: `*n_out` ids, each TC_KEY_ID_LEN + 1 bytes, copied into
 * `ids` (room for TC_KEYRING_MAX); `current` gets the current id.
 */
void tc_keyring_ids(struct tc_keyring *ring, char ids[][TC_KEY_ID_LEN + 1], size_t *n_out,
                    char current[TC_KEY_ID_LEN + 1]);

/*
 * Add a new random key to the file at `path` and make it current; the others stay (as
 * "old") so existing wraps still open. Writes `new_id`.
 */
enum tc_status tc_keyfile_rotate(const char *path, char new_id[TC_KEY_ID_LEN + 1],
                                 struct tc_error *err);

/*
 * Remove the old key `key_id` from the file at `path`. TC_ECONFLICT for the current key,
 * TC_ENOTFOUND for an unknown id. The caller checks first that no wrap uses it.
 */
enum tc_status tc_keyfile_drop(const char *path, const char *key_id, struct tc_error *err);

#endif /* TC_KEYFILE_H */
