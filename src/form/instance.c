/*
 * Submission instance + form model → values, protected values, attachments and findings.
 * Only structural faults fail; broken rules become findings (DESIGN.md, validation policy).
 */

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libxml/hash.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "form/form_internal.h"
#include "tincay/form.h"
#include "tincay/log.h"

/* Growable arrays of the result, in the caller's arena. */
struct outputs {
    struct tc_submission_value *protected_values, *report_values, *role_values;
    size_t cap_protected, cap_report, cap_roles;
    const char **attachments;
    size_t cap_attachments;
    struct tc_finding *findings;
    size_t cap_findings;
};

struct validator {
    const struct tc_form_model *m;
    struct tc_arena *arena;
    struct tc_submission *sub;
    struct tc_error *err;
    enum tc_lang lang;
    struct tc_xpath_env env;
    xmlXPathContextPtr xp;
    bool *seen;     /* per model field: met in the submission */
    bool xpath_off; /* too many elements: relevance and constraints not evaluated */
    struct outputs out;
};

/*
 * Above this many elements, expressions are not evaluated: an expression over the whole
 * instance at every one of n elements costs n squared. Real surveys stay far below it (a
 * roster of 50 people with 20 answers each is 1,000); types and choices are still checked.
 */
#define XPATH_MAX_ELEMENTS 5000

/* "`parent`/`name`" in the arena (the path of a child element); NULL when out of memory. */
static char *
child_path(struct tc_arena *arena, const char *parent, const char *name)
{
    size_t lp = strlen(parent), ln = strlen(name);
    char *out = tc_arena_alloc(arena, lp + ln + 2);

    if (out == NULL)
        return NULL;
    memcpy(out, parent, lp);
    out[lp] = '/';
    memcpy(out + lp + 1, name, ln + 1);
    return out;
}

/* tc_xpath_bool; when expressions are off, -1 (unknown) for all but true() and false(). */
static int
eval_bool(struct validator *v, xmlNodePtr node, const char *expr)
{
    if (v->xpath_off && strcmp(expr, "true()") != 0 && strcmp(expr, "false()") != 0)
        return -1;
    return tc_xpath_bool(v->xp, node, expr);
}

/* What a level of the walk passes to its children. */
struct scope {
    const char *path;  /* local names: /data/child/name */
    const char *ipath; /* with repeat positions: /data/child[2]/name */
    bool relevant;     /* every ancestor is relevant (and could be evaluated) */
    bool unknown;      /* ...or relevance was not evaluated (expressions off): no required */
    enum tc_protect protect;
    json_t *obj; /* the JSON object children go into */
};

static enum tc_status
oom(struct validator *v)
{
    return tc_fail(v->err, TC_ENOMEM, "out of memory");
}

static char *
trimmed(struct tc_arena *arena, const xmlChar *raw)
{
    const char *s = raw != NULL ? S(raw) : "";
    size_t len;

    while (isspace((unsigned char)*s))
        s++;
    len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    return tc_arena_strndup(arena, s, len);
}

