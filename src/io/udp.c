#include "io/udp.h"
#include "ike/ike.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int set_opts(int fd, int family)
{
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
        return -errno;
    /* the NAT-T socket carries UDP-encapsulated ESP: room for bursts (as root;
     * otherwise the system's limit) */
    int big = 8 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    if (family == AF_INET)
        return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0 ? -errno : 0;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0)
        return -errno;
    return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one) < 0 ? -errno : 0;
}

static int make_bind_addr(struct sockaddr_storage *ss, socklen_t *len, int family,
                          const char *addr, uint16_t port)
{
    memset(ss, 0, sizeof *ss);
    if (family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        if (addr && inet_pton(AF_INET, addr, &in->sin_addr) != 1)
            return -EINVAL;
        *len = sizeof *in;
        return 0;
    }
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    if (addr && inet_pton(AF_INET6, addr, &in6->sin6_addr) != 1)
        return -EINVAL;
    *len = sizeof *in6;
    return 0;
}

int udp_open(struct udp_sock *s, int family, const char *bind_addr, uint16_t port, bool natt)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int rc = make_bind_addr(&ss, &len, family, bind_addr, port);
    s->fd = -1;
    if (rc)
        return rc;
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    rc = set_opts(fd, family);
    if (!rc && bind(fd, (struct sockaddr *)&ss, len) < 0)
        rc = -errno;
    if (!rc && getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        rc = -errno;
    if (rc) {
        close(fd);
        return rc;
    }
    s->fd = fd;
    s->family = family;
    s->port = udp_addr_port(&ss);
    s->natt = natt;
    return 0;
}

void udp_close(struct udp_sock *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

enum udp_kind udp_classify(const uint8_t *p, size_t n, bool natt)
{
    if (!natt)
        return UDP_IKE;
    if (n == 1 && p[0] == 0xff)
        return UDP_KEEPALIVE;
    if (n < 4)
        return UDP_INVALID;
    if (p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 0)
        return UDP_IKE;
    return UDP_ESP;
}

/* the destination address of the datagram, from its PKTINFO control message */
static void local_from_cmsg(struct msghdr *mh, struct udp_sock *s, struct sockaddr_storage *local)
{
    memset(local, 0, sizeof *local);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof pi);
            struct sockaddr_in *in = (struct sockaddr_in *)local;
            in->sin_family = AF_INET;
            in->sin_addr = pi.ipi_addr;
            in->sin_port = htons(s->port);
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof pi);
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)local;
            in6->sin6_family = AF_INET6;
            in6->sin6_addr = pi.ipi6_addr;
            in6->sin6_port = htons(s->port);
        }
    }
}

/* the segment size of a GRO read (0: a single datagram) */
static size_t gro_size(struct msghdr *mh)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
        if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
            int v;
            memcpy(&v, CMSG_DATA(c), sizeof v);
            return v > 0 ? (size_t)v : 0;
        }
    return 0;
}

