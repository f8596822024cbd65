/* routes_bench: what kited's route book (daemon/routes.c) costs per Child SA
 * that comes or goes with N Child SAs holding routes, beside the flat array
 * dataplane.c scanned before issue 13 (its bookkeeping copied below as the
 * anchor, run on the same operations in the same run; the netlink calls
 * are counted, not made).  Two patterns: each Child SA its own /32 (a
 * responder's road warriors' addresses), and all of them one shared /16 (a
 * site many Child SAs reach).  With N installed, CPU µs per Child SA
 * replaced (a random one's routes removed, a new one's added), and for the
 * new book the mean µs per Child SA of filling up to N.  The installs and
 * removals asked of the kernel must be the same for both.
 *   routes children=<N> pattern=<own|shared> fill_us=<µs> churn_us=<µs> old_churn_us=<µs>
 *          installs=<n> removes=<n> old_installs=<n> old_removes=<n>
 * Usage: routes_bench [N ...] (default 1000 10000 100000) */
#include "daemon/routes.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the host may be shared */
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ---- the anchor: dataplane.c's route array before issue 13 ---- */

struct old_route {
    bool used;
    uint32_t spi_in;
    int family;
    uint8_t dst[16];
    int plen;
    bool trap;
};

struct old_table {
    struct old_route *routes;
    int n_routes, cap_routes;
    unsigned installs, removes; /* the netlink calls it would make */
};

static struct old_route *old_slot(struct old_table *t)
{
    for (int i = 0; i < t->n_routes; i++)
        if (!t->routes[i].used)
            return &t->routes[i];
    if (t->n_routes == t->cap_routes) {
        int cap = t->cap_routes ? 2 * t->cap_routes : 64;
        struct old_route *r = realloc(t->routes, (size_t)cap * sizeof *r);
        if (!r)
            exit(1);
        t->routes = r;
        t->cap_routes = cap;
    }
    t->routes[t->n_routes] = (struct old_route){ 0 };
    return &t->routes[t->n_routes++];
}

static bool old_known(const struct old_table *t, int family, const uint8_t *dst, int plen)
{
    for (int i = 0; i < t->n_routes; i++) {
        const struct old_route *o = &t->routes[i];
        if (o->used && o->family == family && o->plen == plen && !memcmp(o->dst, dst, family == AF_INET6 ? 16 : 4))
            return true;
    }
    return false;
}

static void old_add(struct old_table *t, uint32_t spi_in, int family, const uint8_t *dst, int plen)
{
    bool known = old_known(t, family, dst, plen); /* routes_for asked first */
    struct old_route *r = old_slot(t);
    t->installs += !known;
    *r = (struct old_route){ .used = true, .spi_in = spi_in, .family = family, .plen = plen };
    memcpy(r->dst, dst, family == AF_INET6 ? 16 : 4);
}

static void old_del_one(struct old_table *t, struct old_route *r)
{
    bool shared = false;
    for (int i = 0; i < t->n_routes; i++) {
        struct old_route *o = &t->routes[i];
        if (o != r && o->used && o->family == r->family && o->plen == r->plen && !memcmp(o->dst, r->dst, 16))
            shared = true;
    }
    t->removes += !shared;
    r->used = false;
}

static void old_child_remove(struct old_table *t, uint32_t spi_in)
{
    for (int i = 0; i < t->n_routes; i++)
        if (t->routes[i].used && t->routes[i].spi_in == spi_in && !t->routes[i].trap)
            old_del_one(t, &t->routes[i]);
}

/* ---- the same operations on both ---- */

/* Child SA k's route: its own 10.128.0.0 + k /32, or the shared 10.1.0.0/16 */
static void dst_of(uint32_t k, bool shared, uint8_t dst[16], int *plen)
{
    memset(dst, 0, 16);
    if (shared) {
        dst[0] = 10, dst[1] = 1, *plen = 16;
        return;
    }
    dst[0] = 10, dst[1] = (uint8_t)(128 + (k >> 16)), dst[2] = (uint8_t)(k >> 8), dst[3] = (uint8_t)k;
    *plen = 32;
}

static unsigned installs, removes;

static void gone(void *ctx, const struct route_key *k)
{
    (void)ctx, (void)k;
    removes++;
}

static void new_add(struct routes *t, uint32_t k, bool shared)
{
    uint8_t dst[16];
    int plen;
    struct route_key key;
    dst_of(k, shared, dst, &plen);
    routes_key(&key, AF_INET, dst, plen);
    if (routes_room(t))
        exit(1);
    installs += !routes_known(t, &key);
    routes_hold(t, false, 0xc0000000 + k, &key);
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static void run(uint32_t n, bool shared)
{
    struct routes t;
    const uint64_t key[2] = { 1, 2 };
    struct old_table o = { 0 };
    uint32_t *live = malloc(n * sizeof *live);
    if (!live)
        exit(1);
    routes_init(&t, key);
    double t0 = now_ns();
    for (uint32_t k = 0; k < n; k++)
        new_add(&t, k, shared);
    double fill = (now_ns() - t0) / n;
    /* the old array filled as its adds would have left it (filling it
     * through them is O(N^2): minutes at 100,000) */
    o.cap_routes = o.n_routes = (int)n;
    o.routes = calloc(n, sizeof *o.routes);
    if (!o.routes)
        exit(1);
    for (uint32_t k = 0; k < n; k++) {
        struct old_route *r = &o.routes[k];
        *r = (struct old_route){ .used = true, .spi_in = 0xc0000000 + k, .family = AF_INET };
        dst_of(k, shared, r->dst, &r->plen);
        live[k] = k;
    }
    /* churn: a random Child SA goes, a new one comes; the same sequence for both */
    uint32_t ops = n >= 100000 ? 1000 : n >= 10000 ? 2000 : 5000, next = n;
    uint32_t *victim = malloc(ops * sizeof *victim);
    if (!victim)
        exit(1);
    for (uint32_t i = 0; i < ops; i++) {
        uint32_t j = rnd(n);
        victim[i] = live[j];
        live[j] = next++;
    }
    installs = removes = 0;
    t0 = now_ns();
    for (uint32_t i = 0; i < ops; i++) {
        routes_release(&t, false, 0xc0000000 + victim[i], gone, NULL);
        new_add(&t, n + i, shared);
    }
    double churn = (now_ns() - t0) / ops;
    t0 = now_ns();
    for (uint32_t i = 0; i < ops; i++) {
        uint8_t dst[16];
        int plen;
        old_child_remove(&o, 0xc0000000 + victim[i]);
        dst_of(n + i, shared, dst, &plen);
        old_add(&o, 0xc0000000 + n + i, AF_INET, dst, plen);
    }
    double old_churn = (now_ns() - t0) / ops;
    printf("routes children=%u pattern=%s fill_us=%.3f churn_us=%.3f old_churn_us=%.1f installs=%u removes=%u "
           "old_installs=%u old_removes=%u\n",
           n, shared ? "shared" : "own", fill / 1e3, churn / 1e3, old_churn / 1e3, installs, removes, o.installs,
           o.removes);
    fflush(stdout);
    routes_free(&t);
    free(o.routes);
    free(live);
    free(victim);
}

int main(int argc, char **argv)
{
    uint32_t def[] = { 1000, 10000, 100000 };
    int n = argc > 1 ? argc - 1 : 3;
    for (int i = 0; i < n; i++) {
        uint32_t v = argc > 1 ? (uint32_t)strtoul(argv[i + 1], NULL, 10) : def[i];
        run(v, false);
        run(v, true);
    }
    return 0;
}
