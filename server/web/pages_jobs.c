#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "http.h"
#include "tincay/arena.h"
#include "tincay/fmt.h"
#include "tincay/jobs.h"
#include "tincay/strbuf.h"
#include "web/html.h"
#include "web/page.h"
#include "web/pages.h"

#define JOBS_SHOWN 50

/* What a job's kind means to the people waiting on it. */
static const char *
kind_label(enum tc_lang lang, const char *kind)
{
    if (strcmp(kind, "rescore") == 0)
        return tc_tr(lang, "Re-scoring every group with the active ruleset");
    return kind;
}

static const char *
state_label(enum tc_lang lang, const char *state)
{
    static const char *const states[][2] = {{"queued", TC_N_("waiting")},
                                            {"running", TC_N_("running")},
                                            {"done", TC_N_("done")},
                                            {"failed", TC_N_("failed")}};

    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
        if (strcmp(state, states[i][0]) == 0)
            return tc_tr(lang, states[i][1]);
    return state;
}

/* A <progress> bar with the figures beside it: readable without script or style. */
static void
progress_cell(struct tc_page *p, const struct tc_job_status *j)
{
    char figures[64];

    tc_html_raw(p->out, "<td>");
    if (j->total > 0) {
        tc_strbuf_appendf(p->out, "<progress max=\"%lld\" value=\"%lld\"></progress> ", j->total,
                          j->done < j->total ? j->done : j->total);
        snprintf(figures, sizeof(figures), "%lld / %lld", j->done, j->total);
        tc_html_text(p->out, figures);
    } else {
        tc_html_text(p->out, "—");
    }
    tc_html_raw(p->out, "</td>");
}

static void
job_row(struct tc_page *p, const struct tc_job_status *j)
{
    char created[TC_FMT_DATETIME_SIZE], finished[TC_FMT_DATETIME_SIZE];

    tc_table_row_begin(p);
    tc_table_cell(p, kind_label(p->lang, j->kind));
    tc_table_cell(p, state_label(p->lang, j->state));
    progress_cell(p, j);
    tc_table_cell(p, tc_fmt_datetime(j->created_at, created) == 0 ? created : NULL);
    tc_table_cell(p, j->finished_at != NULL && tc_fmt_datetime(j->finished_at, finished) == 0
                         ? finished
                         : NULL);
    tc_table_cell(p, j->last_error);
    tc_table_row_end(p);
}

/*
 * GET /admin/jobs: long work (re-scoring after a new ruleset version) runs in the background;
 * this page shows how far it got. Reloading it shows the latest figures.
 */
enum tc_status
tc_page_jobs(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_job_status *jobs = NULL;
    struct tc_principal who;
    struct tc_db_conn *conn;
    struct tc_page p;
    const char *headings[6];
    size_t n = 0;
    enum tc_status st;

    if ((st = tc_web_user(req, &who, err)) != TC_OK)
        return st;
    /* The admin activates rulesets; those who read scores wait on them. Jobs name no record,
     * so any scope of either grant will do; anyone else is refused (and audited). */
    if (tc_policy_scope(who.role, TC_ACT_NORMS_MANAGE) == TC_SCOPE_DENIED &&
        tc_policy_scope(who.role, TC_ACT_SCORE_READ) == TC_SCOPE_DENIED &&
        (st = tc_auth_check(req, &who, TC_ACT_SCORE_READ, NULL, err)) != TC_OK)
        return st;
    if ((conn = tc_req_db(req, err)) == NULL)
        return err->status;
    if ((st = tc_jobs_recent(conn, JOBS_SHOWN, tc_req_arena(req), &jobs, &n, err)) != TC_OK ||
        (st = tc_page_init(&p, req, resp, &who, err)) != TC_OK)
        return st;
    tc_page_begin(&p, tc_tr(p.lang, "Background work"));
    tc_html_raw(p.out, "<p>");
    tc_html_text(p.out, tc_tr(p.lang, "Long work runs in the background and never blocks "
                                      "surveys or pages. Reload this page to see how far it got."));
    tc_html_raw(p.out, " <a href=\"/admin/jobs\">");
    tc_html_text(p.out, tc_tr(p.lang, "Reload"));
    tc_html_raw(p.out, "</a></p>");
    headings[0] = tc_tr(p.lang, "Work");
    headings[1] = tc_tr(p.lang, "State");
    headings[2] = tc_tr(p.lang, "Progress");
    headings[3] = tc_tr(p.lang, "Queued");
    headings[4] = tc_tr(p.lang, "Finished");
    headings[5] = tc_tr(p.lang, "Last error");
    tc_table_begin(&p, tc_tr(p.lang, "Newest first"), headings, 6);
    for (size_t i = 0; i < n; i++)
        job_row(&p, &jobs[i]);
    tc_table_end(&p);
    tc_page_end(&p);
    return tc_page_finish(&p, err);
}
