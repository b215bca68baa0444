/*
 * The demonstration data set (tincay/demo.h). Every figure in it is invented and says so:
 * areas, norms and allocations are labelled "DEMO" wherever the schema keeps a source or
 * a legal basis.
 */
#include "tincay/demo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/form.h"
#include "tincay/forms.h"
#include "tincay/rules.h"
#include "tincay/strbuf.h"
#include "tincay/submissions.h"
#include "tincay/users.h"
#include "tincay/vault.h"

#define DEMO_SOURCE "DEMO — không phải số liệu chính thức / not official"
#define DEMO_BASIS  "DEMO: demo, not official — không phải định mức chính thức"
#define DEMO_KEY_ID "demo-discarded"

/* The six post-2025 communes that took in Tam Đường district (NQ 1670/NQ-UBTVQH15). */
static const struct {
    const char *code, *name, *kv, *dbkk;
} communes[TC_DEMO_COMMUNES] = {
    {"03390", "Bình Lư", "III", "no"},      {"03405", "Tả Lèng", "III", "yes"},
    {"03430", "Khun Há", "III", "yes"},     {"03424", "Bản Bo", "III", "no"},
    {"03394", "Sin Suối Hồ", "III", "yes"}, {"03408", "Tân Phong", "I", "no"},
};

static const struct {
    const char *login, *role, *commune, *province;
} accounts[TC_DEMO_ACCOUNTS] = {
    {"demo.admin", "admin", NULL, NULL},          {"demo.collector", "collector", "03390", NULL},
    {"demo.host", "host", "03390", NULL},         {"demo.escrow", "escrow", NULL, "12"},
    {"demo.reviewer", "reviewer", "03390", NULL}, {"demo.approver", "approver", NULL, "12"},
    {"demo.viewer", "viewer", NULL, "12"},
};

static const char sql_empty[] =
    "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM forms)"
    "     + (SELECT count(*) FROM submissions) + (SELECT count(*) FROM norms)"
    "     + (SELECT count(*) FROM areas) + (SELECT count(*) FROM allocations)";

static char *
read_file(const char *path, size_t *len, struct tc_arena *arena, struct tc_error *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL) {
        tc_fail(err, TC_ENOTFOUND, "could not open \"%s\"", path);
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = tc_arena_alloc(arena, (size_t)n + 1)) != NULL &&
        fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = '\0';
        *len = (size_t)n;
    } else {
        buf = NULL;
        tc_fail(err, TC_EINTERNAL, "could not read \"%s\"", path);
    }
    fclose(f);
    return buf;
}

/* Write `text` to a private temporary file; its path in the arena. */
static const char *
temp_csv(const char *text, struct tc_arena *arena, struct tc_error *err)
{
    char *path = tc_arena_printf(arena, "/tmp/tincay-demo-XXXXXX");
    int fd = path != NULL ? mkstemp(path) : -1;
    size_t len = strlen(text);

    if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
        if (fd >= 0) {
            close(fd);
            unlink(path);
        }
        tc_fail(err, TC_EINTERNAL, "could not write a temporary file");
        return NULL;
    }
    close(fd);
    return path;
}

static enum tc_status
check_empty(struct tc_db_conn *conn, struct tc_arena *arena, struct tc_error *err)
{
    struct tc_db_result *res;
    enum tc_status st = tc_db_exec(conn, sql_empty, 0, NULL, arena, &res, err);

    if (st == TC_OK && tc_db_int(res, 0, 0, -1) != 0)
        return tc_fail(err, TC_ECONFLICT,
                       "the database is not empty: the demonstration loads only into a new one");
    return st;
}

