#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli_db.h"
#include "commands.h"
#include "tincay/arena.h"
#include "tincay/cases.h"
#include "tincay/keyfile.h"

#define USAGE                                                                                      \
    "usage: tincay keys status\n"                                                                  \
    "       tincay keys rotate\n"

#define REWRAP_BATCH 500
#define GRACE_S      5 /* for ingest transactions that wrapped with the old key meanwhile */

/* Data keys wrapped by `key_id` according to `counts`. */
static long long
wraps_of(const struct tc_key_count *counts, size_t n, const char *key_id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(counts[i].key_id, key_id) == 0)
            return counts[i].n;
    return 0;
}

static int
print_status(struct tc_cli_db *db, struct tc_keyring *ring, struct tc_error *err)
{
    char ids[TC_KEYRING_MAX][TC_KEY_ID_LEN + 1], current[TC_KEY_ID_LEN + 1];
    struct tc_arena *arena = tc_arena_create(4096);
    struct tc_key_count *counts = NULL;
    size_t n_ids = 0, n = 0;
    int rc = 1;

    if (arena == NULL || tc_keys_count(db->conn, arena, &counts, &n, err) != TC_OK) {
        tc_cli_fail(err);
        goto out;
    }
    tc_keyring_ids(ring, ids, &n_ids, current);
    printf("key file %s\n%-10s %-8s %s\n", db->cfg.key_file, "KEY", "STATE", "DATA KEYS");
    for (size_t i = 0; i < n_ids; i++)
        printf("%-10s %-8s %lld\n", ids[i], strcmp(ids[i], current) == 0 ? "current" : "old",
               wraps_of(counts, n, ids[i]));
    for (size_t i = 0; i < n; i++) {
        bool known = strcmp(counts[i].key_id, TC_SUBMISSION_KEY_UNIT) == 0;

        for (size_t j = 0; j < n_ids && !known; j++)
            known = strcmp(counts[i].key_id, ids[j]) == 0;
        if (!known)
            printf("%-10s %-8s %lld  (not in the key file: these do not open)\n", counts[i].key_id,
                   "MISSING", counts[i].n);
    }
    printf("%-10s %-8s %lld  (sealed to Trusted Address units; not the server's keys)\n",
           TC_SUBMISSION_KEY_UNIT, "-", wraps_of(counts, n, TC_SUBMISSION_KEY_UNIT));
    rc = 0;
out:
    tc_arena_destroy(arena);
    return rc;
}

/* Drop the old keys no data key uses any more. */
static enum tc_status
drop_unused(struct tc_cli_db *db, struct tc_keyring *ring, struct tc_error *err)
{
    char ids[TC_KEYRING_MAX][TC_KEY_ID_LEN + 1], current[TC_KEY_ID_LEN + 1];
    struct tc_arena *arena = tc_arena_create(4096);
    struct tc_key_count *counts = NULL;
    size_t n_ids = 0, n = 0;
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    tc_keyring_ids(ring, ids, &n_ids, current);
    st = tc_keys_count(db->conn, arena, &counts, &n, err);
    for (size_t i = 0; st == TC_OK && i < n_ids; i++) {
        if (strcmp(ids[i], current) == 0 || wraps_of(counts, n, ids[i]) > 0)
            continue;
        if ((st = tc_keyfile_drop(db->cfg.key_file, ids[i], err)) == TC_OK)
            printf("dropped old key %s (no data key uses it)\n", ids[i]);
    }
    tc_arena_destroy(arena);
    return st;
}

static int
rotate(struct tc_cli_db *db, struct tc_keyring *ring, struct tc_error *err)
{
    char new_id[TC_KEY_ID_LEN + 1];
    size_t done = 0, late = 0;

    if (tc_keyfile_rotate(db->cfg.key_file, new_id, err) != TC_OK ||
        tc_keyring_refresh(ring, err) != TC_OK)
        return tc_cli_fail(err);
    printf("new current key %s\n", new_id);
    if (tc_keys_rewrap(db->conn, ring, REWRAP_BATCH, &done, err) != TC_OK)
        return tc_cli_fail(err);
    /* Servers see the new file at their next wrap; one may have wrapped with the old key
       just before. Wait for such transactions to commit and take them too. */
    nanosleep(&(struct timespec){.tv_sec = GRACE_S}, NULL);
    if (tc_keys_rewrap(db->conn, ring, REWRAP_BATCH, &late, err) != TC_OK ||
        drop_unused(db, ring, err) != TC_OK)
        return tc_cli_fail(err);
    printf("re-wrapped %zu data keys under %s; no data was re-encrypted\n", done + late, new_id);
    return 0;
}

int
tc_cmd_keys(int argc, char **argv)
{
    struct tc_error err = TC_ERROR_INIT(tc_cli_lang());
    struct tc_keyring *ring = NULL;
    struct tc_cli_db db;
    int rc;

    if (argc != 2 || (strcmp(argv[1], "status") != 0 && strcmp(argv[1], "rotate") != 0)) {
        fputs(USAGE, stderr);
        return 2;
    }
    if (tc_cli_db_open(&db, true, &err) != TC_OK)
        return tc_cli_fail(&err);
    if (tc_keyring_open(db.cfg.key_file, true, &ring, &err) != TC_OK)
        rc = tc_cli_fail(&err);
    else if (strcmp(argv[1], "status") == 0)
        rc = print_status(&db, ring, &err);
    else
        rc = rotate(&db, ring, &err);
    tc_keyring_close(ring);
    tc_cli_db_close(&db);
    return rc;
}
