/* libFuzzer target: two IKE engines (ike/ike.h) with a virtual clock,
 * talking through a hostile network whose every move the input chooses.
 *
 * Input: byte 0 seeds all randomness (the engines' env.random and OpenSSL's
 * RAND, so key pairs too: a crash reproduces from the input alone); byte 1
 * chooses the setup (bit 0: DPD restart on a; 1: a initiates first; 2: a
 * COOKIE for every IKE_SA_INIT; 3: block_threshold 1; 4: configuration
 * payloads: a asks for a virtual IP (vips = 0.0.0.0), b leases one of three
 * addresses inside a's first selector to it); the rest is
 * a list of operations, one byte each plus their arguments (see fz_op):
 * deliver, drop, duplicate, reorder, delay or corrupt the datagram at the
 * head of the network queue; inject input bytes or replay an earlier
 * datagram; let time pass (to the next deadline, a little, or far enough for
 * rekeys); initiate, rekey or delete a Child SA, delete every IKE SA.
 *
 * Invariants (abort on violation):
 * - ASan/UBSan stay silent, nothing leaks (libFuzzer's leak check);
 * - bounded state: live IKE SAs per engine never exceed what the input could
 *   have created (2 + initiations + IKE_SA_INIT requests and CREATE_CHILD_SA
 *   messages delivered + IKE SAs gone down, which DPD may restart), and one
 *   engine call never queues more actions than its SAs and Child SAs explain;
 * - after the hostile phase the network heals (every datagram delivered in
 *   order, and ESP on an SPI the peer lacks answered with INVALID_SPI, as
 *   kited's data plane does) and the pair settles (no IKE or Child SA event
 *   for FZ_QUIET_MS):
 *   then every IKE SA left is ESTABLISHED on both sides with the same SPIs,
 *   every Child SA is installed on both sides crosswise (SPIs and keys), each
 *   under a live IKE SA, and, unless the last operation deleted everything,
 *   a is up with its first Child SA (the operator re-initiates, as
 *   start_action would, at most FZ_REINIT times).
 * KITE_FUZZ_LOG=1 prints both engines' logs and the operations (to debug a
 * reproducer: build-fuzz/engine_fuzz FILE). */
#define OPENSSL_SUPPRESS_DEPRECATED /* RAND_set_rand_method: deterministic key pairs */
#include <openssl/rand.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "crypto/registry.h"
#include "ike/ike.h"
#include "wire/ike.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
    FZ_QUEUE = 64,       /* datagrams in flight; a full network drops the oldest */
    FZ_HISTORY = 32,     /* datagrams remembered for replays */
    FZ_INST = 256,       /* Child SAs per side */
    FZ_QUIET_MS = 20000, /* > DPD delay + all retransmissions + half-open timeout */
    FZ_HEAL_MIN_MS = 20000,
    FZ_HEAL_MAX_MS = 600000,
    FZ_REINIT = 3,       /* times the operator brings a's first Child SA up again */
    FZ_TRAFFIC = 4,      /* rounds of INVALID_SPI for SAs the peer lacks */
};

struct fz_dgram {
    int to; /* 0: a, 1: b */
    struct ike_addr src, dst;
    size_t len;
    uint8_t data[2048];
};

struct fz_inst {
    uint32_t in, out, ike_sa;
    bool retired;
    char name[IKE_NAME_MAX];
    uint16_t encr, encr_bits, integ;
    uint8_t key_len, integ_len;
    uint8_t encr_in[IKE_KEY_MAX], encr_out[IKE_KEY_MAX], integ_in[IKE_KEY_MAX], integ_out[IKE_KEY_MAX];
};

struct fz_side {
    struct ike_engine *e;
    uint64_t rng;
    struct ike_addr addr;
    struct fz_inst inst[FZ_INST];
    int n_inst;
    uint32_t created_bound; /* IKE SAs the input could have made this engine create */
    uint32_t prev_sas, prev_inst; /* at the last check: the state before the call being checked */
};

