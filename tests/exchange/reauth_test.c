/* IKE SA reauthentication (reauth_time, RFC 7296 2.8.3) and the hard
 * lifetime (over_time), ike/lifecycle.c.
 *
 * Make-before-break: when the reauthentication time comes, one end starts a
 * new IKE SA,
 *   HDR, SAi1, KEi, Ni  -->  <--  HDR, SAr1, KEr, Nr
 *   HDR, SK {IDi, AUTH, SAi2, TSi, TSr}  (no INITIAL_CONTACT: the old IKE SA stands)  -->
 *                                  <--  HDR, SK {IDr, AUTH, SAr2, TSi, TSr}
 *   HDR, SK {SA, Ni, TSi, TSr}  (the second Child SA)  -->  <--  HDR, SK {SA, Nr, TSi, TSr}
 * and only then deletes the old one with its Child SAs:
 *   HDR, SK {D(IKE)}  -->  (old IKE SA)
 * Checked after every round of deliveries: each end sends every child's
 * traffic on an SA the peer has installed inbound, and never lacks one
 * (no gap), through several reauthentications by either end. */
#include "harness.h"

static const char *const names[] = { "net", "net2" };

/* a second child, 10.<me>.1.0/24 <-> 10.<peer>.1.0/24 */
static void two_children(struct ike_conn_cfg *c, uint8_t me, uint8_t peer)
{
    c->n_children = 2;
    h_child_copy(&c->child[1], &c->child[0]);
    snprintf(c->child[1].name, sizeof c->child[1].name, "net2");
    c->child[1].local_ts[0] = h_ts(10, me, 1, 24);
    c->child[1].remote_ts[0] = h_ts(10, peer, 1, 24);
}

/* the SA a side sends child `name`'s traffic on: its first live one */
static const struct inst *out_sa(const struct side *s, const char *name)
{
    for (int i = 0; i < s->n_inst; i++)
        if (!s->inst[i].retired && !strcmp(s->inst[i].name, name))
            return &s->inst[i];
    return NULL;
}

static bool up_once; /* both children were up at both ends: from then on, no gap */
static uint32_t unmatched[2][2]; /* an outbound SPI the peer lacked at the last check */

/* a responder installs its Child SA as it answers: the initiator installs
 * it when the answer arrives, which the harness hands over in the same
 * round, the initiator's CHILD_UP coming out in the next one.  Before the
 * first Child SAs are up, an outbound SPI the peer lacks is a gap only when
 * it still lacks it then; once they are up, at once: a responder keeps
 * sending on the old IKE SA's Child SA until the initiator deleted it
 * (ike_life_child_overlap), so it never sends on one the initiator lacks */
static void no_gap(struct pair *p)
{
    const struct side *sides[2] = { &p->a, &p->b };
    bool all = true;
    for (int k = 0; k < 2; k++)
        for (int n = 0; n < 2; n++) {
            const struct inst *o = out_sa(sides[k], names[n]);
            if (!o) {
                if (up_once)
                    fail_msg("t=%llu: side %c has no SA for %s", (unsigned long long)p->now, k ? 'b' : 'a', names[n]);
                all = false;
                continue;
            }
            if (h_find_in(sides[1 - k], o->out)) {
                unmatched[k][n] = 0;
                p->checks++;
            } else if (up_once || unmatched[k][n] == o->out) {
                fail_msg("t=%llu: side %c sends %s on SPI %08x, which the peer has not installed",
                         (unsigned long long)p->now, k ? 'b' : 'a', names[n], o->out);
            } else {
                unmatched[k][n] = o->out;
            }
        }
    up_once = up_once || all;
}

static void setup(struct pair *p, uint32_t reauth_a, uint32_t reauth_b)
{
    struct ike_conn_cfg ca = h_conn(1, 2, "aes128gcm16 prfsha256 x25519", "aes128gcm16", "reauth-psk-0123456789");
    struct ike_conn_cfg cb = h_conn(2, 1, "aes128gcm16 prfsha256 x25519", "aes128gcm16", "reauth-psk-0123456789");
    two_children(&ca, 1, 2);
    two_children(&cb, 2, 1);
    ca.reauth_time_s = reauth_a;
    cb.reauth_time_s = reauth_b;
    ca.rand_time_set = cb.rand_time_set = true;
    ca.rand_time_s = cb.rand_time_s = 5;
    pair_init(p, &ca, &cb);
    p->per_ike = true;
    p->check = no_gap;
    up_once = false;
    memset(unmatched, 0, sizeof unmatched);
    assert_int_equal(ike_initiate(p->a.e, "lab", "net", p->now), 0);
    assert_int_equal(ike_initiate(p->a.e, "lab", "net2", p->now), 0);
    pair_run(p, p->now + 1000);
    assert_true(up_once);
}

