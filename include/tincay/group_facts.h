#ifndef TC_GROUP_FACTS_H
#define TC_GROUP_FACTS_H

#include <stddef.h>

#include "tincay/status.h"

struct tc_arena;
struct tc_db_conn;

/*
 * Plain facts of surveyed livelihood groups that the review pages show beside the score
 * (decisions.h gives the score): the legal form and member counts, from the unprotected
 * values of the submission. No personal data. Strings live in the caller's arena.
 */
struct tc_group_facts {
    long long submission;
    const char *legal_form; /* the form's choice: "group", "tht", "htx"; "" when unanswered */
    int members_total, members_women; /* -1 when unanswered */
};

/* The facts of every scored group of commune (era, code) and year, by submission id. */
enum tc_status tc_group_facts_of_commune(struct tc_db_conn *conn, const char *era, const char *code,
                                         int year, struct tc_arena *arena,
                                         struct tc_group_facts **out, size_t *n_out,
                                         struct tc_error *err);

/* The facts of one group; TC_ENOTFOUND when submission `submission` does not exist. */
enum tc_status tc_group_facts_get(struct tc_db_conn *conn, long long submission,
                                  struct tc_arena *arena, struct tc_group_facts *out,
                                  struct tc_error *err);

#endif /* TC_GROUP_FACTS_H */
