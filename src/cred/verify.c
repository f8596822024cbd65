/* verify: a peer's chain through OpenSSL 3's X509_STORE (RFC 5280 path
 * validation: validity at the given time, basic constraints and path
 * length, CA key usage, name constraints, CRLs) with strongSwan's revocation
 * policies, and one line naming the check that failed. */
#include "cred/verify.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <openssl/x509v3.h>
#include "base/err.h"
#include "cred/cred_int.h"
#include "cred/id.h"

struct vstate {
    enum cred_revocation rev;
};

static const char *const rev_names[] = { "relaxed", "ifuri", "strict" };

/* DNs as strongSwan prints them ("C=CH, O=x, CN=y", cred/id.c), the same
 * form as identities in the other log lines */
static void dn_format(const X509_NAME *name, char *out, size_t cap)
{
    cred_name_format(name, out, cap);
}

static void time_format(const ASN1_TIME *t, char *out, size_t cap)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1 || !strftime(out, cap, "%Y-%m-%d %H:%M:%S UTC", &tm))
        snprintf(out, cap, "an unknown time");
}

static bool has_cdp(X509 *x)
{
    return x && X509_get_ext_by_NID(x, NID_crl_distribution_points, -1) >= 0;
}

/* no usable CRL for a certificate: none held, out of date, or unverifiable */
static bool crl_missing(int err)
{
    return err == X509_V_ERR_UNABLE_TO_GET_CRL || err == X509_V_ERR_CRL_HAS_EXPIRED ||
           err == X509_V_ERR_CRL_NOT_YET_VALID || err == X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER ||
           err == X509_V_ERR_CRL_SIGNATURE_FAILURE || err == X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE ||
           err == X509_V_ERR_DIFFERENT_CRL_SCOPE;
}

/* OpenSSL's CRL_CHECK refuses a certificate without a CRL; strongSwan's
 * relaxed (and ifuri for a certificate without a distribution point) does
 * not.  The trust anchor needs no CRL about itself. */
static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
    const struct vstate *v = X509_STORE_CTX_get_app_data(ctx);
    int err = X509_STORE_CTX_get_error(ctx);
    if (ok || !crl_missing(err))
        return ok;
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
    if (X509_STORE_CTX_get_error_depth(ctx) >= sk_X509_num(chain) - 1)
        return 1;
    X509 *cur = X509_STORE_CTX_get_current_cert(ctx);
    return v->rev == CRED_REV_RELAXED || (v->rev == CRED_REV_IFURI && !has_cdp(cur));
}

/* when the CRL that lists cur says it was revoked */
static void revoked_at(X509_STORE_CTX *ctx, const struct cred_store *s, X509 *cur, char *out, size_t cap)
{
    X509_REVOKED *r = NULL;
    X509_CRL *crl = X509_STORE_CTX_get0_current_crl(ctx);
    if (!crl || X509_CRL_get0_by_cert(crl, &r, cur) != 1) {
        r = NULL;
        for (size_t i = 0; i < s->n_crls && !r; i++)
            if (X509_CRL_get0_by_cert(s->crls[i], &r, cur) != 1)
                r = NULL;
    }
    time_format(r ? X509_REVOKED_get0_revocationDate(r) : NULL, out, cap);
}

static void crl_reason(X509_STORE_CTX *ctx, const struct vstate *v, int err, X509 *cur, char *why, size_t cap)
{
    char dn[512], t[64];
    const char *uri = v->rev == CRED_REV_IFURI ? ", the certificate has a CRL distribution point" : "";
    X509_CRL *crl = X509_STORE_CTX_get0_current_crl(ctx);
    dn_format(X509_get_issuer_name(cur), dn, sizeof dn);
    if (err == X509_V_ERR_UNABLE_TO_GET_CRL) {
        snprintf(why, cap, "no CRL for issuer '%s' (revocation = %s%s)", dn, rev_names[v->rev], uri);
    } else if (err == X509_V_ERR_CRL_HAS_EXPIRED && crl) {
        time_format(X509_CRL_get0_nextUpdate(crl), t, sizeof t);
        snprintf(why, cap, "the CRL of issuer '%s' expired at %s (revocation = %s%s)", dn, t, rev_names[v->rev], uri);
    } else {
        snprintf(why, cap, "no valid CRL for issuer '%s': %s (revocation = %s%s)", dn,
                 X509_verify_cert_error_string(err), rev_names[v->rev], uri);
    }
}

/* the failed check, named for the log (issue 11: "every refusal names the check") */
static void reason(X509_STORE_CTX *ctx, const struct cred_store *s, char *why, size_t cap)
{
    int err = X509_STORE_CTX_get_error(ctx);
    X509 *cur = X509_STORE_CTX_get_current_cert(ctx);
    char dn[512], t[64];
    const char *what = X509_verify_cert_error_string(err);
    if (!cur) {
        snprintf(why, cap, "certificate chain refused: %s", what);
        return;
    }
    dn_format(X509_get_subject_name(cur), dn, sizeof dn);
    switch (err) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_CERT_UNTRUSTED:
        dn_format(X509_get_issuer_name(cur), dn, sizeof dn);
        snprintf(why, cap, "untrusted issuer '%s'", dn);
        break;
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        snprintf(why, cap, "untrusted issuer '%s' (a root CA we do not trust)", dn);
        break;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        snprintf(why, cap, "untrusted self-signed certificate '%s'", dn);
        break;
    case X509_V_ERR_CERT_HAS_EXPIRED:
        time_format(X509_get0_notAfter(cur), t, sizeof t);
        snprintf(why, cap, "certificate '%s' expired at %s", dn, t);
        break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        time_format(X509_get0_notBefore(cur), t, sizeof t);
        snprintf(why, cap, "certificate '%s' not valid before %s", dn, t);
        break;
    case X509_V_ERR_CERT_REVOKED:
        revoked_at(ctx, s, cur, t, sizeof t);
        snprintf(why, cap, "certificate '%s' revoked at %s", dn, t);
        break;
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
        snprintf(why, cap, "path length constraint of CA '%s' exceeded (basic constraints)", dn);
        break;
    case X509_V_ERR_INVALID_CA:
        snprintf(why, cap, "issuer '%s' is not a CA (basic constraints)", dn);
        break;
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
        snprintf(why, cap, "CA '%s' may not sign certificates (key usage)", dn);
        break;
    case X509_V_ERR_PERMITTED_VIOLATION:
    case X509_V_ERR_EXCLUDED_VIOLATION:
        snprintf(why, cap, "certificate '%s' violates a name constraint of its issuers (%s)", dn, what);
        break;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
        snprintf(why, cap, "bad signature on certificate '%s'", dn);
        break;
    default:
        if (crl_missing(err))
            crl_reason(ctx, X509_STORE_CTX_get_app_data(ctx), err, cur, why, cap);
        else
            snprintf(why, cap, "certificate '%s' refused: %s", dn, what);
    }
}

