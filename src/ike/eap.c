#include "ike/eap.h"
#include "base/log.h"
#include "base/secret.h"
#include "cred/id.h"
#include "ike/ike_int.h"
#include <stdlib.h>
#include <string.h>

static const char SERVER_NAME[] = "kite";
/* a client's EAP rounds are bounded: a gateway cannot keep us talking */
enum { EAP_CLIENT_ROUNDS_MAX = 16 };

/* a name the peer chose, printable for the log (control bytes as '?') */
static const char *printable(const char *s, size_t n, char *buf, size_t cap)
{
    cred_id_format(CRED_ID_FQDN, span_of(s, n), buf, cap);
    return buf;
}

int ike_eap_begin(struct ike_engine *e, struct ikesa *sa)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    struct ike_eap_sa *x = calloc(1, sizeof *x);
    if (!x)
        return KITE_E_NOMEM;
    x->next_id = 1;
    sa->eap = x;
    x->method = (sa->initiator ? c->local_auth : c->remote_auth).eap_type == EAP_TYPE_TLS ? EAP_TYPE_TLS
                                                                                          : EAP_TYPE_MSCHAPV2;
    if (!sa->initiator)
        return 0;
    /* the client: our EAP identity and its password, kept only as the NT hash */
    const char *id = c->local_eap_id;
    char buf[EAPM_NAME_MAX + 1];
    if (!id[0]) { /* our IKE identity's text: a user name, an e-mail address, a host name */
        size_t n = c->local_id.len < EAPM_NAME_MAX ? c->local_id.len : EAPM_NAME_MAX;
        memcpy(buf, c->local_id.data, n);
        buf[n] = 0;
        id = buf;
    }
    x->identity_len = strlen(id);
    memcpy(x->identity, id, x->identity_len + 1);
    if (x->method == EAP_TYPE_TLS) /* the certificate, not a password */
        return ike_eap_tls_client(e, sa);
    struct secret pw = { 0 };
    if (!e->env.eap_secret || e->env.eap_secret(e->env.ctx, id, x->identity_len, &pw)) {
        ike_log(e, LOG_IKE, 0, "no EAP secret for '%s' (secrets { eap-... { id = %s } })", id, id);
        return KITE_E_AUTH_FAILED;
    }
    uint8_t pc[MSCHAP_CHALLENGE_LEN];
    e->env.random(e->env.ctx, pc, sizeof pc);
    int rc = eapm_client_init(&x->m, id, x->identity_len, (const char *)pw.p, pw.n, pc);
    secret_free(&pw);
    return rc;
}

void ike_eap_end(struct ikesa *sa)
{
    struct ike_eap_sa *x = sa->eap;
    if (!x)
        return;
    eapm_clear(&x->m);
    eap_tls_free(x->tls);
    if (x->first)
        mem_wipe(x->first, x->first_len);
    free(x->first);
    free(x->idr);
    mem_wipe(x, sizeof *x);
    free(x);
    sa->eap = NULL;
}

bool ike_eap_done(const struct ikesa *sa)
{
    return sa->eap && sa->eap->stage == IKE_EAP_AUTH;
}

struct secret ike_eap_msk(const struct ikesa *sa)
{
    struct secret s = { (uint8_t *)sa->eap->m.msk, sizeof sa->eap->m.msk };
    if (sa->eap->tls) /* RFC 5216 2.3: 64 bytes, as MS-CHAPv2's */
        s.p = (uint8_t *)eap_tls_msk(sa->eap->tls), s.n = EAPTLS_MSK_LEN;
    return s;
}

/* the user's NT hash, from its secret: only the identity EAP authenticates
 * may log in (eap_id), and a user without a secret is refused like a wrong password */
static int lookup(void *ctx, const char *user, size_t len, uint8_t out[MSCHAP_HASH_LEN])
{
    void **pair = ctx;
    struct ike_engine *e = pair[0];
    struct ike_eap_sa *x = pair[1];
    struct secret pw = { 0 };
    if ((!x->identity_any && (len != x->identity_len || memcmp(user, x->identity, len))) || !e->env.eap_secret ||
        e->env.eap_secret(e->env.ctx, user, len, &pw)) {
        /* hashed all the same: the time taken does not tell which users exist */
        mschap_nt_hash("not a user", 10, out);
        return -1;
    }
    int rc = mschap_nt_hash((const char *)pw.p, pw.n, out);
    secret_free(&pw);
    return rc ? -1 : 0;
}

static int server_challenge(struct ike_engine *e, struct ikesa *sa, struct eapm_out *out)
{
    struct ike_eap_sa *x = sa->eap;
    uint8_t ch[MSCHAP_CHALLENGE_LEN];
    x->stage = IKE_EAP_METHOD;
    if (x->method == EAP_TYPE_TLS)
        return !x->id_len && ike_eap_tls_set_id(x, 0, span_of(NULL, 0)) ? KITE_E_AUTH_FAILED
                                                           : ike_eap_tls_start(e, sa, x->next_id++, out);
    e->env.random(e->env.ctx, ch, sizeof ch);
    return eapm_server_start(&x->m, ch, x->next_id++, SERVER_NAME, out);
}

