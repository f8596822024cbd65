/* kited: the daemon.  Wires the configuration, the IKE engine and the UDP
 * sockets into one event loop; Child SAs are handed to the data plane (until
 * the ESP data plane lands they are logged). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/err.h"
#include "base/log.h"
#include "conf/conf.h"
#include "crypto/rand.h"
#include "ctl/vici.h"
#include "ctl/metrics.h"
#include "daemon/args.h"
#include "daemon/checkconf.h"
#include "daemon/creds.h"
#include "daemon/logout.h"
#include "daemon/notify.h"
#include "daemon/privdrop.h"
#include "daemon/dataplane.h"
#include "daemon/reconf.h"
#include "daemon/keylog.h"
#include "daemon/vip.h"
#include "daemon/updown.h"
#include "daemon/helper.h"
#include "daemon/resolve.h"
#include "daemon/traps.h"
#include "daemon/memtune.h"
#include "daemon/netwatch.h"
#include "ike/ike.h"
#include "io/loop.h"
#include "io/udp.h"

struct kited {
    struct kited_args args;
    struct log_sink log;
    struct loop loop;
    struct udp_sock socks[4];
    int n_socks;
    struct ike_engine *ike;
    struct kite_conf *conf;
    struct cred_store *creds; /* the files' credentials */
    struct cred_store *live;  /* the engine's: the files' and those loaded over VICI (NULL: creds) */
    bool stopping;
    uint64_t stop_at;
    uint8_t rx[65536 + 64]; /* datagrams land 64 bytes in: room for transport-mode headers */
    struct ike_action act;
    struct dataplane dp;
    struct vici_srv *vici; /* the control socket; NULL when off or not opened */
    struct metrics_srv *metrics; /* --metrics; NULL when off or not opened */
    struct metrics_extra metrics_extra[6];
    struct keylog keylog;  /* --keylog; fd -1 when off */
    uint64_t keepalives_in, keepalives_out; /* NAT keepalives (RFC 3948 2.3) */
    struct vip_set vips;   /* virtual IPs and DNS servers we were given (daemon/vip.c) */
    struct updown updown;  /* children's updown scripts */
    struct resolver resolver; /* DNS-named peers resolved again */
    uint64_t expiry_scan_at; /* the next walk of the data plane's SAs for byte/packet limits */
    bool expiry_skipped;     /* a round came before it: the loop wakes up for it */
    struct traps traps;      /* start_action = trap (daemon/traps.c) */
    struct helpers helpers;  /* resolvectl/resolvconf for the DNS servers we were given (daemon/helper.c) */
    struct netwatch nw;      /* our own address changes followed (MOBIKE, daemon/netwatch.c) */
};

static void env_random(void *ctx, uint8_t *p, size_t n)
{
    (void)ctx;
    crypto_random(p, n);
}

static void env_log(void *ctx, int subsys, int level, const char *msg)
{
    struct kited *k = ctx;
    log_msg(&k->log, (enum log_subsys)subsys, level, "%s", msg);
}

static bool env_log_wants(void *ctx, int subsys, int level)
{
    struct kited *k = ctx;
    return log_wants(&k->log, (enum log_subsys)subsys, level);
}

/* the engine asks for an EAP user's password (secrets { eap-x }) */
static int env_eap_secret(void *ctx, const char *id, size_t len, struct secret *out)
{
    struct kited *k = ctx;
    const struct secret *s = k->conf ? conf_eap_find(k->conf, id, len) : NULL;
    return s && !secret_from(out, s->p, s->n) ? 0 : -1;
}

/* the engine's source lookup for %any initiators: the route toward the
 * peer, with our sockets' mark (not through the tunnel) */
static int env_source(void *ctx, const struct ike_addr *remote, struct ike_addr *out)
{
    struct kited *k = ctx;
    (void)k;
    return netwatch_route_src(remote, DP_MARK, out) ? -1 : 0;
}

static void conf_warn(void *ctx, const char *msg)
{
    struct kited *k = ctx;
    log_msg(&k->log, LOG_CFG, 0, "warning: %s", msg);
}

/* ---- addresses ---- */


static struct udp_sock *sock_for(struct kited *k, const struct ike_addr *local, const struct ike_addr *remote)
{
    int family = remote->family == 6 ? AF_INET6 : AF_INET;
    bool natt = local->port == k->args.natt_port;
    for (int i = 0; i < k->n_socks; i++)
        if (k->socks[i].family == family && k->socks[i].natt == natt)
            return &k->socks[i];
    return NULL;
}

/* ---- actions ---- */

static uint32_t replay_window_of(const struct kited *k, const struct ike_child_sa *c)
{
    for (int i = 0; i < k->conf->n_conns; i++) {
        const struct conf_conn *cc = &k->conf->conns[i];
        for (uint32_t j = 0; j < cc->n_children; j++)
            if (!strcmp(cc->name, c->conn) && !strcmp(cc->child[j].name, c->name))
                return cc->child[j].replay_window;
    }
    return 32; /* strongSwan's default */
}

