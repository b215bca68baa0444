/* libFuzzer target: the application/x-www-form-urlencoded decoder of login and web forms. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tincay/arena.h"
#include "web/urlencoded.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tc_arena *arena = tc_arena_create(4096);
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_form_data form;

    if (arena == NULL)
        return 0;
    if (tc_urlencoded_parse((const char *)data, size, arena, &form, &err) == TC_OK) {
        /* Every decoded value is NUL-terminated at its length and never longer than the input. */
        for (size_t i = 0; i < form.n; i++) {
            if (strlen(form.fields[i].value) != form.fields[i].value_len ||
                form.fields[i].value_len > size || form.fields[i].name[0] == '\0')
                __builtin_trap();
            if (tc_form_get(&form, form.fields[i].name) == NULL)
                __builtin_trap();
        }
        tc_form_wipe(&form);
    }
    tc_arena_destroy(arena);
    return 0;
}
