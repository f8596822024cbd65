/* traps: kited's trap policies (start_action = trap; close_action and
 * dpd_action = trap re-arm them) between the engine's connections, the data
 * plane's SPD (sa/trap.h) and the engine's initiations.
 *
 * After every (re)configuration the children with start_action = trap get
 * their trap (remote_ts through the TUN device, no SA), those of connections
 * removed or changed lose it.  A packet from TUN that hits a trap starts one
 * initiation of its Child SA (ike_initiate); later packets are held (bounded,
 * --trap-queue) and sent in order once the Child SA is installed, dropped
 * when the IKE SA fails or after --trap-hold; after a failure none starts for
 * --trap-retry.  IKE_ACT_TRAP (close_action / dpd_action = trap) installs the
 * trap of a child whose SA went.  docs/configuration.md (start_action). */
#ifndef KITE_DAEMON_TRAPS_H
#define KITE_DAEMON_TRAPS_H
#include <stdint.h>
#include "base/log.h"
#include "daemon/dataplane.h"
#include "ike/ike.h"
#include "sa/trap.h"

struct traps {
    struct trap_table t;
    struct dataplane *dp;   /* traps need its SPD: none without a data plane */
    struct ike_engine *ike;
    struct log_sink *log;
    uint64_t now;           /* of the action whose held packets go out */
};

/* lim: NULL for the defaults */
void traps_init(struct traps *tr, struct dataplane *dp, struct ike_engine *ike, struct log_sink *log,
                const struct trap_limits *lim);
void traps_free(struct traps *tr);
/* the engine's connections as they are now: traps installed, replaced, removed */
void traps_sync(struct traps *tr);
/* an engine action (after the data plane took it): CHILD_UP sends what its
 * trap held, IKE_DOWN ends acquires of its connection, TRAP re-arms */
void traps_action(struct traps *tr, const struct ike_action *a, uint64_t now);
/* the data plane's hook (dataplane.no_sa): a packet matched policy `policy`, which has no SA */
void traps_packet(void *ctx, uint32_t policy, const uint8_t *pkt, size_t len, uint64_t now);
/* acquires past their hold time; the next time one is due, or UINT64_MAX */
uint64_t traps_tick(struct traps *tr, uint64_t now);

#endif
