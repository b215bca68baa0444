/*
 * Loading a ruleset (docs/rules.md): parse with the hardened parser, compile every
 * expression, and check every field, function and variable it names against the form.
 */

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "rules/rules_internal.h"
#include "tincay/arena.h"
#include "tincay/strbuf.h"

const char *const tc_rules_variables[] = {
    "area_found",
    "area_verified",
    "area_kv",
    "area_dbkk",
    "registry_duplicate",
    "registry_p8",
    "counterpart_required",
    "counterpart_min_share",
};
const size_t tc_rules_variable_count = sizeof(tc_rules_variables) / sizeof(tc_rules_variables[0]);

/* Functions whose answer depends on the clock or chance: a score must be reproducible. */
static const char *const unstable_functions[] = {"today", "now", "random", "uuid", "once"};

/* Node tests that look like calls but are not functions. */
static const char *const node_tests[] = {"text", "node", "comment", "processing-instruction"};

struct loader {
    struct tc_ruleset *rs;
    const struct tc_form_model *form;
    xmlXPathContextPtr ctx; /* for function lookup only */
    struct tc_xpath_env env;
    struct tc_error *err;
};

static bool
in_list(const char *const *list, size_t n, const char *s, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]) == len && strncmp(list[i], s, len) == 0)
            return true;
    return false;
}

static bool
name_start(int c)
{
    return isalpha(c) || c == '_' || (c & 0x80);
}

static bool
name_char(int c)
{
    return name_start(c) || isdigit(c) || c == '-' || c == '.' || c == ':';
}

/* The end of the bracket opened at p ('[' or '('), quotes skipped; NULL when unbalanced. */
static const char *
matching(const char *p)
{
    char open = *p, close = open == '[' ? ']' : ')';
    int depth = 0;

    for (; *p != '\0'; p++) {
        if (*p == '\'' || *p == '"') {
            const char *q = strchr(p + 1, *p);
            if (q == NULL)
                return NULL;
            p = q;
        } else if (*p == open) {
            depth++;
        } else if (*p == close && --depth == 0) {
            return p;
        }
    }
    return NULL;
}

static enum tc_status scan(struct loader *ld, long line, const char *p, const char *end,
                           const char *base);

static enum tc_status
check_field(struct loader *ld, long line, const char *path)
{
    const struct tc_form_field *f;
    char root[300];

    snprintf(root, sizeof(root), "/%s", ld->rs->root_name);
    if (strcmp(path, root) == 0)
        return TC_OK;
    if ((f = tc_form_field_find(ld->form, path)) == NULL)
        return tc_fail(ld->err, TC_EINVAL, "line %ld: field \"%s\" is not in form \"%s\"", line,
                       path, ld->rs->form_id);
    if (tc_form_field_protection(ld->form, f) != TC_PROTECT_NONE)
        return tc_fail(ld->err, TC_EINVAL,
                       "line %ld: field \"%s\" is protected and cannot be read by rules", line,
                       path);
    return TC_OK;
}

static enum tc_status
check_function(struct loader *ld, long line, const char *name, size_t len)
{
    const char *colon = memchr(name, ':', len);
    char buf[64];

    if (colon != NULL) {
        len -= (size_t)(colon + 1 - name);
        name = colon + 1;
    }
    if (in_list(node_tests, sizeof(node_tests) / sizeof(node_tests[0]), name, len))
        return TC_OK;
    if (len >= sizeof(buf))
        return tc_fail(ld->err, TC_EINVAL, "line %ld: unknown function \"%.*s\"", line, (int)len,
                       name);
    memcpy(buf, name, len);
    buf[len] = '\0';
    if (in_list(unstable_functions, sizeof(unstable_functions) / sizeof(unstable_functions[0]),
                name, len))
        return tc_fail(ld->err, TC_EINVAL,
                       "line %ld: function \"%s\" is not allowed in rules (scores must be "
                       "reproducible)",
                       line, buf);
    if (xmlXPathFunctionLookup(ld->ctx, X(buf)) == NULL)
        return tc_fail(ld->err, TC_EINVAL, "line %ld: unknown function \"%s\"", line, buf);
    return TC_OK;
}