static int send_dgram(struct kited *k, const struct ike_action *a, const uint8_t *p, size_t n, bool marker)
{
    struct udp_sock *s = sock_for(k, &a->local, &a->remote);
    struct sockaddr_storage from, to;
    udp_addr_from_ike(&a->local, &from);
    udp_addr_from_ike(&a->remote, &to);
    int rc = s ? udp_send(s, a->local.family ? &from : NULL, &to, p, n, marker && s->natt) : -ENOTSOCK;
    char buf[64];
    if (rc)
        log_msg(&k->log, LOG_NET, 0, "error sending to %s: %s", ike_addr_str(&a->remote, buf, sizeof buf),
                strerror(-rc));
    else if (marker)
        log_msg(&k->log, LOG_NET, 2, "sending packet: to %s (%zu bytes)", ike_addr_str(&a->remote, buf, sizeof buf), n);
    return rc;
}

/* a NAT keepalive is due unless ESP went to the peer meanwhile */
static void keepalive(struct kited *k, const struct ike_action *a)
{
    static const uint8_t ff = 0xff;
    uint64_t now = loop_now_ms(), last = dp_last_out(&k->dp, a->ike_sa);
    if (last && now - last < (uint64_t)k->args.keepalive_ms) {
        ike_nat_sent(k->ike, a->ike_sa, last);
        return;
    }
    char r[64];
    if (send_dgram(k, a, &ff, 1, false) == 0) {
        k->keepalives_out++;
        log_msg(&k->log, LOG_IKE, 2, "sending keep alive to %s", ike_addr_str(&a->remote, r, sizeof r));
    }
}

static void keylog_report(struct kited *k, int rc)
{
    if (rc)
        log_msg(&k->log, LOG_DMN, 0, "keylog %s: cannot write: %s", k->args.keylog, strerror(-rc));
}

static void drain(struct kited *k)
{
    struct ike_action *a = &k->act;
    while (ike_next_action(k->ike, a)) {
        bool not_up = false;
        switch (a->type) {
        case IKE_ACT_SEND: send_dgram(k, a, a->data, a->len, true); break;
        case IKE_ACT_KEEPALIVE: keepalive(k, a); break;
        case IKE_ACT_IKE_MOVED: dp_ike_moved(&k->dp, a->ike_sa, &a->local, &a->remote, a->marker); break;
        case IKE_ACT_IKE_KEYS: keylog_report(k, keylog_ike(&k->keylog, &a->ike_keys)); break;
        case IKE_ACT_CHILD_UP:
            keylog_report(k, keylog_child(&k->keylog, &a->child));
            /* the engine must not believe in a Child SA the data plane lacks */
            if (dp_child_up(&k->dp, &a->child, replay_window_of(k, &a->child))) {
                ike_child_install_failed(k->ike, a->child.spi_in, loop_now_ms());
                not_up = true; /* no updown script for it */
            }
            break;
        case IKE_ACT_CHILD_DOWN: dp_child_down(&k->dp, a->child.spi_in); break;
        case IKE_ACT_IKE_REKEYED:
            dp_ike_rekeyed(&k->dp, a->old_ike_sa, a->ike_sa);
            vip_rekeyed(&k->vips, a->old_ike_sa, a->ike_sa);
            break;
        case IKE_ACT_VIP: vip_up(&k->vips, &k->dp, &k->log, a); break;
        case IKE_ACT_CHILD_RETIRE: dp_child_retire(&k->dp, a->child.spi_in); break;
        case IKE_ACT_IKE_DOWN:
            dp_ike_down(&k->dp, a->ike_sa);
            vip_down(&k->vips, &k->dp, &k->log, a->ike_sa);
            log_msg(&k->log, LOG_IKE, 1, "IKE_SA %s[%u] %s: %s", a->conn, a->ike_sa,
                    strcmp(a->reason, "rekeyed") ? "deleted" : "replaced", a->reason);
            break;
        default: break;
        }
        if (!not_up)
            traps_action(&k->traps, a, loop_now_ms()); /* held packets out through the Child SA just installed */
        if (k->vici)
            vici_srv_action(k->vici, a);
        if (!not_up)
            updown_action(&k->updown, k->ike, k->conf, a, loop_now_ms());
        resolve_action(&k->resolver, k->ike, a);
        ike_action_wipe(a);
    }
}

/* ---- the loop ---- */

/* one datagram from the NAT-T or IKE port: IKE, ESP in UDP or a keepalive */
static void on_datagram(struct kited *k, const struct udp_dgram *d, const struct ike_addr *local,
                        const struct ike_addr *remote, uint64_t now)
{
    char buf[64];
    if (d->kind == UDP_IKE) {
        log_msg(&k->log, LOG_NET, 2, "received packet: from %s (%zu bytes)", ike_addr_str(remote, buf, sizeof buf),
                d->len);
        ike_recv(k->ike, d->data, d->len, local, remote, now);
        drain(k); /* a Child SA it brings is installed before ESP later in this batch */
    } else if (d->kind == UDP_ESP) {
        /* decapsulated in place: transport mode rebuilds the IP header in
         * front, over what was already handled */
        struct esp_buf b = { k->rx, sizeof k->rx, (size_t)(d->data - k->rx), d->len };
        const struct uesp_child *moved = dp_on_udp_esp(&k->dp, &b, local, remote, now);
        if (moved)
            ike_nat_seen(k->ike, moved->ike_sa, local, remote, now);
    } else if (d->kind == UDP_KEEPALIVE) {
        k->keepalives_in++; /* ignored: it only keeps the peer's NAT mapping (RFC 3948 2.3) */
    }
}

