#include "crypto/hash.h"
#include <openssl/evp.h>
#include "base/err.h"

int hash_sha1(const struct span *parts, size_t n, uint8_t out[HASH_SHA1_LEN])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned len = 0;
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = EVP_DigestUpdate(ctx, parts[i].p, parts[i].n) == 1;
    ok = ok && EVP_DigestFinal_ex(ctx, out, &len) == 1 && len == HASH_SHA1_LEN;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : KITE_E_CRYPTO;
}
