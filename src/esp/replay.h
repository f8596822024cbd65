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
 * The bitmap is a fixed ring of 64-bit words inside the struct: nothing is
 * allocated, and a slide clears only the words it passes over. */
#ifndef KITE_ESP_REPLAY_H
#define KITE_ESP_REPLAY_H
#include "base/err.h"
#include <stdbool.h>
#include <stdint.h>

enum {
    ESP_REPLAY_MAX = 4096,      /* largest configurable window (packets) */
    ESP_REPLAY_WORDS = 128,     /* ring words: a power of two > MAX / 64 */
};

struct esp_replay {
    uint64_t top;    /* highest authenticated sequence number, 0 before any */
    uint32_t size;   /* window in packets; 0 disables replay protection */
    bool esn;        /* 64-bit sequence numbers, 32 low bits on the wire */
    uint64_t ring[ESP_REPLAY_WORDS];
};

/* 0, or KITE_E_INVALID_ARG when size > ESP_REPLAY_MAX */
int esp_replay_init(struct esp_replay *r, uint32_t size, bool esn);
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
