/*
 * Evaluating a loaded ruleset on one submission: gates, points, tie-breakers, the keys
 * to look facts up with, and the recommended amount. Deterministic: the same document,
 * facts and money terms always give the same score (the loader refuses clock and chance).
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xpathInternals.h>

#include "rules/rules_internal.h"
#include "tincay/arena.h"
#include "tincay/strbuf.h"

/*
 * One thread's evaluation state, kept from one submission to the next: an XPath context
 * (with libxml2's object cache) pointed at each document in turn, the facts it reads its
 * variables from, and the function environment.
 */
struct tc_rules_scratch {
    xmlXPathContextPtr ctx;
    struct tc_xpath_env env;
    struct tc_score_facts facts;
};

/* $name: the facts of the document being scored; NULL (an evaluation error) otherwise. */
static xmlXPathObjectPtr
lookup_variable(void *data, const xmlChar *name, const xmlChar *ns_uri)
{
    const struct tc_score_facts *f = &((struct tc_rules_scratch *)data)->facts;
    const char *n = S(name);

    if (ns_uri != NULL)
        return NULL;
    if (strcmp(n, "area_found") == 0)
        return xmlXPathNewBoolean(f->area_found);
    if (strcmp(n, "area_verified") == 0)
        return xmlXPathNewBoolean(f->area_verified);
    if (strcmp(n, "area_kv") == 0)
        return xmlXPathNewString(X(f->area_kv != NULL ? f->area_kv : ""));
    if (strcmp(n, "area_dbkk") == 0)
        return xmlXPathNewBoolean(f->area_dbkk);
    if (strcmp(n, "registry_duplicate") == 0)
        return xmlXPathNewBoolean(f->registry_duplicate);
    if (strcmp(n, "registry_p8") == 0)
        return xmlXPathNewBoolean(f->registry_p8);
    if (strcmp(n, "counterpart_required") == 0)
        return xmlXPathNewBoolean(f->counterpart_required);
    if (strcmp(n, "counterpart_min_share") == 0)
        return xmlXPathNewFloat(f->counterpart_min_share);
    return NULL;
}

struct tc_rules_scratch *
tc_rules_scratch_new(void)
{
    struct tc_rules_scratch *s = calloc(1, sizeof(*s));

    if (s == NULL || (s->ctx = tc_xpath_context_new(NULL, &s->env)) == NULL) {
        free(s);
        return NULL;
    }
    xmlXPathRegisterVariableLookup(s->ctx, lookup_variable, s);
    return s;
}

void
tc_rules_scratch_free(struct tc_rules_scratch *s)
{
    if (s == NULL)
        return;
    xmlXPathFreeContext(s->ctx);
    free(s);
}

/* `s` pointed at `doc`, its variables at `f` (none known: NULL), its functions' scratch. */
static void
scratch_point(struct tc_rules_scratch *s, struct tc_rules_doc *doc, const struct tc_score_facts *f,
              struct tc_arena *arena)
{
    static const struct tc_score_facts none = {.area_kv = ""};

    s->ctx->doc = doc->doc;
    s->env.arena = arena;
    s->facts = f != NULL ? *f : none;
}

static xmlXPathObjectPtr
eval(xmlXPathContextPtr ctx, struct tc_rules_doc *doc, const struct tc_rule_expr *e)
{
    struct tc_xpath_env *env = ctx->funcLookupData;

    ctx->node = doc->root;
    ctx->contextSize = 1;
    ctx->proximityPosition = 1;
    env->current = doc->root;
    return xmlXPathCompiledEval(e->comp, ctx);
}

/* 1/0, or -1 when evaluation fails. */
static int
eval_bool(xmlXPathContextPtr ctx, struct tc_rules_doc *doc, const struct tc_rule_expr *e)
{
    xmlXPathObjectPtr o = eval(ctx, doc, e);
    int r;

    if (o == NULL)
        return -1;
    r = xmlXPathCastToBoolean(o) ? 1 : 0;
    xmlXPathFreeObject(o);
    return r;
}

