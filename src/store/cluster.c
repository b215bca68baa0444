#include "tincay/cluster.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "tincay/log.h"

#define PG_ROOT       "/usr/lib/postgresql"
#define SYSTEM_USER   "tincay"
#define SYSTEM_HOME   "/var/lib/tincay"
#define CLUSTERS_DIR  SYSTEM_HOME "/clusters"
#define PG_PORT       "5432"
#define SOCKET_FILE   "/.s.PGSQL." PG_PORT
#define SUN_PATH_MAX  107 /* sun_path holds 108 bytes with the terminator */
#define ID_HEX        12
#define START_TRIES   3
#define ADOPT_WAIT_S  30
#define LOG_TAIL_SIZE 300
#define LOG_ROTATE_AT (16L * 1024 * 1024) /* bytes; one older log is kept as .1 */
#define LOCATION_SIZE 512 /* short enough that every path derived from it fits PATH_MAX */

struct tc_cluster {
    char location[LOCATION_SIZE];        /* holds data/ and usually the socket directory s/ */
    char pgdata[LOCATION_SIZE + 8];      /* the cluster's data directory */
    char socket_dir[LOCATION_SIZE + 64]; /* where the postmaster puts .s.PGSQL.5432 */
    char bindir[LOCATION_SIZE];          /* /usr/lib/postgresql/<version>/bin */
    char log_path[PATH_MAX];             /* <data_dir>/postgresql.log */
    char owner[64];                      /* the OS user running the cluster, also its superuser */
    char id[ID_HEX + 1];                 /* short hash of the absolute data directory */
    uid_t uid;
    gid_t gid;
    bool switch_user; /* running as root: PostgreSQL programs run as `owner` */
    bool borrowed;    /* another process holds the cluster: use it, never stop it */
    int lock_fd;      /* flock()ed <data_dir>/cluster.lock, or -1 when borrowed */
    int log_fd;       /* stdout and stderr of every program we run */
};

static int
join(char *out, size_t size, const char *a, const char *b)
{
    int n = snprintf(out, size, "%s%s", a, b);

    return n < 0 || (size_t)n >= size ? -1 : 0;
}

static bool
is_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The last lines of the cluster's log, whole lines only, for an error's detail. */
static void
log_tail(const struct tc_cluster *c, char *out, size_t size)
{
    char buf[LOG_TAIL_SIZE + 1];
    ssize_t n = 0;
    int fd = open(c->log_path, O_RDONLY | O_CLOEXEC);
    off_t end;
    const char *start = buf;

    out[0] = '\0';
    if (fd < 0)
        return;
    end = lseek(fd, 0, SEEK_END);
    if (end > 0) {
        off_t from = end > LOG_TAIL_SIZE ? end - LOG_TAIL_SIZE : 0;
        n = pread(fd, buf, LOG_TAIL_SIZE, from);
        if (n > 0 && from > 0 && memchr(buf, '\n', (size_t)n) != NULL)
            start = (char *)memchr(buf, '\n', (size_t)n) + 1;
    }
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    snprintf(out, size, "%s", start);
}

/* Put the end of the log in err->detail after a failed program; returns `status`. */
static enum tc_status
with_log(const struct tc_cluster *c, struct tc_error *err, enum tc_status status)
{
    char tail[LOG_TAIL_SIZE + 1];

    log_tail(c, tail, sizeof(tail));
    tc_error_detail(err, "%s", tail);
    return status;
}

