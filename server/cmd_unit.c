#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli_db.h"
#include "commands.h"
#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/password.h"
#include "tincay/units.h"
#include "tincay/users.h"

#define USAGE                                                                                      \
    "usage: tincay unit add CODE --name NAME --commune CODE\n"                                     \
    "       tincay unit list\n"                                                                    \
    "       tincay unit invite CODE --by LOGIN    (LOGIN's password on stdin)\n"                   \
    "       tincay unit join LOGIN                (invitation secret, then password, on stdin)\n"  \
    "       tincay unit remove CODE LOGIN\n"

#define STDIN_MAX (2 * TC_PASSWORD_MAX_BYTES + 8)

/*
 * Up to two lines from stdin (not a terminal): `first` and `second` point into `buf`, each
 * without its line end; `second` is "" when there is no second line. -1 when stdin is a
 * terminal, empty or too long.
 */
static int
read_lines(char buf[STDIN_MAX + 1], const char **first, size_t *first_len, const char **second,
           size_t *second_len)
{
    size_t n = 0;
    ssize_t got;
    char *nl;

    if (isatty(STDIN_FILENO))
        return -1;
    while (n < STDIN_MAX && (got = read(STDIN_FILENO, buf + n, STDIN_MAX - n)) > 0)
        n += (size_t)got;
    buf[n] = '\0';
    if (n == 0 || n >= STDIN_MAX)
        return -1;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    *first = buf;
    *second = "";
    if ((nl = strchr(buf, '\n')) != NULL) {
        *nl = '\0';
        if (nl > buf && nl[-1] == '\r')
            nl[-1] = '\0';
        *second = nl + 1;
    }
    *first_len = strlen(*first);
    *second_len = strlen(*second);
    return *first_len > 0 ? 0 : -1;
}

/* "--opt value" or "--opt=value"; advances *i past what it used. NULL when absent. */
static const char *
option_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);

    if (strncmp(argv[*i], name, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] == '\0' && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

static int
cmd_add(int argc, char **argv)
{
    struct tc_error err = TC_ERROR_INIT(tc_cli_lang());
    const char *name = NULL, *commune = NULL, *v;
    struct tc_cli_db db;
    long long id = 0;
    int rc = 1;

    if (argc < 2 || argv[1][0] == '-')
        goto usage;
    for (int i = 2; i < argc; i++) {
        if ((v = option_value(argc, argv, &i, "--name")) != NULL)
            name = v;
        else if ((v = option_value(argc, argv, &i, "--commune")) != NULL)
            commune = v;
        else
            goto usage;
    }
    if (name == NULL || commune == NULL)
        goto usage;
    if (tc_cli_db_open(&db, true, &err) != TC_OK)
        return tc_cli_fail(&err);
    if (tc_unit_create(db.conn, argv[1], name, commune, 0, &id, &err) == TC_OK) {
        printf("created unit \"%s\"; its key is sealed to the province's escrow officer\n",
               argv[1]);
        rc = 0;
    } else {
        tc_cli_fail(&err);
    }
    tc_cli_db_close(&db);
    return rc;
usage:
    fputs(USAGE, stderr);
    return 2;
}

static int
cmd_list(int argc, char **argv)
{
    struct tc_error err = TC_ERROR_INIT(tc_cli_lang());
    struct tc_arena *arena = NULL;
    struct tc_unit *units = NULL;
    struct tc_cli_db db;
    size_t n = 0;
    int rc = 1;

    (void)argv;
    if (argc != 1) {
        fputs(USAGE, stderr);
        return 2;
    }
    if (tc_cli_db_open(&db, true, &err) != TC_OK)
        return tc_cli_fail(&err);
    if ((arena = tc_arena_create(8192)) == NULL)
        tc_fail(&err, TC_ENOMEM, "out of memory");
    else if (tc_unit_list(db.conn, arena, &units, &n, &err) == TC_OK)
        rc = 0;
    if (rc == 0) {
        printf("%-20s %-16s %-8s %-8s %-7s %s\n", "CODE", "COMMUNE", "PROVINCE", "MEMBERS",
               "ESCROW", "NAME");
        for (size_t i = 0; i < n; i++)
            printf("%-20s %s%-16s %-8s %-8lld %-7lld %s\n", units[i].code,
                   strcmp(units[i].commune_era, TC_ERA_PRE2025) == 0 ? "pre2025:" : "",
                   units[i].commune_code, units[i].province_code, units[i].n_members,
                   units[i].n_escrow, units[i].name);
    } else {
        tc_cli_fail(&err);
    }
    tc_arena_destroy(arena);
    tc_cli_db_close(&db);
    return rc;
}

/* Everything `unit invite` needs, for the transaction. */
struct invite {
    const struct tc_vault_kdf *kdf;
    const struct tc_user *by;
    const struct tc_unit *unit;
    const char *password;
    size_t len;
    char secret[TC_INVITATION_SECRET_MAX];
};

/* The unit key as `by` can open it: their member wrap, or their escrow seal. */
static enum tc_status
inviter_key(struct tc_db_conn *conn, const struct invite *in, struct tc_unit_key **key,
            struct tc_error *err)
{
    struct tc_unit_key *escrow = NULL;
    enum tc_status st;

    if (in->by->role != TC_ROLE_ESCROW)
        return tc_unit_key_open_member(conn, in->kdf, in->unit->id, in->by->id, in->password,
                                       in->len, key, err);
    if ((st = tc_escrow_open(conn, in->kdf, in->by->id, in->password, in->len, &escrow, err)) !=
        TC_OK)
        return st;
    st = tc_unit_key_from_escrow(conn, escrow, in->by->id, in->unit->id, key, err);
    tc_unit_key_free(escrow);
    return st;
}

static enum tc_status
invite_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    struct invite *in = ctx;
    struct tc_unit_key *key = NULL;
    enum tc_status st;

    if ((st = inviter_key(conn, in, &key, err)) != TC_OK)
        return st;
    st = tc_invitation_create(conn, in->kdf, in->unit->id, key, in->by->id, 0, in->secret, NULL,
                              err);
    tc_unit_key_free(key);
    return st;
}