static enum tc_status
load_areas(struct tc_db_conn *conn, struct tc_arena *arena, struct tc_error *err)
{
    struct tc_strbuf csv = TC_STRBUF_INIT(1u << 16);
    const char *path;
    size_t n;
    enum tc_status st;

    tc_strbuf_appends(&csv, "era,commune_code,village_name,kv,dbkk,source,verified\n");
    for (size_t i = 0; i < TC_DEMO_COMMUNES; i++)
        tc_strbuf_appendf(&csv, "post2025,%s,,%s,%s,%s,yes\n", communes[i].code, communes[i].kv,
                          communes[i].dbkk, DEMO_SOURCE);
    if (tc_strbuf_failed(&csv)) {
        tc_strbuf_cleanup(&csv);
        return tc_fail(err, TC_ENOMEM, "out of memory");
    }
    path = temp_csv(tc_strbuf_str(&csv), arena, err);
    tc_strbuf_cleanup(&csv);
    if (path == NULL)
        return err->status;
    st = tc_areas_load_csv(conn, path, &n, err);
    unlink(path);
    return st;
}

static enum tc_status
load_money(struct tc_db_conn *conn, const char *forms_dir, int year, struct tc_arena *arena,
           struct tc_error *err)
{
    static const char *const items[] = {"P8-C2-LIVELIHOOD-GROUP", "P8-C2-LIVELIHOOD-THT",
                                        "P8-C2-LIVELIHOOD-HTX"};
    const char *path = tc_arena_printf(arena, "%s/rules/norms-tt55-2023.csv", forms_dir);
    size_t n;
    enum tc_status st;

    if ((st = tc_norms_load_csv(conn, path, "demo", &n, err)) != TC_OK)
        return st;
    for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
        if ((st = tc_norm_set(conn, items[i], TC_DEMO_CEILING, DEMO_BASIS, "demo", err)) != TC_OK)
            return st;
    for (size_t i = 0; i < TC_DEMO_COMMUNES; i++) {
        const char *commune = tc_arena_printf(arena, "post2025:%s", communes[i].code);
        if ((st = tc_allocation_set(conn, commune, year, TC_DEMO_ALLOCATION, err)) != TC_OK)
            return st;
    }
    return TC_OK;
}

static enum tc_status
load_accounts(struct tc_db_conn *conn, struct tc_password_gate *gate, const char *password,
              struct tc_demo *out, struct tc_error *err)
{
    for (size_t i = 0; i < TC_DEMO_ACCOUNTS; i++) {
        struct tc_demo_account *a = &out->accounts[i];
        struct tc_user_new u = {.login = accounts[i].login,
                                .display_name = "DEMO",
                                .commune_code = accounts[i].commune,
                                .province_code = accounts[i].province,
                                .language = TC_LANG_VI};
        enum tc_status st;

        if (tc_role_parse(accounts[i].role, &u.role) != 0)
            return tc_fail(err, TC_EINTERNAL, "unknown role \"%s\"", accounts[i].role);
        a->login = accounts[i].login;
        a->role = accounts[i].role;
        a->area = accounts[i].commune    ? "post2025:03390"
                  : accounts[i].province ? "province 12"
                                         : "";
        if (password != NULL)
            snprintf(a->password, sizeof(a->password), "%s", password);
        else
            tc_password_generate(a->password);
        st = tc_user_create(conn, gate, &u, a->password, strlen(a->password), &a->id, err);
        if (st != TC_OK)
            return st;
    }
    return TC_OK;
}

/* The answers of one demo group. */
struct group {
    int commune, k; /* commune index, place in the commune */
    int total, women, em, poor, near_poor, heads, disability, phones;
    long long cost, counterpart;
    const char *legal_form, *leader_sex, *co_leader, *co_leader_sex;
    int day; /* of March */
};

/* Deterministic variety; group 1 of Bình Lư is group 0 doubled (a tie on points) and group
 * 2 is group 0 surveyed later (a tie down to the date). */
