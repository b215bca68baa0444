#include "cli_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <libxml/parser.h>
#include <sodium.h>

#include "tincay/cluster.h"
#include "tincay/db.h"
#include "tincay/migrate.h"

enum tc_lang
tc_cli_lang(void)
{
    static const char *const vars[] = {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"};

    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        const char *v = getenv(vars[i]);
        enum tc_lang lang;

        if (v != NULL && *v != '\0')
            return tc_lang_parse(v, &lang) == 0 ? lang : TC_LANG_EN;
    }
    return TC_LANG_EN;
}

int
tc_cli_fail(const struct tc_error *err)
{
    const char *msg =
        err->msg[0] != '\0' ? err->msg : tc_tr(err->lang, tc_status_message(err->status));

    if (err->detail[0] != '\0')
        fprintf(stderr, "tincay: %s\nDETAIL: %s\n", msg, err->detail);
    else
        fprintf(stderr, "tincay: %s\n", msg);
    return 1;
}

static enum tc_status
open_database(struct tc_cli_db *db, struct tc_error *err)
{
    char conninfo[1024];

    if (db->cfg.use_private_cluster) {
        db->cluster = tc_cluster_start(db->cfg.data_dir, conninfo, sizeof(conninfo), err);
        if (db->cluster == NULL)
            return err->status;
    } else {
        snprintf(conninfo, sizeof(conninfo), "%s", db->cfg.database_url);
    }
    /* one connection; a second opens only when used (a re-score job's helper worker) */
    if ((db->pool = tc_db_pool_create(conninfo, 2, err)) == NULL)
        return err->status;
    if ((db->conn = tc_db_acquire(db->pool, 10000, err)) == NULL)
        return err->status;
    return TC_OK;
}

enum tc_status
tc_cli_db_open(struct tc_cli_db *db, bool migrate, struct tc_error *err)
{
    char report[4096];
    size_t applied = 0;
    enum tc_status st;

    memset(db, 0, sizeof(*db));
    /* Admin commands hold passwords, unit keys and the key file's keys: no core files. */
    (void)setrlimit(RLIMIT_CORE, &(const struct rlimit){0, 0});
    if (sodium_init() < 0)
        return tc_fail(err, TC_EINTERNAL, "could not initialise libsodium");
    xmlInitParser();
    if (tc_config_from_env(&db->cfg, report, sizeof(report), err) != TC_OK) {
        fputs(report, stderr);
        return tc_fail(err, TC_EINVAL, "invalid configuration");
    }
    tc_log_set_level(db->cfg.log_level);
    st = open_database(db, err);
    if (st == TC_OK && migrate)
        st = tc_migrate(db->conn, &applied, err);
    if (st != TC_OK)
        tc_cli_db_close(db);
    return st;
}

void
tc_cli_db_close(struct tc_cli_db *db)
{
    tc_db_release(db->pool, db->conn);
    db->conn = NULL;
    tc_db_pool_destroy(db->pool);
    db->pool = NULL;
    tc_cluster_stop(db->cluster);
    db->cluster = NULL;
}
