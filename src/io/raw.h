/* raw: ESP as IP protocol 50 (RFC 4303 without UDP encapsulation) on raw
 * sockets, one per address family.  The kernel builds the outer header when
 * sending; on receipt IPv4 hands the packet with its header (read through rd
 * for the addresses), IPv6 without (the addresses come from the socket
 * name and IPV6_PKTINFO). */
#ifndef KITE_IO_RAW_H
#define KITE_IO_RAW_H
#include <stddef.h>
#include <stdint.h>

enum { RAW_RCVBUF = 8 << 20 }; /* receive queue bytes */

struct raw_sock {
    int fd;
    int family; /* AF_INET or AF_INET6 */
    uint32_t drops; /* packets the kernel dropped on a full queue (SO_RXQ_OVFL) */
};

struct raw_pkt {
    uint8_t family;      /* 4 or 6 */
    uint8_t src[16], dst[16];
    size_t off, len;     /* the ESP packet (from the SPI) inside the caller's buffer */
};

/* mark: SO_MARK for the packets kite sends (0: none); 0 or -errno */
int raw_open(struct raw_sock *s, int family, uint32_t mark);
void raw_close(struct raw_sock *s);
/* read one packet into buf at offset `at`; 1 if one was read, 0 if none
 * waiting, -errno; a packet too short for an IPv4 header is read and
 * reported with len 0 */
int raw_recv(struct raw_sock *s, uint8_t *buf, size_t cap, size_t at, struct raw_pkt *p);
/* read up to max packets with one recvmmsg: packet i into bufs[i] + at
 * (cap bytes from bufs[i]); returns how many (0: none waiting) or -errno.
 * A truncated or headerless packet is reported with len 0. */
int raw_recv_batch(struct raw_sock *s, uint8_t *const *bufs, size_t cap, size_t at, struct raw_pkt *p, int max);
/* send an ESP packet to dst (4 or 16 bytes by family); 0 or -errno */
int raw_send(struct raw_sock *s, const uint8_t *dst, const uint8_t *p, size_t n);

#endif