/* Make `path` (and missing parents) with `mode`; existing directories are left as they are. */
static int
make_dirs(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    size_t i;

    if (join(buf, sizeof(buf), path, "") != 0)
        return -1;
    for (i = 1; buf[i] != '\0'; i++) {
        if (buf[i] != '/')
            continue;
        buf[i] = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        buf[i] = '/';
    }
    if (mkdir(buf, mode) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* A directory only the cluster's owner may enter; made when missing, checked when present. */
static enum tc_status
private_dir(const struct tc_cluster *c, const char *path, struct tc_error *err)
{
    struct stat st;

    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return tc_fail(err, TC_EINTERNAL, "could not create directory \"%s\": %s", path,
                       strerror(errno));
    if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return tc_fail(err, TC_EINTERNAL, "\"%s\" is not a directory", path);
    if (c->switch_user && st.st_uid != c->uid && lchown(path, c->uid, c->gid) != 0)
        return tc_fail(err, TC_EINTERNAL, "could not hand \"%s\" to user \"%s\": %s", path,
                       c->owner, strerror(errno));
    if (!c->switch_user && st.st_uid != c->uid)
        return tc_fail(err, TC_EFORBIDDEN, "directory \"%s\" belongs to another user", path);
    if (chmod(path, 0700) != 0)
        return tc_fail(err, TC_EINTERNAL, "could not protect directory \"%s\": %s", path,
                       strerror(errno));
    return TC_OK;
}

static void
close_inherited_fds(void)
{
    struct rlimit rl;
    int fd, max = 1024;

#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
        return;
#endif
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 65536)
        max = (int)rl.rlim_cur;
    for (fd = 3; fd < max; fd++)
        close(fd);
}

/* execve() takes char *const[] for historical reasons and never writes through it. */
union exec_args {
    const char *const *in;
    char *const *out;
};

/* In the child: only async-signal-safe calls from here to exec. */
static void
exec_child(const struct tc_cluster *c, const char *const argv[], bool as_owner)
{
    static const char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8",
                                       "LC_ALL=C.UTF-8", NULL};
    union exec_args args = {.in = argv}, env = {.in = envp};
    int null_fd = open("/dev/null", O_RDONLY);

    if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(c->log_fd, 1) < 0 || dup2(c->log_fd, 2) < 0)
        _exit(126);
    close_inherited_fds();
    if (as_owner && (setgroups(1, &c->gid) != 0 || setgid(c->gid) != 0 || setuid(c->uid) != 0))
        _exit(126);
    /* The caller's directory may be private (a checkout under /root): start somewhere reachable. */
    if (chdir(as_owner || !c->switch_user ? c->location : "/") != 0 && chdir("/") != 0)
        _exit(126);
    execve(argv[0], args.out, env.out);
    _exit(127);
}

/* Run `argv` (argv[0] a full path) with output to the log; returns its exit status or -1. */
static int
run(const struct tc_cluster *c, const char *const argv[], bool as_owner)
{
    int status;
    pid_t pid = fork();

    if (pid < 0)
        return -1;
    if (pid == 0)
        exec_child(c, argv, as_owner);
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static enum tc_status
lookup_user(struct tc_cluster *c, bool by_name, struct tc_error *err)
{
    char buf[4096];
    struct passwd pw, *found = NULL;
    int rc = by_name ? getpwnam_r(SYSTEM_USER, &pw, buf, sizeof(buf), &found)
                     : getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &found);

    if (rc != 0 || found == NULL)
        return TC_ENOTFOUND;
    if (join(c->owner, sizeof(c->owner), pw.pw_name, "") != 0)
        return tc_fail(err, TC_EINVAL, "user name \"%s\" is too long", pw.pw_name);
    c->uid = pw.pw_uid;
    c->gid = pw.pw_gid;
    return TC_OK;
}

/* As root: find the system user `tincay`, creating it the first time. */
static enum tc_status
system_user(struct tc_cluster *c, struct tc_error *err)
{
    const char *const argv[] = {"/usr/sbin/useradd", "--system",
                                "--user-group",      "--no-create-home",
                                "--home-dir",        SYSTEM_HOME,
                                "--shell",           "/usr/sbin/nologin",
                                "--comment",         "tincay private PostgreSQL cluster",
                                SYSTEM_USER,         NULL};

    if (lookup_user(c, true, err) == TC_OK)
        return TC_OK;
    if (run(c, argv, false) != 0 || lookup_user(c, true, err) != TC_OK)
        return with_log(
            c, err,
            tc_fail(err, TC_EINTERNAL, "could not create the system user \"%s\"", SYSTEM_USER));
    return TC_OK;
}

static void
hash_id(const char *data_dir, char out[ID_HEX + 1])
{
    unsigned char hash[ID_HEX / 2];
    size_t i;

    crypto_generichash(hash, sizeof(hash), (const unsigned char *)data_dir, strlen(data_dir), NULL,
                       0);
    for (i = 0; i < sizeof(hash); i++)
        snprintf(out + 2 * i, 3, "%02x", hash[i]);
}

