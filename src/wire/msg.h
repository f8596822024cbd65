/* wire/msg: an IKEv2 message = header + payload chain (RFC 7296 3.1, 3.2),
 * and the inner payload chain carried in SK plaintext.
 *
 * Decoding borrows from the input and fills a fixed array of payloads, each
 * with its type, critical bit, offset and decoded body (a tagged union on
 * `type`; `unknown` marks a payload kite skipped).  Encoding writes the same
 * structs back: for every well-formed message encode(decode(x)) == x.
 *
 * A decoded chain points into its own pool and into the input: do not copy
 * the struct, and keep the input alive while it is used. */
#ifndef KITE_WIRE_MSG_H
#define KITE_WIRE_MSG_H
#include <stdbool.h>
#include <stdint.h>
#include "base/err.h"
#include "base/span.h"
#include "base/wr.h"
#include "wire/ike.h"
#include "wire/pld.h"

struct ike_pld {
    uint8_t type;   /* IKEV2_PLD_*, from the previous Next Payload field */
    bool critical;  /* as received; only meaningful for unknown types (3.2) */
    bool unknown;   /* not understood and not critical: skipped, kept in u.raw */
    size_t offset;  /* of the generic payload header within the decoded input */
    union {
        struct ike_sa sa;
        struct ike_ke ke;
        struct ike_id id;     /* IDi, IDr */
        struct ike_cert cert; /* CERT, CERTREQ */
        struct ike_auth auth;
        struct ike_nonce nonce;
        struct ike_notify notify;
        struct ike_delete del;
        struct ike_vendor vendor;
        struct ike_ts ts; /* TSi, TSr */
        struct ike_sk sk;
        struct ike_skf skf;
        struct ike_cp cp;
        struct ike_eap eap;
        struct ike_raw raw;
    } u;
};

struct ike_chain {
    uint8_t n;
    /* on KITE_E_CRITICAL: the payload type to return in the
     * UNSUPPORTED_CRITICAL_PAYLOAD notify's data (3.10.1) */
    uint8_t critical_type;
    struct ike_pld pld[IKE_MAX_PAYLOADS];
    struct ike_pool pool;
};

struct ike_msg {
    struct ike_hdr hdr;
    struct ike_chain chain;
};

/* Decode a whole datagram.  Payload offsets are from the datagram's start.
 * An SK or SKF payload must be the last one; its Next Payload field becomes
 * sk.first.  An unknown payload with the critical bit fails with KITE_E_CRITICAL
 * and chain.critical_type set; one without it is skipped (unknown = true). */
int ike_msg_decode(struct span dgram, struct ike_msg *m, struct diag *d);
/* Decode an inner payload chain (SK plaintext, or a reassembled SKF message)
 * starting with payload type `first`.  Offsets are from the start of `in`.
 * SK and SKF are not allowed inside (KITE_E_UNEXPECTED). */
int ike_chain_decode(struct span in, uint8_t first, struct ike_chain *c, struct diag *d);

/* Write the header and chain; Next Payload fields follow the order of the
 * payloads (after SK/SKF: its `first`), lengths are patched.  SK/SKF may only
 * be last (KITE_E_INVALID_ARG otherwise). */
int ike_msg_encode(const struct ike_msg *m, struct wr *w);
/* Write an inner chain (the SK plaintext before padding) */
int ike_chain_encode(const struct ike_chain *c, struct wr *w);
/* The same from an array of n payloads (at most IKE_MAX_PAYLOADS), without
 * building an ike_msg / ike_chain (each holds a decode pool of ~21 KB) */
int ike_msg_encode_plds(const struct ike_hdr *h, const struct ike_pld *pld, unsigned n, struct wr *w);
int ike_plds_encode(const struct ike_pld *pld, unsigned n, struct wr *w);
/* Write one payload: generic header with the given Next Payload, and body */
int ike_pld_encode(struct wr *w, const struct ike_pld *p, uint8_t next);

/* the i-th payload of a type, or NULL: a convenience for handlers that run
 * after the rule check has fixed how many there are */
const struct ike_pld *ike_chain_find(const struct ike_chain *c, uint8_t type, unsigned nth);
/* the first Notify of a given type, or NULL */
const struct ike_notify *ike_chain_notify(const struct ike_chain *c, uint16_t type);

#endif
