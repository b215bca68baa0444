#include "router.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tincay/arena.h"

struct segments {
    size_t n;
    const char *seg[TC_ROUTE_MAX_SEGMENTS];
};

static int
hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode [s, s+len) into the arena; TC_ROUTE_BAD_PATH for a bad escape or %00. */
static enum tc_route_result
decode_segment(const char *s, size_t len, struct tc_arena *arena, const char **out)
{
    char *d = tc_arena_alloc(arena, len + 1);
    size_t n = 0;

    if (d == NULL)
        return TC_ROUTE_NO_MEMORY;
    for (size_t i = 0; i < len; i++) {
        int hi, lo;

        if (s[i] != '%') {
            d[n++] = s[i];
            continue;
        }
        if (i + 2 >= len)
            return TC_ROUTE_BAD_PATH;
        hi = hex_value(s[i + 1]);
        lo = hex_value(s[i + 2]);
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
            return TC_ROUTE_BAD_PATH;
        d[n++] = (char)(hi * 16 + lo);
        i += 2;
    }
    d[n] = '\0';
    *out = d;
    return TC_ROUTE_FOUND;
}

/* Split the raw path into decoded segments; the root "/" has none. */
static enum tc_route_result
split_path(const char *path, struct tc_arena *arena, struct segments *segs)
{
    size_t len = strlen(path);
    const char *p, *end;

    if (path[0] != '/' || len > TC_ROUTE_MAX_PATH)
        return TC_ROUTE_BAD_PATH;
    if (len > 1 && path[len - 1] == '/')
        len--; /* one trailing slash is not a segment of its own */
    segs->n = 0;
    for (p = path + 1, end = path + len; p <= end && len > 1; p++) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        size_t seg_len = slash != NULL ? (size_t)(slash - p) : (size_t)(end - p);
        enum tc_route_result r;

        if (segs->n == TC_ROUTE_MAX_SEGMENTS)
            return TC_ROUTE_BAD_PATH;
        if ((r = decode_segment(p, seg_len, arena, &segs->seg[segs->n])) != TC_ROUTE_FOUND)
            return r;
        segs->n++;
        p += seg_len;
    }
    return TC_ROUTE_FOUND;
}

/*
 * Does `pattern` match the segments? Captures are recorded in `m` when it is not NULL;
 * a pattern with more than TC_ROUTE_MAX_PARAMS captures matches nothing.
 */
static bool
pattern_matches(const char *pattern, const struct segments *segs, struct tc_route_match *m,
                struct tc_arena *arena)
{
    const char *p = pattern + 1;
    size_t i = 0, n_params = 0;

    for (; *p != '\0' && i < segs->n; i++) {
        size_t len = strcspn(p, "/");

        if (p[0] == ':') {
            if (segs->seg[i][0] == '\0' || n_params == TC_ROUTE_MAX_PARAMS)
                return false;
            if (m != NULL) {
                m->names[n_params] = tc_arena_strndup(arena, p + 1, len - 1);
                m->values[n_params] = segs->seg[i];
            }
            n_params++;
        } else if (strlen(segs->seg[i]) != len || memcmp(segs->seg[i], p, len) != 0) {
            return false;
        }
        p += len;
        if (*p == '/')
            p++;
    }
    if (m != NULL)
        m->n_params = n_params;
    return *p == '\0' && i == segs->n;
}

static bool
method_matches(const char *route_method, const char *method)
{
    return strcmp(route_method, method) == 0 ||
           (strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0);
}

/* Append `method` to the Allow list unless it is there already. */
static void
allow_add(char *allow, const char *method)
{
    size_t len = strlen(allow), mlen = strlen(method);

    for (const char *a = allow; (a = strstr(a, method)) != NULL; a += mlen)
        if ((a == allow || a[-1] == ' ') && (a[mlen] == ',' || a[mlen] == '\0'))
            return;
    snprintf(allow + len, TC_ROUTE_ALLOW_SIZE - len, "%s%s", len > 0 ? ", " : "", method);
}

enum tc_route_result
tc_route_match(const struct tc_route *table, size_t n, const char *method, const char *path,
               struct tc_arena *arena, struct tc_route_match *m)
{
    struct segments segs;
    enum tc_route_result r;
    bool path_seen = false;

    memset(m, 0, sizeof(*m));
    if ((r = split_path(path, arena, &segs)) != TC_ROUTE_FOUND)
        return r;
    for (size_t i = 0; i < n; i++) {
        if (!pattern_matches(table[i].pattern, &segs, NULL, arena))
            continue;
        path_seen = true;
        if (!method_matches(table[i].method, method)) {
            allow_add(m->allow, table[i].method);
            if (strcmp(table[i].method, "GET") == 0) /* GET routes answer HEAD too */
                allow_add(m->allow, "HEAD");
            continue;
        }
        m->allow[0] = '\0';
        m->route = &table[i];
        pattern_matches(table[i].pattern, &segs, m, arena);
        for (size_t k = 0; k < m->n_params; k++)
            if (m->names[k] == NULL)
                return TC_ROUTE_NO_MEMORY;
        return TC_ROUTE_FOUND;
    }
    return path_seen ? TC_ROUTE_NO_METHOD : TC_ROUTE_NO_PATH;
}

/* Is the raw segment [p, p+len) "key" once percent-decoded (any letter case)? */
static bool
is_key_segment(const char *p, size_t len)
{
    const char *want = "key";
    size_t i = 0, k = 0;

    for (; i < len && k < 3; k++) {
        int c = (unsigned char)p[i];

        if (c == '%' && i + 2 < len && hex_value(p[i + 1]) >= 0 && hex_value(p[i + 2]) >= 0) {
            c = hex_value(p[i + 1]) * 16 + hex_value(p[i + 2]);
            i += 3;
        } else {
            i++;
        }
        if ((c | 0x20) != want[k])
            return false;
    }
    return i == len && k == 3;
}

/* Write the redacted path into `out` when it is not NULL; return its length. */
static size_t
redact(const char *path, char *out)
{
    static const char token[] = "[token]";
    size_t n = 0;
    bool after_key = false;

    for (const char *p = path; *p != '\0';) {
        size_t seg = strcspn(p, "/");

        if (after_key && seg > 0) {
            if (out != NULL)
                memcpy(out + n, token, sizeof(token) - 1);
            n += sizeof(token) - 1;
            after_key = false;
        } else {
            for (size_t i = 0; out != NULL && i < seg; i++)
                out[n + i] = (unsigned char)p[i] < 0x20 || p[i] == 0x7f ? (char)'?' : p[i];
            n += seg;
            after_key = is_key_segment(p, seg);
        }
        p += seg;
        if (*p == '/') {
            if (out != NULL)
                out[n] = '/';
            n++;
            p++;
        }
    }
    return n;
}

char *
tc_route_redact_path(const char *path, struct tc_arena *arena)
{
    size_t len = redact(path, NULL);
    char *out = tc_arena_alloc(arena, len + 1);

    if (out == NULL)
        return NULL;
    redact(path, out);
    out[len] = '\0';
    return out;
}
