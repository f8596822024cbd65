/* sig_int: what crypto/sig.c and crypto/sig_algid.c share: a signature
 * algorithm as an AlgorithmIdentifier names it. */
#ifndef KITE_CRYPTO_SIG_INT_H
#define KITE_CRYPTO_SIG_INT_H
#include <stddef.h>
#include <stdint.h>
#include "base/span.h"
#include "base/wr.h"

enum sig_family { SIG_F_NONE, SIG_F_PKCS1, SIG_F_PSS, SIG_F_ECDSA, SIG_F_ED25519, SIG_F_ED448 };

struct sig_alg {
    enum sig_family family;
    uint8_t hash;      /* SIG_HASH_*; IDENTITY for EdDSA */
    uint8_t mgf1_hash; /* RSASSA-PSS only */
    uint16_t salt_len; /* RSASSA-PSS only */
};

/* a whole DER AlgorithmIdentifier (RFC 5280 4.1.1.2) as one of RFC 7427
 * appendix A's or RFC 8420's; 0, KITE_E_MALFORMED (not DER of that shape) or
 * KITE_E_UNSUPPORTED (an algorithm, hash or parameter we do not know) */
int sig_alg_parse(struct span der, struct sig_alg *out);
/* the DER AlgorithmIdentifier of alg appended to w; 0, KITE_E_UNSUPPORTED,
 * KITE_E_NO_SPACE */
int sig_alg_encode(const struct sig_alg *alg, struct wr *w);
/* digest length in bytes, 0 for IDENTITY or an unknown id */
size_t sig_hash_len(uint8_t hash);

#endif
