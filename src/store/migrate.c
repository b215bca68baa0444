#include "tincay/migrate.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/embedded.h"

/* Every starter takes this lock first ("tincay" in ASCII, then 1). */
#define MIGRATE_LOCK_SQL "SELECT pg_advisory_xact_lock(x'74696e6361790001'::bigint)"

static const char sql_create[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                 " version int PRIMARY KEY CHECK (version > 0),"
                                 " name text NOT NULL,"
                                 " applied_at timestamptz NOT NULL DEFAULT now())";
static const char sql_newest[] = "SELECT version FROM schema_migrations WHERE version > $1 "
                                 "ORDER BY version DESC LIMIT 1";
static const char sql_applied[] = "SELECT 1 FROM schema_migrations WHERE version = $1";
static const char sql_record[] = "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)";
static const char sql_exists[] = "SELECT to_regclass('schema_migrations') IS NOT NULL";
static const char sql_states[] =
    "SELECT version, name, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " FROM schema_migrations ORDER BY version";

/* The NNN of "NNN_name.sql", or 0 when the name has another shape. */
static int
version_of(const char *name)
{
    size_t len = name ? strlen(name) : 0;

    if (len < 9 || !isdigit((unsigned char)name[0]) || !isdigit((unsigned char)name[1]) ||
        !isdigit((unsigned char)name[2]) || name[3] != '_' || strcmp(name + len - 4, ".sql") != 0)
        return 0;
    return (name[0] - '0') * 100 + (name[1] - '0') * 10 + (name[2] - '0');
}

static enum tc_status
check_list(const struct tc_embedded *migrations, size_t n, int *latest, struct tc_error *err)
{
    int prev = 0;

    for (size_t i = 0; i < n; i++) {
        int v = version_of(migrations[i].name);

        if (v <= prev)
            return tc_fail(err, TC_EINTERNAL, "migration \"%s\" is misnamed or out of order",
                           migrations[i].name ? migrations[i].name : "");
        prev = v;
    }
    *latest = prev;
    return TC_OK;
}

struct run {
    struct tc_arena *arena;
    const struct tc_embedded *migration;
    int version, latest;
    bool applied; /* set when this run applied the migration */
};

/* Under the lock: the table exists, and the database is not newer than this binary. */
static enum tc_status
prepare_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    struct run *r = ctx;
    struct tc_db_result *res;
    const char *latest = tc_arena_printf(r->arena, "%d", r->latest);
    enum tc_status st;

    if (latest == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((st = tc_db_exec_simple(conn, MIGRATE_LOCK_SQL, err)) != TC_OK ||
        (st = tc_db_exec_simple(conn, sql_create, err)) != TC_OK ||
        (st = tc_db_exec(conn, sql_newest, 1, &latest, r->arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_rows(res) > 0)
        return tc_fail(err, TC_ECONFLICT,
                       "database schema version %lld is newer than this tincay (knows up to %d); "
                       "upgrade tincay",
                       tc_db_int(res, 0, 0, 0), r->latest);
    return TC_OK;
}

static enum tc_status
apply_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    struct run *r = ctx;
    struct tc_db_result *res;
    const char *params[2] = {tc_arena_printf(r->arena, "%d", r->version), r->migration->name};
    enum tc_status st;

    r->applied = false;
    if (params[0] == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((st = tc_db_exec_simple(conn, MIGRATE_LOCK_SQL, err)) != TC_OK ||
        (st = tc_db_exec(conn, sql_applied, 1, params, r->arena, &res, err)) != TC_OK)
        return st;
    if (tc_db_rows(res) > 0)
        return TC_OK; /* another starter applied it while we waited */
    if ((st = tc_db_exec_simple(conn, "SET LOCAL statement_timeout = 0", err)) != TC_OK)
        return st;
    if ((st = tc_db_exec_simple(conn, r->migration->data, err)) != TC_OK) {
        char detail[sizeof(err->detail)];

        memcpy(detail, err->detail, sizeof(detail));
        tc_fail(err, st, "migration \"%s\" failed", r->migration->name);
        tc_error_detail(err, "%s", detail);
        return st;
    }
    if ((st = tc_db_exec(conn, sql_record, 2, params, r->arena, NULL, err)) != TC_OK)
        return st;
    r->applied = true;
    return TC_OK;
}

enum tc_status
tc_migrate_list(struct tc_db_conn *conn, const struct tc_embedded *migrations, size_t n,
                size_t *applied_out, struct tc_error *err)
{
    struct run r = {0};
    size_t applied = 0;
    enum tc_status st;

    if (applied_out != NULL)
        *applied_out = 0;
    if ((st = check_list(migrations, n, &r.latest, err)) != TC_OK)
        return st;
    if ((r.arena = tc_arena_create(4096)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    st = tc_db_transact(conn, false, prepare_txn, &r, err);
    for (size_t i = 0; st == TC_OK && i < n; i++) {
        r.migration = &migrations[i];
        r.version = version_of(migrations[i].name);
        st = tc_db_transact(conn, false, apply_txn, &r, err);
        if (st == TC_OK && r.applied)
            applied++;
    }
    tc_arena_destroy(r.arena);
    if (applied_out != NULL)
        *applied_out = applied;
    return st;
}

enum tc_status
tc_migrate(struct tc_db_conn *conn, size_t *applied_out, struct tc_error *err)
{
    return tc_migrate_list(conn, tc_migrations, tc_migrations_count, applied_out, err);
}

int
tc_migrate_latest(void)
{
    return tc_migrations_count > 0 ? version_of(tc_migrations[tc_migrations_count - 1].name) : 0;
}

static const char *
applied_at_of(const struct tc_db_result *res, int version)
{
    for (size_t i = 0; i < tc_db_rows(res); i++)
        if (tc_db_int(res, i, 0, -1) == version)
            return tc_db_value(res, i, 2);
    return NULL;
}

static bool
is_known(int version)
{
    for (size_t i = 0; i < tc_migrations_count; i++)
        if (version_of(tc_migrations[i].name) == version)
            return true;
    return false;
}

static enum tc_status
read_states(struct tc_db_conn *conn, struct tc_arena *arena, struct tc_db_result **res,
            struct tc_error *err)
{
    struct tc_db_result *exists;
    enum tc_status st;

    *res = NULL;
    if ((st = tc_db_exec(conn, sql_exists, 0, NULL, arena, &exists, err)) != TC_OK)
        return st;
    if (!tc_db_bool(exists, 0, 0))
        return TC_OK;
    return tc_db_exec(conn, sql_states, 0, NULL, arena, res, err);
}

enum tc_status
tc_migrate_status(struct tc_db_conn *conn, struct tc_arena *arena, struct tc_migration_state **out,
                  size_t *n_out, struct tc_error *err)
{
    struct tc_db_result *res;
    struct tc_migration_state *states;
    size_t n = 0;
    enum tc_status st;

    if ((st = read_states(conn, arena, &res, err)) != TC_OK)
        return st;
    states = tc_arena_calloc(arena, tc_migrations_count + tc_db_rows(res) + 1, sizeof(*states));
    if (states == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < tc_migrations_count; i++) {
        int v = version_of(tc_migrations[i].name);

        states[n++] = (struct tc_migration_state){.version = v,
                                                  .name = tc_migrations[i].name,
                                                  .applied_at = applied_at_of(res, v),
                                                  .known = true};
    }
    for (size_t i = 0; i < tc_db_rows(res); i++) {
        int v = (int)tc_db_int(res, i, 0, 0);

        if (!is_known(v))
            states[n++] = (struct tc_migration_state){.version = v,
                                                      .name = tc_db_value(res, i, 1),
                                                      .applied_at = tc_db_value(res, i, 2),
                                                      .known = false};
    }
    *out = states;
    *n_out = n;
    return TC_OK;
}
