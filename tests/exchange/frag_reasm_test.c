/* IKE fragmentation (RFC 7383): split and reassembly, white-box.
 *
 * Two engines bring an IKE SA up; then b's keys cut an INFORMATIONAL request
 *
 *  HDR, SKF{V}(1/n), HDR, SKF(2/n), ... HDR, SKF(n/n)  -->
 *                                                 <--  HDR, SK{}
 *
 * into fragments with ike_frag_split, which the test hands to a's engine in
 * the orders a network (or an attacker) might: out of order, duplicated,
 * missing until retransmitted, forged, over the limits, cut anew (2.6).
 * a answers the request once it is whole, and only then. */
#include "ike/ike_int.h" /* white-box: before harness.h, for h_est_sa */
#include "harness.h"

static const char *PSK = "fragment-test-psk-0123456789";

/* an established pair; the peers' addresses for the hand-made datagrams */
static void setup(struct pair *p)
{
    struct ike_conn_cfg ca = h_conn(1, 2, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    struct ike_conn_cfg cb = h_conn(2, 1, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    pair_init(p, &ca, &cb);
    assert_int_equal(ike_initiate(p->a.e, "lab", "net", p->now), 0);
    pair_run(p, p->now + 1000);
    assert_int_equal(p->a.ike_up, 1);
    assert_int_equal(p->b.ike_up, 1);
}

/* b's next INFORMATIONAL request to a, with a Vendor ID of vlen bytes so
 * that it is long, cut into pieces of chunk bytes */
static void make_frags(struct pair *p, size_t vlen, size_t chunk, struct ike_dgrams *d)
{
    struct ikesa *sb = h_est_sa(&p->b);
    static uint8_t vid[4096];
    uint8_t inner[5000];
    struct ike_hdr h;
    struct wr w;
    struct ike_pld v = { .type = IKEV2_PLD_VENDOR };
    assert_true(vlen <= sizeof vid);
    for (size_t i = 0; i < vlen; i++)
        vid[i] = (uint8_t)(i * 7 + 1);
    v.u.vendor.data = span_of(vid, vlen);
    wr_init(&w, inner, sizeof inner);
    assert_int_equal(ike_pld_encode(&w, &v, IKEV2_PLD_NONE), 0);
    ike_hdr_for(sb, IKEV2_EXCH_INFORMATIONAL, false, sb->next_msgid, &h);
    assert_int_equal(ike_frag_split(&sb->sk_out, &h, IKEV2_PLD_VENDOR, wr_view(&w), chunk, d), 0);
}

/* datagram i (0-based) of d */
static struct span dg(const struct ike_dgrams *d, unsigned i)
{
    size_t at = 0;
    for (unsigned k = 0;; k++) {
        size_t n = (size_t)d->buf[at] << 8 | d->buf[at + 1];
        if (k == i)
            return span_of(d->buf + at + 2, n);
        at += 2 + n;
    }
}

static int feed(struct pair *p, const uint8_t *b, size_t n)
{
    struct ike_addr from = h_addr(2, 500), to = h_addr(1, 500);
    return ike_recv(p->a.e, b, n, &to, &from, p->now);
}

static void feed_nth(struct pair *p, const struct ike_dgrams *d, unsigned i)
{
    struct span s = dg(d, i);
    feed(p, s.p, s.n);
}

/* a's INFORMATIONAL responses waiting in its queue (taken out) */
static int answers(struct pair *p)
{
    struct ike_action a;
    int n = 0;
    while (ike_next_action(p->a.e, &a)) {
        if (a.type == IKE_ACT_SEND && dg_response(&a) && dg_exchange(&a) == IKEV2_EXCH_INFORMATIONAL)
            n++;
        ike_action_wipe(&a);
    }
    return n;
}

static struct ike_stats stats(struct pair *p)
{
    struct ike_stats s;
    ike_engine_stats(p->a.e, &s);
    return s;
}

/* nothing is held once no message is being reassembled */
static void assert_nothing_held(struct pair *p)
{
    assert_int_equal(p->a.e->frag.msgs, 0);
    assert_int_equal(p->a.e->frag.mem, 0);
}

/* 40 fragments of 16 bytes, in order: more than the 32 Windows may send */
static void many_in_order(void **s)
{
    (void)s;
    struct pair p;
    struct ike_dgrams d;
    setup(&p);
    make_frags(&p, 636, 16, &d);
    assert_int_equal(d.n, 40);
    for (unsigned i = 0; i + 1 < d.n; i++) {
        feed_nth(&p, &d, i);
        assert_int_equal(answers(&p), 0); /* nothing before the message is whole */
    }
    assert_int_equal(p.a.e->frag.msgs, 1);
    feed_nth(&p, &d, d.n - 1);
    assert_int_equal(answers(&p), 1);
    assert_int_equal(stats(&p).frag_reassembled, 1);
    assert_int_equal(stats(&p).dropped, 0);
    assert_non_null(strstr(p.a.log, "received fragment #40 of 40, reassembled fragmented IKE message"));
    assert_non_null(strstr(p.a.log, "parsed INFORMATIONAL request"));
    assert_nothing_held(&p);
    ike_dgrams_clear(&d);
    pair_free(&p);
}

/* backwards, every fragment twice: one answer, nothing dropped */
static void reversed_and_duplicated(void **s)
{
    (void)s;
    struct pair p;
    struct ike_dgrams d;
    setup(&p);
    make_frags(&p, 300, 40, &d);
    assert_true(d.n >= 7);
    for (unsigned i = d.n; i-- > 1;) {
        feed_nth(&p, &d, i);
        feed_nth(&p, &d, i);
    }
    assert_int_equal(answers(&p), 0);
    feed_nth(&p, &d, 0);
    assert_int_equal(answers(&p), 1);
    assert_int_equal(stats(&p).frag_reassembled, 1);
    assert_int_equal(stats(&p).dropped, 0);
    assert_int_equal(h_count(p.a.log, "again (or of an older cut): ignored"), (int)d.n - 1);
    assert_nothing_held(&p);
    ike_dgrams_clear(&d);
    pair_free(&p);
}

/* one fragment lost: the peer's retransmission of all of them completes it */
static void missing_then_retransmitted(void **s)
{
    (void)s;
    struct pair p;
    struct ike_dgrams d;
    setup(&p);
    make_frags(&p, 300, 40, &d);
    for (unsigned i = 0; i < d.n; i++)
        if (i != 4)
            feed_nth(&p, &d, i);
    assert_int_equal(answers(&p), 0);
    assert_int_equal(p.a.e->frag.msgs, 1);
    for (unsigned i = 0; i < d.n; i++)
        feed_nth(&p, &d, i);
    assert_int_equal(answers(&p), 1);
    assert_int_equal(stats(&p).frag_reassembled, 1);
    assert_nothing_held(&p);
    ike_dgrams_clear(&d);
    pair_free(&p);
}

/* forged fragments (bad ICV, or a forged higher Total Fragments) come first:
 * dropped, counted, and the genuine ones still make the message (2.6) */
static void forged_dropped(void **s)
{
    (void)s;
    struct pair p;
    struct ike_dgrams d;
    uint8_t bad[2048];
    setup(&p);
    make_frags(&p, 300, 40, &d);
    feed_nth(&p, &d, 0);
    for (unsigned i = 1; i < d.n; i++) {
        struct span g = dg(&d, i);
        memcpy(bad, g.p, g.n);
        bad[g.n - 1] ^= 1; /* the ICV */
        feed(&p, bad, g.n);
        bad[g.n - 1] ^= 1;
        bad[32 + 2] = 0, bad[32 + 3] = 200; /* Total Fragments 200: would start the message over */
        feed(&p, bad, g.n);
        assert_int_equal(answers(&p), 0);
        feed(&p, g.p, g.n);
    }
    assert_int_equal(answers(&p), 1);
    assert_int_equal(stats(&p).frags_bad, 2 * (d.n - 1));
    assert_int_equal(stats(&p).frag_reassembled, 1);
    assert_non_null(strstr(p.a.log, "integrity check failed"));
    assert_nothing_held(&p);
    ike_dgrams_clear(&d);
    pair_free(&p);
}

/* the peer cuts the message anew with more fragments: what was kept is
 * thrown away and the new cut completes; a fragment of the old cut (a lower
 * Total Fragments) is then ignored (2.6) */
static void recut_with_more(void **s)
{
    (void)s;
    struct pair p;
    struct ike_dgrams big, small;
    setup(&p);
    make_frags(&p, 300, 100, &big);
    make_frags(&p, 300, 30, &small);
    assert_true(small.n > big.n);
    for (unsigned i = 0; i + 1 < big.n; i++)
        feed_nth(&p, &big, i);
    for (unsigned i = 0; i + 1 < small.n; i++)
        feed_nth(&p, &small, i);
    feed_nth(&p, &big, big.n - 1); /* the old cut's last one: lower total, ignored */
    assert_int_equal(answers(&p), 0);
    feed_nth(&p, &small, small.n - 1);
    assert_int_equal(answers(&p), 1);
    assert_int_equal(stats(&p).frag_reassembled, 1);
    assert_nothing_held(&p);
    ike_dgrams_clear(&big);
    ike_dgrams_clear(&small);
    pair_free(&p);
}

/* Total Fragments over frag_max_count: dropped (counted, logged); 32 pass */
static void over_count_limit(void **s)
{
    (void)s;
    struct pair p;
    struct ike_dgrams d;
    struct ike_limits l;
    setup(&p);
    ike_limits_default(&l);
    l.frag_max_count = 32;
    ike_engine_set_limits(p.a.e, &l);
    make_frags(&p, 636, 16, &d); /* 40 */
    for (unsigned i = 0; i < d.n; i++)
        feed_nth(&p, &d, i);
    assert_int_equal(answers(&p), 0);
    assert_int_equal(stats(&p).frag_limited, d.n);
    assert_non_null(strstr(p.a.log, "fragments 40 over the limit 32"));
    assert_nothing_held(&p);
    ike_dgrams_clear(&d);
    make_frags(&p, 508, 16, &d); /* 32 */
    assert_int_equal(d.n, 32);
    for (unsigned i = 0; i < d.n; i++)
        feed_nth(&p, &d, i);
    assert_int_equal(answers(&p), 1);
    ike_dgrams_clear(&d);
    pair_free(&p);
}

/* a message over frag_max_bytes is thrown away as soon as that shows; one
 * over frag_max_mem has its fragments refused, and nothing is held after */
static void over_byte_limits(void **s)
{
    (void)s;
    struct pair p;
    struct ike_dgrams d;
    struct ike_limits l;
    setup(&p);
    ike_limits_default(&l);
    l.frag_max_bytes = 1500;
    ike_engine_set_limits(p.a.e, &l);
    make_frags(&p, 2000, 200, &d);
    for (unsigned i = 0; i < d.n; i++)
        feed_nth(&p, &d, i);
    assert_int_equal(answers(&p), 0);
    assert_int_equal(stats(&p).frag_limited, 1); /* the rest of it is ignored */
    assert_non_null(strstr(p.a.log, "bytes of the message"));
    assert_int_equal(p.a.e->frag.msgs, 1); /* that it was refused, nothing of it */
    assert_true(p.a.e->frag.mem < 400); /* its bookkeeping only */
    for (unsigned i = 0; i < d.n; i++) /* nor when retransmitted */
        feed_nth(&p, &d, i);
    assert_int_equal(stats(&p).frag_limited, 1);
    p.now += 30000;
    ike_tick(p.a.e, p.now);
    assert_nothing_held(&p);
    answers(&p);
    l.frag_max_bytes = 65535;
    l.frag_max_mem = 1000;
    ike_engine_set_limits(p.a.e, &l);
    uint64_t before = stats(&p).frag_limited;
    for (unsigned i = 0; i < d.n; i++)
        feed_nth(&p, &d, i);
    assert_int_equal(answers(&p), 0);
    assert_true(stats(&p).frag_limited > before);
    assert_true(p.a.e->frag.mem <= 1000);
    assert_non_null(strstr(p.a.log, "bytes in reassembly"));
    /* the limit raised, the peer's retransmission gets through */
    l.frag_max_mem = 1 << 20;
    ike_engine_set_limits(p.a.e, &l);
    for (unsigned i = 0; i < d.n; i++)
        feed_nth(&p, &d, i);
    assert_int_equal(answers(&p), 1);
    assert_nothing_held(&p);
    ike_dgrams_clear(&d);
    pair_free(&p);
}

/* an incomplete message is dropped frag_timeout_ms after its first fragment */
static void incomplete_times_out(void **s)
{
    (void)s;
    struct pair p;
    struct ike_dgrams d;
    setup(&p);
    make_frags(&p, 300, 40, &d);
    for (unsigned i = 1; i < d.n; i++)
        feed_nth(&p, &d, i);
    assert_int_equal(p.a.e->frag.msgs, 1);
    uint64_t due = ike_next_deadline(p.a.e);
    assert_true(due <= p.now + 30000);
    p.now += 30000;
    ike_tick(p.a.e, p.now);
    assert_int_equal(stats(&p).frag_expired, 1);
    assert_nothing_held(&p);
    assert_non_null(strstr(p.a.log, "incomplete after 30000 ms"));
    answers(&p);
    for (unsigned i = 0; i < d.n; i++) /* a later retransmission starts over */
        feed_nth(&p, &d, i);
    assert_int_equal(answers(&p), 1);
    ike_dgrams_clear(&d);
    pair_free(&p);
}

/* a retransmitted fragment 1 of a request already answered gets the
 * response again; the other fragments of it do not (2.6.1) */
static void retransmitted_request(void **s)
{
    (void)s;
    struct pair p;
    struct ike_dgrams d;
    setup(&p);
    make_frags(&p, 300, 40, &d);
    for (unsigned i = 0; i < d.n; i++)
        feed_nth(&p, &d, i);
    assert_int_equal(answers(&p), 1);
    uint32_t cached = stats(&p).cached_replies;
    for (unsigned i = 1; i < d.n; i++)
        feed_nth(&p, &d, i);
    assert_int_equal(answers(&p), 0);
    feed_nth(&p, &d, 0);
    assert_int_equal(answers(&p), 1);
    assert_int_equal(stats(&p).cached_replies, cached + 1);
    assert_int_equal(stats(&p).frag_reassembled, 1);
    ike_dgrams_clear(&d);
    pair_free(&p);
}

/* the split itself: every datagram within the fragment size counting IP,
 * UDP and the non-ESP marker, IPv4 and IPv6 (2.5.1), the pieces in order */
static void split_sizes(void **s)
{
    (void)s;
    struct pair p;
    setup(&p);
    struct ikesa *sb = h_est_sa(&p.b);
    sb->frag_peer = true;
    struct { uint8_t family; bool natt; size_t below; } cases[] = {
        { 4, false, 28 }, { 4, true, 32 }, { 6, false, 48 }, { 6, true, 52 } };
    for (unsigned c = 0; c < 4; c++) {
        sb->remote.family = cases[c].family;
        sb->natt = cases[c].natt;
        assert_int_equal(ike_frag_chunk(p.b.e, sb, 1000), 0); /* fits whole */
        size_t chunk = ike_frag_chunk(p.b.e, sb, 5000);
        assert_true(chunk > 1000);
        struct ike_dgrams d;
        struct ike_hdr h;
        static uint8_t inner[5000];
        ike_hdr_for(sb, IKEV2_EXCH_INFORMATIONAL, false, 9, &h);
        assert_int_equal(ike_frag_split(&sb->sk_out, &h, IKEV2_PLD_VENDOR, span_of(inner, 5000), chunk, &d), 0);
        assert_int_equal(d.n, (5000 + chunk - 1) / chunk);
        for (unsigned i = 0; i < d.n; i++) {
            struct span g = dg(&d, i);
            assert_true(g.n + cases[c].below <= 1280);
            assert_true(i + 1 == d.n || g.n + cases[c].below > 1280 - 16); /* and not far below */
            assert_int_equal(g.p[16], IKEV2_PLD_SKF);
            assert_int_equal(g.p[28], i == 0 ? IKEV2_PLD_VENDOR : 0); /* first payload in #1 only */
            assert_int_equal(g.p[32] << 8 | g.p[33], i + 1);
            assert_int_equal(g.p[34] << 8 | g.p[35], d.n);
        }
        ike_dgrams_clear(&d);
    }
    sb->frag_peer = false; /* yes: only when the peer announced it */
    assert_int_equal(ike_frag_chunk(p.b.e, sb, 5000), 0);
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(many_in_order),
        cmocka_unit_test(reversed_and_duplicated),
        cmocka_unit_test(missing_then_retransmitted),
        cmocka_unit_test(forged_dropped),
        cmocka_unit_test(recut_with_more),
        cmocka_unit_test(over_count_limit),
        cmocka_unit_test(over_byte_limits),
        cmocka_unit_test(incomplete_times_out),
        cmocka_unit_test(retransmitted_request),
        cmocka_unit_test(split_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
