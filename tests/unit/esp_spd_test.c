/* esp/ip + esp/spd: selector fields of IPv4/IPv6 packets (ports, ICMP
 * type/code, fragments, extension headers), selector matching with ranges
 * and OPAQUE ports, the inbound check, and the outbound policy lookup
 * (first match in priority order, PROTECT/BYPASS/DISCARD, removal; many
 * policies with the same selectors, one chain, removed in any order through
 * the table's growth). */
#include "testutil.h"
#include "esp/spd.h"
#include "base/err.h"
#include <stdlib.h>
#include <string.h>

static size_t v4(uint8_t *p, uint8_t proto, const char *src, const char *dst, uint16_t sp,
                 uint16_t dp, uint16_t frag, size_t len)
{
    memset(p, 0, len);
    p[0] = 0x45, p[2] = (uint8_t)(len >> 8), p[3] = (uint8_t)len;
    p[6] = (uint8_t)(frag >> 8), p[7] = (uint8_t)frag, p[8] = 64, p[9] = proto;
    memcpy(p + 12, src, 4);
    memcpy(p + 16, dst, 4);
    p[20] = (uint8_t)(sp >> 8), p[21] = (uint8_t)sp, p[22] = (uint8_t)(dp >> 8), p[23] = (uint8_t)dp;
    return len;
}

static void test_flow_ipv4(void **state)
{
    (void)state;
    uint8_t p[64];
    struct esp_flow f;
    size_t n = v4(p, 6, "\x0a\0\0\x01", "\xc0\xa8\x01\x02", 40000, 443, 0, 40);
    assert_int_equal(esp_flow_parse(p, n, &f), 0);
    assert_int_equal(f.family, ESP_IPV4);
    assert_int_equal(f.proto, 6);
    assert_true(f.ports_known);
    assert_int_equal(f.sport, 40000);
    assert_int_equal(f.dport, 443);
    assert_memory_equal(f.src, "\x0a\0\0\x01", 4);
    assert_memory_equal(f.dst, "\xc0\xa8\x01\x02", 4);
    /* ICMP echo request: type 8 code 0 -> 0x0800 (RFC 7296 3.13.1) */
    n = v4(p, 1, "\x0a\0\0\x01", "\x0a\0\0\x02", 0x0800, 0, 0, 28);
    assert_int_equal(esp_flow_parse(p, n, &f), 0);
    assert_true(f.ports_known);
    assert_int_equal(f.sport, 0x0800);
    assert_int_equal(f.dport, 0x0800);
    /* a non-first fragment has no ports; the first one has */
    n = v4(p, 17, "\x0a\0\0\x01", "\x0a\0\0\x02", 1, 2, 0x0010, 40);
    assert_int_equal(esp_flow_parse(p, n, &f), 0);
    assert_false(f.ports_known);
    n = v4(p, 17, "\x0a\0\0\x01", "\x0a\0\0\x02", 1, 2, 0x2000, 40);
    assert_int_equal(esp_flow_parse(p, n, &f), 0);
    assert_true(f.ports_known);
    /* options: IHL 6 moves the ports by 4 */
    n = v4(p, 17, "\x0a\0\0\x01", "\x0a\0\0\x02", 0, 0, 0, 40);
    p[0] = 0x46, p[24] = 0x12, p[25] = 0x34, p[26] = 0x56, p[27] = 0x78;
    assert_int_equal(esp_flow_parse(p, n, &f), 0);
    assert_int_equal(f.sport, 0x1234);
    assert_int_equal(f.dport, 0x5678);
    /* bad IHL, bad version, and a header cut short */
    p[0] = 0x44;
    assert_int_equal(esp_flow_parse(p, n, &f), KITE_E_MALFORMED);
    p[0] = 0x55;
    assert_int_equal(esp_flow_parse(p, n, &f), KITE_E_MALFORMED);
    p[0] = 0x45;
    assert_int_equal(esp_flow_parse(p, 19, &f), KITE_E_TRUNCATED);
    assert_int_equal(esp_flow_parse(p, 0, &f), KITE_E_TRUNCATED);
    /* ports cut short: OPAQUE, not an error */
    assert_int_equal(esp_flow_parse(p, 22, &f), 0);
    assert_false(f.ports_known);
}

