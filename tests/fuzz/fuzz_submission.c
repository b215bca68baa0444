/* libFuzzer: submission bytes → tc_submission_parse against a fixed small form. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tincay/arena.h"
#include "tincay/form.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char form_xml[] =
    "<h:html xmlns=\"http://www.w3.org/2002/xforms\" xmlns:h=\"http://www.w3.org/1999/xhtml\" "
    "xmlns:jr=\"http://openrosa.org/javarosa\" xmlns:tc=\"urn:tincay:xforms\">"
    "<h:head><model><itext><translation lang=\"English (en)\">"
    "<text id=\"m\"><value>too many</value></text></translation></itext>"
    "<instance><data id=\"fz\" version=\"1\"><commune/><name/><age/><when/><where/>"
    "<pick/><picks/><photo/><kid jr:template=\"\"><kname/><kage/></kid>"
    "<meta><instanceID/></meta></data></instance>"
    "<instance id=\"l\"><root><item><name>a</name></item><item><name>b</name></item></root>"
    "</instance>"
    "<bind nodeset=\"/data/commune\" type=\"string\" tc:role=\"commune\" tc:report=\"true\"/>"
    "<bind nodeset=\"/data/name\" type=\"string\" required=\"true()\" tc:protect=\"personal\"/>"
    "<bind nodeset=\"/data/age\" type=\"int\" constraint=\". &lt; 120\" "
    "jr:constraintMsg=\"jr:itext('m')\"/>"
    "<bind nodeset=\"/data/when\" type=\"dateTime\" constraint=\". &lt;= now() and . &gt; "
    "date('2000-01-01')\"/>"
    "<bind nodeset=\"/data/where\" type=\"geopoint\"/>"
    "<bind nodeset=\"/data/pick\" type=\"select1\" relevant=\"/data/age &gt; 3\"/>"
    "<bind nodeset=\"/data/picks\" type=\"select\" constraint=\"count-selected(.) &lt; 3 and "
    "regex(., '^[ab ]*$') and selected-at(., 0) != ''\"/>"
    "<bind nodeset=\"/data/photo\" type=\"binary\"/>"
    "<bind nodeset=\"/data/kid/kage\" type=\"int\" required=\"true()\" "
    "relevant=\"../kname != '' and position(..) &lt; 5\" "
    "constraint=\". &lt;= max(/data/age, 0) and format-date(/data/when, '%Y') != ''\"/>"
    "</model></h:head><h:body>"
    "<select1 ref=\"/data/pick\"><item><label>A</label><value>a</value></item></select1>"
    "<select ref=\"/data/picks\"><itemset nodeset=\"instance('l')/root/item\">"
    "<value ref=\"name\"/><label ref=\"name\"/></itemset></select>"
    "<repeat nodeset=\"/data/kid\"/></h:body></h:html>";

static struct tc_form_model *model;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);

    (void)argc;
    (void)argv;
    tc_xml_init();
    if (tc_form_load(form_xml, strlen(form_xml), &model, &err) != TC_OK)
        abort();
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_arena *arena = tc_arena_create(16 * 1024);
    struct tc_submission *sub = NULL;
    enum tc_status st;

    if (arena == NULL)
        return 0;
    st = tc_submission_parse((const char *)data, size, model, TC_LANG_VI, arena, &sub, &err);
    if (st == TC_OK) {
        /* Invariants: JSON present, protected values classed, findings and names sound. */
        if (sub == NULL || sub->values_json == NULL)
            abort();
        for (size_t i = 0; i < sub->n_protected; i++)
            if (sub->protected_values[i].protect == TC_PROTECT_NONE)
                abort();
        for (size_t i = 0; i < sub->n_findings; i++)
            if (sub->findings[i].path == NULL || sub->findings[i].message == NULL)
                abort();
        for (size_t i = 0; i < sub->n_attachments; i++)
            if (strchr(sub->attachments[i], '/') != NULL || sub->attachments[i][0] == '.')
                abort();
    } else if (sub != NULL || err.msg[0] == '\0') {
        abort();
    }
    tc_arena_destroy(arena);
    return 0;
}
