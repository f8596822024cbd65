/* close_action = trap and dpd_action = trap in the engine: when the peer
 * deletes the Child SA or the IKE SA, or stops answering, the engine asks the
 * caller to install the child's trap policy again (IKE_ACT_TRAP) and does not
 * initiate by itself; the acquire that follows (ike_initiate, as kited's
 * daemon/traps.c does for a packet that hit the trap) brings the Child SA
 * back, and several acquires while it is negotiated start one IKE SA.
 * close_action = none asks for nothing. */
#include "harness.h"

static const char *PSK = "trap-test-psk-0123456789abcdef";

static struct ike_conn_cfg conn(uint8_t me, uint8_t peer, uint8_t close_action)
{
    struct ike_conn_cfg c = h_conn(me, peer, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    c.child[0].close_action = close_action;
    c.child[0].trap = true; /* start_action = trap: only a flag for the caller */
    return c;
}

/* the packets of an acquire: three ike_initiate calls in a row (kited
 * initiates once per acquire; the engine holds to one IKE SA anyway) */
static void acquire(struct pair *p)
{
    for (int i = 0; i < 3; i++)
        assert_int_equal(ike_initiate(p->a.e, "lab", "net", p->now + (uint64_t)i), 0);
}

static void peer_deletes_child(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2, IKE_CLOSE_TRAP), cb = conn(2, 1, IKE_CLOSE_NONE);
    ca.child[0].rekey_time_s = cb.child[0].rekey_time_s = 0;
    cb.child[0].life_time_s = 60; /* the peer deletes the Child SA after a minute */
    pair_init(&p, &ca, &cb);
    int sent0 = p.sent;
    acquire(&p);
    pair_run(&p, p.now + 1000);
    /* one IKE_SA_INIT and one IKE_AUTH exchange: 4 datagrams, one IKE SA */
    assert_int_equal(p.sent - sent0, 4);
    assert_int_equal(p.a.ike_up, 1);
    assert_int_equal(p.a.child_up, 1);
    assert_int_equal(p.a.traps, 0);
    /* the peer deletes the Child SA (its hard lifetime) */
    pair_run(&p, p.now + 61000);
    assert_int_equal(p.a.child_down, 1);
    assert_int_equal(p.a.traps, 1);
    assert_string_equal(p.a.trap_conn, "lab");
    assert_string_equal(p.a.trap_child, "net");
    assert_string_equal(p.a.trap_reason, "close_action = trap");
    /* nothing initiated on its own: the trap waits for traffic */
    pair_run(&p, p.now + 60000);
    assert_int_equal(p.a.child_up, 1);
    assert_int_equal(p.a.n_inst, 0);
    /* the next packet: CREATE_CHILD_SA on the IKE SA still up */
    acquire(&p);
    pair_run(&p, p.now + 1000);
    assert_int_equal(p.a.child_up, 2);
    assert_int_equal(p.a.ike_up, 1);
    assert_int_equal(p.a.n_inst, 1);
    assert_int_equal(p.a.inst[0].out, p.b.inst[0].in);
    pair_free(&p);
}

static void peer_deletes_ike_sa(void **s)
{
    (void)s;
    for (int trap = 0; trap < 2; trap++) {
        struct pair p;
        struct ike_conn_cfg ca = conn(1, 2, trap ? IKE_CLOSE_TRAP : IKE_CLOSE_NONE), cb = conn(2, 1, IKE_CLOSE_NONE);
        pair_init(&p, &ca, &cb);
        acquire(&p);
        pair_run(&p, p.now + 1000);
        assert_int_equal(p.a.child_up, 1);
        assert_int_equal(ike_delete_all(p.b.e, p.now), 1);
        pair_run(&p, p.now + 1000);
        assert_int_equal(p.a.ike_down, 1);
        assert_int_equal(p.a.traps, trap); /* close_action = none: no trap */
        pair_run(&p, p.now + 60000);
        assert_int_equal(p.a.ike_up, 1); /* and no initiation */
        if (trap) {
            assert_string_equal(p.a.trap_child, "net");
            acquire(&p); /* a new IKE SA */
            pair_run(&p, p.now + 1000);
            assert_int_equal(p.a.ike_up, 2);
            assert_int_equal(p.a.child_up, 2);
            assert_int_equal(p.a.n_inst, 1);
        }
        pair_free(&p);
    }
}

/* dpd_action = trap: a dead peer's IKE SA goes and the trap is asked for,
 * with no restart */
static void dead_peer_rearms(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2, IKE_CLOSE_NONE), cb = conn(2, 1, IKE_CLOSE_NONE);
    ca.dpd_delay_ms = 10000;
    ca.child[0].dpd_trap = true;
    pair_init(&p, &ca, &cb);
    acquire(&p);
    pair_run(&p, p.now + 1000);
    p.drop_after = p.sent;
    pair_run(&p, p.now + 300000);
    assert_int_equal(p.a.ike_down, 1);
    assert_non_null(strstr(p.a.down_reason, "peer not responding"));
    assert_int_equal(p.a.traps, 1);
    assert_string_equal(p.a.trap_reason, "dpd_action = trap");
    assert_int_equal(p.a.ike_up, 1);
    assert_null(strstr(p.a.log, "dpd_action = restart"));
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(peer_deletes_child),
        cmocka_unit_test(peer_deletes_ike_sa),
        cmocka_unit_test(dead_peer_rearms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
