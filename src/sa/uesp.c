/* uesp: Child SAs into the userspace ESP core, and the two packet paths. */
#include "sa/uesp.h"
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/rd.h"
#include "base/secret.h"
#include "esp/decap.h"
#include "esp/encap.h"
#include "esp/ip.h"
#include "esp/natt.h"

#define CHILD_OF(sa, member) ((struct uesp_child *)((char *)(sa) - offsetof(struct uesp_child, member)))

/* ---- the index by IKE SA and the queue of limits to report ---- */

static size_t ike_head(unsigned nb, uint32_t ike_sa)
{
    return (size_t)((ike_sa * UINT64_C(0x9e3779b97f4a7c15)) >> 32) & (nb - 1);
}

static void ike_link(struct uesp *u, struct uesp_child *c)
{
    struct uesp_child **h = &u->by_ike[ike_head(u->nb_ike, c->ike_sa)];
    c->ike_prev = NULL;
    c->ike_next = *h;
    if (*h)
        (*h)->ike_prev = c;
    *h = c;
}

static void ike_unlink(struct uesp *u, struct uesp_child *c)
{
    if (c->ike_prev)
        c->ike_prev->ike_next = c->ike_next;
    else
        u->by_ike[ike_head(u->nb_ike, c->ike_sa)] = c->ike_next;
    if (c->ike_next)
        c->ike_next->ike_prev = c->ike_prev;
}

/* room in the index for one more Child SA: the heads doubled and every
 * installed Child SA relinked when full; 0 or KITE_E_NOMEM */
static int ike_room(struct uesp *u)
{
    if (u->n_children < u->nb_ike)
        return 0;
    unsigned nb = u->nb_ike ? u->nb_ike * 2 : 64;
    struct uesp_child **h = calloc(nb, sizeof *h);
    if (!h)
        return KITE_E_NOMEM;
    free(u->by_ike);
    u->by_ike = h;
    u->nb_ike = nb;
    for (unsigned i = 0; i < u->n_slots; i++)
        if (u->child[i])
            ike_link(u, u->child[i]);
    return 0;
}

static struct uesp_child *same_ike(struct uesp_child *c, uint32_t ike_sa)
{
    while (c && c->ike_sa != ike_sa)
        c = c->ike_next;
    return c;
}

struct uesp_child *uesp_ike_first(const struct uesp *u, uint32_t ike_sa)
{
    return u->nb_ike ? same_ike(u->by_ike[ike_head(u->nb_ike, ike_sa)], ike_sa) : NULL;
}

struct uesp_child *uesp_ike_next(const struct uesp_child *c)
{
    return same_ike(c->ike_next, c->ike_sa);
}

void uesp_ike_rekeyed(struct uesp *u, uint32_t old_ike_sa, uint32_t new_ike_sa)
{
    /* relinked at the head of their new chain: behind the walk, never met again */
    for (struct uesp_child *c = uesp_ike_first(u, old_ike_sa), *next; c; c = next) {
        next = uesp_ike_next(c);
        ike_unlink(u, c);
        c->ike_sa = new_ike_sa;
        ike_link(u, c);
    }
}

static const unsigned LIMIT_FLAGS = ESP_SA_SOFT_EXPIRED | ESP_SA_HARD_EXPIRED | ESP_SA_SEQ_EXHAUSTED;

static unsigned limits_new(const struct uesp_child *c)
{
    return (c->in.flags | c->out.flags) & ~c->reported & LIMIT_FLAGS;
}

/* after a packet went through one of c's SAs: a limit it passed is queued */
static void due_note(struct uesp *u, struct uesp_child *c)
{
    if (c->due || !limits_new(c))
        return;
    c->due = true;
    c->due_prev = NULL;
    c->due_next = u->due;
    if (u->due)
        u->due->due_prev = c;
    u->due = c;
}

static void due_unlink(struct uesp *u, struct uesp_child *c)
{
    if (!c->due)
        return;
    if (c->due_prev)
        c->due_prev->due_next = c->due_next;
    else
        u->due = c->due_next;
    if (c->due_next)
        c->due_next->due_prev = c->due_prev;
    c->due = false;
}

/* after an inbound packet: a Child SA whose last good packet is newer than
 * its last report joins the liveness queue (once) */
static void seen_note(struct uesp *u, struct uesp_child *c, uint64_t before)
{
    if (c->seen || c->in.cnt.last_used == before)
        return;
    c->seen = true;
    c->seen_prev = NULL;
    c->seen_next = u->seen;
    if (u->seen)
        u->seen->seen_prev = c;
    u->seen = c;
}

