/* rd: the bounds-checked reader.  Every byte kite reads from the network goes
 * through here; this is the only pointer arithmetic on input in the tree.
 *
 * Errors are sticky: after the first failure every read fails and returns
 * KITE_E_TRUNCATED (or the first error), so a parser may read straight and
 * check once.  A nested length opens a sub-reader with rd_sub(); the parent
 * skips past it whether or not the child consumed it.  rd_done() tells whether
 * a structure was consumed exactly. */
#ifndef KITE_BASE_RD_H
#define KITE_BASE_RD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/err.h"
#include "base/span.h"

struct rd {
    const uint8_t *p, *end;
    const uint8_t *base; /* start of the outermost input, for offsets in diagnostics */
    int err;
};

void rd_init(struct rd *r, const void *p, size_t n);
int rd_u8(struct rd *r, uint8_t *v);
int rd_be16(struct rd *r, uint16_t *v);
int rd_be32(struct rd *r, uint32_t *v);
int rd_be64(struct rd *r, uint64_t *v);
/* borrow n bytes */
int rd_span(struct rd *r, size_t n, struct span *out);
/* copy n bytes out */
int rd_copy(struct rd *r, void *out, size_t n);
int rd_skip(struct rd *r, size_t n);
/* open a sub-reader over the next n bytes and advance past them */
int rd_sub(struct rd *r, size_t n, struct rd *sub);
/* borrow everything that is left */
struct span rd_rest(struct rd *r);
size_t rd_left(const struct rd *r);
/* offset of the read position from the outermost input's start */
size_t rd_offset(const struct rd *r);
/* no error and nothing left over */
bool rd_done(const struct rd *r);
/* mark the reader failed with err (if not already failed); returns the error */
int rd_fail(struct rd *r, int err);

#endif
