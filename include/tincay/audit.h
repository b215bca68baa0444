#ifndef TC_AUDIT_H
#define TC_AUDIT_H

#include <stddef.h>

#include "tincay/status.h"

struct tc_arena;
struct tc_db_conn;

/*
 * One security-relevant event (login, case read, denial, export, decision, key change).
 * Strings may be NULL except actor_kind ("user", "app_user", "system", "anonymous") and
 * action ("login.ok", "case.read", ...). `detail_json` is a JSON object or NULL; none of
 * it may hold victim data, secrets or answers: ids, codes and counts only.
 */
struct tc_audit_event {
    const char *actor_kind;
    long long actor_id; /* 0: none */
    const char *actor_login;
    const char *action;
    const char *object_kind;
    const char *object_id;
    const char *purpose;
    const char *client_addr;
    const char *outcome; /* "ok" (NULL means ok), "denied" or "failed" */
    const char *detail_json;
};

/*
 * Insert `ev` on `conn`, inside the caller's transaction so the event commits or rolls back
 * with the act it records. The row is chained later by tc_audit_chain.
 */
enum tc_status tc_audit_append(struct tc_db_conn *conn, const struct tc_audit_event *ev,
                               struct tc_arena *arena, struct tc_error *err);

/*
 * Chain up to `max_rows` committed, unchained rows in id order, in its own transaction.
 * Only one chainer runs at a time across every instance (an advisory lock); a second
 * caller returns TC_OK at once with *chained_out = 0. Call it after commits and on a timer.
 */
enum tc_status tc_audit_chain(struct tc_db_conn *conn, size_t max_rows, size_t *chained_out,
                              struct tc_error *err);

struct tc_audit_report {
    size_t checked;             /* chained rows whose hashes matched */
    size_t unchained;           /* committed rows not chained yet */
    long long first_broken_id;  /* id of the first row whose hash or link fails; 0 if none */
    long long first_broken_seq; /* its place in the chain */
};

/* Recompute the whole chain in order; TC_OK even when broken: read the report. */
enum tc_status tc_audit_verify(struct tc_db_conn *conn, struct tc_audit_report *out,
                               struct tc_error *err);

/* An audit row as the audit page shows it; strings in the arena of the call, NULL when SQL NULL. */
struct tc_audit_row {
    long long id;
    const char *at; /* ISO 8601, UTC */
    const char *actor_kind;
    const char *actor_login;
    const char *action;
    const char *object_kind;
    const char *object_id;
    const char *client_addr;
    const char *outcome;
    long long chain_seq; /* 0 while unchained */
};

/*
 * Rows newest first, skipping `offset`, at most `limit`: `*rows` is an array of `*n` in
 * `arena`. Ask for one row more than a page shows to know whether another page follows.
 */
enum tc_status tc_audit_list(struct tc_db_conn *conn, long long offset, size_t limit,
                             struct tc_arena *arena, struct tc_audit_row **rows, size_t *n,
                             struct tc_error *err);

#endif /* TC_AUDIT_H */
