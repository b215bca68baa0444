#ifndef TC_DB_H
#define TC_DB_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/status.h"

struct tc_arena;

/*
 * PostgreSQL access for libtincay (src/store). Only src/store includes <libpq-fe.h>.
 * A pool hands out connections, one thread at a time each. SQL text is written next to
 * the code that uses it, as `static const char` strings; each distinct string is
 * prepared once per connection on first use (keyed by its address), so callers get
 * prepared statements without a central statement table.
 */
struct tc_db_pool;
struct tc_db_conn;
struct tc_db_result;

/*
 * Open a pool of up to `size` connections to `conninfo` ("" means libpq's PG*
 * environment). Connects one connection at once to fail early; NULL on failure.
 */
struct tc_db_pool *tc_db_pool_create(const char *conninfo, size_t size, struct tc_error *err);
void tc_db_pool_destroy(struct tc_db_pool *pool); /* accepts NULL */

/*
 * Take a ready connection, waiting up to `wait_ms` (TC_EBUSY when none comes free,
 * TC_ERETRY when the database cannot be reached). Broken connections are reopened.
 */
struct tc_db_conn *tc_db_acquire(struct tc_db_pool *pool, unsigned int wait_ms,
                                 struct tc_error *err);

/* Give `conn` back; a connection left in a transaction or broken is closed. Accepts NULL. */
void tc_db_release(struct tc_db_pool *pool, struct tc_db_conn *conn);

/* Acquire now and release when `arena` is destroyed. */
struct tc_db_conn *tc_db_acquire_for(struct tc_db_pool *pool, struct tc_arena *arena,
                                     unsigned int wait_ms, struct tc_error *err);

/*
 * Run `sql` (a string with static storage: it is prepared once per connection and
 * found again by address) with text parameters (NULL pointers are SQL NULL). On TC_OK
 * `*out` (may be NULL) lives until `arena` is destroyed. SQLSTATEs map to statuses:
 * 23505 → TC_ECONFLICT, 40001/40P01/lost connection → TC_ERETRY, 22xxx/23xxx → TC_EINVAL,
 * anything else TC_EDB; the server's message goes to err->detail only.
 */
enum tc_status tc_db_exec(struct tc_db_conn *conn, const char *sql, size_t n_params,
                          const char *const *params, struct tc_arena *arena,
                          struct tc_db_result **out, struct tc_error *err);

/*
 * As tc_db_exec, with per-parameter lengths and a binary flag (for bytea: pass the raw
 * bytes with `binary[i] = true`). `lengths` and `binary` may be NULL for all-text.
 */
enum tc_status tc_db_exec_bin(struct tc_db_conn *conn, const char *sql, size_t n_params,
                              const char *const *params, const size_t *lengths, const bool *binary,
                              struct tc_arena *arena, struct tc_db_result **out,
                              struct tc_error *err);

/*
 * As tc_db_exec for SQL built at run time (optional filters of a report): neither
 * prepared nor cached, so `sql` may live anywhere. Prefer static SQL where possible.
 */
enum tc_status tc_db_exec_dynamic(struct tc_db_conn *conn, const char *sql, size_t n_params,
                                  const char *const *params, struct tc_arena *arena,
                                  struct tc_db_result **out, struct tc_error *err);

/* Run one or more statements without parameters or results (DDL, BEGIN...). */
enum tc_status tc_db_exec_simple(struct tc_db_conn *conn, const char *sql, struct tc_error *err);

/*
 * Bulk load with COPY ... FROM STDIN in text format. `sql` is the COPY statement (not
 * prepared, so it may live anywhere). Each row is `n` text values (NULL pointers are SQL
 * NULL), escaped here: tabs, newlines, carriage returns and backslashes are safe, other
 * bytes (UTF-8 included) pass as they are. Rows are buffered and sent in large chunks.
 * tc_db_copy_end sends the end and returns the server's verdict (a bad value fails there:
 * TC_EINVAL for a data error, as tc_db_exec); rows loaded in *rows_out (may be NULL). After
 * a failed put, or to give up, tc_db_copy_cancel aborts the COPY. No other statement may
 * run on `conn` between begin and end or cancel.
 */
enum tc_status tc_db_copy_begin(struct tc_db_conn *conn, const char *sql, struct tc_error *err);
enum tc_status tc_db_copy_put(struct tc_db_conn *conn, size_t n, const char *const *values,
                              struct tc_error *err);
enum tc_status tc_db_copy_end(struct tc_db_conn *conn, size_t *rows_out, struct tc_error *err);
void tc_db_copy_cancel(struct tc_db_conn *conn);

/* The pool `conn` came from (to take more connections for parallel work). */
struct tc_db_pool *tc_db_conn_pool(const struct tc_db_conn *conn);

/* Rows and columns of a result; a NULL result has none. */
size_t tc_db_rows(const struct tc_db_result *res);
size_t tc_db_cols(const struct tc_db_result *res);

/* Text value of (row, col), or NULL for SQL NULL; valid while the result lives. */
const char *tc_db_value(const struct tc_db_result *res, size_t row, size_t col);
size_t tc_db_length(const struct tc_db_result *res, size_t row, size_t col);
bool tc_db_is_null(const struct tc_db_result *res, size_t row, size_t col);

/* Integer value of (row, col); `fallback` for NULL or non-numeric text. */
long long tc_db_int(const struct tc_db_result *res, size_t row, size_t col, long long fallback);

/* "t" → true; anything else (NULL included) → false. */
bool tc_db_bool(const struct tc_db_result *res, size_t row, size_t col);

/* Decode a bytea column (text format "\x..") into `arena`; NULL on SQL NULL or failure. */
unsigned char *tc_db_bytea(const struct tc_db_result *res, size_t row, size_t col,
                           struct tc_arena *arena, size_t *len_out);

/* Rows affected by an INSERT/UPDATE/DELETE. */
size_t tc_db_affected(const struct tc_db_result *res);

/*
 * Run `fn(conn, ctx, err)` inside BEGIN ... COMMIT (READ COMMITTED, or SERIALIZABLE when
 * `serializable`), retrying the whole function up to 3 times on TC_ERETRY; any other
 * failure rolls back. `fn` must not BEGIN or COMMIT itself, and must tolerate re-runs.
 */
typedef enum tc_status (*tc_db_txn_fn)(struct tc_db_conn *conn, void *ctx, struct tc_error *err);
enum tc_status tc_db_transact(struct tc_db_conn *conn, bool serializable, tc_db_txn_fn fn,
                              void *ctx, struct tc_error *err);

/* true when the server answers a trivial query within the connect timeout. */
bool tc_db_ping(struct tc_db_pool *pool, struct tc_error *err);

#endif /* TC_DB_H */
