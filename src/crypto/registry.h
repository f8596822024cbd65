/* registry: IKEv2 transforms (IANA "IKEv2 Transform Type N Transform IDs")
 * mapped to algorithms, key sizes and strongSwan's proposal keywords.
 *
 * One row per (type, id, key size).  Legacy rows are known by name so a
 * configuration can ask for them explicitly, but are refused otherwise
 * (xf_allowed()). */
#ifndef KITE_CRYPTO_REGISTRY_H
#define KITE_CRYPTO_REGISTRY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum xf_type { XF_ENCR = 1, XF_PRF = 2, XF_INTEG = 3, XF_KE = 4, XF_ESN = 5 };

/* Transform Type 1 */
enum {
    ENCR_3DES = 3, ENCR_NULL = 11, ENCR_AES_CBC = 12, ENCR_AES_CTR = 13,
    ENCR_AES_CCM_8 = 14, ENCR_AES_CCM_12 = 15, ENCR_AES_CCM_16 = 16,
    ENCR_AES_GCM_8 = 18, ENCR_AES_GCM_12 = 19, ENCR_AES_GCM_16 = 20,
    ENCR_CAMELLIA_CBC = 23, ENCR_CAMELLIA_CTR = 24,
    ENCR_CHACHA20_POLY1305 = 28,
};
/* Transform Type 2 */
enum {
    PRF_HMAC_MD5 = 1, PRF_HMAC_SHA1 = 2, PRF_AES128_XCBC = 4,
    PRF_HMAC_SHA2_256 = 5, PRF_AES128_CMAC = 8, PRF_HMAC_SHA2_384 = 6, PRF_HMAC_SHA2_512 = 7,
};
/* Transform Type 3 */
enum {
    AUTH_NONE = 0, AUTH_HMAC_MD5_96 = 1, AUTH_HMAC_SHA1_96 = 2, AUTH_AES_XCBC_96 = 5,
    AUTH_AES_CMAC_96 = 8,
    AUTH_HMAC_SHA2_256_128 = 12, AUTH_HMAC_SHA2_384_192 = 13, AUTH_HMAC_SHA2_512_256 = 14,
};
/* Transform Type 4 */
enum {
    KE_MODP_1024 = 2, KE_MODP_1536 = 5, KE_MODP_2048 = 14, KE_MODP_3072 = 15,
    KE_MODP_4096 = 16, KE_MODP_6144 = 17, KE_MODP_8192 = 18,
    KE_ECP_256 = 19, KE_ECP_384 = 20, KE_ECP_521 = 21,
    KE_ECP_192 = 25, KE_ECP_224 = 26, /* RFC 5114 */
    KE_ECP_224_BP = 27, KE_ECP_256_BP = 28, KE_ECP_384_BP = 29, KE_ECP_512_BP = 30, /* RFC 6954 */
    KE_CURVE25519 = 31, KE_CURVE448 = 32,
};
/* Transform Type 5 */
enum { ESN_NO = 0, ESN_YES = 1 };
/* Transform attribute: Key Length (RFC 7296 3.3.5) */
enum { XF_ATTR_KEY_LENGTH = 14 };

struct xf_info {
    enum xf_type type;
    uint16_t id;          /* IANA transform ID */
    uint16_t key_bits;    /* ENCR: cipher key bits (Key Length attribute); 0 when the ID fixes it */
    const char *name;     /* IANA name, e.g. "AES_GCM_16" */
    const char *keyword;  /* strongSwan keyword, e.g. "aes256gcm16" */
    bool legacy;          /* weak: never in defaults, used only when configured explicitly, with a warning */
    bool aead;            /* ENCR: combined mode, no INTEG transform */
    bool key_length_attr; /* ENCR: the Key Length attribute must be sent */
    uint16_t key_len;     /* bytes of keying material taken from KEYMAT/SK_e (incl. salt) */
    uint16_t salt_len;    /* ENCR AEAD: implicit salt bytes at the end of the key */
    uint16_t iv_len;      /* ENCR: explicit IV bytes on the wire */
    uint16_t block_len;   /* ENCR: padding block size */
    uint16_t icv_len;     /* ENCR AEAD / INTEG: ICV bytes */
    uint16_t out_len;     /* PRF: output bytes; KE: public value bytes */
};

/* exact row for (type, id, key_bits); key_bits is ignored where the ID fixes it */
const struct xf_info *xf_lookup(enum xf_type type, uint16_t id, uint16_t key_bits);
/* row by strongSwan keyword within one transform type ("sha256" names both an
 * INTEG and a PRF row; aliases such as "aes128gcm128" or "curve25519" resolve) */
const struct xf_info *xf_by_keyword(enum xf_type type, const char *kw);
/* a keyword strongSwan knows that kite refuses, with the reason; NULL when
 * kw is not one of them */
const char *xf_refused_reason(const char *kw);
/* the explicit IV is a counter, unique per key but not necessarily
 * unpredictable: the AEADs and the CTR modes (RFC 3686 3.1, RFC 5528) */
bool xf_counter_iv(const struct xf_info *xf);
/* is this transform acceptable?  legacy ones only with allow_legacy */
bool xf_allowed(const struct xf_info *xf, bool allow_legacy);
/* iterate all rows: returns NULL past the end */
const struct xf_info *xf_at(size_t i);
const char *xf_type_name(enum xf_type type);

#endif
