/* NAT_DETECTION_*_IP hashes (RFC 7296 2.23: SHA-1(SPIi | SPIr | IP | port))
 * against strongSwan 5.9.8: the captures in tests/vectors/charon598/ (no NAT,
 * kernel-libipsec faking a NAT) and tests/vectors/charon598_nat/ (a real NAT
 * rewriting 192.168.1.2[500] to 192.0.2.1[33078], no faking), whose charon
 * logs (ike = 4) dump every natd_chunk charon hashed and the natd_hash it got.
 *
 * - every chunk charon logged hashes, with kite's ike_natd_hash, to the hash
 *   charon logged next to it (16 pairs: two per message, in both charons'
 *   logs, for captures A and B);
 * - the hashes in the captured IKE_SA_INIT messages are those: the
 *   NATD_D_IP of the request is the hash of the responder's 192.0.2.2[500]
 *   with SPIr zero, the response's that of 192.0.2.1[500] with both SPIs;
 * - the NATD_S_IP are charon's fakes (kernel-libipsec forces encapsulation):
 *   a random address and port 0, so kite's detection on those messages says
 *   "remote (or faked by the peer)" and not "local" on both sides;
 * - across the real NAT every hash is real: the responder's view of the
 *   request is "remote" (proven by the port 33078), the initiator's view of
 *   the response "local". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "ike/ike_int.h"
#include "wire/ike.h"

struct natd_pair {
    uint8_t chunk[22], hash[20];
};

/* the bytes of a charon hex dump following line `at`: "NN[IKE]   16: 24 DF .. ascii" */
static const char *dump_bytes(const char *at, uint8_t *out, size_t n)
{
    size_t got = 0;
    const char *p = strchr(at, '\n');
    while (p && got < n) {
        p++;
        const char *colon = strstr(p, ": ");
        const char *eol = strchr(p, '\n');
        if (!colon || (eol && colon > eol))
            break;
        const char *q = colon + 2;
        unsigned v;
        while (got < n && q[0] && q[1] && q[2] == ' ' && sscanf(q, "%2x", &v) == 1) {
            out[got++] = (uint8_t)v;
            q += 3;
        }
        if (got < n && q[0] && q[1] && sscanf(q, "%2x", &v) == 1 && (q[2] == '\n' || q[2] == ' '))
            out[got++] = (uint8_t)v;
        p = eol;
    }
    assert_int_equal(got, n);
    return p;
}

/* every natd_chunk with the natd_hash logged after it */
static int log_pairs(const char *path, struct natd_pair *out, int max)
{
    char *log = read_source_file(path, NULL);
    int n = 0;
    for (const char *p = strstr(log, "natd_chunk => 22 bytes"); p && n < max; p = strstr(p, "natd_chunk => 22 bytes")) {
        p = dump_bytes(p, out[n].chunk, 22);
        const char *h = strstr(p, "natd_hash => 20 bytes");
        assert_non_null(h);
        p = dump_bytes(h, out[n].hash, 20);
        n++;
    }
    free(log);
    return n;
}

static void hash_chunk(const uint8_t chunk[22], uint8_t out[20])
{
    struct ike_addr a = { .family = 4, .port = (uint16_t)(chunk[20] << 8 | chunk[21]) };
    memcpy(a.ip, chunk + 16, 4);
    assert_int_equal(ike_natd_hash(chunk, chunk + 8, &a, out), 0);
}

static void logged_chunks_hash_as_charon_says(void **st)
{
    (void)st;
    static const char *logs[] = { "charon598/A_charon_initiator", "charon598/A_charon_responder",
                                  "charon598/B_charon_initiator", "charon598/B_charon_responder",
                                  "charon598_nat/N_charon_initiator", "charon598_nat/N_charon_responder" };
    int total = 0;
    for (unsigned i = 0; i < 6; i++) {
        char path[128];
        struct natd_pair pr[8];
        snprintf(path, sizeof path, "tests/vectors/%s.log", logs[i]);
        int n = log_pairs(path, pr, 8);
        assert_int_equal(n, 4); /* its own two for the message it sent, two to check the one received */
        for (int k = 0; k < n; k++) {
            uint8_t h[20];
            hash_chunk(pr[k].chunk, h);
            assert_bytes_equal(h, pr[k].hash, 20);
            /* and a hash of anything else differs */
            uint8_t other[22];
            memcpy(other, pr[k].chunk, 22);
            other[21] ^= 1;
            hash_chunk(other, h);
            assert_false(memcmp(h, pr[k].hash, 20) == 0);
        }
        total += n;
    }
    assert_int_equal(total, 24);
}

