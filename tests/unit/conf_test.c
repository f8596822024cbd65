/* conf: swanctl.conf syntax, connections, secrets, proposals, errors */
#include "testutil.h"
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "conf/conf.h"
#include "crypto/registry.h"

static const char *interop_example =
    "connections {\n"
    "  lab {\n"
    "    version = 2\n"
    "    local_addrs = 192.0.2.2\n"
    "    remote_addrs = 192.0.2.1\n"
    "    proposals = aes256gcm16-prfsha256-x25519\n"
    "    local { auth = psk\n"
    "            id = 192.0.2.2 }\n"
    "    remote { auth = psk\n"
    "             id = 192.0.2.1 }\n"
    "    children {\n"
    "      net { local_ts = 10.2.0.0/24\n"
    "            remote_ts = 10.1.0.0/24\n"
    "            esp_proposals = aes256gcm16 }\n"
    "    }\n"
    "  }\n"
    "}\n"
    "secrets { ike-lab { secret = \"interop-test-psk-0123456789\" } }\n";

static char warnings[2048];
static void on_warn(void *ctx, const char *msg)
{
    (void)ctx;
    strncat(warnings, msg, sizeof warnings - strlen(warnings) - 2);
    strcat(warnings, "\n");
}

static struct kite_conf *load(const char *text, char *err, size_t cap)
{
    struct kite_conf *c = NULL;
    warnings[0] = 0;
    err[0] = 0;
    conf_load_string(text, "swanctl.conf", &c, err, cap, on_warn, NULL);
    return c;
}

