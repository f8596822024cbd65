#include "crypto/cbc.h"
#include "base/err.h"
#include "base/secret.h"
#include <limits.h>
#include <string.h>

static const char *cipher_name(const struct xf_info *xf)
{
    if (xf->id == ENCR_3DES)
        return "DES-EDE3-CBC";
    if (xf->id != ENCR_AES_CBC)
        return NULL;
    switch (xf->key_bits) {
    case 128: return "AES-128-CBC";
    case 192: return "AES-192-CBC";
    case 256: return "AES-256-CBC";
    }
    return NULL;
}

int cbc_init(struct cbc *c, const struct xf_info *encr, struct span key, bool encrypt)
{
    memset(c, 0, sizeof *c);
    if (!encr || encr->type != XF_ENCR || !cipher_name(encr))
        return KITE_E_UNSUPPORTED;
    if (key.n != encr->key_len)
        return KITE_E_INVALID_ARG;
    c->xf = encr;
    c->encrypt = encrypt;
    c->cipher = EVP_CIPHER_fetch(NULL, cipher_name(encr), NULL);
    c->ctx = EVP_CIPHER_CTX_new();
    if (c->cipher && c->ctx &&
        EVP_CipherInit_ex2(c->ctx, c->cipher, key.p, NULL, encrypt ? 1 : 0, NULL) == 1 &&
        EVP_CIPHER_CTX_set_padding(c->ctx, 0) == 1)
        return 0;
    cbc_free(c);
    return KITE_E_CRYPTO;
}

void cbc_free(struct cbc *c)
{
    EVP_CIPHER_CTX_free(c->ctx);
    EVP_CIPHER_free(c->cipher);
    mem_wipe(c, sizeof *c);
}

int cbc_run(const struct cbc *c, const uint8_t *iv, const uint8_t *in, uint8_t *out,
            size_t len)
{
    int outl = 0, fin = 0;
    uint8_t none[32];
    if (!c->ctx || len % c->xf->block_len || len > INT_MAX)
        return KITE_E_INVALID_ARG;
    if (EVP_CipherInit_ex2(c->ctx, NULL, NULL, iv, -1, NULL) != 1)
        return KITE_E_CRYPTO;
    if (len && EVP_CipherUpdate(c->ctx, out, &outl, in, (int)len) != 1)
        return KITE_E_CRYPTO;
    if (EVP_CipherFinal_ex(c->ctx, len ? out + outl : none, &fin) != 1 ||
        (size_t)(outl + fin) != len)
        return KITE_E_CRYPTO;
    return 0;
}
