#include "io/netlink.h"
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "base/rd.h"

#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

#define REQ_CAP 256
#define ACK_CAP 8192
#define ACK_TIMEOUT_S 5

/* one request under construction: the header, the family's fixed header,
 * then attributes, all within buf */
struct req {
    union {
        struct nlmsghdr h;
        uint8_t buf[REQ_CAP];
    } u;
};

/* the socket is private to one request, so one sequence number will do */
#define REQ_SEQ 1

static void *req_init(struct req *r, uint16_t type, uint16_t flags, size_t fixed)
{
    memset(r, 0, sizeof *r);
    r->u.h.nlmsg_len = (uint32_t)NLMSG_LENGTH(fixed);
    r->u.h.nlmsg_type = type;
    r->u.h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
    return NLMSG_DATA(&r->u.h);
}

static int put_attr(struct req *r, uint16_t type, const void *data, size_t len)
{
    size_t off = NLMSG_ALIGN(r->u.h.nlmsg_len);
    if (len > 0xffff - RTA_LENGTH(0) || off + RTA_SPACE(len) > sizeof r->u.buf)
        return -EMSGSIZE;
    struct rtattr a = { .rta_len = (unsigned short)RTA_LENGTH(len), .rta_type = type };
    memcpy(r->u.buf + off, &a, sizeof a);
    memcpy(r->u.buf + off + RTA_LENGTH(0), data, len);
    r->u.h.nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
    return 0;
}

static int put_u32(struct req *r, uint16_t type, uint32_t v)
{
    return put_attr(r, type, &v, sizeof v);
}

static int open_socket(void)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -errno;
    struct sockaddr_nl local = { .nl_family = AF_NETLINK };
    struct timeval tv = { .tv_sec = ACK_TIMEOUT_S };
    int one = 1;
    if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    /* the ack need not echo our request back; older kernels just echo it */
    (void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
    return fd;
}

/* look through one datagram from the kernel for the ack to seq: 1 and *err set
 * when found, 0 when not there, -EBADMSG when malformed */
static int find_ack(const uint8_t *p, size_t n, uint32_t seq, int *err)
{
    struct rd r;
    rd_init(&r, p, n);
    while (rd_left(&r) > 0) {
        struct nlmsghdr h;
        struct rd body;
        if (rd_copy(&r, &h, sizeof h) || h.nlmsg_len < sizeof h ||
            rd_sub(&r, h.nlmsg_len - sizeof h, &body))
            return -EBADMSG;
        size_t pad = NLMSG_ALIGN(h.nlmsg_len) - h.nlmsg_len; /* the last may go without */
        rd_skip(&r, pad < rd_left(&r) ? pad : rd_left(&r));
        if (h.nlmsg_seq != seq || h.nlmsg_type != NLMSG_ERROR)
            continue;
        int e;
        if (rd_copy(&body, &e, sizeof e))
            return -EBADMSG;
        *err = (e <= 0 && e >= -4095) ? e : -EPROTO;
        return 1;
    }
    return 0;
}

static int read_ack(int fd, uint32_t seq)
{
    uint8_t buf[ACK_CAP];
    for (;;) {
        struct sockaddr_nl from;
        socklen_t flen = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_TRUNC, (struct sockaddr *)&from, &flen);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN ? -ETIMEDOUT : -errno;
        if ((size_t)n > sizeof buf)
            return -EMSGSIZE;
        if (flen < sizeof from || from.nl_family != AF_NETLINK || from.nl_pid != 0)
            continue; /* not from the kernel */
        int err = 0;
        int rc = find_ack(buf, (size_t)n, seq, &err);
        if (rc < 0)
            return rc;
        if (rc == 1)
            return err;
    }
}

