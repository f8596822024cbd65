/* mobike: IKEv2 Mobility and Multihoming (RFC 4555), the responder's side:
 * a peer that moved (a laptop from Wi-Fi to LTE) tells us with an
 * INFORMATIONAL request carrying UPDATE_SA_ADDRESSES from its new address
 * (3.5); we move the IKE SA and its Child SAs there (IKE_ACT_IKE_MOVED, as
 * for a NAT mapping change), redo NAT detection from its NAT_DETECTION
 * notifies, and answer with ours; COOKIE2 (return routability, 3.8) is
 * copied into the answer.  The initiator's side: ike_sa_move_local, when the
 * daemon finds our address gone, moves the SA and sends the update from the
 * new address (after the request under way, window size 1).  Support is announced with MOBIKE_SUPPORTED in
 * IKE_AUTH (3.3) and used only when both ends sent it; mobike = no turns it
 * off.  The request is authenticated (it came through SK), so only the peer
 * itself can move its SAs. */
#include <string.h>
#include "base/log.h"
#include "ike/ike_int.h"

bool ike_mobike_on(const struct ike_engine *e, const struct ikesa *sa)
{
    return !e->conns[sa->conn].no_mobike;
}

void ike_mobike_auth_seen(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in)
{
    sa->mobike_peer = ike_mobike_on(e, sa) && ike_chain_notify(in, IKEV2_N_MOBIKE_SUPPORTED);
    sa->mobike_orig_i = sa->initiator;
}

void ike_mobike_inherit(struct ikesa *n, const struct ikesa *old)
{
    n->mobike_peer = old->mobike_peer;
    n->mobike_orig_i = old->mobike_orig_i; /* the original initiator's role stays (RFC 4555 3.1) */
    n->mobike_natd_set = old->mobike_natd_set;
    memcpy(n->mobike_natd, old->mobike_natd, sizeof n->mobike_natd);
}

/* NAT detection again, with the IKE SA's SPIs (3.5) */
static void natd_check(struct ikesa *sa, const struct ike_chain *in)
{
    uint8_t hs[20], hd[20];
    bool got_s = false, match_s = false, got_d = false, match_d = false;
    if (ike_natd_hash(sa->spi_i, sa->spi_r, &sa->remote, hs) || ike_natd_hash(sa->spi_i, sa->spi_r, &sa->local, hd))
        return;
    for (unsigned i = 0; i < in->n; i++) {
        const struct ike_pld *p = &in->pld[i];
        bool ok = p->type == IKEV2_PLD_NOTIFY && p->u.notify.data.n == 20;
        if (p->type == IKEV2_PLD_NOTIFY && p->u.notify.type == IKEV2_N_NAT_DETECTION_SOURCE_IP)
            got_s = true, match_s = match_s || (ok && ct_equal(hs, p->u.notify.data.p, 20));
        else if (p->type == IKEV2_PLD_NOTIFY && p->u.notify.type == IKEV2_N_NAT_DETECTION_DESTINATION_IP)
            got_d = true, match_d = match_d || (ok && ct_equal(hd, p->u.notify.data.p, 20));
    }
    sa->nat_remote = got_s && !match_s;
    sa->nat_local = got_d && !match_d;
}

/* move to where the request came from */
static void move(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in)
{
    char name[64], o[64], n[64];
    const struct ike_addr *local = e->cur_local, *remote = e->cur_remote;
    if (!local || !remote)
        return;
    bool moved = !ike_addr_eq(&sa->remote, remote) || !ike_addr_eq(&sa->local, local);
    ike_addr_str(&sa->remote, o, sizeof o);
    sa->remote = *remote;
    sa->local = *local;
    sa->natt = local->port == e->conns[sa->conn].natt_port;
    natd_check(sa, in);
    if (!moved) {
        ike_log(e, LOG_IKE, 2, "IKE_SA %s: UPDATE_SA_ADDRESSES from %s, where it is already", 
                ike_sa_name(e, sa, name, sizeof name), o);
        return;
    }
    e->stats.moved++;
    ike_push(e, IKE_ACT_IKE_MOVED, sa);
    ike_log(e, LOG_IKE, 1, "IKE_SA %s: the peer moved from %s to %s (MOBIKE UPDATE_SA_ADDRESSES)%s",
            ike_sa_name(e, sa, name, sizeof name), o, ike_addr_str(remote, n, sizeof n),
            sa->nat_remote ? ", behind a NAT" : "");
}

