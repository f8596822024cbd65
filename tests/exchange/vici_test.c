/* ctl/vici: the control socket in front of an engine that negotiates with a
 * second one in the same process (datagrams passed by hand), driven by a
 * client on a real unix socket:
 * - initiate waits for the Child SA: control-log events stream up to the
 *   asked level, then success = yes; a second command meanwhile is refused;
 * - list-sas: a list-sa event with charon's keys and the Child SA's SPIs;
 *   list-conns, get-conns, version, stats;
 * - unknown commands get CMD_UNKNOWN, unknown events EVENT_UNKNOWN, a
 *   packet a client may not send closes that client only;
 * - terminate deletes the IKE SA at the peer too; an initiate nobody answers
 *   ends with its timeout. */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "harness.h"
#include "vici_dump.h"
#include "base/log.h"
#include "ctl/vici.h"
#include "io/loop.h"

struct lab {
    struct side a, b;
    struct log_sink sink;
    struct vici_srv *vici;
    bool drop; /* the network loses everything */
    char path[64];
};

static void lab_random(void *ctx, uint8_t *p, size_t n)
{
    h_random(&((struct lab *)ctx)->a.rng, p, n);
}

static void lab_log(void *ctx, int subsys, int level, const char *msg)
{
    struct lab *l = ctx;
    log_msg(&l->sink, (enum log_subsys)subsys, level, "%s", msg);
}

/* move datagrams both ways until quiet; a's events go to the control socket */
static void pump(struct lab *l)
{
    struct ike_action *act = malloc(sizeof *act);
    assert_non_null(act);
    for (bool more = true; more;) {
        more = false;
        for (int s = 0; s < 2; s++) {
            struct side *from = s ? &l->b : &l->a, *to = s ? &l->a : &l->b;
            while (ike_next_action(from->e, act)) {
                more = true;
                if (act->type == IKE_ACT_SEND && !l->drop)
                    ike_recv(to->e, act->data, act->len, &act->remote, &act->local, loop_now_ms());
                if (act->type == IKE_ACT_CHILD_UP && !s)
                    l->a.child = act->child;
                if (!s)
                    vici_srv_action(l->vici, act);
                ike_action_wipe(act);
            }
        }
    }
    free(act);
}

static void lab_drain(void *ctx)
{
    pump(ctx);
}

static void lab_init(struct lab *l)
{
    memset(l, 0, sizeof *l);
    l->a.rng = 11;
    l->b.rng = 22;
    log_sink_init(&l->sink, NULL, 1);
    /* a's log goes to the sink the control socket taps (its random, seeded, is the harness's) */
    struct ike_env ea = { l, lab_random, lab_log, 0 }, eb = { &l->b.rng, h_random, h_log, 0 };
    l->a.e = ike_engine_new(&ea);
    l->b.e = ike_engine_new(&eb);
    struct ike_conn_cfg ca = h_conn(1, 2, "aes256gcm16 prfsha256 x25519", "aes256gcm16", "secret");
    struct ike_conn_cfg cb = h_conn(2, 1, "aes256gcm16 prfsha256 x25519", "aes256gcm16", "secret");
    assert_int_equal(ike_engine_add_conn(l->a.e, &ca), 0);
    assert_int_equal(ike_engine_add_conn(l->b.e, &cb), 0);
    static int n;
    snprintf(l->path, sizeof l->path, "unix:///tmp/kite-vici-test.%d.%d", (int)getpid(), n++);
    struct vici_env env = { l->a.e, NULL, &l->sink, lab_drain, l };
    struct vici_cfg cfg = { 8, 1 << 20 };
    char err[256];
    assert_int_equal(vici_srv_open(&l->vici, l->path, &cfg, &env, err, sizeof err), 0);
}

static void lab_free(struct lab *l)
{
    vici_srv_close(l->vici);
    ike_engine_free(l->a.e);
    ike_engine_free(l->b.e);
}

