/* vip: virtual IPs and DNS servers of a client on the host (vip.h). */
#include "daemon/vip.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "io/netlink.h"

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

/* run argv (no shell), stdin fed from `in` when not NULL; its exit status or -1 */
static int run(char *const argv[], const char *in)
{
    int fds[2] = { -1, -1 };
    /* a socket pair, not a pipe: a helper that exits without reading must
     * not SIGPIPE kited (MSG_NOSIGNAL) */
    if (in && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds))
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        if (in) {
            dup2(fds[0], 0);
            close(fds[0]);
            close(fds[1]);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    if (in) {
        close(fds[0]);
        if (pid > 0)
            (void)!send(fds[1], in, strlen(in), MSG_NOSIGNAL); /* one that reads nothing fails on its own */
        close(fds[1]);
    }
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void dns_apply(struct vip_ent *v, const struct dataplane *dp, struct log_sink *log)
{
    char path[512], list[256] = "", ifname[40], a[64];
    char *argv[4 + IKE_MAX_DNS] = { path };
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
            argv[3 + i] = strdup(ip_str(&v->dns[i], a, sizeof a));
        int rc = run(argv, NULL);
        for (unsigned i = 0; i < v->n_dns; i++)
            free(argv[3 + i]);
        v->dns_how = rc == 0 ? 'r' : 0;
        log_msg(log, LOG_DMN, rc ? 0 : 1, "DNS servers %s %s on %s through resolvectl%s", list,
                rc ? "not set" : "set", dp->tun_name, rc ? " (it failed)" : "");
    } else if (in_path("resolvconf", path, sizeof path)) {
        char in[512] = "";
        static char add[] = "-a";
        snprintf(ifname, sizeof ifname, "%s.kite", dp->tun_name);
        for (unsigned i = 0; i < v->n_dns; i++)
            snprintf(in + strlen(in), sizeof in - strlen(in), "nameserver %s\n", ip_str(&v->dns[i], a, sizeof a));
        argv[1] = add;
        argv[2] = ifname;
        int rc = run(argv, in);
        v->dns_how = rc == 0 ? 'c' : 0;
        log_msg(log, LOG_DMN, rc ? 0 : 1, "DNS servers %s %s through resolvconf (%s)%s", list,
                rc ? "not set" : "set", ifname, rc ? ": it failed" : "");
    } else
        log_msg(log, LOG_DMN, 0, "DNS servers %s received but not applied: neither resolvectl nor resolvconf "
                "is installed", list);
}

static void dns_revert(struct vip_ent *v, const struct dataplane *dp, struct log_sink *log)
{
    char path[512], ifname[40];
    static char revert[] = "revert", del[] = "-d";
    char *argv[4] = { path };
    if (v->dns_how == 'r' && in_path("resolvectl", path, sizeof path)) {
        argv[1] = revert;
        argv[2] = (char *)dp->tun_name;
    } else if (v->dns_how == 'c' && in_path("resolvconf", path, sizeof path)) {
        snprintf(ifname, sizeof ifname, "%s.kite", dp->tun_name);
        argv[1] = del;
        argv[2] = ifname;
    } else
        return;
    int rc = run(argv, NULL);
    log_msg(log, LOG_DMN, rc ? 0 : 1, "DNS servers of %s %s", dp->tun_name, rc ? "could not be removed" : "removed");
    v->dns_how = 0;
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
    dns_apply(v, dp, log);
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
    dns_revert(v, dp, log);
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
