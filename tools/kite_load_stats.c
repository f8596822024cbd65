/* kite_load_stats: identities, rate, id map, latencies and the report of the
 * load generator (see kite_load.h). */
#include "kite_load.h"
#include "ike/ike.h"
#include <stdlib.h>
#include <string.h>

int load_id_format(const char *fmt, uint32_t i, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = fmt; *p; p++) {
        char piece[16];
        if (*p != '%') {
            piece[0] = *p;
            piece[1] = 0;
        } else if (p[1] == 'u' || p[1] == 'x') {
            snprintf(piece, sizeof piece, p[1] == 'u' ? "%u" : "%x", (unsigned)i);
            p++;
        } else if (p[1] == '%') {
            strcpy(piece, "%");
            p++;
        } else {
            return -1;
        }
        size_t k = strlen(piece);
        if (o + k >= cap)
            return -1;
        memcpy(out + o, piece, k);
        o += k;
    }
    if (o >= cap)
        return -1;
    out[o] = 0;
    return 0;
}

int load_rate_parse(const char *s, double *per_s)
{
    char *end;
    double v = strtod(s, &end);
    double unit = 1;
    if (strcmp(end, "/m") == 0)
        unit = 60;
    else if (*end && strcmp(end, "/s") != 0)
        return -1;
    if (end == s || !(v > 0) || v > 1e9)
        return -1;
    *per_s = v / unit;
    return 0;
}

/* ---- id map ---- */

static uint32_t map_slot(uint32_t key)
{
    return key * 0x9e3779b1u; /* ids come in sequence: spread them */
}

int load_map_init(struct load_map *m, uint32_t n)
{
    uint32_t cap = 16;
    while (cap < 2 * (uint64_t)n && cap < (1u << 31))
        cap <<= 1;
    m->key = calloc(cap, sizeof *m->key);
    m->val = calloc(cap, sizeof *m->val);
    m->mask = cap - 1;
    if (!m->key || !m->val) {
        load_map_free(m);
        return -1;
    }
    return 0;
}

void load_map_free(struct load_map *m)
{
    free(m->key);
    free(m->val);
    m->key = m->val = NULL;
}

int load_map_put(struct load_map *m, uint32_t key, uint32_t val)
{
    if (!key)
        return -1;
    for (uint32_t k = 0, i = map_slot(key) & m->mask; k <= m->mask; k++, i = (i + 1) & m->mask)
        if (!m->key[i] || m->key[i] == key) {
            m->key[i] = key;
            m->val[i] = val;
            return 0;
        }
    return -1;
}

int64_t load_map_get(const struct load_map *m, uint32_t key)
{
    if (!key)
        return -1;
    for (uint32_t k = 0, i = map_slot(key) & m->mask; k <= m->mask && m->key[i]; k++, i = (i + 1) & m->mask)
        if (m->key[i] == key)
            return m->val[i];
    return -1;
}

/* linear probing: the entries after the hole that would no longer be found move up */
void load_map_del(struct load_map *m, uint32_t key)
{
    uint32_t i = map_slot(key) & m->mask;
    while (m->key[i] && m->key[i] != key)
        i = (i + 1) & m->mask;
    if (!key || !m->key[i])
        return;
    m->key[i] = 0;
    for (uint32_t j = (i + 1) & m->mask; m->key[j]; j = (j + 1) & m->mask) {
        uint32_t home = map_slot(m->key[j]) & m->mask;
        /* j's entry may fill the hole at i unless its home lies in (i, j] */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (stays)
            continue;
        m->key[i] = m->key[j];
        m->val[i] = m->val[j];
        m->key[j] = 0;
        i = j;
    }
}

/* ---- latencies ---- */

int load_lat_add(struct load_lat *l, uint32_t us)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 1024;
        uint32_t *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = us;
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

