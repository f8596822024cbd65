/*  HDR, SK {[N(REKEY_SA)], SA, Ni, [KEi], TSi, TSr, [N(USE_TRANSPORT_MODE)]}  -->
 *                     <--  HDR, SK {SA, Nr, [KEr], TSi, TSr, [N(USE_TRANSPORT_MODE)]}
 *                     <--  HDR, SK {N(error)}
 * RFC 7296 1.3.1 (new Child SA), 1.3.3 (Child SA rekey, with or without a new
 * key exchange), 2.17 (KEYMAT from the fresh nonces).  The rekeyed SA is
 * installed beside the old one (make-before-break) and the old one goes with
 * an INFORMATIONAL Delete from the exchange's initiator.  A CREATE_CHILD_SA
 * that rekeys the IKE SA itself goes to exch_ike_rekey.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include "base/rd.h"
#include "base/wr.h"
#include "ike/ike_int.h"

struct cc_out {
    struct ike_pld pld[10];
    unsigned n;
    uint8_t spi[4], rekey_spi[4];
    uint8_t nonce[IKE_NONCE_MAX];
    size_t nonce_len;
    uint8_t ke[1024];
    struct ike_proposal prop[IKE_MAX_PROPS];
    struct ike_transform xf[IKE_MAX_PROPS][IKE_MAX_XF];
    struct ike_xf_attr attr[IKE_MAX_PROPS][IKE_MAX_XF];
    struct ike_ts_sel tsi[IKE_MAX_TS_CFG], tsr[IKE_MAX_TS_CFG];
};

static struct ike_pld *add(struct cc_out *o, uint8_t type)
{
    struct ike_pld *p = &o->pld[o->n++];
    memset(p, 0, sizeof *p);
    p->type = type;
    return p;
}

static void add_sa(struct cc_out *o, const struct ike_prop_cfg *cfg, unsigned n, uint8_t first_num)
{
    struct ike_pld *p = add(o, IKEV2_PLD_SA);
    for (unsigned i = 0; i < n; i++)
        ike_prop_build(&cfg[i], (uint8_t)(first_num + i), IKEV2_PROTO_ESP, o->spi, 4, &o->prop[i], o->xf[i],
                       o->attr[i]);
    p->u.sa.n_prop = (uint8_t)n;
    p->u.sa.prop = o->prop;
}

static void add_ts(struct cc_out *o, uint8_t type, const struct ike_ts_cfg *ts, unsigned n, struct ike_ts_sel *sel)
{
    struct ike_pld *p = add(o, type);
    for (unsigned i = 0; i < n; i++)
        ike_ts_to_wire(&ts[i], &sel[i]);
    p->u.ts.n = (uint8_t)n;
    p->u.ts.sel = sel;
}

static int add_ke(struct cc_out *o, const struct ke *k, uint16_t group)
{
    size_t len;
    int rc = ke_public(k, o->ke, sizeof o->ke, &len);
    if (rc)
        return rc;
    struct ike_pld *p = add(o, IKEV2_PLD_KE);
    p->u.ke.group = group;
    p->u.ke.data = span_of(o->ke, len);
    return 0;
}

static int send_cc(struct ike_engine *e, struct ikesa *sa, struct cc_out *o, bool response, uint32_t msgid,
                   uint64_t now)
{
    return ike_send_sk(e, sa, IKEV2_EXCH_CREATE_CHILD_SA, o->pld, o->n, response, msgid, now);
}

static int send_error(struct ike_engine *e, struct ikesa *sa, uint32_t msgid, uint16_t type, const void *data,
                      size_t dlen, uint64_t now)
{
    struct cc_out *o = ike_scratch_get(e, sizeof *o, true);
    if (!o)
        return KITE_E_NOMEM;
    pld_notify(&o->pld[o->n++], type, data, dlen);
    int rc = send_cc(e, sa, o, true, msgid, now);
    ike_scratch_put(e, o);
    return rc;
}

/* the SPI of a REKEY_SA notify (proto ESP, 4 bytes), 0 when absent */
static uint32_t rekey_spi(const struct ike_chain *in)
{
    const struct ike_notify *n = ike_chain_notify(in, IKEV2_N_REKEY_SA);
    struct rd r;
    uint32_t spi = 0;
    if (!n)
        return 0;
    rd_init(&r, n->spi.p, n->spi.n);
    if (n->spi.n != 4 || rd_be32(&r, &spi))
        return 0xffffffff; /* a REKEY_SA we cannot match */
    return spi;
}

/* nonces compared as byte strings, a shorter prefix first */
int ike_nonce_cmp(struct span a, struct span b)
{
    size_t n = a.n < b.n ? a.n : b.n;
    int c = memcmp(a.p, b.p, n);
    return c ? c : (a.n < b.n ? -1 : a.n > b.n);
}

size_t ike_nonce_len(const struct ike_engine *e)
{
    uint16_t n = e->env.nonce_len;
    return n >= IKE_NONCE_MIN && n <= IKE_NONCE_MAX ? n : IKE_NONCE_LEN;
}

bool ike_nonce_ok(struct span n)
{
    return n.n >= IKE_NONCE_MIN && n.n <= IKE_NONCE_MAX;
}