static void on_udp(struct loop *l, int fd, void *arg)
{
    struct kited *k = arg;
    (void)l;
    for (int i = 0; i < k->n_socks; i++) {
        struct udp_sock *s = &k->socks[i];
        struct udp_dgram d;
        if (s->fd != fd)
            continue;
        /* a budget per wakeup: a flood on one socket cannot keep timers, the
         * TUN device or the other sockets waiting (epoll is level-triggered,
         * so what is left is read on the next round) */
        for (int budget = k->args.udp_budget; budget > 0 && udp_recv(s, k->rx + 64, sizeof k->rx - 64, &d) == 1;
             budget--) {
            struct ike_addr local, remote;
            udp_addr_to_ike(&d.local, &local);
            udp_addr_to_ike(&d.remote, &remote);
            local.port = s->port;
            k->dp.st.gro_reads += d.left > 0;
            uint64_t now = loop_now_ms();
            do /* each datagram of a coalesced (GRO) read */
                on_datagram(k, &d, &local, &remote, now);
            while (udp_next(s, &d));
        }
        dp_udp_batch_end(&k->dp);
        drain(k);
    }
}

static void on_tun(struct loop *l, int fd, void *arg)
{
    (void)l;
    (void)fd;
    struct kited *k = arg;
    dp_on_tun(&k->dp, loop_now_ms());
    drain(k); /* initiations a trap started */
}

static void on_raw(struct loop *l, int fd, void *arg)
{
    (void)l;
    struct kited *k = arg;
    dp_on_raw(&k->dp, fd, loop_now_ms());
    drain(k); /* INVALID_SPI notifications */
}

/* the data plane's unknown SPIs go to the engine, which tells the peer (1.5) */
static void on_unknown_spi(void *ctx, uint32_t spi, const struct ike_addr *from, uint64_t now)
{
    struct kited *k = ctx;
    ike_esp_unknown_spi(k->ike, spi, from, now);
}

/* inbound ESP is liveness (2.4): the last good packet of each Child SA that
 * decrypted one since the previous report goes to the engine (the data
 * plane queues them: no walk of every Child SA at each deadline) */
static void report_last_used(struct kited *k)
{
    uint32_t spi;
    uint64_t at;
    while (k->dp.on && uesp_last_used(&k->dp.u, &spi, &at))
        ike_child_inbound_seen(k->ike, spi, at);
}

/* byte/packet limits the data plane saw reached go to the engine, at most
 * every 100 ms.  The packet paths queue a Child SA that passes a limit
 * (uesp's due list), so this reads that queue and walks no Child SA (a walk
 * of all of them per loop round was most of a responder's work per
 * datagram at 100,000); the data plane itself refuses packets past a hard
 * limit */
static void report_expired(struct kited *k, uint64_t now)
{
    k->expiry_skipped = k->dp.on && now < k->expiry_scan_at;
    if (!k->dp.on || k->expiry_skipped)
        return;
    k->expiry_scan_at = now + 100;
    uint32_t spi;
    bool hard;
    while (uesp_expired(&k->dp.u, &spi, &hard)) {
        log_msg(&k->log, LOG_ESP, 1, "CHILD_SA with inbound SPI %08x reached its %s byte/packet limit", spi,
                hard ? "hard" : "rekey");
        ike_child_expired(k->ike, spi, hard, now);
        drain(k);
    }
}

static uint64_t on_deadline(struct loop *l, uint64_t now, void *arg)
{
    struct kited *k = arg;
    report_expired(k, now);
    if (k->stopping && now >= k->stop_at) {
        loop_stop(l);
        return LOOP_NEVER;
    }
    if (ike_next_deadline(k->ike) <= now) {
        report_last_used(k); /* before a liveness check is due */
        if (ike_next_deadline(k->ike) <= now)
            ike_tick(k->ike, now);
        drain(k);
    }
    if (netwatch_due(&k->nw) <= now) {
        netwatch_check(&k->nw, k->ike, now);
        drain(k);
    }
    uint64_t next = ike_next_deadline(k->ike);
    if (netwatch_due(&k->nw) < next)
        next = netwatch_due(&k->nw);
    uint64_t ud = updown_tick(&k->updown, now), rs = resolve_poll(&k->resolver, k->ike, now);
    next = ud < next ? ud : next;
    next = rs < next ? rs : next;
    uint64_t hp = helpers_tick(&k->helpers, now);
    next = hp < next ? hp : next;
    if (k->vici) {
        uint64_t v = vici_srv_tick(k->vici, now);
        next = v < next ? v : next;
    }
    if (k->metrics) {
        uint64_t v = metrics_tick(k->metrics, now);
        next = v < next ? v : next;
    }
    uint64_t tt = traps_tick(&k->traps, now);
    next = tt < next ? tt : next;
    if (k->expiry_skipped && k->expiry_scan_at < next)
        next = k->expiry_scan_at; /* a round skipped the walk: one more within 100 ms */
    /* the lines held, written before the loop sleeps, at most every --log-flush ms */
    uint64_t lf = log_flush_due(&k->log, now, (uint64_t)k->args.log_flush_ms);
    next = lf < next ? lf : next;
    memtune_heap_advise();
    return k->stopping && k->stop_at < next ? k->stop_at : next;
}

