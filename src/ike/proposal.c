/* proposal: SA payload proposals (RFC 7296 2.7, 3.3).  The responder picks,
 * in ITS configured order, the first proposal an offered one can match, one
 * transform per type; the initiator checks that what came back is one of its
 * own. */
#include <stdio.h>
#include <string.h>
#include "base/rd.h"
#include "ike/ike_int.h"

void ike_prop_build(const struct ike_prop_cfg *cfg, uint8_t num, uint8_t proto, const uint8_t *spi,
                    size_t spi_len, struct ike_proposal *out, struct ike_transform *xf,
                    struct ike_xf_attr *attr)
{
    memset(out, 0, sizeof *out);
    out->num = num;
    out->proto = proto;
    out->spi = span_of(spi, spi_len);
    out->n_xf = cfg->n;
    out->xf = xf;
    for (unsigned i = 0; i < cfg->n; i++) {
        const struct xf_info *info = xf_lookup(cfg->xf[i].type, cfg->xf[i].id, cfg->xf[i].key_bits);
        memset(&xf[i], 0, sizeof xf[i]);
        xf[i].type = cfg->xf[i].type;
        xf[i].id = cfg->xf[i].id;
        if (info && info->key_length_attr) {
            attr[i] = (struct ike_xf_attr){ .type = XF_ATTR_KEY_LENGTH, .tv = true,
                                            .value = cfg->xf[i].key_bits };
            xf[i].key_length = cfg->xf[i].key_bits;
            xf[i].n_attrs = 1;
            xf[i].attrs = &attr[i];
        }
    }
}

static bool offered_has(const struct ike_proposal *p, uint8_t type, uint16_t id, uint16_t bits)
{
    for (unsigned i = 0; i < p->n_xf; i++)
        if (p->xf[i].type == type && p->xf[i].id == id && p->xf[i].key_length == bits)
            return true;
    return false;
}

static bool offered_type(const struct ike_proposal *p, uint8_t type)
{
    for (unsigned i = 0; i < p->n_xf; i++)
        if (p->xf[i].type == type && !(type == XF_INTEG && p->xf[i].id == AUTH_NONE))
            return true;
    return false;
}

static bool cfg_type(const struct ike_prop_cfg *c, uint8_t type)
{
    for (unsigned i = 0; i < c->n; i++)
        if (c->xf[i].type == type)
            return true;
    return false;
}

/* the first configured transform of `type` the offer also has; for KE, the
 * group of the KE payload wins when it is acceptable (no INVALID_KE then) */
static int pick(const struct ike_prop_cfg *c, const struct ike_proposal *p, uint8_t type,
                uint16_t ke_group, int *first)
{
    *first = -1;
    for (unsigned i = 0; i < c->n; i++) {
        if (c->xf[i].type != type || !offered_has(p, type, c->xf[i].id, c->xf[i].key_bits))
            continue;
        if (*first < 0)
            *first = (int)i;
        if (type != XF_KE || c->xf[i].id == ke_group)
            return (int)i;
    }
    return -1;
}

/* match one configured proposal against one offered; 0, KITE_E_NO_PROPOSAL, or
 * KITE_E_INVALID_KE with *want_group */
static int match(const struct ike_prop_cfg *c, const struct ike_proposal *p, uint16_t ke_group,
                 struct ike_algs *a, uint16_t *want_group, bool ignore_ke)
{
    static const uint8_t types[] = { XF_ENCR, XF_PRF, XF_INTEG, XF_KE };
    int idx[4] = { -1, -1, -1, -1 }, first;
    memset(a, 0, sizeof *a);
    for (unsigned t = 0; t < sizeof types; t++) {
        if (ignore_ke && types[t] == XF_KE)
            continue;
        bool mine = cfg_type(c, types[t]), theirs = offered_type(p, types[t]);
        if (!mine && !theirs)
            continue;
        if (mine != theirs)
            return KITE_E_NO_PROPOSAL;
        idx[t] = pick(c, p, types[t], ke_group, &first);
        if (idx[t] < 0 && !(types[t] == XF_KE && first >= 0))
            return KITE_E_NO_PROPOSAL;
        if (idx[t] < 0) {
            *want_group = c->xf[first].id;
            return KITE_E_INVALID_KE;
        }
    }
    /* ESN: absent means "no" on both sides */
    bool want_esn = false, esn_no = !offered_type(p, XF_ESN) || offered_has(p, XF_ESN, ESN_NO, 0);
    for (unsigned i = 0; i < c->n; i++)
        if (c->xf[i].type == XF_ESN && c->xf[i].id == ESN_YES && offered_has(p, XF_ESN, ESN_YES, 0))
            want_esn = true;
    if (!want_esn && !esn_no)
        return KITE_E_NO_PROPOSAL;
    a->esn = want_esn;
    a->encr = xf_lookup(XF_ENCR, c->xf[idx[0]].id, c->xf[idx[0]].key_bits);
    a->prf = idx[1] >= 0 ? xf_lookup(XF_PRF, c->xf[idx[1]].id, 0) : NULL;
    a->integ = idx[2] >= 0 ? xf_lookup(XF_INTEG, c->xf[idx[2]].id, 0) : NULL;
    a->ke = idx[3] >= 0 ? c->xf[idx[3]].id : 0;
    if (!a->encr || (a->encr->aead == (a->integ != NULL)))
        return KITE_E_NO_PROPOSAL;
    return 0;
}

