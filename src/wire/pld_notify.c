/* wire/pld_notify: the Notify payload, RFC 7296 3.10. */
#include "wire/pld.h"
#include "wire/wire_int.h"

int ike_notify_decode(struct rd *r, struct ike_notify *n, struct diag *d)
{
    uint8_t spi_size;
    rd_u8(r, &n->proto);
    rd_u8(r, &spi_size);
    rd_be16(r, &n->type);
    if (wire_check(r, d, "N"))
        return r->err;
    /* the protocol is "ignored on receipt" when there is no SPI: kept as is */
    rd_span(r, spi_size, &n->spi);
    if (wire_check(r, d, "N.spi"))
        return r->err;
    n->data = rd_rest(r);
    return wire_end(r, d, "N");
}

int ike_notify_encode(struct wr *w, const struct ike_notify *n)
{
    if (n->spi.n > UINT8_MAX)
        return w->err = w->err ? w->err : KITE_E_INVALID_ARG;
    wr_u8(w, n->proto);
    wr_u8(w, (uint8_t)n->spi.n);
    wr_be16(w, n->type);
    wr_span(w, n->spi);
    return wr_span(w, n->data);
}
