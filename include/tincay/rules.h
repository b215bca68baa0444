#ifndef TC_RULES_H
#define TC_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/status.h"

struct tc_arena;
struct tc_db_conn;
struct tc_form_model;
struct tc_job;

/*
 * Eligibility rulesets (docs/rules.md): gates, priority points, tie-breakers and the
 * support ceiling of a form's submissions, written as XPath over the submission with the
 * ODK functions. A ruleset is loaded against the form model it applies to: every
 * expression is compiled and every field it names is checked at load, so a loaded
 * ruleset cannot fail on a missing field later. Facts that live in the database (area
 * class, support registry, norm) reach the expressions as variables ($area_kv ...).
 *
 * A loaded ruleset is immutable; use it from one thread at a time (libxml2 compiled
 * expressions are not documented as thread-safe): load one per worker thread.
 */

#define TC_RULESET_MAX_BYTES (512u * 1024u)

struct tc_ruleset;

/*
 * Load the ruleset in xml[0..len) for `form`. TC_EINVAL with the line for: not
 * well-formed, a DOCTYPE, a missing id/version/form/legal basis, a form id that is not
 * the model's, an expression that does not compile, names an unknown function, variable
 * or a field the form lacks, or reads a protected field. TC_ETOOLARGE, TC_ENOMEM.
 */
enum tc_status tc_ruleset_load(const char *xml, size_t len, const struct tc_form_model *form,
                               struct tc_ruleset **out, struct tc_error *err);
void tc_ruleset_free(struct tc_ruleset *rs); /* accepts NULL */

const char *tc_ruleset_id(const struct tc_ruleset *rs);
int tc_ruleset_version(const struct tc_ruleset *rs);
const char *tc_ruleset_form_id(const struct tc_ruleset *rs);
const char *tc_ruleset_legal_basis(const struct tc_ruleset *rs); /* lines joined by "\n" */
size_t tc_ruleset_gate_count(const struct tc_ruleset *rs);
size_t tc_ruleset_criterion_count(const struct tc_ruleset *rs);
size_t tc_ruleset_tiebreak_count(const struct tc_ruleset *rs);
double tc_ruleset_max_total(const struct tc_ruleset *rs);

/*
 * The ruleset's texts as JSON (stored in rulesets.texts): title, legal basis, and per id
 * the gates' reason codes, messages (vi, en) and basis, the criteria's labels, maxima and
 * basis, the tie-breakers' labels and orders, the norm items. Stored scores carry ids and
 * figures only; their explanation joins these texts of the same version.
 */
char *tc_ruleset_texts_json(const struct tc_ruleset *rs, struct tc_arena *arena);

/* --- Evaluation without a database (deterministic) ------------------------------- */

/* A submission as an XML document: from its XML, or from the stored values JSON. */
struct tc_rules_doc;
enum tc_status tc_rules_doc_from_xml(const char *xml, size_t len, struct tc_rules_doc **out,
                                     struct tc_error *err);
/* `root` is the instance root name (the form's, usually "data"). */
enum tc_status tc_rules_doc_from_json(const char *values_json, const char *root,
                                      struct tc_rules_doc **out, struct tc_error *err);
void tc_rules_doc_free(struct tc_rules_doc *doc); /* accepts NULL */

/* What the ruleset's <keys> read from a submission, to look the facts up. */
struct tc_score_keys {
    const char *commune_era, *commune_code; /* from "ERA:CODE"; "" when absent */
    const char *village_name;               /* as answered; "" when absent */
    const char *registration_number;        /* "" when absent */
    const char *group_name;                 /* "" when absent */
    int year;                               /* allocation year; 0 when unknown */
    const char *date;                       /* YYYY-MM-DD for norm validity; "" when unknown */
    const char *norm_item;                  /* first <norm> whose test holds, or NULL */
    bool has_need;
    double need; /* assessed cost net of counterpart, đồng */
};

