/* Two engines, one virtual clock: IKE_SA_INIT + IKE_AUTH with PSK and the
 * first Child SA, and what goes wrong on the way.
 *
 *  HDR, SAi1, KEi, Ni, N(NATD_S_IP), N(NATD_D_IP), N(HASH_ALG)  -->
 *                               <--  HDR, SAr1, KEr, Nr, N(NATD_*), N(HASH_ALG)
 *  HDR, SK{IDi, N(INITIAL_CONTACT), IDr, AUTH, SAi2, TSi, TSr}  -->
 *                               <--  HDR, SK{IDr, AUTH, SAr2, TSi, TSr}      */
#include "harness.h"

static const char *PSK = "interop-test-psk-0123456789";

static void assert_child_pair(const struct pair *p)
{
    const struct ike_child_sa *a = &p->a.child, *b = &p->b.child;
    assert_int_equal(p->a.ike_up, 1);
    assert_int_equal(p->b.ike_up, 1);
    assert_int_equal(p->a.child_up, 1);
    assert_int_equal(p->b.child_up, 1);
    assert_int_equal(p->a.ike_down + p->b.ike_down, 0);
    /* my inbound SPI is the peer's outbound, and the keys likewise (2.17) */
    assert_int_equal(a->spi_in, b->spi_out);
    assert_int_equal(a->spi_out, b->spi_in);
    assert_true(a->spi_in != a->spi_out);
    assert_int_equal(a->encr, b->encr);
    assert_int_equal(a->integ, b->integ);
    assert_int_equal(a->key_len, b->key_len);
    assert_true(a->key_len > 0);
    assert_bytes_equal(a->encr_in, b->encr_out, a->key_len);
    assert_bytes_equal(a->encr_out, b->encr_in, a->key_len);
    assert_false(memcmp(a->encr_in, a->encr_out, a->key_len) == 0);
    assert_int_equal(a->integ_len, b->integ_len);
    if (a->integ_len)
        assert_bytes_equal(a->integ_in, b->integ_out, a->integ_len);
}

static void handshake(const char *ike, const char *esp, uint16_t encr, uint16_t integ)
{
    struct pair p;
    struct ike_conn_cfg ca = h_conn(1, 2, ike, esp, PSK), cb = h_conn(2, 1, ike, esp, PSK);
    pair_init(&p, &ca, &cb);
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_child_pair(&p);
    assert_int_equal(p.a.child.encr, encr);
    assert_int_equal(p.a.child.integ, integ);
    assert_false(p.a.child.encap); /* no NAT between the two, and none detected */
    assert_null(strstr(p.a.log, "behind NAT"));
    assert_null(strstr(p.b.log, "behind NAT"));
    assert_int_equal(p.sent, 4);
    pair_free(&p);
}

static void suite_aes256gcm16_x25519(void **s)
{
    (void)s;
    handshake("aes256gcm16 prfsha256 x25519", "aes256gcm16", ENCR_AES_GCM_16, 0);
}

static void suite_aes128_sha256_modp2048(void **s)
{
    (void)s;
    handshake("aes128 sha256 prfsha256 modp2048", "aes128gcm16", ENCR_AES_GCM_16, 0);
}

static void suite_aes256_sha384_ecp384(void **s)
{
    (void)s;
    handshake("aes256 sha384 prfsha384 ecp384", "chacha20poly1305", ENCR_CHACHA20_POLY1305, 0);
}

static void suite_chacha20poly1305_x25519(void **s)
{
    (void)s;
    handshake("chacha20poly1305 prfsha256 x25519", "aes256 sha256", ENCR_AES_CBC, AUTH_HMAC_SHA2_256_128);
}

