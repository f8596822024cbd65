/* msg: building the engine's messages from payload structs, and the SK
 * envelope of the protected exchanges (RFC 7296 3.14). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include "ike/ike_int.h"
#include "wire/rules.h"

void ike_hdr_for(const struct ikesa *sa, uint8_t exchange, bool response, uint32_t msgid,
                 struct ike_hdr *h)
{
    memset(h, 0, sizeof *h);
    for (int i = 0; i < 8; i++) {
        h->spi_i = h->spi_i << 8 | sa->spi_i[i];
        h->spi_r = h->spi_r << 8 | sa->spi_r[i];
    }
    h->version = 0x20;
    h->exchange = exchange;
    h->flags = (uint8_t)((sa->initiator ? IKE_FLAG_I : 0) | (response ? IKE_FLAG_R : 0));
    h->msg_id = msgid;
}

struct ike_pld *pld_notify(struct ike_pld *p, uint16_t type, const void *data, size_t len)
{
    memset(p, 0, sizeof *p);
    p->type = IKEV2_PLD_NOTIFY;
    p->u.notify.type = type;
    p->u.notify.data = span_of(data, len);
    return p;
}

int ike_encode_plain(const struct ike_hdr *h, const struct ike_pld *pld, unsigned n, uint8_t *out,
                     size_t cap, size_t *len)
{
    struct wr w;
    wr_init(&w, out, cap);
    int rc = ike_msg_encode_plds(h, pld, n, &w);
    *len = w.len;
    return rc;
}

/* the inner payloads, as the SK or SKF payloads carry them */
static int encode_inner(const struct ike_pld *pld, unsigned n, uint8_t *inner, size_t cap, size_t *len)
{
    struct wr iw;
    wr_init(&iw, inner, cap);
    int rc = ike_plds_encode(pld, n, &iw);
    *len = iw.len;
    return rc;
}

/* HDR, SK{inner} */
static int seal_sk(struct ikesa *sa, const struct ike_hdr *h, uint8_t first, struct span inner, uint8_t *out,
                   size_t cap, size_t *len)
{
    struct wr w;
    size_t len_at;
    wr_init(&w, out, cap);
    ike_hdr_encode(&w, h, IKEV2_PLD_SK, &len_at);
    size_t sk_off = w.len;
    wr_u8(&w, first); /* first inner payload */
    wr_u8(&w, 0);
    wr_be16(&w, 0); /* sk_encrypt patches both lengths */
    if (w.err)
        return w.err;
    int rc = sk_encrypt(&sa->sk_out, &w, sk_off, SK_HDR_LEN, inner, NULL, NULL);
    *len = w.len;
    return rc;
}

int ike_encode_sk(struct ikesa *sa, const struct ike_hdr *h, const struct ike_pld *pld, unsigned n,
                  uint8_t *out, size_t cap, size_t *len)
{
    uint8_t inner[IKE_MSG_MAX];
    size_t ilen;
    int rc = encode_inner(pld, n, inner, sizeof inner, &ilen);
    if (!rc)
        rc = seal_sk(sa, h, n ? pld[0].type : IKEV2_PLD_NONE, span_of(inner, ilen), out, cap, len);
    mem_wipe(inner, sizeof inner);
    return rc;
}

int ike_open_inner(const struct ike_msg *m, const uint8_t *plain, size_t len, uint8_t first,
                   struct ike_chain *inner, struct diag *d)
{
    int rc = ike_chain_decode(span_of(plain, len), first, inner, d);
    if (!rc)
        rc = ike_rules_check_inner(m->hdr.exchange, ike_hdr_is_response(&m->hdr), inner, d);
    return rc;
}

int ike_open_sk(struct ikesa *sa, const uint8_t *p, size_t n, const struct ike_msg *m,
                uint8_t *plain, size_t cap, struct ike_chain *inner, struct diag *d)
{
    const struct ike_pld *sk = ike_chain_find(&m->chain, IKEV2_PLD_SK, 0);
    size_t plen;
    if (!sk)
        return diag_set(d, KITE_E_MISSING, "SK payload", 0);
    int rc = sk_decrypt(&sa->sk_in, span_of(p, n), sk->offset, SK_HDR_LEN, plain, cap, &plen, d);
    return rc ? rc : ike_open_inner(m, plain, plen, sk->u.sk.first, inner, d);
}

/* strongSwan's short names, so logs read like charon's */
static const char *short_notify(uint16_t t)
{
    switch (t) {
    case IKEV2_N_NAT_DETECTION_SOURCE_IP: return "NATD_S_IP";
    case IKEV2_N_NAT_DETECTION_DESTINATION_IP: return "NATD_D_IP";
    case IKEV2_N_SIGNATURE_HASH_ALGORITHMS: return "HASH_ALG";
    case IKEV2_N_INITIAL_CONTACT: return "INIT_CONTACT";
    case IKEV2_N_USE_TRANSPORT_MODE: return "USE_TRANSP";
    case IKEV2_N_NO_PROPOSAL_CHOSEN: return "NO_PROP";
    case IKEV2_N_INVALID_KE_PAYLOAD: return "INVAL_KE";
    case IKEV2_N_AUTHENTICATION_FAILED: return "AUTH_FAILED";
    case IKEV2_N_TS_UNACCEPTABLE: return "TS_UNACCEPT";
    case IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED: return "FRAG_SUP";
    default: break;
    }
    const char *n = ike_notify_name(t);
    return n ? n : "?";
}