static int
run_invite(struct tc_cli_db *db, struct tc_password_gate *gate, const char *code, const char *by,
           const char *password, size_t len, struct tc_error *err)
{
    const struct tc_vault_kdf kdf = {.gate = gate, .cost = TC_PASSWORD_INTERACTIVE};
    struct tc_arena *arena = tc_arena_create(4096);
    struct tc_user user;
    struct tc_unit unit;
    struct invite in = {.kdf = &kdf, .by = &user, .unit = &unit, .password = password, .len = len};
    int rc = 1;

    if (arena == NULL)
        return tc_cli_fail(err);
    if (tc_unit_get(db->conn, code, arena, &unit, err) != TC_OK ||
        tc_user_get(db->conn, by, arena, &user, err) != TC_OK ||
        tc_db_transact(db->conn, false, invite_txn, &in, err) != TC_OK) {
        tc_cli_fail(err);
        goto out;
    }
    printf("invitation to unit \"%s\" (valid %d days, usable once):\n%s\n(shown once: give it "
           "to the new host, who uses it at their first login)\n",
           code, TC_INVITATION_TTL_S / 86400, in.secret);
    rc = 0;
out:
    sodium_memzero(in.secret, sizeof(in.secret));
    tc_arena_destroy(arena);
    return rc;
}

static int
cmd_invite(int argc, char **argv)
{
    struct tc_error err = TC_ERROR_INIT(tc_cli_lang());
    struct tc_password_gate *gate = NULL;
    const char *by = NULL, *v, *password, *rest;
    char buf[STDIN_MAX + 1];
    size_t len = 0, rest_len = 0;
    struct tc_cli_db db;
    int rc;

    if (argc < 2 || argv[1][0] == '-')
        goto usage;
    for (int i = 2; i < argc; i++) {
        if ((v = option_value(argc, argv, &i, "--by")) != NULL)
            by = v;
        else
            goto usage;
    }
    if (by == NULL)
        goto usage;
    if (read_lines(buf, &password, &len, &rest, &rest_len) != 0) {
        fprintf(stderr, "tincay: give the password of \"%s\" on stdin\n", by);
        return 2;
    }
    if ((gate = tc_password_gate_create(1, 60000, TC_PASSWORD_INTERACTIVE, &err)) == NULL ||
        tc_cli_db_open(&db, true, &err) != TC_OK) {
        rc = tc_cli_fail(&err);
        tc_password_gate_destroy(gate);
        sodium_memzero(buf, sizeof(buf));
        return rc;
    }
    rc = run_invite(&db, gate, argv[1], by, password, len, &err);
    sodium_memzero(buf, sizeof(buf));
    tc_cli_db_close(&db);
    tc_password_gate_destroy(gate);
    return rc;
usage:
    fputs(USAGE, stderr);
    return 2;
}

