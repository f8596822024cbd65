/* sig: AUTH payload signatures (RFC 7296 2.15, 3.8; RFC 7427; RFC 4754;
 * RFC 8420) with OpenSSL 3 keys.  The AlgorithmIdentifiers themselves are in
 * sig_algid.c.  A peer's AUTH data is read through rd only; what OpenSSL sees
 * of it is the signature's bytes, as a bounded span. */
#include "crypto/sig.h"
#include "crypto/sig_int.h"
#include "base/err.h"
#include "base/rd.h"
#include "base/wr.h"
#include "wire/ike.h"
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum key_kind { KEY_NONE, KEY_RSA, KEY_RSA_PSS, KEY_EC, KEY_ED25519, KEY_ED448 };

/* what a key can sign with */
struct key_info {
    enum key_kind kind;
    const char *name;    /* for reasons: "RSA", "ECDSA P-256" ... */
    uint8_t curve_hash;  /* ECDSA: the hash of its classic method */
    uint8_t classic;     /* its classic auth method (RFC 7296 3.8, RFC 4754), 0 if none */
    size_t coord_len;    /* ECDSA: bytes of r and of s in the classic form */
};

static const struct {
    int nid;
    const char *name;
    uint8_t hash, method;
    size_t len;
} curves[] = {
    { NID_X9_62_prime256v1, "ECDSA P-256", SIG_HASH_SHA256, IKEV2_AUTH_ECDSA_SHA256_P256, 32 },
    { NID_secp384r1, "ECDSA P-384", SIG_HASH_SHA384, IKEV2_AUTH_ECDSA_SHA384_P384, 48 },
    { NID_secp521r1, "ECDSA P-521", SIG_HASH_SHA512, IKEV2_AUTH_ECDSA_SHA512_P521, 66 },
};

static int ec_info(EVP_PKEY *key, struct key_info *k)
{
    char group[64];
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, NULL) != 1)
        return KITE_E_UNSUPPORTED;
    int nid = OBJ_txt2nid(group);
    for (size_t i = 0; i < sizeof curves / sizeof curves[0]; i++)
        if (curves[i].nid == nid) {
            k->kind = KEY_EC;
            k->name = curves[i].name;
            k->curve_hash = curves[i].hash;
            k->classic = curves[i].method;
            k->coord_len = curves[i].len;
            return 0;
        }
    return KITE_E_UNSUPPORTED;
}

static int key_classify(EVP_PKEY *key, struct key_info *k)
{
    memset(k, 0, sizeof *k);
    if (!key)
        return KITE_E_INVALID_ARG;
    if (EVP_PKEY_is_a(key, "RSA-PSS"))
        *k = (struct key_info){ KEY_RSA_PSS, "RSA-PSS", 0, 0, 0 };
    else if (EVP_PKEY_is_a(key, "RSA"))
        *k = (struct key_info){ KEY_RSA, "RSA", 0, IKEV2_AUTH_RSA_SIG, 0 };
    else if (EVP_PKEY_is_a(key, "ED25519"))
        *k = (struct key_info){ KEY_ED25519, "Ed25519", 0, 0, 0 };
    else if (EVP_PKEY_is_a(key, "ED448"))
        *k = (struct key_info){ KEY_ED448, "Ed448", 0, 0, 0 };
    else if (EVP_PKEY_is_a(key, "EC"))
        return ec_info(key, k);
    return k->kind == KEY_NONE ? KITE_E_UNSUPPORTED : 0;
}

static bool alg_fits_key(const struct sig_alg *a, const struct key_info *k)
{
    switch (a->family) {
    case SIG_F_PKCS1: return k->kind == KEY_RSA; /* an RSA-PSS key signs PSS only (RFC 4055 1.2) */
    case SIG_F_PSS: return k->kind == KEY_RSA || k->kind == KEY_RSA_PSS;
    case SIG_F_ECDSA: return k->kind == KEY_EC;
    case SIG_F_ED25519: return k->kind == KEY_ED25519;
    case SIG_F_ED448: return k->kind == KEY_ED448;
    case SIG_F_NONE: break;
    }
    return false;
}

