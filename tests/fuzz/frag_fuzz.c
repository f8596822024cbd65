/* libFuzzer target: IKE fragment reassembly (ike/frag.h, RFC 7383) in an
 * engine with an established IKE SA.
 *
 * Engines a and b bring an IKE SA up (PSK, AES-GCM); then the input is a
 * list of operations, one byte each plus their arguments:
 *  - a message from b cut into SKF fragments with b's real keys (message ID
 *    near what a expects, inner payloads from the input or a valid
 *    INFORMATIONAL, piece size from the input), its fragments delivered to
 *    a in an order, with duplicates, losses and corrupted bytes the input
 *    chooses;
 *  - a single SKF datagram whose every header field (Fragment Number, Total
 *    Fragments, message ID, exchange, flags, first payload) and piece come
 *    from the input, encrypted with b's keys, maybe corrupted;
 *  - the two engines exchange what they queued (a's answers, b's retransmissions);
 *  - time passes (reassembly timeouts, retransmissions);
 *  - a's limits change (fragments, bytes per message, memory, messages).
 * Invariants (abort on violation): ASan/UBSan silent, nothing leaks; what
 * a's reassemblies hold never passes frag_max_mem nor two messages per IKE
 * SA; after a last wait past every timeout nothing is held at all.
 * KITE_FUZZ_LOG=1 prints a's log. */
#define OPENSSL_SUPPRESS_DEPRECATED /* RAND_set_rand_method: deterministic key pairs */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "crypto/registry.h"
#include "ike/ike_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *in_p, *in_end;
static uint64_t rng_a, rng_b, ossl_rng, now;
static struct ike_engine *ea, *eb;
/* what a held when its limits last changed: a lowered limit frees nothing,
 * it only refuses what comes after */
static uint64_t held_mem;
static uint32_t held_msgs;

static uint8_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint8_t)(*s >> 24);
}

static void env_random(void *ctx, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = xorshift(ctx);
}

static int ossl_bytes(unsigned char *p, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = xorshift(&ossl_rng);
    return 1;
}

static int ossl_status(void)
{
    return 1;
}

static const RAND_METHOD rand_method = { .bytes = ossl_bytes, .pseudorand = ossl_bytes, .status = ossl_status };

static void env_log(void *ctx, int subsys, int level, const char *msg)
{
    (void)ctx, (void)subsys, (void)level;
    fprintf(stderr, "  [%8llu] %s\n", (unsigned long long)now, msg);
}

static void fail(const char *what)
{
    fprintf(stderr, "frag_fuzz: invariant violated at t=%llu: %s\n", (unsigned long long)now, what);
    abort();
}

static uint8_t u8(void)
{
    return in_p < in_end ? *in_p++ : 0;
}

static uint16_t u16(void)
{
    uint16_t hi = u8();
    return (uint16_t)(hi << 8 | u8());
}

static struct ike_addr addr(uint8_t last)
{
    return (struct ike_addr){ .family = 4, .ip = { 192, 0, 2, last }, .port = 500 };
}

static struct ike_conn_cfg conn(uint8_t me, uint8_t peer)
{
    static const char *const kw[] = { "aes128gcm16", "prfsha256", "x25519" };
    static const enum xf_type ty[] = { XF_ENCR, XF_PRF, XF_KE };
    /* the lists of each side's record until the engine copies them */
    static struct ike_prop_cfg ike[3], esp[3];
    static struct ike_ts_cfg lts[3], rts[3];
    static struct ike_child_cfg child[3];
    struct ike_conn_cfg c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "lab");
    c.ike = &ike[me % 3];
    c.child = &child[me % 3];
    c.child[0].local_ts = &lts[me % 3];
    c.child[0].remote_ts = &rts[me % 3];
    c.child[0].esp = &esp[me % 3];
    c.local = addr(me);
    c.remote = addr(peer);
    c.n_ike = 1;
    for (int i = 0; i < 3; i++) {
        const struct xf_info *x = xf_by_keyword(ty[i], kw[i]);
        c.ike[0].xf[i].type = (uint8_t)x->type;
        c.ike[0].xf[i].id = x->id;
        c.ike[0].xf[i].key_bits = x->key_length_attr ? x->key_bits : 0;
    }
    c.ike[0].n = 3;
    c.local_id = (struct ike_id_cfg){ .type = IKEV2_ID_IPV4_ADDR, .len = 4, .data = { 192, 0, 2, me } };
    c.remote_id = (struct ike_id_cfg){ .type = IKEV2_ID_IPV4_ADDR, .len = 4, .data = { 192, 0, 2, peer } };
    c.psk_len = 16;
    memcpy(c.psk, "fuzzing-the-frag", 16);
    c.n_children = 1;
    snprintf(c.child[0].name, sizeof c.child[0].name, "net");
    c.child[0].n_local_ts = c.child[0].n_remote_ts = 1;
    c.child[0].local_ts[0] = (struct ike_ts_cfg){ .family = 4, .port_hi = 0xffff, .lo = { 10, me }, .hi = { 10, me, 255, 255 } };
    c.child[0].remote_ts[0] = (struct ike_ts_cfg){ .family = 4, .port_hi = 0xffff, .lo = { 10, peer }, .hi = { 10, peer, 255, 255 } };
    c.child[0].n_esp = 1;
    c.child[0].esp[0] = c.ike[0];
    c.child[0].esp[0].n = 1; /* AES-GCM only */
    c.retransmit_timeout_ms = 500;
    c.retransmit_tries = 3;
    return c;
}

