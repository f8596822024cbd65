/* IKE_AUTH with EAP-MSCHAPv2 (RFC 7296 2.16) between two engines: a road
 * warrior (local.auth = eap-mschapv2) and a gateway authenticating itself
 * with a PSK and its users with EAP (remote.auth = eap-mschapv2).
 *
 *  HDR, SK{IDi, N(INITIAL_CONTACT), IDr, SAi2, TSi, TSr}   -->
 *                          <--  HDR, SK{IDr, AUTH, EAP(Request/Identity)}
 *  HDR, SK{EAP(Response/Identity)}  -->  <--  HDR, SK{EAP(MS-CHAPv2 Challenge)}
 *  HDR, SK{EAP(Response)}           -->  <--  HDR, SK{EAP(Success Request)}
 *  HDR, SK{EAP(Success Response)}   -->  <--  HDR, SK{EAP(Success)}
 *  HDR, SK{AUTH(MSK)}               -->  <--  HDR, SK{AUTH(MSK), SAr2, TSi, TSr} */
#include "harness.h"
#include "base/secret.h"

static const char *PSK = "gateway-psk-0123456789abcdef";
static const char *carol_pw = "tuxmux";

/* the users both ends know: carol / tuxmux, dave / ryftyr (the client side
 * reads carol_pw, which a test may make wrong) */
static int eap_secret(void *ctx, const char *id, size_t len, struct secret *out)
{
    (void)ctx;
    const char *pw = NULL;
    if (len == 5 && !memcmp(id, "carol", 5))
        pw = carol_pw;
    else if (len == 6 && !memcmp(id, "car\nol", 6) && carol_pw[0] == '!')
        pw = carol_pw; /* a client whose name holds a newline */
    else if (len == 4 && !memcmp(id, "dave", 4))
        pw = "ryftyr";
    if (!pw)
        return -1;
    return secret_from(out, (const uint8_t *)pw, strlen(pw)) ? -1 : 0;
}

/* the gateway's users are its own: side b's lookups ignore the client's wrong password */
static int gw_secret(void *ctx, const char *id, size_t len, struct secret *out)
{
    const char *saved = carol_pw;
    carol_pw = "tuxmux";
    int rc = eap_secret(ctx, id, len, out);
    carol_pw = saved;
    return rc;
}

static void eap_pair(struct pair *p, const struct ike_conn_cfg *ca, const struct ike_conn_cfg *cb)
{
    memset(p, 0, sizeof *p);
    p->a.rng = 0x1234567;
    p->b.rng = 0x7654321;
    struct ike_env ea = { &p->a.rng, h_random, h_log, 0, h_wall, eap_secret };
    struct ike_env eb = { &p->b.rng, h_random, h_log, 0, h_wall, gw_secret };
    p->a.e = ike_engine_new(&ea);
    p->b.e = ike_engine_new(&eb);
    assert_int_equal(ike_engine_add_conn(p->a.e, ca), 0);
    assert_int_equal(ike_engine_add_conn(p->b.e, cb), 0);
    p->now = 1000;
}

/* carol's laptop at .1 and the gateway at .2; the gateway's remote_eap_id */
static void confs(struct ike_conn_cfg *ca, struct ike_conn_cfg *cb, const char *client_id, const char *gw_eap_id)
{
    *ca = h_conn(1, 2, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    *cb = h_conn(2, 1, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    ca->local_auth.kind = IKE_AUTHK_EAP;
    cb->remote_auth.kind = IKE_AUTHK_EAP;
    ca->local_id = (struct ike_id_cfg){ .type = IKEV2_ID_FQDN, .len = (uint16_t)strlen(client_id) };
    memcpy(ca->local_id.data, client_id, strlen(client_id));
    cb->remote_id.type = 0; /* %any */
    snprintf(cb->remote_eap_id, sizeof cb->remote_eap_id, "%s", gw_eap_id);
}

static void assert_up(const struct pair *p)
{
    assert_int_equal(p->a.ike_up, 1);
    assert_int_equal(p->b.ike_up, 1);
    assert_int_equal(p->a.child_up, 1);
    assert_int_equal(p->b.child_up, 1);
    assert_int_equal(p->a.ike_down + p->b.ike_down, 0);
    assert_int_equal(p->a.child.spi_in, p->b.child.spi_out);
    assert_int_equal(p->a.child.spi_out, p->b.child.spi_in);
    assert_bytes_equal(p->a.child.encr_in, p->b.child.encr_out, p->a.child.key_len);
}

/* eap_id = %any: EAP-Identity first, then MS-CHAPv2: 2 + 10 messages */
static void identity_then_mschapv2(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca, cb;
    confs(&ca, &cb, "carol", "%any");
    eap_pair(&p, &ca, &cb);
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 2000);
    assert_up(&p);
    assert_int_equal(p.sent, 12);
    assert_non_null(strstr(p.b.log, "received EAP identity 'carol'"));
    assert_non_null(strstr(p.b.log, "EAP-MSCHAPv2 authentication of 'carol' successful"));
    assert_non_null(strstr(p.b.log, "with EAP's MSK successful"));
    assert_non_null(strstr(p.a.log, "with EAP's MSK successful"));
    pair_free(&p);
}

/* no eap_id: the EAP identity is the peer's IKE identity, no EAP-Identity round */
static void ike_identity(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca, cb;
    confs(&ca, &cb, "dave", "");
    eap_pair(&p, &ca, &cb);
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 2000);
    assert_up(&p);
    assert_int_equal(p.sent, 10);
    assert_null(strstr(p.b.log, "received EAP identity"));
    pair_free(&p);
}

