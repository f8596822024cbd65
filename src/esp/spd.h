/* spd: traffic selectors and the security policy database (RFC 4301 4.4.1).
 *
 * A selector is one IKEv2 traffic selector (RFC 7296 3.13.1): an IP protocol
 * (0 = any), an inclusive address range of one family, and an inclusive port
 * range (ICMP: type << 8 | code).  A policy pairs a local and a remote
 * selector with an action; outbound lookup returns the first policy, in
 * priority order, that a packet matches.
 *
 * Precedence is (priority, insertion order): the first policy in that order
 * whose selectors hold the packet wins, whatever their sizes.  The table is
 * a tuple space (Srinivasan et al., "Packet classification using tuple space
 * search", 1999): each policy is filed under the family and the lengths of
 * the smallest prefixes that enclose its two address ranges (its shape) and
 * under the addresses masked to them, in a keyed hash whose chains keep
 * precedence order.  A lookup probes one chain per shape present, so its
 * cost grows with the number of distinct shapes (a site-to-site or
 * road-warrior gateway has a few), not with the number of policies; ranges
 * that are not prefixes are found through their enclosing prefix and then
 * checked exactly.  Adding and removing allocate; lookup does not. */
#ifndef KITE_ESP_SPD_H
#define KITE_ESP_SPD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "esp/ip.h"

struct esp_ts {
    uint8_t family;           /* ESP_IPV4 or ESP_IPV6 */
    uint8_t proto;            /* 0 = any */
    uint16_t port_lo, port_hi;/* 0..65535 = any */
    uint8_t start[16], end[16]; /* network order; IPv4 uses 4 bytes */
};

/* the whole address space of a family, any protocol and port */
void esp_ts_any(struct esp_ts *ts, uint8_t family);
/* does the packet's source (src = true) or destination lie within ts?
 * A selector with a port range other than "any" never matches a packet
 * whose ports are unknown (OPAQUE, RFC 4301 4.4.1.1) */
bool esp_ts_match(const struct esp_ts *ts, const struct esp_flow *f, bool src);
/* RFC 4301 5.2 step 4: a decrypted tunnel-mode packet must come from one of
 * the remote selectors and go to one of the local ones; 0 or KITE_E_POLICY */
int esp_ts_check_inbound(const struct esp_ts *local, size_t n_local,
                         const struct esp_ts *remote, size_t n_remote,
                         const struct esp_flow *f);

enum esp_action { ESP_ACTION_PROTECT, ESP_ACTION_BYPASS, ESP_ACTION_DISCARD };

struct esp_sa;

struct esp_policy {
    uint32_t id;              /* caller's handle (e.g. the Child SA's); not unique */
    uint32_t priority;        /* lower first; equal priorities keep insertion order */
    struct esp_ts local, remote;
    enum esp_action action;
    struct esp_sa *sa;        /* PROTECT: the outbound SA; NULL while none is installed */
};

struct esp_spd_node; /* one policy and its links (spd.c) */

/* a family and the enclosing prefix lengths of local and remote selectors */
struct esp_spd_shape {
    uint8_t family, llen, rlen;
    size_t n;                 /* policies of this shape */
};

struct esp_spd {
    struct esp_spd_node **sel;/* chains by shape and masked addresses, in precedence order */
    struct esp_spd_node **ids;/* chains by policy id (removal) */
    size_t nb;                /* heads in each (a power of two, 0 before the first add) */
    size_t n;                 /* policies */
    uint64_t seq;             /* insertion counter: the tie-break of equal priorities */
    uint64_t key[2];          /* hash key: selectors come from peers */
    struct esp_spd_shape *shape;
    size_t n_shape, cap_shape;
};

void esp_spd_init(struct esp_spd *spd);
void esp_spd_free(struct esp_spd *spd);
/* insert a copy, after every policy of lower or equal priority; 0 or KITE_E_NOMEM */
int esp_spd_add(struct esp_spd *spd, const struct esp_policy *p);
/* remove every policy with this id; returns how many went */
size_t esp_spd_remove(struct esp_spd *spd, uint32_t id);
/* outbound: the first policy whose local selector holds the packet's source
 * and remote selector its destination, or NULL (the caller discards) */
const struct esp_policy *esp_spd_lookup(const struct esp_spd *spd, const struct esp_flow *f);

#endif
