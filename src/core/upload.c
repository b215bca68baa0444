#include "tincay/upload.h"

#include <string.h>
#include <strings.h>

#include "tincay/arena.h"
#include "tincay/multipart.h"
#include "tincay/spool.h"
#include "tincay/strbuf.h"

#define DEFAULT_XML_BYTES (10u << 20)
#define DEFAULT_PARTS     100
#define FIELD_MAX         32 /* the only field we read is *isIncomplete* */

enum part_kind { PART_NONE, PART_XML, PART_FILE, PART_INCOMPLETE };

struct tc_upload_parser {
    struct tc_arena *arena;
    struct tc_spool *spool;
    struct tc_multipart *mp;
    bool encrypt;
    enum part_kind kind; /* of the part being read */
    struct tc_strbuf xml;
    const char *xml_content_type;
    bool has_xml;
    struct tc_upload_file *files;
    size_t n_files, max_files;
    char field[FIELD_MAX + 1];
    size_t field_len;
    bool is_incomplete;
};

static void
free_xml(void *ptr)
{
    tc_strbuf_cleanup(ptr);
}

static enum tc_status
begin_file(struct tc_upload_parser *up, const struct tc_multipart_part *part, struct tc_error *err)
{
    struct tc_upload_file *f;

    if (up->n_files >= up->max_files)
        return tc_fail(err, TC_ETOOLARGE, "the submission has more than %zu files", up->max_files);
    f = &up->files[up->n_files];
    f->name = tc_arena_strdup(up->arena, part->name);
    f->content_type = tc_arena_strdup(up->arena, part->content_type);
    if (f->name == NULL || (part->content_type != NULL && f->content_type == NULL))
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if ((f->file = tc_spool_open(up->spool, up->encrypt, err)) == NULL)
        return err != NULL ? err->status : TC_EINTERNAL;
    up->n_files++;
    up->kind = PART_FILE;
    return TC_OK;
}

static enum tc_status
on_begin(void *ctx, const struct tc_multipart_part *part, struct tc_error *err)
{
    struct tc_upload_parser *up = ctx;

    up->kind = PART_NONE;
    if (strcmp(part->name, "xml_submission_file") == 0) {
        if (up->has_xml)
            return tc_fail(err, TC_EBADREQ, "the request has more than one xml_submission_file");
        up->has_xml = true;
        up->kind = PART_XML;
        up->xml_content_type = tc_arena_strdup(up->arena, part->content_type);
        return TC_OK;
    }
    if (strcmp(part->name, "*isIncomplete*") == 0) {
        up->kind = PART_INCOMPLETE;
        up->field_len = 0;
        return TC_OK;
    }
    return part->filename != NULL ? begin_file(up, part, err) : TC_OK;
}

static enum tc_status
on_data(void *ctx, const void *data, size_t len, struct tc_error *err)
{
    struct tc_upload_parser *up = ctx;

    switch (up->kind) {
    case PART_XML:
        tc_strbuf_append(&up->xml, data, len);
        if (tc_strbuf_failed(&up->xml))
            return tc_fail(err, TC_ETOOLARGE, "the submission XML exceeds %zu bytes",
                           up->xml.max - 1);
        return TC_OK;
    case PART_FILE: return tc_spool_write(up->files[up->n_files - 1].file, data, len, err);
    case PART_INCOMPLETE:
        if (len > FIELD_MAX - up->field_len)
            return tc_fail(err, TC_EBADREQ, "invalid *isIncomplete* value");
        memcpy(up->field + up->field_len, data, len);
        up->field_len += len;
        return TC_OK;
    default: return TC_OK; /* other form fields carry nothing for us */
    }
}

static bool
says_yes(const char *s, size_t len)
{
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\r' || s[len - 1] == '\n'))
        len--;
    while (len > 0 && *s == ' ') {
        s++;
        len--;
    }
    return (len == 3 && strncasecmp(s, "yes", 3) == 0) ||
           (len == 4 && strncasecmp(s, "true", 4) == 0);
}

static enum tc_status
on_end(void *ctx, struct tc_error *err)
{
    struct tc_upload_parser *up = ctx;

    if (up->kind == PART_FILE)
        return tc_spool_finish(up->files[up->n_files - 1].file, err);
    if (up->kind == PART_INCOMPLETE && says_yes(up->field, up->field_len))
        up->is_incomplete = true;
    return TC_OK;
}

static const struct tc_multipart_callbacks callbacks = {on_begin, on_data, on_end};

struct tc_upload_parser *
tc_upload_create(const char *content_type, struct tc_spool *spool,
                 const struct tc_upload_limits *limits, struct tc_arena *arena,
                 struct tc_error *err)
{
    struct tc_upload_parser *up = tc_arena_calloc(arena, 1, sizeof(*up));
    size_t max_xml = limits && limits->max_xml_bytes ? limits->max_xml_bytes : DEFAULT_XML_BYTES;
    struct tc_multipart_limits mpl = {.max_parts = limits ? limits->max_parts : 0};

    if (up == NULL || tc_arena_defer(arena, free_xml, &up->xml) != 0) {
        tc_fail(err, TC_ENOMEM, "out of memory");
        return NULL;
    }
    up->arena = arena;
    up->spool = spool;
    up->encrypt = limits != NULL && limits->encrypt;
    up->xml = (struct tc_strbuf)TC_STRBUF_INIT(max_xml + 1);
    up->max_files = mpl.max_parts ? mpl.max_parts : DEFAULT_PARTS;
    if ((up->files = tc_arena_calloc(arena, up->max_files, sizeof(*up->files))) == NULL) {
        tc_fail(err, TC_ENOMEM, "out of memory");
        return NULL;
    }
    up->mp = tc_multipart_create(content_type, &mpl, &callbacks, up, arena, err);
    return up->mp != NULL ? up : NULL;
}

enum tc_status
tc_upload_feed(struct tc_upload_parser *up, const void *data, size_t len, struct tc_error *err)
{
    return tc_multipart_feed(up->mp, data, len, err);
}

enum tc_status
tc_upload_finish(struct tc_upload_parser *up, struct tc_upload *out, struct tc_error *err)
{
    enum tc_status st = tc_multipart_finish(up->mp, err);
    unsigned char *xml;

    if (st != TC_OK)
        return st;
    if (!up->has_xml)
        return tc_fail(err, TC_EBADREQ, "the request has no xml_submission_file part");
    memset(out, 0, sizeof(*out));
    /* memcpy, not strndup: the bytes are stored and hashed as sent, NULs included */
    if ((xml = tc_arena_alloc(up->arena, up->xml.len + 1)) == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    memcpy(xml, tc_strbuf_str(&up->xml), up->xml.len);
    xml[up->xml.len] = '\0';
    out->xml = xml;
    out->xml_len = up->xml.len;
    out->xml_content_type = up->xml_content_type;
    out->files = up->files;
    out->n_files = up->n_files;
    out->is_incomplete = up->is_incomplete;
    return TC_OK;
}
