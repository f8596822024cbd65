/* esp/encap + esp/decap: round trips for every transform in tunnel and
 * transport mode with and without ESN; then every refusal: tampering, wrong
 * SPI, truncation, replays, bad padding and next header under a valid ICV,
 * selectors, lifetimes, sequence exhaustion, buffer room.  Each refusal must
 * be counted on the SA. */
#include "testutil.h"
#include "esp/decap.h"
#include "esp/encap.h"
#include <stdlib.h>
#include <string.h>

enum { HEAD = 64, BUF = 2048, SPI = 0x11223344 };

struct suite {
    const char *encr, *integ;
};

static const struct suite suites[] = {
    { "aes128gcm16", NULL }, { "aes256gcm16", NULL }, { "aes128gcm8", NULL },
    { "aes128gcm12", NULL }, { "chacha20poly1305", NULL }, { "aes128", "sha256" },
    { "aes256", "sha256" },  { "aes256", "sha384" },      { "aes256", "sha512" },
    { "aes128", "sha512" },
    /* issue 14: CCM (RFC 4309), CTR (RFC 3686/5528), Camellia-CBC (RFC 5529),
     * 3DES's 8-byte block and IV, the 96-bit ICVs of SHA1/MD5/XCBC/CMAC */
    { "aes128ccm16", NULL }, { "aes256ccm8", NULL },      { "aes192ccm12", NULL },
    { "3des", "sha1" },      { "camellia128", "sha256" }, { "camellia256", "aescmac" },
    { "aes128ctr", "sha256" }, { "camellia256ctr", "sha512" }, { "aes256", "md5" },
    { "aes128", "aesxcbc" }, { "3des", "md5" },      { "null", "sha256" },
};
#define N_SUITES (sizeof suites / sizeof suites[0])

struct pair {
    struct esp_sa out, in;
};

static void params_for(struct esp_sa_params *p, const struct suite *s, enum esp_mode mode,
                       bool esn, const uint8_t *ek, const uint8_t *ak)
{
    const struct xf_info *e = xf_by_keyword(XF_ENCR, s->encr);
    const struct xf_info *a = s->integ ? xf_by_keyword(XF_INTEG, s->integ) : NULL;
    assert_non_null(e);
    memset(p, 0, sizeof *p);
    p->spi = SPI;
    p->mode = mode;
    p->encr_id = e->id;
    p->encr_bits = e->key_bits;
    p->integ_id = a ? a->id : AUTH_NONE;
    p->encr_key = span_of(ek, e->key_len);
    p->integ_key = span_of(ak, a ? a->key_len : 0);
    p->esn = esn;
    p->replay_window = 128;
}

static void pair_init_p(struct pair *pr, struct esp_sa_params *p)
{
    p->dir = ESP_DIR_OUT;
    assert_int_equal(esp_sa_init(&pr->out, p), 0);
    p->dir = ESP_DIR_IN;
    assert_int_equal(esp_sa_init(&pr->in, p), 0);
}

static void pair_init(struct pair *pr, const struct suite *s, enum esp_mode mode, bool esn)
{
    uint8_t ek[64], ak[64];
    struct esp_sa_params p;
    for (size_t i = 0; i < sizeof ek; i++)
        ek[i] = (uint8_t)(0x40 + i), ak[i] = (uint8_t)(0x90 ^ i);
    params_for(&p, s, mode, esn, ek, ak);
    pair_init_p(pr, &p);
}

static void pair_free(struct pair *pr)
{
    esp_sa_free(&pr->out);
    esp_sa_free(&pr->in);
}

/* an IPv4/UDP packet of total length len (>= 28) from 10.1.0.<s> to 10.2.0.<d> */
static void ipv4_udp(uint8_t *p, size_t len, uint8_t s, uint8_t d, uint16_t dport)
{
    memset(p, 0, len);
    p[0] = 0x45, p[2] = (uint8_t)(len >> 8), p[3] = (uint8_t)len, p[8] = 64, p[9] = 17;
    p[12] = 10, p[13] = 1, p[15] = s, p[16] = 10, p[17] = 2, p[19] = d;
    p[20] = 0x30, p[21] = 0x39, p[22] = (uint8_t)(dport >> 8), p[23] = (uint8_t)dport;
    for (size_t i = 28; i < len; i++)
        p[i] = (uint8_t)(i * 7);
}