unsigned ike_mobike_request(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in,
                            struct ike_pld *out, uint8_t natd[2][20])
{
    unsigned n = 0;
    const struct ike_notify *upd = ike_chain_notify(in, IKEV2_N_UPDATE_SA_ADDRESSES);
    const struct ike_notify *cookie2 = ike_chain_notify(in, IKEV2_N_COOKIE2);
    if (upd && !sa->mobike_peer) {
        ike_log(e, LOG_IKE, 1, "UPDATE_SA_ADDRESSES ignored: MOBIKE was not agreed for this IKE_SA");
        upd = NULL;
    }
    bool natd_asked = sa->mobike_peer && ike_chain_notify(in, IKEV2_N_NAT_DETECTION_DESTINATION_IP);
    if (upd)
        move(e, sa, in);
    if (upd || natd_asked) { /* a liveness check with NAT detection is answered with ours too (3.5) */
        /* our NAT_DETECTION notifies for the peer's check (3.5): the
         * addresses the answer goes between, where the request came by */
        const struct ike_addr *l = e->cur_local ? e->cur_local : &sa->local;
        const struct ike_addr *r = e->cur_remote ? e->cur_remote : &sa->remote;
        if (!ike_natd_hash(sa->spi_i, sa->spi_r, l, natd[0]) && !ike_natd_hash(sa->spi_i, sa->spi_r, r, natd[1])) {
            pld_notify(&out[n++], IKEV2_N_NAT_DETECTION_SOURCE_IP, natd[0], 20);
            pld_notify(&out[n++], IKEV2_N_NAT_DETECTION_DESTINATION_IP, natd[1], 20);
        }
    }
    if (cookie2 && sa->mobike_peer && cookie2->data.n >= 8 && cookie2->data.n <= 64) /* 3.8: copied back */
        pld_notify(&out[n++], IKEV2_N_COOKIE2, cookie2->data.p, cookie2->data.n);
    return n;
}

/* the initiator's UPDATE_SA_ADDRESSES with NAT detection from the new address (3.5) */
int ike_mobike_send_update(struct ike_engine *e, struct ikesa *sa, uint64_t now)
{
    struct ike_pld p[3];
    uint8_t natd[2][20];
    sa->mobike_update = false;
    if (ike_natd_hash(sa->spi_i, sa->spi_r, &sa->local, natd[0]) ||
        ike_natd_hash(sa->spi_i, sa->spi_r, &sa->remote, natd[1]))
        return KITE_E_CRYPTO;
    pld_notify(&p[0], IKEV2_N_UPDATE_SA_ADDRESSES, NULL, 0);
    pld_notify(&p[1], IKEV2_N_NAT_DETECTION_SOURCE_IP, natd[0], 20);
    pld_notify(&p[2], IKEV2_N_NAT_DETECTION_DESTINATION_IP, natd[1], 20);
    sa->mobike_wait = true;
    return ike_send_sk(e, sa, IKEV2_EXCH_INFORMATIONAL, p, 3, false, sa->next_msgid++, now);
}

/* the NAT_DETECTION_DESTINATION_IP of an answer: how the peer sees us; true
 * when it changed since the last answer (or none was kept), the NAT having
 * mapped us anew.  Not our own address: a NAT is still in front of us */
static bool natd_mapping_changed(struct ikesa *sa, const struct ike_chain *in)
{
    const struct ike_notify *d = ike_chain_notify(in, IKEV2_N_NAT_DETECTION_DESTINATION_IP);
    if (!d || d->data.n != 20 || !sa->nat_local)
        return false;
    bool changed = !sa->mobike_natd_set || !ct_equal(sa->mobike_natd, d->data.p, 20);
    memcpy(sa->mobike_natd, d->data.p, 20);
    sa->mobike_natd_set = true;
    return changed;
}

