/* daemon/netwatch and wire/rtnl: kited following its own addresses (MOBIKE
 * as the initiator, RFC 4555).  The rtnetlink notifications parsed (crafted
 * datagrams: addresses, routes, several messages, malformed ones), the
 * debounce and what is ignored (kite's own TUN device and table), the
 * source-selection decision, and, as root in a private network namespace,
 * the real thing: an address added and deleted is heard, and the route
 * lookup picks the source the kernel would. */
#include "testutil.h"
#include <arpa/inet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "base/err.h"
#include "daemon/netwatch.h"
#include "io/loop.h"
#include "io/netlink.h"
#include "wire/rtnl.h"

/* ---- crafting datagrams ---- */

struct dg {
    uint8_t b[1024];
    size_t n, msg; /* length; start of the message being built */
};

static void put(struct dg *d, const void *p, size_t n)
{
    assert_true(d->n + n <= sizeof d->b);
    memcpy(d->b + d->n, p, n);
    d->n += n;
}

static void pad(struct dg *d)
{
    while (d->n % 4)
        d->b[d->n++] = 0;
}

static void msg_begin(struct dg *d, uint16_t type, const void *fixed, size_t n)
{
    d->msg = d->n;
    struct nlmsghdr h = { .nlmsg_type = type };
    put(d, &h, sizeof h);
    put(d, fixed, n);
    pad(d);
}

static void attr(struct dg *d, uint16_t type, const void *p, size_t n)
{
    struct rtattr a = { .rta_len = (unsigned short)(sizeof a + n), .rta_type = type };
    put(d, &a, sizeof a);
    put(d, p, n);
    pad(d);
}

static void msg_end(struct dg *d)
{
    uint32_t len = (uint32_t)(d->n - d->msg);
    memcpy(d->b + d->msg, &len, sizeof len);
}

static void addr_msg(struct dg *d, uint16_t type, int af, int ifindex, int plen, const char *local,
                     const char *address)
{
    struct ifaddrmsg m = { .ifa_family = (uint8_t)af, .ifa_prefixlen = (uint8_t)plen, .ifa_index = (uint32_t)ifindex };
    uint8_t ip[16];
    msg_begin(d, type, &m, sizeof m);
    if (address) {
        assert_int_equal(inet_pton(af, address, ip), 1);
        attr(d, IFA_ADDRESS, ip, af == AF_INET6 ? 16 : 4);
    }
    if (local) {
        assert_int_equal(inet_pton(af, local, ip), 1);
        attr(d, IFA_LOCAL, ip, af == AF_INET6 ? 16 : 4);
    }
    msg_end(d);
}

static void route_msg(struct dg *d, uint16_t type, int af, const char *dst, int plen, uint32_t oif, uint32_t table)
{
    struct rtmsg m = { .rtm_family = (uint8_t)af, .rtm_dst_len = (uint8_t)plen, .rtm_table = RT_TABLE_MAIN };
    uint8_t ip[16];
    msg_begin(d, type, &m, sizeof m);
    if (dst) {
        assert_int_equal(inet_pton(af, dst, ip), 1);
        attr(d, RTA_DST, ip, af == AF_INET6 ? 16 : 4);
    }
    attr(d, RTA_OIF, &oif, 4);
    if (table)
        attr(d, RTA_TABLE, &table, 4);
    msg_end(d);
}

struct got {
    struct rtnl_event ev[8];
    int n;
};

static void collect(void *ctx, const struct rtnl_event *ev)
{
    struct got *g = ctx;
    assert_true(g->n < 8);
    g->ev[g->n++] = *ev;
}

static void ip_is(const struct rtnl_event *ev, int af, const char *want)
{
    uint8_t ip[16];
    assert_int_equal(inet_pton(af, want, ip), 1);
    assert_memory_equal(ev->addr, ip, af == AF_INET6 ? 16 : 4);
}

/* ---- parsing ---- */

