/* libFuzzer: XForm bytes → tc_form_load, exactly as the server loads a form definition. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tincay/form.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    tc_xml_init();
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_form_model *m = NULL;

    if (size > 512 * 1024)
        return -1;
    if (tc_form_load((const char *)data, size, &m, &err) != TC_OK) {
        if (m != NULL || err.msg[0] == '\0')
            abort(); /* a refusal always says why and leaves no model */
        return 0;
    }
    /* Invariants of a loaded model: an id, fields that can be found by their path. */
    if (tc_form_id(m)[0] == '\0' || tc_form_field_count(m) == 0)
        abort();
    for (size_t i = 0; i < tc_form_field_count(m); i++) {
        const struct tc_form_field *f = tc_form_field_at(m, i);
        if (tc_form_field_find(m, f->path) != f || f->path[0] != '/')
            abort();
        for (size_t c = 0; c < f->n_choices; c++)
            if (f->choices[c].value == NULL || f->choices[c].label == NULL)
                abort();
    }
    for (size_t i = 0; i < tc_form_media_count(m); i++)
        if (strlen(tc_form_media(m, i)) == 0)
            abort();
    tc_form_model_free(m);
    return 0;
}
