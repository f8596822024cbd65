/* Issue 14's algorithms end to end in the in-process simulation: IKE SAs
 * with AES-CCM (RFC 5282), AES-/Camellia-CTR (RFC 5930, 5529), Camellia-CBC,
 * AES-CMAC (RFC 4494/4615), HMAC-SHA1/MD5, the ECP groups of RFC 5114 and
 * RFC 6954 (Brainpool) and MODP-1024/1536; Child SAs with the same ciphers,
 * whose keys then carry a packet through kite's ESP data plane both ways. */
#include "harness.h"
#include "esp/decap.h"
#include "esp/encap.h"

static const char *PSK = "algos-test-psk-0123456789";

/* esp_sa params for one direction of a negotiated Child SA */
static void esp_params(const struct ike_child_sa *c, bool out, struct esp_sa_params *p)
{
    memset(p, 0, sizeof *p);
    p->spi = out ? c->spi_out : c->spi_in;
    p->dir = out ? ESP_DIR_OUT : ESP_DIR_IN;
    p->mode = ESP_MODE_TRANSPORT;
    p->encr_id = c->encr;
    p->encr_bits = c->encr_bits;
    p->integ_id = c->integ;
    p->encr_key = span_of(out ? c->encr_out : c->encr_in, c->key_len);
    p->integ_key = span_of(out ? c->integ_out : c->integ_in, c->integ_len);
    p->esn = c->esn;
    p->replay_window = 32;
}

/* a's outbound SA to b's inbound one: 100 bytes in, the same 100 out */
static void esp_one_way(const struct ike_child_sa *from, const struct ike_child_sa *to)
{
    static uint8_t buf[2048];
    struct esp_sa out, in;
    struct esp_sa_params p;
    uint8_t nh = 0;
    esp_params(from, true, &p);
    assert_int_equal(esp_sa_init(&out, &p), 0);
    esp_params(to, false, &p);
    assert_int_equal(esp_sa_init(&in, &p), 0);
    for (size_t i = 0; i < 100; i++)
        buf[256 + i] = (uint8_t)(i * 13);
    struct esp_buf b = { buf, sizeof buf, 256, 100 };
    assert_int_equal(esp_encap(&out, &b, 17, 1), 0);
    assert_int_equal(esp_decap(&in, &b, &nh, 1), 0);
    assert_int_equal(b.len, 100);
    assert_int_equal(nh, 17);
    for (size_t i = 0; i < 100; i++)
        assert_int_equal(buf[b.off + i], (uint8_t)(i * 13));
    esp_sa_free(&out);
    esp_sa_free(&in);
}

static void handshake(const char *ike, const char *esp, const char *encr_kw, const char *integ_kw)
{
    struct pair p;
    struct ike_conn_cfg ca = h_conn(1, 2, ike, esp, PSK), cb = h_conn(2, 1, ike, esp, PSK);
    const struct xf_info *e = xf_by_keyword(XF_ENCR, encr_kw);
    const struct xf_info *g = integ_kw ? xf_by_keyword(XF_INTEG, integ_kw) : NULL;
    assert_non_null(e);
    pair_init(&p, &ca, &cb);
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 5000);
    assert_int_equal(p.a.ike_up, 1);
    assert_int_equal(p.b.ike_up, 1);
    assert_int_equal(p.a.child_up, 1);
    assert_int_equal(p.b.child_up, 1);
    const struct ike_child_sa *a = &p.a.child, *b = &p.b.child;
    assert_int_equal(a->encr, e->id);
    assert_int_equal(a->encr_bits, e->key_length_attr ? e->key_bits : 0);
    assert_int_equal(a->integ, g ? g->id : 0);
    /* keying material as RFC 4309 4 / RFC 3686 5.1 / RFC 2451 size it */
    assert_int_equal(a->key_len, e->key_len);
    assert_int_equal(a->integ_len, g ? g->key_len : 0);
    assert_int_equal(a->spi_in, b->spi_out);
    assert_memory_equal(a->encr_out, b->encr_in, a->key_len);
    esp_one_way(a, b);
    esp_one_way(b, a);
    pair_free(&p);
}

static void ccm_brainpool(void **s)
{
    (void)s;
    handshake("aes128ccm16 prfsha256 ecp256bp", "aes128ccm16", "aes128ccm16", NULL);
}

static void ccm8_ccm12_brainpool512(void **s)
{
    (void)s;
    handshake("aes256ccm8 prfsha512 ecp512bp", "aes192ccm12", "aes192ccm12", NULL);
}

/* the proposal Windows makes by default (issue 15) */
static void windows_aes256_sha1_modp1024(void **s)
{
    (void)s;
    handshake("aes256 sha1 prfsha1 modp1024", "aes256 sha1", "aes256", "sha1");
}

static void des3_sha1_modp1536(void **s)
{
    (void)s;
    handshake("3des sha1 prfsha1 modp1536", "3des sha1", "3des", "sha1");
}

static void camellia_cmac_ecp384bp(void **s)
{
    (void)s;
    handshake("camellia256 aescmac prfaescmac ecp384bp", "camellia128 sha256", "camellia128", "sha256");
}

static void ctr_xcbc_ecp224(void **s)
{
    (void)s;
    handshake("aes128ctr aesxcbc prfaesxcbc ecp224", "camellia256ctr aescmac", "camellia256ctr", "aescmac");
}

static void camellia_ctr_md5_ecp192_ecp224bp(void **s)
{
    (void)s;
    handshake("camellia192ctr md5 prfmd5 ecp224bp", "aes256ctr md5", "aes256ctr", "md5");
    handshake("camellia128 sha256 prfsha256 ecp192", "aes128 aesxcbc", "aes128", "aesxcbc");
}

/* RFC 2410 ESP: integrity only, no encryption key */
static void esp_null_sha256(void **s)
{
    (void)s;
    handshake("aes128gcm16 prfsha256 x25519", "null sha256", "null", "sha256");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ccm_brainpool),
        cmocka_unit_test(ccm8_ccm12_brainpool512),
        cmocka_unit_test(windows_aes256_sha1_modp1024),
        cmocka_unit_test(des3_sha1_modp1536),
        cmocka_unit_test(camellia_cmac_ecp384bp),
        cmocka_unit_test(ctr_xcbc_ecp224),
        cmocka_unit_test(camellia_ctr_md5_ecp192_ecp224bp),
        cmocka_unit_test(esp_null_sha256),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
