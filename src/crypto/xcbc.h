/* xcbc: AES-XCBC-MAC (RFC 3566), built as a mode over OpenSSL's AES-128-ECB
 * (OpenSSL 3 has no XCBC).  Used as AUTH_AES_XCBC_96 and, with the RFC 4434
 * key rules in prf.c, as PRF_AES128_XCBC.  A prepared state is reused for
 * every message without allocation. */
#ifndef KITE_CRYPTO_XCBC_H
#define KITE_CRYPTO_XCBC_H
#include <stdint.h>
#include <openssl/evp.h>
#include "base/span.h"

enum { XCBC_BLOCK = 16 };

struct xcbc {
    EVP_CIPHER_CTX *k1; /* AES-128-ECB keyed with K1 */
    uint8_t k2[XCBC_BLOCK], k3[XCBC_BLOCK];
};

/* derive K1, K2, K3 from a 16-byte key (RFC 3566 2.3); 0 or KITE_E_* */
int xcbc_init(struct xcbc *x, EVP_CIPHER *aes128_ecb, const uint8_t key[XCBC_BLOCK]);
/* MAC over the concatenation of n spans; writes 16 bytes */
int xcbc_mac(const struct xcbc *x, const struct span *parts, size_t n, uint8_t out[XCBC_BLOCK]);
void xcbc_free(struct xcbc *x);

#endif