static double
eval_number(xmlXPathContextPtr ctx, struct tc_rules_doc *doc, const struct tc_rule_expr *e)
{
    xmlXPathObjectPtr o = eval(ctx, doc, e);
    double d;

    if (o == NULL)
        return NAN;
    d = xmlXPathCastToNumber(o);
    xmlXPathFreeObject(o);
    return d;
}

/* String value in the arena, trimmed; "" when absent or failing. */
static const char *
eval_string(xmlXPathContextPtr ctx, struct tc_rules_doc *doc, const struct tc_rule_expr *e,
            struct tc_arena *arena)
{
    xmlXPathObjectPtr o;
    xmlChar *s;
    const char *out, *a, *b;

    if (e->text == NULL || (o = eval(ctx, doc, e)) == NULL)
        return "";
    s = xmlXPathCastToString(o);
    xmlXPathFreeObject(o);
    if (s == NULL)
        return NULL;
    for (a = S(s); *a == ' ' || *a == '\t' || *a == '\n' || *a == '\r'; a++)
        ;
    for (b = a + strlen(a); b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\n'); b--)
        ;
    out = tc_arena_strndup(arena, a, (size_t)(b - a));
    xmlFree(s);
    return out;
}

/* "YYYY-MM-DD", a real calendar day: the database casts it to date. */
static bool
is_iso_date(const char *s)
{
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d;
    char tail;

    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
        sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || y < 1900 || m < 1 || m > 12 ||
        d < 1 || d > days[m - 1])
        return false;
    return m != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

static double
round2(double x)
{
    return round(x * 100.0) / 100.0;
}

static enum tc_status
fill_keys(const struct tc_ruleset *rs, xmlXPathContextPtr ctx, struct tc_rules_doc *doc,
          struct tc_arena *arena, struct tc_score_keys *k, struct tc_error *err)
{
    const char *commune = eval_string(ctx, doc, &rs->key_commune, arena), *colon;
    double year = eval_number(ctx, doc, &rs->key_year);

