#ifndef TC_TESTHTTP_H
#define TC_TESTHTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "auth.h"
#include "tincay/config.h"
#include "tincay/strbuf.h"

/*
 * Shared plumbing of the http and e2e tests: a libcurl client whose failures are cmocka
 * failures, a JSON session login, and the daemon started in-process on port 0 over a freshly
 * migrated test database (tc_test_db_open).
 */

/* A response: status, time taken, raw header lines and body. Freed by tc_test_reply_free. */
struct tc_test_reply {
    long status;
    double ms;
    struct tc_strbuf body;
    struct tc_strbuf headers;
};

/* A libcurl write or header callback appending to the struct tc_strbuf given as its data. */
size_t tc_test_collect(char *data, size_t size, size_t n, void *sb);

/* One part of a multipart/form-data body; `filename` and `type` may be NULL. */
struct tc_test_part {
    const char *name, *filename, *type;
    const void *data;
    size_t len;
};

/*
 * One request. `login` and `password` (both or neither) go as Basic auth; `headers` is a
 * NULL-terminated list of "Name: value" lines (or NULL); `body` is sent as is (or NULL),
 * `body_len` bytes of it (0: up to its NUL), unless `parts` (`n_parts` of them) make it
 * multipart/form-data.
 */
struct tc_test_request {
    const char *method;
    const char *path;
    const char *login;
    const char *password;
    const char *const *headers;
    const char *body;
    size_t body_len;
    const struct tc_test_part *parts;
    size_t n_parts;
};

/*
 * Send `req` to 127.0.0.1:`port` and fill `r` (always, for tc_test_reply_free); HEAD reads no
 * body. A transfer that fails (no connection, timeout) fails the test.
 */
void tc_test_http(unsigned int port, const struct tc_test_request *req, struct tc_test_reply *r);

/* tc_test_http without Basic auth: `headers` (NULL-terminated, or NULL) and `body` (or NULL). */
void tc_test_send(unsigned int port, const char *method, const char *path,
                  const char *const *headers, const char *body, struct tc_test_reply *r);

/* Release the buffers of `r`. */
void tc_test_reply_free(struct tc_test_reply *r);

/* Fail the test, showing the body, unless `r` has `status`. */
void tc_test_expect(const struct tc_test_reply *r, long status);

/* The body of `r` as JSON (the caller decrefs it); fails the test when it is not JSON. */
json_t *tc_test_json(const struct tc_test_reply *r);

/*
 * The value of response header `name` (case-insensitive, leading blanks skipped), or NULL;
 * in a buffer of the calling thread that the next call overwrites.
 */
const char *tc_test_header_value(const struct tc_test_reply *r, const char *name);

/* Whether the header lines of `r` contain `text`, ignoring case. */
bool tc_test_header_has(const struct tc_test_reply *r, const char *text);

/*
 * Log in through POST /api/v1/session and write the "Cookie: ..." and "X-CSRF-Token: ..."
 * header lines to `cookie` and `csrf`. Fails the test unless the login is accepted.
 */
void tc_test_login(unsigned int port, const char *login, const char *password, char *cookie,
                   size_t cookie_size, char *csrf, size_t csrf_size);

/* A logged-in account: its session cookie's token and its CSRF token. */
struct tc_test_session {
    char token[TC_SESSION_TOKEN_MAX];
    char csrf[TC_SESSION_TOKEN_MAX];
};

/*
 * Log in through POST /api/v1/session on `port` and fill `s`. Returns 0, or the HTTP status
 * when the login is refused.
 */
long tc_test_session_login(unsigned int port, const char *login, const char *password,
                           struct tc_test_session *s);

struct tc_db_pool;
struct tc_db_conn;
struct tc_auth;
struct tc_server;
struct tc_keyring;

/* A daemon under test with its database, auth, and a keyring in a private directory. */
struct tc_test_server {
    char conninfo[256];
    struct tc_config cfg;
    struct tc_db_pool *pool;
    struct tc_auth *auth;
    struct tc_server *srv;
    struct tc_keyring *ring;
    char key_dir[64], key_file[96];
    unsigned int port;
};

/*
 * Initialise libcurl, open a migrated test database named after `name` with a pool of six
 * connections (one acquired in *conn_out, for fixtures; release it to s->pool), create the
 * keyring and the auth service. Returns 0, or -1 after printing why.
 */
int tc_test_server_open(struct tc_test_server *s, const char *name, struct tc_db_conn **conn_out);

/* Start the daemon of `s` on 127.0.0.1, port 0, four threads. Returns 0, or -1 after printing. */
int tc_test_server_start(struct tc_test_server *s);

/*
 * tc_test_server_open, the demo data of the shipped forms for 2026 (every demo account with
 * `password`), then tc_test_server_start. Returns 0, or -1 after printing why.
 */
int tc_test_server_demo(struct tc_test_server *s, const char *name, const char *password);

/* Stop and release everything of `s` and drop its database. */
void tc_test_server_close(struct tc_test_server *s);

/* Audit rows of `action` by `login` with `outcome` ("ok", "denied", "failed"). */
long long tc_test_audit_count(struct tc_db_pool *pool, const char *action, const char *login,
                              const char *outcome);

#endif /* TC_TESTHTTP_H */
