/* Collision schedules, explored systematically (issue 10, must show 4).
 *
 * Two engines on a virtual clock with an IKE SA and one Child SA ("net") up.
 * A schedule is two operations, each started on either side (a: the IKE
 * SA's initiator, b: its responder), out of
 *     child-rekey   the Child SA reaches its soft limit (ike_child_expired)
 *     ike-rekey     the IKE SA's rekey time comes (2.18)
 *     child-delete  the Child SA reaches its life_time: deleted, not rekeyed
 *     ike-delete    ike_delete_all(): Delete of the IKE SA (1.4.1)
 *     new-child     ike_initiate() of a second child, "net2" (1.3.1)
 * the second one started before each datagram the first one causes on its
 * own (before datagram 1: both at once), or after the first is done; and
 * one datagram of the schedule (each in turn) dropped, duplicated, or
 * delayed past the first retransmission (4.5 s), or none.
 *
 * Every schedule runs until nothing is left to do (no request out, no
 * rekey, creation or deletion pending, nothing held back), and when one side
 * then has an IKE SA the other lacks (a Delete of the IKE SA is sent once,
 * and may be dropped) 250 s more, for DPD (every 30 s) to find out within
 * 30 + 165 s.  It must end in the state the operations call for:
 *  - an ike-delete ran: no IKE SA and no Child SA on either side, unless a
 *    new-child started after it on a side without an IKE SA, which creates a
 *    fresh IKE SA: then one IKE SA on each side with only "net2";
 *  - otherwise one established IKE SA on each side with the same SPIs, and
 *    "net2" up iff a new-child ran; "net" up unless a child-delete ran; when
 *    a child-delete and a child-rekey of "net" ran at the same time the
 *    rekey may keep it (a life_time is satisfied by a rekey that is already
 *    under way), so either, but the same on both sides;
 *  - exactly one SA per child that is up: each side's data plane (the
 *    CHILD_UP/RETIRE/DOWN, IKE_REKEYED and IKE_DOWN actions applied as
 *    kited applies them) holds exactly the engine's Child SAs, nothing
 *    retired or half-deleted is left, each SA's outbound SPI is the peer's
 *    inbound one with the same keys both ways, and no request, rekey or
 *    creation is outstanding.
 * The engines are made once per first operation and side, and each
 * schedule starts from where the previous one ended, brought back to one IKE
 * SA initiated by a with "net" alone (an engine is a 900 KB SA table
 * to set up and wipe, which dominated the run under ASan).  The rng of both
 * engines is stirred by the schedule's number, so nonce contests (2.8) go
 * either way across schedules; everything is deterministic.  KITE_SCHED=<n>
 * prints schedule n's log (all schedules still run, in order). */
#include "ike/ike_int.h" /* white-box: the operations and the final state */
#include "harness.h"

static const char *PSK = "schedules-test-psk-0123456789";

enum op { OP_CHILD_REKEY, OP_IKE_REKEY, OP_CHILD_DELETE, OP_IKE_DELETE, OP_NEW_CHILD, N_OPS, OP_NONE = -1 };
static const char *const op_name[] = { "child-rekey", "ike-rekey", "child-delete", "ike-delete", "new-child" };
enum fate { F_NONE, F_DROP, F_DUP, F_DELAY };
static const char *const fate_name[] = { "none", "drop", "dup", "delay" };
enum { DELAY_MS = 4500, SETTLE_MS = 250000, DPD_MS = 30000, MAX_HELD = 16, DP_MAX = 32 };

/* a Child SA as kited's data plane holds it */
struct dp_sa {
    uint32_t in, out, ike;
    bool retired;
    char name[IKE_NAME_MAX];
    uint8_t key_len, encr_in[IKE_KEY_MAX], encr_out[IKE_KEY_MAX];
};

struct sched {
    int op[2], side[2];
    int trigger;  /* op[1] starts before this datagram (1-based, from op[0]'s start); 0: after op[0] is done */
    int fault_at; /* this datagram gets `fate` */
    enum fate fate;
};

