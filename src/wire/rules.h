/* wire/rules: which payloads each exchange may carry, and how many (RFC 7296
 * 1.2-1.5, 2.6, 2.21), declared in tables and checked once, after decoding
 * and before any handler runs.  A message kind has one or more forms (e.g. an
 * IKE_SA_INIT response is either SA, KE, Nonce... or a notify-only error
 * answer); a message passes when one form accepts it.  A payload type not
 * named by the form may not appear; unknown non-critical payloads are ignored.
 *
 * Also checked here, because they depend on the exchange: IKE_SA_INIT SA
 * proposals are IKE with no SPI; IKE_AUTH proposals are AH/ESP; a
 * CREATE_CHILD_SA proposal for IKE has an 8-byte SPI and no TS; a request's
 * first proposal is number 1; a response carries exactly one proposal. */
#ifndef KITE_WIRE_RULES_H
#define KITE_WIRE_RULES_H
#include <stdbool.h>
#include <stdint.h>
#include "base/err.h"
#include "wire/msg.h"

struct pld_rule {
    uint8_t type;
    uint8_t min, max;
};

/* The outer message: IKE_SA_INIT's payloads, or the SK/SKF envelope of the
 * protected exchanges.  Unknown exchange types fail with KITE_E_UNSUPPORTED. */
int ike_rules_check_msg(const struct ike_msg *m, struct diag *d);
/* The payloads inside SK (after decryption/reassembly) */
int ike_rules_check_inner(uint8_t exchange, bool response, const struct ike_chain *c, struct diag *d);

#endif
