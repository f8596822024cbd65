/* dataplane: TUN + raw/UDP sockets + routes around sa/uesp. */
#include "daemon/dataplane.h"
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>
#include "base/err.h"
#include "base/rd.h"
#include "crypto/rand.h"
#include "crypto/registry.h"
#include "esp/offload.h"
#include "io/netlink.h"
#include "io/tun.h"

int dp_open(struct dataplane *dp, struct log_sink *log)
{
    memset(dp, 0, offsetof(struct dataplane, big));
    dp->tun_fd = dp->raw4.fd = dp->raw6.fd = dp->udp_fd4 = dp->udp_fd6 = -1;
    dp->log = log;
    uint64_t key[2];
    crypto_random((uint8_t *)key, sizeof key);
    routes_init(&dp->routes, key);
    int rc = uesp_init(&dp->u);
    if (rc)
        return rc;
    dp->u.replay_window = 32;
    dp->slot = calloc(DP_BATCH * 2, sizeof *dp->slot);
    if (!dp->slot) {
        uesp_free(&dp->u);
        return KITE_E_NOMEM;
    }
    /* offloads (TSO in, GRO out) unless KITE_NO_OFFLOAD is set, for comparison */
    const char *no = getenv("KITE_NO_OFFLOAD");
    dp->tun_fd = -1;
    if (!no || !*no) {
        dp->tun_fd = tun_open_offload("kite%d", dp->tun_name, &dp->tun_ifindex);
        dp->offload = dp->tun_fd >= 0;
    }
    if (dp->tun_fd < 0)
        dp->tun_fd = tun_open("kite%d", dp->tun_name, &dp->tun_ifindex);
    if (dp->tun_fd < 0) {
        rc = dp->tun_fd;
        log_msg(log, LOG_ESP, 0, "cannot open a TUN device: %s; no data plane", strerror(-rc));
        dp_close(dp);
        return rc;
    }
    rc = nl_link_set(dp->tun_ifindex, DP_MTU, true);
    if (!rc)
        rc = raw_open(&dp->raw4, AF_INET, DP_MARK);
    if (rc) {
        log_msg(log, LOG_ESP, 0, "cannot set up %s or the ESP socket: %s; no data plane", dp->tun_name,
                strerror(-rc));
        dp_close(dp);
        return rc;
    }
    if (raw_open(&dp->raw6, AF_INET6, DP_MARK))
        log_msg(log, LOG_ESP, 1, "no IPv6 ESP socket; ESP over IPv6 is off");
    int r4 = nl_rule(true, AF_INET, DP_TABLE, DP_TABLE, DP_MARK, true);
    int r6 = nl_rule(true, AF_INET6, DP_TABLE, DP_TABLE, DP_MARK, true);
    if ((r4 && r4 != -EEXIST) || (r6 && r6 != -EEXIST && r6 != -EAFNOSUPPORT))
        log_msg(log, LOG_ESP, 0, "cannot add the routing rule for table %d: %s", DP_TABLE,
                strerror(-(r4 && r4 != -EEXIST ? r4 : r6)));
    dp->rules = true;
    dp->on = true;
    log_msg(log, LOG_ESP, 1, "userspace ESP data plane on %s (mtu %d%s), routes in table %d", dp->tun_name,
            DP_MTU, dp->offload ? ", TSO/GRO offloads" : "", DP_TABLE);
    return 0;
}

/* the last holder of a route let go of it */
static void route_gone(void *ctx, const struct route_key *k)
{
    struct dataplane *dp = ctx;
    nl_route(false, DP_TABLE, dp->tun_ifindex, k->family, k->dst, k->plen, NULL);
}

void dp_close(struct dataplane *dp)
{
    routes_release_all(&dp->routes, route_gone, dp);
    if (dp->rules) {
        nl_rule(false, AF_INET, DP_TABLE, DP_TABLE, DP_MARK, true);
        nl_rule(false, AF_INET6, DP_TABLE, DP_TABLE, DP_MARK, true);
        dp->rules = false;
    }
    uesp_free(&dp->u);
    raw_close(&dp->raw4);
    raw_close(&dp->raw6);
    if (dp->tun_fd >= 0)
        close(dp->tun_fd);
    dp->tun_fd = -1;
    free(dp->slot);
    dp->slot = NULL;
    dp->on = false;
}

