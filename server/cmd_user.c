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
    "usage: tincay user add LOGIN --role ROLE [--commune CODE] [--province CODE] [--name NAME]\n"  \
    "                       [--language vi|en]\n"                                                  \
    "       tincay user password LOGIN [--old]\n"                                                  \
    "       tincay user list\n"                                                                    \
    "       tincay user disable LOGIN\n"

/* A password from stdin when it is not a terminal; "" (len 0) when there is none. */
static int
read_password(char buf[TC_PASSWORD_MAX_BYTES + 2], size_t *len)
{
    size_t n = 0;
    ssize_t got;

    *len = 0;
    buf[0] = '\0';
    if (isatty(STDIN_FILENO))
        return 0;
    while (n < TC_PASSWORD_MAX_BYTES + 1 &&
           (got = read(STDIN_FILENO, buf + n, TC_PASSWORD_MAX_BYTES + 1 - n)) > 0)
        n += (size_t)got;
    if (n > TC_PASSWORD_MAX_BYTES)
        return -1;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--; /* `echo secret | tincay user add ...` */
    buf[n] = '\0';
    *len = n;
    return 0;
}

struct add_args {
    struct tc_user_new user;
    char login[TC_LOGIN_MAX + 1]; /* folded, for messages */
};

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
parse_add(int argc, char **argv, struct add_args *a)
{
    const char *role = NULL, *lang = NULL, *v;

    if (argc < 2 || argv[1][0] == '-')
        return -1;
    a->user.login = argv[1];
    a->user.language = TC_LANG_VI;
    for (int i = 2; i < argc; i++) {
        if ((v = option_value(argc, argv, &i, "--role")) != NULL)
            role = v;
        else if ((v = option_value(argc, argv, &i, "--commune")) != NULL)
            a->user.commune_code = v;
        else if ((v = option_value(argc, argv, &i, "--province")) != NULL)
            a->user.province_code = v;
        else if ((v = option_value(argc, argv, &i, "--name")) != NULL)
            a->user.display_name = v;
        else if ((v = option_value(argc, argv, &i, "--language")) != NULL)
            lang = v;
        else
            return -1;
    }
    if (role == NULL || tc_role_parse(role, &a->user.role) != 0) {
        fprintf(stderr, "tincay: --role must be one of admin, collector, host, escrow, reviewer, "
                        "approver, viewer\n");
        return -1;
    }
    if (lang != NULL && tc_lang_parse(lang, &a->user.language) != 0) {
        fprintf(stderr, "tincay: --language must be \"vi\" or \"en\"\n");
        return -1;
    }
    return 0;
}

/* The password to set: stdin's, or a generated one (then *generated is set). */
static int
choose_password(char buf[TC_PASSWORD_MAX_BYTES + 2], size_t *len, bool *generated)
{
    if (read_password(buf, len) != 0) {
        fprintf(stderr, "tincay: the password on stdin is longer than %d bytes\n",
                TC_PASSWORD_MAX_BYTES);
        return -1;
    }
    *generated = *len == 0;
    if (*generated) {
        tc_password_generate(buf);
        *len = strlen(buf);
    }
    return 0;
}

/* Open the database and the gate; acquire one connection. */
struct session {
    struct tc_cli_db db;
    struct tc_db_conn *conn;
    struct tc_password_gate *gate;
};

static int
open_session(struct session *s, bool need_gate, struct tc_error *err)
{
    *s = (struct session){0};
    if (need_gate &&
        (s->gate = tc_password_gate_create(1, 60000, TC_PASSWORD_INTERACTIVE, err)) == NULL)
        return -1;
    if (tc_cli_db_open(&s->db, true, err) != TC_OK)
        return -1;
    s->conn = s->db.conn;
    return 0;
}

static void
close_session(struct session *s)
{
    tc_cli_db_close(&s->db);
    tc_password_gate_destroy(s->gate);
}

/* An escrow officer's account and key pair, in one transaction. */
struct escrow_add {
    struct tc_password_gate *gate;
    const struct tc_user_new *user;
    const char *password;
    size_t len;
};

static enum tc_status
escrow_add_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    const struct escrow_add *e = ctx;
    const struct tc_vault_kdf kdf = {.gate = e->gate, .cost = TC_PASSWORD_INTERACTIVE};
    long long id = 0;
    enum tc_status st;

    if ((st = tc_user_create(conn, e->gate, e->user, e->password, e->len, &id, err)) != TC_OK)
        return st;
    return tc_escrow_create(conn, &kdf, id, e->user->province_code, e->password, e->len, err);
}

