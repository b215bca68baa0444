#include "tincay/submissions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "tincay/arena.h"
#include "tincay/audit.h"
#include "tincay/db.h"
#include "tincay/multipart.h"
#include "tincay/spool.h"

/* One call of tc_submission_store; `arena` lives for one attempt of the transaction. */
struct ingest_ctx {
    const struct tc_ingest *in;
    struct tc_ingest_result *out;
    char *findings_json; /* [{"field":..,"rule":..,"message":..}, ...] */
    char *expected_json; /* ["name", ...]: the clean expected file names */
    struct tc_arena *arena;
};

/* The row an instance id already has. */
struct existing {
    long long id;
    char sha256[65];
    long long superseded_by; /* 0 when current */
};

static const char *
int_param(struct tc_arena *arena, long long v)
{
    return v > 0 ? tc_arena_printf(arena, "%lld", v) : NULL;
}

/*
 * Insert the row with its findings and empty attachment slots, unless the instance id
 * exists for this form id (then no row comes back). Racing inserts of one instance id wait
 * for each other on the unique index, and all but one find the row afterwards. With $25
 * the statement also writes its audit row, so that a new submission without files is
 * stored by this one statement alone.
 */
static const char sql_insert[] =
    "WITH s AS ("
    "  INSERT INTO submissions (form, form_id, form_version, instance_id, xml, xml_sealed, "
    "    key_id, xml_sha256, values, submitter_id, app_user_id, device_id, review_state, "
    "    deprecated_id, commune_era, commune_code, village, case_code, is_complete) "
    "  VALUES ($1::bigint, $2, $3, $4, $5::bytea, $6::bytea, $7, $8, "
    "    coalesce($9::jsonb, '{}'::jsonb), $10::bigint, $11::bigint, $12, $13, $14, $15, $16, "
    "    $17, $18, NOT $21::bool AND jsonb_array_length($20::jsonb) = 0) "
    "  ON CONFLICT (form_id, instance_id) DO NOTHING "
    "  RETURNING id, review_state, is_complete"
    "), f AS ("
    "  INSERT INTO findings (submission, field, rule, message) "
    "  SELECT s.id, x->>'field', x->>'rule', x->>'message' "
    "  FROM s, jsonb_array_elements($19::jsonb) x"
    "), a AS ("
    "  INSERT INTO submission_attachments (submission, name) "
    "  SELECT DISTINCT s.id, n FROM s, jsonb_array_elements_text($20::jsonb) n "
    "  ON CONFLICT DO NOTHING"
    "), m AS ("
    "  SELECT count(DISTINCT n) AS missing FROM jsonb_array_elements_text($20::jsonb) n"
    "), au AS ("
    "  INSERT INTO audit_log (actor_kind, actor_id, action, object_kind, object_id, "
    "    client_addr, detail) "
    "  SELECT $22, $23::bigint, 'submission.create', 'submission', s.id::text, $24, "
    "    jsonb_build_object('form_id', $2::text, 'instance_id', $4::text, 'deprecated_id', "
    "      $14::text, 'files', 0, 'missing', m.missing, 'findings', jsonb_array_length($19)) "
    "  FROM s, m WHERE $25::bool"
    ") SELECT s.id, s.review_state, s.is_complete, m.missing FROM s, m";

static const char *
actor_kind(const struct tc_ingest *in)
{
    return in->submitter_id > 0 ? "user" : in->app_user_id > 0 ? "app_user" : "anonymous";
}

