/* conf_lists: the allocated lists of a connection and a secret (children,
 * selectors, proposals, certificate files, ids): grown while parsing,
 * deep-copied when a running configuration is copied (conf_dup, VICI's
 * load-conn) and freed with their record.  No count is compiled in but the
 * protocol's (conf.h). */
#include <stdlib.h>
#include <string.h>
#include "conf/conf.h"
#include "conf/conf_int.h"

int conf_list_grow(void **arr, uint32_t *cap, uint32_t n, size_t size)
{
    if (n < *cap)
        return 0;
    uint32_t ncap = *cap ? *cap * 2 : 4;
    if (ncap <= *cap || (size_t)ncap > SIZE_MAX / size)
        return -1;
    void *p = realloc(*arr, (size_t)ncap * size);
    if (!p)
        return -1;
    memset((char *)p + (size_t)*cap * size, 0, (size_t)(ncap - *cap) * size);
    *arr = p;
    *cap = ncap;
    return 0;
}

/* n records of size bytes at src into a fresh allocation (NULL for none) */
static int dup_arr(void **dst, const void *src, size_t n, size_t size)
{
    *dst = NULL;
    if (!n || !src)
        return 0;
    if (!(*dst = malloc(n * size)))
        return -1;
    memcpy(*dst, src, n * size);
    return 0;
}

size_t conf_files_count(const char (*files)[CONF_FILE_MAX])
{
    size_t n = 0;
    while (files && files[n][0])
        n++;
    return n;
}

static int dup_files(char (**dst)[CONF_FILE_MAX], const char (*src)[CONF_FILE_MAX])
{
    size_t n = conf_files_count(src);
    return dup_arr((void **)dst, src, n ? n + 1 : 0, sizeof *src); /* the empty name that ends it too */
}

static void child_free(struct conf_child *ch)
{
    free(ch->local_ts);
    free(ch->remote_ts);
    free(ch->esp);
    ch->local_ts = ch->remote_ts = NULL;
    ch->esp = NULL;
}

static int child_copy(struct conf_child *d, const struct conf_child *s)
{
    *d = *s;
    int rc = dup_arr((void **)&d->local_ts, s->local_ts, s->n_local_ts, sizeof *s->local_ts);
    rc = rc ? rc : dup_arr((void **)&d->remote_ts, s->remote_ts, s->n_remote_ts, sizeof *s->remote_ts);
    rc = rc ? rc : dup_arr((void **)&d->esp, s->esp, s->n_esp, sizeof *s->esp);
    if (rc) {
        if (d->local_ts == s->local_ts)
            d->local_ts = NULL;
        if (d->remote_ts == s->remote_ts)
            d->remote_ts = NULL;
        if (d->esp == s->esp)
            d->esp = NULL;
        child_free(d);
    }
    return rc;
}

void conf_conn_free(struct conf_conn *c)
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

int conf_conn_copy(struct conf_conn *d, const struct conf_conn *s)
{
    *d = *s;
    d->child = NULL;
    d->ike = NULL;
    d->local_certs = d->remote_certs = d->cacerts = NULL;
    d->n_children = 0;
    int rc = dup_arr((void **)&d->ike, s->ike, s->n_ike, sizeof *s->ike);
    rc = rc ? rc : dup_files(&d->local_certs, s->local_certs);
    rc = rc ? rc : dup_files(&d->remote_certs, s->remote_certs);
    rc = rc ? rc : dup_files(&d->cacerts, s->cacerts);
    if (!rc && s->n_children && !(d->child = calloc(s->n_children, sizeof *d->child)))
        rc = -1;
    for (uint32_t i = 0; !rc && i < s->n_children; i++) {
        rc = child_copy(&d->child[i], &s->child[i]);
        if (!rc)
            d->n_children = i + 1;
    }
    if (rc)
        conf_conn_free(d);
    return rc;
}

void conf_secret_free(struct conf_secret *s)
{
    secret_free(&s->s);
    if (s->ids)
        mem_wipe(s->ids, s->n_ids * sizeof *s->ids);
    free(s->ids);
    s->ids = NULL;
    s->n_ids = 0;
}

int conf_secret_copy(struct conf_secret *d, const struct conf_secret *s)
{
    *d = *s;
    d->s = (struct secret){ 0 };
    d->ids = NULL;
    if (dup_arr((void **)&d->ids, s->ids, s->n_ids, sizeof *s->ids) || secret_from(&d->s, s->s.p, s->s.n)) {
        d->n_ids = d->ids ? d->n_ids : 0;
        conf_secret_free(d);
        return -1;
    }
    return 0;
}
