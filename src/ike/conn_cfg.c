/* conn_cfg: a connection record's allocated lists (proposals, children and
 * their selectors and proposals, certificate files).  The engine keeps its
 * own deep copy of what it is given (ike_conn_put), frees it when the
 * connection goes and compares records whole when a reconfiguration loads
 * a connection again (conns.c: unchanged ones keep their SAs). */
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/secret.h"
#include "ike/ike.h"

size_t ike_files_count(const char (*files)[IKE_FILE_MAX])
{
    size_t n = 0;
    while (files && files[n][0])
        n++;
    return n;
}

/* n records of size bytes into a fresh allocation (NULL for none) */
static int dup_arr(void *dstp, const void *src, size_t n, size_t size)
{
    void **dst = dstp;
    *dst = NULL;
    if (!n || !src)
        return 0;
    if (!(*dst = malloc(n * size)))
        return KITE_E_NOMEM;
    memcpy(*dst, src, n * size);
    return 0;
}

static int dup_files(char (**dst)[IKE_FILE_MAX], const char (*src)[IKE_FILE_MAX])
{
    size_t n = ike_files_count(src);
    return dup_arr(dst, src, n ? n + 1 : 0, sizeof *src); /* with the empty name that ends it */
}

static void child_free(struct ike_child_cfg *ch)
{
    free(ch->local_ts);
    free(ch->remote_ts);
    free(ch->esp);
    ch->local_ts = ch->remote_ts = NULL;
    ch->esp = NULL;
}

static int child_copy(struct ike_child_cfg *d, const struct ike_child_cfg *s)
{
    memcpy(d, s, sizeof *d); /* padding too: ike_conn_cfg_equal compares whole records */
    d->local_ts = d->remote_ts = NULL;
    d->esp = NULL;
    int rc = dup_arr(&d->local_ts, s->local_ts, s->n_local_ts, sizeof *s->local_ts);
    rc = rc ? rc : dup_arr(&d->remote_ts, s->remote_ts, s->n_remote_ts, sizeof *s->remote_ts);
    rc = rc ? rc : dup_arr(&d->esp, s->esp, s->n_esp, sizeof *s->esp);
    if (rc)
        child_free(d);
    return rc;
}

void ike_conn_cfg_free(struct ike_conn_cfg *c)
{
    if (!c)
        return;
    for (uint32_t i = 0; c->child && i < c->n_children; i++)
        child_free(&c->child[i]);
    free(c->child);
    free(c->ike);
    free(c->local_certs);
    free(c->remote_certs);
    free(c->cacerts);
    c->child = NULL;
    c->ike = NULL;
    c->local_certs = c->remote_certs = c->cacerts = NULL;
    c->n_children = 0;
    c->n_ike = 0;
}

int ike_conn_cfg_copy(struct ike_conn_cfg *d, const struct ike_conn_cfg *s)
{
    memcpy(d, s, sizeof *d);
    d->child = NULL;
    d->ike = NULL;
    d->local_certs = d->remote_certs = d->cacerts = NULL;
    d->n_children = 0;
    int rc = dup_arr(&d->ike, s->ike, s->n_ike, sizeof *s->ike);
    rc = rc ? rc : dup_files(&d->local_certs, s->local_certs);
    rc = rc ? rc : dup_files(&d->remote_certs, s->remote_certs);
    rc = rc ? rc : dup_files(&d->cacerts, s->cacerts);
    if (!rc && s->n_children && !(d->child = calloc(s->n_children, sizeof *d->child)))
        rc = KITE_E_NOMEM;
    for (uint32_t i = 0; !rc && i < s->n_children; i++)
        if (!(rc = child_copy(&d->child[i], &s->child[i])))
            d->n_children = i + 1;
    if (rc)
        ike_conn_cfg_free(d);
    return rc;
}

static bool arr_eq(const void *a, const void *b, size_t n, size_t size)
{
    return !n || (a && b && !memcmp(a, b, n * size)) || (!a && !b);
}

static bool files_eq(const char (*a)[IKE_FILE_MAX], const char (*b)[IKE_FILE_MAX])
{
    size_t n = ike_files_count(a);
    return n == ike_files_count(b) && arr_eq(a, b, n, sizeof *a);
}

static bool child_eq(const struct ike_child_cfg *a, const struct ike_child_cfg *b)
{
    struct ike_child_cfg x, y;
    memcpy(&x, a, sizeof x);
    memcpy(&y, b, sizeof y);
    x.local_ts = y.local_ts = x.remote_ts = y.remote_ts = NULL;
    x.esp = y.esp = NULL;
    return !memcmp(&x, &y, sizeof x) && arr_eq(a->local_ts, b->local_ts, a->n_local_ts, sizeof *a->local_ts) &&
           arr_eq(a->remote_ts, b->remote_ts, a->n_remote_ts, sizeof *a->remote_ts) &&
           arr_eq(a->esp, b->esp, a->n_esp, sizeof *a->esp);
}

/* every scalar field (and the padding, records being copied whole) with
 * the lists left out, then the lists */
static bool shell_eq(const struct ike_conn_cfg *a, const struct ike_conn_cfg *b)
{
    struct ike_conn_cfg *x = malloc(2 * sizeof *x), *y = x ? x + 1 : NULL;
    if (!x)
        return false; /* different: the safe side */
    memcpy(x, a, sizeof *x);
    memcpy(y, b, sizeof *y);
    x->ike = y->ike = NULL;
    x->child = y->child = NULL;
    x->local_certs = y->local_certs = x->remote_certs = y->remote_certs = x->cacerts = y->cacerts = NULL;
    bool eq = !memcmp(x, y, sizeof *x);
    mem_wipe(x, 2 * sizeof *x); /* the PSK */
    free(x);
    return eq;
}

bool ike_conn_cfg_equal(const struct ike_conn_cfg *a, const struct ike_conn_cfg *b)
{
    if (!shell_eq(a, b) || !arr_eq(a->ike, b->ike, a->n_ike, sizeof *a->ike) ||
        !files_eq(a->local_certs, b->local_certs) || !files_eq(a->remote_certs, b->remote_certs) ||
        !files_eq(a->cacerts, b->cacerts))
        return false;
    for (uint32_t i = 0; i < a->n_children; i++)
        if (!child_eq(&a->child[i], &b->child[i]))
            return false;
    return true;
}
