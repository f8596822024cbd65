/* updown: scripts on Child SA up/down with charon's environment (updown.h). */
#include "daemon/updown.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <unistd.h>
#include "conf/conf.h"
#include "cred/id.h"

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the environment (charon 5.9.8's updown_listener.c, in its order) ---- */

struct envb {
    char *buf, **envp;
    size_t cap, used, n, n_envp;
    bool full;
};

static void put(struct envb *b, const char *fmt, ...)
{
    if (b->full || b->n + 1 >= b->n_envp) {
        b->full = true;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->buf + b->used, b->cap - b->used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->cap - b->used) {
        b->full = true;
        return;
    }
    b->envp[b->n++] = b->buf + b->used;
    b->envp[b->n] = NULL;
    b->used += (size_t)n + 1;
}

static size_t alen(uint8_t family)
{
    return family == 6 ? 16 : 4;
}

static const char *addr_str(uint8_t family, const uint8_t *ip, char *out, size_t cap)
{
    if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, ip, out, (socklen_t)cap))
        snprintf(out, cap, "?");
    return out;
}

/* charon's traffic_selector is_host(me): one address, and that is `me` */
static bool ts_is_host(const struct ike_ts_cfg *t, const struct ike_addr *me)
{
    size_t n = alen(t->family);
    return t->family == me->family && !memcmp(t->lo, t->hi, n) && !memcmp(t->lo, me->ip, n);
}

/* the smallest subnet holding the range, as charon's to_subnet: "net/len" */
static void ts_subnet(const struct ike_ts_cfg *t, char *out, size_t cap)
{
    size_t n = alen(t->family);
    uint8_t net[16] = { 0 };
    unsigned bits = 0;
    while (bits < n * 8 && !((t->lo[bits / 8] ^ t->hi[bits / 8]) & (0x80 >> (bits % 8))))
        bits++;
    for (unsigned i = 0; i < bits; i++)
        net[i / 8] |= (uint8_t)(t->lo[i / 8] & (0x80 >> (i % 8)));
    char a[48];
    snprintf(out, cap, "%s/%u", addr_str(t->family, net, a, sizeof a), bits);
}

/* charon's get_port: ICMP type (local) or code (remote) from the larger
 * selector's from-port; else "from", or "from:to" for a range other than all */
static void ts_port(const struct ike_ts_cfg *my, const struct ike_ts_cfg *peer, bool local, char *out, size_t cap)
{
    uint8_t proto = my->ip_proto > peer->ip_proto ? my->ip_proto : peer->ip_proto;
    if (proto == 1 || proto == 58) {
        uint16_t port = my->port_lo > peer->port_lo ? my->port_lo : peer->port_lo;
        snprintf(out, cap, "%u", local ? port >> 8 : port & 0xff);
        return;
    }
    const struct ike_ts_cfg *t = local ? my : peer;
    if (t->port_lo == t->port_hi || (t->port_lo == 0 && t->port_hi == 0xffff))
        snprintf(out, cap, "%u", t->port_lo);
    else
        snprintf(out, cap, "%u:%u", t->port_lo, t->port_hi);
}

static void side(struct envb *b, const char *who, const struct ike_addr *host, const char *id,
                 const struct ike_ts_cfg *my, const struct ike_ts_cfg *peer, bool local)
{
    char a[80], port[16];
    const struct ike_ts_cfg *t = local ? my : peer;
    put(b, "PLUTO_%s=%s", local ? "ME" : "PEER", addr_str(host->family, host->ip, a, sizeof a));
    put(b, "PLUTO_%s_ID=%s", who, id);
    ts_subnet(t, a, sizeof a);
    put(b, "PLUTO_%s_CLIENT=%s", who, a);
    ts_port(my, peer, local, port, sizeof port);
    put(b, "PLUTO_%s_PORT=%s", who, port);
    put(b, "PLUTO_%s_PROTOCOL=%u", who, t->ip_proto);
}

