/*
 * libFuzzer target for the route matcher and the access-log redaction. The first input
 * byte picks the method, the rest is the raw path. Checks the matcher's promises: a
 * found route has every capture named and decoded, a 405 always names what is allowed,
 * and no "key" token segment survives redaction.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"
#include "tincay/arena.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum tc_status
noop(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    (void)req;
    (void)resp;
    (void)err;
    return TC_OK;
}

static const struct tc_route table[] = {
    {.method = "GET", .pattern = "/", .handler = noop},
    {.method = "GET", .pattern = "/healthz", .handler = noop},
    {.method = "GET", .pattern = "/key/:token/formList", .handler = noop},
    {.method = "POST", .pattern = "/key/:token/submission", .handler = noop},
    {.method = "GET", .pattern = "/forms/:form/manifest", .handler = noop},
    {.method = "GET", .pattern = "/api/v1/:a/:b/:c/:d/:e/:f/:g/:h", .handler = noop},
    {.method = "PUT", .pattern = "/api/v1/forms/:form", .handler = noop},
};

static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"};

static void
check_match(enum tc_route_result r, const struct tc_route_match *m)
{
    if (r == TC_ROUTE_FOUND) {
        if (m->route == NULL || m->n_params > TC_ROUTE_MAX_PARAMS)
            abort();
        for (size_t i = 0; i < m->n_params; i++)
            if (m->names[i] == NULL || m->values[i] == NULL || m->values[i][0] == '\0')
                abort();
    } else if (r == TC_ROUTE_NO_METHOD && m->allow[0] == '\0') {
        abort();
    } else if (r != TC_ROUTE_NO_METHOD && m->route != NULL) {
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tc_arena *arena;
    struct tc_route_match m;
    char *path, *redacted;

    if (size == 0 || (arena = tc_arena_create(4096)) == NULL)
        return 0;
    if ((path = tc_arena_strndup(arena, (const char *)data + 1, size - 1)) != NULL) {
        const char *method = methods[data[0] % (sizeof(methods) / sizeof(methods[0]))];

        check_match(
            tc_route_match(table, sizeof(table) / sizeof(table[0]), method, path, arena, &m), &m);
        redacted = tc_route_redact_path(path, arena);
        if (redacted == NULL || (strncmp(path, "/key/", 5) == 0 && path[5] != '/' &&
                                 path[5] != '\0' && strncmp(redacted, "/key/[token]", 12) != 0))
            abort();
    }
    tc_arena_destroy(arena);
    return 0;
}
