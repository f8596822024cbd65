/* Exchange collisions on a virtual clock (RFC 7296 2.8.2, 2.25, 1.4.1):
 *  - both ends rekey the IKE SA at once, over several seeds: the new IKE SA
 *    with the lowest of the four nonces is deleted by its creator, the other
 *    inherits the Child SAs (moved exactly once on each side), the old one is
 *    deleted, and no packet would be lost meanwhile;
 *  - a rekey of a Child SA the peer is deleting: answered TEMPORARY_FAILURE,
 *    or CHILD_SA_NOT_FOUND once it is gone, and the Delete that crosses the
 *    rekey is honoured;
 *  - a Delete from the peer for the old SA of a rekey we made, crossing our
 *    own Delete of it: each end answers without a Delete payload;
 *  - a Delete of the SA we are rekeying that overtakes the peer's answer to
 *    our rekey: answered as usual, and the new SA stands.
 *
 * The simultaneous IKE rekey is forced by setting both IKE SAs' rekey time
 * to the same instant (white-box, ike_int.h): the jitter of rekey_time would
 * otherwise keep them apart. */
#include "ike/ike_int.h" /* white-box: before harness.h, for h_est_sa */
#include "harness.h"

static const char *PSK = "collisions-test-psk-0123456789";

static struct ike_conn_cfg conn(uint8_t me, uint8_t peer)
{
    return h_conn(me, peer, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
}


static void up(struct pair *p)
{
    assert_int_equal(ike_initiate(p->a.e, "lab", "net", p->now), 0);
    pair_run(p, p->now + 1000);
    assert_int_equal(p->a.n_inst, 1);
    assert_int_equal(p->b.n_inst, 1);
}

static void simultaneous_ike_rekeys(void **s)
{
    (void)s;
    int lost_a = 0, lost_b = 0;
    for (uint64_t seed = 1; seed <= 8; seed++) {
        struct pair p;
        struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
        ca.rekey_time_s = cb.rekey_time_s = 3600;
        pair_init(&p, &ca, &cb);
        p.a.rng ^= seed * 0x9e3779b97f4a7c15ull;
        p.b.rng ^= seed * 0xc2b2ae3d27d4eb4full;
        p.check = h_no_loss;
        up(&p);
        struct ikesa *sa = h_est_sa(&p.a), *sb = h_est_sa(&p.b);
        uint32_t child_in = p.a.inst[0].in;
        sa->ike_rekey_at = sb->ike_rekey_at = p.now + 5000;
        pair_run(&p, p.now + 10000);
        assert_non_null(strstr(p.a.log, "IKE_SA rekey collision: both ends rekeying"));
        assert_non_null(strstr(p.b.log, "IKE_SA rekey collision: both ends rekeying"));
        bool a_lost = strstr(p.a.log, "IKE_SA rekey collision: ours has the lowest nonce") != NULL;
        bool b_lost = strstr(p.b.log, "IKE_SA rekey collision: ours has the lowest nonce") != NULL;
        assert_true(a_lost != b_lost); /* exactly one redundant IKE SA, deleted by its creator */
        lost_a += a_lost;
        lost_b += b_lost;
        /* the Child SAs moved once, to the same IKE SA on both sides */
        assert_int_equal(p.a.ike_rekeyed, 1);
        assert_int_equal(p.b.ike_rekeyed, 1);
        struct ike_stats st;
        ike_engine_stats(p.a.e, &st);
        assert_int_equal(st.ike_sas, 1);
        ike_engine_stats(p.b.e, &st);
        assert_int_equal(st.ike_sas, 1);
        sa = h_est_sa(&p.a);
        sb = h_est_sa(&p.b);
        assert_non_null(sa);
        assert_non_null(sb);
        assert_memory_equal(sa->spi_i, sb->spi_i, 8);
        assert_memory_equal(sa->spi_r, sb->spi_r, 8);
        assert_int_equal(p.a.child_up, 1); /* the Child SA itself is untouched */
        assert_int_equal(p.a.inst[0].in, child_in);
        assert_int_equal(p.a.ike_down, 2); /* the old IKE SA and the redundant one */
        assert_int_equal(p.b.ike_down, 2);
        assert_non_null(strstr(p.a.down_reason, "rekeyed"));
        /* the surviving IKE SA works: a Child SA rekey over it */
        assert_int_equal(ike_child_expired(p.b.e, p.b.inst[0].in, false, p.now), 0);
        pair_run(&p, p.now + 1000 + IKE_CHILD_GRACE_MS);
        assert_int_equal(p.a.child_up, 2);
        assert_int_equal(p.a.n_inst, 1);
        assert_int_equal(p.a.inst[0].out, p.b.inst[0].in);
        assert_true(p.checks > 10);
        pair_free(&p);
    }
    assert_true(lost_a > 0 && lost_b > 0);
}

/* both rekey the IKE SA, but a's request is lost: b completes its rekey
 * without seeing a collision and deletes the old IKE SA, while a, which
 * answered b's request, still waits for its own answer (2.8.2, "only one
 * peer detects a simultaneous rekey"): the Delete tells a that b's new IKE
 * SA inherits the Child SAs */
static int lost_request;

static int lose_first_rekey(struct pair *p, struct side *from, struct ike_action *a)
{
    if (from != &p->a || dg_exchange(a) != IKEV2_EXCH_CREATE_CHILD_SA || dg_response(a) || lost_request)
        return 0;
    lost_request = 1;
    return 1;
}

static void one_side_sees_the_collision(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    ca.rekey_time_s = cb.rekey_time_s = 3600;
    pair_init(&p, &ca, &cb);
    p.check = h_no_loss;
    up(&p);
    struct ikesa *sa = h_est_sa(&p.a), *sb = h_est_sa(&p.b);
    sa->ike_rekey_at = sb->ike_rekey_at = p.now + 5000;
    lost_request = 0;
    p.filter = lose_first_rekey;
    pair_run(&p, p.now + 30000);
    assert_int_equal(lost_request, 1);
    assert_non_null(strstr(p.a.log, "IKE_SA rekey collision: both ends rekeying"));
    assert_null(strstr(p.b.log, "IKE_SA rekey collision"));
    assert_int_equal(p.a.ike_rekeyed, 1);
    assert_int_equal(p.b.ike_rekeyed, 1);
    struct ike_stats st;
    ike_engine_stats(p.a.e, &st);
    assert_int_equal(st.ike_sas, 1);
    ike_engine_stats(p.b.e, &st);
    assert_int_equal(st.ike_sas, 1);
    sa = h_est_sa(&p.a);
    sb = h_est_sa(&p.b);
    assert_memory_equal(sa->spi_i, sb->spi_i, 8);
    assert_memory_equal(sa->spi_r, sb->spi_r, 8);
    assert_int_equal(p.a.n_inst, 1);
    assert_int_equal(p.a.ike_down + p.b.ike_down, 2); /* the old IKE SA on each side */
    pair_free(&p);
}

/* a rekeys the IKE SA in the same instant as b rekeys the Child SA: each
 * answers the other TEMPORARY_FAILURE (2.25.2), both retry later (the Child
 * SA after 10 s, the IKE SA after 2 to 12 s) and both rekeys happen once */
static void ike_rekey_meets_child_rekey(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    ca.rekey_time_s = cb.rekey_time_s = 3600;
    pair_init(&p, &ca, &cb);
    p.check = h_no_loss;
    up(&p);
    struct ikesa *sa = h_est_sa(&p.a), *sb = h_est_sa(&p.b);
    sa->ike_rekey_at = p.now + 5000;
    ike_sa_child(sb, 0)->rekey_at = p.now + 5000;
    pair_run(&p, p.now + 60000);
    assert_non_null(strstr(p.b.log, "IKE_SA rekey request while a CHILD_SA exchange is under way, answering TEMPORARY_FAILURE"));
    assert_non_null(strstr(p.a.log, "CREATE_CHILD_SA request while the IKE_SA is being rekeyed, sending TEMPORARY_FAILURE"));
    assert_non_null(strstr(p.a.log, "IKE_SA lab[1] rekey failed: received TEMPORARY_FAILURE; retrying later"));
    assert_non_null(strstr(p.b.log, "CHILD_SA net rekey failed: received TEMPORARY_FAILURE; keeping the old SA"));
    assert_int_equal(p.a.ike_rekeyed, 1);
    assert_int_equal(p.b.ike_rekeyed, 1);
    assert_int_equal(p.a.child_up, 2); /* the Child SA rekeyed once */
    assert_int_equal(p.b.child_up, 2);
    assert_int_equal(p.a.n_inst, 1);
    assert_int_equal(p.a.inst[0].out, p.b.inst[0].in);
    assert_int_equal(p.a.ike_down + p.b.ike_down, 2); /* the old IKE SA on each side */
    pair_free(&p);
}

/* a deletes the Child SA (life_time) in the same instant as b rekeys it
 * (rekey_time): b's REKEY_SA meets an SA a is deleting (TEMPORARY_FAILURE),
 * a's Delete meets an SA b is rekeying (answered with the Delete payload as
 * usual); nothing is left.  With b's request held back until a's Delete is
 * answered, the SA is gone and the answer is CHILD_SA_NOT_FOUND. */
static int hold_rekey(struct pair *p, struct side *from, struct ike_action *a)
{
    return from == &p->b && dg_exchange(a) == IKEV2_EXCH_CREATE_CHILD_SA && !dg_response(a) ? 2 : 0;
}

static void rekey_meets_delete(bool held)
{
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    ca.child[0].life_time_s = 100;
    cb.child[0].rekey_time_s = 100;
    pair_init(&p, &ca, &cb);
    p.check = h_no_loss;
    up(&p);
    if (held)
        p.filter = hold_rekey;
    uint64_t t0 = p.now;
    pair_run(&p, t0 + 100 * 1000 + 10);
    assert_non_null(strstr(p.a.log, "reached its hard lifetime"));
    assert_non_null(strstr(p.b.log, "rekeying CHILD_SA net"));
    if (held) {
        assert_non_null(strstr(p.a.log, "sending CHILD_SA_NOT_FOUND"));
        assert_non_null(strstr(p.b.log, "rekey failed: received CHILD_SA_NOT_FOUND; the old SA is gone"));
    } else {
        assert_non_null(strstr(p.a.log, "that we are deleting, sending TEMPORARY_FAILURE"));
        assert_non_null(strstr(p.b.log, "rekey failed: received TEMPORARY_FAILURE; the old SA is gone"));
    }
    assert_non_null(strstr(p.b.log, "received DELETE for ESP CHILD_SA with SPI"));
    pair_run(&p, p.now + IKE_CHILD_GRACE_MS + 1);
    assert_int_equal(p.a.n_inst, 0);
    assert_int_equal(p.b.n_inst, 0);
    assert_int_equal(p.b.child_up, 1); /* no new SA came of the rekey */
    assert_int_equal(p.a.ike_down + p.b.ike_down, 0);
    /* nothing left to do: no retry of the rekey, no request outstanding */
    pair_run(&p, p.now + 120 * 1000);
    assert_int_equal(p.b.child_up, 1);
    pair_free(&p);
}

static void rekey_of_a_child_being_deleted(void **s)
{
    (void)s;
    rekey_meets_delete(false);
    rekey_meets_delete(true);
}

/* a rekeys the Child SA; when a's Delete of the old SA leaves, b deletes the
 * old SA on its own (its hard limit): the two Deletes cross, each end
 * answers without a Delete payload (1.4.1), and the new SA carries on */
static uint32_t old_b_in;
static int crossed;

static int cross_deletes(struct pair *p, struct side *from, struct ike_action *a)
{
    if (from != &p->a || dg_exchange(a) != IKEV2_EXCH_INFORMATIONAL || dg_response(a) || crossed)
        return 0;
    crossed = 1;
    assert_int_equal(ike_child_expired(p->b.e, old_b_in, true, p->now), 0);
    ike_tick(p->b.e, p->now); /* b's Delete goes out before a's arrives */
    return 2;
}

static void delete_of_an_sa_we_rekeyed(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    pair_init(&p, &ca, &cb);
    p.check = h_no_loss;
    up(&p);
    old_b_in = p.b.inst[0].in;
    crossed = 0;
    p.filter = cross_deletes;
    assert_int_equal(ike_child_expired(p.a.e, p.a.inst[0].in, false, p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(crossed, 1);
    assert_non_null(strstr(p.a.log, "that we are deleting too"));
    assert_non_null(strstr(p.b.log, "that we are deleting too"));
    assert_null(strstr(p.a.log, "generating INFORMATIONAL response 2 [ D ]"));
    assert_null(strstr(p.b.log, "generating INFORMATIONAL response 1 [ D ]"));
    pair_run(&p, p.now + IKE_CHILD_GRACE_MS + 1);
    assert_int_equal(p.a.n_inst, 1);
    assert_int_equal(p.b.n_inst, 1);
    assert_int_equal(h_live(&p.a), 1);
    assert_int_equal(p.a.inst[0].out, p.b.inst[0].in);
    assert_int_equal(p.a.inst[0].in, p.b.inst[0].out);
    assert_true(p.b.inst[0].in != old_b_in);
    assert_int_equal(p.a.ike_down + p.b.ike_down, 0);
    pair_free(&p);
}

/* b rekeys the Child SA; a answers, then deletes the old SA (its hard
 * limit) and the Delete overtakes a's answer: b gets the Delete while its
 * rekey is outstanding (answered with the Delete payload as usual), then the
 * answer, and the new SA stands alone on both sides.  (No loss check: a
 * sends on the new SA once the old one is deleted, before b, whose answer
 * is held back, has it.) */
static uint32_t old_a_in;
static int overtaken;

static int delete_overtakes(struct pair *p, struct side *from, struct ike_action *a)
{
    if (from != &p->a || dg_exchange(a) != IKEV2_EXCH_CREATE_CHILD_SA || !dg_response(a) || overtaken)
        return 0;
    overtaken = 1;
    assert_int_equal(ike_child_expired(p->a.e, old_a_in, true, p->now), 0);
    ike_tick(p->a.e, p->now); /* a's Delete is queued behind this answer, and goes first */
    return 2;
}

static void delete_while_rekeying(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    pair_init(&p, &ca, &cb);
    up(&p);
    old_a_in = p.a.inst[0].in;
    overtaken = 0;
    p.filter = delete_overtakes;
    assert_int_equal(ike_child_expired(p.b.e, p.b.inst[0].in, false, p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(overtaken, 1);
    assert_non_null(strstr(p.b.log, "received DELETE for ESP CHILD_SA with SPI"));
    assert_non_null(strstr(p.b.log, "generating INFORMATIONAL response 2 [ D ]"));
    pair_run(&p, p.now + IKE_CHILD_GRACE_MS + 1);
    assert_int_equal(p.a.n_inst, 1);
    assert_int_equal(p.b.n_inst, 1);
    assert_true(p.a.inst[0].in != old_a_in);
    assert_int_equal(p.a.inst[0].out, p.b.inst[0].in);
    assert_int_equal(p.a.inst[0].in, p.b.inst[0].out);
    assert_memory_equal(p.a.inst[0].encr_out, p.b.inst[0].encr_in, p.a.inst[0].key_len);
    assert_int_equal(p.a.ike_down + p.b.ike_down, 0);
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(simultaneous_ike_rekeys),
        cmocka_unit_test(one_side_sees_the_collision),
        cmocka_unit_test(ike_rekey_meets_child_rekey),
        cmocka_unit_test(rekey_of_a_child_being_deleted),
        cmocka_unit_test(delete_of_an_sa_we_rekeyed),
        cmocka_unit_test(delete_while_rekeying),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
