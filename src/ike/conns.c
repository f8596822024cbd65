/* conns: the engine's connection table and its reconfiguration.
 *
 * The table grows as connections come (DESIGN principle 9: no compiled-in
 * count); an IKE SA names its connection by slot index, so a removed
 * connection leaves its slot free for the next one rather than moving the
 * others.  A reconfiguration (a SIGHUP, swanctl --load-conns) loads each
 * connection again: what did not change keeps its SAs and their SPIs; what
 * changed or went away takes its SAs with it, as charon's unload-conn does,
 * because an SA negotiated under the old policy (proposals, identities,
 * selectors) must not outlive it. */
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/log.h"
#include "ike/ike_int.h"

static int grow(struct ike_engine *e)
{
    int cap = e->cap_conns ? e->cap_conns * 2 : 8;
    struct ike_conn_cfg *c = calloc((size_t)cap, sizeof *c);
    struct secret *p = calloc((size_t)cap, sizeof *p);
    struct ike_retry *r = calloc((size_t)cap, sizeof *r);
    if (!c || !p || !r) {
        free(c);
        free(p);
        free(r);
        return -1;
    }
    if (e->n_conns) {
        memcpy(c, e->conns, (size_t)e->n_conns * sizeof *c);
        memcpy(p, e->psk, (size_t)e->n_conns * sizeof *p);
        memcpy(r, e->retry, (size_t)e->n_conns * sizeof *r);
        mem_wipe(e->conns, (size_t)e->cap_conns * sizeof *e->conns);
    }
    free(e->conns);
    free(e->psk);
    free(e->retry);
    e->conns = c;
    e->psk = p;
    e->retry = r;
    e->cap_conns = cap;
    return 0;
}

int ike_conn_slot(struct ike_engine *e)
{
    for (int i = 0; i < e->n_conns; i++)
        if (!ike_conn_live(e, i))
            return i;
    if (e->n_conns == e->cap_conns && grow(e))
        return -1;
    return e->n_conns;
}

int ike_conn_put(struct ike_engine *e, int i, const struct ike_conn_cfg *c)
{
    struct ike_conn_cfg *dst = &e->conns[i];
    int rc = ike_conn_cfg_copy(dst, c); /* padding too: same() compares whole records */
    if (rc) {
        mem_wipe(dst, sizeof *dst); /* the slot stays free */
        return rc;
    }
    ike_conn_defaults(dst);
    rc = secret_from(&e->psk[i], c->psk, c->psk_len);
    mem_wipe(dst->psk, sizeof dst->psk); /* the owned secret is the only copy kept */
    if (rc) {
        ike_conn_cfg_free(dst);
        mem_wipe(dst, sizeof *dst); /* the slot stays free */
        return rc;
    }
    memset(&e->retry[i], 0, sizeof e->retry[i]);
    if (i == e->n_conns)
        e->n_conns++;
    e->sel.dirty = true; /* the indexes by address and identity (connsel.c) */
    return 0;
}

static int find(const struct ike_engine *e, const char *name)
{
    for (int i = 0; i < e->n_conns; i++)
        if (ike_conn_live(e, i) && !strcmp(e->conns[i].name, name))
            return i;
    return -1;
}

/* close the IKE SAs of connection slot c; how many */
static int close_sas(struct ike_engine *e, int c, uint64_t now, const char *why)
{
    int n = 0;
    for (unsigned i = 0; i < e->n_slots; i++) {
        struct ikesa *sa = ike_sa_at(e, i);
        if (sa && sa->conn == c) {
            ike_sa_close(e, sa, now, why);
            n++;
        }
    }
    memset(&e->retry[c], 0, sizeof e->retry[c]);
    return n;
}

static void slot_free(struct ike_engine *e, int c)
{
    secret_free(&e->psk[c]);
    ike_conn_cfg_free(&e->conns[c]);
    mem_wipe(&e->conns[c], sizeof e->conns[c]); /* name "": free */
    e->sel.dirty = true;
    while (e->n_conns && !ike_conn_live(e, e->n_conns - 1))
        e->n_conns--;
}

