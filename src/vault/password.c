#include "tincay/password.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "tincay/sync.h"

_Static_assert(TC_PASSWORD_HASH_MAX == crypto_pwhash_STRBYTES, "hash buffer size");

/* Readable: no 0/O/o, 1/l/I/i. 55 symbols; 20 of them carry about 115 bits. */
static const char alphabet[] = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";

struct tc_password_gate {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    unsigned int free_slots;
    unsigned int next_waiting; /* callers of _enter_next waiting: they go first */
    unsigned int wait_ms;
    unsigned long long opslimit;
    size_t memlimit;
    char dummy_hash[TC_PASSWORD_HASH_MAX]; /* of a random password, for unknown logins */
};

static void
cost_limits(enum tc_password_cost cost, unsigned long long *ops, size_t *mem)
{
    switch (cost) {
    case TC_PASSWORD_MODERATE:
        *ops = crypto_pwhash_OPSLIMIT_MODERATE;
        *mem = crypto_pwhash_MEMLIMIT_MODERATE;
        break;
    case TC_PASSWORD_MINIMUM:
        *ops = crypto_pwhash_OPSLIMIT_MIN;
        *mem = crypto_pwhash_MEMLIMIT_MIN;
        break;
    case TC_PASSWORD_INTERACTIVE:
    default:
        *ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
        *mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
        break;
    }
}

static unsigned int
online_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n > 0 && n < 4096 ? (unsigned int)n : 1;
}

static int
make_dummy_hash(struct tc_password_gate *gate)
{
    char random[TC_PASSWORD_GENERATED];
    int rc;

    tc_password_generate(random);
    rc =
        crypto_pwhash_str(gate->dummy_hash, random, strlen(random), gate->opslimit, gate->memlimit);
    sodium_memzero(random, sizeof(random));
    return rc;
}

struct tc_password_gate *
tc_password_gate_create(unsigned int slots, unsigned int wait_ms, enum tc_password_cost cost,
                        struct tc_error *err)
{
    struct tc_password_gate *gate;

    if (sodium_init() < 0) {
        tc_fail(err, TC_EINTERNAL, "could not initialise libsodium");
        return NULL;
    }
    if ((gate = calloc(1, sizeof(*gate))) == NULL) {
        tc_fail(err, TC_ENOMEM, "out of memory");
        return NULL;
    }
    if (tc_sync_init(&gate->lock, &gate->freed) != 0) {
        free(gate);
        tc_fail(err, TC_EINTERNAL, "could not initialise the password gate");
        return NULL;
    }
    gate->free_slots = slots > 0 ? slots : online_cores();
    gate->wait_ms = wait_ms;
    cost_limits(cost, &gate->opslimit, &gate->memlimit);
    if (make_dummy_hash(gate) != 0) {
        tc_password_gate_destroy(gate);
        tc_fail(err, TC_ENOMEM, "out of memory for password hashing");
        return NULL;
    }
    return gate;
}

void
tc_password_gate_destroy(struct tc_password_gate *gate)
{
    if (gate == NULL)
        return;
    pthread_cond_destroy(&gate->freed);
    pthread_mutex_destroy(&gate->lock);
    free(gate);
}

/* A slot for the caller: free, and not owed to a caller of _enter_next (unless it is one). */
static bool
slot_for(const struct tc_password_gate *gate, bool next)
{
    return gate->free_slots > (next ? 0 : gate->next_waiting);
}

static enum tc_status
enter(struct tc_password_gate *gate, bool next, struct tc_error *err)
{
    struct timespec deadline;
    bool got = false;
    int rc = 0;

    deadline = tc_sync_deadline(gate->wait_ms);
    pthread_mutex_lock(&gate->lock);
    gate->next_waiting += next;
    while (!slot_for(gate, next) && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&gate->freed, &gate->lock, &deadline);
    gate->next_waiting -= next;
    if (slot_for(gate, next)) {
        gate->free_slots--;
        got = true;
    }
    pthread_mutex_unlock(&gate->lock);
    return got ? TC_OK : tc_fail(err, TC_EBUSY, "too many logins at once; try again shortly");
}