int updown_env(const struct updown_sa *s, bool up, const char *path, char *buf, size_t cap, char **envp,
               size_t n_envp)
{
    struct envb b = { buf, envp, cap, 0, 0, n_envp, n_envp == 0 };
    if (n_envp)
        envp[0] = NULL;
    if (path)
        put(&b, "PATH=%s", path);
    put(&b, "PLUTO_VERSION=1.1");
    bool host = ts_is_host(&s->my_ts, &s->me);
    bool v6 = host ? s->me.family == 6 : s->my_ts.family == 6;
    put(&b, "PLUTO_VERB=%s%s%s", up ? "up" : "down", host ? "-host" : "-client", v6 ? "-v6" : "");
    put(&b, "PLUTO_CONNECTION=%s", s->child);
    put(&b, "PLUTO_INTERFACE=%s", s->iface[0] ? s->iface : "unknown");
    put(&b, "PLUTO_REQID=%u", s->reqid);
    put(&b, "PLUTO_PROTO=esp"); /* kite negotiates ESP only */
    put(&b, "PLUTO_UNIQUEID=%u", s->unique_id);
    side(&b, "MY", &s->me, s->my_id, &s->my_ts, &s->peer_ts, true);
    side(&b, "PEER", &s->peer, s->peer_id, &s->my_ts, &s->peer_ts, false);
    if (s->encap)
        put(&b, "PLUTO_UDP_ENC=%u", s->peer.port);
    if (s->hostaccess) /* charon's firewall hooks open the gateway itself to the peer's clients */
        put(&b, "PLUTO_HOST_ACCESS=1");
    return b.full ? -1 : (int)b.n;
}

/* ---- Child SAs with a script: reqids that survive rekeys ---- */

struct updown_rec {
    uint32_t spi_in;
    struct updown_sa sa;
};

static struct updown_rec *rec_find(struct updown *u, uint32_t spi_in)
{
    for (size_t i = 0; i < u->n_recs; i++)
        if (u->recs[i].spi_in == spi_in)
            return &u->recs[i];
    return NULL;
}

static bool reqid_live(const struct updown *u, uint32_t reqid)
{
    for (size_t i = 0; i < u->n_recs; i++)
        if (u->recs[i].sa.reqid == reqid)
            return true;
    return false;
}

static struct updown_rec *rec_add(struct updown *u)
{
    if (u->n_recs == u->cap_recs) {
        size_t cap = u->cap_recs ? 2 * u->cap_recs : 8;
        struct updown_rec *r = realloc(u->recs, cap * sizeof *r);
        if (!r)
            return NULL;
        u->recs = r;
        u->cap_recs = cap;
    }
    return &u->recs[u->n_recs++];
}

static void rec_del(struct updown *u, struct updown_rec *r)
{
    *r = u->recs[--u->n_recs];
}

/* ---- jobs: one script run ---- */

struct handle {
    struct updown_job *job;
    bool pid; /* the pidfd, else the output pipe */
};

struct updown_job {
    struct updown_job *next;
    uint32_t reqid;
    char what[IKE_NAME_MAX + 16]; /* "up-client net" for the log */
    char script[UPDOWN_SCRIPT_MAX];
    char *envbuf;
    char *envp[64];
    pid_t pid;   /* 0: waiting */
    int out, pidfd;
    struct handle h_out, h_pid;
    uint64_t deadline;
    char line[512];
    size_t line_n;
};

static void logf_(struct updown *u, int level, const char *fmt, ...)
{
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (u->log)
        u->log(u->ctx, level, msg);
}

int updown_init(struct updown *u, uint32_t timeout_ms, updown_log_fn *log, void *ctx)
{
    memset(u, 0, sizeof *u);
    u->timeout_ms = timeout_ms ? timeout_ms : 30000;
    u->log = log;
    u->ctx = ctx;
    u->next_reqid = 1;
    u->epfd = epoll_create1(EPOLL_CLOEXEC);
    return u->epfd < 0 ? -errno : 0;
}

