#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <qrencode.h>
#include <sodium.h>
#include <zlib.h>

#include "tincay/strbuf.h"
#include "web/qr.h"

#define URL "https://survey.hoilhpn.example/key/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde"

/* What Collect does with a scanned payload: base64, then zlib, then JSON. */
static json_t *
decode_payload(const char *payload)
{
    unsigned char packed[2048];
    char text[8192];
    size_t packed_len = 0;
    uLongf text_len = sizeof(text) - 1;

    assert_int_equal(sodium_base642bin(packed, sizeof(packed), payload, strlen(payload), NULL,
                                       &packed_len, NULL, sodium_base64_VARIANT_ORIGINAL),
                     0);
    assert_int_equal(uncompress((Bytef *)text, &text_len, packed, (uLong)packed_len), Z_OK);
    text[text_len] = '\0';
    return json_loads(text, 0, NULL);
}

static json_t *
payload_of(bool delete_after_send)
{
    struct tc_collect_settings s = {.server_url = URL, .delete_after_send = delete_after_send};
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_strbuf sb = TC_STRBUF_INIT(4096);
    json_t *root;

    assert_int_equal(tc_qr_collect_payload(&s, &sb, &err), TC_OK);
    /* Standard base64 with padding: only its alphabet. */
    assert_int_equal(strspn(tc_strbuf_str(&sb), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
                                                "wxyz0123456789+/="),
                     strlen(tc_strbuf_str(&sb)));
    root = decode_payload(tc_strbuf_str(&sb));
    tc_strbuf_cleanup(&sb);
    assert_non_null(root);
    return root;
}

static void
payload_is_base64_zlib_json_of_collect_settings(void **state)
{
    json_t *root = payload_of(false);
    json_t *general = json_object_get(root, "general");
    json_t *project = json_object_get(root, "project");

    (void)state;
    assert_true(json_is_object(general));
    assert_string_equal(json_string_value(json_object_get(general, "server_url")), URL);
    assert_string_equal(json_string_value(json_object_get(general, "form_update_mode")),
                        "match_exactly");
    assert_string_equal(json_string_value(json_object_get(general, "autosend")),
                        "wifi_and_cellular");
    assert_null(json_object_get(general, "delete_send"));
    assert_true(json_is_object(json_object_get(root, "admin")));
    assert_int_equal(json_object_size(json_object_get(root, "admin")), 0);
    assert_string_equal(json_string_value(json_object_get(project, "name")), "tincay");
    assert_string_equal(json_string_value(json_object_get(project, "icon")), "T");
    assert_string_equal(json_string_value(json_object_get(project, "color")), "#1565c0");
    json_decref(root);
}

static void
unit_phone_deletes_forms_after_sending(void **state)
{
    json_t *root = payload_of(true);

    (void)state;
    assert_true(json_is_true(json_object_get(json_object_get(root, "general"), "delete_send")));
    json_decref(root);
}

static void
empty_server_url_is_refused(void **state)
{
    struct tc_collect_settings s = {.server_url = ""};
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_strbuf sb = TC_STRBUF_INIT(4096);

    (void)state;
    assert_int_equal(tc_qr_collect_payload(&s, &sb, &err), TC_EINVAL);
    assert_string_equal(tc_strbuf_str(&sb), "");
    tc_strbuf_cleanup(&sb);
}

/* Mark the modules a path of "Mx yhNv1h-Nz" runs paints. */
static void
paint_path(const char *d, unsigned char *grid, int size)
{
    int x, y, n, m, used;

    while (*d != '\0') {
        assert_int_equal(sscanf(d, "M%d %dh%dv1h-%dz%n", &x, &y, &n, &m, &used), 4);
        assert_int_equal(n, m);
        assert_true(x >= 0 && y >= 0 && n > 0 && x + n <= size && y < size);
        for (int i = 0; i < n; i++) {
            assert_int_equal(grid[y * size + x + i], 0); /* runs never overlap */
            grid[y * size + x + i] = 1;
        }
        d += used;
    }
}

static void
svg_draws_exactly_the_modules_of_the_symbol(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_strbuf sb = TC_STRBUF_INIT(1 << 20);
    QRcode *qr = QRcode_encodeString8bit(URL, 0, QR_ECLEVEL_M);
    const char *svg, *d, *end;
    char viewbox[64], *path;
    unsigned char *grid;
    int size;

    (void)state;
    assert_non_null(qr);
    size = qr->width + 8;
    assert_int_equal(tc_qr_svg(URL, "QR <code> \"x\"", &sb, &err), TC_OK);
    svg = tc_strbuf_str(&sb);
    assert_true(strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0);
    assert_non_null(strstr(svg, "aria-label=\"QR &lt;code&gt; &quot;x&quot;\""));
    (void)snprintf(viewbox, sizeof(viewbox), "viewBox=\"0 0 %d %d\"", size, size);
    assert_non_null(strstr(svg, viewbox));
    assert_null(strstr(svg, "script"));
    assert_null(strstr(svg, "style="));
    assert_string_equal(svg + strlen(svg) - 6, "</svg>");
    assert_non_null(d = strstr(svg, " d=\""));
    d += 4;
    assert_non_null(end = strchr(d, '"'));
    path = strndup(d, (size_t)(end - d));
    grid = calloc((size_t)size * (size_t)size, 1);
    assert_non_null(path);
    assert_non_null(grid);
    paint_path(path, grid, size);
    for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
            int in = x >= 4 && y >= 4 && x < qr->width + 4 && y < qr->width + 4;
            int dark = in ? qr->data[(y - 4) * qr->width + (x - 4)] & 1 : 0;

            assert_int_equal(grid[y * size + x], dark);
        }
    }
    free(grid);
    free(path);
    QRcode_free(qr);
    tc_strbuf_cleanup(&sb);
}

static void
payload_fits_and_renders(void **state)
{
    struct tc_collect_settings s = {.server_url = URL, .delete_after_send = true};
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_strbuf payload = TC_STRBUF_INIT(4096), svg = TC_STRBUF_INIT(1 << 20);

    (void)state;
    assert_int_equal(tc_qr_collect_payload(&s, &payload, &err), TC_OK);
    assert_int_equal(tc_qr_svg(tc_strbuf_str(&payload), "QR", &svg, &err), TC_OK);
    assert_non_null(strstr(tc_strbuf_str(&svg), "<path fill=\"#000\" d=\"M"));
    tc_strbuf_cleanup(&payload);
    tc_strbuf_cleanup(&svg);
}

static void
text_beyond_any_symbol_is_refused(void **state)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_strbuf sb = TC_STRBUF_INIT(1 << 20);
    char *big = malloc(4000);

    (void)state;
    assert_non_null(big);
    memset(big, 'x', 3999);
    big[3999] = '\0';
    assert_int_equal(tc_qr_svg(big, "QR", &sb, &err), TC_EINVAL);
    free(big);
    tc_strbuf_cleanup(&sb);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(payload_is_base64_zlib_json_of_collect_settings),
        cmocka_unit_test(unit_phone_deletes_forms_after_sending),
        cmocka_unit_test(empty_server_url_is_refused),
        cmocka_unit_test(svg_draws_exactly_the_modules_of_the_symbol),
        cmocka_unit_test(payload_fits_and_renders),
        cmocka_unit_test(text_beyond_any_symbol_is_refused),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests_name("qr", tests, NULL, NULL);
}
