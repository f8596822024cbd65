/* crypto/aead against AES-GCM (McGrew & Viega test cases, RFC 4106 layout),
 * ChaCha20-Poly1305 (RFC 7539, RFC 7634 Appendix A/B) and AES-CCM with the
 * RFC 4309 11-byte nonce (FIPS CAVS vectors of the Linux kernel) vectors. */
#include "katfile.h"
#include "crypto/aead.h"
#include <stdlib.h>

static const struct xf_info *gcm_xf(size_t key_bytes, long icv)
{
    uint16_t id = icv == 8 ? ENCR_AES_GCM_8 : icv == 12 ? ENCR_AES_GCM_12 : ENCR_AES_GCM_16;
    return xf_lookup(XF_ENCR, id, (uint16_t)((key_bytes - AEAD_SALT_LEN) * 8));
}

enum mode { PREPARED, LAZY, DEFERRED };

/* prepared contexts, lazy keys (IKE SK_e, aead_init_lazy: no context held
 * between calls) and deferred keys (ESP, aead_init_deferred: the context
 * made by aead_prepare, then kept and the key dropped) must give the same
 * answers */
static int init_as(enum mode m, struct aead *a, const struct xf_info *xf, struct span key, bool enc)
{
    uint8_t iv[AEAD_IV_LEN] = { 0 }, tag[AEAD_MAX_ICV];
    int rc = m == LAZY ? aead_init_lazy(a, xf, key, enc)
           : m == DEFERRED ? aead_init_deferred(a, xf, key, enc) : aead_init(a, xf, key, enc);
    if (rc || m == PREPARED)
        return rc;
    assert_null(a->ctx);
    assert_non_null(a->key.p);
    if (m == LAZY)
        return 0;
    /* not prepared yet: refused, never scheduled per call */
    assert_int_equal(enc ? aead_seal(a, iv, span_of(NULL, 0), NULL, NULL, 0, tag)
                         : aead_open(a, iv, span_of(NULL, 0), NULL, NULL, 0, tag),
                     KITE_E_STATE);
    assert_int_equal(aead_prepare(a), 0);
    assert_non_null(a->ctx);
    assert_null(a->key.p); /* wiped and freed */
    assert_int_equal(aead_prepare(a), 0); /* once is enough */
    return 0;
}

static void check_as(enum mode m, const struct xf_info *xf, const struct kat_rec *r)
{
    size_t nk, niv, na, np, nc;
    uint8_t *key = kat_hex(r, "key", &nk), *iv = kat_hex(r, "iv", &niv);
    uint8_t *aad = kat_hex(r, "aad", &na), *plain = kat_hex(r, "plain", &np);
    uint8_t *want = kat_hex(r, "cipher", &nc);
    struct aead seal, open;
    assert_non_null(xf);
    assert_int_equal(niv, AEAD_IV_LEN);
    assert_int_equal(nc, np + xf->icv_len);
    assert_int_equal(init_as(m, &seal, xf, span_of(key, nk), true), 0);
    assert_int_equal(init_as(m, &open, xf, span_of(key, nk), false), 0);
    uint8_t *buf = malloc(nc + 1);
    /* seal twice with the same prepared context: same answer */
    for (int round = 0; round < 2; round++) {
        memcpy(buf, plain, np);
        assert_int_equal(aead_seal(&seal, iv, span_of(aad, na), buf, buf, np, buf + np), 0);
        assert_bytes_equal(buf, want, nc);
    }
    /* open in place */
    assert_int_equal(aead_open(&open, iv, span_of(aad, na), buf, buf, np, buf + np), 0);
    assert_bytes_equal(buf, plain, np);
    /* a flipped tag bit, ciphertext bit or AAD bit is refused */
    memcpy(buf, want, nc);
    buf[nc - 1] ^= 0x01;
    assert_int_equal(aead_open(&open, iv, span_of(aad, na), buf, buf, np, buf + np),
                     KITE_E_INTEGRITY);
    if (np) {
        memcpy(buf, want, nc);
        buf[0] ^= 0x80;
        assert_int_equal(aead_open(&open, iv, span_of(aad, na), buf, buf, np, buf + np),
                         KITE_E_INTEGRITY);
    }
    if (na) {
        memcpy(buf, want, nc);
        aad[na - 1] ^= 0x01;
        assert_int_equal(aead_open(&open, iv, span_of(aad, na), buf, buf, np, buf + np),
                         KITE_E_INTEGRITY);
    }
    /* the context is still good after refusals */
    memcpy(buf, want, nc);
    if (na)
        aad[na - 1] ^= 0x01;
    assert_int_equal(aead_open(&open, iv, span_of(aad, na), buf, buf, np, buf + np), 0);
    assert_bytes_equal(buf, plain, np);
    /* directions are not interchangeable */
    assert_int_equal(aead_open(&seal, iv, span_of(aad, na), buf, buf, np, buf + np),
                     KITE_E_INVALID_ARG);
    aead_free(&seal);
    aead_free(&open);
    free(buf), free(key), free(iv), free(aad), free(plain), free(want);
}

