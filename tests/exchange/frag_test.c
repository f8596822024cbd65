/* IKE fragmentation (RFC 7383) between two engines on the virtual clock.
 *
 *  HDR, SAi1, KEi, Ni, N(NATD_*), N(HASH_ALG), N(FRAG_SUP)  -->
 *                    <--  HDR, SAr1, KEr, Nr, N(NATD_*), N(HASH_ALG), N(FRAG_SUP)
 *  HDR, SKF{IDi, ...}(1/n), ... HDR, SKF(n/n)  -->
 *                    <--  HDR, SKF{IDr, AUTH, ...}(1/m), ... HDR, SKF(m/m)
 *
 * A fragment size of 128 bytes makes a PSK IKE_AUTH (and a Child SA rekey)
 * go in several fragments each way; the network reorders and drops them. */
#include "ike/ike_int.h" /* white-box: before harness.h, for h_est_sa */
#include "harness.h"

static const char *PSK = "fragment-test-psk-0123456789";

/* SKF datagrams seen, per sender and exchange */
struct seen {
    int skf[2];       /* from a, from b */
    int skf_auth[2];  /* IKE_AUTH */
    int skf_child[2]; /* CREATE_CHILD_SA */
    int held_first, dropped_third[2];
};
static struct seen seen;
static bool reorder_and_drop;

static uint16_t dg_frag_num(const struct ike_action *a)
{
    return a->len >= 36 && a->data[16] == IKEV2_PLD_SKF ? (uint16_t)(a->data[32] << 8 | a->data[33]) : 0;
}

static int watch(struct pair *p, struct side *from, struct ike_action *a)
{
    int me = from == &p->b;
    uint16_t num = dg_frag_num(a);
    if (!num)
        return 0;
    seen.skf[me]++;
    seen.skf_auth[me] += dg_exchange(a) == IKEV2_EXCH_IKE_AUTH;
    seen.skf_child[me] += dg_exchange(a) == IKEV2_EXCH_CREATE_CHILD_SA;
    if (!reorder_and_drop)
        return 0;
    if (num == 3 && !seen.dropped_third[me]) { /* the first #3 each way is lost */
        seen.dropped_third[me]++;
        return 1;
    }
    if (num == 1) { /* every #1 arrives after #2 */
        seen.held_first++;
        return 2;
    }
    return 0;
}

static void setup(struct pair *p, enum ike_frag_mode ma, enum ike_frag_mode mb, uint32_t size)
{
    struct ike_conn_cfg ca = h_conn(1, 2, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    struct ike_conn_cfg cb = h_conn(2, 1, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    struct ike_limits l;
    ca.fragmentation = ma;
    cb.fragmentation = mb;
    pair_init(p, &ca, &cb);
    ike_limits_default(&l);
    l.fragment_size = size;
    assert_int_equal(ike_engine_set_limits(p->a.e, &l), 0);
    assert_int_equal(ike_engine_set_limits(p->b.e, &l), 0);
    memset(&seen, 0, sizeof seen);
    reorder_and_drop = false;
    p->filter = watch;
}

/* the last Child SA each side installed: SPIs and keys agree crosswise */
static void assert_child_pair(const struct pair *p)
{
    const struct ike_child_sa *a = &p->a.child, *b = &p->b.child;
    assert_int_equal(a->spi_in, b->spi_out);
    assert_int_equal(a->spi_out, b->spi_in);
    assert_true(a->key_len > 0);
    assert_bytes_equal(a->encr_in, b->encr_out, a->key_len);
    assert_bytes_equal(a->encr_out, b->encr_in, a->key_len);
}

/* both up with one Child SA */
static void assert_up(const struct pair *p)
{
    assert_int_equal(p->a.ike_up, 1);
    assert_int_equal(p->b.ike_up, 1);
    assert_int_equal(p->a.ike_down + p->b.ike_down, 0);
    assert_child_pair(p);
}

static struct ike_stats stats(const struct side *s)
{
    struct ike_stats st;
    ike_engine_stats(s->e, &st);
    return st;
}

/* IKE_AUTH in fragments both ways, in order */
static void auth_fragmented(void **s)
{
    (void)s;
    struct pair p;
    setup(&p, IKE_FRAG_YES, IKE_FRAG_YES, 128);
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_up(&p);
    assert_true(seen.skf_auth[0] >= 4);
    assert_true(seen.skf_auth[1] >= 4);
    assert_int_equal(stats(&p.a).frag_reassembled, 1);
    assert_int_equal(stats(&p.b).frag_reassembled, 1);
    assert_int_equal(stats(&p.a).frags_sent, (uint64_t)seen.skf_auth[0]);
    assert_int_equal(stats(&p.b).frags_sent, (uint64_t)seen.skf_auth[1]);
    assert_int_equal(stats(&p.a).retransmits + stats(&p.b).retransmits, 0);
    assert_non_null(strstr(p.a.log, "N(FRAG_SUP) ]"));
    assert_non_null(strstr(p.b.log, "N(FRAG_SUP) ]"));
    assert_non_null(strstr(p.a.log, "splitting IKE message"));
    assert_non_null(strstr(p.b.log, "reassembled fragmented IKE message"));
    assert_non_null(strstr(p.b.log, "parsed IKE_AUTH request 1 [ IDi"));
    assert_non_null(strstr(p.a.log, "parsed IKE_AUTH response 1 [ IDr"));
    assert_int_equal(p.a.e->frag.mem + p.b.e->frag.mem, 0);
    pair_free(&p);
}

/* every fragment 1 arrives after fragment 2, the first fragment 3 each way is
 * lost: the request completes with a's retransmission, and b answers that
 * retransmission's fragment 1 with all its response fragments again */
static void auth_reordered_and_lost(void **s)
{
    (void)s;
    struct pair p;
    setup(&p, IKE_FRAG_YES, IKE_FRAG_YES, 128);
    reorder_and_drop = true;
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 60000);
    assert_up(&p);
    assert_int_equal(seen.dropped_third[0] + seen.dropped_third[1], 2);
    assert_true(seen.held_first >= 3);
    assert_true(stats(&p.a).retransmits >= 1);
    assert_int_equal(stats(&p.b).cached_replies, 1);
    assert_int_equal(stats(&p.a).frag_reassembled, 1);
    assert_int_equal(stats(&p.b).frag_reassembled, 1);
    assert_int_equal(p.a.e->frag.mem + p.b.e->frag.mem, 0);
    pair_free(&p);
}

/* the `fragmentation` settings, as strongSwan's: who announces, who
 * fragments; the peer's fragments are taken whatever the setting */
static void modes(void **s)
{
    (void)s;
    static const struct {
        enum ike_frag_mode a, b;
        bool a_frags, b_frags, a_announces, b_announces;
    } t[] = {
        { IKE_FRAG_YES, IKE_FRAG_YES, true, true, true, true },
        { IKE_FRAG_YES, IKE_FRAG_NO, false, false, true, false },
        { IKE_FRAG_NO, IKE_FRAG_YES, false, false, false, false }, /* a responder answers an announcement only */
        { IKE_FRAG_ACCEPT, IKE_FRAG_YES, false, true, true, true },
        { IKE_FRAG_YES, IKE_FRAG_ACCEPT, true, false, true, true },
        { IKE_FRAG_FORCE, IKE_FRAG_NO, true, false, true, false },
        { IKE_FRAG_NO, IKE_FRAG_FORCE, false, true, false, false },
    };
    for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct pair p;
        setup(&p, t[i].a, t[i].b, 128);
        assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
        pair_run(&p, p.now + 1000);
        print_message("case %u: a sent %d fragments, b %d\n", i, seen.skf[0], seen.skf[1]);
        assert_up(&p);
        assert_int_equal(seen.skf[0] > 0, t[i].a_frags);
        assert_int_equal(seen.skf[1] > 0, t[i].b_frags);
        assert_int_equal(strstr(p.a.log, "N(FRAG_SUP) ]") != NULL, t[i].a_announces);
        assert_int_equal(h_count(p.b.log, "N(FRAG_SUP) ]"), t[i].a_announces + t[i].b_announces);
        pair_free(&p);
    }
}