struct fz {
    const uint8_t *p, *end;
    struct fz_side s[2];
    uint64_t now, last_event;
    struct fz_dgram q[FZ_QUEUE];
    int q_head, q_len;
    struct fz_dgram hist[FZ_HISTORY];
    int n_hist;
    uint32_t ops;
    bool log;
};

static struct fz fz; /* ~200 KB: static, reset per input */
static uint64_t fz_ossl_rng;

/* ---- deterministic randomness ---- */

static uint8_t fz_xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint8_t)(*s >> 24);
}

static void fz_env_random(void *ctx, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = fz_xorshift(ctx);
}

static int fz_ossl_bytes(unsigned char *p, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = fz_xorshift(&fz_ossl_rng);
    return 1;
}

static int fz_ossl_status(void)
{
    return 1;
}

static const RAND_METHOD fz_rand_method = {
    .bytes = fz_ossl_bytes, .pseudorand = fz_ossl_bytes, .status = fz_ossl_status,
};

static void fz_env_log(void *ctx, int subsys, int level, const char *msg)
{
    (void)subsys;
    (void)level;
    fprintf(stderr, "  [%c %8" PRIu64 "] %s\n", ctx == &fz.s[0].rng ? 'a' : 'b', fz.now, msg);
}

static void fz_fail(const char *what)
{
    fprintf(stderr, "engine_fuzz: invariant violated at t=%" PRIu64 " after %u operations: %s\n", fz.now,
            fz.ops, what);
    abort();
}

/* ---- the input ---- */

static uint8_t fz_u8(void)
{
    return fz.p < fz.end ? *fz.p++ : 0;
}

static uint16_t fz_u16(void)
{
    uint16_t hi = fz_u8();
    return (uint16_t)(hi << 8 | fz_u8());
}

/* ---- configuration ---- */

static struct ike_prop_cfg fz_prop(const char *const *kws, int n)
{
    static const enum xf_type order[] = { XF_ENCR, XF_INTEG, XF_PRF, XF_KE, XF_ESN };
    struct ike_prop_cfg p = { 0 };
    for (int i = 0; i < n; i++) {
        const struct xf_info *x = NULL;
        for (unsigned k = 0; k < 5 && !x; k++)
            x = xf_by_keyword(order[k], kws[i]);
        if (!x)
            fz_fail("unknown transform keyword");
        p.xf[p.n].type = (uint8_t)x->type;
        p.xf[p.n].id = x->id;
        p.xf[p.n].key_bits = x->key_length_attr ? x->key_bits : 0;
        p.n++;
    }
    return p;
}

static struct ike_ts_cfg fz_ts(uint8_t b, uint8_t c)
{
    struct ike_ts_cfg t = { .family = 4, .port_lo = 0, .port_hi = 0xffff };
    t.lo[0] = t.hi[0] = 10, t.lo[1] = t.hi[1] = b, t.lo[2] = t.hi[2] = c;
    t.hi[3] = 255;
    return t;
}

static void fz_child(struct ike_child_cfg *ch, const char *name, uint8_t me, uint8_t peer, uint8_t net)
{
    static const char *const esp[] = { "aes128gcm16" };
    static struct ike_ts_cfg lts[2], rts[2];
    static struct ike_prop_cfg props[2];
    snprintf(ch->name, sizeof ch->name, "%s", name);
    ch->local_ts = &lts[net % 2]; /* until the engine copies them (fz_setup) */
    ch->remote_ts = &rts[net % 2];
    ch->esp = &props[net % 2];
    ch->n_local_ts = ch->n_remote_ts = 1;
    ch->local_ts[0] = fz_ts(me, net);
    ch->remote_ts[0] = fz_ts(peer, net);
    ch->n_esp = 1;
    ch->esp[0] = fz_prop(esp, 1);
    ch->rekey_time_s = 300; /* reached by the operations that let time pass */
    ch->rand_time_s = 60;   /* so that the sides' rekeys sometimes collide, sometimes not */
}

/* a connection 192.0.2.<me> <-> 192.0.2.<peer>, two Child SAs, short
 * retransmission and DPD timers so that failures resolve in virtual seconds */
