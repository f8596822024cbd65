/* Reading selector fields from IP packets (RFC 791, RFC 8200, RFC 4301 4.4.1.1). */
#include "esp/ip.h"
#include "base/err.h"
#include "base/rd.h"
#include <string.h>

enum { IPV4_MIN_HDR = 20, IPV6_HDR = 40, IPV6_MAX_EXT = 8 };

int esp_ip_len(const uint8_t *pkt, size_t len, size_t *ip_len)
{
    struct rd r;
    uint8_t vihl = 0, skip;
    uint16_t n = 0;
    rd_init(&r, pkt, len);
    rd_u8(&r, &vihl);
    if ((vihl >> 4) == ESP_IPV4) {
        rd_u8(&r, &skip);
        rd_be16(&r, &n); /* total length */
        *ip_len = n;
        if (!r.err && (n < IPV4_MIN_HDR || n < (vihl & 15) * 4u))
            return KITE_E_MALFORMED;
    } else if ((vihl >> 4) == ESP_IPV6) {
        rd_skip(&r, 3);
        rd_be16(&r, &n); /* payload length */
        *ip_len = (size_t)n + IPV6_HDR;
        if (!r.err && n == 0)
            return KITE_E_UNSUPPORTED; /* jumbogram: not over ESP here */
    } else {
        return r.err ? r.err : KITE_E_MALFORMED;
    }
    if (r.err)
        return r.err;
    return *ip_len > len ? KITE_E_BAD_LENGTH : 0;
}

static bool has_ports(uint8_t proto)
{
    return proto == IPPROTO_NUM_TCP || proto == IPPROTO_NUM_UDP || proto == IPPROTO_NUM_SCTP;
}

/* ports or ICMP type/code from the start of the upper-layer header; a
 * truncated header leaves them unknown (OPAQUE) rather than failing */
static void read_ports(struct rd *r, struct esp_flow *f)
{
    uint8_t type, code;
    if (has_ports(f->proto)) {
        rd_be16(r, &f->sport);
        rd_be16(r, &f->dport);
    } else if (f->proto == IPPROTO_NUM_ICMP || f->proto == IPPROTO_NUM_ICMPV6) {
        rd_u8(r, &type);
        rd_u8(r, &code);
        f->sport = f->dport = (uint16_t)(type << 8 | code);
    } else {
        return;
    }
    f->ports_known = !r->err;
    if (r->err)
        f->sport = f->dport = 0;
}

static int parse_v4(struct rd *r, uint8_t vihl, struct esp_flow *f)
{
    uint16_t frag;
    size_t hl = (size_t)(vihl & 15) * 4;
    if (hl < IPV4_MIN_HDR)
        return KITE_E_MALFORMED;
    rd_skip(r, 5);            /* TOS, total length, identification */
    rd_be16(r, &frag);        /* flags | fragment offset */
    rd_skip(r, 1);            /* TTL */
    rd_u8(r, &f->proto);
    rd_skip(r, 2);            /* checksum */
    rd_copy(r, f->src, 4);
    rd_copy(r, f->dst, 4);
    rd_skip(r, hl - IPV4_MIN_HDR); /* options */
    if (r->err)
        return r->err;
    if ((frag & 0x1fff) == 0)
        read_ports(r, f); /* only the first fragment carries them */
    return 0;
}

/* walk the extension headers to the upper-layer protocol (RFC 8200 4) */
static int parse_v6(struct rd *r, struct esp_flow *f)
{
    uint8_t nh, len;
    uint16_t frag;
    rd_skip(r, 5);
    rd_u8(r, &nh);
    rd_skip(r, 1);
    rd_copy(r, f->src, 16);
    rd_copy(r, f->dst, 16);
    for (int i = 0; !r->err && i < IPV6_MAX_EXT; i++) {
        f->proto = nh;
        if (nh == IPPROTO_NUM_FRAGMENT) {
            rd_u8(r, &nh);
            rd_skip(r, 1);
            rd_be16(r, &frag);
            rd_skip(r, 4);
            if (frag & 0xfff8) { /* not the first fragment: no ports */
                f->proto = nh;
                return r->err;
            }
            continue;
        }
        if (nh != IPPROTO_NUM_HOPOPTS && nh != IPPROTO_NUM_ROUTING &&
            nh != IPPROTO_NUM_DSTOPTS && nh != IPPROTO_NUM_AH)
            break;
        rd_u8(r, &nh);
        rd_u8(r, &len);
        /* AH counts 4-byte units minus 2, the others 8-byte units minus 1 */
        rd_skip(r, f->proto == IPPROTO_NUM_AH ? (len + 2u) * 4 - 2 : (len + 1u) * 8 - 2);
    }
    if (r->err)
        return r->err;
    f->proto = nh;
    read_ports(r, f);
    return 0;
}

int esp_flow_parse(const uint8_t *pkt, size_t len, struct esp_flow *f)
{
    struct rd r;
    uint8_t vihl = 0;
    memset(f, 0, sizeof *f);
    rd_init(&r, pkt, len);
    if (rd_u8(&r, &vihl))
        return r.err;
    f->family = vihl >> 4;
    if (f->family == ESP_IPV4)
        return parse_v4(&r, vihl, f);
    if (f->family == ESP_IPV6)
        return parse_v6(&r, f);
    return KITE_E_MALFORMED;
}
