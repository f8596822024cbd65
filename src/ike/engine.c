/* engine: SPI dispatch, message IDs with a window of one, retransmission of
 * requests and the response cache (RFC 7296 2.1-2.3), the action queue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include "base/wr.h"
#include "ike/ike_int.h"
#include "wire/rules.h"

struct ike_engine *ike_engine_new(const struct ike_env *env)
{
    struct ike_engine *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->q = calloc(IKE_ACTIONS, sizeof *e->q);
    if (!e->q) {
        free(e);
        return NULL;
    }
    e->env = *env;
    e->next_id = 1;
    return e;
}

void ike_engine_free(struct ike_engine *e)
{
    if (!e)
        return;
    for (int i = 0; i < IKE_MAX_SAS; i++)
        ike_sa_free(&e->sas[i]);
    for (int i = 0; i < e->n_conns; i++)
        secret_free(&e->psk[i]);
    mem_wipe(e->conns, sizeof e->conns);
    mem_wipe(e->q, IKE_ACTIONS * sizeof *e->q);
    free(e->q);
    free(e);
}

static void defaults(struct ike_conn_cfg *c)
{
    if (!c->natt_port)
        c->natt_port = 4500;
    if (!c->retransmit_timeout_ms)
        c->retransmit_timeout_ms = 4000;
    if (!c->retransmit_base_milli)
        c->retransmit_base_milli = 1800;
    if (!c->retransmit_tries)
        c->retransmit_tries = 5;
    if (!c->half_open_timeout_ms)
        c->half_open_timeout_ms = 30000;
}

int ike_engine_add_conn(struct ike_engine *e, const struct ike_conn_cfg *c)
{
    if (e->n_conns >= IKE_MAX_CONNS || !c->n_ike || !c->n_children || c->psk_len > sizeof c->psk)
        return KITE_E_INVALID_ARG;
    struct ike_conn_cfg *dst = &e->conns[e->n_conns];
    *dst = *c;
    defaults(dst);
    int rc = secret_from(&e->psk[e->n_conns], c->psk, c->psk_len);
    mem_wipe(dst->psk, sizeof dst->psk); /* the owned secret is the only copy kept */
    if (rc)
        return rc;
    e->n_conns++;
    return 0;
}

void ike_log(struct ike_engine *e, int subsys, int level, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    if (!e->env.log)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    e->env.log(e->env.ctx, subsys, level, buf);
}

const char *ike_addr_str(const struct ike_addr *a, char *buf, size_t cap)
{
    if (a->family == 4)
        snprintf(buf, cap, "%u.%u.%u.%u[%u]", a->ip[0], a->ip[1], a->ip[2], a->ip[3], a->port);
    else if (a->family == 6) {
        size_t o = 0;
        for (int i = 0; i < 16 && o + 6 < cap; i += 2)
            o += (size_t)snprintf(buf + o, cap - o, "%s%x", i ? ":" : "", a->ip[i] << 8 | a->ip[i + 1]);
        snprintf(buf + o, cap - o, "[%u]", a->port);
    } else
        snprintf(buf, cap, "%%any[%u]", a->port);
    return buf;
}

const char *ike_sa_name(const struct ike_engine *e, const struct ikesa *sa, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s[%u]", e->conns[sa->conn].name, sa->id);
    return buf;
}

/* ---- actions ---- */

struct ike_action *ike_push(struct ike_engine *e, enum ike_action_type t, const struct ikesa *sa)
{
    if (e->q_len == IKE_ACTIONS) { /* the caller stopped draining: drop the oldest */
        mem_wipe(&e->q[e->q_head], sizeof e->q[0]);
        e->q_head = (e->q_head + 1) % IKE_ACTIONS;
        e->q_len--;
    }
    struct ike_action *a = &e->q[(e->q_head + e->q_len++) % IKE_ACTIONS];
    memset(a, 0, sizeof *a);
    a->type = t;
    if (sa) {
        a->ike_sa = sa->id;
        a->local = sa->local;
        a->remote = sa->remote;
        a->marker = sa->natt;
        snprintf(a->conn, sizeof a->conn, "%s", e->conns[sa->conn].name);
    }
    return a;
}