/* Read <data_dir>/cluster.path into c->location; false when there is none. */
static bool
read_recorded_location(struct tc_cluster *c, const char *record)
{
    FILE *f = fopen(record, "re");
    bool ok;

    if (f == NULL)
        return false;
    ok = fgets(c->location, sizeof(c->location), f) != NULL;
    fclose(f);
    c->location[strcspn(c->location, "\n")] = '\0';
    return ok && c->location[0] == '/';
}

static enum tc_status
record_location(const struct tc_cluster *c, const char *record, struct tc_error *err)
{
    FILE *f = fopen(record, "we");

    if (f == NULL || fprintf(f, "%s\n", c->location) < 0 || fclose(f) != 0)
        return tc_fail(err, TC_EINTERNAL, "could not write \"%s\": %s", record, strerror(errno));
    return TC_OK;
}

/* Where data/ lives: under the data directory, or under /var/lib/tincay when root. */
static enum tc_status
locate(struct tc_cluster *c, const char *data_dir, struct tc_error *err)
{
    char record[PATH_MAX];
    enum tc_status st;

    if (!c->switch_user) {
        if (join(c->location, sizeof(c->location), data_dir, "/pg") != 0)
            return tc_fail(err, TC_EINVAL, "data directory path \"%s\" is too long", data_dir);
        return private_dir(c, c->location, err);
    }
    if (join(record, sizeof(record), data_dir, "/cluster.path") != 0)
        return tc_fail(err, TC_EINVAL, "data directory path \"%s\" is too long", data_dir);
    if (!read_recorded_location(c, record)) {
        snprintf(c->location, sizeof(c->location), "%s/%s", CLUSTERS_DIR, c->id);
        if ((st = record_location(c, record, err)) != TC_OK)
            return st;
    }
    if ((st = private_dir(c, SYSTEM_HOME, err)) != TC_OK ||
        (st = private_dir(c, CLUSTERS_DIR, err)) != TC_OK)
        return st;
    if (make_dirs(c->location, 0700) != 0)
        return tc_fail(err, TC_EINTERNAL, "could not create directory \"%s\": %s", c->location,
                       strerror(errno));
    return private_dir(c, c->location, err);
}

/* <location>/s when the socket path fits in sun_path, else a short private directory in /tmp. */
static enum tc_status
choose_socket_dir(struct tc_cluster *c, struct tc_error *err)
{
    if (strlen(c->location) + strlen("/s" SOCKET_FILE) <= SUN_PATH_MAX)
        snprintf(c->socket_dir, sizeof(c->socket_dir), "%s/s", c->location);
    else
        snprintf(c->socket_dir, sizeof(c->socket_dir), "/tmp/tincay-%lu-%s", (unsigned long)c->uid,
                 c->id);
    return private_dir(c, c->socket_dir, err);
}

static bool
usable_bindir(const char *bindir)
{
    char path[PATH_MAX];

    return join(path, sizeof(path), bindir, "/initdb") == 0 && access(path, X_OK) == 0 &&
           join(path, sizeof(path), bindir, "/pg_ctl") == 0 && access(path, X_OK) == 0;
}

/* The newest /usr/lib/postgresql/<major>/bin with initdb and pg_ctl; 0 when none. */
static long
newest_version(void)
{
    DIR *dir = opendir(PG_ROOT);
    struct dirent *de;
    long best = 0;
    char bindir[PATH_MAX];

    if (dir == NULL)
        return 0;
    while ((de = readdir(dir)) != NULL) {
        char *end;
        long v = strtol(de->d_name, &end, 10);

        if (*end != '\0' || v <= best)
            continue;
        snprintf(bindir, sizeof(bindir), "%s/%ld/bin", PG_ROOT, v);
        if (usable_bindir(bindir))
            best = v;
    }
    closedir(dir);
    return best;
}