/* the Child SA a REKEY_SA names (the peer's inbound SPI, our outbound one,
 * 3.10.1): 0 with *old set (NULL without REKEY_SA), or the request is
 * answered here with an error: 1, or the sending error */
static int rekey_target(struct ike_engine *e, struct ikesa *sa, uint32_t old_spi, uint32_t msgid, uint64_t now,
                        struct ike_child_st **old)
{
    *old = NULL;
    if (!old_spi)
        return 0;
    struct ike_child_st *c = ike_child_by_spi_out(sa, old_spi);
    int rc;
    if (!c) {
        ike_log(e, LOG_IKE, 1, "received REKEY_SA for unknown CHILD_SA with SPI %08x, sending CHILD_SA_NOT_FOUND",
                old_spi);
        rc = send_error(e, sa, msgid, IKEV2_N_CHILD_SA_NOT_FOUND, NULL, 0, now);
        return rc ? rc : 1;
    }
    if (c->deleting || c->rekeyed) {
        /* we are closing it (2.25.1): the peer may try again later, or learns of the Delete */
        ike_log(e, LOG_IKE, 1, "received REKEY_SA for CHILD_SA with SPI %08x that we are %s, sending "
                               "TEMPORARY_FAILURE", old_spi, c->deleting ? "deleting" : "replacing");
        rc = send_error(e, sa, msgid, IKEV2_N_TEMPORARY_FAILURE, NULL, 0, now);
        return rc ? rc : 1;
    }
    if (sa->rk.active && sa->rk.old >= 0 && ike_sa_child(sa, sa->rk.old) == c) {
        /* both sides rekey the same Child SA (2.8.1): the SA created with
         * the lowest of the four nonces is deleted by its creator; ours
         * is compared when our answer arrives */
        ike_log(e, LOG_IKE, 1, "CHILD_SA rekey collision for SPI %08x_o: both sides rekeying", old_spi);
        sa->rk.collided = true;
    }
    *old = c;
    return 0;
}

/* ---- responder ---- */

/* our answer is out and its SA c installed: note a collision's lower nonce,
 * mark the SA it replaces (old_spi, our outbound SPI of it) */
static void answer_installed(struct ike_engine *e, struct ikesa *sa, const struct ike_child_st *c, uint32_t old_spi,
                     struct span ni, struct span nr, uint16_t ke)
{
    if (sa->rk.collided && !sa->rk.peer_min_len) {
        struct span lo = ike_nonce_cmp(ni, nr) <= 0 ? ni : nr;
        memcpy(sa->rk.peer_min, lo.p, lo.n);
        sa->rk.peer_min_len = lo.n;
    }
    if (!old_spi)
        return;
    struct ike_child_st *old = ike_child_by_spi_out(sa, old_spi);
    if (old)
        old->rekeyed = true;
    ike_log(e, LOG_IKE, 1, "CHILD_SA %s{%u} rekeyed: %08x_i %08x_o replaces %08x_o%s",
            e->conns[sa->conn].child[c->cfg].name, sa->id, c->spi_in, c->spi_out, old_spi,
            ke ? " (with a new key exchange)" : "");
}

/* no free Child SA slot, or only the one our own request under way needs:
 * refused before we answer, so the peer never installs an SA we lack (3.10.1) */
static int refuse_full(struct ike_engine *e, struct ikesa *sa, const struct ike_child_cfg *ch, uint32_t msgid,
                       uint64_t now)
{
    ike_count(e, sa, IKE_CTR_CHILD_LIMIT);
    ike_log(e, LOG_IKE, 0, "CHILD_SA %s: no free CHILD_SA slot on this IKE_SA (%u)%s, sending NO_ADDITIONAL_SAS",
            ch->name, sa->child_max, sa->rk.active ? " besides our own request's" : "");
    return send_error(e, sa, msgid, IKEV2_N_NO_ADDITIONAL_SAS, NULL, 0, now);
}

/* the answer's selectors (2.9): the proposed ones narrowed to our
 * configuration, and for a rekey (old) to the old SA's, which the new SA
 * may not exceed (2.9.2): a peer cannot widen a Child SA by rekeying it */
static int answer_ts(struct ike_engine *e, const struct ikesa *sa, const struct ike_child_cfg *ch,
                     const struct ike_child_st *old,
                     const struct ike_ts *tsi, const struct ike_ts *tsr, struct ike_ts_cfg *lts, struct ike_ts_cfg *rts)
{
    if (!old) {
        struct ike_ts_set ts;
        ike_ts_child(sa, ch, &ts); /* `dynamic`: the peer's address as TSi, ours as TSr */
        return ike_ts_narrow(ts.r, ts.nr, tsi, rts) || ike_ts_narrow(ts.l, ts.nl, tsr, lts) ? KITE_E_TS_UNACCEPTABLE : 0;
    }
    if (ike_ts_narrow(&old->rts, 1, tsi, rts) || ike_ts_narrow(&old->lts, 1, tsr, lts))
        return KITE_E_TS_UNACCEPTABLE;
    if (!ike_ts_subset(tsi, &old->rts, 1) || !ike_ts_subset(tsr, &old->lts, 1))
        ike_log(e, LOG_IKE, 1, "CHILD_SA %s rekey: the peer's traffic selectors exceed the old SA's, narrowed to "
                               "them (2.9.2)", ch->name);
    return 0;
}

