/* child: the Child SAs of an IKE SA — KEYMAT (RFC 7296 2.17), the CHILD_UP
 * and CHILD_DOWN actions for the data plane, the table the exchanges look
 * Child SAs up in, and the rekey schedule (strongSwan's rekey_time minus a
 * random part of rand_time, so both peers do not rekey at once). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include "ike/ike_int.h"

/* an inbound SPI of ours in use: a Child SA's (retired ones too), or one
 * proposed in a request still out */
static bool spi_in_use(struct ike_engine *e, uint32_t spi)
{
    struct ikesa *sa = ike_sa_by_child_spi(e, spi); /* as of the last call's end (satab.c) */
    return sa &&
           (ike_child_any_by_spi_in(sa, spi) || (sa->rk.active && sa->rk.spi_in == spi) || sa->child_spi_in == spi);
}

/* our SPIs name our inbound SAs, so they must be unique among them (the
 * data plane looks SAs up by SPI alone, RFC 4301 4.1) */
uint32_t ike_new_spi(struct ike_engine *e, uint8_t out[4])
{
    uint32_t spi;
    do {
        e->env.random(e->env.ctx, out, 4);
        spi = (uint32_t)out[0] << 24 | (uint32_t)out[1] << 16 | (uint32_t)out[2] << 8 | out[3];
    } while (out[0] == 0 || spi_in_use(e, spi)); /* SPIs 0-255 are reserved; a zero first byte avoids them */
    return spi;
}

int ike_child_free_slots(const struct ikesa *sa)
{
    int n = 0;
    for (int i = 0; i < ike_child_slots(sa); i++)
        n += !ike_sa_child(sa, i)->up;
    if ((uint32_t)ike_child_slots(sa) < sa->child_max) /* and those it may still allocate */
        n += (int)(sa->child_max - (uint32_t)ike_child_slots(sa));
    return n;
}

int ike_sa_child_grow(struct ikesa *sa)
{
    struct ike_child_st **m = realloc(sa->more, (sa->n_more + 1) * sizeof *m);
    if (!m)
        return KITE_E_NOMEM;
    sa->more = m;
    if (!(m[sa->n_more] = calloc(IKE_CHILD_CHUNK, sizeof **m)))
        return KITE_E_NOMEM;
    sa->n_more++;
    return 0;
}

void ike_sa_child_chunks_free(struct ikesa *sa)
{
    for (uint32_t k = 0; k < sa->n_more; k++)
        free(sa->more[k]);
    free(sa->more);
    sa->more = NULL;
    sa->n_more = 0;
}

/* a free slot, allocated when all are taken and the limit allows */
static struct ike_child_st *free_slot(struct ike_engine *e, struct ikesa *sa, const char *name)
{
    for (int i = 0; i < ike_child_slots(sa); i++)
        if (!ike_sa_child(sa, i)->up)
            return ike_sa_child(sa, i);
    if ((uint32_t)ike_child_slots(sa) >= sa->child_max) {
        ike_log(e, LOG_IKE, 0, "CHILD_SA %s not installed: %u Child SAs on this IKE_SA already (max_child_sas)",
                name, sa->child_max);
        ike_count(e, sa, IKE_CTR_CHILD_LIMIT);
        return NULL;
    }
    if (ike_sa_child_grow(sa)) {
        ike_log(e, LOG_IKE, 0, "CHILD_SA %s not installed: out of memory", name);
        return NULL;
    }
    return ike_sa_child(sa, ike_child_slots(sa) - IKE_CHILD_CHUNK);
}

struct ike_child_st *ike_child_by_spi_out(struct ikesa *sa, uint32_t spi_out)
{
    for (int i = 0; i < ike_child_slots(sa); i++)
        if (ike_sa_child(sa, i)->up && !ike_sa_child(sa, i)->gone_at && ike_sa_child(sa, i)->spi_out == spi_out)
            return ike_sa_child(sa, i);
    return NULL;
}

struct ike_child_st *ike_child_by_spi_in(struct ikesa *sa, uint32_t spi_in)
{
    for (int i = 0; i < ike_child_slots(sa); i++)
        if (ike_sa_child(sa, i)->up && !ike_sa_child(sa, i)->gone_at && ike_sa_child(sa, i)->spi_in == spi_in)
            return ike_sa_child(sa, i);
    return NULL;
}

struct ike_child_st *ike_child_any_by_spi_in(struct ikesa *sa, uint32_t spi_in)
{
    for (int i = 0; i < ike_child_slots(sa); i++)
        if (ike_sa_child(sa, i)->up && ike_sa_child(sa, i)->spi_in == spi_in)
            return ike_sa_child(sa, i);
    return NULL;
}

