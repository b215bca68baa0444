#ifndef TC_HANDLERS_OPENROSA_H
#define TC_HANDLERS_OPENROSA_H

#include "router.h"

/*
 * OpenRosa 1.0 as ODK Collect uses it (../shared/notes/openrosa-anchors.md §1), at the root
 * for accounts (Basic after a 401 challenge) and under /key/:token/ for app users:
 *
 *   GET  /formList                        published forms the principal may list (?formID=)
 *   GET  /forms/:form/:v/form.xml         the exact stored bytes (:v is "v" + version)
 *   GET  /forms/:form/:v/manifest         media files with md5 hashes
 *   GET  /forms/:form/:v/media/:name      one media file
 *   HEAD /submission                      204 with X-OpenRosa-Accept-Content-Length
 *   POST /submission                      multipart/form-data, streamed to the spool
 *
 * Every answer, errors included, carries X-OpenRosa-Version: 1.0; errors are an
 * OpenRosaResponse in the request's language. URLs come from TINCAY_PUBLIC_URL only.
 */

/* The body cap of POST /submission, advertised as X-OpenRosa-Accept-Content-Length. */
#define TC_OPENROSA_MAX_BODY (50u * 1024u * 1024u)

enum tc_status tc_openrosa_form_list(struct tc_request *req, struct tc_response *resp,
                                     struct tc_error *err);
enum tc_status tc_openrosa_form_download(struct tc_request *req, struct tc_response *resp,
                                         struct tc_error *err);
enum tc_status tc_openrosa_manifest(struct tc_request *req, struct tc_response *resp,
                                    struct tc_error *err);
enum tc_status tc_openrosa_media(struct tc_request *req, struct tc_response *resp,
                                 struct tc_error *err);
enum tc_status tc_openrosa_submission_head(struct tc_request *req, struct tc_response *resp,
                                           struct tc_error *err);
enum tc_status tc_openrosa_submission_chunk(struct tc_request *req, const char *data, size_t len,
                                            struct tc_error *err);
enum tc_status tc_openrosa_submission(struct tc_request *req, struct tc_response *resp,
                                      struct tc_error *err);

/* The route's error renderer: the OpenRosaResponse envelope, and a Basic challenge on 401. */
void tc_openrosa_render_error(struct tc_request *req, struct tc_response *resp,
                              enum tc_status status, const struct tc_error *err);

#endif /* TC_HANDLERS_OPENROSA_H */
