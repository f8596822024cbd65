/* kite-load: a load generator for IKEv2 responders (issue 13).  N initiators,
 * each with its own identity ("load-%u@example.com") and IKE SA with one Child
 * SA, from one process and one local address: one kite engine (src/ike) whose
 * IKE SAs are made with ike_initiate_as, UDP sockets (one per source port,
 * --ports) and a poll loop.  Child SAs are negotiated, never installed: there
 * is no data plane.  Initiations start at --rate per second, at most --window
 * of them unfinished at once; the setup report (established, failures by
 * reason, setup latency p50/p99/max, SAs per second) is printed when every
 * initiator is up or has failed, or at --timeout; with --hold the SAs stay up
 * that long and are then deleted.  See docs/load.md. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "conf/conf.h"
#include "cred/id.h"
#include "crypto/rand.h"
#include "daemon/bridge.h"
#include "daemon/creds.h"
#include "daemon/secrets.h"
#include "io/udp.h"
#include "kite_load.h"

struct opts {
    const char *remote, *local, *psk, *ike, *esp, *id_fmt, *remote_id, *local_ts, *remote_ts;
    const char *config, *conn;
    uint16_t remote_port, local_port;
    uint32_t n, ports, window;
    double rate, timeout_s, hold_s;
    uint32_t retx_ms, retx_tries;
    bool json, id_fmt_set;
    int verbose;
};

/* one initiator: its IKE SA and when it was started and came up (us since t0) */
enum { INI_IDLE, INI_PENDING, INI_UP, INI_FAILED, INI_GONE };
struct ini {
    uint32_t sa;
    uint32_t start_us;
    uint8_t st;
};

struct gen {
    struct opts o;
    struct ike_engine *e;
    struct udp_sock *socks;   /* o.ports for IKE, then the NAT-T socket when open */
    struct pollfd *pfd;
    uint32_t n_socks;
    struct ike_conn_cfg conn;
    struct ini *ini;
    struct load_map map;
    struct load_lat lat;
    struct load_report rep;
    struct ike_action *act;
    uint64_t t0_us, last_us;
    uint32_t pending, downs_after_up;
    uint8_t *buf;
};

static volatile sig_atomic_t stop_now;
static void on_signal(int s)
{
    (void)s;
    stop_now = 1;
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void env_random(void *ctx, uint8_t *p, size_t n)
{
    (void)ctx;
    crypto_random(p, n);
}

static void env_log(void *ctx, int subsys, int level, const char *msg)
{
    const struct gen *g = ctx;
    (void)subsys;
    if (level < g->o.verbose)
        fprintf(stderr, "%s\n", msg);
}

static long rss_kb(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return rss * 4;
}

/* ---- addresses ---- */


/* ---- the initiator's connection ---- */

static void warn_cb(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "kite-load: warning: %s\n", msg);
}

/* a swanctl.conf for the options (conn "load"), the PSK as a shared secret */
static char *conf_text(const struct opts *o, const char *first_id)
{
    char *t = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&t, &n);
    if (!f)
        return NULL;
    fprintf(f, "connections { load { version = 2\n local_addrs = %s\n remote_addrs = %s\n proposals = %s\n",
            o->local, o->remote, o->ike);
    fprintf(f, " local { auth = psk\n id = \"%s\" }\n remote { auth = psk\n", first_id);
    if (o->remote_id)
        fprintf(f, " id = \"%s\"\n", o->remote_id);
    fprintf(f, " }\n children { load { esp_proposals = %s\n local_ts = %s\n remote_ts = %s } } } }\n", o->esp,
            o->local_ts, o->remote_ts);
    fprintf(f, "secrets { ike-load { secret = \"%s\" } }\n", o->psk);
    fclose(f);
    return t;
}