bool ike_next_action(struct ike_engine *e, struct ike_action *a)
{
    if (!e->q_len)
        return false;
    *a = e->q[e->q_head];
    mem_wipe(&e->q[e->q_head], sizeof e->q[0]);
    e->q_head = (e->q_head + 1) % IKE_ACTIONS;
    e->q_len--;
    return true;
}

void ike_action_wipe(struct ike_action *a)
{
    mem_wipe(a, sizeof *a);
}

void ike_send(struct ike_engine *e, struct ikesa *sa, const uint8_t *p, size_t n)
{
    struct ike_action *a = ike_push(e, IKE_ACT_SEND, sa);
    if (n > sizeof a->data)
        n = sizeof a->data;
    memcpy(a->data, p, n);
    a->len = n;
    if (sa)
        sa->last_tx_at = e->now; /* no NAT keepalive needed before last_tx_at + keepalive_ms */
}

static uint64_t retx_delay(const struct ike_conn_cfg *c, unsigned tries)
{
    double d = c->retransmit_timeout_ms;
    for (unsigned i = 0; i < tries; i++)
        d = d * c->retransmit_base_milli / 1000.0;
    return (uint64_t)d;
}

void ike_send_request(struct ike_engine *e, struct ikesa *sa, const uint8_t *p, size_t n, uint64_t now)
{
    if (n > sizeof sa->req)
        return;
    memcpy(sa->req, p, n);
    sa->req_len = n;
    sa->tries = 0;
    sa->retx_at = now + retx_delay(&e->conns[sa->conn], 0);
    ike_send(e, sa, p, n);
}

void ike_send_response(struct ike_engine *e, struct ikesa *sa, const uint8_t *p, size_t n)
{
    if (n <= sizeof sa->resp) {
        memcpy(sa->resp, p, n);
        sa->resp_len = n;
        sa->have_resp = true;
    }
    ike_send(e, sa, p, n);
}

/* ---- IKE SAs ---- */

struct ikesa *ike_sa_new(struct ike_engine *e, int conn, bool initiator)
{
    for (int i = 0; i < IKE_MAX_SAS; i++) {
        struct ikesa *sa = &e->sas[i];
        if (sa->state != IKE_S_FREE)
            continue;
        memset(sa, 0, sizeof *sa);
        sa->id = e->next_id++;
        sa->conn = conn;
        sa->initiator = initiator;
        sa->state = initiator ? IKE_S_INIT_SENT : IKE_S_INIT_DONE;
        e->env.random(e->env.ctx, initiator ? sa->spi_i : sa->spi_r, 8);
        e->stats.ike_sas++;
        return sa;
    }
    return NULL;
}

void ike_sa_free(struct ikesa *sa)
{
    if (sa->state == IKE_S_FREE)
        return;
    ke_free(&sa->ke);
    if (sa->rk.group)
        ke_free(&sa->rk.ke);
    if (sa->irk.active)
        ke_free(&sa->irk.ke);
    prf_free(&sa->prf);
    keys_ike_free(&sa->keys);
    if (sa->keys_ready) {
        sk_keys_free(&sa->sk_in);
        sk_keys_free(&sa->sk_out);
    }
    mem_wipe(sa, sizeof *sa);
    sa->state = IKE_S_FREE;
}

void ike_sa_down(struct ike_engine *e, struct ikesa *sa, const char *fmt, ...)
{
    struct ike_action *a = ike_push(e, IKE_ACT_IKE_DOWN, sa);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->reason, sizeof a->reason, fmt, ap);
    va_end(ap);
    char name[64];
    ike_log(e, LOG_IKE, 1, "IKE_SA %s down: %s", ike_sa_name(e, sa, name, sizeof name), a->reason);
    ike_sa_free(sa);
    e->stats.ike_sas--;
}