/* Append one step to `path` (capacity cap): ".." pops, "." stays, a name is pushed. */
static bool
push_step(char *path, size_t cap, const char *step, size_t n)
{
    size_t len = strlen(path);
    const char *colon = memchr(step, ':', n);

    if (n == 1 && step[0] == '.')
        return true;
    if (n == 2 && step[0] == '.' && step[1] == '.') {
        char *slash = strrchr(path, '/');
        if (slash == NULL)
            return false;
        *slash = '\0';
        return true;
    }
    if (colon != NULL) {
        n -= (size_t)(colon + 1 - step);
        step = colon + 1;
    }
    if (len + n + 2 > cap)
        return false;
    path[len] = '/';
    memcpy(path + len + 1, step, n);
    path[len + 1 + n] = '\0';
    return true;
}

/*
 * A location path starting at *pp. `base` is the context path for a relative one (NULL:
 * not checkable, as after a function call). Predicates are scanned with the step as base.
 */
static enum tc_status
scan_path(struct loader *ld, long line, const char **pp, const char *end, const char *base,
          bool checkable)
{
    const char *p = *pp;
    bool absolute = *p == '/';
    bool attr = false;
    char path[512] = "";
    enum tc_status st;

    if (!absolute && base != NULL)
        snprintf(path, sizeof(path), "%s", base);
    checkable = checkable && (absolute || base != NULL);
    while (p < end) {
        const char *step;

        if (*p == '/') {
            if (p + 1 < end && p[1] == '/')
                return tc_fail(ld->err, TC_EINVAL,
                               "line %ld: \"//\" is not allowed in rules; name the field by its "
                               "full path",
                               line);
            p++;
        }
        if (p < end && *p == '*')
            return tc_fail(ld->err, TC_EINVAL,
                           "line %ld: wildcard steps are not allowed in rules; name the field",
                           line);
        if (p < end && *p == '@') {
            attr = true;
            p++;
        }
        step = p;
        if (p < end && *p == '.') {
            while (p < end && *p == '.')
                p++;
        } else {
            while (p < end && name_char((unsigned char)*p) && !(*p == ':' && p[1] == ':'))
                p++;
        }
        if (p == step)
            break; /* "/" alone: the root */
        if (p + 1 < end && p[0] == ':' && p[1] == ':')
            return tc_fail(ld->err, TC_EINVAL,
                           "line %ld: axes are not allowed in rules; name the field by its path",
                           line);
        if (!attr && !push_step(path, sizeof(path), step, (size_t)(p - step)))
            return tc_fail(ld->err, TC_EINVAL, "line %ld: path \"%.*s\" leaves the instance", line,
                           (int)(p - *pp), *pp);
        while (p < end && *p == '[') {
            const char *close = matching(p);
            if (close == NULL || close >= end)
                return tc_fail(ld->err, TC_EINVAL, "line %ld: unbalanced \"[\"", line);
            if ((st = scan(ld, line, p + 1, close, checkable ? path : NULL)) != TC_OK)
                return st;
            p = close + 1;
        }
        if (attr || p >= end || *p != '/')
            break;
    }
    *pp = p;
    if (checkable && !attr && path[0] != '\0')
        return check_field(ld, line, path);
    return TC_OK;
}

static const char *
skip_space(const char *p, const char *end)
{
    while (p < end && isspace((unsigned char)*p))
        p++;
    return p;
}

