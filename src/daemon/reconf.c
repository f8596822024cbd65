/* reconf: the difference between the running and a new configuration,
 * applied to the engine (reconf.h). */
#include "daemon/reconf.h"
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/log.h"
#include "daemon/bridge.h"
#include "daemon/secrets.h"

int reconf_conn(const struct reconf *r, const struct kite_conf *c, int i, struct ike_conn_cfg *out, char *err,
                size_t cap)
{
    const struct kited_args *a = r->args;
    int rc = bridge_conn(c, i, r->creds, (uint16_t)a->port, (uint16_t)a->natt_port, out, err, cap);
    if (rc < 0)
        return rc;
    if (a->retransmit_timeout_ms)
        out->retransmit_timeout_ms = (uint32_t)a->retransmit_timeout_ms;
    if (a->retransmit_base_milli)
        out->retransmit_base_milli = (uint32_t)a->retransmit_base_milli;
    if (a->retransmit_tries)
        out->retransmit_tries = (uint8_t)a->retransmit_tries;
    out->keepalive_ms = (uint32_t)a->keepalive_ms;
    out->mobike_client = true; /* kited follows its own addresses (daemon/netwatch.c) */
    return rc;
}

/* the running connections c no longer has: removed, their SAs closed */
static void remove_gone(const struct reconf *r, const struct kite_conf *c, uint64_t now, struct reconf_count *n)
{
    const struct ike_conn_cfg *run;
    for (int i = 0; (run = ike_engine_conn(r->ike, i)) != NULL;) {
        if (conf_conn_find(c, run->name) >= 0) {
            i++;
            continue;
        }
        char name[IKE_NAME_MAX];
        memcpy(name, run->name, sizeof name);
        int closed = ike_engine_remove_conn(r->ike, name, now); /* the next one moves to index i */
        log_msg(r->log, LOG_CFG, 1, "connection '%s' removed, %d IKE_SA(s) closed", name, closed);
        n->removed++;
    }
}

static void load_one(const struct reconf *r, const struct kite_conf *c, int i, struct ike_conn_cfg *cfg,
                     uint64_t now, struct reconf_count *n)
{
    char err[256];
    const char *name = c->conns[i].name;
    int brc = reconf_conn(r, c, i, cfg, err, sizeof err);
    if (brc < 0) {
        int closed = ike_engine_remove_conn(r->ike, name, now);
        log_msg(r->log, LOG_CFG, 0, "connection '%s' not loaded: %s%s", name, err,
                closed >= 0 ? " (the running one is removed, its SAs closed)" : "");
        n->failed++;
        return;
    }
    if (brc > 0)
        log_msg(r->log, LOG_CFG, 0, "connection '%s': %s", name, err);
    int rc = ike_engine_load_conn(r->ike, cfg, now);
    ike_conn_cfg_free(cfg); /* the engine holds its own copy */
    static const char *const what[] = { [IKE_CONN_UNCHANGED] = "unchanged, its SAs kept",
                                        [IKE_CONN_ADDED] = "loaded",
                                        [IKE_CONN_REPLACED] = "changed: replaced, its SAs closed",
                                        [IKE_CONN_NEW_PSK] = "pre-shared key replaced" };
    if (rc < 0)
        log_msg(r->log, LOG_CFG, 0, "connection '%s' not loaded: %s", name, kite_strerror(rc));
    else if (rc == IKE_CONN_ADDED)
        log_msg(r->log, LOG_CFG, 1, "loaded connection '%s'", name);
    else
        log_msg(r->log, LOG_CFG, rc == IKE_CONN_UNCHANGED ? 2 : 1, "connection '%s': %s", name, what[rc]);
    n->failed += rc < 0;
    n->added += rc == IKE_CONN_ADDED;
    n->replaced += rc == IKE_CONN_REPLACED;
    n->unchanged += rc == IKE_CONN_UNCHANGED || rc == IKE_CONN_NEW_PSK;
}

/* the pools first: connections loaded next assign from them */
static void pools_apply(const struct reconf *r, const struct kite_conf *c)
{
    struct ike_pool_cfg *p;
    struct ike_pool_attr *a;
    unsigned n;
    int rc = bridge_pools(c, &p, &a, &n) ? KITE_E_NOMEM : ike_engine_set_pools(r->ike, p, n);
    if (rc)
        log_msg(r->log, LOG_CFG, 0, "pools not loaded: %s (the running ones stay)", kite_strerror(rc));
    else if (n)
        log_msg(r->log, LOG_CFG, 2, "%u pool(s) loaded", n);
    free(p);
    free(a);
}

void reconf_apply(const struct reconf *r, const struct kite_conf *c, uint64_t now, struct reconf_count *n)
{
    struct reconf_count local;
    struct ike_conn_cfg *cfg = calloc(1, sizeof *cfg);
    n = n ? n : &local;
    memset(n, 0, sizeof *n);
    n->psks = secrets_apply(r->ike, c, r->log); /* keys by identity (secrets.c), before any initiation */
    pools_apply(r, c);
    remove_gone(r, c, now, n);
    for (int i = 0; i < c->n_conns; i++) {
        if (cfg)
            load_one(r, c, i, cfg, now, n);
        else
            n->failed++;
    }
    if (cfg)
        mem_wipe(cfg, sizeof *cfg);
    free(cfg);
}

int reconf_commit(const struct reconf *r, struct kite_conf **running, struct kite_conf *c, const char *conn,
                  uint64_t now, char *err, size_t cap)
{
    int i = conn ? conf_conn_find(c, conn) : -1;
    if (i >= 0) {
        struct ike_conn_cfg *cfg = calloc(1, sizeof *cfg);
        int rc = cfg ? reconf_conn(r, c, i, cfg, err, cap) : -1;
        if (!cfg)
            snprintf(err, cap, "out of memory");
        if (cfg) {
            ike_conn_cfg_free(cfg);
            mem_wipe(cfg, sizeof *cfg);
        }
        free(cfg);
        if (rc < 0)
            return -1;
    }
    struct reconf_count n;
    reconf_apply(r, c, now, &n);
    log_msg(r->log, LOG_CFG, 1, "configuration changed over VICI: %d added, %d replaced, %d unchanged, "
            "%d removed, %d pre-shared key(s) loaded", n.added, n.replaced, n.unchanged, n.removed, n.psks);
    conf_free(*running);
    *running = c;
    return 0;
}
