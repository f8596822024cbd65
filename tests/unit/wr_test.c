/* base/wr, base/secret, base/err */
#include "testutil.h"
#include "base/wr.h"
#include "base/secret.h"
#include "base/err.h"

static void writes_and_patches_lengths(void **state)
{
    (void)state;
    uint8_t buf[16];
    struct wr w;
    wr_init(&w, buf, sizeof buf);
    size_t start = w.len;
    wr_u8(&w, 0x21);
    size_t len_at = wr_reserve(&w, 2);
    wr_be32(&w, 0xdeadbeef);
    assert_int_equal(wr_patch_len16(&w, len_at, start), 0);
    const uint8_t want[] = { 0x21, 0x00, 0x07, 0xde, 0xad, 0xbe, 0xef };
    assert_int_equal(w.len, sizeof want);
    assert_bytes_equal(buf, want, sizeof want);
    /* a one-byte length (DER) patched in place; past the end is refused */
    assert_int_equal(wr_put_u8(&w, len_at + 1, 0x05), 0);
    assert_int_equal(buf[len_at + 1], 0x05);
    assert_int_equal(wr_put_u8(&w, w.len, 1), KITE_E_INVALID_ARG);
}

static void overflow_is_sticky(void **state)
{
    (void)state;
    uint8_t buf[3];
    struct wr w;
    wr_init(&w, buf, sizeof buf);
    assert_int_equal(wr_be32(&w, 1), KITE_E_NO_SPACE);
    assert_int_equal(wr_u8(&w, 1), KITE_E_NO_SPACE);
    assert_int_equal(w.len, 0);
}

static void secrets_compare_and_wipe(void **state)
{
    (void)state;
    struct secret s;
    assert_int_equal(secret_from(&s, "abcd", 4), 0);
    assert_true(ct_equal(s.p, "abcd", 4));
    assert_false(ct_equal(s.p, "abce", 4));
    secret_free(&s);
    assert_null(s.p);
    assert_int_equal(s.n, 0);
    secret_free(&s); /* twice is harmless */
}

static void error_table_is_consistent(void **state)
{
    (void)state;
    assert_string_equal(kite_errname(KITE_E_NO_PROPOSAL), "NO_PROPOSAL");
    assert_int_equal(kite_err_notify(KITE_E_NO_PROPOSAL), 14);
    assert_int_equal(kite_err_notify(KITE_E_CRITICAL), 1);
    assert_int_equal(kite_err_action(KITE_E_TRUNCATED), ERR_DROP);
    assert_string_equal(kite_strerror(12345), "unknown error");
    struct diag d = { 0 };
    diag_set(&d, KITE_E_MALFORMED, "first", 3);
    diag_set(&d, KITE_E_TRUNCATED, "second", 9);
    assert_string_equal(d.field, "first"); /* the first failure wins */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writes_and_patches_lengths),
        cmocka_unit_test(overflow_is_sticky),
        cmocka_unit_test(secrets_compare_and_wipe),
        cmocka_unit_test(error_table_is_consistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
