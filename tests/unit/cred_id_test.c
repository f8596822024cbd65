/* cred/id: identities as strongSwan 5.9.8 reads, prints and matches them.
 * The DN encodings and printed forms marked "pki" are what strongSwan's own
 * `pki --self --dn TEXT` put in the certificate and `pki --print` showed;
 * the certificates come from tests/unit/data/ids/gen.sh (openssl). */
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/pem.h>
#include "base/err.h"
#include "cred/id.h"

enum { ANY = CRED_ID_ANY, V4 = CRED_ID_IPV4, FQDN = CRED_ID_FQDN, RFC822 = CRED_ID_RFC822,
       V4NET = CRED_ID_IPV4_SUBNET, V6 = CRED_ID_IPV6, V6NET = CRED_ID_IPV6_SUBNET,
       V4RANGE = CRED_ID_IPV4_RANGE, DN = CRED_ID_DN, KEYID = CRED_ID_KEY_ID };

struct id {
    uint8_t type;
    size_t len;
    uint8_t data[1024];
};

static struct id parse_ok(const char *text)
{
    struct id id;
    int rc = cred_id_parse(text, &id.type, id.data, sizeof id.data, &id.len);
    if (rc)
        fail_msg("'%s' not parsed: %s", text, kite_errname(rc));
    return id;
}

/* text -> type and bytes ("hex" given in hex, or "str" as the bytes) */
struct parse_case {
    const char *text;
    int rc;
    uint8_t type;
    const char *hex, *str;
};

