#include "tincay/forms.h"

#include <stdio.h>
#include <string.h>

#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/form.h"
#include "tincay/multipart.h"

static const char *const state_names[] = {
    [TC_FORM_DRAFT] = "draft",
    [TC_FORM_PUBLISHED] = "published",
    [TC_FORM_CLOSING] = "closing",
    [TC_FORM_CLOSED] = "closed",
};

const char *
tc_form_state_name(enum tc_form_state state)
{
    return (size_t)state < sizeof(state_names) / sizeof(state_names[0]) ? state_names[state]
                                                                        : "closed";
}

int
tc_form_state_parse(const char *name, enum tc_form_state *out)
{
    for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++) {
        if (name != NULL && strcmp(name, state_names[i]) == 0) {
            *out = (enum tc_form_state)i;
            return 0;
        }
    }
    return -1;
}

/* The columns every form query returns, in the order copy_row reads them. */
#define FORM_COLUMNS                                                                               \
    "f.id, f.form_id, f.version, f.title, f.state, f.md5, f.sha256, f.is_confidential, "           \
    "f.has_protected, (SELECT count(*) FROM form_media m WHERE m.form = f.id), "                   \
    "to_char(f.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "                 \
    "to_char(f.published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "               \
    "(SELECT r.ruleset_id FROM rulesets r WHERE r.form_id = f.form_id AND r.active), "             \
    "(SELECT r.version FROM rulesets r WHERE r.form_id = f.form_id AND r.active)"
#define FORM_N_COLUMNS 14

static void
copy_hex(char *out, size_t size, const char *hex)
{
    snprintf(out, size, "%s", hex != NULL ? hex : "");
}

