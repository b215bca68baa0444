/* Submission exports as tables (tincay/exports.h). */
#include "tincay/exports.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/form.h"
#include "tincay/forms.h"
#include "tincay/table.h"
#include "tincay/vault.h"

#define META_COLS        5 /* submission, instance_id, received_at, review_state, commune */
#define REPEAT_META_COLS 3

static const char sql_rows[] =
    "SELECT s.id, s.instance_id,"
    "       to_char(s.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "       s.review_state, coalesce(s.commune_era || ':' || s.commune_code, ''), s.values::text"
    "  FROM submissions s"
    "  LEFT JOIN communes c ON c.era = s.commune_era AND c.code = s.commune_code"
    " WHERE s.form_id = $1 AND s.superseded_by IS NULL"
    "   AND NOT EXISTS (SELECT 1 FROM forms cf WHERE cf.id = s.form AND cf.is_confidential)"
    "   AND ($2::text IS NULL OR (s.commune_era = $2 AND s.commune_code = $3))"
    "   AND ($4::text IS NULL OR c.province_code = $4)"
    " ORDER BY s.id";

/* One sheet: its repeat (NULL for the main table) and its leaf fields. */
struct sheet {
    const struct tc_form_field *repeat;
    const struct tc_form_field **leaves;
    size_t n_leaves;
    struct tc_table *table;
};

static void
free_model(void *model)
{
    tc_form_model_free(model);
}

static bool
is_leaf(const struct tc_form_field *f)
{
    return (f->flags & (TC_FIELD_GROUP | TC_FIELD_REPEAT)) == 0;
}

static bool
under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);

    return strncmp(path, prefix, n) == 0 && path[n] == '/';
}

/* The innermost repeat holding `f`, or NULL. */
static const struct tc_form_field *
repeat_of(const struct tc_form_model *m, const struct tc_form_field *f)
{
    const struct tc_form_field *best = NULL;

    for (size_t i = 0; i < tc_form_field_count(m); i++) {
        const struct tc_form_field *r = tc_form_field_at(m, i);
        if ((r->flags & TC_FIELD_REPEAT) && under(f->path, r->path) &&
            (best == NULL || strlen(r->path) > strlen(best->path)))
            best = r;
    }
    return best;
}

/* The JSON node at `path` below `base` (whose path is `base_path`); NULL when absent. */
static const json_t *
at_path(const json_t *base, const char *base_path, const char *path)
{
    const char *p = path + strlen(base_path);
    char seg[256];

    while (*p == '/' && base != NULL) {
        size_t n = strcspn(++p, "/");
        if (n >= sizeof(seg))
            return NULL;
        memcpy(seg, p, n);
        seg[n] = '\0';
        base = json_object_get(base, seg);
        p += n;
    }
    return base;
}

static const char *
cell_text(const json_t *v, struct tc_arena *arena)
{
    if (json_is_string(v)) /* copied: the JSON document goes before the table */
        return tc_arena_strdup(arena, json_string_value(v));
    if (json_is_integer(v))
        return tc_arena_printf(arena, "%lld", (long long)json_integer_value(v));
    if (json_is_real(v))
        return tc_arena_printf(arena, "%g", json_real_value(v));
    if (json_is_boolean(v))
        return json_is_true(v) ? "true" : "false";
    return "";
}

/* The decrypted personal values of one submission, by field path with repeat positions. */
struct personal {
    const char **field, **value;
    size_t n;
};

static const char *
personal_value(const struct personal *p, const char *path)
{
    for (size_t i = 0; p != NULL && i < p->n; i++)
        if (strcmp(p->field[i], path) == 0)
            return p->value[i];
    return "";
}

/* A leaf's cell; `base_index` is the place of the repeat row (0 for the main table). */
static const char *
leaf_cell(const struct tc_form_model *m, const struct tc_form_field *f, const json_t *base,
          const char *base_path, size_t base_index, const struct personal *personal,
          struct tc_arena *arena)
{
    enum tc_protect protect = tc_form_field_protection(m, f);

    if (protect == TC_PROTECT_NONE)
        return cell_text(at_path(base, base_path, f->path), arena);
    if (protect != TC_PROTECT_PERSONAL || personal == NULL)
        return TC_EXPORT_PROTECTED;
    if (base_index == 0)
        return personal_value(personal, f->path);
    return personal_value(personal, tc_arena_printf(arena, "%s[%zu]%s", base_path, base_index,
                                                    f->path + strlen(base_path)));
}

