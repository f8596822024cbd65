/* rtnl: rtnetlink address and route notifications (rtnl.h).  A datagram is
 * a run of messages, each a struct nlmsghdr, the family's fixed header
 * (ifaddrmsg, rtmsg) and attributes (struct rtattr, 4-byte aligned). */
#include "wire/rtnl.h"
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "base/rd.h"

typedef int attr_fn(struct rd *a, uint16_t type, struct rtnl_event *ev, bool *seen);

static uint8_t family_of(uint8_t af)
{
    return af == AF_INET ? 4 : af == AF_INET6 ? 6 : 0;
}

/* skip the padding to the next 4-byte boundary (the last item may lack it) */
static void skip_pad(struct rd *r, size_t len)
{
    size_t pad = NLMSG_ALIGN(len) - len;
    rd_skip(r, pad < rd_left(r) ? pad : rd_left(r));
}

/* an address attribute of the family's size into ev->addr */
static int take_addr(struct rd *a, struct rtnl_event *ev)
{
    size_t want = ev->family == 6 ? 16 : 4;
    if (rd_left(a) != want)
        return KITE_E_MALFORMED;
    return rd_copy(a, ev->addr, want);
}

/* the attributes after the fixed header, each to attr */
static int attrs(struct rd *r, struct rtnl_event *ev, attr_fn *attr)
{
    bool seen = false;
    while (rd_left(r) > 0) {
        struct rtattr h;
        struct rd a;
        if (rd_copy(r, &h, sizeof h) || h.rta_len < sizeof h || rd_sub(r, h.rta_len - sizeof h, &a))
            return KITE_E_MALFORMED;
        skip_pad(r, h.rta_len);
        int rc = attr(&a, h.rta_type & NLA_TYPE_MASK, ev, &seen);
        if (rc)
            return rc;
    }
    return 0;
}

/* IFA_LOCAL is the address itself; IFA_ADDRESS is the peer's on a
 * point-to-point link and the address otherwise: LOCAL wins */
static int addr_attr(struct rd *a, uint16_t type, struct rtnl_event *ev, bool *seen)
{
    if (type == IFA_LOCAL || (type == IFA_ADDRESS && !*seen)) {
        *seen = *seen || type == IFA_LOCAL;
        return take_addr(a, ev);
    }
    return 0;
}

static int route_attr(struct rd *a, uint16_t type, struct rtnl_event *ev, bool *seen)
{
    (void)seen;
    if (type == RTA_DST)
        return take_addr(a, ev);
    if (type == RTA_OIF || type == RTA_TABLE) {
        if (rd_left(a) != 4)
            return KITE_E_MALFORMED;
        return rd_copy(a, type == RTA_OIF ? &ev->ifindex : &ev->table, 4);
    }
    return 0;
}

static int addr_msg(struct rd *body, uint16_t type, struct rtnl_event *ev)
{
    struct ifaddrmsg m;
    if (rd_copy(body, &m, sizeof m))
        return KITE_E_TRUNCATED;
    ev->kind = type == RTM_NEWADDR ? RTNL_ADDR_NEW : RTNL_ADDR_DEL;
    ev->family = family_of(m.ifa_family);
    ev->prefix_len = m.ifa_prefixlen;
    ev->ifindex = m.ifa_index;
    return ev->family ? attrs(body, ev, addr_attr) : 0;
}

static int route_msg(struct rd *body, uint16_t type, struct rtnl_event *ev)
{
    struct rtmsg m;
    if (rd_copy(body, &m, sizeof m))
        return KITE_E_TRUNCATED;
    ev->kind = type == RTM_NEWROUTE ? RTNL_ROUTE_NEW : RTNL_ROUTE_DEL;
    ev->family = family_of(m.rtm_family);
    ev->prefix_len = m.rtm_dst_len;
    ev->table = m.rtm_table;
    return ev->family ? attrs(body, ev, route_attr) : 0;
}

/* one message's body: 1 and ev filled when it is one of ours, 0 when not */
static int one(struct rd *body, uint16_t type, struct rtnl_event *ev)
{
    memset(ev, 0, sizeof *ev);
    int rc;
    if (type == RTM_NEWADDR || type == RTM_DELADDR)
        rc = addr_msg(body, type, ev);
    else if (type == RTM_NEWROUTE || type == RTM_DELROUTE)
        rc = route_msg(body, type, ev);
    else
        return 0;
    if (!rc && ev->prefix_len > (ev->family == 6 ? 128 : 32))
        rc = KITE_E_MALFORMED;
    return rc ? rc : ev->family != 0;
}

int rtnl_parse(const uint8_t *p, size_t n, rtnl_event_cb *cb, void *ctx)
{
    struct rd r;
    rd_init(&r, p, n);
    while (rd_left(&r) > 0) {
        struct nlmsghdr h;
        struct rd body;
        if (rd_copy(&r, &h, sizeof h))
            return KITE_E_TRUNCATED;
        if (h.nlmsg_len < sizeof h || rd_sub(&r, h.nlmsg_len - sizeof h, &body))
            return KITE_E_MALFORMED;
        skip_pad(&r, h.nlmsg_len);
        struct rtnl_event ev;
        int rc = one(&body, h.nlmsg_type, &ev);
        if (rc < 0)
            return rc;
        if (rc == 1)
            cb(ctx, &ev);
    }
    return 0;
}
