/* crypto/keys + crypto/prf against the NIST IKEv2 KDF vectors
 * (tests/kat/data/ikev2_kdf.txt: SP 800-135 CAVP / ACVP). */
#include "katfile.h"
#include "crypto/keys.h"
#include "crypto/prf.h"
#include <stdlib.h>

static void check_record(const struct kat_rec *r)
{
    struct prf p;
    size_t nni, nnr, ngir, ngn, nsi, nsr, nseed, ndkm, nch, nchd, nrk;
    uint8_t *ni = kat_hex(r, "Ni", &nni), *nr = kat_hex(r, "Nr", &nnr);
    uint8_t *gir = kat_hex(r, "gir", &ngir), *gn = kat_hex(r, "gir_new", &ngn);
    uint8_t *spii = kat_hex(r, "SPIi", &nsi), *spir = kat_hex(r, "SPIr", &nsr);
    uint8_t *seed = kat_hex(r, "SKEYSEED", &nseed), *dkm = kat_hex(r, "DKM", &ndkm);
    uint8_t *ch = kat_hex(r, "DKM_child", &nch), *chd = kat_hex(r, "DKM_child_dh", &nchd);
    uint8_t *rk = kat_hex(r, "SKEYSEED_rekey", &nrk);
    size_t len = (size_t)kat_int(r, "dkm_bits") / 8;
    assert_int_equal(ndkm, len);
    assert_int_equal(prf_init(&p, (uint16_t)kat_int(r, "prf")), 0);

    /* SKEYSEED = prf(Ni | Nr, g^ir) */
    struct secret skeyseed;
    assert_int_equal(keys_skeyseed(&p, span_of(ni, nni), span_of(nr, nnr), span_of(gir, ngir),
                                   &skeyseed), 0);
    assert_int_equal(skeyseed.n, nseed);
    assert_bytes_equal(skeyseed.p, seed, nseed);

    /* DKM = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) */
    uint8_t *out = malloc(len);
    const struct span s1[] = { span_of(ni, nni), span_of(nr, nnr), span_of(spii, nsi),
                               span_of(spir, nsr) };
    assert_int_equal(prf_plus(&p, secret_span(&skeyseed), s1, 4, out, len), 0);
    assert_bytes_equal(out, dkm, len);

    /* SK_d is the first PRF-output bytes of DKM; DKM(Child SA) = prf+(SK_d, Ni | Nr) */
    struct span sk_d = span_of(dkm, prf_out_len(&p));
    const struct span s2[] = { span_of(ni, nni), span_of(nr, nnr) };
    assert_int_equal(prf_plus(&p, sk_d, s2, 2, out, len), 0);
    assert_bytes_equal(out, ch, len);

    /* DKM(Child SA D-H) = prf+(SK_d, g^ir (new) | Ni | Nr) */
    const struct span s3[] = { span_of(gn, ngn), span_of(ni, nni), span_of(nr, nnr) };
    assert_int_equal(prf_plus(&p, sk_d, s3, 3, out, len), 0);
    assert_bytes_equal(out, chd, len);

    /* SKEYSEED(Rekey) = prf(SK_d (old), g^ir (new) | Ni | Nr) */
    struct secret rekey;
    assert_int_equal(keys_skeyseed_rekey(&p, sk_d, span_of(gn, ngn), span_of(ni, nni),
                                         span_of(nr, nnr), &rekey), 0);
    assert_int_equal(rekey.n, nrk);
    assert_bytes_equal(rekey.p, rk, nrk);

    /* the same stream through the Child SA splitter: AES-CBC-256 + SHA2-256 */
    const struct xf_info *encr = xf_lookup(XF_ENCR, ENCR_AES_CBC, 256);
    const struct xf_info *integ = xf_lookup(XF_INTEG, AUTH_HMAC_SHA2_256_128, 0);
    struct child_keys ck;
    assert_int_equal(keys_child_sa(&p, sk_d, span_of(gn, ngn), span_of(ni, nni),
                                   span_of(nr, nnr), encr, integ, &ck), 0);
    assert_bytes_equal(ck.encr_i.p, chd, 32);
    assert_bytes_equal(ck.integ_i.p, chd + 32, 32);
    assert_bytes_equal(ck.encr_r.p, chd + 64, 32);
    assert_bytes_equal(ck.integ_r.p, chd + 96, 32);
    keys_child_free(&ck);

    /* and without PFS */
    assert_int_equal(keys_child_sa(&p, sk_d, span_of(NULL, 0), span_of(ni, nni),
                                   span_of(nr, nnr), encr, integ, &ck), 0);
    assert_bytes_equal(ck.encr_i.p, ch, 32);
    assert_bytes_equal(ck.integ_r.p, ch + 96, 32);
    keys_child_free(&ck);

    secret_free(&skeyseed);
    secret_free(&rekey);
    prf_free(&p);
    free(out);
    free(ni), free(nr), free(gir), free(gn), free(spii), free(spir);
    free(seed), free(dkm), free(ch), free(chd), free(rk);
}

