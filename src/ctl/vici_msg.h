/* vici_msg: strongSwan's VICI encoding (src/libcharon/plugins/vici/README.md
 * in strongSwan: "Transport protocol", "Packet layer", "Message format").
 *
 *   transport: a 32-bit big-endian length, then that many bytes (a packet)
 *   packet:    an 8-bit type; named types follow it with an 8-bit name
 *              length and the name; the rest is the message
 *   message:   elements; SECTION_START and LIST_START carry a name,
 *              KEY_VALUE a name and a 16-bit length + value, LIST_ITEM a
 *              16-bit length + value
 *
 * The decoder borrows from the input (spans into it), reads only through rd
 * and allocates nothing: vici_msg_walk() checks the structure of a whole
 * message (sections balanced, lists flat and holding only items, nesting
 * bounded) and hands each element to a visitor.  The builder grows a heap
 * buffer up to a maximum size and is sticky on errors like wr. */
#ifndef KITE_CTL_VICI_MSG_H
#define KITE_CTL_VICI_MSG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/span.h"

/* charon's limit on one transport segment (its VICI_MESSAGE_SIZE_MAX) */
enum { VICI_MSG_MAX = 512 * 1024 };

enum vici_op {
    VICI_CMD_REQUEST = 0,
    VICI_CMD_RESPONSE = 1,
    VICI_CMD_UNKNOWN = 2,
    VICI_EVENT_REGISTER = 3,
    VICI_EVENT_UNREGISTER = 4,
    VICI_EVENT_CONFIRM = 5,
    VICI_EVENT_UNKNOWN = 6,
    VICI_EVENT = 7,
};

enum vici_elem_type {
    VICI_SECTION_START = 1,
    VICI_SECTION_END = 2,
    VICI_KEY_VALUE = 3,
    VICI_LIST_START = 4,
    VICI_LIST_ITEM = 5,
    VICI_LIST_END = 6,
};

/* a decoded packet (the bytes after the 4-byte length) */
struct vici_packet {
    uint8_t op;
    struct span name; /* named types only */
    struct span msg;  /* types with a message only (else empty) */
};

/* one element as the walker sees it; depth is that of the section holding it
 * (0: the root) */
struct vici_elem {
    uint8_t type;
    unsigned depth;
    struct span name;  /* SECTION_START, KEY_VALUE, LIST_START */
    struct span value; /* KEY_VALUE, LIST_ITEM */
};

/* a visitor returns 0 to go on, anything else stops the walk with that value */
typedef int vici_visit_fn(void *ctx, const struct vici_elem *e);

/* the nesting the decoder allows by default (charon's own messages go 4 deep) */
enum { VICI_DEPTH_MAX = 32 };

const char *vici_op_name(uint8_t op);
/* true for the types that carry a name (CMD_REQUEST, EVENT_(UN)REGISTER, EVENT) */
bool vici_op_named(uint8_t op);
/* true for the types that carry a message (CMD_REQUEST, CMD_RESPONSE, EVENT) */
bool vici_op_has_msg(uint8_t op);

/* decode a packet; 0, KITE_E_TRUNCATED, KITE_E_MALFORMED (unknown type, an
 * empty name), KITE_E_TRAILING (bytes after a type without message) */
int vici_packet_decode(struct span in, struct vici_packet *p);
/* walk a message, checking its structure; fn may be NULL (validate only).
 * 0, KITE_E_TRUNCATED, KITE_E_MALFORMED (unknown element, unbalanced,
 * nesting over max_depth, an element out of place) or fn's value */
int vici_msg_walk(struct span msg, unsigned max_depth, vici_visit_fn *fn, void *ctx);
/* the value of key-value `key` in the root section of a message that
 * vici_msg_walk() accepted; false when absent */
bool vici_msg_get(struct span msg, const char *key, struct span *val);
/* the same, as a NUL-terminated string in buf; false when absent, not
 * printable or too long */
bool vici_msg_get_str(struct span msg, const char *key, char *buf, size_t cap);

/* the builder */
struct vici_bld {
    uint8_t *buf;
    size_t len, cap, max;
    int err;        /* sticky: KITE_E_NOMEM, KITE_E_NO_SPACE, KITE_E_INVALID_ARG */
    unsigned depth; /* sections open */
    bool in_list;
    bool started;   /* a packet header was written */
};

/* max: the largest packet including its 4-byte length (0: VICI_MSG_MAX + 4) */
void vici_bld_init(struct vici_bld *b, size_t max);
void vici_bld_free(struct vici_bld *b);
/* start a packet: length placeholder, type, name (NULL for unnamed types) */
int vici_bld_packet(struct vici_bld *b, uint8_t op, const char *name);
int vici_bld_section(struct vici_bld *b, const char *name);
int vici_bld_end(struct vici_bld *b);
int vici_bld_kv(struct vici_bld *b, const char *key, const void *v, size_t n);
int vici_bld_kv_str(struct vici_bld *b, const char *key, const char *v);
int vici_bld_kv_fmt(struct vici_bld *b, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int vici_bld_list(struct vici_bld *b, const char *name);
int vici_bld_item(struct vici_bld *b, const void *v, size_t n);
int vici_bld_item_str(struct vici_bld *b, const char *v);
int vici_bld_list_end(struct vici_bld *b);
/* patch the length; the packet (with its 4-byte length) is in out, owned by
 * the builder until vici_bld_free() or the next vici_bld_packet().
 * KITE_E_MALFORMED if a section or list is still open */
int vici_bld_finish(struct vici_bld *b, struct span *out);

#endif
