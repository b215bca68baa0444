#ifndef TC_ROUTES_H
#define TC_ROUTES_H

#include <stddef.h>

#include "router.h"

/* The product's route table (server/routes.c): the whole HTTP surface of tincay. */
extern const struct tc_route tc_routes[];
extern const size_t tc_routes_count;

#endif /* TC_ROUTES_H */
