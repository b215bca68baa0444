#include "form_admin.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tincay/arena.h"
#include "tincay/form.h"
#include "tincay/forms.h"
#include "tincay/log.h"

enum tc_status
tc_form_admin_add(struct tc_db_conn *conn, const unsigned char *xml, size_t len, bool publish,
                  long long created_by, struct tc_arena *arena, struct tc_form_row *out,
                  struct tc_error *err)
{
    struct tc_form_model *model = NULL;
    struct tc_form_new nf;
    long long id = 0;
    enum tc_status st;

    if ((st = tc_form_load((const char *)xml, len, &model, err)) != TC_OK)
        return st;
    nf = (struct tc_form_new){
        .form_id = tc_form_id(model),
        .version = tc_form_version(model),
        .title = tc_form_title(model)[0] != '\0' ? tc_form_title(model) : tc_form_id(model),
        .xml = xml,
        .xml_len = len,
        .is_confidential = tc_form_is_confidential(model),
        .has_protected = tc_form_has_protected_fields(model),
        .created_by = created_by,
        .publish = publish,
    };
    st = tc_forms_insert(conn, &nf, &id, err);
    if (st == TC_ECONFLICT)
        st = tc_fail(err, TC_ECONFLICT, "form \"%s\" version \"%s\" already exists", nf.form_id,
                     nf.version);
    tc_form_model_free(model);
    if (st == TC_OK && out != NULL)
        st = tc_forms_get_by_id(conn, id, arena, out, err);
    return st;
}

enum tc_status
tc_form_admin_newest(struct tc_db_conn *conn, const char *form_id, struct tc_arena *arena,
                     struct tc_form_row *out, struct tc_error *err)
{
    struct tc_form_row *rows = NULL;
    size_t n = 0;
    enum tc_status st = tc_forms_list(conn, NULL, arena, &rows, &n, err);

    if (st != TC_OK)
        return st;
    /* Listed by form id, newest first: the first row of the id is its newest version. */
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].form_id, form_id) == 0) {
            *out = rows[i];
            return TC_OK;
        }
    }
    return tc_fail(err, TC_ENOTFOUND, "form \"%s\" does not exist", form_id);
}

const char *
tc_form_admin_media_type(const char *filename)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".csv", "text/csv"},
        {".xml", "text/xml"},
        {".geojson", "application/geo+json"},
        {".json", "application/json"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".svg", "image/svg+xml"},
        {".webp", "image/webp"},
        {".mp3", "audio/mpeg"},
        {".m4a", "audio/mp4"},
        {".ogg", "audio/ogg"},
        {".wav", "audio/wav"},
        {".amr", "audio/amr"},
        {".mp4", "video/mp4"},
        {".3gp", "video/3gpp"},
        {".pdf", "application/pdf"},
        {".txt", "text/plain"},
        {".zip", "application/zip"},
    };
    const char *dot = strrchr(filename, '.');

    if (dot != NULL)
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
            if (strcasecmp(dot, types[i].ext) == 0)
                return types[i].type;
    return "application/octet-stream";
}

enum tc_status
tc_form_admin_read_file(const char *path, size_t max, struct tc_arena *arena,
                        unsigned char **data_out, size_t *len_out, struct tc_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    unsigned char *buf = NULL;
    size_t len = 0;
    ssize_t got;
    enum tc_status st = TC_OK;

    if (fd < 0)
        return tc_fail(err, TC_ENOTFOUND, "could not open file \"%s\"", path);
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = tc_fail(err, TC_ENOTFOUND, "\"%s\" is not a regular file", path);
        goto out;
    }
    if ((size_t)sb.st_size > max) {
        st = tc_fail(err, TC_ETOOLARGE, "file \"%s\" is larger than %zu bytes", path, max);
        goto out;
    }
    if ((buf = tc_arena_alloc(arena, (size_t)sb.st_size + 1)) == NULL) {
        st = tc_fail(err, TC_ENOMEM, "out of memory");
        goto out;
    }
    while (len < (size_t)sb.st_size && (got = read(fd, buf + len, (size_t)sb.st_size - len)) > 0)
        len += (size_t)got;
    if (len != (size_t)sb.st_size) {
        st = tc_fail(err, TC_EINTERNAL, "could not read file \"%s\"", path);
        goto out;
    }
    buf[len] = '\0';
    *data_out = buf;
    *len_out = len;
out:
    close(fd);
    return st;
}

