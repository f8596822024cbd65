/* wire/ike: IKEv2 wire numbers (IANA "Internet Key Exchange Version 2 (IKEv2)
 * Parameters") and the fixed IKE header (RFC 7296 3.1).
 *
 * Numbers carry their IANA names.  The name functions return a static string,
 * or NULL for a value kite does not know (the caller prints the number). */
#ifndef KITE_WIRE_IKE_H
#define KITE_WIRE_IKE_H
#include <stdbool.h>
#include <stdint.h>
#include "base/err.h"
#include "base/rd.h"
#include "base/wr.h"

enum {
    IKE_HDR_LEN = 28,    /* RFC 7296 3.1 */
    IKE_PLD_HDR_LEN = 4, /* generic payload header, 3.2 */
    IKE_MAJOR_VERSION = 2,
    IKE_VERSION_2_0 = 0x20,
};

/* Header flags (3.1).  The other five bits are reserved: ignored on receipt
 * and kept as received so a message re-encodes byte for byte. */
enum { IKE_FLAG_I = 0x08, IKE_FLAG_V = 0x10, IKE_FLAG_R = 0x20 };

/* IKEv2 Payload Types */
enum {
    IKEV2_PLD_NONE = 0,
    IKEV2_PLD_SA = 33,
    IKEV2_PLD_KE = 34,
    IKEV2_PLD_IDI = 35,
    IKEV2_PLD_IDR = 36,
    IKEV2_PLD_CERT = 37,
    IKEV2_PLD_CERTREQ = 38,
    IKEV2_PLD_AUTH = 39,
    IKEV2_PLD_NONCE = 40,
    IKEV2_PLD_NOTIFY = 41,
    IKEV2_PLD_DELETE = 42,
    IKEV2_PLD_VENDOR = 43,
    IKEV2_PLD_TSI = 44,
    IKEV2_PLD_TSR = 45,
    IKEV2_PLD_SK = 46,
    IKEV2_PLD_CP = 47,
    IKEV2_PLD_EAP = 48,
    IKEV2_PLD_SKF = 53, /* RFC 7383 */
};

/* IKEv2 Exchange Types */
enum {
    IKEV2_EXCH_IKE_SA_INIT = 34,
    IKEV2_EXCH_IKE_AUTH = 35,
    IKEV2_EXCH_CREATE_CHILD_SA = 36,
    IKEV2_EXCH_INFORMATIONAL = 37,
    IKEV2_EXCH_IKE_SESSION_RESUME = 38, /* RFC 5723 */
    IKEV2_EXCH_GSA_AUTH = 39,           /* G-IKEv2 */
    IKEV2_EXCH_GSA_REGISTRATION = 40,
    IKEV2_EXCH_GSA_REKEY = 41,
    IKEV2_EXCH_GSA_INBAND_REKEY = 42,
    IKEV2_EXCH_IKE_INTERMEDIATE = 43, /* RFC 9242 */
    IKEV2_EXCH_IKE_FOLLOWUP_KE = 44,  /* RFC 9370 */
};

/* IKEv2 Security Protocol Identifiers */
enum { IKEV2_PROTO_IKE = 1, IKEV2_PROTO_AH = 2, IKEV2_PROTO_ESP = 3 };

/* IKEv2 Identification Payload ID Types */
enum {
    IKEV2_ID_IPV4_ADDR = 1, IKEV2_ID_FQDN = 2, IKEV2_ID_RFC822_ADDR = 3, IKEV2_ID_IPV6_ADDR = 5,
    IKEV2_ID_DER_ASN1_DN = 9, IKEV2_ID_DER_ASN1_GN = 10, IKEV2_ID_KEY_ID = 11,
    IKEV2_ID_FC_NAME = 12, IKEV2_ID_NULL = 13,
};

/* IKEv2 Certificate Encodings (the common ones) */
enum {
    IKEV2_CERT_X509_SIG = 4, IKEV2_CERT_CRL = 7, IKEV2_CERT_RAW_RSA_KEY = 11,
    IKEV2_CERT_HASH_URL_X509 = 12, IKEV2_CERT_HASH_URL_BUNDLE = 13,
};

/* IKEv2 Authentication Method */
enum {
    IKEV2_AUTH_RSA_SIG = 1, IKEV2_AUTH_SHARED_KEY_MIC = 2, IKEV2_AUTH_DSS_SIG = 3,
    IKEV2_AUTH_ECDSA_SHA256_P256 = 9, IKEV2_AUTH_ECDSA_SHA384_P384 = 10,
    IKEV2_AUTH_ECDSA_SHA512_P521 = 11, IKEV2_AUTH_GSPAM = 12, IKEV2_AUTH_NULL = 13,
    IKEV2_AUTH_DIGITAL_SIGNATURE = 14, /* RFC 7427 */
};

