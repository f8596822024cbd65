/* reasm: reassembly of the peer's IKE fragments, RFC 7383 2.6 (see frag.h).
 *
 * A fragment is decrypted, so authenticated, before anything is kept or
 * thrown away because of it: a forged fragment can neither take the place
 * of a genuine one nor end a reassembly.  Only what changes nothing (a
 * duplicate, a lower Total Fragments, a number beyond the limit) is ignored
 * before that, without the cost of decryption.  What a reassembly holds is
 * counted against ike_limits: per message and for the whole engine. */
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include "base/secret.h"
#include "ike/ike_int.h"

struct piece {
    uint8_t *p;
    size_t n;
};

struct ike_reasm {
    struct ike_frag_acct *acct;
    uint32_t msgid;
    uint8_t exchange, first;
    uint16_t total, have;
    bool refused;       /* over frag_max_bytes: its pieces are gone, the rest is ignored */
    size_t bytes;       /* all this message holds, also counted in acct->mem */
    size_t plain_len;   /* the pieces' bytes */
    uint64_t expire_at;
    uint8_t *frag1;     /* fragment 1's datagram */
    size_t frag1_len;
    struct piece part[]; /* [total], by fragment number - 1 */
};

static void reasm_free(struct ike_reasm *r)
{
    if (!r)
        return;
    for (uint16_t i = 0; i < r->total; i++)
        if (r->part[i].p) {
            mem_wipe(r->part[i].p, r->part[i].n);
            free(r->part[i].p);
        }
    free(r->frag1);
    r->acct->mem -= r->bytes;
    r->acct->msgs--;
    free(r);
}

static void slot_drop(struct ike_reasm **slot)
{
    reasm_free(*slot);
    *slot = NULL;
}

/* the message cannot be had: its pieces go, what is left of it tells the
 * rest of its fragments (and their retransmissions) to be ignored until it
 * times out or the peer cuts it anew */
static void reasm_refuse(struct ike_reasm *r)
{
    for (uint16_t i = 0; i < r->total; i++)
        if (r->part[i].p) {
            mem_wipe(r->part[i].p, r->part[i].n);
            free(r->part[i].p);
            r->acct->mem -= r->part[i].n;
            r->bytes -= r->part[i].n;
        }
    memset(r->part, 0, r->total * sizeof r->part[0]);
    free(r->frag1);
    r->acct->mem -= r->frag1_len;
    r->bytes -= r->frag1_len;
    r->frag1 = NULL;
    r->frag1_len = 0;
    r->refused = true;
}

void ike_frag_done_free(struct ike_frag_done *d)
{
    if (d->plain) {
        mem_wipe(d->plain, d->len);
        free(d->plain);
    }
    free(d->frag1);
    memset(d, 0, sizeof *d);
}

uint16_t ike_frag_num(const struct ike_msg *m)
{
    const struct ike_pld *p = ike_chain_find(&m->chain, IKEV2_PLD_SKF, 0);
    return p ? p->u.skf.frag_num : 0;
}

void ike_frag_forget(struct ike_engine *e, struct ikesa *sa, bool response)
{
    if (sa->reasm[response]) {
        e->stats.frag_expired++;
        slot_drop(&sa->reasm[response]);
    }
}

void ike_frag_tick(struct ike_engine *e, struct ikesa *sa, uint64_t now)
{
    for (int i = 0; i < 2; i++) {
        struct ike_reasm *r = sa->reasm[i];
        if (!r || now < r->expire_at)
            continue;
        char name[64];
        ike_log(e, LOG_ENC, 1, "IKE_SA %s: fragmented %s %u incomplete after %u ms (%u of %u fragments): dropped",
                ike_sa_name(e, sa, name, sizeof name), i ? "response" : "request", r->msgid,
                (unsigned)e->lim.frag_timeout_ms, r->have, r->total);
        ike_frag_forget(e, sa, i);
    }
}

uint64_t ike_frag_next(const struct ikesa *sa)
{
    uint64_t next = UINT64_MAX;
    for (int i = 0; i < 2; i++)
        if (sa->reasm[i] && sa->reasm[i]->expire_at < next)
            next = sa->reasm[i]->expire_at;
    return next;
}

void ike_frag_sa_free(struct ikesa *sa)
{
    slot_drop(&sa->reasm[0]);
    slot_drop(&sa->reasm[1]);
    ike_dgrams_clear(&sa->req_frags);
    ike_dgrams_clear(&sa->resp_frags);
}

/* ---- one fragment ---- */

