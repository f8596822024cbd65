/* wire/pld_*: every payload body decodes and re-encodes, and each malformed
 * field is refused with the right error and field name.  Each case is one
 * payload (generic header included, Next Payload 0) decoded as a chain. */
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "crypto/registry.h"
#include "wire/msg.h"

static struct ike_chain chain;

static void ok(const char *hex, uint8_t type)
{
    size_t n;
    uint8_t *p = hex_decode(hex, &n);
    struct diag d = { 0 };
    int rc = ike_chain_decode(span_of(p, n), type, &chain, &d);
    if (rc)
        fail_msg("%s: %s at %s+%zu", hex, kite_errname(rc), d.field, d.offset);
    assert_int_equal(chain.n, 1);
    assert_int_equal(chain.pld[0].type, type);
    assert_false(chain.pld[0].unknown);
    uint8_t out[1024];
    struct wr w;
    wr_init(&w, out, sizeof out);
    assert_int_equal(ike_chain_encode(&chain, &w), 0);
    assert_int_equal(w.len, n);
    assert_bytes_equal(out, p, n);
    free(p);
}

static void bad(const char *hex, uint8_t type, int err, const char *field)
{
    size_t n;
    uint8_t *p = hex_decode(hex, &n);
    struct diag d = { 0 };
    int rc = ike_chain_decode(span_of(p, n), type, &chain, &d);
    if (rc != err || !d.field || strcmp(d.field, field) != 0)
        fail_msg("%s: want %s at %s, got %s at %s+%zu", hex, kite_errname(err), field, kite_errname(rc),
                 d.field ? d.field : "-", d.offset);
    assert_int_equal(d.err, err);
    assert_true(d.offset <= n);
    free(p);
}

/* SA payload: generic header, then proposals */
#define XF_ENCR_GCM256 "03 00 000c 01 00 0014 800e 0100"
#define XF_PRF_SHA256 "03 00 0008 02 00 0005"
#define XF_KE_X25519_LAST "00 00 0008 04 00 001f"

static void sa_payload(void **state)
{
    (void)state;
    /* one IKE proposal */
    ok("00 00 0028  00 00 0024 01 01 00 03" XF_ENCR_GCM256 XF_PRF_SHA256 XF_KE_X25519_LAST, IKEV2_PLD_SA);
    /* two proposals: ESP with SPI, then AH; last-substructure 2 then 0 */
    ok("00 00 0034  02 00 001c 01 03 04 02 c1c2c3c4 03 00 0008 01 00 001c 00 00 0008 05 00 0000"
       "            00 00 0014 02 02 04 01 a1a2a3a4 00 00 0008 03 00 000c",
       IKEV2_PLD_SA);
    const struct ike_sa *sa = &chain.pld[0].u.sa;
    assert_int_equal(sa->n_prop, 2);
    assert_int_equal(sa->prop[1].num, 2);
    assert_int_equal(sa->prop[1].proto, IKEV2_PROTO_AH);
    assert_int_equal(sa->prop[1].xf[0].id, AUTH_HMAC_SHA2_256_128);
    /* IKE rekey proposal: 8-byte SPI */
    ok("00 00 0024  00 00 0020 01 01 08 02 0102030405060708" XF_PRF_SHA256 XF_KE_X25519_LAST, IKEV2_PLD_SA);
    /* a response may start at the chosen number */
    ok("00 00 0014  00 00 0010 07 01 00 01" XF_KE_X25519_LAST, IKEV2_PLD_SA);
    /* unknown attribute in TLV form with 3 bytes, kept as received; and a transform with no attributes */
    ok("00 00 001b  00 00 0017 01 01 00 01  00 00 000f 01 00 000c 0011 0003 aabbcc", IKEV2_PLD_SA);
    assert_false(chain.pld[0].u.sa.prop[0].xf[0].attrs[0].tv);
    assert_int_equal(chain.pld[0].u.sa.prop[0].xf[0].attrs[0].type, 17);
    assert_int_equal(chain.pld[0].u.sa.prop[0].xf[0].attrs[0].data.n, 3);
    /* a TV attribute other than Key Length */
    ok("00 00 0014  00 00 0010 01 01 00 01  00 00 0008 04 00 001f", IKEV2_PLD_SA);
}

