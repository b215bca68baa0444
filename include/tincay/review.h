#ifndef TC_REVIEW_H
#define TC_REVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/status.h"

struct tc_arena;
struct tc_db_conn;

/*
 * Reading stored submissions and reviewing them (tables submissions,
 * submission_attachments, findings, review_comments; schema/003). Everything returned
 * lives in the caller's arena. Access control is the caller's (policy.h): these functions
 * return what they are asked for.
 */

struct tc_submission_row {
    long long id, form; /* submissions.id, forms.id */
    const char *form_id, *form_version, *instance_id;
    const char *review_state; /* received, hasIssues, edited, approved, rejected */
    bool is_complete;
    const char *received_at, *updated_at; /* ISO 8601 UTC */
    const char *deprecated_id;            /* NULL unless an edit */
    long long superseded_by;              /* 0 while current */
    const char *device_id, *commune_era, *commune_code, *village, *case_code; /* or NULL */
    const char *province_code;           /* of the commune (official lists), or NULL */
    long long submitter_id, app_user_id; /* 0 when none */
    const char *values_json;             /* unprotected values; only from tc_review_get */
    bool is_sealed;                      /* the XML is sealed (protected form) */
    size_t n_findings, n_files, n_missing;
};

/* Which submissions tc_review_list returns; zeroed means "the newest 100 current ones". */
struct tc_submission_filter {
    const char *form_id;       /* NULL: every form */
    const char *review_state;  /* NULL: any */
    const char *since, *until; /* received_at >= since, < until (timestamptz text); NULL: open */
    const char *commune_era, *commune_code; /* NULL: any */
    const char *province_code;              /* NULL: any; else communes of that province */
    bool include_superseded;                /* also versions replaced by an edit */
    bool with_values;                       /* fill values_json of each row too */
    long long before_id; /* paging: only ids below this (the last id of the previous page) */
    size_t limit;        /* 0 means 100; at most 1000 */
};

/* Submissions matching `filter`, newest first, without values. */
enum tc_status tc_review_list(struct tc_db_conn *conn, const struct tc_submission_filter *filter,
                              struct tc_arena *arena, struct tc_submission_row **rows_out,
                              size_t *n_out, struct tc_error *err);

/* One submission with its values; TC_ENOTFOUND when (form_id, instance_id) has none. */
enum tc_status tc_review_get(struct tc_db_conn *conn, const char *form_id, const char *instance_id,
                             struct tc_arena *arena, struct tc_submission_row *out,
                             struct tc_error *err);

/* One submission by its row id, with its values; TC_ENOTFOUND when there is none. */
enum tc_status tc_review_get_by_id(struct tc_db_conn *conn, long long id, struct tc_arena *arena,
                                   struct tc_submission_row *out, struct tc_error *err);

/* The plain XML of a submission (TC_EFORBIDDEN for a sealed one, TC_ENOTFOUND if none). */
enum tc_status tc_review_xml(struct tc_db_conn *conn, long long id, struct tc_arena *arena,
                             const unsigned char **xml_out, size_t *len_out, struct tc_error *err);

struct tc_submission_file {
    const char *name;
    const char *content_type; /* NULL while not received */
    bool is_received;
    size_t size;
    const char *sha256;         /* hex, NULL while not received */
    const unsigned char *bytes; /* only from tc_review_file */
};

/* The file slots of submission `id`, by name, without bytes. */
enum tc_status tc_review_files(struct tc_db_conn *conn, long long id, struct tc_arena *arena,
                               struct tc_submission_file **files_out, size_t *n_out,
                               struct tc_error *err);

/* One received file with its bytes; TC_ENOTFOUND for no such or not yet received file. */
enum tc_status tc_review_file(struct tc_db_conn *conn, long long id, const char *name,
                              struct tc_arena *arena, struct tc_submission_file *out,
                              struct tc_error *err);

struct tc_submission_finding {
    const char *field, *rule, *message;
};

/* The findings of submission `id`, in the order they were recorded. */
enum tc_status tc_review_findings(struct tc_db_conn *conn, long long id, struct tc_arena *arena,
                                  struct tc_submission_finding **out, size_t *n_out,
                                  struct tc_error *err);

struct tc_review_entry {
    long long actor_id; /* 0 when none */
    const char *from_state, *to_state, *comment, *at;
};

/*
 * Move submission `id` to `to_state` (NULL keeps the state: a comment only, which must then
 * be non-empty) by user `actor_id`, recording the change and `comment` in its history and
 * the audit log (submission.review) in one transaction. TC_EINVAL for an unknown state,
 * TC_ENOTFOUND for an unknown submission, TC_ECONFLICT for a version replaced by an edit.
 */
enum tc_status tc_review_set_state(struct tc_db_conn *conn, long long id, long long actor_id,
                                   const char *to_state, const char *comment, struct tc_error *err);

/*
 * As tc_review_set_state, inside the caller's open transaction (tc_db_transact), so that
 * another act (a support decision returning the group for correction) commits with it.
 */
enum tc_status tc_review_set_state_in(struct tc_db_conn *conn, long long id, long long actor_id,
                                      const char *to_state, const char *comment,
                                      struct tc_error *err);

/* The review history of submission `id`, oldest first. */
enum tc_status tc_review_history(struct tc_db_conn *conn, long long id, struct tc_arena *arena,
                                 struct tc_review_entry **out, size_t *n_out, struct tc_error *err);

#endif /* TC_REVIEW_H */