static int dial(struct lab *l)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", l->path + 7);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    struct timeval tv = { 0, 100000 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static void put(int fd, uint8_t op, const char *name, const char *const *kv)
{
    struct vici_bld b;
    struct span out;
    vici_bld_init(&b, 0);
    vici_bld_packet(&b, op, name);
    for (; kv && kv[0]; kv += 2)
        vici_bld_kv_str(&b, kv[0], kv[1]);
    assert_int_equal(vici_bld_finish(&b, &out), 0);
    assert_int_equal(write(fd, out.p, out.n), (ssize_t)out.n);
    vici_bld_free(&b);
}

/* the next packet from kited as "OP name: message" ("" when none, "EOF" when closed) */
static const char *get(struct lab *l, int fd, char *text, size_t cap)
{
    uint8_t hdr[4], body[65536];
    for (int i = 0; i < 3; i++)
        vici_srv_run(l->vici);
    ssize_t n = recv(fd, hdr, 4, MSG_WAITALL);
    if (n <= 0) {
        snprintf(text, cap, "%s", n == 0 || errno == ECONNRESET ? "EOF" : "");
        return text;
    }
    uint32_t len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
    assert_true(len <= sizeof body);
    assert_int_equal(recv(fd, body, len, MSG_WAITALL), (ssize_t)len);
    struct vici_packet p;
    char msg[16384];
    assert_int_equal(vici_packet_decode(span_of(body, len), &p), 0);
    assert_int_equal(vici_dump_msg(p.msg, msg, sizeof msg), 0);
    snprintf(text, cap, "%s %.*s: %s", vici_op_name(p.op), (int)p.name.n, p.name.p ? (const char *)p.name.p : "",
             msg);
    return text;
}

