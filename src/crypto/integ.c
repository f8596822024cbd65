#include "crypto/integ.h"
#include "base/err.h"
#include "base/secret.h"
#include "crypto/fetch.h"
#include <openssl/core_names.h>
#include <string.h>

static const char *hmac_digest(uint16_t id)
{
    switch (id) {
    case AUTH_HMAC_SHA2_256_128: return "SHA2-256";
    case AUTH_HMAC_SHA2_384_192: return "SHA2-384";
    case AUTH_HMAC_SHA2_512_256: return "SHA2-512";
    case AUTH_HMAC_SHA1_96: return "SHA1";
    case AUTH_HMAC_MD5_96: return "MD5";
    }
    return NULL;
}

/* HMAC with its digest, or AES-CMAC (RFC 4494) over AES-128 */
static int init_hmac(struct integ *g, struct span key)
{
    bool cmac = g->xf->id == AUTH_AES_CMAC_96;
    OSSL_PARAM params[] = {
        cmac ? OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)"AES-128-CBC", 0)
             : OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)hmac_digest(g->xf->id), 0),
        OSSL_PARAM_construct_end(),
    };
    /* fetched once per process (crypto/fetch.h); the context takes its
     * own reference */
    EVP_MAC *mac = fetch_mac(cmac ? OSSL_MAC_NAME_CMAC : OSSL_MAC_NAME_HMAC);
    g->ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    return g->ctx && EVP_MAC_init(g->ctx, key.p, key.n, params) == 1 ? 0 : KITE_E_CRYPTO;
}

static bool known(const struct xf_info *integ)
{
    return integ && integ->type == XF_INTEG &&
           (integ->id == AUTH_AES_XCBC_96 || integ->id == AUTH_AES_CMAC_96 || hmac_digest(integ->id));
}

int integ_check(const struct xf_info *integ, struct span key)
{
    if (!known(integ))
        return KITE_E_UNSUPPORTED;
    if (key.n != integ->key_len)
        return KITE_E_INVALID_ARG;
    bool mac = integ->id != AUTH_AES_XCBC_96, cmac = integ->id == AUTH_AES_CMAC_96;
    if (mac ? !fetch_mac(cmac ? OSSL_MAC_NAME_CMAC : OSSL_MAC_NAME_HMAC) : !fetch_cipher("AES-128-ECB"))
        return KITE_E_CRYPTO;
    return 0;
}

int integ_init(struct integ *g, const struct xf_info *integ, struct span key)
{
    memset(g, 0, sizeof *g);
    int rc = integ_check(integ, key);
    if (rc)
        return rc;
    g->xf = integ;
    if (integ->id == AUTH_AES_XCBC_96)
        rc = xcbc_init(&g->x, fetch_cipher("AES-128-ECB"), key.p);
    else
        rc = init_hmac(g, key);
    if (rc)
        integ_free(g);
    return rc;
}

void integ_free(struct integ *g)
{
    EVP_MAC_CTX_free(g->ctx);
    if (g->x.k1)
        xcbc_free(&g->x);
    mem_wipe(g, sizeof *g);
}

size_t integ_icv_len(const struct integ *g)
{
    return g->xf ? g->xf->icv_len : 0;
}

static int full_mac(const struct integ *g, const struct span *parts, size_t n,
                    uint8_t mac[INTEG_MAX_MAC])
{
    size_t outl = 0;
    if (!g->xf)
        return KITE_E_INVALID_ARG;
    if (g->x.k1)
        return xcbc_mac(&g->x, parts, n, mac);
    /* a NULL key re-initialises HMAC and CMAC with the key already set */
    if (EVP_MAC_init(g->ctx, NULL, 0, NULL) != 1)
        return KITE_E_CRYPTO;
    for (size_t i = 0; i < n; i++)
        if (parts[i].n && EVP_MAC_update(g->ctx, parts[i].p, parts[i].n) != 1)
            return KITE_E_CRYPTO;
    return EVP_MAC_final(g->ctx, mac, &outl, INTEG_MAX_MAC) == 1 ? 0 : KITE_E_CRYPTO;
}

int integ_compute(const struct integ *g, const struct span *parts, size_t n, uint8_t *icv)
{
    uint8_t mac[INTEG_MAX_MAC];
    int rc = full_mac(g, parts, n, mac);
    if (!rc)
        memcpy(icv, mac, g->xf->icv_len); /* RFC 4868 2.1.1: leftmost bits */
    mem_wipe(mac, sizeof mac);
    return rc;
}

int integ_verify(const struct integ *g, const struct span *parts, size_t n, const uint8_t *icv)
{
    uint8_t mac[INTEG_MAX_MAC];
    int rc = full_mac(g, parts, n, mac);
    if (!rc && !ct_equal(mac, icv, g->xf->icv_len))
        rc = KITE_E_INTEGRITY;
    mem_wipe(mac, sizeof mac);
    return rc;
}
