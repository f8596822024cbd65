/* vici_dump: a VICI message as one line of text, for tests to compare:
 * key=value, name{...}, name[item,item].  Bytes outside printable ASCII are
 * written \xNN. */
#ifndef KITE_TEST_VICI_DUMP_H
#define KITE_TEST_VICI_DUMP_H
#include <stdio.h>
#include <string.h>
#include "ctl/vici_msg.h"

struct vici_dump {
    char *out;
    size_t cap, len;
    int first; /* nothing yet written at this level: no separator */
};

static void vici_dump_put(struct vici_dump *d, const char *s, size_t n)
{
    for (size_t i = 0; i < n && d->len + 5 < d->cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            d->out[d->len++] = (char)c;
        else
            d->len += (size_t)snprintf(d->out + d->len, d->cap - d->len, "\\x%02x", c);
    }
    d->out[d->len] = 0;
}

static void vici_dump_sep(struct vici_dump *d)
{
    if (!d->first)
        vici_dump_put(d, " ", 1);
    d->first = 0;
}

static int vici_dump_visit(void *ctx, const struct vici_elem *e)
{
    struct vici_dump *d = ctx;
    switch (e->type) {
    case VICI_SECTION_START: vici_dump_sep(d); vici_dump_put(d, (const char *)e->name.p, e->name.n);
        vici_dump_put(d, "{", 1); d->first = 1; break;
    case VICI_SECTION_END: vici_dump_put(d, "}", 1); d->first = 0; break;
    case VICI_KEY_VALUE: vici_dump_sep(d); vici_dump_put(d, (const char *)e->name.p, e->name.n);
        vici_dump_put(d, "=", 1); vici_dump_put(d, (const char *)e->value.p, e->value.n); break;
    case VICI_LIST_START: vici_dump_sep(d); vici_dump_put(d, (const char *)e->name.p, e->name.n);
        vici_dump_put(d, "[", 1); d->first = 1; break;
    case VICI_LIST_ITEM: if (!d->first) vici_dump_put(d, ",", 1); d->first = 0;
        vici_dump_put(d, (const char *)e->value.p, e->value.n); break;
    case VICI_LIST_END: vici_dump_put(d, "]", 1); d->first = 0; break;
    }
    return 0;
}

/* 0 or the walker's error; out gets the text */
static inline int vici_dump_msg(struct span msg, char *out, size_t cap)
{
    struct vici_dump d = { out, cap, 0, 1 };
    out[0] = 0;
    return vici_msg_walk(msg, VICI_DEPTH_MAX, vici_dump_visit, &d);
}

#endif
