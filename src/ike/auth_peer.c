/* auth_peer: is the peer who it claims to be?  Its AUTH payload checked
 * against the connection's remote side (remote.auth, remote.id,
 * remote.certs, remote.cacerts, revocation):
 *   PSK (2.15): the MAC, compared in constant time
 *   pubkey: its certificate (the first CERT payload, or a pinned one),
 *     the chain to a trusted CA (cred/verify.c), its identity in the
 *     certificate (RFC 4945 3.1), then the signature (RFC 7427).
 * A refusal names the check that failed, for the log line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/x509.h>
#include "base/log.h"
#include "cred/id.h"
#include "cred/verify.h"
#include "ike/eap.h"
#include "ike/ike_int.h"

enum { PEER_CERTS_MAX = 8 }; /* intermediates past this many are not looked at */

struct peer_certs {
    X509 *ee;
    X509 *mid[PEER_CERTS_MAX];
    size_t n_mid;
};

static void peer_certs_free(struct peer_certs *pc)
{
    X509_free(pc->ee);
    for (size_t i = 0; i < pc->n_mid; i++)
        X509_free(pc->mid[i]);
}

/* the CERT payloads of X.509 encoding: the first is the end entity (3.6) */
static int peer_certs_get(const struct ike_chain *in, struct peer_certs *pc, char *why, size_t cap)
{
    memset(pc, 0, sizeof *pc);
    for (unsigned i = 0; i < in->n; i++) {
        const struct ike_pld *p = &in->pld[i];
        if (p->type != IKEV2_PLD_CERT || p->u.cert.encoding != IKEV2_CERT_X509_SIG)
            continue;
        const unsigned char *q = p->u.cert.data.p;
        X509 *x = d2i_X509(NULL, &q, (long)p->u.cert.data.n);
        if (!x || q != p->u.cert.data.p + p->u.cert.data.n) {
            X509_free(x);
            snprintf(why, cap, "a CERT payload is not a DER X.509 certificate");
            return KITE_E_AUTH_FAILED;
        }
        if (!pc->ee)
            pc->ee = x;
        else if (pc->n_mid < PEER_CERTS_MAX)
            pc->mid[pc->n_mid++] = x;
        else
            X509_free(x);
    }
    return 0;
}

/* remote.certs: the peer's certificate must be one of them; without a CERT
 * payload the first pinned one holding the identity is used */
static int pinned(const struct cred_store *cs, const struct ike_conn_cfg *c, const struct ike_id *id,
                  struct peer_certs *pc, char *why, size_t cap)
{
    if (!ike_files_count(c->remote_certs))
        return 0;
    for (unsigned i = 0; c->remote_certs[i][0]; i++) {
        X509 *x = cred_store_cert(cs, c->remote_certs[i]);
        if (!x)
            continue;
        if (pc->ee ? !X509_cmp(pc->ee, x) : cred_cert_has_id(x, id->type, id->data)) {
            if (!pc->ee)
                pc->ee = X509_dup(x);
            return pc->ee ? 0 : KITE_E_NOMEM;
        }
    }
    snprintf(why, cap, pc->ee ? "the peer's certificate is not one of remote.certs"
                              : "the peer sent no certificate and none of remote.certs holds its identity");
    return KITE_E_AUTH_FAILED;
}

static int key_kind(EVP_PKEY *k)
{
    switch (EVP_PKEY_get_base_id(k)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS: return IKE_KEYK_RSA;
    case EVP_PKEY_EC: return IKE_KEYK_ECDSA;
    case EVP_PKEY_ED25519: return IKE_KEYK_ED25519;
    case EVP_PKEY_ED448: return IKE_KEYK_ED448;
    default: return -1;
    }
}

static const char *const key_names[] = { "any", "RSA", "ECDSA", "Ed25519", "Ed448" };

