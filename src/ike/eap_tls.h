/* eap_tls: the EAP-TLS method (RFC 5216) over TLS 1.2, server and client,
 * with OpenSSL 3's SSL on memory BIOs: no I/O, each step is fed the peer's
 * EAP packet and writes the next one, as eap_mschapv2.c does.
 *
 * Framing (RFC 5216 3.1, 2.1.5): the type data is a flags byte (L: a 4-byte
 * TLS Message Length follows, M: more fragments, S: EAP-TLS Start), then
 * TLS records.  A TLS message longer than a fragment goes in several EAP
 * packets, each answered by an empty one (an ack) before the next is sent.
 * Reassembly is bounded by max_bytes (configuration: the engine's limits);
 * a message announcing more is refused and counted by the caller.
 *
 * Keys (RFC 5216 2.3): MSK = the first 64 bytes and EMSK the next 64 of
 * the TLS exporter with the label "client EAP encryption" and no context.
 * The peer's certificate is not judged by OpenSSL: the caller's verify
 * callback checks it against kite's CAs and the expected identity once the
 * handshake is done, before the last message is sent. */
#ifndef KITE_IKE_EAP_TLS_H
#define KITE_IKE_EAP_TLS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/x509.h>
#include "ike/eap_mschapv2.h"

enum { EAP_TYPE_TLS = 13 };
enum { EAPTLS_FLAG_L = 0x80, EAPTLS_FLAG_M = 0x40, EAPTLS_FLAG_S = 0x20 };
enum { EAPTLS_MSK_LEN = 64, EAPTLS_EMSK_LEN = 64 };
/* an EAP packet is at least the 5-byte header, the flags and a length */
enum { EAPTLS_FRAG_MIN = 64, EAPTLS_FRAG_MAX = EAPM_OUT_MAX + 5, EAPTLS_FRAG_DEFAULT = 1024 };
enum { EAPTLS_MAX_BYTES_DEFAULT = 65536 };

/* ---- framing (no TLS): reassembly and fragmentation ---- */

/* the peer's fragments of one TLS message */
struct eap_tls_rx {
    uint8_t *buf;
    size_t len, total, cap; /* bytes held, the L length announced (0: none), buf's size */
    size_t max_bytes;       /* a message may be at most this long (0: EAPTLS_MAX_BYTES_DEFAULT) */
    bool open;              /* a fragmented message is being reassembled */
};
enum eap_tls_rx_rc {
    EAPTLS_RX_ACK = 1,  /* an empty packet without flags: an acknowledgement */
    EAPTLS_RX_MORE = 2, /* a fragment kept: acknowledge it */
    EAPTLS_RX_DONE = 3, /* a whole message in buf[0 .. len) */
    EAPTLS_RX_START = 4 /* the S flag (the server's Start) */
};
/* one packet's type data (flags, [length], TLS data) read through rd:
 * EAPTLS_RX_* or KITE_E_BAD_LENGTH (a length disagreeing with the data, a
 * fragment past it, a first fragment with M but without L), KITE_E_LIMIT
 * (over max_bytes), KITE_E_MALFORMED (S with data, an ack amid a message),
 * KITE_E_TRUNCATED, KITE_E_NOMEM.  After an error rx is empty again. */
int eap_tls_rx_feed(struct eap_tls_rx *rx, const uint8_t *data, size_t n);
/* drops a message taken (after EAPTLS_RX_DONE) or everything; wipes */
void eap_tls_rx_reset(struct eap_tls_rx *rx);

/* our TLS message going out in fragments */
struct eap_tls_tx {
    uint8_t *buf;
    size_t len, off;
};
/* the next fragment's type data into out (at most frag_size - 5 bytes: an
 * EAP packet of frag_size): L and the length on the first fragment of a
 * message that needs several, M on all but the last.  Returns the length
 * written; 0 when nothing is left */
size_t eap_tls_tx_next(struct eap_tls_tx *tx, size_t frag_size, uint8_t *out, size_t cap);
static inline bool eap_tls_tx_pending(const struct eap_tls_tx *tx)
{
    return tx->off < tx->len;
}

/* ---- the method ---- */

/* judges the peer's certificate (ee, with the chain it sent, maybe empty):
 * 0, or -1 with *why set (a static string or one in the callback's ctx) */
typedef int eap_tls_verify_fn(void *ctx, X509 *ee, STACK_OF(X509) *chain, const char **why);

struct eap_tls_cfg {
    bool server;
    X509 *cert;            /* ours (the caller keeps it alive) */
    EVP_PKEY *key;
    X509 *const *chain;    /* intermediates to send after it */
    size_t n_chain;
    size_t frag_size;      /* the largest EAP packet we send (0: 1024) */
    size_t max_bytes;      /* the longest TLS message we reassemble (0: 65536) */
    eap_tls_verify_fn *verify;
    void *verify_ctx;
};

struct eap_tls;

/* a new EAP-TLS state, 0 and *out, KITE_E_NOMEM / KITE_E_CRYPTO /
 * KITE_E_INVALID_ARG (no certificate or key) */
int eap_tls_new(const struct eap_tls_cfg *cfg, struct eap_tls **out);
/* wipes the keys and frees */
void eap_tls_free(struct eap_tls *t);
/* server: the EAP-TLS Start request with identifier eap_id */
int eap_tls_server_start(struct eap_tls *t, uint8_t eap_id, struct eapm_out *out);
/* the peer's EAP packet (code, identifier, type, type data): as eapm_*_recv */
enum eapm_rc eap_tls_recv(struct eap_tls *t, uint8_t code, uint8_t id, uint8_t type, const uint8_t *data,
                          size_t len, struct eapm_out *out);
/* after EAPM_SUCCESS: the MSK (64 bytes) */
const uint8_t *eap_tls_msk(const struct eap_tls *t);
/* after EAPM_FAILURE: why, for the log; and whether a limit refused it */
const char *eap_tls_why(const struct eap_tls *t);
bool eap_tls_limited(const struct eap_tls *t);

#endif
