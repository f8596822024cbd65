/* An IKE SA rekeyed when the operator asks (ike_sa_rekey, VICI's rekey ike),
 * not on a schedule (no rekey_time configured on either side):
 *   HDR, SK {SA, Ni, KEi}  -->          (RFC 7296 1.3.2, 2.18)
 *                     <--  HDR, SK {SA, Nr, KEr}
 *   HDR, SK {D}  -->                    (the old IKE SA, by the rekey's initiator)
 *                     <--  HDR, SK {}
 * - asked on either side: both ends agree on new SPIs, the asking side is
 *   the new IKE SA's initiator, the Child SA moves along unchanged (same
 *   SPIs, nothing would be lost), the old IKE SA is deleted on both ends;
 * - refused (KITE_E_STATE, nothing sent) for an IKE SA that is not yet
 *   established and for one whose rekey is under way; KITE_E_NOT_FOUND for
 *   the old IKE SA's id afterwards;
 * - asked while our Child SA rekey is outstanding (window size 1, 2.3): it
 *   waits for that exchange and follows it. */
#include "harness.h"

static const char *PSK = "rekey-now-test-psk-0123456789";

static void up(struct pair *p)
{
    struct ike_conn_cfg ca = h_conn(1, 2, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    struct ike_conn_cfg cb = h_conn(2, 1, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    pair_init(p, &ca, &cb);
    p->check = h_no_loss;
    assert_int_equal(ike_initiate(p->a.e, "lab", "net", p->now), 0);
    pair_run(p, p->now + 1000);
    assert_int_equal(p->a.n_inst, 1);
    assert_int_equal(p->b.n_inst, 1);
}

/* the side's only IKE SA (there must be exactly one) */
static struct ike_sa_info only_sa(const struct side *s)
{
    struct ike_sa_info info, found = { 0 };
    int n = 0;
    for (unsigned i = 0; i < ike_sa_slots(s->e); i++)
        if (ike_sa_info(s->e, i, &info)) {
            found = info;
            n++;
        }
    assert_int_equal(n, 1);
    return found;
}

static int creates_sent; /* CREATE_CHILD_SA requests, either side */
static int count_creates(struct pair *p, struct side *from, struct ike_action *a)
{
    (void)p;
    (void)from;
    creates_sent += dg_exchange(a) == IKEV2_EXCH_CREATE_CHILD_SA && !dg_response(a);
    return 0;
}

static void rekey_by(bool responder_asks)
{
    struct pair p;
    up(&p);
    struct side *me = responder_asks ? &p.b : &p.a, *peer = responder_asks ? &p.a : &p.b;
    struct ike_sa_info old = only_sa(me);
    uint32_t spi_in = me->inst[0].in, spi_out = me->inst[0].out;
    int child_up = me->child_up;
    creates_sent = 0;
    p.filter = count_creates;
    p.now += 5000;
    assert_int_equal(ike_sa_rekey(me->e, old.id, p.now), 0);
    pair_run(&p, p.now + 10000);
    assert_int_equal(creates_sent, 1);
    struct ike_sa_info n = only_sa(me), pn = only_sa(peer); /* the old one is gone on both ends */
    assert_memory_not_equal(n.spi_i, old.spi_i, 8);
    assert_memory_not_equal(n.spi_r, old.spi_r, 8);
    assert_memory_not_equal(n.spi_i, old.spi_r, 8);
    assert_memory_equal(n.spi_i, pn.spi_i, 8);
    assert_memory_equal(n.spi_r, pn.spi_r, 8);
    assert_true(n.initiator);     /* the rekey's initiator initiates the new IKE SA */
    assert_false(pn.initiator);
    assert_string_equal(n.state, "ESTABLISHED");
    assert_true(n.id != old.id);
    assert_int_equal(me->ike_rekeyed, 1);
    assert_int_equal(peer->ike_rekeyed, 1);
    assert_int_equal(me->ike_down, 1); /* the old IKE SA */
    assert_int_equal(peer->ike_down, 1);
    assert_non_null(strstr(me->log, "rekeying IKE_SA"));
    assert_non_null(strstr(peer->log, "(by the peer)"));
    /* the Child SA moved along: the same SPIs, not created again */
    assert_int_equal(me->child_up, child_up);
    assert_int_equal(me->n_inst, 1);
    assert_int_equal(me->inst[0].in, spi_in);
    assert_int_equal(me->inst[0].out, spi_out);
    struct ike_child_info ch;
    unsigned slot = 0;
    while (!ike_sa_info(me->e, slot, &n))
        slot++;
    assert_true(ike_sa_child_info(me->e, slot, 0, &ch));
    assert_int_equal(ch.spi_in, spi_in);
    assert_int_equal(ike_sa_rekey(me->e, old.id, p.now), KITE_E_NOT_FOUND);
    /* the new IKE SA can be rekeyed in its turn, from the other end */
    assert_int_equal(ike_sa_rekey(peer->e, pn.id, p.now), 0);
    pair_run(&p, p.now + 10000);
    assert_int_equal(me->ike_rekeyed, 2);
    assert_memory_not_equal(only_sa(me).spi_i, n.spi_i, 8);
    assert_int_equal(me->inst[0].in, spi_in);
    print_message("IKE SA rekeyed on request by the %s, %d loss checks\n",
                  responder_asks ? "responder" : "initiator", p.checks);
    pair_free(&p);
}

static void initiator_asks(void **s)
{
    (void)s;
    rekey_by(false);
}

static void responder_asks(void **s)
{
    (void)s;
    rekey_by(true);
}

static void refused(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = h_conn(1, 2, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    struct ike_conn_cfg cb = h_conn(2, 1, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    pair_init(&p, &ca, &cb);
    /* IKE_SA_INIT sent, nothing answered yet: not established */
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    struct ike_sa_info half = only_sa(&p.a);
    assert_string_equal(half.state, "CONNECTING");
    assert_int_equal(ike_sa_rekey(p.a.e, half.id, p.now), KITE_E_STATE);
    assert_non_null(strstr(p.a.log, "not rekeying IKE_SA lab[1]: it is not established"));
    assert_int_equal(ike_sa_rekey(p.a.e, 99, p.now), KITE_E_NOT_FOUND);
    creates_sent = 0;
    p.filter = count_creates;
    p.check = h_no_loss;
    pair_run(&p, p.now + 1000);
    assert_int_equal(p.a.n_inst, 1);
    assert_int_equal(creates_sent, 0); /* the refusal left nothing behind */
    assert_int_equal(p.a.ike_rekeyed, 0);
    /* a second request while the first rekey's answer is outstanding */
    struct ike_sa_info est = only_sa(&p.a);
    assert_int_equal(ike_sa_rekey(p.a.e, est.id, p.now), 0);
    assert_int_equal(ike_sa_rekey(p.a.e, est.id, p.now), KITE_E_STATE);
    assert_non_null(strstr(p.a.log, "not rekeying IKE_SA lab[1]: a rekey of it is under way"));
    pair_run(&p, p.now + 10000);
    assert_int_equal(creates_sent, 1);
    assert_int_equal(p.a.ike_rekeyed, 1);
    pair_free(&p);
}

/* our Child SA rekey is outstanding: the IKE SA rekey waits, then follows */
static void queued_behind_child_rekey(void **s)
{
    (void)s;
    struct pair p;
    up(&p);
    struct ike_sa_info old = only_sa(&p.a);
    creates_sent = 0;
    p.filter = count_creates;
    assert_int_equal(ike_child_expired(p.a.e, p.a.inst[0].in, false, p.now), 0);
    ike_tick(p.a.e, p.now); /* the Child SA rekey request goes out, unanswered yet */
    assert_int_equal(ike_sa_rekey(p.a.e, old.id, p.now), 1);
    assert_non_null(strstr(p.a.log, "rekey of IKE_SA lab[1] queued until the exchange under way ends"));
    pair_run(&p, p.now + 10000);
    assert_int_equal(creates_sent, 2);
    assert_int_equal(p.a.child_up, 2); /* the Child SA rekeyed once */
    assert_int_equal(p.a.ike_rekeyed, 1);
    assert_int_equal(p.b.ike_rekeyed, 1);
    assert_memory_not_equal(only_sa(&p.a).spi_i, old.spi_i, 8);
    assert_int_equal(p.a.n_inst, 1);
    assert_int_equal(p.a.inst[0].out, p.b.inst[0].in);
    assert_null(strstr(p.a.log, "TEMPORARY_FAILURE"));
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(initiator_asks),
        cmocka_unit_test(responder_asks),
        cmocka_unit_test(refused),
        cmocka_unit_test(queued_behind_child_rekey),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