static void
make_group(int i, struct group *g)
{
    int base = i, scale = 1;

    memset(g, 0, sizeof(*g));
    g->commune = i % TC_DEMO_COMMUNES;
    g->k = i / TC_DEMO_COMMUNES;
    if (g->commune == 0 && (g->k == 1 || g->k == 2)) {
        base = 0;
        scale = g->k == 1 ? 2 : 1;
    }
    g->total = (6 + (base * 7) % 13) * scale;
    g->women = g->total - (base % 4 == 1 ? 2 : 0) * scale;
    g->em = base % 9 == 7 ? 0 : g->women * (40 + (base * 13) % 60) / 100;
    g->poor = g->total * ((base * 17) % 50) / 100;
    g->near_poor = (base % 3 == 0 ? 1 : 0) * scale;
    g->heads = (base % 3) * scale;
    g->disability = (base % 5 == 0 ? 1 : 0) * scale;
    g->phones = g->total / 2 + (base % 2) * scale;
    g->cost = 40000000LL + (long long)((base * 3) % 40) * 1000000LL;
    g->counterpart = g->cost / 5;
    g->legal_form = g->k == 3 ? "tht" : g->k == 5 ? "htx" : "group";
    g->leader_sex = base % 10 == 9 ? "male" : "female";
    g->co_leader = base % 4 == 2 || base % 10 == 9 ? "yes" : "no";
    g->co_leader_sex = base % 10 == 9 ? "female" : "male";
    g->day = 1 + g->k * 4 + g->commune;
}

static void
group_xml(const struct group *g, int i, int year, const char *form_version, struct tc_strbuf *sb)
{
    bool female = strcmp(g->leader_sex, "female") == 0;
    bool group_form = strcmp(g->legal_form, "group") == 0;
    char reg[32] = "";

    if (!group_form)
        snprintf(reg, sizeof(reg), "DEMO-REG-%02d", i);

    tc_strbuf_appendf(
        sb,
        "<data xmlns:orx=\"http://openrosa.org/xforms\" id=\"livelihood_needs\" version=\"%s\">"
        "<survey_date>%d-03-%02d</survey_date><collector_name>Cán bộ mẫu (DEMO)</collector_name>"
        "<collector_unit>Hội LHPN xã (DEMO)</collector_unit><consent>yes</consent>"
        "<respondent><respondent_name>Người trả lời mẫu %d</respondent_name>"
        "<respondent_role>head</respondent_role><respondent_phone>0912000%03d</respondent_phone>"
        "</respondent><location><admin_era>post2025</admin_era><commune>post2025:%s</commune>"
        "<commune_name>%s</commune_name><village/><village_text>Bản mẫu %d</village_text>"
        "<village_name>Bản mẫu %d</village_name></location>",
        form_version, year, g->day, i, i, communes[g->commune].code, communes[g->commune].name,
        g->k + 1, g->k + 1);
    tc_strbuf_appendf(
        sb,
        "<identity><group_name>Nhóm sinh kế mẫu %s %d (DEMO)</group_name>"
        "<legal_form>%s</legal_form><year_started>%d</year_started><registered>%s</registered>"
        "<registration_number>%s</registration_number><registration_date>%s</registration_date>"
        "<has_charter>yes</has_charter>"
        "<charter_certified>yes</charter_certified><households_count>%d</households_count>"
        "</identity><activity><main_activity>%s</main_activity>"
        "<main_products>Chè, rau (DEMO)</main_products><value_chain>production retail</value_chain>"
        "<ocop_status>%s</ocop_status></activity>",
        communes[g->commune].name, g->k + 1, g->legal_form, year - 1 - g->k % 3,
        group_form ? "no" : "yes", reg, group_form ? "" : "2024-01-15", g->total,
        g->k % 2 ? "crop" : "livestock", g->k % 3 == 1 ? "preparing" : "none");
    tc_strbuf_appendf(
        sb,
        "<leadership><leader_sex>%s</leader_sex><leader_ethnicity>25</leader_ethnicity>"
        "<leader_em>1</leader_em><co_leader>%s</co_leader><co_leader_sex>%s</co_leader_sex>"
        "<women_leader>%s</women_leader><board_total>3</board_total><board_women>%d</board_women>"
        "<board_em>2</board_em><board_em_women>%d</board_em_women></leadership>",
        g->leader_sex, g->co_leader, strcmp(g->co_leader, "yes") == 0 ? g->co_leader_sex : "",
        female ? (strcmp(g->co_leader, "yes") == 0 ? "co" : "sole")
               : (strcmp(g->co_leader, "yes") == 0 ? "co" : "none"),
        female ? 3 : 2, female ? 2 : 1);
}

