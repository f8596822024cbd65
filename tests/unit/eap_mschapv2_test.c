/* ike/eap_mschapv2: the server and client state machines against each
 * other and against RFC 2759 9.2's exchange; wrong passwords, unknown users
 * and an impostor gateway refused; malformed packets refused. */
#include "testutil.h"
#include "ike/eap_mschapv2.h"
#include "wire/ike.h"
#include <string.h>

static const uint8_t AC[16] = { 0x5B, 0x5D, 0x7C, 0x7D, 0x7B, 0x3F, 0x2F, 0x3E,
                                0x3C, 0x2C, 0x60, 0x21, 0x32, 0x26, 0x26, 0x28 };
static const uint8_t PC[16] = { 0x21, 0x40, 0x23, 0x24, 0x25, 0x5E, 0x26, 0x2A,
                                0x28, 0x29, 0x5F, 0x2B, 0x3A, 0x33, 0x7C, 0x7E };

/* the server's users: "User" / "clientPass" (RFC 2759), "carol" / "tuxmux" */
static int users(void *ctx, const char *user, size_t len, uint8_t out[MSCHAP_HASH_LEN])
{
    int *calls = ctx;
    ++*calls;
    if (len == 4 && memcmp(user, "User", 4) == 0)
        return mschap_nt_hash("clientPass", 10, out);
    if (len == 5 && memcmp(user, "carol", 5) == 0)
        return mschap_nt_hash("tuxmux", 6, out);
    return -1;
}

struct run {
    struct eap_mschapv2 s, c;
    struct eapm_out o1, o2, o3, o4, o5;
    enum eapm_rc rs, rc;
    int lookups;
};

/* challenge → response → success request → success response → EAP-Success */
static void exchange(struct run *x, const char *user, const char *pw)
{
    memset(x, 0, sizeof *x);
    assert_int_equal(eapm_server_start(&x->s, AC, 7, "gw", &x->o1), 0);
    assert_int_equal(eapm_client_init(&x->c, user, strlen(user), pw, strlen(pw), PC), 0);
    x->rc = eapm_client_recv(&x->c, x->o1.code, x->o1.id, x->o1.type, x->o1.data, x->o1.len, &x->o2);
    assert_int_equal(x->rc, EAPM_CONTINUE);
    x->rs = eapm_server_recv(&x->s, x->o2.code, x->o2.id, x->o2.type, x->o2.data, x->o2.len, users, &x->lookups,
                             &x->o3);
    if (x->rs != EAPM_CONTINUE)
        return;
    x->rc = eapm_client_recv(&x->c, x->o3.code, x->o3.id, x->o3.type, x->o3.data, x->o3.len, &x->o4);
    assert_int_equal(x->rc, EAPM_CONTINUE);
    x->rs = eapm_server_recv(&x->s, x->o4.code, x->o4.id, x->o4.type, x->o4.data, x->o4.len, users, &x->lookups,
                             &x->o1);
    if (x->rs == EAPM_SUCCESS)
        x->rc = eapm_client_recv(&x->c, x->o1.code, x->o1.id, 0, NULL, 0, &x->o5);
}

static void rfc2759_on_the_wire(void **state)
{
    (void)state;
    struct run x;
    exchange(&x, "User", "clientPass");
    assert_int_equal(x.rs, EAPM_SUCCESS);
    assert_int_equal(x.rc, EAPM_SUCCESS);
    assert_int_equal(x.o1.code, EAP_CODE_SUCCESS);
    /* the Response carries RFC 2759's NT-Response after 4 + 1 + 16 + 8 bytes */
    static const uint8_t nt[24] = { 0x82, 0x30, 0x9E, 0xCD, 0x8D, 0x70, 0x8B, 0x5E, 0xA0, 0x8F, 0xAA, 0x39,
                                    0x81, 0xCD, 0x83, 0x54, 0x42, 0x33, 0x11, 0x4A, 0x3D, 0x85, 0xD6, 0xDF };
    assert_int_equal(x.o2.data[0], 2);
    assert_int_equal(x.o2.len, 4 + 1 + 49 + 4);
    assert_memory_equal(x.o2.data + 4 + 1 + 16 + 8, nt, 24);
    /* the Success Request carries RFC 2759's authenticator response */
    assert_memory_equal(x.o3.data + 4, "S=407A5589115FD0D6209F510FE9C04566932CDA56", 42);
    assert_int_equal(x.o4.len, 1); /* the client's Success Response is the op code alone */
    assert_memory_equal(x.s.msk, x.c.msk, MSCHAP_MSK_LEN);
    assert_string_equal(x.s.name, "User");
    eapm_clear(&x.s), eapm_clear(&x.c);
}

