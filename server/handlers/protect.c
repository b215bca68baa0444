#include "handlers/protect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "http.h"
#include "tincay/arena.h"
#include "tincay/caselog.h"
#include "tincay/cases.h"
#include "tincay/form.h"
#include "tincay/spool.h"
#include "tincay/submissions.h"
#include "tincay/units.h"
#include "tincay/vault.h"

#define CODE_TRIES 8

/* What the transaction of a protected submission stores beside its row. */
struct protect_ctx {
    long long unit_id;
    bool intake;
    const char *case_code;
    const char *form_id;
    const char *report_json;
    unsigned char dek_sealed[TC_DEK_SEALED_BYTES];
    struct tc_blind_value blind[TC_BLIND_KIND_COUNT];
    size_t n_blind;
};

bool
tc_protect_spool_encrypt(const struct tc_principal *who)
{
    return who != NULL && who->unit_id != 0;
}

/* "DC-" and 8 lower-case hex digits. */
static bool
case_code_is_valid(const char *code)
{
    if (code == NULL || strlen(code) != 11 || strncmp(code, "DC-", 3) != 0)
        return false;
    for (size_t i = 3; i < 11; i++)
        if (!((code[i] >= '0' && code[i] <= '9') || (code[i] >= 'a' && code[i] <= 'f')))
            return false;
    return true;
}

/* The form's case-code field, or NULL. */
static const struct tc_form_field *
case_code_field(const struct tc_form_model *model)
{
    for (size_t i = 0; i < tc_form_field_count(model); i++) {
        const struct tc_form_field *f = tc_form_field_at(model, i);

        if (f->role == TC_FIELD_ROLE_CASE_CODE)
            return f;
    }
    return NULL;
}

/* The value of the protected field named `name` (last path segment), or NULL. */
static const char *
protected_value(const struct tc_submission *sub, const char *name)
{
    for (size_t i = 0; i < sub->n_protected; i++) {
        const struct tc_submission_value *v = &sub->protected_values[i];

        if (v->field != NULL && strcmp(v->field->name, name) == 0 && v->value != NULL &&
            v->value[0] != '\0')
            return v->value;
    }
    return NULL;
}

/* {"name": value} of the tc:report fields (first value of each), in the arena. */
static enum tc_status
report_json(const struct tc_submission *sub, struct tc_arena *arena, const char **out,
            struct tc_error *err)
{
    json_t *o = json_object();
    char *text;

    for (size_t i = 0; o != NULL && i < sub->n_report; i++) {
        const struct tc_submission_value *v = &sub->report_values[i];

        if (v->field == NULL || v->value == NULL || v->value[0] == '\0' ||
            json_object_get(o, v->field->name) != NULL)
            continue;
        json_object_set_new(o, v->field->name, json_string(v->value));
    }
    text = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    if (text == NULL || (*out = tc_arena_strdup(arena, text)) == NULL) {
        free(text);
        return tc_fail(err, TC_ENOMEM, "out of memory");
    }
    free(text);
    return TC_OK;
}

/* values_json with the case-code field (at `path` below the root) set to `code`. */
static enum tc_status
set_case_code(struct tc_ingest *in, const char *path, const char *code, struct tc_arena *arena,
              struct tc_error *err)
{
    json_t *root = in->values_json != NULL ? json_loads(in->values_json, 0, NULL) : json_object();
    json_t *node = root;
    const char *seg = strchr(path + 1, '/'); /* skip the root element */
    char *text = NULL;

