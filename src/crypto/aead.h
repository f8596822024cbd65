/* aead: combined-mode ciphers shared by the SK payload and ESP.
 * AES-GCM with 8/12/16-byte ICV (RFC 4106 / RFC 5282) and ChaCha20-Poly1305
 * (RFC 7634): the keying material is the cipher key followed by a 4-byte salt;
 * AES-CCM with 8/12/16-byte ICV (RFC 4309 / RFC 5282): a 3-byte salt.
 * The nonce is salt | 8-byte explicit IV.
 *
 * A context is prepared once per SA and direction (cipher fetched, key
 * scheduled) and then used per packet with no allocation.  Seal and open may
 * work in place (in == out).  The tag is checked by OpenSSL in constant time. */
#ifndef KITE_CRYPTO_AEAD_H
#define KITE_CRYPTO_AEAD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include "base/secret.h"
#include "base/span.h"
#include "crypto/registry.h"
#include "base/err.h"

enum { AEAD_SALT_LEN = 4, AEAD_IV_LEN = 8, AEAD_MAX_ICV = 16 };

struct aead {
    const struct xf_info *xf;
    EVP_CIPHER *cipher;
    EVP_CIPHER_CTX *ctx;
    uint8_t salt[AEAD_SALT_LEN];
    bool encrypt;
    /* aead_init_lazy: the keying material, scheduled into a context of its
     * own for each call (cipher and ctx stay NULL); empty otherwise */
    struct secret key;
};

/* prepare for one direction; key = key_len bytes (cipher key | salt) */
int aead_init(struct aead *a, const struct xf_info *encr, struct span key, bool encrypt);
/* the same for a key used now and then (an IKE SA's SK_e: a few messages,
 * most at setup): only the key is kept, and each seal/open schedules it into
 * a context freed before it returns.  An established IKE SA then holds 2 x
 * 36 bytes where two prepared contexts took about 2 x 1.1 KB (OpenSSL 3's
 * GCM context; issue 13: per-SA memory), for the cost of one key setup per
 * message, which the setup exchanges paid anyway (one message per
 * direction).  Not for ESP: every packet would pay it. */
int aead_init_lazy(struct aead *a, const struct xf_info *encr, struct span key, bool encrypt);
void aead_free(struct aead *a);
size_t aead_icv_len(const struct aead *a);
/* encrypt len bytes from in to out and write the ICV to tag */
int aead_seal(const struct aead *a, const uint8_t iv[AEAD_IV_LEN], struct span aad,
              const uint8_t *in, uint8_t *out, size_t len, uint8_t *tag);
/* decrypt and verify; KITE_E_INTEGRITY (out wiped) when the tag is wrong */
int aead_open(const struct aead *a, const uint8_t iv[AEAD_IV_LEN], struct span aad,
              const uint8_t *in, uint8_t *out, size_t len, const uint8_t *tag);

#endif
