#include "tincay/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The level is the one process-wide setting: written once at start, read atomically. */
static _Atomic int min_level = TC_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warning", "error"};

void
tc_log_set_level(enum tc_log_level level)
{
    atomic_store(&min_level, (int)level);
}

int
tc_log_level_parse(const char *name, enum tc_log_level *out)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum tc_log_level)i;
            return 0;
        }
    }
    return -1;
}

void
tc_log(enum tc_log_level level, const char *req_id, const char *fmt, ...)
{
    char line[1024];
    char stamp[32];
    struct timespec now;
    struct tm tm;
    size_t n;
    int w;
    va_list ap;

    if ((int)level < atomic_load(&min_level))
        return;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    w = snprintf(line, sizeof(line), "%s.%03ldZ %s ", stamp, now.tv_nsec / 1000000L,
                 level_names[level]);
    n = w > 0 ? (size_t)w : 0;
    if (req_id != NULL && n < sizeof(line)) {
        w = snprintf(line + n, sizeof(line) - n, "[req=%s] ", req_id);
        n += w > 0 ? (size_t)w : 0;
    }
    if (n < sizeof(line)) {
        va_start(ap, fmt);
        w = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
        va_end(ap);
        n += w > 0 ? (size_t)w : 0;
    }
    if (n >= sizeof(line) - 1)
        n = sizeof(line) - 2;
    /* One write per line so concurrent lines never interleave. */
    for (size_t i = 0; i < n; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[n++] = '\n';
    fwrite(line, 1, n, stderr);
}
