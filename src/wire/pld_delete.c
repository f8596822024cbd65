/* wire/pld_delete: the Delete payload, RFC 7296 3.11. */
#include "wire/pld.h"
#include "wire/wire_int.h"

static bool spi_size_ok(uint8_t proto, uint8_t size)
{
    switch (proto) {
    case IKEV2_PROTO_IKE: return size == 0; /* the IKE SA the message travels in */
    case IKEV2_PROTO_AH:
    case IKEV2_PROTO_ESP: return size == 4;
    }
    return false;
}

int ike_delete_decode(struct rd *r, struct ike_delete *del, struct diag *d)
{
    size_t at = rd_offset(r);
    rd_u8(r, &del->proto);
    rd_u8(r, &del->spi_size);
    rd_be16(r, &del->count);
    if (wire_check(r, d, "D"))
        return r->err;
    if (del->proto < IKEV2_PROTO_IKE || del->proto > IKEV2_PROTO_ESP)
        return diag_set(d, rd_fail(r, KITE_E_MALFORMED), "D.protocol", at);
    if (!spi_size_ok(del->proto, del->spi_size))
        return diag_set(d, rd_fail(r, KITE_E_MALFORMED), "D.spi_size", at + 1);
    if ((size_t)del->count * del->spi_size != rd_left(r))
        return diag_set(d, rd_fail(r, KITE_E_BAD_LENGTH), "D.count", at + 2);
    del->spis = rd_rest(r);
    return wire_end(r, d, "D");
}

uint32_t ike_delete_spi(const struct ike_delete *del, uint16_t i)
{
    struct rd r;
    uint32_t spi = 0;
    if (del->spi_size != 4 || i >= del->count)
        return 0;
    rd_init(&r, del->spis.p, del->spis.n);
    rd_skip(&r, (size_t)i * 4);
    rd_be32(&r, &spi);
    return spi;
}

int ike_delete_encode(struct wr *w, const struct ike_delete *del)
{
    if ((size_t)del->count * del->spi_size != del->spis.n)
        return w->err = w->err ? w->err : KITE_E_INVALID_ARG;
    wr_u8(w, del->proto);
    wr_u8(w, del->spi_size);
    wr_be16(w, del->count);
    return wr_span(w, del->spis);
}