static void sa_payload_errors(void **state)
{
    (void)state;
    /* no proposal at all */
    bad("00 00 0004", IKEV2_PLD_SA, KITE_E_MALFORMED, "SA.proposal");
    /* proposal number 0 */
    bad("00 00 0014  00 00 0010 00 01 00 01" XF_KE_X25519_LAST, IKEV2_PLD_SA, KITE_E_MALFORMED, "SA.proposal.num");
    /* proposals 1 then 3 */
    bad("00 00 0024  02 00 0010 01 01 00 01" XF_KE_X25519_LAST "00 00 0010 03 01 00 01" XF_KE_X25519_LAST,
        IKEV2_PLD_SA, KITE_E_MALFORMED, "SA.proposal.num");
    /* proposals 2 then 1 */
    bad("00 00 0024  02 00 0010 02 01 00 01" XF_KE_X25519_LAST "00 00 0010 01 01 00 01" XF_KE_X25519_LAST,
        IKEV2_PLD_SA, KITE_E_MALFORMED, "SA.proposal.num");
    /* last proposal says more follow */
    bad("00 00 0014  02 00 0010 01 01 00 01" XF_KE_X25519_LAST, IKEV2_PLD_SA, KITE_E_MALFORMED, "SA.proposal.last");
    /* first of two says it is the last */
    bad("00 00 0024  00 00 0010 01 01 00 01" XF_KE_X25519_LAST "00 00 0010 02 01 00 01" XF_KE_X25519_LAST,
        IKEV2_PLD_SA, KITE_E_MALFORMED, "SA.proposal.last");
    /* last-proposal value other than 0/2 */
    bad("00 00 0014  03 00 0010 01 01 00 01" XF_KE_X25519_LAST, IKEV2_PLD_SA, KITE_E_MALFORMED, "SA.proposal.last");
    /* proposal reserved byte */
    bad("00 00 0014  00 01 0010 01 01 00 01" XF_KE_X25519_LAST, IKEV2_PLD_SA, KITE_E_RESERVED, "SA.proposal.reserved");
    /* proposal length too small, too large */
    bad("00 00 0014  00 00 0003 01 01 00 01" XF_KE_X25519_LAST, IKEV2_PLD_SA, KITE_E_BAD_LENGTH, "SA.proposal.length");
    bad("00 00 0014  00 00 0011 01 01 00 01" XF_KE_X25519_LAST, IKEV2_PLD_SA, KITE_E_BAD_LENGTH, "SA.proposal.length");
    /* proposal length shorter than its fixed fields */
    bad("00 00 000a  00 00 0006 01 01", IKEV2_PLD_SA, KITE_E_TRUNCATED, "SA.proposal");
    /* protocol 4 */
    bad("00 00 0014  00 00 0010 01 04 00 01" XF_KE_X25519_LAST, IKEV2_PLD_SA, KITE_E_MALFORMED, "SA.proposal.protocol");
    /* IKE with a 4-byte SPI; ESP with none; AH with 8 */
    bad("00 00 0018  00 00 0014 01 01 04 01 01020304" XF_KE_X25519_LAST, IKEV2_PLD_SA, KITE_E_MALFORMED,
        "SA.proposal.spi_size");
    bad("00 00 0014  00 00 0010 01 03 00 01" XF_KE_X25519_LAST, IKEV2_PLD_SA, KITE_E_MALFORMED, "SA.proposal.spi_size");
    bad("00 00 001c  00 00 0018 01 02 08 01 0102030405060708" XF_KE_X25519_LAST, IKEV2_PLD_SA, KITE_E_MALFORMED,
        "SA.proposal.spi_size");
    /* SPI longer than the proposal */
    bad("00 00 0010  00 00 000c 01 01 08 00 01020304", IKEV2_PLD_SA, KITE_E_TRUNCATED, "SA.proposal.spi");
    /* transform count says 2, there is 1; says 1, there are 2 */
    bad("00 00 0014  00 00 0010 01 01 00 02" XF_KE_X25519_LAST, IKEV2_PLD_SA, KITE_E_MALFORMED,
        "SA.proposal.num_transforms");
    bad("00 00 001c  00 00 0018 01 01 00 01" XF_PRF_SHA256 XF_KE_X25519_LAST, IKEV2_PLD_SA, KITE_E_MALFORMED,
        "SA.proposal.num_transforms");
    /* transform last flags: 3 on the last, 0 before the last, 2 (a proposal's value) */
    bad("00 00 0014  00 00 0010 01 01 00 01 03 00 0008 04 00 001f", IKEV2_PLD_SA, KITE_E_MALFORMED,
        "SA.proposal.transform.last");
    bad("00 00 001c  00 00 0018 01 01 00 02 00 00 0008 02 00 0005" XF_KE_X25519_LAST, IKEV2_PLD_SA,
        KITE_E_MALFORMED, "SA.proposal.transform.last");
    bad("00 00 001c  00 00 0018 01 01 00 02 02 00 0008 02 00 0005" XF_KE_X25519_LAST, IKEV2_PLD_SA,
        KITE_E_MALFORMED, "SA.proposal.transform.last");
    /* transform length 7 (below its 8 fixed bytes), and beyond the proposal */
    bad("00 00 0013  00 00 000f 01 01 00 01 00 00 0007 04 00 00", IKEV2_PLD_SA, KITE_E_TRUNCATED,
        "SA.proposal.transform");
    bad("00 00 0014  00 00 0010 01 01 00 01 00 00 0003 04 00 001f", IKEV2_PLD_SA, KITE_E_BAD_LENGTH,
        "SA.proposal.transform.length");
    bad("00 00 0014  00 00 0010 01 01 00 01 00 00 0009 04 00 001f", IKEV2_PLD_SA, KITE_E_BAD_LENGTH,
        "SA.proposal.transform.length");
    /* transform reserved bytes */
    bad("00 00 0014  00 00 0010 01 01 00 01 00 01 0008 04 00 001f", IKEV2_PLD_SA, KITE_E_RESERVED,
        "SA.proposal.transform.reserved");
    bad("00 00 0014  00 00 0010 01 01 00 01 00 00 0008 04 01 001f", IKEV2_PLD_SA, KITE_E_RESERVED,
        "SA.proposal.transform.reserved");
    /* Key Length as TLV, twice, zero */
    bad("00 00 001a  00 00 0016 01 01 00 01 00 00 000e 01 00 0014 000e 0002 0100", IKEV2_PLD_SA,
        KITE_E_MALFORMED, "SA.proposal.transform.attribute.key_length");
    bad("00 00 001c  00 00 0018 01 01 00 01 00 00 0010 01 00 0014 800e 0100 800e 0080", IKEV2_PLD_SA,
        KITE_E_MALFORMED, "SA.proposal.transform.attribute.key_length");
    bad("00 00 0018  00 00 0014 01 01 00 01 00 00 000c 01 00 0014 800e 0000", IKEV2_PLD_SA,
        KITE_E_MALFORMED, "SA.proposal.transform.attribute.key_length");
    /* TLV attribute longer than the transform; a half attribute */
    bad("00 00 001b  00 00 0017 01 01 00 01 00 00 000f 01 00 000c 0011 0005 aabbcc", IKEV2_PLD_SA,
        KITE_E_BAD_LENGTH, "SA.proposal.transform.attribute.length");
    bad("00 00 0017  00 00 0013 01 01 00 01 00 00 000b 01 00 000c 800e 01", IKEV2_PLD_SA, KITE_E_TRUNCATED,
        "SA.proposal.transform.attribute");
}

