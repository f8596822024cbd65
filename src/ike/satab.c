/* satab: the IKE SA table's indexes, so that no lookup or timer walks every
 * SA (issue 13): hashes by initiator SPI, by unique id and by peer host, a
 * min-heap of each SA's next deadline, the count of half-open SAs, and the
 * slots to reuse and to free.
 *
 * The exchanges change an SA's fields directly, so the derived structures
 * are brought up to date at the end of each public call: every SA a call
 * finds or creates is "touched", and ike_satab_sync() re-indexes the touched
 * ones (its SPI, host, half-open state and deadline).  Lookups see the state
 * as of the previous call's end, which is all a request needs: an SA made in
 * this call is not yet looked up by the peer.  A stale deadline that moved
 * later only costs a tick that finds nothing due. */
#include "base/keyhash.h"
#include <stdlib.h>
#include <string.h>
#include "ike/ike_int.h"

/* the keys: SPIi (chosen by the peer, hence the keyed hash), id, host */
static uint64_t key_spi(const struct ike_engine *e, const uint8_t spi_i[8])
{
    return keyhash(e->tab.key, spi_i, 8);
}

static uint64_t key_id(const struct ike_engine *e, uint32_t id)
{
    uint8_t b[4] = { (uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id };
    return keyhash(e->tab.key, b, 4);
}

static uint64_t key_host(const struct ike_engine *e, const struct ike_addr *a)
{
    uint8_t b[17];
    b[0] = a->family;
    memcpy(b + 1, a->ip, 16);
    if (a->family == 4)
        memset(b + 5, 0, 12);
    return keyhash(e->tab.key, b, sizeof b);
}

/* the peer's authenticated identity (unique, lifecycle.c): type and bytes */
static uint64_t key_peer(const struct ike_engine *e, const struct ike_peer_id *id)
{
    uint8_t t = id->type;
    return keyhash(e->tab.key, &t, 1) ^ keyhash(e->tab.key, id->data, id->len);
}

/* ---- chained hashes, the links in the SA (ix[which]) ---- */

static struct ikesa **bucket(struct ike_sa_hash *h, uint64_t k)
{
    return &h->b[k & (h->cap - 1)];
}

/* O(1): many SAs share a chain when they share a key (the peers behind one
 * address, a load generator's initiators) */
static void hash_unlink(struct ike_sa_hash *h, struct ikesa *sa, int which)
{
    if (!sa->ix[which].in)
        return;
    *sa->ix[which].pprev = sa->ix[which].next;
    if (sa->ix[which].next)
        sa->ix[which].next->ix[which].pprev = sa->ix[which].pprev;
    sa->ix[which].pprev = NULL;
    sa->ix[which].in = false;
    sa->ix[which].next = NULL;
    h->n--;
}

static void chain_push(struct ikesa **p, struct ikesa *sa, int which)
{
    sa->ix[which].next = *p;
    if (*p)
        (*p)->ix[which].pprev = &sa->ix[which].next;
    sa->ix[which].pprev = p;
    *p = sa;
}

/* doubled when fuller than one SA per bucket: the chains are rebuilt */
static void hash_grow(struct ike_sa_hash *h, int which)
{
    unsigned cap = h->cap ? h->cap * 2 : 64;
    struct ikesa **b = cap > h->cap ? calloc(cap, sizeof *b) : NULL;
    if (!b)
        return; /* longer chains, still correct */
    for (unsigned i = 0; i < h->cap; i++)
        for (struct ikesa *sa = h->b[i], *next; sa; sa = next) {
            next = sa->ix[which].next;
            chain_push(&b[sa->ix[which].key & (cap - 1)], sa, which);
        }
    free(h->b);
    h->b = b;
    h->cap = cap;
}

static void hash_link(struct ike_sa_hash *h, struct ikesa *sa, int which, uint64_t k)
{
    if (sa->ix[which].in && sa->ix[which].key == k)
        return;
    hash_unlink(h, sa, which);
    if (h->n >= h->cap)
        hash_grow(h, which);
    if (!h->cap)
        return; /* no memory even for the first table: not indexed */
    sa->ix[which].key = k;
    sa->ix[which].in = true;
    chain_push(bucket(h, k), sa, which);
    h->n++;
}

static struct ikesa *hash_first(const struct ike_sa_hash *h, int which, uint64_t k)
{
    if (!h->cap)
        return NULL;
    for (struct ikesa *sa = h->b[k & (h->cap - 1)]; sa; sa = sa->ix[which].next)
        if (sa->ix[which].key == k)
            return sa;
    return NULL;
}

static struct ikesa *hash_next(const struct ikesa *sa, int which)
{
    uint64_t k = sa->ix[which].key;
    for (sa = sa->ix[which].next; sa; sa = sa->ix[which].next)
        if (sa->ix[which].key == k)
            return (struct ikesa *)sa;
    return NULL;
}

/* ---- the deadline heap (min at [0]; sa->heap_i is its position + 1) ---- */

static void heap_set(struct ike_satab *t, unsigned i, struct ikesa *sa)
{
    t->heap[i] = sa;
    sa->heap_i = i + 1;
}

static void heap_up(struct ike_satab *t, unsigned i)
{
    struct ikesa *sa = t->heap[i];
    while (i > 0 && t->heap[(i - 1) / 2]->deadline > sa->deadline) {
        heap_set(t, i, t->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_set(t, i, sa);
}

static void heap_down(struct ike_satab *t, unsigned i)
{
    struct ikesa *sa = t->heap[i];
    for (;;) {
        unsigned c = 2 * i + 1;
        if (c >= t->heap_n)
            break;
        if (c + 1 < t->heap_n && t->heap[c + 1]->deadline < t->heap[c]->deadline)
            c++;
        if (t->heap[c]->deadline >= sa->deadline)
            break;
        heap_set(t, i, t->heap[c]);
        i = c;
    }
    heap_set(t, i, sa);
}

static void heap_remove(struct ike_satab *t, struct ikesa *sa)
{
    if (!sa->heap_i)
        return;
    unsigned i = sa->heap_i - 1;
    sa->heap_i = 0;
    struct ikesa *last = t->heap[--t->heap_n];
    if (last == sa)
        return;
    heap_set(t, i, last);
    heap_up(t, i);
    heap_down(t, last->heap_i - 1);
}

static bool grow(void **p, unsigned *cap, unsigned need, size_t size)
{
    if (need <= *cap)
        return true;
    unsigned n = *cap ? *cap * 2 : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, (size_t)n * size);
    if (!q)
        return false;
    *p = q;
    *cap = n;
    return true;
}

/* an SA with nothing due leaves the heap; one whose time changed moves */
static void heap_update(struct ike_satab *t, struct ikesa *sa, uint64_t when)
{
    if (when == UINT64_MAX) {
        heap_remove(t, sa);
        return;
    }
    if (!sa->heap_i) {
        if (!grow((void **)&t->heap, &t->heap_cap, t->heap_n + 1, sizeof *t->heap))
            return; /* out of memory: found again at its next touch */
        sa->deadline = when;
        heap_set(t, t->heap_n++, sa);
        heap_up(t, sa->heap_i - 1);
        return;
    }
    uint64_t old = sa->deadline;
    sa->deadline = when;
    if (when < old)
        heap_up(t, sa->heap_i - 1);
    else if (when > old)
        heap_down(t, sa->heap_i - 1);
}

/* ---- the table ---- */

void ike_satab_init(struct ike_engine *e)
{
    e->env.random(e->env.ctx, (uint8_t *)e->tab.key, sizeof e->tab.key);
}

void ike_satab_free(struct ike_engine *e)
{
    struct ike_satab *t = &e->tab;
    for (int w = 0; w < IKE_IX_N; w++)
        free(t->h[w].b);
    free(t->heap);
    free(t->spi);
    free(t->ho);
    free(t->touched);
    free(t->free_slots);
    free(t->dead);
    memset(t, 0, sizeof *t);
}

void ike_sa_touch(struct ike_engine *e, struct ikesa *sa)
{
    struct ike_satab *t = &e->tab;
    if (!sa || sa->touched || sa->state == IKE_S_FREE)
        return;
    if (!grow((void **)&t->touched, &t->touched_cap, t->n_touched + 1, sizeof *t->touched))
        return;
    sa->touched = true;
    t->touched[t->n_touched++] = sa;
}

/* ---- our inbound Child SA SPIs (random, ours: no keyed hash needed) ---- */

static unsigned spi_home(const struct ike_satab *t, uint32_t spi)
{
    return (unsigned)((spi * 0x9e3779b1u) & (t->spi_cap - 1));
}

static struct ike_spi_ent *spi_find(const struct ike_satab *t, uint32_t spi)
{
    /* 0 marks an empty entry: it is never one of our SPIs (a caller may
     * still ask, e.g. the data plane with a peer's packet) */
    if (!t->spi_cap || !spi)
        return NULL;
    for (unsigned i = spi_home(t, spi);; i = (i + 1) & (t->spi_cap - 1)) {
        if (t->spi[i].spi == spi)
            return &t->spi[i];
        if (!t->spi[i].spi)
            return NULL;
    }
}

/* backward-shift deletion: no tombstones, probes stay short */
static void spi_del(struct ike_satab *t, struct ikesa *sa, uint32_t spi)
{
    struct ike_spi_ent *f = spi_find(t, spi);
    if (!f || f->sa != sa)
        return; /* moved to another SA meanwhile (IKE SA rekey) */
    unsigned i = (unsigned)(f - t->spi), m = t->spi_cap - 1;
    for (unsigned j = (i + 1) & m; t->spi[j].spi; j = (j + 1) & m) {
        unsigned h = spi_home(t, t->spi[j].spi);
        if (((j - h) & m) >= ((j - i) & m)) { /* its home is not between i and j */
            t->spi[i] = t->spi[j];
            i = j;
        }
    }
    t->spi[i].spi = 0;
    t->spi[i].sa = NULL;
    t->spi_n--;
}

static void spi_put(struct ike_satab *t, struct ikesa *sa, uint32_t spi);

/* kept at most half full */
static bool spi_grow(struct ike_satab *t)
{
    if (2 * (t->spi_n + 1) <= t->spi_cap)
        return true;
    unsigned cap = t->spi_cap ? t->spi_cap * 2 : 256;
    struct ike_spi_ent *n = cap > t->spi_cap ? calloc(cap, sizeof *n) : NULL, *old = t->spi;
    if (!n)
        return false;
    unsigned oc = t->spi_cap;
    t->spi = n;
    t->spi_cap = cap;
    t->spi_n = 0;
    for (unsigned i = 0; i < oc; i++)
        if (old[i].spi)
            spi_put(t, old[i].sa, old[i].spi);
    free(old);
    return true;
}

static void spi_put(struct ike_satab *t, struct ikesa *sa, uint32_t spi)
{
    struct ike_spi_ent *f = spi_find(t, spi);
    if (f) {
        f->sa = sa;
        return;
    }
    if (!spi_grow(t))
        return;
    unsigned i = spi_home(t, spi);
    while (t->spi[i].spi)
        i = (i + 1) & (t->spi_cap - 1);
    t->spi[i].spi = spi;
    t->spi[i].sa = sa;
    t->spi_n++;
}

static bool listed(const uint32_t *l, unsigned n, uint32_t v)
{
    for (unsigned i = 0; i < n; i++)
        if (l[i] == v)
            return true;
    return false;
}

/* the SPIs the SA names now replace the ones indexed for it */
static void spis_sync(struct ike_satab *t, struct ikesa *sa)
{
    uint32_t few[2 * IKE_CHILD_CHUNK + 3], *now = few; /* a heap list for an SA of many */
    unsigned n = 0;
    if ((size_t)ike_child_slots(sa) + 2 > sizeof few / sizeof few[0] &&
        !(now = malloc(((size_t)ike_child_slots(sa) + 2) * sizeof *now)))
        return; /* what is indexed stays; the SA's lookups by new SPIs fail until the next sync */
    for (int i = 0; i < ike_child_slots(sa); i++)
        if (ike_sa_child(sa, i)->up && ike_sa_child(sa, i)->spi_in)
            now[n++] = ike_sa_child(sa, i)->spi_in;
    if (sa->rk.active && sa->rk.spi_in && !listed(now, n, sa->rk.spi_in))
        now[n++] = sa->rk.spi_in;
    /* the SPI proposed in IKE_AUTH: a child's once established (and then
     * moved with the children by an IKE SA rekey, so not claimed here) */
    if (sa->child_spi_in && sa->state != IKE_S_ESTABLISHED && !listed(now, n, sa->child_spi_in))
        now[n++] = sa->child_spi_in;
    for (unsigned i = 0; i < sa->n_spis; i++)
        if (!listed(now, n, sa->spis[i]))
            spi_del(t, sa, sa->spis[i]);
    for (unsigned i = 0; i < n; i++)
        spi_put(t, sa, now[i]);
    uint32_t *l = n > sa->n_spis ? realloc(sa->spis, n * sizeof *l) : sa->spis;
    if (l && n)
        memcpy(l, now, n * sizeof *l);
    if (l) { /* else the new ones are indexed; forgotten here, dropped when their SA goes */
        sa->spis = l;
        sa->n_spis = n;
    }
    if (now != few)
        free(now);
}

static void spis_drop(struct ike_satab *t, struct ikesa *sa)
{
    for (unsigned i = 0; i < sa->n_spis; i++)
        spi_del(t, sa, sa->spis[i]);
    free(sa->spis);
    sa->spis = NULL;
    sa->n_spis = 0;
}

struct ikesa *ike_sa_by_child_spi(struct ike_engine *e, uint32_t spi_in)
{
    struct ike_spi_ent *f = spi_find(&e->tab, spi_in);
    return f && f->sa->state != IKE_S_FREE ? f->sa : NULL;
}

/* half-open: a responder's SA between IKE_SA_INIT and IKE_AUTH (2.6) */
static bool is_half_open(const struct ikesa *sa)
{
    return !sa->initiator && sa->state == IKE_S_INIT_DONE;
}

/* ---- half-open SAs per host: open addressing, linear probing ---- */

static struct ike_ho_ent *ho_find(const struct ike_satab *t, uint64_t key)
{
    if (!t->ho_cap)
        return NULL;
    for (unsigned i = (unsigned)key & (t->ho_cap - 1);; i = (i + 1) & (t->ho_cap - 1))
        if (!t->ho[i].n || t->ho[i].key == key)
            return &t->ho[i];
}

static bool ho_grow(struct ike_satab *t)
{
    unsigned cap = t->ho_cap ? 2 * t->ho_cap : 64;
    struct ike_ho_ent *old = t->ho, *n = calloc(cap, sizeof *n);
    if (!n)
        return false;
    unsigned old_cap = t->ho_cap;
    t->ho = n;
    t->ho_cap = cap;
    for (unsigned i = 0; i < old_cap; i++)
        if (old[i].n)
            *ho_find(t, old[i].key) = old[i];
    free(old);
    return true;
}

/* a removed entry's followers that would no longer be found move up */
static void ho_remove(struct ike_satab *t, struct ike_ho_ent *f)
{
    unsigned m = t->ho_cap - 1, i = (unsigned)(f - t->ho);
    t->ho[i].n = 0;
    t->ho_n--;
    for (unsigned j = (i + 1) & m; t->ho[j].n; j = (j + 1) & m) {
        unsigned home = (unsigned)t->ho[j].key & m;
        if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
            continue;
        t->ho[i] = t->ho[j];
        t->ho[j].n = 0;
        i = j;
    }
}

/* sa became half-open (+1) or stopped being so (-1); a count that cannot be
 * kept (no memory) only makes block_threshold see fewer */
static void ho_count(struct ike_engine *e, struct ikesa *sa, int d)
{
    struct ike_satab *t = &e->tab;
    if (d > 0) {
        sa->ho_key = key_host(e, &sa->remote);
        if (2 * (t->ho_n + 1) > t->ho_cap && !ho_grow(t))
            return;
    }
    struct ike_ho_ent *f = ho_find(t, sa->ho_key);
    if (d > 0 && !f->n) {
        f->key = sa->ho_key;
        t->ho_n++;
    }
    if (d > 0)
        f->n++;
    else if (f && f->n && --f->n == 0)
        ho_remove(t, f);
}

uint32_t ike_satab_half_open_from(const struct ike_engine *e, const struct ike_addr *host)
{
    const struct ike_ho_ent *f = ho_find(&e->tab, key_host(e, host));
    return f ? f->n : 0;
}

static void sync_one(struct ike_engine *e, struct ikesa *sa)
{
    struct ike_satab *t = &e->tab;
    sa->touched = false;
    hash_link(&t->h[IKE_IX_SPI], sa, IKE_IX_SPI, key_spi(e, sa->spi_i));
    if (sa->remote.family)
        hash_link(&t->h[IKE_IX_HOST], sa, IKE_IX_HOST, key_host(e, &sa->remote));
    if (sa->state == IKE_S_ESTABLISHED && sa->peer_id)
        hash_link(&t->h[IKE_IX_PEER], sa, IKE_IX_PEER, key_peer(e, sa->peer_id));
    else
        hash_unlink(&t->h[IKE_IX_PEER], sa, IKE_IX_PEER);
    bool ho = is_half_open(sa);
    if (ho != sa->half_open) {
        t->n_half_open += ho ? 1 : -1;
        ho_count(e, sa, ho ? 1 : -1);
        sa->half_open = ho;
    }
    spis_sync(t, sa);
    if (sa->state == IKE_S_ESTABLISHED && (sa->init_req || sa->init_resp)) {
        /* AUTH is done: the IKE_SA_INIT messages it signed are no longer needed */
        free(sa->init_req);
        free(sa->init_resp);
        free(sa->certreq); /* the peer's CA hints chose our certificate in IKE_AUTH */
        sa->init_req = sa->init_resp = sa->certreq = NULL;
        sa->init_req_len = sa->init_resp_len = sa->certreq_len = 0;
    }
    heap_update(t, sa, ike_sa_deadline(e, sa));
}

void ike_satab_sync(struct ike_engine *e)
{
    struct ike_satab *t = &e->tab;
    for (unsigned i = 0; i < t->n_touched; i++)
        if (t->touched[i]->state != IKE_S_FREE)
            sync_one(e, t->touched[i]);
    t->n_touched = 0;
}

void ike_satab_index_new(struct ike_engine *e, struct ikesa *sa, unsigned slot)
{
    sa->slot = slot;
    hash_link(&e->tab.h[IKE_IX_ID], sa, IKE_IX_ID, key_id(e, sa->id));
    ike_sa_touch(e, sa);
}

/* the SA leaves every index before its memory is wiped; its slot is freed
 * at the end of the call (ike_satab_gc): pointers held meanwhile stay valid */
void ike_sa_release(struct ike_engine *e, struct ikesa *sa)
{
    struct ike_satab *t = &e->tab;
    if (sa->state != IKE_S_FREE) {
        for (int w = 0; w < IKE_IX_N; w++)
            hash_unlink(&t->h[w], sa, w);
        heap_remove(t, sa);
        spis_drop(t, sa);
        if (sa->half_open) {
            t->n_half_open--;
            ho_count(e, sa, -1);
        }
        if (grow((void **)&t->dead, &t->dead_cap, t->n_dead + 1, sizeof *t->dead))
            t->dead[t->n_dead++] = sa->slot;
    }
    ike_cp_release(e, sa); /* its virtual IPs' leases go offline (kept for the identity) */
    ike_sa_free(sa);
}

/* a slot free from now on (one never used, or one whose SA could not be made) */
void ike_satab_release_slot(struct ike_engine *e, unsigned slot)
{
    struct ike_satab *t = &e->tab;
    if (grow((void **)&t->free_slots, &t->free_cap, t->n_free + 1, sizeof *t->free_slots))
        t->free_slots[t->n_free++] = slot;
}

/* a slot to reuse; UINT32_MAX when none is free */
unsigned ike_satab_free_slot(struct ike_engine *e)
{
    struct ike_satab *t = &e->tab;
    return t->n_free ? t->free_slots[--t->n_free] : UINT32_MAX;
}

void ike_satab_gc(struct ike_engine *e)
{
    struct ike_satab *t = &e->tab;
    ike_satab_sync(e);
    for (unsigned i = 0; i < t->n_dead; i++) {
        unsigned s = t->dead[i];
        if (s >= e->n_slots || !e->sas[s] || e->sas[s]->state != IKE_S_FREE)
            continue;
        if (!grow((void **)&t->free_slots, &t->free_cap, t->n_free + 1, sizeof *t->free_slots))
            continue; /* the slot stays held (and found by no one) rather than lost twice */
        ike_sa_free(e->sas[s]); /* only its message buffers are left */
        free(e->sas[s]);
        e->sas[s] = NULL;
        t->free_slots[t->n_free++] = s;
    }
    t->n_dead = 0;
}

/* ---- lookups ---- */

struct ikesa *ike_sa_by_spi_i(struct ike_engine *e, const uint8_t spi_i[8], struct ikesa *after)
{
    const struct ike_sa_hash *h = &e->tab.h[IKE_IX_SPI];
    struct ikesa *sa = after ? hash_next(after, IKE_IX_SPI) : hash_first(h, IKE_IX_SPI, key_spi(e, spi_i));
    for (; sa; sa = hash_next(sa, IKE_IX_SPI))
        if (sa->state != IKE_S_FREE && memcmp(sa->spi_i, spi_i, 8) == 0)
            return sa;
    return NULL;
}

struct ikesa *ike_sa_by_id(struct ike_engine *e, uint32_t id)
{
    const struct ike_sa_hash *h = &e->tab.h[IKE_IX_ID];
    for (struct ikesa *sa = hash_first(h, IKE_IX_ID, key_id(e, id)); sa; sa = hash_next(sa, IKE_IX_ID))
        if (sa->state != IKE_S_FREE && sa->id == id) {
            ike_sa_touch(e, sa);
            return sa;
        }
    return NULL;
}

struct ikesa *ike_sa_by_host(struct ike_engine *e, const struct ike_addr *host, struct ikesa *after)
{
    const struct ike_sa_hash *h = &e->tab.h[IKE_IX_HOST];
    struct ikesa *sa = after ? hash_next(after, IKE_IX_HOST) : hash_first(h, IKE_IX_HOST, key_host(e, host));
    for (; sa; sa = hash_next(sa, IKE_IX_HOST))
        if (sa->state != IKE_S_FREE && ike_addr_same_host(&sa->remote, host))
            return sa;
    return NULL;
}

struct ikesa *ike_sa_by_peer(struct ike_engine *e, const struct ike_peer_id *id, struct ikesa *after)
{
    const struct ike_sa_hash *h = &e->tab.h[IKE_IX_PEER];
    struct ikesa *sa = after ? hash_next(after, IKE_IX_PEER) : hash_first(h, IKE_IX_PEER, key_peer(e, id));
    for (; sa; sa = hash_next(sa, IKE_IX_PEER))
        if (sa->state != IKE_S_FREE && sa->peer_id && sa->peer_id->type == id->type && sa->peer_id->len == id->len &&
            !memcmp(sa->peer_id->data, id->data, id->len))
            return sa;
    return NULL;
}

uint64_t ike_satab_next(const struct ike_engine *e)
{
    return e->tab.heap_n ? e->tab.heap[0]->deadline : UINT64_MAX;
}

/* the SAs due by now, touched (the caller ticks them; the sync that ends the
 * call puts them back with their next deadline); how many */
unsigned ike_satab_due(struct ike_engine *e, uint64_t now)
{
    struct ike_satab *t = &e->tab;
    while (t->heap_n && t->heap[0]->deadline <= now) {
        struct ikesa *sa = t->heap[0];
        ike_sa_touch(e, sa);
        if (!sa->touched)
            break; /* no memory to note it: ticked by a later call */
        heap_remove(t, sa);
    }
    return t->n_touched;
}