/* An existing cluster keeps the major version it was made with (PG_VERSION). */
static enum tc_status
find_bindir(struct tc_cluster *c, struct tc_error *err)
{
    char path[PATH_MAX], version[16] = "";
    FILE *f;
    long v;

    snprintf(path, sizeof(path), "%s/PG_VERSION", c->pgdata);
    if ((f = fopen(path, "re")) != NULL) {
        if (fgets(version, sizeof(version), f) == NULL)
            version[0] = '\0';
        fclose(f);
        version[strcspn(version, "\n")] = '\0';
        snprintf(c->bindir, sizeof(c->bindir), "%s/%s/bin", PG_ROOT, version);
        if (!usable_bindir(c->bindir))
            return tc_fail(err, TC_EINTERNAL,
                           "the private cluster in \"%s\" needs PostgreSQL %s, which is not "
                           "installed (package postgresql-%s)",
                           c->location, version, version);
        return TC_OK;
    }
    if ((v = newest_version()) == 0)
        return tc_fail(err, TC_EINTERNAL,
                       "no PostgreSQL server programs under \"%s\" (install postgresql-15)",
                       PG_ROOT);
    snprintf(c->bindir, sizeof(c->bindir), "%s/%ld/bin", PG_ROOT, v);
    return TC_OK;
}

/* Write a whole file as the cluster's owner would: the owner must be able to read it. */
static enum tc_status
write_file(const struct tc_cluster *c, const char *path, const char *text, int extra_flags,
           struct tc_error *err)
{
    size_t len = strlen(text);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | extra_flags, 0600);
    bool ok = fd >= 0;

    if (ok && c->switch_user)
        ok = fchown(fd, c->uid, c->gid) == 0;
    if (ok)
        ok = write(fd, text, len) == (ssize_t)len;
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    if (!ok)
        return tc_fail(err, TC_EINTERNAL, "could not write \"%s\": %s", path, strerror(errno));
    return TC_OK;
}

/* Only the owner (and, when root made it, root) may connect, over the socket only. */
static enum tc_status
write_auth(const struct tc_cluster *c, const char *pgdata, struct tc_error *err)
{
    char path[PATH_MAX], ident[256];
    enum tc_status st;

    snprintf(path, sizeof(path), "%s/pg_hba.conf", pgdata);
    st = write_file(c, path,
                    "# Written by tincay: Unix socket only, peer authentication through the map.\n"
                    "local all all peer map=tincay\n",
                    O_TRUNC, err);
    if (st != TC_OK)
        return st;
    snprintf(ident, sizeof(ident), "tincay %s %s\n%s", c->owner, c->owner,
             c->switch_user ? "tincay root " SYSTEM_USER "\n" : "");
    snprintf(path, sizeof(path), "%s/pg_ident.conf", pgdata);
    if ((st = write_file(c, path, ident, O_TRUNC, err)) != TC_OK)
        return st;
    snprintf(path, sizeof(path), "%s/postgresql.conf", pgdata);
    return write_file(c, path, "\n# Written by tincay\ninclude_if_exists = 'tincay.conf'\n",
                      O_APPEND, err);
}

static enum tc_status
init_cluster(struct tc_cluster *c, struct tc_error *err)
{
    char fresh[LOCATION_SIZE + 16], initdb[PATH_MAX], user_opt[96];
    const char *const wipe[] = {"/bin/rm", "-rf", fresh, NULL};
    const char *const argv[] = {initdb,
                                "-D",
                                fresh,
                                user_opt,
                                "--encoding=UTF8",
                                "--locale=C.UTF-8",
                                "--auth-local=peer",
                                "--auth-host=reject",
                                "--no-instructions",
                                NULL};
    enum tc_status st;

    snprintf(initdb, sizeof(initdb), "%s/initdb", c->bindir);
    snprintf(user_opt, sizeof(user_opt), "--username=%s", c->owner);
    if (join(fresh, sizeof(fresh), c->location, "/data.new") != 0)
        return tc_fail(err, TC_EINVAL, "cluster path \"%s\" is too long", c->location);
    /* A half-made cluster from an interrupted first start never held data. */
    if (run(c, wipe, c->switch_user) != 0 || run(c, argv, c->switch_user) != 0)
        return with_log(c, err,
                        tc_fail(err, TC_EINTERNAL,
                                "could not initialise the private PostgreSQL cluster (log: "
                                "\"%s\")",
                                c->log_path));
    if ((st = write_auth(c, fresh, err)) != TC_OK)
        return st;
    if (rename(fresh, c->pgdata) != 0)
        return tc_fail(err, TC_EINTERNAL, "could not rename \"%s\": %s", fresh, strerror(errno));
    return TC_OK;
}

