#include "wire/sk.h"
#include "crypto/rand.h"
#include "base/rd.h"
#include "base/secret.h"
#include <string.h>

int sk_keys_init(struct sk_keys *k, const struct xf_info *encr, const struct xf_info *integ,
                 struct span sk_e, struct span sk_a, bool encrypt)
{
    int rc;
    memset(k, 0, sizeof *k);
    if (!encr || encr->type != XF_ENCR)
        return KITE_E_UNSUPPORTED;
    k->encr = encr;
    if (encr->aead) {
        /* RFC 5282 8: an AEAD suite has no INTEG transform */
        rc = integ ? KITE_E_INVALID_ARG : aead_init_lazy(&k->aead, encr, sk_e, encrypt);
    } else {
        k->integ = integ;
        rc = integ ? cbc_init(&k->cbc, encr, sk_e, encrypt) : KITE_E_INVALID_ARG;
        if (!rc)
            rc = integ_init(&k->mac, integ, sk_a);
    }
    if (rc)
        sk_keys_free(k);
    return rc;
}

void sk_keys_free(struct sk_keys *k)
{
    if (k->aead.ctx || k->aead.key.p)
        aead_free(&k->aead);
    if (k->cbc.ctx)
        cbc_free(&k->cbc);
    if (k->mac.xf)
        integ_free(&k->mac);
    k->encr = k->integ = NULL;
}

static size_t icv_len(const struct sk_keys *k)
{
    return k->encr->aead ? k->encr->icv_len : k->integ->icv_len;
}

/* padding so that payloads | padding | pad length fill whole blocks
 * (RFC 7296 3.14); AEAD suites here are stream modes with block 1 */
static size_t pad_len(const struct sk_keys *k, size_t inner_len)
{
    size_t b = k->encr->block_len ? k->encr->block_len : 1;
    return (b - (inner_len + 1) % b) % b;
}

size_t sk_overhead(const struct sk_keys *k, size_t inner_len)
{
    return k->encr->iv_len + pad_len(k, inner_len) + 1 + icv_len(k);
}

/* ---- decrypt --------------------------------------------------------- */

struct sk_frame {
    struct span iv, ct, icv;
};

/* RFC 7296 3.14 / RFC 7383 2.5 framing, read through rd */
static int frame(const struct sk_keys *k, struct span msg, size_t sk_off, size_t hdr_len,
                 struct sk_frame *f, struct diag *d)
{
    struct rd r, body;
    uint8_t next, flags;
    uint16_t plen;
    size_t ivl = k->encr->iv_len, icvl = icv_len(k);
    size_t block = k->encr->block_len ? k->encr->block_len : 1;
    rd_init(&r, msg.p, msg.n);
    rd_skip(&r, sk_off);
    rd_u8(&r, &next);
    rd_u8(&r, &flags);
    if (rd_be16(&r, &plen))
        return diag_set(d, KITE_E_TRUNCATED, "SK payload header", sk_off);
    if (plen < hdr_len + ivl + icvl + 1 || (size_t)plen != msg.n - sk_off)
        return diag_set(d, KITE_E_BAD_LENGTH, "SK payload length", sk_off + 2);
    rd_skip(&r, hdr_len - SK_HDR_LEN); /* SKF Fragment Number, Total Fragments */
    if (rd_sub(&r, plen - hdr_len, &body))
        return diag_set(d, KITE_E_TRUNCATED, "SK payload body", sk_off + hdr_len);
    size_t ctl = rd_left(&body) - ivl - icvl;
    if (ctl % block)
        return diag_set(d, KITE_E_BAD_LENGTH, "SK ciphertext length", rd_offset(&body) + ivl);
    rd_span(&body, ivl, &f->iv);
    rd_span(&body, ctl, &f->ct);
    rd_span(&body, icvl, &f->icv);
    if (!rd_done(&body) || !rd_done(&r))
        return diag_set(d, KITE_E_BAD_LENGTH, "SK payload body", sk_off + hdr_len);
    return 0;
}

static int open_aead(const struct sk_keys *k, struct span msg, size_t aad_end,
                     const struct sk_frame *f, uint8_t *plain)
{
    return aead_open(&k->aead, f->iv.p, span_of(msg.p, aad_end), f->ct.p, plain, f->ct.n,
                     f->icv.p);
}

