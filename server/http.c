#include "http.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>

#include "routes.h"
#include "tincay/arena.h"
#include "tincay/config.h"
#include "tincay/db.h"
#include "tincay/log.h"
#include "tincay/strbuf.h"
#include "tincay/sync.h"

#define DEFAULT_DEADLINE_MS  300000u
#define DEFAULT_IDLE_S       30u
#define DEFAULT_STOP_WAIT_MS 10000u
#define DEFAULT_CONN_LIMIT   256u
#define DEFAULT_PER_IP_LIMIT 32u
#define CONN_MEMORY_LIMIT    ((size_t)64 * 1024)
#define LISTEN_BACKLOG       128u
#define REQUEST_ARENA_CHUNK  8192u
#define RESPONSE_MAX         ((size_t)64 * 1024 * 1024) /* bytes of a body built in memory */
#define DISCARD_MAX          ((size_t)1024 * 1024)      /* read past a cap before closing instead */
#define TLS_FILE_MAX         ((size_t)1024 * 1024)
#define STOP_POLL_MS         10u
#define DB_WAIT_MS           5000u /* for a pooled connection, before answering 503 */
#define REAP_INTERVAL_MS     250u

/*
 * Pages load scripts, styles and images from this origin only: no inline script, no inline
 * event handler, no style attribute, no plugin, no <base> rewriting, forms post only here,
 * and no other site may frame them (clickjacking).
 */