/* Settings that follow the data directory around, rewritten at every start. */
static enum tc_status
write_settings(const struct tc_cluster *c, struct tc_error *err)
{
    char path[PATH_MAX], text[3 * sizeof(c->socket_dir)], quoted[2 * sizeof(c->socket_dir)];
    size_t i, j = 0;

    for (i = 0; c->socket_dir[i] != '\0' && j + 2 < sizeof(quoted); i++) {
        if (c->socket_dir[i] == '\'')
            quoted[j++] = '\'';
        quoted[j++] = c->socket_dir[i];
    }
    quoted[j] = '\0';
    snprintf(text, sizeof(text),
             "# Written by tincay at every start.\n"
             "listen_addresses = ''\n"
             "port = " PG_PORT "\n"
             "unix_socket_directories = '%s'\n"
             "unix_socket_permissions = 0700\n",
             quoted);
    snprintf(path, sizeof(path), "%s/tincay.conf", c->pgdata);
    return write_file(c, path, text, O_TRUNC, err);
}

/*
 * /proc/<pid>/stat reads "<pid> (<comm>) <state> ...": a recycled pid names another program,
 * and a killed postmaster nobody reaped is a zombie ('Z') that kill(pid, 0) still finds.
 */
static bool
is_live_postgres(long pid)
{
    char path[64], line[256] = "";
    const char *close_paren;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    if ((f = fopen(path, "re")) == NULL)
        return false;
    if (fgets(line, sizeof(line), f) == NULL)
        line[0] = '\0';
    fclose(f);
    close_paren = strrchr(line, ')');
    return strstr(line, " (postgres)") != NULL && close_paren != NULL && close_paren[1] == ' ' &&
           close_paren[2] != 'Z' && close_paren[2] != 'X';
}

/* A postmaster.pid whose process is gone, or is not a postgres, is removed. */
static bool
postmaster_running(const struct tc_cluster *c)
{
    char path[PATH_MAX];
    long pid = 0;
    FILE *f;

    snprintf(path, sizeof(path), "%s/postmaster.pid", c->pgdata);
    if ((f = fopen(path, "re")) == NULL)
        return false;
    if (fscanf(f, "%ld", &pid) != 1)
        pid = 0;
    fclose(f);
    if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM) && is_live_postgres(pid))
        return true;
    unlink(path);
    return false;
}

static void
conninfo_value(char *out, size_t size, const char *value)
{
    size_t j = 0;

    for (; *value != '\0' && j + 3 < size; value++) {
        if (*value == '\'' || *value == '\\')
            out[j++] = '\\';
        out[j++] = *value;
    }
    out[j] = '\0';
}

