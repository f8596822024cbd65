/* The reconfiguration pieces below the VICI commands (ctl/vici_conn.c,
 * conf/conf.c): the load-conn request the real swanctl 5.9.8 sent
 * (tests/vectors/vici_req_load-conn.bin) read as a connection by the same
 * parser as a file; a bad value refused naming its key path; binary values
 * refused; the running configuration copied and changed piece by piece
 * (connections and named secrets put, replaced, deleted) without touching
 * the original. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "conf/conf.h"
#include "conf/settings.h"
#include "ctl/vici_int.h"

static struct span captured_msg(uint8_t **raw)
{
    size_t n;
    struct vici_packet p;
    *raw = (uint8_t *)read_source_file("tests/vectors/vici_req_load-conn.bin", &n);
    assert_int_equal(vici_packet_decode(span_of(*raw + 4, n - 4), &p), 0);
    return p.msg;
}

static void captured_load_conn_parses(void **st)
{
    (void)st;
    uint8_t *raw;
    struct span msg = captured_msg(&raw);
    struct set_tree t;
    struct conf_conn *c = calloc(1, sizeof *c);
    char err[300];
    memset(&t, 0, sizeof t);
    assert_int_equal(vici_conn_tree(msg, "load-conn", &t, err, sizeof err), 0);
    struct set_node *net = set_find(set_find(set_find(t.root.child, "children"), "net"), "remote_ts");
    assert_string_equal(net->value, "10.1.0.0/16,10.2.0.0/16"); /* the list's items, comma-joined */
    assert_string_equal(net->file, "load-conn home.children.net.remote_ts");
    /* swanctl's start_action = trap: refused (no trap policies), naming the key */
    assert_int_equal(conf_parse_conn_node(t.root.child, c, err, sizeof err, NULL, NULL), -1);
    assert_string_equal(err, "load-conn home.children.net.start_action: connection 'home' child 'net': start_action = "
                             "trap refused: trap policies (start_action = trap) are not implemented yet");
    conf_conn_free(c); /* what the refused parse allocated */
    assert_non_null(set_add(&t, set_find(set_find(t.root.child, "children"), "net"), "start_action", "none", "x"));
    /* local_ts absent: strongSwan's default, dynamic (the IKE SA's own address) */
    assert_int_equal(conf_parse_conn_node(t.root.child, c, err, sizeof err, NULL, NULL), 0);
    assert_int_equal(c->child[0].n_local_ts, 1);
    assert_true(c->child[0].local_ts[0].dynamic);
    assert_int_equal(c->child[0].local_ts[0].family, 0);
    /* with local_ts given, as a file would, the rest of it reads as swanctl meant */
    conf_conn_free(c);
    assert_non_null(set_add(&t, set_find(set_find(t.root.child, "children"), "net"), "local_ts", "10.9.0.0/16", "x"));
    assert_int_equal(conf_parse_conn_node(t.root.child, c, err, sizeof err, NULL, NULL), 0);
    assert_string_equal(c->name, "home");
    assert_int_equal(c->remote.family, 4);
    assert_int_equal(c->remote.ip[3], 1);
    assert_int_equal(c->n_ike, 1);
    assert_int_equal(c->local_id.len, strlen("alice@example.org"));
    assert_int_equal(c->n_children, 1);
    assert_string_equal(c->child[0].name, "net");
    assert_int_equal(c->child[0].n_remote_ts, 2);
    assert_int_equal(c->child[0].remote_ts[1].lo[1], 2);
    assert_int_equal(c->child[0].start_action, CONF_START_NONE);
    set_free(&t);
    conf_conn_free(c);
    free(c);
    free(raw);
}

/* a message built here: conn{children{net{KEY=VALUE}}} */
static int parse_one(const char *key, const void *value, size_t n, char *err, size_t cap)
{
    struct vici_bld b;
    struct span out;
    vici_bld_init(&b, 0);
    vici_bld_packet(&b, VICI_CMD_REQUEST, "load-conn");
    vici_bld_section(&b, "gw");
    vici_bld_list(&b, "remote_addrs");
    vici_bld_item_str(&b, "192.0.2.7");
    vici_bld_list_end(&b);
    vici_bld_section(&b, "children");
    vici_bld_section(&b, "net");
    vici_bld_list(&b, "local_ts");
    vici_bld_item_str(&b, "10.1.0.0/24");
    vici_bld_list_end(&b);
    vici_bld_kv_str(&b, "remote_ts", "10.2.0.0/24");
    vici_bld_kv(&b, key, value, n);
    vici_bld_end(&b);
    vici_bld_end(&b);
    vici_bld_end(&b);
    assert_int_equal(vici_bld_finish(&b, &out), 0);
    struct vici_packet p;
    assert_int_equal(vici_packet_decode(span_of(out.p + 4, out.n - 4), &p), 0);
    struct set_tree t;
    struct conf_conn *c = calloc(1, sizeof *c);
    memset(&t, 0, sizeof t);
    int rc = vici_conn_tree(p.msg, "load-conn", &t, err, cap);
    if (!rc)
        rc = conf_parse_conn_node(t.root.child, c, err, cap, NULL, NULL);
    set_free(&t);
    conf_conn_free(c);
    free(c);
    vici_bld_free(&b);
    return rc;
}

