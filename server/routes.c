#include "routes.h"

#include "handlers/health.h"
#include "web/static.h"

/*
 * Every endpoint of tincay, in one table: reading it tells you the whole HTTP surface.
 * Order matters only between patterns that could match the same path: first one wins.
 */
const struct tc_route tc_routes[] = {
    {.method = "GET", .pattern = "/healthz", .handler = tc_handle_healthz},
    {.method = "GET", .pattern = "/static/:name", .handler = tc_handle_static},
};
const size_t tc_routes_count = sizeof(tc_routes) / sizeof(tc_routes[0]);