static bool
has_element_child(xmlNodePtr n)
{
    for (xmlNodePtr c = n->children; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return true;
    return false;
}

/* 1-based position among same-named element siblings, and whether there are others. */
static size_t
sibling_position(xmlNodePtr n, bool *several)
{
    size_t pos = 1;

    *several = false;
    for (xmlNodePtr s = n->prev; s != NULL; s = s->prev)
        if (s->type == XML_ELEMENT_NODE && xmlStrEqual(s->name, n->name))
            pos++;
    *several = pos > 1;
    for (xmlNodePtr s = n->next; s != NULL && !*several; s = s->next)
        *several = s->type == XML_ELEMENT_NODE && xmlStrEqual(s->name, n->name);
    return pos;
}

static enum tc_status
add_finding(struct validator *v, const char *ipath, const char *rule, const char *message)
{
    struct tc_finding *f = tc_form_vec_push(v->arena, (void **)&v->out.findings,
                                            &v->sub->n_findings, &v->out.cap_findings, sizeof(*f));

    if (f == NULL)
        return oom(v);
    f->path = ipath;
    f->rule = rule;
    f->message = message;
    return TC_OK;
}

static enum tc_status
add_value(struct validator *v, struct tc_submission_value **items, size_t *n, size_t *cap,
          const struct scope *s, const struct tc_form_field *f, const char *value,
          enum tc_protect protect)
{
    struct tc_submission_value *sv =
        tc_form_vec_push(v->arena, (void **)items, n, cap, sizeof(*sv));

    if (sv == NULL)
        return oom(v);
    sv->path = s->ipath;
    sv->field = f;
    sv->value = value;
    sv->protect = protect;
    return TC_OK;
}

static bool
is_int(const char *s)
{
    size_t digits = 0;

    if (*s == '-' || *s == '+')
        s++;
    for (; isdigit((unsigned char)*s); s++)
        digits++;
    return *s == '\0' && digits > 0 && digits <= 18;
}

static bool
is_decimal(const char *s)
{
    char *end;
    double d;

    if (strspn(s, "0123456789+-.eE") != strlen(s) || *s == '\0')
        return false;
    d = strtod(s, &end);
    return *end == '\0' && isfinite(d);
}

/* "lat lon [alt [acc]]" with lat in [-90, 90] and lon in [-180, 180]. */
static bool
is_geopoint(const char *s, const char **rest)
{
    double n[4];
    int count = 0;
    char *end;

    while (count < 4) {
        while (*s == ' ')
            s++;
        if (*s == '\0' || *s == ';')
            break;
        n[count] = strtod(s, &end);
        if (end == s || !isfinite(n[count]) || (*end != ' ' && *end != '\0' && *end != ';'))
            return false;
        count++;
        s = end;
    }
    while (*s == ' ')
        s++;
    if (rest != NULL)
        *rest = s;
    else if (*s != '\0')
        return false;
    return count >= 2 && fabs(n[0]) <= 90 && fabs(n[1]) <= 180;
}

static bool
is_geolist(const char *s, size_t min_points)
{
    size_t points = 0;

    while (*s != '\0') {
        if (!is_geopoint(s, &s))
            return false;
        points++;
        if (*s == ';')
            s++;
        else if (*s != '\0')
            return false;
        while (*s == ' ')
            s++;
    }
    return points >= min_points;
}

/* An attachment name: no directory, no leading dot, no control characters. */
static bool
is_file_name(const char *s)
{
    if (s[0] == '.' || strlen(s) > 255)
        return false;
    for (; *s != '\0'; s++)
        if (*s == '/' || *s == '\\' || (unsigned char)*s < 0x20)
            return false;
    return true;
}

/* NULL when `value` is valid for `type`, else the msgid saying why not. */
static const char *
type_fault(enum tc_field_type type, const char *value)
{
    double d;

    switch (type) {
    case TC_TYPE_INT: return is_int(value) ? NULL : TC_N_("value is not a valid integer");
    case TC_TYPE_DECIMAL:
        return is_decimal(value) ? NULL : TC_N_("value is not a valid decimal number");
    case TC_TYPE_DATE:
        return strchr(value, 'T') == NULL && tc_form_parse_datetime(value, &d)
                   ? NULL
                   : TC_N_("value is not a valid date");
    case TC_TYPE_TIME:
        return tc_form_parse_time(value, &d) ? NULL : TC_N_("value is not a valid time");
    case TC_TYPE_DATETIME:
        return tc_form_parse_datetime(value, &d) ? NULL
                                                 : TC_N_("value is not a valid date and time");
    case TC_TYPE_GEOPOINT:
        return is_geopoint(value, NULL) ? NULL : TC_N_("value is not a valid geopoint");
    case TC_TYPE_GEOTRACE:
        return is_geolist(value, 2) ? NULL : TC_N_("value is not a valid geotrace");
    case TC_TYPE_GEOSHAPE:
        return is_geolist(value, 3) ? NULL : TC_N_("value is not a valid geoshape");
    case TC_TYPE_BOOLEAN:
        return strcmp(value, "true") == 0 || strcmp(value, "false") == 0 ||
                       strcmp(value, "1") == 0 || strcmp(value, "0") == 0
                   ? NULL
                   : TC_N_("value is not a valid true/false answer");
    case TC_TYPE_BINARY:
        return is_file_name(value) ? NULL : TC_N_("value is not a valid file name");
    case TC_TYPE_NONE:
    case TC_TYPE_STRING:
    case TC_TYPE_SELECT_ONE:
    case TC_TYPE_SELECT_MULTIPLE:
    case TC_TYPE_BARCODE:
    case TC_TYPE_OTHER: break;
    }
    return NULL;
}

static bool
is_choice(const struct tc_form_field *f, const char *value, size_t len)
{
    for (size_t i = 0; i < f->n_choices; i++)
        if (strlen(f->choices[i].value) == len && memcmp(f->choices[i].value, value, len) == 0)
            return true;
    return false;
}

static bool
choices_ok(const struct tc_form_field *f, const char *value)
{
    bool multiple = f->type == TC_TYPE_SELECT_MULTIPLE || strcmp(f->control, "select") == 0 ||
                    strcmp(f->control, "rank") == 0;

    if (f->n_choices == 0 || (f->flags & TC_FIELD_EXTERNAL))
        return true; /* choices not known here (external or computed itemset) */
    if (!multiple)
        return is_choice(f, value, strlen(value));
    for (const char *p = value; *p != '\0';) {
        size_t n = strcspn(p, " \t\n");
        if (n > 0 && !is_choice(f, p, n))
            return false;
        p += n;
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
    }
    return true;
}

/* The form's own message (itext in the reader's language first), else tincay's `msgid`. */
static const char *
form_message(struct validator *v, const char *ref, const char *text, const char *msgid)
{
    const char *translated = ref != NULL ? tc_form_itext(v->m, ref, v->env.lang_index) : NULL;

    if (translated != NULL)
        return translated;
    if (text[0] != '\0')
        return text;
    return tc_tr(v->lang, msgid);
}

static const char *
constraint_message(struct validator *v, const struct tc_form_field *f)
{
    return form_message(v, v->m->constraint_ref[f - v->m->fields], f->constraint_msg,
                        TC_N_("value does not satisfy the form's constraint"));
}

static const char *
required_message(struct validator *v, const struct tc_form_field *f)
{
    return form_message(v, v->m->required_ref[f - v->m->fields], f->required_msg,
                        TC_N_("this question is required"));
}

static bool
is_date_like(enum tc_field_type type)
{
    return type == TC_TYPE_DATE || type == TC_TYPE_TIME || type == TC_TYPE_DATETIME;
}

/* A date, time or dateTime text node whose content stands in as days for a while. */
struct swapped {
    xmlNodePtr text;
    xmlChar *original;
};

#define MAX_SWAPPED 512

/* Replace every date-like leaf below `el` by its value in days (times: fraction of a day). */
static size_t
dates_to_days(struct validator *v, xmlNodePtr el, const char *path, struct swapped *out, size_t n)
{
    for (xmlNodePtr c = el->children; c != NULL && n < MAX_SWAPPED; c = c->next) {
        char *cpath, num[40];
        const struct tc_form_field *f;
        xmlNodePtr t;
        double days;

        if (c->type != XML_ELEMENT_NODE ||
            (cpath = child_path(v->arena, path, tc_local_name(c))) == NULL)
            continue;
        if (has_element_child(c)) {
            n = dates_to_days(v, c, cpath, out, n);
            continue;
        }
        f = tc_form_field_find(v->m, cpath);
        t = c->children;
        if (f == NULL || !is_date_like(f->type) || t == NULL || t->type != XML_TEXT_NODE ||
            t->next != NULL || t->content == NULL)
            continue;
        if (f->type == TC_TYPE_TIME ? !tc_form_parse_time(S(t->content), &days)
                                    : !tc_form_parse_datetime(S(t->content), &days))
            continue;
        if (f->type == TC_TYPE_TIME)
            days /= 86400.0;
        snprintf(num, sizeof(num), "%.9f", days);
        out[n].text = t;
        out[n].original = t->content;
        if ((t->content = xmlStrdup(X(num))) == NULL) {
            t->content = out[n].original;
            continue;
        }
        n++;
    }
    return n;
}

/*
 * A date constraint ("`. <= today()`") is false under XPath 1.0, which compares the
 * strings as numbers (NaN). When it is, evaluate it once more with every date, time and
 * dateTime of the submission, and the date functions, in days, as ODK clients compare
 * them; the submission is restored afterwards.
 */
static int
date_constraint(struct validator *v, xmlNodePtr node, const struct tc_form_field *f)
{
    struct swapped *sw = tc_arena_calloc(v->arena, MAX_SWAPPED, sizeof(*sw));
    xmlNodePtr root = xmlDocGetRootElement(node->doc);
    char *root_path = tc_arena_printf(v->arena, "/%s", tc_local_name(root));
    size_t n;
    int ok;

    if (sw == NULL || root_path == NULL)
        return -1;
    n = dates_to_days(v, root, root_path, sw, 0);
    v->env.dates_as_numbers = true;
    ok = eval_bool(v, node, f->constraint);
    v->env.dates_as_numbers = false;
    while (n-- > 0) {
        xmlFree(sw[n].text->content);
        sw[n].text->content = sw[n].original;
    }
    return ok;
}

/* The rules of one relevant leaf: required, type, constraint, choice. */
static enum tc_status
check_leaf(struct validator *v, const struct scope *s, const struct tc_form_field *f,
           xmlNodePtr node, const char *value)
{
    const char *fault;
    int ok;

    if (value[0] == '\0') {
        if ((f->flags & TC_FIELD_REQUIRED) && !s->unknown && eval_bool(v, node, f->required) == 1)
            return add_finding(v, s->ipath, "required", required_message(v, f));
        return TC_OK;
    }
    if ((fault = type_fault(f->type, value)) != NULL)
        return add_finding(v, s->ipath, "type", tc_tr(v->lang, fault));
    if (f->flags & TC_FIELD_CONSTRAINT) {
        /* -1 (an expression libxml2 cannot evaluate) is not held against the collector. */
        ok = eval_bool(v, node, f->constraint);
        if (ok == 0 &&
            (is_date_like(f->type) || strstr(f->constraint, "date") != NULL ||
             strstr(f->constraint, "today()") != NULL || strstr(f->constraint, "now()") != NULL))
            ok = date_constraint(v, node, f);
        if (ok == 0)
            return add_finding(v, s->ipath, "constraint", constraint_message(v, f));
    }
    if (!choices_ok(f, value))
        return add_finding(v, s->ipath, "choice",
                           tc_tr(v->lang, "value is not one of the question's choices"));
    return TC_OK;
}

/* Record a leaf: JSON or protected list, attachments, report and role values. */
static enum tc_status
record_leaf(struct validator *v, const struct scope *s, const struct tc_form_field *f,
            const char *value)
{
    struct tc_submission *sub = v->sub;
    enum tc_protect protect = tc_form_field_protection(v->m, f);
    enum tc_status st;

    if (s->protect > protect)
        protect = s->protect; /* a protected group protects what it holds */
    if (protect != TC_PROTECT_NONE) {
        st = add_value(v, &v->out.protected_values, &sub->n_protected, &v->out.cap_protected, s, f,
                       value, protect);
    } else {
        json_t *j = value[0] != '\0' ? json_string(value) : json_null();
        const char *key = strrchr(s->path, '/') + 1;
        st = j != NULL && json_object_set_new(s->obj, key, j) == 0 ? TC_OK : oom(v);
    }
    if (st != TC_OK || f == NULL || value[0] == '\0')
        return st;
    if (f->type == TC_TYPE_BINARY && is_file_name(value)) {
        const char **slot =
            tc_form_vec_push(v->arena, (void **)&v->out.attachments, &sub->n_attachments,
                             &v->out.cap_attachments, sizeof(*slot));
        if (slot == NULL)
            return oom(v);
        *slot = value;
    }
    if (f->report && (st = add_value(v, &v->out.report_values, &sub->n_report, &v->out.cap_report,
                                     s, f, value, protect)) != TC_OK)
        return st;
    if (f->role != TC_FIELD_ROLE_NONE)
        st = add_value(v, &v->out.role_values, &sub->n_roles, &v->out.cap_roles, s, f, value,
                       protect);
    return st;
}

/* The JSON object a group or repeat entry named `key` fills, created under `parent`. */
static json_t *
child_object(json_t *parent, const char *key, bool repeat)
{
    json_t *obj = json_object(), *arr;

    if (obj == NULL)
        return NULL;
    if (!repeat) {
        if (json_object_set_new(parent, key, obj) != 0)
            return NULL;
        return obj;
    }
    arr = json_object_get(parent, key);
    if (!json_is_array(arr)) {
        if ((arr = json_array()) == NULL || json_object_set_new(parent, key, arr) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return json_array_append_new(arr, obj) == 0 ? obj : NULL;
}

static enum tc_status walk(struct validator *v, xmlNodePtr el, const struct scope *s);

static enum tc_status
visit(struct validator *v, xmlNodePtr c, const struct scope *parent, size_t pos, bool several)
{
    const struct tc_form_field *f;
    struct scope s = *parent;
    bool repeat;
    xmlChar *raw;
    char *value;
    enum tc_status st;

    s.path = child_path(v->arena, parent->path, tc_local_name(c));
    if (s.path == NULL)
        return oom(v);
    f = tc_form_field_find(v->m, s.path);
    repeat = several || (f != NULL && (f->flags & TC_FIELD_REPEAT));
    s.ipath = repeat ? tc_arena_printf(v->arena, "%s/%s[%zu]", parent->ipath, tc_local_name(c), pos)
                     : child_path(v->arena, parent->ipath, tc_local_name(c));
    if (s.ipath == NULL)
        return oom(v);
    if (f != NULL) {
        v->seen[f - v->m->fields] = true;
        if (f->protect > s.protect)
            s.protect = f->protect;
        if (s.relevant && (f->flags & TC_FIELD_RELEVANT)) {
            int r = eval_bool(v, c, f->relevant);
            s.unknown = s.unknown || (r == -1 && v->xpath_off);
            s.relevant = r == 1 || (r == -1 && v->xpath_off);
        }
    }
    if (has_element_child(c) || (f != NULL && (f->flags & TC_FIELD_GROUP))) {
        if ((s.obj = child_object(parent->obj, tc_local_name(c), repeat)) == NULL)
            return oom(v);
        return walk(v, c, &s);
    }
    raw = xmlNodeGetContent(c);
    value = trimmed(v->arena, raw);
    xmlFree(raw);
    if (value == NULL)
        return oom(v);
    if (f != NULL && s.relevant && (st = check_leaf(v, &s, f, c, value)) != TC_OK)
        return st;
    return record_leaf(v, &s, f, value);
}

/* Add `delta` to the count kept for `name`; returns the new count. */
static size_t
bump(xmlHashTablePtr h, const xmlChar *name, size_t delta)
{
    size_t n = (size_t)(uintptr_t)xmlHashLookup(h, name) + delta;

    return xmlHashUpdateEntry(h, name, (void *)(uintptr_t)n, NULL) == 0 ? n : 0;
}

#define FEW_CHILDREN 16

/*
 * Visit the children of `el` with their position among same-named siblings: by scanning
 * the siblings when there are few, with two counting tables when there are many (a
 * submission of a million <x/> must not cost a million squared).
 */
static enum tc_status
walk(struct validator *v, xmlNodePtr el, const struct scope *s)
{
    xmlHashTablePtr totals = NULL, running = NULL;
    enum tc_status st = TC_OK;
    size_t n = 0;

    for (xmlNodePtr c = el->children; c != NULL; c = c->next)
        n += c->type == XML_ELEMENT_NODE;
    if (n > FEW_CHILDREN) {
        if ((totals = xmlHashCreate((int)(n < 4096 ? n : 4096))) == NULL ||
            (running = xmlHashCreate((int)(n < 4096 ? n : 4096))) == NULL) {
            st = oom(v);
            goto out;
        }
        for (xmlNodePtr c = el->children; c != NULL; c = c->next)
            if (c->type == XML_ELEMENT_NODE && bump(totals, c->name, 1) == 0) {
                st = oom(v);
                goto out;
            }
    }
    for (xmlNodePtr c = el->children; c != NULL && st == TC_OK; c = c->next) {
        size_t pos;
        bool several;

        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (totals == NULL) {
            pos = sibling_position(c, &several);
        } else if ((pos = bump(running, c->name, 1)) == 0) {
            st = oom(v);
            break;
        } else {
            several = bump(totals, c->name, 0) > 1;
        }
        st = visit(v, c, s, pos, several);
    }
out:
    xmlHashFree(totals, NULL);
    xmlHashFree(running, NULL);
    return st;
}

/* The deepest existing element on `path` (local names) below the root, and its depth. */
static xmlNodePtr
deepest_existing(xmlNodePtr root, const char *path)
{
    xmlNodePtr at = root;
    const char *p = strchr(path + 1, '/');

    while (p != NULL) {
        const char *name = p + 1, *end = strchr(name, '/');
        size_t n = end != NULL ? (size_t)(end - name) : strlen(name);
        xmlNodePtr next = NULL;

        for (xmlNodePtr c = at->children; c != NULL && next == NULL; c = c->next)
            if (c->type == XML_ELEMENT_NODE && strlen(tc_local_name(c)) == n &&
                memcmp(tc_local_name(c), name, n) == 0)
                next = c;
        if (next == NULL)
            break;
        at = next;
        p = end;
    }
    return at;
}

/* Whether `f` and every field above it is relevant, evaluated at `node`. */
static bool
relevant_at(struct validator *v, const struct tc_form_field *f, xmlNodePtr node)
{
    char *path = tc_arena_strdup(v->arena, f->path);

    for (char *slash; path != NULL && (slash = strrchr(path, '/')) != NULL && slash != path;) {
        const struct tc_form_field *a = tc_form_field_find(v->m, path);
        if (a != NULL && (a->flags & TC_FIELD_RELEVANT) && eval_bool(v, node, a->relevant) != 1)
            return false;
        *slash = '\0';
    }
    return path != NULL;
}

/* Required leaves outside repeats that the submission left out altogether. */
static enum tc_status
check_missing(struct validator *v, xmlNodePtr root)
{
    for (size_t i = 0; i < v->m->n_fields; i++) {
        const struct tc_form_field *f = &v->m->fields[i];
        xmlNodePtr at;
        enum tc_status st;

        if (v->seen[i] || !(f->flags & TC_FIELD_REQUIRED) ||
            (f->flags & (TC_FIELD_GROUP | TC_FIELD_IN_REPEAT | TC_FIELD_REPEAT)))
            continue;
        at = deepest_existing(root, f->path);
        if (!relevant_at(v, f, at) || eval_bool(v, at, f->required) != 1)
            continue;
        if ((st = add_finding(v, f->path, "required", required_message(v, f))) != TC_OK)
            return st;
    }
    return TC_OK;
}

static xmlNodePtr
child_named(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent != NULL ? parent->children : NULL; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp(tc_local_name(c), name) == 0)
            return c;
    return NULL;
}

static char *
attr_any_ns(struct tc_arena *arena, xmlNodePtr n, const char *name, bool no_ns_only)
{
    for (xmlAttrPtr a = n->properties; a != NULL; a = a->next)
        if (strcmp(S(a->name), name) == 0 && (!no_ns_only || a->ns == NULL)) {
            xmlChar *raw = xmlNodeListGetString(n->doc, a->children, 1);
            char *out = trimmed(arena, raw);
            xmlFree(raw);
            return out;
        }
    return tc_arena_strdup(arena, "");
}

/* Root name, id, version, instanceID and deprecatedID. */
static enum tc_status
read_envelope(struct tc_arena *arena, xmlNodePtr root, struct tc_submission *sub,
              struct tc_error *err)
{
    xmlNodePtr meta = child_named(root, "meta");
    xmlNodePtr iid = child_named(meta, "instanceID"), dep = child_named(meta, "deprecatedID");
    xmlChar *raw_iid = iid != NULL ? xmlNodeGetContent(iid) : NULL;
    xmlChar *raw_dep = dep != NULL ? xmlNodeGetContent(dep) : NULL;

    sub->root = tc_arena_strdup(arena, tc_local_name(root));
    sub->form_id = attr_any_ns(arena, root, "id", true);
    sub->version = attr_any_ns(arena, root, "version", false);
    sub->instance_id = trimmed(arena, raw_iid);
    sub->deprecated_id = trimmed(arena, raw_dep);
    xmlFree(raw_iid);
    xmlFree(raw_dep);
    if (sub->root == NULL || sub->form_id == NULL || sub->version == NULL ||
        sub->instance_id == NULL || sub->deprecated_id == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    return TC_OK;
}

/* Elements below `n`, counting no further than `limit`. */
static size_t
count_elements(xmlNodePtr n, size_t limit)
{
    size_t count = 0;

    for (xmlNodePtr c = n->children; c != NULL && count <= limit; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            count += 1 + count_elements(c, limit - count);
    return count;
}

static enum tc_status
validate(struct validator *v, xmlDocPtr doc, xmlNodePtr root)
{
    const struct tc_form_model *m = v->m;
    json_t *values = json_object();
    struct scope top = {.relevant = true, .obj = values};
    char *dumped = NULL;
    enum tc_status st;

    v->env = (struct tc_xpath_env){.model = m,
                                   .arena = v->arena,
                                   .now = time(NULL),
                                   .lang_index = tc_form_lang_index(m, v->lang),
                                   .cache = tc_xpath_cache_new(),
                                   .into = doc};
    v->seen = tc_arena_calloc(v->arena, m->n_fields + 1, sizeof(*v->seen));
    top.path = top.ipath = tc_arena_printf(v->arena, "/%s", tc_local_name(root));
    if (values == NULL || v->seen == NULL || top.path == NULL || v->env.cache == NULL ||
        (v->xp = tc_xpath_context_new(doc, &v->env)) == NULL) {
        st = oom(v);
        goto out;
    }
    if (count_elements(root, XPATH_MAX_ELEMENTS) > XPATH_MAX_ELEMENTS) {
        v->xpath_off = true;
        tc_log(TC_LOG_WARNING, NULL,
               "submission to form \"%s\" has over %d elements: relevance and constraints "
               "not evaluated",
               m->id, XPATH_MAX_ELEMENTS);
    }
    if ((st = walk(v, root, &top)) != TC_OK || (st = check_missing(v, root)) != TC_OK)
        goto out;
    dumped = json_dumps(values, JSON_COMPACT);
    if (dumped == NULL || (v->sub->values_json = tc_arena_strdup(v->arena, dumped)) == NULL)
        st = oom(v);
out:
    free(dumped);
    json_decref(values);
    xmlXPathFreeContext(v->xp);
    tc_xpath_cache_free(v->env.cache);
    return st;
}

static void
publish(struct validator *v)
{
    v->sub->protected_values = v->out.protected_values;
    v->sub->report_values = v->out.report_values;
    v->sub->role_values = v->out.role_values;
    v->sub->attachments = v->out.attachments;
    v->sub->findings = v->out.findings;
}

enum tc_status
tc_submission_parse_with(const char *xml, size_t len, tc_model_for_fn model_for, void *ctx,
                         enum tc_lang lang, struct tc_arena *arena, struct tc_submission **out,
                         struct tc_error *err)
{
    struct validator v = {.arena = arena, .err = err, .lang = lang};
    struct tc_xml_fault fault;
    xmlDocPtr doc;
    xmlNodePtr root;
    enum tc_status st;

    *out = NULL;
    if (len > TC_SUBMISSION_MAX_BYTES)
        return tc_fail(err, TC_ETOOLARGE, "submission is larger than %u bytes",
                       TC_SUBMISSION_MAX_BYTES);
    if ((v.sub = tc_arena_calloc(arena, 1, sizeof(*v.sub))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((doc = tc_xml_parse(xml, len, "submission.xml", &fault)) == NULL) {
        if (fault.doctype)
            return tc_fail(err, TC_EBADREQ,
                           "submission has a DOCTYPE at line %d; DTDs and entities are not "
                           "allowed",
                           fault.line);
        return tc_fail(err, TC_EBADREQ, "submission is not well-formed XML: line %d: %s",
                       fault.line, fault.message);
    }
    root = xmlDocGetRootElement(doc);
    if ((st = read_envelope(arena, root, v.sub, err)) != TC_OK ||
        (model_for != NULL && (st = model_for(ctx, v.sub, &v.m, err)) != TC_OK))
        goto out;
    if (v.m != NULL &&
        (strcmp(v.sub->root, v.m->root_name) != 0 || strcmp(v.sub->form_id, v.m->id) != 0)) {
        st = tc_fail(err, TC_EBADREQ, "submission is for form \"%s\" (root \"%s\"), not \"%s\"",
                     v.sub->form_id, v.sub->root, v.m->id);
        goto out;
    }
    if (v.m != NULL && (st = validate(&v, doc, root)) != TC_OK)
        goto out;
    publish(&v);
    *out = v.sub;
out:
    xmlFreeDoc(doc);
    return st;
}

/* tc_model_for_fn giving the model it was handed. */
static enum tc_status
given_model(void *ctx, const struct tc_submission *envelope, const struct tc_form_model **model,
            struct tc_error *err)
{
    (void)envelope;
    (void)err;
    *model = *(const struct tc_form_model **)ctx;
    return TC_OK;
}

enum tc_status
tc_submission_parse(const char *xml, size_t len, const struct tc_form_model *model,
                    enum tc_lang lang, struct tc_arena *arena, struct tc_submission **out,
                    struct tc_error *err)
{
    return tc_submission_parse_with(xml, len, given_model, &model, lang, arena, out, err);
}
