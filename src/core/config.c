#include "tincay/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tincay/i18n.h"

#define MAX_THREADS    256u
#define QUOTE_MAX      80 /* bytes of a bad value shown in its report line */
#define DEFAULT_LISTEN "127.0.0.1"
#define DEFAULT_PORT   8080u

/* libpq variables that name a database server; any of them means "use libpq's environment". */
static const char *const pg_variables[] = {"PGHOST",     "PGHOSTADDR", "PGPORT",
                                           "PGDATABASE", "PGUSER",     "PGSERVICE"};

/* State of one load: where problems go. Lives on tc_config_load's stack. */
struct loader {
    tc_getenv_fn get;
    void *ctx;
    enum tc_lang lang;
    char *report;
    size_t report_size, report_len;
    bool report_full;
    unsigned int n_bad;
    char first[240];
    char detail[320];
    size_t detail_len;
    char quote[QUOTE_MAX + 4]; /* the bad value of the problem being reported */
};

/* Copy as much of `src` as fits; for messages, where a cut is better than nothing. */
static void
copy_cut(char *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size - 1);

    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void
append_line(char *buf, size_t size, size_t *len, const char *line, const char *sep)
{
    size_t n = strlen(line), s = strlen(sep);

    if (buf == NULL || size == 0 || *len + n + s >= size)
        return;
    memcpy(buf + *len, line, n);
    memcpy(buf + *len + n, sep, s);
    *len += n + s;
    buf[*len] = '\0';
}