/* an IPv6/TCP packet of total length len (>= 60) */
static void ipv6_tcp(uint8_t *p, size_t len)
{
    memset(p, 0, len);
    p[0] = 0x60, p[4] = (uint8_t)((len - 40) >> 8), p[5] = (uint8_t)(len - 40), p[6] = 6;
    p[7] = 64, p[8] = 0x20, p[9] = 0x01, p[23] = 1, p[24] = 0x20, p[25] = 0x01, p[39] = 2;
    for (size_t i = 40; i < len; i++)
        p[i] = (uint8_t)(i * 3);
}

static size_t inner_packet(uint8_t *p, enum esp_mode mode, size_t len, int variant)
{
    if (mode == ESP_MODE_TRANSPORT) {
        for (size_t i = 0; i < len; i++)
            p[i] = (uint8_t)(i + variant);
        return len;
    }
    if (variant & 1) {
        len = len < 60 ? 60 : len;
        ipv6_tcp(p, len);
    } else {
        len = len < 28 ? 28 : len;
        ipv4_udp(p, len, 1, 1, 53);
    }
    return len;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* encapsulate inner (n bytes) into buf at HEAD; returns the packet */
static struct esp_buf encap(struct esp_sa *sa, uint8_t *buf, const uint8_t *inner, size_t n,
                            uint8_t proto)
{
    struct esp_buf b = { buf, BUF, HEAD, n };
    memcpy(buf + HEAD, inner, n);
    int rc = esp_encap(sa, &b, proto, 1);
    if (rc)
        fail_msg("encap: %s", kite_errname(rc));
    return b;
}

static int decap_copy(struct esp_sa *sa, const uint8_t *pkt, size_t n, uint8_t *buf,
                      struct esp_buf *b, uint8_t *nh)
{
    memcpy(buf + HEAD, pkt, n);
    *b = (struct esp_buf){ buf, BUF, HEAD, n };
    return esp_decap(sa, b, nh, 2);
}

static void round_trip(const struct suite *s, enum esp_mode mode, bool esn)
{
    static const size_t lens[] = { 0, 1, 2, 3, 15, 16, 17, 61, 64, 100, 1400, 1500 };
    static uint8_t inner[BUF], buf[BUF], rx[BUF];
    struct pair pr;
    uint64_t bytes = 0, seq = 0;
    pair_init(&pr, s, mode, esn);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        for (int v = 0; v < 2; v++) {
            size_t n = inner_packet(inner, mode, lens[i], v);
            struct esp_buf b = encap(&pr.out, buf, inner, n, 17);
            size_t hdr = esp_sa_headroom(&pr.out), icv = pr.out.icv_len;
            seq++;
            /* SPI | Seq | IV | ciphertext aligned to the block and 4 | ICV */
            assert_int_equal(b.off, HEAD - hdr);
            assert_int_equal(be32(buf + b.off), SPI);
            assert_int_equal(be32(buf + b.off + 4), (uint32_t)seq);
            assert_true(b.len >= hdr + n + 2 + icv && b.len <= hdr + n + 2 + icv + pr.out.align - 1);
            assert_int_equal((b.len - hdr - icv) % pr.out.align, 0);
            assert_true(b.len <= BUF - b.off);
            if (xf_counter_iv(pr.out.encr)) /* IV = the 64-bit sequence number */
                assert_int_equal(be32(buf + b.off + 12), (uint32_t)seq);
            struct esp_buf r;
            uint8_t nh = 0;
            int rc = decap_copy(&pr.in, buf + b.off, b.len, rx, &r, &nh);
            if (rc)
                fail_msg("%s/%s mode %d esn %d len %zu: %s", s->encr, s->integ ? s->integ : "-",
                         mode, esn, n, kite_errname(rc));
            assert_int_equal(r.len, n);
            assert_bytes_equal(rx + r.off, inner, n);
            assert_int_equal(nh, mode == ESP_MODE_TRANSPORT ? 17 : (v & 1) ? 41 : 4);
            bytes += n;
        }
    }
    assert_int_equal(pr.out.cnt.packets, seq);
    assert_int_equal(pr.in.cnt.packets, seq);
    assert_int_equal(pr.out.cnt.bytes, bytes);
    assert_int_equal(pr.in.cnt.bytes, bytes);
    assert_int_equal(pr.in.cnt.last_used, 2);
    assert_int_equal(pr.out.seq_out, seq);
    pair_free(&pr);
}