static void parses_addresses_and_routes(void **s)
{
    (void)s;
    struct dg d = { 0 };
    struct got g = { 0 };
    /* a point-to-point address: IFA_LOCAL is ours, IFA_ADDRESS the peer's */
    addr_msg(&d, RTM_NEWADDR, AF_INET, 3, 24, "192.0.2.2", "192.0.2.99");
    addr_msg(&d, RTM_DELADDR, AF_INET6, 4, 64, NULL, "2001:db8::2");
    route_msg(&d, RTM_NEWROUTE, AF_INET, "198.51.100.0", 24, 5, 0);
    route_msg(&d, RTM_DELROUTE, AF_INET6, NULL, 0, 6, 1000); /* a default route in table 1000 */
    struct nlmsghdr done = { .nlmsg_len = sizeof done, .nlmsg_type = NLMSG_DONE };
    put(&d, &done, sizeof done);
    assert_int_equal(rtnl_parse(d.b, d.n, collect, &g), 0);
    assert_int_equal(g.n, 4);
    assert_int_equal(g.ev[0].kind, RTNL_ADDR_NEW);
    assert_int_equal(g.ev[0].family, 4);
    assert_int_equal(g.ev[0].ifindex, 3);
    assert_int_equal(g.ev[0].prefix_len, 24);
    ip_is(&g.ev[0], AF_INET, "192.0.2.2");
    assert_int_equal(g.ev[1].kind, RTNL_ADDR_DEL);
    assert_int_equal(g.ev[1].family, 6);
    ip_is(&g.ev[1], AF_INET6, "2001:db8::2");
    assert_int_equal(g.ev[2].kind, RTNL_ROUTE_NEW);
    assert_int_equal(g.ev[2].ifindex, 5);
    assert_int_equal(g.ev[2].table, RT_TABLE_MAIN);
    ip_is(&g.ev[2], AF_INET, "198.51.100.0");
    assert_int_equal(g.ev[3].kind, RTNL_ROUTE_DEL);
    assert_int_equal(g.ev[3].table, 1000); /* RTA_TABLE over rtm_table */
    assert_int_equal(g.ev[3].prefix_len, 0);
    ip_is(&g.ev[3], AF_INET6, "::");
}

/* other families and message types are skipped, not refused */
static void skips_what_is_not_ours(void **s)
{
    (void)s;
    struct dg d = { 0 };
    struct got g = { 0 };
    struct ifinfomsg li = { .ifi_family = AF_UNSPEC, .ifi_index = 2 };
    msg_begin(&d, RTM_NEWLINK, &li, sizeof li);
    msg_end(&d);
    struct rtmsg m = { .rtm_family = AF_MPLS };
    msg_begin(&d, RTM_NEWROUTE, &m, sizeof m);
    attr(&d, RTA_DST, "\x01\x02\x03", 3); /* what an MPLS label is to us: nothing */
    msg_end(&d);
    assert_int_equal(rtnl_parse(d.b, d.n, collect, &g), 0);
    assert_int_equal(g.n, 0);
}

static int parse_n(const struct dg *d, size_t n, int *events)
{
    struct got g = { 0 };
    int rc = rtnl_parse(d->b, n, collect, &g);
    *events = g.n;
    return rc;
}

