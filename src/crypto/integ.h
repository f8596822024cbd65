/* integ: the integrity transforms of encrypt-then-MAC suites.
 * HMAC-SHA2-256-128/384-192/512-256 (RFC 4868), HMAC-SHA1-96 (RFC 2404),
 * HMAC-MD5-96 (RFC 2403, weak), AES-CMAC-96 (RFC 4494) through EVP_MAC, and
 * AES-XCBC-96 (RFC 3566).
 * Keyed once per SA; each MAC re-initialises the prepared context with the
 * same key, so the per-packet path allocates nothing.  ICVs are the
 * truncated MAC and are compared in constant time. */
#ifndef KITE_CRYPTO_INTEG_H
#define KITE_CRYPTO_INTEG_H
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include "base/span.h"
#include "crypto/registry.h"
#include "crypto/xcbc.h"
#include "base/err.h"

enum { INTEG_MAX_ICV = 32, INTEG_MAX_MAC = 64 };

struct integ {
    const struct xf_info *xf;
    EVP_MAC_CTX *ctx; /* HMAC or CMAC, keyed */
    struct xcbc x;    /* XCBC */
};

int integ_init(struct integ *g, const struct xf_info *integ, struct span key);
/* what integ_init would refuse, without making a context: 0,
 * KITE_E_UNSUPPORTED, KITE_E_INVALID_ARG (key length) or KITE_E_CRYPTO */
int integ_check(const struct xf_info *integ, struct span key);
void integ_free(struct integ *g);
size_t integ_icv_len(const struct integ *g);
/* ICV (icv_len bytes) over parts[0] | ... | parts[n-1] */
int integ_compute(const struct integ *g, const struct span *parts, size_t n, uint8_t *icv);
/* 0, or KITE_E_INTEGRITY when icv does not match (constant-time compare) */
int integ_verify(const struct integ *g, const struct span *parts, size_t n, const uint8_t *icv);

#endif