static void
group_xml_rest(const struct group *g, int i, struct tc_strbuf *sb)
{
    double share = (double)g->women / g->total, em_share = (double)g->em / g->total,
           poor_share = (double)(g->poor + g->near_poor) / g->total;

    tc_strbuf_appendf(
        sb,
        "<membership><members_total>%d</members_total><members_women>%d</members_women>"
        "<members_em_women>%d</members_em_women><members_poor>%d</members_poor>"
        "<members_near_poor>%d</members_near_poor><poverty_cert_year>2025</poverty_cert_year>"
        "<members_female_heads>%d</members_female_heads>"
        "<members_disability>%d</members_disability><members_survivors>0</members_survivors>"
        "<women_share>%.4f</women_share><em_women_share>%.4f</em_women_share>"
        "<poor_share>%.4f</poor_share></membership>"
        "<capital><capital_women>%d0000000</capital_women><capital_men>0</capital_men>"
        "<capital_total>%d0000000</capital_total><capital_women_share>1</capital_women_share>"
        "</capital>",
        g->total, g->women, g->em, g->poor, g->near_poor, g->heads, g->disability, share, em_share,
        poor_share, 1 + g->k, 1 + g->k);
    tc_strbuf_appendf(
        sb,
        "<economy><revenue_last_year>%d00000000</revenue_last_year>"
        "<assets_value>50000000</assets_value><assets_desc/><market_links>local_market trader"
        "</market_links><has_contract>no</has_contract><buyers/>"
        "<smartphone_members>%d</smartphone_members><internet_access>mobile</internet_access>"
        "<digital_skills>basic</digital_skills><sells_online>%s</sells_online></economy>"
        "<needs><need><need_kind>equipment</need_kind><need_desc>Máy sao chè (DEMO)</need_desc>"
        "<need_cost>%lld</need_cost><need_counterpart>%lld</need_counterpart></need>"
        "<needs_cost_total>%lld</needs_cost_total><counterpart_total>%lld</counterpart_total>"
        "<counterpart_commit>yes</counterpart_commit><reporting_commit>yes</reporting_commit>"
        "</needs>",
        1 + i % 4, g->phones, i % 3 == 0 ? "yes" : "no", g->cost, g->counterpart, g->cost,
        g->counterpart);
    tc_strbuf_appendf(
        sb,
        "<support><support_received>no</support_received><p8_supported_before>no"
        "</p8_supported_before><no_duplicate_declared>yes</no_duplicate_declared></support>"
        "<roster><roster_consent>yes</roster_consent>"
        "<member><member_name>Thành viên mẫu %d-1</member_name><member_phone>0987000%03d"
        "</member_phone><member_sex>female</member_sex><member_ethnicity>25</member_ethnicity>"
        "<member_poverty>poor</member_poverty><member_female_head>no</member_female_head>"
        "<member_disability>no</member_disability><member_role>head</member_role></member>"
        "<member><member_name>Thành viên mẫu %d-2</member_name><member_phone/>"
        "<member_sex>female</member_sex><member_ethnicity>02</member_ethnicity>"
        "<member_poverty>none</member_poverty><member_female_head>yes</member_female_head>"
        "<member_disability>no</member_disability><member_role>member</member_role></member>"
        "<roster_count>2</roster_count></roster><evidence><photo_group/><photo_documents/>"
        "<photo_products/></evidence><notes>DEMO</notes>"
        "<meta><instanceID>uuid:00000000-demo-4000-8000-%012d</instanceID></meta></data>",
        i, i, i, i);
}

/*
 * The XML of a form with protected fields is never stored in plaintext. Until the vault's
 * envelope is on main, the demonstration seals it under a random key that is wiped at
 * once (key id "demo-discarded"): the stored values (unprotected) are all the demo needs.
 */