static void interop_readme_example(void **s)
{
    (void)s;
    char err[256];
    struct kite_conf *c = load(interop_example, err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_int_equal(c->n_conns, 1);
    const struct conf_conn *k = &c->conns[0];
    assert_string_equal(k->name, "lab");
    assert_int_equal(k->local.family, 4);
    assert_int_equal(k->remote.ip[3], 1);
    assert_int_equal(k->local_port, 500);
    assert_int_equal(k->n_ike, 1);
    assert_int_equal(k->ike[0].n, 3);
    assert_int_equal(k->ike[0].xf[0].type, XF_ENCR);
    assert_int_equal(k->ike[0].xf[0].id, ENCR_AES_GCM_16);
    assert_int_equal(k->ike[0].xf[0].key_bits, 256);
    assert_int_equal(k->ike[0].xf[1].id, PRF_HMAC_SHA2_256);
    assert_int_equal(k->ike[0].xf[2].id, KE_CURVE25519);
    assert_int_equal(k->local_id.type, 1);
    assert_int_equal(k->remote_id.data[3], 1);
    assert_int_equal(k->n_children, 1);
    const struct conf_child *ch = &k->child[0];
    assert_string_equal(ch->name, "net");
    assert_int_equal(ch->local_ts[0].lo[1], 2);
    assert_int_equal(ch->local_ts[0].hi[3], 255);
    assert_int_equal(ch->esp[0].xf[0].id, ENCR_AES_GCM_16);
    assert_int_equal(ch->rekey_time, 3600);     /* strongSwan's defaults */
    assert_int_equal(ch->life_time, 3960);
    assert_int_equal(ch->rand_time, 360);
    assert_int_equal(ch->replay_window, 32);
    assert_int_equal(ch->start_action, CONF_START_NONE);
    const struct secret *psk = conf_psk_find(c, &k->local_id, &k->remote_id);
    assert_non_null(psk);
    assert_int_equal(psk->n, strlen("interop-test-psk-0123456789"));
    assert_string_equal(warnings, "");
    conf_free(c);
}

static void proposals_like_strongswan(void **s)
{
    (void)s;
    struct conf_prop p[8];
    uint8_t n;
    char err[256];
    assert_int_equal(conf_parse_proposals("aes128-sha256-modp2048", true, p, &n, err, sizeof err), 0);
    /* sha256 gives both the integrity algorithm and the PRF */
    assert_int_equal(p[0].n, 4);
    assert_int_equal(p[0].xf[1].type, XF_INTEG);
    assert_int_equal(p[0].xf[1].id, AUTH_HMAC_SHA2_256_128);
    assert_int_equal(p[0].xf[3].type, XF_PRF);
    assert_int_equal(p[0].xf[3].id, PRF_HMAC_SHA2_256);
    assert_int_equal(conf_parse_proposals("aes256-sha384-ecp384,chacha20poly1305-prfsha256-x25519", true, p, &n,
                                          err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(p[1].xf[0].id, ENCR_CHACHA20_POLY1305);
    assert_int_equal(conf_parse_proposals("aes256-sha256", false, p, &n, err, sizeof err), 0);
    assert_int_equal(p[0].n, 3); /* + ESN "no", as strongSwan sends */
    assert_int_equal(p[0].xf[2].type, XF_ESN);
    assert_int_equal(p[0].xf[2].id, ESN_NO);
    assert_int_equal(conf_parse_proposals("aes256gcm16-ecp256-esn", false, p, &n, err, sizeof err), 0);
    assert_int_equal(p[0].xf[1].type, XF_KE);
    assert_int_equal(p[0].xf[2].type, XF_ESN);
    /* AEAD IKE proposals need a PRF; weak algorithms pass when written
     * (warned about, tests/unit/proposal_keywords_test.c); broken ones not */
    assert_int_equal(conf_parse_proposals("aes256gcm16-x25519", true, p, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "needs a PRF"));
    assert_int_equal(conf_parse_proposals("3des-sha1-modp1024", true, p, &n, err, sizeof err), 0);
    assert_int_equal(conf_parse_proposals("des-sha1-modp1024", true, p, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "broken"));
    assert_int_equal(conf_parse_proposals("aes256-sha256-bogus", true, p, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "'bogus'"));
}

/* a child section around a traffic selector list, for the tests below */
static struct kite_conf *load_ts(const char *local_ts, char *err, size_t cap)
{
    size_t n = strlen(local_ts) + 256;
    char *text = malloc(n);
    snprintf(text, n, "connections { lab { children { net {\n local_ts = %s\n remote_ts = 10.9.0.0/16 } } } }\n",
             local_ts);
    struct kite_conf *c = load(text, err, cap);
    free(text);
    return c;
}

/* finding 7: "default" expanded past the proposal array (a heap overflow);
 * more transforms than a proposal holds, and lists cut by a buffer, were
 * accepted */
static void proposals_never_overflow(void **s)
{
    (void)s;
    struct conf_prop p[CONF_MAX_PROPS + 1];
    uint8_t n;
    char err[256];
    memset(p, 0x5a, sizeof p);
    /* each IKE default is 2 proposals: 5 of them are 10 > 8 */
    assert_int_equal(conf_parse_proposals("default,default,default,default,default", true, p, &n, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "more than 8 proposals"));
    for (size_t i = 0; i < sizeof p[CONF_MAX_PROPS]; i++) /* nothing written past the array */
        assert_int_equal(((uint8_t *)&p[CONF_MAX_PROPS])[i], 0x5a);
    assert_int_equal(conf_parse_proposals("default,default,default,default", true, p, &n, err, sizeof err), 0);
    assert_int_equal(n, 8);
    assert_int_equal(conf_parse_proposals("aes256-sha256-x25519,default,default,default,default", true, p, &n, err,
                                          sizeof err), -1);
    /* 25 transforms in one proposal */
    char big[1024] = "aes256";
    for (int i = 0; i < 24; i++)
        strcat(big, "-sha256");
    assert_int_equal(conf_parse_proposals(big, false, p, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "more than 24 algorithms"));
    /* an IKE proposal filled to 24 with integrity algorithms: the derived
     * PRF does not fit and is refused, not dropped */
    strcpy(big, "aes256-x25519");
    for (int i = 0; i < 22; i++)
        strcat(big, "-sha256");
    assert_int_equal(conf_parse_proposals(big, true, p, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "more than 24 algorithms"));
    /* what lies past 512 or 1024 characters is read, not cut off */
    char *longp = malloc(4096);
    strcpy(longp, "aes256-sha256-x25519");
    for (int i = 0; i < 600; i++)
        strcat(longp, "-");
    strcat(longp, "-bogus");
    assert_int_equal(conf_parse_proposals(longp, true, p, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "'bogus'"));
    strcpy(longp, "aes256-sha256-x25519,");
    for (int i = 0; i < 1100; i++)
        strcat(longp, " ");
    strcat(longp, "aes128-sha256-bogus");
    assert_int_equal(conf_parse_proposals(longp, true, p, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "'bogus'"));
    free(longp);
    /* through a file: file:line and the reason */
    assert_null(load("connections { lab {\n proposals = default,default,default,default,default\n"
                     " children { n { local_ts = 10.0.0.0/8\n remote_ts = 10.0.0.0/8 } } } }\n", err, sizeof err));
    assert_string_equal(err, "swanctl.conf:2: more than 8 proposals");
    assert_null(load("connections { lab { children { n { local_ts = 10.0.0.0/8\n remote_ts = 10.0.0.0/8\n"
                     " esp_proposals = default,default,default,default,default } } } }\n", err, sizeof err));
    assert_string_equal(err, "swanctl.conf:3: more than 8 proposals");
}

/* finding 7: "10.1.0.0/" and a list cut at 511 characters became 0.0.0.0/0 */
static void traffic_selectors_strict(void **s)
{
    (void)s;
    struct conf_ts ts;
    static const char *const bad[] = {
        "10.1.0.0/", "10.1.0.0/abc", "10.1.0.0/33", "10.1.0.0/-1", "10.1.0.0/24x", "10.1.0.0/+8", "10.1.0.0/ 8",
        "fec0::/129", "10.1.0.0/24[tcp/80]x", "10.1.0.0/24[bogus]", "10.1.0.0/24[tcp/80-]", "10.1.0.0/24[300]",
        "10.1.0.0/24[tcp/65536]", "10.1.0.0/24[tcp/90-80]", "10.1.0.0/24[tcp/x]", "10.1.0.0/24[tcp", "10.0.0.9-10.0.0.1",
        "10.0.0.1-", "10.0.0.0/8/8", "10.1.0.0/24[tcp/80/81]", "10.1.0.0/24[6abc]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (conf_parse_ts(bad[i], &ts) == 0)
            fail_msg("'%s' accepted", bad[i]);
    assert_int_equal(conf_parse_ts("10.1.0.0/0", &ts), 0);
    assert_int_equal(conf_parse_ts("10.1.0.0/16[udp/500-4500]", &ts), 0);
    assert_int_equal(ts.ip_proto, 17);
    assert_int_equal(ts.port_lo, 500);
    assert_int_equal(ts.port_hi, 4500);
    assert_int_equal(ts.hi[1], 1);
    assert_int_equal(ts.hi[2], 255);
    assert_int_equal(conf_parse_ts("10.1.0.0/16[47]", &ts), 0);
    assert_int_equal(ts.ip_proto, 47);
    assert_int_equal(conf_parse_ts("10.1.0.0/16[/53]", &ts), 0);
    assert_int_equal(ts.ip_proto, 0);
    assert_int_equal(ts.port_lo, 53);
    char err[256];
    assert_null(load_ts("10.1.0.0/", err, sizeof err));
    assert_non_null(strstr(err, "swanctl.conf:2: invalid traffic selector '10.1.0.0/'"));
    struct kite_conf *five = load_ts("10.1.0.0/24, 10.2.0.0/24, 10.3.0.0/24, 10.4.0.0/24, 10.5.0.0/24", err, sizeof err);
    assert_non_null(five); /* no longer 4 at most (conf_lists_test: up to what a TS payload carries) */
    assert_int_equal(five->conns[0].child[0].n_local_ts, 5);
    conf_free(five);
    /* a list whose 511th character falls after a '/': read whole */
    char list[1024] = "10.3.0.0/24,";
    size_t pad = 511 - strlen(list) - strlen("10.1.0.0/");
    memset(list + strlen(list), ' ', pad);
    list[12 + pad] = 0;
    strcat(list, "10.1.0.0/16");
    struct kite_conf *c = load_ts(list, err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    const struct conf_child *ch = &c->conns[0].child[0];
    assert_int_equal(ch->n_local_ts, 2);
    assert_int_equal(ch->local_ts[1].lo[0], 10);
    assert_int_equal(ch->local_ts[1].lo[1], 1);
    assert_int_equal(ch->local_ts[1].hi[1], 1);
    assert_int_equal(ch->local_ts[1].hi[2], 255);
    conf_free(c);
    /* an empty list is not "everything" either */
    assert_null(load_ts("\"\"", err, sizeof err));
    assert_non_null(strstr(err, "swanctl.conf:2: local_ts is empty"));
}

static void secrets_in_every_form(void **s)
{
    (void)s;
    char err[256];
    struct kite_conf *c = load("secrets {\n"
                               "  ike-a { id-1 = 192.0.2.1\n id-2 = @host.example\n secret = 0x0102ff }\n"
                               "  ike-b { id = alice@example.org\n secret = 0sSGVsbG8= }\n"
                               "  ike-c { secret = \"quoted \\\"psk\\\"\" }\n"
                               "}\n", err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_int_equal(c->n_secrets, 3);
    assert_int_equal(c->secrets[0].s.n, 3);
    assert_int_equal(c->secrets[0].s.p[2], 0xff);
    assert_int_equal(c->secrets[0].n_ids, 2);
    assert_int_equal(c->secrets[0].ids[1].type, 2); /* FQDN, '@' stripped */
    assert_int_equal(c->secrets[0].ids[1].len, strlen("host.example"));
    assert_memory_equal(c->secrets[1].s.p, "Hello", 5);
    assert_int_equal(c->secrets[1].ids[0].type, 3); /* RFC822 */
    assert_memory_equal(c->secrets[2].s.p, "quoted \"psk\"", 12);
    /* a secret naming both ids wins over one without ids */
    struct conf_id me, peer;
    conf_parse_id("@host.example", &me);
    conf_parse_id("192.0.2.1", &peer);
    assert_ptr_equal(conf_psk_find(c, &me, &peer), &c->secrets[0].s);
    conf_parse_id("192.0.2.99", &peer);
    conf_parse_id("@nobody", &me);
    assert_ptr_equal(conf_psk_find(c, &me, &peer), &c->secrets[2].s);
    conf_free(c);
    /* a secret's ids are patterns, as in strongSwan: *@example.org, a subnet */
    c = load("secrets {\n  ike-w { id-1 = *@example.org\n id-2 = 192.0.2.0/24\n secret = wild }\n"
             "  ike-o { id = @other.example\n secret = other }\n}\n", err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    conf_parse_id("carol@example.org", &me);
    conf_parse_id("192.0.2.77", &peer);
    assert_ptr_equal(conf_psk_find(c, &me, &peer), &c->secrets[0].s);
    conf_parse_id("@other.example", &me);
    conf_parse_id("198.51.100.1", &peer);
    assert_ptr_equal(conf_psk_find(c, &me, &peer), &c->secrets[1].s);
    conf_parse_id("carol@example.com", &me);
    assert_null(conf_psk_find(c, &me, &peer));
    conf_free(c);
}

static void errors_name_file_and_line(void **s)
{
    (void)s;
    char err[256];
    assert_null(load("connections {\n  lab {\n    version 2\n  }\n}\n", err, sizeof err));
    assert_string_equal(err, "swanctl.conf:3: expected '=' or '{' after 'version'");
    assert_null(load("connections {\n  lab {\n    proposals = aes256-sha256-nope\n", err, sizeof err));
    assert_non_null(strstr(err, "swanctl.conf:"));
    assert_null(load("connections { lab {\n remote_addrs = 300.1.1.1\n children { n { local_ts = 10.0.0.0/8\n"
                     " remote_ts = 10.0.0.0/8 } } } }\n", err, sizeof err));
    assert_non_null(strstr(err, "swanctl.conf:2: invalid address '300.1.1.1'"));
    assert_null(load("connections { lab { version = 1\n children { n { local_ts = 10.0.0.0/8\n"
                     " remote_ts = 10.0.0.0/8 } } } }\n", err, sizeof err));
    assert_string_equal(err, "swanctl.conf:1: connection 'lab': version = 1 refused: IKEv1 is not supported (RFC 9395 "
                             "deprecates it)");
    assert_null(load("a {\n", err, sizeof err));
    assert_non_null(strstr(err, "missing '}'"));
    /* a replay window that is not a number must not turn replay protection off */
    for (int i = 0; i < 3; i++) {
        static const char *const bad[] = { "many", "-1", "5000" };
        char text[256];
        snprintf(text, sizeof text, "connections { lab { children { net {\n local_ts = 10.0.0.0/8\n"
                                    " remote_ts = 10.0.0.0/8\n replay_window = %s } } } }\n", bad[i]);
        assert_null(load(text, err, sizeof err));
        assert_non_null(strstr(err, "swanctl.conf:4: replay_window must be a number of packets from 0 to 4096"));
    }
    struct kite_conf *c = load("connections { lab { children { net {\n local_ts = 10.0.0.0/8\n"
                               " remote_ts = 10.0.0.0/8\n replay_window = 4096 } } } }\n", err, sizeof err);
    assert_non_null(c);
    assert_int_equal(c->conns[0].child[0].replay_window, 4096);
    conf_free(c);
    /* byte and packet limits; the hard ones default to 10% above */
    c = load("connections { lab { dpd_delay = 30s\n children { net {\n local_ts = 10.0.0.0/8\n"
             " remote_ts = 10.0.0.0/8\n rekey_bytes = 1000000\n rekey_packets = 5000\n life_packets = 9000\n"
             " dpd_action = restart } } } }\n", err, sizeof err);
    assert_non_null(c);
    assert_int_equal(c->conns[0].dpd_delay, 30);
    assert_int_equal(c->conns[0].child[0].dpd_action, CONF_DPD_RESTART);
    assert_int_equal(c->conns[0].child[0].rekey_bytes, 1000000);
    assert_int_equal(c->conns[0].child[0].life_bytes, 1100000);
    assert_int_equal(c->conns[0].child[0].life_packets, 9000);
    conf_free(c);
    assert_null(load("connections { lab { children { net {\n local_ts = 10.0.0.0/8\n"
                     " remote_ts = 10.0.0.0/8\n rekey_bytes = lots } } } }\n", err, sizeof err));
    assert_non_null(strstr(err, "swanctl.conf:4: rekey_bytes must be a number, not 'lots'"));
    assert_null(load("connections { lab { children { net {\n local_ts = 10.0.0.0/8\n"
                     " remote_ts = 10.0.0.0/8\n dpd_action = hold } } } }\n", err, sizeof err));
    assert_non_null(strstr(err, "dpd_action must be clear, trap or restart"));
}

/* an unknown key could mean anything: refused with file:line, never ignored
 * (it was a warning: "colour" loaded and was dropped) */
static void unknown_keys_refused(void **s)
{
    (void)s;
    char err[512];
    assert_null(load("connections { lab { colour = blue\n local_addrs = 192.0.2.1\n"
                     " children { net { local_ts = 10.1.0.0/24[tcp/80]\n remote_ts = 10.2.0.1-10.2.0.9 } } } }\n",
                     err, sizeof err));
    assert_string_equal(err, "swanctl.conf:1: connection 'lab': unknown key 'colour' refused: swanctl.conf has no such "
                             "key here, and kite does not guess what it would mean");
    assert_null(load("connections { lab { local_addrs = 192.0.2.1\n"
                     " children { net { local_ts = 10.1.0.0/24[tcp/80]\n remote_ts = 10.2.0.1-10.2.0.9\n"
                     " start_action = start\n mode = transport\n speed = fast } } } }\n",
                     err, sizeof err));
    assert_string_equal(err, "swanctl.conf:6: connection 'lab' child 'net': unknown key 'speed' refused: swanctl.conf "
                             "has no such key here, and kite does not guess what it would mean");
    struct kite_conf *c = load("connections { lab { local_addrs = 192.0.2.1\n"
                               " children { net { local_ts = 10.1.0.0/24[tcp/80]\n remote_ts = 10.2.0.1-10.2.0.9\n"
                               " start_action = start\n mode = transport } } } }\n", err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    const struct conf_child *ch = &c->conns[0].child[0];
    assert_int_equal(ch->local_ts[0].ip_proto, 6);
    assert_int_equal(ch->local_ts[0].port_lo, 80);
    assert_int_equal(ch->local_ts[0].port_hi, 80);
    assert_int_equal(ch->remote_ts[0].lo[3], 1);
    assert_int_equal(ch->remote_ts[0].hi[3], 9);
    assert_int_equal(ch->start_action, CONF_START_START);
    assert_true(ch->transport);
    /* the default IKE proposals (strongSwan's "default") were used */
    assert_int_equal(c->conns[0].n_ike, 2);
    assert_string_equal(warnings, "");
    conf_free(c);
}

static void includes_relative_to_the_file(void **s)
{
    (void)s;
    char dir[] = "/tmp/kite-conf-XXXXXX", path[256], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/swanctl.conf", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "# main\ninclude conf.d/*.conf\nsecrets { ike-x { secret = abc } }\n");
    fclose(f);
    snprintf(path, sizeof path, "%s/conf.d", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/conf.d/lab.conf", dir);
    f = fopen(path, "w");
    fprintf(f, "%s", "connections { lab { children { net { local_ts = 10.1.0.0/24\n remote_ts = 10.2.0.0/24 } } } }\n");
    fclose(f);
    struct kite_conf *c = NULL;
    snprintf(path, sizeof path, "%s/swanctl.conf", dir);
    if (conf_load_file(path, &c, err, sizeof err, NULL, NULL))
        fail_msg("%s", err);
    assert_int_equal(c->n_conns, 1);
    assert_int_equal(c->n_secrets, 1);
    conf_free(c);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    assert_int_equal(system(path), 0);
}

/* finding 7: an include glob over 31 files failed with an uninitialised
 * error buffer; the file list now grows */
static void includes_of_many_files(void **s)
{
    (void)s;
    char dir[] = "/tmp/kite-conf-XXXXXX", path[256], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/conf.d", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    for (int i = 0; i < 40; i++) {
        snprintf(path, sizeof path, "%s/conf.d/%02d.conf", dir, i);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        if (i == 39)
            fprintf(f, "connections { last { children { net { local_ts = 10.1.0.0/24\n remote_ts = 10.2.0.0/24 } } } }\n");
        else
            fprintf(f, "# file %d\n", i);
        fclose(f);
    }
    snprintf(path, sizeof path, "%s/swanctl.conf", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "include conf.d/*.conf\n");
    fclose(f);
    struct kite_conf *c = NULL;
    memset(err, 0x7f, sizeof err);
    err[sizeof err - 1] = 0;
    int rc = conf_load_file(path, &c, err, sizeof err, NULL, NULL);
    if (rc)
        fail_msg("include of 40 files refused: %.200s", err);
    assert_int_equal(c->n_conns, 1);
    assert_string_equal(c->conns[0].name, "last");
    conf_free(c);
    /* an error in the 40th file names that file and line */
    snprintf(path, sizeof path, "%s/conf.d/39.conf", dir);
    f = fopen(path, "w");
    fprintf(f, "\nbroken\n");
    fclose(f);
    snprintf(path, sizeof path, "%s/swanctl.conf", dir);
    assert_int_equal(conf_load_file(path, &c, err, sizeof err, NULL, NULL), -1);
    assert_non_null(strstr(err, "39.conf:2: expected '=' or '{' after 'broken'"));
    snprintf(path, sizeof path, "rm -rf %s", dir);
    assert_int_equal(system(path), 0);
}

/* a child section with one extra line, for the tests below */
static struct kite_conf *load_child_key(const char *conn_line, const char *child_line, char *err, size_t cap)
{
    char text[1024];
    snprintf(text, sizeof text, "connections { lab {\n %s\n children { net {\n local_ts = 10.0.0.0/8\n"
                                " remote_ts = 10.0.0.0/8\n %s } } } }\n", conn_line, child_line);
    return load(text, err, cap);
}

/* names longer than their field were cut (two connections could become
 * one); numbers with overflow or sign wrapped; yes/no took any word */
static void names_numbers_and_flags_strict(void **s)
{
    (void)s;
    char err[256], text[512];
    const char *longname = "a-connection-name-of-thirty-two-c"; /* 33 characters */
    snprintf(text, sizeof text, "connections { %s { children { net {\n local_ts = 10.0.0.0/8\n"
                                " remote_ts = 10.0.0.0/8 } } } }\n", longname);
    assert_null(load(text, err, sizeof err));
    assert_non_null(strstr(err, "swanctl.conf:1: connection name 'a-connection-name-of-thirty-two-c' is longer than 31"));
    snprintf(text, sizeof text, "connections { lab { children {\n %s {\n local_ts = 10.0.0.0/8\n"
                                " remote_ts = 10.0.0.0/8 } } } }\n", longname);
    assert_null(load(text, err, sizeof err));
    assert_non_null(strstr(err, "swanctl.conf:2: child name"));
    struct kite_conf *c = load("connections { a-connection-name-of-thirty-one { children {\n"
                               " child-name-exactly-thirty-one-c { local_ts = 10.0.0.0/8\n"
                               " remote_ts = 10.0.0.0/8 } } } }\n", err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_string_equal(c->conns[0].name, "a-connection-name-of-thirty-one");
    assert_string_equal(c->conns[0].child[0].name, "child-name-exactly-thirty-one-c");
    conf_free(c);

    static const struct { const char *conn, *child, *want; } bad[] = {
        { "rekey_time = -5m", "", "swanctl.conf:2: invalid time '-5m'" },
        { "rekey_time = 99999999999999999999d", "", "invalid time" },
        { "rekey_time = 71582789m", "", "invalid time" }, /* 2^32 s and more */
        { "rekey_time = 5 m", "", "invalid time" },
        { "dpd_delay = 50d", "", "swanctl.conf:2: dpd_delay" },
        { "local_port = +500", "", "invalid port '+500'" },
        { "local_port = 0x1f4", "", "invalid port" },
        { "encap = maybe", "", "swanctl.conf:2: encap must be yes or no, not 'maybe'" },
        { "fragmentation = on", "", "swanctl.conf:2: fragmentation must be yes, accept, force or no, not 'on'" },
        { "", "rekey_bytes = 99999999999999999999999", "swanctl.conf:6: rekey_bytes must be a number" },
        { "", "life_packets = +5", "life_packets must be a number" },
        { "", "replay_window = 0x10", "replay_window must be a number" },
        { "", "rekey_time = 1h\n life_time = 30m", "swanctl.conf:7: life_time (1800 s) must not be shorter than rekey_time (3600 s)" },
        { "", "rand_time = 2h", "rand_time" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c = load_child_key(bad[i].conn, bad[i].child, err, sizeof err);
        if (c || !strstr(err, bad[i].want))
            fail_msg("'%s%s': %s (wanted '%s')", bad[i].conn, bad[i].child, c ? "accepted" : err, bad[i].want);
    }
    c = load_child_key("encap = true\n dpd_delay = 49d", "rekey_bytes = 18446744073709551615", err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_true(c->conns[0].encap);
    assert_int_equal(c->conns[0].dpd_delay, 49 * 86400);
    assert_int_equal(c->conns[0].fragmentation, CONF_FRAG_YES); /* the default */
    /* the default hard limit 10% above does not wrap around */
    assert_true(c->conns[0].child[0].life_bytes >= c->conns[0].child[0].rekey_bytes);
    conf_free(c);
    /* a section named like a key is not that key: it is unknown, and refused */
    assert_null(load_child_key("proposals { aes = 1 }", "", err, sizeof err));
    assert_non_null(strstr(err, "swanctl.conf:2: connection 'lab': unknown section 'proposals' refused"));
    c = load_child_key("encap = no\n fragmentation = accept", "rekey_time = 4000000000", err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_false(c->conns[0].encap);
    assert_int_equal(c->conns[0].fragmentation, CONF_FRAG_ACCEPT);
    assert_true(c->conns[0].child[0].life_time >= c->conns[0].child[0].rekey_time);
    assert_true(c->conns[0].child[0].rand_time <= c->conns[0].child[0].rekey_time);
    conf_free(c);
}

/* PSKs longer than the engine's 128 bytes, empty ones and trailing garbage
 * were accepted (and then refused later as "no usable pre-shared key") */
static void secrets_strict(void **s)
{
    (void)s;
    char err[256], text[2048], psk[200];
    memset(psk, 'k', 129);
    psk[129] = 0;
    snprintf(text, sizeof text, "secrets {\n ike-a {\n secret = %s } }\n", psk);
    assert_null(load(text, err, sizeof err));
    assert_string_equal(err, "swanctl.conf:3: secret is 129 bytes long; at most 128 are supported");
    psk[128] = 0;
    snprintf(text, sizeof text, "secrets {\n ike-a {\n secret = %s } }\n", psk);
    struct kite_conf *c = load(text, err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_int_equal(c->secrets[0].s.n, 128);
    conf_free(c);
    static const char *const bad[] = { "\"\"", "0x", "0s", "0sSGVsbG8=junk", "0sSGVsbG8===", "0x0g", "0x123" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, "secrets {\n ike-a {\n secret = %s } }\n", bad[i]);
        if ((c = load(text, err, sizeof err)) || !strstr(err, "swanctl.conf:3: "))
            fail_msg("secret '%s': %s", bad[i], c ? "accepted" : err);
    }
    snprintf(text, sizeof text, "secrets { ike-a { secret = 0x%0258d } }\n", 0); /* 129 bytes */
    assert_null(load(text, err, sizeof err));
    assert_non_null(strstr(err, "129 bytes"));
    char longid[1100] = "@"; /* one byte over CONF_ID_MAX (1024) */
    memset(longid + 1, 'h', 1025);
    longid[1026] = 0;
    snprintf(text, sizeof text, "secrets { ike-a { secret = x\n id = %s } }\n", longid);
    assert_null(load(text, err, sizeof err));
    assert_non_null(strstr(err, "swanctl.conf:2: invalid identity"));
}

/* strongSwan's certificate keys: local/remote auth with constraints, certs,
 * cacerts, revocation, send_cert, send_certreq; bad values name file:line */
static void certificate_keys(void **s)
{
    (void)s;
    char err[256];
    struct kite_conf *c = load("connections { moon {\n send_cert = always\n send_certreq = no\n"
                               " local { auth = rsa/pss-sha256\n certs = moonCert.pem }\n"
                               " remote { auth = ecdsa-sha384-sha512\n id = \"C=CH, O=strongSwan, CN=*\"\n"
                               " cacerts = caCert.pem, otherCa.pem\n certs = sunCert.pem\n revocation = strict }\n"
                               " children { net { local_ts = 10.1.0.0/16\n remote_ts = 10.2.0.0/16 } } } }\n",
                               err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    const struct conf_conn *k = &c->conns[0];
    assert_int_equal(k->send_cert, CONF_SEND_CERT_ALWAYS);
    assert_false(k->send_certreq);
    assert_int_equal(k->local_auth.kind, CONF_AUTH_PUBKEY);
    assert_int_equal(k->local_auth.key, CONF_KEY_RSA);
    assert_true(k->local_auth.pss);
    assert_int_equal(k->local_auth.hashes, 1 << 2); /* strongSwan's way to sign with PSS and SHA-256 */
    assert_int_equal(k->remote_auth.kind, CONF_AUTH_PUBKEY);
    assert_int_equal(k->remote_auth.key, CONF_KEY_ECDSA);
    assert_int_equal(k->remote_auth.hashes, 1 << 3 | 1 << 4);
    assert_string_equal(k->local_certs[0], "moonCert.pem");
    assert_string_equal(k->cacerts[0], "caCert.pem");
    assert_string_equal(k->cacerts[1], "otherCa.pem");
    assert_string_equal(k->remote_certs[0], "sunCert.pem");
    assert_int_equal(k->revocation, CONF_REV_STRICT);
    assert_int_equal(k->remote_id.type, 9); /* a DN */
    assert_false(k->local_id_set);
    conf_free(c);
    /* the defaults: pubkey (strongSwan's: a file without auth is never
     * read as PSK; it was), ifasked, CERTREQ sent, relaxed */
    c = load("connections { lab { children { net { local_ts = 10.0.0.0/8\n remote_ts = 10.0.0.0/8 } } } }\n", err,
             sizeof err);
    assert_non_null(c);
    assert_int_equal(c->conns[0].local_auth.kind, CONF_AUTH_PUBKEY);
    assert_int_equal(c->conns[0].remote_auth.kind, CONF_AUTH_PUBKEY);
    assert_int_equal(c->conns[0].remote_auth.key, CONF_KEY_ANY);
    assert_int_equal(c->conns[0].send_cert, CONF_SEND_CERT_IFASKED);
    assert_true(c->conns[0].send_certreq);
    assert_int_equal(c->conns[0].revocation, CONF_REV_RELAXED);
    conf_free(c);
    static const struct { const char *line, *want; } bad[] = {
        { "local { auth = rsa-md5 }", "swanctl.conf:2: auth = rsa-md5: expected psk, pubkey" },
        { "remote { auth = psk-sha256 }", "swanctl.conf:2: auth = psk-sha256: expected" },
        { "remote { auth = eap-radius }", "swanctl.conf:2: auth = eap-radius: RADIUS is not implemented" },
        { "remote { auth = eap-ttls }", "swanctl.conf:2: auth = eap-ttls: this EAP method is not implemented" },
        { "local { auth = eap-md5 }", "swanctl.conf:2: auth = eap-md5: this EAP method is not implemented" },
        { "remote { auth = eap\n eap_id = \"\" }", "swanctl.conf:3: eap_id must be 1 to 255 bytes" },
        { "remote { revocation = sometimes }", "swanctl.conf:2: revocation = sometimes: expected strict, ifuri" },
        { "send_cert = maybe", "swanctl.conf:2: send_cert = maybe: expected ifasked, always or never" },
        { "send_certreq = perhaps", "swanctl.conf:2: send_certreq must be yes or no" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "connections { lab {\n %s\n children { net { local_ts = 10.0.0.0/8\n"
                                    " remote_ts = 10.0.0.0/8 } } } }\n", bad[i].line);
        if ((c = load(text, err, sizeof err)) || !strstr(err, bad[i].want))
            fail_msg("'%s': %s", bad[i].line, c ? "accepted" : err);
    }
}

/* EAP (issue 15): auth = eap-mschapv2 | eap with eap_id, and eap-x secrets:
 * users' passwords, found by their id, never taken as a PSK */
static void eap_users(void **s)
{
    (void)s;
    char err[256];
    struct kite_conf *c = load("connections { rw {\n"
                               " local { auth = psk }\n"
                               " remote { auth = eap-mschapv2\n eap_id = %any }\n"
                               " children { net { local_ts = 10.0.0.0/8\n remote_ts = 10.3.0.0/16 } } }\n"
                               " home { local { auth = eap\n eap_id = carol }\n remote { auth = psk }\n"
                               " children { net { local_ts = 10.3.0.9/32\n remote_ts = 10.0.0.0/8 } } } }\n"
                               "secrets {\n"
                               "  eap-carol { id = carol\n secret = tuxmux }\n"
                               "  eap-dave { id-1 = dave\n id-2 = dave@example.com\n secret = ryftyr }\n"
                               "  ike-gw { secret = gateway-psk }\n"
                               "}\n", err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_int_equal(c->conns[0].remote_auth.kind, CONF_AUTH_EAP);
    assert_int_equal(c->conns[0].local_auth.kind, CONF_AUTH_PSK);
    assert_string_equal(c->conns[0].remote_eap_id, "%any");
    assert_int_equal(c->conns[1].local_auth.kind, CONF_AUTH_EAP);
    assert_string_equal(c->conns[1].local_eap_id, "carol");
    assert_int_equal(c->conns[0].remote_auth.eap_type, 0);
    const struct secret *pw = conf_eap_find(c, "carol", 5);
    assert_non_null(pw);
    assert_memory_equal(pw->p, "tuxmux", 6);
    pw = conf_eap_find(c, "dave@example.com", 16);
    assert_non_null(pw);
    assert_memory_equal(pw->p, "ryftyr", 6);
    assert_null(conf_eap_find(c, "erin", 4));
    assert_null(conf_eap_find(c, "caro", 4));
    /* the PSK lookup never returns a user's password, even for a matching id */
    struct conf_id carol = { .type = 2, .len = 5 };
    memcpy(carol.data, "carol", 5);
    const struct secret *psk = conf_psk_find(c, &carol, &carol);
    assert_non_null(psk);
    assert_memory_equal(psk->p, "gateway-psk", 11);
    conf_free(c);
}

/* secrets { private-x { file, secret } } and its rsa-, ecdsa-, pkcs8-
 * forms: passphrases for encrypted key files, any number, any length */
static void key_passphrases(void **s)
{
    (void)s;
    char err[256], text[8192];
    struct kite_conf *c = load("secrets {\n"
                               "  private-moon { file = moonKey.pem\n secret = \"moon pass\" }\n"
                               "  rsa-a { file = /etc/swanctl/rsa/a.pem\n secret = 0x00ff10 }\n"
                               "  ecdsa { file = e.der\n secret = 0sSGVsbG8= }\n"
                               "  pkcs8-p { file = p.der\n secret = p8 }\n"
                               "  ike-x { secret = psk }\n"
                               "  eap-carol { secret = x }\n"
                               "}\n", err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_int_equal(c->n_key_pass, 4);
    assert_int_equal(c->n_secrets, 2); /* ike-x and eap-carol */
    assert_false(c->secrets[0].eap);
    assert_true(c->secrets[1].eap);
    assert_string_equal(c->key_pass[0].file, "moonKey.pem");
    assert_int_equal(c->key_pass[0].pass.n, 9);
    assert_memory_equal(c->key_pass[0].pass.p, "moon pass", 9);
    assert_string_equal(c->key_pass[1].file, "/etc/swanctl/rsa/a.pem");
    assert_int_equal(c->key_pass[1].pass.n, 3);
    assert_memory_equal(c->key_pass[1].pass.p, "\x00\xff\x10", 3);
    assert_memory_equal(c->key_pass[2].pass.p, "Hello", 5);
    assert_string_equal(c->key_pass[3].file, "p.der");
    assert_null(strstr(warnings, "eap-carol"));
    assert_null(strstr(warnings, "private-moon"));
    conf_free(c);
    /* more than the PSKs' 16 and longer than their 128 bytes: no cap */
    size_t k = (size_t)snprintf(text, sizeof text, "secrets {\n");
    for (int i = 0; i < 40; i++)
        k += (size_t)snprintf(text + k, sizeof text - k, " private-%d { file = k%d.pem\n secret = %0150d }\n", i, i, i);
    snprintf(text + k, sizeof text - k, "}\n");
    c = load(text, err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_int_equal(c->n_key_pass, 40);
    assert_string_equal(c->key_pass[39].file, "k39.pem");
    assert_int_equal(c->key_pass[39].pass.n, 150);
    conf_free(c);
    static const struct { const char *text, *err; } bad[] = {
        { "secrets {\n private-a {\n secret = x } }\n", "swanctl.conf:2: secret section 'private-a' has no 'file ='" },
        { "secrets {\n rsa-a { file = a.pem } }\n", "swanctl.conf:2: secret section 'rsa-a' has no 'secret ='" },
        { "secrets {\n ecdsa-a { file = a.pem\n secret = \"\" } }\n", "swanctl.conf:3: the passphrase is empty" },
        { "secrets {\n pkcs8-a { file = a.pem\n secret = 0xabc } }\n", "swanctl.conf:3: invalid passphrase encoding" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_null(c = load(bad[i].text, err, sizeof err));
        if (strncmp(err, bad[i].err, strlen(bad[i].err)))
            fail_msg("'%s': '%s', expected '%s'", bad[i].text, err, bad[i].err);
    }
}

/* identities as strongSwan writes them (cred/id.c): DNs unquoted, "@#hex"
 * quoted (a '#' starts a comment, in strongSwan's syntax too) */
static void identities_of_every_form(void **s)
{
    (void)s;
    char err[256];
    struct kite_conf *c = load("secrets { ike-a { secret = x\n id-1 = C=CH, O=strongSwan, CN=moon.strongswan.org\n"
                               " id-2 = *@strongswan.org\n id-3 = \"@#0102\"\n id-4 = %any } }\n", err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    const struct conf_id *id = c->secrets[0].ids;
    assert_int_equal(id[0].type, 9); /* ID_DER_ASN1_DN: the DER pki makes for this DN */
    assert_int_equal(id[0].len, 0x42);
    assert_memory_equal(id[0].data, "\x30\x40\x31\x0b\x30\x09\x06\x03\x55\x04\x06\x13\x02\x43\x48", 15);
    assert_int_equal(id[1].type, 3);
    assert_int_equal(id[2].type, 11);
    assert_int_equal(id[2].len, 2);
    assert_int_equal(id[3].type, 0);
    conf_free(c);
    assert_null(load("secrets { ike-a { secret = x\n id = X=1, CN=moon } }\n", err, sizeof err));
    assert_string_equal(err, "swanctl.conf:2: invalid identity 'X=1, CN=moon' (not %any, an address, @name, "
                             "user@host, @#hex or a DN such as C=CH, O=x, CN=y)");
}

/* auth = eap-tls (RFC 5216) on either side: EAP, method 13, with eap_id */
static void eap_tls_auth(void **s)
{
    (void)s;
    char err[256];
    struct kite_conf *c = load("connections { gw {\n local { auth = pubkey\n certs = moon.pem }\n"
                               " remote { auth = eap-tls\n eap_id = %any }\n"
                               " children { net { local_ts = 10.0.0.0/8 } } }\n"
                               " rw { local { auth = eap-tls\n certs = carol.pem\n eap_id = carol@example.org }\n"
                               " remote { auth = pubkey }\n children { net { remote_ts = 10.0.0.0/8 } } } }\n",
                               err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_int_equal(c->conns[0].remote_auth.kind, CONF_AUTH_EAP);
    assert_int_equal(c->conns[0].remote_auth.eap_type, 13);
    assert_string_equal(c->conns[0].remote_eap_id, "%any");
    assert_int_equal(c->conns[1].local_auth.kind, CONF_AUTH_EAP);
    assert_int_equal(c->conns[1].local_auth.eap_type, 13);
    assert_string_equal(c->conns[1].local_eap_id, "carol@example.org");
    /* the other keys of an EAP round are read too (they were skipped) */
    assert_string_equal(c->conns[1].local_certs[0], "carol.pem");
    assert_string_equal(c->conns[0].local_certs[0], "moon.pem");
    conf_free(c);
}

/* hostaccess (issue 14): read as a boolean for the updown script's
 * PLUTO_HOST_ACCESS; anything else refused with file:line */
static void hostaccess_read(void **s)
{
    (void)s;
    char err[256];
    struct kite_conf *c = load("connections { gw { remote_addrs = 192.0.2.1\n local { auth = psk }\n"
                               " remote { auth = psk }\n children { a { hostaccess = yes }\n b { } } } }\n",
                               err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_true(c->conns[0].child[0].hostaccess);
    assert_false(c->conns[0].child[1].hostaccess);
    conf_free(c);
    assert_null(load("connections { gw { remote_addrs = 192.0.2.1\n local { auth = psk }\n remote { auth = psk }\n"
                     " children { a {\n hostaccess = sometimes } } } }\n", err, sizeof err));
    assert_non_null(strstr(err, ":5: "));
    assert_non_null(strstr(err, "hostaccess must be yes or no, not 'sometimes'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(interop_readme_example),
        cmocka_unit_test(proposals_like_strongswan),
        cmocka_unit_test(proposals_never_overflow),
        cmocka_unit_test(traffic_selectors_strict),
        cmocka_unit_test(secrets_in_every_form),
        cmocka_unit_test(identities_of_every_form),
        cmocka_unit_test(errors_name_file_and_line),
        cmocka_unit_test(unknown_keys_refused),
        cmocka_unit_test(includes_relative_to_the_file),
        cmocka_unit_test(includes_of_many_files),
        cmocka_unit_test(names_numbers_and_flags_strict),
        cmocka_unit_test(secrets_strict),
        cmocka_unit_test(certificate_keys),
        cmocka_unit_test(key_passphrases), cmocka_unit_test(eap_users), cmocka_unit_test(eap_tls_auth), cmocka_unit_test(hostaccess_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