/*
 * What evaluating expressions needs, kept by one thread from one submission to the next
 * (an XPath context and its object cache): scoring a batch makes one, not one per group.
 * Never shared between threads.
 */
struct tc_rules_scratch;
struct tc_rules_scratch *tc_rules_scratch_new(void);
void tc_rules_scratch_free(struct tc_rules_scratch *scratch);

enum tc_status tc_rules_keys(const struct tc_ruleset *rs, struct tc_rules_scratch *scratch,
                             struct tc_rules_doc *doc, struct tc_arena *arena,
                             struct tc_score_keys *out, struct tc_error *err);

/* Database facts the expressions see as XPath variables. */
struct tc_score_facts {
    bool area_found;           /* $area_found: a classification row exists */
    bool area_verified;        /* $area_verified */
    const char *area_kv;       /* $area_kv: "I", "II", "III" or "" */
    bool area_dbkk;            /* $area_dbkk: thôn ĐBKK */
    bool registry_duplicate;   /* $registry_duplicate: support in the registry, same or last year */
    bool registry_p8;          /* $registry_p8: Project 8 support in the registry, any year */
    bool counterpart_required; /* $counterpart_required: the norm row asks for counterpart */
    double counterpart_min_share; /* $counterpart_min_share: 0..1, 0 when none */
};

enum tc_gate_outcome { TC_GATE_PASS, TC_GATE_FAIL, TC_GATE_NA };

struct tc_gate_result {
    const char *id, *reason; /* reason code (on failure) */
    const char *message_vi, *message_en;
    enum tc_gate_outcome outcome;
};

struct tc_points_result {
    const char *id;
    const char *label_vi, *label_en;
    double points, max;
    double value;  /* what the expression gave before clamping (NaN: no answer) */
    bool answered; /* false: the expression gave NaN (fields absent) → 0 points */
};

struct tc_tiebreak_result {
    const char *id;
    double value; /* NaN when absent: ranked last */
    bool descending;
};

/* Why there is no recommendation, or why it is what it is. */
enum tc_reco_reason {
    TC_RECO_OK = 0,               /* recommended = the smallest of the three terms */
    TC_RECO_NOT_ELIGIBLE,         /* a gate failed */
    TC_RECO_NO_NORM_ITEM,         /* no <norm> rule of the ceiling applies */
    TC_RECO_NORM_NOT_SET,         /* the norm row has no amount */
    TC_RECO_NO_NEED,              /* cost minus counterpart unknown */
    TC_RECO_NO_ALLOCATION,        /* no allocation for the commune and year */
    TC_RECO_ALLOCATION_EXHAUSTED, /* remaining allocation ≤ 0: recommended 0 */
    TC_RECO_NEED_COVERED          /* counterpart covers the cost: recommended 0 */
};

/* The money terms, found by the caller (norm row, allocation). Amounts in whole đồng. */
struct tc_money_terms {
    bool has_norm_row, has_ceiling, has_allocation;
    long long norm_row_id; /* norms.id of the row used, 0 when none */
    long long ceiling;     /* norm max_amount */
    long long remaining;   /* allocation amount − committed */
};

struct tc_score {
    const char *ruleset_id;
    int ruleset_version;
    struct tc_gate_result *gates;
    size_t n_gates;
    struct tc_points_result *points;
    size_t n_points;
    struct tc_tiebreak_result *ties;
    size_t n_ties;
    bool eligible;
    double total;
    struct tc_score_keys keys;
    struct tc_money_terms money;
    bool has_recommendation;
    long long recommended; /* whole đồng, when has_recommendation */
    enum tc_reco_reason reco_reason;
};

/*
 * Gates, points and tie-breakers of `doc` under `rs` with `facts`, and its `keys` (from
 * tc_rules_keys on the same document); in `arena`.
 */
enum tc_status tc_rules_score(const struct tc_ruleset *rs, struct tc_rules_scratch *scratch,
                              struct tc_rules_doc *doc, const struct tc_score_facts *facts,
                              const struct tc_score_keys *keys, struct tc_arena *arena,
                              struct tc_score *out, struct tc_error *err);