static void initiate_list_terminate(void **st)
{
    (void)st;
    struct lab l;
    char t[16384];
    lab_init(&l);
    int fd = dial(&l), other = dial(&l), updown = dial(&l);
    put(updown, VICI_EVENT_REGISTER, "ike-updown", NULL);
    assert_string_equal(get(&l, updown, t, sizeof t), "EVENT_CONFIRM : ");
    put(updown, VICI_EVENT_REGISTER, "child-updown", NULL);
    assert_string_equal(get(&l, updown, t, sizeof t), "EVENT_CONFIRM : ");
    put(fd, VICI_EVENT_REGISTER, "control-log", NULL);
    assert_string_equal(get(&l, fd, t, sizeof t), "EVENT_CONFIRM : ");
    put(fd, VICI_EVENT_REGISTER, "no-such-event", NULL);
    assert_string_equal(get(&l, fd, t, sizeof t), "EVENT_UNKNOWN : ");
    /* initiate: the engines settle within the command (the drain callback),
     * control-log lines first, the answer last */
    static const char *const init[] = { "child", "net", "timeout", "5000", "loglevel", "2", NULL };
    put(fd, VICI_CMD_REQUEST, "initiate", init);
    int logs = 0;
    bool established = false;
    while (!strncmp(get(&l, fd, t, sizeof t), "EVENT control-log", 17)) {
        logs++;
        established = established || strstr(t, "msg=IKE_SA lab[1] established between 192.0.2.1[500]...192.0.2.2[500]");
    }
    assert_string_equal(t, "CMD_RESPONSE : success=yes");
    assert_true(logs >= 4);
    assert_true(established);
    /* ike-updown and child-updown: the IKE SA as list-sa shows it, up = yes */
    assert_non_null(strstr(get(&l, updown, t, sizeof t), "EVENT ike-updown: up=yes lab{uniqueid=1 version=2 "
                                                          "state=ESTABLISHED local-host=192.0.2.1"));
    assert_non_null(strstr(get(&l, updown, t, sizeof t), "EVENT child-updown: up=yes lab{uniqueid=1 "));
    assert_non_null(strstr(t, "child-sas{net-"));
    /* again: it is up already, the answer comes at once */
    put(fd, VICI_CMD_REQUEST, "initiate", init);
    while (!strncmp(get(&l, fd, t, sizeof t), "EVENT control-log", 17))
        ;
    assert_string_equal(t, "CMD_RESPONSE : success=yes");
    /* list-sas: one event, then the (empty) response */
    put(fd, VICI_EVENT_REGISTER, "list-sa", NULL);
    assert_string_equal(get(&l, fd, t, sizeof t), "EVENT_CONFIRM : ");
    put(fd, VICI_CMD_REQUEST, "list-sas", NULL);
    get(&l, fd, t, sizeof t);
    assert_non_null(strstr(t, "EVENT list-sa: lab{uniqueid=1 version=2 state=ESTABLISHED local-host=192.0.2.1 "
                              "local-port=500 local-id=192.0.2.1 remote-host=192.0.2.2 remote-port=500 "
                              "remote-id=192.0.2.2 initiator=yes initiator-spi="));
    assert_non_null(strstr(t, "encr-alg=AES_GCM_16 encr-keysize=256 prf-alg=PRF_HMAC_SHA2_256 dh-group=CURVE_25519 "
                              "established=0 child-sas{"));
    char child[512];
    snprintf(child, sizeof child, "child-sas{net-%u{name=net uniqueid=%u reqid=%u state=INSTALLED mode=TUNNEL "
             "protocol=ESP spi-in=%.8x spi-out=%.8x encr-alg=AES_GCM_16 encr-keysize=256 bytes-in=0 packets-in=0 "
             "bytes-out=0 packets-out=0", l.a.child.spi_in, l.a.child.spi_in, l.a.child.spi_in, l.a.child.spi_in,
             l.a.child.spi_out);
    assert_non_null(strstr(t, child));
    assert_non_null(strstr(t, "local-ts[10.1.0.0/24] remote-ts[10.2.0.0/24]}}}"));
    assert_string_equal(get(&l, fd, t, sizeof t), "CMD_RESPONSE : ");
    /* the other client did not register for list-sa: the response only */
    put(other, VICI_CMD_REQUEST, "list-sas", NULL);
    assert_string_equal(get(&l, other, t, sizeof t), "CMD_RESPONSE : ");
    put(other, VICI_CMD_REQUEST, "get-conns", NULL);
    assert_string_equal(get(&l, other, t, sizeof t), "CMD_RESPONSE : conns[lab]");
    put(other, VICI_EVENT_REGISTER, "list-conn", NULL);
    get(&l, other, t, sizeof t);
    put(other, VICI_CMD_REQUEST, "list-conns", NULL);
    assert_string_equal(get(&l, other, t, sizeof t),
                        "EVENT list-conn: lab{local_addrs[192.0.2.1] remote_addrs[192.0.2.2] version=IKEv2 "
                        "reauth_time=0 rekey_time=0 unique=UNIQUE_NO local-1{class=pre-shared key id=192.0.2.1} "
                        "remote-1{class=pre-shared key id=192.0.2.2} children{net{mode=TUNNEL rekey_time=0 "
                        "rekey_bytes=0 rekey_packets=0 dpd_action=clear close_action=clear local-ts[10.1.0.0/24] "
                        "remote-ts[10.2.0.0/24]}}}");
    get(&l, other, t, sizeof t);
    put(other, VICI_CMD_REQUEST, "stats", NULL);
    assert_non_null(strstr(get(&l, other, t, sizeof t), "ikesas{total=1 half-open=0}"));
    put(other, VICI_CMD_REQUEST, "get-algorithms", NULL);
    get(&l, other, t, sizeof t);
    assert_non_null(strstr(t, "encryption{AES_CBC=openssl"));
    assert_non_null(strstr(t, "integrity{HMAC_SHA2_256_128=openssl"));
    assert_non_null(strstr(t, "aead{AES_GCM_8=openssl AES_GCM_12=openssl AES_GCM_16=openssl"));
    assert_non_null(strstr(t, "CHACHA20_POLY1305=openssl"));
    assert_non_null(strstr(t, "dh{MODP_2048=openssl"));
    assert_non_null(strstr(t, "CURVE_25519=openssl"));
    put(other, VICI_CMD_REQUEST, "no-such-command", NULL);
    assert_string_equal(get(&l, other, t, sizeof t), "CMD_UNKNOWN : ");
    /* a packet only kited may send closes that client, not the other */
    put(other, VICI_CMD_RESPONSE, NULL, NULL);
    assert_string_equal(get(&l, other, t, sizeof t), "EOF");
    put(fd, VICI_CMD_REQUEST, "version", NULL);
    assert_non_null(strstr(get(&l, fd, t, sizeof t), "CMD_RESPONSE : daemon=kited version=kite sysname=Linux"));
    /* terminate: the peer loses its IKE SA too */
    static const char *const term[] = { "ike", "lab", NULL };
    put(fd, VICI_CMD_REQUEST, "terminate", term);
    assert_string_equal(get(&l, fd, t, sizeof t), "CMD_RESPONSE : success=yes matches=1 terminated=1");
    struct ike_stats sb;
    ike_engine_stats(l.b.e, &sb);
    assert_int_equal(sb.ike_sas, 0);
    put(fd, VICI_CMD_REQUEST, "terminate", term);
    assert_string_equal(get(&l, fd, t, sizeof t),
                        "CMD_RESPONSE : success=no matches=0 terminated=0 errmsg=no matching SAs to terminate found");
    /* the terminate's down events: no up = yes */
    assert_non_null(strstr(get(&l, updown, t, sizeof t), "EVENT ike-updown: lab{uniqueid=1"));
    close(fd);
    close(other);
    close(updown);
    lab_free(&l);
}