/* HDR, SK {SA, Nr, [KEr], TSi, TSr, [N(USE_TRANSPORT_MODE)]} into o (its SPI and nonce set) */
static int answer_build(struct cc_out *o, const struct ike_algs *algs, uint8_t num, const struct ke *k,
                        const struct ike_ts_cfg *rts, const struct ike_ts_cfg *lts, bool transport)
{
    struct ike_prop_cfg one;
    int rc = 0;
    ike_prop_from_algs(algs, false, &one);
    add_sa(o, &one, 1, num);
    struct ike_pld *np = add(o, IKEV2_PLD_NONCE);
    np->u.nonce.data = span_of(o->nonce, o->nonce_len);
    if (algs->ke)
        rc = add_ke(o, k, algs->ke);
    add_ts(o, IKEV2_PLD_TSI, rts, 1, o->tsi);
    add_ts(o, IKEV2_PLD_TSR, lts, 1, o->tsr);
    if (transport)
        pld_notify(&o->pld[o->n++], IKEV2_N_USE_TRANSPORT_MODE, NULL, 0);
    return rc;
}

int ike_create_child_request(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, uint32_t msgid,
                             uint64_t now)
{
    const struct ike_pld *sap = ike_chain_find(in, IKEV2_PLD_SA, 0), *nonce = ike_chain_find(in, IKEV2_PLD_NONCE, 0);
    const struct ike_pld *kei = ike_chain_find(in, IKEV2_PLD_KE, 0);
    const struct ike_pld *tsi = ike_chain_find(in, IKEV2_PLD_TSI, 0), *tsr = ike_chain_find(in, IKEV2_PLD_TSR, 0);
    if (sap && sap->u.sa.n_prop && sap->u.sa.prop[0].proto == IKEV2_PROTO_IKE)
        return ike_rekey_request(e, sa, in, msgid, now);
    if (sa->replaced || sa->irk.active) { /* rekeyed, or being rekeyed: Child SAs wait for the new IKE SA (2.25.2) */
        ike_log(e, LOG_IKE, 1, "CREATE_CHILD_SA request while the IKE_SA is %s, sending TEMPORARY_FAILURE",
                sa->replaced ? "rekeyed" : "being rekeyed");
        return send_error(e, sa, msgid, IKEV2_N_TEMPORARY_FAILURE, NULL, 0, now);
    }
    if (!sap || !nonce || !tsi || !tsr || !ike_nonce_ok(nonce->u.nonce.data)) {
        ike_log(e, LOG_IKE, 1, "CREATE_CHILD_SA request without SA, nonce or traffic selectors, sending INVALID_SYNTAX");
        return send_error(e, sa, msgid, IKEV2_N_INVALID_SYNTAX, NULL, 0, now);
    }
    uint32_t old_spi = rekey_spi(in);
    struct ike_child_st *old = NULL;
    int cfg = 0, answered = rekey_target(e, sa, old_spi, msgid, now, &old);
    if (answered)
        return answered < 0 ? answered : 0;
    if (old)
        cfg = old->cfg;
    if (!old) /* a new Child SA: the configuration its selectors fit */
        cfg = ike_child_cfg_for_ts(sa, &e->conns[sa->conn], &tsi->u.ts, &tsr->u.ts);
    if (!old && sa->rk.active && sa->rk.create && sa->rk.cfg == cfg && !sa->rk.collided) {
        /* both ends create the same Child SA: decided by the nonces when our answer is in */
        ike_log(e, LOG_IKE, 1, "CHILD_SA %s creation collision: both sides creating it",
                e->conns[sa->conn].child[cfg].name);
        sa->rk.collided = true;
    }
    const struct ike_child_cfg *ch = &e->conns[sa->conn].child[cfg];
    if (ike_child_free_slots(sa) <= (sa->rk.active ? 1 : 0))
        return refuse_full(e, sa, ch, msgid, now);
    struct ike_algs algs;
    const struct ike_proposal *chosen;
    uint16_t want = 0;
    int rc = ike_prop_select(ch->esp, ch->n_esp, &sap->u.sa, IKEV2_PROTO_ESP, kei ? kei->u.ke.group : 0, &algs,
                             &chosen, &want);
    if (rc == KITE_E_INVALID_KE) {
        uint8_t g[2] = { (uint8_t)(want >> 8), (uint8_t)want };
        ike_log(e, LOG_IKE, 1, "peer used key exchange group %u for CHILD_SA %s, requesting %u (INVALID_KE_PAYLOAD)",
                kei ? kei->u.ke.group : 0, ch->name, want);
        return send_error(e, sa, msgid, IKEV2_N_INVALID_KE_PAYLOAD, g, 2, now);
    }
    if (rc || (algs.ke && !kei)) {
        ike_log(e, LOG_IKE, 1, "no acceptable proposal found for CHILD_SA %s, sending NO_PROPOSAL_CHOSEN", ch->name);
        ike_child_log_offers(e, ch, &sap->u.sa);
        return send_error(e, sa, msgid, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0, now);
    }
    struct ike_ts_cfg lts, rts;
    if (answer_ts(e, sa, ch, old, &tsi->u.ts, &tsr->u.ts, &lts, &rts)) {
        ike_log(e, LOG_IKE, 1, "traffic selectors unacceptable for CHILD_SA %s%s, sending TS_UNACCEPTABLE", ch->name,
                old ? " (outside the old SA's)" : "");
        return send_error(e, sa, msgid, IKEV2_N_TS_UNACCEPTABLE, NULL, 0, now);
    }
    struct cc_out *o = ike_scratch_get(e, sizeof *o, true);
    if (!o)
        return KITE_E_NOMEM;
    struct ke k;
    struct secret gir = { 0 };
    memset(&k, 0, sizeof k);
    rc = algs.ke ? ke_generate(&k, algs.ke) : 0;
    if (!rc && algs.ke)
        rc = ke_shared(&k, kei->u.ke.data, &gir);
    if (rc) {
        ike_log(e, LOG_IKE, 1, "key exchange for CHILD_SA %s failed: %s", ch->name, kite_strerror(rc));
        ke_free(&k);
        ike_scratch_put(e, o);
        return send_error(e, sa, msgid, IKEV2_N_INVALID_SYNTAX, NULL, 0, now);
    }
    bool transport = ch->transport && ike_chain_notify(in, IKEV2_N_USE_TRANSPORT_MODE);
    uint32_t spi_in = ike_new_spi(e, o->spi);
    o->nonce_len = ike_nonce_len(e);
    e->env.random(e->env.ctx, o->nonce, o->nonce_len);
    rc = answer_build(o, &algs, chosen->num, &k, &rts, &lts, transport);
    if (!rc)
        rc = send_cc(e, sa, o, true, msgid, now);
    if (!rc) {
        struct ike_child_st *c =
            ike_child_install(e, sa, cfg, &algs, spi_in, ike_prop_spi32(chosen), secret_span(&gir), nonce->u.nonce.data,
                              span_of(o->nonce, o->nonce_len), &lts, &rts, transport, false,
                              old ? old->spi_in : 0, !old, now);
        if (c)
            answer_installed(e, sa, c, old ? old_spi : 0, nonce->u.nonce.data, span_of(o->nonce, o->nonce_len), algs.ke);
    }
    secret_free(&gir);
    if (algs.ke)
        ke_free(&k);
    ike_scratch_put(e, o);
    return rc;
}

