/* keyhash: a keyed 64-bit mix for hash tables whose keys a remote sender
 * chooses (SPIs, source addresses).  Not a MAC: the random key only keeps a
 * sender from aiming at one bucket (a flood of collisions, or silencing a
 * source it wants to hide behind). */
#ifndef KITE_BASE_KEYHASH_H
#define KITE_BASE_KEYHASH_H
#include <stddef.h>
#include <stdint.h>

uint64_t keyhash(const uint64_t key[2], const uint8_t *p, size_t n);

#endif
