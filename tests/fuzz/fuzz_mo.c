#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Any bytes as a .mo catalogue: opening, checking, walking every entry and looking up
 * each msgid found (and some that are absent) must never read outside the buffer.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tc_mo mo;
    const char *msgid, *translation;

    if (tc_mo_open(&mo, data, size) != 0)
        return 0;
    (void)tc_mo_check(&mo);
    for (uint32_t i = 0; i < mo.n_strings && i < 4096; i++) {
        if (tc_mo_entry(&mo, i, &msgid, &translation) == 0 && tc_mo_lookup(&mo, msgid) == NULL &&
            tc_mo_check(&mo) == 0)
            abort(); /* a checked catalogue must find each of its own msgids */
    }
    (void)tc_mo_lookup(&mo, "");
    (void)tc_mo_lookup(&mo, "not found");
    (void)tc_mo_lookup(&mo, "\xff\xff\xff");
    return 0;
}
