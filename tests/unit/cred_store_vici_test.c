/* cred/store_vici: credentials that arrive as bytes (VICI's load-cert and
 * load-key) and the merge with the files' store:
 * - the key identifier is the SHA-1 of the public key, which is what
 *   openssl put in each fixture certificate's subjectKeyIdentifier (RSA,
 *   RSA-PSS, ECDSA P-256/P-384/P-521, Ed25519);
 * - bad bytes, a wrong key type, an encrypted key, a non-CA as CA: refused,
 *   the set unchanged;
 * - a merged snapshot holds both stores and stays whole when the set
 *   changes or goes (an authentication under way keeps its snapshot);
 * - a certificate found by identity only with its private key. */
#include "cred_fixture.h"
#include <openssl/x509v3.h>
#include "cred/cred_int.h"
#include "cred/id.h"

static size_t slurp(const char *rel, uint8_t *buf, size_t cap)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", CERTS, rel);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    assert_true(n > 0 && n < cap);
    return n;
}

static int add_key(struct cred_store *s, const char *rel, const char *type, uint8_t id[CRED_KEY_ID_LEN])
{
    uint8_t buf[8192];
    char err[160];
    size_t n = slurp(rel, buf, sizeof buf);
    return cred_store_add_key(s, span_of(buf, n), type, id, err, sizeof err);
}

static int add_cert(struct cred_store *s, const char *rel, bool ca, char *err, size_t cap)
{
    uint8_t buf[8192];
    size_t n = slurp(rel, buf, sizeof buf);
    return cred_store_add_cert(s, span_of(buf, n), ca, err, cap);
}

static void key_id_is_the_ski(void **st)
{
    (void)st;
    static const struct { const char *key, *type, *cert; } k[] = {
        { "rsa/rsa3072Key.pem", "rsa", "x509/rsa3072Cert.pem" },
        { "pkcs8/rsapssKey.der", "any", NULL }, /* encrypted: refused below */
        { "ecdsa/p256Key.pem", "ecdsa", "x509/p256Cert.pem" },
        { "pkcs8/p384Key.der", "any", "x509/p384Cert.pem" },
        { "ecdsa/p521Key.der", "ECDSA", "x509/p521Cert.pem" },
        { "private/ed25519Key.pem", "ed25519", "x509/ed25519Cert.pem" },
    };
    struct cred_store *s;
    assert_int_equal(cred_store_empty(&s), 0);
    size_t loaded = 0;
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        uint8_t id[CRED_KEY_ID_LEN];
        int rc = add_key(s, k[i].key, k[i].type, id);
        if (!k[i].cert) {
            assert_int_equal(rc, KITE_E_INVALID_ARG);
            continue;
        }
        assert_int_equal(rc, 0);
        loaded++;
        X509 *x = fixture_read_cert(k[i].cert);
        const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(x);
        assert_non_null(ski);
        assert_int_equal(ASN1_STRING_length(ski), CRED_KEY_ID_LEN);
        assert_memory_equal(ASN1_STRING_get0_data(ski), id, CRED_KEY_ID_LEN);
        X509_free(x);
    }
    assert_int_equal(cred_store_n_keys(s), loaded);
    cred_store_unref(s);
}

static void refusals_change_nothing(void **st)
{
    (void)st;
    struct cred_store *s;
    uint8_t id[CRED_KEY_ID_LEN];
    char err[160] = "";
    assert_int_equal(cred_store_empty(&s), 0);
    assert_int_equal(cred_store_add_cert(s, span_of("\x30\x03\x02\x01\x01", 5), false, err, sizeof err),
                     KITE_E_INVALID_ARG);
    assert_string_equal(err, "parsing X509 certificate failed");
    assert_int_equal(add_cert(s, "x509/p256Cert.pem", true, err, sizeof err), KITE_E_INVALID_ARG);
    assert_string_equal(err, "ca certificate lacks CA basic constraint, rejected");
    assert_int_equal(cred_store_add_crl(s, span_of("nothing", 7), err, sizeof err), KITE_E_INVALID_ARG);
    assert_int_equal(add_key(s, "ecdsa/p256Key.pem", "ed25519", id), KITE_E_INVALID_ARG);
    assert_int_equal(add_key(s, "ecdsa/p256Key.pem", "dsa", id), KITE_E_INVALID_ARG);
    assert_int_equal(add_key(s, "private/rootKey.pem", "rsa", id), KITE_E_INVALID_ARG); /* encrypted */
    assert_int_equal(add_key(s, "x509/p256Cert.pem", "any", id), KITE_E_INVALID_ARG);
    memset(id, 0, sizeof id);
    assert_int_equal(cred_store_remove_key(s, id), KITE_E_NOT_FOUND);
    assert_int_equal(cred_store_n_certs(s) + cred_store_n_cas(s) + cred_store_n_crls(s) + cred_store_n_keys(s), 0);
    cred_store_unref(s);
}