static void nist_ikev2_kdf_vectors(void **state)
{
    (void)state;
    struct kat_file f;
    struct kat_rec r = { 0 };
    int count = 0;
    kat_open(&f, "tests/kat/data/ikev2_kdf.txt");
    while (kat_next(&f, &r)) {
        check_record(&r);
        count++;
    }
    kat_close(&f, &r);
    assert_int_equal(count, 2);
}

/* the IKE SA splitter cuts SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr
 * out of the DKM stream in order and with the negotiated sizes */
static void ike_sa_keys_follow_dkm(void **state)
{
    (void)state;
    struct kat_file f;
    struct kat_rec r = { 0 };
    struct prf p;
    kat_open(&f, "tests/kat/data/ikev2_kdf.txt");
    while (kat_next(&f, &r) && strcmp(r.name, "sha256_acvp") != 0)
        ;
    size_t nni, nnr, nsi, nsr, nseed, ndkm;
    uint8_t *ni = kat_hex(&r, "Ni", &nni), *nr = kat_hex(&r, "Nr", &nnr);
    uint8_t *spii = kat_hex(&r, "SPIi", &nsi), *spir = kat_hex(&r, "SPIr", &nsr);
    uint8_t *seed = kat_hex(&r, "SKEYSEED", &nseed), *dkm = kat_hex(&r, "DKM", &ndkm);
    assert_int_equal(prf_init(&p, PRF_HMAC_SHA2_256), 0);
    const struct xf_info *gcm = xf_by_keyword(XF_ENCR, "aes256gcm16");
    struct ike_keys k;
    assert_int_equal(keys_ike_sa(&p, span_of(seed, nseed), span_of(ni, nni), span_of(nr, nnr),
                                 span_of(spii, nsi), span_of(spir, nsr), gcm, NULL, &k), 0);
    /* 32 | 0 | 0 | 36 | 36 | 32 | 32 */
    assert_int_equal(k.sk_d.n, 32);
    assert_int_equal(k.sk_ai.n, 0);
    assert_int_equal(k.sk_ei.n, 36);
    assert_int_equal(k.sk_pr.n, 32);
    assert_bytes_equal(k.sk_d.p, dkm, 32);
    assert_bytes_equal(k.sk_ei.p, dkm + 32, 36);
    assert_bytes_equal(k.sk_er.p, dkm + 68, 36);
    assert_bytes_equal(k.sk_pi.p, dkm + 104, 32);
    assert_bytes_equal(k.sk_pr.p, dkm + 136, 32);
    keys_ike_free(&k);
    assert_null(k.sk_d.p);
    prf_free(&p);
    kat_close(&f, &r);
    free(ni), free(nr), free(spii), free(spir), free(seed), free(dkm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nist_ikev2_kdf_vectors),
        cmocka_unit_test(ike_sa_keys_follow_dkm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
