/* traps: trap policies for the engine's connections (traps.h). */
#include "daemon/traps.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"

void traps_init(struct traps *tr, struct dataplane *dp, struct ike_engine *ike, struct log_sink *log,
                const struct trap_limits *lim)
{
    trap_table_init(&tr->t);
    if (lim)
        tr->t.lim = *lim;
    tr->dp = dp;
    tr->ike = ike;
    tr->log = log;
}

void traps_free(struct traps *tr)
{
    trap_table_free(&tr->t, tr->dp && tr->dp->on ? &tr->dp->u : NULL);
}

/* "10.2.0.0..10.2.0.255" */
static const char *range_str(const struct esp_ts *ts, char *buf, size_t cap)
{
    int af = ts->family == ESP_IPV6 ? AF_INET6 : AF_INET;
    char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN];
    inet_ntop(af, ts->start, lo, sizeof lo);
    inet_ntop(af, ts->end, hi, sizeof hi);
    snprintf(buf, cap, "%s..%s", lo, hi);
    return buf;
}

/* a dynamic selector (strongSwan's default) is the connection's own
 * address on that side; false when it has none (%any) */
static bool dynamic_ts(const struct ike_ts_cfg *in, const struct ike_addr *addr, struct esp_ts *out)
{
    if (!addr->family)
        return false;
    struct ike_ts_cfg t = *in;
    t.dynamic = false;
    t.family = addr->family;
    memset(t.lo, 0, sizeof t.lo);
    memcpy(t.lo, addr->ip, addr->family == 6 ? 16 : 4);
    memcpy(t.hi, t.lo, sizeof t.hi);
    uesp_ts(&t, out);
    return true;
}

/* the selectors of one side; 0 when one cannot be known before the SA */
static unsigned selectors(const struct ike_ts_cfg *ts, unsigned n, const struct ike_addr *addr, struct esp_ts *out)
{
    static const struct ike_ts_cfg dyn = { .port_hi = 65535, .dynamic = true };
    if (!n) /* none configured: dynamic */
        return dynamic_ts(&dyn, addr, out) ? 1 : 0;
    for (unsigned i = 0; i < n; i++) {
        if (!ts[i].dynamic)
            uesp_ts(&ts[i], &out[i]);
        else if (!dynamic_ts(&ts[i], addr, &out[i]))
            return 0;
    }
    return n;
}

/* install (or keep) the trap of child ch of connection c */
static void install_ts(struct traps *tr, const struct ike_conn_cfg *c, const struct ike_child_cfg *ch,
                       unsigned origin, struct esp_ts *l, struct esp_ts *r);

static void install(struct traps *tr, const struct ike_conn_cfg *c, const struct ike_child_cfg *ch, unsigned origin)
{
    struct esp_ts *l = calloc((size_t)ch->n_local_ts + 1, sizeof *l), *r = calloc((size_t)ch->n_remote_ts + 1, sizeof *r);
    if (l && r)
        install_ts(tr, c, ch, origin, l, r);
    else
        log_msg(tr->log, LOG_CFG, 0, "trap policy of %s/%s not installed: out of memory", c->name, ch->name);
    free(l);
    free(r);
}

static void install_ts(struct traps *tr, const struct ike_conn_cfg *c, const struct ike_child_cfg *ch,
                       unsigned origin, struct esp_ts *l, struct esp_ts *r)
{
    unsigned nl = selectors(ch->local_ts, ch->n_local_ts, &c->local, l);
    unsigned nr = selectors(ch->remote_ts, ch->n_remote_ts, &c->remote, r);
    if (!c->remote.family || !nr || !nl) {
        log_msg(tr->log, LOG_CFG, 0, "CHILD_SA %s of '%s': no trap policy: %s", ch->name, c->name,
                !c->remote.family ? "the peer's address is %any (a trap initiates: it needs remote_addrs)"
                                  : "a dynamic selector needs the connection's address on that side");
        return;
    }
    const struct trap *old = trap_find(&tr->t, c->name, ch->name);
    bool had = old != NULL;
    uint32_t old_id = old ? old->policy_id : 0;
    int rc = trap_add(&tr->t, &tr->dp->u, c->name, ch->name, origin, l, nl, r, nr);
    const struct trap *now = rc ? NULL : trap_find(&tr->t, c->name, ch->name);
    if (now && now->policy_id != old_id) { /* new, or new selectors: their routes */
        if (old_id)
            dp_trap_routes(tr->dp, old_id, NULL, NULL, 0, false);
        dp_trap_routes(tr->dp, now->policy_id, &l[0], r, nr, true);
    }
    char ls[100], rs[100];
    if (rc)
        log_msg(tr->log, LOG_CFG, 0, "trap policy of %s/%s not installed: %s", c->name, ch->name, kite_strerror(rc));
    else if (!had)
        log_msg(tr->log, LOG_CFG, 1, "installed trap policy for CHILD_SA %s of '%s': %s === %s%s", ch->name, c->name,
                range_str(&l[0], ls, sizeof ls), range_str(&r[0], rs, sizeof rs), nl * nr > 1 ? " (and more)" : "");
}

