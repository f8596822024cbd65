/* crypto/sig against the openssl CLI and RFC 7427 appendix A.
 * Vectors: tests/kat/data/sig/vectors.txt, signatures made by the openssl CLI
 * with the keys beside it (tests/kat/data/sig/gen.sh).  Our own signatures
 * are checked by the openssl CLI too (`openssl dgst -verify`, `pkeyutl
 * -verify`), so neither side is only checked against itself. */
#include "katfile.h"
#include "crypto/sig.h"
#include "wire/ike.h"
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DATA "tests/kat/data/sig/"
enum { DS = IKEV2_AUTH_DIGITAL_SIGNATURE };

/* ---- RFC 7427 appendix A (and RFC 8420 appendix A), as printed there ---- */

struct rfc_algid {
    const char *what, *key; /* key: a key of tests/kat/data/sig it applies to */
    uint8_t hash;
    bool pss;
    const char *hex;
};

static const struct rfc_algid rfc_algids[] = {
    /* RFC 7427 A.1.1 .. A.1.4: sha*WithRSAEncryption, parameters NULL */
    { "A.1.1 sha1WithRSAEncryption", "rsa2048", SIG_HASH_SHA1, false, "300d06092a864886f70d0101050500" },
    { "A.1.2 sha256WithRSAEncryption", "rsa2048", SIG_HASH_SHA256, false, "300d06092a864886f70d01010b0500" },
    { "A.1.3 sha384WithRSAEncryption", "rsa2048", SIG_HASH_SHA384, false, "300d06092a864886f70d01010c0500" },
    { "A.1.4 sha512WithRSAEncryption", "rsa2048", SIG_HASH_SHA512, false, "300d06092a864886f70d01010d0500" },
    /* RFC 7427 A.3.1 .. A.3.4: ecdsa-with-SHA*, no parameters */
    { "A.3.1 ecdsa-with-sha1", "ecdsa256", SIG_HASH_SHA1, false, "300906072a8648ce3d0401" },
    { "A.3.2 ecdsa-with-sha256", "ecdsa256", SIG_HASH_SHA256, false, "300a06082a8648ce3d040302" },
    { "A.3.3 ecdsa-with-sha384", "ecdsa384", SIG_HASH_SHA384, false, "300a06082a8648ce3d040303" },
    { "A.3.4 ecdsa-with-sha512", "ecdsa521", SIG_HASH_SHA512, false, "300a06082a8648ce3d040304" },
    /* RFC 7427 A.4.3: RSASSA-PSS with SHA-256, MGF1 with SHA-256, salt 32 (67 bytes) */
    { "A.4.3 RSASSA-PSS with SHA-256", "rsa2048", SIG_HASH_SHA256, true,
      "304106092a864886f70d01010a3034a00f300d06096086480165030402010500"
      "a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120" },
    { "A.4.3 on an RSA-PSS key", "rsapss2048", SIG_HASH_SHA256, true,
      "304106092a864886f70d01010a3034a00f300d06096086480165030402010500"
      "a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120" },
    /* not in RFC 7427: A.4.3 with SHA-384 / SHA-512 and salt 48 / 64 (the hash
     * OIDs of RFC 4055 2.1), as strongSwan sends them */
    { "A.4.3 with SHA-384", "rsa2048", SIG_HASH_SHA384, true,
      "304106092a864886f70d01010a3034a00f300d06096086480165030402020500"
      "a11c301a06092a864886f70d010108300d06096086480165030402020500a203020130" },
    { "A.4.3 with SHA-512", "rsapss2048", SIG_HASH_SHA512, true,
      "304106092a864886f70d01010a3034a00f300d06096086480165030402030500"
      "a11c301a06092a864886f70d010108300d06096086480165030402030500a203020140" },
    /* RFC 8420 appendix A.1, A.2: id-Ed25519, id-Ed448 (RFC 8410 3) */
    { "RFC 8420 A.1 Ed25519", "ed25519", SIG_HASH_IDENTITY, false, "300506032b6570" },
    { "RFC 8420 A.2 Ed448", "ed448", SIG_HASH_IDENTITY, false, "300506032b6571" },
};
enum { N_RFC = sizeof rfc_algids / sizeof rfc_algids[0] };

/* RFC 7427 A.4.1 (parameters absent) and A.4.2 (default parameters): both
 * mean SHA-1 */
static const char pss_absent_hex[] = "300b06092a864886f70d01010a";
static const char pss_default_hex[] = "300d06092a864886f70d01010a3000";

/* ---- helpers ------------------------------------------------------------ */

static EVP_PKEY *load_key(const char *name, bool pub)
{
    char rel[256];
    snprintf(rel, sizeof rel, DATA "%s%s", name, pub ? ".pub.pem" : ".pem");
    size_t n;
    char *pem = read_source_file(rel, &n);
    BIO *b = BIO_new_mem_buf(pem, (int)n);
    EVP_PKEY *k = pub ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    free(pem);
    if (!k)
        fail_msg("cannot read %s", rel);
    return k;
}

