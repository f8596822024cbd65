/* conf/conf_pool + the CP attributes it makes: pools { } and the vips and
 * pools keys of a connection (swanctl.conf, issue 15), each attribute in the
 * wire form of RFC 7296 3.15.1 (encoded in a CP payload and decoded back),
 * the client's CFG_REQUEST, and the errors. */
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conf/conf.h"
#include "ike/ike_int.h"
#include "wire/msg.h"

static char warnings[2048];
static void on_warn(void *ctx, const char *msg)
{
    (void)ctx;
    strncat(warnings, msg, sizeof warnings - strlen(warnings) - 2);
    strcat(warnings, "\n");
}

static const char *CONN =
    "connections { rw { pools = v4, v6\n vips = 0.0.0.0, ::\n"
    "  local { auth = psk }\n remote { auth = psk }\n"
    "  children { net { local_ts = 10.2.0.0/24\n remote_ts = 10.3.0.0/16 } } } }\n";

static struct kite_conf *load(const char *pools, char *err, size_t cap)
{
    char text[4096];
    struct kite_conf *c = NULL;
    snprintf(text, sizeof text, "%s%s", pools, CONN);
    warnings[0] = 0;
    int rc = conf_load_string(text, "test.conf", &c, err, cap, on_warn, NULL);
    return rc ? NULL : c;
}

static void range_is(const struct conf_pool *p, const char *lo, const char *hi)
{
    size_t n1, n2;
    uint8_t *l = hex_decode(lo, &n1), *h = hex_decode(hi, &n2);
    assert_bytes_equal(p->lo, l, n1);
    assert_bytes_equal(p->hi, h, n2);
    free(l);
    free(h);
}

/* a subnet skips its network and (IPv4) broadcast address; a host part
 * starts there; a range is taken as it is */