static int conn_from_conf(struct gen *g, struct kite_conf *c, struct cred_store *cs, const char *name)
{
    char err[256];
    int i = conf_conn_find(c, name);
    if (i < 0) {
        fprintf(stderr, "kite-load: no connection '%s'\n", name);
        return -1;
    }
    if (bridge_conn(c, i, cs, g->o.remote_port, 4500, &g->conn, err, sizeof err) < 0) {
        fprintf(stderr, "kite-load: connection '%s': %s\n", name, err);
        return -1;
    }
    if (g->o.retx_ms)
        g->conn.retransmit_timeout_ms = g->o.retx_ms;
    if (g->o.retx_tries)
        g->conn.retransmit_tries = (uint8_t)g->o.retx_tries;
    g->conn.keyingtries = 1;
    g->conn.keyingtries_set = true;
    for (uint32_t k = 0; k < g->conn.n_children; k++)
        g->conn.child[k].start = false;
    return 0;
}

static int open_socks(struct gen *g);

/* the connection from --config (and its credentials: certificates) or the options */
static int load_conn(struct gen *g)
{
    char err[512], id[256];
    struct kite_conf *c = NULL;
    struct cred_store *cs = NULL;
    int rc;
    if (g->o.config) {
        rc = conf_load_file(g->o.config, &c, err, sizeof err, warn_cb, NULL);
        if (!rc && (rc = creds_load(g->o.config, c, &cs, err, sizeof err, warn_cb, NULL)) != 0)
            cs = NULL;
    } else {
        char *t = load_id_format(g->o.id_fmt, 1, id, sizeof id) ? NULL : conf_text(&g->o, id);
        rc = t ? conf_load_string(t, "kite-load", &c, err, sizeof err, warn_cb, NULL) : -1;
        if (!t)
            snprintf(err, sizeof err, "bad --id-format or out of memory");
        free(t);
    }
    if (rc) {
        fprintf(stderr, "kite-load: %s\n", err);
        conf_free(c);
        return -1;
    }
    rc = conn_from_conf(g, c, cs, g->o.config ? g->o.conn : "load");
    if (!rc)
        rc = open_socks(g);
    if (!rc)
        rc = ike_engine_add_conn(g->e, &g->conn) ? -1 : 0;
    if (!rc && secrets_apply(g->e, c, NULL) < 0) /* PSKs are looked up by identity (ike/psks.c) */
        rc = -1;
    ike_engine_set_creds(g->e, cs);
    cred_store_unref(cs);
    conf_free(c);
    return rc;
}

/* ---- sockets ---- */

/* the NAT-T port (RFC 3948): a peer behind a NAT, or one faking it (charon
 * with kernel-libipsec does, to get ESP in UDP), moves IKE there after
 * IKE_SA_INIT; all initiators share it.  Not fatal when taken: logged */
static void open_natt(struct gen *g, int family, const char *a)
{
    struct udp_sock *s = &g->socks[g->o.ports];
    int rc = udp_open(s, family, a, g->conn.natt_port, true);
    if (rc) {
        fprintf(stderr, "kite-load: warning: no NAT-T socket on %s port %u (%s): peers that move to it fail\n", a,
                g->conn.natt_port, strerror(-rc));
        return;
    }
    g->pfd[g->o.ports] = (struct pollfd){ .fd = s->fd, .events = POLLIN };
    g->n_socks = g->o.ports + 1;
}

static int open_socks(struct gen *g)
{
    int family = g->conn.local.family == 6 ? AF_INET6 : AF_INET;
    char a[64];
    ike_addr_str(&g->conn.local, a, sizeof a);
    *strchr(a, '[') = 0;
    g->socks = calloc(g->o.ports + 1, sizeof *g->socks);
    g->pfd = calloc(g->o.ports + 1, sizeof *g->pfd);
    if (!g->socks || !g->pfd)
        return -1;
    for (uint32_t k = 0; k <= g->o.ports; k++)
        g->socks[k].fd = -1;
    for (uint32_t k = 0; k < g->o.ports; k++) {
        uint16_t port = g->o.local_port ? (uint16_t)(g->o.local_port + k) : 0;
        int rc = udp_open(&g->socks[k], family, a, port, false);
        if (rc) {
            fprintf(stderr, "kite-load: cannot bind %s port %u: %s\n", a, port, strerror(-rc));
            return -1;
        }
        g->pfd[k] = (struct pollfd){ .fd = g->socks[k].fd, .events = POLLIN };
    }
    g->n_socks = g->o.ports;
    open_natt(g, family, a);
    return 0;
}

