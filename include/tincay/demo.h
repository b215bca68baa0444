#ifndef TC_DEMO_H
#define TC_DEMO_H

#include <stddef.h>

#include "tincay/password.h"
#include "tincay/status.h"

struct tc_db_conn;
struct tc_keyring;
struct tc_password_gate;

/*
 * A clearly labelled demonstration (`tincay demo load`, README "Trying it"), also the data
 * of the review tests: area classes for the six post-2025 Tam Đường communes (source
 * "DEMO — không phải số liệu chính thức / not official"), the shipped norms with demo
 * amounts ("demo, not official"), an allocation per commune for `year`, one account per
 * role, the shipped livelihood form published with its ruleset active, and surveyed groups
 * generated as submission XML, parsed against the form and stored through the ingest path
 * (tc_submission_store), then scored (tc_score_submission). Nothing here is an official
 * figure.
 */

#define TC_DEMO_COMMUNES   6
#define TC_DEMO_GROUPS     36 /* six per commune */
#define TC_DEMO_ACCOUNTS   7
#define TC_DEMO_ALLOCATION 300000000LL /* đồng per commune: demo */
#define TC_DEMO_CEILING    80000000LL  /* đồng per group: demo */

struct tc_demo_account {
    const char *login, *role, *area; /* area: "post2025:03390", "province 12" or "" */
    long long id;
    char password[TC_PASSWORD_GENERATED]; /* shown once; the caller wipes it */
};

struct tc_demo {
    int year;
    struct tc_demo_account accounts[TC_DEMO_ACCOUNTS];
    size_t n_groups;
    long long form; /* forms.id of the livelihood form */
};

/*
 * Fill an empty database (no accounts, forms, norms, areas, allocations or submissions:
 * TC_ECONFLICT otherwise) with the demonstration. `forms_dir` is the shipped forms/
 * directory (livelihood_needs.xml, rules/). `password` (NULL: generated) sets every
 * account's password, for tests. With `ring` (the server's key file) the XML and the
 * personal values (names, phones of the demo's invented people) are sealed by the vault as
 * ingest does (submission_keys, submission_protected); without it the XML is sealed under a
 * random key wiped at once and no personal value is kept.
 */
enum tc_status tc_demo_load(struct tc_db_conn *conn, struct tc_password_gate *gate,
                            struct tc_keyring *ring, const char *forms_dir, int year,
                            const char *password, struct tc_demo *out, struct tc_error *err);

#endif /* TC_DEMO_H */
