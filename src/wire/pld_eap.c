/* wire/pld_eap: the EAP payload, RFC 7296 3.16, carrying one EAP packet
 * (RFC 3748 4) whose own length must fill the payload exactly. */
#include "wire/pld.h"
#include "wire/wire_int.h"

static bool has_type(uint8_t code)
{
    return code == EAP_CODE_REQUEST || code == EAP_CODE_RESPONSE;
}

int ike_eap_decode(struct rd *r, struct ike_eap *eap, struct diag *d)
{
    size_t at = rd_offset(r);
    size_t total = rd_left(r);
    uint16_t len;
    rd_u8(r, &eap->code);
    rd_u8(r, &eap->id);
    rd_be16(r, &len);
    if (wire_check(r, d, "EAP"))
        return r->err;
    if (len != total || (has_type(eap->code) && len < 5))
        return diag_set(d, rd_fail(r, KITE_E_BAD_LENGTH), "EAP.length", at + 2);
    eap->type = 0;
    if (has_type(eap->code))
        rd_u8(r, &eap->type);
    eap->data = rd_rest(r);
    return wire_end(r, d, "EAP");
}

int ike_eap_encode(struct wr *w, const struct ike_eap *eap)
{
    size_t start = w->len;
    wr_u8(w, eap->code);
    wr_u8(w, eap->id);
    size_t at = wr_reserve(w, 2);
    if (has_type(eap->code))
        wr_u8(w, eap->type);
    wr_span(w, eap->data);
    return wr_patch_len16(w, at, start);
}
