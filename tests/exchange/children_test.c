/* Several Child SAs of one connection on one IKE SA (RFC 7296 1.3.1): the
 * first in IKE_AUTH, the others with CREATE_CHILD_SA; the responder picks
 * each child configuration by its traffic selectors (its configurations are
 * listed in the other order); each Child SA is rekeyed on its own schedule
 * and deleted on its own, in either direction; dpd_action = restart brings
 * all of them back; four children rekeyed every second by both ends fill the
 * Child SA table without an SA the peer lacks (NO_ADDITIONAL_SAS). */
#include "harness.h"

static const char *PSK = "children-test-psk-0123456789";

/* net: 10.<me>.0.0/24 <-> 10.<peer>.0.0/24, net2: 10.<me+10>.0.0/24 <-> 10.<peer+10>.0.0/24 */
static struct ike_conn_cfg conn(uint8_t me, uint8_t peer, bool reversed)
{
    struct ike_conn_cfg c = h_conn(me, peer, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    c.n_children = 2;
    h_child_copy(&c.child[1], &c.child[0]);
    snprintf(c.child[1].name, sizeof c.child[1].name, "net2");
    c.child[1].local_ts[0] = h_ts(10, (uint8_t)(me + 10), 0, 24);
    c.child[1].remote_ts[0] = h_ts(10, (uint8_t)(peer + 10), 0, 24);
    c.child[0].start = c.child[1].start = true;
    if (reversed) {
        struct ike_child_cfg t = c.child[0];
        c.child[0] = c.child[1];
        c.child[1] = t;
    }
    return c;
}

static int checks;

/* for each child configuration, the SA a side sends with (its first live
 * one, as the data plane's policy order has it) is installed on the other
 * side with the same keys */
static void no_loss_all(struct pair *p)
{
    const struct side *sides[2] = { &p->a, &p->b };
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < sides[k]->n_inst; i++) {
            const struct inst *out = &sides[k]->inst[i];
            bool first = !out->retired;
            for (int j = 0; j < i && first; j++)
                first = sides[k]->inst[j].retired || strcmp(sides[k]->inst[j].name, out->name) != 0;
            if (!first || !sides[1 - k]->n_inst)
                continue;
            const struct inst *in = h_find_in(sides[1 - k], out->out);
            if (!in && out->fresh)
                continue; /* a new Child SA the peer installs when our answer arrives: nothing used it before */
            if (!in)
                fail_msg("t=%llu: side %c sends %s with SPI %08x, which the peer has not installed",
                         (unsigned long long)p->now, k ? 'b' : 'a', out->name, out->out);
            assert_memory_equal(in->encr_in, out->encr_out, out->key_len);
            checks++;
        }
}


static void start_both(struct pair *p)
{
    assert_int_equal(ike_initiate(p->a.e, "lab", "net", p->now), 0);
    assert_int_equal(ike_initiate(p->a.e, "lab", "net2", p->now), 0);
    assert_int_equal(ike_initiate(p->a.e, "lab", "net2", p->now), 0); /* asked twice: still one */
    pair_run(p, p->now + 1000);
}

static void two_children_rekeyed_apart(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2, false), cb = conn(2, 1, true);
    ca.child[0].rekey_time_s = 60;  /* net */
    ca.child[1].rekey_time_s = 100; /* net2 */
    pair_init(&p, &ca, &cb);
    p.check = no_loss_all;
    checks = 0;
    start_both(&p);
    struct ike_stats st;
    ike_engine_stats(p.a.e, &st);
    assert_int_equal(st.ike_sas, 1); /* one IKE SA for both */
    assert_int_equal(p.a.child_up, 2);
    assert_int_equal(p.b.child_up, 2);
    assert_non_null(strstr(p.a.log, "generating IKE_AUTH request 1"));
    assert_non_null(strstr(p.a.log, "establishing CHILD_SA net2"));
    assert_non_null(strstr(p.a.log, "generating CREATE_CHILD_SA request 2 [ SA No TSi TSr ]"));
    /* b chose its configuration by the selectors, not by position */
    assert_non_null(strstr(p.b.log, "CHILD_SA net{1} established with SPIs"));
    assert_non_null(strstr(p.b.log, "and TS 10.2.0.0/24 === 10.1.0.0/24"));
    assert_non_null(strstr(p.b.log, "CHILD_SA net2{1} established with SPIs"));
    assert_non_null(strstr(p.b.log, "and TS 10.12.0.0/24 === 10.11.0.0/24"));
    /* 10 minutes: net rekeyed every minute, net2 every 100 s */
    pair_run(&p, p.now + 600 * 1000 + 10);
    pair_run(&p, p.now + IKE_CHILD_GRACE_MS + 1);
    int net = 0, net2 = 0;
    for (const char *q = strstr(p.a.log, "rekeying CHILD_SA net{"); q; q = strstr(q + 1, "rekeying CHILD_SA net{"))
        net++;
    for (const char *q = strstr(p.a.log, "rekeying CHILD_SA net2{"); q; q = strstr(q + 1, "rekeying CHILD_SA net2{"))
        net2++;
    assert_int_equal(net, 10);
    assert_int_equal(net2, 6);
    assert_int_equal(p.a.child_up, 2 + 16);
    assert_int_equal(h_live(&p.a), 2);
    assert_int_equal(h_live(&p.b), 2);
    assert_int_equal(p.a.n_inst, 2);
    assert_int_equal(p.b.n_inst, 2);
    assert_int_equal(p.a.ike_down + p.b.ike_down, 0);
    assert_true(checks > 100);
    pair_free(&p);
}

