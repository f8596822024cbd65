/* span: a borrowed view of bytes (never owned, never freed). */
#ifndef KITE_BASE_SPAN_H
#define KITE_BASE_SPAN_H
#include <stddef.h>
#include <stdint.h>

struct span {
    const uint8_t *p;
    size_t n;
};

static inline struct span span_of(const void *p, size_t n)
{
    struct span s = { (const uint8_t *)p, n };
    return s;
}

#endif
