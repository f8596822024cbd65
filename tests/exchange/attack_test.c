/* Under attack, on a virtual clock: the regression tests of issue 10's
 * findings (each failed on the code before its fix) and the anti-DoS gate
 * (RFC 7296 2.6, RFC 8019).
 *
 *  - a notify-only IKE_SA_INIT answer with N(COOKIE): the initiator sends the
 *    same request again with the cookie first (it used to dereference the
 *    missing SA payload and crash); cookies end to end, secret rotation;
 *  - a flood of spoofed IKE_SA_INITs: COOKIE answers, half-open SAs bounded,
 *    and a real initiator, a peer's IKE SA rekey and our own initiation still
 *    work (a 64-slot table shared by all used to fill up);
 *  - the peer's KE value validated before a key pair of ours is made;
 *  - more than 32 actions queued: none dropped;
 *  - a response of another exchange type than the request: dropped, the
 *    request retransmitted (the initiator used to stick in AUTH_SENT);
 *  - a replayed request from a forged address: answered at a bounded rate,
 *    and a request with the last message ID but other bytes not at all;
 *  - a request that got no answer does not move the last message ID (the
 *    IKE_AUTH that followed used to get the IKE_SA_INIT response);
 *  - keyingtries: a failed initiation tried again, and given up as configured;
 *  - a Child SA the data plane refused is deleted with the peer, made again;
 *  - log lines about unauthenticated packets rate-limited.
 *
 * White-box: the tests reach into the engine (ike_int.h) to forge messages
 * with an SA's keys, as a peer or a man in the middle would. */
#include "ike/ike_int.h" /* white-box: before harness.h, for h_est_sa */
#include "harness.h"
#include "wire/msg.h"

static const char *PSK = "attack-test-psk-0123456789abcdef";

