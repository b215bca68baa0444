#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "auth.h"
#include "handlers/api_cases.h"
#include "http.h"
#include "json_body.h"
#include "tincay/arena.h"
#include "tincay/caselog.h"
#include "tincay/db.h"
#include "tincay/sessions.h"
#include "tincay/units.h"
#include "tincay/users.h"

/*
 * Members of Trusted Address units over the API (docs/vault.md "Units, members, escrow"):
 * invitations made by a member or the escrow officer from their session's key, redeemed by
 * the new host with their password, and escrow recovery of a member who lost theirs.
 */

struct invite_txn {
    const struct tc_vault_kdf *kdf;
    long long unit_id, by;
    const struct tc_unit_key *key;
    char secret[TC_INVITATION_SECRET_MAX];
};

static enum tc_status
invite_txn(struct tc_db_conn *conn, void *vctx, struct tc_error *err)
{
    struct invite_txn *in = vctx;

    return tc_invitation_create(conn, in->kdf, in->unit_id, in->key, in->by, 0, in->secret, NULL,
                                err);
}

static void
kdf_of(struct tc_request *req, struct tc_vault_kdf *out)
{
    const struct tc_auth *auth = tc_server_auth(tc_req_server(req));

    *out = (struct tc_vault_kdf){.gate = tc_auth_gate(auth), .cost = tc_auth_cost(auth)};
}

/*
 * The unit of `:code` and its key, for `action` by `who`: a member's session copy or the
 * escrow officer's seal. A unit out of reach is 404 (audited), as an unknown one.
 */
static enum tc_status
unit_for(struct tc_request *req, const struct tc_principal *who, enum tc_action action,
         struct tc_caselog_unit *unit, struct tc_unit_key **key, struct tc_error *err)
{
    const char *code = tc_req_param(req, "code");
    struct tc_db_conn *conn = tc_req_db(req, err);
    struct tc_policy_subject subject;
    struct tc_policy_object what;
    struct tc_unit_key *escrow = NULL;
    enum tc_status st;

    if (conn == NULL)
        return err->status;
    if (tc_policy_scope(who->role, action) == TC_SCOPE_DENIED)
        return tc_auth_check(req, who, action, NULL, err);
    st = tc_caselog_unit(conn, 0, code, tc_req_arena(req), unit, err);
    if (st != TC_OK && st != TC_ENOTFOUND)
        return st;
    tc_auth_subject(who, &subject);
    what = (struct tc_policy_object){.unit_id = st == TC_OK ? unit->id : -1,
                                     .province = st == TC_OK ? unit->province_code : ""};
    if (st != TC_OK || !tc_policy_allows(who->role, action, &subject, &what)) {
        tc_auth_audit(req, who, tc_action_name(action), "denied", "{\"status\": \"not found\"}");
        return tc_fail(err, TC_ENOTFOUND, "there is no unit \"%s\"", code);
    }
    if (!who->by_cookie || who->session_token == NULL)
        return tc_fail(err, TC_EFORBIDDEN, "this needs a logged-in browser session");
    if ((st = tc_auth_csrf(req, who, NULL, err)) != TC_OK)
        return st;
    if (who->role != TC_ROLE_ESCROW)
        return tc_unit_key_for_session(conn, who->session_token, unit->id, key, err);
    if ((st = tc_escrow_key_for_session(conn, who->session_token, who->id, &escrow, err)) != TC_OK)
        return st;
    st = tc_unit_key_from_escrow(conn, escrow, who->id, unit->id, key, err);
    tc_unit_key_free(escrow);
    return st;
}

static enum tc_status
reply(struct tc_response *resp, json_t *body, struct tc_error *err)
{
    enum tc_status st =
        body != NULL ? tc_resp_json(resp, body, err) : tc_fail(err, TC_ENOMEM, "out of memory");

    json_decref(body);
    return st;
}

static enum tc_status
reply_secret(struct tc_response *resp, const char *unit, char *secret, struct tc_error *err)
{
    json_t *body = json_pack("{s:s, s:s, s:i}", "unit", unit, "invitation", secret, "expires_in_s",
                             TC_INVITATION_TTL_S);
    enum tc_status st;

    sodium_memzero(secret, TC_INVITATION_SECRET_MAX);
    if (body == NULL)
        return tc_fail(err, TC_ENOMEM, "out of memory");
    tc_resp_status(resp, 201);
    st = tc_resp_header(resp, "Cache-Control", "no-store", err);
    if (st == TC_OK)
        st = tc_resp_json(resp, body, err);
    json_decref(body);
    return st;
}

enum tc_status
tc_handle_unit_invite(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_vault_kdf kdf;
    struct tc_principal who = {0};
    struct tc_caselog_unit unit = {0};
    struct invite_txn in = {.kdf = &kdf};
    struct tc_unit_key *key = NULL;
    enum tc_status st;

    kdf_of(req, &kdf);
    if ((st = tc_auth_require(req, &who, err)) != TC_OK ||
        (st = unit_for(req, &who, TC_ACT_UNIT_INVITE, &unit, &key, err)) != TC_OK)
        return st;
    in.unit_id = unit.id;
    in.by = who.id;
    in.key = key;
    st = tc_db_transact(tc_req_db(req, err), false, invite_txn, &in, err);
    tc_unit_key_free(key);
    if (st != TC_OK) {
        sodium_memzero(in.secret, sizeof(in.secret));
        return st;
    }
    return reply_secret(resp, unit.code, in.secret, err);
}