struct world {
    struct side s[2];
    struct dp_sa dp[2][DP_MAX];
    int n_dp[2];
    uint64_t now;
    bool counting;
    int sent;        /* datagrams since op[0] started */
    struct sched sc;
    bool started[2], ran[2];
    bool fresh;      /* new-child created a new IKE SA */
    bool concurrent; /* op[1] started while op[0] was under way */
    bool faulted;    /* the fault hit a datagram */
    struct { struct ike_action *a; int to; uint64_t at; } held[MAX_HELD];
    int n_held;
    char why[512];
};

static bool verbose; /* KITE_SCHED: the one schedule's log on stderr */

static void sched_log(void *ctx, int subsys, int level, const char *msg)
{
    struct side *s = (struct side *)((char *)ctx - offsetof(struct side, rng));
    int n = snprintf(s->log + s->log_len, sizeof s->log - s->log_len, "%s\n", msg);
    (void)subsys;
    (void)level;
    if (n > 0 && (size_t)n < sizeof s->log - s->log_len)
        s->log_len += (size_t)n;
    if (verbose)
        fprintf(stderr, "  %c %s\n", s->child.name[0], msg);
}

static struct ike_conn_cfg conn(uint8_t me, uint8_t peer)
{
    struct ike_conn_cfg c = h_conn(me, peer, "aes256gcm16 prfsha256 x25519", "aes256gcm16", PSK);
    h_child_copy(&c.child[1], &c.child[0]);
    snprintf(c.child[1].name, sizeof c.child[1].name, "net2");
    c.child[1].local_ts[0] = h_ts(10, (uint8_t)(me + 10), 0, 24);
    c.child[1].remote_ts[0] = h_ts(10, (uint8_t)(peer + 10), 0, 24);
    c.n_children = 2;
    c.dpd_delay_ms = DPD_MS;
    return c;
}

/* ---- the data plane of each side ---- */

static struct dp_sa *dp_find(struct world *w, int x, uint32_t in)
{
    for (int i = 0; i < w->n_dp[x]; i++)
        if (w->dp[x][i].in == in)
            return &w->dp[x][i];
    return NULL;
}

static void dp_remove(struct world *w, int x, int i)
{
    w->dp[x][i] = w->dp[x][--w->n_dp[x]];
}

static void dp_apply(struct world *w, int x, const struct ike_action *a)
{
    struct dp_sa *d;
    switch (a->type) {
    case IKE_ACT_CHILD_UP:
        if (dp_find(w, x, a->child.spi_in) || w->n_dp[x] == DP_MAX) {
            snprintf(w->why, sizeof w->why, "side %c: CHILD_UP for SPI %08x twice, or too many", 'a' + x,
                     a->child.spi_in);
            return;
        }
        d = &w->dp[x][w->n_dp[x]++];
        memset(d, 0, sizeof *d);
        d->in = a->child.spi_in;
        d->out = a->child.spi_out;
        d->ike = a->child.ike_sa;
        memcpy(d->name, a->child.name, sizeof d->name);
        d->key_len = a->child.key_len;
        memcpy(d->encr_in, a->child.encr_in, sizeof d->encr_in);
        memcpy(d->encr_out, a->child.encr_out, sizeof d->encr_out);
        break;
    case IKE_ACT_CHILD_RETIRE:
        if ((d = dp_find(w, x, a->child.spi_in)))
            d->retired = true;
        break;
    case IKE_ACT_CHILD_DOWN:
        for (int i = 0; i < w->n_dp[x]; i++)
            if (w->dp[x][i].in == a->child.spi_in)
                dp_remove(w, x, i);
        break;
    case IKE_ACT_IKE_REKEYED:
        for (int i = 0; i < w->n_dp[x]; i++)
            if (w->dp[x][i].ike == a->old_ike_sa)
                w->dp[x][i].ike = a->ike_sa;
        break;
    case IKE_ACT_IKE_DOWN:
        for (int i = w->n_dp[x] - 1; i >= 0; i--)
            if (w->dp[x][i].ike == a->ike_sa)
                dp_remove(w, x, i);
        break;
    default: break;
    }
}

