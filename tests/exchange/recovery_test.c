/* Recovery on a virtual clock: INVALID_SPI sent for ESP with an unknown SPI
 * (rate-limited) and acted on by dropping and re-creating the Child SA
 * (RFC 7296 1.5, 2.21); a fatal error notify in a CREATE_CHILD_SA or
 * INFORMATIONAL response deletes the IKE SA, a non-fatal one does not
 * (2.21.2); TEMPORARY_FAILURE for 5 minutes deletes the IKE SA (2.25);
 * inbound ESP counts as liveness, so no DPD request goes out while it flows
 * (2.4); a full Child SA table: NO_ADDITIONAL_SAS (3.10.1), no request sent,
 * and an answered SA that cannot be installed deleted again.
 *
 * White-box where a peer has to misbehave or lose state: the test reaches
 * into the engine (ike_int.h) to forge a response with the peer's keys, or
 * to drop a Child SA the way a peer that lost it would. */
#include "ike/ike_int.h" /* white-box: before harness.h, for h_est_sa */
#include "harness.h"

static const char *PSK = "recovery-test-psk-0123456789";

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

/* ESP from the peer for an SPI we do not know: INVALID_SPI over the IKE SA,
 * at most one per IKE SA per second, none for a host without an IKE SA; the
 * peer drops the named Child SA and creates it again */
static void invalid_spi(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    pair_init(&p, &ca, &cb);
    up(&p);
    struct ike_addr from_a = h_addr(1, 0), stranger = h_addr(9, 0);
    /* an SPI that is nobody's: b reports it, a has no such outbound SA and keeps its own */
    assert_int_equal(ike_esp_unknown_spi(p.b.e, 0x0badf00d, &from_a, p.now), 0);
    assert_int_equal(ike_esp_unknown_spi(p.b.e, 0x0badf00d, &from_a, p.now + 500), KITE_E_STATE);
    /* the limit is per IKE SA: rotating SPIs (spoofed ESP) draw no more */
    assert_int_equal(ike_esp_unknown_spi(p.b.e, 0x0badf00e, &from_a, p.now + 600), KITE_E_STATE);
    assert_int_equal(ike_esp_unknown_spi(p.b.e, 0x0badf00d, &stranger, p.now), KITE_E_NOT_FOUND);
    pair_run(&p, p.now + 10);
    assert_non_null(strstr(p.b.log, "generating INFORMATIONAL request 0 [ N(INVALID_SPI) ]"));
    assert_non_null(strstr(p.a.log, "received INVALID_SPI for SPI 0badf00d, which is not one of ours"));
    assert_int_equal(p.a.child_down, 0);

    /* b loses its Child SA (as a peer whose data plane dropped it would):
     * a's ESP now arrives with an SPI b does not know */
    uint32_t old_out = p.a.inst[0].out, old_in = p.a.inst[0].in;
    struct ikesa *sb = h_est_sa(&p.b);
    ike_child_remove(p.b.e, sb, ike_child_by_spi_in(sb, old_out), "lost (test)");
    pair_run(&p, p.now + 10);
    assert_int_equal(p.b.n_inst, 0);
    p.now += 1000; /* past the rate limit of the first report */
    assert_int_equal(ike_esp_unknown_spi(p.b.e, old_out, &from_a, p.now), 0);
    assert_int_equal(ike_esp_unknown_spi(p.b.e, old_out, &from_a, p.now + 1), KITE_E_STATE); /* rate limit */
    pair_run(&p, p.now + 1000);
    assert_non_null(strstr(p.a.log, "peer reports INVALID_SPI for our outbound SPI"));
    assert_non_null(strstr(p.a.log, "establishing CHILD_SA net"));
    /* a dropped the SA (data plane SA and route) and made a new one */
    assert_int_equal(p.a.child_down, 1);
    assert_int_equal(p.a.child_up, 2);
    assert_int_equal(p.b.child_up, 2);
    assert_int_equal(p.a.n_inst, 1);
    assert_int_equal(p.b.n_inst, 1);
    assert_true(p.a.inst[0].in != old_in && p.a.inst[0].out != old_out);
    assert_int_equal(p.a.inst[0].out, p.b.inst[0].in);
    assert_int_equal(p.a.inst[0].in, p.b.inst[0].out);
    assert_memory_equal(p.a.inst[0].encr_out, p.b.inst[0].encr_in, p.a.inst[0].key_len);
    assert_int_equal(p.a.ike_down + p.b.ike_down, 0);
    pair_free(&p);
}