/* Store every regular file of `<dir>/media/<form id>/` as media of version `form`. */
static enum tc_status
load_media(struct tc_db_conn *conn, const char *dir, const struct tc_form_row *row,
           struct tc_arena *arena, struct tc_error *err)
{
    char *mdir = tc_arena_printf(arena, "%s/media/%s", dir, row->form_id);
    DIR *d = mdir != NULL ? opendir(mdir) : NULL;
    struct dirent *e;
    enum tc_status st = TC_OK;

    if (d == NULL)
        return TC_OK; /* a form without media */
    while (st == TC_OK && (e = readdir(d)) != NULL) {
        char *path;
        unsigned char *bytes = NULL;
        size_t len = 0;

        if (e->d_name[0] == '.')
            continue;
        if ((path = tc_arena_printf(arena, "%s/%s", mdir, e->d_name)) == NULL) {
            st = tc_fail(err, TC_ENOMEM, "out of memory");
            break;
        }
        st = tc_form_admin_read_file(path, TC_FORM_MAX_BYTES * 4u, arena, &bytes, &len, err);
        if (st == TC_OK)
            st = tc_forms_media_put(conn, row->id, e->d_name, tc_form_admin_media_type(e->d_name),
                                    bytes, len, err);
    }
    closedir(d);
    return st;
}

/*
 * One shipped form: added and published when new; its media added when missing. Faults of
 * the file itself are warnings (a shipped form must never stop the server).
 */
static enum tc_status
load_one(struct tc_db_conn *conn, const char *dir, const char *name, size_t *n_added,
         struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(64 * 1024);
    struct tc_form_model *model = NULL;
    struct tc_form_row row;
    unsigned char *xml = NULL;
    size_t len = 0;
    char *path;
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((path = tc_arena_printf(arena, "%s/%s", dir, name)) == NULL) {
        st = tc_fail(err, TC_ENOMEM, "out of memory");
        goto out;
    }
    st = tc_form_admin_read_file(path, TC_FORM_MAX_BYTES, arena, &xml, &len, err);
    if (st == TC_OK)
        st = tc_form_load((const char *)xml, len, &model, err);
    if (st != TC_OK) {
        tc_log(TC_LOG_WARNING, NULL, "shipped form \"%s\" skipped: %s", name, err->msg);
        st = TC_OK;
        goto out;
    }
    st = tc_forms_get(conn, tc_form_id(model), tc_form_version(model), arena, &row, err);
    if (st == TC_ENOTFOUND) {
        if ((st = tc_form_admin_add(conn, xml, len, true, 0, arena, &row, err)) == TC_OK) {
            (*n_added)++;
            tc_log(TC_LOG_INFO, NULL, "shipped form \"%s\" version \"%s\" added and published",
                   row.form_id, row.version);
        }
    } else if (st == TC_OK && (row.xml_len != len || memcmp(row.xml, xml, len) != 0)) {
        tc_log(TC_LOG_WARNING, NULL,
               "shipped form \"%s\" differs from the stored form \"%s\" version \"%s\"; a new "
               "definition needs a new version: file ignored",
               name, row.form_id, row.version);
        goto out;
    }
    if (st == TC_OK && row.state != TC_FORM_CLOSED)
        st = load_media(conn, dir, &row, arena, err);
    if (st == TC_ECONFLICT || st == TC_EINVAL) {
        tc_log(TC_LOG_WARNING, NULL, "media of shipped form \"%s\" not all stored: %s", name,
               err->msg);
        st = TC_OK;
    }
out:
    tc_form_model_free(model);
    tc_arena_destroy(arena);
    return st;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int
is_xml_file(const struct dirent *e)
{
    size_t n = strlen(e->d_name);

    return e->d_name[0] != '.' && n > 4 && strcmp(e->d_name + n - 4, ".xml") == 0;
}

enum tc_status
tc_form_admin_load_dir(struct tc_db_conn *conn, const char *dir, size_t *n_added_out,
                       struct tc_error *err)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, is_xml_file, by_name);
    size_t added = 0;
    enum tc_status st = TC_OK;

    if (n < 0)
        return tc_fail(err, TC_ENOTFOUND, "could not read forms directory \"%s\"", dir);
    for (int i = 0; i < n; i++) {
        if (st == TC_OK)
            st = load_one(conn, dir, names[i]->d_name, &added, err);
        free(names[i]);
    }
    free(names);
    if (n_added_out != NULL)
        *n_added_out = added;
    return st;
}