/* Scan expr[p..end): fields, functions and variables it names. */
static enum tc_status
scan(struct loader *ld, long line, const char *p, const char *end, const char *base)
{
    char prev = '\0'; /* last significant character before the current token */
    enum tc_status st;

    while ((p = skip_space(p, end)) < end) {
        const char *start = p;

        if (*p == '\'' || *p == '"') {
            const char *q = memchr(p + 1, *p, (size_t)(end - p - 1));
            p = q != NULL ? q + 1 : end;
            prev = '\'';
        } else if (*p == '$') {
            p++;
            while (p < end && name_char((unsigned char)*p))
                p++;
            if (!in_list(tc_rules_variables, tc_rules_variable_count, start + 1,
                         (size_t)(p - start - 1)))
                return tc_fail(ld->err, TC_EINVAL, "line %ld: unknown variable \"%.*s\"", line,
                               (int)(p - start), start);
            prev = 'v';
        } else if (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1]))) {
            while (p < end && (isdigit((unsigned char)*p) || *p == '.'))
                p++;
            prev = '0';
        } else if (*p == '[') {
            const char *close = matching(p);
            if (close == NULL || close >= end)
                return tc_fail(ld->err, TC_EINVAL, "line %ld: unbalanced \"[\"", line);
            if ((st = scan(ld, line, p + 1, close, NULL)) != TC_OK)
                return st;
            p = close + 1;
            prev = ']';
        } else if (name_start((unsigned char)*p) || *p == '/' || *p == '.' || *p == '@') {
            const char *q = p;
            while (q < end && name_char((unsigned char)*q) && !(*q == ':' && q[1] == ':'))
                q++;
            if (q > p && name_start((unsigned char)*p) && prev != '\0' && prev != '(' &&
                prev != ',' && prev != 'o' && prev != '[' &&
                in_list((const char *const[]){"and", "or", "div", "mod"}, 4, p, (size_t)(q - p))) {
                p = q;
                prev = 'o';
                continue;
            }
            if (q > p && name_start((unsigned char)*p) && *skip_space(q, end) == '(') {
                if ((st = check_function(ld, line, p, (size_t)(q - p))) != TC_OK)
                    return st;
                p = q;
                prev = 'f';
                continue;
            }
            if ((st = scan_path(ld, line, &p, end, base, prev != ')' && prev != ']')) != TC_OK)
                return st;
            prev = 'p';
        } else {
            /* operators and punctuation: after them an operand starts */
            prev = (*p == ')') ? ')' : (*p == '(' || *p == ',') ? *p : 'o';
            p++;
        }
    }
    return TC_OK;
}

/* Compile `text` (attribute `attr` of `node`) into *e, checking what it names. */
static enum tc_status
compile_expr(struct loader *ld, xmlNodePtr node, const char *attr, bool required,
             struct tc_rule_expr *e)
{
    xmlChar *v = xmlGetProp(node, X(attr));
    long line = xmlGetLineNo(node);
    char base[300];
    enum tc_status st;

    e->line = line;
    if (v == NULL) {
        if (required)
            return tc_fail(ld->err, TC_EINVAL, "line %ld: <%s> needs the attribute \"%s\"", line,
                           S(node->name), attr);
        return TC_OK;
    }
    e->text = tc_arena_strdup(ld->rs->arena, S(v));
    xmlFree(v);
    if (e->text == NULL)
        return tc_fail(ld->err, TC_ENOMEM, "out of memory");
    if ((e->comp = xmlXPathCtxtCompile(ld->ctx, X(e->text))) == NULL)
        return tc_fail(ld->err, TC_EINVAL, "line %ld: expression \"%s\" does not compile", line,
                       e->text);
    if (tc_arena_defer(ld->rs->arena, (void (*)(void *))xmlXPathFreeCompExpr, e->comp) != 0) {
        xmlXPathFreeCompExpr(e->comp);
        return tc_fail(ld->err, TC_ENOMEM, "out of memory");
    }
    snprintf(base, sizeof(base), "/%s", ld->rs->root_name);
    st = scan(ld, line, e->text, e->text + strlen(e->text), base);
    return st;
}

static const char *
attr_dup(struct loader *ld, xmlNodePtr node, const char *name)
{
    xmlChar *v = xmlGetProp(node, X(name));
    const char *out;

    if (v == NULL)
        return NULL;
    out = tc_arena_strdup(ld->rs->arena, S(v));
    xmlFree(v);
    return out;
}

static const char *
text_dup(struct loader *ld, xmlNodePtr node)
{
    xmlChar *v = xmlNodeGetContent(node);
    const char *out;
    size_t a = 0, b;

    if (v == NULL)
        return tc_arena_strdup(ld->rs->arena, "");
    b = strlen(S(v));
    while (a < b && isspace(v[a]))
        a++;
    while (b > a && isspace(v[b - 1]))
        b--;
    out = tc_arena_strndup(ld->rs->arena, S(v) + a, b - a);
    xmlFree(v);
    return out;
}

