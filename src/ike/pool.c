/* pool: virtual IP pools and leases per identity (pool.h; RFC 7296 3.15). */
#include "ike/pool.h"
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/keyhash.h"

struct ike_lease {
    struct ike_lease *hnext;       /* identity hash chain */
    struct ike_lease *prev, *next; /* the offline list, oldest first (refs 0 only) */
    uint64_t off;                  /* address = lo + off */
    uint64_t hash;
    uint32_t refs;                 /* IKE SAs holding it; 0: offline */
    uint8_t type;
    uint16_t len;
    uint8_t id[];
};

struct ike_vpool {
    struct ike_pool_cfg cfg;       /* attrs points at attrs below */
    struct ike_pool_attr *attrs;
    uint64_t key[2];
    uint64_t size, next_unused;    /* offsets below next_unused have been handed out */
    struct ike_lease **b;          /* cap buckets, a power of two */
    uint64_t cap, n;               /* n: leases, online or offline */
    struct ike_lease *old, *young; /* the offline list's ends */
    uint64_t online, offline, exhausted;
};

/* hi - lo + 1 in 64 bits (UINT64_MAX when larger: a v6 range over 2^64
 * addresses is used up to that); 0 when hi < lo */
static uint64_t range_size(uint8_t family, const uint8_t *lo, const uint8_t *hi)
{
    size_t n = family == 6 ? 16 : 4;
    uint8_t d[16];
    int borrow = 0;
    for (size_t i = n; i-- > 0;) {
        int v = hi[i] - lo[i] - borrow;
        borrow = v < 0;
        d[i] = (uint8_t)(v + (borrow ? 256 : 0));
    }
    if (borrow)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (n - i > 8 && d[i])
            return UINT64_MAX;
        if (n - i <= 8)
            v = v << 8 | d[i];
    }
    return v == UINT64_MAX ? v : v + 1;
}

int ike_vpool_set_attrs(struct ike_vpool *p, const struct ike_pool_attr *a, unsigned n)
{
    struct ike_pool_attr *c = n ? malloc(n * sizeof *c) : NULL;
    if (n && !c)
        return KITE_E_NOMEM;
    if (n)
        memcpy(c, a, n * sizeof *c);
    free(p->attrs);
    p->attrs = c;
    p->cfg.attrs = c;
    p->cfg.n_attrs = n;
    return 0;
}

struct ike_vpool *ike_vpool_new(const struct ike_pool_cfg *cfg, const uint64_t hkey[2])
{
    struct ike_vpool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->cfg = *cfg;
    p->cfg.attrs = NULL;
    p->cfg.n_attrs = 0;
    p->size = cfg->family ? range_size(cfg->family, cfg->lo, cfg->hi) : 0;
    p->key[0] = hkey[0];
    p->key[1] = hkey[1];
    p->cap = 16;
    p->b = calloc(p->cap, sizeof *p->b);
    if (!p->b || (cfg->family && !p->size) || ike_vpool_set_attrs(p, cfg->attrs, cfg->n_attrs)) {
        ike_vpool_free(p);
        return NULL;
    }
    return p;
}

void ike_vpool_free(struct ike_vpool *p)
{
    if (!p)
        return;
    for (uint64_t i = 0; p->b && i < p->cap; i++)
        for (struct ike_lease *l = p->b[i], *next; l; l = next) {
            next = l->hnext;
            free(l);
        }
    free(p->b);
    free(p->attrs);
    free(p);
}

static uint64_t id_hash(const struct ike_vpool *p, uint8_t type, const uint8_t *id, size_t n)
{
    return keyhash(p->key, id, n) ^ type;
}

static struct ike_lease *find(const struct ike_vpool *p, uint64_t h, uint8_t type, const uint8_t *id, size_t n)
{
    for (struct ike_lease *l = p->b[h & (p->cap - 1)]; l; l = l->hnext)
        if (l->hash == h && l->type == type && l->len == n && !memcmp(l->id, id, n))
            return l;
    return NULL;
}

/* twice the buckets once there are more leases than buckets; a failed
 * growth only makes chains longer */
static void grow(struct ike_vpool *p)
{
    if (p->n < p->cap || p->cap > UINT64_MAX / 2 / sizeof *p->b)
        return;
    struct ike_lease **b = calloc(p->cap * 2, sizeof *b);
    if (!b)
        return;
    for (uint64_t i = 0; i < p->cap; i++)
        for (struct ike_lease *l = p->b[i], *next; l; l = next) {
            next = l->hnext;
            l->hnext = b[l->hash & (p->cap * 2 - 1)];
            b[l->hash & (p->cap * 2 - 1)] = l;
        }
    free(p->b);
    p->b = b;
    p->cap *= 2;
}

