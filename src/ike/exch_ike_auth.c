/*  HDR, SK {IDi, [N(INITIAL_CONTACT)], [IDr], AUTH, SAi2, TSi, TSr, [N(USE_TRANSPORT_MODE)]}  -->
 *                     <--  HDR, SK {IDr, AUTH, SAr2, TSi, TSr, [N(USE_TRANSPORT_MODE)]}
 *                     <--  HDR, SK {N(AUTHENTICATION_FAILED)}
 *                     <--  HDR, SK {IDr, AUTH, N(NO_PROPOSAL_CHOSEN | TS_UNACCEPTABLE)}
 * RFC 7296 1.2, 1.3.1 (transport mode), 2.9 (narrowing), 2.15 (PSK AUTH),
 * 2.17 (KEYMAT), 2.21.2 (errors in IKE_AUTH: an initiator that rejects the
 * responder's AUTH says so in an INFORMATIONAL request). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include "cred/id.h"
#include "ike/eap.h"
#include "ike/ike_int.h"

struct auth_out {
    struct ike_pld pld[12 + IKE_PK_PLDS + 1];
    unsigned n;
    uint8_t auth[IKE_PRF_MAX];
    struct ike_pk_out pk; /* CERT payloads, signature */
    uint8_t *certreq;
    uint8_t spi[4];
    struct ike_proposal prop[IKE_MAX_PROPS];
    struct ike_transform xf[IKE_MAX_PROPS][IKE_MAX_XF];
    struct ike_xf_attr attr[IKE_MAX_PROPS][IKE_MAX_XF];
    struct ike_ts_sel tsi[IKE_MAX_TS_CFG], tsr[IKE_MAX_TS_CFG];
    struct ike_ts_cfg lts, rts; /* the responder's narrowed selectors: the TS payloads point into them */
    struct ike_cp_out cp;       /* a CFG_REQUEST or CFG_REPLY's attributes (cp.c) */
};

static struct ike_pld *add(struct auth_out *o, uint8_t type)
{
    struct ike_pld *p = &o->pld[o->n++];
    memset(p, 0, sizeof *p);
    p->type = type;
    return p;
}

static void add_id(struct auth_out *o, uint8_t type, const struct ike_id_cfg *id)
{
    struct ike_pld *p = add(o, type);
    p->u.id.type = id->type;
    p->u.id.data = span_of(id->data, id->len);
}

/* IDi: the SA's own identity (ike_initiate_as) or the connection's */
static void add_own_id(struct auth_out *o, const struct ikesa *sa, const struct ike_id_cfg *conn_id)
{
    if (!sa->own_id) {
        add_id(o, IKEV2_PLD_IDI, conn_id);
        return;
    }
    struct ike_pld *p = add(o, IKEV2_PLD_IDI);
    p->u.id.type = sa->own_id->type;
    p->u.id.data = span_of(sa->own_id->data, sa->own_id->len);
}

/* peer: the peer's identity (IDi) when we respond, NULL when we initiate */
static int add_auth(struct ike_engine *e, struct auth_out *o, struct ikesa *sa, const struct ike_pld *id,
                    const struct ike_id *peer)
{
    size_t len;
    struct secret msk = ike_eap_done(sa) ? ike_eap_msk(sa) : (struct secret){ 0 };
    if (!msk.n && e->conns[sa->conn].local_auth.kind == IKE_AUTHK_PUBKEY)
        return ike_pk_auth(e, sa, &id->u.id, add(o, IKEV2_PLD_AUTH), &o->pk);
    /* after EAP the MSK keys AUTH (2.16); else the PSK for both identities (psks.c) */
    const struct secret *psk = msk.n ? &msk : ike_psk_for(e, sa, peer);
    if (!psk)
        return KITE_E_AUTH_FAILED;
    int rc = ike_psk_auth(sa, psk, sa->initiator, &id->u.id, o->auth, &len);
    struct ike_pld *p = add(o, IKEV2_PLD_AUTH);
    p->u.auth.method = IKEV2_AUTH_SHARED_KEY_MIC;
    p->u.auth.data = span_of(o->auth, len);
    return rc;
}

