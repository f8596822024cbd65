#include "crypto/mschap.h"
#include "base/err.h"
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <string.h>

/* MD4 and DES come from the legacy provider, in a library context only this
 * file uses (made once, never freed: providers live as long as the process) */
static OSSL_LIB_CTX *legacy_ctx(void)
{
    static OSSL_LIB_CTX *ctx;
    static int failed;
    if (ctx || failed)
        return ctx;
    OSSL_LIB_CTX *c = OSSL_LIB_CTX_new();
    if (c && OSSL_PROVIDER_load(c, "legacy") && OSSL_PROVIDER_load(c, "default")) {
        ctx = c;
        return ctx;
    }
    OSSL_LIB_CTX_free(c);
    failed = 1;
    return NULL;
}

typedef struct { const void *p; size_t n; } part;

static int digest(const char *name, OSSL_LIB_CTX *lib, const part *parts, size_t n, uint8_t *out)
{
    EVP_MD *md = EVP_MD_fetch(lib, name, NULL);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = md && c && EVP_DigestInit_ex2(c, md, NULL);
    for (size_t i = 0; ok && i < n; i++)
        ok = EVP_DigestUpdate(c, parts[i].p, parts[i].n);
    ok = ok && EVP_DigestFinal_ex(c, out, NULL);
    EVP_MD_CTX_free(c);
    EVP_MD_free(md);
    return ok ? 0 : KITE_E_CRYPTO;
}

static int md4(const part *parts, size_t n, uint8_t out[MSCHAP_HASH_LEN])
{
    OSSL_LIB_CTX *lib = legacy_ctx();
    return lib ? digest("MD4", lib, parts, n, out) : KITE_E_CRYPTO;
}

static int sha1(const part *parts, size_t n, uint8_t out[20])
{
    return digest("SHA1", NULL, parts, n, out);
}

/* one UTF-8 sequence at s[*i] → a code point, or -1 */
static long utf8_next(const unsigned char *s, size_t len, size_t *i)
{
    unsigned char c = s[(*i)++];
    if (c < 0x80)
        return c;
    int more = c >= 0xf0 && c < 0xf5 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 && c < 0xe0 ? 1 : -1;
    if (more < 0 || *i + (size_t)more > len)
        return -1;
    long cp = c & (0x3f >> more);
    for (int k = 0; k < more; k++) {
        if ((s[*i] & 0xc0) != 0x80)
            return -1;
        cp = cp << 6 | (s[(*i)++] & 0x3f);
    }
    static const long min[] = { 0, 0x80, 0x800, 0x10000 };
    return cp < min[more] || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000) ? -1 : cp;
}

int mschap_nt_hash(const char *password, size_t len, uint8_t out[MSCHAP_HASH_LEN])
{
    uint8_t u16[MSCHAP_PASSWORD_MAX * 2];
    size_t n = 0, i = 0;
    while (i < len) {
        long cp = utf8_next((const unsigned char *)password, len, &i);
        size_t units = cp >= 0x10000 ? 2 : 1;
        if (cp < 0 || n + units * 2 > sizeof u16) {
            memset(u16, 0, sizeof u16);
            return KITE_E_INVALID_ARG;
        }
        if (units == 2) {
            long v = cp - 0x10000;
            u16[n++] = (uint8_t)(0xd800 | v >> 10), u16[n++] = (uint8_t)((0xd800 | v >> 10) >> 8);
            cp = 0xdc00 | (v & 0x3ff);
        }
        u16[n++] = (uint8_t)cp, u16[n++] = (uint8_t)(cp >> 8);
    }
    part p = { u16, n };
    int rc = md4(&p, 1, out);
    OPENSSL_cleanse(u16, sizeof u16);
    return rc;
}

/* RFC 2759 8.2 ChallengeHash */
static int challenge_hash(const uint8_t peer[MSCHAP_CHALLENGE_LEN], const uint8_t auth[MSCHAP_CHALLENGE_LEN],
                          const char *user, size_t user_len, uint8_t out[8])
{
    uint8_t d[20];
    part p[] = { { peer, MSCHAP_CHALLENGE_LEN }, { auth, MSCHAP_CHALLENGE_LEN }, { user, user_len } };
    int rc = sha1(p, 3, d);
    memcpy(out, d, 8);
    return rc;
}

/* 7 key bytes → a DES key of 8 with the parity bits (RFC 2759 8.6's
 * DesEncrypt: the low bit of each byte is parity, ignored by DES) */
static void des_key_expand(const uint8_t in[7], uint8_t out[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 7; i++)
        v = v << 8 | in[i];
    for (int i = 0; i < 8; i++) {
        uint8_t b = (uint8_t)((v >> (49 - 7 * i)) & 0x7f) << 1;
        out[i] = b | !(__builtin_popcount(b) & 1);
    }
}

static int des_block(const uint8_t key7[7], const uint8_t in[8], uint8_t out[8])
{
    OSSL_LIB_CTX *lib = legacy_ctx();
    EVP_CIPHER *des = lib ? EVP_CIPHER_fetch(lib, "DES-ECB", NULL) : NULL;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    uint8_t key[8];
    int n = 0, ok;
    des_key_expand(key7, key);
    ok = des && c && EVP_EncryptInit_ex2(c, des, key, NULL, NULL) && EVP_CIPHER_CTX_set_padding(c, 0) &&
         EVP_EncryptUpdate(c, out, &n, in, 8) && n == 8;
    OPENSSL_cleanse(key, sizeof key);
    EVP_CIPHER_CTX_free(c);
    EVP_CIPHER_free(des);
    return ok ? 0 : KITE_E_CRYPTO;
}

