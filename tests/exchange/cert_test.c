/* Two engines authenticating with X.509 certificates (RFC 7296 2.15, 3.6,
 * 3.7; RFC 7427; RFC 4945 3.1), the certificates of tests/exchange/data/pki
 * (gen.sh) laid out per side in a temporary directory as swanctl does:
 *
 *  HDR, SAi1, KEi, Ni, N(NATD_*), N(HASH_ALG)  -->
 *                        <--  HDR, SAr1, KEr, Nr, N(NATD_*), N(HASH_ALG), CERTREQ
 *  HDR, SK{IDi, CERT, N(INITIAL_CONTACT), CERTREQ, IDr, AUTH, SAi2, TSi, TSr}  -->
 *                        <--  HDR, SK{IDr, CERT, [CERT], AUTH, SAr2, TSi, TSr}
 * and every refusal: AUTHENTICATION_FAILED, no SA on either side, the
 * reason in the log. */
#include "harness.h"
#include <sys/stat.h>
#include <unistd.h>
#include "cred/id.h"
#include "cred/store.h"

#include "pki_dir.h"

/* a certificate connection: local cert, identities, everything else as h_conn */
static struct ike_conn_cfg cconn(uint8_t me, uint8_t peer, const char *cert, const char *local_id,
                                 const char *remote_id)
{
    struct ike_conn_cfg c = h_conn(me, peer, "aes256gcm16 prfsha256 x25519", "aes256gcm16", "");
    c.psk_len = 0;
    c.local_auth.kind = c.remote_auth.kind = IKE_AUTHK_PUBKEY;
    snprintf(c.local_certs[0], sizeof c.local_certs[0], "%s", cert);
    id_set(&c.local_id, local_id);
    id_set(&c.remote_id, remote_id);
    return c;
}

static void run(struct pair *p, struct ike_conn_cfg *ca, struct ike_conn_cfg *cb)
{
    pair_init(p, ca, cb);
    struct cred_store *sa = store("a"), *sb = store("b");
    ike_engine_set_creds(p->a.e, sa);
    ike_engine_set_creds(p->b.e, sb);
    cred_store_unref(sa); /* the engines hold their own references */
    cred_store_unref(sb);
    assert_int_equal(ike_initiate(p->a.e, "lab", "net", p->now), 0);
    pair_run(p, p->now + 1000);
}

static void assert_up(const struct pair *p)
{
    assert_int_equal(p->a.ike_up, 1);
    assert_int_equal(p->b.ike_up, 1);
    assert_int_equal(p->a.child_up, 1);
    assert_int_equal(p->b.child_up, 1);
    assert_int_equal(p->a.child.spi_in, p->b.child.spi_out);
}

/* refused by `who` for `why`: AUTHENTICATION_FAILED, no SA up anywhere */
static void assert_refused(const struct pair *p, const struct side *who, const char *why)
{
    if (!strstr(who->log, why))
        fail_msg("expected '%s' in the log:\n%s", why, who->log);
    assert_non_null(strstr(who->log, "sending AUTHENTICATION_FAILED"));
    assert_int_equal(p->a.child_up + p->b.child_up, 0);
    assert_true(p->a.ike_up <= p->a.ike_down && p->b.ike_up <= p->b.ike_down); /* none left up */
}

static int setup(void **s)
{
    (void)s;
    snprintf(tmp, sizeof tmp, "/tmp/kite-cert-XXXXXX");
    assert_non_null(mkdtemp(tmp));
    h_wall_time = 0;
    return 0;
}

static int teardown(void **s)
{
    (void)s;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    return system(cmd);
}

/* ECDSA P-256 initiator, RSA-3072 responder whose intermediate CA only the
 * responder holds: it sends it after its own certificate */
static void ecdsa_and_rsa_with_intermediate(void **s)
{
    (void)s;
    struct pair p;
    ident("a", "moon");
    ident("b", "sun");
    put("b", "x509ca", "mid.pem");
    struct ike_conn_cfg ca = cconn(1, 2, "moon.pem", "C=CH, O=kite, CN=moon.example", "C=CH, O=kite, CN=sun.example");
    struct ike_conn_cfg cb = cconn(2, 1, "sun.pem", "C=CH, O=kite, CN=sun.example", "C=CH, O=kite, CN=moon.example");
    run(&p, &ca, &cb);
    assert_up(&p);
    assert_non_null(strstr(p.b.log, "authentication of 'C=CH, O=kite, CN=moon.example' with a certificate"));
    assert_non_null(strstr(p.a.log, "authentication of 'C=CH, O=kite, CN=sun.example' with a certificate"));
    /* IKE_AUTH: a sends its certificate and CERTREQ; b answers with two CERTs */
    assert_non_null(strstr(p.a.log, "generating IKE_AUTH request 1 [ IDi CERT N(INIT_CONTACT) CERTREQ IDr AUTH"));
    assert_non_null(strstr(p.b.log, "generating IKE_AUTH response 1 [ IDr CERT CERT AUTH"));
    pair_free(&p);
}