static void add_sa(struct auth_out *o, const struct ike_prop_cfg *cfg, unsigned n, uint8_t first_num)
{
    struct ike_pld *p = add(o, IKEV2_PLD_SA);
    for (unsigned i = 0; i < n; i++)
        ike_prop_build(&cfg[i], (uint8_t)(first_num + i), IKEV2_PROTO_ESP, o->spi, 4, &o->prop[i],
                       o->xf[i], o->attr[i]);
    p->u.sa.n_prop = (uint8_t)n;
    p->u.sa.prop = o->prop;
}

static void add_ts(struct auth_out *o, uint8_t type, const struct ike_ts_cfg *ts, unsigned n,
                   struct ike_ts_sel *sel)
{
    struct ike_pld *p = add(o, type);
    for (unsigned i = 0; i < n; i++)
        ike_ts_to_wire(&ts[i], &sel[i]);
    p->u.ts.n = (uint8_t)n;
    p->u.ts.sel = sel;
}

static void auth_out_free(struct ike_engine *e, struct auth_out *o)
{
    ike_pk_out_free(&o->pk);
    ike_cp_out_free(&o->cp);
    free(o->certreq);
    ike_scratch_put(e, o);
}

static int send_protected(struct ike_engine *e, struct ikesa *sa, struct auth_out *o, bool response,
                          uint32_t msgid, uint64_t now)
{
    return ike_send_sk(e, sa, IKEV2_EXCH_IKE_AUTH, o->pld, o->n, response, msgid, now);
}

/* INITIAL_CONTACT asserts that the new IKE SA is the only one between the
 * two identities (2.4), and the peer closes its others: not while we hold
 * another established one with this peer (both sides initiated at once, or
 * a DPD restart of one of two), or its twin on the peer would go and ours
 * die by DPD, whose restart would close the next one, without end */
static bool first_contact(const struct ike_engine *e, const struct ikesa *sa)
{
    if (sa->own_id)
        return true; /* an identity of its own: no other IKE SA between the two */
    for (struct ikesa *o = ike_sa_by_host((struct ike_engine *)e, &sa->remote, NULL); o;
         o = ike_sa_by_host((struct ike_engine *)e, &sa->remote, o))
        if (o != sa && o->state == IKE_S_ESTABLISHED && o->conn == sa->conn)
            return false;
    return true;
}

int ike_auth_start(struct ike_engine *e, struct ikesa *sa, uint64_t now)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    const struct ike_child_cfg *ch = &c->child[sa->child];
    struct auth_out *o = ike_scratch_get(e, sizeof *o, true);
    if (!o)
        return KITE_E_NOMEM;
    sa->child_spi_in = ike_new_spi(e, o->spi);
    add_own_id(o, sa, &c->local_id);
    int rc = ike_pk_certs(e, sa, NULL, o->pld, &o->n, &o->pk);
    if (first_contact(e, sa) && ike_life_initial_contact(e, sa))
        pld_notify(&o->pld[o->n++], IKEV2_N_INITIAL_CONTACT, NULL, 0);
    if (ike_pk_certreq(e, c, &o->pld[o->n], &o->certreq))
        o->n++;
    /* IDr says whom we want to talk to: not a pattern (3.5) */
    if (c->remote_id.type && !cred_id_is_wildcard(c->remote_id.type, span_of(c->remote_id.data, c->remote_id.len)))
        add_id(o, IKEV2_PLD_IDR, &c->remote_id);
    if (!rc && c->local_auth.kind == IKE_AUTHK_EAP) /* no AUTH: EAP follows (2.16) */
        rc = ike_eap_begin(e, sa);
    else if (!rc)
        rc = add_auth(e, o, sa, &o->pld[0], NULL);
    int cprc;
    if (ike_cp_request(c, &o->pld[o->n], &o->cp, &cprc)) /* the virtual IPs we want (3.15) */
        o->n++;
    sa->vip_want = sa->n_lvip ? 0 : ike_cp_families(c); /* TSi: 0.0.0.0/0 until assigned (ts.c) */
    rc = rc ? rc : cprc;
    if (ike_mobike_on(e, sa) && c->mobike_client) /* RFC 4555 3.3, where charon puts it */
        pld_notify(&o->pld[o->n++], IKEV2_N_MOBIKE_SUPPORTED, NULL, 0);
    struct ike_prop_cfg noke[IKE_MAX_PROPS];
    ike_prop_strip_ke(ch->esp, ch->n_esp, noke); /* IKE_AUTH has no key exchange (1.2) */
    add_sa(o, noke, ch->n_esp, 1);
    struct ike_ts_set ts;
    ike_ts_child(sa, ch, &ts); /* `dynamic`: our address and the peer's */
    add_ts(o, IKEV2_PLD_TSI, ts.l, ts.nl, o->tsi);
    add_ts(o, IKEV2_PLD_TSR, ts.r, ts.nr, o->tsr);
    if (ch->transport)
        pld_notify(&o->pld[o->n++], IKEV2_N_USE_TRANSPORT_MODE, NULL, 0);
    sa->state = IKE_S_AUTH_SENT;
    if (!rc)
        rc = send_protected(e, sa, o, false, sa->next_msgid++, now);
    auth_out_free(e, o);
    if (rc)
        ike_sa_down(e, sa, "cannot build IKE_AUTH request: %s", kite_strerror(rc));
    return rc;
}