static bool
is_elem(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp(S(n->name), name) == 0;
}

/* The vi and en texts of the <tag lang="..."> children of `node`; both required. */
static enum tc_status
texts(struct loader *ld, xmlNodePtr node, const char *tag, const char **vi, const char **en)
{
    *vi = *en = NULL;
    for (xmlNodePtr c = node->children; c != NULL; c = c->next) {
        const char *lang;
        if (!is_elem(c, tag))
            continue;
        lang = attr_dup(ld, c, "lang");
        if (lang != NULL && strcmp(lang, "vi") == 0)
            *vi = text_dup(ld, c);
        else if (lang != NULL && strcmp(lang, "en") == 0)
            *en = text_dup(ld, c);
    }
    if (*vi == NULL || *en == NULL || (*vi)[0] == '\0' || (*en)[0] == '\0')
        return tc_fail(ld->err, TC_EINVAL,
                       "line %ld: <%s> needs a <%s lang=\"vi\"> and a <%s lang=\"en\">",
                       xmlGetLineNo(node), S(node->name), tag, tag);
    return TC_OK;
}

static const char *
basis_of(struct loader *ld, xmlNodePtr node)
{
    for (xmlNodePtr c = node->children; c != NULL; c = c->next)
        if (is_elem(c, "basis"))
            return text_dup(ld, c);
    return "";
}

static enum tc_status
need_id(struct loader *ld, xmlNodePtr node, const char **id)
{
    *id = attr_dup(ld, node, "id");
    if (*id == NULL || (*id)[0] == '\0')
        return tc_fail(ld->err, TC_EINVAL, "line %ld: <%s> needs an id", xmlGetLineNo(node),
                       S(node->name));
    return TC_OK;
}

static size_t
count_children(xmlNodePtr node, const char *tag)
{
    size_t n = 0;

    for (xmlNodePtr c = node != NULL ? node->children : NULL; c != NULL; c = c->next)
        n += is_elem(c, tag);
    return n;
}

static xmlNodePtr
child(xmlNodePtr node, const char *tag)
{
    for (xmlNodePtr c = node->children; c != NULL; c = c->next)
        if (is_elem(c, tag))
            return c;
    return NULL;
}

static enum tc_status
parse_number(struct loader *ld, xmlNodePtr node, const char *attr, double *out)
{
    const char *v = attr_dup(ld, node, attr);
    char *end;

    if (v == NULL)
        return tc_fail(ld->err, TC_EINVAL, "line %ld: <%s> needs the attribute \"%s\"",
                       xmlGetLineNo(node), S(node->name), attr);
    errno = 0;
    *out = strtod(v, &end);
    if (errno != 0 || end == v || *end != '\0' || !isfinite(*out) || *out < 0)
        return tc_fail(ld->err, TC_EINVAL, "line %ld: \"%s\" is not a non-negative number",
                       xmlGetLineNo(node), v);
    return TC_OK;
}

static enum tc_status
load_gate(struct loader *ld, xmlNodePtr n, struct tc_rule_gate *g)
{
    enum tc_status st;

    if ((st = need_id(ld, n, &g->id)) != TC_OK)
        return st;
    g->reason = attr_dup(ld, n, "reason");
    if (g->reason == NULL || g->reason[0] == '\0')
        return tc_fail(ld->err, TC_EINVAL, "line %ld: gate \"%s\" needs a reason code",
                       xmlGetLineNo(n), g->id);
    g->basis = basis_of(ld, n);
    if ((st = texts(ld, n, "message", &g->message_vi, &g->message_en)) != TC_OK ||
        (st = compile_expr(ld, n, "test", true, &g->test)) != TC_OK)
        return st;
    return compile_expr(ld, n, "when", false, &g->when);
}