static void fz_conn(struct ike_conn_cfg *c, uint8_t me, uint8_t peer, bool restart)
{
    static const char *const ike[] = { "aes128gcm16", "prfsha256", "x25519" };
    static struct ike_prop_cfg prop;
    static struct ike_child_cfg child[2];
    memset(c, 0, sizeof *c);
    memset(child, 0, sizeof child);
    snprintf(c->name, sizeof c->name, "lab");
    c->ike = &prop; /* until the engine copies them (fz_setup) */
    c->child = child;
    c->local = fz.s[me - 1].addr;
    c->remote = fz.s[peer - 1].addr;
    c->n_ike = 1;
    c->ike[0] = fz_prop(ike, 3);
    c->local_id = (struct ike_id_cfg){ .type = IKEV2_ID_IPV4_ADDR, .len = 4, .data = { 192, 0, 2, me } };
    c->remote_id = (struct ike_id_cfg){ .type = IKEV2_ID_IPV4_ADDR, .len = 4, .data = { 192, 0, 2, peer } };
    c->psk_len = 16;
    memcpy(c->psk, "fuzzing-the-pair", 16);
    c->n_children = 2;
    fz_child(&c->child[0], "net", me, peer, 0);
    fz_child(&c->child[1], "net2", me, peer, 1);
    c->retransmit_timeout_ms = 500;
    c->retransmit_base_milli = 1500;
    c->retransmit_tries = 3;
    c->dpd_delay_ms = 10000;
    c->dpd_restart = restart;
    c->rekey_time_s = 600;
}

static void fz_setup(uint8_t seed, uint8_t flags)
{
    fz.now = fz.last_event = 1000;
    fz_ossl_rng = 0x9e3779b97f4a7c15ull ^ seed;
    fz.log = getenv("KITE_FUZZ_LOG") != NULL;
    for (int i = 0; i < 2; i++) {
        struct fz_side *s = &fz.s[i];
        s->rng = 0x1234567ull * (uint64_t)(i + 1) + seed;
        s->addr = (struct ike_addr){ .family = 4, .ip = { 192, 0, 2, (uint8_t)(i + 1) }, .port = 500 };
        s->created_bound = 2;
    }
    for (int i = 0; i < 2; i++) {
        struct fz_side *s = &fz.s[i];
        struct ike_env env = { &s->rng, fz_env_random, fz.log ? fz_env_log : NULL, 0 };
        struct ike_conn_cfg c;
        fz_conn(&c, (uint8_t)(i + 1), (uint8_t)(2 - i), i == 0 && (flags & 1));
        struct ike_limits lim;
        ike_limits_default(&lim);
        lim.half_open_timeout_ms = 5000;
        if (flags & 4)
            lim.cookie_threshold = 0; /* every IKE_SA_INIT needs a COOKIE (2.6) */
        if (flags & 8)
            lim.block_threshold = 1;
        /* b's pool: three addresses inside a's "net" selector (10.1.0.0/24) */
        static const struct ike_pool_attr dns = { 3 /* INTERNAL_IP4_DNS */, 4, { 10, 2, 0, 53 } };
        static const struct ike_pool_cfg pool = { .name = "rw", .family = 4, .lo = { 10, 1, 0, 10 },
                                                  .hi = { 10, 1, 0, 12 }, .n_attrs = 1, .attrs = &dns };
        if ((flags & 16) && i == 0) {
            c.n_vips = 1;
            c.vips[0].family = 4;
        }
        if ((flags & 16) && i == 1) {
            c.n_pools = 1;
            snprintf(c.pools[0], sizeof c.pools[0], "rw");
        }
        s->e = ike_engine_new(&env);
        if (!s->e || ike_engine_set_limits(s->e, &lim) || ike_engine_add_conn(s->e, &c) ||
            ((flags & 16) && i == 1 && ike_engine_set_pools(s->e, &pool, 1)))
            fz_fail("setup");
    }
}

/* ---- the data plane's view: Child SAs from the actions ---- */

static struct fz_inst *fz_inst_find(struct fz_side *s, uint32_t spi_in)
{
    for (int i = 0; i < s->n_inst; i++)
        if (s->inst[i].in == spi_in)
            return &s->inst[i];
    return NULL;
}

