/* esp/sa: an ESP SA's crypto contexts are made at its first packet
 * (esp_sa_prepare, called by encap and decap), not by esp_sa_init: before
 * it the SA holds only its keys; after it the contexts, and the keys are
 * wiped and freed.  For the AEADs and for CBC/CTR/NULL + HMAC/XCBC/CMAC,
 * both directions.  Cheap refusals (truncated, wrong SPI) make no context; a
 * packet with a valid SPI and garbage does (it gets as far as the ICV check,
 * as esp/decap.c says), and the genuine packet after it still goes through.
 * (issue 13: per-SA memory.) */
#include "testutil.h"
#include "esp/decap.h"
#include "esp/encap.h"
#include <string.h>

enum { HEAD = 64, BUF = 2048, SPI = 0x0badcafe, INNER = 100 };

struct suite {
    const char *encr, *integ;
};

static const struct suite suites[] = {
    { "aes128gcm16", NULL },   { "aes256ccm8", NULL },        { "chacha20poly1305", NULL },
    { "aes128", "sha256" },    { "aes128ctr", "sha1" },       { "null", "sha256" },
    { "aes128", "aesxcbc" },   { "camellia256", "aescmac" },
};

static void sa_pair(const struct suite *s, struct esp_sa *out, struct esp_sa *in)
{
    uint8_t ek[64], ak[64];
    const struct xf_info *e = xf_by_keyword(XF_ENCR, s->encr);
    const struct xf_info *a = s->integ ? xf_by_keyword(XF_INTEG, s->integ) : NULL;
    assert_non_null(e);
    for (size_t i = 0; i < sizeof ek; i++)
        ek[i] = (uint8_t)(0x21 * i), ak[i] = (uint8_t)(0x5a ^ i);
    struct esp_sa_params p = {
        .spi = SPI, .mode = ESP_MODE_TRANSPORT, .encr_id = e->id, .encr_bits = e->key_bits,
        .integ_id = a ? a->id : AUTH_NONE, .encr_key = span_of(ek, e->key_len),
        .integ_key = span_of(ak, a ? a->key_len : 0), .replay_window = 64,
    };
    p.dir = ESP_DIR_OUT;
    assert_int_equal(esp_sa_init(out, &p), 0);
    p.dir = ESP_DIR_IN;
    assert_int_equal(esp_sa_init(in, &p), 0);
}

/* no context of any kind; the keys where they wait */
static void assert_unprepared(const struct esp_sa *sa)
{
    assert_false(sa->prepared);
    assert_null(sa->aead.ctx);
    assert_null(sa->cbc.ctx);
    assert_null(sa->mac.ctx);
    assert_null(sa->mac.x.k1);
    assert_null(sa->ivgen.ctx);
    if (sa->encr->aead) {
        assert_non_null(sa->aead.key.p); /* the deferred aead's own copy */
        assert_null(sa->encr_key.p);
    } else {
        assert_non_null(sa->integ_key.p);
    }
}

static void assert_prepared(const struct esp_sa *sa)
{
    assert_true(sa->prepared);
    assert_null(sa->encr_key.p);
    assert_null(sa->integ_key.p);
    if (sa->encr->aead) {
        assert_non_null(sa->aead.ctx);
        assert_null(sa->aead.key.p);
        return;
    }
    if (sa->encr->id != ENCR_NULL)
        assert_non_null(sa->cbc.ctx);
    assert_true(sa->mac.ctx || sa->mac.x.k1);
    if (sa->dir == ESP_DIR_OUT) /* the CBC IV generator, for any outbound non-AEAD SA */
        assert_non_null(sa->ivgen.ctx);
}

/* one packet out through `out` and back in through `in` */
static void round_trip(struct esp_sa *out, struct esp_sa *in, uint8_t *buf, uint8_t fill)
{
    uint8_t nh = 0;
    memset(buf + HEAD, fill, INNER);
    struct esp_buf b = { buf, BUF, HEAD, INNER };
    assert_int_equal(esp_encap(out, &b, 17, 1), 0);
    assert_prepared(out);
    assert_int_equal(esp_decap(in, &b, &nh, 1), 0);
    assert_prepared(in);
    assert_int_equal(nh, 17);
    assert_int_equal(b.len, INNER);
    for (size_t i = 0; i < INNER; i++)
        assert_int_equal(buf[b.off + i], fill);
}