static struct ike_conn_cfg conn(uint8_t me, uint8_t peer)
{
    return h_conn(me, peer, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
}

static void set_limits(struct ike_engine *e, uint32_t cookie_threshold, uint32_t block, uint32_t limit)
{
    struct ike_limits l;
    ike_limits_default(&l);
    l.cookie_threshold = cookie_threshold;
    l.block_threshold = block;
    l.init_limit_half_open = limit;
    assert_int_equal(ike_engine_set_limits(e, &l), 0);
}

static struct ike_stats stats(struct ike_engine *e)
{
    struct ike_stats s;
    ike_engine_stats(e, &s);
    return s;
}

/* ---- capturing and forging datagrams ---- */

static struct ike_action captured;
static bool have_captured;
static uint8_t capture_exch;
static bool capture_drop;

/* copies a's first request of exchange capture_exch (dropped if capture_drop) */
static int capture(struct pair *p, struct side *from, struct ike_action *a)
{
    if (from != &p->a || have_captured || dg_response(a) || dg_exchange(a) != capture_exch)
        return 0;
    captured = *a;
    have_captured = true;
    return capture_drop ? 1 : 0;
}

/* a initiates to b; its first request of exchange `exch` is captured
 * (and lost if drop); the pair runs for ms */
static void start_captured(struct pair *p, const struct ike_conn_cfg *ca, const struct ike_conn_cfg *cb, uint8_t exch,
                           bool drop, uint64_t ms)
{
    pair_init(p, ca, cb);
    have_captured = false;
    capture_exch = exch;
    capture_drop = drop;
    p->filter = capture;
    assert_int_equal(ike_initiate(p->a.e, "lab", "net", p->now), 0);
    pair_run(p, p->now + ms);
    assert_true(have_captured);
}

/* a's IKE_SA_INIT request, as a template for forged ones */
static struct ike_action init_request(void)
{
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    start_captured(&p, &ca, &cb, IKEV2_EXCH_IKE_SA_INIT, true, 10);
    pair_free(&p);
    return captured;
}

/* the template from a spoofed source, with its own SPIi */
static void spoof(struct ike_engine *e, const struct ike_action *tpl, uint32_t n, uint64_t now)
{
    uint8_t buf[2048];
    memcpy(buf, tpl->data, tpl->len);
    for (int i = 0; i < 4; i++)
        buf[4 + i] = (uint8_t)(n >> (24 - 8 * i));
    struct ike_addr from = { .family = 4, .ip = { 198, 51, (uint8_t)(n >> 8), (uint8_t)n }, .port = 500 };
    struct ike_addr to = h_addr(2, 500);
    ike_recv(e, buf, tpl->len, &to, &from, now);
}

/* SEND actions b queued for addresses other than a's are the flood's answers */
static int flood_answers, cookie_answers;

static int drop_flood_answers(struct pair *p, struct side *from, struct ike_action *a)
{
    struct ike_addr addr_a = h_addr(1, 0);
    if (from != &p->b || ike_addr_same_host(&a->remote, &addr_a))
        return 0;
    flood_answers++;
    /* HDR, N(COOKIE): the notify's type at 28 + 6 */
    cookie_answers += a->len > 36 && a->data[34] == (IKEV2_N_COOKIE >> 8) && a->data[35] == (IKEV2_N_COOKIE & 0xff);
    return 1;
}

/* ---- finding 1: N(COOKIE) alone in the IKE_SA_INIT response ---- */

static void cookie_only_response(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    start_captured(&p, &ca, &cb, IKEV2_EXCH_IKE_SA_INIT, true, 10);
    struct ike_action first = captured;

    /* <--  HDR, N(COOKIE), as strongSwan sends it above its cookie threshold */
    struct ikesa sa_b;
    memset(&sa_b, 0, sizeof sa_b);
    memcpy(sa_b.spi_i, first.data, 8);
    sa_b.initiator = false;
    struct ike_hdr h;
    struct ike_pld n;
    static const uint8_t cookie[17] = { 0x01, 0xc0, 0x0c, 0x1e, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17 };
    ike_hdr_for(&sa_b, IKEV2_EXCH_IKE_SA_INIT, true, 0, &h);
    pld_notify(&n, IKEV2_N_COOKIE, cookie, sizeof cookie);
    uint8_t out[256];
    size_t len;
    assert_int_equal(ike_encode_plain(&h, &n, 1, out, sizeof out, &len), 0);
    struct ike_addr a_addr = h_addr(1, 500), b_addr = h_addr(2, 500);
    have_captured = false;
    ike_recv(p.a.e, out, len, &a_addr, &b_addr, p.now); /* crashed before the fix */
    pair_run(&p, p.now + 10);
    assert_true(have_captured);
    /* HDR, N(COOKIE), SAi1, KEi, Ni...: the same SPI, the cookie first, the
     * rest of the first request unchanged (2.6) */
    struct ike_msg *m = calloc(1, sizeof *m);
    struct diag d = { 0 };
    assert_int_equal(ike_msg_decode(span_of(captured.data, captured.len), m, &d), 0);
    assert_memory_equal(captured.data, first.data, 8);
    assert_int_equal(m->chain.pld[0].type, IKEV2_PLD_NOTIFY);
    assert_int_equal(m->chain.pld[0].u.notify.type, IKEV2_N_COOKIE);
    assert_int_equal(m->chain.pld[0].u.notify.data.n, sizeof cookie);
    assert_memory_equal(m->chain.pld[0].u.notify.data.p, cookie, sizeof cookie);
    size_t cookie_pld = 8 + sizeof cookie;
    assert_int_equal(captured.len, first.len + cookie_pld);
    assert_memory_equal(captured.data + 28 + cookie_pld, first.data + 28, first.len - 28);
    free(m);

    /* an answer with neither an error nor SA, KE and nonce (only a status
     * notify): ignored, the request stays outstanding */
    pld_notify(&n, IKEV2_N_NAT_DETECTION_SOURCE_IP, cookie, 16);
    assert_int_equal(ike_encode_plain(&h, &n, 1, out, sizeof out, &len), 0);
    assert_int_equal(ike_recv(p.a.e, out, len, &a_addr, &b_addr, p.now), KITE_E_MISSING);
    assert_true(ike_next_deadline(p.a.e) != UINT64_MAX);
    /* a responder that keeps asking for cookies is given up on */
    pld_notify(&n, IKEV2_N_COOKIE, cookie, sizeof cookie);
    assert_int_equal(ike_encode_plain(&h, &n, 1, out, sizeof out, &len), 0);
    for (int i = 0; i < IKE_COOKIE_TRIES; i++)
        ike_recv(p.a.e, out, len, &a_addr, &b_addr, p.now);
    pair_run(&p, p.now + 10);
    assert_int_equal(p.a.ike_down, 1);
    assert_non_null(strstr(p.a.down_reason, "asked for a COOKIE"));
    pair_free(&p);
}

/* a responder that always wants a cookie (cookie_threshold 0): one more round trip */
static void cookies_end_to_end(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    pair_init(&p, &ca, &cb);
    set_limits(p.b.e, 0, 5, 1000);
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(p.a.ike_up, 1);
    assert_int_equal(p.b.ike_up, 1);
    assert_int_equal(p.a.n_inst, 1);
    assert_int_equal(stats(p.b.e).cookies_sent, 1);
    assert_int_equal(stats(p.b.e).cookies_ok, 1);
    assert_non_null(strstr(p.a.log, "sending IKE_SA_INIT again with the COOKIE"));
    pair_free(&p);
}

/* the secret rotates every minute; a cookie of the previous one still works */
static void cookie_rotation(void **s)
{
    (void)s;
    uint64_t rng = 42;
    struct ike_env env = { &rng, h_random, NULL, 0 };
    struct ike_engine *e = ike_engine_new(&env);
    struct ike_addr ip = h_addr(7, 500), other = h_addr(8, 500);
    uint8_t ni[32] = { 1, 2, 3 }, c[IKE_COOKIE_LEN], c2[IKE_COOKIE_LEN];
    struct span n = span_of(ni, sizeof ni);
    assert_int_equal(ike_cookie_make(e, n, &ip, 0x1122334455667788ull, 1000, c), 0);
    assert_true(ike_cookie_check(e, span_of(c, sizeof c), n, &ip, 0x1122334455667788ull, 2000));
    /* bound to the address, the SPI and the nonce */
    assert_false(ike_cookie_check(e, span_of(c, sizeof c), n, &other, 0x1122334455667788ull, 2000));
    assert_false(ike_cookie_check(e, span_of(c, sizeof c), n, &ip, 0x1122334455667789ull, 2000));
    ni[0] ^= 1;
    assert_false(ike_cookie_check(e, span_of(c, sizeof c), n, &ip, 0x1122334455667788ull, 2000));
    ni[0] ^= 1;
    assert_false(ike_cookie_check(e, span_of(c, sizeof c - 1), n, &ip, 0x1122334455667788ull, 2000));
    /* one rotation later: still good, and new cookies differ */
    assert_int_equal(ike_cookie_make(e, n, &ip, 0x1122334455667788ull, 1000 + IKE_COOKIE_ROTATE_MS, c2), 0);
    assert_memory_not_equal(c, c2, sizeof c);
    assert_true(ike_cookie_check(e, span_of(c, sizeof c), n, &ip, 0x1122334455667788ull, 1000 + IKE_COOKIE_ROTATE_MS));
    /* two rotations later: expired */
    assert_false(ike_cookie_check(e, span_of(c, sizeof c), n, &ip, 0x1122334455667788ull,
                                  1000 + 2 * IKE_COOKIE_ROTATE_MS));
    ike_engine_free(e);
}

/* ---- finding 3: a flood of spoofed IKE_SA_INITs ---- */

static void spoofed_flood(void **s)
{
    (void)s;
    struct ike_action tpl = init_request();
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    cb.rekey_time_s = 0;
    cb.remote.family = 0; /* %any: a gateway the flood can reach */
    pair_init(&p, &ca, &cb);
    /* b also initiates to a peer that is not there (its own initiation must work) */
    struct ike_conn_cfg other = conn(2, 9);
    snprintf(other.name, sizeof other.name, "other");
    assert_int_equal(ike_engine_add_conn(p.b.e, &other), 0);
    flood_answers = cookie_answers = 0;
    p.filter = drop_flood_answers;
    /* 2000 requests from 2000 addresses within 10 s */
    for (uint32_t i = 0; i < 2000; i++) {
        spoof(p.b.e, &tpl, i + 1, p.now);
        if (i % 200 == 199)
            pair_run(&p, p.now += 1000);
    }
    pair_run(&p, p.now + 10);
    struct ike_stats st = stats(p.b.e);
    assert_true(st.half_open <= 30);          /* cookie_threshold */
    assert_true(st.cookies_sent >= 1960);
    assert_int_equal(cookie_answers, (int)st.cookies_sent);
    assert_int_equal(flood_answers, 30 + cookie_answers); /* 30 got a real IKE_SA_INIT answer */
    /* a real initiator: a COOKIE, then the IKE SA */
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(p.a.ike_up, 1);
    assert_int_equal(p.b.ike_up, 1);
    assert_int_equal(p.b.n_inst, 1);
    assert_int_equal(stats(p.b.e).cookies_ok, 1);
    /* the flood goes on; a rekeys the IKE SA: b installs it too */
    for (uint32_t i = 2000; i < 2200; i++)
        spoof(p.b.e, &tpl, i + 1, p.now);
    struct ikesa *sa = h_est_sa(&p.a);
    sa->ike_rekey_at = p.now + 1;
    pair_run(&p, p.now + 1000);
    assert_int_equal(p.a.ike_rekeyed, 1);
    assert_int_equal(p.b.ike_rekeyed, 1);
    assert_int_equal(p.a.n_inst, 1);
    assert_int_equal(p.b.n_inst, 1);
    assert_int_equal(p.a.inst[0].out, p.b.inst[0].in);
    /* and b can still initiate: its IKE_SA_INIT goes out to .9 */
    int before = p.sent;
    assert_int_equal(ike_initiate(p.b.e, "other", "net", p.now), 0);
    pair_run(&p, p.now + 10);
    assert_true(p.sent > before);
    assert_non_null(strstr(p.b.log, "initiating IKE_SA other"));
    /* the half-open ones time out */
    pair_run(&p, p.now + 31000);
    assert_int_equal(stats(p.b.e).half_open, 0);
    pair_free(&p);
}

/* the block threshold: a sixth half-open SA from one address is refused */
static void block_threshold(void **s)
{
    (void)s;
    struct ike_action tpl = init_request();
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    cb.remote.family = 0;
    pair_init(&p, &ca, &cb);
    set_limits(p.b.e, 1000, 5, 8);
    struct ike_addr from = { .family = 4, .ip = { 198, 51, 100, 1 }, .port = 500 }, to = h_addr(2, 500);
    uint8_t buf[2048];
    memcpy(buf, tpl.data, tpl.len);
    for (int i = 0; i < 7; i++) {
        buf[7] = (uint8_t)i;
        from.port = (uint16_t)(1000 + i);
        ike_recv(p.b.e, buf, tpl.len, &to, &from, p.now);
    }
    assert_int_equal(stats(p.b.e).half_open, 5);
    assert_int_equal(stats(p.b.e).blocked, 2);
    /* the global limit: 8 in all */
    for (int i = 0; i < 5; i++) {
        from.ip[3] = (uint8_t)(10 + i);
        ike_recv(p.b.e, buf, tpl.len, &to, &from, p.now);
    }
    assert_int_equal(stats(p.b.e).half_open, 8);
    assert_int_equal(stats(p.b.e).limited, 2);
    pair_free(&p);
}

/* ---- finding 4: the KE value is checked before our key pair is made ---- */

static void bad_ke_costs_no_key_pair(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = h_conn(1, 2, "aes256gcm16 prfsha256 ecp256", "aes256gcm16", PSK);
    struct ike_conn_cfg cb = h_conn(2, 1, "aes256gcm16 prfsha256 ecp256", "aes256gcm16", PSK);
    start_captured(&p, &ca, &cb, IKEV2_EXCH_IKE_SA_INIT, true, 10);
    uint8_t buf[2048];
    memcpy(buf, captured.data, captured.len);
    struct ike_msg *m = calloc(1, sizeof *m);
    struct diag d = { 0 };
    assert_int_equal(ike_msg_decode(span_of(buf, captured.len), m, &d), 0);
    const struct ike_pld *ke = ike_chain_find(&m->chain, IKEV2_PLD_KE, 0);
    assert_int_equal(ke->u.ke.data.n, 64);
    memset(buf + (ke->u.ke.data.p - buf), 0x5a, 64); /* x | y not on P-256 */
    free(m);
    struct ike_addr to = h_addr(2, 500), from = h_addr(1, 500);
    assert_int_equal(ike_recv(p.b.e, buf, captured.len, &to, &from, p.now), KITE_E_BAD_PUBLIC_KEY);
    assert_non_null(strstr(p.b.log, "refused: peer's key exchange value is invalid"));
    assert_null(strstr(p.b.log, "selected proposal")); /* no SA, no key pair came before */
    assert_int_equal(stats(p.b.e).ike_sas, 0);
    assert_int_equal(ike_sa_slots(p.b.e), 0);
    pair_free(&p);
}

/* ---- finding 5: actions are never dropped ---- */

static void actions_never_dropped(void **s)
{
    (void)s;
    struct ike_action tpl = init_request();
    uint64_t rng = 7;
    struct ike_env env = { &rng, h_random, NULL, 0 };
    struct ike_engine *e = ike_engine_new(&env);
    struct ike_conn_cfg cb = conn(2, 1);
    cb.remote.family = 0; /* %any */
    assert_int_equal(ike_engine_add_conn(e, &cb), 0);
    set_limits(e, 1000, 0, 0);
    for (uint32_t i = 0; i < 100; i++) /* 100 answers, nobody draining */
        spoof(e, &tpl, i + 1, 1000);
    struct ike_action *a = malloc(sizeof *a);
    int sends = 0;
    while (ike_next_action(e, a))
        sends += a->type == IKE_ACT_SEND;
    assert_int_equal(sends, 100);
    assert_true(stats(e).actions_peak >= 100);
    free(a);
    ike_engine_free(e);
}

/* ---- finding 6: a response of another exchange type ---- */

static void response_of_another_exchange(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    start_captured(&p, &ca, &cb, IKEV2_EXCH_IKE_AUTH, true, 100); /* the first IKE_AUTH request is lost */
    /* b (its half-open SA has the keys) answers message 1 with an INFORMATIONAL */
    struct ikesa *sb = NULL;
    for (unsigned i = 0; i < p.b.e->n_slots && !sb; i++)
        sb = ike_sa_at(p.b.e, i);
    assert_non_null(sb);
    struct ike_hdr h;
    uint8_t out[512];
    size_t len;
    ike_hdr_for(sb, IKEV2_EXCH_INFORMATIONAL, true, 1, &h);
    assert_int_equal(ike_encode_sk(sb, &h, NULL, 0, out, sizeof out, &len), 0);
    struct ike_addr a_addr = h_addr(1, 500), b_addr = h_addr(2, 500);
    assert_int_equal(ike_recv(p.a.e, out, len, &a_addr, &b_addr, p.now), KITE_E_UNEXPECTED);
    /* still outstanding: retransmitted, answered, established */
    assert_true(ike_next_deadline(p.a.e) != UINT64_MAX);
    pair_run(&p, p.now + 10000);
    assert_int_equal(p.a.ike_up, 1);
    assert_int_equal(p.b.ike_up, 1);
    assert_int_equal(p.a.n_inst, 1);
    pair_free(&p);
}

/* ---- finding 8: cached responses and reflection ---- */

static void replayed_request_bounded(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    start_captured(&p, &ca, &cb, IKEV2_EXCH_IKE_AUTH, false, 1000);
    assert_int_equal(p.b.ike_up, 1);
    p.filter = NULL;
    struct ike_addr to = h_addr(2, 500), victim = { .family = 4, .ip = { 203, 0, 113, 5 }, .port = 500 };
    /* 200 replays of the IKE_AUTH request from a forged address in one second */
    uint32_t before = stats(p.b.e).cached_replies;
    for (int i = 0; i < 200; i++)
        ike_recv(p.b.e, captured.data, captured.len, &to, &victim, p.now + (uint64_t)i * 5);
    uint32_t answered = stats(p.b.e).cached_replies - before;
    assert_true(answered <= 40 + 20); /* burst + one second of rate */
    assert_true(answered >= 1);
    assert_true(stats(p.b.e).answers_limited >= 140);
    /* the same message ID with other bytes (a forged request): not answered */
    uint8_t buf[2048];
    memcpy(buf, captured.data, captured.len);
    buf[captured.len - 1] ^= 0x01;
    struct ike_addr a_addr = h_addr(1, 500);
    before = stats(p.b.e).cached_replies;
    assert_int_equal(ike_recv(p.b.e, buf, captured.len, &to, &a_addr, p.now + 60000), KITE_E_INVALID_MSGID);
    assert_int_equal(stats(p.b.e).cached_replies, before);
    /* the real peer's retransmission still gets its answer */
    assert_int_equal(ike_recv(p.b.e, captured.data, captured.len, &to, &a_addr, p.now + 61000), 0);
    assert_int_equal(stats(p.b.e).cached_replies, before + 1);
    while (drain(&p, &p.b, &p.a)) /* the answer: a has it already, drops it */
        ;
    pair_free(&p);
}

/* a request that is not answered leaves the last message ID alone */
static bool forged_info;

static int info_before_auth(struct pair *p, struct side *from, struct ike_action *a)
{
    if (from != &p->a || forged_info || dg_exchange(a) != IKEV2_EXCH_IKE_AUTH || dg_response(a))
        return 0;
    forged_info = true;
    struct ikesa *sa = NULL;
    for (unsigned i = 0; i < p->a.e->n_slots && !sa; i++)
        sa = ike_sa_at(p->a.e, i);
    struct ike_hdr h;
    uint8_t out[512];
    size_t len;
    /* HDR(1), SK {} --> before IKE_AUTH: the responder cannot answer it yet */
    ike_hdr_for(sa, IKEV2_EXCH_INFORMATIONAL, false, 1, &h);
    assert_int_equal(ike_encode_sk(sa, &h, NULL, 0, out, sizeof out, &len), 0);
    assert_int_equal(ike_recv(p->b.e, out, len, &a->remote, &a->local, p->now), KITE_E_STATE);
    return 0;
}

static void unanswered_request_keeps_msgid(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    pair_init(&p, &ca, &cb);
    forged_info = false;
    p.filter = info_before_auth;
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_true(forged_info);
    assert_int_equal(p.a.ike_up, 1); /* the IKE_AUTH was handled, not answered with IKE_SA_INIT's response */
    assert_int_equal(p.b.ike_up, 1);
    pair_free(&p);
}

/* ---- finding 8: start_action = start retried (keyingtries) ---- */

static int drop_all(struct pair *p, struct side *from, struct ike_action *a)
{
    (void)p;
    (void)from;
    (void)a;
    return 1;
}

static void keyingtries(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    ca.keyingtries = 3;
    ca.keyingtries_set = true;
    pair_init(&p, &ca, &cb);
    p.filter = drop_all;
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 3600 * 1000);
    assert_int_equal(h_count(p.a.log, "initiating IKE_SA lab"), 3);
    assert_non_null(strstr(p.a.log, "giving up on 'lab' after 3 attempts"));
    assert_int_equal(ike_next_deadline(p.a.e), UINT64_MAX);
    pair_free(&p);

