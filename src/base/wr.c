#include "base/wr.h"
#include <string.h>

void wr_init(struct wr *w, void *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->err = 0;
}

static uint8_t *room(struct wr *w, size_t n)
{
    if (w->err)
        return NULL;
    if (w->cap - w->len < n) {
        w->err = KITE_E_NO_SPACE;
        return NULL;
    }
    uint8_t *at = w->buf + w->len;
    w->len += n;
    return at;
}

int wr_u8(struct wr *w, uint8_t v)
{
    uint8_t *b = room(w, 1);
    if (b)
        b[0] = v;
    return w->err;
}

int wr_be16(struct wr *w, uint16_t v)
{
    uint8_t *b = room(w, 2);
    if (b) {
        b[0] = (uint8_t)(v >> 8);
        b[1] = (uint8_t)v;
    }
    return w->err;
}

int wr_be32(struct wr *w, uint32_t v)
{
    uint8_t *b = room(w, 4);
    if (b) {
        b[0] = (uint8_t)(v >> 24);
        b[1] = (uint8_t)(v >> 16);
        b[2] = (uint8_t)(v >> 8);
        b[3] = (uint8_t)v;
    }
    return w->err;
}

int wr_be64(struct wr *w, uint64_t v)
{
    wr_be32(w, (uint32_t)(v >> 32));
    return wr_be32(w, (uint32_t)v);
}

int wr_bytes(struct wr *w, const void *p, size_t n)
{
    uint8_t *b = room(w, n);
    if (b && n)
        memcpy(b, p, n);
    return w->err;
}

int wr_span(struct wr *w, struct span s)
{
    return wr_bytes(w, s.p, s.n);
}

int wr_zero(struct wr *w, size_t n)
{
    uint8_t *b = room(w, n);
    if (b && n)
        memset(b, 0, n);
    return w->err;
}

size_t wr_reserve(struct wr *w, size_t n)
{
    size_t at = w->len;
    return wr_zero(w, n) ? SIZE_MAX : at;
}

int wr_put_u8(struct wr *w, size_t at, uint8_t v)
{
    if (w->err)
        return w->err;
    if (at >= w->len)
        return w->err = KITE_E_INVALID_ARG;
    w->buf[at] = v;
    return 0;
}

int wr_put_be16(struct wr *w, size_t at, uint16_t v)
{
    if (w->err)
        return w->err;
    if (at > w->len || w->len - at < 2)
        return w->err = KITE_E_INVALID_ARG;
    w->buf[at] = (uint8_t)(v >> 8);
    w->buf[at + 1] = (uint8_t)v;
    return 0;
}

int wr_put_be32(struct wr *w, size_t at, uint32_t v)
{
    if (w->err)
        return w->err;
    if (at > w->len || w->len - at < 4)
        return w->err = KITE_E_INVALID_ARG;
    for (int i = 0; i < 4; i++)
        w->buf[at + (size_t)i] = (uint8_t)(v >> (24 - 8 * i));
    return 0;
}

int wr_patch_len16(struct wr *w, size_t at, size_t start)
{
    if (w->err)
        return w->err;
    if (start > w->len || w->len - start > 0xffff)
        return w->err = KITE_E_BAD_LENGTH;
    return wr_put_be16(w, at, (uint16_t)(w->len - start));
}

struct span wr_view(const struct wr *w)
{
    struct span s = { w->buf, w->len };
    return s;
}
