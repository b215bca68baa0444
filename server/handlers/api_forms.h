#ifndef TC_HANDLERS_API_FORMS_H
#define TC_HANDLERS_API_FORMS_H

#include "router.h"

/*
 * The JSON API for forms (admins): the operations of `tincay form`.
 *
 *   GET  /api/v1/forms                        every version, any state
 *   POST /api/v1/forms[?draft=true]           body: the XForm (loaded first, refused with why)
 *   POST /api/v1/forms/:form/:v/publish       a draft (:v is "v" + version)
 *   POST /api/v1/forms/:form/close[?now=true] published → closing, or closed with now
 *   PUT  /api/v1/forms/:form/:v/media/:name   body: the file (Content-Type, else by extension)
 *
 * Accounts only (session cookie or Basic); changes by cookie need the CSRF token.
 */
#define TC_API_FORM_MAX_BODY  (5u * 1024u * 1024u)
#define TC_API_MEDIA_MAX_BODY (20u * 1024u * 1024u)

enum tc_status tc_api_forms_list(struct tc_request *req, struct tc_response *resp,
                                 struct tc_error *err);
enum tc_status tc_api_forms_upload(struct tc_request *req, struct tc_response *resp,
                                   struct tc_error *err);
enum tc_status tc_api_forms_publish(struct tc_request *req, struct tc_response *resp,
                                    struct tc_error *err);
enum tc_status tc_api_forms_close(struct tc_request *req, struct tc_response *resp,
                                  struct tc_error *err);
enum tc_status tc_api_forms_media(struct tc_request *req, struct tc_response *resp,
                                  struct tc_error *err);

#endif /* TC_HANDLERS_API_FORMS_H */
