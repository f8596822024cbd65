/*  HDR, SAi1, KEi, Ni, N(NATD_S_IP), N(NATD_D_IP), N(HASH_ALG), [N(FRAG_SUP)]  -->
 *        <--  HDR, SAr1, KEr, Nr, N(NATD_S_IP), N(NATD_D_IP), N(HASH_ALG), [N(FRAG_SUP)]
 *                  <--  HDR, N(INVALID_KE_PAYLOAD) | N(NO_PROPOSAL_CHOSEN)
 *                  <--  HDR, N(COOKIE)
 *  HDR, N(COOKIE), SAi1, KEi, Ni, ...  -->   (the same request, cookie first, 2.6)
 * RFC 7296 1.2, 2.7 (proposals), 2.10 (nonces), 2.14 (keys), 2.23 (NAT),
 * RFC 7427 4 (SIGNATURE_HASH_ALGORITHMS: SHA2-256, -384, -512, IDENTITY for
 * EdDSA), 3.7 (the responder's CERTREQ when it wants the peer's certificate),
 * RFC 7383 2.3 (IKEV2_FRAGMENTATION_SUPPORTED: frag.c). */
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include "ike/ike_int.h"

static const uint8_t hash_algs[] = { 0, 2, 0, 3, 0, 4, 0, 5 };

/* the payloads both directions carry; storage lives in struct init_out */
struct init_out {
    struct ike_pld pld[10];
    unsigned n;
    uint8_t *certreq;
    struct ike_proposal prop[IKE_MAX_PROPS];
    struct ike_transform xf[IKE_MAX_PROPS][IKE_MAX_XF];
    struct ike_xf_attr attr[IKE_MAX_PROPS][IKE_MAX_XF];
    uint8_t ke[1024];
    uint8_t natd_s[20], natd_d[20];
};

static int add_sa(struct init_out *o, const struct ike_prop_cfg *cfg, unsigned n, uint8_t first_num)
{
    struct ike_pld *p = &o->pld[o->n++];
    memset(p, 0, sizeof *p);
    p->type = IKEV2_PLD_SA;
    for (unsigned i = 0; i < n; i++)
        ike_prop_build(&cfg[i], (uint8_t)(first_num + i), IKEV2_PROTO_IKE, NULL, 0, &o->prop[i],
                       o->xf[i], o->attr[i]);
    p->u.sa.n_prop = (uint8_t)n;
    p->u.sa.prop = o->prop;
    return 0;
}

static int add_ke_nonce(struct init_out *o, struct ikesa *sa, const uint8_t *nonce, size_t nlen)
{
    size_t klen;
    int rc = ke_public(&sa->ke, o->ke, sizeof o->ke, &klen);
    if (rc)
        return rc;
    struct ike_pld *p = &o->pld[o->n++];
    memset(p, 0, sizeof *p);
    p->type = IKEV2_PLD_KE;
    p->u.ke.group = sa->ke_group;
    p->u.ke.data = span_of(o->ke, klen);
    p = &o->pld[o->n++];
    memset(p, 0, sizeof *p);
    p->type = IKEV2_PLD_NONCE;
    p->u.nonce.data = span_of(nonce, nlen);
    return 0;
}

/* NAT_DETECTION_SOURCE_IP and _DESTINATION_IP; with forced encapsulation the
 * source hash is random so the peer sees a NAT (like strongSwan's encap) */