/* the signature itself and remote.auth's constraints on it */
static int check_signature(struct ikesa *sa, const struct ike_conn_cfg *c, X509 *ee, const struct ike_id *id,
                           const struct ike_auth *auth, char *why, size_t cap)
{
    EVP_PKEY *pub = X509_get0_pubkey(ee);
    int kind = pub ? key_kind(pub) : -1;
    uint8_t maced[IKE_PRF_MAX];
    struct span oct[3];
    struct sig_scheme used;
    if (kind < 0) {
        snprintf(why, cap, "the certificate's key type is not supported");
        return KITE_E_AUTH_FAILED;
    }
    if (c->remote_auth.key && kind != c->remote_auth.key) {
        snprintf(why, cap, "%s key, remote.auth requires %s", key_names[kind], key_names[c->remote_auth.key]);
        return KITE_E_AUTH_FAILED;
    }
    int rc = ike_auth_octets(sa, !sa->initiator, id, maced, oct);
    if (!rc)
        rc = sig_verify_ex(pub, auth->method, auth->data, oct, 3,
                           c->remote_auth.hashes & (1u << SIG_HASH_SHA1) ? SIG_ALLOW_SHA1 : 0, &used, why, cap);
    if (rc)
        return KITE_E_AUTH_FAILED;
    if (c->remote_auth.pss && kind == IKE_KEYK_RSA && !used.pss) {
        snprintf(why, cap, "RSA signature with PKCS#1 v1.5 padding, remote.auth requires rsa/pss");
        return KITE_E_AUTH_FAILED;
    }
    if (c->remote_auth.hashes && used.hash < 8 && !(c->remote_auth.hashes & (1u << used.hash))) {
        snprintf(why, cap, "signature hash %s not allowed by remote.auth", sig_hash_name(used.hash));
        return KITE_E_AUTH_FAILED;
    }
    return 0;
}

static int verify_chain(struct ike_engine *e, const struct cred_store *cs, const struct ike_conn_cfg *c,
                        struct peer_certs *pc, char *why, size_t cap)
{
    size_t n = 0;
    X509 **anchors = ike_pk_anchors(cs, c, &n);
    if (!anchors)
        return KITE_E_NOMEM;
    if (ike_files_count(c->cacerts) && !n) {
        free(anchors);
        snprintf(why, cap, "none of remote.cacerts is loaded");
        return KITE_E_AUTH_FAILED;
    }
    struct cred_verify_req req = {
        .ee = pc->ee, .untrusted = pc->mid, .n_untrusted = pc->n_mid, .anchors = anchors, .n_anchors = n,
        .revocation = (enum cred_revocation)c->revocation,
        .now = (time_t)(e->env.wall ? e->env.wall(e->env.ctx) : (int64_t)time(NULL)),
    };
    int rc = cred_verify_chain(cs, &req, why, cap) ? KITE_E_AUTH_FAILED : 0;
    free(anchors);
    return rc;
}

static int verify_pubkey(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, const struct ike_id *id,
                         const struct ike_auth *auth, char *why, size_t cap)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    struct peer_certs pc;
    char idtxt[256], dn[256];
    if (auth->method == IKEV2_AUTH_SHARED_KEY_MIC) {
        snprintf(why, cap, "the peer used a pre-shared key, remote.auth is pubkey");
        return KITE_E_AUTH_FAILED;
    }
    const struct cred_store *cs = ike_sa_creds(e, sa);
    if (!cs) {
        snprintf(why, cap, "no credentials loaded");
        return KITE_E_AUTH_FAILED;
    }
    int rc = peer_certs_get(in, &pc, why, cap);
    if (!rc)
        rc = pinned(cs, c, id, &pc, why, cap);
    if (!rc && !pc.ee) {
        snprintf(why, cap, "the peer sent no certificate and none is configured for it");
        rc = KITE_E_AUTH_FAILED;
    }
    if (!rc && !cred_cert_has_id(pc.ee, id->type, id->data)) {
        cred_id_format(id->type, id->data, idtxt, sizeof idtxt);
        cred_name_format(X509_get_subject_name(pc.ee), dn, sizeof dn);
        snprintf(why, cap, "identity '%s' is not in the certificate '%s' (subject or subjectAltName)", idtxt, dn);
        rc = KITE_E_AUTH_FAILED;
    }
    if (!rc)
        rc = verify_chain(e, cs, c, &pc, why, cap);
    if (!rc)
        rc = check_signature(sa, c, pc.ee, id, auth, why, cap);
    peer_certs_free(&pc);
    return rc;
}