/* malformed input: an error, the messages before it delivered, no read past the end */
static void refuses_malformed(void **s)
{
    (void)s;
    struct dg d = { 0 };
    int n;
    route_msg(&d, RTM_NEWROUTE, AF_INET, "198.51.100.0", 24, 5, 0);
    size_t first = d.n;
    /* an IPv4 address of 16 bytes */
    struct ifaddrmsg am = { .ifa_family = AF_INET, .ifa_prefixlen = 24 };
    msg_begin(&d, RTM_NEWADDR, &am, sizeof am);
    attr(&d, IFA_LOCAL, "0123456789abcdef", 16);
    msg_end(&d);
    assert_int_equal(parse_n(&d, d.n, &n), KITE_E_MALFORMED);
    assert_int_equal(n, 1);
    /* a message cut short, and one whose length runs past the datagram */
    assert_int_equal(parse_n(&d, first - 4, &n), KITE_E_MALFORMED);
    assert_int_equal(parse_n(&d, 10, &n), KITE_E_TRUNCATED);
    d.n = 0;
    route_msg(&d, RTM_NEWROUTE, AF_INET, "198.51.100.0", 24, 5, 0);
    /* an attribute whose length runs past its message */
    d.b[sizeof(struct nlmsghdr) + NLMSG_ALIGN(sizeof(struct rtmsg))] = 200;
    assert_int_equal(parse_n(&d, d.n, &n), KITE_E_MALFORMED);
    assert_int_equal(n, 0);
    /* a prefix longer than the family's address */
    d.n = 0;
    route_msg(&d, RTM_NEWROUTE, AF_INET, "198.51.100.0", 33, 5, 0);
    assert_int_equal(parse_n(&d, d.n, &n), KITE_E_MALFORMED);
    /* RTA_OIF of 2 bytes; a fixed header missing */
    d.n = 0;
    struct rtmsg rm = { .rtm_family = AF_INET };
    msg_begin(&d, RTM_DELROUTE, &rm, sizeof rm);
    attr(&d, RTA_OIF, "\x01\x00", 2);
    msg_end(&d);
    assert_int_equal(parse_n(&d, d.n, &n), KITE_E_MALFORMED);
    d.n = 0;
    msg_begin(&d, RTM_DELADDR, "\x02\x18", 2);
    msg_end(&d);
    assert_int_equal(parse_n(&d, d.n, &n), KITE_E_TRUNCATED);
    /* nlmsg_len below the header's own size */
    d.n = 0;
    struct nlmsghdr h = { .nlmsg_len = 4, .nlmsg_type = RTM_NEWADDR };
    put(&d, &h, sizeof h);
    assert_int_equal(parse_n(&d, d.n, &n), KITE_E_MALFORMED);
}

/* ---- the decision ---- */

static struct ike_addr a4(const char *ip, uint16_t port)
{
    struct ike_addr a = { .family = 4, .port = port };
    assert_int_equal(inet_pton(AF_INET, ip, a.ip), 1);
    return a;
}

static void picks_the_routed_source(void **s)
{
    (void)s;
    struct ike_addr cur = a4("192.0.2.2", 4500), to = { 0 };
    struct ike_addr same = a4("192.0.2.2", 41234), other = a4("198.51.100.2", 41234);
    /* the kernel still routes from our address (its ephemeral port is no matter) */
    assert_int_equal(netwatch_pick(&cur, 0, &same, &to), NETWATCH_KEEP);
    /* another source: move there, IKE's port kept */
    assert_int_equal(netwatch_pick(&cur, 0, &other, &to), NETWATCH_MOVE);
    assert_int_equal(to.family, 4);
    assert_memory_equal(to.ip, other.ip, 4);
    assert_int_equal(to.port, 4500);
    /* no route (the address gone and no other way out): stay, wait for one */
    assert_int_equal(netwatch_pick(&cur, -101, &other, &to), NETWATCH_NO_ROUTE);
    /* a lookup of another family is not a move */
    struct ike_addr v6 = { .family = 6 };
    v6.ip[15] = 1;
    assert_int_equal(netwatch_pick(&cur, 0, &v6, &to), NETWATCH_KEEP);
    struct ike_addr cur6 = { .family = 6, .port = 500 }, r6 = v6;
    cur6.ip[15] = 2;
    assert_int_equal(netwatch_pick(&cur6, 0, &r6, &to), NETWATCH_MOVE);
    assert_int_equal(to.port, 500);
}

/* events are debounced: a burst gives one look, 100 ms after its last event
 * but no later than 500 ms after its first; kite's own device and table
 * are not looked at */