enum tc_status
tc_password_gate_enter(struct tc_password_gate *gate, struct tc_error *err)
{
    return enter(gate, false, err);
}

enum tc_status
tc_password_gate_enter_next(struct tc_password_gate *gate, struct tc_error *err)
{
    return enter(gate, true, err);
}

void
tc_password_gate_leave(struct tc_password_gate *gate)
{
    pthread_mutex_lock(&gate->lock);
    gate->free_slots++;
    /* every waiter looks: the slot may be owed to a caller of _enter_next */
    pthread_cond_broadcast(&gate->freed);
    pthread_mutex_unlock(&gate->lock);
}

/* Characters of UTF-8 text: bytes that do not continue a sequence. */
static size_t
utf8_chars(const char *s, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

enum tc_status
tc_password_hash(struct tc_password_gate *gate, const char *password, size_t len,
                 char out[TC_PASSWORD_HASH_MAX], struct tc_error *err)
{
    enum tc_status st;
    int rc;

    if (len > TC_PASSWORD_MAX_BYTES)
        return tc_fail(err, TC_EINVAL, "password is longer than %d bytes", TC_PASSWORD_MAX_BYTES);
    if (utf8_chars(password, len) < TC_PASSWORD_MIN_CHARS)
        return tc_fail(err, TC_EINVAL, "password must have at least %d characters",
                       TC_PASSWORD_MIN_CHARS);
    if ((st = tc_password_gate_enter(gate, err)) != TC_OK)
        return st;
    rc = crypto_pwhash_str(out, password, len, gate->opslimit, gate->memlimit);
    tc_password_gate_leave(gate);
    if (rc != 0)
        return tc_fail(err, TC_ENOMEM, "out of memory for password hashing");
    return TC_OK;
}

/* One verification under the gate: 0 match, -1 mismatch (or a malformed hash). */
static enum tc_status
verify_gated(struct tc_password_gate *gate, const char *hash, const char *password, size_t len,
             int *rc, struct tc_error *err)
{
    enum tc_status st;

    if ((st = tc_password_gate_enter(gate, err)) != TC_OK)
        return st;
    *rc = crypto_pwhash_str_verify(hash, password, len);
    tc_password_gate_leave(gate);
    return TC_OK;
}

enum tc_status
tc_password_verify(struct tc_password_gate *gate, const char *hash, const char *password,
                   size_t len, bool *needs_rehash, struct tc_error *err)
{
    enum tc_status st;
    int rc = -1;

    if (needs_rehash != NULL)
        *needs_rehash = false;
    if (hash == NULL || len > TC_PASSWORD_MAX_BYTES)
        return tc_password_verify_none(gate, password, len > TC_PASSWORD_MAX_BYTES ? 0 : len, err);
    if ((st = verify_gated(gate, hash, password, len, &rc, err)) != TC_OK)
        return st;
    if (rc != 0)
        return tc_fail(err, TC_EUNAUTH, "wrong login or password");
    if (needs_rehash != NULL)
        *needs_rehash = crypto_pwhash_str_needs_rehash(hash, gate->opslimit, gate->memlimit) != 0;
    return TC_OK;
}

enum tc_status
tc_password_verify_none(struct tc_password_gate *gate, const char *password, size_t len,
                        struct tc_error *err)
{
    enum tc_status st;
    int rc;

    if (len > TC_PASSWORD_MAX_BYTES)
        len = 0;
    if ((st = verify_gated(gate, gate->dummy_hash, password, len, &rc, err)) != TC_OK)
        return st;
    return tc_fail(err, TC_EUNAUTH, "wrong login or password");
}

void
tc_password_generate(char out[TC_PASSWORD_GENERATED])
{
    size_t n = 0;

    for (int group = 0; group < 4; group++) {
        if (group > 0)
            out[n++] = '-';
        for (int i = 0; i < 5; i++)
            out[n++] = alphabet[randombytes_uniform((uint32_t)(sizeof(alphabet) - 1))];
    }
    out[n] = '\0';
}
