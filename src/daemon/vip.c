/* vip: virtual IPs and DNS servers of a client on the host (vip.h). */
#include "daemon/vip.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "io/netlink.h"

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const char *ip_str(const struct ike_addr *a, char *buf, size_t cap)
{
    if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->ip, buf, (socklen_t)cap))
        snprintf(buf, cap, "?");
    return buf;
}

/* a program of that name in PATH, into path; false when none */
static bool in_path(const char *name, char *path, size_t cap)
{
    const char *p = getenv("PATH");
    char dirs[1024];
    snprintf(dirs, sizeof dirs, "%s", p && *p ? p : "/usr/sbin:/usr/bin:/sbin:/bin");
    char *save = NULL;
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(path, cap, "%s/%s", d, name);
        if (access(path, X_OK) == 0)
            return true;
    }
    return false;
}

/* the helpers' jobs (helper.c): tag = IKE SA id << 8 | what it does */
enum { JOB_RESOLVECTL = 'r', JOB_RESOLVCONF = 'c', JOB_REVERT = 'x' };

void vip_helper_done(void *ctx, uint64_t tag, const char *what, int status)
{
    struct vip_set *s = ctx;
    uint32_t ike_sa = (uint32_t)(tag >> 8);
    if ((tag & 0xff) == JOB_REVERT) {
        log_msg(s->log, LOG_DMN, status ? 0 : 1, "%s %s", what, status ? "could not be removed" : "removed");
        return;
    }
    log_msg(s->log, LOG_DMN, status ? 0 : 1, "%s %s%s", what, status ? "not set" : "set",
            status ? " (the helper failed)" : "");
    if (!status)
        return;
    for (unsigned i = 0; i < s->n; i++) /* nothing to revert when it goes */
        if (s->v[i].ike_sa == ike_sa && s->v[i].dns_how == (char)(tag & 0xff))
            s->v[i].dns_how = 0;
}

/* queue a helper; `how` is what the entry will have to revert (set now, so
 * that a revert queued before this one ends still follows it) */
static void job(struct vip_set *s, struct vip_ent *v, char *const argv[], const char *in, const char *what,
                char how)
{
    if (!s->run || helpers_queue(s->run, argv, in, what, (uint64_t)v->ike_sa << 8 | (uint8_t)how, s->now)) {
        log_msg(s->log, LOG_DMN, 0, "%s not %s: %s", what, how == JOB_REVERT ? "removed" : "set",
                s->run ? "out of memory" : "no helper queue");
        return;
    }
    v->dns_how = how == JOB_REVERT ? 0 : how;
}

static void dns_apply(struct vip_set *s, struct vip_ent *v, const struct dataplane *dp)
{
    char path[512], list[256] = "", ifname[40], a[64], what[400];
    char *argv[4 + IKE_MAX_DNS] = { path };
    char addrs[IKE_MAX_DNS][64];
    for (unsigned i = 0; i < v->n_dns; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? " " : "",
                 ip_str(&v->dns[i], a, sizeof a));
    if (!v->n_dns)
        return;
    if (in_path("resolvectl", path, sizeof path)) {
        static char dns[] = "dns";
        argv[1] = dns;
        argv[2] = (char *)dp->tun_name;
        for (unsigned i = 0; i < v->n_dns; i++)
            argv[3 + i] = (char *)ip_str(&v->dns[i], addrs[i], sizeof addrs[i]);
        snprintf(what, sizeof what, "DNS servers %s on %s through resolvectl:", list, dp->tun_name);
        job(s, v, argv, NULL, what, JOB_RESOLVECTL);
    } else if (in_path("resolvconf", path, sizeof path)) {
        char in[512] = "";
        static char add[] = "-a";
        snprintf(ifname, sizeof ifname, "%s.kite", dp->tun_name);
        for (unsigned i = 0; i < v->n_dns; i++)
            snprintf(in + strlen(in), sizeof in - strlen(in), "nameserver %s\n", ip_str(&v->dns[i], a, sizeof a));
        argv[1] = add;
        argv[2] = ifname;
        snprintf(what, sizeof what, "DNS servers %s through resolvconf (%s):", list, ifname);
        job(s, v, argv, in, what, JOB_RESOLVCONF);
    } else
        log_msg(s->log, LOG_DMN, 0, "DNS servers %s received but not applied: neither resolvectl nor resolvconf "
                "is installed", list);
}