/* later exchanges too: a Child SA rekey (CREATE_CHILD_SA with KE) in
 * fragments both ways, reordered and with losses */
static void create_child_fragmented(void **s)
{
    (void)s;
    struct pair p;
    setup(&p, IKE_FRAG_YES, IKE_FRAG_YES, 128);
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_up(&p);
    assert_int_equal(seen.skf_child[0] + seen.skf_child[1], 0);
    memset(&seen, 0, sizeof seen);
    reorder_and_drop = true;
    assert_int_equal(ike_child_expired(p.a.e, p.a.child.spi_in, false, p.now), 0);
    pair_run(&p, p.now + 60000);
    assert_int_equal(p.a.child_up, 2);
    assert_int_equal(p.b.child_up, 2);
    assert_true(seen.skf_child[0] >= 4);
    assert_true(seen.skf_child[1] >= 4);
    assert_int_equal(seen.dropped_third[0] + seen.dropped_third[1], 2);
    assert_up(&p);
    assert_int_equal(stats(&p.a).frag_reassembled, 2);
    assert_int_equal(stats(&p.b).frag_reassembled, 2);
    assert_non_null(strstr(p.b.log, "parsed CREATE_CHILD_SA request 2 [ N(REKEY_SA) SA No TSi TSr ]"));
    pair_free(&p);
}

/* the support negotiated in IKE_SA_INIT carries over to the IKE SA that
 * replaces it: its Child SA rekey goes in fragments too (RFC 7383 2.3) */
static void after_ike_rekey(void **s)
{
    (void)s;
    struct pair p;
    setup(&p, IKE_FRAG_YES, IKE_FRAG_YES, 128);
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_up(&p);
    h_est_sa(&p.a)->ike_rekey_at = p.now + 1;
    pair_run(&p, p.now + 10000);
    assert_int_equal(p.a.ike_rekeyed + p.b.ike_rekeyed, 2);
    assert_true(h_est_sa(&p.a)->successor);
    memset(&seen, 0, sizeof seen);
    assert_int_equal(ike_child_expired(p.a.e, p.a.child.spi_in, false, p.now), 0);
    pair_run(&p, p.now + 10000);
    assert_int_equal(p.a.child_up, 2);
    assert_true(seen.skf_child[0] >= 2);
    assert_true(seen.skf_child[1] >= 2);
    assert_int_equal(p.a.ike_down + p.b.ike_down, 2); /* the old IKE SAs, "rekeyed" */
    assert_child_pair(&p);
    pair_free(&p);
}

/* the default size: a PSK IKE_AUTH fits, nothing is fragmented */
static void default_size_whole(void **s)
{
    (void)s;
    struct pair p;
    setup(&p, IKE_FRAG_YES, IKE_FRAG_YES, 0);
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_up(&p);
    assert_int_equal(seen.skf[0] + seen.skf[1], 0);
    assert_int_equal(p.sent, 4);
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(auth_fragmented),
        cmocka_unit_test(auth_reordered_and_lost),
        cmocka_unit_test(modes),
        cmocka_unit_test(create_child_fragmented),
        cmocka_unit_test(after_ike_rekey),
        cmocka_unit_test(default_size_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