static enum tc_status
load_criterion(struct loader *ld, xmlNodePtr n, struct tc_rule_criterion *c)
{
    enum tc_status st;

    if ((st = need_id(ld, n, &c->id)) != TC_OK ||
        (st = parse_number(ld, n, "max", &c->max)) != TC_OK ||
        (st = texts(ld, n, "label", &c->label_vi, &c->label_en)) != TC_OK ||
        (st = compile_expr(ld, n, "value", false, &c->value)) != TC_OK ||
        (st = compile_expr(ld, n, "test", false, &c->test)) != TC_OK)
        return st;
    c->basis = basis_of(ld, n);
    if ((c->value.text == NULL) == (c->test.text == NULL))
        return tc_fail(ld->err, TC_EINVAL,
                       "line %ld: criterion \"%s\" needs either a value or a test with points",
                       xmlGetLineNo(n), c->id);
    if (c->test.text != NULL) {
        if ((st = parse_number(ld, n, "points", &c->points)) != TC_OK)
            return st;
        if (c->points > c->max)
            return tc_fail(ld->err, TC_EINVAL,
                           "line %ld: criterion \"%s\" gives more points than its maximum",
                           xmlGetLineNo(n), c->id);
    }
    ld->rs->max_total += c->max;
    return TC_OK;
}

static enum tc_status
load_tiebreak(struct loader *ld, xmlNodePtr n, struct tc_rule_tiebreak *t)
{
    const char *order;
    enum tc_status st;

    if ((st = need_id(ld, n, &t->id)) != TC_OK ||
        (st = texts(ld, n, "label", &t->label_vi, &t->label_en)) != TC_OK ||
        (st = compile_expr(ld, n, "value", true, &t->value)) != TC_OK)
        return st;
    order = attr_dup(ld, n, "order");
    if (order == NULL || (strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0))
        return tc_fail(ld->err, TC_EINVAL,
                       "line %ld: tie-breaker \"%s\" needs order=\"asc\" or "
                       "order=\"desc\"",
                       xmlGetLineNo(n), t->id);
    t->descending = strcmp(order, "desc") == 0;
    return TC_OK;
}

/* Allocate the array for the <tag> children of `parent` and load each with `fn`. */
#define LOAD_LIST(ld, parent, tag, arr, n, type, fn)                                               \
    do {                                                                                           \
        size_t cnt_ = count_children((parent), (tag)), i_ = 0;                                     \
        if (cnt_ > 0 && ((arr) = tc_arena_calloc((ld)->rs->arena, cnt_, sizeof(type))) == NULL)    \
            return tc_fail((ld)->err, TC_ENOMEM, "out of memory");                                 \
        for (xmlNodePtr c_ = (parent) != NULL ? (parent)->children : NULL; c_ != NULL;             \
             c_ = c_->next) {                                                                      \
            enum tc_status st_;                                                                    \
            if (!is_elem(c_, (tag)))                                                               \
                continue;                                                                          \
            if ((st_ = fn((ld), c_, &(arr)[i_])) != TC_OK)                                         \
                return st_;                                                                        \
            for (size_t j_ = 0; j_ < i_; j_++)                                                     \
                if (strcmp((arr)[j_].id, (arr)[i_].id) == 0)                                       \
                    return tc_fail((ld)->err, TC_EINVAL, "line %ld: id \"%s\" is used twice",      \
                                   xmlGetLineNo(c_), (arr)[i_].id);                                \
            i_++;                                                                                  \
        }                                                                                          \
        (n) = i_;                                                                                  \
    } while (0)

static enum tc_status
load_norm(struct loader *ld, xmlNodePtr n, struct tc_rule_norm *r)
{
    r->item = attr_dup(ld, n, "item");
    if (r->item == NULL || r->item[0] == '\0')
        return tc_fail(ld->err, TC_EINVAL, "line %ld: <norm> needs an item", xmlGetLineNo(n));
    return compile_expr(ld, n, "when", false, &r->when);
}