static int verify_psk(struct ike_engine *e, struct ikesa *sa, const struct ike_id *id, const struct ike_auth *auth,
                      char *why, size_t cap)
{
    uint8_t want[IKE_PRF_MAX];
    size_t len;
    if (auth->method != IKEV2_AUTH_SHARED_KEY_MIC) {
        snprintf(why, cap, "the peer signed (AUTH method %u), remote.auth is psk", auth->method);
        return KITE_E_AUTH_FAILED;
    }
    /* the key for the peer's identity (psks.c); its AUTH computed as the
     * peer, i.e. with the other role */
    const struct secret *psk = ike_psk_for(e, sa, id);
    if (!psk) {
        snprintf(why, cap, "no pre-shared key for its identity");
        return KITE_E_AUTH_FAILED;
    }
    int rc = ike_psk_auth(sa, psk, !sa->initiator, id, want, &len);
    if (rc || auth->data.n != len || !ct_equal(want, auth->data.p, len)) {
        snprintf(why, cap, "pre-shared key mismatch");
        rc = KITE_E_AUTH_FAILED;
    }
    mem_wipe(want, sizeof want);
    return rc;
}

/* after EAP both AUTH payloads are keyed by the MSK (2.16) */
static int verify_msk(struct ikesa *sa, const struct ike_id *id, const struct ike_auth *auth, char *why, size_t cap)
{
    uint8_t want[IKE_PRF_MAX];
    size_t len;
    struct secret msk = ike_eap_msk(sa);
    if (auth->method != IKEV2_AUTH_SHARED_KEY_MIC) {
        snprintf(why, cap, "AUTH method %u after EAP, expected the MSK's shared key MIC", auth->method);
        return KITE_E_AUTH_FAILED;
    }
    int rc = ike_psk_auth(sa, &msk, !sa->initiator, id, want, &len);
    if (rc || auth->data.n != len || !ct_equal(want, auth->data.p, len)) {
        snprintf(why, cap, "the AUTH keyed by EAP's MSK does not match");
        rc = KITE_E_AUTH_FAILED;
    }
    mem_wipe(want, sizeof want);
    return rc;
}

int ike_pk_verify(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, const struct ike_id *id,
                  const struct ike_auth *auth)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    char why[1024] = "", idtxt[256], want[256];
    int rc = 0;
    cred_id_format(id->type, id->data, idtxt, sizeof idtxt);
    if (c->remote_id.type && !cred_id_match(c->remote_id.type, span_of(c->remote_id.data, c->remote_id.len),
                                            id->type, id->data)) {
        cred_id_format(c->remote_id.type, span_of(c->remote_id.data, c->remote_id.len), want, sizeof want);
        snprintf(why, sizeof why, "identity '%s' does not match remote.id '%s'", idtxt, want);
        rc = KITE_E_AUTH_FAILED;
    } else if (ike_eap_done(sa)) {
        rc = verify_msk(sa, id, auth, why, sizeof why);
    } else if (c->remote_auth.kind == IKE_AUTHK_EAP) {
        snprintf(why, sizeof why, "remote.auth is EAP, the peer did not do EAP");
        rc = KITE_E_AUTH_FAILED;
    } else if (c->remote_auth.kind == IKE_AUTHK_PUBKEY) {
        rc = verify_pubkey(e, sa, in, id, auth, why, sizeof why);
    } else {
        rc = verify_psk(e, sa, id, auth, why, sizeof why);
    }
    if (rc)
        ike_log(e, LOG_IKE, 0, "authentication of '%s' failed: %s", idtxt, why);
    else
        ike_log(e, LOG_IKE, 1, "authentication of '%s' with %s successful", idtxt,
                ike_eap_done(sa) ? "EAP's MSK" : c->remote_auth.kind == IKE_AUTHK_PUBKEY ? "a certificate and its signature"
                : "pre-shared key");
    return rc;
}
