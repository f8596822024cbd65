/* io/tun and io/netlink: a TUN device wired up with rtnetlink (link, address,
 * route, rule) inside a private network namespace.  Needs root: without it,
 * or without unshare(CLONE_NEWNET), every test is skipped.  What the kernel
 * holds is read back with a dump of our own (RTM_GETROUTE, RTM_GETRULE). */
#include "testutil.h"
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "io/netlink.h"
#include "io/tun.h"

static bool in_netns;

#define TABLE 220
#define MARK 0x4b1

/* ---- reading the kernel's tables back ---- */

struct want_route {
    int family, table, oif, dst_len;
    uint8_t dst[16];
    const uint8_t *prefsrc; /* NULL: not checked */
};

struct want_rule {
    int family;
    uint32_t priority, table, fwmark;
    bool invert;
};

typedef bool match_fn(const struct nlmsghdr *h, const void *want);

/* dump (type, family) and count the entries match() accepts */
static int dump_count(uint16_t type, int family, match_fn *match, const void *want)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    assert_true(fd >= 0);
    struct {
        struct nlmsghdr h;
        struct rtmsg m; /* struct fib_rule_hdr has the same size and family first */
    } req;
    memset(&req, 0, sizeof req);
    req.h.nlmsg_len = sizeof req;
    req.h.nlmsg_type = type;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.h.nlmsg_seq = 7;
    req.m.rtm_family = (uint8_t)family;
    assert_int_equal(send(fd, &req, sizeof req, 0), (ssize_t)sizeof req);
    static uint8_t buf[65536] __attribute__((aligned(4)));
    int count = 0;
    for (bool done = false; !done;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        assert_true(n > 0);
        int left = (int)n;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left);
             h = NLMSG_NEXT(h, left)) {
            if (h->nlmsg_type == NLMSG_DONE) {
                done = true;
                break;
            }
            assert_int_not_equal(h->nlmsg_type, NLMSG_ERROR);
            if (h->nlmsg_type == type - 2 /* RTM_NEWROUTE / RTM_NEWRULE */ && match(h, want))
                count++;
        }
    }
    close(fd);
    return count;
}

static bool route_match(const struct nlmsghdr *h, const void *arg)
{
    const struct want_route *w = arg;
    const struct rtmsg *m = NLMSG_DATA(h);
    if (h->nlmsg_len < NLMSG_LENGTH(sizeof *m) || m->rtm_family != w->family ||
        m->rtm_dst_len != w->dst_len || m->rtm_protocol != RTPROT_STATIC ||
        (w->family == AF_INET && m->rtm_scope != RT_SCOPE_LINK)) /* IPv6 has no route scope */
        return false;
    size_t alen = w->family == AF_INET ? 4 : 16;
    int table = m->rtm_table, oif = 0;
    bool dst_ok = w->dst_len == 0, src_ok = w->prefsrc == NULL;
    int len = (int)RTM_PAYLOAD(h);
    for (const struct rtattr *a = RTM_RTA(m); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        size_t n = RTA_PAYLOAD(a);
        if (a->rta_type == RTA_TABLE && n == 4)
            memcpy(&table, RTA_DATA(a), 4);
        else if (a->rta_type == RTA_OIF && n == 4)
            memcpy(&oif, RTA_DATA(a), 4);
        else if (a->rta_type == RTA_DST && n == alen)
            dst_ok = memcmp(RTA_DATA(a), w->dst, alen) == 0;
        else if (a->rta_type == RTA_PREFSRC && n == alen && w->prefsrc)
            src_ok = memcmp(RTA_DATA(a), w->prefsrc, alen) == 0;
    }
    return table == w->table && oif == w->oif && dst_ok && src_ok;
}

