/*
 * Rulesets and scores in the database: storing and activating rulesets, scoring stored
 * submissions in batches (one facts query and one upsert per batch, whatever its size),
 * and the background re-scoring job.
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sodium.h>

#include "rules/rules_internal.h"
#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/jobs.h"
#include "tincay/strbuf.h"

#define REGISTRY_KEY_NAME "registry"

static void
hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static const char sql_key_get[] = "SELECT key FROM rules_keys WHERE name = $1";
static const char sql_key_put[] =
    "INSERT INTO rules_keys (name, key) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING";

/* The registry's blind-index key: made once per deployment, on first use. */
static enum tc_status
registry_key(struct tc_db_conn *conn, unsigned char key[32], struct tc_error *err)
{
    const char *name[] = {REGISTRY_KEY_NAME};
    struct tc_arena *arena = tc_arena_create(1024);
    struct tc_db_result *res;
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (int attempt = 0; attempt < 2; attempt++) {
        unsigned char fresh[32];
        const char *params[] = {REGISTRY_KEY_NAME, (const char *)fresh};
        const size_t lengths[] = {0, sizeof(fresh)};
        const bool binary[] = {false, true};
        size_t len = 0;
        unsigned char *k;

        if ((st = tc_db_exec(conn, sql_key_get, 1, name, arena, &res, err)) != TC_OK)
            break;
        if (tc_db_rows(res) == 1 && (k = tc_db_bytea(res, 0, 0, arena, &len)) != NULL &&
            len == 32) {
            memcpy(key, k, 32);
            sodium_memzero(k, len);
            break;
        }
        randombytes_buf(fresh, sizeof(fresh));
        st = tc_db_exec_bin(conn, sql_key_put, 2, params, lengths, binary, arena, NULL, err);
        sodium_memzero(fresh, sizeof(fresh));
        if (st != TC_OK)
            break;
        st = TC_EINTERNAL;
    }
    tc_arena_destroy(arena);
    if (st == TC_EINTERNAL)
        return tc_fail(err, TC_EINTERNAL, "the support registry key could not be made");
    return st;
}

/* Blind index of a group: keyed BLAKE2b-128 of the diacritic-free name and its commune. */
static const char *
name_index(const unsigned char key[32], const char *group_name, const char *era, const char *code,
           struct tc_arena *arena)
{
    const char *norm = tc_rules_normalize_name(group_name, true, arena);
    unsigned char h[16];
    crypto_generichash_state st;
    char *out;

    if (norm == NULL || norm[0] == '\0' || code[0] == '\0' ||
        (out = tc_arena_alloc(arena, 33)) == NULL)
        return NULL;
    crypto_generichash_init(&st, key, 32, sizeof(h));
    crypto_generichash_update(&st, (const unsigned char *)norm, strlen(norm));
    crypto_generichash_update(&st, (const unsigned char *)"\x1f", 1);
    crypto_generichash_update(&st, (const unsigned char *)era, strlen(era));
    crypto_generichash_update(&st, (const unsigned char *)":", 1);
    crypto_generichash_update(&st, (const unsigned char *)code, strlen(code));
    crypto_generichash_final(&st, h, sizeof(h));
    hex(h, sizeof(h), out);
    return out;
}

enum tc_status
tc_rules_name_index(struct tc_db_conn *conn, const char *group_name, const char *commune,
                    struct tc_arena *arena, const char **out, struct tc_error *err)
{
    unsigned char key[32];
    const char *colon = strchr(commune, ':');
    char era[16] = "";
    enum tc_status st;

    if ((st = registry_key(conn, key, err)) != TC_OK)
        return st;
    if (colon != NULL && (size_t)(colon - commune) < sizeof(era)) {
        memcpy(era, commune, (size_t)(colon - commune));
        era[colon - commune] = '\0';
    }
    *out = name_index(key, group_name, era, colon != NULL ? colon + 1 : commune, arena);
    sodium_memzero(key, sizeof(key));
    return TC_OK;
}

/* --- Facts of a batch: two queries, whatever its size ---------------------------- */

/*
 * Area, norm and allocation facts per distinct (era, commune, village, year, norm item,
 * date) of the batch: groups of a batch mostly share them.
 */
static const char sql_facts[] =
    "SELECT k.i, a.verified, a.kv, a.dbkk, n.id, n.max_amount,"
    "       coalesce(n.requires_counterpart, false), coalesce(n.counterpart_share, 0),"
    "       al.remaining"
    "  FROM jsonb_to_recordset($1::jsonb) AS k(i int, era text, code text, village text,"
    "                                           year int, item text, date date)"
    "  LEFT JOIN LATERAL (SELECT verified, kv, dbkk FROM areas"
    "                      WHERE era = k.era AND commune_code = k.code"
    "                        AND (village_name = k.village OR village_name IS NULL)"
    "                      ORDER BY village_name IS NULL LIMIT 1) a ON true"
    "  LEFT JOIN LATERAL (SELECT * FROM norms WHERE item = k.item"
    "                        AND (k.date IS NULL OR ((valid_from IS NULL OR valid_from <= k.date)"
    "                        AND (valid_to IS NULL OR valid_to >= k.date)))"
    "                      ORDER BY id DESC LIMIT 1) n ON true"
    "  LEFT JOIN allocations_remaining al"
    "         ON al.era = k.era AND al.commune_code = k.code AND al.year = k.year";

/* Registry rows naming any group of the batch, by registration number or blind index. */
static const char sql_registry[] =
    "SELECT coalesce(registration_number, ''), coalesce(name_index, ''), year, program"
    "  FROM support_registry"
    " WHERE lower(registration_number) IN"
    "       (SELECT lower(x) FROM jsonb_array_elements_text($1::jsonb) x)"
    " UNION ALL "
    "SELECT coalesce(registration_number, ''), name_index, year, program"
    "  FROM support_registry"
    " WHERE name_index IN (SELECT jsonb_array_elements_text($2::jsonb))";