static const struct parse_case parse_cases[] = {
    { "%any", 0, ANY, "", NULL },
    { "%any6", 0, ANY, "", NULL },
    { "*", 0, ANY, "", NULL },
    { "0.0.0.0", 0, ANY, "", NULL },
    { "::", 0, ANY, "", NULL },
    { "", KITE_E_INVALID_ARG, 0, NULL, NULL },
    { "192.0.2.1", 0, V4, "c0000201", NULL },
    { "2001:db8::1", 0, V6, "20010db8000000000000000000000001", NULL },
    { "10.1.2.3/16", 0, V4NET, "0a010000ffff0000", NULL }, /* host bits cleared */
    { "2001:db8::/32", 0, V6NET, "20010db8000000000000000000000000ffffffff000000000000000000000000", NULL },
    { "192.0.2.1-192.0.2.9", 0, V4RANGE, "c0000201c0000209", NULL },
    { "192.0.2.9-192.0.2.1", 0, FQDN, NULL, "192.0.2.9-192.0.2.1" }, /* no range: a name, as strongSwan */
    { "10.1.2.3/33", 0, FQDN, NULL, "10.1.2.3/33" },
    { "@moon.strongswan.org", 0, FQDN, NULL, "moon.strongswan.org" },
    { "moon.strongswan.org", 0, FQDN, NULL, "moon.strongswan.org" },
    { "*.strongswan.org", 0, FQDN, NULL, "*.strongswan.org" },
    { "carol@strongswan.org", 0, RFC822, NULL, "carol@strongswan.org" },
    { "*@strongswan.org", 0, RFC822, NULL, "*@strongswan.org" },
    { "@@carol@strongswan.org", 0, RFC822, NULL, "carol@strongswan.org" },
    { "@", KITE_E_INVALID_ARG, 0, NULL, NULL },
    { "@@", KITE_E_INVALID_ARG, 0, NULL, NULL },
    { "@#0123ab", 0, KEYID, "0123ab", NULL },
    { "@#0x01:23:AB", 0, KEYID, "0123ab", NULL },
    { "@#123", 0, KEYID, "0123", NULL }, /* odd: a leading 0, as strongSwan */
    { "@#", KITE_E_INVALID_ARG, 0, NULL, NULL },
    { "@#12xy", KITE_E_INVALID_ARG, 0, NULL, NULL },
    { "fe80::1:zz", 0, KEYID, NULL, "fe80::1:zz" }, /* ':' but no address: strongSwan's KEY_ID */
    { "keyid:#0123", 0, KEYID, "0123", NULL },
    { "keyid:abc", 0, KEYID, NULL, "abc" },
    { "KEYID:abc", 0, KEYID, NULL, "abc" },
    { "fqdn:192.0.2.1", 0, FQDN, NULL, "192.0.2.1" },
    { "dns:moon", 0, FQDN, NULL, "moon" },
    { "email:moon", 0, RFC822, NULL, "moon" },
    { "rfc822:a@b", 0, RFC822, NULL, "a@b" },
    { "userfqdn:a@b", 0, RFC822, NULL, "a@b" },
    { "fqdn:", KITE_E_INVALID_ARG, 0, NULL, NULL },
    { "ipv4:192.0.2.1", 0, V4, "c0000201", NULL },
    { "ipv4:#c0000201", 0, V4, "c0000201", NULL },
    { "ipv4:moon", KITE_E_INVALID_ARG, 0, NULL, NULL },
    { "ipv4:10.0.0.0/8", KITE_E_INVALID_ARG, 0, NULL, NULL },
    { "ipv4net:10.0.0.0/8", 0, V4NET, "0a000000ff000000", NULL },
    { "ipv6:2001:db8::1", 0, V6, "20010db8000000000000000000000001", NULL },
    { "{11}:#01", 0, KEYID, "01", NULL },
    { "{2}:moon", 0, FQDN, NULL, "moon" },
    { "{0}:x", KITE_E_INVALID_ARG, 0, NULL, NULL },
    { "{300}:x", KITE_E_INVALID_ARG, 0, NULL, NULL },
    { "{9}:#3003020100", KITE_E_INVALID_ARG, 0, NULL, NULL }, /* not a DN */
    /* DNs: pki */
    { "C=CH, O=strongSwan, CN=moon.strongswan.org", 0, DN,
      "3040310b300906035504061302434831133011060355040a130a7374726f6e675377616e311c301a060355040313136d6f6f"
      "6e2e7374726f6e677377616e2e6f7267", NULL },
    { "/C=CH/O=strongSwan/CN=moon.strongswan.org", 0, DN,
      "3040310b300906035504061302434831133011060355040a130a7374726f6e675377616e311c301a060355040313136d6f6f"
      "6e2e7374726f6e677377616e2e6f7267", NULL },
    { "asn1dn:C=CH, O=strongSwan, CN=moon.strongswan.org", 0, DN,
      "3040310b300906035504061302434831133011060355040a130a7374726f6e675377616e311c301a060355040313136d6f6f"
      "6e2e7374726f6e677377616e2e6f7267", NULL },
    { "C=CH, O=strong Swan  , CN=a*b, E=Moon@StrongSwan.org", 0, DN,
      "3055310b300906035504061302434831143012060355040a130b7374726f6e67205377616e310c300a06035504030c03612a"
      "623122302006092a864886f70d01090116134d6f6f6e405374726f6e675377616e2e6f7267", NULL },
    { "cn=x, o=y", 0, DN, "3018310a30080603550403130178310a3008060355040a130179", NULL },
    { "CN = x , O= y,", 0, DN, "3018310a30080603550403130178310a3008060355040a130179", NULL },
    { "C=CH, CN=*", 0, DN, "3019310b3009060355040613024348310a300806035504030c012a", NULL },
    { "CN=M\xc3\xbcller, OU=a/b", 0, DN, "30203110300e06035504030c074dc3bc6c6c6572310c300a060355040b1303612f62", NULL },
    { "CN=", 0, DN, "300b3109300706035504031300", NULL },
    { "CN==x", 0, DN, "300c310a30080603550403130178", NULL },
    { "SN=s, serialNumber=1, G=g, I=i, T=t, DC=org, UID=u, ST=st, L=l, STREET=s, postalCode=1, N=n, D=d, "
      "ID=i, dnQualifier=q, dmdName=m, pseudonym=p, employeeNumber=e, UN=un, UA=ua", 0, DN,
      "30820116310a30080603550404130173310a30080603550405130131310a3008060355042a130167310a3008060355042b13"
      "0169310a3008060355040c13017431133011060a0992268993f22c64011913036f72673111300f060a0992268993f22c6401"
      "01130175310b3009060355040813027374310a3008060355040713016c310a30080603550409130173310a30080603550411"
      "130131310a3008060355042913016e310a3008060355040d130164310a3008060355042d130169310a3008060355042e1301"
      "71310a3008060355043613016d310a300806035504411301703111300f060a6086480186f8420301031301653111300f0609"
      "2a864886f70d0109021602756e3111300f06092a864886f70d01090813027561", NULL },
    /* OIDs by number (strongSwan 5.9.8 refuses these) */
    { "2.5.4.3=x", 0, DN, "300c310a30080603550403130178", NULL },
    { "1.2.3.4=x", 0, DN, "300c310a300806032a0304130178", NULL },
    /* not DNs (strongSwan would take each as a KEY_ID of the text) */
    { "C=CH,,O=x", KITE_E_INVALID_ARG, 0, NULL, NULL },
    { "X=1", KITE_E_INVALID_ARG, 0, NULL, NULL },
    { "=x", KITE_E_INVALID_ARG, 0, NULL, NULL },
    { "CN x, O=y", KITE_E_INVALID_ARG, 0, NULL, NULL },
    { "1..2=x", KITE_E_INVALID_ARG, 0, NULL, NULL },
    { "5.1=x", KITE_E_INVALID_ARG, 0, NULL, NULL },
    { "1.2.=x", KITE_E_INVALID_ARG, 0, NULL, NULL },
    { "asn1dn:#3000ff", KITE_E_INVALID_ARG, 0, NULL, NULL },
    { "asn1dn:#300b3109300706035504031300", 0, DN, "300b3109300706035504031300", NULL },
};