static void hash_unlink(struct ike_vpool *p, struct ike_lease *l)
{
    struct ike_lease **pp = &p->b[l->hash & (p->cap - 1)];
    while (*pp != l)
        pp = &(*pp)->hnext;
    *pp = l->hnext;
    p->n--;
}

static void offline_unlink(struct ike_vpool *p, struct ike_lease *l)
{
    *(l->prev ? &l->prev->next : &p->old) = l->next;
    *(l->next ? &l->next->prev : &p->young) = l->prev;
    l->prev = l->next = NULL;
    p->offline--;
}

/* the offset for a newcomer: one never handed out, else the oldest offline
 * lease's (that lease is dropped: its identity starts afresh next time) */
static int free_offset(struct ike_vpool *p, uint64_t *off)
{
    if (p->next_unused < p->size) {
        *off = p->next_unused++;
        return 0;
    }
    struct ike_lease *l = p->old;
    if (!l)
        return KITE_E_LIMIT;
    offline_unlink(p, l);
    hash_unlink(p, l);
    *off = l->off;
    free(l);
    return 0;
}

struct ike_lease *ike_vpool_acquire(struct ike_vpool *p, uint8_t type, const uint8_t *id, size_t n, int *err)
{
    uint64_t h = id_hash(p, type, id, n), off;
    struct ike_lease *l = find(p, h, type, id, n);
    *err = 0;
    if (l) {
        ike_vpool_hold(p, l);
        return l;
    }
    if (!p->cfg.family || n > UINT16_MAX) {
        *err = KITE_E_INVALID_ARG;
        return NULL;
    }
    if (!(l = calloc(1, sizeof *l + n))) {
        *err = KITE_E_NOMEM;
        return NULL;
    }
    if ((*err = free_offset(p, &off)) != 0) {
        p->exhausted++;
        free(l);
        return NULL;
    }
    *l = (struct ike_lease){ .off = off, .hash = h, .type = type, .len = (uint16_t)n };
    memcpy(l->id, id, n);
    l->hnext = p->b[h & (p->cap - 1)];
    p->b[h & (p->cap - 1)] = l;
    p->n++;
    grow(p);
    ike_vpool_hold(p, l);
    return l;
}

void ike_vpool_hold(struct ike_vpool *p, struct ike_lease *l)
{
    if (!l->refs++) {
        if (l->prev || l->next || p->old == l)
            offline_unlink(p, l);
        p->online++;
    }
}

void ike_vpool_release(struct ike_vpool *p, struct ike_lease *l)
{
    if (!l->refs || --l->refs)
        return;
    p->online--;
    p->offline++;
    l->prev = p->young;
    l->next = NULL;
    *(p->young ? &p->young->next : &p->old) = l;
    p->young = l;
}

void ike_lease_addr(const struct ike_vpool *p, const struct ike_lease *l, struct ike_addr *out)
{
    size_t n = p->cfg.family == 6 ? 16 : 4;
    uint64_t add = l->off;
    unsigned carry = 0;
    memset(out, 0, sizeof *out);
    out->family = p->cfg.family;
    for (size_t i = n; i-- > 0;) {
        unsigned v = p->cfg.lo[i] + (unsigned)(add & 0xff) + carry;
        out->ip[i] = (uint8_t)v;
        carry = v >> 8;
        add >>= 8;
    }
}

const struct ike_pool_cfg *ike_vpool_cfg(const struct ike_vpool *p)
{
    return &p->cfg;
}

void ike_vpool_info(const struct ike_vpool *p, struct ike_pool_info *out)
{
    memset(out, 0, sizeof *out);
    out->name = p->cfg.name;
    out->family = p->cfg.family;
    memcpy(out->lo, p->cfg.lo, 16);
    memcpy(out->hi, p->cfg.hi, 16);
    out->size = p->size;
    out->online = p->online;
    out->offline = p->offline;
    out->exhausted = p->exhausted;
}

uint64_t ike_vpool_online(const struct ike_vpool *p)
{
    return p->online;
}

void ike_vpool_leases(const struct ike_vpool *p, ike_lease_fn *fn, void *ctx)
{
    for (uint64_t b = 0; b < p->cap; b++)
        for (const struct ike_lease *l = p->b[b]; l; l = l->hnext) {
            struct ike_addr a;
            ike_lease_addr(p, l, &a);
            fn(ctx, &a, l->type, l->id, l->len, l->refs > 0);
        }
}