/* The keys, then tc_rules_score, with a scratch of its own: one submission. */
enum tc_status tc_rules_eval(const struct tc_ruleset *rs, struct tc_rules_doc *doc,
                             const struct tc_score_facts *facts, struct tc_arena *arena,
                             struct tc_score *out, struct tc_error *err);

/* Fill score->money, recommended and reco_reason from `terms` (pure arithmetic). */
void tc_rules_recommend(struct tc_score *score, const struct tc_money_terms *terms);

/* Stable code of a reason ("norm_not_set"), and its English msgid ("norm amount not set"). */
const char *tc_reco_reason_code(enum tc_reco_reason r);
const char *tc_reco_reason_message(enum tc_reco_reason r);

/*
 * Order of two scores for ranking: eligible first, then total descending, then each
 * tie-breaker in order (NaN last). <0 when `a` ranks before `b`.
 */
int tc_score_compare(const struct tc_score *a, const struct tc_score *b);

/* JSON texts stored in scores: gates, points, tiebreak, reasons (arrays/objects). */
char *tc_score_gates_json(const struct tc_score *s, struct tc_arena *arena);
char *tc_score_points_json(const struct tc_score *s, struct tc_arena *arena);
char *tc_score_ties_json(const struct tc_score *s, struct tc_arena *arena);
char *tc_score_reasons_json(const struct tc_score *s, struct tc_arena *arena);

/*
 * Name normalisation for keys: NFC, case-folded, whitespace collapsed and trimmed; with
 * `strip_marks` also without diacritics (đ → d). NULL on invalid UTF-8.
 */
char *tc_rules_normalize_name(const char *s, bool strip_marks, struct tc_arena *arena);

/* --- Database (schema/006_rules.sql) --------------------------------------------- */

/*
 * Store the ruleset text (its id, version and form from the file) in `rulesets`; a
 * version already stored with other bytes is TC_ECONFLICT, the same bytes TC_OK.
 */
enum tc_status tc_ruleset_store(struct tc_db_conn *conn, const char *xml, size_t len,
                                const struct tc_form_model *form, struct tc_error *err);

/* As tc_ruleset_store, against the newest stored version of the form the ruleset names. */
enum tc_status tc_ruleset_install(struct tc_db_conn *conn, const char *xml, size_t len,
                                  struct tc_error *err);

/*
 * Make (id, version) the active ruleset of its form (the previous one stays stored with
 * its scores) and queue a "rescore" job; its id in *job_id (may be NULL).
 */
enum tc_status tc_ruleset_activate(struct tc_db_conn *conn, const char *id, int version,
                                   long long *job_id, struct tc_error *err);

/*
 * The active ruleset of `form_id`, loaded against the form's newest stored version (the
 * caller frees it). TC_ENOTFOUND when the form has none.
 */
enum tc_status tc_ruleset_load_active(struct tc_db_conn *conn, const char *form_id,
                                      struct tc_ruleset **out, struct tc_error *err);

/* Ruleset `id` version `version`, loaded the same way. TC_ENOTFOUND when not stored. */
enum tc_status tc_ruleset_load_version(struct tc_db_conn *conn, const char *id, int version,
                                       struct tc_ruleset **out, struct tc_error *err);

/*
 * Score one stored submission (from its `values` JSON) with `rs` and upsert the row of
 * (submission, ruleset id, version) in `scores`. Runs in the caller's transaction, if
 * any: the OpenRosa path calls it right after storing the submission. `out` (may be
 * NULL) receives the score, in `arena`.
 */
enum tc_status tc_score_submission(struct tc_db_conn *conn, const struct tc_ruleset *rs,
                                   long long submission_id, struct tc_arena *arena,
                                   struct tc_score *out, struct tc_error *err);

