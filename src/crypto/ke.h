/* ke: IKEv2 key exchange (Transform Type 4) over OpenSSL EVP_PKEY.
 *   MODP (RFC 2409 6.2, RFC 3526): public value and shared secret are
 *     big-endian, left-padded to the modulus length (RFC 7296 3.4);
 *   ECP (RFC 5903): public value x | y, each padded to the field size, no
 *     point-format byte; the shared secret is the x coordinate (RFC 5903 7);
 *   Curve25519/Curve448 (RFC 8031): raw u-coordinates (RFC 7748).
 * Peer values are validated; a bad one yields KITE_E_BAD_PUBLIC_KEY:
 * MODP 1 < y < p-1 (and y^q = 1 where q is known), ECP on the curve with the
 * exact length, X25519/X448 exact length and a non-zero shared secret. */
#ifndef KITE_CRYPTO_KE_H
#define KITE_CRYPTO_KE_H
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include "base/secret.h"
#include "base/err.h"
#include "base/span.h"
#include "crypto/registry.h"

struct ke {
    const struct xf_info *xf;
    EVP_PKEY *key;
};

/* a fresh key pair for `group` (IANA Transform Type 4 ID) */
int ke_generate(struct ke *k, uint16_t group);
/* a key pair from a given private value (tests, known-answer vectors):
 * MODP/ECP a big-endian integer, X25519/X448 the raw scalar */
int ke_from_private(struct ke *k, uint16_t group, struct span priv);
void ke_free(struct ke *k);
/* bytes of the public value (== xf->out_len) */
size_t ke_public_len(const struct ke *k);
int ke_public(const struct ke *k, uint8_t *out, size_t cap, size_t *len);
/* validate a peer's public value for `group` before any work of ours is
 * spent on it (length, range or curve membership); 0 or
 * KITE_E_BAD_PUBLIC_KEY / KITE_E_UNSUPPORTED */
int ke_check_public(uint16_t group, struct span peer);
/* g^ir from the peer's public value; out is allocated (wiped on free) */
int ke_shared(const struct ke *k, struct span peer, struct secret *out);
/* the MODP prime in use, big-endian (for tests against the RFC text) */
int ke_modp_prime(uint16_t group, uint8_t *out, size_t cap, size_t *len);

#endif
