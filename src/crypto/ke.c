#include "crypto/ke.h"
#include "base/err.h"
#include "base/secret.h"
#include "crypto/rand.h"
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <stdbool.h>
#include <string.h>

enum ke_kind { KIND_NONE, KIND_MODP, KIND_ECP, KIND_XDH };

static enum ke_kind kind_of(uint16_t group)
{
    switch (group) {
    case KE_MODP_1024: case KE_MODP_1536: case KE_MODP_2048: case KE_MODP_3072:
    case KE_MODP_4096: case KE_MODP_6144: case KE_MODP_8192:
        return KIND_MODP;
    case KE_ECP_256: case KE_ECP_384: case KE_ECP_521: case KE_ECP_192: case KE_ECP_224:
    case KE_ECP_224_BP: case KE_ECP_256_BP: case KE_ECP_384_BP: case KE_ECP_512_BP:
        return KIND_ECP;
    case KE_CURVE25519: case KE_CURVE448:
        return KIND_XDH;
    }
    return KIND_NONE;
}

/* ---- MODP ------------------------------------------------------------ */

/* RFC 2409 6.2 (group 2) and RFC 3526 (groups 5, 14-18), generator 2 */
static BIGNUM *modp_p(uint16_t group)
{
    switch (group) {
    case KE_MODP_1024: return BN_get_rfc2409_prime_1024(NULL);
    case KE_MODP_1536: return BN_get_rfc3526_prime_1536(NULL);
    case KE_MODP_2048: return BN_get_rfc3526_prime_2048(NULL);
    case KE_MODP_3072: return BN_get_rfc3526_prime_3072(NULL);
    case KE_MODP_4096: return BN_get_rfc3526_prime_4096(NULL);
    case KE_MODP_6144: return BN_get_rfc3526_prime_6144(NULL);
    case KE_MODP_8192: return BN_get_rfc3526_prime_8192(NULL);
    }
    return NULL;
}

/* an EVP_PKEY "DH" from p, g = 2 and optional pub/priv */
static EVP_PKEY *modp_pkey(const BIGNUM *p, const BIGNUM *pub, const BIGNUM *priv, int sel)
{
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
    EVP_PKEY *key = NULL;
    BIGNUM *g = BN_new();
    int ok = b && c && g && BN_set_word(g, 2) &&
             OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_FFC_P, p) &&
             OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_FFC_G, g) &&
             (!pub || OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PUB_KEY, pub)) &&
             (!priv || OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, priv));
    params = ok ? OSSL_PARAM_BLD_to_param(b) : NULL;
    if (params && EVP_PKEY_fromdata_init(c) == 1)
        EVP_PKEY_fromdata(c, &key, sel, params);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(b);
    EVP_PKEY_CTX_free(c);
    BN_free(g);
    return key;
}

static int modp_generate(struct ke *k)
{
    BIGNUM *p = modp_p(k->xf->id);
    EVP_PKEY *params = p ? modp_pkey(p, NULL, NULL, EVP_PKEY_KEY_PARAMETERS) : NULL;
    EVP_PKEY_CTX *c = params ? EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL) : NULL;
    int ok = c && EVP_PKEY_keygen_init(c) == 1 && EVP_PKEY_keygen(c, &k->key) == 1;
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(params);
    BN_free(p);
    return ok ? 0 : KITE_E_CRYPTO;
}

static int modp_from_private(struct ke *k, struct span priv)
{
    BIGNUM *p = modp_p(k->xf->id), *x = BN_bin2bn(priv.p, (int)priv.n, NULL);
    BIGNUM *y = BN_new(), *g = BN_new();
    BN_CTX *bc = BN_CTX_new();
    /* y = 2^x mod p; OpenSSL 3.0 does not derive it on import */
    int ok = p && x && y && g && bc && !BN_is_zero(x) && BN_cmp(x, p) < 0 &&
             BN_set_word(g, 2) && BN_mod_exp(y, g, x, p, bc);
    if (ok)
        k->key = modp_pkey(p, y, x, EVP_PKEY_KEYPAIR);
    BN_clear_free(x);
    BN_free(p);
    BN_free(y);
    BN_free(g);
    BN_CTX_free(bc);
    return k->key ? 0 : (ok ? KITE_E_CRYPTO : KITE_E_INVALID_ARG);
}

