/* uesp: the userspace data plane's SA installer and packet paths.
 *
 * Turns a Child SA negotiated by the IKE engine (struct ike_child_sa) into
 * the ESP core's objects (esp/): an inbound SA in the SAD, an outbound SA
 * behind a PROTECT policy in the SPD built from the Child SA's traffic
 * selectors.  The packet paths work on caller buffers, allocate nothing and
 * touch no file descriptor: the daemon's I/O (daemon/dataplane.c) reads the
 * TUN device and the sockets and sends what these return.
 *
 * Tunnel mode carries whole IP packets.  Transport mode (RFC 4303 3.1.1)
 * takes the packet the host sent through the TUN device, protects its
 * payload and leaves the outer header to the socket that sends it; inbound,
 * it rebuilds a plain IP header around the decrypted payload for the TUN
 * device. */
#ifndef KITE_SA_UESP_H
#define KITE_SA_UESP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "esp/buf.h"
#include "esp/sa.h"
#include "esp/sad.h"
#include "esp/spd.h"
#include "ike/ike.h"

/* room a caller leaves in front of a packet read from TUN: an outer IPv6
 * header, a UDP header, the ESP header and the largest IV */
enum { UESP_HEADROOM = 40 + 8 + 8 + 16, UESP_TAILROOM = 16 + 2 + 32 };

/* one installed Child SA: both directions and their policy */
struct uesp_child {
    bool used;
    unsigned slot;            /* its index in uesp.child[] */
    uint32_t ike_sa;
    char conn[IKE_NAME_MAX], name[IKE_NAME_MAX];
    struct esp_sa in, out;
    uint32_t policy_id, priority;
    unsigned reported;        /* ESP_SA_* flags already reported by uesp_expired */
    bool transport, encap;
    struct ike_addr local, remote; /* outer addresses and (with encap) ports */
    struct esp_ts ts_local, ts_remote;
    /* the queue of Child SAs with a limit to report (uesp_expired) */
    bool due;
    /* the queue of Child SAs that decrypted a packet since the last
     * report of liveness (uesp_last_used) */
    bool seen;
    struct uesp_child *seen_prev, *seen_next;
    struct uesp_child *due_prev, *due_next;
    /* the chain of its IKE SA's hash head (uesp_ike_first) */
    struct uesp_child *ike_prev, *ike_next;
};

/* packets the data plane dropped before an SA was known (the SAs count the rest) */
struct uesp_counters {
    uint64_t no_policy;   /* outbound: no policy, or DISCARD */
    uint64_t no_sa;       /* outbound: policy without an SA */
    uint64_t unknown_spi; /* inbound: no SA for this SPI (RFC 4303 3.4.2) */
    uint64_t malformed;   /* not an IP packet, or too short to hold an SPI */
    uint64_t encap_errors;/* outbound: the SA refused (expired, sequence exhausted, room) */
    uint64_t child_limit; /* Child SAs refused: max_children reached */
};

struct uesp {
    struct esp_sad sad;
    struct esp_spd spd;
    /* the installed Child SAs: n_slots pointers (NULL: free), grown as
     * needed; each Child SA is allocated alone and never moves, since the
     * SAD and SPD point into it */
    struct uesp_child **child;
    unsigned n_slots, n_children;
    unsigned *free_slots, n_free;
    uint32_t max_children;    /* 0: no limit; else uesp_install refuses more (counted) */
    uint32_t next_policy;
    uint32_t prio_top;        /* the next most preferred policy priority (counts down) */
    uint32_t replay_window;   /* default for new SAs */
    struct uesp_counters cnt;
    uint32_t unknown_spi;     /* the SPI of the last inbound packet refused as unknown (INVALID_SPI) */
    /* Child SAs whose packets passed a limit not yet reported: the packet
     * paths queue them, so finding them does not walk every Child SA */
    struct uesp_child *due;
    /* Child SAs that decrypted a packet since uesp_last_used last reported
     * them: queued by the inbound path, so that the report at each engine
     * deadline does not walk every Child SA */
    struct uesp_child *seen;
    /* Child SAs by IKE SA: nb_ike chain heads (a power of two, at least
     * n_children), so an IKE SA's events do not walk every Child SA */
    struct uesp_child **by_ike;
    unsigned nb_ike;
    uint32_t no_sa_policy;    /* the policy of the last outbound packet refused for want of an SA
                               * (KITE_E_NOT_FOUND, cnt.no_sa): a trap's (sa/trap.h) */
};

