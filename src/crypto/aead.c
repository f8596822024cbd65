#include "crypto/aead.h"
#include "base/err.h"
#include "base/secret.h"
#include "crypto/fetch.h"
#include <limits.h>
#include <string.h>

static bool is_ccm(const struct xf_info *xf)
{
    return xf->id == ENCR_AES_CCM_8 || xf->id == ENCR_AES_CCM_12 || xf->id == ENCR_AES_CCM_16;
}

static const char *cipher_name(const struct xf_info *xf)
{
    static const char *const gcm[] = { "AES-128-GCM", "AES-192-GCM", "AES-256-GCM" };
    static const char *const ccm[] = { "AES-128-CCM", "AES-192-CCM", "AES-256-CCM" };
    if (xf->id == ENCR_CHACHA20_POLY1305)
        return "ChaCha20-Poly1305";
    if (xf->key_bits != 128 && xf->key_bits != 192 && xf->key_bits != 256)
        return NULL;
    return (is_ccm(xf) ? ccm : gcm)[(xf->key_bits - 128) / 64];
}

static size_t nonce_len(const struct aead *a)
{
    return a->xf->salt_len + AEAD_IV_LEN;
}

/* CCM (RFC 4309 4): an 11-byte nonce (3-byte salt | IV), so a 4-byte length
 * field, and the ICV length, both fixed before the key */
static int ccm_setup(struct aead *a, const EVP_CIPHER *cipher, struct span key)
{
    int enc = a->encrypt ? 1 : 0;
    if (EVP_CipherInit_ex2(a->ctx, cipher, NULL, NULL, enc, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_IVLEN, (int)nonce_len(a), NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_TAG, (int)a->xf->icv_len, NULL) != 1 ||
        EVP_CipherInit_ex2(a->ctx, NULL, key.p, NULL, enc, NULL) != 1)
        return KITE_E_CRYPTO;
    return 0;
}

/* GCM and ChaCha20-Poly1305: the default nonce length, 12 = salt | IV */
static int gcm_setup(struct aead *a, const EVP_CIPHER *cipher, struct span key)
{
    if (EVP_CipherInit_ex2(a->ctx, cipher, key.p, NULL, a->encrypt ? 1 : 0, NULL) != 1 ||
        EVP_CIPHER_CTX_get_iv_length(a->ctx) != AEAD_SALT_LEN + AEAD_IV_LEN)
        return KITE_E_CRYPTO;
    return 0;
}

/* a->ctx with the key scheduled; on failure a->ctx stays NULL */
static int make_ctx(struct aead *a, struct span key)
{
    /* fetched once per process (crypto/fetch.h); the context takes its own
     * reference */
    EVP_CIPHER *cipher = fetch_cipher(cipher_name(a->xf));
    a->ctx = cipher ? EVP_CIPHER_CTX_new() : NULL;
    if (a->ctx && (is_ccm(a->xf) ? ccm_setup(a, cipher, key) : gcm_setup(a, cipher, key)) == 0)
        return 0;
    EVP_CIPHER_CTX_free(a->ctx);
    a->ctx = NULL;
    return KITE_E_CRYPTO;
}

static int check(const struct xf_info *encr, struct span key)
{
    if (!encr || encr->type != XF_ENCR || !encr->aead || !cipher_name(encr))
        return KITE_E_UNSUPPORTED;
    if (key.n != encr->key_len || encr->salt_len > AEAD_SALT_LEN || encr->salt_len < 3)
        return KITE_E_INVALID_ARG;
    return 0;
}

/* what every mode sets: the transform, the direction and the salt */
static int start(struct aead *a, const struct xf_info *encr, struct span key, bool encrypt)
{
    memset(a, 0, sizeof *a);
    int rc = check(encr, key);
    if (rc)
        return rc;
    a->xf = encr;
    a->encrypt = encrypt;
    memcpy(a->salt, key.p + key.n - encr->salt_len, encr->salt_len);
    return 0;
}

int aead_init(struct aead *a, const struct xf_info *encr, struct span key, bool encrypt)
{
    int rc = start(a, encr, key, encrypt);
    if (!rc && (rc = make_ctx(a, key)))
        aead_free(a);
    return rc;
}

int aead_init_lazy(struct aead *a, const struct xf_info *encr, struct span key, bool encrypt)
{
    int rc = start(a, encr, key, encrypt);
    if (!rc && (rc = secret_from(&a->key, key.p, key.n)))
        aead_free(a);
    return rc;
}

int aead_init_deferred(struct aead *a, const struct xf_info *encr, struct span key, bool encrypt)
{
    int rc = start(a, encr, key, encrypt);
    /* a cipher this OpenSSL lacks is refused now, not at the first packet */
    if (!rc && !fetch_cipher(cipher_name(encr)))
        rc = KITE_E_CRYPTO;
    if (!rc)
        rc = secret_from(&a->key, key.p, key.n);
    if (rc)
        aead_free(a);
    else
        a->deferred = true;
    return rc;
}

int aead_prepare(struct aead *a)
{
    if (a->ctx)
        return 0;
    if (!a->deferred || !a->key.p)
        return KITE_E_INVALID_ARG;
    int rc = make_ctx(a, secret_span(&a->key));
    if (!rc)
        secret_free(&a->key); /* scheduled into the context: the copy goes */
    return rc;
}

void aead_free(struct aead *a)
{
    EVP_CIPHER_CTX_free(a->ctx);
    secret_free(&a->key);
    mem_wipe(a, sizeof *a);
}

size_t aead_icv_len(const struct aead *a)
{
    return a->xf ? a->xf->icv_len : 0;
}

/* set the nonce and feed the AAD: the common start of seal and open.  CCM
 * takes the tag to check (open) and the message length before the AAD. */
