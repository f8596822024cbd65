/* mschap: the MS-CHAPv2 computations (RFC 2759 8) and the keys EAP-MSCHAPv2
 * exports (RFC 3079 3.3-3.4, as Windows and strongSwan use them in IKEv2's
 * EAP: MSK = MasterReceiveKey | MasterSendKey | 32 zero bytes).
 *
 * MD4 and single DES are in OpenSSL 3's legacy provider only; it is loaded
 * into a library context of this module's own, so that nothing else in kite
 * can reach those algorithms. */
#ifndef KITE_CRYPTO_MSCHAP_H
#define KITE_CRYPTO_MSCHAP_H
#include <stddef.h>
#include <stdint.h>

enum { MSCHAP_CHALLENGE_LEN = 16, MSCHAP_NT_RESPONSE_LEN = 24, MSCHAP_HASH_LEN = 16,
       MSCHAP_AUTH_RESPONSE_LEN = 42, /* "S=" and 40 upper-case hex digits */
       MSCHAP_MSK_LEN = 64, MSCHAP_PASSWORD_MAX = 256 /* UTF-16 characters, RFC 2759 8.3 */ };

/* NtPasswordHash: MD4 over the password as UTF-16LE (the password is taken
 * as UTF-8); 0, KITE_E_INVALID_ARG (too long, not UTF-8) or KITE_E_CRYPTO */
int mschap_nt_hash(const char *password, size_t len, uint8_t out[MSCHAP_HASH_LEN]);

/* GenerateNTResponse (RFC 2759 8.1) from the password's NT hash; the user
 * name is without a domain part (8.2 says the name as sent, strongSwan and
 * Windows strip "DOMAIN\\") */
int mschap_nt_response(const uint8_t auth_challenge[MSCHAP_CHALLENGE_LEN],
                       const uint8_t peer_challenge[MSCHAP_CHALLENGE_LEN], const char *user, size_t user_len,
                       const uint8_t nt_hash[MSCHAP_HASH_LEN], uint8_t out[MSCHAP_NT_RESPONSE_LEN]);

/* GenerateAuthenticatorResponse (RFC 2759 8.7): "S=" and 40 hex digits */
int mschap_auth_response(const uint8_t nt_hash[MSCHAP_HASH_LEN], const uint8_t nt_response[MSCHAP_NT_RESPONSE_LEN],
                         const uint8_t peer_challenge[MSCHAP_CHALLENGE_LEN],
                         const uint8_t auth_challenge[MSCHAP_CHALLENGE_LEN], const char *user, size_t user_len,
                         char out[MSCHAP_AUTH_RESPONSE_LEN]);

/* the MSK both ends derive (RFC 3079 3.4 keys from the server's side) */
int mschap_msk(const uint8_t nt_hash[MSCHAP_HASH_LEN], const uint8_t nt_response[MSCHAP_NT_RESPONSE_LEN],
               uint8_t out[MSCHAP_MSK_LEN]);

/* the user name the computations use: after the last '\\' (a Windows
 * "DOMAIN\\user"), as RFC 2759 8.2 and Windows do */
void mschap_user_name(const char *id, size_t len, const char **user, size_t *user_len);

#endif
