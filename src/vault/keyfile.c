#include "tincay/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "vault/vault_internal.h"

#define HEADER       "tincay-keyfile 1"
#define B64_LEN      43 /* 32 bytes in base64url without padding */
#define PATH_MAX_LEN 1024

struct key_entry {
    char id[TC_KEY_ID_LEN + 1];
    bool is_current;
    unsigned char key[TC_KEY_BYTES];
};

/* The keys proper: one sodium_malloc'd block, read-only except while it is being built. */
struct key_set {
    size_t n;
    size_t current;
    struct key_entry keys[TC_KEYRING_MAX];
};

struct tc_keyring {
    pthread_rwlock_t lock;
    struct key_set *set;
    char path[PATH_MAX_LEN]; /* "" for a parsed ring */
    ino_t ino;
    off_t size;
    struct timespec mtime;
};

static struct key_set *
set_new(void)
{
    struct key_set *set = sodium_malloc(sizeof(*set));

    if (set != NULL)
        memset(set, 0, sizeof(*set));
    return set;
}

static void
set_free(struct key_set *set)
{
    if (set == NULL)
        return;
    (void)sodium_mprotect_readwrite(set);
    sodium_free(set); /* sodium_free wipes the block */
}

/* ---- parsing ------------------------------------------------------------------------------ */

static bool
is_key_id(const char *s, size_t len)
{
    if (len != TC_KEY_ID_LEN)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* The next space-separated word of [*p, end); its length in *len. */
static const char *
next_word(const char **p, const char *end, size_t *len)
{
    const char *start;

    while (*p < end && **p == ' ')
        (*p)++;
    start = *p;
    while (*p < end && **p != ' ')
        (*p)++;
    *len = (size_t)(*p - start);
    return start;
}

static enum tc_status
parse_key_line(const char *line, const char *end, struct key_set *set, size_t lineno,
               struct tc_error *err)
{
    const char *p = line, *w;
    size_t len, got = 0;
    struct key_entry *e;

    if (set->n >= TC_KEYRING_MAX)
        return tc_fail(err, TC_EINVAL, "key file holds more than %d keys", TC_KEYRING_MAX);
    e = &set->keys[set->n];
    w = next_word(&p, end, &len);
    if (len != 3 || memcmp(w, "key", 3) != 0)
        return tc_fail(err, TC_EINVAL, "key file line %zu: expected \"key\"", lineno);
    w = next_word(&p, end, &len);
    if (!is_key_id(w, len))
        return tc_fail(err, TC_EINVAL, "key file line %zu: a key id has 8 hex digits", lineno);
    memcpy(e->id, w, len);
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->keys[i].id, e->id) == 0)
            return tc_fail(err, TC_EINVAL, "key file line %zu: key id \"%s\" repeats", lineno,
                           e->id);
    w = next_word(&p, end, &len);
    if (len == 7 && memcmp(w, "current", 7) == 0)
        e->is_current = true;
    else if (!(len == 3 && memcmp(w, "old", 3) == 0))
        return tc_fail(err, TC_EINVAL, "key file line %zu: expected \"current\" or \"old\"",
                       lineno);
    w = next_word(&p, end, &len);
    if (len != B64_LEN ||
        sodium_base642bin(e->key, sizeof(e->key), w, len, NULL, &got, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        got != TC_KEY_BYTES)
        return tc_fail(err, TC_EINVAL, "key file line %zu: a key is 32 bytes in base64url", lineno);
    (void)next_word(&p, end, &len);
    if (len != 0)
        return tc_fail(err, TC_EINVAL, "key file line %zu: unexpected text after the key", lineno);
    if (e->is_current)
        set->current = set->n;
    set->n++;
    return TC_OK;
}

