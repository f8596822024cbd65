/* eap_mschapv2: the EAP-MSCHAPv2 method (draft-kamath-pppext-eap-mschapv2,
 * the packets Windows, strongSwan and every phone speak; RFC 2759 for the
 * computations) as two small state machines, server and client, with no I/O:
 * each is fed the peer's EAP packet and writes the next one.  The IKE_AUTH
 * exchange carries them in EAP payloads (RFC 7296 2.16) and signs its AUTH
 * with the MSK they leave.
 *
 * The server never tells a wrong user name from a wrong password (both end
 * in EAP-Failure, logged alike to the peer) and compares the NT-Response in
 * constant time; the client checks the server's authenticator response before
 * it accepts Success, so a gateway without the password cannot finish. */
#ifndef KITE_IKE_EAP_MSCHAPV2_H
#define KITE_IKE_EAP_MSCHAPV2_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "crypto/mschap.h"

enum { EAP_TYPE_IDENTITY = 1, EAP_TYPE_NAK = 3, EAP_TYPE_MSCHAPV2 = 26 };
enum { EAPM_NAME_MAX = 255, EAPM_OUT_MAX = 1400 /* EAP-TLS fragments: eap_tls.h */ };

/* the result of a step */
enum eapm_rc {
    EAPM_CONTINUE = 0, /* send *out and wait for the peer's next packet */
    EAPM_SUCCESS = 1,  /* done, the peer authenticated (server) / we did (client); MSK ready; *out may hold a last packet */
    EAPM_FAILURE = -1, /* done, refused: *out holds the packet to send if its len is non-zero */
};

/* an EAP packet to send: code, identifier, type (Request/Response only) and data */
struct eapm_out {
    uint8_t code, id, type;
    size_t len;
    uint8_t data[EAPM_OUT_MAX];
};

/* the server's NT hash of a user's password: 0 and out, or -1 (no such user) */
typedef int eapm_lookup_fn(void *ctx, const char *user, size_t len, uint8_t out[MSCHAP_HASH_LEN]);

struct eap_mschapv2 {
    bool server;
    uint8_t state, eap_id, ms_id;
    uint8_t auth_challenge[MSCHAP_CHALLENGE_LEN], peer_challenge[MSCHAP_CHALLENGE_LEN];
    uint8_t nt_response[MSCHAP_NT_RESPONSE_LEN], nt_hash[MSCHAP_HASH_LEN];
    char auth_response[MSCHAP_AUTH_RESPONSE_LEN];
    char name[EAPM_NAME_MAX + 1]; /* server: the user name the client gave; client: ours */
    size_t name_len;
    uint8_t msk[MSCHAP_MSK_LEN];
    const char *why; /* the reason of a failure, for the log (never a secret) */
};

/* server: a Challenge (random from `challenge`, 16 bytes) with our name, EAP identifier `eap_id` */
int eapm_server_start(struct eap_mschapv2 *m, const uint8_t challenge[MSCHAP_CHALLENGE_LEN], uint8_t eap_id,
                      const char *server_name, struct eapm_out *out);
/* server: the client's packet (code, identifier, type and data of its EAP payload) */
enum eapm_rc eapm_server_recv(struct eap_mschapv2 *m, uint8_t code, uint8_t id, uint8_t type, const uint8_t *data,
                              size_t len, eapm_lookup_fn *lookup, void *ctx, struct eapm_out *out);

/* client: our user name and password (kept only as its NT hash) and the peer challenge to use */
int eapm_client_init(struct eap_mschapv2 *m, const char *user, size_t user_len, const char *password,
                     size_t pw_len, const uint8_t peer_challenge[MSCHAP_CHALLENGE_LEN]);
/* client: the server's packet */
enum eapm_rc eapm_client_recv(struct eap_mschapv2 *m, uint8_t code, uint8_t id, uint8_t type, const uint8_t *data,
                              size_t len, struct eapm_out *out);

/* wipes the hashes and the MSK */
void eapm_clear(struct eap_mschapv2 *m);

#endif