/* ---- the Child SA ---- */

static void established(struct ike_engine *e, struct ikesa *sa, const struct ike_id *peer, uint64_t now)
{
    char name[64], l[64], r[64];
    struct ike_action *a = ike_push(e, IKE_ACT_IKE_UP, sa);
    free(sa->peer_id);
    sa->peer_id = ike_peer_id_new(peer->type, peer->data.p, peer->data.n); /* NULL: INITIAL_CONTACT finds it not */
    sa->state = IKE_S_ESTABLISHED;
    sa->established_at = now;
    sa->expire_at = 0;
    sa->restarting = false;
    sa->ike_rekey_at = ike_rekey_time(e, &e->conns[sa->conn], now);
    ike_life_established(e, sa, NULL, now);
    e->stats.established++;
    if (!sa->initiator) /* the initiator's handshake ends with its first Child SA (ike_auth_response) */
        ike_hs_end(e, sa, true);
    snprintf(a->reason, sizeof a->reason, "established");
    ike_log(e, LOG_IKE, 0, "IKE_SA %s established between %s...%s", ike_sa_name(e, sa, name, sizeof name),
            ike_addr_str(&sa->local, l, sizeof l), ike_addr_str(&sa->remote, r, sizeof r));
}

static void child_up(struct ike_engine *e, struct ikesa *sa, const struct ike_algs *algs, uint32_t spi_out,
                     const struct ike_ts_cfg *lts, const struct ike_ts_cfg *rts, bool transport, int cfg,
                     uint64_t now)
{
    ike_child_install(e, sa, cfg, algs, sa->child_spi_in, spi_out, span_of(NULL, 0), span_of(sa->ni, sa->ni_len),
                      span_of(sa->nr, sa->nr_len), lts, rts, transport, sa->initiator, 0, true, now);
}

/* the responder's Child SA: proposal, narrowing, mode; adds SA/TS payloads or
 * an error notify to o */
