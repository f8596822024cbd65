/* netlink: the rtnetlink calls the userspace data plane needs to wire its TUN
 * device into the host: link MTU and state, interface addresses, routes into
 * a routing table, and policy rules that steer traffic into that table.
 *
 * Raw NETLINK_ROUTE, no library.  Each call is one transaction: open a socket,
 * send one request with NLM_F_REQUEST | NLM_F_ACK, read the kernel's
 * NLMSG_ERROR ack, close.  The result is 0 or the -errno the kernel put in the
 * ack (or a local -errno: -EINVAL for arguments refused before anything is
 * sent, -EBADMSG for a malformed reply).  Every reply is parsed through rd. */
#ifndef KITE_IO_NETLINK_H
#define KITE_IO_NETLINK_H
#include <stdbool.h>
#include <stdint.h>

/* set the MTU (0: leave it) and bring the link up or down */
int nl_link_set(int ifindex, int mtu, bool up);
/* add (replacing an identical one) or delete addr/prefix_len on ifindex;
 * family AF_INET (4 bytes) or AF_INET6 (16 bytes; added without DAD) */
int nl_addr(bool add, int ifindex, int family, const uint8_t *addr, int prefix_len);
/* a route to dst/prefix_len out of ifindex in routing table `table` (1..2^31-1;
 * RT_TABLE_MAIN is 254), scope link, protocol static, with RTA_PREFSRC when
 * prefsrc is not NULL.  add creates or replaces. */
int nl_route(bool add, int table, int ifindex, int family, const uint8_t *dst, int prefix_len,
             const uint8_t *prefsrc);
/* a policy rule `[not] fwmark MARK/0xffffffff lookup TABLE priority PRIO`;
 * fwmark 0 leaves out the fwmark match, invert sets FIB_RULE_INVERT.  family
 * AF_INET or AF_INET6.  add is exclusive: an identical rule gives -EEXIST. */
int nl_rule(bool add, int family, uint32_t priority, uint32_t table, uint32_t fwmark, bool invert);

#endif
