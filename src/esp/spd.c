/* Traffic selectors and the outbound policy table (a tuple space), RFC 4301
 * 4.4.1 and 5.1. */
#include "esp/spd.h"
#include "base/err.h"
#include "crypto/rand.h"
#include <stdlib.h>
#include <string.h>

static size_t addr_len(uint8_t family)
{
    return family == ESP_IPV4 ? 4 : 16;
}

void esp_ts_any(struct esp_ts *ts, uint8_t family)
{
    memset(ts, 0, sizeof *ts);
    ts->family = family;
    ts->port_hi = UINT16_MAX;
    memset(ts->end, 0xff, addr_len(family));
}

bool esp_ts_match(const struct esp_ts *ts, const struct esp_flow *f, bool src)
{
    const uint8_t *a = src ? f->src : f->dst;
    uint16_t port = src ? f->sport : f->dport;
    size_t n = addr_len(f->family);
    if (ts->family != f->family)
        return false;
    if (ts->proto && ts->proto != f->proto)
        return false;
    /* addresses are big-endian, so byte order is numeric order */
    if (memcmp(a, ts->start, n) < 0 || memcmp(a, ts->end, n) > 0)
        return false;
    if (ts->port_lo == 0 && ts->port_hi == UINT16_MAX)
        return true;
    return f->ports_known && port >= ts->port_lo && port <= ts->port_hi;
}

static bool any_match(const struct esp_ts *ts, size_t n, const struct esp_flow *f, bool src)
{
    for (size_t i = 0; i < n; i++)
        if (esp_ts_match(&ts[i], f, src))
            return true;
    return false;
}

int esp_ts_check_inbound(const struct esp_ts *local, size_t n_local,
                         const struct esp_ts *remote, size_t n_remote,
                         const struct esp_flow *f)
{
    if (any_match(remote, n_remote, f, true) && any_match(local, n_local, f, false))
        return 0;
    return KITE_E_POLICY;
}

struct esp_spd_node {
    struct esp_policy p;      /* first: lookups hand out &node->p */
    uint64_t seq;
    uint64_t hash;            /* of its shape and masked addresses: kept for growth */
    struct esp_spd_node *next_sel, *next_id;
    /* the link that points at it in its selector chain: removal without a
     * walk (Child SAs with the same selectors, many road warriors behind
     * one subnet, share one chain) */
    struct esp_spd_node **pprev_sel;
};

enum { SPD_MIN_HEADS = 16 };

/* does a come before b: better priority, or as good and added earlier */
static bool before(const struct esp_spd_node *a, const struct esp_spd_node *b)
{
    return a->p.priority < b->p.priority || (a->p.priority == b->p.priority && a->seq < b->seq);
}

/* the bits two addresses share from the top: the enclosing prefix of a range */
static uint8_t common_len(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned x = a[i] ^ b[i], l = 0;
        if (!x)
            continue;
        while (!(x & 0x80))
            x <<= 1, l++;
        return (uint8_t)(i * 8 + l);
    }
    return (uint8_t)(n * 8);
}

/* a's first len bits, the rest zero; out holds 16 zero bytes */
static void mask(const uint8_t *a, unsigned len, uint8_t *out)
{
    size_t full = len / 8;
    memcpy(out, a, full);
    if (len % 8)
        out[full] = a[full] & (uint8_t)(0xff00u >> (len % 8));
}

static uint64_t mix(uint64_t h, const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
    h = (h ^ w) * UINT64_C(0x9e3779b97f4a7c15);
    return h ^ (h >> 29);
}

/* keyed hash of a shape and the two addresses masked to it */
static uint64_t sel_hash(const struct esp_spd *spd, const struct esp_spd_shape *sh, const uint8_t *src,
                         const uint8_t *dst)
{
    uint8_t m[32] = { 0 };
    mask(src, sh->llen, m);
    mask(dst, sh->rlen, m + 16);
    uint64_t h = spd->key[0] ^ ((uint64_t)sh->family << 16 | (uint64_t)sh->llen << 8 | sh->rlen);
    for (size_t i = 0; i < sizeof m; i += 8)
        h = mix(h, m + i);
    h = (h ^ spd->key[1]) * UINT64_C(0xff51afd7ed558ccd);
    return h ^ (h >> 33);
}

static size_t id_head(const struct esp_spd *spd, uint32_t id)
{
    return (size_t)((id * UINT64_C(0x9e3779b97f4a7c15)) >> 32) & (spd->nb - 1);
}

void esp_spd_init(struct esp_spd *spd)
{
    memset(spd, 0, sizeof *spd);
    crypto_random((uint8_t *)spd->key, sizeof spd->key);
}

void esp_spd_free(struct esp_spd *spd)
{
    for (size_t i = 0; i < spd->nb; i++)
        for (struct esp_spd_node *x = spd->sel[i], *next; x; x = next) {
            next = x->next_sel;
            free(x);
        }
    free(spd->sel);
    free(spd->ids);
    free(spd->shape);
    memset(spd, 0, sizeof *spd);
}

/* the policy's shape: family from its local selector, both prefixes in it */
static struct esp_spd_shape shape_of(const struct esp_policy *p)
{
    size_t n = addr_len(p->local.family);
    return (struct esp_spd_shape){ p->local.family, common_len(p->local.start, p->local.end, n),
                                   common_len(p->remote.start, p->remote.end, n), 0 };
}

