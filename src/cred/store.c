/* store: the credential snapshot once loaded (store_load.c reads it): its
 * references, lookups, CERTREQ hashes (RFC 7296 3.7) and the chain of
 * intermediates we send.  Nothing here changes a snapshot after loading, so
 * SAs share one without locks; only the reference count moves. */
#include "cred/store.h"
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include <openssl/x509v3.h>
#include "crypto/hash.h"
#include "cred/cred_int.h"

int cred_store_empty(struct cred_store **out)
{
    struct cred_store *s = calloc(1, sizeof *s);
    *out = s;
    if (!s)
        return KITE_E_NOMEM;
    atomic_init(&s->refs, 1);
    return 0;
}

struct cred_store *cred_store_ref(struct cred_store *s)
{
    if (s)
        atomic_fetch_add(&s->refs, 1);
    return s;
}

static void certs_free(struct cred_cert *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i].name);
        X509_free(c[i].x);
    }
    free(c);
}

void cred_store_unref(struct cred_store *s)
{
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    certs_free(s->certs, s->n_certs);
    certs_free(s->cas, s->n_cas);
    for (size_t i = 0; i < s->n_crls; i++)
        X509_CRL_free(s->crls[i]);
    free(s->crls);
    for (size_t i = 0; i < s->n_keys; i++) {
        free(s->keys[i].name);
        EVP_PKEY_free(s->keys[i].k); /* OpenSSL cleanses the key material */
    }
    free(s->keys);
    free(s);
}

X509 *cred_store_cert(const struct cred_store *s, const char *file)
{
    for (size_t i = 0; i < s->n_certs; i++)
        if (!strcmp(s->certs[i].name, file))
            return s->certs[i].x;
    for (size_t i = 0; i < s->n_cas; i++)
        if (!strcmp(s->cas[i].name, file))
            return s->cas[i].x;
    return NULL;
}

EVP_PKEY *cred_store_key_for(const struct cred_store *s, X509 *cert)
{
    EVP_PKEY *pub = cert ? X509_get0_pubkey(cert) : NULL;
    for (size_t i = 0; pub && i < s->n_keys; i++)
        if (EVP_PKEY_eq(s->keys[i].k, pub) == 1)
            return s->keys[i].k;
    return NULL;
}

size_t cred_store_n_cas(const struct cred_store *s)
{
    return s->n_cas;
}

X509 *cred_store_ca(const struct cred_store *s, size_t i)
{
    return i < s->n_cas ? s->cas[i].x : NULL;
}

size_t cred_store_n_crls(const struct cred_store *s)
{
    return s->n_crls;
}

X509_CRL *cred_store_crl(const struct cred_store *s, size_t i)
{
    return i < s->n_crls ? s->crls[i] : NULL;
}

/* RFC 7296 3.7: SHA-1 of the DER subjectPublicKeyInfo */
static int spki_sha1(X509 *ca, uint8_t out[HASH_SHA1_LEN])
{
    unsigned char *der = NULL;
    int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(ca), &der);
    if (n <= 0)
        return KITE_E_CRYPTO;
    struct span part = span_of(der, (size_t)n);
    int rc = hash_sha1(&part, 1, out);
    OPENSSL_free(der);
    return rc;
}

int cred_store_certreq(const struct cred_store *s, X509 *const *cas, size_t n, uint8_t *out, size_t cap,
                       size_t *len)
{
    size_t count = n ? n : s->n_cas;
    *len = 0;
    if (count > cap / HASH_SHA1_LEN)
        return KITE_E_NO_SPACE;
    for (size_t i = 0; i < count; i++) {
        int rc = spki_sha1(n ? cas[i] : s->cas[i].x, out + i * HASH_SHA1_LEN);
        if (rc)
            return rc;
    }
    *len = count * HASH_SHA1_LEN;
    return 0;
}

X509 *cred_store_issuer(const struct cred_store *s, X509 *c)
{
    if (X509_self_signed(c, 0) == 1)
        return NULL;
    for (size_t i = 0; i < s->n_cas; i++)
        if (s->cas[i].x != c && X509_check_issued(s->cas[i].x, c) == X509_V_OK)
            return s->cas[i].x;
    return NULL;
}

static bool hash_listed(X509 *ca, const uint8_t *hashes, size_t len)
{
    uint8_t h[HASH_SHA1_LEN];
    if (spki_sha1(ca, h))
        return false;
    for (size_t off = 0; off + HASH_SHA1_LEN <= len; off += HASH_SHA1_LEN)
        if (!memcmp(hashes + off, h, HASH_SHA1_LEN))
            return true;
    return false;
}

/* up the issuers the store holds; at most n_cas steps, so a loop of
 * cross-signed CAs ends */
bool cred_store_chains_to(const struct cred_store *s, X509 *cert, const uint8_t *hashes, size_t len)
{
    X509 *c = cert;
    for (size_t step = 0; step <= s->n_cas && c; step++) {
        X509 *up = cred_store_issuer(s, c);
        if (up && hash_listed(up, hashes, len))
            return true;
        c = up;
    }
    return false;
}

size_t cred_store_chain(const struct cred_store *s, X509 *cert, X509 **out, size_t cap)
{
    size_t n = 0;
    X509 *c = cert;
    for (size_t step = 0; step < s->n_cas && n < cap; step++) {
        X509 *up = cred_store_issuer(s, c);
        if (!up || X509_self_signed(up, 0) == 1)
            break;
        out[n++] = up;
        c = up;
    }
    return n;
}
