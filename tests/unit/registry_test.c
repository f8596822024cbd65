/* crypto/registry: lookups by ID and keyword, legacy policy */
#include "testutil.h"
#include "crypto/registry.h"
#include <string.h>

static void lookup_by_id_and_key_size(void **state)
{
    (void)state;
    const struct xf_info *x = xf_lookup(XF_ENCR, ENCR_AES_GCM_16, 256);
    assert_non_null(x);
    assert_string_equal(x->keyword, "aes256gcm16");
    assert_true(x->aead);
    assert_int_equal(x->key_len, 36);
    assert_int_equal(x->salt_len, 4);
    assert_int_equal(x->iv_len, 8);
    assert_int_equal(x->icv_len, 16);
    /* AES needs its Key Length attribute; ChaCha20 must not have one */
    assert_null(xf_lookup(XF_ENCR, ENCR_AES_CBC, 0));
    assert_null(xf_lookup(XF_ENCR, ENCR_AES_CBC, 100));
    assert_non_null(xf_lookup(XF_ENCR, ENCR_CHACHA20_POLY1305, 0));
    assert_null(xf_lookup(XF_ENCR, ENCR_CHACHA20_POLY1305, 256));
    assert_int_equal(xf_lookup(XF_INTEG, AUTH_HMAC_SHA2_384_192, 0)->icv_len, 24);
    assert_int_equal(xf_lookup(XF_PRF, PRF_AES128_XCBC, 0)->key_len, 16);
    assert_int_equal(xf_lookup(XF_KE, KE_ECP_521, 0)->out_len, 132);
    assert_int_equal(xf_lookup(XF_KE, KE_MODP_8192, 0)->out_len, 1024);
    assert_null(xf_lookup(XF_KE, 999, 0));
}

static void keywords_and_aliases(void **state)
{
    (void)state;
    assert_ptr_equal(xf_by_keyword(XF_ENCR, "aes128gcm128"), xf_by_keyword(XF_ENCR, "aes128gcm16"));
    assert_ptr_equal(xf_by_keyword(XF_ENCR, "aes256gcm64"), xf_lookup(XF_ENCR, ENCR_AES_GCM_8, 256));
    assert_ptr_equal(xf_by_keyword(XF_ENCR, "aes192gcm96"), xf_lookup(XF_ENCR, ENCR_AES_GCM_12, 192));
    assert_ptr_equal(xf_by_keyword(XF_KE, "curve25519"), xf_by_keyword(XF_KE, "x25519"));
    assert_ptr_equal(xf_by_keyword(XF_KE, "curve448"), xf_lookup(XF_KE, KE_CURVE448, 0));
    assert_int_equal(xf_by_keyword(XF_INTEG, "sha256")->id, AUTH_HMAC_SHA2_256_128);
    assert_int_equal(xf_by_keyword(XF_INTEG, "sha2_256")->id, AUTH_HMAC_SHA2_256_128);
    assert_int_equal(xf_by_keyword(XF_PRF, "sha256")->id, PRF_HMAC_SHA2_256);
    assert_int_equal(xf_by_keyword(XF_PRF, "prfsha512")->id, PRF_HMAC_SHA2_512);
    assert_int_equal(xf_by_keyword(XF_ESN, "esn")->id, ESN_YES);
    assert_int_equal(xf_by_keyword(XF_ESN, "noesn")->id, ESN_NO);
    assert_null(xf_by_keyword(XF_ENCR, "sha256"));
    assert_null(xf_by_keyword(XF_ENCR, "aes128gcm17"));
    assert_null(xf_by_keyword(XF_ENCR, NULL));
}

static void legacy_needs_permission(void **state)
{
    (void)state;
    const char *legacy[][2] = { { "3des", "ENCR" }, { "prfsha1", "PRF" }, { "prfmd5", "PRF" },
                                { "sha1", "INTEG" }, { "md5", "INTEG" }, { "modp1024", "KE" },
                                { "modp1536", "KE" }, { "ecp192", "KE" }, { "null", "ENCR" } };
    for (size_t i = 0; i < sizeof legacy / sizeof legacy[0]; i++) {
        enum xf_type t = strcmp(legacy[i][1], "ENCR") == 0    ? XF_ENCR
                         : strcmp(legacy[i][1], "PRF") == 0   ? XF_PRF
                         : strcmp(legacy[i][1], "INTEG") == 0 ? XF_INTEG
                                                              : XF_KE;
        const struct xf_info *x = xf_by_keyword(t, legacy[i][0]);
        assert_non_null(x);
        assert_false(xf_allowed(x, false));
        assert_true(xf_allowed(x, true));
    }
    assert_true(xf_allowed(xf_by_keyword(XF_KE, "modp2048"), false));
    /* AES-XCBC and AES-CMAC are fine (RFC 8247 3.1/3.2), merely not in the defaults */
    assert_true(xf_allowed(xf_by_keyword(XF_INTEG, "aesxcbc"), false));
    assert_true(xf_allowed(xf_by_keyword(XF_PRF, "prfaescmac"), false));
    assert_false(xf_allowed(NULL, true));
}

static void table_is_consistent(void **state)
{
    (void)state;
    size_t n = 0;
    for (const struct xf_info *x; (x = xf_at(n)); n++) {
        /* each row is found again by its own ID and keyword */
        assert_ptr_equal(xf_lookup(x->type, x->id, x->key_length_attr ? x->key_bits : 0), x);
        assert_ptr_equal(xf_by_keyword(x->type, x->keyword), x);
        if (x->type == XF_ENCR && x->aead)
            assert_int_equal(x->key_len, x->key_bits / 8 + x->salt_len + (x->key_bits ? 0 : 32));
    }
    assert_int_equal(n, 67);
    assert_string_equal(xf_type_name(XF_INTEG), "INTEG");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lookup_by_id_and_key_size),
        cmocka_unit_test(keywords_and_aliases),
        cmocka_unit_test(legacy_needs_permission),
        cmocka_unit_test(table_is_consistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
