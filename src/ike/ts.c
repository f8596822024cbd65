/* ts: traffic selectors (RFC 7296 2.9, 3.13.1).  The responder narrows the
 * initiator's selectors to the intersection with its own configuration; the
 * first non-empty intersection is the answer (one selector per side, as
 * strongSwan does for a single subnet pair). */
#include <stdio.h>
#include <string.h>
#include "ike/ike_int.h"

static size_t alen(uint8_t family)
{
    return family == 6 ? 16 : 4;
}

int ike_ts_from_wire(const struct ike_ts_sel *sel, struct ike_ts_cfg *t)
{
    memset(t, 0, sizeof *t);
    if (sel->type == IKEV2_TS_IPV4_ADDR_RANGE)
        t->family = 4;
    else if (sel->type == IKEV2_TS_IPV6_ADDR_RANGE)
        t->family = 6;
    else
        return KITE_E_UNSUPPORTED;
    if (sel->start.n != alen(t->family) || sel->end.n != alen(t->family))
        return KITE_E_MALFORMED;
    t->ip_proto = sel->ip_proto;
    t->port_lo = sel->start_port;
    t->port_hi = sel->end_port;
    memcpy(t->lo, sel->start.p, sel->start.n);
    memcpy(t->hi, sel->end.p, sel->end.n);
    return 0;
}

void ike_ts_to_wire(const struct ike_ts_cfg *t, struct ike_ts_sel *sel)
{
    memset(sel, 0, sizeof *sel);
    sel->type = t->family == 6 ? IKEV2_TS_IPV6_ADDR_RANGE : IKEV2_TS_IPV4_ADDR_RANGE;
    sel->ip_proto = t->ip_proto;
    sel->start_port = t->port_lo;
    sel->end_port = t->port_hi;
    sel->start = span_of(t->lo, alen(t->family));
    sel->end = span_of(t->hi, alen(t->family));
}

static int cmp(const uint8_t *a, const uint8_t *b, size_t n)
{
    return memcmp(a, b, n);
}

/* intersection of two selectors; false when empty */
static bool intersect(const struct ike_ts_cfg *a, const struct ike_ts_cfg *b, struct ike_ts_cfg *out)
{
    if (a->family != b->family)
        return false;
    if (a->ip_proto && b->ip_proto && a->ip_proto != b->ip_proto)
        return false;
    size_t n = alen(a->family);
    memset(out, 0, sizeof *out);
    out->family = a->family;
    out->ip_proto = a->ip_proto ? a->ip_proto : b->ip_proto;
    out->port_lo = a->port_lo > b->port_lo ? a->port_lo : b->port_lo;
    out->port_hi = a->port_hi < b->port_hi ? a->port_hi : b->port_hi;
    memcpy(out->lo, cmp(a->lo, b->lo, n) > 0 ? a->lo : b->lo, n);
    memcpy(out->hi, cmp(a->hi, b->hi, n) < 0 ? a->hi : b->hi, n);
    return out->port_lo <= out->port_hi && cmp(out->lo, out->hi, n) <= 0;
}

int ike_ts_narrow(const struct ike_ts_cfg *mine, unsigned n_mine, const struct ike_ts *theirs,
                  struct ike_ts_cfg *out)
{
    for (unsigned i = 0; i < n_mine; i++) {
        for (unsigned j = 0; j < theirs->n; j++) {
            struct ike_ts_cfg t;
            if (ike_ts_from_wire(&theirs->sel[j], &t) == 0 && intersect(&mine[i], &t, out))
                return 0;
        }
    }
    return KITE_E_TS_UNACCEPTABLE;
}

bool ike_ts_within(const struct ike_ts_cfg *inner, const struct ike_ts_cfg *outer)
{
    size_t n = alen(inner->family);
    return inner->family == outer->family && (!outer->ip_proto || outer->ip_proto == inner->ip_proto) &&
           inner->port_lo >= outer->port_lo && inner->port_hi <= outer->port_hi &&
           cmp(inner->lo, outer->lo, n) >= 0 && cmp(inner->hi, outer->hi, n) <= 0;
}

bool ike_ts_subset(const struct ike_ts *got, const struct ike_ts_cfg *ours, unsigned n)
{
    if (!got->n)
        return false;
    for (unsigned j = 0; j < got->n; j++) {
        struct ike_ts_cfg t;
        bool in = false;
        if (ike_ts_from_wire(&got->sel[j], &t))
            return false; /* a type we never propose */
        for (unsigned i = 0; i < n && !in; i++)
            in = ike_ts_within(&t, &ours[i]);
        if (!in)
            return false;
    }
    return true;
}

