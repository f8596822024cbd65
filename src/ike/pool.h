/* pool: virtual IP address pools with leases per peer identity (RFC 7296
 * 3.15; the gateway side of configuration payloads, cp.c).
 *
 * Allocation is O(1) whatever the pool's size: addresses never handed out
 * are taken from a counter, a returning identity finds its lease in a hash
 * table, and when the counter has reached the end the oldest offline lease
 * (its identity has no IKE SA left) goes to the newcomer.  Nothing scans the
 * range, and a /8 or a /64 costs no more memory than the leases in it. */
#ifndef KITE_IKE_POOL_H
#define KITE_IKE_POOL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ike/ike.h"

struct ike_vpool;
struct ike_lease;

/* a pool from cfg (copied); hkey keys the identity hash (peers choose their
 * identities); NULL when out of memory or the range is empty / inverted */
struct ike_vpool *ike_vpool_new(const struct ike_pool_cfg *cfg, const uint64_t hkey[2]);
void ike_vpool_free(struct ike_vpool *p);
/* the lease of identity (type, id[0..n)): its old one when it has one, else
 * a fresh address, else the oldest offline lease; held once more (online).
 * The lease, or NULL with *err KITE_E_LIMIT (every address is online) or
 * KITE_E_NOMEM; p->exhausted counts the first */
struct ike_lease *ike_vpool_acquire(struct ike_vpool *p, uint8_t type, const uint8_t *id, size_t n, int *err);
/* one more holder (an IKE SA rekeyed into a new one that takes it over) */
void ike_vpool_hold(struct ike_vpool *p, struct ike_lease *l);
/* one holder less; the lease goes offline, kept for its identity, at zero */
void ike_vpool_release(struct ike_vpool *p, struct ike_lease *l);
/* the lease's address (family and ip; port 0) */
void ike_lease_addr(const struct ike_vpool *p, const struct ike_lease *l, struct ike_addr *out);

/* the pool's configuration (name, family, range, attributes) */
const struct ike_pool_cfg *ike_vpool_cfg(const struct ike_vpool *p);
/* attributes replaced (copied); 0 or KITE_E_NOMEM (the old ones stay) */
int ike_vpool_set_attrs(struct ike_vpool *p, const struct ike_pool_attr *a, unsigned n);
void ike_vpool_info(const struct ike_vpool *p, struct ike_pool_info *out);
/* every lease, in no particular order (swanctl --list-pools --leases) */
void ike_vpool_leases(const struct ike_vpool *p, ike_lease_fn *fn, void *ctx);
/* online leases (held by IKE SAs) */
uint64_t ike_vpool_online(const struct ike_vpool *p);

#endif
