/*
 * The data the rules read besides the submission: norms, area classification,
 * allocations and the support registry, loaded by administrators from CSV.
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "rules/rules_internal.h"
#include "tincay/arena.h"
#include "tincay/csv.h"
#include "tincay/db.h"

/* Field `col` of `row`, or NULL when the column is absent or the field empty. */
static const char *
col(const struct tc_csv_row *row, int c)
{
    if (c < 0 || (size_t)c >= row->n)
        return NULL;
    return row->fields[c][0] != '\0' ? row->fields[c] : NULL;
}

static bool
truthy(const char *s)
{
    return s != NULL && (strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0 ||
                         strcmp(s, "1") == 0 || strcasecmp(s, "có") == 0);
}

static bool
falsy(const char *s)
{
    return s != NULL && (strcasecmp(s, "no") == 0 || strcasecmp(s, "false") == 0 ||
                         strcmp(s, "0") == 0 || strcasecmp(s, "không") == 0);
}

/* The failure of a row, with its file and line in front. */
static enum tc_status
row_fail(struct tc_error *err, const char *path, long line)
{
    char msg[sizeof(err->msg)];

    snprintf(msg, sizeof(msg), "%s", err->msg);
    return tc_fail(err, err->status == TC_OK ? TC_EINVAL : err->status, "%s: line %ld: %s", path,
                   line, msg);
}

/* --- Norms ----------------------------------------------------------------------- */

static const char sql_norm_add[] =
    "INSERT INTO norms (item, name_vi, name_en, unit, max_amount, valid_from, valid_to,"
    "                   legal_basis, requires_counterpart, counterpart_share, set_by)"
    " SELECT $1, $2, $3, $4, $5::numeric, $6::date, $7::date, $8, $9::boolean, $10::numeric, $11"
    " WHERE NOT EXISTS (SELECT 1 FROM norms_current c WHERE c.item = $1 AND"
    "   (c.name_vi, c.name_en, c.unit, c.max_amount, c.valid_from, c.valid_to, c.legal_basis,"
    "    c.requires_counterpart, c.counterpart_share) IS NOT DISTINCT FROM"
    "   ($2, $3, $4, $5::numeric, $6::date, $7::date, $8, $9::boolean, $10::numeric))";

struct norms_load {
    const char *path, *set_by;
    struct tc_csv_row *rows;
    size_t n_rows, added;
};

static enum tc_status
norms_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    static const char *const names[] = {"item",
                                        "name_vi",
                                        "name_en",
                                        "unit",
                                        "max_amount",
                                        "valid_from",
                                        "valid_to",
                                        "legal_basis",
                                        "requires_counterpart",
                                        "counterpart_share"};
    struct norms_load *nl = ctx;
    struct tc_arena *arena = tc_arena_create(4096);
    int c[10];
    enum tc_status st = TC_OK;

    nl->added = 0;
    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < 10; i++)
        if ((c[i] = tc_csv_column(&nl->rows[0], names[i])) < 0 && i < 8) {
            st = tc_fail(err, TC_EINVAL, "%s: line 1: the header lacks the column \"%s\"", nl->path,
                         names[i]);
            goto out;
        }
    for (size_t r = 1; r < nl->n_rows; r++) {
        const struct tc_csv_row *row = &nl->rows[r];
        const char *cp = col(row, c[8]);
        const char *params[11];
        struct tc_db_result *res;

        for (size_t i = 0; i < 10; i++)
            params[i] = col(row, c[i]);
        params[8] = truthy(cp) ? "true" : "false";
        params[10] = nl->set_by;
        if (params[0] == NULL || params[7] == NULL) {
            tc_fail(err, TC_EINVAL, "an item and its legal basis are required");
            st = row_fail(err, nl->path, row->line);
            goto out;
        }
        if ((st = tc_db_exec(conn, sql_norm_add, 11, params, arena, &res, err)) != TC_OK) {
            if (st == TC_EINVAL)
                st = row_fail(err, nl->path, row->line);
            goto out;
        }
        nl->added += tc_db_affected(res);
    }
out:
    tc_arena_destroy(arena);
    return st;
}

