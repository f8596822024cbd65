/* Anti-replay window, RFC 4303 3.4.3 and Appendix A2. */
#include "esp/replay.h"
#include "base/err.h"
#include <stdlib.h>
#include <string.h>

enum { WORD_BITS = 64 };

_Static_assert(ESP_REPLAY_INLINE * WORD_BITS > 63 + WORD_BITS,
               "the inline ring covers a 63-packet window plus the word being filled");

/* words for a window of size packets: a power of two with
 * words * 64 > size + 64, so the window and the word being filled never
 * share a ring slot */
static uint32_t ring_words(uint32_t size)
{
    uint32_t need = size / WORD_BITS + 2, w = 1;
    while (w < need)
        w *= 2;
    return w;
}

static uint64_t *ring(const struct esp_replay *r)
{
    return r->big ? r->big : (uint64_t *)r->small;
}

int esp_replay_init(struct esp_replay *r, uint32_t size, bool esn)
{
    memset(r, 0, sizeof *r);
    if (size > ESP_REPLAY_MAX)
        return KITE_E_INVALID_ARG;
    uint32_t words = size ? ring_words(size) : ESP_REPLAY_INLINE;
    if (words > ESP_REPLAY_INLINE && !(r->big = calloc(words, sizeof *r->big)))
        return KITE_E_NOMEM;
    r->mask = words - 1;
    r->size = size;
    r->esn = esn;
    return 0;
}

void esp_replay_free(struct esp_replay *r)
{
    free(r->big);
    r->big = NULL;
}

void esp_replay_seed(struct esp_replay *r, uint64_t top)
{
    uint64_t *w = ring(r);
    memset(w, 0, ((size_t)r->mask + 1) * sizeof *w);
    r->top = top;
    if (top)
        w[(top / WORD_BITS) & r->mask] |= UINT64_C(1) << (top % WORD_BITS);
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
    return ring(r)[(seq / WORD_BITS) & r->mask] >> (seq % WORD_BITS) & 1;
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
    uint64_t steps = to - from, *w = ring(r);
    if (steps > (uint64_t)r->mask + 1)
        steps = (uint64_t)r->mask + 1;
    for (uint64_t i = 1; i <= steps; i++)
        w[(from + i) & r->mask] = 0;
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
    ring(r)[(seq / WORD_BITS) & r->mask] |= UINT64_C(1) << (seq % WORD_BITS);
    return 0;
}

int esp_seq_next(uint64_t last, bool esn, uint64_t *next)
{
    if (esn ? last == UINT64_MAX : last >= UINT32_MAX)
        return KITE_E_SEQ_EXHAUSTED;
    *next = last + 1;
    return 0;
}