static const char csp_html[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self'; object-src 'none'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'";
static const char json_content_type[] = "application/json; charset=utf-8";

struct tc_server {
    const struct tc_config *cfg;
    struct tc_db_pool *pool;
    struct tc_keyring *keyring;
    struct tc_form_cache *forms;
    struct tc_auth *auth;
    struct MHD_Daemon *daemon;
    struct tc_route *routes; /* the product's table, then the options' extra routes */
    size_t n_routes;
    unsigned int deadline_ms, stop_wait_ms;
    atomic_uint in_flight; /* requests between first callback and completion */
    atomic_uint_fast64_t next_id;
    char *tls_cert, *tls_key; /* PEM, NUL-terminated; the key is wiped on stop */
    size_t tls_key_len;
    /* Open connections, for the reaper that enforces the deadline on request headers. */
    pthread_mutex_t conns_lock;
    pthread_cond_t reaper_wake;
    struct conn_state *conns;
    pthread_t reaper;
    bool reaper_running, reaper_quit;
};

/* Per TCP connection, in its server's list while MHD holds it open. */
struct conn_state {
    struct conn_state *prev, *next;
    MHD_socket fd;
    _Atomic uint64_t request_start_ms; /* connection start, or the end of its last request */
    atomic_bool in_request;            /* from a request's first callback to its end */
    bool cut;                          /* shut down by the reaper */
};

struct header {
    struct header *next;
    const char *name, *value;
};

struct tc_response {
    unsigned int status; /* 0: from the handler's outcome */
    const char *content_type;
    struct tc_strbuf body;
    int fd; /* -1, or a file to send (owned until handed to MHD) */
    uint64_t fd_size;
    struct header *headers; /* newest first */
    struct tc_arena *arena;
};

struct tc_request { /* lives inside its own arena */
    struct tc_arena *arena;
    struct tc_server *srv;
    struct MHD_Connection *conn;
    char id[20];
    const char *method, *path, *log_path;
    enum tc_route_result found;
    struct tc_route_match match;
    struct tc_strbuf body; /* TC_BODY_BUFFERED */
    uint64_t body_bytes;   /* counted in every mode */
    uint64_t start_ms;     /* monotonic */
    enum tc_status early;  /* decided before the handler: 400, 404, 405, 408, 413, on_chunk */
    struct tc_error err;   /* the report of `early`, then of the handler */
    enum tc_lang lang;
    void *state;
    const char *client_addr;
    struct tc_db_conn *db; /* tc_req_db: released when the request completes */
    bool answered, has_query;
    unsigned int status_sent;
    uint64_t bytes_sent;
    struct tc_response resp;
};

static uint64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- accessors ---- */

struct tc_arena *
tc_req_arena(const struct tc_request *req)
{
    return req->arena;
}

struct tc_server *
tc_req_server(const struct tc_request *req)
{
    return req->srv;
}

const char *
tc_req_id(const struct tc_request *req)
{
    return req->id;
}

const char *
tc_req_method(const struct tc_request *req)
{
    return req->method;
}

const char *
tc_req_path(const struct tc_request *req)
{
    return req->path;
}

const char *
tc_req_param(const struct tc_request *req, const char *name)
{
    for (size_t i = 0; i < req->match.n_params; i++)
        if (strcmp(req->match.names[i], name) == 0)
            return req->match.values[i];
    return NULL;
}

static int
hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Query values arrive with '+' already a space (MHD) and %XX left for us to decode. */
const char *
tc_req_query(const struct tc_request *req, const char *name)
{
    const char *raw = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
    size_t len, n = 0;
    char *out;

    if (raw == NULL || (out = tc_arena_alloc(req->arena, (len = strlen(raw)) + 1)) == NULL)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        int hi = raw[i] == '%' && i + 2 < len ? hex_digit(raw[i + 1]) : -1;
        int lo = hi >= 0 ? hex_digit(raw[i + 2]) : -1;

        if (lo >= 0 && (hi | lo) != 0) {
            out[n++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[n++] = raw[i];
        }
    }
    out[n] = '\0';
    return out;
}

const char *
tc_req_header(const struct tc_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *
tc_req_cookie(const struct tc_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

enum tc_lang
tc_req_lang(const struct tc_request *req)
{
    return req->lang;
}

void
tc_req_set_lang(struct tc_request *req, enum tc_lang lang)
{
    req->lang = lang;
    req->err.lang = lang;
}

const char *
tc_req_body(const struct tc_request *req, size_t *len)
{
    if (len != NULL)
        *len = req->body.len;
    return tc_strbuf_str(&req->body);
}

void
tc_req_body_wipe(struct tc_request *req)
{
    if (req->body.data != NULL)
        sodium_memzero(req->body.data, req->body.len);
}

struct tc_db_conn *
tc_req_db(struct tc_request *req, struct tc_error *err)
{
    if (req->db != NULL)
        return req->db;
    if (req->srv->pool == NULL) {
        tc_fail(err, TC_EBUSY, "database is unavailable, try again later");
        return NULL;
    }
    req->db = tc_db_acquire(req->srv->pool, DB_WAIT_MS, err);
    return req->db;
}

void
tc_req_db_release(struct tc_request *req)
{
    if (req->db != NULL)
        tc_db_release(req->srv->pool, req->db);
    req->db = NULL;
}

void *
tc_req_state(const struct tc_request *req)
{
    return req->state;
}

void
tc_req_set_state(struct tc_request *req, void *state)
{
    req->state = state;
}

const struct tc_config *
tc_server_config(const struct tc_server *srv)
{
    return srv->cfg;
}

struct tc_db_pool *
tc_server_pool(const struct tc_server *srv)
{
    return srv->pool;
}

struct tc_keyring *
tc_server_keyring(const struct tc_server *srv)
{
    return srv->keyring;
}

struct tc_form_cache *
tc_server_forms(const struct tc_server *srv)
{
    return srv->forms;
}

struct tc_auth *
tc_server_auth(const struct tc_server *srv)
{
    return srv->auth;
}

/* ---- client address, TLS, loopback ---- */

static const struct sockaddr *
peer_addr(const struct tc_request *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

    return ci != NULL ? ci->client_addr : NULL;
}

static bool
peer_is_trusted_proxy(const struct tc_request *req)
{
    const struct sockaddr *sa = peer_addr(req);
    const char *proxy = req->srv->cfg->trusted_proxy;
    unsigned char want[sizeof(struct in6_addr)];

    if (sa == NULL || proxy[0] == '\0')
        return false;
    if (sa->sa_family == AF_INET && inet_pton(AF_INET, proxy, want) == 1)
        return memcmp(&((const struct sockaddr_in *)(const void *)sa)->sin_addr, want,
                      sizeof(struct in_addr)) == 0;
    if (sa->sa_family == AF_INET6 && inet_pton(AF_INET6, proxy, want) == 1)
        return memcmp(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, want,
                      sizeof(struct in6_addr)) == 0;
    return false;
}

static const char *
format_peer(const struct tc_request *req)
{
    const struct sockaddr *sa = peer_addr(req);
    char buf[INET6_ADDRSTRLEN] = "unknown";

    if (sa != NULL && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
                  sizeof(buf));
    else if (sa != NULL && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf,
                  sizeof(buf));
    return tc_arena_strdup(req->arena, buf);
}

/* The last X-Forwarded-For entry: the address the trusted proxy itself saw. */
static const char *
forwarded_for(const struct tc_request *req)
{
    const char *xff = tc_req_header(req, "X-Forwarded-For");
    const char *last;
    char buf[INET6_ADDRSTRLEN];
    unsigned char bin[sizeof(struct in6_addr)];
    size_t len;

    if (xff == NULL)
        return NULL;
    last = strrchr(xff, ',');
    last = last != NULL ? last + 1 : xff;
    last += strspn(last, " \t");
    len = strcspn(last, " \t");
    if (len == 0 || len >= sizeof(buf))
        return NULL;
    memcpy(buf, last, len);
    buf[len] = '\0';
    if (inet_pton(AF_INET, buf, bin) != 1 && inet_pton(AF_INET6, buf, bin) != 1)
        return NULL;
    return tc_arena_strdup(req->arena, buf);
}

static const char *
client_addr(const struct tc_request *req)
{
    const char *addr = NULL;

    if (peer_is_trusted_proxy(req))
        addr = forwarded_for(req);
    if (addr == NULL)
        addr = format_peer(req);
    return addr != NULL ? addr : "unknown";
}

const char *
tc_req_client_addr(const struct tc_request *req)
{
    return req->client_addr;
}

bool
tc_req_is_tls(const struct tc_request *req)
{
    const char *proto;

    if (req->srv->tls_cert != NULL)
        return true;
    proto = tc_req_header(req, "X-Forwarded-Proto");
    return proto != NULL && strcasecmp(proto, "https") == 0 && peer_is_trusted_proxy(req);
}

bool
tc_req_is_loopback(const struct tc_request *req)
{
    const char *addr = tc_req_client_addr(req);
    struct in_addr v4;

    if (inet_pton(AF_INET, addr, &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    return strcmp(addr, "::1") == 0 || strncmp(addr, "::ffff:127.", 11) == 0;
}

/* ---- response building ---- */

void
tc_resp_status(struct tc_response *resp, unsigned int status)
{
    resp->status = status;
}

void
tc_resp_content_type(struct tc_response *resp, const char *type)
{
    resp->content_type = type;
}

struct tc_strbuf *
tc_resp_body(struct tc_response *resp)
{
    return &resp->body;
}

enum tc_status
tc_resp_header(struct tc_response *resp, const char *name, const char *value, struct tc_error *err)
{
    struct header *h;

    if (strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL)
        return tc_fail(err, TC_EINTERNAL, "invalid response header \"%s\"", name);
    h = tc_arena_alloc(resp->arena, sizeof(*h));
    if (h == NULL || (h->name = tc_arena_strdup(resp->arena, name)) == NULL ||
        (h->value = tc_arena_strdup(resp->arena, value)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    h->next = resp->headers;
    resp->headers = h;
    return TC_OK;
}

void
tc_resp_file(struct tc_response *resp, int fd, uint64_t size)
{
    if (resp->fd >= 0)
        close(resp->fd);
    resp->fd = fd;
    resp->fd_size = size;
}

static int
append_json(const char *buffer, size_t size, void *data)
{
    tc_strbuf_append(data, buffer, size);
    return tc_strbuf_failed(data) ? -1 : 0;
}

enum tc_status
tc_resp_json(struct tc_response *resp, const struct json_t *json, struct tc_error *err)
{
    tc_strbuf_reset(&resp->body);
    if (json_dump_callback(json, append_json, &resp->body, JSON_COMPACT) != 0)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    resp->content_type = json_content_type;
    return TC_OK;
}

/* ---- errors ---- */

/* Handlers may return a status without a message; the client still gets a sentence. */
static const char *
error_message(const struct tc_request *req, enum tc_status st, const struct tc_error *err)
{
    return err->msg[0] != '\0' ? err->msg : tc_tr(req->lang, tc_status_message(st));
}

static void
render_json_error(struct tc_request *req, enum tc_status st, const struct tc_error *err)
{
    json_t *body = json_pack("{s:{s:s, s:s}}", "error", "code", tc_status_code(st), "message",
                             error_message(req, st, err));
    struct tc_error ignored = TC_ERROR_INIT(req->lang);

    if (body == NULL) /* err->msg was not valid UTF-8 */
        body = json_pack("{s:{s:s, s:s}}", "error", "code", tc_status_code(st), "message",
                         error_message(req, st, &ignored));
    if (body == NULL || tc_resp_json(&req->resp, body, &ignored) != TC_OK)
        tc_strbuf_reset(&req->resp.body); /* the status alone still says what happened */
    json_decref(body);
}

/* Fill the response for `st` unless the handler already wrote its own error body. */
static void
render_error(struct tc_request *req, enum tc_status st, const struct tc_error *err)
{
    const struct tc_route *route = req->match.route;

    if (req->resp.body.len > 0 || req->resp.fd >= 0) { /* the handler's own error body */
        if (req->resp.status < 400)
            req->resp.status = tc_status_http(st);
        return;
    }
    req->resp.status = tc_status_http(st);
    if (route != NULL && route->render_err != NULL)
        route->render_err(req, &req->resp, st, err);
    else
        render_json_error(req, st, err);
}

/* The one place a failure is logged: the message, and the detail clients never see. */
static void
log_failure(const struct tc_request *req, enum tc_status st, const struct tc_error *err)
{
    bool server_side = tc_status_http(st) >= 500;

    if (!server_side && err->detail[0] == '\0')
        return;
    tc_log(server_side ? TC_LOG_ERROR : TC_LOG_INFO, req->id, "%s: %s%s%s", tc_status_code(st),
           err->msg, err->detail[0] != '\0' ? ": " : "", err->detail);
}

/* ---- answering ---- */

static bool
has_header(const struct tc_response *resp, const char *name)
{
    for (const struct header *h = resp->headers; h != NULL; h = h->next)
        if (strcasecmp(h->name, name) == 0)
            return true;
    return false;
}

static bool
add_headers(struct MHD_Response *r, const struct tc_request *req)
{
    const struct tc_response *resp = &req->resp;
    bool ok = true;

    if (resp->content_type != NULL)
        ok &= MHD_add_response_header(r, "Content-Type", resp->content_type) == MHD_YES;
    ok &= MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") == MHD_YES;
    ok &= MHD_add_response_header(r, "Referrer-Policy", "no-referrer") == MHD_YES;
    if (!has_header(resp, "Cache-Control"))
        ok &= MHD_add_response_header(r, "Cache-Control", "no-store") == MHD_YES;
    if (resp->content_type != NULL && strncasecmp(resp->content_type, "text/html", 9) == 0 &&
        !has_header(resp, "Content-Security-Policy"))
        ok &= MHD_add_response_header(r, "Content-Security-Policy", csp_html) == MHD_YES;
    if (req->found == TC_ROUTE_NO_METHOD && req->early == TC_EMETHOD)
        ok &= MHD_add_response_header(r, "Allow", req->match.allow) == MHD_YES;
    for (const struct header *h = resp->headers; h != NULL; h = h->next)
        ok &= MHD_add_response_header(r, h->name, h->value) == MHD_YES;
    return ok;
}

static struct MHD_Response *
make_response(struct tc_request *req)
{
    struct tc_response *resp = &req->resp;
    struct MHD_Response *r;
    size_t len = 0;
    char *data;

    if (resp->fd >= 0) {
        r = MHD_create_response_from_fd64(resp->fd_size, resp->fd);
        if (r != NULL) {
            resp->fd = -1; /* MHD closes it with the response */
            req->bytes_sent = resp->fd_size;
        }
        return r;
    }
    if ((data = tc_strbuf_take(&resp->body, &len)) == NULL)
        return NULL;
    r = MHD_create_response_from_buffer_with_free_callback(len, data, free);
    if (r == NULL)
        free(data);
    req->bytes_sent = len;
    return r;
}

/* Queue req->resp with req->resp.status; MHD_NO closes the connection. */
static enum MHD_Result
answer(struct tc_request *req)
{
    struct MHD_Response *r = make_response(req);
    enum MHD_Result ok;

    if (r == NULL || !add_headers(r, req)) {
        tc_log(TC_LOG_ERROR, req->id, "could not build the HTTP response");
        if (r != NULL)
            MHD_destroy_response(r);
        return MHD_NO;
    }
    ok = MHD_queue_response(req->conn, req->resp.status, r);
    MHD_destroy_response(r);
    req->answered = true;
    req->status_sent = ok == MHD_YES ? req->resp.status : 0;
    return ok;
}

/* Answer an error decided by the dispatcher itself (routing, caps, deadline, on_chunk). */
static enum MHD_Result
answer_error(struct tc_request *req, enum tc_status st)
{
    log_failure(req, st, &req->err);
    tc_strbuf_reset(&req->resp.body);
    render_error(req, st, &req->err);
    return answer(req);
}

/* ---- the request lifecycle ---- */

static struct tc_request *
request_new(struct tc_server *srv, struct MHD_Connection *conn, const char *url, const char *method)
{
    struct tc_arena *arena = tc_arena_create(REQUEST_ARENA_CHUNK);
    struct tc_request *req = arena != NULL ? tc_arena_calloc(arena, 1, sizeof(*req)) : NULL;

    if (req == NULL) {
        tc_arena_destroy(arena);
        return NULL;
    }
    req->arena = arena;
    req->srv = srv;
    req->conn = conn;
    req->start_ms = now_ms();
    snprintf(req->id, sizeof(req->id), "%llx",
             (unsigned long long)atomic_fetch_add(&srv->next_id, 1));
    req->method = tc_arena_strdup(arena, method);
    req->path = tc_arena_strdup(arena, url);
    req->log_path = req->path != NULL ? tc_route_redact_path(req->path, arena) : NULL;
    req->lang = tc_lang_from_accept(tc_req_header(req, "Accept-Language"), TC_LANG_VI);
    req->err = (struct tc_error)TC_ERROR_INIT(req->lang);
    req->resp =
        (struct tc_response){.fd = -1, .arena = arena, .body = TC_STRBUF_INIT(RESPONSE_MAX)};
    req->has_query = MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, NULL, NULL) > 0;
    req->client_addr = client_addr(req);
    if (req->method == NULL || req->log_path == NULL) {
        tc_arena_destroy(arena);
        return NULL;
    }
    return req;
}

/* Route the request; a miss leaves its status in req->early. */
static void
resolve(struct tc_request *req)
{
    struct tc_server *srv = req->srv;

    req->found =
        tc_route_match(srv->routes, srv->n_routes, req->method, req->path, req->arena, &req->match);
    switch (req->found) {
    case TC_ROUTE_FOUND: break;
    case TC_ROUTE_NO_PATH: req->early = tc_fail(&req->err, TC_ENOTFOUND, "not found"); break;
    case TC_ROUTE_NO_METHOD:
        req->early = tc_fail(&req->err, TC_EMETHOD, "method not allowed");
        break;
    case TC_ROUTE_BAD_PATH: req->early = tc_fail(&req->err, TC_EBADREQ, "malformed request"); break;
    case TC_ROUTE_NO_MEMORY: req->early = tc_fail(&req->err, TC_ENOMEM, "out of memory"); break;
    }
}

static size_t
body_cap(const struct tc_route *route)
{
    return route->body == TC_BODY_NONE ? 0 : route->max_body;
}

static enum tc_status
too_large(struct tc_request *req)
{
    tc_fail(&req->err, TC_ETOOLARGE, "request body is too large");
    tc_error_detail(&req->err, "the cap of this route is %zu bytes", body_cap(req->match.route));
    return TC_ETOOLARGE;
}

static struct conn_state *
conn_state_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return ci != NULL ? ci->socket_context : NULL;
}

/* Checks made once the headers are in: the deadline so far and the declared length. */
static void
check_headers(struct tc_request *req)
{
    const struct conn_state *cs = conn_state_of(req->conn);
    const char *length = tc_req_header(req, "Content-Length");
    char *end;
    unsigned long long declared;

    if (cs != NULL && req->start_ms - atomic_load(&cs->request_start_ms) > req->srv->deadline_ms) {
        req->early = tc_fail(&req->err, TC_ETIMEOUT, "request took too long to arrive");
        return;
    }
    if (length == NULL)
        return;
    declared = strtoull(length, &end, 10);
    if (*end != '\0' || declared > body_cap(req->match.route))
        req->early = too_large(req);
}

static enum MHD_Result
request_begin(struct tc_server *srv, struct MHD_Connection *conn, const char *url,
              const char *method, void **req_cls)
{
    struct tc_request *req = request_new(srv, conn, url, method);
    struct conn_state *cs = conn_state_of(conn);

    if (cs != NULL) /* from here on request_upload watches the deadline, not the reaper */
        atomic_store(&cs->in_request, true);
    if (req == NULL) {
        tc_log(TC_LOG_ERROR, NULL, "out of memory for a new request");
        return MHD_NO;
    }
    *req_cls = req;
    atomic_fetch_add(&srv->in_flight, 1);
    resolve(req);
    if (req->early == TC_OK)
        check_headers(req);
    if (req->early == TC_OK && req->match.route->body == TC_BODY_BUFFERED)
        req->body = (struct tc_strbuf)TC_STRBUF_INIT(req->match.route->max_body + 1);
    /* Decided before any body byte is read: answer now, MHD skips the body. */
    return req->early == TC_OK ? MHD_YES : answer_error(req, req->early);
}

/* One piece of the body: keep, stream or discard it. MHD_NO closes the connection. */
static enum MHD_Result
request_upload(struct tc_request *req, const char *data, size_t *size)
{
    size_t len = *size;

    *size = 0;
    if (req->answered)
        return MHD_YES;
    if (now_ms() - req->start_ms > req->srv->deadline_ms) {
        tc_log(TC_LOG_INFO, req->id, "closing a connection whose request is past its deadline");
        return MHD_NO;
    }
    req->body_bytes += len;
    if (req->early == TC_OK && req->body_bytes > body_cap(req->match.route))
        req->early = too_large(req);
    if (req->early != TC_OK) /* discard to the end, unless there is far too much */
        return req->body_bytes - len > body_cap(req->match.route) + DISCARD_MAX ? MHD_NO : MHD_YES;
    if (req->match.route->body == TC_BODY_BUFFERED) {
        tc_strbuf_append(&req->body, data, len);
        if (tc_strbuf_failed(&req->body))
            req->early = tc_fail(&req->err, TC_ENOMEM, "out of memory");
    } else if (req->match.route->on_chunk != NULL) {
        req->early = req->match.route->on_chunk(req, data, len, &req->err);
    }
    return MHD_YES;
}

/* The body is complete: run the handler and answer. */
static enum MHD_Result
dispatch(struct tc_request *req)
{
    enum tc_status st;

    if (req->answered)
        return MHD_YES;
    if (req->early != TC_OK)
        return answer_error(req, req->early);
    tc_error_clear(&req->err);
    st = req->match.route->handler(req, &req->resp, &req->err);
    if (st != TC_OK) {
        log_failure(req, st, &req->err);
        render_error(req, st, &req->err);
    } else if (req->resp.status == 0) {
        req->resp.status = 200;
    }
    if (tc_strbuf_failed(&req->resp.body)) {
        tc_strbuf_reset(&req->resp.body);
        st = tc_fail(&req->err, TC_EINTERNAL, "internal error");
        tc_error_detail(&req->err, "the response is over %zu bytes", RESPONSE_MAX);
        log_failure(req, st, &req->err);
        render_error(req, st, &req->err);
    }
    return answer(req);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
           const char *version, const char *upload, size_t *upload_size, void **req_cls)
{
    struct tc_request *req = *req_cls;

    (void)version;
    if (req == NULL)
        return request_begin(cls, conn, url, method, req_cls);
    if (*upload_size > 0)
        return request_upload(req, upload, upload_size);
    return dispatch(req);
}

static const char *
termination_word(enum MHD_RequestTerminationCode why)
{
    switch (why) {
    case MHD_REQUEST_TERMINATED_COMPLETED_OK: return "";
    case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED: return " timeout";
    case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN: return " shutdown";
    case MHD_REQUEST_TERMINATED_CLIENT_ABORT: return " client-abort";
    default: return " aborted";
    }
}

/* MHD_OPTION_NOTIFY_COMPLETED: the access log line, and the only place a request is freed. */
static void
on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
             enum MHD_RequestTerminationCode why)
{
    struct tc_server *srv = cls;
    struct tc_request *req = *req_cls;
    struct conn_state *cs = conn_state_of(conn);

    if (cs != NULL) { /* the next request on this connection starts its clock now */
        atomic_store(&cs->request_start_ms, now_ms());
        atomic_store(&cs->in_request, false);
    }
    if (req == NULL)
        return;
    tc_log(TC_LOG_INFO, req->id, "%s %s%s %u %llu %llums%s", req->method, req->log_path,
           req->has_query ? "?[query]" : "", req->status_sent, (unsigned long long)req->bytes_sent,
           (unsigned long long)(now_ms() - req->start_ms), termination_word(why));
    if (req->resp.fd >= 0)
        close(req->resp.fd);
    tc_strbuf_cleanup(&req->resp.body);
    tc_strbuf_cleanup(&req->body);
    tc_req_db_release(req);
    tc_arena_destroy(req->arena); /* runs deferred releases, then frees `req` itself */
    *req_cls = NULL;
    atomic_fetch_sub(&srv->in_flight, 1);
}

/* ---- connections and the deadline on request headers ---- */

/* MHD_OPTION_NOTIFY_CONNECTION: track each connection from accept to close. */
static void
on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
              enum MHD_ConnectionNotificationCode toe)
{
    struct tc_server *srv = cls;
    struct conn_state *cs = *socket_context;
    const union MHD_ConnectionInfo *ci;

    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) { /* before MHD closes the socket */
        if (cs == NULL)
            return;
        pthread_mutex_lock(&srv->conns_lock);
        *(cs->prev != NULL ? &cs->prev->next : &srv->conns) = cs->next;
        if (cs->next != NULL)
            cs->next->prev = cs->prev;
        pthread_mutex_unlock(&srv->conns_lock);
        free(cs);
        *socket_context = NULL;
        return;
    }
    ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci == NULL || (cs = calloc(1, sizeof(*cs))) == NULL)
        return; /* untracked: the deadline then counts from the first callback */
    cs->fd = ci->connect_fd;
    atomic_store(&cs->request_start_ms, now_ms());
    pthread_mutex_lock(&srv->conns_lock);
    cs->next = srv->conns;
    if (cs->next != NULL)
        cs->next->prev = cs;
    srv->conns = cs;
    pthread_mutex_unlock(&srv->conns_lock);
    *socket_context = cs;
}

/*
 * Shut down connections whose request has not arrived within the deadline (MHD only
 * knows an idle timeout, which a byte every few seconds defeats); MHD then sees the
 * connection end and closes it. Requests past their first callback are left to
 * request_upload. Called with conns_lock held.
 */
static void
reap(struct tc_server *srv)
{
    uint64_t now = now_ms();
    unsigned int n = 0;

    for (struct conn_state *cs = srv->conns; cs != NULL; cs = cs->next) {
        if (cs->cut || atomic_load(&cs->in_request) ||
            now - atomic_load(&cs->request_start_ms) <= srv->deadline_ms)
            continue;
        shutdown(cs->fd, SHUT_RDWR);
        cs->cut = true;
        n++;
    }
    if (n > 0)
        tc_log(TC_LOG_INFO, NULL, "closed %u connections whose request did not arrive in time", n);
}

static void *
reaper_main(void *cls)
{
    struct tc_server *srv = cls;
    struct timespec until;

    pthread_mutex_lock(&srv->conns_lock);
    while (!srv->reaper_quit) {
        reap(srv);
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += (long)REAP_INTERVAL_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&srv->reaper_wake, &srv->conns_lock, &until);
    }
    pthread_mutex_unlock(&srv->conns_lock);
    return NULL;
}

