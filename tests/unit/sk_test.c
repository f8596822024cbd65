/* wire/sk: round trips in both modes for SK and SKF, tampering, padding,
 * truncation, buffer limits */
#include "testutil.h"
#include "wire/sk.h"
#include <stdlib.h>
#include <string.h>

struct suite {
    const char *encr, *integ;
};

static const struct suite suites[] = {
    { "aes128gcm16", NULL }, { "aes192gcm12", NULL },   { "aes256gcm8", NULL },
    { "chacha20poly1305", NULL }, { "aes128", "sha256" }, { "aes192", "sha384" },
    { "aes256", "sha512" }, { "aes128", "sha1" },        { "aes256", "aesxcbc" },
    { "3des", "md5" },
    /* issue 14: CCM (RFC 5282), CTR (RFC 5930), Camellia (RFC 5529), CMAC */
    { "aes128ccm16", NULL }, { "aes256ccm8", NULL }, { "aes192ccm12", NULL },
    { "aes128ctr", "sha256" }, { "camellia256ctr", "aescmac" }, { "camellia128", "sha256" },
    { "camellia192", "sha1" },
};

struct pair {
    struct sk_keys tx, rx;
};

static void pair_init(struct pair *p, const struct suite *s)
{
    const struct xf_info *e = xf_by_keyword(XF_ENCR, s->encr);
    const struct xf_info *a = s->integ ? xf_by_keyword(XF_INTEG, s->integ) : NULL;
    uint8_t ek[64], ak[64];
    for (size_t i = 0; i < sizeof ek; i++)
        ek[i] = (uint8_t)(0x40 + i), ak[i] = (uint8_t)(0x80 + i);
    assert_non_null(e);
    assert_int_equal(sk_keys_init(&p->tx, e, a, span_of(ek, e->key_len),
                                  span_of(ak, a ? a->key_len : 0), true), 0);
    assert_int_equal(sk_keys_init(&p->rx, e, a, span_of(ek, e->key_len),
                                  span_of(ak, a ? a->key_len : 0), false), 0);
}

static void pair_free(struct pair *p)
{
    sk_keys_free(&p->tx);
    sk_keys_free(&p->rx);
}

/* IKE header (28) + SK or SKF header, then sk_encrypt */
static size_t build(struct pair *p, uint8_t *buf, size_t cap, size_t hdr_len,
                    const uint8_t *inner, size_t n)
{
    struct wr w;
    wr_init(&w, buf, cap);
    wr_bytes(&w, "\x01\x02\x03\x04\x05\x06\x07\x08\x11\x12\x13\x14\x15\x16\x17\x18", 16);
    wr_u8(&w, hdr_len == SK_HDR_LEN ? 46 : 53); /* Next Payload: SK / SKF */
    wr_u8(&w, 0x20);                           /* version 2.0 */
    wr_u8(&w, 35);                             /* IKE_AUTH */
    wr_u8(&w, 0x08);                           /* initiator */
    wr_be32(&w, 1);                            /* message ID */
    wr_be32(&w, 0);                            /* length, patched */
    wr_u8(&w, 35);                             /* inner: IDi */
    wr_u8(&w, 0);
    wr_be16(&w, 0);
    if (hdr_len == SKF_HDR_LEN) {
        wr_be16(&w, 2); /* Fragment Number */
        wr_be16(&w, 3); /* Total Fragments */
    }
    assert_int_equal(sk_encrypt(&p->tx, &w, SK_IKE_HDR_LEN, hdr_len, span_of(inner, n), NULL,
                                NULL), 0);
    /* lengths were patched */
    assert_int_equal(((size_t)buf[24] << 24 | (size_t)buf[25] << 16 | (size_t)buf[26] << 8 |
                      buf[27]), w.len);
    assert_int_equal(((size_t)buf[30] << 8 | buf[31]), w.len - SK_IKE_HDR_LEN);
    assert_int_equal(w.len, SK_IKE_HDR_LEN + hdr_len + sk_overhead(&p->tx, n) + n);
    return w.len;
}

