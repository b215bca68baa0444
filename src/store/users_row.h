#ifndef TC_STORE_USERS_ROW_H
#define TC_STORE_USERS_ROW_H

#include <stddef.h>

#include "tincay/users.h"

struct tc_db_result;

/* The columns tc_user_from_row reads, for a query that aliases users as "u". */
#define TC_USER_COLUMNS                                                                            \
    "u.id, u.login, u.display_name, u.role, u.language, u.commune_era, u.commune_code, "           \
    "u.province_code, u.unit_id, u.disabled_at IS NOT NULL, u.password_hash IS NOT NULL, "         \
    "to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define TC_USER_NCOLS 12

/* The password's stamp (tc_login_verify): password_changed_at in microseconds, 0 for none. */
#define TC_USER_PASSWORD_STAMP                                                                     \
    "coalesce((extract(epoch FROM u.password_changed_at) * 1000000)::bigint, 0)"

/* Fill `out` from the TC_USER_COLUMNS starting at column `col`; strings stay in `res`. */
void tc_user_from_row(const struct tc_db_result *res, size_t row, size_t col, struct tc_user *out);

#endif /* TC_STORE_USERS_ROW_H */
