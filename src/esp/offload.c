/* offload: TSO segmentation, checksum completion and GRO for TUN offloads. */
#include "esp/offload.h"
#include <string.h>
#include "base/err.h"
#include "base/rd.h"

enum { TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08, TCP_ACK = 0x10, TCP_URG = 0x20,
       TCP_CWR = 0x80 };

int ofl_vnet_read(const uint8_t *p, size_t n, struct ofl_vnet *v)
{
    if (n < OFL_VNET_LEN)
        return KITE_E_TRUNCATED;
    v->flags = p[0];
    v->gso_type = p[1];
    memcpy(&v->hdr_len, p + 2, 2);
    memcpy(&v->gso_size, p + 4, 2);
    memcpy(&v->csum_start, p + 6, 2);
    memcpy(&v->csum_offset, p + 8, 2);
    return 0;
}

void ofl_vnet_write(uint8_t *p, const struct ofl_vnet *v)
{
    p[0] = v->flags;
    p[1] = v->gso_type;
    memcpy(p + 2, &v->hdr_len, 2);
    memcpy(p + 4, &v->gso_size, 2);
    memcpy(p + 6, &v->csum_start, 2);
    memcpy(p + 8, &v->csum_offset, 2);
}

uint32_t ofl_csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    uint64_t s = sum;
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        s += (uint32_t)p[i] << 24 | (uint32_t)p[i + 1] << 16 | (uint32_t)p[i + 2] << 8 | p[i + 3];
    for (; i + 2 <= n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (i < n)
        s += (uint32_t)p[i] << 8;
    while (s >> 32)
        s = (s & 0xffffffffu) + (s >> 32);
    /* fold the 32-bit big-endian word sums into 16 bits later; keep 32 */
    uint32_t r = (uint32_t)(s & 0xffff) + (uint32_t)(s >> 16);
    return r;
}

uint16_t ofl_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

int ofl_csum_finish(uint8_t *pkt, size_t len, uint16_t csum_start, uint16_t csum_offset)
{
    if ((size_t)csum_start + csum_offset + 2 > len)
        return KITE_E_MALFORMED;
    /* the field already holds the folded pseudo-header sum */
    uint16_t ck = (uint16_t)~ofl_csum_fold(ofl_csum_add(0, pkt + csum_start, len - csum_start));
    put16(pkt + csum_start + csum_offset, ck);
    return 0;
}

/* the layout of an IPv4/IPv6 TCP packet */
struct tcp_pkt {
    int family;
    size_t iphl, tcphl, hlen, total;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t ipid;
};

static int tcp_parse(const uint8_t *pkt, size_t len, struct tcp_pkt *t)
{
    struct rd r;
    uint8_t vihl, proto = 0, doff = 0, flags = 0;
    uint16_t tot = 0, frag = 0, id = 0;
    rd_init(&r, pkt, len);
    rd_u8(&r, &vihl);
    memset(t, 0, sizeof *t);
    if (vihl >> 4 == 4) {
        rd_skip(&r, 1);
        rd_be16(&r, &tot);
        rd_be16(&r, &id);
        rd_be16(&r, &frag);
        rd_skip(&r, 1);
        rd_u8(&r, &proto);
        t->family = 4;
        t->iphl = (size_t)(vihl & 15) * 4;
        t->total = tot;
        t->ipid = id;
        if (r.err || t->iphl < 20 || (frag & 0x3fff))
            return KITE_E_MALFORMED;
    } else if (vihl >> 4 == 6) {
        rd_skip(&r, 3);
        rd_be16(&r, &tot);
        rd_u8(&r, &proto);
        t->family = 6;
        t->iphl = 40;
        t->total = 40 + (size_t)tot;
        if (r.err)
            return KITE_E_MALFORMED;
    } else {
        return KITE_E_MALFORMED;
    }
    if (proto != 6 || t->total > len || t->iphl + 20 > t->total)
        return KITE_E_MALFORMED;
    struct rd th;
    rd_init(&th, pkt + t->iphl, t->total - t->iphl);
    rd_skip(&th, 4);
    rd_be32(&th, &t->seq);
    rd_be32(&th, &t->ack);
    rd_u8(&th, &doff);
    rd_u8(&th, &flags);
    t->tcphl = (size_t)(doff >> 4) * 4;
    t->flags = flags;
    t->hlen = t->iphl + t->tcphl;
    if (th.err || t->tcphl < 20 || t->hlen > t->total)
        return KITE_E_MALFORMED;
    return 0;
}