/* ---- a response carrying an error notify, forged with the peer's keys ---- */

static uint8_t forge_exchange;
static uint16_t forge_type;
static int forged;
static bool forge_all;

static int forge_error(struct pair *p, struct side *from, struct ike_action *a)
{
    if (from != &p->b || dg_exchange(a) != forge_exchange || !dg_response(a) || (forged && !forge_all))
        return 0;
    struct ikesa *sb = h_est_sa(&p->b);
    struct ike_hdr h;
    struct ike_pld n;
    ike_hdr_for(sb, forge_exchange, true, dg_msgid(a), &h);
    pld_notify(&n, forge_type, NULL, 0);
    assert_int_equal(ike_encode_sk(sb, &h, &n, 1, a->data, sizeof a->data, &a->len), 0);
    forged++;
    return 0;
}

static void error_in_response(uint8_t exchange, uint16_t type, bool fatal)
{
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    ca.dpd_delay_ms = 10000;
    pair_init(&p, &ca, &cb);
    up(&p);
    forge_exchange = exchange;
    forge_type = type;
    forged = 0;
    forge_all = false;
    p.filter = forge_error;
    if (exchange == IKEV2_EXCH_CREATE_CHILD_SA) /* a Child SA rekey */
        assert_int_equal(ike_child_expired(p.a.e, p.a.inst[0].in, false, p.now), 0);
    pair_run(&p, p.now + 10500); /* the liveness check after 10 s */
    assert_int_equal(forged, 1);
    if (fatal) {
        /* a deleted the IKE SA, and told b */
        assert_int_equal(p.a.ike_down, 1);
        assert_non_null(strstr(p.a.down_reason, ike_notify_name(type)));
        assert_int_equal(p.b.ike_down, 1);
        assert_string_equal(p.b.down_reason, "deleted by the peer");
        assert_int_equal(p.a.n_inst + p.b.n_inst, 0);
    } else {
        assert_int_equal(p.a.ike_down + p.b.ike_down, 0);
        assert_int_equal(p.a.n_inst, 1);
        assert_non_null(strstr(p.a.log, "rekey failed"));
    }
    pair_free(&p);
}

static void fatal_errors_delete_the_ike_sa(void **s)
{
    (void)s;
    error_in_response(IKEV2_EXCH_CREATE_CHILD_SA, IKEV2_N_INVALID_SYNTAX, true);
    error_in_response(IKEV2_EXCH_INFORMATIONAL, IKEV2_N_INVALID_SYNTAX, true);
    error_in_response(IKEV2_EXCH_CREATE_CHILD_SA, IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD, true);
    /* not fatal: the rekey fails, the IKE SA and the old Child SA stay */
    error_in_response(IKEV2_EXCH_CREATE_CHILD_SA, IKEV2_N_NO_PROPOSAL_CHOSEN, false);
}

/* the peer answers every Child SA rekey with TEMPORARY_FAILURE: kite
 * retries every 10 s, and after 5 minutes of nothing else concludes that
 * the two ends are out of sync and deletes the IKE SA (2.25) */
static void temporary_failure_for_minutes(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    pair_init(&p, &ca, &cb);
    up(&p);
    forge_exchange = IKEV2_EXCH_CREATE_CHILD_SA;
    forge_type = IKEV2_N_TEMPORARY_FAILURE;
    forged = 0;
    forge_all = true;
    p.filter = forge_error;
    uint64_t t0 = p.now;
    assert_int_equal(ike_child_expired(p.a.e, p.a.inst[0].in, false, p.now), 0);
    pair_run(&p, t0 + 299 * 1000);
    assert_int_equal(p.a.ike_down, 0);
    assert_true(forged >= 29); /* one try every 10 s */
    assert_int_equal(p.a.n_inst, 1); /* the old SA still carries traffic */
    pair_run(&p, t0 + 320 * 1000);
    assert_int_equal(p.a.ike_down, 1);
    assert_non_null(strstr(p.a.down_reason, "TEMPORARY_FAILURE to every CREATE_CHILD_SA"));
    assert_int_equal(p.b.ike_down, 1); /* told with a Delete */
    pair_free(&p);
}