static void merge_and_snapshots(void **st)
{
    (void)st;
    struct cred_store *files = fixture_load(), *set, *m, *m2;
    uint8_t id[CRED_KEY_ID_LEN];
    char err[160];
    assert_int_equal(cred_store_empty(&set), 0);
    assert_int_equal(add_cert(set, "other/evilcaCert.pem", false, err, sizeof err), 0); /* a CA: into cas */
    assert_int_equal(add_cert(set, "x509/p256Cert.pem", false, err, sizeof err), 0);
    assert_int_equal(add_key(set, "ecdsa/p256Key.pem", "ecdsa", id), 0);
    assert_int_equal(cred_store_n_cas(set), 1);
    assert_int_equal(cred_store_merge(files, set, &m), 0);
    assert_int_equal(cred_store_n_certs(m), cred_store_n_certs(files) + 1);
    assert_int_equal(cred_store_n_cas(m), cred_store_n_cas(files) + 1);
    assert_int_equal(cred_store_n_crls(m), cred_store_n_crls(files));
    assert_int_equal(cred_store_n_keys(m), cred_store_n_keys(files) + 1);
    /* the files' names still resolve; the set's have a name no file has */
    assert_non_null(cred_store_cert(m, "rootCert.pem"));
    X509 *vici = cred_store_cert_at(m, cred_store_n_certs(m) - 1);
    assert_non_null(cred_store_key_for(m, vici));
    /* the set changes and goes: the snapshot keeps its key and certificate */
    assert_int_equal(cred_store_remove_key(set, id), 0);
    cred_store_unref(set);
    cred_store_unref(files);
    EVP_PKEY *k = cred_store_key_for(m, vici);
    assert_non_null(k);
    uint8_t again[CRED_KEY_ID_LEN];
    assert_int_equal(cred_key_id(k, again), 0);
    assert_memory_equal(id, again, sizeof id);
    /* NULL stands for nothing */
    assert_int_equal(cred_store_merge(NULL, m, &m2), 0);
    assert_int_equal(cred_store_n_keys(m2), cred_store_n_keys(m));
    cred_store_unref(m2);
    cred_store_unref(m);
}

static void cert_for_id_needs_the_key(void **st)
{
    (void)st;
    struct cred_store *s;
    uint8_t id[CRED_KEY_ID_LEN], der[256];
    char err[160];
    assert_int_equal(cred_store_empty(&s), 0);
    assert_int_equal(add_cert(s, "x509/p256Cert.pem", false, err, sizeof err), 0);
    assert_int_equal(add_cert(s, "x509/p384Cert.pem", false, err, sizeof err), 0);
    X509 *x = cred_store_cert_at(s, 0);
    unsigned char *p = der;
    int n = i2d_X509_NAME(X509_get_subject_name(x), &p);
    assert_true(n > 0);
    struct span dn = span_of(der, (size_t)n);
    assert_null(cred_store_cert_for_id(s, 9, dn, 0)); /* no key yet */
    assert_int_equal(add_key(s, "ecdsa/p256Key.pem", "ecdsa", id), 0);
    assert_ptr_equal(cred_store_cert_for_id(s, 9, dn, 0), x);
    assert_null(cred_store_cert_for_id(s, 9, dn, 1));
    struct span fqdn = span_of("p384.strongswan.org", 19); /* ID_FQDN, its subjectAltName */
    assert_null(cred_store_cert_for_id(s, 2, fqdn, 0)); /* its key is not here */
    assert_int_equal(add_key(s, "pkcs8/p384Key.der", "any", id), 0);
    assert_ptr_equal(cred_store_cert_for_id(s, 2, fqdn, 0), cred_store_cert_at(s, 1));
    cred_store_unref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(key_id_is_the_ski),
        cmocka_unit_test(refusals_change_nothing),
        cmocka_unit_test(merge_and_snapshots),
        cmocka_unit_test(cert_for_id_needs_the_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