int mschap_nt_response(const uint8_t auth_challenge[MSCHAP_CHALLENGE_LEN],
                       const uint8_t peer_challenge[MSCHAP_CHALLENGE_LEN], const char *user, size_t user_len,
                       const uint8_t nt_hash[MSCHAP_HASH_LEN], uint8_t out[MSCHAP_NT_RESPONSE_LEN])
{
    uint8_t ch[8], z[21] = { 0 };
    int rc = challenge_hash(peer_challenge, auth_challenge, user, user_len, ch);
    memcpy(z, nt_hash, MSCHAP_HASH_LEN);
    /* RFC 2759 8.5 ChallengeResponse: three DES blocks under the hash padded to 21 */
    for (int i = 0; !rc && i < 3; i++)
        rc = des_block(z + 7 * i, ch, out + 8 * i);
    OPENSSL_cleanse(z, sizeof z);
    return rc;
}

static const char MAGIC_SIGN[] = "Magic server to client signing constant";
static const char MAGIC_PAD[] = "Pad to make it do more than one iteration";

int mschap_auth_response(const uint8_t nt_hash[MSCHAP_HASH_LEN], const uint8_t nt_response[MSCHAP_NT_RESPONSE_LEN],
                         const uint8_t peer_challenge[MSCHAP_CHALLENGE_LEN],
                         const uint8_t auth_challenge[MSCHAP_CHALLENGE_LEN], const char *user, size_t user_len,
                         char out[MSCHAP_AUTH_RESPONSE_LEN])
{
    uint8_t hh[MSCHAP_HASH_LEN], d[20], ch[8];
    part h = { nt_hash, MSCHAP_HASH_LEN };
    int rc = md4(&h, 1, hh);
    part p1[] = { { hh, sizeof hh }, { nt_response, MSCHAP_NT_RESPONSE_LEN }, { MAGIC_SIGN, sizeof MAGIC_SIGN - 1 } };
    if (!rc)
        rc = sha1(p1, 3, d);
    if (!rc)
        rc = challenge_hash(peer_challenge, auth_challenge, user, user_len, ch);
    part p2[] = { { d, sizeof d }, { ch, sizeof ch }, { MAGIC_PAD, sizeof MAGIC_PAD - 1 } };
    if (!rc)
        rc = sha1(p2, 3, d);
    static const char hex[] = "0123456789ABCDEF";
    out[0] = 'S', out[1] = '=';
    for (int i = 0; i < 20; i++)
        out[2 + 2 * i] = hex[d[i] >> 4], out[3 + 2 * i] = hex[d[i] & 15];
    OPENSSL_cleanse(hh, sizeof hh);
    return rc;
}

/* RFC 3079 3.4 */
static const char MAGIC_MASTER[] = "This is the MPPE Master Key";
static const char MAGIC_CLIENT_SEND[] =
    "On the client side, this is the send key; on the server side, it is the receive key.";
static const char MAGIC_CLIENT_RECV[] =
    "On the client side, this is the receive key; on the server side, it is the send key.";

static int start_key(const uint8_t master[16], const char *magic, uint8_t out[16])
{
    uint8_t pad1[40], pad2[40], d[20];
    memset(pad1, 0, sizeof pad1), memset(pad2, 0xf2, sizeof pad2);
    part p[] = { { master, 16 }, { pad1, 40 }, { magic, strlen(magic) }, { pad2, 40 } };
    int rc = sha1(p, 4, d);
    memcpy(out, d, 16);
    OPENSSL_cleanse(d, sizeof d);
    return rc;
}

int mschap_msk(const uint8_t nt_hash[MSCHAP_HASH_LEN], const uint8_t nt_response[MSCHAP_NT_RESPONSE_LEN],
               uint8_t out[MSCHAP_MSK_LEN])
{
    uint8_t hh[MSCHAP_HASH_LEN], d[20];
    part h = { nt_hash, MSCHAP_HASH_LEN };
    int rc = md4(&h, 1, hh);
    part p[] = { { hh, sizeof hh }, { nt_response, MSCHAP_NT_RESPONSE_LEN }, { MAGIC_MASTER, sizeof MAGIC_MASTER - 1 } };
    if (!rc)
        rc = sha1(p, 3, d);
    memset(out, 0, MSCHAP_MSK_LEN);
    /* the server's receive key first, then its send key (both ends the same) */
    if (!rc)
        rc = start_key(d, MAGIC_CLIENT_SEND, out);
    if (!rc)
        rc = start_key(d, MAGIC_CLIENT_RECV, out + 16);
    OPENSSL_cleanse(hh, sizeof hh), OPENSSL_cleanse(d, sizeof d);
    if (rc)
        OPENSSL_cleanse(out, MSCHAP_MSK_LEN);
    return rc;
}

void mschap_user_name(const char *id, size_t len, const char **user, size_t *user_len)
{
    const char *bs = len ? memrchr(id, '\\', len) : NULL;
    *user = bs ? bs + 1 : id;
    *user_len = bs ? len - (size_t)(bs + 1 - id) : len;
}