static const char *family_name(enum sig_family f)
{
    switch (f) {
    case SIG_F_PKCS1: return "RSA PKCS#1 v1.5";
    case SIG_F_PSS: return "RSASSA-PSS";
    case SIG_F_ECDSA: return "ECDSA";
    case SIG_F_ED25519: return "Ed25519";
    case SIG_F_ED448: return "Ed448";
    case SIG_F_NONE: break;
    }
    return "unknown";
}

const char *sig_hash_name(uint8_t hash)
{
    switch (hash) {
    case SIG_HASH_SHA1: return "SHA1";
    case SIG_HASH_SHA256: return "SHA2_256";
    case SIG_HASH_SHA384: return "SHA2_384";
    case SIG_HASH_SHA512: return "SHA2_512";
    case SIG_HASH_IDENTITY: return "IDENTITY";
    }
    return "unknown";
}

/* OpenSSL's digest name; NULL for IDENTITY (EdDSA hashes internally) */
static const char *md_name(uint8_t hash)
{
    switch (hash) {
    case SIG_HASH_SHA1: return "SHA1";
    case SIG_HASH_SHA256: return "SHA256";
    case SIG_HASH_SHA384: return "SHA384";
    case SIG_HASH_SHA512: return "SHA512";
    }
    return NULL;
}

/* ---- the hashes we announce and the scheme we sign with --------------- */

size_t sig_hashes_supported_ex(unsigned flags, uint16_t *out, size_t cap)
{
    static const uint16_t ours[] = { SIG_HASH_SHA256, SIG_HASH_SHA384, SIG_HASH_SHA512,
                                     SIG_HASH_IDENTITY, SIG_HASH_SHA1 };
    size_t n = sizeof ours / sizeof ours[0] - ((flags & SIG_ALLOW_SHA1) ? 0 : 1);
    if (n > cap)
        n = cap;
    for (size_t i = 0; i < n; i++)
        out[i] = ours[i];
    return n;
}

size_t sig_hashes_supported(uint16_t *out, size_t cap)
{
    return sig_hashes_supported_ex(0, out, cap);
}

static bool announced(const uint16_t *hashes, size_t n, uint8_t hash)
{
    for (size_t i = 0; i < n; i++)
        if (hashes[i] == hash)
            return true;
    return false;
}

/* RFC 7427 4: the first of our hashes for this key the peer announced.
 * ECDSA prefers its curve's hash (RFC 5656 6.2.1's pairing, and what the
 * classic methods use); SHA-1 is never chosen. */
static uint8_t choose_hash(const struct key_info *k, const uint16_t *peer, size_t n)
{
    uint8_t order[4] = { SIG_HASH_SHA256, SIG_HASH_SHA384, SIG_HASH_SHA512, 0 };
    if (k->kind == KEY_ED25519 || k->kind == KEY_ED448)
        return announced(peer, n, SIG_HASH_IDENTITY) ? SIG_HASH_IDENTITY : 0;
    if (k->kind == KEY_EC && announced(peer, n, k->curve_hash))
        return k->curve_hash;
    for (size_t i = 0; order[i]; i++)
        if (announced(peer, n, order[i]))
            return order[i];
    return 0;
}

