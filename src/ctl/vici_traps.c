/* list-policies: kited's trap policies (start_action = trap, sa/trap.h), as
 * charon lists its trap policies: one list-policy event per trap, named
 * "conn/child", before the (empty) answer.  kite has no pass or drop
 * policies, so only trap ones are listed. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "ctl/vici_int.h"
#include "sa/trap.h"

static bool arg_yes(struct vici_req *r, const char *key)
{
    char v[8];
    return vici_msg_get_str(r->msg, key, v, sizeof v) && (!strcasecmp(v, "yes") || !strcasecmp(v, "true"));
}

static bool transport_of(const struct vici_req *r, const struct trap *t)
{
    const struct ike_conn_cfg *c;
    for (int i = 0; (c = ike_engine_conn(r->s->env.ike, i)) != NULL; i++)
        for (uint32_t j = 0; !strcmp(c->name, t->conn) && j < c->n_children; j++)
            if (!strcmp(c->child[j].name, t->child))
                return c->child[j].transport;
    return false;
}

static void ts_list(struct vici_bld *b, const char *key, const struct esp_ts *ts, unsigned n)
{
    char buf[128];
    vici_bld_list(b, key);
    for (unsigned i = 0; i < n; i++) {
        struct ike_ts_cfg t = { .family = ts[i].family, .ip_proto = ts[i].proto, .port_lo = ts[i].port_lo,
                                .port_hi = ts[i].port_hi };
        memcpy(t.lo, ts[i].start, 16);
        memcpy(t.hi, ts[i].end, 16);
        vici_bld_item_str(b, vici_ts_str(&t, buf, sizeof buf));
    }
    vici_bld_list_end(b);
}

int vici_traps_list(struct vici_req *r)
{
    const struct trap_table *tt = r->s->env.traps;
    char child[IKE_NAME_MAX], name[2 * IKE_NAME_MAX + 2];
    bool filter = vici_msg_get_str(r->msg, "child", child, sizeof child) && child[0];
    bool any = arg_yes(r, "trap") || arg_yes(r, "drop") || arg_yes(r, "pass");
    if (!tt || (any && !arg_yes(r, "trap"))) /* charon: none of the three asked means all */
        return 0;
    for (size_t i = 0; i < tt->n; i++) {
        const struct trap *t = tt->v[i];
        if (filter && strcmp(child, t->child))
            continue;
        snprintf(name, sizeof name, "%s/%s", t->conn, t->child);
        vici_bld_packet(&r->s->ev, VICI_EVENT, "list-policy");
        vici_bld_section(&r->s->ev, name);
        vici_bld_kv_str(&r->s->ev, "child", t->child);
        vici_bld_kv_str(&r->s->ev, "ike", t->conn);
        vici_bld_kv_str(&r->s->ev, "mode", transport_of(r, t) ? "TRANSPORT" : "TUNNEL");
        ts_list(&r->s->ev, "local-ts", t->local, t->n_local);
        ts_list(&r->s->ev, "remote-ts", t->remote, t->n_remote);
        vici_bld_end(&r->s->ev);
        vici_event_send(r->s, r->c, VICI_EV_LIST_POLICY);
    }
    return 0;
}
