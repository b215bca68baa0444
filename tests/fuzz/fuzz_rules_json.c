/*
 * libFuzzer: bytes → tc_rules_doc_from_json, the reader of stored values JSON that rebuilds
 * the instance a ruleset reads. A refusal says why; an accepted document has its root.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tincay/form.h"
#include "tincay/rules.h"

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
    struct tc_rules_doc *doc = NULL;
    char *text;

    if (size > 256 * 1024 || (text = malloc(size + 1)) == NULL)
        return -1;
    memcpy(text, data, size);
    text[size] = '\0'; /* stored JSON is text: no NUL inside */
    if (tc_rules_doc_from_json(text, "data", &doc, &err) != TC_OK) {
        if (doc != NULL || err.msg[0] == '\0')
            abort();
    }
    tc_rules_doc_free(doc);
    free(text);
    return 0;
}
