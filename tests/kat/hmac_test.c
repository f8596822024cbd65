/* crypto/prf and crypto/integ: HMAC-SHA2 (RFC 4868 2.7), AES-XCBC
 * (RFC 3566 4.6, RFC 4434 5), HMAC-SHA1/MD5 (RFC 2202) and AES-CMAC
 * (RFC 4493, 4494, 4615) vectors from tests/kat/data/. */
#include "katfile.h"
#include "crypto/integ.h"
#include "crypto/prf.h"
#include <stdlib.h>

static uint16_t alg_id(const char *name)
{
    static const struct { const char *name; uint16_t id; } map[] = {
        { "PRF_HMAC_SHA2_256", PRF_HMAC_SHA2_256 },
        { "PRF_HMAC_SHA2_384", PRF_HMAC_SHA2_384 },
        { "PRF_HMAC_SHA2_512", PRF_HMAC_SHA2_512 },
        { "PRF_AES128_XCBC", PRF_AES128_XCBC },
        { "AUTH_HMAC_SHA2_256_128", AUTH_HMAC_SHA2_256_128 },
        { "AUTH_HMAC_SHA2_384_192", AUTH_HMAC_SHA2_384_192 },
        { "AUTH_HMAC_SHA2_512_256", AUTH_HMAC_SHA2_512_256 },
        { "AUTH_AES_XCBC_96", AUTH_AES_XCBC_96 },
        { "PRF_HMAC_SHA1", PRF_HMAC_SHA1 },
        { "PRF_HMAC_MD5", PRF_HMAC_MD5 },
        { "PRF_AES128_CMAC", PRF_AES128_CMAC },
        { "AUTH_HMAC_SHA1_96", AUTH_HMAC_SHA1_96 },
        { "AUTH_HMAC_MD5_96", AUTH_HMAC_MD5_96 },
        { "AUTH_AES_CMAC_96", AUTH_AES_CMAC_96 },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].name, name) == 0)
            return map[i].id;
    fail_msg("unknown algorithm %s", name);
    return 0;
}

static void check_prf(const struct kat_rec *r)
{
    struct prf p;
    size_t nk, ns, no;
    uint8_t *key = kat_hex(r, "key", &nk), *seed = kat_hex(r, "seed", &ns);
    uint8_t *want = kat_hex(r, "out", &no), out[PRF_MAX_OUT];
    assert_int_equal(prf_init(&p, alg_id(kat_get(r, "alg"))), 0);
    assert_int_equal(prf_out_len(&p), no);
    struct span data = span_of(seed, ns);
    assert_int_equal(prf_run(&p, span_of(key, nk), &data, 1, out), 0);
    assert_bytes_equal(out, want, no);
    /* the same input split in two pieces gives the same output */
    if (ns > 3) {
        struct span parts[] = { span_of(seed, 3), span_of(seed + 3, ns - 3) };
        memset(out, 0, sizeof out);
        assert_int_equal(prf_run(&p, span_of(key, nk), parts, 2, out), 0);
        assert_bytes_equal(out, want, no);
    }
    prf_free(&p);
    free(key), free(seed), free(want);
}

static void check_signer(const struct kat_rec *r)
{
    struct integ g;
    size_t nk, nd, nm;
    uint8_t *key = kat_hex(r, "key", &nk), *data = kat_hex(r, "data", &nd);
    uint8_t *want = kat_hex(r, "mac", &nm), icv[INTEG_MAX_ICV];
    const struct xf_info *xf = xf_lookup(XF_INTEG, alg_id(kat_get(r, "alg")), 0);
    assert_non_null(xf);
    assert_int_equal(xf->icv_len, nm);
    assert_int_equal(integ_init(&g, xf, span_of(key, nk)), 0);
    struct span d = span_of(data, nd);
    /* twice: the prepared context is reusable */
    for (int round = 0; round < 2; round++) {
        assert_int_equal(integ_compute(&g, &d, 1, icv), 0);
        assert_bytes_equal(icv, want, nm);
        assert_int_equal(integ_verify(&g, &d, 1, want), 0);
    }
    want[nm - 1] ^= 1;
    assert_int_equal(integ_verify(&g, &d, 1, want), KITE_E_INTEGRITY);
    integ_free(&g);
    free(key), free(data), free(want);
}

static void run_file(const char *path, int expect)
{
    struct kat_file f;
    struct kat_rec r = { 0 };
    int count = 0;
    kat_open(&f, path);
    while (kat_next(&f, &r)) {
        if (strncmp(r.name, "prf ", 4) == 0)
            check_prf(&r);
        else
            check_signer(&r);
        count++;
    }
    kat_close(&f, &r);
    assert_int_equal(count, expect);
}

static void rfc4868_hmac_sha2(void **state)
{
    (void)state;
    run_file("tests/kat/data/rfc4868_hmac.txt", 24);
}

static void rfc2202_hmac_sha1_md5(void **state)
{
    (void)state;
    run_file("tests/kat/data/rfc2202_hmac.txt", 16);
}

static void rfc4493_4494_4615_cmac(void **state)
{
    (void)state;
    run_file("tests/kat/data/cmac.txt", 11);
}

static void rfc3566_rfc4434_xcbc(void **state)
{
    (void)state;
    run_file("tests/kat/data/xcbc.txt", 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc4868_hmac_sha2),
        cmocka_unit_test(rfc3566_rfc4434_xcbc),
        cmocka_unit_test(rfc2202_hmac_sha1_md5),
        cmocka_unit_test(rfc4493_4494_4615_cmac),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