static int add_natd(struct ike_engine *e, struct init_out *o, const struct ikesa *sa)
{
    int rc = ike_natd_hash(sa->spi_i, sa->spi_r, &sa->local, o->natd_s);
    if (!rc)
        rc = ike_natd_hash(sa->spi_i, sa->spi_r, &sa->remote, o->natd_d);
    if (rc)
        return rc;
    if (e->conns[sa->conn].encap || sa->local.family == 0)
        e->env.random(e->env.ctx, o->natd_s, sizeof o->natd_s);
    pld_notify(&o->pld[o->n++], IKEV2_N_NAT_DETECTION_SOURCE_IP, o->natd_s, 20);
    pld_notify(&o->pld[o->n++], IKEV2_N_NAT_DETECTION_DESTINATION_IP, o->natd_d, 20);
    pld_notify(&o->pld[o->n++], IKEV2_N_SIGNATURE_HASH_ALGORITHMS, hash_algs, sizeof hash_algs);
    if (ike_frag_announce(e, sa)) /* RFC 7383 2.3 */
        pld_notify(&o->pld[o->n++], IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
    return 0;
}

static void log_out(struct ike_engine *e, const struct ike_pld *pld, unsigned n, const char *what,
                    uint32_t msgid)
{
    char list[256];
    if (!ike_log_wants(e, LOG_ENC, 1))
        return;
    ike_payload_list(pld, n, list, sizeof list);
    ike_log(e, LOG_ENC, 1, "generating %s %u [%s]", what, msgid, list);
}

static uint16_t first_group(const struct ike_conn_cfg *c)
{
    for (unsigned i = 0; i < c->n_ike; i++)
        for (unsigned k = 0; k < c->ike[i].n; k++)
            if (c->ike[i].xf[k].type == XF_KE)
                return c->ike[i].xf[k].id;
    return 0;
}

/* a copy of an IKE_SA_INIT message for AUTH (2.15), exactly its size (an
 * earlier one, e.g. before a COOKIE or INVALID_KE_PAYLOAD retry, replaced) */
int ike_msg_keep(uint8_t **dst, size_t *len, const uint8_t *p, size_t n)
{
    uint8_t *b = n && n <= IKE_MSG_MAX ? malloc(n) : NULL;
    if (!b)
        return n && n <= IKE_MSG_MAX ? KITE_E_NOMEM : KITE_E_UNSUPPORTED;
    memcpy(b, p, n);
    free(*dst);
    *dst = b;
    *len = n;
    return 0;
}

int ike_nonce_keep(struct ike_engine *e, uint8_t **dst, uint16_t *len, const uint8_t *p, size_t n)
{
    uint8_t r[IKE_NONCE_MAX];
    size_t l;
    if (!p && n <= sizeof r) {
        e->env.random(e->env.ctx, r, n);
        p = r;
    }
    int rc = p ? ike_msg_keep(dst, &l, p, n) : KITE_E_INVALID_ARG;
    if (!rc)
        *len = (uint16_t)l;
    return rc;
}

static int encode_kept(const struct ike_hdr *h, const struct init_out *o, uint8_t **dst, size_t *len)
{
    uint8_t buf[IKE_MSG_MAX];
    size_t n;
    int rc = ike_encode_plain(h, o->pld, o->n, buf, sizeof buf, &n);
    return rc ? rc : ike_msg_keep(dst, len, buf, n);
}

static int send_init_request(struct ike_engine *e, struct ikesa *sa, uint64_t now)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    struct init_out *o = ike_scratch_get(e, sizeof *o, true);
    struct ike_hdr h;
    int rc = o ? 0 : KITE_E_NOMEM;
    if (!rc && sa->cookie_len) /* the responder's cookie, first (2.6) */
        pld_notify(&o->pld[o->n++], IKEV2_N_COOKIE, sa->cookie, sa->cookie_len);
    if (!rc)
        rc = add_sa(o, c->ike, c->n_ike, 1);
    if (!rc)
        rc = add_ke_nonce(o, sa, sa->ni, sa->ni_len);
    if (!rc)
        rc = add_natd(e, o, sa);
    if (!rc) {
        ike_hdr_for(sa, IKEV2_EXCH_IKE_SA_INIT, false, 0, &h);
        rc = encode_kept(&h, o, &sa->init_req, &sa->init_req_len);
    }
    if (!rc) {
        char ps[512]; /* what we offer, for a NO_PROPOSAL_CHOSEN to be explained (kitectl diagnose) */
        ike_prop_cfg_str(c->ike, c->n_ike, true, ps, sizeof ps);
        ike_log(e, LOG_CFG, 2, "configured proposals: %s", ps);
        log_out(e, o->pld, o->n, "IKE_SA_INIT request", 0);
        sa->next_msgid = 1;
        ike_send_request(e, sa, sa->init_req, sa->init_req_len, now);
    }
    ike_scratch_put(e, o);
    return rc;
}

