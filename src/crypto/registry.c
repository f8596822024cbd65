/* registry: the table of IKEv2 transforms kite knows (IANA "Internet Key
 * Exchange Version 2 (IKEv2) Parameters", Transform Types 1-5) with their
 * key sizes and strongSwan's proposal keywords. */
#include "crypto/registry.h"
#include <string.h>

#define ENCR_CBC(bits, kw)                                                       \
    { XF_ENCR, ENCR_AES_CBC, bits, "AES_CBC", kw, false, false, true,           \
      (bits) / 8, 0, 16, 16, 0, 0 }
/* RFC 4106/5282: key = AES key | 4-byte salt; 8-byte explicit IV */
#define ENCR_GCM(id, icv, bits, kw)                                              \
    { XF_ENCR, id, bits, "AES_GCM_" #icv, kw, false, true, true,                \
      (bits) / 8 + 4, 4, 8, 1, icv, 0 }
/* RFC 4309 4 / RFC 5282: key = AES key | 3-byte salt; 8-byte explicit IV */
#define ENCR_CCM(id, icv, bits, kw)                                              \
    { XF_ENCR, id, bits, "AES_CCM_" #icv, kw, false, true, true,                \
      (bits) / 8 + 3, 3, 8, 1, icv, 0 }
/* RFC 5529: Camellia-CBC as AES-CBC, 16-byte IV and block */
#define ENCR_CAMELLIA(bits, kw)                                                  \
    { XF_ENCR, ENCR_CAMELLIA_CBC, bits, "CAMELLIA_CBC", kw, false, false, true, \
      (bits) / 8, 0, 16, 16, 0, 0 }
/* RFC 3686 / RFC 5528 (ESP), RFC 5930 (IKE): key = cipher key | 4-byte
 * nonce, 8-byte IV; a stream mode (ESP still pads to 4 bytes) */
#define ENCR_CTR(id, name, bits, kw)                                             \
    { XF_ENCR, id, bits, name, kw, false, false, true, (bits) / 8 + 4, 4, 8, 1, 0, 0 }
#define PRF_ROW(id, name, kw, legacy, key, out)                                  \
    { XF_PRF, id, 0, name, kw, legacy, false, false, key, 0, 0, 0, 0, out }
#define INTEG_ROW(id, name, kw, legacy, key, icv)                                \
    { XF_INTEG, id, 0, name, kw, legacy, false, false, key, 0, 0, 0, icv, 0 }
#define KE_ROW(id, name, kw, legacy, pub)                                        \
    { XF_KE, id, 0, name, kw, legacy, false, false, 0, 0, 0, 0, 0, pub }