    /* keyingtries = 0 (%forever): the peer comes back after 10 minutes */
    ca.keyingtries = 0;
    pair_init(&p, &ca, &cb);
    p.filter = drop_all;
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 600 * 1000);
    assert_true(h_count(p.a.log, "initiating IKE_SA lab") >= 3);
    p.filter = NULL;
    pair_run(&p, p.now + 300 * 1000);
    assert_int_equal(p.a.ike_up, 1);
    assert_int_equal(p.a.n_inst, 1);
    assert_int_equal(p.b.n_inst, 1);
    assert_true(stats(p.a.e).keying_retries >= 3);
    pair_free(&p);
}

/* ---- finding 8: a Child SA the data plane could not take ---- */

static void install_failed_deletes_and_retries(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    pair_init(&p, &ca, &cb);
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(p.a.n_inst, 1);
    uint32_t in = p.a.inst[0].in;
    assert_int_equal(ike_child_install_failed(p.a.e, in, p.now), 0);
    assert_int_equal(ike_child_install_failed(p.a.e, 0x12345678, p.now), KITE_E_NOT_FOUND);
    /* SPI 0 is the SPI index's empty mark, never one of ours: not found,
     * for every call that looks an SPI up (frag_fuzz crashed on it) */
    assert_int_equal(ike_child_install_failed(p.a.e, 0, p.now), KITE_E_NOT_FOUND);
    assert_int_equal(ike_child_expired(p.a.e, 0, false, p.now), KITE_E_NOT_FOUND);
    assert_int_equal(ike_child_expired(p.a.e, 0, true, p.now), KITE_E_NOT_FOUND);
    assert_int_equal(ike_child_inbound_seen(p.a.e, 0, p.now), KITE_E_NOT_FOUND);
    pair_run(&p, p.now + IKE_CHILD_GRACE_MS + 100);
    assert_int_equal(p.b.n_inst, 0); /* the peer was told */
    assert_int_equal(p.a.n_inst, 0);
    assert_non_null(strstr(p.a.log, "could not be installed in the data plane"));
    pair_run(&p, p.now + IKE_INSTALL_RETRY_MS + 1000);
    assert_int_equal(p.a.n_inst, 1);
    assert_int_equal(p.b.n_inst, 1);
    assert_true(p.a.inst[0].in != in);
    assert_int_equal(p.a.inst[0].out, p.b.inst[0].in);
    assert_int_equal(p.a.ike_down + p.b.ike_down, 0);
    pair_free(&p);
}