int sig_choose(EVP_PKEY *key, const uint16_t *peer_hashes, size_t n, bool pss, struct sig_scheme *out)
{
    struct key_info k;
    memset(out, 0, sizeof *out);
    if (key_classify(key, &k))
        return KITE_E_UNSUPPORTED;
    if (n > 0) {
        uint8_t hash = choose_hash(&k, peer_hashes, n);
        if (!hash)
            return KITE_E_NO_PROPOSAL;
        out->method = IKEV2_AUTH_DIGITAL_SIGNATURE;
        out->hash = hash;
        out->pss = k.kind == KEY_RSA_PSS || (k.kind == KEY_RSA && pss);
        return 0;
    }
    /* no RFC 7427: the classic method, PKCS#1 v1.5 for RSA whatever pss asks
     * (as strongSwan does); an RSA-PSS or EdDSA key has none */
    if (!k.classic)
        return KITE_E_UNSUPPORTED;
    out->method = k.classic;
    out->hash = k.kind == KEY_RSA ? SIG_HASH_SHA1 : k.curve_hash;
    return 0;
}

/* ---- signing and verifying the octets ------------------------------- */

/* the algorithm of a classic method (RFC 7296 3.8, RFC 4754 7) */
static int classic_alg(uint8_t method, struct sig_alg *a)
{
    memset(a, 0, sizeof *a);
    switch (method) {
    case IKEV2_AUTH_RSA_SIG: *a = (struct sig_alg){ SIG_F_PKCS1, SIG_HASH_SHA1, 0, 0 }; return 0;
    case IKEV2_AUTH_ECDSA_SHA256_P256: *a = (struct sig_alg){ SIG_F_ECDSA, SIG_HASH_SHA256, 0, 0 }; return 0;
    case IKEV2_AUTH_ECDSA_SHA384_P384: *a = (struct sig_alg){ SIG_F_ECDSA, SIG_HASH_SHA384, 0, 0 }; return 0;
    case IKEV2_AUTH_ECDSA_SHA512_P521: *a = (struct sig_alg){ SIG_F_ECDSA, SIG_HASH_SHA512, 0, 0 }; return 0;
    }
    return KITE_E_UNSUPPORTED;
}

/* the algorithm of a scheme we sign with, if it fits the key */
static int scheme_alg(const struct key_info *k, const struct sig_scheme *s, struct sig_alg *a)
{
    if (s->method != IKEV2_AUTH_DIGITAL_SIGNATURE) {
        if (!k->classic || s->method != k->classic)
            return KITE_E_UNSUPPORTED;
        return classic_alg(s->method, a);
    }
    memset(a, 0, sizeof *a);
    a->hash = s->hash;
    if (k->kind == KEY_RSA || k->kind == KEY_RSA_PSS) {
        a->family = s->pss ? SIG_F_PSS : SIG_F_PKCS1;
        a->mgf1_hash = s->pss ? s->hash : 0;
        a->salt_len = s->pss ? (uint16_t)sig_hash_len(s->hash) : 0; /* RFC 7427 A.4.3 */
        if (s->pss && (s->hash == SIG_HASH_SHA1 || !sig_hash_len(s->hash)))
            return KITE_E_UNSUPPORTED;
    } else if (k->kind == KEY_EC) {
        a->family = SIG_F_ECDSA;
    } else {
        a->family = k->kind == KEY_ED25519 ? SIG_F_ED25519 : SIG_F_ED448;
        if (s->hash != SIG_HASH_IDENTITY)
            return KITE_E_UNSUPPORTED;
    }
    if (a->family != SIG_F_PSS && a->family != SIG_F_ED25519 && a->family != SIG_F_ED448 &&
        !sig_hash_len(s->hash))
        return KITE_E_UNSUPPORTED;
    return alg_fits_key(a, k) ? 0 : KITE_E_UNSUPPORTED;
}

/* a DigestSign/DigestVerify context for the algorithm */
static EVP_MD_CTX *op_open(EVP_PKEY *key, const struct sig_alg *a, bool sign)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    const char *md = md_name(a->hash);
    bool eddsa = a->family == SIG_F_ED25519 || a->family == SIG_F_ED448;
    if (!ctx || (!md && !eddsa))
        goto fail;
    if ((sign ? EVP_DigestSignInit_ex(ctx, &pctx, eddsa ? NULL : md, NULL, NULL, key, NULL)
              : EVP_DigestVerifyInit_ex(ctx, &pctx, eddsa ? NULL : md, NULL, NULL, key, NULL)) != 1)
        goto fail;
    if (a->family == SIG_F_PSS &&
        (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 || !md_name(a->mgf1_hash) ||
         EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, md_name(a->mgf1_hash), NULL) != 1 ||
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, a->salt_len) != 1))
        goto fail;
    return ctx;