int ike_engine_remove_conn(struct ike_engine *e, const char *name, uint64_t now)
{
    int c = find(e, name);
    if (c < 0)
        return KITE_E_NOT_FOUND;
    int n = close_sas(e, c, now, "connection unloaded");
    ike_log(e, LOG_CFG, 1, "connection '%s' unloaded, %d IKE_SA(s) closed", name, n);
    slot_free(e, c);
    ike_satab_gc(e); /* the closed SAs' slots and deadlines (satab.c) */
    return n;
}

/* the running record of slot c is what c would become once loaded (the
 * pre-shared key aside, which is compared on its own) */
static bool same(const struct ike_engine *e, int slot, const struct ike_conn_cfg *c)
{
    struct ike_conn_cfg *t = malloc(sizeof *t);
    if (!t)
        return false; /* replaced: the safe side */
    memcpy(t, c, sizeof *t);
    ike_conn_defaults(t);
    mem_wipe(t->psk, sizeof t->psk);
    t->psk_len = e->conns[slot].psk_len;
    bool eq = ike_conn_cfg_equal(t, &e->conns[slot]);
    mem_wipe(t, sizeof *t);
    free(t);
    return eq;
}

static bool psk_same(const struct secret *s, const struct ike_conn_cfg *c)
{
    return s->n == c->psk_len && (!s->n || ct_equal(s->p, c->psk, s->n));
}

/* children with start_action = start are initiated */
static void start(struct ike_engine *e, const struct ike_conn_cfg *c, uint64_t now)
{
    for (uint32_t ch = 0; ch < c->n_children; ch++) {
        if (!c->child[ch].start)
            continue;
        int rc = ike_initiate(e, c->name, c->child[ch].name, now);
        if (rc)
            ike_log(e, LOG_IKE, 0, "cannot initiate '%s' (child '%s'): %s%s", c->name, c->child[ch].name,
                    kite_strerror(rc), c->remote.family ? "" : " (remote_addrs is %any: nothing to initiate to)");
    }
}

int ike_engine_load_conn(struct ike_engine *e, const struct ike_conn_cfg *c, uint64_t now)
{
    if (!c->n_ike || !c->n_children || !c->ike || !c->child || c->n_children > IKE_MAX_CHILD_CFGS ||
        c->psk_len > sizeof c->psk || !c->name[0])
        return KITE_E_INVALID_ARG;
    int slot = find(e, c->name), rc;
    if (slot >= 0 && same(e, slot, c)) {
        if (psk_same(&e->psk[slot], c))
            return IKE_CONN_UNCHANGED;
        rc = ike_engine_set_psk(e, c->name, c->psk, c->psk_len);
        return rc ? rc : IKE_CONN_NEW_PSK;
    }
    if (slot >= 0) { /* replaced in place: the connection keeps its position */
        int n = close_sas(e, slot, now, "connection replaced by a changed configuration");
        ike_log(e, LOG_CFG, 1, "connection '%s' changed, %d IKE_SA(s) closed", c->name, n);
        secret_free(&e->psk[slot]);
        ike_conn_cfg_free(&e->conns[slot]);
        mem_wipe(&e->conns[slot], sizeof e->conns[slot]);
        e->sel.dirty = true;
    }
    int i = slot >= 0 ? slot : ike_conn_slot(e);
    rc = i < 0 ? KITE_E_NOMEM : ike_conn_put(e, i, c);
    if (rc) {
        if (slot >= 0)
            slot_free(e, slot);
        ike_satab_gc(e);
        return rc;
    }
    start(e, &e->conns[i], now);
    ike_satab_gc(e); /* the closed SAs' slots and deadlines (satab.c) */
    return slot >= 0 ? IKE_CONN_REPLACED : IKE_CONN_ADDED;
}