static enum tc_status
reaper_start(struct tc_server *srv, struct tc_error *err)
{
    if (pthread_create(&srv->reaper, NULL, reaper_main, srv) != 0)
        return tc_fail(err, TC_EINTERNAL, "could not start a thread");
    srv->reaper_running = true;
    return TC_OK;
}

static void
reaper_stop(struct tc_server *srv)
{
    if (!srv->reaper_running)
        return;
    pthread_mutex_lock(&srv->conns_lock);
    srv->reaper_quit = true;
    pthread_cond_signal(&srv->reaper_wake);
    pthread_mutex_unlock(&srv->conns_lock);
    pthread_join(srv->reaper, NULL);
    srv->reaper_running = false;
}

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    size_t n;

    (void)cls;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    vsnprintf(line, sizeof(line), fmt, ap);
#pragma GCC diagnostic pop
    n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    tc_log(TC_LOG_WARNING, NULL, "http: %s", line);
}

/* Leave the URL and query values as sent: routes decode segment by segment. */
static size_t
keep_escaped(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    return strlen(s);
}

/* ---- the daemon ---- */

/* Read a whole PEM file, NUL-terminated, into malloc()ed memory. */
static char *
read_pem(const char *path, size_t *len_out, struct tc_error *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len;

    if (f == NULL) {
        tc_fail(err, TC_EINVAL, "could not open \"%s\"", path);
        return NULL;
    }
    if ((buf = malloc(TLS_FILE_MAX + 1)) == NULL) {
        tc_fail(err, TC_ENOMEM, "out of memory");
    } else if ((len = fread(buf, 1, TLS_FILE_MAX + 1, f)) == 0 || len > TLS_FILE_MAX || ferror(f)) {
        tc_fail(err, TC_EINVAL, "could not read \"%s\" (empty, unreadable or over 1 MiB)", path);
        sodium_memzero(buf, TLS_FILE_MAX + 1);
        free(buf);
        buf = NULL;
    } else {
        buf[len] = '\0';
        *len_out = len + 1;
    }
    fclose(f);
    return buf;
}

