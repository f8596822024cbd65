/* esp/spd: the outbound lookup's precedence with overlapping selectors.
 * The first policy in (priority, insertion order) that a packet fits wins:
 * a more specific selector wins only when its priority is better (kite's
 * userspace data plane ranks a Child SA by when it came, not by its
 * selectors), equal priorities keep insertion order, protocol and port
 * restrictions and OPAQUE ports (RFC 4301 4.4.1.1), IPv4 and IPv6, removal
 * and re-adding.  Every case is also checked against the linear list the
 * SPD used to be (tests/support/spd_linear.h), and a seeded random mix of
 * prefixes, ranges, ports and tied priorities must agree with it lookup by
 * lookup, through removals and re-adds. */
#include "testutil.h"
#include "spd_linear.h"
#include "esp/spd.h"
#include <stdlib.h>
#include <string.h>

static struct esp_ts ts_pfx(uint8_t family, const uint8_t *addr, unsigned len, uint8_t proto, uint16_t plo,
                            uint16_t phi)
{
    struct esp_ts t;
    size_t n = family == ESP_IPV4 ? 4 : 16;
    esp_ts_any(&t, family);
    for (size_t i = 0; i < n; i++) {
        unsigned bits = len > i * 8 ? len - (unsigned)i * 8 : 0;
        uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);
        t.start[i] = addr[i] & m;
        t.end[i] = (uint8_t)(addr[i] | (uint8_t)~m);
    }
    t.proto = proto, t.port_lo = plo, t.port_hi = phi;
    return t;
}

static struct esp_ts v4p(const char *a, unsigned len)
{
    return ts_pfx(ESP_IPV4, (const uint8_t *)a, len, 0, 0, 65535);
}

static struct esp_ts v6p(const char *a, unsigned len)
{
    return ts_pfx(ESP_IPV6, (const uint8_t *)a, len, 0, 0, 65535);
}

/* the SA pointer only tags a policy: each case knows which one it wants */
static struct esp_sa *tag(uint32_t n)
{
    return (struct esp_sa *)(uintptr_t)(0x1000 * (uintptr_t)n);
}

struct both {
    struct esp_spd spd;
    struct spd_linear ref;
};

static void add(struct both *b, uint32_t id, uint32_t prio, struct esp_ts local, struct esp_ts remote,
                uint32_t t)
{
    struct esp_policy p = { id, prio, local, remote, ESP_ACTION_PROTECT, tag(t) };
    assert_int_equal(esp_spd_add(&b->spd, &p), 0);
    assert_int_equal(spd_linear_add(&b->ref, &p), 0);
}

static void del(struct both *b, uint32_t id, size_t want)
{
    assert_int_equal(esp_spd_remove(&b->spd, id), want);
    assert_int_equal(spd_linear_remove(&b->ref, id), want);
}

static struct esp_flow flow(uint8_t family, const char *src, const char *dst, uint8_t proto, uint16_t dport,
                            bool ports_known)
{
    struct esp_flow f = { family, proto, ports_known, 40000, dport, { 0 }, { 0 } };
    memcpy(f.src, src, family == ESP_IPV4 ? 4 : 16);
    memcpy(f.dst, dst, family == ESP_IPV4 ? 4 : 16);
    return f;
}

/* the tag of the policy that wins (0: none), the same from both */
static uint32_t winner(const struct both *b, const struct esp_flow *f)
{
    const struct esp_policy *p = esp_spd_lookup(&b->spd, f), *r = spd_linear_lookup(&b->ref, f);
    assert_true(!p == !r);
    if (!p)
        return 0;
    assert_ptr_equal(p->sa, r->sa);
    assert_int_equal(p->id, r->id);
    return (uint32_t)((uintptr_t)p->sa / 0x1000);
}

static uint32_t win4(const struct both *b, const char *src, const char *dst, uint8_t proto, uint16_t dport,
                     bool ports_known)
{
    struct esp_flow f = flow(ESP_IPV4, src, dst, proto, dport, ports_known);
    return winner(b, &f);
}

#define L1 "\x0a\x01\0\0"
#define R2 "\x0a\x02\0\0"

