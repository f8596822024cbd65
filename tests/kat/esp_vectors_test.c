/* esp/encap + esp/decap against published ESP packets: RFC 7634 Appendix A
 * (ChaCha20-Poly1305) and the AES-GCM cases of draft-mcgrew-gcm-test-01
 * (with and without ESN, sequence numbers up to 2^64 - 1).  Each packet
 * decapsulates to the given payload, and sealing that payload again with the
 * vector's SPI, sequence number and IV gives the packet byte for byte. */
#include "katfile.h"
#include "esp/decap.h"
#include "esp/encap.h"
#include <stdlib.h>

enum { HEADROOM = 64, TAILROOM = 64 };

static uint64_t hex_u64(const struct kat_rec *r, const char *key)
{
    const char *v = kat_get(r, key);
    assert_non_null(v);
    return strtoull(v, NULL, 16);
}

static void sa_for(struct esp_sa *sa, const struct kat_rec *r, enum esp_dir dir,
                   const uint8_t *key, size_t nk)
{
    const struct xf_info *xf = xf_by_keyword(XF_ENCR, kat_get(r, "encr"));
    struct esp_sa_params p = {
        .spi = (uint32_t)hex_u64(r, "spi"), .dir = dir,
        .mode = strcmp(kat_get(r, "mode"), "tunnel") == 0 ? ESP_MODE_TUNNEL : ESP_MODE_TRANSPORT,
        .encr_key = span_of(key, nk), .esn = kat_int(r, "esn") != 0, .replay_window = 64,
    };
    assert_non_null(xf);
    p.encr_id = xf->id;
    p.encr_bits = xf->key_bits;
    assert_int_equal(esp_sa_init(sa, &p), 0);
}

static void check(const struct kat_rec *r)
{
    size_t nk, niv, npl, npk;
    uint8_t *key = kat_hex(r, "key", &nk), *iv = kat_hex(r, "iv", &niv);
    uint8_t *plain = kat_hex(r, "plain", &npl), *packet = kat_hex(r, "packet", &npk);
    uint64_t seq = hex_u64(r, "seq");
    struct esp_sa in, out;
    uint8_t buf[HEADROOM + 512 + TAILROOM], nh = 0;
    assert_true(npl >= 2 && npk < 512);
    size_t inner = npl - 2 - plain[npl - 2];
    sa_for(&in, r, ESP_DIR_IN, key, nk);
    sa_for(&out, r, ESP_DIR_OUT, key, nk);

    /* receive: the window sits right below the vector's number, so the
     * ESN high half is inferred from the 32 bits on the wire */
    esp_replay_seed(&in.replay, seq - 1);
    memcpy(buf + HEADROOM, packet, npk);
    struct esp_buf b = { buf, sizeof buf, HEADROOM, npk };
    int rc = esp_decap(&in, &b, &nh, 7);
    if (rc)
        fail_msg("[%s] decap: %s", r->name, kite_errname(rc));
    assert_int_equal(b.len, inner);
    assert_bytes_equal(b.base + b.off, plain, inner);
    assert_int_equal(nh, plain[npl - 1]);
    assert_int_equal(in.cnt.packets, 1);
    assert_int_equal(in.replay.top, seq);
    /* the same packet again is a replay */
    memcpy(buf + HEADROOM, packet, npk);
    b = (struct esp_buf){ buf, sizeof buf, HEADROOM, npk };
    assert_int_equal(esp_decap(&in, &b, &nh, 8), KITE_E_REPLAY);
    assert_int_equal(in.cnt.replay_drops, 1);

    /* send: the same payload, SPI, sequence number and IV give the packet */
    memset(buf, 0, sizeof buf);
    memcpy(buf + HEADROOM, plain, inner);
    b = (struct esp_buf){ buf, sizeof buf, HEADROOM, inner };
    assert_int_equal(esp_encap_explicit(&out, &b, plain[npl - 1], 9, seq, iv), 0);
    assert_int_equal(b.len, npk);
    assert_bytes_equal(b.base + b.off, packet, npk);

    esp_sa_free(&in);
    esp_sa_free(&out);
    free(key), free(iv), free(plain), free(packet);
}

static void test_esp_vectors(void **state)
{
    (void)state;
    struct kat_file f;
    struct kat_rec r = { 0 };
    int n = 0;
    kat_open(&f, "tests/kat/data/esp_vectors.txt");
    while (kat_next(&f, &r)) {
        check(&r);
        n++;
    }
    kat_close(&f, &r);
    assert_int_equal(n, 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_esp_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