static void debounces_and_ignores_our_own(void **s)
{
    (void)s;
    struct netwatch w = { .fd = -1, .tun_ifindex = 7, .table = 220, .debounce_ms = 100, .due = UINT64_MAX };
    struct rtnl_event tun = { .kind = RTNL_ADDR_NEW, .family = 4, .ifindex = 7 };
    struct rtnl_event ours = { .kind = RTNL_ROUTE_NEW, .family = 4, .ifindex = 3, .table = 220 };
    struct rtnl_event real = { .kind = RTNL_ADDR_DEL, .family = 4, .ifindex = 3 };
    netwatch_note(&w, &tun, 1000);
    netwatch_note(&w, &ours, 1000);
    assert_int_equal(netwatch_due(&w), UINT64_MAX);
    assert_int_equal(w.events, 0);
    netwatch_note(&w, &real, 1000);
    assert_int_equal(netwatch_due(&w), 1100);
    netwatch_note(&w, &real, 1050);
    assert_int_equal(netwatch_due(&w), 1150);
    for (uint64_t t = 1100; t <= 1600; t += 50) /* an endless burst */
        netwatch_note(&w, &real, t);
    assert_int_equal(netwatch_due(&w), 1500);
    assert_int_equal(w.events, 13);
}

/* ---- the kernel (root, a private network namespace) ---- */

static bool in_netns;

static void ip4(const char *s, uint8_t out[4])
{
    assert_int_equal(inet_pton(AF_INET, s, out), 1);
}

/* wait for the socket to have something and read it */
static void read_some(struct netwatch *w, uint64_t now)
{
    struct pollfd p = { .fd = w->fd, .events = POLLIN };
    assert_int_equal(poll(&p, 1, 2000), 1);
    netwatch_read(w, now);
}

static void hears_the_kernel_and_routes(void **s)
{
    (void)s;
    if (!in_netns)
        skip();
    struct log_sink log;
    log_sink_init(&log, stderr, 0);
    struct netwatch w = { .fd = -1 };
    assert_int_equal(netwatch_open(&w, &log), 0);
    int lo = (int)if_nametoindex("lo");
    uint8_t a1[4], a2[4], net[4];
    ip4("192.0.2.2", a1);
    ip4("198.51.100.2", a2);
    ip4("203.0.113.0", net);
    assert_int_equal(nl_link_set(lo, 0, true), 0);
    assert_int_equal(nl_addr(true, lo, AF_INET, a1, 32), 0);
    read_some(&w, 1000);
    assert_true(w.events >= 1);
    assert_int_equal(netwatch_due(&w), 1000 + 100);
    /* the route to the peer's network leaves from 192.0.2.2 */
    assert_int_equal(nl_route(true, RT_TABLE_MAIN, lo, AF_INET, net, 24, a1), 0);
    struct ike_addr peer = a4("203.0.113.9", 4500), src = { 0 };
    assert_int_equal(netwatch_route_src(&peer, 0, &src), 0);
    assert_memory_equal(src.ip, a1, 4);
    /* the address replaced: the route (its preferred source gone) and the address go */
    assert_int_equal(nl_addr(true, lo, AF_INET, a2, 32), 0);
    assert_int_equal(nl_addr(false, lo, AF_INET, a1, 32), 0);
    w.due = UINT64_MAX; /* as after the look netwatch_check takes */
    read_some(&w, 2000);
    assert_int_equal(netwatch_due(&w), 2000 + 100);
    peer = a4("203.0.113.9", 4500);
    int rc = netwatch_route_src(&peer, 0, &src);
    assert_true(rc < 0); /* its route went with its source */
    assert_int_equal(nl_route(true, RT_TABLE_MAIN, lo, AF_INET, net, 24, a2), 0);
    assert_int_equal(netwatch_route_src(&peer, 0, &src), 0);
    assert_memory_equal(src.ip, a2, 4);
    netwatch_close(&w);
    assert_int_equal(w.fd, -1);
}

int main(void)
{
    in_netns = geteuid() == 0 && unshare(CLONE_NEWNET) == 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_addresses_and_routes), cmocka_unit_test(skips_what_is_not_ours),
        cmocka_unit_test(refuses_malformed),           cmocka_unit_test(picks_the_routed_source),
        cmocka_unit_test(debounces_and_ignores_our_own), cmocka_unit_test(hears_the_kernel_and_routes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