/* Insert as above; `*id_out` is the new row's id (and `c->out` filled), or 0. */
static enum tc_status
insert_row(struct tc_db_conn *conn, const struct ingest_ctx *c, const char *review_state,
           bool audit_here, long long *id_out, struct tc_error *err)
{
    const struct tc_ingest *in = c->in;
    const char *params[25] = {
        int_param(c->arena, in->form),
        in->form_id,
        in->form_version,
        in->instance_id,
        (const char *)in->xml,
        (const char *)in->xml_sealed,
        in->key_id,
        in->xml_sha256,
        in->values_json,
        int_param(c->arena, in->submitter_id),
        int_param(c->arena, in->app_user_id),
        in->device_id,
        review_state,
        in->deprecated_id,
        in->commune_era,
        in->commune_code,
        in->village,
        in->case_code,
        c->findings_json,
        c->expected_json,
        in->is_incomplete ? "t" : "f",
        actor_kind(in),
        int_param(c->arena, in->submitter_id > 0 ? in->submitter_id : in->app_user_id),
        in->client_addr,
        audit_here ? "t" : "f"};
    size_t lengths[25] = {[4] = in->xml_len, [5] = in->xml_sealed_len};
    bool binary[25] = {[4] = true, [5] = true};
    struct tc_db_result *res = NULL;
    enum tc_status st =
        tc_db_exec_bin(conn, sql_insert, 25, params, lengths, binary, c->arena, &res, err);

    if (st == TC_EINVAL)
        return tc_fail(err, TC_EINVAL, "submission \"%s\" has an invalid field", in->instance_id);
    if (st != TC_OK)
        return st;
    *id_out = 0;
    if (tc_db_rows(res) == 0)
        return TC_OK;
    *id_out = tc_db_int(res, 0, 0, 0);
    c->out->id = *id_out;
    snprintf(c->out->review_state, sizeof(c->out->review_state), "%s", tc_db_value(res, 0, 1));
    c->out->is_complete = tc_db_bool(res, 0, 2);
    c->out->n_missing = (size_t)tc_db_int(res, 0, 3, 0);
    return TC_OK;
}

static const char sql_lock[] = "SELECT id, xml_sha256, superseded_by FROM submissions "
                               "WHERE form_id = $1 AND instance_id = $2 FOR UPDATE";

/* Lock the row of (form_id, instance_id); TC_ENOTFOUND without touching `err` if none. */
static enum tc_status
lock_row(struct tc_db_conn *conn, const struct ingest_ctx *c, const char *instance_id,
         struct existing *out, struct tc_error *err)
{
    const char *params[2] = {c->in->form_id, instance_id};
    struct tc_db_result *res = NULL;
    enum tc_status st = tc_db_exec(conn, sql_lock, 2, params, c->arena, &res, err);

    if (st != TC_OK)
        return st;
    if (tc_db_rows(res) == 0)
        return TC_ENOTFOUND;
    out->id = tc_db_int(res, 0, 0, 0);
    snprintf(out->sha256, sizeof(out->sha256), "%s", tc_db_value(res, 0, 1));
    out->superseded_by = tc_db_int(res, 0, 2, 0);
    return TC_OK;
}

static const char sql_missing[] = "SELECT name FROM submission_attachments "
                                  "WHERE submission = $1::bigint AND bytes IS NULL";

static const char sql_attach[] =
    "UPDATE submission_attachments SET content_type = $3, size = $4::bigint, sha256 = $5, "
    "  bytes = $6::bytea, received_at = now() "
    "WHERE submission = $1::bigint AND name = $2 AND bytes IS NULL";

static bool
is_missing(const struct tc_db_result *missing, const char *name)
{
    for (size_t i = 0; i < tc_db_rows(missing); i++)
        if (strcmp(tc_db_value(missing, i, 0), name) == 0)
            return true;
    return false;
}

/* Fill the empty slot `a->name` of submission `id`; counts what it stored. */
static enum tc_status
attach_one(struct tc_db_conn *conn, struct ingest_ctx *c, long long id,
           const struct tc_ingest_attachment *a, struct tc_error *err)
{
    const unsigned char *bytes = a->bytes;
    unsigned char *read = NULL, digest[crypto_hash_sha256_BYTES];
    size_t size = a->size;
    char hex[65];
    struct tc_db_result *res = NULL;
    enum tc_status st;

    if (a->file != NULL) {
        if ((st = tc_spool_read_all(a->file, c->arena, &read, &size, err)) != TC_OK)
            return st;
        bytes = read;
        tc_spool_sha256_hex(a->file, hex); /* hashed while it was spooled */
    } else {
        crypto_hash_sha256(digest, bytes, size);
        sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
    }
    {
        const char *params[6] = {int_param(c->arena, id),
                                 a->name,
                                 a->content_type ? a->content_type : "application/octet-stream",
                                 tc_arena_printf(c->arena, "%zu", size),
                                 hex,
                                 (const char *)(bytes != NULL ? bytes : (const unsigned char *)"")};
        size_t lengths[6] = {[5] = size};
        bool binary[6] = {[5] = true};

        st = tc_db_exec_bin(conn, sql_attach, 6, params, lengths, binary, c->arena, &res, err);
    }
    if (st == TC_OK)
        c->out->n_stored += tc_db_affected(res);
    return st;
}

