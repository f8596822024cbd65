/* rand: random bytes from OpenSSL's DRBGs, drawn in blocks.
 *
 * An IKE SA takes several small draws (SPIs, nonce, IVs, rekey jitter); each
 * RAND_bytes call costs about 2 us of locking, a getpid() for fork
 * detection and a DRBG generate, most of it per call, not per byte (so does
 * RAND_priv_bytes for each X25519 key pair OpenSSL generates).  Draws
 * of up to BLOCK/4 bytes are served from a block filled by one call, a
 * block per DRBG; bytes are wiped as they are handed out, and a forked
 * child discards both blocks (it must not repeat its parent's values).
 * Larger draws go to the DRBG directly.  kite is single-threaded (no
 * lock). */
#include "crypto/rand.h"
#include "base/secret.h"
#include <openssl/rand.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BLOCK = 512 };

/* two pools: public values (SPIs, nonces, IVs) from RAND_bytes, private keys
 * from RAND_priv_bytes, OpenSSL's separate private DRBG, as it intends */
struct pool {
    uint8_t block[BLOCK];
    size_t avail; /* unused bytes at the end of block */
    int (*fill)(unsigned char *, int);
};

static struct pool pub = { .fill = RAND_bytes }, priv = { .fill = RAND_priv_bytes };

static void fail(void)
{
    fprintf(stderr, "kite: the random number generator failed\n");
    abort();
}

static void on_fork_child(void)
{
    mem_wipe(pub.block, sizeof pub.block);
    mem_wipe(priv.block, sizeof priv.block);
    pub.avail = priv.avail = 0;
}

static void refill(struct pool *o)
{
    static bool registered;
    if (!registered) {
        if (pthread_atfork(NULL, NULL, on_fork_child) != 0)
            fail();
        registered = true;
    }
    if (o->fill(o->block, BLOCK) != 1)
        fail();
    o->avail = BLOCK;
}

static void draw(struct pool *o, uint8_t *p, size_t n)
{
    if (!n)
        return;
    if (n > BLOCK / 4) {
        if (o->fill(p, (int)n) != 1)
            fail();
        return;
    }
    if (o->avail < n)
        refill(o);
    uint8_t *from = o->block + BLOCK - o->avail;
    memcpy(p, from, n);
    mem_wipe(from, n);
    o->avail -= n;
}

void crypto_random(uint8_t *p, size_t n)
{
    draw(&pub, p, n);
}

void crypto_random_private(uint8_t *p, size_t n)
{
    draw(&priv, p, n);
}