    while (node != NULL && seg != NULL) {
        const char *next = strchr(seg + 1, '/');
        char *name = tc_arena_strndup(arena, seg + 1,
                                      next != NULL ? (size_t)(next - seg - 1) : strlen(seg + 1));

        if (name == NULL)
            break;
        if (next == NULL) {
            json_object_set_new(node, name, json_string(code));
            text = json_dumps(root, JSON_COMPACT);
            break;
        }
        if (!json_is_object(json_object_get(node, name)))
            json_object_set_new(node, name, json_object());
        node = json_object_get(node, name);
        seg = next;
    }
    json_decref(root);
    if (text == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    in->values_json = tc_arena_strdup(arena, text);
    free(text);
    return in->values_json != NULL ? TC_OK : tc_fail(err, TC_ENOMEM, "out of memory");
}

/* The phone's code when it is well formed and free, else a fresh one. */
static enum tc_status
assign_case_code(struct tc_db_conn *conn, const char *proposed, struct tc_arena *arena,
                 const char **out, struct tc_error *err)
{
    char fresh[12];
    struct tc_case c;
    enum tc_status st;

    for (int i = 0; i < CODE_TRIES; i++) {
        const char *code = proposed;

        if (i > 0 || !case_code_is_valid(proposed)) {
            tc_case_code_generate(fresh);
            code = fresh;
        }
        st = tc_case_get(conn, code, arena, &c, err);
        if (st == TC_ENOTFOUND) {
            *out = tc_arena_strdup(arena, code);
            return *out != NULL ? TC_OK : tc_fail(err, TC_ENOMEM, "out of memory");
        }
        if (st != TC_OK)
            return st;
    }
    return tc_fail(err, TC_EINTERNAL, "no free case code after %d tries", CODE_TRIES);
}

/* Blind indexes of the victim, when the filer is a member logged in with the unit key. */
static void
compute_blind(struct tc_db_conn *conn, const struct tc_principal *who, long long unit_id,
              const struct tc_submission *sub, struct protect_ctx *ctx)
{
    struct tc_error ignored = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_unit_key *key = NULL;
    const char *year = protected_value(sub, "victim_birth_year");

    if (who->session_token == NULL ||
        tc_unit_key_for_session(conn, who->session_token, unit_id, &key, &ignored) != TC_OK)
        return;
    tc_blind_person(key, protected_value(sub, "victim_name"),
                    year != NULL ? (int)strtol(year, NULL, 10) : 0,
                    protected_value(sub, "victim_phone"), ctx->blind, &ctx->n_blind);
    tc_unit_key_free(key);
}

/* Seal each attachment under the case's data key, named by its file name. */
static enum tc_status
seal_attachments(struct tc_ingest *in, const struct tc_dek *dek, struct tc_arena *arena,
                 struct tc_error *err)
{
    struct tc_ingest_attachment *a = tc_arena_calloc(arena, in->n_attachments + 1, sizeof(*a));
    enum tc_status st;

    if (a == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < in->n_attachments; i++) {
        const struct tc_ingest_attachment *from = &in->attachments[i];
        const unsigned char *plain = from->bytes;
        unsigned char *read = NULL, *sealed;
        size_t len = from->size, sealed_len;

        if (from->file != NULL) {
            if ((st = tc_spool_read_all(from->file, arena, &read, &len, err)) != TC_OK)
                return st;
            plain = read;
        }
        st = tc_dek_stream_encrypt(dek, in->form_id, in->instance_id, from->name,
                                   plain != NULL ? plain : (const unsigned char *)"", len, arena,
                                   &sealed, &sealed_len, err);
        if (read != NULL)
            sodium_memzero(read, len);
        if (st != TC_OK)
            return st;
        a[i] = (struct tc_ingest_attachment){.name = from->name,
                                             .content_type = from->content_type,
                                             .bytes = sealed,
                                             .size = sealed_len};
    }
    in->attachments = a;
    return TC_OK;
}

static enum tc_status
store_sealed(struct tc_db_conn *conn, long long submission, void *vctx, struct tc_error *err)
{
    struct protect_ctx *ctx = vctx;
    long long case_id = 0;
    enum tc_status st;

    st = tc_submission_keys_store_sealed(conn, submission, ctx->unit_id, ctx->dek_sealed, err);
    if (st != TC_OK || !ctx->intake)
        return st;
    st = tc_case_insert(conn, ctx->unit_id, ctx->case_code, ctx->form_id, submission,
                        ctx->report_json, &case_id, err);
    if (st == TC_ECONFLICT) /* taken since we looked: the retry picks another */
        return tc_fail(err, TC_ERETRY, "case code \"%s\" was taken meanwhile", ctx->case_code);
    if (st == TC_OK && ctx->n_blind > 0)
        st = tc_blind_store(conn, ctx->unit_id, case_id, ctx->blind, ctx->n_blind, err);
    return st;
}

/* Which case, and which unit: the filer's; a follow-up's case must be of that unit. */
static enum tc_status
place_case(struct tc_db_conn *conn, const struct tc_principal *who,
           const struct tc_form_model *model, struct tc_ingest *in, struct protect_ctx *ctx,
           struct tc_arena *arena, struct tc_error *err)
{
    const struct tc_form_field *f = case_code_field(model);
    struct tc_case c;
    bool exists = false;
    enum tc_status st;

