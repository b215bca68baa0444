#include "auth.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "http.h"
#include "tincay/app_users.h"
#include "tincay/arena.h"
#include "tincay/audit.h"
#include "tincay/log.h"
#include "tincay/messages.h"
#include "tincay/units.h"

#define DEFAULT_TTL_S     300u
#define DEFAULT_ENTRIES   4096u
#define CACHE_WAYS        4u /* entries per set; the oldest of a full set is evicted */
#define DIGEST_BYTES      crypto_generichash_BYTES
#define BASIC_ENCODED_MAX ((((size_t)TC_AUTH_BASIC_MAX + 2) / 3) * 4)
#define AUDIT_LOGIN_MAX   TC_LOGIN_MAX
#define CHALLENGE         "Basic realm=\"tincay\", charset=\"UTF-8\""

/* A verified Basic credential: who it proved, and the password stamp it was proved against. */
struct remembered {
    unsigned char digest[DIGEST_BYTES]; /* keyed BLAKE2b of (login, password) */
    long long user_id, stamp;
    uint64_t at_ms; /* when verified (monotonic); 0: empty */
};

struct tc_auth {
    struct tc_password_gate *gate;
    enum tc_password_cost cost; /* of new hashes and key wraps */
    pthread_mutex_t lock;       /* guards `sets` */
    struct remembered *sets;
    size_t n_sets;
    uint64_t ttl_ms;
    unsigned char key[crypto_generichash_KEYBYTES]; /* random, never stored */
    atomic_ullong verifications, cache_hits;
};

static uint64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- the auth object ---- */

struct tc_auth *
tc_auth_create(const struct tc_auth_options *opts, struct tc_error *err)
{
    unsigned int entries = opts->cache_entries > 0 ? opts->cache_entries : DEFAULT_ENTRIES;
    unsigned int wait = opts->gate_wait_ms > 0 ? opts->gate_wait_ms : TC_PASSWORD_GATE_WAIT_MS;
    struct tc_auth *auth = calloc(1, sizeof(*auth));

    if (auth == NULL) {
        tc_fail(err, TC_ENOMEM, "out of memory");
        return NULL;
    }
    auth->n_sets = entries >= CACHE_WAYS ? entries / CACHE_WAYS : 1;
    auth->ttl_ms = (uint64_t)(opts->cache_ttl_s > 0 ? opts->cache_ttl_s : DEFAULT_TTL_S) * 1000u;
    if ((auth->sets = calloc(auth->n_sets * CACHE_WAYS, sizeof(*auth->sets))) == NULL ||
        pthread_mutex_init(&auth->lock, NULL) != 0) {
        free(auth->sets);
        free(auth);
        tc_fail(err, TC_ENOMEM, "out of memory");
        return NULL;
    }
    if ((auth->gate = tc_password_gate_create(opts->gate_slots, wait, opts->cost, err)) == NULL) {
        tc_auth_destroy(auth);
        return NULL;
    }
    auth->cost = opts->cost;
    randombytes_buf(auth->key, sizeof(auth->key));
    return auth;
}

void
tc_auth_destroy(struct tc_auth *auth)
{
    if (auth == NULL)
        return;
    tc_password_gate_destroy(auth->gate);
    sodium_memzero(auth->sets, auth->n_sets * CACHE_WAYS * sizeof(*auth->sets));
    sodium_memzero(auth->key, sizeof(auth->key));
    pthread_mutex_destroy(&auth->lock);
    free(auth->sets);
    free(auth);
}

enum tc_password_cost
tc_auth_cost(const struct tc_auth *auth)
{
    return auth->cost;
}

struct tc_password_gate *
tc_auth_gate(const struct tc_auth *auth)
{
    return auth->gate;
}

void
tc_auth_stats(const struct tc_auth *auth, struct tc_auth_stats *out)
{
    out->verifications = atomic_load(&auth->verifications);
    out->cache_hits = atomic_load(&auth->cache_hits);
}

/* ---- the memory of verified Basic credentials ---- */

