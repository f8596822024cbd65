/* keys: IKEv2 key derivation (RFC 7296 2.14, 2.17, 2.18).  Inputs are
 * borrowed spans; every derived key is an owned struct secret, wiped when
 * freed. */
#ifndef KITE_CRYPTO_KEYS_H
#define KITE_CRYPTO_KEYS_H
#include "base/secret.h"
#include "base/err.h"
#include "base/span.h"
#include "crypto/prf.h"
#include "crypto/registry.h"

/* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} (RFC 7296 2.14) */
struct ike_keys {
    struct secret sk_d, sk_ai, sk_ar, sk_ei, sk_er, sk_pi, sk_pr;
};

/* Child SA KEYMAT split per RFC 7296 2.17: initiator->responder keys first */
struct child_keys {
    struct secret encr_i, integ_i, encr_r, integ_r;
};

/* SKEYSEED = prf(Ni | Nr, g^ir).  For AES-XCBC-PRF-128 only the first 64 bits
 * of each nonce form the key (RFC 7296 2.14). */
int keys_skeyseed(const struct prf *p, struct span ni, struct span nr, struct span gir,
                  struct secret *skeyseed);
/* rekeyed IKE SA: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) (2.18) */
int keys_skeyseed_rekey(const struct prf *p, struct span old_sk_d, struct span gir_new,
                        struct span ni, struct span nr, struct secret *skeyseed);
/* the seven IKE SA keys from prf+(SKEYSEED, Ni | Nr | SPIi | SPIr), sized by
 * the negotiated ENCR (key_len incl. salt) and INTEG (NULL for AEAD) */
int keys_ike_sa(const struct prf *p, struct span skeyseed, struct span ni, struct span nr,
                struct span spi_i, struct span spi_r, const struct xf_info *encr,
                const struct xf_info *integ, struct ike_keys *out);
void keys_ike_free(struct ike_keys *k);
/* KEYMAT = prf+(SK_d, [g^ir (new)] | Ni | Nr); gir_new.n == 0 without PFS */
int keys_child_sa(const struct prf *p, struct span sk_d, struct span gir_new, struct span ni,
                  struct span nr, const struct xf_info *encr, const struct xf_info *integ,
                  struct child_keys *out);
void keys_child_free(struct child_keys *k);

#endif