/* the message borrows from *bytes: the caller frees both */
static struct ike_msg *decode_hex(const char *path, uint8_t **bytes_out)
{
    size_t n;
    char *hex = read_source_file(path, NULL);
    uint8_t *bytes = hex_decode(hex, &n);
    free(hex);
    *bytes_out = bytes;
    struct ike_msg *m = calloc(1, sizeof *m);
    struct diag d = { 0 };
    assert_non_null(m);
    assert_int_equal(ike_msg_decode(span_of(bytes, n), m, &d), 0);
    return m;
}

static const uint8_t *notify_data(const struct ike_msg *m, uint16_t type)
{
    for (unsigned i = 0; i < m->chain.n; i++)
        if (m->chain.pld[i].type == IKEV2_PLD_NOTIFY && m->chain.pld[i].u.notify.type == type) {
            assert_int_equal(m->chain.pld[i].u.notify.data.n, 20);
            return m->chain.pld[i].u.notify.data.p;
        }
    fail_msg("no notify %u", type);
    return NULL;
}

static void spis(const struct ike_msg *m, uint8_t spi_i[8], uint8_t spi_r[8])
{
    for (int i = 0; i < 8; i++) {
        spi_i[i] = (uint8_t)(m->hdr.spi_i >> (56 - 8 * i));
        spi_r[i] = (uint8_t)(m->hdr.spi_r >> (56 - 8 * i));
    }
}

static const struct ike_addr LEFT = { .family = 4, .ip = { 192, 0, 2, 1 }, .port = 500 };
static const struct ike_addr RIGHT = { .family = 4, .ip = { 192, 0, 2, 2 }, .port = 500 };

static void engine_log(void *ctx, int subsys, int level, const char *msg)
{
    (void)subsys;
    (void)level;
    snprintf(ctx, 1024, "%s", msg);
}

static void no_random(void *ctx, uint8_t *p, size_t n)
{
    (void)ctx;
    memset(p, 0x5a, n);
}

/* kite's detection on a captured message, as its receiver at local, from remote */
static void detect_at(const struct ike_msg *m, bool as_initiator, const struct ike_addr *local,
                      const struct ike_addr *remote, const char *want, const char *want_log)
{
    static char last_log[1024];
    struct ike_env env = { last_log, no_random, engine_log };
    struct ike_engine *e = ike_engine_new(&env);
    struct ike_conn_cfg c;
    static struct ike_prop_cfg prop;
    static struct ike_child_cfg child;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "lab");
    c.n_ike = c.n_children = 1;
    c.ike = &prop; /* the engine copies them */
    c.child = &child;
    assert_int_equal(ike_engine_add_conn(e, &c), 0);
    struct ikesa *sa = ike_sa_new(e, 0, as_initiator);
    assert_non_null(sa);
    sa->state = as_initiator ? IKE_S_INIT_SENT : IKE_S_INIT_DONE;
    sa->initiator = as_initiator;
    spis(m, sa->spi_i, sa->spi_r);
    sa->local = *local;
    sa->remote = *remote;
    ike_nat_check(e, sa, &m->chain);
    char s[96];
    assert_string_equal(ike_nat_str(sa, s, sizeof s), want);
    assert_non_null(strstr(last_log, want_log));
    sa->state = IKE_S_FREE;
    ike_engine_free(e);
}

static void detect(const struct ike_msg *m, bool as_initiator, const char *want)
{
    detect_at(m, as_initiator, as_initiator ? &LEFT : &RIGHT, as_initiator ? &RIGHT : &LEFT, want,
              "remote host is behind NAT (or the peer fakes");
}

