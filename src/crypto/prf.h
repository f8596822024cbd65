/* prf: the IKEv2 pseudo-random functions (RFC 7296 2.13) over OpenSSL 3:
 * HMAC-SHA2-256/384/512, HMAC-SHA1, HMAC-MD5 through EVP_MAC, and
 * AES-XCBC-PRF-128 (RFC 4434) through crypto/xcbc, AES-CMAC-PRF-128 (RFC 4615)
 * through EVP_MAC CMAC.  Algorithms are fetched
 * once in prf_init(); the functions then take the key per call, as IKE keys
 * its PRF with a different key at every step. */
#ifndef KITE_CRYPTO_PRF_H
#define KITE_CRYPTO_PRF_H
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include "base/err.h"
#include "base/span.h"
#include "crypto/registry.h"

enum {
    PRF_MAX_OUT = 64,  /* largest PRF output (HMAC-SHA2-512) */
    PRF_MAX_PARTS = 6, /* data pieces a caller may pass to prf_plus() */
};

struct prf {
    const struct xf_info *xf;
    EVP_MAC *mac;       /* HMAC or CMAC */
    const char *digest; /* HMAC digest name */
    EVP_CIPHER *aes;    /* AES-128-ECB for XCBC */
};

/* fetch the algorithms for PRF transform `id`; KITE_E_UNSUPPORTED if unknown */
int prf_init(struct prf *p, uint16_t id);
void prf_free(struct prf *p);
size_t prf_out_len(const struct prf *p);
/* preferred key size, for SK_d, SK_pi, SK_pr (RFC 7296 2.14) */
size_t prf_key_len(const struct prf *p);
/* prf(key, data[0] | ... | data[n-1]); writes prf_out_len() bytes */
int prf_run(const struct prf *p, struct span key, const struct span *data, size_t n,
            uint8_t *out);
/* prf+(key, seed[0] | ... | seed[n-1]) truncated to len bytes (RFC 7296 2.13):
 * T1 = prf(K, S | 0x01), Ti = prf(K, Ti-1 | S | i); at most 255 blocks.
 * n <= PRF_MAX_PARTS. */
int prf_plus(const struct prf *p, struct span key, const struct span *seed, size_t n,
             uint8_t *out, size_t len);

#endif
