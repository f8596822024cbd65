#include "base/keyhash.h"

uint64_t keyhash(const uint64_t key[2], const uint8_t *p, size_t n)
{
    uint64_t h = key[0] ^ (n * 0x9e3779b97f4a7c15ull);
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
        h ^= h >> 29;
    }
    h ^= key[1];
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}
