#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sodium.h>

#include "tincay/password.h"

static const char good[] = "correct horse battery staple";

static struct tc_password_gate *
gate_of(unsigned int slots, unsigned int wait_ms, enum tc_password_cost cost)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_password_gate *gate = tc_password_gate_create(slots, wait_ms, cost, &err);

    assert_non_null(gate);
    return gate;
}

static void
hash_then_verify(void **state)
{
    struct tc_password_gate *gate = gate_of(1, 1000, TC_PASSWORD_INTERACTIVE);
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char hash[TC_PASSWORD_HASH_MAX], again[TC_PASSWORD_HASH_MAX];
    bool rehash = true;

    (void)state;
    assert_int_equal(tc_password_hash(gate, good, strlen(good), hash, &err), TC_OK);
    assert_true(strncmp(hash, "$argon2id$", 10) == 0);
    assert_null(strstr(hash, good));
    assert_int_equal(tc_password_verify(gate, hash, good, strlen(good), &rehash, &err), TC_OK);
    assert_false(rehash);
    /* Salted: the same password hashes differently each time. */
    assert_int_equal(tc_password_hash(gate, good, strlen(good), again, &err), TC_OK);
    assert_string_not_equal(hash, again);
    tc_password_gate_destroy(gate);
}

static void
wrong_password_is_unauthorized(void **state)
{
    struct tc_password_gate *gate = gate_of(1, 1000, TC_PASSWORD_MINIMUM);
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char hash[TC_PASSWORD_HASH_MAX];

    (void)state;
    assert_int_equal(tc_password_hash(gate, good, strlen(good), hash, &err), TC_OK);
    assert_int_equal(
        tc_password_verify(gate, hash, "correct horse battery stapler", 29, NULL, &err),
        TC_EUNAUTH);
    /* A prefix of the right password is not the right password. */
    assert_int_equal(tc_password_verify(gate, hash, good, strlen(good) - 1, NULL, &err),
                     TC_EUNAUTH);
    assert_int_equal(tc_password_verify(gate, "not a hash", good, strlen(good), NULL, &err),
                     TC_EUNAUTH);
    assert_int_equal(tc_password_verify(gate, NULL, good, strlen(good), NULL, &err), TC_EUNAUTH);
    assert_int_equal(tc_password_verify_none(gate, good, strlen(good), &err), TC_EUNAUTH);
    assert_string_equal(err.msg, "wrong login or password");
    tc_password_gate_destroy(gate);
}

static void
short_or_huge_passwords_are_refused(void **state)
{
    struct tc_password_gate *gate = gate_of(1, 1000, TC_PASSWORD_MINIMUM);
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char hash[TC_PASSWORD_HASH_MAX], huge[TC_PASSWORD_MAX_BYTES + 1];
    static const char twelve_chars[] = "mật khẩu ngắ"; /* 12 characters, more bytes */

    (void)state;
    assert_int_equal(tc_password_hash(gate, "short", 5, hash, &err), TC_EINVAL);
    assert_int_equal(tc_password_hash(gate, twelve_chars, strlen(twelve_chars) - 3, hash, &err),
                     TC_EINVAL);
    assert_int_equal(tc_password_hash(gate, twelve_chars, strlen(twelve_chars), hash, &err), TC_OK);
    memset(huge, 'a', sizeof(huge));
    assert_int_equal(tc_password_hash(gate, huge, sizeof(huge), hash, &err), TC_EINVAL);
    tc_password_gate_destroy(gate);
}

static void
weaker_hash_needs_rehash(void **state)
{
    struct tc_password_gate *weak = gate_of(1, 1000, TC_PASSWORD_MINIMUM);
    struct tc_password_gate *normal = gate_of(1, 1000, TC_PASSWORD_INTERACTIVE);
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char hash[TC_PASSWORD_HASH_MAX];
    bool rehash = false;

    (void)state;
    assert_int_equal(tc_password_hash(weak, good, strlen(good), hash, &err), TC_OK);
    assert_int_equal(tc_password_verify(weak, hash, good, strlen(good), &rehash, &err), TC_OK);
    assert_false(rehash);
    assert_int_equal(tc_password_verify(normal, hash, good, strlen(good), &rehash, &err), TC_OK);
    assert_true(rehash);
    tc_password_gate_destroy(weak);
    tc_password_gate_destroy(normal);
}

struct holder {
    struct tc_password_gate *gate;
};

static void *
leave_later(void *ptr)
{
    struct holder *h = ptr;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000000L};

    nanosleep(&ts, NULL);
    tc_password_gate_leave(h->gate);
    return NULL;
}

