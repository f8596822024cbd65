/* esp/natt: the TCP/UDP checksum of a transport-mode packet whose addresses a
 * NAT changed is recomputed (RFC 3948 3.1.2).  Checked with an independent
 * 16-bit ones' complement sum over the pseudo-header and the segment. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>
#include "testutil.h"
#include "base/err.h"
#include "esp/natt.h"

/* the ones' complement sum over pseudo-header + segment: 0xffff when valid */
static uint16_t verify(const uint8_t *p, size_t len)
{
    bool v6 = p[0] >> 4 == 6;
    size_t hl = v6 ? 40 : (size_t)(p[0] & 0xf) * 4, seg = len - hl;
    const uint8_t *src = p + (v6 ? 8 : 12);
    uint32_t s = v6 ? p[6] : p[9];
    s += (uint32_t)(seg >> 16) + (uint32_t)(seg & 0xffff);
    for (size_t i = 0; i < (v6 ? 32u : 8u); i += 2)
        s += (uint32_t)(src[i] << 8 | src[i + 1]);
    for (size_t i = 0; i < seg; i += 2)
        s += (uint32_t)(p[hl + i] << 8 | (i + 1 < seg ? p[hl + i + 1] : 0));
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

static void set_csum(uint8_t *p, size_t len, size_t at)
{
    p[at] = p[at + 1] = 0;
    uint16_t v = (uint16_t)~verify(p, len);
    p[at] = (uint8_t)(v >> 8);
    p[at + 1] = (uint8_t)v;
}

/* an IPv4 packet src -> dst with a TCP (proto 6) or UDP (17) segment of n payload bytes */
static size_t ip4(uint8_t *p, const char *src, const char *dst, uint8_t proto, size_t n)
{
    size_t l4 = proto == 6 ? 20 : 8, len = 20 + l4 + n;
    memset(p, 0, len);
    p[0] = 0x45;
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
    p[8] = 64;
    p[9] = proto;
    inet_pton(AF_INET, src, p + 12);
    inet_pton(AF_INET, dst, p + 16);
    p[20] = 0x9c; /* ports 40000 -> 5201 */
    p[21] = 0x40;
    p[22] = 0x14;
    p[23] = 0x51;
    if (proto == 6)
        p[32] = 0x50; /* data offset 5 */
    if (proto == 17) {
        p[24] = (uint8_t)((8 + n) >> 8);
        p[25] = (uint8_t)(8 + n);
    }
    for (size_t i = 0; i < n; i++)
        p[20 + l4 + i] = (uint8_t)(i * 7 + 3);
    if (proto == 6 || proto == 17)
        set_csum(p, len, proto == 6 ? 36 : 26);
    return len;
}

/* what the receiver behind or beyond a NAT rebuilds: other outer addresses */
static void nat_rewrite(uint8_t *p, const char *src, const char *dst)
{
    inet_pton(AF_INET, src, p + 12);
    inet_pton(AF_INET, dst, p + 16);
}

static void tcp_and_udp_fixed(void **st)
{
    (void)st;
    static const uint8_t protos[] = { 6, 17 };
    for (int k = 0; k < 2; k++) {
        for (size_t n = 0; n < 40; n += 13) { /* odd and even lengths */
            uint8_t p[256], orig[256];
            size_t len = ip4(p, "192.168.1.2", "192.0.2.2", protos[k], n);
            assert_int_equal(verify(p, len), 0xffff);
            /* the peer's packet as rebuilt from the outer addresses: its source was NATed */
            nat_rewrite(p, "192.0.2.1", "192.0.2.2");
            assert_int_not_equal(verify(p, len), 0xffff);
            memcpy(orig, p, len);
            assert_int_equal(esp_natt_fix_csum(p, len), 0);
            assert_int_equal(verify(p, len), 0xffff);
            size_t at = protos[k] == 6 ? 36 : 26;
            assert_memory_equal(p, orig, at); /* only the checksum changed */
            assert_memory_equal(p + at + 2, orig + at + 2, len - at - 2);
            /* the side behind the NAT: its own destination address was rewritten */
            len = ip4(p, "192.0.2.2", "192.0.2.1", protos[k], n);
            nat_rewrite(p, "192.0.2.2", "192.168.1.2");
            assert_int_equal(esp_natt_fix_csum(p, len), 0);
            assert_int_equal(verify(p, len), 0xffff);
        }
    }
}

static void udp_without_checksum_stays_so(void **st)
{
    (void)st;
    uint8_t p[128];
    size_t len = ip4(p, "192.168.1.2", "192.0.2.2", 17, 10);
    p[26] = p[27] = 0;
    nat_rewrite(p, "192.0.2.1", "192.0.2.2");
    assert_int_equal(esp_natt_fix_csum(p, len), 0);
    assert_int_equal(p[26] | p[27], 0);
}

static void ipv6_tcp_fixed(void **st)
{
    (void)st;
    uint8_t p[256];
    size_t n = 17, len = 40 + 20 + n;
    memset(p, 0, len);
    p[0] = 0x60;
    p[4] = (uint8_t)((len - 40) >> 8);
    p[5] = (uint8_t)(len - 40);
    p[6] = 6;
    p[7] = 64;
    inet_pton(AF_INET6, "fd00::2", p + 8);
    inet_pton(AF_INET6, "2001:db8::2", p + 24);
    p[40 + 12] = 0x50;
    for (size_t i = 0; i < n; i++)
        p[60 + i] = (uint8_t)i;
    set_csum(p, len, 40 + 16);
    inet_pton(AF_INET6, "2001:db8::1", p + 8);
    assert_int_not_equal(verify(p, len), 0xffff);
    assert_int_equal(esp_natt_fix_csum(p, len), 0);
    assert_int_equal(verify(p, len), 0xffff);
}

static void others_left_alone(void **st)
{
    (void)st;
    uint8_t p[128], orig[128];
    /* ICMP has no pseudo-header */
    size_t len = ip4(p, "192.168.1.2", "192.0.2.2", 1, 16);
    memcpy(orig, p, len);
    assert_int_equal(esp_natt_fix_csum(p, len), 0);
    assert_memory_equal(p, orig, len);
    /* a fragment: its checksum covers the whole datagram */
    len = ip4(p, "192.168.1.2", "192.0.2.2", 6, 16);
    p[6] = 0x20; /* more fragments */
    nat_rewrite(p, "192.0.2.1", "192.0.2.2");
    memcpy(orig, p, len);
    assert_int_equal(esp_natt_fix_csum(p, len), 0);
    assert_memory_equal(p, orig, len);
}

static void malformed_refused(void **st)
{
    (void)st;
    uint8_t p[128];
    size_t len = ip4(p, "192.168.1.2", "192.0.2.2", 6, 0);
    p[2] = 0;
    p[3] = 30; /* a TCP header of 10 bytes */
    assert_int_equal(esp_natt_fix_csum(p, 30), KITE_E_TRUNCATED);
    len = ip4(p, "192.168.1.2", "192.0.2.2", 17, 0);
    p[0] = 0x4f; /* IHL 60 > packet */
    assert_true(esp_natt_fix_csum(p, len) < 0);
    assert_true(esp_natt_fix_csum(p, 10) < 0); /* shorter than a header */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tcp_and_udp_fixed),
        cmocka_unit_test(udp_without_checksum_stays_so),
        cmocka_unit_test(ipv6_tcp_fixed),
        cmocka_unit_test(others_left_alone),
        cmocka_unit_test(malformed_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
