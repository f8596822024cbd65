/* Reconfiguration of a running engine (ike/conns.c): two connections up
 * between a and b ("one" over 192.0.2.1-2, "two" over 192.0.2.11-12); a
 * then loads its configuration again the way a SIGHUP or swanctl
 * --load-conns does:
 *   - "one" unchanged: nothing is sent, its Child SA keeps its SPIs;
 *   - "two" changed (its ESP proposal): its IKE SA is closed with
 *     HDR, SK{D} -->  (RFC 7296 1.4.1) and, start_action = start, a new one
 *     comes up under the new policy with new SPIs;
 *   - "one" removed: Delete, b has no SA of it left, its slot is reused;
 *   - the table has no compiled-in cap (40 connections, removed and added
 *     again in any order, each keeps its index).
 * And the daemon's path (daemon/reconf.c, SIGHUP and the VICI commands): a
 * swanctl.conf applied to a running engine, then a second one with a
 * connection unchanged, one changed, one removed and one added. */
#include "harness.h"
#include "base/log.h"
#include "daemon/reconf.h"

static const char *PSK = "reconf-test-psk-0123456789abcdef";

/* the Child SAs a side holds, by inbound SPI, with their connection */
struct held {
    uint32_t in, out;
    char conn[IKE_NAME_MAX];
};
struct view {
    struct held sa[16];
    int n, ike_down, deletes_sent, sent;
};

static struct ike_conn_cfg conn(const char *name, uint8_t me, uint8_t peer, const char *esp, bool start)
{
    struct ike_conn_cfg c = h_conn(me, peer, "aes256gcm16 prfsha256 x25519", esp, PSK);
    snprintf(c.name, sizeof c.name, "%s", name);
    c.child[0].start = start;
    return c;
}

static void note(struct view *v, const struct ike_action *a)
{
    if (a->type == IKE_ACT_IKE_DOWN)
        v->ike_down++;
    if (a->type == IKE_ACT_CHILD_UP && v->n < 16) {
        v->sa[v->n] = (struct held){ a->child.spi_in, a->child.spi_out, "" };
        memcpy(v->sa[v->n++].conn, a->child.conn, IKE_NAME_MAX);
    }
    for (int i = 0; a->type == IKE_ACT_CHILD_DOWN && i < v->n; i++)
        if (v->sa[i].in == a->child.spi_in) {
            v->sa[i] = v->sa[--v->n];
            break;
        }
    if (a->type == IKE_ACT_SEND) {
        v->sent++;
        v->deletes_sent += dg_exchange(a) == IKEV2_EXCH_INFORMATIONAL && !dg_response(a);
    }
}

/* the IKE SA of a conn is gone on a side: its Child SAs with it (the data
 * plane drops them on IKE_DOWN) */
static void forget(struct view *v, const char *name)
{
    for (int i = 0; i < v->n;)
        if (!strcmp(v->sa[i].conn, name))
            v->sa[i] = v->sa[--v->n];
        else
            i++;
}

static int step(struct ike_engine *from, struct ike_engine *to, struct view *v, uint64_t now)
{
    struct ike_action *a = malloc(sizeof *a);
    int n = 0;
    assert_non_null(a);
    while (ike_next_action(from, a)) {
        n++;
        note(v, a);
        if (a->type == IKE_ACT_IKE_DOWN)
            forget(v, a->conn);
        if (a->type == IKE_ACT_SEND)
            ike_recv(to, a->data, a->len, &a->remote, &a->local, now);
        ike_action_wipe(a);
    }
    free(a);
    return n;
}

static void run(struct ike_engine *a, struct ike_engine *b, struct view *va, struct view *vb, uint64_t *now)
{
    for (int guard = 0; guard < 1000; guard++) {
        if (step(a, b, va, *now) + step(b, a, vb, *now))
            continue;
        uint64_t d = ike_next_deadline(a), db = ike_next_deadline(b);
        d = db < d ? db : d;
        if (d == UINT64_MAX || d > *now + 10000)
            return;
        *now = d > *now ? d : *now;
        ike_tick(a, *now);
        ike_tick(b, *now);
    }
    fail_msg("did not settle");
}

static const struct held *of(const struct view *v, const char *conn)
{
    for (int i = 0; i < v->n; i++)
        if (!strcmp(v->sa[i].conn, conn))
            return &v->sa[i];
    return NULL;
}

static int n_conns(struct ike_engine *e)
{
    int n = 0;
    while (ike_engine_conn(e, n))
        n++;
    return n;
}

static struct ike_engine *engine(uint64_t *rng)
{
    struct ike_env env = { rng, h_random, NULL, 0, h_wall };
    struct ike_engine *e = ike_engine_new(&env);
    assert_non_null(e);
    return e;
}