static int modp_public(const struct ke *k, uint8_t *out, size_t len)
{
    BIGNUM *y = NULL;
    int ok = EVP_PKEY_get_bn_param(k->key, OSSL_PKEY_PARAM_PUB_KEY, &y) == 1 &&
             BN_bn2binpad(y, out, (int)len) == (int)len;
    BN_free(y);
    return ok ? 0 : KITE_E_CRYPTO;
}

/* RFC 7296 does not list the check, but a peer value outside 1 < y < p-1
 * forces the shared secret into a tiny subgroup (NIST SP 800-56A 5.6.2.3.1) */
static EVP_PKEY *modp_peer(const struct ke *k, struct span peer)
{
    BIGNUM *p = modp_p(k->xf->id), *y = BN_bin2bn(peer.p, (int)peer.n, NULL);
    BIGNUM *pm1 = p ? BN_dup(p) : NULL;
    EVP_PKEY *key = NULL;
    if (y && pm1 && BN_sub_word(pm1, 1) && BN_cmp(y, BN_value_one()) > 0 &&
        BN_cmp(y, pm1) < 0)
        key = modp_pkey(p, y, NULL, EVP_PKEY_PUBLIC_KEY);
    BN_free(p);
    BN_free(y);
    BN_free(pm1);
    return key;
}

int ke_modp_prime(uint16_t group, uint8_t *out, size_t cap, size_t *len)
{
    BIGNUM *p = modp_p(group);
    if (!p)
        return KITE_E_UNSUPPORTED;
    size_t n = (size_t)BN_num_bytes(p);
    int rc = n <= cap ? 0 : KITE_E_NO_SPACE;
    if (!rc) {
        BN_bn2bin(p, out);
        *len = n;
    }
    BN_free(p);
    return rc;
}

/* ---- ECP ------------------------------------------------------------- */

/* the curves by IANA group: RFC 5903 (19-21), RFC 5114 (25, 26), RFC 6954
 * (27-30, Brainpool); all carry x | y and share the x coordinate */
static const struct {
    uint16_t group;
    const char *name;
    int nid;
} curves[] = {
    { KE_ECP_256, "P-256", NID_X9_62_prime256v1 },
    { KE_ECP_384, "P-384", NID_secp384r1 },
    { KE_ECP_521, "P-521", NID_secp521r1 },
    { KE_ECP_192, "P-192", NID_X9_62_prime192v1 },
    { KE_ECP_224, "P-224", NID_secp224r1 },
    { KE_ECP_224_BP, "brainpoolP224r1", NID_brainpoolP224r1 },
    { KE_ECP_256_BP, "brainpoolP256r1", NID_brainpoolP256r1 },
    { KE_ECP_384_BP, "brainpoolP384r1", NID_brainpoolP384r1 },
    { KE_ECP_512_BP, "brainpoolP512r1", NID_brainpoolP512r1 },
};

static size_t curve_at(uint16_t group)
{
    size_t i = 0;
    while (i + 1 < sizeof curves / sizeof curves[0] && curves[i].group != group)
        i++;
    return i; /* only called for groups kind_of() calls ECP */
}

static const char *ecp_name(uint16_t group)
{
    return curves[curve_at(group)].name;
}

static int ecp_nid(uint16_t group)
{
    return curves[curve_at(group)].nid;
}

/* an EVP_PKEY "EC" from an uncompressed point 04|x|y and optional priv */
static EVP_PKEY *ecp_pkey(uint16_t group, const uint8_t *pt, size_t ptlen, const BIGNUM *priv)
{
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *key = NULL;
    int ok = b && c &&
             OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, ecp_name(group), 0) &&
             OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pt, ptlen) &&
             (!priv || OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, priv));
    params = ok ? OSSL_PARAM_BLD_to_param(b) : NULL;
    if (params && EVP_PKEY_fromdata_init(c) == 1)
        EVP_PKEY_fromdata(c, &key, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(b);
    EVP_PKEY_CTX_free(c);
    return key;
}