static void test_round_trips(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_SUITES; i++)
        for (int mode = 0; mode < 2; mode++)
            for (int esn = 0; esn < 2; esn++)
                round_trip(&suites[i], mode ? ESP_MODE_TRANSPORT : ESP_MODE_TUNNEL, esn);
}

static uint64_t refusals(const struct esp_sa *sa)
{
    const struct esp_counters *c = &sa->cnt;
    return c->replay_drops + c->icv_failures + c->malformed + c->policy_drops + c->other_drops;
}

/* every single bit flip of a valid packet is refused; the SA still works */
static void test_tamper(void **state)
{
    (void)state;
    static uint8_t inner[BUF], buf[BUF], pkt[BUF], rx[BUF];
    for (size_t i = 0; i < N_SUITES; i++) {
        struct pair pr;
        struct esp_buf r;
        uint8_t nh;
        pair_init(&pr, &suites[i], ESP_MODE_TUNNEL, i & 1);
        size_t n = inner_packet(inner, ESP_MODE_TUNNEL, 100, 0);
        struct esp_buf b = encap(&pr.out, buf, inner, n, 0);
        memcpy(pkt, buf + b.off, b.len);
        for (size_t at = 0; at < b.len; at++) {
            pkt[at] ^= (uint8_t)(1u << (at % 8));
            int rc = decap_copy(&pr.in, pkt, b.len, rx, &r, &nh);
            pkt[at] ^= (uint8_t)(1u << (at % 8));
            assert_int_equal(rc, at < 4 ? KITE_E_INVALID_SPI : KITE_E_INTEGRITY);
        }
        assert_int_equal(pr.in.cnt.malformed, 4);
        assert_int_equal(pr.in.cnt.icv_failures, b.len - 4);
        assert_int_equal(pr.in.cnt.packets, 0);
        /* forgeries moved no window: the genuine packet is still new */
        assert_int_equal(decap_copy(&pr.in, pkt, b.len, rx, &r, &nh), 0);
        assert_bytes_equal(rx + r.off, inner, n);
        pair_free(&pr);
    }
}

/* every prefix of a valid packet is refused and counted, without reading
 * past it (ASan builds check the latter: the copy sits at the buffer end) */
static void test_truncated(void **state)
{
    (void)state;
    static uint8_t inner[BUF], buf[BUF];
    for (size_t i = 0; i < N_SUITES; i++) {
        struct pair pr;
        uint8_t nh;
        pair_init(&pr, &suites[i], ESP_MODE_TRANSPORT, false);
        size_t n = inner_packet(inner, ESP_MODE_TRANSPORT, 40, 0);
        struct esp_buf b = encap(&pr.out, buf, inner, n, 6);
        for (size_t len = 0; len < b.len; len++) {
            uint8_t *exact = malloc(len ? len : 1);
            memcpy(exact, buf + b.off, len);
            struct esp_buf t = { exact, len, 0, len };
            int rc = esp_decap(&pr.in, &t, &nh, 3);
            assert_true(rc == KITE_E_TRUNCATED || rc == KITE_E_INTEGRITY || rc == KITE_E_BAD_LENGTH);
            free(exact);
        }
        assert_int_equal(refusals(&pr.in), b.len);
        assert_int_equal(pr.in.cnt.packets, 0);
        pair_free(&pr);
    }
}

static void test_wrong_spi_and_direction(void **state)
{
    (void)state;
    static uint8_t inner[BUF], buf[BUF], rx[BUF];
    struct pair pr;
    struct esp_buf r;
    uint8_t nh;
    pair_init(&pr, &suites[0], ESP_MODE_TUNNEL, false);
    size_t n = inner_packet(inner, ESP_MODE_TUNNEL, 64, 0);
    struct esp_buf b = encap(&pr.out, buf, inner, n, 0);
    pr.in.spi ^= 1; /* as if the SAD had handed over another SA */
    assert_int_equal(decap_copy(&pr.in, buf + b.off, b.len, rx, &r, &nh), KITE_E_INVALID_SPI);
    assert_int_equal(pr.in.cnt.malformed, 1);
    pr.in.spi ^= 1;
    /* each SA works in its own direction only */
    assert_int_equal(decap_copy(&pr.out, buf + b.off, b.len, rx, &r, &nh), KITE_E_INVALID_ARG);
    struct esp_buf e = { rx, BUF, HEAD, 10 };
    assert_int_equal(esp_encap(&pr.in, &e, 6, 0), KITE_E_INVALID_ARG);
    assert_int_equal(decap_copy(&pr.in, buf + b.off, b.len, rx, &r, &nh), 0);
    pair_free(&pr);
}

