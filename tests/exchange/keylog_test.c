/* The engine's side of kited --keylog (ike/keylog.c): with key logging on,
 * each side hands out an IKE SA's keys (IKE_ACT_IKE_KEYS) once they are
 * derived and before an IKE_AUTH message leaves, so a capture of IKE_AUTH can
 * be decrypted, and again for the IKE SA a rekey makes (2.18); the keys are
 * the SA's own (SK_ei/er with the AEAD salt, SK_ai/ar) and both sides agree.
 * Off (the default): no action carries a key of an IKE SA. */
#include "ike/ike_int.h"
#include "harness.h"

static const char *PSK = "keylog-test-psk-0123456789";

/* every IKE_AUTH message must leave after its sender logged the keys */
static int auth_after_keys(struct pair *p, struct side *from, struct ike_action *a)
{
    (void)p;
    if (dg_exchange(a) == IKEV2_EXCH_IKE_AUTH && from->ike_keys < 1)
        fail_msg("an IKE_AUTH %s left before its keys were logged", dg_response(a) ? "response" : "request");
    return 0;
}

static void same_keys(const struct ike_sa_keys *k, struct side *s)
{
    const struct ikesa *sa = h_est_sa(s);
    assert_non_null(sa);
    assert_memory_equal(k->spi_i, sa->spi_i, 8);
    assert_memory_equal(k->spi_r, sa->spi_r, 8);
    assert_int_equal(k->ek_len, sa->keys.sk_ei.n);
    assert_memory_equal(k->sk_ei, sa->keys.sk_ei.p, k->ek_len);
    assert_memory_equal(k->sk_er, sa->keys.sk_er.p, k->ek_len);
    assert_int_equal(k->ak_len, sa->algs.integ ? sa->keys.sk_ai.n : 0);
    if (k->ak_len) {
        assert_memory_equal(k->sk_ai, sa->keys.sk_ai.p, k->ak_len);
        assert_memory_equal(k->sk_ar, sa->keys.sk_ar.p, k->ak_len);
    }
}

static void keys_logged(const char *ike, uint16_t encr, uint16_t bits, uint16_t integ, uint8_t ek, uint8_t ak)
{
    struct ike_conn_cfg ca = h_conn(1, 2, ike, "aes128gcm16", PSK), cb = h_conn(2, 1, ike, "aes128gcm16", PSK);
    ca.rekey_time_s = 3600;
    struct pair p;
    pair_init(&p, &ca, &cb);
    ike_engine_set_keylog(p.a.e, true);
    ike_engine_set_keylog(p.b.e, true);
    p.filter = auth_after_keys;
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_int_equal(p.a.ike_up, 1);
    assert_int_equal(p.a.ike_keys, 1);
    assert_int_equal(p.b.ike_keys, 1);
    const struct ike_sa_keys *k = &p.a.keys[0];
    assert_int_equal(k->encr, encr);
    assert_int_equal(k->encr_bits, bits);
    assert_int_equal(k->integ, integ);
    assert_int_equal(k->ek_len, ek);
    assert_int_equal(k->ak_len, ak);
    assert_memory_equal(&p.a.keys[0], &p.b.keys[0], sizeof p.a.keys[0]);
    same_keys(k, &p.a);
    /* the IKE SA rekey (after up to an hour): its successor's keys, new SPIs */
    pair_run(&p, p.now + 3601 * 1000);
    assert_int_equal(p.a.ike_rekeyed + p.b.ike_rekeyed, 2);
    assert_int_equal(p.a.ike_keys, 2);
    assert_int_equal(p.b.ike_keys, 2);
    assert_memory_equal(&p.a.keys[1], &p.b.keys[1], sizeof p.a.keys[1]);
    assert_memory_not_equal(p.a.keys[1].spi_i, p.a.keys[0].spi_i, 8);
    same_keys(&p.a.keys[1], &p.a);
    pair_free(&p);
}

static void keys_aead(void **s)
{
    (void)s;
    keys_logged("aes256gcm16 prfsha256 x25519", ENCR_AES_GCM_16, 256, 0, 36, 0);
}

static void keys_cbc_hmac(void **s)
{
    (void)s;
    keys_logged("aes128 sha384 prfsha384 x25519", ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_384_192, 16, 48);
}

static void off_by_default(void **s)
{
    (void)s;
    struct ike_conn_cfg ca = h_conn(1, 2, "aes256gcm16 prfsha256 x25519", "aes128gcm16", PSK),
                        cb = h_conn(2, 1, "aes256gcm16 prfsha256 x25519", "aes128gcm16", PSK);
    ca.rekey_time_s = 3600;
    struct pair p;
    pair_init(&p, &ca, &cb);
    ike_engine_set_keylog(p.b.e, true);
    ike_engine_set_keylog(p.b.e, false); /* and off again */
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 3601 * 1000);
    assert_int_equal(p.a.ike_up, 1);
    assert_int_equal(p.a.ike_rekeyed + p.b.ike_rekeyed, 2);
    assert_int_equal(p.a.ike_keys, 0);
    assert_int_equal(p.b.ike_keys, 0);
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys_aead),
        cmocka_unit_test(keys_cbc_hmac),
        cmocka_unit_test(off_by_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
