#include "crypto/cbc.h"
#include "base/err.h"
#include "base/secret.h"
#include "crypto/fetch.h"
#include <limits.h>
#include <string.h>

static bool is_ctr(const struct xf_info *xf)
{
    return xf->id == ENCR_AES_CTR || xf->id == ENCR_CAMELLIA_CTR;
}

static const char *cipher_name(const struct xf_info *xf)
{
    static const struct {
        uint16_t id;
        const char *name[3]; /* 128, 192, 256 bits */
    } map[] = {
        { ENCR_AES_CBC, { "AES-128-CBC", "AES-192-CBC", "AES-256-CBC" } },
        { ENCR_CAMELLIA_CBC, { "CAMELLIA-128-CBC", "CAMELLIA-192-CBC", "CAMELLIA-256-CBC" } },
        { ENCR_AES_CTR, { "AES-128-CTR", "AES-192-CTR", "AES-256-CTR" } },
        { ENCR_CAMELLIA_CTR, { "CAMELLIA-128-CTR", "CAMELLIA-192-CTR", "CAMELLIA-256-CTR" } },
    };
    if (xf->id == ENCR_3DES)
        return "DES-EDE3-CBC";
    if (xf->key_bits != 128 && xf->key_bits != 192 && xf->key_bits != 256)
        return NULL;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].id == xf->id)
            return map[i].name[(xf->key_bits - 128) / 64];
    return NULL;
}

int cbc_check(const struct xf_info *encr, struct span key)
{
    if (encr && encr->type == XF_ENCR && encr->id == ENCR_NULL)
        return key.n ? KITE_E_INVALID_ARG : 0;
    if (!encr || encr->type != XF_ENCR || !cipher_name(encr))
        return KITE_E_UNSUPPORTED;
    if (key.n != encr->key_len || (is_ctr(encr) && encr->salt_len != CBC_CTR_NONCE))
        return KITE_E_INVALID_ARG;
    /* fetched once per process (crypto/fetch.h): a cipher this OpenSSL
     * lacks is refused here */
    return fetch_cipher(cipher_name(encr)) ? 0 : KITE_E_CRYPTO;
}

int cbc_init(struct cbc *c, const struct xf_info *encr, struct span key, bool encrypt)
{
    memset(c, 0, sizeof *c);
    int rc = cbc_check(encr, key);
    if (rc)
        return rc;
    c->xf = encr;
    c->encrypt = encrypt;
    if (encr->id == ENCR_NULL) /* RFC 2410: no key, no IV, the identity; nothing to free */
        return 0;
    if (is_ctr(encr)) /* RFC 3686 5.1: the last 4 bytes of the key are the nonce */
        memcpy(c->nonce, key.p + key.n - CBC_CTR_NONCE, CBC_CTR_NONCE);
    /* the context takes its own reference to the cached cipher */
    c->ctx = EVP_CIPHER_CTX_new();
    if (c->ctx &&
        EVP_CipherInit_ex2(c->ctx, fetch_cipher(cipher_name(encr)), key.p, NULL, encrypt ? 1 : 0, NULL) == 1 &&
        EVP_CIPHER_CTX_set_padding(c->ctx, 0) == 1)
        return 0;
    cbc_free(c);
    return KITE_E_CRYPTO;
}

void cbc_free(struct cbc *c)
{
    EVP_CIPHER_CTX_free(c->ctx);
    mem_wipe(c, sizeof *c);
}

/* RFC 3686 4 / RFC 5528 3.1: counter block = nonce | IV | block counter 1 */
static void counter_block(const struct cbc *c, const uint8_t *iv, uint8_t block[16])
{
    memcpy(block, c->nonce, CBC_CTR_NONCE);
    memcpy(block + CBC_CTR_NONCE, iv, 8);
    block[12] = block[13] = block[14] = 0;
    block[15] = 1;
}

int cbc_run(const struct cbc *c, const uint8_t *iv, const uint8_t *in, uint8_t *out,
            size_t len)
{
    int outl = 0, fin = 0;
    uint8_t none[32], ctr[16];
    if (c->xf && c->xf->id == ENCR_NULL) {
        if (len && in != out)
            memmove(out, in, len);
        return 0;
    }
    if (!c->ctx || len % c->xf->block_len || len > INT_MAX)
        return KITE_E_INVALID_ARG;
    if (is_ctr(c->xf)) {
        counter_block(c, iv, ctr);
        iv = ctr;
    }
    if (EVP_CipherInit_ex2(c->ctx, NULL, NULL, iv, -1, NULL) != 1)
        return KITE_E_CRYPTO;
    if (len && EVP_CipherUpdate(c->ctx, out, &outl, in, (int)len) != 1)
        return KITE_E_CRYPTO;
    if (EVP_CipherFinal_ex(c->ctx, len ? out + outl : none, &fin) != 1 ||
        (size_t)(outl + fin) != len)
        return KITE_E_CRYPTO;
    return 0;
}
