/* lifecycle: what ends an IKE SA besides a Delete (issue 14), with
 * strongSwan's connection keys.
 *
 * reauth_time, RFC 7296 2.8.3: the IKE SA is not rekeyed but made again
 * from scratch, IKE_SA_INIT and IKE_AUTH (so credentials are checked anew),
 * by whichever end's timer fires first.  kite does it make-before-break as
 * charon 5.x does with make_before_break = yes (its default since 5.9):
 *
 *   old IKE SA  ────────────────────────────────────────┐ Delete
 *   new IKE SA     IKE_SA_INIT, IKE_AUTH (first Child SA), CREATE_CHILD_SA
 *                  for each further Child SA ──────────▶ all up ─┘
 *
 * so traffic moves to the new Child SAs (each installed as it comes) before
 * the old ones go with the old IKE SA: no gap.  The new IKE SA carries no
 * INITIAL_CONTACT (the old one still stands, 2.4).
 *
 * over_time: the hard lifetime of an IKE SA that neither rekeyed nor
 * reauthenticated in time: closed over_time after the earlier of the two.
 *
 * unique: what a new IKE SA from the identity of a peer we hold one with
 * (same connection) does to the old one (enum ike_unique in ike.h); looked
 * up in the table's index by peer identity (satab.c), not by a scan.
 *
 * close_action = start: a Child SA or IKE SA the peer closed is created
 * again (strongSwan's close_action; trap waits for trap policies). */
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/log.h"
#include "ike/ike_int.h"

/* a reauthentication under way is checked again this often: restarted when
 * its new IKE SA failed (over_time bounds the whole) */
enum { IKE_REAUTH_CHECK_MS = 30000 };

/* the reauthentication time of a new IKE SA: reauth_time minus a random
 * part of rand_time (not set: 10% of reauth_time, as for rekeying) */
static uint64_t reauth_time(struct ike_engine *e, const struct ike_conn_cfg *c, uint64_t now)
{
    if (!c->reauth_time_s)
        return 0;
    uint64_t t = (uint64_t)c->reauth_time_s * 1000;
    uint64_t range = c->rand_time_set ? (uint64_t)c->rand_time_s * 1000 : t / 10;
    if (range >= t)
        range = t - 1; /* never due at once */
    return now + t - ike_jitter(e, range);
}

void ike_life_established(struct ike_engine *e, struct ikesa *sa, const struct ikesa *rekeyed, uint64_t now)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    if (rekeyed && rekeyed->reauth_at) {
        /* a rekey does not authenticate anew: the reauthentication stays due */
        sa->reauth_at = rekeyed->reauth_at;
    } else {
        sa->reauth_at = reauth_time(e, c, now);
    }
    if (rekeyed && rekeyed->reauth_by) {
        /* being reauthenticated: the new IKE SA replaces this one now */
        struct ikesa *r = ike_sa_by_id(e, rekeyed->reauth_by);
        sa->reauth_by = rekeyed->reauth_by;
        if (r)
            r->reauth_of = sa->id;
    }
    uint64_t base = sa->ike_rekey_at;
    if (sa->reauth_at && (!base || sa->reauth_at < base))
        base = sa->reauth_at;
    sa->hard_at = c->over_time_set && base ? base + (uint64_t)c->over_time_s * 1000 : 0;
}

bool ike_life_initial_contact(const struct ike_engine *e, const struct ikesa *sa)
{
    return e->conns[sa->conn].unique != IKE_UNIQUE_NEVER;
}

/* ---- unique ---- */

static bool same_id(const struct ikesa *o, const struct ike_peer_id *id)
{
    return o->peer_id && o->peer_id->type == id->type && o->peer_id->len == id->len &&
           !memcmp(o->peer_id->data, id->data, id->len);
}

/* an established IKE SA of sa's connection with that peer identity */
static bool duplicate(const struct ikesa *o, const struct ikesa *sa, const struct ike_peer_id *id)
{
    return o != sa && o->state == IKE_S_ESTABLISHED && !o->replaced && o->conn == sa->conn && same_id(o, id);
}

/* replace: closed; one at the new one's address and port looks like the
 * peer reauthenticating (make-before-break), so it goes a while later and
 * its Child SAs overlap the new ones */
static void replace_old(struct ike_engine *e, struct ikesa *o, const struct ikesa *sa, uint64_t now)
{
    char name[64];
    if (ike_addr_eq(&o->remote, &sa->remote)) {
        uint64_t at = now + IKE_UNIQUE_REPLACE_DELAY_MS;
        if (!o->hard_at || o->hard_at > at)
            o->hard_at = at;
        ike_log(e, LOG_IKE, 1, "unique = replace: IKE_SA %s closed in %u ms (suspected reauthentication)",
                ike_sa_name(e, o, name, sizeof name), (unsigned)IKE_UNIQUE_REPLACE_DELAY_MS);
        ike_sa_touch(e, o);
        return;
    }
    ike_log(e, LOG_IKE, 0, "unique = replace: deleting IKE_SA %s, the peer's identity has a new one",
            ike_sa_name(e, o, name, sizeof name));
    ike_sa_close(e, o, now, "replaced by a new IKE_SA of the same peer (unique = replace)");
}

