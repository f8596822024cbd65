/* routes: the book of the routes kited installs through its TUN device and
 * of who holds each one (daemon/dataplane.c does the netlink calls).
 *
 * Every Child SA's remote selectors become routes, and many Child SAs share
 * one (100,000 road warriors behind 10.1.0.0/16): a route is installed once,
 * counted for each holder, and removed from the kernel when its last holder
 * lets go.  A holder is a Child SA (by its inbound SPI) or a trap policy (by
 * its policy id): the two are told apart, so a Child SA going never takes a
 * trap's route along, nor a trap going a Child SA's.
 *
 * Nothing here scans (issue 13: kited's responder spent ~8% of its CPU per
 * Child SA walking a flat array at 30,000 SAs): routes are hashed by
 * (family, prefix length, destination), keyed, since peers choose the
 * selectors; holds by holder.  Both tables grow; no count is compiled in. */
#ifndef KITE_DAEMON_ROUTES_H
#define KITE_DAEMON_ROUTES_H
#include <stdbool.h>
#include <stdint.h>

/* a route: family AF_INET or AF_INET6, dst zero past the family's length */
struct route_key {
    uint8_t family, plen;
    uint8_t dst[16];
};

struct routes_route; /* routes.c */
struct routes_hold;

struct routes {
    uint64_t key[2];                /* of the hashes (base/keyhash.h) */
    /* pools, linked by index (UINT32_MAX: none); used entries are chained
     * from their bucket, free ones from free_* */
    struct routes_route *route;
    uint32_t n_route, cap_route, free_route, *route_b, nb_route;
    struct routes_hold *hold;
    uint32_t n_hold, cap_hold, free_hold, *hold_b, nb_hold;
};

/* called for each route whose last holder went: the caller removes it */
typedef void routes_gone_fn(void *ctx, const struct route_key *k);

void routes_init(struct routes *t, const uint64_t key[2]);
/* forgets everything (routes_release_all first to hear of each route) */
void routes_free(struct routes *t);
void routes_key(struct route_key *k, int family, const uint8_t *dst, int plen);
/* somebody holds the route: it is installed */
bool routes_known(const struct routes *t, const struct route_key *k);
/* room for one more hold of a new route: after 0, routes_hold cannot fail;
 * KITE_E_NOMEM */
int routes_room(struct routes *t);
/* holder (trap, id) holds k: the caller installed it when it was not known;
 * 0 or KITE_E_NOMEM (nothing changed) */
int routes_hold(struct routes *t, bool trap, uint32_t id, const struct route_key *k);
/* holder (trap, id) lets go of every route it holds; gone() for each nobody
 * holds any more; returns the holds dropped */
unsigned routes_release(struct routes *t, bool trap, uint32_t id, routes_gone_fn *gone, void *ctx);
/* every holder lets go: gone() once for each route */
void routes_release_all(struct routes *t, routes_gone_fn *gone, void *ctx);
/* the routes held (installed) */
static inline uint32_t routes_count(const struct routes *t)
{
    return t->n_route;
}

#endif