static bool reqid_running(const struct updown *u, uint32_t reqid)
{
    for (const struct updown_job *j = u->jobs; j; j = j->next)
        if (j->pid && j->reqid == reqid)
            return true;
    return false;
}

static void job_free(struct updown_job *j)
{
    if (j->out >= 0)
        close(j->out);
    if (j->pidfd >= 0)
        close(j->pidfd);
    free(j->envbuf);
    free(j);
}

static void job_unlink(struct updown *u, struct updown_job *j)
{
    for (struct updown_job **p = &u->jobs; *p; p = &(*p)->next)
        if (*p == j) {
            *p = j->next;
            break;
        }
    /* out of the epoll set before closing: a script forked meanwhile holds
     * copies of our fds until it execs, and a registration lives as long as
     * any copy, so a closed fd could still report into the freed job */
    if (j->pidfd >= 0)
        epoll_ctl(u->epfd, EPOLL_CTL_DEL, j->pidfd, NULL);
    if (j->out >= 0)
        epoll_ctl(u->epfd, EPOLL_CTL_DEL, j->out, NULL);
    job_free(j);
}

/* the script's process: /bin/sh -c "2>&1 SCRIPT" as charon, stdout and
 * stderr on a pipe, stdin /dev/null, signals unblocked and default (kited reads its own
 * through a signalfd, with them blocked), its own process group so a timeout
 * kills what it started too */
static int spawn(struct updown_job *j, int out_w, int null_fd)
{
    char cmd[UPDOWN_SCRIPT_MAX + 8];
    snprintf(cmd, sizeof cmd, "2>&1 %s", j->script);
    char *argv[] = { "/bin/sh", "-c", cmd, NULL };
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, null_fd, 0);
    posix_spawn_file_actions_adddup2(&fa, out_w, 1);
    posix_spawn_file_actions_adddup2(&fa, out_w, 2); /* charon's "2>&1" covers only the first command */
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawnattr_setpgroup(&at, 0);
    int rc = posix_spawn(&j->pid, "/bin/sh", &fa, &at, argv, j->envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc)
        j->pid = 0;
    return rc;
}

static int watch(struct updown *u, int fd, struct handle *h)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = h };
    return epoll_ctl(u->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* 0, or -1 (logged; the job is dropped by the caller) */
static int job_start(struct updown *u, struct updown_job *j, uint64_t now)
{
    int p[2], null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0 || pipe2(p, O_CLOEXEC)) {
        logf_(u, 0, "updown %s: cannot run '%s': %s", j->what, j->script, strerror(errno));
        if (null_fd >= 0)
            close(null_fd);
        return -1;
    }
    int rc = spawn(j, p[1], null_fd);
    close(p[1]);
    close(null_fd);
    j->out = p[0];
    if (rc) {
        logf_(u, 0, "updown %s: cannot run '%s': %s", j->what, j->script, strerror(rc));
        return -1;
    }
    fcntl(j->out, F_SETFL, O_NONBLOCK);
    j->pidfd = (int)syscall(SYS_pidfd_open, j->pid, 0);
    j->h_out = (struct handle){ j, false };
    j->h_pid = (struct handle){ j, true };
    if (j->pidfd < 0 || watch(u, j->out, &j->h_out) || watch(u, j->pidfd, &j->h_pid)) {
        logf_(u, 0, "updown %s: cannot watch the script: %s; killed", j->what, strerror(errno));
        kill(-j->pid, SIGKILL);
        waitpid(j->pid, NULL, 0);
        return -1;
    }
    j->deadline = now + u->timeout_ms;
    u->started++;
    logf_(u, 2, "updown %s: running '%s' (pid %d)", j->what, j->script, (int)j->pid);
    return 0;
}

