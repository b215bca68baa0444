#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "tincay/keyfile.h"
#include "tincay/vault.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Any bytes as a key file: parsing must never read outside the buffer, and a file that
 * parses must list ids that are 8 hex digits with exactly one current, and must wrap and
 * unwrap a data key with its current key.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char ids[TC_KEYRING_MAX][TC_KEY_ID_LEN + 1];
    char current[TC_KEY_ID_LEN + 1], used[TC_KEY_ID_LEN + 1];
    unsigned char wrapped[TC_DEK_WRAPPED_BYTES];
    struct tc_keyring *ring = NULL;
    struct tc_dek *dek = NULL, *back = NULL;
    size_t n = 0, n_current = 0;

    if (sodium_init() < 0)
        abort();
    if (tc_keyring_parse((const char *)data, size, &ring, NULL) != TC_OK)
        return 0;
    tc_keyring_ids(ring, ids, &n, current);
    if (n == 0 || n > TC_KEYRING_MAX)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (strlen(ids[i]) != TC_KEY_ID_LEN || strspn(ids[i], "0123456789abcdef") != TC_KEY_ID_LEN)
            abort();
        n_current += strcmp(ids[i], current) == 0;
    }
    if (n_current != 1 || tc_dek_create(&dek, NULL) != TC_OK ||
        tc_dek_wrap(ring, dek, "f", "i", used, wrapped, NULL) != TC_OK ||
        strcmp(used, current) != 0 ||
        tc_dek_unwrap(ring, used, wrapped, sizeof(wrapped), "f", "i", &back, NULL) != TC_OK)
        abort();
    tc_dek_free(back);
    tc_dek_free(dek);
    tc_keyring_close(ring);
    return 0;
}