static void fz_inst_remove(struct fz_side *s, int i)
{
    memmove(&s->inst[i], &s->inst[i + 1], (size_t)(s->n_inst - i - 1) * sizeof s->inst[0]);
    s->n_inst--;
}

static void fz_child_up(struct fz_side *s, const struct ike_child_sa *c)
{
    if (fz_inst_find(s, c->spi_in))
        fz_fail("CHILD_UP for an inbound SPI already installed");
    if (s->n_inst == FZ_INST)
        fz_fail("Child SAs beyond any bound");
    struct fz_inst *in = &s->inst[s->n_inst++];
    memset(in, 0, sizeof *in);
    in->in = c->spi_in, in->out = c->spi_out, in->ike_sa = c->ike_sa;
    memcpy(in->name, c->name, sizeof in->name);
    in->encr = c->encr, in->encr_bits = c->encr_bits, in->integ = c->integ;
    in->key_len = c->key_len, in->integ_len = c->integ_len;
    memcpy(in->encr_in, c->encr_in, sizeof in->encr_in);
    memcpy(in->encr_out, c->encr_out, sizeof in->encr_out);
    memcpy(in->integ_in, c->integ_in, sizeof in->integ_in);
    memcpy(in->integ_out, c->integ_out, sizeof in->integ_out);
}

static void fz_child_gone(struct fz_side *s, uint32_t spi_in, bool retire)
{
    for (int i = 0; i < s->n_inst; i++)
        if (s->inst[i].in == spi_in) {
            if (retire)
                s->inst[i].retired = true;
            else
                fz_inst_remove(s, i);
            return;
        }
}

/* IKE_DOWN: the data plane drops the IKE SA's Child SAs; IKE_REKEYED moves them */
static void fz_ike_gone(struct fz_side *s, uint32_t ike_sa, uint32_t moved_to)
{
    for (int i = 0; i < s->n_inst;) {
        if (s->inst[i].ike_sa != ike_sa) {
            i++;
        } else if (moved_to) {
            s->inst[i++].ike_sa = moved_to;
        } else
            fz_inst_remove(s, i);
    }
}

/* ---- the network ---- */

static void fz_remember(const struct fz_dgram *d)
{
    fz.hist[fz.n_hist % FZ_HISTORY] = *d;
    fz.n_hist++;
}

static void fz_enqueue_dgram(const struct fz_dgram *d)
{
    if (fz.q_len == FZ_QUEUE) {
        fz.q_head = (fz.q_head + 1) % FZ_QUEUE;
        fz.q_len--;
    }
    fz.q[(fz.q_head + fz.q_len++) % FZ_QUEUE] = *d;
}

static void fz_enqueue(int to, const struct ike_action *a)
{
    static struct fz_dgram d;
    d.to = to;
    d.src = a->local;
    d.dst = a->remote;
    d.len = a->len < sizeof d.data ? a->len : sizeof d.data;
    memcpy(d.data, a->data, d.len);
    fz_enqueue_dgram(&d);
    fz_remember(&d);
}

static struct fz_dgram *fz_head(void)
{
    return fz.q_len ? &fz.q[fz.q_head] : NULL;
}

static void fz_pop(void)
{
    fz.q_head = (fz.q_head + 1) % FZ_QUEUE;
    fz.q_len--;
}

/* ---- driving the engines ---- */

static void fz_action(int i, struct ike_action *a)
{
    struct fz_side *s = &fz.s[i];
    if (a->type != IKE_ACT_SEND && a->type != IKE_ACT_KEEPALIVE)
        fz.last_event = fz.now;
    switch (a->type) {
    case IKE_ACT_SEND: fz_enqueue(1 - i, a); break;
    case IKE_ACT_CHILD_UP: fz_child_up(s, &a->child); break;
    case IKE_ACT_CHILD_RETIRE: fz_child_gone(s, a->child.spi_in, true); break;
    case IKE_ACT_CHILD_DOWN: fz_child_gone(s, a->child.spi_in, false); break;
    case IKE_ACT_IKE_REKEYED: fz_ike_gone(s, a->old_ike_sa, a->ike_sa); break;
    case IKE_ACT_IKE_DOWN:
        fz_ike_gone(s, a->ike_sa, 0);
        s->created_bound++; /* DPD restart may bring up another */
        break;
    default: break;
    }
}

