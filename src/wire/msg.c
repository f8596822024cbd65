/* wire/msg: the payload chain (RFC 7296 3.2) and whole messages. */
#include "wire/msg.h"
#include "wire/wire_int.h"

enum { PLD_CRITICAL = 0x80, PLD_RESERVED = 0x7f };

static bool pld_known(uint8_t type)
{
    return (type >= IKEV2_PLD_SA && type <= IKEV2_PLD_EAP) || type == IKEV2_PLD_SKF;
}

static bool pld_is_sk(uint8_t type)
{
    return type == IKEV2_PLD_SK || type == IKEV2_PLD_SKF;
}

static int body_decode(struct rd *b, struct ike_pld *p, uint8_t next, struct ike_pool *pool,
                       struct diag *d)
{
    switch (p->unknown ? IKEV2_PLD_NONE : p->type) {
    case IKEV2_PLD_SA: return ike_sa_decode(b, &p->u.sa, pool, d);
    case IKEV2_PLD_KE: return ike_ke_decode(b, &p->u.ke, d);
    case IKEV2_PLD_IDI:
    case IKEV2_PLD_IDR: return ike_id_decode(b, &p->u.id, d);
    case IKEV2_PLD_CERT:
    case IKEV2_PLD_CERTREQ: return ike_cert_decode(b, p->type, &p->u.cert, d);
    case IKEV2_PLD_AUTH: return ike_auth_decode(b, &p->u.auth, d);
    case IKEV2_PLD_NONCE: return ike_nonce_decode(b, &p->u.nonce, d);
    case IKEV2_PLD_NOTIFY: return ike_notify_decode(b, &p->u.notify, d);
    case IKEV2_PLD_DELETE: return ike_delete_decode(b, &p->u.del, d);
    case IKEV2_PLD_VENDOR: return ike_vendor_decode(b, &p->u.vendor, d);
    case IKEV2_PLD_TSI:
    case IKEV2_PLD_TSR: return ike_ts_decode(b, &p->u.ts, pool, d);
    case IKEV2_PLD_SK: return ike_sk_decode(b, next, &p->u.sk, d);
    case IKEV2_PLD_SKF: return ike_skf_decode(b, next, &p->u.skf, d);
    case IKEV2_PLD_CP: return ike_cp_decode(b, &p->u.cp, pool, d);
    case IKEV2_PLD_EAP: return ike_eap_decode(b, &p->u.eap, d);
    }
    p->u.raw.body = rd_rest(b);
    return 0;
}

/* the generic payload header (3.2); opens `body` over the rest of the payload */
static int pld_header(struct rd *r, struct ike_pld *p, uint8_t *next, struct rd *body, struct diag *d)
{
    uint8_t flags;
    uint16_t len;
    rd_u8(r, next);
    rd_u8(r, &flags);
    rd_be16(r, &len);
    if (wire_check(r, d, "payload.header"))
        return r->err;
    if (flags & PLD_RESERVED)
        return diag_set(d, rd_fail(r, KITE_E_RESERVED), "payload.reserved", p->offset + 1);
    p->critical = (flags & PLD_CRITICAL) != 0;
    return wire_sub(r, len, IKE_PLD_HDR_LEN, body, d, "payload.length");
}

static int chain_walk(struct rd *r, uint8_t type, bool outer, struct ike_chain *c, struct diag *d)
{
    c->n = 0;
    c->critical_type = 0;
    c->pool.n_prop = c->pool.n_xf = c->pool.n_attr = c->pool.n_ts = c->pool.n_cpa = 0;
    while (type != IKEV2_PLD_NONE) {
        if (c->n == IKE_MAX_PAYLOADS)
            return wire_fail(r, d, KITE_E_TOO_MANY, "payload.count");
        struct ike_pld *p = &c->pld[c->n];
        uint8_t next;
        /* every field from this message: the chain may be a buffer reused
         * from the previous one (the engine's), not a zeroed one */
        *p = (struct ike_pld){ 0 };
        struct rd body;
        p->type = type;
        p->offset = rd_offset(r);
        p->unknown = !pld_known(type);
        if (pld_header(r, p, &next, &body, d))
            return r->err;
        /* 3.2: an unknown critical payload rejects the whole message */
        if (p->unknown && p->critical) {
            c->critical_type = type;
            return diag_set(d, rd_fail(r, KITE_E_CRITICAL), "payload.type", p->offset);
        }
        if (!outer && pld_is_sk(type))
            return diag_set(d, rd_fail(r, KITE_E_UNEXPECTED), "payload.type", p->offset);
        if (body_decode(&body, p, next, &c->pool, d))
            return rd_fail(r, body.err);
        c->n++;
        /* 3.14: SK is the last payload; its Next Payload names the first inner one */
        if (pld_is_sk(type))
            return rd_left(r) ? wire_fail(r, d, KITE_E_MALFORMED, "SK.position") : 0;
        type = next;
    }
    return wire_end(r, d, "payload.chain");
}

static const uint8_t empty_input[1];