/* everything one engine queued goes to the other (SEND only) */
static void pump(struct ike_engine *from, struct ike_engine *to)
{
    struct ike_action *a = malloc(sizeof *a);
    if (!a)
        fail("memory");
    while (ike_next_action(from, a)) {
        if (a->type == IKE_ACT_SEND)
            ike_recv(to, a->data, a->len, &a->remote, &a->local, now);
        ike_action_wipe(a);
    }
    free(a);
}

static struct ikesa *est(struct ike_engine *e)
{
    for (unsigned i = 0; i < e->n_slots; i++) {
        struct ikesa *sa = ike_sa_at(e, i);
        if (sa && sa->state == IKE_S_ESTABLISHED)
            return sa;
    }
    return NULL;
}

static bool setup(void)
{
    struct ike_env env_a = { &rng_a, env_random, getenv("KITE_FUZZ_LOG") ? env_log : NULL, 0 };
    struct ike_env env_b = { &rng_b, env_random, NULL, 0 };
    struct ike_conn_cfg ca = conn(1, 2), cb = conn(2, 1);
    rng_a = 0x1234567, rng_b = 0x7654321, ossl_rng = 0x9e3779b97f4a7c15ull, now = 1000;
    ea = ike_engine_new(&env_a);
    eb = ike_engine_new(&env_b);
    struct ike_limits l;
    ike_limits_default(&l);
    l.fragment_size = 192; /* IKE_AUTH, rekeys and a's answers go in fragments too */
    if (!ea || !eb || ike_engine_add_conn(ea, &ca) || ike_engine_add_conn(eb, &cb) ||
        ike_engine_set_limits(ea, &l) || ike_engine_set_limits(eb, &l))
        fail("setup");
    ike_initiate(ea, "lab", "net", now);
    for (int i = 0; i < 4; i++) {
        pump(ea, eb);
        pump(eb, ea);
    }
    return est(ea) && est(eb);
}

/* deliver one datagram from b to a, maybe with a byte flipped */
static void to_a(const uint8_t *p, size_t n, uint8_t corrupt)
{
    static uint8_t buf[IKE_MSG_MAX];
    struct ike_addr from = addr(2), to = addr(1);
    if (n > sizeof buf)
        return;
    memcpy(buf, p, n);
    if (corrupt & 0x80 && n)
        buf[((size_t)corrupt << 3 | u8()) % n] ^= (uint8_t)(1 + (corrupt & 0x3f));
    ike_recv(ea, buf, n, &to, &from, now);
}

/* the message ID for a message from b: a's expected next request, the last
 * one (a retransmission), an outstanding response, or near them */
static uint32_t pick_msgid(const struct ikesa *sa, bool resp, uint8_t sel)
{
    uint32_t want = sa->have_resp ? sa->last_rx_msgid + 1 : sa->initiator || sa->successor ? 0 : 1;
    uint32_t base = resp ? sa->next_msgid - 1 : want;
    return base + (uint32_t)(sel % 4) - 1;
}

static size_t inner_of(uint8_t *buf, size_t cap)
{
    size_t len = u16() % cap;
    if (u8() & 1) { /* a valid INFORMATIONAL: one Vendor ID of len bytes */
        struct ike_pld v = { .type = IKEV2_PLD_VENDOR };
        struct wr w;
        static uint8_t vid[4096];
        memset(vid, 0x5a, sizeof vid);
        v.u.vendor.data = span_of(vid, len % sizeof vid);
        wr_init(&w, buf, cap);
        return ike_pld_encode(&w, &v, IKEV2_PLD_NONE) ? 0 : w.len;
    }
    for (size_t i = 0; i < len; i++)
        buf[i] = u8();
    return len;
}

