#ifndef TC_CASELOG_H
#define TC_CASELOG_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/status.h"
#include "tincay/vault.h"

struct tc_arena;
struct tc_db_conn;

/*
 * What the case endpoints read (schema/005): a case with its unit and province, lists of
 * a unit's or a province's cases, a case's follow-ups and attachments, and the report
 * fields for aggregates. No plaintext of a case is here: the bytes stay sealed, and
 * tincay/cases.h opens them with a unit key.
 */

/* A unit's public half and where it lies. */
struct tc_caselog_unit {
    long long id;
    const char *code;
    const char *province_code;
    const char *commune_code;
    unsigned char public_key[TC_PUBLIC_KEY_BYTES];
};

/* Unit `unit_id` (TC_ENOTFOUND), or unit `code` when unit_id is 0. */
enum tc_status tc_caselog_unit(struct tc_db_conn *conn, long long unit_id, const char *code,
                               struct tc_arena *arena, struct tc_caselog_unit *out,
                               struct tc_error *err);

/* A case as lists and reads show it. */
struct tc_caselog_case {
    long long id;
    long long unit_id;
    long long submission; /* the intake; 0 when none */
    const char *case_code;
    const char *form_id;
    const char *unit_code;
    const char *province_code;
    const char *commune_code;
    const char *report_json; /* tc:report values only */
    const char *created_at;  /* ISO 8601, UTC */
    const char *updated_at;  /* the latest follow-up, else created_at */
    long long n_followups;
    bool has_hints; /* blind indexes stored */
};

/* The case of `case_code` (TC_ENOTFOUND). */
enum tc_status tc_caselog_get(struct tc_db_conn *conn, const char *case_code,
                              struct tc_arena *arena, struct tc_caselog_case *out,
                              struct tc_error *err);

/*
 * Cases of unit `unit_id`, or (unit_id 0) of every unit of province `province`, newest
 * first, `limit` from `offset`; `*total` counts them all.
 */
enum tc_status tc_caselog_list(struct tc_db_conn *conn, long long unit_id, const char *province,
                               size_t limit, size_t offset, struct tc_arena *arena,
                               struct tc_caselog_case **out, size_t *n, long long *total,
                               struct tc_error *err);

/* A sealed submission of a case: its intake or a follow-up. */
struct tc_caselog_entry {
    long long submission;
    const char *form_id;
    const char *instance_id;
    const char *received_at;
};

/* The follow-ups of case `case_code` of unit `unit_id`, oldest first. */
enum tc_status tc_caselog_followups(struct tc_db_conn *conn, long long unit_id,
                                    const char *case_code, long long intake, struct tc_arena *arena,
                                    struct tc_caselog_entry **out, size_t *n, struct tc_error *err);

struct tc_caselog_attachment {
    long long submission;
    const char *name;
    const char *content_type;
    bool received;
};

/* The attachments of `n_subs` submissions, by submission then name. */
enum tc_status tc_caselog_attachments(struct tc_db_conn *conn, const long long *subs, size_t n_subs,
                                      struct tc_arena *arena, struct tc_caselog_attachment **out,
                                      size_t *n, struct tc_error *err);

/* The stored (sealed) bytes of attachment `name` of `submission` (TC_ENOTFOUND). */
enum tc_status tc_caselog_attachment_bytes(struct tc_db_conn *conn, long long submission,
                                           const char *name, struct tc_arena *arena,
                                           const char **content_type, unsigned char **bytes,
                                           size_t *len, struct tc_error *err);

/*
 * The report values (JSON objects) of the cases of unit `unit_id`, or of province
 * `province` when unit_id is 0, with the case's commune code.
 */
struct tc_caselog_report {
    const char *report_json;
    const char *created_month; /* YYYY-MM */
};
enum tc_status tc_caselog_reports(struct tc_db_conn *conn, long long unit_id, const char *province,
                                  struct tc_arena *arena, struct tc_caselog_report **out, size_t *n,
                                  struct tc_error *err);

/* Whether a submission of `form_id` with `instance_id` is stored already. */
enum tc_status tc_caselog_instance_exists(struct tc_db_conn *conn, const char *form_id,
                                          const char *instance_id, bool *out, struct tc_error *err);

#endif /* TC_CASELOG_H */