static void
full_gate_is_busy(void **state)
{
    struct tc_password_gate *gate = gate_of(2, 50, TC_PASSWORD_MINIMUM);
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char hash[TC_PASSWORD_HASH_MAX];
    struct holder h = {.gate = gate};
    pthread_t th;

    (void)state;
    assert_int_equal(tc_password_gate_enter(gate, &err), TC_OK);
    assert_int_equal(tc_password_gate_enter(gate, &err), TC_OK);
    assert_int_equal(tc_password_hash(gate, good, strlen(good), hash, &err), TC_EBUSY);
    assert_int_equal(err.status, TC_EBUSY);
    assert_int_equal(tc_password_verify_none(gate, good, strlen(good), &err), TC_EBUSY);
    tc_password_gate_leave(gate);
    assert_int_equal(tc_password_hash(gate, good, strlen(good), hash, &err), TC_OK);
    tc_password_gate_leave(gate);
    tc_password_gate_destroy(gate);

    /* A caller waiting for a slot gets it when one is freed within its wait. */
    gate = gate_of(1, 5000, TC_PASSWORD_MINIMUM);
    h.gate = gate;
    assert_int_equal(tc_password_gate_enter(gate, &err), TC_OK);
    assert_int_equal(pthread_create(&th, NULL, leave_later, &h), 0);
    assert_int_equal(tc_password_hash(gate, good, strlen(good), hash, &err), TC_OK);
    pthread_join(th, NULL);
    tc_password_gate_destroy(gate);
}

struct taker {
    struct tc_password_gate *gate;
    bool next;
    char name;
    pthread_mutex_t *lock;
    char *order; /* names in the order they got a slot */
    enum tc_status st;
};

static void *
take_then_leave(void *ptr)
{
    struct taker *t = ptr;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 50 * 1000000L};

    t->st = t->next ? tc_password_gate_enter_next(t->gate, &err)
                    : tc_password_gate_enter(t->gate, &err);
    if (t->st != TC_OK)
        return NULL;
    pthread_mutex_lock(t->lock);
    t->order[strlen(t->order)] = t->name;
    pthread_mutex_unlock(t->lock);
    nanosleep(&ts, NULL);
    tc_password_gate_leave(t->gate);
    return NULL;
}

/* The second hash of a login goes before logins that have not started, whoever came first. */
static void
a_begun_act_goes_first(void **state)
{
    struct tc_password_gate *gate = gate_of(1, 5000, TC_PASSWORD_MINIMUM);
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000000L};
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    char order[4] = "";
    struct taker fresh = {gate, false, 'f', &lock, order, TC_EINTERNAL};
    struct taker begun = {gate, true, 'b', &lock, order, TC_EINTERNAL};
    pthread_t a, b;

    (void)state;
    assert_int_equal(tc_password_gate_enter(gate, &err), TC_OK);
    assert_int_equal(pthread_create(&a, NULL, take_then_leave, &fresh), 0);
    nanosleep(&ts, NULL); /* the new login waits first */
    assert_int_equal(pthread_create(&b, NULL, take_then_leave, &begun), 0);
    nanosleep(&ts, NULL);
    tc_password_gate_leave(gate);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    assert_int_equal(fresh.st, TC_OK);
    assert_int_equal(begun.st, TC_OK);
    assert_string_equal(order, "bf");
    tc_password_gate_destroy(gate);
}

static void
generated_passwords_are_readable_and_differ(void **state)
{
    char a[TC_PASSWORD_GENERATED], b[TC_PASSWORD_GENERATED];

    (void)state;
    tc_password_generate(a);
    tc_password_generate(b);
    assert_int_equal(strlen(a), 23);
    assert_string_not_equal(a, b);
    for (size_t i = 0; i < strlen(a); i++) {
        if (i % 6 == 5)
            assert_int_equal(a[i], '-');
        else
            assert_null(strchr("0O1lIio-", a[i]));
    }
    sodium_memzero(a, sizeof(a));
    sodium_memzero(b, sizeof(b));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hash_then_verify),
        cmocka_unit_test(wrong_password_is_unauthorized),
        cmocka_unit_test(short_or_huge_passwords_are_refused),
        cmocka_unit_test(weaker_hash_needs_rehash),
        cmocka_unit_test(full_gate_is_busy),
        cmocka_unit_test(a_begun_act_goes_first),
        cmocka_unit_test(generated_passwords_are_readable_and_differ),
    };

    return cmocka_run_group_tests_name("password", tests, NULL, NULL);
}