static const char sql_personal[] =
    "SELECT k.key_id, k.dek, p.field, p.ciphertext FROM submission_keys k"
    "  JOIN submission_protected p ON p.submission = k.submission"
    " WHERE k.submission = $1::bigint AND k.key_id <> 'unit'";

/* Open the personal values of submission `id` (form_id, instance_id) with the key ring. */
static enum tc_status
load_personal(struct tc_db_conn *conn, struct tc_keyring *ring, const char *form_id, const char *id,
              const char *instance_id, struct tc_arena *arena, struct personal *out,
              struct tc_error *err)
{
    struct tc_db_result *res;
    struct tc_dek *dek = NULL;
    unsigned char *wrapped;
    size_t n, len;
    enum tc_status st = tc_db_exec(conn, sql_personal, 1, &id, arena, &res, err);

    memset(out, 0, sizeof(*out));
    if (st != TC_OK || (n = tc_db_rows(res)) == 0)
        return st;
    out->field = tc_arena_calloc(arena, n, sizeof(*out->field));
    out->value = tc_arena_calloc(arena, n, sizeof(*out->value));
    if (out->field == NULL || out->value == NULL ||
        (wrapped = tc_db_bytea(res, 0, 1, arena, &len)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((st = tc_dek_unwrap(ring, tc_db_value(res, 0, 0), wrapped, len, form_id, instance_id, &dek,
                            err)) != TC_OK)
        return st;
    for (size_t i = 0; i < n && st == TC_OK; i++) {
        unsigned char *sealed = tc_db_bytea(res, i, 3, arena, &len), *plain = NULL;
        size_t plain_len = 0;
        st = sealed == NULL ? tc_fail(err, TC_ENOMEM, "out of memory")
                            : tc_dek_decrypt(dek, form_id, instance_id, tc_db_value(res, i, 2),
                                             sealed, len, arena, &plain, &plain_len, err);
        if (st == TC_OK) {
            out->field[i] = tc_db_value(res, i, 2);
            out->value[i] = tc_arena_strndup(arena, (const char *)plain, plain_len);
            out->n++;
        }
    }
    tc_dek_free(dek);
    return st;
}

static enum tc_status
add_sheet(const struct tc_form_model *m, const struct tc_form_field *repeat, struct sheet *s,
          struct tc_arena *arena)
{
    size_t n_fields = tc_form_field_count(m), meta = repeat ? REPEAT_META_COLS : META_COLS;
    const char *root = tc_arena_printf(arena, "/%s", tc_form_root_name(m));
    const char **header;

    s->repeat = repeat;
    if ((s->leaves = tc_arena_calloc(arena, n_fields + 1, sizeof(*s->leaves))) == NULL)
        return TC_ENOMEM;
    for (size_t i = 0; i < n_fields; i++) {
        const struct tc_form_field *f = tc_form_field_at(m, i);
        if (is_leaf(f) && repeat_of(m, f) == repeat)
            s->leaves[s->n_leaves++] = f;
    }
    s->table = tc_table_new(arena, repeat ? repeat->name : tc_form_id(m), meta + s->n_leaves);
    header = tc_arena_calloc(arena, meta + s->n_leaves + 1, sizeof(*header));
    if (s->table == NULL || header == NULL || root == NULL)
        return TC_ENOMEM;
    header[0] = "submission";
    header[1] = "instance_id";
    header[2] = repeat ? "position" : "received_at";
    if (!repeat) {
        header[3] = "review_state";
        header[4] = "commune";
    }
    for (size_t i = 0; i < s->n_leaves; i++)
        header[meta + i] = s->leaves[i]->path + strlen(repeat ? repeat->path : root) + 1;
    return tc_table_add_row(s->table, arena, header) == 0 ? TC_OK : TC_ENOMEM;
}

static enum tc_status
plan(const struct tc_form_model *m, struct tc_arena *arena, struct sheet **out, size_t *n_out)
{
    size_t n_fields = tc_form_field_count(m), n = 0;
    struct sheet *sheets = tc_arena_calloc(arena, n_fields + 2, sizeof(*sheets));

    if (sheets == NULL || add_sheet(m, NULL, &sheets[n++], arena) != TC_OK)
        return TC_ENOMEM;
    for (size_t i = 0; i < n_fields; i++) {
        const struct tc_form_field *f = tc_form_field_at(m, i);
        if ((f->flags & TC_FIELD_REPEAT) && repeat_of(m, f) == NULL &&
            add_sheet(m, f, &sheets[n++], arena) != TC_OK)
            return TC_ENOMEM;
    }
    *out = sheets;
    *n_out = n;
    return TC_OK;
}

/* The rows one submission adds to every sheet. */
static enum tc_status
add_submission(const struct tc_form_model *m, struct sheet *sheets, size_t n_sheets,
               const char *const meta[META_COLS], const json_t *values,
               const struct personal *personal, struct tc_arena *arena)
{
    const char *root = tc_arena_printf(arena, "/%s", tc_form_root_name(m));

    for (size_t s = 0; s < n_sheets; s++) {
        const struct sheet *sh = &sheets[s];
        const json_t *items = sh->repeat ? at_path(values, root, sh->repeat->path) : values;
        size_t n_items = sh->repeat ? json_array_size(items) : 1;
        size_t meta_n = sh->repeat ? REPEAT_META_COLS : META_COLS;

        for (size_t k = 0; k < n_items; k++) {
            const json_t *base = sh->repeat ? json_array_get(items, k) : values;
            const char **row = tc_arena_calloc(arena, sh->table->n_cols + 1, sizeof(*row));
            if (row == NULL)
                return TC_ENOMEM;
            memcpy(row, meta, (sh->repeat ? 2 : META_COLS) * sizeof(*row));
            if (sh->repeat)
                row[2] = tc_arena_printf(arena, "%zu", k + 1);
            for (size_t i = 0; i < sh->n_leaves; i++)
                row[meta_n + i] =
                    leaf_cell(m, sh->leaves[i], base, sh->repeat ? sh->repeat->path : root,
                              sh->repeat ? k + 1 : 0, personal, arena);
            if (tc_table_add_row(sh->table, arena, row) != 0)
                return TC_ENOMEM;
        }
    }
    return TC_OK;
}

static enum tc_status
load_model(struct tc_db_conn *conn, const char *form_id, struct tc_arena *arena,
           struct tc_form_model **out, struct tc_error *err)
{
    struct tc_form_row form;
    enum tc_status st = tc_forms_latest(conn, form_id, arena, &form, err);

    if (st != TC_OK)
        return st;
    if ((st = tc_form_load((const char *)form.xml, form.xml_len, out, err)) != TC_OK)
        return st;
    if (tc_arena_defer(arena, free_model, *out) != 0) {
        tc_form_model_free(*out);
        return tc_fail(err, TC_ENOMEM, "out of memory");
    }
    return TC_OK;
}

enum tc_status
tc_export_submissions(struct tc_db_conn *conn, const char *form_id,
                      const struct tc_export_scope *scope, struct tc_keyring *ring,
                      struct tc_arena *arena, struct tc_table ***tables_out, size_t *n_out,
                      struct tc_error *err)
{
    const char *params[] = {form_id, scope ? scope->commune_era : NULL,
                            scope ? scope->commune_code : NULL,
                            scope ? scope->province_code : NULL};
    struct tc_form_model *m;
    struct tc_db_result *res;
    struct sheet *sheets;
    struct tc_table **tables;
    size_t n_sheets;
    enum tc_status st;

    if ((st = load_model(conn, form_id, arena, &m, err)) != TC_OK ||
        (st = tc_db_exec(conn, sql_rows, 4, params, arena, &res, err)) != TC_OK)
        return st;
    if (plan(m, arena, &sheets, &n_sheets) != TC_OK)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t r = 0; r < tc_db_rows(res); r++) {
        const char *meta[META_COLS];
        struct personal personal;
        json_t *values;
        for (size_t c = 0; c < META_COLS; c++)
            meta[c] = tc_db_value(res, r, c);
        if (ring != NULL && (st = load_personal(conn, ring, form_id, meta[0], meta[1], arena,
                                                &personal, err)) != TC_OK)
            return st;
        values = json_loads(tc_db_value(res, r, 5), 0, NULL);
        st = add_submission(m, sheets, n_sheets, meta, values, ring ? &personal : NULL, arena);
        json_decref(values);
        if (st != TC_OK)
            return tc_fail(err, TC_ENOMEM, "out of memory");
    }
    if ((tables = tc_arena_calloc(arena, n_sheets + 1, sizeof(*tables))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < n_sheets; i++)
        tables[i] = sheets[i].table;
    *tables_out = tables;
    *n_out = n_sheets;
    return TC_OK;
}