static void test_order_ipv4(void **state)
{
    (void)state;
    struct both b = { 0 };
    esp_spd_init(&b.spd);
    struct esp_ts l = v4p(L1, 16), r = v4p(R2, 16), range = r;
    range.start[3] = 10, range.start[2] = 0, range.end[3] = 20, range.end[2] = 0; /* 10.2.0.10-10.2.0.20 */
    add(&b, 1, 100, l, r, 1);                                          /* 10.1/16 -> 10.2/16 */
    add(&b, 2, 50, l, v4p("\x0a\x02\x03\0", 24), 2);                   /* more specific, better */
    add(&b, 3, 200, l, v4p("\x0a\x02\x04\x07", 32), 3);                /* more specific, worse */
    add(&b, 4, 100, l, v4p("\x0a\x02\x05\0", 24), 4);                  /* tied with 1, later */
    add(&b, 5, 10, l, ts_pfx(ESP_IPV4, (const uint8_t *)R2, 16, 6, 443, 443), 5); /* TCP 443 */
    add(&b, 6, 20, l, ts_pfx(ESP_IPV4, (const uint8_t *)R2, 16, 17, 0, 65535), 6); /* any UDP */
    add(&b, 7, 30, v4p("\x0a\x01\x09\x09", 32), v4p("\0\0\0\0", 0), 7); /* one host, anywhere */
    add(&b, 8, 40, l, range, 8);                                       /* a range, not a prefix */
    assert_int_equal(win4(&b, "\x0a\1\0\1", "\x0a\2\3\4", 6, 80, true), 2);
    assert_int_equal(win4(&b, "\x0a\1\0\1", "\x0a\2\4\7", 6, 80, true), 1);
    assert_int_equal(win4(&b, "\x0a\1\0\1", "\x0a\2\5\1", 6, 80, true), 1);
    assert_int_equal(win4(&b, "\x0a\1\0\1", "\x0a\2\5\1", 6, 443, true), 5);
    assert_int_equal(win4(&b, "\x0a\1\0\1", "\x0a\2\5\1", 17, 443, true), 6);
    assert_int_equal(win4(&b, "\x0a\1\0\1", "\x0a\2\5\1", 6, 443, false), 1); /* OPAQUE: not 5 */
    assert_int_equal(win4(&b, "\x0a\1\0\1", "\x0a\2\5\1", 17, 0, false), 6);  /* any port holds it */
    assert_int_equal(win4(&b, "\x0a\1\x09\x09", "\x08\x08\x08\x08", 1, 0x0800, true), 7);
    assert_int_equal(win4(&b, "\x0a\1\x09\x09", "\x0a\2\3\4", 6, 80, true), 7);
    assert_int_equal(win4(&b, "\x0a\1\0\1", "\x0a\2\0\x0f", 6, 80, true), 8);
    assert_int_equal(win4(&b, "\x0a\1\0\1", "\x0a\2\0\x0a", 6, 80, true), 8);
    assert_int_equal(win4(&b, "\x0a\1\0\1", "\x0a\2\0\x14", 6, 80, true), 8);
    assert_int_equal(win4(&b, "\x0a\1\0\1", "\x0a\2\0\x15", 6, 80, true), 1);
    assert_int_equal(win4(&b, "\x0a\1\0\1", "\x0a\2\0\x09", 6, 80, true), 1);
    assert_int_equal(win4(&b, "\x0a\3\0\1", "\x0a\2\3\4", 6, 80, true), 0);
    assert_int_equal(win4(&b, "\x0a\1\0\1", "\x0a\3\0\1", 6, 80, true), 0);
    /* removal uncovers the next in line; re-added, 1 ranks after 4 (its tie) */
    del(&b, 1, 1);
    del(&b, 1, 0);
    assert_int_equal(win4(&b, "\x0a\1\0\1", "\x0a\2\4\7", 6, 80, true), 3);
    assert_int_equal(win4(&b, "\x0a\1\0\1", "\x0a\2\5\1", 6, 80, true), 4);
    assert_int_equal(win4(&b, "\x0a\1\0\1", "\x0a\2\x09\1", 6, 80, true), 0);
    add(&b, 1, 100, l, r, 1);
    assert_int_equal(win4(&b, "\x0a\1\0\1", "\x0a\2\5\1", 6, 80, true), 4);
    assert_int_equal(win4(&b, "\x0a\1\0\1", "\x0a\2\4\7", 6, 80, true), 1);
    del(&b, 2, 1);
    assert_int_equal(win4(&b, "\x0a\1\0\1", "\x0a\2\3\4", 6, 80, true), 1);
    /* ids are not unique: one remove takes every policy with it */
    add(&b, 9, 1, l, r, 9);
    add(&b, 9, 300, v4p("\0\0\0\0", 0), v4p("\0\0\0\0", 0), 10);
    assert_int_equal(win4(&b, "\x0a\1\0\1", "\x0a\2\3\4", 6, 80, true), 9);
    assert_int_equal(win4(&b, "\x0b\1\0\1", "\x0c\2\3\4", 6, 80, true), 10);
    del(&b, 9, 2);
    assert_int_equal(win4(&b, "\x0b\1\0\1", "\x0c\2\3\4", 6, 80, true), 0);
    assert_int_equal(b.spd.n, 7);
    esp_spd_free(&b.spd);
    spd_linear_free(&b.ref);
}

