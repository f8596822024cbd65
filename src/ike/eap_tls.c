/* eap_tls: the EAP-TLS method (RFC 5216) on OpenSSL's SSL with memory
 * BIOs; the framing is eap_tls_frame.c.  A TLS 1.2 full handshake:
 *
 *   server                                     client
 *   Request  [S]                          -->
 *                                         <--  Response [ClientHello]
 *   Request  [ServerHello .. Done]        -->                (fragments: acks)
 *                                         <--  Response [Certificate .. Finished]
 *   Request  [ChangeCipherSpec, Finished] -->
 *                                         <--  Response [] (ack)
 *   Success
 *
 * Each side judges the other's certificate (verify callback) as soon as its
 * handshake is done, before sending anything more. */
#include "ike/eap_tls.h"
#include "base/secret.h"
#include "wire/ike.h"
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>

enum { ST_IDLE, ST_RUN, ST_FINISHED, ST_DONE, ST_FAILED };

/* RFC 5216 2.3: the exporter's label for TLS 1.2 */
static const char KEY_LABEL[] = "client EAP encryption";

struct eap_tls {
    struct eap_tls_cfg cfg;
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *rbio, *wbio; /* the peer's records in, ours out (the SSL owns them) */
    struct eap_tls_rx rx;
    struct eap_tls_tx tx;
    uint8_t state, eap_id;
    bool limited;
    const char *why;
    char why_buf[160];
    uint8_t keys[EAPTLS_MSK_LEN + EAPTLS_EMSK_LEN];
};

/* OpenSSL's chain check is not ours: every certificate passes here and the
 * caller's verify callback judges the peer's once the handshake is done */
static int accept_any(int ok, X509_STORE_CTX *x)
{
    (void)ok, (void)x;
    return 1;
}

static int ctx_setup(struct eap_tls *t)
{
    const struct eap_tls_cfg *c = &t->cfg;
    t->ctx = SSL_CTX_new(c->server ? TLS_server_method() : TLS_client_method());
    if (!t->ctx)
        return KITE_E_CRYPTO;
    /* TLS 1.2 as charon (RFC 5216); no tickets or resumption: one handshake per SA */
    if (!SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) ||
        !SSL_CTX_set_max_proto_version(t->ctx, TLS1_2_VERSION))
        return KITE_E_CRYPTO;
    SSL_CTX_set_options(t->ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    /* charon's TLS stack sends no renegotiation_info (RFC 5746): without it
     * a client of OpenSSL 3 refuses the server.  Its attack needs a
     * renegotiation, which neither side here ever does (NO_RENEGOTIATION) */
    if (!c->server)
        SSL_CTX_set_options(t->ctx, SSL_OP_LEGACY_SERVER_CONNECT);
    SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER | (c->server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), accept_any);
    if (SSL_CTX_use_certificate(t->ctx, c->cert) != 1 || SSL_CTX_use_PrivateKey(t->ctx, c->key) != 1 ||
        SSL_CTX_check_private_key(t->ctx) != 1)
        return KITE_E_INVALID_ARG;
    for (size_t i = 0; i < c->n_chain; i++)
        if (SSL_CTX_add1_chain_cert(t->ctx, c->chain[i]) != 1)
            return KITE_E_CRYPTO;
    return 0;
}

static int ssl_setup(struct eap_tls *t)
{
    t->ssl = SSL_new(t->ctx);
    t->rbio = BIO_new(BIO_s_mem());
    t->wbio = BIO_new(BIO_s_mem());
    if (!t->ssl || !t->rbio || !t->wbio) {
        BIO_free(t->rbio);
        BIO_free(t->wbio);
        t->rbio = t->wbio = NULL;
        return KITE_E_NOMEM;
    }
    SSL_set_bio(t->ssl, t->rbio, t->wbio);
    if (t->cfg.server)
        SSL_set_accept_state(t->ssl);
    else
        SSL_set_connect_state(t->ssl);
    return 0;
}

