#include "handlers/score_hook.h"

#include "form_cache.h"
#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/log.h"
#include "tincay/rules.h"
#include "tincay/submissions.h"

struct score_hook {
    enum tc_status (*prev)(struct tc_db_conn *conn, long long submission, void *ctx,
                           struct tc_error *err);
    void *prev_ctx;
    struct tc_ruleset *rs;
    struct tc_form_cache *cache; /* where rs goes back */
    struct tc_arena *arena;
};

static void
give_back(void *ptr)
{
    struct score_hook *h = ptr;

    tc_form_cache_ruleset_give(h->cache, h->rs);
}

static enum tc_status
score_new_row(struct tc_db_conn *conn, long long submission, void *ctx, struct tc_error *err)
{
    struct score_hook *h = ctx;
    struct tc_error why = TC_ERROR_INIT(TC_LANG_EN);
    enum tc_status st;

    if (h->prev != NULL && (st = h->prev(conn, submission, h->prev_ctx, err)) != TC_OK)
        return st;
    if ((st = tc_db_exec_simple(conn, "SAVEPOINT score_on_arrival", err)) != TC_OK)
        return st;
    st = tc_score_submission(conn, h->rs, submission, h->arena, NULL, &why);
    if (st == TC_OK)
        return tc_db_exec_simple(conn, "RELEASE SAVEPOINT score_on_arrival", err);
    if (st == TC_ERETRY) {
        *err = why;
        return st;
    }
    tc_log(TC_LOG_WARNING, NULL, "submission %lld stored unscored: %s (%s)", submission, why.msg,
           why.detail);
    return tc_db_exec_simple(conn, "ROLLBACK TO SAVEPOINT score_on_arrival", err);
}

enum tc_status
tc_score_hook_attach(struct tc_form_cache *cache, struct tc_db_conn *conn, const char *id,
                     int version, struct tc_ingest *in, struct tc_arena *arena,
                     struct tc_error *err)
{
    struct tc_error why = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_ruleset *rs = NULL;
    struct score_hook *h;
    enum tc_status st = tc_form_cache_ruleset_take(cache, conn, id, version, &rs, &why);

    if (st != TC_OK) {
        /* A ruleset that no longer loads must not cost a collector her survey. */
        if (st == TC_ERETRY) {
            *err = why;
            return st;
        }
        tc_log(TC_LOG_WARNING, NULL, "active ruleset of form \"%s\" does not load: %s (%s)",
               in->form_id, why.msg, why.detail);
        return TC_OK;
    }
    if ((h = tc_arena_alloc(arena, sizeof(*h))) == NULL) {
        tc_form_cache_ruleset_give(cache, rs);
        return tc_fail(err, TC_ENOMEM, "out of memory");
    }
    *h = (struct score_hook){in->on_new_row, in->on_new_row_ctx, rs, cache, arena};
    if (tc_arena_defer(arena, give_back, h) != 0) {
        tc_form_cache_ruleset_give(cache, rs);
        return tc_fail(err, TC_ENOMEM, "out of memory");
    }
    in->on_new_row = score_new_row;
    in->on_new_row_ctx = h;
    return TC_OK;
}
