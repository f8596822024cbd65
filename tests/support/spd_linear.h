/* spd_linear: the SPD as kite kept it before the hashed one (esp/spd.c), a
 * list sorted by (priority, insertion order) and searched front to back.
 * Kept only as the reference the precedence test compares esp_spd_lookup()
 * against, and as the anchor bench/spd_bench measures beside it.  Header
 * only (static functions): not part of the library. */
#ifndef KITE_TEST_SPD_LINEAR_H
#define KITE_TEST_SPD_LINEAR_H
#include <stdlib.h>
#include <string.h>
#include "esp/spd.h"

struct spd_linear {
    struct esp_policy *v; /* back to front: the most preferred last */
    size_t n, cap;
};

static inline void spd_linear_free(struct spd_linear *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* after every policy of lower or equal priority; 0 or -1 (no memory) */
static inline int spd_linear_add(struct spd_linear *l, const struct esp_policy *p)
{
    size_t at = l->n;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        struct esp_policy *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    while (at > 0 && l->v[at - 1].priority <= p->priority)
        at--;
    memmove(&l->v[at + 1], &l->v[at], (l->n - at) * sizeof *l->v);
    l->v[at] = *p;
    l->n++;
    return 0;
}

static inline size_t spd_linear_remove(struct spd_linear *l, uint32_t id)
{
    size_t kept = 0, n = l->n;
    for (size_t i = 0; i < n; i++)
        if (l->v[i].id != id)
            l->v[kept++] = l->v[i];
    l->n = kept;
    return n - kept;
}

static inline const struct esp_policy *spd_linear_lookup(const struct spd_linear *l, const struct esp_flow *f)
{
    for (size_t i = l->n; i-- > 0;) {
        const struct esp_policy *p = &l->v[i];
        if (esp_ts_match(&p->local, f, true) && esp_ts_match(&p->remote, f, false))
            return p;
    }
    return NULL;
}

#endif
