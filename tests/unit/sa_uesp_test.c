/* sa/uesp: a Child SA as the IKE engine hands it over, installed on two
 * sides; packets go out of one and into the other in tunnel and transport
 * mode; what has no policy, an unknown SPI or a replayed sequence number is
 * refused and counted; removal by SPI and by IKE SA. */
#include "testutil.h"
#include "uesp_pair.h"
#include "base/err.h"
#include "crypto/registry.h"
#include "esp/ip.h"
#include "sa/uesp.h"
#include <arpa/inet.h>
#include <string.h>

enum { BUF = 2048, AT = 128 };

static void tunnel_round_trip(void **state)
{
    (void)state;
    struct uesp ua, ub;
    struct ike_child_sa ca, cb;
    const struct uesp_child *ia, *ib, *via, *from;
    uint8_t pkt[BUF], orig[BUF], copy[BUF];
    make_pair(&ca, &cb, false, 1);
    assert_int_equal(uesp_init(&ua), 0);
    assert_int_equal(uesp_init(&ub), 0);
    assert_int_equal(uesp_install(&ua, &ca, 64, &ia), 0);
    assert_int_equal(uesp_install(&ub, &cb, 64, &ib), 0);
    assert_int_equal(uesp_install(&ua, &ca, 64, NULL), KITE_E_INVALID_SPI); /* the SPI is taken */
    assert_ptr_equal(uesp_find(&ua, ca.spi_in), ia);

    size_t len = make_ip4(orig, "10.1.0.5", "10.2.0.7", 1, 56);
    memcpy(pkt + AT, orig, len);
    struct esp_buf b = { pkt, sizeof pkt, AT, len };
    assert_int_equal(uesp_outbound(&ua, &b, 1000, &via), 0);
    assert_ptr_equal(via, ia);
    assert_int_equal(b.off, AT - 16); /* SPI, sequence number, 8-byte IV in front */
    assert_int_equal(b.len, 16 + 76 + 2 + 2 + 16); /* header | inner | pad 2 | trailer | ICV */
    assert_int_equal((uint32_t)pkt[b.off] << 24 | (uint32_t)pkt[b.off + 1] << 16 | (uint32_t)pkt[b.off + 2] << 8 | pkt[b.off + 3], ca.spi_out);
    assert_null(memmem(pkt + b.off, b.len, orig + 20, 56)); /* no plaintext */
    memcpy(copy, pkt, sizeof pkt);
    struct esp_buf c = { copy, sizeof copy, b.off, b.len };
    uint8_t src[4] = { 192, 0, 2, 1 }, dst[4] = { 192, 0, 2, 2 };
    assert_int_equal(uesp_inbound(&ub, &c, 1001, 4, src, dst, &from), 0);
    assert_ptr_equal(from, ib);
    assert_int_equal(c.len, len);
    assert_memory_equal(copy + c.off, orig, len);
    assert_int_equal(ib->in.cnt.packets, 1);
    assert_int_equal(ia->out.cnt.packets, 1);
    /* liveness: b's Child SA decrypted a packet at 1001, a's none (sending is not liveness) */
    uint32_t used_spi;
    uint64_t used_at;
    assert_int_equal(uesp_last_used(&ub, &used_spi, &used_at), 1);
    assert_int_equal(used_spi, cb.spi_in);
    assert_int_equal(used_at, 1001);
    assert_int_equal(uesp_last_used(&ub, &used_spi, &used_at), 0);
    assert_int_equal(uesp_last_used(&ua, &used_spi, &used_at), 0);

    /* the same packet again: a replay, counted on the SA */
    struct esp_buf d = { pkt, sizeof pkt, b.off, b.len };
    assert_int_equal(uesp_inbound(&ub, &d, 1002, 4, src, dst, &from), KITE_E_REPLAY);
    assert_int_equal(ib->in.cnt.replay_drops, 1);
    /* a refused packet is no sign of life: nothing new to report */
    assert_int_equal(uesp_last_used(&ub, &used_spi, &used_at), 0);

    /* no policy for 10.3.0.0/24 */
    len = make_ip4(pkt + AT, "10.1.0.5", "10.3.0.1", 1, 20);
    b = (struct esp_buf){ pkt, sizeof pkt, AT, len };
    assert_int_equal(uesp_outbound(&ua, &b, 1003, &via), KITE_E_POLICY);
    assert_int_equal(ua.cnt.no_policy, 1);
    /* not an IP packet */
    memset(pkt + AT, 0x55, 40);
    b = (struct esp_buf){ pkt, sizeof pkt, AT, 40 };
    assert_int_equal(uesp_outbound(&ua, &b, 1004, &via), KITE_E_MALFORMED);
    assert_int_equal(ua.cnt.malformed, 1);
    /* an SPI nobody has, and a packet too short for one */
    memset(pkt + AT, 0x77, 60);
    b = (struct esp_buf){ pkt, sizeof pkt, AT, 60 };
    assert_int_equal(uesp_inbound(&ub, &b, 1005, 4, src, dst, &from), KITE_E_INVALID_SPI);
    assert_int_equal(ub.cnt.unknown_spi, 1);
    assert_int_equal(ub.unknown_spi, 0x77777777); /* for the INVALID_SPI notification */
    b = (struct esp_buf){ pkt, sizeof pkt, AT, 3 };
    assert_int_equal(uesp_inbound(&ub, &b, 1006, 4, src, dst, &from), KITE_E_TRUNCATED);
    assert_int_equal(ub.cnt.malformed, 1);

    /* removal: by SPI, then nothing is found */
    assert_int_equal(uesp_remove(&ub, cb.spi_in), 0);
    assert_int_equal(uesp_remove(&ub, cb.spi_in), KITE_E_NOT_FOUND);
    assert_null(uesp_find(&ub, cb.spi_in));
    len = make_ip4(orig, "10.1.0.5", "10.2.0.7", 1, 56);
    memcpy(pkt + AT, orig, len);
    b = (struct esp_buf){ pkt, sizeof pkt, AT, len };
    assert_int_equal(uesp_outbound(&ua, &b, 1007, &via), 0);
    assert_int_equal(uesp_inbound(&ub, &b, 1008, 4, src, dst, &from), KITE_E_INVALID_SPI);
    /* the removed SA's policy went with it */
    len = make_ip4(pkt + AT, "10.2.0.7", "10.1.0.5", 1, 20);
    b = (struct esp_buf){ pkt, sizeof pkt, AT, len };
    assert_int_equal(uesp_outbound(&ub, &b, 1009, &via), KITE_E_POLICY);
    uesp_free(&ua);
    uesp_free(&ub);
}

