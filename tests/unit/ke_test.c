/* crypto/ke: peer values that must be refused with KITE_E_BAD_PUBLIC_KEY */
#include "testutil.h"
#include "crypto/ke.h"
#include <string.h>

static int shared_with(uint16_t group, const uint8_t *peer, size_t n)
{
    struct ke k;
    struct secret s;
    assert_int_equal(ke_generate(&k, group), 0);
    int rc = ke_shared(&k, span_of(peer, n), &s);
    if (!rc)
        secret_free(&s);
    assert_null(s.p);
    ke_free(&k);
    return rc;
}

static void modp_degenerate_values(void **state)
{
    (void)state;
    uint8_t y[256], p[256];
    size_t n;
    assert_int_equal(ke_modp_prime(KE_MODP_2048, p, sizeof p, &n), 0);
    memset(y, 0, sizeof y); /* 0 */
    assert_int_equal(shared_with(KE_MODP_2048, y, 256), KITE_E_BAD_PUBLIC_KEY);
    y[255] = 1; /* 1 */
    assert_int_equal(shared_with(KE_MODP_2048, y, 256), KITE_E_BAD_PUBLIC_KEY);
    memcpy(y, p, 256); /* p */
    assert_int_equal(shared_with(KE_MODP_2048, y, 256), KITE_E_BAD_PUBLIC_KEY);
    y[255] -= 1; /* p - 1 (p is odd) */
    assert_int_equal(shared_with(KE_MODP_2048, y, 256), KITE_E_BAD_PUBLIC_KEY);
    memset(y, 0xff, sizeof y); /* > p */
    assert_int_equal(shared_with(KE_MODP_2048, y, 256), KITE_E_BAD_PUBLIC_KEY);
    /* wrong length: a valid number but not padded to the modulus */
    memset(y, 0, sizeof y);
    y[0] = 2;
    assert_int_equal(shared_with(KE_MODP_2048, y, 255), KITE_E_BAD_PUBLIC_KEY);
    /* 2 is a valid element, padded */
    memset(y, 0, sizeof y);
    y[255] = 2;
    assert_int_equal(shared_with(KE_MODP_2048, y, 256), 0);
}

static void ecp_off_curve_and_length(void **state)
{
    (void)state;
    struct ke a, b;
    uint8_t pub[132];
    size_t n;
    assert_int_equal(ke_generate(&a, KE_ECP_256), 0);
    assert_int_equal(ke_generate(&b, KE_ECP_256), 0);
    assert_int_equal(ke_public(&b, pub, sizeof pub, &n), 0);
    assert_int_equal(n, 64);
    struct secret s;
    assert_int_equal(ke_shared(&a, span_of(pub, n), &s), 0);
    assert_int_equal(s.n, 32);
    secret_free(&s);
    pub[63] ^= 0x01; /* y changed: no longer on the curve */
    assert_int_equal(ke_shared(&a, span_of(pub, n), &s), KITE_E_BAD_PUBLIC_KEY);
    pub[63] ^= 0x01;
    assert_int_equal(ke_shared(&a, span_of(pub, 63), &s), KITE_E_BAD_PUBLIC_KEY);
    memset(pub, 0, sizeof pub); /* the point at infinity has no x|y encoding */
    assert_int_equal(ke_shared(&a, span_of(pub, 64), &s), KITE_E_BAD_PUBLIC_KEY);
    ke_free(&a), ke_free(&b);
}

/* RFC 7748 / RFC 8031 2.3: low-order points give an all-zero secret */
static void x25519_low_order_points(void **state)
{
    (void)state;
    uint8_t u[56] = { 0 };
    assert_int_equal(shared_with(KE_CURVE25519, u, 32), KITE_E_BAD_PUBLIC_KEY); /* u = 0 */
    u[0] = 1;
    assert_int_equal(shared_with(KE_CURVE25519, u, 32), KITE_E_BAD_PUBLIC_KEY); /* u = 1 */
    memset(u, 0, sizeof u);
    assert_int_equal(shared_with(KE_CURVE448, u, 56), KITE_E_BAD_PUBLIC_KEY);
    assert_int_equal(shared_with(KE_CURVE25519, u, 31), KITE_E_BAD_PUBLIC_KEY);
    u[0] = 9; /* the base point is fine */
    assert_int_equal(shared_with(KE_CURVE25519, u, 32), 0);
}

/* the early check of a peer's value (ke_check_public): an X25519/X448 value
 * is checked by its length only, every other group's by building the key */