int ike_eap_server_first(struct ike_engine *e, struct ikesa *sa, const struct ike_id *idi, struct eapm_out *out)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    struct ike_eap_sa *x = sa->eap;
    if (!strcmp(c->remote_eap_id, "%any")) { /* ask: Windows and phones give their user name here */
        x->identity_any = true;
        x->stage = IKE_EAP_IDENTITY;
        memset(out, 0, sizeof *out);
        out->code = EAP_CODE_REQUEST, out->id = x->next_id++, out->type = EAP_TYPE_IDENTITY;
        return 0;
    }
    const char *id = c->remote_eap_id;
    size_t n = strlen(id);
    if (!n) /* the peer's IKE identity */
        id = (const char *)idi->data.p, n = idi->data.n;
    if (n == 0 || n > EAPM_NAME_MAX)
        return KITE_E_AUTH_FAILED;
    memcpy(x->identity, id, n);
    x->identity[n] = 0, x->identity_len = n;
    if (x->method == EAP_TYPE_TLS && !c->remote_eap_id[0] && ike_eap_tls_set_id(x, idi->type, idi->data))
        return KITE_E_AUTH_FAILED;
    return server_challenge(e, sa, out);
}

static int server_step(struct ike_engine *e, struct ikesa *sa, const struct ike_eap *in, struct eapm_out *out)
{
    struct ike_eap_sa *x = sa->eap;
    if (x->stage == IKE_EAP_IDENTITY) {
        if (in->code != EAP_CODE_RESPONSE || in->id != x->next_id - 1 || in->type != EAP_TYPE_IDENTITY ||
            in->data.n == 0 || in->data.n > EAPM_NAME_MAX || memchr(in->data.p, 0, in->data.n)) {
            memset(out, 0, sizeof *out);
            out->code = EAP_CODE_FAILURE, out->id = in->id;
            return KITE_E_AUTH_FAILED;
        }
        memcpy(x->identity, in->data.p, in->data.n);
        x->identity[in->data.n] = 0, x->identity_len = in->data.n;
        char pb[EAPM_NAME_MAX + 1];
        ike_log(e, LOG_IKE, 1, "received EAP identity '%s'", printable(x->identity, x->identity_len, pb, sizeof pb));
        return server_challenge(e, sa, out);
    }
    if (x->method == EAP_TYPE_TLS)
        return ike_eap_tls_step(e, sa, in, out);
    void *ctx[2] = { e, x };
    enum eapm_rc rc = eapm_server_recv(&x->m, in->code, in->id, in->type, in->data.p, in->data.n, lookup, ctx, out);
    if (rc == EAPM_CONTINUE)
        return 0;
    char pb[EAPM_NAME_MAX + 1];
    if (rc == EAPM_FAILURE) {
        ike_log(e, LOG_IKE, 0, "EAP-MSCHAPv2 authentication of '%s' failed: %s",
                x->m.name[0] ? printable(x->m.name, x->m.name_len, pb, sizeof pb)
                             : printable(x->identity, x->identity_len, pb, sizeof pb), x->m.why);
        return KITE_E_AUTH_FAILED;
    }
    ike_log(e, LOG_IKE, 1, "EAP-MSCHAPv2 authentication of '%s' successful",
            printable(x->m.name, x->m.name_len, pb, sizeof pb));
    x->stage = IKE_EAP_AUTH;
    return 1;
}

/* EAP-TLS takes a round per fragment: as many as the longest messages
 * (eap_tls_max_bytes) in the smallest fragments take, each way */
static uint32_t client_rounds_max(const struct ike_engine *e, const struct ike_eap_sa *x)
{
    if (x->method != EAP_TYPE_TLS)
        return EAP_CLIENT_ROUNDS_MAX;
    uint32_t frag = e->lim.eap_tls_fragment_size > 64 ? e->lim.eap_tls_fragment_size - 10 : 54;
    uint32_t max = e->lim.eap_tls_max_bytes ? e->lim.eap_tls_max_bytes : EAPTLS_MAX_BYTES_DEFAULT;
    return EAP_CLIENT_ROUNDS_MAX + 4 * (max / frag + 1);
}

