/*  HDR, SK {SA, Ni, KEi}  -->             (SA: protocol IKE, SPI = the new SPIi)
 *                    <--  HDR, SK {SA, Nr, KEr}
 * RFC 7296 1.3.2 and 2.18: the IKE SA is rekeyed with CREATE_CHILD_SA.  The
 * new IKE SA takes the new SPIs, message IDs from 0, and
 *   SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)
 * with the old SA's PRF (strongSwan does the same); its initiator is the
 * rekey's initiator.  Every Child SA moves to it, and the rekey's initiator
 * deletes the old IKE SA.  When both ends rekey at once (2.8.2), both new IKE
 * SAs are made; the one whose exchange has the lowest of the four nonces is
 * redundant and deleted by its creator, the other inherits the Child SAs,
 * and its creator deletes the old one.  A rekey while a Child SA exchange is
 * under way is answered TEMPORARY_FAILURE (2.25.2). */
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include "ike/ike_int.h"

struct irk_out {
    struct ike_pld pld[4];
    unsigned n;
    uint8_t spi[8];
    uint8_t nonce[IKE_NONCE_MAX];
    size_t nonce_len;
    uint8_t ke[1024];
    struct ike_proposal prop[IKE_MAX_PROPS];
    struct ike_transform xf[IKE_MAX_PROPS][IKE_MAX_XF];
    struct ike_xf_attr attr[IKE_MAX_PROPS][IKE_MAX_XF];
};

uint64_t ike_rekey_time(struct ike_engine *e, const struct ike_conn_cfg *c, uint64_t now)
{
    if (!c->rekey_time_s)
        return 0;
    uint8_t r[4];
    e->env.random(e->env.ctx, r, 4);
    uint64_t t = (uint64_t)c->rekey_time_s * 1000;
    uint32_t v = (uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3];
    /* strongSwan's rand_time (lifecycle.c); not set: 10% */
    uint64_t range = c->rand_time_set ? (uint64_t)c->rand_time_s * 1000 : t / 10;
    if (range >= t)
        range = t - 1;
    return now + t - (uint64_t)v % (range + 1);
}

static int send_msg(struct ike_engine *e, struct ikesa *sa, struct irk_out *o, bool response, uint32_t msgid,
                    uint64_t now)
{
    return ike_send_sk(e, sa, IKEV2_EXCH_CREATE_CHILD_SA, o->pld, o->n, response, msgid, now);
}

static int add_sa_nonce_ke(struct irk_out *o, const struct ike_prop_cfg *cfg, unsigned n, uint8_t first_num,
                           const struct ke *k, uint16_t group)
{
    struct ike_pld *p = &o->pld[o->n++];
    memset(p, 0, sizeof *p);
    p->type = IKEV2_PLD_SA;
    for (unsigned i = 0; i < n; i++)
        ike_prop_build(&cfg[i], (uint8_t)(first_num + i), IKEV2_PROTO_IKE, o->spi, 8, &o->prop[i], o->xf[i],
                       o->attr[i]);
    p->u.sa.n_prop = (uint8_t)n;
    p->u.sa.prop = o->prop;
    p = &o->pld[o->n++];
    memset(p, 0, sizeof *p);
    p->type = IKEV2_PLD_NONCE;
    p->u.nonce.data = span_of(o->nonce, o->nonce_len);
    size_t len;
    int rc = ke_public(k, o->ke, sizeof o->ke, &len);
    if (rc)
        return rc;
    p = &o->pld[o->n++];
    memset(p, 0, sizeof *p);
    p->type = IKEV2_PLD_KE;
    p->u.ke.group = group;
    p->u.ke.data = span_of(o->ke, len);
    return 0;
}

void ike_rekey_move_children(struct ike_engine *e, struct ikesa *old, struct ikesa *n)
{
    ike_sa_child_chunks_free(n);
    n->child0 = old->child0;
    n->more = old->more;
    n->n_more = old->n_more;
    n->child_max = old->child_max > n->child_max ? old->child_max : n->child_max; /* room for all it takes */
    memset(&old->child0, 0, sizeof old->child0);
    old->more = NULL;
    old->n_more = 0;
    n->want |= old->want;
    n->want_at = old->want_at;
    old->want = 0;
    ike_cp_move(e, old, n);
    struct ike_action *a = ike_push(e, IKE_ACT_IKE_REKEYED, n);
    ike_count(e, old, n->initiator ? IKE_CTR_IKE_REKEY_INIT : IKE_CTR_IKE_REKEY_RESP);
    if (a)
        a->old_ike_sa = old->id;
    char on[64], nn[64];
    ike_log(e, LOG_IKE, 1, "CHILD_SAs of IKE_SA %s moved to %s", ike_sa_name(e, old, on, sizeof on),
            ike_sa_name(e, n, nn, sizeof nn));
}