static void reconfigure(void **state)
{
    (void)state;
    uint64_t ra = 0x1234567, rb = 0x7654321, now = 1000;
    struct ike_engine *a = engine(&ra), *b = engine(&rb);
    struct view va = { 0 }, vb = { 0 };
    struct ike_conn_cfg one = conn("one", 1, 2, "aes128gcm16", true), two = conn("two", 11, 12, "aes128gcm16", true);
    struct ike_conn_cfg one_b = conn("one", 2, 1, "aes128gcm16", false), two_b = conn("two", 12, 11, "aes128gcm16", false);
    two_b.child[0].n_esp = 2; /* b also accepts the changed proposal */
    two_b.child[0].esp[1] = h_prop("aes256gcm16");
    /* first load: both added and started */
    assert_int_equal(ike_engine_load_conn(b, &one_b, now), IKE_CONN_ADDED);
    assert_int_equal(ike_engine_load_conn(b, &two_b, now), IKE_CONN_ADDED);
    assert_int_equal(ike_engine_load_conn(a, &one, now), IKE_CONN_ADDED);
    assert_int_equal(ike_engine_load_conn(a, &two, now), IKE_CONN_ADDED);
    run(a, b, &va, &vb, &now);
    assert_int_equal(va.n, 2);
    assert_int_equal(vb.n, 2);
    struct held one0 = *of(&va, "one"), two0 = *of(&va, "two");

    /* the same configuration again: nothing at all happens */
    int sent = va.sent;
    assert_int_equal(ike_engine_load_conn(a, &one, now), IKE_CONN_UNCHANGED);
    /* a new PSK alone: kept SAs (it is used only in IKE_AUTH) */
    struct ike_conn_cfg one_psk = one;
    one_psk.psk[0] ^= 1;
    assert_int_equal(ike_engine_load_conn(a, &one_psk, now), IKE_CONN_NEW_PSK);
    assert_int_equal(ike_engine_load_conn(a, &one, now), IKE_CONN_NEW_PSK);
    /* "two" with another ESP proposal: replaced */
    struct ike_conn_cfg two2 = conn("two", 11, 12, "aes256gcm16", true);
    assert_int_equal(ike_engine_load_conn(a, &two2, now), IKE_CONN_REPLACED);
    run(a, b, &va, &vb, &now);
    assert_int_equal(va.deletes_sent, 1);         /* HDR, SK{D} for "two" only */
    assert_int_equal(va.ike_down, 1);
    assert_int_equal(vb.ike_down, 1);             /* b took the Delete */
    assert_true(va.sent > sent + 1);              /* and a new IKE SA was negotiated */
    const struct held *one1 = of(&va, "one"), *two1 = of(&va, "two");
    assert_non_null(one1);
    assert_non_null(two1);
    assert_int_equal(one1->in, one0.in);          /* unchanged: the same SPIs */
    assert_int_equal(one1->out, one0.out);
    assert_int_not_equal(two1->in, two0.in);      /* changed: a new Child SA */
    assert_int_equal(of(&vb, "two")->in, two1->out);
    struct ike_sa_info info;
    for (unsigned i = 0; i < ike_sa_slots(a); i++)
        if (ike_sa_info(a, i, &info) && !strcmp(info.conn, "two"))
            assert_int_equal(info.state[0], 'E'); /* ESTABLISHED */

    /* "one" removed: its IKE SA closed, b has none left, the slot is free */
    assert_int_equal(ike_engine_remove_conn(a, "one", now), 1);
    assert_int_equal(ike_engine_remove_conn(a, "one", now), KITE_E_NOT_FOUND);
    run(a, b, &va, &vb, &now);
    assert_int_equal(va.deletes_sent, 2);
    assert_null(of(&va, "one"));
    assert_null(of(&vb, "one"));
    assert_int_equal(n_conns(a), 1);
    assert_string_equal(ike_engine_conn(a, 0)->name, "two");
    assert_int_equal(ike_initiate(a, "one", NULL, now), KITE_E_NOT_FOUND);
    /* "two" went on undisturbed */
    assert_int_equal(of(&va, "two")->in, two1->in);
    ike_engine_free(a);
    ike_engine_free(b);
}

/* no compiled-in cap; indexes stay while others come and go */
static void many_conns(void **state)
{
    (void)state;
    uint64_t r = 1;
    struct ike_engine *e = engine(&r);
    struct ike_conn_cfg c = conn("x", 1, 2, "aes128gcm16", false);
    for (int i = 0; i < 40; i++) {
        snprintf(c.name, sizeof c.name, "c%d", i);
        c.remote.ip[3] = (uint8_t)(100 + i);
        assert_int_equal(ike_engine_load_conn(e, &c, 0), IKE_CONN_ADDED);
    }
    assert_int_equal(n_conns(e), 40);
    for (int i = 0; i < 40; i += 3) {
        char name[8];
        snprintf(name, sizeof name, "c%d", i);
        assert_int_equal(ike_engine_remove_conn(e, name, 0), 0);
    }
    assert_int_equal(n_conns(e), 26);
    snprintf(c.name, sizeof c.name, "new");
    assert_int_equal(ike_engine_load_conn(e, &c, 0), IKE_CONN_ADDED);
    assert_int_equal(n_conns(e), 27);
    assert_string_equal(ike_engine_conn(e, 0)->name, "new"); /* the first free slot was taken */
    assert_string_equal(ike_engine_conn(e, 1)->name, "c1");
    assert_string_equal(ike_engine_conn(e, 26)->name, "c38");
    ike_engine_free(e);
}

