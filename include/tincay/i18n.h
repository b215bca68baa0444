#ifndef TC_I18N_H
#define TC_I18N_H

#include <stddef.h>

/*
 * Languages of the interface. Vietnamese is the default everywhere a person is not
 * known to prefer English. Catalogues are gettext's (po/vi.po, po/en.po), compiled with
 * msgfmt at build time and embedded, so no system locale is needed and each request
 * picks its own language without touching process-wide state.
 */
enum tc_lang { TC_LANG_VI = 0, TC_LANG_EN = 1, TC_LANG_COUNT };

/*
 * The translation of `msgid` in `lang`, or `msgid` itself when the catalogue has none.
 * Never NULL for a non-NULL msgid; the result has static storage.
 */
const char *tc_tr(enum tc_lang lang, const char *msgid);

/*
 * Check every embedded catalogue (well-formed .mo, every entry in bounds, sorted).
 * Returns 0, or -1 naming nothing: a build that embeds a bad catalogue is a bug.
 */
int tc_i18n_check(void);

/* Mark a string for extraction without translating it here (xgettext keyword). */
#define TC_N_(msgid) (msgid)

/*
 * The language an Accept-Language header asks for, honouring q-values: "vi" or "en"
 * (any region), else `fallback`. `header` may be NULL.
 */
enum tc_lang tc_lang_from_accept(const char *header, enum tc_lang fallback);

/* "vi" or "en". */
const char *tc_lang_name(enum tc_lang lang);

/* Parse "vi"/"en" (any region suffix); returns 0, or -1 for anything else. */
int tc_lang_parse(const char *name, enum tc_lang *out);

#endif /* TC_I18N_H */