static struct udp_sock *sock_for_port(struct gen *g, uint16_t port)
{
    if (g->n_socks > g->o.ports && port == g->socks[g->o.ports].port)
        return &g->socks[g->o.ports];
    if (g->o.local_port && port >= g->o.local_port && port - g->o.local_port < (int)g->o.ports)
        return &g->socks[port - g->o.local_port];
    for (uint32_t k = 0; k < g->o.ports; k++)
        if (g->socks[k].port == port)
            return &g->socks[k];
    return &g->socks[0];
}

/* ---- the engine's actions ---- */

static void ini_done(struct gen *g, int64_t i, bool up)
{
    struct ini *x = &g->ini[i];
    g->pending--;
    g->last_us = now_us();
    if (up) {
        x->st = INI_UP;
        g->rep.established++;
        load_lat_add(&g->lat, (uint32_t)(g->last_us - g->t0_us - x->start_us));
    } else {
        x->st = INI_FAILED;
        g->rep.failed++;
    }
}

static void on_down(struct gen *g, uint32_t sa)
{
    int64_t i = load_map_get(&g->map, sa);
    if (i < 0)
        return;
    load_map_del(&g->map, sa);
    if (g->ini[i].st == INI_PENDING)
        ini_done(g, i, false);
    else if (g->ini[i].st == INI_UP) {
        g->ini[i].st = INI_GONE;
        g->downs_after_up++;
    }
}

static void do_action(struct gen *g, const struct ike_action *a)
{
    if (a->type == IKE_ACT_SEND) {
        struct sockaddr_storage l, r;
        udp_addr_from_ike(&a->local, &l);
        udp_addr_from_ike(&a->remote, &r);
        udp_send(sock_for_port(g, a->local.port), &l, &r, a->data, a->len, a->marker);
    } else if (a->type == IKE_ACT_IKE_UP) {
        int64_t i = load_map_get(&g->map, a->ike_sa);
        if (i >= 0 && g->ini[i].st == INI_PENDING)
            ini_done(g, i, true); /* IKE_AUTH is done (its Child SA comes with it) */
    } else if (a->type == IKE_ACT_IKE_DOWN) {
        on_down(g, a->ike_sa);
    }
}

static void drain(struct gen *g)
{
    while (ike_next_action(g->e, g->act)) {
        do_action(g, g->act);
        ike_action_wipe(g->act);
    }
}

/* ---- the loop ---- */

static void recv_all(struct gen *g, uint64_t now_ms)
{
    for (uint32_t k = 0; k < g->n_socks; k++) {
        if (!(g->pfd[k].revents & POLLIN))
            continue;
        struct udp_dgram d;
        for (int budget = 0; budget < 256 && udp_recv(&g->socks[k], g->buf, 65536, &d) == 1; budget++) {
            struct ike_addr l, r;
            udp_addr_to_ike(&d.local, &l);
            udp_addr_to_ike(&d.remote, &r);
            if (d.kind == UDP_IKE)
                ike_recv(g->e, d.data, d.len, &l, &r, now_ms);
            drain(g);
        }
    }
}

/* initiator i: identity from the format, the source port of its socket */
static int start_one(struct gen *g, uint32_t i, uint64_t now_ms)
{
    struct ike_id_cfg id = { 0 }, *idp = NULL;
    char text[IKE_ID_MAX];
    if (!g->o.config || g->o.id_fmt_set) {
        size_t len = 0;
        if (load_id_format(g->o.id_fmt, i + 1, text, sizeof text) ||
            cred_id_parse(text, &id.type, id.data, sizeof id.data, &len))
            return -1;
        id.len = (uint16_t)len;
        idp = &id;
    }
    struct ike_addr local = g->conn.local;
    local.port = g->socks[i % g->o.ports].port;
    uint32_t sa = 0;
    g->ini[i].start_us = (uint32_t)(now_us() - g->t0_us);
    g->ini[i].st = INI_PENDING;
    g->pending++;
    g->rep.started++;
    int rc = ike_initiate_as(g->e, g->conn.name, idp, &local, now_ms, &sa);
    if (rc == 0 && load_map_put(&g->map, sa, i) == 0)
        g->ini[i].sa = sa;
    else if (g->ini[i].st == INI_PENDING)
        ini_done(g, i, false);
    drain(g);
    return 0;
}