struct item {
    long long id;
    struct tc_rules_doc *doc;
    struct tc_score score;
    struct tc_score_facts facts;
    const char *village, *idx; /* normalised village name, registry blind index; or NULL */
    size_t combo;              /* index of the item whose facts it shares */
    bool ok;                   /* parsed and evaluated */
};

static void
json_opt(struct tc_strbuf *sb, const char *key, const char *v)
{
    tc_strbuf_appends(sb, key);
    if (v != NULL && v[0] != '\0')
        tc_rules_json_string(sb, v);
    else
        tc_strbuf_appends(sb, "null");
}

static bool
same(const char *a, const char *b)
{
    return (a == NULL || a[0] == '\0') ? (b == NULL || b[0] == '\0')
                                       : (b != NULL && strcmp(a, b) == 0);
}

static bool
same_combo(const struct item *a, const struct item *b)
{
    const struct tc_score_keys *x = &a->score.keys, *y = &b->score.keys;

    return x->year == y->year && same(x->commune_code, y->commune_code) &&
           same(x->commune_era, y->commune_era) && same(a->village, b->village) &&
           same(x->norm_item, y->norm_item) && same(x->date, y->date);
}

/* Keys of every item; the distinct fact combinations as JSON rows into `sb`. */
static enum tc_status
collect_keys(const struct tc_ruleset *rs, struct tc_rules_scratch *scratch, struct item *items,
             size_t n, const unsigned char key[32], struct tc_arena *arena, struct tc_strbuf *sb,
             struct tc_error *err)
{
    size_t *combos = tc_arena_calloc(arena, n + 1, sizeof(*combos)), n_combos = 0;
    enum tc_status st;

    if (combos == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    tc_strbuf_appendc(sb, '[');
    for (size_t i = 0; i < n; i++) {
        struct item *it = &items[i];
        struct tc_score_keys *k = &it->score.keys;
        size_t c = 0;

        if (!it->ok)
            continue;
        if ((st = tc_rules_keys(rs, scratch, it->doc, arena, k, err)) != TC_OK)
            return st;
        it->village = k->village_name[0] != '\0'
                          ? tc_rules_normalize_name(k->village_name, false, arena)
                          : NULL;
        it->idx = name_index(key, k->group_name, k->commune_era, k->commune_code, arena);
        while (c < n_combos && !same_combo(&items[combos[c]], it))
            c++;
        it->combo = c < n_combos ? combos[c] : i;
        if (c < n_combos)
            continue;
        combos[n_combos++] = i;
        tc_strbuf_appendf(sb, "%s{\"i\":%zu,\"year\":%d", c > 0 ? "," : "", i, k->year);
        json_opt(sb, ",\"era\":", k->commune_era);
        json_opt(sb, ",\"code\":", k->commune_code);
        json_opt(sb, ",\"village\":", it->village);
        json_opt(sb, ",\"item\":", k->norm_item);
        json_opt(sb, ",\"date\":", k->date);
        tc_strbuf_appendc(sb, '}');
    }
    tc_strbuf_appendc(sb, ']');
    return tc_strbuf_failed(sb) ? tc_fail(err, TC_ENOMEM, "out of memory") : TC_OK;
}

static void
read_facts(const struct tc_db_result *res, struct item *items, struct tc_money_terms *terms)
{
    for (size_t r = 0; r < tc_db_rows(res); r++) {
        size_t i = (size_t)tc_db_int(res, r, 0, 0);
        struct tc_score_facts *f = &items[i].facts;
        struct tc_money_terms *t = &terms[i];
        f->area_found = !tc_db_is_null(res, r, 1);
        f->area_verified = tc_db_bool(res, r, 1);
        f->area_kv = tc_db_is_null(res, r, 2) ? "" : tc_db_value(res, r, 2);
        f->area_dbkk = tc_db_bool(res, r, 3);
        t->has_norm_row = !tc_db_is_null(res, r, 4);
        t->norm_row_id = tc_db_int(res, r, 4, 0);
        t->has_ceiling = !tc_db_is_null(res, r, 5);
        t->ceiling = tc_db_int(res, r, 5, 0);
        f->counterpart_required = tc_db_bool(res, r, 6);
        f->counterpart_min_share = strtod(tc_db_value(res, r, 7), NULL);
        t->has_allocation = !tc_db_is_null(res, r, 8);
        t->remaining = tc_db_int(res, r, 8, 0);
    }
}

/* Registry matches of every item: duplicate (same or last year) and Project 8 (any year). */
static enum tc_status
registry_facts(struct tc_db_conn *conn, struct item *items, size_t n, struct tc_arena *arena,
               struct tc_error *err)
{
    struct tc_strbuf regs = TC_STRBUF_INIT(64u << 20), idxs = TC_STRBUF_INIT(64u << 20);
    struct tc_db_result *res = NULL;
    enum tc_status st;

