#include "form_cache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tincay/form.h"
#include "tincay/forms.h"
#include "tincay/rules.h"

/* Loaded rulesets kept idle between submissions (each used by one thread at a time). */
#define IDLE_RULESETS 32

struct entry {
    long long id;
    char sha256[65];
    size_t n_media; /* a published version may gain media files (not change them) */
    struct tc_form_model *model;
};

struct tc_form_cache {
    pthread_rwlock_t lock;
    struct entry *entries;
    size_t n, max;
    pthread_mutex_t idle_lock;
    struct tc_ruleset *idle[IDLE_RULESETS];
    size_t n_idle;
};

struct tc_form_cache *
tc_form_cache_create(size_t max, struct tc_error *err)
{
    struct tc_form_cache *c = calloc(1, sizeof(*c));

    if (c == NULL || (c->entries = calloc(max + 1, sizeof(*c->entries))) == NULL ||
        pthread_rwlock_init(&c->lock, NULL) != 0) {
        if (c != NULL)
            free(c->entries);
        free(c);
        tc_fail(err, TC_ENOMEM, "out of memory");
        return NULL;
    }
    if (pthread_mutex_init(&c->idle_lock, NULL) != 0) {
        pthread_rwlock_destroy(&c->lock);
        free(c->entries);
        free(c);
        tc_fail(err, TC_ENOMEM, "out of memory");
        return NULL;
    }
    c->max = max;
    return c;
}

void
tc_form_cache_destroy(struct tc_form_cache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n; i++)
        tc_form_model_free(c->entries[i].model);
    for (size_t i = 0; i < c->n_idle; i++)
        tc_ruleset_free(c->idle[i]);
    pthread_mutex_destroy(&c->idle_lock);
    pthread_rwlock_destroy(&c->lock);
    free(c->entries);
    free(c);
}

static const struct tc_form_model *
find(const struct tc_form_cache *c, const struct tc_form_row *row)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->entries[i].id == row->id && c->entries[i].n_media == row->n_media &&
            strcmp(c->entries[i].sha256, row->sha256) == 0)
            return c->entries[i].model;
    return NULL;
}

/* Keep `model` unless another thread kept the same version meanwhile or the cache is full. */
static bool
keep(struct tc_form_cache *c, const struct tc_form_row *row, struct tc_form_model *model,
     const struct tc_form_model **kept)
{
    bool stored = false;

    pthread_rwlock_wrlock(&c->lock);
    if ((*kept = find(c, row)) == NULL && c->n < c->max) {
        struct entry *e = &c->entries[c->n++];

        e->id = row->id;
        e->n_media = row->n_media;
        memcpy(e->sha256, row->sha256, sizeof(e->sha256));
        e->model = model;
        *kept = model;
        stored = true;
    }
    pthread_rwlock_unlock(&c->lock);
    return stored;
}

const struct tc_form_model *
tc_form_cache_find(struct tc_form_cache *c, const struct tc_form_row *row)
{
    const struct tc_form_model *kept;

    if (c == NULL || row->state == TC_FORM_DRAFT)
        return NULL;
    pthread_rwlock_rdlock(&c->lock);
    kept = find(c, row);
    pthread_rwlock_unlock(&c->lock);
    return kept;
}

enum tc_status
tc_form_cache_get(struct tc_form_cache *c, const struct tc_form_row *row, tc_form_media_fn media,
                  void *media_ctx, const struct tc_form_model **model_out,
                  struct tc_form_model **owned_out, struct tc_error *err)
{
    struct tc_form_model *model = NULL;
    const struct tc_form_model *kept = NULL;
    enum tc_status st;

    *owned_out = NULL;
    if (c != NULL && row->state != TC_FORM_DRAFT) {
        pthread_rwlock_rdlock(&c->lock);
        kept = find(c, row);
        pthread_rwlock_unlock(&c->lock);
        if (kept != NULL) {
            *model_out = kept;
            return TC_OK;
        }
    }
    if ((st = tc_form_load_with_media((const char *)row->xml, row->xml_len, media, media_ctx,
                                      &model, err)) != TC_OK)
        return st;
    if (c != NULL && row->state != TC_FORM_DRAFT && keep(c, row, model, &kept)) {
        *model_out = kept;
        return TC_OK;
    }
    if (kept != NULL) { /* another thread kept it first */
        tc_form_model_free(model);
        *model_out = kept;
        return TC_OK;
    }
    *model_out = model;
    *owned_out = model;
    return TC_OK;
}

enum tc_status
tc_form_stored_media(void *ctx, const char *name, const unsigned char **bytes, size_t *len,
                     struct tc_error *err)
{
    const struct tc_stored_media *sm = ctx;
    struct tc_form_media m;
    enum tc_status st = tc_forms_media_get(sm->conn, sm->form, name, sm->arena, &m, err);

    *bytes = NULL;
    *len = 0;
    if (st == TC_ENOTFOUND) {
        tc_error_clear(err);
        return TC_OK;
    }
    if (st == TC_OK) {
        *bytes = m.bytes;
        *len = m.size;
    }
    return st;
}

enum tc_status
tc_form_cache_ruleset_take(struct tc_form_cache *c, struct tc_db_conn *conn, const char *id,
                           int version, struct tc_ruleset **out, struct tc_error *err)
{
    *out = NULL;
    if (c != NULL) {
        pthread_mutex_lock(&c->idle_lock);
        for (size_t i = 0; i < c->n_idle && *out == NULL; i++)
            if (tc_ruleset_version(c->idle[i]) == version &&
                strcmp(tc_ruleset_id(c->idle[i]), id) == 0) {
                *out = c->idle[i];
                c->idle[i] = c->idle[--c->n_idle];
            }
        pthread_mutex_unlock(&c->idle_lock);
        if (*out != NULL)
            return TC_OK;
    }
    return tc_ruleset_load_version(conn, id, version, out, err);
}

void
tc_form_cache_ruleset_give(struct tc_form_cache *c, struct tc_ruleset *rs)
{
    if (rs == NULL)
        return;
    if (c != NULL) {
        pthread_mutex_lock(&c->idle_lock);
        if (c->n_idle < IDLE_RULESETS) {
            c->idle[c->n_idle++] = rs;
            rs = NULL;
        }
        /* full: it takes the place of another version's (one no longer active, likely) */
        for (size_t i = 0; rs != NULL && i < c->n_idle; i++)
            if (tc_ruleset_version(c->idle[i]) != tc_ruleset_version(rs) ||
                strcmp(tc_ruleset_id(c->idle[i]), tc_ruleset_id(rs)) != 0) {
                struct tc_ruleset *old = c->idle[i];
                c->idle[i] = rs;
                rs = old;
                break;
            }
        pthread_mutex_unlock(&c->idle_lock);
    }
    tc_ruleset_free(rs); /* NULL when kept; else the one left out */
}
