#ifndef TC_URLENCODED_H
#define TC_URLENCODED_H

#include <stddef.h>

#include "tincay/status.h"

struct tc_arena;

/*
 * application/x-www-form-urlencoded bodies, as browsers post HTML forms: "a=1&b=x+y%21".
 * Names and values are decoded ('+' is a space, %XX a byte) into the arena; the result
 * must be UTF-8 without NUL or other control characters except tab, CR and LF in values.
 */

#define TC_URLENCODED_MAX_FIELDS 64

struct tc_form_field {
    const char *name;
    char *value; /* writable, so a password can be wiped after use */
    size_t value_len;
};

struct tc_form_data {
    struct tc_form_field fields[TC_URLENCODED_MAX_FIELDS];
    size_t n;
};

/*
 * Decode `len` bytes of `body` (need not be NUL-terminated). Empty pieces ("a=1&&b=2")
 * are skipped; a piece without '=' is a name with an empty value. TC_EBADREQ for a bad
 * %-escape, invalid UTF-8, a control character, an empty name or more than
 * TC_URLENCODED_MAX_FIELDS fields; TC_ENOMEM.
 */
enum tc_status tc_urlencoded_parse(const char *body, size_t len, struct tc_arena *arena,
                                   struct tc_form_data *out, struct tc_error *err);

/* The value of the first field called `name`, or NULL. */
const char *tc_form_get(const struct tc_form_data *form, const char *name);

/* As tc_form_get, with the field itself (for the length, and to wipe it). */
struct tc_form_field *tc_form_field(struct tc_form_data *form, const char *name);

/* Overwrite every value with zeros (the form held a password). Accepts NULL. */
void tc_form_wipe(struct tc_form_data *form);

#endif /* TC_URLENCODED_H */
