/* Two engines back to back with a virtual clock: SEND actions of one become
 * ike_recv() of the other; hooks drop, duplicate or hold back datagrams. */
#ifndef KITE_TEST_HARNESS_H
#define KITE_TEST_HARNESS_H
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "crypto/registry.h"
#include "ike/ike.h"
#include "wire/ike.h"

/* Child SAs a side's model data plane holds (a test of many children needs
 * room for each with its predecessor in the grace time) */
enum { H_INST = 64 };

/* a Child SA as the data plane would hold it */
struct inst {
    uint32_t in, out;
    bool retired; /* inbound only */
    bool fresh;   /* a new Child SA, not a rekey: it replaces nothing that carried traffic */
    char name[IKE_NAME_MAX]; /* its child configuration */
    uint8_t key_len, encr_in[IKE_KEY_MAX], encr_out[IKE_KEY_MAX];
    uint32_t ike_sa; /* the IKE SA it belongs to (pair.per_ike) */
};

struct side {
    struct ike_engine *e;
    uint64_t rng;
    int ike_up, ike_down, child_up, child_down, ike_rekeyed;
    struct inst inst[H_INST]; /* installed, oldest first (the SA outbound traffic uses) */
    int n_inst;
    struct ike_child_sa child;
    int ike_keys;                 /* IKE_ACT_IKE_KEYS seen (ike_engine_set_keylog) */
    struct ike_sa_keys keys[4];   /* the first four */
    char down_reason[160];
    char log[131072];
    size_t log_len;
    /* IKE_ACT_VIP (configuration payloads): how many, the last one's
     * addresses, and the Child SAs up when it came */
    int vip_events, child_up_at_vip;
    uint8_t n_vip, n_dns;
    struct ike_addr vip[IKE_MAX_VIPS], dns[IKE_MAX_DNS];
};

struct pair {
    struct side a, b; /* a initiates */
    uint64_t now;
    int sent;              /* datagrams sent so far, both directions */
    int drop_nth[8];       /* 1-based numbers of datagrams to drop */
    int dup_nth;           /* a datagram delivered twice */
    int hold_nth;          /* a datagram delivered after the next one */
    struct ike_action held;
    struct side *held_to;
    bool holding;
    int drop_after;        /* drop every datagram numbered above this (0: none) */
    void (*check)(struct pair *p); /* called after every round of deliveries */
    int checks;            /* h_no_loss checks that passed */
    /* sees every datagram first: 0 delivers it, 1 drops it, 2 holds it back
     * until the next one is delivered (it may rewrite a->data) */
    int (*filter)(struct pair *p, struct side *from, struct ike_action *a);
    /* several IKE SAs per side (reauthentication): an IKE SA going down
     * takes only its own Child SAs (as the daemon's data plane does) */
    bool per_ike;
};

/* the exchange type, response flag and message ID of an IKE datagram */
static inline uint8_t dg_exchange(const struct ike_action *a)
{
    return a->len >= 28 ? a->data[18] : 0;
}

static inline bool dg_response(const struct ike_action *a)
{
    return a->len >= 28 && (a->data[19] & 0x20);
}

static inline uint32_t dg_msgid(const struct ike_action *a)
{
    return a->len >= 28 ? (uint32_t)a->data[20] << 24 | (uint32_t)a->data[21] << 16 | (uint32_t)a->data[22] << 8 | a->data[23] : 0;
}

static void h_random(void *ctx, uint8_t *p, size_t n)
{
    uint64_t *s = ctx;
    for (size_t i = 0; i < n; i++) {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        p[i] = (uint8_t)*s;
    }
}

static void h_log(void *ctx, int subsys, int level, const char *msg)
{
    struct side *s = (struct side *)((char *)ctx - offsetof(struct side, rng));
    (void)subsys;
    (void)level;
    int n = snprintf(s->log + s->log_len, sizeof s->log - s->log_len, "%s\n", msg);
    if (n > 0 && (size_t)n < sizeof s->log - s->log_len)
        s->log_len += (size_t)n;
    if (getenv("KITE_TEST_LOG"))
        fprintf(stderr, "  %s\n", msg);
}

