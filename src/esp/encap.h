/* encap: ESP encapsulation in place (RFC 4303 2 and 3.3).
 *
 *   before:            [ headroom | inner packet         | tailroom ]
 *   after:   [ SPI | Seq | IV | E( inner | pad 1,2,.. | pad len | next hdr ) | ICV ]
 *
 * The buffer needs esp_sa_headroom() bytes before the packet and
 * esp_sa_tailroom() after it (more if the caller adds outer headers).
 * Tunnel mode: the inner packet is a whole IPv4 or IPv6 packet and the next
 * header is 4 or 41, from its version.  Transport mode: the inner packet is
 * the transport payload and `proto` its protocol (the next header).
 * AES-GCM (RFC 4106) and ChaCha20-Poly1305 (RFC 7634) use the 64-bit
 * sequence number as IV; AES-CBC (RFC 3602) a per-SA unpredictable IV, and
 * the HMAC (RFC 4868) covers SPI | Seq | IV | ciphertext, plus the ESN high
 * bits (RFC 4303 3.3.2.1). */
#ifndef KITE_ESP_ENCAP_H
#define KITE_ESP_ENCAP_H
#include <stdint.h>
#include "esp/buf.h"
#include "esp/sa.h"

/* Take the next sequence number and seal.  On success b describes the ESP
 * packet (off moved back by the headroom) and the SA counts the inner bytes
 * at `now`.  Errors (b untouched unless noted, SA counter in brackets):
 *   KITE_E_INVALID_ARG   inbound SA
 *   KITE_E_STATE         hard lifetime reached [other_drops]
 *   KITE_E_SEQ_EXHAUSTED no sequence number left: rekey (flag set) [other_drops]
 *   KITE_E_NO_SPACE      not enough headroom or tailroom [other_drops]
 *   KITE_E_MALFORMED     tunnel mode and not an IPv4/IPv6 packet [malformed]
 *   KITE_E_CRYPTO        library failure (b's bytes undefined) [other_drops]
 *   KITE_E_NOMEM         the SA's contexts could not be made at its first
 *                        packet (esp_sa_prepare; no number taken) [other_drops]
 * The first packet makes the SA's crypto contexts (esp_sa_prepare). */
int esp_encap(struct esp_sa *sa, struct esp_buf *b, uint8_t proto, uint64_t now);

/* The same with a given sequence number and explicit IV (iv_len bytes), for
 * known-answer tests; the SA's own sequence number is left alone. */
int esp_encap_explicit(struct esp_sa *sa, struct esp_buf *b, uint8_t proto, uint64_t now,
                       uint64_t seq, const uint8_t *iv);

#endif