static void seen_unlink(struct uesp *u, struct uesp_child *c)
{
    if (!c->seen)
        return;
    if (c->seen_prev)
        c->seen_prev->seen_next = c->seen_next;
    else
        u->seen = c->seen_next;
    if (c->seen_next)
        c->seen_next->seen_prev = c->seen_prev;
    c->seen = false;
}

int uesp_init(struct uesp *u)
{
    memset(u, 0, sizeof *u);
    int rc = esp_sad_init(&u->sad, 64); /* grows as Child SAs come */
    if (rc)
        return rc;
    esp_spd_init(&u->spd);
    u->next_policy = 1;
    u->prio_top = 1u << 30;
    return 0;
}

/* the Child SA leaves the SAD and SPD, is wiped and freed; its slot is reused */
static void child_clear(struct uesp *u, struct uesp_child *c)
{
    unsigned slot = c->slot;
    due_unlink(u, c);
    seen_unlink(u, c);
    ike_unlink(u, c);
    esp_sad_remove(&u->sad, c->in.spi);
    if (c->policy_id)
        esp_spd_remove(&u->spd, c->policy_id);
    esp_sa_free(&c->in);
    esp_sa_free(&c->out);
    mem_wipe(c, sizeof *c);
    free(c);
    u->child[slot] = NULL;
    u->free_slots[u->n_free++] = slot; /* room for every slot: grown with the table */
    u->n_children--;
}

void uesp_free(struct uesp *u)
{
    for (unsigned i = 0; i < u->n_slots; i++)
        if (u->child[i])
            child_clear(u, u->child[i]);
    esp_sad_free(&u->sad);
    esp_spd_free(&u->spd);
    free(u->child);
    free(u->free_slots);
    free(u->by_ike);
    u->by_ike = NULL;
    u->nb_ike = 0;
    u->child = NULL;
    u->free_slots = NULL;
    u->n_slots = u->n_free = 0;
}

/* a free slot, the table doubled when there is none; UINT32_MAX: no memory */
static unsigned slot_take(struct uesp *u)
{
    if (u->n_free)
        return u->free_slots[--u->n_free];
    unsigned n = u->n_slots ? u->n_slots * 2 : 64;
    struct uesp_child **t = n > u->n_slots ? realloc(u->child, n * sizeof *t) : NULL;
    if (!t)
        return UINT32_MAX;
    u->child = t;
    unsigned *f = realloc(u->free_slots, n * sizeof *f);
    if (!f)
        return UINT32_MAX; /* the table is larger, the slots not yet offered: no harm */
    u->free_slots = f;
    memset(t + u->n_slots, 0, (n - u->n_slots) * sizeof *t);
    for (unsigned i = n - 1; i > u->n_slots; i--)
        u->free_slots[u->n_free++] = i;
    unsigned first = u->n_slots;
    u->n_slots = n;
    return first;
}

void uesp_ts(const struct ike_ts_cfg *in, struct esp_ts *out)
{
    memset(out, 0, sizeof *out);
    out->family = in->family == 6 ? ESP_IPV6 : ESP_IPV4;
    out->proto = in->ip_proto;
    out->port_lo = in->port_lo;
    out->port_hi = in->port_hi;
    memcpy(out->start, in->lo, 16);
    memcpy(out->end, in->hi, 16);
}

static void params(const struct ike_child_sa *c, bool in, uint32_t window, const struct esp_ts *lts,
                   const struct esp_ts *rts, struct esp_sa_params *p)
{
    memset(p, 0, sizeof *p);
    p->spi = in ? c->spi_in : c->spi_out;
    p->dir = in ? ESP_DIR_IN : ESP_DIR_OUT;
    p->mode = c->transport ? ESP_MODE_TRANSPORT : ESP_MODE_TUNNEL;
    p->encr_id = c->encr;
    p->encr_bits = c->encr_bits;
    p->integ_id = c->integ;
    p->encr_key = (struct span){ in ? c->encr_in : c->encr_out, c->key_len };
    p->integ_key = (struct span){ in ? c->integ_in : c->integ_out, c->integ_len };
    p->esn = c->esn;
    p->replay_window = in ? window : 0;
    p->udp_encap = c->encap;
    p->encap_sport = c->local.port;
    p->encap_dport = c->remote.port;
    p->limits = (struct esp_limits){ c->soft_bytes, c->hard_bytes, c->soft_packets, c->hard_packets };
    if (in && !c->transport) {
        p->ts_local = lts;
        p->n_ts_local = 1;
        p->ts_remote = rts;
        p->n_ts_remote = 1;
    }
}

