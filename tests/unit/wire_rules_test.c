/* wire/rules: payload presence and multiplicity per exchange, checked once
 * before any handler runs (RFC 7296 1.2-1.5). */
#include "testutil.h"
#include <stdlib.h>
#include <string.h>
#include "wire/rules.h"
#include "wire_samples.h"

static struct ike_msg msg;
static struct ike_chain c;

static const uint8_t spi4[4] = { 1, 2, 3, 4 }, spi8[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const struct ike_proposal esp[2] = {
    { .num = 1, .proto = IKEV2_PROTO_ESP, .spi = { spi4, 4 } },
    { .num = 2, .proto = IKEV2_PROTO_ESP, .spi = { spi4, 4 } },
};
static const struct ike_proposal ike0 = { .num = 1, .proto = IKEV2_PROTO_IKE };
static const struct ike_proposal ike8 = { .num = 1, .proto = IKEV2_PROTO_IKE, .spi = { spi8, 8 } };
static const struct ike_proposal esp_num2 = { .num = 2, .proto = IKEV2_PROTO_ESP, .spi = { spi4, 4 } };
static const struct ike_proposal mixed[2] = {
    { .num = 1, .proto = IKEV2_PROTO_IKE, .spi = { spi8, 8 } },
    { .num = 2, .proto = IKEV2_PROTO_ESP, .spi = { spi4, 4 } },
};

static void reset(void)
{
    memset(&c, 0, sizeof c);
}

static struct ike_pld *add(uint8_t type)
{
    struct ike_pld *p = &c.pld[c.n];
    memset(p, 0, sizeof *p);
    p->type = type;
    p->offset = 100 + 10 * c.n;
    c.n++;
    return p;
}

static void add_n(uint16_t type)
{
    add(IKEV2_PLD_NOTIFY)->u.notify.type = type;
}

static void add_sa(const struct ike_proposal *prop, uint8_t n)
{
    struct ike_pld *p = add(IKEV2_PLD_SA);
    p->u.sa.prop = prop;
    p->u.sa.n_prop = n;
}

static void expect(int rc, const struct diag *d, int err, const char *field)
{
    if (rc != err || (field && (!d->field || strcmp(d->field, field) != 0)))
        fail_msg("want %s at %s, got %s at %s", kite_errname(err), field ? field : "-", kite_errname(rc),
                 d->field ? d->field : "-");
}

static void inner(uint8_t exch, bool resp, int err, const char *field)
{
    struct diag d = { 0 };
    expect(ike_rules_check_inner(exch, resp, &c, &d), &d, err, field);
}

static void outer(const char *hex, int err, const char *field)
{
    size_t n;
    uint8_t *p = hex_decode(hex, &n);
    struct diag d = { 0 };
    assert_int_equal(ike_msg_decode(span_of(p, n), &msg, &d), 0);
    expect(ike_rules_check_msg(&msg, &d), &d, err, field);
    free(p);
}

static void ike_sa_init(void **state)
{
    (void)state;
    outer(SAMPLE_IKE_SA_INIT_REQ, 0, NULL);
    outer(SAMPLE_IKE_SA_INIT_RESP, 0, NULL);
    /* an error answer: just N(INVALID_KE_PAYLOAD) */
    outer(SAMPLE_IKE_SA_INIT_INVALID_KE, 0, NULL);
    /* SK in IKE_SA_INIT */
    outer("5a3c9e1f0b7d2468 0000000000000000 2e 20 22 08 00000000 00000024 00 00 0008 01020304",
          KITE_E_UNEXPECTED, "SK");
    /* an unknown exchange */
    outer("5a3c9e1f0b7d2468 0000000000000000 00 20 21 08 00000000 0000001c", KITE_E_UNSUPPORTED, "hdr.exchange");

    size_t n;
    uint8_t *p = hex_decode(SAMPLE_IKE_SA_INIT_REQ, &n);
    struct diag d = { 0 };
    /* the request's payloads make a valid response too (R flag set) */
    p[19] = IKE_FLAG_I | IKE_FLAG_R;
    assert_int_equal(ike_msg_decode(span_of(p, n), &msg, &d), 0);
    assert_int_equal(ike_rules_check_msg(&msg, &d), 0);
    /* an unknown non-critical payload does not count */
    p[19] = IKE_FLAG_I;
    p[208] = 49;
    assert_int_equal(ike_msg_decode(span_of(p, n), &msg, &d), 0);
    assert_int_equal(ike_rules_check_msg(&msg, &d), 0);
    free(p);
}

/* the same rules on hand-built chains, through the IKE_SA_INIT message path */
static int sa_init_check(bool response, struct diag *d)
{
    memset(&msg.hdr, 0, sizeof msg.hdr);
    msg.hdr.exchange = IKEV2_EXCH_IKE_SA_INIT;
    msg.hdr.flags = response ? IKE_FLAG_R : IKE_FLAG_I;
    msg.chain = c;
    memset(d, 0, sizeof *d);
    return ike_rules_check_msg(&msg, d);
}

static void ike_sa_init_forms(void **state)
{
    (void)state;
    struct diag d;
    /* missing KE */
    reset();
    add_sa(&ike0, 1);
    add(IKEV2_PLD_NONCE);
    expect(sa_init_check(false, &d), &d, KITE_E_MISSING, "KE");
    /* two nonces */
    add(IKEV2_PLD_KE);
    add(IKEV2_PLD_NONCE);
    expect(sa_init_check(false, &d), &d, KITE_E_UNEXPECTED, "Nonce");
    assert_int_equal(d.offset, 130);
    /* CERTREQ is allowed in the response only */
    reset();
    add_sa(&ike0, 1);
    add(IKEV2_PLD_KE);
    add(IKEV2_PLD_NONCE);
    add(IKEV2_PLD_CERTREQ);
    expect(sa_init_check(false, &d), &d, KITE_E_UNEXPECTED, "CERTREQ");
    expect(sa_init_check(true, &d), &d, 0, NULL);
    /* SA proposals of IKE_SA_INIT: IKE with no SPI, numbered from 1 in a request */
    reset();
    add_sa(esp, 1);
    add(IKEV2_PLD_KE);
    add(IKEV2_PLD_NONCE);
    expect(sa_init_check(false, &d), &d, KITE_E_MALFORMED, "SA.proposal.protocol");
    c.pld[0].u.sa.prop = &ike8;
    expect(sa_init_check(false, &d), &d, KITE_E_MALFORMED, "SA.proposal.spi_size");
    static const struct ike_proposal ike_num3 = { .num = 3, .proto = IKEV2_PROTO_IKE };
    c.pld[0].u.sa.prop = &ike_num3;
    expect(sa_init_check(false, &d), &d, KITE_E_MALFORMED, "SA.proposal.num");
    expect(sa_init_check(true, &d), &d, 0, NULL); /* a response echoes the chosen number */
    /* a response carries one proposal */
    static const struct ike_proposal two[2] = { { .num = 1, .proto = IKEV2_PROTO_IKE },
                                                { .num = 2, .proto = IKEV2_PROTO_IKE } };
    c.pld[0].u.sa.prop = two;
    c.pld[0].u.sa.n_prop = 2;
    expect(sa_init_check(false, &d), &d, 0, NULL);
    expect(sa_init_check(true, &d), &d, KITE_E_MALFORMED, "SA.proposal.count");

    /* notify-only responses: an error or COOKIE, not a status notify alone */
    reset();
    add_n(IKEV2_N_COOKIE);
    expect(sa_init_check(true, &d), &d, 0, NULL);
    expect(sa_init_check(false, &d), &d, KITE_E_MISSING, "SA");
    reset();
    add_n(IKEV2_N_NO_PROPOSAL_CHOSEN);
    expect(sa_init_check(true, &d), &d, 0, NULL);
    reset();
    add_n(IKEV2_N_NAT_DETECTION_SOURCE_IP);
    expect(sa_init_check(true, &d), &d, KITE_E_MISSING, "SA");
    /* the retried request: N(COOKIE) first, then the rest */
    reset();
    add_n(IKEV2_N_COOKIE);
    add_sa(&ike0, 1);
    add(IKEV2_PLD_KE);
    add(IKEV2_PLD_NONCE);
    expect(sa_init_check(false, &d), &d, 0, NULL);
}

static void protected_envelope(void **state)
{
    (void)state;
    outer(SAMPLE_IKE_AUTH_REQ_SK, 0, NULL);
    outer(SAMPLE_IKE_AUTH_REQ_SKF, 0, NULL);
    /* a cleartext payload beside SK */
    outer("5a3c9e1f0b7d2468 c0ffee0012345678 29 20 23 08 00000001 00000034"
          "2e 00 0008 00 00 4000  23 00 0010 0001020304050607 08090a0b",
          KITE_E_UNEXPECTED, "N");
    /* INFORMATIONAL without protection */
    outer("5a3c9e1f0b7d2468 c0ffee0012345678 29 20 25 08 00000001 00000024 00 00 0008 00 00 4000",
          KITE_E_UNEXPECTED, "N");
    outer("5a3c9e1f0b7d2468 c0ffee0012345678 00 20 25 08 00000001 0000001c", KITE_E_MISSING, "SK");
}

static void ike_auth(void **state)
{
    (void)state;
    size_t n;
    uint8_t *p = hex_decode(SAMPLE_IKE_AUTH_REQ_INNER, &n);
    struct diag d = { 0 };
    assert_int_equal(ike_chain_decode(span_of(p, n), IKEV2_PLD_IDI, &c, &d), 0);
    inner(IKEV2_EXCH_IKE_AUTH, false, 0, NULL);
    free(p);

    /* HDR, SK {IDi, AUTH, SAi2, TSi, TSr} --> */
    reset();
    add(IKEV2_PLD_IDI);
    add(IKEV2_PLD_AUTH);
    add_sa(esp, 2);
    add(IKEV2_PLD_TSI);
    add(IKEV2_PLD_TSR);
    inner(IKEV2_EXCH_IKE_AUTH, false, 0, NULL);
    /* IKE proposals do not belong in IKE_AUTH */
    c.pld[2].u.sa.prop = &ike0;
    c.pld[2].u.sa.n_prop = 1;
    inner(IKEV2_EXCH_IKE_AUTH, false, KITE_E_MALFORMED, "SA.proposal.protocol");
    /* TSi without TSr */
    c.pld[2].u.sa.prop = esp;
    c.n = 4;
    inner(IKEV2_EXCH_IKE_AUTH, false, KITE_E_MISSING, "TS.pair");
    /* SA without TS */
    c.n = 3;
    inner(IKEV2_EXCH_IKE_AUTH, false, KITE_E_MISSING, "TSi");
    /* childless (RFC 6023): IDi, AUTH only; EAP (2.16): no AUTH in the first request */
    c.n = 2;
    inner(IKEV2_EXCH_IKE_AUTH, false, 0, NULL);
    c.n = 1;
    inner(IKEV2_EXCH_IKE_AUTH, false, 0, NULL);
    /* no IDi */
    reset();
    add(IKEV2_PLD_AUTH);
    add(IKEV2_PLD_IDR);
    inner(IKEV2_EXCH_IKE_AUTH, false, KITE_E_MISSING, "IDi");
    /* EAP round trips and the final AUTH */
    reset();
    add(IKEV2_PLD_EAP);
    inner(IKEV2_EXCH_IKE_AUTH, false, 0, NULL);
    inner(IKEV2_EXCH_IKE_AUTH, true, 0, NULL);
    reset();
    add(IKEV2_PLD_AUTH);
    inner(IKEV2_EXCH_IKE_AUTH, false, 0, NULL);

    /* <-- HDR, SK {IDr, AUTH, SAr2, TSi, TSr} */
    reset();
    add(IKEV2_PLD_IDR);
    add(IKEV2_PLD_CERT);
    add(IKEV2_PLD_AUTH);
    add_sa(esp, 1);
    add(IKEV2_PLD_TSI);
    add(IKEV2_PLD_TSR);
    inner(IKEV2_EXCH_IKE_AUTH, true, 0, NULL);
    c.pld[3].u.sa.n_prop = 2;
    inner(IKEV2_EXCH_IKE_AUTH, true, KITE_E_MALFORMED, "SA.proposal.count");
    /* response without AUTH */
    reset();
    add(IKEV2_PLD_IDR);
    inner(IKEV2_EXCH_IKE_AUTH, true, KITE_E_MISSING, "AUTH");
    /* <-- HDR, SK {N(AUTHENTICATION_FAILED)} */
    reset();
    add_n(IKEV2_N_AUTHENTICATION_FAILED);
    inner(IKEV2_EXCH_IKE_AUTH, true, 0, NULL);
    inner(IKEV2_EXCH_IKE_AUTH, false, KITE_E_MISSING, "IDi");
}

static void create_child_sa(void **state)
{
    (void)state;
    /* HDR, SK {SA, Ni, [KEi], TSi, TSr} --> */
    reset();
    add_n(IKEV2_N_REKEY_SA);
    add_sa(esp, 2);
    add(IKEV2_PLD_NONCE);
    add(IKEV2_PLD_KE);
    add(IKEV2_PLD_TSI);
    add(IKEV2_PLD_TSR);
    inner(IKEV2_EXCH_CREATE_CHILD_SA, false, 0, NULL);
    inner(IKEV2_EXCH_CREATE_CHILD_SA, true, KITE_E_MALFORMED, "SA.proposal.count");
    c.pld[1].u.sa.prop = &esp_num2;
    c.pld[1].u.sa.n_prop = 1;
    inner(IKEV2_EXCH_CREATE_CHILD_SA, true, 0, NULL);
    inner(IKEV2_EXCH_CREATE_CHILD_SA, false, KITE_E_MALFORMED, "SA.proposal.num");
    /* missing nonce */
    reset();
    add_sa(esp, 1);
    add(IKEV2_PLD_TSI);
    add(IKEV2_PLD_TSR);
    inner(IKEV2_EXCH_CREATE_CHILD_SA, false, KITE_E_MISSING, "Nonce");

    /* rekey the IKE SA: HDR, SK {SA, Ni, KEi} with an 8-byte SPI, no TS */
    reset();
    add_sa(&ike8, 1);
    add(IKEV2_PLD_NONCE);
    add(IKEV2_PLD_KE);
    inner(IKEV2_EXCH_CREATE_CHILD_SA, false, 0, NULL);
    c.pld[0].u.sa.prop = &ike0;
    inner(IKEV2_EXCH_CREATE_CHILD_SA, false, KITE_E_MALFORMED, "SA.proposal.spi_size");
    c.pld[0].u.sa.prop = &ike8;
    add(IKEV2_PLD_TSI);
    add(IKEV2_PLD_TSR);
    inner(IKEV2_EXCH_CREATE_CHILD_SA, false, KITE_E_UNEXPECTED, "TSi");
    /* IKE and ESP proposals mixed */
    c.pld[0].u.sa.prop = mixed;
    c.pld[0].u.sa.n_prop = 2;
    inner(IKEV2_EXCH_CREATE_CHILD_SA, false, KITE_E_MALFORMED, "SA.proposal.protocol");

    /* <-- HDR, SK {N(NO_PROPOSAL_CHOSEN)}; a request cannot be notify-only */
    reset();
    add_n(IKEV2_N_NO_PROPOSAL_CHOSEN);
    inner(IKEV2_EXCH_CREATE_CHILD_SA, true, 0, NULL);
    inner(IKEV2_EXCH_CREATE_CHILD_SA, false, KITE_E_MISSING, "SA");
    reset();
    add_n(IKEV2_N_ESP_TFC_PADDING_NOT_SUPPORTED);
    inner(IKEV2_EXCH_CREATE_CHILD_SA, true, KITE_E_MISSING, "SA");
}

static void informational(void **state)
{
    (void)state;
    size_t n;
    uint8_t *p = hex_decode(SAMPLE_INFO_INNER, &n);
    struct diag d = { 0 };
    /* the sample carries an EAP payload, which INFORMATIONAL does not */
    assert_int_equal(ike_chain_decode(span_of(p, n), IKEV2_PLD_DELETE, &c, &d), 0);
    inner(IKEV2_EXCH_INFORMATIONAL, false, KITE_E_UNEXPECTED, "EAP");
    c.n = 4;
    inner(IKEV2_EXCH_INFORMATIONAL, false, 0, NULL);
    inner(IKEV2_EXCH_INFORMATIONAL, true, 0, NULL);
    free(p);
    /* an empty one: the liveness check (2.4) */
    reset();
    inner(IKEV2_EXCH_INFORMATIONAL, false, 0, NULL);
    inner(IKEV2_EXCH_INFORMATIONAL, true, 0, NULL);
    add_sa(esp, 1);
    inner(IKEV2_EXCH_INFORMATIONAL, false, KITE_E_UNEXPECTED, "SA");
    /* unknown exchange */
    inner(IKEV2_EXCH_IKE_SA_INIT, false, KITE_E_UNSUPPORTED, "hdr.exchange");
    inner(200, false, KITE_E_UNSUPPORTED, "hdr.exchange");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ike_sa_init),
        cmocka_unit_test(ike_sa_init_forms),
        cmocka_unit_test(protected_envelope),
        cmocka_unit_test(ike_auth),
        cmocka_unit_test(create_child_sa),
        cmocka_unit_test(informational),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