/* bounded state after every engine call; the actions it queued are bounded
 * by the SAs before or after it (ike_delete_all: a Delete and an IKE_DOWN
 * for each IKE SA that was there) */
static void fz_check_bounds(int i, int actions)
{
    struct fz_side *s = &fz.s[i];
    struct ike_stats st;
    ike_engine_stats(s->e, &st);
    if (st.ike_sas > s->created_bound)
        fz_fail("more live IKE SAs than the input could have created");
    uint32_t sas = st.ike_sas > s->prev_sas ? st.ike_sas : s->prev_sas;
    uint32_t inst = (uint32_t)s->n_inst > s->prev_inst ? (uint32_t)s->n_inst : s->prev_inst;
    if ((uint32_t)actions > 8 + 4 * (sas + inst))
        fz_fail("more queued actions than the SAs explain");
    s->prev_sas = st.ike_sas;
    s->prev_inst = (uint32_t)s->n_inst;
}

static void fz_drain(int i)
{
    static struct ike_action a;
    int n = 0;
    while (ike_next_action(fz.s[i].e, &a)) {
        n++;
        fz_action(i, &a);
        ike_action_wipe(&a);
    }
    fz_check_bounds(i, n);
}

static void fz_drain_both(void)
{
    fz_drain(0);
    fz_drain(1);
}

/* what a datagram could make its receiver create: a responder's half-open
 * IKE SA, either side's new IKE SA of a rekey */
static void fz_count_delivery(int to, const uint8_t *p, size_t n)
{
    if (n < 28)
        return;
    if ((p[18] == IKEV2_EXCH_IKE_SA_INIT && !(p[19] & 0x20)) || p[18] == IKEV2_EXCH_CREATE_CHILD_SA)
        fz.s[to].created_bound++;
}

static void fz_deliver(const struct fz_dgram *d)
{
    fz_count_delivery(d->to, d->data, d->len);
    ike_recv(fz.s[d->to].e, d->data, d->len, &d->dst, &d->src, fz.now);
    fz_drain_both();
}

/* a deadline served is gone: one still due would spin the daemon's loop */
static void fz_tick(void)
{
    for (int i = 0; i < 2; i++) {
        ike_tick(fz.s[i].e, fz.now);
        if (ike_next_deadline(fz.s[i].e) <= fz.now)
            fz_fail("a deadline is still due after ike_tick");
    }
    fz_drain_both();
}

static uint64_t fz_next_deadline(void)
{
    uint64_t da = ike_next_deadline(fz.s[0].e), db = ike_next_deadline(fz.s[1].e);
    return da < db ? da : db;
}

/* let `ms` pass, serving every deadline on the way (nothing is delivered) */
static void fz_advance(uint64_t ms)
{
    uint64_t until = fz.now + ms;
    for (int guard = 0; guard < 10000; guard++) {
        uint64_t next = fz_next_deadline();
        if (next > until)
            break;
        if (next > fz.now)
            fz.now = next;
        fz_tick();
    }
    fz.now = until;
    fz_tick();
}

/* one step of a calm network: deliver the head of the queue, or serve the
 * next deadline if it comes by `limit` (else the clock goes to limit);
 * false when nothing was left to do */
static bool fz_calm_step(uint64_t limit)
{
    static struct fz_dgram d;
    if (fz_head()) {
        d = *fz_head();
        fz_pop();
        fz_deliver(&d);
        return true;
    }
    uint64_t next = fz_next_deadline();
    if (next > limit) {
        if (limit > fz.now)
            fz.now = limit;
        return false;
    }
    if (next > fz.now)
        fz.now = next;
    fz_tick();
    return true;
}

/* time passes on a working network (rekeys happen); endless ping-pong fails */
static void fz_calm(uint64_t ms)
{
    uint64_t until = fz.now + ms;
    for (int steps = 0; fz_calm_step(until); steps++)
        if (steps > 100000)
            fz_fail("messages or timers without end on a calm network");
}

