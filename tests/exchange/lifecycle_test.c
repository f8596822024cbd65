/* The SA lifecycle on a virtual clock: a day of rekeys (IKE SA every hour,
 * Child SA every 10 minutes, either side first by the jitter) with no
 * moment where a packet would be lost, simultaneous rekeys resolved by the
 * nonce rule, Delete of the IKE SA in both directions, a silent peer declared
 * dead on the retransmission schedule, dpd_action = restart, and
 * INITIAL_CONTACT clearing the stale SA of a peer that lost its state, and
 * nonces of 16 and 256 bytes (ike_env.nonce_len) through every exchange.
 *
 * "No lost packet" is checked after every round of deliveries: the Child SA
 * each side sends with (its oldest installed one, as the data plane's policy
 * order has it) must be installed inbound on the other side with the same
 * keys. */
#include "harness.h"

static const char *PSK = "lifecycle-test-psk-0123456789";

static struct ike_conn_cfg conn(uint8_t me, uint8_t peer, const char *esp, uint32_t rekey, uint32_t rnd)
{
    struct ike_conn_cfg c = h_conn(me, peer, "aes256gcm16 prfsha256 x25519", esp, PSK);
    c.child[0].rekey_time_s = rekey;
    c.child[0].rand_time_s = rnd;
    return c;
}

static void day_of_rekeys(const char *esp)
{
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2, esp, 600, 60), cb = conn(2, 1, esp, 600, 60);
    ca.rekey_time_s = cb.rekey_time_s = 3600; /* the IKE SA every hour (minus up to 10%) */
    pair_init(&p, &ca, &cb);
    p.check = h_no_loss;
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    uint64_t start = p.now;
    pair_run(&p, start + 86400ull * 1000);
    /* every rekey replaced one SA: exactly one left on each side, paired */
    assert_int_equal(h_live(&p.a), 1);
    assert_int_equal(h_live(&p.b), 1);
    pair_run(&p, p.now + IKE_CHILD_GRACE_MS + 1); /* the last retired SA goes */
    assert_int_equal(p.a.n_inst, 1);
    assert_int_equal(p.b.n_inst, 1);
    assert_int_equal(p.a.inst[0].out, p.b.inst[0].in);
    /* IKE SA rekeys: 24 to 27 in a day; the only IKE SAs that went down are
     * the rekeyed ones, and the Child SAs moved along each time */
    assert_int_equal(p.a.ike_rekeyed, p.b.ike_rekeyed);
    assert_true(p.a.ike_rekeyed >= 24 && p.a.ike_rekeyed <= 27);
    assert_int_equal(p.a.ike_down, p.a.ike_rekeyed);
    assert_int_equal(p.b.ike_down, p.b.ike_rekeyed);
    assert_non_null(strstr(p.a.log, "rekeying IKE_SA"));
    assert_non_null(strstr(p.b.log, "rekeying IKE_SA"));
    int rekeys = p.a.child_up - 1;
    assert_int_equal(p.b.child_up, p.a.child_up);
    assert_int_equal(p.a.child_down, rekeys);
    /* 600 s minus up to 60 s of jitter: between 144 and 160 in a day */
    assert_true(rekeys >= 144 && rekeys <= 160);
    /* both sides started rekeys (the jitter decides who is first) */
    assert_non_null(strstr(p.a.log, "rekeying CHILD_SA"));
    assert_non_null(strstr(p.b.log, "rekeying CHILD_SA"));
    assert_true(p.checks > 1000);
    print_message("%d Child SA and %d IKE SA rekeys in a virtual day (%s), %d loss checks\n", rekeys,
                  p.a.ike_rekeyed, esp, p.checks);
    pair_free(&p);
}

static void day_of_rekeys_no_pfs(void **s)
{
    (void)s;
    day_of_rekeys("aes256gcm16");
}

static void day_of_rekeys_pfs(void **s)
{
    (void)s;
    day_of_rekeys("aes256gcm16 x25519");
}

