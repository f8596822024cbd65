#include "ike/eap_mschapv2.h"
#include "base/err.h"
#include "base/rd.h"
#include "base/secret.h"
#include "base/wr.h"
#include "wire/ike.h"
#include <openssl/crypto.h>
#include <string.h>

/* MS-CHAPv2 op codes and the Response's Value-Size (draft-kamath 2) */
enum { OP_CHALLENGE = 1, OP_RESPONSE = 2, OP_SUCCESS = 3, OP_FAILURE = 4, RESPONSE_VALUE_SIZE = 49 };
enum { ST_IDLE, ST_CHALLENGED, ST_SUCCESS_SENT, ST_DONE, ST_FAILED };

static const char SUCCESS_MSG[] = " M=Welcome to kite";

/* out: an MS-CHAPv2 packet of `op` with the body from w's buffer */
static void out_start(struct eapm_out *out, struct wr *w, uint8_t code, uint8_t id, uint8_t op, uint8_t ms_id)
{
    memset(out, 0, sizeof *out);
    out->code = code, out->id = id, out->type = EAP_TYPE_MSCHAPV2;
    wr_init(w, out->data, sizeof out->data);
    wr_u8(w, op);
    if (code == EAP_CODE_REQUEST || op == OP_RESPONSE) {
        wr_u8(w, ms_id);
        wr_reserve(w, 2); /* MS-Length, patched by out_end */
    }
}

static int out_end(struct eapm_out *out, struct wr *w)
{
    if (w->len > 2)
        wr_put_be16(w, 2, (uint16_t)w->len); /* MS-Length: from the op code on (EAP length - 5) */
    out->len = w->len;
    return w->err;
}

static void out_bare(struct eapm_out *out, uint8_t code, uint8_t id)
{
    memset(out, 0, sizeof *out);
    out->code = code, out->id = id;
}

/* the op code, MS-CHAPv2-ID and MS-Length of a packet, checked against its
 * length; r is left on the rest */
static int read_head(struct rd *r, uint8_t *op, uint8_t *ms_id)
{
    uint16_t ms_len;
    size_t total = rd_left(r);
    if (rd_u8(r, op))
        return r->err;
    if (total == 1) /* a Success/Failure Response is the op code alone */
        return *ms_id = 0, 0;
    rd_u8(r, ms_id);
    rd_be16(r, &ms_len);
    if (r->err)
        return r->err;
    return ms_len == total ? 0 : rd_fail(r, KITE_E_BAD_LENGTH);
}

static enum eapm_rc fail(struct eap_mschapv2 *m, const char *why, struct eapm_out *out, uint8_t id)
{
    m->state = ST_FAILED;
    m->why = why;
    if (m->server)
        out_bare(out, EAP_CODE_FAILURE, id);
    else
        out->len = 0, out->code = 0;
    OPENSSL_cleanse(m->msk, sizeof m->msk);
    return EAPM_FAILURE;
}

int eapm_server_start(struct eap_mschapv2 *m, const uint8_t challenge[MSCHAP_CHALLENGE_LEN], uint8_t eap_id,
                      const char *server_name, struct eapm_out *out)
{
    memset(m, 0, sizeof *m);
    m->server = true;
    m->eap_id = eap_id, m->ms_id = eap_id;
    memcpy(m->auth_challenge, challenge, MSCHAP_CHALLENGE_LEN);
    struct wr w;
    out_start(out, &w, EAP_CODE_REQUEST, eap_id, OP_CHALLENGE, m->ms_id);
    wr_u8(&w, MSCHAP_CHALLENGE_LEN);
    wr_bytes(&w, challenge, MSCHAP_CHALLENGE_LEN);
    wr_bytes(&w, server_name, strnlen(server_name, EAPM_NAME_MAX)); /* the Name must be at least one byte */
    if (!server_name[0])
        wr_u8(&w, 'k');
    m->state = ST_CHALLENGED;
    return out_end(out, &w);
}