/* Keyed BLAKE2b of the login's length, the login and the password: unambiguous, unguessable. */
static void
credential_digest(const struct tc_auth *auth, const char *login, const char *password, size_t len,
                  unsigned char out[DIGEST_BYTES])
{
    crypto_generichash_state st;
    uint64_t login_len = strlen(login);
    unsigned char prefix[8];

    for (size_t i = 0; i < sizeof(prefix); i++)
        prefix[i] = (unsigned char)(login_len >> (8 * i));
    crypto_generichash_init(&st, auth->key, sizeof(auth->key), DIGEST_BYTES);
    crypto_generichash_update(&st, prefix, sizeof(prefix));
    crypto_generichash_update(&st, (const unsigned char *)login, login_len);
    crypto_generichash_update(&st, (const unsigned char *)password, len);
    crypto_generichash_final(&st, out, DIGEST_BYTES);
    sodium_memzero(&st, sizeof(st));
}

static struct remembered *
set_of(const struct tc_auth *auth, const unsigned char digest[DIGEST_BYTES])
{
    uint64_t h = 0;

    for (size_t i = 0; i < sizeof(h); i++)
        h = (h << 8) | digest[i];
    return &auth->sets[(h % auth->n_sets) * CACHE_WAYS];
}

/* The entry of `digest` in its set, or NULL. Call with the lock held. */
static struct remembered *
find(const struct tc_auth *auth, const unsigned char digest[DIGEST_BYTES])
{
    struct remembered *set = set_of(auth, digest);

    for (size_t i = 0; i < CACHE_WAYS; i++)
        if (set[i].at_ms != 0 && sodium_memcmp(set[i].digest, digest, DIGEST_BYTES) == 0)
            return &set[i];
    return NULL;
}

static bool
cache_get(struct tc_auth *auth, const unsigned char digest[DIGEST_BYTES], long long *user_id,
          long long *stamp)
{
    struct remembered *r;
    bool hit = false;

    pthread_mutex_lock(&auth->lock);
    if ((r = find(auth, digest)) != NULL) {
        if (now_ms() - r->at_ms < auth->ttl_ms) {
            *user_id = r->user_id;
            *stamp = r->stamp;
            hit = true;
        } else {
            sodium_memzero(r, sizeof(*r));
        }
    }
    pthread_mutex_unlock(&auth->lock);
    return hit;
}

static void
cache_put(struct tc_auth *auth, const unsigned char digest[DIGEST_BYTES], long long user_id,
          long long stamp)
{
    struct remembered *r, *set = set_of(auth, digest);

    pthread_mutex_lock(&auth->lock);
    if ((r = find(auth, digest)) == NULL) {
        r = &set[0];
        for (size_t i = 1; i < CACHE_WAYS && r->at_ms != 0; i++)
            if (set[i].at_ms < r->at_ms)
                r = &set[i];
    }
    memcpy(r->digest, digest, DIGEST_BYTES);
    r->user_id = user_id;
    r->stamp = stamp;
    r->at_ms = now_ms();
    if (r->at_ms == 0)
        r->at_ms = 1;
    pthread_mutex_unlock(&auth->lock);
}

static void
cache_drop(struct tc_auth *auth, const unsigned char digest[DIGEST_BYTES])
{
    struct remembered *r;

    pthread_mutex_lock(&auth->lock);
    if ((r = find(auth, digest)) != NULL)
        sodium_memzero(r, sizeof(*r));
    pthread_mutex_unlock(&auth->lock);
}

/* ---- the Authorization header ---- */

/* Continuation bytes after lead byte `c`; SIZE_MAX when `c` cannot lead. */
static size_t
utf8_tail(unsigned char c)
{
    if (c < 0x80)
        return 0;
    if (c >= 0xc2 && c <= 0xdf)
        return 1;
    if ((c & 0xf0) == 0xe0)
        return 2;
    if (c >= 0xf0 && c <= 0xf4)
        return 3;
    return SIZE_MAX;
}

/* Well-formed UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF. */
static bool
utf8_valid(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i], lo = 0x80, hi = 0xbf;
        size_t n = utf8_tail(c);

        if (n == SIZE_MAX || n >= len - i)
            return false;
        if (c == 0xe0)
            lo = 0xa0; /* overlong */
        else if (c == 0xed)
            hi = 0x9f; /* surrogates */
        else if (c == 0xf0)
            lo = 0x90; /* overlong */
        else if (c == 0xf4)
            hi = 0x8f; /* past U+10FFFF */
        for (size_t k = 1; k <= n; k++, lo = 0x80, hi = 0xbf)
            if (s[i + k] < lo || s[i + k] > hi)
                return false;
        i += n + 1;
    }
    return true;
}