static void captured_messages_carry_those_hashes(void **st)
{
    (void)st;
    static const char *caps[] = { "A", "B" };
    for (unsigned i = 0; i < 2; i++) {
        char path[128];
        uint8_t spi_i[8], spi_r[8], h[20], *b1, *b2;
        snprintf(path, sizeof path, "tests/vectors/charon598/%s_01_ike_sa_init_req.hex", caps[i]);
        struct ike_msg *req = decode_hex(path, &b1);
        snprintf(path, sizeof path, "tests/vectors/charon598/%s_02_ike_sa_init_resp.hex", caps[i]);
        struct ike_msg *resp = decode_hex(path, &b2);
        /* request: SPIr zero, destination the responder */
        spis(req, spi_i, spi_r);
        for (int k = 0; k < 8; k++)
            assert_int_equal(spi_r[k], 0);
        assert_int_equal(ike_natd_hash(spi_i, spi_r, &RIGHT, h), 0);
        assert_bytes_equal(h, notify_data(req, IKEV2_N_NAT_DETECTION_DESTINATION_IP), 20);
        assert_int_equal(ike_natd_hash(spi_i, spi_r, &LEFT, h), 0);
        assert_false(memcmp(h, notify_data(req, IKEV2_N_NAT_DETECTION_SOURCE_IP), 20) == 0); /* faked */
        /* response: both SPIs, destination the initiator */
        spis(resp, spi_i, spi_r);
        assert_int_equal(ike_natd_hash(spi_i, spi_r, &LEFT, h), 0);
        assert_bytes_equal(h, notify_data(resp, IKEV2_N_NAT_DETECTION_DESTINATION_IP), 20);
        assert_int_equal(ike_natd_hash(spi_i, spi_r, &RIGHT, h), 0);
        assert_false(memcmp(h, notify_data(resp, IKEV2_N_NAT_DETECTION_SOURCE_IP), 20) == 0);
        /* the fakes are what charon logged: the hash of a random address, port 0 */
        snprintf(path, sizeof path, "tests/vectors/charon598/%s_charon_initiator.log", caps[i]);
        struct natd_pair pr[8];
        assert_int_equal(log_pairs(path, pr, 8), 4);
        assert_bytes_equal(pr[0].hash, notify_data(req, IKEV2_N_NAT_DETECTION_SOURCE_IP), 20);
        assert_int_equal(pr[0].chunk[20] << 8 | pr[0].chunk[21], 0);
        detect(req, false, "remote (or faked by the peer)");
        detect(resp, true, "remote (or faked by the peer)");
        free(req);
        free(resp);
        free(b1);
        free(b2);
    }
}

/* charon598_nat: 192.168.1.2[500] behind a NAT seen as 192.0.2.1[33078] by 192.0.2.2[500] */
static void real_nat_capture(void **st)
{
    (void)st;
    static const struct ike_addr priv = { .family = 4, .ip = { 192, 168, 1, 2 }, .port = 500 };
    static const struct ike_addr pub = { .family = 4, .ip = { 192, 0, 2, 1 }, .port = 33078 };
    uint8_t spi_i[8], spi_r[8], h[20], *b1, *b2;
    struct ike_msg *req = decode_hex("tests/vectors/charon598_nat/N_01_ike_sa_init_req.hex", &b1);
    struct ike_msg *resp = decode_hex("tests/vectors/charon598_nat/N_02_ike_sa_init_resp.hex", &b2);
    spis(req, spi_i, spi_r);
    assert_int_equal(ike_natd_hash(spi_i, spi_r, &priv, h), 0); /* the initiator's own view */
    assert_bytes_equal(h, notify_data(req, IKEV2_N_NAT_DETECTION_SOURCE_IP), 20);
    assert_int_equal(ike_natd_hash(spi_i, spi_r, &RIGHT, h), 0);
    assert_bytes_equal(h, notify_data(req, IKEV2_N_NAT_DETECTION_DESTINATION_IP), 20);
    spis(resp, spi_i, spi_r);
    assert_int_equal(ike_natd_hash(spi_i, spi_r, &RIGHT, h), 0);
    assert_bytes_equal(h, notify_data(resp, IKEV2_N_NAT_DETECTION_SOURCE_IP), 20);
    assert_int_equal(ike_natd_hash(spi_i, spi_r, &pub, h), 0); /* what the responder saw */
    assert_bytes_equal(h, notify_data(resp, IKEV2_N_NAT_DETECTION_DESTINATION_IP), 20);
    /* kite in either place: the responder sees a proven remote NAT, the initiator its own */
    struct ike_addr right = RIGHT;
    detect_at(req, false, &right, &pub, "remote", "remote host is behind NAT (the peer sends from 192.0.2.1[33078]");
    detect_at(resp, true, &priv, &right, "local", "local host is behind NAT");
    free(req);
    free(resp);
    free(b1);
    free(b2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(logged_chunks_hash_as_charon_says),
        cmocka_unit_test(captured_messages_carry_those_hashes),
        cmocka_unit_test(real_nat_capture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