/* the new IKE SA next to the old one; with move, every Child SA goes over */
static struct ikesa *successor(struct ike_engine *e, struct ikesa *old, bool we_initiated, const uint8_t spi_i[8],
                               const uint8_t spi_r[8], struct span ni, struct span nr, const struct ike_algs *algs,
                               struct span gir, bool move, uint64_t now)
{
    if (!ike_nonce_ok(ni) || !ike_nonce_ok(nr))
        return NULL;
    struct ikesa *n = ike_sa_new(e, old->conn, we_initiated);
    if (!n)
        return NULL;
    memcpy(n->spi_i, spi_i, 8);
    memcpy(n->spi_r, spi_r, 8);
    n->child = old->child;
    n->local = old->local;
    n->remote = old->remote;
    n->natt = old->natt;
    n->nat_local = old->nat_local;
    n->nat_remote = old->nat_remote;
    n->nat_fake = old->nat_fake;
    n->peer_id = old->peer_id ? ike_peer_id_new(old->peer_id->type, old->peer_id->data, old->peer_id->len) : NULL;
    n->nat_proven = old->nat_proven;
    n->frag_peer = old->frag_peer; /* negotiated in IKE_SA_INIT only (RFC 7383 2.3) */
    ike_mobike_inherit(n, old);
    n->last_tx_at = old->last_tx_at;
    n->algs = *algs;
    struct secret skeyseed = { 0 };
    int rc = ike_nonce_keep(e, &n->ni, &n->ni_len, ni.p, ni.n);
    if (!rc)
        rc = ike_nonce_keep(e, &n->nr, &n->nr_len, nr.p, nr.n);
    if (!rc)
        rc = keys_skeyseed_rekey(&old->prf, secret_span(&old->keys.sk_d), gir, ni, nr, &skeyseed);
    if (!rc)
        rc = ike_keys_from_skeyseed(n, secret_span(&skeyseed));
    secret_free(&skeyseed);
    if (rc) {
        ike_sa_free(n);
        e->stats.ike_sas--;
        return NULL;
    }
    ike_keylog_push(e, n);
    n->state = IKE_S_ESTABLISHED;
    n->established_at = now;
    n->successor = true;
    n->last_rx_at = now;
    n->ike_rekey_at = ike_rekey_time(e, &e->conns[n->conn], now);
    ike_life_established(e, n, old, now);
    old->replaced = true;
    old->ike_rekey_at = 0;
    char on[64], nn[64];
    ike_log(e, LOG_IKE, 0, "IKE_SA %s rekeyed into %s%s", ike_sa_name(e, old, on, sizeof on),
            ike_sa_name(e, n, nn, sizeof nn), we_initiated ? "" : " (by the peer)");
    if (move)
        ike_rekey_move_children(e, old, n);
    return n;
}

static struct span lower_nonce(const struct ikesa *sa)
{
    struct span a = span_of(sa->ni, sa->ni_len), b = span_of(sa->nr, sa->nr_len);
    return ike_nonce_cmp(a, b) <= 0 ? a : b;
}

/* both ends rekeyed (2.8.2): ours and theirs are the two new IKE SAs */
static void collision_resolve(struct ike_engine *e, struct ikesa *old, struct ikesa *ours, struct ikesa *theirs,
                              uint64_t now)
{
    if (!theirs) { /* the peer's new IKE SA is gone already: ours is the only one */
        ike_rekey_move_children(e, old, ours);
        ike_send_delete(e, old, now);
        return;
    }
    if (ike_nonce_cmp(lower_nonce(ours), lower_nonce(theirs)) < 0) {
        ike_log(e, LOG_IKE, 1, "IKE_SA rekey collision: ours has the lowest nonce, deleting our new IKE_SA; "
                               "the peer's inherits the CHILD_SAs");
        ike_rekey_move_children(e, old, theirs);
        ours->replaced = true;
        ike_send_delete(e, ours, now);
    } else {
        ike_log(e, LOG_IKE, 1, "IKE_SA rekey collision: the peer's has the lowest nonce, it deletes its own; "
                               "ours inherits the CHILD_SAs and we delete the old IKE_SA");
        ike_rekey_move_children(e, old, ours);
        theirs->replaced = true;
        ike_send_delete(e, old, now);
    }
}

