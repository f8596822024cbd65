/* ctl/vici_msg: VICI packets and messages, built and decoded */
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "vici_dump.h"
#include "base/err.h"
#include "ctl/vici_msg.h"

/* strongSwan's README example: key1 = value1, section1 { sub-section { key2 =
 * value2 }, list1 = [item1, item2] } */
static const uint8_t readme_msg[] = {
    3, 4, 'k', 'e', 'y', '1', 0, 6, 'v', 'a', 'l', 'u', 'e', '1',
    1, 8, 's', 'e', 'c', 't', 'i', 'o', 'n', '1',
    1, 11, 's', 'u', 'b', '-', 's', 'e', 'c', 't', 'i', 'o', 'n',
    3, 4, 'k', 'e', 'y', '2', 0, 6, 'v', 'a', 'l', 'u', 'e', '2',
    2,
    4, 5, 'l', 'i', 's', 't', '1',
    5, 0, 5, 'i', 't', 'e', 'm', '1',
    5, 0, 5, 'i', 't', 'e', 'm', '2',
    6,
    2,
};

static void build_readme(struct vici_bld *b, struct span *out)
{
    vici_bld_packet(b, VICI_CMD_RESPONSE, NULL);
    vici_bld_kv_str(b, "key1", "value1");
    vici_bld_section(b, "section1");
    vici_bld_section(b, "sub-section");
    vici_bld_kv_str(b, "key2", "value2");
    vici_bld_end(b);
    vici_bld_list(b, "list1");
    vici_bld_item_str(b, "item1");
    vici_bld_item_str(b, "item2");
    vici_bld_list_end(b);
    vici_bld_end(b);
    assert_int_equal(vici_bld_finish(b, out), 0);
}

static void builds_the_readme_example(void **st)
{
    (void)st;
    struct vici_bld b;
    struct span out;
    vici_bld_init(&b, 0);
    build_readme(&b, &out);
    /* length, CMD_RESPONSE (unnamed), then the message */
    assert_int_equal(out.n, 4 + 1 + sizeof readme_msg);
    assert_int_equal(out.p[3], 1 + sizeof readme_msg);
    assert_int_equal(out.p[4], VICI_CMD_RESPONSE);
    assert_bytes_equal(out.p + 5, readme_msg, sizeof readme_msg);
    /* decoded back */
    struct vici_packet p;
    char text[256];
    assert_int_equal(vici_packet_decode(span_of(out.p + 4, out.n - 4), &p), 0);
    assert_int_equal(p.op, VICI_CMD_RESPONSE);
    assert_int_equal(p.name.n, 0);
    assert_int_equal(vici_dump_msg(p.msg, text, sizeof text), 0);
    assert_string_equal(text, "key1=value1 section1{sub-section{key2=value2} list1[item1,item2]}");
    vici_bld_free(&b);
}

static void named_packets_round_trip(void **st)
{
    (void)st;
    struct vici_bld b;
    struct span out;
    struct vici_packet p;
    char s[32];
    vici_bld_init(&b, 0);
    vici_bld_packet(&b, VICI_CMD_REQUEST, "initiate");
    vici_bld_kv_str(&b, "child", "net");
    vici_bld_kv_fmt(&b, "timeout", "%d", 7000);
    assert_int_equal(vici_bld_finish(&b, &out), 0);
    assert_int_equal(vici_packet_decode(span_of(out.p + 4, out.n - 4), &p), 0);
    assert_int_equal(p.op, VICI_CMD_REQUEST);
    assert_int_equal(p.name.n, 8);
    assert_memory_equal(p.name.p, "initiate", 8);
    assert_true(vici_msg_get_str(p.msg, "timeout", s, sizeof s));
    assert_string_equal(s, "7000");
    assert_false(vici_msg_get_str(p.msg, "ike", s, sizeof s));
    /* EVENT_CONFIRM: a type byte only */
    vici_bld_packet(&b, VICI_EVENT_CONFIRM, NULL);
    assert_int_equal(vici_bld_finish(&b, &out), 0);
    assert_int_equal(out.n, 5);
    assert_memory_equal(out.p, "\0\0\0\1\5", 5);
    vici_bld_free(&b);
}

