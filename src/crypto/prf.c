#include "crypto/prf.h"
#include "base/err.h"
#include "base/secret.h"
#include "crypto/fetch.h"
#include "crypto/xcbc.h"
#include <openssl/core_names.h>
#include <stdbool.h>
#include <string.h>

static const char *hmac_digest(uint16_t id)
{
    switch (id) {
    case PRF_HMAC_SHA2_256: return "SHA2-256";
    case PRF_HMAC_SHA2_384: return "SHA2-384";
    case PRF_HMAC_SHA2_512: return "SHA2-512";
    case PRF_HMAC_SHA1: return "SHA1";
    case PRF_HMAC_MD5: return "MD5";
    }
    return NULL;
}

/* Fetched algorithms and HMAC contexts with their digest set, made at the
 * first use and kept for the process (reachable until exit): a fetch by
 * name, and setting a digest by name on each HMAC, walk OpenSSL's name maps
 * under locks, which perf showed as a good part of the PRF's cost at a
 * responder setting up thousands of IKE SAs.  A template never holds a key:
 * each HMAC runs in a copy (hmac_run).  kite is single-threaded (no lock). */
enum { N_DIGESTS = 5 };

/* a reference of our own to the kept MAC (prf_free frees it) */
static EVP_MAC *mac_fetched(const char *name)
{
    EVP_MAC *m = fetch_mac(name);
    return m && EVP_MAC_up_ref(m) == 1 ? m : NULL;
}

static int digest_slot(const char *digest)
{
    static const char *const names[N_DIGESTS] = { "SHA2-256", "SHA2-384", "SHA2-512", "SHA1", "MD5" };
    for (int i = 0; i < N_DIGESTS; i++)
        if (strcmp(names[i], digest) == 0)
            return i;
    return -1;
}

static EVP_MAC_CTX *hmac_template(const struct prf *p)
{
    static EVP_MAC_CTX *tmpl[N_DIGESTS];
    int i = digest_slot(p->digest);
    if (i < 0)
        return NULL;
    if (!tmpl[i]) {
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)p->digest, 0),
            OSSL_PARAM_construct_end(),
        };
        EVP_MAC_CTX *c = EVP_MAC_CTX_new(p->mac);
        if (!c || EVP_MAC_CTX_set_params(c, params) != 1) {
            EVP_MAC_CTX_free(c);
            return NULL;
        }
        tmpl[i] = c;
    }
    return tmpl[i];
}

int prf_init(struct prf *p, uint16_t id)
{
    memset(p, 0, sizeof *p);
    p->xf = xf_lookup(XF_PRF, id, 0);
    if (!p->xf)
        return KITE_E_UNSUPPORTED;
    if (id == PRF_AES128_XCBC) {
        p->aes = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
        return p->aes ? 0 : KITE_E_CRYPTO;
    }
    if (id == PRF_AES128_CMAC) {
        p->mac = mac_fetched(OSSL_MAC_NAME_CMAC);
        return p->mac ? 0 : KITE_E_CRYPTO;
    }
    p->digest = hmac_digest(id);
    p->mac = mac_fetched(OSSL_MAC_NAME_HMAC);
    return p->mac && p->digest ? 0 : KITE_E_CRYPTO;
}

void prf_free(struct prf *p)
{
    EVP_MAC_free(p->mac);
    EVP_CIPHER_free(p->aes);
    memset(p, 0, sizeof *p);
}

size_t prf_out_len(const struct prf *p)
{
    return p->xf ? p->xf->out_len : 0;
}

size_t prf_key_len(const struct prf *p)
{
    return p->xf ? p->xf->key_len : 0;
}

/* an HMAC context keyed with key (a copy of the template), for prf+: the key
 * is set once, and each block re-initialises the keyed context
 * (EVP_MAC_init without a key), not a new copy keyed again */
static EVP_MAC_CTX *hmac_keyed(const struct prf *p, struct span key)
{
    static const uint8_t nokey[1];
    EVP_MAC_CTX *t = hmac_template(p);
    EVP_MAC_CTX *c = t ? EVP_MAC_CTX_dup(t) : NULL;
    if (c && EVP_MAC_init(c, key.n ? key.p : nokey, key.n, NULL) != 1) {
        EVP_MAC_CTX_free(c);
        c = NULL;
    }
    return c;
}

static int hmac_block(const struct prf *p, EVP_MAC_CTX *c, bool first, const struct span *data, size_t n,
                      uint8_t *out)
{
    size_t outl = 0;
    int ok = first || EVP_MAC_init(c, NULL, 0, NULL) == 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = !data[i].n || EVP_MAC_update(c, data[i].p, data[i].n) == 1;
    ok = ok && EVP_MAC_final(c, out, &outl, PRF_MAX_OUT) == 1 && outl == p->xf->out_len;
    return ok ? 0 : KITE_E_CRYPTO;
}

