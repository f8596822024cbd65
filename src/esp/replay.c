/* Anti-replay window, RFC 4303 3.4.3 and Appendix A2. */
#include "esp/replay.h"
#include "base/err.h"
#include <string.h>

enum { WORD_BITS = 64, RING_MASK = ESP_REPLAY_WORDS - 1 };

_Static_assert((ESP_REPLAY_WORDS & (ESP_REPLAY_WORDS - 1)) == 0, "ring is a power of two");
_Static_assert(ESP_REPLAY_WORDS * WORD_BITS > ESP_REPLAY_MAX + WORD_BITS,
               "the ring covers the largest window plus the word being filled");

int esp_replay_init(struct esp_replay *r, uint32_t size, bool esn)
{
    memset(r, 0, sizeof *r);
    if (size > ESP_REPLAY_MAX)
        return KITE_E_INVALID_ARG;
    r->size = size;
    r->esn = esn;
    return 0;
}

void esp_replay_seed(struct esp_replay *r, uint64_t top)
{
    memset(r->ring, 0, sizeof r->ring);
    r->top = top;
    if (top)
        r->ring[(top / WORD_BITS) & RING_MASK] |= UINT64_C(1) << (top % WORD_BITS);
}

/* RFC 4303 A2.1: the high half of the number is the one that puts the low
 * half inside (or right of) the window.  Wl = the bottom of the window's low
 * half.  Returns false for a number from before the first subspace. */
static bool infer(const struct esp_replay *r, uint32_t seq_lo, uint64_t *seq)
{
    /* without a window, the nearest subspace: half the space either way */
    uint32_t w = r->size ? r->size : UINT32_C(0x80000000);
    uint32_t tl = (uint32_t)r->top, th = (uint32_t)(r->top >> 32);
    uint32_t wl = tl - w + 1; /* mod 2^32 */
    uint32_t hi;
    if (tl >= w - 1) /* Case A: the window lies within one subspace */
        hi = seq_lo >= wl ? th : th + 1;
    else if (seq_lo >= wl) /* Case B, seq_lo in the previous subspace */
        hi = th - 1;
    else
        hi = th;
    if (tl < w - 1 && seq_lo >= wl && th == 0)
        return false; /* "previous subspace" of the first one does not exist */
    if (tl >= w - 1 && seq_lo < wl && th == UINT32_MAX)
        return false; /* past 2^64 - 1 */
    *seq = (uint64_t)hi << 32 | seq_lo;
    return true;
}

static bool seen(const struct esp_replay *r, uint64_t seq)
{
    return r->ring[(seq / WORD_BITS) & RING_MASK] >> (seq % WORD_BITS) & 1;
}

int esp_replay_check(const struct esp_replay *r, uint32_t seq_lo, uint64_t *seq)
{
    uint64_t s = seq_lo;
    if (r->esn && !infer(r, seq_lo, &s))
        return KITE_E_REPLAY;
    *seq = s;
    if (s == 0) /* never sent: the first packet carries 1 (RFC 4303 3.3.3) */
        return KITE_E_REPLAY;
    if (!r->size || s > r->top)
        return 0;
    if (r->top - s >= r->size || seen(r, s))
        return KITE_E_REPLAY;
    return 0;
}

/* move the right edge to seq, clearing the words passed over */
static void slide(struct esp_replay *r, uint64_t seq)
{
    uint64_t from = r->top / WORD_BITS, to = seq / WORD_BITS;
    uint64_t steps = to - from;
    if (steps > ESP_REPLAY_WORDS)
        steps = ESP_REPLAY_WORDS;
    for (uint64_t i = 1; i <= steps; i++)
        r->ring[(from + i) & RING_MASK] = 0;
    r->top = seq;
}

int esp_replay_update(struct esp_replay *r, uint64_t seq)
{
    if (seq == 0)
        return KITE_E_REPLAY;
    if (!r->size) {
        if (seq > r->top)
            r->top = seq; /* still the base of ESN inference */
        return 0;
    }
    if (seq > r->top)
        slide(r, seq);
    else if (r->top - seq >= r->size || seen(r, seq))
        return KITE_E_REPLAY;
    r->ring[(seq / WORD_BITS) & RING_MASK] |= UINT64_C(1) << (seq % WORD_BITS);
    return 0;
}

int esp_seq_next(uint64_t last, bool esn, uint64_t *next)
{
    if (esn ? last == UINT64_MAX : last >= UINT32_MAX)
        return KITE_E_SEQ_EXHAUSTED;
    *next = last + 1;
    return 0;
}
