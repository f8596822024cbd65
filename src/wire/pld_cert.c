/* wire/pld_cert: the Certificate and Certificate Request payloads, RFC 7296
 * 3.6 and 3.7 (the same layout: an encoding byte, then data). */
#include "wire/pld.h"
#include "wire/wire_int.h"

int ike_cert_decode(struct rd *r, uint8_t type, struct ike_cert *c, struct diag *d)
{
    const char *field = type == IKEV2_PLD_CERTREQ ? "CERTREQ.encoding" : "CERT.encoding";
    rd_u8(r, &c->encoding);
    if (wire_check(r, d, field))
        return r->err;
    c->data = rd_rest(r);
    return 0;
}

int ike_cert_encode(struct wr *w, const struct ike_cert *c)
{
    wr_u8(w, c->encoding);
    return wr_span(w, c->data);
}