/* the Response: Value-Size 49, peer challenge, 8 reserved, NT-Response, flags, the user's name */
static enum eapm_rc server_response(struct eap_mschapv2 *m, struct rd *r, eapm_lookup_fn *lookup, void *ctx,
                                    struct eapm_out *out)
{
    uint8_t vs, flags, nt[MSCHAP_NT_RESPONSE_LEN];
    rd_u8(r, &vs);
    rd_copy(r, m->peer_challenge, MSCHAP_CHALLENGE_LEN);
    rd_skip(r, 8);
    rd_copy(r, nt, sizeof nt);
    rd_u8(r, &flags);
    struct span name = rd_rest(r);
    if (r->err || vs != RESPONSE_VALUE_SIZE || name.n == 0 || name.n > EAPM_NAME_MAX)
        return fail(m, "malformed MS-CHAPv2 Response", out, m->eap_id);
    memcpy(m->name, name.p, name.n);
    m->name[name.n] = 0, m->name_len = name.n;
    const char *user;
    size_t user_len;
    mschap_user_name(m->name, m->name_len, &user, &user_len);
    if (lookup(ctx, m->name, m->name_len, m->nt_hash))
        return fail(m, "no EAP secret for this user", out, m->eap_id);
    uint8_t want[MSCHAP_NT_RESPONSE_LEN];
    if (mschap_nt_response(m->auth_challenge, m->peer_challenge, user, user_len, m->nt_hash, want))
        return fail(m, "MS-CHAPv2 computation failed", out, m->eap_id);
    bool ok = ct_equal(want, nt, sizeof nt);
    OPENSSL_cleanse(want, sizeof want);
    if (!ok)
        return fail(m, "wrong MS-CHAPv2 password", out, m->eap_id);
    memcpy(m->nt_response, nt, sizeof nt);
    if (mschap_auth_response(m->nt_hash, nt, m->peer_challenge, m->auth_challenge, user, user_len,
                             m->auth_response) || mschap_msk(m->nt_hash, nt, m->msk))
        return fail(m, "MS-CHAPv2 computation failed", out, m->eap_id);
    struct wr w;
    out_start(out, &w, EAP_CODE_REQUEST, ++m->eap_id, OP_SUCCESS, m->ms_id);
    wr_bytes(&w, m->auth_response, sizeof m->auth_response);
    wr_bytes(&w, SUCCESS_MSG, sizeof SUCCESS_MSG - 1);
    m->state = ST_SUCCESS_SENT;
    return out_end(out, &w) ? fail(m, "EAP packet too long", out, m->eap_id) : EAPM_CONTINUE;
}

enum eapm_rc eapm_server_recv(struct eap_mschapv2 *m, uint8_t code, uint8_t id, uint8_t type, const uint8_t *data,
                              size_t len, eapm_lookup_fn *lookup, void *ctx, struct eapm_out *out)
{
    struct rd r;
    uint8_t op, ms_id;
    rd_init(&r, data, len);
    if (code != EAP_CODE_RESPONSE || id != m->eap_id)
        return fail(m, "unexpected EAP packet", out, id);
    if (type == EAP_TYPE_NAK)
        return fail(m, "the client refused EAP-MSCHAPv2 (Nak)", out, id);
    if (type != EAP_TYPE_MSCHAPV2 || read_head(&r, &op, &ms_id))
        return fail(m, "malformed EAP-MSCHAPv2 packet", out, id);
    if (m->state == ST_CHALLENGED && op == OP_RESPONSE && ms_id == m->ms_id)
        return server_response(m, &r, lookup, ctx, out);
    if (m->state == ST_SUCCESS_SENT && op == OP_SUCCESS && rd_done(&r)) {
        m->state = ST_DONE;
        out_bare(out, EAP_CODE_SUCCESS, id);
        return EAPM_SUCCESS;
    }
    return fail(m, "unexpected MS-CHAPv2 op code", out, id);
}

int eapm_client_init(struct eap_mschapv2 *m, const char *user, size_t user_len, const char *password,
                     size_t pw_len, const uint8_t peer_challenge[MSCHAP_CHALLENGE_LEN])
{
    memset(m, 0, sizeof *m);
    if (user_len == 0 || user_len > EAPM_NAME_MAX)
        return KITE_E_INVALID_ARG;
    memcpy(m->name, user, user_len);
    m->name_len = user_len;
    memcpy(m->peer_challenge, peer_challenge, MSCHAP_CHALLENGE_LEN);
    return mschap_nt_hash(password, pw_len, m->nt_hash);
}