fail:
    EVP_MD_CTX_free(ctx);
    return NULL;
}

/* the octets in one buffer: EdDSA signs a message, not a digest (RFC 8032
 * 5.1.6), so OpenSSL takes it in one piece; the others take it the same way */
static uint8_t *octets_join(const struct span *octets, size_t n, size_t *len)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (octets[i].n > SIZE_MAX - total)
            return NULL;
        total += octets[i].n;
    }
    uint8_t *buf = malloc(total ? total : 1);
    struct wr w;
    if (!buf)
        return NULL;
    wr_init(&w, buf, total);
    for (size_t i = 0; i < n; i++)
        wr_span(&w, octets[i]);
    *len = total;
    return buf;
}

/* the raw signature (ECDSA: DER) of the octets into out */
static int sign_raw(EVP_PKEY *key, const struct sig_alg *a, const struct span *octets, size_t n,
                    uint8_t *out, size_t cap, size_t *len)
{
    size_t mlen = 0, slen = 0;
    uint8_t *msg = octets_join(octets, n, &mlen);
    EVP_MD_CTX *ctx = msg ? op_open(key, a, true) : NULL;
    int rc = KITE_E_CRYPTO;
    if (ctx && EVP_DigestSign(ctx, NULL, &slen, msg, mlen) == 1) {
        if (slen > cap)
            rc = KITE_E_NO_SPACE;
        else if (EVP_DigestSign(ctx, out, &slen, msg, mlen) == 1)
            rc = 0, *len = slen;
    }
    EVP_MD_CTX_free(ctx);
    free(msg);
    return rc;
}

/* ECDSA-Sig-Value (DER, what OpenSSL makes) to r | s of fixed length (RFC 4754 7) */
static int ecdsa_der_to_rs(const uint8_t *der, size_t n, size_t coord, struct wr *w)
{
    const unsigned char *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
    uint8_t rs[2 * 66];
    int rc = KITE_E_CRYPTO;
    if (es && coord <= 66 && BN_bn2binpad(ECDSA_SIG_get0_r(es), rs, (int)coord) == (int)coord &&
        BN_bn2binpad(ECDSA_SIG_get0_s(es), rs + coord, (int)coord) == (int)coord)
        rc = wr_bytes(w, rs, 2 * coord);
    ECDSA_SIG_free(es);
    return rc;
}

/* r | s of fixed length (a peer's) to a DER ECDSA-Sig-Value for OpenSSL */
static int ecdsa_rs_to_der(struct span sig, size_t coord, unsigned char **der, size_t *n)
{
    struct rd r;
    struct span rs, ss;
    rd_init(&r, sig.p, sig.n);
    rd_span(&r, coord, &rs);
    rd_span(&r, coord, &ss);
    if (!rd_done(&r))
        return KITE_E_BAD_LENGTH;
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *br = BN_bin2bn(rs.p, (int)rs.n, NULL), *bs = BN_bin2bn(ss.p, (int)ss.n, NULL);
    int len = -1;
    if (es && br && bs && ECDSA_SIG_set0(es, br, bs) == 1) {
        br = bs = NULL; /* es owns them */
        len = i2d_ECDSA_SIG(es, der);
    }
    BN_free(br);
    BN_free(bs);
    ECDSA_SIG_free(es);
    if (len <= 0)
        return KITE_E_CRYPTO;
    *n = (size_t)len;
    return 0;
}

