/* base/rd: the bounds-checked reader */
#include "testutil.h"
#include "base/rd.h"

static void reads_big_endian_fields(void **state)
{
    (void)state;
    const uint8_t in[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
    struct rd r;
    uint8_t a;
    uint16_t b;
    uint32_t c;
    uint64_t d;
    rd_init(&r, in, sizeof in);
    assert_int_equal(rd_u8(&r, &a), 0);
    assert_int_equal(rd_be16(&r, &b), 0);
    assert_int_equal(rd_be32(&r, &c), 0);
    assert_int_equal(rd_be64(&r, &d), 0);
    assert_int_equal(a, 1);
    assert_int_equal(b, 0x0203);
    assert_int_equal(c, 0x04050607);
    assert_true(d == 0x08090a0b0c0d0e0fULL);
    assert_true(rd_done(&r));
}

static void errors_are_sticky(void **state)
{
    (void)state;
    const uint8_t in[] = { 1, 2, 3 };
    struct rd r;
    uint32_t v = 99;
    uint8_t b = 99;
    rd_init(&r, in, sizeof in);
    assert_int_equal(rd_be32(&r, &v), KITE_E_TRUNCATED);
    assert_int_equal(v, 0);
    /* a later read that would fit still fails: the reader is poisoned */
    assert_int_equal(rd_u8(&r, &b), KITE_E_TRUNCATED);
    assert_false(rd_done(&r));
    assert_int_equal(rd_left(&r), 0);
}

static void sub_reader_is_bounded(void **state)
{
    (void)state;
    const uint8_t in[] = { 0xaa, 0xbb, 0xcc, 0xdd };
    struct rd r, s;
    struct span sp;
    uint16_t v;
    rd_init(&r, in, sizeof in);
    assert_int_equal(rd_sub(&r, 2, &s), 0);
    assert_int_equal(rd_be16(&s, &v), 0);
    assert_int_equal(v, 0xaabb);
    /* the child cannot read into the parent's remaining bytes */
    assert_int_equal(rd_u8(&s, (uint8_t *)&v), KITE_E_TRUNCATED);
    assert_int_equal(rd_offset(&r), 2);
    assert_int_equal(rd_span(&r, 2, &sp), 0);
    assert_int_equal(sp.p[0], 0xcc);
    assert_true(rd_done(&r));
    /* a sub-reader longer than the input fails both */
    rd_init(&r, in, sizeof in);
    assert_int_equal(rd_sub(&r, 5, &s), KITE_E_TRUNCATED);
    assert_int_equal(rd_left(&s), 0);
}

static void done_detects_leftovers(void **state)
{
    (void)state;
    const uint8_t in[] = { 1, 2 };
    struct rd r;
    uint8_t v;
    rd_init(&r, in, sizeof in);
    rd_u8(&r, &v);
    assert_false(rd_done(&r));
    struct span rest = rd_rest(&r);
    assert_int_equal(rest.n, 1);
    assert_true(rd_done(&r));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_big_endian_fields),
        cmocka_unit_test(errors_are_sticky),
        cmocka_unit_test(sub_reader_is_bounded),
        cmocka_unit_test(done_detects_leftovers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
