/* Traffic selectors a peer cannot widen (RFC 7296 2.9, 2.9.2; issue 10,
 * finding 2).  A responder may only narrow what was proposed, and a rekeyed
 * Child SA keeps the old one's selectors:
 *  - the answer to our Child SA rekey covers more than the old SA (0.0.0.0/0
 *    either way, one side only, a second selector, a /23 for a /24): nothing
 *    is installed, the SA the peer made goes with a Delete, the old SA stays
 *    on both sides with no packet lost, and the next rekey succeeds with the
 *    old selectors;
 *  - the answer to a new Child SA covers more than we configured: the same,
 *    and the Child SA comes up on the retry;
 *  - a peer's rekey request for more than the old SA: answered narrowed to
 *    the old SA's selectors, not to our (wider) configuration; one for
 *    selectors outside the old SA: TS_UNACCEPTABLE;
 *  - the IKE_AUTH answer with a selector beyond what we proposed, also as a
 *    second selector after a good one: the IKE SA is deleted.
 *
 * The hostile peer is an engine whose answer is rewritten in flight: opened
 * with the receiver's keys, its TSi/TSr replaced, sealed again with the
 * sender's keys (white-box, ike_int.h), so the receiver sees a correctly
 * protected message from its authenticated peer. */
#include "ike/ike_int.h" /* white-box: before harness.h, for h_est_sa */
#include "harness.h"

static const char *PSK = "ts-policy-test-psk-0123456789";