int eap_tls_new(const struct eap_tls_cfg *cfg, struct eap_tls **out)
{
    if (!cfg->cert || !cfg->key)
        return KITE_E_INVALID_ARG;
    struct eap_tls *t = calloc(1, sizeof *t);
    if (!t)
        return KITE_E_NOMEM;
    t->cfg = *cfg;
    if (!t->cfg.frag_size)
        t->cfg.frag_size = EAPTLS_FRAG_DEFAULT;
    if (t->cfg.frag_size < EAPTLS_FRAG_MIN || t->cfg.frag_size > EAPTLS_FRAG_MAX) {
        free(t);
        return KITE_E_INVALID_ARG;
    }
    t->rx.max_bytes = cfg->max_bytes;
    int rc = ctx_setup(t);
    if (!rc)
        rc = ssl_setup(t);
    if (rc) {
        ERR_clear_error();
        eap_tls_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void eap_tls_free(struct eap_tls *t)
{
    if (!t)
        return;
    SSL_free(t->ssl); /* and its BIOs */
    SSL_CTX_free(t->ctx);
    eap_tls_rx_reset(&t->rx);
    if (t->tx.buf)
        mem_wipe(t->tx.buf, t->tx.len);
    free(t->tx.buf);
    mem_wipe(t, sizeof *t);
    free(t);
}

const uint8_t *eap_tls_msk(const struct eap_tls *t)
{
    return t->keys;
}

const char *eap_tls_why(const struct eap_tls *t)
{
    return t->why ? t->why : "EAP-TLS failed";
}

bool eap_tls_limited(const struct eap_tls *t)
{
    return t->limited;
}

/* ---- packets ---- */

static void out_bare(struct eapm_out *out, uint8_t code, uint8_t id)
{
    memset(out, 0, sizeof *out);
    out->code = code, out->id = id;
}

/* the server's next Request / the client's Response carrying type data */
static void out_tls(struct eap_tls *t, struct eapm_out *out)
{
    uint8_t id = t->cfg.server ? ++t->eap_id : t->eap_id;
    out_bare(out, t->cfg.server ? EAP_CODE_REQUEST : EAP_CODE_RESPONSE, id);
    out->type = EAP_TYPE_TLS;
}

static void out_ack(struct eap_tls *t, struct eapm_out *out)
{
    out_tls(t, out);
    out->data[0] = 0, out->len = 1;
}

static void out_fragment(struct eap_tls *t, struct eapm_out *out)
{
    out_tls(t, out);
    out->len = eap_tls_tx_next(&t->tx, t->cfg.frag_size, out->data, sizeof out->data);
}

/* a failure: the server answers EAP-Failure, the client nothing (the IKE
 * exchange fails); the keys are wiped */
static enum eapm_rc fail(struct eap_tls *t, const char *why, struct eapm_out *out, uint8_t id)
{
    t->state = ST_FAILED;
    t->why = why;
    if (t->cfg.server)
        out_bare(out, EAP_CODE_FAILURE, id);
    else
        out_bare(out, 0, 0);
    mem_wipe(t->keys, sizeof t->keys);
    return EAPM_FAILURE;
}

/* a failure with OpenSSL's reason for it */
static enum eapm_rc fail_ssl(struct eap_tls *t, const char *what, struct eapm_out *out, uint8_t id)
{
    unsigned long e = ERR_peek_last_error();
    char r[120];
    ERR_error_string_n(e, r, sizeof r);
    ERR_clear_error();
    snprintf(t->why_buf, sizeof t->why_buf, "%s: %s", what, e ? r : "no reason given");
    return fail(t, t->why_buf, out, id);
}

/* ---- the handshake ---- */

/* what OpenSSL wrote, taken as the next message to send */
static int take_output(struct eap_tls *t)
{
    size_t n = BIO_ctrl_pending(t->wbio);
    if (t->tx.buf)
        mem_wipe(t->tx.buf, t->tx.len);
    free(t->tx.buf);
    t->tx = (struct eap_tls_tx){ 0 };
    if (!n)
        return 0;
    t->tx.buf = malloc(n);
    if (!t->tx.buf || BIO_read(t->wbio, t->tx.buf, (int)n) != (int)n)
        return KITE_E_NOMEM;
    t->tx.len = n;
    return 0;
}

/* the handshake is done: the peer's certificate judged, the keys exported */
static int finish(struct eap_tls *t)
{
    X509 *ee = SSL_get0_peer_certificate(t->ssl);
    if (!ee) {
        t->why = "the peer sent no TLS certificate";
        return -1;
    }
    if (!t->cfg.verify || t->cfg.verify(t->cfg.verify_ctx, ee, SSL_get_peer_cert_chain(t->ssl), &t->why)) {
        if (!t->why)
            t->why = "the peer's TLS certificate was refused";
        return -1;
    }
    if (SSL_export_keying_material(t->ssl, t->keys, sizeof t->keys, KEY_LABEL, sizeof KEY_LABEL - 1, NULL, 0,
                                   0) != 1) {
        t->why = "TLS key export failed";
        return -1;
    }
    return 0;
}

/* the peer's whole TLS message (rx) into the SSL, one handshake step, and
 * the next packet: our records, an ack for the last flight, or failure */
static enum eapm_rc handshake(struct eap_tls *t, uint8_t in_id, struct eapm_out *out)
{
    if (t->rx.len && BIO_write(t->rbio, t->rx.buf, (int)t->rx.len) != (int)t->rx.len)
        return fail(t, "out of memory", out, in_id);
    eap_tls_rx_reset(&t->rx);
    int r = SSL_do_handshake(t->ssl);
    if (r != 1 && SSL_get_error(t->ssl, r) != SSL_ERROR_WANT_READ)
        return fail_ssl(t, "TLS handshake failed", out, in_id);
    if (r == 1 && finish(t))
        return fail(t, t->why, out, in_id);
    if (take_output(t))
        return fail(t, "out of memory", out, in_id);
    if (r == 1)
        t->state = ST_FINISHED;
    if (eap_tls_tx_pending(&t->tx)) {
        out_fragment(t, out);
        return EAPM_CONTINUE;
    }
    if (r != 1)
        return fail(t, "the TLS handshake stalled: the peer's message was incomplete", out, in_id);
    if (t->cfg.server) /* nothing more to say: done (a TLS 1.2 server always has its Finished to send) */
        return fail(t, "the TLS handshake ended without the server's Finished", out, in_id);
    out_ack(t, out); /* the client acknowledges the server's Finished (RFC 5216 2.1.1) */
    return EAPM_CONTINUE;
}

/* ---- the roles ---- */

static const char *rx_why(struct eap_tls *t, int rc)
{
    if (rc == KITE_E_LIMIT) {
        t->limited = true;
        return "the peer's TLS message is longer than the EAP-TLS reassembly limit";
    }
    return rc == KITE_E_NOMEM ? "out of memory" : "malformed EAP-TLS packet (flags or lengths)";
}

int eap_tls_server_start(struct eap_tls *t, uint8_t eap_id, struct eapm_out *out)
{
    t->eap_id = (uint8_t)(eap_id - 1);
    out_tls(t, out);
    out->data[0] = EAPTLS_FLAG_S, out->len = 1;
    t->state = ST_RUN;
    return 0;
}

static enum eapm_rc server_recv(struct eap_tls *t, uint8_t code, uint8_t id, uint8_t type, const uint8_t *data,
                                size_t len, struct eapm_out *out)
{
    if (code != EAP_CODE_RESPONSE || id != t->eap_id)
        return fail(t, "unexpected EAP packet (code or identifier)", out, id);
    if (type == EAP_TYPE_NAK)
        return fail(t, "the client refused EAP-TLS (Nak)", out, id);
    if (type != EAP_TYPE_TLS || (t->state != ST_RUN && t->state != ST_FINISHED))
        return fail(t, "unexpected EAP packet (type or state)", out, id);
    int rc = eap_tls_rx_feed(&t->rx, data, len);
    if (rc < 0)
        return fail(t, rx_why(t, rc), out, id);
    if (eap_tls_tx_pending(&t->tx) != (rc == EAPTLS_RX_ACK) && !(rc == EAPTLS_RX_ACK && t->state == ST_FINISHED))
        return fail(t, "out of order EAP-TLS packet (an ack expected, or one not expected)", out, id);
    if (rc == EAPTLS_RX_ACK && eap_tls_tx_pending(&t->tx)) {
        out_fragment(t, out);
        return EAPM_CONTINUE;
    }
    if (rc == EAPTLS_RX_ACK) { /* the client has our Finished: done (RFC 5216 2.1.1) */
        t->state = ST_DONE;
        out_bare(out, EAP_CODE_SUCCESS, id);
        return EAPM_SUCCESS;
    }
    if (rc == EAPTLS_RX_START || t->state == ST_FINISHED)
        return fail(t, "out of order EAP-TLS packet", out, id);
    if (rc == EAPTLS_RX_MORE) {
        out_ack(t, out);
        return EAPM_CONTINUE;
    }
    return handshake(t, id, out);
}

/* the server's Success (after our ack of its Finished) or Failure */
static enum eapm_rc client_end(struct eap_tls *t, uint8_t code, struct eapm_out *out)
{
    if (code == EAP_CODE_SUCCESS && t->state == ST_FINISHED && !eap_tls_tx_pending(&t->tx)) {
        t->state = ST_DONE;
        out_bare(out, 0, 0);
        return EAPM_SUCCESS;
    }
    return fail(t, code == EAP_CODE_SUCCESS ? "EAP-Success before the TLS handshake finished"
                                            : "the server sent EAP-Failure", out, 0);
}

static enum eapm_rc client_recv(struct eap_tls *t, uint8_t code, uint8_t id, uint8_t type, const uint8_t *data,
                                size_t len, struct eapm_out *out)
{
    if (code == EAP_CODE_SUCCESS || code == EAP_CODE_FAILURE)
        return client_end(t, code, out);
    if (code != EAP_CODE_REQUEST || type != EAP_TYPE_TLS || t->state == ST_DONE || t->state == ST_FAILED)
        return fail(t, "unexpected EAP packet (code, type or state)", out, id);
    t->eap_id = id;
    int rc = eap_tls_rx_feed(&t->rx, data, len);
    if (rc < 0)
        return fail(t, rx_why(t, rc), out, id);
    if (rc == EAPTLS_RX_START) {
        if (t->state != ST_IDLE)
            return fail(t, "out of order EAP-TLS Start", out, id);
        t->state = ST_RUN;
        return handshake(t, id, out);
    }
    if (t->state != ST_RUN || eap_tls_tx_pending(&t->tx) != (rc == EAPTLS_RX_ACK))
        return fail(t, "out of order EAP-TLS packet (an ack expected, or one not expected)", out, id);
    if (rc == EAPTLS_RX_ACK) {
        out_fragment(t, out);
        return EAPM_CONTINUE;
    }
    if (rc == EAPTLS_RX_MORE) {
        out_ack(t, out);
        return EAPM_CONTINUE;
    }
    return handshake(t, id, out);
}

enum eapm_rc eap_tls_recv(struct eap_tls *t, uint8_t code, uint8_t id, uint8_t type, const uint8_t *data,
                          size_t len, struct eapm_out *out)
{
    if (t->state == ST_FAILED)
        return fail(t, t->why, out, id);
    return t->cfg.server ? server_recv(t, code, id, type, data, len, out)
                         : client_recv(t, code, id, type, data, len, out);
}