/* ---- the answer to the Delete of a rekeyed IKE SA lost ---- */

static int dropped_delete_answers;

static int drop_first_delete_answer(struct pair *p, struct side *from, struct ike_action *a)
{
    if (from != &p->b || dg_exchange(a) != IKEV2_EXCH_INFORMATIONAL || !dg_response(a) || dropped_delete_answers)
        return 0;
    dropped_delete_answers++;
    return 1;
}

/* a rekeys the IKE SA and deletes the old one; b answers and forgets it, but
 * the answer is lost: a's retransmission is answered from b's tomb, and a's
 * old IKE SA goes at once instead of after 165 s of retransmissions */
static void lost_delete_answer(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    pair_init(&p, &ca, &cb);
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    dropped_delete_answers = 0;
    p.filter = drop_first_delete_answer;
    h_est_sa(&p.a)->ike_rekey_at = p.now + 1;
    uint64_t t0 = p.now;
    pair_run(&p, p.now + 10000);
    assert_int_equal(dropped_delete_answers, 1);
    assert_int_equal(p.a.ike_rekeyed, 1);
    assert_int_equal(p.a.ike_down, 1); /* the old one, "rekeyed", after one retransmission */
    assert_string_equal(p.a.down_reason, "rekeyed");
    assert_true(p.now - t0 < 10000);
    assert_null(strstr(p.b.log, "no IKE SA for these SPIs"));
    assert_int_equal(stats(p.a.e).ike_sas, 1);
    /* the tomb goes after two minutes */
    assert_int_equal(p.b.e->n_tombs, 1);
    ike_tick(p.b.e, p.now + IKE_TOMB_MS + 1000);
    assert_int_equal(p.b.e->n_tombs, 0);
    pair_free(&p);
}