/* IKEv2 Traffic Selector Types */
enum { IKEV2_TS_IPV4_ADDR_RANGE = 7, IKEV2_TS_IPV6_ADDR_RANGE = 8, IKEV2_TS_SECLABEL = 10 };

/* IKEv2 Configuration Payload CFG Types and (some) Attribute Types */
enum { IKEV2_CFG_REQUEST = 1, IKEV2_CFG_REPLY = 2, IKEV2_CFG_SET = 3, IKEV2_CFG_ACK = 4 };
enum {
    IKEV2_CFGA_INTERNAL_IP4_ADDRESS = 1, IKEV2_CFGA_INTERNAL_IP4_NETMASK = 2,
    IKEV2_CFGA_INTERNAL_IP4_DNS = 3, IKEV2_CFGA_INTERNAL_IP4_NBNS = 4,
    IKEV2_CFGA_INTERNAL_IP4_DHCP = 6, IKEV2_CFGA_APPLICATION_VERSION = 7,
    IKEV2_CFGA_INTERNAL_IP6_ADDRESS = 8, IKEV2_CFGA_INTERNAL_IP6_DNS = 10,
    IKEV2_CFGA_INTERNAL_IP6_DHCP = 12, IKEV2_CFGA_INTERNAL_IP4_SUBNET = 13,
    IKEV2_CFGA_SUPPORTED_ATTRIBUTES = 14, IKEV2_CFGA_INTERNAL_IP6_SUBNET = 15,
};

/* EAP codes (RFC 3748 4) */
enum { EAP_CODE_REQUEST = 1, EAP_CODE_RESPONSE = 2, EAP_CODE_SUCCESS = 3, EAP_CODE_FAILURE = 4 };

/* IKEv2 Notify Message Types: errors below 16384, status types from 16384 */
#define IKEV2_NOTIFY_TYPES(X)                                     \
    X(UNSUPPORTED_CRITICAL_PAYLOAD, 1)                            \
    X(INVALID_IKE_SPI, 4)                                         \
    X(INVALID_MAJOR_VERSION, 5)                                   \
    X(INVALID_SYNTAX, 7)                                          \
    X(INVALID_MESSAGE_ID, 9)                                      \
    X(INVALID_SPI, 11)                                            \
    X(NO_PROPOSAL_CHOSEN, 14)                                     \
    X(INVALID_KE_PAYLOAD, 17)                                     \
    X(AUTHENTICATION_FAILED, 24)                                  \
    X(SINGLE_PAIR_REQUIRED, 34)                                   \
    X(NO_ADDITIONAL_SAS, 35)                                      \
    X(INTERNAL_ADDRESS_FAILURE, 36)                               \
    X(FAILED_CP_REQUIRED, 37)                                     \
    X(TS_UNACCEPTABLE, 38)                                        \
    X(INVALID_SELECTORS, 39)                                      \
    X(UNACCEPTABLE_ADDRESSES, 40)                                 \
    X(UNEXPECTED_NAT_DETECTED, 41)                                \
    X(USE_ASSIGNED_HoA, 42)                                       \
    X(TEMPORARY_FAILURE, 43)                                      \
    X(CHILD_SA_NOT_FOUND, 44)                                     \
    X(INVALID_GROUP_ID, 45)                                       \
    X(AUTHORIZATION_FAILED, 46)                                   \
    X(STATE_NOT_FOUND, 47)                                        \
    X(INITIAL_CONTACT, 16384)                                     \
    X(SET_WINDOW_SIZE, 16385)                                     \
    X(ADDITIONAL_TS_POSSIBLE, 16386)                              \
    X(IPCOMP_SUPPORTED, 16387)                                    \
    X(NAT_DETECTION_SOURCE_IP, 16388)                             \
    X(NAT_DETECTION_DESTINATION_IP, 16389)                        \
    X(COOKIE, 16390)                                              \
    X(USE_TRANSPORT_MODE, 16391)                                  \
    X(HTTP_CERT_LOOKUP_SUPPORTED, 16392)                          \
    X(REKEY_SA, 16393)                                            \
    X(ESP_TFC_PADDING_NOT_SUPPORTED, 16394)                       \
    X(NON_FIRST_FRAGMENTS_ALSO, 16395)                            \
    X(MOBIKE_SUPPORTED, 16396)                                    \
    X(ADDITIONAL_IP4_ADDRESS, 16397)                              \
    X(ADDITIONAL_IP6_ADDRESS, 16398)                              \
    X(NO_ADDITIONAL_ADDRESSES, 16399)                             \
    X(UPDATE_SA_ADDRESSES, 16400)                                 \
    X(COOKIE2, 16401)                                             \
    X(NO_NATS_ALLOWED, 16402)                                     \
    X(AUTH_LIFETIME, 16403)                                       \
    X(MULTIPLE_AUTH_SUPPORTED, 16404)                             \
    X(ANOTHER_AUTH_FOLLOWS, 16405)                                \
    X(REDIRECT_SUPPORTED, 16406)                                  \
    X(REDIRECT, 16407)                                            \
    X(REDIRECTED_FROM, 16408)                                     \
    X(TICKET_LT_OPAQUE, 16409)                                    \
    X(TICKET_REQUEST, 16410)                                      \
    X(TICKET_ACK, 16411)                                          \
    X(TICKET_NACK, 16412)                                         \
    X(TICKET_OPAQUE, 16413)                                       \
    X(LINK_ID, 16414)                                             \
    X(USE_WESP_MODE, 16415)                                       \
    X(ROHC_SUPPORTED, 16416)                                      \
    X(EAP_ONLY_AUTHENTICATION, 16417)                             \
    X(CHILDLESS_IKEV2_SUPPORTED, 16418)                           \
    X(QUICK_CRASH_DETECTION, 16419)                               \
    X(IKEV2_MESSAGE_ID_SYNC_SUPPORTED, 16420)                     \
    X(IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED, 16421)                 \
    X(IKEV2_MESSAGE_ID_SYNC, 16422)                               \
    X(IPSEC_REPLAY_COUNTER_SYNC, 16423)                           \
    X(SECURE_PASSWORD_METHODS, 16424)                             \
    X(PSK_PERSIST, 16425)                                         \
    X(PSK_CONFIRM, 16426)                                         \
    X(ERX_SUPPORTED, 16427)                                       \
    X(IFOM_CAPABILITY, 16428)                                     \
    X(SENDER_REQUEST_ID, 16429)                                   \
    X(IKEV2_FRAGMENTATION_SUPPORTED, 16430)                       \
    X(SIGNATURE_HASH_ALGORITHMS, 16431)                           \
    X(CLONE_IKE_SA_SUPPORTED, 16432)                              \
    X(CLONE_IKE_SA, 16433)                                        \
    X(PUZZLE, 16434)                                              \
    X(USE_PPK, 16435)                                             \
    X(PPK_IDENTITY, 16436)                                        \
    X(NO_PPK_AUTH, 16437)                                         \
    X(INTERMEDIATE_EXCHANGE_SUPPORTED, 16438)                     \
    X(IP4_ALLOWED, 16439)                                         \
    X(IP6_ALLOWED, 16440)                                         \
    X(ADDITIONAL_KEY_EXCHANGE, 16441)                             \
    X(USE_AGGFRAG, 16442)                                         \
    X(SUPPORTED_AUTH_METHODS, 16443)