/* SPI | Seq | IV | seal(pt) | ICV built by hand with the outbound SA's
 * contexts: the trailer in pt is whatever the test wants, the ICV valid */
static size_t seal_raw(struct esp_sa *sa, uint64_t seq, const uint8_t *pt, size_t n, uint8_t *pkt)
{
    size_t hdr = esp_sa_headroom(sa);
    uint8_t *ct = pkt + hdr;
    assert_int_equal(esp_sa_prepare(sa), 0); /* the contexts used below directly */
    for (int i = 0; i < 4; i++)
        pkt[i] = (uint8_t)(sa->spi >> (24 - 8 * i)), pkt[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
    for (size_t i = 0; i < sa->iv_len; i++)
        pkt[8 + i] = (uint8_t)(seq >> (8 * (7 - i % 8)));
    memcpy(ct, pt, n);
    if (sa->encr->aead) {
        uint8_t aad[12];
        size_t na = esp_sa_aad(sa, seq, aad);
        assert_int_equal(aead_seal(&sa->aead, pkt + 8, span_of(aad, na), ct, ct, n, ct + n), 0);
    } else {
        uint8_t hi[4] = { (uint8_t)(seq >> 56), (uint8_t)(seq >> 48), (uint8_t)(seq >> 40),
                          (uint8_t)(seq >> 32) };
        struct span parts[2] = { span_of(pkt, hdr + n), span_of(hi, 4) };
        assert_int_equal(n % sa->encr->block_len, 0);
        assert_int_equal(cbc_run(&sa->cbc, pkt + 8, ct, ct, n), 0);
        assert_int_equal(integ_compute(&sa->mac, parts, sa->esn ? 2 : 1, ct + n), 0);
    }
    return hdr + n + sa->icv_len;
}

/* pt[inner..] = pad (npad bytes 1, 2, 3, ...) | pad length field | next header */
static size_t trailer(uint8_t *pt, size_t inner, size_t npad, uint8_t padlen_field, uint8_t nh)
{
    for (size_t i = 0; i < npad; i++)
        pt[inner + i] = (uint8_t)(i + 1);
    pt[inner + npad] = padlen_field;
    pt[inner + npad + 1] = nh;
    return inner + npad + 2;
}

/* seal pt (n bytes) with a valid ICV, decapsulate, expect `want` */
static int try_raw(struct pair *pr, uint64_t *seq, const uint8_t *pt, size_t n, struct esp_buf *r,
                   uint8_t *nh)
{
    static uint8_t pkt[BUF], rx[BUF];
    size_t len = seal_raw(&pr->out, ++*seq, pt, n, pkt);
    return decap_copy(&pr->in, pkt, len, rx, r, nh);
}

static void bad_trailers(const struct suite *s)
{
    static uint8_t pt[BUF];
    struct pair pr;
    struct esp_buf r;
    uint64_t seq = 0, good = 0, bad = 0;
    uint8_t nh;
    pair_init(&pr, s, ESP_MODE_TUNNEL, true);
#define EXPECT(want, n)                                                      \
    do {                                                                     \
        assert_int_equal(try_raw(&pr, &seq, pt, (n), &r, &nh), (want));      \
        (want) ? bad++ : good++;                                             \
    } while (0)
    /* the helper makes good packets: 44 + 2 + 2 = 48, and long padding */
    ipv4_udp(pt, 44, 1, 1, 53);
    EXPECT(0, trailer(pt, 44, 2, 2, 4));
    assert_int_equal(r.len, 44);
    assert_int_equal(nh, 4);
    ipv4_udp(pt, 28, 1, 1, 53);
    EXPECT(0, trailer(pt, 28, 18, 18, 4));
    assert_int_equal(r.len, 28);
    /* padding bytes not 1, 2, 3, ... (RFC 4303 2.4) */
    for (size_t at = 0; at < 18; at++) {
        trailer(pt, 28, 18, 18, 4);
        pt[28 + at] ^= 0x40;
        EXPECT(KITE_E_MALFORMED, 48);
    }
    /* pad length beyond the payload; all padding and no packet */
    ipv4_udp(pt, 44, 1, 1, 53);
    EXPECT(KITE_E_MALFORMED, trailer(pt, 44, 2, 47, 4));
    EXPECT(KITE_E_MALFORMED, trailer(pt, 0, 46, 46, 4));
    /* tunnel mode: next header must be IPv4/IPv6 and agree with the packet */
    ipv4_udp(pt, 44, 1, 1, 53);
    EXPECT(KITE_E_MALFORMED, trailer(pt, 44, 2, 2, 6));
    EXPECT(KITE_E_MALFORMED, trailer(pt, 44, 2, 2, 41));
    /* the inner header claims more than arrived */
    ipv4_udp(pt, 44, 1, 1, 53);
    pt[3] = 60;
    EXPECT(KITE_E_MALFORMED, trailer(pt, 44, 2, 2, 4));
    /* TFC padding after the inner packet is cut (RFC 4303 2.7) */
    ipv4_udp(pt, 28, 1, 1, 53);
    memset(pt + 28, 0xee, 16);
    EXPECT(0, trailer(pt, 44, 2, 2, 4));
    assert_int_equal(r.len, 28);
    /* a dummy packet (next header 59, RFC 4303 2.6) is handed up to be dropped */
    memset(pt, 0x5a, 46);
    EXPECT(0, trailer(pt, 46, 0, 0, 59));
    assert_int_equal(nh, 59);
#undef EXPECT
    assert_int_equal(pr.in.cnt.malformed, bad);
    assert_int_equal(pr.in.cnt.packets, good);
    assert_int_equal(refusals(&pr.in), bad);
    pair_free(&pr);
}

static void test_bad_trailers(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_SUITES; i++)
        bad_trailers(&suites[i]);
}