static void on_updown(struct loop *l, int fd, void *arg)
{
    (void)l;
    (void)fd;
    struct kited *k = arg;
    updown_run(&k->updown, loop_now_ms());
}

static void updown_log(void *ctx, int level, const char *msg)
{
    struct kited *k = ctx;
    log_msg(&k->log, LOG_DMN, level, "%s", msg);
}

static int open_updown(struct kited *k)
{
    k->resolver.log = updown_log;
    k->resolver.log_ctx = k;
    int rc = updown_init(&k->updown, (uint32_t)k->args.updown_timeout_ms, updown_log, k);
    if (rc || loop_add_fd(&k->loop, updown_fd(&k->updown), on_updown, k)) {
        log_msg(&k->log, LOG_DMN, 0, "cannot watch updown scripts: %s", strerror(rc ? -rc : errno));
        return -1;
    }
    return 0;
}

static void on_helper(struct loop *l, int fd, void *arg)
{
    (void)l;
    (void)fd;
    struct kited *k = arg;
    helpers_run(&k->helpers, loop_now_ms());
}

/* the DNS helpers of virtual IPs run beside the loop (daemon/helper.c) */
static int open_helpers(struct kited *k)
{
    int rc = helpers_init(&k->helpers, (uint32_t)k->args.updown_timeout_ms, vip_helper_done, &k->vips);
    if (rc || loop_add_fd(&k->loop, helpers_fd(&k->helpers), on_helper, k)) {
        log_msg(&k->log, LOG_DMN, 0, "cannot watch DNS helpers: %s", strerror(rc ? -rc : errno));
        return -1;
    }
    k->vips.run = &k->helpers;
    k->vips.log = &k->log;
    return 0;
}

static void on_netwatch(struct loop *l, int fd, void *arg)
{
    (void)l;
    (void)fd;
    struct kited *k = arg;
    netwatch_read(&k->nw, loop_now_ms());
}

/* our own addresses and routes: kited moves the IKE SAs it initiated with
 * MOBIKE when they change; it runs on without (logged) */
static void open_netwatch(struct kited *k)
{
    k->nw.tun_ifindex = k->dp.on ? k->dp.tun_ifindex : 0;
    k->nw.table = DP_TABLE;
    k->nw.mark = DP_MARK;
    int rc = netwatch_open(&k->nw, &k->log);
    if (!rc)
        rc = loop_add_fd(&k->loop, k->nw.fd, on_netwatch, k);
    if (rc) {
        log_msg(&k->log, LOG_KNL, 0, "not following our own address changes (MOBIKE): %s", strerror(-rc));
        netwatch_close(&k->nw);
    }
}

static void on_vici(struct loop *l, int fd, void *arg)
{
    (void)l;
    (void)fd;
    struct kited *k = arg;
    vici_srv_run(k->vici);
}

static void on_metrics(struct loop *l, int fd, void *arg)
{
    (void)l;
    (void)fd;
    struct kited *k = arg;
    metrics_run(k->metrics, loop_now_ms());
}

/* --metrics: the data plane's I/O counters beside what ctl/metrics reads
 * itself; kited runs without the page when it cannot be opened */
static void open_metrics(struct kited *k)
{
    char err[300];
    const struct metrics_extra x[] = {
        { "kite_dataplane_esp_in_packets_total", "ESP packets received", &k->dp.st.esp_in },
        { "kite_dataplane_esp_out_packets_total", "ESP packets sent", &k->dp.st.esp_out },
        { "kite_dataplane_send_errors_total", "ESP packets the socket refused", &k->dp.st.send_errors },
        { "kite_dataplane_tun_errors_total", "packets the TUN device refused", &k->dp.st.tun_errors },
        { "kite_dataplane_install_failed_total", "Child SAs the data plane could not take",
          &k->dp.st.install_failed },
        { "kite_nat_keepalives_out_total", "NAT keepalives sent (RFC 3948 2.3)", &k->keepalives_out },
    };
    _Static_assert(sizeof x == sizeof k->metrics_extra, "metrics_extra holds x");
    memcpy(k->metrics_extra, x, sizeof x);
    struct metrics_env env = { k->ike, k->dp.on ? &k->dp.u : NULL, k->vici, k->metrics_extra,
                               k->dp.on ? (unsigned)(sizeof x / sizeof x[0]) : 0 };
    struct metrics_cfg cfg = { (unsigned)k->args.metrics_max_clients, 0 };
    if (!k->args.metrics)
        return;
    if (metrics_open(&k->metrics, k->args.metrics, &cfg, &env, err, sizeof err)) {
        log_msg(&k->log, LOG_DMN, 0, "no metrics: %s", err);
        return;
    }
    if (loop_add_fd(&k->loop, metrics_fd(k->metrics), on_metrics, k)) {
        metrics_close(k->metrics);
        k->metrics = NULL;
        return;
    }
    log_msg(&k->log, LOG_DMN, 1, "metrics at http://%s/metrics", k->args.metrics);
}