static int open_cbc(const struct sk_keys *k, struct span msg, const struct sk_frame *f,
                    uint8_t *plain)
{
    /* integrity first: IKE header .. end of ciphertext */
    struct span covered = span_of(msg.p, msg.n - f->icv.n);
    int rc = integ_verify(&k->mac, &covered, 1, f->icv.p);
    return rc ? rc : cbc_run(&k->cbc, f->iv.p, f->ct.p, plain, f->ct.n);
}

int sk_decrypt(const struct sk_keys *k, struct span msg, size_t sk_off, size_t sk_hdr_len,
               uint8_t *plain, size_t cap, size_t *plain_len, struct diag *d)
{
    struct sk_frame f;
    *plain_len = 0;
    if (!k->encr || (sk_hdr_len != SK_HDR_LEN && sk_hdr_len != SKF_HDR_LEN))
        return KITE_E_INVALID_ARG;
    if (sk_off < SK_IKE_HDR_LEN || sk_off > msg.n)
        return diag_set(d, KITE_E_TRUNCATED, "SK payload offset", sk_off);
    int rc = frame(k, msg, sk_off, sk_hdr_len, &f, d);
    if (rc)
        return rc;
    if (f.ct.n > cap)
        return diag_set(d, KITE_E_NO_SPACE, "SK plaintext buffer", sk_off);
    rc = k->encr->aead ? open_aead(k, msg, sk_off + sk_hdr_len, &f, plain)
                       : open_cbc(k, msg, &f, plain);
    if (rc)
        return diag_set(d, rc, "SK integrity checksum", msg.n - f.icv.n);
    /* Pad Length is the last plaintext byte; padding may hold any value */
    size_t pad = plain[f.ct.n - 1];
    if (pad + 1 > f.ct.n) {
        mem_wipe(plain, f.ct.n);
        return diag_set(d, KITE_E_MALFORMED, "SK pad length", msg.n - f.icv.n - 1);
    }
    *plain_len = f.ct.n - pad - 1;
    return 0;
}

/* ---- encrypt --------------------------------------------------------- */

/* append IV | inner | padding | pad length | room for the ICV */
static int lay_out(const struct sk_keys *k, struct wr *w, struct span inner, const uint8_t *iv)
{
    size_t ivl = k->encr->iv_len, pad = pad_len(k, inner.n);
    size_t iv_at = wr_reserve(w, ivl);
    if (w->err)
        return w->err;
    if (iv)
        memcpy(w->buf + iv_at, iv, ivl);
    else
        crypto_random(w->buf + iv_at, ivl);
    wr_span(w, inner);
    wr_zero(w, pad);
    wr_u8(w, (uint8_t)pad);
    wr_reserve(w, icv_len(k));
    return w->err;
}

int sk_encrypt(const struct sk_keys *k, struct wr *w, size_t sk_off, size_t sk_hdr_len,
               struct span inner, const uint8_t *iv, struct diag *d)
{
    if (!k->encr || (sk_hdr_len != SK_HDR_LEN && sk_hdr_len != SKF_HDR_LEN) ||
        sk_off < SK_IKE_HDR_LEN || w->len != sk_off + sk_hdr_len)
        return KITE_E_INVALID_ARG;
    size_t ct_at = w->len + k->encr->iv_len, icvl = icv_len(k);
    int rc = lay_out(k, w, inner, iv);
    /* lengths first: they are covered by the AAD / ICV */
    if (!rc)
        rc = wr_patch_len16(w, sk_off + 2, sk_off);
    if (!rc)
        rc = wr_put_be32(w, SK_IKE_LEN_AT, (uint32_t)w->len);
    if (rc)
        return diag_set(d, rc, "SK payload", sk_off);
    uint8_t *ct = w->buf + ct_at, *icv = w->buf + w->len - icvl;
    size_t ctl = (size_t)(icv - ct);
    const uint8_t *ivp = w->buf + sk_off + sk_hdr_len;
    if (k->encr->aead) {
        rc = aead_seal(&k->aead, ivp, span_of(w->buf, sk_off + sk_hdr_len), ct, ct, ctl, icv);
    } else {
        struct span covered = span_of(w->buf, w->len - icvl);
        rc = cbc_run(&k->cbc, ivp, ct, ct, ctl);
        if (!rc)
            rc = integ_compute(&k->mac, &covered, 1, icv);
    }
    return rc ? diag_set(d, rc, "SK encryption", sk_off) : 0;
}