/* both sides rekey the same Child SA at the same instant (2.8.1) */
static void simultaneous_rekeys(void **s)
{
    (void)s;
    int lowest_a = 0, lowest_b = 0;
    for (uint64_t seed = 1; seed <= 8; seed++) {
        struct pair p;
        struct ike_conn_cfg ca = conn(1, 2, "aes256gcm16", 600, 0), cb = conn(2, 1, "aes256gcm16", 600, 0);
        pair_init(&p, &ca, &cb);
        p.a.rng ^= seed * 0x9e3779b97f4a7c15ull;
        p.b.rng ^= seed * 0xc2b2ae3d27d4eb4full;
        p.check = h_no_loss;
        assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
        pair_run(&p, p.now + 1000);
        assert_int_equal(p.a.n_inst, 1);
        /* the responder's Child SA was installed in the same instant as the
         * initiator's, so both rekey timers fire together */
        pair_run(&p, p.now + 601 * 1000);
        pair_run(&p, p.now + IKE_CHILD_GRACE_MS + 1);
        assert_non_null(strstr(p.a.log, "rekey collision"));
        assert_non_null(strstr(p.b.log, "rekey collision"));
        /* the redundant SA and the old one are gone: one pair left */
        assert_int_equal(p.a.n_inst, 1);
        assert_int_equal(p.b.n_inst, 1);
        assert_int_equal(p.a.inst[0].out, p.b.inst[0].in);
        assert_int_equal(p.a.inst[0].in, p.b.inst[0].out);
        lowest_a += strstr(p.a.log, "ours has the lowest nonce") != NULL;
        lowest_b += strstr(p.b.log, "ours has the lowest nonce") != NULL;
        /* exactly one side deleted its own new SA */
        assert_int_equal((strstr(p.a.log, "ours has the lowest nonce") != NULL) +
                             (strstr(p.b.log, "ours has the lowest nonce") != NULL),
                         1);
        pair_free(&p);
    }
    /* over the seeds each side lost the draw at least once */
    assert_true(lowest_a > 0 && lowest_b > 0);
}

static void delete_both_directions(void **s)
{
    (void)s;
    for (int who = 0; who < 2; who++) {
        struct pair p;
        struct ike_conn_cfg ca = conn(1, 2, "aes256gcm16", 0, 0), cb = conn(2, 1, "aes256gcm16", 0, 0);
        pair_init(&p, &ca, &cb);
        assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
        pair_run(&p, p.now + 1000);
        assert_int_equal(p.b.n_inst, 1);
        struct side *del = who ? &p.b : &p.a, *other = who ? &p.a : &p.b;
        assert_int_equal(ike_delete_all(del->e, p.now), 1);
        pair_run(&p, p.now + 1000);
        assert_int_equal(del->ike_down, 1);
        assert_int_equal(other->ike_down, 1);
        assert_string_equal(other->down_reason, "deleted by the peer");
        assert_int_equal(p.a.n_inst + p.b.n_inst, 0);
        pair_free(&p);
    }
}

/* dpd_delay 30 s; the peer goes silent: DPD, five retransmissions
 * (4 s x 1.8^n), then dead; with restart the connection is initiated again
 * and, once the peer answers, comes back — and the peer, which kept its old
 * SA, drops it on INITIAL_CONTACT */