static void initiate_times_out(void **st)
{
    (void)st;
    struct lab l;
    char t[4096];
    lab_init(&l);
    l.drop = true;
    int fd = dial(&l);
    static const char *const init[] = { "ike", "lab", "timeout", "200", NULL };
    put(fd, VICI_CMD_REQUEST, "initiate", init);
    assert_string_equal(get(&l, fd, t, sizeof t), ""); /* no answer yet */
    put(fd, VICI_CMD_REQUEST, "version", NULL);
    assert_string_equal(get(&l, fd, t, sizeof t),
                        "CMD_RESPONSE : success=no errmsg=a command is still running on this connection");
    uint64_t next = vici_srv_tick(l.vici, loop_now_ms());
    assert_true(next != UINT64_MAX && next <= loop_now_ms() + 200);
    usleep(250000);
    assert_int_equal(vici_srv_tick(l.vici, loop_now_ms()), UINT64_MAX);
    assert_string_equal(get(&l, fd, t, sizeof t),
                        "CMD_RESPONSE : success=no errmsg=initiate timed out; the IKE SA goes on being established");
    close(fd);
    lab_free(&l);
}

/* get-counters / reset-counters with charon's keys: the global set under
 * "", a connection's under its name, all = yes every connection; a name
 * without counters is an error, as in charon */