static const struct xf_info rows[] = {
    ENCR_CBC(128, "aes128"),
    ENCR_CBC(192, "aes192"),
    ENCR_CBC(256, "aes256"),
    ENCR_GCM(ENCR_AES_GCM_8, 8, 128, "aes128gcm8"),
    ENCR_GCM(ENCR_AES_GCM_8, 8, 192, "aes192gcm8"),
    ENCR_GCM(ENCR_AES_GCM_8, 8, 256, "aes256gcm8"),
    ENCR_GCM(ENCR_AES_GCM_12, 12, 128, "aes128gcm12"),
    ENCR_GCM(ENCR_AES_GCM_12, 12, 192, "aes192gcm12"),
    ENCR_GCM(ENCR_AES_GCM_12, 12, 256, "aes256gcm12"),
    ENCR_GCM(ENCR_AES_GCM_16, 16, 128, "aes128gcm16"),
    ENCR_GCM(ENCR_AES_GCM_16, 16, 192, "aes192gcm16"),
    ENCR_GCM(ENCR_AES_GCM_16, 16, 256, "aes256gcm16"),
    /* RFC 7634: 256-bit key | 4-byte salt, 8-byte IV, 16-byte tag */
    { XF_ENCR, ENCR_CHACHA20_POLY1305, 0, "CHACHA20_POLY1305", "chacha20poly1305",
      false, true, false, 36, 4, 8, 1, 16, 0 },
    { XF_ENCR, ENCR_3DES, 0, "3DES", "3des", true, false, false, 24, 0, 8, 8, 0, 0 },
    /* RFC 2410: ESP without confidentiality (never for IKE: conf/proposal.c) */
    { XF_ENCR, ENCR_NULL, 0, "NULL", "null", true, false, false, 0, 0, 0, 1, 0, 0 },
    ENCR_CCM(ENCR_AES_CCM_8, 8, 128, "aes128ccm8"),
    ENCR_CCM(ENCR_AES_CCM_8, 8, 192, "aes192ccm8"),
    ENCR_CCM(ENCR_AES_CCM_8, 8, 256, "aes256ccm8"),
    ENCR_CCM(ENCR_AES_CCM_12, 12, 128, "aes128ccm12"),
    ENCR_CCM(ENCR_AES_CCM_12, 12, 192, "aes192ccm12"),
    ENCR_CCM(ENCR_AES_CCM_12, 12, 256, "aes256ccm12"),
    ENCR_CCM(ENCR_AES_CCM_16, 16, 128, "aes128ccm16"),
    ENCR_CCM(ENCR_AES_CCM_16, 16, 192, "aes192ccm16"),
    ENCR_CCM(ENCR_AES_CCM_16, 16, 256, "aes256ccm16"),
    ENCR_CAMELLIA(128, "camellia128"),
    ENCR_CAMELLIA(192, "camellia192"),
    ENCR_CAMELLIA(256, "camellia256"),
    ENCR_CTR(ENCR_AES_CTR, "AES_CTR", 128, "aes128ctr"),
    ENCR_CTR(ENCR_AES_CTR, "AES_CTR", 192, "aes192ctr"),
    ENCR_CTR(ENCR_AES_CTR, "AES_CTR", 256, "aes256ctr"),
    ENCR_CTR(ENCR_CAMELLIA_CTR, "CAMELLIA_CTR", 128, "camellia128ctr"),
    ENCR_CTR(ENCR_CAMELLIA_CTR, "CAMELLIA_CTR", 192, "camellia192ctr"),
    ENCR_CTR(ENCR_CAMELLIA_CTR, "CAMELLIA_CTR", 256, "camellia256ctr"),

    /* RFC 7296 2.14: SK_d/SK_pi/SK_pr take the PRF's preferred key size:
     * the output size for HMAC, 16 for AES-XCBC-PRF-128 (RFC 4434) */
    PRF_ROW(PRF_HMAC_SHA2_256, "PRF_HMAC_SHA2_256", "prfsha256", false, 32, 32),
    PRF_ROW(PRF_HMAC_SHA2_384, "PRF_HMAC_SHA2_384", "prfsha384", false, 48, 48),
    PRF_ROW(PRF_HMAC_SHA2_512, "PRF_HMAC_SHA2_512", "prfsha512", false, 64, 64),
    PRF_ROW(PRF_HMAC_SHA1, "PRF_HMAC_SHA1", "prfsha1", true, 20, 20),
    PRF_ROW(PRF_AES128_XCBC, "PRF_AES128_XCBC", "prfaesxcbc", false, 16, 16),
    PRF_ROW(PRF_AES128_CMAC, "PRF_AES128_CMAC", "prfaescmac", false, 16, 16),
    PRF_ROW(PRF_HMAC_MD5, "PRF_HMAC_MD5", "prfmd5", true, 16, 16),

    /* RFC 4868 2.1.1: key = full digest size, ICV = half of it */
    INTEG_ROW(AUTH_HMAC_SHA2_256_128, "AUTH_HMAC_SHA2_256_128", "sha256", false, 32, 16),
    INTEG_ROW(AUTH_HMAC_SHA2_384_192, "AUTH_HMAC_SHA2_384_192", "sha384", false, 48, 24),
    INTEG_ROW(AUTH_HMAC_SHA2_512_256, "AUTH_HMAC_SHA2_512_256", "sha512", false, 64, 32),
    INTEG_ROW(AUTH_HMAC_SHA1_96, "AUTH_HMAC_SHA1_96", "sha1", true, 20, 12),
    INTEG_ROW(AUTH_AES_XCBC_96, "AUTH_AES_XCBC_96", "aesxcbc", false, 16, 12),
    INTEG_ROW(AUTH_AES_CMAC_96, "AUTH_AES_CMAC_96", "aescmac", false, 16, 12),
    INTEG_ROW(AUTH_HMAC_MD5_96, "AUTH_HMAC_MD5_96", "md5", true, 16, 12),

    /* public value sizes: RFC 7296 3.4 (MODP), RFC 5903 7 (ECP x|y),
     * RFC 8031 2 (Curve25519/448 u-coordinate) */
    KE_ROW(KE_MODP_2048, "MODP_2048", "modp2048", false, 256),
    KE_ROW(KE_MODP_3072, "MODP_3072", "modp3072", false, 384),
    KE_ROW(KE_MODP_4096, "MODP_4096", "modp4096", false, 512),
    KE_ROW(KE_MODP_6144, "MODP_6144", "modp6144", false, 768),
    KE_ROW(KE_MODP_8192, "MODP_8192", "modp8192", false, 1024),
    KE_ROW(KE_MODP_1024, "MODP_1024", "modp1024", true, 128),
    KE_ROW(KE_MODP_1536, "MODP_1536", "modp1536", true, 192),
    KE_ROW(KE_ECP_256, "ECP_256", "ecp256", false, 64),
    KE_ROW(KE_ECP_384, "ECP_384", "ecp384", false, 96),
    KE_ROW(KE_ECP_521, "ECP_521", "ecp521", false, 132),
    /* RFC 5114 2.6/2.7 (NIST P-192/P-224), RFC 6954 (Brainpool): x | y */
    KE_ROW(KE_ECP_192, "ECP_192", "ecp192", true, 48),
    KE_ROW(KE_ECP_224, "ECP_224", "ecp224", false, 56),
    KE_ROW(KE_ECP_224_BP, "ECP_224_BP", "ecp224bp", false, 56),
    KE_ROW(KE_ECP_256_BP, "ECP_256_BP", "ecp256bp", false, 64),
    KE_ROW(KE_ECP_384_BP, "ECP_384_BP", "ecp384bp", false, 96),
    KE_ROW(KE_ECP_512_BP, "ECP_512_BP", "ecp512bp", false, 128),
    KE_ROW(KE_CURVE25519, "CURVE25519", "x25519", false, 32),
    KE_ROW(KE_CURVE448, "CURVE448", "x448", false, 56),

    { XF_ESN, ESN_YES, 0, "ESN", "esn", false, false, false, 0, 0, 0, 0, 0, 0 },
    { XF_ESN, ESN_NO, 0, "NO_ESN", "noesn", false, false, false, 0, 0, 0, 0, 0, 0 },
};

