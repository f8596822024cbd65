/* cp: configuration payloads in IKE_AUTH, both roles (RFC 7296 3.15, 2.19).
 *
 *  HDR, SK {IDi, AUTH, CP(CFG_REQUEST), SAi2, TSi, TSr}  -->
 *                  <--  HDR, SK {IDr, AUTH, CP(CFG_REPLY), SAr2, TSi, TSr}
 *                  <--  HDR, SK {IDr, AUTH, N(INTERNAL_ADDRESS_FAILURE)}
 *
 * The gateway leases addresses from the connection's pools (pool.c) to the
 * peer's authenticated identity and narrows the Child SA's remote selector
 * to them; the client asks for its connection's vips and hands what it got
 * to the daemon (IKE_ACT_VIP) before its Child SA comes up.  Pools are set
 * with ike_engine_set_pools. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include "cred/id.h"
#include "ike/eap.h"
#include "ike/ike_int.h"

void ike_cp_out_free(struct ike_cp_out *o)
{
    free(o->a);
    free(o->buf);
    o->a = NULL;
    o->buf = NULL;
    o->n = 0;
}

static int out_alloc(struct ike_cp_out *o, unsigned n)
{
    o->a = calloc(n ? n : 1, sizeof *o->a);
    o->buf = calloc(n ? n : 1, 17);
    o->n = 0;
    return o->a && o->buf ? 0 : KITE_E_NOMEM;
}

static void out_add(struct ike_cp_out *o, uint16_t type, const uint8_t *v, size_t len)
{
    uint8_t *dst = o->buf + (size_t)o->n * 17;
    if (len)
        memcpy(dst, v, len);
    o->a[o->n].type = type;
    o->a[o->n].value = span_of(dst, len);
    o->n++;
}

/* an address without its port, as charon logs virtual IPs */
static const char *ip_str(const struct ike_addr *a, char *buf, size_t cap)
{
    if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->ip, buf, (socklen_t)cap))
        snprintf(buf, cap, "?");
    return buf;
}

static void cp_pld(struct ike_pld *p, uint8_t type, const struct ike_cp_out *o)
{
    memset(p, 0, sizeof *p);
    p->type = IKEV2_PLD_CP;
    p->u.cp.type = type;
    p->u.cp.n = (uint8_t)o->n;
    p->u.cp.attrs = o->a;
}

/* ---- the initiator ---- */

uint8_t ike_cp_families(const struct ike_conn_cfg *c)
{
    uint8_t w = 0;
    for (unsigned i = 0; i < c->n_vips; i++)
        w |= (uint8_t)(1u << (c->vips[i].family == 6 ? 6 : 4));
    return w;
}

bool ike_cp_request(const struct ike_conn_cfg *c, struct ike_pld *p, struct ike_cp_out *o, int *rc)
{
    *rc = 0;
    if (!c->n_vips)
        return false;
    if ((*rc = out_alloc(o, 2u * c->n_vips)) != 0)
        return false;
    static const uint8_t any[16];
    for (unsigned i = 0; i < c->n_vips; i++) {
        const struct ike_addr *v = &c->vips[i];
        bool v6 = v->family == 6, zero = !memcmp(v->ip, any, v6 ? 16 : 4);
        uint8_t val[17] = { 0 };
        memcpy(val, v->ip, v6 ? 16 : 4);
        val[16] = 128;
        /* a specific address is a wish the gateway may grant (3.15.1); empty: any */
        out_add(o, v6 ? IKEV2_CFGA_INTERNAL_IP6_ADDRESS : IKEV2_CFGA_INTERNAL_IP4_ADDRESS, val,
                zero ? 0 : v6 ? 17 : 4);
        out_add(o, v6 ? IKEV2_CFGA_INTERNAL_IP6_DNS : IKEV2_CFGA_INTERNAL_IP4_DNS, NULL, 0);
    }
    cp_pld(p, IKEV2_CFG_REQUEST, o);
    return true;
}