/* ---- initiator: rekeying on schedule, additional Child SAs ---- */

/* the request for a rekey of children[idx] (REKEY_SA, its selectors) or, idx
 * < 0, for a new Child SA of configuration cfg (its configured selectors) */
static int request_start(struct ike_engine *e, struct ikesa *sa, int idx, int cfg, uint16_t ke_want, uint64_t now)
{
    struct ike_child_st *old = idx >= 0 ? ike_sa_child(sa, idx) : NULL;
    const struct ike_child_cfg *ch = &e->conns[sa->conn].child[old ? old->cfg : cfg];
    if (!ike_child_free_slots(sa)) { /* the answer's SA could not be installed: later */
        ike_count(e, sa, IKE_CTR_CHILD_LIMIT);
        ike_log(e, LOG_IKE, 1, "no free CHILD_SA slot on this IKE_SA (%u) to %s CHILD_SA %s, retrying in 10s",
                sa->child_max, old ? "rekey" : "create", ch->name);
        if (old)
            old->rekey_at = now + 10000;
        else
            sa->want_at = now + 10000;
        return 0;
    }
    struct cc_out *o = ike_scratch_get(e, sizeof *o, true);
    if (!o)
        return KITE_E_NOMEM;
    struct ike_child_rekey *rk = &sa->rk;
    if (rk->group)
        ke_free(&rk->ke);
    memset(rk, 0, sizeof *rk);
    rk->old = idx;
    rk->cfg = old ? old->cfg : cfg;
    rk->create = !old;
    if (old) {
        rk->lts = old->lts;
        rk->rts = old->rts;
    }
    rk->group = ike_prop_first_group(ch->esp, ch->n_esp);
    if (rk->group && ke_want)
        rk->group = ke_want; /* what the peer asked for (INVALID_KE_PAYLOAD); it is one of ours */
    int rc = rk->group ? ke_generate(&rk->ke, rk->group) : 0;
    rk->spi_in = ike_new_spi(e, o->spi);
    rk->ni_len = (uint16_t)ike_nonce_len(e);
    e->env.random(e->env.ctx, rk->ni, rk->ni_len);
    if (old) {
        struct wr w;
        wr_init(&w, o->rekey_spi, sizeof o->rekey_spi);
        wr_be32(&w, old->spi_in);
        struct ike_pld *n = pld_notify(&o->pld[o->n++], IKEV2_N_REKEY_SA, NULL, 0);
        n->u.notify.proto = IKEV2_PROTO_ESP;
        n->u.notify.spi = span_of(o->rekey_spi, 4);
    }
    add_sa(o, ch->esp, ch->n_esp, 1);
    struct ike_pld *np = add(o, IKEV2_PLD_NONCE);
    np->u.nonce.data = span_of(rk->ni, rk->ni_len);
    if (!rc && rk->group)
        rc = add_ke(o, &rk->ke, rk->group);
    struct ike_ts_set ts;
    ike_ts_child(sa, ch, &ts); /* `dynamic`: our address and the peer's */
    add_ts(o, IKEV2_PLD_TSI, old ? &old->lts : ts.l, old ? 1 : ts.nl, o->tsi);
    add_ts(o, IKEV2_PLD_TSR, old ? &old->rts : ts.r, old ? 1 : ts.nr, o->tsr);
    if (old ? old->transport : ch->transport)
        pld_notify(&o->pld[o->n++], IKEV2_N_USE_TRANSPORT_MODE, NULL, 0);
    if (!rc) {
        if (old)
            ike_log(e, LOG_IKE, 1, "rekeying CHILD_SA %s{%u} with SPIs %08x_i %08x_o%s", ch->name, sa->id,
                    old->spi_in, old->spi_out, rk->group ? " (with a new key exchange)" : "");
        else
            ike_log(e, LOG_IKE, 1, "establishing CHILD_SA %s{%u} with CREATE_CHILD_SA%s", ch->name, sa->id,
                    rk->group ? " (with a key exchange)" : "");
        rc = send_cc(e, sa, o, false, sa->next_msgid, now);
        if (!rc) /* a message ID is used only by a request that went out (2.2) */
            sa->next_msgid++;
    }
    ike_scratch_put(e, o);
    if (rc) {
        ike_log(e, LOG_IKE, 0, "cannot %s CHILD_SA %s: %s", old ? "rekey" : "create", ch->name, kite_strerror(rc));
        if (old)
            old->rekey_at = now + 30000; /* try again later */
        else
            sa->want_at = now + 30000;
        if (rk->group)
            ke_free(&rk->ke);
        memset(rk, 0, sizeof *rk);
        return 0;
    }
    rk->active = true;
    return 1;
}