static void ke_id_cert_auth(void **state)
{
    (void)state;
    ok("00 00 000c 0013 0000 04a1b2c3", IKEV2_PLD_KE);
    assert_int_equal(chain.pld[0].u.ke.group, KE_ECP_256);
    bad("00 00 000c 0013 0100 04a1b2c3", IKEV2_PLD_KE, KITE_E_RESERVED, "KE.reserved");
    bad("00 00 0006 0013", IKEV2_PLD_KE, KITE_E_TRUNCATED, "KE");

    ok("00 00 000c 01 000000 c0a80001", IKEV2_PLD_IDI);
    assert_int_equal(chain.pld[0].u.id.type, IKEV2_ID_IPV4_ADDR);
    ok("00 00 0008 0d 000000", IKEV2_PLD_IDR); /* ID_NULL, RFC 7619 */
    bad("00 00 0008 02 000001", IKEV2_PLD_IDI, KITE_E_RESERVED, "ID.reserved");
    bad("00 00 0006 02 00", IKEV2_PLD_IDR, KITE_E_TRUNCATED, "ID");

    ok("00 00 0008 04 308201", IKEV2_PLD_CERT);
    ok("00 00 0005 04", IKEV2_PLD_CERTREQ); /* no CA hashes: any CA */
    assert_int_equal(chain.pld[0].u.cert.data.n, 0);
    bad("00 00 0004", IKEV2_PLD_CERT, KITE_E_TRUNCATED, "CERT.encoding");
    bad("00 00 0004", IKEV2_PLD_CERTREQ, KITE_E_TRUNCATED, "CERTREQ.encoding");

    ok("00 00 000c 0e 000000 01020304", IKEV2_PLD_AUTH);
    assert_int_equal(chain.pld[0].u.auth.method, IKEV2_AUTH_DIGITAL_SIGNATURE);
    bad("00 00 000c 0e 010000 01020304", IKEV2_PLD_AUTH, KITE_E_RESERVED, "AUTH.reserved");
}