/* net2 deleted by a (life_time 50 s), then net by b (life_time 80 s): each
 * goes alone, the IKE SA stays */
static void two_children_deleted_apart(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2, false), cb = conn(2, 1, true);
    ca.child[1].life_time_s = 50; /* a's net2 */
    cb.child[1].life_time_s = 80; /* b's net (b lists net2 first) */
    pair_init(&p, &ca, &cb);
    p.check = no_loss_all;
    uint64_t t0 = p.now;
    start_both(&p);
    assert_int_equal(p.a.n_inst, 2);
    pair_run(&p, t0 + 50 * 1000 + IKE_CHILD_GRACE_MS + 10);
    assert_int_equal(p.a.n_inst, 1);
    assert_int_equal(p.b.n_inst, 1);
    assert_non_null(strstr(p.a.log, "CHILD_SA net2{1} with SPIs"));
    assert_null(strstr(p.b.log, "reached its hard lifetime"));
    pair_run(&p, t0 + 80 * 1000 + IKE_CHILD_GRACE_MS + 10);
    assert_int_equal(p.a.n_inst, 0);
    assert_int_equal(p.b.n_inst, 0);
    assert_non_null(strstr(p.b.log, "reached its hard lifetime"));
    assert_int_equal(p.a.ike_down + p.b.ike_down, 0);
    pair_free(&p);
}

/* the peer goes silent and comes back: dpd_action = restart brings both
 * Child SAs back, not only the one of IKE_AUTH */
static void restart_brings_all_back(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2, false), cb = conn(2, 1, true);
    ca.dpd_delay_ms = 10000;
    ca.dpd_restart = true;
    pair_init(&p, &ca, &cb);
    start_both(&p);
    assert_int_equal(p.b.n_inst, 2);
    p.drop_after = p.sent;
    pair_run(&p, p.now + 200 * 1000);
    assert_non_null(strstr(p.a.log, "dpd_action = restart"));
    p.drop_after = 0;
    int up_a = p.a.child_up;
    pair_run(&p, p.now + 400 * 1000);
    assert_int_equal(p.a.child_up, up_a + 2);
    assert_int_equal(p.a.n_inst, 2);
    assert_int_equal(p.b.n_inst, 2); /* b dropped the stale IKE SA on INITIAL_CONTACT */
    pair_free(&p);
}

enum { FOUR = 4, MANY = 12 };

/* a global engine counter of both ends, summed */
static uint64_t h_counter(struct pair *p, const char *name)
{
    struct ike_counters a, b;
    unsigned i = 0;
    while (ike_ctr_name(i) && strcmp(ike_ctr_name(i), name))
        i++;
    assert_non_null(ike_ctr_name(i));
    assert_true(ike_engine_counters(p->a.e, NULL, &a) && ike_engine_counters(p->b.e, NULL, &b));
    return a.c[i] + b.c[i];
}