struct ikesa *ike_sa_by_id(struct ike_engine *e, uint32_t id)
{
    for (int i = 0; i < IKE_MAX_SAS; i++)
        if (e->sas[i].state != IKE_S_FREE && e->sas[i].id == id)
            return &e->sas[i];
    return NULL;
}

static int conn_find(const struct ike_engine *e, const char *name)
{
    for (int i = 0; i < e->n_conns; i++)
        if (strcmp(e->conns[i].name, name) == 0)
            return i;
    return -1;
}

static int initiate(struct ike_engine *e, int c, int ch, uint8_t more, bool restarting, uint64_t now)
{
    if (e->conns[c].remote.family == 0)
        return KITE_E_INVALID_ARG; /* cannot initiate to %any */
    struct ikesa *sa = ike_sa_new(e, c, true);
    if (!sa)
        return KITE_E_NOMEM;
    sa->child = ch;
    sa->want = (uint8_t)(more & ~(1u << ch)); /* the others follow with CREATE_CHILD_SA */
    sa->restarting = restarting;
    sa->local = e->conns[c].local;
    sa->remote = e->conns[c].remote;
    ike_nat_start(e, sa);
    int rc = ike_sa_init_start(e, sa, now);
    if (rc)
        ike_sa_down(e, sa, "cannot start IKE_SA_INIT: %s", kite_strerror(rc));
    return rc;
}

/* the IKE SA of connection c that further Child SAs go on */
static struct ikesa *sa_of_conn(struct ike_engine *e, int c)
{
    for (int i = 0; i < IKE_MAX_SAS; i++) {
        struct ikesa *sa = &e->sas[i];
        if (sa->state != IKE_S_FREE && sa->conn == c && !sa->replaced && (sa->initiator || sa->state == IKE_S_ESTABLISHED))
            return sa;
    }
    return NULL;
}

int ike_initiate(struct ike_engine *e, const char *conn, const char *child, uint64_t now)
{
    int c = conn_find(e, conn);
    e->now = now;
    if (c < 0)
        return KITE_E_NOT_FOUND;
    int ch = 0;
    for (int i = 0; child && i < e->conns[c].n_children; i++)
        if (strcmp(e->conns[c].child[i].name, child) == 0)
            ch = i;
    struct ikesa *sa = sa_of_conn(e, c);
    if (!sa)
        return initiate(e, c, ch, 0, false, now);
    bool have = sa->state != IKE_S_ESTABLISHED && sa->child == ch;
    for (int i = 0; i < IKE_SA_CHILDREN; i++)
        have = have || (sa->children[i].up && !sa->children[i].gone_at && sa->children[i].cfg == ch);
    if (!have) {
        char name[64];
        ike_log(e, LOG_IKE, 1, "CHILD_SA %s to be created on IKE_SA %s with CREATE_CHILD_SA", e->conns[c].child[ch].name,
                ike_sa_name(e, sa, name, sizeof name));
        sa->want |= (uint8_t)(1u << ch);
    }
    return 0;
}

/* the Child SA configurations an IKE SA has up or wants (dpd_action = restart brings them all back) */
static uint8_t children_of(const struct ikesa *sa)
{
    uint8_t m = (uint8_t)(sa->want | 1u << sa->child);
    for (int i = 0; i < IKE_SA_CHILDREN; i++)
        if (sa->children[i].up && !sa->children[i].gone_at)
            m |= (uint8_t)(1u << sa->children[i].cfg);
    return m;
}

/* ---- receiving ---- */