static bool rule_match(const struct nlmsghdr *h, const void *arg)
{
    const struct want_rule *w = arg;
    const struct fib_rule_hdr *f = NLMSG_DATA(h);
    if (h->nlmsg_len < NLMSG_LENGTH(sizeof *f) || f->family != w->family ||
        f->action != FR_ACT_TO_TBL || !(f->flags & FIB_RULE_INVERT) != !w->invert)
        return false;
    uint32_t prio = 0, table = f->table, mark = 0, mask = 0;
    int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *f));
    for (const struct rtattr *a = (const struct rtattr *)((const uint8_t *)f + NLMSG_ALIGN(sizeof *f));
         RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        if (RTA_PAYLOAD(a) != 4)
            continue;
        uint32_t v;
        memcpy(&v, RTA_DATA(a), 4);
        if (a->rta_type == FRA_PRIORITY)
            prio = v;
        else if (a->rta_type == FRA_TABLE)
            table = v;
        else if (a->rta_type == FRA_FWMARK)
            mark = v;
        else if (a->rta_type == FRA_FWMASK)
            mask = v;
    }
    return prio == w->priority && table == w->table && mark == w->fwmark &&
           (w->fwmark == 0 || mask == 0xffffffffu);
}

static int ifreq_get(const char *name, unsigned long req, struct ifreq *ifr)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(s >= 0);
    memset(ifr, 0, sizeof *ifr);
    snprintf(ifr->ifr_name, sizeof ifr->ifr_name, "%s", name);
    int rc = ioctl(s, req, ifr);
    close(s);
    return rc;
}

/* a fresh TUN "kitet%d", MTU 1400, up */
static int tun_up(char name[TUN_NAME_MAX], int *ifindex)
{
    int fd = tun_open("kitet%d", name, ifindex);
    assert_true(fd >= 0);
    assert_true(*ifindex > 0);
    assert_int_equal(strncmp(name, "kitet", 5), 0);
    assert_int_equal(nl_link_set(*ifindex, 1400, true), 0);
    return fd;
}

static void ip(int family, const char *text, uint8_t out[16])
{
    memset(out, 0, 16);
    assert_int_equal(inet_pton(family, text, out), 1);
}

/* ---- the tests ---- */

static void link_mtu_and_state(void **st)
{
    (void)st;
    if (!in_netns)
        skip();
    char name[TUN_NAME_MAX];
    int idx;
    int fd = tun_up(name, &idx);
    struct ifreq ifr;
    assert_int_equal(ifreq_get(name, SIOCGIFMTU, &ifr), 0);
    assert_int_equal(ifr.ifr_mtu, 1400);
    assert_int_equal(ifreq_get(name, SIOCGIFFLAGS, &ifr), 0);
    assert_true(ifr.ifr_flags & IFF_UP);

    /* mtu 0 leaves the MTU alone; down clears IFF_UP */
    assert_int_equal(nl_link_set(idx, 0, false), 0);
    assert_int_equal(ifreq_get(name, SIOCGIFMTU, &ifr), 0);
    assert_int_equal(ifr.ifr_mtu, 1400);
    assert_int_equal(ifreq_get(name, SIOCGIFFLAGS, &ifr), 0);
    assert_false(ifr.ifr_flags & IFF_UP);

    /* an exact name; then the same name again is busy */
    char exact[TUN_NAME_MAX];
    int idx2;
    int fd2 = tun_open("kitex0", exact, &idx2);
    assert_true(fd2 >= 0);
    assert_string_equal(exact, "kitex0");
    assert_int_equal(idx2, (int)if_nametoindex("kitex0"));
    assert_int_equal(tun_open("kitex0", exact, NULL), -EBUSY);
    close(fd2);
    close(fd);
}

