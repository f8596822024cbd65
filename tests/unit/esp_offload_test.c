/* esp/offload: TSO segmentation (lengths, IPv4 id and header checksum, TCP
 * sequence numbers, flags, full checksums verified independently), GRO back
 * to the original stream, partial checksum completion, and refusals. */
#include "testutil.h"
#include "base/err.h"
#include "esp/offload.h"
#include <stdlib.h>
#include <string.h>

enum { PAY = 10000, MSS = 1400, CAP = 2048 };

/* an independent RFC 1071 sum, 16 bits at a time */
static uint32_t naive_sum(uint32_t s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s += i % 2 ? p[i] : (uint32_t)p[i] << 8;
    return s;
}

static uint16_t naive_fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

/* the TCP checksum over pseudo header + segment must verify (sum == 0xffff) */
static bool tcp_checksum_ok(const uint8_t *p, size_t len)
{
    bool v4 = p[0] >> 4 == 4;
    size_t iphl = v4 ? (size_t)(p[0] & 15) * 4 : 40;
    size_t tl = len - iphl;
    uint32_t s = v4 ? naive_sum(0, p + 12, 8) : naive_sum(0, p + 8, 32);
    s += 6 + (uint32_t)tl;
    s = naive_sum(s, p + iphl, tl);
    return naive_fold(s) == 0xffff;
}

static bool ip4_checksum_ok(const uint8_t *p)
{
    return naive_fold(naive_sum(0, p, 20)) == 0xffff;
}

static void set_tcp_checksum(uint8_t *p, size_t len)
{
    bool v4 = p[0] >> 4 == 4;
    size_t iphl = v4 ? 20 : 40;
    uint8_t *th = p + iphl;
    th[16] = th[17] = 0;
    uint32_t s = v4 ? naive_sum(0, p + 12, 8) : naive_sum(0, p + 8, 32);
    s += 6 + (uint32_t)(len - iphl);
    s = naive_sum(s, th, len - iphl);
    uint16_t ck = (uint16_t)~naive_fold(s);
    th[16] = (uint8_t)(ck >> 8);
    th[17] = (uint8_t)ck;
}

/* a TCP packet with `pay` payload bytes, 12 bytes of options (timestamps) */
static size_t make_tcp(uint8_t *p, int family, size_t pay, uint8_t flags, uint32_t seq)
{
    size_t iphl = family == 4 ? 20 : 40, th = 32, len = iphl + th + pay;
    memset(p, 0, iphl + th);
    if (family == 4) {
        p[0] = 0x45;
        p[2] = (uint8_t)(len >> 8);
        p[3] = (uint8_t)len;
        p[4] = 0x12;
        p[5] = 0x34;
        p[6] = 0x40; /* DF */
        p[8] = 64;
        p[9] = 6;
        memcpy(p + 12, "\x0a\x01\x00\x01\x0a\x02\x00\x01", 8);
        uint16_t ck = (uint16_t)~naive_fold(naive_sum(0, p, 20));
        p[10] = (uint8_t)(ck >> 8);
        p[11] = (uint8_t)ck;
    } else {
        p[0] = 0x60;
        p[4] = (uint8_t)((th + pay) >> 8);
        p[5] = (uint8_t)(th + pay);
        p[6] = 6;
        p[7] = 64;
        p[8] = 0xfd;
        p[9] = 1;
        p[23] = 1;
        p[24] = 0xfd;
        p[25] = 2;
        p[39] = 1;
    }
    uint8_t *t = p + iphl;
    t[0] = 0x9c; t[1] = 0x40; t[2] = 0x14; t[3] = 0x51; /* 40000 -> 5201 */
    t[4] = (uint8_t)(seq >> 24); t[5] = (uint8_t)(seq >> 16); t[6] = (uint8_t)(seq >> 8); t[7] = (uint8_t)seq;
    t[8] = 0xaa; t[9] = 0xbb; t[10] = 0xcc; t[11] = 0xdd;
    t[12] = 8 << 4;
    t[13] = flags;
    t[14] = 0x01; t[15] = 0xf5;
    t[20] = 1; t[21] = 1; t[22] = 8; t[23] = 10; /* NOP NOP TS */
    for (int i = 24; i < 32; i++)
        t[i] = (uint8_t)i;
    for (size_t i = 0; i < pay; i++)
        p[iphl + th + i] = (uint8_t)(i * 7 + 3);
    set_tcp_checksum(p, len);
    return len;
}