/* the wall clock certificates are checked at (0: the real one) */
static int64_t h_wall_time;
static int64_t h_wall(void *ctx)
{
    (void)ctx;
    return h_wall_time ? h_wall_time : (int64_t)time(NULL);
}

static inline struct ike_addr h_addr(uint8_t last, uint16_t port)
{
    struct ike_addr a = { .family = 4, .ip = { 192, 0, 2, last }, .port = port };
    return a;
}

static inline struct ike_ts_cfg h_ts(uint8_t a, uint8_t b, uint8_t c, uint8_t plen)
{
    struct ike_ts_cfg t = { .family = 4, .port_lo = 0, .port_hi = 0xffff };
    uint32_t ip = (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8;
    uint32_t mask = plen ? 0xffffffffu << (32 - plen) : 0;
    uint32_t lo = ip & mask, hi = lo | ~mask;
    for (int i = 0; i < 4; i++) {
        t.lo[i] = (uint8_t)(lo >> (24 - 8 * i));
        t.hi[i] = (uint8_t)(hi >> (24 - 8 * i));
    }
    return t;
}

/* a proposal from strongSwan-style keywords, e.g. "aes256gcm16 prfsha256 x25519" */
static inline struct ike_prop_cfg h_prop(const char *kws)
{
    struct ike_prop_cfg p = { 0 };
    char buf[256], *save = NULL;
    snprintf(buf, sizeof buf, "%s", kws);
    for (char *kw = strtok_r(buf, " ", &save); kw; kw = strtok_r(NULL, " ", &save)) {
        const struct xf_info *x = NULL;
        static const enum xf_type order[] = { XF_ENCR, XF_INTEG, XF_PRF, XF_KE, XF_ESN };
        for (unsigned i = 0; i < 5 && !x; i++)
            x = xf_by_keyword(order[i], kw);
        if (!x)
            fail_msg("unknown keyword %s", kw);
        p.xf[p.n].type = (uint8_t)x->type;
        p.xf[p.n].id = x->id;
        p.xf[p.n].key_bits = x->key_length_attr ? x->key_bits : 0;
        p.n++;
    }
    return p;
}

/* Configuration lists are allocated (ike.h); a test's connection gets lists
 * with room for H_ROOM entries each, kept reachable here until the test
 * process exits (the engine takes its own copies). */
enum { H_ROOM = 16 };
static void **h_kept;
static size_t h_n_kept;
static inline void *h_keep(size_t n, size_t size)
{
    static void **kept;
    static size_t n_kept, cap_kept;
    n_kept = h_n_kept;
    kept = h_kept;
    void *p = calloc(n, size);
    if (!p)
        fail_msg("out of memory");
    if (n_kept == cap_kept) {
        cap_kept = cap_kept ? 2 * cap_kept : 64;
        kept = realloc(kept, cap_kept * sizeof *kept);
        if (!kept)
            fail_msg("out of memory");
    }
    kept[n_kept++] = p;
    h_kept = kept;
    h_n_kept = n_kept;
    return p;
}

/* p freed and forgotten (searched from the newest) */
static inline void h_unkeep(void *p)
{
    for (size_t i = h_n_kept; p && i-- > 0;)
        if (h_kept[i] == p) {
            h_kept[i] = h_kept[--h_n_kept];
            free(p);
            return;
        }
}

/* the lists of an h_conn record freed, once the engine has its copy (tests
 * that make thousands of connections keep their memory flat) */
static inline void h_conn_free(struct ike_conn_cfg *c)
{
    for (int i = 0; i < H_ROOM; i++) {
        h_unkeep(c->child[i].local_ts);
        h_unkeep(c->child[i].remote_ts);
        h_unkeep(c->child[i].esp);
    }
    h_unkeep(c->child);
    h_unkeep(c->ike);
    h_unkeep(c->local_certs);
    h_unkeep(c->remote_certs);
    h_unkeep(c->cacerts);
    c->child = NULL;
    c->ike = NULL;
    c->local_certs = c->remote_certs = c->cacerts = NULL;
}

/* dst: a copy of src with lists of its own (room for H_ROOM entries) */
static inline void h_child_copy(struct ike_child_cfg *dst, const struct ike_child_cfg *src)
{
    *dst = *src;
    dst->local_ts = h_keep(H_ROOM, sizeof *dst->local_ts);
    dst->remote_ts = h_keep(H_ROOM, sizeof *dst->remote_ts);
    dst->esp = h_keep(H_ROOM, sizeof *dst->esp);
    memcpy(dst->local_ts, src->local_ts, src->n_local_ts * sizeof *src->local_ts);
    memcpy(dst->remote_ts, src->remote_ts, src->n_remote_ts * sizeof *src->remote_ts);
    memcpy(dst->esp, src->esp, src->n_esp * sizeof *src->esp);
}

/* a connection between 192.0.2.<me> (10.<me>.0.0/24) and 192.0.2.<peer>;
 * its lists have room for H_ROOM children, selectors and proposals */
static inline struct ike_conn_cfg h_conn(uint8_t me, uint8_t peer, const char *ike, const char *esp,
                                         const char *psk)
{
    struct ike_conn_cfg c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "lab");
    c.local = h_addr(me, 500);
    c.remote = h_addr(peer, 500);
    c.ike = h_keep(H_ROOM, sizeof *c.ike);
    c.child = h_keep(H_ROOM, sizeof *c.child);
    for (int i = 0; i < H_ROOM; i++) {
        c.child[i].local_ts = h_keep(H_ROOM, sizeof *c.child[i].local_ts);
        c.child[i].remote_ts = h_keep(H_ROOM, sizeof *c.child[i].remote_ts);
        c.child[i].esp = h_keep(H_ROOM, sizeof *c.child[i].esp);
    }
    c.local_certs = h_keep(H_ROOM, sizeof *c.local_certs); /* empty lists */
    c.remote_certs = h_keep(H_ROOM, sizeof *c.remote_certs);
    c.cacerts = h_keep(H_ROOM, sizeof *c.cacerts);
    c.n_ike = 1;
    c.ike[0] = h_prop(ike);
    c.local_id = (struct ike_id_cfg){ .type = IKEV2_ID_IPV4_ADDR, .len = 4, .data = { 192, 0, 2, me } };
    c.remote_id = (struct ike_id_cfg){ .type = IKEV2_ID_IPV4_ADDR, .len = 4, .data = { 192, 0, 2, peer } };
    c.psk_len = (uint8_t)strlen(psk);
    memcpy(c.psk, psk, c.psk_len);
    c.n_children = 1;
    snprintf(c.child[0].name, sizeof c.child[0].name, "net");
    c.child[0].n_local_ts = c.child[0].n_remote_ts = 1;
    c.child[0].local_ts[0] = h_ts(10, me, 0, 24);
    c.child[0].remote_ts[0] = h_ts(10, peer, 0, 24);
    c.child[0].n_esp = 1;
    c.child[0].esp[0] = h_prop(esp);
    return c;
}