static enum tc_status
load_tls(struct tc_server *srv, struct tc_error *err)
{
    size_t cert_len;

    if (srv->cfg->tls_cert[0] == '\0')
        return TC_OK;
    if ((srv->tls_cert = read_pem(srv->cfg->tls_cert, &cert_len, err)) == NULL ||
        (srv->tls_key = read_pem(srv->cfg->tls_key, &srv->tls_key_len, err)) == NULL)
        return err != NULL ? err->status : TC_EINVAL;
    return TC_OK;
}

/* The listen address as a socket address (numeric or a name); port from the config. */
static enum tc_status
listen_addr(const struct tc_config *cfg, struct sockaddr_storage *ss, struct tc_error *err)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *ai = NULL;
    int rc = getaddrinfo(cfg->listen_host[0] != '\0' ? cfg->listen_host : NULL, NULL, &hints, &ai);

    if (rc != 0 || ai == NULL || ai->ai_addrlen > sizeof(*ss)) {
        tc_fail(err, TC_EINVAL, "could not resolve the listen address \"%s\"", cfg->listen_host);
        tc_error_detail(err, "%s", gai_strerror(rc));
        if (ai != NULL)
            freeaddrinfo(ai);
        return TC_EINVAL;
    }
    memset(ss, 0, sizeof(*ss));
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)(void *)ss)->sin6_port = htons((uint16_t)cfg->listen_port);
    else
        ((struct sockaddr_in *)(void *)ss)->sin_port = htons((uint16_t)cfg->listen_port);
    return TC_OK;
}

