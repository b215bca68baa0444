#include "tincay/multipart.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "tincay/arena.h"

#define BOUNDARY_MAX  70
#define DELIM_MAX     (BOUNDARY_MAX + 4) /* CRLF "--" boundary */
#define DEFAULT_PARTS 100
#define DEFAULT_HDRS  8192

enum mp_state {
    ST_PREAMBLE,   /* before the first delimiter: discarded */
    ST_AFTER,      /* just after a delimiter: "--", blanks or CRLF */
    ST_AFTER_CR,   /* saw CR after a delimiter */
    ST_AFTER_DASH, /* saw one '-' after a delimiter */
    ST_HEADERS,    /* a part's header block, up to the empty line */
    ST_BODY,       /* a part's data, up to the next delimiter */
    ST_EPILOGUE,   /* after the closing delimiter: discarded */
    ST_FAILED
};

struct tc_multipart {
    enum mp_state state;
    struct tc_multipart_callbacks cb;
    void *ctx;
    size_t max_parts, n_parts;
    unsigned char delim[DELIM_MAX]; /* "\r\n--" boundary */
    size_t delim_len;
    size_t fail[DELIM_MAX + 1]; /* KMP failure function of delim */
    size_t matched;             /* bytes of delim matched (held back, not yet data) */
    char *hdr;                  /* header block of the current part */
    size_t hdr_len, hdr_max;
    char name[TC_MULTIPART_NAME_MAX + 1];
    char filename[TC_MULTIPART_NAME_MAX + 1];
    char content_type[TC_MULTIPART_NAME_MAX + 1];
    struct tc_error failure; /* repeated on every call after a failure */
};

/* ---- Content-Type and header parameters ---- */

static bool
is_token_char(unsigned char c)
{
    return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?={}", c) == NULL;
}

static bool
is_bchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != '\0' && strchr("'()+_,-./:=? ", c) != NULL);
}

static const char *
skip_blanks(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/*
 * Parse one `; name=value` parameter at `*pp` (value a token or a quoted-string) into
 * `name` and `value`; advance `*pp`. Returns 1 for a parameter, 0 at the end, -1 for junk
 * or a value longer than `value_size` - 1.
 */
static int
next_param(const char **pp, char *name, size_t name_size, char *value, size_t value_size)
{
    const char *p = skip_blanks(*pp);
    size_t n = 0;

    if (*p == '\0')
        return 0;
    if (*p++ != ';')
        return -1;
    p = skip_blanks(p);
    if (*p == '\0')
        return 0; /* a trailing ';' is tolerated */
    while (is_token_char((unsigned char)*p) && *p != '=') {
        if (n + 1 >= name_size)
            return -1;
        name[n++] = *p++;
    }
    name[n] = '\0';
    p = skip_blanks(p);
    if (n == 0 || *p++ != '=')
        return -1;
    p = skip_blanks(p);
    n = 0;
    if (*p == '"') {
        for (p++; *p != '"'; p++) {
            if (*p == '\0')
                return -1;
            if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                p++;
            if (n + 1 >= value_size)
                return -1;
            value[n++] = *p;
        }
        p++;
    } else {
        while (*p != '\0' && *p != ';' && *p != ' ' && *p != '\t') {
            if (!is_token_char((unsigned char)*p) || n + 1 >= value_size)
                return -1;
            value[n++] = *p++;
        }
        if (n == 0)
            return -1;
    }
    value[n] = '\0';
    *pp = p;
    return 1;
}

/* Compare the media type at the start of `value` (before ';' or blanks) with `type`. */
static const char *
match_type(const char *value, const char *type)
{
    size_t n = strlen(type);
    const char *p = skip_blanks(value);

    if (strncasecmp(p, type, n) != 0)
        return NULL;
    p = skip_blanks(p + n);
    return *p == ';' || *p == '\0' ? p : NULL;
}

static bool
boundary_is_valid(const char *b)
{
    size_t n = strlen(b);

    if (n < 1 || n > BOUNDARY_MAX || b[n - 1] == ' ')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_bchar((unsigned char)b[i]))
            return false;
    return true;
}

enum tc_status
tc_multipart_boundary(const char *content_type, char *out, size_t out_size, struct tc_error *err)
{
    char name[32], value[128];
    const char *p;
    bool found = false;
    int r;

    if (content_type == NULL || (p = match_type(content_type, "multipart/form-data")) == NULL)
        return tc_fail(err, TC_EUNSUPPORTED, "content type must be multipart/form-data");
    while ((r = next_param(&p, name, sizeof(name), value, sizeof(value))) == 1) {
        if (strcasecmp(name, "boundary") != 0)
            continue;
        if (found)
            return tc_fail(err, TC_EBADREQ, "multipart content type has more than one boundary");
        if (!boundary_is_valid(value) || strlen(value) >= out_size)
            return tc_fail(err, TC_EBADREQ, "invalid multipart boundary");
        memcpy(out, value, strlen(value) + 1);
        found = true;
    }
    if (r < 0)
        return tc_fail(err, TC_EBADREQ, "malformed multipart content type");
    if (!found)
        return tc_fail(err, TC_EBADREQ, "multipart content type has no boundary");
    return TC_OK;
}

