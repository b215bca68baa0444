#ifndef TC_WEB_STATIC_H
#define TC_WEB_STATIC_H

#include <stddef.h>

#include "tincay/status.h"

struct tc_request;
struct tc_response;
struct tc_error;

/*
 * The web interface's static files (server/web/static/), compiled into the binary by
 * cmake/WebAssets.cmake and served at /static/<stem>.<hash>.<ext>: the name changes with
 * the content, so browsers may keep each for a year.
 */
struct tc_static_asset {
    const char *name;   /* "app.css" */
    const char *hashed; /* "app.1a2b3c4d5e6f.css" */
    const char *data;
    size_t len;
};

extern const struct tc_static_asset tc_static_assets[];
extern const size_t tc_static_assets_count;

/* The URL path of the asset called `name` ("/static/app.1a2b3c4d5e6f.css"); NULL if none. */
const char *tc_static_url(const char *name, char *buf, size_t size);

/* GET /static/:name: the asset by its hashed name, with a year-long immutable cache. */
enum tc_status tc_handle_static(struct tc_request *req, struct tc_response *resp,
                                struct tc_error *err);

#endif /* TC_WEB_STATIC_H */