static void addrs(void **state)
{
    (void)state;
    char err[256];
    struct kite_conf *c = load("pools { a { addrs = 10.3.0.0/24 }\n b { addrs = 10.4.0.5/24 }\n"
                               " c { addrs = 10.3.1.10-10.3.1.50 }\n d { addrs = fd00::/120 }\n"
                               " v4 { addrs = 10.5.0.0/30 }\n v6 { addrs = fd00:1::1-fd00:1::9 } }\n",
                               err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_int_equal(c->n_pools, 6);
    range_is(&c->pools[0], "0a030001", "0a0300fe");
    range_is(&c->pools[1], "0a040005", "0a0400fe");
    range_is(&c->pools[2], "0a03010a", "0a030132");
    assert_int_equal(c->pools[3].family, 6);
    range_is(&c->pools[3], "fd000000000000000000000000000001", "fd0000000000000000000000000000ff");
    range_is(&c->pools[4], "0a050001", "0a050002");
    /* the connection's keys */
    assert_int_equal(c->conns[0].n_pools, 2);
    assert_string_equal(c->conns[0].pools[1], "v6");
    assert_int_equal(c->conns[0].n_vips, 2);
    assert_int_equal(c->conns[0].vips[0].family, 4);
    assert_int_equal(c->conns[0].vips[1].family, 6);
    /* a copy is deep (VICI commands change copies) */
    struct kite_conf *d;
    assert_int_equal(conf_dup(c, &d), 0);
    assert_int_equal(d->n_pools, 6);
    assert_true(d->pools != c->pools);
    assert_int_equal(conf_pool_del(d, "c"), 0);
    assert_int_equal(conf_pool_find(d, "d"), 2);
    assert_int_equal(conf_pool_del(d, "c"), -1);
    conf_free(d);
    conf_free(c);
}

/* every attribute: its type and bytes, through a CP payload and back */
static void attributes(void **state)
{
    (void)state;
    char err[256];
    struct kite_conf *c = load("pools { v4 { addrs = 10.3.0.0/24\n dns = 10.2.0.53, fd00::53\n nbns = 10.2.0.137\n"
                               "  netmask = 255.255.255.0\n dhcp = 10.2.0.67\n subnet = 10.2.0.0/16\n"
                               "  split_include = 192.168.0.0/24, fd00:2::/64\n p_cscf = 10.2.0.9 }\n"
                               " v6 { addrs = fd00:3::/64 } }\n", err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_non_null(strstr(warnings, "test.conf:8: pool 'v4': attribute 'p_cscf' is not supported, ignored"));
    const struct conf_pool *p = &c->pools[0];
    static const struct { uint16_t type; const char *hex; } want[] = {
        { IKEV2_CFGA_INTERNAL_IP4_DNS, "0a020035" },
        { IKEV2_CFGA_INTERNAL_IP6_DNS, "fd000000000000000000000000000053" },
        { IKEV2_CFGA_INTERNAL_IP4_NBNS, "0a020089" },
        { IKEV2_CFGA_INTERNAL_IP4_NETMASK, "ffffff00" },
        { IKEV2_CFGA_INTERNAL_IP4_DHCP, "0a020043" },
        { IKEV2_CFGA_INTERNAL_IP4_SUBNET, "0a020000ffff0000" },
        { IKEV2_CFGA_INTERNAL_IP4_SUBNET, "c0a80000ffffff00" },
        { IKEV2_CFGA_INTERNAL_IP6_SUBNET, "fd00000200000000000000000000000040" },
    };
    assert_int_equal(p->n_attrs, 8);
    struct ike_cp_attr at[8];
    for (unsigned i = 0; i < 8; i++) {
        size_t n;
        uint8_t *v = hex_decode(want[i].hex, &n);
        assert_int_equal(p->attrs[i].type, want[i].type);
        assert_int_equal(p->attrs[i].len, n);
        assert_bytes_equal(p->attrs[i].value, v, n);
        free(v);
        at[i].type = p->attrs[i].type;
        at[i].value = span_of(p->attrs[i].value, p->attrs[i].len);
    }
    /* in a CFG_REPLY on the wire, and decoded back */
    static struct ike_chain ch;
    memset(&ch, 0, sizeof ch);
    ch.n = 1;
    ch.pld[0].type = IKEV2_PLD_CP;
    ch.pld[0].u.cp = (struct ike_cp){ .type = IKEV2_CFG_REPLY, .n = 8, .attrs = at };
    uint8_t out[512];
    struct wr w;
    wr_init(&w, out, sizeof out);
    assert_int_equal(ike_chain_encode(&ch, &w), 0);
    size_t n;
    uint8_t *head = hex_decode("00 00 0069 02 000000 0003 0004 0a020035 000a 0010", &n);
    assert_bytes_equal(out, head, n);
    free(head);
    struct diag d = { 0 };
    static struct ike_chain back;
    assert_int_equal(ike_chain_decode(span_of(out, w.len), IKEV2_PLD_CP, &back, &d), 0);
    assert_int_equal(back.pld[0].u.cp.type, IKEV2_CFG_REPLY);
    assert_int_equal(back.pld[0].u.cp.n, 8);
    for (unsigned i = 0; i < 8; i++) {
        assert_int_equal(back.pld[0].u.cp.attrs[i].type, at[i].type);
        assert_int_equal(back.pld[0].u.cp.attrs[i].value.n, at[i].value.n);
        assert_bytes_equal(back.pld[0].u.cp.attrs[i].value.p, at[i].value.p, at[i].value.n);
    }
    conf_free(c);
}

/* the client's CFG_REQUEST: an empty INTERNAL_IP4_ADDRESS / IP6_ADDRESS for
 * 0.0.0.0 / ::, the address itself when one is wished for, DNS asked too */
static void request(void **state)
{
    (void)state;
    struct ike_conn_cfg c = { .n_vips = 2 };
    c.vips[0].family = 4;
    c.vips[1] = (struct ike_addr){ .family = 6, .ip = { 0xfd, 0, [15] = 7 } };
    struct ike_pld p;
    struct ike_cp_out o = { 0 };
    int rc;
    assert_true(ike_cp_request(&c, &p, &o, &rc));
    assert_int_equal(rc, 0);
    static struct ike_chain ch;
    memset(&ch, 0, sizeof ch);
    ch.n = 1;
    ch.pld[0] = p;
    uint8_t out[256];
    struct wr w;
    wr_init(&w, out, sizeof out);
    assert_int_equal(ike_chain_encode(&ch, &w), 0);
    size_t n;
    uint8_t *want = hex_decode("00 00 0029 01 000000  0001 0000  0003 0000"
                               "  0008 0011 fd000000000000000000000000000007 80  000a 0000", &n);
    assert_int_equal(w.len, n);
    assert_bytes_equal(out, want, n);
    free(want);
    ike_cp_out_free(&o);
    struct ike_conn_cfg none = { 0 };
    assert_false(ike_cp_request(&none, &p, &o, &rc));
}

static void errors(void **state)
{
    (void)state;
    static const struct { const char *pools, *msg; } bad[] = {
        { "pools { a { addrs = 10.3.0.0/33 } }\n", "test.conf:1: pool 'a': addrs = 10.3.0.0/33: expected a subnet" },
        { "pools { a { addrs = 10.3.0.9-10.3.0.1 } }\n", "pool 'a': addrs = 10.3.0.9-10.3.0.1" },
        { "pools { a { addrs = 10.3.0.1-fd00::1 } }\n", "pool 'a': addrs" },
        { "pools { a { addrs = dhcp } }\n", "dhcp, radius and %config pools are not supported" },
        { "pools { a { dns = 10.2.0.0/24 } }\n", "pool 'a': dns = 10.2.0.0/24: expected IP addresses" },
        { "pools { a { nbns = fd00::1 } }\n", "nbns = fd00::1: expected IPv4 addresses" },
        { "pools { a { subnet = nonsense } }\n", "subnet = nonsense: expected subnets" },
        { "pools { a = 1 }\n", "test.conf:1: expected a pool section, not 'a = ...'" },
    };
    char err[256];
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_null(load(bad[i].pools, err, sizeof err));
        if (!strstr(err, bad[i].msg))
            fail_msg("%s: got '%s', want '%s'", bad[i].pools, err, bad[i].msg);
    }
    struct kite_conf *c = NULL;
    static const char *conns[] = {
        "connections { x { vips = 0.0.0.0, 1.2.3.4\n children { n { local_ts = 10.0.0.0/8\n remote_ts = 10.0.0.0/8 } } } }",
        "connections { x { vips = banana\n children { n { local_ts = 10.0.0.0/8\n remote_ts = 10.0.0.0/8 } } } }",
        "connections { x { pools = a,b,c,d,e\n children { n { local_ts = 10.0.0.0/8\n remote_ts = 10.0.0.0/8 } } } }",
    };
    static const char *why[] = { "one address per family", "expected at most one IPv4 and one IPv6 address",
                                 "at most 4 pool names" };
    for (unsigned i = 0; i < 3; i++) {
        assert_int_not_equal(conf_load_string(conns[i], "x.conf", &c, err, sizeof err, NULL, NULL), 0);
        if (!strstr(err, why[i]))
            fail_msg("got '%s', want '%s'", err, why[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(addrs), cmocka_unit_test(attributes), cmocka_unit_test(request), cmocka_unit_test(errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
