#ifndef TC_RATELIMIT_H
#define TC_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Token buckets keyed by an account's login or a client's address, for login attempts
 * (issue 2: "rate-limited per account and per address") and other guessable secrets
 * (invitation codes, app-user tokens). Created once at start and passed down, like the
 * configuration; every function is thread-safe.
 *
 * Each key may spend `burst` attempts at once and regains one every
 * `refill_interval_ms`. Keys are kept only as keyed hashes (a random key per process),
 * so memory holds no logins and a client cannot choose keys that collide. At most
 * `max_keys` keys are tracked; when full, the key idle longest is forgotten (a full
 * bucket is the same as a forgotten one). Limits are per instance: behind a load
 * balancer with N instances a client gets at most N times the budget, which bounded
 * password hashing (TC_EBUSY when saturated) keeps harmless.
 *
 * IPv6 clients should be keyed by their /64 prefix, which one subscriber controls whole.
 */
struct tc_ratelimit;

/* A limiter; NULL if out of memory or if an argument is 0. Free with tc_ratelimit_destroy. */
struct tc_ratelimit *tc_ratelimit_create(size_t max_keys, unsigned int burst,
                                         uint64_t refill_interval_ms);

/* Free the limiter and wipe its keyed-hash secret. Accepts NULL. */
void tc_ratelimit_destroy(struct tc_ratelimit *rl);

/*
 * Spend one attempt of `key` (`len` bytes) at `now_ms` (a monotonic clock). Returns true
 * if allowed; false if the bucket is empty, with *retry_after_ms (may be NULL) set to the
 * wait until the next attempt is allowed (for a Retry-After header, rounded up).
 */
bool tc_ratelimit_take(struct tc_ratelimit *rl, const void *key, size_t len, uint64_t now_ms,
                       uint64_t *retry_after_ms);

/* Refill `key` whole: after a successful login the account's failed attempts are forgiven. */
void tc_ratelimit_reset(struct tc_ratelimit *rl, const void *key, size_t len);

#endif /* TC_RATELIMIT_H */