static void op_message(struct ikesa *sa)
{
    static uint8_t inner[6000];
    struct ike_hdr h;
    struct ike_dgrams d;
    uint8_t flags = u8();
    bool resp = flags & 1;
    uint8_t exch = flags & 2 ? IKEV2_EXCH_CREATE_CHILD_SA : IKEV2_EXCH_INFORMATIONAL;
    size_t len = inner_of(inner, sizeof inner);
    size_t chunk = 16 + u8() * 4u;
    struct ikesa *sb = est(eb);
    ike_hdr_for(sb, exch, resp, pick_msgid(sa, resp, flags >> 2), &h);
    if (ike_frag_split(&sb->sk_out, &h, flags & 4 ? IKEV2_PLD_VENDOR : IKEV2_PLD_NOTIFY, span_of(inner, len), chunk,
                       &d))
        return;
    size_t at = 0;
    for (uint16_t i = 0; i < d.n; i++) {
        size_t n = (size_t)d.buf[at] << 8 | d.buf[at + 1];
        const uint8_t *p = d.buf + at + 2;
        uint8_t how = u8();
        at += 2 + n;
        if ((how & 3) == 1) /* lost */
            continue;
        to_a(p, n, how & 0x84 ? how : 0);
        if ((how & 3) == 2) /* twice */
            to_a(p, n, 0);
    }
    if (u8() & 1) { /* and all again, as a retransmission */
        at = 0;
        for (uint16_t i = 0; i < d.n; i++) {
            size_t n = (size_t)d.buf[at] << 8 | d.buf[at + 1];
            to_a(d.buf + at + 2, n, 0);
            at += 2 + n;
        }
    }
    ike_dgrams_clear(&d);
}

/* one SKF datagram, every field from the input */
static void op_raw(struct ikesa *sa)
{
    uint8_t buf[IKE_MSG_MAX], piece[512];
    struct ike_hdr h;
    struct wr w;
    size_t len_at, plen = u8() % sizeof piece;
    uint8_t flags = u8();
    struct ikesa *sb = est(eb);
    ike_hdr_for(sb, flags & 2 ? IKEV2_EXCH_CREATE_CHILD_SA : u8(), flags & 1, pick_msgid(sa, flags & 1, flags >> 2), &h);
    for (size_t i = 0; i < plen; i++)
        piece[i] = u8();
    wr_init(&w, buf, sizeof buf);
    ike_hdr_encode(&w, &h, IKEV2_PLD_SKF, &len_at);
    size_t off = w.len;
    wr_u8(&w, u8());
    wr_u8(&w, 0);
    wr_be16(&w, 0);
    wr_be16(&w, u16());
    wr_be16(&w, u16());
    if (w.err || sk_encrypt(&sb->sk_out, &w, off, SKF_HDR_LEN, span_of(piece, plen), NULL, NULL))
        return;
    to_a(buf, w.len, u8());
}

static void op_limits(void)
{
    struct ike_limits l;
    ike_limits_default(&l);
    uint8_t f = u8();
    if (f & 1)
        l.frag_max_count = u8();
    if (f & 2)
        l.frag_max_bytes = u16();
    if (f & 4)
        l.frag_max_mem = u16() * 4u;
    if (f & 8)
        l.frag_max_msgs = u8() % 3;
    if (f & 16)
        l.frag_timeout_ms = u16();
    l.fragment_size = 192;
    ike_engine_set_limits(ea, &l);
    held_mem = ea->frag.mem;
    held_msgs = ea->frag.msgs;
}

static void check(void)
{
    if (ea->lim.frag_max_mem && ea->frag.mem > ea->lim.frag_max_mem && ea->frag.mem > held_mem)
        fail("reassembly memory over frag_max_mem");
    unsigned sas = 0;
    for (unsigned i = 0; i < ea->n_slots; i++)
        sas += ike_sa_at(ea, i) != NULL;
    if (ea->frag.msgs > 2 * sas)
        fail("more than two messages in reassembly per IKE SA");
    if (ea->lim.frag_max_msgs && ea->frag.msgs > ea->lim.frag_max_msgs && ea->frag.msgs > held_msgs)
        fail("messages in reassembly over frag_max_msgs");
    if (!ea->frag.msgs && ea->frag.mem)
        fail("memory held without a reassembly");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool once;
    if (!once) {
        RAND_set_rand_method(&rand_method);
        once = true;
    }
    in_p = data;
    in_end = data + size;
    held_mem = held_msgs = 0;
    if (!setup())
        fail("no IKE SA");
    for (int ops = 0; in_p < in_end && ops < 64; ops++) {
        struct ikesa *sa = est(ea);
        if (!sa || !est(eb))
            break; /* deleted (an INFORMATIONAL with Delete can be made of the input) */
        switch (u8() % 6) {
        case 0: op_message(sa); break;
        case 1: op_raw(sa); break;
        case 2: pump(ea, eb); pump(eb, ea); break;
        case 3: now += u16(); ike_tick(ea, now); ike_tick(eb, now); break;
        case 4: op_limits(); break;
        case 5: ike_child_expired(eb, ike_sa_child(est(eb), 0)->spi_in, false, now); /* b sends a request */
                pump(eb, ea);
                break;
        }
        check();
    }
    struct ike_limits l; /* the timeout from the input was at most 65.5 s */
    ike_limits_default(&l);
    ike_engine_set_limits(ea, &l);
    now += 24 * 3600 * 1000ull;
    ike_tick(ea, now);
    if (ea->frag.msgs || ea->frag.mem)
        fail("reassembly state left after every timeout");
    ike_engine_free(ea);
    ike_engine_free(eb);
    return 0;
}
