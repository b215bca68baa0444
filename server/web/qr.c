#include "web/qr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <qrencode.h>
#include <sodium.h>
#include <zlib.h>

#include "tincay/strbuf.h"
#include "web/html.h"

#define QUIET_ZONE  4 /* modules of white around the symbol, as ISO/IEC 18004 asks */
#define MODULE_PX   4 /* drawn size of one module, in CSS pixels */
#define PAYLOAD_MAX 2048

/*
 * The settings of a tincay project in Collect. Format: ODK's "Importing and exporting
 * settings" (docs.getodk.org/collect-import-export): base64(zlib(json)) with sections
 * general, admin and project; the same as ODK's example script
 * (gist.github.com/lognaturel/3a70ecba87dc881cdedb159ccd431b07). Keys of the general
 * section as Collect names them (getodk/collect, PreferenceKeys: KEY_SERVER_URL
 * "server_url", KEY_AUTOSEND "autosend", KEY_DELETE_AFTER_SEND "delete_send"; and
 * "form_update_mode" with "match_exactly", which makes the phone mirror the server's
 * form list).
 */
static json_t *
settings_json(const struct tc_collect_settings *s)
{
    json_t *general = json_pack("{s:s, s:s, s:s}", "server_url", s->server_url, "form_update_mode",
                                "match_exactly", "autosend", "wifi_and_cellular");

    if (general != NULL && s->delete_after_send &&
        json_object_set_new(general, "delete_send", json_true()) != 0) {
        json_decref(general);
        return NULL;
    }
    return json_pack("{s:o, s:{}, s:{s:s, s:s, s:s}}", "general", general, "admin", "project",
                     "name", "tincay", "icon", "T", "color", "#1565c0");
}

enum tc_status
tc_qr_collect_payload(const struct tc_collect_settings *s, struct tc_strbuf *out,
                      struct tc_error *err)
{
    json_t *root = NULL;
    char *text = NULL;
    unsigned char *packed = NULL;
    char *b64 = NULL;
    uLongf packed_len = 0;
    size_t text_len = 0, b64_size = 0;
    enum tc_status st = TC_ENOMEM;

    if (s->server_url == NULL || s->server_url[0] == '\0')
        return tc_fail(err, TC_EINVAL, "the server URL of the settings is empty");
    if ((root = settings_json(s)) == NULL ||
        (text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
        goto out;
    text_len = strlen(text);
    packed_len = compressBound((uLong)text_len);
    if ((packed = malloc(packed_len)) == NULL)
        goto out;
    if (compress2(packed, &packed_len, (const Bytef *)text, (uLong)text_len, Z_BEST_COMPRESSION) !=
        Z_OK)
        goto out;
    b64_size = sodium_base64_ENCODED_LEN(packed_len, sodium_base64_VARIANT_ORIGINAL);
    if (b64_size > PAYLOAD_MAX || (b64 = malloc(b64_size)) == NULL)
        goto out;
    sodium_bin2base64(b64, b64_size, packed, packed_len, sodium_base64_VARIANT_ORIGINAL);
    tc_strbuf_appends(out, b64);
    st = tc_strbuf_failed(out) ? TC_ENOMEM : TC_OK;
out:
    if (st != TC_OK)
        tc_fail(err, st, "out of memory");
    if (text != NULL) {
        sodium_memzero(text, text_len);
        free(text);
    }
    if (packed != NULL) {
        sodium_memzero(packed, compressBound((uLong)text_len));
        free(packed);
    }
    if (b64 != NULL) {
        sodium_memzero(b64, b64_size);
        free(b64);
    }
    json_decref(root);
    return st;
}

/* The dark modules of row `y` as runs: "M x y h n v1 h -n z" for each. */
static void
svg_row(const QRcode *qr, int y, struct tc_strbuf *out)
{
    const unsigned char *row = qr->data + (size_t)y * (size_t)qr->width;

    for (int x = 0; x < qr->width;) {
        int run = 0;

        while (x + run < qr->width && (row[x + run] & 1u) != 0)
            run++;
        if (run == 0) {
            x++;
            continue;
        }
        tc_strbuf_appendf(out, "M%d %dh%dv1h-%dz", x + QUIET_ZONE, y + QUIET_ZONE, run, run);
        x += run;
    }
}

enum tc_status
tc_qr_svg(const char *text, const char *label, struct tc_strbuf *out, struct tc_error *err)
{
    QRcode *qr;
    int size;

    errno = 0;
    qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (qr == NULL)
        return errno == ENOMEM ? tc_fail(err, TC_ENOMEM, "out of memory")
                               : tc_fail(err, TC_EINVAL, "the text is too long for a QR code");
    size = qr->width + 2 * QUIET_ZONE;
    tc_strbuf_appendf(out,
                      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr\" role=\"img\" "
                      "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
                      "shape-rendering=\"crispEdges\"",
                      size, size, size * MODULE_PX, size * MODULE_PX);
    tc_html_attr(out, "aria-label", label);
    tc_strbuf_appendf(out,
                      "><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" "
                      "d=\"",
                      size, size);
    for (int y = 0; y < qr->width; y++)
        svg_row(qr, y, out);
    tc_strbuf_appends(out, "\"/></svg>");
    QRcode_free(qr);
    return tc_strbuf_failed(out) ? tc_fail(err, TC_ENOMEM, "out of memory") : TC_OK;
}