static void round_trips(void **state)
{
    (void)state;
    uint8_t inner[300], msg[512], plain[512];
    for (size_t i = 0; i < sizeof inner; i++)
        inner[i] = (uint8_t)(i * 7);
    for (size_t s = 0; s < sizeof suites / sizeof suites[0]; s++) {
        struct pair p;
        pair_init(&p, &suites[s]);
        for (size_t hdr = SK_HDR_LEN; hdr <= SKF_HDR_LEN; hdr += 4) {
            for (size_t n = 0; n < sizeof inner; n += 37) {
                size_t len = build(&p, msg, sizeof msg, hdr, inner, n), plen = 99;
                struct diag d = { 0 };
                int rc = sk_decrypt(&p.rx, span_of(msg, len), SK_IKE_HDR_LEN, hdr, plain,
                                    sizeof plain, &plen, &d);
                if (rc)
                    fail_msg("%s/%s n=%zu: %s at %s", suites[s].encr,
                             suites[s].integ ? suites[s].integ : "-", n, kite_errname(rc),
                             d.field);
                assert_int_equal(plen, n);
                assert_bytes_equal(plain, inner, n);
                /* the plaintext is not on the wire */
                if (n > 16)
                    assert_null(memmem(msg, len, inner + 8, 8));
            }
        }
        pair_free(&p);
    }
}

/* every single-byte change is refused; all but the SK length field fail
 * the integrity check (the length field fails framing first) */
static void tamper_any_byte(void **state)
{
    (void)state;
    uint8_t inner[40], msg[256], plain[256];
    memset(inner, 0x5a, sizeof inner);
    for (size_t s = 0; s < sizeof suites / sizeof suites[0]; s++) {
        struct pair p;
        pair_init(&p, &suites[s]);
        for (size_t hdr = SK_HDR_LEN; hdr <= SKF_HDR_LEN; hdr += 4) {
            size_t len = build(&p, msg, sizeof msg, hdr, inner, sizeof inner), plen;
            for (size_t i = 0; i < len; i++) {
                msg[i] ^= 0x04;
                int rc = sk_decrypt(&p.rx, span_of(msg, len), SK_IKE_HDR_LEN, hdr, plain,
                                    sizeof plain, &plen, NULL);
                if (i == SK_IKE_HDR_LEN + 2 || i == SK_IKE_HDR_LEN + 3)
                    assert_int_equal(rc, KITE_E_BAD_LENGTH);
                else if (rc != KITE_E_INTEGRITY)
                    fail_msg("%s: byte %zu changed gave %d", suites[s].encr, i, rc);
                assert_int_equal(plen, 0);
                msg[i] ^= 0x04;
            }
            /* the prepared keys still work after all those refusals */
            assert_int_equal(sk_decrypt(&p.rx, span_of(msg, len), SK_IKE_HDR_LEN, hdr, plain,
                                        sizeof plain, &plen, NULL), 0);
            assert_int_equal(plen, sizeof inner);
        }
        pair_free(&p);
    }
}

static void truncated_input_refused(void **state)
{
    (void)state;
    uint8_t inner[24] = { 1, 2, 3 }, msg[256], plain[256];
    for (size_t s = 0; s < sizeof suites / sizeof suites[0]; s++) {
        struct pair p;
        pair_init(&p, &suites[s]);
        size_t len = build(&p, msg, sizeof msg, SK_HDR_LEN, inner, sizeof inner), plen;
        for (size_t cut = 0; cut < len; cut++) {
            int rc = sk_decrypt(&p.rx, span_of(msg, cut), SK_IKE_HDR_LEN, SK_HDR_LEN, plain,
                                sizeof plain, &plen, NULL);
            assert_true(rc == KITE_E_TRUNCATED || rc == KITE_E_BAD_LENGTH);
        }
        /* trailing bytes after the SK payload are refused too */
        assert_int_equal(sk_decrypt(&p.rx, span_of(msg, len + 1), SK_IKE_HDR_LEN, SK_HDR_LEN,
                                    plain, sizeof plain, &plen, NULL), KITE_E_BAD_LENGTH);
        /* and a plaintext buffer that is too small */
        assert_int_equal(sk_decrypt(&p.rx, span_of(msg, len), SK_IKE_HDR_LEN, SK_HDR_LEN,
                                    plain, 8, &plen, NULL), KITE_E_NO_SPACE);
        pair_free(&p);
    }
}

