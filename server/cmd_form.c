#include <stdio.h>
#include <string.h>

#include "cli_db.h"
#include "commands.h"
#include "form_admin.h"
#include "tincay/arena.h"
#include "tincay/form.h"
#include "tincay/forms.h"

#define USAGE                                                                                      \
    "usage: tincay form add FILE [--draft]\n"                                                      \
    "       tincay form publish FORM_ID [VERSION]\n"                                               \
    "       tincay form close FORM_ID [--now]\n"                                                   \
    "       tincay form media FORM_ID FILE...\n"                                                   \
    "       tincay form list\n"

#define MEDIA_MAX_BYTES (20u * 1024u * 1024u)

static int
form_add(struct tc_db_conn *conn, int argc, char **argv, struct tc_arena *arena,
         struct tc_error *err)
{
    const char *path = NULL;
    bool draft = false;
    unsigned char *xml = NULL;
    size_t len = 0;
    struct tc_form_row row;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--draft") == 0)
            draft = true;
        else if (path == NULL && argv[i][0] != '-')
            path = argv[i];
        else
            return -2;
    }
    if (path == NULL)
        return -2;
    if (tc_form_admin_read_file(path, TC_FORM_MAX_BYTES, arena, &xml, &len, err) != TC_OK ||
        tc_form_admin_add(conn, xml, len, !draft, 0, arena, &row, err) != TC_OK)
        return tc_cli_fail(err);
    printf("form \"%s\" version \"%s\" stored as %s (md5 %s)\n", row.form_id, row.version,
           tc_form_state_name(row.state), row.md5);
    return 0;
}

/* The newest draft of `form_id` when no version is named. */
static int
form_publish(struct tc_db_conn *conn, int argc, char **argv, struct tc_arena *arena,
             struct tc_error *err)
{
    struct tc_form_row *rows = NULL;
    size_t n = 0;
    const char *version = argc == 3 ? argv[2] : NULL;

    if (argc < 2 || argc > 3)
        return -2;
    if (version == NULL) {
        if (tc_forms_list(conn, NULL, arena, &rows, &n, err) != TC_OK)
            return tc_cli_fail(err);
        for (size_t i = 0; i < n && version == NULL; i++)
            if (strcmp(rows[i].form_id, argv[1]) == 0 && rows[i].state == TC_FORM_DRAFT)
                version = rows[i].version;
        if (version == NULL) {
            fprintf(stderr, "tincay: form \"%s\" has no draft to publish\n", argv[1]);
            return 1;
        }
    }
    if (tc_forms_publish(conn, argv[1], version, err) != TC_OK)
        return tc_cli_fail(err);
    printf("form \"%s\" version \"%s\" published\n", argv[1], version);
    return 0;
}

static int
form_close(struct tc_db_conn *conn, int argc, char **argv, struct tc_error *err)
{
    bool now = argc == 3 && strcmp(argv[2], "--now") == 0;
    size_t n = 0;

    if (argc < 2 || argc > 3 || (argc == 3 && !now))
        return -2;
    if (tc_forms_close(conn, argv[1], NULL, now ? TC_FORM_CLOSED : TC_FORM_CLOSING, &n, err) !=
        TC_OK)
        return tc_cli_fail(err);
    printf(now ? "form \"%s\" closed (%zu versions): submissions are refused from now on\n"
               : "form \"%s\" closing (%zu versions): no longer listed, submissions still "
                 "accepted; `tincay form close %s --now` closes it\n",
           argv[1], n, argv[1]);
    return 0;
}

static int
form_media(struct tc_db_conn *conn, int argc, char **argv, struct tc_arena *arena,
           struct tc_error *err)
{
    struct tc_form_row row;

    if (argc < 3)
        return -2;
    if (tc_form_admin_newest(conn, argv[1], arena, &row, err) != TC_OK)
        return tc_cli_fail(err);
    for (int i = 2; i < argc; i++) {
        const char *base = strrchr(argv[i], '/') != NULL ? strrchr(argv[i], '/') + 1 : argv[i];
        const char *type = tc_form_admin_media_type(base);
        unsigned char *bytes = NULL;
        size_t len = 0;

        if (tc_form_admin_read_file(argv[i], MEDIA_MAX_BYTES, arena, &bytes, &len, err) != TC_OK ||
            tc_forms_media_put(conn, row.id, base, type, bytes, len, err) != TC_OK)
            return tc_cli_fail(err);
        printf("media \"%s\" (%s, %zu bytes) stored for form \"%s\" version \"%s\"\n", base, type,
               len, row.form_id, row.version);
    }
    return 0;
}

static int
form_list(struct tc_db_conn *conn, struct tc_arena *arena, struct tc_error *err)
{
    struct tc_form_row *rows = NULL;
    size_t n = 0;

    if (tc_forms_list(conn, NULL, arena, &rows, &n, err) != TC_OK)
        return tc_cli_fail(err);
    printf("%-28s %-14s %-10s %-6s %-32s %s\n", "FORM ID", "VERSION", "STATE", "MEDIA", "MD5",
           "TITLE");
    for (size_t i = 0; i < n; i++)
        printf("%-28s %-14s %-10s %-6zu %-32s %s%s\n", rows[i].form_id, rows[i].version,
               tc_form_state_name(rows[i].state), rows[i].n_media, rows[i].md5, rows[i].title,
               rows[i].is_confidential ? " [confidential]"
               : rows[i].has_protected ? " [personal]"
                                       : "");
    return 0;
}

static int
dispatch(struct tc_db_conn *conn, int argc, char **argv, struct tc_arena *arena,
         struct tc_error *err)
{
    const char *sub = argv[1];

    argc--;
    argv++;
    if (strcmp(sub, "add") == 0)
        return form_add(conn, argc, argv, arena, err);
    if (strcmp(sub, "publish") == 0)
        return form_publish(conn, argc, argv, arena, err);
    if (strcmp(sub, "close") == 0)
        return form_close(conn, argc, argv, err);
    if (strcmp(sub, "media") == 0)
        return form_media(conn, argc, argv, arena, err);
    if (strcmp(sub, "list") == 0 && argc == 1)
        return form_list(conn, arena, err);
    return -2;
}

int
tc_cmd_form(int argc, char **argv)
{
    struct tc_error err = TC_ERROR_INIT(tc_cli_lang());
    struct tc_cli_db db;
    struct tc_arena *arena;
    int rc;

    if (argc < 2) {
        fputs(USAGE, stderr);
        return 2;
    }
    if ((arena = tc_arena_create(64 * 1024)) == NULL) {
        fprintf(stderr, "tincay: out of memory\n");
        return 1;
    }
    if (tc_cli_db_open(&db, true, &err) != TC_OK) {
        tc_arena_destroy(arena);
        return tc_cli_fail(&err);
    }
    rc = dispatch(db.conn, argc, argv, arena, &err);
    tc_cli_db_close(&db);
    tc_arena_destroy(arena);
    if (rc == -2) {
        fputs(USAGE, stderr);
        return 2;
    }
    return rc;
}
