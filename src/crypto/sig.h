/* sig: the signatures of IKEv2's AUTH payload with OpenSSL 3 keys.
 *
 * RFC 7427 Digital Signature (auth method 14): AUTH data is
 *   one byte: the length of the AlgorithmIdentifier | AlgorithmIdentifier (DER) | signature
 * with the AlgorithmIdentifiers of RFC 7427 appendix A (sha{256,384,512}WithRSAEncryption,
 * RSASSA-PSS with its parameters, ecdsa-with-sha{256,384,512}) and RFC 8420
 * appendix A (Ed25519, Ed448).
 * The classic methods (RFC 7296 3.8): RSA (1, PKCS#1 v1.5 with SHA-1, as
 * strongSwan and Windows use it) and ECDSA (9, 10, 11: P-256/SHA-256,
 * P-384/SHA-384, P-521/SHA-512, signature r | s of fixed length, RFC 4754).
 * SIGNATURE_HASH_ALGORITHMS (RFC 7427 4) announces IKE hash ids:
 * 1 SHA1, 2 SHA2_256, 3 SHA2_384, 4 SHA2_512, 5 IDENTITY (Ed25519/Ed448). */
#ifndef KITE_CRYPTO_SIG_H
#define KITE_CRYPTO_SIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include "base/span.h"

enum { SIG_HASH_SHA1 = 1, SIG_HASH_SHA256 = 2, SIG_HASH_SHA384 = 3, SIG_HASH_SHA512 = 4, SIG_HASH_IDENTITY = 5 };
/* AUTH data of the largest key kite signs with: RSA 8192 under RSASSA-PSS,
 * 1 + 67 bytes of AlgorithmIdentifier + 1024 */
enum { SIG_MAX = 1024 + 128 };
/* flags of the _ex functions: SHA-1 in RFC 7427 signatures (sha1WithRSAEncryption,
 * ecdsa-with-SHA1, RSASSA-PSS with SHA-1) accepted and announced; RFC 8247
 * 2.4 forbids it, so only a configuration asks for it.  The classic RSA
 * method (1) is SHA-1 by definition and is accepted without it. */
enum { SIG_ALLOW_SHA1 = 1 };

/* how we sign: auth method 14 (RFC 7427) or a classic one, the hash, and
 * RSA-PSS (strongSwan's "rsa/pss" constraint) */
struct sig_scheme {
    uint8_t method; /* IKEV2_AUTH_DIGITAL_SIGNATURE, _RSA_SIG, _ECDSA_SHA*_P* */
    uint8_t hash;   /* SIG_HASH_* */
    bool pss;
};

/* the hash ids we accept and announce, in preference order: SHA2_256,
 * SHA2_384, SHA2_512, IDENTITY (SHA1 only when allowed explicitly) */
size_t sig_hashes_supported(uint16_t *out, size_t cap);
/* the same with flags (SIG_ALLOW_SHA1: SHA1 last); at most cap, the count written */
size_t sig_hashes_supported_ex(unsigned flags, uint16_t *out, size_t cap);
/* the IANA name of a hash id ("SHA2_256"), "unknown" for others */
const char *sig_hash_name(uint8_t hash);

/* the scheme to sign with for this key: RFC 7427 if the peer announced
 * SIGNATURE_HASH_ALGORITHMS (peer_hashes, n > 0) with a hash fit for the key
 * (Ed25519/Ed448: IDENTITY; ECDSA: the curve's hash first; RSA: SHA2_256
 * first; never SHA1), else the classic method for the key; pss asks for
 * RSA-PSS under RFC 7427 (an RSA-PSS key always uses it; without RFC 7427 an
 * RSA key uses method 1, PKCS#1 v1.5, whatever pss says, as strongSwan does).
 * 0, or KITE_E_NO_PROPOSAL ("no hash algorithm in common") /
 * KITE_E_UNSUPPORTED (a key type we cannot sign with without RFC 7427) */
int sig_choose(EVP_PKEY *key, const uint16_t *peer_hashes, size_t n, bool pss, struct sig_scheme *out);

/* signs the concatenation of the octets: the AUTH payload's data (method 14:
 * with its AlgorithmIdentifier prefix) into out.  0, KITE_E_NO_SPACE, KITE_E_CRYPTO */
int sig_sign(EVP_PKEY *key, const struct sig_scheme *scheme, const struct span *octets, size_t n,
             uint8_t *out, size_t cap, size_t *len);

/* verifies AUTH data of this method with the peer's public key over the
 * octets; the hash and scheme used are returned in *used (method 14: from its
 * AlgorithmIdentifier, which must fit the key's type).  0, or
 * KITE_E_AUTH_FAILED with why: "bad signature", "unknown signature algorithm
 * <hex of the AlgorithmIdentifier>", "RSA key with an ECDSA method", "hash SHA1 not allowed" ... */
int sig_verify(EVP_PKEY *pub, uint8_t method, struct span auth, const struct span *octets, size_t n,
               struct sig_scheme *used, char *why, size_t cap);
/* the same with flags (SIG_ALLOW_SHA1); sig_verify is flags 0.  *used is
 * zero unless the algorithm was accepted (then also after "bad signature") */
int sig_verify_ex(EVP_PKEY *pub, uint8_t method, struct span auth, const struct span *octets, size_t n,
                  unsigned flags, struct sig_scheme *used, char *why, size_t cap);

/* the DER AlgorithmIdentifier RFC 7427 appendix A gives for a key and
 * scheme; 0 and its length, KITE_E_UNSUPPORTED, KITE_E_NO_SPACE */
int sig_algid(EVP_PKEY *key, const struct sig_scheme *scheme, uint8_t *out, size_t cap, size_t *len);

#endif
