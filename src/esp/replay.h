/* replay: the inbound anti-replay window of one SA (RFC 4303 3.4.3) with
 * extended sequence numbers (RFC 4303 Appendix A2).
 *
 * Two steps per packet, split around the ICV check:
 *   esp_replay_check()  before decryption: infer the full 64-bit number from
 *                       the 32 bits on the wire and refuse what is too old or
 *                       already seen.  Changes nothing.
 *   esp_replay_update() after the ICV verified: slide the window, mark the
 *                       number seen.
 * With ESN the inferred high 32 bits enter the ICV, so a wrong guess (or a
 * forged packet) fails authentication and never reaches the update.
 *
 * The bitmap is a ring of 64-bit words sized by the window: a power of two
 * with room for the window plus the word being filled.  Windows below 64
 * packets (the default is 32) fit the two words inside the struct; larger
 * ones get their ring allocated once, at init.  An outbound SA (window 0)
 * has no ring.  A slide clears only the words it passes over.  Per SA this
 * is 16 bytes for the default window, where a fixed ring for the largest
 * window cost 1 KB per direction (issue 13: per-SA memory). */
#ifndef KITE_ESP_REPLAY_H
#define KITE_ESP_REPLAY_H
#include "base/err.h"
#include <stdbool.h>
#include <stdint.h>

enum {
    ESP_REPLAY_MAX = 4096,      /* largest configurable window (packets) */
    ESP_REPLAY_INLINE = 2,      /* ring words kept in the struct: windows < 64 */
};

struct esp_replay {
    uint64_t top;    /* highest authenticated sequence number, 0 before any */
    uint32_t size;   /* window in packets; 0 disables replay protection */
    uint32_t mask;   /* ring words - 1 (a power of two minus one) */
    bool esn;        /* 64-bit sequence numbers, 32 low bits on the wire */
    uint64_t *big;   /* the ring when it does not fit `small`, else NULL */
    uint64_t small[ESP_REPLAY_INLINE];
};

/* 0, KITE_E_INVALID_ARG when size > ESP_REPLAY_MAX, KITE_E_NOMEM; r is
 * overwritten (free a previous window first).  On failure nothing is held. */
int esp_replay_init(struct esp_replay *r, uint32_t size, bool esn);
/* release the ring of a window > 63 packets; safe on a zeroed struct */
void esp_replay_free(struct esp_replay *r);
/* start as if `top` had been received and authenticated (an SA handed over,
 * tests around 2^32); forgets everything seen before */
void esp_replay_seed(struct esp_replay *r, uint64_t top);
/* CHECK: the full sequence number for the 32 bits on the wire in *seq;
 * 0, or KITE_E_REPLAY (duplicate, left of the window, or number 0) */
int esp_replay_check(const struct esp_replay *r, uint32_t seq_lo, uint64_t *seq);
/* UPDATE after the ICV verified: 0, or KITE_E_REPLAY when the number became
 * a duplicate or too old since the check (another packet got there first) */
int esp_replay_update(struct esp_replay *r, uint64_t seq);

/* Outbound: the next sequence number after `last` (the one sent before, 0 at
 * the start): 0, or KITE_E_SEQ_EXHAUSTED when it would wrap (2^32 - 1 without
 * ESN, 2^64 - 1 with ESN; RFC 4303 3.3.3: the SA must be rekeyed) */
int esp_seq_next(uint64_t last, bool esn, uint64_t *next);

#endif
