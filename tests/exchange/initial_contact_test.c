/* Two IKE SAs between the same peers, one per initiator, when both ends
 * initiate at once.
 *
 * INITIAL_CONTACT (RFC 7296 2.4) only when the new IKE SA will be the only one
 * with the peer: a's first IKE_SA_INIT is lost, b's IKE SA comes up first,
 * then a's on the retransmission.  a's IKE_AUTH used to carry INITIAL_CONTACT
 * anyway: b closed its own IKE SA as stale, whose twin on a then died by DPD,
 * and a's dpd_action = restart sent INITIAL_CONTACT again, closing the IKE SA
 * a still used: the tunnel went down every 10-14 s without end.
 *
 * INVALID_SPI (1.5): a's data plane reports an SPI it lacks over whichever
 * IKE SA a has with b; b must find the Child SA under its other IKE SA too,
 * or it keeps sending into an SA a does not have.
 *
 * Both found by tests/fuzz/engine_fuzz (corpus inputs initial_contact_flap,
 * invalid_spi_over_the_twin_ike_sa). */
#include "harness.h"

/* both initiate, a's first IKE_SA_INIT lost; five minutes on a calm network */
static void twin_pair(struct pair *p)
{
    struct ike_conn_cfg ca = h_conn(1, 2, "aes128gcm16 prfsha256 x25519", "aes128gcm16", "contact-psk-0123456789");
    struct ike_conn_cfg cb = h_conn(2, 1, "aes128gcm16 prfsha256 x25519", "aes128gcm16", "contact-psk-0123456789");
    ca.dpd_delay_ms = cb.dpd_delay_ms = 10000;
    ca.dpd_restart = true;
    ca.retransmit_timeout_ms = cb.retransmit_timeout_ms = 500;
    ca.retransmit_base_milli = cb.retransmit_base_milli = 1500;
    ca.retransmit_tries = cb.retransmit_tries = 3;
    pair_init(p, &ca, &cb);
    p->drop_nth[0] = 1; /* a's IKE_SA_INIT request */
    assert_int_equal(ike_initiate(p->a.e, "lab", "net", p->now), 0);
    drain(p, &p->a, &p->b);
    assert_int_equal(ike_initiate(p->b.e, "lab", "net", p->now), 0);
    pair_run(p, p->now + 300000);
}

static void both_initiate(void **state)
{
    (void)state;
    struct pair p;
    twin_pair(&p);
    /* two IKE SAs on each side, none closed in five minutes */
    struct ike_stats sa, sb;
    ike_engine_stats(p.a.e, &sa);
    ike_engine_stats(p.b.e, &sb);
    assert_int_equal(p.a.ike_up, 2);
    assert_int_equal(p.b.ike_up, 2);
    assert_int_equal(p.a.ike_down, 0);
    assert_int_equal(p.b.ike_down, 0);
    assert_int_equal(sa.ike_sas, 2);
    assert_int_equal(sb.ike_sas, 2);
    assert_int_equal(h_count(p.b.log, "INITIAL_CONTACT"), 0);
    pair_free(&p);
}

static void invalid_spi_either_ike_sa(void **state)
{
    (void)state;
    struct pair p;
    twin_pair(&p);
    assert_int_equal(p.b.n_inst, 2); /* a Child SA under each IKE SA */
    uint32_t spi[2] = { p.b.inst[0].out, p.b.inst[1].out };
    struct ike_addr from = h_addr(2, 500);
    for (int k = 0; k < 2; k++) {
        /* ESP from b on one of its outbound SPIs that a's data plane lacks */
        assert_int_equal(ike_esp_unknown_spi(p.a.e, spi[k], &from, p.now), 0);
        pair_run(&p, p.now + 2000);
        p.now += 2000; /* past the one-per-second limit */
    }
    /* b found both, whichever IKE SA a sent the notify over */
    assert_int_equal(h_count(p.b.log, "which is not one of ours"), 0);
    assert_int_equal(h_count(p.b.log, "it lost that CHILD_SA"), 2);
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(both_initiate),
        cmocka_unit_test(invalid_spi_either_ike_sa),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