/* ---- the network ---- */

static void net_deliver(struct world *w, int to, const struct ike_action *a)
{
    ike_recv(w->s[to].e, a->data, a->len, &a->remote, &a->local, w->now);
}

static bool start_op(struct world *w, int i);
static int sched_str(const struct sched *s, char *buf, size_t cap);

static void on_send(struct world *w, int from, struct ike_action *a)
{
    int num = w->counting ? ++w->sent : 0;
    if (num && w->sc.op[1] != OP_NONE && !w->started[1] && w->sc.trigger == num)
        start_op(w, 1);
    if (num && num == w->sc.fault_at) {
        w->faulted = true;
        switch (w->sc.fate) {
        case F_DROP: return;
        case F_DUP: net_deliver(w, 1 - from, a); break;
        case F_DELAY:
            assert_true(w->n_held < MAX_HELD);
            w->held[w->n_held].a = malloc(sizeof *a);
            assert_non_null(w->held[w->n_held].a);
            *w->held[w->n_held].a = *a;
            w->held[w->n_held].to = 1 - from;
            w->held[w->n_held++].at = w->now + DELAY_MS;
            return;
        default: break;
        }
    }
    net_deliver(w, 1 - from, a);
}

static int world_drain(struct world *w, int x)
{
    struct ike_action *a = malloc(sizeof *a);
    int n = 0;
    assert_non_null(a);
    while (ike_next_action(w->s[x].e, a)) {
        n++;
        if (a->type == IKE_ACT_SEND)
            on_send(w, x, a);
        else
            dp_apply(w, x, a);
        ike_action_wipe(a);
    }
    free(a);
    return n;
}

static void release_held(struct world *w)
{
    for (int i = 0; i < w->n_held; i++) {
        if (w->held[i].at > w->now)
            continue;
        struct ike_action *a = w->held[i].a;
        int to = w->held[i].to;
        w->held[i--] = w->held[--w->n_held];
        net_deliver(w, to, a);
        ike_action_wipe(a);
        free(a);
    }
}

/* ---- state ---- */

static bool sa_busy(const struct ikesa *sa)
{
    if (sa->state == IKE_S_FREE)
        return false;
    if (sa->state != IKE_S_ESTABLISHED || sa->req_len || sa->rk.active || sa->rk.del_spi || sa->irk.active ||
        sa->want || sa->ike_rekey_at)
        return true;
    for (int i = 0; i < ike_child_slots(sa); i++) {
        const struct ike_child_st *c = ike_sa_child(sa, i);
        if (c->up && (c->gone_at || c->rekeyed || c->deleting || c->rekey_at || c->hard_at))
            return true;
    }
    return false;
}

/* nothing in flight and nothing left to do (DPD aside) */
static bool quiet(const struct world *w)
{
    if (w->n_held)
        return false;
    for (int x = 0; x < 2; x++)
        for (unsigned i = 0; i < ike_sa_slots(w->s[x].e); i++)
            if (ike_sa_at(w->s[x].e, i) && sa_busy(ike_sa_at(w->s[x].e, i)))
                return false;
    return true;
}

/* the side's live Child SA of configuration cfg: not rekeyed, not being deleted */
static struct ike_child_st *live_child(struct ikesa *sa, int cfg)
{
    for (int i = 0; sa && i < ike_child_slots(sa); i++) {
        struct ike_child_st *c = ike_sa_child(sa, i);
        if (c->up && !c->gone_at && !c->rekeyed && !c->deleting && c->cfg == cfg)
            return c;
    }
    return NULL;
}

