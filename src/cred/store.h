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

/* ---- credentials loaded over the control socket (store_vici.c) ----
 * A set of them is a store its one holder (ctl/vici_cred.c) changes while
 * nobody else sees it; cred_store_merge() makes the snapshot the engine
 * gets from it and the files' store.  Each function below changes nothing
 * when it fails. */
enum { CRED_KEY_ID_LEN = 20 };
/* a certificate (PEM or DER): into cas when it is a CA (basicConstraints
 * CA:TRUE), else certs; want_ca and not a CA is an error.  The same
 * certificate twice is kept once.  0 or KITE_E_INVALID_ARG / NOMEM, err set */
int cred_store_add_cert(struct cred_store *s, struct span data, bool want_ca, char *err, size_t errcap);
/* a CRL (PEM or DER) */
int cred_store_add_crl(struct cred_store *s, struct span data, char *err, size_t errcap);
/* a private key (PEM or DER: PKCS#1, SEC1, PKCS#8, unencrypted) of type
 * "rsa", "ecdsa", "ed25519", "ed448" or "any"; id gets its key identifier.
 * A key already held is kept once. */
int cred_store_add_key(struct cred_store *s, struct span data, const char *type, uint8_t id[CRED_KEY_ID_LEN],
                       char *err, size_t errcap);
/* 0 or KITE_E_NOT_FOUND */
int cred_store_remove_key(struct cred_store *s, const uint8_t id[CRED_KEY_ID_LEN]);
/* the key identifier as strongSwan's KEYID_PUBKEY_SHA1: the SHA-1 of the
 * subjectPublicKey's bits (RFC 5280 4.2.1.2 method 1) */
int cred_key_id(EVP_PKEY *k, uint8_t id[CRED_KEY_ID_LEN]);
/* a new snapshot holding the credentials of a and of b (either may be NULL) */
int cred_store_merge(const struct cred_store *a, const struct cred_store *b, struct cred_store **out);
/* the end-entity certificates (x509/) and keys, for listings */
size_t cred_store_n_certs(const struct cred_store *s);
X509 *cred_store_cert_at(const struct cred_store *s, size_t i);
size_t cred_store_n_keys(const struct cred_store *s);
EVP_PKEY *cred_store_key_at(const struct cred_store *s, size_t i);
/* the i-th (0 ..) end-entity certificate holding identity (type, id) whose
 * private key the store has (local.certs unset: found by local.id); NULL
 * past the last */
X509 *cred_store_cert_for_id(const struct cred_store *s, uint8_t type, struct span id, size_t i);

#endif