/* n children net, net2, .. (10.<me+10k>.0.0/24), all started */
static struct ike_conn_cfg conn_n(uint8_t me, uint8_t peer, int n)
{
    struct ike_conn_cfg c = conn(me, peer, false);
    c.n_children = (uint32_t)n;
    for (int k = 2; k < n; k++) {
        h_child_copy(&c.child[k], &c.child[0]);
        snprintf(c.child[k].name, sizeof c.child[k].name, "net%d", k + 1);
        c.child[k].local_ts[0] = h_ts(10, (uint8_t)(me + 10 * k), 0, 24);
        c.child[k].remote_ts[0] = h_ts(10, (uint8_t)(peer + 10 * k), 0, 24);
    }
    return c;
}


/* every child rekeyed each second by both ends: the old SAs' grace times and
 * collisions (2.8.1) fill all the Child SA slots; a full end neither answers
 * nor starts a CREATE_CHILD_SA it has no room for (NO_ADDITIONAL_SAS, or
 * later), so no SA is ever sent on that the peer has not installed */
static void full_table_refused(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn_n(1, 2, FOUR), cb = conn_n(2, 1, FOUR);
    for (int k = 0; k < FOUR; k++)
        ca.child[k].rekey_time_s = cb.child[k].rekey_time_s = 1;
    pair_init(&p, &ca, &cb);
    struct ike_limits lim; /* room for 10 Child SAs on an IKE SA, the table the test fills */
    ike_limits_default(&lim);
    lim.max_child_sas = 10;
    assert_int_equal(ike_engine_set_limits(p.a.e, &lim), 0);
    assert_int_equal(ike_engine_set_limits(p.b.e, &lim), 0);
    p.check = no_loss_all;
    checks = 0;
    for (int k = 0; k < FOUR; k++)
        assert_int_equal(ike_initiate(p.a.e, "lab", ca.child[k].name, p.now), 0);
    pair_run(&p, p.now + 30 * 1000);
    assert_int_equal(p.a.ike_down + p.b.ike_down, 0);
    assert_null(strstr(p.a.log, "not installed"));
    assert_null(strstr(p.b.log, "not installed"));
    assert_null(strstr(p.a.log, "INVALID_SPI"));
    assert_null(strstr(p.b.log, "INVALID_SPI"));
    /* the table was full at times, and each end held back */
    assert_true(h_count(p.a.log, "no free CHILD_SA slot") + h_count(p.b.log, "no free CHILD_SA slot") > 0);
    assert_true(p.a.child_up > 10 * FOUR); /* rekeyed all along: about one a second each */
    assert_true(h_counter(&p, "child-limit") > 0); /* and the refusals counted */
    pair_run(&p, p.now + 5 * 1000);
    assert_int_equal(h_live(&p.a), FOUR);
    assert_int_equal(h_live(&p.b), FOUR);
    assert_true(checks > 100);
    pair_free(&p);
}

/* twelve children on one IKE SA (more than the 4 children and 10 Child SA
 * slots the engine had compiled in, more than its 8-bit masks of wanted
 * children), all established and rekeyed every 2 s by both ends for 30 s:
 * the slots grow as needed (by IKE_CHILD_CHUNK), nothing is refused, no SA
 * is lost */
static void many_children(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn_n(1, 2, MANY), cb = conn_n(2, 1, MANY);
    for (int k = 0; k < MANY; k++)
        ca.child[k].rekey_time_s = cb.child[k].rekey_time_s = 2;
    pair_init(&p, &ca, &cb);
    p.check = no_loss_all;
    checks = 0;
    for (int k = 0; k < MANY; k++)
        assert_int_equal(ike_initiate(p.a.e, "lab", ca.child[k].name, p.now), 0);
    pair_run(&p, p.now + 30 * 1000);
    assert_int_equal(p.a.ike_down + p.b.ike_down, 0);
    assert_null(strstr(p.a.log, "not installed"));
    assert_null(strstr(p.b.log, "no free CHILD_SA slot"));
    assert_null(strstr(p.a.log, "no free CHILD_SA slot"));
    assert_true(p.a.child_up > 5 * MANY); /* rekeyed all along */
    pair_run(&p, p.now + 5 * 1000);
    assert_int_equal(h_live(&p.a), MANY);
    assert_int_equal(h_live(&p.b), MANY);
    assert_int_equal(h_counter(&p, "child-limit"), 0);
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_children_rekeyed_apart),
        cmocka_unit_test(two_children_deleted_apart),
        cmocka_unit_test(restart_brings_all_back),
        cmocka_unit_test(full_table_refused),
        cmocka_unit_test(many_children),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