int ike_child_rekey_due(struct ike_engine *e, struct ikesa *sa, uint64_t now)
{
    if (sa->rk.active)
        return 0;
    for (int i = 0; i < ike_child_slots(sa); i++) {
        struct ike_child_st *c = ike_sa_child(sa, i);
        if (!c->up || c->rekeyed || c->deleting || !c->rekey_at || now < c->rekey_at)
            continue;
        if (ike_child_unconfirmed(sa, c)) { /* the peer may not have it yet: a REKEY_SA could miss */
            ike_log(e, LOG_IKE, 2, "CHILD_SA %s{%u} rekey waits for the peer's Delete of the SA it replaces",
                    e->conns[sa->conn].child[c->cfg].name, sa->id);
            c->rekey_at = now + IKE_CONFIRM_RECHECK_MS;
            continue;
        }
        return request_start(e, sa, i, c->cfg, c->ke_want, now);
    }
    return 0;
}

int ike_child_create_due(struct ike_engine *e, struct ikesa *sa, uint64_t now)
{
    if (sa->rk.active || !sa->want || now < sa->want_at)
        return 0;
    for (int cfg = 0; cfg < (int)e->conns[sa->conn].n_children; cfg++) {
        if (!(sa->want & 1ull << cfg))
            continue;
        bool up = false;
        for (int i = 0; i < ike_child_slots(sa); i++)
            up = up || (ike_sa_child(sa, i)->up && !ike_sa_child(sa, i)->gone_at && !ike_sa_child(sa, i)->deleting &&
                        ike_sa_child(sa, i)->cfg == cfg);
        if (up) { /* the peer created it meanwhile */
            sa->want &= ~(1ull << cfg);
            continue;
        }
        return request_start(e, sa, -1, cfg, sa->want_ke, now);
    }
    sa->want = 0; /* bits past the configured children */
    return 0;
}

static void rekey_end(struct ikesa *sa)
{
    if (sa->rk.group)
        ke_free(&sa->rk.ke);
    memset(&sa->rk, 0, sizeof sa->rk);
}

/* the old SA's Delete after a successful rekey (1.4.1) */
void ike_send_child_delete(struct ike_engine *e, struct ikesa *sa, uint32_t spi_in, uint64_t now)
{
    struct ike_pld d;
    uint8_t spi[4];
    struct wr w;
    wr_init(&w, spi, sizeof spi);
    wr_be32(&w, spi_in);
    memset(&d, 0, sizeof d);
    d.type = IKEV2_PLD_DELETE;
    d.u.del.proto = IKEV2_PROTO_ESP;
    d.u.del.spi_size = 4;
    d.u.del.count = 1;
    d.u.del.spis = span_of(spi, 4);
    if (!ike_send_sk(e, sa, IKEV2_EXCH_INFORMATIONAL, &d, 1, false, sa->next_msgid, now))
        sa->next_msgid++;
}

static bool group_is_ours(const struct ike_child_cfg *ch, uint16_t g)
{
    for (unsigned q = 0; q < ch->n_esp; q++)
        for (unsigned x = 0; x < ch->esp[q].n; x++)
            if (ch->esp[q].xf[x].type == XF_KE && ch->esp[q].xf[x].id == g)
                return true;
    return false;
}

