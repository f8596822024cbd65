/* conf/proposal: strongSwan 5.9's proposal keywords (issue 14).  Every
 * keyword kite accepts parses to the IANA transform it names, in IKE and in
 * ESP where it belongs; every keyword kite refuses is refused by name with
 * its reason; weak algorithms are accepted only when written, named once per
 * connection in a warning, and never part of the defaults. */
#include "testutil.h"
#include "conf/conf.h"
#include "crypto/registry.h"
#include <stdio.h>
#include <string.h>

struct kw {
    const char *kw;
    uint8_t type;
    uint16_t id, bits;
};

/* the keywords added for issue 14, and the transform each names */
static const struct kw added[] = {
    { "aes128ccm8", XF_ENCR, ENCR_AES_CCM_8, 128 },    { "aes192ccm64", XF_ENCR, ENCR_AES_CCM_8, 192 },
    { "aes256ccm12", XF_ENCR, ENCR_AES_CCM_12, 256 },  { "aes128ccm96", XF_ENCR, ENCR_AES_CCM_12, 128 },
    { "aes192ccm16", XF_ENCR, ENCR_AES_CCM_16, 192 },  { "aes256ccm128", XF_ENCR, ENCR_AES_CCM_16, 256 },
    { "aes128ccm", XF_ENCR, ENCR_AES_CCM_16, 128 },    { "camellia", XF_ENCR, ENCR_CAMELLIA_CBC, 128 },
    { "camellia128", XF_ENCR, ENCR_CAMELLIA_CBC, 128 }, { "camellia192", XF_ENCR, ENCR_CAMELLIA_CBC, 192 },
    { "camellia256", XF_ENCR, ENCR_CAMELLIA_CBC, 256 }, { "aes128ctr", XF_ENCR, ENCR_AES_CTR, 128 },
    { "aes192ctr", XF_ENCR, ENCR_AES_CTR, 192 },       { "aes256ctr", XF_ENCR, ENCR_AES_CTR, 256 },
    { "camellia128ctr", XF_ENCR, ENCR_CAMELLIA_CTR, 128 }, { "camellia256ctr", XF_ENCR, ENCR_CAMELLIA_CTR, 256 },
    { "3des", XF_ENCR, ENCR_3DES, 0 },                 { "sha1", XF_INTEG, AUTH_HMAC_SHA1_96, 0 },
    { "sha", XF_INTEG, AUTH_HMAC_SHA1_96, 0 },         { "md5", XF_INTEG, AUTH_HMAC_MD5_96, 0 },
    { "aesxcbc", XF_INTEG, AUTH_AES_XCBC_96, 0 },      { "aescmac", XF_INTEG, AUTH_AES_CMAC_96, 0 },
    { "ecp192", XF_KE, KE_ECP_192, 0 },                { "ecp224", XF_KE, KE_ECP_224, 0 },
    { "ecp224bp", XF_KE, KE_ECP_224_BP, 0 },           { "ecp256bp", XF_KE, KE_ECP_256_BP, 0 },
    { "ecp384bp", XF_KE, KE_ECP_384_BP, 0 },           { "ecp512bp", XF_KE, KE_ECP_512_BP, 0 },
    { "modp1024", XF_KE, KE_MODP_1024, 0 },            { "modp1536", XF_KE, KE_MODP_1536, 0 },
};

/* ENCR_NULL (RFC 2410): ESP only, weak; an IKE SA is always encrypted */
static void null_for_esp_only(void **s)
{
    (void)s;
    struct conf_prop p[CONF_MAX_PROPS];
    uint8_t n;
    char err[256], names[64] = "";
    assert_int_equal(conf_parse_proposals("null-sha256", false, p, &n, err, sizeof err), 0);
    assert_int_equal(p[0].xf[0].id, ENCR_NULL);
    assert_true(conf_prop_weak(p, n, names, sizeof names));
    assert_string_equal(names, "null");
    assert_int_equal(conf_parse_proposals("null", false, p, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "needs an integrity algorithm"));
    assert_int_equal(conf_parse_proposals("null-sha256-ecp256", true, p, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "'null' is refused in IKE"));
}

static const struct xf_info *find(const struct conf_prop *p, uint8_t type)
{
    for (unsigned i = 0; i < p->n; i++)
        if (p->xf[i].type == type)
            return xf_lookup(type, p->xf[i].id, p->xf[i].key_bits);
    return NULL;
}

/* the keyword inside a complete proposal of the other parts, IKE and ESP */
static void parse_in(const struct kw *k, bool ike)
{
    const char *tmpl = "%s";
    char text[128], err[256] = "";
    struct conf_prop p[CONF_MAX_PROPS];
    uint8_t n = 0;
    bool aead = k->type == XF_ENCR && xf_lookup(XF_ENCR, k->id, k->bits)->aead;
    switch (k->type) {
    case XF_ENCR: tmpl = ike ? (aead ? "%s-prfsha256-ecp256" : "%s-sha256-ecp256") : (aead ? "%s" : "%s-sha256"); break;
    case XF_INTEG: tmpl = ike ? "aes128-%s-ecp256" : "aes128-%s"; break;
    case XF_KE: tmpl = ike ? "aes128-sha256-%s" : "aes128gcm16-%s"; break;
    }
    snprintf(text, sizeof text, tmpl, k->kw);
    if (conf_parse_proposals(text, ike, p, &n, err, sizeof err))
        fail_msg("%s '%s': %s", ike ? "IKE" : "ESP", text, err);
    assert_int_equal(n, 1);
    const struct xf_info *x = find(&p[0], k->type);
    assert_non_null(x);
    assert_int_equal(x->id, k->id);
    assert_int_equal(x->key_length_attr ? x->key_bits : 0, k->bits);
}

