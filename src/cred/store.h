/* store: the credentials swanctl finds beside its configuration file, loaded
 * into an immutable, reference-counted snapshot (a SIGHUP builds a new one
 * and swaps it in; SAs holding the old one keep it alive until they end).
 *
 *   DIR/x509/      own and peer end-entity certificates (PEM or DER)
 *   DIR/x509ca/    CA certificates: roots are trust anchors, and so is an
 *                  intermediate whose issuer is not here (strongSwan trusts
 *                  every CA of x509ca/); intermediates (not self-signed) are
 *                  also sent in chains we present
 *   DIR/x509crl/   CRLs (PEM or DER)
 *   DIR/private/, DIR/rsa/, DIR/ecdsa/, DIR/pkcs8/   private keys: PEM or DER,
 *                  PKCS#1, SEC1, PKCS#8, encrypted with a passphrase from
 *                  secrets { private-x { file = NAME  secret = PASS } }
 *                  (rsa-x, ecdsa-x, pkcs8-x too)
 * The X509 and EVP_PKEY pointers handed out are the snapshot's: valid while
 * a reference to it is held, never to be freed by the caller. */
#ifndef KITE_CRED_STORE_H
#define KITE_CRED_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "base/secret.h"

struct cred_store;

/* a passphrase for an encrypted key file, by its name (as strongSwan: the
 * file name relative to its directory, e.g. "moonKey.pem") */
struct cred_pass {
    const char *file;
    struct span pass;
};

typedef void cred_warn_fn(void *ctx, const char *msg);

/* loads every directory above that exists under dir (a missing directory is
 * no error); an unreadable or undecodable file, or an encrypted key without
 * its passphrase, is an error naming the file.  0 and *out, or a KITE_E_*
 * code with the reason in err */
int cred_store_load(const char *dir, const struct cred_pass *pass, size_t n_pass, struct cred_store **out,
                    char *err, size_t errcap, cred_warn_fn *warn, void *ctx);
/* an empty store (PSK-only configurations) */
int cred_store_empty(struct cred_store **out);
struct cred_store *cred_store_ref(struct cred_store *s);
/* drops a reference; the last one frees everything and wipes the keys */
void cred_store_unref(struct cred_store *s);

/* a certificate of x509/ (or x509ca/) by file name as in local.certs /
 * remote.certs / remote.cacerts ("moonCert.pem"); NULL if none */
X509 *cred_store_cert(const struct cred_store *s, const char *file);
/* the private key whose public key is the certificate's; NULL if none */
EVP_PKEY *cred_store_key_for(const struct cred_store *s, X509 *cert);

/* trust anchors and intermediates, CRLs */
size_t cred_store_n_cas(const struct cred_store *s);
X509 *cred_store_ca(const struct cred_store *s, size_t i);
size_t cred_store_n_crls(const struct cred_store *s);
X509_CRL *cred_store_crl(const struct cred_store *s, size_t i);

/* CERTREQ's Certification Authority field (RFC 7296 3.7): the SHA-1 of the
 * subjectPublicKeyInfo of each trusted CA (only those of cas[] when n > 0),
 * 20 bytes each, concatenated.  0, KITE_E_NO_SPACE */
int cred_store_certreq(const struct cred_store *s, X509 *const *cas, size_t n, uint8_t *out, size_t cap,
                       size_t *len);
/* does the certificate chain up to a CA whose key hash is one of the
 * CERTREQ's (hashes: n*20 bytes)?  (to choose among several certificates) */
bool cred_store_chains_to(const struct cred_store *s, X509 *cert, const uint8_t *hashes, size_t len);
/* the intermediates to send after cert: the chain from cert's issuer up to,
 * not including, a self-signed root, from x509ca/; n written (at most cap) */
size_t cred_store_chain(const struct cred_store *s, X509 *cert, X509 **out, size_t cap);

#endif
