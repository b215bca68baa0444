#include "handlers/health.h"

#include <stdbool.h>

#include <jansson.h>

#include "http.h"
#include "tincay/db.h"
#include "tincay/log.h"

enum tc_status
tc_handle_healthz(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_db_pool *pool = tc_server_pool(tc_req_server(req));
    struct tc_error db_err = TC_ERROR_INIT(TC_LANG_EN);
    bool up = pool != NULL && tc_db_ping(pool, &db_err);
    json_t *body = json_pack("{s:s, s:s}", "status", up ? "ok" : "unavailable", "database",
                             up ? "up" : "down");
    enum tc_status st;

    if (body == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    if (!up) {
        tc_log(TC_LOG_WARNING, tc_req_id(req), "health check: the database is down%s%s%s%s",
               db_err.msg[0] != '\0' ? ": " : "", db_err.msg, db_err.detail[0] != '\0' ? ": " : "",
               db_err.detail);
        tc_resp_status(resp, 503);
    }
    st = tc_resp_json(resp, body, err);
    json_decref(body);
    return st;
}
