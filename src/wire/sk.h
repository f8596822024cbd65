/* sk: the Encrypted payload SK (RFC 7296 3.14) and the Encrypted Fragment
 * payload SKF (RFC 7383 2.5), protected with keys handed in by the caller.
 *
 *   SK:  generic header (4) | IV | ciphertext | ICV
 *   SKF: generic header (4) | Fragment Number (2) | Total Fragments (2) | IV | ciphertext | ICV
 *   ciphertext = E(inner payloads | Padding | Pad Length)
 *
 * Encrypt-then-MAC suites (AES-CBC, 3DES + HMAC/XCBC): the ICV covers the
 * whole message from the first byte of the IKE header to the end of the
 * ciphertext (RFC 7296 3.14).  AEAD suites (AES-GCM RFC 5282, ChaCha20-Poly1305
 * RFC 7634): the AAD is the message from the IKE header to the end of the
 * SK/SKF header (so it covers Fragment Number and Total Fragments, RFC 7383
 * 2.5), the IV is 8 bytes and the ICV 8, 12 or 16.
 *
 * The SK/SKF payload must be the last one: its length runs to the end of the
 * message. */
#ifndef KITE_WIRE_SK_H
#define KITE_WIRE_SK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/err.h"
#include "base/span.h"
#include "base/wr.h"
#include "crypto/aead.h"
#include "crypto/cbc.h"
#include "crypto/integ.h"
#include "crypto/registry.h"

enum {
    SK_IKE_HDR_LEN = 28,   /* RFC 7296 3.1 */
    SK_IKE_LEN_AT = 24,    /* Length field of the IKE header */
    SK_HDR_LEN = 4,        /* SK generic payload header */
    SKF_HDR_LEN = 8,       /* SKF: + Fragment Number + Total Fragments */
};

/* the keys of one direction (SK_ei/SK_ai to send as initiator, ...) */
struct sk_keys {
    const struct xf_info *encr, *integ; /* integ NULL for AEAD */
    struct aead aead;
    struct cbc cbc;
    struct integ mac;
};

/* prepare: encrypt=true for sending, false for receiving */
int sk_keys_init(struct sk_keys *k, const struct xf_info *encr, const struct xf_info *integ,
                 struct span sk_e, struct span sk_a, bool encrypt);
void sk_keys_free(struct sk_keys *k);
/* bytes an SK payload body adds around `inner_len` bytes of payloads
 * (IV + padding + pad length + ICV), not counting the SK/SKF header */
size_t sk_overhead(const struct sk_keys *k, size_t inner_len);

/* Verify and decrypt the SK/SKF payload whose generic header starts at
 * msg[sk_off] (sk_hdr_len 4 for SK, 8 for SKF).  The ICV is checked first
 * (constant time); then the padding is removed and the inner payload chain
 * (Next Payload is in the SK header) is left in plain[0..*plain_len).
 * Errors: KITE_E_TRUNCATED / BAD_LENGTH (framing), INTEGRITY (ICV),
 * MALFORMED (pad length), NO_SPACE (cap). */
int sk_decrypt(const struct sk_keys *k, struct span msg, size_t sk_off, size_t sk_hdr_len,
               uint8_t *plain, size_t cap, size_t *plain_len, struct diag *d);

/* The caller has written the IKE header and the SK/SKF generic header (with
 * Next Payload, and for SKF the fragment numbers) so that w->len ==
 * sk_off + sk_hdr_len.  Appends IV | E(inner | padding | pad length) | ICV,
 * patches the SK payload length and the IKE header length, then computes the
 * ICV.  iv: iv_len bytes from the caller (tests, or an IKE-level generator),
 * or NULL for random bytes.  `inner` must not overlap w's buffer. */
int sk_encrypt(const struct sk_keys *k, struct wr *w, size_t sk_off, size_t sk_hdr_len,
               struct span inner, const uint8_t *iv, struct diag *d);

#endif