int sig_algid(EVP_PKEY *key, const struct sig_scheme *scheme, uint8_t *out, size_t cap, size_t *len)
{
    struct key_info k;
    struct sig_alg a;
    struct wr w;
    *len = 0;
    if (key_classify(key, &k) || scheme->method != IKEV2_AUTH_DIGITAL_SIGNATURE ||
        scheme_alg(&k, scheme, &a))
        return KITE_E_UNSUPPORTED;
    wr_init(&w, out, cap);
    int rc = sig_alg_encode(&a, &w);
    if (!rc)
        *len = w.len;
    return rc;
}

int sig_sign(EVP_PKEY *key, const struct sig_scheme *scheme, const struct span *octets, size_t n,
             uint8_t *out, size_t cap, size_t *len)
{
    struct key_info k;
    struct sig_alg a;
    struct wr w;
    uint8_t raw[SIG_MAX];
    size_t rawlen = 0;
    *len = 0;
    if (key_classify(key, &k) || scheme_alg(&k, scheme, &a))
        return KITE_E_UNSUPPORTED;
    wr_init(&w, out, cap);
    if (scheme->method == IKEV2_AUTH_DIGITAL_SIGNATURE) {
        /* RFC 7427 3: length of the AlgorithmIdentifier | AlgorithmIdentifier */
        size_t at = wr_reserve(&w, 1);
        if (!sig_alg_encode(&a, &w))
            wr_put_u8(&w, at, (uint8_t)(w.len - at - 1));
    }
    if (w.err)
        return w.err;
    int rc = sign_raw(key, &a, octets, n, raw, sizeof raw, &rawlen);
    if (!rc && a.family == SIG_F_ECDSA && scheme->method != IKEV2_AUTH_DIGITAL_SIGNATURE)
        rc = ecdsa_der_to_rs(raw, rawlen, k.coord_len, &w);
    else if (!rc)
        rc = wr_bytes(&w, raw, rawlen);
    if (!rc)
        *len = w.len;
    return rc;
}

/* ---- verifying a peer's AUTH data -------------------------------------- */

static int refuse(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    if (why && cap) {
        va_start(ap, fmt);
        vsnprintf(why, cap, fmt, ap);
        va_end(ap);
    }
    return KITE_E_AUTH_FAILED;
}