/* the message of vectors.txt, and the octets as three pieces (RFC 7296 2.15
 * signs message | nonce | prf output: sig_sign takes them apart) */
static uint8_t *msg;
static size_t msg_len;
static struct span octets[3];

static void load_msg(void)
{
    struct kat_file f;
    struct kat_rec r = { 0 };
    kat_open(&f, DATA "vectors.txt");
    assert_true(kat_next(&f, &r));
    assert_string_equal(r.name, "msg");
    msg = kat_hex(&r, "data", &msg_len);
    kat_close(&f, &r);
    assert_true(msg_len > 200);
    octets[0] = span_of(msg, 7);
    octets[1] = span_of(msg + 7, 100);
    octets[2] = span_of(msg + 107, msg_len - 107);
}

static int setup(void **state)
{
    (void)state;
    load_msg();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(msg);
    return 0;
}

static uint8_t hash_id(const char *name)
{
    if (!strcmp(name, "sha1"))
        return SIG_HASH_SHA1;
    if (!strcmp(name, "sha256"))
        return SIG_HASH_SHA256;
    if (!strcmp(name, "sha384"))
        return SIG_HASH_SHA384;
    if (!strcmp(name, "sha512"))
        return SIG_HASH_SHA512;
    assert_string_equal(name, "identity");
    return SIG_HASH_IDENTITY;
}

/* the RFC's AlgorithmIdentifier for a key's family and hash */
static const struct rfc_algid *rfc_for(const char *key, uint8_t hash, bool pss)
{
    bool rsa = !strncmp(key, "rsa", 3), ec = !strncmp(key, "ecdsa", 5);
    for (size_t i = 0; i < N_RFC; i++) {
        const struct rfc_algid *a = &rfc_algids[i];
        bool arsa = !strncmp(a->key, "rsa", 3), aec = !strncmp(a->key, "ecdsa", 5);
        if (a->hash == hash && a->pss == pss && arsa == rsa && aec == ec && (rsa || ec || !strcmp(a->key, key)))
            return a;
    }
    fail_msg("no AlgorithmIdentifier for %s hash %u", key, hash);
    return NULL;
}

/* method 14 AUTH data: length | AlgorithmIdentifier | signature (RFC 7427 3) */
static size_t ds_auth(const char *algid_hex, const uint8_t *sig, size_t n, uint8_t *out)
{
    size_t alen;
    uint8_t *algid = hex_decode(algid_hex, &alen);
    out[0] = (uint8_t)alen;
    memcpy(out + 1, algid, alen);
    memcpy(out + 1 + alen, sig, n);
    free(algid);
    return 1 + alen + n;
}

static int verify(EVP_PKEY *k, uint8_t method, const uint8_t *auth, size_t n, unsigned flags,
                  struct sig_scheme *used, char *why)
{
    return sig_verify_ex(k, method, span_of(auth, n), octets, 3, flags, used, why, 200);
}

static void expect_refused(EVP_PKEY *k, uint8_t method, const uint8_t *auth, size_t n, const char *reason)
{
    struct sig_scheme used;
    char why[200];
    assert_int_equal(verify(k, method, auth, n, SIG_ALLOW_SHA1, &used, why), KITE_E_AUTH_FAILED);
    if (reason && !strstr(why, reason))
        fail_msg("reason \"%s\", expected \"%s\"", why, reason);
}

/* ---- the openssl CLI ---------------------------------------------------- */

static char tmpdir[] = "/tmp/kite-sig-XXXXXX";

static void write_file(const char *name, const uint8_t *p, size_t n)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* whether `openssl` accepts sig (raw: DER for ECDSA) by key over the message */
static bool openssl_verifies(const char *key, const char *scheme, const char *hash, const uint8_t *sig, size_t n)
{
    char cmd[1024], pub[512], opts[160] = "";
    write_file("sig", sig, n);
    snprintf(pub, sizeof pub, "%s/" DATA "%s.pub.pem", KITE_SOURCE_DIR, key);
    if (!strcmp(scheme, "pss")) /* salt = hash length exactly, MGF1 with the hash */
        snprintf(opts, sizeof opts, "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest "
                 "-sigopt rsa_mgf1_md:%s", hash);
    if (!strcmp(scheme, "eddsa"))
        snprintf(cmd, sizeof cmd, "openssl pkeyutl -verify -pubin -inkey %s -rawin -in %s/msg "
                 "-sigfile %s/sig >/dev/null 2>&1", pub, tmpdir, tmpdir);
    else
        snprintf(cmd, sizeof cmd, "openssl dgst -%s -verify %s -signature %s/sig %s %s/msg >/dev/null 2>&1",
                 hash, pub, tmpdir, opts, tmpdir);
    int rc = system(cmd);
    assert_true(rc != -1 && WIFEXITED(rc));
    return WEXITSTATUS(rc) == 0;
}

