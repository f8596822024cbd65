/* routes: routes by key with a count of holders, holds by holder. */
#include "daemon/routes.h"
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "base/err.h"
#include "base/keyhash.h"

#define NIL UINT32_MAX

struct routes_route {
    struct route_key k;
    uint32_t refs; /* holds of it; 0: free */
    uint32_t next; /* in its bucket, or the free list */
};

struct routes_hold {
    uint32_t id;    /* the Child SA's inbound SPI, or the trap's policy id */
    uint32_t route; /* index in route[]; NIL: free */
    uint32_t next;  /* in its bucket, or the free list */
    bool trap;
};

void routes_init(struct routes *t, const uint64_t key[2])
{
    memset(t, 0, sizeof *t);
    t->key[0] = key[0];
    t->key[1] = key[1];
    t->free_route = t->free_hold = NIL;
}

void routes_free(struct routes *t)
{
    free(t->route);
    free(t->route_b);
    free(t->hold);
    free(t->hold_b);
    uint64_t key[2] = { t->key[0], t->key[1] };
    routes_init(t, key);
}

void routes_key(struct route_key *k, int family, const uint8_t *dst, int plen)
{
    memset(k, 0, sizeof *k);
    k->family = (uint8_t)family;
    k->plen = (uint8_t)plen;
    memcpy(k->dst, dst, family == AF_INET6 ? 16 : 4);
}

static bool key_eq(const struct route_key *a, const struct route_key *b)
{
    return a->family == b->family && a->plen == b->plen && !memcmp(a->dst, b->dst, sizeof a->dst);
}

/* the selectors, hence the destinations, come from peers: a keyed hash */
static uint32_t route_bucket(const struct routes *t, const struct route_key *k)
{
    return (uint32_t)keyhash(t->key, (const uint8_t *)k, sizeof *k) & (t->nb_route - 1);
}

static uint32_t hold_bucket(const struct routes *t, bool trap, uint32_t id)
{
    uint8_t b[5] = { trap, (uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id };
    return (uint32_t)keyhash(t->key, b, sizeof b) & (t->nb_hold - 1);
}

static uint32_t route_find(const struct routes *t, const struct route_key *k)
{
    if (!t->nb_route)
        return NIL;
    uint32_t i = t->route_b[route_bucket(t, k)];
    while (i != NIL && !key_eq(&t->route[i].k, k))
        i = t->route[i].next;
    return i;
}

bool routes_known(const struct routes *t, const struct route_key *k)
{
    return route_find(t, k) != NIL;
}

/* ---- growth: pools doubled, buckets as many as entries, rebuilt ---- */

static int grow_pool(void **pool, uint32_t *cap, size_t size)
{
    uint32_t n = *cap ? *cap * 2 : 64;
    void *p = n > *cap ? realloc(*pool, (size_t)n * size) : NULL;
    if (!p)
        return KITE_E_NOMEM;
    *pool = p;
    *cap = n;
    return 0;
}

static int route_room(struct routes *t)
{
    if (t->free_route != NIL)
        return 0;
    uint32_t old = t->cap_route;
    uint32_t *b = malloc((size_t)(old ? old * 2 : 64) * sizeof *b);
    if (!b || grow_pool((void **)&t->route, &t->cap_route, sizeof *t->route)) {
        free(b);
        return KITE_E_NOMEM;
    }
    free(t->route_b);
    t->route_b = b;
    t->nb_route = t->cap_route;
    memset(b, 0xff, (size_t)t->nb_route * sizeof *b);
    for (uint32_t i = 0; i < old; i++) { /* all used: the pool was full */
        uint32_t h = route_bucket(t, &t->route[i].k);
        t->route[i].next = b[h];
        b[h] = i;
    }
    for (uint32_t i = t->cap_route; i-- > old;) {
        t->route[i].refs = 0;
        t->route[i].next = t->free_route;
        t->free_route = i;
    }
    return 0;
}

static int hold_room(struct routes *t)
{
    if (t->free_hold != NIL)
        return 0;
    uint32_t old = t->cap_hold;
    uint32_t *b = malloc((size_t)(old ? old * 2 : 64) * sizeof *b);
    if (!b || grow_pool((void **)&t->hold, &t->cap_hold, sizeof *t->hold)) {
        free(b);
        return KITE_E_NOMEM;
    }
    free(t->hold_b);
    t->hold_b = b;
    t->nb_hold = t->cap_hold;
    memset(b, 0xff, (size_t)t->nb_hold * sizeof *b);
    for (uint32_t i = 0; i < old; i++) {
        uint32_t h = hold_bucket(t, t->hold[i].trap, t->hold[i].id);
        t->hold[i].next = b[h];
        b[h] = i;
    }
    for (uint32_t i = t->cap_hold; i-- > old;) {
        t->hold[i].route = NIL;
        t->hold[i].next = t->free_hold;
        t->free_hold = i;
    }
    return 0;
}

int routes_room(struct routes *t)
{
    return route_room(t) || hold_room(t) ? KITE_E_NOMEM : 0;
}

/* ---- holding and letting go ---- */

int routes_hold(struct routes *t, bool trap, uint32_t id, const struct route_key *k)
{
    if (routes_room(t))
        return KITE_E_NOMEM;
    uint32_t r = route_find(t, k);
    if (r == NIL) {
        r = t->free_route;
        t->free_route = t->route[r].next;
        uint32_t h = route_bucket(t, k);
        t->route[r] = (struct routes_route){ .k = *k, .refs = 0, .next = t->route_b[h] };
        t->route_b[h] = r;
        t->n_route++;
    }
    t->route[r].refs++;
    uint32_t i = t->free_hold;
    t->free_hold = t->hold[i].next;
    uint32_t h = hold_bucket(t, trap, id);
    t->hold[i] = (struct routes_hold){ .id = id, .route = r, .next = t->hold_b[h], .trap = trap };
    t->hold_b[h] = i;
    t->n_hold++;
    return 0;
}

/* one hold less on route r: freed (and told) when it was the last */
static void route_unref(struct routes *t, uint32_t r, routes_gone_fn *gone, void *ctx)
{
    struct routes_route *e = &t->route[r];
    if (--e->refs)
        return;
    uint32_t *p = &t->route_b[route_bucket(t, &e->k)];
    while (*p != r)
        p = &t->route[*p].next;
    *p = e->next;
    if (gone)
        gone(ctx, &e->k);
    e->next = t->free_route;
    t->free_route = r;
    t->n_route--;
}

unsigned routes_release(struct routes *t, bool trap, uint32_t id, routes_gone_fn *gone, void *ctx)
{
    if (!t->nb_hold)
        return 0;
    unsigned n = 0;
    uint32_t *p = &t->hold_b[hold_bucket(t, trap, id)];
    while (*p != NIL) {
        uint32_t i = *p;
        struct routes_hold *h = &t->hold[i];
        if (h->trap != trap || h->id != id) {
            p = &h->next;
            continue;
        }
        *p = h->next;
        uint32_t r = h->route;
        h->route = NIL;
        h->next = t->free_hold;
        t->free_hold = i;
        t->n_hold--;
        route_unref(t, r, gone, ctx);
        n++;
    }
    return n;
}

void routes_release_all(struct routes *t, routes_gone_fn *gone, void *ctx)
{
    for (uint32_t r = 0; r < t->cap_route; r++)
        if (t->route[r].refs && gone)
            gone(ctx, &t->route[r].k);
    routes_free(t);
}