static void transport_round_trip(void **state)
{
    (void)state;
    struct uesp ua, ub;
    struct ike_child_sa ca, cb;
    const struct uesp_child *via, *from;
    uint8_t pkt[BUF], orig[BUF];
    make_pair(&ca, &cb, true, 2);
    assert_int_equal(uesp_init(&ua), 0);
    assert_int_equal(uesp_init(&ub), 0);
    assert_int_equal(uesp_install(&ua, &ca, 32, NULL), 0);
    assert_int_equal(uesp_install(&ub, &cb, 32, NULL), 0);
    size_t len = make_ip4(orig, "192.0.2.1", "192.0.2.2", 6, 100);
    memcpy(pkt + AT, orig, len);
    struct esp_buf b = { pkt, sizeof pkt, AT, len };
    assert_int_equal(uesp_outbound(&ua, &b, 1, &via), 0);
    assert_true(via->transport);
    /* transport mode: the ESP packet carries the TCP payload, not the IP header */
    assert_int_equal(b.off, AT + 20 - 16);
    assert_int_equal(b.len, 16 + 100 + 2 + 2 + 16);
    uint8_t src[4] = { 192, 0, 2, 1 }, dst[4] = { 192, 0, 2, 2 };
    assert_int_equal(uesp_inbound(&ub, &b, 2, 4, src, dst, &from), 0);
    /* a plain IPv4 header rebuilt from the outer addresses */
    const uint8_t *p = pkt + b.off;
    assert_int_equal(b.len, len);
    assert_int_equal(p[0], 0x45);
    assert_int_equal(p[9], 6);
    assert_int_equal(p[2] << 8 | p[3], len);
    assert_memory_equal(p + 12, orig + 12, 8);
    assert_memory_equal(p + 20, orig + 20, 100);
    uint32_t s = 0;
    for (int i = 0; i < 20; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    assert_int_equal(s, 0xffff);
    /* a packet whose outer source is not the peer fails the selector check */
    len = make_ip4(pkt + AT, "192.0.2.1", "192.0.2.2", 6, 100);
    b = (struct esp_buf){ pkt, sizeof pkt, AT, len };
    assert_int_equal(uesp_outbound(&ua, &b, 3, &via), 0);
    uint8_t other[4] = { 192, 0, 2, 99 };
    assert_int_equal(uesp_inbound(&ub, &b, 4, 4, other, dst, &from), KITE_E_POLICY);
    /* removal by IKE SA */
    assert_int_equal(uesp_remove_ike(&ua, 2), 1);
    assert_int_equal(uesp_remove_ike(&ua, 2), 0);
    uesp_free(&ua);
    uesp_free(&ub);
}

/* the IPv4 TCP checksum sum over pseudo-header and segment: 0xffff when valid */
static uint16_t tcp4_sum(const uint8_t *p, size_t len)
{
    uint32_t s = 6 + (uint32_t)(len - 20);
    for (size_t i = 12; i < 20; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    for (size_t i = 20; i < len; i += 2)
        s += (uint32_t)(p[i] << 8 | (i + 1 < len ? p[i + 1] : 0));
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

/* transport mode through a NAT (RFC 3948 3.1.2): A at 192.168.1.2 is seen as
 * 192.0.2.1 by B; B's SA names A by that address (RFC 7296 2.23.1), and the
 * TCP checksum A computed over its own address is recomputed for the header
 * B rebuilds; without UDP encapsulation nothing is touched */
static void transport_through_nat_checksum(void **state)
{
    (void)state;
    struct uesp ua, ub;
    struct ike_child_sa ca, cb;
    const struct uesp_child *via, *from;
    uint8_t pkt[BUF];
    for (int encap = 1; encap >= 0; encap--) {
        make_pair(&ca, &cb, true, 3);
        ca.encap = cb.encap = encap;
        ca.local.ip[0] = 192, ca.local.ip[1] = 168, ca.local.ip[2] = 1, ca.local.ip[3] = 2;
        ts4(&ca.local_ts, "192.168.1.2", "192.168.1.2");
        ts4(&cb.remote_ts, "192.0.2.1", "192.0.2.1");
        assert_int_equal(uesp_init(&ua), 0);
        assert_int_equal(uesp_init(&ub), 0);
        assert_int_equal(uesp_install(&ua, &ca, 32, NULL), 0);
        assert_int_equal(uesp_install(&ub, &cb, 32, NULL), 0);
        size_t len = make_ip4(pkt + AT, "192.168.1.2", "192.0.2.2", 6, 41);
        uint8_t *p = pkt + AT;
        p[32] = 0x50;
        p[36] = p[37] = 0;
        uint16_t ck = (uint16_t)~tcp4_sum(p, len);
        p[36] = (uint8_t)(ck >> 8);
        p[37] = (uint8_t)ck;
        assert_int_equal(tcp4_sum(p, len), 0xffff);
        struct esp_buf b = { pkt, sizeof pkt, AT, len };
        assert_int_equal(uesp_outbound(&ua, &b, 1, &via), 0);
        uint8_t nat[4] = { 192, 0, 2, 1 }, dst[4] = { 192, 0, 2, 2 };
        assert_int_equal(uesp_inbound(&ub, &b, 2, 4, nat, dst, &from), 0);
        const uint8_t *q = pkt + b.off;
        assert_memory_equal(q + 12, nat, 4);
        if (encap)
            assert_int_equal(tcp4_sum(q, b.len), 0xffff);
        else
            assert_int_not_equal(tcp4_sum(q, b.len), 0xffff);
        uesp_free(&ua);
        uesp_free(&ub);
    }
}

/* two peers behind one NAT address (192.0.2.1, ports 4500 and 34452) at one
 * responder: each Child SA sends to its own peer's port, and what the two
 * send from the same outer address decrypts on its own SA */
static void two_peers_behind_one_nat(void **state)
{
    (void)state;
    struct uesp ur, u1, u3;
    struct ike_child_sa p1, r1, p3, r3;
    const struct uesp_child *via, *from;
    uint8_t pkt[BUF];
    make_pair(&p1, &r1, false, 1);
    make_pair(&p3, &r3, false, 2);
    ts4(&p3.local_ts, "10.3.0.0", "10.3.0.255");
    r3.remote_ts = p3.local_ts;
    p1.encap = r1.encap = p3.encap = r3.encap = true;
    p1.local.port = r1.remote.port = 4500;
    p3.local.port = r3.remote.port = 34452;
    r1.local.port = r3.local.port = p1.remote.port = p3.remote.port = 4500;
    assert_int_equal(uesp_init(&ur), 0);
    assert_int_equal(uesp_init(&u1), 0);
    assert_int_equal(uesp_init(&u3), 0);
    assert_int_equal(uesp_install(&ur, &r1, 32, NULL), 0);
    assert_int_equal(uesp_install(&ur, &r3, 32, NULL), 0);
    assert_int_equal(uesp_install(&u1, &p1, 32, NULL), 0);
    assert_int_equal(uesp_install(&u3, &p3, 32, NULL), 0);
    static const char *dst[2] = { "10.1.0.5", "10.3.0.5" };
    static const uint16_t port[2] = { 4500, 34452 };
    struct uesp *peer[2] = { &u1, &u3 };
    for (int i = 0; i < 2; i++) {
        size_t len = make_ip4(pkt + AT, "10.2.0.7", dst[i], 1, 30);
        struct esp_buf b = { pkt, sizeof pkt, AT, len };
        assert_int_equal(uesp_outbound(&ur, &b, 1, &via), 0);
        assert_true(via->encap);
        assert_int_equal(via->remote.port, port[i]);
        assert_int_equal(via->ike_sa, (uint32_t)(i + 1));
        uint8_t src[4] = { 192, 0, 2, 2 }, to[4] = { 192, 0, 2, 1 };
        assert_int_equal(uesp_inbound(peer[i], &b, 2, 4, src, to, &from), 0);
        assert_int_equal(pkt[b.off + 16] << 8 | pkt[b.off + 17], 10 << 8 | (i ? 3 : 1)); /* to 10.1 / 10.3 */
        /* and back, from the same NAT address */
        len = make_ip4(pkt + AT, dst[i], "10.2.0.7", 1, 30);
        b = (struct esp_buf){ pkt, sizeof pkt, AT, len };
        assert_int_equal(uesp_outbound(peer[i], &b, 3, &via), 0);
        uint8_t nat[4] = { 192, 0, 2, 1 }, me[4] = { 192, 0, 2, 2 };
        assert_int_equal(uesp_inbound(&ur, &b, 4, 4, nat, me, &from), 0);
        assert_int_equal(from->ike_sa, (uint32_t)(i + 1));
        assert_int_equal(from->remote.port, port[i]);
    }
    uesp_free(&ur);
    uesp_free(&u1);
    uesp_free(&u3);
}

/* make-before-break: which SA outbound traffic uses while two are installed */
static void rekey_order(void **state)
{
    (void)state;
    struct uesp u;
    struct ike_child_sa c1, c2, c3, peer;
    const struct uesp_child *via;
    uint8_t pkt[BUF];
    make_pair(&c1, &peer, false, 3);
    c1.takeover = true;
    make_pair(&c2, &peer, false, 4); /* other SPIs, same selectors */
    c2.takeover = false;             /* a rekey we answered */
    c2.replaces_spi_in = c1.spi_in;
    make_pair(&c3, &peer, false, 5);
    c3.takeover = true;              /* a rekey we started: the peer has it already */
    c3.replaces_spi_in = c2.spi_in;
    assert_int_equal(uesp_init(&u), 0);
    assert_int_equal(uesp_install(&u, &c1, 32, NULL), 0);
    assert_int_equal(uesp_install(&u, &c2, 32, NULL), 0);
    size_t len = make_ip4(pkt + AT, "10.1.0.5", "10.2.0.7", 1, 20);
    struct esp_buf b = { pkt, sizeof pkt, AT, len };
    assert_int_equal(uesp_outbound(&u, &b, 1, &via), 0);
    assert_int_equal(via->out.spi, c1.spi_out); /* the old one until it is deleted */
    assert_int_equal(uesp_remove(&u, c1.spi_in), 0);
    len = make_ip4(pkt + AT, "10.1.0.5", "10.2.0.7", 1, 20);
    b = (struct esp_buf){ pkt, sizeof pkt, AT, len };
    assert_int_equal(uesp_outbound(&u, &b, 2, &via), 0);
    assert_int_equal(via->out.spi, c2.spi_out);
    assert_int_equal(uesp_install(&u, &c3, 32, NULL), 0);
    len = make_ip4(pkt + AT, "10.1.0.5", "10.2.0.7", 1, 20);
    b = (struct esp_buf){ pkt, sizeof pkt, AT, len };
    assert_int_equal(uesp_outbound(&u, &b, 3, &via), 0);
    assert_int_equal(via->out.spi, c3.spi_out); /* at once */
    /* retired: no more outbound use, but still there for inbound packets */
    assert_int_equal(uesp_retire(&u, c3.spi_in), 0);
    assert_non_null(uesp_find(&u, c3.spi_in));
    len = make_ip4(pkt + AT, "10.1.0.5", "10.2.0.7", 1, 20);
    b = (struct esp_buf){ pkt, sizeof pkt, AT, len };
    assert_int_equal(uesp_outbound(&u, &b, 4, &via), 0);
    assert_int_equal(via->out.spi, c2.spi_out);
    assert_int_equal(uesp_remove(&u, c3.spi_in), 0);
    assert_int_equal(uesp_retire(&u, c3.spi_in), KITE_E_NOT_FOUND);
    uesp_free(&u);
}

/* limits: both passed by one packet are reported soft first, then hard, once each */
static void limits_reported_once(void **state)
{
    (void)state;
    struct uesp u;
    struct ike_child_sa c, peer;
    const struct uesp_child *via;
    uint8_t pkt[BUF];
    uint32_t spi;
    bool hard;
    make_pair(&c, &peer, false, 6);
    c.soft_bytes = 100;
    c.hard_bytes = 150;
    assert_int_equal(uesp_init(&u), 0);
    assert_int_equal(uesp_install(&u, &c, 32, NULL), 0);
    assert_int_equal(uesp_expired(&u, &spi, &hard), 0);
    size_t len = make_ip4(pkt + AT, "10.1.0.5", "10.2.0.7", 1, 500);
    struct esp_buf b = { pkt, sizeof pkt, AT, len };
    assert_int_equal(uesp_outbound(&u, &b, 1, &via), 0);
    assert_int_equal(uesp_expired(&u, &spi, &hard), 1);
    assert_int_equal(spi, c.spi_in);
    assert_false(hard);
    assert_int_equal(uesp_expired(&u, &spi, &hard), 1);
    assert_true(hard);
    assert_int_equal(uesp_expired(&u, &spi, &hard), 0);
    uesp_free(&u);
}

/* no compiled-in cap (it was 64): 1000 Child SAs of 1000 IKE SAs installed,
 * each found by its SPI and each carrying its own traffic; removed in any
 * order and their slots reused; max_children refuses and counts */
static void many_children(void **state)
{
    (void)state;
    enum { N = 1000 };
    struct uesp u;
    struct ike_child_sa c, peer;
    assert_int_equal(uesp_init(&u), 0);
    for (uint32_t k = 1; k <= N; k++) {
        make_pair(&c, &peer, false, k);
        c.local_ts.lo[1] = c.local_ts.hi[1] = (uint8_t)(k >> 8); /* 10.<k>.<k>.0/24: one network per SA */
        c.local_ts.lo[2] = c.local_ts.hi[2] = (uint8_t)k;
        c.remote_ts = c.local_ts;
        c.remote_ts.lo[0] = c.remote_ts.hi[0] = 11;
        assert_int_equal(uesp_install(&u, &c, 32, NULL), 0);
    }
    assert_int_equal(u.n_children, N);
    for (uint32_t k = 1; k <= N; k++) {
        const struct uesp_child *ch = uesp_find(&u, 0xc0000001 + k * 16);
        assert_non_null(ch);
        assert_int_equal(ch->ike_sa, k);
        assert_ptr_equal(uesp_child_at(&u, ch->slot), ch);
    }
    /* the last one's traffic goes through its own SA */
    uint8_t pkt[BUF];
    const struct uesp_child *via;
    size_t len = make_ip4(pkt + AT, "10.3.232.5", "11.3.232.7", 1, 100);
    struct esp_buf b = { pkt, sizeof pkt, AT, len };
    assert_int_equal(uesp_outbound(&u, &b, 1, &via), 0);
    assert_int_equal(via->ike_sa, N);
    for (uint32_t k = 1; k <= N; k += 2)
        assert_int_equal(uesp_remove(&u, 0xc0000001 + k * 16), 0);
    assert_int_equal(uesp_remove_ike(&u, 2), 1);
    assert_int_equal(u.n_children, N / 2 - 1);
    unsigned slots = u.n_slots;
    u.max_children = N / 2;
    make_pair(&c, &peer, false, 1);
    assert_int_equal(uesp_install(&u, &c, 32, NULL), 0); /* a freed slot again */
    assert_int_equal(u.n_slots, slots);
    make_pair(&c, &peer, false, 3);
    assert_int_equal(uesp_install(&u, &c, 32, NULL), KITE_E_LIMIT);
    assert_int_equal(u.cnt.child_limit, 1);
    assert_null(uesp_find(&u, c.spi_in));
    uesp_free(&u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tunnel_round_trip),
        cmocka_unit_test(transport_round_trip),
        cmocka_unit_test(transport_through_nat_checksum),
        cmocka_unit_test(two_peers_behind_one_nat),
        cmocka_unit_test(rekey_order),
        cmocka_unit_test(limits_reported_once),
        cmocka_unit_test(many_children),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