/* start every waiting job whose reqid has none running */
static void jobs_start(struct updown *u, uint64_t now)
{
    struct updown_job *j = u->jobs, *next;
    for (; j; j = next) {
        next = j->next;
        if (!j->pid && !reqid_running(u, j->reqid) && job_start(u, j, now)) {
            u->failed++;
            job_unlink(u, j);
        }
    }
}

static void queue(struct updown *u, const struct updown_sa *s, bool up, uint64_t now)
{
    struct updown_job *j = calloc(1, sizeof *j);
    size_t cap = 8192;
    if (j)
        j->envbuf = malloc(cap);
    if (!j || !j->envbuf) {
        logf_(u, 0, "updown %s %s: out of memory, script not run", up ? "up" : "down", s->child);
        free(j);
        return;
    }
    j->out = j->pidfd = -1;
    j->reqid = s->reqid;
    snprintf(j->script, sizeof j->script, "%s", s->script);
    const char *path = getenv("PATH");
    if (updown_env(s, up, path ? path : "/usr/sbin:/usr/bin:/sbin:/bin", j->envbuf, cap, j->envp,
                   sizeof j->envp / sizeof j->envp[0]) < 0) {
        logf_(u, 0, "updown %s: environment too large, script not run", s->child);
        job_free(j);
        return;
    }
    snprintf(j->what, sizeof j->what, "%s %s", up ? "up" : "down", s->child);
    struct updown_job **p = &u->jobs;
    while (*p)
        p = &(*p)->next;
    *p = j; /* in event order: a reqid's down after its up */
    jobs_start(u, now);
}

/* ---- output and exits ---- */

static void out_line(struct updown *u, struct updown_job *j)
{
    logf_(u, 1, "updown: %.*s", (int)j->line_n, j->line);
    j->line_n = 0;
}

/* what the script wrote: one log line per line (cut at 511 bytes) */
static void out_read(struct updown *u, struct updown_job *j)
{
    char buf[4096];
    ssize_t n;
    if (j->out < 0)
        return;
    while ((n = read(j->out, buf, sizeof buf)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                break;
            return;
        }
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n' || j->line_n == sizeof j->line) {
                out_line(u, j);
                if (buf[i] == '\n')
                    continue;
            }
            j->line[j->line_n++] = buf[i];
        }
    }
    if (j->line_n) /* the last line, without its newline */
        out_line(u, j);
    epoll_ctl(u->epfd, EPOLL_CTL_DEL, j->out, NULL);
    close(j->out);
    j->out = -1;
}

static void reaped(struct updown *u, struct updown_job *j, int st)
{
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        logf_(u, 2, "updown %s: done", j->what);
        return;
    }
    u->failed++;
    if (WIFEXITED(st))
        logf_(u, 0, "updown %s: '%s' failed with exit status %d", j->what, j->script, WEXITSTATUS(st));
    else
        logf_(u, 0, "updown %s: '%s' ended by signal %d", j->what, j->script, WTERMSIG(st));
}

static void exited(struct updown *u, struct updown_job *j)
{
    int st = 0;
    pid_t w = waitpid(j->pid, &st, WNOHANG);
    if (w == 0)
        return; /* not yet */
    if (w < 0) /* reaped elsewhere (it cannot be, but its pidfd would stay readable) */
        logf_(u, 0, "updown %s: cannot learn how '%s' ended: %s", j->what, j->script, strerror(errno));
    if (j->out >= 0) { /* what is left; a background child keeping the pipe is not waited for */
        out_read(u, j);
    }
    reaped(u, j, st);
    job_unlink(u, j);
}

void updown_run(struct updown *u, uint64_t now)
{
    struct epoll_event ev[16];
    int n;
    while (u->epfd >= 0 && (n = epoll_wait(u->epfd, ev, 16, 0)) > 0) {
        /* outputs first: a pidfd handled before its job's pipe in this batch
         * frees the job */
        for (int i = 0; i < n; i++) {
            struct handle *h = ev[i].data.ptr;
            if (!h->pid) {
                out_read(u, h->job);
                ev[i].data.ptr = NULL; /* done: its job may be freed below */
            }
        }
        for (int i = 0; i < n; i++) {
            struct handle *h = ev[i].data.ptr;
            if (h)
                exited(u, h->job);
        }
    }
    jobs_start(u, now);
}