    tc_strbuf_appendc(&regs, '[');
    tc_strbuf_appendc(&idxs, '[');
    for (size_t i = 0; i < n; i++) {
        if (!items[i].ok)
            continue;
        if (items[i].score.keys.registration_number[0] != '\0') {
            tc_strbuf_appends(&regs, tc_strbuf_str(&regs)[1] != '\0' ? "," : "");
            tc_rules_json_string(&regs, items[i].score.keys.registration_number);
        }
        if (items[i].idx != NULL)
            tc_strbuf_appendf(&idxs, "%s\"%s\"", tc_strbuf_str(&idxs)[1] != '\0' ? "," : "",
                              items[i].idx);
    }
    tc_strbuf_appendc(&regs, ']');
    tc_strbuf_appendc(&idxs, ']');
    if (tc_strbuf_failed(&regs) || tc_strbuf_failed(&idxs))
        st = tc_fail(err, TC_ENOMEM, "out of memory");
    else
        st = tc_db_exec(conn, sql_registry, 2,
                        (const char *[]){tc_strbuf_str(&regs), tc_strbuf_str(&idxs)}, arena, &res,
                        err);
    tc_strbuf_cleanup(&regs);
    tc_strbuf_cleanup(&idxs);
    for (size_t r = 0; st == TC_OK && r < tc_db_rows(res); r++) {
        const char *reg = tc_db_value(res, r, 0), *idx = tc_db_value(res, r, 1);
        long long year = tc_db_int(res, r, 2, 0);
        bool p8 = strcmp(tc_db_value(res, r, 3), "p8") == 0;
        for (size_t i = 0; i < n; i++) {
            const struct tc_score_keys *k = &items[i].score.keys;
            if (!items[i].ok ||
                !((reg[0] != '\0' && strcasecmp(reg, k->registration_number) == 0) ||
                  (idx[0] != '\0' && items[i].idx != NULL && strcmp(idx, items[i].idx) == 0)))
                continue;
            items[i].facts.registry_p8 |= p8;
            items[i].facts.registry_duplicate |= year >= k->year - 1 && year <= k->year;
        }
    }
    return st;
}

/* Keys of every item, then their facts and money terms: two queries per batch. */
static enum tc_status
lookup_facts(struct tc_db_conn *conn, const struct tc_ruleset *rs, struct tc_rules_scratch *scratch,
             struct item *items, size_t n, struct tc_arena *arena, struct tc_money_terms *terms,
             struct tc_error *err)
{
    unsigned char key[32];
    struct tc_strbuf rows = TC_STRBUF_INIT(256u << 20);
    struct tc_db_result *res = NULL;
    enum tc_status st;

    if ((st = registry_key(conn, key, err)) != TC_OK ||
        (st = collect_keys(rs, scratch, items, n, key, arena, &rows, err)) != TC_OK ||
        (st = tc_db_exec(conn, sql_facts, 1, (const char *[]){tc_strbuf_str(&rows)}, arena, &res,
                         err)) != TC_OK)
        goto out;
    read_facts(res, items, terms);
    for (size_t i = 0; i < n; i++)
        if (items[i].ok && items[i].combo != i) {
            items[i].facts = items[items[i].combo].facts;
            terms[i] = terms[items[i].combo];
        }
    st = registry_facts(conn, items, n, arena, err);
out:
    sodium_memzero(key, sizeof(key));
    tc_strbuf_cleanup(&rows);
    return st;
}

#define SCORE_COLS 14 /* values of a score row, as in sql_stage's columns */

/* Set after the columns: an upsert that keeps the key, whatever the row's source. */
#define SCORE_UPSERT_SET                                                                           \
    " ON CONFLICT (submission, ruleset_id, ruleset_version) DO UPDATE SET"                         \
    "   eligible = EXCLUDED.eligible, gates = EXCLUDED.gates, points = EXCLUDED.points,"           \
    "   total = EXCLUDED.total, tiebreak = EXCLUDED.tiebreak, norm_item = EXCLUDED.norm_item,"     \
    "   norm_id = EXCLUDED.norm_id, ceiling = EXCLUDED.ceiling,"                                   \
    "   recommended = EXCLUDED.recommended, reasons = EXCLUDED.reasons,"                           \
    "   commune_era = EXCLUDED.commune_era, commune_code = EXCLUDED.commune_code,"                 \
    "   year = EXCLUDED.year, computed_at = EXCLUDED.computed_at"
#define SCORE_INSERT                                                                               \
    "INSERT INTO scores (submission, eligible, gates, points, total, tiebreak, norm_item,"         \
    "                    norm_id, ceiling, recommended, reasons, commune_era, commune_code,"       \
    "                    year, ruleset_id, ruleset_version, computed_at)"

/* One score: its values as $1..$14, the ruleset as $15, $16. */
static const char sql_upsert_one[] =
    SCORE_INSERT " VALUES ($1::bigint, $2::boolean, $3::jsonb, $4::jsonb, $5::numeric, $6::jsonb,"
                 " $7, $8::bigint, $9::numeric, $10::numeric, $11::jsonb, $12, $13, $14::int, $15,"
                 " $16::int, now())" SCORE_UPSERT_SET;

/*
 * A batch, in one transaction: while a worker has met no score of the version yet (a
 * version's first scoring), COPY straight into scores; otherwise COPY into a session's
 * staging table, then one upsert from it (the staging rows go at commit).
 */
static const char sql_scores_copy[] =
    "COPY scores (submission, eligible, gates, points, total, tiebreak, norm_item, norm_id,"
    " ceiling, recommended, reasons, commune_era, commune_code, year, ruleset_id,"
    " ruleset_version) FROM STDIN";
static const char sql_stage[] =
    "CREATE TEMP TABLE IF NOT EXISTS tc_scores_stage (s bigint, e boolean, g jsonb, p jsonb,"
    " t numeric, tb jsonb, ni text, nid bigint, c numeric, rec numeric, rs jsonb, era text,"
    " code text, y int) WITH (toast_tuple_target = 8160) ON COMMIT DELETE ROWS";
static const char sql_stage_copy[] = "COPY tc_scores_stage FROM STDIN";
static const char sql_upsert_staged[] =
    SCORE_INSERT " SELECT s, e, g, p, t, tb, ni, nid, c, rec, rs, era, code, y, $1, $2::int, now()"
                 "   FROM tc_scores_stage" SCORE_UPSERT_SET;

static const char *
int_or_null(struct tc_arena *arena, bool has, long long v)
{
    return has ? tc_arena_printf(arena, "%lld", v) : NULL;
}

static const char *
opt(const char *v)
{
    return v != NULL && v[0] != '\0' ? v : NULL;
}

static const char *
emitted(struct tc_arena *arena, void (*emit)(struct tc_strbuf *, const struct tc_score *),
        const struct tc_score *s)
{
    struct tc_strbuf sb = TC_STRBUF_INIT(16u << 20);
    const char *out;

    emit(&sb, s);
    out = tc_strbuf_failed(&sb) ? NULL : tc_arena_strdup(arena, tc_strbuf_str(&sb));
    tc_strbuf_cleanup(&sb);
    return out;
}

static void
emit_gates(struct tc_strbuf *sb, const struct tc_score *s)
{
    tc_score_emit_gates(sb, s, false);
}

static void
emit_points(struct tc_strbuf *sb, const struct tc_score *s)
{
    tc_score_emit_points(sb, s, false);
}

/* The stored values of a score, in the order of sql_stage; false when out of memory. */
static bool
score_values(const struct item *it, struct tc_arena *arena, const char *v[SCORE_COLS])
{
    const struct tc_score *s = &it->score;

    v[0] = tc_arena_printf(arena, "%lld", it->id);
    v[1] = s->eligible ? "t" : "f";
    v[2] = emitted(arena, emit_gates, s);
    v[3] = emitted(arena, emit_points, s);
    v[4] = tc_arena_printf(arena, "%.2f", s->total);
    v[5] = emitted(arena, tc_score_emit_ties, s);
    v[6] = opt(s->keys.norm_item);
    v[7] = int_or_null(arena, s->money.has_norm_row, s->money.norm_row_id);
    v[8] = int_or_null(arena, s->money.has_ceiling, s->money.ceiling);
    v[9] = int_or_null(arena, s->has_recommendation, s->recommended);
    v[10] = emitted(arena, tc_score_emit_reasons, s);
    v[11] = opt(s->keys.commune_era);
    v[12] = opt(s->keys.commune_code);
    v[13] = int_or_null(arena, s->keys.year > 0, s->keys.year);
    return v[0] != NULL && v[2] != NULL && v[3] != NULL && v[4] != NULL && v[5] != NULL &&
           v[10] != NULL && (v[7] != NULL || !s->money.has_norm_row) &&
           (v[8] != NULL || !s->money.has_ceiling) && (v[9] != NULL || !s->has_recommendation) &&
           (v[13] != NULL || s->keys.year <= 0);
}

struct staged {
    const struct tc_ruleset *rs;
    struct item *items;
    size_t n;
    struct tc_arena *arena;
    bool direct; /* into scores, not through the staging table */
};

/* The batch's rows through COPY, then the upsert unless direct (inside tc_db_transact). */
static enum tc_status
stage_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    struct staged *b = ctx;
    char version[16];
    size_t cols = b->direct ? SCORE_COLS + 2 : SCORE_COLS;
    enum tc_status st;

