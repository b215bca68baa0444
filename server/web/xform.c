#include "web/xform.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tincay/arena.h"
#include "tincay/fmt.h"
#include "tincay/form.h"
#include "tincay/strbuf.h"

/* A field worth a column: a leaf (or, if asked, a repeat) outside repeats and meta. */
static bool
wanted(const struct tc_form_model *model, const struct tc_form_field *f, unsigned int flags)
{
    const char *root = tc_form_root_name(model);
    size_t root_len = strlen(root);

    if ((f->flags & TC_FIELD_IN_REPEAT) != 0)
        return false;
    if (f->path[0] == '/' && strncmp(f->path + 1, root, root_len) == 0 &&
        strncmp(f->path + 1 + root_len, "/meta", 5) == 0)
        return false;
    if ((f->flags & TC_FIELD_REPEAT) != 0)
        return (flags & TC_WEB_COLUMNS_REPEATS) != 0;
    /* Preloads (start, device id...) and notes (read-only, nothing computed) answer nothing. */
    if ((flags & TC_WEB_COLUMNS_ANSWERS) != 0 &&
        (f->preload[0] != '\0' ||
         ((f->flags & TC_FIELD_READONLY) != 0 && (f->flags & TC_FIELD_CALCULATE) == 0)))
        return false;
    return (f->flags & TC_FIELD_GROUP) == 0 && strchr(f->path + 1, '/') != NULL;
}

static enum tc_web_value_kind
kind_of(const struct tc_form_field *f)
{
    switch (f->type) {
    case TC_TYPE_DATE: return TC_WEB_VALUE_DATE;
    case TC_TYPE_SELECT_ONE: return f->n_choices > 0 ? TC_WEB_VALUE_SELECT_ONE : TC_WEB_VALUE_TEXT;
    case TC_TYPE_SELECT_MULTIPLE:
        return f->n_choices > 0 ? TC_WEB_VALUE_SELECT_MANY : TC_WEB_VALUE_TEXT;
    default: return TC_WEB_VALUE_TEXT;
    }
}

/* Copy the column of field `f` into `arena`; false when memory runs out. */
static bool
copy_column(const struct tc_form_model *model, const struct tc_form_field *f,
            struct tc_arena *arena, struct tc_web_column *c)
{
    struct tc_web_choice *choices = NULL;

    c->path = tc_arena_strdup(arena, f->path);
    c->label = tc_arena_strdup(arena, f->label[0] != '\0' ? f->label : f->name);
    c->is_protected = tc_form_field_protection(model, f) != TC_PROTECT_NONE;
    c->is_repeat = (f->flags & TC_FIELD_REPEAT) != 0;
    c->kind = kind_of(f);
    if (c->kind == TC_WEB_VALUE_SELECT_ONE || c->kind == TC_WEB_VALUE_SELECT_MANY) {
        if ((choices = tc_arena_calloc(arena, f->n_choices, sizeof(*choices))) == NULL)
            return false;
        for (size_t i = 0; i < f->n_choices; i++) {
            const struct tc_form_choice *ch = &f->choices[i];

            choices[i].value = tc_arena_strdup(arena, ch->value);
            choices[i].label = tc_arena_strdup(arena, ch->label[0] != '\0' ? ch->label : ch->value);
            if (choices[i].value == NULL || choices[i].label == NULL)
                return false;
        }
        c->choices = choices;
        c->n_choices = f->n_choices;
    }
    return c->path != NULL && c->label != NULL;
}

enum tc_status
tc_web_xform_columns(const unsigned char *xml, size_t len, size_t max, unsigned int flags,
                     struct tc_arena *arena, struct tc_web_column **out, size_t *n_out,
                     struct tc_error *err)
{
    struct tc_form_model *model = NULL;
    struct tc_web_column *cols;
    size_t n = 0, count;
    enum tc_status st;

    if ((st = tc_form_load((const char *)xml, len, &model, err)) != TC_OK)
        return st;
    count = tc_form_field_count(model);
    if ((cols = tc_arena_calloc(arena, count + 1, sizeof(*cols))) == NULL) {
        st = tc_fail(err, TC_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < count && n < max; i++) {
        const struct tc_form_field *f = tc_form_field_at(model, i);

        if (!wanted(model, f, flags))
            continue;
        if (!copy_column(model, f, arena, &cols[n])) {
            st = tc_fail(err, TC_ENOMEM, "out of memory");
            goto out;
        }
        n++;
    }
    *out = cols;
    *n_out = n;
out:
    tc_form_model_free(model);
    return st;
}

const char *
tc_web_value_at(const struct json_t *values, const char *path, struct tc_arena *arena)
{
    const json_t *node = values;
    const char *p = path[0] == '/' ? strchr(path + 1, '/') : NULL; /* skip the root */
    char *dump, *copy;

    while (p != NULL && node != NULL) {
        const char *next = strchr(p + 1, '/');
        size_t n = next != NULL ? (size_t)(next - p - 1) : strlen(p + 1);
        char *key = tc_arena_strndup(arena, p + 1, n);

        if (key == NULL || !json_is_object(node))
            return NULL;
        node = json_object_get(node, key);
        p = next;
    }
    if (node == NULL || json_is_null(node))
        return NULL;
    if (json_is_string(node))
        return json_string_length(node) > 0 ? json_string_value(node) : NULL;
    if ((dump = json_dumps(node, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY)) == NULL)
        return NULL;
    copy = tc_arena_strdup(arena, dump);
    free(dump);
    return copy;
}

static const char *
choice_label(const struct tc_web_column *c, const char *value, size_t len)
{
    for (size_t i = 0; i < c->n_choices; i++)
        if (strlen(c->choices[i].value) == len && strncmp(c->choices[i].value, value, len) == 0)
            return c->choices[i].label;
    return NULL;
}

/* "a b c" → "label a, label b, label c". */
static const char *
many_labels(const struct tc_web_column *c, const char *raw, struct tc_arena *arena)
{
    struct tc_strbuf sb = TC_STRBUF_INIT(8192);
    const char *p = raw, *out;
    bool first = true;

    while (*p != '\0') {
        size_t len = strcspn(p, " ");
        const char *label = len > 0 ? choice_label(c, p, len) : NULL;

        if (len > 0) {
            if (!first)
                tc_strbuf_appends(&sb, ", ");
            if (label != NULL)
                tc_strbuf_appends(&sb, label);
            else
                tc_strbuf_append(&sb, p, len);
            first = false;
        }
        p += len;
        p += strspn(p, " ");
    }
    out = tc_strbuf_failed(&sb) ? raw : tc_arena_strdup(arena, tc_strbuf_str(&sb));
    tc_strbuf_cleanup(&sb);
    return out != NULL ? out : raw;
}

const char *
tc_web_column_display(const struct tc_web_column *c, const char *raw, struct tc_arena *arena)
{
    char date[TC_FMT_DATE_SIZE];
    const char *label;

    if (raw == NULL)
        return NULL;
    switch (c->kind) {
    case TC_WEB_VALUE_DATE: return tc_fmt_date(raw, date) == 0 ? tc_arena_strdup(arena, date) : raw;
    case TC_WEB_VALUE_SELECT_ONE:
        label = choice_label(c, raw, strlen(raw));
        return label != NULL ? label : raw;
    case TC_WEB_VALUE_SELECT_MANY: return many_labels(c, raw, arena);
    case TC_WEB_VALUE_TEXT: break;
    }
    return raw;
}
