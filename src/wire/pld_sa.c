/* wire/pld_sa: the Security Association payload, RFC 7296 3.3.
 *
 * SA → proposals (3.3.1) → transforms (3.3.2) → attributes (3.3.5), each a
 * nested length opened with a sub-reader.  Checked here, because they are
 * about the bytes: the "last substructure" bytes agree with the position,
 * proposal numbers start at 1 or more and go up by one, the protocol is IKE,
 * AH or ESP with its SPI size (IKE 0 or 8, AH/ESP 4), the transform count
 * matches, Key Length is a TV attribute given once.  Which protocol and SPI
 * size fit which exchange is a rules.c matter. */
#include "crypto/registry.h"
#include "wire/pld.h"
#include "wire/wire_int.h"

enum { MORE_PROPOSALS = 2, MORE_TRANSFORMS = 3, ATTR_AF = 0x8000 };

static int key_length_take(struct rd *r, struct ike_transform *xf, const struct ike_xf_attr *a,
                           size_t at, struct diag *d)
{
    /* 3.3.5: Key Length is TV only, and a transform carries at most one */
    if (!a->tv || xf->key_length || a->value == 0)
        return diag_set(d, rd_fail(r, KITE_E_MALFORMED), "SA.proposal.transform.attribute.key_length", at);
    xf->key_length = a->value;
    return 0;
}

static int attr_decode(struct rd *r, struct ike_transform *xf, struct ike_xf_attr *a, struct diag *d)
{
    size_t at = rd_offset(r);
    uint16_t t, v;
    rd_be16(r, &t);
    rd_be16(r, &v);
    if (wire_check(r, d, "SA.proposal.transform.attribute"))
        return r->err;
    a->type = t & (uint16_t)~ATTR_AF;
    a->tv = (t & ATTR_AF) != 0;
    a->value = a->tv ? v : 0;
    a->data = span_of(NULL, 0);
    if (!a->tv && v > rd_left(r))
        return diag_set(d, rd_fail(r, KITE_E_BAD_LENGTH), "SA.proposal.transform.attribute.length", at + 2);
    if (!a->tv)
        rd_span(r, v, &a->data);
    if (a->type == XF_ATTR_KEY_LENGTH)
        return key_length_take(r, xf, a, at, d);
    return 0;
}

static int xf_body_decode(struct rd *b, struct ike_transform *xf, struct ike_pool *pool, struct diag *d)
{
    uint8_t res;
    rd_u8(b, &xf->type);
    rd_u8(b, &res);
    rd_be16(b, &xf->id);
    if (wire_check(b, d, "SA.proposal.transform"))
        return b->err;
    if (res)
        return diag_set(d, rd_fail(b, KITE_E_RESERVED), "SA.proposal.transform.reserved", rd_offset(b) - 3);
    xf->key_length = 0;
    xf->n_attrs = 0;
    xf->attrs = &pool->attr[pool->n_attr];
    while (rd_left(b)) {
        if (pool->n_attr == IKE_MAX_XF_ATTRS || xf->n_attrs == UINT8_MAX)
            return wire_fail(b, d, KITE_E_TOO_MANY, "SA.proposal.transform.attribute");
        pool->attr[pool->n_attr] = (struct ike_xf_attr){ 0 };
        if (attr_decode(b, xf, &pool->attr[pool->n_attr], d))
            return b->err;
        pool->n_attr++;
        xf->n_attrs++;
    }
    return wire_end(b, d, "SA.proposal.transform");
}

/* the 4-byte header shared by proposal and transform substructures (3.3.1,
 * 3.3.2): "last" (`more` while more follow, 0 on the last), reserved, length.
 * Opens `body` over the substructure's remaining bytes. */
struct substruct_names {
    const char *length, *last, *reserved;
};

static int substruct_open(struct rd *r, uint8_t more, const struct substruct_names *n,
                          struct rd *body, struct diag *d)
{
    size_t at = rd_offset(r);
    uint8_t last, res;
    uint16_t len;
    rd_u8(r, &last);
    rd_u8(r, &res);
    rd_be16(r, &len);
    if (wire_sub(r, len, 4, body, d, n->length))
        return r->err;
    if (last != (rd_left(r) ? more : 0))
        return diag_set(d, rd_fail(r, KITE_E_MALFORMED), n->last, at);
    if (res)
        return diag_set(d, rd_fail(r, KITE_E_RESERVED), n->reserved, at + 1);
    return 0;
}

static int xf_decode(struct rd *r, struct ike_transform *xf, struct ike_pool *pool, struct diag *d)
{
    static const struct substruct_names names = { "SA.proposal.transform.length",
                                                  "SA.proposal.transform.last",
                                                  "SA.proposal.transform.reserved" };
    struct rd body;
    if (substruct_open(r, MORE_TRANSFORMS, &names, &body, d))
        return r->err;
    return xf_body_decode(&body, xf, pool, d) ? rd_fail(r, body.err) : 0;
}

static int prop_check(struct rd *r, const struct ike_proposal *p, uint8_t prev, size_t spi_size,
                      size_t at, struct diag *d)
{
    /* 3.3.1: the first proposal is 1 in a request (a response echoes the
     * chosen number, so any nonzero start), each next one is one more */
    if (prev ? p->num != (uint8_t)(prev + 1) : p->num == 0)
        return diag_set(d, rd_fail(r, KITE_E_MALFORMED), "SA.proposal.num", at + 4);
    if (p->proto != IKEV2_PROTO_IKE && p->proto != IKEV2_PROTO_AH && p->proto != IKEV2_PROTO_ESP)
        return diag_set(d, rd_fail(r, KITE_E_MALFORMED), "SA.proposal.protocol", at + 5);
    /* IKE: 0 in IKE_SA_INIT, 8 when rekeying the IKE SA; AH/ESP: 4 */
    bool ok = p->proto == IKEV2_PROTO_IKE ? spi_size == 0 || spi_size == 8 : spi_size == 4;
    if (!ok)
        return diag_set(d, rd_fail(r, KITE_E_MALFORMED), "SA.proposal.spi_size", at + 6);
    return 0;
}

