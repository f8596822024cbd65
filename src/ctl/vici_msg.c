/* vici_msg: VICI packets and messages (see vici_msg.h for the layout). */
#include "ctl/vici_msg.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/rd.h"

static const char *const op_names[] = {
    "CMD_REQUEST", "CMD_RESPONSE", "CMD_UNKNOWN", "EVENT_REGISTER",
    "EVENT_UNREGISTER", "EVENT_CONFIRM", "EVENT_UNKNOWN", "EVENT",
};

const char *vici_op_name(uint8_t op)
{
    return op <= VICI_EVENT ? op_names[op] : "UNKNOWN";
}

bool vici_op_named(uint8_t op)
{
    return op == VICI_CMD_REQUEST || op == VICI_EVENT_REGISTER || op == VICI_EVENT_UNREGISTER || op == VICI_EVENT;
}

bool vici_op_has_msg(uint8_t op)
{
    return op == VICI_CMD_REQUEST || op == VICI_CMD_RESPONSE || op == VICI_EVENT;
}

/* an 8-bit length and that many bytes */
static int rd_name8(struct rd *r, struct span *out)
{
    uint8_t n = 0;
    rd_u8(r, &n);
    return rd_span(r, n, out);
}

/* a 16-bit length and that many bytes */
static int rd_value16(struct rd *r, struct span *out)
{
    uint16_t n = 0;
    rd_be16(r, &n);
    return rd_span(r, n, out);
}

int vici_packet_decode(struct span in, struct vici_packet *p)
{
    struct rd r;
    memset(p, 0, sizeof *p);
    rd_init(&r, in.p, in.n);
    if (rd_u8(&r, &p->op))
        return r.err;
    if (p->op > VICI_EVENT)
        return KITE_E_MALFORMED;
    if (vici_op_named(p->op)) {
        if (rd_name8(&r, &p->name))
            return r.err;
        if (p->name.n == 0)
            return KITE_E_MALFORMED;
    }
    if (vici_op_has_msg(p->op))
        p->msg = rd_rest(&r);
    return rd_done(&r) ? 0 : r.err ? r.err : KITE_E_TRAILING;
}

/* the walker's state: sections open, and whether a list is */
struct walk {
    unsigned depth, max_depth;
    bool in_list;
};

/* read one element and check that it may stand where it does */
static int walk_elem(struct rd *r, struct walk *w, struct vici_elem *e)
{
    memset(e, 0, sizeof *e);
    rd_u8(r, &e->type);
    e->depth = w->depth;
    bool list_elem = e->type == VICI_LIST_ITEM || e->type == VICI_LIST_END;
    if (r->err)
        return r->err;
    if (w->in_list != list_elem) /* items only in lists, nothing else in them */
        return KITE_E_MALFORMED;
    switch (e->type) {
    case VICI_SECTION_START:
        if (w->depth >= w->max_depth)
            return KITE_E_MALFORMED;
        w->depth++;
        return rd_name8(r, &e->name);
    case VICI_SECTION_END:
        if (w->depth == 0)
            return KITE_E_MALFORMED;
        e->depth = --w->depth;
        return 0;
    case VICI_KEY_VALUE:
        rd_name8(r, &e->name);
        return rd_value16(r, &e->value);
    case VICI_LIST_START:
        w->in_list = true;
        return rd_name8(r, &e->name);
    case VICI_LIST_ITEM: return rd_value16(r, &e->value);
    case VICI_LIST_END: w->in_list = false; return 0;
    default: return KITE_E_MALFORMED;
    }
}

int vici_msg_walk(struct span msg, unsigned max_depth, vici_visit_fn *fn, void *ctx)
{
    struct rd r;
    struct walk w = { 0, max_depth, false };
    rd_init(&r, msg.p, msg.n);
    while (rd_left(&r) > 0) {
        struct vici_elem e;
        int rc = walk_elem(&r, &w, &e);
        if (rc)
            return rc;
        if (fn && (rc = fn(ctx, &e)) != 0)
            return rc;
    }
    return w.depth || w.in_list ? KITE_E_MALFORMED : 0;
}

struct get {
    const char *key;
    struct span *val;
    bool found;
};

static int get_visit(void *ctx, const struct vici_elem *e)
{
    struct get *g = ctx;
    size_t n = strlen(g->key);
    if (e->type != VICI_KEY_VALUE || e->depth != 0 || e->name.n != n || memcmp(e->name.p, g->key, n))
        return 0;
    *g->val = e->value;
    g->found = true;
    return 1;
}

bool vici_msg_get(struct span msg, const char *key, struct span *val)
{
    struct get g = { key, val, false };
    vici_msg_walk(msg, VICI_DEPTH_MAX, get_visit, &g);
    return g.found;
}

bool vici_msg_get_str(struct span msg, const char *key, char *buf, size_t cap)
{
    struct span v;
    if (!cap || !vici_msg_get(msg, key, &v) || v.n >= cap)
        return false;
    for (size_t i = 0; i < v.n; i++)
        if (v.p[i] < 0x20 || v.p[i] > 0x7e)
            return false;
    memcpy(buf, v.p, v.n);
    buf[v.n] = 0;
    return true;
}