static void check_public_by_group(void **state)
{
    (void)state;
    uint8_t u[133] = { 0 };
    assert_int_equal(ke_check_public(KE_CURVE25519, span_of(u, 32)), 0); /* refused later: all-zero secret */
    assert_int_equal(ke_check_public(KE_CURVE25519, span_of(u, 31)), KITE_E_BAD_PUBLIC_KEY);
    assert_int_equal(ke_check_public(KE_CURVE25519, span_of(u, 33)), KITE_E_BAD_PUBLIC_KEY);
    assert_int_equal(ke_check_public(KE_CURVE448, span_of(u, 56)), 0);
    assert_int_equal(ke_check_public(KE_CURVE448, span_of(u, 32)), KITE_E_BAD_PUBLIC_KEY);
    assert_int_equal(ke_check_public(KE_ECP_256, span_of(u, 64)), KITE_E_BAD_PUBLIC_KEY); /* not on the curve */
    assert_int_equal(ke_check_public(3, span_of(u, 32)), KITE_E_UNSUPPORTED);
    struct ke a;
    uint8_t pub[64];
    size_t n;
    assert_int_equal(ke_generate(&a, KE_ECP_256), 0);
    assert_int_equal(ke_public(&a, pub, sizeof pub, &n), 0);
    assert_int_equal(ke_check_public(KE_ECP_256, span_of(pub, n)), 0);
    ke_free(&a);
}

/* X25519/X448 peers go through one kept key per group whose public value is
 * replaced each time (crypto/ke.c xdh_peer): each secret is the one of the
 * peer just given, also after a refused low-order value and when the
 * groups alternate */
static void xdh_peer_each_time(void **state)
{
    (void)state;
    const uint16_t groups[] = { KE_CURVE25519, KE_CURVE448 };
    struct ke k[2][3];
    uint8_t pub[2][3][56];
    size_t n;
    for (int g = 0; g < 2; g++)
        for (int i = 0; i < 3; i++) {
            assert_int_equal(ke_generate(&k[g][i], groups[g]), 0);
            assert_int_equal(ke_public(&k[g][i], pub[g][i], sizeof pub[g][i], &n), 0);
        }
    const uint8_t zero[56] = { 0 };
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (int g = 0; g < 2; g++) {
                    if (i == j)
                        continue;
                    size_t len = k[g][i].xf->out_len;
                    struct secret ij, ji, bad;
                    assert_int_equal(ke_shared(&k[g][i], span_of(pub[g][j], len), &ij), 0);
                    assert_int_equal(ke_shared(&k[g][j], span_of(zero, len), &bad), KITE_E_BAD_PUBLIC_KEY);
                    assert_int_equal(ke_shared(&k[g][j], span_of(pub[g][i], len), &ji), 0);
                    assert_int_equal(ij.n, ji.n);
                    assert_bytes_equal(ij.p, ji.p, ij.n);
                    secret_free(&ij), secret_free(&ji);
                }
    for (int g = 0; g < 2; g++)
        for (int i = 0; i < 3; i++)
            ke_free(&k[g][i]);
}

static void all_groups_round_trip(void **state)
{
    (void)state;
    const uint16_t groups[] = { KE_MODP_1024, KE_MODP_1536, KE_MODP_2048, KE_ECP_256,
                                KE_ECP_384, KE_ECP_521, KE_CURVE25519, KE_CURVE448 };
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        struct ke a, b;
        struct secret sa, sb;
        uint8_t pa[512], pb[512];
        size_t na, nb;
        assert_int_equal(ke_generate(&a, groups[i]), 0);
        assert_int_equal(ke_generate(&b, groups[i]), 0);
        assert_int_equal(ke_public(&a, pa, sizeof pa, &na), 0);
        assert_int_equal(ke_public(&b, pb, sizeof pb, &nb), 0);
        assert_int_equal(na, a.xf->out_len);
        assert_int_equal(ke_shared(&a, span_of(pb, nb), &sa), 0);
        assert_int_equal(ke_shared(&b, span_of(pa, na), &sb), 0);
        assert_int_equal(sa.n, sb.n);
        assert_bytes_equal(sa.p, sb.p, sa.n);
        assert_int_equal(ke_public(&a, pa, na - 1, &na), KITE_E_NO_SPACE);
        secret_free(&sa), secret_free(&sb);
        ke_free(&a), ke_free(&b);
    }
    struct ke k;
    assert_int_equal(ke_generate(&k, 3), KITE_E_UNSUPPORTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(modp_degenerate_values),
        cmocka_unit_test(ecp_off_curve_and_length),
        cmocka_unit_test(x25519_low_order_points),
        cmocka_unit_test(check_public_by_group),
        cmocka_unit_test(all_groups_round_trip),
        cmocka_unit_test(xdh_peer_each_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
