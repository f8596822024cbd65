/* frag: IKE message fragmentation (RFC 7383).
 *
 * Sending: a protected message that would not fit in the fragment size
 * (ike_limits.fragment_size, the whole IP packet) goes out as SKF fragments
 * when fragmentation is in use for its IKE SA (2.3, 2.5): the inner payloads
 * are cut into pieces, each encrypted on its own with the Fragment Number
 * and Total Fragments in the associated data, the first inner payload type
 * in fragment 1 only.  The fragments are kept and resent together (2.6.1).
 *
 * Receiving: each fragment is decrypted, so its integrity checked, before
 * it is kept (2.6); pieces are kept per IKE SA and direction (the peer's
 * request, the response to ours), whatever their order, duplicates ignored,
 * and a higher Total Fragments starts the message over, a lower one is
 * ignored (2.6).  Everything kept is bounded by struct ike_limits. */
#ifndef KITE_IKE_FRAG_H
#define KITE_IKE_FRAG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/span.h"

struct ike_engine;
struct ikesa;
struct ike_hdr;
struct ike_msg;
struct ike_chain;
struct sk_keys;

/* what the engine's reassemblies hold in all (checked against ike_limits) */
struct ike_frag_acct {
    uint64_t mem;
    uint32_t msgs;
};

/* inner payloads of one message: at most what a reassembled message may be */
enum { IKE_INNER_MAX = 65535, IKE_FRAG_CHUNK_MIN = 16 };

/* the datagrams of one message sent in fragments, kept to be resent */
struct ike_dgrams {
    uint8_t *buf; /* n datagrams, each after its length (2 bytes, big endian) */
    size_t len;
    uint16_t n;
};

void ike_dgrams_clear(struct ike_dgrams *d);
/* SEND actions for every datagram, from the IKE SA's addresses */
void ike_dgrams_send(struct ike_engine *e, struct ikesa *sa, const struct ike_dgrams *d);
/* the first datagram (for the header of the message) */
struct span ike_dgrams_first(const struct ike_dgrams *d);

/* ---- sending ---- */

/* the largest piece of inner payloads one fragment carries when a message
 * of inner_len bytes must be split on this IKE SA; 0: send it whole
 * (fragmentation not in use, or the message fits) */
size_t ike_frag_chunk(const struct ike_engine *e, const struct ikesa *sa, size_t inner_len);
/* the SKF datagrams of a message: header h, inner payloads starting with
 * type `first`, pieces of `chunk` bytes; 0 or KITE_E_* */
int ike_frag_split(const struct sk_keys *k, const struct ike_hdr *h, uint8_t first, struct span inner,
                   size_t chunk, struct ike_dgrams *out);

/* ---- receiving ---- */

/* a message whose fragments are all in */
struct ike_frag_done {
    uint8_t *plain;     /* the inner payloads (malloc'd; ike_frag_done_free) */
    size_t len;
    uint8_t first;      /* type of the first inner payload, from fragment 1 */
    uint8_t *frag1;     /* fragment 1's datagram: what a retransmission is compared to */
    size_t frag1_len;
};
void ike_frag_done_free(struct ike_frag_done *d);

/* an SKF message m (datagram p, n) for IKE SA sa whose message ID the
 * engine has accepted: 0 when it completes the message (*done filled), 1
 * when it was kept or ignored (nothing more to do now), or a negative
 * KITE_E_* when it was dropped (counted and logged here) */
int ike_frag_recv(struct ike_engine *e, struct ikesa *sa, const uint8_t *p, size_t n, const struct ike_msg *m,
                  struct ike_frag_done *done);
/* the fragment number of an SKF message (0: not one) */
uint16_t ike_frag_num(const struct ike_msg *m);
/* an unfragmented message of that direction was accepted: what was being
 * reassembled for it is obsolete */
void ike_frag_forget(struct ike_engine *e, struct ikesa *sa, bool response);
/* reassemblies past their time are dropped; the next such time */
void ike_frag_tick(struct ike_engine *e, struct ikesa *sa, uint64_t now);
uint64_t ike_frag_next(const struct ikesa *sa);
/* the IKE SA goes: its fragments, sent and received */
void ike_frag_sa_free(struct ikesa *sa);

/* ---- negotiation (2.3) ---- */

/* IKE_SA_INIT: send IKEV2_FRAGMENTATION_SUPPORTED?  The initiator as
 * configured, the responder only when the initiator sent it */
bool ike_frag_announce(const struct ike_engine *e, const struct ikesa *sa);
/* IKE_SA_INIT from the peer: did it announce support? */
void ike_frag_check(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *c);

#endif