static int setup_cli(void **state)
{
    setup(state);
    strcpy(tmpdir, "/tmp/kite-sig-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    write_file("msg", msg, msg_len);
    return 0;
}

static int teardown_cli(void **state)
{
    char path[128];
    snprintf(path, sizeof path, "%s/msg", tmpdir);
    unlink(path);
    snprintf(path, sizeof path, "%s/sig", tmpdir);
    unlink(path);
    rmdir(tmpdir);
    return teardown(state);
}

/* ---- tests ------------------------------------------------------------- */

/* sig_algid writes RFC 7427 appendix A's bytes, byte for byte */
static void algids_are_rfc7427s(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_RFC; i++) {
        const struct rfc_algid *a = &rfc_algids[i];
        EVP_PKEY *k = load_key(a->key, false);
        struct sig_scheme s = { DS, a->hash, a->pss };
        uint8_t out[128];
        size_t n, want_n;
        uint8_t *want = hex_decode(a->hex, &want_n);
        assert_int_equal(sig_algid(k, &s, out, sizeof out, &n), 0);
        if (n != want_n || memcmp(out, want, n))
            fail_msg("%s: %zu bytes differ from the RFC's %zu", a->what, n, want_n);
        /* the same from the public key */
        EVP_PKEY *p = load_key(a->key, true);
        assert_int_equal(sig_algid(p, &s, out, sizeof out, &n), 0);
        assert_bytes_equal(out, want, want_n);
        /* and one byte short is NO_SPACE */
        assert_int_equal(sig_algid(k, &s, out, want_n - 1, &n), KITE_E_NO_SPACE);
        free(want);
        EVP_PKEY_free(k);
        EVP_PKEY_free(p);
    }
}

/* no AlgorithmIdentifier for what the key cannot do or a classic method */
static void algid_refusals(void **state)
{
    (void)state;
    uint8_t out[128];
    size_t n;
    EVP_PKEY *rsa = load_key("rsa2048", false), *pss = load_key("rsapss2048", false);
    EVP_PKEY *ed = load_key("ed25519", false);
    struct sig_scheme classic = { IKEV2_AUTH_RSA_SIG, SIG_HASH_SHA1, false };
    struct sig_scheme pkcs1 = { DS, SIG_HASH_SHA256, false }, pss_sha1 = { DS, SIG_HASH_SHA1, true };
    struct sig_scheme ed_sha = { DS, SIG_HASH_SHA256, false }, rsa_id = { DS, SIG_HASH_IDENTITY, false };
    assert_int_equal(sig_algid(rsa, &classic, out, sizeof out, &n), KITE_E_UNSUPPORTED);
    assert_int_equal(sig_algid(pss, &pkcs1, out, sizeof out, &n), KITE_E_UNSUPPORTED);
    assert_int_equal(sig_algid(rsa, &pss_sha1, out, sizeof out, &n), KITE_E_UNSUPPORTED);
    assert_int_equal(sig_algid(ed, &ed_sha, out, sizeof out, &n), KITE_E_UNSUPPORTED);
    assert_int_equal(sig_algid(rsa, &rsa_id, out, sizeof out, &n), KITE_E_UNSUPPORTED);
    assert_int_equal(n, 0);
    EVP_PKEY_free(rsa), EVP_PKEY_free(pss), EVP_PKEY_free(ed);
}

/* a vector's AUTH data under method 14 verifies (SHA-1 only when allowed), a
 * flipped bit anywhere in the signature or the octets does not */
static void check_ds_vector(const struct kat_rec *r, EVP_PKEY *pub, const uint8_t *sig, size_t n)
{
    const char *scheme = kat_get(r, "scheme");
    uint8_t hash = hash_id(kat_get(r, "hash")), auth[SIG_MAX + 128];
    bool pss = !strcmp(scheme, "pss");
    const struct rfc_algid *a = rfc_for(kat_get(r, "key"), hash, pss);
    size_t len = ds_auth(a->hex, sig, n, auth), sig_at = len - n;
    struct sig_scheme used;
    char why[200];
    if (hash == SIG_HASH_SHA1) {
        assert_int_equal(verify(pub, DS, auth, len, 0, &used, why), KITE_E_AUTH_FAILED);
        assert_string_equal(why, "hash SHA1 not allowed");
    }
    if (verify(pub, DS, auth, len, SIG_ALLOW_SHA1, &used, why))
        fail_msg("[%s]: %s", r->name, why);
    assert_int_equal(used.method, DS);
    assert_int_equal(used.hash, hash);
    assert_int_equal(used.pss, pss);
    for (size_t bit = 0; bit < n * 8; bit += n * 8 / 5 + 1) {
        auth[sig_at + bit / 8] ^= (uint8_t)(1 << (bit % 8));
        expect_refused(pub, DS, auth, len, NULL);
        auth[sig_at + bit / 8] ^= (uint8_t)(1 << (bit % 8));
    }
    msg[150] ^= 0x20;
    expect_refused(pub, DS, auth, len, "bad signature");
    msg[150] ^= 0x20;
    assert_int_equal(verify(pub, DS, auth, len, SIG_ALLOW_SHA1, &used, why), 0);
}

