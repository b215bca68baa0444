#ifndef TC_HANDLERS_SESSION_H
#define TC_HANDLERS_SESSION_H

#include "router.h"

/*
 * The session endpoints of the JSON API (browser logins):
 *
 * POST /api/v1/session   {"login": ..., "password": ...} → 200 {"user": {...}, "csrf": ...}
 *                        and the cookie tincay_session (HttpOnly, SameSite=Strict, Secure over
 *                        TLS); 401 wrong credentials, 429 too many failures, 503 hashing full
 * DELETE /api/v1/session logout (X-CSRF-Token required): 204, the cookie cleared
 * GET /api/v1/me         the current user {"user": {...}} (and "csrf" for a cookie session)
 *
 * A user is {"id", "login", "display_name", "role", "language", "commune": {"era", "code"}
 * or null, "province" or null, "unit_id" or null}.
 */

#define TC_SESSION_BODY_MAX 4096 /* bytes of a login request */

enum tc_status tc_handle_session_create(struct tc_request *req, struct tc_response *resp,
                                        struct tc_error *err);
enum tc_status tc_handle_session_delete(struct tc_request *req, struct tc_response *resp,
                                        struct tc_error *err);
enum tc_status tc_handle_me(struct tc_request *req, struct tc_response *resp, struct tc_error *err);

#endif /* TC_HANDLERS_SESSION_H */