static void ike_spis(struct side *s, uint8_t spi[8])
{
    struct ike_sa_info info;
    unsigned n = 0;
    for (unsigned i = 0; i < ike_sa_slots(s->e); i++)
        if (ike_sa_info(s->e, i, &info)) {
            memcpy(spi, info.spi_i, 8);
            n++;
        }
    assert_int_equal(n, 1); /* exactly one IKE SA */
}

/* by = 'a' (the original initiator) or 'b' (the original responder) */
static void reauth_by(char by)
{
    struct pair p;
    setup(&p, by == 'a' ? 60 : 0, by == 'b' ? 60 : 0);
    uint8_t spi0[8], spi1[8], spi_b[8];
    ike_spis(&p.a, spi0);
    uint32_t child0 = out_sa(&p.a, "net")->in;
    /* 200 s: reauthentications at 55..60 s, 110..120 s, 165..180 s */
    pair_run(&p, p.now + 200000);
    struct side *r = by == 'a' ? &p.a : &p.b;
    int n = h_count(r->log, "reauthenticating IKE_SA");
    assert_int_equal(n, 3);
    assert_int_equal(h_count(r->log, "reauthenticated by"), 3);
    /* each end: one IKE SA, new SPIs, and both Child SAs on it, new ones */
    ike_spis(&p.a, spi1);
    ike_spis(&p.b, spi_b);
    assert_memory_not_equal(spi0, spi1, 8);
    assert_memory_equal(spi1, spi_b, 8);
    assert_int_equal(p.a.n_inst, 2);
    assert_int_equal(p.b.n_inst, 2);
    assert_true(out_sa(&p.a, "net")->in != child0);
    assert_int_equal(p.a.ike_up, 4);
    assert_int_equal(p.a.ike_down, 3);
    assert_int_equal(p.b.ike_down, 3);
    /* INITIAL_CONTACT only in the first IKE_AUTH (2.4) */
    assert_int_equal(h_count(p.a.log, "N(INIT_CONTACT)") + h_count(p.b.log, "N(INIT_CONTACT)"), 2);
    assert_true(p.checks > 100);
    pair_free(&p);
}

static void reauth_initiator(void **state)
{
    (void)state;
    reauth_by('a');
}

static void reauth_responder(void **state)
{
    (void)state;
    reauth_by('b');
}

/* a peer that stops answering: the reauthentication cannot complete, and
 * the IKE SA is closed over_time after it was due (not kept for ever) */
static int silence_after_50s(struct pair *p, struct side *from, struct ike_action *a)
{
    (void)from;
    (void)a;
    return p->now >= 50000 ? 1 : 0;
}

static void over_time_expiry(void **state)
{
    (void)state;
    struct pair p;
    struct ike_conn_cfg ca = h_conn(1, 2, "aes128gcm16 prfsha256 x25519", "aes128gcm16", "reauth-psk-0123456789");
    struct ike_conn_cfg cb = h_conn(2, 1, "aes128gcm16 prfsha256 x25519", "aes128gcm16", "reauth-psk-0123456789");
    ca.reauth_time_s = 60;
    ca.rand_time_set = true;
    ca.rand_time_s = 0;
    ca.over_time_set = true;
    ca.over_time_s = 10;
    ca.retransmit_tries = 10; /* the new IKE SA keeps trying past the hard lifetime */
    pair_init(&p, &ca, &cb);
    p.per_ike = true;
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(p.a.ike_up, 1);
    uint64_t start = p.now;
    p.filter = silence_after_50s;
    /* just before the hard lifetime: the reauthentication is under way, the old IKE SA still up */
    pair_run(&p, start + 69000);
    assert_int_equal(h_count(p.a.log, "reauthenticating IKE_SA"), 1);
    assert_int_equal(p.a.ike_down, 0);
    pair_run(&p, start + 71000);
    assert_int_equal(p.a.ike_down, 1);
    assert_non_null(strstr(p.a.log, "over_time"));
    assert_int_equal(h_count(p.a.log, "IKE_SA lifetime expired"), 1);
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reauth_initiator),
        cmocka_unit_test(reauth_responder),
        cmocka_unit_test(over_time_expiry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