/* dpd_delay 10 s: while ESP arrives every 3 s no liveness check goes out;
 * once it stops, the check follows dpd_delay after the last packet */
static void esp_counts_as_liveness(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    ca.dpd_delay_ms = 10000;
    pair_init(&p, &ca, &cb);
    up(&p);
    uint32_t spi = p.a.inst[0].in;
    assert_int_equal(ike_child_inbound_seen(p.a.e, 0x12345678, p.now), KITE_E_NOT_FOUND);
    uint64_t t = p.now;
    for (int i = 0; i < 20; i++) { /* a minute of traffic from b */
        t += 3000;
        pair_run(&p, t);
        p.now = t;
        assert_int_equal(ike_child_inbound_seen(p.a.e, spi, t), 0);
    }
    assert_int_equal(h_count(p.a.log, "sending DPD request"), 0);
    uint64_t last = t;
    pair_run(&p, last + 9999);
    assert_int_equal(h_count(p.a.log, "sending DPD request"), 0);
    pair_run(&p, last + 10000);
    assert_int_equal(h_count(p.a.log, "sending DPD request"), 1);
    assert_int_equal(p.a.ike_down, 0);
    pair_free(&p);
}

/* ---- a full Child SA table (RFC 7296 1.3, 3.10.1) ---- */

/* every free Child SA slot of sa taken by a retired SA that goes at gone_at */
static void fill(struct ikesa *sa, uint64_t gone_at)
{
    sa->child_max = 10; /* max_child_sas of 10: its slots allocated, as ike_child_install does */
    while ((uint32_t)ike_child_slots(sa) < sa->child_max)
        assert_int_equal(ike_sa_child_grow(sa), 0);
    for (int i = 0; i < ike_child_slots(sa); i++)
        if (!ike_sa_child(sa, i)->up)
            *ike_sa_child(sa, i) = (struct ike_child_st){ .up = true, .spi_in = 0x0f000000u + (uint32_t)i,
                                                     .spi_out = 0x0e000000u + (uint32_t)i, .gone_at = gone_at };
}

static struct ike_conn_cfg conn2(uint8_t me, uint8_t peer)
{
    struct ike_conn_cfg c = conn(me, peer);
    c.n_children = 2;
    h_child_copy(&c.child[1], &c.child[0]);
    snprintf(c.child[1].name, sizeof c.child[1].name, "net2");
    c.child[1].local_ts[0] = h_ts(10, (uint8_t)(me + 10), 0, 24);
    c.child[1].remote_ts[0] = h_ts(10, (uint8_t)(peer + 10), 0, 24);
    return c;
}

/* the responder has no free slot: a rekey and a new Child SA are refused
 * with NO_ADDITIONAL_SAS before anything is installed; the initiator keeps
 * the old SA, tries both again in 60 s, and they succeed once slots are free.
 * An initiator without a free slot sends no request and tries again in 10 s */
