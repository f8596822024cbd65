/* wire/pld_vendor: the Vendor ID payload, RFC 7296 3.12. */
#include "wire/pld.h"
#include "wire/wire_int.h"

int ike_vendor_decode(struct rd *r, struct ike_vendor *v, struct diag *d)
{
    v->data = rd_rest(r);
    return wire_end(r, d, "V");
}

int ike_vendor_encode(struct wr *w, const struct ike_vendor *v)
{
    return wr_span(w, v->data);
}
