/* wire/names: IANA names for IKEv2 numbers, for logs and diagnostics. */
#include "wire/ike.h"

const char *ike_notify_name(uint16_t type)
{
    switch (type) {
#define IKEV2_N_CASE(name, value) \
    case value:                   \
        return #name;
        IKEV2_NOTIFY_TYPES(IKEV2_N_CASE)
#undef IKEV2_N_CASE
    }
    return NULL;
}

/* RFC 7296 notation (SA, KE, IDi...) as used in the exchange diagrams */
const char *ike_payload_name(uint8_t type)
{
    static const char *const names[] = {
        [IKEV2_PLD_SA] = "SA",       [IKEV2_PLD_KE] = "KE",         [IKEV2_PLD_IDI] = "IDi",
        [IKEV2_PLD_IDR] = "IDr",     [IKEV2_PLD_CERT] = "CERT",     [IKEV2_PLD_CERTREQ] = "CERTREQ",
        [IKEV2_PLD_AUTH] = "AUTH",   [IKEV2_PLD_NONCE] = "Nonce",   [IKEV2_PLD_NOTIFY] = "N",
        [IKEV2_PLD_DELETE] = "D",    [IKEV2_PLD_VENDOR] = "V",      [IKEV2_PLD_TSI] = "TSi",
        [IKEV2_PLD_TSR] = "TSr",     [IKEV2_PLD_SK] = "SK",         [IKEV2_PLD_CP] = "CP",
        [IKEV2_PLD_EAP] = "EAP",     [IKEV2_PLD_SKF] = "SKF",
    };
    return type < sizeof names / sizeof names[0] ? names[type] : NULL;
}

const char *ike_exchange_name(uint8_t type)
{
    switch (type) {
    case IKEV2_EXCH_IKE_SA_INIT: return "IKE_SA_INIT";
    case IKEV2_EXCH_IKE_AUTH: return "IKE_AUTH";
    case IKEV2_EXCH_CREATE_CHILD_SA: return "CREATE_CHILD_SA";
    case IKEV2_EXCH_INFORMATIONAL: return "INFORMATIONAL";
    case IKEV2_EXCH_IKE_SESSION_RESUME: return "IKE_SESSION_RESUME";
    case IKEV2_EXCH_GSA_AUTH: return "GSA_AUTH";
    case IKEV2_EXCH_GSA_REGISTRATION: return "GSA_REGISTRATION";
    case IKEV2_EXCH_GSA_REKEY: return "GSA_REKEY";
    case IKEV2_EXCH_GSA_INBAND_REKEY: return "GSA_INBAND_REKEY";
    case IKEV2_EXCH_IKE_INTERMEDIATE: return "IKE_INTERMEDIATE";
    case IKEV2_EXCH_IKE_FOLLOWUP_KE: return "IKE_FOLLOWUP_KE";
    }
    return NULL;
}

const char *ike_proto_name(uint8_t proto)
{
    switch (proto) {
    case IKEV2_PROTO_IKE: return "IKE";
    case IKEV2_PROTO_AH: return "AH";
    case IKEV2_PROTO_ESP: return "ESP";
    }
    return NULL;
}