/* Record one bad value. `fmt` is a msgid, translated into the loader's language. */
static void config_problem(struct loader *ld, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
config_problem(struct loader *ld, const char *fmt, ...)
{
    char line[512], joined[520];
    size_t before = ld->report_len;
    va_list ap;

    va_start(ap, fmt);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    (void)vsnprintf(line, sizeof(line), tc_tr(ld->lang, fmt), ap);
#pragma GCC diagnostic pop
    va_end(ap);
    if (ld->n_bad++ == 0)
        copy_cut(ld->first, sizeof(ld->first), line);
    /* The detail goes to one log line: problems separated by "; " as far as they fit. */
    (void)snprintf(joined, sizeof(joined), "%s%s", ld->n_bad > 1 ? "; " : "", line);
    append_line(ld->detail, sizeof(ld->detail), &ld->detail_len, joined, "");
    if (!ld->report_full) {
        append_line(ld->report, ld->report_size, &ld->report_len, line, "\n");
        ld->report_full = ld->report_len == before;
    }
}

/* A printable, bounded copy of a bad value for its report line (one per line). */
static const char *
quoted(struct loader *ld, const char *value)
{
    size_t n = 0;

    for (const char *p = value; *p != '\0' && n < QUOTE_MAX; p++, n++)
        ld->quote[n] = iscntrl((unsigned char)*p) ? '?' : *p;
    if (strlen(value) > QUOTE_MAX) {
        memcpy(ld->quote + n, "...", 3);
        n += 3;
    }
    ld->quote[n] = '\0';
    return ld->quote;
}

/* The variable's value, or NULL when it is unset or empty. */
static const char *
value_of(const struct loader *ld, const char *name)
{
    const char *v = ld->get(name, ld->ctx);

    return v != NULL && v[0] != '\0' ? v : NULL;
}

static bool
fits(struct loader *ld, const char *name, size_t len, size_t size)
{
    if (len < size)
        return true;
    config_problem(ld, "value of %s is too long (%zu bytes, at most %zu)", name, len, size - 1);
    return false;
}

/* Decimal digits only, at most `max`; no sign, no spaces. */
static bool
parse_uint(const char *s, size_t len, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;

    if (len == 0 || len > 10)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

/* RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens. */
static bool
valid_hostname(const char *s, size_t len)
{
    size_t label = 0;
    bool all_numeric = true;

    if (len == 0 || len > 253)
        return false;
    for (size_t i = 0; i <= len; i++) {
        char c = '.'; /* the end closes the last label */

        if (i < len)
            c = s[i];

        if (c == '.') {
            if (label == 0 || label > 63 || s[i - 1] == '-')
                return false;
            label = 0;
        } else if (isalnum((unsigned char)c) || (c == '-' && label > 0)) {
            all_numeric = all_numeric && isdigit((unsigned char)c);
            label++;
        } else {
            return false;
        }
    }
    return !all_numeric; /* "999.1.1.1" is a bad address, not a name */
}

/*
 * Split "host:port" or "[v6]:port" (or the same without ":port" when `port_optional`)
 * into a host (brackets removed) and a port. Returns false on any syntax error.
 */
static bool
split_host_port(const char *s, size_t len, const char **host, size_t *host_len, bool *is_v6,
                const char **port, size_t *port_len)
{
    const char *colon;

    *port = NULL;
    *port_len = 0;
    *is_v6 = len > 0 && s[0] == '[';
    if (*is_v6) {
        const char *close = memchr(s, ']', len);

        if (close == NULL)
            return false;
        *host = s + 1;
        *host_len = (size_t)(close - s) - 1;
        colon = close + 1 < s + len ? close + 1 : NULL;
        if (colon != NULL && *colon != ':')
            return false;
    } else {
        colon = memchr(s, ':', len);
        *host = s;
        *host_len = colon != NULL ? (size_t)(colon - s) : len;
    }
    if (colon != NULL) {
        *port = colon + 1;
        *port_len = len - (size_t)(*port - s);
    }
    return true;
}

/* Is [host, host+len) an address of the given kind (or, for !is_v6, a v4 address or name)? */
static bool
valid_host(const char *host, size_t len, bool is_v6)
{
    char buf[256];
    unsigned char addr[sizeof(struct in6_addr)];

    if (len == 0 || len >= sizeof(buf))
        return false;
    memcpy(buf, host, len);
    buf[len] = '\0';
    if (is_v6)
        return inet_pton(AF_INET6, buf, addr) == 1;
    return inet_pton(AF_INET, buf, addr) == 1 || valid_hostname(host, len);
}

static void
load_listen(struct loader *ld, struct tc_config *cfg)
{
    static const char name[] = "TINCAY_LISTEN";
    const char *v = value_of(ld, name), *host, *port;
    size_t host_len, port_len;
    unsigned long p;
    bool is_v6;

    memcpy(cfg->listen_host, DEFAULT_LISTEN, sizeof(DEFAULT_LISTEN));
    cfg->listen_port = DEFAULT_PORT;
    if (v == NULL)
        return;
    if (!split_host_port(v, strlen(v), &host, &host_len, &is_v6, &port, &port_len) ||
        port == NULL || !valid_host(host, host_len, is_v6) ||
        !parse_uint(port, port_len, 65535, &p)) {
        config_problem(ld, "invalid value for %s: \"%s\" (expected host:port or [IPv6]:port)", name,
                       quoted(ld, v));
        return;
    }
    if (host_len >= sizeof(cfg->listen_host)) {
        config_problem(ld, "host name in %s is too long (%zu bytes, at most %zu)", name, host_len,
                       sizeof(cfg->listen_host) - 1);
        return;
    }
    memcpy(cfg->listen_host, host, host_len);
    cfg->listen_host[host_len] = '\0';
    cfg->listen_port = (unsigned int)p;
}

/* Characters RFC 3986 allows in a path segment besides percent-escapes, plus '/'. */
static bool
valid_path(const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '%') {
            if (!isxdigit((unsigned char)s[1]) || !isxdigit((unsigned char)s[2]))
                return false;
            s += 2;
        } else if (!isalnum((unsigned char)*s) && strchr("-._~!$&'()*+,;=:@/", *s) == NULL) {
            return false;
        }
    }
    return true;
}

