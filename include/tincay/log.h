#ifndef TC_LOG_H
#define TC_LOG_H

enum tc_log_level { TC_LOG_DEBUG, TC_LOG_INFO, TC_LOG_WARNING, TC_LOG_ERROR };

/*
 * One line to stderr: "<UTC time> <level> [req=<id>] <message>". Thread-safe.
 * Never pass request bodies, answers, tokens or passwords. `req_id` may be NULL.
 */
void tc_log(enum tc_log_level level, const char *req_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Lines below `level` are dropped. Set once at start, before threads (default INFO). */
void tc_log_set_level(enum tc_log_level level);

/* Parse "debug", "info", "warning" or "error"; returns 0, or -1 for anything else. */
int tc_log_level_parse(const char *name, enum tc_log_level *out);

#endif /* TC_LOG_H */