/* ---- routes ---- */

/* a route for holder spi_in (a Child SA's inbound SPI, or with
 * dp->route_trap a trap's policy id).  One already installed for another
 * holder (many road warriors with the same selectors) is only counted, so
 * that it stays while one of them needs it, without asking the kernel; one
 * the kernel refused is not noted */
static void route_add(struct dataplane *dp, uint32_t spi_in, const struct route_key *k, const uint8_t *src,
                      bool known)
{
    char d[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN] = "";
    if (known && !routes_room(&dp->routes)) { /* the common case: nothing to say */
        routes_hold(&dp->routes, dp->route_trap, spi_in, k);
        return;
    }
    inet_ntop(k->family, k->dst, d, sizeof d);
    if (src)
        inet_ntop(k->family, src, s, sizeof s);
    if (routes_room(&dp->routes)) {
        log_msg(dp->log, LOG_ESP, known ? 1 : 0, "route %s/%d not noted for SPI %08x: out of memory%s", d, k->plen,
                spi_in, known ? " (it is installed for another)" : "");
        return;
    }
    if (!known) {
        int rc = nl_route(true, DP_TABLE, dp->tun_ifindex, k->family, k->dst, k->plen, src);
        if (rc && src) /* the source may not be a local address */
            rc = nl_route(true, DP_TABLE, dp->tun_ifindex, k->family, k->dst, k->plen, NULL);
        if (rc) {
            log_msg(dp->log, LOG_ESP, 0, "route %s/%d via %s not installed: %s", d, k->plen, dp->tun_name,
                    strerror(-rc));
            return;
        }
        log_msg(dp->log, LOG_ESP, 1, "installing route %s/%d via %s%s%s (table %d)", d, k->plen, dp->tun_name,
                src ? " src " : "", s, DP_TABLE);
    }
    routes_hold(&dp->routes, dp->route_trap, spi_in, k); /* cannot fail after routes_room */
}

static int addr_cmp(const uint8_t *a, const uint8_t *b, size_t n)
{
    return memcmp(a, b, n);
}

/* a local address of the family inside [lo, hi] (strongSwan picks the
 * source of its routes the same way) */