/* ---- responder ---- */

static int answer_error(struct ike_engine *e, struct ikesa *sa, uint32_t msgid, uint16_t type, const void *d,
                        size_t dl, uint64_t now)
{
    struct irk_out o;
    memset(&o, 0, sizeof o);
    pld_notify(&o.pld[o.n++], type, d, dl);
    return send_msg(e, sa, &o, true, msgid, now);
}

int ike_rekey_request(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, uint32_t msgid,
                      uint64_t now)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    const struct ike_pld *sap = ike_chain_find(in, IKEV2_PLD_SA, 0), *nonce = ike_chain_find(in, IKEV2_PLD_NONCE, 0);
    const struct ike_pld *kei = ike_chain_find(in, IKEV2_PLD_KE, 0);
    /* both ends rekey the IKE SA (2.8.2): answered as usual, the nonces
     * decide when our own answer is in */
    bool collision = sa->irk.active && !sa->replaced;
    if (!collision && (sa->irk.active || sa->replaced || sa->rk.active || sa->rk.del_spi)) {
        ike_log(e, LOG_IKE, 1, "IKE_SA rekey request while %s, answering TEMPORARY_FAILURE",
                sa->replaced ? "this IKE_SA is rekeyed already" : "a CHILD_SA exchange is under way");
        return answer_error(e, sa, msgid, IKEV2_N_TEMPORARY_FAILURE, NULL, 0, now);
    }
    if (collision)
        ike_log(e, LOG_IKE, 1, "IKE_SA rekey collision: both ends rekeying, answering the peer's as well");
    if (!sap || !nonce || !kei || !ike_nonce_ok(nonce->u.nonce.data)) {
        ike_log(e, LOG_IKE, 1, "IKE_SA rekey request without SA, nonce or KE, sending INVALID_SYNTAX");
        return answer_error(e, sa, msgid, IKEV2_N_INVALID_SYNTAX, NULL, 0, now);
    }
    struct ike_algs algs;
    const struct ike_proposal *chosen;
    uint16_t want = 0;
    int rc = ike_prop_select(c->ike, c->n_ike, &sap->u.sa, IKEV2_PROTO_IKE, kei->u.ke.group, &algs, &chosen, &want);
    if (rc == KITE_E_INVALID_KE) {
        uint8_t g[2] = { (uint8_t)(want >> 8), (uint8_t)want };
        ike_log(e, LOG_IKE, 1, "IKE_SA rekey with key exchange group %u, requesting %u (INVALID_KE_PAYLOAD)",
                kei->u.ke.group, want);
        return answer_error(e, sa, msgid, IKEV2_N_INVALID_KE_PAYLOAD, g, 2, now);
    }
    if (rc || chosen->spi.n != 8) {
        ike_log(e, LOG_IKE, 1, "no acceptable proposal for the IKE_SA rekey, sending NO_PROPOSAL_CHOSEN");
        return answer_error(e, sa, msgid, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0, now);
    }
    struct irk_out *o = ike_scratch_get(e, sizeof *o, true);
    struct ke k;
    struct secret gir = { 0 };
    memset(&k, 0, sizeof k);
    if (!o)
        return KITE_E_NOMEM;
    rc = ke_generate(&k, algs.ke);
    if (!rc)
        rc = ke_shared(&k, kei->u.ke.data, &gir);
    if (rc) {
        ike_log(e, LOG_IKE, 1, "IKE_SA rekey: key exchange failed: %s", kite_strerror(rc));
        ke_free(&k);
        ike_scratch_put(e, o);
        return answer_error(e, sa, msgid, IKEV2_N_INVALID_SYNTAX, NULL, 0, now);
    }
    do
        e->env.random(e->env.ctx, o->spi, 8);
    while (!(o->spi[0] | o->spi[1] | o->spi[2] | o->spi[3]));
    o->nonce_len = ike_nonce_len(e);
    e->env.random(e->env.ctx, o->nonce, o->nonce_len);
    struct ike_prop_cfg one;
    ike_prop_from_algs(&algs, true, &one);
    rc = add_sa_nonce_ke(o, &one, 1, chosen->num, &k, algs.ke);
    if (!rc)
        rc = send_msg(e, sa, o, true, msgid, now);
    struct ikesa *n = NULL;
    if (!rc)
        n = successor(e, sa, false, chosen->spi.p, o->spi, nonce->u.nonce.data, span_of(o->nonce, o->nonce_len),
                      &algs, secret_span(&gir), !collision, now);
    if (!rc && !n)
        ike_log(e, LOG_IKE, 0, "IKE_SA rekey: the new IKE_SA could not be set up; keeping the old one");
    if (n && collision)
        sa->irk.peer_new = n->id;
    secret_free(&gir);
    ke_free(&k);
    ike_scratch_put(e, o);
    return rc;
}

