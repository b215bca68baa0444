#ifndef TC_HANDLERS_HEALTH_H
#define TC_HANDLERS_HEALTH_H

#include "router.h"

/*
 * GET /healthz: 200 {"status":"ok","database":"up"} when the database answers,
 * else 503 {"status":"unavailable","database":"down"}. For load balancers and probes.
 */
enum tc_status tc_handle_healthz(struct tc_request *req, struct tc_response *resp,
                                 struct tc_error *err);

#endif /* TC_HANDLERS_HEALTH_H */