static void parse_table(void **s)
{
    (void)s;
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        const struct parse_case *c = &parse_cases[i];
        struct id id = { .type = 0xee, .len = 7777 };
        int rc = cred_id_parse(c->text, &id.type, id.data, sizeof id.data, &id.len);
        if (rc != c->rc)
            fail_msg("'%s': %s, expected %s", c->text, kite_errname(rc), kite_errname(c->rc));
        if (rc) {
            /* refused: the outputs are left alone */
            assert_int_equal(id.type, 0xee);
            assert_int_equal(id.len, 7777);
            continue;
        }
        if (id.type != c->type)
            fail_msg("'%s': type %d, expected %d", c->text, id.type, c->type);
        size_t n = c->str ? strlen(c->str) : 0;
        uint8_t *want = c->str ? (uint8_t *)strdup(c->str) : hex_decode(c->hex, &n);
        if (id.len != n)
            fail_msg("'%s': %zu bytes, expected %zu", c->text, id.len, n);
        assert_bytes_equal(id.data, want, n);
        free(want);
    }
}

static void parse_respects_cap(void **s)
{
    (void)s;
    uint8_t t, buf[128];
    size_t n;
    char text[1100] = "@";
    memset(text + 1, 'h', 1025);
    text[1026] = 0;
    uint8_t big[1024];
    assert_int_equal(cred_id_parse(text, &t, big, sizeof big, &n), KITE_E_NO_SPACE);
    text[1025] = 0; /* 1024 bytes fit */
    assert_int_equal(cred_id_parse(text, &t, big, sizeof big, &n), 0);
    assert_int_equal(n, 1024);
    assert_int_equal(cred_id_parse("C=CH, O=strongSwan, CN=moon.strongswan.org", &t, buf, 66, &n), 0);
    assert_int_equal(n, 66);
    assert_int_equal(cred_id_parse("C=CH, O=strongSwan, CN=moon.strongswan.org", &t, buf, 65, &n),
                     KITE_E_NO_SPACE);
    assert_int_equal(cred_id_parse("@#0102", &t, buf, 1, &n), KITE_E_NO_SPACE);
    assert_int_equal(cred_id_parse("2001:db8::1", &t, buf, 15, &n), KITE_E_NO_SPACE);
    assert_int_equal(cred_id_parse(NULL, &t, buf, sizeof buf, &n), KITE_E_INVALID_ARG);
}

/* identity -> text, as strongSwan prints it */
struct format_case {
    uint8_t type;
    const char *hex, *text;
};