static void responder_child(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, struct auth_out *o,
                            uint64_t now)
{
    const struct ike_pld *sap = ike_chain_find(in, IKEV2_PLD_SA, 0);
    const struct ike_pld *tsi = ike_chain_find(in, IKEV2_PLD_TSI, 0), *tsr = ike_chain_find(in, IKEV2_PLD_TSR, 0);
    struct ike_algs algs;
    const struct ike_proposal *chosen;
    struct ike_ts_cfg lts, rts;
    if (!sap || !tsi || !tsr)
        return;
    /* the child configuration whose selectors fit the proposed ones */
    int cfg = ike_child_cfg_for_ts(sa, &e->conns[sa->conn], &tsi->u.ts, &tsr->u.ts);
    const struct ike_child_cfg *ch = &e->conns[sa->conn].child[cfg];
    sa->child = cfg;
    if (ike_prop_select_no_ke(ch->esp, ch->n_esp, &sap->u.sa, IKEV2_PROTO_ESP, &algs, &chosen)) {
        ike_log(e, LOG_IKE, 1, "no acceptable proposal found for CHILD_SA %s, sending NO_PROPOSAL_CHOSEN", ch->name);
        ike_child_log_offers(e, ch, &sap->u.sa);
        pld_notify(&o->pld[o->n++], IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
        return;
    }
    struct ike_ts_set ts;
    ike_ts_child(sa, ch, &ts); /* `dynamic`: the peer's address as TSi, ours as TSr */
    if (ike_ts_narrow(ts.r, ts.nr, &tsi->u.ts, &rts) || ike_ts_narrow(ts.l, ts.nl, &tsr->u.ts, &lts)) {
        ike_log(e, LOG_IKE, 1, "traffic selectors unacceptable for CHILD_SA %s, sending TS_UNACCEPTABLE", ch->name);
        pld_notify(&o->pld[o->n++], IKEV2_N_TS_UNACCEPTABLE, NULL, 0);
        return;
    }
    if (ike_cp_narrow(sa, &rts)) { /* the peer's traffic comes from its virtual IP only */
        ike_log(e, LOG_IKE, 1, "the peer's virtual IP is not within remote_ts of CHILD_SA %s, sending TS_UNACCEPTABLE",
                ch->name);
        pld_notify(&o->pld[o->n++], IKEV2_N_TS_UNACCEPTABLE, NULL, 0);
        return;
    }
    bool transport = ch->transport && ike_chain_notify(in, IKEV2_N_USE_TRANSPORT_MODE);
    sa->child_spi_in = ike_new_spi(e, o->spi);
    struct ike_prop_cfg one;
    ike_prop_from_algs(&algs, false, &one);
    add_sa(o, &one, 1, chosen->num);
    /* the payloads are encoded after this returns: their addresses must outlive it */
    o->lts = lts;
    o->rts = rts;
    add_ts(o, IKEV2_PLD_TSI, &o->rts, 1, o->tsi);
    add_ts(o, IKEV2_PLD_TSR, &o->lts, 1, o->tsr);
    if (transport)
        pld_notify(&o->pld[o->n++], IKEV2_N_USE_TRANSPORT_MODE, NULL, 0);
    child_up(e, sa, &algs, ike_prop_spi32(chosen), &lts, &rts, transport, cfg, now);
}

/* the connection the peer's identities ask for (connsel.c), which need not
 * be the one IKE_SA_INIT chose by addresses alone: the IKE SA moves to it,
 * as charon's does; 0 or KITE_E_AUTH_FAILED (none fits, logged) */
static int select_conn(struct ike_engine *e, struct ikesa *sa, const struct ike_id *idi, const struct ike_id *idr)
{
    char a[256], b[256] = "%any", r[64];
    int c = ike_conn_select_auth(e, sa, idi, idr), from = sa->conn;
    if (c < 0) {
        cred_id_format(idi->type, idi->data, a, sizeof a);
        if (idr)
            cred_id_format(idr->type, idr->data, b, sizeof b);
        ike_log(e, LOG_CFG, 0, "no connection matches '%s' from %s (IDr '%s'): no matching peer config found", a,
                ike_addr_str(&sa->remote, r, sizeof r), b);
        return KITE_E_AUTH_FAILED;
    }
    if (c != from) {
        sa->conn = c;
        sa->child = 0;
        ike_hs_moved(e, sa, from);
        ike_log(e, LOG_CFG, 1, "switching from connection '%s' to '%s', which the identities match better",
                e->conns[from].name, e->conns[c].name);
    }
    ike_log(e, LOG_CFG, 1, "selected peer config '%s'", e->conns[c].name);
    return 0;
}

/* the responder refuses an IKE_AUTH request: o's payloads in the response
 * (AUTHENTICATION_FAILED when o has none), the failure counted, the IKE SA
 * down for the reason given; rc back */
static int auth_refuse(struct ike_engine *e, struct ikesa *sa, struct auth_out *o, uint64_t now, int rc,
                       const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int auth_refuse(struct ike_engine *e, struct ikesa *sa, struct auth_out *o, uint64_t now, int rc,
                       const char *fmt, ...)
{
    char reason[192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (!o->n)
        pld_notify(&o->pld[o->n++], IKEV2_N_AUTHENTICATION_FAILED, NULL, 0);
    send_protected(e, sa, o, true, sa->rx_msgid, now);
    sa->fail = IKE_CTR_HS_FAIL_AUTH;
    ike_sa_down(e, sa, "%s", reason);
    return rc;
}

/* the first IKE_AUTH request: the connection chosen by its IDi and IDr
 * before anything else, EAP or not, follows from the connection; none
 * fitting gets AUTHENTICATION_FAILED.  0 to go on */
static int select_first(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, uint64_t now)
{
    const struct ike_pld *idi = ike_chain_find(in, IKEV2_PLD_IDI, 0), *idr = ike_chain_find(in, IKEV2_PLD_IDR, 0);
    if (!idi || !select_conn(e, sa, &idi->u.id, idr ? &idr->u.id : NULL))
        return 0; /* no IDi: refused where AUTH is checked */
    struct auth_out *o = ike_scratch_get(e, sizeof *o, true);
    if (!o)
        return KITE_E_NOMEM;
    ike_log(e, LOG_IKE, 0, "peer authentication failed, sending AUTHENTICATION_FAILED");
    auth_refuse(e, sa, o, now, KITE_E_AUTH_FAILED, "authentication of the peer failed");
    auth_out_free(e, o);
    return KITE_E_AUTH_FAILED;
}

static int auth_request(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, uint64_t now)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    const struct ike_pld *idi = ike_chain_find(in, IKEV2_PLD_IDI, 0), *auth = ike_chain_find(in, IKEV2_PLD_AUTH, 0);
    struct auth_out *o = ike_scratch_get(e, sizeof *o, true);
    if (!o)
        return KITE_E_NOMEM;
    int rc = 0;
    if (!idi || !auth || ike_pk_verify(e, sa, in, &idi->u.id, &auth->u.auth)) {
        ike_log(e, LOG_IKE, 0, "peer authentication failed, sending AUTHENTICATION_FAILED");
        rc = auth_refuse(e, sa, o, now, KITE_E_AUTH_FAILED, "authentication of the peer failed");
        auth_out_free(e, o);
        return rc;
    }
    /* INITIAL_CONTACT (2.4) and the connection's unique policy (lifecycle.c):
     * "the peer" is its identity, as peers behind one NAT share an address */
    if (!ike_life_unique(e, sa, &idi->u.id, ike_chain_notify(in, IKEV2_N_INITIAL_CONTACT), now)) {
        rc = auth_refuse(e, sa, o, now, KITE_E_AUTH_FAILED,
                         "unique = keep: the peer has an established IKE_SA already");
        auth_out_free(e, o);
        return rc;
    }
    struct ike_pld me = { .type = IKEV2_PLD_IDR };
    me.u.id.type = c->local_id.type;
    me.u.id.data = span_of(c->local_id.data, c->local_id.len);
    if (!ike_eap_done(sa)) { /* after EAP the last response is AUTH and the Child SA (2.16) */
        o->pld[o->n++] = me;
        rc = ike_pk_certs(e, sa, in, o->pld, &o->n, &o->pk);
    }
    if (!rc)
        rc = add_auth(e, o, sa, &me, &idi->u.id);
    if (rc) { /* our own credentials are missing: logged; the peer hears why */
        o->n = 0;
        rc = auth_refuse(e, sa, o, now, rc, "cannot authenticate ourselves: %s", kite_strerror(rc));
        auth_out_free(e, o);
        return rc;
    }
    established(e, sa, &idi->u.id, now);
    ike_mobike_auth_seen(e, sa, in);
    if (sa->mobike_peer)
        pld_notify(&o->pld[o->n++], IKEV2_N_MOBIKE_SUPPORTED, NULL, 0);
    bool cp_added;
    uint16_t cp_err = ike_cp_assign(e, sa, in, &idi->u.id, &o->pld[o->n], &cp_added, &o->cp);
    o->n += cp_added;
    if (cp_err) /* no Child SA without the address it needs (strongSwan does the same) */
        pld_notify(&o->pld[o->n++], cp_err, NULL, 0);
    else
        responder_child(e, sa, in, o, now);
    rc = send_protected(e, sa, o, true, sa->rx_msgid, now);
    auth_out_free(e, o);
    return rc;
}

static int child_error(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, uint64_t now)
{
    for (unsigned i = 0; i < in->n; i++) {
        const struct ike_pld *p = &in->pld[i];
        if (p->type == IKEV2_PLD_NOTIFY && p->u.notify.type < IKEV2_N_STATUS_FIRST) {
            const char *n = ike_notify_name(p->u.notify.type);
            uint16_t t = p->u.notify.type;
            sa->fail = t == IKEV2_N_NO_PROPOSAL_CHOSEN ? IKE_CTR_HS_FAIL_NO_PROPOSAL
                       : t == IKEV2_N_TS_UNACCEPTABLE  ? IKE_CTR_HS_FAIL_TS
                                                       : IKE_CTR_HS_FAIL_OTHER;
            ike_send_delete(e, sa, now);
            ike_sa_down(e, sa, "received %s notify: CHILD_SA %s not established, deleting the IKE_SA as strongSwan does",
                        n ? n : "an error", e->conns[sa->conn].child[sa->child].name);
            return KITE_E_NO_PROPOSAL;
        }
    }
    return 0;
}

static int auth_response(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, uint64_t now)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    const struct ike_child_cfg *ch = &c->child[sa->child];
    const struct ike_pld *idr = ike_chain_find(in, IKEV2_PLD_IDR, 0), *auth = ike_chain_find(in, IKEV2_PLD_AUTH, 0);
    if (ike_chain_notify(in, IKEV2_N_AUTHENTICATION_FAILED)) {
        sa->fail = IKE_CTR_HS_FAIL_AUTH;
        ike_sa_down(e, sa, "received AUTHENTICATION_FAILED notify: the peer rejected our AUTH or ID");
        return KITE_E_AUTH_FAILED;
    }
    if (!idr || !auth || ike_pk_verify(e, sa, in, &idr->u.id, &auth->u.auth)) {
        /* the responder thinks the IKE SA is up: tell it (2.21.2), not waiting for the answer */
        struct ike_pld n;
        pld_notify(&n, IKEV2_N_AUTHENTICATION_FAILED, NULL, 0);
        ike_log(e, LOG_IKE, 0, "responder authentication failed, sending AUTHENTICATION_FAILED");
        ike_send_sk(e, sa, IKEV2_EXCH_INFORMATIONAL, &n, 1, false, sa->next_msgid++, now);
        sa->fail = IKE_CTR_HS_FAIL_AUTH;
        ike_sa_down(e, sa, "authentication of the responder failed");
        return KITE_E_AUTH_FAILED;
    }
    established(e, sa, &idr->u.id, now);
    ike_mobike_auth_seen(e, sa, in);
    if (child_error(e, sa, in, now))
        return KITE_E_NO_PROPOSAL;
    if (ike_cp_reply(e, sa, in)) {
        ike_send_delete(e, sa, now);
        sa->fail = IKE_CTR_HS_FAIL_OTHER;
        ike_sa_down(e, sa, "no virtual IP in the responder's CFG_REPLY, deleting the IKE_SA as strongSwan does");
        return KITE_E_MISSING;
    }
    const struct ike_pld *sap = ike_chain_find(in, IKEV2_PLD_SA, 0);
    const struct ike_pld *tsi = ike_chain_find(in, IKEV2_PLD_TSI, 0), *tsr = ike_chain_find(in, IKEV2_PLD_TSR, 0);
    struct ike_algs algs;
    struct ike_ts_cfg lts, rts;
    if (!sap || !tsi || !tsr || sap->u.sa.n_prop != 1 ||
        ike_prop_accept_no_ke(ch->esp, ch->n_esp, &sap->u.sa.prop[0], IKEV2_PROTO_ESP, &algs) ||
        tsi->u.ts.n < 1 || tsr->u.ts.n < 1 || ike_ts_from_wire(&tsi->u.ts.sel[0], &lts) ||
        ike_ts_from_wire(&tsr->u.ts.sel[0], &rts)) {
        ike_send_delete(e, sa, now);
        sa->fail = IKE_CTR_HS_FAIL_NO_PROPOSAL;
        ike_sa_down(e, sa, "IKE_AUTH response carries a Child SA we did not propose");
        return KITE_E_NO_PROPOSAL;
    }
    /* every selector returned, not only the one installed, lies within what
     * we proposed: a responder may narrow, never widen (2.9) */
    struct ike_ts_set ts;
    ike_ts_child(sa, ch, &ts);
    if (!ike_ts_subset(&tsi->u.ts, ts.l, ts.nl) || !ike_ts_subset(&tsr->u.ts, ts.r, ts.nr)) {
        char ls[80], rs[80];
        ike_log(e, LOG_IKE, 0, "CHILD_SA %s: the responder's traffic selectors (TSi %s%s TSr %s%s) are not within "
                               "what we proposed, TS_UNACCEPTABLE", ch->name, ike_ts_str(&lts, ls, sizeof ls),
                tsi->u.ts.n > 1 ? ",..." : "", ike_ts_str(&rts, rs, sizeof rs), tsr->u.ts.n > 1 ? ",..." : "");
        ike_send_delete(e, sa, now);
        sa->fail = IKE_CTR_HS_FAIL_TS;
        ike_sa_down(e, sa, "responder's traffic selectors are not a subset of ours");
        return KITE_E_TS_UNACCEPTABLE;
    }
    bool transport = ch->transport && ike_chain_notify(in, IKEV2_N_USE_TRANSPORT_MODE);
    child_up(e, sa, &algs, ike_prop_spi32(&sap->u.sa.prop[0]), &lts, &rts, transport, sa->child, now);
    ike_hs_end(e, sa, true);
    return 0;
}

/* ---- EAP (2.16, eap.c) ---- */

static void add_eap(struct auth_out *o, const struct eapm_out *x)
{
    struct ike_pld *p = add(o, IKEV2_PLD_EAP);
    p->u.eap.code = x->code;
    p->u.eap.id = x->id;
    p->u.eap.type = x->type;
    p->u.eap.data = span_of(x->data, x->len);
}

/* the responder refuses: EAP-Failure (or AUTHENTICATION_FAILED) and the IKE SA goes */
static int eap_refuse(struct ike_engine *e, struct ikesa *sa, struct auth_out *o, const struct eapm_out *x,
                      int rc, uint64_t now)
{
    o->n = 0;
    if (x && x->code)
        add_eap(o, x);
    return auth_refuse(e, sa, o, now, rc, "EAP authentication of the peer failed: %s", kite_strerror(rc));
}

/* the first IKE_AUTH request of an EAP peer: our IDr, AUTH and the first EAP request */
static int eap_request_first(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in,
                             struct auth_out *o, uint64_t now)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    const struct ike_pld *idi = ike_chain_find(in, IKEV2_PLD_IDI, 0);
    struct eapm_out x = { 0 };
    int rc = ike_eap_begin(e, sa);
    if (!rc)
        rc = ike_eap_keep_first(sa, in);
    if (!rc)
        rc = ike_eap_server_first(e, sa, &idi->u.id, &x);
    if (rc)
        return eap_refuse(e, sa, o, NULL, rc, now);
    add_id(o, IKEV2_PLD_IDR, &c->local_id);
    rc = ike_pk_certs(e, sa, in, o->pld, &o->n, &o->pk);
    if (!rc)
        rc = add_auth(e, o, sa, &o->pld[0], &idi->u.id);
    if (rc)
        return eap_refuse(e, sa, o, NULL, rc, now);
    add_eap(o, &x);
    return send_protected(e, sa, o, true, sa->rx_msgid, now);
}

