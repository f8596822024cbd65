/* wire/pld_nonce: the Nonce payload, RFC 7296 3.9: "between 16 and 256
 * octets", so a short nonce cannot weaken the key derivation. */
#include "wire/pld.h"
#include "wire/wire_int.h"

int ike_nonce_decode(struct rd *r, struct ike_nonce *n, struct diag *d)
{
    size_t len = rd_left(r);
    if (len < IKE_NONCE_MIN || len > IKE_NONCE_MAX)
        return wire_fail(r, d, KITE_E_BAD_LENGTH, "Nonce.length");
    n->data = rd_rest(r);
    return wire_end(r, d, "Nonce");
}

int ike_nonce_encode(struct wr *w, const struct ike_nonce *n)
{
    if (n->data.n < IKE_NONCE_MIN || n->data.n > IKE_NONCE_MAX)
        return w->err = w->err ? w->err : KITE_E_INVALID_ARG;
    return wr_span(w, n->data);
}
