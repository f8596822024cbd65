/* trap: trap policies of the userspace data plane (strongSwan's
 * start_action = trap, close_action = trap, dpd_action = trap).
 *
 * A trap is a Child SA configuration's policy without an SA: PROTECT
 * policies in the SPD (one per local x remote selector) whose `sa` is NULL,
 * ranked below every Child SA's own policy, so an installed SA carries its
 * traffic and the trap sees only packets no SA takes.  Such a packet (the
 * kernel's ACQUIRE in XFRM terms) starts one negotiation: the caller is
 * told TRAP_ACQUIRE once and initiates the Child SA; packets that follow
 * while it is negotiated are held (a bounded queue per trap) and handed back
 * in order when the Child SA is up (trap_up), or dropped when it failed
 * (trap_failed) or took longer than the hold time (trap_tick).  After a
 * failure the trap starts no negotiation for `retry_ms`.  Everything dropped
 * is counted.  The trap stays until removed (unload, reload): when the
 * Child SA goes, the next packet negotiates it again.
 *
 * Pure bookkeeping on the SPD and caller buffers: no I/O, no clock (`now` in
 * ms from the caller), so tests drive it directly (tests/unit/trap_test.c). */
#ifndef KITE_SA_TRAP_H
#define KITE_SA_TRAP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "esp/spd.h"
#include "ike/ike.h"
#include "sa/uesp.h"

/* below every Child SA's policy (uesp's count down from 2^30) */
enum { TRAP_PRIORITY = 1u << 31 };

/* why a trap is there: start_action = trap (from the configuration), or
 * close_action / dpd_action = trap after the Child SA went (re-armed);
 * bits, a trap may have both */
enum { TRAP_BY_CONFIG = 1, TRAP_BY_REARM = 2 };

struct trap_pkt {
    struct trap_pkt *next;
    size_t len;
    uint8_t data[];
};

struct trap {
    char conn[IKE_NAME_MAX], child[IKE_NAME_MAX];
    uint32_t policy_id;         /* its SPD policies' id */
    unsigned origin;            /* TRAP_BY_* */
    unsigned n_local, n_remote;
    struct esp_ts *local, *remote;
    bool acquiring;             /* a negotiation is under way */
    bool failed;                /* the last one failed: none before failed_at + retry_ms */
    uint64_t acquired_at;       /* when the last negotiation started */
    uint64_t failed_at;
    struct trap_pkt *head, *tail;
    unsigned n_held;
    uint64_t acquires;          /* negotiations it started */
};

struct trap_limits {
    uint32_t queue;    /* packets held per acquire (0: none, all dropped until the SA is up) */
    uint32_t hold_ms;  /* an acquire holds packets this long at most, then counts as failed */
    uint32_t retry_ms; /* after a failed acquire, none for this long */
};
/* the defaults: 8 packets, 30 s (XFRM's acquire expiry), 2 s */
void trap_limits_default(struct trap_limits *l);

struct trap_counters {
    uint64_t acquires;      /* negotiations started */
    uint64_t held;          /* packets held */
    uint64_t sent;          /* held packets handed back once the SA was up */
    uint64_t queue_full;    /* packets dropped: the queue was full */
    uint64_t failed;        /* held packets dropped: the negotiation failed or timed out */
    uint64_t limited;       /* packets dropped: retry_ms after a failed acquire */
};

struct trap_table {
    struct trap **v;
    size_t n, cap;
    struct trap_limits lim;
    struct trap_counters cnt;
};

void trap_table_init(struct trap_table *t);
/* every trap removed from the SPD (u may be NULL when the SPD is gone) */
void trap_table_free(struct trap_table *t, struct uesp *u);

/* install the trap of conn/child with these selectors (copied), or add
 * origin to the one installed with the same selectors; one with other
 * selectors is replaced.  0 or KITE_E_NOMEM (nothing installed) */
int trap_add(struct trap_table *t, struct uesp *u, const char *conn, const char *child, unsigned origin,
             const struct esp_ts *local, unsigned n_local, const struct esp_ts *remote, unsigned n_remote);
/* remove the trap of conn/child (child NULL: every trap of conn); its held
 * packets are dropped (counted as failed); returns how many went */
int trap_remove(struct trap_table *t, struct uesp *u, const char *conn, const char *child);
struct trap *trap_find(const struct trap_table *t, const char *conn, const char *child);
struct trap *trap_by_policy(const struct trap_table *t, uint32_t policy_id);

enum trap_verdict {
    TRAP_NONE,     /* no trap has that policy: the caller drops it as before */
    TRAP_ACQUIRE,  /* the packet starts a negotiation (held if the queue allows): initiate it */
    TRAP_HELD,     /* held: a negotiation is under way */
    TRAP_DROPPED   /* dropped and counted (queue full, or retry_ms after a failure) */
};
/* a packet from TUN matched policy_id, a policy without an SA */
enum trap_verdict trap_packet(struct trap_table *t, uint32_t policy_id, const uint8_t *pkt, size_t len,
                              uint64_t now);
/* the Child SA of conn/child is up: each held packet goes to send(), in the
 * order it came, then is freed; the acquire is over.  Returns how many */
int trap_up(struct trap_table *t, const char *conn, const char *child,
            void (*send)(void *ctx, const uint8_t *pkt, size_t len), void *ctx);
/* the negotiation of conn/child (child NULL: every trap of conn) failed:
 * held packets dropped (counted), no new one for retry_ms; returns how many
 * acquires ended */
int trap_failed(struct trap_table *t, const char *conn, const char *child, uint64_t now);
/* acquires past hold_ms end as failed; the next time one will, or UINT64_MAX */
uint64_t trap_tick(struct trap_table *t, uint64_t now);

#endif