static void dns_revert(struct vip_set *s, struct vip_ent *v, const struct dataplane *dp)
{
    char path[512], ifname[40], what[80];
    static char revert[] = "revert", del[] = "-d";
    char *argv[4] = { path };
    if (v->dns_how == JOB_RESOLVECTL && in_path("resolvectl", path, sizeof path)) {
        argv[1] = revert;
        argv[2] = (char *)dp->tun_name;
    } else if (v->dns_how == JOB_RESOLVCONF && in_path("resolvconf", path, sizeof path)) {
        snprintf(ifname, sizeof ifname, "%s.kite", dp->tun_name);
        argv[1] = del;
        argv[2] = ifname;
    } else
        return;
    snprintf(what, sizeof what, "DNS servers of %s:", dp->tun_name);
    job(s, v, argv, NULL, what, JOB_REVERT);
}

void vip_up(struct vip_set *s, struct dataplane *dp, struct log_sink *log, const struct ike_action *a)
{
    char buf[64];
    if (!dp->on) {
        log_msg(log, LOG_DMN, 0, "virtual IP of IKE_SA %s[%u] not installed: no data plane", a->conn, a->ike_sa);
        return;
    }
    if (s->n == s->cap) {
        unsigned cap = s->cap ? 2 * s->cap : 4;
        struct vip_ent *v = realloc(s->v, cap * sizeof *v);
        if (!v) {
            log_msg(log, LOG_DMN, 0, "virtual IP of IKE_SA %s[%u] not installed: out of memory", a->conn, a->ike_sa);
            return;
        }
        s->v = v;
        s->cap = cap;
    }
    struct vip_ent *v = &s->v[s->n++];
    memset(v, 0, sizeof *v);
    v->ike_sa = a->ike_sa;
    v->n_vip = a->n_vip;
    v->n_dns = a->n_dns;
    memcpy(v->vip, a->vip, sizeof v->vip);
    memcpy(v->dns, a->dns, sizeof v->dns);
    for (unsigned i = 0; i < v->n_vip; i++) {
        const struct ike_addr *x = &v->vip[i];
        int rc = nl_addr(true, dp->tun_ifindex, x->family == 6 ? AF_INET6 : AF_INET, x->ip, x->family == 6 ? 128 : 32);
        log_msg(log, LOG_DMN, rc ? 0 : 1, "virtual IP %s %s %s%s%s", ip_str(x, buf, sizeof buf),
                rc ? "could not be put on" : "installed on", dp->tun_name, rc ? ": " : "", rc ? strerror(-rc) : "");
    }
    s->log = log;
    s->now = now_ms();
    dns_apply(s, v, dp);
}

void vip_rekeyed(struct vip_set *s, uint32_t old_ike_sa, uint32_t new_ike_sa)
{
    for (unsigned i = 0; i < s->n; i++)
        if (s->v[i].ike_sa == old_ike_sa)
            s->v[i].ike_sa = new_ike_sa;
}

/* another IKE SA holds the same address: it stays on the device */
static bool held_elsewhere(const struct vip_set *s, unsigned k, const struct ike_addr *x)
{
    for (unsigned i = 0; i < s->n; i++)
        for (unsigned j = 0; i != k && j < s->v[i].n_vip; j++)
            if (s->v[i].vip[j].family == x->family && !memcmp(s->v[i].vip[j].ip, x->ip, 16))
                return true;
    return false;
}

static void remove_at(struct vip_set *s, struct dataplane *dp, struct log_sink *log, unsigned k)
{
    struct vip_ent *v = &s->v[k];
    char buf[64];
    for (unsigned i = 0; i < v->n_vip; i++) {
        const struct ike_addr *x = &v->vip[i];
        if (held_elsewhere(s, k, x))
            continue;
        int rc = dp->on ? nl_addr(false, dp->tun_ifindex, x->family == 6 ? AF_INET6 : AF_INET, x->ip,
                                  x->family == 6 ? 128 : 32) : 0;
        log_msg(log, LOG_DMN, rc ? 0 : 1, "virtual IP %s %s %s", ip_str(x, buf, sizeof buf),
                rc ? "could not be removed from" : "removed from", dp->tun_name);
    }
    s->log = log;
    s->now = now_ms();
    dns_revert(s, v, dp);
    s->v[k] = s->v[--s->n];
}

void vip_down(struct vip_set *s, struct dataplane *dp, struct log_sink *log, uint32_t ike_sa)
{
    for (unsigned i = 0; i < s->n;)
        if (s->v[i].ike_sa == ike_sa)
            remove_at(s, dp, log, i);
        else
            i++;
}

void vip_free(struct vip_set *s, struct dataplane *dp, struct log_sink *log)
{
    while (s->n)
        remove_at(s, dp, log, s->n - 1);
    free(s->v);
    s->v = NULL;
    s->cap = 0;
}