static unsigned char *
seal_discarded(const char *xml, size_t len, struct tc_arena *arena, size_t *sealed_len)
{
    unsigned char key[crypto_secretbox_KEYBYTES];
    unsigned char *out =
        tc_arena_alloc(arena, crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len);

    if (out == NULL)
        return NULL;
    crypto_secretbox_keygen(key);
    randombytes_buf(out, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES, (const unsigned char *)xml, len, out,
                          key);
    sodium_memzero(key, sizeof(key));
    *sealed_len = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
    return out;
}

struct demo_ctx {
    struct tc_db_conn *conn;
    struct tc_keyring *ring; /* NULL: the XML sealed under a discarded key, no values kept */
    const struct tc_form_model *model;
    const struct tc_ruleset *rs;
    long long form, collector;
    int year;
};

static void
ingest_roles(const struct tc_submission *sub, struct tc_ingest *in, struct tc_arena *arena)
{
    for (size_t r = 0; r < sub->n_roles; r++) {
        const struct tc_submission_value *v = &sub->role_values[r];
        const char *colon = strchr(v->value, ':');

        if (v->field->role == TC_FIELD_ROLE_COMMUNE && colon != NULL) {
            in->commune_era = tc_arena_strndup(arena, v->value, (size_t)(colon - v->value));
            in->commune_code = colon + 1;
        } else if (v->field->role == TC_FIELD_ROLE_VILLAGE) {
            in->village = v->value;
        }
    }
}

struct score_ctx {
    const struct tc_ruleset *rs;
    long long id;
    const struct tc_personal_sealed *sealed; /* NULL: nothing to store */
};

static const char sql_key_insert[] =
    "INSERT INTO submission_keys (submission, key_id, dek) VALUES ($1::bigint, $2, $3)";
static const char sql_protected_insert[] =
    "INSERT INTO submission_protected (submission, field, ciphertext)"
    " VALUES ($1::bigint, $2, $3)";

/* The data key and the sealed personal values of submission `id` (schema 005). */
static enum tc_status
store_sealed(struct tc_db_conn *conn, long long id, const struct tc_personal_sealed *p,
             struct tc_arena *arena, struct tc_error *err)
{
    const char *sub = tc_arena_printf(arena, "%lld", id);
    const char *kp[] = {sub, p->key_id, (const char *)p->dek_wrapped};
    const size_t kl[] = {0, 0, sizeof(p->dek_wrapped)};
    const bool bin[] = {false, false, true};
    enum tc_status st = tc_db_exec_bin(conn, sql_key_insert, 3, kp, kl, bin, arena, NULL, err);

    for (size_t i = 0; st == TC_OK && i < p->n_values; i++) {
        const char *vp[] = {sub, p->values[i].field, (const char *)p->values[i].ciphertext};
        const size_t vl[] = {0, 0, p->values[i].len};
        st = tc_db_exec_bin(conn, sql_protected_insert, 3, vp, vl, bin, arena, NULL, err);
    }
    return st;
}

static enum tc_status
score_txn(struct tc_db_conn *conn, void *ctx, struct tc_error *err)
{
    const struct score_ctx *x = ctx;
    struct tc_arena *arena = tc_arena_create(1u << 14);
    enum tc_status st = arena != NULL ? TC_OK : tc_fail(err, TC_ENOMEM, "out of memory");

    if (st == TC_OK && x->sealed != NULL)
        st = store_sealed(conn, x->id, x->sealed, arena, err);
    if (st == TC_OK)
        st = tc_score_submission(conn, x->rs, x->id, arena, NULL, err);

    tc_arena_destroy(arena);
    return st;
}

/* The XML (and, with a key ring, the personal values) sealed for storing. */
static enum tc_status
seal(const struct demo_ctx *d, const struct tc_submission *sub, const struct tc_strbuf *xml,
     struct tc_arena *arena, struct tc_ingest *in, struct tc_personal_sealed *sealed,
     struct tc_error *err)
{
    struct tc_plain_value *values;
    enum tc_status st;

