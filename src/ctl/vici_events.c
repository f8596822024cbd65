/* vici_events: the ike-rekey and child-rekey events, and the commands of
 * charon 5.9.8 that kite answers without having what they act on yet:
 * list-policies (trap, pass and drop policies: kite has none), install and
 * uninstall (trap policies), and reload-settings (get-pools, load-pool and
 * unload-pool are vici_pool.c's).  The keys are charon's (strongSwan's vici
 * README and vici_query.c, read to learn them). */
#include <stdio.h>
#include <string.h>
#include "base/err.h"
#include "base/log.h"
#include "ctl/vici_int.h"

/* ---- ike-rekey, child-rekey ---- */

/* an SA the engine no longer has: its unique id only */
static void gone(struct vici_bld *b, const char *key, uint32_t id)
{
    vici_bld_kv_fmt(b, key, "%u", id);
}

/* {conn {old {list-sa keys} new {list-sa keys}}} */
static void ike_rekey(struct vici_srv *s, const struct ike_action *a)
{
    vici_bld_packet(&s->ev, VICI_EVENT, "ike-rekey");
    vici_bld_section(&s->ev, a->conn[0] ? a->conn : "unknown");
    vici_bld_section(&s->ev, "old");
    if (!vici_cmd_ike_keys(s, &s->ev, a->old_ike_sa))
        gone(&s->ev, "uniqueid", a->old_ike_sa);
    vici_bld_end(&s->ev);
    vici_bld_section(&s->ev, "new");
    if (!vici_cmd_ike_keys(s, &s->ev, a->ike_sa))
        gone(&s->ev, "uniqueid", a->ike_sa);
    vici_bld_end(&s->ev);
    vici_bld_end(&s->ev);
}

/* {conn {list-sa keys, child-sas {name {old {..} new {..}}}}}: the Child SA
 * a CHILD_UP replaces is still in the engine (REKEYED) until its delete */
static void child_rekey(struct vici_srv *s, const struct ike_action *a)
{
    const struct ike_child_sa *c = &a->child;
    vici_bld_packet(&s->ev, VICI_EVENT, "child-rekey");
    vici_bld_section(&s->ev, c->conn);
    if (!vici_cmd_ike_keys(s, &s->ev, c->ike_sa))
        gone(&s->ev, "uniqueid", c->ike_sa);
    vici_bld_section(&s->ev, "child-sas");
    vici_bld_section(&s->ev, c->name);
    vici_bld_section(&s->ev, "old");
    if (!vici_cmd_child_keys(s, &s->ev, c->ike_sa, c->replaces_spi_in)) {
        vici_bld_kv_str(&s->ev, "name", c->name);
        gone(&s->ev, "uniqueid", c->replaces_spi_in);
        vici_bld_kv_fmt(&s->ev, "spi-in", "%.8x", c->replaces_spi_in);
    }
    vici_bld_end(&s->ev);
    vici_bld_section(&s->ev, "new");
    if (!vici_cmd_child_keys(s, &s->ev, c->ike_sa, c->spi_in)) {
        vici_bld_kv_str(&s->ev, "name", c->name);
        gone(&s->ev, "uniqueid", c->spi_in);
        vici_bld_kv_fmt(&s->ev, "spi-in", "%.8x", c->spi_in);
        vici_bld_kv_fmt(&s->ev, "spi-out", "%.8x", c->spi_out);
    }
    vici_bld_end(&s->ev);
    vici_bld_end(&s->ev);
    vici_bld_end(&s->ev);
    vici_bld_end(&s->ev);
}

static bool anyone(struct vici_srv *s, enum vici_event ev)
{
    for (struct unix_client *c = unix_srv_next(s->u, NULL); c; c = unix_srv_next(s->u, c)) {
        struct vici_client *vc = unix_client_data(c);
        if (vc && (vc->events & 1u << ev))
            return true;
    }
    return false;
}

/* IKE_REKEYED: the IKE SA was replaced; CHILD_UP of a rekey (replaces_spi_in):
 * the Child SA was.  Built once, sent to each client registered */
void vici_rekey_events(struct vici_srv *s, const struct ike_action *a)
{
    enum vici_event ev;
    if (a->type == IKE_ACT_IKE_REKEYED)
        ev = VICI_EV_IKE_REKEY;
    else if (a->type == IKE_ACT_CHILD_UP && a->child.replaces_spi_in)
        ev = VICI_EV_CHILD_REKEY;
    else
        return;
    if (!anyone(s, ev))
        return;
    if (ev == VICI_EV_IKE_REKEY)
        ike_rekey(s, a);
    else
        child_rekey(s, a);
    for (struct unix_client *c = unix_srv_next(s->u, NULL); c; c = unix_srv_next(s->u, c))
        vici_event_send(s, c, ev);
}

/* ---- what kite does not have yet ---- */

static void refuse(struct vici_req *r, const char *errmsg)
{
    vici_bld_packet(r->b, VICI_CMD_RESPONSE, NULL);
    vici_bld_kv_str(r->b, "success", "no");
    vici_bld_kv_str(r->b, "errmsg", errmsg);
}

/* list-policies lists trap, pass and drop policies (charon: not the IPsec
 * SAs' own): kite has none, so no list-policy event precedes the answer */
static int cmd_list_policies(struct vici_req *r)
{
    (void)r;
    return 0;
}

static int cmd_install(struct vici_req *r)
{
    refuse(r, "kite has no trap, pass or drop policies yet: start_action = trap is not supported");
    return 0;
}

static int cmd_uninstall(struct vici_req *r)
{
    refuse(r, "kite has no trap, pass or drop policies yet: there is nothing to uninstall");
    return 0;
}

/* kited's settings are its command line (fixed until a restart) and its
 * --config file: reload-settings re-reads the file as SIGHUP does */
static int cmd_reload_settings(struct vici_req *r)
{
    if (!r->s->env.reload) {
        refuse(r, "kited has no settings to reload without a restart");
        return 0;
    }
    log_msg(r->s->env.log, LOG_CFG, 1, "vici: reload-settings: re-reading the configuration file");
    int rc = r->s->env.reload(r->s->env.ctx);
    vici_bld_packet(r->b, VICI_CMD_RESPONSE, NULL);
    vici_bld_kv_str(r->b, "success", rc ? "no" : "yes");
    if (rc)
        vici_bld_kv_str(r->b, "errmsg", "reloading the configuration failed, the running one is kept (see the log)");
    return 0;
}

static const struct {
    const char *name;
    int (*fn)(struct vici_req *r);
} cmds[] = {
    { "list-policies", cmd_list_policies }, { "install", cmd_install },        { "uninstall", cmd_uninstall },
    { "get-pools", vici_cmd_get_pools },    { "load-pool", vici_cmd_load_pool }, { "unload-pool", vici_cmd_unload_pool },
    { "reload-settings", cmd_reload_settings },
};

int vici_misc_run(struct vici_req *r, const char *name)
{
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(cmds[i].name, name))
            return cmds[i].fn(r);
    return KITE_E_NOT_FOUND;
}