static int hmac_run(const struct prf *p, struct span key, const struct span *data, size_t n,
                    uint8_t *out)
{
    EVP_MAC_CTX *c = hmac_keyed(p, key);
    int rc = c ? hmac_block(p, c, true, data, n, out) : KITE_E_CRYPTO;
    EVP_MAC_CTX_free(c);
    return rc;
}

/* RFC 4434 2: a shorter key is padded with zeros, a longer one is first
 * reduced with AES-XCBC-PRF-128 under the all-zero key */
static int xcbc_key(const struct prf *p, struct span key, uint8_t k[XCBC_BLOCK])
{
    struct xcbc x;
    static const uint8_t zero[XCBC_BLOCK];
    memset(k, 0, XCBC_BLOCK);
    if (key.n <= XCBC_BLOCK) {
        if (key.n)
            memcpy(k, key.p, key.n);
        return 0;
    }
    int rc = xcbc_init(&x, p->aes, zero);
    if (!rc)
        rc = xcbc_mac(&x, &key, 1, k);
    xcbc_free(&x);
    return rc;
}

static int xcbc_run(const struct prf *p, struct span key, const struct span *data, size_t n,
                    uint8_t *out)
{
    uint8_t k[XCBC_BLOCK];
    struct xcbc x;
    int rc = xcbc_key(p, key, k);
    if (!rc)
        rc = xcbc_init(&x, p->aes, k);
    if (!rc) {
        rc = xcbc_mac(&x, data, n, out);
        xcbc_free(&x);
    }
    mem_wipe(k, sizeof k);
    return rc;
}

/* AES-CMAC over AES-128 with a 16-byte key */
static int cmac_once(const struct prf *p, const uint8_t key[16], const struct span *data, size_t n,
                     uint8_t out[16])
{
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)"AES-128-CBC", 0),
        OSSL_PARAM_construct_end(),
    };
    size_t outl = 0;
    EVP_MAC_CTX *c = EVP_MAC_CTX_new(p->mac);
    int ok = c && EVP_MAC_init(c, key, 16, params) == 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = !data[i].n || EVP_MAC_update(c, data[i].p, data[i].n) == 1;
    ok = ok && EVP_MAC_final(c, out, &outl, 16) == 1 && outl == 16;
    EVP_MAC_CTX_free(c);
    return ok ? 0 : KITE_E_CRYPTO;
}

/* AES-CMAC-PRF-128 (RFC 4615 3): a key of 16 bytes is used as is, any other
 * length is first reduced to AES-CMAC(0^128, key) */
static int cmac_run(const struct prf *p, struct span key, const struct span *data, size_t n,
                    uint8_t *out)
{
    static const uint8_t zero[16];
    uint8_t k[16];
    int rc = 0;
    if (key.n == 16)
        memcpy(k, key.p, 16);
    else
        rc = cmac_once(p, zero, &key, 1, k);
    if (!rc)
        rc = cmac_once(p, k, data, n, out);
    mem_wipe(k, sizeof k);
    return rc;
}

int prf_run(const struct prf *p, struct span key, const struct span *data, size_t n,
            uint8_t *out)
{
    if (!p->xf)
        return KITE_E_INVALID_ARG;
    if (p->xf->id == PRF_AES128_CMAC)
        return cmac_run(p, key, data, n, out);
    return p->aes ? xcbc_run(p, key, data, n, out) : hmac_run(p, key, data, n, out);
}

int prf_plus(const struct prf *p, struct span key, const struct span *seed, size_t n,
             uint8_t *out, size_t len)
{
    size_t hlen = prf_out_len(p);
    struct span parts[PRF_MAX_PARTS + 2];
    uint8_t t[PRF_MAX_OUT];
    uint8_t ctr = 1;
    int rc = 0;
    if (!hlen || n > PRF_MAX_PARTS || len > 255 * hlen)
        return KITE_E_INVALID_ARG;
    bool hmac = p->digest != NULL; /* prf_init sets a digest for the HMAC PRFs alone */
    EVP_MAC_CTX *keyed = hmac ? hmac_keyed(p, key) : NULL;
    if (hmac && !keyed)
        return KITE_E_CRYPTO;
    for (size_t done = 0; done < len && !rc; ctr++) {
        size_t k = 0;
        if (ctr > 1)
            parts[k++] = span_of(t, hlen); /* T(i-1) */
        for (size_t i = 0; i < n; i++)
            parts[k++] = seed[i];
        parts[k++] = span_of(&ctr, 1);
        rc = hmac ? hmac_block(p, keyed, ctr == 1, parts, k, t) : prf_run(p, key, parts, k, t);
        size_t take = len - done < hlen ? len - done : hlen;
        if (!rc)
            memcpy(out + done, t, take);
        done += take;
    }
    EVP_MAC_CTX_free(keyed); /* OpenSSL cleanses the keyed HMAC state */
    mem_wipe(t, sizeof t);
    return rc;
}