static void lvip_add(struct ike_engine *e, struct ikesa *sa, uint8_t family, const uint8_t *ip)
{
    static const uint8_t zero[16];
    if (!memcmp(ip, zero, family == 6 ? 16 : 4)) { /* "any" is no address to put on a device */
        ike_log(e, LOG_IKE, 1, "CFG_REPLY: an unspecified INTERNAL_IP%c_ADDRESS ignored", family == 6 ? '6' : '4');
        return;
    }
    for (unsigned i = 0; i < sa->n_lvip; i++)
        if (sa->lvip[i].family == family)
            return; /* one per family, the first */
    if (sa->n_lvip < IKE_MAX_VIPS) {
        struct ike_addr *a = &sa->lvip[sa->n_lvip++];
        memset(a, 0, sizeof *a);
        a->family = family;
        memcpy(a->ip, ip, family == 6 ? 16 : 4);
    }
}

/* one attribute of a CFG_REPLY; peer bytes: lengths checked, others ignored */
static void reply_attr(struct ike_engine *e, struct ikesa *sa, const struct ike_cp_attr *at, struct ike_action *a)
{
    const uint8_t *v = at->value.p;
    size_t n = at->value.n;
    uint16_t t = at->type;
    if ((t == IKEV2_CFGA_INTERNAL_IP4_ADDRESS && n == 4) || (t == IKEV2_CFGA_INTERNAL_IP6_ADDRESS && n == 17))
        lvip_add(e, sa, n == 4 ? 4 : 6, v);
    else if (((t == IKEV2_CFGA_INTERNAL_IP4_DNS && n == 4) || (t == IKEV2_CFGA_INTERNAL_IP6_DNS && n == 16)) &&
             a->n_dns < IKE_MAX_DNS) {
        struct ike_addr *d = &a->dns[a->n_dns++];
        d->family = n == 4 ? 4 : 6;
        memcpy(d->ip, v, n);
    } else
        ike_log(e, LOG_IKE, 2, "CFG_REPLY attribute %u (%zu bytes) ignored", t, n);
}

int ike_cp_reply(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    const struct ike_pld *p = ike_chain_find(in, IKEV2_PLD_CP, 0);
    if (!c->n_vips)
        return 0; /* a CP we did not ask for: nothing to apply */
    struct ike_action tmp = { 0 };
    if (p && p->u.cp.type == IKEV2_CFG_REPLY)
        for (unsigned i = 0; i < p->u.cp.n; i++)
            reply_attr(e, sa, &p->u.cp.attrs[i], &tmp);
    if (!sa->n_lvip)
        return KITE_E_MISSING;
    struct ike_action *a = ike_push(e, IKE_ACT_VIP, sa);
    char s[64];
    for (unsigned i = 0; i < sa->n_lvip; i++) {
        a->vip[a->n_vip++] = sa->lvip[i];
        ike_log(e, LOG_IKE, 1, "installing new virtual IP %s", ip_str(&sa->lvip[i], s, sizeof s));
    }
    a->n_dns = tmp.n_dns;
    memcpy(a->dns, tmp.dns, sizeof a->dns);
    return 0;
}

/* ---- the responder ---- */

static struct ike_vpool *pool_named(const struct ike_engine *e, const char *name)
{
    for (unsigned i = 0; i < e->n_pools; i++)
        if (!strcmp(ike_vpool_cfg(e->pools[i])->name, name))
            return e->pools[i];
    return NULL;
}

/* the families the peer asks addresses for (bit 4 / 6), from its CFG_REQUEST */
static unsigned wanted(const struct ike_pld *p)
{
    unsigned w = 0;
    if (!p || p->u.cp.type != IKEV2_CFG_REQUEST)
        return 0;
    for (unsigned i = 0; i < p->u.cp.n; i++) {
        uint16_t t = p->u.cp.attrs[i].type;
        w |= t == IKEV2_CFGA_INTERNAL_IP4_ADDRESS ? 1u << 4 : t == IKEV2_CFGA_INTERNAL_IP6_ADDRESS ? 1u << 6 : 0;
    }
    return w;
}