/* ---- log lines caused by unauthenticated packets ---- */

static void unauth_logs_limited(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    pair_init(&p, &ca, &cb);
    uint8_t junk[64];
    memset(junk, 0xa5, sizeof junk);
    struct ike_addr to = h_addr(2, 500), from = h_addr(66, 500);
    for (int i = 0; i < 1000; i++)
        ike_recv(p.b.e, junk, sizeof junk, &to, &from, p.now + (uint64_t)i);
    int lines = h_count(p.b.log, "dropping message");
    assert_true(lines <= 100 + 20);
    assert_true(lines >= 100);
    assert_true(stats(p.b.e).logs_suppressed >= 880);
    assert_int_equal(stats(p.b.e).dropped, 1000);
    /* the next line that gets through says how many were not written */
    ike_recv(p.b.e, junk, sizeof junk, &to, &from, p.now + 60000);
    assert_non_null(strstr(p.b.log, "log lines about unauthenticated packets suppressed"));
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cookie_only_response),
        cmocka_unit_test(cookies_end_to_end),
        cmocka_unit_test(cookie_rotation),
        cmocka_unit_test(spoofed_flood),
        cmocka_unit_test(block_threshold),
        cmocka_unit_test(bad_ke_costs_no_key_pair),
        cmocka_unit_test(actions_never_dropped),
        cmocka_unit_test(response_of_another_exchange),
        cmocka_unit_test(replayed_request_bounded),
        cmocka_unit_test(unanswered_request_keeps_msgid),
        cmocka_unit_test(keyingtries),
        cmocka_unit_test(install_failed_deletes_and_retries),
        cmocka_unit_test(lost_delete_answer),
        cmocka_unit_test(unauth_logs_limited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