bool ike_life_unique(struct ike_engine *e, struct ikesa *sa, const struct ike_id *peer, bool initial_contact,
                     uint64_t now)
{
    uint8_t pol = e->conns[sa->conn].unique;
    if (pol == IKE_UNIQUE_NEVER || (pol == IKE_UNIQUE_NO && !initial_contact))
        return true;
    struct ike_peer_id *id = ike_peer_id_new(peer->type, peer->data.p, peer->data.n);
    if (!id)
        return true; /* no memory: nothing closed, nothing refused */
    bool ok = true;
    for (struct ikesa *o = ike_sa_by_peer(e, id, NULL), *next; o; o = next) {
        next = ike_sa_by_peer(e, id, o); /* before o leaves the index */
        if (!duplicate(o, sa, id))
            continue;
        if (initial_contact) /* the peer has no other IKE SA with us (2.4): ours are stale, e.g. it rebooted */
            ike_sa_down(e, o, "the peer sent INITIAL_CONTACT in a new IKE_SA: this one is stale");
        else if (pol == IKE_UNIQUE_REPLACE)
            replace_old(e, o, sa, now);
        else if (pol == IKE_UNIQUE_KEEP && !ike_addr_eq(&o->remote, &sa->remote))
            ok = false; /* from the same address and port: a reauthentication, let through */
    }
    free(id);
    if (!ok)
        ike_log(e, LOG_IKE, 0, "unique = keep: the peer has an IKE_SA already, refusing the new one");
    return ok;
}

/* ---- reauthentication ---- */

/* nothing of ours under way on it: a reauthentication may start */
static bool reauth_ready(const struct ikesa *sa)
{
    return sa->state == IKE_S_ESTABLISHED && !sa->req_len && !sa->replaced && !sa->irk.active && !sa->rk.active &&
           !sa->rk.del_spi;
}

static int reauth_start(struct ike_engine *e, struct ikesa *old, uint64_t now)
{
    char on[64], nn[64];
    uint64_t more = ike_sa_children_of(old);
    int ch = old->child;
    struct ikesa *n = NULL;
    if (!old->remote.family)
        return KITE_E_INVALID_ARG;
    /* checked again later: restarted if this one fails */
    old->reauth_at = now + IKE_REAUTH_CHECK_MS;
    old->ike_rekey_at = 0; /* the new IKE SA replaces it: no rekey meanwhile */
    int rc = ike_initiate_sa(e, old->conn, ch, more, &old->local, &old->remote, false, 0, now, &n);
    if (rc || !n) {
        ike_log(e, LOG_IKE, 0, "cannot reauthenticate IKE_SA %s: %s", ike_sa_name(e, old, on, sizeof on),
                kite_strerror(rc ? rc : KITE_E_NOMEM));
        return rc ? rc : KITE_E_NOMEM;
    }
    old->reauth_by = n->id;
    n->reauth_of = old->id;
    ike_log(e, LOG_IKE, 0, "reauthenticating IKE_SA %s: new IKE_SA %s, the old one is deleted once its CHILD_SAs "
                           "are up (make-before-break)", ike_sa_name(e, old, on, sizeof on),
            ike_sa_name(e, n, nn, sizeof nn));
    return 0;
}

/* the old IKE SA, once the new one has every Child SA it was to bring: its
 * Child SAs stop carrying outbound traffic at once (CHILD_RETIRE) but still
 * decrypt, since the peer keeps sending on them until our Delete reaches it
 * (it answered the new ones, so it holds them back until then:
 * ike_life_child_overlap); the IKE SA goes when the Delete is answered, as
 * a rekeyed one does */
static int reauth_finish(struct ike_engine *e, struct ikesa *sa, uint64_t now)
{
    struct ikesa *old = ike_sa_by_id(e, sa->reauth_of);
    char on[64], nn[64];
    sa->reauth_of = 0;
    if (!old || old->state != IKE_S_ESTABLISHED || old->replaced)
        return 0;
    ike_log(e, LOG_IKE, 0, "IKE_SA %s reauthenticated by %s: deleting the old one", ike_sa_name(e, old, on, sizeof on),
            ike_sa_name(e, sa, nn, sizeof nn));
    for (int i = 0; i < ike_child_slots(old); i++) {
        struct ike_child_st *c = ike_sa_child(old, i);
        if (c->up && !c->gone_at)
            ike_child_retire(e, old, c, now);
    }
    old->replaced = true;
    old->reauth_by = sa->id;
    ike_send_delete(e, old, now);
    ike_sa_touch(e, old);
    return 1;
}

static bool reauth_done(const struct ikesa *sa)
{
    return sa->reauth_of && sa->state == IKE_S_ESTABLISHED && !sa->want && !sa->rk.active && !sa->req_len;
}