static void test_flow_ipv6(void **state)
{
    (void)state;
    uint8_t p[128] = { 0x60 };
    struct esp_flow f;
    p[6] = 0; /* hop-by-hop */
    p[8] = 0x20, p[9] = 0x01, p[23] = 1, p[24] = 0x20, p[25] = 0x01, p[39] = 2;
    p[40] = 44, p[41] = 0;              /* HBH, 8 bytes -> fragment */
    p[48] = 17, p[50] = 0, p[51] = 1;   /* fragment: offset 0, M=1 -> UDP */
    p[56] = 0x11, p[57] = 0x11, p[58] = 0x22, p[59] = 0x22;
    assert_int_equal(esp_flow_parse(p, 64, &f), 0);
    assert_int_equal(f.family, ESP_IPV6);
    assert_int_equal(f.proto, 17);
    assert_true(f.ports_known);
    assert_int_equal(f.sport, 0x1111);
    assert_int_equal(f.dport, 0x2222);
    assert_int_equal(f.dst[15], 2);
    p[50] = 0x01; /* offset 32: no ports, protocol still known */
    assert_int_equal(esp_flow_parse(p, 64, &f), 0);
    assert_int_equal(f.proto, 17);
    assert_false(f.ports_known);
    /* ICMPv6 echo request 128/0 */
    p[6] = 58, p[40] = 128, p[41] = 0;
    assert_int_equal(esp_flow_parse(p, 48, &f), 0);
    assert_int_equal(f.proto, 58);
    assert_int_equal(f.sport, 0x8000);
    assert_int_equal(esp_flow_parse(p, 39, &f), KITE_E_TRUNCATED);
    /* every prefix of the extension chain: an error or OPAQUE, never a crash */
    p[6] = 0, p[50] = 0;
    for (size_t n = 0; n <= 64; n++) {
        int rc = esp_flow_parse(p, n, &f);
        assert_true(rc == 0 || rc == KITE_E_TRUNCATED);
        if (n < 60)
            assert_false(rc == 0 && f.ports_known);
    }
}

static void test_ip_len(void **state)
{
    (void)state;
    uint8_t p[64];
    size_t n;
    v4(p, 6, "\1\1\1\1", "\2\2\2\2", 1, 2, 0, 40);
    assert_int_equal(esp_ip_len(p, 64, &n), 0);
    assert_int_equal(n, 40);
    assert_int_equal(esp_ip_len(p, 39, &n), KITE_E_BAD_LENGTH);
    p[3] = 19;
    assert_int_equal(esp_ip_len(p, 64, &n), KITE_E_MALFORMED);
    memset(p, 0, 64);
    p[0] = 0x60, p[5] = 8;
    assert_int_equal(esp_ip_len(p, 48, &n), 0);
    assert_int_equal(n, 48);
    p[5] = 0; /* jumbogram */
    assert_int_equal(esp_ip_len(p, 48, &n), KITE_E_UNSUPPORTED);
    assert_int_equal(esp_ip_len(p, 3, &n), KITE_E_TRUNCATED);
}

static struct esp_ts ts4(const char *lo, const char *hi, uint8_t proto, uint16_t plo, uint16_t phi)
{
    struct esp_ts t;
    esp_ts_any(&t, ESP_IPV4);
    memcpy(t.start, lo, 4);
    memcpy(t.end, hi, 4);
    t.proto = proto, t.port_lo = plo, t.port_hi = phi;
    return t;
}

