#ifndef TC_FORM_INTERNAL_H
#define TC_FORM_INTERNAL_H

/* Private to src/form: the model's layout, the safe parser and the ODK XPath functions. */

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "tincay/arena.h"
#include "tincay/form.h"

#define X(s) ((const xmlChar *)(s))
#define S(s) ((const char *)(s))

/*
 * An element's local name. libxml2 keeps an undeclared prefix in the name ("orx:meta" with
 * no namespace, as some Central instances send); such a prefix is dropped here too.
 */
static inline const char *
tc_local_name(const xmlNode *n)
{
    const char *colon = n->ns == NULL ? strrchr(S(n->name), ':') : NULL;

    return colon != NULL ? colon + 1 : S(n->name);
}

/* One itext entry: `texts[i]` in language i, NULL where a translation lacks it. */
struct tc_itext {
    const char *id;
    const char **texts;
};

struct tc_form_ns {
    const char *prefix, *uri;
};

/* Everything lives in `arena` except `secondary`, which tc_form_model_free frees. */
struct tc_form_model {
    struct tc_arena *arena;
    xmlDocPtr secondary; /* <instances> holding copies of the inline secondary instances */
    const char *id, *version, *title, *root_name;
    const char **languages;
    size_t n_languages, default_lang;
    const char **media;
    size_t n_media;
    struct tc_form_field *fields;
    size_t n_fields;
    const struct tc_form_field **sorted; /* by path, for tc_form_field_find */
    const char **constraint_ref;         /* per field: jr:itext id of the constraintMsg, or NULL */
    const char **required_ref;           /* per field: jr:itext id of the requiredMsg, or NULL */
    struct tc_itext *itext;              /* sorted by id */
    size_t n_itext;
    struct tc_form_ns *ns; /* prefixes in scope on <model>, for XPath */
    size_t n_ns;
    bool confidential, has_protected, has_repeats;
};

/* What a failed parse left: the first error libxml2 reported, and whether a DOCTYPE came. */
struct tc_xml_fault {
    char message[160];
    int line;
    bool doctype;
};

/*
 * Keep libxml2's per-thread error output (generic and structured) off stderr for the
 * calling thread; the parse and XPath paths call it, errors reach callers as tc_error.
 */
void tc_xml_quiet_thread(void);

/*
 * Parse untrusted bytes with the hardened options: no network, no entity substitution, no
 * DTD loading, stopped at a DOCTYPE. Returns the document, or NULL with `fault` filled.
 */
xmlDocPtr tc_xml_parse(const char *xml, size_t len, const char *url, struct tc_xml_fault *fault);

/*
 * Normalise an instance path: local names only, predicates dropped, "." and ".." resolved
 * against `base` (NULL: absolute only). NULL for a function call, union or operator.
 */
char *tc_form_normalize_path(struct tc_arena *arena, const char *base, const char *expr);

/* Growable array in an arena: returns the slot for a new element or NULL on failure. */
void *tc_form_vec_push(struct tc_arena *arena, void **items, size_t *n, size_t *cap, size_t size);

/* The itext text `id` in language `lang_index`, falling back to the default language. */
const char *tc_form_itext(const struct tc_form_model *model, const char *id, size_t lang_index);

/* The index of the form language that matches `lang`, else the default one. */
size_t tc_form_lang_index(const struct tc_form_model *model, enum tc_lang lang);

/* "HH:MM[:SS[.fff]][Z|±HH[:MM]]" → seconds since midnight UTC; false when malformed. */
bool tc_form_parse_time(const char *s, double *seconds);

/* "YYYY-MM-DD[THH:MM...]" → days since 1970-01-01 (time as a fraction); false when not. */
bool tc_form_parse_datetime(const char *s, double *days);

struct tc_xpath_cache;

/* Per-evaluation data the ODK functions reach through xmlXPathContext.userData. */
struct tc_xpath_env {
    const struct tc_form_model *model; /* may be NULL */
    struct tc_arena *arena;            /* scratch for the functions */
    size_t lang_index;
    time_t now;                   /* today() and now(): fixed for one submission */
    xmlNodePtr current;           /* current(): the node an expression is evaluated at */
    bool dates_as_numbers;        /* date(), today(), now(), date-time() give days, not strings */
    struct tc_xpath_cache *cache; /* may be NULL: every expression and regex compiled anew */
    /*
     * The evaluated document (NULL: none), into which instance('x') copies the secondary
     * instance on first use, beside its root element, under `copies`. libxml2 evaluates an
     * absolute path inside a predicate against the document of the predicate's node: in a
     * copy, `instance('v')/root/item[commune = /data/commune]` sees /data of the submission,
     * as ODK does; in the model's shared document it would see nothing.
     */
    xmlDocPtr into;
    xmlNodePtr copies;
};

/*
 * Compiled XPath expressions and regex() patterns of one evaluation run (one submission),
 * so that a repeat of n entries compiles each expression once, not n times. Bounded: past
 * its slots, expressions are compiled per call as without a cache. Belongs to one thread;
 * free it after the XPath context that uses it.
 */
struct tc_xpath_cache *tc_xpath_cache_new(void);
void tc_xpath_cache_free(struct tc_xpath_cache *cache);

/*
 * A new XPath context over `doc` with the form's namespaces, the ODK functions (default
 * namespace, jr: and odk:) and errors kept off stderr. Free with xmlXPathFreeContext.
 */
xmlXPathContextPtr tc_xpath_context_new(xmlDocPtr doc, struct tc_xpath_env *env);

/*
 * Evaluate `expr` at `node` as a boolean. Returns 1 or 0, or -1 when the expression does
 * not compile or fails to evaluate.
 */
int tc_xpath_bool(xmlXPathContextPtr ctx, xmlNodePtr node, const char *expr);

/* Evaluate `expr` at `node` as a string into the arena; NULL when it fails. */
char *tc_xpath_string(xmlXPathContextPtr ctx, xmlNodePtr node, const char *expr,
                      struct tc_arena *arena);

#endif /* TC_FORM_INTERNAL_H */
