/* wire/pld_auth: the Authentication payload, RFC 7296 3.8. */
#include "wire/pld.h"
#include "wire/wire_int.h"

int ike_auth_decode(struct rd *r, struct ike_auth *a, struct diag *d)
{
    uint8_t res[3];
    rd_u8(r, &a->method);
    rd_copy(r, res, sizeof res);
    if (wire_check(r, d, "AUTH"))
        return r->err;
    if (res[0] | res[1] | res[2])
        return diag_set(d, rd_fail(r, KITE_E_RESERVED), "AUTH.reserved", rd_offset(r) - 3);
    a->data = rd_rest(r);
    return wire_end(r, d, "AUTH");
}

int ike_auth_encode(struct wr *w, const struct ike_auth *a)
{
    wr_u8(w, a->method);
    wr_zero(w, 3);
    return wr_span(w, a->data);
}
