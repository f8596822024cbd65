/* verify: a peer's certificate chain through OpenSSL 3's X509_STORE:
 * validity, basic constraints, key usage, name constraints, CRLs.  Every
 * refusal gives a reason naming the check that failed, for the log line. */
#ifndef KITE_CRED_VERIFY_H
#define KITE_CRED_VERIFY_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <openssl/x509.h>
#include "cred/store.h"

/* strongSwan's revocation = strict | ifuri | relaxed:
 *  strict:  a CRL must exist for each CA in the chain and must not list the certificate
 *  ifuri:   as strict when the certificate has a CRL distribution point, otherwise relaxed
 *  relaxed: a certificate listed in a CRL we hold is refused; no CRL is no refusal */
enum cred_revocation { CRED_REV_RELAXED, CRED_REV_IFURI, CRED_REV_STRICT };

struct cred_verify_req {
    X509 *ee;                  /* the peer's end-entity certificate */
    X509 *const *untrusted;    /* intermediates the peer sent (CERT payloads) */
    size_t n_untrusted;
    X509 *const *anchors;      /* remote.cacerts: only these are trusted; n_anchors 0: every root of the store */
    size_t n_anchors;
    enum cred_revocation revocation;
    time_t now;                /* the time to check validity at */
};

/* 0 if the chain is valid; KITE_E_AUTH_FAILED with why set to one line such
 * as "untrusted issuer 'C=CH, O=Evil, CN=Evil CA'", "certificate
 * 'CN=carol' expired at 2026-01-01 00:00:00 UTC", "certificate 'CN=carol'
 * revoked at 2026-11-02 10:00:00 UTC", "no CRL for issuer 'CN=Root' (revocation = strict)";
 * KITE_E_NOMEM / KITE_E_CRYPTO on failure of the library */
int cred_verify_chain(const struct cred_store *s, const struct cred_verify_req *req, char *why, size_t cap);

#endif