#define IKEV2_N_ENUM(name, value) IKEV2_N_##name = value,
enum { IKEV2_NOTIFY_TYPES(IKEV2_N_ENUM) };
#undef IKEV2_N_ENUM

/* first status type; everything below is an error type (3.10.1) */
enum { IKEV2_N_STATUS_FIRST = 16384 };

const char *ike_notify_name(uint16_t type);
const char *ike_payload_name(uint8_t type);
const char *ike_exchange_name(uint8_t type);
const char *ike_proto_name(uint8_t proto);

/* The fixed IKE header (3.1).  Decoded fields are kept as received, including
 * the minor version and reserved flag bits, so a message re-encodes exactly. */
struct ike_hdr {
    uint64_t spi_i, spi_r;
    uint8_t next_payload; /* as received; the encoder writes the chain's first type */
    uint8_t version;      /* major << 4 | minor */
    uint8_t exchange;
    uint8_t flags;
    uint32_t msg_id;
    uint32_t length; /* as received; the encoder patches it */
};

/* Read the 28-byte header.  Major version 2 only (else KITE_E_BAD_VERSION); the
 * length field must equal the bytes given and be at least 28.  r must start at
 * the datagram's first byte and span exactly the datagram. */
int ike_hdr_decode(struct rd *r, struct ike_hdr *h, struct diag *d);
/* Write the header with next_payload given and a zero length; *len_at gets the
 * offset of the length field for ike_hdr_patch_len() once the body is written. */
int ike_hdr_encode(struct wr *w, const struct ike_hdr *h, uint8_t next_payload, size_t *len_at);
/* fill the header's length with everything written since `start` */
int ike_hdr_patch_len(struct wr *w, size_t len_at, size_t start);

static inline bool ike_hdr_is_response(const struct ike_hdr *h)
{
    return (h->flags & IKE_FLAG_R) != 0;
}

#endif