static void contexts_at_first_packet(void **state)
{
    (void)state;
    static uint8_t buf[BUF];
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
        struct esp_sa out, in;
        sa_pair(&suites[i], &out, &in);
        assert_unprepared(&out);
        assert_unprepared(&in);
        round_trip(&out, &in, buf, 0x3c);
        /* kept: the second packet uses the same contexts */
        void *octx = out.aead.ctx ? (void *)out.aead.ctx : (void *)out.mac.ctx;
        round_trip(&out, &in, buf, 0xc3);
        assert_ptr_equal(octx, out.aead.ctx ? (void *)out.aead.ctx : (void *)out.mac.ctx);
        esp_sa_free(&out);
        esp_sa_free(&in);
    }
}

/* never prepared: the keys are freed with the SA (ASan: no leak) */
static void freed_unprepared(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
        struct esp_sa out, in;
        sa_pair(&suites[i], &out, &in);
        esp_sa_free(&out);
        esp_sa_free(&in);
        assert_null(out.aead.key.p);
        assert_null(in.encr_key.p);
    }
}

static void cheap_refusals_make_no_context(void **state)
{
    (void)state;
    static uint8_t buf[BUF], pkt[BUF];
    uint8_t nh;
    struct esp_sa out, in;
    sa_pair(&suites[0], &out, &in);
    /* the genuine packet 1, kept for later */
    memset(buf + HEAD, 0x77, INNER);
    struct esp_buf g = { buf, BUF, HEAD, INNER };
    assert_int_equal(esp_encap(&out, &g, 17, 1), 0);
    memcpy(pkt, buf + g.off, g.len);
    size_t n = g.len;
    /* truncated, then another SPI: refused before any crypto */
    struct esp_buf b = { pkt, BUF, 0, 12 };
    assert_int_equal(esp_decap(&in, &b, &nh, 1), KITE_E_TRUNCATED);
    memcpy(buf, pkt, n);
    buf[0] ^= 0xff;
    b = (struct esp_buf){ buf, BUF, 0, n };
    assert_int_equal(esp_decap(&in, &b, &nh, 1), KITE_E_INVALID_SPI);
    assert_int_equal(in.cnt.malformed, 2);
    assert_unprepared(&in);
    /* the right SPI and garbage after it: the ICV check needs the context */
    memcpy(buf, pkt, n);
    buf[n - 1] ^= 0x01;
    b = (struct esp_buf){ buf, BUF, 0, n };
    assert_int_equal(esp_decap(&in, &b, &nh, 1), KITE_E_INTEGRITY);
    assert_int_equal(in.cnt.icv_failures, 1);
    assert_prepared(&in);
    /* the forgery moved no window: the genuine packet 1 goes through */
    memcpy(buf, pkt, n);
    b = (struct esp_buf){ buf, BUF, 0, n };
    assert_int_equal(esp_decap(&in, &b, &nh, 1), 0);
    assert_int_equal(b.len, INNER);
    esp_sa_free(&out);
    esp_sa_free(&in);
}

/* an expired SA refuses before making anything; the wrong direction too */
static void refused_sa_makes_no_context(void **state)
{
    (void)state;
    static uint8_t buf[BUF];
    uint8_t nh;
    struct esp_sa out, in;
    sa_pair(&suites[3], &out, &in);
    out.flags |= ESP_SA_HARD_EXPIRED;
    struct esp_buf b = { buf, BUF, HEAD, INNER };
    assert_int_equal(esp_encap(&out, &b, 17, 1), KITE_E_STATE);
    assert_unprepared(&out);
    b = (struct esp_buf){ buf, BUF, HEAD, INNER };
    assert_int_equal(esp_encap(&in, &b, 17, 1), KITE_E_INVALID_ARG);
    assert_int_equal(esp_decap(&out, &b, &nh, 1), KITE_E_INVALID_ARG);
    assert_unprepared(&in);
    assert_unprepared(&out);
    esp_sa_free(&out);
    esp_sa_free(&in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(contexts_at_first_packet),
        cmocka_unit_test(freed_unprepared),
        cmocka_unit_test(cheap_refusals_make_no_context),
        cmocka_unit_test(refused_sa_makes_no_context),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
