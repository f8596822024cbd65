/* Traffic selectors and the outbound policy list, RFC 4301 4.4.1 and 5.1. */
#include "esp/spd.h"
#include "base/err.h"
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

void esp_spd_init(struct esp_spd *spd)
{
    memset(spd, 0, sizeof *spd);
}

void esp_spd_free(struct esp_spd *spd)
{
    free(spd->v);
    memset(spd, 0, sizeof *spd);
}

int esp_spd_add(struct esp_spd *spd, const struct esp_policy *p)
{
    size_t at = spd->n;
    if (spd->n == spd->cap) {
        size_t cap = spd->cap ? spd->cap * 2 : 8;
        struct esp_policy *v = realloc(spd->v, cap * sizeof *v);
        if (!v)
            return KITE_E_NOMEM;
        spd->v = v;
        spd->cap = cap;
    }
    /* v[] holds the list back to front (the most preferred last): a new
     * Child SA's policy, the most preferred so far, is appended, not moved in
     * front of 100,000 others */
    while (at > 0 && spd->v[at - 1].priority <= p->priority)
        at--;
    memmove(&spd->v[at + 1], &spd->v[at], (spd->n - at) * sizeof *spd->v);
    spd->v[at] = *p;
    spd->n++;
    return 0;
}

size_t esp_spd_remove(struct esp_spd *spd, uint32_t id)
{
    size_t kept = 0, n = spd->n;
    for (size_t i = 0; i < n; i++)
        if (spd->v[i].id != id)
            spd->v[kept++] = spd->v[i];
    spd->n = kept;
    return n - kept;
}

const struct esp_policy *esp_spd_lookup(const struct esp_spd *spd, const struct esp_flow *f)
{
    for (size_t i = spd->n; i-- > 0;) { /* the most preferred first: v[] is back to front */
        const struct esp_policy *p = &spd->v[i];
        if (esp_ts_match(&p->local, f, true) && esp_ts_match(&p->remote, f, false))
            return p;
    }
    return NULL;
}