static unsigned int
or_default(unsigned int value, unsigned int fallback)
{
    return value != 0 ? value : fallback;
}

static struct MHD_Daemon *
start_daemon(struct tc_server *srv, const struct tc_server_options *opts,
             const struct sockaddr_storage *ss)
{
    unsigned int flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    unsigned int per_ip = srv->cfg->trusted_proxy[0] != '\0' ? 0 : DEFAULT_PER_IP_LIMIT;
    unsigned int limit = or_default(opts->connection_limit, DEFAULT_CONN_LIMIT);
    struct MHD_OptionItem ops[] = {
        {MHD_OPTION_SOCK_ADDR, 0, (void *)(uintptr_t)ss},
        {MHD_OPTION_THREAD_POOL_SIZE, srv->cfg->threads > 1 ? (intptr_t)srv->cfg->threads : 0,
         NULL},
        /* MHD splits the limit between pool threads: keep a few per thread at least. */
        {MHD_OPTION_CONNECTION_LIMIT, limit > 4 * srv->cfg->threads ? limit : 4 * srv->cfg->threads,
         NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, or_default(opts->per_ip_limit, per_ip), NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)CONN_MEMORY_LIMIT, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, or_default(opts->idle_timeout_s, DEFAULT_IDLE_S), NULL},
        {MHD_OPTION_LISTEN_BACKLOG_SIZE, LISTEN_BACKLOG, NULL},
        {MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL},
        {srv->tls_cert != NULL ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, srv->tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key},
        {MHD_OPTION_END, 0, NULL},
    };

    if (ss->ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (srv->tls_cert != NULL)
        flags |= MHD_USE_TLS;
    /* clang-format off */
    return MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv,
                            MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
                            MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
                            MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL,
                            MHD_OPTION_ARRAY, ops,
                            MHD_OPTION_END);
    /* clang-format on */
}