static int prop_body_decode(struct rd *b, struct ike_proposal *p, uint8_t prev, size_t at,
                            struct ike_pool *pool, struct diag *d)
{
    uint8_t spi_size, n_xf;
    rd_u8(b, &p->num);
    rd_u8(b, &p->proto);
    rd_u8(b, &spi_size);
    rd_u8(b, &n_xf);
    if (wire_check(b, d, "SA.proposal"))
        return b->err;
    if (prop_check(b, p, prev, spi_size, at, d))
        return b->err;
    rd_span(b, spi_size, &p->spi);
    if (wire_check(b, d, "SA.proposal.spi"))
        return b->err;
    p->n_xf = 0;
    p->xf = &pool->xf[pool->n_xf];
    while (rd_left(b)) {
        if (pool->n_xf == IKE_MAX_TRANSFORMS || p->n_xf == UINT8_MAX)
            return wire_fail(b, d, KITE_E_TOO_MANY, "SA.proposal.transform");
        pool->xf[pool->n_xf] = (struct ike_transform){ 0 };
        if (xf_decode(b, &pool->xf[pool->n_xf], pool, d))
            return b->err;
        pool->n_xf++;
        p->n_xf++;
    }
    if (p->n_xf != n_xf)
        return diag_set(d, rd_fail(b, KITE_E_MALFORMED), "SA.proposal.num_transforms", at + 7);
    return wire_end(b, d, "SA.proposal");
}

static int prop_decode(struct rd *r, struct ike_proposal *p, uint8_t prev, struct ike_pool *pool,
                       struct diag *d)
{
    static const struct substruct_names names = { "SA.proposal.length", "SA.proposal.last",
                                                  "SA.proposal.reserved" };
    size_t at = rd_offset(r);
    struct rd body;
    if (substruct_open(r, MORE_PROPOSALS, &names, &body, d))
        return r->err;
    return prop_body_decode(&body, p, prev, at, pool, d) ? rd_fail(r, body.err) : 0;
}

int ike_sa_decode(struct rd *r, struct ike_sa *sa, struct ike_pool *pool, struct diag *d)
{
    uint8_t prev = 0;
    sa->n_prop = 0;
    sa->prop = &pool->prop[pool->n_prop];
    if (!rd_left(r))
        return wire_fail(r, d, KITE_E_MALFORMED, "SA.proposal");
    while (rd_left(r)) {
        if (pool->n_prop == IKE_MAX_PROPOSALS)
            return wire_fail(r, d, KITE_E_TOO_MANY, "SA.proposal");
        struct ike_proposal *p = &pool->prop[pool->n_prop];
        *p = (struct ike_proposal){ 0 };
        if (prop_decode(r, p, prev, pool, d))
            return r->err;
        prev = p->num;
        pool->n_prop++;
        sa->n_prop++;
    }
    return wire_end(r, d, "SA");
}

static int attr_encode(struct wr *w, const struct ike_xf_attr *a)
{
    if (a->type & ATTR_AF)
        return w->err = w->err ? w->err : KITE_E_INVALID_ARG;
    if (a->tv) {
        wr_be16(w, (uint16_t)(ATTR_AF | a->type));
        return wr_be16(w, a->value);
    }
    wr_be16(w, a->type);
    size_t at = wr_reserve(w, 2);
    size_t start = w->len;
    wr_span(w, a->data);
    return wr_patch_len16(w, at, start);
}

static int xf_encode(struct wr *w, const struct ike_transform *xf, bool more)
{
    size_t start = w->len;
    wr_u8(w, more ? MORE_TRANSFORMS : 0);
    wr_u8(w, 0);
    size_t at = wr_reserve(w, 2);
    wr_u8(w, xf->type);
    wr_u8(w, 0);
    wr_be16(w, xf->id);
    for (uint8_t i = 0; i < xf->n_attrs; i++)
        attr_encode(w, &xf->attrs[i]);
    /* a transform built by hand may give the key length without attrs */
    if (!xf->n_attrs && xf->key_length) {
        wr_be16(w, ATTR_AF | XF_ATTR_KEY_LENGTH);
        wr_be16(w, xf->key_length);
    }
    return wr_patch_len16(w, at, start);
}

static int prop_encode(struct wr *w, const struct ike_proposal *p, bool more)
{
    if (p->spi.n > UINT8_MAX)
        return w->err = w->err ? w->err : KITE_E_INVALID_ARG;
    size_t start = w->len;
    wr_u8(w, more ? MORE_PROPOSALS : 0);
    wr_u8(w, 0);
    size_t at = wr_reserve(w, 2);
    wr_u8(w, p->num);
    wr_u8(w, p->proto);
    wr_u8(w, (uint8_t)p->spi.n);
    wr_u8(w, p->n_xf);
    wr_span(w, p->spi);
    for (uint8_t i = 0; i < p->n_xf; i++)
        xf_encode(w, &p->xf[i], i + 1 < p->n_xf);
    return wr_patch_len16(w, at, start);
}

int ike_sa_encode(struct wr *w, const struct ike_sa *sa)
{
    for (uint8_t i = 0; i < sa->n_prop; i++)
        prop_encode(w, &sa->prop[i], i + 1 < sa->n_prop);
    return w->err;
}
