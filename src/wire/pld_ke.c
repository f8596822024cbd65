/* wire/pld_ke: the Key Exchange payload, RFC 7296 3.4. */
#include "wire/pld.h"
#include "wire/wire_int.h"

int ike_ke_decode(struct rd *r, struct ike_ke *ke, struct diag *d)
{
    uint16_t res;
    rd_be16(r, &ke->group);
    rd_be16(r, &res);
    if (wire_check(r, d, "KE"))
        return r->err;
    if (res)
        return diag_set(d, rd_fail(r, KITE_E_RESERVED), "KE.reserved", rd_offset(r) - 2);
    /* the length of the data is a property of the group, checked by crypto */
    ke->data = rd_rest(r);
    return wire_end(r, d, "KE");
}

int ike_ke_encode(struct wr *w, const struct ike_ke *ke)
{
    wr_be16(w, ke->group);
    wr_be16(w, 0);
    return wr_span(w, ke->data);
}