/* Store the files of this post that fill empty slots; others are ignored. */
static enum tc_status
attach_files(struct tc_db_conn *conn, struct ingest_ctx *c, long long id, struct tc_error *err)
{
    const char *params[1] = {int_param(c->arena, id)};
    struct tc_db_result *missing = NULL;
    enum tc_status st;

    if (c->in->n_attachments == 0)
        return TC_OK;
    if ((st = tc_db_exec(conn, sql_missing, 1, params, c->arena, &missing, err)) != TC_OK)
        return st;
    for (size_t i = 0; i < c->in->n_attachments && st == TC_OK; i++) {
        const struct tc_ingest_attachment *a = &c->in->attachments[i];

        if (a->name != NULL && is_missing(missing, a->name))
            st = attach_one(conn, c, id, a, err);
    }
    return st;
}

static const char sql_carry_over[] =
    "UPDATE submission_attachments n SET content_type = o.content_type, size = o.size, "
    "  sha256 = o.sha256, bytes = o.bytes, received_at = o.received_at "
    "FROM submission_attachments o "
    "WHERE n.submission = $1::bigint AND n.bytes IS NULL "
    "  AND o.submission = $2::bigint AND o.name = n.name AND o.bytes IS NOT NULL";

static const char sql_finish[] =
    "UPDATE submissions SET updated_at = now(), is_complete = is_complete OR (NOT $2::bool "
    "  AND NOT EXISTS (SELECT 1 FROM submission_attachments "
    "                  WHERE submission = $1::bigint AND bytes IS NULL)) "
    "WHERE id = $1::bigint "
    "RETURNING review_state, is_complete, (SELECT count(*) FROM submission_attachments "
    "  WHERE submission = $1::bigint AND bytes IS NULL)";

/* Recompute completeness and fill the result from the row. */
static enum tc_status
finish_row(struct tc_db_conn *conn, struct ingest_ctx *c, long long id, struct tc_error *err)
{
    const char *params[2] = {int_param(c->arena, id), c->in->is_incomplete ? "t" : "f"};
    struct tc_db_result *res = NULL;
    enum tc_status st = tc_db_exec(conn, sql_finish, 2, params, c->arena, &res, err);

    if (st != TC_OK)
        return st;
    if (tc_db_rows(res) != 1)
        return tc_fail(err, TC_EINTERNAL, "submission %lld vanished while being stored", id);
    c->out->id = id;
    snprintf(c->out->review_state, sizeof(c->out->review_state), "%s", tc_db_value(res, 0, 0));
    c->out->is_complete = tc_db_bool(res, 0, 1);
    c->out->n_missing = (size_t)tc_db_int(res, 0, 2, 0);
    return TC_OK;
}

/* The instance id exists: identical XML merges files, anything else is a conflict. */
static enum tc_status
merge_duplicate(struct tc_db_conn *conn, struct ingest_ctx *c, const struct existing *row,
                struct tc_error *err)
{
    enum tc_status st;

    if (strcmp(row->sha256, c->in->xml_sha256) != 0)
        return tc_fail(err, TC_ECONFLICT,
                       "a submission with instance ID \"%s\" already exists with different XML",
                       c->in->instance_id);
    c->out->outcome = TC_INGEST_DUPLICATE;
    if ((st = attach_files(conn, c, row->id, err)) != TC_OK)
        return st;
    return finish_row(conn, c, row->id, err);
}

static enum tc_status
store_new(struct tc_db_conn *conn, struct ingest_ctx *c, struct tc_error *err)
{
    struct existing row;
    long long id = 0;
    enum tc_status st;

    st = insert_row(conn, c, c->in->n_findings > 0 ? "hasIssues" : "received", false, &id, err);
    if (st != TC_OK)
        return st;
    if (id > 0) {
        c->out->outcome = TC_INGEST_CREATED;
        if ((st = attach_files(conn, c, id, err)) != TC_OK)
            return st;
        return finish_row(conn, c, id, err);
    }
    if ((st = lock_row(conn, c, c->in->instance_id, &row, err)) == TC_ENOTFOUND)
        return tc_fail(err, TC_ERETRY, "submission \"%s\" conflicted with a concurrent one",
                       c->in->instance_id); /* it was deleted meanwhile: run again */
    if (st != TC_OK)
        return st;
    if (row.superseded_by > 0)
        return tc_fail(err, TC_ECONFLICT,
                       "submission \"%s\" has been edited since and cannot be sent again",
                       c->in->instance_id);
    return merge_duplicate(conn, c, &row, err);
}