static struct ikesa *sa_by_spis(struct ike_engine *e, const struct ike_hdr *h)
{
    uint8_t spi_i[8], spi_r[8];
    for (int i = 0; i < 8; i++) {
        spi_i[i] = (uint8_t)(h->spi_i >> (56 - 8 * i));
        spi_r[i] = (uint8_t)(h->spi_r >> (56 - 8 * i));
    }
    for (int i = 0; i < IKE_MAX_SAS; i++) {
        struct ikesa *sa = &e->sas[i];
        if (sa->state == IKE_S_FREE || memcmp(sa->spi_i, spi_i, 8) != 0)
            continue;
        /* an IKE_SA_INIT response carries the responder's new SPI */
        if (sa->state == IKE_S_INIT_SENT || memcmp(sa->spi_r, spi_r, 8) == 0)
            return sa;
    }
    return NULL;
}

bool ike_addr_same_host(const struct ike_addr *a, const struct ike_addr *b)
{
    return a->family == b->family && memcmp(a->ip, b->ip, a->family == 6 ? 16 : 4) == 0;
}

bool ike_addr_eq(const struct ike_addr *a, const struct ike_addr *b)
{
    return ike_addr_same_host(a, b) && a->port == b->port;
}

/* a retransmitted IKE_SA_INIT request: same SPIi from the same peer (2.1) */
static struct ikesa *half_open_find(struct ike_engine *e, const struct ike_hdr *h,
                                     const struct ike_addr *remote)
{
    for (int i = 0; i < IKE_MAX_SAS; i++) {
        struct ikesa *sa = &e->sas[i];
        uint64_t spi = 0;
        for (int k = 0; k < 8; k++)
            spi = spi << 8 | sa->spi_i[k];
        if (sa->state != IKE_S_FREE && !sa->initiator && spi == h->spi_i && ike_addr_eq(&sa->remote, remote))
            return sa;
    }
    return NULL;
}

static void drop(struct ike_engine *e, const struct ike_addr *remote, const char *why, int err,
                 const struct diag *d)
{
    char a[64];
    e->stats.dropped++;
    ike_log(e, LOG_ENC, 1, "dropping message from %s: %s (%s%s%s)", ike_addr_str(remote, a, sizeof a), why,
            kite_strerror(err), d && d->field ? " at " : "", d && d->field ? d->field : "");
}

static int on_init(struct ike_engine *e, const uint8_t *p, size_t n, const struct ike_msg *m,
                   const struct ike_addr *local, const struct ike_addr *remote, uint64_t now)
{
    if (!ike_hdr_is_response(&m->hdr)) {
        struct ikesa *sa = half_open_find(e, &m->hdr, remote);
        if (sa && sa->have_resp) {
            e->stats.cached_replies++;
            ike_send(e, sa, sa->resp, sa->resp_len);
            return 0;
        }
        return ike_sa_init_request(e, p, n, m, local, remote, now);
    }
    struct ikesa *sa = sa_by_spis(e, &m->hdr);
    if (!sa || sa->state != IKE_S_INIT_SENT || m->hdr.msg_id != 0) {
        drop(e, remote, "unexpected IKE_SA_INIT response", KITE_E_STATE, NULL);
        return KITE_E_STATE;
    }
    if (!sa->local.family) { /* local_addrs = %any: the address the peer answered to (NAT-D, 2.23) */
        sa->local.family = local->family;
        memcpy(sa->local.ip, local->ip, sizeof sa->local.ip);
    }
    return ike_sa_init_response(e, sa, p, n, m, now);
}

static int on_request(struct ike_engine *e, struct ikesa *sa, const struct ike_msg *m,
                      const struct ike_chain *in, uint64_t now)
{
    sa->last_rx_msgid = m->hdr.msg_id;
    switch (m->hdr.exchange) {
    case IKEV2_EXCH_IKE_AUTH:
        if (sa->state != IKE_S_INIT_DONE)
            return KITE_E_STATE;
        return ike_auth_request(e, sa, in, now);
    case IKEV2_EXCH_INFORMATIONAL:
        if (sa->state != IKE_S_ESTABLISHED)
            return KITE_E_STATE;
        return ike_informational_request(e, sa, in, m->hdr.msg_id, now);
    case IKEV2_EXCH_CREATE_CHILD_SA:
        if (sa->state != IKE_S_ESTABLISHED)
            return KITE_E_STATE;
        return ike_create_child_request(e, sa, in, m->hdr.msg_id, now);
    default:
        return KITE_E_UNSUPPORTED;
    }
}

