/* auth: the PSK AUTH payload (RFC 7296 2.15):
 *   AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)
 *   InitiatorSignedOctets = RealMessage1 | NonceRData | prf(SK_pi, RestOfInitIDPayload)
 *   ResponderSignedOctets = RealMessage2 | NonceIData | prf(SK_pr, RestOfRespIDPayload)
 * RestOf...IDPayload is the ID payload body: type, three reserved bytes, data. */
#include <string.h>
#include "ike/ike_int.h"

int ike_psk_auth(const struct ikesa *sa, const struct secret *psk, bool for_initiator,
                 const struct ike_id *id, uint8_t *out, size_t *len)
{
    static const char pad[] = "Key Pad for IKEv2";
    uint8_t id_body[4 + IKE_ID_MAX], maced[64], key[64];
    size_t plen = prf_out_len(&sa->prf);
    if (!psk->n) /* no key (removed by a reload): nobody is authenticated */
        return KITE_E_AUTH_FAILED;
    if (id->data.n > IKE_ID_MAX || plen > sizeof maced)
        return KITE_E_INVALID_ARG;
    memset(id_body, 0, 4);
    id_body[0] = id->type;
    memcpy(id_body + 4, id->data.p, id->data.n);
    const struct secret *skp = for_initiator ? &sa->keys.sk_pi : &sa->keys.sk_pr;
    struct span idb = span_of(id_body, 4 + id->data.n), padsp = span_of(pad, sizeof pad - 1);
    int rc = prf_run(&sa->prf, secret_span(skp), &idb, 1, maced);
    if (!rc)
        rc = prf_run(&sa->prf, secret_span(psk), &padsp, 1, key);
    struct span octets[3] = {
        for_initiator ? span_of(sa->init_req, sa->init_req_len) : span_of(sa->init_resp, sa->init_resp_len),
        for_initiator ? span_of(sa->nr, sa->nr_len) : span_of(sa->ni, sa->ni_len),
        span_of(maced, plen),
    };
    if (!rc)
        rc = prf_run(&sa->prf, span_of(key, plen), octets, 3, out);
    *len = plen;
    mem_wipe(key, sizeof key);
    return rc;
}
