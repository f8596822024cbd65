/* libFuzzer target: the transport-mode checksum fix-up behind NAT
 * (esp/natt, RFC 3948 3.1.2) on arbitrary bytes.  What it reads lies behind
 * an ICV, but a peer chooses all of it: any input is refused or fixed up in
 * place, never read or written outside its length, and a packet it accepts
 * comes out with the same length and addresses (only the checksum field of
 * TCP or UDP may change). */
#include "esp/natt.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65535)
        return 0;
    uint8_t *p = malloc(size ? size : 1); /* exactly size bytes: ASan sees overreads */
    if (!p)
        return 0;
    memcpy(p, data, size);
    int rc = esp_natt_fix_csum(p, size);
    if (rc == 0 && size >= 20) {
        /* the IP header is left as it was: addresses, length, protocol */
        size_t hl = (p[0] >> 4) == 6 ? 40 : 20;
        if (size >= hl && memcmp(p, data, hl) != 0)
            __builtin_trap();
    }
    free(p);
    return 0;
}
