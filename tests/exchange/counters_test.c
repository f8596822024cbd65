/* Two engines, one virtual clock: the event counters (ike_engine_counters,
 * VICI get-counters, metrics) after a handshake and after each way one
 * fails.
 *
 *  HDR, SAi1, KEi, Ni  -->                 ike-init-out-req at a, -in-req at b
 *                      <--  HDR, SAr1, KEr, Nr
 *  HDR, SK{IDi, AUTH, SAi2, TSi, TSr}  -->
 *                      <--  HDR, SK{IDr, AUTH, SAr2, TSi, TSr}       */
#include "harness.h"

static const char *PSK = "interop-test-psk-0123456789";
static const char *IKE = "aes256gcm16 prfsha256 x25519";

static uint64_t ctr(struct side *s, const char *conn, unsigned c)
{
    struct ike_counters k;
    assert_true(ike_engine_counters(s->e, conn, &k));
    return k.c[c];
}

static void run(struct pair *p, struct ike_conn_cfg *ca, struct ike_conn_cfg *cb)
{
    pair_init(p, ca, cb);
    assert_int_equal(ike_initiate(p->a.e, "lab", NULL, p->now), 0);
    pair_run(p, p->now + 60000);
}

static void established_both_ways(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = h_conn(1, 2, IKE, "aes256gcm16", PSK), cb = h_conn(2, 1, IKE, "aes256gcm16", PSK);
    run(&p, &ca, &cb);
    assert_int_equal(p.a.child_up, 1);
    for (int g = 0; g < 2; g++) { /* global, then the connection's */
        const char *c = g ? "lab" : NULL;
        assert_int_equal(ctr(&p.a, c, IKE_CTR_HS_STARTED), 1);
        assert_int_equal(ctr(&p.a, c, IKE_CTR_HS_ESTABLISHED), 1);
        assert_int_equal(ctr(&p.b, c, IKE_CTR_HS_ESTABLISHED), 1);
        assert_int_equal(ctr(&p.a, c, IKE_CTR_AUTH_OUT_REQ), 1);
        assert_int_equal(ctr(&p.a, c, IKE_CTR_AUTH_IN_RESP), 1);
        assert_int_equal(ctr(&p.b, c, IKE_CTR_AUTH_IN_REQ), 1);
        assert_int_equal(ctr(&p.b, c, IKE_CTR_AUTH_OUT_RESP), 1);
        assert_int_equal(ctr(&p.a, c, IKE_CTR_INIT_OUT_REQ), 1);
        assert_int_equal(ctr(&p.a, c, IKE_CTR_INIT_IN_RESP), 1);
        assert_int_equal(ctr(&p.b, c, IKE_CTR_INIT_OUT_RESP), 1);
    }
    /* b's IKE_SA_INIT request came before any connection matched it (as in charon) */
    assert_int_equal(ctr(&p.b, NULL, IKE_CTR_INIT_IN_REQ), 1);
    assert_int_equal(ctr(&p.b, "lab", IKE_CTR_INIT_IN_REQ), 0);
    assert_int_equal(ctr(&p.b, NULL, IKE_CTR_HS_STARTED), 1);
    for (unsigned f = IKE_CTR_HS_FAIL_NO_PROPOSAL; f <= IKE_CTR_HS_FAIL_OTHER; f++)
        assert_int_equal(ctr(&p.a, NULL, f) + ctr(&p.b, NULL, f), 0);
    assert_string_equal(ike_engine_counters_conn(p.a.e, 0), "lab");
    assert_null(ike_engine_counters_conn(p.a.e, 1));
    assert_string_equal(ike_ctr_name(IKE_CTR_IKE_REKEY_INIT), "ike-rekey-init");
    assert_string_equal(ike_ctr_name(IKE_CTR_INFO_OUT_RESP), "info-out-resp");
    /* reset: a connection's entry goes, the global counters stay; then they go */
    ike_engine_counters_reset(p.a.e, "lab");
    struct ike_counters k;
    assert_false(ike_engine_counters(p.a.e, "lab", &k));
    assert_int_equal(ctr(&p.a, NULL, IKE_CTR_HS_ESTABLISHED), 1);
    ike_engine_counters_reset(p.a.e, NULL);
    assert_int_equal(ctr(&p.a, NULL, IKE_CTR_HS_ESTABLISHED), 0);
    pair_free(&p);
}

static void failed(struct ike_conn_cfg *ca, struct ike_conn_cfg *cb, unsigned why_a, unsigned why_b)
{
    struct pair p;
    run(&p, ca, cb);
    assert_int_equal(p.a.child_up, 0);
    assert_int_equal(ctr(&p.a, "lab", IKE_CTR_HS_STARTED), 1);
    assert_int_equal(ctr(&p.a, "lab", why_a), 1);
    assert_int_equal(ctr(&p.a, NULL, IKE_CTR_HS_ESTABLISHED), 0);
    if (why_b)
        assert_int_equal(ctr(&p.b, NULL, why_b), 1);
    pair_free(&p);
}

static void wrong_psk(void **s)
{
    (void)s;
    struct ike_conn_cfg ca = h_conn(1, 2, IKE, "aes256gcm16", PSK), cb = h_conn(2, 1, IKE, "aes256gcm16", "other");
    failed(&ca, &cb, IKE_CTR_HS_FAIL_AUTH, IKE_CTR_HS_FAIL_AUTH);
}

static void no_proposal(void **s)
{
    (void)s;
    struct ike_conn_cfg ca = h_conn(1, 2, IKE, "aes256gcm16", PSK);
    struct ike_conn_cfg cb = h_conn(2, 1, "aes128 sha256 prfsha256 x25519", "aes256gcm16", PSK);
    failed(&ca, &cb, IKE_CTR_HS_FAIL_NO_PROPOSAL, IKE_CTR_HS_FAIL_NO_PROPOSAL);
}

static void ts_unacceptable(void **s)
{
    (void)s;
    struct ike_conn_cfg ca = h_conn(1, 2, IKE, "aes256gcm16", PSK), cb = h_conn(2, 1, IKE, "aes256gcm16", PSK);
    cb.child[0].remote_ts[0] = h_ts(10, 9, 0, 24);
    failed(&ca, &cb, IKE_CTR_HS_FAIL_TS, 0);
}

/* no answer: retransmissions counted, then the handshake fails as a timeout */
static void timeout(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = h_conn(1, 2, IKE, "aes256gcm16", PSK), cb = h_conn(2, 1, IKE, "aes256gcm16", PSK);
    pair_init(&p, &ca, &cb);
    p.drop_after = 1; /* b hears nothing after the first request, which it answers into the void */
    p.drop_nth[0] = 1;
    assert_int_equal(ike_initiate(p.a.e, "lab", NULL, p.now), 0);
    pair_run(&p, p.now + 600000);
    assert_int_equal(ctr(&p.a, "lab", IKE_CTR_HS_FAIL_TIMEOUT), 1);
    assert_int_equal(ctr(&p.a, "lab", IKE_CTR_RETRANSMITS), ca.retransmit_tries ? ca.retransmit_tries : 5);
    assert_int_equal(ctr(&p.a, "lab", IKE_CTR_INIT_OUT_REQ), 1); /* retransmissions are not new messages */
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(established_both_ways),
        cmocka_unit_test(wrong_psk),
        cmocka_unit_test(no_proposal),
        cmocka_unit_test(ts_unacceptable),
        cmocka_unit_test(timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