/* 1 and *all (the first request with this AUTH) when the last request has
 * come; 0 when an EAP round was answered; KITE_E_* when refused */
static int eap_request(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, struct auth_out *o,
                       struct ike_chain **all, uint64_t now)
{
    const struct ike_pld *auth = ike_chain_find(in, IKEV2_PLD_AUTH, 0), *eap = ike_chain_find(in, IKEV2_PLD_EAP, 0);
    struct eapm_out x = { 0 };
    if (!sa->eap) {
        if (auth || !ike_chain_find(in, IKEV2_PLD_IDI, 0))
            return 1; /* no EAP offered: refused where AUTH is checked (remote.auth is EAP) */
        return eap_request_first(e, sa, in, o, now);
    }
    if (ike_eap_done(sa)) {
        if (!auth || !(*all = ike_eap_first(sa, auth)))
            return eap_refuse(e, sa, o, NULL, KITE_E_AUTH_FAILED, now);
        return 1;
    }
    if (!eap)
        return eap_refuse(e, sa, o, NULL, KITE_E_AUTH_FAILED, now);
    int rc = ike_eap_step(e, sa, &eap->u.eap, &x);
    if (rc < 0)
        return eap_refuse(e, sa, o, &x, rc, now);
    add_eap(o, &x);
    return send_protected(e, sa, o, true, sa->rx_msgid, now);
}