/* nonce_a, nonce_b: the length of each side's nonces (ike_env.nonce_len; 0: 32) */
static inline void pair_init_nonces(struct pair *p, const struct ike_conn_cfg *ca, const struct ike_conn_cfg *cb,
                                    uint16_t nonce_a, uint16_t nonce_b)
{
    memset(p, 0, sizeof *p);
    p->a.rng = 0x1234567;
    p->b.rng = 0x7654321;
    struct ike_env ea = { &p->a.rng, h_random, h_log, nonce_a, h_wall }, eb = { &p->b.rng, h_random, h_log, nonce_b, h_wall };
    p->a.e = ike_engine_new(&ea);
    p->b.e = ike_engine_new(&eb);
    assert_non_null(p->a.e);
    assert_non_null(p->b.e);
    assert_int_equal(ike_engine_add_conn(p->a.e, ca), 0);
    assert_int_equal(ike_engine_add_conn(p->b.e, cb), 0);
    p->now = 1000;
}

static inline void pair_init(struct pair *p, const struct ike_conn_cfg *ca, const struct ike_conn_cfg *cb)
{
    pair_init_nonces(p, ca, cb, 0, 0);
}

static inline void pair_free(struct pair *p)
{
    ike_engine_free(p->a.e);
    ike_engine_free(p->b.e);
}

