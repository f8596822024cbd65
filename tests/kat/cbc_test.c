/* crypto/cbc against RFC 3602 and NIST SP 800-38A F.2 AES-CBC vectors */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(aes_cbc_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