/* a wrong password and an unknown user end alike: an EAP-Failure, nothing to tell them apart */
static void refusals_alike(void **state)
{
    (void)state;
    struct run a, b;
    exchange(&a, "carol", "wrong");
    exchange(&b, "mallory", "tuxmux");
    assert_int_equal(a.rs, EAPM_FAILURE);
    assert_int_equal(b.rs, EAPM_FAILURE);
    assert_int_equal(a.o3.code, EAP_CODE_FAILURE);
    assert_int_equal(b.o3.code, EAP_CODE_FAILURE);
    assert_int_equal(a.o3.len, 0);
    assert_int_equal(b.o3.len, 0);
    assert_string_equal(a.s.why, "wrong MS-CHAPv2 password");
    assert_string_equal(b.s.why, "no EAP secret for this user");
    static const uint8_t zero[MSCHAP_MSK_LEN];
    assert_memory_equal(a.s.msk, zero, sizeof zero);
    /* the client takes the Failure as a refusal */
    assert_int_equal(eapm_client_recv(&a.c, a.o3.code, a.o3.id, 0, NULL, 0, &a.o4), EAPM_FAILURE);
    /* and the right password for the same user succeeds */
    struct run c;
    exchange(&c, "carol", "tuxmux");
    assert_int_equal(c.rs, EAPM_SUCCESS);
}

/* a gateway that does not know the password cannot forge the Success */
static void impostor_gateway(void **state)
{
    (void)state;
    struct eap_mschapv2 s, c;
    struct eapm_out o1, o2, o3, o4;
    int lookups = 0;
    assert_int_equal(eapm_server_start(&s, AC, 1, "gw", &o1), 0);
    assert_int_equal(eapm_client_init(&c, "carol", 5, "tuxmux", 6, PC), 0);
    assert_int_equal(eapm_client_recv(&c, o1.code, o1.id, o1.type, o1.data, o1.len, &o2), EAPM_CONTINUE);
    assert_int_equal(eapm_server_recv(&s, o2.code, o2.id, o2.type, o2.data, o2.len, users, &lookups, &o3),
                     EAPM_CONTINUE);
    o3.data[4 + 2] ^= 1; /* one hex digit of S= changed */
    assert_int_equal(eapm_client_recv(&c, o3.code, o3.id, o3.type, o3.data, o3.len, &o4), EAPM_FAILURE);
    assert_string_equal(c.why, "the gateway's MS-CHAPv2 authenticator response is wrong");
    /* and an EAP-Success before the Success Request is not taken */
    struct eap_mschapv2 c2;
    assert_int_equal(eapm_client_init(&c2, "carol", 5, "tuxmux", 6, PC), 0);
    assert_int_equal(eapm_client_recv(&c2, EAP_CODE_SUCCESS, 1, 0, NULL, 0, &o4), EAPM_FAILURE);
    eapm_clear(&s), eapm_clear(&c), eapm_clear(&c2);
}

/* malformed Responses: each refused, none read past its end */
static void malformed(void **state)
{
    (void)state;
    struct run x;
    exchange(&x, "carol", "tuxmux");
    struct eapm_out good = x.o2, o;
    struct eap_mschapv2 s;
    int lookups = 0;
    for (size_t cut = 0; cut < good.len; cut++) {
        assert_int_equal(eapm_server_start(&s, AC, 7, "gw", &o), 0);
        assert_int_equal(eapm_server_recv(&s, good.code, good.id, good.type, good.data, cut, users, &lookups, &o),
                         EAPM_FAILURE);
    }
    struct eapm_out bad = good;
    bad.data[4] = 48; /* Value-Size */
    assert_int_equal(eapm_server_start(&s, AC, 7, "gw", &o), 0);
    assert_int_equal(eapm_server_recv(&s, bad.code, bad.id, bad.type, bad.data, bad.len, users, &lookups, &o),
                     EAPM_FAILURE);
    bad = good;
    bad.data[3] ^= 1; /* MS-Length */
    assert_int_equal(eapm_server_start(&s, AC, 7, "gw", &o), 0);
    assert_int_equal(eapm_server_recv(&s, bad.code, bad.id, bad.type, bad.data, bad.len, users, &lookups, &o),
                     EAPM_FAILURE);
    /* a wrong EAP identifier, a Nak, a Request instead of a Response */
    assert_int_equal(eapm_server_start(&s, AC, 7, "gw", &o), 0);
    assert_int_equal(eapm_server_recv(&s, good.code, 8, good.type, good.data, good.len, users, &lookups, &o),
                     EAPM_FAILURE);
    assert_int_equal(eapm_server_start(&s, AC, 7, "gw", &o), 0);
    assert_int_equal(eapm_server_recv(&s, good.code, 7, EAP_TYPE_NAK, (const uint8_t *)"\x1a", 1, users,
                                      &lookups, &o), EAPM_FAILURE);
    assert_string_equal(s.why, "the client refused EAP-MSCHAPv2 (Nak)");
    assert_int_equal(eapm_server_start(&s, AC, 7, "gw", &o), 0);
    assert_int_equal(eapm_server_recv(&s, EAP_CODE_REQUEST, 7, good.type, good.data, good.len, users, &lookups,
                                      &o), EAPM_FAILURE);
    /* a client: a truncated Challenge */
    struct eap_mschapv2 c;
    assert_int_equal(eapm_server_start(&s, AC, 7, "gw", &o), 0);
    for (size_t cut = 0; cut < 4 + 1 + 16; cut++) {
        struct eapm_out r;
        assert_int_equal(eapm_client_init(&c, "carol", 5, "tuxmux", 6, PC), 0);
        assert_int_equal(eapm_client_recv(&c, o.code, o.id, o.type, o.data, cut, &r), EAPM_FAILURE);
    }
    eapm_clear(&s), eapm_clear(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc2759_on_the_wire), cmocka_unit_test(refusals_alike),
        cmocka_unit_test(impostor_gateway), cmocka_unit_test(malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
