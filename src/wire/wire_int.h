/* wire/wire_int: helpers shared by the codec's decoders (not exported beyond
 * src/wire/).  They turn a reader's sticky error into a diag naming the field. */
#ifndef KITE_WIRE_INT_H
#define KITE_WIRE_INT_H
#include "base/err.h"
#include "base/rd.h"

/* fail the reader with err at its current position, naming the field */
static inline int wire_fail(struct rd *r, struct diag *d, int err, const char *field)
{
    size_t off = rd_offset(r);
    return diag_set(d, rd_fail(r, err), field, off);
}

/* after a group of reads: a failed read is reported as this field */
static inline int wire_check(struct rd *r, struct diag *d, const char *field)
{
    return r->err ? diag_set(d, r->err, field, rd_offset(r)) : 0;
}

/* the structure must have been consumed exactly */
static inline int wire_end(struct rd *r, struct diag *d, const char *field)
{
    if (r->err)
        return diag_set(d, r->err, field, rd_offset(r));
    if (!rd_done(r))
        return wire_fail(r, d, KITE_E_TRAILING, field);
    return 0;
}

/* borrow a nested structure of `len` bytes whose `hdr` header bytes were just
 * read: len must cover the header and fit in what is left */
static inline int wire_sub(struct rd *r, size_t len, size_t hdr, struct rd *sub,
                           struct diag *d, const char *field)
{
    if (r->err)
        return diag_set(d, r->err, field, rd_offset(r));
    if (len < hdr || len - hdr > rd_left(r))
        return diag_set(d, rd_fail(r, KITE_E_BAD_LENGTH), field, rd_offset(r) - hdr);
    return rd_sub(r, len - hdr, sub);
}

#endif