static int
write_conninfo(const struct tc_cluster *c, const char *dbname, char *out, size_t size)
{
    char host[2 * sizeof(c->socket_dir)], user[2 * sizeof(c->owner)];
    int n;

    conninfo_value(host, sizeof(host), c->socket_dir);
    conninfo_value(user, sizeof(user), c->owner);
    n = snprintf(out, size, "host='%s' port=" PG_PORT " dbname=%s user='%s'", host, dbname, user);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

static PGPing
ping(const struct tc_cluster *c)
{
    char conninfo[3 * PATH_MAX];

    if (write_conninfo(c, "postgres", conninfo, sizeof(conninfo)) != 0)
        return PQPING_NO_ATTEMPT;
    return PQping(conninfo);
}

/*
 * A postmaster left behind by a tincay that died, or run by the process holding the data
 * directory: wait until it accepts connections.
 */
static enum tc_status
adopt(const struct tc_cluster *c, struct tc_error *err)
{
    int i;

    for (i = 0; i < ADOPT_WAIT_S * 10; i++) {
        if (ping(c) == PQPING_OK)
            return TC_OK;
        nanosleep(&(struct timespec){.tv_nsec = 100 * 1000 * 1000}, NULL);
    }
    if (c->borrowed)
        return tc_fail(err, TC_EBUSY,
                       "the private PostgreSQL cluster is held by another tincay process but "
                       "does not answer (log: \"%s\")",
                       c->log_path);
    return with_log(c, err,
                    tc_fail(err, TC_ERETRY,
                            "the private PostgreSQL cluster runs but does not answer (log: "
                            "\"%s\")",
                            c->log_path));
}

static enum tc_status
start_server(const struct tc_cluster *c, struct tc_error *err)
{
    char pg_ctl[PATH_MAX], pgdata[PATH_MAX];
    const char *const argv[] = {pg_ctl, "start", "-w", "-t", "60", "-D", pgdata, NULL};
    int i;

    snprintf(pg_ctl, sizeof(pg_ctl), "%s/pg_ctl", c->bindir);
    snprintf(pgdata, sizeof(pgdata), "%s", c->pgdata);
    if (postmaster_running(c))
        return adopt(c, err);
    /* After a kill -9 the old backends may hold shared memory for a moment: try again. */
    for (i = 0; i < START_TRIES; i++) {
        if (i > 0) {
            sleep(1);
            if (postmaster_running(c))
                return adopt(c, err);
        }
        if (run(c, argv, c->switch_user) == 0)
            return TC_OK;
    }
    return with_log(c, err,
                    tc_fail(err, TC_EDB,
                            "could not start the private PostgreSQL cluster (log: \"%s\")",
                            c->log_path));
}

static bool
has_sqlstate(const PGresult *res, const char *sqlstate)
{
    const char *got = PQresultErrorField(res, PG_DIAG_SQLSTATE);

    return got != NULL && strcmp(got, sqlstate) == 0;
}

static enum tc_status
ensure_database(const struct tc_cluster *c, struct tc_error *err)
{
    char conninfo[3 * PATH_MAX];
    PGconn *pg = NULL;
    PGresult *res = NULL;
    enum tc_status st = TC_OK;

    if (write_conninfo(c, "postgres", conninfo, sizeof(conninfo)) != 0)
        return tc_fail(err, TC_EINVAL, "socket path \"%s\" is too long", c->socket_dir);
    pg = PQconnectdb(conninfo);
    if (PQstatus(pg) != CONNECTION_OK) {
        st = tc_fail(err, TC_EDB, "could not connect to the private PostgreSQL cluster");
        tc_error_detail(err, "%s", PQerrorMessage(pg));
        goto out;
    }
    res = PQexec(pg, "SELECT 1 FROM pg_database WHERE datname = 'tincay'");
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        goto out;
    PQclear(res);
    res = PQexec(pg, "CREATE DATABASE tincay");
    /* 42P04 duplicate_database: a process borrowing the cluster made it at the same time. */
    if (PQresultStatus(res) != PGRES_COMMAND_OK && !has_sqlstate(res, "42P04")) {
        st = tc_fail(err, TC_EDB, "could not create database \"%s\"", "tincay");
        tc_error_detail(err, "%s", PQerrorMessage(pg));
    }
out:
    PQclear(res);
    PQfinish(pg);
    return st;
}

/* Keep the log from growing forever; a postmaster still writing to it follows it to .1. */
static void
rotate_log(const char *path)
{
    char older[PATH_MAX + 4];
    struct stat st;

    if (stat(path, &st) != 0 || st.st_size < LOG_ROTATE_AT)
        return;
    snprintf(older, sizeof(older), "%s.1", path);
    if (rename(path, older) != 0)
        tc_log(TC_LOG_WARNING, NULL, "could not rotate \"%s\": %s", path, strerror(errno));
}

/* One process per data directory; the lock dies with its process, even on kill -9. */
static enum tc_status
open_data_dir(struct tc_cluster *c, const char *data_dir, struct tc_error *err)
{
    char path[PATH_MAX];

    if (make_dirs(data_dir, 0700) != 0)
        return tc_fail(err, TC_EINTERNAL, "could not create data directory \"%s\": %s", data_dir,
                       strerror(errno));
    if (join(path, sizeof(path), data_dir, "/cluster.lock") != 0 ||
        join(c->log_path, sizeof(c->log_path), data_dir, "/postgresql.log") != 0)
        return tc_fail(err, TC_EINVAL, "data directory path \"%s\" is too long", data_dir);
    c->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (c->lock_fd < 0)
        return tc_fail(err, TC_EINTERNAL, "could not open \"%s\": %s", path, strerror(errno));
    if (flock(c->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK)
            return tc_fail(err, TC_EINTERNAL, "could not lock \"%s\": %s", path, strerror(errno));
        /* A running `tincay serve` holds it: an admin command uses the same cluster. */
        close(c->lock_fd);
        c->lock_fd = -1;
        c->borrowed = true;
    }
    if (!c->borrowed)
        rotate_log(c->log_path);
    c->log_fd = open(c->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (c->log_fd < 0)
        return tc_fail(err, TC_EINTERNAL, "could not open \"%s\": %s", c->log_path,
                       strerror(errno));
    return TC_OK;
}

static enum tc_status
prepare(struct tc_cluster *c, const char *data_dir, struct tc_error *err)
{
    char abs_dir[PATH_MAX];
    enum tc_status st;

    if ((st = open_data_dir(c, data_dir, err)) != TC_OK)
        return st;
    if (realpath(data_dir, abs_dir) == NULL)
        return tc_fail(err, TC_EINTERNAL, "could not resolve \"%s\": %s", data_dir,
                       strerror(errno));
    if (sodium_init() < 0)
        return tc_fail(err, TC_EINTERNAL, "could not initialise libsodium");
    hash_id(abs_dir, c->id);
    c->switch_user = geteuid() == 0;
    st = c->switch_user ? system_user(c, err) : lookup_user(c, false, err);
    if (st == TC_ENOTFOUND)
        return tc_fail(err, TC_EINTERNAL, "could not find the name of user %lu",
                       (unsigned long)geteuid());
    if (st != TC_OK || (st = locate(c, abs_dir, err)) != TC_OK ||
        (st = choose_socket_dir(c, err)) != TC_OK)
        return st;
    if (join(c->pgdata, sizeof(c->pgdata), c->location, "/data") != 0)
        return tc_fail(err, TC_EINVAL, "cluster path \"%s\" is too long", c->location);
    return find_bindir(c, err);
}

struct tc_cluster *
tc_cluster_start(const char *data_dir, char *conninfo_out, size_t conninfo_size,
                 struct tc_error *err)
{
    struct tc_cluster *c = calloc(1, sizeof(*c));
    char version[PATH_MAX];
    enum tc_status st;

    if (c == NULL) {
        tc_fail(err, TC_ENOMEM, "out of memory");
        return NULL;
    }
    c->lock_fd = c->log_fd = -1;
    if ((st = prepare(c, data_dir, err)) != TC_OK)
        goto fail;
    snprintf(version, sizeof(version), "%s/PG_VERSION", c->pgdata);
    if (c->borrowed) {
        if ((st = adopt(c, err)) != TC_OK)
            goto fail;
    } else {
        if (!is_file(version) && (st = init_cluster(c, err)) != TC_OK)
            goto fail;
        if ((st = write_settings(c, err)) != TC_OK || (st = start_server(c, err)) != TC_OK)
            goto fail;
    }
    if ((st = ensure_database(c, err)) != TC_OK) {
        tc_cluster_stop(c);
        return NULL;
    }
    if (write_conninfo(c, "tincay", conninfo_out, conninfo_size) != 0) {
        tc_fail(err, TC_EINVAL, "conninfo buffer is too small");
        tc_cluster_stop(c);
        return NULL;
    }
    return c;
fail:
    if (c->log_fd >= 0)
        close(c->log_fd);
    if (c->lock_fd >= 0)
        close(c->lock_fd);
    free(c);
    return NULL;
}

void
tc_cluster_stop(struct tc_cluster *cluster)
{
    char pg_ctl[PATH_MAX], pgdata[PATH_MAX];
    const char *const argv[] = {pg_ctl, "stop", "-m", "fast", "-w", "-t", "60", "-D", pgdata, NULL};

    if (cluster == NULL)
        return;
    snprintf(pg_ctl, sizeof(pg_ctl), "%s/pg_ctl", cluster->bindir);
    snprintf(pgdata, sizeof(pgdata), "%s", cluster->pgdata);
    if (!cluster->borrowed && postmaster_running(cluster))
        run(cluster, argv, cluster->switch_user);
    close(cluster->log_fd);
    if (cluster->lock_fd >= 0)
        close(cluster->lock_fd);
    free(cluster);
}

const char *
tc_cluster_location(const struct tc_cluster *cluster)
{
    return cluster->location;
}
