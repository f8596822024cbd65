/* eap_tls_frame: EAP-TLS framing (RFC 5216 2.1.5, 3.1): the peer's
 * fragments reassembled into one TLS message, checked against the length it
 * announced and the configured cap, and ours cut into fragments. */
#include "ike/eap_tls.h"
#include "base/rd.h"
#include "base/secret.h"
#include "base/wr.h"
#include <stdlib.h>
#include <string.h>

enum { EAP_HDR_LEN = 5 /* code, identifier, length, type */ };

void eap_tls_rx_reset(struct eap_tls_rx *rx)
{
    if (rx->buf)
        mem_wipe(rx->buf, rx->cap);
    free(rx->buf);
    rx->buf = NULL;
    rx->len = rx->total = rx->cap = 0;
    rx->open = false;
}

static int rx_fail(struct eap_tls_rx *rx, int err)
{
    eap_tls_rx_reset(rx);
    return err;
}

static size_t rx_max(const struct eap_tls_rx *rx)
{
    return rx->max_bytes ? rx->max_bytes : EAPTLS_MAX_BYTES_DEFAULT;
}

static int rx_append(struct eap_tls_rx *rx, struct span d)
{
    if (rx->len + d.n > rx->cap) {
        size_t cap = rx->total ? rx->total : rx->len + d.n;
        uint8_t *b = malloc(cap ? cap : 1);
        if (!b)
            return KITE_E_NOMEM;
        if (rx->len)
            memcpy(b, rx->buf, rx->len);
        if (rx->buf)
            mem_wipe(rx->buf, rx->cap);
        free(rx->buf);
        rx->buf = b, rx->cap = cap;
    }
    if (d.n)
        memcpy(rx->buf + rx->len, d.p, d.n);
    rx->len += d.n;
    return 0;
}

/* the first packet of a message: whole, or the first fragment (M, which
 * must carry L: the receiver sizes the message by it, 2.1.5) */
static int rx_first(struct eap_tls_rx *rx, uint8_t flags, uint32_t total, struct span d)
{
    bool l = flags & EAPTLS_FLAG_L, m = flags & EAPTLS_FLAG_M;
    if (m && (!l || total <= d.n || d.n == 0))
        return rx_fail(rx, KITE_E_BAD_LENGTH);
    if (!m && l && total != d.n)
        return rx_fail(rx, KITE_E_BAD_LENGTH);
    if ((m ? total : d.n) > rx_max(rx))
        return rx_fail(rx, KITE_E_LIMIT);
    rx->total = m ? total : 0;
    int rc = rx_append(rx, d);
    if (rc)
        return rx_fail(rx, rc);
    rx->open = m;
    return m ? EAPTLS_RX_MORE : EAPTLS_RX_DONE;
}

/* a later fragment: within the announced length, L (if repeated) the same,
 * and the last one (no M) completing it exactly */
static int rx_next(struct eap_tls_rx *rx, uint8_t flags, uint32_t total, struct span d)
{
    bool m = flags & EAPTLS_FLAG_M;
    if (d.n == 0) /* an ack (or an empty fragment) while the peer owes us the rest */
        return rx_fail(rx, KITE_E_MALFORMED);
    if (((flags & EAPTLS_FLAG_L) && total != rx->total) || d.n > rx->total - rx->len)
        return rx_fail(rx, KITE_E_BAD_LENGTH);
    int rc = rx_append(rx, d);
    if (rc)
        return rx_fail(rx, rc);
    if (m != (rx->len < rx->total))
        return rx_fail(rx, KITE_E_BAD_LENGTH);
    rx->open = m;
    return m ? EAPTLS_RX_MORE : EAPTLS_RX_DONE;
}

int eap_tls_rx_feed(struct eap_tls_rx *rx, const uint8_t *data, size_t n)
{
    struct rd r;
    uint8_t flags;
    uint32_t total = 0;
    rd_init(&r, data, n);
    rd_u8(&r, &flags);
    if (flags & EAPTLS_FLAG_L)
        rd_be32(&r, &total);
    struct span d = rd_rest(&r);
    if (r.err)
        return rx_fail(rx, r.err);
    if (!rx->open && rx->len) /* the last message was not taken */
        eap_tls_rx_reset(rx);
    if (flags & EAPTLS_FLAG_S)
        return rx->open || d.n || (flags & ~EAPTLS_FLAG_S & 0xe0) ? rx_fail(rx, KITE_E_MALFORMED) : EAPTLS_RX_START;
    if (!rx->open && d.n == 0 && !(flags & (EAPTLS_FLAG_L | EAPTLS_FLAG_M)))
        return EAPTLS_RX_ACK;
    return rx->open ? rx_next(rx, flags, total, d) : rx_first(rx, flags, total, d);
}

size_t eap_tls_tx_next(struct eap_tls_tx *tx, size_t frag_size, uint8_t *out, size_t cap)
{
    if (!eap_tls_tx_pending(tx))
        return 0;
    size_t room = (frag_size < cap + EAP_HDR_LEN ? frag_size - EAP_HDR_LEN : cap) - 1; /* after the flags */
    size_t left = tx->len - tx->off;
    bool first_of_many = tx->off == 0 && left > room;
    struct wr w;
    wr_init(&w, out, cap);
    if (first_of_many)
        room -= 4;
    size_t n = left < room ? left : room;
    uint8_t flags = (first_of_many ? EAPTLS_FLAG_L : 0) | (n < left ? EAPTLS_FLAG_M : 0);
    wr_u8(&w, flags);
    if (first_of_many)
        wr_be32(&w, (uint32_t)tx->len);
    wr_bytes(&w, tx->buf + tx->off, n);
    tx->off += n;
    return w.err ? 0 : w.len;
}
