/* connsel: which connection an IKE SA we respond to belongs to, chosen as
 * charon chooses among many (backend_manager, ike_auth):
 *
 *   IKE_SA_INIT: by the addresses the request came from and to.  A
 *   connection whose remote (local) address is the peer's (ours) beats one
 *   with %any there; the remote side weighs more than the local one, as in
 *   charon's ike_cfg match (quality 129 for an equal address, 1 for %any;
 *   remote x16, local x8).  Ties go to the connection in the lower slot
 *   (loaded first).  The first whose IKE proposals fit the offer is used.
 *
 *   IKE_AUTH: by addresses and identities together: the peer's IDi against
 *   remote.id and the IDr it asked for against local.id, graded as
 *   strongSwan's id_match_t (equal 20, a wildcard pattern 19, %any 1).  A
 *   candidate must match both, and its IKE proposals must hold the
 *   algorithms IKE_SA_INIT chose.  One candidate is better than another when
 *   it is better by one measure and no worse by the other (charon's
 *   insert_sorted); when neither is, the lower slot wins.  The IKE SA then
 *   moves to the winner if it is not the one IKE_SA_INIT picked.
 *
 * Cost: the indexes are sorted arrays of (keyed hash, slot) rebuilt after
 * the connection table changed (O(n log n) once per reconfiguration, not per
 * packet).  IKE_SA_INIT looks at four address keys, each a binary search,
 * and checks proposals until one fits.  IKE_AUTH takes the smaller of the
 * address candidates (four runs) and the identity candidates (the run of
 * IDi's hash plus every connection whose remote.id is %any or a pattern),
 * so thousands of connections cost a scan only when they share both their
 * addresses and a wildcard remote.id. */
#include <stdlib.h>
#include <string.h>
#include "base/keyhash.h"
#include "base/log.h"
#include "cred/id.h"
#include "ike/ike_int.h"

unsigned ike_id_grade(uint8_t ptype, struct span pattern, uint8_t type, struct span id)
{
    if (!ptype)
        return IKE_IDM_ANY;
    if (!type || !cred_id_match(ptype, pattern, type, id))
        return IKE_IDM_NONE;
    return cred_id_is_wildcard(ptype, pattern) ? IKE_IDM_WILD : IKE_IDM_PERFECT;
}

/* ---- the indexes ---- */

static size_t ip_len(uint8_t family)
{
    return family == 6 ? 16 : family == 4 ? 4 : 0;
}

/* the hash of an address pair, %any as family 0 */
static uint64_t pair_hash(const struct ike_engine *e, const struct ike_addr *l, const struct ike_addr *r)
{
    uint8_t b[2 + 32];
    size_t n = 0;
    b[n++] = l->family;
    memcpy(b + n, l->ip, ip_len(l->family));
    n += ip_len(l->family);
    b[n++] = r->family;
    memcpy(b + n, r->ip, ip_len(r->family));
    n += ip_len(r->family);
    return keyhash(e->tab.key, b, n);
}

static int row_cmp(const void *a, const void *b)
{
    const struct ike_ix_row *x = a, *y = b;
    if (x->h != y->h)
        return x->h < y->h ? -1 : 1;
    return (x->v > y->v) - (x->v < y->v);
}

/* the run of rows with hash h: [*lo, *hi) */
static void row_run(const struct ike_ix_row *r, unsigned n, uint64_t h, unsigned *lo, unsigned *hi)
{
    unsigned a = 0, b = n;
    while (a < b) {
        unsigned m = a + (b - a) / 2;
        if (r[m].h < h)
            a = m + 1;
        else
            b = m;
    }
    *lo = a;
    while (a < n && r[a].h == h)
        a++;
    *hi = a;
}

static bool grow(struct ike_connsel *s, int n)
{
    if ((unsigned)n <= s->cap)
        return true;
    unsigned cap = (unsigned)n * 2;
    struct ike_ix_row *a = realloc(s->addr, cap * sizeof *a);
    if (a)
        s->addr = a;
    struct ike_ix_row *i = realloc(s->id, cap * sizeof *i);
    if (i)
        s->id = i;
    int *w = realloc(s->wild, cap * sizeof *w);
    if (w)
        s->wild = w;
    if (!a || !i || !w)
        return false;
    s->cap = cap;
    return true;
}

static void index_conn(struct ike_engine *e, int slot)
{
    struct ike_connsel *s = &e->sel;
    const struct ike_conn_cfg *c = &e->conns[slot];
    struct span rid = span_of(c->remote_id.data, c->remote_id.len);
    s->addr[s->n_addr++] = (struct ike_ix_row){ pair_hash(e, &c->local, &c->remote), slot };
    if (cred_id_is_wildcard(c->remote_id.type, rid))
        s->wild[s->n_wild++] = slot;
    else
        s->id[s->n_id++] = (struct ike_ix_row){ cred_id_hash(e->tab.key, c->remote_id.type, rid), slot };
}