    memset(k, 0, sizeof(*k));
    if (commune == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    colon = strchr(commune, ':');
    k->commune_era =
        colon != NULL ? tc_arena_strndup(arena, commune, (size_t)(colon - commune)) : "";
    k->commune_code = colon != NULL ? colon + 1 : commune;
    k->village_name = eval_string(ctx, doc, &rs->key_village, arena);
    k->registration_number = eval_string(ctx, doc, &rs->key_registration, arena);
    k->group_name = eval_string(ctx, doc, &rs->key_group_name, arena);
    k->date = eval_string(ctx, doc, &rs->key_date, arena);
    if (k->date != NULL && !is_iso_date(k->date))
        k->date = "";
    if (k->commune_era == NULL || k->village_name == NULL || k->registration_number == NULL ||
        k->group_name == NULL || k->date == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    k->year = isfinite(year) && year >= 1900 && year <= 9999 ? (int)year : 0;
    k->need = eval_number(ctx, doc, &rs->need);
    k->has_need = isfinite(k->need);
    for (size_t i = 0; i < rs->n_norms; i++)
        if (rs->norms[i].when.text == NULL || eval_bool(ctx, doc, &rs->norms[i].when) == 1) {
            k->norm_item = rs->norms[i].item;
            break;
        }
    return TC_OK;
}

enum tc_status
tc_rules_keys(const struct tc_ruleset *rs, struct tc_rules_scratch *scratch,
              struct tc_rules_doc *doc, struct tc_arena *arena, struct tc_score_keys *out,
              struct tc_error *err)
{
    scratch_point(scratch, doc, NULL, arena);
    return fill_keys(rs, scratch->ctx, doc, arena, out, err);
}

static void
eval_gates(const struct tc_ruleset *rs, xmlXPathContextPtr ctx, struct tc_rules_doc *doc,
           struct tc_score *out)
{
    out->eligible = true;
    for (size_t i = 0; i < rs->n_gates; i++) {
        const struct tc_rule_gate *g = &rs->gates[i];
        struct tc_gate_result *r = &out->gates[i];
        int applies = g->when.text == NULL ? 1 : eval_bool(ctx, doc, &g->when);
        int ok = applies == 1 ? eval_bool(ctx, doc, &g->test) : 1;

        r->id = g->id;
        r->message_vi = g->message_vi;
        r->message_en = g->message_en;
        if (applies == 0) {
            r->outcome = TC_GATE_NA;
        } else if (applies == 1 && ok == 1) {
            r->outcome = TC_GATE_PASS;
        } else {
            /* a failing evaluation never lets a group through */
            r->outcome = TC_GATE_FAIL;
            r->reason = applies < 0 || ok < 0 ? "rule_error" : g->reason;
            out->eligible = false;
        }
        if (r->outcome != TC_GATE_FAIL)
            r->reason = "";
    }
}

static void
eval_points(const struct tc_ruleset *rs, xmlXPathContextPtr ctx, struct tc_rules_doc *doc,
            struct tc_score *out)
{
    out->total = 0;
    for (size_t i = 0; i < rs->n_criteria; i++) {
        const struct tc_rule_criterion *c = &rs->criteria[i];
        struct tc_points_result *r = &out->points[i];
        double v;

        if (c->test.text != NULL) {
            int t = eval_bool(ctx, doc, &c->test);
            v = t < 0 ? NAN : t == 1 ? c->points : 0;
        } else {
            v = eval_number(ctx, doc, &c->value);
        }
        r->id = c->id;
        r->label_vi = c->label_vi;
        r->label_en = c->label_en;
        r->max = c->max;
        r->value = v;
        r->answered = isfinite(v);
        r->points = r->answered ? round2(fmin(c->max, fmax(0.0, v))) : 0;
        out->total += r->points;
    }
    out->total = round2(out->total);
}

enum tc_status
tc_rules_score(const struct tc_ruleset *rs, struct tc_rules_scratch *scratch,
               struct tc_rules_doc *doc, const struct tc_score_facts *facts,
               const struct tc_score_keys *keys, struct tc_arena *arena, struct tc_score *out,
               struct tc_error *err)
{
    xmlXPathContextPtr ctx = scratch->ctx;
    const struct tc_score_keys k = *keys; /* may be out->keys */

    memset(out, 0, sizeof(*out));
    out->ruleset_id = rs->id;
    out->ruleset_version = rs->version;
    out->n_gates = rs->n_gates;
    out->n_points = rs->n_criteria;
    out->n_ties = rs->n_ties;
    out->keys = k;
    out->gates = tc_arena_calloc(arena, rs->n_gates + 1, sizeof(*out->gates));
    out->points = tc_arena_calloc(arena, rs->n_criteria + 1, sizeof(*out->points));
    out->ties = tc_arena_calloc(arena, rs->n_ties + 1, sizeof(*out->ties));
    if (out->gates == NULL || out->points == NULL || out->ties == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    scratch_point(scratch, doc, facts, arena);
    eval_gates(rs, ctx, doc, out);
    eval_points(rs, ctx, doc, out);
    for (size_t i = 0; i < rs->n_ties; i++) {
        out->ties[i].id = rs->ties[i].id;
        out->ties[i].descending = rs->ties[i].descending;
        out->ties[i].value = eval_number(ctx, doc, &rs->ties[i].value);
    }
    out->reco_reason = out->eligible ? TC_RECO_NORM_NOT_SET : TC_RECO_NOT_ELIGIBLE;
    return TC_OK;
}

enum tc_status
tc_rules_eval(const struct tc_ruleset *rs, struct tc_rules_doc *doc,
              const struct tc_score_facts *facts, struct tc_arena *arena, struct tc_score *out,
              struct tc_error *err)
{
    struct tc_rules_scratch *scratch = tc_rules_scratch_new();
    struct tc_score_keys keys;
    enum tc_status st;

    if (scratch == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((st = tc_rules_keys(rs, scratch, doc, arena, &keys, err)) == TC_OK)
        st = tc_rules_score(rs, scratch, doc, facts, &keys, arena, out, err);
    tc_rules_scratch_free(scratch);
    return st;
}

/* Whole đồng, rounded down: never recommend a fraction above what was assessed. */
long long
tc_rules_dong(double x)
{
    if (!(x > 0))
        return 0;
    if (x > 9e15)
        return 9000000000000000LL;
    return (long long)floor(x);
}

void
tc_rules_recommend(struct tc_score *s, const struct tc_money_terms *t)
{
    long long need, best;

    s->money = *t;
    s->has_recommendation = false;
    s->recommended = 0;
    if (!s->eligible) {
        s->reco_reason = TC_RECO_NOT_ELIGIBLE;
        return;
    }
    if (s->keys.norm_item == NULL || !t->has_norm_row) {
        s->reco_reason = TC_RECO_NO_NORM_ITEM;
        return;
    }
    if (!t->has_ceiling) {
        s->reco_reason = TC_RECO_NORM_NOT_SET;
        return;
    }
    if (!s->keys.has_need) {
        s->reco_reason = TC_RECO_NO_NEED;
        return;
    }
    if (!t->has_allocation) {
        s->reco_reason = TC_RECO_NO_ALLOCATION;
        return;
    }
    s->has_recommendation = true;
    need = tc_rules_dong(s->keys.need);
    if (t->remaining <= 0) {
        s->reco_reason = TC_RECO_ALLOCATION_EXHAUSTED;
        return;
    }
    if (need <= 0) {
        s->reco_reason = TC_RECO_NEED_COVERED;
        return;
    }
    best = t->ceiling < need ? t->ceiling : need;
    s->recommended = best < t->remaining ? best : t->remaining;
    s->reco_reason = TC_RECO_OK;
}

static const struct {
    const char *code, *message;
} reco_reasons[] = {
    [TC_RECO_OK] = {"ok", "recommended amount is the smallest of norm ceiling, assessed cost "
                          "net of counterpart, and remaining allocation"},
    [TC_RECO_NOT_ELIGIBLE] = {"not_eligible", "not eligible: a gate failed"},
    [TC_RECO_NO_NORM_ITEM] =
        {"no_norm_item", "no norm row applies (no item matches, or none is valid at the date)"},
    [TC_RECO_NORM_NOT_SET] = {"norm_not_set", "norm amount not set"},
    [TC_RECO_NO_NEED] = {"no_need", "assessed cost net of counterpart is unknown"},
    [TC_RECO_NO_ALLOCATION] = {"no_allocation", "no allocation for the commune and year"},
    [TC_RECO_ALLOCATION_EXHAUSTED] = {"allocation_exhausted",
                                      "allocation of the commune and year is exhausted"},
    [TC_RECO_NEED_COVERED] = {"need_covered", "counterpart covers the assessed cost"},
};

const char *
tc_reco_reason_code(enum tc_reco_reason r)
{
    return (unsigned)r < sizeof(reco_reasons) / sizeof(reco_reasons[0]) ? reco_reasons[r].code
                                                                        : "unknown";
}

const char *
tc_reco_reason_message(enum tc_reco_reason r)
{
    return (unsigned)r < sizeof(reco_reasons) / sizeof(reco_reasons[0]) ? reco_reasons[r].message
                                                                        : "unknown";
}

static int
cmp_double(double a, double b, bool descending)
{
    bool na = !isfinite(a), nb = !isfinite(b);

    if (na || nb)
        return na == nb ? 0 : na ? 1 : -1; /* absent ranks last either way */
    if (a == b)
        return 0;
    return ((a < b) != descending) ? -1 : 1;
}

int
tc_score_compare(const struct tc_score *a, const struct tc_score *b)
{
    int c;

    if (a->eligible != b->eligible)
        return a->eligible ? -1 : 1;
    if ((c = cmp_double(a->total, b->total, true)) != 0)
        return c;
    for (size_t i = 0; i < a->n_ties && i < b->n_ties; i++)
        if ((c = cmp_double(a->ties[i].value, b->ties[i].value, a->ties[i].descending)) != 0)
            return c;
    return 0;
}

/* --- JSON of a score (written directly: this runs once per stored score) -------- */

void
tc_rules_json_string(struct tc_strbuf *sb, const char *s)
{
    static const char hexd[] = "0123456789abcdef";
    const char *run = s;

    tc_strbuf_appendc(sb, '"');
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        tc_strbuf_append(sb, run, (size_t)(s - run));
        run = s + 1;
        if (c == '"' || c == '\\') {
            tc_strbuf_appendc(sb, '\\');
            tc_strbuf_appendc(sb, (char)c);
        } else if (c == '\n') {
            tc_strbuf_appends(sb, "\\n");
        } else {
            char esc[7] = {'\\', 'u', '0', '0', hexd[c >> 4], hexd[c & 15], '\0'};
            tc_strbuf_appends(sb, esc);
        }
    }
    tc_strbuf_append(sb, run, (size_t)(s - run));
    tc_strbuf_appendc(sb, '"');
}

/* A whole number, without printf (a re-score writes millions). */
static void
json_integer(struct tc_strbuf *sb, long long n)
{
    char digits[24], *p = digits + sizeof(digits);
    unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;

    *--p = '\0';
    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (n < 0)
        *--p = '-';
    tc_strbuf_appends(sb, p);
}

/* A finite number with up to 15 significant digits ("%.15g"), else null. */
static void
json_number(struct tc_strbuf *sb, double v)
{
    if (!isfinite(v))
        tc_strbuf_appends(sb, "null");
    else if (fabs(v) < 1e15 && v == trunc(v) && !(v == 0 && signbit(v)))
        json_integer(sb, (long long)v); /* what "%.15g" writes for these */
    else
        tc_strbuf_appendf(sb, "%.15g", v);
}

static void
json_texts(struct tc_strbuf *sb, const char *vi, const char *en)
{
    tc_strbuf_appends(sb, "{\"vi\":");
    tc_rules_json_string(sb, vi);
    tc_strbuf_appends(sb, ",\"en\":");
    tc_rules_json_string(sb, en);
    tc_strbuf_appendc(sb, '}');
}

void
tc_score_emit_gates(struct tc_strbuf *sb, const struct tc_score *s, bool texts)
{
    static const char *const names[] = {"pass", "fail", "n/a"};

    tc_strbuf_appendc(sb, '[');
    for (size_t i = 0; i < s->n_gates; i++) {
        const struct tc_gate_result *g = &s->gates[i];
        tc_strbuf_appends(sb, i > 0 ? ",{\"id\":" : "{\"id\":");
        tc_rules_json_string(sb, g->id);
        tc_strbuf_appends(sb, ",\"outcome\":\"");
        tc_strbuf_appends(sb, names[g->outcome]);
        tc_strbuf_appends(sb, "\",\"reason\":");
        tc_rules_json_string(sb, g->reason);
        if (texts) {
            tc_strbuf_appends(sb, ",\"message\":");
            json_texts(sb, g->message_vi, g->message_en);
        }
        tc_strbuf_appendc(sb, '}');
    }
    tc_strbuf_appendc(sb, ']');
}

void
tc_score_emit_points(struct tc_strbuf *sb, const struct tc_score *s, bool texts)
{
    tc_strbuf_appendc(sb, '[');
    for (size_t i = 0; i < s->n_points; i++) {
        const struct tc_points_result *p = &s->points[i];
        tc_strbuf_appends(sb, i > 0 ? ",{\"id\":" : "{\"id\":");
        tc_rules_json_string(sb, p->id);
        tc_strbuf_appends(sb, ",\"points\":");
        json_number(sb, p->points);
        tc_strbuf_appends(sb, ",\"max\":");
        json_number(sb, p->max);
        tc_strbuf_appends(sb, ",\"value\":");
        json_number(sb, p->value);
        tc_strbuf_appends(sb, p->answered ? ",\"answered\":true" : ",\"answered\":false");
        if (texts) {
            tc_strbuf_appends(sb, ",\"label\":");
            json_texts(sb, p->label_vi, p->label_en);
        }
        tc_strbuf_appendc(sb, '}');
    }
    tc_strbuf_appendc(sb, ']');
}

void
tc_score_emit_ties(struct tc_strbuf *sb, const struct tc_score *s)
{
    tc_strbuf_appendc(sb, '[');
    for (size_t i = 0; i < s->n_ties; i++) {
        tc_strbuf_appends(sb, i > 0 ? ",{\"id\":" : "{\"id\":");
        tc_rules_json_string(sb, s->ties[i].id);
        tc_strbuf_appends(sb, ",\"value\":");
        json_number(sb, s->ties[i].value);
        tc_strbuf_appends(sb,
                          s->ties[i].descending ? ",\"order\":\"desc\"}" : ",\"order\":\"asc\"}");
    }
    tc_strbuf_appendc(sb, ']');
}

static void
json_money(struct tc_strbuf *sb, bool has, long long v)
{
    if (has)
        json_integer(sb, v);
    else
        tc_strbuf_appends(sb, "null");
}

void
tc_score_emit_reasons(struct tc_strbuf *sb, const struct tc_score *s)
{
    const struct tc_money_terms *t = &s->money;
    bool first = true;

    tc_strbuf_appendf(
        sb, "{\"recommendation\":\"%s\",\"message\":", tc_reco_reason_code(s->reco_reason));
    tc_rules_json_string(sb, tc_reco_reason_message(s->reco_reason));
    tc_strbuf_appends(sb, ",\"failed_gates\":[");
    for (size_t i = 0; i < s->n_gates; i++)
        if (s->gates[i].outcome == TC_GATE_FAIL) {
            if (!first)
                tc_strbuf_appendc(sb, ',');
            first = false;
            tc_rules_json_string(sb, s->gates[i].reason);
        }
    tc_strbuf_appends(sb, "],\"terms\":{\"norm_item\":");
    if (s->keys.norm_item != NULL)
        tc_rules_json_string(sb, s->keys.norm_item);
    else
        tc_strbuf_appends(sb, "null");
    tc_strbuf_appends(sb, ",\"norm_row\":");
    json_money(sb, t->has_norm_row, t->norm_row_id);
    tc_strbuf_appends(sb, ",\"ceiling\":");
    json_money(sb, t->has_ceiling, t->ceiling);
    tc_strbuf_appends(sb, ",\"need\":");
    json_money(sb, s->keys.has_need, tc_rules_dong(s->keys.need));
    tc_strbuf_appends(sb, ",\"remaining\":");
    json_money(sb, t->has_allocation, t->remaining);
    tc_strbuf_appends(sb, "}}");
}

static void
emit_gates_texts(struct tc_strbuf *sb, const struct tc_score *s)
{
    tc_score_emit_gates(sb, s, true);
}

static void
emit_points_texts(struct tc_strbuf *sb, const struct tc_score *s)
{
    tc_score_emit_points(sb, s, true);
}

static char *
emit(void (*fn)(struct tc_strbuf *, const struct tc_score *), const struct tc_score *s,
     struct tc_arena *arena)
{
    struct tc_strbuf sb = TC_STRBUF_INIT(16u << 20);
    char *out = NULL;

    fn(&sb, s);
    if (!tc_strbuf_failed(&sb))
        out = tc_arena_strdup(arena, tc_strbuf_str(&sb));
    tc_strbuf_cleanup(&sb);
    return out;
}

char *
tc_score_gates_json(const struct tc_score *s, struct tc_arena *arena)
{
    return emit(emit_gates_texts, s, arena);
}

char *
tc_score_points_json(const struct tc_score *s, struct tc_arena *arena)
{
    return emit(emit_points_texts, s, arena);
}

char *
tc_score_ties_json(const struct tc_score *s, struct tc_arena *arena)
{
    return emit(tc_score_emit_ties, s, arena);
}

char *
tc_score_reasons_json(const struct tc_score *s, struct tc_arena *arena)
{
    return emit(tc_score_emit_reasons, s, arena);
}
