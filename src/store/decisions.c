/*
 * The review workflow (tincay/decisions.h, schema/007_review.sql): queue, allocation bar,
 * decisions level by level, the public list and the indicators.
 */
#include "tincay/decisions.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tincay/arena.h"
#include "tincay/audit.h"
#include "tincay/db.h"
#include "tincay/review.h"

#define MAX_LEVELS 9

static const char *
num(struct tc_arena *arena, long long v)
{
    return tc_arena_printf(arena, "%lld", v);
}

static const char *
str_or_empty(const struct tc_db_result *res, size_t r, size_t c)
{
    const char *v = tc_db_value(res, r, c);

    return v != NULL ? v : "";
}

/* ---- levels ------------------------------------------------------------------------- */

static const char sql_levels[] = "SELECT position, kind, role, body_vi, body_en"
                                 "  FROM approval_levels WHERE era = $1 ORDER BY position";

enum tc_status
tc_levels_list(struct tc_db_conn *conn, const char *era, struct tc_arena *arena,
               struct tc_level **out, size_t *n_out, struct tc_error *err)
{
    struct tc_db_result *res;
    struct tc_level *lv;
    enum tc_status st = tc_db_exec(conn, sql_levels, 1, &era, arena, &res, err);

    if (st != TC_OK)
        return st;
    if ((lv = tc_arena_calloc(arena, tc_db_rows(res) + 1, sizeof(*lv))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < tc_db_rows(res); i++) {
        lv[i].position = (int)tc_db_int(res, i, 0, 0);
        lv[i].kind = tc_db_value(res, i, 1);
        lv[i].role = tc_db_value(res, i, 2);
        lv[i].body_vi = tc_db_value(res, i, 3);
        lv[i].body_en = tc_db_value(res, i, 4);
    }
    *out = lv;
    *n_out = tc_db_rows(res);
    return TC_OK;
}

/* ---- allocations ---------------------------------------------------------------------- */

#define ALLOC_SELECT                                                                               \
    "SELECT a.era, a.commune_code, a.year, a.amount, a.committed, a.remaining, c.province_code"    \
    "  FROM allocations_remaining a"                                                               \
    "  LEFT JOIN communes c ON c.era = a.era AND c.code = a.commune_code"

static const char sql_alloc_one[] =
    ALLOC_SELECT " WHERE a.era = $1 AND a.commune_code = $2 AND a.year = $3::int";
static const char sql_alloc_list[] = ALLOC_SELECT " WHERE $1::int = 0 OR a.year = $1::int"
                                                  " ORDER BY a.year, a.era, a.commune_code";
static const char sql_province[] =
    "SELECT province_code FROM communes WHERE era = $1 AND code = $2";

enum tc_status
tc_commune_province(struct tc_db_conn *conn, const char *era, const char *code,
                    struct tc_arena *arena, const char **province_out, struct tc_error *err)
{
    const char *params[] = {era, code};
    struct tc_db_result *res;
    enum tc_status st = tc_db_exec(conn, sql_province, 2, params, arena, &res, err);

    if (st != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_ENOTFOUND, "unknown commune \"%s:%s\"", era, code);
    *province_out = tc_db_value(res, 0, 0);
    return TC_OK;
}

static void
bar_from(const struct tc_db_result *res, size_t r, struct tc_allocation_bar *b)
{
    b->era = tc_db_value(res, r, 0);
    b->commune_code = tc_db_value(res, r, 1);
    b->year = (int)tc_db_int(res, r, 2, 0);
    b->has_allocation = true;
    b->amount = tc_db_int(res, r, 3, 0);
    b->committed = tc_db_int(res, r, 4, 0);
    b->remaining = tc_db_int(res, r, 5, 0);
    b->province_code = tc_db_value(res, r, 6);
}

enum tc_status
tc_allocation_get(struct tc_db_conn *conn, const char *era, const char *code, int year,
                  struct tc_arena *arena, struct tc_allocation_bar *out, struct tc_error *err)
{
    const char *params[] = {era, code, num(arena, year)};
    struct tc_db_result *res;
    enum tc_status st = tc_db_exec(conn, sql_alloc_one, 3, params, arena, &res, err);

