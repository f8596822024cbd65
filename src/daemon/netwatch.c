/* netwatch: kited follows its own address changes (netwatch.h).  Only the
 * original initiator of a MOBIKE IKE SA moves it (RFC 4555 3.1); a responder
 * waits to be told.  Reading the socket does no more than note that
 * something changed: deleting an address brings a burst (the address, its
 * prefix route, the local routes), and the look at the routes is done once
 * it settles. */
#include "daemon/netwatch.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "base/err.h"
#include "io/udp.h"

enum { NETWATCH_DEBOUNCE_MS = 100, NETWATCH_RCVBUF = 1 << 20, NETWATCH_READ_BUDGET = 64 };

int netwatch_open(struct netwatch *w, struct log_sink *log)
{
    w->log = log;
    w->due = UINT64_MAX;
    w->debounce_ms = w->debounce_ms ? w->debounce_ms : NETWATCH_DEBOUNCE_MS;
    w->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (w->fd < 0)
        return -errno;
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
                              .nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE |
                                           RTMGRP_IPV6_ROUTE };
    int rcvbuf = NETWATCH_RCVBUF;
    (void)setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf); /* the default serves too */
    if (bind(w->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int rc = -errno;
        netwatch_close(w);
        return rc;
    }
    return 0;
}

void netwatch_close(struct netwatch *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
}

static void schedule(struct netwatch *w, uint64_t now)
{
    if (w->due == UINT64_MAX)
        w->first_at = now;
    uint64_t at = now + w->debounce_ms, cap = w->first_at + 5 * (uint64_t)w->debounce_ms;
    w->due = at < cap ? at : cap;
}

void netwatch_note(struct netwatch *w, const struct rtnl_event *ev, uint64_t now)
{
    if (w->tun_ifindex && ev->ifindex == (uint32_t)w->tun_ifindex)
        return; /* our virtual IPs and tunnel routes */
    if (w->table && ev->table == w->table)
        return;
    w->events++;
    schedule(w, now);
}

struct note_ctx {
    struct netwatch *w;
    uint64_t now;
};

static void on_event(void *ctx, const struct rtnl_event *ev)
{
    struct note_ctx *n = ctx;
    netwatch_note(n->w, ev, n->now);
}

void netwatch_read(struct netwatch *w, uint64_t now)
{
    uint8_t buf[16384];
    struct note_ctx n = { w, now };
    for (int budget = NETWATCH_READ_BUDGET; budget > 0; budget--) {
        struct sockaddr_nl from;
        socklen_t fl = sizeof from;
        ssize_t got = recvfrom(w->fd, buf, sizeof buf, MSG_TRUNC, (struct sockaddr *)&from, &fl);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && errno == ENOBUFS) { /* the kernel dropped some: anything may have changed */
            log_msg(w->log, LOG_KNL, 1, "netlink notifications lost (socket overrun): looking at all routes again");
            schedule(w, now);
            continue;
        }
        if (got < 0)
            return; /* EAGAIN: all read */
        if (fl < sizeof from || from.nl_pid != 0 || (size_t)got > sizeof buf)
            continue; /* not the kernel's, or cut short */
        int rc = rtnl_parse(buf, (size_t)got, on_event, &n);
        if (rc)
            log_msg(w->log, LOG_KNL, 1, "malformed netlink notification ignored: %s", kite_strerror(rc));
    }
}

uint64_t netwatch_due(const struct netwatch *w)
{
    return w->due;
}

enum netwatch_verdict netwatch_pick(const struct ike_addr *cur, int lookup_rc, const struct ike_addr *routed,
                                    struct ike_addr *to)
{
    if (lookup_rc < 0)
        return NETWATCH_NO_ROUTE;
    size_t n = cur->family == 6 ? 16 : 4;
    if (routed->family != cur->family || !memcmp(routed->ip, cur->ip, n))
        return NETWATCH_KEEP; /* the kernel still takes this path */
    *to = *routed;
    to->port = cur->port; /* IKE's port stays (ike_sa_move_local keeps it too) */
    return NETWATCH_MOVE;
}

int netwatch_route_src(const struct ike_addr *remote, uint32_t mark, struct ike_addr *out)
{
    struct sockaddr_storage to, me;
    struct ike_addr r = *remote;
    r.port = r.port ? r.port : 4500;
    udp_addr_from_ike(&r, &to);
    int fd = socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    socklen_t ml = sizeof me, tl = to.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    int rc = 0;
    if (mark)
        (void)setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark); /* as kited's own sockets */
    /* connect on UDP sends nothing: the kernel only routes and picks a source */
    if (connect(fd, (struct sockaddr *)&to, tl) < 0 || getsockname(fd, (struct sockaddr *)&me, &ml) < 0)
        rc = -errno;
    close(fd);
    if (!rc)
        udp_addr_to_ike(&me, out);
    return rc;
}

/* one IKE SA looked at: 1 and *to set when it is to move */
static int check_sa(struct netwatch *w, uint32_t id, const struct ike_addr *cur, const struct ike_addr *remote,
                    struct ike_addr *to)
{
    struct ike_addr routed = { 0 };
    char c[64], p[64], t[64];
    int rc = netwatch_route_src(remote, w->mark, &routed);
    switch (netwatch_pick(cur, rc, &routed, to)) {
    case NETWATCH_KEEP:
        return 0;
    case NETWATCH_NO_ROUTE:
        if (!w->no_route_said)
            log_msg(w->log, LOG_KNL, 1, "IKE_SA [%u]: no route from here to %s (%s): keeping %s until one comes", id,
                    ike_addr_str(remote, p, sizeof p), strerror(-rc), ike_addr_str(cur, c, sizeof c));
        w->no_route_said = true;
        return 0;
    case NETWATCH_MOVE:
        break;
    }
    log_msg(w->log, LOG_KNL, 1, "IKE_SA [%u]: the route to %s now leaves from %s instead of %s", id,
            ike_addr_str(remote, p, sizeof p), ike_addr_str(to, t, sizeof t), ike_addr_str(cur, c, sizeof c));
    w->no_route_said = false;
    return 1;
}

struct move {
    uint32_t id;
    struct ike_addr to;
};

/* the SAs to move are gathered first, then moved: moving one may reorder
 * the engine's slots */
int netwatch_check(struct netwatch *w, struct ike_engine *ike, uint64_t now)
{
    struct move *mv = NULL;
    size_t n = 0, cap = 0;
    int moved = 0;
    w->due = UINT64_MAX;
    w->checks++;
    for (unsigned i = 0; i < ike_sa_slots(ike); i++) {
        struct move m;
        struct ike_addr local, remote;
        if (!ike_sa_mobile(ike, i, &m.id, &local, &remote) || !check_sa(w, m.id, &local, &remote, &m.to))
            continue;
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 16;
            struct move *g = realloc(mv, nc * sizeof *g);
            if (!g) {
                log_msg(w->log, LOG_KNL, 0, "out of memory: IKE_SA [%u] not moved", m.id);
                continue;
            }
            mv = g, cap = nc;
        }
        mv[n++] = m;
    }
    for (size_t i = 0; i < n; i++)
        moved += ike_sa_move_local(ike, mv[i].id, &mv[i].to, now) == 0;
    free(mv);
    w->moves += (uint64_t)moved;
    return moved;
}