void ike_ts_resolve(const struct ike_ts_cfg *in, unsigned n, const struct ike_addr *host, struct ike_ts_cfg *out,
                    unsigned *n_out)
{
    *n_out = 0;
    for (unsigned i = 0; i < n; i++) {
        struct ike_ts_cfg *t = &out[*n_out];
        *t = in[i];
        if (in[i].dynamic) {
            if (host->family != 4 && host->family != 6)
                continue; /* no address yet: the selector stands for nothing */
            t->dynamic = false;
            t->family = host->family;
            memcpy(t->lo, host->ip, 16);
            memcpy(t->hi, host->ip, 16);
        }
        (*n_out)++;
    }
}

/* our side when we have or ask for virtual IPs (RFC 7296 2.9, 3.15): a
 * `dynamic` selector is each virtual IP we were given, or, while the
 * CFG_REQUEST is still unanswered, 0.0.0.0/0 or ::/0 for each family asked,
 * which the gateway narrows to the address it assigns (as strongSwan's
 * clients propose); never the IKE address, which the tunnel does not carry */
static void resolve_vip_side(const struct ikesa *sa, const struct ike_ts_cfg *in, unsigned n, struct ike_ts_cfg *out,
                             unsigned *n_out)
{
    *n_out = 0;
    for (unsigned i = 0; i < n; i++) {
        if (!in[i].dynamic) {
            if (*n_out < IKE_MAX_TS_CFG)
                out[(*n_out)++] = in[i];
            continue;
        }
        for (uint8_t f = 4; f <= 6; f += 2) {
            const struct ike_addr *v = NULL;
            for (unsigned k = 0; k < sa->n_lvip && !v; k++)
                v = sa->lvip[k].family == f ? &sa->lvip[k] : NULL;
            if ((!v && (sa->n_lvip || !(sa->vip_want & 1u << f))) || *n_out >= IKE_MAX_TS_CFG)
                continue;
            struct ike_ts_cfg *t = &out[(*n_out)++];
            *t = in[i];
            t->dynamic = false;
            t->family = f;
            memset(t->lo, 0, sizeof t->lo);
            memset(t->hi, v ? 0 : 0xff, alen(f)); /* no address yet: the whole family */
            if (v) {
                memcpy(t->lo, v->ip, alen(f));
                memcpy(t->hi, v->ip, alen(f));
            }
        }
    }
}

void ike_ts_child(const struct ikesa *sa, const struct ike_child_cfg *ch, struct ike_ts_set *out)
{
    if (sa->n_lvip || sa->vip_want)
        resolve_vip_side(sa, ch->local_ts, ch->n_local_ts, out->l, &out->nl);
    else
        ike_ts_resolve(ch->local_ts, ch->n_local_ts, &sa->local, out->l, &out->nl);
    /* a peer we gave a virtual IP: `dynamic` is that address (RFC 7296 3.15, as strongSwan) */
    ike_ts_resolve(ch->remote_ts, ch->n_remote_ts, sa->n_rvip ? &sa->rvip[0].addr : &sa->remote, out->r, &out->nr);
}

static int prefix_len(const uint8_t *lo, const uint8_t *hi, size_t n)
{
    /* lo..hi is a prefix when lo has zeros and hi ones in the same host bits */
    int bits = 0;
    size_t i = 0;
    while (i < n && lo[i] == hi[i])
        bits += 8, i++;
    if (i == n)
        return bits;
    uint8_t diff = lo[i] ^ hi[i];
    int b = 8;
    while (diff) {
        diff >>= 1;
        b--;
    }
    uint8_t mask = (uint8_t)(0xff >> b);
    if ((lo[i] & mask) != 0 || (hi[i] & mask) != mask)
        return -1;
    for (size_t k = i + 1; k < n; k++)
        if (lo[k] != 0 || hi[k] != 0xff)
            return -1;
    return bits + b;
}

static size_t addr_fmt(const uint8_t *a, uint8_t family, char *buf, size_t cap)
{
    if (family == 4)
        return (size_t)snprintf(buf, cap, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
    size_t o = 0;
    for (int i = 0; i < 16 && o < cap; i += 2)
        o += (size_t)snprintf(buf + o, cap - o, "%s%x", i ? ":" : "", a[i] << 8 | a[i + 1]);
    return o;
}

const char *ike_ts_str(const struct ike_ts_cfg *t, char *buf, size_t cap)
{
    size_t n = alen(t->family), o = addr_fmt(t->lo, t->family, buf, cap);
    int pl = prefix_len(t->lo, t->hi, n);
    if (o < cap && pl >= 0)
        o += (size_t)snprintf(buf + o, cap - o, "/%d", pl);
    else if (o < cap) {
        o += (size_t)snprintf(buf + o, cap - o, "..");
        o += addr_fmt(t->hi, t->family, buf + o, cap - o);
    }
    if (o < cap && (t->ip_proto || t->port_lo != 0 || t->port_hi != 0xffff))
        snprintf(buf + o, cap - o, "[%u/%u-%u]", t->ip_proto, t->port_lo, t->port_hi);
    return buf;
}
