/* store_vici: credentials that arrive as bytes over the control socket
 * (load-cert, load-key: see store.h) rather than from files, and the merge
 * of such a set with the files' store into one snapshot.  Merging shares
 * the OpenSSL objects by reference: nothing is copied, and a snapshot stays
 * valid whatever happens to the set afterwards. */
#include "cred/store.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/decoder.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include "base/err.h"
#include "cred/cred_int.h"
#include "cred/id.h"
#include "crypto/hash.h"

static bool is_pem(struct span d)
{
    return memmem(d.p, d.n, "-----BEGIN ", 11) != NULL;
}

static X509 *cert_from(struct span d)
{
    const unsigned char *p = d.p;
    if (d.n > INT32_MAX)
        return NULL;
    if (!is_pem(d))
        return d2i_X509(NULL, &p, (long)d.n);
    BIO *bio = BIO_new_mem_buf(d.p, (int)d.n);
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return x;
}

static X509_CRL *crl_from(struct span d)
{
    const unsigned char *p = d.p;
    if (d.n > INT32_MAX)
        return NULL;
    if (!is_pem(d))
        return d2i_X509_CRL(NULL, &p, (long)d.n);
    BIO *bio = BIO_new_mem_buf(d.p, (int)d.n);
    X509_CRL *c = bio ? PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return c;
}

/* no passphrase callback: an encrypted key fails to decode (swanctl
 * decrypts keys itself and sends them in the clear) */
static EVP_PKEY *key_from(struct span d)
{
    EVP_PKEY *k = NULL;
    OSSL_DECODER_CTX *dc = OSSL_DECODER_CTX_new_for_pkey(&k, NULL, NULL, NULL, OSSL_KEYMGMT_SELECT_KEYPAIR, NULL, NULL);
    const unsigned char *p = d.p;
    size_t n = d.n;
    if (dc && OSSL_DECODER_from_data(dc, &p, &n) != 1) {
        EVP_PKEY_free(k);
        k = NULL;
    }
    OSSL_DECODER_CTX_free(dc);
    return k;
}

static int push_cert(struct cred_cert **arr, size_t *n, size_t *cap, const char *name, X509 *x)
{
    char *nm = strdup(name);
    if (!nm || cred_grow((void **)arr, *n, cap, sizeof **arr)) {
        free(nm);
        return KITE_E_NOMEM;
    }
    X509_up_ref(x);
    (*arr)[(*n)++] = (struct cred_cert){ nm, x };
    return 0;
}

static int push_key(struct cred_store *s, const char *name, EVP_PKEY *k)
{
    char *nm = strdup(name);
    if (!nm || cred_grow((void **)&s->keys, s->n_keys, &s->cap_keys, sizeof *s->keys)) {
        free(nm);
        return KITE_E_NOMEM;
    }
    EVP_PKEY_up_ref(k);
    s->keys[s->n_keys++] = (struct cred_key){ nm, k };
    return 0;
}

static int push_crl(struct cred_store *s, X509_CRL *c)
{
    if (cred_grow((void **)&s->crls, s->n_crls, &s->cap_crls, sizeof *s->crls))
        return KITE_E_NOMEM;
    X509_CRL_up_ref(c);
    s->crls[s->n_crls++] = c;
    return 0;
}

static bool cert_held(const struct cred_cert *arr, size_t n, X509 *x)
{
    for (size_t i = 0; i < n; i++)
        if (!X509_cmp(arr[i].x, x))
            return true;
    return false;
}

/* a name no file can have (a '/' in it): "vici/" and the SHA-1 of the DER */
static void vici_name(X509 *x, char *buf, size_t cap)
{
    unsigned char md[20];
    unsigned len = 0;
    size_t o = (size_t)snprintf(buf, cap, "vici/");
    X509_digest(x, EVP_sha1(), md, &len);
    for (unsigned i = 0; i < len && o + 2 < cap; i++, o += 2)
        snprintf(buf + o, cap - o, "%02x", md[i]);
}

int cred_store_add_cert(struct cred_store *s, struct span data, bool want_ca, char *err, size_t errcap)
{
    X509 *x = cert_from(data);
    char name[64];
    int rc = 0;
    if (!x) {
        snprintf(err, errcap, "parsing X509 certificate failed");
        return KITE_E_INVALID_ARG;
    }
    bool ca = X509_check_ca(x) == 1;
    vici_name(x, name, sizeof name);
    if (want_ca && !ca) {
        snprintf(err, errcap, "ca certificate lacks CA basic constraint, rejected");
        rc = KITE_E_INVALID_ARG;
    } else if (ca && !cert_held(s->cas, s->n_cas, x))
        rc = push_cert(&s->cas, &s->n_cas, &s->cap_cas, name, x);
    else if (!ca && !cert_held(s->certs, s->n_certs, x))
        rc = push_cert(&s->certs, &s->n_certs, &s->cap_certs, name, x);
    if (rc == KITE_E_NOMEM)
        snprintf(err, errcap, "out of memory");
    X509_free(x);
    return rc;
}

int cred_store_add_crl(struct cred_store *s, struct span data, char *err, size_t errcap)
{
    X509_CRL *c = crl_from(data);
    if (!c) {
        snprintf(err, errcap, "parsing X509_CRL certificate failed");
        return KITE_E_INVALID_ARG;
    }
    int rc = push_crl(s, c);
    if (rc)
        snprintf(err, errcap, "out of memory");
    X509_CRL_free(c);
    return rc;
}

