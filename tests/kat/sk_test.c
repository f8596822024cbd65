/* wire/sk against RFC 7634 Appendix B: an IKEv2 message protected with
 * ChaCha20-Poly1305 (IKE header | SK header | IV | ciphertext | ICV). */
#include "katfile.h"
#include "wire/sk.h"
#include <stdlib.h>

struct vec {
    uint8_t *key, *iv, *aad, *plain, *cipher;
    size_t nk, niv, na, np, nc;
};

static void load(struct vec *v)
{
    struct kat_file f;
    struct kat_rec r = { 0 };
    kat_open(&f, "tests/kat/data/chacha20poly1305.txt");
    while (kat_next(&f, &r) && strcmp(r.name, "rfc7634_ikev2") != 0)
        ;
    assert_string_equal(r.name, "rfc7634_ikev2");
    v->key = kat_hex(&r, "key", &v->nk);
    v->iv = kat_hex(&r, "iv", &v->niv);
    v->aad = kat_hex(&r, "aad", &v->na);
    v->plain = kat_hex(&r, "plain", &v->np);
    v->cipher = kat_hex(&r, "cipher", &v->nc);
    kat_close(&f, &r);
}

static void unload(struct vec *v)
{
    free(v->key), free(v->iv), free(v->aad), free(v->plain), free(v->cipher);
}

static void rfc7634_appendix_b_decrypt(void **state)
{
    (void)state;
    struct vec v;
    struct sk_keys k;
    uint8_t msg[128], plain[64];
    size_t n = 0, plen;
    load(&v);
    memcpy(msg, v.aad, v.na), n += v.na;
    memcpy(msg + n, v.iv, v.niv), n += v.niv;
    memcpy(msg + n, v.cipher, v.nc), n += v.nc;
    assert_int_equal(n, 0x45); /* the IKE header's Length */
    assert_int_equal(sk_keys_init(&k, xf_by_keyword(XF_ENCR, "chacha20poly1305"), NULL,
                                  span_of(v.key, v.nk), span_of(NULL, 0), false), 0);
    struct diag d = { 0 };
    assert_int_equal(sk_decrypt(&k, span_of(msg, n), SK_IKE_HDR_LEN, SK_HDR_LEN, plain,
                                sizeof plain, &plen, &d), 0);
    /* plaintext = payloads | Pad Length (0): strip the last byte */
    assert_int_equal(plen, v.np - 1);
    assert_bytes_equal(plain, v.plain, plen);
    msg[5] ^= 0x01; /* exchange type is in the AAD */
    assert_int_equal(sk_decrypt(&k, span_of(msg, n), SK_IKE_HDR_LEN, SK_HDR_LEN, plain,
                                sizeof plain, &plen, &d), KITE_E_INTEGRITY);
    sk_keys_free(&k);
    unload(&v);
}

static void rfc7634_appendix_b_encrypt(void **state)
{
    (void)state;
    struct vec v;
    struct sk_keys k;
    uint8_t buf[128];
    struct wr w;
    load(&v);
    assert_int_equal(sk_keys_init(&k, xf_by_keyword(XF_ENCR, "chacha20poly1305"), NULL,
                                  span_of(v.key, v.nk), span_of(NULL, 0), true), 0);
    /* the caller writes the IKE header and SK header; lengths are zeroed to
     * show that sk_encrypt patches them */
    wr_init(&w, buf, sizeof buf);
    wr_bytes(&w, v.aad, v.na);
    wr_put_be32(&w, SK_IKE_LEN_AT, 0);
    wr_put_be16(&w, SK_IKE_HDR_LEN + 2, 0);
    assert_int_equal(sk_encrypt(&k, &w, SK_IKE_HDR_LEN, SK_HDR_LEN,
                                span_of(v.plain, v.np - 1), v.iv, NULL), 0);
    assert_int_equal(w.len, v.na + v.niv + v.nc);
    assert_bytes_equal(buf, v.aad, v.na);
    assert_bytes_equal(buf + v.na, v.iv, v.niv);
    assert_bytes_equal(buf + v.na + v.niv, v.cipher, v.nc);
    sk_keys_free(&k);
    unload(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc7634_appendix_b_decrypt),
        cmocka_unit_test(rfc7634_appendix_b_encrypt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