/* an address of family f for the peer from the first of the connection's
 * pools that has one; false when none has */
static bool lease_one(struct ike_engine *e, struct ikesa *sa, uint8_t f, const struct ike_id *peer)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    for (unsigned i = 0; i < c->n_pools && sa->n_rvip < IKE_MAX_VIPS; i++) {
        struct ike_vpool *p = pool_named(e, c->pools[i]);
        int err;
        if (!p || ike_vpool_cfg(p)->family != f)
            continue;
        struct ike_lease *l = ike_vpool_acquire(p, peer->type, peer->data.p, peer->data.n, &err);
        if (!l) {
            ike_log(e, LOG_IKE, 0, "pool '%s' has no address left for the peer: %s", c->pools[i],
                    kite_strerror(err));
            continue;
        }
        struct ike_sa_vip *v = &sa->rvip[sa->n_rvip++];
        v->pool = p;
        v->lease = l;
        ike_lease_addr(p, l, &v->addr);
        return true;
    }
    return false;
}

static void reply_attrs(struct ike_engine *e, const struct ikesa *sa, struct ike_cp_out *o)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    for (unsigned i = 0; i < sa->n_rvip; i++) {
        const struct ike_addr *a = &sa->rvip[i].addr;
        uint8_t v[17];
        memcpy(v, a->ip, 16);
        v[16] = 128; /* the address alone (3.15.1: a prefix length for IPv6) */
        out_add(o, a->family == 6 ? IKEV2_CFGA_INTERNAL_IP6_ADDRESS : IKEV2_CFGA_INTERNAL_IP4_ADDRESS, v,
                a->family == 6 ? 17 : 4);
    }
    for (unsigned i = 0; i < c->n_pools; i++) {
        struct ike_vpool *p = pool_named(e, c->pools[i]);
        const struct ike_pool_cfg *pc = p ? ike_vpool_cfg(p) : NULL;
        for (unsigned k = 0; pc && k < pc->n_attrs; k++)
            out_add(o, pc->attrs[k].type, pc->attrs[k].value, pc->attrs[k].len);
    }
}

static unsigned attr_count(const struct ike_engine *e, const struct ike_conn_cfg *c)
{
    unsigned n = IKE_MAX_VIPS;
    for (unsigned i = 0; i < c->n_pools; i++) {
        struct ike_vpool *p = pool_named(e, c->pools[i]);
        n += p ? ike_vpool_cfg(p)->n_attrs : 0;
    }
    return n;
}

static void log_assigned(struct ike_engine *e, const struct ikesa *sa, const struct ike_id *peer)
{
    char a[64], id[128];
    cred_id_format(peer->type, peer->data, id, sizeof id);
    for (unsigned i = 0; i < sa->n_rvip; i++)
        ike_log(e, LOG_IKE, 1, "assigning virtual IP %s to peer '%s'", ip_str(&sa->rvip[i].addr, a, sizeof a), id);
}

/* whom the lease belongs to: the EAP identity after EAP (users share a
 * gateway-facing IKE identity, e.g. their address, as strongSwan's leases
 * follow the EAP identity too), else the authenticated IKE identity */
static struct ike_id lease_owner(const struct ikesa *sa, const struct ike_id *peer)
{
    if (!sa->eap || !ike_eap_done(sa) || !sa->eap->identity_len)
        return *peer;
    const struct ike_eap_sa *x = sa->eap;
    bool mail = memchr(x->identity, '@', x->identity_len) != NULL;
    return (struct ike_id){ mail ? IKEV2_ID_RFC822_ADDR : IKEV2_ID_FQDN,
                            span_of((const uint8_t *)x->identity, x->identity_len) };
}