/* the indexes made again from the table when it changed; false: no memory
 * (the lookups then scan every connection) */
static bool rebuild(struct ike_engine *e)
{
    struct ike_connsel *s = &e->sel;
    if (!s->dirty)
        return true;
    if (!grow(s, e->n_conns))
        return false;
    s->n_addr = s->n_id = s->n_wild = 0;
    for (int i = 0; i < e->n_conns; i++)
        if (ike_conn_live(e, i))
            index_conn(e, i);
    if (s->n_addr) /* qsort wants an array, even of none */
        qsort(s->addr, s->n_addr, sizeof *s->addr, row_cmp);
    if (s->n_id)
        qsort(s->id, s->n_id, sizeof *s->id, row_cmp);
    s->dirty = false;
    return true;
}

void ike_connsel_free(struct ike_engine *e)
{
    free(e->sel.addr);
    free(e->sel.id);
    free(e->sel.wild);
    memset(&e->sel, 0, sizeof e->sel);
}

/* ---- addresses ---- */

/* charon's quality of a configured address for the one used: equal 129, %any 1 */
static unsigned addr_quality(const struct ike_addr *cfg, const struct ike_addr *got)
{
    if (!cfg->family)
        return 1;
    return cfg->family == got->family && !memcmp(cfg->ip, got->ip, ip_len(got->family)) ? 129 : 0;
}

/* remote_addrs with several items, subnets or ranges (conf_addrs.c): the peer in one */
bool ike_conn_remote_in(const struct ike_conn_cfg *c, const struct ike_addr *got)
{
    size_t len = got->family == 6 ? 16 : 4;
    if (!c->n_remote_ranges)
        return true;
    for (unsigned i = 0; i < c->n_remote_ranges; i++) {
        const struct ike_addr_range *r = &c->remote_ranges[i];
        if (r->family == got->family && memcmp(r->lo, got->ip, len) <= 0 && memcmp(got->ip, r->hi, len) <= 0)
            return true;
    }
    return false;
}

static unsigned addr_match(const struct ike_conn_cfg *c, const struct ike_addr *local, const struct ike_addr *remote)
{
    if (!ike_conn_remote_in(c, remote))
        return 0;
    unsigned l = addr_quality(&c->local, local), r = addr_quality(&c->remote, remote);
    return l && r ? l * 8 + r * 16 : 0;
}

/* address pair number k of the four, best first */
static void pair_key(int k, const struct ike_addr *local, const struct ike_addr *remote, struct ike_addr *l,
                     struct ike_addr *r)
{
    memset(l, 0, sizeof *l);
    memset(r, 0, sizeof *r);
    if (k == 0 || k == 2) {
        l->family = local->family;
        memcpy(l->ip, local->ip, ip_len(local->family));
    }
    if (k == 0 || k == 1) {
        r->family = remote->family;
        memcpy(r->ip, remote->ip, ip_len(remote->family));
    }
}

/* a slot whose addresses are exactly address pair k (not only its hash) */
static bool pair_is(const struct ike_conn_cfg *c, int k, const struct ike_addr *local, const struct ike_addr *remote)
{
    bool lx = k == 0 || k == 2, rx = k == 0 || k == 1;
    return (lx ? addr_quality(&c->local, local) == 129 : !c->local.family) &&
           (rx ? addr_quality(&c->remote, remote) == 129 : !c->remote.family);
}

static int next_scan(struct ike_engine *e, const struct ike_addr *local, const struct ike_addr *remote,
                     struct ike_conn_it *it)
{
    /* no memory for the index: every connection in four passes, as ordered */
    for (; it->key < 4; it->key++, it->pos = 0)
        while (it->pos < (unsigned)e->n_conns) {
            int i = (int)it->pos++;
            if (ike_conn_live(e, i) && pair_is(&e->conns[i], it->key, local, remote))
                return i;
        }
    return -1;
}

int ike_conn_next_init(struct ike_engine *e, const struct ike_addr *local, const struct ike_addr *remote,
                       struct ike_conn_it *it)
{
    if (!it->key && !it->pos && !it->end && !it->scan)
        it->scan = !rebuild(e); /* decided once per walk */
    if (it->scan)
        return next_scan(e, local, remote, it);
    struct ike_connsel *s = &e->sel;
    for (;;) {
        if (it->pos == it->end) {
            if (it->key >= 4)
                return -1;
            struct ike_addr l, r;
            pair_key(it->key, local, remote, &l, &r);
            it->h = pair_hash(e, &l, &r);
            row_run(s->addr, s->n_addr, it->h, &it->pos, &it->end);
            it->key++;
            continue;
        }
        int i = s->addr[it->pos++].v;
        if (pair_is(&e->conns[i], it->key - 1, local, remote))
            return i;
    }
}

