/* cred/verify: chains of tests/unit/data/certs through X509_STORE at a fixed
 * time (2030-01-01, inside the fixtures' 100 years): good chains of every
 * key type, each bad case refused with the reason naming its check, and
 * CRL revocation under strongSwan's strict, ifuri and relaxed. */
#include "cred_fixture.h"
#include <time.h>
#include "cred/verify.h"

static const time_t T2030 = 1893456000; /* 2030-01-01 00:00:00 UTC */

/* verify name (a certificate of the store) under rev: 0 and why empty, or
 * the error with the reason */
static int check(const struct cred_store *s, const char *name, enum cred_revocation rev, char *why, size_t cap)
{
    struct cred_verify_req req = { .ee = fixture_cert(s, name), .revocation = rev, .now = T2030 };
    return cred_verify_chain(s, &req, why, cap);
}

static void accepted(const struct cred_store *s, const char *name, enum cred_revocation rev)
{
    char why[512];
    int rc = check(s, name, rev, why, sizeof why);
    if (rc)
        fail_msg("%s (revocation %d) refused: %s", name, rev, why);
}

static void refused(const struct cred_store *s, const char *name, enum cred_revocation rev, const char *reason)
{
    char why[512];
    int rc = check(s, name, rev, why, sizeof why);
    if (rc != KITE_E_AUTH_FAILED || !strstr(why, reason))
        fail_msg("%s (revocation %d): rc %d, '%s', expected '%s'", name, rev, rc, why, reason);
}

/* every key type under the intermediate, one under the root directly, one
 * inside a name constraint: valid under each policy with all CRLs held */
static void good_chains(void **st)
{
    (void)st;
    static const char *const good[] = { "rsa3072Cert.pem", "rsapssCert.pem", "p256Cert.pem", "p384Cert.pem",
                                         "p521Cert.pem", "ed25519Cert.pem", "ed448Cert.pem", "directCert.pem",
                                         "cdpCert.pem" };
    struct cred_store *s = fixture_load();
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        for (int rev = CRED_REV_RELAXED; rev <= CRED_REV_STRICT; rev++)
            accepted(s, good[i], (enum cred_revocation)rev);
    accepted(s, "ncgoodCert.pem", CRED_REV_RELAXED);
    cred_store_unref(s);
}

/* each bad case refused, the reason naming the check and the certificate */
static void bad_chains(void **st)
{
    (void)st;
    struct cred_store *s = fixture_load();
    refused(s, "expiredCert.pem", CRED_REV_RELAXED,
            "certificate 'C=CH, O=strongSwan, CN=expired.strongswan.org' expired at 2020-01-01 00:00:00 UTC");
    refused(s, "evilCert.pem", CRED_REV_RELAXED, "untrusted issuer 'C=CH, O=Evil, CN=Evil CA'");
    refused(s, "pathlenCert.pem", CRED_REV_RELAXED,
            "path length constraint of CA 'C=CH, O=strongSwan, CN=Pathlen0 CA' exceeded");
    refused(s, "ncbadCert.pem", CRED_REV_RELAXED,
            "certificate 'C=CH, O=Evil, CN=ncbad.example' violates a name constraint");
    refused(s, "kuCert.pem", CRED_REV_RELAXED,
            "certificate 'C=CH, O=strongSwan, CN=ku.strongswan.org' may not sign (key usage");
    /* before the fixtures were made */
    char why[512];
    struct cred_verify_req req = { .ee = fixture_cert(s, "p256Cert.pem"), .now = 946684800 /* 2000 */ };
    assert_int_equal(cred_verify_chain(s, &req, why, sizeof why), KITE_E_AUTH_FAILED);
    assert_non_null(strstr(why, "not valid before"));
    /* a self-signed certificate we do not trust */
    X509 *evilca = fixture_read_cert("other/evilcaCert.pem");
    req = (struct cred_verify_req){ .ee = evilca, .now = T2030 };
    assert_int_equal(cred_verify_chain(s, &req, why, sizeof why), KITE_E_AUTH_FAILED);
    assert_string_equal(why, "untrusted self-signed certificate 'C=CH, O=Evil, CN=Evil CA'");
    X509_free(evilca);
    cred_store_unref(s);
}