static void builder_refuses_bad_structure(void **st)
{
    (void)st;
    struct vici_bld b;
    struct span out;
    vici_bld_init(&b, 0);
    /* a named type without a name, an unnamed one with a name */
    assert_int_equal(vici_bld_packet(&b, VICI_EVENT, NULL), KITE_E_INVALID_ARG);
    assert_int_equal(vici_bld_packet(&b, VICI_CMD_RESPONSE, "x"), KITE_E_INVALID_ARG);
    /* a section left open */
    vici_bld_packet(&b, VICI_CMD_RESPONSE, NULL);
    vici_bld_section(&b, "s");
    assert_int_equal(vici_bld_finish(&b, &out), KITE_E_MALFORMED);
    /* a key-value in a list; the error is sticky */
    vici_bld_packet(&b, VICI_CMD_RESPONSE, NULL);
    vici_bld_list(&b, "l");
    assert_int_equal(vici_bld_kv_str(&b, "k", "v"), KITE_E_INVALID_ARG);
    assert_int_equal(vici_bld_list_end(&b), KITE_E_INVALID_ARG);
    assert_int_equal(vici_bld_finish(&b, &out), KITE_E_INVALID_ARG);
    /* an item outside a list, an end without a section */
    vici_bld_packet(&b, VICI_CMD_RESPONSE, NULL);
    assert_int_equal(vici_bld_item_str(&b, "i"), KITE_E_INVALID_ARG);
    vici_bld_packet(&b, VICI_CMD_RESPONSE, NULL);
    assert_int_equal(vici_bld_end(&b), KITE_E_INVALID_ARG);
    /* a name over 255 bytes, a value over 65535 */
    char name[300];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = 0;
    vici_bld_packet(&b, VICI_CMD_RESPONSE, NULL);
    assert_int_equal(vici_bld_kv_str(&b, name, "v"), KITE_E_INVALID_ARG);
    vici_bld_packet(&b, VICI_CMD_RESPONSE, NULL);
    static const char big[70000];
    assert_int_equal(vici_bld_kv(&b, "k", big, sizeof big), KITE_E_INVALID_ARG);
    vici_bld_free(&b);
}

static void builder_stops_at_its_maximum(void **st)
{
    (void)st;
    struct vici_bld b;
    struct span out;
    char v[100];
    memset(v, 'v', sizeof v);
    vici_bld_init(&b, 1000);
    vici_bld_packet(&b, VICI_CMD_RESPONSE, NULL);
    int rc = 0;
    for (int i = 0; i < 20 && !rc; i++)
        rc = vici_bld_kv(&b, "k", v, sizeof v);
    assert_int_equal(rc, KITE_E_NO_SPACE);
    assert_true(b.len <= 1000);
    assert_int_equal(vici_bld_finish(&b, &out), KITE_E_NO_SPACE);
    vici_bld_free(&b);
}

static int walk(const uint8_t *m, size_t n)
{
    return vici_msg_walk(span_of(m, n), VICI_DEPTH_MAX, NULL, NULL);
}

static void decoder_rejects_malformed_messages(void **st)
{
    (void)st;
    assert_int_equal(walk(readme_msg, sizeof readme_msg), 0);
    /* every truncation of a valid message is refused, but for the cut
     * after key1 = value1 (14 bytes), which is a whole message */
    for (size_t n = 1; n < sizeof readme_msg; n++)
        assert_true((walk(readme_msg, n) == 0) == (n == 14));
    static const uint8_t unbalanced_end[] = { 2 };
    static const uint8_t open_section[] = { 1, 1, 's' };
    static const uint8_t open_list[] = { 4, 1, 'l', 5, 0, 0 };
    static const uint8_t nested_list[] = { 4, 1, 'l', 4, 1, 'm', 6, 6 };
    static const uint8_t kv_in_list[] = { 4, 1, 'l', 3, 1, 'k', 0, 0, 6 };
    static const uint8_t section_in_list[] = { 4, 1, 'l', 1, 1, 's', 2, 6 };
    static const uint8_t item_outside[] = { 5, 0, 1, 'i' };
    static const uint8_t list_end_outside[] = { 6 };
    static const uint8_t unknown_type[] = { 7 };
    static const uint8_t zero_type[] = { 0 };
    static const uint8_t value_too_long[] = { 3, 1, 'k', 0, 9, 'v' };
    static const uint8_t name_too_long[] = { 1, 200, 's' };
    assert_int_equal(walk(unbalanced_end, sizeof unbalanced_end), KITE_E_MALFORMED);
    assert_int_equal(walk(open_section, sizeof open_section), KITE_E_MALFORMED);
    assert_int_equal(walk(open_list, sizeof open_list), KITE_E_MALFORMED);
    assert_int_equal(walk(nested_list, sizeof nested_list), KITE_E_MALFORMED);
    assert_int_equal(walk(kv_in_list, sizeof kv_in_list), KITE_E_MALFORMED);
    assert_int_equal(walk(section_in_list, sizeof section_in_list), KITE_E_MALFORMED);
    assert_int_equal(walk(item_outside, sizeof item_outside), KITE_E_MALFORMED);
    assert_int_equal(walk(list_end_outside, sizeof list_end_outside), KITE_E_MALFORMED);
    assert_int_equal(walk(unknown_type, sizeof unknown_type), KITE_E_MALFORMED);
    assert_int_equal(walk(zero_type, sizeof zero_type), KITE_E_MALFORMED);
    assert_int_equal(walk(value_too_long, sizeof value_too_long), KITE_E_TRUNCATED);
    assert_int_equal(walk(name_too_long, sizeof name_too_long), KITE_E_TRUNCATED);
}