/* the classic methods: RSA (1) with the SHA-1 vector, ECDSA (9-11) with r | s */
static void check_classic_vector(const struct kat_rec *r, EVP_PKEY *pub, const uint8_t *sig, size_t n)
{
    const char *key = kat_get(r, "key"), *hash = kat_get(r, "hash");
    struct sig_scheme used;
    char why[200];
    uint8_t method = 0;
    if (!strcmp(key, "rsa2048") && !strcmp(hash, "sha1") && !strcmp(kat_get(r, "scheme"), "pkcs1"))
        method = IKEV2_AUTH_RSA_SIG;
    else if (!strcmp(key, "ecdsa256") && !strcmp(hash, "sha256"))
        method = IKEV2_AUTH_ECDSA_SHA256_P256;
    else if (!strcmp(key, "ecdsa384") && !strcmp(hash, "sha384"))
        method = IKEV2_AUTH_ECDSA_SHA384_P384;
    else if (!strcmp(key, "ecdsa521") && !strcmp(hash, "sha512"))
        method = IKEV2_AUTH_ECDSA_SHA512_P521;
    if (!method)
        return;
    size_t rn = n;
    uint8_t *rs = method == IKEV2_AUTH_RSA_SIG ? NULL : kat_hex(r, "rs", &rn);
    const uint8_t *s = rs ? rs : sig;
    /* classic RSA is SHA-1 by definition: accepted without SIG_ALLOW_SHA1 */
    if (verify(pub, method, s, rn, 0, &used, why))
        fail_msg("[%s] as method %u: %s", r->name, method, why);
    assert_int_equal(used.method, method);
    assert_int_equal(used.hash, hash_id(hash));
    uint8_t *bad = malloc(rn);
    memcpy(bad, s, rn);
    bad[rn - 1] ^= 1;
    expect_refused(pub, method, bad, rn, "bad signature");
    /* the DER form under a classic ECDSA method is the wrong length */
    if (rs)
        expect_refused(pub, method, sig, n, "signature of");
    free(bad);
    free(rs);
}

static void openssl_signatures_verify(void **state)
{
    (void)state;
    struct kat_file f;
    struct kat_rec r = { 0 };
    int count = 0;
    kat_open(&f, DATA "vectors.txt");
    assert_true(kat_next(&f, &r)); /* [msg] */
    while (kat_next(&f, &r)) {
        EVP_PKEY *pub = load_key(kat_get(&r, "key"), true);
        size_t n;
        uint8_t *sig = kat_hex(&r, "sig", &n);
        check_ds_vector(&r, pub, sig, n);
        check_classic_vector(&r, pub, sig, n);
        free(sig);
        EVP_PKEY_free(pub);
        count++;
    }
    kat_close(&f, &r);
    assert_int_equal(count, 25);
}

/* r | s of fixed length back to DER for the openssl CLI */
static size_t rs_to_der(const uint8_t *rs, size_t n, uint8_t *out)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    assert_int_equal(ECDSA_SIG_set0(es, BN_bin2bn(rs, (int)n / 2, NULL), BN_bin2bn(rs + n / 2, (int)n / 2, NULL)), 1);
    unsigned char *p = out;
    int len = i2d_ECDSA_SIG(es, &p);
    ECDSA_SIG_free(es);
    assert_true(len > 0);
    return (size_t)len;
}

/* sig_sign of a vector's scheme: the AlgorithmIdentifier prefix is the RFC's,
 * the signature verifies with openssl (a flipped bit does not) and with
 * sig_verify; PKCS#1 v1.5 and EdDSA are deterministic: openssl's bytes */