/* start the initiations due by now (--rate), --window at most unfinished */
static void start_due(struct gen *g, uint64_t t_us, uint64_t now_ms)
{
    while (g->rep.started < g->o.n && g->pending < g->o.window) {
        if (g->o.rate > 0 && (double)g->rep.started * 1e6 / g->o.rate > (double)(t_us - g->t0_us))
            break;
        if (start_one(g, g->rep.started, now_ms))
            break;
    }
}

/* poll until the next deadline of the engine, the next initiation or 50 ms */
static void step(struct gen *g)
{
    uint64_t t = now_us(), ms = t / 1000;
    int wait = 50;
    uint64_t dl = ike_next_deadline(g->e);
    if (dl <= ms)
        wait = 0;
    else if (dl - ms < (uint64_t)wait)
        wait = (int)(dl - ms);
    if (g->rep.started < g->o.n && g->pending < g->o.window)
        wait = g->o.rate > 0 && wait > 1 ? 1 : wait;
    if (poll(g->pfd, g->n_socks, wait) > 0)
        recv_all(g, now_us() / 1000);
    ms = now_us() / 1000;
    if (ike_next_deadline(g->e) <= ms) {
        ike_tick(g->e, ms);
        drain(g);
    }
}

static void run_setup(struct gen *g)
{
    uint64_t end = g->t0_us + (uint64_t)(g->o.timeout_s * 1e6);
    while (!stop_now && now_us() < end && (g->rep.started < g->o.n || g->pending)) {
        start_due(g, now_us(), now_us() / 1000);
        step(g);
    }
    g->rep.setup_s = (double)((g->last_us ? g->last_us : now_us()) - g->t0_us) / 1e6;
    struct ike_counters c;
    ike_engine_counters(g->e, NULL, &c);
    g->rep.fail[LOAD_F_TIMEOUT] = c.c[IKE_CTR_HS_FAIL_TIMEOUT];
    g->rep.fail[LOAD_F_AUTH] = c.c[IKE_CTR_HS_FAIL_AUTH];
    g->rep.fail[LOAD_F_NO_PROPOSAL] = c.c[IKE_CTR_HS_FAIL_NO_PROPOSAL];
    g->rep.fail[LOAD_F_TS] = c.c[IKE_CTR_HS_FAIL_TS];
    uint64_t known = c.c[IKE_CTR_HS_FAIL_TIMEOUT] + c.c[IKE_CTR_HS_FAIL_AUTH] + c.c[IKE_CTR_HS_FAIL_NO_PROPOSAL] +
                     c.c[IKE_CTR_HS_FAIL_TS];
    g->rep.fail[LOAD_F_OTHER] = g->rep.failed > known ? g->rep.failed - known : 0;
    g->rep.fail[LOAD_F_UNFINISHED] = g->o.n - g->rep.established - g->rep.failed;
    load_report_latency(&g->rep, &g->lat);
    g->rep.rss_kb = rss_kb();
}

/* --hold: keep them up, then delete every IKE SA and wait for the answers */
static void run_hold(struct gen *g)
{
    uint64_t t = now_us(), end = t + (uint64_t)(g->o.hold_s * 1e6);
    while (!stop_now && now_us() < end)
        step(g);
    double held = (double)(now_us() - t) / 1e6;
    uint32_t up = g->rep.established - g->downs_after_up, before = g->downs_after_up;
    uint64_t t1 = now_us();
    ike_delete_all(g->e, t1 / 1000);
    drain(g);
    uint64_t stop = t1 + (uint64_t)(g->o.timeout_s * 1e6);
    struct ike_stats st;
    ike_engine_stats(g->e, &st);
    while (now_us() < stop && st.ike_sas && g->downs_after_up - before < up) {
        step(g);
        ike_engine_stats(g->e, &st);
    }
    load_delete_print(stdout, g->downs_after_up - before, up, held, (double)(now_us() - t1) / 1e6, g->o.json);
}