    snprintf(version, sizeof(version), "%d", b->rs->version);
    if ((st = tc_db_copy_begin(conn, b->direct ? sql_scores_copy : sql_stage_copy, err)) != TC_OK)
        return st;
    for (size_t i = 0; i < b->n && st == TC_OK; i++) {
        const char *v[SCORE_COLS + 2] = {[SCORE_COLS] = b->rs->id, [SCORE_COLS + 1] = version};

        if (!b->items[i].ok)
            continue;
        if (!score_values(&b->items[i], b->arena, v))
            st = tc_fail(err, TC_ENOMEM, "out of memory");
        else
            st = tc_db_copy_put(conn, cols, v, err);
    }
    if (st != TC_OK) {
        tc_db_copy_cancel(conn);
        return st;
    }
    if ((st = tc_db_copy_end(conn, NULL, err)) != TC_OK || b->direct)
        return st;
    return tc_db_exec(conn, sql_upsert_staged, 2, (const char *[]){b->rs->id, version}, b->arena,
                      NULL, err);
}

/* One score: a plain upsert, inside the caller's transaction if one is open. */
static enum tc_status
store_one(struct tc_db_conn *conn, const struct tc_ruleset *rs, const struct item *it,
          struct tc_arena *arena, struct tc_error *err)
{
    const char *v[SCORE_COLS + 2];
    char version[16];

    snprintf(version, sizeof(version), "%d", rs->version);
    if (!score_values(it, arena, v))
        return tc_fail(err, TC_ENOMEM, "out of memory");
    v[SCORE_COLS] = rs->id;
    v[SCORE_COLS + 1] = version;
    return tc_db_exec(conn, sql_upsert_one, SCORE_COLS + 2, v, arena, NULL, err);
}

/*
 * `*fresh` (NULL: false) says no score of the version has been met yet by this worker: the
 * batch goes straight in. A batch that meets one (scored on arrival, or by an earlier run of
 * the job) goes again through the upsert, and so does every later one of the worker.
 */
static enum tc_status
store_scores(struct tc_db_conn *conn, const struct tc_ruleset *rs, struct item *items, size_t n,
             bool *fresh, struct tc_arena *arena, struct tc_error *err)
{
    struct staged b = {.rs = rs, .items = items, .n = n, .arena = arena};
    enum tc_status st;

    if (n == 1)
        return items[0].ok ? store_one(conn, rs, &items[0], arena, err) : TC_OK;
    if (fresh != NULL && *fresh) {
        struct tc_error conflict = TC_ERROR_INIT(err->lang);

        b.direct = true;
        if ((st = tc_db_transact(conn, false, stage_txn, &b, &conflict)) != TC_ECONFLICT) {
            if (st != TC_OK)
                *err = conflict;
            return st;
        }
        *fresh = b.direct = false;
    }
    return tc_db_transact(conn, false, stage_txn, &b, err);
}