/* the intermediate sent by the peer completes the chain; without it (and
 * not in our x509ca/) the issuer is unknown */
static void peer_sent_intermediate(void **st)
{
    (void)st;
    static const char *const files[] = { "x509ca/rootCert.pem", "x509/p256Cert.pem", NULL };
    char dir[64], why[512];
    struct cred_store *all = fixture_load(), *s;
    fixture_subset(dir, files);
    s = fixture_load_dir(dir);
    X509 *inter = fixture_cert(all, "interCert.der");
    struct cred_verify_req req = { .ee = fixture_cert(s, "p256Cert.pem"), .now = T2030 };
    assert_int_equal(cred_verify_chain(s, &req, why, sizeof why), KITE_E_AUTH_FAILED);
    assert_string_equal(why, "untrusted issuer 'C=CH, O=strongSwan, OU=Intermediate, CN=strongSwan Intermediate CA'");
    req.untrusted = &inter;
    req.n_untrusted = 1;
    assert_int_equal(cred_verify_chain(s, &req, why, sizeof why), 0);
    /* sent by the peer or not, an intermediate is no anchor */
    X509 *evilca = fixture_read_cert("other/evilcaCert.pem");
    X509 *evil = fixture_cert(all, "evilCert.pem");
    req = (struct cred_verify_req){ .ee = evil, .untrusted = &evilca, .n_untrusted = 1, .now = T2030 };
    assert_int_equal(cred_verify_chain(s, &req, why, sizeof why), KITE_E_AUTH_FAILED);
    assert_non_null(strstr(why, "untrusted issuer 'C=CH, O=Evil, CN=Evil CA'"));
    X509_free(evilca);
    cred_store_unref(s);
    fixture_remove(dir);
    /* an intermediate in x509ca/ without its root is trusted (as strongSwan
     * trusts every CA there); what the root issued directly is not */
    static const char *const inter_only[] = { "x509ca/interCert.der", "x509/p256Cert.pem", "x509/directCert.pem",
                                              NULL };
    fixture_subset(dir, inter_only);
    s = fixture_load_dir(dir);
    req = (struct cred_verify_req){ .ee = fixture_cert(s, "p256Cert.pem"), .now = T2030 };
    assert_int_equal(cred_verify_chain(s, &req, why, sizeof why), 0);
    req.ee = fixture_cert(s, "directCert.pem");
    assert_int_equal(cred_verify_chain(s, &req, why, sizeof why), KITE_E_AUTH_FAILED);
    assert_string_equal(why, "untrusted issuer 'C=CH, O=strongSwan, CN=strongSwan Root CA'");
    cred_store_unref(s);
    cred_store_unref(all);
    fixture_remove(dir);
}

/* remote.cacerts: only the given anchors are trusted; an intermediate as
 * the anchor accepts what it issued, not what the root issued directly */
static void anchors_restrict(void **st)
{
    (void)st;
    struct cred_store *s = fixture_load();
    char why[512];
    X509 *evilca = fixture_read_cert("other/evilcaCert.pem"), *inter = fixture_cert(s, "interCert.der");
    struct cred_verify_req req = { .ee = fixture_cert(s, "p256Cert.pem"), .anchors = &evilca, .n_anchors = 1,
                                   .now = T2030 };
    assert_int_equal(cred_verify_chain(s, &req, why, sizeof why), KITE_E_AUTH_FAILED);
    assert_non_null(strstr(why, "untrusted issuer"));
    req.ee = fixture_cert(s, "evilCert.pem");
    assert_int_equal(cred_verify_chain(s, &req, why, sizeof why), 0);
    req.anchors = &inter;
    assert_int_equal(cred_verify_chain(s, &req, why, sizeof why), KITE_E_AUTH_FAILED);
    req.ee = fixture_cert(s, "p256Cert.pem");
    req.revocation = CRED_REV_STRICT; /* inter.crl covers p256; the anchor needs none */
    assert_int_equal(cred_verify_chain(s, &req, why, sizeof why), 0);
    req.ee = fixture_cert(s, "directCert.pem");
    assert_int_equal(cred_verify_chain(s, &req, why, sizeof why), KITE_E_AUTH_FAILED);
    assert_non_null(strstr(why, "untrusted issuer 'C=CH, O=strongSwan, CN=strongSwan Root CA'"));
    X509_free(evilca);
    cred_store_unref(s);
}

