/* vici_pool: the virtual IP pool commands with charon 5.9.8's keys
 * (strongSwan's vici README, read to learn them): load-pool { name { addrs,
 * dns, ... } } as swanctl --load-pools sends it, read by conf/'s pool parser
 * (the same keys and errors as a file's pools section); unload-pool
 * { name }; get-pools answers { name { base, size, online, offline } },
 * with leases = yes also leases { N { address, identity, status } } (swanctl
 * --list-pools --leases), with name = X only pool X.
 * Pools change the running configuration as load-conn does: a pool whose
 * range stays keeps its leases. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include "conf/conf.h"
#include "conf/settings.h"
#include "ctl/vici_int.h"
#include "cred/id.h"

static int answer(struct vici_req *r, const char *errmsg)
{
    vici_bld_packet(r->b, VICI_CMD_RESPONSE, NULL);
    vici_bld_kv_str(r->b, "success", errmsg ? "no" : "yes");
    if (errmsg)
        vici_bld_kv_str(r->b, "errmsg", errmsg);
    return 0;
}

static void warn(void *ctx, const char *msg)
{
    struct vici_req *r = ctx;
    log_msg(r->s->env.log, LOG_CFG, 0, "warning: %s", msg);
}

static int put_pool(struct kite_conf *c, void *arg, char *err, size_t cap)
{
    struct conf_pool p = *(struct conf_pool *)arg;
    ((struct conf_pool *)arg)->attrs = NULL; /* the configuration's now */
    if (conf_pool_put(c, &p)) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    return 0;
}

int vici_cmd_load_pool(struct vici_req *r)
{
    struct set_tree t;
    struct conf_pool p = { 0 };
    char err[400];
    memset(&t, 0, sizeof t);
    int rc = vici_conn_tree(r->msg, "load-pool", &t, err, sizeof err);
    struct set_node *sec = t.root.child;
    if (!rc && (!sec || sec->value || sec->next)) {
        snprintf(err, sizeof err, "expected one section, named by the pool");
        rc = -1;
    }
    if (!rc)
        rc = conf_pool_parse_node(sec, &p, err, sizeof err, warn, r);
    if (rc)
        answer(r, err);
    else {
        log_msg(r->s->env.log, LOG_CFG, 1, "load-pool '%s'", p.name);
        vici_conf_change(r, put_pool, &p);
    }
    free(p.attrs);
    set_free(&t);
    return 0;
}

static int del_pool(struct kite_conf *c, void *arg, char *err, size_t cap)
{
    if (!conf_pool_del(c, arg))
        return 0;
    snprintf(err, cap, "unload: pool '%s' not found", (const char *)arg);
    return -1;
}

int vici_cmd_unload_pool(struct vici_req *r)
{
    char name[CONF_NAME_MAX];
    if (!vici_msg_get_str(r->msg, "name", name, sizeof name) || !name[0])
        return answer(r, "unload: missing pool name");
    log_msg(r->s->env.log, LOG_CFG, 1, "unload-pool '%s'", name);
    return vici_conf_change(r, del_pool, name);
}

/* one lease as charon's get-pools lists it: leases { N { address identity status } } */
struct lease_walk {
    struct vici_req *r;
    unsigned n;
};

static void lease_one(void *ctx, const struct ike_addr *addr, uint8_t id_type, const uint8_t *id, size_t id_len,
                      bool online)
{
    struct lease_walk *w = ctx;
    char a[64], idbuf[256], num[16];
    inet_ntop(addr->family == 6 ? AF_INET6 : AF_INET, addr->ip, a, sizeof a);
    cred_id_format(id_type, span_of(id, id_len), idbuf, sizeof idbuf);
    snprintf(num, sizeof num, "%u", w->n++);
    vici_bld_section(w->r->b, num);
    vici_bld_kv_str(w->r->b, "address", a);
    vici_bld_kv_str(w->r->b, "identity", idbuf);
    vici_bld_kv_str(w->r->b, "status", online ? "online" : "offline");
    vici_bld_end(w->r->b);
}

int vici_cmd_get_pools(struct vici_req *r)
{
    struct ike_pool_info pi;
    char a[64], yes[8] = "", only[CONF_NAME_MAX] = "";
    bool leases = vici_msg_get_str(r->msg, "leases", yes, sizeof yes) && !strcmp(yes, "yes");
    vici_msg_get_str(r->msg, "name", only, sizeof only);
    vici_bld_packet(r->b, VICI_CMD_RESPONSE, NULL);
    for (unsigned i = 0; ike_engine_pool_info(r->s->env.ike, i, &pi); i++) {
        if (!pi.family || (only[0] && strcmp(only, pi.name)))
            continue; /* attributes only: charon lists address pools */
        vici_bld_section(r->b, pi.name);
        inet_ntop(pi.family == 6 ? AF_INET6 : AF_INET, pi.lo, a, sizeof a);
        vici_bld_kv_str(r->b, "base", a);
        vici_bld_kv_fmt(r->b, "size", "%llu", (unsigned long long)pi.size);
        vici_bld_kv_fmt(r->b, "online", "%llu", (unsigned long long)pi.online);
        vici_bld_kv_fmt(r->b, "offline", "%llu", (unsigned long long)pi.offline);
        if (leases) {
            struct lease_walk w = { r, 0 };
            vici_bld_section(r->b, "leases");
            ike_engine_pool_leases(r->s->env.ike, i, lease_one, &w);
            vici_bld_end(r->b);
        }
        vici_bld_end(r->b);
    }
    return 0;
}
