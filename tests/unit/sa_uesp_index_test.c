/* sa/uesp: the index of Child SAs by IKE SA (uesp_ike_first/next, rekeyed,
 * move, last_out, remove_ike: only that IKE SA's Child SAs, through index
 * growth) and the queue of limits the packet paths passed (uesp_expired:
 * each Child SA once per limit, soft first, outbound and inbound, none for
 * a Child SA removed while queued) and the queue of Child SAs that
 * decrypted a packet since the last liveness report (uesp_last_used: 3,000
 * Child SAs, those with traffic reported once each with their latest time,
 * none removed while queued, nothing when nothing arrived). */
#include "testutil.h"
#include "uesp_pair.h"
#include "base/err.h"
#include "crypto/registry.h"
#include "esp/ip.h"
#include "sa/uesp.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

enum { BUF = 2048, AT = 128 };

/* Child SA j of IKE SA k: its own SPIs and networks 10.<k>.<j>.0/24 -> 11.<k>.<j>.0/24 */
static void child_of(struct ike_child_sa *c, struct ike_child_sa *peer, uint32_t k, uint32_t j)
{
    make_pair(c, peer, false, k);
    c->spi_in = 0xc0000000 + k * 16 + j, c->spi_out = 0xd0000000 + k * 16 + j;
    c->local_ts.lo[1] = c->local_ts.hi[1] = (uint8_t)k;
    c->local_ts.lo[2] = c->local_ts.hi[2] = (uint8_t)j;
    c->remote_ts = c->local_ts;
    c->remote_ts.lo[0] = c->remote_ts.hi[0] = 11;
    peer->spi_in = c->spi_out, peer->spi_out = c->spi_in;
    peer->local_ts = c->remote_ts, peer->remote_ts = c->local_ts;
}

static unsigned count_of(const struct uesp *u, uint32_t ike_sa)
{
    unsigned n = 0;
    for (const struct uesp_child *c = uesp_ike_first(u, ike_sa); c; c = uesp_ike_next(c), n++)
        assert_int_equal(c->ike_sa, ike_sa);
    return n;
}

static void by_ike_sa(void **state)
{
    (void)state;
    enum { N = 200 };
    struct uesp u;
    struct ike_child_sa c, peer;
    assert_int_equal(uesp_init(&u), 0);
    assert_null(uesp_ike_first(&u, 1));
    for (uint32_t k = 1; k <= N; k++)
        for (uint32_t j = 0; j < 3; j++) {
            child_of(&c, &peer, k, j);
            assert_int_equal(uesp_install(&u, &c, 32, NULL), 0);
        }
    assert_true(u.nb_ike >= u.n_children); /* grown from 64 heads */
    for (uint32_t k = 1; k <= N; k++)
        assert_int_equal(count_of(&u, k), 3);
    assert_int_equal(count_of(&u, N + 1), 0);
    /* rekeyed: IKE SA 5's three now belong to 1000 */
    uesp_ike_rekeyed(&u, 5, 1000);
    assert_int_equal(count_of(&u, 5), 0);
    assert_int_equal(count_of(&u, 1000), 3);
    /* moved: exactly those three, each once */
    struct ike_addr l = { .family = 4, .ip = { 192, 0, 2, 9 }, .port = 4500 }, r = l;
    r.ip[3] = 10;
    int cur = 0, moved = 0;
    while (uesp_move(&u, &cur, 1000, &l, &r, true)) {
        assert_true(++moved <= 3);
    }
    assert_int_equal(moved, 3);
    for (const struct uesp_child *x = uesp_ike_first(&u, 1000); x; x = uesp_ike_next(x))
        assert_true(x->encap && x->remote.ip[3] == 10 && x->out.encap_dport == 4500);
    assert_false(uesp_find(&u, 0xc0000000 + 6 * 16)->encap);
    /* the last ESP sent on any of its Child SAs */
    uint8_t pkt[BUF];
    const struct uesp_child *via;
    size_t len = make_ip4(pkt + AT, "10.5.1.5", "11.5.1.7", 1, 100);
    struct esp_buf b = { pkt, sizeof pkt, AT, len };
    assert_int_equal(uesp_outbound(&u, &b, 77, &via), 0);
    assert_int_equal(via->ike_sa, 1000);
    assert_int_equal(uesp_last_out(&u, 1000), 77);
    assert_int_equal(uesp_last_out(&u, 6), 0);
    /* removed by IKE SA: only its own */
    assert_int_equal(uesp_remove_ike(&u, 1000), 3);
    assert_int_equal(uesp_remove_ike(&u, 1000), 0);
    assert_int_equal(uesp_remove(&u, 0xc0000000 + 7 * 16 + 1), 0);
    assert_int_equal(count_of(&u, 7), 2);
    assert_int_equal(uesp_remove_ike(&u, 7), 2);
    assert_int_equal(u.n_children, 3 * N - 6);
    for (uint32_t k = 8; k <= N; k++)
        assert_int_equal(count_of(&u, k), 3);
    uesp_free(&u);
}