#define A6 "\x20\x01\x0d\xb8\0\x01\0\0\0\0\0\0\0\0\0\0"
#define B6 "\x20\x01\x0d\xb8\0\x02\0\0\0\0\0\0\0\0\0\0"

static uint32_t win6(const struct both *b, const char *dst, uint8_t proto, uint16_t dport)
{
    struct esp_flow f = flow(ESP_IPV6, "\x20\x01\x0d\xb8\0\x01\0\0\0\0\0\0\0\0\0\x05", dst, proto, dport, true);
    return winner(b, &f);
}

static void test_order_ipv6(void **state)
{
    (void)state;
    struct both b = { 0 };
    esp_spd_init(&b.spd);
    struct esp_ts l = v6p(A6, 48);
    add(&b, 1, 100, l, v6p(B6, 48), 1);
    add(&b, 2, 50, l, v6p("\x20\x01\x0d\xb8\0\x02\0\x03\0\0\0\0\0\0\0\0", 64), 2);
    add(&b, 3, 200, l, v6p("\x20\x01\x0d\xb8\0\x02\0\x04\0\0\0\0\0\0\0\x07", 128), 3);
    add(&b, 4, 100, l, v6p("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 0), 4);
    add(&b, 5, 10, l, ts_pfx(ESP_IPV6, (const uint8_t *)B6, 48, 58, 0x8000, 0x80ff), 5); /* echo request */
    /* an IPv4 whole space never takes IPv6 packets */
    add(&b, 6, 1, v4p("\0\0\0\0", 0), v4p("\0\0\0\0", 0), 6);
    assert_int_equal(win6(&b, "\x20\x01\x0d\xb8\0\x02\0\x03\0\0\0\0\0\0\0\x01", 6, 80), 2);
    assert_int_equal(win6(&b, "\x20\x01\x0d\xb8\0\x02\0\x04\0\0\0\0\0\0\0\x07", 6, 80), 1);
    assert_int_equal(win6(&b, "\x20\x01\x0d\xb8\0\x02\0\x04\0\0\0\0\0\0\0\x08", 6, 80), 1);
    assert_int_equal(win6(&b, "\x20\x01\x0d\xb8\0\x09\0\0\0\0\0\0\0\0\0\x01", 6, 80), 4);
    assert_int_equal(win6(&b, "\x20\x01\x0d\xb8\0\x02\0\x03\0\0\0\0\0\0\0\x01", 58, 0x8000), 5);
    assert_int_equal(win6(&b, "\x20\x01\x0d\xb8\0\x02\0\x03\0\0\0\0\0\0\0\x01", 58, 0x8100), 2);
    del(&b, 1, 1);
    assert_int_equal(win6(&b, "\x20\x01\x0d\xb8\0\x02\0\x04\0\0\0\0\0\0\0\x07", 6, 80), 4);
    del(&b, 4, 1);
    assert_int_equal(win6(&b, "\x20\x01\x0d\xb8\0\x02\0\x04\0\0\0\0\0\0\0\x07", 6, 80), 3);
    add(&b, 1, 100, l, v6p(B6, 48), 1);
    assert_int_equal(win6(&b, "\x20\x01\x0d\xb8\0\x02\0\x04\0\0\0\0\0\0\0\x07", 6, 80), 1);
    struct esp_flow f4 = flow(ESP_IPV4, "\x20\x01\x0d\xb8", "\x20\x01\x0d\xb8", 6, 80, true);
    assert_int_equal(winner(&b, &f4), 6);
    esp_spd_free(&b.spd);
    spd_linear_free(&b.ref);
}

/* ---- a seeded random mix against the linear list ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 32) % n;
}

/* addresses near a few bases, so that selectors overlap */
static void rnd_addr(uint8_t family, uint8_t *a)
{
    static const uint8_t base[3][16] = { { 10, 1 }, { 10, 2 }, { 192, 168 } };
    size_t n = family == ESP_IPV4 ? 4 : 16;
    memcpy(a, base[rnd(3)], 16);
    for (size_t i = 2; i < n; i++)
        a[i] = (uint8_t)(rnd(4) ? rnd(4) : rnd(256));
}

static struct esp_ts rnd_ts(uint8_t family)
{
    static const unsigned len4[] = { 0, 8, 16, 24, 30, 31, 32 }, len6[] = { 0, 16, 48, 64, 126, 127, 128 };
    uint8_t a[16], z[16];
    rnd_addr(family, a);
    struct esp_ts t = ts_pfx(family, a, family == ESP_IPV4 ? len4[rnd(7)] : len6[rnd(7)], 0, 0, 65535);
    if (rnd(5) == 0) { /* a range, not a prefix, maybe across a byte boundary */
        rnd_addr(family, z);
        bool lo = memcmp(a, z, family == ESP_IPV4 ? 4 : 16) < 0;
        memcpy(t.start, lo ? a : z, 16), memcpy(t.end, lo ? z : a, 16);
    }
    if (rnd(3) == 0) {
        t.proto = rnd(2) ? 6 : 17;
        uint16_t p = (uint16_t)rnd(4);
        t.port_lo = p, t.port_hi = rnd(2) ? p : 65535;
    }
    return t;
}

static void rnd_flow(struct esp_flow *f)
{
    memset(f, 0, sizeof *f);
    f->family = rnd(2) ? ESP_IPV4 : ESP_IPV6;
    f->proto = rnd(2) ? 6 : 17;
    f->ports_known = rnd(8) != 0;
    f->sport = (uint16_t)rnd(5), f->dport = (uint16_t)rnd(5);
    rnd_addr(f->family, f->src);
    rnd_addr(f->family, f->dst);
}

/* lookups that agree, and how many of them found a policy */
static size_t agree(const struct both *b, size_t n)
{
    size_t found = 0;
    for (size_t i = 0; i < n; i++) {
        struct esp_flow f;
        rnd_flow(&f);
        found += winner(b, &f) != 0;
    }
    return found;
}

static void test_random_mix(void **state)
{
    (void)state;
    for (uint32_t seed = 1; seed <= 20; seed++) {
        struct both b = { 0 };
        rng = 0x9e3779b97f4a7c15ull * seed;
        esp_spd_init(&b.spd);
        uint32_t t = 1;
        for (int i = 0; i < 400; i++) {
            uint8_t fam = rnd(2) ? ESP_IPV4 : ESP_IPV6;
            add(&b, 1 + rnd(60), rnd(6), rnd_ts(fam), rnd_ts(fam), t++);
        }
        size_t found = agree(&b, 4000);
        assert_true(found > 400); /* the mix overlaps enough to test something */
        for (int round = 0; round < 5; round++) {
            for (int i = 0; i < 10; i++) {
                uint32_t id = 1 + rnd(60);
                size_t want = spd_linear_remove(&b.ref, id);
                assert_int_equal(esp_spd_remove(&b.spd, id), want);
            }
            for (int i = 0; i < 80; i++) {
                uint8_t fam = rnd(2) ? ESP_IPV4 : ESP_IPV6;
                add(&b, 1 + rnd(60), rnd(6), rnd_ts(fam), rnd_ts(fam), t++);
            }
            agree(&b, 2000);
            assert_int_equal(b.spd.n, b.ref.n);
        }
        esp_spd_free(&b.spd);
        spd_linear_free(&b.ref);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_ipv4),
        cmocka_unit_test(test_order_ipv6),
        cmocka_unit_test(test_random_mix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
