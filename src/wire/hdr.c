/* wire/hdr: the fixed IKE header, RFC 7296 3.1. */
#include "wire/ike.h"
#include "wire/wire_int.h"

int ike_hdr_decode(struct rd *r, struct ike_hdr *h, struct diag *d)
{
    size_t total = rd_left(r);
    rd_be64(r, &h->spi_i);
    rd_be64(r, &h->spi_r);
    rd_u8(r, &h->next_payload);
    rd_u8(r, &h->version);
    rd_u8(r, &h->exchange);
    rd_u8(r, &h->flags);
    rd_be32(r, &h->msg_id);
    rd_be32(r, &h->length);
    if (wire_check(r, d, "hdr"))
        return r->err;
    size_t at = rd_offset(r) - IKE_HDR_LEN;
    /* 3.1: a higher major version is answered with INVALID_MAJOR_VERSION; the
     * minor version is ignored (and kept for re-encode) */
    if (h->version >> 4 != IKE_MAJOR_VERSION)
        return diag_set(d, rd_fail(r, KITE_E_BAD_VERSION), "hdr.version", at + 17);
    if (h->length < IKE_HDR_LEN || h->length != total)
        return diag_set(d, rd_fail(r, KITE_E_BAD_LENGTH), "hdr.length", at + 24);
    return 0;
}

int ike_hdr_encode(struct wr *w, const struct ike_hdr *h, uint8_t next_payload, size_t *len_at)
{
    wr_be64(w, h->spi_i);
    wr_be64(w, h->spi_r);
    wr_u8(w, next_payload);
    wr_u8(w, h->version);
    wr_u8(w, h->exchange);
    wr_u8(w, h->flags);
    wr_be32(w, h->msg_id);
    *len_at = wr_reserve(w, 4);
    return w->err;
}

int ike_hdr_patch_len(struct wr *w, size_t len_at, size_t start)
{
    if (w->err)
        return w->err;
    if (start > w->len || w->len - start > UINT32_MAX)
        return w->err = KITE_E_BAD_LENGTH;
    return wr_put_be32(w, len_at, (uint32_t)(w->len - start));
}
