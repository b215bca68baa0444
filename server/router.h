#ifndef TC_ROUTER_H
#define TC_ROUTER_H

#include <stddef.h>

#include "tincay/status.h"

struct tc_arena;
struct tc_error;
struct tc_request;
struct tc_response;

/*
 * Routing: what a route is (method, pattern with `:name` captures, handler, body mode,
 * cap) and the matcher that resolves a request against a table of them. The product's
 * table is in server/routes.c.
 */

/* A handler answers one request; on a non-OK status the dispatcher renders the error. */
typedef enum tc_status (*tc_handler_fn)(struct tc_request *req, struct tc_response *resp,
                                        struct tc_error *err);

/*
 * For TC_BODY_STREAMED routes: called with each piece of the request body as it
 * arrives (never the whole body at once). A non-OK status stops the upload: the rest of
 * the body is discarded, the handler is not called and the error is answered.
 */
typedef enum tc_status (*tc_chunk_fn)(struct tc_request *req, const char *data, size_t len,
                                      struct tc_error *err);

/*
 * Renders an error of this route's protocol into `resp` (e.g. an OpenRosaResponse).
 * Routes without one answer the JSON shape {"error": {"code": ..., "message": ...}}.
 */
typedef void (*tc_error_fn)(struct tc_request *req, struct tc_response *resp, enum tc_status status,
                            const struct tc_error *err);

enum tc_body_mode {
    TC_BODY_NONE,     /* any request body is refused with 413 */
    TC_BODY_BUFFERED, /* kept whole in memory up to max_body (JSON, login forms) */
    TC_BODY_STREAMED, /* handed piece by piece to on_chunk, up to max_body (uploads) */
};

struct tc_route {
    const char *method;  /* "GET", "POST", ...; a GET route also answers HEAD */
    const char *pattern; /* "/forms/:form/manifest": a segment starting with ':' is captured */
    tc_handler_fn handler;
    enum tc_body_mode body;
    size_t max_body;        /* bytes; ignored for TC_BODY_NONE */
    tc_chunk_fn on_chunk;   /* TC_BODY_STREAMED only */
    tc_error_fn render_err; /* NULL: JSON errors */
};

#define TC_ROUTE_MAX_PARAMS   8
#define TC_ROUTE_MAX_PATH     2048 /* bytes of the raw path */
#define TC_ROUTE_MAX_SEGMENTS 32
#define TC_ROUTE_ALLOW_SIZE   96

enum tc_route_result {
    TC_ROUTE_FOUND,     /* m->route and the captures are set */
    TC_ROUTE_NO_PATH,   /* no pattern matches the path: 404 */
    TC_ROUTE_NO_METHOD, /* a pattern matches, not for this method: 405, m->allow is set */
    TC_ROUTE_BAD_PATH,  /* not a usable path (no leading '/', bad %-escape, %00, too long): 400 */
    TC_ROUTE_NO_MEMORY, /* the arena could not hold the captures */
};

struct tc_route_match {
    const struct tc_route *route;
    size_t n_params;
    const char *names[TC_ROUTE_MAX_PARAMS];  /* pattern names, without the ':' */
    const char *values[TC_ROUTE_MAX_PARAMS]; /* percent-decoded, in the arena */
    char allow[TC_ROUTE_ALLOW_SIZE];         /* "GET, HEAD, POST" for TC_ROUTE_NO_METHOD */
};

/*
 * Resolve `method` and the raw (still percent-encoded) `path`, without query string,
 * against `table`. Segments are split on '/' first and percent-decoded after, so a
 * captured value may contain "/" when the client sent "%2F". One trailing slash is
 * ignored ("/formList/" is "/formList"); empty segments elsewhere never match. HEAD
 * matches GET routes. The first matching route in table order wins.
 */
enum tc_route_result tc_route_match(const struct tc_route *table, size_t n, const char *method,
                                    const char *path, struct tc_arena *arena,
                                    struct tc_route_match *m);

/*
 * The path as the access log may show it: the segment after any "key" segment (an
 * app user's token) becomes "[token]", control bytes become '?'. NULL only on OOM.
 */
char *tc_route_redact_path(const char *path, struct tc_arena *arena);

#endif /* TC_ROUTER_H */
