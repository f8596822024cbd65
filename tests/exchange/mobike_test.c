/* MOBIKE (RFC 4555) between two engines: MOBIKE_SUPPORTED both ways in
 * IKE_AUTH, the initiator's address moving (ike_sa_move_local) and the
 * responder following its UPDATE_SA_ADDRESSES: IKE and ESP go to the new
 * address on both sides, the Child SA keeps its SPIs; the update waits for a
 * request under way; mobike = no on either side: nothing moves. */
#include "ike/ike_int.h"
#include "harness.h"

static const char *PSK = "mobike-test-psk-0123456789";
static struct ike_addr b_dest; /* where b's last datagram went */
static int b_sends;

static int watch(struct pair *p, struct side *from, struct ike_action *a)
{
    if (from == &p->b)
        b_dest = a->remote, b_sends++;
    return 0;
}

static void up(struct pair *p, bool a_mobike, bool b_mobike)
{
    struct ike_conn_cfg ca = h_conn(1, 2, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    struct ike_conn_cfg cb = h_conn(2, 1, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    ca.no_mobike = !a_mobike;
    ca.mobike_client = true; /* a moves its SAs itself (ike_sa_move_local) */
    cb.no_mobike = !b_mobike;
    ca.dpd_delay_ms = cb.dpd_delay_ms = 0;
    pair_init(p, &ca, &cb);
    p->filter = watch;
    assert_int_equal(ike_initiate(p->a.e, "lab", "net", p->now), 0);
    pair_run(p, p->now + 1000);
    assert_int_equal(p->a.child_up + p->b.child_up, 2);
}

static const struct ike_addr NEW = { .family = 4, .ip = { 198, 51, 100, 1 }, .port = 500 };

static void moves(void **s)
{
    (void)s;
    struct pair p;
    up(&p, true, true);
    assert_non_null(strstr(p.a.log, "AUTH N(MOBIKE_SUPPORTED) SA TSi TSr"));
    assert_non_null(strstr(p.b.log, "generating IKE_AUTH response 1 [ IDr AUTH N(MOBIKE_SUPPORTED)"));
    struct ikesa *sa = h_est_sa(&p.a);
    uint32_t spi_in = p.a.child.spi_in, spi_out = p.a.child.spi_out;
    assert_int_equal(ike_sa_move_local(p.a.e, sa->id, &NEW, p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_non_null(strstr(p.a.log, "our address moves from 192.0.2.1[500] to 198.51.100.1[500]"));
    assert_non_null(strstr(p.b.log, "the peer moved from 192.0.2.1[500] to 198.51.100.1[500] (MOBIKE UPDATE_SA_ADDRESSES)"));
    assert_non_null(strstr(p.b.log, "generating INFORMATIONAL response 2 [ N(NATD_S_IP) N(NATD_D_IP) ]"));
    assert_non_null(strstr(p.a.log, "the peer took our new address (MOBIKE)"));
    assert_true(ike_addr_eq(&b_dest, &NEW)); /* b answered at the new address */
    /* b's next request (its IKE SA rekey) goes there too, and the Child SA kept its SPIs */
    struct ikesa *bs = h_est_sa(&p.b);
    assert_true(ike_addr_eq(&bs->remote, &NEW));
    b_sends = 0;
    assert_true(ike_sa_rekey(p.b.e, bs->id, p.now) >= 0);
    pair_run(&p, p.now + 1000);
    assert_true(b_sends > 0);
    assert_true(ike_addr_eq(&b_dest, &NEW));
    /* the IKE SA rekeyed (the old one went), the Child SA moved along with its SPIs */
    assert_int_equal(p.a.ike_rekeyed + p.b.ike_rekeyed, 2);
    assert_non_null(h_est_sa(&p.a));
    assert_int_equal(p.a.child.spi_in, spi_in);
    assert_int_equal(p.a.child.spi_out, spi_out);
    pair_free(&p);
}

/* a request under way when the address moves: the update follows its answer */
static void after_request(void **s)
{
    (void)s;
    struct pair p;
    up(&p, true, true);
    struct ikesa *sa = h_est_sa(&p.a);
    /* a Child SA rekey (its soft limit reached) out, not yet answered */
    assert_int_equal(ike_child_expired(p.a.e, p.a.child.spi_in, false, p.now), 0);
    ike_tick(p.a.e, p.now);
    assert_int_equal(ike_sa_move_local(p.a.e, sa->id, &NEW, p.now), 0);
    assert_null(strstr(p.a.log, "UPDATE_SA_ADDRESSES"));
    pair_run(&p, p.now + 2000);
    assert_non_null(strstr(p.a.log, "[ N(UPDATE_SA_ADDRESSES) N(NATD_S_IP) N(NATD_D_IP) ]"));
    assert_non_null(strstr(p.b.log, "(MOBIKE UPDATE_SA_ADDRESSES)"));
    assert_non_null(strstr(p.a.log, "the peer took our new address (MOBIKE)"));
    struct ikesa *bs = h_est_sa(&p.b);
    assert_true(ike_addr_eq(&bs->remote, &NEW));
    assert_int_equal(p.a.ike_down + p.b.ike_down, 0);
    assert_int_equal(p.a.child_up, 2); /* the first Child SA and its rekey */
    pair_free(&p);
}

/* mobike = no at either end: no MOBIKE_SUPPORTED from it, nothing moves */
static void off(void **s)
{
    (void)s;
    for (int side = 0; side < 2; side++) {
        struct pair p;
        up(&p, side != 0, side != 1);
        struct ikesa *sa = h_est_sa(&p.a);
        assert_int_equal(ike_sa_move_local(p.a.e, sa->id, &NEW, p.now), KITE_E_UNSUPPORTED);
        assert_non_null(strstr(p.a.log, "not moved, MOBIKE was not agreed"));
        pair_run(&p, p.now + 1000);
        assert_null(strstr(p.b.log, "UPDATE_SA_ADDRESSES"));
        pair_free(&p);
    }
}

/* MOBIKE outlives an IKE SA rekey (either side's): the new IKE SA is moved
 * as the first was; the responder moves nothing itself (RFC 4555 3.1) */
static void after_ike_rekey(void **s)
{
    (void)s;
    for (int side = 0; side < 2; side++) {
        struct pair p;
        up(&p, true, true);
        struct side *rk = side ? &p.b : &p.a;
        assert_true(ike_sa_rekey(rk->e, h_est_sa(rk)->id, p.now) >= 0);
        pair_run(&p, p.now + 1000);
        assert_int_equal(p.a.ike_rekeyed + p.b.ike_rekeyed, 2);
        struct ikesa *bs = h_est_sa(&p.b);
        assert_int_equal(ike_sa_move_local(p.b.e, bs->id, &NEW, p.now), KITE_E_UNSUPPORTED);
        assert_non_null(strstr(p.b.log, "only the original initiator moves a MOBIKE IKE_SA"));
        struct ikesa *sa = h_est_sa(&p.a);
        uint32_t id;
        struct ike_addr l, r;
        bool found = false;
        for (unsigned i = 0; i < ike_sa_slots(p.a.e); i++)
            found = found || (ike_sa_mobile(p.a.e, i, &id, &l, &r) && id == sa->id);
        assert_true(found);
        for (unsigned i = 0; i < ike_sa_slots(p.b.e); i++)
            assert_false(ike_sa_mobile(p.b.e, i, &id, &l, &r));
        assert_int_equal(ike_sa_move_local(p.a.e, sa->id, &NEW, p.now), 0);
        pair_run(&p, p.now + 1000);
        assert_non_null(strstr(p.b.log, "(MOBIKE UPDATE_SA_ADDRESSES)"));
        assert_true(ike_addr_eq(&h_est_sa(&p.b)->remote, &NEW));
        pair_free(&p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(moves), cmocka_unit_test(after_request), cmocka_unit_test(off),
        cmocka_unit_test(after_ike_rekey),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