/* ---- the hostile phase ---- */

static void fz_op_network(unsigned op)
{
    static struct fz_dgram d;
    if (!fz_head())
        return;
    d = *fz_head();
    switch (op) {
    case 1: fz_pop(); return;          /* drop */
    case 2: fz_deliver(&d); return;    /* duplicate: delivered now and again later */
    case 3: {                          /* reorder: a later one goes first */
        struct fz_dgram *o = &fz.q[(fz.q_head + fz_u8() % fz.q_len) % FZ_QUEUE];
        fz.q[fz.q_head] = *o;
        *o = d;
        d = *fz_head();
        break;
    }
    case 4: fz_pop(); fz_enqueue_dgram(&d); return; /* delay: to the back */
    case 5: {                          /* corrupt: flip bytes, maybe cut */
        unsigned n = fz_u8();
        for (unsigned k = 0; k <= (n & 3) && d.len; k++) {
            size_t at = fz_u16() % d.len;
            d.data[at] ^= (uint8_t)(fz_u8() | 1);
        }
        if (n & 0x80)
            d.len = fz_u16() % (d.len + 1);
        break;
    }
    default: break;                    /* deliver */
    }
    fz_pop();
    fz_deliver(&d);
}

/* a datagram made of input bytes, maybe under the header of one seen on the
 * wire (so it reaches an IKE SA), from the peer's or another address */
static void fz_op_inject(void)
{
    static struct fz_dgram d;
    unsigned f = fz_u8();
    memset(&d, 0, sizeof d);
    d.to = f & 1;
    d.src = fz.s[1 - d.to].addr;
    d.dst = fz.s[d.to].addr;
    if (f & 8)
        d.src.ip[3] = 66;
    d.len = fz_u16() % sizeof d.data;
    size_t have = (size_t)(fz.end - fz.p);
    size_t take = d.len < have ? d.len : have;
    memcpy(d.data, fz.p, take);
    fz.p += take;
    if ((f & 6) && fz.n_hist) {
        const struct fz_dgram *h = &fz.hist[fz_u8() % (fz.n_hist < FZ_HISTORY ? fz.n_hist : FZ_HISTORY)];
        size_t hdr = (f & 4) ? 28 : 16; /* the whole header or the SPIs */
        memcpy(d.data, h->data, hdr < h->len ? hdr : h->len);
        if (d.len < hdr)
            d.len = hdr;
    }
    fz_deliver(&d);
}

/* an earlier datagram again, to its receiver or reflected to its sender */
static void fz_op_replay(void)
{
    static struct fz_dgram d;
    unsigned f = fz_u8();
    if (!fz.n_hist)
        return;
    d = fz.hist[fz_u8() % (fz.n_hist < FZ_HISTORY ? fz.n_hist : FZ_HISTORY)];
    if (f & 1) {
        struct ike_addr t = d.src;
        d.src = d.dst, d.dst = t, d.to = 1 - d.to;
    }
    fz_deliver(&d);
}

static void fz_op_child(bool hard)
{
    struct fz_side *s = &fz.s[fz_u8() & 1];
    unsigned k = fz_u8();
    if (!s->n_inst)
        return;
    ike_child_expired(s->e, s->inst[k % (unsigned)s->n_inst].in, hard, fz.now);
    fz_drain_both();
}

static void fz_initiate(int side, const char *child)
{
    fz.s[side].created_bound++;
    ike_initiate(fz.s[side].e, "lab", child, fz.now);
    fz_drain_both();
}

/* one operation; expect_up: whether a's first Child SA should be up once
 * the network heals (not after a "delete all") */
