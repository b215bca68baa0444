/*
 * The submission a ruleset reads: its XML, or (for stored submissions, whose XML may be
 * sealed) an XML document rebuilt from the unprotected values JSON. Rules never read
 * protected fields (the loader refuses them), so both give the same answers.
 */

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <utf8proc.h>

#include "rules/rules_internal.h"
#include "tincay/arena.h"

enum tc_status
tc_rules_doc_from_xml(const char *xml, size_t len, struct tc_rules_doc **out, struct tc_error *err)
{
    struct tc_xml_fault fault;
    struct tc_rules_doc *d;
    xmlDocPtr doc;

    *out = NULL;
    if (len > TC_SUBMISSION_MAX_BYTES)
        return tc_fail(err, TC_ETOOLARGE, "submission larger than %u bytes",
                       TC_SUBMISSION_MAX_BYTES);
    if ((doc = tc_xml_parse(xml, len, "submission.xml", &fault)) == NULL)
        return tc_fail(err, TC_EBADREQ, "line %d: submission is not well-formed: %s", fault.line,
                       fault.doctype ? "DOCTYPE" : fault.message);
    if ((d = calloc(1, sizeof(*d))) == NULL) {
        xmlFreeDoc(doc);
        return tc_fail(err, TC_ENOMEM, "out of memory");
    }
    d->doc = doc;
    d->root = xmlDocGetRootElement(doc);
    *out = d;
    return TC_OK;
}

/* Add the JSON value `v` under `parent` as element(s) named `name`. */
static bool
add_value(xmlNodePtr parent, const char *name, json_t *v, int depth)
{
    xmlNodePtr n;

    if (depth > 32)
        return false;
    if (json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            if (!add_value(parent, name, item, depth + 1))
                return false;
        }
        return true;
    }
    if ((n = xmlNewChild(parent, NULL, X(name), NULL)) == NULL)
        return false;
    if (json_is_object(v)) {
        const char *key;
        json_t *child;
        json_object_foreach(v, key, child)
        {
            if (!add_value(n, key, child, depth + 1))
                return false;
        }
    } else if (json_is_string(v)) {
        xmlNodeAddContent(n, X(json_string_value(v)));
    } else if (json_is_number(v)) {
        char buf[64];
        snprintf(buf, sizeof(buf), "%.17g", json_number_value(v));
        xmlNodeAddContent(n, X(buf));
    } else if (json_is_true(v) || json_is_false(v)) {
        xmlNodeAddContent(n, X(json_is_true(v) ? "true" : "false"));
    }
    return true;
}

enum tc_status
tc_rules_doc_from_json(const char *values_json, const char *root, struct tc_rules_doc **out,
                       struct tc_error *err)
{
    json_t *j = json_loads(values_json, JSON_REJECT_DUPLICATES, NULL);
    struct tc_rules_doc *d = NULL;
    const char *key;
    json_t *v;

    *out = NULL;
    if (j == NULL || !json_is_object(j)) {
        json_decref(j);
        return tc_fail(err, TC_EINVAL, "submission values are not a JSON object");
    }
    if ((d = calloc(1, sizeof(*d))) == NULL || (d->doc = xmlNewDoc(X("1.0"))) == NULL ||
        (d->root = xmlNewDocNode(d->doc, NULL, X(root), NULL)) == NULL)
        goto oom;
    xmlDocSetRootElement(d->doc, d->root);
    json_object_foreach(j, key, v)
    {
        if (!add_value(d->root, key, v, 0))
            goto oom;
    }
    json_decref(j);
    *out = d;
    return TC_OK;
oom:
    json_decref(j);
    tc_rules_doc_free(d);
    return tc_fail(err, TC_ENOMEM, "out of memory");
}

void
tc_rules_doc_free(struct tc_rules_doc *doc)
{
    if (doc == NULL)
        return;
    xmlFreeDoc(doc->doc);
    free(doc);
}

char *
tc_rules_normalize_name(const char *s, bool strip_marks, struct tc_arena *arena)
{
    utf8proc_uint8_t *mapped = NULL;
    utf8proc_option_t opts =
        (utf8proc_option_t)(UTF8PROC_STABLE | UTF8PROC_CASEFOLD | UTF8PROC_STRIPCC |
                            (strip_marks ? UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK
                                         : UTF8PROC_COMPOSE));
    char *out, *w;
    const char *r;
    bool space = false;

    if (utf8proc_map((const utf8proc_uint8_t *)s, 0, &mapped,
                     (utf8proc_option_t)(opts | UTF8PROC_NULLTERM)) < 0)
        return NULL;
    if ((out = tc_arena_alloc(arena, strlen((char *)mapped) + 1)) == NULL) {
        free(mapped);
        return NULL;
    }
    w = out;
    for (r = (const char *)mapped; *r != '\0'; r++) {
        unsigned char c = (unsigned char)*r;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            space = w != out;
            continue;
        }
        if (space)
            *w++ = ' ';
        space = false;
        /* đ (U+0111) has no decomposition: fold it by hand when marks are stripped */
        if (strip_marks && c == 0xC4 && (unsigned char)r[1] == 0x91) {
            *w++ = 'd';
            r++;
            continue;
        }
        *w++ = (char)c;
    }
    *w = '\0';
    free(mapped);
    return out;
}