void ike_mobike_response(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in)
{
    char name[64];
    bool update = sa->mobike_wait, dpd = sa->mobike_dpd;
    sa->mobike_wait = sa->mobike_dpd = false;
    natd_check(sa, in);
    bool changed = natd_mapping_changed(sa, in);
    ike_sa_name(e, sa, name, sizeof name);
    if (update) {
        ike_log(e, LOG_IKE, 1, "IKE_SA %s: the peer took our new address (MOBIKE)%s", name,
                sa->nat_local ? ", we are behind a NAT there" : "");
    } else if (dpd && changed) {
        /* the peer, a MOBIKE responder, does not follow a new mapping by
         * itself (3.1): we tell it, as charon does */
        ike_log(e, LOG_IKE, 1, "IKE_SA %s: the NAT in front of us mapped us anew (NAT detection in the "
                "liveness check), sending UPDATE_SA_ADDRESSES (MOBIKE)", name);
        sa->mobike_update = true; /* sent by ike_tick, the window being free */
    }
}

/* behind a NAT as the original initiator: the liveness check carries NAT
 * detection, its answer shows whether the NAT mapped us anew (RFC 4555 3.5) */
bool ike_mobike_dpd(struct ike_engine *e, struct ikesa *sa, uint64_t now)
{
    struct ike_pld p[2];
    uint8_t natd[2][20];
    if (!sa->mobike_peer || !sa->mobike_orig_i || !sa->nat_local || !e->conns[sa->conn].mobike_client)
        return false;
    if (ike_natd_hash(sa->spi_i, sa->spi_r, &sa->local, natd[0]) ||
        ike_natd_hash(sa->spi_i, sa->spi_r, &sa->remote, natd[1]))
        return false;
    pld_notify(&p[0], IKEV2_N_NAT_DETECTION_SOURCE_IP, natd[0], 20);
    pld_notify(&p[1], IKEV2_N_NAT_DETECTION_DESTINATION_IP, natd[1], 20);
    ike_log(e, LOG_IKE, 2, "sending DPD request");
    if (ike_send_sk(e, sa, IKEV2_EXCH_INFORMATIONAL, p, 2, false, sa->next_msgid, now))
        return false;
    sa->next_msgid++;
    sa->mobike_dpd = true;
    return true;
}

int ike_sa_move_local(struct ike_engine *e, uint32_t id, const struct ike_addr *local, uint64_t now)
{
    struct ikesa *sa = ike_sa_by_id(e, id);
    char name[64], o[64], n[64];
    if (!sa || sa->state != IKE_S_ESTABLISHED)
        return KITE_E_NOT_FOUND;
    e->now = now;
    if (!sa->mobike_peer || !sa->mobike_orig_i) { /* only the initiator moves the SAs (3.1) */
        ike_log(e, LOG_IKE, 1, "IKE_SA %s: not moved, %s", ike_sa_name(e, sa, name, sizeof name),
                sa->mobike_peer ? "only the original initiator moves a MOBIKE IKE_SA" : "MOBIKE was not agreed");
        return KITE_E_UNSUPPORTED;
    }
    struct ike_addr to = *local;
    to.port = sa->local.port;
    if (ike_addr_eq(&to, &sa->local))
        return 0;
    ike_log(e, LOG_IKE, 1, "IKE_SA %s: our address moves from %s to %s, updating the peer (MOBIKE)",
            ike_sa_name(e, sa, name, sizeof name), ike_addr_str(&sa->local, o, sizeof o), ike_addr_str(&to, n, sizeof n));
    sa->local = to;
    ike_push(e, IKE_ACT_IKE_MOVED, sa); /* our data plane sends ESP from there now */
    sa->mobike_update = true;
    int rc = sa->req_len ? 0 : ike_mobike_send_update(e, sa, now); /* else after the answer under way */
    ike_satab_gc(e);
    return rc;
}

bool ike_sa_mobile(const struct ike_engine *e, unsigned slot, uint32_t *id, struct ike_addr *local,
                   struct ike_addr *remote)
{
    const struct ikesa *sa = ike_sa_at(e, slot);
    if (!sa || sa->state != IKE_S_ESTABLISHED || sa->replaced || !sa->mobike_peer || !sa->mobike_orig_i ||
        !e->conns[sa->conn].mobike_client)
        return false;
    *id = sa->id;
    *local = sa->local;
    *remote = sa->remote;
    return true;
}
