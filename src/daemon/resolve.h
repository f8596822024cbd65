/* resolve: DNS names in remote_addrs (strongSwan's `remote_addrs =
 * moon.strongswan.org`).
 *
 * A name is resolved when the connection is loaded (bridge.c: at most
 * RESOLVE_LOAD_MS, so a dead resolver cannot hold the daemon), and again, in
 * the background (getaddrinfo_a, polled from the event loop's deadline),
 * after every IKE SA of the connection that goes down: a failed attempt
 * (before keyingtries tries again), a lost peer (dpd_action = restart) or a
 * deleted SA, so the next initiation goes to the name's current address.
 * Until a name resolves the connection neither initiates nor answers anyone.
 * The first address of the family of local_addrs (any when %any) is used,
 * as charon takes the first the resolver gives. */
#ifndef KITE_DAEMON_RESOLVE_H
#define KITE_DAEMON_RESOLVE_H
#include <stdbool.h>
#include <stdint.h>
#include <netdb.h>
#include "ike/ike.h"

enum { RESOLVE_LOAD_MS = 2000 };

/* a resolver: 0 and *out, or nonzero (EAI_* or -1).  family: 4, 6, or 0 for any.
 * The default is getaddrinfo's; tests give a fake one */
typedef int resolve_fn(void *ctx, const char *name, uint8_t family, struct ike_addr *out);

/* the first address of `family` (0: any) in a getaddrinfo list; 0 or -1 */
int resolve_pick(const struct addrinfo *list, uint8_t family, struct ike_addr *out);
/* name resolved now, waiting at most timeout_ms (getaddrinfo_a); 0 or EAI_* */
int resolve_bounded(const char *name, uint8_t family, uint32_t timeout_ms, struct ike_addr *out);

struct resolve_req;
struct resolver {
    resolve_fn *fn;   /* NULL: getaddrinfo_a in the background */
    void *ctx;
    struct resolve_req *reqs;
    void (*log)(void *ctx, int level, const char *msg);
    void *log_ctx;
    uint64_t done, failed; /* resolutions finished, of which failed */
};

/* connection conn (named host, family as above) resolved again; one request
 * per connection at a time */
void resolve_start(struct resolver *r, const char *conn, const char *host, uint8_t family);
/* finished requests handed to the engine (ike_engine_set_remote when the
 * address changed, logged); the next time to poll (UINT64_MAX: nothing waits) */
uint64_t resolve_poll(struct resolver *r, struct ike_engine *e, uint64_t now);
/* the engine's actions: an IKE_DOWN of a DNS-named connection resolves again */
void resolve_action(struct resolver *r, struct ike_engine *e, const struct ike_action *a);
void resolve_free(struct resolver *r);

#endif