static void nonce_lengths(void **state)
{
    (void)state;
    char buf[2 * 300 + 16];
    size_t lens[] = { 0, 15, 16, 32, 256, 257 };
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        size_t n = lens[i];
        snprintf(buf, sizeof buf, "00 00 %04zx", n + 4);
        for (size_t k = 0; k < n; k++)
            strcat(buf, "5a");
        if (n >= IKE_NONCE_MIN && n <= IKE_NONCE_MAX) {
            ok(buf, IKEV2_PLD_NONCE);
            assert_int_equal(chain.pld[0].u.nonce.data.n, n);
        } else {
            bad(buf, IKEV2_PLD_NONCE, KITE_E_BAD_LENGTH, "Nonce.length");
        }
    }
}

static void notify_payload(void **state)
{
    (void)state;
    /* N(REKEY_SA) with an ESP SPI */
    ok("00 00 000c 03 04 4009 c1c2c3c4", IKEV2_PLD_NOTIFY);
    const struct ike_notify *n = &chain.pld[0].u.notify;
    assert_int_equal(n->proto, IKEV2_PROTO_ESP);
    assert_int_equal(n->type, IKEV2_N_REKEY_SA);
    assert_int_equal(n->spi.n, 4);
    assert_int_equal(n->data.n, 0);
    /* N(COOKIE) with data; N(INVALID_KE_PAYLOAD) with the group */
    ok("00 00 0010 00 00 4006 0102030405060708", IKEV2_PLD_NOTIFY);
    ok("00 00 000a 00 00 0011 001f", IKEV2_PLD_NOTIFY);
    /* the protocol byte is kept even without SPI ("ignored on receipt") */
    ok("00 00 0008 01 00 4000", IKEV2_PLD_NOTIFY);
    bad("00 00 000a 03 04 4009 c1c2", IKEV2_PLD_NOTIFY, KITE_E_TRUNCATED, "N.spi");
    bad("00 00 0007 00 00 40", IKEV2_PLD_NOTIFY, KITE_E_TRUNCATED, "N");
}

static void delete_payload(void **state)
{
    (void)state;
    ok("00 00 0008 01 00 0000", IKEV2_PLD_DELETE);
    ok("00 00 000c 03 04 0001 c1c2c3c4", IKEV2_PLD_DELETE);
    ok("00 00 0008 02 04 0000", IKEV2_PLD_DELETE);
    /* count * size must equal the SPI bytes */
    bad("00 00 000c 03 04 0002 c1c2c3c4", IKEV2_PLD_DELETE, KITE_E_BAD_LENGTH, "D.count");
    bad("00 00 0010 03 04 0001 c1c2c3c4 d1d2d3d4", IKEV2_PLD_DELETE, KITE_E_BAD_LENGTH, "D.count");
    bad("00 00 000d 03 04 0001 c1c2c3c4 d1", IKEV2_PLD_DELETE, KITE_E_BAD_LENGTH, "D.count");
    bad("00 00 000c 01 00 0000 c1c2c3c4", IKEV2_PLD_DELETE, KITE_E_BAD_LENGTH, "D.count");
    bad("00 00 0010 03 08 0001 c1c2c3c4d1d2d3d4", IKEV2_PLD_DELETE, KITE_E_MALFORMED, "D.spi_size");
    bad("00 00 000c 01 04 0001 c1c2c3c4", IKEV2_PLD_DELETE, KITE_E_MALFORMED, "D.spi_size");
    bad("00 00 0008 00 00 0000", IKEV2_PLD_DELETE, KITE_E_MALFORMED, "D.protocol");
    bad("00 00 0008 04 04 0000", IKEV2_PLD_DELETE, KITE_E_MALFORMED, "D.protocol");
}

