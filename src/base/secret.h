/* secret: owned key material.  Wiped on free, compared in constant time,
 * never printed (there is deliberately no formatter for it). */
#ifndef KITE_BASE_SECRET_H
#define KITE_BASE_SECRET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/span.h"

struct secret {
    uint8_t *p;
    size_t n;
};

/* allocate n zeroed bytes; 0 or KITE_E_NOMEM */
int secret_alloc(struct secret *s, size_t n);
int secret_from(struct secret *s, const void *p, size_t n);
/* wipe and free; safe on a zeroed or already freed secret */
void secret_free(struct secret *s);
struct span secret_span(const struct secret *s);
/* wipe memory so the compiler cannot elide it */
void mem_wipe(void *p, size_t n);
/* constant-time equality of two buffers of the same length n */
bool ct_equal(const void *a, const void *b, size_t n);

#endif
