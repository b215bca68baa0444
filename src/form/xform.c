/* XForm definition → form model (ODK XForms spec; tincay's tc: attributes). */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/hash.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "form/form_internal.h"
#include "tincay/csv.h"
#include "tincay/form.h"

#define TC_NS_URI  "urn:tincay:xforms"
#define JR_NS_URI  "http://openrosa.org/javarosa"
#define ORX_NS_URI "http://openrosa.org/xforms"
#define ODK_NS_URI "http://www.opendatakit.org/xforms"

/* State of one load; `nodes[i]` is the first instance element of fields[i]. */
struct loader {
    struct tc_form_model *m;
    struct tc_error *err;
    xmlDocPtr doc;
    xmlNodePtr model_el;
    xmlNodePtr *nodes;
    size_t cap_fields, cap_nodes, n_nodes, cap_media, cap_itext, cap_langs, cap_ns;
    xmlHashTablePtr by_path, by_itext, by_media; /* key → index + 1, for linear-time loads */
    tc_form_media_fn media;                      /* external instances' files, or NULL */
    void *media_ctx;
};

static bool
hash_get(xmlHashTablePtr h, const char *key, size_t *index)
{
    void *hit = xmlHashLookup(h, X(key));

    if (hit == NULL)
        return false;
    *index = (size_t)((uintptr_t)hit - 1);
    return true;
}

static bool
hash_put(xmlHashTablePtr h, const char *key, size_t index)
{
    return xmlHashAddEntry(h, X(key), (void *)(uintptr_t)(index + 1)) == 0;
}

static bool
is_element(xmlNodePtr n, const char *name)
{
    return n != NULL && n->type == XML_ELEMENT_NODE && strcmp(S(n->name), name) == 0;
}

static xmlNodePtr
first_element(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent != NULL ? parent->children : NULL; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE && (name == NULL || strcmp(S(c->name), name) == 0))
            return c;
    return NULL;
}

/* First element named `name` in document order below `top`. */
static xmlNodePtr
find_descendant(xmlNodePtr top, const char *name)
{
    for (xmlNodePtr c = top != NULL ? top->children : NULL; c != NULL; c = c->next) {
        xmlNodePtr hit;

        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp(S(c->name), name) == 0)
            return c;
        if ((hit = find_descendant(c, name)) != NULL)
            return hit;
    }
    return NULL;
}

