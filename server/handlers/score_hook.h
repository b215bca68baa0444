#ifndef TC_SCORE_HOOK_H
#define TC_SCORE_HOOK_H

#include "tincay/status.h"

struct tc_arena;
struct tc_db_conn;
struct tc_form_cache;
struct tc_ingest;

/*
 * Score a new submission on arrival, in its own transaction, with its form's active
 * eligibility ruleset `id` version `version` (from the form version's row): chains a step
 * onto in->on_new_row (after whatever is there, e.g. storing a data key). The ruleset comes
 * from the server's pool (`cache`, tc_form_cache_ruleset_take) and goes back to it when
 * `arena` goes. A ruleset that does not load, or a scoring failure other than a transient
 * one, is logged (the latter rolled back to a savepoint): the survey is stored all the same,
 * and the next re-score job scores it.
 */
enum tc_status tc_score_hook_attach(struct tc_form_cache *cache, struct tc_db_conn *conn,
                                    const char *id, int version, struct tc_ingest *in,
                                    struct tc_arena *arena, struct tc_error *err);

#endif /* TC_SCORE_HOOK_H */
