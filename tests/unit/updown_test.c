/* updown scripts (daemon/updown.c, issue 14): the environment charon 5.9.8's
 * updown listener gives a script, variable by variable, for a v4 tunnel, a
 * host-to-host SA and v6 ones; and the runner: a script run through
 * /bin/sh -c with only that environment, its output logged, a failing one
 * logged with its exit status, a hanging one killed at the timeout, a rekey
 * running nothing, and a down never before its up. */
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon/updown.h"
#include "io/loop.h"

static struct ike_addr a4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    struct ike_addr x = { .family = 4, .ip = { a, b, c, d }, .port = 500 };
    return x;
}

static struct ike_ts_cfg ts4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t e, uint8_t f, uint8_t g, uint8_t h)
{
    struct ike_ts_cfg t = { .family = 4, .port_hi = 0xffff, .lo = { a, b, c, d }, .hi = { e, f, g, h } };
    return t;
}

static struct updown_sa tunnel(void)
{
    struct updown_sa s;
    memset(&s, 0, sizeof s);
    snprintf(s.child, sizeof s.child, "net-net");
    snprintf(s.iface, sizeof s.iface, "eth0");
    s.reqid = 7;
    s.unique_id = 3;
    s.me = a4(192, 168, 0, 1);
    s.peer = a4(192, 168, 0, 2);
    snprintf(s.my_id, sizeof s.my_id, "moon.strongswan.org");
    snprintf(s.peer_id, sizeof s.peer_id, "C=CH, O=strongSwan, CN=sun.strongswan.org");
    s.my_ts = ts4(10, 1, 0, 0, 10, 1, 255, 255);
    s.peer_ts = ts4(10, 2, 0, 0, 10, 2, 0, 255);
    return s;
}