static void silent_peer_dead_then_restart(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2, "aes256gcm16", 0, 0), cb = conn(2, 1, "aes256gcm16", 0, 0);
    ca.dpd_delay_ms = 30000;
    ca.dpd_restart = true;
    pair_init(&p, &ca, &cb);
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(p.a.ike_up, 1);
    uint64_t up = p.now;
    /* the peer answers liveness checks while it is there */
    pair_run(&p, up + 95000);
    assert_int_equal(p.a.ike_down, 0);
    assert_non_null(strstr(p.a.log, "generating INFORMATIONAL request"));
    /* then it goes silent */
    p.drop_after = p.sent;
    uint64_t silent = p.now;
    pair_run(&p, silent + 400000);
    assert_true(p.a.ike_down >= 1); /* the SA, then restarts that found nobody */
    assert_non_null(strstr(p.a.down_reason, "peer not responding"));
    assert_non_null(strstr(p.a.log, "dpd_action = restart"));
    /* declared dead no later than dpd_delay + the retransmission schedule
     * (4 + 7.2 + 12.96 + 23.328 + 41.99 + 75.58 s = 165.06 s) after the last
     * answer */
    char *d = strstr(p.a.log, "giving up after 5 retransmits");
    assert_non_null(d);
    /* the peer still holds the old IKE SA: it never heard of the failure */
    assert_int_equal(p.b.ike_down, 0);
    /* the peer is back: the restarted connection gets through */
    p.drop_after = 0;
    int ups = p.a.ike_up;
    pair_run(&p, p.now + 400000);
    assert_int_equal(p.a.ike_up, ups + 1);
    assert_int_equal(p.b.ike_up, 2);
    /* INITIAL_CONTACT in the new IKE_AUTH made the peer drop the stale SA */
    assert_int_equal(p.b.ike_down, 1);
    assert_non_null(strstr(p.b.down_reason, "INITIAL_CONTACT"));
    assert_int_equal(p.a.n_inst, 1);
    assert_int_equal(p.b.n_inst, 1);
    assert_int_equal(p.a.inst[0].out, p.b.inst[0].in);
    pair_free(&p);
}

/* the time of death, exactly: established at t0, last answer at t1, dead at
 * t1 + dpd_delay + 165.06 s */
static void dead_on_schedule(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2, "aes256gcm16", 0, 0), cb = conn(2, 1, "aes256gcm16", 0, 0);
    ca.dpd_delay_ms = 10000;
    pair_init(&p, &ca, &cb);
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    uint64_t last = p.now; /* the IKE_AUTH response */
    p.drop_after = p.sent;
    for (uint64_t t = p.now; p.a.ike_down == 0 && t < last + 300000; t += 10) {
        pair_run(&p, t);
        if (p.a.ike_down)
            break;
    }
    assert_int_equal(p.a.ike_down, 1);
    uint64_t want = last + 10000 + 4000 + 7200 + 12960 + 23328 + 41990 + 75583;
    assert_true(p.now >= want - 20 && p.now <= want + 20);
    pair_free(&p);
}

/* life_time: a Child SA that is never rekeyed is deleted at its hard
 * lifetime, on both sides, and the IKE SA stays; the data plane's byte or
 * packet limits rekey (soft) or delete (hard) at once */
static void lifetimes_and_limits(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2, "aes256gcm16", 0, 0), cb = conn(2, 1, "aes256gcm16", 0, 0);
    ca.child[0].life_time_s = 100;
    ca.child[0].rekey_bytes = 1000000;
    ca.child[0].life_bytes = 1100000;
    pair_init(&p, &ca, &cb);
    p.check = h_no_loss;
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(p.a.child.soft_bytes, 1000000); /* handed to the data plane */
    assert_int_equal(p.a.child.hard_bytes, 1100000);
    /* the soft limit: rekeyed at once */
    uint32_t spi = p.a.inst[0].in;
    assert_int_equal(ike_child_expired(p.a.e, spi, false, p.now), 0);
    pair_run(&p, p.now + 1000);
    pair_run(&p, p.now + IKE_CHILD_GRACE_MS + 1);
    assert_int_equal(p.a.child_up, 2);
    assert_int_equal(p.a.n_inst, 1);
    assert_true(p.a.inst[0].in != spi);
    assert_int_equal(ike_child_expired(p.a.e, spi, false, p.now), KITE_E_NOT_FOUND); /* gone */
    /* the hard limit (e.g. passed together with the soft one): the SA
     * carries nothing more, so it is replaced at once, not just dropped */
    spi = p.a.inst[0].in;
    assert_int_equal(ike_child_expired(p.a.e, spi, true, p.now), 0);
    pair_run(&p, p.now + 1000);
    pair_run(&p, p.now + IKE_CHILD_GRACE_MS + 1);
    assert_int_equal(p.a.child_up, 3);
    assert_int_equal(p.a.n_inst, 1);
    assert_int_equal(p.b.n_inst, 1);
    assert_true(p.a.inst[0].in != spi);
    assert_int_equal(p.a.ike_down + p.b.ike_down, 0);
    pair_free(&p);

    /* life_time without rekeying */
    ca.child[0].rekey_bytes = ca.child[0].life_bytes = 0;
    pair_init(&p, &ca, &cb);
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    uint64_t t0 = p.now;
    pair_run(&p, t0 + 99 * 1000);
    assert_int_equal(p.b.n_inst, 1);
    pair_run(&p, t0 + 101 * 1000);
    /* the deleter stops sending at once and decrypts what is in flight
     * until IKE_CHILD_GRACE_MS after the Delete's answer */
    assert_int_equal(h_live(&p.a), 0);
    assert_int_equal(p.b.n_inst, 0);
    pair_run(&p, t0 + 101 * 1000 + IKE_CHILD_GRACE_MS);
    assert_int_equal(p.a.n_inst, 0);
    assert_non_null(strstr(p.a.log, "reached its hard lifetime"));
    assert_int_equal(p.a.ike_down + p.b.ike_down, 0);
    pair_free(&p);

    /* life_time equal to rekey_time (whole seconds: 2s + 10% is 2s): the
     * rekey comes first, nothing is deleted */
    ca.child[0].rekey_time_s = 100;
    pair_init(&p, &ca, &cb);
    p.check = h_no_loss;
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 350 * 1000);
    assert_int_equal(p.a.child_up, 4);
    assert_int_equal(h_live(&p.a), 1);
    assert_int_equal(h_live(&p.b), 1);
    assert_null(strstr(p.a.log, "reached its hard lifetime"));
    pair_free(&p);
}

