/* Traffic selector forms of swanctl.conf (issue 14): `dynamic` (also the
 * default when local_ts/remote_ts are absent), dynamic[proto/port],
 * protocol and port names from /etc/protocols and /etc/services
 * ([tcp/http], [udp/domain], [gre]), port and address ranges; forms kite
 * does not have (%opaque, a dynamic with a prefix) are refused, never read
 * as something wider. */
#include "testutil.h"
#include <stdio.h>
#include <string.h>
#include "conf/conf.h"

static void dynamic_forms(void **s)
{
    (void)s;
    struct conf_ts ts;
    assert_int_equal(conf_parse_ts("dynamic", &ts), 0);
    assert_true(ts.dynamic);
    assert_int_equal(ts.family, 0);
    assert_int_equal(ts.ip_proto, 0);
    assert_int_equal(ts.port_lo, 0);
    assert_int_equal(ts.port_hi, 0xffff);
    assert_int_equal(conf_parse_ts("dynamic[tcp/http]", &ts), 0);
    assert_true(ts.dynamic);
    assert_int_equal(ts.ip_proto, 6);
    assert_int_equal(ts.port_lo, 80);
    assert_int_equal(ts.port_hi, 80);
    assert_int_equal(conf_parse_ts("dynamic[udp/1000-2000]", &ts), 0);
    assert_int_equal(ts.ip_proto, 17);
    assert_int_equal(ts.port_lo, 1000);
    assert_int_equal(ts.port_hi, 2000);
    assert_int_equal(conf_parse_ts("dynamic[/53]", &ts), 0);
    assert_int_equal(ts.ip_proto, 0);
    assert_int_equal(ts.port_lo, 53);
    static const char *const bad[] = { "dynamic/32", "dynamic-10.0.0.1", "dynamics", "dynamic[tcp/%opaque]",
                                       "10.1.0.0/24[tcp/nosuchservice]", "10.1.0.0/24[nosuchproto]",
                                       "dynamic[tcp/http-]" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (conf_parse_ts(bad[i], &ts) == 0)
            fail_msg("'%s' accepted", bad[i]);
}

static void names_and_ranges(void **s)
{
    (void)s;
    struct conf_ts ts;
    assert_int_equal(conf_parse_ts("10.1.0.0/16[udp/domain]", &ts), 0);
    assert_int_equal(ts.ip_proto, 17);
    assert_int_equal(ts.port_lo, 53);
    assert_int_equal(ts.port_hi, 53);
    assert_int_equal(conf_parse_ts("192.0.2.7[gre]", &ts), 0); /* /etc/protocols */
    assert_int_equal(ts.ip_proto, 47);
    assert_int_equal(ts.family, 4);
    assert_int_equal(ts.lo[3], 7);
    assert_int_equal(ts.hi[3], 7);
    assert_int_equal(conf_parse_ts("10.0.0.1-10.0.0.9[tcp/ssh]", &ts), 0);
    assert_int_equal(ts.lo[3], 1);
    assert_int_equal(ts.hi[3], 9);
    assert_int_equal(ts.port_lo, 22);
    assert_int_equal(conf_parse_ts("fec1::1-fec1::ff[tcp/1000-2000]", &ts), 0);
    assert_int_equal(ts.family, 6);
    assert_int_equal(ts.hi[15], 0xff);
    assert_int_equal(ts.port_lo, 1000);
    assert_int_equal(ts.port_hi, 2000);
    assert_false(ts.dynamic);
}

static struct kite_conf *load(const char *text, char *err, size_t cap)
{
    struct kite_conf *c = NULL;
    err[0] = 0;
    conf_load_string(text, "swanctl.conf", &c, err, cap, NULL, NULL);
    return c;
}

static void absent_means_dynamic(void **s)
{
    (void)s;
    char err[512];
    struct kite_conf *c = load("connections { lab { remote_addrs = 192.0.2.2\n children { host { } "
                               "web { local_ts = dynamic[tcp/http], 10.1.0.0/24 } } } }\n", err, sizeof err);
    assert_non_null(c);
    const struct conf_child *h = &c->conns[0].child[0], *w = &c->conns[0].child[1];
    assert_int_equal(h->n_local_ts, 1);
    assert_int_equal(h->n_remote_ts, 1);
    assert_true(h->local_ts[0].dynamic);
    assert_true(h->remote_ts[0].dynamic);
    assert_int_equal(h->remote_ts[0].ip_proto, 0);
    assert_int_equal(w->n_local_ts, 2);
    assert_true(w->local_ts[0].dynamic);
    assert_int_equal(w->local_ts[0].port_lo, 80);
    assert_false(w->local_ts[1].dynamic);
    assert_true(w->remote_ts[0].dynamic);
    conf_free(c);
    assert_null(load("connections { lab { children { net {\n local_ts = dynamic[tcp/%opaque]\n } } } }\n", err,
                     sizeof err));
    assert_non_null(strstr(err, "swanctl.conf:2: invalid traffic selector 'dynamic[tcp/%opaque]'"));
    assert_non_null(strstr(err, "%opaque ports are not supported"));
}

/* remote_addrs = a DNS name: kept for the daemon to resolve, the address %any
 * meanwhile; something that is neither an address nor a name is refused */
static void remote_dns_name(void **s)
{
    (void)s;
    char err[512];
    struct kite_conf *c = load("connections { lab { remote_addrs = moon.strongswan.org\n children { h { } } } }\n", err,
                               sizeof err);
    assert_non_null(c);
    assert_string_equal(c->conns[0].remote_host, "moon.strongswan.org");
    assert_int_equal(c->conns[0].remote.family, 0);
    conf_free(c);
    c = load("connections { lab { remote_addrs = 192.0.2.2\n children { h { } } } }\n", err, sizeof err);
    assert_non_null(c);
    assert_string_equal(c->conns[0].remote_host, "");
    assert_int_equal(c->conns[0].remote.family, 4);
    conf_free(c);
    assert_null(load("connections { lab { remote_addrs = moon_strongswan!org\n children { h { } } } }\n", err,
                     sizeof err));
    assert_non_null(strstr(err, "swanctl.conf:1: invalid address 'moon_strongswan!org' (expected an IP address, "
                                "%any, %any4, %any6, a DNS name, a subnet or a range)"));
    assert_null(load("connections { lab { remote_addrs = 192.0.2.300\n children { h { } } } }\n", err, sizeof err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dynamic_forms),
        cmocka_unit_test(names_and_ranges),
        cmocka_unit_test(absent_means_dynamic),
        cmocka_unit_test(remote_dns_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