/* ---- the builder ---- */

void vici_bld_init(struct vici_bld *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max ? max : VICI_MSG_MAX + 4;
}

void vici_bld_free(struct vici_bld *b)
{
    free(b->buf);
    memset(b, 0, sizeof *b);
}

static int fail(struct vici_bld *b, int err)
{
    if (!b->err)
        b->err = err;
    return b->err;
}

static int put(struct vici_bld *b, const void *p, size_t n)
{
    if (b->err)
        return b->err;
    if (n > b->max - b->len)
        return fail(b, KITE_E_NO_SPACE);
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        if (cap > b->max)
            cap = b->max;
        uint8_t *nb = realloc(b->buf, cap);
        if (!nb)
            return fail(b, KITE_E_NOMEM);
        b->buf = nb;
        b->cap = cap;
    }
    if (n)
        memcpy(b->buf + b->len, p, n);
    b->len += n;
    return 0;
}

static int put_u8(struct vici_bld *b, uint8_t v)
{
    return put(b, &v, 1);
}

/* element names may be empty (the decoder takes them), packet names not */
static int put_name(struct vici_bld *b, const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (!name || n > 255)
        return fail(b, KITE_E_INVALID_ARG);
    put_u8(b, (uint8_t)n);
    return put(b, name, n);
}

static int put_value(struct vici_bld *b, const void *v, size_t n)
{
    if (n > 0xffff)
        return fail(b, KITE_E_INVALID_ARG);
    uint8_t len[2] = { (uint8_t)(n >> 8), (uint8_t)n };
    put(b, len, 2);
    return put(b, v, n);
}

int vici_bld_packet(struct vici_bld *b, uint8_t op, const char *name)
{
    static const uint8_t zero[4];
    b->len = 0;
    b->err = 0;
    b->depth = 0;
    b->in_list = false;
    b->started = true;
    if (op > VICI_EVENT || vici_op_named(op) != (name != NULL))
        return fail(b, KITE_E_INVALID_ARG);
    if (name && !name[0])
        return fail(b, KITE_E_INVALID_ARG);
    put(b, zero, 4);
    put_u8(b, op);
    return name ? put_name(b, name) : b->err;
}

/* elements other than list items are not allowed in a list, and the reverse */
static int check_place(struct vici_bld *b, bool list_elem)
{
    if (!b->started || b->in_list != list_elem)
        return fail(b, KITE_E_INVALID_ARG);
    return b->err;
}

int vici_bld_section(struct vici_bld *b, const char *name)
{
    if (check_place(b, false))
        return b->err;
    put_u8(b, VICI_SECTION_START);
    if (put_name(b, name) == 0)
        b->depth++;
    return b->err;
}

int vici_bld_end(struct vici_bld *b)
{
    if (check_place(b, false) || b->depth == 0)
        return fail(b, KITE_E_INVALID_ARG);
    b->depth--;
    return put_u8(b, VICI_SECTION_END);
}

int vici_bld_kv(struct vici_bld *b, const char *key, const void *v, size_t n)
{
    if (check_place(b, false))
        return b->err;
    put_u8(b, VICI_KEY_VALUE);
    put_name(b, key);
    return put_value(b, v, n);
}

int vici_bld_kv_str(struct vici_bld *b, const char *key, const char *v)
{
    return vici_bld_kv(b, key, v, strlen(v));
}

int vici_bld_kv_fmt(struct vici_bld *b, const char *key, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof buf)
        return fail(b, KITE_E_NO_SPACE);
    return vici_bld_kv(b, key, buf, (size_t)n);
}

int vici_bld_list(struct vici_bld *b, const char *name)
{
    if (check_place(b, false))
        return b->err;
    put_u8(b, VICI_LIST_START);
    if (put_name(b, name) == 0)
        b->in_list = true;
    return b->err;
}

int vici_bld_item(struct vici_bld *b, const void *v, size_t n)
{
    if (check_place(b, true))
        return b->err;
    put_u8(b, VICI_LIST_ITEM);
    return put_value(b, v, n);
}

int vici_bld_item_str(struct vici_bld *b, const char *v)
{
    return vici_bld_item(b, v, strlen(v));
}

int vici_bld_list_end(struct vici_bld *b)
{
    if (check_place(b, true))
        return b->err;
    b->in_list = false;
    return put_u8(b, VICI_LIST_END);
}

int vici_bld_finish(struct vici_bld *b, struct span *out)
{
    *out = span_of(NULL, 0);
    if (!b->started)
        return fail(b, KITE_E_INVALID_ARG);
    if (b->err)
        return b->err;
    if (b->depth || b->in_list)
        return fail(b, KITE_E_MALFORMED);
    size_t n = b->len - 4;
    b->buf[0] = (uint8_t)(n >> 24);
    b->buf[1] = (uint8_t)(n >> 16);
    b->buf[2] = (uint8_t)(n >> 8);
    b->buf[3] = (uint8_t)n;
    *out = span_of(b->buf, b->len);
    return 0;
}