static const struct format_case format_cases[] = {
    { ANY, "", "%any" },
    { V4, "c0000201", "192.0.2.1" },
    { V6, "20010db8000000000000000000000001", "2001:db8::1" },
    { V4NET, "0a010000ffff0000", "10.1.0.0/16" },
    { V4RANGE, "c0000201c0000209", "192.0.2.1-192.0.2.9" },
    { V4, "c00002", "c0:00:02" }, /* wrong length: the bytes */
    { FQDN, "6d6f6f6e", "moon" },
    { FQDN, "6d0a6f", "m?o" },
    { RFC822, "6140620a", "a@b?" },
    { KEYID, "0123ab", "01:23:ab" },
    { KEYID, "616263", "abc" },
    /* 20 printable bytes are taken for a SHA-1 and shown in hex */
    { KEYID, "6161616161616161616161616161616161616161",
      "61:61:61:61:61:61:61:61:61:61:61:61:61:61:61:61:61:61:61:61" },
    /* pki */
    { DN, "3040310b300906035504061302434831133011060355040a130a7374726f6e675377616e311c301a060355040313136d6f6f"
          "6e2e7374726f6e677377616e2e6f7267", "C=CH, O=strongSwan, CN=moon.strongswan.org" },
    { DN, "3055310b300906035504061302434831143012060355040a130b7374726f6e67205377616e310c300a06035504030c03612a"
          "623122302006092a864886f70d01090116134d6f6f6e405374726f6e675377616e2e6f7267",
      "C=CH, O=strong Swan, CN=a*b, E=Moon@StrongSwan.org" },
    { DN, "30203110300e06035504030c074dc3bc6c6c6572310c300a060355040b1303612f62", "CN=M??ller, OU=a/b" },
    { DN, "300b3109300706035504031300", "CN=" },
    { DN, "30820116310a30080603550404130173310a30080603550405130131310a3008060355042a130167310a3008060355042b13"
          "0169310a3008060355040c13017431133011060a0992268993f22c64011913036f72673111300f060a0992268993f22c6401"
          "01130175310b3009060355040813027374310a3008060355040713016c310a30080603550409130173310a30080603550411"
          "130131310a3008060355042913016e310a3008060355040d130164310a3008060355042d130169310a3008060355042e1301"
          "71310a3008060355043613016d310a300806035504411301703111300f060a6086480186f8420301031301653111300f0609"
          "2a864886f70d0109021602756e3111300f06092a864886f70d01090813027561",
      "SN=s, serialNumber=1, G=g, I=i, T=t, DC=org, UID=u, ST=st, L=l, STREET=s, postalCode=1, N=n, D=d, "
      "ID=i, dnQualifier=q, dmdName=m, pseudonym=p, employeeNumber=e, unstructuredName=un, unstructuredAddress=ua" },
    /* a multi-valued RDN: its attributes one after the other */
    { DN, "30173115300806035504031301783009060355040a13027979", "CN=x, O=yy" },
    { DN, "3000", "" },
    { DN, "300c310a300806032a0304130178", "2a:03:04=x" }, /* unknown OID: its bytes, as strongSwan */
    { DN, "3003020100", "30:03:02:01:00" },                 /* not a DN: the bytes */
    { DN, "300c310a30080603550403130278", "30:0c:31:0a:30:08:06:03:55:04:03:13:02:78" }, /* value overruns */
    { CRED_ID_GN, "a0", "a0" },
    { 200, "0102", "01:02" },
};

static void format_table(void **s)
{
    (void)s;
    for (size_t i = 0; i < sizeof format_cases / sizeof format_cases[0]; i++) {
        const struct format_case *c = &format_cases[i];
        size_t n;
        uint8_t *d = hex_decode(c->hex, &n);
        char out[512];
        memset(out, 'x', sizeof out);
        cred_id_format(c->type, span_of(d, n), out, sizeof out);
        if (strcmp(out, c->text))
            fail_msg("type %d %s: '%s', expected '%s'", c->type, c->hex, out, c->text);
        free(d);
    }
}

static void format_cuts_at_cap(void **s)
{
    (void)s;
    char out[8];
    memset(out, 'x', sizeof out);
    cred_id_format(FQDN, span_of("moon.strongswan.org", 19), out, 5);
    assert_string_equal(out, "moon");
    assert_int_equal(out[5], 'x');
    cred_id_format(FQDN, span_of("moon", 4), out, 0); /* nothing written */
    assert_int_equal(out[0], 'm');
    struct id id = parse_ok("C=CH, O=strongSwan, CN=moon.strongswan.org");
    cred_id_format(id.type, span_of(id.data, id.len), out, sizeof out);
    assert_string_equal(out, "C=CH, O");
    cred_id_format(KEYID, span_of("\x01\x02\x03", 3), out, 6);
    assert_string_equal(out, "01:02");
}