/* conn NAME ME PEER ESP START as swanctl.conf text */
static void conf_conn(char *buf, size_t cap, const char *name, int me, int peer, const char *esp, const char *start)
{
    size_t o = strlen(buf);
    snprintf(buf + o, cap - o,
             "%s { local_addrs = 192.0.2.%d\n remote_addrs = 192.0.2.%d\n proposals = aes256gcm16-prfsha256-x25519\n"
             " local { auth = psk }\n remote { auth = psk\n id = 192.0.2.%d }\n"
             " children { net { local_ts = 10.%d.0.0/24\n remote_ts = 10.%d.0.0/24\n esp_proposals = %s\n"
             " start_action = %s } } }\n", name, me, peer, peer, me, peer, esp, start);
}

static struct kite_conf *conf_of(const char *conns)
{
    char text[4096];
    struct kite_conf *c = NULL;
    snprintf(text, sizeof text, "connections {\n%s}\nsecrets { ike-x { secret = %s } }\n", conns, PSK);
    assert_int_equal(conf_load_string(text, "test.conf", &c, text, sizeof text, NULL, NULL), 0);
    return c;
}

static void daemon_applies_files(void **state)
{
    (void)state;
    uint64_t ra = 0x1234567, rb = 0x7654321, now = 1000;
    struct ike_engine *a = engine(&ra), *b = engine(&rb);
    struct view va = { 0 }, vb = { 0 };
    const char *name[] = { "one", "two", "three" };
    for (int i = 0; i < 3; i++) { /* b answers all, two with either proposal */
        struct ike_conn_cfg cb = conn(name[i], (uint8_t)(10 * i + 2), (uint8_t)(10 * i + 1), "aes128gcm16", false);
        cb.child[0].n_esp = 2;
        cb.child[0].esp[1] = h_prop("aes256gcm16");
        assert_int_equal(ike_engine_load_conn(b, &cb, now), IKE_CONN_ADDED);
    }
    FILE *devnull = fopen("/dev/null", "w");
    struct log_sink log;
    log_sink_init(&log, devnull, 0);
    struct kited_args args = { .port = 500, .natt_port = 4500 };
    struct reconf r = { a, &log, NULL, &args };
    struct reconf_count n;
    char c1[2048] = "", c2[2048] = "";
    conf_conn(c1, sizeof c1, "one", 1, 2, "aes128gcm16", "start");
    conf_conn(c1, sizeof c1, "two", 11, 12, "aes128gcm16", "start");
    conf_conn(c1, sizeof c1, "three", 21, 22, "aes128gcm16", "start");
    struct kite_conf *f1 = conf_of(c1);
    reconf_apply(&r, f1, now, &n);
    assert_int_equal(n.added, 3);
    run(a, b, &va, &vb, &now);
    assert_int_equal(va.n, 3);
    struct held one0 = *of(&va, "one"), two0 = *of(&va, "two");
    reconf_apply(&r, f1, now, &n); /* the same file again: nothing */
    assert_int_equal(n.unchanged, 3);
    assert_int_equal(step(a, b, &va, now), 0);
    conf_conn(c2, sizeof c2, "one", 1, 2, "aes128gcm16", "start");
    conf_conn(c2, sizeof c2, "two", 11, 12, "aes256gcm16", "start");
    conf_conn(c2, sizeof c2, "four", 31, 32, "aes128gcm16", "none");
    struct kite_conf *f2 = conf_of(c2);
    reconf_apply(&r, f2, now, &n);
    assert_int_equal(n.unchanged, 1);
    assert_int_equal(n.replaced, 1);
    assert_int_equal(n.removed, 1);
    assert_int_equal(n.added, 1);
    run(a, b, &va, &vb, &now);
    assert_int_equal(va.deletes_sent, 2); /* two and three */
    assert_int_equal(of(&va, "one")->in, one0.in);
    assert_int_not_equal(of(&va, "two")->in, two0.in);
    assert_int_equal(of(&vb, "two")->in, of(&va, "two")->out);
    assert_null(of(&va, "three"));
    assert_null(of(&vb, "three"));
    assert_int_equal(n_conns(a), 3);
    conf_free(f1);
    conf_free(f2);
    fclose(devnull);
    ike_engine_free(a);
    ike_engine_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reconfigure),
        cmocka_unit_test(many_conns),
        cmocka_unit_test(daemon_applies_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
