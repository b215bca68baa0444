/*
 * libFuzzer: ruleset bytes → tc_ruleset_load against a small form, and, when it loads,
 * one evaluation on a fixed submission (every compiled expression runs once).
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tincay/arena.h"
#include "tincay/form.h"
#include "tincay/rules.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char form_xml[] =
    "<h:html xmlns=\"http://www.w3.org/2002/xforms\" xmlns:h=\"http://www.w3.org/1999/xhtml\" "
    "xmlns:tc=\"urn:tincay:xforms\"><h:head><h:title>f</h:title><model>"
    "<instance><data id=\"f\"><commune/><name/><n/><g><m/></g><r><x/></r><secret/></data>"
    "</instance><bind nodeset=\"/data/n\" type=\"int\"/>"
    "<bind nodeset=\"/data/secret\" type=\"string\" tc:protect=\"personal\"/>"
    "</model></h:head><h:body/></h:html>";

static const char submission_xml[] =
    "<data id=\"f\"><commune>post2025:03390</commune><name>A</name><n>7</n><g><m>x y</m></g>"
    "<r><x>1</x></r><r><x>2</x></r></data>";

static struct tc_form_model *form;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    (void)argc;
    (void)argv;
    tc_xml_init();
    if (tc_form_load(form_xml, sizeof(form_xml) - 1, &form, &err) != TC_OK)
        abort();
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_score_facts facts = {.area_kv = "III", .area_verified = true};
    struct tc_ruleset *rs = NULL;
    struct tc_rules_doc *doc = NULL;
    struct tc_arena *arena;
    struct tc_score score;

    if (size > TC_RULESET_MAX_BYTES)
        return -1;
    if (tc_ruleset_load((const char *)data, size, form, &rs, &err) != TC_OK) {
        if (rs != NULL || err.msg[0] == '\0')
            abort(); /* a refusal always says why and leaves nothing */
        return 0;
    }
    if ((arena = tc_arena_create(0)) == NULL ||
        tc_rules_doc_from_xml(submission_xml, sizeof(submission_xml) - 1, &doc, &err) != TC_OK)
        abort();
    if (tc_rules_eval(rs, doc, &facts, arena, &score, &err) == TC_OK) {
        /* points never leave [0, max] and the total is their sum */
        double sum = 0;
        for (size_t i = 0; i < score.n_points; i++) {
            if (score.points[i].points < 0 || score.points[i].points > score.points[i].max)
                abort();
            sum += score.points[i].points;
        }
        if (sum - score.total > 0.01 || score.total - sum > 0.01)
            abort();
        if (tc_score_gates_json(&score, arena) == NULL ||
            tc_score_points_json(&score, arena) == NULL)
            abort();
    }
    tc_rules_doc_free(doc);
    tc_arena_destroy(arena);
    tc_ruleset_free(rs);
    return 0;
}