/* replays through decap, and the window moves only for authentic packets */
static void test_replay(void **state)
{
    (void)state;
    static uint8_t inner[BUF], buf[BUF], rx[BUF], pkts[4][BUF];
    size_t lens[4];
    struct pair pr;
    struct esp_buf r;
    uint8_t nh;
    pair_init(&pr, &suites[5], ESP_MODE_TRANSPORT, false);
    for (int i = 0; i < 4; i++) {
        size_t n = inner_packet(inner, ESP_MODE_TRANSPORT, 33, i);
        struct esp_buf b = encap(&pr.out, buf, inner, n, 17);
        memcpy(pkts[i], buf + b.off, b.len);
        lens[i] = b.len;
    }
    /* 4, then 2 late, then 2 again, then 4 again */
    assert_int_equal(decap_copy(&pr.in, pkts[3], lens[3], rx, &r, &nh), 0);
    assert_int_equal(decap_copy(&pr.in, pkts[1], lens[1], rx, &r, &nh), 0);
    assert_int_equal(decap_copy(&pr.in, pkts[1], lens[1], rx, &r, &nh), KITE_E_REPLAY);
    assert_int_equal(decap_copy(&pr.in, pkts[3], lens[3], rx, &r, &nh), KITE_E_REPLAY);
    assert_int_equal(pr.in.cnt.replay_drops, 2);
    /* a forged packet 1 (bad ICV) leaves 1 unseen */
    pkts[0][lens[0] - 1] ^= 1;
    assert_int_equal(decap_copy(&pr.in, pkts[0], lens[0], rx, &r, &nh), KITE_E_INTEGRITY);
    pkts[0][lens[0] - 1] ^= 1;
    assert_int_equal(decap_copy(&pr.in, pkts[0], lens[0], rx, &r, &nh), 0);
    assert_int_equal(pr.in.cnt.icv_failures, 1);
    /* left of the window: receive 1000 then 3 with a 128-packet window */
    pr.out.seq_out = 999;
    size_t n = inner_packet(inner, ESP_MODE_TRANSPORT, 20, 0);
    struct esp_buf b = encap(&pr.out, buf, inner, n, 17);
    assert_int_equal(esp_decap(&pr.in, &b, &nh, 5), 0);
    assert_int_equal(decap_copy(&pr.in, pkts[2], lens[2], rx, &r, &nh), KITE_E_REPLAY);
    assert_int_equal(pr.in.cnt.replay_drops, 3);
    pair_free(&pr);
}