static void test_ts_match(void **state)
{
    (void)state;
    uint8_t p[64];
    struct esp_flow f;
    struct esp_ts t = ts4("\x0a\0\0\x00", "\x0a\0\0\xff", 0, 0, 65535);
    v4(p, 6, "\x0a\0\0\xff", "\x0a\0\1\x00", 1000, 22, 0, 40);
    assert_int_equal(esp_flow_parse(p, 40, &f), 0);
    assert_true(esp_ts_match(&t, &f, true));   /* 10.0.0.255: the range's end */
    assert_false(esp_ts_match(&t, &f, false)); /* 10.0.1.0: one past it */
    t = ts4("\x0a\0\1\x00", "\x0a\0\1\x00", 6, 22, 22);
    assert_true(esp_ts_match(&t, &f, false));
    t.proto = 17;
    assert_false(esp_ts_match(&t, &f, false));
    t.proto = 6, t.port_lo = 23, t.port_hi = 100;
    assert_false(esp_ts_match(&t, &f, false));
    /* OPAQUE ports match only "any port" */
    v4(p, 6, "\x0a\0\0\xff", "\x0a\0\1\x00", 1000, 22, 0x0020, 40);
    assert_int_equal(esp_flow_parse(p, 40, &f), 0);
    t.port_lo = 0, t.port_hi = 65535;
    assert_true(esp_ts_match(&t, &f, false));
    t.port_lo = t.port_hi = 22;
    assert_false(esp_ts_match(&t, &f, false));
    /* another family never matches; the IPv6 whole space does */
    struct esp_ts any6;
    esp_ts_any(&any6, ESP_IPV6);
    assert_false(esp_ts_match(&any6, &f, true));
    uint8_t q[48] = { 0x60, 0, 0, 0, 0, 8, 17, 64 };
    memset(q + 8, 0xff, 32);
    assert_int_equal(esp_flow_parse(q, 48, &f), 0);
    assert_true(esp_ts_match(&any6, &f, true));
    /* inbound: source within the remote selectors, destination the local */
    struct esp_ts local[2] = { ts4("\1\0\0\0", "\1\0\0\0", 0, 0, 65535),
                               ts4("\2\0\0\0", "\2\0\0\x09", 0, 0, 65535) };
    struct esp_ts remote = ts4("\3\0\0\0", "\3\0\0\0", 0, 0, 65535);
    v4(p, 17, "\3\0\0\0", "\2\0\0\5", 1, 2, 0, 40);
    assert_int_equal(esp_flow_parse(p, 40, &f), 0);
    assert_int_equal(esp_ts_check_inbound(local, 2, &remote, 1, &f), 0);
    assert_int_equal(esp_ts_check_inbound(local, 1, &remote, 1, &f), KITE_E_POLICY);
    assert_int_equal(esp_ts_check_inbound(&remote, 1, local, 2, &f), KITE_E_POLICY);
    assert_int_equal(esp_ts_check_inbound(local, 2, &remote, 0, &f), KITE_E_POLICY);
}