static bool start_op(struct world *w, int i)
{
    int x = w->sc.side[i];
    struct ike_engine *e = w->s[x].e;
    struct ikesa *sa = h_est_sa(&w->s[x]);
    struct ike_child_st *c = live_child(sa, 0);
    struct ike_stats st0, st1;
    bool ran = false;
    if (i == 1)
        w->concurrent = !quiet(w);
    w->started[i] = true;
    switch (w->sc.op[i]) {
    case OP_CHILD_REKEY: ran = c && ike_child_expired(e, c->spi_in, false, w->now) == 0; break;
    case OP_IKE_REKEY:
        if (sa)
            sa->ike_rekey_at = w->now;
        ran = sa != NULL;
        break;
    case OP_CHILD_DELETE:
        if (c)
            c->hard_at = w->now; /* its life_time is up */
        ran = c != NULL;
        break;
    case OP_IKE_DELETE: ran = ike_delete_all(e, w->now) > 0; break;
    case OP_NEW_CHILD:
        ike_engine_stats(e, &st0);
        assert_int_equal(ike_initiate(e, "lab", "net2", w->now), 0);
        ike_engine_stats(e, &st1);
        w->fresh = w->fresh || st1.ike_sas > st0.ike_sas;
        ran = true;
        break;
    default: break;
    }
    ike_tick(e, w->now);
    w->ran[i] = ran;
    return ran;
}

/* one side has an IKE SA the other lacks */
static bool lopsided(const struct world *w)
{
    for (int x = 0; x < 2; x++)
        for (unsigned i = 0; i < ike_sa_slots(w->s[x].e); i++) {
            const struct ikesa *s = ike_sa_at(w->s[x].e, i);
            bool found = false;
            for (unsigned k = 0; s && k < ike_sa_slots(w->s[1 - x].e) && !found; k++) {
                const struct ikesa *o = ike_sa_at(w->s[1 - x].e, k);
                found = o && !memcmp(o->spi_i, s->spi_i, 8) && !memcmp(o->spi_r, s->spi_r, 8);
            }
            if (s && !found)
                return true;
        }
    return false;
}

/* run until quiet with every operation started (stop_quiet), or until `until` */
static void run(struct world *w, uint64_t until, bool stop_quiet)
{
    for (int guard = 0; guard < 200000; guard++) {
        if (world_drain(w, 0) + world_drain(w, 1))
            continue;
        if (quiet(w) && w->counting && w->sc.op[1] != OP_NONE && !w->started[1]) {
            start_op(w, 1); /* after op[0] (also when its trigger datagram never came) */
            continue;
        }
        if (stop_quiet && quiet(w) && (w->sc.op[1] == OP_NONE || w->started[1]))
            return;
        uint64_t next = ike_next_deadline(w->s[0].e), nb = ike_next_deadline(w->s[1].e);
        next = nb < next ? nb : next;
        for (int i = 0; i < w->n_held; i++)
            next = w->held[i].at < next ? w->held[i].at : next;
        if (next > until)
            return;
        if (next > w->now)
            w->now = next;
        release_held(w);
        ike_tick(w->s[0].e, w->now);
        ike_tick(w->s[1].e, w->now);
    }
    char d[200];
    sched_str(&w->sc, d, sizeof d);
    fail_msg("the schedule (%s) did not settle: t=%llu, deadlines %llu %llu", d, (unsigned long long)w->now,
             (unsigned long long)ike_next_deadline(w->s[0].e), (unsigned long long)ike_next_deadline(w->s[1].e));
}

static void world_init(struct world *w)
{
    memset(w, 0, sizeof *w);
    w->s[0].rng = 0x1234567; /* xorshift: never 0 */
    w->s[1].rng = 0x7654321;
    for (int x = 0; x < 2; x++) {
        struct ike_env env = { &w->s[x].rng, h_random, sched_log, 0 };
        w->s[x].child.name[0] = (char)('a' + x); /* names the side in the verbose log */
        struct ike_conn_cfg c = conn((uint8_t)(x + 1), (uint8_t)(2 - x));
        w->s[x].e = ike_engine_new(&env);
        assert_non_null(w->s[x].e);
        assert_int_equal(ike_engine_add_conn(w->s[x].e, &c), 0);
    }
    w->now = 1000;
}