static struct ike_conn_cfg conn(uint8_t me, uint8_t peer)
{
    return h_conn(me, peer, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
}

/* a second child: 10.<me+10>.0.0/24 <-> 10.<peer+10>.0.0/24 */
static void add_net2(struct ike_conn_cfg *c, uint8_t me, uint8_t peer)
{
    h_child_copy(&c->child[1], &c->child[0]);
    snprintf(c->child[1].name, sizeof c->child[1].name, "net2");
    c->child[1].local_ts[0] = h_ts(10, (uint8_t)(me + 10), 0, 24);
    c->child[1].remote_ts[0] = h_ts(10, (uint8_t)(peer + 10), 0, 24);
    c->n_children = 2;
}

static void up(struct pair *p)
{
    assert_int_equal(ike_initiate(p->a.e, "lab", "net", p->now), 0);
    pair_run(p, p->now + 1000);
    assert_int_equal(p->a.n_inst, 1);
    assert_int_equal(p->b.n_inst, 1);
}

/* ---- the rewrite: b's response of one exchange, once ---- */

static struct {
    uint8_t exchange;
    unsigned n_tsi, n_tsr; /* 0: that payload unchanged */
    struct ike_ts_cfg tsi[2], tsr[2];
    int done;
} rw;

/* a's IKE SA that has keys: established, or waiting for the IKE_AUTH answer */
static struct ikesa *keyed_sa(struct side *s)
{
    for (unsigned i = 0; i < ike_sa_slots(s->e); i++) {
        struct ikesa *sa = ike_sa_at(s->e, i);
        if (sa && (sa->state == IKE_S_ESTABLISHED || sa->state == IKE_S_AUTH_SENT) && !sa->replaced)
            return sa;
    }
    return NULL;
}

static void set_ts(struct ike_pld *pld, const struct ike_ts_cfg *ts, unsigned n, struct ike_ts_sel *sel)
{
    for (unsigned i = 0; i < n; i++)
        ike_ts_to_wire(&ts[i], &sel[i]);
    pld->u.ts.n = (uint8_t)n;
    pld->u.ts.sel = sel;
}

static int rewrite_ts(struct pair *p, struct side *from, struct ike_action *a)
{
    if (from != &p->b || rw.done || dg_exchange(a) != rw.exchange || !dg_response(a))
        return 0;
    struct ike_msg *m = calloc(1, sizeof *m);
    struct ike_chain *in = calloc(1, sizeof *in);
    static uint8_t plain[IKE_MSG_MAX];
    struct ike_ts_sel si[2], sr[2];
    struct diag d = { 0 };
    assert_non_null(m);
    assert_non_null(in);
    assert_int_equal(ike_msg_decode(span_of(a->data, a->len), m, &d), 0);
    assert_int_equal(ike_open_sk(keyed_sa(&p->a), a->data, a->len, m, plain, sizeof plain, in, &d), 0);
    if (ike_chain_find(in, IKEV2_PLD_TSI, 0)) { /* an answer with a Child SA, not an error */
        for (unsigned i = 0; i < in->n; i++) {
            if (in->pld[i].type == IKEV2_PLD_TSI && rw.n_tsi)
                set_ts(&in->pld[i], rw.tsi, rw.n_tsi, si);
            if (in->pld[i].type == IKEV2_PLD_TSR && rw.n_tsr)
                set_ts(&in->pld[i], rw.tsr, rw.n_tsr, sr);
        }
        struct ike_hdr h;
        struct ikesa *sb = h_est_sa(&p->b);
        ike_hdr_for(sb, rw.exchange, true, dg_msgid(a), &h);
        assert_int_equal(ike_encode_sk(sb, &h, in->pld, in->n, a->data, sizeof a->data, &a->len), 0);
        rw.done++;
    }
    free(in);
    free(m);
    return 0;
}

static void rewrite(uint8_t exchange, unsigned n_tsi, const struct ike_ts_cfg *tsi, unsigned n_tsr,
                    const struct ike_ts_cfg *tsr)
{
    memset(&rw, 0, sizeof rw);
    rw.exchange = exchange;
    rw.n_tsi = n_tsi;
    rw.n_tsr = n_tsr;
    for (unsigned i = 0; i < n_tsi; i++)
        rw.tsi[i] = tsi[i];
    for (unsigned i = 0; i < n_tsr; i++)
        rw.tsr[i] = tsr[i];
}

static void assert_ts(const struct ike_ts_cfg *got, const struct ike_ts_cfg *want)
{
    char g[80], w[80];
    if (memcmp(got, want, sizeof *want) != 0)
        fail_msg("selector %s, want %s", ike_ts_str(got, g, sizeof g), ike_ts_str(want, w, sizeof w));
}

/* ---- our rekey answered with more than the old SA ---- */

/*  HDR, SK {N(REKEY_SA), SA, Ni, TSi, TSr}  -->
 *                     <--  HDR, SK {SA, Nr, TSi', TSr'}   (TSi', TSr' wider)
 *  HDR, SK {D(new SA)}  -->                                (not installed)
 *                     <--  HDR, SK {D}  */
static void widened_rekey_answer(unsigned n_tsi, const struct ike_ts_cfg *tsi, unsigned n_tsr,
                                 const struct ike_ts_cfg *tsr, const char *logged)
{
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    pair_init(&p, &ca, &cb);
    p.check = h_no_loss;
    up(&p);
    struct inst old_a = p.a.inst[0];
    rewrite(IKEV2_EXCH_CREATE_CHILD_SA, n_tsi, tsi, n_tsr, tsr);
    p.filter = rewrite_ts;
    assert_int_equal(ike_child_expired(p.a.e, old_a.in, false, p.now), 0);
    pair_run(&p, p.now + 1000 + IKE_CHILD_GRACE_MS);
    assert_int_equal(rw.done, 1);
    /* nothing installed by a; b's new SA went with a's Delete, its old one stays */
    assert_int_equal(p.a.child_up, 1);
    assert_int_equal(p.b.child_up, 2);
    assert_non_null(strstr(p.b.log, "stays: the SA replacing it was deleted"));
    assert_int_equal(p.a.n_inst, 1);
    assert_int_equal(p.b.n_inst, 1);
    assert_int_equal(p.a.inst[0].in, old_a.in);
    assert_int_equal(p.b.inst[0].in, old_a.out);
    assert_int_equal(h_live(&p.b), 1);
    assert_int_equal(p.a.ike_down + p.b.ike_down, 0);
    if (!strstr(p.a.log, logged))
        fail_msg("a did not log \"%s\":\n%s", logged, p.a.log);
    assert_non_null(strstr(p.a.log, "deleting the SA the peer made; keeping the old SA"));
    /* the retry 60 s later (no rewrite this time) keeps the old selectors */
    pair_run(&p, p.now + 61000 + IKE_CHILD_GRACE_MS);
    assert_int_equal(p.a.child_up, 2);
    assert_int_equal(p.a.n_inst, 1);
    assert_int_equal(p.b.n_inst, 1);
    assert_true(p.a.inst[0].in != old_a.in);
    assert_int_equal(p.a.inst[0].out, p.b.inst[0].in);
    assert_memory_equal(p.a.inst[0].encr_out, p.b.inst[0].encr_in, p.a.inst[0].key_len);
    struct ike_ts_cfg l = h_ts(10, 1, 0, 24), r = h_ts(10, 2, 0, 24);
    assert_ts(&p.a.child.local_ts, &l);
    assert_ts(&p.a.child.remote_ts, &r);
    assert_true(p.checks > 10);
    pair_free(&p);
}

static void rekey_answer_wider_than_the_old_sa(void **s)
{
    (void)s;
    struct ike_ts_cfg all = h_ts(0, 0, 0, 0), l = h_ts(10, 1, 0, 24), r = h_ts(10, 2, 0, 24);
    struct ike_ts_cfg r23 = h_ts(10, 2, 0, 23), r_all[2] = { r, all };
    widened_rekey_answer(1, &all, 1, &all,
                         "traffic selectors unacceptable: TSi 0.0.0.0/0 TSr 0.0.0.0/0 not within what we proposed");
    widened_rekey_answer(1, &l, 1, &all,
                         "traffic selectors unacceptable: TSi 10.1.0.0/24 TSr 0.0.0.0/0 not within what we proposed");
    widened_rekey_answer(0, NULL, 2, r_all,
                         "traffic selectors unacceptable: TSi 10.1.0.0/24 TSr 10.2.0.0/24,... not within");
    widened_rekey_answer(0, NULL, 1, &r23,
                         "traffic selectors unacceptable: TSi 10.1.0.0/24 TSr 10.2.0.0/23 not within");
}

/* ---- a new Child SA answered with more than we configured ---- */

static void new_child_answer_wider_than_proposed(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    add_net2(&ca, 1, 2);
    add_net2(&cb, 2, 1);
    pair_init(&p, &ca, &cb);
    up(&p);
    struct ike_ts_cfg all = h_ts(0, 0, 0, 0);
    rewrite(IKEV2_EXCH_CREATE_CHILD_SA, 0, NULL, 1, &all);
    p.filter = rewrite_ts;
    assert_int_equal(ike_initiate(p.a.e, "lab", "net2", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(rw.done, 1);
    /* b made net2 and lost it to a's Delete; a never had it */
    assert_int_equal(p.a.child_up, 1);
    assert_int_equal(p.b.child_up, 2);
    assert_int_equal(p.b.child_down, 1);
    assert_int_equal(p.a.n_inst, 1);
    assert_int_equal(p.b.n_inst, 1);
    assert_string_equal(p.b.inst[0].name, "net");
    assert_non_null(strstr(p.a.log, "CHILD_SA net2 CREATE_CHILD_SA response unacceptable (traffic selectors "
                                    "unacceptable: TSi 10.11.0.0/24 TSr 0.0.0.0/0 not within what we proposed), "
                                    "deleting the SA the peer made"));
    /* tried again after 60 s */
    pair_run(&p, p.now + 61000);
    assert_int_equal(p.a.n_inst, 2);
    assert_int_equal(p.b.n_inst, 2);
    struct ike_ts_cfg l = h_ts(10, 11, 0, 24), r = h_ts(10, 12, 0, 24);
    assert_string_equal(p.a.child.name, "net2");
    assert_ts(&p.a.child.local_ts, &l);
    assert_ts(&p.a.child.remote_ts, &r);
    assert_int_equal(p.a.ike_down + p.b.ike_down, 0);
    pair_free(&p);
}

/* ---- the peer's rekey request for more than the old SA ---- */

/* a's configuration allows 10.1.0.0/16 <-> 10.2.0.0/16, b's only the /24s,
 * so the SA is the /24s; then b asks to rekey it with `tsi`/`tsr` (its own
 * view of the SA changed underneath, as a hostile peer would) */
static void rekey_request(const struct ike_ts_cfg *tsi, const struct ike_ts_cfg *tsr, struct pair *p)
{
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    ca.child[0].local_ts[0] = h_ts(10, 1, 0, 16);
    ca.child[0].remote_ts[0] = h_ts(10, 2, 0, 16);
    pair_init(p, &ca, &cb);
    up(p);
    struct ike_ts_cfg l = h_ts(10, 1, 0, 24), r = h_ts(10, 2, 0, 24);
    assert_ts(&p->a.child.local_ts, &l);
    assert_ts(&p->a.child.remote_ts, &r);
    struct ikesa *sb = h_est_sa(&p->b);
    struct ike_child_st *c = ike_child_by_spi_in(sb, p->b.inst[0].in);
    assert_non_null(c);
    c->lts = *tsi; /* b's request: TSi = its local side */
    c->rts = *tsr;
    assert_int_equal(ike_child_expired(p->b.e, p->b.inst[0].in, false, p->now), 0);
    pair_run(p, p->now + 1000 + IKE_CHILD_GRACE_MS);
}

static void rekey_request_wider_than_the_old_sa(void **s)
{
    (void)s;
    struct pair p;
    struct ike_ts_cfg all = h_ts(0, 0, 0, 0), l = h_ts(10, 1, 0, 24), r = h_ts(10, 2, 0, 24);
    rekey_request(&all, &all, &p);
    /* a's new SA has the old SA's selectors, not a's configured /16s */
    assert_int_equal(p.a.child_up, 2);
    assert_ts(&p.a.child.local_ts, &l);
    assert_ts(&p.a.child.remote_ts, &r);
    assert_ts(&p.b.child.local_ts, &r);
    assert_ts(&p.b.child.remote_ts, &l);
    assert_non_null(strstr(p.a.log, "CHILD_SA net rekey: the peer's traffic selectors exceed the old SA's, "
                                    "narrowed to them"));
    assert_int_equal(p.a.n_inst, 1);
    assert_int_equal(p.b.n_inst, 1);
    assert_int_equal(p.a.inst[0].out, p.b.inst[0].in);
    pair_free(&p);

    /* within a's configuration but outside the old SA: refused */
    struct ike_ts_cfg other_l = h_ts(10, 1, 7, 24), other_r = h_ts(10, 2, 7, 24);
    rekey_request(&other_r, &other_l, &p);
    assert_non_null(strstr(p.a.log, "traffic selectors unacceptable for CHILD_SA net (outside the old SA's), "
                                    "sending TS_UNACCEPTABLE"));
    assert_non_null(strstr(p.b.log, "CHILD_SA net rekey failed: received TS_UNACCEPTABLE; keeping the old SA"));
    assert_int_equal(p.a.child_up, 1);
    assert_int_equal(p.b.child_up, 1);
    assert_ts(&p.a.child.local_ts, &l);
    assert_int_equal(p.a.ike_down + p.b.ike_down, 0);
    pair_free(&p);
}

/* ---- the IKE_AUTH answer with more than we proposed ---- */

static void widened_auth_answer(unsigned n_tsr, const struct ike_ts_cfg *tsr)
{
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    pair_init(&p, &ca, &cb);
    rewrite(IKEV2_EXCH_IKE_AUTH, 0, NULL, n_tsr, tsr);
    p.filter = rewrite_ts;
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(rw.done, 1);
    assert_non_null(strstr(p.a.down_reason, "responder's traffic selectors are not a subset of ours"));
    assert_int_equal(p.a.child_up, 0);
    assert_int_equal(p.a.n_inst, 0);
    assert_int_equal(p.b.n_inst, 0); /* b's went with a's Delete of the IKE SA */
    assert_int_equal(p.b.ike_down, 1);
    assert_non_null(strstr(p.a.log, "are not within what we proposed, TS_UNACCEPTABLE"));
    struct ike_stats st;
    ike_engine_stats(p.a.e, &st);
    assert_int_equal(st.ike_sas, 0);
    ike_engine_stats(p.b.e, &st);
    assert_int_equal(st.ike_sas, 0);
    pair_free(&p);
}

static void auth_answer_wider_than_proposed(void **s)
{
    (void)s;
    struct ike_ts_cfg all = h_ts(0, 0, 0, 0), r_all[2] = { h_ts(10, 2, 0, 24), all };
    widened_auth_answer(2, r_all); /* the first one is good, the second is everything */
    widened_auth_answer(1, &all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rekey_answer_wider_than_the_old_sa),
        cmocka_unit_test(new_child_answer_wider_than_proposed),
        cmocka_unit_test(rekey_request_wider_than_the_old_sa),
        cmocka_unit_test(auth_answer_wider_than_proposed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
