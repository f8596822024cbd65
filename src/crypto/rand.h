/* rand: random bytes from OpenSSL's DRBGs (SPIs, nonces, IVs; private keys). */
#ifndef KITE_CRYPTO_RAND_H
#define KITE_CRYPTO_RAND_H
#include <stddef.h>
#include <stdint.h>

/* fills p; aborts the process if the DRBG fails (nothing safe to do then) */
void crypto_random(uint8_t *p, size_t n);
/* the same for private keys, from OpenSSL's private DRBG (RAND_priv_bytes) */
void crypto_random_private(uint8_t *p, size_t n);

#endif