/* an RSA-4096 certificate and its intermediate: with fragmentation = no
 * on both sides the IKE_AUTH response goes whole, larger than 2048 bytes;
 * with the default both fragment it (RFC 7383) */
static void large_chain_whole_and_fragmented(void **s)
{
    (void)s;
    struct pair p;
    ident("a", "moon");
    ident("b", "jupiter");
    put("b", "x509ca", "mid.pem");
    struct ike_conn_cfg ca = cconn(1, 2, "moon.pem", "moon.example", "jupiter.example");
    struct ike_conn_cfg cb = cconn(2, 1, "jupiter.pem", "jupiter.example", "moon.example");
    ca.fragmentation = cb.fragmentation = IKE_FRAG_NO;
    run(&p, &ca, &cb);
    assert_up(&p);
    assert_null(strstr(p.b.log, "fragments"));
    pair_free(&p);
    ca.fragmentation = cb.fragmentation = IKE_FRAG_YES;
    run(&p, &ca, &cb);
    assert_up(&p);
    assert_non_null(strstr(p.b.log, "splitting IKE message (2162 bytes of payloads) into 2 fragments"));
    pair_free(&p);
}

/* Ed25519 with an email identity in the certificate's subjectAltName, RSA-PSS
 * signatures required by the other side, strongSwan's wildcards in remote.id */
static void eddsa_and_rsa_pss_with_wildcards(void **s)
{
    (void)s;
    struct pair p;
    ident("a", "carol");
    ident("b", "dave");
    struct ike_conn_cfg ca = cconn(1, 2, "carol.pem", "carol@example.org", "C=CH, O=kite, CN=*");
    struct ike_conn_cfg cb = cconn(2, 1, "dave.pem", "C=CH, O=kite, CN=dave.example", "*@example.org");
    ca.remote_auth.key = IKE_KEYK_RSA;
    ca.remote_auth.pss = true;
    cb.local_auth.pss = true;
    cb.remote_auth.key = IKE_KEYK_ED25519;
    run(&p, &ca, &cb);
    assert_up(&p);
    assert_non_null(strstr(p.b.log, "authentication of 'carol@example.org' with a certificate"));
    pair_free(&p);
}

/* Ed448 with an IP address identity, ECDSA P-384 */
static void ed448_and_p384(void **s)
{
    (void)s;
    struct pair p;
    ident("a", "venus");
    ident("b", "mars");
    struct ike_conn_cfg ca = cconn(1, 2, "venus.pem", "192.0.2.7", "mars.example");
    struct ike_conn_cfg cb = cconn(2, 1, "mars.pem", "mars.example", "%any");
    run(&p, &ca, &cb);
    assert_up(&p);
    pair_free(&p);
}

/* send_cert = never: the responder knows the initiator's certificate
 * (remote.certs) and needs no CERT payload */
static void pinned_certificate_without_cert_payload(void **s)
{
    (void)s;
    struct pair p;
    ident("a", "moon");
    ident("b", "mars");
    put("b", "x509", "moon.pem");
    struct ike_conn_cfg ca = cconn(1, 2, "moon.pem", "moon.example", "mars.example");
    struct ike_conn_cfg cb = cconn(2, 1, "mars.pem", "mars.example", "moon.example");
    ca.send_cert = IKE_SEND_CERT_NEVER;
    snprintf(cb.remote_certs[0], sizeof cb.remote_certs[0], "moon.pem");
    run(&p, &ca, &cb);
    assert_up(&p);
    assert_non_null(strstr(p.a.log, "generating IKE_AUTH request 1 [ IDi N(INIT_CONTACT) CERTREQ IDr AUTH"));
    pair_free(&p);
}

/* two certificates for one identity: the one that chains to a CA of the
 * peer's CERTREQ is sent, though listed second (RFC 7296 3.7) */
static void certificate_chosen_by_certreq(void **s)
{
    (void)s;
    struct pair p;
    ident("a", "evil");
    ident("a", "moon");
    put("a", "x509ca", "evilca.pem");
    ident("b", "mars");
    struct ike_conn_cfg ca = cconn(1, 2, "evil.pem", "moon.example", "mars.example");
    snprintf(ca.local_certs[1], sizeof ca.local_certs[1], "moon.pem");
    struct ike_conn_cfg cb = cconn(2, 1, "mars.pem", "mars.example", "moon.example");
    run(&p, &ca, &cb);
    assert_up(&p);
    pair_free(&p);
    /* without the CERTREQ the first is sent, and refused as untrusted */
    ca.send_cert = IKE_SEND_CERT_ALWAYS;
    cb.no_certreq = true;
    run(&p, &ca, &cb);
    assert_refused(&p, &p.b, "untrusted");
    pair_free(&p);
}