/* ESN: the low 32 bits wrap on the wire, the ICV still covers all 64 */
static void test_esn_wrap(void **state)
{
    (void)state;
    static uint8_t inner[BUF], buf[BUF], rx[BUF], late[BUF];
    struct pair pr;
    struct esp_buf r;
    uint8_t nh;
    for (size_t i = 0; i < N_SUITES; i++) {
        pair_init(&pr, &suites[i], ESP_MODE_TUNNEL, true);
        pr.out.seq_out = UINT64_C(0xfffffffc);
        esp_replay_seed(&pr.in.replay, UINT64_C(0xfffffff0));
        size_t n = inner_packet(inner, ESP_MODE_TUNNEL, 80, 0), late_len = 0;
        for (int k = 0; k < 6; k++) { /* 0xfffffffd .. 0x100000002 */
            struct esp_buf b = encap(&pr.out, buf, inner, n, 0);
            if (k == 1) { /* 0xfffffffe arrives last */
                memcpy(late, buf + b.off, b.len);
                late_len = b.len;
                continue;
            }
            assert_int_equal(decap_copy(&pr.in, buf + b.off, b.len, rx, &r, &nh), 0);
        }
        assert_int_equal(pr.in.replay.top, UINT64_C(0x100000002));
        assert_int_equal(decap_copy(&pr.in, late, late_len, rx, &r, &nh), 0);
        assert_int_equal(decap_copy(&pr.in, late, late_len, rx, &r, &nh), KITE_E_REPLAY);
        /* a receiver that guessed another high half fails the ICV */
        esp_replay_seed(&pr.in.replay, UINT64_C(0x300000000));
        struct esp_buf b = encap(&pr.out, buf, inner, n, 0);
        assert_int_equal(esp_decap(&pr.in, &b, &nh, 3), KITE_E_INTEGRITY);
        pair_free(&pr);
    }
}

/* without ESN the SA stops at 2^32 - 1 and says so */
static void test_seq_exhausted(void **state)
{
    (void)state;
    static uint8_t inner[BUF], buf[BUF];
    struct pair pr;
    pair_init(&pr, &suites[0], ESP_MODE_TRANSPORT, false);
    pr.out.seq_out = UINT32_MAX - 1;
    size_t n = inner_packet(inner, ESP_MODE_TRANSPORT, 20, 0);
    struct esp_buf b = encap(&pr.out, buf, inner, n, 6);
    assert_int_equal(be32(buf + b.off + 4), UINT32_MAX);
    b = (struct esp_buf){ buf, BUF, HEAD, n };
    assert_int_equal(esp_encap(&pr.out, &b, 6, 0), KITE_E_SEQ_EXHAUSTED);
    assert_true(pr.out.flags & ESP_SA_SEQ_EXHAUSTED);
    assert_int_equal(b.off, HEAD);
    assert_int_equal(pr.out.cnt.other_drops, 1);
    pair_free(&pr);
    /* with ESN it goes on past 2^32, and stops at 2^64 - 1 */
    pair_init(&pr, &suites[0], ESP_MODE_TRANSPORT, true);
    pr.out.seq_out = UINT32_MAX;
    b = encap(&pr.out, buf, inner, n, 6);
    assert_int_equal(pr.out.seq_out, UINT64_C(1) << 32);
    assert_int_equal(be32(buf + b.off + 4), 0);
    pr.out.seq_out = UINT64_MAX;
    b = (struct esp_buf){ buf, BUF, HEAD, n };
    assert_int_equal(esp_encap(&pr.out, &b, 6, 0), KITE_E_SEQ_EXHAUSTED);
    pair_free(&pr);
}