uint64_t updown_tick(struct updown *u, uint64_t now)
{
    uint64_t next = UINT64_MAX;
    for (struct updown_job *j = u->jobs; j; j = j->next) {
        if (!j->pid)
            continue;
        if (j->deadline && now >= j->deadline) {
            logf_(u, 0, "updown %s: '%s' still running after %u ms, killed", j->what, j->script, u->timeout_ms);
            kill(-j->pid, SIGKILL);
            u->killed++;
            j->deadline = 0; /* its pidfd reports the end */
        } else if (j->deadline && j->deadline < next) {
            next = j->deadline;
        }
    }
    return next;
}

void updown_finish(struct updown *u)
{
    while (u->epfd >= 0 && u->jobs) {
        struct epoll_event ev;
        uint64_t now = mono_ms(), next = updown_tick(u, now);
        int wait = next == UINT64_MAX ? 100 : next > now + 100 ? 100 : (int)(next - now);
        if (epoll_wait(u->epfd, &ev, 1, wait) < 0 && errno != EINTR)
            break;
        updown_run(u, mono_ms());
    }
}

void updown_free(struct updown *u)
{
    while (u->jobs) {
        struct updown_job *j = u->jobs;
        if (j->pid) {
            kill(-j->pid, SIGKILL);
            waitpid(j->pid, NULL, 0);
        }
        u->jobs = j->next;
        job_free(j);
    }
    if (u->epfd >= 0)
        close(u->epfd);
    u->epfd = -1;
    free(u->recs);
    u->recs = NULL;
    u->n_recs = u->cap_recs = 0;
}

/* ---- the engine's events ---- */

void updown_child_up(struct updown *u, const struct ike_child_sa *c, const struct updown_sa *s, uint64_t now)
{
    const struct updown_rec *old = c->replaces_spi_in ? rec_find(u, c->replaces_spi_in) : NULL;
    uint32_t reqid = old ? old->sa.reqid : 0;
    struct updown_rec *r = rec_find(u, c->spi_in);
    if (!r && !(r = rec_add(u))) {
        logf_(u, 0, "updown up %s: out of memory, script not run", s->child);
        return;
    }
    r->spi_in = c->spi_in;
    r->sa = *s;
    if (reqid) { /* a rekey: charon runs nothing (child_rekey) */
        r->sa.reqid = reqid;
        return;
    }
    r->sa.reqid = u->next_reqid++;
    if (!u->next_reqid)
        u->next_reqid = 1;
    queue(u, &r->sa, true, now);
}

void updown_child_down(struct updown *u, uint32_t spi_in, uint64_t now)
{
    struct updown_rec *r = rec_find(u, spi_in);
    if (!r)
        return;
    struct updown_sa s = r->sa;
    rec_del(u, r);
    if (!reqid_live(u, s.reqid)) /* not a rekeyed SA whose successor lives on */
        queue(u, &s, false, now);
}

void updown_ike_down(struct updown *u, uint32_t ike_sa, uint64_t now)
{
    for (size_t i = 0; i < u->n_recs;) {
        if (u->recs[i].sa.ike_sa == ike_sa)
            updown_child_down(u, u->recs[i].spi_in, now); /* moves the last record here */
        else
            i++;
    }
}

void updown_ike_rekeyed(struct updown *u, uint32_t old_ike_sa, uint32_t ike_sa)
{
    for (size_t i = 0; i < u->n_recs; i++)
        if (u->recs[i].sa.ike_sa == old_ike_sa) {
            u->recs[i].sa.ike_sa = ike_sa;
            u->recs[i].sa.unique_id = ike_sa;
        }
}

