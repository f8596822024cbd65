/* crypto/cbc against RFC 3602 and NIST SP 800-38A F.2 AES-CBC vectors,
 * Camellia-CBC (NESSIE, RFC 3713), 3DES-CBC (NIST MMT), AES-CTR (RFC 3686)
 * and Camellia-CTR (RFC 5528) vectors */
#include "katfile.h"
#include "crypto/cbc.h"
#include <stdlib.h>

static void aes_cbc_vectors(void **state)
{
    (void)state;
    struct kat_file f;
    struct kat_rec r = { 0 };
    int count = 0;
    kat_open(&f, "tests/kat/data/aes_cbc.txt");
    while (kat_next(&f, &r)) {
        size_t nk, niv, np, nc;
        uint8_t *key = kat_hex(&r, "key", &nk), *iv = kat_hex(&r, "iv", &niv);
        uint8_t *plain = kat_hex(&r, "plain", &np), *want = kat_hex(&r, "cipher", &nc);
        uint8_t *buf = malloc(np);
        const struct xf_info *xf = xf_lookup(XF_ENCR, ENCR_AES_CBC, (uint16_t)(nk * 8));
        struct cbc enc, dec;
        assert_int_equal(cbc_init(&enc, xf, span_of(key, nk), true), 0);
        assert_int_equal(cbc_init(&dec, xf, span_of(key, nk), false), 0);
        for (int round = 0; round < 2; round++) { /* prepared context reused */
            memcpy(buf, plain, np);
            assert_int_equal(cbc_run(&enc, iv, buf, buf, np), 0);
            assert_bytes_equal(buf, want, nc);
            assert_int_equal(cbc_run(&dec, iv, buf, buf, np), 0);
            assert_bytes_equal(buf, plain, np);
        }
        /* whole blocks only: IKE and ESP pad before encrypting */
        assert_int_equal(cbc_run(&enc, iv, buf, buf, np - 1), KITE_E_INVALID_ARG);
        cbc_free(&enc), cbc_free(&dec);
        free(key), free(iv), free(plain), free(want), free(buf);
        count++;
    }
    kat_close(&f, &r);
    assert_int_equal(count, 6);
}

/* records naming their algorithm by keyword: encrypt and decrypt in place,
 * twice with the same prepared contexts; a CBC cipher refuses a partial
 * block, a CTR one takes any length */
static void run_file(const char *path, int expect)
{
    struct kat_file f;
    struct kat_rec r = { 0 };
    int count = 0;
    kat_open(&f, path);
    while (kat_next(&f, &r)) {
        size_t nk, niv, np, nc;
        uint8_t *key = kat_hex(&r, "key", &nk), *iv = kat_hex(&r, "iv", &niv);
        uint8_t *plain = kat_hex(&r, "plain", &np), *want = kat_hex(&r, "cipher", &nc);
        uint8_t *buf = malloc(np);
        const struct xf_info *xf = xf_by_keyword(XF_ENCR, kat_get(&r, "alg"));
        struct cbc enc, dec;
        assert_non_null(xf);
        assert_int_equal(nk, xf->key_len);
        assert_int_equal(niv, xf->iv_len);
        assert_int_equal(np, nc);
        assert_int_equal(cbc_init(&enc, xf, span_of(key, nk), true), 0);
        assert_int_equal(cbc_init(&dec, xf, span_of(key, nk), false), 0);
        for (int round = 0; round < 2; round++) {
            memcpy(buf, plain, np);
            assert_int_equal(cbc_run(&enc, iv, buf, buf, np), 0);
            assert_bytes_equal(buf, want, nc);
            assert_int_equal(cbc_run(&dec, iv, buf, buf, np), 0);
            assert_bytes_equal(buf, plain, np);
        }
        assert_int_equal(cbc_run(&enc, iv, buf, buf, np - 1), xf->block_len > 1 ? KITE_E_INVALID_ARG : 0);
        cbc_free(&enc), cbc_free(&dec);
        assert_int_equal(cbc_init(&enc, xf, span_of(key, nk - 1), true), KITE_E_INVALID_ARG);
        free(key), free(iv), free(plain), free(want), free(buf);
        count++;
    }
    kat_close(&f, &r);
    assert_int_equal(count, expect);
}

static void camellia_cbc_vectors(void **state)
{
    (void)state;
    run_file("tests/kat/data/camellia_cbc.txt", 9);
}

static void des3_cbc_vectors(void **state)
{
    (void)state;
    run_file("tests/kat/data/des3_cbc.txt", 2);
}

static void ctr_rfc3686_rfc5528_vectors(void **state)
{
    (void)state;
    run_file("tests/kat/data/ctr.txt", 18);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(camellia_cbc_vectors),
        cmocka_unit_test(des3_cbc_vectors),
        cmocka_unit_test(ctr_rfc3686_rfc5528_vectors),
        cmocka_unit_test(aes_cbc_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