/* an error notify answered our rekey or creation: what to retry, and when */
static void request_failed(struct ike_engine *e, struct ikesa *sa, const struct ike_notify *n, uint64_t now)
{
    struct ike_child_rekey *rk = &sa->rk;
    struct ike_child_st *old = rk->old >= 0 ? ike_sa_child(sa, rk->old) : NULL;
    const struct ike_child_cfg *ch = &e->conns[sa->conn].child[rk->cfg];
    const char *nn = ike_notify_name(n->type);
    uint16_t g = n->data.n == 2 ? (uint16_t)(n->data.p[0] << 8 | n->data.p[1]) : 0;
    bool ke_retry = n->type == IKEV2_N_INVALID_KE_PAYLOAD && g && g != rk->group && group_is_ours(ch, g);
    uint64_t later = now + (n->type == IKEV2_N_TEMPORARY_FAILURE ? 10000 : 60000);
    bool full = n->type == IKEV2_N_NO_ADDITIONAL_SAS; /* the peer takes no more Child SAs on this IKE SA */
    if (ke_retry)
        ike_log(e, LOG_IKE, 1, "peer wants key exchange group %u for CHILD_SA %s, retrying", g, ch->name);
    if (rk->create) {
        ike_log(e, LOG_IKE, 1, "CHILD_SA %s not established: received %s%s", ch->name, nn ? nn : "an error",
                ke_retry || n->type == IKEV2_N_TEMPORARY_FAILURE ? "; retrying"
                : full ? "; the peer has no room for more CHILD_SAs, retrying in 60s" : "");
        if (ke_retry) {
            sa->want_ke = g;
            sa->want_at = now;
        } else if (n->type == IKEV2_N_TEMPORARY_FAILURE || full) {
            sa->want_at = later;
        } else {
            sa->want &= ~(1ull << rk->cfg); /* NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE, ...: given up */
        }
        return;
    }
    ike_log(e, LOG_IKE, 1, "CHILD_SA %s rekey failed: received %s; %s", ch->name, nn ? nn : "an error",
            !old ? "the old SA is gone"
                 : n->type == IKEV2_N_CHILD_SA_NOT_FOUND ? "the peer has no such SA" : "keeping the old SA, retrying later");
    if (!old)
        return;
    if (ke_retry) {
        old->ke_want = g;
        old->rekey_at = now;
    } else if (n->type == IKEV2_N_CHILD_SA_NOT_FOUND) {
        /* silently dropped, and created from scratch (2.25) */
        ike_child_lost(e, sa, old, "unknown to the peer (CHILD_SA_NOT_FOUND)", now);
    } else {
        old->rekey_at = later; /* TEMPORARY_FAILURE, NO_PROPOSAL_CHOSEN, ... */
    }
}

/* the answer's selectors lie within what we proposed (2.9): for a new
 * Child SA our configured ones, for a rekey the old SA's (2.9.2) */
static bool answer_ts_ok(const struct ikesa *sa, const struct ike_child_rekey *rk, const struct ike_child_cfg *ch, const struct ike_ts *tsi,
                         const struct ike_ts *tsr)
{
    if (rk->create) {
        struct ike_ts_set ts;
        ike_ts_child(sa, ch, &ts);
        return ike_ts_subset(tsi, ts.l, ts.nl) && ike_ts_subset(tsr, ts.r, ts.nr);
    }
    return ike_ts_subset(tsi, &rk->lts, 1) && ike_ts_subset(tsr, &rk->rts, 1);
}

/* "TSi 0.0.0.0/0 TSr 10.2.0.0/24" from the first selector of each */
static const char *ts_pair_str(const struct ike_ts *tsi, const struct ike_ts *tsr, char *buf, size_t cap)
{
    struct ike_ts_cfg l, r;
    char ls[80] = "?", rs[80] = "?";
    if (tsi->n && !ike_ts_from_wire(&tsi->sel[0], &l))
        ike_ts_str(&l, ls, sizeof ls);
    if (tsr->n && !ike_ts_from_wire(&tsr->sel[0], &r))
        ike_ts_str(&r, rs, sizeof rs);
    snprintf(buf, cap, "TSi %s%s TSr %s%s", ls, tsi->n > 1 ? ",..." : "", rs, tsr->n > 1 ? ",..." : "");
    return buf;
}

/* an answer we do not take (a proposal, key exchange or traffic selectors
 * we did not offer): nothing is installed, and the SA the peer made with a
 * success answer (its SA payload, made) goes with a Delete of our inbound
 * SPI of it (1.4.1, 2.9); the old SA stays, and the rekey or creation is
 * tried again in 60 s */
static void answer_refused(struct ike_engine *e, struct ikesa *sa, struct ike_child_st *old,
                           const struct ike_child_cfg *ch, int why, const char *detail, bool made, uint64_t now)
{
    struct ike_child_rekey *rk = &sa->rk;
    uint32_t spi = rk->spi_in;
    bool create = rk->create;
    ike_log(e, LOG_IKE, 0, "CHILD_SA %s %s response unacceptable (%s%s%s)%s%s", ch->name,
            create ? "CREATE_CHILD_SA" : "rekey", kite_strerror(why), detail ? ": " : "", detail ? detail : "",
            made ? ", deleting the SA the peer made" : "", create ? "" : "; keeping the old SA");
    if (old)
        old->rekey_at = now + 60000;
    if (create)
        sa->want_at = now + 60000;
    rekey_end(sa);
    if (!made)
        return;
    sa->rk.del_spi = spi;
    ike_send_child_delete(e, sa, spi, now);
}