static void world_free(struct world *w)
{
    for (int i = 0; i < w->n_held; i++) {
        ike_action_wipe(w->held[i].a);
        free(w->held[i].a);
    }
    ike_engine_free(w->s[0].e);
    ike_engine_free(w->s[1].e);
}

/* ---- the end state ---- */

struct want {
    int ike;             /* IKE SAs on each side: 0 or 1 */
    int net_min, net_max, net2;
};

static struct want expected(const struct world *w)
{
    struct want x = { 1, 1, 1, 0 };
    bool ran_op[N_OPS] = { false };
    for (int i = 0; i < 2; i++)
        if (w->sc.op[i] != OP_NONE && w->ran[i])
            ran_op[w->sc.op[i]] = true;
    if (ran_op[OP_IKE_DELETE]) {
        /* only a new-child after the delete can bring a (fresh) IKE SA */
        bool fresh = w->fresh && w->sc.op[0] == OP_IKE_DELETE && w->sc.op[1] == OP_NEW_CHILD;
        x.ike = fresh;
        x.net_min = x.net_max = 0;
        x.net2 = fresh;
        return x;
    }
    x.net2 = ran_op[OP_NEW_CHILD];
    if (ran_op[OP_CHILD_DELETE]) {
        x.net_min = 0;
        x.net_max = ran_op[OP_CHILD_REKEY] && w->concurrent;
    }
    return x;
}

static int count_children(struct ikesa *sa, int cfg)
{
    int n = 0;
    for (int i = 0; sa && i < ike_child_slots(sa); i++)
        n += ike_sa_child(sa, i)->up && ike_sa_child(sa, i)->cfg == cfg;
    return n;
}

/* the engine's state of one side against its data plane; 0 or a reason in w->why */
static int check_side(struct world *w, int x, struct ikesa **out)
{
    struct ikesa *sa = NULL;
    int n_sa = 0;
    for (unsigned i = 0; i < ike_sa_slots(w->s[x].e); i++) {
        struct ikesa *s = ike_sa_at(w->s[x].e, i);
        if (!s)
            continue;
        n_sa++;
        sa = s;
        if (sa_busy(s))
            return snprintf(w->why, sizeof w->why, "side %c: IKE_SA %u left busy (state %d, request %s, rekeys %d/%d)",
                            'a' + x, s->id, s->state, s->req_len ? "outstanding" : "none", s->rk.active, s->irk.active);
    }
    if (n_sa > 1)
        return snprintf(w->why, sizeof w->why, "side %c: %d IKE_SAs", 'a' + x, n_sa);
    *out = sa;
    int n_children = count_children(sa, 0) + count_children(sa, 1);
    if (n_children != w->n_dp[x])
        return snprintf(w->why, sizeof w->why, "side %c: %d Child SAs in the engine, %d in the data plane", 'a' + x,
                        n_children, w->n_dp[x]);
    for (int i = 0; i < w->n_dp[x]; i++) {
        const struct dp_sa *d = &w->dp[x][i];
        struct ike_child_st *c = sa ? ike_child_by_spi_in(sa, d->in) : NULL;
        if (!c || c->spi_out != d->out || d->ike != sa->id || d->retired)
            return snprintf(w->why, sizeof w->why, "side %c: data-plane SA %08x/%08x%s does not match the engine's",
                            'a' + x, d->in, d->out, d->retired ? " (retired)" : "");
    }
    return 0;
}

