#ifndef TC_SCORE_HOOK_H
#define TC_SCORE_HOOK_H

#include "tincay/status.h"

struct tc_arena;
struct tc_db_conn;
struct tc_ingest;

/*
 * Score a new submission on arrival, in its own transaction, when its form has an active
 * eligibility ruleset: chains a step onto in->on_new_row (after whatever is there, e.g.
 * storing a data key). A scoring failure other than a transient one is logged and rolled
 * back to a savepoint: the survey is stored all the same, and the next re-score job
 * scores it. Forms without an active ruleset are left alone.
 */
enum tc_status tc_score_hook_attach(struct tc_db_conn *conn, struct tc_ingest *in,
                                    struct tc_arena *arena, struct tc_error *err);

#endif /* TC_SCORE_HOOK_H */
