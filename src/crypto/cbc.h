/* cbc: the ciphers of the encrypt-then-MAC suites, without OpenSSL padding
 * (IKE and ESP pad themselves): AES-CBC (RFC 3602), Camellia-CBC (RFC 5529),
 * 3DES-CBC (weak, RFC 2451), and the counter modes AES-CTR (RFC 3686, RFC
 * 5930) and Camellia-CTR (RFC 5528), whose key ends in a 4-byte nonce and
 * whose 8-byte IV goes into the counter block; and ENCR_NULL (RFC 2410, weak,
 * ESP only), the identity with no key and no IV.
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

enum { CBC_CTR_NONCE = 4 };

struct cbc {
    const struct xf_info *xf;
    EVP_CIPHER_CTX *ctx;
    bool encrypt;
    uint8_t nonce[CBC_CTR_NONCE]; /* CTR modes */
};

int cbc_init(struct cbc *c, const struct xf_info *encr, struct span key, bool encrypt);
/* what cbc_init would refuse, without making a context: 0,
 * KITE_E_UNSUPPORTED, KITE_E_INVALID_ARG (key length) or KITE_E_CRYPTO (a
 * cipher this OpenSSL lacks) */
int cbc_check(const struct xf_info *encr, struct span key);
void cbc_free(struct cbc *c);
/* len must be a multiple of the block size (CTR: any); in == out allowed;
 * iv is iv_len bytes */
int cbc_run(const struct cbc *c, const uint8_t *iv, const uint8_t *in, uint8_t *out,
            size_t len);

#endif