/* errors in a response to CREATE_CHILD_SA or INFORMATIONAL that leave the
 * IKE SA unusable: the request was malformed, or a critical payload was not
 * understood, so the two ends no longer agree (2.21.2, 3.10.1) */
static const struct ike_notify *fatal_notify(const struct ike_chain *in)
{
    static const uint16_t fatal[] = { IKEV2_N_INVALID_SYNTAX, IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD,
                                      IKEV2_N_AUTHENTICATION_FAILED };
    for (unsigned i = 0; i < sizeof fatal / sizeof fatal[0]; i++) {
        const struct ike_notify *n = ike_chain_notify(in, fatal[i]);
        if (n)
            return n;
    }
    return NULL;
}

/* TEMPORARY_FAILURE to every CREATE_CHILD_SA for minutes: the two ends are
 * out of sync and the IKE SA goes (2.25); 1 when it went */
static int tempfail_too_long(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, uint64_t now)
{
    if (!ike_chain_notify(in, IKEV2_N_TEMPORARY_FAILURE)) {
        sa->tempfail_since = 0;
        return 0;
    }
    if (!sa->tempfail_since)
        sa->tempfail_since = now;
    if (now - sa->tempfail_since < IKE_TEMPFAIL_MAX_MS)
        return 0;
    ike_send_delete(e, sa, now);
    ike_sa_down(e, sa, "TEMPORARY_FAILURE to every CREATE_CHILD_SA for %u s: out of sync, deleting the IKE_SA",
                (unsigned)(now - sa->tempfail_since) / 1000);
    return 1;
}

static int on_response(struct ike_engine *e, struct ikesa *sa, const struct ike_msg *m,
                       const struct ike_chain *in, uint64_t now)
{
    sa->req_len = 0; /* the outstanding request is answered: stop retransmitting */
    uint8_t pending = sa->pending_exch;
    sa->pending_exch = 0;
    if (m->hdr.exchange == IKEV2_EXCH_IKE_AUTH && sa->state == IKE_S_AUTH_SENT)
        return ike_auth_response(e, sa, in, now);
    const struct ike_notify *fatal = m->hdr.exchange != IKEV2_EXCH_IKE_AUTH ? fatal_notify(in) : NULL;
    if (fatal && sa->state == IKE_S_ESTABLISHED) {
        const char *nn = ike_notify_name(fatal->type);
        const char *xn = ike_exchange_name(m->hdr.exchange);
        bool replaced = sa->replaced;
        if (!replaced)
            ike_send_delete(e, sa, now);
        ike_sa_down(e, sa, "received %s in the %s response %u: the peer rejected our request, deleting the IKE_SA",
                    nn ? nn : "an error", xn ? xn : "", m->hdr.msg_id);
        return KITE_E_STATE;
    }
    if (m->hdr.exchange == IKEV2_EXCH_CREATE_CHILD_SA && pending == IKEV2_EXCH_CREATE_CHILD_SA) {
        if (tempfail_too_long(e, sa, in, now))
            return KITE_E_STATE;
        return sa->irk.active ? ike_rekey_response(e, sa, in, now) : ike_create_child_response(e, sa, in, now);
    }
    if (m->hdr.exchange == IKEV2_EXCH_INFORMATIONAL && sa->replaced) {
        ike_sa_down(e, sa, "rekeyed");
        return 0;
    }
    if (m->hdr.exchange == IKEV2_EXCH_INFORMATIONAL && sa->rk.del_spi)
        ike_child_rekey_deleted(e, sa, now);
    return 0;
}

/* is this message ID the one we expect?  Responses: our outstanding request;
 * requests: the next one, or the last one again (answered from the cache) */
