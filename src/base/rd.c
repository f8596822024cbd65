#include "base/rd.h"
#include <string.h>

void rd_init(struct rd *r, const void *p, size_t n)
{
    r->p = p;
    r->end = r->p + n;
    r->base = r->p;
    r->err = 0;
}

int rd_fail(struct rd *r, int err)
{
    if (!r->err)
        r->err = err;
    return r->err;
}

size_t rd_left(const struct rd *r)
{
    return r->err ? 0 : (size_t)(r->end - r->p);
}

size_t rd_offset(const struct rd *r)
{
    return (size_t)(r->p - r->base);
}

/* the one bounds check: fails sticky when fewer than n bytes remain */
static const uint8_t *take(struct rd *r, size_t n)
{
    if (r->err)
        return NULL;
    if ((size_t)(r->end - r->p) < n) {
        r->err = KITE_E_TRUNCATED;
        return NULL;
    }
    const uint8_t *at = r->p;
    r->p += n;
    return at;
}

int rd_u8(struct rd *r, uint8_t *v)
{
    const uint8_t *b = take(r, 1);
    if (!b) {
        *v = 0;
        return r->err;
    }
    *v = b[0];
    return 0;
}

int rd_be16(struct rd *r, uint16_t *v)
{
    const uint8_t *b = take(r, 2);
    if (!b) {
        *v = 0;
        return r->err;
    }
    *v = (uint16_t)((b[0] << 8) | b[1]);
    return 0;
}

int rd_be32(struct rd *r, uint32_t *v)
{
    const uint8_t *b = take(r, 4);
    if (!b) {
        *v = 0;
        return r->err;
    }
    *v = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
    return 0;
}

int rd_be64(struct rd *r, uint64_t *v)
{
    uint32_t hi, lo;
    rd_be32(r, &hi);
    rd_be32(r, &lo);
    *v = r->err ? 0 : ((uint64_t)hi << 32) | lo;
    return r->err;
}

int rd_span(struct rd *r, size_t n, struct span *out)
{
    const uint8_t *b = take(r, n);
    out->p = b;
    out->n = b ? n : 0;
    return b ? 0 : r->err;
}

int rd_copy(struct rd *r, void *out, size_t n)
{
    const uint8_t *b = take(r, n);
    if (!b) {
        memset(out, 0, n);
        return r->err;
    }
    memcpy(out, b, n);
    return 0;
}

int rd_skip(struct rd *r, size_t n)
{
    return take(r, n) ? 0 : r->err;
}

int rd_sub(struct rd *r, size_t n, struct rd *sub)
{
    const uint8_t *b = take(r, n);
    sub->base = r->base;
    sub->err = b ? 0 : r->err;
    sub->p = b ? b : r->p;
    sub->end = b ? b + n : r->p;
    return sub->err;
}

struct span rd_rest(struct rd *r)
{
    struct span s = { NULL, 0 };
    if (r->err)
        return s;
    s.p = r->p;
    s.n = (size_t)(r->end - r->p);
    r->p = r->end;
    return s;
}

bool rd_done(const struct rd *r)
{
    return !r->err && r->p == r->end;
}