static enum tc_status
parse_into(const char *text, size_t len, struct key_set *set, struct tc_error *err)
{
    const char *p = text, *end = text + len;
    size_t lineno = 0, n_current = 0;
    bool header = false;
    enum tc_status st;

    if (len > TC_KEYFILE_LIMIT)
        return tc_fail(err, TC_EINVAL, "key file is larger than %d bytes", TC_KEYFILE_LIMIT);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;

        lineno++;
        if (eol > p && eol[-1] == '\r')
            eol--;
        if (eol == p || *p == '#') {
            /* blank line or comment */
        } else if (!header) {
            if ((size_t)(eol - p) != strlen(HEADER) || memcmp(p, HEADER, strlen(HEADER)) != 0)
                return tc_fail(err, TC_EINVAL, "key file does not start with \"%s\"", HEADER);
            header = true;
        } else if ((st = parse_key_line(p, eol, set, lineno, err)) != TC_OK) {
            return st;
        } else if (set->keys[set->n - 1].is_current) {
            n_current++;
        }
        p = nl ? nl + 1 : end;
    }
    if (!header || set->n == 0)
        return tc_fail(err, TC_EINVAL, "key file holds no key");
    if (n_current != 1)
        return tc_fail(err, TC_EINVAL, "key file must mark exactly one key current");
    return TC_OK;
}

static enum tc_status
parse_set(const char *text, size_t len, struct key_set **out, struct tc_error *err)
{
    struct key_set *set = set_new();
    enum tc_status st;

    if (set == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((st = parse_into(text, len, set, err)) != TC_OK) {
        set_free(set);
        return st;
    }
    (void)sodium_mprotect_readonly(set);
    *out = set;
    return TC_OK;
}

static struct tc_keyring *
ring_new(struct key_set *set)
{
    struct tc_keyring *ring = calloc(1, sizeof(*ring));

    if (ring == NULL)
        return NULL;
    if (pthread_rwlock_init(&ring->lock, NULL) != 0) {
        free(ring);
        return NULL;
    }
    ring->set = set;
    return ring;
}

enum tc_status
tc_keyring_parse(const char *text, size_t len, struct tc_keyring **out, struct tc_error *err)
{
    struct key_set *set = NULL;
    enum tc_status st;

    *out = NULL;
    if ((st = parse_set(text, len, &set, err)) != TC_OK)
        return st;
    if ((*out = ring_new(set)) == NULL) {
        set_free(set);
        return tc_fail(err, TC_ENOMEM, "out of memory");
    }
    return TC_OK;
}

void
tc_keyring_close(struct tc_keyring *ring)
{
    if (ring == NULL)
        return;
    set_free(ring->set);
    pthread_rwlock_destroy(&ring->lock);
    free(ring);
}

/* ---- the file ----------------------------------------------------------------------------- */

/* The folder part of `path` ("." when none). */
static void
dir_of(const char *path, char out[PATH_MAX_LEN])
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL)
        snprintf(out, PATH_MAX_LEN, ".");
    else if (slash == path)
        snprintf(out, PATH_MAX_LEN, "/");
    else
        snprintf(out, PATH_MAX_LEN, "%.*s", (int)(slash - path), path);
}

/* mkdir -p, each new folder 0700. */
static int
make_dirs(const char *dir)
{
    char buf[PATH_MAX_LEN];
    size_t len = strlen(dir);

    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        buf[i] = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return -1;
        buf[i] = i < len ? '/' : '\0';
    }
    return 0;
}

static enum tc_status
check_dir(const char *path, struct tc_error *err)
{
    char dir[PATH_MAX_LEN];
    struct stat st;

    dir_of(path, dir);
    if (stat(dir, &st) != 0)
        return tc_fail(err, TC_EINVAL, "cannot use the folder of key file \"%s\": %s", path,
                       strerror(errno));
    if ((st.st_mode & 022) != 0)
        return tc_fail(err, TC_EINVAL,
                       "the folder of key file \"%s\" is writable by others; make it 0700", path);
    return TC_OK;
}

