/* natt: transport-mode ESP through a NAT (RFC 3948 3.1.2).
 *
 * The sender's TCP/UDP checksum covers the addresses it used; a NAT on the
 * way rewrote at least one of them, so after decapsulation, with the IP
 * header rebuilt from the outer addresses, the checksum is wrong.  RFC 3948
 * 3.1.2 lets the receiver update it incrementally from the original
 * addresses (NAT-OA, IKEv1) or recompute it.  IKEv2 has no NAT-OA and the
 * side behind a NAT cannot know the address its peer used for it, so kite
 * recomputes: the ICV has already authenticated every byte. */
#ifndef KITE_ESP_NATT_H
#define KITE_ESP_NATT_H
#include <stddef.h>
#include <stdint.h>

/* pkt: an IPv4 or IPv6 packet of len bytes.  TCP and UDP (not fragmented,
 * no IPv6 extension headers) get the checksum of their pseudo-header; an
 * IPv4 UDP checksum of zero (none) stays zero; other packets are left as they
 * are.  0, or KITE_E_TRUNCATED / KITE_E_MALFORMED */
int esp_natt_fix_csum(uint8_t *pkt, size_t len);

#endif