static bool local_addr_in(int family, const uint8_t *lo, const uint8_t *hi, uint8_t out[16])
{
    struct ifaddrs *ifa, *i;
    bool found = false;
    size_t n = family == AF_INET6 ? 16 : 4;
    if (getifaddrs(&ifa))
        return false;
    for (i = ifa; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != family)
            continue;
        const uint8_t *a = family == AF_INET6 ? (const uint8_t *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr
                                              : (const uint8_t *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr;
        if (addr_cmp(a, lo, n) >= 0 && addr_cmp(a, hi, n) <= 0) {
            memcpy(out, a, n);
            found = true;
        }
    }
    freeifaddrs(ifa);
    return found;
}

/* cover [lo, hi] with prefixes, largest first from the bottom; returns count */
static int range_to_prefixes(int bits, const uint8_t *lo, const uint8_t *hi, uint8_t out[][16], int *plen,
                             int max)
{
    size_t n = (size_t)bits / 8;
    uint8_t cur[16];
    int k = 0;
    memcpy(cur, lo, n);
    while (k < max && memcmp(cur, hi, n) <= 0) {
        /* the largest block aligned at cur that stays within hi */
        int tz = 0; /* trailing zero bits of cur */
        while (tz < bits && !(cur[n - 1 - (size_t)tz / 8] >> (tz % 8) & 1))
            tz++;
        int size = tz;
        for (; size > 0; size--) {
            uint8_t last[16]; /* cur with the low `size` bits set */
            memcpy(last, cur, n);
            for (int b = 0; b < size; b++)
                last[n - 1 - (size_t)b / 8] |= (uint8_t)(1u << (b % 8));
            if (memcmp(last, hi, n) <= 0)
                break;
        }
        memcpy(out[k], cur, n);
        plen[k++] = bits - size;
        /* cur += 2^size, stop on overflow */
        int carry = 1;
        for (int b = size; b < bits && carry; b++) {
            uint8_t *byte = &cur[n - 1 - (size_t)b / 8];
            uint8_t m = (uint8_t)(1u << (b % 8));
            carry = (*byte & m) != 0;
            *byte ^= m;
        }
        if (carry)
            break;
    }
    return k;
}

static void routes_for(struct dataplane *dp, const struct ike_child_sa *c)
{
    int family = c->remote_ts.family == 6 ? AF_INET6 : AF_INET;
    uint8_t src[16];
    if (c->transport) {
        const struct ike_addr *r = &c->remote;
        struct route_key k;
        routes_key(&k, r->family == 6 ? AF_INET6 : AF_INET, r->ip, r->family == 6 ? 128 : 32);
        route_add(dp, c->spi_in, &k, c->local.ip, routes_known(&dp->routes, &k));
        return;
    }
    uint8_t pfx[8][16];
    int plen[8];
    int n = range_to_prefixes(family == AF_INET6 ? 128 : 32, c->remote_ts.lo, c->remote_ts.hi, pfx, plen, 8);
    bool have_src = false, looked = false;
    for (int i = 0; i < n; i++) {
        struct route_key k;
        routes_key(&k, family, pfx[i], plen[i]);
        bool known = routes_known(&dp->routes, &k);
        if (!known && !looked) { /* getifaddrs dumps every interface: only for a route to install */
            have_src = c->local_ts.family == c->remote_ts.family &&
                       local_addr_in(family, c->local_ts.lo, c->local_ts.hi, src);
            looked = true;
        }
        route_add(dp, c->spi_in, &k, have_src ? src : NULL, known);
    }
}

/* a trap's routes: those a Child SA with its selectors would get */
void dp_trap_routes(struct dataplane *dp, uint32_t id, const struct esp_ts *local, const struct esp_ts *remote,
                    unsigned n_remote, bool add)
{
    if (!dp->on)
        return;
    if (!add) {
        routes_release(&dp->routes, true, id, route_gone, dp);
        return;
    }
    struct ike_child_sa *c = calloc(1, sizeof *c);
    if (!c)
        return;
    c->spi_in = id;
    c->local_ts.family = local->family;
    memcpy(c->local_ts.lo, local->start, 16);
    memcpy(c->local_ts.hi, local->end, 16);
    dp->route_trap = true;
    for (unsigned i = 0; i < n_remote; i++) {
        c->remote_ts.family = remote[i].family;
        memcpy(c->remote_ts.lo, remote[i].start, 16);
        memcpy(c->remote_ts.hi, remote[i].end, 16);
        routes_for(dp, c);
    }
    dp->route_trap = false;
    free(c);
}

/* ---- SAs ---- */

static const char *xf_name(uint16_t type, uint16_t id, uint16_t bits, char *buf, size_t cap)
{
    const struct xf_info *x = xf_lookup(type, id, bits);
    if (x && x->keyword)
        snprintf(buf, cap, "%s", x->keyword);
    else
        snprintf(buf, cap, "%u", id);
    return buf;
}

int dp_child_up(struct dataplane *dp, const struct ike_child_sa *c, uint32_t replay_window)
{
    if (!dp->on) {
        log_msg(dp->log, LOG_ESP, 0, "CHILD_SA %s{%u} not installed: no data plane", c->name, c->ike_sa);
        return 0; /* --no-dataplane: negotiation only, on purpose */
    }
    const struct uesp_child *ch;
    int rc = uesp_install(&dp->u, c, replay_window, &ch);
    if (rc) {
        dp->st.install_failed++;
        log_msg(dp->log, LOG_ESP, 0, "CHILD_SA %s{%u} not installed: %s", c->name, c->ike_sa, kite_strerror(rc));
        return rc;
    }
    char l[64], r[64], e[32], i[32] = "";
    if (c->integ)
        xf_name(XF_INTEG, c->integ, 0, i, sizeof i);
    log_msg(dp->log, LOG_ESP, 1, "CHILD_SA %s{%u} installed: SPIs %08x_i %08x_o, %s%s%s%s, %s mode, %s %s...%s",
            c->name, c->ike_sa, c->spi_in, c->spi_out, xf_name(XF_ENCR, c->encr, c->encr_bits, e, sizeof e),
            c->integ ? "/" : "", i, c->esn ? "/ESN" : "", c->transport ? "transport" : "tunnel",
            c->encap ? "UDP-encapsulated ESP" : "ESP", ike_addr_str(&c->local, l, sizeof l),
            ike_addr_str(&c->remote, r, sizeof r));
    routes_for(dp, c);
    return 0;
}

static void child_remove(struct dataplane *dp, struct uesp_child *c)
{
    routes_release(&dp->routes, false, c->in.spi, route_gone, dp);
    log_msg(dp->log, LOG_ESP, 1, "CHILD_SA %s{%u} removed: SPIs %08x_i %08x_o, %llu/%llu bytes in/out", c->name,
            c->ike_sa, c->in.spi, c->out.spi, (unsigned long long)c->in.cnt.bytes,
            (unsigned long long)c->out.cnt.bytes);
    uesp_remove(&dp->u, c->in.spi);
}

void dp_child_down(struct dataplane *dp, uint32_t spi_in)
{
    if (!dp->on)
        return;
    struct esp_sa *sa = esp_sad_lookup(&dp->u.sad, spi_in);
    if (sa)
        child_remove(dp, (struct uesp_child *)((char *)sa - offsetof(struct uesp_child, in)));
}

void dp_child_retire(struct dataplane *dp, uint32_t spi_in)
{
    if (dp->on && uesp_retire(&dp->u, spi_in) == 0)
        log_msg(dp->log, LOG_ESP, 2, "CHILD_SA with inbound SPI %08x retired: no more outbound traffic", spi_in);
}

void dp_ike_rekeyed(struct dataplane *dp, uint32_t old_ike_sa, uint32_t new_ike_sa)
{
    if (dp->on)
        uesp_ike_rekeyed(&dp->u, old_ike_sa, new_ike_sa);
}

void dp_ike_down(struct dataplane *dp, uint32_t ike_sa)
{
    if (!dp->on)
        return;
    for (struct uesp_child *c = uesp_ike_first(&dp->u, ike_sa), *next; c; c = next) {
        next = uesp_ike_next(c); /* before c goes */
        child_remove(dp, c);
    }
}

/* ---- packets ----
 *
 * Outbound: read TUN (with offloads one read may bring a 64 KB TCP packet,
 * cut here into MSS segments), encapsulate each packet in its own slot, queue
 * it, and send the queue with one sendmmsg per socket.  Inbound: recvmmsg a
 * batch of ESP packets into slots, decapsulate each in place, and write the
 * inner packets to TUN, joining consecutive in-order TCP segments of a flow
 * into one large packet (GRO) so that one write carries many. */

/* packets in the sends [i, j) */
static uint64_t pkts_in(const struct dataplane *dp, int i, int j)
{
    uint64_t n = 0;
    for (; i < j; i++)
        n += dp->out[i].n;
    return n;
}

/* n packets not sent: counted, and logged when the reason changes */
static void send_error(struct dataplane *dp, int err, uint64_t n)
{
    if (err != dp->send_errno)
        log_msg(dp->log, LOG_ESP, 1, "sending ESP failed: %s (%llu packets dropped; counted as send errors)",
                strerror(err), (unsigned long long)n);
    dp->send_errno = err;
    dp->st.send_errors += n;
}

/* the packets of send k one datagram each (the kernel refused the GSO send) */
static void send_singly(struct dataplane *dp, int k)
{
    struct msghdr *m = &dp->mm[k].msg_hdr;
    for (size_t v = 0; v < m->msg_iovlen; v++) {
        struct msghdr one = { .msg_name = m->msg_name, .msg_namelen = m->msg_namelen,
                              .msg_iov = &m->msg_iov[v], .msg_iovlen = 1 };
        if (sendmsg(dp->out[k].fd, &one, 0) < 0)
            send_error(dp, errno, 1);
        else
            dp->st.esp_out++;
    }
}

/* a GSO batch the kernel refused (EIO/EINVAL: no GSO on the path; EMSGSIZE:
 * datagrams larger than the path MTU, which only single datagrams may be
 * fragmented for) goes again datagram by datagram, and GSO stays off; true
 * if so */
static bool gso_refused(struct dataplane *dp, int k, int err)
{
    if ((err != EIO && err != EINVAL && err != EMSGSIZE) || dp->out[k].n < 2)
        return false;
    if (dp->udp_gso)
        log_msg(dp->log, LOG_ESP, 1, "UDP GSO refused (%s): ESP in UDP sent one by one", strerror(err));
    dp->udp_gso = false;
    send_singly(dp, k);
    return true;
}

static void flush_out(struct dataplane *dp)
{
    int i = 0;
    while (i < dp->n_out) {
        int fd = dp->out[i].fd, j = i;
        while (j < dp->n_out && dp->out[j].fd == fd)
            j++;
        int sent = 0;
        while (sent < j - i) {
            int n = sendmmsg(fd, dp->mm + i + sent, (unsigned)(j - i - sent), 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && gso_refused(dp, i + sent, errno)) {
                sent++;
                continue;
            }
            if (n <= 0) { /* the rest of this socket's batch is dropped: counted */
                send_error(dp, n < 0 ? errno : EIO, pkts_in(dp, i + sent, j));
                break;
            }
            dp->st.esp_out += pkts_in(dp, i + sent, i + sent + n);
            for (int k = i + sent; k < i + sent + n; k++)
                dp->st.gso_sends += dp->out[k].n > 1;
            sent += n;
        }
        i = j;
    }
    dp->n_out = 0;
    dp->n_iov = 0;
    dp->next_slot = 0;
}

static socklen_t dest_of(const struct dataplane *dp, const struct uesp_child *c, struct sockaddr_storage *to,
                         int *fd)
{
    memset(to, 0, sizeof *to);
    if (c->remote.family == 6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)to;
        in6->sin6_family = AF_INET6;
        memcpy(&in6->sin6_addr, c->remote.ip, 16);
        in6->sin6_port = c->encap ? htons(c->remote.port) : 0;
        *fd = c->encap ? dp->udp_fd6 : dp->raw6.fd;
        return sizeof *in6;
    }
    struct sockaddr_in *in = (struct sockaddr_in *)to;
    in->sin_family = AF_INET;
    memcpy(&in->sin_addr, c->remote.ip, 4);
    in->sin_port = c->encap ? htons(c->remote.port) : 0;
    *fd = c->encap ? dp->udp_fd4 : dp->raw4.fd;
    return sizeof *in;
}