    if (who->unit_id == 0)
        return tc_fail(err, TC_EFORBIDDEN,
                       "form \"%s\" is a confidential case form: only a member of a Trusted "
                       "Address unit or the unit's phone can file it, nothing was stored",
                       in->form_id);
    ctx->unit_id = who->unit_id;
    if (in->deprecated_id != NULL && in->deprecated_id[0] != '\0')
        return tc_fail(err, TC_ECONFLICT,
                       "a confidential submission cannot be edited: send a follow-up instead");
    if ((st = tc_caselog_instance_exists(conn, in->form_id, in->instance_id, &exists, err)) !=
        TC_OK)
        return st;
    if (exists && in->n_attachments > 0) /* the data key of the stored row is sealed */
        return tc_fail(err, TC_ECONFLICT,
                       "submission \"%s\" is stored already: the files of a confidential "
                       "submission must come in the same post as its XML",
                       in->instance_id);
    ctx->intake = f == NULL || f->calculate[0] != '\0';
    if (ctx->intake && exists) { /* a repeat: it stores no new case, whatever its code */
        ctx->case_code = in->case_code != NULL ? in->case_code : "";
        return TC_OK;
    }
    if (ctx->intake) {
        if ((st = assign_case_code(conn, in->case_code, arena, &ctx->case_code, err)) != TC_OK)
            return st;
        in->case_code = ctx->case_code;
        return f != NULL ? set_case_code(in, f->path, ctx->case_code, arena, err) : TC_OK;
    }
    st = in->case_code != NULL ? tc_case_get(conn, in->case_code, arena, &c, err) : TC_ENOTFOUND;
    if (st == TC_OK && c.unit_id != who->unit_id)
        st = TC_ENOTFOUND;
    if (st == TC_ENOTFOUND)
        return tc_fail(err, TC_ENOTFOUND,
                       "there is no case \"%s\" in your unit: the follow-up was not stored",
                       in->case_code != NULL ? in->case_code : "");
    ctx->case_code = c.case_code;
    return st;
}

static enum tc_status
protect_confidential(struct tc_request *req, const struct tc_principal *who,
                     const struct tc_form_model *model, const struct tc_submission *sub,
                     struct tc_ingest *in, struct protect_ctx *ctx, struct tc_error *err)
{
    struct tc_arena *arena = tc_req_arena(req);
    struct tc_db_conn *conn = tc_req_db(req, err);
    struct tc_caselog_unit unit = {0};
    struct tc_case_sealed sealed;
    struct tc_dek *dek = NULL;
    enum tc_status st;

    if (conn == NULL)
        return err->status;
    if ((st = place_case(conn, who, model, in, ctx, arena, err)) != TC_OK ||
        (st = tc_caselog_unit(conn, ctx->unit_id, NULL, arena, &unit, err)) != TC_OK)
        return st;
    if (ctx->intake) {
        if ((st = report_json(sub, arena, &ctx->report_json, err)) != TC_OK)
            return st;
        compute_blind(conn, who, ctx->unit_id, sub, ctx);
    }
    st = tc_case_seal(unit.public_key, in->form_id, in->instance_id, in->xml, in->xml_len, arena,
                      &sealed, &dek, err);
    if (st == TC_OK)
        st = seal_attachments(in, dek, arena, err);
    tc_dek_free(dek);
    if (st != TC_OK)
        return st;
    memcpy(ctx->dek_sealed, sealed.dek_sealed, sizeof(ctx->dek_sealed));
    in->xml = NULL;
    in->xml_len = 0;
    in->xml_sealed = sealed.xml;
    in->xml_sealed_len = sealed.xml_len;
    in->key_id = TC_SUBMISSION_KEY_UNIT;
    return TC_OK;
}

enum tc_status
tc_protect_ingest(struct tc_request *req, const struct tc_principal *who,
                  const struct tc_form_model *model, const struct tc_submission *sub,
                  struct tc_ingest *in, const char **case_code_out, struct tc_error *err)
{
    struct protect_ctx *ctx;
    enum tc_status st;

    if (case_code_out != NULL)
        *case_code_out = NULL;
    if (!tc_form_is_confidential(model))
        return TC_OK;
    if ((ctx = tc_arena_calloc(tc_req_arena(req), 1, sizeof(*ctx))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    ctx->form_id = in->form_id;
    if ((st = protect_confidential(req, who, model, sub, in, ctx, err)) != TC_OK)
        return st;
    in->on_new_row = store_sealed;
    in->on_new_row_ctx = ctx;
    if (case_code_out != NULL && ctx->intake)
        *case_code_out = ctx->case_code;
    return TC_OK;
}