/* the Child SA a side installed with inbound SPI spi, or NULL */
static inline const struct inst *h_find_in(const struct side *s, uint32_t spi)
{
    for (int i = 0; i < s->n_inst; i++)
        if (s->inst[i].in == spi)
            return &s->inst[i];
    return NULL;
}

/* Child SAs that still carry outbound traffic (retired ones only decrypt) */
static inline int h_live(const struct side *s)
{
    int n = 0;
    for (int i = 0; i < s->n_inst; i++)
        n += !s->inst[i].retired;
    return n;
}

/* how often what occurs in a log */
static inline int h_count(const char *log, const char *what)
{
    int n = 0;
    for (const char *q = strstr(log, what); q; q = strstr(q + 1, what))
        n++;
    return n;
}

/* a pair's check: the SA each side sends with (its first live one) is
 * installed inbound on the other side with the same keys */
static inline void h_no_loss(struct pair *p)
{
    const struct side *sides[2] = { &p->a, &p->b };
    for (int k = 0; k < 2; k++) {
        const struct side *me = sides[k], *peer = sides[1 - k];
        const struct inst *out = NULL;
        for (int i = 0; i < me->n_inst && !out; i++)
            if (!me->inst[i].retired)
                out = &me->inst[i];
        if (!out || !peer->n_inst)
            continue; /* before the first Child SA or after the end */
        const struct inst *in = h_find_in(peer, out->out);
        if (!in)
            fail_msg("t=%llu: side %c sends with SPI %08x, which the peer has not installed",
                     (unsigned long long)p->now, k ? 'b' : 'a', out->out);
        assert_int_equal(in->key_len, out->key_len);
        assert_memory_equal(in->encr_in, out->encr_out, out->key_len);
        p->checks++;
    }
}

#ifdef KITE_IKE_INT_H
/* white-box tests (ike/ike_int.h included first): the side's established IKE
 * SA that no rekey has replaced */
static inline struct ikesa *h_est_sa(struct side *s)
{
    for (unsigned i = 0; i < s->e->n_slots; i++) {
        struct ikesa *sa = ike_sa_at(s->e, i);
        if (sa && sa->state == IKE_S_ESTABLISHED && !sa->replaced) {
            ike_sa_touch(s->e, sa); /* the test may change it: re-indexed (satab.c) */
            return sa;
        }
    }
    return NULL;
}

/* white-box tests change SA fields between calls: the table's indexes and
 * deadlines are brought up to date before the harness asks for them */
static inline void h_resync(struct ike_engine *e)
{
    for (unsigned i = 0; i < e->n_slots; i++)
        ike_sa_touch(e, ike_sa_at(e, i));
    ike_satab_sync(e);
}
#define H_RESYNC(e) h_resync(e)
#else
#define H_RESYNC(e) ((void)(e))
#endif

static inline bool listed(const int *list, int n, int v)
{
    for (int i = 0; i < n; i++)
        if (list[i] == v)
            return true;
    return false;
}

static inline void deliver(struct pair *p, struct side *to, const struct ike_action *a)
{
    ike_recv(to->e, a->data, a->len, &a->remote, &a->local, p->now);
}