/*
 * Work on a "rescore" job taken with tc_job_take: score every current submission of the
 * ruleset's form in batches of `batch` (each its own short transaction, no table lock),
 * recording progress after each batch, then finish the job. Submissions arriving meanwhile
 * are scored on arrival, so none is missed. The job runs on `conn` and, when its pool has
 * one free (not waited for), a second connection in a helper thread: the two claim
 * disjoint id ranges of about `batch` groups each, so each group is scored once.
 */
enum tc_status tc_rescore_run(struct tc_db_conn *conn, const struct tc_job *job, size_t batch,
                              struct tc_error *err);

/* Norms (định mức): a new row per change; the newest row of an item is its current one. */
struct tc_norm {
    long long id;
    const char *item, *name_vi, *name_en, *unit, *legal_basis, *set_by, *set_at;
    const char *valid_from, *valid_to; /* "" when open */
    bool has_amount, requires_counterpart;
    long long max_amount;
    double counterpart_share; /* 0 when none */
};

/*
 * Load a norms CSV (header: item,name_vi,name_en,unit,max_amount,valid_from,valid_to,
 * legal_basis[,requires_counterpart,counterpart_share]); a row equal to the item's current
 * row adds nothing. Rows added in *n_added. TC_EINVAL names the line of a bad row.
 */
enum tc_status tc_norms_load_csv(struct tc_db_conn *conn, const char *path, const char *set_by,
                                 size_t *n_added, struct tc_error *err);

/* Set the amount of an existing item (a new row, the other columns copied). */
enum tc_status tc_norm_set(struct tc_db_conn *conn, const char *item, long long amount,
                           const char *legal_basis, const char *set_by, struct tc_error *err);

/* Current norms (history: all rows) in item order, then newest first; in `arena`. */
enum tc_status tc_norms_list(struct tc_db_conn *conn, bool history, struct tc_arena *arena,
                             struct tc_norm **out, size_t *n_out, struct tc_error *err);

/*
 * Load an area classification CSV: either tincay's columns (era,commune_code,village_name,
 * kv,dbkk,source,verified) or the shipped template's (old_commune_code,kv_2021_2025,
 * kv_source,kv_verified,...: pre-2025 commune rows). A row replaces the row of the same key.
 */
enum tc_status tc_areas_load_csv(struct tc_db_conn *conn, const char *path, size_t *n_loaded,
                                 struct tc_error *err);

/* One row of the area classification; NULL village_label: the commune itself, NULL kv: unknown. */
struct tc_area {
    const char *era, *commune_code, *village_label, *kv, *source;
    bool has_dbkk, dbkk, verified;
};

/* Every area row by era, commune, then village (the commune's own row first); in `arena`. */
enum tc_status tc_areas_list(struct tc_db_conn *conn, struct tc_arena *arena, struct tc_area **out,
                             size_t *n_out, struct tc_error *err);

/* Write DIR/villages.csv (name,label,commune) from the village rows of `areas`. */
enum tc_status tc_areas_villages_csv(struct tc_db_conn *conn, const char *dir, size_t *n_written,
                                     struct tc_error *err);

/*
 * The registry's blind index (32 hex digits) of a group name in commune "ERA:CODE", keyed
 * with the deployment's registry key (made on first use); *out NULL for an empty name.
 */
enum tc_status tc_rules_name_index(struct tc_db_conn *conn, const char *group_name,
                                   const char *commune, struct tc_arena *arena, const char **out,
                                   struct tc_error *err);

/* Set the allocation of a commune ("ERA:CODE") and year. */
enum tc_status tc_allocation_set(struct tc_db_conn *conn, const char *commune, int year,
                                 long long amount, struct tc_error *err);

/*
 * Import the support registry CSV (program,year,registration_number,group_name,commune,
 * content,amount): group names are kept only as a keyed blind index with the commune.
 */
enum tc_status tc_support_import_csv(struct tc_db_conn *conn, const char *path, const char *source,
                                     size_t *n_loaded, struct tc_error *err);

#endif /* TC_RULES_H */