/* ---- initiator ---- */

/* the CREATE_CHILD_SA request that rekeys sa; on failure retried in a minute */
static int rekey_start(struct ike_engine *e, struct ikesa *sa, uint64_t now)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    struct irk_out *o = ike_scratch_get(e, sizeof *o, true);
    if (!o)
        return 0;
    sa->irk.group = sa->algs.ke;
    int rc = ke_generate(&sa->irk.ke, sa->irk.group);
    do
        e->env.random(e->env.ctx, o->spi, 8);
    while (!(o->spi[0] | o->spi[1] | o->spi[2] | o->spi[3]));
    memcpy(sa->irk.spi_i, o->spi, 8);
    o->nonce_len = ike_nonce_len(e);
    e->env.random(e->env.ctx, o->nonce, o->nonce_len);
    memcpy(sa->irk.ni, o->nonce, o->nonce_len);
    sa->irk.ni_len = (uint16_t)o->nonce_len;
    /* the negotiated algorithms first, then the configured proposals */
    struct ike_prop_cfg props[IKE_MAX_PROPS];
    unsigned n = 0;
    ike_prop_from_algs(&sa->algs, true, &props[n++]);
    for (unsigned i = 0; i < c->n_ike && n < IKE_MAX_PROPS; i++)
        props[n++] = c->ike[i];
    if (!rc)
        rc = add_sa_nonce_ke(o, props, n, 1, &sa->irk.ke, sa->irk.group);
    char name[64];
    if (!rc) {
        ike_log(e, LOG_IKE, 1, "rekeying IKE_SA %s", ike_sa_name(e, sa, name, sizeof name));
        rc = send_msg(e, sa, o, false, sa->next_msgid, now);
        if (!rc) /* a message ID is used only by a request that went out (2.2) */
            sa->next_msgid++;
    }
    ike_scratch_put(e, o);
    if (rc) {
        ike_log(e, LOG_IKE, 0, "cannot rekey IKE_SA %s: %s", ike_sa_name(e, sa, name, sizeof name),
                kite_strerror(rc));
        ke_free(&sa->irk.ke);
        memset(&sa->irk, 0, sizeof sa->irk);
        sa->ike_rekey_at = now + 60000;
        return rc;
    }
    sa->irk.active = true;
    return 0;
}

int ike_rekey_due(struct ike_engine *e, struct ikesa *sa, uint64_t now)
{
    if (!sa->ike_rekey_at || now < sa->ike_rekey_at || sa->irk.active || sa->replaced || sa->rk.active ||
        sa->rk.del_spi)
        return 0;
    return rekey_start(e, sa, now) == 0;
}

/* an operator's rekey (VICI rekey ike): at once when the window is free;
 * behind an outstanding request (window size 1, 2.3) or a Child SA exchange
 * of ours still under way (2.25.2) it waits, as a scheduled rekey does */
int ike_sa_rekey(struct ike_engine *e, uint32_t id, uint64_t now)
{
    struct ikesa *sa = ike_sa_by_id(e, id);
    if (!sa || sa->state == IKE_S_FREE)
        return KITE_E_NOT_FOUND;
    e->now = now;
    char name[64];
    ike_sa_name(e, sa, name, sizeof name);
    if (sa->state != IKE_S_ESTABLISHED || sa->replaced || sa->irk.active) {
        ike_log(e, LOG_IKE, 1, "not rekeying IKE_SA %s: %s", name,
                sa->state != IKE_S_ESTABLISHED ? "it is not established"
                : sa->replaced                 ? "it is rekeyed already, its Delete is under way"
                                               : "a rekey of it is under way");
        return KITE_E_STATE;
    }
    sa->ike_rekey_at = now ? now : 1;
    int rc = 1;
    if (sa->req_len || sa->rk.active || sa->rk.del_spi)
        ike_log(e, LOG_IKE, 1, "rekey of IKE_SA %s queued until the exchange under way ends", name);
    else
        rc = rekey_start(e, sa, now);
    ike_satab_gc(e); /* its deadline moved (the rekey time, or the request's retransmission) */
    return rc;
}