uint32_t load_lat_pct(struct load_lat *l, double p)
{
    if (!l->n)
        return 0;
    qsort(l->v, l->n, sizeof *l->v, cmp_u32);
    /* nearest rank: the smallest value with at least p% of them at or below it */
    double r = p / 100.0 * (double)l->n;
    size_t rank = (size_t)r;
    if ((double)rank < r)
        rank++;
    if (rank < 1)
        rank = 1;
    if (rank > l->n)
        rank = l->n;
    return l->v[rank - 1];
}

void load_lat_free(struct load_lat *l)
{
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

/* ---- report ---- */

const char *load_fail_name(enum load_fail f)
{
    static const char *const names[LOAD_F_N] = { "timeout", "AUTHENTICATION_FAILED", "NO_PROPOSAL_CHOSEN",
                                                 "TS_UNACCEPTABLE", "other", "unfinished" };
    return (unsigned)f < LOAD_F_N ? names[f] : NULL;
}

void load_report_latency(struct load_report *r, struct load_lat *lat)
{
    r->p50_us = load_lat_pct(lat, 50);
    r->p99_us = load_lat_pct(lat, 99);
    r->max_us = load_lat_pct(lat, 100);
}

double load_report_rate(const struct load_report *r)
{
    return r->setup_s > 0 ? r->established / r->setup_s : 0;
}

static void print_json(FILE *f, const struct load_report *r)
{
    fprintf(f, "{\"initiators\": %u, \"started\": %u, \"established\": %u, \"failed\": %u, \"failures\": {", r->n,
            r->started, r->established, r->failed);
    for (int k = 0; k < LOAD_F_N; k++)
        fprintf(f, "%s\"%s\": %llu", k ? ", " : "", load_fail_name(k), (unsigned long long)r->fail[k]);
    fprintf(f, "}, \"setup_s\": %.3f, \"sas_per_s\": %.1f, \"latency_ms\": {\"p50\": %.3f, \"p99\": %.3f, "
               "\"max\": %.3f}, \"rss_kb\": %ld}\n",
            r->setup_s, load_report_rate(r), r->p50_us / 1e3, r->p99_us / 1e3, r->max_us / 1e3, r->rss_kb);
}

void load_report_print(FILE *f, const struct load_report *r, bool json)
{
    if (json) {
        print_json(f, r);
        return;
    }
    fprintf(f, "initiators %u, started %u, established %u, failed %u in %.3f s (%.1f SAs/s)\n", r->n, r->started,
            r->established, r->failed, r->setup_s, load_report_rate(r));
    fprintf(f, "setup latency ms: p50 %.3f  p99 %.3f  max %.3f\n", r->p50_us / 1e3, r->p99_us / 1e3,
            r->max_us / 1e3);
    fprintf(f, "failures:");
    for (int k = 0; k < LOAD_F_N; k++)
        fprintf(f, " %s %llu%s", load_fail_name(k), (unsigned long long)r->fail[k], k + 1 < LOAD_F_N ? "," : "\n");
    fprintf(f, "kite-load RSS %ld KB\n", r->rss_kb);
}

void load_delete_print(FILE *f, uint32_t deleted, uint32_t of, double hold_s, double delete_s, bool json)
{
    if (json)
        fprintf(f, "{\"hold_s\": %.1f, \"deleted\": %u, \"of\": %u, \"delete_s\": %.3f}\n", hold_s, deleted, of,
                delete_s);
    else
        fprintf(f, "held %.1f s, then deleted %u of %u IKE SAs in %.3f s\n", hold_s, deleted, of, delete_s);
}

static int addr_cmp(const void *x, const void *y)
{
    const struct ike_addr *a = x, *b = y;
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    return memcmp(a->ip, b->ip, sizeof a->ip);
}

uint32_t load_addrs_distinct(struct ike_addr *a, uint32_t n)
{
    uint32_t d = 0;
    qsort(a, n, sizeof *a, addr_cmp);
    for (uint32_t i = 0; i < n; i++)
        d += !i || addr_cmp(&a[i - 1], &a[i]) != 0;
    return d;
}
