/* IKE_AUTH with EAP-TLS (RFC 5216 over RFC 7296 2.16) between two engines:
 * a road warrior (local.auth = eap-tls, its certificate in TLS) and a
 * gateway authenticating itself with its certificate in IKE and its users
 * with EAP-TLS (remote.auth = eap-tls), the certificates of
 * tests/exchange/data/pki (gen.sh) laid out per side as swanctl does:
 *
 *  HDR, SK{IDi, N(INITIAL_CONTACT), IDr, SAi2, TSi, TSr}   -->
 *                          <--  HDR, SK{IDr, CERT, AUTH, EAP(Request/TLS Start)}
 *  HDR, SK{EAP(ClientHello)}    -->  <--  HDR, SK{EAP(ServerHello .. Done)}   (fragments and acks)
 *  HDR, SK{EAP(Certificate .. Finished)}  -->  <--  HDR, SK{EAP(CCS, Finished)}
 *  HDR, SK{EAP(ack)}            -->  <--  HDR, SK{EAP(Success)}
 *  HDR, SK{AUTH(MSK)}           -->  <--  HDR, SK{AUTH(MSK), SAr2, TSi, TSr}
 * and the refusals: an untrusted client certificate, one not holding the
 * EAP identity, a TLS message over the reassembly limit. */
#include "harness.h"
#include <sys/stat.h>
#include <unistd.h>
#include "cred/id.h"
#include "cred/store.h"
#include "ike/eap_tls.h"

#include "pki_dir.h"

/* side's certificate and key, trusting the root and holding the intermediate */
static void ident_mid(const char *side, const char *name)
{
    ident(side, name);
    put(side, "x509ca", "mid.pem");
}

/* the client (a, at .1) with cert `cert` as `client_id`; the gateway (b, at
 * .2) moon.example with moon.pem, its remote.eap_id gw_eap_id */
static void confs(struct ike_conn_cfg *ca, struct ike_conn_cfg *cb, const char *cert, const char *client_id,
                  const char *gw_eap_id)
{
    *ca = h_conn(1, 2, "aes256gcm16 prfsha256 x25519", "aes256gcm16", "");
    *cb = h_conn(2, 1, "aes256gcm16 prfsha256 x25519", "aes256gcm16", "");
    ca->psk_len = cb->psk_len = 0;
    ca->local_auth.kind = cb->remote_auth.kind = IKE_AUTHK_EAP;
    ca->local_auth.eap_type = cb->remote_auth.eap_type = EAP_TYPE_TLS;
    ca->remote_auth.kind = cb->local_auth.kind = IKE_AUTHK_PUBKEY;
    snprintf(ca->local_certs[0], sizeof ca->local_certs[0], "%s.pem", cert);
    snprintf(cb->local_certs[0], sizeof cb->local_certs[0], "moon.pem");
    id_set(&ca->local_id, client_id);
    id_set(&ca->remote_id, "moon.example");
    id_set(&cb->local_id, "moon.example");
    cb->remote_id.type = 0; /* %any */
    snprintf(cb->remote_eap_id, sizeof cb->remote_eap_id, "%s", gw_eap_id);
}

/* both engines, the gateway's EAP-TLS limits (0: the defaults), run */
static void run(struct pair *p, struct ike_conn_cfg *ca, struct ike_conn_cfg *cb, uint32_t frag, uint32_t max)
{
    pair_init(p, ca, cb);
    struct cred_store *sa = store("a"), *sb = store("b");
    ike_engine_set_creds(p->a.e, sa);
    ike_engine_set_creds(p->b.e, sb);
    cred_store_unref(sa);
    cred_store_unref(sb);
    struct ike_limits l;
    ike_limits_default(&l);
    if (frag)
        l.eap_tls_fragment_size = frag;
    assert_int_equal(ike_engine_set_limits(p->a.e, &l), 0);
    if (max)
        l.eap_tls_max_bytes = max;
    assert_int_equal(ike_engine_set_limits(p->b.e, &l), 0);
    assert_int_equal(ike_initiate(p->a.e, "lab", "net", p->now), 0);
    pair_run(p, p->now + 5000);
}

static void assert_up(const struct pair *p)
{
    if (p->a.child_up != 1 || p->b.child_up != 1)
        fail_msg("not up; client log:\n%s\ngateway log:\n%s", p->a.log, p->b.log);
    assert_int_equal(p->a.ike_up, 1);
    assert_int_equal(p->b.ike_up, 1);
    assert_int_equal(p->a.child.spi_in, p->b.child.spi_out);
    assert_int_equal(p->a.child.spi_out, p->b.child.spi_in);
    assert_bytes_equal(p->a.child.encr_in, p->b.child.encr_out, p->a.child.key_len);
    assert_non_null(strstr(p->b.log, "with EAP's MSK successful"));
    assert_non_null(strstr(p->a.log, "with EAP's MSK successful"));
}