/* what the parser reads, the formatter prints the same way (the text in
 * strongSwan's canonical form), and that text reads back to the same bytes */
static void format_round_trips(void **s)
{
    (void)s;
    static const char *const texts[][2] = {
        { "%any", "%any" },
        { "192.0.2.1", "192.0.2.1" },
        { "2001:db8::1", "2001:db8::1" },
        { "10.1.0.0/16", "10.1.0.0/16" },
        { "2001:db8::/32", "2001:db8::/32" },
        { "192.0.2.1-192.0.2.9", "192.0.2.1-192.0.2.9" },
        { "@moon.strongswan.org", "moon.strongswan.org" },
        { "carol@strongswan.org", "carol@strongswan.org" },
        { "*@strongswan.org", "*@strongswan.org" },
        { "C=CH, O=strongSwan, CN=moon.strongswan.org", "C=CH, O=strongSwan, CN=moon.strongswan.org" },
        { "/C=CH/O=strongSwan/CN=moon", "C=CH, O=strongSwan, CN=moon" },
        { "c=CH, cn=*, e=a@b", "C=CH, CN=*, E=a@b" },
        { "emailAddress=a@b, unstructuredName=n", "E=a@b, unstructuredName=n" },
        { "EN=1, UA=x", "employeeNumber=1, unstructuredAddress=x" },
        { "keyid:abc", "abc" },
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct id a = parse_ok(texts[i][0]);
        char out[256];
        cred_id_format(a.type, span_of(a.data, a.len), out, sizeof out);
        if (strcmp(out, texts[i][1]))
            fail_msg("'%s' printed as '%s', expected '%s'", texts[i][0], out, texts[i][1]);
        /* a printable KEY_ID prints as its text, which alone reads as an FQDN */
        const char *again = a.type == KEYID ? texts[i][0] : out;
        struct id b = parse_ok(again);
        assert_int_equal(a.type, b.type);
        assert_int_equal(a.len, b.len);
        assert_bytes_equal(a.data, b.data, a.len);
    }
    /* a binary KEY_ID prints as strongSwan's hex, which reads back after "@#" */
    struct id k = parse_ok("@#0123abcdef");
    char out[64] = "@#";
    cred_id_format(k.type, span_of(k.data, k.len), out + 2, sizeof out - 2);
    assert_string_equal(out, "@#01:23:ab:cd:ef");
    struct id k2 = parse_ok(out);
    assert_int_equal(k2.len, 5);
    assert_bytes_equal(k.data, k2.data, 5);
}

/* THE matching table (issue 11, Must show 1): a configured pattern
 * (remote.id) against the identity a peer sends, with strongSwan's rules */
struct match_case {
    const char *pattern, *identity;
    bool match;
};