int udp_recv(struct udp_sock *s, uint8_t *buf, size_t cap, struct udp_dgram *d)
{
    union {
        char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo)) +
                 CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { buf, cap };
    struct msghdr mh = { .msg_name = &d->remote, .msg_namelen = sizeof d->remote,
                         .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
    ssize_t n = recvmsg(s->fd, &mh, MSG_DONTWAIT);
    if (n < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
    local_from_cmsg(&mh, s, &d->local);
    size_t seg = gro_size(&mh);
    d->next = buf;
    d->left = (size_t)n;
    d->seg = seg && seg < (size_t)n ? seg : (size_t)n;
    if (!udp_next(s, d))
        *d = (struct udp_dgram){ .local = d->local, .remote = d->remote, .kind = UDP_INVALID, .data = buf };
    if (mh.msg_flags & MSG_TRUNC) {
        d->kind = UDP_INVALID;
        d->left = 0;
    }
    return 1;
}

bool udp_next(const struct udp_sock *s, struct udp_dgram *d)
{
    if (!d->left)
        return false;
    size_t n = d->left < d->seg ? d->left : d->seg;
    uint8_t *p = d->next;
    d->next += n;
    d->left -= n;
    d->kind = udp_classify(p, n, s->natt);
    size_t skip = (s->natt && d->kind == UDP_IKE) ? 4 : 0;
    d->data = p + skip;
    d->len = n - skip;
    return true;
}

int udp_enable_gro(struct udp_sock *s)
{
    int one = 1;
    if (setsockopt(s->fd, SOL_UDP, UDP_GRO, &one, sizeof one) < 0)
        return -errno;
    s->gro = true;
    return 0;
}

/* a PKTINFO control message choosing the source address */
static size_t source_cmsg(struct msghdr *mh, char *ctl, size_t cap, const struct sockaddr_storage *local)
{
    if (!local || local->ss_family == 0)
        return 0;
    mh->msg_control = ctl;
    mh->msg_controllen = cap;
    struct cmsghdr *c = CMSG_FIRSTHDR(mh);
    memset(ctl, 0, cap);
    if (local->ss_family == AF_INET) {
        struct in_pktinfo pi = { 0 };
        pi.ipi_spec_dst = ((const struct sockaddr_in *)local)->sin_addr;
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof pi);
        memcpy(CMSG_DATA(c), &pi, sizeof pi);
        return mh->msg_controllen = CMSG_SPACE(sizeof pi);
    }
    struct in6_pktinfo pi6 = { 0 };
    pi6.ipi6_addr = ((const struct sockaddr_in6 *)local)->sin6_addr;
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof pi6);
    memcpy(CMSG_DATA(c), &pi6, sizeof pi6);
    return mh->msg_controllen = CMSG_SPACE(sizeof pi6);
}

int udp_send(struct udp_sock *s, const struct sockaddr_storage *local,
             const struct sockaddr_storage *remote, const uint8_t *p, size_t n, bool with_marker)
{
    static const uint8_t marker[4] = { 0, 0, 0, 0 };
    union {
        char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov[2] = { { (void *)marker, 4 }, { (void *)p, n } };
    struct msghdr mh = { .msg_name = (void *)remote,
                         .msg_namelen = remote->ss_family == AF_INET ? sizeof(struct sockaddr_in)
                                                                     : sizeof(struct sockaddr_in6),
                         .msg_iov = with_marker ? iov : iov + 1, .msg_iovlen = with_marker ? 2 : 1 };
    source_cmsg(&mh, ctl.buf, sizeof ctl.buf, local);
    return sendmsg(s->fd, &mh, 0) < 0 ? -errno : 0;
}

uint16_t udp_addr_port(const struct sockaddr_storage *a)
{
    if (a->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)a)->sin_port);
    if (a->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
    return 0;
}

const char *udp_addr_str(const struct sockaddr_storage *a, char *buf, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (a->ss_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)a)->sin_addr, ip, sizeof ip);
    else if (a->ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)a)->sin6_addr, ip, sizeof ip);
    snprintf(buf, cap, "%s[%u]", ip, udp_addr_port(a));
    return buf;
}

/* between the sockets' addresses and the engine's */
void udp_addr_to_ike(const struct sockaddr_storage *ss, struct ike_addr *a)
{
    memset(a, 0, sizeof *a);
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        a->family = 4;
        memcpy(a->ip, &in->sin_addr, 4);
        a->port = ntohs(in->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        a->family = 6;
        memcpy(a->ip, &in6->sin6_addr, 16);
        a->port = ntohs(in6->sin6_port);
    }
}

void udp_addr_from_ike(const struct ike_addr *a, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (a->family == 4) {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        in->sin_family = AF_INET;
        memcpy(&in->sin_addr, a->ip, 4);
        in->sin_port = htons(a->port);
    } else if (a->family == 6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
        in6->sin6_family = AF_INET6;
        memcpy(&in6->sin6_addr, a->ip, 16);
        in6->sin6_port = htons(a->port);
    }
}
