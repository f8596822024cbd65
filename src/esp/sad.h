/* sad: the inbound security association database, SPI -> SA (RFC 4301
 * 4.4.2; RFC 4303 3.4.2: for unicast SAs the SPI alone selects the SA,
 * since kite chooses its inbound SPIs itself).
 *
 * Open addressing with linear probing and backward-shift deletion, kept at
 * most half full; the hash is keyed by a random per-table value.  Lookup is
 * the per-packet call: no allocation, no lock.  Insert may grow the table
 * (allocation, control plane only).  The table stores pointers; the SAs stay
 * the caller's. */
#ifndef KITE_ESP_SAD_H
#define KITE_ESP_SAD_H
#include <stddef.h>
#include <stdint.h>
#include "esp/sa.h"

struct esp_sad {
    struct esp_sa **slot; /* NULL = empty */
    size_t cap;           /* a power of two */
    size_t n;
    uint64_t key;         /* hash key */
};

/* room for `expect` SAs before the first growth; 0 or KITE_E_NOMEM */
int esp_sad_init(struct esp_sad *sad, size_t expect);
/* frees the table, not the SAs */
void esp_sad_free(struct esp_sad *sad);
/* 0, KITE_E_INVALID_SPI when an SA with this SPI is present, KITE_E_NOMEM */
int esp_sad_insert(struct esp_sad *sad, struct esp_sa *sa);
/* the SA removed, or NULL */
struct esp_sa *esp_sad_remove(struct esp_sad *sad, uint32_t spi);
/* the SA for this SPI, or NULL */
struct esp_sa *esp_sad_lookup(const struct esp_sad *sad, uint32_t spi);

#endif