static const char sql_supersede[] =
    "UPDATE submissions SET superseded_by = $2::bigint, updated_at = now() WHERE id = $1::bigint";

/* The edit's row was inserted: link it, take over the old files, finish. */
static enum tc_status
link_edit(struct tc_db_conn *conn, struct ingest_ctx *c, const struct existing *old, long long id,
          struct tc_error *err)
{
    const char *params[2] = {int_param(c->arena, old->id), int_param(c->arena, id)};
    const char *carry[2] = {params[1], params[0]};
    struct tc_db_result *res = NULL;
    enum tc_status st;

    c->out->outcome = TC_INGEST_EDITED;
    if ((st = tc_db_exec(conn, sql_supersede, 2, params, c->arena, &res, err)) != TC_OK)
        return st;
    if ((st = attach_files(conn, c, id, err)) != TC_OK)
        return st;
    if ((st = tc_db_exec(conn, sql_carry_over, 2, carry, c->arena, &res, err)) != TC_OK)
        return st;
    return finish_row(conn, c, id, err);
}

static enum tc_status
store_edit(struct tc_db_conn *conn, struct ingest_ctx *c, struct tc_error *err)
{
    const struct tc_ingest *in = c->in;
    struct existing old, row;
    long long id = 0;
    enum tc_status st;

    if (strcmp(in->deprecated_id, in->instance_id) == 0)
        return tc_fail(err, TC_EBADREQ, "submission \"%s\" cannot replace itself", in->instance_id);
    /* The old row's lock orders competing edits of one submission. */
    if ((st = lock_row(conn, c, in->deprecated_id, &old, err)) == TC_ENOTFOUND)
        return tc_fail(err, TC_ENOTFOUND, "the submission \"%s\" this one replaces does not exist",
                       in->deprecated_id);
    if (st != TC_OK || (st = insert_row(conn, c, "edited", false, &id, err)) != TC_OK)
        return st;
    if (id > 0 && old.superseded_by > 0)
        return tc_fail(err, TC_ECONFLICT, "submission \"%s\" has already been replaced",
                       in->deprecated_id);
    if (id > 0)
        return link_edit(conn, c, &old, id, err);
    if ((st = lock_row(conn, c, in->instance_id, &row, err)) == TC_ENOTFOUND)
        return tc_fail(err, TC_ERETRY, "submission \"%s\" conflicted with a concurrent one",
                       in->instance_id);
    if (st != TC_OK)
        return st;
    if (row.id != old.superseded_by)
        return tc_fail(err, TC_ECONFLICT, "a submission with instance ID \"%s\" already exists",
                       in->instance_id);
    return merge_duplicate(conn, c, &row, err); /* a retry or split upload of the edit */
}

static const char *const audit_actions[] = {
    [TC_INGEST_CREATED] = "submission.create",
    [TC_INGEST_DUPLICATE] = "submission.attach",
    [TC_INGEST_EDITED] = "submission.edit",
};

/* The audit row of a post that changed something: ids and counts, never answers. */
static enum tc_status
audit_post(struct tc_db_conn *conn, const struct ingest_ctx *c, struct tc_error *err)
{
    const struct tc_ingest *in = c->in;
    struct tc_audit_event ev = {
        .actor_kind = in->submitter_id > 0  ? "user"
                      : in->app_user_id > 0 ? "app_user"
                                            : "anonymous",
        .actor_id = in->submitter_id > 0 ? in->submitter_id : in->app_user_id,
        .action = audit_actions[c->out->outcome],
        .object_kind = "submission",
        .object_id = tc_arena_printf(c->arena, "%lld", c->out->id),
        .client_addr = in->client_addr,
    };
    json_t *detail;
    char *text;
    enum tc_status st;

    if (c->out->outcome == TC_INGEST_DUPLICATE && c->out->n_stored == 0)
        return TC_OK;
    detail = json_pack("{s:s,s:s,s:s?,s:I,s:I,s:I}", "form_id", in->form_id, "instance_id",
                       in->instance_id, "deprecated_id", in->deprecated_id, "files",
                       (json_int_t)c->out->n_stored, "missing", (json_int_t)c->out->n_missing,
                       "findings", (json_int_t)in->n_findings);
    text = detail != NULL ? json_dumps(detail, JSON_COMPACT) : NULL;
    json_decref(detail);
    if (text == NULL || ev.object_id == NULL) {
        free(text);
        return tc_fail(err, TC_ENOMEM, "out of memory");
    }
    ev.detail_json = text;
    st = tc_audit_append(conn, &ev, c->arena, err);
    free(text);
    return st;
}

