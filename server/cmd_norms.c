#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_db.h"
#include "commands.h"
#include "tincay/arena.h"
#include "tincay/rules.h"

#define USAGE                                                                                      \
    "usage: tincay norms load FILE\n"                                                              \
    "       tincay norms set ITEM AMOUNT --basis \"TT 55/2023/TT-BTC, Điều ..., ...\"\n"        \
    "       tincay norms list [--history]\n"

/* Who changes norms from the command line, for norms.set_by. */
static const char *
cli_actor(char *buf, size_t size)
{
    const char *user = getenv("USER");

    snprintf(buf, size, "cli:%s", user != NULL && user[0] != '\0' ? user : "unknown");
    return buf;
}

static bool
parse_amount(const char *s, long long *out)
{
    char *end;

    errno = 0;
    *out = strtoll(s, &end, 10);
    return errno == 0 && end != s && *end == '\0' && *out >= 0;
}

static int
norms_list(struct tc_db_conn *conn, bool history, struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(1u << 16);
    struct tc_norm *v;
    size_t n;

    if (arena == NULL || tc_norms_list(conn, history, arena, &v, &n, err) != TC_OK) {
        tc_arena_destroy(arena);
        return tc_cli_fail(err);
    }
    printf("%-6s %-26s %-15s %-22s %-10s %s\n", "id", "item", "max_amount", "unit", "set_at",
           "legal_basis");
    for (size_t i = 0; i < n; i++) {
        char amount[32];
        snprintf(amount, sizeof(amount), "%lld", v[i].max_amount);
        printf("%-6lld %-26s %-15s %-22s %.10s %s\n", v[i].id, v[i].item,
               v[i].has_amount ? amount : "(not set)", v[i].unit, v[i].set_at, v[i].legal_basis);
    }
    tc_arena_destroy(arena);
    return 0;
}

static int
norms_run(struct tc_db_conn *conn, int argc, char **argv, struct tc_error *err)
{
    char actor[128];
    long long amount;
    size_t n = 0;

    if (strcmp(argv[1], "load") == 0) {
        if (tc_norms_load_csv(conn, argv[2], cli_actor(actor, sizeof(actor)), &n, err) != TC_OK)
            return tc_cli_fail(err);
        printf("%zu norm rows added from %s\n", n, argv[2]);
        return 0;
    }
    if (strcmp(argv[1], "set") == 0) {
        if (!parse_amount(argv[3], &amount)) {
            fprintf(stderr, "tincay: amount \"%s\" is not a whole number of đồng\n", argv[3]);
            return 2;
        }
        if (tc_norm_set(conn, argv[2], amount, argv[5], cli_actor(actor, sizeof(actor)), err) !=
            TC_OK)
            return tc_cli_fail(err);
        printf("norm %s set to %lld (basis: %s)\n", argv[2], amount, argv[5]);
        return 0;
    }
    return norms_list(conn, argc == 3, err);
}

int
tc_cmd_norms(int argc, char **argv)
{
    struct tc_error err = TC_ERROR_INIT(tc_cli_lang());
    struct tc_cli_db db;
    bool ok = (argc == 3 && strcmp(argv[1], "load") == 0) ||
              (argc == 6 && strcmp(argv[1], "set") == 0 && strcmp(argv[4], "--basis") == 0) ||
              (argc == 2 && strcmp(argv[1], "list") == 0) ||
              (argc == 3 && strcmp(argv[1], "list") == 0 && strcmp(argv[2], "--history") == 0);
    int rc;

    if (!ok) {
        fputs(USAGE, stderr);
        return 2;
    }
    if (tc_cli_db_open(&db, true, &err) != TC_OK)
        return tc_cli_fail(&err);
    rc = norms_run(db.conn, argc, argv, &err);
    tc_cli_db_close(&db);
    return rc;
}