/* Check "http(s)://host[:port][/path]" (no user, query or fragment); *scheme_len: 4 or 5. */
static bool
valid_public_url(const char *v, size_t *scheme_len)
{
    const char *auth, *slash, *host, *port;
    size_t auth_len, host_len, port_len;
    unsigned long p;
    bool is_v6;

    if (strncasecmp(v, "http://", 7) == 0)
        *scheme_len = 4;
    else if (strncasecmp(v, "https://", 8) == 0)
        *scheme_len = 5;
    else
        return false;
    auth = v + *scheme_len + 3;
    slash = strchr(auth, '/');
    auth_len = slash != NULL ? (size_t)(slash - auth) : strlen(auth);
    if (memchr(auth, '@', auth_len) != NULL ||
        !split_host_port(auth, auth_len, &host, &host_len, &is_v6, &port, &port_len) ||
        !valid_host(host, host_len, is_v6))
        return false;
    if (port != NULL && (!parse_uint(port, port_len, 65535, &p) || p == 0))
        return false;
    return slash == NULL || valid_path(slash);
}

static void
default_public_url(const struct tc_config *cfg, struct tc_config *out)
{
    bool is_v6 = strchr(cfg->listen_host, ':') != NULL;

    (void)snprintf(out->public_url, sizeof(out->public_url), "http://%s%s%s:%u", is_v6 ? "[" : "",
                   cfg->listen_host, is_v6 ? "]" : "", cfg->listen_port);
    out->public_url_is_default = true;
}

static void
load_public_url(struct loader *ld, struct tc_config *cfg)
{
    static const char name[] = "TINCAY_PUBLIC_URL";
    const char *v = value_of(ld, name);
    size_t len, scheme_len;

    if (v == NULL) {
        default_public_url(cfg, cfg);
        return;
    }
    cfg->public_url_is_default = false;
    if (!valid_public_url(v, &scheme_len)) {
        config_problem(
            ld,
            "invalid value for %s: \"%s\" (expected http(s)://host[:port][/path] without "
            "query or fragment)",
            name, quoted(ld, v));
        return;
    }
    len = strlen(v);
    while (len > 0 && v[len - 1] == '/')
        len--;
    if (!fits(ld, name, len, sizeof(cfg->public_url)))
        return;
    memcpy(cfg->public_url, v, len);
    cfg->public_url[len] = '\0';
    for (size_t i = 0; i < scheme_len; i++) /* the scheme is case-insensitive: keep one form */
        cfg->public_url[i] = (char)tolower((unsigned char)cfg->public_url[i]);
}

static void
load_trusted_proxy(struct loader *ld, struct tc_config *cfg)
{
    static const char name[] = "TINCAY_TRUSTED_PROXY";
    const char *v = value_of(ld, name);
    unsigned char addr[sizeof(struct in6_addr)];
    int family = AF_INET;

    cfg->trusted_proxy[0] = '\0';
    if (v == NULL)
        return;
    if (inet_pton(family, v, addr) != 1)
        family = AF_INET6;
    if (inet_pton(family, v, addr) != 1) {
        config_problem(ld, "invalid value for %s: \"%s\" (expected an IPv4 or IPv6 address)", name,
                       quoted(ld, v));
        return;
    }
    /* Store the canonical text so that comparing with a peer's address is a strcmp. */
    inet_ntop(family, addr, cfg->trusted_proxy, sizeof(cfg->trusted_proxy));
}

/* Copy `path` into dst, prefixed with the working directory when relative, without trailing '/'. */
static bool
absolute_path(struct loader *ld, const char *name, const char *path, char *dst, size_t size)
{
    char cwd[PATH_MAX];
    size_t len;
    int n;

    while (path[0] == '.' && path[1] == '/')
        path += 2;
    if (path[0] == '/') {
        n = snprintf(dst, size, "%s", path);
    } else if (getcwd(cwd, sizeof(cwd)) == NULL) {
        config_problem(ld, "could not determine the current directory for %s: %s", name,
                       strerror(errno));
        return false;
    } else {
        n = snprintf(dst, size, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd,
                     strcmp(path, ".") == 0 ? "" : path);
    }
    if (n < 0 || !fits(ld, name, (size_t)n, size)) {
        dst[0] = '\0';
        return false;
    }
    len = (size_t)n;
    while (len > 1 && dst[len - 1] == '/')
        dst[--len] = '\0';
    return true;
}

