#include "base/ratelimit.h"
#include "base/keyhash.h"
#include <stdlib.h>
#include <string.h>

void rl_init(struct rl_bucket *b, uint32_t rate, uint32_t burst)
{
    memset(b, 0, sizeof *b);
    b->rate = rate;
    b->burst = burst ? burst : 1;
    b->tokens = b->burst * 1000u;
}

bool rl_take(struct rl_bucket *b, uint64_t now)
{
    if (!b->rate)
        return true;
    if (now > b->at) {
        uint64_t add = (now - b->at) * b->rate; /* thousandths: rate per s == rate/1000 per ms */
        uint64_t max = (uint64_t)b->burst * 1000u;
        b->tokens = (uint32_t)(b->tokens + add > max ? max : b->tokens + add);
        b->at = now;
    } else if (!b->at) {
        b->at = now;
    }
    if (b->tokens < 1000) {
        b->refused++;
        return false;
    }
    b->tokens -= 1000;
    return true;
}

int rl_sketch_init(struct rl_sketch *s, size_t n, uint32_t rate, uint32_t burst, const uint8_t key[16])
{
    size_t size = 1;
    memset(s, 0, sizeof *s);
    while (size < n && size < ((size_t)1 << 30))
        size <<= 1;
    s->b = calloc(size, sizeof *s->b);
    if (!s->b)
        return -1;
    s->n = size;
    for (size_t i = 0; i < size; i++)
        rl_init(&s->b[i], rate, burst);
    memcpy(s->key, key, 16);
    return 0;
}

void rl_sketch_free(struct rl_sketch *s)
{
    free(s->b);
    memset(s, 0, sizeof *s);
}

bool rl_sketch_take(struct rl_sketch *s, const void *src, size_t len, uint64_t now)
{
    if (!s->n)
        return true;
    struct rl_bucket *b = &s->b[keyhash(s->key, src, len) & (s->n - 1)];
    if (rl_take(b, now))
        return true;
    s->refused++;
    return false;
}
