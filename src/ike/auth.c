/* auth: what the AUTH payload signs or MACs (RFC 7296 2.15):
 *   InitiatorSignedOctets = RealMessage1 | NonceRData | prf(SK_pi, RestOfInitIDPayload)
 *   ResponderSignedOctets = RealMessage2 | NonceIData | prf(SK_pr, RestOfRespIDPayload)
 * RestOf...IDPayload is the ID payload body: type, three reserved bytes, data.
 * PSK:  AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)
 * keys: AUTH = a signature over <SignedOctets> (auth_pubkey.c, RFC 7427). */
#include <string.h>
#include "ike/ike_int.h"

int ike_auth_octets(const struct ikesa *sa, bool for_initiator, const struct ike_id *id, uint8_t *maced,
                    struct span oct[3])
{
    uint8_t id_body[4 + IKE_ID_MAX];
    size_t plen = prf_out_len(&sa->prf);
    if (id->data.n > IKE_ID_MAX || plen > IKE_PRF_MAX)
        return KITE_E_INVALID_ARG;
    memset(id_body, 0, 4);
    id_body[0] = id->type;
    memcpy(id_body + 4, id->data.p, id->data.n);
    const struct secret *skp = for_initiator ? &sa->keys.sk_pi : &sa->keys.sk_pr;
    struct span idb = span_of(id_body, 4 + id->data.n);
    int rc = prf_run(&sa->prf, secret_span(skp), &idb, 1, maced);
    oct[0] = for_initiator ? span_of(sa->init_req, sa->init_req_len) : span_of(sa->init_resp, sa->init_resp_len);
    oct[1] = for_initiator ? span_of(sa->nr, sa->nr_len) : span_of(sa->ni, sa->ni_len);
    oct[2] = span_of(maced, plen);
    return rc;
}

int ike_psk_auth(const struct ikesa *sa, const struct secret *psk, bool for_initiator,
                 const struct ike_id *id, uint8_t *out, size_t *len)
{
    static const char pad[] = "Key Pad for IKEv2";
    uint8_t maced[IKE_PRF_MAX], key[IKE_PRF_MAX];
    size_t plen = prf_out_len(&sa->prf);
    struct span octets[3], padsp = span_of(pad, sizeof pad - 1);
    if (!psk->n) /* no key (removed by a reload): nobody is authenticated */
        return KITE_E_AUTH_FAILED;
    int rc = ike_auth_octets(sa, for_initiator, id, maced, octets);
    if (!rc)
        rc = prf_run(&sa->prf, secret_span(psk), &padsp, 1, key);
    if (!rc)
        rc = prf_run(&sa->prf, span_of(key, plen), octets, 3, out);
    *len = plen;
    mem_wipe(key, sizeof key);
    return rc;
}
