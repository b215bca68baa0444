#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_db.h"
#include "commands.h"
#include "tincay/arena.h"
#include "tincay/jobs.h"
#include "tincay/rules.h"

#define USAGE                                                                                      \
    "usage: tincay rules load FILE\n"                                                              \
    "       tincay rules activate ID VERSION\n"                                                    \
    "       tincay rules work\n"                                                                   \
    "       tincay rules allocation ERA:CODE YEAR AMOUNT\n"

static char *
read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n <= (long)TC_RULESET_MAX_BYTES &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
        *len = fread(buf, 1, (size_t)n, f);
        buf[*len] = '\0';
    }
    fclose(f);
    return buf;
}

static int
rules_load(struct tc_db_conn *conn, const char *path, struct tc_error *err)
{
    size_t len = 0;
    char *xml = read_file(path, &len);
    int rc = 0;

    if (xml == NULL) {
        fprintf(stderr, "tincay: cannot read \"%s\" (missing or over %u bytes)\n", path,
                TC_RULESET_MAX_BYTES);
        return 1;
    }
    if (tc_ruleset_install(conn, xml, len, err) != TC_OK)
        rc = tc_cli_fail(err);
    else
        printf("ruleset %s stored; `tincay rules activate ID VERSION` makes it score\n", path);
    free(xml);
    return rc;
}

/* Run queued re-scoring jobs until none is left. */
static int
rules_work(struct tc_db_conn *conn, struct tc_error *err)
{
    char worker[96];
    int done = 0;

    snprintf(worker, sizeof(worker), "cli:%ld", (long)getpid());
    for (;;) {
        struct tc_arena *arena = tc_arena_create(4096);
        struct tc_job job;
        enum tc_status st =
            arena != NULL ? tc_job_take(conn, "rescore", worker, arena, &job, err) : TC_ENOMEM;
        if (st == TC_OK)
            st = tc_rescore_run(conn, &job, 1000, err);
        tc_arena_destroy(arena);
        if (st == TC_ENOTFOUND)
            break;
        if (st != TC_OK)
            return tc_cli_fail(err);
        done++;
    }
    printf("%d re-scoring job(s) done\n", done);
    return 0;
}

static int
rules_run(struct tc_db_conn *conn, int argc, char **argv, struct tc_error *err)
{
    long long job = 0, amount;
    char *end;
    long n;

    if (strcmp(argv[1], "load") == 0)
        return rules_load(conn, argv[2], err);
    if (strcmp(argv[1], "work") == 0)
        return rules_work(conn, err);
    if (strcmp(argv[1], "activate") == 0) {
        n = strtol(argv[3], &end, 10);
        if (*end != '\0' || n < 1 || n > 1000000) {
            fprintf(stderr, "tincay: version \"%s\" is not a positive number\n", argv[3]);
            return 2;
        }
        if (tc_ruleset_activate(conn, argv[2], (int)n, &job, err) != TC_OK)
            return tc_cli_fail(err);
        printf("ruleset %s version %ld active; re-scoring queued as job %lld\n", argv[2], n, job);
        return 0;
    }
    (void)argc;
    n = strtol(argv[3], &end, 10);
    errno = 0;
    amount = strtoll(argv[4], NULL, 10);
    if (*end != '\0' || errno != 0 || amount < 0 ||
        tc_allocation_set(conn, argv[2], (int)n, amount, err) != TC_OK)
        return err->status != TC_OK ? tc_cli_fail(err) : 2;
    printf("allocation of %s for %ld set to %lld\n", argv[2], n, amount);
    return 0;
}

int
tc_cmd_rules(int argc, char **argv)
{
    struct tc_error err = TC_ERROR_INIT(tc_cli_lang());
    struct tc_cli_db db;
    bool ok = (argc == 3 && strcmp(argv[1], "load") == 0) ||
              (argc == 4 && strcmp(argv[1], "activate") == 0) ||
              (argc == 2 && strcmp(argv[1], "work") == 0) ||
              (argc == 5 && strcmp(argv[1], "allocation") == 0);
    int rc;

    if (!ok) {
        fputs(USAGE, stderr);
        return 2;
    }
    if (tc_cli_db_open(&db, true, &err) != TC_OK)
        return tc_cli_fail(&err);
    rc = rules_run(db.conn, argc, argv, &err);
    tc_cli_db_close(&db);
    return rc;
}
