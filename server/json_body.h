#ifndef TC_JSON_BODY_H
#define TC_JSON_BODY_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/status.h"

struct json_t;
struct tc_request;

/*
 * JSON request bodies of the API (jansson). A body is one JSON object; its fields are read
 * with typed getters that name the field in their messages. Cap the size on the route
 * (TC_BODY_BUFFERED, max_body): these functions never see more than the cap.
 */

/*
 * Parse `len` bytes as one JSON object (duplicate keys refused): TC_EBADREQ naming the
 * line and column when malformed, or when it is not an object. On TC_OK the caller owns
 * `*out` (json_decref).
 */
enum tc_status tc_json_parse_object(const char *data, size_t len, struct json_t **out,
                                    struct tc_error *err);

/*
 * The buffered body of `req`, which must say Content-Type: application/json
 * (TC_EUNSUPPORTED otherwise: a cross-site form cannot send it without asking first),
 * parsed as tc_json_parse_object does. `*out` belongs to the request: it is released when
 * the request completes.
 */
enum tc_status tc_json_body(struct tc_request *req, struct json_t **out, struct tc_error *err);

/*
 * The string field `name` of `obj`: TC_EINVAL naming it when it is present but not a
 * string, or when it is absent and `required` (then `*out` is NULL when absent). `*len`
 * (may be NULL) is its length in bytes; a string holding a NUL byte is refused.
 */
enum tc_status tc_json_string(const struct json_t *obj, const char *name, bool required,
                              const char **out, size_t *len, struct tc_error *err);

/* Overwrite the value of string field `name` of `obj` with zeros (it held a secret). */
void tc_json_wipe_string(struct json_t *obj, const char *name);

#endif /* TC_JSON_BODY_H */
