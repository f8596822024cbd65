/* cred/store: the credential directories of tests/unit/data/certs loaded as
 * swanctl loads them; keys in every format and their passphrases; key_for;
 * CERTREQ hashes against the ones gen.sh computed with the openssl CLI; the
 * chain of intermediates we send. */
#include "cred_fixture.h"
#include <dirent.h>
#include "crypto/hash.h"

static const struct {
    const char *cert, *type;
} ee_keys[] = {
    { "rsa3072Cert.pem", "RSA" },    /* rsa/ PKCS#1 PEM */
    { "rsapssCert.pem", "RSA-PSS" }, /* pkcs8/ encrypted PKCS#8 DER */
    { "p256Cert.pem", "EC" },        /* ecdsa/ SEC1 PEM */
    { "p384Cert.pem", "EC" },        /* pkcs8/ PKCS#8 DER */
    { "p521Cert.pem", "EC" },        /* ecdsa/ SEC1 DER */
    { "ed25519Cert.pem", "ED25519" },/* private/ PKCS#8 PEM */
    { "ed448Cert.pem", "ED448" },    /* private/ encrypted PKCS#8 PEM */
    { "rootCert.pem", "RSA" },       /* private/ PKCS#1 PEM, legacy PEM encryption */
};

static size_t files_in(const char *sub)
{
    char path[512];
    size_t n = 0;
    snprintf(path, sizeof path, "%s/%s", CERTS, sub);
    DIR *d = opendir(path);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* every certificate, CA and CRL file is in the store, and every key file:
 * each end-entity certificate and the root find their key */
static void every_file_loads(void **st)
{
    (void)st;
    struct cred_store *s = fixture_load();
    assert_int_equal(cred_store_n_cas(s), files_in("x509ca"));
    assert_int_equal(cred_store_n_cas(s), 5);
    assert_int_equal(cred_store_n_crls(s), files_in("x509crl"));
    assert_int_equal(cred_store_n_crls(s), 2);
    char path[512];
    snprintf(path, sizeof path, "%s/x509", CERTS);
    DIR *d = opendir(path);
    size_t n = 0;
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        X509 *x = fixture_cert(s, e->d_name);
        if (!cred_store_key_for(s, x))
            fail_msg("no key for %s", e->d_name);
        n++;
    }
    closedir(d);
    assert_int_equal(n, 16);
    assert_null(cred_store_cert(s, "nosuchCert.pem"));
    cred_store_unref(s);
}

/* key_for gives the key of that certificate (its public half), not another */
static void key_for_finds_the_right_key(void **st)
{
    (void)st;
    struct cred_store *s = fixture_load();
    for (size_t i = 0; i < sizeof ee_keys / sizeof ee_keys[0]; i++) {
        X509 *x = fixture_cert(s, ee_keys[i].cert);
        EVP_PKEY *k = cred_store_key_for(s, x);
        if (!k || !EVP_PKEY_is_a(k, ee_keys[i].type) || EVP_PKEY_eq(k, X509_get0_pubkey(x)) != 1)
            fail_msg("%s: no %s key or not its key", ee_keys[i].cert, ee_keys[i].type);
        for (size_t j = 0; j < i; j++)
            assert_ptr_not_equal(k, cred_store_key_for(s, fixture_cert(s, ee_keys[j].cert)));
    }
    /* CAs whose keys we do not hold, and a certificate from outside */
    assert_null(cred_store_key_for(s, fixture_cert(s, "interCert.der")));
    X509 *evil = fixture_read_cert("other/evilcaCert.pem");
    assert_null(cred_store_key_for(s, evil));
    X509_free(evil);
    cred_store_unref(s);
}

static int load_with(const struct cred_pass *pass, size_t n, char *err, size_t cap)
{
    struct cred_store *s = NULL;
    int rc = cred_store_load(CERTS, pass, n, &s, err, cap, NULL, NULL);
    assert_true(rc ? s == NULL : s != NULL);
    cred_store_unref(s);
    return rc;
}

/* each encrypted key without its passphrase, or with a wrong one, is an
 * error naming the file; the three formats: encrypted PKCS#8 PEM and DER,
 * legacy PEM encryption of PKCS#1 */
