/*
 * The vault as an operator drives it through the `tincay` binary: escrow officers, units,
 * invitations, password changes, the key file and its rotation, against a real PostgreSQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "testlib.h"
#include "tincay/arena.h"
#include "tincay/cases.h"
#include "tincay/db.h"
#include "tincay/forms.h"
#include "tincay/keyfile.h"
#include "tincay/submissions.h"
#include "tincay/vault.h"

#define TINCAY TC_BINARY_DIR "/tincay"

struct fixture {
    char conninfo[256];
    char dir[128];
    char key_path[192];
};

/* Run `stdin_text | tincay args` (stdout and stderr into `out`); its exit status. */
static int
run(const char *stdin_text, const char *args, char *out, size_t size)
{
    char cmd[1024], tmp[160];
    FILE *p;
    size_t n = 0;
    int status;

    snprintf(tmp, sizeof(tmp), "%s/stdin", getenv("TINCAY_DATA_DIR"));
    if (stdin_text != NULL) {
        FILE *f = fopen(tmp, "w");

        assert_non_null(f);
        fputs(stdin_text, f);
        fclose(f);
    }
    snprintf(cmd, sizeof(cmd), "%s %s < %s 2>&1", TINCAY, args,
             stdin_text != NULL ? tmp : "/dev/null");
    assert_non_null(p = popen(cmd, "r"));
    while (n + 1 < size && !feof(p)) {
        size_t got = fread(out + n, 1, size - n - 1, p);

        if (got == 0)
            break;
        n += got;
    }
    out[n] = '\0';
    status = pclose(p);
    if (stdin_text != NULL)
        unlink(tmp);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
setup(void **state)
{
    static struct fixture f;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_pool *pool = NULL;
    struct tc_db_conn *conn = NULL;
    char out[4096];
    int rc = -1;

    tc_test_db_create("vault_cli", f.conninfo, sizeof(f.conninfo));
    snprintf(f.dir, sizeof(f.dir), "/tmp/tincay-vcli-XXXXXX");
    if (mkdtemp(f.dir) == NULL)
        return -1;
    snprintf(f.key_path, sizeof(f.key_path), "%s/keys/server.key", f.dir);
    setenv("TINCAY_DATABASE_URL", f.conninfo, 1);
    setenv("TINCAY_DATA_DIR", f.dir, 1);
    unsetenv("TINCAY_KEY_FILE");
    if (run(NULL, "migrate", out, sizeof(out)) != 0) {
        fprintf(stderr, "migrate: %s\n", out);
        return -1;
    }
    if ((pool = tc_db_pool_create(f.conninfo, 1, &err)) != NULL &&
        (conn = tc_db_acquire(pool, 1000, &err)) != NULL &&
        tc_db_exec_simple(conn,
                          "INSERT INTO communes (era, code, name, province_code) VALUES"
                          " ('post2025', '99901', 'Xã Thử', '97'),"
                          " ('post2025', '99903', 'Xã Không Escrow', '99')",
                          &err) == TC_OK)
        rc = 0;
    else
        fprintf(stderr, "setup: %s: %s\n", err.msg, err.detail);
    tc_db_release(pool, conn);
    tc_db_pool_destroy(pool);
    *state = &f;
    return rc;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[200];

    if (f == NULL)
        return 0;
    tc_test_db_drop(f->conninfo);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* The second line of `out` (the invitation secret), copied into `secret`. */
static void
second_line(const char *out, char *secret, size_t size)
{
    const char *p = strchr(out, '\n');
    size_t n;

    assert_non_null(p);
    p++;
    n = strcspn(p, "\n");
    assert_true(n > 0 && n < size);
    memcpy(secret, p, n);
    secret[n] = '\0';
}

static void
units_escrow_and_invitations(void **state)
{
    char out[4096], secret[128], input[512];

    (void)state;
    assert_int_equal(
        run("escrow password 97\n", "user add esc97 --role escrow --province 97", out, sizeof(out)),
        0);
    assert_int_not_equal(
        run("escrow password 99\n", "user add esc99 --role escrow", out, sizeof(out)), 0);
    assert_non_null(strstr(out, "--province"));
    assert_int_equal(run("host password 12345\n", "user add hostx --role host --commune 99901", out,
                         sizeof(out)),
                     0);

    assert_int_equal(run(NULL, "unit add dctc-z --name Z --commune 99903", out, sizeof(out)), 1);
    assert_non_null(strstr(out, "no escrow officer"));
    assert_int_equal(run(NULL, "unit add dctc-x --name 'DCTC X' --commune 99901", out, sizeof(out)),
                     0);
    assert_int_equal(run(NULL, "unit list", out, sizeof(out)), 0);
    assert_non_null(strstr(out, "dctc-x"));
    assert_null(strstr(out, "dctc-z"));

    assert_int_equal(run("not the password\n", "unit invite dctc-x --by esc97", out, sizeof(out)),
                     1);
    assert_int_equal(run("escrow password 97\n", "unit invite dctc-x --by esc97", out, sizeof(out)),
                     0);
    second_line(out, secret, sizeof(secret));
    assert_int_equal(strlen(secret), 43);
    snprintf(input, sizeof(input), "%s\nhost password 12345\n", secret);
    assert_int_equal(run(input, "unit join hostx", out, sizeof(out)), 0);
    assert_int_equal(run(input, "unit join hostx", out, sizeof(out)), 1);
    assert_non_null(strstr(out, "unknown, used or expired"));

    /* Now a member, the host invites too; their password change keeps that working. */
    assert_int_equal(run("host password 12345\nhost password 67890\n", "user password hostx --old",
                         out, sizeof(out)),
                     0);
    assert_int_equal(
        run("host password 12345\n", "unit invite dctc-x --by hostx", out, sizeof(out)), 1);
    assert_int_equal(
        run("host password 67890\n", "unit invite dctc-x --by hostx", out, sizeof(out)), 0);
    /* An admin reset drops the host's key and says so; an escrow officer's is refused. */
    assert_int_equal(run("host password reset\n", "user password hostx", out, sizeof(out)), 0);
    assert_non_null(strstr(out, "escrow officer"));
    assert_int_equal(
        run("host password reset\n", "unit invite dctc-x --by hostx", out, sizeof(out)), 1);
    assert_int_equal(run("escrow password new\n", "user password esc97", out, sizeof(out)), 1);
    assert_int_equal(run("escrow password 97\n", "unit invite dctc-x --by esc97", out, sizeof(out)),
                     0);

    /* Escrow recovery by invitation, then removal. */
    second_line(out, secret, sizeof(secret));
    snprintf(input, sizeof(input), "%s\nhost password reset\n", secret);
    assert_int_equal(run(input, "unit join hostx", out, sizeof(out)), 0);
    assert_int_equal(
        run("host password reset\n", "unit invite dctc-x --by hostx", out, sizeof(out)), 0);
    assert_int_equal(run(NULL, "unit remove dctc-x hostx", out, sizeof(out)), 0);
    assert_int_equal(
        run("host password reset\n", "unit invite dctc-x --by hostx", out, sizeof(out)), 1);
}

/* A personal submission sealed under the key file's current key, stored as ingest does. */
static void
store_personal(struct fixture *f, struct tc_keyring *ring, const char *instance)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_db_pool *pool = tc_db_pool_create(f->conninfo, 1, &err);
    struct tc_db_conn *conn = pool ? tc_db_acquire(pool, 1000, &err) : NULL;
    struct tc_arena *arena = tc_arena_create(4096);
    const struct tc_plain_value v = {"/data/name", "Lò Thị Mai", strlen("Lò Thị Mai")};
    struct tc_form_new form = {.form_id = "needs",
                               .version = "1",
                               .title = "needs",
                               .xml = (const unsigned char *)"<h:html/>",
                               .xml_len = 9,
                               .has_protected = true,
                               .publish = true};
    struct tc_personal_sealed sealed;
    struct tc_ingest_result res;
    long long form_row = 0;

    assert_non_null(conn);
    if (tc_forms_insert(conn, &form, &form_row, &err) == TC_ECONFLICT) {
        struct tc_form_row row;

        assert_int_equal(tc_forms_get(conn, "needs", "1", arena, &row, &err), TC_OK);
        form_row = row.id;
    }
    assert_true(form_row > 0);
    assert_int_equal(
        tc_personal_seal(ring, "needs", instance, &v, 1, "<data/>", 7, arena, &sealed, &err),
        TC_OK);
    {
        const struct tc_ingest in = {
            .form = form_row,
            .form_id = "needs",
            .form_version = "1",
            .instance_id = instance,
            .xml_sealed = sealed.xml,
            .xml_sealed_len = sealed.xml_len,
            .key_id = sealed.key_id,
            .xml_sha256 = "0000000000000000000000000000000000000000000000000000000000000000"};

        assert_int_equal(tc_submission_store(conn, &in, &res, &err), TC_OK);
    }
    assert_int_equal(tc_submission_keys_store_personal(conn, res.id, &sealed, &err), TC_OK);
    tc_arena_destroy(arena);
    tc_db_release(pool, conn);
    tc_db_pool_destroy(pool);
}

static void
key_file_rotation_and_permissions(void **state)
{
    struct fixture *f = *state;
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    char out[4096], ids[TC_KEYRING_MAX][TC_KEY_ID_LEN + 1], old[TC_KEY_ID_LEN + 1];
    char current[TC_KEY_ID_LEN + 1];
    struct tc_keyring *ring = NULL;
    struct stat sb;
    size_t n = 0;

    assert_int_equal(run(NULL, "keys status", out, sizeof(out)), 0);
    assert_int_equal(stat(f->key_path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(tc_keyring_open(f->key_path, false, &ring, &err), TC_OK);
    tc_keyring_ids(ring, ids, &n, old);
    store_personal(f, ring, "uuid:cli-1");
    store_personal(f, ring, "uuid:cli-2");
    assert_int_equal(run(NULL, "keys status", out, sizeof(out)), 0);
    assert_non_null(strstr(out, old));

    assert_int_equal(run(NULL, "keys rotate", out, sizeof(out)), 0);
    assert_non_null(strstr(out, "re-wrapped 2 data keys"));
    assert_non_null(strstr(out, "dropped old key"));
    assert_int_equal(tc_keyring_refresh(ring, &err), TC_OK);
    tc_keyring_ids(ring, ids, &n, current);
    assert_int_equal(n, 1);
    assert_string_not_equal(current, old);
    {
        struct tc_db_pool *pool = tc_db_pool_create(f->conninfo, 1, &err);
        struct tc_db_conn *conn = pool ? tc_db_acquire(pool, 1000, &err) : NULL;
        struct tc_arena *arena = tc_arena_create(4096);
        struct tc_plain_value *values;
        unsigned char *xml;
        size_t len = 0, nv = 0;
        struct tc_db_result *res;

        assert_non_null(conn);
        assert_int_equal(tc_db_exec(conn,
                                    "SELECT submission FROM submission_keys ORDER BY submission"
                                    " LIMIT 1",
                                    0, NULL, arena, &res, &err),
                         TC_OK);
        assert_int_equal(tc_personal_open(conn, ring, tc_db_int(res, 0, 0, 0), arena, &xml, &len,
                                          &values, &nv, &err),
                         TC_OK);
        assert_string_equal(values[0].value, "Lò Thị Mai");
        tc_arena_destroy(arena);
        tc_db_release(pool, conn);
        tc_db_pool_destroy(pool);
    }
    tc_keyring_close(ring);

    /* A key file others can read stops every command that needs it. */
    assert_int_equal(chmod(f->key_path, 0644), 0);
    assert_int_equal(run(NULL, "keys status", out, sizeof(out)), 1);
    assert_non_null(strstr(out, "0644"));
    assert_int_equal(chmod(f->key_path, 0600), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(units_escrow_and_invitations),
        cmocka_unit_test(key_file_rotation_and_permissions),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests_name("vault cli", tests, setup, teardown);
}
