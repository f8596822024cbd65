/* hash: plain message digests (NAT detection uses SHA-1, RFC 7296 2.23). */
#ifndef KITE_CRYPTO_HASH_H
#define KITE_CRYPTO_HASH_H
#include <stddef.h>
#include <stdint.h>
#include "base/span.h"

enum { HASH_SHA1_LEN = 20 };
/* SHA-1 over the concatenation of parts; 0 or KITE_E_CRYPTO */
int hash_sha1(const struct span *parts, size_t n, uint8_t out[HASH_SHA1_LEN]);

#endif
