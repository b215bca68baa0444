#ifndef TC_FORM_CACHE_H
#define TC_FORM_CACHE_H

#include <stddef.h>

#include "tincay/form.h"
#include "tincay/status.h"

struct tc_arena;
struct tc_db_conn;
struct tc_form_model;
struct tc_form_row;

/*
 * Loaded form models of the server, so that a submission does not load its form again.
 * Keyed by forms.id, the stored bytes' SHA-256 and the number of media files: a version
 * that left draft never changes (schema trigger) and its media files may be added but not
 * replaced, so an entry is never stale; a draft is never cached. Models are shared
 * read-only by every thread (form.h) and live until tc_form_cache_destroy; past `max`
 * entries models are loaded per request and not kept.
 */
struct tc_form_cache;

struct tc_form_cache *tc_form_cache_create(size_t max, struct tc_error *err);
void tc_form_cache_destroy(struct tc_form_cache *cache); /* accepts NULL */

/*
 * The model of the stored version `row` (its XML included), its external instances read
 * through `media` (tc_form_load_with_media; may be NULL). `cache` may be NULL. When the
 * model is not kept, `*owned_out` is set and the caller frees it with tc_form_model_free;
 * otherwise `*owned_out` is NULL and the model lives as long as the cache.
 */
enum tc_status tc_form_cache_get(struct tc_form_cache *cache, const struct tc_form_row *row,
                                 tc_form_media_fn media, void *media_ctx,
                                 const struct tc_form_model **model_out,
                                 struct tc_form_model **owned_out, struct tc_error *err);

/*
 * The kept model of the stored version `row` (its XML not needed), or NULL when none is
 * kept: then fetch the XML and call tc_form_cache_get.
 */
const struct tc_form_model *tc_form_cache_find(struct tc_form_cache *cache,
                                               const struct tc_form_row *row);

/*
 * Ruleset `id` version `version` for this thread's use until tc_form_cache_ruleset_give: an
 * idle loaded one when there is one (a version never changes), else loaded from the
 * database (tc_ruleset_load_version). libxml2 writes into compiled expressions as it
 * evaluates them, so a loaded ruleset serves one thread at a time, never shared. `cache`
 * may be NULL: loaded each time, freed when given back.
 */
struct tc_ruleset;
enum tc_status tc_form_cache_ruleset_take(struct tc_form_cache *cache, struct tc_db_conn *conn,
                                          const char *id, int version, struct tc_ruleset **out,
                                          struct tc_error *err);
void tc_form_cache_ruleset_give(struct tc_form_cache *cache, struct tc_ruleset *rs);

/* Where tc_form_stored_media reads: the media files of the version with row id `form`. */
struct tc_stored_media {
    struct tc_db_conn *conn;
    long long form;
    struct tc_arena *arena; /* the bytes live here */
};

/* A tc_form_media_fn over the stored media of a version (`ctx`: struct tc_stored_media). */
enum tc_status tc_form_stored_media(void *ctx, const char *name, const unsigned char **bytes,
                                    size_t *len, struct tc_error *err);

#endif /* TC_FORM_CACHE_H */