/* ---- part names ---- */

/* Length of the valid UTF-8 sequence at `s`, or 0. Rejects overlongs and surrogates. */
static size_t
utf8_seq(const unsigned char *s)
{
    unsigned char c = s[0];

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;

        return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;

        return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80 ? 4 : 0;
    }
    return 0;
}

bool
tc_multipart_name_is_clean(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n;

    if (*p == '\0' || strcmp(s, ".") == 0 || strstr(s, "..") != NULL ||
        strlen(s) > TC_MULTIPART_NAME_MAX)
        return false;
    while (*p != '\0') {
        if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\' || (n = utf8_seq(p)) == 0)
            return false;
        p += n;
    }
    return true;
}

/* Reduce `s` in place to its last path component. */
static char *
last_component(char *s)
{
    char *slash = strrchr(s, '/'), *back = strrchr(s, '\\');
    char *last = slash > back ? slash : back;

    return last != NULL ? last + 1 : s;
}

/* ---- part headers ---- */

static enum tc_status
parse_disposition(struct tc_multipart *mp, const char *value, struct tc_error *err)
{
    char pname[32], pvalue[TC_MULTIPART_NAME_MAX + 1];
    const char *p = match_type(value, "form-data");
    bool has_name = false;
    int r;

    if (p == NULL)
        return tc_fail(err, TC_EBADREQ, "multipart part is not form-data");
    while ((r = next_param(&p, pname, sizeof(pname), pvalue, sizeof(pvalue))) == 1) {
        char *base = last_component(pvalue);

        if (strcasecmp(pname, "name") == 0) {
            if (has_name)
                return tc_fail(err, TC_EBADREQ, "multipart part has more than one name");
            if (!tc_multipart_name_is_clean(base))
                return tc_fail(err, TC_EBADREQ, "invalid multipart part name");
            memmove(mp->name, base, strlen(base) + 1);
            has_name = true;
        } else if (strcasecmp(pname, "filename") == 0) {
            if (tc_multipart_name_is_clean(base))
                memmove(mp->filename, base, strlen(base) + 1);
        }
    }
    if (r < 0)
        return tc_fail(err, TC_EBADREQ, "malformed multipart Content-Disposition");
    if (!has_name)
        return tc_fail(err, TC_EBADREQ, "multipart part has no name");
    return TC_OK;
}

static enum tc_status
parse_content_type(struct tc_multipart *mp, const char *value, struct tc_error *err)
{
    const char *p = skip_blanks(value);
    size_t n = strlen(p);

    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (n == 0 || n > TC_MULTIPART_NAME_MAX)
        return tc_fail(err, TC_EBADREQ, "invalid multipart part content type");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] >= 0x7f)
            return tc_fail(err, TC_EBADREQ, "invalid multipart part content type");
    memcpy(mp->content_type, p, n);
    mp->content_type[n] = '\0';
    return TC_OK;
}

/* One "Name: value" line (NUL-terminated, without CRLF). */
static enum tc_status
parse_header_line(struct tc_multipart *mp, char *line, struct tc_error *err)
{
    char *colon = strchr(line, ':');
    size_t n;

    if (colon == NULL || colon == line)
        return tc_fail(err, TC_EBADREQ, "malformed multipart part header");
    n = (size_t)(colon - line);
    for (size_t i = 0; i < n; i++)
        if (!is_token_char((unsigned char)line[i]))
            return tc_fail(err, TC_EBADREQ, "malformed multipart part header");
    *colon = '\0';
    if (strcasecmp(line, "Content-Disposition") == 0)
        return parse_disposition(mp, colon + 1, err);
    if (strcasecmp(line, "Content-Type") == 0)
        return parse_content_type(mp, colon + 1, err);
    return TC_OK; /* other headers (Content-Transfer-Encoding...) carry nothing for us */
}

