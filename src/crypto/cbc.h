/* cbc: the block ciphers of the encrypt-then-MAC suites (AES-CBC, RFC 3602;
 * 3DES-CBC, legacy), without OpenSSL padding: IKE and ESP pad themselves.
 * Prepared once per SA and direction; per packet only the IV changes. */
#ifndef KITE_CRYPTO_CBC_H
#define KITE_CRYPTO_CBC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include "base/err.h"
#include "base/span.h"
#include "crypto/registry.h"

struct cbc {
    const struct xf_info *xf;
    EVP_CIPHER *cipher;
    EVP_CIPHER_CTX *ctx;
    bool encrypt;
};

int cbc_init(struct cbc *c, const struct xf_info *encr, struct span key, bool encrypt);
void cbc_free(struct cbc *c);
/* len must be a multiple of the block size; in == out allowed */
int cbc_run(const struct cbc *c, const uint8_t *iv, const uint8_t *in, uint8_t *out,
            size_t len);

#endif
