/* wire/pld_id: the Identification payloads IDi and IDr, RFC 7296 3.5. */
#include "wire/pld.h"
#include "wire/wire_int.h"

int ike_id_decode(struct rd *r, struct ike_id *id, struct diag *d)
{
    uint8_t res[3];
    rd_u8(r, &id->type);
    rd_copy(r, res, sizeof res);
    if (wire_check(r, d, "ID"))
        return r->err;
    if (res[0] | res[1] | res[2])
        return diag_set(d, rd_fail(r, KITE_E_RESERVED), "ID.reserved", rd_offset(r) - 3);
    /* what the data means (an address, a DN...) is the auth layer's business;
     * it is also signed over as a whole (2.15), so it is kept as received */
    id->data = rd_rest(r);
    return wire_end(r, d, "ID");
}

int ike_id_encode(struct wr *w, const struct ike_id *id)
{
    wr_u8(w, id->type);
    wr_zero(w, 3);
    return wr_span(w, id->data);
}