static int ecp_from_private(struct ke *k, struct span priv)
{
    EC_GROUP *grp = EC_GROUP_new_by_curve_name(ecp_nid(k->xf->id));
    EC_POINT *q = grp ? EC_POINT_new(grp) : NULL;
    BIGNUM *d = BN_bin2bn(priv.p, (int)priv.n, NULL);
    BN_CTX *bc = BN_CTX_new();
    uint8_t pt[1 + 2 * 66];
    size_t ptlen = 0;
    /* Q = d G, computed here because OpenSSL 3.0 does not derive it on import */
    int ok = q && d && bc && !BN_is_zero(d) && BN_cmp(d, EC_GROUP_get0_order(grp)) < 0 &&
             EC_POINT_mul(grp, q, d, NULL, NULL, bc) == 1;
    if (ok)
        ptlen = EC_POINT_point2oct(grp, q, POINT_CONVERSION_UNCOMPRESSED, pt, sizeof pt, bc);
    if (ptlen)
        k->key = ecp_pkey(k->xf->id, pt, ptlen, d);
    BN_clear_free(d);
    EC_POINT_free(q);
    EC_GROUP_free(grp);
    BN_CTX_free(bc);
    return k->key ? 0 : (ok ? KITE_E_CRYPTO : KITE_E_INVALID_ARG);
}

static int ecp_public(const struct ke *k, uint8_t *out, size_t len)
{
    uint8_t pt[1 + 2 * 66];
    size_t n = 0;
    if (EVP_PKEY_get_octet_string_param(k->key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt,
                                        sizeof pt, &n) != 1 ||
        n != len + 1 || pt[0] != POINT_CONVERSION_UNCOMPRESSED)
        return KITE_E_CRYPTO;
    memcpy(out, pt + 1, len); /* RFC 5903 7: x | y without the 0x04 */
    return 0;
}

static EVP_PKEY *ecp_peer(const struct ke *k, struct span peer)
{
    uint8_t pt[1 + 2 * 66];
    pt[0] = POINT_CONVERSION_UNCOMPRESSED;
    memcpy(pt + 1, peer.p, peer.n); /* length already checked */
    /* the import rejects points that are not on the curve */
    return ecp_pkey(k->xf->id, pt, peer.n + 1, NULL);
}

/* ---- X25519 / X448 --------------------------------------------------- */

static const char *xdh_name(uint16_t group)
{
    return group == KE_CURVE25519 ? "X25519" : "X448";
}

/* the index of a group in the per-group arrays below: 0 X25519, 1 X448 */
static size_t xdh_slot(uint16_t group)
{
    return group == KE_CURVE25519 ? 0 : 1;
}

/* X25519/X448 key pairs: a private value of random bytes (RFC 7748 5: any
 * string of the length; the scalar is clamped where it is used) from
 * crypto_random_private, imported through one context per group made at
 * the first use and kept.  OpenSSL's own keygen does the same work plus
 * a RAND_priv_bytes call per key (locking, a getpid() for fork detection,
 * a DRBG generate) and a keygen context's set-up; EVP_PKEY_Q_keygen also
 * fetched the key manager by name for every key, which perf showed as
 * half of ke_generate at a responder setting up thousands of IKE SAs.
 * kite is single-threaded (no lock); the contexts are reachable until
 * exit. */
static EVP_PKEY_CTX *xdh_ctx(EVP_PKEY_CTX *ctx[2], uint16_t group, int (*init)(EVP_PKEY_CTX *))
{
    size_t i = xdh_slot(group);
    if (!ctx[i]) {
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, xdh_name(group), NULL);
        if (!c || init(c) != 1) {
            EVP_PKEY_CTX_free(c);
            return NULL;
        }
        ctx[i] = c;
    }
    return ctx[i];
}

