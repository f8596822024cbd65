#include "crypto/rand.h"
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>

void crypto_random(uint8_t *p, size_t n)
{
    if (n && RAND_bytes(p, (int)n) != 1) {
        fprintf(stderr, "kite: the random number generator failed\n");
        abort();
    }
}