int ike_msg_decode(struct span dgram, struct ike_msg *m, struct diag *d)
{
    struct rd r;
    rd_init(&r, dgram.p ? dgram.p : empty_input, dgram.n);
    m->hdr = (struct ike_hdr){ 0 };
    m->chain.n = 0;
    m->chain.critical_type = 0;
    if (ike_hdr_decode(&r, &m->hdr, d))
        return r.err;
    return chain_walk(&r, m->hdr.next_payload, true, &m->chain, d);
}

int ike_chain_decode(struct span in, uint8_t first, struct ike_chain *c, struct diag *d)
{
    struct rd r;
    rd_init(&r, in.p ? in.p : empty_input, in.n);
    return chain_walk(&r, first, false, c, d);
}

static int body_encode(struct wr *w, const struct ike_pld *p)
{
    switch (p->unknown ? IKEV2_PLD_NONE : p->type) {
    case IKEV2_PLD_SA: return ike_sa_encode(w, &p->u.sa);
    case IKEV2_PLD_KE: return ike_ke_encode(w, &p->u.ke);
    case IKEV2_PLD_IDI:
    case IKEV2_PLD_IDR: return ike_id_encode(w, &p->u.id);
    case IKEV2_PLD_CERT:
    case IKEV2_PLD_CERTREQ: return ike_cert_encode(w, &p->u.cert);
    case IKEV2_PLD_AUTH: return ike_auth_encode(w, &p->u.auth);
    case IKEV2_PLD_NONCE: return ike_nonce_encode(w, &p->u.nonce);
    case IKEV2_PLD_NOTIFY: return ike_notify_encode(w, &p->u.notify);
    case IKEV2_PLD_DELETE: return ike_delete_encode(w, &p->u.del);
    case IKEV2_PLD_VENDOR: return ike_vendor_encode(w, &p->u.vendor);
    case IKEV2_PLD_TSI:
    case IKEV2_PLD_TSR: return ike_ts_encode(w, &p->u.ts);
    case IKEV2_PLD_SK: return ike_sk_encode(w, &p->u.sk);
    case IKEV2_PLD_SKF: return ike_skf_encode(w, &p->u.skf);
    case IKEV2_PLD_CP: return ike_cp_encode(w, &p->u.cp);
    case IKEV2_PLD_EAP: return ike_eap_encode(w, &p->u.eap);
    }
    return wr_span(w, p->u.raw.body);
}

int ike_pld_encode(struct wr *w, const struct ike_pld *p, uint8_t next)
{
    size_t start = w->len;
    wr_u8(w, next);
    wr_u8(w, p->critical ? PLD_CRITICAL : 0);
    size_t at = wr_reserve(w, 2);
    body_encode(w, p);
    return wr_patch_len16(w, at, start);
}

static int plds_encode(const struct ike_pld *pld, unsigned n, bool outer, struct wr *w)
{
    for (unsigned i = 0; i < n && !w->err; i++) {
        const struct ike_pld *p = &pld[i];
        bool last = i + 1 == n;
        uint8_t next = last ? IKEV2_PLD_NONE : pld[i + 1].type;
        if (pld_is_sk(p->type) && !p->unknown) {
            if (!last || !outer)
                return w->err = KITE_E_INVALID_ARG;
            next = p->type == IKEV2_PLD_SK ? p->u.sk.first : p->u.skf.first;
        }
        ike_pld_encode(w, p, next);
    }
    return w->err;
}

int ike_chain_encode(const struct ike_chain *c, struct wr *w)
{
    return plds_encode(c->pld, c->n, false, w);
}

int ike_plds_encode(const struct ike_pld *pld, unsigned n, struct wr *w)
{
    if (n > IKE_MAX_PAYLOADS)
        return w->err = KITE_E_INVALID_ARG;
    return plds_encode(pld, n, false, w);
}

int ike_msg_encode_plds(const struct ike_hdr *h, const struct ike_pld *pld, unsigned n, struct wr *w)
{
    size_t start = w->len, len_at;
    if (n > IKE_MAX_PAYLOADS)
        return w->err = KITE_E_INVALID_ARG;
    ike_hdr_encode(w, h, n ? pld[0].type : IKEV2_PLD_NONE, &len_at);
    plds_encode(pld, n, true, w);
    return ike_hdr_patch_len(w, len_at, start);
}

int ike_msg_encode(const struct ike_msg *m, struct wr *w)
{
    return ike_msg_encode_plds(&m->hdr, m->chain.pld, m->chain.n, w);
}

const struct ike_pld *ike_chain_find(const struct ike_chain *c, uint8_t type, unsigned nth)
{
    for (uint8_t i = 0; i < c->n; i++) {
        if (c->pld[i].type == type && !c->pld[i].unknown && nth-- == 0)
            return &c->pld[i];
    }
    return NULL;
}

const struct ike_notify *ike_chain_notify(const struct ike_chain *c, uint16_t type)
{
    for (uint8_t i = 0; i < c->n; i++) {
        const struct ike_pld *p = &c->pld[i];
        if (p->type == IKEV2_PLD_NOTIFY && !p->unknown && p->u.notify.type == type)
            return &p->u.notify;
    }
    return NULL;
}