static size_t xdh_len(uint16_t group)
{
    return group == KE_CURVE25519 ? 32 : 56;
}

/* the key pair of a private value (the public value computed from it) */
static EVP_PKEY *xdh_from_private(uint16_t group, const uint8_t *priv, size_t n)
{
    static EVP_PKEY_CTX *ctx[2];
    if (n != xdh_len(group))
        return NULL;
    EVP_PKEY_CTX *c = xdh_ctx(ctx, group, EVP_PKEY_fromdata_init);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, (void *)priv, n),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY *key = NULL;
    return c && EVP_PKEY_fromdata(c, &key, EVP_PKEY_KEYPAIR, params) == 1 ? key : NULL;
}

static EVP_PKEY *xdh_generate(uint16_t group)
{
    uint8_t priv[56];
    size_t n = xdh_len(group);
    crypto_random_private(priv, n);
    EVP_PKEY *key = xdh_from_private(group, priv, n);
    mem_wipe(priv, sizeof priv);
    return key;
}

/* ---- common ---------------------------------------------------------- */

static int start(struct ke *k, uint16_t group)
{
    memset(k, 0, sizeof *k);
    k->xf = xf_lookup(XF_KE, group, 0);
    return k->xf && kind_of(group) != KIND_NONE ? 0 : KITE_E_UNSUPPORTED;
}

int ke_generate(struct ke *k, uint16_t group)
{
    int rc = start(k, group);
    if (rc)
        return rc;
    switch (kind_of(group)) {
    case KIND_MODP:
        return modp_generate(k);
    case KIND_ECP:
        k->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", ecp_name(group));
        break;
    default:
        k->key = xdh_generate(group);
        break;
    }
    return k->key ? 0 : KITE_E_CRYPTO;
}

int ke_from_private(struct ke *k, uint16_t group, struct span priv)
{
    int rc = start(k, group);
    if (rc)
        return rc;
    if (!priv.p || !priv.n || priv.n > 1024)
        return KITE_E_INVALID_ARG;
    switch (kind_of(group)) {
    case KIND_MODP:
        return modp_from_private(k, priv);
    case KIND_ECP:
        return ecp_from_private(k, priv);
    default:
        k->key = xdh_from_private(group, priv.p, priv.n);
        return k->key ? 0 : KITE_E_INVALID_ARG;
    }
}

void ke_free(struct ke *k)
{
    EVP_PKEY_free(k->key); /* OpenSSL clears private key material */
    k->key = NULL;
    k->xf = NULL;
}

size_t ke_public_len(const struct ke *k)
{
    return k->xf ? k->xf->out_len : 0;
}

int ke_public(const struct ke *k, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = ke_public_len(k);
    if (!k->key)
        return KITE_E_INVALID_ARG;
    if (cap < n)
        return KITE_E_NO_SPACE;
    int rc;
    switch (kind_of(k->xf->id)) {
    case KIND_MODP:
        rc = modp_public(k, out, n);
        break;
    case KIND_ECP:
        rc = ecp_public(k, out, n);
        break;
    default: {
        size_t got = n;
        rc = EVP_PKEY_get_raw_public_key(k->key, out, &got) == 1 && got == n ? 0
                                                                             : KITE_E_CRYPTO;
    }
    }
    if (!rc)
        *len = n;
    return rc;
}

/* a peer's X25519/X448 public value as a key: one key per group, made at the
 * first use and kept for the process, whose public value is replaced for
 * each exchange (EVP_PKEY_set1_encoded_public_key, as TLS 1.3 peers' shares
 * are set).  A new key per exchange (EVP_PKEY_fromdata) looks its type up
 * in OpenSSL's name map, a walk of the whole map that perf showed at a
 * responder setting up thousands of IKE SAs.  The key holds only a public
 * value; it is borrowed (not freed) by ke_shared and used before it returns.
 * kite is single-threaded (no lock); the keys are reachable until exit. */