static int protected_msg(struct ike_engine *e, struct ikesa *sa, const uint8_t *p, size_t n,
                         const struct ike_msg *m, const struct ike_addr *local,
                         const struct ike_addr *remote, uint64_t now)
{
    bool resp = ike_hdr_is_response(&m->hdr);
    if (resp && (!sa->req_len || m->hdr.msg_id != sa->next_msgid - 1)) {
        drop(e, remote, "response to no outstanding request", KITE_E_INVALID_MSGID, NULL);
        return KITE_E_INVALID_MSGID;
    }
    if (!resp && sa->have_resp && m->hdr.msg_id == sa->last_rx_msgid) {
        e->stats.cached_replies++;
        unsigned mark = e->q_len;
        ike_send(e, sa, sa->resp, sa->resp_len);
        ike_nat_reply_to(e, sa->id, mark, remote);
        return 0;
    }
    /* the first request: 0, or 1 at an IKE SA responder whose IKE_SA_INIT was 0;
     * a rekeyed IKE SA starts over at 0 (2.18) */
    uint32_t want = sa->have_resp ? sa->last_rx_msgid + 1 : (sa->initiator || sa->successor ? 0 : 1);
    if (!resp && m->hdr.msg_id != want) {
        drop(e, remote, "request with an unexpected message ID", KITE_E_INVALID_MSGID, NULL);
        return KITE_E_INVALID_MSGID;
    }
    static uint8_t plain[IKE_MSG_MAX];
    struct ike_chain *in = calloc(1, sizeof *in);
    struct diag d = { 0 };
    if (!in)
        return KITE_E_NOMEM;
    int rc = ike_open_sk(sa, p, n, m, plain, sizeof plain, in, &d);
    if (rc) {
        drop(e, remote, "cannot open the SK payload", rc, &d);
        free(in);
        return rc;
    }
    sa->last_rx_at = now;
    /* authenticated and new: the move to the NAT-T port, a changed NAT mapping (2.23) */
    ike_nat_update(e, sa, local, remote);
    char list[256];
    ike_payload_list(in->pld, in->n, list, sizeof list);
    ike_log(e, LOG_ENC, 1, "parsed %s %s %u [%s]", ike_exchange_name(m->hdr.exchange),
            resp ? "response" : "request", m->hdr.msg_id, list);
    unsigned mark = e->q_len;
    uint32_t id = sa->id;
    rc = resp ? on_response(e, sa, m, in, now) : on_request(e, sa, m, in, now);
    if (!resp)
        ike_nat_reply_to(e, id, mark, remote);
    free(in);
    return rc;
}

int ike_recv(struct ike_engine *e, const uint8_t *p, size_t n, const struct ike_addr *local,
             const struct ike_addr *remote, uint64_t now)
{
    struct ike_msg *m = calloc(1, sizeof *m);
    struct diag d = { 0 };
    e->now = now;
    if (!m)
        return KITE_E_NOMEM;
    int rc = ike_msg_decode(span_of(p, n), m, &d);
    if (!rc)
        rc = ike_rules_check_msg(m, &d);
    if (rc) {
        drop(e, remote, "malformed", rc, &d);
    } else if (m->hdr.exchange == IKEV2_EXCH_IKE_SA_INIT) {
        rc = on_init(e, p, n, m, local, remote, now);
    } else {
        struct ikesa *sa = sa_by_spis(e, &m->hdr);
        if (!sa || sa->state == IKE_S_INIT_SENT || !sa->keys_ready) {
            drop(e, remote, "no IKE SA for these SPIs", KITE_E_INVALID_SPI, NULL);
            rc = KITE_E_INVALID_SPI;
        } else {
            rc = protected_msg(e, sa, p, n, m, local, remote, now);
        }
    }
    free(m);
    return rc;
}

/* INFORMATIONAL request with Delete of the IKE SA (1.4.1); it is not waited
 * for: the SA is gone on our side */