int ike_sa_init_start(struct ike_engine *e, struct ikesa *sa, uint64_t now)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    char a[64], name[64];
    if (!sa->ke_group)
        sa->ke_group = first_group(c);
    ke_free(&sa->ke);
    int rc = ke_generate(&sa->ke, sa->ke_group);
    if (rc)
        return rc;
    rc = ike_nonce_keep(e, &sa->ni, &sa->ni_len, NULL, ike_nonce_len(e));
    if (rc)
        return rc;
    ike_log(e, LOG_IKE, 1, "initiating IKE_SA %s to %s", ike_sa_name(e, sa, name, sizeof name),
            ike_addr_str(&sa->remote, a, sizeof a));
    return send_init_request(e, sa, now);
}

/* ---- responder ---- */

/* the IKE proposal choice and the connection it was made with */
struct init_pick {
    int conn;                    /* -1: no connection for these addresses */
    int rc;                      /* ike_prop_select's: 0, KITE_E_INVALID_KE or NO_PROPOSAL */
    struct ike_algs algs;
    const struct ike_proposal *chosen;
    uint16_t want;
};

/* the connections for these addresses best first (connsel.c); the first
 * whose proposals fit the offer, as charon tries "alternative configs"; a
 * wrong KE group fits (INVALID_KE_PAYLOAD asks for the right one).  With
 * none fitting, the best one answers NO_PROPOSAL_CHOSEN */
static void select_init(struct ike_engine *e, const struct ike_addr *local, const struct ike_addr *remote,
                        const struct ike_sa *offer, uint16_t group, struct init_pick *p)
{
    struct ike_conn_it it = { 0 };
    p->conn = -1;
    p->rc = KITE_E_NO_PROPOSAL;
    for (int c; (c = ike_conn_next_init(e, local, remote, &it)) >= 0;) {
        struct init_pick q = { .conn = c };
        const struct ike_conn_cfg *cfg = &e->conns[c];
        if (!cfg->remote.family && cfg->remote_host[0])
            continue; /* a DNS name not resolved yet is nobody */
        if (!ike_conn_remote_in(cfg, remote))
            continue; /* remote_addrs' subnets and ranges */
        q.rc = ike_prop_select(cfg->ike, cfg->n_ike, offer, IKEV2_PROTO_IKE, group, &q.algs, &q.chosen, &q.want);
        if (p->conn >= 0 && (q.rc == 0 || q.rc == KITE_E_INVALID_KE))
            ike_log(e, LOG_CFG, 2, "no matching proposal found in '%s', trying alternative connection '%s'",
                    e->conns[p->conn].name, cfg->name);
        if (p->conn < 0 || q.rc == 0 || q.rc == KITE_E_INVALID_KE)
            *p = q;
        if (q.rc == 0 || q.rc == KITE_E_INVALID_KE)
            return;
    }
}

