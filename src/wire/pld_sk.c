/* wire/pld_sk: the outer shape of the Encrypted payload (RFC 7296 3.14) and
 * the Encrypted Fragment payload (RFC 7383 2.5).  The bodies stay opaque
 * here; wire/sk decrypts them with keys handed in. */
#include "wire/pld.h"
#include "wire/wire_int.h"

int ike_sk_decode(struct rd *r, uint8_t next, struct ike_sk *sk, struct diag *d)
{
    sk->first = next;
    sk->body = rd_rest(r);
    return wire_end(r, d, "SK");
}

int ike_sk_encode(struct wr *w, const struct ike_sk *sk)
{
    return wr_span(w, sk->body);
}

int ike_skf_decode(struct rd *r, uint8_t next, struct ike_skf *skf, struct diag *d)
{
    size_t at = rd_offset(r);
    skf->first = next;
    rd_be16(r, &skf->frag_num);
    rd_be16(r, &skf->frag_total);
    if (wire_check(r, d, "SKF"))
        return r->err;
    /* 2.5: fragments are numbered from 1 up to the total */
    if (skf->frag_total == 0)
        return diag_set(d, rd_fail(r, KITE_E_MALFORMED), "SKF.total_fragments", at + 2);
    if (skf->frag_num == 0 || skf->frag_num > skf->frag_total)
        return diag_set(d, rd_fail(r, KITE_E_MALFORMED), "SKF.fragment_number", at);
    skf->body = rd_rest(r);
    return wire_end(r, d, "SKF");
}

int ike_skf_encode(struct wr *w, const struct ike_skf *skf)
{
    wr_be16(w, skf->frag_num);
    wr_be16(w, skf->frag_total);
    return wr_span(w, skf->body);
}