    if (d->ring == NULL) {
        in->xml_sealed = seal_discarded(xml->data, xml->len, arena, &in->xml_sealed_len);
        in->key_id = DEMO_KEY_ID;
        return in->xml_sealed != NULL ? TC_OK : tc_fail(err, TC_ENOMEM, "out of memory");
    }
    if ((values = tc_arena_calloc(arena, sub->n_protected + 1, sizeof(*values))) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    for (size_t i = 0; i < sub->n_protected; i++) {
        values[i].field = sub->protected_values[i].path;
        values[i].value = sub->protected_values[i].value;
        values[i].len = strlen(sub->protected_values[i].value);
    }
    st = tc_personal_seal(d->ring, "livelihood_needs", sub->instance_id, values, sub->n_protected,
                          xml->data, xml->len, arena, sealed, err);
    if (st == TC_OK) {
        in->xml_sealed = sealed->xml;
        in->xml_sealed_len = sealed->xml_len;
        in->key_id = sealed->key_id;
    }
    return st;
}

static struct tc_ingest_finding *
ingest_findings(const struct tc_submission *sub, struct tc_arena *arena)
{
    struct tc_ingest_finding *f = tc_arena_calloc(arena, sub->n_findings + 1, sizeof(*f));

    for (size_t i = 0; f != NULL && i < sub->n_findings; i++) {
        f[i].field = sub->findings[i].path;
        f[i].rule = sub->findings[i].rule;
        f[i].message = sub->findings[i].message;
    }
    return f;
}

/* One group: XML → parsed against the form → stored → scored. */
static enum tc_status
ingest_one(const struct demo_ctx *d, int i, struct tc_arena *arena, struct tc_error *err)
{
    struct tc_strbuf xml = TC_STRBUF_INIT(1u << 16);
    struct tc_submission *sub;
    struct tc_ingest in = {.form = d->form, .form_id = "livelihood_needs"};
    struct tc_ingest_result r = {0};
    struct score_ctx sc = {.rs = d->rs};
    struct tc_personal_sealed sealed;
    unsigned char digest[crypto_hash_sha256_BYTES];
    char sha[2 * crypto_hash_sha256_BYTES + 1];
    struct group g;
    enum tc_status st;

    make_group(i, &g);
    group_xml(&g, i, d->year, tc_form_version(d->model), &xml);
    group_xml_rest(&g, i, &xml);
    if (tc_strbuf_failed(&xml)) {
        tc_strbuf_cleanup(&xml);
        return tc_fail(err, TC_ENOMEM, "out of memory");
    }
    st = tc_submission_parse(xml.data, xml.len, d->model, TC_LANG_VI, arena, &sub, err);
    if (st == TC_OK) {
        crypto_hash_sha256(digest, (const unsigned char *)xml.data, xml.len);
        sodium_bin2hex(sha, sizeof(sha), digest, sizeof(digest));
        in.form_version = tc_form_version(d->model);
        in.instance_id = sub->instance_id;
        if ((st = seal(d, sub, &xml, arena, &in, &sealed, err)) != TC_OK)
            goto out;
        sc.sealed = d->ring != NULL ? &sealed : NULL;
        in.xml_sha256 = sha;
        in.values_json = sub->values_json;
        in.findings = ingest_findings(sub, arena);
        in.n_findings = sub->n_findings;
        in.expected = sub->attachments;
        in.n_expected = sub->n_attachments;
        in.submitter_id = d->collector;
        ingest_roles(sub, &in, arena);
        st = in.xml_sealed != NULL && in.findings != NULL
                 ? tc_submission_store(d->conn, &in, &r, err)
                 : tc_fail(err, TC_ENOMEM, "out of memory");
    }
out:
    tc_strbuf_cleanup(&xml);
    if (st != TC_OK)
        return st;
    sc.id = r.id;
    return tc_db_transact(d->conn, false, score_txn, &sc, err);
}

static void
free_model(void *m)
{
    tc_form_model_free(m);
}

static void
free_ruleset(void *rs)
{
    tc_ruleset_free(rs);
}

/* The shipped livelihood form, published, and its ruleset, active. */
static enum tc_status
load_form(struct demo_ctx *d, const char *forms_dir, struct tc_arena *arena, struct tc_error *err)
{
    size_t len, rlen;
    char *xml =
        read_file(tc_arena_printf(arena, "%s/livelihood_needs.xml", forms_dir), &len, arena, err);
    char *rxml =
        xml ? read_file(
                  tc_arena_printf(arena, "%s/rules/tt55-2023-project8-livelihood.xml", forms_dir),
                  &rlen, arena, err)
            : NULL;
    struct tc_form_model *m = NULL;
    struct tc_ruleset *rs = NULL;
    enum tc_status st;

    if (rxml == NULL)
        return err->status;
    if ((st = tc_form_load(xml, len, &m, err)) != TC_OK)
        return st;
    if (tc_arena_defer(arena, free_model, m) != 0) {
        tc_form_model_free(m);
        return tc_fail(err, TC_ENOMEM, "out of memory");
    }
    d->model = m;
    struct tc_form_new f = {.form_id = tc_form_id(m),
                            .version = tc_form_version(m),
                            .title = tc_form_title(m),
                            .xml = (const unsigned char *)xml,
                            .xml_len = len,
                            .is_confidential = tc_form_is_confidential(m),
                            .has_protected = tc_form_has_protected_fields(m),
                            .publish = true};
    if ((st = tc_forms_insert(d->conn, &f, &d->form, err)) != TC_OK ||
        (st = tc_ruleset_install(d->conn, rxml, rlen, err)) != TC_OK ||
        (st = tc_ruleset_load(rxml, rlen, m, &rs, err)) != TC_OK)
        return st;
    if (tc_arena_defer(arena, free_ruleset, rs) != 0) {
        tc_ruleset_free(rs);
        return tc_fail(err, TC_ENOMEM, "out of memory");
    }
    d->rs = rs;
    return tc_ruleset_activate(d->conn, tc_ruleset_id(rs), tc_ruleset_version(rs), NULL, err);
}

static enum tc_status
demo_run(struct tc_db_conn *conn, struct tc_password_gate *gate, struct tc_keyring *ring,
         const char *forms_dir, int year, const char *password, struct tc_demo *out,
         struct tc_arena *arena, struct tc_error *err)
{
    struct demo_ctx d = {.conn = conn, .ring = ring, .year = year};
    enum tc_status st;

