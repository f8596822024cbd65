/* sa/trap: a trap policy in the userspace SPD catches what no SA takes; the
 * first packet starts one negotiation, those that follow are held up to the
 * queue's size (the rest dropped and counted) and come back in order when the
 * Child SA is up, where they go out through it; a failed or timed-out
 * negotiation drops them (counted) and holds off the next for retry_ms; the
 * trap stays after the Child SA goes (the next packet negotiates again) and
 * leaves the SPD when removed. */
#include "testutil.h"
#include "uesp_pair.h"
#include "base/err.h"
#include "esp/ip.h"
#include "sa/trap.h"
#include "sa/uesp.h"
#include <arpa/inet.h>
#include <string.h>

enum { BUF = 2048, AT = 128 };

static void child(struct ike_child_sa *a)
{
    memset(a, 0, sizeof *a);
    strcpy(a->conn, "lab");
    strcpy(a->name, "net");
    a->ike_sa = 1;
    a->spi_in = 0xc0000001;
    a->spi_out = 0xd0000001;
    a->encr = 20; /* AES_GCM_16 */
    a->encr_bits = 256;
    a->key_len = 36;
    a->local = (struct ike_addr){ .family = 4, .ip = { 192, 0, 2, 1 }, .port = 500 };
    a->remote = (struct ike_addr){ .family = 4, .ip = { 192, 0, 2, 2 }, .port = 500 };
    ts4(&a->local_ts, "10.1.0.0", "10.1.0.255");
    ts4(&a->remote_ts, "10.2.0.0", "10.2.0.255");
}

/* an ICMP packet 10.1.0.1 -> dst whose payload starts with `mark` */
static size_t make_pkt(uint8_t *p, const char *dst, uint8_t mark)
{
    memset(p, 0, 28);
    p[0] = 0x45;
    p[3] = 28;
    p[8] = 64;
    p[9] = 1;
    inet_pton(AF_INET, "10.1.0.1", p + 12);
    inet_pton(AF_INET, dst, p + 16);
    p[20] = 8;
    p[27] = mark;
    return 28;
}

/* the packet as uesp_outbound sees it: 0 (out through an SA) or its error */
static int out(struct uesp *u, const char *dst, uint8_t mark)
{
    static uint8_t buf[BUF];
    struct esp_buf b = { buf, BUF, AT, make_pkt(buf + AT, dst, mark) };
    const struct uesp_child *via;
    return uesp_outbound(u, &b, 1000, &via);
}

struct sent {
    int n;
    uint8_t marks[16];
    int out_ok;
    struct uesp *u;
};

/* trap_up's send: the mark, and whether the packet now leaves through the SA */
static void record(void *ctx, const uint8_t *pkt, size_t len)
{
    struct sent *s = ctx;
    assert_int_equal(len, 28);
    s->marks[s->n++] = pkt[27];
    uint8_t buf[BUF];
    memcpy(buf + AT, pkt, len);
    struct esp_buf b = { buf, BUF, AT, len };
    const struct uesp_child *via;
    s->out_ok += uesp_outbound(s->u, &b, 2000, &via) == 0;
}

static void setup(struct uesp *u, struct trap_table *t)
{
    struct ike_child_sa c;
    struct esp_ts l, r;
    child(&c);
    assert_int_equal(uesp_init(u), 0);
    trap_table_init(t);
    t->lim.queue = 3;
    uesp_ts(&c.local_ts, &l);
    uesp_ts(&c.remote_ts, &r);
    assert_int_equal(trap_add(t, u, "lab", "net", TRAP_BY_CONFIG, &l, 1, &r, 1), 0);
}

/* the packet went to the trap: its verdict */
static enum trap_verdict packet(struct uesp *u, struct trap_table *t, uint8_t mark, uint64_t now)
{
    uint8_t buf[64];
    size_t n = make_pkt(buf, "10.2.0.7", mark);
    assert_int_equal(out(u, "10.2.0.7", mark), KITE_E_NOT_FOUND);
    return trap_packet(t, u->no_sa_policy, buf, n, now);
}