int uesp_init(struct uesp *u);
/* the Child SA in slot i (i < u->n_slots), NULL when free */
static inline struct uesp_child *uesp_child_at(const struct uesp *u, unsigned i)
{
    return i < u->n_slots ? u->child[i] : NULL;
}
void uesp_free(struct uesp *u);

/* install both directions of a Child SA; replay_window: 0 .. ESP_REPLAY_MAX.
 * KITE_E_LIMIT (counted in cnt.child_limit) when max_children are installed.
 * Outbound, a Child SA with c->takeover is preferred over every installed one
 * at once; without, it ranks right after the SA it replaces
 * (c->replaces_spi_in) and takes over when that one is removed
 * (make-before-break).  0 or KITE_E_* (nothing installed on failure) */
int uesp_install(struct uesp *u, const struct ike_child_sa *c, uint32_t replay_window,
                 const struct uesp_child **out);
/* a Child SA that newly reached a limit (soft: rekey it; hard or sequence
 * numbers exhausted: delete it), each reported once; 1 with *spi_in and
 * *hard, 0 when none */
int uesp_expired(struct uesp *u, uint32_t *spi_in, bool *hard);
/* the next Child SA that decrypted a packet since it was last reported
 * here: its inbound SPI and the `now` of its last good inbound packet
 * (liveness, RFC 7296 2.4); each once until it decrypts another; 1, or 0
 * when none is left.  Costs what was queued, not a walk of every Child SA */
int uesp_last_used(struct uesp *u, uint32_t *spi_in, uint64_t *at);
/* the Child SAs of IKE SA ike_sa: the first, and the one after c (NULL at
 * the end); fetch the next before removing c */
struct uesp_child *uesp_ike_first(const struct uesp *u, uint32_t ike_sa);
struct uesp_child *uesp_ike_next(const struct uesp_child *c);
/* IKE SA old_ike_sa was rekeyed: its Child SAs now belong to new_ike_sa */
void uesp_ike_rekeyed(struct uesp *u, uint32_t old_ike_sa, uint32_t new_ike_sa);
/* the peer of IKE SA ike_sa moved (RFC 7296 2.23): its next Child SA from
 * *cursor (start at 0) now goes between local and remote, in UDP or not;
 * NULL at the end */
const struct uesp_child *uesp_move(struct uesp *u, int *cursor, uint32_t ike_sa, const struct ike_addr *local,
                                   const struct ike_addr *remote, bool encap);
/* the `now` of the last ESP sent on any Child SA of IKE SA ike_sa (0: none) */
uint64_t uesp_last_out(const struct uesp *u, uint32_t ike_sa);
/* a rekeyed Child SA: its outbound policy goes (traffic moves to the SA
 * next in line), its inbound SA stays for what is in flight; 0 or
 * KITE_E_NOT_FOUND */
int uesp_retire(struct uesp *u, uint32_t spi_in);
/* remove the Child SA with this inbound SPI; 0 or KITE_E_NOT_FOUND */
int uesp_remove(struct uesp *u, uint32_t spi_in);
/* every Child SA of one IKE SA; returns how many */
int uesp_remove_ike(struct uesp *u, uint32_t ike_sa);
const struct uesp_child *uesp_find(const struct uesp *u, uint32_t spi_in);

/* Outbound: b holds an IP packet read from TUN, with UESP_HEADROOM before it
 * and UESP_TAILROOM after.  On 0, b holds the ESP packet (from the SPI) and
 * *via the Child SA whose outer addresses and encapsulation to use. */
int uesp_outbound(struct uesp *u, struct esp_buf *b, uint64_t now, const struct uesp_child **via);

/* Inbound: b holds an ESP packet from the SPI on; family and src/dst are the
 * outer addresses (transport mode rebuilds the IP header from them; b needs
 * 40 bytes of headroom).  On 0, b holds the IP packet for TUN; a dummy
 * packet returns KITE_E_NOT_FOUND after being counted; an unknown SPI
 * KITE_E_INVALID_SPI, with the SPI in u->unknown_spi. */
int uesp_inbound(struct uesp *u, struct esp_buf *b, uint64_t now, uint8_t family, const uint8_t *src,
                 const uint8_t *dst, const struct uesp_child **from);

/* the IKE-side traffic selector as an ESP selector */
void uesp_ts(const struct ike_ts_cfg *in, struct esp_ts *out);

#endif
