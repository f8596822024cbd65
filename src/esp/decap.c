/* ESP decapsulation, RFC 4303 3.4. */
#include "esp/decap.h"
#include "base/err.h"
#include "base/rd.h"
#include "esp/ip.h"
#include <string.h>

/* a refusal: count it where it belongs and hand the code back */
static int drop(uint64_t *counter, int err)
{
    (*counter)++;
    return err;
}

/* Checked once at the top: the header, IV and ICV are there and the
 * ciphertext can hold at least the trailer (one block for CBC; the stream
 * modes, AEAD and CTR, have block 1). */
static int read_header(struct esp_sa *sa, const struct esp_buf *b, uint32_t *seq_lo,
                       size_t *ct_len)
{
    struct rd r;
    uint32_t spi;
    size_t fixed = esp_sa_headroom(sa) + sa->icv_len;
    size_t min_ct = sa->encr->block_len > ESP_TRAILER_LEN ? sa->encr->block_len : ESP_TRAILER_LEN;
    rd_init(&r, b->base + b->off, b->len);
    rd_be32(&r, &spi);
    rd_be32(&r, seq_lo);
    if (r.err || b->len < fixed + min_ct)
        return drop(&sa->cnt.malformed, KITE_E_TRUNCATED);
    if (spi != sa->spi)
        return drop(&sa->cnt.malformed, KITE_E_INVALID_SPI);
    *ct_len = b->len - fixed;
    if (*ct_len % sa->encr->block_len)
        return drop(&sa->cnt.malformed, KITE_E_BAD_LENGTH);
    return 0;
}

/* verify the ICV and decrypt in place; the AEADs do both at once */
static int unprotect(const struct esp_sa *sa, uint8_t *pkt, size_t ct_len, uint64_t seq)
{
    size_t hdr = esp_sa_headroom(sa);
    const uint8_t *iv = pkt + ESP_HDR_LEN;
    uint8_t *ct = pkt + hdr;
    if (sa->encr->aead) {
        uint8_t aad[12];
        size_t n = esp_sa_aad(sa, seq, aad);
        return aead_open(&sa->aead, iv, span_of(aad, n), ct, ct, ct_len, ct + ct_len);
    }
    /* the ESN high bits are appended for the ICV only (RFC 4303 3.3.2.1) */
    uint8_t hi[4] = { (uint8_t)(seq >> 56), (uint8_t)(seq >> 48), (uint8_t)(seq >> 40),
                      (uint8_t)(seq >> 32) };
    struct span parts[2] = { span_of(pkt, hdr + ct_len), span_of(hi, sizeof hi) };
    int rc = integ_verify(&sa->mac, parts, sa->esn ? 2 : 1, ct + ct_len);
    return rc ? rc : cbc_run(&sa->cbc, iv, ct, ct, ct_len);
}

/* RFC 4303 2.4: pad length within the payload, padding bytes 1, 2, 3, ... */
static int check_trailer(const uint8_t *pt, size_t ct_len, size_t *inner_len)
{
    uint8_t pad = pt[ct_len - 2];
    if ((size_t)pad + ESP_TRAILER_LEN > ct_len)
        return KITE_E_MALFORMED;
    const uint8_t *p = pt + ct_len - ESP_TRAILER_LEN - pad;
    uint8_t bad = 0;
    for (size_t i = 0; i < pad; i++)
        bad |= (uint8_t)(p[i] ^ (uint8_t)(i + 1));
    *inner_len = ct_len - ESP_TRAILER_LEN - pad;
    return bad ? KITE_E_MALFORMED : 0;
}

/* tunnel mode: an IP packet of the family the next header names, cut to
 * the length it declares (TFC padding, RFC 4303 2.7), within the selectors */
static int check_tunnel(struct esp_sa *sa, const uint8_t *inner, size_t *len, uint8_t nh)
{
    struct esp_flow f;
    size_t ip_len;
    uint8_t want = nh == IPPROTO_NUM_IPIP ? ESP_IPV4 : nh == IPPROTO_NUM_IPV6 ? ESP_IPV6 : 0;
    if (!want || !*len || inner[0] >> 4 != want || esp_ip_len(inner, *len, &ip_len))
        return drop(&sa->cnt.malformed, KITE_E_MALFORMED);
    *len = ip_len;
    if (!sa->n_ts_local && !sa->n_ts_remote)
        return 0;
    if (esp_flow_parse(inner, ip_len, &f))
        return drop(&sa->cnt.malformed, KITE_E_MALFORMED);
    if (esp_ts_check_inbound(sa->ts_local, sa->n_ts_local, sa->ts_remote, sa->n_ts_remote, &f))
        return drop(&sa->cnt.policy_drops, KITE_E_POLICY);
    return 0;
}

int esp_decap(struct esp_sa *sa, struct esp_buf *b, uint8_t *next_header, uint64_t now)
{
    uint32_t seq_lo;
    uint64_t seq;
    size_t ct_len, inner_len;
    if (sa->dir != ESP_DIR_IN || b->off > b->cap || b->len > b->cap - b->off)
        return KITE_E_INVALID_ARG;
    if (sa->flags & ESP_SA_HARD_EXPIRED)
        return drop(&sa->cnt.other_drops, KITE_E_STATE);
    int rc = read_header(sa, b, &seq_lo, &ct_len);
    if (rc)
        return rc;
    if (esp_replay_check(&sa->replay, seq_lo, &seq))
        return drop(&sa->cnt.replay_drops, KITE_E_REPLAY);
    /* the context is made at the first packet that gets this far: one with
     * a valid SPI and garbage, from anyone, makes it exist before any ICV
     * was checked.  That costs what esp_sa_init used to spend on every SA
     * at once (one context per SA, made once), so a sender gains no
     * amplification: the memory is bounded by the SAs the IKE peers set up. */
    if (!sa->prepared && (rc = esp_sa_prepare(sa)))
        return drop(&sa->cnt.other_drops, rc);
    uint8_t *pkt = b->base + b->off, *pt = pkt + esp_sa_headroom(sa);
    rc = unprotect(sa, pkt, ct_len, seq);
    if (rc)
        return drop(rc == KITE_E_INTEGRITY ? &sa->cnt.icv_failures : &sa->cnt.other_drops, rc);
    if (esp_replay_update(&sa->replay, seq))
        return drop(&sa->cnt.replay_drops, KITE_E_REPLAY);
    if (check_trailer(pt, ct_len, &inner_len))
        return drop(&sa->cnt.malformed, KITE_E_MALFORMED);
    uint8_t nh = pt[ct_len - 1];
    if (sa->mode == ESP_MODE_TUNNEL && nh != IPPROTO_NUM_NONE &&
        (rc = check_tunnel(sa, pt, &inner_len, nh)))
        return rc;
    b->off += esp_sa_headroom(sa);
    b->len = inner_len;
    *next_header = nh;
    esp_sa_account(sa, inner_len, now);
    return 0;
}