static void counters(void **st)
{
    (void)st;
    struct lab l;
    char t[4096];
    lab_init(&l);
    int fd = dial(&l);
    static const char *const init[] = { "child", "net", "timeout", "5000", NULL };
    put(fd, VICI_CMD_REQUEST, "initiate", init);
    while (!strncmp(get(&l, fd, t, sizeof t), "EVENT", 5))
        ;
    assert_string_equal(t, "CMD_RESPONSE : success=yes");
    static const char *const named[] = { "name", "lab", NULL };
    put(fd, VICI_CMD_REQUEST, "get-counters", named);
    assert_string_equal(get(&l, fd, t, sizeof t),
                        "CMD_RESPONSE : counters{lab{ike-rekey-init=0 ike-rekey-resp=0 child-rekey=0 invalid=0 "
                        "invalid-spi=0 ike-init-in-req=0 ike-init-in-resp=1 ike-init-out-req=1 ike-init-out-resp=0 "
                        "ike-auth-in-req=0 ike-auth-in-resp=1 ike-auth-out-req=1 ike-auth-out-resp=0 "
                        "create-child-in-req=0 create-child-in-resp=0 create-child-out-req=0 "
                        "create-child-out-resp=0 info-in-req=0 info-in-resp=0 info-out-req=0 info-out-resp=0}} "
                        "success=yes");
    put(fd, VICI_CMD_REQUEST, "get-counters", NULL);
    assert_non_null(strstr(get(&l, fd, t, sizeof t), "CMD_RESPONSE : counters{{ike-rekey-init=0 "));
    assert_non_null(strstr(t, "ike-auth-out-req=1 "));
    static const char *const all[] = { "all", "yes", NULL };
    put(fd, VICI_CMD_REQUEST, "get-counters", all);
    assert_non_null(strstr(get(&l, fd, t, sizeof t), "CMD_RESPONSE : counters{lab{ike-rekey-init=0 "));
    static const char *const none[] = { "name", "nope", NULL };
    put(fd, VICI_CMD_REQUEST, "get-counters", none);
    assert_string_equal(get(&l, fd, t, sizeof t),
                        "CMD_RESPONSE : counters{} success=no errmsg=no counters found for this connection");
    put(fd, VICI_CMD_REQUEST, "reset-counters", named);
    assert_string_equal(get(&l, fd, t, sizeof t), "CMD_RESPONSE : success=yes");
    put(fd, VICI_CMD_REQUEST, "get-counters", named);
    assert_non_null(strstr(get(&l, fd, t, sizeof t), "success=no"));
    put(fd, VICI_CMD_REQUEST, "get-counters", NULL);
    assert_non_null(strstr(get(&l, fd, t, sizeof t), "ike-auth-out-req=1 ")); /* the global set stays */
    put(fd, VICI_CMD_REQUEST, "reset-counters", NULL);
    get(&l, fd, t, sizeof t);
    put(fd, VICI_CMD_REQUEST, "get-counters", NULL);
    assert_non_null(strstr(get(&l, fd, t, sizeof t), "ike-auth-out-req=0 "));
    close(fd);
    lab_free(&l);
}

/* a's only IKE SA */
static struct ike_sa_info a_sa(struct lab *l)
{
    struct ike_sa_info info, found = { 0 };
    int n = 0;
    for (unsigned i = 0; i < ike_sa_slots(l->a.e); i++)
        if (ike_sa_info(l->a.e, i, &info)) {
            found = info;
            n++;
        }
    assert_int_equal(n, 1);
    return found;
}

/* rekey ike / ike-id: the IKE SA gets new SPIs at both ends and keeps its
 * Child SA; reauth = yes makes a new IKE SA with a new Child SA and deletes
 * the old one; no selector, an unknown name and an IKE SA not yet
 * established are refused and change nothing */
