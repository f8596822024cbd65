/* daemon/bridge: a configuration snapshot into the engine's connection
 * records, whole: the longest names, the longest dpd_delay, every selector
 * and proposal; the PSK is not bound to the connection (the engine looks it
 * up by identity, daemon/secrets.c); a PSK connection with no secret loaded
 * at all is loaded with a warning. */
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "daemon/bridge.h"

static void conn_copied_whole(void **s)
{
    (void)s;
    char text[2048], psk[129], err[256];
    memset(psk, 'p', 128);
    psk[128] = 0;
    snprintf(text, sizeof text,
             "connections { a-connection-name-of-thirty-one { dpd_delay = 49d\n"
             " proposals = default,default,default,default\n remote_addrs = 192.0.2.1\n"
             " local { auth = psk }\n remote { auth = psk }\n"
             " children { child-name-exactly-thirty-one-c {\n"
             " local_ts = 10.1.0.0/24, 10.2.0.0/24, 10.3.0.0/24, 10.4.0.0/24[tcp/1-65535]\n"
             " remote_ts = 10.9.0.0/16\n esp_proposals = default,default,default,default\n"
             " rekey_time = 1h\n life_time = 10h } } } }\n"
             "secrets { ike-1 { secret = %s } }\n", psk);
    struct kite_conf *c = NULL;
    if (conf_load_string(text, "swanctl.conf", &c, err, sizeof err, NULL, NULL))
        fail_msg("%s", err);
    struct ike_conn_cfg *cfg = calloc(1, sizeof *cfg);
    assert_int_equal(bridge_conn(c, 0, NULL, 500, 4500, cfg, err, sizeof err), 0);
    assert_string_equal(cfg->name, "a-connection-name-of-thirty-one");
    assert_string_equal(cfg->child[0].name, "child-name-exactly-thirty-one-c");
    assert_int_equal(cfg->psk_len, 0); /* looked up by identity at IKE_AUTH, not copied here */
    assert_int_equal(cfg->dpd_delay_ms, 49u * 86400u * 1000u);
    assert_int_equal(cfg->n_ike, 8);
    assert_int_equal(cfg->child[0].n_esp, 8);
    assert_int_equal(cfg->child[0].n_local_ts, 4);
    assert_int_equal(cfg->child[0].local_ts[3].port_hi, 65535);
    /* rand_time: life - rekey by default, but never more than rekey_time */
    assert_int_equal(cfg->child[0].rand_time_s, 3600);
    ike_conn_cfg_free(cfg);
    conf_free(c);
    /* no secret at all: loaded, with a warning naming the connection */
    assert_int_equal(conf_load_string("connections { lab { local { auth = psk }\n children { n { local_ts = 10.1.0.0/24\n"
                                      " remote_ts = 10.2.0.0/24 } } } }\n", "swanctl.conf", &c, err, sizeof err,
                                      NULL, NULL), 0);
    assert_int_equal(bridge_conn(c, 0, NULL, 500, 4500, cfg, err, sizeof err), 1);
    assert_non_null(strstr(err, "connection 'lab' authenticates nobody until one is"));
    ike_conn_cfg_free(cfg);
    conf_free(c);
    free(cfg);
}

/* fragmentation = ... reaches the engine's connection with its meaning */
static void fragmentation_mode(void **s)
{
    (void)s;
    static const struct { const char *v; enum ike_frag_mode want; } t[] = {
        { "", IKE_FRAG_YES }, { "fragmentation = yes\n", IKE_FRAG_YES },
        { "fragmentation = accept\n", IKE_FRAG_ACCEPT }, { "fragmentation = force\n", IKE_FRAG_FORCE },
        { "fragmentation = no\n", IKE_FRAG_NO } };
    struct ike_conn_cfg *cfg = calloc(1, sizeof *cfg);
    for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
        char text[512], err[256];
        struct kite_conf *c = NULL;
        snprintf(text, sizeof text, "connections { lab { %s local { auth = psk }\n remote { auth = psk }\n children { n { local_ts = 10.1.0.0/24\n"
                 " remote_ts = 10.2.0.0/24 } } } }\nsecrets { ike-1 { secret = abcdefgh } }\n", t[i].v);
        if (conf_load_string(text, "swanctl.conf", &c, err, sizeof err, NULL, NULL))
            fail_msg("%s", err);
        assert_int_equal(bridge_conn(c, 0, NULL, 500, 4500, cfg, err, sizeof err), 0);
        assert_int_equal(cfg->fragmentation, t[i].want);
        ike_conn_cfg_free(cfg);
        conf_free(c);
    }
    free(cfg);
}

/* a certificate connection: local.id defaults to the certificate's subject,
 * an id in its subjectAltName is kept, one not in it is kept and warned
 * about, a certificate file that is not loaded refuses the connection, and
 * no PSK is needed */