/* add b to the last send when it is a UDP GSO batch it fits (same socket and
 * peer, the same size, or shorter to end it) */
static bool gso_join(struct dataplane *dp, const struct uesp_child *c, const struct sockaddr_storage *to,
                     socklen_t tl, int fd, const struct esp_buf *b)
{
    if (!c->encap || !dp->udp_gso || !dp->n_out)
        return false;
    struct dp_out *o = &dp->out[dp->n_out - 1];
    if (o->fd != fd || o->closed || o->n >= DP_GSO_SEGS || b->len > o->seg ||
        (size_t)o->n * o->seg + b->len > DP_GSO_BYTES || o->tl != tl || memcmp(&o->to, to, tl))
        return false;
    struct mmsghdr *m = &dp->mm[dp->n_out - 1];
    dp->iov[dp->n_iov++] = (struct iovec){ b->base + b->off, b->len };
    m->msg_hdr.msg_iovlen++;
    o->n++;
    o->closed = b->len < o->seg;
    if (o->n == 2) { /* now a batch: the kernel cuts it every seg bytes */
        m->msg_hdr.msg_control = o->ctl.buf;
        m->msg_hdr.msg_controllen = sizeof o->ctl.buf;
        struct cmsghdr *cm = CMSG_FIRSTHDR(&m->msg_hdr);
        cm->cmsg_level = SOL_UDP;
        cm->cmsg_type = UDP_SEGMENT;
        cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        memcpy(CMSG_DATA(cm), &o->seg, sizeof o->seg);
    }
    return true;
}

