/* VICI packets strongSwan 5.9.8's swanctl sent, captured by
 * tests/vectors/vici_capture.sh (see tests/vectors/vici_README.md):
 * each decodes, its message reads as swanctl meant it, and rebuilding it
 * element by element with kite's builder gives the same bytes. */
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "vici_dump.h"
#include "base/err.h"
#include "ctl/vici_msg.h"

static const struct {
    const char *file;
    uint8_t op;
    const char *name, *text;
} captured[] = {
    { "vici_req_version.bin", VICI_CMD_REQUEST, "version", "" },
    { "vici_req_stats.bin", VICI_CMD_REQUEST, "stats", "" },
    { "vici_req_list-sas.bin", VICI_CMD_REQUEST, "list-sas", "" },
    { "vici_req_list-conns.bin", VICI_CMD_REQUEST, "list-conns", "" },
    { "vici_req_get-conns.bin", VICI_CMD_REQUEST, "get-conns", "" },
    { "vici_req_initiate.bin", VICI_CMD_REQUEST, "initiate", "child=net ike=home timeout=7000 loglevel=2" },
    { "vici_req_terminate.bin", VICI_CMD_REQUEST, "terminate", "ike=home force=yes loglevel=1" },
    { "vici_req_rekey.bin", VICI_CMD_REQUEST, "rekey", "child=net" },
    { "vici_req_load-conn.bin", VICI_CMD_REQUEST, "load-conn",
      "home{remote_addrs[192.0.2.1] proposals[aes128gcm16-prfsha256-ecp256] local{auth=psk id=alice@example.org} "
      "remote{auth=psk} children{net{remote_ts[10.1.0.0/16,10.2.0.0/16] esp_proposals[aes128gcm16] "
      "start_action=trap}}}" },
    { "vici_reg_list-sa.bin", VICI_EVENT_REGISTER, "list-sa", "" },
    { "vici_reg_list-conn.bin", VICI_EVENT_REGISTER, "list-conn", "" },
    { "vici_reg_control-log.bin", VICI_EVENT_REGISTER, "control-log", "" },
    { "vici_reg_log.bin", VICI_EVENT_REGISTER, "log", "" },
};

/* rebuilds each element into a builder */
static int rebuild(void *ctx, const struct vici_elem *e)
{
    struct vici_bld *b = ctx;
    char name[256];
    memcpy(name, e->name.p ? (const char *)e->name.p : "", e->name.n);
    name[e->name.n] = 0;
    switch (e->type) {
    case VICI_SECTION_START: return vici_bld_section(b, name);
    case VICI_SECTION_END: return vici_bld_end(b);
    case VICI_KEY_VALUE: return vici_bld_kv(b, name, e->value.p, e->value.n);
    case VICI_LIST_START: return vici_bld_list(b, name);
    case VICI_LIST_ITEM: return vici_bld_item(b, e->value.p, e->value.n);
    case VICI_LIST_END: return vici_bld_list_end(b);
    default: return -1;
    }
}

static void captured_packets_decode_and_rebuild(void **st)
{
    (void)st;
    for (size_t i = 0; i < sizeof captured / sizeof captured[0]; i++) {
        char path[128], text[1024], name[64];
        size_t n;
        snprintf(path, sizeof path, "tests/vectors/%s", captured[i].file);
        uint8_t *raw = (uint8_t *)read_source_file(path, &n);
        assert_true(n >= 5);
        /* the transport length covers the rest exactly */
        assert_int_equal((size_t)raw[0] << 24 | (size_t)raw[1] << 16 | (size_t)raw[2] << 8 | raw[3], n - 4);
        struct vici_packet p;
        assert_int_equal(vici_packet_decode(span_of(raw + 4, n - 4), &p), 0);
        assert_int_equal(p.op, captured[i].op);
        memcpy(name, p.name.p, p.name.n);
        name[p.name.n] = 0;
        assert_string_equal(name, captured[i].name);
        assert_int_equal(vici_dump_msg(p.msg, text, sizeof text), 0);
        assert_string_equal(text, captured[i].text);
        struct vici_bld b;
        struct span out;
        vici_bld_init(&b, 0);
        vici_bld_packet(&b, p.op, name);
        assert_int_equal(vici_msg_walk(p.msg, VICI_DEPTH_MAX, rebuild, &b), 0);
        assert_int_equal(vici_bld_finish(&b, &out), 0);
        assert_int_equal(out.n, n);
        assert_bytes_equal(out.p, raw, n);
        /* load-conn is one section: every shorter cut leaves it open */
        for (size_t cut = 1; !strcmp(name, "load-conn") && cut < p.msg.n; cut++)
            assert_int_not_equal(vici_msg_walk(span_of(p.msg.p, cut), VICI_DEPTH_MAX, NULL, NULL), 0);
        vici_bld_free(&b);
        free(raw);
    }
}

static void initiate_values_are_found(void **st)
{
    (void)st;
    size_t n;
    char v[64];
    uint8_t *raw = (uint8_t *)read_source_file("tests/vectors/vici_req_initiate.bin", &n);
    struct vici_packet p;
    assert_int_equal(vici_packet_decode(span_of(raw + 4, n - 4), &p), 0);
    assert_true(vici_msg_get_str(p.msg, "loglevel", v, sizeof v));
    assert_string_equal(v, "2");
    assert_true(vici_msg_get_str(p.msg, "ike", v, sizeof v));
    assert_string_equal(v, "home");
    free(raw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(captured_packets_decode_and_rebuild),
        cmocka_unit_test(initiate_values_are_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
