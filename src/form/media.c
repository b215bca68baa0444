/* What a form's media file must be before it is stored (tincay/form.h). */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>
#include <utf8proc.h>

#include "form/form_internal.h"
#include "tincay/arena.h"
#include "tincay/csv.h"
#include "tincay/form.h"

/* Byte offset of the first byte that is not well-formed UTF-8, or `len`. */
static size_t
utf8_end(const unsigned char *bytes, size_t len)
{
    size_t i = 0;

    while (i < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t step = utf8proc_iterate(bytes + i, (utf8proc_ssize_t)(len - i), &cp);

        if (step <= 0)
            return i;
        i += (size_t)step;
    }
    return len;
}

static enum tc_status
check_csv(const char *name, const unsigned char *bytes, size_t len, struct tc_error *err)
{
    struct tc_arena *arena = tc_arena_create(len + 4096);
    struct tc_csv_row *rows;
    size_t n = 0, bad = utf8_end(bytes, len);
    char *text;
    enum tc_status st;

    if (bad < len) {
        size_t line = 1;
        for (size_t i = 0; i < bad; i++)
            line += bytes[i] == '\n';
        tc_arena_destroy(arena);
        return tc_fail(err, TC_EINVAL,
                       "media file \"%s\" is not UTF-8 text (line %zu); save it as "
                       "\"CSV UTF-8\"",
                       name, line);
    }
    if (arena == NULL || (text = tc_arena_alloc(arena, len + 1)) == NULL) {
        tc_arena_destroy(arena);
        return tc_fail(err, TC_ENOMEM, "out of memory");
    }
    memcpy(text, bytes, len);
    text[len] = '\0';
    st = tc_csv_parse(text, len, name, arena, &rows, &n, err);
    if (st == TC_OK && n == 0)
        st = tc_fail(err, TC_EINVAL, "media file \"%s\" is empty: a CSV file needs a header row",
                     name);
    tc_arena_destroy(arena);
    return st;
}

static enum tc_status
check_xml(const char *name, const unsigned char *bytes, size_t len, struct tc_error *err)
{
    struct tc_xml_fault fault;
    xmlDocPtr doc = tc_xml_parse((const char *)bytes, len, name, &fault);

    if (doc != NULL) {
        xmlFreeDoc(doc);
        return TC_OK;
    }
    if (fault.doctype)
        return tc_fail(err, TC_EINVAL, "media file \"%s\" has a DOCTYPE (line %d): not allowed",
                       name, fault.line);
    return tc_fail(err, TC_EINVAL, "media file \"%s\" is not well-formed XML: line %d: %s", name,
                   fault.line, fault.message);
}

enum tc_status
tc_form_media_check(const char *name, const unsigned char *bytes, size_t len, struct tc_error *err)
{
    const char *dot = strrchr(name, '.');

    if (dot != NULL && strcasecmp(dot, ".csv") == 0)
        return check_csv(name, bytes, len, err);
    if (dot != NULL && strcasecmp(dot, ".xml") == 0)
        return check_xml(name, bytes, len, err);
    return TC_OK;
}