static void ts_payload(void **state)
{
    (void)state;
    /* ICMP (type/code in the ports), IPv4 */
    ok("00 00 0018 01 000000 07 01 0010 0800 08ff c0a80000 c0a8ffff", IKEV2_PLD_TSI);
    assert_int_equal(chain.pld[0].u.ts.sel[0].ip_proto, 1);
    /* IPv6 and a TS_SECLABEL kept whole */
    ok("00 00 0038 02 000000 08 00 0028 0000 ffff 00000000000000000000000000000000"
       "ffffffffffffffffffffffffffffffff 0a 00 0008 73797300",
       IKEV2_PLD_TSR);
    const struct ike_ts *ts = &chain.pld[0].u.ts;
    assert_int_equal(ts->n, 2);
    assert_int_equal(ts->sel[1].type, IKEV2_TS_SECLABEL);
    assert_int_equal(ts->sel[1].raw.n, 4);
    assert_int_equal(ts->sel[1].start.n, 0);
    /* selector lengths: IPv4 must be 16, IPv6 40 */
    bad("00 00 0019 01 000000 07 00 0011 0000 ffff 00000000 ffffffff 00", IKEV2_PLD_TSI, KITE_E_BAD_LENGTH,
        "TS.selector.length");
    bad("00 00 0018 01 000000 08 00 0010 0000 ffff 00000000 ffffffff", IKEV2_PLD_TSI, KITE_E_BAD_LENGTH,
        "TS.selector.length");
    bad("00 00 0017 01 000000 07 00 000f 0000 ffff 00000000 ffffff", IKEV2_PLD_TSI, KITE_E_BAD_LENGTH,
        "TS.selector.length");
    /* selector length past the payload, and below its header */
    bad("00 00 0018 01 000000 07 00 0014 0000 ffff 00000000 ffffffff", IKEV2_PLD_TSI, KITE_E_BAD_LENGTH,
        "TS.selector.length");
    bad("00 00 000c 01 000000 0a 00 0003", IKEV2_PLD_TSI, KITE_E_BAD_LENGTH, "TS.selector.length");
    /* count disagrees */
    bad("00 00 0018 02 000000 07 00 0010 0000 ffff 00000000 ffffffff", IKEV2_PLD_TSI, KITE_E_MALFORMED,
        "TS.count");
    bad("00 00 0018 01 000100 07 00 0010 0000 ffff 00000000 ffffffff", IKEV2_PLD_TSI, KITE_E_RESERVED,
        "TS.reserved");
}

