/* wr: the bounds-checked writer.  Lengths are never computed by hand: reserve a
 * length field with wr_mark(), write the body, then wr_patch_len16() fills in
 * the bytes written since the mark.  Errors are sticky like rd's. */
#ifndef KITE_BASE_WR_H
#define KITE_BASE_WR_H
#include <stddef.h>
#include <stdint.h>
#include "base/err.h"
#include "base/span.h"

struct wr {
    uint8_t *buf;
    size_t cap, len;
    int err;
};

void wr_init(struct wr *w, void *buf, size_t cap);
int wr_u8(struct wr *w, uint8_t v);
int wr_be16(struct wr *w, uint16_t v);
int wr_be32(struct wr *w, uint32_t v);
int wr_be64(struct wr *w, uint64_t v);
int wr_bytes(struct wr *w, const void *p, size_t n);
int wr_span(struct wr *w, struct span s);
int wr_zero(struct wr *w, size_t n);
/* reserve n bytes to fill later; returns their offset (or SIZE_MAX on error) */
size_t wr_reserve(struct wr *w, size_t n);
/* overwrite an 8/16/32-bit (big-endian) value at an offset already written */
int wr_put_u8(struct wr *w, size_t at, uint8_t v);
int wr_put_be16(struct wr *w, size_t at, uint16_t v);
int wr_put_be32(struct wr *w, size_t at, uint32_t v);
/* write the number of bytes from `start` to the current end into the 16-bit
 * field at `at` (the usual "length includes the header" rule) */
int wr_patch_len16(struct wr *w, size_t at, size_t start);
struct span wr_view(const struct wr *w);

#endif
