#ifndef TC_FORM_H
#define TC_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/i18n.h"
#include "tincay/status.h"

struct tc_arena;

/*
 * XForm definitions and the submissions made with them.
 *
 * tc_form_load() turns the bytes of an XForm into an immutable form model, which may be
 * shared read-only by any number of threads. tc_submission_parse() checks a submission
 * against a model: only structural faults fail (TC_EBADREQ); what breaks the form's rules
 * comes back as findings next to the values (DESIGN.md, "Validation policy").
 */

/* Caps applied before libxml2 sees a byte (TC_ETOOLARGE above them). */
#define TC_FORM_MAX_BYTES       (5u * 1024u * 1024u)
#define TC_SUBMISSION_MAX_BYTES (2u * 1024u * 1024u)

/* XForms data types of binds; anything else is TC_TYPE_OTHER and accepted as a string. */
enum tc_field_type {
    TC_TYPE_NONE = 0, /* no bind type: a group, repeat or untyped node (string) */
    TC_TYPE_STRING,
    TC_TYPE_INT,
    TC_TYPE_DECIMAL,
    TC_TYPE_DATE,
    TC_TYPE_TIME,
    TC_TYPE_DATETIME,
    TC_TYPE_GEOPOINT,
    TC_TYPE_GEOTRACE,
    TC_TYPE_GEOSHAPE,
    TC_TYPE_SELECT_ONE,
    TC_TYPE_SELECT_MULTIPLE,
    TC_TYPE_BINARY,
    TC_TYPE_BARCODE,
    TC_TYPE_BOOLEAN,
    TC_TYPE_OTHER
};

/* tc:protect, on a bind or (whole form) on the primary instance root. */
enum tc_protect { TC_PROTECT_NONE = 0, TC_PROTECT_PERSONAL, TC_PROTECT_CONFIDENTIAL };

/* tc:role: what a field means to tincay. */
enum tc_field_role {
    TC_FIELD_ROLE_NONE = 0,
    TC_FIELD_ROLE_COMMUNE,
    TC_FIELD_ROLE_VILLAGE,
    TC_FIELD_ROLE_CASE_CODE
};

/* Bits of tc_form_field.flags. */
enum {
    TC_FIELD_GROUP = 1u << 0,      /* has child elements in the primary instance */
    TC_FIELD_REPEAT = 1u << 1,     /* this node repeats */
    TC_FIELD_IN_REPEAT = 1u << 2,  /* an ancestor repeats */
    TC_FIELD_REQUIRED = 1u << 3,   /* has a `required` expression */
    TC_FIELD_RELEVANT = 1u << 4,   /* has a `relevant` expression */
    TC_FIELD_CONSTRAINT = 1u << 5, /* has a `constraint` expression */
    TC_FIELD_CALCULATE = 1u << 6,  /* has a `calculate` expression */
    TC_FIELD_READONLY = 1u << 7,   /* has a `readonly` expression */
    TC_FIELD_ITEMSET = 1u << 8,    /* choices come from an itemset */
    TC_FIELD_EXTERNAL = 1u << 9    /* ...over an external instance: choices not known */
};

/* One choice of a select; `labels[i]` is the label in tc_form_language(model, i). */
struct tc_form_choice {
    const char *value;
    const char *label;         /* in the default language; may be "" */
    const char *const *labels; /* NULL when the form has no translations */
};

/*
 * One element of the primary instance. Paths use local names only, so
 * /data/orx:meta/orx:instanceID is "/data/meta/instanceID". Every string is non-NULL
 * ("" when absent) except where said; all of it lives as long as the model.
 */