static void one_acquire_held_in_order(void **st)
{
    (void)st;
    struct uesp u;
    struct trap_table t;
    setup(&u, &t);
    /* outside the trap's selectors: no policy at all, as before */
    assert_int_equal(out(&u, "10.3.0.1", 0), KITE_E_POLICY);
    assert_int_equal(packet(&u, &t, 1, 100), TRAP_ACQUIRE);
    assert_int_equal(packet(&u, &t, 2, 110), TRAP_HELD); /* no second negotiation */
    assert_int_equal(packet(&u, &t, 3, 120), TRAP_HELD);
    assert_int_equal(packet(&u, &t, 4, 130), TRAP_DROPPED); /* queue of 3 */
    assert_int_equal(packet(&u, &t, 5, 140), TRAP_DROPPED);
    assert_int_equal(t.cnt.acquires, 1);
    assert_int_equal(t.cnt.held, 3);
    assert_int_equal(t.cnt.queue_full, 2);
    /* the Child SA is installed, then the held packets go, first first */
    struct ike_child_sa c;
    child(&c);
    assert_int_equal(uesp_install(&u, &c, 32, NULL), 0);
    struct sent s = { .u = &u };
    assert_int_equal(trap_up(&t, "lab", "net", record, &s), 3);
    assert_int_equal(s.n, 3);
    assert_memory_equal(s.marks, ((uint8_t[]){ 1, 2, 3 }), 3);
    assert_int_equal(s.out_ok, 3); /* through the SA: its policy ranks above the trap */
    assert_int_equal(t.cnt.sent, 3);
    assert_int_equal(trap_up(&t, "lab", "net", record, &s), 0); /* nothing held twice */
    assert_int_equal(out(&u, "10.2.0.7", 9), 0);
    /* the Child SA goes (close_action, dpd_action = trap): the trap is still
     * there, the next packet negotiates again */
    assert_int_equal(uesp_remove(&u, c.spi_in), 0);
    assert_int_equal(packet(&u, &t, 10, 5000), TRAP_ACQUIRE);
    assert_int_equal(t.cnt.acquires, 2);
    assert_int_equal(trap_find(&t, "lab", "net")->acquires, 2);
    trap_table_free(&t, &u);
    assert_int_equal(t.cnt.failed, 1); /* the one held when the table went */
    assert_int_equal(out(&u, "10.2.0.7", 0), KITE_E_POLICY);
    uesp_free(&u);
}

static void failure_drops_and_holds_off(void **st)
{
    (void)st;
    struct uesp u;
    struct trap_table t;
    setup(&u, &t);
    t.lim.retry_ms = 1000;
    t.lim.hold_ms = 5000;
    assert_int_equal(packet(&u, &t, 1, 100), TRAP_ACQUIRE);
    assert_int_equal(packet(&u, &t, 2, 200), TRAP_HELD);
    assert_int_equal(trap_failed(&t, "lab", NULL, 300), 1);
    assert_int_equal(t.cnt.failed, 2);
    assert_int_equal(trap_failed(&t, "lab", NULL, 300), 0); /* once */
    /* no negotiation for retry_ms after the failure */
    assert_int_equal(packet(&u, &t, 3, 1299), TRAP_DROPPED);
    assert_int_equal(t.cnt.limited, 1);
    assert_int_equal(packet(&u, &t, 4, 1300), TRAP_ACQUIRE);
    /* no answer within hold_ms: the held packet is dropped at the tick */
    assert_int_equal(trap_tick(&t, 2000), 1300 + 5000);
    assert_int_equal(trap_tick(&t, 6300), UINT64_MAX);
    assert_int_equal(t.cnt.failed, 3);
    assert_int_equal(packet(&u, &t, 5, 6400), TRAP_DROPPED); /* retry_ms after the timeout too */
    assert_int_equal(packet(&u, &t, 6, 7300), TRAP_ACQUIRE);
    assert_int_equal(t.cnt.acquires, 3);
    trap_table_free(&t, &u);
    uesp_free(&u);
}

static void add_and_remove(void **st)
{
    (void)st;
    struct uesp u;
    struct trap_table t;
    setup(&u, &t);
    struct ike_child_sa c;
    struct esp_ts l, r, r2[2];
    child(&c);
    uesp_ts(&c.local_ts, &l);
    uesp_ts(&c.remote_ts, &r);
    /* the same selectors again (close_action = trap on a trapped child): one trap */
    assert_int_equal(trap_add(&t, &u, "lab", "net", TRAP_BY_REARM, &l, 1, &r, 1), 0);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.v[0]->origin, TRAP_BY_CONFIG | TRAP_BY_REARM);
    assert_int_equal(u.spd.n, 1);
    /* other selectors (a reload changed them): replaced, the old policy gone */
    r2[0] = r;
    ts4(&c.remote_ts, "10.4.0.0", "10.4.0.255");
    uesp_ts(&c.remote_ts, &r2[1]);
    assert_int_equal(trap_add(&t, &u, "lab", "net", TRAP_BY_CONFIG, &l, 1, r2, 2), 0);
    assert_int_equal(t.n, 1);
    assert_int_equal(u.spd.n, 2);
    assert_int_equal(out(&u, "10.4.0.9", 0), KITE_E_NOT_FOUND);
    assert_int_equal(u.no_sa_policy, t.v[0]->policy_id);
    assert_int_equal(trap_add(&t, &u, "other", "net", TRAP_BY_CONFIG, &l, 1, &r, 1), 0);
    assert_int_equal(trap_remove(&t, &u, "lab", NULL), 1); /* unload-conn */
    assert_int_equal(out(&u, "10.4.0.9", 0), KITE_E_POLICY);
    assert_null(trap_find(&t, "lab", "net"));
    assert_non_null(trap_find(&t, "other", "net"));
    assert_int_equal(trap_remove(&t, &u, "other", "net"), 1);
    assert_int_equal(u.spd.n, 0);
    assert_int_equal(trap_packet(&t, 12345, (const uint8_t *)"", 0, 0), TRAP_NONE);
    trap_table_free(&t, &u);
    uesp_free(&u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_acquire_held_in_order),
        cmocka_unit_test(failure_drops_and_holds_off),
        cmocka_unit_test(add_and_remove),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