static void drain_cb(void *ctx)
{
    drain(ctx);
}

static int creds_changed_cb(void *ctx);
static const struct cred_store *creds_live_cb(void *ctx);
static int reload_cb(void *ctx);

static struct reconf reconf_of(struct kited *k)
{
    /* the engine's snapshot (files and VICI): certificates named by connections */
    return (struct reconf){ k->ike, &k->log, k->live ? k->live : k->creds, &k->args };
}

/* the control socket's load-conn, unload-conn, load-shared, unload-shared */
static int vici_apply(void *ctx, struct kite_conf *c, const char *conn, char *err, size_t cap)
{
    struct kited *k = ctx;
    struct reconf r = reconf_of(k);
    int rc = reconf_commit(&r, &k->conf, c, conn, loop_now_ms(), err, cap);
    traps_sync(&k->traps); /* unload-conn takes its traps along */
    return rc;
}

/* the control socket: kited runs without one when it cannot be opened */
static void open_vici(struct kited *k)
{
    char err[512];
    struct vici_env env = { k->ike, k->dp.on ? &k->dp.u : NULL, &k->log, drain_cb, k, creds_changed_cb,
                            creds_live_cb, reload_cb };
    env.conf = &k->conf;
    env.apply = vici_apply;
    env.traps = &k->traps.t;
    struct vici_cfg cfg = { (unsigned)k->args.vici_max_clients, 0 };
    if (!k->args.vici)
        return;
    if (vici_srv_open(&k->vici, k->args.vici, &cfg, &env, err, sizeof err)) {
        log_msg(&k->log, LOG_DMN, 0, "no control socket: %s", err);
        return;
    }
    if (loop_add_fd(&k->loop, vici_srv_fd(k->vici), on_vici, k)) {
        vici_srv_close(k->vici);
        k->vici = NULL;
        return;
    }
    log_msg(&k->log, LOG_DMN, 1, "control socket (VICI) at %s", k->args.vici);
}

/* the engine gets a new snapshot: the files' credentials and those loaded
 * over VICI (authentications under way keep theirs); 0 or -1 */
static int creds_apply(struct kited *k)
{
    struct cred_store *m = NULL;
    if (cred_store_merge(k->creds, k->vici ? vici_srv_creds(k->vici) : NULL, &m)) {
        log_msg(&k->log, LOG_CFG, 0, "credentials not replaced: out of memory");
        return -1;
    }
    ike_engine_set_creds(k->ike, m);
    if (k->live)
        cred_store_unref(k->live);
    k->live = m;
    return 0;
}

static int creds_changed_cb(void *ctx)
{
    return creds_apply(ctx) ? KITE_E_NOMEM : 0;
}

static const struct cred_store *creds_live_cb(void *ctx)
{
    struct kited *k = ctx;
    return k->live ? k->live : k->creds;
}

static void reload(struct kited *k)
{
    struct kite_conf *c = NULL;
    char err[512];
    if (conf_load_file(k->args.config, &c, err, sizeof err, conf_warn, k)) {
        log_msg(&k->log, LOG_CFG, 0, "reload failed, keeping the running configuration: %s", err);
        return;
    }
    /* credentials: a new snapshot for authentications from now on */
    struct cred_store *creds = NULL;
    if (creds_load(k->args.config, c, &creds, err, sizeof err, conf_warn, k)) {
        log_msg(&k->log, LOG_CFG, 0, "reload failed, keeping the running configuration: %s", err);
        conf_free(c);
        return;
    }
    if (k->creds)
        cred_store_unref(k->creds);
    k->creds = creds;
    creds_apply(k);
    /* one code path with the VICI commands: the difference between what
     * runs and the file is applied (reconf.c) */
    struct reconf r = reconf_of(k);
    struct reconf_count n;
    reconf_apply(&r, c, loop_now_ms(), &n);
    log_msg(&k->log, LOG_CFG, 1, "configuration reloaded: %d added, %d replaced, %d unchanged, %d removed, "
            "%d pre-shared key(s) loaded, %d not loaded", n.added, n.replaced, n.unchanged, n.removed, n.psks,
            n.failed);
    conf_free(k->conf);
    k->conf = c;
    traps_sync(&k->traps);
    drain(k); /* the Deletes and initiations go out now */
}

/* SIGHUP's reload for VICI's reload-settings: it failed when the
 * configuration was kept */
static int reload_cb(void *ctx)
{
    struct kited *k = ctx;
    struct kite_conf *before = k->conf;
    reload(k);
    return k->conf == before ? -1 : 0;
}

