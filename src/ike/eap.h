/* eap: an IKE SA's EAP authentication (RFC 7296 2.16) between IKE_AUTH's
 * first message and its last: the EAP rounds, the method (eap_mschapv2.c),
 * and what the last message needs from the first.
 *
 *   HDR, SK {IDi, [IDr,] SAi2, TSi, TSr}                 -->   (no AUTH: EAP follows)
 *                              <--  HDR, SK {IDr, [CERT,] AUTH, EAP}
 *   HDR, SK {EAP}  -->   <--  HDR, SK {EAP}  ...          (until EAP-Success)
 *   HDR, SK {AUTH}                                       -->   (AUTH keyed by the MSK)
 *                              <--  HDR, SK {AUTH, SAr2, TSi, TSr}
 *
 * The responder keeps the first request's payloads (re-encoded) to build the
 * Child SA at the end; the initiator keeps the responder's IDr, which the
 * last AUTH signs again. */
#ifndef KITE_IKE_EAP_H
#define KITE_IKE_EAP_H
#include <stdbool.h>
#include <stdint.h>
#include "ike/eap_mschapv2.h"
#include "ike/eap_tls.h"
#include "wire/msg.h"

struct ike_engine;
struct ikesa;

enum ike_eap_stage {
    IKE_EAP_START,    /* initiator: waiting for the responder's first EAP request */
    IKE_EAP_IDENTITY, /* server: EAP-Identity asked */
    IKE_EAP_METHOD,   /* the method runs */
    IKE_EAP_AUTH,     /* EAP succeeded: the MSK-keyed AUTH payloads are next */
};

struct ike_eap_sa {
    uint8_t stage;
    uint8_t next_id;             /* server: the next EAP identifier */
    uint32_t rounds;             /* client: EAP requests answered (bounded) */
    struct eap_mschapv2 m;
    char identity[EAPM_NAME_MAX + 1]; /* the EAP identity: asked for, configured, or the IKE identity */
    size_t identity_len;
    bool identity_any;           /* server: any user name may authenticate (eap_id = %any) */
    uint8_t *first;              /* responder: the first IKE_AUTH request's inner payloads */
    size_t first_len;
    uint8_t first_type;
    uint8_t idr_type;            /* initiator: the responder's IDr (malloc'd) */
    uint16_t idr_len;
    uint8_t *idr;
    /* EAP-TLS (eap_tls_sa.c) */
    uint8_t method;              /* EAP_TYPE_MSCHAPV2 or EAP_TYPE_TLS */
    struct eap_tls *tls;
    bool tls_idr_check;          /* client: the gateway's certificate must hold IDr */
    uint8_t id_type;             /* server: the EAP identity as the client's certificate must hold it */
    size_t id_len;
    uint8_t id_data[EAPM_NAME_MAX + 1];
    struct ike_engine *cur_e;    /* the engine and SA of the step under way (the verify callback's) */
    struct ikesa *cur_sa;
    char why[256];
};

/* a new EAP state for sa (sa->eap), as server or client of its connection; KITE_E_* */
int ike_eap_begin(struct ike_engine *e, struct ikesa *sa);
/* wipes and frees sa->eap */
void ike_eap_end(struct ikesa *sa);
/* the MSK is there: the AUTH payloads are keyed by it */
bool ike_eap_done(const struct ikesa *sa);
/* the MSK as a key for ike_psk_auth (valid while sa->eap is) */
struct secret ike_eap_msk(const struct ikesa *sa);

/* server: the first EAP request (EAP-Identity, or the method's challenge); KITE_E_* */
int ike_eap_server_first(struct ike_engine *e, struct ikesa *sa, const struct ike_id *idi, struct eapm_out *out);
/* a step with the peer's EAP packet: 0 and *out to send (out->code 0: nothing),
 * 1 when EAP succeeded (out may hold the EAP-Success to send), or a
 * KITE_E_* when refused (out may hold the EAP-Failure to send) */
int ike_eap_step(struct ike_engine *e, struct ikesa *sa, const struct ike_eap *in, struct eapm_out *out);

/* responder: keep the first request's payloads; a heap chain of them again
 * (free it with free()) with `extra` appended (NULL: none) */
int ike_eap_keep_first(struct ikesa *sa, const struct ike_chain *in);
struct ike_chain *ike_eap_first(const struct ikesa *sa, const struct ike_pld *extra);
/* initiator: keep IDr; a heap copy of `in` with the kept IDr appended */
/* eap_tls_sa.c: EAP-TLS for sa's EAP.  The client's state (KITE_E_*); the
 * server's, with its Start request (identifier eap_id); the identity the
 * client's certificate must hold (type 0: x->identity's text, parsed); a
 * step as ike_eap_step */
int ike_eap_tls_client(struct ike_engine *e, struct ikesa *sa);
int ike_eap_tls_start(struct ike_engine *e, struct ikesa *sa, uint8_t eap_id, struct eapm_out *out);
int ike_eap_tls_set_id(struct ike_eap_sa *x, uint8_t type, struct span data);
int ike_eap_tls_step(struct ike_engine *e, struct ikesa *sa, const struct ike_eap *in, struct eapm_out *out);

int ike_eap_keep_idr(struct ikesa *sa, const struct ike_id *idr);
struct ike_chain *ike_eap_with_idr(const struct ikesa *sa, const struct ike_chain *in);

#endif