uint16_t ike_cp_assign(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, const struct ike_id *ike_peer,
                       struct ike_pld *p, bool *added, struct ike_cp_out *o)
{
    const struct ike_conn_cfg *c = &e->conns[sa->conn];
    struct ike_id owner = lease_owner(sa, ike_peer);
    const struct ike_id *peer = &owner;
    unsigned w = wanted(ike_chain_find(in, IKEV2_PLD_CP, 0));
    *added = false;
    if (!c->n_pools)
        return 0; /* nothing to give: a request goes unanswered (3.15: the peer carries on without) */
    if (!w) {
        ike_log(e, LOG_IKE, 0, "expected a virtual IP request, sending FAILED_CP_REQUIRED");
        return IKEV2_N_FAILED_CP_REQUIRED;
    }
    ike_cp_release(e, sa); /* a repeated IKE_AUTH (2.1) must not hold twice */
    bool got = false;
    for (uint8_t f = 4; f <= 6; f += 2)
        if (w & 1u << f)
            got |= lease_one(e, sa, f, peer);
    if (!got) {
        ike_log(e, LOG_IKE, 0, "no virtual IP found, sending INTERNAL_ADDRESS_FAILURE");
        return IKEV2_N_INTERNAL_ADDRESS_FAILURE;
    }
    if (out_alloc(o, attr_count(e, c))) {
        ike_cp_release(e, sa);
        return IKEV2_N_INTERNAL_ADDRESS_FAILURE;
    }
    log_assigned(e, sa, peer);
    reply_attrs(e, sa, o);
    cp_pld(p, IKEV2_CFG_REPLY, o);
    *added = true;
    return 0;
}

static bool ip_in(const struct ike_ts_cfg *t, const struct ike_addr *a)
{
    size_t n = a->family == 6 ? 16 : 4;
    return t->family == a->family && memcmp(a->ip, t->lo, n) >= 0 && memcmp(a->ip, t->hi, n) <= 0;
}

int ike_cp_narrow(const struct ikesa *sa, struct ike_ts_cfg *rts)
{
    if (!sa->n_rvip)
        return 0;
    for (unsigned i = 0; i < sa->n_rvip; i++) {
        const struct ike_addr *a = &sa->rvip[i].addr;
        if (ip_in(rts, a)) {
            size_t n = a->family == 6 ? 16 : 4;
            memcpy(rts->lo, a->ip, n);
            memcpy(rts->hi, a->ip, n);
            return 0;
        }
    }
    return KITE_E_TS_UNACCEPTABLE;
}

/* ---- leases and the IKE SA's life ---- */

static void retired_reap(struct ike_engine *e)
{
    for (unsigned i = 0; i < e->n_retired;)
        if (!ike_vpool_online(e->retired[i])) {
            ike_vpool_free(e->retired[i]);
            e->retired[i] = e->retired[--e->n_retired];
        } else
            i++;
}

void ike_cp_release(struct ike_engine *e, struct ikesa *sa)
{
    for (unsigned i = 0; i < sa->n_rvip; i++)
        ike_vpool_release(sa->rvip[i].pool, sa->rvip[i].lease);
    bool had = sa->n_rvip > 0;
    sa->n_rvip = 0;
    if (had && e->n_retired)
        retired_reap(e);
}

void ike_cp_move(struct ike_engine *e, const struct ikesa *old, struct ikesa *n)
{
    (void)e;
    for (unsigned i = 0; i < old->n_rvip && n->n_rvip < IKE_MAX_VIPS; i++) {
        n->rvip[n->n_rvip] = old->rvip[i];
        ike_vpool_hold(old->rvip[i].pool, old->rvip[i].lease);
        n->n_rvip++;
    }
    for (unsigned i = 0; i < old->n_lvip && n->n_lvip < IKE_MAX_VIPS; i++)
        n->lvip[n->n_lvip++] = old->lvip[i];
}