static void sk_skf_payloads(void **state)
{
    (void)state;
    static struct ike_msg m;
    /* HDR + SKF: fragment numbers are 1..total */
    const char *hdr = "0102030405060708 1112131415161718 35 20 25 08 00000002 00000024";
    const struct {
        const char *skf;
        int err;
        const char *field;
    } cases[] = {
        { "00 00 0008 0002 0002", 0, NULL },
        { "00 00 0008 0000 0002", KITE_E_MALFORMED, "SKF.fragment_number" },
        { "00 00 0008 0003 0002", KITE_E_MALFORMED, "SKF.fragment_number" },
        { "00 00 0008 0001 0000", KITE_E_MALFORMED, "SKF.total_fragments" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char h[200];
        size_t n;
        snprintf(h, sizeof h, "%s %s", hdr, cases[i].skf);
        uint8_t *p = hex_decode(h, &n);
        struct diag d = { 0 };
        assert_int_equal(ike_msg_decode(span_of(p, n), &m, &d), cases[i].err);
        if (cases[i].field)
            assert_string_equal(d.field, cases[i].field);
        else
            assert_int_equal(m.chain.pld[0].u.skf.first, 0);
        free(p);
    }
}

static void cp_payload(void **state)
{
    (void)state;
    ok("00 00 0014 02 000000 0001 0004 0a000001 0003 0000", IKEV2_PLD_CP);
    const struct ike_cp *cp = &chain.pld[0].u.cp;
    assert_int_equal(cp->type, IKEV2_CFG_REPLY);
    assert_int_equal(cp->n, 2);
    assert_int_equal(cp->attrs[0].value.n, 4);
    ok("00 00 0008 01 000000", IKEV2_PLD_CP);
    bad("00 00 000c 01 000000 8001 0000", IKEV2_PLD_CP, KITE_E_RESERVED, "CP.attribute.reserved");
    bad("00 00 000e 01 000000 0001 0004 0a00", IKEV2_PLD_CP, KITE_E_BAD_LENGTH, "CP.attribute.length");
    bad("00 00 000a 01 000000 0001", IKEV2_PLD_CP, KITE_E_TRUNCATED, "CP.attribute");
    bad("00 00 0008 01 000001", IKEV2_PLD_CP, KITE_E_RESERVED, "CP.reserved");
}

static void eap_payload(void **state)
{
    (void)state;
    /* Request/Identity, Response/MSCHAPv2 data, Success, Failure */
    ok("00 00 0009 01 01 0005 01", IKEV2_PLD_EAP);
    assert_int_equal(chain.pld[0].u.eap.type, 1);
    ok("00 00 000c 02 05 0008 1a 010203", IKEV2_PLD_EAP);
    assert_int_equal(chain.pld[0].u.eap.code, EAP_CODE_RESPONSE);
    assert_int_equal(chain.pld[0].u.eap.type, 26);
    assert_int_equal(chain.pld[0].u.eap.data.n, 3);
    ok("00 00 0008 03 05 0004", IKEV2_PLD_EAP);
    ok("00 00 0008 04 05 0004", IKEV2_PLD_EAP);
    bad("00 00 000c 02 05 0009 1a 010203", IKEV2_PLD_EAP, KITE_E_BAD_LENGTH, "EAP.length");
    bad("00 00 000c 02 05 0007 1a 010203", IKEV2_PLD_EAP, KITE_E_BAD_LENGTH, "EAP.length");
    bad("00 00 0008 01 05 0004", IKEV2_PLD_EAP, KITE_E_BAD_LENGTH, "EAP.length");
    bad("00 00 0007 03 05 00", IKEV2_PLD_EAP, KITE_E_TRUNCATED, "EAP");
}

static void vendor_and_unknown(void **state)
{
    (void)state;
    ok("00 00 0014 882fe56d6fd20dbc2251613b2ebe5beb", IKEV2_PLD_VENDOR);
    ok("00 00 0004", IKEV2_PLD_VENDOR);
    /* a payload type from another registry range, non-critical: kept raw */
    size_t n;
    uint8_t *p = hex_decode("2b 00 0007 aabbcc 00 00 0004", &n);
    struct diag d = { 0 };
    assert_int_equal(ike_chain_decode(span_of(p, n), 50, &chain, &d), 0);
    assert_int_equal(chain.n, 2);
    assert_true(chain.pld[0].unknown);
    assert_int_equal(chain.pld[0].u.raw.body.n, 3);
    assert_int_equal(chain.pld[1].type, IKEV2_PLD_VENDOR);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sa_payload),
        cmocka_unit_test(sa_payload_errors),
        cmocka_unit_test(ke_id_cert_auth),
        cmocka_unit_test(nonce_lengths),
        cmocka_unit_test(notify_payload),
        cmocka_unit_test(delete_payload),
        cmocka_unit_test(ts_payload),
        cmocka_unit_test(sk_skf_payloads),
        cmocka_unit_test(cp_payload),
        cmocka_unit_test(eap_payload),
        cmocka_unit_test(vendor_and_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
