/* ike/proposal: proposals as the log lines print them ("received proposals:",
 * "configured proposals:"; kitectl diagnose quotes them) */
#include "testutil.h"
#include "ike/ike_int.h"
#include <string.h>

static void configured(void **state)
{
    (void)state;
    struct ike_prop_cfg cfg[2] = {
        { 3, { { XF_ENCR, ENCR_AES_GCM_16, 256 }, { XF_PRF, PRF_HMAC_SHA2_256, 0 }, { XF_KE, KE_CURVE25519, 0 } } },
        { 4, { { XF_ENCR, ENCR_AES_CBC, 128 }, { XF_INTEG, AUTH_HMAC_SHA2_256_128, 0 }, { XF_PRF, PRF_HMAC_SHA2_256, 0 },
               { XF_KE, KE_ECP_256, 0 } } },
    };
    char buf[256];
    ike_prop_cfg_str(cfg, 2, true, buf, sizeof buf);
    assert_string_equal(buf, "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE25519, "
                             "IKE:AES_CBC_128/AUTH_HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256");
    /* a buffer too small is cut, never overrun */
    char small[20];
    ike_prop_cfg_str(cfg, 2, true, small, sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_memory_equal(small, "IKE:AES_GCM_16_256/", 19);
}

static void offered(void **state)
{
    (void)state;
    /* what a peer sent: an AES-CBC proposal with INTEG none (left out) and
     * a transform kite does not know (by type and number) */
    struct ike_transform xf1[] = { { XF_ENCR, ENCR_AES_CBC, 256, 0, NULL }, { XF_INTEG, AUTH_NONE, 0, 0, NULL },
                                   { XF_PRF, PRF_HMAC_SHA2_384, 0, 0, NULL }, { XF_KE, 999, 0, 0, NULL } };
    struct ike_transform xf2[] = { { XF_ENCR, ENCR_AES_GCM_16, 128, 0, NULL }, { XF_ESN, 0, 0, 0, NULL } };
    struct ike_proposal p[] = { { 1, IKEV2_PROTO_IKE, { NULL, 0 }, 4, xf1 },
                                { 2, IKEV2_PROTO_ESP, { NULL, 0 }, 2, xf2 } };
    struct ike_sa sa = { 2, p };
    char buf[256];
    ike_prop_offer_str(&sa, buf, sizeof buf);
    assert_string_equal(buf, "IKE:AES_CBC_256/PRF_HMAC_SHA2_384/KE_999, ESP:AES_GCM_16_128/NO_EXT_SEQ");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(configured),
        cmocka_unit_test(offered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