static int install(struct uesp *u, const struct ike_child_sa *c, uint32_t replay_window, struct uesp_child *slot);
static void child_clear_unslotted(struct uesp *u, struct uesp_child *slot);

int uesp_install(struct uesp *u, const struct ike_child_sa *c, uint32_t replay_window,
                 const struct uesp_child **out)
{
    if (u->max_children && u->n_children >= u->max_children) {
        u->cnt.child_limit++;
        return KITE_E_LIMIT;
    }
    if (esp_sad_lookup(&u->sad, c->spi_in))
        return KITE_E_INVALID_SPI;
    if (ike_room(u))
        return KITE_E_NOMEM;
    struct uesp_child *slot = calloc(1, sizeof *slot);
    if (!slot)
        return KITE_E_NOMEM;
    int rc = install(u, c, replay_window, slot);
    unsigned i = rc ? UINT32_MAX : slot_take(u);
    if (i == UINT32_MAX) {
        if (!rc) /* no room in the table: undone */
            child_clear_unslotted(u, slot);
        free(slot);
        return rc ? rc : KITE_E_NOMEM;
    }
    slot->slot = i;
    u->child[i] = slot;
    u->n_children++;
    ike_link(u, slot);
    if (out)
        *out = slot;
    return 0;
}

/* the SAs, SAD entry and policy of a Child SA not yet in the table */
static void child_clear_unslotted(struct uesp *u, struct uesp_child *slot)
{
    esp_sad_remove(&u->sad, slot->in.spi);
    esp_spd_remove(&u->spd, slot->policy_id);
    esp_sa_free(&slot->in);
    esp_sa_free(&slot->out);
    mem_wipe(slot, sizeof *slot);
}

static int install(struct uesp *u, const struct ike_child_sa *c, uint32_t replay_window, struct uesp_child *slot)
{
    uesp_ts(&c->local_ts, &slot->ts_local);
    uesp_ts(&c->remote_ts, &slot->ts_remote);
    struct esp_sa_params p;
    params(c, true, replay_window, &slot->ts_local, &slot->ts_remote, &p);
    int rc = esp_sa_init(&slot->in, &p);
    if (rc)
        return rc;
    params(c, false, 0, NULL, NULL, &p);
    rc = esp_sa_init(&slot->out, &p);
    if (rc) {
        esp_sa_free(&slot->in);
        return rc;
    }
    rc = esp_sad_insert(&u->sad, &slot->in);
    if (rc) {
        esp_sa_free(&slot->in);
        esp_sa_free(&slot->out);
        return rc;
    }
    uint32_t prio = 0;
    const struct esp_sa *rep = c->replaces_spi_in ? esp_sad_lookup(&u->sad, c->replaces_spi_in) : NULL;
    if (rep && !c->takeover)
        prio = CHILD_OF(rep, in)->priority + 1;
    else
        prio = --u->prio_top;
    struct esp_policy pol = { .id = u->next_policy++, .priority = prio, .local = slot->ts_local,
                              .remote = slot->ts_remote, .action = ESP_ACTION_PROTECT, .sa = &slot->out };
    rc = esp_spd_add(&u->spd, &pol);
    if (rc) {
        esp_sad_remove(&u->sad, slot->in.spi);
        esp_sa_free(&slot->in);
        esp_sa_free(&slot->out);
        return rc;
    }
    slot->policy_id = pol.id;
    slot->priority = prio;
    slot->used = true;
    slot->ike_sa = c->ike_sa;
    memcpy(slot->conn, c->conn, sizeof slot->conn);
    memcpy(slot->name, c->name, sizeof slot->name);
    slot->transport = c->transport;
    slot->encap = c->encap;
    slot->local = c->local;
    slot->remote = c->remote;
    return 0;
}

const struct uesp_child *uesp_find(const struct uesp *u, uint32_t spi_in)
{
    struct esp_sa *sa = esp_sad_lookup(&u->sad, spi_in);
    return sa ? CHILD_OF(sa, in) : NULL;
}

int uesp_expired(struct uesp *u, uint32_t *spi_in, bool *hard)
{
    while (u->due) {
        struct uesp_child *c = u->due;
        unsigned news = limits_new(c);
        if (!news) {
            due_unlink(u, c);
            continue;
        }
        /* the soft limit first, even when both were passed at once: the
         * rekey must not be skipped */
        unsigned one = (news & ESP_SA_SOFT_EXPIRED) ? ESP_SA_SOFT_EXPIRED : news;
        c->reported |= one;
        if (!limits_new(c))
            due_unlink(u, c);
        *spi_in = c->in.spi;
        *hard = one != ESP_SA_SOFT_EXPIRED;
        return 1;
    }
    return 0;
}