static int check_end(struct world *w)
{
    struct ikesa *sa[2];
    for (int x = 0; x < 2; x++)
        if (check_side(w, x, &sa[x]))
            return 1;
    struct want want = expected(w);
    for (int x = 0; x < 2; x++) {
        int net = count_children(sa[x], 0), net2 = count_children(sa[x], 1);
        if ((sa[x] != NULL) != want.ike || net < want.net_min || net > want.net_max || net2 != want.net2)
            return snprintf(w->why, sizeof w->why,
                            "side %c ends with %d IKE_SA, %d net, %d net2; want %d, %d..%d, %d", 'a' + x,
                            sa[x] != NULL, net, net2, want.ike, want.net_min, want.net_max, want.net2);
    }
    if (sa[0] && (memcmp(sa[0]->spi_i, sa[1]->spi_i, 8) || memcmp(sa[0]->spi_r, sa[1]->spi_r, 8)))
        return snprintf(w->why, sizeof w->why, "the sides' IKE_SAs differ");
    if (w->n_dp[0] != w->n_dp[1])
        return snprintf(w->why, sizeof w->why, "a has %d Child SAs, b %d", w->n_dp[0], w->n_dp[1]);
    for (int i = 0; i < w->n_dp[0]; i++) {
        const struct dp_sa *d = &w->dp[0][i], *p = dp_find(w, 1, d->out);
        if (!p || p->out != d->in || strcmp(p->name, d->name) || p->key_len != d->key_len ||
            memcmp(p->encr_in, d->encr_out, d->key_len) || memcmp(p->encr_out, d->encr_in, d->key_len))
            return snprintf(w->why, sizeof w->why, "a's %s SA %08x_i %08x_o has no match with the same keys at b",
                            d->name, d->in, d->out);
    }
    return 0;
}

/* ---- running schedules ---- */

static int sched_str(const struct sched *s, char *buf, size_t cap)
{
    char when[32];
    if (s->op[1] == OP_NONE)
        snprintf(when, sizeof when, "alone");
    else if (s->trigger)
        snprintf(when, sizeof when, "before datagram %d", s->trigger);
    else
        snprintf(when, sizeof when, "after it");
    return snprintf(buf, cap, "%s@%c, then %s@%c %s; datagram %d: %s", op_name[s->op[0]], 'a' + s->side[0],
                    s->op[1] == OP_NONE ? "-" : op_name[s->op[1]], s->op[1] == OP_NONE ? '-' : 'a' + s->side[1],
                    when, s->fault_at, fate_name[s->fate]);
}

struct stats {
    int schedules, faulted, failed, concurrent, fresh, collisions;
    int fate[4];
};

/* the start of every schedule: one IKE SA, initiated by a, with "net"
 * alone; reached from where the previous schedule ended (deleting "net2",
 * creating "net" again, or a new IKE SA), so that engines are made once per
 * chain of schedules, not per schedule */
static bool canonical(struct world *w)
{
    struct ikesa *sa = h_est_sa(&w->s[0]), *sb = h_est_sa(&w->s[1]);
    struct ike_stats st[2];
    ike_engine_stats(w->s[0].e, &st[0]);
    ike_engine_stats(w->s[1].e, &st[1]);
    return sa && sb && sa->initiator && st[0].ike_sas == 1 && st[1].ike_sas == 1 && !lopsided(w) &&
           count_children(sa, 0) == 1 && count_children(sa, 1) == 0 && count_children(sb, 0) == 1 &&
           count_children(sb, 1) == 0 && w->n_dp[0] == 1 && w->n_dp[1] == 1;
}

static void to_start(struct world *w)
{
    memset(&w->sc, 0, sizeof w->sc);
    w->sc.op[1] = OP_NONE;
    w->counting = w->fresh = w->concurrent = w->faulted = false;
    w->started[0] = w->started[1] = w->ran[0] = w->ran[1] = false;
    w->sent = 0;
    run(w, w->now + 600000, true);
    struct ikesa *sa = h_est_sa(&w->s[0]);
    struct ike_child_st *net2 = live_child(sa, 1);
    if (sa && sa->initiator && !lopsided(w) && net2) {
        net2->hard_at = w->now;
        ike_tick(w->s[0].e, w->now);
        run(w, w->now + 600000, true);
    }
    if (sa && sa->initiator && !lopsided(w) && !count_children(sa, 0)) {
        assert_int_equal(ike_initiate(w->s[0].e, "lab", "net", w->now), 0);
        ike_tick(w->s[0].e, w->now);
        run(w, w->now + 600000, true);
    }
    if (!canonical(w)) {
        ike_delete_all(w->s[0].e, w->now);
        ike_delete_all(w->s[1].e, w->now);
        run(w, w->now + 600000, true);
        assert_int_equal(ike_initiate(w->s[0].e, "lab", "net", w->now), 0);
        run(w, w->now + 600000, true);
    }
    assert_true(canonical(w));
}