/* the command line's limits over the engine's defaults */
static int set_limits(struct kited *k)
{
    struct ike_limits l;
    const struct kited_args *a = &k->args;
    ike_limits_default(&l);
    if (a->cookie_threshold >= 0)
        l.cookie_threshold = (uint32_t)a->cookie_threshold;
    if (a->block_threshold >= 0)
        l.block_threshold = (uint32_t)a->block_threshold;
    if (a->init_limit_half_open >= 0)
        l.init_limit_half_open = (uint32_t)a->init_limit_half_open;
    if (a->half_open_timeout_ms >= 0)
        l.half_open_timeout_ms = (uint32_t)a->half_open_timeout_ms;
    if (a->fragment_size)
        l.fragment_size = (uint32_t)a->fragment_size;
    if (a->eap_tls_fragment_size)
        l.eap_tls_fragment_size = (uint32_t)a->eap_tls_fragment_size;
    if (a->eap_tls_max_bytes)
        l.eap_tls_max_bytes = (uint32_t)a->eap_tls_max_bytes;
    return ike_engine_set_limits(k->ike, &l);
}

static void on_signal(struct loop *l, int signo, void *arg)
{
    struct kited *k = arg;
    if (signo == SIGUSR1) {
        struct ike_stats st;
        ike_engine_stats(k->ike, &st);
        log_msg(&k->log, LOG_DMN, 0, "status: %u IKE SA(s), %u established since start, %u retransmits, %u dropped, "
                "%u peer moves followed, NAT keepalives in %llu out %llu",
                st.ike_sas, st.established, st.retransmits, st.dropped, st.moved,
                (unsigned long long)k->keepalives_in, (unsigned long long)k->keepalives_out);
        log_msg(&k->log, LOG_DMN, 0, "dos: %u half-open, cookies sent %llu valid %llu invalid %llu, "
                "refused by block_threshold %llu by init_limit_half_open %llu, answers rate-limited %llu, "
                "log lines suppressed %llu, keying retries %llu, Child SAs the data plane refused %llu",
                st.half_open, (unsigned long long)st.cookies_sent, (unsigned long long)st.cookies_ok,
                (unsigned long long)st.cookies_bad, (unsigned long long)st.blocked, (unsigned long long)st.limited,
                (unsigned long long)st.answers_limited, (unsigned long long)st.logs_suppressed,
                (unsigned long long)st.keying_retries, (unsigned long long)k->dp.st.install_failed);
        log_msg(&k->log, LOG_DMN, 0, "fragments: %llu messages sent in %llu fragments, %llu reassembled, "
                "%llu failed the integrity check, %llu at a limit, %llu incomplete dropped",
                (unsigned long long)st.frag_msgs_sent, (unsigned long long)st.frags_sent,
                (unsigned long long)st.frag_reassembled, (unsigned long long)st.frags_bad,
                (unsigned long long)st.frag_limited, (unsigned long long)st.frag_expired);
        const struct trap_counters *tc = &k->traps.t.cnt;
        log_msg(&k->log, LOG_DMN, 0, "traps: %zu installed, %llu acquires, packets held %llu sent %llu, dropped: "
                "queue full %llu, acquire failed %llu, retry hold-off %llu", k->traps.t.n,
                (unsigned long long)tc->acquires, (unsigned long long)tc->held, (unsigned long long)tc->sent,
                (unsigned long long)tc->queue_full, (unsigned long long)tc->failed, (unsigned long long)tc->limited);
        log_msg(&k->log, LOG_DMN, 0, "addresses: %llu netlink changes, %llu looks at the routes, %llu IKE SAs moved "
                "(MOBIKE)", (unsigned long long)k->nw.events, (unsigned long long)k->nw.checks,
                (unsigned long long)k->nw.moves);
        char line[512];
        for (unsigned i = 0; i < ike_sa_slots(k->ike); i++)
            if (ike_sa_status(k->ike, (int)i, line, sizeof line))
                log_msg(&k->log, LOG_IKE, 0, "%s", line);
        dp_log_sas(&k->dp, 0);
        return;
    }
    if (signo == SIGHUP) {
        log_msg(&k->log, LOG_DMN, 1, "SIGHUP received, reloading %s", k->args.config);
        notify_send("RELOADING=1");
        reload(k);
        notify_send("READY=1");
        return;
    }
    if (k->stopping) {
        loop_stop(l);
        return;
    }
    log_msg(&k->log, LOG_DMN, 1, "signal of type %d received, deleting SAs and shutting down", signo);
    ike_delete_all(k->ike, loop_now_ms());
    drain(k);
    k->stopping = true;
    k->stop_at = loop_now_ms() + 300; /* let the Delete requests leave */
}