/* other spellings strongSwan accepts for the same rows */
static const struct {
    enum xf_type type;
    const char *alias, *keyword;
} aliases[] = {
    { XF_ENCR, "aes128gcm64", "aes128gcm8" },   { XF_ENCR, "aes192gcm64", "aes192gcm8" },
    { XF_ENCR, "aes256gcm64", "aes256gcm8" },   { XF_ENCR, "aes128gcm96", "aes128gcm12" },
    { XF_ENCR, "aes192gcm96", "aes192gcm12" },  { XF_ENCR, "aes256gcm96", "aes256gcm12" },
    { XF_ENCR, "aes128gcm128", "aes128gcm16" }, { XF_ENCR, "aes192gcm128", "aes192gcm16" },
    { XF_ENCR, "aes256gcm128", "aes256gcm16" }, { XF_ENCR, "aes128gcm", "aes128gcm16" },
    { XF_ENCR, "aes192gcm", "aes192gcm16" },    { XF_ENCR, "aes256gcm", "aes256gcm16" },
    { XF_ENCR, "aes", "aes128" },
    { XF_ENCR, "aes128ccm64", "aes128ccm8" },   { XF_ENCR, "aes192ccm64", "aes192ccm8" },
    { XF_ENCR, "aes256ccm64", "aes256ccm8" },   { XF_ENCR, "aes128ccm96", "aes128ccm12" },
    { XF_ENCR, "aes192ccm96", "aes192ccm12" },  { XF_ENCR, "aes256ccm96", "aes256ccm12" },
    { XF_ENCR, "aes128ccm128", "aes128ccm16" }, { XF_ENCR, "aes192ccm128", "aes192ccm16" },
    { XF_ENCR, "aes256ccm128", "aes256ccm16" }, { XF_ENCR, "aes128ccm", "aes128ccm16" },
    { XF_ENCR, "aes192ccm", "aes192ccm16" },    { XF_ENCR, "aes256ccm", "aes256ccm16" },
    { XF_ENCR, "camellia", "camellia128" },
    /* in an IKE proposal an integrity keyword also names the matching PRF */
    { XF_PRF, "sha256", "prfsha256" },          { XF_PRF, "sha2_256", "prfsha256" },
    { XF_PRF, "sha384", "prfsha384" },          { XF_PRF, "sha2_384", "prfsha384" },
    { XF_PRF, "sha512", "prfsha512" },          { XF_PRF, "sha2_512", "prfsha512" },
    { XF_PRF, "sha1", "prfsha1" },              { XF_PRF, "sha", "prfsha1" },
    { XF_PRF, "aesxcbc", "prfaesxcbc" },        { XF_PRF, "md5", "prfmd5" },
    { XF_PRF, "aescmac", "prfaescmac" },
    { XF_INTEG, "sha2_256", "sha256" },         { XF_INTEG, "sha2_384", "sha384" },
    { XF_INTEG, "sha2_512", "sha512" },         { XF_INTEG, "sha", "sha1" },
    { XF_KE, "curve25519", "x25519" },          { XF_KE, "curve448", "x448" },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const struct xf_info *xf_at(size_t i)
{
    return i < COUNT(rows) ? &rows[i] : NULL;
}

const struct xf_info *xf_lookup(enum xf_type type, uint16_t id, uint16_t key_bits)
{
    for (size_t i = 0; i < COUNT(rows); i++) {
        const struct xf_info *x = &rows[i];
        if (x->type != type || x->id != id)
            continue;
        /* a Key Length attribute is required where the ID does not fix the
         * size (RFC 7296 3.3.5); it must be absent elsewhere */
        if (x->key_length_attr ? x->key_bits == key_bits : key_bits == 0)
            return x;
    }
    return NULL;
}

static const struct xf_info *by_exact_keyword(enum xf_type type, const char *kw)
{
    for (size_t i = 0; i < COUNT(rows); i++)
        if (rows[i].type == type && strcmp(rows[i].keyword, kw) == 0)
            return &rows[i];
    return NULL;
}

const struct xf_info *xf_by_keyword(enum xf_type type, const char *kw)
{
    if (!kw)
        return NULL;
    const struct xf_info *x = by_exact_keyword(type, kw);
    for (size_t i = 0; !x && i < COUNT(aliases); i++)
        if (aliases[i].type == type && strcmp(aliases[i].alias, kw) == 0)
            x = by_exact_keyword(type, aliases[i].keyword);
    return x;
}

bool xf_allowed(const struct xf_info *xf, bool allow_legacy)
{
    return xf && (!xf->legacy || allow_legacy);
}

const char *xf_type_name(enum xf_type type)
{
    switch (type) {
    case XF_ENCR: return "ENCR";
    case XF_PRF: return "PRF";
    case XF_INTEG: return "INTEG";
    case XF_KE: return "KE";
    case XF_ESN: return "ESN";
    }
    return "UNKNOWN";
}

bool xf_counter_iv(const struct xf_info *xf)
{
    return xf && xf->type == XF_ENCR &&
           (xf->aead || xf->id == ENCR_AES_CTR || xf->id == ENCR_CAMELLIA_CTR);
}

/* strongSwan 5.9 keywords kite refuses, and why.  A trailing '*' matches
 * any rest ("ke1_*": every additional key exchange of RFC 9370). */
static const struct {
    const char *kw, *why;
} refused[] = {
    { "des", "single DES has a 56-bit key and is broken (RFC 8221 2.1: MUST NOT)" },
    { "modp768", "MODP-768 (group 1) is broken (RFC 8247 2.4: MUST NOT)" },
    { "none", "optional PFS (KE method NONE) is not implemented; leave the group out for no PFS" },
    { "modpnone", "optional PFS (KE method NONE) is not implemented; leave the group out for no PFS" },
    { "modpnull", "optional PFS (KE method NONE) is not implemented; leave the group out for no PFS" },
    { "modp1024s160", "the RFC 5114 MODP groups 22-24 are not implemented (RFC 8247 2.4: SHOULD NOT)" },
    { "modp2048s224", "the RFC 5114 MODP groups 22-24 are not implemented (RFC 8247 2.4: SHOULD NOT)" },
    { "modp2048s256", "the RFC 5114 MODP groups 22-24 are not implemented (RFC 8247 2.4: SHOULD NOT)" },
    { "aes128gmac", "integrity-only ESP (ENCR_NULL_AUTH_AES_GMAC, RFC 4543) is not implemented" },
    { "aes192gmac", "integrity-only ESP (ENCR_NULL_AUTH_AES_GMAC, RFC 4543) is not implemented" },
    { "aes256gmac", "integrity-only ESP (ENCR_NULL_AUTH_AES_GMAC, RFC 4543) is not implemented" },
    { "chacha20poly1305compat", "a strongSwan-private pre-RFC 7634 transform ID no other implementation uses" },
    { "camellia*ccm*", "OpenSSL 3 has no Camellia-CCM" },
    { "camelliaxcbc", "a strongSwan-private transform ID no other implementation uses" },
    { "prfcamelliaxcbc", "a strongSwan-private transform ID no other implementation uses" },
    { "sha256_96", "the pre-RFC 4868 96-bit truncation is a strongSwan-private transform ID" },
    { "sha2_256_96", "the pre-RFC 4868 96-bit truncation is a strongSwan-private transform ID" },
    { "sha1_160", "AUTH_HMAC_SHA1_160 is for Fibre Channel (RFC 4595), not IKE or ESP" },
    { "md5_128", "AUTH_HMAC_MD5_128 is for Fibre Channel (RFC 4595), not IKE or ESP" },
    { "blowfish*", "Blowfish is only in OpenSSL 3's legacy provider (and has a 64-bit block)" },
    { "cast128", "CAST-128 is only in OpenSSL 3's legacy provider (and has a 64-bit block)" },
    { "serpent*", "Serpent is not in OpenSSL and has only a strongSwan-private transform ID" },
    { "twofish*", "Twofish is not in OpenSSL and has only a strongSwan-private transform ID" },
    { "gost*", "the GOST curves are not in OpenSSL 3's default provider" },
    { "ntru*", "NTRU was an experiment of strongSwan (removed in 6.0), not in OpenSSL" },
    { "newhope*", "NewHope was an experiment of strongSwan (removed in 6.0), not in OpenSSL" },
    { "mlkem*", "ML-KEM needs RFC 9370 additional key exchanges and OpenSSL 3.5; kite has neither" },
    { "ke?_*", "additional key exchanges (RFC 9370, IKE_INTERMEDIATE) are not implemented" },
};

/* glob with '*' (any run) and '?' (one character) */
static bool glob(const char *pat, const char *s)
{
    if (!*pat)
        return !*s;
    if (*pat == '*')
        return glob(pat + 1, s) || (*s && glob(pat, s + 1));
    return *s && (*pat == '?' || *pat == *s) && glob(pat + 1, s + 1);
}

const char *xf_refused_reason(const char *kw)
{
    for (size_t i = 0; kw && i < COUNT(refused); i++)
        if (glob(refused[i].kw, kw))
            return refused[i].why;
    return NULL;
}
