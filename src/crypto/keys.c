#include "crypto/keys.h"
#include "base/err.h"
#include <stdbool.h>
#include <string.h>

/* RFC 7296 2.14: the "fixed key size" PRFs take half their key from each nonce */
enum { XCBC_NONCE_HALF = 8 };

int keys_skeyseed(const struct prf *p, struct span ni, struct span nr, struct span gir,
                  struct secret *skeyseed)
{
    struct secret key = { 0 };
    size_t half = XCBC_NONCE_HALF;
    skeyseed->p = NULL;
    skeyseed->n = 0;
    bool fixed = p->xf && p->xf->id == PRF_AES128_XCBC;
    if (fixed && (ni.n < half || nr.n < half))
        return KITE_E_INVALID_ARG;
    if (!fixed)
        half = 0; /* the whole of Ni | Nr is the HMAC key */
    size_t li = half ? half : ni.n, lr = half ? half : nr.n;
    int rc = secret_alloc(&key, li + lr);
    if (!rc && li)
        memcpy(key.p, ni.p, li);
    if (!rc && lr)
        memcpy(key.p + li, nr.p, lr);
    if (!rc)
        rc = secret_alloc(skeyseed, prf_out_len(p));
    if (!rc)
        rc = prf_run(p, secret_span(&key), &gir, 1, skeyseed->p);
    secret_free(&key);
    if (rc)
        secret_free(skeyseed);
    return rc;
}

int keys_skeyseed_rekey(const struct prf *p, struct span old_sk_d, struct span gir_new,
                        struct span ni, struct span nr, struct secret *skeyseed)
{
    const struct span data[] = { gir_new, ni, nr };
    int rc = secret_alloc(skeyseed, prf_out_len(p));
    if (!rc)
        rc = prf_run(p, old_sk_d, data, 3, skeyseed->p);
    if (rc)
        secret_free(skeyseed);
    return rc;
}

/* cut `n` keys of the given sizes out of one prf+ stream */
static int split(const struct secret *stream, struct secret *const *dst, const size_t *len,
                 size_t n)
{
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = secret_from(dst[i], stream->p + off, len[i]);
        if (rc)
            return rc;
        off += len[i];
    }
    return 0;
}

static size_t integ_key_len(const struct xf_info *integ)
{
    return integ ? integ->key_len : 0;
}

int keys_ike_sa(const struct prf *p, struct span skeyseed, struct span ni, struct span nr,
                struct span spi_i, struct span spi_r, const struct xf_info *encr,
                const struct xf_info *integ, struct ike_keys *out)
{
    size_t pk = prf_key_len(p), ak = integ_key_len(integ), ek = encr->key_len;
    const size_t len[] = { pk, ak, ak, ek, ek, pk, pk };
    struct secret *const dst[] = { &out->sk_d, &out->sk_ai, &out->sk_ar, &out->sk_ei,
                                   &out->sk_er, &out->sk_pi, &out->sk_pr };
    const struct span seed[] = { ni, nr, spi_i, spi_r };
    struct secret stream;
    memset(out, 0, sizeof *out);
    int rc = secret_alloc(&stream, 3 * pk + 2 * ak + 2 * ek);
    if (!rc)
        rc = prf_plus(p, skeyseed, seed, 4, stream.p, stream.n);
    if (!rc)
        rc = split(&stream, dst, len, 7);
    secret_free(&stream);
    if (rc)
        keys_ike_free(out);
    return rc;
}

void keys_ike_free(struct ike_keys *k)
{
    secret_free(&k->sk_d);
    secret_free(&k->sk_ai);
    secret_free(&k->sk_ar);
    secret_free(&k->sk_ei);
    secret_free(&k->sk_er);
    secret_free(&k->sk_pi);
    secret_free(&k->sk_pr);
}

int keys_child_sa(const struct prf *p, struct span sk_d, struct span gir_new, struct span ni,
                  struct span nr, const struct xf_info *encr, const struct xf_info *integ,
                  struct child_keys *out)
{
    size_t ek = encr->key_len, ak = integ_key_len(integ);
    const size_t len[] = { ek, ak, ek, ak };
    struct secret *const dst[] = { &out->encr_i, &out->integ_i, &out->encr_r, &out->integ_r };
    const struct span with_ke[] = { gir_new, ni, nr };
    struct secret stream;
    memset(out, 0, sizeof *out);
    int rc = secret_alloc(&stream, 2 * (ek + ak));
    /* an empty g^ir (new) contributes nothing to the seed */
    if (!rc)
        rc = prf_plus(p, sk_d, with_ke, 3, stream.p, stream.n);
    if (!rc)
        rc = split(&stream, dst, len, 4);
    secret_free(&stream);
    if (rc)
        keys_child_free(out);
    return rc;
}

void keys_child_free(struct child_keys *k)
{
    secret_free(&k->encr_i);
    secret_free(&k->integ_i);
    secret_free(&k->encr_r);
    secret_free(&k->integ_r);
}