static void addresses_and_routes(void **st)
{
    (void)st;
    if (!in_netns)
        skip();
    char name[TUN_NAME_MAX];
    int idx;
    int fd = tun_up(name, &idx);
    uint8_t a4[16], a6[16];
    ip(AF_INET, "10.9.0.1", a4);
    ip(AF_INET6, "fd00::1", a6);
    assert_int_equal(nl_addr(true, idx, AF_INET, a4, 32), 0);
    assert_int_equal(nl_addr(true, idx, AF_INET6, a6, 128), 0);
    assert_int_equal(nl_addr(true, idx, AF_INET, a4, 32), 0); /* replace: idempotent */

    struct want_route r1 = { AF_INET, TABLE, idx, 16, { 0 }, a4 };
    struct want_route r2 = { AF_INET6, TABLE, idx, 48, { 0 }, NULL };
    struct want_route r3 = { AF_INET, RT_TABLE_MAIN, idx, 24, { 0 }, NULL };
    ip(AF_INET, "10.8.0.0", r1.dst);
    ip(AF_INET6, "fd00:8::", r2.dst);
    ip(AF_INET, "10.7.0.0", r3.dst);
    const struct want_route *all[] = { &r1, &r2, &r3 };
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(dump_count(RTM_GETROUTE, all[i]->family, route_match, all[i]), 0);

    assert_int_equal(nl_route(true, TABLE, idx, AF_INET, r1.dst, 16, a4), 0);
    assert_int_equal(nl_route(true, TABLE, idx, AF_INET6, r2.dst, 48, NULL), 0);
    assert_int_equal(nl_route(true, RT_TABLE_MAIN, idx, AF_INET, r3.dst, 24, NULL), 0);
    assert_int_equal(nl_route(true, TABLE, idx, AF_INET, r1.dst, 16, a4), 0); /* replace */
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(dump_count(RTM_GETROUTE, all[i]->family, route_match, all[i]), 1);

    assert_int_equal(nl_route(false, TABLE, idx, AF_INET, r1.dst, 16, a4), 0);
    assert_int_equal(nl_route(false, TABLE, idx, AF_INET6, r2.dst, 48, NULL), 0);
    assert_int_equal(nl_route(false, RT_TABLE_MAIN, idx, AF_INET, r3.dst, 24, NULL), 0);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(dump_count(RTM_GETROUTE, all[i]->family, route_match, all[i]), 0);
    /* deleting what is not there: the kernel's errno comes back */
    assert_int_equal(nl_route(false, TABLE, idx, AF_INET, r1.dst, 16, NULL), -ESRCH);

    /* a table above 255 goes in RTA_TABLE */
    struct want_route r4 = { AF_INET, 1000, idx, 24, { 0 }, NULL };
    ip(AF_INET, "10.6.0.0", r4.dst);
    assert_int_equal(nl_route(true, 1000, idx, AF_INET, r4.dst, 24, NULL), 0);
    assert_int_equal(dump_count(RTM_GETROUTE, AF_INET, route_match, &r4), 1);
    assert_int_equal(nl_route(false, 1000, idx, AF_INET, r4.dst, 24, NULL), 0);
    assert_int_equal(dump_count(RTM_GETROUTE, AF_INET, route_match, &r4), 0);

    assert_int_equal(nl_addr(false, idx, AF_INET, a4, 32), 0);
    assert_int_equal(nl_addr(false, idx, AF_INET6, a6, 128), 0);
    assert_true(nl_addr(false, idx, AF_INET, a4, 32) < 0);
    close(fd);
}