/* one schedule; the number of datagrams until it went quiet */
static int run_one(struct world *w, const struct sched *sc, int number, struct stats *st, bool want_verbose)
{
    to_start(w);
    verbose = want_verbose;
    w->s[0].rng ^= (uint64_t)(number + 1) * 0x9e3779b97f4a7c15ull; /* nonce contests go either way */
    w->s[1].rng ^= (uint64_t)(number + 1) * 0xc2b2ae3d27d4eb4full;
    w->sc = *sc;
    w->counting = true;
    w->s[0].log_len = w->s[1].log_len = 0;
    w->s[0].log[0] = w->s[1].log[0] = 0;
    start_op(w, 0);
    run(w, w->now + 600000, true);
    int datagrams = w->sent;
    if (lopsided(w)) { /* an IKE Delete was lost (it is not retransmitted): DPD finds out */
        run(w, w->now + SETTLE_MS, false);
        run(w, w->now + 600000, true);
    }
    int bad = check_end(w);
    st->schedules++;
    st->faulted += w->faulted;
    st->fate[sc->fate] += w->faulted || sc->fate == F_NONE;
    st->concurrent += w->concurrent;
    st->fresh += w->fresh;
    st->collisions += strstr(w->s[0].log, "collision") || strstr(w->s[1].log, "collision");
    if (bad || want_verbose) {
        char d[200];
        sched_str(sc, d, sizeof d);
        if (bad && st->failed < 8)
            print_message("schedule %d (%s): %s\n", number, d, w->why);
        if (want_verbose)
            print_message("schedule %d (%s): %s\n", number, d, bad ? w->why : "ok");
        st->failed += bad != 0;
    }
    verbose = false;
    w->counting = false;
    return datagrams;
}

static void all_schedules(void **s)
{
    (void)s;
    struct stats st = { 0 };
    const char *only = getenv("KITE_SCHED");
    int number = 0, want = only ? atoi(only) : -1;
    for (int o1 = 0; o1 < N_OPS; o1++)
        for (int s1 = 0; s1 < 2; s1++) {
            /* one chain of schedules per first operation and side */
            struct world *w = calloc(1, sizeof *w);
            assert_non_null(w);
            world_init(w);
            struct stats alone = { 0 };
            struct sched base = { { o1, OP_NONE }, { s1, 0 }, 0, 0, F_NONE };
            int m1 = run_one(w, &base, 0, &alone, false); /* op[0] on its own: its datagrams */
            assert_int_equal(alone.failed, 0);
            for (int o2 = 0; o2 < N_OPS; o2++)
                for (int s2 = 0; s2 < 2; s2++)
                    for (int trig = 1; trig <= m1 + 1; trig++) {
                        struct sched sc = { { o1, o2 }, { s1, s2 }, trig <= m1 ? trig : 0, 0, F_NONE };
                        /* fault-free first: the number of datagrams to fault in turn */
                        int m = run_one(w, &sc, number, &st, number == want);
                        number++;
                        for (int j = 1; j <= m; j++)
                            for (int f = F_DROP; f <= F_DELAY; f++, number++) {
                                sc.fault_at = j;
                                sc.fate = (enum fate)f;
                                run_one(w, &sc, number, &st, number == want);
                            }
                    }
            world_free(w);
            free(w);
        }
    print_message("%d schedules: %d with a datagram dropped, %d duplicated, %d delayed, %d fault-free; "
                  "%d with the second operation started while the first was under way, %d logged a collision, "
                  "%d brought up a fresh IKE_SA; %d failed\n",
                  st.schedules, st.fate[F_DROP], st.fate[F_DUP], st.fate[F_DELAY], st.fate[F_NONE], st.concurrent,
                  st.collisions, st.fresh, st.failed);
    assert_true(st.schedules >= 120);
    assert_int_equal(st.failed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(all_schedules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
