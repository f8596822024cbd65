/* unique and close_action (ike/lifecycle.c), strongSwan's connection keys.
 *
 * unique: two initiators a1 (192.0.2.1) and a2 (192.0.2.3) with one
 * identity, client.example, and a responder b that takes any address for it:
 *   a1: IKE_SA_INIT, IKE_AUTH {IDi client.example, N(INITIAL_CONTACT)}  -->  b
 *   a2: IKE_SA_INIT, IKE_AUTH {IDi client.example, [N(INITIAL_CONTACT)]}  -->  b
 * no: a2's INITIAL_CONTACT closes a1's IKE SA at b (2.4), without it both
 * stay; never: both stay even with it; keep: a2 is refused with
 * AUTHENTICATION_FAILED, but a1 reauthenticating (same address and port) is
 * let through; replace: a1's IKE SA is deleted (a Delete to a1).
 *
 * close_action = start: a Child SA the peer deleted is created again with
 * CREATE_CHILD_SA, an IKE SA the peer deleted with a new IKE SA; none
 * leaves both closed. */
#include "ike/ike_int.h"
#include "harness.h"

static struct side a2;

static struct ike_conn_cfg client(uint8_t me)
{
    struct ike_conn_cfg c = h_conn(me, 2, "aes128gcm16 prfsha256 x25519", "aes128gcm16", "unique-psk-0123456789");
    c.local_id = (struct ike_id_cfg){ .type = IKEV2_ID_FQDN, .len = 14 };
    memcpy(c.local_id.data, "client.example", 14);
    return c;
}

/* b's datagrams to 192.0.2.3 go to a2 */
static int route(struct pair *p, struct side *from, struct ike_action *a)
{
    (void)p;
    if (from != &p->b || a->remote.ip[3] != 3)
        return 0;
    ike_recv(a2.e, a->data, a->len, &a->remote, &a->local, p->now);
    return 1;
}

static void tri_init(struct pair *p, uint8_t unique_b, uint8_t unique_a2)
{
    struct ike_conn_cfg c1 = client(1), c2 = client(3);
    struct ike_conn_cfg cb = h_conn(2, 1, "aes128gcm16 prfsha256 x25519", "aes128gcm16", "unique-psk-0123456789");
    cb.remote.family = 0; /* %any */
    cb.remote_id = c1.local_id;
    cb.child[0].remote_ts[0] = h_ts(10, 0, 0, 8);
    cb.unique = unique_b;
    c2.unique = unique_a2;
    pair_init(p, &c1, &cb);
    p->per_ike = true;
    p->filter = route;
    memset(&a2, 0, sizeof a2);
    a2.rng = 0x3333;
    struct ike_env e2 = { &a2.rng, h_random, h_log, 0, NULL };
    a2.e = ike_engine_new(&e2);
    assert_int_equal(ike_engine_add_conn(a2.e, &c2), 0);
}

static void tri_run(struct pair *p, uint64_t until)
{
    for (int guard = 0; guard < 10000; guard++) {
        int n = drain(p, &p->a, &p->b) + drain(p, &p->b, &p->a) + drain(p, &a2, &p->b);
        if (n)
            continue;
        uint64_t next = ike_next_deadline(p->a.e), d;
        if ((d = ike_next_deadline(p->b.e)) < next)
            next = d;
        if ((d = ike_next_deadline(a2.e)) < next)
            next = d;
        if (next == UINT64_MAX || next > until)
            return;
        if (next > p->now)
            p->now = next;
        ike_tick(p->a.e, p->now);
        ike_tick(p->b.e, p->now);
        ike_tick(a2.e, p->now);
    }
    fail_msg("did not settle");
}

static void tri_free(struct pair *p)
{
    pair_free(p);
    ike_engine_free(a2.e);
}

static uint32_t sas(struct side *s)
{
    struct ike_stats st;
    ike_engine_stats(s->e, &st);
    return st.ike_sas;
}

/* a1 up, then a2 */
static void both_connect(struct pair *p)
{
    assert_int_equal(ike_initiate(p->a.e, "lab", "net", p->now), 0);
    tri_run(p, p->now + 2000);
    assert_int_equal(p->a.ike_up, 1);
    assert_int_equal(sas(&p->b), 1);
    assert_int_equal(ike_initiate(a2.e, "lab", "net", p->now), 0);
    tri_run(p, p->now + 2000);
}

static void unique_no(void **state)
{
    (void)state;
    struct pair p;
    tri_init(&p, IKE_UNIQUE_NO, IKE_UNIQUE_NO); /* a2 sends INITIAL_CONTACT */
    both_connect(&p);
    assert_int_equal(a2.ike_up, 1);
    assert_int_equal(sas(&p.b), 1); /* a1's closed as stale */
    assert_non_null(strstr(p.b.log, "INITIAL_CONTACT in a new IKE_SA"));
    tri_free(&p);
    tri_init(&p, IKE_UNIQUE_NO, IKE_UNIQUE_NEVER); /* a2 sends none */
    both_connect(&p);
    assert_int_equal(a2.ike_up, 1);
    assert_int_equal(sas(&p.b), 2);
    tri_free(&p);
}