/* a peer's AlgorithmIdentifier in hex for a reason: 48 bytes at most, then "..." */
static const char *hex_of(struct span s, char *buf, size_t cap)
{
    size_t shown = s.n > 48 ? 48 : s.n, o = 0;
    buf[0] = 0;
    for (size_t i = 0; i < shown && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%02x", s.p[i]);
    if (shown < s.n && o < cap)
        snprintf(buf + o, cap - o, "...");
    return buf;
}

/* method 14: AlgorithmIdentifier length | AlgorithmIdentifier | signature (RFC 7427 3) */
static int ds_parse(struct span auth, struct sig_alg *a, struct span *sig, char *why, size_t cap)
{
    struct rd r;
    uint8_t n = 0;
    struct span der;
    char hex[2 * 48 + 4];
    rd_init(&r, auth.p, auth.n);
    rd_u8(&r, &n);
    rd_span(&r, n, &der);
    *sig = rd_rest(&r);
    if (r.err || n == 0)
        return refuse(why, cap, "AUTH data of %zu bytes does not hold its AlgorithmIdentifier", auth.n);
    int rc = sig_alg_parse(der, a);
    if (rc == KITE_E_MALFORMED)
        return refuse(why, cap, "malformed AlgorithmIdentifier %s", hex_of(der, hex, sizeof hex));
    if (rc)
        return refuse(why, cap, "unknown signature algorithm %s", hex_of(der, hex, sizeof hex));
    return 0;
}

static const char *method_name(uint8_t method)
{
    switch (method) {
    case IKEV2_AUTH_RSA_SIG: return "RSA";
    case IKEV2_AUTH_ECDSA_SHA256_P256: return "ECDSA P-256";
    case IKEV2_AUTH_ECDSA_SHA384_P384: return "ECDSA P-384";
    case IKEV2_AUTH_ECDSA_SHA512_P521: return "ECDSA P-521";
    }
    return "unknown";
}

/* the algorithm the method and AUTH data name, if it fits the key and policy */
static int verify_alg(const struct key_info *k, uint8_t method, struct span auth, unsigned flags,
                      struct sig_alg *a, struct span *sig, char *why, size_t cap)
{
    if (method == IKEV2_AUTH_DIGITAL_SIGNATURE) {
        if (ds_parse(auth, a, sig, why, cap))
            return KITE_E_AUTH_FAILED;
        if (!alg_fits_key(a, k))
            return refuse(why, cap, "%s key with an %s signature algorithm", k->name, family_name(a->family));
        /* RFC 8247 2.4: SHA-1 MUST NOT be used for signatures; the classic
         * RSA method is SHA-1 by definition and stays for old peers */
        if (!(flags & SIG_ALLOW_SHA1) && (a->hash == SIG_HASH_SHA1 || a->mgf1_hash == SIG_HASH_SHA1))
            return refuse(why, cap, "hash SHA1 not allowed");
        return 0;
    }
    if (classic_alg(method, a))
        return refuse(why, cap, "unsupported authentication method %u", method);
    *sig = auth;
    if (method != k->classic)
        return refuse(why, cap, "%s key with an %s method", k->name, method_name(method));
    if (a->family == SIG_F_ECDSA && auth.n != 2 * k->coord_len)
        return refuse(why, cap, "%s signature of %zu bytes, not %zu", k->name, auth.n, 2 * k->coord_len);
    return 0;
}

/* the signature over the octets, as OpenSSL takes it */
static bool verify_raw(EVP_PKEY *pub, const struct sig_alg *a, struct span sig, const struct span *octets,
                       size_t n)
{
    size_t mlen = 0;
    uint8_t *msg = octets_join(octets, n, &mlen);
    EVP_MD_CTX *ctx = msg ? op_open(pub, a, false) : NULL;
    bool ok = ctx && sig.n && EVP_DigestVerify(ctx, sig.p, sig.n, msg, mlen) == 1;
    EVP_MD_CTX_free(ctx);
    free(msg);
    return ok;
}

int sig_verify_ex(EVP_PKEY *pub, uint8_t method, struct span auth, const struct span *octets, size_t n,
                  unsigned flags, struct sig_scheme *used, char *why, size_t cap)
{
    struct key_info k;
    struct sig_alg a;
    struct span sig = { NULL, 0 };
    unsigned char *der = NULL;
    size_t dlen = 0;
    int rc;
    memset(used, 0, sizeof *used);
    if (why && cap)
        why[0] = 0;
    if (key_classify(pub, &k))
        return refuse(why, cap, "unsupported public key type");
    ERR_set_mark(); /* what OpenSSL queues about a peer's bytes is not our error */
    rc = verify_alg(&k, method, auth, flags, &a, &sig, why, cap);
    if (!rc) {
        *used = (struct sig_scheme){ method, a.hash, a.family == SIG_F_PSS };
        if (a.family == SIG_F_ECDSA && method != IKEV2_AUTH_DIGITAL_SIGNATURE &&
            ecdsa_rs_to_der(sig, k.coord_len, &der, &dlen) == 0)
            sig = span_of(der, dlen);
        if (!verify_raw(pub, &a, sig, octets, n))
            rc = refuse(why, cap, "bad signature");
    }
    OPENSSL_free(der);
    ERR_pop_to_mark();
    return rc;
}

int sig_verify(EVP_PKEY *pub, uint8_t method, struct span auth, const struct span *octets, size_t n,
               struct sig_scheme *used, char *why, size_t cap)
{
    return sig_verify_ex(pub, method, auth, octets, n, 0, used, why, cap);
}
