/* The one place that parses untrusted XML: hardened options, no entities, no DOCTYPE. */

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "form/form_internal.h"

/* Never NOENT, DTDLOAD, DTDATTR, DTDVALID, XINCLUDE or HUGE (security-reliability.md §3). */
#define TC_XML_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOCDATA)

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static xmlParserInputPtr
refuse_entity(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    (void)url;
    (void)id;
    (void)ctxt;
    return NULL; /* no external entity or DTD is ever loaded */
}

static void
drop_error(void *data, xmlErrorPtr error)
{
    (void)data;
    (void)error;
}

static void
drop_generic(void *data, const char *fmt, ...)
{
    (void)data;
    (void)fmt;
}

void
tc_xml_quiet_thread(void)
{
    xmlSetGenericErrorFunc(NULL, drop_generic);
    xmlSetStructuredErrorFunc(NULL, drop_error);
}

static void
xml_init_once(void)
{
    xmlInitParser();
    xmlSetExternalEntityLoader(refuse_entity);
    tc_xml_quiet_thread();
}

void
tc_xml_init(void)
{
    pthread_once(&xml_once, xml_init_once);
}

/* Structured error handler of one parse: keep the first error with its line. */
static void
record_error(void *data, xmlErrorPtr error)
{
    xmlParserCtxtPtr ctxt = data;
    struct tc_xml_fault *fault = ctxt != NULL ? ctxt->_private : NULL;
    size_t n;

    if (fault == NULL || error == NULL || error->level < XML_ERR_ERROR ||
        fault->message[0] != '\0' || error->domain == XML_FROM_NAMESPACE)
        return;
    snprintf(fault->message, sizeof(fault->message), "%s",
             error->message != NULL ? error->message : "XML error");
    n = strlen(fault->message);
    while (n > 0 && (fault->message[n - 1] == '\n' || fault->message[n - 1] == ' '))
        fault->message[--n] = '\0';
    fault->line = error->line;
}

/* SAX internalSubset: a DOCTYPE is refused before any declaration in it is read. */
static void
stop_at_doctype(void *data, const xmlChar *name, const xmlChar *external_id,
                const xmlChar *system_id)
{
    xmlParserCtxtPtr ctxt = data;
    struct tc_xml_fault *fault = ctxt->_private;

    (void)name;
    (void)external_id;
    (void)system_id;
    fault->doctype = true;
    fault->line = ctxt->input != NULL ? ctxt->input->line : 0;
    xmlStopParser(ctxt);
}

xmlDocPtr
tc_xml_parse(const char *xml, size_t len, const char *url, struct tc_xml_fault *fault)
{
    xmlParserCtxtPtr ctxt;
    xmlDocPtr doc;

    tc_xml_init();
    tc_xml_quiet_thread();
    memset(fault, 0, sizeof(*fault));
    if (len > (size_t)__INT_MAX__) {
        snprintf(fault->message, sizeof(fault->message), "document too large");
        return NULL;
    }
    if ((ctxt = xmlNewParserCtxt()) == NULL) {
        snprintf(fault->message, sizeof(fault->message), "out of memory");
        return NULL;
    }
    ctxt->_private = fault;
    ctxt->sax->serror = record_error;
    ctxt->sax->internalSubset = stop_at_doctype;
    ctxt->sax->externalSubset = NULL;
    doc = xmlCtxtReadMemory(ctxt, xml, (int)len, url, NULL, TC_XML_OPTIONS);
    if (doc != NULL &&
        (fault->doctype || !ctxt->wellFormed || doc->intSubset != NULL || doc->extSubset != NULL)) {
        fault->doctype = fault->doctype || doc->intSubset != NULL || doc->extSubset != NULL;
        xmlFreeDoc(doc);
        doc = NULL;
    }
    if (doc == NULL && !fault->doctype && fault->message[0] == '\0')
        snprintf(fault->message, sizeof(fault->message), "not well-formed");
    xmlFreeParserCtxt(ctxt);
    return doc;
}

void *
tc_form_vec_push(struct tc_arena *arena, void **items, size_t *n, size_t *cap, size_t size)
{
    if (*n == *cap) {
        size_t grown = *cap ? *cap * 2 : 8;
        void *fresh = tc_arena_calloc(arena, grown, size);

        if (fresh == NULL)
            return NULL;
        if (*n > 0)
            memcpy(fresh, *items, *n * size);
        *items = fresh;
        *cap = grown;
    }
    return (char *)*items + (*n)++ * size;
}