static enum tc_status
check_file(const char *path, const struct stat *st, struct tc_error *err)
{
    if (!S_ISREG(st->st_mode))
        return tc_fail(err, TC_EINVAL, "key file \"%s\" is not a regular file", path);
    if ((st->st_mode & 077) != 0)
        return tc_fail(err, TC_EINVAL, "key file \"%s\" has mode %04o; it must be 0600 or stricter",
                       path, (unsigned int)(st->st_mode & 07777));
    if (st->st_uid != geteuid())
        return tc_fail(err, TC_EINVAL, "key file \"%s\" belongs to another user", path);
    if (st->st_size > TC_KEYFILE_LIMIT)
        return tc_fail(err, TC_EINVAL, "key file is larger than %d bytes", TC_KEYFILE_LIMIT);
    return TC_OK;
}

/*
 * Read and check the file into a new key set; `*st_out` is what fstat said of it.
 * TC_ENOTFOUND when it does not exist.
 */
static enum tc_status
read_file(const char *path, struct key_set **out, struct stat *st_out, struct tc_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    ssize_t got;
    enum tc_status st;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0)
        return errno == ENOENT ? tc_fail(err, TC_ENOTFOUND, "no key file \"%s\"", path)
                               : tc_fail(err, TC_EINVAL, "cannot open key file \"%s\": %s", path,
                                         strerror(errno));
    if (fstat(fd, st_out) != 0) {
        st = tc_fail(err, TC_EINVAL, "cannot read key file \"%s\": %s", path, strerror(errno));
        goto out;
    }
    if ((st = check_file(path, st_out, err)) != TC_OK || (st = check_dir(path, err)) != TC_OK)
        goto out;
    if ((buf = sodium_malloc((size_t)st_out->st_size + 1)) == NULL) {
        st = tc_fail(err, TC_ENOMEM, "out of memory");
        goto out;
    }
    while (len < (size_t)st_out->st_size &&
           (got = read(fd, buf + len, (size_t)st_out->st_size - len)) > 0)
        len += (size_t)got;
    st = parse_set(buf, len, out, err);
    if (st == TC_EINVAL)
        tc_error_detail(err, "key file \"%s\"", path);
out:
    sodium_free(buf);
    close(fd);
    return st;
}