static void every_added_keyword_in_ike_and_esp(void **s)
{
    (void)s;
    for (size_t i = 0; i < sizeof added / sizeof added[0]; i++) {
        parse_in(&added[i], true);
        parse_in(&added[i], false);
    }
}

/* strongSwan's rule: an integrity keyword in IKE also gives its PRF */
static void integrity_gives_its_prf(void **s)
{
    (void)s;
    static const struct {
        const char *text;
        uint16_t prf;
    } cases[] = {
        { "aes256-sha1-modp1024", PRF_HMAC_SHA1 }, { "3des-md5-modp1536", PRF_HMAC_MD5 },
        { "aes128-aesxcbc-ecp256bp", PRF_AES128_XCBC }, { "camellia-aescmac-ecp224", PRF_AES128_CMAC },
        { "aes128ccm16-prfaescmac-ecp384bp", PRF_AES128_CMAC }, { "aes128ccm8-prfsha1-x25519", PRF_HMAC_SHA1 },
        { "aes256ccm12-prfmd5-ecp512bp", PRF_HMAC_MD5 }, { "aes128gcm16-prfaesxcbc-ecp192", PRF_AES128_XCBC },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct conf_prop p[CONF_MAX_PROPS];
        uint8_t n;
        char err[256];
        if (conf_parse_proposals(cases[i].text, true, p, &n, err, sizeof err))
            fail_msg("'%s': %s", cases[i].text, err);
        assert_int_equal(find(&p[0], XF_PRF)->id, cases[i].prf);
    }
}

static void esn_and_noesn(void **s)
{
    (void)s;
    struct conf_prop p[CONF_MAX_PROPS];
    uint8_t n;
    char err[256];
    assert_int_equal(conf_parse_proposals("aes128ccm16-esn-noesn", false, p, &n, err, sizeof err), 0);
    assert_int_equal(p[0].n, 3);
    assert_int_equal(p[0].xf[1].id, ESN_YES);
    assert_int_equal(p[0].xf[2].id, ESN_NO);
    assert_int_equal(conf_parse_proposals("3des-sha1-esn", false, p, &n, err, sizeof err), 0);
    assert_int_equal(find(&p[0], XF_ESN)->id, ESN_YES);
    /* ESN is an ESP transform; PRFs are IKE's */
    assert_int_equal(conf_parse_proposals("aes128-sha1-modp1024-esn", true, p, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "'esn'"));
    assert_int_equal(conf_parse_proposals("aes128-sha1-prfsha1", false, p, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "'prfsha1'"));
}