static void passphrases(void **st)
{
    (void)st;
    static const char *const path[] = { "private/ed448Key.pem", "pkcs8/rsapssKey.der", "private/rootKey.pem" };
    char err[512];
    for (size_t miss = 0; miss < 3; miss++) {
        struct cred_pass p[3];
        size_t n = 0;
        for (size_t i = 0; i < 3; i++)
            if (i != miss)
                p[n++] = fixture_pass[i];
        assert_int_equal(load_with(p, n, err, sizeof err), KITE_E_INVALID_ARG);
        if (!strstr(err, path[miss]) || !strstr(err, "no passphrase"))
            fail_msg("missing passphrase of %s: '%s'", path[miss], err);
        p[n] = fixture_pass[miss];
        p[n].pass = span_of("wrong-pass", 10);
        assert_int_equal(load_with(p, 3, err, sizeof err), KITE_E_INVALID_ARG);
        if (!strstr(err, path[miss]) || !strstr(err, "wrong passphrase"))
            fail_msg("wrong passphrase of %s: '%s'", path[miss], err);
    }
    /* the file named by its full path, as strongSwan also accepts */
    struct cred_pass p[3] = { fixture_pass[0], fixture_pass[1], fixture_pass[2] };
    p[0].file = CERTS "/private/ed448Key.pem";
    assert_int_equal(load_with(p, 3, err, sizeof err), 0);
}