static char *
trimmed_copy(struct tc_arena *arena, const char *s)
{
    size_t len;

    if (s == NULL)
        return tc_arena_strdup(arena, "");
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    len = strlen(s);
    while (len > 0 &&
           (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' || s[len - 1] == '\r'))
        len--;
    return tc_arena_strndup(arena, s, len);
}

/* Text content of `n`, trimmed, in the arena ("" for NULL). */
static char *
text_of(struct tc_arena *arena, xmlNodePtr n)
{
    xmlChar *raw = n != NULL ? xmlNodeGetContent(n) : NULL;
    char *out = trimmed_copy(arena, S(raw));

    xmlFree(raw);
    return out;
}

/* Attribute by local name; `ns` NULL for any namespace, "" for none. */
static xmlAttrPtr
find_attr(xmlNodePtr n, const char *name, const char *ns)
{
    for (xmlAttrPtr a = n->properties; a != NULL; a = a->next) {
        if (strcmp(S(a->name), name) != 0)
            continue;
        if (ns == NULL || (ns[0] == '\0' && a->ns == NULL) ||
            (a->ns != NULL && ns[0] != '\0' && strcmp(S(a->ns->href), ns) == 0))
            return a;
    }
    return NULL;
}

/* Attribute value in the arena, or NULL when absent. */
static char *
attr_value(struct tc_arena *arena, xmlNodePtr n, const char *name, const char *ns)
{
    xmlAttrPtr a = find_attr(n, name, ns);
    xmlChar *raw;
    char *out;

    if (a == NULL)
        return NULL;
    raw = xmlNodeListGetString(n->doc, a->children, 1);
    out = tc_arena_strdup(arena, raw != NULL ? S(raw) : "");
    xmlFree(raw);
    return out;
}

static enum tc_status
oom(struct loader *ld)
{
    return tc_fail(ld->err, TC_ENOMEM, "out of memory");
}

char *
tc_form_normalize_path(struct tc_arena *arena, const char *base, const char *expr)
{
    size_t cap = strlen(expr) + (base != NULL ? strlen(base) : 0) + 2, len = 0;
    char *out = tc_arena_alloc(arena, cap);
    const char *p = trimmed_copy(arena, expr);

    if (out == NULL || p == NULL)
        return NULL;
    if (*p != '/' && base != NULL) {
        len = strlen(base);
        memcpy(out, base, len);
    }
    out[len] = '\0';
    while (*p != '\0') {
        const char *step, *colon;
        size_t n;

        while (*p == '/')
            p++;
        step = p;
        while (*p != '\0' && *p != '/' && *p != '[') {
            if (*p == '(' || *p == '|' || *p == ' ')
                return NULL; /* a function call, union or operator: not a plain path */
            p++;
        }
        n = (size_t)(p - step);
        while (*p == '[') { /* skip predicates, nested brackets included */
            int depth = 0;
            do {
                depth += (*p == '[') - (*p == ']');
                p++;
            } while (*p != '\0' && depth > 0);
        }
        if (n == 0 || (n == 1 && step[0] == '.'))
            continue;
        if (n == 2 && step[0] == '.' && step[1] == '.') {
            char *slash = strrchr(out, '/');
            if (slash == NULL)
                return NULL;
            len = (size_t)(slash - out);
            out[len] = '\0';
            continue;
        }
        colon = memchr(step, ':', n);
        if (colon != NULL) {
            bool attr = step[0] == '@';
            n -= (size_t)(colon + 1 - step);
            step = colon + 1;
            if (attr) {
                out[len++] = '/';
                out[len++] = '@';
                memcpy(out + len, step, n);
                len += n;
                out[len] = '\0';
                continue;
            }
        }
        out[len++] = '/';
        memcpy(out + len, step, n);
        len += n;
        out[len] = '\0';
    }
    return out;
}

static struct tc_form_field *
field_by_path(struct loader *ld, const char *path, size_t *index)
{
    size_t i;

    if (!hash_get(ld->by_path, path, &i))
        return NULL;
    if (index != NULL)
        *index = i;
    return &ld->m->fields[i];
}

static void
mark_repeat(struct loader *ld, struct tc_form_field *f)
{
    f->flags |= TC_FIELD_REPEAT;
    ld->m->has_repeats = true;
}

static enum tc_status
add_fields(struct loader *ld, xmlNodePtr el, const char *parent_path)
{
    struct tc_arena *a = ld->m->arena;
    char *path = tc_arena_printf(a, "%s/%s", parent_path, tc_local_name(el));
    struct tc_form_field *f;
    enum tc_status st;

    if (path == NULL)
        return oom(ld);
    f = field_by_path(ld, path, NULL);
    if (f != NULL) { /* a second sibling of the same name: a repeat with default entries */
        mark_repeat(ld, f);
    } else {
        f = tc_form_vec_push(a, (void **)&ld->m->fields, &ld->m->n_fields, &ld->cap_fields,
                             sizeof(*f));
        xmlNodePtr *slot =
            tc_form_vec_push(a, (void **)&ld->nodes, &ld->n_nodes, &ld->cap_nodes, sizeof(*slot));
        if (f == NULL || slot == NULL || !hash_put(ld->by_path, path, ld->m->n_fields - 1))
            return oom(ld);
        *slot = el;
        f->path = path;
        f->name = strrchr(path, '/') + 1;
        f->type_name = f->required = f->relevant = f->constraint = f->calculate = "";
        f->readonly = f->constraint_msg = f->required_msg = f->preload = f->preload_params = "";
        f->control = f->label = f->itemset_nodeset = f->itemset_value = f->itemset_label = "";
        if (first_element(el, NULL) != NULL)
            f->flags |= TC_FIELD_GROUP;
        if (find_attr(el, "template", NULL) != NULL)
            mark_repeat(ld, f);
    }
    for (xmlNodePtr c = el->children; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE && (st = add_fields(ld, c, path)) != TC_OK)
            return st;
    return TC_OK;
}

static const struct {
    const char *name;
    enum tc_field_type type;
} type_names[] = {
    {"string", TC_TYPE_STRING},      {"int", TC_TYPE_INT},
    {"integer", TC_TYPE_INT},        {"decimal", TC_TYPE_DECIMAL},
    {"date", TC_TYPE_DATE},          {"time", TC_TYPE_TIME},
    {"dateTime", TC_TYPE_DATETIME},  {"geopoint", TC_TYPE_GEOPOINT},
    {"geotrace", TC_TYPE_GEOTRACE},  {"geoshape", TC_TYPE_GEOSHAPE},
    {"select1", TC_TYPE_SELECT_ONE}, {"select", TC_TYPE_SELECT_MULTIPLE},
    {"binary", TC_TYPE_BINARY},      {"barcode", TC_TYPE_BARCODE},
    {"boolean", TC_TYPE_BOOLEAN},
};

static enum tc_field_type
parse_type(const char *name)
{
    const char *colon = strchr(name, ':');
    const char *local = colon != NULL ? colon + 1 : name;

    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (strcmp(type_names[i].name, local) == 0)
            return type_names[i].type;
    return TC_TYPE_OTHER;
}

/* "jr:itext('id')" → "id" in the arena; NULL when `ref` is not such a call. */
static char *
itext_ref(struct tc_arena *arena, const char *ref)
{
    const char *open, *close;

    if (ref == NULL || (open = strstr(ref, "itext(")) == NULL)
        return NULL;
    open += 6;
    while (*open == ' ' || *open == '\'' || *open == '"')
        open++;
    close = open;
    while (*close != '\0' && *close != '\'' && *close != '"' && *close != ')')
        close++;
    return tc_arena_strndup(arena, open, (size_t)(close - open));
}

static int
cmp_itext(const void *a, const void *b)
{
    return strcmp(((const struct tc_itext *)a)->id, ((const struct tc_itext *)b)->id);
}

const char *
tc_form_itext(const struct tc_form_model *m, const char *id, size_t lang_index)
{
    struct tc_itext key = {.id = id};
    const struct tc_itext *hit;

    if (id == NULL || m->n_itext == 0)
        return NULL;
    hit = bsearch(&key, m->itext, m->n_itext, sizeof(*m->itext), cmp_itext);
    if (hit == NULL)
        return NULL;
    if (lang_index < m->n_languages && hit->texts[lang_index] != NULL)
        return hit->texts[lang_index];
    return hit->texts[m->default_lang];
}

static struct tc_itext *
itext_slot(struct loader *ld, const char *id)
{
    struct tc_form_model *m = ld->m;
    struct tc_itext *t;
    size_t i;

    if (hash_get(ld->by_itext, id, &i))
        return &m->itext[i];
    t = tc_form_vec_push(m->arena, (void **)&m->itext, &m->n_itext, &ld->cap_itext, sizeof(*t));
    if (t == NULL || !hash_put(ld->by_itext, id, m->n_itext - 1))
        return NULL;
    t->id = id;
    return t;
}

/* The text of one itext <text>: its plain <value> (no form), else its first one. */
static const char *
itext_value(struct tc_arena *arena, xmlNodePtr text)
{
    xmlNodePtr first = NULL;

    for (xmlNodePtr v = text->children; v != NULL; v = v->next) {
        if (!is_element(v, "value"))
            continue;
        if (find_attr(v, "form", NULL) == NULL)
            return text_of(arena, v);
        if (first == NULL)
            first = v;
    }
    return text_of(arena, first);
}

static enum tc_status
load_itext(struct loader *ld)
{
    struct tc_form_model *m = ld->m;
    xmlNodePtr itext = first_element(ld->model_el, "itext");
    size_t n_langs = 0;

    for (xmlNodePtr t = itext != NULL ? itext->children : NULL; t != NULL; t = t->next)
        n_langs += is_element(t, "translation");
    for (xmlNodePtr t = itext != NULL ? itext->children : NULL; t != NULL; t = t->next) {
        const char **lang;
        char *def;
        size_t li = m->n_languages;

        if (!is_element(t, "translation"))
            continue;
        lang = tc_form_vec_push(m->arena, (void **)&m->languages, &m->n_languages, &ld->cap_langs,
                                sizeof(*lang));
        if (lang == NULL)
            return oom(ld);
        if ((*lang = attr_value(m->arena, t, "lang", NULL)) == NULL)
            *lang = "";
        def = attr_value(m->arena, t, "default", NULL);
        if (def != NULL && strcmp(def, "false()") != 0)
            m->default_lang = li;
        for (xmlNodePtr x = t->children; x != NULL; x = x->next) {
            char *id;
            struct tc_itext *e;

            if (!is_element(x, "text") || (id = attr_value(m->arena, x, "id", NULL)) == NULL)
                continue;
            if ((e = itext_slot(ld, id)) == NULL)
                return oom(ld);
            if (e->texts == NULL &&
                (e->texts = tc_arena_calloc(m->arena, n_langs, sizeof(*e->texts))) == NULL)
                return oom(ld);
            if ((e->texts[li] = itext_value(m->arena, x)) == NULL)
                return oom(ld);
        }
    }
    if (m->n_itext > 0)
        qsort(m->itext, m->n_itext, sizeof(*m->itext), cmp_itext);
    return TC_OK;
}

static enum tc_status
apply_tincay_attrs(struct loader *ld, xmlNodePtr bind, const char *nodeset, struct tc_form_field *f)
{
    struct tc_arena *a = ld->m->arena;
    char *protect = attr_value(a, bind, "protect", TC_NS_URI);
    char *report = attr_value(a, bind, "report", TC_NS_URI);
    char *role = attr_value(a, bind, "role", TC_NS_URI);

    if (protect != NULL) {
        if (strcmp(protect, "personal") == 0)
            f->protect = TC_PROTECT_PERSONAL;
        else if (strcmp(protect, "confidential") == 0)
            f->protect = TC_PROTECT_CONFIDENTIAL;
        else
            return tc_fail(ld->err, TC_EINVAL,
                           "bind \"%s\" at line %ld has an unknown tc:protect \"%s\"", nodeset,
                           xmlGetLineNo(bind), protect);
        ld->m->has_protected = true;
    }
    if (report != NULL) {
        if (strcmp(report, "true") != 0 && strcmp(report, "true()") != 0 &&
            strcmp(report, "false") != 0 && strcmp(report, "false()") != 0)
            return tc_fail(ld->err, TC_EINVAL,
                           "bind \"%s\" at line %ld has an unknown tc:report \"%s\"", nodeset,
                           xmlGetLineNo(bind), report);
        f->report = strncmp(report, "true", 4) == 0;
    }
    if (role != NULL) {
        if (strcmp(role, "commune") == 0)
            f->role = TC_FIELD_ROLE_COMMUNE;
        else if (strcmp(role, "village") == 0)
            f->role = TC_FIELD_ROLE_VILLAGE;
        else if (strcmp(role, "case-code") == 0)
            f->role = TC_FIELD_ROLE_CASE_CODE;
        else
            return tc_fail(ld->err, TC_EINVAL,
                           "bind \"%s\" at line %ld has an unknown tc:role \"%s\"", nodeset,
                           xmlGetLineNo(bind), role);
    }
    return TC_OK;
}

/* Set `*slot` to the attribute's value and `flag` on the field when present. */
static bool
take_expr(struct tc_arena *a, xmlNodePtr bind, const char *name, const char **slot,
          struct tc_form_field *f, unsigned int flag)
{
    char *v = attr_value(a, bind, name, NULL);

    if (v == NULL)
        return true;
    *slot = v;
    if (v[0] != '\0' && strcmp(v, "false()") != 0)
        f->flags |= flag;
    return true;
}

/* A jr:constraintMsg or jr:requiredMsg: itext (its id kept in *ref) or the text itself. */
static const char *
form_message(struct tc_form_model *m, const char *msg, const char **ref)
{
    char *id = itext_ref(m->arena, msg);
    const char *text = id != NULL ? tc_form_itext(m, id, m->default_lang) : NULL;

    *ref = id;
    return text != NULL ? text : msg;
}

static enum tc_status
apply_bind(struct loader *ld, xmlNodePtr bind, const char *nodeset, size_t index)
{
    struct tc_form_model *m = ld->m;
    struct tc_arena *a = m->arena;
    struct tc_form_field *f = &m->fields[index];
    char *type = attr_value(a, bind, "type", NULL);
    char *msg = attr_value(a, bind, "constraintMsg", NULL);
    char *rmsg = attr_value(a, bind, "requiredMsg", NULL);
    char *v;

    if (type != NULL) {
        f->type_name = type;
        f->type = parse_type(type);
    }
    take_expr(a, bind, "required", &f->required, f, TC_FIELD_REQUIRED);
    take_expr(a, bind, "relevant", &f->relevant, f, TC_FIELD_RELEVANT);
    take_expr(a, bind, "constraint", &f->constraint, f, TC_FIELD_CONSTRAINT);
    take_expr(a, bind, "calculate", &f->calculate, f, TC_FIELD_CALCULATE);
    take_expr(a, bind, "readonly", &f->readonly, f, TC_FIELD_READONLY);
    if ((v = attr_value(a, bind, "preload", NULL)) != NULL)
        f->preload = v;
    if ((v = attr_value(a, bind, "preloadParams", NULL)) != NULL)
        f->preload_params = v;
    if (msg != NULL)
        f->constraint_msg = form_message(m, msg, &m->constraint_ref[index]);
    if (rmsg != NULL)
        f->required_msg = form_message(m, rmsg, &m->required_ref[index]);
    return apply_tincay_attrs(ld, bind, nodeset, f);
}

static enum tc_status
load_binds(struct loader *ld)
{
    struct tc_form_model *m = ld->m;
    char *root_path = tc_arena_printf(m->arena, "/%s", m->root_name);

    if (root_path == NULL ||
        (m->constraint_ref = tc_arena_calloc(m->arena, m->n_fields + 1, sizeof(char *))) == NULL ||
        (m->required_ref = tc_arena_calloc(m->arena, m->n_fields + 1, sizeof(char *))) == NULL)
        return oom(ld);
    for (xmlNodePtr b = ld->model_el->children; b != NULL; b = b->next) {
        char *nodeset, *path, *at;
        size_t index = 0;
        enum tc_status st;

        if (!is_element(b, "bind"))
            continue;
        nodeset = attr_value(m->arena, b, "nodeset", NULL);
        if (nodeset == NULL)
            nodeset = attr_value(m->arena, b, "ref", NULL);
        if (nodeset == NULL)
            return tc_fail(ld->err, TC_EINVAL, "bind at line %ld has no nodeset", xmlGetLineNo(b));
        path = tc_form_normalize_path(m->arena, root_path, nodeset);
        at = path != NULL ? strstr(path, "/@") : NULL;
        if (at != NULL) { /* an attribute of an instance node: the element must have it */
            *at = '\0';
            if (field_by_path(ld, path, &index) != NULL &&
                find_attr(ld->nodes[index], at + 2, NULL) != NULL)
                continue;
        } else if (path != NULL && field_by_path(ld, path, &index) != NULL) {
            if ((st = apply_bind(ld, b, nodeset, index)) != TC_OK)
                return st;
            continue;
        }
        return tc_fail(ld->err, TC_EINVAL,
                       "bind \"%s\" at line %ld matches no node of the primary instance", nodeset,
                       xmlGetLineNo(b));
    }
    return TC_OK;
}

/* Label of a control or item: itext in every language, or its own text. */
static enum tc_status
read_label(struct loader *ld, xmlNodePtr owner, const char **label, const char *const **labels)
{
    struct tc_form_model *m = ld->m;
    xmlNodePtr el = first_element(owner, "label");
    char *ref = el != NULL ? itext_ref(m->arena, attr_value(m->arena, el, "ref", NULL)) : NULL;
    const char **all = NULL;

    if (el == NULL) {
        *label = "";
        return TC_OK;
    }
    if (ref == NULL)
        *label = text_of(m->arena, el);
    else if ((*label = tc_form_itext(m, ref, m->default_lang)) == NULL)
        *label = ref;
    if (*label == NULL)
        return oom(ld);
    if (labels == NULL || m->n_languages == 0)
        return TC_OK;
    if ((all = tc_arena_calloc(m->arena, m->n_languages, sizeof(*all))) == NULL)
        return oom(ld);
    for (size_t i = 0; i < m->n_languages; i++) {
        const char *t = ref != NULL ? tc_form_itext(m, ref, i) : NULL;
        all[i] = t != NULL ? t : *label;
    }
    *labels = all;
    return TC_OK;
}

static enum tc_status
read_items(struct loader *ld, xmlNodePtr control, struct tc_form_field *f)
{
    struct tc_form_model *m = ld->m;
    struct tc_form_choice *choices = NULL;
    size_t n = 0, cap = 0;
    enum tc_status st;

    for (xmlNodePtr it = control->children; it != NULL; it = it->next) {
        struct tc_form_choice *c;

        if (!is_element(it, "item"))
            continue;
        c = tc_form_vec_push(m->arena, (void **)&choices, &n, &cap, sizeof(*c));
        if (c == NULL || (c->value = text_of(m->arena, first_element(it, "value"))) == NULL)
            return oom(ld);
        if ((st = read_label(ld, it, &c->label, &c->labels)) != TC_OK)
            return st;
    }
    if (n > 0) {
        f->choices = choices;
        f->n_choices = n;
    }
    return TC_OK;
}

/* The <instance> element (in model->secondary) whose id is `id`, or NULL. */
static xmlNodePtr
secondary_instance(const struct tc_form_model *m, const char *id)
{
    xmlNodePtr root = m->secondary != NULL ? xmlDocGetRootElement(m->secondary) : NULL;

    for (xmlNodePtr i = root != NULL ? root->children : NULL; i != NULL; i = i->next) {
        xmlChar *iid;
        bool hit;

        if (i->type != XML_ELEMENT_NODE)
            continue;
        iid = xmlGetProp(i, X("id"));
        hit = iid != NULL && strcmp(S(iid), id) == 0;
        xmlFree(iid);
        if (hit)
            return i;
    }
    return NULL;
}

/* Text of the child `ref` ("name", "./name" or "@name") of an item node. */
static const char *
item_part(struct tc_arena *a, xmlNodePtr item, const char *ref)
{
    if (ref[0] == '.' && ref[1] == '/')
        ref += 2;
    if (ref[0] == '@')
        return attr_value(a, item, ref + 1, NULL);
    for (xmlNodePtr c = item->children; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp(S(c->name), ref) == 0)
            return text_of(a, c);
    return NULL;
}

/* Choices of an itemset over an inline secondary instance: every item, predicates ignored. */
static enum tc_status
itemset_choices(struct loader *ld, struct tc_form_field *f, xmlNodePtr inst, const char *steps)
{
    struct tc_form_model *m = ld->m;
    struct tc_form_choice *choices = NULL;
    size_t n = 0, cap = 0;
    char *path = tc_form_normalize_path(m->arena, NULL, steps);
    char *label_ref = itext_ref(m->arena, f->itemset_label);
    char *step, *save = NULL;
    xmlNodePtr level = inst;

    if (path == NULL || (step = strtok_r(path, "/", &save)) == NULL) {
        f->flags |= TC_FIELD_EXTERNAL;
        return TC_OK;
    }
    /* Walk all but the last step by first match; the last step names the items. */
    for (char *next; (next = strtok_r(NULL, "/", &save)) != NULL; step = next) {
        xmlNodePtr c = first_element(level, step);
        if (c == NULL)
            return TC_OK;
        level = c;
    }
    for (xmlNodePtr it = level->children; it != NULL; it = it->next) {
        struct tc_form_choice *c;
        const char *value, *label;

        if (!is_element(it, step) || (value = item_part(m->arena, it, f->itemset_value)) == NULL)
            continue;
        if ((c = tc_form_vec_push(m->arena, (void **)&choices, &n, &cap, sizeof(*c))) == NULL)
            return oom(ld);
        c->value = value;
        label = item_part(m->arena, it, label_ref != NULL ? label_ref : f->itemset_label);
        if (label_ref != NULL && label != NULL) {
            const char *t = tc_form_itext(m, label, m->default_lang);
            const char **all = NULL;
            if (m->n_languages > 0 &&
                (all = tc_arena_calloc(m->arena, m->n_languages, sizeof(*all))) == NULL)
                return oom(ld);
            for (size_t i = 0; i < m->n_languages; i++)
                all[i] = tc_form_itext(m, label, i) != NULL ? tc_form_itext(m, label, i) : "";
            c->labels = all;
            label = t;
        }
        c->label = label != NULL ? label : "";
    }
    f->choices = choices;
    f->n_choices = n;
    return TC_OK;
}

static enum tc_status
read_itemset(struct loader *ld, xmlNodePtr itemset, struct tc_form_field *f)
{
    struct tc_form_model *m = ld->m;
    char *nodeset = attr_value(m->arena, itemset, "nodeset", NULL);
    xmlNodePtr value = first_element(itemset, "value"), label = first_element(itemset, "label");
    char *vref = value != NULL ? attr_value(m->arena, value, "ref", NULL) : NULL;
    char *lref = label != NULL ? attr_value(m->arena, label, "ref", NULL) : NULL;
    const char *open, *close;
    char *id;
    xmlNodePtr inst;

    f->flags |= TC_FIELD_ITEMSET;
    f->itemset_nodeset = nodeset != NULL ? nodeset : "";
    f->itemset_value = vref != NULL ? vref : "";
    f->itemset_label = lref != NULL ? lref : "";
    open = strstr(f->itemset_nodeset, "instance(");
    if (open == NULL || vref == NULL) { /* over the primary instance: known only at fill time */
        f->flags |= TC_FIELD_EXTERNAL;
        return TC_OK;
    }
    open += 9;
    while (*open == ' ' || *open == '\'' || *open == '"')
        open++;
    close = open;
    while (*close != '\0' && *close != '\'' && *close != '"' && *close != ')')
        close++;
    if ((id = tc_arena_strndup(m->arena, open, (size_t)(close - open))) == NULL)
        return oom(ld);
    while (*close != '\0' && *close != ')')
        close++;
    inst = secondary_instance(m, id);
    if (inst == NULL || *close == '\0') {
        f->flags |= TC_FIELD_EXTERNAL;
        return TC_OK;
    }
    return itemset_choices(ld, f, inst, close + 1);
}

static bool
is_control(const char *name)
{
    static const char *const controls[] = {"input", "select1", "select",   "upload", "trigger",
                                           "range", "rank",    "textarea", "secret", "odk:rank"};

    for (size_t i = 0; i < sizeof(controls) / sizeof(controls[0]); i++)
        if (strcmp(name, controls[i]) == 0)
            return true;
    return false;
}

static enum tc_status
read_control(struct loader *ld, xmlNodePtr c, struct tc_form_field *f)
{
    xmlNodePtr itemset = first_element(c, "itemset");
    enum tc_status st;

    if ((f->control = tc_arena_strdup(ld->m->arena, S(c->name))) == NULL)
        return oom(ld);
    if ((st = read_label(ld, c, &f->label, NULL)) != TC_OK)
        return st;
    if ((st = read_items(ld, c, f)) != TC_OK)
        return st;
    return itemset != NULL ? read_itemset(ld, itemset, f) : TC_OK;
}

static enum tc_status
walk_body(struct loader *ld, xmlNodePtr parent, const char *context)
{
    struct tc_arena *a = ld->m->arena;

    for (xmlNodePtr c = parent->children; c != NULL; c = c->next) {
        const char *name = S(c->name);
        char *ref, *path;
        struct tc_form_field *f;
        enum tc_status st;
        bool repeat = strcmp(name, "repeat") == 0;

        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (!repeat && strcmp(name, "group") != 0 && !is_control(name)) {
            if ((st = walk_body(ld, c, context)) != TC_OK) /* h:div and the like */
                return st;
            continue;
        }
        ref = attr_value(a, c, repeat ? "nodeset" : "ref", NULL);
        if (ref == NULL && !is_control(name))
            ref = attr_value(a, c, "nodeset", NULL);
        path = ref != NULL ? tc_form_normalize_path(a, context, ref) : tc_arena_strdup(a, context);
        f = path != NULL ? field_by_path(ld, path, NULL) : NULL;
        if (is_control(name)) {
            if (f != NULL && (st = read_control(ld, c, f)) != TC_OK)
                return st;
            continue;
        }
        if (f != NULL && repeat)
            mark_repeat(ld, f);
        if (f != NULL && f->control[0] == '\0') {
            if ((f->control = tc_arena_strdup(a, name)) == NULL)
                return oom(ld);
            if ((st = read_label(ld, c, &f->label, NULL)) != TC_OK)
                return st;
        }
        if ((st = walk_body(ld, c, path != NULL ? path : context)) != TC_OK)
            return st;
    }
    return TC_OK;
}

static enum tc_status
add_media(struct loader *ld, const char *text)
{
    static const char *const schemes[] = {"images/", "audio/", "video/", "file/", "file-csv/"};
    struct tc_form_model *m = ld->m;

    for (const char *p = strstr(text, "jr://"); p != NULL; p = strstr(p, "jr://")) {
        const char *name = NULL, *end;
        char *file;
        const char **slot;
        size_t seen;

        p += 5;
        for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
            if (strncmp(p, schemes[i], strlen(schemes[i])) == 0)
                name = p + strlen(schemes[i]);
        if (name == NULL)
            continue;
        end = name + strcspn(name, " \t\r\n'\")<>");
        if (end == name)
            continue;
        if ((file = tc_arena_strndup(m->arena, name, (size_t)(end - name))) == NULL)
            return oom(ld);
        if (hash_get(ld->by_media, file, &seen))
            continue;
        slot = tc_form_vec_push(m->arena, (void **)&m->media, &m->n_media, &ld->cap_media,
                                sizeof(*slot));
        if (slot == NULL || !hash_put(ld->by_media, file, m->n_media - 1))
            return oom(ld);
        *slot = file;
    }
    return TC_OK;
}

static enum tc_status
collect_media(struct loader *ld, xmlNodePtr n)
{
    enum tc_status st;

    for (; n != NULL; n = n->next) {
        if (n->type == XML_TEXT_NODE && n->content != NULL &&
            (st = add_media(ld, S(n->content))) != TC_OK)
            return st;
        if (n->type != XML_ELEMENT_NODE)
            continue;
        for (xmlAttrPtr at = n->properties; at != NULL; at = at->next)
            if (at->children != NULL && at->children->content != NULL &&
                (st = add_media(ld, S(at->children->content))) != TC_OK)
                return st;
        if ((st = collect_media(ld, n->children)) != TC_OK)
            return st;
    }
    return TC_OK;
}

/* Secondary instance data is namespace-less to XPath (instance('x')/root/item). */
static void
drop_default_ns(xmlNodePtr n)
{
    for (; n != NULL; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (n->ns != NULL && n->ns->prefix == NULL)
            n->ns = NULL;
        drop_default_ns(n->children);
    }
}

/* <instances>, the root of the secondary instances' document, made on first use. */
static xmlNodePtr
secondary_root(struct tc_form_model *m)
{
    xmlNodePtr root;

    if (m->secondary != NULL)
        return xmlDocGetRootElement(m->secondary);
    if ((m->secondary = xmlNewDoc(X("1.0"))) == NULL ||
        (root = xmlNewDocNode(m->secondary, NULL, X("instances"), NULL)) == NULL)
        return NULL;
    xmlDocSetRootElement(m->secondary, root);
    return root;
}

/*
 * A CSV file as ODK Collect reads one into an instance: <root>, an <item> per row, a child
 * per column named by the header row (columns whose names are not XML names are left out).
 */
static bool
csv_into(xmlNodePtr inst, const unsigned char *bytes, size_t len, struct tc_arena *arena)
{
    char *text = tc_arena_alloc(arena, len + 1);
    struct tc_error ignored = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_csv_row *rows;
    size_t n = 0;
    xmlNodePtr root;

    if (text == NULL)
        return false;
    memcpy(text, bytes, len);
    text[len] = '\0';
    if (tc_csv_parse(text, len, "csv", arena, &rows, &n, &ignored) != TC_OK || n == 0)
        return false;
    if ((root = xmlNewChild(inst, NULL, X("root"), NULL)) == NULL)
        return false;
    for (size_t r = 1; r < n; r++) {
        xmlNodePtr item = xmlNewChild(root, NULL, X("item"), NULL);

        for (size_t c = 0; item != NULL && c < rows[0].n && c < rows[r].n; c++)
            if (xmlValidateNCName(X(rows[0].fields[c]), 0) == 0 &&
                xmlNewTextChild(item, NULL, X(rows[0].fields[c]), X(rows[r].fields[c])) == NULL)
                return false;
        if (item == NULL)
            return false;
    }
    return true;
}

/* An XML file's root element, copied under `inst` (parsed as safely as submissions). */
static bool
xml_into(xmlNodePtr inst, const unsigned char *bytes, size_t len)
{
    struct tc_xml_fault fault;
    xmlDocPtr doc = tc_xml_parse((const char *)bytes, len, "instance.xml", &fault);
    xmlNodePtr copy = NULL;

    if (doc != NULL && xmlDocGetRootElement(doc) != NULL &&
        (copy = xmlDocCopyNode(xmlDocGetRootElement(doc), inst->doc, 1)) != NULL &&
        xmlAddChild(inst, copy) == NULL) {
        xmlFreeNode(copy);
        copy = NULL;
    }
    if (copy != NULL)
        drop_default_ns(copy);
    xmlFreeDoc(doc);
    return copy != NULL;
}

/*
 * An external instance (<instance id="x" src="jr://file-csv/x.csv"> or jr://file/x.xml)
 * from the form's media file, when there is a reader and the file: as Collect sees it.
 * A file missing, or one that does not read, leaves the instance out, as before media:
 * its itemsets' choices are then not checked. Only a failing reader is an error.
 */
static enum tc_status
load_external(struct loader *ld, xmlNodePtr i, const char *src)
{
    static const char csv[] = "jr://file-csv/", xml[] = "jr://file/";
    const char *id = attr_value(ld->m->arena, i, "id", NULL), *name;
    const unsigned char *bytes = NULL;
    size_t len = 0;
    bool is_csv = strncmp(src, csv, sizeof(csv) - 1) == 0;
    xmlNodePtr root, inst;
    enum tc_status st;

    if (ld->media == NULL || id == NULL)
        return TC_OK;
    if (!is_csv && strncmp(src, xml, sizeof(xml) - 1) != 0)
        return TC_OK;
    name = src + (is_csv ? sizeof(csv) : sizeof(xml)) - 1;
    if ((st = ld->media(ld->media_ctx, name, &bytes, &len, ld->err)) != TC_OK || bytes == NULL)
        return st;
    if ((root = secondary_root(ld->m)) == NULL ||
        (inst = xmlNewChild(root, NULL, X("instance"), NULL)) == NULL ||
        xmlNewProp(inst, X("id"), X(id)) == NULL)
        return oom(ld);
    if (!(is_csv ? csv_into(inst, bytes, len, ld->m->arena) : xml_into(inst, bytes, len))) {
        xmlUnlinkNode(inst); /* unreadable: as if missing */
        xmlFreeNode(inst);
    }
    return TC_OK;
}

static enum tc_status
load_secondary(struct loader *ld, xmlNodePtr primary)
{
    for (xmlNodePtr i = primary != NULL ? primary->next : NULL; i != NULL; i = i->next) {
        const char *src;
        xmlNodePtr copy, root;
        enum tc_status st;

        if (!is_element(i, "instance"))
            continue;
        if ((src = attr_value(ld->m->arena, i, "src", NULL)) != NULL) {
            if ((st = load_external(ld, i, src)) != TC_OK)
                return st;
            continue;
        }
        if ((root = secondary_root(ld->m)) == NULL ||
            (copy = xmlDocCopyNode(i, ld->m->secondary, 1)) == NULL ||
            xmlAddChild(root, copy) == NULL)
            return oom(ld);
        drop_default_ns(copy->children);
    }
    return TC_OK;
}

static enum tc_status
load_namespaces(struct loader *ld)
{
    static const struct tc_form_ns defaults[] = {
        {"jr", JR_NS_URI}, {"orx", ORX_NS_URI}, {"odk", ODK_NS_URI}, {"tc", TC_NS_URI}};
    struct tc_form_model *m = ld->m;
    xmlNsPtr *list = xmlGetNsList(ld->doc, ld->model_el);
    enum tc_status st = TC_OK;

    for (size_t i = 0; list != NULL && list[i] != NULL && st == TC_OK; i++) {
        struct tc_form_ns *ns;
        if (list[i]->prefix == NULL)
            continue;
        ns = tc_form_vec_push(m->arena, (void **)&m->ns, &m->n_ns, &ld->cap_ns, sizeof(*ns));
        if (ns == NULL || (ns->prefix = tc_arena_strdup(m->arena, S(list[i]->prefix))) == NULL ||
            (ns->uri = tc_arena_strdup(m->arena, S(list[i]->href))) == NULL)
            st = oom(ld);
    }
    xmlFree(list);
    for (size_t d = 0; d < sizeof(defaults) / sizeof(defaults[0]) && st == TC_OK; d++) {
        bool have = false;
        struct tc_form_ns *ns;
        for (size_t i = 0; i < m->n_ns; i++)
            have = have || strcmp(m->ns[i].prefix, defaults[d].prefix) == 0;
        if (have)
            continue;
        ns = tc_form_vec_push(m->arena, (void **)&m->ns, &m->n_ns, &ld->cap_ns, sizeof(*ns));
        if (ns == NULL)
            return oom(ld);
        *ns = defaults[d];
    }
    return st;
}

static int
cmp_field_ptr(const void *a, const void *b)
{
    return strcmp((*(const struct tc_form_field *const *)a)->path,
                  (*(const struct tc_form_field *const *)b)->path);
}

static enum tc_status
finish_fields(struct loader *ld)
{
    struct tc_form_model *m = ld->m;

    /* Fields are in document order, so a parent's flags are final before its children's. */
    for (size_t i = 0; i < m->n_fields; i++) {
        struct tc_form_field *f = &m->fields[i];
        char *parent = tc_arena_strndup(m->arena, f->path, (size_t)(f->name - 1 - f->path));
        size_t p;

        if (parent == NULL)
            return oom(ld);
        if (hash_get(ld->by_path, parent, &p) &&
            (m->fields[p].flags & (TC_FIELD_REPEAT | TC_FIELD_IN_REPEAT)))
            f->flags |= TC_FIELD_IN_REPEAT;
    }
    if ((m->sorted = tc_arena_calloc(m->arena, m->n_fields + 1, sizeof(*m->sorted))) == NULL)
        return oom(ld);
    for (size_t i = 0; i < m->n_fields; i++)
        m->sorted[i] = &m->fields[i];
    qsort(m->sorted, m->n_fields, sizeof(*m->sorted), cmp_field_ptr);
    return TC_OK;
}

/* The primary instance's root: id, version, whole-form protection, fields. */
static enum tc_status
load_primary(struct loader *ld, xmlNodePtr *primary_out)
{
    struct tc_form_model *m = ld->m;
    xmlNodePtr primary = first_element(ld->model_el, "instance");
    xmlNodePtr root = first_element(primary, NULL);
    char *protect, *version;

    if (root == NULL)
        return tc_fail(ld->err, TC_EINVAL, "form has no primary instance (model at line %ld)",
                       xmlGetLineNo(ld->model_el));
    m->root_name = tc_local_name(root);
    m->id = attr_value(m->arena, root, "id", "");
    if (m->id == NULL || m->id[0] == '\0')
        return tc_fail(ld->err, TC_EINVAL,
                       "primary instance root \"%s\" at line %ld has no id attribute", m->root_name,
                       xmlGetLineNo(root));
    version = attr_value(m->arena, root, "version", NULL);
    m->version = version != NULL ? version : "";
    protect = attr_value(m->arena, root, "protect", TC_NS_URI);
    if (protect != NULL) {
        if (strcmp(protect, "confidential") != 0)
            return tc_fail(ld->err, TC_EINVAL,
                           "primary instance root at line %ld has tc:protect \"%s\"; only "
                           "\"confidential\" applies to a whole form",
                           xmlGetLineNo(root), protect);
        m->confidential = m->has_protected = true;
    }
    if ((m->root_name = tc_arena_strdup(m->arena, m->root_name)) == NULL)
        return oom(ld);
    *primary_out = primary;
    return add_fields(ld, root, "");
}

static enum tc_status
load_document(struct loader *ld)
{
    struct tc_form_model *m = ld->m;
    xmlNodePtr html = xmlDocGetRootElement(ld->doc), head, body, primary = NULL;
    enum tc_status st;

    head = is_element(html, "head") ? html : first_element(html, "head");
    ld->model_el = is_element(html, "model") ? html : find_descendant(head ? head : html, "model");
    if (ld->model_el == NULL)
        return tc_fail(ld->err, TC_EINVAL, "form has no model element");
    if ((st = load_itext(ld)) != TC_OK || (st = load_primary(ld, &primary)) != TC_OK ||
        (st = load_secondary(ld, primary)) != TC_OK || (st = load_binds(ld)) != TC_OK ||
        (st = load_namespaces(ld)) != TC_OK)
        return st;
    m->title = text_of(m->arena, head != NULL ? first_element(head, "title") : NULL);
    body = first_element(html, "body");
    if (body != NULL && (st = walk_body(ld, body, "")) != TC_OK)
        return st;
    if ((st = collect_media(ld, html)) != TC_OK)
        return st;
    return finish_fields(ld);
}

enum tc_status
tc_form_load(const char *xml, size_t len, struct tc_form_model **out, struct tc_error *err)
{
    return tc_form_load_with_media(xml, len, NULL, NULL, out, err);
}

enum tc_status
tc_form_load_with_media(const char *xml, size_t len, tc_form_media_fn media, void *media_ctx,
                        struct tc_form_model **out, struct tc_error *err)
{
    struct loader ld = {.err = err, .media = media, .media_ctx = media_ctx};
    struct tc_xml_fault fault;
    enum tc_status st = TC_ENOMEM;

    *out = NULL;
    if (len > TC_FORM_MAX_BYTES)
        return tc_fail(err, TC_ETOOLARGE, "form definition is larger than %u bytes",
                       TC_FORM_MAX_BYTES);
    if ((ld.m = calloc(1, sizeof(*ld.m))) == NULL ||
        (ld.m->arena = tc_arena_create(32 * 1024)) == NULL) {
        free(ld.m);
        return tc_fail(err, TC_ENOMEM, "out of memory");
    }
    ld.by_path = xmlHashCreate(64);
    ld.by_itext = xmlHashCreate(64);
    ld.by_media = xmlHashCreate(16);
    if (ld.by_path == NULL || ld.by_itext == NULL || ld.by_media == NULL) {
        st = tc_fail(err, TC_ENOMEM, "out of memory");
        goto out;
    }
    ld.doc = tc_xml_parse(xml, len, "form.xml", &fault);
    if (ld.doc == NULL) {
        if (fault.doctype)
            st = tc_fail(err, TC_EINVAL,
                         "form has a DOCTYPE at line %d; DTDs and entities "
                         "are not allowed",
                         fault.line);
        else
            st = tc_fail(err, TC_EINVAL, "form is not well-formed XML: line %d: %s", fault.line,
                         fault.message);
        goto out;
    }
    st = load_document(&ld);
out:
    xmlHashFree(ld.by_path, NULL);
    xmlHashFree(ld.by_itext, NULL);
    xmlHashFree(ld.by_media, NULL);
    xmlFreeDoc(ld.doc);
    if (st != TC_OK)
        tc_form_model_free(ld.m);
    else
        *out = ld.m;
    return st;
}

void
tc_form_model_free(struct tc_form_model *model)
{
    if (model == NULL)
        return;
    xmlFreeDoc(model->secondary);
    tc_arena_destroy(model->arena);
    free(model);
}