const struct uesp_child *uesp_move(struct uesp *u, int *cursor, uint32_t ike_sa, const struct ike_addr *local,
                                   const struct ike_addr *remote, bool encap)
{
    /* *cursor: 0, or 1 + the slot of the Child SA moved last (moving removes none) */
    struct uesp_child *c = NULL;
    if (*cursor == 0)
        c = uesp_ike_first(u, ike_sa);
    else if (*cursor > 0 && uesp_child_at(u, (unsigned)*cursor - 1))
        c = uesp_ike_next(u->child[*cursor - 1]);
    if (!c || c->ike_sa != ike_sa) {
        *cursor = -1;
        return NULL;
    }
    c->local = *local;
    c->remote = *remote;
    c->encap = c->in.udp_encap = c->out.udp_encap = encap;
    c->in.encap_sport = c->out.encap_sport = local->port;
    c->in.encap_dport = c->out.encap_dport = remote->port;
    *cursor = (int)c->slot + 1;
    return c;
}

uint64_t uesp_last_out(const struct uesp *u, uint32_t ike_sa)
{
    uint64_t last = 0;
    for (const struct uesp_child *c = uesp_ike_first(u, ike_sa); c; c = uesp_ike_next(c))
        if (c->out.cnt.last_used > last)
            last = c->out.cnt.last_used;
    return last;
}

int uesp_last_used(struct uesp *u, uint32_t *spi_in, uint64_t *at)
{
    struct uesp_child *c = u->seen;
    if (!c)
        return 0;
    seen_unlink(u, c);
    *spi_in = c->in.spi;
    *at = c->in.cnt.last_used;
    return 1;
}

int uesp_retire(struct uesp *u, uint32_t spi_in)
{
    struct esp_sa *sa = esp_sad_lookup(&u->sad, spi_in);
    if (!sa)
        return KITE_E_NOT_FOUND;
    struct uesp_child *c = CHILD_OF(sa, in);
    if (c->policy_id)
        esp_spd_remove(&u->spd, c->policy_id);
    c->policy_id = 0;
    return 0;
}

int uesp_remove(struct uesp *u, uint32_t spi_in)
{
    struct esp_sa *sa = esp_sad_lookup(&u->sad, spi_in);
    if (!sa)
        return KITE_E_NOT_FOUND;
    child_clear(u, CHILD_OF(sa, in));
    return 0;
}

int uesp_remove_ike(struct uesp *u, uint32_t ike_sa)
{
    int n = 0;
    for (struct uesp_child *c = uesp_ike_first(u, ike_sa), *next; c; c = next, n++) {
        next = uesp_ike_next(c);
        child_clear(u, c);
    }
    return n;
}

/* the header length and upper protocol of a packet the host sent in
 * transport mode (no IPv6 extension headers: those are sent in the clear
 * only through a BYPASS policy, so they are refused here) */
static int transport_header(const uint8_t *p, size_t n, size_t *hl, uint8_t *proto)
{
    struct rd r;
    uint8_t vihl, nh;
    uint16_t frag;
    rd_init(&r, p, n);
    rd_u8(&r, &vihl);
    if (vihl >> 4 == 4) {
        rd_skip(&r, 5);
        rd_be16(&r, &frag);
        rd_skip(&r, 1);
        rd_u8(&r, &nh);
        size_t len = (size_t)(vihl & 15) * 4;
        if (r.err || len < 20 || len > n)
            return KITE_E_MALFORMED;
        if (frag & 0x3fff)
            return KITE_E_UNSUPPORTED; /* fragments: no reassembly in transport mode */
        *hl = len;
        *proto = nh;
        return 0;
    }
    rd_skip(&r, 5);
    rd_u8(&r, &nh);
    if (vihl >> 4 != 6 || r.err || n < 40)
        return KITE_E_MALFORMED;
    if (nh == IPPROTO_NUM_HOPOPTS || nh == IPPROTO_NUM_ROUTING || nh == IPPROTO_NUM_FRAGMENT ||
        nh == IPPROTO_NUM_DSTOPTS || nh == IPPROTO_NUM_AH)
        return KITE_E_UNSUPPORTED;
    *hl = 40;
    *proto = nh;
    return 0;
}

