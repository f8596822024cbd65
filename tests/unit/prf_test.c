/* crypto/prf and crypto/keys: prf+ structure and limits, key sizes */
#include "testutil.h"
#include "crypto/keys.h"
#include "crypto/prf.h"
#include <stdlib.h>
#include <string.h>

static void prf_plus_is_a_prefix_stream(void **state)
{
    (void)state;
    struct prf p;
    const uint8_t key[] = "key", seed[] = "seed";
    struct span s = span_of(seed, 4);
    uint8_t a[200], b[200], t1[PRF_MAX_OUT], t2[PRF_MAX_OUT];
    assert_int_equal(prf_init(&p, PRF_HMAC_SHA2_256), 0);
    /* any length is a prefix of a longer output */
    for (size_t len = 1; len <= sizeof a; len += 7) {
        assert_int_equal(prf_plus(&p, span_of(key, 3), &s, 1, a, len), 0);
        assert_int_equal(prf_plus(&p, span_of(key, 3), &s, 1, b, sizeof b), 0);
        assert_bytes_equal(a, b, len);
    }
    /* T1 = prf(K, S | 0x01), T2 = prf(K, T1 | S | 0x02) */
    const uint8_t one = 1, two = 2;
    struct span p1[] = { s, span_of(&one, 1) };
    assert_int_equal(prf_run(&p, span_of(key, 3), p1, 2, t1), 0);
    struct span p2[] = { span_of(t1, 32), s, span_of(&two, 1) };
    assert_int_equal(prf_run(&p, span_of(key, 3), p2, 3, t2), 0);
    assert_bytes_equal(b, t1, 32);
    assert_bytes_equal(b + 32, t2, 32);
    prf_free(&p);
}

static void prf_plus_stops_at_255_blocks(void **state)
{
    (void)state;
    struct prf p;
    struct span s = span_of("x", 1);
    uint8_t *out = malloc(255 * 20 + 1);
    assert_int_equal(prf_init(&p, PRF_HMAC_SHA1), 0);
    assert_int_equal(prf_plus(&p, span_of("k", 1), &s, 1, out, 255 * 20), 0);
    assert_int_equal(prf_plus(&p, span_of("k", 1), &s, 1, out, 255 * 20 + 1),
                     KITE_E_INVALID_ARG);
    prf_free(&p);
    free(out);
    assert_int_equal(prf_init(&p, 99), KITE_E_UNSUPPORTED);
}

/* RFC 7296 2.14: AES-XCBC-PRF-128 keys SKEYSEED with the first 64 bits of
 * each nonce only */
static void xcbc_skeyseed_uses_nonce_halves(void **state)
{
    (void)state;
    struct prf p;
    uint8_t ni[32], nr[32], gir[64], key[16], want[16];
    struct secret s;
    memset(ni, 0x11, sizeof ni), memset(nr, 0x22, sizeof nr), memset(gir, 0x33, sizeof gir);
    ni[20] = 0x99; /* beyond the first 8 bytes: must not matter */
    assert_int_equal(prf_init(&p, PRF_AES128_XCBC), 0);
    assert_int_equal(keys_skeyseed(&p, span_of(ni, 32), span_of(nr, 32), span_of(gir, 64), &s), 0);
    memcpy(key, ni, 8), memcpy(key + 8, nr, 8);
    struct span g = span_of(gir, 64);
    assert_int_equal(prf_run(&p, span_of(key, 16), &g, 1, want), 0);
    assert_int_equal(s.n, 16);
    assert_bytes_equal(s.p, want, 16);
    secret_free(&s);
    assert_int_equal(keys_skeyseed(&p, span_of(ni, 4), span_of(nr, 32), span_of(gir, 64), &s),
                     KITE_E_INVALID_ARG);
    prf_free(&p);
}

/* the seven IKE SA keys take their sizes from the transforms */
static void ike_sa_key_sizes(void **state)
{
    (void)state;
    struct prf p;
    struct ike_keys k;
    uint8_t seed[48] = { 1 }, n[32] = { 2 }, spi[8] = { 3 };
    assert_int_equal(prf_init(&p, PRF_HMAC_SHA2_384), 0);
    assert_int_equal(keys_ike_sa(&p, span_of(seed, 48), span_of(n, 32), span_of(n, 32),
                                 span_of(spi, 8), span_of(spi, 8),
                                 xf_lookup(XF_ENCR, ENCR_AES_CBC, 192),
                                 xf_lookup(XF_INTEG, AUTH_HMAC_SHA2_512_256, 0), &k), 0);
    assert_int_equal(k.sk_d.n, 48);
    assert_int_equal(k.sk_ai.n, 64);
    assert_int_equal(k.sk_ar.n, 64);
    assert_int_equal(k.sk_ei.n, 24);
    assert_int_equal(k.sk_er.n, 24);
    assert_int_equal(k.sk_pi.n, 48);
    assert_int_equal(k.sk_pr.n, 48);
    assert_memory_not_equal(k.sk_ei.p, k.sk_er.p, 24);
    keys_ike_free(&k);
    prf_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prf_plus_is_a_prefix_stream),
        cmocka_unit_test(prf_plus_stops_at_255_blocks),
        cmocka_unit_test(xcbc_skeyseed_uses_nonce_halves),
        cmocka_unit_test(ike_sa_key_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
