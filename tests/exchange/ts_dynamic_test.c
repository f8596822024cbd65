/* `dynamic` traffic selectors (strongSwan's default when local_ts/remote_ts
 * are absent; RFC 7296 2.9): each side's IKE address, filled in per IKE SA.
 *  - dynamic to dynamic: both ends install 192.0.2.1/32 <-> 192.0.2.2/32,
 *    in IKE_AUTH and for a second child made with CREATE_CHILD_SA, and the
 *    rekeyed SA keeps them;
 *  - dynamic[tcp/80]: the protocol and port of the configuration stay;
 *  - the peer proposes a whole /24 around its address where we configured
 *    its dynamic address: the answer is narrowed to the /32, never wider;
 *  - the peer proposes another address than its IKE address: TS_UNACCEPTABLE,
 *    no Child SA;
 *  - a dynamic selector with no address yet stands for nothing. */
#include "ike/ike_int.h" /* white-box: ike_ts_resolve */
#include "harness.h"

static const char *PSK = "ts-dynamic-test-psk-0123456789";

static struct ike_ts_cfg dyn(uint8_t proto, uint16_t lo, uint16_t hi)
{
    struct ike_ts_cfg t = { .dynamic = true, .ip_proto = proto, .port_lo = lo, .port_hi = hi };
    return t;
}

static struct ike_conn_cfg conn(uint8_t me, uint8_t peer)
{
    struct ike_conn_cfg c = h_conn(me, peer, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    c.child[0].local_ts[0] = dyn(0, 0, 0xffff);
    c.child[0].remote_ts[0] = dyn(0, 0, 0xffff);
    return c;
}

/* t is exactly 192.0.2.<last>/32 with these protocol and ports */
static void is_host(const struct ike_ts_cfg *t, uint8_t last, uint8_t proto, uint16_t lo, uint16_t hi)
{
    struct ike_ts_cfg want = h_ts(192, 0, 2, 32);
    want.lo[3] = want.hi[3] = last;
    assert_false(t->dynamic);
    assert_int_equal(t->family, 4);
    assert_memory_equal(t->lo, want.lo, 4);
    assert_memory_equal(t->hi, want.hi, 4);
    assert_int_equal(t->ip_proto, proto);
    assert_int_equal(t->port_lo, lo);
    assert_int_equal(t->port_hi, hi);
}

static void dynamic_both_ends(void **st)
{
    (void)st;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    ca.n_children = cb.n_children = 2;
    h_child_copy(&ca.child[1], &ca.child[0]);
    h_child_copy(&cb.child[1], &cb.child[0]);
    snprintf(ca.child[1].name, IKE_NAME_MAX, "web");
    snprintf(cb.child[1].name, IKE_NAME_MAX, "web");
    ca.child[1].remote_ts[0] = dyn(6, 80, 80); /* the peer's web server */
    cb.child[1].local_ts[0] = dyn(6, 0, 0xffff);
    cb.child[0].remote_ts[0] = cb.child[1].remote_ts[0] = dyn(0, 0, 0xffff);
    struct pair p;
    pair_init(&p, &ca, &cb);
    /* HDR, SK{IDi, AUTH, SAi2, TSi(192.0.2.1), TSr(192.0.2.2)} --> */
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(p.a.child_up, 1);
    assert_int_equal(p.b.child_up, 1);
    is_host(&p.a.child.local_ts, 1, 0, 0, 0xffff);
    is_host(&p.a.child.remote_ts, 2, 0, 0, 0xffff);
    is_host(&p.b.child.local_ts, 2, 0, 0, 0xffff);
    is_host(&p.b.child.remote_ts, 1, 0, 0, 0xffff);
    /* HDR, SK{SA, Ni, KEi, TSi(192.0.2.1), TSr(192.0.2.2[tcp/80])} --> (1.3.1) */
    assert_int_equal(ike_initiate(p.a.e, "lab", "web", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(p.a.child_up, 2);
    assert_int_equal(p.b.child_up, 2);
    is_host(&p.a.child.remote_ts, 2, 6, 80, 80);
    is_host(&p.b.child.local_ts, 2, 6, 80, 80);
    is_host(&p.b.child.remote_ts, 1, 0, 0, 0xffff);
    /* a rekey keeps the selectors (2.9.2) */
    uint32_t spi = p.a.child.spi_in;
    assert_int_equal(ike_child_expired(p.a.e, spi, false, p.now), 0);
    pair_run(&p, p.now + 5000);
    assert_int_equal(p.a.child_up, 3);
    assert_int_equal(p.a.child.replaces_spi_in, spi);
    is_host(&p.a.child.remote_ts, 2, 6, 80, 80);
    is_host(&p.b.child.local_ts, 2, 6, 80, 80);
    pair_free(&p);
}

/* the initiator proposes its whole /24; the responder's remote is dynamic */
static void narrowed_to_the_peer_address(void **st)
{
    (void)st;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    ca.child[0].local_ts[0] = h_ts(192, 0, 2, 24);
    struct pair p;
    pair_init(&p, &ca, &cb);
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(p.b.child_up, 1);
    is_host(&p.b.child.remote_ts, 1, 0, 0, 0xffff);
    is_host(&p.a.child.local_ts, 1, 0, 0, 0xffff); /* narrowed, within what a proposed */
    pair_free(&p);
}

/* the initiator claims another host's address as its selector */
static void other_address_refused(void **st)
{
    (void)st;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    ca.child[0].local_ts[0] = h_ts(192, 0, 2, 32);
    ca.child[0].local_ts[0].lo[3] = ca.child[0].local_ts[0].hi[3] = 9;
    struct pair p;
    pair_init(&p, &ca, &cb);
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(p.a.child_up, 0);
    assert_int_equal(p.b.child_up, 0);
    assert_true(h_count(p.b.log, "TS_UNACCEPTABLE") >= 1);
    pair_free(&p);
}

static void unresolved_is_nothing(void **st)
{
    (void)st;
    struct ike_ts_cfg in[2] = { dyn(17, 53, 53), h_ts(10, 1, 0, 24) }, out[2];
    struct ike_addr none = { 0 }, v6 = { .family = 6, .ip = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };
    unsigned n;
    ike_ts_resolve(in, 2, &none, out, &n);
    assert_int_equal(n, 1);
    assert_memory_equal(&out[0], &in[1], sizeof out[0]);
    ike_ts_resolve(in, 2, &v6, out, &n);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].family, 6);
    assert_memory_equal(out[0].lo, v6.ip, 16);
    assert_memory_equal(out[0].hi, v6.ip, 16);
    assert_int_equal(out[0].ip_proto, 17);
    assert_int_equal(out[0].port_lo, 53);
    assert_false(out[0].dynamic);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dynamic_both_ends),
        cmocka_unit_test(narrowed_to_the_peer_address),
        cmocka_unit_test(other_address_refused),
        cmocka_unit_test(unresolved_is_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