static void test_lifetimes(void **state)
{
    (void)state;
    static uint8_t inner[BUF], buf[BUF];
    uint8_t ek[64] = { 0 }, nh;
    struct esp_sa_params p;
    struct pair pr;
    params_for(&p, &suites[4], ESP_MODE_TRANSPORT, false, ek, NULL);
    p.limits.soft_packets = 2;
    p.limits.hard_packets = 3;
    p.limits.soft_bytes = 1000;
    pair_init_p(&pr, &p);
    size_t n = inner_packet(inner, ESP_MODE_TRANSPORT, 100, 0);
    for (int i = 1; i <= 3; i++) {
        struct esp_buf b = encap(&pr.out, buf, inner, n, 6);
        assert_int_equal(esp_decap(&pr.in, &b, &nh, 4), 0);
        assert_int_equal(!!(pr.out.flags & ESP_SA_SOFT_EXPIRED), i >= 2);
        assert_int_equal(!!(pr.in.flags & ESP_SA_HARD_EXPIRED), i >= 3);
    }
    struct esp_buf b = { buf, BUF, HEAD, n };
    assert_int_equal(esp_encap(&pr.out, &b, 6, 0), KITE_E_STATE);
    assert_int_equal(esp_decap(&pr.in, &b, &nh, 0), KITE_E_STATE);
    assert_int_equal(pr.in.cnt.other_drops, 1);
    pair_free(&pr);
    /* bytes: 10 packets of 100 reach the soft limit of 1000 */
    p.limits = (struct esp_limits){ .soft_bytes = 1000 };
    pair_init_p(&pr, &p);
    for (int i = 1; i <= 10; i++) {
        assert_int_equal(pr.out.flags, 0);
        encap(&pr.out, buf, inner, n, 6);
    }
    assert_int_equal(pr.out.flags, ESP_SA_SOFT_EXPIRED);
    pair_free(&pr);
}

static void test_no_space(void **state)
{
    (void)state;
    static uint8_t buf[BUF];
    struct pair pr;
    for (size_t i = 0; i < N_SUITES; i++) {
        pair_init(&pr, &suites[i], ESP_MODE_TRANSPORT, false);
        size_t head = esp_sa_headroom(&pr.out), tail = esp_sa_tailroom(&pr.out);
        /* exactly enough room works; one byte less at either end does not */
        struct esp_buf b = { buf, head + 16 + tail, head, 16 };
        assert_int_equal(esp_encap(&pr.out, &b, 6, 0), 0);
        b = (struct esp_buf){ buf, head + 16 + tail, head - 1, 16 };
        assert_int_equal(esp_encap(&pr.out, &b, 6, 0), KITE_E_NO_SPACE);
        b = (struct esp_buf){ buf, head + 16 + tail - 1, head, 16 };
        assert_int_equal(esp_encap(&pr.out, &b, 6, 0), KITE_E_NO_SPACE);
        b = (struct esp_buf){ buf, 10, head, 16 }; /* inconsistent buffer */
        assert_int_equal(esp_encap(&pr.out, &b, 6, 0), KITE_E_NO_SPACE);
        assert_int_equal(pr.out.cnt.other_drops, 3);
        /* tunnel mode wants an IP packet */
        pr.out.mode = ESP_MODE_TUNNEL;
        memset(buf + head, 0x10, 16);
        b = (struct esp_buf){ buf, BUF, head, 16 };
        assert_int_equal(esp_encap(&pr.out, &b, 6, 0), KITE_E_MALFORMED);
        assert_int_equal(pr.out.cnt.malformed, 1);
        pair_free(&pr);
    }
}

