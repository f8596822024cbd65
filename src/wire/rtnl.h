/* rtnl: the rtnetlink notifications kited watches to follow its own
 * addresses (daemon/netwatch.c, MOBIKE as the initiator, RFC 4555): address
 * and route changes (RTM_NEWADDR, RTM_DELADDR, RTM_NEWROUTE, RTM_DELROUTE).
 * Pure: one datagram from the kernel in, events out; every byte through rd. */
#ifndef KITE_WIRE_RTNL_H
#define KITE_WIRE_RTNL_H
#include <stddef.h>
#include <stdint.h>

enum rtnl_kind { RTNL_ADDR_NEW = 1, RTNL_ADDR_DEL, RTNL_ROUTE_NEW, RTNL_ROUTE_DEL };

struct rtnl_event {
    uint8_t kind;       /* enum rtnl_kind */
    uint8_t family;     /* 4 or 6 */
    uint8_t prefix_len; /* the address's prefix, or the route's destination's */
    uint32_t ifindex;   /* the address's interface, or the route's RTA_OIF (0: none) */
    uint32_t table;     /* a route's table (RTA_TABLE over rtm_table); 0 for addresses */
    uint8_t addr[16];   /* IFA_LOCAL (else IFA_ADDRESS), or RTA_DST (zero: a default route) */
};

typedef void rtnl_event_cb(void *ctx, const struct rtnl_event *ev);

/* each address or route message of the datagram p[0..n) to cb, in order;
 * other messages (other families, types, NLMSG_DONE) are skipped.  0, or
 * KITE_E_MALFORMED / KITE_E_TRUNCATED at the first malformed message (cb has
 * seen the ones before it) */
int rtnl_parse(const uint8_t *p, size_t n, rtnl_event_cb *cb, void *ctx);

#endif