/* The header block is complete (it ends in CRLF CRLF, or is a lone CRLF). */
static enum tc_status
begin_part(struct tc_multipart *mp, struct tc_error *err)
{
    struct tc_multipart_part part;
    char *line = mp->hdr, *end = mp->hdr + mp->hdr_len - 2;
    enum tc_status st;

    mp->name[0] = mp->filename[0] = mp->content_type[0] = '\0';
    *end = '\0';
    while (line < end) {
        char *crlf = strstr(line, "\r\n");

        if (crlf != NULL)
            *crlf = '\0';
        if ((st = parse_header_line(mp, line, err)) != TC_OK)
            return st;
        line = crlf != NULL ? crlf + 2 : end;
    }
    if (mp->name[0] == '\0')
        return tc_fail(err, TC_EBADREQ, "multipart part has no Content-Disposition");
    part.name = mp->name;
    part.filename = mp->filename[0] != '\0' ? mp->filename : NULL;
    part.content_type = mp->content_type[0] != '\0' ? mp->content_type : NULL;
    return mp->cb.part_begin != NULL ? mp->cb.part_begin(mp->ctx, &part, err) : TC_OK;
}

/* ---- the byte stream ---- */

static enum tc_status
emit(struct tc_multipart *mp, const void *data, size_t len, struct tc_error *err)
{
    if (len == 0 || mp->state != ST_BODY || mp->cb.part_data == NULL)
        return TC_OK; /* preamble bytes are dropped */
    return mp->cb.part_data(mp->ctx, data, len, err);
}

/*
 * Scan data (preamble or a part's body) for the delimiter with KMP, passing data through
 * in runs. Bytes that may start a delimiter are held back in `matched` and released, from
 * the delimiter itself, when the match fails. Sets `*consumed`; on a full match the state
 * moves on.
 */
static enum tc_status
scan_data(struct tc_multipart *mp, const unsigned char *p, size_t len, size_t *consumed,
          struct tc_error *err)
{
    size_t run = 0, i;
    enum tc_status st;

    for (i = 0; i < len; i++) {
        unsigned char c;

        if (mp->matched == 0) {
            const unsigned char *cr = memchr(p + i, mp->delim[0], len - i);

            if (cr == NULL)
                break;
            i = (size_t)(cr - p);
            if ((st = emit(mp, p + run, i - run, err)) != TC_OK)
                return st;
        }
        c = p[i];
        while (mp->matched > 0 && mp->delim[mp->matched] != c) {
            size_t f = mp->fail[mp->matched];

            if ((st = emit(mp, mp->delim, mp->matched - f, err)) != TC_OK)
                return st;
            mp->matched = f;
        }
        if (mp->delim[mp->matched] == c)
            mp->matched++;
        run = mp->matched == 0 ? i : i + 1;
        if (mp->matched == mp->delim_len) {
            mp->matched = 0;
            *consumed = i + 1;
            if (mp->state == ST_BODY && mp->cb.part_end != NULL &&
                (st = mp->cb.part_end(mp->ctx, err)) != TC_OK)
                return st;
            mp->state = ST_AFTER;
            return TC_OK;
        }
    }
    *consumed = len;
    return mp->matched == 0 ? emit(mp, p + run, len - run, err) : TC_OK;
}

static enum tc_status
header_byte(struct tc_multipart *mp, unsigned char c, struct tc_error *err)
{
    if (mp->hdr_len >= mp->hdr_max)
        return tc_fail(err, TC_ETOOLARGE, "multipart part headers exceed %zu bytes", mp->hdr_max);
    if (c == '\0')
        return tc_fail(err, TC_EBADREQ, "malformed multipart part header");
    mp->hdr[mp->hdr_len++] = (char)c;
    if (c != '\n')
        return TC_OK;
    if (mp->hdr_len < 2 || mp->hdr[mp->hdr_len - 2] != '\r')
        return tc_fail(err, TC_EBADREQ, "malformed multipart part header");
    if (mp->hdr_len != 2 &&
        (mp->hdr_len < 4 || memcmp(mp->hdr + mp->hdr_len - 4, "\r\n\r\n", 4) != 0))
        return TC_OK;
    mp->state = ST_BODY;
    return begin_part(mp, err);
}

/* The bytes right after a delimiter: transport padding, then CRLF or "--". */
static enum tc_status
after_delimiter_byte(struct tc_multipart *mp, unsigned char c, struct tc_error *err)
{
    switch (mp->state) {
    case ST_AFTER:
        if (c == ' ' || c == '\t')
            return TC_OK;
        if (c == '\r') {
            mp->state = ST_AFTER_CR;
            return TC_OK;
        }
        if (c == '-' && mp->n_parts > 0) {
            mp->state = ST_AFTER_DASH;
            return TC_OK;
        }
        break;
    case ST_AFTER_DASH:
        if (c == '-') {
            mp->state = ST_EPILOGUE;
            return TC_OK;
        }
        break;
    default: /* ST_AFTER_CR */
        if (c == '\n') {
            if (mp->n_parts >= mp->max_parts)
                return tc_fail(err, TC_ETOOLARGE, "multipart body has more than %zu parts",
                               mp->max_parts);
            mp->n_parts++;
            mp->hdr_len = 0;
            mp->state = ST_HEADERS;
            return TC_OK;
        }
        break;
    }
    return tc_fail(err, TC_EBADREQ, "malformed multipart boundary line");
}

