/* The key exchange's key pair is freed once the shared secret is made
 * (issue 13: about 360 bytes of OpenSSL per established IKE SA were held for
 * nothing).  Checked on both sides as the IKE_AUTH request leaves, i.e.
 * right after IKE_SA_INIT: the responder's once its response is built (a
 * retransmitted request gets the kept response), the initiator's once the
 * response is used.  The paths that still need the key are checked to work:
 * a lost IKE_SA_INIT response (the retransmitted request answered from the
 * cache), INVALID_KE_PAYLOAD (a new key pair), a COOKIE (the same KE value
 * again); and after an IKE SA rekey and a Child SA rekey with PFS (RFC 7296
 * 1.3.2, 1.3.3) no key pair is left on either side. */
#include "ike/ike_int.h"
#include "harness.h"

static const char *PSK = "ke-release-test-psk-0123456789";

/* key pairs held by the side's IKE SAs: the IKE_SA_INIT one, an IKE rekey's
 * and a Child SA exchange's */
static int held_keys(const struct side *s)
{
    int n = 0;
    for (unsigned i = 0; i < s->e->n_slots; i++) {
        const struct ikesa *sa = ike_sa_at(s->e, i);
        if (sa)
            n += (sa->ke.key != NULL) + (sa->irk.ke.key != NULL) + (sa->rk.ke.key != NULL);
    }
    return n;
}

static int init_requests_seen, auth_requests_seen;

/* as each IKE_SA_INIT request leaves a, a has its key pair; as the IKE_AUTH
 * request leaves, neither side has one */
static int watch(struct pair *p, struct side *from, struct ike_action *a)
{
    if (from != &p->a || dg_response(a))
        return 0;
    if (dg_exchange(a) == IKEV2_EXCH_IKE_SA_INIT) {
        init_requests_seen++;
        assert_int_equal(held_keys(&p->a), 1);
    }
    if (dg_exchange(a) == IKEV2_EXCH_IKE_AUTH && dg_msgid(a) == 1) {
        auth_requests_seen++;
        assert_int_equal(held_keys(&p->a), 0);
        assert_int_equal(held_keys(&p->b), 0);
    }
    return 0;
}

static void run_watched(struct pair *p)
{
    init_requests_seen = auth_requests_seen = 0;
    p->filter = watch;
    assert_int_equal(ike_initiate(p->a.e, "lab", "net", p->now), 0);
    pair_run(p, p->now + 60000);
    assert_int_equal(p->a.ike_up, 1);
    assert_int_equal(p->b.ike_up, 1);
    assert_int_equal(p->a.child_up, 1);
    assert_true(auth_requests_seen >= 1);
    assert_int_equal(held_keys(&p->a), 0);
    assert_int_equal(held_keys(&p->b), 0);
}

/* two engines with the same proposals, PSK */
static void pair_same(struct pair *p, const char *ike, const char *esp)
{
    struct ike_conn_cfg ca = h_conn(1, 2, ike, esp, PSK), cb = h_conn(2, 1, ike, esp, PSK);
    pair_init(p, &ca, &cb);
}

static void freed_after_ike_sa_init(const char *ike)
{
    struct pair p;
    pair_same(&p, ike, "aes128gcm16");
    run_watched(&p);
    assert_int_equal(init_requests_seen, 1);
    pair_free(&p);
}

static void freed_x25519(void **s)
{
    (void)s;
    freed_after_ike_sa_init("aes128gcm16 prfsha256 x25519");
}

static void freed_ecp_and_modp(void **s)
{
    (void)s;
    freed_after_ike_sa_init("aes128gcm16 prfsha256 ecp256");
    freed_after_ike_sa_init("aes128 sha256 prfsha256 modp2048");
}

/* the IKE_SA_INIT response lost: the retransmitted request is answered from
 * the responder's cache, which needs no key pair */
static void lost_response_answered_from_cache(void **s)
{
    (void)s;
    struct pair p;
    struct ike_stats sb;
    pair_same(&p, "aes128gcm16 prfsha256 x25519", "aes128gcm16");
    p.drop_nth[0] = 2;
    run_watched(&p);
    assert_int_equal(init_requests_seen, 2);
    ike_engine_stats(p.b.e, &sb);
    assert_int_equal(sb.cached_replies, 1);
    assert_int_equal(sb.ike_sas, 1);
    pair_free(&p);
}

/* INVALID_KE_PAYLOAD: the initiator's second request has a new key pair
 * of the group asked for */
static void invalid_ke_retry(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca = h_conn(1, 2, "aes128gcm16 prfsha256 x25519 ecp256", "aes128gcm16", PSK);
    struct ike_conn_cfg cb = h_conn(2, 1, "aes128gcm16 prfsha256 ecp256", "aes128gcm16", PSK);
    pair_init(&p, &ca, &cb);
    run_watched(&p);
    assert_int_equal(init_requests_seen, 2);
    assert_non_null(strstr(p.a.log, "it requested 19"));
    pair_free(&p);
}

/* a responder that wants a COOKIE: the same KE value again, so the key pair
 * is kept across the COOKIE round trip */
static void cookie_retry(void **s)
{
    (void)s;
    struct pair p;
    struct ike_limits l;
    pair_same(&p, "aes128gcm16 prfsha256 x25519", "aes128gcm16");
    ike_limits_default(&l);
    l.cookie_threshold = 0; /* always */
    assert_int_equal(ike_engine_set_limits(p.b.e, &l), 0);
    run_watched(&p);
    assert_int_equal(init_requests_seen, 2);
    pair_free(&p);
}

/* an IKE SA rekey and a Child SA rekey with PFS leave no key pair */
static void none_after_rekeys(void **s)
{
    (void)s;
    struct pair p;
    const char *ike = "aes128gcm16 prfsha256 x25519", *esp = "aes128gcm16 x25519";
    struct ike_conn_cfg ca = h_conn(1, 2, ike, esp, PSK), cb = h_conn(2, 1, ike, esp, PSK);
    ca.rekey_time_s = 3600;
    ca.child[0].rekey_time_s = 1000;
    pair_init(&p, &ca, &cb);
    run_watched(&p);
    pair_run(&p, p.now + 3601 * 1000);
    assert_true(p.a.ike_rekeyed + p.b.ike_rekeyed >= 1);
    assert_true(p.a.child_up >= 3); /* the Child SA rekeyed at least twice */
    assert_non_null(strstr(p.a.log, "with a new key exchange"));
    assert_int_equal(held_keys(&p.a), 0);
    assert_int_equal(held_keys(&p.b), 0);
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(freed_x25519),
        cmocka_unit_test(freed_ecp_and_modp),
        cmocka_unit_test(lost_response_answered_from_cache),
        cmocka_unit_test(invalid_ke_retry),
        cmocka_unit_test(cookie_retry),
        cmocka_unit_test(none_after_rekeys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