static int open_sockets(struct kited *k)
{
    const int families[2] = { AF_INET, AF_INET6 };
    for (int f = 0; f < 2; f++) {
        for (int natt = 0; natt < 2; natt++) {
            struct udp_sock *s = &k->socks[k->n_socks];
            int port = natt ? k->args.natt_port : k->args.port;
            int rc = udp_open(s, families[f], NULL, (uint16_t)port, natt);
            if (rc) {
                log_msg(&k->log, f == 0 ? LOG_NET : LOG_NET, f == 0 ? 0 : 1, "cannot open UDP %s port %d: %s",
                        f == 0 ? "IPv4" : "IPv6", port, strerror(-rc));
                if (f == 0)
                    return rc;
                continue;
            }
            loop_add_fd(&k->loop, s->fd, on_udp, k);
            uint32_t mark = DP_MARK; /* kite's own packets bypass the tunnel routes */
            setsockopt(s->fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark);
            k->n_socks++;
        }
    }
    return 0;
}

/* create path afresh (O_EXCL) and never through a symbolic link: a stale
 * regular file is replaced, anything else refused (a link planted there
 * would have kited write wherever it points); fd, -1 (an error) or -2
 * (refused) with err set */
static int create_fresh(const char *path, char *err, size_t cap)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd >= 0)
            return fd;
        int e = errno;
        struct stat st;
        if (e != EEXIST || lstat(path, &st)) {
            snprintf(err, cap, "cannot create %s: %s", path, strerror(e));
            return -1;
        }
        if (!S_ISREG(st.st_mode)) {
            snprintf(err, cap, "%s is %s: refused", path, S_ISLNK(st.st_mode) ? "a symbolic link" : "not a regular file");
            return -2;
        }
        if (unlink(path) && errno != ENOENT) {
            e = errno;
            snprintf(err, cap, "cannot replace %s: %s", path, strerror(e));
            return -1;
        }
    }
    snprintf(err, cap, "%s was created again while being replaced: refused", path);
    return -2;
}

/* the pid file; 0, 1 when it could not be written, -1 when kited must not
 * go on (a symbolic link or another kind of file in its place) */
static int pid_file(struct kited *k)
{
    char path[4096], err[4200], line[24];
    if (mkdir(k->args.run_dir, 0700) && errno != EEXIST)
        log_msg(&k->log, LOG_DMN, 0, "cannot create %s: %s", k->args.run_dir, strerror(errno));
    int n = snprintf(path, sizeof path, "%s/kited.pid", k->args.run_dir);
    if (n < 0 || (size_t)n >= sizeof path) {
        log_msg(&k->log, LOG_DMN, 0, "cannot write the pid file: --run-dir is too long");
        return 1;
    }
    int fd = create_fresh(path, err, sizeof err);
    if (fd < 0) {
        log_msg(&k->log, LOG_DMN, 0, "pid file: %s", err);
        if (fd == -2)
            fprintf(stderr, "kited: pid file: %s\n", err);
        return fd == -2 ? -1 : 1;
    }
    n = snprintf(line, sizeof line, "%d\n", (int)getpid());
    bool ok = write(fd, line, (size_t)n) == n;
    close(fd);
    if (!ok)
        log_msg(&k->log, LOG_DMN, 0, "cannot write the pid file %s", path);
    return ok ? 0 : 1;
}

/* --user: everything kited opens as root is open by now (sockets, TUN, raw
 * ESP, control socket, log and pid files); from here on it needs only
 * CAP_NET_ADMIN and CAP_NET_RAW.  A failed drop stops kited: running as root
 * when asked not to is not an option. */
static int drop_privileges(struct kited *k)
{
    char err[256];
    if (privdrop_to(k->args.user, err, sizeof err)) {
        log_msg(&k->log, LOG_DMN, 0, "cannot drop privileges to user '%s': %s", k->args.user, err);
        fprintf(stderr, "kited: cannot drop privileges to user '%s': %s\n", k->args.user, err);
        return -1;
    }
    log_msg(&k->log, LOG_DMN, 1, "running as user '%s' (uid %u, gid %u) with CAP_NET_ADMIN and CAP_NET_RAW only",
            k->args.user, (unsigned)getuid(), (unsigned)getgid());
    return 0;
}