static void check(const struct xf_info *xf, const struct kat_rec *r)
{
    check_as(PREPARED, xf, r);
    check_as(LAZY, xf, r);
    check_as(DEFERRED, xf, r);
}

static void aes_gcm_spec_vectors(void **state)
{
    (void)state;
    struct kat_file f;
    struct kat_rec r = { 0 };
    int count = 0;
    kat_open(&f, "tests/kat/data/aes_gcm.txt");
    while (kat_next(&f, &r)) {
        size_t nk;
        free(kat_hex(&r, "key", &nk));
        check(gcm_xf(nk, kat_int(&r, "icv")), &r);
        count++;
    }
    kat_close(&f, &r);
    assert_int_equal(count, 14);
}

static void chacha20_poly1305_vectors(void **state)
{
    (void)state;
    struct kat_file f;
    struct kat_rec r = { 0 };
    int count = 0;
    kat_open(&f, "tests/kat/data/chacha20poly1305.txt");
    while (kat_next(&f, &r)) {
        check(xf_by_keyword(XF_ENCR, "chacha20poly1305"), &r);
        count++;
    }
    kat_close(&f, &r);
    assert_int_equal(count, 4);
}

static void aes_ccm_rfc4309_vectors(void **state)
{
    (void)state;
    struct kat_file f;
    struct kat_rec r = { 0 };
    int count = 0;
    kat_open(&f, "tests/kat/data/aes_ccm.txt");
    while (kat_next(&f, &r)) {
        size_t nk;
        long icv = kat_int(&r, "icv");
        uint16_t id = icv == 8 ? ENCR_AES_CCM_8 : icv == 12 ? ENCR_AES_CCM_12 : ENCR_AES_CCM_16;
        free(kat_hex(&r, "key", &nk));
        const struct xf_info *xf = xf_lookup(XF_ENCR, id, (uint16_t)((nk - 3) * 8));
        assert_non_null(xf);
        assert_int_equal(xf->salt_len, 3);
        check(xf, &r);
        count++;
    }
    kat_close(&f, &r);
    assert_int_equal(count, 16);
}

static void wrong_key_length_refused(void **state)
{
    (void)state;
    uint8_t key[36] = { 0 };
    struct aead a;
    const struct xf_info *gcm = xf_by_keyword(XF_ENCR, "aes128gcm16");
    assert_int_equal(aead_init(&a, gcm, span_of(key, 16), true), KITE_E_INVALID_ARG);
    assert_int_equal(aead_init(&a, xf_by_keyword(XF_ENCR, "aes128"), span_of(key, 16), true),
                     KITE_E_UNSUPPORTED);
    assert_int_equal(aead_init_lazy(&a, gcm, span_of(key, 16), true), KITE_E_INVALID_ARG);
    assert_int_equal(aead_init_lazy(&a, xf_by_keyword(XF_ENCR, "aes128"), span_of(key, 16), true),
                     KITE_E_UNSUPPORTED);
    assert_int_equal(aead_init_deferred(&a, gcm, span_of(key, 16), true), KITE_E_INVALID_ARG);
    assert_int_equal(aead_init_deferred(&a, xf_by_keyword(XF_ENCR, "aes128"), span_of(key, 16), true),
                     KITE_E_UNSUPPORTED);
    /* aead_prepare is for a deferred key only */
    assert_int_equal(aead_init_lazy(&a, gcm, span_of(key, 20), true), 0);
    assert_int_equal(aead_prepare(&a), KITE_E_INVALID_ARG);
    aead_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(aes_ccm_rfc4309_vectors),
        cmocka_unit_test(aes_gcm_spec_vectors),
        cmocka_unit_test(chacha20_poly1305_vectors),
        cmocka_unit_test(wrong_key_length_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