static const struct match_case match_cases[] = {
    /* %any */
    { "%any", "carol@strongswan.org", true },
    { "%any", "C=CH, O=strongSwan, CN=moon", true },
    { "%any", "192.0.2.1", true },
    { "%any", "@#01", true },
    { "carol@strongswan.org", "%any", false }, /* %any names nobody */
    /* RFC822: equal ignoring case, or "*" then a suffix */
    { "carol@strongswan.org", "carol@strongswan.org", true },
    { "carol@strongswan.org", "CAROL@StrongSwan.ORG", true },
    { "carol@strongswan.org", "dave@strongswan.org", false },
    { "*@strongswan.org", "carol@strongswan.org", true },
    { "*@strongswan.org", "Carol@StrongSwan.Org", true },
    { "*@strongswan.org", "carol@strongswan.com", false },
    { "*@strongswan.org", "carol@sub.strongswan.org", false },
    { "*@strongswan.org", "@strongswan.org", false },   /* an FQDN: another type */
    { "*@strongswan.org", "@@@strongswan.org", false }, /* "*" stands for one character at least */
    { "*@strongswan.org", "strongswan.org", false },
    { "email:*", "carol@strongswan.org", true },
    { "email:*", "moon.strongswan.org", false },
    { "carol@*.org", "carol@strongswan.org", false },   /* '*' only in front */
    /* FQDN */
    { "moon.strongswan.org", "MOON.strongswan.org", true },
    { "moon.strongswan.org", "sun.strongswan.org", false },
    { "*.strongswan.org", "moon.strongswan.org", true },
    { "*.strongswan.org", "a.b.strongswan.org", true },
    { "*.strongswan.org", "strongswan.org", false },
    { "*.strongswan.org", "moonstrongswan.org", false },
    { "*.strongswan.org", "carol@x.strongswan.org", false }, /* RFC822: another type */
    { "*strongswan.org", "moon.strongswan.org", true },  /* a suffix, not a label */
    { "*strongswan.org", "evilstrongswan.org", true },
    { "fqdn:*", "moon", true },
    { "fqdn:*", "carol@strongswan.org", false },
    { "moon.*.org", "moon.strongswan.org", false },
    /* DNs: the same attributes in the same order; "*" stands for one value */
    { "C=CH, O=strongSwan, CN=moon", "C=CH, O=strongSwan, CN=moon", true },
    { "C=CH, O=strongSwan, CN=*", "C=CH, O=strongSwan, CN=moon.strongswan.org", true },
    { "C=CH, O=strongSwan, CN=*", "C=CH, O=strongSwan, CN=", true },
    { "C=CH, O=strongSwan, CN=*", "C=CH, O=Other, CN=moon", false },
    { "C=CH, O=strongSwan, CN=*", "C=CH, O=strongSwan, OU=Research, CN=carol", false },
    { "C=CH, O=strongSwan, CN=*", "C=CH, O=strongSwan", false },
    { "C=CH, O=strongSwan, CN=*", "C=CH, O=strongSwan, CN=moon, CN=x", false },
    { "C=*, O=*, CN=*", "C=CH, O=strongSwan, CN=moon", true },
    { "CN=*, O=strongSwan", "CN=moon, O=strongSwan", true },
    { "CN=*, O=strongSwan", "O=strongSwan, CN=moon", false }, /* order counts (rdn_matching default) */
    { "C=CH, O=strongSwan, CN=moon", "CN=moon, O=strongSwan, C=CH", false },
    { "O=strongSwan", "C=CH, O=strongSwan, CN=moon", false },
    { "CN=moon", "O=moon", false },                    /* same value, another attribute */
    { "C=CH, O=*", "C=CH, OU=Research", false },       /* "*" stands for a value, not an attribute */
    { "C=CH, O=strongSwan, CN=a*b", "C=CH, O=strongSwan, CN=axb", false }, /* '*' in a value is a character */
    { "C=CH, O=strongSwan, CN=a*b", "C=CH, O=strongSwan, CN=a*b", true },
    /* case: PrintableString and E= ignore it, UTF8String does not */
    { "C=CH, O=STRONGSWAN, CN=Moon", "C=CH, O=strongSwan, CN=moon", true },
    { "E=Carol@StrongSwan.org", "E=carol@strongswan.org", true },
    { "CN=M\xc3\xbcller", "CN=M\xc3\xbcller", true },
    { "CN=M\xc3\xbcller", "CN=m\xc3\xbcller", false },
    /* the same text in another string type (openssl's UTF8String CN=moon,
     * O=strongSwan): byte for byte */
    { "CN=moon, O=SWON", "asn1dn:#301e310d300b06035504030c046d6f6f6e310d300b060355040a0c0473776f6e", false },
    { "CN=moon, O=swon", "asn1dn:#301e310d300b06035504030c046d6f6f6e310d300b060355040a0c0473776f6e", true },
    { "CN=Moon, O=swon", "asn1dn:#301e310d300b06035504030c046d6f6f6e310d300b060355040a0c0473776f6e", false },
    { "CN=moon", "moon", false }, /* a DN matches DNs only */
    { "2.5.4.3=moon", "CN=moon", true },
    /* addresses: equal, in a subnet, in a range */
    { "192.0.2.1", "192.0.2.1", true },
    { "192.0.2.1", "192.0.2.2", false },
    { "192.0.2.0/24", "192.0.2.77", true },
    { "192.0.2.0/24", "192.0.3.1", false },
    { "0.0.0.0/0", "198.51.100.1", true },
    { "192.0.2.10-192.0.2.20", "192.0.2.15", true },
    { "192.0.2.10-192.0.2.20", "192.0.2.20", true },
    { "192.0.2.10-192.0.2.20", "192.0.2.21", false },
    { "192.0.2.10-192.0.2.20", "192.0.2.9", false },
    { "10.0.0.0/8", "2001:db8::1", false },
    { "2001:db8::/32", "2001:db8::1", true },
    { "2001:db8::/32", "2001:db9::1", false },
    { "2001:db8::1", "2001:db8::1", true },
    { "192.0.2.0/24", "192.0.2.0/24", true },
    { "192.0.2.0/24", "192.0.2.0/25", false },
    /* type mismatches */
    { "192.0.2.1", "fqdn:192.0.2.1", false },
    { "fqdn:192.0.2.1", "192.0.2.1", false },
    { "@#0123", "@#0123", true },
    { "@#0123", "@#0124", false },
    { "keyid:moon", "moon", false },
    { "moon", "keyid:moon", false },
};

