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
/* GET /admin/jobs: background work and its progress (admin, and roles that read scores). */
enum tc_status tc_page_jobs(struct tc_request *req, struct tc_response *resp, struct tc_error *err);
enum tc_status tc_page_audit(struct tc_request *req, struct tc_response *resp,
                             struct tc_error *err);
enum tc_status tc_page_audit_verify(struct tc_request *req, struct tc_response *resp,
                                    struct tc_error *err);

/* pages_setup.c: norms (định mức), area classification, Trusted Address units (admin). */
enum tc_status tc_page_norms(struct tc_request *req, struct tc_response *resp,
                             struct tc_error *err);
enum tc_status tc_page_norms_post(struct tc_request *req, struct tc_response *resp,
                                  struct tc_error *err);
enum tc_status tc_page_areas(struct tc_request *req, struct tc_response *resp,
                             struct tc_error *err);
enum tc_status tc_page_units(struct tc_request *req, struct tc_response *resp,
                             struct tc_error *err);
enum tc_status tc_page_units_post(struct tc_request *req, struct tc_response *resp,
                                  struct tc_error *err);

/* pages_forms.c: form versions, uploads, media and states (admin). */
#define TC_WEB_FORM_UPLOAD_MAX  ((size_t)5 * 1024 * 1024)  /* bytes of an uploaded XForm */
#define TC_WEB_MEDIA_UPLOAD_MAX ((size_t)10 * 1024 * 1024) /* bytes of a media file */
#define TC_WEB_UPLOAD_OVERHEAD  ((size_t)65536)            /* multipart framing and fields */
enum tc_status tc_page_forms(struct tc_request *req, struct tc_response *resp,
                             struct tc_error *err);
enum tc_status tc_page_forms_upload(struct tc_request *req, struct tc_response *resp,
                                    struct tc_error *err);
enum tc_status tc_page_form_version(struct tc_request *req, struct tc_response *resp,
                                    struct tc_error *err);
enum tc_status tc_page_form_media(struct tc_request *req, struct tc_response *resp,
                                  struct tc_error *err);
enum tc_status tc_page_form_publish(struct tc_request *req, struct tc_response *resp,
                                    struct tc_error *err);
enum tc_status tc_page_form_closing(struct tc_request *req, struct tc_response *resp,
                                    struct tc_error *err);
enum tc_status tc_page_form_close(struct tc_request *req, struct tc_response *resp,
                                  struct tc_error *err);

/* pages_appusers.c: app users of ODK Collect and their QR codes (admin). */
enum tc_status tc_page_appusers(struct tc_request *req, struct tc_response *resp,
                                struct tc_error *err);
enum tc_status tc_page_appusers_post(struct tc_request *req, struct tc_response *resp,
                                     struct tc_error *err);
enum tc_status tc_page_appuser_revoke(struct tc_request *req, struct tc_response *resp,
                                      struct tc_error *err);

/* pages_submissions.c: submissions per form, one submission, its files, its review. */
enum tc_status tc_page_submission_forms(struct tc_request *req, struct tc_response *resp,
                                        struct tc_error *err);
enum tc_status tc_page_submissions(struct tc_request *req, struct tc_response *resp,
                                   struct tc_error *err);
enum tc_status tc_page_submission(struct tc_request *req, struct tc_response *resp,
                                  struct tc_error *err);
enum tc_status tc_page_submission_file(struct tc_request *req, struct tc_response *resp,
                                       struct tc_error *err);
enum tc_status tc_page_submission_review(struct tc_request *req, struct tc_response *resp,
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

/*
 * pages_cases.c: the case log (hosts: their unit's, escrow: their province's). GET /cases
 * lists plain metadata; GET /cases/:code asks the purpose; POST /cases/:code (CSRF, purpose)
 * shows the case opened, its follow-ups, attachments and repeat-victim hints, audited.
 */
enum tc_status tc_page_cases(struct tc_request *req, struct tc_response *resp,
                             struct tc_error *err);
enum tc_status tc_page_case(struct tc_request *req, struct tc_response *resp, struct tc_error *err);
enum tc_status tc_page_case_open(struct tc_request *req, struct tc_response *resp,
                                 struct tc_error *err);

#endif /* TC_PAGES_H */
