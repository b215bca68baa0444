#include <stdio.h>

#include "tincay/arena.h"
#include "tincay/db.h"
#include "tincay/users.h"

static const char sql_set_language[] = "UPDATE users SET language = $2 WHERE id = $1";

enum tc_status
tc_user_set_language(struct tc_db_conn *conn, long long id, enum tc_lang lang, struct tc_error *err)
{
    char id_text[24];
    const char *params[] = {id_text, tc_lang_name(lang)};
    struct tc_db_result *res = NULL;
    struct tc_arena *arena = tc_arena_create(256);
    enum tc_status st;

    if (arena == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    (void)snprintf(id_text, sizeof(id_text), "%lld", id);
    st = tc_db_exec(conn, sql_set_language, 2, params, arena, &res, err);
    if (st == TC_OK && tc_db_affected(res) == 0)
        st = tc_fail(err, TC_ENOTFOUND, "no user with id %lld", id);
    tc_arena_destroy(arena);
    return st;
}
