/* The credential, policy and pool packets strongSwan 5.9.8's swanctl sent,
 * captured by tests/vectors/vici_capture_creds.sh (see vici_README.md):
 * each decodes and reads as swanctl was asked; what load-cert and load-key
 * carry (the certificate file as it is, PEM; the key re-encoded by swanctl
 * as DER, its type "ECDSA" in capitals) loads into a credential set, and the
 * key's id is the one of its certificate's subjectKeyIdentifier. */
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "vici_dump.h"
#include "base/err.h"
#include "cred/store.h"
#include "ctl/vici_msg.h"

static const struct {
    const char *file;
    uint8_t op;
    const char *name, *text;
} captured[] = {
    { "vici_req_get-keys.bin", VICI_CMD_REQUEST, "get-keys", "" },
    { "vici_req_get-shared.bin", VICI_CMD_REQUEST, "get-shared", "" },
    { "vici_req_clear-creds.bin", VICI_CMD_REQUEST, "clear-creds", "" },
    { "vici_req_list-certs.bin", VICI_CMD_REQUEST, "list-certs", "" },
    { "vici_req_list-authorities.bin", VICI_CMD_REQUEST, "list-authorities", "" },
    { "vici_req_list-policies.bin", VICI_CMD_REQUEST, "list-policies", "trap=yes drop=yes pass=yes" },
    { "vici_req_get-pools.bin", VICI_CMD_REQUEST, "get-pools", "" },
    { "vici_req_install.bin", VICI_CMD_REQUEST, "install", "child=net" },
    { "vici_req_uninstall.bin", VICI_CMD_REQUEST, "uninstall", "child=net" },
    { "vici_req_reload-settings.bin", VICI_CMD_REQUEST, "reload-settings", "" },
    { "vici_req_rekey-ike.bin", VICI_CMD_REQUEST, "rekey", "ike=home" },
    { "vici_reg_list-cert.bin", VICI_EVENT_REGISTER, "list-cert", "" },
    { "vici_reg_list-policy.bin", VICI_EVENT_REGISTER, "list-policy", "" },
    { "vici_reg_list-authority.bin", VICI_EVENT_REGISTER, "list-authority", "" },
};

/* the file's packet, decoded; raw is the caller's to free */
static uint8_t *packet(const char *file, struct vici_packet *p)
{
    char path[128];
    size_t n;
    snprintf(path, sizeof path, "tests/vectors/%s", file);
    uint8_t *raw = (uint8_t *)read_source_file(path, &n);
    assert_true(n >= 5);
    assert_int_equal((size_t)raw[0] << 24 | (size_t)raw[1] << 16 | (size_t)raw[2] << 8 | raw[3], n - 4);
    assert_int_equal(vici_packet_decode(span_of(raw + 4, n - 4), p), 0);
    assert_int_equal(vici_msg_walk(p->msg, VICI_DEPTH_MAX, NULL, NULL), 0);
    return raw;
}

static void commands_read_as_asked(void **st)
{
    (void)st;
    for (size_t i = 0; i < sizeof captured / sizeof captured[0]; i++) {
        struct vici_packet p;
        char text[256];
        uint8_t *raw = packet(captured[i].file, &p);
        assert_int_equal(p.op, captured[i].op);
        assert_int_equal(p.name.n, strlen(captured[i].name));
        assert_memory_equal(p.name.p, captured[i].name, p.name.n);
        assert_int_equal(vici_dump_msg(p.msg, text, sizeof text), 0);
        assert_string_equal(text, captured[i].text);
        free(raw);
    }
}

static void load_cert_and_key_load(void **st)
{
    (void)st;
    struct cred_store *s;
    struct vici_packet p;
    struct span data;
    char v[32], err[160];
    uint8_t id[CRED_KEY_ID_LEN];
    static const uint8_t ski[CRED_KEY_ID_LEN] = { 0xb5, 0xe3, 0x8c, 0xa7, 0x5c, 0x01, 0x02, 0xce, 0xc4, 0x81,
                                                  0x21, 0x72, 0xbc, 0x25, 0xea, 0xae, 0x02, 0x98, 0x59, 0x84 };
    assert_int_equal(cred_store_empty(&s), 0);
    /* x509ca/: type X509, flag CA, the PEM file as it is */
    uint8_t *raw = packet("vici_req_load-cert-ca.bin", &p);
    assert_true(vici_msg_get_str(p.msg, "type", v, sizeof v));
    assert_string_equal(v, "X509");
    assert_true(vici_msg_get_str(p.msg, "flag", v, sizeof v));
    assert_string_equal(v, "CA");
    assert_true(vici_msg_get(p.msg, "data", &data));
    assert_memory_equal(data.p, "-----BEGIN CERTIFICATE-----", 27);
    assert_int_equal(cred_store_add_cert(s, data, true, err, sizeof err), 0);
    free(raw);
    /* x509/: flag NONE */
    raw = packet("vici_req_load-cert.bin", &p);
    assert_true(vici_msg_get_str(p.msg, "flag", v, sizeof v));
    assert_string_equal(v, "NONE");
    assert_true(vici_msg_get(p.msg, "data", &data));
    assert_int_equal(cred_store_add_cert(s, data, false, err, sizeof err), 0);
    free(raw);
    /* ecdsa/: swanctl decoded the key and sends it as DER (SEC1), type ECDSA */
    raw = packet("vici_req_load-key.bin", &p);
    assert_true(vici_msg_get_str(p.msg, "type", v, sizeof v));
    assert_string_equal(v, "ECDSA");
    assert_true(vici_msg_get(p.msg, "data", &data));
    assert_int_equal(data.p[0], 0x30);
    assert_int_equal(cred_store_add_key(s, data, v, id, err, sizeof err), 0);
    assert_memory_equal(id, ski, sizeof ski);
    free(raw);
    assert_int_equal(cred_store_n_cas(s), 1);
    assert_int_equal(cred_store_n_certs(s), 1);
    assert_non_null(cred_store_key_for(s, cred_store_cert_at(s, 0)));
    cred_store_unref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(commands_read_as_asked),
        cmocka_unit_test(load_cert_and_key_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