static void write_file(const char *dir, const char *rel, const void *data, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    *strrchr(path, '/') = 0;
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static char warned[1024];
static void on_warn(void *ctx, const char *msg)
{
    (void)ctx;
    snprintf(warned + strlen(warned), sizeof warned - strlen(warned), "%s\n", msg);
}

/* load dir with the fixture passphrases: the error text, or "" */
static const char *load_error(const char *dir, char *err, size_t cap)
{
    struct cred_store *s = NULL;
    err[0] = 0;
    int rc = cred_store_load(dir, fixture_pass, 3, &s, err, cap, on_warn, NULL);
    assert_true(rc ? s == NULL && err[0] : s != NULL);
    cred_store_unref(s);
    return err;
}

/* an undecodable file, a key of the wrong type for its directory, an
 * end-entity in x509ca/ are errors naming the file; no directories is an
 * empty store; a passphrase for no file is a warning */
static void bad_files(void **st)
{
    (void)st;
    char dir[64], err[512];
    static const char *const none[] = { NULL };
    static const char *const ec_in_rsa[] = { "ecdsa/p256Key.pem", NULL };
    fixture_subset(dir, none);
    warned[0] = 0;
    assert_string_equal(load_error(dir, err, sizeof err), "");
    assert_non_null(strstr(warned, "no key file 'ed448Key.pem'"));
    write_file(dir, "x509/junk.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", 60);
    assert_non_null(strstr(load_error(dir, err, sizeof err), "x509/junk.pem: not an X.509 certificate"));
    fixture_remove(dir);
    fixture_subset(dir, none);
    write_file(dir, "x509crl/junk.crl", "\x30\x03\x02\x01\x01", 5);
    assert_non_null(strstr(load_error(dir, err, sizeof err), "x509crl/junk.crl: not a CRL"));
    fixture_remove(dir);
    fixture_subset(dir, none);
    write_file(dir, "private/junk.key", "not a key", 9);
    assert_non_null(strstr(load_error(dir, err, sizeof err), "private/junk.key: not a private key"));
    fixture_remove(dir);
    fixture_subset(dir, ec_in_rsa);
    char from[512], to[512];
    snprintf(from, sizeof from, "%s/ecdsa", dir);
    snprintf(to, sizeof to, "%s/rsa", dir);
    assert_int_equal(rename(from, to), 0);
    assert_non_null(strstr(load_error(dir, err, sizeof err), "rsa/p256Key.pem: a EC key in rsa/"));
    fixture_remove(dir);
    fixture_subset(dir, none);
    size_t n;
    char *pem = read_source_file("tests/unit/data/certs/x509/p256Cert.pem", &n);
    write_file(dir, "x509ca/p256Cert.pem", pem, n);
    free(pem);
    assert_non_null(strstr(load_error(dir, err, sizeof err), "x509ca/p256Cert.pem: not a CA certificate"));
    fixture_remove(dir);
    struct cred_store *s = NULL;
    assert_int_equal(cred_store_load("/nonexistent-kite-dir", NULL, 0, &s, err, sizeof err, NULL, NULL), 0);
    assert_int_equal(cred_store_n_cas(s), 0);
    cred_store_unref(s);
}

/* CERTREQ (RFC 7296 3.7): SHA-1 of each CA's subjectPublicKeyInfo, as
 * `openssl x509 -pubkey | openssl pkey -pubin -outform DER | sha1sum`
 * gave at generation (certreq.txt) */
static void certreq_hashes(void **st)
{
    (void)st;
    struct cred_store *s = fixture_load();
    char *txt = read_source_file("tests/unit/data/certs/certreq.txt", NULL), *save = NULL;
    uint8_t one[20], all[5 * 20];
    size_t len, lines = 0;
    for (char *line = strtok_r(txt, "\n", &save); line; line = strtok_r(NULL, "\n", &save), lines++) {
        char *sp = strchr(line, ' ');
        assert_non_null(sp);
        *sp = 0;
        size_t hn;
        uint8_t *want = hex_decode(sp + 1, &hn);
        assert_int_equal(hn, 20);
        X509 *ca = fixture_cert(s, line);
        assert_int_equal(cred_store_certreq(s, &ca, 1, one, sizeof one, &len), 0);
        assert_int_equal(len, 20);
        assert_bytes_equal(one, want, 20);
        /* and at its place among all the store's CAs */
        assert_int_equal(cred_store_certreq(s, NULL, 0, all, sizeof all, &len), 0);
        assert_int_equal(len, 100);
        size_t i = 0;
        while (i < cred_store_n_cas(s) && cred_store_ca(s, i) != ca)
            i++;
        assert_true(i < 5);
        assert_bytes_equal(all + 20 * i, want, 20);
        free(want);
    }
    assert_int_equal(lines, 5);
    assert_int_equal(cred_store_certreq(s, NULL, 0, all, sizeof all - 1, &len), KITE_E_NO_SPACE);
    free(txt);
    cred_store_unref(s);
}

/* the intermediates we send after our certificate, up to (not including)
 * the root; and which CERTREQ hashes a certificate chains to */
static void chain_and_chains_to(void **st)
{
    (void)st;
    struct cred_store *s = fixture_load();
    X509 *out[4];
    X509 *inter = fixture_cert(s, "interCert.der"), *root = fixture_cert(s, "rootCert.pem");
    assert_int_equal(cred_store_chain(s, fixture_cert(s, "p256Cert.pem"), out, 4), 1);
    assert_ptr_equal(out[0], inter);
    assert_int_equal(cred_store_chain(s, fixture_cert(s, "directCert.pem"), out, 4), 0);
    assert_int_equal(cred_store_chain(s, fixture_cert(s, "evilCert.pem"), out, 4), 0);
    assert_int_equal(cred_store_chain(s, fixture_cert(s, "pathlenCert.pem"), out, 4), 2);
    assert_ptr_equal(out[0], fixture_cert(s, "ncsubCert.pem"));
    assert_ptr_equal(out[1], fixture_cert(s, "badcaCert.pem"));
    assert_int_equal(cred_store_chain(s, fixture_cert(s, "pathlenCert.pem"), out, 1), 1);
    uint8_t h[20];
    size_t len;
    X509 *p256 = fixture_cert(s, "p256Cert.pem");
    assert_int_equal(cred_store_certreq(s, &root, 1, h, sizeof h, &len), 0);
    assert_true(cred_store_chains_to(s, p256, h, len));
    assert_false(cred_store_chains_to(s, fixture_cert(s, "evilCert.pem"), h, len));
    assert_int_equal(cred_store_certreq(s, &inter, 1, h, sizeof h, &len), 0);
    assert_true(cred_store_chains_to(s, p256, h, len));
    assert_false(cred_store_chains_to(s, fixture_cert(s, "directCert.pem"), h, len));
    X509 *nc = fixture_cert(s, "ncCert.pem");
    assert_int_equal(cred_store_certreq(s, &nc, 1, h, sizeof h, &len), 0);
    assert_false(cred_store_chains_to(s, p256, h, len));
    assert_true(cred_store_chains_to(s, fixture_cert(s, "ncgoodCert.pem"), h, len));
    cred_store_unref(s);
}

/* a reference keeps the snapshot (and its certificates) alive */
static void references(void **st)
{
    (void)st;
    struct cred_store *s = fixture_load(), *e = NULL;
    assert_ptr_equal(cred_store_ref(s), s);
    X509 *x = fixture_cert(s, "p256Cert.pem");
    cred_store_unref(s);
    assert_non_null(X509_get_subject_name(x)); /* ASan: still alive */
    cred_store_unref(s);
    assert_int_equal(cred_store_empty(&e), 0);
    assert_int_equal(cred_store_n_cas(e), 0);
    assert_null(cred_store_key_for(e, NULL));
    cred_store_unref(e);
    cred_store_unref(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_file_loads),    cmocka_unit_test(key_for_finds_the_right_key),
        cmocka_unit_test(passphrases),         cmocka_unit_test(bad_files),
        cmocka_unit_test(certreq_hashes),      cmocka_unit_test(chain_and_chains_to),
        cmocka_unit_test(references),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
