/* engine: SPI dispatch, message IDs with a window of one, retransmission of
 * requests and the response cache (RFC 7296 2.1-2.3), the action queue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include "base/wr.h"
#include "crypto/hash.h"
#include "ike/eap.h"
#include "ike/ike_int.h"
#include "wire/rules.h"

void ike_limits_default(struct ike_limits *l)
{
    memset(l, 0, sizeof *l);
    l->cookie_threshold = 30;
    l->block_threshold = 5;
    l->init_limit_half_open = 1000;
    l->half_open_timeout_ms = 30000;
    l->answer_rate = 20;
    l->answer_burst = 40;
    l->unauth_log_rate = 20;
    l->unauth_log_burst = 100;
    l->fragment_size = 1280;
    l->frag_max_count = 255;
    l->frag_max_bytes = 65535;
    l->frag_max_msgs = 2048;
    l->frag_max_mem = 64u << 20;
    l->frag_timeout_ms = 30000;
    l->max_child_sas = 1024;
    l->eap_tls_fragment_size = 1024;
    l->eap_tls_max_bytes = 65536;
}

/* the per-source table of answer buckets: 4096 keeps a random-source flood
 * from sharing buckets with a real initiator while bounding the memory */
enum { ANSWER_BUCKETS = 4096 };

/* the table is made on first use: an engine that never answers a stranger
 * (an initiator, a test) does not pay for it */
int ike_engine_set_limits(struct ike_engine *e, const struct ike_limits *l)
{
    rl_sketch_free(&e->answers);
    e->lim = *l;
    if (!e->lim.half_open_timeout_ms)
        e->lim.half_open_timeout_ms = 30000;
    if (!e->lim.fragment_size)
        e->lim.fragment_size = 1280;
    if (!e->lim.frag_timeout_ms)
        e->lim.frag_timeout_ms = 30000;
    if (!e->lim.max_child_sas)
        e->lim.max_child_sas = 1024;
    rl_init(&e->unauth_log, l->unauth_log_rate, l->unauth_log_burst);
    return 0;
}

struct ike_engine *ike_engine_new(const struct ike_env *env)
{
    struct ike_engine *e = calloc(1, sizeof *e);
    struct ike_limits l;
    if (!e)
        return NULL;
    e->env = *env;
    e->next_id = 1;
    ike_satab_init(e);
    e->q_cap = IKE_ACTIONS;
    e->q = calloc(e->q_cap, sizeof *e->q);
    ike_limits_default(&l);
    if (!e->q || ike_engine_set_limits(e, &l)) {
        free(e->q);
        free(e);
        return NULL;
    }
    return e;
}

void ike_engine_free(struct ike_engine *e)
{
    if (!e)
        return;
    for (unsigned i = 0; i < e->n_slots; i++) {
        if (e->sas[i])
            ike_sa_free(e->sas[i]);
        free(e->sas[i]);
    }
    free(e->sas);
    ike_satab_free(e);
    ike_cp_pools_free(e);
    for (unsigned i = 0; i < e->n_tombs; i++)
        free(e->tombs[i].resp);
    free(e->tombs);
    for (int i = 0; i < IKE_SCRATCH_N; i++)
        free(e->scratch[i].p);
    for (int i = 0; i < e->n_conns; i++) {
        secret_free(&e->psk[i]);
        ike_conn_cfg_free(&e->conns[i]);
    }
    if (e->conns)
        mem_wipe(e->conns, (size_t)e->cap_conns * sizeof *e->conns);
    free(e->conns);
    free(e->psk);
    free(e->retry);
    ike_connsel_free(e);
    ike_psks_free(e);
    mem_wipe(e->q, e->q_cap * sizeof *e->q);
    free(e->q);
    ike_cookies_free(&e->cookies);
    rl_sketch_free(&e->answers);
    ike_counters_free(e);
    if (e->creds)
        cred_store_unref(e->creds);
    free(e);
}

unsigned ike_sa_slots(const struct ike_engine *e)
{
    return e->n_slots;
}

/* IKE SAs freed during a call stay readable (zeroed) until the call ends;
 * the indexes catch up with what the call changed (satab.c) */
static void sa_gc(struct ike_engine *e)
{
    ike_satab_gc(e);
}

void ike_conn_defaults(struct ike_conn_cfg *c)
{
    if (!c->natt_port)
        c->natt_port = 4500;
    if (!c->retransmit_timeout_ms)
        c->retransmit_timeout_ms = 4000;
    if (!c->retransmit_base_milli)
        c->retransmit_base_milli = 1800;
    if (!c->retransmit_tries)
        c->retransmit_tries = 5;
    if (!c->keyingtries_set)
        c->keyingtries = 1;
}

int ike_engine_add_conn(struct ike_engine *e, const struct ike_conn_cfg *c)
{
    if (!c->n_ike || !c->n_children || !c->ike || !c->child || c->n_children > IKE_MAX_CHILD_CFGS ||
        c->psk_len > sizeof c->psk || !c->name[0])
        return KITE_E_INVALID_ARG;
    int i = ike_conn_slot(e);
    return i < 0 ? KITE_E_NOMEM : ike_conn_put(e, i, c);
}

void ike_engine_set_creds(struct ike_engine *e, struct cred_store *creds)
{
    struct cred_store *old = e->creds;
    e->creds = creds ? cred_store_ref(creds) : NULL;
    if (old)
        cred_store_unref(old);
}

int ike_engine_set_remote(struct ike_engine *e, const char *conn, const struct ike_addr *addr)
{
    for (int i = 0; i < e->n_conns; i++)
        if (ike_conn_live(e, i) && !strcmp(e->conns[i].name, conn)) {
            e->conns[i].remote.family = addr->family;
            memcpy(e->conns[i].remote.ip, addr->ip, 16);
            e->sel.dirty = true; /* indexed by address (connsel.c) */
            return 0;
        }
    return KITE_E_NOT_FOUND;
}