/* each refused keyword: its name and its reason in the error, for IKE and ESP */
static void refusals_name_the_reason(void **s)
{
    (void)s;
    static const struct {
        const char *kw, *why;
    } cases[] = {
        { "des", "56-bit key and is broken" },
        { "modp768", "MODP-768 (group 1) is broken" },
        { "none", "optional PFS" },
        { "modpnone", "optional PFS" },
        { "modpnull", "optional PFS" },
        { "modp1024s160", "RFC 5114 MODP groups" },
        { "modp2048s224", "RFC 5114 MODP groups" },
        { "modp2048s256", "RFC 5114 MODP groups" },
        { "aes128gmac", "integrity-only ESP" },
        { "aes256gmac", "integrity-only ESP" },
        { "chacha20poly1305compat", "pre-RFC 7634" },
        { "camellia128ccm16", "no Camellia-CCM" },
        { "camellia256ccm64", "no Camellia-CCM" },
        { "camelliaxcbc", "strongSwan-private" },
        { "prfcamelliaxcbc", "strongSwan-private" },
        { "sha256_96", "pre-RFC 4868" },
        { "sha2_256_96", "pre-RFC 4868" },
        { "sha1_160", "Fibre Channel" },
        { "md5_128", "Fibre Channel" },
        { "blowfish", "Blowfish" },
        { "blowfish256", "Blowfish" },
        { "cast128", "CAST-128" },
        { "serpent192", "Serpent" },
        { "twofish", "Twofish" },
        { "gost256", "GOST" },
        { "ntru128", "NTRU" },
        { "newhope128", "NewHope" },
        { "mlkem768", "ML-KEM" },
        { "ke1_mlkem768", "additional key exchanges (RFC 9370" },
        { "ke7_ecp256", "additional key exchanges (RFC 9370" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int ike = 0; ike < 2; ike++) {
            struct conf_prop p[CONF_MAX_PROPS];
            uint8_t n;
            char text[96], err[512] = "", want[64];
            snprintf(text, sizeof text, ike ? "aes128-sha256-ecp256-%s" : "aes128-sha256-%s", cases[i].kw);
            assert_int_equal(conf_parse_proposals(text, ike, p, &n, err, sizeof err), -1);
            snprintf(want, sizeof want, "'%s' is refused: ", cases[i].kw);
            if (!strstr(err, want) || !strstr(err, cases[i].why))
                fail_msg("'%s': %s", text, err);
        }
    }
    /* a keyword nobody knows stays "unknown" */
    struct conf_prop p[CONF_MAX_PROPS];
    uint8_t n;
    char err[256];
    assert_int_equal(conf_parse_proposals("aes128-sha256-ecp256-foo9", true, p, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown or misplaced algorithm 'foo9'"));
}

static void weak_ones_named_once(void **s)
{
    (void)s;
    struct conf_prop ike[CONF_MAX_PROPS], esp[CONF_MAX_PROPS];
    uint8_t ni, ne;
    char err[256], names[256] = "";
    assert_int_equal(conf_parse_proposals("aes256-sha1-modp1024,3des-sha1-md5-modp1536,aes128-sha256-ecp192", true,
                                          ike, &ni, err, sizeof err), 0);
    assert_int_equal(conf_parse_proposals("3des-sha1,aes128ccm16", false, esp, &ne, err, sizeof err), 0);
    assert_true(conf_prop_weak(ike, ni, names, sizeof names));
    assert_true(conf_prop_weak(esp, ne, names, sizeof names));
    assert_string_equal(names, "sha1, modp1024, prfsha1, 3des, md5, modp1536, prfmd5, ecp192");
    /* the strong ones added here are not weak */
    names[0] = 0;
    assert_int_equal(conf_parse_proposals("aes128ccm16-aesxcbc-aescmac-camellia-aes128ctr-prfaescmac-ecp256bp-ecp224",
                                          true, ike, &ni, err, sizeof err), 0);
    assert_false(conf_prop_weak(ike, ni, names, sizeof names));
    assert_string_equal(names, "");
}

static void defaults_have_nothing_weak(void **s)
{
    (void)s;
    struct conf_prop p[CONF_MAX_PROPS];
    uint8_t n;
    char err[256], names[256] = "";
    assert_int_equal(conf_parse_proposals("default", true, p, &n, err, sizeof err), 0);
    assert_false(conf_prop_weak(p, n, names, sizeof names));
    assert_int_equal(conf_parse_proposals("default", false, p, &n, err, sizeof err), 0);
    assert_false(conf_prop_weak(p, n, names, sizeof names));
    assert_string_equal(names, "");
}

static char warnings[2048];
static void on_warn(void *ctx, const char *msg)
{
    (void)ctx;
    strncat(warnings, msg, sizeof warnings - strlen(warnings) - 2);
    strcat(warnings, "\n");
}

static const char *conf_text =
    "connections {\n"
    "  win {\n"
    "    remote_addrs = 192.0.2.1\n"
    "    proposals = aes256-sha1-modp1024, aes256-sha256-modp2048\n"
    "    local { auth = psk }\n"
    "    remote { auth = psk }\n"
    "    children {\n"
    "      a { esp_proposals = 3des-sha1\n local_ts = 10.1.0.0/24\n remote_ts = 10.2.0.0/24 }\n"
    "      b { esp_proposals = aes128-md5-modp1024\n local_ts = 10.1.1.0/24\n remote_ts = 10.2.1.0/24 }\n"
    "    }\n"
    "  }\n"
    "  strong {\n"
    "    remote_addrs = 192.0.2.2\n"
    "    proposals = aes128ccm16-prfsha256-ecp256bp\n"
    "    local { auth = psk }\n"
    "    remote { auth = psk }\n"
    "    children { c { esp_proposals = camellia256-aescmac\n local_ts = 10.1.2.0/24\n remote_ts = 10.2.2.0/24 } }\n"
    "  }\n"
    "}\n"
    "secrets { ike-1 { secret = \"0123456789abcdef\" } }\n";

/* one warning per connection, naming its weak algorithms; none for the other */
static void one_warning_per_connection(void **s)
{
    (void)s;
    struct kite_conf *c = NULL;
    char err[256] = "";
    warnings[0] = 0;
    if (conf_load_string(conf_text, "swanctl.conf", &c, err, sizeof err, on_warn, NULL))
        fail_msg("%s", err);
    assert_int_equal(c->n_conns, 2);
    assert_string_equal(warnings, "swanctl.conf:2: connection 'win' uses weak algorithms because they are "
                                  "configured: sha1, modp1024, prfsha1, 3des, md5\n");
    conf_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_added_keyword_in_ike_and_esp),
        cmocka_unit_test(null_for_esp_only),
        cmocka_unit_test(integrity_gives_its_prf),
        cmocka_unit_test(esn_and_noesn),
        cmocka_unit_test(refusals_name_the_reason),
        cmocka_unit_test(weak_ones_named_once),
        cmocka_unit_test(defaults_have_nothing_weak),
        cmocka_unit_test(one_warning_per_connection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