/* a reload swaps the credential store: established SAs stay, the next
 * authentication uses the new store (here without the CA: refused) */
static void credentials_swapped_under_established_sa(void **s)
{
    (void)s;
    struct pair p;
    ident("a", "moon");
    ident("b", "mars");
    struct ike_conn_cfg ca = cconn(1, 2, "moon.pem", "moon.example", "mars.example");
    struct ike_conn_cfg cb = cconn(2, 1, "mars.pem", "mars.example", "moon.example");
    run(&p, &ca, &cb);
    assert_up(&p);
    char path[256];
    snprintf(path, sizeof path, "%s/b/x509ca/ca.pem", tmp);
    assert_int_equal(unlink(path), 0);
    struct cred_store *fresh = store("b");
    ike_engine_set_creds(p.b.e, fresh);
    cred_store_unref(fresh);
    pair_run(&p, p.now + 60000);
    assert_int_equal(p.a.ike_down + p.b.ike_down + p.a.child_down + p.b.child_down, 0);
    size_t before = p.b.log_len;
    assert_int_equal(ike_delete_all(p.a.e, p.now), 1);
    pair_run(&p, p.now + 1000);
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_non_null(strstr(p.b.log + before, "authentication of 'moon.example' failed: "));
    assert_int_equal(p.b.ike_up, 1); /* only the first */
    pair_free(&p);
}

/* the initiator's credentials swapped for an empty store once its IKE_AUTH
 * request is out (as VICI's clear-creds can do at any moment) */
static int clear_after_auth_request(struct pair *p, struct side *from, struct ike_action *a)
{
    (void)a;
    static int a_sent;
    if (from == &p->a && ++a_sent == 2) { /* IKE_SA_INIT, then IKE_AUTH */
        struct cred_store *none;
        assert_int_equal(cred_store_empty(&none), 0);
        ike_engine_set_creds(p->a.e, none);
        cred_store_unref(none);
    }
    return 0;
}

/* an authentication under way keeps the store it began with: the response
 * is verified against the CA the initiator held when it sent its request;
 * the next authentication has none */
static void credentials_swapped_during_ike_auth(void **s)
{
    (void)s;
    struct pair p;
    ident("a", "moon");
    ident("b", "mars");
    struct ike_conn_cfg ca = cconn(1, 2, "moon.pem", "moon.example", "mars.example");
    struct ike_conn_cfg cb = cconn(2, 1, "mars.pem", "mars.example", "moon.example");
    pair_init(&p, &ca, &cb);
    p.filter = clear_after_auth_request;
    struct cred_store *sa = store("a"), *sb = store("b");
    ike_engine_set_creds(p.a.e, sa);
    ike_engine_set_creds(p.b.e, sb);
    cred_store_unref(sa);
    cred_store_unref(sb);
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    assert_up(&p);
    p.filter = NULL;
    assert_int_equal(ike_delete_all(p.a.e, p.now), 1);
    pair_run(&p, p.now + 1000);
    size_t before = p.a.log_len;
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 1000);
    if (!strstr(p.a.log + before, "no certificate of connection lab found"))
        fail_msg("%s", p.a.log + before);
    assert_int_equal(p.a.ike_up, 1); /* only the first */
    pair_free(&p);
}

static void untrusted_ca(void **s)
{
    (void)s;
    struct pair p;
    ident("a", "evil");
    put("a", "x509ca", "evilca.pem");
    ident("b", "mars");
    struct ike_conn_cfg ca = cconn(1, 2, "evil.pem", "moon.example", "mars.example");
    struct ike_conn_cfg cb = cconn(2, 1, "mars.pem", "mars.example", "moon.example");
    ca.send_cert = IKE_SEND_CERT_ALWAYS;
    run(&p, &ca, &cb);
    assert_refused(&p, &p.b, "authentication of 'moon.example' failed: ");
    assert_non_null(strstr(p.b.log, "untrusted"));
    assert_non_null(strstr(p.a.log, "received AUTHENTICATION_FAILED"));
    pair_free(&p);
}

static void identity_not_in_certificate(void **s)
{
    (void)s;
    struct pair p;
    ident("a", "moon");
    ident("b", "mars");
    struct ike_conn_cfg ca = cconn(1, 2, "moon.pem", "sun.example", "mars.example");
    struct ike_conn_cfg cb = cconn(2, 1, "mars.pem", "mars.example", "%any");
    run(&p, &ca, &cb);
    assert_refused(&p, &p.b, "identity 'sun.example' is not in the certificate 'C=CH, O=kite, CN=moon.example'");
    pair_free(&p);
}