/* "Dec  5 17:22:36 2026 GMT" (openssl crl -text) as verify.h writes times */
static void revocation_time(char *out, size_t cap)
{
    char *txt = read_source_file("tests/unit/data/certs/revoked_at.txt", NULL);
    struct tm tm = { 0 };
    assert_non_null(strptime(txt, "%b %d %H:%M:%S %Y", &tm));
    strftime(out, cap, "%Y-%m-%d %H:%M:%S UTC", &tm);
    free(txt);
}

/* CRL revocation: a certificate listed in a CRL we hold is refused under
 * every policy; a missing CRL refuses only under strict, and under ifuri
 * for a certificate with a CRL distribution point */
static void crl_revocation(void **st)
{
    (void)st;
    char at[64], want[256], dir[64];
    revocation_time(at, sizeof at);
    snprintf(want, sizeof want, "certificate 'C=CH, O=strongSwan, CN=revoked.strongswan.org' revoked at %s", at);
    struct cred_store *s = fixture_load();
    for (int rev = CRED_REV_RELAXED; rev <= CRED_REV_STRICT; rev++)
        refused(s, "revokedCert.pem", (enum cred_revocation)rev, want);
    /* strict: the Constrained CA published no CRL */
    refused(s, "ncgoodCert.pem", CRED_REV_STRICT,
            "no CRL for issuer 'C=CH, O=strongSwan, CN=Constrained CA' (revocation = strict)");
    accepted(s, "ncgoodCert.pem", CRED_REV_IFURI);
    cred_store_unref(s);

    /* without the intermediate's CRL */
    static const char *const no_inter_crl[] = { "x509ca/rootCert.pem", "x509ca/interCert.der", "x509crl/root.crl",
                                                "x509/p256Cert.pem", "x509/cdpCert.pem", "x509/revokedCert.pem",
                                                NULL };
    fixture_subset(dir, no_inter_crl);
    s = fixture_load_dir(dir);
    const char *inter = "no CRL for issuer 'C=CH, O=strongSwan, OU=Intermediate, CN=strongSwan Intermediate CA'";
    snprintf(want, sizeof want, "%s (revocation = strict)", inter);
    refused(s, "p256Cert.pem", CRED_REV_STRICT, want);
    refused(s, "revokedCert.pem", CRED_REV_STRICT, want);
    accepted(s, "p256Cert.pem", CRED_REV_IFURI); /* no distribution point: relaxed */
    snprintf(want, sizeof want, "%s (revocation = ifuri, the certificate has a CRL distribution point)", inter);
    refused(s, "cdpCert.pem", CRED_REV_IFURI, want);
    accepted(s, "cdpCert.pem", CRED_REV_RELAXED);
    accepted(s, "revokedCert.pem", CRED_REV_RELAXED); /* relaxed: no CRL is no refusal */
    accepted(s, "revokedCert.pem", CRED_REV_IFURI);
    cred_store_unref(s);
    fixture_remove(dir);

    /* no CRL at all: strict refuses what the root issued, relaxed does not */
    static const char *const no_crl[] = { "x509ca/rootCert.pem", "x509/directCert.pem", NULL };
    fixture_subset(dir, no_crl);
    s = fixture_load_dir(dir);
    refused(s, "directCert.pem", CRED_REV_STRICT,
            "no CRL for issuer 'C=CH, O=strongSwan, CN=strongSwan Root CA' (revocation = strict)");
    accepted(s, "directCert.pem", CRED_REV_RELAXED);
    cred_store_unref(s);
    fixture_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_chains),      cmocka_unit_test(bad_chains),   cmocka_unit_test(peer_sent_intermediate),
        cmocka_unit_test(anchors_restrict), cmocka_unit_test(crl_revocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