static void send_one(struct uesp *u, struct uesp *peer_u, uint32_t k, uint64_t now)
{
    uint8_t pkt[BUF];
    char src[32], dst[32];
    const struct uesp_child *via, *from;
    snprintf(src, sizeof src, "10.%u.0.5", (unsigned)k);
    snprintf(dst, sizeof dst, "11.%u.0.7", (unsigned)k);
    size_t len = make_ip4(pkt + AT, src, dst, 1, 100);
    struct esp_buf b = { pkt, sizeof pkt, AT, len };
    assert_int_equal(uesp_outbound(u, &b, now, &via), 0);
    if (peer_u)
        assert_int_equal(uesp_inbound(peer_u, &b, now, 4, via->local.ip, via->remote.ip, &from), 0);
}

static void limits_queued(void **state)
{
    (void)state;
    struct uesp u, v;
    struct ike_child_sa c, peer;
    uint32_t spi;
    bool hard;
    assert_int_equal(uesp_init(&u), 0);
    assert_int_equal(uesp_init(&v), 0);
    for (uint32_t k = 1; k <= 100; k++) { /* 1: outbound soft+hard; 2, 3: soft; 4: inbound at the peer */
        child_of(&c, &peer, k, 0);
        c.soft_bytes = k <= 3 ? 100 : 0, c.hard_bytes = k == 1 ? 110 : 0; /* one 120-byte packet passes both */
        peer.soft_bytes = k == 4 ? 100 : 0;
        assert_int_equal(uesp_install(&u, &c, 32, NULL), 0);
        assert_int_equal(uesp_install(&v, &peer, 32, NULL), 0);
    }
    assert_int_equal(uesp_expired(&u, &spi, &hard), 0);
    for (uint32_t k = 1; k <= 100; k++)
        send_one(&u, &v, k, 1);
    assert_int_equal(uesp_remove(&u, 0xc0000000 + 3 * 16), 0); /* queued, then gone */
    unsigned soft = 0, hards = 0, seen1 = 0;
    while (uesp_expired(&u, &spi, &hard)) {
        assert_true(spi == 0xc0000000 + 1 * 16 || spi == 0xc0000000 + 2 * 16);
        seen1 += spi == 0xc0000000 + 16;
        if (spi == 0xc0000000 + 16 && seen1 == 1)
            assert_false(hard); /* soft before hard */
        hards += hard, soft += !hard;
    }
    assert_int_equal(soft, 2);
    assert_int_equal(hards, 1);
    assert_int_equal(seen1, 2);
    send_one(&u, NULL, 2, 2); /* reported already: not again */
    assert_int_equal(uesp_expired(&u, &spi, &hard), 0);
    assert_int_equal(uesp_expired(&v, &spi, &hard), 1); /* the inbound side's limit */
    assert_int_equal(spi, 0xd0000000 + 4 * 16);
    assert_false(hard);
    assert_int_equal(uesp_expired(&v, &spi, &hard), 0);
    uesp_free(&u);
    uesp_free(&v);
}