static void
load_paths(struct loader *ld, struct tc_config *cfg)
{
    const char *data_dir = value_of(ld, "TINCAY_DATA_DIR");
    const char *key_file = value_of(ld, "TINCAY_KEY_FILE");
    bool data_ok;
    int n;

    data_ok = absolute_path(ld, "TINCAY_DATA_DIR", data_dir ? data_dir : "var", cfg->data_dir,
                            sizeof(cfg->data_dir));
    if (key_file != NULL) {
        absolute_path(ld, "TINCAY_KEY_FILE", key_file, cfg->key_file, sizeof(cfg->key_file));
        return;
    }
    cfg->key_file[0] = '\0';
    if (!data_ok)
        return;
    n = snprintf(cfg->key_file, sizeof(cfg->key_file), "%s/keys/server.key", cfg->data_dir);
    if (n < 0 || !fits(ld, "TINCAY_KEY_FILE", (size_t)n, sizeof(cfg->key_file)))
        cfg->key_file[0] = '\0';
}

static unsigned int
default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n < 1 ? 1u : n > (long)MAX_THREADS ? MAX_THREADS : (unsigned int)n;
}

static void
load_threads(struct loader *ld, struct tc_config *cfg)
{
    static const char name[] = "TINCAY_THREADS";
    const char *v = value_of(ld, name);
    unsigned long n;

    cfg->threads = default_threads();
    if (v == NULL)
        return;
    if (!parse_uint(v, strlen(v), MAX_THREADS, &n) || n == 0) {
        config_problem(ld, "invalid value for %s: \"%s\" (expected an integer from %u to %u)", name,
                       quoted(ld, v), 1u, MAX_THREADS);
        return;
    }
    cfg->threads = (unsigned int)n;
}

static void
load_log_level(struct loader *ld, struct tc_config *cfg)
{
    static const char name[] = "TINCAY_LOG_LEVEL";
    const char *v = value_of(ld, name);

    cfg->log_level = TC_LOG_INFO;
    if (v != NULL && tc_log_level_parse(v, &cfg->log_level) != 0)
        config_problem(ld, "invalid value for %s: \"%s\" (expected debug, info, warning or error)",
                       name, quoted(ld, v));
}

/* A file the server will open later: refuse now if it cannot be read. */
static void
check_readable(struct loader *ld, const char *name, const char *path)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0 || fstat(fd, &st) != 0) {
        config_problem(ld, "could not read %s file \"%s\": %s", name, quoted(ld, path),
                       strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        config_problem(ld, "%s file \"%s\" is not a regular file", name, quoted(ld, path));
    }
    if (fd >= 0)
        close(fd);
}

static void
load_tls(struct loader *ld, struct tc_config *cfg)
{
    const char *cert = value_of(ld, "TINCAY_TLS_CERT");
    const char *key = value_of(ld, "TINCAY_TLS_KEY");

    cfg->tls_cert[0] = cfg->tls_key[0] = '\0';
    if ((cert == NULL) != (key == NULL)) {
        config_problem(ld, "%s is set but %s is not (set both or neither)",
                       cert ? "TINCAY_TLS_CERT" : "TINCAY_TLS_KEY",
                       cert ? "TINCAY_TLS_KEY" : "TINCAY_TLS_CERT");
    }
    if (cert != NULL &&
        absolute_path(ld, "TINCAY_TLS_CERT", cert, cfg->tls_cert, sizeof(cfg->tls_cert)))
        check_readable(ld, "TINCAY_TLS_CERT", cfg->tls_cert);
    if (key != NULL && absolute_path(ld, "TINCAY_TLS_KEY", key, cfg->tls_key, sizeof(cfg->tls_key)))
        check_readable(ld, "TINCAY_TLS_KEY", cfg->tls_key);
}

