#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cli_db.h"
#include "commands.h"
#include "tincay/demo.h"
#include "tincay/keyfile.h"
#include "tincay/password.h"

#define USAGE "usage: tincay demo load [--forms DIR] [--year YYYY]\n"

struct demo_args {
    const char *forms_dir;
    int year;
};

static int
parse_args(int argc, char **argv, struct demo_args *a)
{
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    a->forms_dir = getenv("TINCAY_FORMS_DIR") ? getenv("TINCAY_FORMS_DIR") : "forms";
    a->year = tm.tm_year + 1900;
    if (argc < 2 || strcmp(argv[1], "load") != 0)
        return -1;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--forms") == 0 && i + 1 < argc)
            a->forms_dir = argv[++i];
        else if (strcmp(argv[i], "--year") == 0 && i + 1 < argc)
            a->year = (int)strtol(argv[++i], NULL, 10); /* range checked below */
        else
            return -1;
    }
    return a->year >= 2021 && a->year <= 2100 ? 0 : -1;
}

static void
print_demo(const struct tc_demo *d)
{
    printf("DEMO data loaded (not official figures): %zu surveyed groups in the six Tam Đường "
           "communes, year %d;\nnorms %lld đồng per group and allocations %lld đồng per commune "
           "are marked \"demo, not official\".\n\nAccounts (passwords are shown once):\n",
           d->n_groups, d->year, TC_DEMO_CEILING, TC_DEMO_ALLOCATION);
    for (size_t i = 0; i < TC_DEMO_ACCOUNTS; i++)
        printf("  %-15s %-10s %-15s %s\n", d->accounts[i].login, d->accounts[i].role,
               d->accounts[i].area, d->accounts[i].password);
    printf("\nNext: tincay serve, log in as demo.reviewer and open\n"
           "  GET /api/v1/review/queue?commune=post2025:03390&year=%d\n",
           d->year);
}

int
tc_cmd_demo(int argc, char **argv)
{
    struct tc_error err = TC_ERROR_INIT(tc_cli_lang());
    struct tc_cli_db db = {0};
    struct tc_password_gate *gate = NULL;
    struct tc_keyring *ring = NULL;
    struct tc_demo demo;
    struct demo_args a;
    int rc = 1;

    if (parse_args(argc, argv, &a) != 0) {
        fputs(USAGE, stderr);
        return 2;
    }
    if ((gate = tc_password_gate_create(1, 60000, TC_PASSWORD_INTERACTIVE, &err)) == NULL ||
        tc_cli_db_open(&db, true, &err) != TC_OK ||
        tc_keyring_open(db.cfg.key_file, true, &ring, &err) != TC_OK ||
        tc_demo_load(db.conn, gate, ring, a.forms_dir, a.year, NULL, &demo, &err) != TC_OK) {
        rc = tc_cli_fail(&err);
    } else {
        print_demo(&demo);
        rc = 0;
    }
    sodium_memzero(&demo, sizeof(demo));
    tc_keyring_close(ring);
    tc_cli_db_close(&db);
    tc_password_gate_destroy(gate);
    return rc;
}