void ike_send_stateless(struct ike_engine *e, const struct ike_msg *m, const struct ike_addr *local,
                        const struct ike_addr *remote, uint16_t type, const void *data, size_t len)
{
    struct ikesa tmp;
    struct ike_pld p;
    struct ike_hdr h;
    uint8_t out[256];
    size_t n;
    memset(&tmp, 0, sizeof tmp);
    for (int i = 0; i < 8; i++)
        tmp.spi_i[i] = (uint8_t)(m->hdr.spi_i >> (56 - 8 * i));
    ike_hdr_for(&tmp, IKEV2_EXCH_IKE_SA_INIT, true, 0, &h);
    pld_notify(&p, type, data, len);
    if (ike_encode_plain(&h, &p, 1, out, sizeof out, &n))
        return;
    char list[64];
    if (type != IKEV2_N_COOKIE && ike_log_wants(e, LOG_ENC, 1) && ike_unauth_log_take(e)) {
        ike_payload_list(&p, 1, list, sizeof list);
        ike_log(e, LOG_ENC, 1, "generating IKE_SA_INIT response 0 [%s]", list);
    }
    struct ike_action *a = ike_push(e, IKE_ACT_SEND, NULL);
    a->local = *local;
    a->remote = *remote;
    a->marker = local->port != 500 && e->n_conns && local->port == e->conns[0].natt_port;
    memcpy(a->data, out, n);
    a->len = n;
    ike_count(e, NULL, IKE_CTR_INIT_OUT_RESP);
}

/* a handshake refused before any state: counted as started and failed
 * (conn -1: no connection matched) */
static void refused(struct ike_engine *e, int conn, unsigned why)
{
    ike_count_conn(e, conn, IKE_CTR_HS_STARTED);
    ike_count_conn(e, conn, why);
}

static int responder_answer(struct ike_engine *e, struct ikesa *sa, const struct ike_proposal *chosen,
                            uint64_t now)
{
    struct init_out *o = ike_scratch_get(e, sizeof *o, true);
    struct ike_prop_cfg one;
    struct ike_hdr h;
    if (!o)
        return KITE_E_NOMEM;
    ike_prop_from_algs(&sa->algs, true, &one);
    int rc = add_sa(o, &one, 1, chosen->num);
    if (!rc)
        rc = add_ke_nonce(o, sa, sa->nr, sa->nr_len);
    if (!rc)
        rc = add_natd(e, o, sa);
    if (!rc && ike_pk_certreq(e, &e->conns[sa->conn], &o->pld[o->n], &o->certreq))
        o->n++;
    if (!rc) {
        ike_hdr_for(sa, IKEV2_EXCH_IKE_SA_INIT, true, 0, &h);
        rc = encode_kept(&h, o, &sa->init_resp, &sa->init_resp_len);
    }
    if (!rc) {
        log_out(e, o->pld, o->n, "IKE_SA_INIT response", 0);
        sa->last_rx_msgid = 0;
        ike_send_response(e, sa, sa->init_resp, sa->init_resp_len);
        sa->expire_at = now + e->lim.half_open_timeout_ms;
    }
    free(o->certreq);
    ike_scratch_put(e, o);
    return rc;
}

/* keys from the peer's KE value and both nonces (2.14) */
static int agree(struct ike_engine *e, struct ikesa *sa, const struct ike_ke *ke)
{
    struct secret gir = { 0 };
    int rc = ke->group == sa->ke_group ? ke_shared(&sa->ke, ke->data, &gir) : KITE_E_INVALID_KE;
    if (!rc)
        rc = ike_keys_derive(e, sa, secret_span(&gir));
    secret_free(&gir);
    return rc;
}

static void log_received(struct ike_engine *e, const struct ike_msg *m, const struct ike_addr *remote)
{
    char list[256], a[64];
    if (!ike_log_wants(e, LOG_ENC, 1) || !ike_unauth_log_take(e))
        return;
    ike_payload_list(m->chain.pld, m->chain.n, list, sizeof list);
    ike_log(e, LOG_ENC, 1, "parsed IKE_SA_INIT %s 0 [%s] from %s", ike_hdr_is_response(&m->hdr) ? "response" : "request",
            list, ike_addr_str(remote, a, sizeof a));
}

/* what the peer offered and what we have, as charon logs them, so that a
 * NO_PROPOSAL_CHOSEN is explained by the responder's log (rate-limited as
 * every line about unauthenticated packets) */
