/* dataplane: kited's userspace ESP data plane over a TUN device.
 *
 * Owns the TUN device, the raw ESP sockets, the routes and the policy
 * routing rule, and the userspace SAs (sa/uesp).  Child SA events from the
 * IKE engine install and remove SAs; packets read from TUN leave as ESP (raw
 * IP protocol 50, or UDP-encapsulated through the caller's NAT-T socket),
 * ESP received is decrypted and written to TUN.
 *
 * Routing like strongSwan's install_routes: a route for each remote traffic
 * selector through the TUN device in table `table` (default 220), with the
 * local address inside the local selectors as the preferred source; a rule
 * `not fwmark MARK lookup TABLE` sends everything except kite's own marked
 * sockets through that table, so IKE and ESP to the peer never loop back
 * into the tunnel (needed for transport mode, where the peer itself is the
 * protected destination). */
#ifndef KITE_DAEMON_DATAPLANE_H
#define KITE_DAEMON_DATAPLANE_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include "base/log.h"
#include "daemon/routes.h"
#include "ike/ike.h"
#include "io/raw.h"
#include "sa/uesp.h"

enum { DP_TABLE = 220, DP_MARK = 0x4b1e, DP_MTU = 1400,
       DP_BATCH = 64,   /* packets per recvmmsg/sendmmsg */
       DP_GSO_SEGS = 64, DP_GSO_BYTES = 65000, /* per UDP GSO send */
       DP_SLOT = 2048,  /* bytes per packet buffer */
       DP_AT = 128 };   /* where a packet starts in its buffer: room for headers */

struct dp_stats {
    uint64_t tun_in, tun_out;     /* packets read from / written to TUN */
    uint64_t esp_in, esp_out;     /* ESP packets received / sent */
    uint64_t send_errors, tun_errors;
    uint64_t gso_sends, gro_reads;/* UDP sends of several ESP packets / reads that brought several */
    uint64_t install_failed;      /* Child SAs the data plane could not take (the engine deletes them) */
};

/* one send waiting in the outbound batch: an ESP packet, or with UDP GSO
 * several UDP-encapsulated ones of equal size to one peer (the last may be
 * shorter), cut into datagrams by the kernel (UDP_SEGMENT, Linux 4.18) */
struct dp_out {
    int fd;
    struct sockaddr_storage to;
    socklen_t tl;
    uint16_t seg;   /* the size of each datagram */
    uint8_t n;      /* packets in this send */
    bool closed;    /* ended by a shorter one: no more can join */
    union {
        char buf[CMSG_SPACE(sizeof(uint16_t))];
        struct cmsghdr align;
    } ctl;
};

struct dataplane {
    bool on;
    bool offload;          /* TUN with virtio_net_hdr: TSO in, GRO out */
    int tun_fd, tun_ifindex;
    char tun_name[16];
    struct raw_sock raw4, raw6;
    struct uesp u;
    struct log_sink *log;
    bool rules;
    struct routes routes;  /* installed in DP_TABLE, with their holders (daemon/routes.h) */
    struct dp_stats st;
    int udp_fd4, udp_fd6;  /* the NAT-T sockets (the caller's), for UDP-encapsulated ESP */
    bool udp_gso;          /* send UDP-encapsulated ESP in GSO batches */
    int send_errno;        /* the reason of the last failed send (logged when it changes) */
    /* outbound batch: packets in slot buffers, sent with sendmmsg */
    uint8_t (*slot)[DP_SLOT];
    int next_slot, n_out, n_iov;
    struct dp_out out[DP_BATCH];
    struct mmsghdr mm[DP_BATCH];
    struct iovec iov[DP_BATCH];
    /* GRO: the TCP packet being coalesced for one write to TUN */
    size_t gro_len;
    int gro_segs;
    uint16_t gro_mss;
    /* ESP for an SPI no SA has, from `from` (port 0 for raw ESP): the caller
     * may tell the peer (INVALID_SPI); NULL: only counted */
    void (*unknown_spi)(void *ctx, uint32_t spi, const struct ike_addr *from, uint64_t now);
    void *ctx;
    /* a packet from TUN matched `policy`, a policy without an SA (a trap,
     * daemon/traps.c): the caller may start a negotiation and hold a copy;
     * NULL: only counted (no_sa).  Not called for held packets sent again */
    void (*no_sa)(void *ctx, uint32_t policy, const uint8_t *pkt, size_t len, uint64_t now);
    void *no_sa_ctx;
    bool sending_held;
    bool route_trap;       /* routes added now belong to a trap (dp_trap_routes) */
    uint8_t big[65536 + 256];  /* TUN reads (up to 64 KB with TSO) */
    uint8_t gro[65536 + 256];
};