/* The text of a key file holding `set`, in sodium_malloc'd memory the caller frees. */
static char *
format_set(const struct key_set *set, size_t *len_out)
{
    size_t cap = 256 + set->n * 80;
    char *buf = sodium_malloc(cap);
    size_t len;

    if (buf == NULL)
        return NULL;
    len = (size_t)snprintf(buf, cap,
                           "%s\n# tincay key-encryption keys: keep out of backups of "
                           "the database\n",
                           HEADER);
    for (size_t i = 0; i < set->n; i++) {
        char b64[B64_LEN + 1];

        sodium_bin2base64(b64, sizeof(b64), set->keys[i].key, TC_KEY_BYTES,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        len += (size_t)snprintf(buf + len, cap - len, "key %s %s %s\n", set->keys[i].id,
                                i == set->current ? "current" : "old", b64);
        sodium_memzero(b64, sizeof(b64));
    }
    *len_out = len;
    return buf;
}

static int
write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Replace the file at `path` with `set`: temporary file, fsync, rename, fsync the folder. */
static enum tc_status
write_file(const char *path, const struct key_set *set, struct tc_error *err)
{
    char tmp[PATH_MAX_LEN + 16], dir[PATH_MAX_LEN];
    size_t len = 0;
    char *text = format_set(set, &len);
    enum tc_status st = TC_OK;
    int fd, dfd;

    if (text == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
    if ((fd = mkstemp(tmp)) < 0) {
        sodium_free(text);
        return tc_fail(err, TC_EINVAL, "cannot write key file \"%s\": %s", path, strerror(errno));
    }
    if (fchmod(fd, 0600) != 0 || write_all(fd, text, len) != 0 || fsync(fd) != 0 ||
        rename(tmp, path) != 0) {
        st = tc_fail(err, TC_EINVAL, "cannot write key file \"%s\": %s", path, strerror(errno));
        (void)unlink(tmp);
    }
    close(fd);
    sodium_free(text);
    dir_of(path, dir);
    if (st == TC_OK && (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return st;
}

static void
new_key(struct key_entry *e, const struct key_set *set)
{
    bool taken;

    do {
        unsigned char id[TC_KEY_ID_LEN / 2];

        randombytes_buf(id, sizeof(id));
        sodium_bin2hex(e->id, sizeof(e->id), id, sizeof(id));
        taken = false;
        for (size_t i = 0; i < set->n; i++)
            taken = taken || strcmp(set->keys[i].id, e->id) == 0;
    } while (taken);
    randombytes_buf(e->key, sizeof(e->key));
}

static enum tc_status
create_file(const char *path, struct tc_error *err)
{
    char dir[PATH_MAX_LEN];
    struct key_set *set = set_new();
    enum tc_status st;

    if (set == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    dir_of(path, dir);
    if (make_dirs(dir) != 0) {
        set_free(set);
        return tc_fail(err, TC_EINVAL, "cannot create folder \"%s\": %s", dir, strerror(errno));
    }
    new_key(&set->keys[0], set);
    set->n = 1;
    if ((st = check_dir(path, err)) == TC_OK)
        st = write_file(path, set, err);
    set_free(set);
    return st;
}

static void
remember_stat(struct tc_keyring *ring, const struct stat *st)
{
    ring->ino = st->st_ino;
    ring->size = st->st_size;
    ring->mtime = st->st_mtim;
}

enum tc_status
tc_keyring_open(const char *path, bool create, struct tc_keyring **out, struct tc_error *err)
{
    struct key_set *set = NULL;
    struct stat sb;
    enum tc_status st;

    *out = NULL;
    if (path == NULL || path[0] == '\0' || strlen(path) >= PATH_MAX_LEN)
        return tc_fail(err, TC_EINVAL, "no usable key file path");
    st = read_file(path, &set, &sb, err);
    if (st == TC_ENOTFOUND && create) {
        if ((st = create_file(path, err)) != TC_OK)
            return st;
        st = read_file(path, &set, &sb, err);
    }
    if (st != TC_OK)
        return st;
    if ((*out = ring_new(set)) == NULL) {
        set_free(set);
        return tc_fail(err, TC_ENOMEM, "out of memory");
    }
    snprintf((*out)->path, sizeof((*out)->path), "%s", path);
    remember_stat(*out, &sb);
    return TC_OK;
}

static bool
changed(const struct tc_keyring *ring, const struct stat *sb)
{
    return sb->st_ino != ring->ino || sb->st_size != ring->size ||
           sb->st_mtim.tv_sec != ring->mtime.tv_sec || sb->st_mtim.tv_nsec != ring->mtime.tv_nsec;
}

enum tc_status
tc_keyring_refresh(struct tc_keyring *ring, struct tc_error *err)
{
    struct key_set *set = NULL, *old;
    struct stat sb;
    enum tc_status st;
    bool same;

    if (ring->path[0] == '\0')
        return TC_OK;
    pthread_rwlock_rdlock(&ring->lock);
    same = stat(ring->path, &sb) == 0 && !changed(ring, &sb);
    pthread_rwlock_unlock(&ring->lock);
    if (same)
        return TC_OK;
    if ((st = read_file(ring->path, &set, &sb, err)) != TC_OK)
        return st;
    pthread_rwlock_wrlock(&ring->lock);
    old = ring->set;
    ring->set = set;
    remember_stat(ring, &sb);
    pthread_rwlock_unlock(&ring->lock);
    set_free(old);
    return TC_OK;
}

void
tc_keyring_ids(struct tc_keyring *ring, char ids[][TC_KEY_ID_LEN + 1], size_t *n_out,
               char current[TC_KEY_ID_LEN + 1])
{
    pthread_rwlock_rdlock(&ring->lock);
    for (size_t i = 0; i < ring->set->n; i++)
        memcpy(ids[i], ring->set->keys[i].id, TC_KEY_ID_LEN + 1);
    *n_out = ring->set->n;
    memcpy(current, ring->set->keys[ring->set->current].id, TC_KEY_ID_LEN + 1);
    pthread_rwlock_unlock(&ring->lock);
}

static const struct key_entry *
find_locked(const struct tc_keyring *ring, const char *key_id)
{
    if (key_id == NULL)
        return &ring->set->keys[ring->set->current];
    for (size_t i = 0; i < ring->set->n; i++)
        if (strcmp(ring->set->keys[i].id, key_id) == 0)
            return &ring->set->keys[i];
    return NULL;
}

static bool
copy_once(struct tc_keyring *ring, const char *key_id, unsigned char key[TC_KEY_BYTES],
          char id_out[TC_KEY_ID_LEN + 1])
{
    const struct key_entry *e;

    pthread_rwlock_rdlock(&ring->lock);
    if ((e = find_locked(ring, key_id)) != NULL) {
        memcpy(key, e->key, TC_KEY_BYTES);
        if (id_out != NULL)
            memcpy(id_out, e->id, TC_KEY_ID_LEN + 1);
    }
    pthread_rwlock_unlock(&ring->lock);
    return e != NULL;
}

bool
tc_keyring_copy_key(struct tc_keyring *ring, const char *key_id, unsigned char key[TC_KEY_BYTES],
                    char id_out[TC_KEY_ID_LEN + 1])
{
    /* Wrapping must use the newest current key, so a rotation elsewhere is seen at once. */
    if (key_id == NULL)
        (void)tc_keyring_refresh(ring, NULL);
    if (copy_once(ring, key_id, key, id_out))
        return true;
    return tc_keyring_refresh(ring, NULL) == TC_OK && copy_once(ring, key_id, key, id_out);
}

/* ---- rotation ----------------------------------------------------------------------------- */

/* Read the file at `path` into a writable copy of its key set. */
static enum tc_status
load_writable(const char *path, struct key_set **out, struct tc_error *err)
{
    struct stat sb;
    enum tc_status st;

    *out = NULL;
    st = read_file(path, out, &sb, err);
    if (st == TC_OK && *out != NULL)
        (void)sodium_mprotect_readwrite(*out);
    return st;
}

enum tc_status
tc_keyfile_rotate(const char *path, char new_id[TC_KEY_ID_LEN + 1], struct tc_error *err)
{
    struct key_set *set = NULL;
    enum tc_status st;

    if ((st = load_writable(path, &set, err)) != TC_OK || set == NULL)
        return st != TC_OK ? st : tc_fail(err, TC_EINTERNAL, "key file not loaded");
    if (set->n >= TC_KEYRING_MAX) {
        st = tc_fail(err, TC_ECONFLICT, "key file holds %d keys; drop unused old keys first",
                     TC_KEYRING_MAX);
        goto out;
    }
    new_key(&set->keys[set->n], set);
    set->current = set->n++;
    memcpy(new_id, set->keys[set->current].id, TC_KEY_ID_LEN + 1);
    st = write_file(path, set, err);
out:
    set_free(set);
    return st;
}

enum tc_status
tc_keyfile_drop(const char *path, const char *key_id, struct tc_error *err)
{
    struct key_set *set = NULL;
    enum tc_status st;
    size_t i;

    if ((st = load_writable(path, &set, err)) != TC_OK || set == NULL)
        return st != TC_OK ? st : tc_fail(err, TC_EINTERNAL, "key file not loaded");
    for (i = 0; i < set->n && strcmp(set->keys[i].id, key_id) != 0; i++)
        ;
    if (i == set->n)
        st = tc_fail(err, TC_ENOTFOUND, "no key \"%s\" in the key file", key_id);
    else if (i == set->current)
        st = tc_fail(err, TC_ECONFLICT, "key \"%s\" is the current key", key_id);
    if (st != TC_OK)
        goto out;
    memmove(&set->keys[i], &set->keys[i + 1], (set->n - i - 1) * sizeof(set->keys[0]));
    set->n--;
    sodium_memzero(&set->keys[set->n], sizeof(set->keys[0]));
    if (set->current > i)
        set->current--;
    st = write_file(path, set, err);
out:
    set_free(set);
    return st;
}