static struct esp_spd_shape *shape_find(struct esp_spd *spd, const struct esp_spd_shape *s)
{
    for (size_t i = 0; i < spd->n_shape; i++) {
        struct esp_spd_shape *t = &spd->shape[i];
        if (t->family == s->family && t->llen == s->llen && t->rlen == s->rlen)
            return t;
    }
    return NULL;
}

/* count one more policy of this shape; 0 or KITE_E_NOMEM */
static int shape_take(struct esp_spd *spd, const struct esp_spd_shape *s)
{
    struct esp_spd_shape *t = shape_find(spd, s);
    if (!t && spd->n_shape == spd->cap_shape) {
        size_t cap = spd->cap_shape ? spd->cap_shape * 2 : 4;
        t = realloc(spd->shape, cap * sizeof *t);
        if (!t)
            return KITE_E_NOMEM;
        spd->shape = t, spd->cap_shape = cap, t = NULL;
    }
    if (!t) {
        t = &spd->shape[spd->n_shape++];
        *t = *s;
    }
    t->n++;
    return 0;
}

static void shape_drop(struct esp_spd *spd, const struct esp_spd_shape *s)
{
    struct esp_spd_shape *t = shape_find(spd, s);
    if (t && --t->n == 0)
        *t = spd->shape[--spd->n_shape];
}

static void link_sel(struct esp_spd_node **head, struct esp_spd_node *x)
{
    while (*head && before(*head, x))
        head = &(*head)->next_sel;
    x->next_sel = *head;
    x->pprev_sel = head;
    if (*head)
        (*head)->pprev_sel = &x->next_sel;
    *head = x;
}

/* double the heads; each old chain splits in two, in order, so the new
 * chains keep precedence order without sorting */
static int grow(struct esp_spd *spd)
{
    size_t nb = spd->nb ? spd->nb * 2 : SPD_MIN_HEADS;
    struct esp_spd_node **sel = calloc(nb, sizeof *sel), **ids = calloc(nb, sizeof *ids);
    if (!sel || !ids) {
        free(sel);
        free(ids);
        return KITE_E_NOMEM;
    }
    for (size_t i = 0; i < spd->nb; i++) {
        struct esp_spd_node **tail[2] = { &sel[i], &sel[i + spd->nb] };
        for (struct esp_spd_node *x = spd->sel[i], *next; x; x = next) {
            next = x->next_sel;
            size_t half = (x->hash & (nb - 1)) != i;
            x->next_sel = NULL;
            x->pprev_sel = tail[half];
            *tail[half] = x;
            tail[half] = &x->next_sel;
        }
    }
    free(spd->sel);
    free(spd->ids);
    spd->sel = sel, spd->ids = ids;
    spd->nb = nb;
    for (size_t i = 0; i < nb; i++) /* the id chains, from the selector chains */
        for (struct esp_spd_node *x = sel[i]; x; x = x->next_sel) {
            size_t h = id_head(spd, x->p.id);
            x->next_id = ids[h], ids[h] = x;
        }
    return 0;
}

int esp_spd_add(struct esp_spd *spd, const struct esp_policy *p)
{
    struct esp_spd_shape s = shape_of(p);
    if (spd->n + 1 > spd->nb && grow(spd))
        return KITE_E_NOMEM;
    struct esp_spd_node *x = calloc(1, sizeof *x);
    if (!x || shape_take(spd, &s)) {
        free(x);
        return KITE_E_NOMEM;
    }
    x->p = *p;
    x->seq = spd->seq++;
    x->hash = sel_hash(spd, &s, p->local.start, p->remote.start);
    link_sel(&spd->sel[x->hash & (spd->nb - 1)], x);
    size_t h = id_head(spd, p->id);
    x->next_id = spd->ids[h], spd->ids[h] = x;
    spd->n++;
    return 0;
}

static void unlink_sel(struct esp_spd_node *x)
{
    *x->pprev_sel = x->next_sel;
    if (x->next_sel)
        x->next_sel->pprev_sel = x->pprev_sel;
}

size_t esp_spd_remove(struct esp_spd *spd, uint32_t id)
{
    size_t gone = 0;
    if (!spd->nb)
        return 0;
    for (struct esp_spd_node **pp = &spd->ids[id_head(spd, id)]; *pp;) {
        struct esp_spd_node *x = *pp;
        if (x->p.id != id) {
            pp = &x->next_id;
            continue;
        }
        *pp = x->next_id;
        unlink_sel(x);
        struct esp_spd_shape s = shape_of(&x->p);
        shape_drop(spd, &s);
        free(x);
        gone++;
    }
    spd->n -= gone;
    return gone;
}

const struct esp_policy *esp_spd_lookup(const struct esp_spd *spd, const struct esp_flow *f)
{
    const struct esp_spd_node *best = NULL;
    for (size_t i = 0; i < spd->n_shape; i++) {
        const struct esp_spd_shape *sh = &spd->shape[i];
        if (sh->family != f->family)
            continue;
        /* a policy the packet fits shares its masked addresses, so it is on
         * this chain; the chain is in precedence order: its first fit is
         * its best, and nothing past `best` can beat it */
        uint64_t h = sel_hash(spd, sh, f->src, f->dst);
        for (const struct esp_spd_node *x = spd->sel[h & (spd->nb - 1)]; x; x = x->next_sel) {
            if (best && !before(x, best))
                break;
            if (esp_ts_match(&x->p.local, f, true) && esp_ts_match(&x->p.remote, f, false)) {
                best = x;
                break;
            }
        }
    }
    return best ? &best->p : NULL;
}
