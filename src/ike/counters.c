/* counters: what the engine has done, globally and per connection name, for
 * the control socket (VICI get-counters, ctl/vici_counters.c) and metrics
 * (ctl/metrics.c).  The message counters follow strongSwan's counters
 * plugin: a message is counted once, when we build it or when it arrives
 * decoded (protected ones after decryption), a retransmission not. */
#include <stdlib.h>
#include <string.h>
#include "ike/ike_int.h"
#include "wire/ike.h"

static const char *const names[IKE_CTR_N] = {
    "ike-rekey-init", "ike-rekey-resp", "child-rekey", "invalid", "invalid-spi",
    "ike-init-in-req", "ike-init-in-resp", "ike-init-out-req", "ike-init-out-resp",
    "ike-auth-in-req", "ike-auth-in-resp", "ike-auth-out-req", "ike-auth-out-resp",
    "create-child-in-req", "create-child-in-resp", "create-child-out-req", "create-child-out-resp",
    "info-in-req", "info-in-resp", "info-out-req", "info-out-resp",
    "handshake-started", "handshake-established",
    "handshake-failed-no-proposal", "handshake-failed-auth", "handshake-failed-timeout",
    "handshake-failed-ts", "handshake-failed-other",
    "retransmits", "liveness", "child-limit",
};

const char *ike_ctr_name(unsigned c)
{
    return c < IKE_CTR_N ? names[c] : NULL;
}

const char *ike_ctr_fail_reason(unsigned c)
{
    static const char *const r[] = { "no_proposal", "auth_failed", "timeout", "ts_unacceptable", "other" };
    return c >= IKE_CTR_HS_FAIL_NO_PROPOSAL && c <= IKE_CTR_HS_FAIL_OTHER ? r[c - IKE_CTR_HS_FAIL_NO_PROPOSAL]
                                                                           : NULL;
}

static struct ike_conn_ctr *conn_find(const struct ike_engine *e, const char *name)
{
    for (unsigned i = 0; i < e->n_conn_ctr; i++)
        if (strcmp(e->conn_ctr[i].name, name) == 0)
            return &e->conn_ctr[i];
    return NULL;
}

/* the entry of connection name, made on first use; NULL without memory
 * (then only the global counter counts) */
static struct ike_conn_ctr *conn_entry(struct ike_engine *e, const char *name)
{
    struct ike_conn_ctr *c = conn_find(e, name);
    if (c)
        return c;
    if (e->n_conn_ctr == e->conn_ctr_cap) {
        unsigned cap = e->conn_ctr_cap ? 2 * e->conn_ctr_cap : 8;
        struct ike_conn_ctr *t = realloc(e->conn_ctr, cap * sizeof *t);
        if (!t)
            return NULL;
        e->conn_ctr = t;
        e->conn_ctr_cap = cap;
    }
    c = &e->conn_ctr[e->n_conn_ctr++];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    return c;
}

void ike_count_conn(struct ike_engine *e, int conn, unsigned c)
{
    if (c >= IKE_CTR_N)
        return;
    e->ctr.c[c]++;
    struct ike_conn_ctr *cc = conn >= 0 && conn < e->n_conns ? conn_entry(e, e->conns[conn].name) : NULL;
    if (cc)
        cc->c.c[c]++;
}

void ike_hs_moved(struct ike_engine *e, const struct ikesa *sa, int from)
{
    struct ike_conn_ctr *old = ike_conn_live(e, from) ? conn_entry(e, e->conns[from].name) : NULL;
    struct ike_conn_ctr *now = ike_conn_live(e, sa->conn) ? conn_entry(e, e->conns[sa->conn].name) : NULL;
    if (!sa->hs || !old || !now || !old->c.c[IKE_CTR_HS_STARTED])
        return;
    old->c.c[IKE_CTR_HS_STARTED]--; /* the global count stays: one handshake */
    now->c.c[IKE_CTR_HS_STARTED]++;
}

void ike_count(struct ike_engine *e, const struct ikesa *sa, unsigned c)
{
    ike_count_conn(e, sa ? sa->conn : -1, c);
}

void ike_count_msg(struct ike_engine *e, const struct ikesa *sa, const uint8_t *p, size_t n, bool in)
{
    if (n < IKE_HDR_LEN)
        return;
    unsigned base;
    switch (p[18]) { /* the header's exchange type and flags (3.1) */
    case IKEV2_EXCH_IKE_SA_INIT: base = IKE_CTR_INIT_IN_REQ; break;
    case IKEV2_EXCH_IKE_AUTH: base = IKE_CTR_AUTH_IN_REQ; break;
    case IKEV2_EXCH_CREATE_CHILD_SA: base = IKE_CTR_CHILD_IN_REQ; break;
    case IKEV2_EXCH_INFORMATIONAL: base = IKE_CTR_INFO_IN_REQ; break;
    default: return;
    }
    bool response = p[19] & IKE_FLAG_R;
    ike_count(e, sa, base + (in ? 0 : 2) + (response ? 1 : 0));
}

void ike_hs_start(struct ike_engine *e, struct ikesa *sa)
{
    sa->hs = true;
    sa->fail = 0;
    ike_count(e, sa, IKE_CTR_HS_STARTED);
}

void ike_hs_end(struct ike_engine *e, struct ikesa *sa, bool established)
{
    if (!sa->hs)
        return;
    sa->hs = false;
    unsigned why = sa->fail ? sa->fail : IKE_CTR_HS_FAIL_OTHER;
    ike_count(e, sa, established ? IKE_CTR_HS_ESTABLISHED : why);
}

bool ike_engine_counters(const struct ike_engine *e, const char *conn, struct ike_counters *out)
{
    const struct ike_conn_ctr *c = conn ? conn_find(e, conn) : NULL;
    if (conn && !c)
        return false;
    *out = c ? c->c : e->ctr;
    return true;
}

const char *ike_engine_counters_conn(const struct ike_engine *e, unsigned i)
{
    return i < e->n_conn_ctr ? e->conn_ctr[i].name : NULL;
}

void ike_engine_counters_reset(struct ike_engine *e, const char *conn)
{
    if (!conn) {
        memset(&e->ctr, 0, sizeof e->ctr);
        return;
    }
    struct ike_conn_ctr *c = conn_find(e, conn);
    if (c)
        *c = e->conn_ctr[--e->n_conn_ctr];
}

void ike_engine_counters_reset_all(struct ike_engine *e)
{
    e->n_conn_ctr = 0;
}

void ike_counters_free(struct ike_engine *e)
{
    free(e->conn_ctr);
    e->conn_ctr = NULL;
    e->n_conn_ctr = e->conn_ctr_cap = 0;
}
