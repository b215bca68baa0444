#ifndef TC_HTTP_H
#define TC_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "router.h"
#include "tincay/i18n.h"
#include "tincay/status.h"

struct tc_arena;
struct tc_auth;
struct tc_form_cache;
struct tc_config;
struct tc_db_conn;
struct tc_db_pool;
struct tc_keyring;
struct tc_strbuf;
struct json_t;

/*
 * The HTTP daemon (libmicrohttpd: server/http.c is the only file that includes it), and
 * the API that handlers see. A request lives in its own arena: everything a handler
 * allocates from tc_req_arena() goes away when the request completes. Handlers are
 * called once the whole body is in (or streamed through on_chunk), on one of the pool's
 * threads; they may block on the database.
 */
struct tc_server;
struct tc_request;
struct tc_response;

struct tc_server_options {
    const struct tc_config *cfg; /* listen host and port (0: any), threads, TLS, proxy */
    struct tc_db_pool *pool;     /* may be NULL: /healthz then answers 503 */
    struct tc_keyring *keyring;  /* the server's key-encryption keys; NULL in some tests */
    struct tc_auth *auth;        /* server/auth.h; may be NULL: no credential is accepted */
    struct tc_form_cache *forms; /* server/form_cache.h; may be NULL: models load per request */
    /* Routes tried after the product's table (tests add theirs here). */
    const struct tc_route *extra_routes;
    size_t n_extra_routes;
    unsigned int deadline_ms;      /* whole request must arrive within; 0: 300 s */
    unsigned int idle_timeout_s;   /* MHD's idle timeout; 0: 30 s */
    unsigned int stop_wait_ms;     /* tc_server_stop waits this long for requests; 0: 10 s */
    unsigned int connection_limit; /* 0: 256 */
    unsigned int per_ip_limit;     /* 0: 32 (unlimited behind a trusted proxy) */
};

/* Start listening; on TC_OK `*out` runs until tc_server_stop(). */
enum tc_status tc_server_start(const struct tc_server_options *opts, struct tc_server **out,
                               struct tc_error *err);

/* The port actually bound (useful with port 0). */
unsigned int tc_server_port(const struct tc_server *srv);

/*
 * Stop accepting, let requests in flight finish (up to opts->stop_wait_ms), then stop
 * and free the server. Accepts NULL.
 */
void tc_server_stop(struct tc_server *srv);

const struct tc_config *tc_server_config(const struct tc_server *srv);
struct tc_db_pool *tc_server_pool(const struct tc_server *srv);
struct tc_keyring *tc_server_keyring(const struct tc_server *srv);
struct tc_auth *tc_server_auth(const struct tc_server *srv);
struct tc_form_cache *tc_server_forms(const struct tc_server *srv);

/* ---- the request, as handlers see it ---- */

struct tc_arena *tc_req_arena(const struct tc_request *req);
struct tc_server *tc_req_server(const struct tc_request *req);
const char *tc_req_id(const struct tc_request *req);     /* for tc_log's req_id */
const char *tc_req_method(const struct tc_request *req); /* as sent: "HEAD" for HEAD */
const char *tc_req_path(const struct tc_request *req);   /* raw, without the query */

/* A `:name` capture of the route's pattern, percent-decoded; NULL if there is none. */
const char *tc_req_param(const struct tc_request *req, const char *name);

/* A query parameter, decoded ('+' and %XX); NULL when absent. */
const char *tc_req_query(const struct tc_request *req, const char *name);

/* A request header (case-insensitive name) or cookie; NULL when absent. */
const char *tc_req_header(const struct tc_request *req, const char *name);
const char *tc_req_cookie(const struct tc_request *req, const char *name);

/*
 * The client's address: the TCP peer, or the last X-Forwarded-For entry when the peer
 * is the configured trusted proxy.
 */
const char *tc_req_client_addr(const struct tc_request *req);

/* HTTPS on this connection, or X-Forwarded-Proto: https from the trusted proxy. */
bool tc_req_is_tls(const struct tc_request *req);

/* The client address is a loopback address (127.0.0.0/8, ::1). */
bool tc_req_is_loopback(const struct tc_request *req);

/* Language of messages: Accept-Language (default Vietnamese) until a handler overrides. */
enum tc_lang tc_req_lang(const struct tc_request *req);
void tc_req_set_lang(struct tc_request *req, enum tc_lang lang);

/* The body of a TC_BODY_BUFFERED route (NUL-terminated; "" when empty). */
const char *tc_req_body(const struct tc_request *req, size_t *len);

/* Overwrite the buffered body with zeros once it has been read (it held a password). */
void tc_req_body_wipe(struct tc_request *req);

/*
 * The request's database connection, taken from the server's pool on first use (waiting
 * a few seconds at most: TC_EBUSY) and given back when the request completes. Auth and
 * the handler share it, so a request never holds two connections. NULL on failure.
 */
struct tc_db_conn *tc_req_db(struct tc_request *req, struct tc_error *err);

/*
 * Give the request's connection back before the request ends (a streamed upload must not
 * hold one while its bytes trickle in over a slow network); a later tc_req_db takes one
 * again. Accepts a request without one.
 */
void tc_req_db_release(struct tc_request *req);

/*
 * One pointer a route may keep across on_chunk calls and its handler. Whatever it holds
 * must be released through tc_arena_defer(tc_req_arena(req), ...): when on_chunk fails or
 * the client goes away, the handler is never called.
 */
void *tc_req_state(const struct tc_request *req);
void tc_req_set_state(struct tc_request *req, void *state);

/* ---- the response ---- */

/* HTTP status; by default 200 when the handler returns TC_OK. */
void tc_resp_status(struct tc_response *resp, unsigned int status);

/* Content-Type; the string must outlive the request (a literal, or arena memory). */
void tc_resp_content_type(struct tc_response *resp, const char *type);

/*
 * The body, built in place (at most 64 MiB); the dispatcher hands it to MHD with
 * tc_strbuf_take. A handler that fills it and returns an error keeps its own error body
 * (and its status, if it set one of 400 or more; else the error's).
 */
struct tc_strbuf *tc_resp_body(struct tc_response *resp);

/* Add a header (copied into the arena); TC_ENOMEM or TC_EINVAL (CR/LF in it). */
enum tc_status tc_resp_header(struct tc_response *resp, const char *name, const char *value,
                              struct tc_error *err);

/* Send `size` bytes of the open file `fd` as the body; the response owns fd from now on. */
void tc_resp_file(struct tc_response *resp, int fd, uint64_t size);

/* Serialise `json` (jansson, not stolen) as the body, with the JSON content type. */
enum tc_status tc_resp_json(struct tc_response *resp, const struct json_t *json,
                            struct tc_error *err);

#endif /* TC_HTTP_H */
