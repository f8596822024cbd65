/* natt: the TCP/UDP checksum of a decapsulated transport-mode packet whose
 * addresses a NAT changed (RFC 3948 3.1.2, "recompute"). */
#include "esp/natt.h"
#include "base/err.h"
#include "base/rd.h"
#include "esp/ip.h"
#include "esp/offload.h"

struct l4 {
    uint8_t family, proto;
    size_t off, len;  /* the TCP/UDP segment */
    size_t addr, alen; /* the source address; the destination follows */
};

/* where the segment is; 1 when there is a TCP/UDP checksum to fix, 0 if not */
static int locate(const uint8_t *pkt, size_t len, struct l4 *l)
{
    struct rd r;
    uint8_t vihl, b6, b9;
    uint16_t frag;
    size_t ip_len;
    int rc = esp_ip_len(pkt, len, &ip_len);
    if (rc)
        return rc;
    rd_init(&r, pkt, ip_len);
    rd_u8(&r, &vihl);
    if (vihl >> 4 == 4) {
        size_t hl = (size_t)(vihl & 0xf) * 4;
        rd_skip(&r, 5);
        rd_be16(&r, &frag);
        rd_skip(&r, 1);
        rd_u8(&r, &b9);
        if (r.err || hl < 20 || hl > ip_len)
            return KITE_E_MALFORMED;
        if (frag & 0x3fff) /* a fragment: the checksum is over the reassembled datagram */
            return 0;
        *l = (struct l4){ 4, b9, hl, ip_len - hl, 12, 4 };
    } else {
        rd_skip(&r, 5);
        rd_u8(&r, &b6);
        if (r.err || ip_len < 40)
            return KITE_E_MALFORMED;
        *l = (struct l4){ 6, b6, 40, ip_len - 40, 8, 16 };
    }
    if (l->proto == IPPROTO_NUM_TCP)
        return l->len >= 20 ? 1 : KITE_E_TRUNCATED;
    if (l->proto == IPPROTO_NUM_UDP)
        return l->len >= 8 ? 1 : KITE_E_TRUNCATED;
    return 0;
}

int esp_natt_fix_csum(uint8_t *pkt, size_t len)
{
    struct l4 l = { 0 };
    int rc = locate(pkt, len, &l);
    if (rc <= 0)
        return rc;
    uint8_t *ck = pkt + l.off + (l.proto == IPPROTO_NUM_TCP ? 16 : 6);
    if (l.family == 4 && l.proto == IPPROTO_NUM_UDP && ck[0] == 0 && ck[1] == 0)
        return 0; /* the sender computed none */
    uint8_t pseudo[8] = { 0, 0, (uint8_t)(l.len >> 24), (uint8_t)(l.len >> 16), (uint8_t)(l.len >> 8),
                          (uint8_t)l.len, 0, l.proto };
    ck[0] = ck[1] = 0;
    uint32_t s = ofl_csum_add(0, pkt + l.addr, 2 * l.alen);
    s = ofl_csum_add(s, pseudo, sizeof pseudo);
    s = ofl_csum_add(s, pkt + l.off, l.len);
    uint16_t v = (uint16_t)~ofl_csum_fold(s);
    if (l.proto == IPPROTO_NUM_UDP && v == 0)
        v = 0xffff; /* zero means "no checksum" for UDP (RFC 768) */
    ck[0] = (uint8_t)(v >> 8);
    ck[1] = (uint8_t)v;
    return 0;
}
