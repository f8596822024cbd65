/* resolve: DNS-named peers (resolve.h). */
#include "daemon/resolve.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int resolve_pick(const struct addrinfo *list, uint8_t family, struct ike_addr *out)
{
    for (const struct addrinfo *a = list; a; a = a->ai_next) {
        if (a->ai_family == AF_INET && (family == 0 || family == 4)) {
            memset(out, 0, sizeof *out);
            out->family = 4;
            memcpy(out->ip, &((const struct sockaddr_in *)a->ai_addr)->sin_addr, 4);
            return 0;
        }
        if (a->ai_family == AF_INET6 && (family == 0 || family == 6)) {
            memset(out, 0, sizeof *out);
            out->family = 6;
            memcpy(out->ip, &((const struct sockaddr_in6 *)a->ai_addr)->sin6_addr, 16);
            return 0;
        }
    }
    return -1;
}

static void hints_for(uint8_t family, struct addrinfo *h)
{
    memset(h, 0, sizeof *h);
    h->ai_family = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
    h->ai_socktype = SOCK_DGRAM;
}

int resolve_bounded(const char *name, uint8_t family, uint32_t timeout_ms, struct ike_addr *out)
{
    struct addrinfo hints;
    struct gaicb cb = { .ar_name = name, .ar_request = &hints }, *list[1] = { &cb };
    hints_for(family, &hints);
    if (getaddrinfo_a(GAI_NOWAIT, list, 1, NULL))
        return EAI_SYSTEM;
    struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000 };
    gai_suspend((const struct gaicb *const *)list, 1, &ts);
    int rc = gai_error(&cb);
    if (rc == EAI_INPROGRESS) {
        if (gai_cancel(&cb) != EAI_CANCELED) /* running in its thread: wait for it, it owns cb */
            while (gai_error(&cb) == EAI_INPROGRESS)
                gai_suspend((const struct gaicb *const *)list, 1, NULL);
        rc = EAI_AGAIN;
    }
    if (cb.ar_result) {
        if (!rc && resolve_pick(cb.ar_result, family, out))
            rc = EAI_NODATA;
        freeaddrinfo(cb.ar_result);
    }
    return rc;
}

/* ---- in the background ---- */

struct resolve_req {
    struct resolve_req *next;
    char conn[IKE_NAME_MAX];
    char host[256];
    uint8_t family;
    struct addrinfo hints;
    struct gaicb cb;
    int rc;        /* a fake resolver's answer, at once */
    struct ike_addr addr;
    bool fake_done;
};

static void say(struct resolver *r, int level, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r->log)
        r->log(r->log_ctx, level, msg);
}

void resolve_start(struct resolver *r, const char *conn, const char *host, uint8_t family)
{
    for (struct resolve_req *q = r->reqs; q; q = q->next)
        if (!strcmp(q->conn, conn))
            return; /* under way */
    struct resolve_req *q = calloc(1, sizeof *q);
    if (!q) {
        say(r, 0, "cannot resolve '%s' for '%s': out of memory", host, conn);
        return;
    }
    snprintf(q->conn, sizeof q->conn, "%s", conn);
    snprintf(q->host, sizeof q->host, "%s", host);
    q->family = family;
    if (r->fn) {
        q->rc = r->fn(r->ctx, host, family, &q->addr);
        q->fake_done = true;
    } else {
        hints_for(family, &q->hints);
        q->cb.ar_name = q->host;
        q->cb.ar_request = &q->hints;
        struct gaicb *list[1] = { &q->cb };
        if (getaddrinfo_a(GAI_NOWAIT, list, 1, NULL)) {
            say(r, 0, "cannot resolve '%s' for '%s': %s", host, conn, strerror(errno));
            free(q);
            return;
        }
    }
    q->next = r->reqs;
    r->reqs = q;
}

/* 1 finished (rc, addr set), 0 still running */
static int finished(struct resolve_req *q)
{
    if (q->fake_done)
        return 1;
    q->rc = gai_error(&q->cb);
    if (q->rc == EAI_INPROGRESS)
        return 0;
    if (q->cb.ar_result) {
        if (!q->rc && resolve_pick(q->cb.ar_result, q->family, &q->addr))
            q->rc = EAI_NODATA;
        freeaddrinfo(q->cb.ar_result);
        q->cb.ar_result = NULL;
    }
    return 1;
}

static void hand_over(struct resolver *r, struct ike_engine *e, const struct resolve_req *q)
{
    char a[64];
    r->done++;
    if (q->rc) {
        r->failed++;
        say(r, 0, "resolving '%s' for '%s' failed: %s; tried again after the next failure", q->host, q->conn,
            gai_strerror(q->rc));
        return;
    }
    const struct ike_conn_cfg *c = NULL;
    for (int i = 0; (c = ike_engine_conn(e, i)); i++)
        if (!strcmp(c->name, q->conn))
            break;
    if (!c)
        return; /* removed meanwhile */
    if (c->remote.family == q->addr.family && !memcmp(c->remote.ip, q->addr.ip, 16)) {
        say(r, 2, "'%s' of '%s' still resolves to %s", q->host, q->conn, ike_addr_str(&q->addr, a, sizeof a));
        return;
    }
    ike_engine_set_remote(e, q->conn, &q->addr);
    say(r, 1, "'%s' of '%s' resolves to %s now", q->host, q->conn, ike_addr_str(&q->addr, a, sizeof a));
}

uint64_t resolve_poll(struct resolver *r, struct ike_engine *e, uint64_t now)
{
    struct resolve_req **p = &r->reqs;
    while (*p) {
        struct resolve_req *q = *p;
        if (!finished(q)) {
            p = &q->next;
            continue;
        }
        hand_over(r, e, q);
        *p = q->next;
        free(q);
    }
    return r->reqs ? now + 50 : UINT64_MAX; /* getaddrinfo_a is polled */
}

void resolve_action(struct resolver *r, struct ike_engine *e, const struct ike_action *a)
{
    if (a->type != IKE_ACT_IKE_DOWN || !strncmp(a->reason, "rekeyed", 7))
        return;
    const struct ike_conn_cfg *c;
    for (int i = 0; (c = ike_engine_conn(e, i)); i++)
        if (!strcmp(c->name, a->conn) && c->remote_host[0]) {
            resolve_start(r, c->name, c->remote_host, c->local.family);
            return;
        }
}

void resolve_free(struct resolver *r)
{
    while (r->reqs) {
        struct resolve_req *q = r->reqs;
        if (!q->fake_done && gai_cancel(&q->cb) != EAI_CANCELED)
            while (gai_error(&q->cb) == EAI_INPROGRESS) {
                const struct gaicb *list[1] = { &q->cb };
                gai_suspend(list, 1, NULL);
            }
        if (!q->fake_done && q->cb.ar_result)
            freeaddrinfo(q->cb.ar_result);
        r->reqs = q->next;
        free(q);
    }
}