int
tc_auth_parse_basic(const char *header, char buf[TC_AUTH_BASIC_MAX + 1], const char **login,
                    const char **password, size_t *password_len)
{
    const char *b64, *end = NULL, *colon;
    size_t b64_len, len = 0;

    *login = *password = NULL;
    *password_len = 0;
    if (header == NULL || strncasecmp(header, "Basic", 5) != 0 ||
        (header[5] != ' ' && header[5] != '\t'))
        return 1;
    b64 = header + 5 + strspn(header + 5, " \t");
    b64_len = strcspn(b64, " \t");
    if (b64_len == 0 || b64_len > BASIC_ENCODED_MAX ||
        b64[b64_len + strspn(b64 + b64_len, " \t")] != '\0')
        return -1;
    if (sodium_base642bin((unsigned char *)buf, TC_AUTH_BASIC_MAX, b64, b64_len, NULL, &len, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != b64 + b64_len)
        return -1;
    buf[len] = '\0';
    if (memchr(buf, '\0', len) != NULL || !utf8_valid((const unsigned char *)buf, len) ||
        (colon = memchr(buf, ':', len)) == NULL || colon == buf ||
        (size_t)(colon - buf) > TC_LOGIN_MAX)
        return -1;
    for (const char *p = buf; p < colon; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return -1;
    buf[colon - buf] = '\0';
    *login = buf;
    *password = colon + 1;
    *password_len = len - (size_t)(colon - buf) - 1;
    return 0;
}

/* ---- principals ---- */

static void
principal_of_user(const struct tc_user *u, struct tc_principal *out)
{
    *out = (struct tc_principal){
        .kind = TC_PRINCIPAL_USER,
        .id = u->id,
        .login = u->login,
        .display_name = u->display_name,
        .role = u->role,
        .language = u->language,
        .commune_era = u->commune_era,
        .commune_code = u->commune_code,
        .province_code = u->province_code,
        .unit_id = u->unit_id,
    };
}

void
tc_auth_subject(const struct tc_principal *who, struct tc_policy_subject *out)
{
    *out = (struct tc_policy_subject){
        .user_id = who->kind == TC_PRINCIPAL_USER ? who->id : 0,
        .unit_id = who->unit_id,
        .commune = who->commune_code,
        .province = who->province_code,
        .forms = who->forms,
        .n_forms = who->n_forms,
    };
}

/* ---- audit ---- */

static const char *
actor_kind(const struct tc_principal *who)
{
    switch (who->kind) {
    case TC_PRINCIPAL_USER: return "user";
    case TC_PRINCIPAL_APP_USER: return "app_user";
    case TC_PRINCIPAL_NONE: break;
    }
    return "anonymous";
}

/* Audit rows are best effort for the request: a failure is logged, never shown. */
static void
append_audit(struct tc_request *req, const struct tc_audit_event *ev)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_conn *conn = tc_req_db(req, &err);

    if (conn == NULL || tc_audit_append(conn, ev, tc_req_arena(req), &err) != TC_OK)
        tc_log(TC_LOG_ERROR, tc_req_id(req), "could not write the audit row of %s: %s (%s)",
               ev->action, err.msg, err.detail);
}

void
tc_auth_audit(struct tc_request *req, const struct tc_principal *who, const char *action,
              const char *outcome, const char *detail_json)
{
    const struct tc_audit_event ev = {
        .actor_kind = actor_kind(who),
        .actor_id = who->id,
        .actor_login = who->login,
        .action = action,
        .client_addr = tc_req_client_addr(req),
        .outcome = outcome,
        .detail_json = detail_json,
    };

    append_audit(req, &ev);
}

/* The login as sent, fit for the audit log: printable ASCII, at most TC_LOGIN_MAX bytes. */
static const char *
audit_login_name(struct tc_request *req, const char *login)
{
    char folded[TC_LOGIN_MAX + 1];
    char *out;
    size_t n = 0;

    if (tc_login_normalise(login, folded, NULL) == TC_OK)
        return tc_arena_strdup(tc_req_arena(req), folded);
    if ((out = tc_arena_alloc(tc_req_arena(req), AUDIT_LOGIN_MAX + 1)) == NULL)
        return NULL;
    for (; n < AUDIT_LOGIN_MAX && login[n] != '\0'; n++)
        out[n] = (unsigned char)login[n] > 0x20 && (unsigned char)login[n] < 0x7f ? login[n] : '?';
    out[n] = '\0';
    return out;
}

/* login.ok, login.failed (wrong credentials) or login.failed denied (rate limited). */
static void
audit_login(struct tc_request *req, const char *login, long long user_id, enum tc_status st,
            const char *method)
{
    struct tc_audit_event ev = {
        .actor_kind = user_id != 0 ? "user" : "anonymous",
        .actor_id = user_id,
        .actor_login = audit_login_name(req, login),
        .action = st == TC_OK ? "login.ok" : "login.failed",
        .client_addr = tc_req_client_addr(req),
        .outcome = st == TC_OK           ? "ok"
                   : st == TC_ERATELIMIT ? "denied"
                                         : "failed",
        .detail_json =
            strcmp(method, "basic") == 0 ? "{\"method\": \"basic\"}" : "{\"method\": \"password\"}",
    };

    if (st == TC_OK || st == TC_EUNAUTH || st == TC_ERATELIMIT)
        append_audit(req, &ev);
}

/* ---- the three ways in ---- */

static struct tc_auth *
server_auth(struct tc_request *req, struct tc_error *err)
{
    struct tc_auth *auth = tc_server_auth(tc_req_server(req));

    if (auth == NULL)
        tc_fail(err, TC_EINTERNAL, "authentication is not configured on this server");
    return auth;
}

static enum tc_status
identify_app_user(struct tc_request *req, const char *token, struct tc_principal *out,
                  struct tc_error *err)
{
    struct tc_db_conn *conn = tc_req_db(req, err);
    struct tc_app_user au;
    int64_t *forms = NULL;
    size_t n_forms = 0;
    enum tc_status st;

    if (conn == NULL)
        return err->status;
    st = tc_app_user_lookup_with_forms(conn, token, tc_req_arena(req), &au, &forms, &n_forms, err);
    if (st != TC_OK)
        return st;
    *out = (struct tc_principal){
        .kind = TC_PRINCIPAL_APP_USER,
        .id = au.id,
        .login = au.name,
        .display_name = au.name,
        .role = TC_ROLE_APP_USER,
        .language = tc_req_lang(req),
        .unit_id = au.unit_id,
        .forms = forms,
        .n_forms = n_forms,
    };
    return TC_OK;
}

static enum tc_status
identify_session(struct tc_request *req, const char *cookie, struct tc_principal *out,
                 struct tc_error *err)
{
    struct tc_db_conn *conn = tc_req_db(req, err);
    struct tc_session s;
    enum tc_status st;

    if (conn == NULL)
        return err->status;
    if ((st = tc_session_lookup(conn, cookie, tc_req_arena(req), &s, err)) != TC_OK)
        return st;
    principal_of_user(&s.user, out);
    out->by_cookie = true;
    if ((out->session_token = tc_arena_strdup(tc_req_arena(req), cookie)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    tc_req_set_lang(req, s.user.language);
    return TC_OK;
}

/* A remembered credential still good: same password stamp, account enabled. */
static enum tc_status
basic_from_memory(struct tc_request *req, struct tc_auth *auth,
                  const unsigned char digest[DIGEST_BYTES], struct tc_principal *out, bool *hit,
                  struct tc_error *err)
{
    long long user_id, stamp, current = 0;
    struct tc_user user;
    enum tc_status st;

    *hit = false;
    if (!cache_get(auth, digest, &user_id, &stamp))
        return TC_OK;
    st = tc_user_get_by_id(tc_req_db(req, err), user_id, tc_req_arena(req), &user, &current, err);
    if (st != TC_OK && st != TC_ENOTFOUND)
        return st;
    if (st == TC_OK && !user.disabled && user.has_password && current == stamp) {
        atomic_fetch_add(&auth->cache_hits, 1);
        principal_of_user(&user, out);
        *hit = true;
        return TC_OK;
    }
    cache_drop(auth, digest);
    if (st == TC_OK && user.disabled) /* the password was right: no need to spend a hash */
        return tc_fail(err, TC_EUNAUTH, TC_MSG_LOGIN_FAILED);
    tc_error_clear(err);
    return TC_OK;
}

static enum tc_status
basic_verify(struct tc_request *req, struct tc_auth *auth, const char *login, const char *password,
             size_t len, struct tc_principal *out, struct tc_error *err)
{
    const struct tc_login_request lr = {
        .login = login,
        .password = password,
        .password_len = len,
        .client_addr = tc_req_client_addr(req),
        .user_agent = tc_req_header(req, "User-Agent"),
    };
    unsigned char digest[DIGEST_BYTES];
    struct tc_user user;
    long long stamp = 0;
    bool hit;
    enum tc_status st;

    credential_digest(auth, login, password, len, digest);
    if (tc_req_db(req, err) == NULL) {
        st = err->status;
        goto out;
    }
    if ((st = basic_from_memory(req, auth, digest, out, &hit, err)) != TC_OK || hit)
        goto out;
    st = tc_login_verify(tc_req_db(req, err), auth->gate, &lr, tc_req_arena(req), &user, &stamp,
                         err);
    if (st == TC_OK || st == TC_EUNAUTH)
        atomic_fetch_add(&auth->verifications, 1);
    audit_login(req, login, st == TC_OK ? user.id : 0, st, "basic");
    if (st == TC_OK) {
        cache_put(auth, digest, user.id, stamp);
        principal_of_user(&user, out);
    }
out:
    sodium_memzero(digest, sizeof(digest));
    return st;
}

static enum tc_status
identify_basic(struct tc_request *req, const char *header, struct tc_principal *out,
               struct tc_error *err)
{
    char buf[TC_AUTH_BASIC_MAX + 1];
    const char *login, *password;
    size_t len;
    struct tc_auth *auth;
    int rc = tc_auth_parse_basic(header, buf, &login, &password, &len);
    enum tc_status st;

    if (rc == 1) /* another scheme (Digest, Bearer): treated as no credentials */
        st = TC_OK;
    else if (!tc_req_is_tls(req) && !tc_req_is_loopback(req))
        st = tc_fail(err, TC_EFORBIDDEN,
                     "credentials are refused over plain HTTP: connect with HTTPS");
    else if (rc < 0)
        st = tc_fail(err, TC_EUNAUTH, "malformed Basic credentials");
    else if ((auth = server_auth(req, err)) == NULL)
        st = err->status;
    else if ((st = basic_verify(req, auth, login, password, len, out, err)) == TC_OK)
        tc_req_set_lang(req, out->language);
    sodium_memzero(buf, sizeof(buf));
    return st;
}

enum tc_status
tc_auth_identify(struct tc_request *req, struct tc_principal *out, struct tc_error *err)
{
    const char *token = tc_req_param(req, "token");
    const char *cookie = tc_req_cookie(req, TC_AUTH_COOKIE);
    const char *authorization = tc_req_header(req, "Authorization");

    *out = (struct tc_principal){.kind = TC_PRINCIPAL_NONE, .role = TC_ROLE_COUNT};
    if (token != NULL)
        return identify_app_user(req, token, out, err);
    if (cookie != NULL && cookie[0] != '\0') {
        enum tc_status st = identify_session(req, cookie, out, err);

        /* A stale cookie beside Basic credentials (a browser that also logged in): use those. */
        if (st != TC_EUNAUTH || authorization == NULL)
            return st;
        tc_error_clear(err);
        *out = (struct tc_principal){.kind = TC_PRINCIPAL_NONE, .role = TC_ROLE_COUNT};
    }
    if (authorization != NULL)
        return identify_basic(req, authorization, out, err);
    return TC_OK;
}

enum tc_status
tc_auth_require(struct tc_request *req, struct tc_principal *out, struct tc_error *err)
{
    enum tc_status st = tc_auth_identify(req, out, err);

    if (st == TC_OK && out->kind == TC_PRINCIPAL_NONE)
        return tc_fail(err, TC_EUNAUTH, "authentication required");
    return st;
}

enum tc_status
tc_auth_challenge(struct tc_response *resp, struct tc_error *err)
{
    return tc_resp_header(resp, "WWW-Authenticate", CHALLENGE, err);
}

/*
 * The unit keys (and an escrow officer's own key) the password opens, re-wrapped under the
 * new session's key. When that fails the session goes too: a host logged in without the
 * unit key could not read the cases the login promised.
 */
static enum tc_status
open_session_keys(struct tc_db_conn *conn, const struct tc_auth *auth, const char *token,
                  const struct tc_user *user, const char *password, size_t password_len,
                  struct tc_error *err)
{
    /* the password passed the gate: the unit keys go before new logins */
    const struct tc_vault_kdf kdf = {.gate = auth->gate, .cost = auth->cost, .next = true};
    struct tc_error ignored = TC_ERROR_INIT(err->lang);
    enum tc_status st;

    if (user->role != TC_ROLE_HOST && user->role != TC_ROLE_ESCROW)
        return TC_OK;
    st = tc_vault_session_open(conn, &kdf, token, user->id, password, password_len, NULL, err);
    if (st != TC_OK)
        (void)tc_session_delete(conn, token, &ignored);
    return st;
}

enum tc_status
tc_auth_login(struct tc_request *req, const char *login, const char *password, size_t password_len,
              char token_out[TC_SESSION_TOKEN_MAX], struct tc_principal *out, struct tc_error *err)
{
    const struct tc_login_request lr = {
        .login = login,
        .password = password,
        .password_len = password_len,
        .client_addr = tc_req_client_addr(req),
        .user_agent = tc_req_header(req, "User-Agent"),
    };
    struct tc_auth *auth = server_auth(req, err);
    struct tc_db_conn *conn;
    struct tc_user user;
    enum tc_status st;

    token_out[0] = '\0';
    if (auth == NULL || (conn = tc_req_db(req, err)) == NULL)
        return err->status;
    st = tc_login(conn, auth->gate, &lr, tc_req_arena(req), token_out, &user, err);
    if (st == TC_OK || st == TC_EUNAUTH)
        atomic_fetch_add(&auth->verifications, 1);
    if (st == TC_OK && (st = open_session_keys(conn, auth, token_out, &user, password, password_len,
                                               err)) != TC_OK)
        token_out[0] = '\0';
    audit_login(req, login, st == TC_OK ? user.id : 0, st, "password");
    if (st == TC_OK) {
        principal_of_user(&user, out);
        tc_req_set_lang(req, user.language);
    }
    return st;
}

/* ---- policy and CSRF ---- */

/* {"role": ..., and the object's ids and codes}: what an investigation needs, nothing more. */
static char *
denial_detail(const struct tc_principal *who, const struct tc_policy_object *what)
{
    json_t *d = json_pack("{s:s}", "role", tc_role_name(who->role));
    char *text;

    if (d != NULL && what != NULL) {
        if (what->form_id != 0)
            json_object_set_new(d, "form_id", json_integer(what->form_id));
        if (what->unit_id != 0)
            json_object_set_new(d, "unit_id", json_integer(what->unit_id));
        if (what->owner_id != 0)
            json_object_set_new(d, "owner_id", json_integer(what->owner_id));
        if (what->commune != NULL)
            json_object_set_new(d, "commune", json_string(what->commune));
        if (what->province != NULL)
            json_object_set_new(d, "province", json_string(what->province));
    }
    text = d != NULL ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(d);
    return text;
}

enum tc_status
tc_auth_check(struct tc_request *req, const struct tc_principal *who, enum tc_action action,
              const struct tc_policy_object *what, struct tc_error *err)
{
    struct tc_policy_subject subject;
    char *detail;

    if (who->kind == TC_PRINCIPAL_NONE)
        return tc_fail(err, TC_EUNAUTH, "authentication required");
    tc_auth_subject(who, &subject);
    if (tc_policy_allows(who->role, action, &subject, what))
        return TC_OK;
    detail = denial_detail(who, what);
    tc_auth_audit(req, who, tc_action_name(action), "denied", detail);
    free(detail);
    return tc_fail(err, TC_EFORBIDDEN, "you may not do this (%s)", tc_action_name(action));
}

enum tc_status
tc_auth_csrf(struct tc_request *req, const struct tc_principal *who, const char *presented,
             struct tc_error *err)
{
    if (!who->by_cookie)
        return TC_OK;
    if (presented == NULL)
        presented = tc_req_header(req, TC_AUTH_CSRF_FIELD);
    if (!tc_session_csrf_check(who->session_token, presented))
        return tc_fail(err, TC_EFORBIDDEN, TC_MSG_CSRF);
    return TC_OK;
}