/* ---- options ---- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: kite-load --remote ADDR --local ADDR --psk SECRET [options]\n"
            "       kite-load --config swanctl.conf --conn NAME [options]\n"
            "  -n, --count N            initiators, one IKE SA with one Child SA each (1)\n"
            "      --rate N[/s|/m]      initiations per second (as fast as --window allows)\n"
            "      --window N           initiations unfinished at once, at most (1000)\n"
            "      --id-format FMT      our identity per initiator, %%u its number from 1, %%x in hex\n"
            "                           (load-%%u@example.com)\n"
            "      --remote-id ID       the responder's identity (any)\n"
            "      --ike PROPOSALS      (aes128gcm16-prfsha256-x25519)\n"
            "      --esp PROPOSALS      (aes128gcm16)\n"
            "      --local-ts TS, --remote-ts TS   the Child SA's selectors, narrowed by the responder (0.0.0.0/0)\n"
            "      --remote-port P      the responder's IKE port (500)\n"
            "      --local-port P       the first source port (500; 0: ephemeral ports)\n"
            "      --ports K            K source ports (sockets), initiator i sends from the (i mod K)th (1)\n"
            "      --retransmit-timeout MS, --retransmit-tries N   (the engine's: 4000, 5)\n"
            "      --timeout S          the setup phase ends at the latest after S seconds (120)\n"
            "      --hold S             keep the SAs up S seconds, then delete them (0: exit with them up)\n"
            "      --json               the reports as JSON objects, one per line\n"
            "  -v, --verbose            the engine's log on stderr (again: more)\n");
}

enum { O_RATE = 256, O_WINDOW, O_IDF, O_RID, O_IKE, O_ESP, O_LTS, O_RTS, O_RPORT, O_LPORT, O_PORTS, O_RTO,
       O_RTRIES, O_TIMEOUT, O_HOLD, O_JSON, O_CONFIG, O_CONN, O_PSK };
static const struct option longopts[] = {
    { "remote", required_argument, NULL, 'r' }, { "local", required_argument, NULL, 'l' },
    { "count", required_argument, NULL, 'n' }, { "psk", required_argument, NULL, O_PSK },
    { "rate", required_argument, NULL, O_RATE }, { "window", required_argument, NULL, O_WINDOW },
    { "id-format", required_argument, NULL, O_IDF }, { "remote-id", required_argument, NULL, O_RID },
    { "ike", required_argument, NULL, O_IKE }, { "esp", required_argument, NULL, O_ESP },
    { "local-ts", required_argument, NULL, O_LTS }, { "remote-ts", required_argument, NULL, O_RTS },
    { "remote-port", required_argument, NULL, O_RPORT }, { "local-port", required_argument, NULL, O_LPORT },
    { "ports", required_argument, NULL, O_PORTS }, { "retransmit-timeout", required_argument, NULL, O_RTO },
    { "retransmit-tries", required_argument, NULL, O_RTRIES }, { "timeout", required_argument, NULL, O_TIMEOUT },
    { "hold", required_argument, NULL, O_HOLD }, { "json", no_argument, NULL, O_JSON },
    { "config", required_argument, NULL, O_CONFIG }, { "conn", required_argument, NULL, O_CONN },
    { "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
};

/* a whole number in lo..hi, or exit with usage */
static uint32_t num(const char *s, const char *what, uint32_t lo, uint32_t hi)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "kite-load: %s: '%s' is not a number in %u..%u\n", what, s, lo, hi);
        exit(2);
    }
    return (uint32_t)v;
}

static double secs(const char *s, const char *what)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= 0) || v > 1e7) {
        fprintf(stderr, "kite-load: %s: '%s' is not a number of seconds\n", what, s);
        exit(2);
    }
    return v;
}

