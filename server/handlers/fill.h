#ifndef TC_HANDLERS_FILL_H
#define TC_HANDLERS_FILL_H

#include "router.h"

/*
 * Filling a form in the browser with ODK Web Forms. The page gives the bundle (served by
 * handlers/webforms.c) the URLs of the form's XML and media below, which answer the same
 * users as the page, and of tincay's own OpenRosa POST /submission, which the bundle calls
 * with the session's CSRF token in X-CSRF-Token.
 */

/*
 * GET /fill/:form_id: the page, for a logged-in account allowed to submit the form's latest
 * published version (submission.create; case.create for a confidential form). Its
 * Content-Security-Policy admits scripts of our origin and WebAssembly compilation
 * ('wasm-unsafe-eval'), and <style> elements only with the page's nonce.
 */
enum tc_status tc_handle_fill_page(struct tc_request *req, struct tc_response *resp,
                                   struct tc_error *err);

/*
 * GET /fill/:form_id/form.xml[?version=V]: the stored bytes of that version (default: the
 * latest published), if it accepts submissions; same permission as the page.
 */
enum tc_status tc_handle_fill_form_xml(struct tc_request *req, struct tc_response *resp,
                                       struct tc_error *err);

/* GET /fill/:form_id/media/:filename[?version=V]: a media file of that version. */
enum tc_status tc_handle_fill_media(struct tc_request *req, struct tc_response *resp,
                                    struct tc_error *err);

#endif /* TC_HANDLERS_FILL_H */