static int select_(const struct ike_prop_cfg *cfg, unsigned n_cfg, const struct ike_sa *offer, uint8_t proto,
                   uint16_t ke_group, struct ike_algs *algs, const struct ike_proposal **chosen,
                   uint16_t *want_group, bool ignore_ke);

int ike_prop_select(const struct ike_prop_cfg *cfg, unsigned n_cfg, const struct ike_sa *offer,
                    uint8_t proto, uint16_t ke_group, struct ike_algs *algs,
                    const struct ike_proposal **chosen, uint16_t *want_group)
{
    return select_(cfg, n_cfg, offer, proto, ke_group, algs, chosen, want_group, false);
}

int ike_prop_select_no_ke(const struct ike_prop_cfg *cfg, unsigned n_cfg, const struct ike_sa *offer,
                          uint8_t proto, struct ike_algs *algs, const struct ike_proposal **chosen)
{
    uint16_t want = 0;
    return select_(cfg, n_cfg, offer, proto, 0, algs, chosen, &want, true);
}

static int select_(const struct ike_prop_cfg *cfg, unsigned n_cfg, const struct ike_sa *offer, uint8_t proto,
                   uint16_t ke_group, struct ike_algs *algs, const struct ike_proposal **chosen,
                   uint16_t *want_group, bool ignore_ke)
{
    int rc = KITE_E_NO_PROPOSAL;
    for (unsigned c = 0; c < n_cfg; c++) {
        for (unsigned o = 0; o < offer->n_prop; o++) {
            if (offer->prop[o].proto != proto)
                continue;
            uint16_t want = 0;
            int r = match(&cfg[c], &offer->prop[o], ke_group, algs, &want, ignore_ke);
            if (r == 0) {
                *chosen = &offer->prop[o];
                return 0;
            }
            if (r == KITE_E_INVALID_KE && rc != KITE_E_INVALID_KE) {
                rc = r;
                *want_group = want;
            }
        }
    }
    return rc;
}

static int accept_(const struct ike_prop_cfg *cfg, unsigned n_cfg, const struct ike_proposal *got,
                   uint8_t proto, struct ike_algs *algs, bool ignore_ke)
{
    if (got->proto != proto)
        return KITE_E_NO_PROPOSAL;
    /* one transform per type, and all of them from one of our proposals */
    for (unsigned c = 0; c < n_cfg; c++) {
        uint16_t want = 0;
        uint16_t ke = 0;
        for (unsigned i = 0; i < got->n_xf; i++)
            if (got->xf[i].type == XF_KE)
                ke = got->xf[i].id;
        if (match(&cfg[c], got, ke, algs, &want, ignore_ke) == 0 && got->n_xf <= 5)
            return 0;
    }
    return KITE_E_NO_PROPOSAL;
}

int ike_prop_accept(const struct ike_prop_cfg *cfg, unsigned n_cfg, const struct ike_proposal *got,
                    uint8_t proto, struct ike_algs *algs)
{
    return accept_(cfg, n_cfg, got, proto, algs, false);
}

int ike_prop_accept_no_ke(const struct ike_prop_cfg *cfg, unsigned n_cfg, const struct ike_proposal *got,
                          uint8_t proto, struct ike_algs *algs)
{
    return accept_(cfg, n_cfg, got, proto, algs, true);
}

void ike_prop_strip_ke(const struct ike_prop_cfg *in, unsigned n, struct ike_prop_cfg *out)
{
    for (unsigned i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        for (unsigned j = 0; j < in[i].n; j++)
            if (in[i].xf[j].type != XF_KE)
                out[i].xf[out[i].n++] = in[i].xf[j];
    }
}

uint16_t ike_prop_first_group(const struct ike_prop_cfg *cfg, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < cfg[i].n; j++)
            if (cfg[i].xf[j].type == XF_KE)
                return cfg[i].xf[j].id;
    return 0;
}