static void sign_vector(const struct kat_rec *r)
{
    const char *key = kat_get(r, "key"), *scheme = kat_get(r, "scheme"), *hname = kat_get(r, "hash");
    uint8_t hash = hash_id(hname), out[SIG_MAX];
    bool pss = !strcmp(scheme, "pss");
    struct sig_scheme s = { DS, hash, pss }, used;
    EVP_PKEY *k = load_key(key, false), *pub = load_key(key, true);
    size_t len, alen, vn;
    char why[200];
    const struct rfc_algid *a = rfc_for(key, hash, pss);
    assert_int_equal(sig_sign(k, &s, octets, 3, out, sizeof out, &len), 0);
    uint8_t *want = hex_decode(a->hex, &alen), *vsig = kat_hex(r, "sig", &vn);
    assert_int_equal(out[0], alen);
    assert_bytes_equal(out + 1, want, alen);
    const uint8_t *raw = out + 1 + alen;
    size_t rawn = len - 1 - alen;
    if (!strcmp(scheme, "pkcs1") || !strcmp(scheme, "eddsa")) {
        assert_int_equal(rawn, vn);
        assert_bytes_equal(raw, vsig, vn);
    }
    if (!openssl_verifies(key, scheme, hname, raw, rawn))
        fail_msg("openssl refuses our [%s]", r->name);
    out[len - 3] ^= 0x10;
    if (openssl_verifies(key, scheme, hname, raw, rawn))
        fail_msg("openssl accepts our [%s] with a flipped bit", r->name);
    out[len - 3] ^= 0x10;
    assert_int_equal(verify(pub, DS, out, len, SIG_ALLOW_SHA1, &used, why), 0);
    /* too little room: one byte short (ECDSA's DER varies in length: room
     * for the AlgorithmIdentifier only) */
    size_t short_cap = strcmp(scheme, "ecdsa") ? len - 1 : 1 + alen;
    assert_int_equal(sig_sign(k, &s, octets, 3, out, short_cap, &len), KITE_E_NO_SPACE);
    assert_int_equal(len, 0);
    free(want), free(vsig);
    EVP_PKEY_free(k), EVP_PKEY_free(pub);
}

static void sign_matches_openssl(void **state)
{
    (void)state;
    struct kat_file f;
    struct kat_rec r = { 0 };
    int count = 0;
    kat_open(&f, DATA "vectors.txt");
    assert_true(kat_next(&f, &r));
    while (kat_next(&f, &r)) {
        if (!strcmp(kat_get(&r, "hash"), "sha1"))
            continue; /* never signed by choice; verified above */
        sign_vector(&r);
        count++;
    }
    kat_close(&f, &r);
    assert_int_equal(count, 21);
}

/* classic methods: RSA (1) gives openssl's PKCS#1 v1.5 SHA-1 bytes; ECDSA
 * (9, 10, 11) r | s of 2 x 32/48/66 bytes that openssl accepts as DER and
 * sig_verify as r | s */
static void classic_round_trips(void **state)
{
    (void)state;
    static const struct {
        const char *key, *hash;
        uint8_t method;
        size_t len;
    } c[] = {
        { "ecdsa256", "sha256", IKEV2_AUTH_ECDSA_SHA256_P256, 64 },
        { "ecdsa384", "sha384", IKEV2_AUTH_ECDSA_SHA384_P384, 96 },
        { "ecdsa521", "sha512", IKEV2_AUTH_ECDSA_SHA512_P521, 132 },
    };
    uint8_t out[SIG_MAX], der[200];
    size_t len;
    struct sig_scheme used;
    char why[200];
    for (size_t i = 0; i < 3; i++) {
        EVP_PKEY *k = load_key(c[i].key, false), *pub = load_key(c[i].key, true);
        struct sig_scheme s;
        assert_int_equal(sig_choose(k, NULL, 0, false, &s), 0);
        assert_int_equal(s.method, c[i].method);
        /* signatures vary: several, so that short r or s (padding) turn up */
        for (int round = 0; round < 8; round++) {
            assert_int_equal(sig_sign(k, &s, octets, 3, out, sizeof out, &len), 0);
            assert_int_equal(len, c[i].len);
            assert_int_equal(verify(pub, c[i].method, out, len, 0, &used, why), 0);
            assert_int_equal(used.method, c[i].method);
            if (round == 0 && !openssl_verifies(c[i].key, "ecdsa", c[i].hash, der, rs_to_der(out, len, der)))
                fail_msg("openssl refuses our classic %s", c[i].key);
        }
        EVP_PKEY_free(k), EVP_PKEY_free(pub);
    }
    /* RSA method 1: openssl's bytes */
    EVP_PKEY *k = load_key("rsa2048", false);
    struct sig_scheme s = { IKEV2_AUTH_RSA_SIG, SIG_HASH_SHA1, false };
    struct kat_file f;
    struct kat_rec r = { 0 };
    kat_open(&f, DATA "vectors.txt");
    while (kat_next(&f, &r) && strcmp(r.name, "rsa2048_pkcs1_sha1"))
        ;
    size_t vn;
    uint8_t *v = kat_hex(&r, "sig", &vn);
    assert_int_equal(sig_sign(k, &s, octets, 3, out, sizeof out, &len), 0);
    assert_int_equal(len, vn);
    assert_bytes_equal(out, v, vn);
    free(v);
    kat_close(&f, &r);
    EVP_PKEY_free(k);
}

