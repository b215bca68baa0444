#ifndef TC_MIGRATE_H
#define TC_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/status.h"

struct tc_arena;
struct tc_db_conn;
struct tc_embedded;

/*
 * Schema migrations: the files schema/NNN_name.sql compiled into the binary
 * (tc_migrations of tincay/embedded.h), applied in order, each once, each in its own
 * transaction together with its row in schema_migrations(version, name, applied_at).
 * Concurrent starters (several servers, a server and `tincay migrate`) serialise on a
 * transaction-level advisory lock. A migration must not BEGIN or COMMIT itself.
 */

/*
 * Apply every embedded migration the database lacks; `*applied_out` (may be NULL) gets
 * how many were applied now. A database that holds a version newer than this binary
 * knows is refused with TC_ECONFLICT and touched no further.
 */
enum tc_status tc_migrate(struct tc_db_conn *conn, size_t *applied_out, struct tc_error *err);

/*
 * As tc_migrate, with an explicit list of `n` migrations sorted by name (tests inject
 * their own). Names must be "NNN_name.sql" with strictly increasing NNN.
 */
enum tc_status tc_migrate_list(struct tc_db_conn *conn, const struct tc_embedded *migrations,
                               size_t n, size_t *applied_out, struct tc_error *err);

/* One line of `tincay migrate --status`. */
struct tc_migration_state {
    int version;
    const char *name;       /* the file's name; the recorded name for unknown versions */
    const char *applied_at; /* ISO 8601 in UTC, or NULL when not applied yet */
    bool known;             /* false: recorded in the database, unknown to this binary */
};

/*
 * The embedded migrations with their state in the database, followed by versions the
 * database holds that this binary does not know; all in `arena`. Read-only: a database
 * without schema_migrations has every migration pending.
 */
enum tc_status tc_migrate_status(struct tc_db_conn *conn, struct tc_arena *arena,
                                 struct tc_migration_state **out, size_t *n_out,
                                 struct tc_error *err);

/* The version of the newest embedded migration (0 when there is none). */
int tc_migrate_latest(void);

#endif /* TC_MIGRATE_H */
