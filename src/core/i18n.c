#include "tincay/i18n.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mo.h"
#include "tincay/embedded.h"

static const char *const lang_names[TC_LANG_COUNT] = {"vi", "en"};

/* Open the embedded catalogue of `lang`; an empty one (every lookup misses) if absent. */
static void
catalogue(enum tc_lang lang, struct tc_mo *mo)
{
    char name[8];

    memset(mo, 0, sizeof(*mo));
    (void)snprintf(name, sizeof(name), "%s.mo", tc_lang_name(lang));
    for (size_t i = 0; i < tc_catalogs_count; i++) {
        if (strcmp(tc_catalogs[i].name, name) == 0) {
            tc_mo_open(mo, tc_catalogs[i].data, tc_catalogs[i].len);
            return;
        }
    }
}

/*
 * The catalogue is read in place on every call: opening it is a few header reads, the
 * lookup a binary search, and there is no state to initialise or share between threads.
 */
const char *
tc_tr(enum tc_lang lang, const char *msgid)
{
    struct tc_mo mo;
    const char *translation;

    if (msgid == NULL || msgid[0] == '\0') /* "" names the catalogue's header entry */
        return msgid;
    catalogue(lang, &mo);
    translation = tc_mo_lookup(&mo, msgid);
    return translation != NULL && translation[0] != '\0' ? translation : msgid;
}

int
tc_i18n_check(void)
{
    if (tc_catalogs_count != TC_LANG_COUNT)
        return -1;
    for (size_t i = 0; i < tc_catalogs_count; i++) {
        struct tc_mo mo;

        if (tc_mo_open(&mo, tc_catalogs[i].data, tc_catalogs[i].len) != 0 || tc_mo_check(&mo) != 0)
            return -1;
    }
    return 0;
}

const char *
tc_lang_name(enum tc_lang lang)
{
    return (unsigned int)lang < TC_LANG_COUNT ? lang_names[lang] : lang_names[TC_LANG_VI];
}

int
tc_lang_parse(const char *name, enum tc_lang *out)
{
    for (int i = 0; i < TC_LANG_COUNT; i++) {
        size_t n = strlen(lang_names[i]);

        if (strncasecmp(name, lang_names[i], n) == 0 &&
            (name[n] == '\0' || name[n] == '-' || name[n] == '_')) {
            *out = (enum tc_lang)i;
            return 0;
        }
    }
    return -1;
}

/* [s, end) without surrounding spaces and tabs. */
static void
trim(const char **s, const char **end)
{
    while (*s < *end && isspace((unsigned char)**s))
        (*s)++;
    while (*end > *s && isspace((unsigned char)(*end)[-1]))
        (*end)--;
}

/*
 * RFC 9110 qvalue in [s, end) as thousandths: "0", "0.5", "0.125", "1", "1.000".
 * Returns -1 for anything else, so a malformed weight drops its item.
 */
static int
parse_qvalue(const char *s, const char *end)
{
    int value, scale = 100;

    if (s == end || (*s != '0' && *s != '1'))
        return -1;
    value = (*s++ - '0') * 1000;
    if (s < end && *s++ != '.')
        return -1;
    if (end - s > 3)
        return -1;
    for (; s < end; s++, scale /= 10) {
        if (!isdigit((unsigned char)*s))
            return -1;
        value += (*s - '0') * scale;
    }
    return value <= 1000 ? value : -1;
}

/* Parse one "tag;q=0.8" item of [start, end) into a language and a weight in 0..1000. */
static int
parse_item(const char *start, const char *end, enum tc_lang *lang, int *weight)
{
    char tag[16];
    const char *semi = memchr(start, ';', (size_t)(end - start));
    const char *tag_end = semi != NULL ? semi : end;

    trim(&start, &tag_end);
    if (tag_end == start || (size_t)(tag_end - start) >= sizeof(tag))
        return -1;
    memcpy(tag, start, (size_t)(tag_end - start));
    tag[tag_end - start] = '\0';
    if (tc_lang_parse(tag, lang) != 0)
        return -1;
    *weight = 1000;
    while (semi != NULL) {
        const char *param = semi + 1, *param_end;

        semi = memchr(param, ';', (size_t)(end - param));
        param_end = semi != NULL ? semi : end;
        trim(&param, &param_end);
        if (param_end - param >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=')
            *weight = parse_qvalue(param + 2, param_end);
    }
    return *weight >= 0 ? 0 : -1;
}

enum tc_lang
tc_lang_from_accept(const char *header, enum tc_lang fallback)
{
    enum tc_lang best = fallback;
    int best_weight = 0;

    if (header == NULL)
        return fallback;
    for (const char *p = header; *p != '\0';) {
        const char *end = strchr(p, ',');
        enum tc_lang lang;
        int weight;

        if (end == NULL)
            end = p + strlen(p);
        if (parse_item(p, end, &lang, &weight) == 0 && weight > best_weight) {
            best = lang;
            best_weight = weight;
        }
        p = *end == ',' ? end + 1 : end;
    }
    return best;
}