/* ESP from Child SA j of IKE SA k at u to its peer at v, at `now` */
static void send_kj(struct uesp *u, struct uesp *v, uint32_t k, uint32_t j, uint64_t now)
{
    uint8_t pkt[BUF];
    char src[32], dst[32];
    const struct uesp_child *via, *from;
    snprintf(src, sizeof src, "10.%u.%u.5", (unsigned)k, (unsigned)j);
    snprintf(dst, sizeof dst, "11.%u.%u.7", (unsigned)k, (unsigned)j);
    size_t len = make_ip4(pkt + AT, src, dst, 1, 40);
    struct esp_buf b = { pkt, sizeof pkt, AT, len };
    assert_int_equal(uesp_outbound(u, &b, now, &via), 0);
    assert_int_equal(uesp_inbound(v, &b, now, 4, via->local.ip, via->remote.ip, &from), 0);
}

enum { LK = 250, LJ = 12 }; /* 3,000 Child SAs */

/* the peer's inbound SPI of Child SA (k, j): what v reports */
static uint32_t spi_kj(uint32_t k, uint32_t j)
{
    return 0xd0000000 + k * 16 + j;
}

/* everything v reports now, into at[k][j] (each at most once: asserted) */
static unsigned drain(struct uesp *v, uint64_t at[LK + 1][LJ])
{
    static bool once[LK + 1][LJ];
    memset(once, 0, sizeof once);
    uint32_t spi;
    uint64_t when;
    unsigned n = 0;
    while (uesp_last_used(v, &spi, &when)) {
        uint32_t k = (spi - 0xd0000000) / 16, j = (spi - 0xd0000000) % 16;
        assert_true(k >= 1 && k <= LK && j < LJ);
        assert_false(once[k][j]);
        once[k][j] = true;
        assert_true(when >= at[k][j]);
        at[k][j] = when;
        n++;
    }
    return n;
}

static void liveness_queued(void **state)
{
    (void)state;
    static uint64_t at[LK + 1][LJ];
    memset(at, 0, sizeof at);
    struct uesp u, v;
    struct ike_child_sa c, peer;
    assert_int_equal(uesp_init(&u), 0);
    assert_int_equal(uesp_init(&v), 0);
    for (uint32_t k = 1; k <= LK; k++)
        for (uint32_t j = 0; j < LJ; j++) {
            child_of(&c, &peer, k, j);
            assert_int_equal(uesp_install(&u, &c, 32, NULL), 0);
            assert_int_equal(uesp_install(&v, &peer, 32, NULL), 0);
        }
    assert_int_equal(drain(&v, at), 0); /* nothing arrived */
    /* traffic on every 7th Child SA at 10, on every 21st again at 11 */
    unsigned busy = 0;
    for (uint32_t k = 1; k <= LK; k++)
        for (uint32_t j = 0; j < LJ; j++)
            if ((k * LJ + j) % 7 == 0) {
                send_kj(&u, &v, k, j, 10);
                busy++;
                if ((k * LJ + j) % 21 == 0)
                    send_kj(&u, &v, k, j, 11);
            }
    assert_int_equal(drain(&v, at), busy);
    for (uint32_t k = 1; k <= LK; k++)
        for (uint32_t j = 0; j < LJ; j++)
            assert_int_equal(at[k][j], (k * LJ + j) % 21 == 0 ? 11 : (k * LJ + j) % 7 == 0 ? 10 : 0);
    assert_int_equal(drain(&v, at), 0); /* reported: not again without another packet */
    /* another packet on (1, 0): reported again, with its time; (2, 0) and
     * IKE SA 3's Child SAs removed while queued: never reported */
    send_kj(&u, &v, 1, 0, 20);
    send_kj(&u, &v, 2, 0, 20);
    for (uint32_t j = 0; j < LJ; j++)
        send_kj(&u, &v, 3, j, 20);
    assert_int_equal(uesp_remove(&v, spi_kj(2, 0)), 0);
    assert_int_equal(uesp_remove_ike(&v, 3), LJ);
    assert_int_equal(drain(&v, at), 1);
    assert_int_equal(at[1][0], 20);
    /* every Child SA left: the engine has its last inbound time */
    for (uint32_t k = 1; k <= LK; k++)
        for (uint32_t j = 0; j < LJ; j++) {
            const struct uesp_child *x = uesp_find(&v, spi_kj(k, j));
            if (x)
                assert_int_equal(at[k][j], x->in.cnt.last_used);
        }
    uesp_free(&u);
    uesp_free(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(by_ike_sa),
        cmocka_unit_test(limits_queued),
        cmocka_unit_test(liveness_queued),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
