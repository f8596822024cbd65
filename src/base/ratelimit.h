/* ratelimit: token buckets for work caused by unauthenticated senders.
 *
 * struct rl_bucket is one bucket (log lines, answers of one kind); struct
 * rl_sketch spreads sources over a table of buckets sized at run time, keyed
 * by a keyed hash so that a sender cannot aim at another source's bucket.
 * Sources sharing a bucket share its rate, which only ever errs towards
 * answering less.  Time is in milliseconds on the caller's clock. */
#ifndef KITE_BASE_RATELIMIT_H
#define KITE_BASE_RATELIMIT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rl_bucket {
    uint32_t rate, burst; /* tokens per second, most tokens held (0 rate: unlimited) */
    uint32_t tokens;      /* in thousandths of a token */
    uint64_t at;          /* when tokens was last brought up to date */
    uint64_t refused;     /* calls that found no token */
};

void rl_init(struct rl_bucket *b, uint32_t rate, uint32_t burst);
/* take one token at `now`: true if there was one */
bool rl_take(struct rl_bucket *b, uint64_t now);

struct rl_sketch {
    struct rl_bucket *b;
    size_t n;             /* a power of two */
    uint64_t key[2];      /* the hash key */
    uint64_t refused;
};

/* n buckets (rounded up to a power of two) of rate/burst each; 0 or -1 (memory) */
int rl_sketch_init(struct rl_sketch *s, size_t n, uint32_t rate, uint32_t burst, const uint8_t key[16]);
void rl_sketch_free(struct rl_sketch *s);
/* one token from the bucket of source `src` (len bytes, e.g. an address) */
bool rl_sketch_take(struct rl_sketch *s, const void *src, size_t len, uint64_t now);

#endif