static void decoder_limits_nesting(void **st)
{
    (void)st;
    uint8_t m[3 * 40 + 40];
    size_t n = 0;
    for (int i = 0; i < 40; i++) {
        m[n++] = VICI_SECTION_START;
        m[n++] = 1;
        m[n++] = 's';
    }
    for (int i = 0; i < 40; i++)
        m[n++] = VICI_SECTION_END;
    assert_int_equal(vici_msg_walk(span_of(m, n), 40, NULL, NULL), 0);
    assert_int_equal(vici_msg_walk(span_of(m, n), 39, NULL, NULL), KITE_E_MALFORMED);
    assert_int_equal(walk(m, n), KITE_E_MALFORMED); /* VICI_DEPTH_MAX = 32 */
}

static int stop_at_second(void *ctx, const struct vici_elem *e)
{
    (void)e;
    return ++*(int *)ctx == 2 ? 42 : 0;
}

static void visitor_can_stop_the_walk(void **st)
{
    (void)st;
    int seen = 0;
    assert_int_equal(vici_msg_walk(span_of(readme_msg, sizeof readme_msg), 8, stop_at_second, &seen), 42);
    assert_int_equal(seen, 2);
}

static void packet_decoder_checks_types(void **st)
{
    (void)st;
    struct vici_packet p;
    static const uint8_t bad_type[] = { 8 };
    static const uint8_t empty_name[] = { VICI_CMD_REQUEST, 0 };
    static const uint8_t short_name[] = { VICI_EVENT_REGISTER, 5, 'l', 'o' };
    static const uint8_t reg_trailing[] = { VICI_EVENT_REGISTER, 3, 'l', 'o', 'g', 3 };
    static const uint8_t confirm_trailing[] = { VICI_EVENT_CONFIRM, 0 };
    static const uint8_t reg[] = { VICI_EVENT_REGISTER, 3, 'l', 'o', 'g' };
    assert_int_equal(vici_packet_decode(span_of(NULL, 0), &p), KITE_E_TRUNCATED);
    assert_int_equal(vici_packet_decode(span_of(bad_type, 1), &p), KITE_E_MALFORMED);
    assert_int_equal(vici_packet_decode(span_of(empty_name, 2), &p), KITE_E_MALFORMED);
    assert_int_equal(vici_packet_decode(span_of(short_name, 4), &p), KITE_E_TRUNCATED);
    assert_int_equal(vici_packet_decode(span_of(reg_trailing, 6), &p), KITE_E_TRAILING);
    assert_int_equal(vici_packet_decode(span_of(confirm_trailing, 2), &p), KITE_E_TRAILING);
    assert_int_equal(vici_packet_decode(span_of(reg, 5), &p), 0);
    assert_int_equal(p.op, VICI_EVENT_REGISTER);
    assert_int_equal(p.name.n, 3);
    assert_int_equal(p.msg.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builds_the_readme_example),
        cmocka_unit_test(named_packets_round_trip),
        cmocka_unit_test(builder_refuses_bad_structure),
        cmocka_unit_test(builder_stops_at_its_maximum),
        cmocka_unit_test(decoder_rejects_malformed_messages),
        cmocka_unit_test(decoder_limits_nesting),
        cmocka_unit_test(visitor_can_stop_the_walk),
        cmocka_unit_test(packet_decoder_checks_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
