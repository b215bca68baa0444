#ifndef TC_HANDLERS_PROTECT_H
#define TC_HANDLERS_PROTECT_H

#include <stdbool.h>

#include "auth.h"
#include "tincay/status.h"

struct tc_request;
struct tc_form_model;
struct tc_submission;
struct tc_ingest;

/*
 * Protection of a submission on arrival (DESIGN.md "Protection classes"; docs/cases.md),
 * between parsing and tc_submission_store, for every way a submission comes in (OpenRosa
 * POST /submission, the case API):
 *
 * - `confidential` form (root tc:protect): the owning unit is the filer's (a host's account
 *   or an app user bound to a unit; none: TC_EFORBIDDEN, nothing stored). An intake keeps
 *   the phone's case code when it is well formed and free, else gets a fresh one; a
 *   follow-up must name a case of that unit (TC_ENOTFOUND otherwise). The XML is sealed
 *   with a fresh data key to the unit's public key, every attachment under that key; the
 *   plain values keep only tc:report fields and the case code. The data key and the case
 *   row are stored in the submission's transaction, with the case's blind indexes when a
 *   member files it while logged in. Edits are refused (a follow-up says what changed), and
 *   so are files sent after the XML was stored (they would need the sealed data key).
 * - any other form: nothing changes (`personal` fields are sealed by the OpenRosa handler).
 */

/* Whether a post by `who` should spool its files encrypted: a filer bound to a unit. */
bool tc_protect_spool_encrypt(const struct tc_principal *who);

/*
 * Apply the protection of `model` to `in` (built from `sub`; its attachments still point at
 * spool files). For a case intake `*case_code_out` (may be NULL) gets the assigned code.
 */
enum tc_status tc_protect_ingest(struct tc_request *req, const struct tc_principal *who,
                                 const struct tc_form_model *model, const struct tc_submission *sub,
                                 struct tc_ingest *in, const char **case_code_out,
                                 struct tc_error *err);

#endif /* TC_HANDLERS_PROTECT_H */