static void rekey_ike(void **st)
{
    (void)st;
    struct lab l;
    char t[4096];
    lab_init(&l);
    l.drop = true; /* IKE_SA_INIT unanswered: the IKE SA is CONNECTING */
    assert_int_equal(ike_initiate(l.a.e, "lab", "net", loop_now_ms()), 0);
    pump(&l);
    int fd = dial(&l);
    static const char *const by_name[] = { "ike", "lab", NULL };
    put(fd, VICI_CMD_REQUEST, "rekey", by_name);
    assert_string_equal(get(&l, fd, t, sizeof t),
                        "CMD_RESPONSE : success=no errmsg=IKE_SA with unique id 1 is not established or is being "
                        "rekeyed or reauthenticated already");
    ike_sa_terminate(l.a.e, 1, loop_now_ms());
    l.drop = false;
    assert_int_equal(ike_initiate(l.a.e, "lab", "net", loop_now_ms()), 0);
    pump(&l);
    struct ike_sa_info first = a_sa(&l);
    assert_string_equal(first.state, "ESTABLISHED");
    /* reauth = yes: a new IKE SA (new SPIs, new Child SA), the old one deleted at both ends (lifecycle.c) */
    static const char *const reauth[] = { "ike", "lab", "reauth", "yes", NULL };
    uint32_t child0 = l.a.child.spi_in;
    put(fd, VICI_CMD_REQUEST, "rekey", reauth);
    assert_string_equal(get(&l, fd, t, sizeof t), "CMD_RESPONSE : success=yes matches=1 rekeyed=1");
    ike_tick(l.a.e, loop_now_ms()); /* the new IKE SA has its Child SA: the old one is deleted */
    pump(&l);
    struct ike_sa_info old = a_sa(&l); /* one IKE SA: the old one went */
    assert_true(old.id != first.id);
    assert_memory_not_equal(old.spi_i, first.spi_i, 8);
    uint32_t spi_in = l.a.child.spi_in;
    assert_true(spi_in != child0);
    put(fd, VICI_CMD_REQUEST, "rekey", NULL);
    assert_string_equal(get(&l, fd, t, sizeof t), "CMD_RESPONSE : success=no errmsg=missing rekey selector");
    static const char *const other[] = { "ike", "nosuch", NULL };
    put(fd, VICI_CMD_REQUEST, "rekey", other);
    assert_string_equal(get(&l, fd, t, sizeof t),
                        "CMD_RESPONSE : success=no matches=0 rekeyed=0 errmsg=no matching SAs to rekey found");
    assert_memory_equal(a_sa(&l).spi_i, old.spi_i, 8); /* the refusals changed nothing */
    /* swanctl --rekey --ike lab: answered once the engines settled */
    put(fd, VICI_CMD_REQUEST, "rekey", by_name);
    assert_string_equal(get(&l, fd, t, sizeof t), "CMD_RESPONSE : success=yes matches=1 rekeyed=1");
    struct ike_sa_info n = a_sa(&l); /* the old one deleted */
    assert_memory_not_equal(n.spi_i, old.spi_i, 8);
    assert_memory_not_equal(n.spi_r, old.spi_r, 8);
    assert_true(n.id != old.id);
    struct ike_child_info ch;
    unsigned slot = 0;
    while (!ike_sa_info(l.a.e, slot, &n))
        slot++;
    assert_true(ike_sa_child_info(l.a.e, slot, 0, &ch));
    assert_int_equal(ch.spi_in, spi_in);
    struct ike_stats sb;
    ike_engine_stats(l.b.e, &sb);
    assert_int_equal(sb.ike_sas, 1);
    /* by ike-id: the old id is gone, the new one rekeys */
    char id[16];
    snprintf(id, sizeof id, "%u", old.id);
    const char *by_id[] = { "ike-id", id, NULL };
    put(fd, VICI_CMD_REQUEST, "rekey", by_id);
    assert_string_equal(get(&l, fd, t, sizeof t),
                        "CMD_RESPONSE : success=no matches=0 rekeyed=0 errmsg=no matching SAs to rekey found");
    snprintf(id, sizeof id, "%u", n.id);
    put(fd, VICI_CMD_REQUEST, "rekey", by_id);
    assert_string_equal(get(&l, fd, t, sizeof t), "CMD_RESPONSE : success=yes matches=1 rekeyed=1");
    assert_memory_not_equal(a_sa(&l).spi_i, n.spi_i, 8);
    close(fd);
    lab_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(initiate_list_terminate),
        cmocka_unit_test(initiate_times_out),
        cmocka_unit_test(counters),
        cmocka_unit_test(rekey_ike),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