static enum tc_status
step(struct tc_multipart *mp, const unsigned char *p, size_t len, size_t *consumed,
     struct tc_error *err)
{
    *consumed = 1;
    switch (mp->state) {
    case ST_PREAMBLE:
    case ST_BODY: return scan_data(mp, p, len, consumed, err);
    case ST_HEADERS: return header_byte(mp, p[0], err);
    case ST_EPILOGUE: *consumed = len; return TC_OK;
    default: return after_delimiter_byte(mp, p[0], err);
    }
}

static enum tc_status
fail_sticky(struct tc_multipart *mp, enum tc_status st, const struct tc_error *err)
{
    mp->state = ST_FAILED;
    if (err != NULL)
        mp->failure = *err;
    mp->failure.status = st;
    return st;
}

static enum tc_status
replay_failure(const struct tc_multipart *mp, struct tc_error *err)
{
    if (err != NULL) {
        enum tc_lang lang = err->lang;

        *err = mp->failure;
        err->lang = lang;
    }
    return mp->failure.status;
}

enum tc_status
tc_multipart_feed(struct tc_multipart *mp, const void *data, size_t len, struct tc_error *err)
{
    const unsigned char *p = data;

    if (mp->state == ST_FAILED)
        return replay_failure(mp, err);
    while (len > 0) {
        size_t used = 0;
        enum tc_status st = step(mp, p, len, &used, err);

        if (st != TC_OK)
            return fail_sticky(mp, st, err);
        p += used;
        len -= used;
    }
    return TC_OK;
}

enum tc_status
tc_multipart_finish(struct tc_multipart *mp, struct tc_error *err)
{
    enum tc_status st;

    switch (mp->state) {
    case ST_FAILED: return replay_failure(mp, err);
    case ST_EPILOGUE: return TC_OK;
    case ST_PREAMBLE: st = tc_fail(err, TC_EBADREQ, "multipart body has no boundary"); break;
    default: st = tc_fail(err, TC_EBADREQ, "multipart body ends before its closing boundary");
    }
    return fail_sticky(mp, st, err);
}

size_t
tc_multipart_parts(const struct tc_multipart *mp)
{
    return mp->n_parts;
}

static void
build_failure_function(struct tc_multipart *mp)
{
    size_t k = 0;

    mp->fail[0] = mp->fail[1] = 0;
    for (size_t i = 1; i < mp->delim_len; i++) {
        while (k > 0 && mp->delim[i] != mp->delim[k])
            k = mp->fail[k];
        if (mp->delim[i] == mp->delim[k])
            k++;
        mp->fail[i + 1] = k;
    }
}

struct tc_multipart *
tc_multipart_create(const char *content_type, const struct tc_multipart_limits *limits,
                    const struct tc_multipart_callbacks *callbacks, void *ctx,
                    struct tc_arena *arena, struct tc_error *err)
{
    char boundary[BOUNDARY_MAX + 1];
    struct tc_multipart *mp;
    size_t blen;

    if (tc_multipart_boundary(content_type, boundary, sizeof(boundary), err) != TC_OK)
        return NULL;
    if ((mp = tc_arena_calloc(arena, 1, sizeof(*mp))) == NULL) {
        tc_fail(err, TC_ENOMEM, "out of memory");
        return NULL;
    }
    mp->max_parts = limits && limits->max_parts ? limits->max_parts : DEFAULT_PARTS;
    mp->hdr_max = limits && limits->max_header_bytes ? limits->max_header_bytes : DEFAULT_HDRS;
    if ((mp->hdr = tc_arena_alloc(arena, mp->hdr_max + 1)) == NULL) {
        tc_fail(err, TC_ENOMEM, "out of memory");
        return NULL;
    }
    if (callbacks != NULL)
        mp->cb = *callbacks;
    mp->ctx = ctx;
    blen = strlen(boundary);
    memcpy(mp->delim, "\r\n--", 4);
    memcpy(mp->delim + 4, boundary, blen);
    mp->delim_len = blen + 4;
    build_failure_function(mp);
    /* The body may open with the delimiter itself: pretend a CRLF came before it. */
    mp->matched = 2;
    mp->state = ST_PREAMBLE;
    return mp;
}