/* the trust anchors: remote.cacerts, or the top CAs of x509ca/: each root,
 * and an intermediate whose issuer we do not hold (strongSwan trusts every
 * CA of x509ca/; a path through a root we hold is still checked up to it).
 * An anchor that is not a root needs PARTIAL_CHAIN to end a path. */
static int add_anchors(X509_STORE *st, const struct cred_store *s, const struct cred_verify_req *req, bool *partial)
{
    size_t n = req->n_anchors ? req->n_anchors : s->n_cas;
    *partial = false;
    for (size_t i = 0; i < n; i++) {
        X509 *a = req->n_anchors ? req->anchors[i] : s->cas[i].x;
        bool root = X509_self_signed(a, 0) == 1;
        if (!req->n_anchors && !root && cred_store_issuer(s, a))
            continue;
        *partial = *partial || !root;
        if (X509_STORE_add_cert(st, a) != 1)
            return KITE_E_NOMEM;
    }
    for (size_t i = 0; i < s->n_crls; i++)
        if (X509_STORE_add_crl(st, s->crls[i]) != 1)
            return KITE_E_NOMEM;
    return 0;
}

/* what the peer sent and our own intermediates: candidates, not trusted */
static int add_untrusted(STACK_OF(X509) *sk, const struct cred_store *s, const struct cred_verify_req *req)
{
    for (size_t i = 0; i < req->n_untrusted; i++)
        if (!sk_X509_push(sk, req->untrusted[i]))
            return KITE_E_NOMEM;
    for (size_t i = 0; i < s->n_cas; i++)
        if (X509_self_signed(s->cas[i].x, 0) != 1 && !sk_X509_push(sk, s->cas[i].x))
            return KITE_E_NOMEM;
    return 0;
}

/* the end-entity signs AUTH payloads: a key usage, when present, must allow it */
static int ee_key_usage(X509 *ee, char *why, size_t cap)
{
    char dn[512];
    if (!(X509_get_extension_flags(ee) & EXFLAG_KUSAGE) ||
        (X509_get_key_usage(ee) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)))
        return 0;
    dn_format(X509_get_subject_name(ee), dn, sizeof dn);
    snprintf(why, cap, "certificate '%s' may not sign (key usage without digitalSignature)", dn);
    return KITE_E_AUTH_FAILED;
}

static int run(X509_STORE *st, STACK_OF(X509) *sk, const struct cred_store *s, const struct cred_verify_req *req,
               bool partial, char *why, size_t cap)
{
    struct vstate v = { req->revocation };
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int rc = KITE_E_NOMEM;
    if (!ctx || X509_STORE_CTX_init(ctx, st, req->ee, sk) != 1)
        goto out;
    X509_VERIFY_PARAM *p = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(p, req->now);
    X509_VERIFY_PARAM_set_flags(p, X509_V_FLAG_X509_STRICT | X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL |
                                       (partial ? X509_V_FLAG_PARTIAL_CHAIN : 0));
    X509_STORE_CTX_set_app_data(ctx, &v);
    X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
    int r = X509_verify_cert(ctx);
    if (r == 1) {
        rc = ee_key_usage(req->ee, why, cap);
    } else if (r == 0) {
        reason(ctx, s, why, cap);
        rc = KITE_E_AUTH_FAILED;
    } else {
        snprintf(why, cap, "certificate chain not verified: %s",
                 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
        rc = KITE_E_CRYPTO;
    }
out:
    X509_STORE_CTX_free(ctx);
    return rc;
}

int cred_verify_chain(const struct cred_store *s, const struct cred_verify_req *req, char *why, size_t cap)
{
    X509_STORE *st = X509_STORE_new();
    STACK_OF(X509) *sk = sk_X509_new_null();
    bool partial = false;
    int rc = st && sk ? 0 : KITE_E_NOMEM;
    if (cap)
        why[0] = 0;
    if (!rc && !req->ee) {
        snprintf(why, cap, "no certificate");
        rc = KITE_E_AUTH_FAILED;
    }
    if (!rc)
        rc = add_anchors(st, s, req, &partial);
    if (!rc)
        rc = add_untrusted(sk, s, req);
    if (!rc)
        rc = run(st, sk, s, req, partial, why, cap);
    else if (rc == KITE_E_NOMEM)
        snprintf(why, cap, "out of memory");
    sk_X509_free(sk); /* the certificates belong to the caller and the store */
    X509_STORE_free(st);
    return rc;
}
