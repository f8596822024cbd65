/* ike/pool: virtual IP leases per identity (RFC 7296 3.15; issue 15) */
#include "testutil.h"
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "base/err.h"
#include "ike/pool.h"
#include "wire/ike.h"

static const uint64_t KEY[2] = { 0x0123456789abcdefull, 0xfedcba9876543210ull };

static struct ike_vpool *v4(uint8_t lo3, uint8_t lo4, uint8_t hi3, uint8_t hi4)
{
    struct ike_pool_cfg c = { .name = "p", .family = 4, .lo = { 10, 3, lo3, lo4 }, .hi = { 10, 3, hi3, hi4 } };
    struct ike_vpool *p = ike_vpool_new(&c, KEY);
    assert_non_null(p);
    return p;
}

static struct ike_lease *take(struct ike_vpool *p, const char *id, int want_err)
{
    int err = -1;
    struct ike_lease *l = ike_vpool_acquire(p, IKEV2_ID_RFC822_ADDR, (const uint8_t *)id, strlen(id), &err);
    assert_int_equal(err, want_err);
    assert_true(want_err ? !l : !!l);
    return l;
}

static void addr_is(const struct ike_vpool *p, const struct ike_lease *l, uint8_t a, uint8_t b)
{
    struct ike_addr x;
    ike_lease_addr(p, l, &x);
    assert_int_equal(x.family, 4);
    const uint8_t want[4] = { 10, 3, a, b };
    assert_memory_equal(x.ip, want, 4);
}

static void numbers(const struct ike_vpool *p, uint64_t on, uint64_t off, uint64_t ex)
{
    struct ike_pool_info i;
    ike_vpool_info(p, &i);
    assert_int_equal(i.online, on);
    assert_int_equal(i.offline, off);
    assert_int_equal(i.exhausted, ex);
}

/* two clients get two addresses; the same identity its own back, while
 * online (a second IKE SA) and after it went offline */
static void reuse_by_identity(void **state)
{
    (void)state;
    struct ike_vpool *p = v4(0, 10, 0, 50);
    struct ike_lease *carol = take(p, "carol@kite.test", 0), *dave = take(p, "dave@kite.test", 0);
    addr_is(p, carol, 0, 10);
    addr_is(p, dave, 0, 11);
    assert_ptr_equal(take(p, "carol@kite.test", 0), carol); /* a second IKE SA of hers */
    numbers(p, 2, 0, 0);
    ike_vpool_release(p, carol);
    numbers(p, 2, 0, 0); /* one of her IKE SAs still holds it */
    ike_vpool_release(p, carol);
    numbers(p, 1, 1, 0);
    struct ike_lease *again = take(p, "carol@kite.test", 0);
    addr_is(p, again, 0, 10);
    numbers(p, 2, 0, 0);
    /* the same bytes with another ID type are another identity */
    int err;
    struct ike_lease *fqdn = ike_vpool_acquire(p, IKEV2_ID_FQDN, (const uint8_t *)"carol@kite.test", 15, &err);
    assert_non_null(fqdn);
    addr_is(p, fqdn, 0, 12);
    ike_vpool_free(p);
}

/* a full pool: a newcomer is refused and counted; an offline lease is
 * reused for it, the oldest first; its old identity then starts afresh */
static void exhaustion_and_release(void **state)
{
    (void)state;
    struct ike_vpool *p = v4(0, 1, 0, 3);
    struct ike_lease *a = take(p, "a", 0), *b = take(p, "b", 0), *c = take(p, "c", 0);
    take(p, "d", KITE_E_LIMIT);
    take(p, "e", KITE_E_LIMIT);
    numbers(p, 3, 0, 2);
    ike_vpool_release(p, b); /* offline first */
    ike_vpool_release(p, a);
    numbers(p, 1, 2, 2);
    struct ike_lease *d = take(p, "d", 0);
    addr_is(p, d, 0, 2); /* b's: the oldest offline lease */
    struct ike_lease *a2 = take(p, "a", 0);
    addr_is(p, a2, 0, 1); /* a's own, still kept */
    take(p, "b", KITE_E_LIMIT); /* b's address went to d */
    numbers(p, 3, 0, 3);
    ike_vpool_release(p, c);
    struct ike_lease *b2 = take(p, "b", 0);
    addr_is(p, b2, 0, 3);
    ike_vpool_free(p);
}

/* a range across a byte boundary, a /8 and an IPv6 /64: allocation does not
 * scan (10,000 leases of a /8 in well under a second, also under ASan) */
static void ranges_and_scale(void **state)
{
    (void)state;
    struct ike_vpool *p = v4(0, 254, 1, 1);
    addr_is(p, take(p, "a", 0), 0, 254);
    addr_is(p, take(p, "b", 0), 0, 255);
    addr_is(p, take(p, "c", 0), 1, 0);
    addr_is(p, take(p, "d", 0), 1, 1);
    take(p, "e", KITE_E_LIMIT);
    ike_vpool_free(p);

    struct ike_pool_cfg c8 = { .name = "big", .family = 4, .lo = { 10, 0, 0, 1 }, .hi = { 10, 255, 255, 254 } };
    p = ike_vpool_new(&c8, KEY);
    assert_non_null(p);
    struct ike_pool_info i;
    ike_vpool_info(p, &i);
    assert_int_equal(i.size, (1u << 24) - 2);
    clock_t t0 = clock();
    char id[32];
    for (int k = 0; k < 10000; k++) {
        snprintf(id, sizeof id, "user%d", k);
        take(p, id, 0);
    }
    struct ike_lease *again = take(p, "user9999", 0);
    struct ike_addr x;
    ike_lease_addr(p, again, &x);
    const uint8_t want[4] = { 10, 0, 0x27, 0x10 }; /* 10.0.0.1 + 9999 */
    assert_memory_equal(x.ip, want, 4);
    assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
    ike_vpool_free(p);

    struct ike_pool_cfg c6 = { .name = "v6", .family = 6, .lo = { 0xfd, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 1 },
                               .hi = { 0xfd, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
    p = ike_vpool_new(&c6, KEY);
    assert_non_null(p);
    ike_vpool_info(p, &i);
    assert_true(i.size == UINT64_MAX); /* 2^64 - 1 addresses */
    take(p, "a", 0);
    ike_lease_addr(p, take(p, "b", 0), &x);
    assert_int_equal(x.family, 6);
    assert_int_equal(x.ip[15], 2);
    assert_int_equal(x.ip[7], 3);
    ike_vpool_free(p);
}

/* an inverted range is refused; an attributes-only pool gives no address */
static void bad_ranges(void **state)
{
    (void)state;
    struct ike_pool_cfg c = { .name = "x", .family = 4, .lo = { 10, 3, 0, 9 }, .hi = { 10, 3, 0, 1 } };
    assert_null(ike_vpool_new(&c, KEY));
    struct ike_pool_cfg a = { .name = "attrs" };
    struct ike_vpool *p = ike_vpool_new(&a, KEY);
    assert_non_null(p);
    take(p, "a", KITE_E_INVALID_ARG);
    ike_vpool_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reuse_by_identity), cmocka_unit_test(exhaustion_and_release),
        cmocka_unit_test(ranges_and_scale), cmocka_unit_test(bad_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
