#ifndef TC_WEB_XFORM_H
#define TC_WEB_XFORM_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/status.h"

struct json_t;
struct tc_arena;

/*
 * What the web pages need of form definitions, behind a small interface: tincay/form.h
 * and web/urlencoded.h both name a `struct tc_form_field`, so a page that reads posted
 * forms cannot include the form library itself.
 */

/* How a stored value reads on a page. */
enum tc_web_value_kind {
    TC_WEB_VALUE_TEXT = 0,
    TC_WEB_VALUE_DATE,        /* "2026-11-20" shown as "20/11/2026" */
    TC_WEB_VALUE_SELECT_ONE,  /* a choice's value shown as its label */
    TC_WEB_VALUE_SELECT_MANY, /* space-separated values shown as their labels */
};

struct tc_web_choice {
    const char *value, *label;
};

/* A field of a form as a page shows it: its path, label and whether its value is protected. */
struct tc_web_column {
    const char *path;  /* "/data/group/name" (local names) */
    const char *label; /* the label in the form's default language, else the element name */
    bool is_protected; /* personal or confidential: not among the plain values */
    bool is_repeat;    /* a repeat: its value is a list of entries */
    enum tc_web_value_kind kind;
    const struct tc_web_choice *choices; /* of a select with choices in the form */
    size_t n_choices;
};

/* Which fields tc_web_xform_columns returns, besides the single values outside repeats. */
enum {
    TC_WEB_COLUMNS_REPEATS = 1u << 0, /* the repeats too, each as one column */
    TC_WEB_COLUMNS_ANSWERS = 1u << 1  /* only what a person answers: no preload, no note */
};

/*
 * The fields of the stored form xml[0..len) that hold one value each, outside repeats and
 * the meta block, in document order, as `flags` (TC_WEB_COLUMNS_*) narrow or widen them;
 * at most `max`. Strings live in `arena`.
 */
enum tc_status tc_web_xform_columns(const unsigned char *xml, size_t len, size_t max,
                                    unsigned int flags, struct tc_arena *arena,
                                    struct tc_web_column **out, size_t *n_out,
                                    struct tc_error *err);

/*
 * The value at `path` (below the root element) in a submission's values object: the
 * string itself, a compact JSON text for a list or group (in `arena`), or NULL when
 * absent or empty.
 */
const char *tc_web_value_at(const struct json_t *values, const char *path, struct tc_arena *arena);

/*
 * `raw` (a value of column `c`, or NULL) as a page shows it: a date as dd/mm/yyyy, a choice
 * by its label (the value itself when the form lists no such choice). In `arena`.
 */
const char *tc_web_column_display(const struct tc_web_column *c, const char *raw,
                                  struct tc_arena *arena);

#endif /* TC_WEB_XFORM_H */