static void fz_op(unsigned op, bool *expect_up)
{
    switch (op) {
    case 6: fz_op_inject(); break;
    case 7: fz_op_replay(); break;
    case 8: {                                   /* the next deadline */
        uint64_t next = fz_next_deadline();
        if (next != UINT64_MAX && next > fz.now)
            fz.now = next;
        fz_tick();
        break;
    }
    case 9: fz_advance(fz_u8() * 20ull); break; /* up to 5 s, nothing delivered */
    case 10: fz_calm(fz_u8() * 2000ull); break; /* up to 510 s, all delivered: rekeys */
    case 11: {
        unsigned f = fz_u8();
        fz_initiate(f & 1, (f & 2) ? "net2" : "net");
        *expect_up = true;
        break;
    }
    case 12: fz_op_child(false); break;         /* rekey now */
    case 13: fz_op_child(true); break;          /* delete */
    case 14:
        ike_delete_all(fz.s[fz_u8() & 1].e, fz.now);
        fz_drain_both();
        *expect_up = false;
        break;
    default: fz_op_network(op); break;          /* 0-5, 15 */
    }
}

/* ---- the healed network: what both sides must agree on ---- */

struct fz_sa {
    uint32_t id;
    uint64_t spi_i, spi_r;
};

/* a side's IKE SAs from its status lines, all of them ESTABLISHED */
static int fz_sas(int i, struct fz_sa *out, int cap)
{
    struct ike_stats st;
    char buf[512];
    int n = 0;
    ike_engine_stats(fz.s[i].e, &st);
    for (int slot = 0; (unsigned)slot < ike_sa_slots(fz.s[i].e); slot++) {
        if (!ike_sa_status(fz.s[i].e, slot, buf, sizeof buf))
            continue;
        const char *spis = strstr(buf, "SPIs ");
        char *end;
        if (n == cap || !strstr(buf, ": ESTABLISHED,") || !spis || sscanf(buf, "lab[%" SCNu32 "]", &out[n].id) != 1)
            fz_fail("an IKE SA that is not established (or unreadable) on a settled, healed network");
        out[n].spi_i = strtoull(spis + 5, &end, 16);
        end += strspn(end, "_i* ");
        out[n].spi_r = strtoull(end, NULL, 16);
        n++;
    }
    if ((uint32_t)n != st.ike_sas)
        fz_fail("ike_engine_stats counts IKE SAs that ike_sa_status does not show");
    return n;
}

static const struct fz_sa *fz_sa_by_id(const struct fz_sa *sas, int n, uint32_t id)
{
    for (int k = 0; k < n; k++)
        if (sas[k].id == id)
            return &sas[k];
    return NULL;
}

static const struct fz_sa *fz_sa_by_spis(const struct fz_sa *sas, int n, const struct fz_sa *like)
{
    for (int k = 0; k < n; k++)
        if (sas[k].spi_i == like->spi_i && sas[k].spi_r == like->spi_r)
            return &sas[k];
    return NULL;
}

/* every Child SA of side i is the crosswise twin of one on the other side,
 * under the IKE SA with the same SPIs, with the same keys */
static void fz_check_children(int i, const struct fz_sa *mine, int n_mine, const struct fz_sa *theirs, int n_theirs)
{
    struct fz_side *s = &fz.s[i], *o = &fz.s[1 - i];
    for (int k = 0; k < s->n_inst; k++) {
        const struct fz_inst *c = &s->inst[k];
        const struct fz_inst *t = fz_inst_find(o, c->out);
        const struct fz_sa *sa = fz_sa_by_id(mine, n_mine, c->ike_sa);
        if (c->retired)
            fz_fail("a retired Child SA never went down");
        if (!sa)
            fz_fail("a Child SA under no live IKE SA");
        if (!t || t->out != c->in)
            fz_fail("a Child SA the peer has not installed crosswise");
        const struct fz_sa *tsa = fz_sa_by_id(theirs, n_theirs, t->ike_sa);
        if (!tsa || tsa->spi_i != sa->spi_i || tsa->spi_r != sa->spi_r)
            fz_fail("a Child SA's twin is under another IKE SA");
        if (t->encr != c->encr || t->key_len != c->key_len || t->integ_len != c->integ_len ||
            memcmp(t->encr_in, c->encr_out, c->key_len) || memcmp(t->encr_out, c->encr_in, c->key_len) ||
            memcmp(t->integ_in, c->integ_out, c->integ_len) || memcmp(t->integ_out, c->integ_in, c->integ_len) ||
            strcmp(t->name, c->name))
            fz_fail("a Child SA's keys or configuration differ from its twin's");
    }
}