/*
 * Score items[0..n) whose docs are set (items with a NULL doc are skipped): keys, facts,
 * gates and points, recommendation, upsert.
 */
static enum tc_status
score_batch(struct tc_db_conn *conn, const struct tc_ruleset *rs, struct item *items, size_t n,
            bool *fresh, struct tc_arena *arena, struct tc_error *err)
{
    struct tc_money_terms *terms = tc_arena_calloc(arena, n + 1, sizeof(*terms));
    struct tc_rules_scratch *scratch = tc_rules_scratch_new();
    enum tc_status st;

    if (terms == NULL || scratch == NULL) {
        tc_rules_scratch_free(scratch);
        return tc_fail(err, TC_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        items[i].ok = items[i].doc != NULL;
    st = lookup_facts(conn, rs, scratch, items, n, arena, terms, err);
    for (size_t i = 0; i < n && st == TC_OK; i++) {
        struct tc_score *s = &items[i].score;

        if (!items[i].ok)
            continue;
        if ((st = tc_rules_score(rs, scratch, items[i].doc, &items[i].facts, &s->keys, arena, s,
                                 err)) == TC_OK)
            tc_rules_recommend(s, &terms[i]);
    }
    tc_rules_scratch_free(scratch);
    return st == TC_OK ? store_scores(conn, rs, items, n, fresh, arena, err) : st;
}

static const char sql_one[] = "SELECT values::text FROM submissions WHERE id = $1";

enum tc_status
tc_score_submission(struct tc_db_conn *conn, const struct tc_ruleset *rs, long long submission_id,
                    struct tc_arena *arena, struct tc_score *out, struct tc_error *err)
{
    struct tc_db_result *res;
    struct item it = {.id = submission_id};
    char id[24];
    enum tc_status st;

    snprintf(id, sizeof(id), "%lld", submission_id);
    if ((st = tc_db_exec(conn, sql_one, 1, (const char *[]){id}, arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_rows(res) != 1)
        return tc_fail(err, TC_ENOTFOUND, "submission %lld not found", submission_id);
    if ((st = tc_rules_doc_from_json(tc_db_value(res, 0, 0), rs->root_name, &it.doc, err)) != TC_OK)
        return st;
    st = score_batch(conn, rs, &it, 1, NULL, arena, err);
    tc_rules_doc_free(it.doc);
    if (st == TC_OK && out != NULL)
        *out = it.score;
    return st;
}

/* --- Rulesets -------------------------------------------------------------------- */

static const char sql_rs_insert[] =
    "INSERT INTO rulesets (ruleset_id, version, form_id, xml, sha256, texts)"
    " VALUES ($1, $2::int, $3, $4, $5, $6::jsonb) ON CONFLICT (ruleset_id, version) DO NOTHING";
static const char sql_rs_sha[] =
    "SELECT sha256 FROM rulesets WHERE ruleset_id = $1 AND version = $2::int";

enum tc_status
tc_ruleset_store(struct tc_db_conn *conn, const char *xml, size_t len,
                 const struct tc_form_model *form, struct tc_error *err)
{
    struct tc_ruleset *rs = NULL;
    struct tc_arena *arena = NULL;
    struct tc_db_result *res;
    unsigned char h[crypto_hash_sha256_BYTES];
    char sha[2 * sizeof(h) + 1], version[16];
    char *text = NULL, *texts = NULL;
    enum tc_status st;

    if ((st = tc_ruleset_load(xml, len, form, &rs, err)) != TC_OK)
        return st;
    crypto_hash_sha256(h, (const unsigned char *)xml, len);
    hex(h, sizeof(h), sha);
    snprintf(version, sizeof(version), "%d", rs->version);
    if ((arena = tc_arena_create(1024)) == NULL ||
        (text = tc_arena_strndup(arena, xml, len)) == NULL ||
        (texts = tc_ruleset_texts_json(rs, arena)) == NULL) {
        st = tc_fail(err, TC_ENOMEM, "out of memory");
        goto out;
    }
    if ((st = tc_db_exec(conn, sql_rs_insert, 6,
                         (const char *[]){rs->id, version, rs->form_id, text, sha, texts}, arena,
                         NULL, err)) != TC_OK ||
        (st = tc_db_exec(conn, sql_rs_sha, 2, (const char *[]){rs->id, version}, arena, &res,
                         err)) != TC_OK)
        goto out;
    if (tc_db_rows(res) != 1 || strcmp(tc_db_value(res, 0, 0), sha) != 0)
        st = tc_fail(err, TC_ECONFLICT,
                     "ruleset \"%s\" version %s is already stored with other content; give the "
                     "new text a new version",
                     rs->id, version);
out:
    tc_arena_destroy(arena);
    tc_ruleset_free(rs);
    return st;
}

static const char sql_rs_deactivate[] =
    "UPDATE rulesets SET active = false WHERE active AND form_id ="
    " (SELECT form_id FROM rulesets WHERE ruleset_id = $1 AND version = $2::int)";
static const char sql_rs_activate[] = "UPDATE rulesets SET active = true, activated_at = now()"
                                      " WHERE ruleset_id = $1 AND version = $2::int";

struct activate {
    const char *id;
    char version[16];
    long long job;
};

static enum tc_status
activate_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    struct activate *a = ctx;
    struct tc_arena *arena = tc_arena_create(1024);
    const char *params[] = {a->id, a->version};
    struct tc_db_result *res;
    enum tc_status st;
    char payload[512];
    json_t *p;
    char *text;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((st = tc_db_exec(conn, sql_rs_deactivate, 2, params, arena, NULL, err)) != TC_OK ||
        (st = tc_db_exec(conn, sql_rs_activate, 2, params, arena, &res, err)) != TC_OK)
        goto out;
    if (tc_db_affected(res) != 1) {
        st = tc_fail(err, TC_ENOTFOUND, "ruleset \"%s\" version %s is not stored", a->id,
                     a->version);
        goto out;
    }
    p = json_pack("{s:s, s:i}", "ruleset_id", a->id, "version", atoi(a->version));
    text = p != NULL ? json_dumps(p, JSON_COMPACT) : NULL;
    json_decref(p);
    if (text == NULL || strlen(text) >= sizeof(payload)) {
        free(text);
        st = tc_fail(err, TC_ENOMEM, "out of memory");
        goto out;
    }
    snprintf(payload, sizeof(payload), "%s", text);
    free(text);
    st = tc_job_enqueue(conn, "rescore", payload, &a->job, err);
out:
    tc_arena_destroy(arena);
    return st;
}

enum tc_status
tc_ruleset_activate(struct tc_db_conn *conn, const char *id, int version, long long *job_id,
                    struct tc_error *err)
{
    struct activate a = {.id = id};
    enum tc_status st;

    snprintf(a.version, sizeof(a.version), "%d", version);
    st = tc_db_transact(conn, false, activate_txn, &a, err);
    if (st == TC_OK && job_id != NULL)
        *job_id = a.job;
    return st;
}

static const char sql_rs_load[] =
    "SELECT r.xml, f.xml FROM rulesets r JOIN forms f ON f.form_id = r.form_id"
    " WHERE r.ruleset_id = $1 AND r.version = $2::int ORDER BY f.id DESC LIMIT 1";
static const char sql_rs_active[] =
    "SELECT r.ruleset_id, r.version::text FROM rulesets r WHERE r.form_id = $1 AND r.active";

/* Load (id, version) against the newest stored version of its form. */
static enum tc_status
load_version(struct tc_db_conn *conn, const char *id, const char *version, struct tc_ruleset **out,
             struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(4096);
    struct tc_form_model *form = NULL;
    struct tc_db_result *res;
    unsigned char *form_xml;
    size_t form_len = 0;
    const char *rs_xml;
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((st = tc_db_exec(conn, sql_rs_load, 2, (const char *[]){id, version}, arena, &res, err)) !=
        TC_OK)
        goto out;
    if (tc_db_rows(res) != 1) {
        st = tc_fail(err, TC_ENOTFOUND, "ruleset \"%s\" version %s or its form is not stored", id,
                     version);
        goto out;
    }
    rs_xml = tc_db_value(res, 0, 0);
    if ((form_xml = tc_db_bytea(res, 0, 1, arena, &form_len)) == NULL) {
        st = tc_fail(err, TC_ENOMEM, "out of memory");
        goto out;
    }
    if ((st = tc_form_load((const char *)form_xml, form_len, &form, err)) == TC_OK)
        st = tc_ruleset_load(rs_xml, strlen(rs_xml), form, out, err);
out:
    tc_form_model_free(form);
    tc_arena_destroy(arena);
    return st;
}

enum tc_status
tc_ruleset_load_version(struct tc_db_conn *conn, const char *id, int version,
                        struct tc_ruleset **out, struct tc_error *err)
{
    char text[16];

    *out = NULL;
    snprintf(text, sizeof(text), "%d", version);
    return load_version(conn, id, text, out, err);
}

enum tc_status
tc_ruleset_load_active(struct tc_db_conn *conn, const char *form_id, struct tc_ruleset **out,
                       struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(1024);
    struct tc_db_result *res;
    enum tc_status st;

    *out = NULL;
    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    st = tc_db_exec(conn, sql_rs_active, 1, (const char *[]){form_id}, arena, &res, err);
    if (st == TC_OK && tc_db_rows(res) != 1)
        st = tc_fail(err, TC_ENOTFOUND, "form \"%s\" has no active ruleset", form_id);
    if (st == TC_OK)
        st = load_version(conn, tc_db_value(res, 0, 0), tc_db_value(res, 0, 1), out, err);
    tc_arena_destroy(arena);
    return st;
}

/* --- Re-scoring ------------------------------------------------------------------ */

/*
 * A job is worked by RESCORE_CONNS connections at most: the caller's and helpers taken from
 * its pool when free. They claim disjoint id ranges from a shared cursor, each range once.
 */
#define RESCORE_CONNS 2

struct rescore {
    pthread_mutex_t lock;
    const char *id, *version; /* the ruleset */
    size_t batch;
    long long next, end, width; /* the next claim is (next, next + width], while next < end */
    long long done;             /* groups scored by every worker */
    enum tc_status st;          /* a helper's failure stops the claims */
    struct tc_error err;
};

struct helper {
    struct rescore *r;
    struct tc_db_conn *conn;
    pthread_t thread;
};

static const char sql_count[] =
    "SELECT count(*), coalesce(min(id), 0), coalesce(max(id), 0) FROM submissions"
    " WHERE form_id = $1 AND superseded_by IS NULL";
static const char sql_page[] =
    "SELECT id, values::text FROM submissions WHERE form_id = $1 AND superseded_by IS NULL"
    " AND id > $2::bigint AND id <= coalesce($3::bigint, 9223372036854775807)"
    " ORDER BY id LIMIT $4::int";

/*
 * One page in (*last, upto] (no bound when upto < 0): scored and stored (store_scores says
 * what `fresh` is); *n_out rows.
 */
static enum tc_status
rescore_page(struct tc_db_conn *conn, const struct tc_ruleset *rs, bool *fresh, long long *last,
             long long upto, size_t batch, size_t *n_out, struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(1u << 20);
    struct tc_db_result *res;
    struct item *items = NULL;
    char after[24], bound[24], limit[24];
    size_t n = 0;
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    snprintf(after, sizeof(after), "%lld", *last);
    snprintf(bound, sizeof(bound), "%lld", upto);
    snprintf(limit, sizeof(limit), "%zu", batch);
    if ((st = tc_db_exec(conn, sql_page, 4,
                         (const char *[]){rs->form_id, after, upto < 0 ? NULL : bound, limit},
                         arena, &res, err)) != TC_OK)
        goto out;
    n = tc_db_rows(res);
    if (n > 0 && (items = tc_arena_calloc(arena, n, sizeof(*items))) == NULL) {
        st = tc_fail(err, TC_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct tc_error ignored = TC_ERROR_INIT(err->lang);
        items[i].id = tc_db_int(res, i, 0, 0);
        /* a row whose values cannot be read keeps no score; the others go on */
        (void)tc_rules_doc_from_json(tc_db_value(res, i, 1), rs->root_name, &items[i].doc,
                                     &ignored);
    }
    if (n > 0) {
        *last = items[n - 1].id;
        st = score_batch(conn, rs, items, n, fresh, arena, err);
    }
out:
    for (size_t i = 0; items != NULL && i < n; i++)
        tc_rules_doc_free(items[i].doc);
    tc_arena_destroy(arena);
    *n_out = n;
    return st;
}

/* The next id range (*after, *upto] of the job; false when none is left or a worker failed. */
static bool
claim(struct rescore *r, long long *after, long long *upto)
{
    bool ok;

    pthread_mutex_lock(&r->lock);
    ok = r->st == TC_OK && r->next < r->end;
    *after = r->next;
    *upto = r->next + r->width;
    if (ok)
        r->next = *upto;
    pthread_mutex_unlock(&r->lock);
    return ok;
}

/* Add `n` scored groups; the total so far. */
static long long
add_done(struct rescore *r, size_t n)
{
    long long done;

    pthread_mutex_lock(&r->lock);
    r->done += (long long)n;
    done = r->done;
    pthread_mutex_unlock(&r->lock);
    return done;
}

/* Pages in (after, upto] (upto < 0: to the end); progress of `job` when it is not 0. */
static enum tc_status
rescore_range(struct tc_db_conn *conn, const struct tc_ruleset *rs, struct rescore *r, bool *fresh,
              long long after, long long upto, long long job, long long total, struct tc_error *err)
{
    enum tc_status st = TC_OK;
    size_t n = 0;

    while (st == TC_OK) {
        long long done;

        if ((st = rescore_page(conn, rs, fresh, &after, upto, r->batch, &n, err)) != TC_OK ||
            n == 0)
            break;
        done = add_done(r, n);
        if (job != 0)
            st = tc_job_progress(conn, job, done, total > done ? total : done, err);
        if (n < r->batch)
            break; /* a short page: nothing more in the range */
    }
    return st;
}

/* Claim ranges until none is left. */
static enum tc_status
rescore_claims(struct tc_db_conn *conn, const struct tc_ruleset *rs, struct rescore *r,
               long long job, long long total, struct tc_error *err)
{
    long long after, upto;
    bool fresh = true;
    enum tc_status st = TC_OK;

    while (st == TC_OK && claim(r, &after, &upto))
        st = rescore_range(conn, rs, r, &fresh, after, upto, job, total, err);
    return st;
}

/*
 * Scores are derived data and the job is finished only after the last batch: a batch lost
 * in a crash is written again when the job re-runs, so its commits need not wait for disk.
 */
static enum tc_status
session_begin(struct tc_db_conn *conn, struct tc_error *err)
{
    enum tc_status st = tc_db_exec_simple(conn, "SET synchronous_commit = off", err);

    return st == TC_OK ? tc_db_exec_simple(conn, sql_stage, err) : st;
}

static void
session_end(struct tc_db_conn *conn, enum tc_lang lang)
{
    struct tc_error ignored = TC_ERROR_INIT(lang);

    (void)tc_db_exec_simple(conn, "RESET synchronous_commit", &ignored);
}

static void *
helper_main(void *arg)
{
    struct helper *h = arg;
    struct rescore *r = h->r;
    struct tc_error err = TC_ERROR_INIT(r->err.lang);
    struct tc_ruleset *rs = NULL;
    enum tc_status st;

    if ((st = load_version(h->conn, r->id, r->version, &rs, &err)) == TC_OK &&
        (st = session_begin(h->conn, &err)) == TC_OK)
        st = rescore_claims(h->conn, rs, r, 0, 0, &err);
    session_end(h->conn, err.lang);
    tc_ruleset_free(rs);
    pthread_mutex_lock(&r->lock);
    if (st != TC_OK && r->st == TC_OK) {
        r->st = st;
        r->err = err;
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

/* Start up to RESCORE_CONNS - 1 helpers on free connections of the pool; their number. */
static size_t
helpers_start(struct tc_db_conn *conn, struct rescore *r, struct helper *h)
{
    struct tc_db_pool *pool = tc_db_conn_pool(conn);
    size_t n = 0;

    while (n < RESCORE_CONNS - 1) {
        struct tc_error ignored = TC_ERROR_INIT(r->err.lang);

        h[n] = (struct helper){.r = r, .conn = tc_db_acquire(pool, 0, &ignored)};
        if (h[n].conn == NULL)
            break;
        if (pthread_create(&h[n].thread, NULL, helper_main, &h[n]) != 0) {
            tc_db_release(pool, h[n].conn);
            break;
        }
        n++;
    }
    return n;
}

static void
helpers_join(struct tc_db_conn *conn, struct helper *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        pthread_join(h[i].thread, NULL);
        tc_db_release(tc_db_conn_pool(conn), h[i].conn);
    }
}

/* The job's extent: groups, and the id range the claims cover. */
static enum tc_status
rescore_extent(struct tc_db_conn *conn, const struct tc_ruleset *rs, struct rescore *r,
               long long *total, struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(1024);
    struct tc_db_result *res;
    enum tc_status st;
    long long span;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    st = tc_db_exec(conn, sql_count, 1, (const char *[]){rs->form_id}, arena, &res, err);
    *total = st == TC_OK ? tc_db_int(res, 0, 0, 0) : 0;
    r->next = st == TC_OK ? tc_db_int(res, 0, 1, 0) - 1 : 0;
    r->end = st == TC_OK ? tc_db_int(res, 0, 2, 0) : 0;
    tc_arena_destroy(arena);
    /* a claim holds about one batch of the form's rows, however other forms' ids interleave */
    span = r->end - r->next;
    r->width = *total > 0 && span > *total ? (long long)r->batch * span / *total : 0;
    if (r->width < (long long)r->batch)
        r->width = (long long)r->batch;
    return st;
}

static enum tc_status
rescore_all(struct tc_db_conn *conn, const struct tc_ruleset *rs, struct rescore *r,
            long long job_id, struct tc_error *err)
{
    struct helper helpers[RESCORE_CONNS - 1];
    size_t n_helpers = 0;
    long long total = 0;
    enum tc_status st;

    if ((st = rescore_extent(conn, rs, r, &total, err)) == TC_OK &&
        (st = tc_job_progress(conn, job_id, 0, total, err)) == TC_OK &&
        (st = session_begin(conn, err)) == TC_OK) {
        n_helpers = helpers_start(conn, r, helpers);
        st = rescore_claims(conn, rs, r, job_id, total, err);
        helpers_join(conn, helpers, n_helpers);
    }
    if (st == TC_OK && r->st != TC_OK) {
        *err = r->err;
        st = r->st;
    }
    /* rows stored after the extent was read (they were scored on arrival too: upserts) */
    if (st == TC_OK)
        st = rescore_range(conn, rs, r, NULL, r->end, -1, job_id, total, err);
    if (st == TC_OK)
        st = tc_job_progress(conn, job_id, r->done, total > r->done ? total : r->done, err);
    session_end(conn, err->lang);
    return st;
}

/* The job's ruleset, then every group of its form. */
static enum tc_status
rescore_job(struct tc_db_conn *conn, const struct tc_job *job, struct rescore *r,
            struct tc_error *err)
{
    struct tc_ruleset *rs = NULL;
    enum tc_status st;

    if ((st = load_version(conn, r->id, r->version, &rs, err)) == TC_OK)
        st = rescore_all(conn, rs, r, job->id, err);
    tc_ruleset_free(rs);
    return st;
}

enum tc_status
tc_rescore_run(struct tc_db_conn *conn, const struct tc_job *job, size_t batch,
               struct tc_error *err)
{
    json_t *p = json_loads(job->payload_json, 0, NULL);
    const char *id = p != NULL ? json_string_value(json_object_get(p, "ruleset_id")) : NULL;
    json_int_t v = p != NULL ? json_integer_value(json_object_get(p, "version")) : 0;
    struct rescore r = {.id = id, .batch = batch > 0 ? batch : 500, .err = *err};
    char version[24], result[64];
    enum tc_status st;

    snprintf(version, sizeof(version), "%lld", (long long)v);
    r.version = version;
    if (id == NULL || v <= 0)
        st = tc_fail(err, TC_EINVAL, "rescore job %lld has no ruleset_id and version", job->id);
    else if (pthread_mutex_init(&r.lock, NULL) != 0)
        st = tc_fail(err, TC_EINTERNAL, "could not start the re-scoring workers");
    else {
        st = rescore_job(conn, job, &r, err);
        pthread_mutex_destroy(&r.lock);
    }
    json_decref(p);
    if (st == TC_OK) {
        snprintf(result, sizeof(result), "{\"scored\": %lld}", r.done);
        return tc_job_finish(conn, job->id, result, NULL, err);
    }
    {
        struct tc_error ignored = TC_ERROR_INIT(err->lang);
        (void)tc_job_finish(conn, job->id, NULL, err->msg, &ignored);
    }
    return st;
}

static const char sql_form_newest[] =
    "SELECT xml FROM forms WHERE form_id = $1 ORDER BY id DESC LIMIT 1";

enum tc_status
tc_ruleset_install(struct tc_db_conn *conn, const char *xml, size_t len, struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(4096);
    struct tc_form_model *form = NULL;
    struct tc_xml_fault fault;
    struct tc_db_result *res;
    xmlDocPtr doc;
    xmlChar *form_id = NULL;
    unsigned char *form_xml;
    size_t form_len = 0;
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if (len > TC_RULESET_MAX_BYTES) {
        st = tc_fail(err, TC_ETOOLARGE, "ruleset larger than %u bytes", TC_RULESET_MAX_BYTES);
        goto out;
    }
    if ((doc = tc_xml_parse(xml, len, "ruleset.xml", &fault)) != NULL) {
        form_id = xmlGetProp(xmlDocGetRootElement(doc), X("form"));
        xmlFreeDoc(doc);
    }
    if (form_id == NULL) {
        st = tc_fail(err, TC_EINVAL, "line %d: ruleset is not well-formed or names no form",
                     fault.line);
        goto out;
    }
    st = tc_db_exec(conn, sql_form_newest, 1, (const char *[]){S(form_id)}, arena, &res, err);
    if (st == TC_OK && tc_db_rows(res) != 1)
        st = tc_fail(err, TC_ENOTFOUND, "form \"%s\" is not stored", S(form_id));
    if (st == TC_OK && (form_xml = tc_db_bytea(res, 0, 0, arena, &form_len)) == NULL)
        st = tc_fail(err, TC_ENOMEM, "out of memory");
    if (st == TC_OK && (st = tc_form_load((const char *)form_xml, form_len, &form, err)) == TC_OK)
        st = tc_ruleset_store(conn, xml, len, form, err);
out:
    xmlFree(form_id);
    tc_form_model_free(form);
    tc_arena_destroy(arena);
    return st;
}
