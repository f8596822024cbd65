/* rand: random bytes from OpenSSL's DRBG, drawn in blocks.
 *
 * An IKE SA takes several small draws (SPIs, nonce, IVs, rekey jitter); each
 * RAND_bytes call costs about 2 us of locking, a getpid() for fork
 * detection and a DRBG generate, most of it per call, not per byte.  Draws
 * of up to BLOCK/4 bytes are served from a block filled by one RAND_bytes;
 * bytes are wiped as they are handed out, and a forked child discards the
 * block (it must not repeat its parent's values).  Larger draws go to
 * RAND_bytes directly.  kite is single-threaded (no lock). */
#include "crypto/rand.h"
#include "base/secret.h"
#include <openssl/rand.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BLOCK = 512 };

static uint8_t block[BLOCK];
static size_t avail; /* unused bytes at the end of block */

static void fail(void)
{
    fprintf(stderr, "kite: the random number generator failed\n");
    abort();
}

static void on_fork_child(void)
{
    mem_wipe(block, sizeof block);
    avail = 0;
}

static void refill(void)
{
    static bool registered;
    if (!registered) {
        if (pthread_atfork(NULL, NULL, on_fork_child) != 0)
            fail();
        registered = true;
    }
    if (RAND_bytes(block, BLOCK) != 1)
        fail();
    avail = BLOCK;
}

void crypto_random(uint8_t *p, size_t n)
{
    if (!n)
        return;
    if (n > BLOCK / 4) {
        if (RAND_bytes(p, (int)n) != 1)
            fail();
        return;
    }
    if (avail < n)
        refill();
    uint8_t *from = block + BLOCK - avail;
    memcpy(p, from, n);
    mem_wipe(from, n);
    avail -= n;
}