/* The peer shows that it has the SA we made answering its rekey by deleting
 * the old one (1.4.1), which it does once our answer is in.  Until then the
 * answer may be lost and still to come from our response cache on the
 * peer's retransmission: a REKEY_SA or a Delete for the new SA sent now
 * would find it unknown there (CHILD_SA_NOT_FOUND, a Delete ignored), we
 * would drop it, and the peer would install it from the answer anyway. */
bool ike_child_unconfirmed(struct ikesa *sa, const struct ike_child_st *c)
{
    const struct ike_child_st *old = c->replaces ? ike_child_by_spi_in(sa, c->replaces) : NULL;
    return old && old->rekeyed && !old->deleting;
}

int ike_child_cfg_for_ts(const struct ikesa *sa, const struct ike_conn_cfg *c, const struct ike_ts *tsi,
                         const struct ike_ts *tsr)
{
    for (int i = 0; i < (int)c->n_children; i++) {
        struct ike_ts_set ts;
        struct ike_ts_cfg l, r;
        ike_ts_child(sa, &c->child[i], &ts);
        if (!ike_ts_narrow(ts.r, ts.nr, tsi, &r) && !ike_ts_narrow(ts.l, ts.nl, tsr, &l))
            return i;
    }
    return 0;
}

uint64_t ike_jitter(struct ike_engine *e, uint64_t range)
{
    if (!e->jitter_phase) { /* the first use: a random start (0 is taken as "not yet") */
        uint8_t r[4];
        e->env.random(e->env.ctx, r, 4);
        e->jitter_phase = ((uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3]) | 1;
    }
    uint32_t v = e->jitter_phase;
    e->jitter_phase += 0x9e3779b9u; /* 2^32 / golden ratio: the most even additive sequence */
    if (!e->jitter_phase)
        e->jitter_phase = 1;
    return (uint64_t)v * (range + 1) >> 32;
}

static uint64_t rekey_at(struct ike_engine *e, const struct ike_child_cfg *ch, uint64_t now)
{
    if (!ch->rekey_time_s)
        return 0;
    uint64_t t = (uint64_t)ch->rekey_time_s * 1000;
    if (ch->rand_time_s) {
        uint64_t jitter = ike_jitter(e, (uint64_t)ch->rand_time_s * 1000);
        t = jitter < t ? t - jitter : t / 2;
    }
    return now + t;
}

