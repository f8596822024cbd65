/* cookie: the IKE_SA_INIT gate (RFC 7296 2.6, RFC 8019).  Stateless cookies
 * bind a retried IKE_SA_INIT to the initiator's nonce, address and SPI:
 *
 *   Cookie = <version of the secret> | HMAC-SHA-256(secret, Ni | IPi | SPIi)
 *
 * truncated to IKE_COOKIE_LEN bytes.  The secret is rotated every
 * IKE_COOKIE_ROTATE_MS; cookies made with the current or the previous secret
 * are accepted.  No state is kept per initiator. */
#ifndef KITE_IKE_COOKIE_H
#define KITE_IKE_COOKIE_H
#include <stdbool.h>
#include <stdint.h>
#include "base/span.h"
#include "crypto/prf.h"
#include "ike/ike.h"

enum { IKE_COOKIE_LEN = 17, IKE_COOKIE_ROTATE_MS = 60000, IKE_COOKIE_SECRET = 32 };

struct ike_cookies {
    struct prf prf;
    bool ready;
    uint8_t version;                       /* of secret[0] */
    uint8_t secret[2][IKE_COOKIE_SECRET];  /* current, previous */
    bool have_prev;
    uint64_t rotated_at;
};

struct ike_engine;
/* the cookie for this initiator, the secret rotated first when due */
int ike_cookie_make(struct ike_engine *e, struct span ni, const struct ike_addr *ipi, uint64_t spi_i,
                    uint64_t now, uint8_t out[IKE_COOKIE_LEN]);
/* does this cookie match the current or the previous secret (constant time)? */
bool ike_cookie_check(struct ike_engine *e, struct span cookie, struct span ni, const struct ike_addr *ipi,
                      uint64_t spi_i, uint64_t now);
void ike_cookies_free(struct ike_cookies *c);

#endif