/* after our rekey: the SA that is now redundant (the old one, or with a
 * lost collision our new one) is deleted */
static void rekeyed(struct ike_engine *e, struct ikesa *sa, struct ike_child_st *old, struct ike_child_st *c,
                    bool loser, uint64_t now)
{
    uint32_t del = 0;
    if (old) {
        old->rekeyed = true;
        del = old->spi_in;
        ike_log(e, LOG_IKE, 1, "CHILD_SA %s{%u} rekeyed: %08x_i %08x_o replaces %08x_i",
                e->conns[sa->conn].child[c->cfg].name, sa->id, c->spi_in, c->spi_out, old->spi_in);
    }
    if (loser) {
        /* only our redundant SA goes; the old one is the winner's to delete,
         * and until its Delete arrives our traffic keeps using it (the
         * winner's new SA, which we installed when answering, is next) */
        c->rekeyed = true;
        del = c->spi_in;
    }
    if (!del)
        return;
    struct ike_child_st *d = ike_child_by_spi_in(sa, del);
    if (d)
        ike_child_deleting(e, sa, d);
    sa->rk.del_spi = del;
    ike_send_child_delete(e, sa, del, now);
}

/* the peer answered and installed the SA, which we could not: it goes with
 * a Delete of its SPI, and the rekey or creation is tried again later */
static void install_failed(struct ike_engine *e, struct ikesa *sa, struct ike_child_st *old,
                           const struct ike_child_cfg *ch, uint64_t now)
{
    uint32_t spi = sa->rk.spi_in;
    if (old)
        old->rekey_at = now + 10000;
    if (sa->rk.create)
        sa->want_at = now + 10000;
    rekey_end(sa);
    ike_log(e, LOG_IKE, 0, "CHILD_SA %s answered but not installed, deleting it (SPI %08x_i), retrying in 10s",
            ch->name, spi);
    sa->rk.del_spi = spi;
    ike_send_child_delete(e, sa, spi, now);
}

/* the live SA of configuration cfg other than c (NULL: any), or NULL */
static struct ike_child_st *other_live(struct ikesa *sa, int cfg, const struct ike_child_st *c)
{
    for (int i = 0; i < ike_child_slots(sa); i++) {
        struct ike_child_st *d = ike_sa_child(sa, i);
        if (d != c && d->up && !d->gone_at && !d->deleting && !d->rekeyed && d->cfg == cfg)
            return d;
    }
    return NULL;
}

/* Both ends created the same Child SA (we answered the peer's request for
 * it while ours was out): one SA per child is enough.  As for a rekey
 * collision (2.8.1) the SA whose exchange has the lowest of the four nonces
 * is redundant, but here whichever end sees the collision deletes it, as
 * the other end may not see one (its answer came before our request): both
 * Deletes then cross (1.4.1).  Ours redundant: not installed, the peer's
 * copy deleted, the peer's SA is the child now; theirs redundant: ours is
 * installed and theirs deleted. */
static int create_collision(struct ike_engine *e, struct ikesa *sa, const struct ike_algs *algs, struct secret *gir,
                            const struct ike_pld *nr, const struct ike_ts_cfg *lts, const struct ike_ts_cfg *rts,
                            const struct ike_chain *in, uint64_t now)
{
    struct ike_child_rekey *rk = &sa->rk;
    const struct ike_child_cfg *ch = &e->conns[sa->conn].child[rk->cfg];
    struct span a = span_of(rk->ni, rk->ni_len), b = nr->u.nonce.data;
    struct span ours = ike_nonce_cmp(a, b) <= 0 ? a : b, theirs = span_of(rk->peer_min, rk->peer_min_len);
    int cfg = rk->cfg;
    uint32_t spi = rk->spi_in;
    sa->want &= ~(1ull << cfg);
    sa->want_ke = 0;
    struct ike_child_st *c = NULL, *peers = other_live(sa, cfg, NULL);
    if (ike_nonce_cmp(ours, theirs) < 0) {
        ike_log(e, LOG_IKE, 1, "CHILD_SA %s creation collision: ours has the lowest nonce, not installing it, "
                               "deleting it (SPI %08x_i)", ch->name, spi);
        if (peers)
            peers->wanted = true; /* it stands for the one we wanted */
        secret_free(gir);
        rekey_end(sa);
        sa->rk.del_spi = spi;
        ike_send_child_delete(e, sa, spi, now);
        return 0;
    }
    ike_log(e, LOG_IKE, 1, "CHILD_SA %s creation collision: the peer's has the lowest nonce, deleting it (SPI "
                           "%08x_i)", ch->name, peers->spi_in);
    c = ike_child_install(e, sa, cfg, algs, spi, ike_prop_spi32(&ike_chain_find(in, IKEV2_PLD_SA, 0)->u.sa.prop[0]),
                          secret_span(gir), span_of(rk->ni, rk->ni_len), nr->u.nonce.data, lts, rts,
                          ch->transport && ike_chain_notify(in, IKEV2_N_USE_TRANSPORT_MODE), true, 0, true, now);
    secret_free(gir);
    if (!c) {
        install_failed(e, sa, NULL, ch, now);
        return 0;
    }
    rekey_end(sa);
    peers = other_live(sa, cfg, c);
    if (!peers)
        return 0;
    ike_child_deleting(e, sa, peers);
    sa->rk.del_spi = peers->spi_in;
    ike_send_child_delete(e, sa, peers->spi_in, now);
    return 0;
}

