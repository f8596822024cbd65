/* decap: ESP decapsulation in place (RFC 4303 3.4).
 *
 * The caller found the SA by SPI (esp/sad.h).  Then, in this order:
 * length checks, sequence number against the replay window (before any
 * crypto), ICV, window update, decryption, padding bytes 1,2,3,... (RFC 4303
 * 2.4), pad length, next header; in tunnel mode the inner IP header's length
 * (trailing TFC padding is cut, RFC 4303 2.7) and the SA's traffic selectors
 * (RFC 4301 5.2). */
#ifndef KITE_ESP_DECAP_H
#define KITE_ESP_DECAP_H
#include <stdint.h>
#include "esp/buf.h"
#include "esp/sa.h"

/* b holds the ESP packet (from the SPI to the ICV).  On success b describes
 * the inner packet (decrypted in place) and *next_header its protocol: 4 or
 * 41 in tunnel mode, the transport protocol in transport mode, or 59 for a
 * dummy packet (RFC 4303 2.6) which the caller discards.  Every refusal is
 * counted on the SA (counter in brackets) and leaves b pointing at garbage:
 *   KITE_E_INVALID_ARG   outbound SA
 *   KITE_E_STATE         hard lifetime reached [other_drops]
 *   KITE_E_TRUNCATED     shorter than header + IV + minimal payload + ICV [malformed]
 *   KITE_E_INVALID_SPI   the packet's SPI is not the SA's [malformed]
 *   KITE_E_BAD_LENGTH    ciphertext not a whole number of blocks [malformed]
 *   KITE_E_REPLAY        duplicate or left of the window [replay_drops]
 *   KITE_E_INTEGRITY     ICV mismatch (or a wrongly inferred ESN) [icv_failures]
 *   KITE_E_MALFORMED     bad padding, pad length or next header, bad inner IP
 *                        header [malformed]
 *   KITE_E_POLICY        inner packet outside the selectors [policy_drops]
 *   KITE_E_CRYPTO        library failure [other_drops]
 *   KITE_E_NOMEM         the SA's contexts could not be made (esp_sa_prepare,
 *                        at the first packet past the replay check) [other_drops] */
int esp_decap(struct esp_sa *sa, struct esp_buf *b, uint8_t *next_header, uint64_t now);

#endif
