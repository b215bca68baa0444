/*
 * libFuzzer target: the CSV reader (tincay/csv.h) of administrators' files and of forms'
 * CSV media, and those media as an external instance of a form being validated.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tincay/arena.h"
#include "tincay/csv.h"
#include "tincay/form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char form[] =
    "<h:html xmlns=\"http://www.w3.org/2002/xforms\" xmlns:h=\"http://www.w3.org/1999/xhtml\">"
    "<h:head><h:title>f</h:title><model><instance><data id=\"f\"><c/><v/></data></instance>"
    "<instance id=\"list\" src=\"jr://file-csv/list.csv\"/>"
    "<bind nodeset=\"/data/v\" type=\"select1\""
    " relevant=\"count(instance('list')/root/item[c = /data/c]) &gt; 0\"/></model></h:head>"
    "<h:body><select1 ref=\"/data/v\"><label>v</label><itemset nodeset=\"instance('list')/root/"
    "item[c = /data/c]\"><value ref=\"name\"/><label ref=\"label\"/></itemset></select1></h:body>"
    "</h:html>";

struct bytes {
    const uint8_t *data;
    size_t size;
};

static enum tc_status
media(void *ctx, const char *name, const unsigned char **bytes, size_t *len, struct tc_error *err)
{
    const struct bytes *b = ctx;

    (void)name;
    (void)err;
    *bytes = b->data;
    *len = b->size;
    return TC_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tc_arena *arena = tc_arena_create(4096);
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct bytes b = {data, size};
    struct tc_csv_row *rows;
    struct tc_form_model *model = NULL;
    struct tc_submission *sub = NULL;
    static const char xml[] = "<data id=\"f\"><c>1</c><v>a</v></data>";
    char *text;
    size_t n = 0;

    if (arena == NULL || (text = tc_arena_alloc(arena, size + 1)) == NULL) {
        tc_arena_destroy(arena);
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    if (tc_csv_parse(text, size, "fuzz", arena, &rows, &n, &err) == TC_OK) {
        /* Every field is text inside the input's bytes, never longer than it. */
        for (size_t r = 0; r < n; r++)
            for (size_t f = 0; f < rows[r].n; f++)
                if (strlen(rows[r].fields[f]) > size)
                    __builtin_trap();
    }
    if (tc_form_load_with_media(form, strlen(form), media, &b, &model, &err) != TC_OK)
        __builtin_trap(); /* a file that does not read is left out, never a failed load */
    (void)tc_submission_parse(xml, strlen(xml), model, TC_LANG_EN, arena, &sub, &err);
    tc_form_model_free(model);
    tc_arena_destroy(arena);
    return 0;
}
