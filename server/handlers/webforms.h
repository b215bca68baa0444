#ifndef TC_HANDLERS_WEBFORMS_H
#define TC_HANDLERS_WEBFORMS_H

#include <stdbool.h>

#include "router.h"

/*
 * The files of ODK Web Forms that the build compiled into the binary (cmake/Webforms.cmake),
 * served under /static/webforms/ by their content-hashed names.
 */

/* Whether this binary was built with them (TC_WEBFORMS). */
bool tc_webforms_built_in(void);

/*
 * GET /static/webforms/:file: a script (text/javascript), style sheet (text/css) or
 * WebAssembly module (application/wasm), cached for a year as immutable since its name
 * changes with its content; the gzip copy when the client accepts gzip. 404 otherwise.
 */
enum tc_status tc_handle_webforms_static(struct tc_request *req, struct tc_response *resp,
                                         struct tc_error *err);

#endif /* TC_HANDLERS_WEBFORMS_H */
