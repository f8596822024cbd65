/* ip: what the data plane reads from a cleartext IP packet (the inner packet
 * of tunnel mode, or a packet from the TUN device): its length and the
 * selector fields of RFC 4301 4.4.1.1.  Pure, through rd. */
#ifndef KITE_ESP_IP_H
#define KITE_ESP_IP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* IANA "Assigned Internet Protocol Numbers" used by the data plane */
enum {
    IPPROTO_NUM_HOPOPTS = 0, IPPROTO_NUM_ICMP = 1, IPPROTO_NUM_IPIP = 4, IPPROTO_NUM_TCP = 6,
    IPPROTO_NUM_UDP = 17, IPPROTO_NUM_IPV6 = 41, IPPROTO_NUM_ROUTING = 43,
    IPPROTO_NUM_FRAGMENT = 44, IPPROTO_NUM_ESP = 50, IPPROTO_NUM_AH = 51,
    IPPROTO_NUM_ICMPV6 = 58, IPPROTO_NUM_NONE = 59, IPPROTO_NUM_DSTOPTS = 60,
    IPPROTO_NUM_SCTP = 132,
};

enum { ESP_IPV4 = 4, ESP_IPV6 = 6 };

/* the selector view of one packet */
struct esp_flow {
    uint8_t family;     /* ESP_IPV4 or ESP_IPV6 */
    uint8_t proto;      /* upper-layer protocol (after IPv6 extension headers) */
    bool ports_known;   /* false: non-first fragment, truncated, or no ports (OPAQUE) */
    uint16_t sport;     /* TCP/UDP/SCTP ports; ICMP/ICMPv6: type << 8 | code in both */
    uint16_t dport;     /* (the IKEv2 encoding, RFC 7296 3.13.1) */
    uint8_t src[16];    /* network order; IPv4 uses the first 4 bytes */
    uint8_t dst[16];
};

/* length the IP header declares (IPv4 total length, IPv6 40 + payload
 * length); 0 or KITE_E_TRUNCATED / KITE_E_MALFORMED / KITE_E_BAD_LENGTH when
 * it exceeds len.  An IPv6 jumbogram (payload length 0) is refused. */
int esp_ip_len(const uint8_t *pkt, size_t len, size_t *ip_len);
/* selector fields of an IPv4 or IPv6 packet; 0 or a KITE_E_* code */
int esp_flow_parse(const uint8_t *pkt, size_t len, struct esp_flow *f);

#endif
