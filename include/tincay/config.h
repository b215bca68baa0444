#ifndef TC_CONFIG_H
#define TC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/log.h"
#include "tincay/status.h"

/*
 * The whole configuration, read once from the environment at start (DESIGN.md,
 * "Contracts") and passed down as `const struct tc_config *`; it never changes.
 */
struct tc_config {
    char listen_host[64];        /* TINCAY_LISTEN host part, default "127.0.0.1" */
    unsigned int listen_port;    /* TINCAY_LISTEN port part, default 8080; 0 = any */
    char public_url[512];        /* TINCAY_PUBLIC_URL without trailing '/' */
    bool public_url_is_default;  /* derived from the listen address (fix it after binding port 0) */
    char trusted_proxy[64];      /* TINCAY_TRUSTED_PROXY, "" when none */
    char data_dir[1024];         /* TINCAY_DATA_DIR, default "var" (made absolute) */
    char key_file[1024];         /* TINCAY_KEY_FILE, default <data_dir>/keys/server.key */
    unsigned int threads;        /* TINCAY_THREADS, default: number of cores (1..256) */
    enum tc_log_level log_level; /* TINCAY_LOG_LEVEL */
    char tls_cert[1024];         /* TINCAY_TLS_CERT, "" when none */
    char tls_key[1024];          /* TINCAY_TLS_KEY, set together with the certificate */
    char database_url[1024];     /* TINCAY_DATABASE_URL; "" means PG* or the private cluster */
    bool database_from_env;      /* true when libpq's PG* variables name the database */
    bool use_private_cluster;    /* neither of the above: tincay runs its own cluster */
};

/*
 * Fill `cfg` from the environment; an empty variable counts as unset. Every bad value
 * is reported: the first one in err->msg; all of them, one per line ending in '\n', in
 * `report` (may be NULL; NUL-terminated, at most `report_size` bytes, cut at a line
 * boundary when full); and in err->detail, separated by "; ", as far as they fit.
 * Returns TC_EINVAL then. Messages are in err->lang (English when err is NULL). A value
 * too long for its field is refused, never truncated. The database URL is never quoted
 * (it may hold a password).
 */
enum tc_status tc_config_from_env(struct tc_config *cfg, char *report, size_t report_size,
                                  struct tc_error *err);

/* As tc_config_from_env, with a lookup function instead of getenv (for tests). */
typedef const char *(*tc_getenv_fn)(const char *name, void *ctx);
enum tc_status tc_config_load(struct tc_config *cfg, tc_getenv_fn get, void *ctx, char *report,
                              size_t report_size, struct tc_error *err);

#endif /* TC_CONFIG_H */
