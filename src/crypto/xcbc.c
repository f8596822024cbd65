#include "crypto/xcbc.h"
#include "base/err.h"
#include "base/secret.h"
#include <string.h>

static int ecb_block(EVP_CIPHER_CTX *c, const uint8_t in[XCBC_BLOCK], uint8_t out[XCBC_BLOCK])
{
    int len = 0;
    return EVP_EncryptUpdate(c, out, &len, in, XCBC_BLOCK) == 1 && len == XCBC_BLOCK
               ? 0 : KITE_E_CRYPTO;
}

static EVP_CIPHER_CTX *ecb_ctx(EVP_CIPHER *aes, const uint8_t *key)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (c && EVP_EncryptInit_ex2(c, aes, key, NULL, NULL) == 1 &&
        EVP_CIPHER_CTX_set_padding(c, 0) == 1)
        return c;
    EVP_CIPHER_CTX_free(c);
    return NULL;
}

int xcbc_init(struct xcbc *x, EVP_CIPHER *aes, const uint8_t key[XCBC_BLOCK])
{
    uint8_t konst[XCBC_BLOCK], k1[XCBC_BLOCK];
    int rc = KITE_E_CRYPTO;
    memset(x, 0, sizeof *x);
    EVP_CIPHER_CTX *k = ecb_ctx(aes, key);
    if (!k)
        return KITE_E_CRYPTO;
    /* K1 = E(K, 0x01..), K2 = E(K, 0x02..), K3 = E(K, 0x03..) */
    memset(konst, 0x01, sizeof konst);
    if (ecb_block(k, konst, k1))
        goto out;
    memset(konst, 0x02, sizeof konst);
    if (ecb_block(k, konst, x->k2))
        goto out;
    memset(konst, 0x03, sizeof konst);
    if (ecb_block(k, konst, x->k3))
        goto out;
    x->k1 = ecb_ctx(aes, k1);
    rc = x->k1 ? 0 : KITE_E_CRYPTO;
out:
    mem_wipe(k1, sizeof k1);
    EVP_CIPHER_CTX_free(k);
    if (rc)
        xcbc_free(x);
    return rc;
}

/* E = E(K1, block ^ E) for every block but the last (RFC 3566 2.4) */
static int absorb(const struct xcbc *x, uint8_t e[XCBC_BLOCK], const uint8_t blk[XCBC_BLOCK])
{
    uint8_t t[XCBC_BLOCK];
    for (int i = 0; i < XCBC_BLOCK; i++)
        t[i] = (uint8_t)(e[i] ^ blk[i]);
    return ecb_block(x->k1, t, e);
}

int xcbc_mac(const struct xcbc *x, const struct span *parts, size_t n, uint8_t out[XCBC_BLOCK])
{
    uint8_t e[XCBC_BLOCK] = { 0 }, buf[XCBC_BLOCK];
    size_t have = 0;
    int rc = 0;
    /* keep the last (possibly full) block buffered until the input ends */
    for (size_t i = 0; i < n && !rc; i++) {
        for (size_t off = 0; off < parts[i].n && !rc;) {
            if (have == XCBC_BLOCK) {
                rc = absorb(x, e, buf);
                have = 0;
            }
            size_t take = parts[i].n - off;
            if (take > XCBC_BLOCK - have)
                take = XCBC_BLOCK - have;
            memcpy(buf + have, parts[i].p + off, take);
            have += take;
            off += take;
        }
    }
    if (rc)
        return rc;
    /* last block: full -> xor K2; partial/empty -> pad 0x80 00.. and xor K3 */
    const uint8_t *kx = x->k2;
    if (have < XCBC_BLOCK) {
        buf[have] = 0x80;
        memset(buf + have + 1, 0, XCBC_BLOCK - have - 1);
        kx = x->k3;
    }
    for (int i = 0; i < XCBC_BLOCK; i++)
        buf[i] ^= kx[i];
    rc = absorb(x, e, buf);
    if (!rc)
        memcpy(out, e, XCBC_BLOCK);
    mem_wipe(e, sizeof e);
    mem_wipe(buf, sizeof buf);
    return rc;
}

void xcbc_free(struct xcbc *x)
{
    EVP_CIPHER_CTX_free(x->k1);
    mem_wipe(x, sizeof *x);
}