/* the environment as one string "A=1\nB=2\n" */
static void env_str(const struct updown_sa *s, bool up, const char *path, char *out, size_t cap)
{
    char buf[8192], *envp[64];
    int n = updown_env(s, up, path, buf, sizeof buf, envp, 64);
    assert_true(n > 0);
    assert_null(envp[n]);
    size_t o = 0;
    for (int i = 0; i < n; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s\n", envp[i]);
}

static void env_v4_tunnel(void **st)
{
    (void)st;
    struct updown_sa s = tunnel();
    char got[4096];
    env_str(&s, true, "/usr/bin:/bin", got, sizeof got);
    assert_string_equal(got, "PATH=/usr/bin:/bin\n"
                             "PLUTO_VERSION=1.1\n"
                             "PLUTO_VERB=up-client\n"
                             "PLUTO_CONNECTION=net-net\n"
                             "PLUTO_INTERFACE=eth0\n"
                             "PLUTO_REQID=7\n"
                             "PLUTO_PROTO=esp\n"
                             "PLUTO_UNIQUEID=3\n"
                             "PLUTO_ME=192.168.0.1\n"
                             "PLUTO_MY_ID=moon.strongswan.org\n"
                             "PLUTO_MY_CLIENT=10.1.0.0/16\n"
                             "PLUTO_MY_PORT=0\n"
                             "PLUTO_MY_PROTOCOL=0\n"
                             "PLUTO_PEER=192.168.0.2\n"
                             "PLUTO_PEER_ID=C=CH, O=strongSwan, CN=sun.strongswan.org\n"
                             "PLUTO_PEER_CLIENT=10.2.0.0/24\n"
                             "PLUTO_PEER_PORT=0\n"
                             "PLUTO_PEER_PROTOCOL=0\n");
    /* down: only the verb changes; a NAT adds the peer's port; no PATH given, none set */
    s.encap = true;
    s.peer.port = 4500;
    s.iface[0] = 0;
    env_str(&s, false, NULL, got, sizeof got);
    assert_non_null(strstr(got, "PLUTO_VERSION=1.1\nPLUTO_VERB=down-client\n"));
    assert_non_null(strstr(got, "PLUTO_INTERFACE=unknown\n"));
    assert_non_null(strstr(got, "PLUTO_PEER_PROTOCOL=0\nPLUTO_UDP_ENC=4500\n"));
    assert_null(strstr(got, "PATH="));
    assert_null(strstr(got, "PLUTO_HOST_ACCESS"));
    /* hostaccess = yes: charon's PLUTO_HOST_ACCESS=1, last */
    s.hostaccess = true;
    env_str(&s, true, NULL, got, sizeof got);
    assert_non_null(strstr(got, "PLUTO_UDP_ENC=4500\nPLUTO_HOST_ACCESS=1\n"));
}

static void env_host_ports(void **st)
{
    (void)st;
    struct updown_sa s = tunnel();
    s.my_ts = ts4(192, 168, 0, 1, 192, 168, 0, 1); /* dynamic: the IKE address */
    s.peer_ts = ts4(192, 168, 0, 2, 192, 168, 0, 2);
    s.my_ts.ip_proto = s.peer_ts.ip_proto = 6;
    s.my_ts.port_lo = 1000;
    s.my_ts.port_hi = 2000;
    s.peer_ts.port_lo = s.peer_ts.port_hi = 80;
    char got[4096];
    env_str(&s, true, NULL, got, sizeof got);
    assert_non_null(strstr(got, "PLUTO_VERB=up-host\n"));
    assert_non_null(strstr(got, "PLUTO_MY_CLIENT=192.168.0.1/32\nPLUTO_MY_PORT=1000:2000\nPLUTO_MY_PROTOCOL=6\n"));
    assert_non_null(strstr(got, "PLUTO_PEER_CLIENT=192.168.0.2/32\nPLUTO_PEER_PORT=80\nPLUTO_PEER_PROTOCOL=6\n"));
    /* ICMP: the port field carries type (ours) and code (the peer's), as charon */
    s.my_ts.ip_proto = s.peer_ts.ip_proto = 1;
    s.my_ts.port_lo = s.my_ts.port_hi = 8 << 8;
    s.peer_ts.port_lo = 0;
    s.peer_ts.port_hi = 0xffff;
    env_str(&s, true, NULL, got, sizeof got);
    assert_non_null(strstr(got, "PLUTO_MY_PORT=8\n"));
    assert_non_null(strstr(got, "PLUTO_PEER_PORT=0\n"));
    /* a range that is no subnet: the next larger one */
    s.peer_ts = ts4(10, 0, 0, 1, 10, 0, 0, 9);
    env_str(&s, true, NULL, got, sizeof got);
    assert_non_null(strstr(got, "PLUTO_PEER_CLIENT=10.0.0.0/28\n"));
}

static void env_v6(void **st)
{
    (void)st;
    struct updown_sa s = tunnel();
    s.me = (struct ike_addr){ .family = 6, .ip = { 0xfe, 0xc0, [15] = 1 } };
    s.peer = (struct ike_addr){ .family = 6, .ip = { 0xfe, 0xc0, [15] = 2 } };
    s.my_ts = (struct ike_ts_cfg){ .family = 6, .port_hi = 0xffff, .lo = { 0xfe, 0xc1 },
                                   .hi = { 0xfe, 0xc1, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
    s.peer_ts = s.my_ts;
    s.peer_ts.lo[1] = s.peer_ts.hi[1] = 0xc2;
    char got[4096];
    env_str(&s, true, NULL, got, sizeof got);
    assert_non_null(strstr(got, "PLUTO_VERB=up-client-v6\n"));
    assert_non_null(strstr(got, "PLUTO_ME=fec0::1\n"));
    assert_non_null(strstr(got, "PLUTO_MY_CLIENT=fec1::/64\n"));
    assert_non_null(strstr(got, "PLUTO_PEER=fec0::2\n"));
    assert_non_null(strstr(got, "PLUTO_PEER_CLIENT=fec2::/64\n"));
    s.my_ts.lo[1] = s.my_ts.hi[1] = 0xc0;
    memcpy(s.my_ts.lo, s.me.ip, 16);
    memcpy(s.my_ts.hi, s.me.ip, 16);
    env_str(&s, false, NULL, got, sizeof got);
    assert_non_null(strstr(got, "PLUTO_VERB=down-host-v6\n"));
    assert_non_null(strstr(got, "PLUTO_MY_CLIENT=fec0::1/128\n"));
    /* too small a buffer: refused, never cut */
    char small[64], *envp[64];
    assert_int_equal(updown_env(&s, true, NULL, small, sizeof small, envp, 64), -1);
    assert_int_equal(updown_env(&s, true, NULL, got, sizeof got, envp, 4), -1);
}

/* ---- the runner ---- */

static char logbuf[16384];
static void on_log(void *ctx, int level, const char *msg)
{
    (void)ctx;
    (void)level;
    size_t o = strlen(logbuf);
    snprintf(logbuf + o, sizeof logbuf - o, "%s\n", msg);
}

static char dir[64];
static char *slurp(const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    static char buf[8192];
    buf[0] = 0;
    if (f) {
        buf[fread(buf, 1, sizeof buf - 1, f)] = 0;
        fclose(f);
    }
    return buf;
}

static struct ike_child_sa child(uint32_t spi, uint32_t replaces)
{
    struct ike_child_sa c;
    memset(&c, 0, sizeof c);
    c.spi_in = spi;
    c.replaces_spi_in = replaces;
    c.ike_sa = 3;
    return c;
}

static void runs_scripts(void **st)
{
    (void)st;
    snprintf(dir, sizeof dir, "/tmp/kite-updown-XXXXXX");
    assert_non_null(mkdtemp(dir));
    struct updown u;
    logbuf[0] = 0;
    assert_int_equal(updown_init(&u, 2000, on_log, NULL), 0);
    struct updown_sa s = tunnel();
    s.ike_sa = 3;
    /* an argument, output on stdout and stderr, the environment kept: env | sort */
    snprintf(s.script, sizeof s.script, "sleep 0.2; echo \"$PLUTO_VERB\" >> %s/order; env | sort > %s/$PLUTO_VERB; "
                                        "echo to-out; echo to-err >&2; true", dir, dir);
    struct ike_child_sa c1 = child(0x1001, 0), c2 = child(0x1002, 0x1001);
    updown_child_up(&u, &c1, &s, loop_now_ms());
    updown_child_up(&u, &c2, &s, loop_now_ms()); /* a rekey: nothing */
    updown_child_down(&u, 0x1001, loop_now_ms()); /* the rekeyed one: nothing */
    updown_child_down(&u, 0x1002, loop_now_ms()); /* the last: down, after up although up sleeps */
    updown_finish(&u);
    assert_string_equal(slurp("order"), "up-client\ndown-client\n");
    char *env = slurp("up-client");
    assert_non_null(strstr(env, "PLUTO_REQID=1\n"));
    assert_non_null(strstr(env, "PLUTO_MY_CLIENT=10.1.0.0/16\n"));
    /* nothing of ours leaks in: the shell adds only PWD, SHLVL and _ */
    for (char *l = env; *l; l = strchr(l, '\n') + 1)
        if (strncmp(l, "PLUTO_", 6) && strncmp(l, "PATH=", 5) && strncmp(l, "PWD=", 4) && strncmp(l, "SHLVL=", 6) &&
            strncmp(l, "_=", 2))
            fail_msg("unexpected variable: %.40s", l);
    assert_non_null(strstr(logbuf, "updown: to-out\n"));
    assert_non_null(strstr(logbuf, "updown: to-err\n"));
    assert_int_equal(u.started, 2);
    assert_int_equal(u.failed, 0);
    /* a failing script; a hanging one, killed at the timeout; an IKE SA going down downs its Child SA */
    u.timeout_ms = 300;
    snprintf(s.script, sizeof s.script, "exit 3");
    struct ike_child_sa c3 = child(0x2001, 0);
    updown_child_up(&u, &c3, &s, loop_now_ms());
    snprintf(s.script, sizeof s.script, "sleep 30");
    s.ike_sa = 4;
    struct ike_child_sa c4 = child(0x3001, 0);
    c4.ike_sa = 4;
    updown_child_up(&u, &c4, &s, loop_now_ms());
    updown_finish(&u);
    assert_non_null(strstr(logbuf, "updown up net-net: 'exit 3' failed with exit status 3\n"));
    assert_non_null(strstr(logbuf, "updown up net-net: 'sleep 30' still running after 300 ms, killed\n"));
    assert_int_equal(u.killed, 1);
    assert_int_equal(u.failed, 2);
    updown_ike_down(&u, 4, loop_now_ms());
    updown_finish(&u);
    assert_int_equal(u.killed, 2); /* its down ran too (and hung) */
    assert_int_equal(u.n_recs, 1);  /* 0x2001 still up */
    updown_free(&u);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* copies of our pidfds that a process forked meanwhile holds (until it
 * execs) keep their epoll registrations alive after we close ours: a
 * finished script's job must leave the epoll set before it is freed, or
 * the copy reports into freed memory (ASan: heap-use-after-free; before
 * that, a waitpid on the reaped pid: "cannot learn how ... ended") */
static int dup_pidfds(int *out, int cap)
{
    int n = 0;
    for (int fd = 3; fd < 1024 && n < cap; fd++) {
        char path[64], what[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        ssize_t len = readlink(path, what, sizeof what - 1);
        if (len <= 0)
            continue;
        what[len] = 0;
        if (!strcmp(what, "anon_inode:[pidfd]"))
            out[n++] = dup(fd);
    }
    return n;
}

static void forked_copies_of_a_pidfd(void **st)
{
    (void)st;
    struct updown u;
    logbuf[0] = 0;
    assert_int_equal(updown_init(&u, 2000, on_log, NULL), 0);
    struct updown_sa s = tunnel();
    snprintf(s.script, sizeof s.script, "sleep 0.1");
    struct ike_child_sa c1 = child(0x4001, 0), c2 = child(0x4002, 0);
    updown_child_up(&u, &c1, &s, loop_now_ms());
    updown_run(&u, loop_now_ms()); /* started by now */
    int copies[8];
    int n = dup_pidfds(copies, 8);
    assert_true(n >= 1);
    updown_finish(&u); /* the first script's job freed; our copies stay readable */
    updown_child_up(&u, &c2, &s, loop_now_ms());
    updown_finish(&u);
    assert_null(strstr(logbuf, "cannot learn how"));
    assert_int_equal(u.started, 2);
    assert_int_equal(u.failed, 0);
    for (int i = 0; i < n; i++)
        close(copies[i]);
    updown_free(&u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(env_v4_tunnel),
        cmocka_unit_test(env_host_ports),
        cmocka_unit_test(env_v6),
        cmocka_unit_test(runs_scripts), cmocka_unit_test(forked_copies_of_a_pidfd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