static int client_step(struct ike_engine *e, struct ikesa *sa, const struct ike_eap *in, struct eapm_out *out)
{
    struct ike_eap_sa *x = sa->eap;
    memset(out, 0, sizeof *out);
    uint32_t max = client_rounds_max(e, x);
    if (++x->rounds > max) {
        ike_log(e, LOG_IKE, 0, "EAP as '%s' failed: the gateway went on past %u EAP rounds", x->identity, max);
        return KITE_E_AUTH_FAILED;
    }
    if (in->code == EAP_CODE_REQUEST && in->type == EAP_TYPE_IDENTITY) {
        out->code = EAP_CODE_RESPONSE, out->id = in->id, out->type = EAP_TYPE_IDENTITY;
        memcpy(out->data, x->identity, x->identity_len);
        out->len = x->identity_len;
        x->stage = IKE_EAP_METHOD;
        return 0;
    }
    if (in->code == EAP_CODE_REQUEST && in->type != x->method) {
        /* a Nak naming the one method we have (RFC 3748 5.3.1) */
        out->code = EAP_CODE_RESPONSE, out->id = in->id, out->type = EAP_TYPE_NAK;
        out->data[0] = x->method, out->len = 1;
        ike_log(e, LOG_IKE, 1, "the server asked for EAP method %u, answering with a Nak for %s", in->type,
                x->method == EAP_TYPE_TLS ? "EAP-TLS" : "EAP-MSCHAPv2");
        return 0;
    }
    if (x->method == EAP_TYPE_TLS) {
        x->stage = IKE_EAP_METHOD;
        return ike_eap_tls_step(e, sa, in, out);
    }
    enum eapm_rc rc = eapm_client_recv(&x->m, in->code, in->id, in->type, in->data.p, in->data.n, out);
    if (rc == EAPM_CONTINUE) {
        x->stage = IKE_EAP_METHOD;
        return 0;
    }
    if (rc == EAPM_FAILURE) {
        ike_log(e, LOG_IKE, 0, "EAP-MSCHAPv2 as '%s' failed: %s", x->identity, x->m.why);
        return KITE_E_AUTH_FAILED;
    }
    ike_log(e, LOG_IKE, 1, "EAP-MSCHAPv2 as '%s' successful", x->identity);
    x->stage = IKE_EAP_AUTH;
    return 1;
}

int ike_eap_step(struct ike_engine *e, struct ikesa *sa, const struct ike_eap *in, struct eapm_out *out)
{
    if (!sa->eap || sa->eap->stage == IKE_EAP_AUTH)
        return KITE_E_STATE;
    return sa->initiator ? client_step(e, sa, in, out) : server_step(e, sa, in, out);
}

int ike_eap_keep_first(struct ikesa *sa, const struct ike_chain *in)
{
    struct ike_eap_sa *x = sa->eap;
    size_t cap = IKE_DGRAM_MAX * 2;
    uint8_t *buf = malloc(cap);
    if (!buf || !in->n) {
        free(buf);
        return KITE_E_NOMEM;
    }
    struct wr w;
    wr_init(&w, buf, cap);
    int rc = ike_chain_encode(in, &w);
    if (rc) {
        free(buf);
        return rc;
    }
    uint8_t *fit = realloc(buf, w.len ? w.len : 1); /* kept through the EAP rounds: only its size */
    x->first = fit ? fit : buf, x->first_len = w.len, x->first_type = in->pld[0].type;
    return 0;
}

struct ike_chain *ike_eap_first(const struct ikesa *sa, const struct ike_pld *extra)
{
    const struct ike_eap_sa *x = sa->eap;
    struct ike_chain *c = calloc(1, sizeof *c);
    struct diag d;
    memset(&d, 0, sizeof d);
    if (!c || !x->first || ike_chain_decode(span_of(x->first, x->first_len), x->first_type, c, &d) ||
        (extra && c->n >= IKE_MAX_PAYLOADS)) {
        free(c);
        return NULL;
    }
    if (extra)
        c->pld[c->n++] = *extra;
    return c;
}

int ike_eap_keep_idr(struct ikesa *sa, const struct ike_id *idr)
{
    struct ike_eap_sa *x = sa->eap;
    free(x->idr);
    x->idr = malloc(idr->data.n ? idr->data.n : 1);
    if (!x->idr)
        return KITE_E_NOMEM;
    memcpy(x->idr, idr->data.p, idr->data.n);
    x->idr_len = (uint16_t)idr->data.n, x->idr_type = idr->type;
    return 0;
}

struct ike_chain *ike_eap_with_idr(const struct ikesa *sa, const struct ike_chain *in)
{
    const struct ike_eap_sa *x = sa->eap;
    if (!x->idr || in->n >= IKE_MAX_PAYLOADS)
        return NULL;
    struct ike_chain *c = malloc(sizeof *c);
    if (!c)
        return NULL;
    c->n = in->n, c->critical_type = 0;
    memcpy(c->pld, in->pld, in->n * sizeof in->pld[0]);
    struct ike_pld *p = &c->pld[c->n++];
    memset(p, 0, sizeof *p);
    p->type = IKEV2_PLD_IDR;
    p->u.id.type = x->idr_type;
    p->u.id.data = span_of(x->idr, x->idr_len);
    return c;
}