struct ike_child_st *ike_child_install(struct ike_engine *e, struct ikesa *sa, int cfg, const struct ike_algs *algs,
                                       uint32_t spi_in, uint32_t spi_out, struct span gir, struct span ni,
                                       struct span nr, const struct ike_ts_cfg *lts, const struct ike_ts_cfg *rts,
                                       bool transport, bool we_initiated, uint32_t replaces, bool takeover,
                                       uint64_t now)
{
    const struct ike_child_cfg *ch = &e->conns[sa->conn].child[cfg];
    struct ike_child_st *slot = free_slot(e, sa, ch->name);
    if (!slot)
        return NULL;
    struct child_keys k = { 0 };
    /* initiator's nonce first: ni/nr as the exchange's initiator and responder */
    int rc = keys_child_sa(&sa->prf, secret_span(&sa->keys.sk_d), gir, ni, nr, algs->encr, algs->integ, &k);
    if (rc) {
        ike_log(e, LOG_IKE, 1, "CHILD_SA %s: KEYMAT failed: %s", ch->name, kite_strerror(rc));
        return NULL;
    }
    struct ike_action *a = ike_push(e, IKE_ACT_CHILD_UP, sa);
    if (!a) {
        keys_child_free(&k);
        return NULL;
    }
    struct ike_child_sa *c = &a->child;
    snprintf(c->conn, sizeof c->conn, "%s", e->conns[sa->conn].name);
    snprintf(c->name, sizeof c->name, "%s", ch->name);
    c->ike_sa = sa->id;
    c->spi_in = spi_in;
    c->spi_out = spi_out;
    c->encr = algs->encr->id;
    c->encr_bits = algs->encr->key_bits;
    c->integ = algs->integ ? algs->integ->id : 0;
    c->esn = algs->esn;
    c->transport = transport;
    c->encap = sa->nat_local || sa->nat_remote || sa->nat_fake; /* ESP in UDP only with a NAT (or faked one) */
    c->local = sa->local;
    c->remote = sa->remote;
    c->local_ts = *lts;
    c->remote_ts = *rts;
    if (transport)
        ike_nat_transport_ts(e, sa, &c->remote_ts);
    c->replaces_spi_in = replaces;
    c->takeover = takeover;
    if (!replaces && !we_initiated)
        ike_life_child_overlap(e, sa, cfg, c);
    c->soft_bytes = ch->rekey_bytes;
    c->soft_packets = ch->rekey_packets;
    c->hard_bytes = ch->life_bytes;
    c->hard_packets = ch->life_packets;
    /* keys for the exchange initiator -> responder direction come first
     * (2.17; "initiator" is who started this exchange, 1.3) */
    const struct secret *ein, *eout, *iin, *iout;
    bool mine_first = we_initiated;
    ein = mine_first ? &k.encr_r : &k.encr_i;
    eout = mine_first ? &k.encr_i : &k.encr_r;
    iin = mine_first ? &k.integ_r : &k.integ_i;
    iout = mine_first ? &k.integ_i : &k.integ_r;
    c->key_len = (uint8_t)ein->n;
    c->integ_len = (uint8_t)iin->n;
    memcpy(c->encr_in, ein->p, ein->n);
    memcpy(c->encr_out, eout->p, eout->n);
    if (iin->n) {
        memcpy(c->integ_in, iin->p, iin->n);
        memcpy(c->integ_out, iout->p, iout->n);
    }
    keys_child_free(&k);
    memset(slot, 0, sizeof *slot);
    slot->up = true;
    slot->installed_at = e->now;
    slot->cfg = cfg;
    slot->spi_in = spi_in;
    slot->spi_out = spi_out;
    slot->a.encr = c->encr;
    slot->a.encr_bits = c->encr_bits;
    slot->a.integ = c->integ;
    slot->lts = *lts;
    slot->rts = *rts;
    slot->transport = transport;
    slot->replaces = replaces;
    slot->rekey_at = rekey_at(e, ch, now);
    slot->hard_at = ch->life_time_s ? now + (uint64_t)ch->life_time_s * 1000 : 0;
    /* a rekeyed SA is as wanted as the one it replaces */
    const struct ike_child_st *old = replaces ? ike_child_any_by_spi_in(sa, replaces) : NULL;
    slot->wanted = old ? old->wanted : (ch->start || we_initiated);
    char ps[160], ls[80], rs[80];
    ike_prop_str(algs, false, ps, sizeof ps);
    ike_log(e, LOG_CFG, 1, "selected proposal: ESP:%s", ps);
    ike_log(e, LOG_IKE, 0, "CHILD_SA %s{%u} established with SPIs %08x_i %08x_o and TS %s === %s%s", ch->name,
            sa->id, spi_in, spi_out, ike_ts_str(lts, ls, sizeof ls), ike_ts_str(rts, rs, sizeof rs),
            transport ? " (transport mode)" : "");
    if (slot->rekey_at)
        ike_log(e, LOG_IKE, 1, "scheduling rekeying of CHILD_SA %s{%u} in %llus", ch->name, sa->id,
                (unsigned long long)((slot->rekey_at - now) / 1000));
    return slot;
}

void ike_child_remove(struct ike_engine *e, struct ikesa *sa, struct ike_child_st *c, const char *why)
{
    const struct ike_child_cfg *ch = &e->conns[sa->conn].child[c->cfg];
    ike_log(e, LOG_IKE, 0, "closing CHILD_SA %s{%u} with SPIs %08x_i %08x_o (%s)", ch->name, sa->id, c->spi_in,
            c->spi_out, why);
    if (sa->rk.active && sa->rk.old == ike_child_index(sa, c))
        sa->rk.old = -1; /* the SA being rekeyed went away */
    struct ike_action *a = ike_push(e, IKE_ACT_CHILD_DOWN, sa);
    if (a) {
        snprintf(a->child.conn, sizeof a->child.conn, "%s", e->conns[sa->conn].name);
        snprintf(a->child.name, sizeof a->child.name, "%s", ch->name);
        a->child.ike_sa = sa->id;
        a->child.spi_in = c->spi_in;
        a->child.spi_out = c->spi_out;
        snprintf(a->reason, sizeof a->reason, "%s", why);
    }
    memset(c, 0, sizeof *c);
}

static void push_retire(struct ike_engine *e, struct ikesa *sa, const struct ike_child_st *c)
{
    const struct ike_child_cfg *ch = &e->conns[sa->conn].child[c->cfg];
    struct ike_action *a = ike_push(e, IKE_ACT_CHILD_RETIRE, sa);
    ike_count(e, sa, IKE_CTR_CHILD_REKEY);
    if (a) {
        snprintf(a->child.conn, sizeof a->child.conn, "%s", e->conns[sa->conn].name);
        snprintf(a->child.name, sizeof a->child.name, "%s", ch->name);
        a->child.ike_sa = sa->id;
        a->child.spi_in = c->spi_in;
        a->child.spi_out = c->spi_out;
    }
}