static void no_additional_sas(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn2(1, 2), cb = conn2(2, 1);
    pair_init(&p, &ca, &cb);
    up(&p);
    struct ikesa *sa = h_est_sa(&p.a), *sb = h_est_sa(&p.b);
    uint32_t out = p.a.inst[0].out;
    uint64_t t0 = p.now;
    fill(sb, t0 + 90000);
    ike_child_by_spi_in(sa, p.a.inst[0].in)->rekey_at = p.now + 1;
    pair_run(&p, p.now + 1000);
    assert_non_null(strstr(p.b.log, "CHILD_SA net: no free CHILD_SA slot on this IKE_SA (10), sending NO_ADDITIONAL_SAS"));
    assert_non_null(strstr(p.a.log, "CHILD_SA net rekey failed: received NO_ADDITIONAL_SAS; keeping the old SA"));
    assert_int_equal(ike_initiate(p.a.e, "lab", "net2", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_non_null(strstr(p.a.log, "CHILD_SA net2 not established: received NO_ADDITIONAL_SAS; the peer has no room "
                                    "for more CHILD_SAs, retrying in 60s"));
    assert_int_equal(h_count(p.b.log, "sending NO_ADDITIONAL_SAS"), 2);
    assert_null(strstr(p.b.log, "not installed"));
    assert_int_equal(p.a.child_up, 1);
    assert_int_equal(p.b.child_up, 1);
    assert_int_equal(p.a.inst[0].out, out); /* the old SA carries on */
    /* 60 s later b is still full: refused again; its slots free at 90 s */
    pair_run(&p, t0 + 61000 + 1000);
    assert_int_equal(h_count(p.b.log, "sending NO_ADDITIONAL_SAS"), 4);
    pair_run(&p, t0 + 125000);
    assert_int_equal(h_count(p.b.log, "sending NO_ADDITIONAL_SAS"), 4);
    assert_int_equal(p.a.child_up, 3); /* net rekeyed, net2 created */
    assert_int_equal(p.b.child_up, 3);
    pair_run(&p, p.now + IKE_CHILD_GRACE_MS + 10);
    assert_int_equal(p.a.n_inst, 2);
    assert_int_equal(p.b.n_inst, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(p.a.inst[i].out, p.b.inst[i].in);
        assert_int_equal(p.a.inst[i].in, p.b.inst[i].out);
    }
    /* now a is full: no request leaves, it is tried again every 10 s */
    uint64_t t1 = p.now;
    ike_child_by_spi_in(sa, p.a.inst[0].in)->rekey_at = p.now + 1;
    fill(sa, t1 + 25000);
    int sent = p.sent;
    pair_run(&p, t1 + 1000);
    assert_int_equal(p.sent, sent);
    assert_non_null(strstr(p.a.log, "no free CHILD_SA slot on this IKE_SA (10) to rekey CHILD_SA net"));
    pair_run(&p, t1 + 40000);
    assert_int_equal(h_count(p.a.log, ", retrying in 10s"), 3); /* at 0, 10 and 20 s */
    assert_int_equal(p.a.child_up, 4); /* at 30 s */
    assert_int_equal(p.a.ike_down + p.b.ike_down, 0);
    pair_free(&p);
}

/* ---- our answer arrives and we have no slot after all ---- */

static int fill_at_answer;

static int fill_before_answer(struct pair *p, struct side *from, struct ike_action *a)
{
    if (from == &p->b && dg_exchange(a) == IKEV2_EXCH_CREATE_CHILD_SA && dg_response(a) && !fill_at_answer++)
        fill(h_est_sa(&p->a), p->now + 5000);
    return 0;
}

/* the peer answered a rekey and installed the new SA, which we cannot: we
 * delete it, the peer keeps the old SA as not replaced, and the rekey is
 * done 10 s later */
static void install_failure_deletes(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    pair_init(&p, &ca, &cb);
    up(&p);
    struct ikesa *sa = h_est_sa(&p.a);
    uint32_t out = p.a.inst[0].out, in = p.a.inst[0].in;
    fill_at_answer = 0;
    p.filter = fill_before_answer;
    ike_child_by_spi_in(sa, in)->rekey_at = p.now + 1;
    pair_run(&p, p.now + 1000);
    assert_non_null(strstr(p.a.log, "CHILD_SA net answered but not installed, deleting it"));
    assert_non_null(strstr(p.b.log, "stays: the SA replacing it was deleted"));
    assert_int_equal(p.a.child_up, 1);
    assert_int_equal(p.b.child_up, 2);
    assert_int_equal(p.b.n_inst, 1); /* the new one went again */
    assert_int_equal(p.b.inst[0].in, out);
    assert_int_equal(p.a.inst[0].out, out);
    pair_run(&p, p.now + 15000);
    assert_null(strstr(p.b.log, "TEMPORARY_FAILURE"));
    assert_int_equal(p.a.child_up, 2);
    assert_int_equal(p.b.child_up, 3);
    pair_run(&p, p.now + IKE_CHILD_GRACE_MS + 10);
    assert_int_equal(p.a.n_inst, 1);
    assert_int_equal(p.b.n_inst, 1);
    assert_true(p.a.inst[0].in != in);
    assert_int_equal(p.a.inst[0].out, p.b.inst[0].in);
    assert_int_equal(p.a.inst[0].in, p.b.inst[0].out);
    assert_int_equal(p.a.ike_down + p.b.ike_down, 0);
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(invalid_spi),
        cmocka_unit_test(fatal_errors_delete_the_ike_sa),
        cmocka_unit_test(esp_counts_as_liveness),
        cmocka_unit_test(temporary_failure_for_minutes),
        cmocka_unit_test(no_additional_sas),
        cmocka_unit_test(install_failure_deletes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
