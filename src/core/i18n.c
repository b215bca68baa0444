#include "tincay/i18n.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const lang_names[TC_LANG_COUNT] = {"vi", "en"};

const char *
tc_tr(enum tc_lang lang, const char *msgid)
{
    (void)lang; /* the catalogue lookup lands with po/ (issue 2, i18n) */
    return msgid;
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

/* Parse one "tag;q=0.8" item of [start, end) into a language and a weight in 0..1000. */
static int
parse_item(const char *start, const char *end, enum tc_lang *lang, int *weight)
{
    char tag[16];
    size_t n = 0;
    const char *q;

    while (start < end && isspace((unsigned char)*start))
        start++;
    while (start + n < end && start[n] != ';' && !isspace((unsigned char)start[n]))
        n++;
    if (n == 0 || n >= sizeof(tag))
        return -1;
    memcpy(tag, start, n);
    tag[n] = '\0';
    if (tc_lang_parse(tag, lang) != 0)
        return -1;
    *weight = 1000;
    for (q = start + n; q + 2 < end; q++) {
        if (q[0] == 'q' && q[1] == '=') {
            double w = strtod(q + 2, NULL);

            *weight = w <= 0 ? 0 : w >= 1 ? 1000 : (int)(w * 1000);
            break;
        }
    }
    return 0;
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