/* a signature of one key type under another's AlgorithmIdentifier or method */
static void wrong_key_type(void **state)
{
    (void)state;
    EVP_PKEY *rsa = load_key("rsa2048", true), *pss = load_key("rsapss2048", true);
    EVP_PKEY *ec = load_key("ecdsa256", true), *ec384 = load_key("ecdsa384", true);
    EVP_PKEY *ed = load_key("ed25519", true), *ed448 = load_key("ed448", true);
    uint8_t sig[64] = { 1 }, auth[256];
    size_t n;
    n = ds_auth(rfc_algids[5].hex, sig, sizeof sig, auth); /* ecdsa-with-sha256 */
    expect_refused(rsa, DS, auth, n, "RSA key with an ECDSA signature algorithm");
    expect_refused(ed, DS, auth, n, "Ed25519 key with an ECDSA signature algorithm");
    n = ds_auth(rfc_algids[1].hex, sig, sizeof sig, auth); /* sha256WithRSAEncryption */
    expect_refused(ec, DS, auth, n, "ECDSA P-256 key with an RSA PKCS#1 v1.5 signature algorithm");
    expect_refused(pss, DS, auth, n, "RSA-PSS key with an RSA PKCS#1 v1.5 signature algorithm");
    n = ds_auth(rfc_algids[8].hex, sig, sizeof sig, auth); /* RSASSA-PSS */
    expect_refused(ec, DS, auth, n, "ECDSA P-256 key with an RSASSA-PSS signature algorithm");
    n = ds_auth(rfc_algids[13].hex, sig, sizeof sig, auth); /* Ed448 */
    expect_refused(ed, DS, auth, n, "Ed25519 key with an Ed448 signature algorithm");
    n = ds_auth(rfc_algids[12].hex, sig, sizeof sig, auth); /* Ed25519 */
    expect_refused(ed448, DS, auth, n, "Ed448 key with an Ed25519 signature algorithm");
    expect_refused(rsa, DS, auth, n, "RSA key with an Ed25519 signature algorithm");
    /* classic methods */
    expect_refused(rsa, IKEV2_AUTH_ECDSA_SHA256_P256, sig, sizeof sig, "RSA key with an ECDSA P-256 method");
    expect_refused(ec, IKEV2_AUTH_ECDSA_SHA384_P384, sig, sizeof sig, "ECDSA P-256 key with an ECDSA P-384 method");
    expect_refused(ec384, IKEV2_AUTH_ECDSA_SHA256_P256, sig, sizeof sig, "ECDSA P-384 key with an ECDSA P-256 method");
    expect_refused(ec, IKEV2_AUTH_RSA_SIG, sig, sizeof sig, "ECDSA P-256 key with an RSA method");
    expect_refused(pss, IKEV2_AUTH_RSA_SIG, sig, sizeof sig, "RSA-PSS key with an RSA method");
    expect_refused(ed, IKEV2_AUTH_RSA_SIG, sig, sizeof sig, "Ed25519 key with an RSA method");
    expect_refused(rsa, IKEV2_AUTH_SHARED_KEY_MIC, sig, sizeof sig, "unsupported authentication method 2");
    expect_refused(rsa, IKEV2_AUTH_DSS_SIG, sig, sizeof sig, "unsupported authentication method 3");
    expect_refused(ec, IKEV2_AUTH_ECDSA_SHA256_P256, sig, 63, "ECDSA P-256 signature of 63 bytes, not 64");
    EVP_PKEY_free(rsa), EVP_PKEY_free(pss), EVP_PKEY_free(ec), EVP_PKEY_free(ec384);
    EVP_PKEY_free(ed), EVP_PKEY_free(ed448);
}

/* every prefix of valid AUTH data, and malformed or unknown
 * AlgorithmIdentifiers, are refused with a reason (and read nothing outside
 * the input: ASan) */