static void irk_end(struct ikesa *sa)
{
    ke_free(&sa->irk.ke);
    memset(&sa->irk, 0, sizeof sa->irk);
}

int ike_rekey_response(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, uint64_t now)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    char name[64];
    struct ikesa *theirs = sa->irk.peer_new ? ike_sa_by_id(e, sa->irk.peer_new) : NULL;
    for (unsigned i = 0; i < in->n; i++) {
        const struct ike_pld *p = &in->pld[i];
        if (p->type == IKEV2_PLD_NOTIFY && p->u.notify.type < IKEV2_N_STATUS_FIRST) {
            const char *nn = ike_notify_name(p->u.notify.type);
            ike_log(e, LOG_IKE, 1, "IKE_SA %s rekey failed: received %s; %s", ike_sa_name(e, sa, name, sizeof name),
                    nn ? nn : "an error", theirs ? "the peer's rekey stands" : "retrying later");
            irk_end(sa);
            if (theirs) { /* the peer finished first (2.8.2): its IKE SA inherits */
                ike_rekey_move_children(e, sa, theirs);
                return 0;
            }
            /* after a collision both sides back off by different random times */
            uint8_t r;
            e->env.random(e->env.ctx, &r, 1);
            sa->ike_rekey_at = now + (p->u.notify.type == IKEV2_N_TEMPORARY_FAILURE ? 2000 + 40u * r : 60000);
            return 0;
        }
    }
    const struct ike_pld *sap = ike_chain_find(in, IKEV2_PLD_SA, 0), *nr = ike_chain_find(in, IKEV2_PLD_NONCE, 0);
    const struct ike_pld *ker = ike_chain_find(in, IKEV2_PLD_KE, 0);
    struct ike_algs algs;
    struct secret gir = { 0 };
    int rc = 0;
    if (!sap || !nr || !ker || sap->u.sa.n_prop != 1 || sap->u.sa.prop[0].spi.n != 8 ||
        ike_prop_accept(c->ike, c->n_ike, &sap->u.sa.prop[0], IKEV2_PROTO_IKE, &algs) ||
        algs.ke != sa->irk.group || ker->u.ke.group != sa->irk.group || !ike_nonce_ok(nr->u.nonce.data))
        rc = KITE_E_NO_PROPOSAL;
    if (!rc)
        rc = ke_shared(&sa->irk.ke, ker->u.ke.data, &gir);
    struct ikesa *n = NULL;
    if (!rc)
        n = successor(e, sa, true, sa->irk.spi_i, sap->u.sa.prop[0].spi.p, span_of(sa->irk.ni, sa->irk.ni_len),
                      nr->u.nonce.data, &algs, secret_span(&gir), !sa->irk.peer_new, now);
    bool collided = sa->irk.peer_new != 0;
    secret_free(&gir);
    irk_end(sa);
    if (!n && theirs) {
        ike_log(e, LOG_IKE, 0, "IKE_SA %s rekey response unusable (%s); the peer's rekey stands",
                ike_sa_name(e, sa, name, sizeof name), kite_strerror(rc ? rc : KITE_E_CRYPTO));
        ike_rekey_move_children(e, sa, theirs);
        return rc ? rc : KITE_E_CRYPTO;
    }
    if (!n) {
        ike_log(e, LOG_IKE, 0, "IKE_SA %s rekey response unusable (%s); keeping the old IKE_SA",
                ike_sa_name(e, sa, name, sizeof name), kite_strerror(rc ? rc : KITE_E_CRYPTO));
        if (!collided)
            sa->ike_rekey_at = now + 60000;
        return rc ? rc : KITE_E_CRYPTO;
    }
    if (collided) {
        collision_resolve(e, sa, n, theirs, now);
        return 0;
    }
    /* the old IKE SA goes (1.3.2): Delete on it, then it is freed */
    ike_send_delete(e, sa, now);
    return 0;
}