int uesp_outbound(struct uesp *u, struct esp_buf *b, uint64_t now, const struct uesp_child **via)
{
    const uint8_t *pkt = b->base + b->off;
    size_t iplen;
    struct esp_flow f;
    if (esp_ip_len(pkt, b->len, &iplen) || esp_flow_parse(pkt, b->len, &f)) {
        u->cnt.malformed++;
        return KITE_E_MALFORMED;
    }
    b->len = iplen; /* TUN hands whole packets; anything after is not ours */
    const struct esp_policy *p = esp_spd_lookup(&u->spd, &f);
    if (!p || p->action == ESP_ACTION_DISCARD) {
        u->cnt.no_policy++;
        return KITE_E_POLICY;
    }
    if (!p->sa) {
        u->cnt.no_sa++;
        u->no_sa_policy = p->id;
        return KITE_E_NOT_FOUND;
    }
    struct uesp_child *c = CHILD_OF(p->sa, out);
    uint8_t proto = 0;
    if (c->transport) {
        size_t hl;
        int rc = transport_header(pkt, b->len, &hl, &proto);
        if (rc) {
            u->cnt.malformed++;
            return rc;
        }
        b->off += hl;
        b->len -= hl;
    }
    int rc = esp_encap(p->sa, b, proto, now);
    due_note(u, c);
    if (rc) {
        u->cnt.encap_errors++;
        return rc;
    }
    *via = c;
    return 0;
}

static uint16_t ip4_checksum(const uint8_t *h, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(h[i] << 8 | h[i + 1]);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* transport mode: put a plain IP header in front of the payload */
static int rebuild_header(struct esp_buf *b, uint8_t family, const uint8_t *src, const uint8_t *dst, uint8_t nh)
{
    size_t hl = family == 6 ? 40 : 20;
    if (b->off < hl || b->len + hl > 65535)
        return KITE_E_NO_SPACE;
    b->off -= hl;
    b->len += hl;
    uint8_t *h = b->base + b->off;
    memset(h, 0, hl);
    if (family == 6) {
        h[0] = 0x60;
        h[4] = (uint8_t)((b->len - 40) >> 8);
        h[5] = (uint8_t)(b->len - 40);
        h[6] = nh;
        h[7] = 64;
        memcpy(h + 8, src, 16);
        memcpy(h + 24, dst, 16);
    } else {
        h[0] = 0x45;
        h[2] = (uint8_t)(b->len >> 8);
        h[3] = (uint8_t)b->len;
        h[8] = 64;
        h[9] = nh;
        memcpy(h + 12, src, 4);
        memcpy(h + 16, dst, 4);
        uint16_t ck = ip4_checksum(h, 20);
        h[10] = (uint8_t)(ck >> 8);
        h[11] = (uint8_t)ck;
    }
    return 0;
}

int uesp_inbound(struct uesp *u, struct esp_buf *b, uint64_t now, uint8_t family, const uint8_t *src,
                 const uint8_t *dst, const struct uesp_child **from)
{
    struct rd r;
    uint32_t spi = 0;
    rd_init(&r, b->base + b->off, b->len);
    if (rd_be32(&r, &spi) || b->len < 8) {
        u->cnt.malformed++;
        return KITE_E_TRUNCATED;
    }
    struct esp_sa *sa = esp_sad_lookup(&u->sad, spi);
    if (!sa) {
        u->cnt.unknown_spi++;
        u->unknown_spi = spi;
        return KITE_E_INVALID_SPI;
    }
    struct uesp_child *c = CHILD_OF(sa, in);
    uint8_t nh;
    uint64_t before = sa->cnt.last_used;
    int rc = esp_decap(sa, b, &nh, now);
    due_note(u, c);
    seen_note(u, c, before);
    if (rc)
        return rc; /* counted on the SA */
    if (nh == IPPROTO_NUM_NONE)
        return KITE_E_NOT_FOUND; /* dummy packet (RFC 4303 2.6) */
    if (c->transport) {
        rc = rebuild_header(b, family, src, dst, nh);
        /* a NAT changed the addresses the sender's TCP/UDP checksum covers (RFC 3948 3.1.2) */
        if (!rc && c->encap && esp_natt_fix_csum(b->base + b->off, b->len)) {
            sa->cnt.malformed++;
            return KITE_E_MALFORMED;
        }
        struct esp_flow f;
        if (!rc)
            rc = esp_flow_parse(b->base + b->off, b->len, &f);
        if (!rc)
            rc = esp_ts_check_inbound(&c->ts_local, 1, &c->ts_remote, 1, &f);
        if (rc) {
            sa->cnt.policy_drops++;
            return KITE_E_POLICY;
        }
    }
    *from = c;
    return 0;
}