struct tc_form_field {
    const char *path;
    const char *name; /* local name of the element */
    enum tc_field_type type;
    const char *type_name; /* as written in the bind ("select1", "xsd:int", ...), or "" */
    unsigned int flags;
    enum tc_protect protect; /* as declared on the bind; see tc_form_field_protection() */
    bool report;             /* tc:report="true" */
    enum tc_field_role role;
    const char *required, *relevant, *constraint, *calculate, *readonly;
    const char *constraint_msg; /* jr:constraintMsg in the default language, or "" */
    const char *required_msg;   /* jr:requiredMsg in the default language, or "" */
    const char *preload, *preload_params;
    const char *control; /* body control: "input", "select1", "upload", ... or "" */
    const char *label;   /* in the default language, or "" */
    const struct tc_form_choice *choices;
    size_t n_choices;
    const char *itemset_nodeset, *itemset_value, *itemset_label; /* "" without itemset */
};

struct tc_form_model;

/*
 * Make libxml2 safe for untrusted input: xmlInitParser, an external-entity loader that
 * refuses everything, and libxml2 errors kept off stderr. Call once from main() before
 * threads start; the functions below call it too (once, thread-safely).
 */
void tc_xml_init(void);

/*
 * Load the XForm in xml[0..len) into a new model (*out, freed with tc_form_model_free).
 * TC_EINVAL with a message naming the fault and its line for a form that is not
 * well-formed, has a DOCTYPE, has no model, primary instance or instance id, or a bind
 * that names no node of the primary instance; TC_ETOOLARGE over TC_FORM_MAX_BYTES;
 * TC_ENOMEM.
 */
enum tc_status tc_form_load(const char *xml, size_t len, struct tc_form_model **out,
                            struct tc_error *err);

/*
 * The bytes of media file `name` of the form being loaded: *bytes NULL (and TC_OK) when it
 * has none. They need only last until tc_form_load_with_media returns.
 */
typedef enum tc_status (*tc_form_media_fn)(void *ctx, const char *name, const unsigned char **bytes,
                                           size_t *len, struct tc_error *err);

/*
 * tc_form_load, with its external instances (<instance src="jr://file-csv/x.csv"> and
 * jr://file/x.xml) read from the form's media through `media` (NULL: none), so that they
 * take part in validation as on the phone: the choices of itemsets over them, and
 * instance('x') in relevance, constraints and calculations. A CSV becomes <root> with an
 * <item> per row and a child per column of the header row. A file missing or unreadable
 * leaves its instance out (its choices are then not checked); a failing `media` fails
 * the load with its status.
 */
enum tc_status tc_form_load_with_media(const char *xml, size_t len, tc_form_media_fn media,
                                       void *media_ctx, struct tc_form_model **out,
                                       struct tc_error *err);

/*
 * Whether media file `name` can serve as what its extension says, before it is stored: a
 * .csv is UTF-8 text that reads as CSV with a header row, a .xml is well-formed XML without
 * a DOCTYPE (they become external instances). TC_EINVAL names the fault and its line;
 * other files are not looked at.
 */
enum tc_status tc_form_media_check(const char *name, const unsigned char *bytes, size_t len,
                                   struct tc_error *err);

/* Accepts NULL. */
void tc_form_model_free(struct tc_form_model *model);

const char *tc_form_id(const struct tc_form_model *model);
const char *tc_form_version(const struct tc_form_model *model); /* "" when none */
const char *tc_form_title(const struct tc_form_model *model);   /* "" when none */
const char *tc_form_root_name(const struct tc_form_model *model);

/* Translations (itext) in the form's order; count 0 when the form has none. */
size_t tc_form_language_count(const struct tc_form_model *model);
const char *tc_form_language(const struct tc_form_model *model, size_t i);

/* File names a manifest must serve (jr://images/a.png → "a.png"), without duplicates. */
size_t tc_form_media_count(const struct tc_form_model *model);
const char *tc_form_media(const struct tc_form_model *model, size_t i);

bool tc_form_is_confidential(const struct tc_form_model *model);
bool tc_form_has_protected_fields(const struct tc_form_model *model);
bool tc_form_has_repeats(const struct tc_form_model *model);

/* Fields in document order of the primary instance. */
size_t tc_form_field_count(const struct tc_form_model *model);
const struct tc_form_field *tc_form_field_at(const struct tc_form_model *model, size_t i);
/* The field at `path` (local names, no predicates), or NULL. */
const struct tc_form_field *tc_form_field_find(const struct tc_form_model *model, const char *path);