static enum tc_status
create_user(struct session *s, const struct tc_user_new *user, const char *password, size_t len,
            struct tc_error *err)
{
    struct escrow_add e = {.gate = s->gate, .user = user, .password = password, .len = len};

    if (user->role != TC_ROLE_ESCROW)
        return tc_user_create(s->conn, s->gate, user, password, len, NULL, err);
    if (user->province_code == NULL)
        return tc_fail(err, TC_EINVAL, "an escrow officer needs --province CODE");
    return tc_db_transact(s->conn, false, escrow_add_txn, &e, err);
}

static int
cmd_add(int argc, char **argv)
{
    struct tc_error err = TC_ERROR_INIT(tc_cli_lang());
    struct add_args a = {0};
    struct session s;
    char password[TC_PASSWORD_MAX_BYTES + 2];
    size_t len = 0;
    bool generated = false;
    int rc = 1;

    if (parse_add(argc, argv, &a) != 0) {
        fputs(USAGE, stderr);
        return 2;
    }
    if (open_session(&s, true, &err) != 0 || choose_password(password, &len, &generated) != 0)
        goto out;
    if (create_user(&s, &a.user, password, len, &err) != TC_OK)
        goto out;
    (void)tc_login_normalise(a.user.login, a.login, NULL);
    printf("created user \"%s\" (%s)\n", a.login, tc_role_name(a.user.role));
    if (generated)
        printf("password: %s\n(shown once: give it to the user now)\n", password);
    rc = 0;
out:
    if (rc != 0 && err.status != TC_OK)
        tc_cli_fail(&err);
    sodium_memzero(password, sizeof(password));
    close_session(&s);
    return rc;
}

/* "old\nnew" from stdin (not a terminal), for a change that proves the old password. */
static int
read_old_and_new(char buf[2 * TC_PASSWORD_MAX_BYTES + 4], const char **old, size_t *old_len,
                 const char **new_pw, size_t *new_len)
{
    size_t n = 0, cap = 2 * TC_PASSWORD_MAX_BYTES + 3;
    ssize_t got;
    char *nl;

    if (isatty(STDIN_FILENO))
        return -1;
    while (n < cap && (got = read(STDIN_FILENO, buf + n, cap - n)) > 0)
        n += (size_t)got;
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    if (n >= cap || (nl = strchr(buf, '\n')) == NULL)
        return -1;
    *nl = '\0';
    if (nl > buf && nl[-1] == '\r')
        nl[-1] = '\0';
    *old = buf;
    *old_len = strlen(buf);
    *new_pw = nl + 1;
    *new_len = strlen(nl + 1);
    return *old_len > 0 && *new_len > 0 ? 0 : -1;
}

/*
 * A password change and what it does to the account's keys: with the old password, every
 * unit key wrap and an escrow officer's key are re-wrapped; without it (an admin reset) a
 * host's unit key wraps are deleted, and an escrow officer is refused.
 */
struct password_change {
    struct session *s;
    long long user_id;
    const char *login, *old, *new_pw;
    size_t old_len, new_len;
    bool wraps_deleted;
};

static enum tc_status
password_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    struct password_change *p = ctx;
    const struct tc_vault_kdf kdf = {.gate = p->s->gate, .cost = TC_PASSWORD_INTERACTIVE};
    enum tc_status st;

    if (p->old != NULL)
        st = tc_vault_password_change(conn, &kdf, p->user_id, p->old, p->old_len, p->new_pw,
                                      p->new_len, err);
    else
        st = tc_vault_password_reset(conn, p->user_id, &p->wraps_deleted, err);
    if (st != TC_OK)
        return st;
    return tc_user_set_password(conn, p->s->gate, p->login, p->new_pw, p->new_len, err);
}

static int
change_password(struct session *s, struct password_change *p, struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(2048);
    struct tc_user user;
    int rc = -1;

    if (arena == NULL) {
        tc_fail(err, TC_ENOMEM, "out of memory");
        return -1;
    }
    if (tc_user_get(s->conn, p->login, arena, &user, err) == TC_OK) {
        p->user_id = user.id;
        if (tc_db_transact(s->conn, false, password_txn, p, err) == TC_OK)
            rc = 0;
    }
    tc_arena_destroy(arena);
    return rc;
}