static void queue_out(struct dataplane *dp, const struct uesp_child *c, const struct esp_buf *b)
{
    struct sockaddr_storage to;
    int fd;
    socklen_t tl = dest_of(dp, c, &to, &fd);
    if (fd < 0) {
        dp->st.send_errors++;
        return;
    }
    if (gso_join(dp, c, &to, tl, fd, b))
        return;
    struct dp_out *o = &dp->out[dp->n_out];
    o->fd = fd;
    o->to = to;
    o->tl = tl;
    o->seg = (uint16_t)b->len;
    o->n = 1;
    o->closed = false;
    struct iovec *iov = &dp->iov[dp->n_iov++];
    *iov = (struct iovec){ b->base + b->off, b->len };
    dp->mm[dp->n_out] = (struct mmsghdr){ .msg_hdr = { .msg_name = &o->to, .msg_namelen = tl,
                                                        .msg_iov = iov, .msg_iovlen = 1 } };
    dp->n_out++;
}

/* encapsulate the packets in slots [first, first + n) and queue them */
static void encap_slots(struct dataplane *dp, int first, const size_t *len, int n, uint64_t now)
{
    for (int i = 0; i < n; i++) {
        struct esp_buf b = { dp->slot[first + i], DP_SLOT, DP_AT, len[i] };
        const struct uesp_child *via;
        int rc = uesp_outbound(&dp->u, &b, now, &via);
        if (rc == 0)
            queue_out(dp, via, &b);
        else if (rc == KITE_E_NOT_FOUND && dp->no_sa && !dp->sending_held) /* a trap (daemon/traps.c) */
            dp->no_sa(dp->no_sa_ctx, dp->u.no_sa_policy, b.base + b.off, b.len, now);
    }
}