enum tc_status
tc_norms_load_csv(struct tc_db_conn *conn, const char *path, const char *set_by, size_t *n_added,
                  struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(1u << 16);
    struct norms_load nl = {.path = path, .set_by = set_by};
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    st = tc_csv_read(path, arena, &nl.rows, &nl.n_rows, err);
    if (st == TC_OK && nl.n_rows == 0)
        st = tc_fail(err, TC_EINVAL, "%s is empty", path);
    if (st == TC_OK)
        st = tc_db_transact(conn, false, norms_txn, &nl, err);
    if (st == TC_OK && n_added != NULL)
        *n_added = nl.added;
    tc_arena_destroy(arena);
    return st;
}

static const char sql_norm_set[] =
    "INSERT INTO norms (item, name_vi, name_en, unit, max_amount, valid_from, valid_to,"
    "                   legal_basis, requires_counterpart, counterpart_share, set_by)"
    " SELECT item, name_vi, name_en, unit, $2::numeric, valid_from, valid_to, $3,"
    "        requires_counterpart, counterpart_share, $4"
    "   FROM norms_current WHERE item = $1";

enum tc_status
tc_norm_set(struct tc_db_conn *conn, const char *item, long long amount, const char *legal_basis,
            const char *set_by, struct tc_error *err)
{
    struct tc_arena *arena;
    struct tc_db_result *res;
    char amt[24];
    enum tc_status st;

    if (amount < 0)
        return tc_fail(err, TC_EINVAL, "amount must not be negative");
    if (legal_basis == NULL || legal_basis[strspn(legal_basis, " \t")] == '\0')
        return tc_fail(err, TC_EINVAL,
                       "a legal basis is required (circular article, and the "
                       "provincial resolution when it applies)");
    if ((arena = tc_arena_create(1024)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    snprintf(amt, sizeof(amt), "%lld", amount);
    st = tc_db_exec(conn, sql_norm_set, 4, (const char *[]){item, amt, legal_basis, set_by}, arena,
                    &res, err);
    if (st == TC_OK && tc_db_affected(res) != 1)
        st = tc_fail(err, TC_ENOTFOUND, "norm item \"%s\" is not loaded", item);
    tc_arena_destroy(arena);
    return st;
}

#define NORM_COLUMNS                                                                               \
    "id, item, name_vi, name_en, unit, max_amount, coalesce(valid_from::text, ''),"                \
    " coalesce(valid_to::text, ''), legal_basis, requires_counterpart,"                            \
    " coalesce(counterpart_share, 0), set_by, set_at::text"
static const char sql_norms_current[] = "SELECT " NORM_COLUMNS " FROM norms_current ORDER BY item";
static const char sql_norms_history[] = "SELECT " NORM_COLUMNS " FROM norms ORDER BY item, id DESC";

enum tc_status
tc_norms_list(struct tc_db_conn *conn, bool history, struct tc_arena *arena, struct tc_norm **out,
              size_t *n_out, struct tc_error *err)
{
    struct tc_db_result *res;
    struct tc_norm *v;
    size_t n;
    enum tc_status st;

    if ((st = tc_db_exec(conn, history ? sql_norms_history : sql_norms_current, 0, NULL, arena,
                         &res, err)) != TC_OK)
        return st;
    n = tc_db_rows(res);
    if ((v = tc_arena_calloc(arena, n + 1, sizeof(*v))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t r = 0; r < n; r++) {
        v[r].id = tc_db_int(res, r, 0, 0);
        v[r].item = tc_db_value(res, r, 1);
        v[r].name_vi = tc_db_value(res, r, 2);
        v[r].name_en = tc_db_value(res, r, 3);
        v[r].unit = tc_db_value(res, r, 4);
        v[r].has_amount = !tc_db_is_null(res, r, 5);
        v[r].max_amount = tc_db_int(res, r, 5, 0);
        v[r].valid_from = tc_db_value(res, r, 6);
        v[r].valid_to = tc_db_value(res, r, 7);
        v[r].legal_basis = tc_db_value(res, r, 8);
        v[r].requires_counterpart = tc_db_bool(res, r, 9);
        v[r].counterpart_share = strtod(tc_db_value(res, r, 10), NULL);
        v[r].set_by = tc_db_value(res, r, 11);
        v[r].set_at = tc_db_value(res, r, 12);
    }
    *out = v;
    *n_out = n;
    return TC_OK;
}

/* --- Areas ----------------------------------------------------------------------- */

static const char sql_area_put[] =
    "INSERT INTO areas (era, commune_code, village_name, village_label, kv, dbkk, source,"
    "                   verified, notes)"
    " VALUES ($1, $2, $3, $4, $5, $6::boolean, coalesce($7, ''), $8::boolean, coalesce($9, ''))"
    " ON CONFLICT (era, commune_code, (coalesce(village_name, ''))) DO UPDATE SET"
    "   village_label = EXCLUDED.village_label, kv = EXCLUDED.kv, dbkk = EXCLUDED.dbkk,"
    "   source = EXCLUDED.source, verified = EXCLUDED.verified, notes = EXCLUDED.notes,"
    "   loaded_at = now()";

struct areas_load {
    const char *path;
    struct tc_csv_row *rows;
    size_t n_rows, loaded;
};

/* The columns of either layout (tincay's, or the shipped template's commune rows). */
struct area_cols {
    int era, code, village, kv, dbkk, source, verified, notes;
    bool template_layout;
};

static enum tc_status
area_columns(const struct areas_load *al, struct area_cols *c, struct tc_error *err)
{
    const struct tc_csv_row *h = &al->rows[0];

    c->template_layout = tc_csv_column(h, "old_commune_code") >= 0;
    c->era = tc_csv_column(h, "era");
    c->code = tc_csv_column(h, c->template_layout ? "old_commune_code" : "commune_code");
    c->village = tc_csv_column(h, "village_name");
    c->kv = tc_csv_column(h, c->template_layout ? "kv_2021_2025" : "kv");
    c->dbkk = tc_csv_column(h, "dbkk");
    c->source = tc_csv_column(h, c->template_layout ? "kv_source" : "source");
    c->verified = tc_csv_column(h, c->template_layout ? "kv_verified" : "verified");
    c->notes = tc_csv_column(h, "notes");
    if (c->code < 0 || c->kv < 0 || c->verified < 0 || (!c->template_layout && c->era < 0))
        return tc_fail(err, TC_EINVAL,
                       "%s: line 1: expected the columns era,commune_code,village_name,kv,dbkk,"
                       "source,verified (or the template's old_commune_code,kv_2021_2025,"
                       "kv_source,kv_verified)",
                       al->path);
    return TC_OK;
}

static enum tc_status
area_row(struct tc_db_conn *conn, const struct area_cols *c, const struct tc_csv_row *row,
         struct tc_arena *arena, struct tc_error *err)
{
    const char *label = c->template_layout ? NULL : col(row, c->village);
    const char *kv = col(row, c->kv), *dbkk = col(row, c->dbkk);
    const char *params[9];

    params[0] = c->template_layout ? "pre2025" : col(row, c->era);
    params[1] = col(row, c->code);
    params[2] = label != NULL ? tc_rules_normalize_name(label, false, arena) : NULL;
    params[3] = label;
    params[4] = kv;
    params[5] = truthy(dbkk) ? "true" : falsy(dbkk) ? "false" : NULL;
    params[6] = col(row, c->source);
    params[7] = truthy(col(row, c->verified)) ? "true" : "false";
    params[8] = col(row, c->notes);
    if (label != NULL && params[2] == NULL)
        return tc_fail(err, TC_EINVAL, "village name is not valid UTF-8");
    if (kv != NULL && strcmp(kv, "I") != 0 && strcmp(kv, "II") != 0 && strcmp(kv, "III") != 0)
        return tc_fail(err, TC_EINVAL, "kv \"%s\" is not I, II or III", kv);
    if (dbkk != NULL && params[5] == NULL)
        return tc_fail(err, TC_EINVAL, "dbkk \"%s\" is not yes or no", dbkk);
    if (params[0] == NULL || params[1] == NULL)
        return tc_fail(err, TC_EINVAL, "era and commune code are required");
    if (strcmp(params[7], "true") == 0 && label == NULL && kv == NULL)
        return tc_fail(err, TC_EINVAL, "a verified commune row needs its kv");
    return tc_db_exec(conn, sql_area_put, 9, params, arena, NULL, err);
}

static enum tc_status
areas_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    struct areas_load *al = ctx;
    struct tc_arena *arena = tc_arena_create(4096);
    struct area_cols c;
    enum tc_status st;

    al->loaded = 0;
    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((st = area_columns(al, &c, err)) != TC_OK)
        goto out;
    for (size_t r = 1; r < al->n_rows; r++) {
        if ((st = area_row(conn, &c, &al->rows[r], arena, err)) != TC_OK) {
            if (st == TC_EINVAL)
                st = row_fail(err, al->path, al->rows[r].line);
            goto out;
        }
        al->loaded++;
    }
out:
    tc_arena_destroy(arena);
    return st;
}

enum tc_status
tc_areas_load_csv(struct tc_db_conn *conn, const char *path, size_t *n_loaded, struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(1u << 16);
    struct areas_load al = {.path = path};
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    st = tc_csv_read(path, arena, &al.rows, &al.n_rows, err);
    if (st == TC_OK && al.n_rows == 0)
        st = tc_fail(err, TC_EINVAL, "%s is empty", path);
    if (st == TC_OK)
        st = tc_db_transact(conn, false, areas_txn, &al, err);
    if (st == TC_OK && n_loaded != NULL)
        *n_loaded = al.loaded;
    tc_arena_destroy(arena);
    return st;
}

static const char sql_villages[] =
    "SELECT era, commune_code, village_label FROM areas WHERE village_name IS NOT NULL"
    " ORDER BY commune_code, era, id";

static void
csv_field(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s != '\0'; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

enum tc_status
tc_areas_villages_csv(struct tc_db_conn *conn, const char *dir, size_t *n_written,
                      struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(1u << 16);
    struct tc_db_result *res;
    char path[4096], tmp[4200];
    const char *prev = "";
    unsigned seq = 0;
    enum tc_status st;
    FILE *f;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((st = tc_db_exec(conn, sql_villages, 0, NULL, arena, &res, err)) != TC_OK)
        goto out;
    snprintf(path, sizeof(path), "%s/villages.csv", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if ((f = fopen(tmp, "w")) == NULL) {
        st = tc_fail(err, TC_EINVAL, "cannot write \"%s\": %s", tmp, strerror(errno));
        goto out;
    }
    fputs("name,label,commune\n", f);
    for (size_t r = 0; r < tc_db_rows(res); r++) {
        const char *code = tc_db_value(res, r, 1);
        /* CODE-NN, numbered per commune code across eras so that every id is unique */
        seq = strcmp(code, prev) == 0 ? seq + 1 : 1;
        prev = code;
        fprintf(f, "%s-%02u,", code, seq);
        csv_field(f, tc_db_value(res, r, 2));
        fprintf(f, ",%s:%s\n", tc_db_value(res, r, 0), code);
    }
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        st = tc_fail(err, TC_EINVAL, "cannot write \"%s\": %s", path, strerror(errno));
        goto out;
    }
    if (n_written != NULL)
        *n_written = tc_db_rows(res);
out:
    tc_arena_destroy(arena);
    return st;
}

/* --- Allocations ----------------------------------------------------------------- */

static const char sql_alloc_put[] =
    "INSERT INTO allocations (era, commune_code, year, amount) VALUES ($1, $2, $3::int,"
    " $4::numeric) ON CONFLICT (era, commune_code, year) DO UPDATE SET amount = EXCLUDED.amount,"
    " set_at = now()";

enum tc_status
tc_allocation_set(struct tc_db_conn *conn, const char *commune, int year, long long amount,
                  struct tc_error *err)
{
    struct tc_arena *arena;
    const char *colon = strchr(commune, ':');
    char y[16], amt[24];
    enum tc_status st;

    if (colon == NULL)
        return tc_fail(err, TC_EINVAL, "commune \"%s\" is not ERA:CODE", commune);
    if (amount < 0)
        return tc_fail(err, TC_EINVAL, "amount must not be negative");
    if ((arena = tc_arena_create(1024)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    snprintf(y, sizeof(y), "%d", year);
    snprintf(amt, sizeof(amt), "%lld", amount);
    st = tc_db_exec(conn, sql_alloc_put, 4,
                    (const char *[]){tc_arena_strndup(arena, commune, (size_t)(colon - commune)),
                                     colon + 1, y, amt},
                    arena, NULL, err);
    tc_arena_destroy(arena);
    return st;
}

/* --- Support registry ------------------------------------------------------------ */

static const char sql_support_put[] =
    "INSERT INTO support_registry (program, year, registration_number, name_index, commune_era,"
    "                              commune_code, content, amount, source)"
    " VALUES ($1, $2::int, $3, $4, $5, $6, coalesce($7, ''), $8::numeric, $9)";

struct support_load {
    const char *path, *source;
    struct tc_csv_row *rows;
    size_t n_rows, loaded;
};

static enum tc_status
support_row(struct tc_db_conn *conn, const int *c, const struct support_load *sl,
            const struct tc_csv_row *row, struct tc_arena *arena, struct tc_error *err)
{
    const char *commune = col(row, c[4]), *name = col(row, c[3]), *idx = NULL, *colon;
    const char *params[9];
    enum tc_status st;

    colon = commune != NULL ? strchr(commune, ':') : NULL;
    if (commune != NULL && colon == NULL)
        return tc_fail(err, TC_EINVAL, "commune \"%s\" is not ERA:CODE", commune);
    if (name != NULL && commune != NULL &&
        (st = tc_rules_name_index(conn, name, commune, arena, &idx, err)) != TC_OK)
        return st;
    params[0] = col(row, c[0]);
    params[1] = col(row, c[1]);
    params[2] = col(row, c[2]);
    params[3] = idx;
    params[4] = colon != NULL ? tc_arena_strndup(arena, commune, (size_t)(colon - commune)) : NULL;
    params[5] = colon != NULL ? colon + 1 : NULL;
    params[6] = col(row, c[5]);
    params[7] = col(row, c[6]);
    params[8] = sl->source;
    if (params[0] == NULL || params[1] == NULL)
        return tc_fail(err, TC_EINVAL, "program and year are required");
    if (params[2] == NULL && idx == NULL)
        return tc_fail(err, TC_EINVAL,
                       "a registration number, or a group name with its commune, is required");
    return tc_db_exec(conn, sql_support_put, 9, params, arena, NULL, err);
}

static enum tc_status
support_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    static const char *const names[] = {
        "program", "year", "registration_number", "group_name", "commune", "content", "amount"};
    struct support_load *sl = ctx;
    struct tc_arena *arena = tc_arena_create(4096);
    int c[7];
    enum tc_status st = TC_OK;

    sl->loaded = 0;
    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < 7; i++)
        if ((c[i] = tc_csv_column(&sl->rows[0], names[i])) < 0 && i < 2) {
            st = tc_fail(err, TC_EINVAL, "%s: line 1: the header lacks the column \"%s\"", sl->path,
                         names[i]);
            goto out;
        }
    for (size_t r = 1; r < sl->n_rows; r++) {
        if ((st = support_row(conn, c, sl, &sl->rows[r], arena, err)) != TC_OK) {
            if (st == TC_EINVAL)
                st = row_fail(err, sl->path, sl->rows[r].line);
            goto out;
        }
        sl->loaded++;
    }
out:
    tc_arena_destroy(arena);
    return st;
}

enum tc_status
tc_support_import_csv(struct tc_db_conn *conn, const char *path, const char *source,
                      size_t *n_loaded, struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(1u << 16);
    struct support_load sl = {.path = path, .source = source != NULL ? source : path};
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    st = tc_csv_read(path, arena, &sl.rows, &sl.n_rows, err);
    if (st == TC_OK && sl.n_rows == 0)
        st = tc_fail(err, TC_EINVAL, "%s is empty", path);
    if (st == TC_OK)
        st = tc_db_transact(conn, false, support_txn, &sl, err);
    if (st == TC_OK && n_loaded != NULL)
        *n_loaded = sl.loaded;
    tc_arena_destroy(arena);
    return st;
}
