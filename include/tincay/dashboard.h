#ifndef TC_DASHBOARD_H
#define TC_DASHBOARD_H

#include "tincay/status.h"

struct tc_db_conn;

/* What needs a person's attention, as counts for their home page (src/store/dashboard.c). */

struct tc_dashboard_admin {
    long long forms_draft;     /* form versions not yet published */
    long long forms_published; /* published or closing: what collectors can fill */
    long long users_enabled;
    long long audit_unchained; /* audit rows the chainer has not reached yet */
};

/* Counts for an administrator. */
enum tc_status tc_dashboard_admin(struct tc_db_conn *conn, struct tc_dashboard_admin *out,
                                  struct tc_error *err);

struct tc_dashboard_area {
    long long has_issues; /* current submissions whose review state is hasIssues */
    long long received;   /* current submissions not reviewed yet */
};

/*
 * Counts of the submissions in an area: the commune (`era`, `commune`) when given, else
 * the province. Both NULL: zeros, as an actor without an area reaches nothing.
 */
enum tc_status tc_dashboard_area(struct tc_db_conn *conn, const char *era, const char *commune,
                                 const char *province, struct tc_dashboard_area *out,
                                 struct tc_error *err);

/* Current submissions sent by the account `user_id`, and those of them with issues. */
enum tc_status tc_dashboard_collector(struct tc_db_conn *conn, long long user_id,
                                      struct tc_dashboard_area *out, struct tc_error *err);

struct tc_dashboard_cases {
    long long open;  /* cases of the unit (or province) */
    long long quiet; /* of them, with no intake or follow-up received in the last 30 days */
};

/*
 * Counts of the cases of unit `unit_id` (a host), or when it is 0 of every unit in
 * `province` (an escrow officer); zeros when neither is given. Counts only: nothing sealed
 * is read.
 */
enum tc_status tc_dashboard_cases(struct tc_db_conn *conn, long long unit_id, const char *province,
                                  struct tc_dashboard_cases *out, struct tc_error *err);

#endif /* TC_DASHBOARD_H */
