/* wire/pld_cp: the Configuration payload, RFC 7296 3.15. */
#include "wire/pld.h"
#include "wire/wire_int.h"

enum { CP_ATTR_RESERVED = 0x8000 };

static int cp_attr_decode(struct rd *r, struct ike_cp_attr *a, struct diag *d)
{
    size_t at = rd_offset(r);
    uint16_t t, len;
    rd_be16(r, &t);
    rd_be16(r, &len);
    if (wire_check(r, d, "CP.attribute"))
        return r->err;
    if (t & CP_ATTR_RESERVED)
        return diag_set(d, rd_fail(r, KITE_E_RESERVED), "CP.attribute.reserved", at);
    if (len > rd_left(r))
        return diag_set(d, rd_fail(r, KITE_E_BAD_LENGTH), "CP.attribute.length", at + 2);
    a->type = t;
    rd_span(r, len, &a->value);
    return 0;
}

int ike_cp_decode(struct rd *r, struct ike_cp *cp, struct ike_pool *pool, struct diag *d)
{
    size_t at = rd_offset(r);
    uint8_t res[3];
    rd_u8(r, &cp->type);
    rd_copy(r, res, sizeof res);
    if (wire_check(r, d, "CP"))
        return r->err;
    if (res[0] | res[1] | res[2])
        return diag_set(d, rd_fail(r, KITE_E_RESERVED), "CP.reserved", at + 1);
    cp->n = 0;
    cp->attrs = &pool->cpa[pool->n_cpa];
    while (rd_left(r)) {
        if (pool->n_cpa == IKE_MAX_CP_ATTRS || cp->n == UINT8_MAX)
            return wire_fail(r, d, KITE_E_TOO_MANY, "CP.attribute");
        pool->cpa[pool->n_cpa] = (struct ike_cp_attr){ 0 };
        if (cp_attr_decode(r, &pool->cpa[pool->n_cpa], d))
            return r->err;
        pool->n_cpa++;
        cp->n++;
    }
    return wire_end(r, d, "CP");
}

int ike_cp_encode(struct wr *w, const struct ike_cp *cp)
{
    wr_u8(w, cp->type);
    wr_zero(w, 3);
    for (uint8_t i = 0; i < cp->n; i++) {
        const struct ike_cp_attr *a = &cp->attrs[i];
        if (a->type & CP_ATTR_RESERVED)
            return w->err = w->err ? w->err : KITE_E_INVALID_ARG;
        wr_be16(w, a->type);
        size_t at = wr_reserve(w, 2);
        size_t start = w->len;
        wr_span(w, a->value);
        wr_patch_len16(w, at, start);
    }
    return w->err;
}