struct frag_in {
    const struct ike_skf *f;
    uint32_t msgid;
    uint8_t exchange;
    bool resp;
    const uint8_t *p; /* the datagram */
    size_t n;
    uint8_t *plain;   /* its piece, once decrypted */
    size_t plain_len;
};

static int limited(struct ike_engine *e, const struct ikesa *sa, const struct frag_in *in, const char *what,
                   unsigned long long have, unsigned limit)
{
    char name[64];
    e->stats.frag_limited++;
    e->stats.dropped++;
    ike_log_unauth(e, LOG_ENC, 1, "IKE_SA %s: dropping fragment #%u of %u of %s %u: %s %llu over the limit %u",
                   ike_sa_name(e, sa, name, sizeof name), in->f->frag_num, in->f->frag_total,
                   in->resp ? "response" : "request", in->msgid, what, have, limit);
    return KITE_E_LIMIT;
}

/* integrity first (2.6): the piece is decrypted into a buffer of its own */
static int open_piece(struct ike_engine *e, struct ikesa *sa, const struct ike_msg *m, struct frag_in *in)
{
    const struct ike_pld *pl = ike_chain_find(&m->chain, IKEV2_PLD_SKF, 0);
    struct diag d = { 0 };
    uint8_t *buf = malloc(in->n);
    int rc = buf ? sk_decrypt(&sa->sk_in, span_of(in->p, in->n), pl->offset, SKF_HDR_LEN, buf, in->n,
                              &in->plain_len, &d)
                 : KITE_E_NOMEM;
    if (rc) {
        char name[64];
        free(buf);
        e->stats.frags_bad += rc != KITE_E_NOMEM;
        e->stats.dropped++;
        ike_log_unauth(e, LOG_ENC, 1, "IKE_SA %s: dropping fragment #%u of %u of %s %u: %s%s%s",
                       ike_sa_name(e, sa, name, sizeof name), in->f->frag_num, in->f->frag_total,
                       in->resp ? "response" : "request", in->msgid, kite_strerror(rc), d.field ? " at " : "",
                       d.field ? d.field : "");
        return rc;
    }
    /* what is kept is what is counted: the piece, not the datagram's size
     * (copied rather than realloc'd, so that no unwiped copy is left) */
    in->plain = malloc(in->plain_len ? in->plain_len : 1);
    if (in->plain)
        memcpy(in->plain, buf, in->plain_len);
    mem_wipe(buf, in->n);
    free(buf);
    return in->plain ? 0 : KITE_E_NOMEM;
}

/* a new reassembly for the fragment's message, within the engine's limits */
static int reasm_new(struct ike_engine *e, struct ikesa *sa, const struct frag_in *in, struct ike_reasm **out)
{
    const struct ike_limits *l = &e->lim;
    size_t size = sizeof **out + in->f->frag_total * sizeof (*out)->part[0];
    if (l->frag_max_msgs && e->frag.msgs >= l->frag_max_msgs)
        return limited(e, sa, in, "messages in reassembly", e->frag.msgs + 1ull, l->frag_max_msgs);
    if (l->frag_max_mem && e->frag.mem + size > l->frag_max_mem)
        return limited(e, sa, in, "bytes in reassembly", (unsigned long long)(e->frag.mem + size), l->frag_max_mem);
    struct ike_reasm *r = calloc(1, size);
    if (!r)
        return KITE_E_NOMEM;
    r->acct = &e->frag;
    r->msgid = in->msgid;
    r->exchange = in->exchange;
    r->total = in->f->frag_total;
    r->bytes = size;
    r->expire_at = e->now + l->frag_timeout_ms;
    e->frag.mem += size;
    e->frag.msgs++;
    *out = r;
    return 0;
}

/* keep the decrypted piece (and fragment 1's datagram), within the limits */
static int reasm_put(struct ike_engine *e, struct ikesa *sa, struct ike_reasm **slot, struct frag_in *in)
{
    struct ike_reasm *r = *slot;
    const struct ike_limits *l = &e->lim;
    bool one = in->f->frag_num == 1;
    size_t add = in->plain_len + (one ? in->n : 0);
    if (l->frag_max_bytes && r->bytes + add > l->frag_max_bytes) {
        unsigned long long have = r->bytes + add;
        reasm_refuse(r);
        return limited(e, sa, in, "bytes of the message", have, l->frag_max_bytes);
    }
    if (l->frag_max_mem && e->frag.mem + add > l->frag_max_mem)
        return limited(e, sa, in, "bytes in reassembly", (unsigned long long)(e->frag.mem + add), l->frag_max_mem);
    if (one && !(r->frag1 = malloc(in->n)))
        return KITE_E_NOMEM;
    if (one) {
        memcpy(r->frag1, in->p, in->n);
        r->frag1_len = in->n;
        r->first = in->f->first;
    }
    struct piece *pc = &r->part[in->f->frag_num - 1];
    pc->p = in->plain;
    pc->n = in->plain_len;
    in->plain = NULL;
    r->plain_len += pc->n;
    r->bytes += add;
    e->frag.mem += add;
    r->have++;
    return 0;
}