static int begin(const struct aead *a, const uint8_t *iv, struct span aad, size_t len,
                 const uint8_t *tag)
{
    uint8_t nonce[AEAD_SALT_LEN + AEAD_IV_LEN], t[AEAD_MAX_ICV];
    int outl;
    bool ccm = is_ccm(a->xf);
    if (!a->ctx || len > INT_MAX || aad.n > INT_MAX)
        return KITE_E_INVALID_ARG;
    memcpy(nonce, a->salt, a->xf->salt_len);
    memcpy(nonce + a->xf->salt_len, iv, AEAD_IV_LEN);
    if (EVP_CipherInit_ex2(a->ctx, NULL, NULL, nonce, -1, NULL) != 1)
        return KITE_E_CRYPTO;
    if (ccm && tag) {
        memcpy(t, tag, a->xf->icv_len); /* OpenSSL takes a non-const tag */
        if (EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_TAG, (int)a->xf->icv_len, t) != 1)
            return KITE_E_CRYPTO;
    }
    if (ccm && EVP_CipherUpdate(a->ctx, NULL, &outl, NULL, (int)len) != 1)
        return KITE_E_CRYPTO;
    if (aad.n && EVP_CipherUpdate(a->ctx, NULL, &outl, aad.p, (int)aad.n) != 1)
        return KITE_E_CRYPTO;
    return 0;
}

static int seal_ctx(const struct aead *a, const uint8_t iv[AEAD_IV_LEN], struct span aad,
                    const uint8_t *in, uint8_t *out, size_t len, uint8_t *tag)
{
    uint8_t none[AEAD_MAX_ICV]; /* Final writes nothing here; never NULL + n */
    int outl = 0, fin = 0;
    if (!a->encrypt)
        return KITE_E_INVALID_ARG;
    int rc = begin(a, iv, aad, len, NULL);
    if (rc)
        return rc;
    if ((len || is_ccm(a->xf)) && EVP_CipherUpdate(a->ctx, out ? out : none, &outl, in ? in : none, (int)len) != 1)
        return KITE_E_CRYPTO;
    if (EVP_CipherFinal_ex(a->ctx, out ? out + outl : none, &fin) != 1 || (size_t)(outl + fin) != len)
        return KITE_E_CRYPTO;
    /* GCM returns a truncated tag for ICV 8/12 (RFC 4106 2) */
    if (EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_GET_TAG, (int)a->xf->icv_len, tag) != 1)
        return KITE_E_CRYPTO;
    return 0;
}

static int ccm_open(const struct aead *a, const uint8_t *in, uint8_t *out, size_t len)
{
    uint8_t none[AEAD_MAX_ICV];
    int outl = 0;
    if (EVP_CipherUpdate(a->ctx, out ? out : none, &outl, in ? in : none, (int)len) == 1)
        return 0;
    if (len && out)
        mem_wipe(out, len);
    return KITE_E_INTEGRITY;
}

static int open_ctx(const struct aead *a, const uint8_t iv[AEAD_IV_LEN], struct span aad,
                    const uint8_t *in, uint8_t *out, size_t len, const uint8_t *tag)
{
    uint8_t t[AEAD_MAX_ICV], none[AEAD_MAX_ICV];
    int outl = 0, fin = 0;
    if (a->encrypt)
        return KITE_E_INVALID_ARG;
    int rc = begin(a, iv, aad, len, tag);
    if (rc)
        return rc;
    if (is_ccm(a->xf)) /* CCM checks the tag in its one Update (constant time) */
        return ccm_open(a, in, out, len);
    memcpy(t, tag, a->xf->icv_len); /* OpenSSL takes a non-const tag */
    if (EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_TAG, (int)a->xf->icv_len, t) != 1)
        return KITE_E_CRYPTO;
    if (len && EVP_CipherUpdate(a->ctx, out, &outl, in, (int)len) != 1)
        return KITE_E_CRYPTO;
    /* Final compares the tag (CRYPTO_memcmp) */
    if (EVP_CipherFinal_ex(a->ctx, out ? out + outl : none, &fin) != 1) {
        if (len)
            mem_wipe(out, len);
        return KITE_E_INTEGRITY;
    }
    return 0;
}

/* a lazy key (aead_init_lazy) in a context of its own for one call; a
 * deferred one not yet prepared is refused: scheduling its key per packet
 * would halve the data plane's speed without a word */
static int lazy_ctx(const struct aead *a, struct aead *tmp)
{
    if (a->deferred)
        return KITE_E_STATE;
    if (!a->key.p)
        return KITE_E_INVALID_ARG; /* neither prepared nor lazy */
    return aead_init(tmp, a->xf, secret_span(&a->key), a->encrypt) ? KITE_E_CRYPTO : 0;
}

int aead_seal(const struct aead *a, const uint8_t iv[AEAD_IV_LEN], struct span aad,
              const uint8_t *in, uint8_t *out, size_t len, uint8_t *tag)
{
    if (a->ctx)
        return seal_ctx(a, iv, aad, in, out, len, tag);
    struct aead tmp;
    int rc = lazy_ctx(a, &tmp);
    if (rc)
        return rc;
    rc = seal_ctx(&tmp, iv, aad, in, out, len, tag);
    aead_free(&tmp);
    return rc;
}

int aead_open(const struct aead *a, const uint8_t iv[AEAD_IV_LEN], struct span aad,
              const uint8_t *in, uint8_t *out, size_t len, const uint8_t *tag)
{
    if (a->ctx)
        return open_ctx(a, iv, aad, in, out, len, tag);
    struct aead tmp;
    int rc = lazy_ctx(a, &tmp);
    if (rc)
        return rc;
    rc = open_ctx(&tmp, iv, aad, in, out, len, tag);
    aead_free(&tmp);
    return rc;
}
