#ifndef TC_TESTVAULT_H
#define TC_TESTVAULT_H

#include "tincay/policy.h"

struct tc_db_pool;
struct tc_password_gate;

/*
 * What the case tests set up, on a real database: accounts (each with `password`; an
 * escrow officer with its key pair), forms from the source tree, two communes of different
 * provinces, units sealed to their escrow officer. Failures fail the test.
 */
struct tc_test_vault {
    struct tc_db_pool *pool;
    struct tc_password_gate *gate; /* at TC_PASSWORD_MINIMUM */
    const char *password;
};

long long tc_test_vault_user(const struct tc_test_vault *v, const char *login, enum tc_role role,
                             const char *commune, const char *province);

/* Store and publish the XForm at `file` (relative to the source tree). */
void tc_test_vault_form(const struct tc_test_vault *v, const char *file);

/* Two post-2025 communes of different provinces (the first such pair by code). */
void tc_test_vault_communes(const struct tc_test_vault *v, char commune_a[8], char province_a[4],
                            char commune_b[8], char province_b[4]);

/*
 * Unit `code` in `commune`; `member` (when > 0) joins it with the unit key opened through
 * escrow officer `escrow_id`'s seal. Returns the unit's id.
 */
long long tc_test_vault_unit(const struct tc_test_vault *v, const char *code, const char *commune,
                             long long escrow_id, long long member);

#endif /* TC_TESTVAULT_H */