/* ---- from the daemon's action ---- */

/* the interface holding `me`: charon names the one of the route to the
 * peer, which for a directly connected host is the same */
static void iface_of(const struct ike_addr *me, char *out, size_t cap)
{
    struct ifaddrs *ifa, *i;
    out[0] = 0;
    if (getifaddrs(&ifa))
        return;
    for (i = ifa; i && !out[0]; i = i->ifa_next) {
        const struct sockaddr *sa = i->ifa_addr;
        if (!sa || !i->ifa_name)
            continue;
        if (sa->sa_family == AF_INET && me->family == 4 &&
            !memcmp(&((const struct sockaddr_in *)sa)->sin_addr, me->ip, 4))
            snprintf(out, cap, "%s", i->ifa_name);
        else if (sa->sa_family == AF_INET6 && me->family == 6 &&
                 !memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr, me->ip, 16))
            snprintf(out, cap, "%s", i->ifa_name);
    }
    freeifaddrs(ifa);
}

static const struct conf_child *child_of(const struct kite_conf *conf, const char *conn, const char *child)
{
    int c = conf ? conf_conn_find(conf, conn) : -1;
    for (uint32_t i = 0; c >= 0 && i < conf->conns[c].n_children; i++)
        if (!strcmp(conf->conns[c].child[i].name, child))
            return &conf->conns[c].child[i];
    return NULL;
}

static const char *script_of(const struct kite_conf *conf, const char *conn, const char *child)
{
    const struct conf_child *ch = child_of(conf, conn, child);
    return ch && ch->updown[0] ? ch->updown : NULL;
}

static void up(struct updown *u, struct ike_engine *e, const struct kite_conf *conf, const struct ike_child_sa *c,
               uint64_t now)
{
    const char *script = script_of(conf, c->conn, c->name);
    struct ike_sa_info info;
    if (!script && !(c->replaces_spi_in && rec_find(u, c->replaces_spi_in)))
        return;
    struct updown_sa *s = calloc(1, sizeof *s);
    if (!s)
        return;
    snprintf(s->child, sizeof s->child, "%s", c->name);
    if (script)
        snprintf(s->script, sizeof s->script, "%s", script);
    else /* a rekey of an SA whose script was removed meanwhile: its down still runs */
        memcpy(s->script, rec_find(u, c->replaces_spi_in)->sa.script, sizeof s->script);
    s->unique_id = s->ike_sa = c->ike_sa;
    s->me = c->local;
    s->peer = c->remote;
    s->my_ts = c->local_ts;
    s->peer_ts = c->remote_ts;
    s->encap = c->encap;
    const struct conf_child *cc = child_of(conf, c->conn, c->name);
    s->hostaccess = cc && cc->hostaccess;
    iface_of(&c->local, s->iface, sizeof s->iface);
    if (ike_sa_info_by_id(e, c->ike_sa, &info)) {
        cred_id_format(info.local_id->type, span_of(info.local_id->data, info.local_id->len), s->my_id,
                       sizeof s->my_id);
        cred_id_format(info.remote_id->type, span_of(info.remote_id->data, info.remote_id->len), s->peer_id,
                       sizeof s->peer_id);
    }
    updown_child_up(u, c, s, now);
    free(s);
}

void updown_action(struct updown *u, struct ike_engine *e, const struct kite_conf *conf, const struct ike_action *a,
                   uint64_t now)
{
    switch (a->type) {
    case IKE_ACT_CHILD_UP: up(u, e, conf, &a->child, now); break;
    case IKE_ACT_CHILD_DOWN: updown_child_down(u, a->child.spi_in, now); break;
    case IKE_ACT_IKE_DOWN: updown_ike_down(u, a->ike_sa, now); break;
    case IKE_ACT_IKE_REKEYED: updown_ike_rekeyed(u, a->old_ike_sa, a->ike_sa); break;
    default: break;
    }
}