/* sum of the pseudo header (RFC 793 / RFC 8200 8.1) for a TCP length */
static uint32_t pseudo_sum(const uint8_t *pkt, int family, size_t tcp_len)
{
    uint32_t s = family == 4 ? ofl_csum_add(0, pkt + 12, 8) : ofl_csum_add(0, pkt + 8, 32);
    return s + 6 + (uint32_t)(tcp_len >> 16) + (uint32_t)(tcp_len & 0xffff);
}

static void ip4_header_checksum(uint8_t *pkt, size_t iphl)
{
    pkt[10] = pkt[11] = 0;
    put16(pkt + 10, (uint16_t)~ofl_csum_fold(ofl_csum_add(0, pkt, iphl)));
}

static void set_lengths(uint8_t *p, const struct tcp_pkt *t, size_t total)
{
    if (t->family == 4)
        put16(p + 2, (uint16_t)total);
    else
        put16(p + 4, (uint16_t)(total - 40));
}

int ofl_tcp_segment(const uint8_t *pkt, size_t len, uint16_t mss, uint8_t *const *out, size_t *out_len,
                    int max_out, size_t cap)
{
    struct tcp_pkt t;
    int rc = tcp_parse(pkt, len, &t);
    if (rc)
        return rc;
    if (mss == 0)
        return KITE_E_INVALID_ARG;
    size_t payload = t.total - t.hlen;
    int n = payload ? (int)((payload + mss - 1) / mss) : 1;
    if (n > max_out)
        return KITE_E_TOO_MANY;
    if (t.hlen + (payload < mss ? payload : mss) > cap)
        return KITE_E_NO_SPACE;
    for (int i = 0; i < n; i++) {
        size_t off = (size_t)i * mss;
        size_t dl = payload - off < mss ? payload - off : mss;
        uint8_t *p = out[i];
        memcpy(p, pkt, t.hlen);
        memcpy(p + t.hlen, pkt + t.hlen + off, dl);
        size_t total = t.hlen + dl;
        set_lengths(p, &t, total);
        if (t.family == 4) {
            put16(p + 4, (uint16_t)(t.ipid + i));
            ip4_header_checksum(p, t.iphl);
        }
        uint8_t *th = p + t.iphl;
        uint32_t seq = t.seq + (uint32_t)off;
        th[4] = (uint8_t)(seq >> 24);
        th[5] = (uint8_t)(seq >> 16);
        th[6] = (uint8_t)(seq >> 8);
        th[7] = (uint8_t)seq;
        uint8_t fl = t.flags;
        if (i != n - 1)
            fl &= (uint8_t)~(TCP_FIN | TCP_PSH);
        if (i != 0)
            fl &= (uint8_t)~TCP_CWR;
        th[13] = fl;
        th[16] = th[17] = 0;
        uint32_t s = pseudo_sum(p, t.family, total - t.iphl);
        put16(th + 16, (uint16_t)~ofl_csum_fold(ofl_csum_add(s, th, total - t.iphl)));
        out_len[i] = total;
    }
    return n;
}

/* whether a parsed segment's checksums verify: the IPv4 header's (RFC 791)
 * and the TCP one over the pseudo header (RFC 9293 3.1).  A coalesced packet
 * reaches TUN as CHECKSUM_PARTIAL, which the kernel trusts, so each segment
 * is checked before it joins: ESP's ICV proves who sent the bytes, not that
 * the sender's TCP checksum was right. */
static bool checksums_ok(const uint8_t *pkt, const struct tcp_pkt *t)
{
    if (t->family == 4 && ofl_csum_fold(ofl_csum_add(0, pkt, t->iphl)) != 0xffff)
        return false;
    uint32_t s = pseudo_sum(pkt, t->family, t->total - t->iphl);
    return ofl_csum_fold(ofl_csum_add(s, pkt + t->iphl, t->total - t->iphl)) == 0xffff;
}