void ike_send_delete(struct ike_engine *e, struct ikesa *sa, uint64_t now)
{
    struct ike_pld d;
    struct ike_hdr h;
    uint8_t out[IKE_MSG_MAX];
    size_t len;
    if (sa->state != IKE_S_ESTABLISHED)
        return;
    memset(&d, 0, sizeof d);
    d.type = IKEV2_PLD_DELETE;
    d.u.del.proto = IKEV2_PROTO_IKE;
    ike_hdr_for(sa, IKEV2_EXCH_INFORMATIONAL, false, sa->next_msgid, &h);
    if (ike_encode_sk(sa, &h, &d, 1, out, sizeof out, &len) == 0) {
        ike_log(e, LOG_ENC, 1, "generating INFORMATIONAL request %u [ D ]", sa->next_msgid);
        sa->next_msgid++;
        ike_send_request(e, sa, out, len, now);
    }
}

int ike_delete_all(struct ike_engine *e, uint64_t now)
{
    int sent = 0;
    e->now = now;
    for (int i = 0; i < IKE_MAX_SAS; i++) {
        struct ikesa *sa = &e->sas[i];
        if (sa->state == IKE_S_FREE)
            continue;
        sent += sa->state == IKE_S_ESTABLISHED;
        ike_send_delete(e, sa, now);
        ike_sa_down(e, sa, "deleted by us (shutdown)");
    }
    return sent;
}

/* ---- time ---- */

/* liveness check (2.4): an empty INFORMATIONAL request */
static void send_dpd(struct ike_engine *e, struct ikesa *sa, uint64_t now)
{
    struct ike_hdr h;
    uint8_t out[IKE_MSG_MAX];
    size_t len;
    ike_hdr_for(sa, IKEV2_EXCH_INFORMATIONAL, false, sa->next_msgid, &h);
    if (ike_encode_sk(sa, &h, NULL, 0, out, sizeof out, &len) == 0) {
        ike_log(e, LOG_IKE, 2, "sending DPD request");
        ike_log(e, LOG_ENC, 1, "generating INFORMATIONAL request %u [ ]", sa->next_msgid);
        sa->next_msgid++;
        sa->pending_exch = IKEV2_EXCH_INFORMATIONAL;
        ike_send_request(e, sa, out, len, now);
    }
    sa->last_rx_at = now; /* the next check after another dpd_delay */
}

static void tick_sa(struct ike_engine *e, struct ikesa *sa, uint64_t now)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    ike_child_reap(e, sa, now);
    ike_nat_tick(e, sa, now);
    if (sa->state == IKE_S_INIT_DONE && sa->expire_at && now >= sa->expire_at) {
        ike_sa_down(e, sa, "half-open IKE_SA timed out after %u ms without IKE_AUTH",
                    c->half_open_timeout_ms);
        return;
    }
    if (sa->state == IKE_S_ESTABLISHED && !sa->req_len && !sa->replaced &&
        (ike_rekey_due(e, sa, now) || ike_child_rekey_due(e, sa, now) || ike_child_hard_due(e, sa, now) ||
         ike_child_create_due(e, sa, now)))
        return;
    if (sa->state == IKE_S_ESTABLISHED && !sa->req_len && c->dpd_delay_ms && now >= sa->last_rx_at + c->dpd_delay_ms) {
        send_dpd(e, sa, now);
        return;
    }
    if (!sa->req_len || now < sa->retx_at)
        return;
    if (sa->tries >= c->retransmit_tries) {
        bool restart = c->dpd_restart && !sa->replaced && (sa->state == IKE_S_ESTABLISHED || sa->restarting);
        int conn = sa->conn, child = sa->child;
        uint8_t more = children_of(sa);
        ike_sa_down(e, sa, "giving up after %u retransmits: peer not responding", sa->tries);
        if (restart) {
            ike_log(e, LOG_IKE, 0, "dpd_action = restart: initiating '%s' again", c->name);
            initiate(e, conn, child, more, true, now);
        }
        return;
    }
    sa->tries++;
    e->stats.retransmits++;
    sa->retx_at = now + retx_delay(c, sa->tries);
    char name[64];
    ike_log(e, LOG_IKE, 1, "retransmit %u of request with message ID %u (%s)", sa->tries,
            sa->next_msgid - 1, ike_sa_name(e, sa, name, sizeof name));
    ike_send(e, sa, sa->req, sa->req_len);
}