static void bad_values_name_their_key(void **st)
{
    (void)st;
    char err[300];
    assert_int_equal(parse_one("rekey_time", "1h", 2, err, sizeof err), 0);
    assert_int_equal(parse_one("rekey_time", "5 fortnights", 12, err, sizeof err), -1);
    assert_string_equal(err, "load-conn gw.children.net.rekey_time: invalid time '5 fortnights' (e.g. 1h, 30m, 3600; "
                             "at most 4294967295 s)");
    assert_int_equal(parse_one("start_action", "later", 5, err, sizeof err), -1);
    assert_non_null(strstr(err, "load-conn gw.children.net.start_action: "));
    assert_int_equal(parse_one("mode", "tun\0nel", 7, err, sizeof err), -1);
    assert_string_equal(err, "load-conn gw.children.net.mode: expected text");
}

static struct conf_conn named(const char *name)
{
    struct conf_conn c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "%s", name);
    return c;
}

static void running_configuration_changed_on_a_copy(void **st)
{
    (void)st;
    struct kite_conf *run, *d;
    char err[200];
    assert_int_equal(conf_load_string("connections { a { remote_addrs = 192.0.2.2\n children { n { local_ts = 10.1.0.0/24\n remote_ts = 10.2.0.0/24 } } } }\n"
                                      "secrets { ike-a { secret = first-secret-0123 } }\n", "t", &run, err,
                                      sizeof err, NULL, NULL), 0);
    assert_string_equal(run->secrets[0].name, "ike-a");
    assert_int_equal(conf_dup(run, &d), 0);
    assert_ptr_not_equal(d->secrets[0].s.p, run->secrets[0].s.p); /* a copy of the key, not the key */
    for (int i = 0; i < 30; i++) { /* no cap: grows */
        char n[16];
        snprintf(n, sizeof n, "c%d", i);
        struct conf_conn c = named(n);
        assert_int_equal(conf_conn_put(d, &c), 0);
    }
    struct conf_conn a = named("a");
    a.rekey_time = 77;
    assert_int_equal(conf_conn_put(d, &a), 0); /* replaced, not added */
    assert_int_equal(d->n_conns, 31);
    assert_int_equal(d->conns[conf_conn_find(d, "a")].rekey_time, 77);
    assert_int_equal(conf_conn_del(d, "c3"), 0);
    assert_int_equal(conf_conn_del(d, "c3"), -1);
    assert_int_equal(conf_conn_find(d, "c4"), 4); /* a c0 c1 c2 c4: the order kept */
    struct conf_secret s = { .name = "ike-a" };
    assert_int_equal(secret_from(&s.s, "second-secret-012", 17), 0);
    assert_int_equal(conf_secret_put(d, &s), 0); /* replaces ike-a by name */
    assert_null(s.s.p);
    assert_int_equal(d->n_secrets, 1);
    assert_memory_equal(d->secrets[0].s.p, "second-secret-012", 17);
    assert_memory_equal(run->secrets[0].s.p, "first-secret-0123", 17); /* the running one untouched */
    assert_int_equal(run->n_conns, 1);
    struct conf_secret v = { .name = "vici-1", .loaded = true };
    assert_int_equal(secret_from(&v.s, "third-secret-0123", 17), 0);
    assert_int_equal(conf_secret_put(d, &v), 0);
    assert_int_equal(conf_secret_del_loaded(d), 1); /* clear-creds: only what VICI loaded */
    assert_int_equal(d->n_secrets, 1);
    assert_string_equal(d->secrets[0].name, "ike-a");
    assert_int_equal(conf_secret_del(d, "ike-a"), 0);
    assert_int_equal(conf_secret_del(d, "ike-a"), -1);
    assert_int_equal(d->n_secrets, 0);
    conf_free(d);
    conf_free(run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(captured_load_conn_parses),
        cmocka_unit_test(bad_values_name_their_key),
        cmocka_unit_test(running_configuration_changed_on_a_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
