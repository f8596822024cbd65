/* auth_pubkey: authentication with X.509 certificates and private keys.
 *   CERT (3.6): our end-entity certificate and the intermediates of our
 *     store up to the root, encoding X.509 Certificate - Signature (4);
 *     sent as send_cert says: always, never, or ifasked (the peer sent a
 *     CERTREQ, strongSwan's default)
 *   CERTREQ (3.7): the SHA-1 hashes of the subjectPublicKeyInfo of the CAs
 *     we trust for the peer (remote.cacerts, or all), in the responder's
 *     IKE_SA_INIT response and the initiator's IKE_AUTH request
 *   AUTH (2.15): a signature over the signed octets, RFC 7427 Digital
 *     Signature when the peer announced SIGNATURE_HASH_ALGORITHMS, else the
 *     classic method of the key type (crypto/sig.c)
 * The peer is accepted when its identity matches remote.id, is in its
 * certificate (RFC 4945 3.1), the certificate chains to a trusted CA and is
 * valid and not revoked (cred/verify.c), and its AUTH verifies with the
 * certificate's key within the constraints of remote.auth.  Every refusal
 * is logged with the check that failed. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/x509.h>
#include "base/log.h"
#include "base/rd.h"
#include "cred/id.h"
#include "cred/verify.h"
#include "ike/ike_int.h"


static void note_certreq(struct ikesa *sa, const struct ike_chain *in)
{
    for (unsigned i = 0; i < in->n; i++) {
        const struct ike_pld *p = &in->pld[i];
        if (p->type != IKEV2_PLD_CERTREQ || p->u.cert.encoding != IKEV2_CERT_X509_SIG)
            continue;
        sa->peer_certreq = true;
        if (!sa->certreq && !(sa->certreq = malloc(IKE_CERTREQ_KEEP * 20)))
            return; /* no CA hints: our first certificate is sent */
        size_t n = p->u.cert.data.n / 20 * 20, room = IKE_CERTREQ_KEEP * 20 - sa->certreq_len;
        if (n > room)
            n = room;
        memcpy(sa->certreq + sa->certreq_len, p->u.cert.data.p, n);
        sa->certreq_len = (uint16_t)(sa->certreq_len + n);
    }
}

void ike_pk_note_init(struct ikesa *sa, const struct ike_chain *in)
{
    const struct ike_notify *n = ike_chain_notify(in, IKEV2_N_SIGNATURE_HASH_ALGORITHMS);
    sa->n_peer_hashes = 0;
    if (n) {
        struct rd r;
        uint16_t h;
        rd_init(&r, n->data.p, n->data.n);
        while (rd_left(&r) >= 2 && !rd_be16(&r, &h))
            if (sa->n_peer_hashes < IKE_PEER_HASHES)
                sa->peer_hashes[sa->n_peer_hashes++] = h;
    }
    note_certreq(sa, in);
}

X509 **ike_pk_anchors(const struct cred_store *cs, const struct ike_conn_cfg *c, size_t *n)
{
    size_t k = ike_files_count(c->cacerts);
    X509 **anchors = malloc((k ? k : 1) * sizeof *anchors);
    *n = 0;
    for (size_t i = 0; anchors && i < k; i++)
        if ((anchors[*n] = cred_store_cert(cs, c->cacerts[i])))
            (*n)++;
    return anchors;
}

bool ike_pk_certreq(struct ike_engine *e, const struct ike_conn_cfg *c, struct ike_pld *p, uint8_t **buf)
{
    size_t n = 0, len = 0, cas = e->creds ? cred_store_n_cas(e->creds) : 0;
    *buf = NULL;
    if (c->remote_auth.kind != IKE_AUTHK_PUBKEY || c->no_certreq || !cas)
        return false;
    X509 **anchors = ike_pk_anchors(e->creds, c, &n);
    *buf = anchors ? malloc(20 * cas) : NULL;
    if (!*buf || cred_store_certreq(e->creds, anchors, n, *buf, 20 * cas, &len) || !len) {
        free(*buf);
        free(anchors);
        *buf = NULL;
        return false;
    }
    free(anchors);
    memset(p, 0, sizeof *p);
    p->type = IKEV2_PLD_CERTREQ;
    p->u.cert.encoding = IKEV2_CERT_X509_SIG;
    p->u.cert.data = span_of(*buf, len);
    return true;
}

struct cred_store *ike_sa_creds(struct ike_engine *e, struct ikesa *sa)
{
    if (!sa->creds && e->creds)
        sa->creds = cred_store_ref(e->creds);
    return sa->creds;
}

/* without local.certs: a certificate holding local.id whose private key we
 * have (as charon finds one), the first chaining to a CA the peer asked for */
static X509 *cert_by_id(const struct cred_store *cs, const struct ike_conn_cfg *c, const struct ikesa *sa)
{
    X509 *x, *first = NULL;
    struct span id = span_of(c->local_id.data, c->local_id.len);
    for (size_t i = 0; (x = cred_store_cert_for_id(cs, c->local_id.type, id, i)) != NULL; i++) {
        if (!first)
            first = x;
        if (sa->certreq_len && cred_store_chains_to(cs, x, sa->certreq, sa->certreq_len))
            return x;
    }
    return first;
}