static enum tc_status
load_keys(struct loader *ld, xmlNodePtr root)
{
    xmlNodePtr k = child(root, "keys");
    struct tc_ruleset *rs = ld->rs;
    enum tc_status st;

    if (k == NULL)
        return tc_fail(ld->err, TC_EINVAL, "line %ld: the ruleset needs <keys>",
                       xmlGetLineNo(root));
    if ((st = compile_expr(ld, k, "commune", true, &rs->key_commune)) != TC_OK ||
        (st = compile_expr(ld, k, "village", false, &rs->key_village)) != TC_OK ||
        (st = compile_expr(ld, k, "registration", false, &rs->key_registration)) != TC_OK ||
        (st = compile_expr(ld, k, "group-name", false, &rs->key_group_name)) != TC_OK ||
        (st = compile_expr(ld, k, "date", false, &rs->key_date)) != TC_OK)
        return st;
    return compile_expr(ld, k, "year", true, &rs->key_year);
}

static enum tc_status
load_header(struct loader *ld, xmlNodePtr root)
{
    struct tc_ruleset *rs = ld->rs;
    const char *version;
    char *end;
    long v;
    size_t cap = 1, len = 0;
    char *basis;

    if (!is_elem(root, "ruleset"))
        return tc_fail(ld->err, TC_EINVAL, "line %ld: the root element must be <ruleset>",
                       xmlGetLineNo(root));
    if ((rs->id = attr_dup(ld, root, "id")) == NULL || rs->id[0] == '\0')
        return tc_fail(ld->err, TC_EINVAL, "line %ld: <ruleset> needs an id", xmlGetLineNo(root));
    version = attr_dup(ld, root, "version");
    v = version != NULL ? strtol(version, &end, 10) : 0;
    if (version == NULL || *end != '\0' || v < 1 || v > 1000000)
        return tc_fail(ld->err, TC_EINVAL, "line %ld: <ruleset> needs a version (1, 2, ...)",
                       xmlGetLineNo(root));
    rs->version = (int)v;
    if ((rs->form_id = attr_dup(ld, root, "form")) == NULL)
        return tc_fail(ld->err, TC_EINVAL, "line %ld: <ruleset> needs a form", xmlGetLineNo(root));
    if (strcmp(rs->form_id, tc_form_id(ld->form)) != 0)
        return tc_fail(ld->err, TC_EINVAL, "line %ld: the ruleset is for form \"%s\", not \"%s\"",
                       xmlGetLineNo(root), rs->form_id, tc_form_id(ld->form));
    if (texts(ld, root, "title", &rs->title_vi, &rs->title_en) != TC_OK)
        return ld->err->status;
    for (xmlNodePtr c = root->children; c != NULL; c = c->next)
        if (is_elem(c, "legal-basis"))
            cap += strlen(text_dup(ld, c)) + 1;
    if (cap == 1)
        return tc_fail(ld->err, TC_EINVAL, "line %ld: the ruleset needs a <legal-basis>",
                       xmlGetLineNo(root));
    if ((basis = tc_arena_alloc(rs->arena, cap)) == NULL)
        return tc_fail(ld->err, TC_ENOMEM, "out of memory");
    for (xmlNodePtr c = root->children; c != NULL; c = c->next)
        if (is_elem(c, "legal-basis")) {
            const char *t = text_dup(ld, c);
            len += (size_t)snprintf(basis + len, cap - len, "%s%s", len > 0 ? "\n" : "", t);
        }
    rs->legal_basis = basis;
    return TC_OK;
}