/* a correctly authenticated ciphertext whose Pad Length points before the
 * start of the plaintext: built with the primitives directly */
static void bad_pad_length_refused(void **state)
{
    (void)state;
    uint8_t msg[256], plain[256];
    for (size_t s = 0; s < sizeof suites / sizeof suites[0]; s++) {
        struct pair p;
        pair_init(&p, &suites[s]);
        const struct xf_info *e = p.tx.encr;
        size_t ivl = e->iv_len, block = e->block_len, icvl = e->aead ? e->icv_len
                                                                    : p.tx.integ->icv_len;
        size_t ctl = 2 * block > 16 ? 2 * block : 16;
        size_t len = SK_IKE_HDR_LEN + SK_HDR_LEN + ivl + ctl + icvl, plen;
        memset(msg, 0, sizeof msg);
        msg[17] = 0x20;
        msg[24] = 0, msg[27] = (uint8_t)len;
        msg[30] = 0, msg[31] = (uint8_t)(len - SK_IKE_HDR_LEN);
        uint8_t *iv = msg + 32, *ct = iv + ivl, *icv = ct + ctl;
        ct[ctl - 1] = (uint8_t)ctl; /* pad length = whole plaintext: too big */
        if (e->aead) {
            assert_int_equal(aead_seal(&p.tx.aead, iv, span_of(msg, 32), ct, ct, ctl, icv), 0);
        } else {
            struct span cov = span_of(msg, len - icvl);
            assert_int_equal(cbc_run(&p.tx.cbc, iv, ct, ct, ctl), 0);
            assert_int_equal(integ_compute(&p.tx.mac, &cov, 1, icv), 0);
        }
        struct diag d = { 0 };
        assert_int_equal(sk_decrypt(&p.rx, span_of(msg, len), SK_IKE_HDR_LEN, SK_HDR_LEN, plain,
                                    sizeof plain, &plen, &d), KITE_E_MALFORMED);
        assert_string_equal(d.field, "SK pad length");
        pair_free(&p);
    }
}

static void misuse_refused(void **state)
{
    (void)state;
    struct sk_keys k;
    uint8_t key[64] = { 0 }, buf[128];
    struct wr w;
    const struct xf_info *gcm = xf_by_keyword(XF_ENCR, "aes128gcm16");
    const struct xf_info *sha = xf_by_keyword(XF_INTEG, "sha256");
    /* AEAD with an INTEG transform, CBC without one */
    assert_int_equal(sk_keys_init(&k, gcm, sha, span_of(key, 20), span_of(key, 32), true),
                     KITE_E_INVALID_ARG);
    assert_int_equal(sk_keys_init(&k, xf_by_keyword(XF_ENCR, "aes128"), NULL, span_of(key, 16),
                                  span_of(NULL, 0), true), KITE_E_INVALID_ARG);
    assert_int_equal(sk_keys_init(&k, gcm, NULL, span_of(key, 20), span_of(NULL, 0), true), 0);
    /* the writer must end at the SK header */
    wr_init(&w, buf, sizeof buf);
    wr_zero(&w, 30);
    assert_int_equal(sk_encrypt(&k, &w, SK_IKE_HDR_LEN, SK_HDR_LEN, span_of("x", 1), NULL,
                                NULL), KITE_E_INVALID_ARG);
    /* too small an output buffer */
    wr_init(&w, buf, 40);
    wr_zero(&w, 32);
    assert_int_equal(sk_encrypt(&k, &w, SK_IKE_HDR_LEN, SK_HDR_LEN, span_of(key, 8), NULL,
                                NULL), KITE_E_NO_SPACE);
    sk_keys_free(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trips),
        cmocka_unit_test(tamper_any_byte),
        cmocka_unit_test(truncated_input_refused),
        cmocka_unit_test(bad_pad_length_refused),
        cmocka_unit_test(misuse_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