static void unique_never(void **state)
{
    (void)state;
    struct pair p;
    tri_init(&p, IKE_UNIQUE_NEVER, IKE_UNIQUE_NO);
    both_connect(&p);
    assert_int_equal(h_count(a2.log, "N(INIT_CONTACT)"), 1); /* sent, and ignored */
    assert_int_equal(a2.ike_up, 1);
    assert_int_equal(sas(&p.b), 2);
    assert_int_equal(p.b.ike_down, 0);
    tri_free(&p);
}

static void unique_keep(void **state)
{
    (void)state;
    struct pair p;
    tri_init(&p, IKE_UNIQUE_KEEP, IKE_UNIQUE_NEVER);
    both_connect(&p);
    assert_int_equal(a2.ike_up, 0); /* refused */
    assert_non_null(strstr(a2.down_reason, "AUTHENTICATION_FAILED"));
    assert_non_null(strstr(p.b.log, "unique = keep"));
    assert_int_equal(sas(&p.b), 1);
    assert_int_equal(p.a.ike_down, 0);
    /* a1 reauthenticates from its address and port: let through */
    struct ike_sa_info info;
    unsigned slot = 0;
    while (!ike_sa_info(p.a.e, slot, &info))
        slot++;
    assert_int_equal(ike_sa_reauth(p.a.e, info.id, p.now), 0);
    tri_run(&p, p.now + 2000);
    assert_int_equal(p.a.ike_up, 2);
    assert_int_equal(sas(&p.a), 1);
    assert_int_equal(sas(&p.b), 1);
    assert_int_equal(p.a.n_inst, 1);
    tri_free(&p);
}

static void unique_replace(void **state)
{
    (void)state;
    struct pair p;
    tri_init(&p, IKE_UNIQUE_REPLACE, IKE_UNIQUE_NEVER);
    both_connect(&p);
    assert_int_equal(a2.ike_up, 1);
    assert_int_equal(sas(&p.b), 1); /* a2's */
    assert_int_equal(p.a.ike_down, 1); /* a1 heard the Delete */
    assert_non_null(strstr(p.a.down_reason, "deleted by the peer"));
    assert_int_equal(a2.n_inst, 1);
    tri_free(&p);
}

/* ---- close_action ---- */

static void close_pair(struct pair *p, uint8_t action)
{
    struct ike_conn_cfg ca = h_conn(1, 2, "aes128gcm16 prfsha256 x25519", "aes128gcm16", "close-psk-0123456789");
    struct ike_conn_cfg cb = h_conn(2, 1, "aes128gcm16 prfsha256 x25519", "aes128gcm16", "close-psk-0123456789");
    cb.child[0].close_action = action;
    pair_init(p, &ca, &cb);
    p->per_ike = true;
    /* b initiates: a's Child SA is not one a wants back (it only answered) */
    assert_int_equal(ike_initiate(p->b.e, "lab", "net", p->now), 0);
    pair_run(p, p->now + 1000);
    assert_int_equal(p->b.child_up, 1);
}

static void close_child(uint8_t action)
{
    struct pair p;
    close_pair(&p, action);
    /* a deletes the Child SA (as its life_time does):  HDR, SK {D(ESP)} --> b */
    struct ikesa *sa = h_est_sa(&p.a);
    struct ike_child_st *c = ike_child_by_spi_in(sa, p.a.inst[0].in);
    assert_non_null(c);
    ike_child_deleting(p.a.e, sa, c);
    sa->rk.del_spi = c->spi_in;
    ike_send_child_delete(p.a.e, sa, c->spi_in, p.now);
    ike_satab_gc(p.a.e);
    pair_run(&p, p.now + 5000);
    int again = action == IKE_CLOSE_START;
    assert_int_equal(p.b.child_up, 1 + again);
    assert_int_equal(p.a.n_inst, again);
    assert_int_equal(p.b.n_inst, again);
    assert_int_equal(p.a.ike_down + p.b.ike_down, 0);
    pair_free(&p);
}

static void close_ike(uint8_t action)
{
    struct pair p;
    close_pair(&p, action);
    struct ike_sa_info info;
    unsigned slot = 0;
    while (!ike_sa_info(p.a.e, slot, &info))
        slot++;
    /* a deletes the IKE SA:  HDR, SK {D(IKE)} --> b */
    assert_int_equal(ike_sa_terminate(p.a.e, info.id, p.now), 0);
    pair_run(&p, p.now + 5000);
    int again = action == IKE_CLOSE_START;
    assert_int_equal(p.b.ike_up, 1 + again); /* b initiated a new one */
    assert_int_equal(sas(&p.a), (uint32_t)again);
    assert_int_equal(sas(&p.b), (uint32_t)again);
    assert_int_equal(p.a.n_inst, again);
    assert_int_equal(p.b.n_inst, again);
    pair_free(&p);
}

static void close_action_start(void **state)
{
    (void)state;
    close_child(IKE_CLOSE_START);
    close_ike(IKE_CLOSE_START);
}

static void close_action_none(void **state)
{
    (void)state;
    close_child(IKE_CLOSE_NONE);
    close_ike(IKE_CLOSE_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unique_no),          cmocka_unit_test(unique_never),
        cmocka_unit_test(unique_keep),        cmocka_unit_test(unique_replace),
        cmocka_unit_test(close_action_start), cmocka_unit_test(close_action_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
