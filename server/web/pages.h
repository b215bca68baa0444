#ifndef TC_PAGES_H
#define TC_PAGES_H

#include "router.h"

/* Handlers of the web interface's pages (server/web/pages_*.c); routes in server/routes.c. */

#define TC_WEB_FORM_MAX 16384 /* bytes of a posted HTML form */

/* pages_login.c: the start page, login and logout. */
enum tc_status tc_page_root(struct tc_request *req, struct tc_response *resp, struct tc_error *err);
enum tc_status tc_page_login(struct tc_request *req, struct tc_response *resp,
                             struct tc_error *err);
enum tc_status tc_page_login_post(struct tc_request *req, struct tc_response *resp,
                                  struct tc_error *err);
enum tc_status tc_page_logout(struct tc_request *req, struct tc_response *resp,
                              struct tc_error *err);

/* pages_account.c: the home page per role, and the password change. */
enum tc_status tc_page_home(struct tc_request *req, struct tc_response *resp, struct tc_error *err);
enum tc_status tc_page_password(struct tc_request *req, struct tc_response *resp,
                                struct tc_error *err);
enum tc_status tc_page_password_post(struct tc_request *req, struct tc_response *resp,
                                     struct tc_error *err);

/* pages_admin.c: accounts and the audit log. */
enum tc_status tc_page_users(struct tc_request *req, struct tc_response *resp,
                             struct tc_error *err);
enum tc_status tc_page_users_post(struct tc_request *req, struct tc_response *resp,
                                  struct tc_error *err);
enum tc_status tc_page_user_disable(struct tc_request *req, struct tc_response *resp,
                                    struct tc_error *err);
enum tc_status tc_page_audit(struct tc_request *req, struct tc_response *resp,
                             struct tc_error *err);
enum tc_status tc_page_audit_verify(struct tc_request *req, struct tc_response *resp,
                                    struct tc_error *err);

/* pages_review.c: the ranked queue, a group's score and decisions, the public list. */
enum tc_status tc_page_review(struct tc_request *req, struct tc_response *resp,
                              struct tc_error *err);
enum tc_status tc_page_review_group(struct tc_request *req, struct tc_response *resp,
                                    struct tc_error *err);
enum tc_status tc_page_review_decide(struct tc_request *req, struct tc_response *resp,
                                     struct tc_error *err);
enum tc_status tc_page_public_list(struct tc_request *req, struct tc_response *resp,
                                   struct tc_error *err);

/* pages_reports.c: Project 8 indicators per commune and month, with charts. */
enum tc_status tc_page_reports(struct tc_request *req, struct tc_response *resp,
                               struct tc_error *err);

#endif /* TC_PAGES_H */