/* One value of a key=value connection string: quoted with '\'' or up to the next space. */
static const char *
skip_conninfo_value(const char *p)
{
    if (*p == '\'') {
        for (p++; *p != '\'' && *p != '\0'; p++)
            if (*p == '\\' && *++p == '\0')
                return NULL;
        return *p == '\'' ? p + 1 : NULL;
    }
    for (; *p != '\0' && !isspace((unsigned char)*p); p++)
        if (*p == '\\' && *++p == '\0')
            return NULL;
    return p;
}

/* libpq's syntax, checked without libpq: a postgres(ql):// URI or key = value pairs. */
static bool
valid_conninfo(const char *s)
{
    int pairs = 0;

    if (strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0) {
        for (const char *p = s; *p != '\0'; p++) {
            if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
                return false;
            if (*p == '%' && (!isxdigit((unsigned char)p[1]) || !isxdigit((unsigned char)p[2])))
                return false;
        }
        return true;
    }
    for (const char *p = s;;) {
        const char *key = p;

        while (isspace((unsigned char)*p))
            key = ++p;
        if (*p == '\0')
            return pairs > 0;
        while (isalnum((unsigned char)*p) || *p == '_')
            p++;
        if (p == key || isdigit((unsigned char)*key))
            return false;
        while (isspace((unsigned char)*p))
            p++;
        if (*p++ != '=')
            return false;
        while (isspace((unsigned char)*p))
            p++;
        if ((p = skip_conninfo_value(p)) == NULL)
            return false;
        pairs++;
    }
}

static void
load_database(struct loader *ld, struct tc_config *cfg)
{
    static const char name[] = "TINCAY_DATABASE_URL";
    const char *url = value_of(ld, name);

    cfg->database_url[0] = '\0';
    cfg->database_from_env = cfg->use_private_cluster = false;
    if (url != NULL) {
        /* Never quote it: a connection string may carry a password. */
        if (!valid_conninfo(url))
            config_problem(ld,
                           "invalid value for %s (expected a postgresql:// URI or a key=value "
                           "connection string)",
                           name);
        else if (fits(ld, name, strlen(url), sizeof(cfg->database_url)))
            memcpy(cfg->database_url, url, strlen(url) + 1);
        return;
    }
    for (size_t i = 0; i < sizeof(pg_variables) / sizeof(pg_variables[0]); i++)
        cfg->database_from_env = cfg->database_from_env || value_of(ld, pg_variables[i]) != NULL;
    cfg->use_private_cluster = !cfg->database_from_env;
}

enum tc_status
tc_config_load(struct tc_config *cfg, tc_getenv_fn get, void *ctx, char *report, size_t report_size,
               struct tc_error *err)
{
    struct loader ld = {
        .get = get,
        .ctx = ctx,
        .lang = err != NULL ? err->lang : TC_LANG_EN,
        .report = report,
        .report_size = report_size,
    };

    if (report != NULL && report_size > 0)
        report[0] = '\0';
    memset(cfg, 0, sizeof(*cfg));
    load_listen(&ld, cfg);
    load_public_url(&ld, cfg);
    load_trusted_proxy(&ld, cfg);
    load_paths(&ld, cfg);
    load_threads(&ld, cfg);
    load_log_level(&ld, cfg);
    load_tls(&ld, cfg);
    load_database(&ld, cfg);
    if (ld.n_bad == 0)
        return TC_OK;
    if (err != NULL) {
        err->status = TC_EINVAL;
        copy_cut(err->msg, sizeof(err->msg), ld.first);
        copy_cut(err->detail, sizeof(err->detail), ld.detail);
    }
    return TC_EINVAL;
}

static const char *
getenv_lookup(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

enum tc_status
tc_config_from_env(struct tc_config *cfg, char *report, size_t report_size, struct tc_error *err)
{
    return tc_config_load(cfg, getenv_lookup, NULL, report, report_size, err);
}