/* ---- addresses and identities (IKE_AUTH) ---- */

struct pick {
    const struct ikesa *sa;
    const struct ike_id *idi, *idr;
    struct ike_proposal prop;    /* the IKE SA's algorithms as one proposal */
    struct ike_transform xf[IKE_MAX_XF];
    struct ike_xf_attr attr[IKE_MAX_XF];
    int best;
    unsigned best_ike, best_peer;
};

/* the candidate's IKE proposals hold the algorithms IKE_SA_INIT chose */
static bool algs_fit(struct ike_engine *e, struct pick *p, const struct ike_conn_cfg *c)
{
    const struct ike_conn_cfg *cur = &e->conns[p->sa->conn];
    struct ike_algs a;
    if (c == cur || (c->n_ike == cur->n_ike && !memcmp(c->ike, cur->ike, c->n_ike * sizeof *c->ike)))
        return true; /* the one that chose them, or the same proposals */
    return ike_prop_accept(c->ike, c->n_ike, &p->prop, IKEV2_PROTO_IKE, &a) == 0 && a.ke == p->sa->algs.ke;
}

/* charon's order: better by one measure and no worse by the other; else
 * the lower slot */
static bool better(unsigned ike, unsigned peer, int slot, const struct pick *p)
{
    if (p->best < 0)
        return true;
    if ((ike > p->best_ike && peer >= p->best_peer) || (ike >= p->best_ike && peer > p->best_peer))
        return true;
    if ((p->best_ike > ike && p->best_peer >= peer) || (p->best_ike >= ike && p->best_peer > peer))
        return false;
    return slot < p->best;
}

static void consider(struct ike_engine *e, struct pick *p, int i)
{
    if (!ike_conn_live(e, i))
        return;
    const struct ike_conn_cfg *c = &e->conns[i];
    if (!c->remote.family && c->remote_host[0])
        return; /* a DNS name not resolved yet is nobody */
    unsigned ike = addr_match(c, &p->sa->local, &p->sa->remote);
    unsigned other = ike_id_grade(c->remote_id.type, span_of(c->remote_id.data, c->remote_id.len), p->idi->type,
                                  p->idi->data);
    unsigned me = !p->idr ? IKE_IDM_ANY
                          : ike_id_grade(c->local_id.type, span_of(c->local_id.data, c->local_id.len),
                                         p->idr->type, p->idr->data);
    if (!ike || !other || !me || !better(ike, me + other, i, p) || !algs_fit(e, p, c))
        return;
    p->best = i;
    p->best_ike = ike;
    p->best_peer = me + other;
}

/* the candidates by address: the four runs */
static void by_addr(struct ike_engine *e, struct pick *p)
{
    struct ike_conn_it it = { 0 };
    for (int i; (i = ike_conn_next_init(e, &p->sa->local, &p->sa->remote, &it)) >= 0;)
        consider(e, p, i);
}

static unsigned addr_count(struct ike_engine *e, const struct ikesa *sa)
{
    unsigned n = 0, lo, hi;
    for (int k = 0; k < 4; k++) {
        struct ike_addr l, r;
        pair_key(k, &sa->local, &sa->remote, &l, &r);
        row_run(e->sel.addr, e->sel.n_addr, pair_hash(e, &l, &r), &lo, &hi);
        n += hi - lo;
    }
    return n;
}

int ike_conn_select_auth(struct ike_engine *e, const struct ikesa *sa, const struct ike_id *idi,
                         const struct ike_id *idr)
{
    struct pick *p = calloc(1, sizeof *p);
    struct ike_prop_cfg one;
    if (!p)
        return -1;
    p->sa = sa;
    p->idi = idi;
    p->idr = idr;
    p->best = -1;
    ike_prop_from_algs(&sa->algs, true, &one);
    ike_prop_build(&one, 1, IKEV2_PROTO_IKE, NULL, 0, &p->prop, p->xf, p->attr);
    if (!rebuild(e)) {
        for (int i = 0; i < e->n_conns; i++)
            consider(e, p, i);
    } else {
        struct ike_connsel *s = &e->sel;
        unsigned lo, hi;
        row_run(s->id, s->n_id, cred_id_hash(e->tab.key, idi->type, idi->data), &lo, &hi);
        if (addr_count(e, sa) <= hi - lo + s->n_wild) {
            by_addr(e, p);
        } else {
            for (unsigned k = lo; k < hi; k++)
                consider(e, p, s->id[k].v);
            for (unsigned k = 0; k < s->n_wild; k++)
                consider(e, p, s->wild[k]);
        }
    }
    int best = p->best;
    free(p);
    return best;
}