static void truncated_and_garbage(void **state)
{
    (void)state;
    EVP_PKEY *rsa = load_key("rsa2048", false), *pub = load_key("rsa2048", true);
    struct sig_scheme s = { DS, SIG_HASH_SHA256, true }, used;
    uint8_t out[SIG_MAX];
    size_t len;
    char why[200];
    assert_int_equal(sig_sign(rsa, &s, octets, 3, out, sizeof out, &len), 0);
    for (size_t n = 0; n < len; n++) {
        uint8_t *cut = malloc(n ? n : 1); /* exactly n bytes, so ASan sees a read past them */
        memcpy(cut, out, n);
        assert_int_equal(verify(pub, DS, cut, n, 0, &used, why), KITE_E_AUTH_FAILED);
        assert_true(why[0] != 0);
        if (n <= 67)
            assert_null(strstr(why, "bad signature")); /* the AlgorithmIdentifier is cut */
        free(cut);
    }
    static const struct {
        const char *auth, *reason;
    } bad[] = {
        { "00", "does not hold its AlgorithmIdentifier" },
        { "0f300d06092a864886f70d01010b05", "does not hold its AlgorithmIdentifier" },
        /* the SEQUENCE longer than the AlgorithmIdentifier's length byte */
        { "0e300e06092a864886f70d01010b0500aa", "malformed AlgorithmIdentifier 300e" },
        /* bytes after the SEQUENCE */
        { "10300d06092a864886f70d01010b050000aa", "malformed AlgorithmIdentifier" },
        /* not a SEQUENCE; an OID that is an INTEGER */
        { "0f310d06092a864886f70d01010b0500aa", "malformed AlgorithmIdentifier" },
        { "0f300d02092a864886f70d01010b0500aa", "malformed AlgorithmIdentifier" },
        /* a long-form length that should be short (not DER) */
        { "10308106092a864886f70d01010b0500aa", "malformed AlgorithmIdentifier" },
        /* md5WithRSAEncryption, dsa-with-sha256, an empty OID */
        { "0f300d06092a864886f70d0101040500aa", "unknown signature algorithm 300d06092a864886f70d0101040500" },
        { "0d300b0609608648016503040302aa", "unknown signature algorithm" },
        { "04300206" "00aa", "unknown signature algorithm" },
        /* parameters that are not NULL on PKCS#1, any on ECDSA and Ed25519 */
        { "0f300d06092a864886f70d01010b0101aa", "unknown signature algorithm" },
        { "0e300c06082a8648ce3d0403020500aa", NULL },
        { "0b300906032b65700202aaaaaa", "unknown signature algorithm" },
        /* RSASSA-PSS: trailer field 2, a negative salt, MGF other than MGF1, hash MD5 */
        { "48304606092a864886f70d01010a3039a00f300d06096086480165030402010500a11c301a06092a864886f7"
          "0d010108300d06096086480165030402010500a203020120a303020102aa", "unknown signature algorithm" },
        { "43304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f7"
          "0d010108300d06096086480165030402010500a2030201a0aa", "unknown signature algorithm" },
        { "43304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f7"
          "0d010109300d06096086480165030402010500a203020120aa", "unknown signature algorithm" },
        { "40303e06092a864886f70d01010a3031a00c300a06082a864886f70d02050500a11c301a06092a864886f7"
          "0d010108300d06096086480165030402010500a203020120aa", "unknown signature algorithm" },
        /* RSASSA-PSS fields out of order ([2] before [1]) */
        { "43304106092a864886f70d01010a3034a00f300d06096086480165030402010500a203020120a11c301a0609"
          "2a864886f70d010108300d06096086480165030402010500aa", "malformed AlgorithmIdentifier" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n;
        uint8_t *a = hex_decode(bad[i].auth, &n);
        expect_refused(pub, DS, a, n, bad[i].reason);
        free(a);
    }
    /* an ECDSA key: ecdsa-with-SHA256 with NULL parameters is accepted as strongSwan does, so
     * it fails only on its (bogus) signature */
    EVP_PKEY *ec = load_key("ecdsa256", true);
    size_t n;
    uint8_t *a = hex_decode(bad[11].auth, &n);
    expect_refused(ec, DS, a, n, "bad signature");
    free(a);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(rsa), EVP_PKEY_free(pub);
}

/* SHA-1 in RFC 7427 AUTH data is refused unless allowed: the RFC's default
 * RSASSA-PSS parameters (A.4.1, A.4.2) mean SHA-1 too */
static void sha1_refused(void **state)
{
    (void)state;
    EVP_PKEY *pub = load_key("rsa2048", true);
    uint8_t sig[256] = { 0 }, auth[300];
    struct sig_scheme used;
    char why[200];
    const char *pss_sha1[] = { pss_absent_hex, pss_default_hex };
    for (int i = 0; i < 2; i++) {
        size_t n = ds_auth(pss_sha1[i], sig, sizeof sig, auth);
        assert_int_equal(verify(pub, DS, auth, n, 0, &used, why), KITE_E_AUTH_FAILED);
        assert_string_equal(why, "hash SHA1 not allowed");
        /* allowed, it is RSASSA-PSS SHA-1 and fails only on the signature */
        assert_int_equal(verify(pub, DS, auth, n, SIG_ALLOW_SHA1, &used, why), KITE_E_AUTH_FAILED);
        assert_string_equal(why, "bad signature");
        assert_int_equal(used.hash, SIG_HASH_SHA1);
        assert_true(used.pss);
    }
    /* the hashes we announce (RFC 7427 4): no SHA1 unless allowed */
    uint16_t h[8];
    assert_int_equal(sig_hashes_supported(h, 8), 4);
    assert_int_equal(h[0], SIG_HASH_SHA256);
    assert_int_equal(h[1], SIG_HASH_SHA384);
    assert_int_equal(h[2], SIG_HASH_SHA512);
    assert_int_equal(h[3], SIG_HASH_IDENTITY);
    assert_int_equal(sig_hashes_supported_ex(SIG_ALLOW_SHA1, h, 8), 5);
    assert_int_equal(h[4], SIG_HASH_SHA1);
    assert_int_equal(sig_hashes_supported(h, 2), 2);
    assert_string_equal(sig_hash_name(SIG_HASH_SHA384), "SHA2_384");
    EVP_PKEY_free(pub);
}

/* sig_choose: RFC 7427 when the peer announced hashes, our preference among
 * them; the classic method without; NO_PROPOSAL with nothing in common */
static void choose_by_peer_hashes(void **state)
{
    (void)state;
    static const struct {
        const char *key;
        uint16_t peer[4];
        size_t n;
        bool pss;
        int rc;
        uint8_t method, hash;
        bool want_pss;
    } c[] = {
        { "rsa2048", { 4, 3, 2 }, 3, false, 0, DS, SIG_HASH_SHA256, false },
        { "rsa2048", { 2, 3, 4 }, 3, true, 0, DS, SIG_HASH_SHA256, true },
        { "rsa2048", { 1, 4 }, 2, false, 0, DS, SIG_HASH_SHA512, false },
        { "rsa2048", { 1 }, 1, false, KITE_E_NO_PROPOSAL, 0, 0, false },
        { "rsa2048", { 5, 0xffff }, 2, false, KITE_E_NO_PROPOSAL, 0, 0, false },
        { "rsa2048", { 0 }, 0, false, 0, IKEV2_AUTH_RSA_SIG, SIG_HASH_SHA1, false },
        { "rsa2048", { 0 }, 0, true, 0, IKEV2_AUTH_RSA_SIG, SIG_HASH_SHA1, false },
        { "rsapss2048", { 3, 6 }, 2, false, 0, DS, SIG_HASH_SHA384, true },
        { "rsapss2048", { 0 }, 0, true, KITE_E_UNSUPPORTED, 0, 0, false },
        { "ecdsa384", { 2, 3, 4 }, 3, false, 0, DS, SIG_HASH_SHA384, false },
        { "ecdsa521", { 2, 3, 4 }, 3, false, 0, DS, SIG_HASH_SHA512, false },
        { "ecdsa521", { 3, 2 }, 2, false, 0, DS, SIG_HASH_SHA256, false },
        { "ecdsa256", { 5 }, 1, false, KITE_E_NO_PROPOSAL, 0, 0, false },
        { "ecdsa256", { 1 }, 1, false, KITE_E_NO_PROPOSAL, 0, 0, false },
        { "ecdsa256", { 0 }, 0, false, 0, IKEV2_AUTH_ECDSA_SHA256_P256, SIG_HASH_SHA256, false },
        { "ecdsa384", { 0 }, 0, false, 0, IKEV2_AUTH_ECDSA_SHA384_P384, SIG_HASH_SHA384, false },
        { "ecdsa521", { 0 }, 0, false, 0, IKEV2_AUTH_ECDSA_SHA512_P521, SIG_HASH_SHA512, false },
        { "ed25519", { 2, 5 }, 2, false, 0, DS, SIG_HASH_IDENTITY, false },
        { "ed448", { 5 }, 1, true, 0, DS, SIG_HASH_IDENTITY, false },
        { "ed25519", { 2, 3, 4 }, 3, false, KITE_E_NO_PROPOSAL, 0, 0, false },
        { "ed448", { 0 }, 0, false, KITE_E_UNSUPPORTED, 0, 0, false },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        EVP_PKEY *k = load_key(c[i].key, false), *pub = load_key(c[i].key, true);
        struct sig_scheme s, used;
        uint8_t out[SIG_MAX];
        size_t len;
        char why[200];
        int rc = sig_choose(k, c[i].peer, c[i].n, c[i].pss, &s);
        if (rc != c[i].rc || s.method != c[i].method || s.hash != c[i].hash || s.pss != c[i].want_pss)
            fail_msg("case %zu (%s): %d method %u hash %u pss %d", i, c[i].key, rc, s.method, s.hash, s.pss);
        if (!rc) { /* what was chosen signs, and verifies as that */
            assert_int_equal(sig_sign(k, &s, octets, 3, out, sizeof out, &len), 0);
            assert_int_equal(verify(pub, s.method, out, len, 0, &used, why), 0);
            assert_memory_equal(&used, &s, sizeof s);
        }
        EVP_PKEY_free(k), EVP_PKEY_free(pub);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(algids_are_rfc7427s),
        cmocka_unit_test(algid_refusals),
        cmocka_unit_test_setup_teardown(openssl_signatures_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(sign_matches_openssl, setup_cli, teardown_cli),
        cmocka_unit_test_setup_teardown(classic_round_trips, setup_cli, teardown_cli),
        cmocka_unit_test_setup_teardown(wrong_key_type, setup, teardown),
        cmocka_unit_test_setup_teardown(truncated_and_garbage, setup, teardown),
        cmocka_unit_test_setup_teardown(sha1_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(choose_by_peer_hashes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