static int
cmd_password(int argc, char **argv)
{
    struct tc_error err = TC_ERROR_INIT(tc_cli_lang());
    struct session s;
    char password[TC_PASSWORD_MAX_BYTES + 2], both[2 * TC_PASSWORD_MAX_BYTES + 4];
    struct password_change p = {.s = &s};
    size_t len = 0;
    bool generated = false, with_old = argc == 3 && strcmp(argv[2], "--old") == 0;
    int rc = 1;

    if (argc != 2 && !with_old) {
        fputs(USAGE, stderr);
        return 2;
    }
    p.login = argv[1];
    both[0] = '\0';
    if (with_old && read_old_and_new(both, &p.old, &p.old_len, &p.new_pw, &p.new_len) != 0) {
        fprintf(stderr, "tincay: --old reads the old password, then the new one, from stdin\n");
        return 2;
    }
    if (open_session(&s, true, &err) != 0 ||
        (!with_old && choose_password(password, &len, &generated) != 0))
        goto out;
    if (!with_old) {
        p.new_pw = password;
        p.new_len = len;
    }
    if (change_password(&s, &p, &err) != 0)
        goto out;
    printf("password of \"%s\" changed; their sessions have ended\n", argv[1]);
    if (p.wraps_deleted)
        printf(
            "their unit keys were wrapped under the old password and are gone: an escrow officer "
            "or another member restores access (tincay unit invite CODE --by LOGIN)\n");
    if (generated)
        printf("password: %s\n(shown once: give it to the user now)\n", password);
    rc = 0;
out:
    if (rc != 0 && err.status != TC_OK)
        tc_cli_fail(&err);
    sodium_memzero(password, sizeof(password));
    sodium_memzero(both, sizeof(both));
    close_session(&s);
    return rc;
}

static void
print_user(const struct tc_user *u)
{
    char commune[32] = "-";

    if (u->commune_code != NULL)
        snprintf(commune, sizeof(commune), "%s%s",
                 strcmp(u->commune_era, TC_ERA_PRE2025) == 0 ? "pre2025:" : "", u->commune_code);
    printf("%-24s %-10s %-16s %-8s %-9s %s\n", u->login, tc_role_name(u->role), commune,
           u->province_code ? u->province_code : "-", u->disabled ? "disabled" : "active",
           u->display_name ? u->display_name : "");
}

static int
cmd_list(int argc, char **argv)
{
    struct tc_error err = TC_ERROR_INIT(tc_cli_lang());
    struct tc_arena *arena = NULL;
    struct tc_user *users;
    struct session s;
    size_t n = 0;
    int rc = 1;

    (void)argv;
    if (argc != 1) {
        fputs(USAGE, stderr);
        return 2;
    }
    if (open_session(&s, false, &err) != 0)
        goto out;
    if ((arena = tc_arena_create(8192)) == NULL) {
        tc_fail(&err, TC_ENOMEM, "out of memory");
        goto out;
    }
    if (tc_user_list(s.conn, arena, &users, &n, &err) != TC_OK)
        goto out;
    printf("%-24s %-10s %-16s %-8s %-9s %s\n", "LOGIN", "ROLE", "COMMUNE", "PROVINCE", "STATE",
           "NAME");
    for (size_t i = 0; i < n; i++)
        print_user(&users[i]);
    rc = 0;
out:
    if (rc != 0)
        tc_cli_fail(&err);
    tc_arena_destroy(arena);
    close_session(&s);
    return rc;
}

static int
cmd_disable(int argc, char **argv)
{
    struct tc_error err = TC_ERROR_INIT(tc_cli_lang());
    struct session s;
    int rc = 1;

    if (argc != 2) {
        fputs(USAGE, stderr);
        return 2;
    }
    if (open_session(&s, false, &err) != 0 || tc_user_disable(s.conn, argv[1], &err) != TC_OK)
        goto out;
    printf("disabled user \"%s\"; their sessions have ended\n", argv[1]);
    rc = 0;
out:
    if (rc != 0)
        tc_cli_fail(&err);
    close_session(&s);
    return rc;
}

int
tc_cmd_user(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
    } subs[] = {
        {"add", cmd_add},
        {"password", cmd_password},
        {"list", cmd_list},
        {"disable", cmd_disable},
    };

    for (size_t i = 0; argc > 1 && i < sizeof(subs) / sizeof(subs[0]); i++)
        if (strcmp(argv[1], subs[i].name) == 0)
            return subs[i].run(argc - 1, argv + 1);
    fputs(USAGE, stderr);
    return 2;
}