static const struct ike_conn_cfg *conn_of(const struct traps *tr, const char *name, const struct ike_child_cfg **ch,
                                          const char *child)
{
    const struct ike_conn_cfg *c;
    for (int i = 0; (c = ike_engine_conn(tr->ike, i)) != NULL; i++) {
        if (strcmp(c->name, name))
            continue;
        for (uint32_t j = 0; j < c->n_children; j++)
            if (!strcmp(c->child[j].name, child)) {
                *ch = &c->child[j];
                return c;
            }
    }
    return NULL;
}

/* the origins a trap still has under the running configuration */
static unsigned still(const struct ike_child_cfg *ch, unsigned origin)
{
    unsigned keep = ch->trap ? TRAP_BY_CONFIG : 0;
    if ((origin & TRAP_BY_REARM) && (ch->close_action == IKE_CLOSE_TRAP || ch->dpd_trap))
        keep |= TRAP_BY_REARM;
    return keep;
}

/* traps whose connection or child went, or no longer wants one */
static void remove_stale(struct traps *tr)
{
    for (size_t i = 0; i < tr->t.n;) {
        struct trap *t = tr->t.v[i];
        const struct ike_child_cfg *ch = NULL;
        const struct ike_conn_cfg *c = conn_of(tr, t->conn, &ch, t->child);
        unsigned keep = c ? still(ch, t->origin) : 0;
        if (keep) {
            t->origin = keep;
            i++;
            continue;
        }
        log_msg(tr->log, LOG_CFG, 1, "uninstalled trap policy for CHILD_SA %s of '%s'", t->child, t->conn);
        dp_trap_routes(tr->dp, t->policy_id, NULL, NULL, 0, false);
        trap_remove(&tr->t, &tr->dp->u, t->conn, t->child); /* the next one moves to index i */
    }
}

void traps_sync(struct traps *tr)
{
    if (!tr->dp->on)
        return;
    remove_stale(tr);
    const struct ike_conn_cfg *c;
    for (int i = 0; (c = ike_engine_conn(tr->ike, i)) != NULL; i++)
        for (uint32_t j = 0; j < c->n_children; j++) {
            const struct trap *t = trap_find(&tr->t, c->name, c->child[j].name);
            unsigned origin = (c->child[j].trap ? TRAP_BY_CONFIG : 0) | (t ? t->origin : 0);
            if (origin) /* a changed connection's selectors replace the trap's */
                install(tr, c, &c->child[j], origin);
        }
}

/* trap_up's send: each held packet out through the new Child SA */
static void send_held(void *ctx, const uint8_t *pkt, size_t len)
{
    struct traps *tr = ctx;
    dp_send_held(tr->dp, pkt, len, tr->now);
}

void traps_action(struct traps *tr, const struct ike_action *a, uint64_t now)
{
    if (!tr->dp->on)
        return;
    if (a->type == IKE_ACT_CHILD_UP) {
        tr->now = now;
        int n = trap_up(&tr->t, a->child.conn, a->child.name, send_held, tr);
        dp_flush(tr->dp);
        if (n)
            log_msg(tr->log, LOG_ESP, 1, "CHILD_SA %s{%u} up: %d packet(s) held by its trap sent", a->child.name,
                    a->child.ike_sa, n);
    } else if (a->type == IKE_ACT_IKE_DOWN && strcmp(a->reason, "rekeyed") && strcmp(a->reason, "reauthenticated")) {
        int n = trap_failed(&tr->t, a->conn, NULL, now);
        if (n)
            log_msg(tr->log, LOG_ESP, 1, "acquire for '%s' failed (%s): held packets dropped", a->conn, a->reason);
    } else if (a->type == IKE_ACT_TRAP) {
        const struct ike_child_cfg *ch = NULL;
        const struct ike_conn_cfg *c = conn_of(tr, a->child.conn, &ch, a->child.name);
        if (c)
            install(tr, c, ch, TRAP_BY_REARM);
    }
}

void traps_packet(void *ctx, uint32_t policy, const uint8_t *pkt, size_t len, uint64_t now)
{
    struct traps *tr = ctx;
    if (trap_packet(&tr->t, policy, pkt, len, now) != TRAP_ACQUIRE)
        return;
    struct trap *t = trap_by_policy(&tr->t, policy);
    log_msg(tr->log, LOG_KNL, 1, "acquire for CHILD_SA %s of '%s' (a packet matched its trap policy): initiating",
            t->child, t->conn);
    int rc = ike_initiate(tr->ike, t->conn, t->child, now);
    if (rc) {
        log_msg(tr->log, LOG_KNL, 0, "acquire for CHILD_SA %s of '%s': cannot initiate: %s", t->child, t->conn,
                kite_strerror(rc));
        trap_failed(&tr->t, t->conn, t->child, now);
    }
}

uint64_t traps_tick(struct traps *tr, uint64_t now)
{
    return tr->dp->on ? trap_tick(&tr->t, now) : UINT64_MAX;
}