void dp_send_held(struct dataplane *dp, const uint8_t *pkt, size_t len, uint64_t now)
{
    if (!dp->on || len > DP_SLOT - DP_AT - UESP_TAILROOM)
        return;
    if (dp->next_slot >= DP_BATCH)
        flush_out(dp);
    int first = dp->next_slot++;
    memcpy(dp->slot[first] + DP_AT, pkt, len);
    dp->sending_held = true;
    encap_slots(dp, first, &len, 1, now);
    dp->sending_held = false;
}

void dp_flush(struct dataplane *dp)
{
    if (dp->on)
        flush_out(dp);
}

/* one packet read from TUN at pkt (len bytes, after any vnet header) */
static void from_tun(struct dataplane *dp, uint8_t *pkt, size_t len, const struct ofl_vnet *v, uint64_t now)
{
    size_t room = DP_SLOT - DP_AT - UESP_TAILROOM;
    if (v && (v->gso_type & ~OFL_GSO_ECN) != OFL_GSO_NONE) {
        uint8_t *outp[DP_BATCH];
        size_t lens[DP_BATCH];
        for (int attempt = 0; attempt < 2; attempt++) {
            int free_slots = DP_BATCH - dp->next_slot;
            for (int i = 0; i < free_slots; i++)
                outp[i] = dp->slot[dp->next_slot + i] + DP_AT;
            int n = ofl_tcp_segment(pkt, len, v->gso_size, outp, lens, free_slots, room);
            if (n == KITE_E_TOO_MANY && attempt == 0 && dp->next_slot > 0) {
                flush_out(dp);
                continue;
            }
            if (n < 0) {
                dp->u.cnt.malformed++;
                return;
            }
            int first = dp->next_slot;
            dp->next_slot += n;
            encap_slots(dp, first, lens, n, now);
            return;
        }
        return;
    }
    if (v && (v->flags & OFL_F_NEEDS_CSUM) && ofl_csum_finish(pkt, len, v->csum_start, v->csum_offset)) {
        dp->u.cnt.malformed++;
        return;
    }
    if (len > room) {
        dp->u.cnt.malformed++;
        return;
    }
    if (dp->next_slot >= DP_BATCH)
        flush_out(dp);
    int first = dp->next_slot++;
    memcpy(dp->slot[first] + DP_AT, pkt, len);
    encap_slots(dp, first, &len, 1, now);
}

void dp_on_tun(struct dataplane *dp, uint64_t now)
{
    size_t hl = dp->offload ? OFL_VNET_LEN : 0;
    for (int i = 0; i < DP_BATCH; i++) {
        ssize_t n = read(dp->tun_fd, dp->big + DP_AT, sizeof dp->big - DP_AT);
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN && errno != EINTR)
                dp->st.tun_errors++;
            break;
        }
        dp->st.tun_in++;
        struct ofl_vnet v;
        if (hl && ofl_vnet_read(dp->big + DP_AT, (size_t)n, &v)) {
            dp->u.cnt.malformed++;
            continue;
        }
        from_tun(dp, dp->big + DP_AT + hl, (size_t)n - hl, hl ? &v : NULL, now);
        if (dp->next_slot >= DP_BATCH)
            flush_out(dp);
    }
    flush_out(dp);
}