void ike_tick(struct ike_engine *e, uint64_t now)
{
    e->now = now;
    for (int i = 0; i < IKE_MAX_SAS; i++)
        if (e->sas[i].state != IKE_S_FREE)
            tick_sa(e, &e->sas[i], now);
}

uint64_t ike_next_deadline(const struct ike_engine *e)
{
    uint64_t next = UINT64_MAX;
    for (int i = 0; i < IKE_MAX_SAS; i++) {
        const struct ikesa *sa = &e->sas[i];
        if (sa->state == IKE_S_FREE)
            continue;
        if (sa->req_len && sa->retx_at < next)
            next = sa->retx_at;
        if (sa->state == IKE_S_INIT_DONE && sa->expire_at && sa->expire_at < next)
            next = sa->expire_at;
        const struct ike_conn_cfg *cc = &e->conns[sa->conn];
        if (sa->state == IKE_S_ESTABLISHED && !sa->req_len && cc->dpd_delay_ms &&
            sa->last_rx_at + cc->dpd_delay_ms < next)
            next = sa->last_rx_at + cc->dpd_delay_ms;
        uint64_t ka = ike_nat_next(e, sa);
        if (ka < next)
            next = ka;
        uint64_t reap = ike_child_next_reap(sa);
        if (reap < next)
            next = reap;
        uint64_t hard = sa->state == IKE_S_ESTABLISHED && !sa->req_len ? ike_child_next_hard(sa) : UINT64_MAX;
        if (hard < next)
            next = hard;
        if (sa->state == IKE_S_ESTABLISHED && !sa->req_len && !sa->replaced && sa->ike_rekey_at &&
            sa->ike_rekey_at < next)
            next = sa->ike_rekey_at;
        if (sa->state == IKE_S_ESTABLISHED && !sa->req_len && !sa->replaced && sa->want && sa->want_at < next)
            next = sa->want_at;
        if (sa->state == IKE_S_ESTABLISHED && !sa->req_len && !sa->rk.active) /* a rekey waits for the request out */
            for (int c = 0; c < IKE_SA_CHILDREN; c++)
                if (sa->children[c].up && sa->children[c].rekey_at && !sa->children[c].rekeyed &&
                    sa->children[c].rekey_at < next)
                    next = sa->children[c].rekey_at;
    }
    return next;
}

int ike_child_expired(struct ike_engine *e, uint32_t spi_in, bool hard, uint64_t now)
{
    e->now = now;
    for (int i = 0; i < IKE_MAX_SAS; i++) {
        struct ikesa *sa = &e->sas[i];
        if (sa->state != IKE_S_ESTABLISHED || sa->replaced)
            continue;
        struct ike_child_st *c = ike_child_by_spi_in(sa, spi_in);
        if (!c || c->deleting)
            continue;
        const struct ike_child_cfg *ch = &e->conns[sa->conn].child[c->cfg];
        if (hard) {
            /* it carries no more traffic: rekeyed at once if it can be, deleted otherwise */
            ike_log(e, LOG_IKE, 1, "CHILD_SA %s{%u} reached its byte/packet hard limit", ch->name, sa->id);
            c->hard_at = now;
            if (!c->rekeyed && (!c->rekey_at || c->rekey_at > now))
                c->rekey_at = now;
        } else if (!c->rekeyed) {
            ike_log(e, LOG_IKE, 1, "CHILD_SA %s{%u} reached its byte/packet rekey limit", ch->name, sa->id);
            c->rekey_at = now;
        }
        return 0;
    }
    return KITE_E_NOT_FOUND;
}

void ike_engine_stats(const struct ike_engine *e, struct ike_stats *s)
{
    *s = e->stats;
}