/* our certificate: the first of local.certs that chains to a CA the peer
 * asked for, else the first one we have */
static X509 *choose_cert(struct ike_engine *e, const struct cred_store *cs, const struct ike_conn_cfg *c,
                         const struct ikesa *sa)
{
    X509 *first = NULL;
    if (!ike_files_count(c->local_certs))
        return cert_by_id(cs, c, sa);
    for (unsigned i = 0; c->local_certs[i][0]; i++) {
        X509 *x = cred_store_cert(cs, c->local_certs[i]);
        if (!x) {
            ike_log(e, LOG_CFG, 0, "certificate '%s' of connection %s not found in x509/", c->local_certs[i],
                    c->name);
            continue;
        }
        if (!first)
            first = x;
        if (sa->certreq_len && cred_store_chains_to(cs, x, sa->certreq, sa->certreq_len))
            return x;
    }
    return first;
}

static void add_cert(struct ike_pld *p, const uint8_t *der, int len)
{
    memset(p, 0, sizeof *p);
    p->type = IKEV2_PLD_CERT;
    p->u.cert.encoding = IKEV2_CERT_X509_SIG;
    p->u.cert.data = span_of(der, (size_t)len);
}

int ike_pk_certs(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, struct ike_pld *pld,
                 unsigned *n, struct ike_pk_out *o)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    memset(o, 0, sizeof *o);
    if (c->local_auth.kind != IKE_AUTHK_PUBKEY)
        return 0;
    if (in)
        note_certreq(sa, in); /* the initiator's CERTREQ comes in its IKE_AUTH request */
    const struct cred_store *cs = ike_sa_creds(e, sa);
    if (!cs || !(o->cert = choose_cert(e, cs, c, sa))) {
        ike_log(e, LOG_CFG, 0, "no certificate of connection %s found (local.certs)", c->name);
        return KITE_E_AUTH_FAILED;
    }
    bool send = c->send_cert == IKE_SEND_CERT_ALWAYS || (c->send_cert == IKE_SEND_CERT_IFASKED && sa->peer_certreq);
    if (!send)
        return 0;
    X509 *chain[IKE_PK_CHAIN];
    size_t k = cred_store_chain(cs, o->cert, chain, IKE_PK_CHAIN);
    for (size_t i = 0; i <= k; i++) {
        int len = i2d_X509(i ? chain[i - 1] : o->cert, &o->der[i]);
        if (len <= 0)
            return KITE_E_CRYPTO;
        add_cert(&pld[(*n)++], o->der[i], len);
    }
    return 0;
}

int ike_pk_auth(struct ike_engine *e, struct ikesa *sa, const struct ike_id *id, struct ike_pld *p,
                struct ike_pk_out *o)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    uint8_t maced[IKE_PRF_MAX];
    struct span oct[3];
    struct sig_scheme sch;
    size_t len = 0;
    char dn[256];
    EVP_PKEY *key = o->cert && ike_sa_creds(e, sa) ? cred_store_key_for(ike_sa_creds(e, sa), o->cert) : NULL;
    if (!key) {
        if (o->cert)
            cred_name_format(X509_get_subject_name(o->cert), dn, sizeof dn);
        ike_log(e, LOG_CFG, 0, "no private key found for '%s'", o->cert ? dn : c->name);
        return KITE_E_AUTH_FAILED;
    }
    /* local.auth's hashes (rsa/pss-sha256, as strongSwan writes it) pick
     * among those the peer announced */
    uint16_t hashes[IKE_PEER_HASHES];
    size_t nh = 0;
    for (unsigned i = 0; i < sa->n_peer_hashes; i++)
        if (!c->local_auth.hashes || (sa->peer_hashes[i] < 8 && (c->local_auth.hashes & (1u << sa->peer_hashes[i]))))
            hashes[nh++] = sa->peer_hashes[i];
    if (sa->n_peer_hashes && !nh) {
        ike_log(e, LOG_IKE, 0, "none of the hashes the peer accepts is allowed by local.auth");
        return KITE_E_AUTH_FAILED;
    }
    int rc = sig_choose(key, hashes, nh, c->local_auth.pss, &sch);
    if (rc) {
        ike_log(e, LOG_IKE, 0, "no signature scheme for our key the peer accepts: %s", kite_strerror(rc));
        return KITE_E_AUTH_FAILED;
    }
    rc = ike_auth_octets(sa, sa->initiator, id, maced, oct);
    if (!rc)
        rc = sig_sign(key, &sch, oct, 3, o->auth, sizeof o->auth, &len);
    if (rc)
        return rc;
    memset(p, 0, sizeof *p);
    p->type = IKEV2_PLD_AUTH;
    p->u.auth.method = sch.method;
    p->u.auth.data = span_of(o->auth, len);
    return 0;
}

void ike_pk_out_free(struct ike_pk_out *o)
{
    for (size_t i = 0; i < sizeof o->der / sizeof o->der[0]; i++)
        OPENSSL_free(o->der[i]);
    memset(o, 0, sizeof *o);
}
