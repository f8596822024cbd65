/* eap_tls_sa: EAP-TLS (eap_tls.c) for an IKE SA's EAP (eap.c): our
 * certificate and key from the connection (local.certs or local.id), the
 * engine's fragment size and reassembly cap, and the peer's certificate
 * judged as IKE would judge it (auth_peer.c: remote.cacerts, revocation),
 * holding the identity EAP authenticates:
 *   server: the EAP identity (eap_id, the EAP-Identity response, or the
 *           client's IKE identity), as strongSwan parses an identity;
 *   client: the gateway's IKE identity (IDr), which its AUTH proved. */
#include "base/log.h"
#include "cred/id.h"
#include "ike/eap.h"
#include "ike/ike_int.h"
#include <stdio.h>
#include <string.h>

/* the identity the peer's certificate must hold */
static void expected_id(const struct ike_eap_sa *x, uint8_t *type, struct span *id)
{
    if (x->tls_idr_check) {
        *type = x->idr_type, *id = span_of(x->idr, x->idr_len);
        return;
    }
    *type = x->id_type, *id = span_of(x->id_data, x->id_len);
}

static int verify(void *ctx, X509 *ee, STACK_OF(X509) *chain, const char **why)
{
    struct ike_eap_sa *x = ctx;
    uint8_t type;
    struct span id;
    expected_id(x, &type, &id);
    if (!id.n) {
        *why = "no identity to check the peer's TLS certificate against";
        return -1;
    }
    if (ike_peer_cert_check(x->cur_e, x->cur_sa, ee, chain, type, id, x->why, sizeof x->why)) {
        *why = x->why;
        return -1;
    }
    return 0;
}

/* the EAP identity as the certificate must hold it: eap_id's or the
 * EAP-Identity's text parsed as strongSwan parses an identity (an e-mail
 * address, a DN, a host name) */
int ike_eap_tls_set_id(struct ike_eap_sa *x, uint8_t type, struct span data)
{
    size_t len = 0;
    if (type) {
        if (data.n > sizeof x->id_data)
            return KITE_E_AUTH_FAILED;
        memcpy(x->id_data, data.p, data.n);
        x->id_type = type, x->id_len = data.n;
        return 0;
    }
    if (cred_id_parse(x->identity, &x->id_type, x->id_data, sizeof x->id_data, &len))
        return KITE_E_AUTH_FAILED;
    x->id_len = len;
    return 0;
}

static int tls_new(struct ike_engine *e, struct ikesa *sa)
{
    struct ike_eap_sa *x = sa->eap;
    X509 *chain[IKE_PK_CHAIN];
    struct eap_tls_cfg cfg = {
        .server = !sa->initiator,
        .frag_size = e->lim.eap_tls_fragment_size,
        .max_bytes = e->lim.eap_tls_max_bytes,
        .verify = verify,
        .verify_ctx = x,
        .chain = chain,
    };
    cfg.cert = ike_pk_local_cert(e, sa, &cfg.key, chain, IKE_PK_CHAIN, &cfg.n_chain);
    if (!cfg.cert) {
        ike_log(e, LOG_CFG, 0, "EAP-TLS: no certificate with its private key for connection %s (local.certs)",
                e->conns[sa->conn].name);
        return KITE_E_AUTH_FAILED;
    }
    int rc = eap_tls_new(&cfg, &x->tls);
    if (rc)
        ike_log(e, LOG_IKE, 0, "EAP-TLS could not start: %s", kite_strerror(rc));
    return rc ? KITE_E_AUTH_FAILED : 0;
}

int ike_eap_tls_client(struct ike_engine *e, struct ikesa *sa)
{
    sa->eap->tls_idr_check = true;
    return tls_new(e, sa);
}

int ike_eap_tls_start(struct ike_engine *e, struct ikesa *sa, uint8_t eap_id, struct eapm_out *out)
{
    int rc = tls_new(e, sa);
    return rc ? rc : eap_tls_server_start(sa->eap->tls, eap_id, out);
}

static void log_end(struct ike_engine *e, struct ikesa *sa, enum eapm_rc rc)
{
    struct ike_eap_sa *x = sa->eap;
    char idt[256];
    uint8_t type;
    struct span id;
    expected_id(x, &type, &id);
    cred_id_format(type, id, idt, sizeof idt);
    if (rc == EAPM_SUCCESS) {
        ike_log(e, LOG_IKE, 1, "EAP-TLS %s '%s' successful", sa->initiator ? "with the gateway" : "authentication of",
                idt);
        return;
    }
    if (eap_tls_limited(x->tls))
        e->stats.eap_tls_limited++;
    ike_log(e, LOG_IKE, 0, "EAP-TLS %s '%s' failed: %s", sa->initiator ? "with the gateway" : "authentication of",
            idt, eap_tls_why(x->tls));
}

int ike_eap_tls_step(struct ike_engine *e, struct ikesa *sa, const struct ike_eap *in, struct eapm_out *out)
{
    struct ike_eap_sa *x = sa->eap;
    x->cur_e = e, x->cur_sa = sa;
    enum eapm_rc rc = eap_tls_recv(x->tls, in->code, in->id, in->type, in->data.p, in->data.n, out);
    x->cur_e = NULL, x->cur_sa = NULL;
    if (rc == EAPM_CONTINUE)
        return 0;
    log_end(e, sa, rc);
    if (rc == EAPM_FAILURE)
        return KITE_E_AUTH_FAILED;
    x->stage = IKE_EAP_AUTH;
    return 1;
}
