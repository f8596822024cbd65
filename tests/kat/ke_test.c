/* crypto/ke against RFC 5903 section 8 (ECP 256/384/521), RFC 5114 A.6/A.7
 * (ECP 192/224), RFC 6932/7027 (Brainpool 224/256/384/512), RFC 7748 sections
 * 5.2/6.1/6.2 (X25519, X448) and the RFC 2409/3526 MODP primes. */
#include "katfile.h"
#include "crypto/ke.h"
#include <stdlib.h>

static void check_pair(const struct kat_rec *r)
{
    uint16_t group = (uint16_t)kat_int(r, "group");
    size_t ni, nr, nshared, n;
    uint8_t *i = kat_hex(r, "i", &ni), *shared = kat_hex(r, "shared", &nshared);
    uint8_t pub_i[256], pub_r[256];
    struct ke ki, kr;
    struct secret s1, s2;
    assert_int_equal(ke_from_private(&ki, group, span_of(i, ni)), 0);
    assert_int_equal(ke_public(&ki, pub_i, sizeof pub_i, &n), 0);
    assert_int_equal(n, ki.xf->out_len);
    if (kat_get(r, "gi")) {
        size_t ngi;
        uint8_t *gi = kat_hex(r, "gi", &ngi);
        assert_int_equal(ngi, n);
        assert_bytes_equal(pub_i, gi, n);
        free(gi);
    }
    if (!kat_get(r, "r")) {
        /* scalar-multiplication vector: i times the given point */
        size_t ngr;
        uint8_t *gr = kat_hex(r, "gr", &ngr);
        assert_int_equal(ke_shared(&ki, span_of(gr, ngr), &s1), 0);
        assert_int_equal(s1.n, nshared);
        assert_bytes_equal(s1.p, shared, nshared);
        secret_free(&s1);
        ke_free(&ki);
        free(gr), free(i), free(shared);
        return;
    }
    uint8_t *rr = kat_hex(r, "r", &nr);
    assert_int_equal(ke_from_private(&kr, group, span_of(rr, nr)), 0);
    assert_int_equal(ke_public(&kr, pub_r, sizeof pub_r, &n), 0);
    if (kat_get(r, "gr")) {
        size_t ngr;
        uint8_t *gr = kat_hex(r, "gr", &ngr);
        assert_bytes_equal(pub_r, gr, ngr);
        free(gr);
    }
    /* both sides reach the published g^ir */
    assert_int_equal(ke_shared(&ki, span_of(pub_r, n), &s1), 0);
    assert_int_equal(ke_shared(&kr, span_of(pub_i, n), &s2), 0);
    assert_int_equal(s1.n, nshared);
    assert_bytes_equal(s1.p, shared, nshared);
    assert_bytes_equal(s2.p, shared, nshared);
    secret_free(&s1), secret_free(&s2);
    ke_free(&ki), ke_free(&kr);
    free(i), free(rr), free(shared);
}

static void run_file(const char *path, int expect)
{
    struct kat_file f;
    struct kat_rec r = { 0 };
    int count = 0;
    kat_open(&f, path);
    while (kat_next(&f, &r)) {
        check_pair(&r);
        count++;
    }
    kat_close(&f, &r);
    assert_int_equal(count, expect);
}

static void rfc5903_ecp(void **state)
{
    (void)state;
    run_file("tests/kat/data/rfc5903_ecp.txt", 3);
}

static void rfc5114_brainpool_ecp(void **state)
{
    (void)state;
    run_file("tests/kat/data/ecp_more.txt", 6);
}

/* a KE payload value off the curve, or of the wrong length, is refused
 * for each of the groups added with them */
static void more_ecp_points_checked(void **state)
{
    (void)state;
    struct kat_file f;
    struct kat_rec r = { 0 };
    kat_open(&f, "tests/kat/data/ecp_more.txt");
    while (kat_next(&f, &r)) {
        uint16_t group = (uint16_t)kat_int(&r, "group");
        size_t n;
        uint8_t *gi = kat_hex(&r, "gi", &n);
        assert_int_equal(ke_check_public(group, span_of(gi, n)), 0);
        assert_int_equal(ke_check_public(group, span_of(gi, n - 1)), KITE_E_BAD_PUBLIC_KEY);
        gi[n - 1] ^= 1; /* y changed: not on the curve */
        assert_int_equal(ke_check_public(group, span_of(gi, n)), KITE_E_BAD_PUBLIC_KEY);
        free(gi);
    }
    kat_close(&f, &r);
}

static void rfc7748_x25519_x448(void **state)
{
    (void)state;
    run_file("tests/kat/data/rfc7748.txt", 3);
}

/* the primes in use are the RFC's, and generated MODP keys agree with
 * public values padded to the modulus length */
static void modp_groups(void **state)
{
    (void)state;
    struct kat_file f;
    struct kat_rec r = { 0 };
    int count = 0;
    kat_open(&f, "tests/kat/data/modp_primes.txt");
    while (kat_next(&f, &r)) {
        uint16_t group = (uint16_t)kat_int(&r, "group");
        size_t np, n, n2;
        uint8_t *p = kat_hex(&r, "p", &np), mine[1024], *pa = malloc(1024), *pb = malloc(1024);
        assert_int_equal(ke_modp_prime(group, mine, sizeof mine, &n), 0);
        assert_int_equal(n, np);
        assert_bytes_equal(mine, p, np);
        /* DH between two generated keys (the 8192-bit group is slow: skip) */
        if (np <= 384) {
            struct ke a, b;
            struct secret sa, sb;
            assert_int_equal(ke_generate(&a, group), 0);
            assert_int_equal(ke_generate(&b, group), 0);
            assert_int_equal(ke_public(&a, pa, 1024, &n), 0);
            assert_int_equal(ke_public(&b, pb, 1024, &n2), 0);
            assert_int_equal(n, np);
            assert_int_equal(n2, np);
            assert_int_equal(ke_shared(&a, span_of(pb, n2), &sa), 0);
            assert_int_equal(ke_shared(&b, span_of(pa, n), &sb), 0);
            assert_int_equal(sa.n, np);
            assert_int_equal(sb.n, np);
            assert_bytes_equal(sa.p, sb.p, np);
            secret_free(&sa), secret_free(&sb);
            ke_free(&a), ke_free(&b);
        }
        free(p), free(pa), free(pb);
        count++;
    }
    kat_close(&f, &r);
    assert_int_equal(count, 7);
}

/* a small private value gives a public value with leading zero bytes:
 * it must still be padded to the modulus length (RFC 7296 3.4) */
static void modp_public_value_is_padded(void **state)
{
    (void)state;
    const uint8_t x[] = { 0x05 }; /* 2^5 = 32: one significant byte */
    uint8_t pub[256];
    size_t n;
    struct ke k;
    assert_int_equal(ke_from_private(&k, KE_MODP_2048, span_of(x, 1)), 0);
    assert_int_equal(ke_public(&k, pub, sizeof pub, &n), 0);
    assert_int_equal(n, 256);
    for (size_t i = 0; i < 255; i++)
        assert_int_equal(pub[i], 0);
    assert_int_equal(pub[255], 32);
    ke_free(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc5903_ecp),
        cmocka_unit_test(rfc5114_brainpool_ecp),
        cmocka_unit_test(more_ecp_points_checked),
        cmocka_unit_test(rfc7748_x25519_x448),
        cmocka_unit_test(modp_groups),
        cmocka_unit_test(modp_public_value_is_padded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