static int run(struct kited *k)
{
    char err[512];
    const struct ike_env env = { k, env_random, env_log, .eap_secret = env_eap_secret, .source = env_source,
                                .log_wants = env_log_wants };
    static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
    if (conf_load_file(k->args.config, &k->conf, err, sizeof err, conf_warn, k)) {
        log_msg(&k->log, LOG_CFG, 0, "%s", err);
        fprintf(stderr, "kited: %s\n", err);
        return 1;
    }
    if (creds_load(k->args.config, k->conf, &k->creds, err, sizeof err, conf_warn, k)) {
        log_msg(&k->log, LOG_CFG, 0, "%s", err);
        fprintf(stderr, "kited: %s\n", err);
        return 1;
    }
    if (k->args.keylog && keylog_open(&k->keylog, k->args.keylog, err, sizeof err)) {
        log_msg(&k->log, LOG_DMN, 0, "keylog %s", err);
        fprintf(stderr, "kited: keylog %s\n", err);
        return 1;
    }
    if (k->args.keylog) /* never implicit, always said: the file defeats IPsec's protection */
        log_msg(&k->log, LOG_DMN, 0, "keylog: writing IKE and ESP SA keys to %s (a debugging aid: whoever "
                "reads it decrypts the traffic)", k->args.keylog);
    log_flush(&k->log); /* not copied into the detached process */
    if (!k->args.foreground && daemon(1, 0) < 0) {
        log_msg(&k->log, LOG_DMN, 0, "cannot detach: %s", strerror(errno));
        return 1;
    }
    if (pid_file(k) < 0)
        return 1;
    k->ike = ike_engine_new(&env);
    if (k->ike)
        ike_engine_set_creds(k->ike, k->creds);
    if (k->ike)
        ike_engine_set_keylog(k->ike, k->keylog.fd >= 0);
    if (!k->ike || set_limits(k) || loop_init(&k->loop, sigs, 4, on_signal, on_deadline, k) || open_sockets(k))
        return 1;
    if (open_updown(k) || open_helpers(k))
        return 1;
    if (!k->args.no_dataplane && !dp_open(&k->dp, &k->log)) {
        k->dp.unknown_spi = on_unknown_spi;
        k->dp.ctx = k;
        for (int i = 0; i < k->n_socks; i++)
            if (k->socks[i].natt) {
                *(k->socks[i].family == AF_INET6 ? &k->dp.udp_fd6 : &k->dp.udp_fd4) = k->socks[i].fd;
                /* UDP-encapsulated ESP in coalesced reads and segmented sends */
                if (k->dp.offload && udp_enable_gro(&k->socks[i]) == 0)
                    k->dp.udp_gso = true;
            }
        k->dp.no_sa = traps_packet;
        k->dp.no_sa_ctx = &k->traps;
        loop_add_fd(&k->loop, k->dp.tun_fd, on_tun, k);
        loop_add_fd(&k->loop, k->dp.raw4.fd, on_raw, k);
        if (k->dp.raw6.fd >= 0)
            loop_add_fd(&k->loop, k->dp.raw6.fd, on_raw, k);
    }
    traps_init(&k->traps, &k->dp, k->ike, &k->log, &(struct trap_limits){ (uint32_t)k->args.trap_queue,
               (uint32_t)k->args.trap_hold_ms, (uint32_t)k->args.trap_retry_ms });
    open_vici(k);
    open_metrics(k);
    open_netwatch(k);
    k->loop.spin_us = (uint32_t)k->args.busy_poll_us;
    log_msg(&k->log, LOG_DMN, 1, "kited starting (IKE port %d, NAT-T port %d, busy-poll %d us)", k->args.port,
            k->args.natt_port, k->args.busy_poll_us);
    if (k->args.user && drop_privileges(k))
        return 1;
    struct reconf r = reconf_of(k);
    reconf_apply(&r, k->conf, loop_now_ms(), NULL);
    traps_sync(&k->traps);
    drain(k);
    /* sockets bound, configuration loaded: systemd's Type=notify may go on */
    if (notify_send("READY=1") < 0)
        log_msg(&k->log, LOG_DMN, 0, "cannot notify systemd (NOTIFY_SOCKET): %s", strerror(errno));
    int rc = loop_run(&k->loop);
    notify_send("STOPPING=1");
    dp_log_sas(&k->dp, 1);
    metrics_close(k->metrics);
    k->metrics = NULL;
    vici_srv_close(k->vici);
    k->vici = NULL;
    vip_free(&k->vips, &k->dp, &k->log);
    traps_free(&k->traps);
    dp_close(&k->dp);
    netwatch_close(&k->nw);
    log_msg(&k->log, LOG_DMN, 1, "kited stopped");
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct kited *k = calloc(1, sizeof *k);
    char err[256];
    if (!k)
        return 1;
    k->keylog.fd = -1;
    k->updown.epfd = -1;
    k->helpers.epfd = -1;
    k->nw.fd = -1;
    int rc = kited_args_parse(&k->args, argc, argv, err, sizeof err);
    if (rc) {
        fprintf(rc < 0 ? stderr : stdout, "%s%s%s", rc < 0 ? "kited: " : "", rc < 0 ? err : "", rc < 0 ? "\n" : "");
        fputs(kited_usage(), rc < 0 ? stderr : stdout);
        free(k);
        return rc < 0 ? 2 : 0;
    }
    if (k->args.check_config) { /* before any log file, socket or run directory */
        rc = checkconf_run(k->args.check_config, stdout, stderr);
        free(k);
        return rc;
    }
    struct log_out out;
    if (log_out_open(&out, &k->args, &k->log)) {
        free(k);
        return 1;
    }
    memtune_apply();
    rc = run(k);
    for (int i = 0; i < k->n_socks; i++)
        udp_close(&k->socks[i]);
    ike_engine_free(k->ike);
    if (k->creds)
        cred_store_unref(k->creds);
    if (k->live)
        cred_store_unref(k->live);
    updown_finish(&k->updown); /* the down scripts of the SAs just closed */
    updown_free(&k->updown);
    helpers_finish(&k->helpers); /* the DNS settings reverted by vip_free */
    helpers_free(&k->helpers);
    resolve_free(&k->resolver);
    conf_free(k->conf);
    keylog_close(&k->keylog);
    loop_free(&k->loop);
    log_out_close(&out);
    free(k);
    return rc;
}
