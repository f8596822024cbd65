/* conf_life: connection lifetime, reauthentication and uniqueness keys and
 * the Child SA keys of strongSwan's kernel interface (issue 14): values and
 * strongSwan's defaults, and each refusal with its file:line and reason */
#include "testutil.h"
#include <stdio.h>
#include <string.h>
#include "conf/conf.h"

static char warnings[4096];
static void on_warn(void *ctx, const char *msg)
{
    (void)ctx;
    strncat(warnings, msg, sizeof warnings - strlen(warnings) - 2);
    strcat(warnings, "\n");
}

/* a connection with CONN lines in its section and CHILD lines in its child */
static struct kite_conf *load(const char *conn, const char *child, char *err, size_t cap)
{
    char text[2048];
    snprintf(text, sizeof text,
             "connections {\n"
             "  lab {\n"
             "    remote_addrs = 192.0.2.1\n"
             "%s\n"
             "    children {\n"
             "      net {\n"
             "        local_ts = 10.2.0.0/24\n"
             "        remote_ts = 10.1.0.0/24\n"
             "%s\n"
             "      }\n"
             "    }\n"
             "  }\n"
             "}\n",
             conn, child);
    struct kite_conf *c = NULL;
    warnings[0] = 0;
    err[0] = 0;
    conf_load_string(text, "swanctl.conf", &c, err, cap, on_warn, NULL);
    return c;
}

static struct kite_conf *ok(const char *conn, const char *child)
{
    char err[512];
    struct kite_conf *c = load(conn, child, err, sizeof err);
    if (!c)
        fail_msg("refused: %s", err);
    return c;
}

/* refused, the error naming the line and containing `why` */
static void refused(const char *conn, const char *child, const char *why)
{
    char err[512];
    struct kite_conf *c = load(conn, child, err, sizeof err);
    if (c)
        fail_msg("accepted: %s%s", conn, child);
    if (!strstr(err, why) || strncmp(err, "swanctl.conf:", 13))
        fail_msg("error '%s' lacks '%s'", err, why);
}

static void defaults(void **s)
{
    (void)s;
    struct kite_conf *c = ok("", "");
    const struct conf_conn *k = &c->conns[0];
    /* strongSwan: rekey 4h, no reauth, over_time 10% of the longer, rand_time = over_time */
    assert_int_equal(k->rekey_time, 14400);
    assert_int_equal(k->reauth_time, 0);
    assert_int_equal(k->over_time, 1440);
    assert_int_equal(k->rand_time, 1440);
    assert_int_equal(k->unique, CONF_UNIQUE_NO);
    assert_int_equal(k->child[0].close_action, CONF_CLOSE_NONE);
    /* children: rekey 1h, life +10%, rand = life - rekey */
    assert_int_equal(k->child[0].rekey_time, 3600);
    assert_int_equal(k->child[0].life_time, 3960);
    assert_int_equal(k->child[0].rand_time, 360);
    assert_string_equal(warnings, "");
    conf_free(c);
}

static void reauth_keys(void **s)
{
    (void)s;
    /* reauth_time alone turns rekeying off (as strongSwan's vici_config.c does) */
    struct kite_conf *c = ok("    reauth_time = 1h\n", "");
    assert_int_equal(c->conns[0].reauth_time, 3600);
    assert_int_equal(c->conns[0].rekey_time, 0);
    assert_int_equal(c->conns[0].over_time, 360);
    assert_int_equal(c->conns[0].rand_time, 360);
    conf_free(c);
    /* both: over_time from the longer, rand_time at most half the shorter */
    c = ok("    reauth_time = 600\n    rekey_time = 1h\n", "");
    assert_int_equal(c->conns[0].rekey_time, 3600);
    assert_int_equal(c->conns[0].over_time, 360);
    assert_int_equal(c->conns[0].rand_time, 300);
    conf_free(c);
    c = ok("    reauth_time = 12s\n    rand_time = 1s\n    over_time = 5m\n", "");
    assert_int_equal(c->conns[0].reauth_time, 12);
    assert_int_equal(c->conns[0].rand_time, 1);
    assert_int_equal(c->conns[0].over_time, 300);
    conf_free(c);
    refused("    reauth_time = soon\n", "", "reauth_time: invalid time 'soon'");
    refused("    over_time = -1\n", "", "over_time: invalid time");
}

static void unique_values(void **s)
{
    (void)s;
    static const char *const v[] = { "no", "never", "keep", "replace" };
    for (int i = 0; i < 4; i++) {
        char line[64];
        snprintf(line, sizeof line, "    unique = %s\n", v[i]);
        struct kite_conf *c = ok(line, "");
        assert_int_equal(c->conns[0].unique, i);
        conf_free(c);
    }
    refused("    unique = yes\n", "", "unique must be no, never, keep or replace, not 'yes'");
}

static void dpd_timeout_warns(void **s)
{
    (void)s;
    struct kite_conf *c = ok("    dpd_timeout = 30s\n", "");
    assert_non_null(strstr(warnings, "swanctl.conf:4: dpd_timeout has no effect in connection 'lab': it is "
                                     "IKEv1-only"));
    conf_free(c);
    refused("    dpd_timeout = x\n", "", "dpd_timeout: invalid time 'x'");
}

