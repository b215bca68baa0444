#include "web/xform.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tincay/arena.h"
#include "tincay/form.h"
#include "tincay/forms.h"

enum tc_status
tc_web_xform_store(struct tc_db_conn *conn, const unsigned char *xml, size_t len,
                   long long created_by, struct tc_arena *arena, long long *id_out,
                   const char **form_id_out, const char **version_out, struct tc_error *err)
{
    struct tc_form_model *model = NULL;
    struct tc_form_new nf;
    enum tc_status st;

    if ((st = tc_form_load((const char *)xml, len, &model, err)) != TC_OK)
        return st;
    nf = (struct tc_form_new){
        .form_id = tc_form_id(model),
        .version = tc_form_version(model),
        .title = tc_form_title(model)[0] != '\0' ? tc_form_title(model) : tc_form_id(model),
        .xml = xml,
        .xml_len = len,
        .is_confidential = tc_form_is_confidential(model),
        .has_protected = tc_form_has_protected_fields(model),
        .created_by = created_by,
    };
    st = tc_forms_insert(conn, &nf, id_out, err);
    if (st == TC_ECONFLICT)
        st = tc_fail(err, TC_ECONFLICT, "form \"%s\" version \"%s\" already exists", nf.form_id,
                     nf.version);
    *form_id_out = tc_arena_strdup(arena, nf.form_id);
    *version_out = tc_arena_strdup(arena, nf.version);
    tc_form_model_free(model);
    if (st == TC_OK && (*form_id_out == NULL || *version_out == NULL))
        st = tc_fail(err, TC_ENOMEM, "out of memory");
    return st;
}

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
        cols[n].path = tc_arena_strdup(arena, f->path);
        cols[n].label = tc_arena_strdup(arena, f->label[0] != '\0' ? f->label : f->name);
        cols[n].is_protected = tc_form_field_protection(model, f) != TC_PROTECT_NONE;
        cols[n].is_repeat = (f->flags & TC_FIELD_REPEAT) != 0;
        if (cols[n].path == NULL || cols[n].label == NULL) {
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