    if ((st = check_empty(conn, arena, err)) != TC_OK ||
        (st = load_areas(conn, arena, err)) != TC_OK ||
        (st = load_money(conn, forms_dir, year, arena, err)) != TC_OK ||
        (st = load_accounts(conn, gate, password, out, err)) != TC_OK ||
        (st = load_form(&d, forms_dir, arena, err)) != TC_OK)
        return st;
    out->form = d.form;
    d.collector = out->accounts[1].id;
    for (int i = 0; i < TC_DEMO_GROUPS; i++) {
        struct tc_arena *one = tc_arena_create(1u << 16);
        st = one != NULL ? ingest_one(&d, i, one, err) : tc_fail(err, TC_ENOMEM, "out of memory");
        tc_arena_destroy(one);
        if (st != TC_OK)
            return st;
        out->n_groups++;
    }
    return TC_OK;
}

enum tc_status
tc_demo_load(struct tc_db_conn *conn, struct tc_password_gate *gate, struct tc_keyring *ring,
             const char *forms_dir, int year, const char *password, struct tc_demo *out,
             struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(1u << 16);
    enum tc_status st;

    memset(out, 0, sizeof(*out));
    out->year = year;
    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    st = demo_run(conn, gate, ring, forms_dir, year, password, out, arena, err);
    tc_arena_destroy(arena);
    return st;
}