static void close_action_values(void **s)
{
    (void)s;
    struct kite_conf *c = ok("", "        close_action = start\n");
    assert_int_equal(c->conns[0].child[0].close_action, CONF_CLOSE_START);
    conf_free(c);
    c = ok("", "        close_action = clear\n");
    assert_int_equal(c->conns[0].child[0].close_action, CONF_CLOSE_CLEAR);
    conf_free(c);
    refused("", "        close_action = trap\n", "close_action = trap refused: trap policies are not implemented yet");
    refused("", "        close_action = later\n", "close_action must be none, clear, trap or start, not 'later'");
}

/* strongSwan: a life_time without rekey_time sets it to life / 1.1 */
static void child_lifetimes(void **s)
{
    (void)s;
    struct kite_conf *c = ok("", "        life_time = 30m\n        life_bytes = 1100\n");
    const struct conf_child *ch = &c->conns[0].child[0];
    assert_int_equal(ch->life_time, 1800);
    assert_int_equal(ch->rekey_time, 1636);
    assert_int_equal(ch->rand_time, 164);
    assert_int_equal(ch->life_bytes, 1100);
    assert_int_equal(ch->rekey_bytes, 1000);
    conf_free(c);
}

static void kernel_keys_refused(void **s)
{
    (void)s;
    static const char *const keys[] = { "mark_in = 42", "mark_out = 0x10/0xff", "set_mark_in = 1", "set_mark_out = 2",
                                        "if_id_in = 7", "if_id_out = %unique", "interface = eth0" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char line[64];
        snprintf(line, sizeof line, "        %s\n", keys[i]);
        refused("", line, "needs the kernel backend (not implemented)");
    }
    refused("    if_id_in = 3\n", "", "if_id_in = 3 refused: needs the kernel backend");
    refused("", "        hw_offload = yes\n", "hw_offload = yes refused: needs the kernel backend (not implemented)");
    refused("", "        hw_offload = packet\n", "hw_offload = packet refused: needs the kernel backend");
    refused("", "        mark_in_sa = yes\n", "mark_in_sa = yes refused: needs the kernel backend");
    /* their "off" values are taken */
    struct kite_conf *c = ok("    if_id_in = 0\n", "        mark_in = 0\n        hw_offload = auto\n"
                                                 "        hw_offload = no\n");
    assert_string_equal(warnings, "");
    conf_free(c);
}

static void other_child_keys(void **s)
{
    (void)s;
    refused("", "        mode = pass\n", "mode = pass refused: shunt policies are not implemented");
    refused("", "        mode = drop\n", "mode = drop refused: shunt policies are not implemented");
    refused("", "        mode = beet\n", "mode = beet refused: BEET mode is not implemented");
    refused("", "        priority = 100\n", "priority = 100 refused: policy priorities");
    refused("", "        sha256_96 = yes\n", "sha256_96 = yes refused: HMAC-SHA-256 truncated to 96 bits");
    refused("", "        ipcomp = yes\n", "ipcomp = yes refused: IPComp (RFC 3173) is not implemented");
    refused("", "        policies = no\n", "policies = no refused: SAs without policies");
    refused("", "        label = system_u:object_r:ipsec_spd_t:s0\n", "security labels are not implemented");
    refused("", "        copy_df = maybe\n", "copy_df = maybe refused: expected yes or no");
    refused("", "        copy_dscp = both\n", "copy_dscp = both refused: expected no, in, out or yes");
    struct kite_conf *c = ok("", "        priority = 0\n        sha256_96 = no\n        ipcomp = no\n"
                                 "        policies = yes\n");
    assert_string_equal(warnings, "");
    conf_free(c);
}

static void harmless_keys_warn(void **s)
{
    (void)s;
    struct kite_conf *c = ok("", "        copy_df = no\n        copy_ecn = no\n        copy_dscp = yes\n"
                                 "        inactivity = 5m\n        policies_fwd_out = yes\n");
    assert_non_null(strstr(warnings, "copy_df = no ignored: no effect: the kernel's socket builds the outer IP header"));
    assert_non_null(strstr(warnings, "copy_ecn = no ignored: no effect"));
    assert_non_null(strstr(warnings, "copy_dscp = yes ignored: no effect"));
    assert_non_null(strstr(warnings, "inactivity has no effect in child 'net' (not implemented)"));
    assert_non_null(strstr(warnings, "policies_fwd_out has no effect in child 'net'"));
    assert_null(strstr(warnings, "unknown"));
    conf_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),           cmocka_unit_test(reauth_keys),
        cmocka_unit_test(unique_values),      cmocka_unit_test(dpd_timeout_warns),
        cmocka_unit_test(close_action_values), cmocka_unit_test(child_lifetimes),
        cmocka_unit_test(kernel_keys_refused), cmocka_unit_test(other_child_keys),
        cmocka_unit_test(harmless_keys_warn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