static size_t init_len[2]; /* the IKE_SA_INIT request (a) and response (b) */

static int note_init(struct pair *p, struct side *from, struct ike_action *a)
{
    if (dg_exchange(a) == IKEV2_EXCH_IKE_SA_INIT)
        init_len[from == &p->b] = a->len;
    return 0;
}

/* nonces of any length RFC 7296 3.9 allows, 16 to 256 bytes, in IKE_SA_INIT,
 * Child SA rekeys and creation, and IKE SA rekeys started by either end */
static void nonce_lengths(uint16_t na, uint16_t nb)
{
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2, "aes256gcm16 x25519", 100, 20), cb = conn(2, 1, "aes256gcm16 x25519", 100, 20);
    ca.rekey_time_s = cb.rekey_time_s = 600;
    pair_init_nonces(&p, &ca, &cb, na, nb);
    p.check = h_no_loss;
    p.filter = note_init;
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 3600ull * 1000);
    /* the nonces really had those lengths: they make the difference in size */
    assert_true(init_len[0] + nb == init_len[1] + na);
    assert_true(p.a.ike_rekeyed >= 6);
    assert_int_equal(p.a.ike_rekeyed, p.b.ike_rekeyed);
    assert_int_equal(p.a.ike_down, p.a.ike_rekeyed);
    assert_int_equal(p.b.ike_down, p.b.ike_rekeyed);
    assert_non_null(strstr(p.a.log, "rekeying IKE_SA"));
    assert_non_null(strstr(p.b.log, "rekeying IKE_SA"));
    assert_non_null(strstr(p.a.log, "rekeying CHILD_SA"));
    assert_non_null(strstr(p.b.log, "rekeying CHILD_SA"));
    assert_true(p.a.child_up >= 30);
    assert_int_equal(h_live(&p.a), 1);
    assert_int_equal(h_live(&p.b), 1);
    assert_true(p.checks > 100);
    pair_free(&p);
}

static void long_nonces_responder(void **s)
{
    (void)s;
    nonce_lengths(16, 256);
}

static void long_nonces_initiator(void **s)
{
    (void)s;
    nonce_lengths(256, 16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(day_of_rekeys_no_pfs),     cmocka_unit_test(day_of_rekeys_pfs),
        cmocka_unit_test(simultaneous_rekeys),      cmocka_unit_test(delete_both_directions),
        cmocka_unit_test(silent_peer_dead_then_restart), cmocka_unit_test(dead_on_schedule),
        cmocka_unit_test(lifetimes_and_limits),
        cmocka_unit_test(long_nonces_responder),    cmocka_unit_test(long_nonces_initiator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