static void identity_not_matching_remote_id(void **s)
{
    (void)s;
    struct pair p;
    ident("a", "moon");
    ident("b", "mars");
    struct ike_conn_cfg ca = cconn(1, 2, "moon.pem", "moon.example", "mars.example");
    struct ike_conn_cfg cb = cconn(2, 1, "mars.pem", "mars.example", "C=CH, O=other, CN=*");
    run(&p, &ca, &cb);
    /* the responder chooses its connection by the identities (connsel.c):
     * none has a remote.id that 'moon.example' matches */
    assert_refused(&p, &p.b, "no connection matches 'moon.example'");
    pair_free(&p);
}

/* the responder's certificate has expired by the initiator's clock */
static void expired_certificate(void **s)
{
    (void)s;
    struct pair p;
    ident("a", "moon");
    ident("b", "short");
    struct ike_conn_cfg ca = cconn(1, 2, "moon.pem", "moon.example", "short.example");
    struct ike_conn_cfg cb = cconn(2, 1, "short.pem", "short.example", "moon.example");
    h_wall_time = (int64_t)time(NULL) + 400 * 86400; /* short.pem lives 1 day from its making */
    run(&p, &ca, &cb);
    if (!strstr(p.a.log, "authentication of 'short.example' failed: ") || !strstr(p.a.log, "expired"))
        fail_msg("a's log:\n%s", p.a.log);
    assert_non_null(strstr(p.a.log, "responder authentication failed, sending AUTHENTICATION_FAILED"));
    assert_int_equal(p.a.child_up, 0);
    assert_int_equal(p.a.ike_up, 0);
    /* b had answered: the INFORMATIONAL with AUTHENTICATION_FAILED takes its SA down (2.21.2) */
    assert_int_equal(p.b.ike_up, p.b.ike_down);
    pair_free(&p);
}

/* a key type remote.auth does not allow */
static void key_type_constraint(void **s)
{
    (void)s;
    struct pair p;
    ident("a", "moon");
    ident("b", "mars");
    struct ike_conn_cfg ca = cconn(1, 2, "moon.pem", "moon.example", "mars.example");
    struct ike_conn_cfg cb = cconn(2, 1, "mars.pem", "mars.example", "moon.example");
    cb.remote_auth.key = IKE_KEYK_RSA;
    run(&p, &ca, &cb);
    assert_refused(&p, &p.b, "ECDSA key, remote.auth requires RSA");
    pair_free(&p);
}

/* the peer used a PSK where remote.auth is pubkey */
static void psk_where_pubkey_is_required(void **s)
{
    (void)s;
    struct pair p;
    ident("b", "mars");
    struct ike_conn_cfg ca = h_conn(1, 2, "aes256gcm16 prfsha256 x25519", "aes256gcm16", "secret-psk-1234");
    struct ike_conn_cfg cb = cconn(2, 1, "mars.pem", "mars.example", "192.0.2.1");
    ca.remote_auth.kind = IKE_AUTHK_PUBKEY;
    id_set(&ca.remote_id, "mars.example");
    mkdir(tmp, 0700);
    put("a", "x509ca", "ca.pem");
    run(&p, &ca, &cb);
    assert_refused(&p, &p.b, "the peer used a pre-shared key, remote.auth is pubkey");
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(ecdsa_and_rsa_with_intermediate, setup, teardown),
        cmocka_unit_test_setup_teardown(large_chain_whole_and_fragmented, setup, teardown),
        cmocka_unit_test_setup_teardown(eddsa_and_rsa_pss_with_wildcards, setup, teardown),
        cmocka_unit_test_setup_teardown(ed448_and_p384, setup, teardown),
        cmocka_unit_test_setup_teardown(pinned_certificate_without_cert_payload, setup, teardown),
        cmocka_unit_test_setup_teardown(certificate_chosen_by_certreq, setup, teardown),
        cmocka_unit_test_setup_teardown(credentials_swapped_under_established_sa, setup, teardown),
        cmocka_unit_test_setup_teardown(credentials_swapped_during_ike_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(untrusted_ca, setup, teardown),
        cmocka_unit_test_setup_teardown(identity_not_in_certificate, setup, teardown),
        cmocka_unit_test_setup_teardown(identity_not_matching_remote_id, setup, teardown),
        cmocka_unit_test_setup_teardown(expired_certificate, setup, teardown),
        cmocka_unit_test_setup_teardown(key_type_constraint, setup, teardown),
        cmocka_unit_test_setup_teardown(psk_where_pubkey_is_required, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