static void opt_one(struct opts *o, int c, const char *arg)
{
    switch (c) {
    case 'r': o->remote = arg; break;
    case 'l': o->local = arg; break;
    case 'n': o->n = num(arg, "--count", 1, 10000000); break;
    case O_PSK: o->psk = arg; break;
    case O_RATE:
        if (load_rate_parse(arg, &o->rate)) {
            fprintf(stderr, "kite-load: --rate: '%s' is not N, N/s or N/m\n", arg);
            exit(2);
        }
        break;
    case O_WINDOW: o->window = num(arg, "--window", 1, 10000000); break;
    case O_IDF: o->id_fmt = arg; o->id_fmt_set = true; break;
    case O_RID: o->remote_id = arg; break;
    case O_IKE: o->ike = arg; break;
    case O_ESP: o->esp = arg; break;
    case O_LTS: o->local_ts = arg; break;
    case O_RTS: o->remote_ts = arg; break;
    case O_RPORT: o->remote_port = (uint16_t)num(arg, "--remote-port", 1, 65535); break;
    case O_LPORT: o->local_port = (uint16_t)num(arg, "--local-port", 0, 65535); break;
    case O_PORTS: o->ports = num(arg, "--ports", 1, 60000); break;
    case O_RTO: o->retx_ms = num(arg, "--retransmit-timeout", 1, 600000); break;
    case O_RTRIES: o->retx_tries = num(arg, "--retransmit-tries", 1, 255); break;
    case O_TIMEOUT: o->timeout_s = secs(arg, "--timeout"); break;
    case O_HOLD: o->hold_s = secs(arg, "--hold"); break;
    case O_JSON: o->json = true; break;
    case O_CONFIG: o->config = arg; break;
    case O_CONN: o->conn = arg; break;
    case 'v': o->verbose++; break;
    case 'h': usage(stdout); exit(0);
    default: usage(stderr); exit(2);
    }
}

static void parse(struct opts *o, int argc, char **argv)
{
    *o = (struct opts){ .ike = "aes128gcm16-prfsha256-x25519", .esp = "aes128gcm16",
                        .id_fmt = "load-%u@example.com", .local_ts = "0.0.0.0/0", .remote_ts = "0.0.0.0/0",
                        .remote_port = 500, .local_port = 500, .n = 1, .ports = 1, .window = 1000,
                        .timeout_s = 120 };
    int c;
    while ((c = getopt_long(argc, argv, "r:l:n:vh", longopts, NULL)) != -1)
        opt_one(o, c, optarg);
    char probe[IKE_ID_MAX];
    const char *bad = optind < argc                           ? "unexpected arguments"
                      : o->config && !o->conn                 ? "--config needs --conn NAME"
                      : !o->config && (!o->remote || !o->local || !o->psk) ? "--remote, --local and --psk are needed"
                      : load_id_format(o->id_fmt, o->n, probe, sizeof probe) ? "--id-format: only %u, %x and %% (and short)"
                      : (uint64_t)o->local_port + o->ports > 65536          ? "--local-port + --ports beyond 65535"
                                                                            : NULL;
    if (bad) {
        fprintf(stderr, "kite-load: %s\n", bad);
        usage(stderr);
        exit(2);
    }
}

static int gen_init(struct gen *g)
{
    const struct ike_env env = { g, env_random, env_log, 0, NULL };
    g->e = ike_engine_new(&env);
    g->ini = calloc(g->o.n, sizeof *g->ini);
    g->act = malloc(sizeof *g->act);
    g->buf = malloc(65536);
    g->rep.n = g->o.n;
    if (!g->e || !g->ini || !g->act || !g->buf || load_map_init(&g->map, g->o.n)) {
        fprintf(stderr, "kite-load: out of memory\n");
        return -1;
    }
    return load_conn(g);
}

static void gen_free(struct gen *g)
{
    for (uint32_t k = 0; g->socks && k <= g->o.ports; k++)
        if (g->socks[k].fd >= 0)
            udp_close(&g->socks[k]);
    ike_engine_free(g->e);
    ike_conn_cfg_free(&g->conn); /* the lists bridge_conn allocated */
    free(g->socks);
    free(g->pfd);
    free(g->ini);
    free(g->act);
    free(g->buf);
    load_map_free(&g->map);
    load_lat_free(&g->lat);
}

int main(int argc, char **argv)
{
    static struct gen g;
    parse(&g.o, argc, argv);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    int rc = gen_init(&g);
    if (!rc) {
        g.t0_us = now_us();
        run_setup(&g);
        load_report_print(stdout, &g.rep, g.o.json);
        fflush(stdout);
        if (g.o.hold_s > 0 && !stop_now)
            run_hold(&g);
        rc = g.rep.established == g.o.n ? 0 : 1;
    } else {
        rc = 2;
    }
    gen_free(&g);
    return rc;
}
