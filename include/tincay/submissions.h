#ifndef TC_SUBMISSIONS_H
#define TC_SUBMISSIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "tincay/status.h"

struct tc_db_conn;
struct tc_spool_file;

/*
 * Storing submissions (tables submissions, submission_attachments, findings; schema/003)
 * with ODK Central's semantics (../shared/notes/openrosa-anchors.md §1.5):
 *
 * - a new instance id for the form id: a new row, with one attachment slot per expected
 *   file name and its findings; review state hasIssues with findings, else received;
 * - the same instance id with byte-identical XML (same SHA-256): success, outcome
 *   TC_INGEST_DUPLICATE, and attachments still missing are filled in (never replaced);
 *   racing identical posts store one row and all succeed;
 * - the same instance id with other XML: TC_ECONFLICT;
 * - an edit (deprecated_id set): a new row in review state edited, linked from the old
 *   one (old.superseded_by), taking over the old row's files for expected names not sent
 *   again; an unknown deprecated id is TC_ENOTFOUND, an old row already superseded by
 *   another instance TC_ECONFLICT;
 * - files whose names the form does not expect are ignored.
 *
 * Every post that changes something also appends an audit row (submission.create,
 * submission.edit, submission.attach) in the same transaction; a pure repeat does not.
 * Everything happens in one transaction; answer 201 only after TC_OK.
 */

/* A finding: what the submission breaks in its form's rules. */
struct tc_ingest_finding {
    const char *field;   /* the field's path, e.g. "/data/age" */
    const char *rule;    /* "type", "required", "constraint", "choice" ... */
    const char *message; /* for reviewers; never contains protected values */
};

/*
 * A received file: a multipart part whose name is a clean file name. Its bytes come from
 * `file` (finished spool file) when set, else from `bytes`/`size`.
 */
struct tc_ingest_attachment {
    const char *name;
    const char *content_type; /* NULL: application/octet-stream */
    struct tc_spool_file *file;
    const unsigned char *bytes;
    size_t size;
};

struct tc_ingest {
    long long form;            /* forms.id of the version submitted to */
    const char *form_id;       /* its form id and version */
    const char *form_version;  /* "" when none */
    const char *instance_id;   /* meta/instanceID */
    const char *deprecated_id; /* meta/deprecatedID of an edit, else NULL */

    const unsigned char *xml; /* plain XML, or NULL when the form has protected fields */
    size_t xml_len;
    const unsigned char *xml_sealed; /* the XML under its protection class, or NULL */
    size_t xml_sealed_len;
    const char *key_id;      /* names the sealing key when xml_sealed is set */
    const char *xml_sha256;  /* lower-case hex SHA-256 of the plain XML */
    const char *values_json; /* unprotected values as a JSON object; NULL means {} */

    const struct tc_ingest_finding *findings;
    size_t n_findings;
    const char *const *expected; /* file names the form's binary fields refer to */
    size_t n_expected;
    const struct tc_ingest_attachment *attachments;
    size_t n_attachments;
    bool is_incomplete; /* the post carried *isIncomplete*=yes: more files to come */

    long long submitter_id;                                       /* users.id, or 0 */
    long long app_user_id;                                        /* app_users.id, or 0 */
    const char *device_id;                                        /* ?deviceID=, or NULL */
    const char *client_addr;                                      /* for the audit row, or NULL */
    const char *commune_era, *commune_code, *village, *case_code; /* tc:role fields, or NULL */

    /*
     * Called inside the transaction once a new row (created or edited) is stored, with its
     * id, for what must commit with it (the data key of a sealed XML); NULL: nothing.
     * A repeat of a stored post makes no row and does not call it.
     */
    enum tc_status (*on_new_row)(struct tc_db_conn *conn, long long submission, void *ctx,
                                 struct tc_error *err);
    void *on_new_row_ctx;
};

enum tc_ingest_outcome {
    TC_INGEST_CREATED,   /* a new submission */
    TC_INGEST_DUPLICATE, /* the same XML again: files merged into the existing row */
    TC_INGEST_EDITED     /* a new version replacing the deprecated one */
};

struct tc_ingest_result {
    enum tc_ingest_outcome outcome;
    long long id;          /* submissions.id of the row the post landed in */
    char review_state[16]; /* after the post */
    bool is_complete;      /* every expected file is stored and no more were announced */
    size_t n_stored;       /* files stored by this post */
    size_t n_missing;      /* expected files still missing */
};

/* Store one post of a submission as described above. `out` is filled on TC_OK. */
enum tc_status tc_submission_store(struct tc_db_conn *conn, const struct tc_ingest *in,
                                   struct tc_ingest_result *out, struct tc_error *err);

#endif /* TC_SUBMISSIONS_H */