/* handle every waiting action of one side; returns how many */
static inline int drain(struct pair *p, struct side *from, struct side *to)
{
    struct ike_action *a = malloc(sizeof *a);
    int n = 0;
    assert_non_null(a);
    while (ike_next_action(from->e, a)) {
        n++;
        switch (a->type) {
        case IKE_ACT_SEND: {
            int num = ++p->sent;
            int f = p->filter ? p->filter(p, from, a) : 0;
            if (f == 1 || listed(p->drop_nth, 8, num) || (p->drop_after && num > p->drop_after))
                break;
            if (p->hold_nth == num || f == 2) {
                p->held = *a;
                p->held_to = to;
                p->holding = true;
                break;
            }
            deliver(p, to, a);
            if (p->dup_nth == num)
                deliver(p, to, a);
            if (p->holding) {
                p->holding = false;
                deliver(p, p->held_to, &p->held);
            }
            break;
        }
        case IKE_ACT_IKE_UP: from->ike_up++; break;
        case IKE_ACT_VIP:
            from->vip_events++;
            from->child_up_at_vip = from->child_up;
            from->n_vip = a->n_vip;
            from->n_dns = a->n_dns;
            memcpy(from->vip, a->vip, sizeof from->vip);
            memcpy(from->dns, a->dns, sizeof from->dns);
            break;
        case IKE_ACT_IKE_REKEYED:
            from->ike_rekeyed++;
            for (int i = 0; i < from->n_inst; i++)
                if (from->inst[i].ike_sa == a->old_ike_sa)
                    from->inst[i].ike_sa = a->ike_sa;
            break;
        case IKE_ACT_IKE_KEYS:
            if (from->ike_keys < 4)
                from->keys[from->ike_keys] = a->ike_keys;
            from->ike_keys++;
            break;
        case IKE_ACT_IKE_DOWN:
            from->ike_down++;
            snprintf(from->down_reason, sizeof from->down_reason, "%s", a->reason);
            if (p->per_ike) {
                for (int i = from->n_inst - 1; i >= 0; i--)
                    if (from->inst[i].ike_sa == a->ike_sa) {
                        memmove(&from->inst[i], &from->inst[i + 1], (size_t)(from->n_inst - i - 1) * sizeof *from->inst);
                        from->n_inst--;
                    }
            } else if (strncmp(a->reason, "rekeyed", 7) != 0)
                from->n_inst = 0; /* one IKE SA per side in these tests; a rekeyed one gave its Child SAs on */
            break;
        case IKE_ACT_CHILD_UP:
            from->child_up++;
            from->child = a->child;
            if (from->n_inst < H_INST) {
                /* a takeover SA carries outbound traffic at once: first in the list */
                if (a->child.takeover)
                    memmove(&from->inst[1], &from->inst[0], (size_t)from->n_inst * sizeof *from->inst);
                struct inst *in = &from->inst[a->child.takeover ? 0 : from->n_inst];
                from->n_inst++;
                in->retired = false;
                in->fresh = !a->child.replaces_spi_in;
                memcpy(in->name, a->child.name, sizeof in->name);
                in->in = a->child.spi_in;
                in->out = a->child.spi_out;
                in->ike_sa = a->child.ike_sa;
                in->key_len = a->child.key_len;
                memcpy(in->encr_in, a->child.encr_in, sizeof in->encr_in);
                memcpy(in->encr_out, a->child.encr_out, sizeof in->encr_out);
            }
            break;
        case IKE_ACT_CHILD_RETIRE:
            for (int i = 0; i < from->n_inst; i++)
                if (from->inst[i].in == a->child.spi_in) {
                    struct inst r = from->inst[i];
                    r.retired = true;
                    memmove(&from->inst[i], &from->inst[i + 1], (size_t)(from->n_inst - i - 1) * sizeof *from->inst);
                    from->inst[from->n_inst - 1] = r;
                    break;
                }
            break;
        case IKE_ACT_CHILD_DOWN:
            from->child_down++;
            for (int i = 0; i < from->n_inst; i++)
                if (from->inst[i].in == a->child.spi_in) {
                    memmove(&from->inst[i], &from->inst[i + 1], (size_t)(from->n_inst - i - 1) * sizeof *from->inst);
                    from->n_inst--;
                    break;
                }
            break;
        default: break;
        }
        ike_action_wipe(a);
    }
    free(a);
    return n;
}

/* run until both sides are quiet and no deadline is due before `until` */
static inline void pair_run(struct pair *p, uint64_t until)
{
    for (int guard = 0; guard < 100000; guard++) {
        int n = drain(p, &p->a, &p->b) + drain(p, &p->b, &p->a);
        if (p->check)
            p->check(p);
        if (n)
            continue;
        H_RESYNC(p->a.e);
        H_RESYNC(p->b.e);
        uint64_t da = ike_next_deadline(p->a.e), db = ike_next_deadline(p->b.e);
        uint64_t next = da < db ? da : db;
        if (next == UINT64_MAX || next > until)
            return;
        if (next > p->now)
            p->now = next;
        ike_tick(p->a.e, p->now);
        ike_tick(p->b.e, p->now);
    }
    fail_msg("the exchange did not settle");
}

#endif