static enum tc_status
load_document(struct loader *ld, xmlNodePtr root)
{
    struct tc_ruleset *rs = ld->rs;
    xmlNodePtr gates, points, ties, ceiling;
    enum tc_status st;

    if ((st = load_header(ld, root)) != TC_OK || (st = load_keys(ld, root)) != TC_OK)
        return st;
    gates = child(root, "gates");
    points = child(root, "points");
    ties = child(root, "tiebreakers");
    if ((ceiling = child(root, "ceiling")) == NULL)
        return tc_fail(ld->err, TC_EINVAL, "line %ld: the ruleset needs a <ceiling>",
                       xmlGetLineNo(root));
    LOAD_LIST(ld, gates, "gate", rs->gates, rs->n_gates, struct tc_rule_gate, load_gate);
    LOAD_LIST(ld, points, "criterion", rs->criteria, rs->n_criteria, struct tc_rule_criterion,
              load_criterion);
    LOAD_LIST(ld, ties, "tiebreak", rs->ties, rs->n_ties, struct tc_rule_tiebreak, load_tiebreak);
    if ((st = compile_expr(ld, ceiling, "need", true, &rs->need)) != TC_OK)
        return st;
    {
        size_t cnt = count_children(ceiling, "norm"), i = 0;
        if (cnt == 0)
            return tc_fail(ld->err, TC_EINVAL, "line %ld: <ceiling> needs at least one <norm>",
                           xmlGetLineNo(ceiling));
        if ((rs->norms = tc_arena_calloc(rs->arena, cnt, sizeof(*rs->norms))) == NULL)
            return tc_fail(ld->err, TC_ENOMEM, "out of memory");
        for (xmlNodePtr c = ceiling->children; c != NULL; c = c->next)
            if (is_elem(c, "norm") && (st = load_norm(ld, c, &rs->norms[i++])) != TC_OK)
                return st;
        rs->n_norms = i;
    }
    if (rs->n_gates == 0 && rs->n_criteria == 0)
        return tc_fail(ld->err, TC_EINVAL, "line %ld: the ruleset has neither gates nor points",
                       xmlGetLineNo(root));
    return TC_OK;
}

enum tc_status
tc_ruleset_load(const char *xml, size_t len, const struct tc_form_model *form,
                struct tc_ruleset **out, struct tc_error *err)
{
    struct loader ld = {.form = form, .err = err};
    struct tc_xml_fault fault;
    xmlDocPtr doc = NULL;
    enum tc_status st;

    *out = NULL;
    if (len > TC_RULESET_MAX_BYTES)
        return tc_fail(err, TC_ETOOLARGE, "ruleset larger than %u bytes", TC_RULESET_MAX_BYTES);
    if ((doc = tc_xml_parse(xml, len, "ruleset.xml", &fault)) == NULL) {
        if (fault.doctype)
            return tc_fail(err, TC_EINVAL, "line %d: a ruleset must not have a DOCTYPE",
                           fault.line);
        return tc_fail(err, TC_EINVAL, "line %d: ruleset is not well-formed: %s", fault.line,
                       fault.message);
    }
    ld.rs = calloc(1, sizeof(*ld.rs));
    if (ld.rs == NULL || (ld.rs->arena = tc_arena_create(8192)) == NULL ||
        (ld.env.arena = ld.rs->arena, ld.env.model = form,
         ld.ctx = tc_xpath_context_new(NULL, &ld.env)) == NULL) {
        st = tc_fail(err, TC_ENOMEM, "out of memory");
        goto out;
    }
    ld.rs->root_name = tc_arena_strdup(ld.rs->arena, tc_form_root_name(form));
    st = load_document(&ld, xmlDocGetRootElement(doc));
out:
    if (ld.ctx != NULL)
        xmlXPathFreeContext(ld.ctx);
    xmlFreeDoc(doc);
    if (st != TC_OK)
        tc_ruleset_free(ld.rs);
    else
        *out = ld.rs;
    return st;
}

void
tc_ruleset_free(struct tc_ruleset *rs)
{
    if (rs == NULL)
        return;
    tc_arena_destroy(rs->arena);
    free(rs);
}

const char *
tc_ruleset_id(const struct tc_ruleset *rs)
{
    return rs->id;
}

int
tc_ruleset_version(const struct tc_ruleset *rs)
{
    return rs->version;
}

const char *
tc_ruleset_form_id(const struct tc_ruleset *rs)
{
    return rs->form_id;
}

const char *
tc_ruleset_legal_basis(const struct tc_ruleset *rs)
{
    return rs->legal_basis;
}

size_t
tc_ruleset_gate_count(const struct tc_ruleset *rs)
{
    return rs->n_gates;
}

size_t
tc_ruleset_criterion_count(const struct tc_ruleset *rs)
{
    return rs->n_criteria;
}

size_t
tc_ruleset_tiebreak_count(const struct tc_ruleset *rs)
{
    return rs->n_ties;
}

double
tc_ruleset_max_total(const struct tc_ruleset *rs)
{
    return rs->max_total;
}

