#ifndef TC_QR_H
#define TC_QR_H

#include <stdbool.h>

#include "tincay/status.h"

struct tc_strbuf;

/*
 * The configuration QR code ODK Collect scans to set up a project in one step. Collect
 * reads base64(zlib(JSON)) where the JSON has the sections "general" (server and form
 * management), "admin" (protected settings) and "project" (name, icon, colour); any key
 * left out is reset to Collect's default.
 */

struct tc_collect_settings {
    const char *server_url; /* TINCAY_PUBLIC_URL + "/key/" + the app user's token */
    bool delete_after_send; /* a Trusted Address unit's phone keeps no sent form */
};

/*
 * Append to `out` the payload of `s`: the settings JSON, zlib-compressed, in standard
 * base64 with padding. The intermediate copies are wiped (the URL holds a token).
 * TC_EINVAL for an empty server URL, TC_ENOMEM.
 */
enum tc_status tc_qr_collect_payload(const struct tc_collect_settings *s, struct tc_strbuf *out,
                                     struct tc_error *err);

/*
 * Append to `out` an <svg> element drawing `text` as a QR code (byte mode, error
 * correction M, a quiet zone of 4 modules): one path of the dark modules, no script and
 * no style attribute, so it passes the strict CSP inline. `label` (escaped) becomes the
 * image's accessible name. TC_EINVAL when `text` does not fit in a QR code, TC_ENOMEM.
 */
enum tc_status tc_qr_svg(const char *text, const char *label, struct tc_strbuf *out,
                         struct tc_error *err);

#endif /* TC_QR_H */
