/* ESP encapsulation, RFC 4303 3.3. */
#include "esp/encap.h"
#include "base/err.h"
#include "esp/ip.h"
#include <string.h>

enum { IVGEN_BLOCK = 16 };

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

/* the per-packet IV: the sequence number for the AEADs and CTR modes
 * (unique per key, RFC 4106 3.1, RFC 4309 3.1, RFC 3686 3.1), E_k(seq) for
 * CBC (unpredictable, RFC 3602 2.2) */
static int make_iv(const struct esp_sa *sa, uint64_t seq, uint8_t iv[IVGEN_BLOCK])
{
    static const uint8_t zero[IVGEN_BLOCK];
    uint8_t block[IVGEN_BLOCK] = { 0 };
    if (xf_counter_iv(sa->encr)) {
        put_be64(iv, seq);
        return 0;
    }
    put_be64(block, seq);
    return cbc_run(&sa->ivgen, zero, block, iv, IVGEN_BLOCK);
}

static int next_header(const struct esp_sa *sa, const struct esp_buf *b, uint8_t proto,
                       uint8_t *nh)
{
    if (sa->mode == ESP_MODE_TRANSPORT) {
        *nh = proto;
        return 0;
    }
    uint8_t version = b->len ? b->base[b->off] >> 4 : 0;
    if (version == ESP_IPV4)
        *nh = IPPROTO_NUM_IPIP;
    else if (version == ESP_IPV6)
        *nh = IPPROTO_NUM_IPV6;
    else
        return KITE_E_MALFORMED;
    return 0;
}

/* the trailer goes right after the payload: pad bytes 1, 2, 3, ... up to the
 * boundary, then pad length and next header (RFC 4303 2.4) */
static size_t put_trailer(const struct esp_sa *sa, uint8_t *end_of_payload, size_t len, uint8_t nh)
{
    size_t pad = (sa->align - (len + ESP_TRAILER_LEN) % sa->align) % sa->align;
    for (size_t i = 0; i < pad; i++)
        end_of_payload[i] = (uint8_t)(i + 1);
    end_of_payload[pad] = (uint8_t)pad;
    end_of_payload[pad + 1] = nh;
    return len + pad + ESP_TRAILER_LEN;
}

static int protect(const struct esp_sa *sa, uint8_t *pkt, size_t ct_len, uint64_t seq)
{
    size_t hdr = esp_sa_headroom(sa);
    uint8_t *iv = pkt + ESP_HDR_LEN, *ct = pkt + hdr;
    if (sa->encr->aead) {
        uint8_t aad[12];
        size_t n = esp_sa_aad(sa, seq, aad);
        return aead_seal(&sa->aead, iv, span_of(aad, n), ct, ct, ct_len, ct + ct_len);
    }
    /* encrypt, then MAC over SPI | Seq | IV | ciphertext [| Seq high] */
    int rc = cbc_run(&sa->cbc, iv, ct, ct, ct_len);
    uint8_t hi[4];
    put_be32(hi, (uint32_t)(seq >> 32));
    struct span parts[2] = { span_of(pkt, hdr + ct_len), span_of(hi, sizeof hi) };
    return rc ? rc : integ_compute(&sa->mac, parts, sa->esn ? 2 : 1, ct + ct_len);
}

static int seal(struct esp_sa *sa, struct esp_buf *b, uint8_t proto, uint64_t now,
                uint64_t seq, const uint8_t *iv)
{
    uint8_t nh;
    size_t hdr = esp_sa_headroom(sa);
    if (sa->dir != ESP_DIR_OUT)
        return KITE_E_INVALID_ARG;
    if (b->off > b->cap || b->len > b->cap - b->off || b->off < hdr ||
        b->cap - b->off - b->len < esp_sa_tailroom(sa))
        return sa->cnt.other_drops++, KITE_E_NO_SPACE;
    if (next_header(sa, b, proto, &nh))
        return sa->cnt.malformed++, KITE_E_MALFORMED;
    uint8_t *pkt = b->base + b->off - hdr;
    size_t inner = b->len, ct_len = put_trailer(sa, pkt + hdr + inner, inner, nh);
    put_be32(pkt, sa->spi);
    put_be32(pkt + 4, (uint32_t)seq);
    memcpy(pkt + ESP_HDR_LEN, iv, sa->iv_len);
    int rc = protect(sa, pkt, ct_len, seq);
    if (rc)
        return sa->cnt.other_drops++, rc;
    b->off -= hdr;
    b->len = hdr + ct_len + sa->icv_len;
    esp_sa_account(sa, inner, now);
    return 0;
}

/* the contexts at the first packet (esp_sa_prepare); failing, the packet
 * is dropped before it takes a sequence number */
static int ready(struct esp_sa *sa)
{
    int rc = sa->prepared ? 0 : esp_sa_prepare(sa);
    if (rc)
        sa->cnt.other_drops++;
    return rc;
}

int esp_encap_explicit(struct esp_sa *sa, struct esp_buf *b, uint8_t proto, uint64_t now,
                       uint64_t seq, const uint8_t *iv)
{
    int rc = sa->dir == ESP_DIR_OUT ? ready(sa) : KITE_E_INVALID_ARG;
    return rc ? rc : seal(sa, b, proto, now, seq, iv);
}

int esp_encap(struct esp_sa *sa, struct esp_buf *b, uint8_t proto, uint64_t now)
{
    uint8_t iv[IVGEN_BLOCK];
    uint64_t seq;
    if (sa->dir != ESP_DIR_OUT)
        return KITE_E_INVALID_ARG;
    if (sa->flags & ESP_SA_HARD_EXPIRED)
        return sa->cnt.other_drops++, KITE_E_STATE;
    int rc = ready(sa);
    if (rc)
        return rc;
    if (esp_seq_next(sa->seq_out, sa->esn, &seq)) {
        sa->flags |= ESP_SA_SEQ_EXHAUSTED;
        sa->cnt.other_drops++;
        return KITE_E_SEQ_EXHAUSTED;
    }
    rc = make_iv(sa, seq, iv);
    if (!rc)
        rc = seal(sa, b, proto, now, seq, iv);
    else
        sa->cnt.other_drops++;
    /* a number is used once even when sealing failed later on */
    if (rc != KITE_E_NO_SPACE && rc != KITE_E_MALFORMED)
        sa->seq_out = seq;
    return rc;
}