int cred_key_id(EVP_PKEY *k, uint8_t id[CRED_KEY_ID_LEN])
{
    X509_PUBKEY *pub = NULL;
    const unsigned char *bits;
    int len = 0, rc = KITE_E_CRYPTO;
    if (X509_PUBKEY_set(&pub, k) == 1 && X509_PUBKEY_get0_param(NULL, &bits, &len, NULL, pub) == 1 && len > 0) {
        struct span part = span_of(bits, (size_t)len);
        rc = hash_sha1(&part, 1, id);
    }
    X509_PUBKEY_free(pub);
    return rc;
}

/* load-key's type against what OpenSSL decoded */
static bool key_type_ok(EVP_PKEY *k, const char *type)
{
    static const struct { const char *vici, *ossl, *alt; } t[] = {
        { "rsa", "RSA", "RSA-PSS" }, { "ecdsa", "EC", NULL }, { "ed25519", "ED25519", NULL },
        { "ed448", "ED448", NULL }, { "any", NULL, NULL },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcasecmp(type, t[i].vici)) /* swanctl sends "ECDSA", charon ignores case */
            return !t[i].ossl || EVP_PKEY_is_a(k, t[i].ossl) || (t[i].alt && EVP_PKEY_is_a(k, t[i].alt));
    return false;
}

/* the index of the key with identifier id, or n_keys */
static size_t key_index(const struct cred_store *s, const uint8_t id[CRED_KEY_ID_LEN])
{
    uint8_t have[CRED_KEY_ID_LEN];
    size_t i = 0;
    for (; i < s->n_keys; i++)
        if (!cred_key_id(s->keys[i].k, have) && !memcmp(have, id, CRED_KEY_ID_LEN))
            break;
    return i;
}

int cred_store_add_key(struct cred_store *s, struct span data, const char *type, uint8_t id[CRED_KEY_ID_LEN],
                       char *err, size_t errcap)
{
    EVP_PKEY *k = key_from(data);
    int rc = 0;
    char name[5 + 2 * CRED_KEY_ID_LEN + 1] = "vici/";
    if (!k) {
        snprintf(err, errcap, "parsing %s private key failed", type);
        return KITE_E_INVALID_ARG;
    }
    if (!key_type_ok(k, type)) {
        snprintf(err, errcap, "parsing %s private key failed: it is a %s key", type, EVP_PKEY_get0_type_name(k));
        rc = KITE_E_INVALID_ARG;
    } else if (cred_key_id(k, id)) {
        snprintf(err, errcap, "failed to get key id");
        rc = KITE_E_CRYPTO;
    }
    for (size_t i = 0; !rc && i < CRED_KEY_ID_LEN; i++)
        snprintf(name + 5 + 2 * i, 3, "%02x", id[i]);
    if (!rc && key_index(s, id) == s->n_keys && (rc = push_key(s, name, k)))
        snprintf(err, errcap, "out of memory");
    EVP_PKEY_free(k); /* OpenSSL cleanses the key material */
    return rc;
}

int cred_store_remove_key(struct cred_store *s, const uint8_t id[CRED_KEY_ID_LEN])
{
    size_t i = key_index(s, id);
    if (i == s->n_keys)
        return KITE_E_NOT_FOUND;
    free(s->keys[i].name);
    EVP_PKEY_free(s->keys[i].k);
    memmove(&s->keys[i], &s->keys[i + 1], (s->n_keys - i - 1) * sizeof *s->keys);
    s->n_keys--;
    return 0;
}

static int merge_one(struct cred_store *m, const struct cred_store *a)
{
    int rc = 0;
    for (size_t i = 0; !rc && i < a->n_certs; i++)
        rc = push_cert(&m->certs, &m->n_certs, &m->cap_certs, a->certs[i].name, a->certs[i].x);
    for (size_t i = 0; !rc && i < a->n_cas; i++)
        rc = push_cert(&m->cas, &m->n_cas, &m->cap_cas, a->cas[i].name, a->cas[i].x);
    for (size_t i = 0; !rc && i < a->n_crls; i++)
        rc = push_crl(m, a->crls[i]);
    for (size_t i = 0; !rc && i < a->n_keys; i++)
        rc = push_key(m, a->keys[i].name, a->keys[i].k);
    return rc;
}

int cred_store_merge(const struct cred_store *a, const struct cred_store *b, struct cred_store **out)
{
    struct cred_store *m;
    int rc = cred_store_empty(&m);
    if (!rc && a)
        rc = merge_one(m, a);
    if (!rc && b)
        rc = merge_one(m, b);
    if (rc) {
        cred_store_unref(m);
        m = NULL;
    }
    *out = m;
    return rc;
}

size_t cred_store_n_certs(const struct cred_store *s)
{
    return s->n_certs;
}

X509 *cred_store_cert_at(const struct cred_store *s, size_t i)
{
    return i < s->n_certs ? s->certs[i].x : NULL;
}

size_t cred_store_n_keys(const struct cred_store *s)
{
    return s->n_keys;
}

EVP_PKEY *cred_store_key_at(const struct cred_store *s, size_t i)
{
    return i < s->n_keys ? s->keys[i].k : NULL;
}

X509 *cred_store_cert_for_id(const struct cred_store *s, uint8_t type, struct span id, size_t i)
{
    for (size_t k = 0; k < s->n_certs; k++) {
        X509 *x = s->certs[k].x;
        if (cred_cert_has_id(x, type, id) && cred_store_key_for(s, x) && i-- == 0)
            return x;
    }
    return NULL;
}