static uint32_t seq_of(const uint8_t *p, size_t iphl)
{
    const uint8_t *t = p + iphl;
    return (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
}

static void segment_and_join(int family)
{
    uint8_t *pkt = malloc(70000), *out_mem = malloc(64 * CAP), *gro = malloc(70000);
    uint8_t *out[64];
    size_t lens[64];
    size_t iphl = family == 4 ? 20 : 40, hl = iphl + 32;
    for (int i = 0; i < 64; i++)
        out[i] = out_mem + i * CAP;
    size_t len = make_tcp(pkt, family, PAY, 0x18 /* ACK|PSH */ | 0x80 /* CWR */, 1000);
    int n = ofl_tcp_segment(pkt, len, MSS, out, lens, 64, CAP);
    assert_int_equal(n, (PAY + MSS - 1) / MSS);
    size_t got = 0;
    for (int i = 0; i < n; i++) {
        size_t dl = i == n - 1 ? PAY - (size_t)i * MSS : MSS;
        assert_int_equal(lens[i], hl + dl);
        if (family == 4) {
            assert_int_equal(out[i][2] << 8 | out[i][3], hl + dl);
            assert_int_equal(out[i][4] << 8 | out[i][5], 0x1234 + i);
            assert_true(ip4_checksum_ok(out[i]));
        } else {
            assert_int_equal(out[i][4] << 8 | out[i][5], 32 + dl);
        }
        assert_int_equal(seq_of(out[i], iphl), 1000 + (uint32_t)i * MSS);
        uint8_t fl = out[i][iphl + 13];
        assert_int_equal(!!(fl & 0x08), i == n - 1); /* PSH on the last only */
        assert_int_equal(!!(fl & 0x80), i == 0);     /* CWR on the first only */
        assert_true(fl & 0x10);
        assert_true(tcp_checksum_ok(out[i], lens[i]));
        assert_bytes_equal(out[i] + hl, pkt + hl + got, dl);
        got += dl;
    }
    assert_int_equal(got, PAY);

    /* GRO joins them back: the first segment starts (CWR set: it may not
     * start a run, so start from the second and check the rest join) */
    assert_false(ofl_tcp_can_coalesce(out[0], lens[0]));
    assert_true(ofl_tcp_can_coalesce(out[1], lens[1]));
    memcpy(gro, out[1], lens[1]);
    size_t glen = lens[1];
    uint16_t mss = 0;
    for (int i = 2; i < n; i++)
        assert_int_equal(ofl_tcp_coalesce(gro, &glen, 70000, &mss, out[i], lens[i]), 1);
    assert_int_equal(mss, MSS);
    assert_int_equal(glen, hl + PAY - MSS);
    assert_bytes_equal(gro + hl, pkt + hl + MSS, PAY - MSS);
    assert_true(gro[iphl + 13] & 0x08); /* the last segment's PSH carried over */
    /* nothing may follow a PSH */
    assert_int_equal(ofl_tcp_coalesce(gro, &glen, 70000, &mss, out[2], lens[2]), 0);
    struct ofl_vnet v;
    ofl_tcp_coalesce_end(gro, glen, mss, n - 1, &v);
    assert_int_equal(v.flags, OFL_F_NEEDS_CSUM);
    assert_int_equal(v.gso_type, family == 4 ? OFL_GSO_TCPV4 : OFL_GSO_TCPV6);
    assert_int_equal(v.gso_size, MSS);
    assert_int_equal(v.hdr_len, hl);
    assert_int_equal(v.csum_start, iphl);
    assert_int_equal(v.csum_offset, 16);
    if (family == 4) {
        assert_int_equal(gro[2] << 8 | gro[3], glen);
        assert_true(ip4_checksum_ok(gro));
    } else {
        assert_int_equal(gro[4] << 8 | gro[5], glen - 40);
    }
    /* the partial checksum finished is the full checksum of the joined packet */
    assert_int_equal(ofl_csum_finish(gro, glen, v.csum_start, v.csum_offset), 0);
    assert_true(tcp_checksum_ok(gro, glen));

    /* the vnet header round-trips */
    uint8_t raw[OFL_VNET_LEN];
    struct ofl_vnet w;
    ofl_vnet_write(raw, &v);
    assert_int_equal(ofl_vnet_read(raw, sizeof raw, &w), 0);
    assert_memory_equal(&v, &w, sizeof v);
    assert_int_equal(ofl_vnet_read(raw, 9, &w), KITE_E_TRUNCATED);
    free(pkt);
    free(out_mem);
    free(gro);
}

static void test_segment_join_v4(void **state)
{
    (void)state;
    segment_and_join(4);
}

static void test_segment_join_v6(void **state)
{
    (void)state;
    segment_and_join(6);
}

static void test_coalesce_refusals(void **state)
{
    (void)state;
    uint8_t *a = malloc(70000), b[CAP];
    size_t la = make_tcp(a, 4, MSS, 0x10, 5000), lb;
    uint16_t mss = 0;
    size_t l;
    /* out of order */
    lb = make_tcp(b, 4, MSS, 0x10, 5000 + 2 * MSS);
    l = la;
    assert_int_equal(ofl_tcp_coalesce(a, &l, 70000, &mss, b, lb), 0);
    /* another port */
    lb = make_tcp(b, 4, MSS, 0x10, 5000 + MSS);
    b[21] ^= 1;
    set_tcp_checksum(b, lb); /* refused for the port, not the checksum */
    mss = 0;
    assert_int_equal(ofl_tcp_coalesce(a, &l, 70000, &mss, b, lb), 0);
    /* another ack number */
    lb = make_tcp(b, 4, MSS, 0x10, 5000 + MSS);
    b[28] ^= 1;
    set_tcp_checksum(b, lb);
    assert_int_equal(ofl_tcp_coalesce(a, &l, 70000, &mss, b, lb), 0);
    /* a FIN */
    lb = make_tcp(b, 4, MSS, 0x11, 5000 + MSS);
    assert_int_equal(ofl_tcp_coalesce(a, &l, 70000, &mss, b, lb), 0);
    /* larger than the first segment */
    lb = make_tcp(b, 4, MSS + 1, 0x10, 5000 + MSS);
    assert_int_equal(ofl_tcp_coalesce(a, &l, 70000, &mss, b, lb), 0);
    /* no room */
    lb = make_tcp(b, 4, MSS, 0x10, 5000 + MSS);
    assert_int_equal(ofl_tcp_coalesce(a, &l, la + 10, &mss, b, lb), 0);
    /* IPv6 segment after IPv4 */
    lb = make_tcp(b, 6, MSS, 0x10, 5000 + MSS);
    assert_int_equal(ofl_tcp_coalesce(a, &l, 70000, &mss, b, lb), 0);
    assert_int_equal(l, la); /* nothing appended by any refusal */
    /* the right one joins */
    lb = make_tcp(b, 4, MSS, 0x10, 5000 + MSS);
    assert_int_equal(ofl_tcp_coalesce(a, &l, 70000, &mss, b, lb), 1);
    assert_int_equal(l, la + MSS);
    free(a);
}

/* finding 8: the coalesced packet goes to TUN flagged CHECKSUM_PARTIAL, which
 * tells the kernel to trust it; a segment whose TCP checksum (or IPv4 header
 * checksum) is wrong must therefore neither start a run nor join one, so it
 * reaches TUN on its own, unflagged, and the kernel drops it. */
static void test_coalesce_verifies_checksums(void **state)
{
    (void)state;
    for (int family = 4; family <= 6; family += 2) {
        uint8_t *a = malloc(70000), b[CAP];
        size_t la = make_tcp(a, family, MSS, 0x10, 5000), l = la, lb;
        size_t iphl = family == 4 ? 20 : 40;
        uint16_t mss = 0;
        /* a corrupted payload byte in the segment to append */
        lb = make_tcp(b, family, MSS, 0x10, 5000 + MSS);
        b[lb - 1] ^= 0x40;
        assert_int_equal(ofl_tcp_coalesce(a, &l, 70000, &mss, b, lb), 0);
        assert_int_equal(l, la);
        /* a wrong checksum field */
        b[lb - 1] ^= 0x40;
        b[iphl + 17] ^= 1;
        assert_int_equal(ofl_tcp_coalesce(a, &l, 70000, &mss, b, lb), 0);
        assert_int_equal(l, la);
        /* a bad first segment may not start a run */
        b[iphl + 17] ^= 1;
        assert_true(ofl_tcp_can_coalesce(b, lb));
        b[iphl + 40] ^= 0x01;
        assert_false(ofl_tcp_can_coalesce(b, lb));
        b[iphl + 40] ^= 0x01;
        if (family == 4) { /* an IPv4 header checksum that does not verify */
            b[11] ^= 1;
            assert_false(ofl_tcp_can_coalesce(b, lb));
            assert_int_equal(ofl_tcp_coalesce(a, &l, 70000, &mss, b, lb), 0);
            b[11] ^= 1;
        }
        /* intact, it joins */
        assert_int_equal(ofl_tcp_coalesce(a, &l, 70000, &mss, b, lb), 1);
        assert_int_equal(l, la + MSS);
        free(a);
    }
}

static void test_coalesce_joins(void **state)
{
    (void)state;
    uint8_t *a = malloc(70000), b[CAP];
    size_t l = make_tcp(a, 4, MSS, 0x10, 5000), lb;
    uint16_t mss = 0;
    int joined = 0;
    for (int i = 1; i < 60; i++) {
        lb = make_tcp(b, 4, MSS, 0x10, 5000 + (uint32_t)i * MSS);
        joined += ofl_tcp_coalesce(a, &l, 70000, &mss, b, lb);
    }
    /* at most 65535 bytes of IP packet: 46 segments of 1400 + 52 header bytes */
    assert_int_equal(joined, (65535 - 52) / MSS - 1);
    assert_true(l <= 65535);
    /* SYN, RST, URG, PSH, no ACK, no payload: not a start */
    uint8_t s[CAP];
    size_t ls = make_tcp(s, 4, MSS, 0x12, 1);
    assert_false(ofl_tcp_can_coalesce(s, ls));
    ls = make_tcp(s, 4, MSS, 0x04 | 0x10, 1);
    assert_false(ofl_tcp_can_coalesce(s, ls));
    ls = make_tcp(s, 4, MSS, 0x00, 1);
    assert_false(ofl_tcp_can_coalesce(s, ls));
    ls = make_tcp(s, 4, 0, 0x10, 1);
    assert_false(ofl_tcp_can_coalesce(s, ls));
    ls = make_tcp(s, 4, 100, 0x10, 1);
    assert_true(ofl_tcp_can_coalesce(s, ls));
    s[9] = 17; /* UDP */
    assert_false(ofl_tcp_can_coalesce(s, ls));
    /* a single segment keeps its own checksum: no vnet flags */
    struct ofl_vnet v;
    ls = make_tcp(s, 4, 100, 0x10, 1);
    ofl_tcp_coalesce_end(s, ls, 0, 1, &v);
    assert_int_equal(v.flags, 0);
    assert_int_equal(v.gso_type, OFL_GSO_NONE);
    assert_true(tcp_checksum_ok(s, ls));
    free(a);
}

static void test_csum_finish(void **state)
{
    (void)state;
    uint8_t p[CAP];
    size_t len = make_tcp(p, 4, 999, 0x18, 77); /* odd length */
    uint8_t want0 = p[36], want1 = p[37];
    /* what a local sender hands over with CHECKSUM_PARTIAL: the pseudo sum */
    uint32_t s = naive_sum(0, p + 12, 8) + 6 + (uint32_t)(len - 20);
    uint16_t ps = naive_fold(s);
    p[36] = (uint8_t)(ps >> 8);
    p[37] = (uint8_t)ps;
    assert_int_equal(ofl_csum_finish(p, len, 20, 16), 0);
    assert_int_equal(p[36], want0);
    assert_int_equal(p[37], want1);
    assert_int_equal(ofl_csum_finish(p, len, 20, (uint16_t)(len - 20 - 1)), KITE_E_MALFORMED);
    assert_int_equal(ofl_csum_finish(p, len, (uint16_t)len, 0), KITE_E_MALFORMED);
}

static void test_segment_refusals(void **state)
{
    (void)state;
    uint8_t *p = malloc(70000), *mem = malloc(64 * CAP);
    uint8_t *out[64];
    size_t lens[64];
    for (int i = 0; i < 64; i++)
        out[i] = mem + i * CAP;
    size_t len = make_tcp(p, 4, PAY, 0x10, 1);
    assert_int_equal(ofl_tcp_segment(p, len, MSS, out, lens, 7, CAP), KITE_E_TOO_MANY);
    assert_int_equal(ofl_tcp_segment(p, len, MSS, out, lens, 64, 1000), KITE_E_NO_SPACE);
    assert_int_equal(ofl_tcp_segment(p, len, 0, out, lens, 64, CAP), KITE_E_INVALID_ARG);
    assert_int_equal(ofl_tcp_segment(p, 19, MSS, out, lens, 64, CAP), KITE_E_MALFORMED);
    assert_int_equal(ofl_tcp_segment(p, len - 1, MSS, out, lens, 64, CAP), KITE_E_MALFORMED); /* IP length past the end */
    p[9] = 17;
    assert_int_equal(ofl_tcp_segment(p, len, MSS, out, lens, 64, CAP), KITE_E_MALFORMED);
    p[9] = 6;
    p[20 + 12] = 4 << 4; /* data offset 16 bytes */
    assert_int_equal(ofl_tcp_segment(p, len, MSS, out, lens, 64, CAP), KITE_E_MALFORMED);
    p[20 + 12] = 8 << 4;
    p[6] = 0x20; /* more fragments */
    assert_int_equal(ofl_tcp_segment(p, len, MSS, out, lens, 64, CAP), KITE_E_MALFORMED);
    p[0] = 0x75;
    assert_int_equal(ofl_tcp_segment(p, len, MSS, out, lens, 64, CAP), KITE_E_MALFORMED);
    free(p);
    free(mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_segment_join_v4),  cmocka_unit_test(test_segment_join_v6),
        cmocka_unit_test(test_coalesce_refusals), cmocka_unit_test(test_coalesce_joins),
        cmocka_unit_test(test_coalesce_verifies_checksums),
        cmocka_unit_test(test_csum_finish),      cmocka_unit_test(test_segment_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
