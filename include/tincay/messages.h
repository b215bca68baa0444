#ifndef TC_MESSAGES_H
#define TC_MESSAGES_H

#include "tincay/i18n.h"

/*
 * Messages several modules share, as msgids of the catalogues (po/). Use them as the
 * format of tc_fail() or translate them with tc_tr(); they contain no conversions.
 * A message used in one place only is written where it is used instead.
 */
#define TC_MSG_LOGIN_FAILED     TC_N_("wrong login or password")
#define TC_MSG_TOO_MANY_LOGINS  TC_N_("too many login attempts, try again later")
#define TC_MSG_ACCOUNT_DISABLED TC_N_("account is disabled")
#define TC_MSG_SESSION_EXPIRED  TC_N_("session has expired, log in again")
#define TC_MSG_CSRF             TC_N_("request did not come from a tincay page, reload it")
#define TC_MSG_INVALID_JSON     TC_N_("request body is not valid JSON")
#define TC_MSG_DB_UNAVAILABLE   TC_N_("database is unavailable, try again later")
#define TC_MSG_NOT_WELL_FORMED  TC_N_("document is not well-formed XML")
#define TC_MSG_NO_SUBMISSION    TC_N_("request has no xml_submission_file part")
#define TC_MSG_FORM_UNKNOWN     TC_N_("no such form or form version")
#define TC_MSG_FORM_CLOSED      TC_N_("form is closed and accepts no submissions")
#define TC_MSG_NO_CASE_ACCESS   TC_N_("only members of the owning unit may read this case")

#endif /* TC_MESSAGES_H */