bool ofl_tcp_can_coalesce(const uint8_t *pkt, size_t len)
{
    struct tcp_pkt t;
    if (tcp_parse(pkt, len, &t) || t.total != len)
        return false;
    if (t.family == 4 && t.iphl != 20)
        return false;
    return (t.flags & TCP_ACK) && !(t.flags & (TCP_SYN | TCP_FIN | TCP_RST | TCP_URG | TCP_PSH | TCP_CWR)) &&
           t.total > t.hlen && checksums_ok(pkt, &t);
}

int ofl_tcp_coalesce(uint8_t *pkt, size_t *pkt_len, size_t cap, uint16_t *mss, const uint8_t *seg, size_t seg_len)
{
    struct tcp_pkt a, b;
    if (tcp_parse(pkt, *pkt_len, &a) || tcp_parse(seg, seg_len, &b) || b.total != seg_len)
        return 0;
    size_t apay = a.total - a.hlen, bpay = b.total - b.hlen;
    if (a.family != b.family || a.hlen != b.hlen || bpay == 0 || (a.flags & TCP_PSH))
        return 0;
    if (*mss == 0)
        *mss = (uint16_t)apay; /* the first segment sets the size */
    if (bpay > *mss || apay % *mss != 0 || a.total + bpay > 65535 || a.total + bpay > cap)
        return 0;
    if (a.seq + (uint32_t)apay != b.seq || a.ack != b.ack || !checksums_ok(seg, &b))
        return 0;
    if ((b.flags & (uint8_t)~TCP_PSH) != a.flags)
        return 0;
    /* addresses (and for IPv4 TOS/TTL/protocol, for IPv6 class/flow/hop limit) */
    if (a.family == 4 ? (pkt[1] != seg[1] || memcmp(pkt + 8, seg + 8, 2) || memcmp(pkt + 12, seg + 12, 8) ||
                         ((pkt[6] ^ seg[6]) & 0x40))
                      : (memcmp(pkt, seg, 4) || pkt[7] != seg[7] || memcmp(pkt + 8, seg + 8, 32)))
        return 0;
    /* ports, data offset, window, urgent pointer and options alike */
    const uint8_t *ta = pkt + a.iphl, *tb = seg + b.iphl;
    if (memcmp(ta, tb, 4) || ta[12] != tb[12] || memcmp(ta + 14, tb + 14, 2) || memcmp(ta + 18, tb + 18, 2) ||
        memcmp(ta + 20, tb + 20, a.tcphl - 20))
        return 0;
    memcpy(pkt + a.total, seg + b.hlen, bpay);
    size_t total = a.total + bpay;
    set_lengths(pkt, &a, total);
    if (b.flags & TCP_PSH)
        pkt[a.iphl + 13] |= TCP_PSH;
    *pkt_len = total;
    return 1;
}

void ofl_tcp_coalesce_end(uint8_t *pkt, size_t len, uint16_t mss, int segments, struct ofl_vnet *v)
{
    memset(v, 0, sizeof *v);
    if (segments < 2)
        return; /* the segment as it arrived, its checksum intact */
    struct tcp_pkt t;
    if (tcp_parse(pkt, len, &t))
        return;
    if (t.family == 4)
        ip4_header_checksum(pkt, t.iphl);
    /* CHECKSUM_PARTIAL, as a local sender would hand it over: the field
     * holds the pseudo-header sum.  Every segment's own checksum was
     * verified before it joined (checksums_ok). */
    uint8_t *th = pkt + t.iphl;
    put16(th + 16, ofl_csum_fold(pseudo_sum(pkt, t.family, len - t.iphl)));
    v->flags = OFL_F_NEEDS_CSUM;
    v->gso_type = t.family == 4 ? OFL_GSO_TCPV4 : OFL_GSO_TCPV6;
    v->hdr_len = (uint16_t)t.hlen;
    v->gso_size = mss;
    v->csum_start = (uint16_t)t.iphl;
    v->csum_offset = 16;
}