static void assert_refused(const struct pair *p, const char *gw_why)
{
    if (!strstr(p->b.log, gw_why))
        fail_msg("expected '%s' in the gateway's log:\n%s", gw_why, p->b.log);
    assert_int_equal(p->a.ike_up + p->b.ike_up + p->a.child_up + p->b.child_up, 0);
    assert_int_equal(h_live(&p->a) + h_live(&p->b), 0);
}

static int setup(void **s)
{
    (void)s;
    snprintf(tmp, sizeof tmp, "/tmp/kite-eaptls-XXXXXX");
    assert_non_null(mkdtemp(tmp));
    h_wall_time = 0;
    ident_mid("b", "moon");
    return 0;
}

static int teardown(void **s)
{
    (void)s;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    return system(cmd);
}

/* carol (Ed25519, carol@example.org) with the defaults: no EAP-Identity, the
 * EAP identity is her IKE identity; 1024-byte fragments: whole flights.
 * IKE_SA_INIT, IKE_AUTH without AUTH (answered with Start), ClientHello,
 * client flight, ack, final AUTH: 6 exchanges, 12 datagrams */
static void carol_up(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca, cb;
    ident_mid("a", "carol");
    confs(&ca, &cb, "carol", "carol@example.org", "");
    run(&p, &ca, &cb, 0, 0);
    assert_up(&p);
    assert_int_equal(p.sent, 12);
    assert_non_null(strstr(p.b.log, "EAP-TLS authentication of 'carol@example.org' successful"));
    assert_non_null(strstr(p.a.log, "EAP-TLS with the gateway 'moon.example' successful"));
    pair_free(&p);
}

/* jupiter (RSA-4096 under the intermediate, sent in TLS) in 200-byte EAP
 * packets both ways: many fragments, each acknowledged, and eap_id = %any:
 * EAP-Identity first, its text parsed as an identity (a host name) */
static void fragmented_with_identity(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca, cb;
    ident_mid("a", "jupiter");
    confs(&ca, &cb, "jupiter", "jupiter.example", "%any");
    run(&p, &ca, &cb, 200, 0);
    assert_up(&p);
    assert_non_null(strstr(p.b.log, "received EAP identity 'jupiter.example'"));
    assert_non_null(strstr(p.b.log, "EAP-TLS authentication of 'jupiter.example' successful"));
    /* the client's certificate chain alone (about 3 KB) takes over 15 fragments */
    assert_true(p.sent > 40);
    pair_free(&p);
}

/* a certificate of a CA the gateway does not trust (evil, with the name
 * moon.example): EAP-Failure, nothing up */
static void untrusted_client_certificate(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca, cb;
    ident_mid("a", "evil");
    put("a", "x509ca", "evilca.pem");
    confs(&ca, &cb, "evil", "moon.example", "");
    run(&p, &ca, &cb, 0, 0);
    assert_refused(&p, "EAP-TLS authentication of 'moon.example' failed: untrusted issuer");
    assert_non_null(strstr(p.a.log, "EAP"));
    pair_free(&p);
}

/* a trusted certificate not holding the identity the gateway requires */
static void identity_not_in_certificate(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca, cb;
    ident_mid("a", "mars");
    confs(&ca, &cb, "mars", "mars.example", "dave.example");
    run(&p, &ca, &cb, 0, 0);
    assert_refused(&p, "identity 'dave.example' is not in the TLS certificate");
    pair_free(&p);
}

/* the client's flight (jupiter's chain) over the gateway's reassembly limit:
 * refused when the first fragment announces it, and counted */
static void over_reassembly_limit(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca, cb;
    ident_mid("a", "jupiter");
    confs(&ca, &cb, "jupiter", "jupiter.example", "");
    run(&p, &ca, &cb, 0, 2000);
    assert_refused(&p, "longer than the EAP-TLS reassembly limit");
    struct ike_stats st;
    ike_engine_stats(p.b.e, &st);
    assert_int_equal(st.eap_tls_limited, 1);
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(carol_up, setup, teardown),
        cmocka_unit_test_setup_teardown(fragmented_with_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(untrusted_client_certificate, setup, teardown),
        cmocka_unit_test_setup_teardown(identity_not_in_certificate, setup, teardown),
        cmocka_unit_test_setup_teardown(over_reassembly_limit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
