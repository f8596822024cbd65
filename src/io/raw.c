/* raw: ESP on raw IP sockets. */
#include "io/raw.h"
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "base/rd.h"

int raw_open(struct raw_sock *s, int family, uint32_t mark)
{
    s->family = family;
    s->fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ESP);
    if (s->fd < 0)
        return -errno;
    /* bursts of a TCP window arrive faster than one read loop drains them;
     * a full queue drops, and the kernel answers the drop with ICMP
     * "protocol unreachable" */
    int big = RAW_RCVBUF;
    if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) < 0)
        setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    int on = 1;
    setsockopt(s->fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on);
    if ((family == AF_INET6 && setsockopt(s->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on) < 0) ||
        (mark && setsockopt(s->fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) < 0)) {
        int rc = -errno;
        raw_close(s);
        return rc;
    }
    return 0;
}

void raw_close(struct raw_sock *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

int raw_recv(struct raw_sock *s, uint8_t *buf, size_t cap, size_t at, struct raw_pkt *p)
{
    struct sockaddr_storage from;
    union {
        char b[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(uint32_t))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { buf + at, cap - at };
    struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = ctl.b, .msg_controllen = sizeof ctl.b };
    ssize_t n = recvmsg(s->fd, &mh, 0);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
    memset(p, 0, sizeof *p);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL)
            memcpy(&s->drops, CMSG_DATA(c), sizeof s->drops);
    if (s->family == AF_INET) {
        struct rd r;
        uint8_t vihl;
        rd_init(&r, buf + at, (size_t)n);
        rd_u8(&r, &vihl);
        rd_skip(&r, 11);
        rd_copy(&r, p->src, 4);
        rd_copy(&r, p->dst, 4);
        size_t hl = (size_t)(vihl & 15) * 4;
        if (r.err || vihl >> 4 != 4 || hl < 20 || hl > (size_t)n)
            return 1; /* len 0: malformed */
        p->family = 4;
        p->off = at + hl;
        p->len = (size_t)n - hl;
        return 1;
    }
    p->family = 6;
    memcpy(p->src, &((struct sockaddr_in6 *)&from)->sin6_addr, 16);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof pi);
            memcpy(p->dst, &pi.ipi6_addr, 16);
        }
    p->off = at;
    p->len = (size_t)n;
    return 1;
}

enum { RAW_BATCH_MAX = 64 };

int raw_recv_batch(struct raw_sock *s, uint8_t *const *bufs, size_t cap, size_t at, struct raw_pkt *p, int max)
{
    union ctl {
        char b[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(uint32_t))];
        struct cmsghdr align;
    };
    static __thread union ctl ctl[RAW_BATCH_MAX];
    static __thread struct sockaddr_storage from[RAW_BATCH_MAX];
    struct mmsghdr mm[RAW_BATCH_MAX];
    struct iovec iov[RAW_BATCH_MAX];
    if (max > RAW_BATCH_MAX)
        max = RAW_BATCH_MAX;
    for (int i = 0; i < max; i++) {
        iov[i] = (struct iovec){ bufs[i] + at, cap - at };
        mm[i].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof from[i], .msg_iov = &iov[i],
                                         .msg_iovlen = 1, .msg_control = ctl[i].b,
                                         .msg_controllen = sizeof ctl[i].b };
        mm[i].msg_len = 0;
    }
    int n = recvmmsg(s->fd, mm, (unsigned)max, MSG_DONTWAIT, NULL);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
    for (int i = 0; i < n; i++) {
        struct msghdr *mh = &mm[i].msg_hdr;
        uint8_t *buf = bufs[i];
        size_t len = mm[i].msg_len;
        memset(&p[i], 0, sizeof p[i]);
        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL)
                memcpy(&s->drops, CMSG_DATA(c), sizeof s->drops);
            if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
                struct in6_pktinfo pi;
                memcpy(&pi, CMSG_DATA(c), sizeof pi);
                memcpy(p[i].dst, &pi.ipi6_addr, 16);
            }
        }
        if (mh->msg_flags & MSG_TRUNC)
            continue; /* len 0: too large for the buffer */
        if (s->family == AF_INET) {
            struct rd r;
            uint8_t vihl = 0;
            rd_init(&r, buf + at, len);
            rd_u8(&r, &vihl);
            rd_skip(&r, 11);
            rd_copy(&r, p[i].src, 4);
            rd_copy(&r, p[i].dst, 4);
            size_t hl = (size_t)(vihl & 15) * 4;
            if (r.err || vihl >> 4 != 4 || hl < 20 || hl > len)
                continue;
            p[i].family = 4;
            p[i].off = at + hl;
            p[i].len = len - hl;
        } else {
            p[i].family = 6;
            memcpy(p[i].src, &((struct sockaddr_in6 *)&from[i])->sin6_addr, 16);
            p[i].off = at;
            p[i].len = len;
        }
    }
    return n;
}

int raw_send(struct raw_sock *s, const uint8_t *dst, const uint8_t *p, size_t n)
{
    struct sockaddr_storage to;
    socklen_t tl;
    memset(&to, 0, sizeof to);
    if (s->family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&to;
        in->sin_family = AF_INET;
        memcpy(&in->sin_addr, dst, 4);
        tl = sizeof *in;
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&to;
        in6->sin6_family = AF_INET6;
        memcpy(&in6->sin6_addr, dst, 16);
        tl = sizeof *in6;
    }
    return sendto(s->fd, p, n, 0, (struct sockaddr *)&to, tl) < 0 ? -errno : 0;
}