static void
texts_pair(struct tc_strbuf *sb, const char *key, const char *vi, const char *en)
{
    tc_strbuf_appends(sb, key);
    tc_strbuf_appends(sb, "{\"vi\":");
    tc_rules_json_string(sb, vi);
    tc_strbuf_appends(sb, ",\"en\":");
    tc_rules_json_string(sb, en);
    tc_strbuf_appendc(sb, '}');
}

static void
texts_gates(struct tc_strbuf *sb, const struct tc_ruleset *rs)
{
    tc_strbuf_appends(sb, ",\"gates\":[");
    for (size_t i = 0; i < rs->n_gates; i++) {
        const struct tc_rule_gate *g = &rs->gates[i];
        tc_strbuf_appends(sb, i > 0 ? ",{\"id\":" : "{\"id\":");
        tc_rules_json_string(sb, g->id);
        tc_strbuf_appends(sb, ",\"reason\":");
        tc_rules_json_string(sb, g->reason);
        texts_pair(sb, ",\"message\":", g->message_vi, g->message_en);
        tc_strbuf_appends(sb, ",\"basis\":");
        tc_rules_json_string(sb, g->basis);
        tc_strbuf_appendc(sb, '}');
    }
    tc_strbuf_appendc(sb, ']');
}

static void
texts_criteria(struct tc_strbuf *sb, const struct tc_ruleset *rs)
{
    tc_strbuf_appends(sb, ",\"criteria\":[");
    for (size_t i = 0; i < rs->n_criteria; i++) {
        const struct tc_rule_criterion *c = &rs->criteria[i];
        tc_strbuf_appends(sb, i > 0 ? ",{\"id\":" : "{\"id\":");
        tc_rules_json_string(sb, c->id);
        tc_strbuf_appendf(sb, ",\"max\":%.15g", c->max);
        texts_pair(sb, ",\"label\":", c->label_vi, c->label_en);
        tc_strbuf_appends(sb, ",\"basis\":");
        tc_rules_json_string(sb, c->basis);
        tc_strbuf_appendc(sb, '}');
    }
    tc_strbuf_appends(sb, "],\"tiebreakers\":[");
    for (size_t i = 0; i < rs->n_ties; i++) {
        const struct tc_rule_tiebreak *t = &rs->ties[i];
        tc_strbuf_appends(sb, i > 0 ? ",{\"id\":" : "{\"id\":");
        tc_rules_json_string(sb, t->id);
        tc_strbuf_appends(sb, t->descending ? ",\"order\":\"desc\"" : ",\"order\":\"asc\"");
        texts_pair(sb, ",\"label\":", t->label_vi, t->label_en);
        tc_strbuf_appendc(sb, '}');
    }
    tc_strbuf_appends(sb, "],\"norms\":[");
    for (size_t i = 0; i < rs->n_norms; i++) {
        if (i > 0)
            tc_strbuf_appendc(sb, ',');
        tc_rules_json_string(sb, rs->norms[i].item);
    }
    tc_strbuf_appendc(sb, ']');
}

char *
tc_ruleset_texts_json(const struct tc_ruleset *rs, struct tc_arena *arena)
{
    struct tc_strbuf sb = TC_STRBUF_INIT(4u << 20);
    char *out = NULL;

    tc_strbuf_appends(&sb, "{\"id\":");
    tc_rules_json_string(&sb, rs->id);
    tc_strbuf_appendf(&sb, ",\"version\":%d,\"form\":", rs->version);
    tc_rules_json_string(&sb, rs->form_id);
    texts_pair(&sb, ",\"title\":", rs->title_vi, rs->title_en);
    tc_strbuf_appends(&sb, ",\"legal_basis\":");
    tc_rules_json_string(&sb, rs->legal_basis);
    tc_strbuf_appendf(&sb, ",\"max_total\":%.15g", rs->max_total);
    texts_gates(&sb, rs);
    texts_criteria(&sb, rs);
    tc_strbuf_appendc(&sb, '}');
    if (!tc_strbuf_failed(&sb))
        out = tc_arena_strdup(arena, tc_strbuf_str(&sb));
    tc_strbuf_cleanup(&sb);
    return out;
}