/* write one packet to TUN; p has OFL_VNET_LEN bytes of room before it */
static void tun_write(struct dataplane *dp, uint8_t *p, size_t len, const struct ofl_vnet *v)
{
    ssize_t n;
    if (dp->offload) {
        struct ofl_vnet zero = { 0 };
        ofl_vnet_write(p - OFL_VNET_LEN, v ? v : &zero);
        n = write(dp->tun_fd, p - OFL_VNET_LEN, len + OFL_VNET_LEN);
    } else {
        n = write(dp->tun_fd, p, len);
    }
    if (n < 0)
        dp->st.tun_errors++;
    else
        dp->st.tun_out++;
}

static void gro_flush(struct dataplane *dp)
{
    if (!dp->gro_len)
        return;
    struct ofl_vnet v;
    uint8_t *p = dp->gro + DP_AT;
    ofl_tcp_coalesce_end(p, dp->gro_len, dp->gro_mss, dp->gro_segs, &v);
    tun_write(dp, p, dp->gro_len, &v);
    dp->gro_len = 0;
    dp->gro_segs = 0;
    dp->gro_mss = 0;
}

/* a decrypted inner packet for TUN */
static void to_tun(struct dataplane *dp, const struct esp_buf *b)
{
    uint8_t *p = b->base + b->off;
    if (dp->offload) {
        uint8_t *g = dp->gro + DP_AT;
        if (dp->gro_len &&
            ofl_tcp_coalesce(g, &dp->gro_len, sizeof dp->gro - DP_AT, &dp->gro_mss, p, b->len)) {
            dp->gro_segs++;
            return;
        }
        gro_flush(dp);
        if (ofl_tcp_can_coalesce(p, b->len)) {
            memcpy(g, p, b->len);
            dp->gro_len = b->len;
            dp->gro_segs = 1;
            return;
        }
    }
    tun_write(dp, p, b->len, NULL);
}

void dp_on_raw(struct dataplane *dp, int fd, uint64_t now)
{
    struct raw_sock *s = fd == dp->raw4.fd ? &dp->raw4 : &dp->raw6;
    uint8_t *bufs[DP_BATCH];
    struct raw_pkt p[DP_BATCH];
    for (int i = 0; i < DP_BATCH; i++)
        bufs[i] = dp->slot[DP_BATCH + i]; /* the inbound half of the slots */
    for (int round = 0; round < 4; round++) {
        int n = raw_recv_batch(s, bufs, DP_SLOT, DP_AT, p, DP_BATCH);
        if (n <= 0)
            break;
        for (int i = 0; i < n; i++) {
            dp->st.esp_in++;
            if (!p[i].len) {
                dp->u.cnt.malformed++;
                continue;
            }
            struct esp_buf b = { bufs[i], DP_SLOT, p[i].off, p[i].len };
            const struct uesp_child *from;
            int rc = uesp_inbound(&dp->u, &b, now, p[i].family, p[i].src, p[i].dst, &from);
            if (!rc) {
                to_tun(dp, &b);
            } else if (rc == KITE_E_INVALID_SPI && dp->unknown_spi) {
                struct ike_addr src = { .family = p[i].family };
                memcpy(src.ip, p[i].src, sizeof src.ip);
                dp->unknown_spi(dp->ctx, dp->u.unknown_spi, &src, now);
            }
        }
        gro_flush(dp);
        if (n < DP_BATCH)
            break;
    }
}

const struct uesp_child *dp_on_udp_esp(struct dataplane *dp, struct esp_buf *b, const struct ike_addr *local,
                                       const struct ike_addr *remote, uint64_t now)
{
    if (!dp->on)
        return NULL;
    dp->st.esp_in++;
    struct rd r;
    uint32_t spi = 0;
    rd_init(&r, b->base + b->off, b->len);
    rd_be32(&r, &spi);
    const struct esp_sa *sa = r.err ? NULL : esp_sad_lookup(&dp->u.sad, spi);
    uint64_t top = sa ? sa->replay.top : 0;
    const struct uesp_child *from;
    int rc = uesp_inbound(&dp->u, b, now, remote->family, remote->ip, local->ip, &from);
    if (rc) {
        if (rc == KITE_E_INVALID_SPI && dp->unknown_spi)
            dp->unknown_spi(dp->ctx, dp->u.unknown_spi, remote, now);
        return NULL;
    }
    to_tun(dp, b);
    /* only a packet newer than any before may move the SA (RFC 7296 2.23) */
    return from->encap && from->in.replay.top > top && !ike_addr_eq(&from->remote, remote) ? from : NULL;
}