static void setup_default(struct pair *p, const char *psk_b)
{
    struct ike_conn_cfg ca = h_conn(1, 2, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    struct ike_conn_cfg cb = h_conn(2, 1, "aes256gcm16 prfsha256 x25519", "aes256gcm16", psk_b);
    pair_init(p, &ca, &cb);
}

static void first_request_lost(void **s)
{
    (void)s;
    struct pair p;
    struct ike_stats st;
    setup_default(&p, PSK);
    p.drop_nth[0] = 1;
    uint64_t t0 = p.now;
    ike_initiate(p.a.e, "lab", NULL, p.now);
    pair_run(&p, p.now + 60000);
    assert_child_pair(&p);
    ike_engine_stats(p.a.e, &st);
    assert_int_equal(st.retransmits, 1);
    assert_true(p.now >= t0 + 4000); /* retransmitted after retransmit_timeout */
    pair_free(&p);
}

static void responses_lost_answered_from_cache(void **s)
{
    (void)s;
    struct pair p;
    struct ike_stats sa, sb;
    setup_default(&p, PSK);
    p.drop_nth[0] = 2; /* IKE_SA_INIT response */
    p.drop_nth[1] = 6; /* IKE_AUTH response (datagrams 3-4 were the retransmitted IKE_SA_INIT) */
    ike_initiate(p.a.e, "lab", NULL, p.now);
    pair_run(&p, p.now + 60000);
    assert_child_pair(&p);
    ike_engine_stats(p.a.e, &sa);
    ike_engine_stats(p.b.e, &sb);
    assert_int_equal(sa.retransmits, 2);
    assert_int_equal(sb.cached_replies, 2); /* not processed again */
    assert_int_equal(sb.ike_sas, 1);        /* only one IKE SA was created */
    assert_int_equal(p.b.child_up, 1);
    pair_free(&p);
}

static void duplicated_and_reordered(void **s)
{
    (void)s;
    struct pair p;
    struct ike_stats sb;
    setup_default(&p, PSK);
    p.dup_nth = 1;  /* IKE_SA_INIT request twice */
    p.hold_nth = 2; /* the response held back, delivered after the next datagram */
    p.drop_nth[0] = 4;
    ike_initiate(p.a.e, "lab", NULL, p.now);
    pair_run(&p, p.now + 60000);
    /* the duplicate IKE_SA_INIT got the cached response (datagram 3, which
     * overtook the held one); the held original then arrived as a duplicate
     * response and was dropped */
    assert_child_pair(&p);
    ike_engine_stats(p.b.e, &sb);
    assert_int_equal(sb.ike_sas, 1);
    assert_true(sb.cached_replies >= 1);
    pair_free(&p);
}

static void wrong_psk(void **s)
{
    (void)s;
    struct pair p;
    setup_default(&p, "a-different-psk");
    ike_initiate(p.a.e, "lab", NULL, p.now);
    pair_run(&p, p.now + 60000);
    assert_int_equal(p.a.child_up + p.b.child_up, 0);
    assert_int_equal(p.a.ike_up + p.b.ike_up, 0);
    assert_int_equal(p.a.ike_down, 1);
    assert_int_equal(p.b.ike_down, 1);
    assert_non_null(strstr(p.a.down_reason, "AUTHENTICATION_FAILED"));
    assert_non_null(strstr(p.b.log, "sending AUTHENTICATION_FAILED"));
    pair_free(&p);
}

/* b accepts a, but a does not accept b's identity: a tells b with an
 * INFORMATIONAL AUTHENTICATION_FAILED (2.21.2), and b, which had the IKE SA
 * and its Child SA up, takes both down */
static void initiator_rejects_the_responder(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = h_conn(1, 2, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    struct ike_conn_cfg cb = h_conn(2, 1, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    /* a expects a name under .other; b says it is 192.0.2.2.  A pattern is
     * not sent as IDr, so b, which would refuse an IDr that is not its
     * local.id (connsel.c), accepts a */
    ca.remote_id.type = IKEV2_ID_FQDN;
    ca.remote_id.len = 7;
    memcpy(ca.remote_id.data, "*.other", 7);
    pair_init(&p, &ca, &cb);
    ike_initiate(p.a.e, "lab", NULL, p.now);
    pair_run(&p, p.now + 60000);
    assert_int_equal(p.a.ike_up, 0);
    assert_int_equal(p.a.child_up, 0);
    assert_int_equal(p.b.ike_up, 1); /* b had accepted a */
    assert_int_equal(p.b.child_up, 1);
    assert_non_null(strstr(p.a.log, "generating INFORMATIONAL request 2 [ N(AUTH_FAILED) ]"));
    assert_int_equal(p.a.ike_down, 1);
    assert_int_equal(p.b.ike_down, 1);
    assert_non_null(strstr(p.b.down_reason, "AUTHENTICATION_FAILED"));
    assert_int_equal(p.b.n_inst, 0);
    pair_free(&p);
}

/* a Child SA refused in IKE_AUTH for its proposals: the responder's log
 * names what the peer offered and what it has (issue 15: OS clients) */
static void child_proposals_logged(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = h_conn(1, 2, "aes256gcm16 prfsha256 x25519", "aes128 sha256", PSK);
    struct ike_conn_cfg cb = h_conn(2, 1, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    pair_init(&p, &ca, &cb);
    ike_initiate(p.a.e, "lab", NULL, p.now);
    pair_run(&p, p.now + 5000);
    assert_non_null(strstr(p.b.log, "sending NO_PROPOSAL_CHOSEN"));
    if (!strstr(p.b.log, "received proposals for CHILD_SA net: ESP:AES_CBC_128/AUTH_HMAC_SHA2_256_128"))
        fail_msg("no offer logged:\n%s", p.b.log);
    assert_non_null(strstr(p.b.log, "configured proposals for CHILD_SA net: ESP:AES_GCM_16_256"));
    assert_int_equal(p.b.n_inst, 0);
    pair_free(&p);
}

static void disjoint_proposals(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = h_conn(1, 2, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    struct ike_conn_cfg cb = h_conn(2, 1, "aes128 sha256 prfsha256 x25519", "aes256gcm16", PSK);
    pair_init(&p, &ca, &cb);
    ike_initiate(p.a.e, "lab", NULL, p.now);
    pair_run(&p, p.now + 60000);
    assert_int_equal(p.a.ike_down, 1);
    assert_non_null(strstr(p.a.down_reason, "NO_PROPOSAL_CHOSEN"));
    assert_non_null(strstr(p.b.log, "sending NO_PROPOSAL_CHOSEN"));
    struct ike_stats sb;
    ike_engine_stats(p.b.e, &sb);
    assert_int_equal(sb.ike_sas, 0); /* no state for a refused IKE_SA_INIT */
    pair_free(&p);
}

static void invalid_ke_then_retry(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = h_conn(1, 2, "aes256gcm16 prfsha256 x25519 ecp256", "aes256gcm16", PSK);
    struct ike_conn_cfg cb = h_conn(2, 1, "aes256gcm16 prfsha256 ecp256", "aes256gcm16", PSK);
    pair_init(&p, &ca, &cb);
    ike_initiate(p.a.e, "lab", NULL, p.now);
    pair_run(&p, p.now + 60000);
    assert_child_pair(&p);
    assert_int_equal(p.sent, 6); /* INIT, INVALID_KE, INIT again, its response, IKE_AUTH pair */
    assert_non_null(strstr(p.a.log, "it requested 19"));
    assert_non_null(strstr(p.b.log, "requesting 19"));
    pair_free(&p);
}

static void narrowed_selectors(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = h_conn(1, 2, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    struct ike_conn_cfg cb = h_conn(2, 1, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    ca.child[0].local_ts[0] = h_ts(10, 1, 0, 16);   /* 10.1.0.0/16 */
    ca.child[0].remote_ts[0] = h_ts(10, 2, 0, 16);  /* 10.2.0.0/16 */
    cb.child[0].remote_ts[0] = h_ts(10, 1, 1, 24);  /* only 10.1.1.0/24 */
    cb.child[0].local_ts[0] = h_ts(10, 2, 0, 24);   /* only 10.2.0.0/24 */
    pair_init(&p, &ca, &cb);
    ike_initiate(p.a.e, "lab", NULL, p.now);
    pair_run(&p, p.now + 60000);
    assert_child_pair(&p);
    struct ike_ts_cfg want_l = h_ts(10, 1, 1, 24), want_r = h_ts(10, 2, 0, 24);
    assert_bytes_equal(&p.a.child.local_ts, &want_l, sizeof want_l);
    assert_bytes_equal(&p.a.child.remote_ts, &want_r, sizeof want_r);
    assert_bytes_equal(&p.b.child.remote_ts, &want_l, sizeof want_l);
    assert_bytes_equal(&p.b.child.local_ts, &want_r, sizeof want_r);
    pair_free(&p);
}

static void ts_unacceptable(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = h_conn(1, 2, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    struct ike_conn_cfg cb = h_conn(2, 1, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    cb.child[0].remote_ts[0] = h_ts(10, 9, 0, 24); /* does not overlap 10.1.0.0/24 */
    pair_init(&p, &ca, &cb);
    ike_initiate(p.a.e, "lab", NULL, p.now);
    pair_run(&p, p.now + 60000);
    assert_int_equal(p.a.child_up + p.b.child_up, 0);
    assert_int_equal(p.a.ike_down, 1);
    assert_non_null(strstr(p.a.down_reason, "TS_UNACCEPTABLE"));
    assert_non_null(strstr(p.b.log, "sending TS_UNACCEPTABLE"));
    pair_free(&p);
}

static void transport_mode(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = h_conn(1, 2, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    struct ike_conn_cfg cb = h_conn(2, 1, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    ca.child[0].transport = cb.child[0].transport = true;
    pair_init(&p, &ca, &cb);
    ike_initiate(p.a.e, "lab", NULL, p.now);
    pair_run(&p, p.now + 60000);
    assert_child_pair(&p);
    assert_true(p.a.child.transport);
    assert_true(p.b.child.transport);
    pair_free(&p);
}

static void forced_encapsulation_floats_to_4500(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = h_conn(1, 2, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    struct ike_conn_cfg cb = h_conn(2, 1, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    ca.encap = true; /* like strongSwan's encap = yes (and its kernel-libipsec) */
    pair_init(&p, &ca, &cb);
    ike_initiate(p.a.e, "lab", NULL, p.now);
    pair_run(&p, p.now + 60000);
    assert_child_pair(&p);
    assert_true(p.a.child.encap);
    assert_true(p.b.child.encap);
    assert_int_equal(p.a.child.remote.port, 4500);
    assert_int_equal(p.b.child.remote.port, 4500);
    assert_int_equal(p.b.child.local.port, 4500);
    assert_non_null(strstr(p.b.log, "remote host is behind NAT"));
    pair_free(&p);
}

static void retransmissions_exhausted(void **s)
{
    (void)s;
    struct pair p;
    struct ike_stats st;
    setup_default(&p, PSK);
    for (int i = 0; i < 8; i++)
        p.drop_nth[i] = i + 1; /* nothing gets through */
    uint64_t t0 = p.now;
    ike_initiate(p.a.e, "lab", NULL, p.now);
    pair_run(&p, p.now + 600000);
    ike_engine_stats(p.a.e, &st);
    assert_int_equal(st.retransmits, 5);
    assert_int_equal(p.a.ike_down, 1);
    assert_non_null(strstr(p.a.down_reason, "giving up after 5 retransmits"));
    /* strongSwan's schedule: 4 s * 1.8^n for n = 0..5, summed: 165.06 s */
    uint64_t want = 4000 + 7200 + 12960 + 23328 + 41990 + 75582;
    assert_true(p.now - t0 >= want - 5 && p.now - t0 <= want + 5);
    pair_free(&p);
}

static void half_open_times_out(void **s)
{
    (void)s;
    struct pair p;
    setup_default(&p, PSK);
    for (int i = 0; i < 6; i++)
        p.drop_nth[i] = i + 3; /* IKE_AUTH never arrives */
    ike_initiate(p.a.e, "lab", NULL, p.now);
    pair_run(&p, p.now + 600000);
    assert_int_equal(p.b.ike_down, 1);
    assert_non_null(strstr(p.b.down_reason, "half-open"));
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(suite_aes256gcm16_x25519),
        cmocka_unit_test(suite_aes128_sha256_modp2048),
        cmocka_unit_test(suite_aes256_sha384_ecp384),
        cmocka_unit_test(suite_chacha20poly1305_x25519),
        cmocka_unit_test(first_request_lost),
        cmocka_unit_test(responses_lost_answered_from_cache),
        cmocka_unit_test(duplicated_and_reordered),
        cmocka_unit_test(wrong_psk),
        cmocka_unit_test(initiator_rejects_the_responder),
        cmocka_unit_test(disjoint_proposals), cmocka_unit_test(child_proposals_logged),
        cmocka_unit_test(invalid_ke_then_retry),
        cmocka_unit_test(narrowed_selectors),
        cmocka_unit_test(ts_unacceptable),
        cmocka_unit_test(transport_mode),
        cmocka_unit_test(forced_encapsulation_floats_to_4500),
        cmocka_unit_test(retransmissions_exhausted),
        cmocka_unit_test(half_open_times_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