void ike_child_retire(struct ike_engine *e, struct ikesa *sa, struct ike_child_st *c, uint64_t now)
{
    const struct ike_child_cfg *ch = &e->conns[sa->conn].child[c->cfg];
    ike_log(e, LOG_IKE, 1, "CHILD_SA %s{%u} with SPIs %08x_i %08x_o retired: no more outbound use, inbound for %u ms",
            ch->name, sa->id, c->spi_in, c->spi_out, (unsigned)IKE_CHILD_GRACE_MS);
    push_retire(e, sa, c);
    c->gone_at = now + IKE_CHILD_GRACE_MS;
    c->rekey_at = 0;
}

void ike_child_deleting(struct ike_engine *e, struct ikesa *sa, struct ike_child_st *c)
{
    if (!c->deleting)
        push_retire(e, sa, c);
    c->deleting = true;
    c->rekey_at = 0;
}

void ike_child_lost(struct ike_engine *e, struct ikesa *sa, struct ike_child_st *c, const char *why, uint64_t now)
{
    int cfg = c->cfg;
    bool wanted = c->wanted;
    ike_child_remove(e, sa, c, why);
    if (!wanted || sa->replaced)
        return;
    ike_log(e, LOG_IKE, 1, "creating CHILD_SA %s again", e->conns[sa->conn].child[cfg].name);
    sa->want |= (1ull << cfg);
    sa->want_at = now;
}

void ike_child_reap(struct ike_engine *e, struct ikesa *sa, uint64_t now)
{
    for (int i = 0; i < ike_child_slots(sa); i++)
        if (ike_sa_child(sa, i)->up && ike_sa_child(sa, i)->gone_at && now >= ike_sa_child(sa, i)->gone_at)
            ike_child_remove(e, sa, ike_sa_child(sa, i), "rekeyed");
}

uint64_t ike_child_next_reap(const struct ikesa *sa)
{
    uint64_t next = UINT64_MAX;
    for (int i = 0; i < ike_child_slots(sa); i++)
        if (ike_sa_child(sa, i)->up && ike_sa_child(sa, i)->gone_at && ike_sa_child(sa, i)->gone_at < next)
            next = ike_sa_child(sa, i)->gone_at;
    return next;
}

int ike_child_hard_due(struct ike_engine *e, struct ikesa *sa, uint64_t now)
{
    for (int i = 0; i < ike_child_slots(sa); i++) {
        struct ike_child_st *c = ike_sa_child(sa, i);
        if (!c->up || c->gone_at || c->deleting || !c->hard_at || now < c->hard_at)
            continue;
        if (c->rekey_at && c->rekey_at <= now && !c->rekeyed && !sa->rk.active)
            continue; /* its rekey comes first (life_time may equal rekey_time) */
        if (sa->rk.active && sa->rk.old == i)
            continue; /* its rekey is under way: it goes with that */
        if (ike_child_unconfirmed(sa, c)) {
            c->hard_at = now + IKE_CONFIRM_RECHECK_MS; /* the peer may not have it yet */
            continue;
        }
        const struct ike_child_cfg *ch = &e->conns[sa->conn].child[c->cfg];
        ike_log(e, LOG_IKE, 0, "CHILD_SA %s{%u} with SPIs %08x_i %08x_o reached its hard lifetime, deleting it",
                ch->name, sa->id, c->spi_in, c->spi_out);
        /* no more outbound use now; inbound until the Delete is answered */
        ike_child_deleting(e, sa, c);
        sa->rk.del_spi = c->spi_in;
        ike_send_child_delete(e, sa, c->spi_in, now);
        return 1;
    }
    return 0;
}

uint64_t ike_child_next_hard(const struct ikesa *sa)
{
    uint64_t next = UINT64_MAX;
    for (int i = 0; i < ike_child_slots(sa); i++)
        if (ike_sa_child(sa, i)->up && !ike_sa_child(sa, i)->gone_at && !ike_sa_child(sa, i)->deleting && ike_sa_child(sa, i)->hard_at &&
            ike_sa_child(sa, i)->hard_at < next)
            next = ike_sa_child(sa, i)->hard_at;
    return next;
}

void ike_child_log_offers(struct ike_engine *e, const struct ike_child_cfg *ch, const struct ike_sa *offer)
{
    char got[512], have[512];
    ike_prop_offer_str(offer, got, sizeof got);
    ike_prop_cfg_str(ch->esp, ch->n_esp, false, have, sizeof have);
    ike_log(e, LOG_CFG, 1, "received proposals for CHILD_SA %s: %s", ch->name, got);
    ike_log(e, LOG_CFG, 1, "configured proposals for CHILD_SA %s: %s", ch->name, have);
}