static enum eapm_rc client_challenge(struct eap_mschapv2 *m, struct rd *r, uint8_t id, uint8_t ms_id,
                                     struct eapm_out *out)
{
    uint8_t vs;
    rd_u8(r, &vs);
    rd_copy(r, m->auth_challenge, MSCHAP_CHALLENGE_LEN);
    if (r->err || vs != MSCHAP_CHALLENGE_LEN)
        return fail(m, "malformed MS-CHAPv2 Challenge", out, id);
    const char *user;
    size_t user_len;
    mschap_user_name(m->name, m->name_len, &user, &user_len);
    if (mschap_nt_response(m->auth_challenge, m->peer_challenge, user, user_len, m->nt_hash, m->nt_response) ||
        mschap_auth_response(m->nt_hash, m->nt_response, m->peer_challenge, m->auth_challenge, user, user_len,
                             m->auth_response))
        return fail(m, "MS-CHAPv2 computation failed", out, id);
    m->ms_id = ms_id;
    struct wr w;
    out_start(out, &w, EAP_CODE_RESPONSE, id, OP_RESPONSE, ms_id);
    wr_u8(&w, RESPONSE_VALUE_SIZE);
    wr_bytes(&w, m->peer_challenge, MSCHAP_CHALLENGE_LEN);
    wr_zero(&w, 8);
    wr_bytes(&w, m->nt_response, MSCHAP_NT_RESPONSE_LEN);
    wr_u8(&w, 0);
    wr_bytes(&w, m->name, m->name_len);
    m->state = ST_CHALLENGED;
    return out_end(out, &w) ? fail(m, "EAP packet too long", out, id) : EAPM_CONTINUE;
}

/* the server's Success Request: "S=<40 hex>" and a message; the
 * authenticator response proves the server knew the password too */
static enum eapm_rc client_success(struct eap_mschapv2 *m, struct rd *r, uint8_t id, struct eapm_out *out)
{
    struct span msg = rd_rest(r);
    if (msg.n < MSCHAP_AUTH_RESPONSE_LEN ||
        !ct_equal(msg.p, m->auth_response, MSCHAP_AUTH_RESPONSE_LEN))
        return fail(m, "the gateway's MS-CHAPv2 authenticator response is wrong", out, id);
    if (mschap_msk(m->nt_hash, m->nt_response, m->msk))
        return fail(m, "MS-CHAPv2 computation failed", out, id);
    struct wr w;
    out_start(out, &w, EAP_CODE_RESPONSE, id, OP_SUCCESS, 0);
    m->state = ST_SUCCESS_SENT;
    return out_end(out, &w) ? fail(m, "EAP packet too long", out, id) : EAPM_CONTINUE;
}

enum eapm_rc eapm_client_recv(struct eap_mschapv2 *m, uint8_t code, uint8_t id, uint8_t type, const uint8_t *data,
                              size_t len, struct eapm_out *out)
{
    if (code == EAP_CODE_SUCCESS && m->state == ST_SUCCESS_SENT) {
        m->state = ST_DONE;
        out->len = 0, out->code = 0;
        return EAPM_SUCCESS;
    }
    if (code == EAP_CODE_FAILURE)
        return fail(m, "the gateway refused our EAP-MSCHAPv2 credentials", out, id);
    struct rd r;
    uint8_t op, ms_id;
    rd_init(&r, data, len);
    if (code != EAP_CODE_REQUEST || type != EAP_TYPE_MSCHAPV2 || read_head(&r, &op, &ms_id))
        return fail(m, "unexpected EAP packet", out, id);
    if (m->state == ST_IDLE && op == OP_CHALLENGE)
        return client_challenge(m, &r, id, ms_id, out);
    if (m->state == ST_CHALLENGED && op == OP_SUCCESS && ms_id == m->ms_id)
        return client_success(m, &r, id, out);
    if (op == OP_FAILURE)
        return fail(m, "the gateway refused our EAP-MSCHAPv2 credentials", out, id);
    return fail(m, "unexpected MS-CHAPv2 op code", out, id);
}

void eapm_clear(struct eap_mschapv2 *m)
{
    OPENSSL_cleanse(m, sizeof *m);
}
