/* trap: policies without an SA, and the acquires they start (trap.h). */
#include "sa/trap.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"

void trap_limits_default(struct trap_limits *l)
{
    l->queue = 8;
    l->hold_ms = 30000;
    l->retry_ms = 2000;
}

void trap_table_init(struct trap_table *t)
{
    memset(t, 0, sizeof *t);
    trap_limits_default(&t->lim);
}

/* the held packets go; counted as failed when `count` */
static void drop_held(struct trap_table *t, struct trap *tr, bool count)
{
    for (struct trap_pkt *p = tr->head, *next; p; p = next) {
        next = p->next;
        free(p);
    }
    if (count)
        t->cnt.failed += tr->n_held;
    tr->head = tr->tail = NULL;
    tr->n_held = 0;
}

static void trap_free(struct trap_table *t, struct uesp *u, struct trap *tr)
{
    if (u)
        esp_spd_remove(&u->spd, tr->policy_id);
    drop_held(t, tr, true);
    free(tr->local);
    free(tr->remote);
    free(tr);
}

void trap_table_free(struct trap_table *t, struct uesp *u)
{
    for (size_t i = 0; i < t->n; i++)
        trap_free(t, u, t->v[i]);
    free(t->v);
    t->v = NULL;
    t->n = t->cap = 0;
}

struct trap *trap_find(const struct trap_table *t, const char *conn, const char *child)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->v[i]->conn, conn) && !strcmp(t->v[i]->child, child))
            return t->v[i];
    return NULL;
}

struct trap *trap_by_policy(const struct trap_table *t, uint32_t policy_id)
{
    for (size_t i = 0; i < t->n; i++) /* traps are configuration: a handful */
        if (t->v[i]->policy_id == policy_id)
            return t->v[i];
    return NULL;
}

static bool same_ts(const struct trap *tr, const struct esp_ts *local, unsigned nl, const struct esp_ts *remote,
                    unsigned nr)
{
    return tr->n_local == nl && tr->n_remote == nr && !memcmp(tr->local, local, nl * sizeof *local) &&
           !memcmp(tr->remote, remote, nr * sizeof *remote);
}

/* one PROTECT policy without an SA per pair of selectors */
static int policies_add(struct uesp *u, const struct trap *tr)
{
    for (unsigned i = 0; i < tr->n_local; i++)
        for (unsigned j = 0; j < tr->n_remote; j++) {
            struct esp_policy p = { .id = tr->policy_id, .priority = TRAP_PRIORITY, .local = tr->local[i],
                                    .remote = tr->remote[j], .action = ESP_ACTION_PROTECT, .sa = NULL };
            if (esp_spd_add(&u->spd, &p)) {
                esp_spd_remove(&u->spd, tr->policy_id);
                return KITE_E_NOMEM;
            }
        }
    return 0;
}

static struct trap *trap_new(const char *conn, const char *child, unsigned origin, const struct esp_ts *local,
                             unsigned nl, const struct esp_ts *remote, unsigned nr)
{
    struct trap *tr = calloc(1, sizeof *tr);
    if (!tr)
        return NULL;
    tr->local = calloc(nl ? nl : 1, sizeof *local);
    tr->remote = calloc(nr ? nr : 1, sizeof *remote);
    if (!tr->local || !tr->remote) {
        free(tr->local);
        free(tr->remote);
        free(tr);
        return NULL;
    }
    snprintf(tr->conn, sizeof tr->conn, "%s", conn);
    snprintf(tr->child, sizeof tr->child, "%s", child);
    memcpy(tr->local, local, nl * sizeof *local);
    memcpy(tr->remote, remote, nr * sizeof *remote);
    tr->n_local = nl;
    tr->n_remote = nr;
    tr->origin = origin;
    return tr;
}

int trap_add(struct trap_table *t, struct uesp *u, const char *conn, const char *child, unsigned origin,
             const struct esp_ts *local, unsigned n_local, const struct esp_ts *remote, unsigned n_remote)
{
    struct trap *old = trap_find(t, conn, child);
    if (old && same_ts(old, local, n_local, remote, n_remote)) {
        old->origin |= origin;
        return 0;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        struct trap **v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return KITE_E_NOMEM;
        t->v = v;
        t->cap = cap;
    }
    struct trap *tr = trap_new(conn, child, origin, local, n_local, remote, n_remote);
    if (!tr)
        return KITE_E_NOMEM;
    tr->policy_id = u->next_policy++;
    if (policies_add(u, tr)) {
        trap_free(t, NULL, tr);
        return KITE_E_NOMEM;
    }
    if (old) { /* other selectors: the old policies go */
        tr->origin |= old->origin;
        trap_remove(t, u, conn, child);
    }
    t->v[t->n++] = tr;
    return 0;
}