void dp_ike_moved(struct dataplane *dp, uint32_t ike_sa, const struct ike_addr *local,
                  const struct ike_addr *remote, bool encap)
{
    for (int cur = 0; dp->on;) {
        const struct uesp_child *c = uesp_move(&dp->u, &cur, ike_sa, local, remote, encap);
        if (!c)
            break;
        char l[64], rs[64];
        log_msg(dp->log, LOG_ESP, 1, "CHILD_SA %s{%u} moved: %s %s...%s", c->name, c->ike_sa,
                encap ? "UDP-encapsulated ESP" : "ESP", ike_addr_str(local, l, sizeof l),
                ike_addr_str(remote, rs, sizeof rs));
    }
}

uint64_t dp_last_out(const struct dataplane *dp, uint32_t ike_sa)
{
    return dp->on ? uesp_last_out(&dp->u, ike_sa) : 0;
}

void dp_udp_batch_end(struct dataplane *dp)
{
    if (dp->on)
        gro_flush(dp);
}

/* packets the kernel could not queue to the TUN device because kite did not
 * read fast enough (the device's tx_dropped) */
static unsigned long long tun_queue_drops(const struct dataplane *dp)
{
    char path[96];
    unsigned long long v = 0;
    snprintf(path, sizeof path, "/sys/class/net/%s/statistics/tx_dropped", dp->tun_name);
    FILE *f = fopen(path, "r");
    if (f) {
        if (fscanf(f, "%llu", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v;
}

void dp_log_sas(struct dataplane *dp, int level)
{
    if (!dp->on)
        return;
    for (unsigned k = 0; k < dp->u.n_slots; k++) {
        const struct uesp_child *c = uesp_child_at(&dp->u, k);
        if (!c)
            continue;
        char l[64], r[64], e[32], i[32] = "";
        if (c->out.integ)
            xf_name(XF_INTEG, c->out.integ->id, 0, i, sizeof i);
        xf_name(XF_ENCR, c->out.encr->id, c->out.encr->key_bits, e, sizeof e);
        log_msg(dp->log, LOG_ESP, level,
                "%s{%u}: INSTALLED, %s, %s SPIs: %08x_i %08x_o, %s%s%s%s, %s...%s, "
                "in %llu bytes, %llu packets; out %llu bytes, %llu packets; "
                "dropped in: replay %llu, ICV %llu, malformed %llu, policy %llu",
                c->name, c->ike_sa, c->transport ? "TRANSPORT" : "TUNNEL", c->encap ? "ESP in UDP" : "ESP",
                c->in.spi, c->out.spi, e, c->out.integ ? "/" : "", i, c->out.esn ? "/ESN" : "",
                ike_addr_str(&c->local, l, sizeof l), ike_addr_str(&c->remote, r, sizeof r),
                (unsigned long long)c->in.cnt.bytes, (unsigned long long)c->in.cnt.packets,
                (unsigned long long)c->out.cnt.bytes, (unsigned long long)c->out.cnt.packets,
                (unsigned long long)c->in.cnt.replay_drops, (unsigned long long)c->in.cnt.icv_failures,
                (unsigned long long)c->in.cnt.malformed, (unsigned long long)c->in.cnt.policy_drops);
    }
    log_msg(dp->log, LOG_ESP, level,
            "data plane: tun in %llu out %llu, esp in %llu out %llu, no policy %llu, unknown SPI %llu, "
            "malformed %llu, send errors %llu, tun write errors %llu; UDP GSO sends %llu, GRO reads %llu; "
            "kernel drops: %s queue %llu, ESP socket queue %u",
            (unsigned long long)dp->st.tun_in, (unsigned long long)dp->st.tun_out, (unsigned long long)dp->st.esp_in,
            (unsigned long long)dp->st.esp_out, (unsigned long long)dp->u.cnt.no_policy,
            (unsigned long long)dp->u.cnt.unknown_spi, (unsigned long long)dp->u.cnt.malformed,
            (unsigned long long)dp->st.send_errors, (unsigned long long)dp->st.tun_errors,
            (unsigned long long)dp->st.gso_sends, (unsigned long long)dp->st.gro_reads, dp->tun_name,
            (unsigned long long)tun_queue_drops(dp), dp->raw4.drops + dp->raw6.drops);
}