static EVP_PKEY *xdh_peer(uint16_t group, struct span peer)
{
    static EVP_PKEY *shell[2];
    size_t i = xdh_slot(group);
    if (!shell[i])
        shell[i] = EVP_PKEY_new_raw_public_key_ex(NULL, xdh_name(group), NULL, peer.p, peer.n);
    else if (EVP_PKEY_set1_encoded_public_key(shell[i], peer.p, peer.n) != 1)
        return NULL;
    return shell[i];
}

/* the peer's public value as a key; *owned: whether the caller frees it */
static EVP_PKEY *peer_key(const struct ke *k, struct span peer, bool *owned)
{
    *owned = true;
    switch (kind_of(k->xf->id)) {
    case KIND_MODP:
        return modp_peer(k, peer);
    case KIND_ECP:
        return ecp_peer(k, peer);
    default:
        *owned = false;
        return xdh_peer(k->xf->id, peer);
    }
}

/* the secret's size: modulus length (MODP), field size (ECP), 32/56 (XDH) */
static size_t shared_len(const struct ke *k)
{
    return kind_of(k->xf->id) == KIND_ECP ? k->xf->out_len / 2 : k->xf->out_len;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* derive into out (n bytes), left-padding a shorter MODP result */
static int derive(EVP_PKEY *mine, EVP_PKEY *theirs, bool validate, uint8_t *out, size_t n)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, mine, NULL);
    size_t got = n;
    int rc = KITE_E_CRYPTO;
    if (c && EVP_PKEY_derive_init(c) == 1) {
        /* validate: OpenSSL's own public-key check on top of ours */
        rc = EVP_PKEY_derive_set_peer_ex(c, theirs, validate) == 1 ? 0 : KITE_E_BAD_PUBLIC_KEY;
        if (!rc)
            rc = EVP_PKEY_derive(c, out, &got) == 1 && got <= n ? 0 : KITE_E_BAD_PUBLIC_KEY;
    }
    if (!rc && got < n) {
        memmove(out + (n - got), out, got);
        memset(out, 0, n - got);
    }
    EVP_PKEY_CTX_free(c);
    return rc;
}

int ke_shared(const struct ke *k, struct span peer, struct secret *out)
{
    out->p = NULL;
    out->n = 0;
    if (!k->key)
        return KITE_E_INVALID_ARG;
    if (!peer.p || peer.n != ke_public_len(k))
        return KITE_E_BAD_PUBLIC_KEY;
    bool owned;
    EVP_PKEY *theirs = peer_key(k, peer, &owned);
    if (!theirs)
        return KITE_E_BAD_PUBLIC_KEY;
    int rc = secret_alloc(out, shared_len(k));
    if (!rc)
        /* XDH: every value of the right length is a u-coordinate (RFC 7748
         * 5), OpenSSL's check has nothing to find; the low-order ones give
         * the all-zero secret, refused below */
        rc = derive(k->key, theirs, kind_of(k->xf->id) != KIND_XDH, out->p, out->n);
    /* RFC 8031 2.3: a low-order point gives the all-zero value; refuse it */
    if (!rc && kind_of(k->xf->id) == KIND_XDH && all_zero(out->p, out->n))
        rc = KITE_E_BAD_PUBLIC_KEY;
    if (owned)
        EVP_PKEY_free(theirs);
    if (rc)
        secret_free(out);
    return rc;
}

int ke_check_public(uint16_t group, struct span peer)
{
    struct ke k = { .xf = xf_lookup(XF_KE, group, 0), .key = NULL };
    if (!k.xf || kind_of(group) == KIND_NONE)
        return KITE_E_UNSUPPORTED;
    if (peer.n != k.xf->out_len)
        return KITE_E_BAD_PUBLIC_KEY;
    /* RFC 7748 5: every string of the right length is a u-coordinate (a
     * low-order one is found by ke_shared's all-zero check): nothing more
     * to check, and no key to build for it */
    if (kind_of(group) == KIND_XDH)
        return 0;
    bool owned;
    EVP_PKEY *key = peer_key(&k, peer, &owned);
    if (!key)
        return KITE_E_BAD_PUBLIC_KEY;
    if (owned)
        EVP_PKEY_free(key);
    return 0;
}
