#include "crypto/aead.h"
#include "base/err.h"
#include "base/secret.h"
#include <limits.h>
#include <string.h>

static const char *cipher_name(const struct xf_info *xf)
{
    if (xf->id == ENCR_CHACHA20_POLY1305)
        return "ChaCha20-Poly1305";
    switch (xf->key_bits) {
    case 128: return "AES-128-GCM";
    case 192: return "AES-192-GCM";
    case 256: return "AES-256-GCM";
    }
    return NULL;
}

int aead_init(struct aead *a, const struct xf_info *encr, struct span key, bool encrypt)
{
    memset(a, 0, sizeof *a);
    if (!encr || encr->type != XF_ENCR || !encr->aead || !cipher_name(encr))
        return KITE_E_UNSUPPORTED;
    if (key.n != encr->key_len || encr->salt_len != AEAD_SALT_LEN)
        return KITE_E_INVALID_ARG;
    a->xf = encr;
    a->encrypt = encrypt;
    memcpy(a->salt, key.p + key.n - AEAD_SALT_LEN, AEAD_SALT_LEN);
    a->cipher = EVP_CIPHER_fetch(NULL, cipher_name(encr), NULL);
    a->ctx = EVP_CIPHER_CTX_new();
    /* the default nonce length of both ciphers is 12 = salt | IV */
    if (a->cipher && a->ctx &&
        EVP_CipherInit_ex2(a->ctx, a->cipher, key.p, NULL, encrypt ? 1 : 0, NULL) == 1 &&
        EVP_CIPHER_CTX_get_iv_length(a->ctx) == AEAD_SALT_LEN + AEAD_IV_LEN)
        return 0;
    aead_free(a);
    return KITE_E_CRYPTO;
}

void aead_free(struct aead *a)
{
    EVP_CIPHER_CTX_free(a->ctx);
    EVP_CIPHER_free(a->cipher);
    mem_wipe(a, sizeof *a);
}

size_t aead_icv_len(const struct aead *a)
{
    return a->xf ? a->xf->icv_len : 0;
}

/* set the nonce and feed the AAD: the common start of seal and open */
static int begin(const struct aead *a, const uint8_t *iv, struct span aad, size_t len)
{
    uint8_t nonce[AEAD_SALT_LEN + AEAD_IV_LEN];
    int outl;
    if (!a->ctx || len > INT_MAX || aad.n > INT_MAX)
        return KITE_E_INVALID_ARG;
    memcpy(nonce, a->salt, AEAD_SALT_LEN);
    memcpy(nonce + AEAD_SALT_LEN, iv, AEAD_IV_LEN);
    if (EVP_CipherInit_ex2(a->ctx, NULL, NULL, nonce, -1, NULL) != 1)
        return KITE_E_CRYPTO;
    if (aad.n && EVP_CipherUpdate(a->ctx, NULL, &outl, aad.p, (int)aad.n) != 1)
        return KITE_E_CRYPTO;
    return 0;
}

int aead_seal(const struct aead *a, const uint8_t iv[AEAD_IV_LEN], struct span aad,
              const uint8_t *in, uint8_t *out, size_t len, uint8_t *tag)
{
    uint8_t none[AEAD_MAX_ICV]; /* Final writes nothing here; never NULL + n */
    int outl = 0, fin = 0;
    if (!a->encrypt)
        return KITE_E_INVALID_ARG;
    int rc = begin(a, iv, aad, len);
    if (rc)
        return rc;
    if (len && EVP_CipherUpdate(a->ctx, out, &outl, in, (int)len) != 1)
        return KITE_E_CRYPTO;
    if (EVP_CipherFinal_ex(a->ctx, out ? out + outl : none, &fin) != 1 || (size_t)(outl + fin) != len)
        return KITE_E_CRYPTO;
    /* GCM returns a truncated tag for ICV 8/12 (RFC 4106 2) */
    if (EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_GET_TAG, (int)a->xf->icv_len, tag) != 1)
        return KITE_E_CRYPTO;
    return 0;
}

int aead_open(const struct aead *a, const uint8_t iv[AEAD_IV_LEN], struct span aad,
              const uint8_t *in, uint8_t *out, size_t len, const uint8_t *tag)
{
    uint8_t t[AEAD_MAX_ICV], none[AEAD_MAX_ICV];
    int outl = 0, fin = 0;
    if (a->encrypt)
        return KITE_E_INVALID_ARG;
    int rc = begin(a, iv, aad, len);
    if (rc)
        return rc;
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