static bool fz_a_up(void)
{
    struct fz_sa sas[64];
    if (!fz_sas(0, sas, 64))
        return false;
    for (int k = 0; k < fz.s[0].n_inst; k++)
        if (!strcmp(fz.s[0].inst[k].name, "net"))
            return true;
    return false;
}

static void fz_check_agreement(bool expect_up)
{
    static struct fz_sa a[64], b[64];
    int na = fz_sas(0, a, 64), nb = fz_sas(1, b, 64);
    if (na != nb)
        fz_fail("the sides hold different numbers of IKE SAs");
    for (int k = 0; k < na; k++)
        if (!fz_sa_by_spis(b, nb, &a[k]))
            fz_fail("an IKE SA the peer does not have");
    if (fz.s[0].n_inst != fz.s[1].n_inst)
        fz_fail("the sides hold different numbers of Child SAs");
    fz_check_children(0, a, na, b, nb);
    fz_check_children(1, b, nb, a, na);
    if (expect_up && !fz_a_up())
        fz_fail("a is not up with its first Child SA on a healed network");
}

/* traffic flows on every Child SA each side sends with: ESP on an SPI the
 * peer's data plane lacks is reported to its engine (ike_esp_unknown_spi),
 * which answers N(INVALID_SPI), as kited's data plane does (RFC 7296 1.5);
 * returns how many SAs sent into the void */
static int fz_traffic(void)
{
    int lost = 0;
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < fz.s[i].n_inst; k++) {
            const struct fz_inst *c = &fz.s[i].inst[k];
            if (c->retired || fz_inst_find(&fz.s[1 - i], c->out))
                continue;
            lost++;
            ike_esp_unknown_spi(fz.s[1 - i].e, c->out, &fz.s[i].addr, fz.now);
            fz_drain_both();
        }
    return lost;
}

/* the network heals: everything delivered in order until the pair settles
 * (no IKE or Child SA event for FZ_QUIET_MS); the operator brings a's first
 * Child SA up again if it is down then (start_action), FZ_REINIT times */
static void fz_heal(bool expect_up)
{
    uint64_t start = fz.now;
    int reinit = 0, traffic = 0;
    fz.last_event = fz.now;
    if (expect_up)
        fz_initiate(0, "net");
    for (int steps = 0; steps < 200000; steps++) {
        uint64_t settle = fz.last_event + FZ_QUIET_MS;
        if (settle < start + FZ_HEAL_MIN_MS)
            settle = start + FZ_HEAL_MIN_MS;
        if (!fz_head() && fz.now >= settle) {
            if (traffic < FZ_TRAFFIC && fz_traffic()) {
                traffic++;
                fz.last_event = fz.now;
                continue;
            }
            if (expect_up && reinit < FZ_REINIT && !fz_a_up()) {
                reinit++;
                fz.last_event = fz.now;
                fz_initiate(0, "net");
                continue;
            }
            fz_check_agreement(expect_up);
            return;
        }
        if (fz.now - start > FZ_HEAL_MAX_MS)
            break;
        fz_calm_step(settle);
    }
    fz_fail("the pair did not settle on a healed network");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        RAND_set_rand_method(&fz_rand_method);
        ready = true;
    }
    memset(&fz, 0, sizeof fz);
    fz.p = data, fz.end = data + size;
    uint8_t seed = fz_u8(), flags = fz_u8();
    fz_setup(seed, flags);
    bool expect_up = (flags & 2) != 0;
    if (expect_up)
        fz_initiate(0, "net");
    while (fz.p < fz.end) {
        unsigned op = fz_u8() & 15;
        fz.ops++;
        if (fz.log)
            fprintf(stderr, "op %u: %u at t=%" PRIu64 ", %d in flight\n", fz.ops, op, fz.now, fz.q_len);
        fz_op(op, &expect_up);
    }
    fz_heal(expect_up);
    ike_engine_free(fz.s[0].e);
    ike_engine_free(fz.s[1].e);
    return 0;
}