/* a wrong password: EAP-Failure, nothing established on either side */
static void wrong_password(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca, cb;
    confs(&ca, &cb, "carol", "%any");
    carol_pw = "tuxmuX";
    eap_pair(&p, &ca, &cb);
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 2000);
    carol_pw = "tuxmux";
    assert_int_equal(p.a.ike_up + p.b.ike_up + p.a.child_up + p.b.child_up, 0);
    assert_non_null(strstr(p.b.log, "EAP-MSCHAPv2 authentication of 'carol' failed: wrong MS-CHAPv2 password"));
    assert_non_null(strstr(p.a.log, "the gateway refused our EAP-MSCHAPv2 credentials"));
    assert_int_equal(h_live(&p.a) + h_live(&p.b), 0);
    pair_free(&p);
}

/* the gateway wants dave; carol, with her right password, is refused */
static void other_user_refused(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca, cb;
    confs(&ca, &cb, "carol", "dave");
    eap_pair(&p, &ca, &cb);
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 2000);
    assert_int_equal(p.a.ike_up + p.b.ike_up, 0);
    assert_non_null(strstr(p.b.log, "failed: no EAP secret for this user"));
    pair_free(&p);
}

/* a peer authenticating with the PSK where the gateway requires EAP is refused */
static void psk_instead_of_eap(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca, cb;
    confs(&ca, &cb, "carol", "%any");
    ca.local_auth.kind = IKE_AUTHK_PSK;
    eap_pair(&p, &ca, &cb);
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 2000);
    assert_int_equal(p.a.ike_up + p.b.ike_up, 0);
    assert_non_null(strstr(p.b.log, "remote.auth is EAP, the peer did not do EAP"));
    pair_free(&p);
}

/* a client without a secret for its EAP identity does not start */
static void client_without_secret(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca, cb;
    confs(&ca, &cb, "erin", "%any");
    eap_pair(&p, &ca, &cb);
    ike_initiate(p.a.e, "lab", "net", p.now);
    pair_run(&p, p.now + 2000);
    assert_int_equal(p.a.ike_up + p.b.ike_up, 0);
    assert_non_null(strstr(p.a.log, "no EAP secret for 'erin'"));
    pair_free(&p);
}

/* a user name with a control character is logged with '?' in its place: no
 * forged log lines */
static void name_logged_safely(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca, cb;
    confs(&ca, &cb, "car\nol", "%any");
    carol_pw = "!newline";
    eap_pair(&p, &ca, &cb);
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 2000);
    carol_pw = "tuxmux";
    assert_int_equal(p.a.ike_up + p.b.ike_up, 0);
    assert_non_null(strstr(p.b.log, "received EAP identity 'car?ol'"));
    assert_non_null(strstr(p.b.log, "authentication of 'car?ol' failed"));
    assert_null(strstr(p.b.log, "car\nol"));
    pair_free(&p);
}

/* every EAP round's datagram lost once: retransmissions carry it through */
static void lossy(void **s)
{
    (void)s;
    struct pair p;
    struct ike_conn_cfg ca, cb;
    confs(&ca, &cb, "carol", "%any");
    eap_pair(&p, &ca, &cb);
    p.drop_nth[0] = 4, p.drop_nth[1] = 7, p.drop_nth[2] = 10, p.drop_nth[3] = 13;
    assert_int_equal(ike_initiate(p.a.e, "lab", "net", p.now), 0);
    pair_run(&p, p.now + 60000);
    assert_up(&p);
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(identity_then_mschapv2), cmocka_unit_test(ike_identity), cmocka_unit_test(wrong_password),
        cmocka_unit_test(other_user_refused), cmocka_unit_test(psk_instead_of_eap),
        cmocka_unit_test(client_without_secret), cmocka_unit_test(lossy), cmocka_unit_test(name_logged_safely),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