enum tc_status
tc_handle_invitation_redeem(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_vault_kdf kdf;
    struct tc_principal anyone = {.kind = TC_PRINCIPAL_NONE};
    struct tc_db_conn *conn = tc_req_db(req, err);
    struct tc_caselog_unit unit = {0};
    struct tc_user user;
    json_t *body = NULL;
    const char *login, *secret, *password;
    size_t len;
    long long unit_id = 0;
    enum tc_status st;

    kdf_of(req, &kdf);
    if (conn == NULL)
        return err->status;
    if ((st = tc_json_body(req, &body, err)) != TC_OK ||
        (st = tc_json_string(body, "login", true, &login, NULL, err)) != TC_OK ||
        (st = tc_json_string(body, "invitation", true, &secret, NULL, err)) != TC_OK ||
        (st = tc_json_string(body, "password", true, &password, &len, err)) != TC_OK)
        goto out;
    st = tc_user_get(conn, login, tc_req_arena(req), &user, err);
    if (st == TC_OK)
        st = tc_invitation_redeem(conn, &kdf, secret, user.id, password, len, &unit_id, err);
    if (st == TC_ENOTFOUND || st == TC_EUNAUTH) {
        tc_auth_audit(req, &anyone, "unit.invitation.redeem", "failed", NULL);
        st = tc_fail(err, TC_EUNAUTH,
                     "the invitation, the login or the password is wrong, or the invitation was "
                     "used or has expired");
        goto out;
    }
    if (st == TC_OK &&
        (st = tc_caselog_unit(conn, unit_id, NULL, tc_req_arena(req), &unit, err)) == TC_OK)
        st = reply(resp, json_pack("{s:s, s:s}", "unit", unit.code, "login", user.login), err);
out:
    if (body != NULL) {
        tc_json_wipe_string(body, "password");
        tc_json_wipe_string(body, "invitation");
    }
    tc_req_body_wipe(req);
    return st;
}

struct grant_txn {
    const struct tc_vault_kdf *kdf;
    long long unit_id, user_id;
    const struct tc_unit_key *key;
    const char *password;
    size_t len;
};

static enum tc_status
grant_txn(struct tc_db_conn *conn, void *vctx, struct tc_error *err)
{
    struct grant_txn *g = vctx;

    return tc_unit_member_grant(conn, g->kdf, g->unit_id, g->key, g->user_id, g->password, g->len,
                                err);
}

/* The member to recover: a host of this unit (or of none), whose current password is given. */
static enum tc_status
member_to_recover(struct tc_request *req, const char *login, const char *password, size_t len,
                  long long unit_id, struct tc_user *out, struct tc_error *err)
{
    const struct tc_auth *auth = tc_server_auth(tc_req_server(req));
    const struct tc_login_request lr = {.login = login,
                                        .password = password,
                                        .password_len = len,
                                        .client_addr = tc_req_client_addr(req)};
    long long stamp;
    enum tc_status st;

    if (password == NULL)
        st = tc_user_get(tc_req_db(req, err), login, tc_req_arena(req), out, err);
    else
        st = tc_login_verify(tc_req_db(req, err), tc_auth_gate(auth), &lr, tc_req_arena(req), out,
                             &stamp, err);
    if (st == TC_EUNAUTH)
        return tc_fail(err, TC_EUNAUTH, "the member's login or new password is wrong");
    if (st == TC_ENOTFOUND || (st == TC_OK && (out->role != TC_ROLE_HOST ||
                                               (out->unit_id != 0 && out->unit_id != unit_id))))
        return tc_fail(err, TC_ENOTFOUND, "\"%s\" is not a host of this unit", login);
    return st;
}

enum tc_status
tc_handle_unit_recover(struct tc_request *req, struct tc_response *resp, struct tc_error *err)
{
    struct tc_vault_kdf kdf;
    struct tc_principal who = {0};
    struct tc_caselog_unit unit = {0};
    struct tc_user member;
    struct tc_unit_key *key = NULL;
    json_t *body = NULL;
    const char *login, *password = NULL;
    size_t len = 0;
    enum tc_status st;

    kdf_of(req, &kdf);
    if ((st = tc_auth_require(req, &who, err)) != TC_OK ||
        (st = unit_for(req, &who, TC_ACT_ESCROW_RECOVER, &unit, &key, err)) != TC_OK ||
        (st = tc_json_body(req, &body, err)) != TC_OK ||
        (st = tc_json_string(body, "login", true, &login, NULL, err)) != TC_OK ||
        (st = tc_json_string(body, "password", false, &password, &len, err)) != TC_OK ||
        (st = member_to_recover(req, login, password, len, unit.id, &member, err)) != TC_OK)
        goto out;
    if (password != NULL) { /* the member is present: wrap under their new password */
        struct grant_txn g = {&kdf, unit.id, member.id, key, password, len};

        if ((st = tc_db_transact(tc_req_db(req, err), false, grant_txn, &g, err)) == TC_OK) {
            tc_auth_audit(req, &who, "escrow.recover", "ok", "{\"by\": \"password\"}");
            st =
                reply(resp, json_pack("{s:s, s:s}", "unit", unit.code, "login", member.login), err);
        }
    } else { /* an invitation for the member to redeem with their new password */
        struct invite_txn in = {.kdf = &kdf, .unit_id = unit.id, .by = who.id, .key = key};

        if ((st = tc_db_transact(tc_req_db(req, err), false, invite_txn, &in, err)) == TC_OK) {
            tc_auth_audit(req, &who, "escrow.recover", "ok", "{\"by\": \"invitation\"}");
            st = reply_secret(resp, unit.code, in.secret, err);
        }
        sodium_memzero(in.secret, sizeof(in.secret));
    }
out:
    tc_unit_key_free(key);
    if (body != NULL)
        tc_json_wipe_string(body, "password");
    tc_req_body_wipe(req);
    return st;
}
