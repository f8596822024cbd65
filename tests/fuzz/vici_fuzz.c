/* libFuzzer target: the VICI decoder (ctl/vici_msg) on what a local client
 * may send after the 4-byte length.  Any input is refused or decoded without
 * reading outside it; a packet that decodes, and whose message the walker
 * accepts, is rebuilt element by element with the builder and must come out
 * byte for byte the same (names with a NUL byte cannot be passed to the
 * builder as strings and are only walked). */
#include "ctl/vici_msg.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct rebuild {
    struct vici_bld b;
    bool nul; /* a name with a NUL byte: no byte comparison */
};

static int rebuild(void *ctx, const struct vici_elem *e)
{
    struct rebuild *r = ctx;
    char name[256];
    memcpy(name, e->name.n ? (const char *)e->name.p : "", e->name.n);
    name[e->name.n] = 0;
    r->nul = r->nul || strlen(name) != e->name.n;
    switch (e->type) {
    case VICI_SECTION_START: return vici_bld_section(&r->b, name);
    case VICI_SECTION_END: return vici_bld_end(&r->b);
    case VICI_KEY_VALUE: return vici_bld_kv(&r->b, name, e->value.p, e->value.n);
    case VICI_LIST_START: return vici_bld_list(&r->b, name);
    case VICI_LIST_ITEM: return vici_bld_item(&r->b, e->value.p, e->value.n);
    case VICI_LIST_END: return vici_bld_list_end(&r->b);
    default: __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > VICI_MSG_MAX)
        return 0;
    uint8_t *p = malloc(size ? size : 1); /* exactly size bytes: ASan sees overreads */
    if (!p)
        return 0;
    memcpy(p, data, size);
    struct vici_packet pk;
    char name[256], v[64];
    if (vici_packet_decode(span_of(p, size), &pk) == 0 && vici_op_has_msg(pk.op) &&
        vici_msg_walk(pk.msg, VICI_DEPTH_MAX, NULL, NULL) == 0) {
        vici_msg_get_str(pk.msg, "ike", v, sizeof v);
        struct rebuild r = { .nul = false };
        memcpy(name, pk.name.p ? (const char *)pk.name.p : "", pk.name.n);
        name[pk.name.n] = 0;
        r.nul = strlen(name) != pk.name.n;
        vici_bld_init(&r.b, 0);
        vici_bld_packet(&r.b, pk.op, vici_op_named(pk.op) ? name : NULL);
        struct span out;
        if (vici_msg_walk(pk.msg, VICI_DEPTH_MAX, rebuild, &r) || vici_bld_finish(&r.b, &out))
            r.nul ? (void)0 : __builtin_trap();
        else if (!r.nul && (out.n != size + 4 || memcmp(out.p + 4, p, size)))
            __builtin_trap();
        vici_bld_free(&r.b);
    }
    free(p);
    return 0;
}