/* opens TUN, raw sockets and the routing rule; on failure the daemon runs
 * without a data plane (logged) and returns the error */
int dp_open(struct dataplane *dp, struct log_sink *log);
/* removes routes and rules, closes everything, wipes the SAs */
void dp_close(struct dataplane *dp);

/* 0, or the data plane could not take it (the engine must be told) */
int dp_child_up(struct dataplane *dp, const struct ike_child_sa *c, uint32_t replay_window);
void dp_ike_down(struct dataplane *dp, uint32_t ike_sa);
/* the Child SAs of a rekeyed IKE SA now belong to its successor */
void dp_ike_rekeyed(struct dataplane *dp, uint32_t old_ike_sa, uint32_t new_ike_sa);
/* a rekeyed Child SA stops carrying outbound traffic (inbound stays) */
void dp_child_retire(struct dataplane *dp, uint32_t spi_in);
/* one Child SA, by its inbound SPI */
void dp_child_down(struct dataplane *dp, uint32_t spi_in);

/* the fds the loop watches: TUN, raw v4, raw v6 (-1 when absent) */
void dp_on_tun(struct dataplane *dp, uint64_t now);
void dp_on_raw(struct dataplane *dp, int fd, uint64_t now);
/* an ESP packet that arrived UDP-encapsulated: b is a buffer with 64 bytes
 * of headroom before the SPI.  Returns the Child SA when the packet was
 * authenticated, new (it advanced the replay window) and came from another
 * address or port than the SA's peer: a NAT mapping may have changed
 * (the caller asks the IKE engine, ike_nat_seen); NULL otherwise */
const struct uesp_child *dp_on_udp_esp(struct dataplane *dp, struct esp_buf *b, const struct ike_addr *local,
                                       const struct ike_addr *remote, uint64_t now);
/* the Child SAs of ike_sa move to new outer addresses / UDP ports (NAT mapping
 * changed, IKE_ACT_IKE_MOVED) */
void dp_ike_moved(struct dataplane *dp, uint32_t ike_sa, const struct ike_addr *local,
                  const struct ike_addr *remote, bool encap);
/* the last time ESP was sent on a Child SA of ike_sa (0: never) */
uint64_t dp_last_out(const struct dataplane *dp, uint32_t ike_sa);

/* the end of a burst of dp_on_udp_esp calls: write what GRO holds */
void dp_udp_batch_end(struct dataplane *dp);

/* a packet a trap held (an IP packet as read from TUN) goes out through the
 * Child SA now installed for it, queued with the outbound batch; dp_flush
 * sends the batch.  One that still finds no SA is dropped (counted: no_sa) */
void dp_send_held(struct dataplane *dp, const uint8_t *pkt, size_t len, uint64_t now);
void dp_flush(struct dataplane *dp);
/* the routes of a trap policy (id: its policy id): each remote selector
 * through the TUN device, with a source inside local (as a Child SA's get);
 * they stay when Child SAs with the same selectors go.  add false: removed */
void dp_trap_routes(struct dataplane *dp, uint32_t id, const struct esp_ts *local, const struct esp_ts *remote,
                    unsigned n_remote, bool add);

/* one line per Child SA for status output and logs */
void dp_log_sas(struct dataplane *dp, int level);

#endif
