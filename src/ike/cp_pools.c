/* cp_pools: the engine's set of virtual IP pools (ike.h: ike_engine_set_pools).
 * A reload keeps the pools it does not change, and their leases with them;
 * a changed or removed pool is retired: it assigns nothing more and is freed
 * once the IKE SAs holding its leases are gone (cp.c). */
#include <stdlib.h>
#include <string.h>
#include "ike/ike_int.h"

static bool same_range(const struct ike_pool_cfg *a, const struct ike_pool_cfg *b)
{
    return !strcmp(a->name, b->name) && a->family == b->family && !memcmp(a->lo, b->lo, 16) &&
           !memcmp(a->hi, b->hi, 16);
}

/* the running pool that cfg leaves as it is (but its attributes), or NULL */
static struct ike_vpool *kept(struct ike_engine *e, const struct ike_pool_cfg *cfg)
{
    for (unsigned i = 0; i < e->n_pools; i++)
        if (e->pools[i] && same_range(ike_vpool_cfg(e->pools[i]), cfg))
            return e->pools[i];
    return NULL;
}

/* room for it was made beforehand: retiring cannot fail */
static void retire(struct ike_engine *e, struct ike_vpool *p)
{
    if (!ike_vpool_online(p))
        ike_vpool_free(p);
    else
        e->retired[e->n_retired++] = p;
}

int ike_engine_set_pools(struct ike_engine *e, const struct ike_pool_cfg *p, unsigned n)
{
    struct ike_vpool **np = calloc(n ? n : 1, sizeof *np);
    struct ike_vpool **r = np ? realloc(e->retired, (e->n_retired + e->n_pools + 1) * sizeof *r) : NULL;
    if (r)
        e->retired = r;
    if (!np || !r) {
        free(np);
        return KITE_E_NOMEM;
    }
    if (!e->pool_key_set) {
        e->env.random(e->env.ctx, (uint8_t *)e->pool_key, sizeof e->pool_key);
        e->pool_key_set = true;
    }
    int rc = 0;
    for (unsigned i = 0; i < n && !rc; i++) {
        struct ike_vpool *k = kept(e, &p[i]);
        np[i] = k ? k : ike_vpool_new(&p[i], e->pool_key);
        rc = !np[i] ? KITE_E_INVALID_ARG : k ? ike_vpool_set_attrs(k, p[i].attrs, p[i].n_attrs) : 0;
    }
    if (rc) { /* the new ones go, the running set stays */
        for (unsigned i = 0; i < n; i++)
            if (np[i] && !kept(e, ike_vpool_cfg(np[i])))
                ike_vpool_free(np[i]);
        free(np);
        return rc;
    }
    for (unsigned i = 0; i < e->n_pools; i++) {
        bool stays = false;
        for (unsigned j = 0; j < n; j++)
            stays |= np[j] == e->pools[i];
        if (!stays)
            retire(e, e->pools[i]);
    }
    free(e->pools);
    e->pools = np;
    e->n_pools = n;
    return 0;
}

bool ike_engine_pool_info(const struct ike_engine *e, unsigned i, struct ike_pool_info *out)
{
    if (i >= e->n_pools)
        return false;
    ike_vpool_info(e->pools[i], out);
    return true;
}

bool ike_engine_pool_leases(const struct ike_engine *e, unsigned i, ike_lease_fn *fn, void *ctx)
{
    if (i >= e->n_pools)
        return false;
    ike_vpool_leases(e->pools[i], fn, ctx);
    return true;
}

void ike_cp_pools_free(struct ike_engine *e)
{
    for (unsigned i = 0; i < e->n_pools; i++)
        ike_vpool_free(e->pools[i]);
    for (unsigned i = 0; i < e->n_retired; i++)
        ike_vpool_free(e->retired[i]);
    free(e->pools);
    free(e->retired);
    e->pools = e->retired = NULL;
    e->n_pools = e->n_retired = 0;
}
