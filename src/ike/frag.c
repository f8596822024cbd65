/* frag: IKE message fragmentation, RFC 7383 (see frag.h).
 *
 *  HDR, SKF{...}(1/n), HDR, SKF(2/n), ... HDR, SKF(n/n)  -->
 *                              <--  HDR, SK{...}  or  HDR, SKF(1/m) ...
 * RFC 7383 2.3 (negotiation), 2.5 (the SKF payload), 2.5.1 (fragment
 * size), 2.6 (reassembly), 2.6.1 (retransmissions). */
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include "base/secret.h"
#include "base/wr.h"
#include "ike/ike_int.h"

/* ---- datagram lists ---- */

void ike_dgrams_clear(struct ike_dgrams *d)
{
    free(d->buf);
    memset(d, 0, sizeof *d);
}

static int dgrams_add(struct ike_dgrams *d, const uint8_t *p, size_t n)
{
    uint8_t *b = n <= UINT16_MAX ? realloc(d->buf, d->len + 2 + n) : NULL;
    if (!b)
        return KITE_E_NOMEM;
    b[d->len] = (uint8_t)(n >> 8);
    b[d->len + 1] = (uint8_t)n;
    memcpy(b + d->len + 2, p, n);
    d->buf = b;
    d->len += 2 + n;
    d->n++;
    return 0;
}

/* the datagram at byte offset *at, *at moved past it */
static struct span dgrams_next(const struct ike_dgrams *d, size_t *at)
{
    size_t n = (size_t)d->buf[*at] << 8 | d->buf[*at + 1];
    struct span s = span_of(d->buf + *at + 2, n);
    *at += 2 + n;
    return s;
}

struct span ike_dgrams_first(const struct ike_dgrams *d)
{
    size_t at = 0;
    return d->n ? dgrams_next(d, &at) : span_of(NULL, 0);
}

void ike_dgrams_send(struct ike_engine *e, struct ikesa *sa, const struct ike_dgrams *d)
{
    size_t at = 0;
    for (uint16_t i = 0; i < d->n; i++) {
        struct span s = dgrams_next(d, &at);
        ike_send(e, sa, s.p, s.n);
    }
}

/* ---- sending ---- */

static bool frag_in_use(const struct ike_engine *e, const struct ikesa *sa)
{
    enum ike_frag_mode m = e->conns[sa->conn].fragmentation;
    return m == IKE_FRAG_FORCE || (m == IKE_FRAG_YES && sa->frag_peer);
}

/* IP and UDP headers and the non-ESP marker around an IKE message (2.5.1) */
static size_t below_ike(const struct ikesa *sa)
{
    return (sa->remote.family == 6 ? 40 : 20) + 8 + (sa->natt ? 4 : 0);
}

size_t ike_frag_chunk(const struct ike_engine *e, const struct ikesa *sa, size_t inner_len)
{
    const struct sk_keys *k = &sa->sk_out;
    size_t hdrs = below_ike(sa);
    /* no datagram longer than the engine hands out (IKE_MSG_MAX) */
    size_t size = e->lim.fragment_size < IKE_MSG_MAX + hdrs ? e->lim.fragment_size : IKE_MSG_MAX + hdrs;
    size_t whole = hdrs + SK_IKE_HDR_LEN + SK_HDR_LEN + inner_len + sk_overhead(k, inner_len);
    if (!frag_in_use(e, sa) || whole <= size)
        return 0;
    /* the most inner bytes one SKF datagram carries within size */
    size_t fixed = hdrs + SK_IKE_HDR_LEN + SKF_HDR_LEN;
    size_t c = size > fixed ? size - fixed : 0;
    while (c > IKE_FRAG_CHUNK_MIN && fixed + c + sk_overhead(k, c) > size)
        c--;
    return c > IKE_FRAG_CHUNK_MIN ? c : IKE_FRAG_CHUNK_MIN;
}

/* one SKF datagram: HDR, SKF(num/total){piece} (2.5) */
static int frag_one(const struct sk_keys *k, const struct ike_hdr *h, uint8_t first, struct span piece,
                    uint16_t num, uint16_t total, struct ike_dgrams *out)
{
    uint8_t buf[IKE_MSG_MAX];
    struct wr w;
    size_t len_at;
    wr_init(&w, buf, sizeof buf);
    ike_hdr_encode(&w, h, IKEV2_PLD_SKF, &len_at);
    size_t sk_off = w.len;
    wr_u8(&w, num == 1 ? first : IKEV2_PLD_NONE); /* the first inner payload, fragment 1 only */
    wr_u8(&w, 0);
    wr_be16(&w, 0); /* sk_encrypt patches both lengths */
    wr_be16(&w, num);
    wr_be16(&w, total);
    int rc = w.err ? w.err : sk_encrypt(k, &w, sk_off, SKF_HDR_LEN, piece, NULL, NULL);
    if (!rc)
        rc = dgrams_add(out, buf, w.len);
    return rc;
}

int ike_frag_split(const struct sk_keys *k, const struct ike_hdr *h, uint8_t first, struct span inner,
                   size_t chunk, struct ike_dgrams *out)
{
    memset(out, 0, sizeof *out);
    if (!chunk)
        return KITE_E_INVALID_ARG;
    size_t total = inner.n ? (inner.n + chunk - 1) / chunk : 1;
    if (total > UINT16_MAX)
        return KITE_E_TOO_MANY;
    int rc = 0;
    for (size_t i = 0; i < total && !rc; i++) {
        size_t at = i * chunk, n = inner.n - at < chunk ? inner.n - at : chunk;
        rc = frag_one(k, h, first, span_of(inner.p + at, n), (uint16_t)(i + 1), (uint16_t)total, out);
    }
    if (rc)
        ike_dgrams_clear(out);
    return rc;
}

/* ---- negotiation ---- */

bool ike_frag_announce(const struct ike_engine *e, const struct ikesa *sa)
{
    return e->conns[sa->conn].fragmentation != IKE_FRAG_NO && (sa->initiator || sa->frag_peer);
}

void ike_frag_check(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *c)
{
    (void)e;
    sa->frag_peer = ike_chain_notify(c, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL;
}