/* all pieces in: the inner payloads, in fragment order */
static int reasm_finish(struct ike_reasm **slot, struct ike_frag_done *done)
{
    struct ike_reasm *r = *slot;
    memset(done, 0, sizeof *done);
    done->plain = malloc(r->plain_len ? r->plain_len : 1);
    if (!done->plain) {
        slot_drop(slot);
        return KITE_E_NOMEM;
    }
    for (uint16_t i = 0; i < r->total; i++) {
        memcpy(done->plain + done->len, r->part[i].p, r->part[i].n);
        done->len += r->part[i].n;
    }
    done->first = r->first;
    done->frag1 = r->frag1;
    done->frag1_len = r->frag1_len;
    r->frag1 = NULL; /* handed over */
    slot_drop(slot);
    return 0;
}

/* 2.6: a fragment of the message being reassembled that would change nothing */
static bool needless(const struct ike_reasm *r, const struct frag_in *in)
{
    if (!r || r->msgid != in->msgid)
        return false;
    return in->f->frag_total < r->total ||
           (in->f->frag_total == r->total && (r->refused || r->part[in->f->frag_num - 1].p));
}

/* authenticated: an older message, or this one cut anew (a higher Total
 * Fragments, 2.6), starts over; then a reassembly to add the piece to */
static int reasm_slot(struct ike_engine *e, struct ikesa *sa, struct ike_reasm **slot, const struct frag_in *in)
{
    struct ike_reasm *r = *slot;
    if (r && r->msgid != in->msgid)
        e->stats.frag_expired++;
    if (r && (r->msgid != in->msgid || in->f->frag_total > r->total)) {
        slot_drop(slot);
    } else if (r && r->exchange != in->exchange) {
        char name[64];
        e->stats.dropped++;
        ike_log_unauth(e, LOG_ENC, 1, "IKE_SA %s: dropping fragment #%u of %u of %s %u: another exchange type",
                       ike_sa_name(e, sa, name, sizeof name), in->f->frag_num, in->f->frag_total,
                       in->resp ? "response" : "request", in->msgid);
        return KITE_E_UNEXPECTED;
    }
    return *slot ? 0 : reasm_new(e, sa, in, slot);
}

int ike_frag_recv(struct ike_engine *e, struct ikesa *sa, const uint8_t *p, size_t n, const struct ike_msg *m,
                  struct ike_frag_done *done)
{
    const struct ike_pld *pl = ike_chain_find(&m->chain, IKEV2_PLD_SKF, 0);
    struct frag_in in = { .f = &pl->u.skf, .msgid = m->hdr.msg_id, .exchange = m->hdr.exchange,
                          .resp = ike_hdr_is_response(&m->hdr), .p = p, .n = n };
    struct ike_reasm **slot = &sa->reasm[in.resp];
    if (needless(*slot, &in)) { /* not decrypted: it may be anybody's */
        ike_log_unauth(e, LOG_ENC, 2, "received fragment #%u of %u again (or of an older cut): ignored",
                       in.f->frag_num, in.f->frag_total);
        return 1;
    }
    if (e->lim.frag_max_count && in.f->frag_total > e->lim.frag_max_count)
        return limited(e, sa, &in, "fragments", in.f->frag_total, e->lim.frag_max_count);
    int rc = open_piece(e, sa, m, &in);
    if (!rc)
        rc = reasm_slot(e, sa, slot, &in);
    if (!rc)
        rc = reasm_put(e, sa, slot, &in);
    if (in.plain) {
        mem_wipe(in.plain, in.plain_len);
        free(in.plain);
    }
    if (rc)
        return rc;
    if ((*slot)->have < (*slot)->total) {
        ike_log(e, LOG_ENC, 1, "received fragment #%u of %u, waiting for complete IKE message", in.f->frag_num,
                in.f->frag_total);
        return 1;
    }
    rc = reasm_finish(slot, done);
    if (rc)
        return rc;
    e->stats.frag_reassembled++;
    ike_log(e, LOG_ENC, 1, "received fragment #%u of %u, reassembled fragmented IKE message (%zu bytes)",
            in.f->frag_num, in.f->frag_total, done->len);
    return 0;
}
