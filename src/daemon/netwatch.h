/* netwatch: kited follows its own addresses (MOBIKE as the initiator, RFC
 * 4555 3.5).  An rtnetlink socket in the event loop hears address and route
 * changes; after a burst settles (debounced) each IKE SA we may move
 * (ike_sa_mobile) gets the source address the kernel now routes toward its
 * peer, and when that is another than the SA's it is moved there
 * (ike_sa_move_local: UPDATE_SA_ADDRESSES with NAT detection, ESP from the
 * new address). */
#ifndef KITE_DAEMON_NETWATCH_H
#define KITE_DAEMON_NETWATCH_H
#include <stdbool.h>
#include <stdint.h>
#include "base/log.h"
#include "ike/ike.h"
#include "wire/rtnl.h"

struct netwatch {
    int fd;              /* the rtnetlink socket; -1: not watching */
    int tun_ifindex;     /* kite's own TUN device: changes there are kite's (0: none) */
    uint32_t table;      /* and kite's own routing table (0: none) */
    uint32_t mark;       /* our sockets' SO_MARK: the route lookup bypasses the tunnel's routes */
    uint32_t debounce_ms;
    uint64_t first_at;   /* the first event of the burst not yet looked at */
    uint64_t due;        /* when to look (UINT64_MAX: nothing pending) */
    uint64_t events, checks, moves; /* counted for the status */
    bool no_route_said;  /* "no route" logged once until a move works again */
    struct log_sink *log;
};

/* open and subscribe (IPv4/IPv6 addresses and routes); 0 or -errno, w->fd
 * -1 then (kited runs on without following its addresses) */
int netwatch_open(struct netwatch *w, struct log_sink *log);
void netwatch_close(struct netwatch *w);
/* the socket is readable: read what is queued (non-blocking), and schedule
 * a look when something relevant changed */
void netwatch_read(struct netwatch *w, uint64_t now);
/* an event of ours (not on kite's own device or table) schedules a look
 * debounce_ms later, or at most 5 debounce periods after the burst began */
void netwatch_note(struct netwatch *w, const struct rtnl_event *ev, uint64_t now);
/* when to call netwatch_check (UINT64_MAX: nothing pending) */
uint64_t netwatch_due(const struct netwatch *w);
/* each movable IKE SA: moved when the routed source toward its peer changed;
 * how many moved */
int netwatch_check(struct netwatch *w, struct ike_engine *ike, uint64_t now);

/* the source-selection decision, pure: an SA now at cur, the route lookup
 * toward the peer gave routed (lookup_rc 0) or failed (lookup_rc < 0) */
enum netwatch_verdict { NETWATCH_KEEP, NETWATCH_MOVE, NETWATCH_NO_ROUTE };
enum netwatch_verdict netwatch_pick(const struct ike_addr *cur, int lookup_rc, const struct ike_addr *routed,
                                    struct ike_addr *to);
/* the source address the kernel picks toward remote (its port or 4500),
 * with SO_MARK mark; 0 or -errno (-ENETUNREACH: no route) */
int netwatch_route_src(const struct ike_addr *remote, uint32_t mark, struct ike_addr *out);

#endif