/* The product's routes followed by the test's: one table for matching and Allow. */
static enum tc_status
build_routes(struct tc_server *srv, const struct tc_server_options *opts, struct tc_error *err)
{
    srv->n_routes = tc_routes_count + opts->n_extra_routes;
    if ((srv->routes = calloc(srv->n_routes, sizeof(*srv->routes))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    memcpy(srv->routes, tc_routes, tc_routes_count * sizeof(*srv->routes));
    if (opts->n_extra_routes > 0)
        memcpy(srv->routes + tc_routes_count, opts->extra_routes,
               opts->n_extra_routes * sizeof(*srv->routes));
    return TC_OK;
}

static enum tc_status
init_locks(struct tc_server *srv, struct tc_error *err)
{
    if (tc_sync_init(&srv->conns_lock, &srv->reaper_wake) != 0)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    return TC_OK;
}

static void
server_free(struct tc_server *srv)
{
    if (srv->tls_key != NULL)
        sodium_memzero(srv->tls_key, srv->tls_key_len);
    free(srv->tls_key);
    free(srv->tls_cert);
    free(srv->routes);
    pthread_cond_destroy(&srv->reaper_wake);
    pthread_mutex_destroy(&srv->conns_lock);
    free(srv);
}

enum tc_status
tc_server_start(const struct tc_server_options *opts, struct tc_server **out, struct tc_error *err)
{
    struct tc_server *srv = calloc(1, sizeof(*srv));
    struct sockaddr_storage ss;
    enum tc_status st;

    *out = NULL;
    if (srv == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((st = init_locks(srv, err)) != TC_OK) {
        free(srv);
        return st;
    }
    srv->cfg = opts->cfg;
    srv->pool = opts->pool;
    srv->keyring = opts->keyring;
    srv->forms = opts->forms;
    srv->auth = opts->auth;
    srv->deadline_ms = or_default(opts->deadline_ms, DEFAULT_DEADLINE_MS);
    srv->stop_wait_ms = or_default(opts->stop_wait_ms, DEFAULT_STOP_WAIT_MS);
    if ((st = build_routes(srv, opts, err)) != TC_OK || (st = load_tls(srv, err)) != TC_OK ||
        (st = listen_addr(srv->cfg, &ss, err)) != TC_OK)
        goto fail;
    if ((srv->daemon = start_daemon(srv, opts, &ss)) == NULL) {
        st = tc_fail(err, TC_EINTERNAL, "could not listen on %s port %u", srv->cfg->listen_host,
                     srv->cfg->listen_port);
        tc_error_detail(err, "address in use, not allowed, or bad TLS certificate or key");
        goto fail;
    }
    if ((st = reaper_start(srv, err)) != TC_OK) {
        MHD_stop_daemon(srv->daemon);
        goto fail;
    }
    *out = srv;
    return TC_OK;

fail:
    server_free(srv);
    return st;
}

unsigned int
tc_server_port(const struct tc_server *srv)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);

    return info != NULL ? info->port : 0;
}

void
tc_server_stop(struct tc_server *srv)
{
    MHD_socket listen_fd;
    uint64_t until;

    if (srv == NULL)
        return;
    listen_fd = MHD_quiesce_daemon(srv->daemon); /* no new connections from here on */
    until = now_ms() + srv->stop_wait_ms;
    while (atomic_load(&srv->in_flight) > 0 && now_ms() < until)
        nanosleep(&(struct timespec){.tv_nsec = STOP_POLL_MS * 1000000L}, NULL);
    if (atomic_load(&srv->in_flight) > 0)
        tc_log(TC_LOG_WARNING, NULL, "stopping with %u requests unfinished",
               atomic_load(&srv->in_flight));
    MHD_stop_daemon(srv->daemon); /* closes every connection: the list is empty after */
    reaper_stop(srv);
    if (listen_fd != MHD_INVALID_SOCKET)
        close(listen_fd);
    server_free(srv);
}