    if (st != TC_OK)
        return st;
    memset(out, 0, sizeof(*out));
    out->era = era;
    out->commune_code = code;
    out->year = year;
    if (tc_db_rows(res) == 1)
        bar_from(res, 0, out);
    return TC_OK;
}

enum tc_status
tc_allocations_list(struct tc_db_conn *conn, int year, struct tc_arena *arena,
                    struct tc_allocation_bar **out, size_t *n_out, struct tc_error *err)
{
    const char *params[] = {num(arena, year)};
    struct tc_db_result *res;
    struct tc_allocation_bar *bars;
    enum tc_status st = tc_db_exec(conn, sql_alloc_list, 1, params, arena, &res, err);

    if (st != TC_OK)
        return st;
    if ((bars = tc_arena_calloc(arena, tc_db_rows(res) + 1, sizeof(*bars))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < tc_db_rows(res); i++)
        bar_from(res, i, &bars[i]);
    *out = bars;
    *n_out = tc_db_rows(res);
    return TC_OK;
}

/* ---- groups and the queue ------------------------------------------------------------- */

#define GROUP_SELECT                                                                               \
    "SELECT s.id, s.instance_id, s.values->'identity'->>'group_name', s.review_state,"             \
    "       s.values->'location'->>'village_name', sc.commune_era, sc.commune_code, sc.year,"      \
    "       s.submitter_id, sc.ruleset_id, sc.ruleset_version, sc.eligible, sc.total,"             \
    "       sc.gates::text, sc.points::text, sc.tiebreak::text, sc.reasons::text, sc.norm_item,"   \
    "       sc.ceiling, sc.recommended, coalesce(ds.state, 'pending'),"                            \
    "       CASE WHEN ds.state = 'returned' THEN 0 ELSE coalesce(ds.last_level, 0) END,"           \
    "       ds.amount, r.texts::text"                                                              \
    "  FROM scores sc"                                                                             \
    "  JOIN rulesets r ON r.ruleset_id = sc.ruleset_id AND r.version = sc.ruleset_version"         \
    "                 AND r.active"                                                                \
    "  JOIN submissions s ON s.id = sc.submission"                                                 \
    "  LEFT JOIN decision_state ds ON ds.submission = s.id"

static const char sql_queue[] =
    GROUP_SELECT " WHERE sc.commune_era = $1 AND sc.commune_code = $2 AND sc.year = $3::int"
                 "   AND s.superseded_by IS NULL";
static const char sql_group[] = GROUP_SELECT " WHERE s.id = $1::bigint";

static void
group_from(const struct tc_db_result *res, size_t r, struct tc_group *g)
{
    memset(g, 0, sizeof(*g));
    g->submission = tc_db_int(res, r, 0, 0);
    g->instance_id = tc_db_value(res, r, 1);
    g->group_name = str_or_empty(res, r, 2);
    g->review_state = tc_db_value(res, r, 3);
    g->village = str_or_empty(res, r, 4);
    g->commune_era = tc_db_value(res, r, 5);
    g->commune_code = tc_db_value(res, r, 6);
    g->year = (int)tc_db_int(res, r, 7, 0);
    g->submitter_id = tc_db_int(res, r, 8, 0);
    g->ruleset_id = tc_db_value(res, r, 9);
    g->ruleset_version = (int)tc_db_int(res, r, 10, 0);
    g->eligible = tc_db_bool(res, r, 11);
    g->total = strtod(tc_db_value(res, r, 12), NULL);
    g->gates_json = tc_db_value(res, r, 13);
    g->points_json = tc_db_value(res, r, 14);
    g->ties_json = tc_db_value(res, r, 15);
    g->reasons_json = tc_db_value(res, r, 16);
    g->norm_item = tc_db_value(res, r, 17);
    g->has_ceiling = !tc_db_is_null(res, r, 18);
    g->ceiling = tc_db_int(res, r, 18, 0);
    g->has_recommended = !tc_db_is_null(res, r, 19);
    g->recommended = tc_db_int(res, r, 19, 0);
    g->state = tc_db_value(res, r, 20);
    g->last_level = (int)tc_db_int(res, r, 21, 0);
    g->has_amount = !tc_db_is_null(res, r, 22);
    g->amount = tc_db_int(res, r, 22, 0);
    g->texts_json = tc_db_value(res, r, 23);
}

/* A group with its tie-breakers parsed, for sorting. */
struct ranked {
    struct tc_group *g;
    json_t *ties;
};

/* NaN (absent) ranks last whatever the order. */
static int
compare_tie(const json_t *a, const json_t *b)
{
    const json_t *va = json_object_get(a, "value"), *vb = json_object_get(b, "value");
    bool na = !json_is_number(va), nb = !json_is_number(vb);
    double x = na ? NAN : json_number_value(va), y = nb ? NAN : json_number_value(vb);
    const char *order = json_string_value(json_object_get(a, "order"));
    bool desc = order == NULL || strcmp(order, "asc") != 0;

    if (na || nb)
        return na == nb ? 0 : (na ? 1 : -1);
    if (x == y)
        return 0;
    return (x > y) == desc ? -1 : 1;
}

static int
compare_ranked(const void *pa, const void *pb)
{
    const struct ranked *a = pa, *b = pb;
    size_t n = json_array_size(a->ties);

    if (a->g->eligible != b->g->eligible)
        return a->g->eligible ? -1 : 1;
    if (a->g->total != b->g->total)
        return a->g->total > b->g->total ? -1 : 1;
    for (size_t i = 0; i < n && i < json_array_size(b->ties); i++) {
        int c = compare_tie(json_array_get(a->ties, i), json_array_get(b->ties, i));
        if (c != 0)
            return c;
    }
    return a->g->submission < b->g->submission ? -1 : a->g->submission > b->g->submission;
}

static enum tc_status
rank(struct tc_group *groups, size_t n, struct tc_error *err)
{
    struct ranked *r = calloc(n + 1, sizeof(*r));
    struct tc_group *sorted = calloc(n + 1, sizeof(*sorted));
    enum tc_status st = TC_OK;

    if (r == NULL || sorted == NULL) {
        st = tc_fail(err, TC_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        r[i].g = &groups[i];
        r[i].ties = json_loads(groups[i].ties_json, 0, NULL);
    }
    qsort(r, n, sizeof(*r), compare_ranked);
    for (size_t i = 0; i < n; i++) {
        sorted[i] = *r[i].g;
        sorted[i].rank = (int)i + 1;
    }
    memcpy(groups, sorted, n * sizeof(*groups));
out:
    for (size_t i = 0; r != NULL && i < n; i++)
        json_decref(r[i].ties);
    free(r);
    free(sorted);
    return st;
}

enum tc_status
tc_queue(struct tc_db_conn *conn, const char *era, const char *code, int year,
         struct tc_arena *arena, struct tc_group **out, size_t *n_out, struct tc_error *err)
{
    const char *params[] = {era, code, num(arena, year)};
    struct tc_db_result *res;
    struct tc_group *groups;
    size_t n;
    enum tc_status st = tc_db_exec(conn, sql_queue, 3, params, arena, &res, err);

    if (st != TC_OK)
        return st;
    n = tc_db_rows(res);
    if ((groups = tc_arena_calloc(arena, n + 1, sizeof(*groups))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        group_from(res, i, &groups[i]);
    if ((st = rank(groups, n, err)) != TC_OK)
        return st;
    *out = groups;
    *n_out = n;
    return TC_OK;
}

enum tc_status
tc_group_get(struct tc_db_conn *conn, long long submission, struct tc_arena *arena,
             struct tc_group *out, struct tc_error *err)
{
    const char *params[] = {num(arena, submission)};
    struct tc_db_result *res;
    enum tc_status st = tc_db_exec(conn, sql_group, 1, params, arena, &res, err);

    if (st != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_ENOTFOUND, "group %lld has no score under the active ruleset",
                       submission);
    group_from(res, 0, out);
    return TC_OK;
}

/* ---- decisions ------------------------------------------------------------------------ */

static const char sql_history[] =
    "SELECT d.id, d.submission, d.actor_id, u.login, d.kind, d.era, d.reason,"
    "       to_char(d.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), d.level, d.amount,"
    "       d.ceiling, d.norm_id, d.ruleset_id, d.ruleset_version"
    "  FROM decisions d JOIN users u ON u.id = d.actor_id"
    " WHERE d.submission = $1::bigint ORDER BY d.id";

enum tc_status
tc_decisions_of(struct tc_db_conn *conn, long long submission, struct tc_arena *arena,
                struct tc_decision **out, size_t *n_out, struct tc_error *err)
{
    const char *params[] = {num(arena, submission)};
    struct tc_db_result *res;
    struct tc_decision *d;
    enum tc_status st = tc_db_exec(conn, sql_history, 1, params, arena, &res, err);

    if (st != TC_OK)
        return st;
    if ((d = tc_arena_calloc(arena, tc_db_rows(res) + 1, sizeof(*d))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < tc_db_rows(res); i++) {
        d[i].id = tc_db_int(res, i, 0, 0);
        d[i].submission = tc_db_int(res, i, 1, 0);
        d[i].actor_id = tc_db_int(res, i, 2, 0);
        d[i].actor_login = tc_db_value(res, i, 3);
        d[i].kind = tc_db_value(res, i, 4);
        d[i].era = tc_db_value(res, i, 5);
        d[i].reason = tc_db_value(res, i, 6);
        d[i].at = tc_db_value(res, i, 7);
        d[i].level = (int)tc_db_int(res, i, 8, 0);
        d[i].has_amount = !tc_db_is_null(res, i, 9);
        d[i].amount = tc_db_int(res, i, 9, 0);
        d[i].ceiling = tc_db_int(res, i, 10, 0);
        d[i].norm_id = tc_db_int(res, i, 11, 0);
        d[i].ruleset_id = tc_db_value(res, i, 12);
        d[i].ruleset_version = (int)tc_db_int(res, i, 13, 0);
    }
    *out = d;
    *n_out = tc_db_rows(res);
    return TC_OK;
}

int
tc_decision_kind_parse(const char *name, enum tc_decision_kind *out, const char **level_kind)
{
    static const char *const positive[] = {"propose", "confirm", "approve"};

    *level_kind = NULL;
    for (size_t i = 0; i < sizeof(positive) / sizeof(positive[0]); i++)
        if (name != NULL && strcmp(name, positive[i]) == 0) {
            *out = TC_DECIDE_POSITIVE;
            *level_kind = positive[i];
            return 0;
        }
    if (name != NULL && strcmp(name, "reject") == 0)
        *out = TC_DECIDE_REJECT;
    else if (name != NULL && strcmp(name, "return") == 0)
        *out = TC_DECIDE_RETURN;
    else
        return -1;
    return 0;
}

static const char sql_lock_group[] =
    "SELECT s.submitter_id, s.superseded_by IS NOT NULL, sc.ruleset_id, sc.ruleset_version,"
    "       sc.eligible, sc.commune_era, sc.commune_code, sc.year, sc.norm_item"
    "  FROM submissions s"
    "  JOIN scores sc ON sc.submission = s.id"
    "  JOIN rulesets r ON r.ruleset_id = sc.ruleset_id AND r.version = sc.ruleset_version"
    "                 AND r.active"
    " WHERE s.id = $1::bigint FOR UPDATE OF s";
static const char sql_chain[] =
    "SELECT kind, level, actor_id FROM decisions WHERE submission = $1::bigint ORDER BY id";
static const char sql_norm[] = "SELECT id, max_amount FROM norms_current WHERE item = $1";
static const char sql_alloc_lock[] = "SELECT 1 FROM allocations"
                                     " WHERE era = $1 AND commune_code = $2 AND year = $3::int"
                                     " FOR UPDATE";
static const char sql_insert[] =
    "INSERT INTO decisions (submission, ruleset_id, ruleset_version, era, level, kind, amount,"
    "                       ceiling, reason, norm_id, actor_id, commune_era, commune_code, year)"
    " VALUES ($1::bigint, $2, $3::int, $4, $5::int, $6, $7::numeric, $8::numeric, $9,"
    "         $10::bigint, $11::bigint, $12, $13, $14::int) RETURNING id";

/* The group and its chain, as the transaction found them. */
struct chain {
    long long submitter_id;
    const char *ruleset_id, *ruleset_version, *era, *code, *year, *norm_item;
    bool eligible;
    int last_level; /* positive levels decided since the last return */
    bool closed_rejected, approved;
    long long actors[MAX_LEVELS * 4]; /* who decided a level of the current chain */
    size_t n_actors;
    struct tc_level *levels;
    size_t n_levels;
};

struct decide_ctx {
    const struct tc_decision_new *d;
    long long id;
};

static enum tc_status
load_group(struct tc_db_conn *conn, const struct tc_decision_new *d, struct tc_arena *arena,
           struct chain *c, struct tc_error *err)
{
    const char *params[] = {num(arena, d->submission)};
    struct tc_db_result *res;
    enum tc_status st = tc_db_exec(conn, sql_lock_group, 1, params, arena, &res, err);

    if (st != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_ENOTFOUND, "group %lld has no score under the active ruleset",
                       d->submission);
    if (tc_db_bool(res, 0, 1))
        return tc_fail(err, TC_ECONFLICT, "submission %lld was replaced by an edit", d->submission);
    if (tc_db_is_null(res, 0, 5) || tc_db_is_null(res, 0, 7))
        return tc_fail(err, TC_ECONFLICT, "group %lld has no commune or year: it cannot be decided",
                       d->submission);
    c->submitter_id = tc_db_int(res, 0, 0, 0);
    c->ruleset_id = tc_db_value(res, 0, 2);
    c->ruleset_version = tc_db_value(res, 0, 3);
    c->eligible = tc_db_bool(res, 0, 4);
    c->era = tc_db_value(res, 0, 5);
    c->code = tc_db_value(res, 0, 6);
    c->year = tc_db_value(res, 0, 7);
    c->norm_item = tc_db_value(res, 0, 8);
    if ((st = tc_db_exec(conn, sql_chain, 1, params, arena, &res, err)) != TC_OK)
        return st;
    for (size_t i = 0; i < tc_db_rows(res); i++) {
        const char *kind = tc_db_value(res, i, 0);

        if (strcmp(kind, "return") == 0) { /* corrected: the chain starts again */
            c->last_level = 0;
            c->n_actors = 0;
            continue;
        }
        if (strcmp(kind, "reject") == 0)
            c->closed_rejected = true;
        else
            c->last_level = (int)tc_db_int(res, i, 1, 0);
        if (strcmp(kind, "approve") == 0)
            c->approved = true;
        if (c->n_actors < sizeof(c->actors) / sizeof(c->actors[0]))
            c->actors[c->n_actors++] = tc_db_int(res, i, 2, 0);
    }
    return tc_levels_list(conn, c->era, arena, &c->levels, &c->n_levels, err);
}

/* Who may act at the next level, and in what order. */
static enum tc_status
check_actor(const struct tc_decision_new *d, const struct chain *c, const struct tc_level *next,
            struct tc_error *err)
{
    if (c->submitter_id != 0 && c->submitter_id == d->actor_id)
        return tc_fail(err, TC_EFORBIDDEN, "a collector cannot review their own submission");
    for (size_t i = 0; i < c->n_actors; i++)
        if (c->actors[i] == d->actor_id)
            return tc_fail(err, TC_EFORBIDDEN,
                           "one person cannot decide two levels of the same group");
    if (d->kind == TC_DECIDE_POSITIVE && d->level_kind != NULL &&
        strcmp(d->level_kind, next->kind) != 0)
        return tc_fail(err, TC_ECONFLICT, "levels go in order: level %d (%s) comes next",
                       next->position, next->kind);
    if (strcmp(tc_role_name(d->actor_role), next->role) != 0)
        return tc_fail(err, TC_EFORBIDDEN, "level %d (%s) is decided by the role \"%s\"",
                       next->position, next->kind, next->role);
    return TC_OK;
}

/* Norm ceiling and allocation for a positive decision; the ceiling and norm row out. */
static enum tc_status
check_money(struct tc_db_conn *conn, const struct tc_decision_new *d, const struct chain *c,
            struct tc_arena *arena, const char **ceiling, const char **norm_id,
            struct tc_error *err)
{
    const char *keys[] = {c->era, c->code, c->year};
    struct tc_allocation_bar bar;
    struct tc_db_result *res;
    enum tc_status st;

    if (!c->eligible)
        return tc_fail(err, TC_ECONFLICT, "group %lld is not eligible: a gate failed",
                       d->submission);
    if (!d->has_amount || d->amount < 0)
        return tc_fail(err, TC_EINVAL, "an amount of zero or more is required");
    if (c->norm_item == NULL)
        return tc_fail(err, TC_ECONFLICT, "no norm item applies to this group");
    if ((st = tc_db_exec(conn, sql_norm, 1, &c->norm_item, arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_rows(res) == 0 || tc_db_is_null(res, 0, 1))
        return tc_fail(err, TC_ECONFLICT, "norm amount not set for item \"%s\"", c->norm_item);
    if (d->amount > tc_db_int(res, 0, 1, 0))
        return tc_fail(err, TC_EINVAL, "amount %lld exceeds the norm ceiling %lld", d->amount,
                       tc_db_int(res, 0, 1, 0));
    *norm_id = tc_db_value(res, 0, 0);
    *ceiling = tc_db_value(res, 0, 1);
    /* Lock first, then read what is committed in a fresh statement (READ COMMITTED). */
    if ((st = tc_db_exec(conn, sql_alloc_lock, 3, keys, arena, &res, err)) != TC_OK ||
        (st = tc_allocation_get(conn, c->era, c->code, atoi(c->year), arena, &bar, err)) != TC_OK)
        return st;
    if (!bar.has_allocation)
        return tc_fail(err, TC_ECONFLICT, "no allocation for commune \"%s:%s\" in %s", c->era,
                       c->code, c->year);
    if (d->amount > bar.remaining)
        return tc_fail(err, TC_ECONFLICT, "amount %lld exceeds the remaining allocation %lld",
                       d->amount, bar.remaining);
    return TC_OK;
}

static enum tc_status
audit_decision(struct tc_db_conn *conn, const struct tc_decision_new *d, const char *kind,
               int level, long long id, struct tc_arena *arena, struct tc_error *err)
{
    const char *detail =
        d->has_amount && d->kind == TC_DECIDE_POSITIVE
            ? tc_arena_printf(arena, "{\"decision\": %lld, \"level\": %d, \"amount\": %lld}", id,
                              level, d->amount)
            : tc_arena_printf(arena, "{\"decision\": %lld, \"level\": %d}", id, level);
    struct tc_audit_event ev = {.actor_kind = "user",
                                .actor_id = d->actor_id,
                                .actor_login = d->actor_login,
                                .action = tc_arena_printf(arena, "decision.%s", kind),
                                .object_kind = "submission",
                                .object_id = num(arena, d->submission),
                                .client_addr = d->client_addr,
                                .detail_json = detail};

    return tc_audit_append(conn, &ev, arena, err);
}

static enum tc_status
insert_decision(struct tc_db_conn *conn, const struct tc_decision_new *d, const struct chain *c,
                const struct tc_level *next, const char *kind, const char *ceiling,
                const char *norm_id, struct tc_arena *arena, long long *id, struct tc_error *err)
{
    bool positive = d->kind == TC_DECIDE_POSITIVE;
    const char *params[] = {num(arena, d->submission),
                            c->ruleset_id,
                            c->ruleset_version,
                            c->era,
                            num(arena, next->position),
                            kind,
                            positive ? num(arena, d->amount) : NULL,
                            ceiling,
                            d->reason != NULL && d->reason[0] != '\0' ? d->reason : NULL,
                            norm_id,
                            num(arena, d->actor_id),
                            c->era,
                            c->code,
                            c->year};
    struct tc_db_result *res;
    enum tc_status st = tc_db_exec(conn, sql_insert, 14, params, arena, &res, err);

    if (st == TC_OK)
        *id = tc_db_int(res, 0, 0, 0);
    return st;
}

static enum tc_status
decide_in(struct tc_db_conn *conn, struct decide_ctx *x, struct tc_arena *arena,
          struct tc_error *err)
{
    const struct tc_decision_new *d = x->d;
    struct chain c = {0};
    const struct tc_level *next;
    const char *ceiling = NULL, *norm_id = NULL, *kind;
    enum tc_status st;

    if ((st = load_group(conn, d, arena, &c, err)) != TC_OK)
        return st;
    if (c.closed_rejected)
        return tc_fail(err, TC_ECONFLICT, "group %lld was rejected", d->submission);
    if (c.n_levels == 0)
        return tc_fail(err, TC_ECONFLICT, "no approval levels are configured for era \"%s\"",
                       c.era);
    if (c.approved)
        return tc_fail(err, TC_ECONFLICT, "group %lld is already approved", d->submission);
    for (size_t i = 0; i + 1 < c.n_levels; i++)
        if (strcmp(c.levels[i].kind, "approve") == 0)
            return tc_fail(err, TC_ECONFLICT,
                           "approval levels of era \"%s\" are misconfigured: approve must be "
                           "the last level",
                           c.era);
    if ((size_t)c.last_level >= c.n_levels)
        return tc_fail(err, TC_ECONFLICT, "approval levels of era \"%s\" end at level %zu", c.era,
                       c.n_levels);
    next = &c.levels[c.last_level];
    if ((st = check_actor(d, &c, next, err)) != TC_OK)
        return st;
    if (d->kind != TC_DECIDE_POSITIVE && (d->reason == NULL || d->reason[0] == '\0'))
        return tc_fail(err, TC_EINVAL, "a reason is required");
    if (d->kind == TC_DECIDE_POSITIVE &&
        (st = check_money(conn, d, &c, arena, &ceiling, &norm_id, err)) != TC_OK)
        return st;
    kind = d->kind == TC_DECIDE_POSITIVE ? next->kind
           : d->kind == TC_DECIDE_REJECT ? "reject"
                                         : "return";
    if ((st = insert_decision(conn, d, &c, next, kind, ceiling, norm_id, arena, &x->id, err)) !=
            TC_OK ||
        (st = audit_decision(conn, d, kind, next->position, x->id, arena, err)) != TC_OK)
        return st;
    if (d->kind == TC_DECIDE_RETURN)
        st = tc_review_set_state_in(conn, d->submission, d->actor_id, "hasIssues", d->reason, err);
    return st;
}

static enum tc_status
decide_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(4096);
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    st = decide_in(conn, ctx, arena, err);
    tc_arena_destroy(arena);
    return st;
}

enum tc_status
tc_decide(struct tc_db_conn *conn, const struct tc_decision_new *d, long long *id_out,
          struct tc_error *err)
{
    struct decide_ctx x = {.d = d};
    enum tc_status st = tc_db_transact(conn, false, decide_txn, &x, err);

    if (st == TC_OK && id_out != NULL)
        *id_out = x.id;
    return st;
}

/* ---- public list and indicators ------------------------------------------------------- */

static const char sql_public[] =
    "SELECT ds.commune_era, ds.commune_code, coalesce(c.name, ''),"
    "       coalesce(s.values->'location'->>'village_name', ''),"
    "       coalesce(s.values->'identity'->>'group_name', ''),"
    "       coalesce(s.values->'identity'->>'legal_form', ''),"
    "       to_char(ds.at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), ds.amount,"
    "       s.values->'membership'->>'members_total', s.values->'membership'->>'members_women'"
    "  FROM decision_state ds"
    "  JOIN submissions s ON s.id = ds.submission"
    "  LEFT JOIN communes c ON c.era = ds.commune_era AND c.code = ds.commune_code"
    " WHERE ds.state = 'approved' AND ds.commune_era = $1 AND ds.commune_code = $2"
    "   AND ds.year = $3::int"
    " ORDER BY 5, ds.submission";

enum tc_status
tc_public_list(struct tc_db_conn *conn, const char *era, const char *code, int year,
               struct tc_arena *arena, struct tc_public_row **out, size_t *n_out,
               struct tc_error *err)
{
    const char *params[] = {era, code, num(arena, year)};
    struct tc_db_result *res;
    struct tc_public_row *rows;
    enum tc_status st = tc_db_exec(conn, sql_public, 3, params, arena, &res, err);

    if (st != TC_OK)
        return st;
    if ((rows = tc_arena_calloc(arena, tc_db_rows(res) + 1, sizeof(*rows))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < tc_db_rows(res); i++) {
        rows[i].commune_era = tc_db_value(res, i, 0);
        rows[i].commune_code = tc_db_value(res, i, 1);
        rows[i].commune_name = tc_db_value(res, i, 2);
        rows[i].village = tc_db_value(res, i, 3);
        rows[i].group_name = tc_db_value(res, i, 4);
        rows[i].legal_form = tc_db_value(res, i, 5);
        rows[i].approved_at = tc_db_value(res, i, 6);
        rows[i].amount = tc_db_int(res, i, 7, 0);
        rows[i].members_total = (int)tc_db_int(res, i, 8, 0);
        rows[i].members_women = (int)tc_db_int(res, i, 9, 0);
    }
    *out = rows;
    *n_out = tc_db_rows(res);
    return TC_OK;
}

/*
 * Groups of the active rulesets with their post-2025 commune (pre-2025 codes through
 * commune_mapping; NULL when unmapped) and the day of the survey (or of arrival).
 */
static const char sql_indicators[] =
    "WITH g AS ("
    "  SELECT sc.eligible, sc.recommended, ds.state, ds.amount, dl.ceiling,"
    "         CASE WHEN sc.commune_era = 'pre2025' THEN m.new_code ELSE sc.commune_code END"
    "           AS code,"
    "         CASE WHEN s.values->>'survey_date' ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}'"
    "              THEN substr(s.values->>'survey_date', 1, 10)"
    "              ELSE to_char(s.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') END AS day"
    "    FROM scores sc"
    "    JOIN rulesets r ON r.ruleset_id = sc.ruleset_id AND r.version = sc.ruleset_version"
    "                   AND r.active"
    "    JOIN submissions s ON s.id = sc.submission AND s.superseded_by IS NULL"
    "    LEFT JOIN commune_mapping m ON sc.commune_era = 'pre2025' AND m.old_code = sc.commune_code"
    "    LEFT JOIN decision_state ds ON ds.submission = s.id"
    "    LEFT JOIN decisions dl ON dl.id = ds.last_id"
    "   WHERE sc.commune_code IS NOT NULL),"
    " ga AS ("
    "  SELECT code, substr(day, 1, 7) AS month, count(*) AS surveyed,"
    "         count(*) FILTER (WHERE eligible) AS eligible,"
    "         count(*) FILTER (WHERE state = 'approved') AS approved,"
    "         coalesce(sum(amount) FILTER (WHERE state = 'approved'), 0) AS amount,"
    "         coalesce(sum(ceiling) FILTER (WHERE state = 'approved'), 0) AS ceiling,"
    "         coalesce(sum(recommended), 0) AS recommended"
    "    FROM g WHERE ($1::text IS NULL OR day >= $1) AND ($2::text IS NULL OR day <= $2)"
    "   GROUP BY 1, 2),"
    /* Trusted Address cases by the unit's commune and the intake day. */
    " c AS ("
    "  SELECT CASE WHEN u.commune_era = 'pre2025' THEN m.new_code ELSE u.commune_code END AS code,"
    "         to_char(k.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day"
    "    FROM cases k JOIN units u ON u.id = k.unit_id"
    "    LEFT JOIN commune_mapping m ON u.commune_era = 'pre2025' AND m.old_code = u.commune_code),"
    " ca AS ("
    "  SELECT code, substr(day, 1, 7) AS month, count(*) AS cases FROM c"
    "   WHERE ($1::text IS NULL OR day >= $1) AND ($2::text IS NULL OR day <= $2)"
    "   GROUP BY 1, 2)"
    " SELECT coalesce(ga.code, ca.code) AS code, coalesce(cm.name, ''),"
    "        coalesce(ga.month, ca.month) AS month, coalesce(ga.surveyed, 0),"
    "        coalesce(ga.eligible, 0), coalesce(ga.approved, 0), coalesce(ga.amount, 0),"
    "        coalesce(ga.ceiling, 0), coalesce(ga.recommended, 0), cm.province_code,"
    "        coalesce(ca.cases, 0)"
    "   FROM ga FULL JOIN ca ON ca.code = ga.code AND ca.month = ga.month"
    "   LEFT JOIN communes cm ON cm.era = 'post2025' AND cm.code = coalesce(ga.code, ca.code)"
    "  ORDER BY 1 NULLS LAST, 3";

enum tc_status
tc_indicators(struct tc_db_conn *conn, const char *from, const char *to, struct tc_arena *arena,
              struct tc_indicator_row **out, size_t *n_out, struct tc_error *err)
{
    const char *params[] = {from, to};
    struct tc_db_result *res;
    struct tc_indicator_row *rows;
    enum tc_status st = tc_db_exec(conn, sql_indicators, 2, params, arena, &res, err);

    if (st != TC_OK)
        return st;
    if ((rows = tc_arena_calloc(arena, tc_db_rows(res) + 1, sizeof(*rows))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < tc_db_rows(res); i++) {
        rows[i].commune_code = tc_db_value(res, i, 0); /* NULL: an unmapped pre-2025 code */
        rows[i].commune_name = tc_db_value(res, i, 1);
        rows[i].month = tc_db_value(res, i, 2);
        rows[i].surveyed = tc_db_int(res, i, 3, 0);
        rows[i].eligible = tc_db_int(res, i, 4, 0);
        rows[i].approved = tc_db_int(res, i, 5, 0);
        rows[i].amount_approved = tc_db_int(res, i, 6, 0);
        rows[i].ceiling_of_approved = tc_db_int(res, i, 7, 0);
        rows[i].recommended_total = tc_db_int(res, i, 8, 0);
        rows[i].province_code = tc_db_value(res, i, 9);
        rows[i].cases = tc_db_int(res, i, 10, 0);
        /* Small cells (1 to 4 cases) could point at a person: never shown. */
        rows[i].cases_suppressed = rows[i].cases > 0 && rows[i].cases < TC_CASES_MIN_CELL;
        if (rows[i].cases_suppressed)
            rows[i].cases = 0;
    }
    *out = rows;
    *n_out = tc_db_rows(res);
    return TC_OK;
}