static void log_offers(struct ike_engine *e, const struct ike_conn_cfg *cfg, const struct ike_sa *offer)
{
    char got[512], have[512];
    if (!ike_unauth_log_take(e))
        return;
    ike_prop_offer_str(offer, got, sizeof got);
    ike_prop_cfg_str(cfg->ike, cfg->n_ike, true, have, sizeof have);
    ike_log(e, LOG_CFG, 1, "received proposals: %s", got);
    ike_log(e, LOG_CFG, 1, "configured proposals: %s", have);
}

int ike_sa_init_request(struct ike_engine *e, const uint8_t *p, size_t n, const struct ike_msg *m,
                        const struct ike_addr *local, const struct ike_addr *remote, uint64_t now)
{
    log_received(e, m, remote);
    const struct ike_pld *sap = ike_chain_find(&m->chain, IKEV2_PLD_SA, 0);
    const struct ike_pld *kep = ike_chain_find(&m->chain, IKEV2_PLD_KE, 0);
    const struct ike_pld *nop = ike_chain_find(&m->chain, IKEV2_PLD_NONCE, 0);
    struct init_pick pick = { 0 };
    select_init(e, local, remote, &sap->u.sa, kep->u.ke.group, &pick);
    int c = pick.conn;
    char a[64];
    if (c < 0) {
        ike_log_unauth(e, LOG_CFG, 1, "no connection configured for %s, sending NO_PROPOSAL_CHOSEN",
                       ike_addr_str(remote, a, sizeof a));
        refused(e, -1, IKE_CTR_HS_FAIL_NO_PROPOSAL);
        if (ike_answer_allowed(e, remote))
            ike_send_stateless(e, m, local, remote, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
        return KITE_E_NO_PROPOSAL;
    }
    const struct ike_conn_cfg *cfg = &e->conns[c];
    struct ike_algs algs = pick.algs;
    const struct ike_proposal *chosen = pick.chosen;
    uint16_t want = pick.want;
    int rc = pick.rc;
    if (rc == KITE_E_INVALID_KE) {
        uint8_t g[2] = { (uint8_t)(want >> 8), (uint8_t)want };
        ike_log_unauth(e, LOG_IKE, 1, "peer used the wrong key exchange group %u, requesting %u (INVALID_KE_PAYLOAD)",
                       kep->u.ke.group, want);
        if (ike_answer_allowed(e, remote))
            ike_send_stateless(e, m, local, remote, IKEV2_N_INVALID_KE_PAYLOAD, g, 2);
        return rc;
    }
    if (rc) {
        ike_log_unauth(e, LOG_CFG, 1, "received proposals unacceptable for %s, sending NO_PROPOSAL_CHOSEN", cfg->name);
        log_offers(e, cfg, &sap->u.sa);
        refused(e, c, IKE_CTR_HS_FAIL_NO_PROPOSAL);
        if (ike_answer_allowed(e, remote))
            ike_send_stateless(e, m, local, remote, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
        return rc;
    }
    /* the peer's KE value and nonce are checked before any state or key
     * pair of ours is spent on them (a bad one costs a parse, no more) */
    rc = ke_check_public(algs.ke, kep->u.ke.data);
    if (!rc && (!ike_nonce_ok(nop->u.nonce.data) || n > IKE_MSG_MAX))
        rc = KITE_E_MALFORMED;
    if (rc) {
        ike_log_unauth(e, LOG_IKE, 1, "IKE_SA_INIT from %s refused: %s", ike_addr_str(remote, a, sizeof a),
                       kite_strerror(rc));
        refused(e, c, IKE_CTR_HS_FAIL_OTHER);
        if (ike_answer_allowed(e, remote))
            ike_send_stateless(e, m, local, remote, IKEV2_N_INVALID_SYNTAX, NULL, 0);
        return rc;
    }
    struct ikesa *sa = ike_sa_new(e, c, false);
    if (!sa)
        return KITE_E_NOMEM;
    ike_hs_start(e, sa);
    for (int i = 0; i < 8; i++)
        sa->spi_i[i] = (uint8_t)(m->hdr.spi_i >> (56 - 8 * i));
    sa->local = *local;
    sa->remote = *remote;
    ike_pk_note_init(sa, &m->chain);
    ike_nat_start(e, sa);
    sa->algs = algs;
    sa->ke_group = algs.ke;
    if (!ike_nonce_ok(nop->u.nonce.data)) /* 16..256 bytes (3.9), checked by the payload decoder already */
        rc = KITE_E_UNSUPPORTED;
    if (!rc)
        rc = ike_nonce_keep(e, &sa->ni, &sa->ni_len, nop->u.nonce.data.p, nop->u.nonce.data.n);
    if (!rc)
        rc = ike_nonce_keep(e, &sa->nr, &sa->nr_len, NULL, ike_nonce_len(e));
    if (!rc)
        rc = ike_msg_keep(&sa->init_req, &sa->init_req_len, p, n);
    if (!rc)
        rc = ke_generate(&sa->ke, sa->ke_group);
    char ps[160];
    ike_prop_str(&algs, true, ps, sizeof ps);
    ike_log(e, LOG_CFG, 1, "selected proposal: IKE:%s", ps);
    ike_nat_check(e, sa, &m->chain);
    ike_frag_check(e, sa, &m->chain);
    if (!rc)
        rc = agree(e, sa, &kep->u.ke);
    if (!rc)
        rc = responder_answer(e, sa, chosen, now);
    if (rc)
        ike_sa_down(e, sa, "IKE_SA_INIT failed: %s", kite_strerror(rc));
    else /* in the answer and used: a retransmitted request gets the kept
          * response (engine.c on_init), so the key pair is never needed
          * again (about 360 bytes of OpenSSL per SA, issue 13) */
        ke_free(&sa->ke);
    return rc;
}

/* ---- initiator: the response ---- */

static bool have_group(const struct ike_conn_cfg *c, uint16_t g)
{
    for (unsigned i = 0; i < c->n_ike; i++)
        for (unsigned k = 0; k < c->ike[i].n; k++)
            if (c->ike[i].xf[k].type == XF_KE && c->ike[i].xf[k].id == g)
                return true;
    return false;
}

static int retry_group(struct ike_engine *e, struct ikesa *sa, const struct ike_notify *n, uint64_t now)
{
    uint16_t g = n->data.n == 2 ? (uint16_t)(n->data.p[0] << 8 | n->data.p[1]) : 0;
    if (!have_group(&e->conns[sa->conn], g) || g == sa->ke_group) {
        sa->fail = IKE_CTR_HS_FAIL_NO_PROPOSAL;
        ike_sa_down(e, sa, "peer asked for key exchange group %u, which is not configured", g);
        return KITE_E_INVALID_KE;
    }
    ike_log(e, LOG_IKE, 1, "peer didn't accept DH group %u, it requested %u", sa->ke_group, g);
    sa->ke_group = g;
    return ike_sa_init_start(e, sa, now);
}

/* N(COOKIE) alone (2.6): the same request again, the cookie first, with
 * the same SPI, nonce and KE; a responder that keeps asking is given up on */
static int retry_cookie(struct ike_engine *e, struct ikesa *sa, const struct ike_notify *n, uint64_t now)
{
    if (n->data.n < 1 || n->data.n > sizeof sa->cookie) {
        ike_log_unauth(e, LOG_IKE, 1, "ignoring a COOKIE of %zu bytes (1..64, 3.10.1)", n->data.n);
        return KITE_E_MALFORMED;
    }
    if (++sa->cookie_tries > IKE_COOKIE_TRIES) {
        ike_sa_down(e, sa, "the peer asked for a COOKIE %u times", sa->cookie_tries - 1);
        return KITE_E_STATE;
    }
    memcpy(sa->cookie, n->data.p, n->data.n);
    sa->cookie_len = (uint8_t)n->data.n;
    ike_log(e, LOG_IKE, 1, "received %zu cookie bytes, sending IKE_SA_INIT again with the COOKIE", n->data.n);
    return send_init_request(e, sa, now);
}

static int error_notify(struct ike_engine *e, struct ikesa *sa, const struct ike_msg *m, uint64_t now)
{
    const struct ike_notify *ck = ike_chain_notify(&m->chain, IKEV2_N_COOKIE);
    if (ck && !ike_chain_find(&m->chain, IKEV2_PLD_SA, 0))
        return retry_cookie(e, sa, ck, now);
    for (unsigned i = 0; i < m->chain.n; i++) {
        const struct ike_pld *p = &m->chain.pld[i];
        if (p->type != IKEV2_PLD_NOTIFY || p->u.notify.type >= IKEV2_N_STATUS_FIRST)
            continue;
        if (p->u.notify.type == IKEV2_N_INVALID_KE_PAYLOAD)
            return retry_group(e, sa, &p->u.notify, now);
        const char *name = ike_notify_name(p->u.notify.type);
        if (p->u.notify.type == IKEV2_N_NO_PROPOSAL_CHOSEN)
            sa->fail = IKE_CTR_HS_FAIL_NO_PROPOSAL;
        ike_sa_down(e, sa, "received %s notify error in IKE_SA_INIT response",
                    name ? name : "an unknown");
        return KITE_E_NO_PROPOSAL;
    }
    return 1; /* no error notify */
}

int ike_sa_init_response(struct ike_engine *e, struct ikesa *sa, const uint8_t *p, size_t n,
                         const struct ike_msg *m, uint64_t now)
{
    log_received(e, m, &sa->remote);
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    const struct ike_pld *sap = ike_chain_find(&m->chain, IKEV2_PLD_SA, 0);
    const struct ike_pld *kep = ike_chain_find(&m->chain, IKEV2_PLD_KE, 0);
    const struct ike_pld *nop = ike_chain_find(&m->chain, IKEV2_PLD_NONCE, 0);
    /* the rules allow a notify-only answer; anything else needs all three */
    bool full = sap && kep && nop && sap->u.sa.n_prop == 1;
    if (!full && !ike_chain_find(&m->chain, IKEV2_PLD_NOTIFY, 0)) {
        ike_log_unauth(e, LOG_ENC, 1, "IKE_SA_INIT response without SA, KE or nonce: ignored");
        return KITE_E_MISSING;
    }
    /* unauthenticated: an answer we cannot use leaves the request outstanding
     * (retransmitted), so a forged one cannot end the attempt */
    int rc = error_notify(e, sa, m, now);
    if (rc <= 0)
        return rc;
    if (!full) {
        ike_log_unauth(e, LOG_ENC, 1, "IKE_SA_INIT response with neither an error nor SA, KE and nonce: ignored");
        return KITE_E_MISSING;
    }
    sa->req_len = 0;
    rc = ike_prop_accept(c->ike, c->n_ike, &sap->u.sa.prop[0], IKEV2_PROTO_IKE, &sa->algs);
    if (rc || sa->algs.ke != sa->ke_group || !ike_nonce_ok(nop->u.nonce.data) || n > IKE_MSG_MAX) {
        sa->fail = IKE_CTR_HS_FAIL_NO_PROPOSAL;
        ike_sa_down(e, sa, "IKE_SA_INIT response has a proposal we did not offer");
        return KITE_E_NO_PROPOSAL;
    }
    for (int i = 0; i < 8; i++)
        sa->spi_r[i] = (uint8_t)(m->hdr.spi_r >> (56 - 8 * i));
    if (ike_nonce_keep(e, &sa->nr, &sa->nr_len, nop->u.nonce.data.p, nop->u.nonce.data.n) ||
        ike_msg_keep(&sa->init_resp, &sa->init_resp_len, p, n)) {
        ike_sa_down(e, sa, "out of memory for the IKE_SA_INIT response");
        return KITE_E_NOMEM;
    }
    ike_pk_note_init(sa, &m->chain);
    char ps[160];
    ike_prop_str(&sa->algs, true, ps, sizeof ps);
    ike_log(e, LOG_CFG, 1, "selected proposal: IKE:%s", ps);
    ike_nat_check(e, sa, &m->chain);
    ike_frag_check(e, sa, &m->chain);
    rc = agree(e, sa, &kep->u.ke);
    if (rc) {
        ike_sa_down(e, sa, "key exchange failed: %s", kite_strerror(rc));
        return rc;
    }
    /* used: IKE_AUTH follows (the SA leaves IKE_S_INIT_SENT, so no second
     * response is taken; had IKE_AUTH no memory to start, one would fail in
     * ke_shared and end the SA), and a new attempt (INVALID_KE_PAYLOAD, a
     * restart) makes a new key pair in ike_sa_init_start */
    ke_free(&sa->ke);
    if (sa->nat_local || sa->nat_remote || sa->nat_fake) { /* float to the NAT-T port (2.23) */
        sa->natt = true;
        sa->local.port = c->natt_port;
        sa->remote.port = c->remote.port == 500 || !c->remote.port ? 4500 : c->remote.port;
    }
    return ike_auth_start(e, sa, now);
}

int ike_keys_derive(struct ike_engine *e, struct ikesa *sa, struct span gir)
{
    struct secret skeyseed = { 0 };
    int rc = prf_init(&sa->prf, sa->algs.prf->id);
    if (!rc)
        rc = keys_skeyseed(&sa->prf, span_of(sa->ni, sa->ni_len), span_of(sa->nr, sa->nr_len), gir, &skeyseed);
    if (!rc)
        rc = keys_ike_sa(&sa->prf, secret_span(&skeyseed), span_of(sa->ni, sa->ni_len),
                         span_of(sa->nr, sa->nr_len), span_of(sa->spi_i, 8), span_of(sa->spi_r, 8),
                         sa->algs.encr, sa->algs.integ, &sa->keys);
    secret_free(&skeyseed);
    if (!rc)
        rc = ike_keys_from_skeyseed(sa, span_of(NULL, 0));
    if (!rc)
        ike_keylog_push(e, sa); /* before IKE_AUTH: a capture of it can be decrypted */
    return rc;
}

int ike_keys_from_skeyseed(struct ikesa *sa, struct span skeyseed)
{
    int rc = 0;
    if (skeyseed.n) { /* a rekeyed IKE SA: its own PRF, keys from the given SKEYSEED */
        rc = prf_init(&sa->prf, sa->algs.prf->id);
        if (!rc)
            rc = keys_ike_sa(&sa->prf, skeyseed, span_of(sa->ni, sa->ni_len), span_of(sa->nr, sa->nr_len),
                             span_of(sa->spi_i, 8), span_of(sa->spi_r, 8), sa->algs.encr, sa->algs.integ,
                             &sa->keys);
        if (rc)
            return rc;
    }
    const struct ike_keys *k = &sa->keys;
    rc = sk_keys_init(&sa->sk_out, sa->algs.encr, sa->algs.integ,
                      secret_span(sa->initiator ? &k->sk_ei : &k->sk_er),
                      secret_span(sa->initiator ? &k->sk_ai : &k->sk_ar), true);
    if (!rc) {
        rc = sk_keys_init(&sa->sk_in, sa->algs.encr, sa->algs.integ,
                          secret_span(sa->initiator ? &k->sk_er : &k->sk_ei),
                          secret_span(sa->initiator ? &k->sk_ar : &k->sk_ai), false);
        if (rc)
            sk_keys_free(&sa->sk_out);
    }
    sa->keys_ready = rc == 0;
    return rc;
}
