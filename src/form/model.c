/* Read access to a loaded form model (immutable: safe to share between threads). */

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "form/form_internal.h"
#include "tincay/form.h"

const char *
tc_form_id(const struct tc_form_model *model)
{
    return model->id;
}

const char *
tc_form_version(const struct tc_form_model *model)
{
    return model->version;
}

const char *
tc_form_title(const struct tc_form_model *model)
{
    return model->title;
}

const char *
tc_form_root_name(const struct tc_form_model *model)
{
    return model->root_name;
}

size_t
tc_form_language_count(const struct tc_form_model *model)
{
    return model->n_languages;
}

const char *
tc_form_language(const struct tc_form_model *model, size_t i)
{
    return i < model->n_languages ? model->languages[i] : NULL;
}

size_t
tc_form_media_count(const struct tc_form_model *model)
{
    return model->n_media;
}

const char *
tc_form_media(const struct tc_form_model *model, size_t i)
{
    return i < model->n_media ? model->media[i] : NULL;
}

bool
tc_form_is_confidential(const struct tc_form_model *model)
{
    return model->confidential;
}

bool
tc_form_has_protected_fields(const struct tc_form_model *model)
{
    return model->has_protected;
}

bool
tc_form_has_repeats(const struct tc_form_model *model)
{
    return model->has_repeats;
}

size_t
tc_form_field_count(const struct tc_form_model *model)
{
    return model->n_fields;
}

const struct tc_form_field *
tc_form_field_at(const struct tc_form_model *model, size_t i)
{
    return i < model->n_fields ? &model->fields[i] : NULL;
}

static int
cmp_path(const void *key, const void *elem)
{
    return strcmp(key, (*(const struct tc_form_field *const *)elem)->path);
}

const struct tc_form_field *
tc_form_field_find(const struct tc_form_model *model, const char *path)
{
    const struct tc_form_field *const *hit;

    if (model->n_fields == 0)
        return NULL;
    hit = bsearch(path, model->sorted, model->n_fields, sizeof(*model->sorted), cmp_path);
    return hit != NULL ? *hit : NULL;
}

enum tc_protect
tc_form_field_protection(const struct tc_form_model *model, const struct tc_form_field *field)
{
    if (field != NULL && field->protect != TC_PROTECT_NONE)
        return field->protect;
    /* The case code links follow-ups to their case: random, non-identifying, kept plain. */
    if (field != NULL && field->role == TC_FIELD_ROLE_CASE_CODE)
        return TC_PROTECT_NONE;
    if (model->confidential && (field == NULL || !field->report))
        return TC_PROTECT_CONFIDENTIAL;
    return TC_PROTECT_NONE;
}

/* Whether a translation's name ("Vietnamese (vi)", "Tiếng Việt", "en-GB") means `lang`. */
static bool
lang_matches(const char *name, enum tc_lang lang)
{
    static const char *const vi[] = {"vi", "vietnamese", "tiếng việt", "tieng viet"};
    static const char *const en[] = {"en", "english"};
    const char *const *words = lang == TC_LANG_VI ? vi : en;
    size_t n = lang == TC_LANG_VI ? sizeof(vi) / sizeof(vi[0]) : sizeof(en) / sizeof(en[0]);

    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(words[i]);
        if (strncasecmp(name, words[i], len) == 0 && !isalpha((unsigned char)name[len]))
            return true;
    }
    return strstr(name, lang == TC_LANG_VI ? "(vi)" : "(en)") != NULL;
}

size_t
tc_form_lang_index(const struct tc_form_model *model, enum tc_lang lang)
{
    for (size_t i = 0; i < model->n_languages; i++)
        if (lang_matches(model->languages[i], lang))
            return i;
    return model->default_lang;
}

const char *
tc_field_type_name(enum tc_field_type type)
{
    static const char *const names[] = {
        [TC_TYPE_NONE] = "",
        [TC_TYPE_STRING] = "string",
        [TC_TYPE_INT] = "int",
        [TC_TYPE_DECIMAL] = "decimal",
        [TC_TYPE_DATE] = "date",
        [TC_TYPE_TIME] = "time",
        [TC_TYPE_DATETIME] = "dateTime",
        [TC_TYPE_GEOPOINT] = "geopoint",
        [TC_TYPE_GEOTRACE] = "geotrace",
        [TC_TYPE_GEOSHAPE] = "geoshape",
        [TC_TYPE_SELECT_ONE] = "select_one",
        [TC_TYPE_SELECT_MULTIPLE] = "select_multiple",
        [TC_TYPE_BINARY] = "binary",
        [TC_TYPE_BARCODE] = "barcode",
        [TC_TYPE_BOOLEAN] = "boolean",
        [TC_TYPE_OTHER] = "other",
    };

    return (unsigned int)type <= TC_TYPE_OTHER ? names[type] : "";
}

const char *
tc_protect_name(enum tc_protect protect)
{
    switch (protect) {
    case TC_PROTECT_PERSONAL: return "personal";
    case TC_PROTECT_CONFIDENTIAL: return "confidential";
    case TC_PROTECT_NONE: break;
    }
    return "";
}

const char *
tc_field_role_name(enum tc_field_role role)
{
    switch (role) {
    case TC_FIELD_ROLE_COMMUNE: return "commune";
    case TC_FIELD_ROLE_VILLAGE: return "village";
    case TC_FIELD_ROLE_CASE_CODE: return "case-code";
    case TC_FIELD_ROLE_NONE: break;
    }
    return "";
}