int trap_remove(struct trap_table *t, struct uesp *u, const char *conn, const char *child)
{
    int n = 0;
    size_t kept = 0;
    for (size_t i = 0; i < t->n; i++) {
        struct trap *tr = t->v[i];
        if (!strcmp(tr->conn, conn) && (!child || !strcmp(tr->child, child))) {
            trap_free(t, u, tr);
            n++;
        } else {
            t->v[kept++] = tr;
        }
    }
    t->n = kept;
    return n;
}

/* the packet joins the queue, or is dropped when it is full */
static bool hold(struct trap_table *t, struct trap *tr, const uint8_t *pkt, size_t len)
{
    struct trap_pkt *p = tr->n_held < t->lim.queue ? malloc(sizeof *p + len) : NULL;
    if (!p) {
        t->cnt.queue_full++;
        return false;
    }
    p->next = NULL;
    p->len = len;
    memcpy(p->data, pkt, len);
    if (tr->tail)
        tr->tail->next = p;
    else
        tr->head = p;
    tr->tail = p;
    tr->n_held++;
    t->cnt.held++;
    return true;
}

/* an acquire past its hold time ends as failed */
static void expire(struct trap_table *t, struct trap *tr, uint64_t now)
{
    if (tr->acquiring && now - tr->acquired_at >= t->lim.hold_ms) {
        drop_held(t, tr, true);
        tr->acquiring = false;
        tr->failed = true;
        tr->failed_at = now;
    }
}

enum trap_verdict trap_packet(struct trap_table *t, uint32_t policy_id, const uint8_t *pkt, size_t len,
                              uint64_t now)
{
    struct trap *tr = trap_by_policy(t, policy_id);
    if (!tr)
        return TRAP_NONE;
    expire(t, tr, now);
    if (tr->acquiring)
        return hold(t, tr, pkt, len) ? TRAP_HELD : TRAP_DROPPED;
    if (tr->failed && now - tr->failed_at < t->lim.retry_ms) {
        t->cnt.limited++;
        return TRAP_DROPPED;
    }
    tr->acquiring = true;
    tr->failed = false;
    tr->acquired_at = now;
    tr->acquires++;
    t->cnt.acquires++;
    hold(t, tr, pkt, len);
    return TRAP_ACQUIRE;
}

int trap_up(struct trap_table *t, const char *conn, const char *child,
            void (*send)(void *ctx, const uint8_t *pkt, size_t len), void *ctx)
{
    struct trap *tr = trap_find(t, conn, child);
    if (!tr)
        return 0;
    int n = 0;
    struct trap_pkt *p = tr->head;
    tr->head = tr->tail = NULL; /* send() may come back here: the queue is taken first */
    tr->n_held = 0;
    tr->acquiring = tr->failed = false;
    for (struct trap_pkt *next; p; p = next, n++) {
        next = p->next;
        send(ctx, p->data, p->len);
        free(p);
    }
    t->cnt.sent += (uint64_t)n;
    return n;
}

int trap_failed(struct trap_table *t, const char *conn, const char *child, uint64_t now)
{
    int n = 0;
    for (size_t i = 0; i < t->n; i++) {
        struct trap *tr = t->v[i];
        if (!tr->acquiring || strcmp(tr->conn, conn) || (child && strcmp(tr->child, child)))
            continue;
        drop_held(t, tr, true);
        tr->acquiring = false;
        tr->failed = true;
        tr->failed_at = now;
        n++;
    }
    return n;
}

uint64_t trap_tick(struct trap_table *t, uint64_t now)
{
    uint64_t next = UINT64_MAX;
    for (size_t i = 0; i < t->n; i++) {
        struct trap *tr = t->v[i];
        expire(t, tr, now);
        if (tr->acquiring && tr->acquired_at + t->lim.hold_ms < next)
            next = tr->acquired_at + t->lim.hold_ms;
    }
    return next;
}
