/* INITIAL_CONTACT (RFC 7296 2.4) only when the new IKE SA will be the only one
 * with the peer.
 *
 * Both sides initiate at once and a's first IKE_SA_INIT is lost: b's IKE SA
 * comes up first, then a's on the retransmission, so each side holds two,
 * one of each initiator.  a's IKE_AUTH used to carry INITIAL_CONTACT anyway:
 * b closed its own IKE SA as stale, whose twin on a then died by DPD, and
 * a's dpd_action = restart sent INITIAL_CONTACT again, closing the IKE SA a
 * still used: the tunnel went down every 10-14 s without end.  Found by
 * tests/fuzz/engine_fuzz (corpus input initial_contact_flap). */
#include "harness.h"

static void both_initiate(void **state)
{
    (void)state;
    struct pair p;
    struct ike_conn_cfg ca = h_conn(1, 2, "aes128gcm16 prfsha256 x25519", "aes128gcm16", "contact-psk-0123456789");
    struct ike_conn_cfg cb = h_conn(2, 1, "aes128gcm16 prfsha256 x25519", "aes128gcm16", "contact-psk-0123456789");
    ca.dpd_delay_ms = cb.dpd_delay_ms = 10000;
    ca.dpd_restart = true;
    ca.retransmit_timeout_ms = cb.retransmit_timeout_ms = 500;
    ca.retransmit_base_milli = cb.retransmit_base_milli = 1500;
    ca.retransmit_tries = cb.retransmit_tries = 3;
    pair_init(&p, &ca, &cb);
    p.drop_nth[0] = 1; /* a's IKE_SA_INIT request */
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    drain(&p, &p.a, &p.b);
    assert_int_equal(ike_initiate(p.b.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 300000);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(both_initiate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
