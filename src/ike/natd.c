/* natd: NAT_DETECTION_SOURCE_IP / DESTINATION_IP (RFC 7296 2.23):
 * SHA-1(SPIi | SPIr | IP address | port), SPIr zero in the first request. */
#include "crypto/hash.h"
#include "ike/ike_int.h"

int ike_natd_hash(const uint8_t spi_i[8], const uint8_t spi_r[8], const struct ike_addr *a,
                  uint8_t out[20])
{
    uint8_t port[2] = { (uint8_t)(a->port >> 8), (uint8_t)a->port };
    struct span parts[4] = { span_of(spi_i, 8), span_of(spi_r, 8),
                             span_of(a->ip, a->family == 6 ? 16 : 4), span_of(port, 2) };
    return hash_sha1(parts, 4, out);
}