static int
cmd_join(int argc, char **argv)
{
    struct tc_error err = TC_ERROR_INIT(tc_cli_lang());
    struct tc_password_gate *gate = NULL;
    struct tc_arena *arena = NULL;
    const char *secret, *password;
    char buf[STDIN_MAX + 1];
    size_t secret_len = 0, len = 0;
    struct tc_cli_db db = {0};
    struct tc_user user;
    int rc = 1;

    if (argc != 2 || argv[1][0] == '-') {
        fputs(USAGE, stderr);
        return 2;
    }
    if (read_lines(buf, &secret, &secret_len, &password, &len) != 0 || len == 0) {
        fprintf(stderr, "tincay: give the invitation secret, then the password, on stdin\n");
        return 2;
    }
    if ((arena = tc_arena_create(2048)) == NULL ||
        (gate = tc_password_gate_create(1, 60000, TC_PASSWORD_INTERACTIVE, &err)) == NULL ||
        tc_cli_db_open(&db, true, &err) != TC_OK ||
        tc_user_get(db.conn, argv[1], arena, &user, &err) != TC_OK) {
        tc_cli_fail(&err);
        goto out;
    }
    {
        const struct tc_vault_kdf kdf = {.gate = gate, .cost = TC_PASSWORD_INTERACTIVE};

        if (tc_invitation_redeem(db.conn, &kdf, secret, user.id, password, len, NULL, &err) !=
            TC_OK) {
            tc_cli_fail(&err);
            goto out;
        }
    }
    printf("\"%s\" joined the unit; the invitation is used up\n", user.login);
    rc = 0;
out:
    sodium_memzero(buf, sizeof(buf));
    tc_cli_db_close(&db);
    tc_password_gate_destroy(gate);
    tc_arena_destroy(arena);
    return rc;
}

struct removal {
    long long unit_id, user_id;
};

static enum tc_status
remove_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    const struct removal *r = ctx;

    return tc_unit_member_remove(conn, r->unit_id, r->user_id, err);
}

static int
cmd_remove(int argc, char **argv)
{
    struct tc_error err = TC_ERROR_INIT(tc_cli_lang());
    struct tc_arena *arena = NULL;
    struct tc_cli_db db = {0};
    struct removal r;
    struct tc_unit unit;
    struct tc_user user;
    int rc = 1;

    if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-') {
        fputs(USAGE, stderr);
        return 2;
    }
    if ((arena = tc_arena_create(2048)) == NULL || tc_cli_db_open(&db, true, &err) != TC_OK ||
        tc_unit_get(db.conn, argv[1], arena, &unit, &err) != TC_OK ||
        tc_user_get(db.conn, argv[2], arena, &user, &err) != TC_OK) {
        tc_cli_fail(&err);
        goto out;
    }
    r = (struct removal){.unit_id = unit.id, .user_id = user.id};
    if (tc_db_transact(db.conn, false, remove_txn, &r, &err) != TC_OK) {
        tc_cli_fail(&err);
        goto out;
    }
    printf("\"%s\" is no longer a member of unit \"%s\"; their key and session copies are "
           "deleted\n",
           user.login, unit.code);
    rc = 0;
out:
    tc_cli_db_close(&db);
    tc_arena_destroy(arena);
    return rc;
}

int
tc_cmd_unit(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
    } subs[] = {
        {"add", cmd_add},   {"list", cmd_list},     {"invite", cmd_invite},
        {"join", cmd_join}, {"remove", cmd_remove},
    };

    for (size_t i = 0; argc > 1 && i < sizeof(subs) / sizeof(subs[0]); i++)
        if (strcmp(argv[1], subs[i].name) == 0)
            return subs[i].run(argc - 1, argv + 1);
    fputs(USAGE, stderr);
    return 2;
}