static void match_table(void **s)
{
    (void)s;
    for (size_t i = 0; i < sizeof match_cases / sizeof match_cases[0]; i++) {
        const struct match_case *c = &match_cases[i];
        struct id p = parse_ok(c->pattern), id = parse_ok(c->identity);
        bool got = cred_id_match(p.type, span_of(p.data, p.len), id.type, span_of(id.data, id.len));
        if (got != c->match)
            fail_msg("pattern '%s' identity '%s': %s, expected %s", c->pattern, c->identity,
                     got ? "match" : "no match", c->match ? "match" : "no match");
    }
}

static void dn_match_refuses_bad_encodings(void **s)
{
    (void)s;
    struct id p = parse_ok("CN=*");
    static const char *const bad[] = {
        "",                                  /* nothing */
        "300a",                              /* truncated */
        "300c310a300806035504031301",        /* value beyond its SET */
        "300c310a30080603550403130178ff",    /* trailing byte */
        "30053103300100",                    /* attribute without OID */
        "30023100",                          /* empty RDN */
        "300f310d300b0603550403130178130179", /* two values in one attribute */
        "3080310a30080603550403130178",      /* indefinite length */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n;
        uint8_t *d = hex_decode(bad[i], &n);
        if (cred_id_match(p.type, span_of(p.data, p.len), DN, span_of(d, n)))
            fail_msg("'CN=*' matched the bad DN %s", bad[i]);
        free(d);
    }
}

