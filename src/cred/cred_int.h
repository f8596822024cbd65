/* cred/cred_int: the credential snapshot's layout, shared by the files of
 * src/cred/ (not exported beyond it). */
#ifndef KITE_CRED_INT_H
#define KITE_CRED_INT_H
#include <stdatomic.h>
#include <stddef.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* a certificate or key and the name it was found under (relative to its
 * directory, as local.certs and secrets' file = name it) */
struct cred_cert {
    char *name;
    X509 *x;
};

struct cred_key {
    char *name;
    EVP_PKEY *k;
};

/* grown as files are found: no compiled-in cap on their number */
struct cred_store {
    atomic_int refs;
    struct cred_cert *certs; /* x509/ */
    size_t n_certs, cap_certs;
    struct cred_cert *cas;   /* x509ca/: roots and intermediates */
    size_t n_cas, cap_cas;
    X509_CRL **crls;         /* x509crl/ */
    size_t n_crls, cap_crls;
    struct cred_key *keys;   /* private/, rsa/, ecdsa/, pkcs8/ */
    size_t n_keys, cap_keys;
};

/* room for one more element of size sz in *arr (n used, *cap allocated),
 * doubling; 0 or KITE_E_NOMEM */
int cred_grow(void **arr, size_t n, size_t *cap, size_t sz);

/* the issuer of c among the store's CAs (by name and key identifier, as
 * X509_check_issued decides), NULL if none or c is self-signed */
X509 *cred_store_issuer(const struct cred_store *s, X509 *c);

#endif