static int transact(struct req *r)
{
    int fd = open_socket();
    if (fd < 0)
        return fd;
    r->u.h.nlmsg_seq = REQ_SEQ;
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    int rc;
    ssize_t n;
    do
        n = sendto(fd, r->u.buf, r->u.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        rc = -errno;
    else if ((size_t)n != r->u.h.nlmsg_len)
        rc = -EIO;
    else
        rc = read_ack(fd, REQ_SEQ);
    close(fd);
    return rc;
}

static int addr_len(int family)
{
    return family == AF_INET ? 4 : family == AF_INET6 ? 16 : -EINVAL;
}

static bool prefix_ok(int family, int prefix_len)
{
    return prefix_len >= 0 && prefix_len <= addr_len(family) * 8;
}

int nl_link_set(int ifindex, int mtu, bool up)
{
    if (ifindex <= 0 || mtu < 0)
        return -EINVAL;
    struct req r;
    struct ifinfomsg *ifi = req_init(&r, RTM_NEWLINK, 0, sizeof *ifi);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = ifindex;
    ifi->ifi_flags = up ? IFF_UP : 0;
    ifi->ifi_change = IFF_UP;
    if (mtu > 0 && put_u32(&r, IFLA_MTU, (uint32_t)mtu))
        return -EMSGSIZE;
    return transact(&r);
}

int nl_addr(bool add, int ifindex, int family, const uint8_t *addr, int prefix_len)
{
    int alen = addr_len(family);
    if (alen < 0 || ifindex <= 0 || !addr || !prefix_ok(family, prefix_len))
        return -EINVAL;
    struct req r;
    struct ifaddrmsg *ifa = req_init(&r, add ? RTM_NEWADDR : RTM_DELADDR,
                                     add ? NLM_F_CREATE | NLM_F_REPLACE : 0, sizeof *ifa);
    ifa->ifa_family = (uint8_t)family;
    ifa->ifa_prefixlen = (uint8_t)prefix_len;
    ifa->ifa_flags = family == AF_INET6 ? IFA_F_NODAD : 0;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = (uint32_t)ifindex;
    if (put_attr(&r, IFA_LOCAL, addr, (size_t)alen) ||
        put_attr(&r, IFA_ADDRESS, addr, (size_t)alen))
        return -EMSGSIZE;
    return transact(&r);
}

int nl_route(bool add, int table, int ifindex, int family, const uint8_t *dst, int prefix_len,
             const uint8_t *prefsrc)
{
    int alen = addr_len(family);
    if (alen < 0 || table <= 0 || ifindex <= 0 || !dst || !prefix_ok(family, prefix_len))
        return -EINVAL;
    struct req r;
    struct rtmsg *rtm = req_init(&r, add ? RTM_NEWROUTE : RTM_DELROUTE,
                                 add ? NLM_F_CREATE | NLM_F_REPLACE : 0, sizeof *rtm);
    rtm->rtm_family = (uint8_t)family;
    rtm->rtm_dst_len = (uint8_t)prefix_len;
    rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
    rtm->rtm_protocol = RTPROT_STATIC;
    rtm->rtm_scope = RT_SCOPE_LINK;
    rtm->rtm_type = RTN_UNICAST;
    int rc = 0;
    if (prefix_len > 0)
        rc = put_attr(&r, RTA_DST, dst, (size_t)alen);
    if (!rc && table > 255)
        rc = put_u32(&r, RTA_TABLE, (uint32_t)table);
    if (!rc)
        rc = put_u32(&r, RTA_OIF, (uint32_t)ifindex);
    if (!rc && prefsrc)
        rc = put_attr(&r, RTA_PREFSRC, prefsrc, (size_t)alen);
    return rc ? rc : transact(&r);
}

int nl_rule(bool add, int family, uint32_t priority, uint32_t table, uint32_t fwmark, bool invert)
{
    if (addr_len(family) < 0 || table == 0)
        return -EINVAL;
    struct req r;
    struct fib_rule_hdr *frh = req_init(&r, add ? RTM_NEWRULE : RTM_DELRULE,
                                        add ? NLM_F_CREATE | NLM_F_EXCL : 0, sizeof *frh);
    frh->family = (uint8_t)family;
    frh->table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
    frh->action = FR_ACT_TO_TBL;
    frh->flags = invert ? FIB_RULE_INVERT : 0;
    int rc = put_u32(&r, FRA_PRIORITY, priority);
    if (!rc)
        rc = put_u32(&r, FRA_TABLE, table);
    if (!rc && fwmark) {
        rc = put_u32(&r, FRA_FWMARK, fwmark);
        if (!rc)
            rc = put_u32(&r, FRA_FWMASK, 0xffffffffu);
    }
    return rc ? rc : transact(&r);
}