int ike_engine_set_psk(struct ike_engine *e, const char *conn, const uint8_t *psk, size_t len)
{
    struct secret fresh = { 0 };
    if (len > sizeof ((struct ike_conn_cfg *)0)->psk)
        return KITE_E_INVALID_ARG;
    for (int i = 0; i < e->n_conns; i++) {
        if (!ike_conn_live(e, i) || strcmp(e->conns[i].name, conn))
            continue;
        int rc = len ? secret_from(&fresh, psk, len) : 0;
        if (rc)
            return rc;
        secret_free(&e->psk[i]); /* SAs already authenticated keep their keys: the PSK is used only in AUTH */
        e->psk[i] = fresh;
        return 0;
    }
    return KITE_E_NOT_FOUND;
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

bool ike_unauth_log_take(struct ike_engine *e)
{
    if (!e->env.log)
        return false;
    if (!rl_take(&e->unauth_log, e->now)) {
        e->stats.logs_suppressed++;
        return false;
    }
    if (e->stats.logs_suppressed > e->suppressed_logged) {
        ike_log(e, LOG_NET, 0, "%llu log lines about unauthenticated packets suppressed (rate limit)",
                (unsigned long long)(e->stats.logs_suppressed - e->suppressed_logged));
        e->suppressed_logged = e->stats.logs_suppressed;
    }
    return true;
}

bool ike_answer_allowed(struct ike_engine *e, const struct ike_addr *to)
{
    if (!e->answers.n) {
        uint8_t k[16];
        e->env.random(e->env.ctx, k, sizeof k);
        if (rl_sketch_init(&e->answers, ANSWER_BUCKETS, e->lim.answer_rate, e->lim.answer_burst, k)) {
            e->stats.answers_limited++;
            return false; /* no memory for the table: no answer to a stranger */
        }
    }
    uint8_t key[17];
    key[0] = to->family;
    memcpy(key + 1, to->ip, 16);
    if (rl_sketch_take(&e->answers, key, sizeof key, e->now))
        return true;
    e->stats.answers_limited++;
    return false;
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

/* a full ring doubles: the actions are unwrapped into the new one in order
 * (DESIGN principle 10: an action is never dropped) */
static int q_grow(struct ike_engine *e)
{
    unsigned cap = e->q_cap * 2;
    struct ike_action *q = cap > e->q_cap ? calloc(cap, sizeof *q) : NULL;
    if (!q)
        return KITE_E_NOMEM;
    for (unsigned i = 0; i < e->q_len; i++)
        q[i] = e->q[(e->q_head + i) & (e->q_cap - 1)];
    mem_wipe(e->q, e->q_cap * sizeof *e->q);
    free(e->q);
    e->q = q;
    e->q_cap = cap;
    e->q_head = 0;
    return 0;
}

struct ike_action *ike_queued(struct ike_engine *e, unsigned i)
{
    return &e->q[(e->q_head + i) & (e->q_cap - 1)];
}

/* An action is mostly its datagram buffer (IKE_DGRAM_MAX), of which only
 * len bytes are ever used: zeroing, copying and wiping touch the fields
 * before it, data[0 .. len) and the fields after it, not the whole ~9 KB
 * (which was several times an action's cost).  Bytes of data past len are
 * zero or wiped: written only below len, and wiped with it. */
enum { ACT_HEAD = offsetof(struct ike_action, data), ACT_TAIL = offsetof(struct ike_action, ike_sa) };

static size_t act_data_len(const struct ike_action *a)
{
    return a->len < sizeof a->data ? a->len : sizeof a->data;
}

static void act_clear(struct ike_action *a)
{
    size_t n = act_data_len(a);
    mem_wipe(a->data, n);
    mem_wipe(a, ACT_HEAD);
    mem_wipe((uint8_t *)a + ACT_TAIL, sizeof *a - ACT_TAIL);
}

static void act_copy(struct ike_action *dst, const struct ike_action *src)
{
    memcpy(dst, src, ACT_HEAD);
    memcpy(dst->data, src->data, act_data_len(src));
    memcpy((uint8_t *)dst + ACT_TAIL, (const uint8_t *)src + ACT_TAIL, sizeof *dst - ACT_TAIL);
}

struct ike_action *ike_push(struct ike_engine *e, enum ike_action_type t, const struct ikesa *sa)
{
    static struct ike_action lost; /* only when memory ran out: written, never read */
    if (e->q_len == e->q_cap && q_grow(e)) {
        ike_log(e, LOG_IKE, 0, "out of memory for the action queue (%u actions): an action is lost", e->q_len);
        memset(&lost, 0, sizeof lost);
        return &lost;
    }
    struct ike_action *a = &e->q[(e->q_head + e->q_len++) & (e->q_cap - 1)];
    if (e->q_len > e->stats.actions_peak)
        e->stats.actions_peak = e->q_len;
    memset(a, 0, ACT_HEAD); /* data past len is zero already (act_clear) */
    memset((uint8_t *)a + ACT_TAIL, 0, sizeof *a - ACT_TAIL);
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
    act_copy(a, &e->q[e->q_head]); /* the keys and names are in the parts copied whole */
    act_clear(&e->q[e->q_head]);
    e->q_head = (e->q_head + 1) & (e->q_cap - 1);
    e->q_len--;
    return true;
}

void ike_action_wipe(struct ike_action *a)
{
    act_clear(a);
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

/* room for n bytes (at most IKE_DGRAM_MAX) in a message buffer of the SA */
static bool buf_fit(uint8_t **buf, size_t *cap, size_t n)
{
    if (n > IKE_DGRAM_MAX)
        return false;
    if (n <= *cap)
        return true;
    uint8_t *b = realloc(*buf, n);
    if (!b)
        return false;
    *buf = b;
    *cap = n;
    return true;
}

/* the outstanding request; in fragments, sa->req holds the first one */
static bool req_store(struct ike_engine *e, struct ikesa *sa, const uint8_t *p, size_t n, uint64_t now)
{
    ike_dgrams_clear(&sa->req_frags);
    if (!buf_fit(&sa->req, &sa->req_cap, n))
        return false;
    memcpy(sa->req, p, n);
    sa->req_len = n;
    sa->req_exch = n > 18 ? p[18] : 0; /* the header's exchange type (3.1) */
    sa->tries = 0;
    sa->retx_at = now + retx_delay(&e->conns[sa->conn], 0);
    return true;
}

void ike_send_request(struct ike_engine *e, struct ikesa *sa, const uint8_t *p, size_t n, uint64_t now)
{
    ike_count_msg(e, sa, p, n, false);
    if (req_store(e, sa, p, n, now))
        ike_send(e, sa, p, n);
}

/* a request in fragments (RFC 7383): sent, and resent, all together */
void ike_send_request_dgrams(struct ike_engine *e, struct ikesa *sa, struct ike_dgrams *d, uint64_t now)
{
    struct span first = ike_dgrams_first(d);
    ike_count_msg(e, sa, first.p, first.n, false);
    if (req_store(e, sa, first.p, first.n, now)) {
        sa->req_frags = *d;
        memset(d, 0, sizeof *d);
        ike_dgrams_send(e, sa, &sa->req_frags);
    }
    ike_dgrams_clear(d);
}

/* the current way to send the outstanding request again */
static void req_resend(struct ike_engine *e, struct ikesa *sa)
{
    if (sa->req_frags.n)
        ike_dgrams_send(e, sa, &sa->req_frags);
    else
        ike_send(e, sa, sa->req, sa->req_len);
}

/* the request is answered: its message ID becomes the last one (2.1); a
 * request that got no answer leaves it alone, so that its retransmission is
 * handled again rather than answered with an older response */
static bool resp_store(struct ikesa *sa, const uint8_t *p, size_t n)
{
    ike_dgrams_clear(&sa->resp_frags);
    if (!buf_fit(&sa->resp, &sa->resp_cap, n))
        return false;
    memcpy(sa->resp, p, n);
    sa->resp_len = n;
    sa->have_resp = true;
    sa->have_req_hash = false; /* set by the caller that has the request */
    sa->last_rx_msgid = n >= 24 ? (uint32_t)p[20] << 24 | (uint32_t)p[21] << 16 | (uint32_t)p[22] << 8 | p[23]
                                : sa->rx_msgid;
    return true;
}

void ike_send_response(struct ike_engine *e, struct ikesa *sa, const uint8_t *p, size_t n)
{
    ike_count_msg(e, sa, p, n, false);
    resp_store(sa, p, n);
    ike_send(e, sa, p, n);
}

/* a response in fragments (RFC 7383): cached whole, resent whole (2.6.1) */
void ike_send_response_dgrams(struct ike_engine *e, struct ikesa *sa, struct ike_dgrams *d)
{
    struct span first = ike_dgrams_first(d);
    ike_count_msg(e, sa, first.p, first.n, false);
    if (resp_store(sa, first.p, first.n)) {
        sa->resp_frags = *d;
        memset(d, 0, sizeof *d);
        ike_dgrams_send(e, sa, &sa->resp_frags);
    }
    ike_dgrams_clear(d);
}

/* ---- IKE SAs ---- */

/* a free slot, the table grown by half when there is none */
static struct ikesa **free_slot(struct ike_engine *e)
{
    unsigned f = ike_satab_free_slot(e);
    if (f < e->n_slots)
        return &e->sas[f];
    unsigned n = e->n_slots ? e->n_slots + e->n_slots / 2 : 16;
    struct ikesa **t = n > e->n_slots ? realloc(e->sas, n * sizeof *t) : NULL;
    if (!t)
        return NULL;
    memset(t + e->n_slots, 0, (n - e->n_slots) * sizeof *t);
    e->sas = t;
    struct ikesa **slot = &t[e->n_slots];
    unsigned first = e->n_slots;
    e->n_slots = n;
    for (unsigned i = n - 1; i > first; i--) /* the new ones, lowest first out */
        ike_satab_release_slot(e, i);
    return slot;
}

struct ike_peer_id *ike_peer_id_new(uint8_t type, const uint8_t *data, size_t len)
{
    if (len > IKE_ID_MAX)
        len = IKE_ID_MAX;
    struct ike_peer_id *p = malloc(sizeof *p + len);
    if (p) {
        p->type = type;
        p->len = (uint16_t)len;
        memcpy(p->data, data, len);
    }
    return p;
}

struct ikesa *ike_sa_new(struct ike_engine *e, int conn, bool initiator)
{
    struct ikesa **slot = free_slot(e);
    if (!slot)
        return NULL;
    if (!*slot && !(*slot = malloc(sizeof **slot))) {
        ike_satab_release_slot(e, (unsigned)(slot - e->sas));
        return NULL;
    }
    struct ikesa *sa = *slot;
    memset(sa, 0, sizeof *sa);
    sa->id = e->next_id++;
    sa->child_max = e->lim.max_child_sas;
    sa->conn = conn;
    sa->initiator = initiator;
    sa->state = initiator ? IKE_S_INIT_SENT : IKE_S_INIT_DONE;
    e->env.random(e->env.ctx, initiator ? sa->spi_i : sa->spi_r, 8);
    ike_satab_index_new(e, sa, (unsigned)(slot - e->sas));
    e->stats.ike_sas++;
    return sa;
}

void ike_sa_free(struct ikesa *sa)
{
    cred_store_unref(sa->creds);
    sa->creds = NULL;
    free(sa->req); /* message buffers: also of an SA that never left FREE */
    free(sa->resp);
    free(sa->spis);
    free(sa->init_req);
    free(sa->init_resp);
    free(sa->peer_id);
    free(sa->own_id);
    sa->own_id = NULL;
    ike_eap_end(sa);
    ike_sa_child_chunks_free(sa);
    free(sa->ni);
    free(sa->nr);
    free(sa->certreq);
    sa->ni = sa->nr = sa->certreq = NULL;
    sa->peer_id = NULL;
    sa->init_req = sa->init_resp = NULL;
    sa->spis = NULL;
    sa->n_spis = 0;
    sa->req = sa->resp = NULL;
    sa->req_cap = sa->resp_cap = 0;
    if (sa->state == IKE_S_FREE)
        return;
    ke_free(&sa->ke);
    ike_frag_sa_free(sa);
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

/* an initiation that failed before the IKE SA was established is tried
 * again after a back-off of 1, 2, 4 .. 60 s while keyingtries allows
 * (strongSwan's keyingtries; 0: forever); a restart (dpd_action) always */
static void keying_failed(struct ike_engine *e, const struct ikesa *sa)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    /* dpd_action = restart brings a tunnel back that was up: no end to it */
    bool limited = c->keyingtries && !sa->restarting;
    if (!sa->keying || sa->state == IKE_S_ESTABLISHED || e->stopping ||
        (limited && sa->keying_try >= c->keyingtries)) {
        if (sa->keying && sa->state != IKE_S_ESTABLISHED && !e->stopping)
            ike_log(e, LOG_IKE, 0, "giving up on '%s' after %u attempt%s (keyingtries %u)", c->name, sa->keying_try,
                    sa->keying_try == 1 ? "" : "s", c->keyingtries);
        return;
    }
    struct ike_retry *r = &e->retry[sa->conn];
    unsigned shift = sa->keying_try < 7 ? sa->keying_try - 1 : 6;
    uint64_t delay = 1000ull << shift;
    r->at = e->now + (delay > 60000 ? 60000 : delay);
    r->next_try = sa->keying_try + 1;
    r->child = sa->child;
    r->more = sa->keying_more;
    r->restarting = sa->restarting;
    char of[32] = "";
    if (limited)
        snprintf(of, sizeof of, " of %u", c->keyingtries);
    ike_log(e, LOG_IKE, 1, "establishing '%s' failed, attempt %u%s in %llu ms", c->name, sa->keying_try + 1, of,
            (unsigned long long)(r->at - e->now));
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
    ike_hs_end(e, sa, false);
    keying_failed(e, sa);
    ike_sa_release(e, sa);
    e->stats.ike_sas--;
}

static int conn_find(const struct ike_engine *e, const char *name)
{
    for (int i = 0; i < e->n_conns; i++)
        if (ike_conn_live(e, i) && strcmp(e->conns[i].name, name) == 0)
            return i;
    return -1;
}

/* local_addrs = %any: the address the host will send from, when the
 * daemon can tell (its port stays the configured one) */
static void source_known(struct ike_engine *e, struct ikesa *sa)
{
    struct ike_addr a;
    if (sa->local.family || !sa->remote.family || !e->env.source || e->env.source(e->env.ctx, &sa->remote, &a) ||
        a.family != sa->remote.family)
        return;
    sa->local.family = a.family;
    memcpy(sa->local.ip, a.ip, sizeof sa->local.ip);
}

static int initiate(struct ike_engine *e, int c, int ch, uint64_t more, bool restarting, uint32_t attempt,
                    uint64_t now)
{
    if (e->conns[c].remote.family == 0)
        return KITE_E_INVALID_ARG; /* cannot initiate to %any */
    e->retry[c].at = 0;
    return ike_initiate_sa(e, c, ch, more, &e->conns[c].local, &e->conns[c].remote, restarting, attempt, now, NULL);
}

int ike_initiate_sa(struct ike_engine *e, int c, int ch, uint64_t more, const struct ike_addr *local,
                    const struct ike_addr *remote, bool restarting, uint32_t attempt, uint64_t now,
                    struct ikesa **out)
{
    struct ikesa *sa = ike_sa_new(e, c, true);
    if (out)
        *out = NULL;
    if (!sa) {
        struct ikesa tmp = { .conn = c, .child = ch, .keying = attempt > 0, .keying_try = attempt,
                             .keying_more = more, .restarting = restarting };
        ike_log(e, LOG_IKE, 0, "cannot initiate '%s': out of memory", e->conns[c].name);
        keying_failed(e, &tmp);
        return KITE_E_NOMEM;
    }
    ike_hs_start(e, sa);
    sa->child = ch;
    sa->want = more & ~(1ull << ch); /* the others follow with CREATE_CHILD_SA */
    sa->restarting = restarting;
    sa->keying = attempt > 0;
    sa->keying_try = attempt;
    sa->keying_more = more | 1ull << ch;
    sa->local = *local;
    sa->remote = *remote;
    source_known(e, sa);
    ike_nat_start(e, sa);
    int rc = ike_sa_init_start(e, sa, now);
    if (rc)
        ike_sa_down(e, sa, "cannot start IKE_SA_INIT: %s", kite_strerror(rc));
    else if (out)
        *out = sa;
    return rc;
}

/* the IKE SA of connection c that further Child SAs go on */
static struct ikesa *sa_of_conn(struct ike_engine *e, int c)
{
    for (unsigned i = 0; i < e->n_slots; i++) {
        struct ikesa *sa = ike_sa_at(e, i);
        if (sa && sa->conn == c && !sa->replaced && (sa->initiator || sa->state == IKE_S_ESTABLISHED))
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
    for (int i = 0; child && i < (int)e->conns[c].n_children; i++)
        if (strcmp(e->conns[c].child[i].name, child) == 0)
            ch = i;
    struct ikesa *sa = sa_of_conn(e, c);
    if (!sa) {
        int rc = initiate(e, c, ch, 0, false, 1, now);
        sa_gc(e);
        return rc;
    }
    bool have = sa->state != IKE_S_ESTABLISHED && sa->child == ch;
    for (int i = 0; i < ike_child_slots(sa); i++)
        have = have || (ike_sa_child(sa, i)->up && !ike_sa_child(sa, i)->gone_at && ike_sa_child(sa, i)->cfg == ch);
    if (!have) {
        char name[64];
        ike_log(e, LOG_IKE, 1, "CHILD_SA %s to be created on IKE_SA %s with CREATE_CHILD_SA", e->conns[c].child[ch].name,
                ike_sa_name(e, sa, name, sizeof name));
        sa->want |= (1ull << ch);
        ike_sa_touch(e, sa);
        sa_gc(e);
    }
    return 0;
}

int ike_initiate_as(struct ike_engine *e, const char *conn, const struct ike_id_cfg *id, const struct ike_addr *local,
                    uint64_t now, uint32_t *ike_sa)
{
    int c = conn_find(e, conn);
    e->now = now;
    if (c < 0)
        return KITE_E_NOT_FOUND;
    if (e->conns[c].remote.family == 0)
        return KITE_E_INVALID_ARG; /* cannot initiate to %any */
    struct ike_peer_id *own = id ? ike_peer_id_new(id->type, id->data, id->len) : NULL;
    struct ikesa *sa = id && !own ? NULL : ike_sa_new(e, c, true);
    if (!sa) {
        free(own);
        return KITE_E_NOMEM;
    }
    sa->own_id = own;
    ike_hs_start(e, sa);
    sa->keying_more = 1; /* the first Child SA; keying stays off: no retry, the caller counts failures */
    sa->local = local ? *local : e->conns[c].local;
    sa->remote = e->conns[c].remote;
    *ike_sa = sa->id;
    ike_nat_start(e, sa);
    int rc = ike_sa_init_start(e, sa, now);
    if (rc)
        ike_sa_down(e, sa, "cannot start IKE_SA_INIT: %s", kite_strerror(rc));
    sa_gc(e);
    return rc;
}

/* the Child SA configurations an IKE SA has up or wants (dpd_action = restart brings them all back) */
static uint64_t children_of(const struct ikesa *sa)
{
    return ike_sa_children_of(sa);
}

uint64_t ike_sa_children_of(const struct ikesa *sa)
{
    uint64_t m = sa->want | 1ull << sa->child;
    for (int i = 0; i < ike_child_slots(sa); i++)
        if (ike_sa_child(sa, i)->up && !ike_sa_child(sa, i)->gone_at)
            m |= 1ull << ike_sa_child(sa, i)->cfg;
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
    for (struct ikesa *sa = ike_sa_by_spi_i(e, spi_i, NULL); sa; sa = ike_sa_by_spi_i(e, spi_i, sa)) {
        /* an IKE_SA_INIT response carries the responder's new SPI */
        if (sa->state == IKE_S_INIT_SENT || memcmp(sa->spi_r, spi_r, 8) == 0) {
            ike_sa_touch(e, sa);
            return sa;
        }
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

/* for an IKE_SA_INIT request: a half-open SA it retransmits (same SPIi from
 * the same peer, 2.1), the half-open SAs in all (counted as they come and
 * go) and those from its source address (the SAs of that host) */
struct half_open {
    struct ikesa *same;
    uint32_t total, from_src;
};

static void half_open_scan(struct ike_engine *e, const struct ike_hdr *h, const struct ike_addr *remote,
                           struct half_open *ho)
{
    memset(ho, 0, sizeof *ho);
    ho->total = e->tab.n_half_open;
    /* counted, not walked: one address may have 100,000 IKE SAs (a NAT, a load generator) */
    ho->from_src = ike_satab_half_open_from(e, remote);
    uint8_t spi_i[8];
    for (int k = 0; k < 8; k++)
        spi_i[k] = (uint8_t)(h->spi_i >> (56 - 8 * k));
    for (struct ikesa *sa = ike_sa_by_spi_i(e, spi_i, NULL); sa; sa = ike_sa_by_spi_i(e, spi_i, sa))
        if (!sa->initiator && sa->state == IKE_S_INIT_DONE && ike_addr_eq(&sa->remote, remote))
            ho->same = sa;
    e->stats.half_open = ho->total;
}

static void drop(struct ike_engine *e, const struct ike_addr *remote, const char *why, int err,
                 const struct diag *d)
{
    char a[64];
    e->stats.dropped++;
    ike_log_unauth(e, LOG_ENC, 1, "dropping message from %s: %s (%s%s%s)", ike_addr_str(remote, a, sizeof a), why,
                   kite_strerror(err), d && d->field ? " at " : "", d && d->field ? d->field : "");
}

/* the IKE_SA_INIT gate (2.6, RFC 8019): above cookie_threshold half-open
 * SAs a request needs a valid COOKIE, which costs one HMAC and no state;
 * then the per-source and global half-open limits.  0: go on */
static int init_gate(struct ike_engine *e, const struct ike_msg *m, const struct ike_addr *local,
                     const struct ike_addr *remote, const struct half_open *ho, uint64_t now)
{
    char a[64];
    if (ho->total >= e->lim.cookie_threshold) {
        const struct ike_pld *np = ike_chain_find(&m->chain, IKEV2_PLD_NONCE, 0);
        const struct ike_notify *ck = ike_chain_notify(&m->chain, IKEV2_N_COOKIE);
        struct span ni = np->u.nonce.data;
        if (ck && ike_cookie_check(e, ck->data, ni, remote, m->hdr.spi_i, now)) {
            e->stats.cookies_ok++;
        } else {
            uint8_t cookie[IKE_COOKIE_LEN];
            e->stats.cookies_bad += ck != NULL; /* ignored as if absent (2.6) */
            /* not logged one by one (a flood would only be noise): the status counts them */
            if (ike_answer_allowed(e, remote) && !ike_cookie_make(e, ni, remote, m->hdr.spi_i, now, cookie)) {
                ike_send_stateless(e, m, local, remote, IKEV2_N_COOKIE, cookie, sizeof cookie);
                e->stats.cookies_sent++;
            }
            return KITE_E_COOKIE;
        }
    }
    if (e->lim.block_threshold && ho->from_src >= e->lim.block_threshold) {
        e->stats.blocked++;
        ike_log_unauth(e, LOG_IKE, 1, "ignoring IKE_SA_INIT from %s: it has %u half-open IKE_SAs (block_threshold)",
                       ike_addr_str(remote, a, sizeof a), ho->from_src);
        return KITE_E_LIMIT;
    }
    if (e->lim.init_limit_half_open && ho->total >= e->lim.init_limit_half_open) {
        e->stats.limited++;
        ike_log_unauth(e, LOG_IKE, 1, "ignoring IKE_SA_INIT from %s: %u half-open IKE_SAs (init_limit_half_open)",
                       ike_addr_str(remote, a, sizeof a), ho->total);
        return KITE_E_LIMIT;
    }
    return 0;
}

static int on_init(struct ike_engine *e, const uint8_t *p, size_t n, const struct ike_msg *m,
                   const struct ike_addr *local, const struct ike_addr *remote, uint64_t now)
{
    if (!ike_hdr_is_response(&m->hdr)) {
        struct half_open ho;
        if (m->hdr.msg_id != 0 || m->hdr.spi_r != 0) { /* 3.1: both zero in the first message */
            drop(e, remote, "IKE_SA_INIT request with a responder SPI or message ID", KITE_E_MALFORMED, NULL);
            return KITE_E_MALFORMED;
        }
        half_open_scan(e, &m->hdr, remote, &ho);
        if (ho.same) { /* a retransmission: the same answer, at a bounded rate */
            if (ho.same->have_resp && ike_answer_allowed(e, remote)) {
                e->stats.cached_replies++;
                ike_send(e, ho.same, ho.same->resp, ho.same->resp_len);
            }
            return 0;
        }
        ike_count_msg(e, NULL, p, n, true); /* no connection known yet, as for charon */
        int rc = init_gate(e, m, local, remote, &ho, now);
        return rc ? rc : ike_sa_init_request(e, p, n, m, local, remote, now);
    }
    struct ikesa *sa = sa_by_spis(e, &m->hdr);
    if (!sa || sa->state != IKE_S_INIT_SENT || m->hdr.msg_id != 0) {
        drop(e, remote, "unexpected IKE_SA_INIT response", KITE_E_STATE, NULL);
        ike_count(e, sa, sa ? IKE_CTR_INVALID : IKE_CTR_INVALID_SPI);
        return KITE_E_STATE;
    }
    ike_count_msg(e, sa, p, n, true);
    if (!sa->local.family) { /* local_addrs = %any: the address the peer answered to (NAT-D, 2.23) */
        sa->nat_fake = true; /* our NATD_S_IP was random: the peer sees a NAT, we encapsulate too (nat.c) */
        sa->local.family = local->family;
        memcpy(sa->local.ip, local->ip, sizeof sa->local.ip);
    }
    return ike_sa_init_response(e, sa, p, n, m, now);
}

static int on_request(struct ike_engine *e, struct ikesa *sa, const struct ike_msg *m,
                      const struct ike_chain *in, uint64_t now)
{
    sa->rx_msgid = m->hdr.msg_id;
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
    free(sa->req);   /* and its bytes are not kept while the SA idles */
    sa->req = NULL;
    sa->req_cap = 0;
    ike_dgrams_clear(&sa->req_frags);
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
    if (m->hdr.exchange == IKEV2_EXCH_INFORMATIONAL && (sa->mobike_wait || sa->mobike_dpd))
        ike_mobike_response(e, sa, in);
    if (m->hdr.exchange == IKEV2_EXCH_INFORMATIONAL && sa->replaced) {
        ike_sa_down(e, sa, sa->reauth_by ? "reauthenticated" : "rekeyed"); /* lifecycle.c, exch_ike_rekey.c */
        return 0;
    }
    if (m->hdr.exchange == IKEV2_EXCH_INFORMATIONAL && sa->rk.del_spi)
        ike_child_rekey_deleted(e, sa, now);
    return 0;
}

/* a retransmitted request gets the cached response again (2.1), but only
 * when it is the request that response answered, byte for byte, and at a
 * bounded rate: a replayed request from a forged address must not make us
 * a reflector */
static int resend_cached(struct ike_engine *e, struct ikesa *sa, const uint8_t *p, size_t n,
                         const struct ike_msg *m, const struct ike_addr *remote)
{
    uint8_t h[HASH_SHA1_LEN];
    struct span part = span_of(p, n);
    /* of a request that came in fragments, fragment 1 alone stands for the
     * whole (RFC 7383 2.6.1): it is compared, the others are ignored */
    if (ike_frag_num(m) > 1)
        return 0;
    if (sa->have_req_hash && (hash_sha1(&part, 1, h) || memcmp(h, sa->resp_req_hash, sizeof h) != 0)) {
        drop(e, remote, "request with the last message ID but other content", KITE_E_INVALID_MSGID, NULL);
        return KITE_E_INVALID_MSGID;
    }
    if (!ike_answer_allowed(e, remote))
        return KITE_E_LIMIT;
    e->stats.cached_replies++;
    unsigned mark = e->q_len;
    if (sa->resp_frags.n)
        ike_dgrams_send(e, sa, &sa->resp_frags); /* all fragments again (2.6.1) */
    else
        ike_send(e, sa, sa->resp, sa->resp_len);
    ike_nat_reply_to(e, sa->id, mark, remote);
    return 0;
}

/* the response just sent answers this request: remember its hash */
static void note_answered(struct ike_engine *e, uint32_t id, uint32_t msgid, const uint8_t *p, size_t n)
{
    struct ikesa *sa = ike_sa_by_id(e, id);
    struct span part = span_of(p, n);
    if (sa && sa->have_resp && sa->last_rx_msgid == msgid && !sa->have_req_hash)
        sa->have_req_hash = hash_sha1(&part, 1, sa->resp_req_hash) == 0;
}

void ike_tomb_add(struct ike_engine *e, const struct ikesa *sa)
{
    if (!sa->have_resp || !e->cur_req || sa->resp_frags.n)
        return; /* a response in fragments is not kept: only a lost answer is at stake */
    if (e->n_tombs == e->tombs_cap) {
        unsigned cap = e->tombs_cap ? 2 * e->tombs_cap : 8;
        struct ike_tomb *t = realloc(e->tombs, cap * sizeof *t);
        if (!t)
            return; /* only a lost answer is at stake */
        e->tombs = t;
        e->tombs_cap = cap;
    }
    struct ike_tomb *t = &e->tombs[e->n_tombs];
    struct span req = span_of(e->cur_req, e->cur_req_len);
    if (!(t->resp = malloc(sa->resp_len)) || hash_sha1(&req, 1, t->req_hash)) {
        free(t->resp);
        return;
    }
    memcpy(t->resp, sa->resp, sa->resp_len);
    t->len = sa->resp_len;
    memcpy(t->spi_i, sa->spi_i, 8);
    memcpy(t->spi_r, sa->spi_r, 8);
    t->msgid = sa->last_rx_msgid;
    t->local = sa->local;
    t->remote = sa->remote;
    t->marker = sa->natt;
    t->until = e->now + IKE_TOMB_MS;
    e->n_tombs++;
}

static void tombs_expire(struct ike_engine *e)
{
    for (unsigned i = 0; i < e->n_tombs;)
        if (e->now >= e->tombs[i].until) {
            free(e->tombs[i].resp);
            e->tombs[i] = e->tombs[--e->n_tombs];
        } else {
            i++;
        }
}

/* a request for an IKE SA the peer deleted: the same bytes as the Delete we
 * answered get the same answer, at the per-source rate; 1 if it was one */
static int tomb_answer(struct ike_engine *e, const uint8_t *p, size_t n, const struct ike_msg *m,
                       const struct ike_addr *remote)
{
    tombs_expire(e);
    if (ike_hdr_is_response(&m->hdr))
        return 0;
    for (unsigned i = 0; i < e->n_tombs; i++) {
        struct ike_tomb *t = &e->tombs[i];
        uint8_t h[HASH_SHA1_LEN];
        struct span part = span_of(p, n);
        if (t->msgid != m->hdr.msg_id || memcmp(t->spi_i, p, 8) || memcmp(t->spi_r, p + 8, 8) ||
            hash_sha1(&part, 1, h) || memcmp(h, t->req_hash, sizeof h))
            continue;
        if (ike_answer_allowed(e, remote)) {
            struct ike_action *a = ike_push(e, IKE_ACT_SEND, NULL);
            a->local = t->local;
            a->remote = *remote;
            a->marker = t->marker;
            memcpy(a->data, t->resp, t->len);
            a->len = t->len;
            e->stats.cached_replies++;
        }
        return 1;
    }
    return 0;
}

/* decrypt and decode an authenticated message: SK, or SKF fragments once all
 * are in (RFC 7383 2.6; then *p, *n become fragment 1, which stands for the
 * request when it is retransmitted).  0, 1: a fragment kept, nothing more to
 * do; or a negative error (dropped) */
static int open_msg(struct ike_engine *e, struct ikesa *sa, const uint8_t **p, size_t *n, const struct ike_msg *m,
                    const struct ike_addr *remote, struct ike_chain *in, struct ike_frag_done *fd)
{
    static uint8_t plain[IKE_DGRAM_MAX];
    struct diag d = { 0 };
    bool resp = ike_hdr_is_response(&m->hdr);
    int rc;
    if (ike_frag_num(m)) {
        rc = ike_frag_recv(e, sa, *p, *n, m, fd);
        if (rc)
            return rc;
        *p = fd->frag1;
        *n = fd->frag1_len;
        rc = ike_open_inner(m, fd->plain, fd->len, fd->first, in, &d);
    } else {
        rc = ike_open_sk(sa, *p, *n, m, plain, sizeof plain, in, &d);
        if (!rc)
            ike_frag_forget(e, sa, resp); /* had whole: its fragments are no use */
    }
    if (rc < 0) {
        drop(e, remote, "cannot open the SK payload", rc, &d);
        ike_count(e, sa, IKE_CTR_INVALID);
    }
    return rc;
}

/* is this message ID the one we expect?  Responses: our outstanding request;
 * requests: the next one, or the last one again (answered from the cache) */
void *ike_scratch_get(struct ike_engine *e, size_t size, bool zero)
{
    struct ike_scratch *free_one = NULL;
    for (int i = 0; i < IKE_SCRATCH_N; i++) {
        struct ike_scratch *s = &e->scratch[i];
        if (s->busy)
            continue;
        if (s->cap >= size) {
            free_one = s;
            break;
        }
        if (!free_one)
            free_one = s;
    }
    if (!free_one)
        return zero ? calloc(1, size) : malloc(size);
    if (free_one->cap < size) {
        void *p = malloc(size);
        if (!p)
            return NULL;
        free(free_one->p);
        free_one->p = p;
        free_one->cap = size;
    }
    free_one->busy = true;
    if (zero)
        memset(free_one->p, 0, size);
    return free_one->p;
}

void ike_scratch_put(struct ike_engine *e, void *p)
{
    for (int i = 0; i < IKE_SCRATCH_N; i++)
        if (e->scratch[i].busy && e->scratch[i].p == p) {
            e->scratch[i].busy = false;
            return;
        }
    free(p);
}

static int protected_msg(struct ike_engine *e, struct ikesa *sa, const uint8_t *p, size_t n,
                         const struct ike_msg *m, const struct ike_addr *local,
                         const struct ike_addr *remote, uint64_t now)
{
    bool resp = ike_hdr_is_response(&m->hdr);
    if (resp && (!sa->req_len || m->hdr.msg_id != sa->next_msgid - 1)) {
        drop(e, remote, "response to no outstanding request", KITE_E_INVALID_MSGID, NULL);
        return KITE_E_INVALID_MSGID;
    }
    /* an answer of another exchange type is no answer (1.2: a response has the
     * request's type): the request stays outstanding and retransmitted */
    if (resp && m->hdr.exchange != sa->req_exch) {
        drop(e, remote, "response of another exchange type than the request", KITE_E_UNEXPECTED, NULL);
        return KITE_E_UNEXPECTED;
    }
    if (!resp && sa->have_resp && m->hdr.msg_id == sa->last_rx_msgid)
        return resend_cached(e, sa, p, n, m, remote);
    /* the first request: 0, or 1 at an IKE SA responder whose IKE_SA_INIT was 0;
     * a rekeyed IKE SA starts over at 0 (2.18) */
    uint32_t want = sa->have_resp ? sa->last_rx_msgid + 1 : (sa->initiator || sa->successor ? 0 : 1);
    if (!resp && m->hdr.msg_id != want) {
        drop(e, remote, "request with an unexpected message ID", KITE_E_INVALID_MSGID, NULL);
        return KITE_E_INVALID_MSGID;
    }
    struct ike_chain *in = ike_scratch_get(e, sizeof *in, false);
    struct ike_frag_done fd = { 0 };
    if (!in)
        return KITE_E_NOMEM;
    int rc = open_msg(e, sa, &p, &n, m, remote, in, &fd);
    if (rc) {
        ike_frag_done_free(&fd);
        ike_scratch_put(e, in);
        return rc > 0 ? 0 : rc;
    }
    sa->last_rx_at = now;
    ike_count_msg(e, sa, p, n, true);
    /* authenticated and new: the move to the NAT-T port, a changed NAT mapping (2.23) */
    ike_nat_update(e, sa, local, remote);
    char list[256];
    ike_payload_list(in->pld, in->n, list, sizeof list);
    ike_log(e, LOG_ENC, 1, "parsed %s %s %u [%s]", ike_exchange_name(m->hdr.exchange),
            resp ? "response" : "request", m->hdr.msg_id, list);
    unsigned mark = e->q_len;
    uint32_t id = sa->id;
    e->cur_req = resp ? NULL : p;
    e->cur_req_len = n;
    e->cur_local = local, e->cur_remote = remote;
    rc = resp ? on_response(e, sa, m, in, now) : on_request(e, sa, m, in, now);
    e->cur_req = NULL;
    e->cur_local = e->cur_remote = NULL;
    if (!resp) {
        ike_nat_reply_to(e, id, mark, remote);
        note_answered(e, id, m->hdr.msg_id, p, n);
    }
    ike_frag_done_free(&fd);
    ike_scratch_put(e, in);
    return rc;
}

int ike_recv(struct ike_engine *e, const uint8_t *p, size_t n, const struct ike_addr *local,
             const struct ike_addr *remote, uint64_t now)
{
    struct ike_msg *m = ike_scratch_get(e, sizeof *m, false);
    struct diag d = { 0 };
    e->now = now;
    if (!m)
        return KITE_E_NOMEM;
    int rc = ike_msg_decode(span_of(p, n), m, &d);
    if (!rc)
        rc = ike_rules_check_msg(m, &d);
    if (rc) {
        drop(e, remote, "malformed", rc, &d);
        ike_count(e, NULL, IKE_CTR_INVALID);
    } else if (m->hdr.exchange == IKEV2_EXCH_IKE_SA_INIT) {
        rc = on_init(e, p, n, m, local, remote, now);
    } else {
        struct ikesa *sa = sa_by_spis(e, &m->hdr);
        if ((!sa || sa->state == IKE_S_INIT_SENT || !sa->keys_ready) && tomb_answer(e, p, n, m, remote)) {
            rc = 0;
        } else if (!sa || sa->state == IKE_S_INIT_SENT || !sa->keys_ready) {
            drop(e, remote, "no IKE SA for these SPIs", KITE_E_INVALID_SPI, NULL);
            ike_count(e, NULL, IKE_CTR_INVALID_SPI);
            rc = KITE_E_INVALID_SPI;
        } else {
            rc = protected_msg(e, sa, p, n, m, local, remote, now);
        }
    }
    ike_scratch_put(e, m);
    sa_gc(e);
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
    e->stopping = true; /* no keyingtries retry for what goes down now */
    for (unsigned i = 0; i < e->n_slots; i++) {
        struct ikesa *sa = ike_sa_at(e, i);
        if (!sa)
            continue;
        sent += sa->state == IKE_S_ESTABLISHED;
        ike_send_delete(e, sa, now);
        ike_sa_down(e, sa, "deleted by us (shutdown)");
    }
    if (e->retry)
        memset(e->retry, 0, (size_t)e->cap_conns * sizeof *e->retry);
    e->stopping = false;
    sa_gc(e);
    return sent;
}

int ike_sa_terminate(struct ike_engine *e, uint32_t id, uint64_t now)
{
    struct ikesa *sa = ike_sa_by_id(e, id);
    if (!sa || sa->state == IKE_S_FREE)
        return KITE_E_NOT_FOUND;
    ike_sa_close(e, sa, now, "deleted by us (terminate)");
    sa_gc(e);
    return 0;
}

void ike_sa_close(struct ike_engine *e, struct ikesa *sa, uint64_t now, const char *why)
{
    e->now = now;
    e->stopping = true; /* no keyingtries retry for what the operator closes */
    ike_send_delete(e, sa, now);
    ike_sa_down(e, sa, "%s", why);
    e->stopping = false;
}

/* ---- time ---- */

/* liveness check (2.4): an empty INFORMATIONAL request */
static void send_dpd(struct ike_engine *e, struct ikesa *sa, uint64_t now)
{
    struct ike_hdr h;
    uint8_t out[IKE_MSG_MAX];
    size_t len;
    if (ike_mobike_dpd(e, sa, now)) { /* with NAT detection (RFC 4555 3.5) */
        ike_count(e, sa, IKE_CTR_LIVENESS);
        sa->last_rx_at = now;
        return;
    }
    ike_hdr_for(sa, IKEV2_EXCH_INFORMATIONAL, false, sa->next_msgid, &h);
    if (ike_encode_sk(sa, &h, NULL, 0, out, sizeof out, &len) == 0) {
        ike_log(e, LOG_IKE, 2, "sending DPD request");
        ike_log(e, LOG_ENC, 1, "generating INFORMATIONAL request %u [ ]", sa->next_msgid);
        sa->next_msgid++;
        sa->pending_exch = IKEV2_EXCH_INFORMATIONAL;
        ike_count(e, sa, IKE_CTR_LIVENESS);
        ike_send_request(e, sa, out, len, now);
    }
    sa->last_rx_at = now; /* the next check after another dpd_delay */
}

static void tick_sa(struct ike_engine *e, struct ikesa *sa, uint64_t now)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    ike_child_reap(e, sa, now);
    ike_nat_tick(e, sa, now);
    ike_frag_tick(e, sa, now);
    if (sa->state == IKE_S_INIT_DONE && sa->expire_at && now >= sa->expire_at) {
        sa->fail = IKE_CTR_HS_FAIL_TIMEOUT;
        ike_sa_down(e, sa, "half-open IKE_SA timed out after %u ms without IKE_AUTH",
                    (unsigned)e->lim.half_open_timeout_ms);
        return;
    }
    if (sa->state == IKE_S_ESTABLISHED && !sa->req_len && sa->mobike_update) {
        ike_mobike_send_update(e, sa, now); /* our address moved while a request was out */
        return;
    }
    if (ike_life_tick(e, sa, now))
        return;
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
        uint64_t more = children_of(sa);
        if (restart)
            sa->keying = false; /* restarted here, not by keyingtries */
        sa->fail = IKE_CTR_HS_FAIL_TIMEOUT;
        ike_life_dead_peer(e, sa, more); /* dpd_action = trap */
        ike_sa_down(e, sa, "giving up after %u retransmits: peer not responding", sa->tries);
        if (restart) {
            ike_log(e, LOG_IKE, 0, "dpd_action = restart: initiating '%s' again", c->name);
            initiate(e, conn, child, more, true, 1, now);
        }
        return;
    }
    sa->tries++;
    e->stats.retransmits++;
    ike_count(e, sa, IKE_CTR_RETRANSMITS);
    sa->retx_at = now + retx_delay(c, sa->tries);
    char name[64];
    ike_log(e, LOG_IKE, 1, "retransmit %u of request with message ID %u (%s)", sa->tries,
            sa->next_msgid - 1, ike_sa_name(e, sa, name, sizeof name));
    req_resend(e, sa);
}

/* initiations due again (keyingtries): a restart keeps trying forever */
static void tick_retries(struct ike_engine *e, uint64_t now)
{
    for (int c = 0; c < e->n_conns; c++) {
        struct ike_retry r = e->retry[c];
        if (!r.at || now < r.at)
            continue;
        e->retry[c].at = 0;
        e->stats.keying_retries++;
        if (sa_of_conn(e, c))
            continue; /* up meanwhile (the peer initiated, or an operator) */
        ike_log(e, LOG_IKE, 1, "initiating '%s' again (attempt %u)", e->conns[c].name, r.next_try);
        initiate(e, c, r.child, r.more, r.restarting, r.next_try, now);
    }
}

/* only the SAs whose deadline has come (satab.c's heap): a tick costs what
 * is due, not what is held */
void ike_tick(struct ike_engine *e, uint64_t now)
{
    e->now = now;
    unsigned n = ike_satab_due(e, now);
    for (unsigned i = 0; i < n; i++) {
        struct ikesa *sa = e->tab.touched[i];
        if (sa->state != IKE_S_FREE)
            tick_sa(e, sa, now);
    }
    tick_retries(e, now);
    tombs_expire(e);
    sa_gc(e);
}

uint64_t ike_next_deadline(const struct ike_engine *e)
{
    uint64_t next = ike_satab_next(e);
    for (int c = 0; c < e->n_conns; c++)
        if (e->retry[c].at && e->retry[c].at < next)
            next = e->retry[c].at;
    return next;
}

/* the first time tick_sa has something to do for this SA */
uint64_t ike_sa_deadline(const struct ike_engine *e, const struct ikesa *sa)
{
    uint64_t next = UINT64_MAX;
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
    uint64_t reasm = ike_frag_next(sa);
    if (reasm < next)
        next = reasm;
    uint64_t life = ike_life_next(e, sa);
    if (life < next)
        next = life;
    uint64_t hard = sa->state == IKE_S_ESTABLISHED && !sa->req_len ? ike_child_next_hard(sa) : UINT64_MAX;
    if (hard < next)
        next = hard;
    if (sa->state == IKE_S_ESTABLISHED && !sa->req_len && !sa->replaced && sa->ike_rekey_at &&
        sa->ike_rekey_at < next)
        next = sa->ike_rekey_at;
    if (sa->state == IKE_S_ESTABLISHED && !sa->req_len && !sa->replaced && sa->want && sa->want_at < next)
        next = sa->want_at;
    if (sa->state == IKE_S_ESTABLISHED && !sa->req_len && sa->mobike_update)
        next = 0;
    if (sa->state == IKE_S_ESTABLISHED && !sa->req_len && !sa->rk.active) /* a rekey waits for the request out */
        for (int c = 0; c < ike_child_slots(sa); c++)
            if (ike_sa_child(sa, c)->up && ike_sa_child(sa, c)->rekey_at && !ike_sa_child(sa, c)->rekeyed &&
                ike_sa_child(sa, c)->rekey_at < next)
                next = ike_sa_child(sa, c)->rekey_at;
    return next;
}

int ike_child_expired(struct ike_engine *e, uint32_t spi_in, bool hard, uint64_t now)
{
    e->now = now;
    struct ikesa *sa = ike_sa_by_child_spi(e, spi_in);
    if (!sa || sa->state != IKE_S_ESTABLISHED || sa->replaced)
        return KITE_E_NOT_FOUND;
    struct ike_child_st *c = ike_child_by_spi_in(sa, spi_in);
    if (!c || c->deleting)
        return KITE_E_NOT_FOUND;
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
    ike_sa_touch(e, sa);
    sa_gc(e);
    return 0;
}

void ike_engine_stats(const struct ike_engine *e, struct ike_stats *s)
{
    *s = e->stats;
    s->half_open = e->tab.n_half_open;
}

/* the data plane refused a Child SA the engine reported up (DESIGN principle
 * 10: the two must not drift): no outbound use, a Delete to the peer as soon
 * as no request is outstanding, created again in IKE_INSTALL_RETRY_MS */
int ike_child_install_failed(struct ike_engine *e, uint32_t spi_in, uint64_t now)
{
    e->now = now;
    struct ikesa *sa = ike_sa_by_child_spi(e, spi_in);
    struct ike_child_st *c = sa && sa->state == IKE_S_ESTABLISHED ? ike_child_by_spi_in(sa, spi_in) : NULL;
    if (!c || c->deleting)
        return KITE_E_NOT_FOUND;
    const struct ike_child_cfg *ch = &e->conns[sa->conn].child[c->cfg];
    ike_log(e, LOG_IKE, 0, "CHILD_SA %s{%u} with SPIs %08x_i %08x_o could not be installed in the data plane: "
            "deleting it%s", ch->name, sa->id, c->spi_in, c->spi_out, c->wanted ? ", trying again later" : "");
    if (c->wanted && !sa->replaced) {
        sa->want |= (1ull << c->cfg);
        sa->want_at = now + IKE_INSTALL_RETRY_MS;
    }
    c->wanted = false;
    c->rekey_at = 0;
    c->hard_at = now;
    ike_sa_touch(e, sa);
    if (!sa->req_len && !sa->replaced)
        ike_child_hard_due(e, sa, now);
    sa_gc(e);
    return 0;
}
