#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli_db.h"
#include "commands.h"
#include "form_admin.h"
#include "tincay/app_users.h"
#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/forms.h"
#include "tincay/units.h"

#define USAGE                                                                                      \
    "usage: tincay appuser add NAME --form FORM_ID [--form FORM_ID]... [--unit CODE]\n"            \
    "       tincay appuser list\n"                                                                 \
    "       tincay appuser revoke ID\n"

#define MAX_FORMS 64

struct add_ctx {
    const char *name;
    const char *unit; /* code of the Trusted Address unit whose phone this is, or NULL */
    const char *forms[MAX_FORMS];
    size_t n_forms;
    struct tc_arena *arena;
    char token[TC_APP_TOKEN_LEN + 1];
    long long id;
};

/* Create and assign in one transaction: an app user never exists without its forms. */
static enum tc_status
add_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    struct add_ctx *a = ctx;
    struct tc_form_row row;
    enum tc_status st;

    struct tc_unit unit = {0};

    for (size_t i = 0; i < a->n_forms; i++)
        if ((st = tc_form_admin_newest(conn, a->forms[i], a->arena, &row, err)) != TC_OK)
            return st;
    if (a->unit != NULL && (st = tc_unit_get(conn, a->unit, a->arena, &unit, err)) != TC_OK)
        return st;
    if ((st = tc_app_user_create(conn, a->name, unit.id, 0, a->token, &a->id, err)) != TC_OK)
        return st;
    for (size_t i = 0; i < a->n_forms; i++)
        if ((st = tc_app_user_assign(conn, a->id, a->forms[i], err)) != TC_OK)
            return st;
    return TC_OK;
}

static int
parse_add(int argc, char **argv, struct add_ctx *a)
{
    if (argc < 2 || argv[1][0] == '-')
        return -2;
    a->name = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *v = NULL;

        if (strcmp(argv[i], "--unit") == 0 && i + 1 < argc && a->unit == NULL) {
            a->unit = argv[++i];
            continue;
        }
        if (strcmp(argv[i], "--form") == 0 && i + 1 < argc)
            v = argv[++i];
        else if (strncmp(argv[i], "--form=", 7) == 0)
            v = argv[i] + 7;
        if (v == NULL || a->n_forms == MAX_FORMS)
            return -2;
        a->forms[a->n_forms++] = v;
    }
    return a->n_forms > 0 ? 0 : -2;
}

static int
appuser_add(struct tc_cli_db *db, int argc, char **argv, struct tc_arena *arena,
            struct tc_error *err)
{
    struct add_ctx a = {.arena = arena};
    int rc = 0;

    if (parse_add(argc, argv, &a) != 0)
        return -2;
    if (tc_db_transact(db->conn, false, add_txn, &a, err) != TC_OK) {
        rc = tc_cli_fail(err);
        goto out;
    }
    printf("app user %lld \"%s\" created, assigned %zu form(s)%s%s.\n", a.id, a.name, a.n_forms,
           a.unit != NULL ? ", phone of unit " : "", a.unit != NULL ? a.unit : "");
    printf("Server URL for ODK Collect (shown only now; anyone holding it can submit):\n");
    printf("%s/key/%s\n", db->cfg.public_url, a.token);
out:
    sodium_memzero(a.token, sizeof(a.token));
    return rc;
}

static int
appuser_list(struct tc_db_conn *conn, struct tc_arena *arena, struct tc_error *err)
{
    struct tc_app_user *users = NULL;
    size_t n = 0;

    if (tc_app_user_list(conn, arena, &users, &n, err) != TC_OK)
        return tc_cli_fail(err);
    printf("%-6s %-30s %-8s %s\n", "ID", "NAME", "STATE", "CREATED");
    for (size_t i = 0; i < n; i++)
        printf("%-6lld %-30s %-8s %s\n", users[i].id, users[i].name,
               users[i].is_revoked ? "revoked" : "active", users[i].created_at);
    return 0;
}

static int
appuser_revoke(struct tc_db_conn *conn, int argc, char **argv, struct tc_error *err)
{
    char *end;
    long long id;

    if (argc != 2)
        return -2;
    id = strtoll(argv[1], &end, 10);
    if (*end != '\0' || id <= 0) {
        fprintf(stderr, "tincay: invalid app user id \"%s\"\n", argv[1]);
        return 2;
    }
    if (tc_app_user_revoke(conn, id, err) != TC_OK)
        return tc_cli_fail(err);
    printf("app user %lld revoked: its token is refused from now on\n", id);
    return 0;
}

int
tc_cmd_appuser(int argc, char **argv)
{
    struct tc_error err = TC_ERROR_INIT(tc_cli_lang());
    struct tc_cli_db db;
    struct tc_arena *arena;
    int rc = -2;

    if (argc < 2) {
        fputs(USAGE, stderr);
        return 2;
    }
    if ((arena = tc_arena_create(16 * 1024)) == NULL) {
        fprintf(stderr, "tincay: out of memory\n");
        return 1;
    }
    if (tc_cli_db_open(&db, true, &err) != TC_OK) {
        tc_arena_destroy(arena);
        return tc_cli_fail(&err);
    }
    if (strcmp(argv[1], "add") == 0)
        rc = appuser_add(&db, argc - 1, argv + 1, arena, &err);
    else if (strcmp(argv[1], "list") == 0 && argc == 2)
        rc = appuser_list(db.conn, arena, &err);
    else if (strcmp(argv[1], "revoke") == 0)
        rc = appuser_revoke(db.conn, argc - 1, argv + 1, &err);
    tc_cli_db_close(&db);
    tc_arena_destroy(arena);
    if (rc == -2) {
        fputs(USAGE, stderr);
        return 2;
    }
    return rc;
}
