/* offload: the per-packet work the kernel leaves to a TUN device opened with
 * offloads (io/tun.h tun_open_offload): the virtio_net_hdr in front of every
 * packet, transport checksums left partial (VIRTIO_NET_HDR_F_NEEDS_CSUM),
 * and TCP packets of up to 64 KB to be cut into MSS-sized segments (TSO) —
 * so that one read() brings up to 45 packets' worth of data.  The reverse
 * (ofl_tcp_coalesce) joins in-order TCP segments of one flow into one large
 * packet for a single write() (GRO).  Pure functions over caller buffers. */
#ifndef KITE_ESP_OFFLOAD_H
#define KITE_ESP_OFFLOAD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    OFL_VNET_LEN = 10,
    OFL_F_NEEDS_CSUM = 1,
    OFL_F_DATA_VALID = 2,
    OFL_GSO_NONE = 0,
    OFL_GSO_TCPV4 = 1,
    OFL_GSO_TCPV6 = 4,
    OFL_GSO_ECN = 0x80,
};

struct ofl_vnet {
    uint8_t flags, gso_type;
    uint16_t hdr_len, gso_size, csum_start, csum_offset;
};

/* the 10-byte header, native byte order (a TUN device's default) */
int ofl_vnet_read(const uint8_t *p, size_t n, struct ofl_vnet *v);
void ofl_vnet_write(uint8_t *p, const struct ofl_vnet *v);

/* ones' complement sum helpers (RFC 1071) */
uint32_t ofl_csum_add(uint32_t sum, const uint8_t *p, size_t n);
uint16_t ofl_csum_fold(uint32_t sum);

/* complete a partial checksum: the field at csum_start + csum_offset holds
 * the pseudo-header sum; 0 or KITE_E_MALFORMED when out of bounds */
int ofl_csum_finish(uint8_t *pkt, size_t len, uint16_t csum_start, uint16_t csum_offset);

/* cut an IPv4/IPv6 TCP packet (no IPv6 extension headers) into segments of
 * at most mss payload bytes: out[i] receives a complete packet (lengths, IPv4
 * id and header checksum, TCP sequence number, flags and full checksum
 * rewritten) of out_len[i] bytes; each out[i] must hold cap bytes.  Returns
 * the number of segments or a KITE_E_* code (malformed, more than max_out
 * segments, a segment larger than cap). */
int ofl_tcp_segment(const uint8_t *pkt, size_t len, uint16_t mss, uint8_t *const *out, size_t *out_len,
                    int max_out, size_t cap);

/* GRO: try to append the TCP segment `seg` to the packet `pkt` being built
 * (pkt_len bytes, room for cap): same addresses, ports and TCP options
 * length, the next sequence number, ACK-only or ACK|PSH flags, every segment
 * but the last exactly *mss bytes of payload, its IPv4 header and TCP
 * checksums correct (the joined packet is flagged CHECKSUM_PARTIAL, which the
 * kernel trusts, so a bad segment must go to TUN on its own).  On success the IP length is
 * updated and 1 returned (the checksums are left for ofl_tcp_coalesce_end);
 * 0 when it does not fit or does not follow. */
int ofl_tcp_coalesce(uint8_t *pkt, size_t *pkt_len, size_t cap, uint16_t *mss, const uint8_t *seg, size_t seg_len);
/* a packet that starts a coalesced run: whether it may (TCP, no IPv4 options
 * or fragments, no IPv6 extension headers, ACK set, no SYN/FIN/RST/URG/PSH/CWR,
 * checksums correct) */
bool ofl_tcp_can_coalesce(const uint8_t *pkt, size_t len);
/* finish a packet built by ofl_tcp_coalesce: the IPv4 header checksum, and
 * the vnet header for a write to TUN (GSO when more than one segment, the
 * checksum left partial: every segment's was verified as it joined) */
void ofl_tcp_coalesce_end(uint8_t *pkt, size_t len, uint16_t mss, int segments, struct ofl_vnet *v);

#endif