static enum tc_status
store_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    struct ingest_ctx *c = ctx;
    enum tc_status st;

    memset(c->out, 0, sizeof(*c->out));
    if ((c->arena = tc_arena_create(16384)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    st = c->in->deprecated_id != NULL && c->in->deprecated_id[0] != '\0' ? store_edit(conn, c, err)
                                                                         : store_new(conn, c, err);
    if (st == TC_OK && c->in->on_new_row != NULL && c->out->outcome != TC_INGEST_DUPLICATE)
        st = c->in->on_new_row(conn, c->out->id, c->in->on_new_row_ctx, err);
    if (st == TC_OK)
        st = audit_post(conn, c, err);
    tc_arena_destroy(c->arena);
    c->arena = NULL;
    return st;
}

/* Findings and expected names as JSON text for the insert (jansson escapes them). */
static enum tc_status
build_json(const struct tc_ingest *in, struct ingest_ctx *c, struct tc_error *err)
{
    json_t *findings = json_array(), *expected = json_array();
    enum tc_status st = TC_OK;

    for (size_t i = 0; findings != NULL && i < in->n_findings; i++) {
        const struct tc_ingest_finding *f = &in->findings[i];

        if (json_array_append_new(findings, json_pack("{s:s?,s:s?,s:s?}", "field", f->field, "rule",
                                                      f->rule, "message", f->message)))
            st = TC_ENOMEM;
    }
    for (size_t i = 0; expected != NULL && i < in->n_expected; i++)
        if (in->expected[i] != NULL && tc_multipart_name_is_clean(in->expected[i]) &&
            json_array_append_new(expected, json_string(in->expected[i])))
            st = TC_ENOMEM;
    if (findings != NULL && expected != NULL && st == TC_OK) {
        c->findings_json = json_dumps(findings, JSON_COMPACT);
        c->expected_json = json_dumps(expected, JSON_COMPACT);
    }
    json_decref(findings);
    json_decref(expected);
    if (c->findings_json == NULL || c->expected_json == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    return TC_OK;
}

/*
 * The common case, a new submission without files in this post, is one statement: row,
 * findings, slots and audit row commit together without BEGIN/COMMIT round trips.
 * `out->id` stays 0 when the instance id exists; the caller then takes the full path.
 */
static enum tc_status
store_fast(struct tc_db_conn *conn, struct ingest_ctx *c, struct tc_error *err)
{
    long long id = 0;
    enum tc_status st;

    memset(c->out, 0, sizeof(*c->out));
    if ((c->arena = tc_arena_create(8192)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    st = insert_row(conn, c, c->in->n_findings > 0 ? "hasIssues" : "received", true, &id, err);
    if (st == TC_OK && id > 0)
        c->out->outcome = TC_INGEST_CREATED;
    tc_arena_destroy(c->arena);
    c->arena = NULL;
    return st;
}

enum tc_status
tc_submission_store(struct tc_db_conn *conn, const struct tc_ingest *in,
                    struct tc_ingest_result *out, struct tc_error *err)
{
    struct ingest_ctx c = {.in = in, .out = out};
    enum tc_status st;

    if (in->instance_id == NULL || in->instance_id[0] == '\0' || in->form_id == NULL ||
        in->form_version == NULL || in->xml_sha256 == NULL)
        return tc_fail(err, TC_EBADREQ, "submission has no instance ID");
    if ((in->xml == NULL) == (in->xml_sealed == NULL))
        return tc_fail(err, TC_EINTERNAL, "a submission is stored either plain or sealed");
    if ((st = build_json(in, &c, err)) != TC_OK)
        goto out;
    if ((in->deprecated_id == NULL || in->deprecated_id[0] == '\0') && in->n_attachments == 0 &&
        in->on_new_row == NULL) {
        st = store_fast(conn, &c, err);
        if ((st == TC_OK && out->id > 0) || (st != TC_OK && st != TC_ERETRY))
            goto out;
    }
    st = tc_db_transact(conn, false, store_txn, &c, err);
out:
    free(c.findings_json);
    free(c.expected_json);
    return st;
}