int ike_create_child_response(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, uint64_t now)
{
    struct ike_child_rekey *rk = &sa->rk;
    if (!rk->active)
        return 0;
    struct ike_child_st *old = rk->old >= 0 ? ike_sa_child(sa, rk->old) : NULL;
    int cfg = rk->cfg;
    const struct ike_child_cfg *ch = &e->conns[sa->conn].child[cfg];
    for (unsigned i = 0; i < in->n; i++) {
        const struct ike_pld *p = &in->pld[i];
        if (p->type == IKEV2_PLD_NOTIFY && p->u.notify.type < IKEV2_N_STATUS_FIRST) {
            request_failed(e, sa, &p->u.notify, now);
            rekey_end(sa);
            return 0;
        }
    }
    const struct ike_pld *sap = ike_chain_find(in, IKEV2_PLD_SA, 0), *nr = ike_chain_find(in, IKEV2_PLD_NONCE, 0);
    const struct ike_pld *ker = ike_chain_find(in, IKEV2_PLD_KE, 0);
    const struct ike_pld *tsi = ike_chain_find(in, IKEV2_PLD_TSI, 0), *tsr = ike_chain_find(in, IKEV2_PLD_TSR, 0);
    struct ike_algs algs;
    struct ike_ts_cfg lts, rts;
    struct secret gir = { 0 };
    int rc = 0;
    if (!sap || !nr || !tsi || !tsr || sap->u.sa.n_prop != 1 || !ike_nonce_ok(nr->u.nonce.data) ||
        ike_prop_accept(ch->esp, ch->n_esp, &sap->u.sa.prop[0], IKEV2_PROTO_ESP, &algs) ||
        (algs.ke && (!ker || ker->u.ke.group != rk->group || algs.ke != rk->group)) || tsi->u.ts.n < 1 ||
        tsr->u.ts.n < 1 || ike_ts_from_wire(&tsi->u.ts.sel[0], &lts) || ike_ts_from_wire(&tsr->u.ts.sel[0], &rts))
        rc = KITE_E_NO_PROPOSAL;
    char detail[200];
    bool ts_bad = !rc && !answer_ts_ok(sa, rk, ch, &tsi->u.ts, &tsr->u.ts);
    if (ts_bad) {
        rc = KITE_E_TS_UNACCEPTABLE;
        size_t o = strlen(ts_pair_str(&tsi->u.ts, &tsr->u.ts, detail, sizeof detail));
        snprintf(detail + o, sizeof detail - o, " not within what we proposed");
    }
    if (!rc && algs.ke)
        rc = ke_shared(&rk->ke, ker->u.ke.data, &gir);
    if (rc) {
        answer_refused(e, sa, old, ch, rc, ts_bad ? detail : NULL, sap != NULL, now);
        return rc;
    }
    if (rk->create && rk->collided && rk->peer_min_len && other_live(sa, rk->cfg, NULL))
        return create_collision(e, sa, &algs, &gir, nr, &lts, &rts, in, now);
    /* a collision (2.8.1) is decided before the new SA carries traffic */
    bool loser = false;
    if (rk->collided && rk->peer_min_len) {
        struct span a = span_of(rk->ni, rk->ni_len), b = nr->u.nonce.data;
        struct span ours = ike_nonce_cmp(a, b) <= 0 ? a : b, theirs = span_of(rk->peer_min, rk->peer_min_len);
        loser = ike_nonce_cmp(ours, theirs) < 0;
        ike_log(e, LOG_IKE, 1, loser ? "CHILD_SA rekey collision: ours has the lowest nonce, deleting our new SA"
                                     : "CHILD_SA rekey collision: the peer's has the lowest nonce, it deletes its own");
    }
    struct ike_child_st *c =
        ike_child_install(e, sa, cfg, &algs, rk->spi_in, ike_prop_spi32(&sap->u.sa.prop[0]), secret_span(&gir),
                          span_of(rk->ni, rk->ni_len), nr->u.nonce.data, &lts, &rts,
                          old ? old->transport : (ch->transport && ike_chain_notify(in, IKEV2_N_USE_TRANSPORT_MODE)),
                          true, old ? old->spi_in : 0, !loser, now);
    secret_free(&gir);
    if (rk->create) {
        if (c)
            sa->want &= ~(1ull << cfg);
        sa->want_ke = 0;
    }
    if (!c) {
        install_failed(e, sa, old, ch, now);
        return 0;
    }
    if (old)
        old = ike_sa_child(sa, rk->old); /* the install does not move entries; be exact */
    rekey_end(sa);
    rekeyed(e, sa, old, c, loser, now);
    return 0;
}

void ike_child_rekey_deleted(struct ike_engine *e, struct ikesa *sa, uint64_t now)
{
    struct ike_child_st *old = ike_child_by_spi_in(sa, sa->rk.del_spi);
    if (old)
        ike_child_retire(e, sa, old, now);
    sa->rk.del_spi = 0;
}