static void certificate_connection(void **s)
{
    (void)s;
    char dir[] = "/tmp/kite-bridge-XXXXXX", path[256], err[512], text[1024];
    size_t n;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/x509", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    char *pem = read_source_file("tests/unit/data/certs/x509/p256Cert.pem", &n);
    snprintf(path, sizeof path, "%s/x509/p256Cert.pem", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(pem, 1, n, f), n);
    fclose(f);
    free(pem);
    struct cred_store *creds = NULL;
    assert_int_equal(cred_store_load(dir, NULL, 0, &creds, err, sizeof err, NULL, NULL), 0);
    static const struct { const char *id, *certs; int rc; uint8_t type; const char *err; } cases[] = {
        { NULL, "p256Cert.pem", 0, 9, NULL },
        { "p256.strongswan.org", "p256Cert.pem", 0, 2, NULL },
        { "other.example", "p256Cert.pem", 1, 2,
          "local.id 'other.example' is not in the certificate 'p256Cert.pem' (subject or subjectAltName): peers "
          "will refuse it" },
        { NULL, "missing.pem", -1, 0, "local.certs: certificate 'missing.pem' of connection 'gw' is not loaded" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(text, sizeof text, "connections { gw { remote_addrs = 192.0.2.1\n"
                                    " local { auth = pubkey\n certs = %s%s%s }\n remote { auth = pubkey }\n"
                                    " children { c { local_ts = 10.1.0.0/24\n remote_ts = 10.2.0.0/24 } } } }\n",
                 cases[i].certs, cases[i].id ? "\n id = " : "", cases[i].id ? cases[i].id : "");
        struct kite_conf *c = NULL;
        if (conf_load_string(text, "swanctl.conf", &c, err, sizeof err, NULL, NULL))
            fail_msg("%s", err);
        struct ike_conn_cfg *cfg = calloc(1, sizeof *cfg);
        err[0] = 0;
        assert_int_equal(bridge_conn(c, 0, creds, 500, 4500, cfg, err, sizeof err), cases[i].rc);
        if (cases[i].err && !strstr(err, cases[i].err))
            fail_msg("case %zu: %s", i, err);
        if (cases[i].rc >= 0) {
            assert_int_equal(cfg->local_id.type, cases[i].type);
            assert_int_equal(cfg->local_auth.kind, IKE_AUTHK_PUBKEY);
            assert_int_equal(cfg->psk_len, 0);
        }
        ike_conn_cfg_free(cfg);
        free(cfg);
        conf_free(c);
    }
    cred_store_unref(creds);
    snprintf(text, sizeof text, "rm -rf '%s'", dir);
    assert_int_equal(system(text), 0);
}

/* local_addrs as a DNS name: resolved when the connection loads (here
 * from /etc/hosts: localhost), in remote_addrs' family; a name that does not
 * resolve refuses the connection rather than leave it at %any */
static void local_addrs_by_name(void **s)
{
    (void)s;
    static const struct { const char *local, *remote; int rc; uint8_t family; const char *err; } t[] = {
        { "localhost", "192.0.2.1", 0, 4, NULL },
        { "kite-no-such-host.invalid", "192.0.2.1", -1, 0,
          "local_addrs = kite-no-such-host.invalid: the name does not resolve to an address of remote_addrs' family" },
    };
    struct ike_conn_cfg *cfg = calloc(1, sizeof *cfg);
    for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
        char text[512], err[256] = "";
        struct kite_conf *c = NULL;
        snprintf(text, sizeof text, "connections { lab { local_addrs = %s\n remote_addrs = %s\n local { auth = psk }\n"
                 " remote { auth = psk }\n children { n { local_ts = 10.1.0.0/24\n remote_ts = 10.2.0.0/24 } } } }\n"
                 "secrets { ike-1 { secret = abcdefgh } }\n", t[i].local, t[i].remote);
        if (conf_load_string(text, "swanctl.conf", &c, err, sizeof err, NULL, NULL))
            fail_msg("%s", err);
        assert_int_equal(bridge_conn(c, 0, NULL, 500, 4500, cfg, err, sizeof err), t[i].rc);
        if (t[i].rc == 0) {
            assert_int_equal(cfg->local.family, t[i].family);
            assert_int_equal(cfg->local.ip[0], 127);
            assert_int_equal(cfg->local.ip[3], 1);
            ike_conn_cfg_free(cfg);
        } else if (!strstr(err, t[i].err)) {
            fail_msg("case %u: %s", i, err);
        }
        conf_free(c);
    }
    free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conn_copied_whole),
        cmocka_unit_test(fragmentation_mode),
        cmocka_unit_test(certificate_connection),
        cmocka_unit_test(local_addrs_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
