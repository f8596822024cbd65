#include "crypto/hash.h"
#include <openssl/evp.h>
#include "base/err.h"

/* SHA-1 fetched once and kept (EVP_sha1() fetches it on each init); kite
 * is single-threaded */
static const EVP_MD *sha1(void)
{
    static EVP_MD *md;
    if (!md)
        md = EVP_MD_fetch(NULL, "SHA1", NULL);
    return md;
}

int hash_sha1(const struct span *parts, size_t n, uint8_t out[HASH_SHA1_LEN])
{
    const EVP_MD *md = sha1();
    EVP_MD_CTX *ctx = md ? EVP_MD_CTX_new() : NULL;
    unsigned len = 0;
    int ok = ctx && EVP_DigestInit_ex(ctx, md, NULL) == 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = EVP_DigestUpdate(ctx, parts[i].p, parts[i].n) == 1;
    ok = ok && EVP_DigestFinal_ex(ctx, out, &len) == 1 && len == HASH_SHA1_LEN;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : KITE_E_CRYPTO;
}
