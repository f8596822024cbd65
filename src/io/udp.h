/* udp: the IKE sockets on 500 and 4500 (IPv4 and IPv6).
 * Datagrams carry the local address they arrived on (IP_PKTINFO /
 * IPV6_RECVPKTINFO) so replies leave from the address the peer used.  On the
 * NAT-T port the first four bytes tell IKE (zero non-ESP marker, RFC 3948
 * §2.2) from ESP (a non-zero SPI); a single 0xFF byte is a NAT keepalive. */
#ifndef KITE_IO_UDP_H
#define KITE_IO_UDP_H
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum udp_kind { UDP_IKE, UDP_ESP, UDP_KEEPALIVE, UDP_INVALID };

struct udp_sock {
    int fd;
    int family;
    uint16_t port;
    bool natt; /* the port-4500 style socket: non-ESP marker demux */
    bool gro;  /* UDP_GRO: one read may bring several datagrams of one flow */
};

/* one datagram; with GRO, one of the equal-sized segments of a coalesced
 * read (udp_next steps through them) */
struct udp_dgram {
    struct sockaddr_storage local, remote;
    enum udp_kind kind;
    uint8_t *data; /* IKE: after the marker; ESP: from the SPI */
    size_t len;
    uint8_t *next; /* the rest of a coalesced read: left bytes in seg-sized datagrams */
    size_t left, seg;
};

/* open and bind a socket on [bind_addr]:port (NULL address: the wildcard of
 * family); port 0 picks an ephemeral port (tests).  0 or -errno */
int udp_open(struct udp_sock *s, int family, const char *bind_addr, uint16_t port, bool natt);
void udp_close(struct udp_sock *s);
/* receive into buf; 1 if a datagram was read (the first, with GRO), 0 if none
 * waiting, -errno.  With GRO, buf should hold 64 KB */
int udp_recv(struct udp_sock *s, uint8_t *buf, size_t cap, struct udp_dgram *d);
/* the next datagram of the same coalesced read; false when there is none */
bool udp_next(const struct udp_sock *s, struct udp_dgram *d);
/* receive coalesced datagrams (UDP_GRO, Linux 5.0) on s; 0 or -errno */
int udp_enable_gro(struct udp_sock *s);
/* send p from local (may be NULL / wildcard) to remote; with_marker prepends
 * the four zero bytes of the non-ESP marker.  0 or -errno */
int udp_send(struct udp_sock *s, const struct sockaddr_storage *local,
             const struct sockaddr_storage *remote, const uint8_t *p, size_t n, bool with_marker);
/* classify a datagram received on a NAT-T socket */
enum udp_kind udp_classify(const uint8_t *p, size_t n, bool natt);
/* "192.0.2.1[500]" */
/* a socket address as the engine's struct ike_addr and back (family 0:
 * neither IPv4 nor IPv6 / an all-zero sockaddr) */
struct ike_addr;
void udp_addr_to_ike(const struct sockaddr_storage *ss, struct ike_addr *a);
void udp_addr_from_ike(const struct ike_addr *a, struct sockaddr_storage *ss);
const char *udp_addr_str(const struct sockaddr_storage *a, char *buf, size_t cap);
uint16_t udp_addr_port(const struct sockaddr_storage *a);

#endif