/* Copy row `i` (FORM_COLUMNS, then the XML when `with_xml`) into `out`. */
static enum tc_status
copy_row(const struct tc_db_result *res, size_t i, bool with_xml, struct tc_arena *arena,
         struct tc_form_row *out, struct tc_error *err)
{
    memset(out, 0, sizeof(*out));
    out->id = tc_db_int(res, i, 0, 0);
    out->form_id = tc_arena_strdup(arena, tc_db_value(res, i, 1));
    out->version = tc_arena_strdup(arena, tc_db_value(res, i, 2));
    out->title = tc_arena_strdup(arena, tc_db_value(res, i, 3));
    if (tc_form_state_parse(tc_db_value(res, i, 4), &out->state) != 0)
        return tc_fail(err, TC_EINTERNAL, "unknown form state \"%s\"", tc_db_value(res, i, 4));
    copy_hex(out->md5, sizeof(out->md5), tc_db_value(res, i, 5));
    copy_hex(out->sha256, sizeof(out->sha256), tc_db_value(res, i, 6));
    out->is_confidential = tc_db_bool(res, i, 7);
    out->has_protected = tc_db_bool(res, i, 8);
    out->n_media = (size_t)tc_db_int(res, i, 9, 0);
    out->created_at = tc_arena_strdup(arena, tc_db_value(res, i, 10));
    out->published_at = tc_arena_strdup(arena, tc_db_value(res, i, 11));
    if (!tc_db_is_null(res, i, 12)) {
        out->ruleset_id = tc_arena_strdup(arena, tc_db_value(res, i, 12));
        out->ruleset_version = (int)tc_db_int(res, i, 13, 0);
        if (out->ruleset_id == NULL)
            return tc_fail(err, TC_ENOMEM, "out of memory");
    }
    if (out->form_id == NULL || out->version == NULL || out->title == NULL ||
        out->created_at == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if (with_xml && (out->xml = tc_db_bytea(res, i, FORM_N_COLUMNS, arena, &out->xml_len)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    return TC_OK;
}

static const char sql_insert[] =
    "INSERT INTO forms (form_id, version, title, state, published_at, xml, md5, sha256, "
    "  is_confidential, has_protected, created_by) "
    "VALUES ($1, $2, $3, CASE WHEN $4::bool THEN 'published' ELSE 'draft' END, "
    "  CASE WHEN $4::bool THEN now() END, $5::bytea, md5($5::bytea), "
    "  encode(sha256($5::bytea), 'hex'), $6::bool, $7::bool, $8::bigint) "
    "RETURNING id";

enum tc_status
tc_forms_insert(struct tc_db_conn *conn, const struct tc_form_new *form, long long *id_out,
                struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(1024);
    struct tc_db_result *res = NULL;
    char created_by[24];
    const char *params[8] = {form->form_id,
                             form->version,
                             form->title,
                             form->publish ? "t" : "f",
                             (const char *)form->xml,
                             form->is_confidential ? "t" : "f",
                             form->has_protected ? "t" : "f",
                             NULL};
    size_t lengths[8] = {0, 0, 0, 0, form->xml_len, 0, 0, 0};
    bool binary[8] = {false, false, false, false, true, false, false, false};
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if (form->created_by > 0) {
        snprintf(created_by, sizeof(created_by), "%lld", form->created_by);
        params[7] = created_by;
    }
    st = tc_db_exec_bin(conn, sql_insert, 8, params, lengths, binary, arena, &res, err);
    if (st == TC_ECONFLICT)
        st = tc_fail(err, TC_ECONFLICT, "form \"%s\" version \"%s\" already exists", form->form_id,
                     form->version);
    else if (st == TC_EINVAL)
        st = tc_fail(err, TC_EINVAL, "invalid form \"%s\" version \"%s\"", form->form_id,
                     form->version);
    else if (st == TC_OK && id_out != NULL)
        *id_out = tc_db_int(res, 0, 0, 0);
    tc_arena_destroy(arena);
    return st;
}

static const char sql_state_of[] =
    "SELECT state FROM forms WHERE form_id = $1 AND ($2::text IS NULL OR version = $2)";

/* Explain why an UPDATE changed nothing: no such form, or a state that forbids it. */
static enum tc_status
explain_no_change(struct tc_db_conn *conn, const char *form_id, const char *version,
                  const char *what, struct tc_arena *arena, struct tc_error *err)
{
    const char *params[2] = {form_id, version};
    struct tc_db_result *res = NULL;
    enum tc_status st = tc_db_exec(conn, sql_state_of, 2, params, arena, &res, err);

    if (st != TC_OK)
        return st;
    if (tc_db_rows(res) == 0 && version != NULL)
        return tc_fail(err, TC_ENOTFOUND, "form \"%s\" has no version \"%s\"", form_id, version);
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_ENOTFOUND, "form \"%s\" does not exist", form_id);
    return tc_fail(err, TC_ECONFLICT, "form \"%s\" cannot be %s: it is %s", form_id, what,
                   tc_db_value(res, 0, 0));
}

static const char sql_publish[] = "UPDATE forms SET state = 'published', published_at = now() "
                                  "WHERE form_id = $1 AND version = $2 AND state = 'draft'";

enum tc_status
tc_forms_publish(struct tc_db_conn *conn, const char *form_id, const char *version,
                 struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(1024);
    struct tc_db_result *res = NULL;
    const char *params[2] = {form_id, version};
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    st = tc_db_exec(conn, sql_publish, 2, params, arena, &res, err);
    if (st == TC_OK && tc_db_affected(res) == 0)
        st = explain_no_change(conn, form_id, version, "published", arena, err);
    tc_arena_destroy(arena);
    return st;
}

static const char sql_close[] =
    "UPDATE forms SET state = $3, closed_at = CASE WHEN $3 = 'closed' THEN now() END "
    "WHERE form_id = $1 AND ($2::text IS NULL OR version = $2) "
    "  AND (state = 'published' OR (state = 'closing' AND $3 = 'closed'))";

enum tc_status
tc_forms_close(struct tc_db_conn *conn, const char *form_id, const char *version,
               enum tc_form_state state, size_t *n_out, struct tc_error *err)
{
    struct tc_arena *arena;
    struct tc_db_result *res = NULL;
    const char *params[3] = {form_id, version, tc_form_state_name(state)};
    enum tc_status st;

    if (state != TC_FORM_CLOSING && state != TC_FORM_CLOSED)
        return tc_fail(err, TC_EINTERNAL, "a form can only be closing or closed");
    if ((arena = tc_arena_create(1024)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    st = tc_db_exec(conn, sql_close, 3, params, arena, &res, err);
    if (st == TC_OK && n_out != NULL)
        *n_out = tc_db_affected(res);
    if (st == TC_OK && tc_db_affected(res) == 0) {
        /* Nothing to change is fine for an existing form (already closed, or a draft). */
        st = explain_no_change(conn, form_id, version, "closed", arena, err);
        if (st == TC_ECONFLICT) {
            tc_error_clear(err);
            st = TC_OK;
        }
    }
    tc_arena_destroy(arena);
    return st;
}

static const char sql_get[] = "SELECT " FORM_COLUMNS ", f.xml FROM forms f "
                              "WHERE f.form_id = $1 AND f.version = $2";
static const char sql_get_head[] = "SELECT " FORM_COLUMNS " FROM forms f "
                                   "WHERE f.form_id = $1 AND f.version = $2";
static const char sql_get_by_id[] = "SELECT " FORM_COLUMNS ", f.xml FROM forms f WHERE f.id = $1";
static const char sql_latest[] = "SELECT " FORM_COLUMNS ", f.xml FROM forms f "
                                 "WHERE f.form_id = $1 AND f.state = 'published' "
                                 "ORDER BY f.published_at DESC, f.id DESC LIMIT 1";

static enum tc_status
get_row(struct tc_db_conn *conn, const char *sql, size_t n_params, const char *const *params,
        bool with_xml, struct tc_arena *arena, struct tc_form_row *out, struct tc_error *err)
{
    struct tc_db_result *res = NULL;
    enum tc_status st = tc_db_exec(conn, sql, n_params, params, arena, &res, err);

    if (st != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return TC_ENOTFOUND;
    return copy_row(res, 0, with_xml, arena, out, err);
}

static enum tc_status
get_one(struct tc_db_conn *conn, const char *sql, size_t n_params, const char *const *params,
        struct tc_arena *arena, struct tc_form_row *out, struct tc_error *err)
{
    return get_row(conn, sql, n_params, params, true, arena, out, err);
}

enum tc_status
tc_forms_get(struct tc_db_conn *conn, const char *form_id, const char *version,
             struct tc_arena *arena, struct tc_form_row *out, struct tc_error *err)
{
    const char *params[2] = {form_id, version};
    enum tc_status st = get_one(conn, sql_get, 2, params, arena, out, err);

    if (st == TC_ENOTFOUND)
        return tc_fail(err, st, "form \"%s\" has no version \"%s\"", form_id, version);
    return st;
}

enum tc_status
tc_forms_get_head(struct tc_db_conn *conn, const char *form_id, const char *version,
                  struct tc_arena *arena, struct tc_form_row *out, struct tc_error *err)
{
    const char *params[2] = {form_id, version};
    enum tc_status st = get_row(conn, sql_get_head, 2, params, false, arena, out, err);

    if (st == TC_ENOTFOUND)
        return tc_fail(err, st, "form \"%s\" has no version \"%s\"", form_id, version);
    return st;
}

enum tc_status
tc_forms_get_by_id(struct tc_db_conn *conn, long long id, struct tc_arena *arena,
                   struct tc_form_row *out, struct tc_error *err)
{
    char id_text[24];
    const char *params[1] = {id_text};
    enum tc_status st;

    snprintf(id_text, sizeof(id_text), "%lld", id);
    st = get_one(conn, sql_get_by_id, 1, params, arena, out, err);
    if (st == TC_ENOTFOUND)
        return tc_fail(err, st, "form %lld does not exist", id);
    return st;
}

enum tc_status
tc_forms_latest(struct tc_db_conn *conn, const char *form_id, struct tc_arena *arena,
                struct tc_form_row *out, struct tc_error *err)
{
    const char *params[1] = {form_id};
    enum tc_status st = get_one(conn, sql_latest, 1, params, arena, out, err);

    if (st == TC_ENOTFOUND)
        return tc_fail(err, st, "form \"%s\" has no published version", form_id);
    return st;
}

static const char sql_list[] =
    "SELECT " FORM_COLUMNS " FROM forms f "
    "WHERE (NOT $1::bool OR f.state = 'published') "
    "  AND ($2::bigint IS NULL OR EXISTS (SELECT 1 FROM app_user_forms a "
    "       WHERE a.app_user_id = $2::bigint AND a.form_id = f.form_id)) "
    "ORDER BY f.form_id, f.created_at DESC, f.id DESC";

enum tc_status
tc_forms_list(struct tc_db_conn *conn, const struct tc_forms_filter *filter, struct tc_arena *arena,
              struct tc_form_row **rows_out, size_t *n_out, struct tc_error *err)
{
    char app_user[24];
    const char *params[2] = {filter != NULL && filter->published_only ? "t" : "f", NULL};
    struct tc_db_result *res = NULL;
    struct tc_form_row *rows;
    enum tc_status st;

    if (filter != NULL && filter->app_user_id > 0) {
        snprintf(app_user, sizeof(app_user), "%lld", filter->app_user_id);
        params[1] = app_user;
    }
    if ((st = tc_db_exec(conn, sql_list, 2, params, arena, &res, err)) != TC_OK)
        return st;
    if ((rows = tc_arena_calloc(arena, tc_db_rows(res) + 1, sizeof(*rows))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < tc_db_rows(res); i++)
        if ((st = copy_row(res, i, false, arena, &rows[i], err)) != TC_OK)
            return st;
    *rows_out = rows;
    *n_out = tc_db_rows(res);
    return TC_OK;
}

/*
 * Insert or, for a draft, replace. For a published version the ON CONFLICT branch only
 * "updates" identical bytes, so a different file comes back with no row.
 */
static const char sql_media_put[] =
    "INSERT INTO form_media (form, filename, content_type, bytes, md5) "
    "SELECT f.id, $2, $3, $4::bytea, md5($4::bytea) FROM forms f "
    "WHERE f.id = $1::bigint AND f.state IN ('draft', 'published') "
    "ON CONFLICT (form, filename) DO UPDATE "
    "  SET content_type = EXCLUDED.content_type, bytes = EXCLUDED.bytes, md5 = EXCLUDED.md5, "
    "      updated_at = now() "
    "  WHERE (SELECT state FROM forms WHERE id = EXCLUDED.form) = 'draft' "
    "     OR form_media.md5 = EXCLUDED.md5 "
    "RETURNING form";

static const char sql_form_state[] = "SELECT state FROM forms WHERE id = $1::bigint";

enum tc_status
tc_forms_media_put(struct tc_db_conn *conn, long long form, const char *filename,
                   const char *content_type, const unsigned char *bytes, size_t size,
                   struct tc_error *err)
{
    struct tc_arena *arena;
    struct tc_db_result *res = NULL;
    char id_text[24];
    const char *params[4] = {id_text, filename, content_type, (const char *)bytes};
    size_t lengths[4] = {0, 0, 0, size};
    bool binary[4] = {false, false, false, true};
    enum tc_status st;

    if (!tc_multipart_name_is_clean(filename))
        return tc_fail(err, TC_EINVAL, "invalid media file name \"%s\"", filename);
    if ((st = tc_form_media_check(filename, bytes, size, err)) != TC_OK)
        return st;
    if ((arena = tc_arena_create(1024)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    snprintf(id_text, sizeof(id_text), "%lld", form);
    st = tc_db_exec_bin(conn, sql_media_put, 4, params, lengths, binary, arena, &res, err);
    if (st == TC_OK && tc_db_rows(res) == 0) {
        st = tc_db_exec(conn, sql_form_state, 1, params, arena, &res, err);
        if (st == TC_OK && tc_db_rows(res) == 0)
            st = tc_fail(err, TC_ENOTFOUND, "form %lld does not exist", form);
        else if (st == TC_OK && strcmp(tc_db_value(res, 0, 0), "published") == 0)
            st = tc_fail(err, TC_ECONFLICT,
                         "media file \"%s\" of a published form cannot be replaced", filename);
        else if (st == TC_OK)
            st = tc_fail(err, TC_ECONFLICT, "form %lld is %s and takes no more media files", form,
                         tc_db_value(res, 0, 0));
    }
    tc_arena_destroy(arena);
    return st;
}

static const char sql_media_get[] = "SELECT filename, content_type, md5, length(bytes), bytes "
                                    "FROM form_media WHERE form = $1::bigint AND filename = $2";
static const char sql_media_list[] = "SELECT filename, content_type, md5, length(bytes) "
                                     "FROM form_media WHERE form = $1::bigint ORDER BY filename";

static enum tc_status
copy_media(const struct tc_db_result *res, size_t i, bool with_bytes, struct tc_arena *arena,
           struct tc_form_media *out, struct tc_error *err)
{
    size_t len = 0;

    memset(out, 0, sizeof(*out));
    out->filename = tc_arena_strdup(arena, tc_db_value(res, i, 0));
    out->content_type = tc_arena_strdup(arena, tc_db_value(res, i, 1));
    copy_hex(out->md5, sizeof(out->md5), tc_db_value(res, i, 2));
    out->size = (size_t)tc_db_int(res, i, 3, 0);
    if (with_bytes && (out->bytes = tc_db_bytea(res, i, 4, arena, &len)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if (out->filename == NULL || out->content_type == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    return TC_OK;
}

enum tc_status
tc_forms_media_get(struct tc_db_conn *conn, long long form, const char *filename,
                   struct tc_arena *arena, struct tc_form_media *out, struct tc_error *err)
{
    char id_text[24];
    const char *params[2] = {id_text, filename};
    struct tc_db_result *res = NULL;
    enum tc_status st;

    snprintf(id_text, sizeof(id_text), "%lld", form);
    if ((st = tc_db_exec(conn, sql_media_get, 2, params, arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return tc_fail(err, TC_ENOTFOUND, "form %lld has no media file \"%s\"", form, filename);
    return copy_media(res, 0, true, arena, out, err);
}

enum tc_status
tc_forms_media_list(struct tc_db_conn *conn, long long form, struct tc_arena *arena,
                    struct tc_form_media **media_out, size_t *n_out, struct tc_error *err)
{
    char id_text[24];
    const char *params[1] = {id_text};
    struct tc_db_result *res = NULL;
    struct tc_form_media *media;
    enum tc_status st;

    snprintf(id_text, sizeof(id_text), "%lld", form);
    if ((st = tc_db_exec(conn, sql_media_list, 1, params, arena, &res, err)) != TC_OK)
        return st;
    if ((media = tc_arena_calloc(arena, tc_db_rows(res) + 1, sizeof(*media))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < tc_db_rows(res); i++)
        if ((st = copy_media(res, i, false, arena, &media[i], err)) != TC_OK)
            return st;
    *media_out = media;
    *n_out = tc_db_rows(res);
    return TC_OK;
}