/*
 * The protection a value of `field` gets: its own tc:protect; else, in a confidential
 * form, confidential for every field that is not tc:report; else none.
 */
enum tc_protect tc_form_field_protection(const struct tc_form_model *model,
                                         const struct tc_form_field *field);

const char *tc_field_type_name(enum tc_field_type type); /* "int", "select_one", ... */
const char *tc_protect_name(enum tc_protect protect);    /* "", "personal", "confidential" */
const char *tc_field_role_name(enum tc_field_role role); /* "", "commune", ... */

/* One value of a submission; `path` carries 1-based repeat positions: /data/child[2]/name. */
struct tc_submission_value {
    const char *path;
    const struct tc_form_field *field; /* NULL for an element the form does not have */
    const char *value;
    enum tc_protect protect;
};

/* A rule the submission breaks. `rule` is "type", "required", "constraint" or "choice". */
struct tc_finding {
    const char *path;
    const char *rule;
    const char *message; /* the form's jr:constraintMsg, or tincay's message, in `lang` */
};

/*
 * A parsed submission; everything lives in the arena given to tc_submission_parse.
 *
 * values_json is an object mirroring the instance below its root: groups are nested
 * objects, repeats arrays of objects, leaves strings (as submitted, whitespace trimmed)
 * or null when empty. Protected values (tc_form_field_protection() != none) are left
 * out of it and listed in `protected_values` instead, for the caller to encrypt.
 */
struct tc_submission {
    const char *root;                        /* root element's local name */
    const char *form_id, *version;           /* root's id and version attributes, or "" */
    const char *instance_id, *deprecated_id; /* meta/instanceID, meta/deprecatedID, or "" */
    char *values_json;                       /* NULL when parsed without a model */
    const struct tc_submission_value *protected_values;
    size_t n_protected;
    const char *const *attachments; /* file names named by binary fields */
    size_t n_attachments;
    const struct tc_submission_value *report_values; /* tc:report fields */
    size_t n_report;
    const struct tc_submission_value *role_values; /* tc:role fields; see field->role */
    size_t n_roles;
    const struct tc_finding *findings;
    size_t n_findings;
};

/*
 * Parse the submission in xml[0..len) and check it against `model`. With model NULL only
 * the envelope (root, form_id, version, instance_id, deprecated_id) is read, so the caller
 * can find the form version to check against. `lang` picks the translation of messages.
 * TC_EBADREQ for a structural fault (not well-formed, invalid UTF-8, a DOCTYPE or entity,
 * a root whose id is not the model's); TC_ETOOLARGE over TC_SUBMISSION_MAX_BYTES;
 * TC_ENOMEM. Broken rules are TC_OK with findings. Above 5,000 elements only types and
 * choices are checked (expressions are not evaluated; see docs/form.md).
 */
enum tc_status tc_submission_parse(const char *xml, size_t len, const struct tc_form_model *model,
                                   enum tc_lang lang, struct tc_arena *arena,
                                   struct tc_submission **out, struct tc_error *err);

/*
 * Chooses the model to check a submission against, from its envelope (root, form_id,
 * version, instance_id, deprecated_id are set). The model must stay valid until
 * tc_submission_parse_with returns. A status other than TC_OK ends the parse with it.
 */
typedef enum tc_status (*tc_model_for_fn)(void *ctx, const struct tc_submission *envelope,
                                          const struct tc_form_model **model, struct tc_error *err);

/*
 * tc_submission_parse with the model chosen by `model_for` from the envelope, parsing the
 * XML once instead of twice (envelope, then against the model).
 */
enum tc_status tc_submission_parse_with(const char *xml, size_t len, tc_model_for_fn model_for,
                                        void *ctx, enum tc_lang lang, struct tc_arena *arena,
                                        struct tc_submission **out, struct tc_error *err);

#endif /* TC_FORM_H */