static void wildcards(void **s)
{
    (void)s;
    static const struct { const char *text; bool wild; } cases[] = {
        { "%any", true },           { "*@strongswan.org", true }, { "*.strongswan.org", true },
        { "fqdn:*", true },         { "moon", false },            { "carol@strongswan.org", false },
        { "C=CH, CN=*", true },     { "CN=*, O=x", true },        { "C=CH, CN=a*b", false },
        { "C=CH, CN=moon", false }, { "10.0.0.0/8", true },       { "10.0.0.1-10.0.0.9", true },
        { "192.0.2.1", false },     { "2001:db8::1", false },     { "@#2a", false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct id id = parse_ok(cases[i].text);
        if (cred_id_is_wildcard(id.type, span_of(id.data, id.len)) != cases[i].wild)
            fail_msg("'%s': wildcard should be %d", cases[i].text, cases[i].wild);
    }
}

/* ---- certificates (tests/unit/data/ids/gen.sh) ---- */

static X509 *load_cert(const char *name)
{
    char path[256];
    size_t n;
    snprintf(path, sizeof path, "tests/unit/data/ids/%s.pem", name);
    char *pem = read_source_file(path, &n);
    BIO *b = BIO_new_mem_buf(pem, (int)n);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    free(pem);
    assert_non_null(x);
    return x;
}

/* keyids.txt: "name ski spki-sha1 pubkey-sha1" as openssl computed them */
static void keyids(const char *name, char ski[41], char spki[41], char pub[41])
{
    size_t n;
    char *txt = read_source_file("tests/unit/data/ids/keyids.txt", &n), *save = NULL;
    for (char *line = strtok_r(txt, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char nm[16];
        if (sscanf(line, "%15s %40s %40s %40s", nm, ski, spki, pub) == 4 && !strcmp(nm, name)) {
            free(txt);
            return;
        }
    }
    free(txt);
    fail_msg("no key ids for %s", name);
}

static bool has(X509 *x, const char *text)
{
    struct id id = parse_ok(text);
    return cred_cert_has_id(x, id.type, span_of(id.data, id.len));
}

static void cert_has_id(void **s)
{
    (void)s;
    X509 *moon = load_cert("moon"), *carol = load_cert("carol"), *sun = load_cert("sun");
    char ski[41], spki[41], pub[41], text[64];
    /* moon: PrintableString subject, SANs dNSName, iPAddress x2, directoryName */
    assert_true(has(moon, "C=CH, O=strongSwan, CN=moon.strongswan.org"));
    assert_true(has(moon, "C=CH, O=STRONGSWAN, CN=Moon.StrongSwan.org"));
    assert_false(has(moon, "C=CH, O=strongSwan, CN=*"));       /* a peer's ID is no pattern */
    assert_false(has(moon, "CN=moon.strongswan.org"));
    assert_false(has(moon, "O=strongSwan, C=CH, CN=moon.strongswan.org"));
    assert_true(has(moon, "moon.strongswan.org"));
    assert_true(has(moon, "MOON.StrongSwan.org"));
    assert_false(has(moon, "*.strongswan.org"));
    assert_false(has(moon, "sun.strongswan.org"));
    assert_false(has(moon, "moon.strongswan.org.evil"));
    assert_true(has(moon, "192.0.2.1"));
    assert_false(has(moon, "192.0.2.2"));
    assert_false(has(moon, "192.0.2.0/24"));
    assert_true(has(moon, "2001:db8::1"));
    assert_false(has(moon, "2001:db8::2"));
    assert_false(has(moon, "moon@strongswan.org"));
    assert_false(has(moon, "email:moon.strongswan.org"));      /* a dNSName is no rfc822Name */
    assert_true(has(moon, "C=CH, O=strongSwan, OU=Gateways, CN=moon")); /* directoryName SAN */
    assert_false(has(moon, "%any"));
    keyids("moon", ski, spki, pub);
    snprintf(text, sizeof text, "@#%s", ski);
    assert_true(has(moon, text));
    snprintf(text, sizeof text, "@#%s", spki);
    assert_true(has(moon, text));
    snprintf(text, sizeof text, "@#%s", pub);
    assert_true(has(moon, text));
    text[3] ^= 1;
    assert_false(has(moon, text));
    assert_false(has(moon, "@#00"));
    /* carol: UTF8String subject (compared byte for byte), SAN rfc822Name and
     * a dNSName "*.strongswan.org" that is a name, not a pattern */
    assert_true(has(carol, "C=CH, O=strongSwan, OU=Research, CN=carol@strongswan.org"));
    assert_false(has(carol, "C=CH, O=StrongSwan, OU=Research, CN=carol@strongswan.org"));
    assert_false(has(carol, "C=CH, O=strongSwan, CN=carol@strongswan.org"));
    assert_true(has(carol, "carol@strongswan.org"));
    assert_true(has(carol, "CAROL@strongswan.org"));
    assert_false(has(carol, "*@strongswan.org"));
    assert_false(has(carol, "dave@strongswan.org"));
    assert_false(has(carol, "moon.strongswan.org"));
    assert_true(has(carol, "*.strongswan.org"));
    assert_false(has(carol, "192.0.2.1"));
    keyids("carol", ski, spki, pub);
    assert_string_equal(ski, "-");
    snprintf(text, sizeof text, "@#%s", spki);
    assert_true(has(carol, text));
    snprintf(text, sizeof text, "@#%s", pub);
    assert_true(has(carol, text));
    keyids("moon", ski, spki, pub);
    snprintf(text, sizeof text, "@#%s", spki);
    assert_false(has(carol, text));
    /* sun: no SAN; its CN is no FQDN (RFC 4945 3.1.2: the SAN is what counts) */
    assert_true(has(sun, "C=CH, O=strongSwan, CN=sun.strongswan.org"));
    assert_false(has(sun, "sun.strongswan.org"));
    assert_false(cred_cert_has_id(NULL, DN, span_of("", 0)));
    X509_free(moon);
    X509_free(carol);
    X509_free(sun);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_table),
        cmocka_unit_test(parse_respects_cap),
        cmocka_unit_test(format_table),
        cmocka_unit_test(format_cuts_at_cap),
        cmocka_unit_test(format_round_trips),
        cmocka_unit_test(match_table),
        cmocka_unit_test(dn_match_refuses_bad_encodings),
        cmocka_unit_test(wildcards),
        cmocka_unit_test(cert_has_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