int ike_auth_request(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, uint64_t now)
{
    int sel = sa->eap ? 0 : select_first(e, sa, in, now);
    if (sel)
        return sel;
    if (!sa->eap && e->conns[sa->conn].remote_auth.kind != IKE_AUTHK_EAP)
        return auth_request(e, sa, in, now);
    struct auth_out *o = ike_scratch_get(e, sizeof *o, true);
    struct ike_chain *all = NULL;
    if (!o)
        return KITE_E_NOMEM;
    int rc = eap_request(e, sa, in, o, &all, now);
    auth_out_free(e, o);
    if (rc != 1)
        return rc;
    rc = auth_request(e, sa, all ? all : in, now);
    free(all); /* before the EAP state its payloads point into */
    if (ike_eap_done(sa))
        ike_eap_end(sa);
    return rc;
}

/* the initiator: the responder's first answer (IDr, AUTH, EAP) and the EAP rounds */
static int eap_response(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, uint64_t now)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    const struct ike_pld *eap = ike_chain_find(in, IKEV2_PLD_EAP, 0);
    if (sa->eap->stage == IKE_EAP_START) {
        const struct ike_pld *idr = ike_chain_find(in, IKEV2_PLD_IDR, 0), *auth = ike_chain_find(in, IKEV2_PLD_AUTH, 0);
        if (!idr || !auth || !eap || ike_pk_verify(e, sa, in, &idr->u.id, &auth->u.auth) ||
            ike_eap_keep_idr(sa, &idr->u.id))
            return auth_response(e, sa, in, now); /* refused there, as without EAP */
    }
    struct eapm_out x = { 0 };
    int rc = eap ? ike_eap_step(e, sa, &eap->u.eap, &x) : KITE_E_MISSING;
    if (rc < 0) {
        sa->fail = IKE_CTR_HS_FAIL_AUTH;
        ike_send_delete(e, sa, now);
        ike_sa_down(e, sa, "EAP authentication failed: %s", kite_strerror(rc));
        return rc;
    }
    struct auth_out *o = ike_scratch_get(e, sizeof *o, true);
    if (!o)
        return KITE_E_NOMEM;
    if (rc == 1) { /* EAP-Success: now our AUTH, keyed by the MSK */
        struct ike_pld me = { .type = IKEV2_PLD_IDI };
        me.u.id.type = c->local_id.type;
        me.u.id.data = span_of(c->local_id.data, c->local_id.len);
        rc = add_auth(e, o, sa, &me, NULL);
    } else {
        add_eap(o, &x);
    }
    if (!rc)
        rc = send_protected(e, sa, o, false, sa->next_msgid++, now);
    auth_out_free(e, o);
    if (rc)
        ike_sa_down(e, sa, "cannot build the IKE_AUTH request: %s", kite_strerror(rc));
    return rc;
}

int ike_auth_response(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, uint64_t now)
{
    if (!sa->eap || ike_chain_notify(in, IKEV2_N_AUTHENTICATION_FAILED))
        return auth_response(e, sa, in, now);
    if (!ike_eap_done(sa))
        return eap_response(e, sa, in, now);
    /* the last response: AUTH keyed by the MSK over the IDr of the first */
    struct ike_chain *all = ike_eap_with_idr(sa, in);
    if (!all) {
        ike_sa_down(e, sa, "out of memory");
        return KITE_E_NOMEM;
    }
    int rc = auth_response(e, sa, all, now);
    free(all);
    ike_eap_end(sa);
    return rc;
}