static int reauth_due(struct ike_engine *e, struct ikesa *sa, uint64_t now)
{
    if (sa->reauth_by) {
        struct ikesa *n = ike_sa_by_id(e, sa->reauth_by);
        if (n && n->reauth_of == sa->id) { /* still under way */
            sa->reauth_at = now + IKE_REAUTH_CHECK_MS;
            return 0;
        }
        sa->reauth_by = 0;
        ike_log(e, LOG_IKE, 1, "the reauthentication of IKE_SA %u failed: trying again", sa->id);
    }
    return reauth_start(e, sa, now) == 0;
}

int ike_life_tick(struct ike_engine *e, struct ikesa *sa, uint64_t now)
{
    if (sa->hard_at && now >= sa->hard_at && sa->state == IKE_S_ESTABLISHED && !sa->replaced) {
        ike_sa_close(e, sa, now, "IKE_SA lifetime expired (over_time, or unique = replace): not rekeyed or "
                                 "reauthenticated in time");
        return 1;
    }
    if (reauth_done(sa))
        return reauth_finish(e, sa, now);
    if (sa->reauth_at && now >= sa->reauth_at && reauth_ready(sa))
        return reauth_due(e, sa, now);
    return 0;
}

uint64_t ike_life_next(const struct ike_engine *e, const struct ikesa *sa)
{
    (void)e;
    uint64_t next = UINT64_MAX;
    if (sa->hard_at && sa->state == IKE_S_ESTABLISHED && !sa->replaced)
        next = sa->hard_at;
    if (reauth_done(sa))
        next = 0;
    if (sa->reauth_at && reauth_ready(sa) && sa->reauth_at < next)
        next = sa->reauth_at;
    return next;
}

int ike_sa_reauth(struct ike_engine *e, uint32_t id, uint64_t now)
{
    struct ikesa *sa = ike_sa_by_id(e, id);
    if (!sa || sa->state == IKE_S_FREE)
        return KITE_E_NOT_FOUND;
    e->now = now;
    int rc = KITE_E_STATE;
    if (sa->state == IKE_S_ESTABLISHED && !sa->replaced && !sa->irk.active && !sa->reauth_by)
        rc = reauth_start(e, sa, now);
    ike_satab_gc(e);
    return rc;
}

/* ---- close_action ---- */

void ike_life_child_closed(struct ike_engine *e, struct ikesa *sa, int cfg, uint64_t now)
{
    const struct ike_child_cfg *ch = &e->conns[sa->conn].child[cfg];
    if (ch->close_action != IKE_CLOSE_START || sa->replaced || sa->state != IKE_S_ESTABLISHED)
        return;
    ike_log(e, LOG_IKE, 1, "close_action = start: creating CHILD_SA %s again", ch->name);
    sa->want |= 1ull << cfg;
    sa->want_at = now;
}

/* Child SA configuration cfg is up on another IKE SA with this peer (the
 * peer reauthenticated: the old IKE SA's Delete closes nothing wanted) */
static bool up_elsewhere(struct ike_engine *e, const struct ikesa *sa, int cfg)
{
    for (struct ikesa *o = ike_sa_by_host(e, &sa->remote, NULL); o; o = ike_sa_by_host(e, &sa->remote, o))
        if (o != sa && o->conn == sa->conn && o->state == IKE_S_ESTABLISHED && !o->replaced &&
            (ike_sa_children_of(o) & (1ull << cfg)))
            return true;
    return false;
}

void ike_life_ike_closed(struct ike_engine *e, struct ikesa *sa, uint64_t now)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    uint64_t had = ike_sa_children_of(sa), more = 0;
    int first = -1;
    for (uint32_t i = 0; i < c->n_children; i++)
        if ((had & (1ull << i)) && c->child[i].close_action == IKE_CLOSE_START && !up_elsewhere(e, sa, i)) {
            more |= 1ull << i;
            if (first < 0)
                first = i;
        }
    if (first < 0 || sa->replaced || sa->reauth_of)
        return;
    const struct ike_addr *remote = c->remote.family ? &c->remote : &sa->remote;
    const struct ike_addr *local = c->remote.family ? &c->local : &sa->local;
    ike_log(e, LOG_IKE, 0, "close_action = start: the peer closed IKE_SA %u, initiating '%s' again", sa->id, c->name);
    ike_initiate_sa(e, sa->conn, first, more, local, remote, false, 1, now, NULL);
}

/* ---- the responder's side of a reauthentication ---- */

void ike_life_child_overlap(struct ike_engine *e, const struct ikesa *sa, int cfg, struct ike_child_sa *c)
{
    if (!sa->peer_id)
        return;
    for (struct ikesa *o = ike_sa_by_peer(e, sa->peer_id, NULL); o; o = ike_sa_by_peer(e, sa->peer_id, o)) {
        if (!duplicate(o, sa, sa->peer_id) || !ike_addr_same_host(&o->remote, &sa->remote))
            continue;
        for (int i = 0; i < ike_child_slots(o); i++) {
            const struct ike_child_st *old = ike_sa_child(o, i);
            if (old->up && !old->gone_at && !old->rekeyed && !old->deleting && old->cfg == cfg) {
                c->replaces_spi_in = old->spi_in;
                c->takeover = false;
                return;
            }
        }
    }
}