void ike_payload_list(const struct ike_pld *pld, unsigned n, char *buf, size_t cap)
{
    static const char *const names[] = { [IKEV2_PLD_SA] = "SA", [IKEV2_PLD_KE] = "KE",
        [IKEV2_PLD_IDI] = "IDi", [IKEV2_PLD_IDR] = "IDr", [IKEV2_PLD_CERT] = "CERT",
        [IKEV2_PLD_CERTREQ] = "CERTREQ", [IKEV2_PLD_AUTH] = "AUTH", [IKEV2_PLD_NONCE] = "No",
        [IKEV2_PLD_NOTIFY] = "N", [IKEV2_PLD_DELETE] = "D", [IKEV2_PLD_VENDOR] = "V",
        [IKEV2_PLD_TSI] = "TSi", [IKEV2_PLD_TSR] = "TSr", [IKEV2_PLD_SK] = "SK",
        [IKEV2_PLD_CP] = "CP", [IKEV2_PLD_EAP] = "EAP", [IKEV2_PLD_SKF] = "SKF" };
    size_t o = 0;
    buf[0] = 0;
    for (unsigned i = 0; i < n && o + 2 < cap; i++) {
        uint8_t t = pld[i].type;
        const char *name = t < sizeof names / sizeof names[0] && names[t] ? names[t] : "?";
        if (t == IKEV2_PLD_NOTIFY)
            o += (size_t)snprintf(buf + o, cap - o, " N(%s)", short_notify(pld[i].u.notify.type));
        else
            o += (size_t)snprintf(buf + o, cap - o, " %s", name);
        if (o >= cap)
            break;
    }
    if (o + 2 < cap)
        snprintf(buf + o, cap - o, " ");
}

/* the message in SKF fragments, stored to be resent (RFC 7383 2.5) */
static int send_frags(struct ike_engine *e, struct ikesa *sa, const struct ike_hdr *h, uint8_t first,
                      struct span inner, size_t chunk, bool response, uint64_t now)
{
    struct ike_dgrams d;
    int rc = ike_frag_split(&sa->sk_out, h, first, inner, chunk, &d);
    if (rc)
        return rc;
    ike_log(e, LOG_ENC, 1, "splitting IKE message (%zu bytes of payloads) into %u fragments", inner.n, d.n);
    e->stats.frag_msgs_sent++;
    e->stats.frags_sent += d.n;
    if (response)
        ike_send_response_dgrams(e, sa, &d);
    else
        ike_send_request_dgrams(e, sa, &d, now);
    return 0;
}

/* HDR, SK{inner}, or HDR, SKF{...} fragments when it is too large for one */
static int send_inner(struct ike_engine *e, struct ikesa *sa, const struct ike_hdr *h, uint8_t first,
                      struct span inner, bool response, uint64_t now)
{
    uint8_t out[IKE_DGRAM_MAX];
    size_t len, chunk = ike_frag_chunk(e, sa, inner.n);
    if (chunk)
        return send_frags(e, sa, h, first, inner, chunk, response, now);
    int rc = seal_sk(sa, h, first, inner, out, sizeof out, &len);
    if (rc)
        return rc;
    if (response)
        ike_send_response(e, sa, out, len);
    else
        ike_send_request(e, sa, out, len, now);
    return 0;
}

int ike_send_sk(struct ike_engine *e, struct ikesa *sa, uint8_t exchange, const struct ike_pld *pld, unsigned n,
                bool response, uint32_t msgid, uint64_t now)
{
    struct ike_hdr h;
    size_t ilen = 0;
    char list[256];
    uint8_t *inner = ike_scratch_get(e, IKE_INNER_MAX, false);
    if (!inner)
        return KITE_E_NOMEM;
    ike_hdr_for(sa, exchange, response, msgid, &h);
    int rc = encode_inner(pld, n, inner, IKE_INNER_MAX, &ilen);
    if (!rc) {
        ike_payload_list(pld, n, list, sizeof list);
        ike_log(e, LOG_ENC, 1, "generating %s %s %u [%s]", ike_exchange_name(exchange),
                response ? "response" : "request", msgid, list);
        rc = send_inner(e, sa, &h, n ? pld[0].type : IKEV2_PLD_NONE, span_of(inner, ilen), response, now);
        if (!rc && !response)
            sa->pending_exch = exchange;
    }
    mem_wipe(inner, ilen);
    ike_scratch_put(e, inner);
    return rc;
}