/* RFC 4301 5.2: the decrypted packet must lie within the SA's selectors */
static void test_inbound_selectors(void **state)
{
    (void)state;
    static uint8_t inner[BUF], buf[BUF];
    uint8_t ek[64] = { 1 }, ak[64] = { 2 }, nh;
    struct esp_ts local, remote;
    struct esp_sa_params p;
    struct pair pr;
    /* remote 10.1.0.0/24 any port, local 10.2.0.1-10.2.0.9 UDP port 53 only */
    esp_ts_any(&remote, ESP_IPV4);
    memcpy(remote.start, "\x0a\x01\x00\x00", 4);
    memcpy(remote.end, "\x0a\x01\x00\xff", 4);
    esp_ts_any(&local, ESP_IPV4);
    memcpy(local.start, "\x0a\x02\x00\x01", 4);
    memcpy(local.end, "\x0a\x02\x00\x09", 4);
    local.proto = 17;
    local.port_lo = local.port_hi = 53;
    params_for(&p, &suites[6], ESP_MODE_TUNNEL, false, ek, ak);
    p.ts_local = &local, p.n_ts_local = 1, p.ts_remote = &remote, p.n_ts_remote = 1;
    pair_init_p(&pr, &p);
    struct { uint8_t s, d; uint16_t port; int want; } cases[] = {
        { 1, 1, 53, 0 }, { 200, 9, 53, 0 }, { 1, 10, 53, KITE_E_POLICY },
        { 1, 0, 53, KITE_E_POLICY }, { 1, 5, 54, KITE_E_POLICY },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ipv4_udp(inner, 60, cases[i].s, cases[i].d, cases[i].port);
        struct esp_buf b = encap(&pr.out, buf, inner, 60, 0);
        assert_int_equal(esp_decap(&pr.in, &b, &nh, 1), cases[i].want);
    }
    ipv6_tcp(inner, 80); /* another family altogether */
    struct esp_buf b = encap(&pr.out, buf, inner, 80, 0);
    assert_int_equal(esp_decap(&pr.in, &b, &nh, 1), KITE_E_POLICY);
    assert_int_equal(pr.in.cnt.policy_drops, 4);
    assert_int_equal(pr.in.cnt.packets, 2);
    pair_free(&pr);
}

/* CBC IVs are neither the sequence number nor repeated */
static void test_cbc_iv(void **state)
{
    (void)state;
    static uint8_t inner[BUF], buf[BUF], ivs[64][16];
    struct pair pr;
    pair_init(&pr, &suites[6], ESP_MODE_TRANSPORT, false);
    for (int i = 0; i < 64; i++) {
        struct esp_buf b = encap(&pr.out, buf, inner, 32, 6);
        memcpy(ivs[i], buf + b.off + 8, 16);
        assert_false(be32(ivs[i] + 4) == (uint32_t)(i + 1) && be32(ivs[i]) == 0);
        for (int j = 0; j < i; j++)
            assert_false(memcmp(ivs[i], ivs[j], 16) == 0);
    }
    pair_free(&pr);
}

static void test_bad_params(void **state)
{
    (void)state;
    uint8_t k[64] = { 0 };
    struct esp_sa sa;
    struct esp_sa_params p;
    params_for(&p, &suites[0], ESP_MODE_TUNNEL, false, k, k);
    p.integ_id = AUTH_HMAC_SHA2_256_128; /* AEAD with an integrity transform */
    p.integ_key = span_of(k, 32);
    assert_int_equal(esp_sa_init(&sa, &p), KITE_E_UNSUPPORTED);
    params_for(&p, &suites[5], ESP_MODE_TUNNEL, false, k, k);
    p.integ_id = AUTH_NONE; /* CBC without one */
    assert_int_equal(esp_sa_init(&sa, &p), KITE_E_UNSUPPORTED);
    params_for(&p, &suites[5], ESP_MODE_TUNNEL, false, k, k);
    p.encr_key.n--;
    assert_int_equal(esp_sa_init(&sa, &p), KITE_E_INVALID_ARG);
    params_for(&p, &suites[5], ESP_MODE_TUNNEL, false, k, k);
    p.replay_window = ESP_REPLAY_MAX + 1;
    assert_int_equal(esp_sa_init(&sa, &p), KITE_E_INVALID_ARG);
    p.replay_window = ESP_REPLAY_MAX;
    p.n_ts_local = ESP_SA_MAX_TS + 1;
    assert_int_equal(esp_sa_init(&sa, &p), KITE_E_INVALID_ARG);
    p.n_ts_local = 0;
    p.encr_id = 99; /* not in the registry */
    assert_int_equal(esp_sa_init(&sa, &p), KITE_E_UNSUPPORTED);
    esp_sa_free(&sa); /* safe after a failed init */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_tamper),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_wrong_spi_and_direction),
        cmocka_unit_test(test_bad_trailers),
        cmocka_unit_test(test_replay),
        cmocka_unit_test(test_esn_wrap),
        cmocka_unit_test(test_seq_exhausted),
        cmocka_unit_test(test_lifetimes),
        cmocka_unit_test(test_no_space),
        cmocka_unit_test(test_inbound_selectors),
        cmocka_unit_test(test_cbc_iv),
        cmocka_unit_test(test_bad_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