static size_t put_name(char *buf, size_t cap, size_t o, const struct xf_info *x, bool bits)
{
    if (!x || o >= cap)
        return o;
    if (bits && x->key_bits)
        return o + (size_t)snprintf(buf + o, cap - o, "%s%s_%u", o ? "/" : "", x->name, x->key_bits);
    return o + (size_t)snprintf(buf + o, cap - o, "%s%s", o ? "/" : "", x->name);
}

void ike_prop_str(const struct ike_algs *a, bool ike, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = 0;
    o = put_name(buf, cap, o, a->encr, true);
    o = put_name(buf, cap, o, a->integ, false);
    o = put_name(buf, cap, o, a->prf, false);
    if (a->ke)
        o = put_name(buf, cap, o, xf_lookup(XF_KE, a->ke, 0), false);
    if (!ike && o < cap)
        snprintf(buf + o, cap - o, "/%s", a->esn ? "EXT_SEQ" : "NO_EXT_SEQ");
}

static void add(struct ike_prop_cfg *out, uint8_t type, uint16_t id, uint16_t bits)
{
    out->xf[out->n].type = type;
    out->xf[out->n].id = id;
    out->xf[out->n].key_bits = bits;
    out->n++;
}

void ike_prop_from_algs(const struct ike_algs *a, bool ike, struct ike_prop_cfg *out)
{
    memset(out, 0, sizeof *out);
    add(out, XF_ENCR, a->encr->id, a->encr->key_length_attr ? a->encr->key_bits : 0);
    if (a->prf)
        add(out, XF_PRF, a->prf->id, 0);
    if (a->integ)
        add(out, XF_INTEG, a->integ->id, 0);
    if (a->ke)
        add(out, XF_KE, a->ke, 0);
    if (!ike)
        add(out, XF_ESN, a->esn ? ESN_YES : ESN_NO, 0);
}

uint32_t ike_prop_spi32(const struct ike_proposal *p)
{
    struct rd r;
    uint32_t spi = 0;
    rd_init(&r, p->spi.p, p->spi.n);
    return p->spi.n == 4 && rd_be32(&r, &spi) == 0 ? spi : 0;
}

/* ---- proposals as text, for the log lines that explain a NO_PROPOSAL_CHOSEN
 * ("IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE_25519, IKE:..."; kitectl
 * diagnose reads them, docs/control.md) ---- */

static size_t put_xf(char *buf, size_t cap, size_t o, uint8_t type, uint16_t id, uint16_t bits, bool first)
{
    const struct xf_info *x = xf_lookup(type, id, bits);
    if (o >= cap || (type == XF_INTEG && id == AUTH_NONE))
        return o;
    const char *sep = first ? "" : "/";
    if (type == XF_ESN) /* charon's spelling, as ike_prop_str */
        return o + (size_t)snprintf(buf + o, cap - o, "%s%s", sep, id == ESN_YES ? "EXT_SEQ" : "NO_EXT_SEQ");
    if (!x)
        return o + (size_t)snprintf(buf + o, cap - o, "%s%s_%u", sep, xf_type_name(type), id);
    if (bits && x->key_bits)
        return o + (size_t)snprintf(buf + o, cap - o, "%s%s_%u", sep, x->name, bits);
    return o + (size_t)snprintf(buf + o, cap - o, "%s%s", sep, x->name);
}

static size_t put_head(char *buf, size_t cap, size_t o, uint8_t proto)
{
    const char *name = proto == IKEV2_PROTO_IKE ? "IKE" : proto == IKEV2_PROTO_AH ? "AH" : "ESP";
    return o < cap ? o + (size_t)snprintf(buf + o, cap - o, "%s%s:", o ? ", " : "", name) : o;
}

void ike_prop_offer_str(const struct ike_sa *offer, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = 0;
    for (unsigned i = 0; i < offer->n_prop; i++) {
        const struct ike_proposal *p = &offer->prop[i];
        o = put_head(buf, cap, o, p->proto);
        for (unsigned k = 0; k < p->n_xf; k++)
            o = put_xf(buf, cap, o, p->xf[k].type, p->xf[k].id, p->xf[k].key_length, !k);
    }
}

void ike_prop_cfg_str(const struct ike_prop_cfg *cfg, unsigned n, bool ike, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = 0;
    for (unsigned i = 0; i < n; i++) {
        o = put_head(buf, cap, o, ike ? IKEV2_PROTO_IKE : IKEV2_PROTO_ESP);
        for (unsigned k = 0; k < cfg[i].n; k++)
            o = put_xf(buf, cap, o, cfg[i].xf[k].type, cfg[i].xf[k].id, cfg[i].xf[k].key_bits, !k);
    }
}