static void test_spd_lookup(void **state)
{
    (void)state;
    struct esp_spd spd;
    struct esp_sa *sa_a = (struct esp_sa *)(uintptr_t)0x1000, *sa_b = (struct esp_sa *)(uintptr_t)0x2000;
    struct esp_policy p = { 0 };
    uint8_t pkt[64];
    struct esp_flow f;
    esp_spd_init(&spd);
    assert_null(esp_spd_lookup(&spd, &f));
    /* 1: protect 10.0.0.0/24 -> 10.9.0.0/16 with A (priority 10)
     * 2: bypass  10.0.0.0/24 -> 10.9.0.0/16 UDP 500 (priority 5: before 1)
     * 3: discard everything from 10.0.0.0/24 (priority 20)
     * 4: protect 10.0.0.0/24 -> 10.9.1.0/24 with B (priority 10, after 1: shadowed) */
    p = (struct esp_policy){ 1, 10, ts4("\x0a\0\0\0", "\x0a\0\0\xff", 0, 0, 65535),
                             ts4("\x0a\x09\0\0", "\x0a\x09\xff\xff", 0, 0, 65535),
                             ESP_ACTION_PROTECT, sa_a };
    assert_int_equal(esp_spd_add(&spd, &p), 0);
    p.id = 4, p.remote = ts4("\x0a\x09\1\0", "\x0a\x09\1\xff", 0, 0, 65535), p.sa = sa_b;
    assert_int_equal(esp_spd_add(&spd, &p), 0);
    p = (struct esp_policy){ 3, 20, ts4("\x0a\0\0\0", "\x0a\0\0\xff", 0, 0, 65535),
                             ts4("\0\0\0\0", "\xff\xff\xff\xff", 0, 0, 65535), ESP_ACTION_DISCARD, NULL };
    assert_int_equal(esp_spd_add(&spd, &p), 0);
    p = (struct esp_policy){ 2, 5, ts4("\x0a\0\0\0", "\x0a\0\0\xff", 0, 0, 65535),
                             ts4("\x0a\x09\0\0", "\x0a\x09\xff\xff", 17, 500, 500), ESP_ACTION_BYPASS, NULL };
    assert_int_equal(esp_spd_add(&spd, &p), 0);
    for (int i = 0; i < 20; i++) { /* growth keeps the order */
        p.id = 100 + (uint32_t)i, p.priority = 30, p.action = ESP_ACTION_BYPASS;
        assert_int_equal(esp_spd_add(&spd, &p), 0);
    }
    struct {
        const char *src, *dst;
        uint8_t proto;
        uint16_t dport;
        uint32_t want_id; /* 0: no policy */
    } cases[] = {
        { "\x0a\0\0\x05", "\x0a\x09\1\x01", 6, 80, 1 },
        { "\x0a\0\0\x05", "\x0a\x09\1\x01", 17, 500, 2 },
        { "\x0a\0\0\x05", "\x0a\x09\1\x01", 17, 501, 1 },
        { "\x0a\0\0\x05", "\x08\x08\x08\x08", 17, 53, 3 },
        { "\x0a\0\1\x05", "\x0a\x09\1\x01", 6, 80, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        v4(pkt, cases[i].proto, cases[i].src, cases[i].dst, 1234, cases[i].dport, 0, 40);
        assert_int_equal(esp_flow_parse(pkt, 40, &f), 0);
        const struct esp_policy *got = esp_spd_lookup(&spd, &f);
        if (!cases[i].want_id) {
            assert_null(got);
            continue;
        }
        assert_non_null(got);
        assert_int_equal(got->id, cases[i].want_id);
    }
    v4(pkt, 6, "\x0a\0\0\x05", "\x0a\x09\1\x01", 1, 80, 0, 40);
    assert_int_equal(esp_flow_parse(pkt, 40, &f), 0);
    assert_ptr_equal(esp_spd_lookup(&spd, &f)->sa, sa_a);
    assert_int_equal(esp_spd_lookup(&spd, &f)->action, ESP_ACTION_PROTECT);
    /* removing policy 1 uncovers 4 */
    assert_int_equal(esp_spd_remove(&spd, 1), 1);
    assert_int_equal(esp_spd_remove(&spd, 1), 0);
    assert_ptr_equal(esp_spd_lookup(&spd, &f)->sa, sa_b);
    assert_int_equal(esp_spd_remove(&spd, 4), 1);
    assert_int_equal(esp_spd_lookup(&spd, &f)->action, ESP_ACTION_DISCARD);
    assert_int_equal(spd.n, 22);
    esp_spd_free(&spd);
}

/* 3,000 Child SAs' policies with the same selectors (road warriors behind one
 * subnet: one chain), added through several growths, removed in a scrambled
 * order interleaved with adds: after each step the best remaining one is
 * found, the chain neither loses nor keeps a removed policy (ASan: none
 * touched after it is freed) */
static void test_spd_shared_chain(void **state)
{
    (void)state;
    enum { N = 3000 };
    static bool live[2 * N + 1];
    memset(live, 0, sizeof live);
    struct esp_spd spd;
    struct esp_policy p = { 0, 0, ts4("\x0a\x02\0\0", "\x0a\x02\xff\xff", 0, 0, 65535),
                            ts4("\x0a\x01\0\0", "\x0a\x01\xff\xff", 0, 0, 65535), ESP_ACTION_PROTECT, NULL };
    uint8_t pkt[64];
    struct esp_flow f;
    v4(pkt, 6, "\x0a\x02\0\x05", "\x0a\x01\1\x01", 1, 80, 0, 40);
    assert_int_equal(esp_flow_parse(pkt, 40, &f), 0);
    esp_spd_init(&spd);
    for (uint32_t id = 1; id <= N; id++) { /* priority id: the lowest live id wins */
        p.id = p.priority = id;
        assert_int_equal(esp_spd_add(&spd, &p), 0);
        live[id] = true;
    }
    srand(4301);
    uint32_t next = N + 1, best = 1;
    for (int step = 0; step < 2 * N; step++) {
        if (step % 3 == 2 && next <= 2 * N) {
            p.id = p.priority = next;
            assert_int_equal(esp_spd_add(&spd, &p), 0);
            live[next++] = true;
        } else {
            uint32_t id = 1 + (uint32_t)rand() % (next - 1);
            assert_int_equal(esp_spd_remove(&spd, id), live[id] ? 1 : 0);
            live[id] = false;
        }
        while (best < next && !live[best])
            best++;
        const struct esp_policy *got = esp_spd_lookup(&spd, &f);
        if (best == next)
            assert_null(got);
        else
            assert_int_equal(got->id, best);
    }
    size_t left = 0;
    for (uint32_t id = 1; id < next; id++)
        left += live[id];
    assert_int_equal(spd.n, left);
    for (uint32_t id = 1; id < next; id++)
        assert_int_equal(esp_spd_remove(&spd, id), live[id] ? 1 : 0);
    assert_int_equal(spd.n, 0);
    assert_null(esp_spd_lookup(&spd, &f));
    esp_spd_free(&spd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow_ipv4), cmocka_unit_test(test_flow_ipv6),
        cmocka_unit_test(test_ip_len),    cmocka_unit_test(test_ts_match),
        cmocka_unit_test(test_spd_lookup), cmocka_unit_test(test_spd_shared_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