static void rules(void **st)
{
    (void)st;
    if (!in_netns)
        skip();
    const int fams[] = { AF_INET, AF_INET6 };
    for (size_t i = 0; i < 2; i++) {
        struct want_rule w = { fams[i], 220, TABLE, MARK, true };
        assert_int_equal(dump_count(RTM_GETRULE, w.family, rule_match, &w), 0);
        assert_int_equal(nl_rule(true, w.family, 220, TABLE, MARK, true), 0);
        assert_int_equal(dump_count(RTM_GETRULE, w.family, rule_match, &w), 1);
        assert_int_equal(nl_rule(true, w.family, 220, TABLE, MARK, true), -EEXIST);
        assert_int_equal(dump_count(RTM_GETRULE, w.family, rule_match, &w), 1);
        assert_int_equal(nl_rule(false, w.family, 220, TABLE, MARK, true), 0);
        assert_int_equal(dump_count(RTM_GETRULE, w.family, rule_match, &w), 0);
        assert_int_equal(nl_rule(false, w.family, 220, TABLE, MARK, true), -ENOENT);

        /* no fwmark match, not inverted */
        struct want_rule plain = { fams[i], 221, TABLE, 0, false };
        assert_int_equal(nl_rule(true, w.family, 221, TABLE, 0, false), 0);
        assert_int_equal(dump_count(RTM_GETRULE, w.family, rule_match, &plain), 1);
        assert_int_equal(nl_rule(false, w.family, 221, TABLE, 0, false), 0);
        assert_int_equal(dump_count(RTM_GETRULE, w.family, rule_match, &plain), 0);
    }
}

static uint16_t csum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static void tun_takes_ipv4_packet(void **st)
{
    (void)st;
    if (!in_netns)
        skip();
    char name[TUN_NAME_MAX];
    int idx;
    int fd = tun_up(name, &idx);
    uint8_t a4[16];
    ip(AF_INET, "10.9.0.1", a4);
    assert_int_equal(nl_addr(true, idx, AF_INET, a4, 32), 0);
    /* IPv4 + UDP 10.8.0.5:4000 -> 10.9.0.1:9, UDP checksum 0 (none) */
    uint8_t pkt[20 + 8 + 4] = {
        0x45, 0, 0, sizeof pkt, 0x12, 0x34, 0x40, 0, 64, 17, 0, 0,
        10, 8, 0, 5, 10, 9, 0, 1,
        0x0f, 0xa0, 0, 9, 0, 12, 0, 0, 'k', 'i', 't', 'e',
    };
    uint16_t c = csum(pkt, 20);
    pkt[10] = (uint8_t)(c >> 8);
    pkt[11] = (uint8_t)c;
    assert_int_equal(write(fd, pkt, sizeof pkt), (ssize_t)sizeof pkt);
    close(fd);
}

static void errors_are_reported(void **st)
{
    (void)st;
    if (!in_netns)
        skip();
    uint8_t dst[16];
    ip(AF_INET, "10.5.0.0", dst);
    int rc = nl_route(true, TABLE, 999999, AF_INET, dst, 24, NULL);
    assert_true(rc < 0);
    assert_int_equal(rc, -ENODEV);
    /* refused before anything is sent */
    assert_int_equal(nl_addr(true, 1, 99, dst, 24), -EINVAL);
    assert_int_equal(nl_addr(true, 1, AF_INET, dst, 33), -EINVAL);
    assert_int_equal(nl_addr(true, 1, AF_INET, NULL, 24), -EINVAL);
    assert_int_equal(nl_route(true, TABLE, 1, 99, dst, 24, NULL), -EINVAL);
    assert_int_equal(nl_route(true, 0, 1, AF_INET, dst, 24, NULL), -EINVAL);
    assert_int_equal(nl_rule(true, 99, 220, TABLE, MARK, true), -EINVAL);
    assert_int_equal(nl_link_set(0, 1400, true), -EINVAL);
    assert_int_equal(nl_link_set(999999, 1400, true), -ENODEV);
    char name[TUN_NAME_MAX];
    assert_int_equal(tun_open("a-name-far-too-long", name, NULL), -EINVAL);
    assert_int_equal(tun_open("", name, NULL), -EINVAL);
}

int main(void)
{
    in_netns = geteuid() == 0 && unshare(CLONE_NEWNET) == 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(link_mtu_and_state),
        cmocka_unit_test(addresses_and_routes),
        cmocka_unit_test(rules),
        cmocka_unit_test(tun_takes_ipv4_packet),
        cmocka_unit_test(errors_are_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
