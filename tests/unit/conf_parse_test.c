/* conf_parse: swanctl.conf as strongSwan's users write it (issue 14):
 * section templates, include beside templates, version, authentication
 * rounds, DN identities, the forms of local_addrs/remote_addrs */
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "conf/conf.h"
#include "conf/settings.h"
#include "cred/id.h"

static char warnings[4096];
static void on_warn(void *ctx, const char *msg)
{
    (void)ctx;
    strncat(warnings, msg, sizeof warnings - strlen(warnings) - 2);
    strcat(warnings, "\n");
}

static struct kite_conf *load(const char *text, char *err, size_t cap)
{
    struct kite_conf *c = NULL;
    warnings[0] = 0;
    err[0] = 0;
    conf_load_string(text, "swanctl.conf", &c, err, cap, on_warn, NULL);
    return c;
}

#define CHILD "children { net { local_ts = 10.1.0.0/16\n remote_ts = 10.2.0.0/16 } }\n"
#define SECRET "secrets { ike { secret = abcdefgh } }\n"

/* strongSwan's start-action-start scenario's shape: a top-level template
 * section, connections that add their ids and children */
static void templates_from_the_top(void **s)
{
    (void)s;
    char err[512];
    struct kite_conf *c = load("base-conn {\n local_addrs = 192.168.0.2\n remote_addrs = 192.168.0.1\n"
                               " local { auth = psk }\n remote { auth = psk\n id = moon-base }\n}\n"
                               "connections {\n one : base-conn {\n  local { id = sun-one }\n  " CHILD " }\n"
                               " two : base-conn {\n  remote_addrs = 192.168.0.9\n  remote { id = moon-two }\n  " CHILD
                               " }\n}\n" SECRET,
                               err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_int_equal(c->n_conns, 2);
    const struct conf_conn *one = &c->conns[0], *two = &c->conns[1];
    assert_int_equal(one->local.ip[3], 2);          /* from the template */
    assert_int_equal(one->remote.ip[3], 1);
    assert_int_equal(one->local_id.len, 7);          /* its own local.id ... */
    assert_memory_equal(one->local_id.data, "sun-one", 7);
    assert_memory_equal(one->remote_id.data, "moon-base", 9); /* ... and the template's remote.id */
    assert_int_equal(two->remote.ip[3], 9);          /* its own value wins */
    assert_memory_equal(two->remote_id.data, "moon-two", 8);
    /* the template section is read through them: no warning about it */
    assert_null(strstr(warnings, "base-conn"));
    conf_free(c);
}

/* "a : b, c": b's keys first, then c's; a template of a child by its path
 * from the top; a template's own template */
static void templates_several_and_nested(void **s)
{
    (void)s;
    struct set_tree t;
    char err[256];
    assert_int_equal(set_parse_string(&t, "b { x = b\n y = b }\nc : d { y = c\n z = c }\nd { w = d\n z = d }\n"
                                          "a : b, c { x = a\n sub { k = a } }\nb { sub { k = b\n j = b } }\n",
                                      "swanctl.conf", err, sizeof err), 0);
    struct set_node *a = set_find(&t.root, "a");
    assert_string_equal(set_find(a, "x")->value, "a"); /* its own */
    assert_string_equal(set_find(a, "y")->value, "b"); /* b before c */
    assert_string_equal(set_find(a, "z")->value, "c"); /* c before c's template d */
    assert_string_equal(set_find(a, "w")->value, "d");
    /* a subsection merged: its own key, then the template's (b was extended
     * after a was written: templates are resolved on the whole tree) */
    assert_string_equal(set_find(set_find(a, "sub"), "k")->value, "a");
    assert_string_equal(set_find(set_find(a, "sub"), "j")->value, "b");
    assert_int_equal(set_find(a, "y")->line, 2); /* messages point to where the value is written */
    set_free(&t);

    char err2[512];
    struct kite_conf *c = load("connections { gw {\n local_addrs = 192.0.2.1\n remote_addrs = 192.0.2.2\n"
                               " local { auth = psk }\n remote { auth = psk }\n"
                               " children {\n  net-1 { local_ts = 10.1.0.0/16\n remote_ts = 10.2.0.0/16\n"
                               "   esp_proposals = aes128gcm16 }\n"
                               "  net-2 : connections.gw.children.net-1 { remote_ts = 10.3.0.0/16 }\n } } }\n" SECRET,
                               err2, sizeof err2);
    if (!c)
        fail_msg("%s", err2);
    assert_int_equal(c->conns[0].n_children, 2);
    assert_int_equal(c->conns[0].child[1].local_ts[0].lo[1], 1);  /* from net-1 */
    assert_int_equal(c->conns[0].child[1].remote_ts[0].lo[1], 3); /* its own */
    assert_int_equal(c->conns[0].child[1].n_esp, c->conns[0].child[0].n_esp);
    conf_free(c);
}

static void templates_errors(void **s)
{
    (void)s;
    struct set_tree t;
    char err[256];
    assert_int_equal(set_parse_string(&t, "connections {\n a : connections.nope {\n x = 1 }\n}\n", "swanctl.conf", err,
                                      sizeof err), -1);
    assert_string_equal(err, "swanctl.conf:2: template 'connections.nope' of section 'a' not found (templates are "
                             "named by their path from the top, such as connections.base)");
    set_free(&t);
    assert_int_equal(set_parse_string(&t, "a : {\n}\n", "swanctl.conf", err, sizeof err), -1);
    assert_string_equal(err, "swanctl.conf:1: expected the name of a template section after 'a :'");
    set_free(&t);
    assert_int_equal(set_parse_string(&t, "a : b = 1\n", "swanctl.conf", err, sizeof err), -1);
    assert_string_equal(err, "swanctl.conf:1: expected '{' after the templates of section 'a'");
    set_free(&t);
    /* a loop of templates ends (as strongSwan's lookups do): each has both */
    assert_int_equal(set_parse_string(&t, "a : b { x = a }\nb : a { y = b }\n", "swanctl.conf", err, sizeof err), 0);
    assert_string_equal(set_find(set_find(&t.root, "a"), "y")->value, "b");
    assert_string_equal(set_find(set_find(&t.root, "b"), "x")->value, "a");
    set_free(&t);
    /* a section that is its own template's descendant stops, and says so */
    assert_int_equal(set_parse_string(&t, "a { b : a { } }\n", "swanctl.conf", err, sizeof err), -1);
    assert_non_null(strstr(err, "nests too deeply"));
    set_free(&t);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* include inside a section, relative to the including file (an included
 * file's own include from its directory), and a template across files */
static void include_with_templates(void **s)
{
    (void)s;
    char dir[] = "/tmp/kite-confparse-XXXXXX", path[512], err[512];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/conf.d", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    write_file(dir, "swanctl.conf", "include tpl/base.inc\nconnections {\n include conf.d/*.conf\n}\n"
                                    "include secrets.conf\n");
    write_file(dir, "secrets.conf", SECRET);
    snprintf(path, sizeof path, "%s/tpl", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    write_file(dir, "tpl/base.inc", "base {\n local_addrs = 192.0.2.1\n include auth.inc\n}\n");
    write_file(dir, "tpl/auth.inc", "local { auth = psk }\nremote { auth = psk\n id = peer.example }\n");
    write_file(dir, "conf.d/gw.conf", "gw : base {\n remote_addrs = 192.0.2.2\n " CHILD "}\n");
    snprintf(path, sizeof path, "%s/swanctl.conf", dir);
    struct kite_conf *c = NULL;
    warnings[0] = 0;
    int rc = conf_load_file(path, &c, err, sizeof err, on_warn, NULL);
    if (rc)
        fail_msg("%s", err);
    assert_int_equal(c->n_conns, 1);
    assert_string_equal(c->conns[0].name, "gw");
    assert_int_equal(c->conns[0].local.ip[3], 1);                        /* tpl/base.inc */
    assert_memory_equal(c->conns[0].remote_id.data, "peer.example", 12); /* tpl/auth.inc, beside it */
    assert_int_equal(c->n_secrets, 1);
    conf_free(c);
    const char *files[] = { "swanctl.conf", "secrets.conf", "tpl/base.inc", "tpl/auth.inc", "conf.d/gw.conf",
                            "conf.d", "tpl" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        remove(path);
    }
    assert_int_equal(rmdir(dir), 0);
}

static void version_ikev1_refused(void **s)
{
    (void)s;
    char err[512];
    const char *v[] = { "0", "2", "1" };
    for (int i = 0; i < 3; i++) {
        char text[1024];
        snprintf(text, sizeof text, "connections { lab {\n version = %s\n remote_addrs = 192.0.2.2\n"
                 " local { auth = psk }\n remote { auth = psk }\n " CHILD "} }\n" SECRET, v[i]);
        struct kite_conf *c = load(text, err, sizeof err);
        if (i < 2 && !c)
            fail_msg("version = %s: %s", v[i], err);
        conf_free(c);
        if (i == 2) {
            assert_null(c);
            assert_string_equal(err, "swanctl.conf:2: connection 'lab': version = 1 refused: IKEv1 is not supported "
                                     "(RFC 9395 deprecates it)");
        }
    }
}

/* RFC 4739: one round named local-x is local; two rounds are refused, never
 * one of them dropped (it was: local-2 warned about and ignored) */
static void auth_rounds(void **s)
{
    (void)s;
    char err[512];
    struct kite_conf *c = load("connections { lab {\n remote_addrs = 192.0.2.2\n local-psk { auth = psk\n"
                               " id = me@example.org }\n remote-1 { auth = psk\n id = peer.example.org }\n " CHILD
                               "} }\n" SECRET,
                               err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_int_equal(c->conns[0].local_id.type, CRED_ID_RFC822);
    assert_memory_equal(c->conns[0].remote_id.data, "peer.example.org", 16);
    assert_string_equal(warnings, "");
    conf_free(c);
    assert_null(load("connections { lab {\n remote_addrs = 192.0.2.2\n local { auth = pubkey\n certs = a.pem }\n"
                     " local-2 { auth = psk }\n remote { auth = pubkey }\n " CHILD "} }\n",
                     err, sizeof err));
    assert_string_equal(err, "swanctl.conf:5: connection 'lab': authentication round 'local-2' refused: multiple "
                             "authentication rounds (RFC 4739: local and local-2) are not implemented; one round may "
                             "be named local or local-x");
    assert_null(load("connections { lab {\n remote_addrs = 192.0.2.2\n local { auth = psk }\n remote { auth = psk }\n"
                     " remote-eap { auth = eap-md5 }\n " CHILD "} }\n",
                     err, sizeof err));
    assert_non_null(strstr(err, "swanctl.conf:5: connection 'lab': authentication round 'remote-eap' refused"));
}

/* DN identities are DNs (C=, O=, CN=), a CN=* pattern stays a wildcard */
static void dn_identities(void **s)
{
    (void)s;
    char err[512];
    struct kite_conf *c = load("connections { lab {\n remote_addrs = 192.0.2.2\n"
                               " local { auth = psk\n id = \"C=CH, O=strongSwan Project, CN=moon.strongswan.org\" }\n"
                               " remote { auth = psk\n id = C=CH, O=strongSwan Project, OU=Research, CN=* }\n " CHILD
                               "} }\n" SECRET,
                               err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    const struct conf_conn *k = &c->conns[0];
    assert_int_equal(k->local_id.type, CRED_ID_DN);
    assert_int_equal(k->remote_id.type, CRED_ID_DN);
    char text[256];
    cred_id_format(k->local_id.type, span_of(k->local_id.data, k->local_id.len), text, sizeof text);
    assert_string_equal(text, "C=CH, O=strongSwan Project, CN=moon.strongswan.org");
    assert_true(cred_id_is_wildcard(k->remote_id.type, span_of(k->remote_id.data, k->remote_id.len)));
    conf_free(c);
}

static struct kite_conf *with_addrs(const char *local, const char *remote, char *err, size_t cap)
{
    char text[1024];
    snprintf(text, sizeof text, "connections { lab {\n local_addrs = %s\n remote_addrs = %s\n"
             " local { auth = psk }\n remote { auth = psk }\n " CHILD "} }\n" SECRET, local, remote);
    return load(text, err, cap);
}

static void address_forms(void **s)
{
    (void)s;
    char err[512];
    /* a list: the first is where kite initiates to, a responder takes any
     * (before, the rest of the list was dropped without a word) */
    struct kite_conf *c = with_addrs("%any", "192.0.2.1, 10.0.0.0/8, 192.168.0.5-192.168.0.9", err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    const struct conf_conn *k = &c->conns[0];
    assert_int_equal(k->remote.family, 4);
    assert_int_equal(k->remote.ip[3], 1);
    assert_int_equal(k->n_remote_ranges, 3);
    uint8_t in[4] = { 10, 9, 8, 7 }, range[4] = { 192, 168, 0, 7 }, out[4] = { 192, 168, 0, 10 };
    assert_true(conf_range_match(k->remote_ranges, k->n_remote_ranges, 4, in));
    assert_true(conf_range_match(k->remote_ranges, k->n_remote_ranges, 4, range));
    assert_false(conf_range_match(k->remote_ranges, k->n_remote_ranges, 4, out));
    conf_free(c);
    /* one address alone, or %any in the list: as before (no ranges) */
    c = with_addrs("192.0.2.2", "192.0.2.1", err, sizeof err);
    assert_non_null(c);
    assert_int_equal(c->conns[0].n_remote_ranges, 0);
    assert_int_equal(c->conns[0].local.ip[3], 2);
    conf_free(c);
    c = with_addrs("%any4", "%any, 192.0.2.1", err, sizeof err);
    assert_non_null(c);
    assert_int_equal(c->conns[0].n_remote_ranges, 0);
    assert_int_equal(c->conns[0].remote.ip[3], 1);
    conf_free(c);
    /* %any6: IPv6 peers only */
    c = with_addrs("%any", "%any6", err, sizeof err);
    assert_non_null(c);
    assert_int_equal(c->conns[0].n_remote_ranges, 1);
    uint8_t v6[16] = { 0xfe, 0xc0, [15] = 1 };
    assert_true(conf_range_match(c->conns[0].remote_ranges, 1, 6, v6));
    assert_false(conf_range_match(c->conns[0].remote_ranges, 1, 4, in));
    conf_free(c);
    /* a DNS name is kept as written, the address left %any */
    c = with_addrs("%any", "moon.strongswan.org", err, sizeof err);
    assert_non_null(c);
    assert_string_equal(c->conns[0].remote_host, "moon.strongswan.org");
    assert_int_equal(c->conns[0].remote.family, 0);
    conf_free(c);
    c = with_addrs("sun-gw.example", "192.0.2.1", err, sizeof err);
    assert_non_null(c);
    assert_string_equal(c->conns[0].local_host, "sun-gw.example");
    conf_free(c);
    /* refused, with why */
    assert_null(with_addrs("%any", "10.0.0.9-10.0.0.1", err, sizeof err));
    assert_string_equal(err, "swanctl.conf:3: invalid range '10.0.0.9-10.0.0.1'");
    assert_null(with_addrs("10.0.0.0/8", "%any", err, sizeof err));
    assert_string_equal(err, "swanctl.conf:2: '10.0.0.0/8': subnets and ranges are for remote_addrs (a responder's "
                             "peers)");
    assert_null(with_addrs("192.0.2.1, 192.0.2.2", "%any", err, sizeof err));
    assert_string_equal(err, "swanctl.conf:2: more than one local address in local_addrs is not supported yet");
    assert_null(with_addrs("%any", "moon.example, 192.0.2.1", err, sizeof err));
    assert_non_null(strstr(err, "a DNS name is supported as the only address of remote_addrs"));
    assert_null(with_addrs("%any", "300.1.1.1", err, sizeof err));
    assert_non_null(strstr(err, "invalid address '300.1.1.1'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(templates_from_the_top),
        cmocka_unit_test(templates_several_and_nested),
        cmocka_unit_test(templates_errors),
        cmocka_unit_test(include_with_templates),
        cmocka_unit_test(version_ikev1_refused),
        cmocka_unit_test(auth_rounds),
        cmocka_unit_test(dn_identities),
        cmocka_unit_test(address_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
