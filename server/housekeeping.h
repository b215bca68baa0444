#ifndef TC_HOUSEKEEPING_H
#define TC_HOUSEKEEPING_H

#include "tincay/status.h"

struct tc_db_pool;

/*
 * A thread of `tincay serve` that tidies up on a timer: deletes ended sessions and old
 * login failures (tc_sessions_purge_expired) and chains committed audit rows
 * (tc_audit_chain), then works queued re-score jobs (tc_rescore_run: a ruleset version was
 * activated) until none is left. Every instance may run one: the purge is idempotent, the
 * chainer takes a lock of its own and jobs are taken with SKIP LOCKED. A round that fails
 * is logged and tried again next time. A stop waits for a job in progress to end.
 */
struct tc_housekeeping;

#define TC_HOUSEKEEPING_INTERVAL_S 60

/* Start the thread; its first round runs at once, then one every `interval_s` seconds. */
enum tc_status tc_housekeeping_start(struct tc_db_pool *pool, unsigned int interval_s,
                                     struct tc_housekeeping **out, struct tc_error *err);

/* Wake the thread, wait for its round to end, and free it. Accepts NULL. */
void tc_housekeeping_stop(struct tc_housekeeping *hk);

#endif /* TC_HOUSEKEEPING_H */
