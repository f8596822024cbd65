/* aead: combined-mode ciphers shared by the SK payload and ESP.
 * AES-GCM with 8/12/16-byte ICV (RFC 4106 / RFC 5282) and ChaCha20-Poly1305
 * (RFC 7634): the keying material is the cipher key followed by a 4-byte salt;
 * AES-CCM with 8/12/16-byte ICV (RFC 4309 / RFC 5282): a 3-byte salt.
 * The nonce is salt | 8-byte explicit IV.
 *
 * A context is prepared once per SA and direction (key scheduled, the
 * cipher fetched once per process: crypto/fetch.h) and then used per packet
 * with no allocation.  Three modes differ in when the context exists:
 *   aead_init           at once, kept until aead_free;
 *   aead_init_deferred  at aead_prepare (an ESP SA's first packet), kept from
 *                       then on; only the key is held before;
 *   aead_init_lazy      never kept: one per seal/open call (IKE SAs' SK).
 * Seal and open may work in place (in == out).  The tag is checked by
 * OpenSSL in constant time. */
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
    EVP_CIPHER_CTX *ctx;          /* the prepared context; NULL: none (yet) */
    uint8_t salt[AEAD_SALT_LEN];
    bool encrypt;
    bool deferred;                /* aead_init_deferred */
    /* the keying material while there is no kept context: lazy, scheduled
     * into a context of its own for each call (ctx stays NULL); deferred,
     * until aead_prepare schedules it into ctx (then wiped and freed);
     * empty otherwise */
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
/* only the key is kept (a 36-byte secret for AES-128-GCM, against about
 * 2.2 KB of OpenSSL 3 context: issue 13) until aead_prepare makes the
 * context, which is then kept as aead_init's; for an ESP SA, prepared at
 * its first packet, so that the many SAs of a gateway that carry no traffic
 * (yet) cost no context.  The cipher is looked up now: one this OpenSSL
 * lacks is refused here (KITE_E_CRYPTO).  Seal and open refuse
 * (KITE_E_STATE) until aead_prepare has succeeded. */
int aead_init_deferred(struct aead *a, const struct xf_info *encr, struct span key, bool encrypt);
/* a deferred aead: schedule the key into a context kept from now on, then
 * wipe and free the key; 0 at once when prepared already.  KITE_E_CRYPTO
 * (or no memory) leaves it as it was, to be tried again;
 * KITE_E_INVALID_ARG for an aead of another mode. */
int aead_prepare(struct aead *a);
void aead_free(struct aead *a);
size_t aead_icv_len(const struct aead *a);
/* encrypt len bytes from in to out and write the ICV to tag */
int aead_seal(const struct aead *a, const uint8_t iv[AEAD_IV_LEN], struct span aad,
              const uint8_t *in, uint8_t *out, size_t len, uint8_t *tag);
/* decrypt and verify; KITE_E_INTEGRITY (out wiped) when the tag is wrong */
int aead_open(const struct aead *a, const uint8_t iv[AEAD_IV_LEN], struct span aad,
              const uint8_t *in, uint8_t *out, size_t len, const uint8_t *tag);

#endif
